//! One request's session: Astro's `session` object as a state machine that does no I/O itself.
//!
//! The JS-facing methods that need no storage (`set`, `delete`, `destroy`, and every read once the
//! session is loaded) are plain synchronous calls. The two that do — loading and committing — are
//! split in a *plan* taken from the state, run against a store without holding the state
//! ([`load::load`], [`commit::commit`]), and a result applied back. So the state is never locked
//! across I/O and the JS thread never waits on it.
//!
//! Differences from Astro, each on purpose:
//! - a commit writes this request's own changes merged into the record as it is at commit time
//!   (compare-and-set), so concurrent requests do not lose each other's updates;
//! - `regenerate()` removes the old record only after the new one is stored;
//! - a `set()` after `destroy()` starts a new session under a new id, with its own cookie;
//! - a destroyed session leaves a tombstone, so a request still in flight cannot bring it back;
//!   a session that `regenerate()` moved leaves a *retired* tombstone, and a request still in
//!   flight on it drops its changes without touching the cookie (which by then names the new id);
//! - an id from a cookie is used only if its record exists (otherwise a new id is made: fixation
//!   defence), and a cookie value that is not a well-formed id is ignored; `sessionID` stays
//!   undefined until the record is found or a new id is made.
//!
//! Reads convert only what they return (see [`crate::record`]), within the [`Limits`].

pub mod commit;
pub mod expiry;
pub mod load;
#[cfg(test)]
mod tests;
pub mod update;

use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;

use crate::codec::{decode_handoff, v8};
use crate::cookie::CookieConfig;
use crate::id::SessionId;
use crate::keyed_locks::KeyedLocks;
use crate::limits::Limits;
use crate::record::{is_reserved, Change, Record, CREATED_KEY, RETIRED, TOMBSTONE};
use crate::store::{now_ms, SessionStore};
use crate::{Error, Result};

/// How long a stored session lives after its last write, unless configured.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// How long a load or a commit may take in all, every wait included, unless configured.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest `ttl` of a value: about a century (the longest expiry the stores keep, too). A
/// larger number is a mistake to report, not a reason to overflow a clock.
pub const MAX_TTL: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// What every session of one `createSessions()` shares.
pub struct SessionConfig {
    pub cookie: CookieConfig,
    /// Default lifetime of a value (`ttl`); `None`: values live as long as the session.
    pub default_ttl: Option<Duration>,
    /// How long a stored session lives after it was last used (its idle timeout; see [`expiry`]).
    pub lifetime: Duration,
    /// How long a session lives after it was created, however active (see [`expiry`]).
    pub absolute_timeout: Option<Duration>,
    /// Send the cookie again (refreshing its Max-Age) whenever the session is extended by a read.
    pub rolling: bool,
    pub limits: Limits,
    /// How long a load or a commit may take in all: waiting for other requests' commits, for
    /// locks, connections and commands, and retrying.
    pub timeout: Duration,
    pub store: Arc<dyn SessionStore>,
    /// Commits to one session from this process take turns: compare-and-set alone is correct,
    /// but a burst of commits to one session would otherwise make most of them retry many times.
    turns: KeyedLocks<SessionId>,
}

impl SessionConfig {
    /// Sessions on `store` with `cookie`, values that do not expire on their own,
    /// [`DEFAULT_LIFETIME`] and the default [`Limits`].
    pub fn new(store: Arc<dyn SessionStore>, cookie: CookieConfig) -> Self {
        Self {
            cookie,
            default_ttl: None,
            lifetime: DEFAULT_LIFETIME,
            absolute_timeout: None,
            rolling: false,
            limits: Limits::default(),
            timeout: DEFAULT_TIMEOUT,
            store,
            turns: KeyedLocks::default(),
        }
    }
}

