//! Keyring and process faults in the middle of a refresh: the keyring dies
//! while the new token set is saved, and the process is killed while the
//! refresh is in flight. Nothing half-written, nothing silently lost.
//! One test per file-level process, because the first test points this
//! process at its own private D-Bus and keyring (libdbus reads the address once).

use std::time::{Duration, Instant};

use authdeck_test_support::cli::authdeck;
use authdeck_test_support::fake_provider::{FakeProvider, Family};
use authdeck_test_support::private_keyring::PrivateBus;
use authdeck_test_support::{require_test_session, secret_tool, TempDir, TestEnv};

#[test]
fn keyring_dying_while_the_refreshed_set_is_saved_keeps_the_old_one_usable() {
    require_test_session();
    let dir = TempDir::new("fault-keyring");
    let bus = PrivateBus::start(&dir);
    let address = bus.address.clone();
    let mut keyring = bus.start_keyring(&dir);
    // This process and every child (secret-tool, authdeck) now use the private bus.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &address);

    // Google does not rotate refresh tokens, so the old set stays valid.
    let fake = FakeProvider::start(Family::Google);
    let test = TestEnv::new("fault-keyring");
    test.write_providers_toml(&fake.providers_toml("google"));
    let minted = fake.mint_tokens(&["openid"]);
    let record = secret_tool::token_record_json(
        &minted.access_token,
        minted.refresh_token.as_deref(),
        Some(-10),
        &["openid"],
        "oauth_pkce",
        Some("ada@example.com"),
    );
    secret_tool::store_token(&test.keyring_service, "google", &record);

    // The keyring goes away while the token request is in flight.
    fake.set_token_delay(Duration::from_millis(1_500));
    let cli = std::thread::spawn({
        let env: Vec<(String, String)> = test
            .app_env()
            .into_iter()
            .chain(fake.credentials_env())
            .collect();
        move || authdeck(&["token", "google"]).envs(env).run()
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while fake.token_requests().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    keyring.stop();
    let out = cli.join().unwrap();
    out.assert_code(1);
    assert!(
        out.stdout.is_empty(),
        "a token that could not be saved is not handed out"
    );
    assert!(
        out.stderr.contains("previous one was kept"),
        "{}",
        out.describe()
    );

    // After the keyring comes back, the old set is there, whole, and usable.
    let _keyring = bus.start_keyring(&dir);
    assert_eq!(
        secret_tool::token_record(&test.keyring_service, "google"),
        Some(record)
    );
    fake.set_token_delay(Duration::ZERO);
    let again = authdeck(&["token", "google"])
        .envs(test.app_env())
        .envs(fake.credentials_env())
        .run();
    again.assert_success();
    assert!(fake
        .valid_access_tokens()
        .contains(&again.stdout.trim().to_owned()));
}
