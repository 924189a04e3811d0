//! The file an admin token the gateway made is kept in, readable by its
//! owner only (mode 0600), so the operator can always get the credential
//! back without it sitting in a terminal's scrollback or the journal.
//! `[api] token_file` names it; by default it is `mhero.token` beside a
//! SQLite database file (the directory the gateway already writes), else
//! in the working directory.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::config::Config;

/// The default file name.
const FILE_NAME: &str = "mhero.token";

/// Owner read and write, nothing for anyone else.
#[cfg(unix)]
const PRIVATE_MODE: u32 = 0o600;

/// Where this configuration keeps the token file, made absolute so the
/// banner can say exactly where.
pub fn path(config: &Config) -> PathBuf {
    let file = match &config.api.token_file {
        Some(p) => p.clone(),
        None => sqlite_file(config.database.url.expose())
            .and_then(Path::parent)
            .map(|dir| dir.join(FILE_NAME))
            .unwrap_or_else(|| PathBuf::from(FILE_NAME)),
    };
    std::path::absolute(&file).unwrap_or(file)
}

/// The database file of a `sqlite:` URL (`sqlite://mhero.db`,
/// `sqlite:///var/lib/mhero/mhero.db?mode=rwc`); none for PostgreSQL or an
/// in-memory database.
fn sqlite_file(url: &str) -> Option<&Path> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let file = rest.split('?').next().unwrap_or(rest);
    (!file.is_empty() && !file.starts_with(':')).then(|| Path::new(file))
}

/// Write `token` to `path`, private to its owner before a byte of the
/// secret is in it (an existing file keeps its inode, so its mode is set
/// explicitly, not only on creation).
pub fn write(path: &Path, token: &str) -> anyhow::Result<()> {
    #[cfg(unix)]
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    opts.mode(PRIVATE_MODE);
    let mut f = opts
        .open(path)
        .with_context(|| format!("writing the admin token to {}", path.display()))?;
    #[cfg(unix)]
    f.set_permissions(std::fs::Permissions::from_mode(PRIVATE_MODE))
        .with_context(|| format!("making {} private", path.display()))?;
    writeln!(f, "{token}")
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing the admin token to {}", path.display()))?;
    Ok(())
}

/// An existing token file that others may read is made private, with a
/// warning: its token may have been read already.
pub fn tighten(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(meta) = std::fs::metadata(path) else {
            return Ok(());
        };
        let mode = meta.permissions().mode() & 0o777;
        if mode & !PRIVATE_MODE != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(PRIVATE_MODE))
                .with_context(|| format!("making {} private", path.display()))?;
            tracing::warn!(
                file = %path.display(),
                was = format!("{mode:o}"),
                "the token file was readable by others; its mode is now 600 (revoke the token if others may have read it)"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_sits_beside_a_sqlite_file() {
        let at = |url: &str| {
            let mut c = Config::default();
            c.database.url = crate::config::Secret::new(url);
            path(&c)
        };
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            at("sqlite:///var/lib/mhero/gw.db"),
            Path::new("/var/lib/mhero/mhero.token")
        );
        assert_eq!(
            at("sqlite:///var/lib/mhero/gw.db?mode=rwc"),
            Path::new("/var/lib/mhero/mhero.token")
        );
        assert_eq!(at("sqlite://mhero.db"), cwd.join("mhero.token"));
        assert_eq!(at("sqlite://data/mhero.db"), cwd.join("data/mhero.token"));
        assert_eq!(at("sqlite::memory:"), cwd.join("mhero.token"));
        assert_eq!(at("postgres://u@db/mhero"), cwd.join("mhero.token"));
        let mut c = Config::default();
        c.api.token_file = Some("/etc/mhero/admin.token".into());
        assert_eq!(path(&c), Path::new("/etc/mhero/admin.token"));
    }

    #[cfg(unix)]
    #[test]
    fn written_private_and_loose_files_tightened() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        // An existing world-readable file is made private before it is written.
        std::fs::write(&file, "old").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        write(&file, "secret").unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "secret\n");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        tighten(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        // A stricter mode is left alone; a missing file is no error.
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o400)).unwrap();
        tighten(&file).unwrap();
        assert_eq!(mode(&file), 0o400);
        tighten(&dir.path().join("absent")).unwrap();
    }
}