/// A number of seconds as a value's `ttl`: from 0 to [`MAX_TTL`].
pub fn ttl_from_seconds(seconds: f64) -> Result<Duration> {
    if !(seconds >= 0.0 && seconds <= MAX_TTL.as_secs_f64()) {
        return Err(Error::config(format!(
            "ttl must be a number of seconds from 0 to {} (about 100 years)",
            MAX_TTL.as_secs()
        )));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// How the current id came to be; it decides what a commit may do with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    /// From the request's cookie: used only if its record exists.
    Cookie,
    /// Made here; no record yet.
    Fresh,
    /// Chosen by the application for a new session (`regenerate(id)`); no record yet, and created
    /// only if no other session has it.
    Chosen,
    /// Given to `load(id)` by the application, which may create it.
    Loaded,
}

impl Origin {
    /// A new id: no record has been stored under it yet, so there is nothing to load or end.
    fn is_new(self) -> bool {
        matches!(self, Origin::Fresh | Origin::Chosen)
    }
}

#[derive(Debug)]
enum Stored {
    NotLoaded,
    /// Loaded: there was no record.
    Missing,
    /// Loaded: the session has ended (a tombstone); its id is kept so that a commit finds the
    /// tombstone and drops this request's changes instead of starting a session in its place.
    Ended(Ended),
    /// Loaded: the record as stored, and parsed (shared with a commit that merges into it).
    Found { record: Vec<u8>, parsed: Arc<Record> },
    /// Committed by this request: the record as written. Its values are parsed only if they are
    /// read again (they are loaded then), which few requests do after their commit.
    Written { record: Vec<u8> },
}

impl Stored {
    /// The record as this request last saw it, if there is one.
    fn record(&self) -> Option<&Vec<u8>> {
        match self {
            Stored::Found { record, .. } | Stored::Written { record } => Some(record),
            Stored::NotLoaded | Stored::Missing | Stored::Ended(_) => None,
        }
    }
}

/// How a session ended, by its tombstone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// `destroy()`: the client's cookie is expired.
    Destroyed,
    /// `regenerate()` moved the values to a new id, which the client has been (or is being)
    /// given: its cookie is left alone.
    Retired,
}

impl Ended {
    /// How `record` says the session ended, if it is a tombstone.
    pub fn of(record: &[u8]) -> Option<Self> {
        match record {
            TOMBSTONE => Some(Ended::Destroyed),
            RETIRED => Some(Ended::Retired),
            _ => None,
        }
    }
}

/// A record read from the store and parsed — off the session's lock (see [`load::load`]).
pub struct LoadedRecord {
    record: Vec<u8>,
    parsed: Result<Record>,
    /// When the store will drop it (epoch milliseconds), if the store says.
    expires_at: Option<f64>,
}

impl LoadedRecord {
    pub fn new(record: Vec<u8>, expires_at: Option<f64>, limits: &Limits) -> Self {
        let parsed = Record::parse(&record, limits);
        Self { record, parsed, expires_at }
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
    /// This request's Max-Age for the cookie, in seconds, in place of the configured one
    /// (`Some(None)`: a browser-session cookie); see [`Session::set_cookie_max_age`].
    cookie_max_age: Option<Option<i64>>,
    /// The cookie's Max-Age was changed: the next write sends the cookie with it.
    cookie_max_age_changed: bool,
    /// The id the browser holds (what its cookie says, or what the last commit told it).
    client_id: Option<SessionId>,
    /// A read found the session past half of its idle timeout: the commit extends it.
    touch_due: bool,
    /// Flash values this request took from the store (`None`: another request took it first).
    consumed: IndexMap<String, Option<Vec<u8>>>,
    /// The session's turn, kept by an `update()` whose value changed while the JS layer computes
    /// the next one ([`update::update`]), so that its next attempt goes first.
    held_turn: Option<(SessionId, crate::keyed_locks::KeyGuard)>,
}

/// A key and its value in V8's format.
pub type KeyValue = (String, Vec<u8>);

/// The answer of a read that may need the stored values first.
#[derive(Debug, PartialEq)]
pub enum Lookup<T> {
    /// Load first ([`load::load`]), then ask again.
    NeedsLoad,
    /// These keys hold flash values: take them first ([`update::consume`]), then ask again.
    NeedsConsume(Vec<String>),
    Ready(T),
}

impl Session {
    /// The session of a request whose `Cookie` header is `cookie_header`.
    pub fn open(config: Arc<SessionConfig>, cookie_header: Option<&str>) -> Self {
        let id = cookie_header.and_then(|header| config.cookie.session_id_in(header));
        Self {
            config,
            origin: Origin::Cookie,
            stored: Stored::NotLoaded,
            changes: IndexMap::new(),
            cleared: false,
            destroyed: Vec::new(),
            regenerated_from: None,
            cookie: CookieAction::None,
            cookie_max_age: None,
            cookie_max_age_changed: false,
            client_id: id.clone(),
            touch_due: false,
            consumed: IndexMap::new(),
            held_turn: None,
            id,
        }
    }

