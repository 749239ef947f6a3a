//! Committing a session: its changes merged into the record as it is in the store *now*, written
//! with compare-and-set, all within one deadline ([`SessionConfig::timeout`]).
//!
//! The plan is taken out of the session under its lock, the I/O runs without the lock, and the
//! outcome is put back — so the JS thread, which takes the same lock for `set()` or `get()`, never
//! waits on storage.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{lock, CommitPlan, Ended, Loaded, Session, SessionConfig, WritePlan};
use crate::deadline::Deadline;
use crate::id::SessionId;
use crate::record::{self, Base, Change, RETIRED, TOMBSTONE};
use crate::store::{now_ms, Expected, Saved, SessionStore, RETIRED_LIFETIME, TOMBSTONE_LIFETIME};
use crate::{Error, Result};

/// What a commit did.
#[derive(Debug)]
pub enum Outcome {
    /// Nothing needed writing (or only tombstones were written).
    Unchanged,
    /// Nothing changed; the store was told to keep the session longer.
    Touched,
    /// The values are stored under `id` as `record`.
    Written { id: SessionId, record: Vec<u8> },
    /// The session ended in another request while this one ran; its changes were not written,
    /// so as not to bring it back.
    Dropped(Ended),
}

/// Persists the session's changes; returns the `Set-Cookie` values to send.
pub async fn commit(session: &Mutex<Session>) -> Result<Vec<String>> {
    let mut plan = {
        let mut session = lock(session);
        // (Its own turn, should an update() have kept it: the commit takes turns itself.)
        session.release_turn();
        if !session.is_dirty() {
            return Ok(Vec::new());
        }
        session.plan_commit()
    };
    let deadline = Deadline::after(plan.config.timeout);
    match execute(&mut plan, deadline).await {
        Ok(outcome) => Ok(lock(session).finish_commit(outcome)),
        Err(error) => {
            lock(session).abort_commit(plan);
            Err(error)
        }
    }
}

async fn execute(plan: &mut CommitPlan, deadline: Deadline) -> Result<Outcome> {
    // Moved out: the merge consumes the record parsed at load.
    let write = plan.write.take();
    let plan = &*plan;
    let changes: Vec<(&str, &Change)> = plan.changes.iter().map(|(k, c)| (k.as_str(), c)).collect();
    let has_values = changes.iter().any(|(_, change)| matches!(change, Change::Set { .. }));
    let outcome = match write {
        None => Outcome::Unchanged,
        Some(WritePlan::Merge { id, loaded, create_if_missing }) => {
            let had_record = matches!(loaded, Loaded::Parsed(..) | Loaded::Record(_));
            match merge_into(plan, &id, loaded, &changes, deadline).await? {
                MergeOutcome::Written(outcome) => outcome,
                MergeOutcome::Ended(ended) => Outcome::Dropped(ended),
                // Gone since this request read it: deleted (by Astro, say) or expired meanwhile.
                MergeOutcome::Absent if had_record => Outcome::Dropped(Ended::Destroyed),
                MergeOutcome::Absent if !has_values => Outcome::Unchanged,
                // No record because the id was never ours (a stale or forged cookie, or an expired
                // session): the values go to a new id. Only an id the application chose with
                // load(id) is created as it is.
                MergeOutcome::Absent if create_if_missing => create(plan, &id, Source::Chosen, &changes, deadline).await?,
                MergeOutcome::Absent => create(plan, &SessionId::generate(), Source::Fresh, &changes, deadline).await?,
            }
        }
        Some(WritePlan::Create { id, from: Some(from), chosen }) => {
            create(plan, &id, Source::Regenerated { from, chosen }, &changes, deadline).await?
        }
        Some(WritePlan::Create { id, from: None, chosen: true }) => create(plan, &id, Source::Chosen, &changes, deadline).await?,
        Some(WritePlan::Create { id, from: None, chosen: false }) => create(plan, &id, Source::Fresh, &changes, deadline).await?,
        Some(WritePlan::Touch { id, record, lifetime }) => {
            let touch = plan.config.store.touch(&id, &record, lifetime);
            match deadline.run("extending the session", touch).await? {
                true => Outcome::Touched,
                // Changed meanwhile: whoever changed it extended it.
                false => Outcome::Unchanged,
            }
        }
    };
    for (id, loaded) in &plan.tombstones {
        tombstone(plan, id, loaded.clone(), deadline).await?;
    }
    Ok(outcome)
}

enum MergeOutcome {
    Written(Outcome),
    Absent,
    Ended(Ended),
}

