//! The two operations that write one key at once, rather than at commit, because their point is
//! to be atomic against other requests:
//!
//! - [`update`]: `session.update(key, fn)`, a read-modify-write of one key. The JS layer computes
//!   the new value from the value it read; the write succeeds only if the key still holds that
//!   value in the store, else the JS layer runs `fn` again on the value as stored. Two requests that
//!   each add 1 to a counter both count.
//! - [`consume`]: taking flash values (`session.flash(key, value)`): a flash value is read by one
//!   request only, the one whose removal of it from the store succeeds.
//!
//! Both run under the session's turn and within its timeout, like a commit, and compare-and-set
//! against other processes.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::commit::{back_off, merge, read, take_turn};
use super::{lock, Ended, Origin, Session, Stored};
use crate::deadline::Deadline;
use crate::id::SessionId;
use crate::record::{Base, Change, Record};
use crate::store::{now_ms, Expected, Saved};
use crate::Result;

/// What [`update`] did.
#[derive(Debug, PartialEq)]
pub enum Updated {
    /// The new value is stored (or, for a session not stored yet, set, to be written at commit).
    Done,
    /// The key no longer holds the value the new one was computed from: here is the value it holds
    /// now (in V8's format; `None`: no value), to compute from again.
    Changed(Option<Vec<u8>>),
}

/// Writes `handoff` under `key` if the key still holds `base` (the value, in V8's format, that
/// the new one was computed from; `None`: no value).
///
/// When it does not, the answer is the value as stored, and the session *keeps its turn* (other
/// requests of this process wait for it, within their timeouts) until the next `update()` call of
/// this session or [`Session::release_turn`]: so the JS layer's next attempt, computed from that
/// value, cannot lose to another request of this process again. Without it, n concurrent updates
/// would each lose up to n times.
pub async fn update(
    session: &Mutex<Session>,
    key: &str,
    base: Option<Vec<u8>>,
    handoff: Vec<u8>,
    ttl: Option<Duration>,
) -> Result<Updated> {
    super::load::load(session).await?;
    let (id, config, expires) = {
        let mut session = lock(session);
        super::check_key(key)?;
        match session.stored_id() {
            Some(id) if !session.changes.contains_key(key) => {
                let expires = ttl.or(session.config.default_ttl).map(|ttl| now_ms() + ttl.as_millis() as f64);
                (id, session.config.clone(), expires)
            }
            // Not stored yet (no one else can write it), or already changed by this request: the
            // new value goes with the commit, like any set().
            _ => {
                session.set(key, handoff, ttl)?;
                return Ok(Updated::Done);
            }
        }
    };
    let store = config.store.as_ref();
    let deadline = Deadline::after(config.timeout);
    let held = lock(session).held_turn.take();
    let turn = match held {
        Some((held_id, turn)) if held_id == id => turn,
        _ => take_turn(&config, &id, deadline).await?,
    };
    let mut current = read(store, &id, deadline).await?;
    let change = Change::Set { handoff, expires, flash: false };
    let mut attempt = 0u32;
    loop {
        let Some(text) = current.as_deref().filter(|text| Ended::of(text).is_none()) else {
            // The session ended meanwhile: as with a commit, the write is dropped.
            lock(session).ended_meanwhile(&id, current.as_deref());
            return Ok(Updated::Done);
        };
        let record = Record::parse(text, &config.limits)?;
        let now = now_ms();
        let stored_value = match record.entry(key, now) {
            Some(entry) => Some(record.value_v8(entry, &mut record.read_budget(&config.limits))?),
            None => None,
        };
        if stored_value != base {
            lock(session).held_turn = Some((id, turn));
            return Ok(Updated::Changed(stored_value));
        }
        let (merged, lifetime) = merge(&config, Base::Parsed(Arc::new(record)), &[(key, &change)])?;
        let save = store.save(&id, &merged, lifetime, Expected::Current(text));
        match deadline.run("saving the session", save).await? {
            Saved::Done => {
                lock(session).stored_meanwhile(&id, merged);
                return Ok(Updated::Done);
            }
            Saved::Conflict(now) => current = now,
        }
        back_off(attempt, deadline).await?;
        attempt = attempt.saturating_add(1);
    }
}

