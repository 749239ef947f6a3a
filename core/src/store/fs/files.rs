//! The file operations of the fs store, made safe for a directory that other programs (Astro,
//! a second server, another local account if the directory lets it) may also put things in.
//!
//! - **Private.** Files this store creates are 0600 and directories 0700, whatever the umask (the
//!   mode is set again after creation, as a umask can only take bits away, and a umask that takes
//!   the owner's away would leave files we cannot read back). A directory that already exists keeps
//!   its mode: it may be shared on purpose, and it is not ours to change — except `.locks`, which
//!   only this store makes, and which earlier versions made 0755.
//! - **Regular files only.** A session file is opened with `O_NOFOLLOW` (a symlink is not
//!   followed — to `/dev/zero`, say) and `O_NONBLOCK` (a FIFO does not block the open), and read
//!   only if `fstat` says it is a regular file. Anything else named like a session id — a FIFO, a
//!   socket, a device, a directory, a symlink — is no session.
//! - **Bounded reads.** At most `max + 1` bytes of a file are read: enough for the session layer
//!   to see that the record is too large, never a whole huge file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// File modes of what this store creates.
#[cfg(unix)]
const FILE_MODE: u32 = 0o600;
#[cfg(unix)]
const DIR_MODE: u32 = 0o700;

/// `options` plus: created files are private, the last path component is never followed if it
/// is a symlink, and opening never blocks on a FIFO. (std opens everything close-on-exec.)
pub fn private_options(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(FILE_MODE).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::OpenOptionsExt;
        // FILE_FLAG_OPEN_REPARSE_POINT: open a symlink (reparse point) itself, not its target.
        options.custom_flags(0x0020_0000);
    }
    options
}

/// Sets the mode of `file`, which this store created or uses as its own (a lock file), to 0600
/// if it is not: a umask may have narrowed it, an earlier version or another program made it wider.
pub fn make_file_private(file: &File, metadata: &fs::Metadata) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if metadata.permissions().mode() & 0o7777 != FILE_MODE {
            // If this fails (the file belongs to another account), the lock still works for us;
            // nothing better can be done from here.
            let _ = file.set_permissions(fs::Permissions::from_mode(FILE_MODE));
        }
    }
    #[cfg(not(unix))]
    let _ = (file, metadata);
}

