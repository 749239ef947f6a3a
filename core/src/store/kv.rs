//! A store over a plain key-value driver — what Astro's `SessionDriver` and unstorage's drivers
//! offer: get, set, remove, and nothing atomic. Like tower-sessions' caching store, it is a store
//! that wraps something else: [`KvStore`] adds compare-and-set to any [`RecordIo`].
//!
//! A driver without compare-and-set can only be made atomic where its callers can be made to take
//! turns: [`KvStore::save`] holds a lock per session id across its read, compare and write. That is
//! atomic for every request of this process, not across processes sharing the driver's storage
//! (for those, use a store with compare-and-set of its own: fs or redis).
//!
//! ```
//! use std::{collections::HashMap, sync::Mutex, time::Duration};
//! use session_core::{id::SessionId, store::kv::{KvStore, RecordIo}, Result};
//!
//! #[derive(Default)]
//! struct MapIo(Mutex<HashMap<SessionId, Vec<u8>>>);
//!
//! #[async_trait::async_trait]
//! impl RecordIo for MapIo {
//!     async fn get(&self, id: &SessionId) -> Result<Option<Vec<u8>>> {
//!         Ok(self.0.lock().unwrap().get(id).cloned())
//!     }
//!     async fn set(&self, id: &SessionId, record: &[u8], _lifetime: Duration) -> Result<()> {
//!         self.0.lock().unwrap().insert(id.clone(), record.to_vec());
//!         Ok(())
//!     }
//!     async fn remove(&self, id: &SessionId) -> Result<()> {
//!         self.0.lock().unwrap().remove(id);
//!         Ok(())
//!     }
//! }
//!
//! let store = KvStore::new(MapIo::default(), Duration::from_secs(2));
//! ```

use std::time::Duration;

use async_trait::async_trait;

use super::{Expected, Saved, SessionStore};
use crate::deadline::Deadline;
use crate::id::SessionId;
use crate::keyed_locks::KeyedLocks;
use crate::Result;

/// A plain key-value driver of records.
#[async_trait]
pub trait RecordIo: Send + Sync + 'static {
    /// The record of `id`, or `None` (none, or expired).
    async fn get(&self, id: &SessionId) -> Result<Option<Vec<u8>>>;

    /// Stores `record` for `id`, to live `lifetime` if the driver can expire records.
    async fn set(&self, id: &SessionId, record: &[u8], lifetime: Duration) -> Result<()>;

    /// Removes the record of `id`; no error if there is none.
    async fn remove(&self, id: &SessionId) -> Result<()>;
}

/// A driver chosen at run time (the binding's JS driver objects).
#[async_trait]
impl RecordIo for Box<dyn RecordIo> {
    async fn get(&self, id: &SessionId) -> Result<Option<Vec<u8>>> {
        (**self).get(id).await
    }
    async fn set(&self, id: &SessionId, record: &[u8], lifetime: Duration) -> Result<()> {
        (**self).set(id, record, lifetime).await
    }
    async fn remove(&self, id: &SessionId) -> Result<()> {
        (**self).remove(id).await
    }
}

/// Compare-and-set over a [`RecordIo`] (see the [module](self) docs).
pub struct KvStore<D> {
    driver: D,
    /// How long one driver call may take: the bound of a lock wait here too.
    call_timeout: Duration,
    locks: KeyedLocks<SessionId>,
}

impl<D: RecordIo> KvStore<D> {
    /// A store over `driver`, whose calls each take at most `call_timeout`.
    pub fn new(driver: D, call_timeout: Duration) -> Self {
        Self { driver, call_timeout, locks: KeyedLocks::default() }
    }

    pub fn driver(&self) -> &D {
        &self.driver
    }

    async fn turn(&self, id: &SessionId) -> Result<crate::keyed_locks::KeyGuard> {
        // A turn lasts two calls at most (a read and a write), each bounded by the call timeout.
        let deadline = Deadline::after(self.call_timeout.saturating_mul(2));
        self.locks.lock(id, deadline, "waiting for the session driver's other calls on this session").await
    }
}

#[async_trait]
impl<D: RecordIo> SessionStore for KvStore<D> {
    async fn load(&self, id: &SessionId) -> Result<Option<Vec<u8>>> {
        self.driver.get(id).await
    }

