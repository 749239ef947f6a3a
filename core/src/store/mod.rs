//! Where sessions are kept.
//!
//! A store holds one record per session id: the session's devalue text (Astro's format, see
//! [`crate::record`]) as bytes. It knows nothing of what the text means, except for *tombstones*
//! ([`TOMBSTONE`], [`RETIRED`]): the session ended, and a request still in flight must not bring
//! it back. (Astro reads both as "no session", so tombstones are compatible with it.)
//!
//! The session never overwrites a record blindly: it reads, merges its own changes, and writes
//! only if the record is still what it read ([`Expected`]) — compare-and-set. That is what keeps
//! two concurrent requests from losing each other's updates. Each store makes that check atomic in
//! its own way: a lock (memory), a lock file (fs), a server-side script (Redis).
//!
//! Implementing a store:
//!
//! ```
//! use std::{collections::HashMap, sync::Mutex, time::Duration};
//! use session_core::{id::SessionId, store::{Expected, Saved, SessionStore}, Result};
//!
//! #[derive(Default)]
//! struct MapStore(Mutex<HashMap<SessionId, Vec<u8>>>);
//!
//! #[async_trait::async_trait]
//! impl SessionStore for MapStore {
//!     async fn load(&self, id: &SessionId) -> Result<Option<Vec<u8>>> {
//!         Ok(self.0.lock().unwrap().get(id).cloned())
//!     }
//!     async fn save(&self, id: &SessionId, record: &[u8], _: Duration, expected: Expected<'_>) -> Result<Saved> {
//!         let mut map = self.0.lock().unwrap();
//!         let current = map.get(id).map(Vec::as_slice);
//!         if !expected.matches(current) {
//!             return Ok(Saved::Conflict(current.map(<[u8]>::to_vec)));
//!         }
//!         map.insert(id.clone(), record.to_vec());
//!         Ok(Saved::Done)
//!     }
//!     async fn delete(&self, id: &SessionId) -> Result<()> {
//!         self.0.lock().unwrap().remove(id);
//!         Ok(())
//!     }
//! }
//! ```

pub mod fs;
pub mod kv;
pub mod memory;
pub mod redis;

use std::time::Duration;

use async_trait::async_trait;

use crate::id::SessionId;
use crate::Result;

pub use crate::record::{RETIRED, TOMBSTONE};

/// Whether `record` is a tombstone (of a destroyed or a retired session).
pub fn is_tombstone(record: &[u8]) -> bool {
    record == TOMBSTONE || record == RETIRED
}

/// How long a tombstone keeps requests still in flight from bringing a destroyed session back.
pub const TOMBSTONE_LIFETIME: std::time::Duration = std::time::Duration::from_secs(300);

/// How long a retired session's tombstone ([`RETIRED`]) lasts: long enough for the requests that
/// were in flight when `regenerate()` ran (they drop their changes and leave the cookie alone),
/// short, because a client that still presents the old id meanwhile gets no new session; after
/// it, the id is unknown, and such a client is given a fresh one.
pub const RETIRED_LIFETIME: std::time::Duration = std::time::Duration::from_secs(60);

/// How long the tombstone `record` lasts.
pub fn tombstone_lifetime(record: &[u8]) -> std::time::Duration {
    if record == RETIRED {
        RETIRED_LIFETIME
    } else {
        TOMBSTONE_LIFETIME
    }
}

/// What a write expects to find, for compare-and-set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected<'a> {
    /// Write whatever is there (the Astro driver entry point, which has no merge of its own).
    Any,
    /// Write only if there is no record (a new session id).
    Absent,
    /// Write only if the record is exactly these bytes (what this request read and merged into).
    Current(&'a [u8]),
}

impl Expected<'_> {
    /// Whether `current` (the record now in the store, `None` for none) is what was expected.
    pub fn matches(&self, current: Option<&[u8]>) -> bool {
        match (self, current) {
            (Expected::Any, _) => true,
            (Expected::Absent, current) => current.is_none(),
            (Expected::Current(expected), Some(current)) => *expected == current,
            (Expected::Current(_), None) => false,
        }
    }
}

/// The outcome of [`SessionStore::save`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Saved {
    Done,
    /// The record was not what was expected; nothing was written. Carries the record as it is
    /// now, so the caller can merge again without another read.
    Conflict(Option<Vec<u8>>),
}

#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// The record of session `id`, or `None` when there is none or it has expired. A tombstone
    /// is returned as it was written.
    async fn load(&self, id: &SessionId) -> Result<Option<Vec<u8>>>;

    /// Writes `record` for session `id` to live for `lifetime` from now — if the current record is
    /// what `expected` says; otherwise writes nothing and returns [`Saved::Conflict`] with the
    /// current record. The check and the write must be one atomic step for every writer that
    /// goes through this store (all threads; all processes where the store is shared).
    async fn save(&self, id: &SessionId, record: &[u8], lifetime: Duration, expected: Expected<'_>) -> Result<Saved>;

    /// Removes the record of session `id`; no error if there is none.
    async fn delete(&self, id: &SessionId) -> Result<()>;

    /// As [`SessionStore::load`], with when the store will drop the record (epoch milliseconds),
    /// where the store knows it; sessions use it to extend themselves when read ([`touch`]).
    /// The default knows no expiry.
    ///
    /// [`touch`]: SessionStore::touch
    async fn load_with_expiry(&self, id: &SessionId) -> Result<Option<(Vec<u8>, Option<f64>)>> {
        Ok(self.load(id).await?.map(|record| (record, None)))
    }

    /// Makes the record of session `id` live `lifetime` from now, if it is still `current`;
    /// `false` (nothing done) if it is not. The default writes the record again, compare-and-set;
    /// stores that can, only extend its expiry.
    async fn touch(&self, id: &SessionId, current: &[u8], lifetime: Duration) -> Result<bool> {
        Ok(self.save(id, current, lifetime, Expected::Current(current)).await? == Saved::Done)
    }

    /// How long a session's load or commit needs at most on this store, by its own timeouts,
    /// when the application sets no `timeout`; `None`: the session's default.
    fn default_timeout(&self) -> Option<std::time::Duration> {
        None
    }

    /// What the store can tell of its own state (the in-process stores).
    fn stats(&self) -> StoreStats {
        StoreStats::default()
    }
}

/// What a store tells of its own state, where it knows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Records held.
    pub entries: Option<u64>,
    /// Live records dropped to make room (each signs a user out).
    pub evictions: Option<u64>,
}

/// Milliseconds since the Unix epoch, as JS `Date.now()`.
pub fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as f64)
        .unwrap_or(0.0)
}
