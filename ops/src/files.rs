//! Files a service keeps on disk (keys, tokens, state, databases, logs) readable by its own
//! user only: directories `0700`, files `0600`, written without a moment of wider access.
//!
//! - [`write_private`] writes a whole file: a new sibling created exclusively with mode
//!   `0600`, then renamed over the target, so a reader sees the old or the new content and
//!   never a file another user could have opened.
//! - [`private_dir`] creates a directory tree `0700`.
//! - [`restrict_umask`] makes everything the process creates afterwards (SQLite databases and
//!   their journals, logs) private too.
//! - [`tighten`] walks a data directory left by an earlier version and takes group and other
//!   access away from every file and directory in it.

use std::io::Write;
use std::path::Path;

#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};

/// Writes `bytes` to `path` with mode `0600` (atomically: temporary sibling, then rename).
pub fn write_private(path: &Path, bytes: impl AsRef<[u8]>) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(d) = dir {
        private_dir(d)?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut nonce = [0u8; 6];
    getrandom::getrandom(&mut nonce).map_err(|e| std::io::Error::other(e.to_string()))?;
    let tmp_name = format!(
        ".{name}.{}.tmp",
        nonce.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    let tmp = match dir {
        Some(d) => d.join(tmp_name),
        None => tmp_name.into(),
    };
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    opts.mode(0o600);
    let written = (|| {
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes.as_ref())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Creates `dir` (and its missing parents) with mode `0700`; an existing `dir` is
/// tightened to `0700`.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    b.mode(0o700);
    b.create(dir)?;
    #[cfg(unix)]
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    Ok(())
}

/// From now on, files and directories this process creates are its user's only
/// (`umask 077`).
pub fn restrict_umask() {
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}

/// Takes group and other access away from `dir` and everything under it (symbolic links
/// are not followed). Returns how many entries were changed.
pub fn tighten(dir: &Path) -> std::io::Result<usize> {
    let mut changed = 0;
    #[cfg(unix)]
    {
        let meta = std::fs::symlink_metadata(dir)?;
        if meta.file_type().is_symlink() {
            return Ok(0);
        }
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode & 0o700))?;
            changed += 1;
        }
        if meta.is_dir() {
            for entry in std::fs::read_dir(dir)? {
                changed += tighten(&entry?.path())?;
            }
        }
    }
    Ok(changed)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn private_files_and_directories() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("keys/a/secret.jwk");
        write_private(&f, b"{\"d\":\"...\"}").unwrap();
        assert_eq!(mode(&f), 0o600);
        assert_eq!(mode(&t.path().join("keys/a")), 0o700);
        // Replaced, still private, no temporary left behind.
        write_private(&f, b"new").unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"new");
        assert_eq!(mode(&f), 0o600);
        assert_eq!(std::fs::read_dir(f.parent().unwrap()).unwrap().count(), 1);
    }

    #[test]
    fn an_earlier_versions_data_directory_is_tightened() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("data");
        std::fs::create_dir_all(d.join("logs")).unwrap();
        std::fs::write(d.join("record.jwk"), "k").unwrap();
        std::fs::write(d.join("logs/x.log"), "l").unwrap();
        for p in [&d, &d.join("logs")] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        for p in [d.join("record.jwk"), d.join("logs/x.log")] {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        assert_eq!(tighten(&d).unwrap(), 4);
        assert_eq!(mode(&d), 0o700);
        assert_eq!(mode(&d.join("logs")), 0o700);
        assert_eq!(mode(&d.join("record.jwk")), 0o600);
        assert_eq!(mode(&d.join("logs/x.log")), 0o600);
        assert_eq!(tighten(&d).unwrap(), 0);
    }
}
