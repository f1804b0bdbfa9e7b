//! `authdeck watch`, the background keeper, as a real process against loopback
//! fakes and the real Secret Service: it renews ahead of expiry, finds what
//! needs the person, runs once per person, starts at login when asked, and
//! stops cleanly on SIGTERM.

use authdeck_test_support::cli::{authdeck, authdeck_path};
use authdeck_test_support::fake_provider::{Canned, Family};
use authdeck_test_support::scenario::Scenario;
use authdeck_test_support::watch::{wait_until, Watch};
use authdeck_test_support::TempDir;
use std::process::Command;
use std::time::Duration;

#[test]
fn one_keeper_per_person_and_sigterm_ends_it_within_a_second() {
    let s = Scenario::new(Family::Google, "watch-single");
    let mut first = Watch::start(&s, &[]);
    let second = s.run(&["watch"]);
    second.assert_code(1);
    assert!(second.stderr.contains("already"), "{}", second.describe());
    let (took, code) = first.terminate();
    assert_eq!(code, Some(0), "a clean exit");
    assert!(
        took < Duration::from_secs(1),
        "SIGTERM to exit took {took:?}"
    );
    // The lock went with the process: a new keeper starts.
    let mut again = Watch::start(&s, &[]);
    again.terminate();
}

#[test]
fn the_keeper_renews_ahead_of_expiry_and_marks_a_refused_sign_in_once_without_a_notification_server(
) {
    let s = Scenario::new(Family::Microsoft, "watch-renew");
    // Expiring in 90 s: due (the lead is at least 2 minutes), not yet expired.
    let (minted, _) = s.plant(90, &["User.Read", "offline_access"]);
    let mut watch = Watch::start(&s, &[]);
    wait_until(
        "the keeper renewed the token",
        Duration::from_secs(15),
        || s.fake.refresh_count() == 1,
    );
    let record = s.record().expect("record");
    assert_ne!(record["access_token"], minted.access_token.as_str());
    assert!(record["expires_at"].as_u64().unwrap_or(0) > authdeck_core::token::unix_now() + 600);

    // The service now refuses the saved sign-in: the next due renewal marks
    // it, once; no notification server runs on this bus, and the keeper
    // carries on (it logs that once).
    s.fake.set_token_failure(Some(Canned::new(
        400,
        r#"{"error":"invalid_grant","error_description":"revoked"}"#,
    )));
    let mut due = s.record().expect("record");
    due["expires_at"] = serde_json::json!(authdeck_core::token::unix_now() + 90);
    authdeck_test_support::secret_tool::store_token(&s.test.keyring_service, "microsoft", &due);
    wait_until(
        "the refused sign-in is marked",
        Duration::from_secs(15),
        || s.record().is_some_and(|r| r["needs_reconnect"].is_string()),
    );
    watch.wait_for_line("no desktop notifications", Duration::from_secs(10));
    std::thread::sleep(Duration::from_secs(3));
    let said = watch.said();
    assert_eq!(
        said.iter()
            .filter(|l| l.contains("no desktop notifications"))
            .count(),
        1,
        "said once: {said:#?}"
    );
    let requests = s.fake.token_requests().len();
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        s.fake.token_requests().len(),
        requests,
        "a refused sign-in is not retried"
    );

    // What the keeper found is on the status, with when it was noticed.
    let status = s.status();
    assert_eq!(status["state"], "needs_reconnect");
    let findings: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(s.test.config.join("keeper.json")).expect("keeper.json"),
    )
    .expect("json");
    assert_eq!(findings["current"][0]["service"], "microsoft", "{findings}");
    assert_eq!(findings["current"][0]["cause"]["kind"], "needs_reconnect");
    assert!(
        !findings.to_string().contains(&minted.access_token),
        "no secret in the file"
    );
    let (_, code) = watch.terminate();
    assert_eq!(code, Some(0));
}