    pub fn config(&self) -> &Arc<SessionConfig> {
        &self.config
    }

    /// The session id, as Astro's `session.sessionID`: the id the session is (or will be) stored
    /// under, or `None` when there is none yet. An id from a cookie counts only once its record
    /// has been found (until then it is only a claim of the client's); loading replaces it with a
    /// new one when there is no record for it.
    pub fn id(&self) -> Option<&SessionId> {
        let verified = match self.origin {
            Origin::Cookie => matches!(self.stored, Stored::Found { .. } | Stored::Written { .. }),
            Origin::Fresh | Origin::Chosen | Origin::Loaded => true,
        };
        self.id.as_ref().filter(|_| verified && !matches!(self.stored, Stored::Ended(_)))
    }

    /// The id whose record must be loaded before the stored values can be read, if any.
    pub fn load_needed(&self) -> Option<SessionId> {
        match (&self.stored, &self.id) {
            (Stored::NotLoaded | Stored::Written { .. }, Some(id)) if !self.cleared && !self.origin.is_new() => {
                Some(id.clone())
            }
            _ => None,
        }
    }

    /// Takes in what [`load::load`] read for `id`.
    pub fn apply_load(&mut self, id: &SessionId, loaded: Option<LoadedRecord>) -> Result<()> {
        if self.id.as_ref() != Some(id) || self.load_needed().is_none() {
            return Ok(()); // the session moved on while the record was read
        }
        let Some(LoadedRecord { record, parsed, expires_at }) = loaded else {
            self.stored = Stored::Missing;
            if self.origin == Origin::Cookie {
                // No record for the id the client sent: never adopt a client-chosen id.
                self.id = Some(SessionId::generate());
                self.origin = Origin::Fresh;
            }
            return Ok(());
        };
        if let Some(ended) = Ended::of(&record) {
            self.stored = Stored::Ended(ended);
            return Ok(());
        }
        match parsed {
            Ok(parsed) => {
                let now = now_ms();
                let created = parsed.created();
                self.stored = Stored::Found { record, parsed: Arc::new(parsed) };
                if expiry::past_absolute_timeout(&self.config, created, now) {
                    // Its time is up however active it was: it ends now, as a destroyed session
                    // does (and a later set() starts a new one).
                    self.destroy();
                } else {
                    self.touch_due = expiry::touch_due(&self.config, expires_at, now);
                }
                Ok(())
            }
            Err(error) => {
                // As Astro does: a record that cannot be read is destroyed, so the next request
                // starts afresh instead of failing forever.
                self.stored = Stored::Found { record, parsed: Arc::new(Record::empty()) };
                self.destroy();
                Err(Error::parse(format!("the stored session could not be read and was discarded: {}", error.message)))
            }
        }
    }

    /// The value of `key` in V8's format; `None` when there is none.
    pub fn get(&self, key: &str) -> Result<Lookup<Option<Vec<u8>>>> {
        check_key(key)?;
        if let Some(change) = self.changes.get(key) {
            return match change {
                Change::Set { handoff, .. } => Ok(Lookup::Ready(Some(self.handoff_as_v8(handoff)?))),
                Change::Delete => Ok(Lookup::Ready(None)),
            };
        }
        if let Some(taken) = self.consumed.get(key) {
            return Ok(Lookup::Ready(taken.clone()));
        }
        let Lookup::Ready(record) = self.stored_record() else { return Ok(Lookup::NeedsLoad) };
        if record.is_some_and(|record| record.entry(key, now_ms()).is_some_and(|entry| entry.flash)) {
            return Ok(Lookup::NeedsConsume(vec![key.to_owned()]));
        }
        // (A value can expire between the load and this read.)
        let now = now_ms();
        let Some((record, entry)) = record.and_then(|record| Some((record, record.entry(key, now)?))) else {
            return Ok(Lookup::Ready(None));
        };
        let mut budget = record.read_budget(&self.config.limits);
        let value = record.value_v8(entry, &mut budget).map_err(|error| in_value(key, error))?;
        Ok(Lookup::Ready(Some(value)))
    }

    /// Whether `key` has a value, without converting it (nor taking a flash value).
    pub fn has(&self, key: &str) -> Result<Lookup<bool>> {
        check_key(key)?;
        if let Some(change) = self.changes.get(key) {
            return Ok(Lookup::Ready(matches!(change, Change::Set { .. })));
        }
        if let Some(taken) = self.consumed.get(key) {
            return Ok(Lookup::Ready(taken.is_some()));
        }
        let now = now_ms();
        Ok(self.stored_record().map(|record| record.is_some_and(|record| record.entry(key, now).is_some())))
    }

