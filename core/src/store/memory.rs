//! The in-process store: for tests and single-process apps.
//!
//! Records expire after their lifetime, and the store holds at most `max_entries` of them: when it
//! is full, expired records go first, then those closest to expiring. An index ordered by expiry
//! keeps both cheap.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;

use super::{now_ms, Expected, Saved, SessionStore};
use crate::id::SessionId;
use crate::Result;

pub const DEFAULT_MAX_ENTRIES: usize = 10_000;

pub struct MemoryStore {
    max_entries: usize,
    inner: Mutex<Records>,
}

#[derive(Default)]
struct Records {
    by_id: HashMap<SessionId, Record>,
    /// (expires at, id) of every record, soonest first.
    by_expiry: BTreeSet<(u64, SessionId)>,
}

struct Record {
    bytes: Vec<u8>,
    expires_at: u64,
}

impl MemoryStore {
    pub fn new(max_entries: usize) -> Self {
        Self { max_entries: max_entries.max(1), inner: Mutex::new(Records::default()) }
    }

    /// How many records are held (expired ones not yet dropped included).
    pub fn len(&self) -> usize {
        self.lock().by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Records> {
        // A panic while the lock was held cannot leave the maps half-updated (each update is a
        // few infallible operations), so a poisoned lock is safe to keep using.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_ENTRIES)
    }
}

impl Records {
    fn live(&self, id: &SessionId, now: u64) -> Option<&Record> {
        self.by_id.get(id).filter(|record| record.expires_at > now)
    }

    fn remove(&mut self, id: &SessionId) {
        if let Some(record) = self.by_id.remove(id) {
            self.by_expiry.remove(&(record.expires_at, id.clone()));
        }
    }

    fn drop_expired(&mut self, now: u64) {
        while let Some((expires_at, id)) = self.by_expiry.first().cloned() {
            if expires_at > now {
                break;
            }
            self.remove(&id);
        }
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn load(&self, id: &SessionId) -> Result<Option<Vec<u8>>> {
        let now = now_ms() as u64;
        Ok(self.lock().live(id, now).map(|record| record.bytes.clone()))
    }

    async fn save(&self, id: &SessionId, bytes: &[u8], lifetime: Duration, expected: Expected<'_>) -> Result<Saved> {
        let now = now_ms() as u64;
        let mut records = self.lock();
        let current = records.live(id, now).map(|record| record.bytes.as_slice());
        if !expected.matches(current) {
            return Ok(Saved::Conflict(current.map(<[u8]>::to_vec)));
        }
        records.remove(id);
        if records.by_id.len() >= self.max_entries {
            records.drop_expired(now);
        }
        while records.by_id.len() >= self.max_entries {
            let Some((_, soonest)) = records.by_expiry.first().cloned() else { break };
            records.remove(&soonest);
        }
        let expires_at = now.saturating_add(lifetime.as_millis().min(u64::MAX as u128) as u64);
        records.by_expiry.insert((expires_at, id.clone()));
        records.by_id.insert(id.clone(), Record { bytes: bytes.to_vec(), expires_at });
        Ok(Saved::Done)
    }

    async fn delete(&self, id: &SessionId) -> Result<()> {
        self.lock().remove(id);
        Ok(())
    }
}

/// Compare-and-set and expiry are checked with every other store in core/tests/stores.rs.
#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    #[tokio::test]
    async fn bounded_size_evicts_the_soonest_to_expire() {
        let store = MemoryStore::new(3);
        let ids: Vec<_> = (0..4).map(|_| SessionId::generate()).collect();
        for (i, id) in ids.iter().enumerate() {
            let lifetime = HOUR * (1 + i as u32);
            store.save(id, b"x", lifetime, Expected::Any).await.unwrap();
        }
        assert_eq!(store.len(), 3);
        assert_eq!(store.load(&ids[0]).await.unwrap(), None, "the soonest to expire was evicted");
        for id in &ids[1..] {
            assert!(store.load(id).await.unwrap().is_some());
        }
    }
}
