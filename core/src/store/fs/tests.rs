use std::fs::{self, File};
use std::time::Instant;

use super::locks::Kind;
use super::*;
use crate::store::{RETIRED, TOMBSTONE};
use crate::ErrorCode;

const HOUR: Duration = Duration::from_secs(3600);
const MAX: usize = crate::limits::DEFAULT_MAX_SIZE;

/// The lock kinds this platform can use: Linux has both, and tests both.
fn kinds() -> Vec<Kind> {
    #[cfg(target_os = "linux")]
    return vec![Kind::Bytes, Kind::Stripes];
    #[cfg(not(target_os = "linux"))]
    return vec![Kind::Stripes];
}

fn options(base: PathBuf) -> FsOptions {
    FsOptions { base, lifetime: HOUR, sweep_interval: HOUR, lock_timeout: Duration::from_secs(5), max_record_size: MAX }
}

fn store(dir: &tempfile::TempDir) -> FsStore {
    FsStore::new(options(dir.path().join("sessions")))
}

/// A store whose lock waits end after `lock_timeout`.
fn impatient(base: &Path, lock_timeout: Duration, kind: Kind) -> FsStore {
    FsStore::with_locks(FsOptions { lock_timeout, ..options(base.to_path_buf()) }, kind)
}

/// Another holder of the store's locks, as another process would hold them: its own locks
/// object, so its own open file descriptions.
fn foreign_locks(base: &Path, kind: Kind) -> SessionLocks {
    SessionLocks::of_kind(base.join(LOCK_DIR), kind)
}

/// `store`, with its first background sweep an interval away (saves start one otherwise): for
/// tests of sessions that expire at once, which it would sweep under their feet.
fn without_background_sweeps(store: FsStore) -> FsStore {
    store.shared.last_sweep.store(now_ms() as u64, Ordering::Relaxed);
    store
}

fn hold<'a>(locks: &'a SessionLocks, id: &SessionId) -> Held<'a> {
    locks.acquire(id, Wait::No).unwrap().expect("the lock is free")
}

/// An id whose lock is not `other`'s under any lock kind (a different stripe too).
fn unrelated_to(other: &SessionId) -> SessionId {
    loop {
        let id = SessionId::generate();
        if locks::stripe_of(&id) != locks::stripe_of(other) {
            return id;
        }
    }
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
    let spare = format!(".{}.spare", id.as_str());
    let mut expected = vec![id.as_str().to_owned(), LOCK_DIR.to_owned()];
    if cfg!(target_os = "linux") {
        // Where the next record is written before it is swapped in; it holds the previous one.
        expected.push(spare.clone());
        assert_eq!(fs::read(dir.path().join("sessions").join(&spare)).unwrap(), b"[1]");
    }
    let mut names = names;
    names.sort();
    expected.sort();
    assert_eq!(names, expected, "the session file (and its spare) and the lock directory, no temporary file");
    store.delete(&id).await.unwrap();
    assert!(!dir.path().join("sessions").join(id.as_str()).exists());
    assert!(!dir.path().join("sessions").join(&spare).exists(), "the spare goes with it");
}

#[tokio::test]
async fn a_tombstone_leaves_no_copy_of_what_it_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let sessions = dir.path().join("sessions");
    for tombstone in [TOMBSTONE, RETIRED] {
        let id = SessionId::generate();
        store.save(&id, b"[1]", HOUR, Expected::Absent).await.unwrap();
        store.save(&id, b"[\"secret\"]", HOUR, Expected::Current(b"[1]")).await.unwrap();
        let saved = store.save(&id, tombstone, HOUR, Expected::Current(b"[\"secret\"]")).await.unwrap();
        assert_eq!(saved, Saved::Done);
        assert_eq!(fs::read(sessions.join(id.as_str())).unwrap(), tombstone);
        for entry in fs::read_dir(&sessions).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                let text = fs::read(&path).unwrap();
                assert!(!text.windows(6).any(|w| w == b"secret"), "{} still holds the destroyed data", path.display());
            }
        }
    }
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
async fn a_directory_that_cannot_be_made_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    // <base>'s parent is a regular file: no directory can be made below it (a permission error
    // would do as well, but the tests may run as root).
    fs::write(dir.path().join("file"), b"").unwrap();
    let store = FsStore::new(options(dir.path().join("file").join("sessions")));
    let id = SessionId::generate();
    let error = store.save(&id, b"x", HOUR, Expected::Any).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Storage);
    let message = error.message.clone();
    assert!(message.contains("could not create the directory"), "{message}");
    assert!(message.contains(&format!("file{}sessions", std::path::MAIN_SEPARATOR)), "{message}");
    assert!(!message.contains("could not lock"), "not a lock's fault: {message}");
}

