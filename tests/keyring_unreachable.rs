//! With no Secret Service reachable the store returns a typed error with the
//! fix, and nothing is written anywhere. One test in its own binary, because
//! it points this process's D-Bus address elsewhere.

use authdeck_core::store::{Store, StoreError};

use authdeck_test_support::cli::authdeck;
use authdeck_test_support::private_keyring::PrivateBus;
use authdeck_test_support::{require_test_session, secret_tool, TempDir, TestEnv};

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
    let bus = PrivateBus::start(&dir);
    let address = bus.address.clone();
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
    drop(bus);

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

    // A locked collection: no prompt can be shown (no display), so the
    // request is refused and the person is told to unlock.
    let locked_dir = TempDir::new("locked-bus");
    let locked_bus = PrivateBus::start(&locked_dir);
    let _keyring = locked_bus.start_keyring(&locked_dir);
    let private = [
        ("DBUS_SESSION_BUS_ADDRESS", locked_bus.address.as_str()),
        ("DISPLAY", ""),
    ];
    authdeck(&["config", "set", "github", "client_id", "before-lock"])
        .envs(test.app_env())
        .envs(private)
        .run()
        .assert_success();
    locked_bus.lock_login_collection();
    let cli = authdeck(&["status"])
        .envs(test.app_env())
        .envs(private)
        .run();
    cli.assert_code(1);
    assert!(
        cli.stderr.contains("keyring is locked") && cli.stderr.contains("Unlock it"),
        "{}",
        cli.describe()
    );

    // Nothing was written: not to the real keyring, not to the config dir.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &real_bus);
    assert!(secret_tool::search(&test.keyring_service).is_empty());
    let written: Vec<_> = std::fs::read_dir(test.config.path()).unwrap().collect();
    assert!(written.is_empty(), "config dir gained files: {written:?}");
}

fn sample() -> authdeck_core::token::TokenSet {
    authdeck_core::token::TokenSet {
        access_token: authdeck_core::secret::AccessToken::new("never-written"),
        refresh_token: None,
        token_type: "bearer".into(),
        expires_at: None,
        scopes: vec![],
        requested_scopes: Vec::new(),
        method: authdeck_core::token::Method::ApiKey,
        account: None,
        obtained_at: 0,
        refreshed_at: None,
        needs_reconnect: None,
    }
}
