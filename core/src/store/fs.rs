//! The file-system store: one file per session, `<base>/<id>`, the layout of unstorage's
//! `fs-lite` driver (Astro's default for Node), so Astro and napi-session can share a directory.
//!
//! - Writes are atomic: the record goes to a temporary file in the same directory, which is then
//!   renamed over `<id>`. A reader sees the old record or the new one, never a partial file, even
//!   if the process dies mid-write.
//! - Compare-and-set holds a lock for the read-compare-write, so it is atomic across threads and
//!   across processes sharing the directory: an in-process mutex, then `flock` on a lock file.
//!   Locks are striped over a fixed set of files in `<base>/.locks/`, opened once and never
//!   deleted (deleting a lock file races with its users).
//! - Expiry follows the file's modification time (the last write): a session expires `lifetime`
//!   after it, unless one of its values was set with a longer `ttl`. A tombstone (empty file)
//!   expires [`TOMBSTONE_LIFETIME`] after it. Expired files read as absent and are swept, at most
//!   once per `sweep_interval`, by a background pass that store activity starts.
//! - Only ids that passed [`SessionId::parse`] become file names, so no path ever comes from a
//!   client.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;

use super::{now_ms, Expected, Saved, SessionStore};
use crate::id::SessionId;
use crate::record::latest_expiry;
use crate::{Error, Result};

const LOCK_STRIPES: u64 = 64;
const LOCK_DIR: &str = ".locks";
/// A temporary file this old was left by a process that died mid-write.
const STALE_TEMP_FILE: Duration = Duration::from_secs(600);

pub struct FsStore {
    shared: Arc<Shared>,
}

struct Shared {
    base: PathBuf,
    lifetime: Duration,
    sweep_interval: Duration,
    /// Milliseconds since the epoch of the last sweep start (0: never).
    last_sweep: AtomicU64,
    /// One per stripe: threads of this process take turns here (an `flock` on a file this process
    /// already holds open would not keep them apart), holding the stripe's lock file, opened once.
    stripes: Vec<Mutex<Option<File>>>,
    /// `<base>` and `<base>/.locks` exist (as far as this process knows).
    directories_made: AtomicBool,
}

impl FsStore {
    /// A store in `base` (created on the first write) whose sessions live `lifetime` after their
    /// last write, swept at most every `sweep_interval`.
    pub fn new(base: impl Into<PathBuf>, lifetime: Duration, sweep_interval: Duration) -> Self {
        let shared = Shared {
            base: base.into(),
            lifetime,
            sweep_interval,
            last_sweep: AtomicU64::new(0),
            stripes: (0..LOCK_STRIPES).map(|_| Mutex::new(None)).collect(),
            directories_made: AtomicBool::new(false),
        };
        Self { shared: Arc::new(shared) }
    }

    pub fn base(&self) -> &Path {
        &self.shared.base
    }

    /// Deletes every expired session file and stale temporary file now; returns how many.
    pub async fn sweep(&self) -> Result<usize> {
        let shared = self.shared.clone();
        blocking(move || shared.sweep()).await
    }

    /// Starts a sweep in the background if the last one is older than `sweep_interval`.
    fn maybe_sweep(&self) {
        let now = now_ms() as u64;
        let last = self.shared.last_sweep.load(Ordering::Relaxed);
        if now.saturating_sub(last) < self.shared.sweep_interval.as_millis() as u64 {
            return;
        }
        if self.shared.last_sweep.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_err() {
            return; // another request just started one
        }
        let shared = self.shared.clone();
        // Sweeping is housekeeping: an error here (a file vanishing under us, a permission
        // problem) must not fail the request that happened to trigger it.
        tokio::task::spawn_blocking(move || shared.sweep().ok());
    }
}

#[async_trait]
impl SessionStore for FsStore {
    async fn load(&self, id: &SessionId) -> Result<Option<Vec<u8>>> {
        let shared = self.shared.clone();
        let id = id.clone();
        blocking(move || shared.read_live(&id)).await
    }

    async fn save(&self, id: &SessionId, record: &[u8], _lifetime: Duration, expected: Expected<'_>) -> Result<Saved> {
        // The lifetime is not stored: it follows from the file's modification time and the
        // record's own expiry dates (see the module doc), which every reader can check.
        let shared = self.shared.clone();
        let id = id.clone();
        let record = record.to_vec();
        let expected = match expected {
            Expected::Any => ExpectedOwned::Any,
            Expected::Absent => ExpectedOwned::Absent,
            Expected::Current(bytes) => ExpectedOwned::Current(bytes.to_vec()),
        };
        let saved = blocking(move || {
            let _lock = shared.lock(&id)?;
            let current = shared.read_live(&id)?;
            if !expected.as_expected().matches(current.as_deref()) {
                return Ok(Saved::Conflict(current));
            }
            shared.write_atomically(&id, &record)?;
            Ok(Saved::Done)
        })
        .await?;
        self.maybe_sweep();
        Ok(saved)
    }

