//! The I/O of a session: loading its record, and committing its changes with compare-and-set.
//!
//! Both take the session's state out under its lock, release the lock for the I/O, and put the
//! result back — so the JS thread, which takes the same lock for `set()` or `get()`, never waits
//! on storage.

use std::sync::{Mutex, MutexGuard};

use super::data::{self, Change};
use super::{CommitPlan, LoadedRecord, Session, WritePlan};
use crate::id::SessionId;
use crate::store::{now_ms, Expected, Saved, SessionStore, TOMBSTONE, TOMBSTONE_LIFETIME};
use crate::{Error, Result};

/// How often a write is retried when other requests keep changing the record under it.
const MAX_ATTEMPTS: usize = 16;

/// What a commit did.
#[derive(Debug)]
pub enum Outcome {
    /// Nothing needed writing (or only tombstones were written).
    Unchanged,
    /// The values are stored under `id` as `record`.
    Written { id: SessionId, record: Vec<u8> },
    /// The session was destroyed by another request while this one ran; its changes were not
    /// written, so as not to bring it back.
    Dropped,
}

/// Reads the session's record if it is needed and not read yet.
pub async fn load(session: &Mutex<Session>) -> Result<()> {
    let (id, store) = {
        let session = lock(session);
        match session.load_needed() {
            Some(id) => (id, session.config.store.clone()),
            None => return Ok(()),
        }
    };
    let record = store.load(&id).await?;
    // Decoded here, on this worker thread, before the session's lock is taken.
    let loaded = record.map(LoadedRecord::new);
    lock(session).apply_load(&id, loaded)
}

/// Persists the session's changes; returns the `Set-Cookie` values to send.
pub async fn commit(session: &Mutex<Session>) -> Result<Vec<String>> {
    let plan = {
        let mut session = lock(session);
        if !session.is_dirty() {
            return Ok(Vec::new());
        }
        session.plan_commit()
    };
    let mut plan = plan;
    match execute(&mut plan).await {
        Ok(outcome) => Ok(lock(session).finish_commit(outcome)),
        Err(error) => {
            lock(session).abort_commit(plan);
            Err(error)
        }
    }
}

async fn execute(plan: &mut CommitPlan) -> Result<Outcome> {
    // The loaded record, parsed: moved out of the plan, as the merge consumes it.
    let parsed = match &mut plan.write {
        Some(WritePlan::Merge { parsed, .. }) => parsed.take(),
        _ => None,
    };
    let plan = &*plan;
    let changes: Vec<(&str, &Change)> = plan.changes.iter().map(|(k, c)| (k.as_str(), c)).collect();
    let has_values = changes.iter().any(|(_, change)| matches!(change, Change::Set { .. }));
    let outcome = match &plan.write {
        None => Outcome::Unchanged,
        Some(WritePlan::Merge { id, loaded, create_if_missing, .. }) => {
            match merge_into(plan, id, loaded.clone(), parsed, &changes).await? {
                Merged::Written(outcome) => outcome,
                // Destroyed by another request (a tombstone, or gone since this request read it).
                Merged::Tombstoned => Outcome::Dropped,
                Merged::Absent if loaded.is_some() => Outcome::Dropped,
                Merged::Absent if !has_values => Outcome::Unchanged,
                // No record because the id was never ours (a stale or forged cookie, or an expired
                // session): the values go to a new id. Only an id the application chose with
                // load(id) is created as it is.
                Merged::Absent if *create_if_missing => create(plan, id, Source::Nothing, &changes).await?,
                Merged::Absent => create(plan, &SessionId::generate(), Source::Fresh, &changes).await?,
            }
        }
        Some(WritePlan::Create { id, from: Some(from) }) => {
            create(plan, id, Source::Regenerated(from.clone()), &changes).await?
        }
        Some(WritePlan::Create { id, from: None }) => create(plan, id, Source::Fresh, &changes).await?,
    };
    for (id, loaded) in &plan.tombstones {
        tombstone(plan, id, loaded.clone()).await?;
    }
    Ok(outcome)
}

enum Merged {
    Written(Outcome),
    Absent,
    Tombstoned,
}

/// Merges `changes` into the live record of `id`, compare-and-set, starting from the record as
/// this request `loaded` it (saving a read) or as it is now.
async fn merge_into(
    plan: &CommitPlan,
    id: &SessionId,
    loaded: Option<Vec<u8>>,
    mut parsed: Option<data::Parsed>,
    changes: &[(&str, &Change)],
) -> Result<Merged> {
    let store = plan.store.as_ref();
    let _turn = plan.locks.turn(id).await;
    if loaded.is_none() {
        parsed = None;
    }
    let mut current = loaded_or_read(store, id, loaded).await?;
    for attempt in 0..MAX_ATTEMPTS {
        back_off(attempt).await;
        let record = match current.as_deref() {
            None => return Ok(Merged::Absent),
            Some(TOMBSTONE) => return Ok(Merged::Tombstoned),
            Some(record) => record,
        };
        // The first attempt starts from the record as loaded, already parsed if the request
        // still has it so; a retry starts from what the store answered.
        let base = match parsed.take() {
            Some(parsed) => data::Base::Parsed(parsed),
            None => data::Base::Record(Some(record)),
        };
        let (merged, lifetime) = merge(plan, base, changes)?;
        match store.save(id, &merged.record, lifetime, Expected::Current(record)).await? {
            Saved::Done => return Ok(Merged::Written(written(id.clone(), merged.record))),
            Saved::Conflict(now) => current = now,
        }
    }
    Err(contended(id))
}