#[tokio::test]
async fn idle_sessions_and_tombstones_expire_and_are_swept() {
    let dir = tempfile::tempdir().unwrap();
    let idle_timeout = Duration::from_millis(50);
    let store = FsStore::new(FsOptions { lifetime: idle_timeout, ..options(dir.path().join("s")) });
    let (live, idle, tomb) = (SessionId::generate(), SessionId::generate(), SessionId::generate());
    store.save(&idle, b"[[\"Map\"]]", idle_timeout, Expected::Any).await.unwrap();
    store.save(&tomb, TOMBSTONE, crate::store::TOMBSTONE_LIFETIME, Expected::Any).await.unwrap();
    // A stale temporary file as this version names them, and as earlier ones did.
    let temps =
        [dir.path().join("s").join(".00000000000000ab.tmp"), dir.path().join("s").join(format!(".{live}.00.tmp"))];
    for temp in &temps {
        fs::write(temp, b"partial").unwrap();
        File::options().write(true).open(temp).unwrap().set_modified(SystemTime::now() - 2 * STALE_TEMP_FILE).unwrap();
    }
    tokio::time::sleep(Duration::from_millis(80)).await;
    store.save(&live, b"[[\"Map\"]]", HOUR, Expected::Any).await.unwrap();
    assert_eq!(store.load(&idle).await.unwrap(), None, "idle past its lifetime");
    assert_eq!(store.load(&tomb).await.unwrap(), Some(Vec::new()), "tombstones outlive the idle lifetime");
    assert_eq!(store.sweep().await.unwrap(), 3);
    assert!(!dir.path().join("s").join(idle.as_str()).exists());
    assert!(temps.iter().all(|temp| !temp.exists()));
    assert!(dir.path().join("s").join(live.as_str()).exists());
    assert!(dir.path().join("s").join(tomb.as_str()).exists());
}

