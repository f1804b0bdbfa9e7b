//! Shared by the integration tests (`mod support;`): the session guard, temp dirs
//! and keyring names (session), secret-tool (secret_tool), the CLI as a process
//! (cli), a fake OAuth provider on 127.0.0.1 (fake_provider), and a WebDriver
//! client for the real window (webdriver). The scripted browser that plays the
//! person lives beside them (scripted_browser.rs) but is its own program: the
//! `scripted-browser` example.
#![allow(dead_code)] // not every test file uses every helper

pub mod cli;
pub mod fake_provider;
pub mod private_keyring;
pub mod scenario;
pub mod secret_tool;
pub mod session;
pub mod webdriver;

#[allow(unused_imports)] // re-exports for the test files that want them
pub use session::{require_test_session, unique_keyring_service, TempConfigDir, TempDir, TestEnv};

use std::path::PathBuf;

/// `target/<profile>/`, where the window app, the CLI and the examples are built.
pub fn built_dir() -> PathBuf {
    let app = PathBuf::from(env!("CARGO_BIN_EXE_authdeck-app"));
    app.parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The window app (target/<profile>/authdeck-app).
pub fn app_path() -> &'static str {
    env!("CARGO_BIN_EXE_authdeck-app")
}

/// The scripted browser (target/<profile>/examples/scripted-browser), for `BROWSER`.
pub fn browser_command() -> PathBuf {
    let browser = built_dir().join("examples").join("scripted-browser");
    if !browser.is_file() {
        panic!(
            "{} is missing: it is built by `cargo test --all-targets` (or `cargo build --examples`)",
            browser.display()
        );
    }
    browser
}