/// Where the values of a new session come from.
enum Source {
    /// A freshly generated id: 122 random bits do not collide, so no check is needed (and a JS
    /// driver is spared a read).
    Fresh,
    /// An id the application chose (`load(id)`): created only if nobody else has meanwhile.
    Nothing,
    /// A regenerated session: its old id, and its record as this request loaded it.
    Regenerated((SessionId, Option<Vec<u8>>)),
}

/// Stores the values as the new session `id`: those of the regenerated session (its live record,
/// if any), with the changes applied. Then tombstones the old id, compare-and-set: if it changed
/// meanwhile, the new session is written again with those changes, so nothing written to the old
/// id is lost.
async fn create(plan: &CommitPlan, id: &SessionId, source: Source, changes: &[(&str, &Change)]) -> Result<Outcome> {
    let store = plan.store.as_ref();
    let (from_id, loaded) = match source {
        Source::Regenerated(from) => from,
        Source::Fresh | Source::Nothing => {
            let expected = if matches!(source, Source::Fresh) { Expected::Any } else { Expected::Absent };
            let (merged, lifetime) = merge(plan, data::Base::Record(None), changes)?;
            return match store.save(id, &merged.record, lifetime, expected).await? {
                Saved::Done => Ok(written(id.clone(), merged.record)),
                Saved::Conflict(_) => Err(Error::storage(format!(
                    "session {id} was created by another request at the same time; load it again"
                ))),
            };
        }
    };
    let _turn = plan.locks.turn(&from_id).await;
    let mut source = loaded_or_read(store, &from_id, loaded).await?;
    for attempt in 0..MAX_ATTEMPTS {
        back_off(attempt).await;
        let live_source = source.as_deref().filter(|record| *record != TOMBSTONE);
        let (merged, lifetime) = merge(plan, data::Base::Record(live_source), changes)?;
        store.save(id, &merged.record, lifetime, Expected::Any).await?;
        let Some(old) = live_source else { return Ok(written(id.clone(), merged.record)) };
        match store.save(&from_id, TOMBSTONE, TOMBSTONE_LIFETIME, Expected::Current(old)).await? {
            Saved::Done => return Ok(written(id.clone(), merged.record)),
            Saved::Conflict(now) => source = now,
        }
    }
    Err(contended(&from_id))
}

/// Replaces the live record of `id` with a tombstone, compare-and-set (so a record that is gone
/// stays gone rather than becoming a tombstone for an id nobody used).
async fn tombstone(plan: &CommitPlan, id: &SessionId, loaded: Option<Vec<u8>>) -> Result<()> {
    let store = plan.store.as_ref();
    let _turn = plan.locks.turn(id).await;
    let mut current = loaded_or_read(store, id, loaded).await?;
    for attempt in 0..MAX_ATTEMPTS {
        back_off(attempt).await;
        let Some(record) = current.as_deref().filter(|record| *record != TOMBSTONE) else { return Ok(()) };
        match store.save(id, TOMBSTONE, TOMBSTONE_LIFETIME, Expected::Current(record)).await? {
            Saved::Done => return Ok(()),
            Saved::Conflict(now) => current = now,
        }
    }
    Err(contended(id))
}

/// The merged record and how long the store should keep it: the session lifetime, or longer if a
/// value was set with a longer `ttl`.
fn merge(plan: &CommitPlan, base: data::Base<'_>, changes: &[(&str, &Change)]) -> Result<(data::Merged, std::time::Duration)> {
    let now = now_ms();
    let merged = data::merge(base, changes.iter().copied(), now)?;
    if let Some(max) = plan.max_size {
        if merged.record.len() > max {
            return Err(Error::serialize(format!(
                "the session would be {} bytes, more than maxSize ({max} bytes): store less in it, or raise maxSize",
                merged.record.len()
            )));
        }
    }
    let until_latest = merged
        .latest_expiry
        .map(|latest| std::time::Duration::from_millis((latest - now).max(0.0).min(u64::MAX as f64) as u64));
    let lifetime = until_latest.map_or(plan.lifetime, |until| until.max(plan.lifetime));
    Ok((merged, lifetime))
}

/// The record as this request loaded it (sparing a read; compare-and-set catches it if it is
/// stale), or as it is in the store now.
async fn loaded_or_read(store: &dyn SessionStore, id: &SessionId, loaded: Option<Vec<u8>>) -> Result<Option<Vec<u8>>> {
    match loaded {
        Some(record) => Ok(Some(record)),
        None => store.load(id).await,
    }
}

/// Before a retry: nothing for the first two attempts (the first conflict only means the record
/// changed since this request loaded it), then a short random pause, so writers in other
/// processes racing for the same record stop colliding.
async fn back_off(attempt: usize) {
    if attempt < 2 {
        return;
    }
    use std::hash::{BuildHasher, Hasher};
    let random = std::collections::hash_map::RandomState::new().build_hasher().finish();
    let ceiling_ms = 1u64 << attempt.min(6);
    tokio::time::sleep(std::time::Duration::from_micros(random % (ceiling_ms * 1000))).await;
}

fn written(id: SessionId, record: Vec<u8>) -> Outcome {
    Outcome::Written { id, record }
}

fn contended(id: &SessionId) -> Error {
    Error::storage(format!(
        "session {id} was changed by other requests {MAX_ATTEMPTS} times while this one tried to save; not saved"
    ))
}

fn lock(session: &Mutex<Session>) -> MutexGuard<'_, Session> {
    // Session methods leave the state consistent at every step, so a poisoned lock is usable.
    session.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