/// A read learns when the session expires if nobody writes it; a touch (moving the file's time,
/// under the lock) renews it — only the record expected, and never makes one.
#[tokio::test]
async fn reads_know_the_expiry_and_a_touch_renews_it() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("sessions");
    let store = without_background_sweeps(store(&dir));
    let id = SessionId::generate();
    store.save(&id, b"[1]", HOUR, Expected::Absent).await.unwrap();
    // Last written 40 minutes ago: 20 minutes left of its hour.
    let forty_minutes_ago = SystemTime::now() - Duration::from_secs(40 * 60);
    File::options().write(true).open(base.join(id.as_str())).unwrap().set_modified(forty_minutes_ago).unwrap();
    let (record, expires_at) = store.load_with_expiry(&id).await.unwrap().unwrap();
    assert_eq!(record, b"[1]");
    let left = expires_at.unwrap() - now_ms();
    assert!((19.0 * 60e3..=20.0 * 60e3).contains(&left), "{left} ms left");

    assert!(!store.touch(&id, b"[0]", HOUR).await.unwrap(), "not the record expected");
    assert!(store.touch(&id, b"[1]", HOUR).await.unwrap());
    let (_, expires_at) = store.load_with_expiry(&id).await.unwrap().unwrap();
    let left = expires_at.unwrap() - now_ms();
    assert!((59.0 * 60e3..=60.0 * 60e3).contains(&left), "renewed: {left} ms left");

    let absent = SessionId::generate();
    assert!(!store.touch(&absent, b"[1]", HOUR).await.unwrap());
    assert_eq!(store.load(&absent).await.unwrap(), None, "a touch makes no record");

    // A record written to live longer than the idle timeout (a value with a later expiry keeps its
    // session) lives exactly that long, and the read says so; so does a touch that extends it so.
    store.save(&id, b"[2]", 2 * HOUR, Expected::Any).await.unwrap();
    let (_, expires_at) = store.load_with_expiry(&id).await.unwrap().unwrap();
    let left = expires_at.unwrap() - now_ms();
    assert!((119.0 * 60e3..=120.0 * 60e3).contains(&left), "{left} ms left");
    assert!(store.touch(&id, b"[2]", 3 * HOUR).await.unwrap());
    let left = store.load_with_expiry(&id).await.unwrap().unwrap().1.unwrap() - now_ms();
    assert!((179.0 * 60e3..=180.0 * 60e3).contains(&left), "{left} ms left");
    // And one written to live shorter (a tombstone) lives that long.
    store.save(&id, TOMBSTONE, Duration::from_millis(100), Expected::Any).await.unwrap();
    assert!(store.load(&id).await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(store.load(&id).await.unwrap(), None);
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// Under this process's umask (the Node tests set others: 022, 000, 277).
#[cfg(unix)]
#[tokio::test]
async fn what_the_store_creates_is_private() {
    for kind in kinds() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("parent").join("sessions");
        let store = FsStore::with_locks(options(base.clone()), kind);
        let id = SessionId::generate();
        store.save(&id, b"[1]", HOUR, Expected::Absent).await.unwrap();
        for created in [dir.path().join("parent"), base.clone(), base.join(LOCK_DIR)] {
            assert_eq!(mode(&created), 0o700, "{kind:?}: {}", created.display());
        }
        assert_eq!(mode(&base.join(id.as_str())), 0o600, "{kind:?}: the session file");
        for lock_file in fs::read_dir(base.join(LOCK_DIR)).unwrap() {
            assert_eq!(mode(&lock_file.unwrap().path()), 0o600, "{kind:?}: a lock file");
        }
    }
}

#[cfg(unix)]
#[tokio::test]
async fn a_directory_that_exists_keeps_its_mode_but_lock_files_are_made_private() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("shared");
    fs::create_dir(&base).unwrap();
    set_mode(&base, 0o755);
    // As an earlier version left them.
    fs::create_dir(base.join(LOCK_DIR)).unwrap();
    set_mode(&base.join(LOCK_DIR), 0o755);
    for lock_file in [locks::BYTE_LOCK_FILE.to_string(), "0".into()] {
        fs::write(base.join(LOCK_DIR).join(&lock_file), b"").unwrap();
        set_mode(&base.join(LOCK_DIR).join(&lock_file), 0o644);
    }
    for kind in kinds() {
        let store = FsStore::with_locks(options(base.clone()), kind);
        let id = SessionId::parse("00000000-0000-4000-8000-000000000000").unwrap(); // stripe 0
        store.save(&id, b"[1]", HOUR, Expected::Any).await.unwrap();
        assert_eq!(mode(&base), 0o755, "{kind:?}: <base> is the user's, left as it is");
        assert_eq!(mode(&base.join(LOCK_DIR)), 0o700, "{kind:?}: .locks is the store's own");
        assert_eq!(mode(&base.join(id.as_str())), 0o600, "{kind:?}");
    }
    assert_eq!(mode(&base.join(LOCK_DIR).join("0")), 0o600);
    #[cfg(target_os = "linux")]
    assert_eq!(mode(&base.join(LOCK_DIR).join(locks::BYTE_LOCK_FILE)), 0o600);
}

/// `path` made a FIFO.
#[cfg(unix)]
fn make_fifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0, "mkfifo {}", path.display());
}

/// The answer of `work`, which must come within a second.
async fn promptly<T>(what: &str, work: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(1), work)
        .await
        .unwrap_or_else(|_| panic!("{what} did not answer within 1 s"))
}

/// Runs `test` on a runtime that, when the test fails, is left behind rather than waited for:
/// a failing test here may leave a blocking thread hung on a FIFO, which a runtime's drop would
/// wait for forever.
fn without_waiting_for_hung_threads(test: impl std::future::Future<Output = ()>) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runtime.block_on(test)));
    runtime.shutdown_background();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

