//! Authdeck's test doubles, shared by the integration tests (`tests/*.rs`, as
//! `authdeck_test_support`) and the benchmark (`scripts/bench.sh`, through this
//! crate's programs). Each double stands in for something a test must not, or
//! cannot, use for real:
//!
//! - [`session`]: the guard every keyring or window test calls first
//!   ([`require_test_session`]), unique keyring service names, self-removing temp
//!   dirs and the per-test environment ([`TestEnv`]). Exists so that no test
//!   ever writes to the developer's own keyring, config or screen: everything
//!   runs inside `scripts/session.sh`'s private D-Bus, gnome-keyring and Xvfb.
//! - [`fake_provider`]: an OAuth 2.0 provider on 127.0.0.1 that plays Google,
//!   Microsoft, GitHub, Dropbox, Zoom or Notion with their wire quirks, has knobs
//!   to misbehave and records every request. The real providers need accounts,
//!   a network and a person; the fake needs none and can be asked what it saw.
//! - [`scripted_browser`]: "the person" who clicks Allow. `BROWSER` points at the
//!   `scripted-browser` program, which follows the fake's redirects to the app's
//!   loopback callback (loopback hosts only, so a test never reaches the
//!   internet) and can send hostile local traffic first.
//! - [`secret_tool`]: reads and plants Secret Service items with `secret-tool`,
//!   so tests see what the app really stored without trusting its own storage code.
//! - [`private_keyring`]: a D-Bus session bus of a test's own, optionally with
//!   its own gnome-keyring, for keyring trouble (no keyring, one that dies, a
//!   locked collection) that must not disturb the shared test keyring.
//! - [`cli`]: the built `authdeck` binary as a real process, with a scrubbed
//!   environment (never the host's provider credentials), stdin, a hard timeout
//!   and captured output.
//! - [`scenario`]: one service pointed at one fake provider with its own keyring
//!   service and config dir, the fixture the CLI-level tests share.
//! - [`webdriver`]: a minimal W3C WebDriver client that drives the real window
//!   through tauri-driver: the freshly built app ([`webdriver::Driver::start`]) or
//!   any other binary, e.g. the installed one ([`webdriver::Driver::start_app`]).
//! - [`watch`]: `authdeck watch`, the background keeper, as a running process
//!   whose log lines a test can wait for, stopped with SIGTERM.
//! - [`notifications`]: a real freedesktop notification server (the
//!   `notification-server` program) on a test's private bus: owns
//!   `org.freedesktop.Notifications`, records every `Notify` (summary, body,
//!   actions, hints, sender) and invokes an action when the test says so
//!   ([`notifications::NotificationServer::invoke`]). A desktop's own server
//!   would put a test's notifications on the developer's screen and could not
//!   be asked what it was sent.
//! - [`git_http_server_script`]: a git smart-HTTP server (Python) that asks for
//!   credentials, for the git credential helper tests.
//!
//! The programs (`[[bin]]`s of this crate, in `bin/`), built into
//! `target/<profile>/` beside `authdeck-app` and `authdeck` by
//! `cargo build --workspace --bins` (scripts/test.sh):
//!
//! - `scripted-browser`: [`scripted_browser::run`].
//! - `fake-provider`: [`fake_provider`] as a program of its own, for the bench to
//!   time `authdeck connect` and google-auth-oauthlib against from outside.
//! - `bench-token`: the bench's `token()` hot path and refresh stampede, through
//!   the engine against the bench session's keyring.
//! - `notification-server`: [`notifications`]' server, the program its
//!   [`NotificationServer`](notifications::NotificationServer) runs.
//!
//! Tests find the programs with [`built_dir`], [`app_path`], [`cli::authdeck_path`]
//! and [`browser_command`]. Fixture files stay in `tests/fixtures/`, beside the
//! tests that read them.

pub mod cli;
pub mod fake_provider;
pub mod notifications;
pub mod private_keyring;
pub mod scenario;
pub mod scripted_browser;
pub mod secret_tool;
pub mod session;
pub mod watch;
pub mod webdriver;

pub use session::{require_test_session, unique_keyring_service, TempConfigDir, TempDir, TestEnv};

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// `target/<profile>/`, where the window app, the CLI and this crate's programs
/// are built: found from the running executable, since only the app package's
/// own tests get `CARGO_BIN_EXE_*`. An integration test runs from
/// `target/<profile>/deps/`, an example from `target/<profile>/examples/`, and a
/// program of this crate from `target/<profile>/` itself.
pub fn built_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe()
            .unwrap_or_else(|e| panic!("cannot find the running test's executable: {e}"));
        let dir = exe.parent().unwrap_or_else(|| {
            panic!("the running executable {} has no parent dir", exe.display())
        });
        match dir.file_name().and_then(|name| name.to_str()) {
            Some("deps" | "examples") => dir.parent().unwrap_or(dir).to_path_buf(),
            _ => dir.to_path_buf(),
        }
    })
}

/// A program in [`built_dir`]; panics with how to build it when it is not there.
pub fn built_program(name: &str) -> PathBuf {
    let path = built_dir().join(name);
    if !path.is_file() {
        panic!(
            "{} is missing: build it with `cargo build --workspace --bins` (scripts/test.sh does) \
             before `cargo test` (looked beside the running test, {})",
            path.display(),
            std::env::current_exe()
                .map(|exe| exe.display().to_string())
                .unwrap_or_default()
        );
    }
    path
}

/// The window app (`target/<profile>/authdeck-app`). `cargo test` builds it for
/// the app package's integration tests.
pub fn app_path() -> PathBuf {
    built_program("authdeck-app")
}

/// The scripted browser (`target/<profile>/scripted-browser`), for `BROWSER`.
pub fn browser_command() -> PathBuf {
    built_program("scripted-browser")
}

/// The git smart-HTTP server for the credential helper tests
/// (`python3 git_http_server.py ROOT CHECK_URL`), beside this crate's sources.
pub fn git_http_server_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("git_http_server.py")
}