    /// The keys of the session in order: stored keys where they were, new keys after them.
    pub fn keys(&self) -> Lookup<Vec<String>> {
        let Lookup::Ready(record) = self.stored_record() else { return Lookup::NeedsLoad };
        let now = now_ms();
        let stored_keys = record.into_iter().flat_map(|record| record.live_keys(now));
        let taken_by_another = |key: &str| matches!(self.consumed.get(key), Some(None));
        let in_record = |key: &str| record.is_some_and(|record| record.entry(key, now).is_some());
        // Flash values this request took are no longer in the stored record, but are its to read.
        let taken_here = self.consumed.iter().filter(|(key, value)| value.is_some() && !in_record(key)).map(|(key, _)| key.as_str());
        let keys = stored_keys
            .filter(|key| !self.changes.contains_key(*key) && !taken_by_another(key))
            .chain(taken_here.filter(|key| !self.changes.contains_key(*key)))
            .chain(self.changes.iter().filter(|(_, change)| matches!(change, Change::Set { .. })).map(|(key, _)| key.as_str()));
        Lookup::Ready(keys.map(str::to_owned).collect())
    }

    /// Every (key, value in V8's format) in the order of [`Session::keys`]. The values share one
    /// budget, so that a hostile record cannot expand through many keys either.
    pub fn entries(&self) -> Result<Lookup<Vec<KeyValue>>> {
        let Lookup::Ready(keys) = self.keys() else { return Ok(Lookup::NeedsLoad) };
        let Lookup::Ready(record) = self.stored_record() else { return Ok(Lookup::NeedsLoad) };
        let now = now_ms();
        let untaken: Vec<String> = record
            .into_iter()
            .flat_map(|record| record.flash_keys(now))
            .filter(|key| !self.changes.contains_key(*key) && !self.consumed.contains_key(*key))
            .map(str::to_owned)
            .collect();
        if !untaken.is_empty() {
            return Ok(Lookup::NeedsConsume(untaken));
        }
        let mut budget = record.map_or_else(
            || self.config.limits.read_budget(0),
            |record| record.read_budget(&self.config.limits),
        );
        let mut entries = Vec::with_capacity(keys.len());
        for key in keys {
            if let Some(taken) = self.consumed.get(&key) {
                if let Some(value) = taken {
                    entries.push((key, value.clone()));
                }
                continue;
            }
            let value = match self.changes.get(&key) {
                Some(Change::Set { handoff, .. }) => self.handoff_as_v8(handoff)?,
                Some(Change::Delete) => continue,
                None => match record.and_then(|record| Some((record, record.entry(&key, now)?))) {
                    Some((record, entry)) => record.value_v8(entry, &mut budget).map_err(|error| in_value(&key, error))?,
                    None => continue,
                },
            };
            entries.push((key, value));
        }
        Ok(Lookup::Ready(entries))
    }

    /// Stores `handoff` (a value as `lib/handoff.js` hands it over) under `key`, to expire after
    /// `ttl` (or the configured default).
    pub fn set(&mut self, key: &str, handoff: Vec<u8>, ttl: Option<Duration>) -> Result<()> {
        self.put(key, handoff, ttl, false)
    }

    /// As [`Session::set`], for a value that the next request to read it takes, and no other.
    pub fn flash(&mut self, key: &str, handoff: Vec<u8>, ttl: Option<Duration>) -> Result<()> {
        self.put(key, handoff, ttl, true)
    }

    fn put(&mut self, key: &str, handoff: Vec<u8>, ttl: Option<Duration>, flash: bool) -> Result<()> {
        check_key(key)?;
        let max_size = self.config.limits.max_size;
        if handoff.len() > max_size {
            return Err(Error::serialize(format!(
                "the value of {key:?} takes {} bytes, more than the whole session may (maxSize, {max_size} bytes)",
                handoff.len()
            )));
        }
        if self.id.is_none() {
            self.id = Some(SessionId::generate());
            self.origin = Origin::Fresh;
        }
        let expires = ttl.or(self.config.default_ttl).map(|ttl| now_ms() + ttl.as_millis() as f64);
        self.consumed.shift_remove(key);
        self.changes.insert(key.to_owned(), Change::Set { handoff, expires, flash });
        Ok(())
    }