#[cfg(unix)]
#[test]
fn what_is_not_a_regular_file_is_no_session() {
    without_waiting_for_hung_threads(not_a_regular_file());
}

#[cfg(unix)]
async fn not_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("s");
    let store = FsStore::new(FsOptions { lifetime: Duration::ZERO, ..options(base.clone()) });
    let real = SessionId::generate();
    // Written directly: a save would start a background sweep, which would race with the one below.
    fs::create_dir(&base).unwrap();
    fs::write(base.join(real.as_str()), b"[1]").unwrap();
    let [fifo, socket, directory, to_zero, to_real] = std::array::from_fn(|_| SessionId::generate());
    make_fifo(&base.join(fifo.as_str()));
    let _listener = std::os::unix::net::UnixListener::bind(base.join(socket.as_str())).unwrap();
    fs::create_dir(base.join(directory.as_str())).unwrap();
    std::os::unix::fs::symlink("/dev/zero", base.join(to_zero.as_str())).unwrap();
    std::os::unix::fs::symlink(base.join(real.as_str()), base.join(to_real.as_str())).unwrap();
    let specials: [(&str, &SessionId); 5] = [
        ("a FIFO", &fifo),
        ("a socket", &socket),
        ("a directory", &directory),
        ("a symlink to /dev/zero", &to_zero),
        ("a symlink to a session", &to_real),
    ];
    for (what, id) in specials {
        assert_eq!(promptly(what, store.load(id)).await.unwrap(), None, "{what}");
    }
    // lifetime 0: the one real session has expired, and is the only thing swept.
    assert_eq!(promptly("the sweep", store.sweep()).await.unwrap(), 1);
    assert!(!base.join(real.as_str()).exists());
    for (what, id) in specials {
        assert!(fs::symlink_metadata(base.join(id.as_str())).is_ok(), "{what} is left alone");
    }
    // A write replaces a FIFO or a symlink (rename replaces the name, it does not write through).
    // (A store whose sessions do not expire at once: its saves start background sweeps.)
    let store = FsStore::new(options(base.clone()));
    for (what, id) in [("a FIFO", &fifo), ("a symlink to /dev/zero", &to_zero)] {
        assert_eq!(promptly(what, store.save(id, b"[2]", HOUR, Expected::Absent)).await.unwrap(), Saved::Done);
        assert!(fs::symlink_metadata(base.join(id.as_str())).unwrap().is_file(), "{what}");
    }
    // A directory cannot be replaced: a storage error that does not name the session.
    let error = promptly("a directory", store.save(&directory, b"[2]", HOUR, Expected::Absent)).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Storage);
    assert!(!error.message.contains(directory.as_str()), "{}", error.message);
    assert!(error.message.contains("<session file>"), "{}", error.message);
}

