//! Where Authdeck keeps its non-secret files: `providers.toml`, lock files and
//! the window size. The platform's config dir (`~/.config/authdeck` on Linux),
//! or `$AUTHDECK_CONFIG_DIR`.

use std::path::PathBuf;

/// `$AUTHDECK_CONFIG_DIR`, else the platform config dir, else `./.authdeck`
/// (only on a system with no home directory at all).
pub fn config_dir() -> PathBuf {
    config_dir_from(std::env::var_os("AUTHDECK_CONFIG_DIR").map(PathBuf::from))
}

pub fn config_dir_from(override_dir: Option<PathBuf>) -> PathBuf {
    if let Some(dir) = override_dir.filter(|d| !d.as_os_str().is_empty()) {
        return dir;
    }
    directories::ProjectDirs::from("app", "Authdeck", "authdeck")
        .map(|p| p.config_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".authdeck"))
}

/// A short stable name for a non-default profile (another config dir or
/// keyring service, as tests and second profiles use): `None` for the
/// person's default one. Things that must be one per profile (the window's
/// single-instance name) carry it.
pub fn profile_tag(config_dir: &std::path::Path, keyring_service: &str) -> Option<String> {
    if config_dir == config_dir_from(None) && keyring_service == crate::store::DEFAULT_SERVICE {
        return None;
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("{}\n{keyring_service}", config_dir.display()));
    Some(digest[..8].iter().map(|b| format!("{b:02x}")).collect())
}

/// Where an organization or a distribution puts its `providers.toml`:
/// `$AUTHDECK_SYSTEM_CONFIG_DIR`, else `/etc/authdeck` (on Windows, the
/// ProgramData folder).
pub fn system_config_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("AUTHDECK_SYSTEM_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if cfg!(windows) {
        let base = std::env::var_os("ProgramData").unwrap_or_else(|| "C:\\ProgramData".into());
        return PathBuf::from(base).join("Authdeck");
    }
    PathBuf::from("/etc/authdeck")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_wins_and_empty_override_is_ignored() {
        assert_eq!(
            config_dir_from(Some("/tmp/x".into())),
            PathBuf::from("/tmp/x")
        );
        assert_ne!(config_dir_from(Some("".into())), PathBuf::from(""));
    }
}
