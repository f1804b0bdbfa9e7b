//! Starting the keeper at login: an XDG autostart entry for `authdeck watch`
//! in `$XDG_CONFIG_HOME/autostart/` (`~/.config/autostart/`), which every
//! freedesktop session (GNOME, KDE, Xfce, …) runs at login. The window's
//! switch and `authdeck watch --install/--uninstall` both use this file, so
//! they always agree on whether the keeper starts at login.

use std::path::{Path, PathBuf};

/// The entry's file name: the app id, so it is recognisably Authdeck's.
pub const FILE_NAME: &str = "app.authdeck.watch.desktop";

/// Why the entry could not be written or removed, with what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AutostartError {
    #[error("The path of the authdeck program ({0}) has characters a desktop entry cannot hold safely (quotes, $, `, \\ or a line break). Install Authdeck under a plain path and try again.")]
    UnsafePath(String),
    #[error("Could not write {path}: {source}. Check that the folder is yours and writable, then try again.")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("Could not remove {path}: {source}. Remove the file yourself to stop the keeper starting at login.")]
    Remove {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// `$XDG_CONFIG_HOME/autostart`, else `~/.config/autostart`.
pub fn dir() -> PathBuf {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| directories::BaseDirs::new().map(|b| b.config_dir().to_path_buf()))
        .unwrap_or_else(|| PathBuf::from(".config"));
    config.join("autostart")
}

pub fn path() -> PathBuf {
    dir().join(FILE_NAME)
}

pub fn is_installed() -> bool {
    path().is_file()
}

/// The entry's text for the program at `exec`.
pub fn entry(exec: &Path) -> Result<String, AutostartError> {
    let text = exec.to_string_lossy();
    // The Exec key has its own quoting rules; a path that would need escapes
    // is refused rather than risk a command line that means something else.
    if text.contains(['"', '$', '`', '\\', '\n', '\r']) {
        return Err(AutostartError::UnsafePath(text.into_owned()));
    }
    Ok(format!(
        "[Desktop Entry]\n\
         Type=Application\n\
         Name=Authdeck keeper\n\
         Comment=Keeps your Authdeck connections alive and tells you before one stops working\n\
         Exec=\"{text}\" watch\n\
         Icon=authdeck-app\n\
         Terminal=false\n\
         NoDisplay=true\n\
         X-GNOME-Autostart-enabled=true\n"
    ))
}

/// Writes the entry (again, when it is there: the program may have moved).
pub fn install(exec: &Path) -> Result<PathBuf, AutostartError> {
    let text = entry(exec)?;
    let path = path();
    let write = |path: &Path| -> std::io::Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let temp = path.with_extension("desktop.tmp");
        std::fs::write(&temp, text.as_bytes())?;
        std::fs::rename(&temp, path)
    };
    write(&path).map_err(|source| AutostartError::Write {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// Removes the entry; whether there was one.
pub fn uninstall() -> Result<bool, AutostartError> {
    let path = path();
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(AutostartError::Remove { path, source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_runs_watch_with_the_quoted_program_and_refuses_unsafe_paths() {
        let text = entry(Path::new("/opt/Auth deck/authdeck")).expect("entry");
        assert!(
            text.contains("Exec=\"/opt/Auth deck/authdeck\" watch\n"),
            "{text}"
        );
        assert!(text.starts_with("[Desktop Entry]\n"));
        for bad in [
            "/tmp/a\"b",
            "/tmp/$HOME",
            "/tmp/a`b`",
            "/tmp/a\\b",
            "/tmp/a\nb",
        ] {
            assert!(
                matches!(entry(Path::new(bad)), Err(AutostartError::UnsafePath(_))),
                "{bad:?}"
            );
        }
    }
}