/// Takes the flash values of `keys` out of the stored session, for this request alone: those it
/// removes from the store, it reads; those another request took first read as absent.
pub async fn consume(session: &Mutex<Session>, keys: Vec<String>) -> Result<()> {
    let Some((id, config)) = ({
        let session = lock(session);
        session.stored_id().map(|id| (id, session.config.clone()))
    }) else {
        return Ok(());
    };
    let store = config.store.as_ref();
    let deadline = Deadline::after(config.timeout);
    lock(session).release_turn(); // (its own turn, should an update() have kept it)
    let _turn = take_turn(&config, &id, deadline).await?;
    let mut current = read(store, &id, deadline).await?;
    let mut attempt = 0u32;
    loop {
        let Some(text) = current.as_deref().filter(|text| Ended::of(text).is_none()) else {
            lock(session).took(&id, keys.into_iter().map(|key| (key, None)).collect(), None);
            return Ok(());
        };
        let record = Record::parse(text, &config.limits)?;
        let now = now_ms();
        let mut budget = record.read_budget(&config.limits);
        let mut taken = Vec::with_capacity(keys.len());
        for key in &keys {
            let value = match record.entry(key, now) {
                Some(entry) if entry.flash => Some(record.value_v8(entry, &mut budget)?),
                _ => None,
            };
            taken.push((key.clone(), value));
        }
        let removals: Vec<(&str, &Change)> =
            taken.iter().filter(|(_, value)| value.is_some()).map(|(key, _)| (key.as_str(), &Change::Delete)).collect();
        if removals.is_empty() {
            lock(session).took(&id, taken, None);
            return Ok(());
        }
        let (merged, lifetime) = merge(&config, Base::Parsed(Arc::new(record)), &removals)?;
        let save = store.save(&id, &merged, lifetime, Expected::Current(text));
        match deadline.run("taking the session's flash values", save).await? {
            Saved::Done => {
                lock(session).took(&id, taken, Some(merged));
                return Ok(());
            }
            Saved::Conflict(now) => current = now,
        }
        back_off(attempt, deadline).await?;
        attempt = attempt.saturating_add(1);
    }
}

impl Session {
    /// The id of the stored session this request works on, if there is one.
    fn stored_id(&self) -> Option<SessionId> {
        let stored = matches!(self.stored, Stored::Found { .. } | Stored::Written { .. });
        match (&self.id, self.origin) {
            (Some(id), Origin::Cookie | Origin::Loaded) if stored && !self.cleared => Some(id.clone()),
            _ => None,
        }
    }

    /// Takes in that this request wrote `record` for `id` itself (an update or a consume).
    fn stored_meanwhile(&mut self, id: &SessionId, record: Vec<u8>) {
        if self.id.as_ref() != Some(id) {
            return; // the session moved on meanwhile
        }
        match Record::parse(&record, &self.config.limits) {
            Ok(parsed) => self.stored = Stored::Found { record, parsed: Arc::new(parsed) },
            // (What this request merged parses; should it not, the next read loads it again.)
            Err(_) => self.stored = Stored::Written { record },
        }
    }

    /// Takes in the flash values this request took (`None`: none, or another request's), and the
    /// record it wrote taking them, if it wrote one.
    fn took(&mut self, id: &SessionId, taken: Vec<(String, Option<Vec<u8>>)>, record: Option<Vec<u8>>) {
        if self.id.as_ref() != Some(id) {
            return;
        }
        self.consumed.extend(taken);
        if let Some(record) = record {
            self.stored_meanwhile(id, record);
        }
    }

    /// Takes in that the session ended in another request meanwhile (`record`: its tombstone).
    fn ended_meanwhile(&mut self, id: &SessionId, record: Option<&[u8]>) {
        if self.id.as_ref() == Some(id) {
            self.stored = Stored::Ended(record.and_then(Ended::of).unwrap_or(Ended::Destroyed));
        }
    }
}