/// Makes `dir` and whatever of its ancestors is missing, each 0700. Directories that exist keep
/// their mode.
pub fn make_private_dirs(dir: &Path) -> io::Result<()> {
    let mut missing = Vec::new();
    let mut cursor = Some(dir);
    while let Some(path) = cursor.filter(|path| !path.as_os_str().is_empty()) {
        match fs::metadata(path) {
            Ok(metadata) if metadata.is_dir() => break,
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "a file that is not a directory is in the way",
                ))
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => missing.push(path),
            Err(error) => return Err(error),
        }
        cursor = path.parent();
    }
    for path in missing.into_iter().rev() {
        match private_dir_builder().create(path) {
            Ok(()) => set_dir_private(path)?,
            // Made by another thread or process meanwhile: theirs, mode and all.
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists && path.is_dir() => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// Makes `dir` 0700 if it is a directory of this account with a wider mode: for `.locks`, which
/// only this store makes (earlier versions made it 0755). Best effort: a directory that is not
/// ours stays as it is.
pub fn make_own_dir_private(dir: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let Ok(metadata) = fs::symlink_metadata(dir) else { return };
        // SAFETY: geteuid has no preconditions and cannot fail.
        let own = metadata.uid() == unsafe { libc::geteuid() };
        if metadata.is_dir() && own && metadata.permissions().mode() & 0o077 != 0 {
            let _ = set_dir_private(dir);
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
}

fn private_dir_builder() -> fs::DirBuilder {
    #[allow(unused_mut)]
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(DIR_MODE);
    }
    builder
}

fn set_dir_private(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(DIR_MODE))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// The session file at `path`, open for reading, with its metadata — or `None` if there is none
/// or what is there is not a regular file.
pub fn open_regular(path: &Path) -> io::Result<Option<(File, fs::Metadata)>> {
    #[cfg(not(unix))]
    {
        // Windows: a directory cannot be opened as a file; look before opening.
        match fs::symlink_metadata(path) {
            Ok(metadata) if metadata.is_file() => {}
            Ok(_) => return Ok(None),
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(error),
        }
    }
    let file = match private_options(OpenOptions::new().read(true)).open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound || is_not_a_plain_file(&error) => return Ok(None),
        Err(error) => return Err(error),
    };
    let metadata = file.metadata()?;
    Ok(metadata.is_file().then_some((file, metadata)))
}

/// The errors `open` gives for a path that is there but not a file one can open and read.
fn is_not_a_plain_file(error: &io::Error) -> bool {
    #[cfg(unix)]
    {
        // ELOOP: a symlink under O_NOFOLLOW (EMLINK on FreeBSD); ENXIO: a socket (or a device
        // with no driver).
        matches!(error.raw_os_error(), Some(libc::ELOOP | libc::EMLINK | libc::ENXIO))
    }
    #[cfg(not(unix))]
    {
        let _ = error;
        false
    }
}

/// The first `max + 1` bytes of `file` (all of it if it is not longer than `max`).
pub fn read_at_most(file: File, metadata: &fs::Metadata, max: usize) -> io::Result<Vec<u8>> {
    let limit = max.saturating_add(1);
    let expected = usize::try_from(metadata.len()).unwrap_or(usize::MAX).min(limit);
    let mut bytes = Vec::with_capacity(expected);
    file.take(u64::try_from(limit).unwrap_or(u64::MAX)).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Whether `path` still names the file described by `before`, unchanged (same file, same size,
/// same modification time): a sweep judges a file without the lock, then deletes it under the
/// lock only if this holds.
pub fn unchanged(before: &fs::Metadata, path: &Path) -> io::Result<bool> {
    let now = fs::symlink_metadata(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if (now.dev(), now.ino()) != (before.dev(), before.ino()) {
            return Ok(false);
        }
    }
    Ok(now.is_file() && now.len() == before.len() && now.modified()? == before.modified()?)
}

/// A new temporary file in `dir`, 0600, not yet in use by anyone: `.<random>.tmp`. (No session id
/// in the name, so that no error message about it carries one.)
pub fn create_temp(dir: &Path, random: u64) -> io::Result<(File, PathBuf)> {
    let path = dir.join(format!(".{random:016x}.tmp"));
    let file = private_options(OpenOptions::new().write(true).create_new(true)).open(&path)?;
    make_private(&file)?;
    Ok((file, path))
}

/// Sets a file the store just made to exactly 0600: a umask that takes the owner's bits away must
/// not leave it unreadable, nor one that leaves others' bits make it readable to them.
fn make_private(file: &File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(FILE_MODE))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

/// Whether a name in the store's directory is one of its temporary files (current or earlier
/// versions': `.<id>.<random>.tmp`).
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".tmp")
}

/// The spare file of the session file `live` (`<base>/<id>` → `<base>/.<id>.spare`): on Linux the
/// next record of the session is written there, then swapped in ([`swap_in`]), so that a write
/// neither makes an inode nor frees one — the kernel work of a temporary file renamed over the old
/// one is several times that of the write itself (measured on ext4: ~150 µs to create and ~140 µs
/// to free, against ~12 µs to overwrite). The spare then holds the previous record, and is
/// overwritten by the next write.
pub fn spare_path(live: &Path) -> PathBuf {
    let name = live.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    live.with_file_name(format!(".{name}.spare"))
}

/// The session id a spare file's name is for, if it is one (`.<id>.spare`).
pub fn spare_of(name: &str) -> Option<&str> {
    name.strip_prefix('.')?.strip_suffix(".spare")
}

/// The spare file at `path`, open for writing: made (0600) if there is none, never through a
/// symlink, and only if it is a regular file.
pub fn open_spare(path: &Path) -> io::Result<File> {
    let open = |create: bool| {
        let mut options = OpenOptions::new();
        options.write(true);
        if create {
            options.create_new(true);
        }
        private_options(&mut options).open(path)
    };
    // Without O_CREAT first: opening an existing file then takes no lock on the directory.
    let file = match open(false) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            let file = open(true)?;
            make_private(&file)?;
            file
        }
        Err(error) => return Err(error),
    };
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "the spare file is not a regular file"));
    }
    Ok(file)
}

