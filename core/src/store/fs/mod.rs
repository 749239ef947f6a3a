//! The file-system store: one file per session, `<base>/<id>`, the layout of unstorage's
//! `fs-lite` driver (Astro's default for Node), so Astro and napi-session can share a directory.
//!
//! - Writes are atomic: the record goes to a temporary file in the same directory, which is then
//!   renamed over `<id>`. A reader sees the old record or the new one, never a partial file, even
//!   if the process dies mid-write.
//! - Compare-and-set holds the session's lock for the read-compare-write, so it is atomic across
//!   threads and across processes sharing the directory. Locks are per session where the OS
//!   allows, never waited for past the operation's timeout, and not written through once the
//!   session gave up ([`locks`]).
//! - Files are private (0600, directories 0700), only regular files are read, and never more than
//!   the largest record the session layer accepts, plus one byte ([`files`]).
//! - Expiry follows the file's modification time: a file expires the store's `lifetime` (the idle
//!   timeout) after it. A write of a record meant to live longer or shorter (a session kept for a
//!   long-lived value, a tombstone) sets the time that far ahead or back, so every record lives
//!   exactly the lifetime it was written with; a file written by Astro (its time is its write)
//!   lives `lifetime` after its write. Extending a session ([`SessionStore::touch`]) only moves the
//!   time: no rewrite. Expired files read as absent and are swept, at most once per
//!   `sweep_interval`, by a background pass that store activity starts; the sweep never waits for
//!   a lock and never holds one for more than a check and an unlink.
//! - Only ids that passed [`SessionId::parse`] become file names, so no path ever comes from a
//!   client; and no message names a session's file, because its name is a credential: messages
//!   say `<base>/<session file>`.

mod files;
pub mod locks;

use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;

use self::locks::{Budget, DirectoryNotMade, Held, SessionLocks, Wait, LOCK_DIR};
use super::{now_ms, Expected, Saved, SessionStore};
use crate::id::SessionId;
use crate::{Error, Result};

/// A temporary file this old was left by a process that died mid-write.
const STALE_TEMP_FILE: Duration = Duration::from_secs(600);

/// What an [`FsStore`] needs to know.
#[derive(Clone, Debug)]
pub struct FsOptions {
    /// The directory (made, 0700, on the first write if missing).
    pub base: PathBuf,
    /// How long a session lives after its last write (longer if a value's `expires` is later).
    pub lifetime: Duration,
    /// The least time between two sweeps of expired files.
    pub sweep_interval: Duration,
    /// The longest wait for a session's lock: the session's operation timeout. Past it, a save or
    /// a delete fails with `ERR_SESSION_TIMEOUT`.
    pub lock_timeout: Duration,
    /// The largest record the session layer accepts (`Limits::max_size`): no more than one byte
    /// past it is ever read from a file.
    pub max_record_size: usize,
}

pub struct FsStore {
    shared: Arc<Shared>,
}

struct Shared {
    options: FsOptions,
    /// Milliseconds since the epoch of the last sweep start (0: never).
    last_sweep: AtomicU64,
    locks: SessionLocks,
}

impl FsStore {
    pub fn new(options: FsOptions) -> Self {
        Self::with_locks(options, locks::Kind::native())
    }

    /// A store using locks of `kind` (tests run both kinds on Linux).
    pub fn with_locks(options: FsOptions, kind: locks::Kind) -> Self {
        let shared = Shared {
            last_sweep: AtomicU64::new(0),
            locks: SessionLocks::of_kind(options.base.join(LOCK_DIR), kind),
            options,
        };
        Self { shared: Arc::new(shared) }
    }

    pub fn base(&self) -> &Path {
        &self.shared.options.base
    }

    /// Deletes every expired session file and stale temporary file now; returns how many.
    /// Passes over files that are in use (locked), and over anything that is not a regular file.
    pub async fn sweep(&self) -> Result<usize> {
        let shared = self.shared.clone();
        run_blocking(move || shared.sweep()).await
    }

    /// Starts a sweep in the background if the last one is older than `sweep_interval`.
    fn maybe_sweep(&self) {
        let now = now_ms() as u64;
        let last = self.shared.last_sweep.load(Ordering::Relaxed);
        if now.saturating_sub(last) < self.shared.options.sweep_interval.as_millis() as u64 {
            return;
        }
        if self.shared.last_sweep.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_err() {
            return; // another request just started one
        }
        let shared = self.shared.clone();
        // Sweeping is housekeeping: an error here (a permission problem) must not fail the
        // request that happened to trigger it.
        tokio::task::spawn_blocking(move || shared.sweep().ok());
    }
}

