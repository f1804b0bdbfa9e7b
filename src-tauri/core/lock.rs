//! One refresh per account at a time, inside one process and across processes.
//!
//! Rotating providers (Microsoft, Zoom, Notion, GitHub Apps) kill a refresh token
//! once it is used, so two refreshes racing on the same token log the person
//! out. Inside a process an async mutex per account record queues callers;
//! across processes (the app and the CLI at once) an OS file lock in
//! `<config dir>/locks/` does (see `lock_path`). The OS drops the file lock when a
//! process dies, so a crash never leaves a service locked.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The in-process half: one async mutex per service id.
#[derive(Default)]
pub struct RefreshLocks {
    // A std Mutex guards only the map lookup, never held across an await.
    by_service: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// Held while a service is being refreshed; dropping it releases both halves.
pub struct RefreshGuard {
    _in_process: tokio::sync::OwnedMutexGuard<()>,
    _file: Option<File>,
}

impl RefreshLocks {
    /// Waits for both the in-process and the cross-process lock of `service`.
    /// If the lock file cannot be created (read-only config dir), the in-process
    /// lock still holds and the failure is logged: refusing to refresh at all
    /// would be worse for the person than a rare cross-process race.
    pub async fn acquire(&self, locks_dir: &Path, service: &str) -> RefreshGuard {
        let mutex = {
            let mut map = self
                .by_service
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            map.entry(service.to_owned()).or_default().clone()
        };
        let in_process = mutex.lock_owned().await;
        let path = lock_path(locks_dir, service);
        let file = tokio::task::spawn_blocking(move || lock_file(&path)).await;
        let file = match file {
            Ok(Ok(file)) => Some(file),
            Ok(Err(e)) => {
                tracing::warn!(service, error = %e, "could not take the cross-process refresh lock");
                None
            }
            Err(e) => {
                tracing::warn!(service, error = %e, "lock task failed");
                None
            }
        };
        RefreshGuard {
            _in_process: in_process,
            _file: file,
        }
    }
}

/// `<key>.lock` for a service's first account (the lock earlier releases
/// take, so an older process still running during an upgrade is held off);
/// `<service>.<hash>.lock` for a key with an account name in it, whose
/// characters (`@`, `/`, anything a service allows) never reach the file name.
fn lock_path(locks_dir: &Path, key: &str) -> PathBuf {
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if plain(key) {
        return locks_dir.join(format!("{key}.lock"));
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(key.as_bytes());
    let hash: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let service = key
        .split('/')
        .next()
        .filter(|s| plain(s))
        .unwrap_or("account");
    locks_dir.join(format!("{service}.{hash}.lock"))
}

fn lock_file(path: &Path) -> std::io::Result<File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    // Blocks until the other process releases it (or dies).
    file.lock()?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn lock_files_of_accounts_are_plain_names() {
        let dir = Path::new("/locks");
        assert_eq!(lock_path(dir, "github"), dir.join("github.lock"));
        let a = lock_path(dir, "github/ada@example.com");
        let b = lock_path(dir, "github/../../etc/passwd");
        for path in [&a, &b] {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            assert!(
                name.starts_with("github.") && name.ends_with(".lock"),
                "{name}"
            );
            assert_eq!(path.parent(), Some(dir));
        }
        assert_ne!(a, b);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_holder_at_a_time_per_service() {
        let dir = std::env::temp_dir().join(format!("authdeck-lock-test-{}", std::process::id()));
        let locks = Arc::new(RefreshLocks::default());
        let inside = Arc::new(AtomicUsize::new(0));
        let max_seen = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (locks, inside, max_seen, dir) =
                (locks.clone(), inside.clone(), max_seen.clone(), dir.clone());
            tasks.push(tokio::spawn(async move {
                let _guard = locks.acquire(&dir, "github").await;
                let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                max_seen.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
                inside.fetch_sub(1, Ordering::SeqCst);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(max_seen.load(Ordering::SeqCst), 1);
        let _ = std::fs::remove_dir_all(dir);
    }
}