#[test]
fn sigterm_during_a_refresh_leaves_a_whole_record() {
    let s = Scenario::new(Family::Google, "watch-sigterm");
    let (minted, planted) = s.plant(90, &["openid"]);
    s.fake.set_token_delay(Duration::from_millis(3_000));
    let mut watch = Watch::start(&s, &[("AUTHDECK_LOG", "info")]);
    watch.wait_for_line("refreshing", Duration::from_secs(15));
    let (took, code) = watch.terminate();
    assert_eq!(code, Some(0));
    assert!(took < Duration::from_millis(1_500), "exit took {took:?}");
    // Whole: the old record or a new one, never a torn one; Google keeps the
    // refresh token valid, so the old one still works.
    let record = s.record().expect("the record is still there");
    assert_eq!(record["version"], 1);
    assert!(record["access_token"].is_string());
    assert_eq!(record["refresh_token"], planted["refresh_token"]);
    let out = s.run(&["token", "google", "--min-valid", "600"]);
    out.assert_success();
    assert!(!out.stdout.trim().is_empty());
    let _ = minted;
}

#[test]
fn the_autostart_entry_validates_and_is_gone_after_uninstall() {
    let s = Scenario::new(Family::GitHub, "watch-autostart");
    let home = TempDir::new("autostart");
    let xdg = home.path_str();
    let run = |args: &[&str]| {
        authdeck(args)
            .envs(s.test.app_env())
            .env("XDG_CONFIG_HOME", &xdg)
            .run()
    };
    let out = run(&["watch", "--install"]);
    out.assert_success();
    let entry = home.join("autostart/app.authdeck.watch.desktop");
    let text = std::fs::read_to_string(&entry).expect("the entry is written");
    assert!(
        text.contains(&format!("Exec=\"{}\" watch", authdeck_path())),
        "{text}"
    );
    let check = Command::new("desktop-file-validate")
        .arg(&entry)
        .output()
        .expect("desktop-file-validate runs");
    assert!(
        check.status.success() && check.stdout.is_empty(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    run(&["watch", "--install"]).assert_success();
    let out = run(&["watch", "--uninstall"]);
    out.assert_success();
    assert!(!entry.exists(), "gone after --uninstall");
    let out = run(&["watch", "--uninstall"]);
    out.assert_success();
    assert!(out.stdout.contains("nothing to do"), "{}", out.describe());
}

#[test]
fn a_locked_keyring_is_waited_for_and_said_once() {
    use authdeck_test_support::private_keyring::PrivateBus;
    use std::io::Write;
    let s = Scenario::new(Family::Google, "watch-locked");
    let dir = TempDir::new("watch-locked-bus");
    let bus = PrivateBus::start(&dir);
    let mut keyring = bus.start_keyring(&dir);
    // A sign-in in that keyring, so the keeper has something to read.
    let record = authdeck_test_support::secret_tool::token_record_json(
        "ya29.locked",
        Some("1//locked"),
        Some(30 * 86_400),
        &["openid"],
        "oauth_pkce",
        Some("ada@example.com"),
    );
    let mut store = Command::new("secret-tool")
        .args([
            "store",
            "--label=planted",
            "service",
            &s.test.keyring_service,
            "username",
            "token:google",
            "target",
            "default",
            "application",
            "rust-keyring",
        ])
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("secret-tool runs");
    if let Some(mut stdin) = store.stdin.take() {
        stdin
            .write_all(record.to_string().as_bytes())
            .expect("write");
    }
    assert!(store.wait().expect("secret-tool").success());
    bus.lock_login_collection();

    let private = [
        ("DBUS_SESSION_BUS_ADDRESS", bus.address.as_str()),
        ("DISPLAY", ""),
    ];
    let mut watch = Watch::start(&s, &private);
    watch.wait_for_line("Waiting for the keyring", Duration::from_secs(15));
    std::thread::sleep(Duration::from_secs(3));
    let said = watch.said();
    assert_eq!(
        said.iter()
            .filter(|l| l.contains("Waiting for the keyring"))
            .count(),
        1,
        "said once while it waits: {said:#?}"
    );
    assert!(
        said.iter().any(|l| l.contains("keyring is locked")),
        "{said:#?}"
    );
    // Unlocked again (the daemon restarted with the password): said once too.
    keyring.stop();
    let mut keyring = bus.start_keyring(&dir);
    watch.wait_for_line("keyring is available again", Duration::from_secs(20));
    let (_, code) = watch.terminate();
    assert_eq!(code, Some(0));
    keyring.stop();
}
