//! The locks that make a compare-and-set on `<base>/<id>` one atomic step for every thread and
//! every process using the directory. Why they are made this way:
//!
//! - **Per session where the OS allows.** On Linux: open-file-description ("OFD") byte-range
//!   locks, `fcntl(F_OFD_SETLK)`, on one file, `<base>/.locks/sessions`, one byte per session at an
//!   offset taken from the id's random bits ([`byte_of`]). Sessions never wait for each other's
//!   locks, in this process or in another. Classic POSIX record locks (`F_SETLK`) would not do:
//!   they belong to the process, so two threads would share one, and closing *any* descriptor of
//!   the file drops them all. OFD locks belong to an open file description and conflict with every
//!   other description, in this process too — so each lock holder uses a description of its own,
//!   taken from a small pool of open ones.
//! - **Striped elsewhere.** macOS and Windows have no OFD locks. There (and on a Linux kernel older
//!   than 3.15, which answers `EINVAL`) a session takes a whole-file lock (`File::try_lock`: `flock`
//!   on Unix, `LockFileEx` on Windows) on one of 64 files, `<base>/.locks/0` … `63`, chosen by its
//!   id — the files and locks of earlier versions of this store. Those locks too belong to the open
//!   description (handle), so the same pool works. Unrelated sessions then share a lock one time
//!   in 64, for the short time a write holds it.
//! - **Never a blocking wait.** A thread blocked in `flock`/`F_OFD_SETLKW` can be stopped by no
//!   deadline (a tokio timeout abandons the future, not the thread), so a lock is tried, and tried
//!   again after growing pauses, until the operation's [`Budget`] runs out or the caller gave up.
//! - **Lock files can vanish.** Nothing here deletes one (that races with its users), but `<base>`
//!   may be removed while the process runs. A pooled description of a deleted file would lock
//!   nothing anyone else can see, so once a lock is taken, the path is checked to still name that
//!   file; if not, the pool is dropped and the file opened (and made) again.
//! - **Private.** `.locks` is 0700 and lock files 0600, so another account can neither open one
//!   nor hold its lock (a read-only descriptor is enough for `flock`, or for a read lock that
//!   blocks a write lock).

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::files;
use crate::id::SessionId;

pub const LOCK_DIR: &str = ".locks";
/// The file whose bytes are the sessions' locks (OFD locks).
pub const BYTE_LOCK_FILE: &str = "sessions";
/// How many striped lock files the portable fallback spreads sessions over.
pub const STRIPES: u64 = 64;
/// Idle open descriptions kept per lock file: enough for the commits one process runs at once,
/// few enough that an idle process holds few descriptors.
const IDLE_DESCRIPTIONS: usize = 16;
/// Pauses between attempts on a busy lock grow from the first to the last: short, because a lock
/// is held only for a read, a compare and a rename; capped, so a waiter notices a release soon.
const FIRST_PAUSE: Duration = Duration::from_micros(50);
const LONGEST_PAUSE: Duration = Duration::from_millis(4);
/// A path that names another file after each of this many locks was not deleted once by
/// accident: something keeps replacing it, and waiting on it would not be a lock.
const MOST_REOPENS: u32 = 8;

/// What a lock wait may take: until `until`, and only while the operation that asked for it
/// still waits for the answer.
#[derive(Clone, Debug)]
pub struct Budget {
    until: Instant,
    given_up: Arc<AtomicBool>,
}

impl Budget {
    pub fn new(timeout: Duration) -> Self {
        let now = Instant::now();
        let far = now + Duration::from_secs(100 * 365 * 24 * 3600);
        Self { until: now.checked_add(timeout).unwrap_or(far), given_up: Arc::new(AtomicBool::new(false)) }
    }

    /// Set when the operation was abandoned (its deadline passed, its request went away).
    pub fn given_up_flag(&self) -> Arc<AtomicBool> {
        self.given_up.clone()
    }