/// Writes `record` into the open spare `file`, whole: from its start, then cut to its length, with
/// `modified` as its time.
pub fn fill_spare(file: &File, record: &[u8], modified: std::time::SystemTime) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        file.write_all_at(record, 0)?;
    }
    #[cfg(not(unix))]
    {
        use std::io::{Seek, Write};
        let mut file = file;
        file.seek(io::SeekFrom::Start(0))?;
        file.write_all(record)?;
    }
    file.set_len(record.len() as u64)?;
    file.set_modified(modified)
}

/// Puts the spare at `spare` in place of the session file `live`, atomically for readers: the two
/// are exchanged (Linux `renameat2(RENAME_EXCHANGE)`), so the spare keeps the old record for the
/// next write to overwrite. Where there is no `live` yet, or the exchange is not supported (another
/// OS, a file system without it), the spare is renamed over `live` instead.
pub fn swap_in(spare: &Path, live: &Path) -> io::Result<()> {
    // Only a regular file is swapped out: anything else in the session's place (a directory, a
    // FIFO, a symlink) is for the rename to replace, or refuse, as it would without a spare.
    let live_is_a_file = fs::symlink_metadata(live).is_ok_and(|metadata| metadata.is_file());
    #[cfg(target_os = "linux")]
    if live_is_a_file {
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;
        let c = |path: &Path| CString::new(path.as_os_str().as_bytes()).map_err(|_| io::ErrorKind::InvalidInput);
        let (from, to) = (c(spare)?, c(live)?);
        // The raw system call, not glibc's renameat2 wrapper: that wrapper needs glibc 2.28, and
        // the binary must load on glibc 2.17.
        // SAFETY: both paths are NUL-terminated strings that outlive the call.
        let result = unsafe {
            libc::syscall(libc::SYS_renameat2, libc::AT_FDCWD, from.as_ptr(), libc::AT_FDCWD, to.as_ptr(), libc::RENAME_EXCHANGE)
        };
        if result == 0 {
            return Ok(());
        }
        let error = io::Error::last_os_error();
        match error.raw_os_error() {
            // Gone meanwhile; or no exchange here (old kernel, a file system without it).
            Some(libc::ENOENT | libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP) => {}
            _ => return Err(error),
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = live_is_a_file;
    fs::rename(spare, live)
}

/// What tells two states of a file apart: which file it is, and its size, modification and change
/// times (a write changes the change time even when it sets the modification time).
#[cfg(unix)]
fn state_of(metadata: &fs::Metadata) -> (u64, u64, u64, i64, i64, i64, i64) {
    use std::os::unix::fs::MetadataExt;
    (metadata.dev(), metadata.ino(), metadata.len(), metadata.mtime(), metadata.mtime_nsec(), metadata.ctime(), metadata.ctime_nsec())
}

/// Reads the session file at `path` (at most `max + 1` bytes) consistently: spare files are
/// written in place, so a reader that opened a session file just before it was swapped out could
/// meet the next write to it. A read counts only if the file did not change while it was read and
/// is still the one `path` names; otherwise it is read again.
pub fn read_consistent(path: &Path, max: usize) -> io::Result<Option<(Vec<u8>, fs::Metadata)>> {
    for _ in 0..16 {
        let Some((file, before)) = open_regular(path)? else { return Ok(None) };
        let reader = file.try_clone()?;
        let record = read_at_most(reader, &before, max)?;
        #[cfg(unix)]
        {
            let after = file.metadata()?;
            let named = match fs::symlink_metadata(path) {
                Ok(named) => named,
                Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
                Err(error) => return Err(error),
            };
            if state_of(&before) != state_of(&after) || state_of(&named) != state_of(&after) {
                continue;
            }
        }
        return Ok(Some((record, before)));
    }
    Err(io::Error::other("the session file kept changing while it was read"))
}
