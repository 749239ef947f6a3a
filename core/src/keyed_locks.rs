//! One lock per key (per session id), made when first needed and forgotten when nobody holds or
//! awaits it — so requests of unrelated sessions never queue behind each other, as they would on
//! a fixed set of striped locks, and a wait for a lock counts against the operation's deadline.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

use crate::deadline::Deadline;
use crate::Result;

pub struct KeyedLocks<K> {
    locks: Mutex<Table<K>>,
}

struct Table<K> {
    by_key: HashMap<K, Weak<AsyncMutex<()>>>,
    /// Dead entries are dropped when the table grows past this, which then doubles: the cost of
    /// pruning stays constant per insertion and the table proportional to the keys in use.
    prune_at: usize,
}

/// The lock of one key, held until dropped.
pub struct KeyGuard {
    _guard: OwnedMutexGuard<()>,
}

impl<K: Eq + Hash + Clone> Default for KeyedLocks<K> {
    fn default() -> Self {
        Self { locks: Mutex::new(Table { by_key: HashMap::new(), prune_at: 64 }) }
    }
}

impl<K: Eq + Hash + Clone> KeyedLocks<K> {
    /// Waits for the lock of `key` until `deadline` (then `ERR_SESSION_TIMEOUT`, saying that
    /// `what` waited too long).
    pub async fn lock(&self, key: &K, deadline: Deadline, what: &str) -> Result<KeyGuard> {
        let lock = self.lock_of(key);
        let guard = deadline.run(what, async { Ok(lock.lock_owned().await) }).await?;
        Ok(KeyGuard { _guard: guard })
    }

    /// How many keys have a lock table entry (live or not yet pruned); for tests.
    pub fn len(&self) -> usize {
        self.table().by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock_of(&self, key: &K) -> Arc<AsyncMutex<()>> {
        let mut table = self.table();
        if let Some(lock) = table.by_key.get(key).and_then(Weak::upgrade) {
            return lock;
        }
        if table.by_key.len() >= table.prune_at {
            table.by_key.retain(|_, lock| lock.strong_count() > 0);
            table.prune_at = (table.by_key.len() * 2).max(64);
        }
        let lock = Arc::new(AsyncMutex::new(()));
        table.by_key.insert(key.clone(), Arc::downgrade(&lock));
        lock
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Table<K>> {
        // Every update of the table is one infallible step: a poisoned lock is still consistent.
        self.locks.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn soon() -> Deadline {
        Deadline::after(Duration::from_secs(5))
    }

    #[tokio::test(start_paused = true)]
    async fn one_key_waits_its_turn_and_other_keys_do_not() {
        let locks = KeyedLocks::default();
        let held = locks.lock(&1, soon(), "a").await.unwrap();
        // Another key is free at once.
        let _other = locks.lock(&2, Deadline::after(Duration::from_millis(1)), "b").await.unwrap();
        // The same key waits, and gives up at its deadline.
        let error = locks.lock(&1, Deadline::after(Duration::from_millis(50)), "waiting for key 1").await.err().unwrap();
        assert_eq!(error.code, crate::ErrorCode::Timeout);
        drop(held);
        locks.lock(&1, Deadline::after(Duration::from_millis(1)), "c").await.unwrap();
    }

    #[tokio::test]
    async fn unused_locks_are_forgotten() {
        let locks = KeyedLocks::default();
        for key in 0..10_000u32 {
            drop(locks.lock(&key, soon(), "x").await.unwrap());
        }
        assert!(locks.len() <= 128, "{} entries kept", locks.len());
        let held: Vec<_> = futures_lite_join(&locks, 0..200).await;
        assert!(locks.len() >= 200);
        drop(held);
    }

    async fn futures_lite_join(locks: &KeyedLocks<u32>, keys: std::ops::Range<u32>) -> Vec<KeyGuard> {
        let mut guards = Vec::new();
        for key in keys {
            guards.push(locks.lock(&key, soon(), "x").await.unwrap());
        }
        guards
    }
}
