//! One request's session: Astro's `session` object as a state machine that does no I/O itself.
//!
//! The JS-facing methods that need no storage (`set`, `delete`, `destroy`, and every read once the
//! session is loaded) are plain synchronous calls. The two that do — loading and committing — are
//! split in a *plan* taken from the state, run against a store without holding the state
//! ([`commit::load`], [`commit::commit`]), and a result applied back. So the state is never locked
//! across I/O and the JS thread never waits on it.
//!
//! Differences from Astro, each on purpose:
//! - a commit writes this request's own changes merged into the record as it is at commit time
//!   (compare-and-set), so concurrent requests do not lose each other's updates;
//! - `regenerate()` removes the old record only after the new one is stored;
//! - a `set()` after `destroy()` starts a new session under a new id, with its own cookie;
//! - a destroyed session leaves a tombstone, so a request still in flight cannot bring it back;
//! - an id from a cookie is used only if its record exists (otherwise a new id is made: fixation
//!   defence), and a cookie value that is not a well-formed id is ignored.

pub mod commit;
pub mod data;
mod locks;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;

use crate::codec::{decode_handoff, v8};
use crate::cookie::{find_session_id, CookieConfig};
use crate::id::SessionId;
use crate::store::{now_ms, SessionStore, TOMBSTONE};
use crate::{Error, Result};
use data::{Change, StoredValue};

/// How long a stored session lives after its last write, unless configured.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// What every session of one `createSessions()` shares.
pub struct SessionConfig {
    pub cookie: CookieConfig,
    /// Default lifetime of a value (`ttl`); `None`: values live as long as the session.
    pub default_ttl: Option<Duration>,
    /// How long a stored session lives after its last write.
    pub lifetime: Duration,
    /// Largest stored record, in bytes.
    pub max_size: Option<usize>,
    pub store: Arc<dyn SessionStore>,
    commit_locks: Arc<locks::CommitLocks>,
}

impl SessionConfig {
    /// Sessions on `store` with `cookie`, values that do not expire on their own, and
    /// [`DEFAULT_LIFETIME`].
    pub fn new(store: Arc<dyn SessionStore>, cookie: CookieConfig) -> Self {
        Self {
            cookie,
            default_ttl: None,
            lifetime: DEFAULT_LIFETIME,
            max_size: None,
            store,
            commit_locks: Arc::default(),
        }
    }
}

/// How the current id came to be; it decides what a commit may do with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    /// From the request's cookie: used only if its record exists.
    Cookie,
    /// Made here; no record yet.
    Fresh,
    /// Given to `load(id)` by the application, which may create it.
    Loaded,
}

#[derive(Debug)]
enum Stored {
    NotLoaded,
    /// Loaded: there was no record (or a tombstone).
    Missing,
    /// Loaded: the record, its live values, and (until a commit takes it) the record parsed.
    Found { record: Vec<u8>, values: IndexMap<String, StoredValue>, parsed: Option<data::Parsed> },
    /// Committed by this request: the record as written. Its values are decoded only if they are
    /// read again (they are loaded then), which few requests do after their commit.
    Written { record: Vec<u8> },
}

impl Stored {
    /// The record as this request last saw it, if there is one.
    fn record(&self) -> Option<&Vec<u8>> {
        match self {
            Stored::Found { record, .. } | Stored::Written { record } => Some(record),
            Stored::NotLoaded | Stored::Missing => None,
        }
    }
}

/// A record read from the store and decoded — off the session's lock (see [`commit::load`]).
pub struct LoadedRecord {
    record: Vec<u8>,
    decoded: Result<data::Decoded>,
}

impl LoadedRecord {
    pub fn new(record: Vec<u8>) -> Self {
        let decoded = data::decode(&record, now_ms());
        Self { record, decoded }
    }
}

/// What a cookie header should say after the commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CookieAction {
    None,
    Send,
    Expire,
}

pub struct Session {
    config: Arc<SessionConfig>,
    id: Option<SessionId>,
    origin: Origin,
    stored: Stored,
    changes: IndexMap<String, Change>,
    /// `destroy()` was called: the stored values are no longer this session's.
    cleared: bool,
    /// Records to tombstone at commit (destroyed sessions).
    destroyed: Vec<(SessionId, Option<Vec<u8>>)>,
    /// `regenerate()`: the record the values move from, as loaded.
    regenerated_from: Option<(SessionId, Option<Vec<u8>>)>,
    cookie: CookieAction,
    /// The id the browser holds (what its cookie says, or what the last commit told it).
    client_id: Option<SessionId>,
}