#[async_trait]
impl SessionStore for FsStore {
    /// The record (at most `max_record_size + 1` bytes of it), or `None` if there is none, it has
    /// expired, or what has the session's name is not a regular file. Takes no lock: files are
    /// replaced whole by rename, so a read never sees a partial write.
    async fn load(&self, id: &SessionId) -> Result<Option<Vec<u8>>> {
        Ok(self.load_with_expiry(id).await?.map(|(record, _)| record))
    }

    /// As `load`, with when the record expires ([`Shared::expiry`]).
    async fn load_with_expiry(&self, id: &SessionId) -> Result<Option<(Vec<u8>, Option<f64>)>> {
        let shared = self.shared.clone();
        let id = id.clone();
        let loaded = run_blocking(move || shared.read_live_with_expiry(&id)).await?;
        Ok(loaded.map(|(record, expires_at)| (record, Some(expires_at))))
    }

    async fn save(&self, id: &SessionId, record: &[u8], lifetime: Duration, expected: Expected<'_>) -> Result<Saved> {
        let shared = self.shared.clone();
        let id = id.clone();
        let record = record.to_vec();
        let expected = match expected {
            Expected::Any => ExpectedOwned::Any,
            Expected::Absent => ExpectedOwned::Absent,
            Expected::Current(bytes) => ExpectedOwned::Current(bytes.to_vec()),
        };
        let saved = run_within(self.shared.options.lock_timeout, move |budget| {
            let _lock = shared.lock(&id, budget)?;
            let current = shared.read_live(&id)?;
            if !expected.as_expected().matches(current.as_deref()) {
                return Ok(Saved::Conflict(current));
            }
            shared.write_atomically(&id, &record, lifetime, budget)?;
            Ok(Saved::Done)
        })
        .await?;
        self.maybe_sweep();
        Ok(saved)
    }

    /// Moves the file's time, under the session's lock, if the record is still `current`: the
    /// record is not written again.
    async fn touch(&self, id: &SessionId, current: &[u8], lifetime: Duration) -> Result<bool> {
        let shared = self.shared.clone();
        let id = id.clone();
        let current = current.to_vec();
        run_within(self.shared.options.lock_timeout, move |budget| {
            let _lock = shared.lock(&id, budget)?;
            let extend = || -> std::io::Result<bool> {
                let Some((file, metadata)) = files::open_regular(&shared.path_of(&id))? else { return Ok(false) };
                let record = files::read_at_most(file.try_clone()?, &metadata, shared.options.max_record_size)?;
                if record != current || shared.expiry(metadata.modified()?) <= now_ms() {
                    return Ok(false);
                }
                file.set_modified(shared.file_time_for(lifetime))?;
                Ok(true)
            };
            extend().map_err(|e| shared.io_error("extend", SESSION_FILE, e))
        })
        .await
    }

    async fn delete(&self, id: &SessionId) -> Result<()> {
        let shared = self.shared.clone();
        let id = id.clone();
        run_within(self.shared.options.lock_timeout, move |budget| {
            let _lock = shared.lock(&id, budget)?;
            if budget.given_up() {
                return Err(shared.gave_up());
            }
            let live = shared.path_of(&id);
            remove_if_there(&files::spare_path(&live)).map_err(|error| shared.io_error("delete", SPARE_FILE, error))?;
            remove_if_there(&live).map_err(|error| shared.io_error("delete", SESSION_FILE, error))
        })
        .await
    }
}

enum ExpectedOwned {
    Any,
    Absent,
    Current(Vec<u8>),
}

impl ExpectedOwned {
    fn as_expected(&self) -> Expected<'_> {
        match self {
            ExpectedOwned::Any => Expected::Any,
            ExpectedOwned::Absent => Expected::Absent,
            ExpectedOwned::Current(bytes) => Expected::Current(bytes),
        }
    }
}

/// How messages name the files of `<base>`: never by their names, which contain session ids.
const SESSION_FILE: &str = "<session file>";
const TEMP_FILE: &str = "<temporary file>";
const SPARE_FILE: &str = "<spare file>";

impl Shared {
    fn path_of(&self, id: &SessionId) -> PathBuf {
        self.options.base.join(id.as_str())
    }

    /// The record, unless there is none, it has expired, or it is not a regular file.
    fn read_live(&self, id: &SessionId) -> Result<Option<Vec<u8>>> {
        Ok(self.read_live_with_expiry(id)?.map(|(record, _)| record))
    }

    /// The record and when it expires ([`Shared::expiry`]), unless there is none, it has expired,
    /// or it is not a regular file.
    fn read_live_with_expiry(&self, id: &SessionId) -> Result<Option<(Vec<u8>, f64)>> {
        let read = files::read_consistent(&self.path_of(id), self.options.max_record_size);
        let Some((record, metadata)) = read.map_err(|e| self.io_error("read", SESSION_FILE, e))? else {
            return Ok(None);
        };
        let modified = metadata.modified().map_err(|e| self.io_error("read", SESSION_FILE, e))?;
        let expires_at = self.expiry(modified);
        Ok((expires_at > now_ms()).then_some((record, expires_at)))
    }