    pub fn given_up(&self) -> bool {
        self.given_up.load(Ordering::Relaxed)
    }

    pub fn is_spent(&self) -> bool {
        self.given_up() || Instant::now() >= self.until
    }

    fn remaining(&self) -> Duration {
        self.until.saturating_duration_since(Instant::now())
    }
}

/// How long [`SessionLocks::acquire`] may wait for a lock that is held.
pub enum Wait<'a> {
    /// Not at all: the sweep passes over a session that is in use.
    No,
    Within(&'a Budget),
}

/// The lock kind in use. Chosen per platform; Linux falls back to stripes if the kernel turns
/// OFD locks down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    #[cfg(target_os = "linux")]
    Bytes,
    Stripes,
}

impl Kind {
    pub fn native() -> Self {
        #[cfg(target_os = "linux")]
        return Kind::Bytes;
        #[cfg(not(target_os = "linux"))]
        return Kind::Stripes;
    }
}

pub struct SessionLocks {
    dir: PathBuf,
    /// Cleared (for good) when the kernel refuses OFD locks.
    #[cfg(target_os = "linux")]
    bytes_work: AtomicBool,
    #[cfg(target_os = "linux")]
    bytes: Pool,
    stripes: Vec<Pool>,
    /// A `.locks` made by an earlier version (0755) is made private once per process.
    dir_checked: AtomicBool,
}

/// A held lock, released when dropped.
pub struct Held<'a> {
    pool: &'a Pool,
    description: Option<Description>,
    region: Region,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if let Some(description) = self.description.take() {
            // If unlocking fails, the description is closed instead, which releases its locks.
            if unlock(&description.file, self.region).is_ok() {
                self.pool.put_back(description);
            }
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Region {
    /// One byte of the byte lock file (OFD lock).
    #[cfg(target_os = "linux")]
    Byte(i64),
    /// A whole striped file.
    Whole,
}

impl SessionLocks {
    /// Locks in `dir` (`<base>/.locks`) of the given kind: [`Kind::native`] but in tests, which
    /// run both kinds on Linux.
    pub fn of_kind(dir: PathBuf, kind: Kind) -> Self {
        #[cfg(not(target_os = "linux"))]
        let Kind::Stripes = kind;
        Self {
            #[cfg(target_os = "linux")]
            bytes_work: AtomicBool::new(kind == Kind::Bytes),
            #[cfg(target_os = "linux")]
            bytes: Pool::new(dir.join(BYTE_LOCK_FILE)),
            stripes: (0..STRIPES).map(|n| Pool::new(dir.join(n.to_string()))).collect(),
            dir_checked: AtomicBool::new(false),
            dir,
        }
    }

    /// The lock of session `id`, taken within `wait`; `None` if another holder kept it.
    pub fn acquire(&self, id: &SessionId, wait: Wait<'_>) -> io::Result<Option<Held<'_>>> {
        let mut pause = FIRST_PAUSE;
        let mut reopens = 0;
        loop {
            let (pool, region) = self.place_of(id);
            let description = pool.take().map_or_else(|| self.open(pool), Ok)?;
            match try_lock(&description.file, region) {
                Ok(true) => {
                    if pool.still_names(&description)? {
                        return Ok(Some(Held { pool, description: Some(description), region }));
                    }
                    // The file was deleted (and maybe made again) since this description was
                    // opened: its lock excludes nobody. Start over on the file the path names now.
                    drop(description);
                    pool.forget_idle();
                    reopens += 1;
                    if reopens > MOST_REOPENS {
                        return Err(io::Error::other(
                            "the lock file keeps being deleted or replaced; is something cleaning the directory?",
                        ));
                    }
                    continue;
                }
                Ok(false) => pool.put_back(description),
                #[cfg(target_os = "linux")]
                Err(error) if matches!(region, Region::Byte(_)) && error.raw_os_error() == Some(libc::EINVAL) => {
                    // A kernel without OFD locks (Linux < 3.15): the stripes work everywhere.
                    self.bytes_work.store(false, Ordering::Relaxed);
                    continue;
                }
                Err(error) => return Err(error),
            }
            let Wait::Within(budget) = wait else { return Ok(None) };
            if budget.is_spent() {
                return Ok(None);
            }
            // Jittered, so that waiters in several processes do not retry in step.
            let jittered = pause / 2 + pause.mul_f64(random_fraction()) / 2;
            std::thread::sleep(jittered.min(budget.remaining()));
            pause = (pause * 2).min(LONGEST_PAUSE);
        }
    }

    fn place_of(&self, id: &SessionId) -> (&Pool, Region) {
        #[cfg(target_os = "linux")]
        if self.bytes_work.load(Ordering::Relaxed) {
            return (&self.bytes, Region::Byte(byte_of(id)));
        }
        (&self.stripes[stripe_of(id) as usize], Region::Whole)
    }

    /// A new description of `pool`'s file, made (with `.locks`, and `<base>`) if it is missing.
    fn open(&self, pool: &Pool) -> io::Result<Description> {
        if !self.dir_checked.swap(true, Ordering::Relaxed) {
            files::make_own_dir_private(&self.dir);
        }
        match Description::open(&pool.path) {
            // (A file where a directory should be answers NotADirectory; making the directories
            // then says which.)
            Err(error) if matches!(error.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => {
                files::make_private_dirs(&self.dir)
                    .map_err(|error| io::Error::new(error.kind(), DirectoryNotMade { dir: self.dir.clone(), error }))?;
                Description::open(&pool.path)
            }
            opened => opened,
        }
    }
}

/// The lock directory (`<base>/.locks`, and `<base>` with it) could not be made — no session can
/// be stored until it can, so the error names the directory rather than a session's lock.
#[derive(Debug)]
pub struct DirectoryNotMade {
    pub dir: PathBuf,
    pub error: io::Error,
}

impl std::fmt::Display for DirectoryNotMade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "could not create the directory {}: {}", self.dir.display(), self.error)
    }
}

