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
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Exactly 0600: a umask that takes the owner's bits away must not leave the file unreadable.
        file.set_permissions(fs::Permissions::from_mode(FILE_MODE))?;
    }
    Ok((file, path))
}

/// Whether a name in the store's directory is one of its temporary files (current or earlier
/// versions': `.<id>.<random>.tmp`).
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".tmp")
}
