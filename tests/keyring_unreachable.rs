//! With no Secret Service reachable the store returns a typed error with the
//! fix, and nothing is written anywhere. One test in its own binary, because
//! it points this process's D-Bus address elsewhere.

mod support;

use authdeck::core::store::{Store, StoreError};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use support::cli::authdeck;
use support::{require_test_session, secret_tool, TempDir, TestEnv};

/// A private session bus that offers no services at all (no service
/// directories, so gnome-keyring cannot be auto-started on it).
fn empty_bus(dir: &TempDir) -> (Child, String) {
    let config = dir.write(
        "bus.conf",
        &format!(
            r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={}</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>"#,
            dir.path_str()
        ),
    );
    let mut child = Command::new("dbus-daemon")
        .arg(format!("--config-file={}", config.display()))
        .arg("--print-address=1")
        .arg("--nofork")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-daemon runs");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line.trim().to_owned())
}

#[test]
fn unreachable_secret_service_gives_typed_errors_and_writes_nothing() {
    require_test_session();
    let test = TestEnv::new("unreachable");
    let real_bus = std::env::var("DBUS_SESSION_BUS_ADDRESS").unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = Store::new(&test.keyring_service);

    // A bus, but no keyring service on it: the typed error, in this process.
    // (libdbus reads the bus address once per process, so the other cases below
    // run as new processes.)
    let dir = TempDir::new("empty-bus");
    let (mut daemon, address) = empty_bus(&dir);
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &address);
    let err = rt
        .block_on(store.save_token("github", &sample()))
        .unwrap_err();
    assert_eq!(err, StoreError::NoKeyringService, "{err:?}");
    assert!(err.to_string().contains("gnome-keyring"), "{err}");
    assert_eq!(
        rt.block_on(store.load_token("github")).unwrap_err(),
        StoreError::NoKeyringService
    );
    let cli = authdeck(&["status"])
        .envs(test.app_env())
        .env("DBUS_SESSION_BUS_ADDRESS", &address)
        .run();
    cli.assert_code(1);
    assert!(
        cli.stderr.contains("no keyring service is running"),
        "{}",
        cli.describe()
    );
    let _ = daemon.kill();
    let _ = daemon.wait();

    // No session bus: a dead address…
    let cli = authdeck(&["config", "set", "github", "client_id", "abc"])
        .envs(test.app_env())
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/authdeck-test-bus",
        )
        .run();
    cli.assert_code(1);
    assert!(
        cli.stderr.contains("no desktop session bus"),
        "{}",
        cli.describe()
    );
    // …or none at all, outside any desktop session.
    let cli = authdeck(&["token", "github"])
        .envs(test.app_env())
        .env("DBUS_SESSION_BUS_ADDRESS", "")
        .env("DISPLAY", "")
        .run();
    cli.assert_code(1);
    assert!(
        cli.stderr.contains("no desktop session bus"),
        "{}",
        cli.describe()
    );
    assert!(
        cli.stdout.is_empty(),
        "no token may be printed: {}",
        cli.describe()
    );

    // Nothing was written: not to the real keyring, not to the config dir.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &real_bus);
    assert!(secret_tool::search(&test.keyring_service).is_empty());
    let written: Vec<_> = std::fs::read_dir(test.config.path()).unwrap().collect();
    assert!(written.is_empty(), "config dir gained files: {written:?}");
}

fn sample() -> authdeck::core::token::TokenSet {
    authdeck::core::token::TokenSet {
        access_token: authdeck::core::secret::AccessToken::new("never-written"),
        refresh_token: None,
        token_type: "bearer".into(),
        expires_at: None,
        scopes: vec![],
        method: authdeck::core::token::Method::ApiKey,
        account: None,
        obtained_at: 0,
        refreshed_at: None,
        needs_reconnect: None,
    }
}