impl std::error::Error for DirectoryNotMade {}

/// The byte of the byte lock file that stands for session `id`: 60 of its random bits (the hex
/// digits before its version digit, which is always 4). Two sessions share a byte (and so a lock,
/// harmlessly) only if those bits collide. Other programs that want to lock a session the same
/// way take this byte with a write lock (`F_OFD_SETLK`, or `F_SETLK`: the two kinds conflict).
pub fn byte_of(id: &SessionId) -> i64 {
    let text = id.as_str();
    let digits = text.get(0..8).into_iter().chain(text.get(9..13)).chain(text.get(15..18));
    let value =
        digits.flat_map(str::chars).fold(0u64, |value, c| (value << 4) | u64::from(c.to_digit(16).unwrap_or(0)));
    // 60 bits: always a valid, positive 64-bit offset.
    (value & ((1 << 60) - 1)) as i64
}

/// The striped file of session `id`: its first 32 bits, modulo [`STRIPES`] (as earlier versions
/// chose it).
pub fn stripe_of(id: &SessionId) -> u64 {
    u64::from_str_radix(id.as_str().get(..8).unwrap_or("0"), 16).unwrap_or(0) % STRIPES
}

/// Open descriptions of one lock file, idle ones kept for reuse.
struct Pool {
    path: PathBuf,
    idle: Mutex<Vec<Description>>,
}

impl Pool {
    fn new(path: PathBuf) -> Self {
        Self { path, idle: Mutex::new(Vec::new()) }
    }

    fn idle(&self) -> MutexGuard<'_, Vec<Description>> {
        // A panic while this was held left only a list of files behind: still usable.
        self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn take(&self) -> Option<Description> {
        self.idle().pop()
    }

    fn put_back(&self, description: Description) {
        let mut idle = self.idle();
        if idle.len() < IDLE_DESCRIPTIONS {
            idle.push(description);
        }
    }

