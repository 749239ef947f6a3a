//! The embedded stores against the checks every store must pass (support/store_checks.rs; the
//! Redis store runs them in redis.rs). What is particular to a store is tested next to it.

mod support;

use std::sync::Arc;
use std::time::Duration;

use session_core::store::fs::{locks, FsOptions, FsStore};
use session_core::store::kv::{KvStore, RecordIo};
use session_core::store::memory::MemoryStore;
use support::store_checks;

const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store() {
    let store = Arc::new(MemoryStore::default());
    store_checks::compare_and_set(store.as_ref()).await;
    store_checks::records_expire(store.as_ref()).await;
    store_checks::touch_extends_only_the_expected_record(store.as_ref()).await;
    store_checks::concurrent_compare_and_set_loses_nothing(store).await;
}

/// The fs store with each kind of lock the platform can use (Linux: OFD byte locks, and the
/// striped whole-file locks that macOS and Windows use).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fs_store() {
    let kinds = [
        #[cfg(target_os = "linux")]
        locks::Kind::Bytes,
        locks::Kind::Stripes,
    ];
    for kind in kinds {
        let dir = tempfile::tempdir().unwrap();
        let options = FsOptions {
            base: dir.path().join("sessions"),
            lifetime: HOUR,
            sweep_interval: HOUR,
            lock_timeout: Duration::from_secs(5),
            max_record_size: session_core::limits::DEFAULT_MAX_SIZE,
        };
        let store = Arc::new(FsStore::with_locks(options, kind));
        store_checks::compare_and_set(store.as_ref()).await;
        store_checks::records_expire(store.as_ref()).await;
        store_checks::touch_extends_only_the_expected_record(store.as_ref()).await;
        store_checks::concurrent_compare_and_set_loses_nothing(store).await;
    }
}

/// A plain key-value driver over the memory store (ignoring its own compare-and-set): what a JS
/// driver object is to the binding.
struct KeyValue(MemoryStore);

#[async_trait::async_trait]
impl RecordIo for KeyValue {
    async fn get(&self, id: &session_core::id::SessionId) -> session_core::Result<Option<Vec<u8>>> {
        session_core::store::SessionStore::load(&self.0, id).await
    }
    async fn set(&self, id: &session_core::id::SessionId, record: &[u8], lifetime: Duration) -> session_core::Result<()> {
        use session_core::store::{Expected, SessionStore};
        self.0.save(id, record, lifetime, Expected::Any).await.map(drop)
    }
    async fn remove(&self, id: &session_core::id::SessionId) -> session_core::Result<()> {
        session_core::store::SessionStore::delete(&self.0, id).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_value_driver_store() {
    let store = Arc::new(KvStore::new(KeyValue(MemoryStore::default()), Duration::from_secs(2)));
    store_checks::compare_and_set(store.as_ref()).await;
    store_checks::records_expire(store.as_ref()).await;
    store_checks::touch_extends_only_the_expected_record(store.as_ref()).await;
    store_checks::concurrent_compare_and_set_loses_nothing(store).await;
}
