//! The test session: the guard every keyring or window test calls first, unique
//! keyring service names, and temporary directories that clean up after themselves.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rand::Rng;

/// Panics unless the test runs inside `scripts/session.sh` (started by `scripts/test.sh`), which provides the
/// private D-Bus, the unlocked gnome-keyring and the Xvfb display. Without it a
/// keyring test would write into the developer's real keyring, and a window test
/// would open on their screen or fail obscurely.
pub fn require_test_session() {
    if std::env::var_os("AUTHDECK_TEST_SESSION").is_none() {
        panic!(
            "run `bash scripts/test.sh`: this test needs the private D-Bus + gnome-keyring + Xvfb session it sets up"
        );
    }
}

/// A keyring service name no other test (nor a previous run) uses:
/// `authdeck-test-<name>-<pid>-<n>`.
pub fn unique_keyring_service(test_name: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!(
        "authdeck-test-{}-{}-{n}",
        sanitize(test_name),
        std::process::id()
    )
}

/// A fresh directory under the system temp dir, removed with everything in it on drop.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

/// The app's config dir in a test (AUTHDECK_CONFIG_DIR): starts empty.
pub type TempConfigDir = TempDir;

impl TempDir {
    pub fn new(prefix: &str) -> TempDir {
        let base = std::env::temp_dir();
        for _ in 0..16 {
            let suffix: u64 = rand::thread_rng().gen();
            let path = base.join(format!("authdeck-{}-{suffix:016x}", sanitize(prefix)));
            // create_dir (not _all) fails if the name exists: the directory is ours alone.
            match std::fs::create_dir(&path) {
                Ok(()) => return TempDir { path },
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => panic!("cannot create a temp dir in {}: {e}", base.display()),
            }
        }
        panic!("cannot find a free temp dir name in {}", base.display());
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path as a string, for environment variables.
    pub fn path_str(&self) -> String {
        self.path.to_string_lossy().into_owned()
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Writes `contents` to `name` inside the directory (e.g. "providers.toml").
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.path.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
        }
        std::fs::write(&path, contents)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        path
    }

    /// The file's contents, or an empty string when it does not exist (yet).
    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path.join(name)).unwrap_or_default()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Everything one test gives the app: its own keyring service, an empty config dir,
/// and the scripted browser with a log of where it went. Clears the keyring
/// service on drop.
#[derive(Debug)]
pub struct TestEnv {
    pub keyring_service: String,
    pub config: TempConfigDir,
    scratch: TempDir,
}

impl TestEnv {
    pub fn new(test_name: &str) -> TestEnv {
        TestEnv {
            keyring_service: unique_keyring_service(test_name),
            config: TempDir::new(&format!("config-{test_name}")),
            scratch: TempDir::new(&format!("scratch-{test_name}")),
        }
    }

    /// Writes providers.toml into the config dir (e.g. from `FakeProvider::providers_toml`).
    pub fn write_providers_toml(&self, contents: &str) {
        self.config.write("providers.toml", contents);
    }

    /// Writes the system-wide providers.toml an organization would put in
    /// /etc/authdeck (AUTHDECK_SYSTEM_CONFIG_DIR points here in `app_env`),
    /// readable by all and writable by its owner only; returns its path.
    pub fn write_system_providers_toml(&self, contents: &str) -> PathBuf {
        let path = self.scratch.write("system/providers.toml", contents);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |m| std::fs::Permissions::from_mode(m);
            let dir = self.scratch.join("system");
            std::fs::set_permissions(&dir, mode(0o755)).expect("chmod the system dir");
            std::fs::set_permissions(&path, mode(0o644)).expect("chmod the system file");
        }
        path
    }

    /// The environment for the app (CLI or window): keyring service, config dir,
    /// a system config dir of its own (never the machine's /etc/authdeck),
    /// `BROWSER` = the scripted browser and where it logs.
    pub fn app_env(&self) -> Vec<(String, String)> {
        vec![
            (
                "AUTHDECK_KEYRING_SERVICE".to_string(),
                self.keyring_service.clone(),
            ),
            ("AUTHDECK_CONFIG_DIR".to_string(), self.config.path_str()),
            (
                "AUTHDECK_SYSTEM_CONFIG_DIR".to_string(),
                self.scratch.join("system").to_string_lossy().into_owned(),
            ),
            (
                "BROWSER".to_string(),
                crate::browser_command().to_string_lossy().into_owned(),
            ),
            (
                "AUTHDECK_TEST_BROWSER_LOG".to_string(),
                self.browser_log_path().to_string_lossy().into_owned(),
            ),
        ]
    }

    pub fn browser_log_path(&self) -> PathBuf {
        self.scratch.join("browser.log")
    }

    /// One line per request the scripted browser made: `<status> <url>`.
    pub fn browser_log(&self) -> Vec<String> {
        self.scratch
            .read("browser.log")
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// The body of the last page the scripted browser was shown.
    pub fn browser_page(&self) -> String {
        self.scratch.read("browser.log.page")
    }

    /// Waits until the scripted browser has written its final page (it runs
    /// detached from the app, so it may finish after the app does).
    pub fn wait_for_browser_page(&self, timeout: std::time::Duration) -> String {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let page = self.browser_page();
            if !page.is_empty() || std::time::Instant::now() >= deadline {
                return page;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        if std::env::var_os("AUTHDECK_TEST_SESSION").is_some() {
            crate::secret_tool::clear_quietly(&self.keyring_service);
        }
    }
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}
