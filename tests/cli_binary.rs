//! The `authdeck` command is its own program: it links no GUI library, and
//! with no subcommand it starts the window program, `authdeck-app`, beside
//! itself (else on PATH), or says in one sentence what to install.

use std::path::Path;
use std::process::Command;

use authdeck_test_support::cli::authdeck_path;
use authdeck_test_support::{app_path, TempDir};

#[cfg(target_os = "linux")]
#[test]
fn the_cli_links_no_gtk_webkit_javascriptcore_or_icu() {
    let out = Command::new("ldd")
        .arg(authdeck_path())
        .output()
        .expect("ldd runs");
    assert!(out.status.success(), "{out:?}");
    let libraries = String::from_utf8_lossy(&out.stdout);
    let gui: Vec<&str> = libraries
        .lines()
        .filter(|l| {
            ["gtk", "webkit", "javascriptcore", "icu"]
                .iter()
                .any(|g| l.contains(g))
        })
        .collect();
    assert!(gui.is_empty(), "GUI libraries in the CLI: {gui:?}");
    // The window does link them: the check above can see them.
    let app = Command::new("ldd")
        .arg(app_path())
        .output()
        .expect("ldd runs");
    assert!(String::from_utf8_lossy(&app.stdout).contains("webkit"));
}

/// A copy of the CLI alone in a folder, with a PATH that has no window app.
fn lone_cli(dir: &TempDir) -> std::path::PathBuf {
    let copy = dir.join("authdeck");
    std::fs::copy(authdeck_path(), &copy).expect("copy the CLI");
    copy
}

#[cfg(unix)]
#[test]
fn with_no_subcommand_it_starts_the_window_program_beside_itself() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("cli-beside");
    let cli = lone_cli(&dir);
    let marker = dir.join("started");
    let stand_in = dir.join("authdeck-app");
    std::fs::write(
        &stand_in,
        format!("#!/bin/sh\necho window > '{}'\nexit 7\n", marker.display()),
    )
    .expect("stand-in");
    std::fs::set_permissions(&stand_in, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let out = Command::new(&cli)
        .env("PATH", "/usr/bin:/bin")
        .output()
        .expect("runs");
    assert!(Path::new(&marker).exists(), "{out:?}");
    assert_eq!(
        out.status.code(),
        Some(7),
        "the window's exit code is passed on"
    );
}

#[test]
fn with_no_window_program_it_says_what_to_install() {
    let dir = TempDir::new("cli-alone");
    let cli = lone_cli(&dir);
    let out = Command::new(&cli)
        .env("PATH", dir.path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("not installed") && stderr.contains("authdeck package"),
        "{stderr}"
    );
    // The commands work without it.
    let version = Command::new(&cli).arg("--version").output().expect("runs");
    assert!(version.status.success());
}
