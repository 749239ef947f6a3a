//! The in-process store: for tests and single-process apps.
//!
//! Records expire after their lifetime, and the store holds at most `max_entries` of them. When it
//! is full, expired records go first, then the least recently *used* — read or written — so that a
//! flood of new sessions (every cookie-less request to a page that writes one) cannot push out a
//! user who keeps using theirs, as long as fewer than `max_entries` new sessions arrive between two
//! of that user's requests. Each eviction signs a user out, so they are counted
//! ([`MemoryStore::stats`]).

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;

use super::{now_ms, Expected, Saved, SessionStore, StoreStats};
use crate::id::SessionId;
use crate::{FastMap, Result};

pub const DEFAULT_MAX_ENTRIES: usize = 10_000;

pub struct MemoryStore {
    max_entries: usize,
    inner: Mutex<Records>,
}

#[derive(Default)]
struct Records {
    by_id: FastMap<SessionId, Record>,
    /// (expires at, id) of every record, soonest first.
    by_expiry: BTreeSet<(u64, SessionId)>,
    /// (last use, id) of every record, least recent first.
    by_use: BTreeSet<(u64, SessionId)>,
    /// Counts uses, so that no two are equal.
    clock: u64,
    /// Live records dropped to make room.
    evictions: u64,
}

struct Record {
    bytes: Vec<u8>,
    expires_at: u64,
    last_used: u64,
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
    fn is_live(&self, id: &SessionId, now: u64) -> bool {
        self.by_id.get(id).is_some_and(|record| record.expires_at > now)
    }

    /// The live record of `id`, marked as used now.
    fn use_live(&mut self, id: &SessionId, now: u64) -> Option<&Record> {
        if !self.is_live(id, now) {
            return None;
        }
        self.clock += 1;
        let clock = self.clock;
        let record = self.by_id.get_mut(id)?;
        self.by_use.remove(&(record.last_used, id.clone()));
        record.last_used = clock;
        self.by_use.insert((clock, id.clone()));
        Some(record)
    }

    fn set_expiry(&mut self, id: &SessionId, expires_at: u64) {
        if let Some(record) = self.by_id.get_mut(id) {
            self.by_expiry.remove(&(record.expires_at, id.clone()));
            record.expires_at = expires_at;
            self.by_expiry.insert((expires_at, id.clone()));
        }
    }