/// Merges `changes` into the live record of `id`, compare-and-set, starting from the record as
/// this request `loaded` it (saving a read; compare-and-set catches it if it is stale) or as it is
/// now.
async fn merge_into(
    plan: &CommitPlan,
    id: &SessionId,
    loaded: Loaded,
    changes: &[(&str, &Change)],
    deadline: Deadline,
) -> Result<MergeOutcome> {
    let store = plan.config.store.as_ref();
    let _turn = take_turn(&plan.config, id, deadline).await?;
    let (mut current, mut parsed) = match loaded {
        // A tombstone is never revived (it only expires, and then the id is unknown).
        Loaded::Ended(ended) => return Ok(MergeOutcome::Ended(ended)),
        Loaded::Parsed(record, parsed) => (Some(record), Some(parsed)),
        Loaded::Record(record) => (Some(record), None),
        Loaded::Nothing => (read(store, id, deadline).await?, None),
    };
    let mut attempt = 0u32;
    loop {
        let record = match current.as_deref() {
            None => return Ok(MergeOutcome::Absent),
            Some(record) => match Ended::of(record) {
                Some(ended) => return Ok(MergeOutcome::Ended(ended)),
                None => record,
            },
        };
        // The first attempt starts from the record as loaded, already parsed; a retry from what
        // the store answered.
        let base = match parsed.take() {
            Some(parsed) => Base::Parsed(parsed),
            None => Base::Stored(Some(record)),
        };
        let (merged, lifetime) = merge(&plan.config, base, changes)?;
        let save = store.save(id, &merged, lifetime, Expected::Current(record));
        match deadline.run("saving the session", save).await? {
            Saved::Done => return Ok(MergeOutcome::Written(Outcome::Written { id: id.clone(), record: merged })),
            Saved::Conflict(now) => current = now,
        }
        back_off(attempt, deadline).await?;
        attempt = attempt.saturating_add(1);
    }
}

/// Where the values of a new session come from.
enum Source {
    /// A freshly generated id: 122 random bits do not collide, so no check is needed (and a JS
    /// driver is spared a read).
    Fresh,
    /// An id the application chose (`load(id)`, `regenerate(id)`): created only if nobody else
    /// has meanwhile.
    Chosen,
    /// A regenerated session: its old id, and its record as this request loaded it; whether the
    /// application chose the new id.
    Regenerated { from: (SessionId, Option<Vec<u8>>), chosen: bool },
}

/// Stores the values as the new session `id`: those of the regenerated session (its live record,
/// if any), with the changes applied. Then retires the old id, compare-and-set: if it changed
/// meanwhile, the new session is written again with those changes, so nothing written to the old
/// id before the retirement is lost.
///
/// Once the new record is stored, the commit succeeds whatever happens to the old id — the client
/// must get the new cookie, or the values would sit under an id nobody holds. Retiring the old id
/// is then retried in the background.
async fn create(
    plan: &CommitPlan,
    id: &SessionId,
    source: Source,
    changes: &[(&str, &Change)],
    deadline: Deadline,
) -> Result<Outcome> {
    let store = plan.config.store.as_ref();
    let written = |record: Vec<u8>| Outcome::Written { id: id.clone(), record };
    let (from_id, loaded, chosen) = match source {
        Source::Regenerated { from: (from_id, loaded), chosen } => (from_id, loaded, chosen),
        Source::Fresh | Source::Chosen => {
            let expected = if matches!(source, Source::Fresh) { Expected::Any } else { Expected::Absent };
            let (merged, lifetime) = merge(&plan.config, Base::Stored(None), changes)?;
            return match deadline.run("saving the session", store.save(id, &merged, lifetime, expected)).await? {
                Saved::Done => Ok(written(merged)),
                Saved::Conflict(_) => Err(id_taken()),
            };
        }
    };
    let _turn = take_turn(&plan.config, &from_id, deadline).await?;
    let mut source = match loaded {
        Some(record) => Some(record),
        None => read(store, &from_id, deadline).await?,
    };
    let mut attempt = 0u32;
    loop {
        let live_source = source.as_deref().filter(|record| Ended::of(record).is_none());
        let (merged, lifetime) = merge(&plan.config, Base::Stored(live_source), changes)?;
        // A chosen id must be free the first time; later rounds overwrite what this one wrote.
        let expected = if chosen && attempt == 0 { Expected::Absent } else { Expected::Any };
        let save = store.save(id, &merged, lifetime, expected);
        if let Saved::Conflict(_) = deadline.run("saving the regenerated session", save).await? {
            return Err(id_taken());
        }
        let Some(old) = live_source else { return Ok(written(merged)) };
        let retire = store.save(&from_id, RETIRED, RETIRED_LIFETIME, Expected::Current(old));
        match deadline.run("retiring the regenerated session's old id", retire).await {
            Ok(Saved::Done) => return Ok(written(merged)),
            Ok(Saved::Conflict(now)) if back_off(attempt, deadline).await.is_ok() => source = now,
            Ok(Saved::Conflict(_)) | Err(_) => {
                retire_later(plan.config.clone(), from_id.clone());
                return Ok(written(merged));
            }
        }
        attempt = attempt.saturating_add(1);
    }
}