    async fn delete(&self, id: &SessionId) -> Result<()> {
        let shared = self.shared.clone();
        let id = id.clone();
        blocking(move || {
            let _lock = shared.lock(&id)?;
            shared.remove(&shared.path_of(&id))
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

impl Shared {
    fn path_of(&self, id: &SessionId) -> PathBuf {
        self.base.join(id.as_str())
    }

    /// The record, unless there is none or it has expired.
    fn read_live(&self, id: &SessionId) -> Result<Option<Vec<u8>>> {
        let path = self.path_of(id);
        let mut file = match File::open(&path) {
            Ok(file) => file,
            Err(error) if error.kind() == ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(io_error("read", &path, error)),
        };
        let modified = file.metadata().and_then(|m| m.modified()).map_err(|e| io_error("read", &path, e))?;
        let mut record = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut record).map_err(|e| io_error("read", &path, e))?;
        Ok((!self.has_expired(&record, modified)).then_some(record))
    }

    fn has_expired(&self, record: &[u8], modified: SystemTime) -> bool {
        let written = modified.duration_since(UNIX_EPOCH).map(|d| d.as_millis() as f64).unwrap_or(0.0);
        let now = now_ms();
        if super::is_tombstone(record) {
            return written + super::tombstone_lifetime(record).as_millis() as f64 <= now;
        }
        if written + self.lifetime.as_millis() as f64 > now {
            return false;
        }
        // Idle for longer than the lifetime: still alive only if a value was set with a longer ttl.
        // (A record that does not parse has no such value.)
        latest_expiry(record, &crate::limits::Limits::default()).is_none_or(|expires| expires <= now)
    }

    fn write_atomically(&self, id: &SessionId, record: &[u8]) -> Result<()> {
        let path = self.path_of(id);
        let temp = self.base.join(format!(".{id}.{:016x}.tmp", random_u64()));
        let create = || OpenOptions::new().write(true).create_new(true).open(&temp);
        let file = create().or_else(|error| {
            // The directory went away under us (someone cleared it): make it again.
            if error.kind() != ErrorKind::NotFound {
                return Err(error);
            }
            self.directories_made.store(false, Ordering::Relaxed);
            self.make_directories().map_err(|_| error)?;
            create()
        });
        let written = file.and_then(|mut file| file.write_all(record));
        if let Err(error) = written.and_then(|()| fs::rename(&temp, &path)) {
            let _ = fs::remove_file(&temp);
            return Err(io_error("write", &path, error));
        }
        Ok(())
    }

    /// Makes `<base>/.locks` (and so `<base>`) once per process, or again after an error said
    /// they had gone.
    fn make_directories(&self) -> Result<()> {
        if self.directories_made.load(Ordering::Relaxed) {
            return Ok(());
        }
        let dir = self.base.join(LOCK_DIR);
        fs::create_dir_all(&dir).map_err(|e| io_error("create the directory", &dir, e))?;
        self.directories_made.store(true, Ordering::Relaxed);
        Ok(())
    }

    fn remove(&self, path: &Path) -> Result<()> {
        match fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == ErrorKind::NotFound => Ok(()),
            Err(error) => Err(io_error("delete", path, error)),
        }
    }

    /// An exclusive lock on this id's stripe, for this process's threads and for other
    /// processes, held until the guard is dropped.
    fn lock(&self, id: &SessionId) -> Result<StripeLock<'_>> {
        let stripe = stripe_of(id);
        let mut slot = self.stripes[stripe as usize].lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let path = self.base.join(LOCK_DIR).join(stripe.to_string());
        if slot.is_none() {
            self.make_directories()?;
            let open = || OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path);
            let file = open().or_else(|error| {
                // The directory went away under us (someone cleared <base>): make it again.
                if error.kind() != ErrorKind::NotFound {
                    return Err(error);
                }
                self.directories_made.store(false, Ordering::Relaxed);
                self.make_directories().map_err(|_| error)?;
                open()
            });
            *slot = Some(file.map_err(|e| io_error("open the lock file", &path, e))?);
        }
        if let Some(file) = slot.as_ref() {
            file.lock().map_err(|e| io_error("lock", &path, e))?;
        }
        Ok(StripeLock { slot })
    }