/// A key and its value in V8's format.
pub type Entry = (String, Vec<u8>);

/// The answer of a read that may need the stored values first.
#[derive(Debug, PartialEq)]
pub enum Lookup<T> {
    /// Load first ([`commit::load`]), then ask again.
    NeedsLoad,
    Ready(T),
}

impl Session {
    /// The session of a request whose `Cookie` header is `cookie_header`.
    pub fn open(config: Arc<SessionConfig>, cookie_header: Option<&str>) -> Self {
        let id = cookie_header.and_then(|header| find_session_id(header, &config.cookie.name));
        Self {
            config,
            origin: Origin::Cookie,
            stored: Stored::NotLoaded,
            changes: IndexMap::new(),
            cleared: false,
            destroyed: Vec::new(),
            regenerated_from: None,
            cookie: CookieAction::None,
            client_id: id.clone(),
            id,
        }
    }

    pub fn config(&self) -> &Arc<SessionConfig> {
        &self.config
    }

    /// The session id, as Astro's `session.sessionID`: the id the session is (or will be) stored
    /// under, or `None` when there is none yet. An id from a cookie is replaced by a new one when
    /// loading finds no record for it.
    pub fn id(&self) -> Option<&SessionId> {
        self.id.as_ref()
    }

    /// The id whose record must be loaded before the stored values can be read, if any.
    pub fn load_needed(&self) -> Option<SessionId> {
        match (&self.stored, &self.id) {
            (Stored::NotLoaded | Stored::Written { .. }, Some(id)) if !self.cleared && self.origin != Origin::Fresh => {
                Some(id.clone())
            }
            _ => None,
        }
    }

    /// Takes in what [`commit::load`] read for `id`.
    pub fn apply_load(&mut self, id: &SessionId, loaded: Option<LoadedRecord>) -> Result<()> {
        if self.id.as_ref() != Some(id) || self.load_needed().is_none() {
            return Ok(()); // the session moved on while the record was read
        }
        let Some(LoadedRecord { record, decoded }) = loaded else {
            self.stored = Stored::Missing;
            if self.origin == Origin::Cookie {
                // No record for the id the client sent: never adopt a client-chosen id.
                self.id = Some(SessionId::generate());
                self.origin = Origin::Fresh;
            }
            return Ok(());
        };
        if record == TOMBSTONE {
            // Destroyed by another request. The id is kept, so that a commit finds the tombstone
            // and drops this request's changes instead of starting a session in its place.
            self.stored = Stored::Missing;
            return Ok(());
        }
        match decoded {
            Ok(data::Decoded { values, parsed }) => {
                self.stored = Stored::Found { record, values, parsed: Some(parsed) };
                Ok(())
            }
            Err(error) => {
                // As Astro does: a record that cannot be read is destroyed, so the next request
                // starts afresh instead of failing forever.
                self.stored = Stored::Found { record, values: IndexMap::new(), parsed: None };
                self.destroy();
                Err(Error::parse(format!("stored session {id} could not be read and was discarded: {}", error.message)))
            }
        }
    }

    /// The value of `key` in V8's format; `None` when there is none.
    pub fn get(&self, key: &str) -> Result<Lookup<Option<Vec<u8>>>> {
        if let Some(change) = self.changes.get(key) {
            return Ok(Lookup::Ready(match change {
                Change::Set { handoff, .. } => Some(handoff_as_v8(handoff)?),
                Change::Delete => None,
            }));
        }
        let now = now_ms();
        Ok(self.stored_values().map(|values| {
            let value = values.and_then(|values| values.get(key));
            // A value can expire between the load and this read.
            value.filter(|value| !value.expires.is_some_and(|e| e < now)).map(|value| value.v8.clone())
        }))
    }

    /// The keys of the session in order: stored keys where they were, new keys after them.
    pub fn keys(&self) -> Lookup<Vec<String>> {
        let Lookup::Ready(stored) = self.stored_values() else { return Lookup::NeedsLoad };
        let stored_keys = stored.into_iter().flat_map(|values| values.keys());
        let keys = stored_keys
            .filter(|key| !self.changes.contains_key(key.as_str()))
            .chain(self.changes.iter().filter(|(_, change)| matches!(change, Change::Set { .. })).map(|(key, _)| key));
        Lookup::Ready(keys.cloned().collect())
    }