    pub fn delete(&mut self, key: &str) -> Result<()> {
        check_key(key)?;
        self.consumed.shift_remove(key);
        self.changes.insert(key.to_owned(), Change::Delete);
        Ok(())
    }

    /// Ends the session: its record is removed (tombstoned) at commit and the cookie expired. A
    /// later `set()` starts a new session.
    pub fn destroy(&mut self) {
        if let Some(id) = self.id.take() {
            if !self.origin.is_new() {
                match std::mem::replace(&mut self.stored, Stored::Missing) {
                    Stored::Found { record, .. } | Stored::Written { record } => self.destroyed.push((id, Some(record))),
                    Stored::NotLoaded | Stored::Missing => self.destroyed.push((id, None)),
                    // Already a tombstone.
                    Stored::Ended(_) => {}
                }
            }
        }
        if let Some(from) = self.regenerated_from.take() {
            self.destroyed.push(from);
        }
        self.stored = Stored::Missing;
        self.changes.clear();
        self.consumed.clear();
        self.cleared = true;
        self.touch_due = false;
        self.origin = Origin::Fresh;
        self.cookie = CookieAction::Expire;
    }

    /// A new id for the same values (session fixation defence): `new_id`, chosen by the
    /// application (express-session's `genid`), or a generated one. The values must be loaded
    /// first; the old record is removed at commit, after the values are stored under the new id.
    /// A chosen id is stored only if no session has it yet (the commit fails otherwise).
    pub fn regenerate(&mut self, new_id: Option<SessionId>) -> Result<()> {
        if self.load_needed().is_some() {
            return Err(Error::storage("regenerate() needs the session loaded first"));
        }
        let has_record = !matches!(self.stored, Stored::Missing | Stored::Ended(_));
        if let (Some(id), Origin::Cookie | Origin::Loaded, true) = (self.id.take(), self.origin, has_record) {
            if self.regenerated_from.is_none() {
                self.regenerated_from = Some((id, self.stored.record().cloned()));
            }
        }
        (self.id, self.origin) = match new_id {
            Some(id) => (Some(id), Origin::Chosen),
            None => (Some(SessionId::generate()), Origin::Fresh),
        };
        self.cookie = CookieAction::Send;
        Ok(())
    }

    /// Switches to the stored session `id` (Astro's `session.load(id)`); changes not committed
    /// are dropped. Load it next ([`load::load`]).
    pub fn switch_to(&mut self, id: SessionId) {
        self.id = Some(id);
        self.origin = Origin::Loaded;
        self.stored = Stored::NotLoaded;
        self.changes.clear();
        self.consumed.clear();
        self.cleared = false;
        self.touch_due = false;
        self.cookie = CookieAction::Send;
    }

    /// Gives back the turn an `update()` kept (see [`update::update`]).
    pub fn release_turn(&mut self) {
        self.held_turn = None;
    }

    /// About how many bytes this session holds on the heap that grow with what it stores: the
    /// record as loaded or written, its parsed form, and the values this request set. (A binding
    /// tells its garbage collector, so that a request object holding a large session is freed
    /// before many of them pile up.)
    pub fn heap_bytes(&self) -> usize {
        let stored = match &self.stored {
            // (A parsed record shared with a commit under way is counted here too.)
            Stored::Found { record, parsed } => record.capacity() + parsed.heap_bytes(),
            Stored::Written { record } => record.capacity(),
            Stored::NotLoaded | Stored::Missing | Stored::Ended(_) => 0,
        };
        let set: usize = self
            .changes
            .iter()
            .map(|(key, change)| match change {
                Change::Set { handoff, .. } => key.capacity() + handoff.capacity(),
                Change::Delete => key.capacity(),
            })
            .sum();
        let moved = self.regenerated_from.as_ref().and_then(|(_, record)| record.as_ref()).map_or(0, Vec::capacity);
        stored + set + moved
    }

    /// Whether a commit has anything to do.
    pub fn is_dirty(&self) -> bool {
        !self.changes.is_empty()
            || !self.destroyed.is_empty()
            || self.regenerated_from.is_some()
            || self.cookie != CookieAction::None
            || self.touch_due
    }