    fn forget_idle(&self) {
        self.idle().clear();
    }

    /// Whether the lock file's path still names the file `description` has open.
    fn still_names(&self, description: &Description) -> io::Result<bool> {
        match fs::symlink_metadata(&self.path) {
            Ok(metadata) => Ok(Identity::of(&metadata) == description.identity),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(error) => Err(error),
        }
    }
}

struct Description {
    file: File,
    identity: Identity,
}

impl Description {
    fn open(path: &Path) -> io::Result<Self> {
        let file = files::private_options(OpenOptions::new().read(true).write(true).create(true).truncate(false))
            .open(path)?;
        let metadata = file.metadata()?;
        if !metadata.is_file() {
            return Err(io::Error::other("the lock file is not a regular file"));
        }
        files::make_file_private(&file, &metadata);
        Ok(Self { file, identity: Identity::of(&metadata) })
    }
}

/// Which file a path names: device and inode on Unix. Windows does not let a file that is open
/// (without FILE_SHARE_DELETE, as std opens files) be deleted, and has no stable inode in std, so
/// there the check is only that the path exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Identity {
    #[cfg(unix)]
    device_inode: (u64, u64),
}

impl Identity {
    fn of(metadata: &fs::Metadata) -> Self {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Self { device_inode: (metadata.dev(), metadata.ino()) }
        }
        #[cfg(not(unix))]
        {
            let _ = metadata;
            Self {}
        }
    }
}

/// Takes the lock on `region` of `file` if it is free: `Ok(false)` if another holder has it.
fn try_lock(file: &File, region: Region) -> io::Result<bool> {
    match region {
        #[cfg(target_os = "linux")]
        Region::Byte(offset) => ofd(file, offset, libc::F_WRLCK as libc::c_short).map(|()| true).or_else(|error| {
            match error.raw_os_error() {
                // Both answers mean "held"; which one depends on the kernel and architecture.
                Some(libc::EAGAIN | libc::EACCES) => Ok(false),
                _ => Err(error),
            }
        }),
        Region::Whole => match file.try_lock() {
            Ok(()) => Ok(true),
            Err(fs::TryLockError::WouldBlock) => Ok(false),
            Err(fs::TryLockError::Error(error)) => Err(error),
        },
    }
}

fn unlock(file: &File, region: Region) -> io::Result<()> {
    match region {
        #[cfg(target_os = "linux")]
        Region::Byte(offset) => ofd(file, offset, libc::F_UNLCK as libc::c_short),
        Region::Whole => file.unlock(),
    }
}

/// `fcntl(F_OFD_SETLK)` on one byte at `offset`: never waits.
#[cfg(target_os = "linux")]
fn ofd(file: &File, offset: i64, lock_type: libc::c_short) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: a zeroed `flock` is a valid value of this plain C struct; the fields that matter are
    // set below (`l_pid` must be 0 for OFD locks).
    let mut lock: libc::flock = unsafe { std::mem::zeroed() };
    lock.l_type = lock_type;
    lock.l_whence = libc::SEEK_SET as libc::c_short;
    // 64-bit targets take the offset as it is; a 32-bit off_t folds it, which only makes more
    // sessions share a byte. (The conversion is a no-op only on 64-bit targets.)
    #[allow(clippy::useless_conversion)]
    let start = libc::off_t::try_from(offset % i64::from(libc::off_t::MAX)).unwrap_or(0);
    lock.l_start = start;
    lock.l_len = 1;
    loop {
        // SAFETY: the descriptor is open for the lifetime of `file`, and `lock` is a valid
        // `flock` that outlives the call; F_OFD_SETLK only reads it.
        let result = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_SETLK, &mut lock) };
        if result == 0 {
            return Ok(());
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// A number in [0, 1), random enough to spread retries.
fn random_fraction() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let bits = std::collections::hash_map::RandomState::new().build_hasher().finish();
    (bits >> 11) as f64 / (1u64 << 53) as f64
}
