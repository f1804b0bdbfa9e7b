//! Upgrading never loses a saved sign-in: records written by the previous
//! release's own `authdeck` (its keyring code, one sign-in per service) are
//! the default account after the upgrade, keep refreshing, and the previous
//! release still reads what this one writes (a downgrade keeps working too).
//! The previous release is built from git history by scripts/test.sh.

use authdeck_test_support::cli::{authdeck, previous_release_path, Output};
use authdeck_test_support::fake_provider::Family;
use authdeck_test_support::scenario::Scenario;
use authdeck_test_support::secret_tool;
use std::time::Duration;

fn previous(s: &Scenario, args: &[&str]) -> Output {
    authdeck(args)
        .program(&previous_release_path())
        .envs(s.test.app_env())
        .envs(s.fake.credentials_env())
        .timeout(Duration::from_secs(40))
        .run()
}

#[test]
fn a_sign_in_saved_by_the_previous_release_is_the_default_account_and_keeps_refreshing() {
    let s = Scenario::new(Family::Google, "upgrade");
    s.fake.sign_in_as("ada@example.com");

    // The previous release signs in, through its own code path.
    let out = previous(&s, &["connect", "google", "--timeout", "20"]);
    out.assert_success();
    assert!(
        out.stdout.contains("as ada@example.com"),
        "{}",
        out.describe()
    );
    let saved_by_previous = s.record().expect("the previous release saved a record");
    let old_token = saved_by_previous["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        saved_by_previous.get("requested_scopes").is_none(),
        "the old format"
    );

    // Upgraded: the same sign-in is the service's default account, no reconnect.
    let status = s.status();
    assert_eq!(status["state"], "connected", "{status}");
    assert_eq!(status["account"], "ada@example.com");
    assert_eq!(status["accounts"][0]["account"], "ada@example.com");
    assert_eq!(status["accounts"][0]["default"], true);
    assert_eq!(
        status["missing_scopes"],
        serde_json::json!([]),
        "nothing known to be missing"
    );
    let out = s.run(&["token", "google"]);
    out.assert_success();
    assert_eq!(out.stdout.trim(), old_token);

    // It keeps refreshing: expire it, and the next token is a renewed one.
    let mut record = saved_by_previous.clone();
    record["expires_at"] = serde_json::json!(1);
    secret_tool::store_token(&s.test.keyring_service, "google", &record);
    let refreshes = s.fake.refresh_count();
    let out = s.run(&["token", "google", "--account", "ada@example.com"]);
    out.assert_success();
    let renewed = out.stdout.trim().to_owned();
    assert_ne!(renewed, old_token);
    assert_eq!(s.fake.refresh_count(), refreshes + 1);
    assert!(s.fake.valid_access_tokens().contains(&renewed));

    // A second account is added beside it; the upgraded one stays the default.
    s.fake.sign_in_as("bob@example.com");
    s.connect().assert_success();
    let status = s.status();
    assert_eq!(status["account"], "ada@example.com", "{status}");
    assert_eq!(status["accounts"].as_array().map(Vec::len), Some(2));

    // The previous release still reads the default account it knows.
    let out = previous(&s, &["token", "google"]);
    out.assert_success();
    assert_eq!(out.stdout.trim(), renewed, "{}", out.describe());
    previous(&s, &["status"]).assert_success();
}