#[tokio::test]
async fn no_more_than_one_byte_past_the_limit_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("s");
    let store = FsStore::new(FsOptions { max_record_size: 1000, ..options(base.clone()) });
    let (huge, fits) = (SessionId::generate(), SessionId::generate());
    store.save(&fits, &[b'x'; 1000], HOUR, Expected::Absent).await.unwrap();
    fs::write(base.join(huge.as_str()), vec![b'x'; 10 << 20]).unwrap();
    assert_eq!(store.load(&huge).await.unwrap().map(|record| record.len()), Some(1001));
    assert_eq!(store.load(&fits).await.unwrap().map(|record| record.len()), Some(1000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_lock_is_waited_for_until_the_timeout_and_no_longer() {
    for kind in kinds() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("s");
        let timeout = Duration::from_millis(300);
        let store = impatient(&base, timeout, kind);
        let (busy, other) = (SessionId::generate(), SessionId::generate());
        let other = if kind == Kind::Stripes { unrelated_to(&busy) } else { other };
        store.save(&busy, b"[1]", HOUR, Expected::Absent).await.unwrap();
        let holder = foreign_locks(&base, kind);
        let held = hold(&holder, &busy);

        let started = Instant::now();
        let error = store.save(&busy, b"[2]", HOUR, Expected::Current(b"[1]")).await.unwrap_err();
        let waited = started.elapsed();
        assert_eq!(error.code, ErrorCode::Timeout, "{kind:?}: {error:?}");
        assert!(waited >= timeout && waited < timeout + Duration::from_millis(250), "{kind:?}: waited {waited:?}");
        assert!(
            !error.message.contains(busy.as_str()) && error.message.contains("<session file>"),
            "{}",
            error.message
        );
        assert_eq!(store.delete(&busy).await.unwrap_err().code, ErrorCode::Timeout, "{kind:?}");
        // Reads take no lock, and other sessions' locks are others.
        assert_eq!(promptly("a read", store.load(&busy)).await.unwrap(), Some(b"[1]".to_vec()));
        let started = Instant::now();
        store.save(&other, b"[1]", HOUR, Expected::Absent).await.unwrap();
        assert!(
            started.elapsed() < Duration::from_millis(100),
            "{kind:?}: another session waited {:?}",
            started.elapsed()
        );

        drop(held);
        assert_eq!(store.save(&busy, b"[2]", HOUR, Expected::Current(b"[1]")).await.unwrap(), Saved::Done, "{kind:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_the_session_gave_up_on_stops_and_never_writes() {
    for kind in kinds() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("s");
        let store = impatient(&base, Duration::from_secs(10), kind);
        let id = SessionId::generate();
        store.save(&id, b"[1]", HOUR, Expected::Absent).await.unwrap();
        let holder = foreign_locks(&base, kind);
        let held = hold(&holder, &id);
        // The session's deadline (shorter than the lock timeout) passes: the future is dropped.
        let abandoned =
            tokio::time::timeout(Duration::from_millis(100), store.save(&id, b"[late]", HOUR, Expected::Any));
        assert!(abandoned.await.is_err(), "{kind:?}");
        drop(held);
        // The blocking thread would take the free lock within milliseconds, if it still tried.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(fs::read(base.join(id.as_str())).unwrap(), b"[1]", "{kind:?}: nothing written after giving up");
        let names: Vec<_> = fs::read_dir(&base).unwrap().map(|e| e.unwrap().file_name()).collect();
        let temporary = names.iter().filter(|name| name.to_string_lossy().ends_with(".tmp")).count();
        assert_eq!(temporary, 0, "{kind:?}: no temporary file left: {names:?}");
        // And the lock was not kept.
        assert_eq!(store.save(&id, b"[2]", HOUR, Expected::Current(b"[1]")).await.unwrap(), Saved::Done);
    }
}

/// A lock wait ends as soon as the operation is given up, not at the end of its budget.
#[test]
fn a_lock_wait_ends_when_its_operation_is_given_up() {
    for kind in kinds() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("s");
        let id = SessionId::generate();
        let holder = foreign_locks(&base, kind);
        let _held = holder.acquire(&id, Wait::No).unwrap().unwrap();
        let budget = Budget::new(Duration::from_secs(10));
        let give_up = budget.given_up_flag();
        let waiter = std::thread::spawn(move || {
            let locks = foreign_locks(&base, kind);
            let started = Instant::now();
            let taken = locks.acquire(&id, Wait::Within(&budget)).unwrap().is_some();
            (taken, started.elapsed())
        });
        std::thread::sleep(Duration::from_millis(50));
        give_up.store(true, Ordering::Relaxed);
        let (taken, waited) = waiter.join().unwrap();
        assert!(!taken, "{kind:?}");
        assert!(waited < Duration::from_millis(500), "{kind:?}: waited {waited:?} after being given up");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_never_waits_for_a_lock() {
    for kind in kinds() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("s");
        let store = FsStore::with_locks(FsOptions { lifetime: Duration::ZERO, ..options(base.clone()) }, kind);
        let store = without_background_sweeps(store);
        let id = SessionId::generate();
        store.save(&id, b"[1]", Duration::ZERO, Expected::Absent).await.unwrap();
        let holder = foreign_locks(&base, kind);
        let held = hold(&holder, &id);
        assert_eq!(promptly("the sweep", store.sweep()).await.unwrap(), 0, "{kind:?}: a locked session is passed over");
        assert!(base.join(id.as_str()).exists());
        drop(held);
        assert_eq!(store.sweep().await.unwrap(), 1, "{kind:?}");
        assert!(!base.join(id.as_str()).exists());
    }
}

/// The sweep judges a file, then deletes it under the lock only if it is still that file: a
/// session written in between is kept.
#[tokio::test]
async fn a_rewritten_file_is_not_the_file_the_sweep_judged() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("s");
    let store = FsStore::new(FsOptions { lifetime: Duration::ZERO, ..options(base.clone()) });
    let store = without_background_sweeps(store);
    let id = SessionId::generate();
    store.save(&id, b"[1]", HOUR, Expected::Absent).await.unwrap();
    let judged = fs::metadata(base.join(id.as_str())).unwrap();
    store.save(&id, b"[2]", HOUR, Expected::Any).await.unwrap();
    assert!(!files::unchanged(&judged, &base.join(id.as_str())).unwrap(), "a rename makes another file");
    let same = fs::metadata(base.join(id.as_str())).unwrap();
    assert!(files::unchanged(&same, &base.join(id.as_str())).unwrap());
}

/// Pooled lock descriptions of a deleted lock file must not count as locks: another process
/// (here, another locks object) that made the file again would not see them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locks_still_exclude_after_the_directory_is_deleted() {
    for kind in kinds() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("s");
        let store = impatient(&base, Duration::from_millis(200), kind);
        let id = SessionId::generate();
        store.save(&id, b"[1]", HOUR, Expected::Absent).await.unwrap();
        fs::remove_dir_all(&base).unwrap();
        let holder = foreign_locks(&base, kind);
        let held = hold(&holder, &id);
        let error = store.save(&id, b"[2]", HOUR, Expected::Any).await.unwrap_err();
        assert_eq!(error.code, ErrorCode::Timeout, "{kind:?}: the lock on the new file is seen");
        drop(held);
        assert_eq!(store.save(&id, b"[2]", HOUR, Expected::Absent).await.unwrap(), Saved::Done, "{kind:?}");
    }
}

