//! The process killed with SIGKILL in the middle of a refresh: after a
//! restart the service is either still connected or honestly "needs
//! reconnect", never a half-written record, and no lock is left behind.

use std::time::{Duration, Instant};

use authdeck_test_support::cli::{authdeck, authdeck_path};
use authdeck_test_support::fake_provider::{FakeProvider, Family};
use authdeck_test_support::{require_test_session, secret_tool, TestEnv};

#[test]
fn sigkill_during_a_refresh_leaves_a_whole_record_and_an_honest_state() {
    require_test_session();
    let fake = FakeProvider::start(Family::Zoom);
    let test = TestEnv::new("sigkill");
    test.write_providers_toml(&fake.providers_toml("zoom"));
    let minted = fake.mint_tokens(&["recording:read"]);
    let record = secret_tool::token_record_json(
        &minted.access_token,
        minted.refresh_token.as_deref(),
        Some(-10),
        &["recording:read"],
        "oauth_pkce",
        None,
    );
    secret_tool::store_token(&test.keyring_service, "zoom", &record);

    // The service rotates at once and answers slowly; the process dies meanwhile.
    fake.set_token_delay(Duration::from_secs(3));
    let mut child = std::process::Command::new(authdeck_path())
        .args(["token", "zoom"])
        .envs(test.app_env())
        .envs(fake.credentials_env())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while fake.token_requests().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    // Whole, and exactly what was there before (no half-written record).
    assert_eq!(
        secret_tool::token_record(&test.keyring_service, "zoom"),
        Some(record)
    );

    // A restart: the lock died with the process, so this does not hang; the
    // service killed the old refresh token, so the honest answer is reconnect.
    fake.set_token_delay(Duration::ZERO);
    let started = Instant::now();
    let out = authdeck(&["token", "zoom"])
        .envs(test.app_env())
        .envs(fake.credentials_env())
        .run();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "a stale lock held the refresh"
    );
    if out.success() {
        assert!(fake
            .valid_access_tokens()
            .contains(&out.stdout.trim().to_owned()));
    } else {
        assert!(out.stderr.contains("sign in again"), "{}", out.describe());
        let status = authdeck(&["status", "--json"])
            .envs(test.app_env())
            .envs(fake.credentials_env())
            .run();
        let zoom = status
            .json()
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["service"] == "zoom")
            .cloned()
            .unwrap();
        assert_eq!(zoom["state"], "needs_reconnect");
    }
}