    /// The stored values this session sees: none after `destroy()` or for a new session.
    /// Takes out what a commit must do; the session keeps none of it until
    /// [`Session::finish_commit`] or [`Session::abort_commit`].
    pub fn plan_commit(&mut self) -> CommitPlan {
        let mut changes = std::mem::take(&mut self.changes);
        let regenerated_from = self.regenerated_from.take();
        let touch_due = std::mem::take(&mut self.touch_due);
        if self.config.absolute_timeout.is_some() && !changes.is_empty() && self.lacks_creation_time() {
            // The absolute timeout runs from now for a session that has no creation time yet (a
            // new one, or one made before the option was set).
            changes.insert(CREATED_KEY.to_owned(), Change::set_number(now_ms()));
        }
        let write = match (&self.id, self.origin) {
            (Some(id), _) if changes.is_empty() && regenerated_from.is_none() => match (&self.stored, touch_due) {
                (Stored::Found { record, parsed }, true) => {
                    let lifetime = expiry::store_lifetime(&self.config, parsed.latest_expiry(), parsed.created(), now_ms());
                    Some(WritePlan::Touch { id: id.clone(), record: record.clone(), lifetime })
                }
                _ => None,
            },
            (Some(id), origin) if origin.is_new() => Some(WritePlan::Create {
                id: id.clone(),
                from: regenerated_from.clone(),
                chosen: origin == Origin::Chosen,
            }),
            (Some(id), origin) => Some(WritePlan::Merge {
                id: id.clone(),
                loaded: match &self.stored {
                    Stored::Found { record, parsed } => Loaded::Parsed(record.clone(), parsed.clone()),
                    Stored::Written { record } => Loaded::Record(record.clone()),
                    Stored::Ended(ended) => Loaded::Ended(*ended),
                    Stored::NotLoaded | Stored::Missing => Loaded::Nothing,
                },
                create_if_missing: origin == Origin::Loaded,
            }),
            (None, _) => None,
        };
        CommitPlan {
            config: self.config.clone(),
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

    /// The cookie's Max-Age for this request (seconds; `None`: a browser-session cookie), in
    /// place of the configured one — for a session whose cookie lasts longer or shorter than the
    /// others ("remember me"), which the caller keeps track of. With `changed`, the cookie is
    /// sent with it at the next write even where it would not be otherwise.
    pub fn set_cookie_max_age(&mut self, max_age: Option<i64>, changed: bool) -> Result<()> {
        if max_age.is_some_and(|seconds| !(0..=MAX_TTL.as_secs() as i64).contains(&seconds)) {
            return Err(Error::config(format!("a cookie's max age must be from 0 to {} seconds (about 100 years)", MAX_TTL.as_secs())));
        }
        self.cookie_max_age = Some(max_age);
        self.cookie_max_age_changed |= changed;
        Ok(())
    }

    /// Takes in what the commit did; returns the `Set-Cookie` values to send.
    pub fn finish_commit(&mut self, outcome: commit::Outcome) -> Vec<String> {
        let mut expire = self.cookie == CookieAction::Expire;
        let mut send = self.cookie == CookieAction::Send;
        let max_age = self.cookie_max_age.unwrap_or(self.config.cookie.max_age);
        match outcome {
            commit::Outcome::Unchanged => {}
            commit::Outcome::Touched => {
                // Extended by a read: with `rolling`, the cookie's Max-Age is renewed with it.
                send |= self.config.rolling && max_age.is_some();
            }
            commit::Outcome::Written { id, record } => {
                if self.id.as_ref() != Some(&id) || self.client_id.as_ref() != Some(&id) {
                    send = true;
                }
                // A cookie with a max age is refreshed whenever the session is written, so it does
                // not run out while the session is in use; one whose max age changed is sent.
                send |= max_age.is_some() || std::mem::take(&mut self.cookie_max_age_changed);
                self.id = Some(id);
                self.origin = Origin::Cookie;
                self.stored = Stored::Written { record };
            }
            commit::Outcome::Dropped(ended) => {
                // The session ended in another request meanwhile: do not bring it back. If it was
                // destroyed, the cookie goes too; if regenerate() retired it, the client has (or
                // is getting) the new id's cookie, which must not be touched.
                self.id = None;
                self.origin = Origin::Fresh;
                self.stored = Stored::Missing;
                expire = ended == Ended::Destroyed;
                send = false;
            }
        }
        self.cookie = CookieAction::None;
        let cookie = &self.config.cookie;
        match (&self.id, send, expire) {
            (Some(id), true, _) => {
                self.client_id = Some(id.clone());
                vec![cookie.set_cookie_lasting(id, max_age)]
            }
            (_, _, true) => {
                self.client_id = None;
                vec![cookie.expire_cookie()]
            }
            _ => Vec::new(),
        }
    }

    /// Whether the session is known to have no creation time yet: a new one, or a stored one
    /// that does not say. (A record this request has not read may well have one: it is not
    /// stamped again, which would restart its absolute timeout.)
    fn lacks_creation_time(&self) -> bool {
        match &self.stored {
            Stored::Found { parsed, .. } => parsed.created().is_none(),
            Stored::NotLoaded | Stored::Missing => self.origin.is_new() || self.stored_is_missing(),
            Stored::Written { .. } | Stored::Ended(_) => false,
        }
    }

    fn stored_is_missing(&self) -> bool {
        matches!(self.stored, Stored::Missing)
    }

    /// The stored record this session sees: none after `destroy()` or for a new session.
    fn stored_record(&self) -> Lookup<Option<&Record>> {
        if self.cleared || self.id.is_none() {
            return Lookup::Ready(None);
        }
        match &self.stored {
            Stored::NotLoaded if self.origin.is_new() => Lookup::Ready(None),
            Stored::NotLoaded | Stored::Written { .. } => Lookup::NeedsLoad,
            Stored::Missing | Stored::Ended(_) => Lookup::Ready(None),
            Stored::Found { parsed, .. } => Lookup::Ready(Some(parsed)),
        }
    }

    /// A value set in this request, as V8 bytes the JS layer can read (the hand-off may carry a
    /// trailer or be devalue text, and the value may be of any shape the hand-off allowed).
    fn handoff_as_v8(&self, handoff: &[u8]) -> Result<Vec<u8>> {
        let (graph, root) = decode_handoff(handoff)?;
        v8::write_within(&graph, root, &mut self.config.limits.read_budget(handoff.len()))
    }
}

/// A value's error, said of its key.
fn in_value(key: &str, error: Error) -> Error {
    Error::new(error.code, format!("the value of {key:?} could not be read: {}", error.message))
}

/// What a commit must do, taken out of a [`Session`] by [`Session::plan_commit`].
pub struct CommitPlan {
    config: Arc<SessionConfig>,
    write: Option<WritePlan>,
    changes: IndexMap<String, Change>,
    regenerated_from: Option<(SessionId, Option<Vec<u8>>)>,
    /// Destroyed sessions, with their records as loaded.
    tombstones: Vec<(SessionId, Option<Vec<u8>>)>,
}

/// What a request knew of the record it merges into.
enum Loaded {
    Nothing,
    /// The record as it read it, and parsed.
    Parsed(Vec<u8>, Arc<Record>),
    /// The record as it last wrote it.
    Record(Vec<u8>),
    /// A tombstone.
    Ended(Ended),
}

enum WritePlan {
    /// Merge the changes into the record of `id`, starting from what this request `loaded`.
    Merge { id: SessionId, loaded: Loaded, create_if_missing: bool },
    /// Store a new session `id`: the values of `from` (a regenerated session, its record as
    /// loaded) with the changes applied, then retire `from`. An id the application `chosen` is
    /// stored only if no session has it yet.
    Create { id: SessionId, from: Option<(SessionId, Option<Vec<u8>>)>, chosen: bool },
    /// Nothing changed, but a read found the session half-way through its idle timeout: make the
    /// store keep `record` (if it is still what is stored) for `lifetime` from now.
    Touch { id: SessionId, record: Vec<u8>, lifetime: Duration },
}

impl<T> Lookup<T> {
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Lookup<U> {
        match self {
            Lookup::NeedsLoad => Lookup::NeedsLoad,
            Lookup::NeedsConsume(keys) => Lookup::NeedsConsume(keys),
            Lookup::Ready(value) => Lookup::Ready(f(value)),
        }
    }
}

/// The session behind a lock. Session methods leave the state consistent at every step, so a
/// poisoned lock is usable.
pub fn lock(session: &std::sync::Mutex<Session>) -> std::sync::MutexGuard<'_, Session> {
    session.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn check_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(Error::key("a session key must be a non-empty string"));
    }
    if is_reserved(key) {
        return Err(Error::key(format!(
            "session keys starting with {:?} are napi-session's own",
            crate::record::RESERVED_PREFIX
        )));
    }
    Ok(())
}

