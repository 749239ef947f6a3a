//! The embedded stores against the checks every store must pass (support/store_checks.rs; the
//! Redis store runs them in redis.rs). What is particular to a store is tested next to it.

mod support;

use std::sync::Arc;
use std::time::Duration;

use session_core::store::fs::FsStore;
use session_core::store::memory::MemoryStore;
use support::store_checks;

const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store() {
    let store = Arc::new(MemoryStore::default());
    store_checks::compare_and_set(store.as_ref()).await;
    store_checks::records_expire(store.as_ref()).await;
    store_checks::concurrent_compare_and_set_loses_nothing(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fs_store() {
    let dir = tempfile::tempdir().unwrap();
    // (Its records expire by the file's age, not by the lifetime given to each write: see fs.rs.)
    let store = Arc::new(FsStore::new(dir.path().join("sessions"), HOUR, HOUR));
    store_checks::compare_and_set(store.as_ref()).await;
    store_checks::concurrent_compare_and_set_loses_nothing(store).await;
}
