//! The keeper's desktop notifications, received by a real notification server
//! (the test-support `notification-server`) on the test session's bus: one
//! per cause per account, naming service and account, with a Reconnect
//! action, and not repeated on later passes or after a restart.
//! The tests take turns: one server can own the notification name at a time.

use authdeck_test_support::fake_provider::{Canned, Family};
use authdeck_test_support::notifications::NotificationServer;
use authdeck_test_support::scenario::Scenario;
use authdeck_test_support::secret_tool;
use authdeck_test_support::watch::Watch;
use std::sync::Mutex;
use std::time::Duration;

static ONE_SERVER: Mutex<()> = Mutex::new(());

fn server() -> NotificationServer {
    let address = std::env::var("DBUS_SESSION_BUS_ADDRESS")
        .expect("the test session's bus (run through scripts/test.sh)");
    NotificationServer::start(&address)
}

#[test]
fn a_refused_refresh_is_notified_once_naming_the_account() {
    let _turn = ONE_SERVER.lock().unwrap_or_else(|p| p.into_inner());
    let s = Scenario::new(Family::Microsoft, "notify-refused");
    s.fake.set_token_failure(Some(Canned::new(
        400,
        r#"{"error":"invalid_grant","error_description":"revoked"}"#,
    )));
    s.plant_for("ada@example.com", 90, &["User.Read", "offline_access"]);
    let server = server();
    let mut watch = Watch::start(&s, &[]);

    let shown = server.wait_for(1, Duration::from_secs(15));
    let note = &shown[0];
    assert_eq!(note.app_name, "Authdeck");
    assert!(
        note.summary.contains("Microsoft (ada@example.com)")
            && note.summary.contains("sign in again"),
        "{note:?}"
    );
    assert!(note.body.contains("Reconnect"), "{note:?}");
    assert_eq!(note.action_keys(), ["reconnect"]);
    assert_eq!(note.action_label("reconnect"), Some("Reconnect"));

    // Later passes (one a second) find the same cause: nothing new.
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(server.notifications().len(), 1, "not repeated");
    // Nor after the keeper restarts: it remembers what it told.
    watch.terminate();
    let mut again = Watch::start(&s, &[]);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        server.notifications().len(),
        1,
        "not repeated after a restart"
    );
    again.terminate();
}

#[test]
fn a_token_that_cannot_renew_itself_and_ends_within_a_day_warns_once() {
    let _turn = ONE_SERVER.lock().unwrap_or_else(|p| p.into_inner());
    let s = Scenario::new(Family::GitHub, "notify-expiring");
    s.fake.sign_in_as("octocat@github.example");
    // A token without a refresh token, ending in two hours.
    let record = secret_tool::token_record_json(
        "gho_noRefreshEndsSoon0123456789",
        None,
        Some(2 * 3600),
        &["repo"],
        "oauth_pkce",
        Some("octocat"),
    );
    secret_tool::store_token(&s.test.keyring_service, "github", &record);
    let server = server();
    let mut watch = Watch::start(&s, &[]);
    let shown = server.wait_for(1, Duration::from_secs(15));
    assert!(
        shown[0].summary.contains("GitHub (octocat)")
            && shown[0].summary.contains("stops working within a day"),
        "{:?}",
        shown[0]
    );
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(server.notifications().len(), 1, "warned once");
    // The card (status) says why and since when.
    let status = s.status();
    assert_eq!(
        status["state"], "connected",
        "still works for now: {status}"
    );
    watch.terminate();
    let findings: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(s.test.config.join("keeper.json")).expect("keeper.json"),
    )
    .expect("json");
    assert_eq!(findings["current"][0]["cause"]["kind"], "expires_soon");
    assert!(findings["current"][0]["noticed_at"].as_u64().unwrap_or(0) > 0);
}

#[test]
fn a_personal_token_from_the_environment_that_github_says_ends_tomorrow_warns_once() {
    let _turn = ONE_SERVER.lock().unwrap_or_else(|p| p.into_inner());
    let s = Scenario::new(Family::GitHub, "notify-pat");
    // Nothing saved: scripts use GITHUB_TOKEN, a personal access token whose
    // end GitHub reports only in a response header.
    let pat = s.fake.mint_tokens(&["repo"]).access_token;
    let ends = authdeck_core::token::unix_now() + 6 * 3600;
    let out = std::process::Command::new("date")
        .args(["-u", "-d", &format!("@{ends}"), "+%Y-%m-%d %H:%M:%S UTC"])
        .output()
        .expect("date runs");
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    s.fake.set_pat_expiration(Some(&text));
    let server = server();
    let mut watch = Watch::start(&s, &[("GITHUB_TOKEN", &pat)]);
    let shown = server.wait_for(1, Duration::from_secs(15));
    assert!(
        shown[0].summary.contains("GitHub (GITHUB_TOKEN)")
            && shown[0].summary.contains("stops working within a day"),
        "{:?}",
        shown[0]
    );
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(server.notifications().len(), 1, "warned once");
    // Asked about once, not on every pass (at most daily).
    let asked = s.fake.userinfo_requests().len();
    assert_eq!(asked, 1, "one who-am-I request with the key");
    watch.terminate();
}