    /// Every (key, value in V8's format) in the order of [`Session::keys`].
    pub fn entries(&self) -> Result<Lookup<Vec<Entry>>> {
        let Lookup::Ready(keys) = self.keys() else { return Ok(Lookup::NeedsLoad) };
        let mut entries = Vec::with_capacity(keys.len());
        for key in keys {
            if let Lookup::Ready(Some(value)) = self.get(&key)? {
                entries.push((key, value));
            }
        }
        Ok(Lookup::Ready(entries))
    }

    /// Stores `handoff` (a value as `lib/handoff.js` hands it over) under `key`, to expire after
    /// `ttl` (or the configured default).
    pub fn set(&mut self, key: &str, handoff: Vec<u8>, ttl: Option<Duration>) -> Result<()> {
        check_key(key)?;
        if self.id.is_none() {
            self.id = Some(SessionId::generate());
            self.origin = Origin::Fresh;
        }
        let expires = ttl.or(self.config.default_ttl).map(|ttl| now_ms() + ttl.as_millis() as f64);
        self.changes.insert(key.to_owned(), Change::Set { handoff, expires });
        Ok(())
    }

    pub fn delete(&mut self, key: &str) -> Result<()> {
        check_key(key)?;
        self.changes.insert(key.to_owned(), Change::Delete);
        Ok(())
    }

    /// Ends the session: its record is removed (tombstoned) at commit and the cookie expired. A
    /// later `set()` starts a new session.
    pub fn destroy(&mut self) {
        if let Some(id) = self.id.take() {
            if self.origin != Origin::Fresh {
                let record = match std::mem::replace(&mut self.stored, Stored::Missing) {
                    Stored::Found { record, .. } | Stored::Written { record } => Some(record),
                    Stored::NotLoaded | Stored::Missing => None,
                };
                self.destroyed.push((id, record));
            }
        }
        if let Some(from) = self.regenerated_from.take() {
            self.destroyed.push(from);
        }
        self.stored = Stored::Missing;
        self.changes.clear();
        self.cleared = true;
        self.origin = Origin::Fresh;
        self.cookie = CookieAction::Expire;
    }

    /// A new id for the same values (session fixation defence). The values must be loaded first;
    /// the old record is removed at commit, after the values are stored under the new id.
    pub fn regenerate(&mut self) -> Result<()> {
        if self.load_needed().is_some() {
            return Err(Error::storage("regenerate() needs the session loaded first"));
        }
        if let (Some(id), Origin::Cookie | Origin::Loaded) = (self.id.take(), self.origin) {
            if self.regenerated_from.is_none() {
                self.regenerated_from = Some((id, self.stored.record().cloned()));
            }
        }
        self.id = Some(SessionId::generate());
        self.origin = Origin::Fresh;
        self.cookie = CookieAction::Send;
        Ok(())
    }

    /// Switches to the stored session `id` (Astro's `session.load(id)`); changes not committed
    /// are dropped. Load it next ([`commit::load`]).
    pub fn switch_to(&mut self, id: SessionId) {
        self.id = Some(id);
        self.origin = Origin::Loaded;
        self.stored = Stored::NotLoaded;
        self.changes.clear();
        self.cleared = false;
        self.cookie = CookieAction::Send;
    }

    /// Whether a commit has anything to do.
    pub fn is_dirty(&self) -> bool {
        !self.changes.is_empty()
            || !self.destroyed.is_empty()
            || self.regenerated_from.is_some()
            || self.cookie != CookieAction::None
    }

    /// The stored values this session sees: none after `destroy()` or for a new session.
    /// Takes out what a commit must do; the session keeps none of it until
    /// [`Session::finish_commit`] or [`Session::abort_commit`].
    pub fn plan_commit(&mut self) -> CommitPlan {
        let changes = std::mem::take(&mut self.changes);
        let regenerated_from = self.regenerated_from.take();
        let write = match (&self.id, self.origin) {
            (Some(_), _) if changes.is_empty() && regenerated_from.is_none() => None,
            (Some(id), Origin::Fresh) => Some(WritePlan::Create { id: id.clone(), from: regenerated_from.clone() }),
            (Some(id), origin) => Some(WritePlan::Merge {
                id: id.clone(),
                loaded: self.stored.record().cloned(),
                // Taken, not cloned: a commit is the last use of it.
                parsed: match &mut self.stored {
                    Stored::Found { parsed, .. } => parsed.take(),
                    _ => None,
                },
                create_if_missing: origin == Origin::Loaded,
            }),
            (None, _) => None,
        };
        CommitPlan {
            store: self.config.store.clone(),
            locks: self.config.commit_locks.clone(),
            lifetime: self.config.lifetime,
            max_size: self.config.max_size,
            write,
            changes,
            regenerated_from,
            tombstones: std::mem::take(&mut self.destroyed),
        }
    }