/// Two stores on one directory, as two processes: increments with compare-and-set from both, at
/// once, on one record — none lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_stores_on_one_directory_lose_nothing() {
    for kind in kinds() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("s");
        let stores = [
            Arc::new(FsStore::with_locks(options(base.clone()), kind)),
            Arc::new(FsStore::with_locks(options(base.clone()), kind)),
        ];
        let id = SessionId::generate();
        stores[0].save(&id, b"0", HOUR, Expected::Absent).await.unwrap();
        let tasks: Vec<_> = (0..8)
            .map(|task| {
                let (store, id) = (stores[task % 2].clone(), id.clone());
                tokio::spawn(async move {
                    for _ in 0..50 {
                        let mut current = store.load(&id).await.unwrap().unwrap();
                        loop {
                            let next = (std::str::from_utf8(&current).unwrap().parse::<u32>().unwrap() + 1).to_string();
                            match store.save(&id, next.as_bytes(), HOUR, Expected::Current(&current)).await.unwrap() {
                                Saved::Done => break,
                                Saved::Conflict(now) => current = now.unwrap(),
                            }
                        }
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(stores[1].load(&id).await.unwrap(), Some(b"400".to_vec()), "{kind:?}");
    }
}

#[tokio::test]
async fn messages_never_name_a_session_file() {
    let dir = tempfile::tempdir().unwrap();
    // <base> is a file: nothing can be made in it.
    let base = dir.path().join("not-a-directory");
    fs::write(&base, b"").unwrap();
    let store = FsStore::new(options(base.clone()));
    let id = SessionId::generate();
    let error = store.save(&id, b"[1]", HOUR, Expected::Any).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Storage);
    assert!(error.message.contains(&base.display().to_string()), "{}", error.message);
    let error = store.delete(&id).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Storage);
    for message in [error.message, store.load(&id).await.unwrap_err().message] {
        assert!(!message.contains(id.as_str()), "{message}");
    }
}

#[test]
fn each_session_has_its_own_byte_and_a_stripe() {
    let id = SessionId::parse("0123abcd-ef01-4234-8567-89abcdef0123").unwrap();
    // The hex digits before the version digit: 0123abcd ef01 234.
    assert_eq!(locks::byte_of(&id), 0x0123abcdef01234);
    assert_eq!(locks::stripe_of(&id), 0x0123_abcd % locks::STRIPES);
    let ids: Vec<_> = (0..1000).map(|_| SessionId::generate()).collect();
    let bytes: std::collections::HashSet<_> = ids.iter().map(locks::byte_of).collect();
    assert_eq!(bytes.len(), ids.len());
    assert!(bytes.iter().all(|&byte| (0..1 << 60).contains(&byte)));
}

/// The lock held by another process: this test binary, run again as a lock holder. It holds the
/// lock of a session until its stdin closes.
#[test]
fn a_lock_held_by_another_process_is_waited_for_until_the_timeout() {
    const HOLDER: &str = "NAPI_SESSION_FS_LOCK_HOLDER";
    if let Ok(spec) = std::env::var(HOLDER) {
        let mut parts = spec.split('\n');
        let (base, id, kind) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
        let kind = kinds().into_iter().find(|k| format!("{k:?}") == kind).unwrap();
        let locks = foreign_locks(Path::new(base), kind);
        let _held = hold(&locks, &SessionId::parse(id).unwrap());
        println!("holder: locked");
        let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut Vec::new());
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    for kind in kinds() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("s");
        let timeout = Duration::from_millis(500);
        let store = impatient(&base, timeout, kind);
        let id = SessionId::generate();
        runtime.block_on(store.save(&id, b"[1]", HOUR, Expected::Absent)).unwrap();

        let mut holder = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "store::fs::tests::a_lock_held_by_another_process_is_waited_for_until_the_timeout",
                "--nocapture",
            ])
            .env(HOLDER, format!("{}\n{}\n{kind:?}", base.display(), id.as_str()))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = std::io::BufReader::new(holder.stdout.take().unwrap());
        let mut line = String::new();
        while !line.contains("holder: locked") {
            line.clear();
            assert!(std::io::BufRead::read_line(&mut out, &mut line).unwrap() > 0, "the holder ended before locking");
        }

        let started = Instant::now();
        let error = runtime.block_on(store.save(&id, b"[2]", HOUR, Expected::Any)).unwrap_err();
        let waited = started.elapsed();
        assert_eq!(error.code, ErrorCode::Timeout, "{kind:?}: {error:?}");
        assert!(waited >= timeout && waited < timeout + Duration::from_millis(250), "{kind:?}: waited {waited:?}");

        drop(holder.stdin.take()); // the holder exits, and its lock goes with it
        holder.wait().unwrap();
        assert_eq!(runtime.block_on(store.save(&id, b"[2]", HOUR, Expected::Any)).unwrap(), Saved::Done, "{kind:?}");
    }
}

/// Spare files are written in place: a reader that opened the session file just before it was
/// swapped out must never return a record half overwritten by the next write. Each record here
/// is one byte repeated, its length given by that byte, so any mix of two is seen.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn readers_never_see_a_record_being_written() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(without_background_sweeps(store(&dir)));
    let id = SessionId::generate();
    let record = |n: u8| vec![b'a' + n % 26; 200 + 997 * usize::from(n % 26 % 7)];
    store.save(&id, &record(0), HOUR, Expected::Any).await.unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (store, id, stop) = (store.clone(), id.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0u8;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n = n.wrapping_add(1);
                store.save(&id, &record(n), HOUR, Expected::Any).await.unwrap();
            }
        })
    };
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (store, id) = (store.clone(), id.clone());
            tokio::spawn(async move {
                let mut reads = 0;
                for _ in 0..2_000 {
                    let read = store.load(&id).await.unwrap().expect("a record");
                    let first = read[0];
                    assert!(read.iter().all(|&b| b == first), "a record mixed from two writes");
                    assert_eq!(read.len(), 200 + 997 * usize::from((first - b'a') % 7), "a record cut short or grown");
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    for reader in readers {
        assert_eq!(reader.await.unwrap(), 2_000);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.await.unwrap();
}