    async fn save(&self, id: &SessionId, record: &[u8], lifetime: Duration, expected: Expected<'_>) -> Result<Saved> {
        let _turn = self.turn(id).await?;
        if expected != Expected::Any {
            let current = self.driver.get(id).await?;
            if !expected.matches(current.as_deref()) {
                return Ok(Saved::Conflict(current));
            }
        }
        self.driver.set(id, record, lifetime).await?;
        Ok(Saved::Done)
    }

    async fn delete(&self, id: &SessionId) -> Result<()> {
        let _turn = self.turn(id).await?;
        self.driver.remove(id).await
    }

    /// A compare-and-set is two calls (a read, then the write).
    fn default_timeout(&self) -> Option<Duration> {
        Some(self.call_timeout.saturating_mul(2))
    }
}

/// Compare-and-set and expiry are checked with every other store in core/tests/stores.rs.
#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    /// A driver that counts its calls and can be slowed down.
    #[derive(Default)]
    struct Counting {
        records: Mutex<HashMap<SessionId, Vec<u8>>>,
        calls: AtomicUsize,
        delay: Duration,
    }

    #[async_trait]
    impl RecordIo for Counting {
        async fn get(&self, id: &SessionId) -> Result<Option<Vec<u8>>> {
            self.calls.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(self.delay).await;
            Ok(self.records.lock().unwrap().get(id).cloned())
        }
        async fn set(&self, id: &SessionId, record: &[u8], _: Duration) -> Result<()> {
            self.calls.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(self.delay).await;
            self.records.lock().unwrap().insert(id.clone(), record.to_vec());
            Ok(())
        }
        async fn remove(&self, id: &SessionId) -> Result<()> {
            self.calls.fetch_add(1, Ordering::Relaxed);
            self.records.lock().unwrap().remove(id);
            Ok(())
        }
    }

    const HOUR: Duration = Duration::from_secs(3600);

    #[tokio::test]
    async fn a_blind_write_is_one_call_and_a_checked_one_two() {
        let store = KvStore::new(Counting::default(), Duration::from_secs(1));
        let id = SessionId::generate();
        store.save(&id, b"[1]", HOUR, Expected::Any).await.unwrap();
        assert_eq!(store.driver().calls.load(Ordering::Relaxed), 1);
        store.save(&id, b"[2]", HOUR, Expected::Current(b"[1]")).await.unwrap();
        assert_eq!(store.driver().calls.load(Ordering::Relaxed), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_driver_holds_up_only_its_own_session() {
        let driver = Counting { delay: Duration::from_millis(800), ..Counting::default() };
        let store = Arc::new(KvStore::new(driver, Duration::from_secs(1)));
        let (slow, other) = (SessionId::generate(), SessionId::generate());
        // Three checked writes of one session (a read and a write each: 1.6 s) queue for its turn,
        // which each may wait for 2 s (two calls' worth): the first writes, the second finds the
        // record it did not expect, the third gives up waiting.
        let queued: Vec<_> = (0..3)
            .map(|_| {
                let (store, slow) = (store.clone(), slow.clone());
                tokio::spawn(async move { store.save(&slow, b"[1]", HOUR, Expected::Absent).await })
            })
            .collect();
        tokio::task::yield_now().await;
        let started = tokio::time::Instant::now();
        store.save(&other, b"[1]", HOUR, Expected::Any).await.unwrap();
        assert!(started.elapsed() <= Duration::from_millis(800), "one call of its own: {:?}", started.elapsed());
        let mut outcomes: Vec<_> = outcomes_of(queued).await;
        outcomes.sort();
        assert_eq!(outcomes, ["conflict", "done", "timeout"].map(|o| Some(o.to_owned())));
    }

    async fn outcomes_of(tasks: Vec<tokio::task::JoinHandle<Result<Saved>>>) -> Vec<Option<String>> {
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(match task.await.unwrap() {
                Ok(Saved::Done) => Some("done".to_owned()),
                Ok(Saved::Conflict(_)) => Some("conflict".to_owned()),
                Err(error) if error.code == crate::ErrorCode::Timeout => Some("timeout".to_owned()),
                Err(_) => None,
            });
        }
        outcomes
    }
}