    /// Puts back what a failed commit took out, so the application may try again.
    pub fn abort_commit(&mut self, plan: CommitPlan) {
        for (key, change) in plan.changes {
            // A change made while the commit ran is newer: keep it.
            self.changes.entry(key).or_insert(change);
        }
        if self.regenerated_from.is_none() {
            self.regenerated_from = plan.regenerated_from;
        }
        let mut tombstones = plan.tombstones;
        tombstones.append(&mut self.destroyed);
        self.destroyed = tombstones;
    }

    /// Takes in what the commit did; returns the `Set-Cookie` values to send.
    pub fn finish_commit(&mut self, outcome: commit::Outcome) -> Vec<String> {
        let mut expire = self.cookie == CookieAction::Expire;
        let mut send = self.cookie == CookieAction::Send;
        match outcome {
            commit::Outcome::Unchanged => {}
            commit::Outcome::Written { id, record } => {
                if self.id.as_ref() != Some(&id) || self.client_id.as_ref() != Some(&id) {
                    send = true;
                }
                // A cookie with a max age is refreshed whenever the session is written, so it does
                // not run out while the session is in use.
                send |= self.config.cookie.max_age.is_some();
                self.id = Some(id);
                self.origin = Origin::Cookie;
                self.stored = Stored::Written { record };
            }
            commit::Outcome::Dropped => {
                // The session was destroyed by another request meanwhile: do not bring it back.
                self.id = None;
                self.origin = Origin::Fresh;
                self.stored = Stored::Missing;
                expire = true;
                send = false;
            }
        }
        self.cookie = CookieAction::None;
        let cookie = &self.config.cookie;
        match (&self.id, send, expire) {
            (Some(id), true, _) => {
                self.client_id = Some(id.clone());
                vec![cookie.set_cookie(id.as_str())]
            }
            (_, _, true) => {
                self.client_id = None;
                vec![cookie.expire_cookie()]
            }
            _ => Vec::new(),
        }
    }

    fn stored_values(&self) -> Lookup<Option<&IndexMap<String, StoredValue>>> {
        if self.cleared || self.id.is_none() {
            return Lookup::Ready(None);
        }
        match &self.stored {
            Stored::NotLoaded if self.origin == Origin::Fresh => Lookup::Ready(None),
            Stored::NotLoaded | Stored::Written { .. } => Lookup::NeedsLoad,
            Stored::Missing => Lookup::Ready(None),
            Stored::Found { values, .. } => Lookup::Ready(Some(values)),
        }
    }
}

/// What a commit must do, taken out of a [`Session`] by [`Session::plan_commit`].
pub struct CommitPlan {
    store: Arc<dyn SessionStore>,
    locks: Arc<locks::CommitLocks>,
    lifetime: Duration,
    max_size: Option<usize>,
    write: Option<WritePlan>,
    changes: IndexMap<String, Change>,
    regenerated_from: Option<(SessionId, Option<Vec<u8>>)>,
    /// Destroyed sessions, with their records as loaded.
    tombstones: Vec<(SessionId, Option<Vec<u8>>)>,
}

enum WritePlan {
    /// Merge the changes into the record of `id`, which this request `loaded` (if it did; and
    /// `parsed`, if it still has it parsed).
    Merge { id: SessionId, loaded: Option<Vec<u8>>, parsed: Option<data::Parsed>, create_if_missing: bool },
    /// Store a new session `id`: the values of `from` (a regenerated session, its record as
    /// loaded) with the changes applied, then tombstone `from`.
    Create { id: SessionId, from: Option<(SessionId, Option<Vec<u8>>)> },
}

impl<T> Lookup<T> {
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Lookup<U> {
        match self {
            Lookup::NeedsLoad => Lookup::NeedsLoad,
            Lookup::Ready(value) => Lookup::Ready(f(value)),
        }
    }
}

fn check_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(Error::key("a session key must be a non-empty string"));
    }
    Ok(())
}

/// A value set in this request, as V8 bytes the JS layer can read (the hand-off may carry a
/// trailer or be devalue text).
fn handoff_as_v8(handoff: &[u8]) -> Result<Vec<u8>> {
    let (graph, root) = decode_handoff(handoff)?;
    v8::write(&graph, root)
}