/// A chosen id (`load(id)`, `regenerate(id)`) that another session has, or got meanwhile.
fn id_taken() -> Error {
    Error::storage("the session id chosen for a new session is already in use by another session; choose another")
}

/// Retires a regenerated session's old id after the commit that regenerated it answered: a few
/// attempts, each within the configured timeout, spaced out, so that a store that was briefly
/// unavailable still gets the old id retired. A request that writes to the old id meanwhile loses
/// that write (it raced with the regeneration); the values are safe under the new id.
fn retire_later(config: Arc<SessionConfig>, id: SessionId) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
    runtime.spawn(async move {
        for attempt in 0..5u32 {
            tokio::time::sleep(Duration::from_millis(250) * 2u32.pow(attempt)).await;
            let deadline = Deadline::after(config.timeout);
            let Ok(_turn) = take_turn(&config, &id, deadline).await else { continue };
            let store = config.store.as_ref();
            let Ok(Some(current)) = read(store, &id, deadline).await else { continue };
            if Ended::of(&current).is_some() {
                return;
            }
            let retire = store.save(&id, RETIRED, RETIRED_LIFETIME, Expected::Current(&current));
            if let Ok(Saved::Done) = deadline.run("retiring a session id", retire).await {
                return;
            }
        }
    });
}

/// Replaces the live record of `id` with a tombstone, compare-and-set (so a record that is gone
/// stays gone rather than becoming a tombstone for an id nobody used).
async fn tombstone(plan: &CommitPlan, id: &SessionId, loaded: Option<Vec<u8>>, deadline: Deadline) -> Result<()> {
    let store = plan.config.store.as_ref();
    let _turn = take_turn(&plan.config, id, deadline).await?;
    let mut current = match loaded {
        Some(record) => Some(record),
        None => read(store, id, deadline).await?,
    };
    let mut attempt = 0u32;
    loop {
        let Some(record) = current.as_deref().filter(|record| Ended::of(record).is_none()) else { return Ok(()) };
        let destroy = store.save(id, TOMBSTONE, TOMBSTONE_LIFETIME, Expected::Current(record));
        match deadline.run("destroying the session", destroy).await? {
            Saved::Done => return Ok(()),
            Saved::Conflict(now) => current = now,
        }
        back_off(attempt, deadline).await?;
        attempt = attempt.saturating_add(1);
    }
}

/// The merged record and how long the store should keep it ([`super::expiry::store_lifetime`]).
pub(super) fn merge(config: &SessionConfig, base: Base<'_>, changes: &[(&str, &Change)]) -> Result<(Vec<u8>, Duration)> {
    let now = now_ms();
    let merged = record::merge(base, changes.iter().copied(), now, &config.limits)?;
    let max_size = config.limits.max_size;
    if merged.record.len() > max_size {
        return Err(Error::serialize(format!(
            "the session would be {} bytes, more than maxSize ({max_size} bytes): store less in it, or raise maxSize",
            merged.record.len()
        )));
    }
    let lifetime = super::expiry::store_lifetime(config, merged.latest_expiry, merged.created, now);
    Ok((merged.record, lifetime))
}

pub(super) async fn read(store: &dyn SessionStore, id: &SessionId, deadline: Deadline) -> Result<Option<Vec<u8>>> {
    deadline.run("loading the session", store.load(id)).await
}

/// Waits until the other commits of this process to session `id` are done.
pub(super) async fn take_turn(
    config: &SessionConfig,
    id: &SessionId,
    deadline: Deadline,
) -> Result<crate::keyed_locks::KeyGuard> {
    config.turns.lock(id, deadline, "waiting for the session's other requests to save").await
}

/// Before a retry: nothing after the first conflict (it only means the record changed since this
/// request loaded it), then a short random pause, growing to at most 64 ms, so that writers in
/// other processes racing for the same record stop colliding. Past the deadline, gives up.
pub(super) async fn back_off(attempt: u32, deadline: Deadline) -> Result<()> {
    if attempt > 0 {
        use std::hash::{BuildHasher, Hasher};
        let random = std::collections::hash_map::RandomState::new().build_hasher().finish();
        let ceiling_us = 1000u64 << attempt.min(6);
        let pause = Duration::from_micros(random % ceiling_us).min(deadline.remaining());
        tokio::time::sleep(pause).await;
    }
    if deadline.has_passed() {
        return Err(Error::timeout(format!(
            "the session was changed by other requests {} times while this one tried to save it, until its \
             timeout ran out; not saved",
            attempt + 1
        )));
    }
    Ok(())
}