    fn remove(&mut self, id: &SessionId) {
        if let Some(record) = self.by_id.remove(id) {
            self.by_expiry.remove(&(record.expires_at, id.clone()));
            self.by_use.remove(&(record.last_used, id.clone()));
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

    /// Makes room for one more record: expired records first, then the least recently used.
    fn make_room(&mut self, max_entries: usize, now: u64) {
        if self.by_id.len() >= max_entries {
            self.drop_expired(now);
        }
        while self.by_id.len() >= max_entries {
            let Some((_, least_recent)) = self.by_use.first().cloned() else { break };
            self.remove(&least_recent);
            self.evictions += 1;
        }
    }

    fn insert(&mut self, id: &SessionId, bytes: &[u8], expires_at: u64) {
        self.clock += 1;
        let last_used = self.clock;
        self.by_expiry.insert((expires_at, id.clone()));
        self.by_use.insert((last_used, id.clone()));
        self.by_id.insert(id.clone(), Record { bytes: bytes.to_vec(), expires_at, last_used });
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn load(&self, id: &SessionId) -> Result<Option<Vec<u8>>> {
        let now = now_ms() as u64;
        Ok(self.lock().use_live(id, now).map(|record| record.bytes.clone()))
    }

    async fn save(&self, id: &SessionId, bytes: &[u8], lifetime: Duration, expected: Expected<'_>) -> Result<Saved> {
        let now = now_ms() as u64;
        let mut records = self.lock();
        let live = records.is_live(id, now);
        let current = live.then(|| records.by_id.get(id).map(|record| record.bytes.as_slice())).flatten();
        if !expected.matches(current) {
            return Ok(Saved::Conflict(current.map(<[u8]>::to_vec)));
        }
        records.remove(id);
        records.make_room(self.max_entries, now);
        let expires_at = now.saturating_add(lifetime.as_millis().min(u64::MAX as u128) as u64);
        records.insert(id, bytes, expires_at);
        Ok(Saved::Done)
    }

    async fn delete(&self, id: &SessionId) -> Result<()> {
        self.lock().remove(id);
        Ok(())
    }

    async fn load_with_expiry(&self, id: &SessionId) -> Result<Option<(Vec<u8>, Option<f64>)>> {
        let now = now_ms() as u64;
        Ok(self.lock().use_live(id, now).map(|record| (record.bytes.clone(), Some(record.expires_at as f64))))
    }

    async fn touch(&self, id: &SessionId, current: &[u8], lifetime: Duration) -> Result<bool> {
        let now = now_ms() as u64;
        let mut records = self.lock();
        let unchanged = records.is_live(id, now) && records.by_id.get(id).is_some_and(|record| record.bytes == current);
        if unchanged {
            let expires_at = now.saturating_add(lifetime.as_millis().min(u64::MAX as u128) as u64);
            records.set_expiry(id, expires_at);
        }
        Ok(unchanged)
    }

    fn stats(&self) -> StoreStats {
        let records = self.lock();
        StoreStats { entries: Some(records.by_id.len() as u64), evictions: Some(records.evictions) }
    }
}

/// Compare-and-set and expiry are checked with every other store in core/tests/stores.rs.
#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    #[tokio::test]
    async fn when_full_the_least_recently_used_goes_and_is_counted() {
        let store = MemoryStore::new(3);
        let ids: Vec<_> = (0..4).map(|_| SessionId::generate()).collect();
        for id in &ids[..3] {
            store.save(id, b"x", HOUR, Expected::Any).await.unwrap();
        }
        // The first session is read: now the second is the least recently used.
        assert!(store.load(&ids[0]).await.unwrap().is_some());
        store.save(&ids[3], b"x", HOUR, Expected::Any).await.unwrap();
        assert_eq!(store.len(), 3);
        assert_eq!(store.load(&ids[1]).await.unwrap(), None, "the least recently used was evicted");
        for id in [&ids[0], &ids[2], &ids[3]] {
            assert!(store.load(id).await.unwrap().is_some());
        }
        assert_eq!(store.stats(), StoreStats { entries: Some(3), evictions: Some(1) });
    }

    #[tokio::test]
    async fn expired_records_make_room_before_live_ones() {
        let store = MemoryStore::new(2);
        let (short, long, new) = (SessionId::generate(), SessionId::generate(), SessionId::generate());
        store.save(&short, b"x", Duration::from_millis(1), Expected::Any).await.unwrap();
        store.save(&long, b"x", HOUR, Expected::Any).await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        store.save(&new, b"x", HOUR, Expected::Any).await.unwrap();
        assert!(store.load(&long).await.unwrap().is_some());
        assert_eq!(store.stats().evictions, Some(0), "an expired record leaving is no eviction");
    }

    #[tokio::test]
    async fn an_active_session_survives_a_flood_within_capacity() {
        let store = MemoryStore::new(1_000);
        let active = SessionId::generate();
        store.save(&active, b"me", HOUR, Expected::Any).await.unwrap();
        for round in 0..20 {
            // 900 new sessions between two uses of the active one: fewer than the capacity.
            for _ in 0..900 {
                store.save(&SessionId::generate(), b"x", HOUR, Expected::Any).await.unwrap();
            }
            assert!(store.load(&active).await.unwrap().is_some(), "evicted in round {round}");
        }
        assert!(store.stats().evictions.unwrap() > 10_000, "the flood itself was evicted");
    }
}