    fn sweep(&self) -> Result<usize> {
        let entries = match fs::read_dir(&self.base) {
            Ok(entries) => entries,
            Err(error) if error.kind() == ErrorKind::NotFound => return Ok(0),
            Err(error) => return Err(io_error("list", &self.base, error)),
        };
        let mut removed = 0;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(id) = SessionId::parse(name) {
                let _lock = self.lock(&id)?;
                if self.read_live(&id)?.is_none() {
                    self.remove(&entry.path())?;
                    removed += 1;
                }
            } else if name.starts_with('.') && name.ends_with(".tmp") {
                let age = entry.metadata().and_then(|m| m.modified()).ok().and_then(|m| m.elapsed().ok());
                if age.is_some_and(|age| age > STALE_TEMP_FILE) {
                    self.remove(&entry.path())?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}

/// A held stripe: its mutex, and the `flock` on its file, released on drop.
struct StripeLock<'a> {
    slot: MutexGuard<'a, Option<File>>,
}

impl Drop for StripeLock<'_> {
    fn drop(&mut self) {
        if let Some(file) = self.slot.as_ref() {
            // Unlocking an open file we locked does not fail; closing it would unlock it anyway.
            let _ = file.unlock();
        }
    }
}

fn stripe_of(id: &SessionId) -> u64 {
    // Ids are random, so their first hex digits spread evenly over the stripes.
    u64::from_str_radix(&id.as_str()[..8], 16).unwrap_or(0) % LOCK_STRIPES
}

fn random_u64() -> u64 {
    let bytes = *uuid::Uuid::new_v4().as_bytes();
    u64::from_le_bytes(bytes[..8].try_into().unwrap_or_default())
}

fn io_error(action: &str, path: &Path, error: std::io::Error) -> Error {
    Error::storage(format!("fs driver could not {action} {}: {error}", path.display()))
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| Error::storage(format!("fs driver task failed: {error}")))?
}

/// Compare-and-set is checked with every other store in core/tests/stores.rs.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::TOMBSTONE;

    const HOUR: Duration = Duration::from_secs(3600);

    fn store(dir: &tempfile::TempDir) -> FsStore {
        FsStore::new(dir.path().join("sessions"), HOUR, HOUR)
    }

    #[tokio::test]
    async fn one_file_per_session_written_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        let id = SessionId::generate();
        assert_eq!(store.save(&id, b"[1]", HOUR, Expected::Absent).await.unwrap(), Saved::Done);
        assert_eq!(store.save(&id, b"[2]", HOUR, Expected::Current(b"[1]")).await.unwrap(), Saved::Done);
        assert_eq!(fs::read(dir.path().join("sessions").join(id.as_str())).unwrap(), b"[2]");
        let names: Vec<_> = fs::read_dir(dir.path().join("sessions"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 2, "the session file and the lock directory: {names:?}");
        assert!(names.contains(&LOCK_DIR.to_string()) && names.contains(&id.to_string()));
        store.delete(&id).await.unwrap();
        assert!(!dir.path().join("sessions").join(id.as_str()).exists());
    }

    #[tokio::test]
    async fn a_directory_removed_under_the_store_is_made_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir);
        let id = SessionId::generate();
        store.save(&id, b"[1]", HOUR, Expected::Any).await.unwrap();
        fs::remove_dir_all(dir.path().join("sessions")).unwrap();
        store.save(&id, b"[2]", HOUR, Expected::Absent).await.unwrap();
        assert_eq!(store.load(&id).await.unwrap(), Some(b"[2]".to_vec()));
    }

    #[tokio::test]
    async fn idle_sessions_and_tombstones_expire_and_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsStore::new(dir.path().join("s"), Duration::from_millis(50), HOUR);
        let (live, idle, tomb) = (SessionId::generate(), SessionId::generate(), SessionId::generate());
        store.save(&idle, b"[[\"Map\"]]", HOUR, Expected::Any).await.unwrap();
        store.save(&tomb, TOMBSTONE, HOUR, Expected::Any).await.unwrap();
        let temp = dir.path().join("s").join(format!(".{live}.0000000000000000.tmp"));
        fs::write(&temp, b"partial").unwrap();
        File::options().write(true).open(&temp).unwrap().set_modified(SystemTime::now() - 2 * STALE_TEMP_FILE).unwrap();
        tokio::time::sleep(Duration::from_millis(80)).await;
        store.save(&live, b"[[\"Map\"]]", HOUR, Expected::Any).await.unwrap();
        assert_eq!(store.load(&idle).await.unwrap(), None, "idle past its lifetime");
        assert_eq!(store.load(&tomb).await.unwrap(), Some(Vec::new()), "tombstones outlive the idle lifetime");
        assert_eq!(store.sweep().await.unwrap(), 2);
        assert!(!dir.path().join("s").join(idle.as_str()).exists());
        assert!(!temp.exists());
        assert!(dir.path().join("s").join(live.as_str()).exists());
        assert!(dir.path().join("s").join(tomb.as_str()).exists());
    }
}