    /// When a file whose modification time is `modified` expires (epoch milliseconds): the store's
    /// lifetime after that time (see the module doc).
    fn expiry(&self, modified: SystemTime) -> f64 {
        let time = match modified.duration_since(UNIX_EPOCH) {
            Ok(after) => after.as_millis() as f64,
            Err(before) => -(before.duration().as_millis() as f64),
        };
        time + self.options.lifetime.as_millis() as f64
    }

    /// The modification time that makes a file written (or touched) now expire `lifetime` from
    /// now: now, moved by how much `lifetime` differs from the store's lifetime.
    fn file_time_for(&self, lifetime: Duration) -> SystemTime {
        let now = SystemTime::now();
        let idle = self.options.lifetime;
        if lifetime >= idle {
            now.checked_add(lifetime - idle).unwrap_or(now)
        } else {
            now.checked_sub(idle - lifetime).unwrap_or(UNIX_EPOCH)
        }
    }

    fn has_expired(&self, modified: SystemTime) -> bool {
        self.expiry(modified) <= now_ms()
    }

    /// The lock of session `id`, waited for within `budget`.
    fn lock(&self, id: &SessionId, budget: &Budget) -> Result<Held<'_>> {
        match self.locks.acquire(id, Wait::Within(budget)) {
            Ok(Some(held)) => Ok(held),
            Ok(None) if budget.given_up() => Err(self.gave_up()),
            Ok(None) => Err(Error::timeout(format!(
                "the fs driver could not lock {} within the timeout ({} ms): another process holds its lock \
                 — a request of another server on this directory, or a process that is stuck",
                self.label(SESSION_FILE),
                self.options.lock_timeout.as_millis()
            ))),
            Err(error) => Err(match error.get_ref().and_then(|inner| inner.downcast_ref::<DirectoryNotMade>()) {
                Some(not_made) => Error::storage(format!("fs driver {not_made}")),
                None => self.io_error("lock", SESSION_FILE, error),
            }),
        }
    }

    /// The error of work the session stopped waiting for (nobody reads it; it stops the work).
    fn gave_up(&self) -> Error {
        Error::timeout(format!(
            "the fs driver stopped writing {}: the session gave up waiting",
            self.label(SESSION_FILE)
        ))
    }

    /// Writes `record` as the session file of `id`, atomically, to live `lifetime` — unless the
    /// session gave up meanwhile: a write it no longer waits for could land long after it answered.
    /// The record goes to the session's spare file, swapped in ([`files::swap_in`]); where that
    /// cannot be done, to a temporary file renamed over the session file.
    fn write_atomically(&self, id: &SessionId, record: &[u8], lifetime: Duration, budget: &Budget) -> Result<()> {
        if cfg!(target_os = "linux") {
            let live = self.path_of(id);
            let spare = files::spare_path(&live);
            // A spare that cannot be used (something else is in its place) leaves the temporary file.
            if let Ok(file) = self.in_base(|| files::open_spare(&spare)) {
                files::fill_spare(&file, record, self.file_time_for(lifetime))
                    .map_err(|e| self.io_error("write", SPARE_FILE, e))?;
                drop(file);
                if budget.given_up() {
                    return Err(self.gave_up());
                }
                files::swap_in(&spare, &live).map_err(|e| self.io_error("write", SESSION_FILE, e))?;
                // The spare now holds the record before this one. A tombstone ends the session:
                // what it replaced must not stay on disk until the sweep.
                if super::is_tombstone(record) {
                    remove_if_there(&spare).map_err(|e| self.io_error("delete", SPARE_FILE, e))?;
                }
                return Ok(());
            }
        }
        self.write_through_temp(id, record, lifetime, budget)
    }

    /// Makes a file in the store's directory with `make`; if the directory went away under us
    /// (someone cleared it), makes it again and tries once more.
    fn in_base<T>(&self, make: impl Fn() -> std::io::Result<T>) -> std::io::Result<T> {
        make().or_else(|error| {
            if error.kind() != ErrorKind::NotFound {
                return Err(error);
            }
            files::make_private_dirs(&self.options.base)?;
            make()
        })
    }

    fn write_through_temp(&self, id: &SessionId, record: &[u8], lifetime: Duration, budget: &Budget) -> Result<()> {
        let created = self.in_base(|| files::create_temp(&self.options.base, random_u64()));
        let (mut file, temp) = created.map_err(|e| self.io_error("create", TEMP_FILE, e))?;
        let written = file
            .write_all(record)
            .and_then(|()| file.set_modified(self.file_time_for(lifetime)))
            .map_err(|e| self.io_error("write", TEMP_FILE, e));
        drop(file);
        let renamed = written.and_then(|()| {
            if budget.given_up() {
                return Err(self.gave_up());
            }
            fs::rename(&temp, self.path_of(id)).map_err(|e| self.io_error("write", SESSION_FILE, e))
        });
        if renamed.is_err() {
            let _ = fs::remove_file(&temp);
        }
        renamed
    }

    fn sweep(&self) -> Result<usize> {
        let base = &self.options.base;
        let entries = match fs::read_dir(base) {
            Ok(entries) => entries,
            Err(error) if error.kind() == ErrorKind::NotFound => return Ok(0),
            Err(error) => return Err(self.io_error("list", "", error)),
        };
        let mut removed = 0;
        for entry in entries.flatten() {
            // The entry's own type, not its target's: a symlink, a FIFO, a socket, a device or a
            // directory is passed over, never opened.
            let Ok(file_type) = entry.file_type() else { continue };
            if !file_type.is_file() {
                continue;
            }
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let done = if let Some(id) = SessionId::parse(name) {
                self.remove_if_expired(&id)
            } else if let Some(id) = files::spare_of(name).and_then(SessionId::parse) {
                self.remove_if_orphaned(&id)
            } else if files::is_temp_name(name) {
                self.remove_if_stale(&entry.path())
            } else {
                Ok(false)
            };
            // One file that cannot be handled (vanished, not ours) does not stop the sweep.
            removed += usize::from(done.unwrap_or(false));
        }
        Ok(removed)
    }

    /// Deletes the session file of `id` if it has expired and nobody holds its lock. It is judged
    /// without the lock; under the lock, which is only tried, it is deleted if it is still the
    /// very file that was judged.
    fn remove_if_expired(&self, id: &SessionId) -> std::io::Result<bool> {
        let path = self.path_of(id);
        let Some((file, metadata)) = files::open_regular(&path)? else { return Ok(false) };
        drop(file);
        if !self.has_expired(metadata.modified()?) {
            return Ok(false);
        }
        let Some(_lock) = self.locks.acquire(id, Wait::No)? else { return Ok(false) };
        if !files::unchanged(&metadata, &path)? {
            return Ok(false);
        }
        remove_if_there(&files::spare_path(&path))?;
        fs::remove_file(&path)?;
        Ok(true)
    }

    /// Deletes the spare file of `id` if the session has no file any more (it was deleted by
    /// another program, say) and nobody holds its lock.
    fn remove_if_orphaned(&self, id: &SessionId) -> std::io::Result<bool> {
        let live = self.path_of(id);
        let Some(_lock) = self.locks.acquire(id, Wait::No)? else { return Ok(false) };
        if fs::symlink_metadata(&live).is_ok() {
            return Ok(false);
        }
        fs::remove_file(files::spare_path(&live))?;
        Ok(true)
    }

    fn remove_if_stale(&self, path: &Path) -> std::io::Result<bool> {
        let age = fs::symlink_metadata(path)?.modified()?.elapsed().unwrap_or_default();
        if age <= STALE_TEMP_FILE {
            return Ok(false);
        }
        fs::remove_file(path)?;
        Ok(true)
    }

    /// `<base>/<what>`, as messages name files (`what` empty: `<base>` itself).
    fn label(&self, what: &str) -> String {
        let base = self.options.base.display();
        if what.is_empty() {
            base.to_string()
        } else {
            format!("{base}{}{what}", std::path::MAIN_SEPARATOR)
        }
    }

    fn io_error(&self, action: &str, what: &str, error: std::io::Error) -> Error {
        Error::storage(format!("fs driver could not {action} {}: {error}", self.label(what)))
    }
}

fn remove_if_there(path: &Path) -> std::io::Result<()> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

fn random_u64() -> u64 {
    let bytes = *uuid::Uuid::new_v4().as_bytes();
    u64::from_le_bytes(bytes[..8].try_into().unwrap_or_default())
}

async fn run_blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| Error::storage(format!("fs driver task failed: {error}")))?
}

/// Runs `work` on a blocking thread with a [`Budget`] of `timeout` from now (so that time spent
/// queued for a thread counts too), which is marked given up if this future is dropped — when
/// the session's deadline passes, or its request goes away. The thread cannot be stopped, but
/// it stops waiting for a lock, and does not write, once it sees that.
async fn run_within<T: Send + 'static>(
    timeout: Duration,
    work: impl FnOnce(&Budget) -> Result<T> + Send + 'static,
) -> Result<T> {
    struct GiveUpOnDrop(Arc<AtomicBool>);
    impl Drop for GiveUpOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let budget = Budget::new(timeout);
    let _give_up = GiveUpOnDrop(budget.given_up_flag());
    run_blocking(move || work(&budget)).await
}

/// Compare-and-set is checked with every other store in core/tests/stores.rs.
#[cfg(test)]
mod tests;
