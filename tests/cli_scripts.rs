//! What scripts rely on, through the real `authdeck` process: exit codes that
//! tell "go sign in" from "something broke", tokens valid for as long as asked,
//! JSON for programs that cache, and `exec` handing tokens to one command only.

use authdeck_test_support::cli::{authdeck, authdeck_path, scrub_env};
use authdeck_test_support::fake_provider::{Canned, Family};
use authdeck_test_support::scenario::Scenario;
use authdeck_test_support::{require_test_session, TestEnv};

#[test]
fn every_needs_sign_in_path_exits_4_and_other_failures_exit_1() {
    // Not set up at all.
    require_test_session();
    let bare = TestEnv::new("exit-not-configured");
    let out = authdeck(&["token", "google"]).envs(bare.app_env()).run();
    out.assert_code(4);
    assert!(out.stdout.is_empty());
    // Set up, never connected.
    let s = Scenario::new(Family::GitHub, "exit-not-connected");
    s.run(&["token", "github"]).assert_code(4);
    // Connected once, then refused by the service: needs reconnect.
    let s = Scenario::new(Family::Zoom, "exit-reconnect");
    s.plant(-10, &["recording:read"]);
    s.fake.set_token_failure(Some(Canned::new(
        400,
        r#"{"error":"invalid_grant","reason":"Invalid Token!"}"#,
    )));
    s.run(&["token", "zoom"]).assert_code(4);
    s.run(&["token", "zoom"]).assert_code(4);
    // The service is down: that is not the person's to fix by signing in.
    let s = Scenario::new(Family::Zoom, "exit-down");
    s.plant(-10, &["recording:read"]);
    s.fake
        .set_token_failure(Some(Canned::new(500, "Internal Server Error")));
    s.run(&["token", "zoom"]).assert_code(1);
    // Usage errors stay 2, and --help documents the codes.
    authdeck(&["token"]).run().assert_code(2);
    let help = authdeck(&["--help"]).run();
    assert!(
        help.stdout.contains("4 the service needs you to sign in"),
        "{}",
        help.describe()
    );
}

#[test]
fn token_json_gives_what_a_caching_program_needs() {
    let s = Scenario::new(Family::Google, "token-json");
    let (minted, _) = s.plant(1_800, &["openid", "email"]);
    let out = s.run(&["token", "google", "--json"]);
    out.assert_success();
    let value = out.json();
    assert_eq!(value["access_token"], minted.access_token.as_str());
    assert_eq!(value["account"], "ada@example.com");
    assert_eq!(value["scopes"], serde_json::json!(["openid", "email"]));
    let expires = value["expires_at"].as_u64().expect("expires_at");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    assert!((now + 1_700..now + 1_900).contains(&expires), "{value}");
    assert_eq!(s.fake.refresh_count(), 0);
}

#[test]
fn min_valid_renews_a_token_that_ends_too_soon_and_refuses_what_cannot_be_had() {
    let s = Scenario::new(Family::Google, "min-valid");
    // 30 minutes left: enough for 10, not for 50.
    let (minted, _) = s.plant(1_800, &["openid"]);
    let enough = s.run(&["token", "google", "--min-valid", "600"]);
    assert_eq!(enough.stdout.trim(), minted.access_token);
    assert_eq!(s.fake.refresh_count(), 0);
    let renewed = s.run(&["token", "google", "--min-valid", "3000"]);
    renewed.assert_success();
    assert_ne!(renewed.stdout.trim(), minted.access_token);
    assert_eq!(s.fake.refresh_count(), 1);
    // Google's tokens last about an hour: two hours cannot be had.
    let too_long = s.run(&["token", "google", "--min-valid", "7200"]);
    too_long.assert_code(1);
    assert!(too_long.stdout.is_empty());
    assert!(
        too_long.stderr.contains("less than the 7200 asked for"),
        "{}",
        too_long.describe()
    );
}

/// Runs `authdeck exec ...` as a plain process (so a signal can be seen).
fn exec(s: &Scenario, args: &[&str]) -> std::process::Output {
    let mut command = std::process::Command::new(authdeck_path());
    scrub_env(&mut command);
    command
        .arg("exec")
        .args(args)
        .envs(s.test.app_env())
        .envs(s.fake.credentials_env())
        .stdin(std::process::Stdio::null());
    command.output().expect("authdeck runs")
}

#[test]
fn exec_hands_the_token_to_the_command_only_and_passes_its_exit_code_on() {
    let s = Scenario::new(Family::GitHub, "exec");
    let (minted, _) = s.plant(3_600, &["repo"]);
    let printed = exec(
        &s,
        &["github", "--", "sh", "-c", "printf %s \"$GITHUB_TOKEN\""],
    );
    assert!(printed.status.success(), "{printed:?}");
    assert_eq!(
        String::from_utf8_lossy(&printed.stdout),
        minted.access_token
    );
    assert!(printed.stderr.is_empty(), "{printed:?}");
    // Another name for the variable, for this one command.
    let renamed = exec(
        &s,
        &[
            "github",
            "--env",
            "GH_TOKEN",
            "--",
            "sh",
            "-c",
            "printf %s \"$GH_TOKEN:${GITHUB_TOKEN:-}\"",
        ],
    );
    assert_eq!(
        String::from_utf8_lossy(&renamed.stdout),
        format!("{}:", minted.access_token)
    );
    // The command's exit code is authdeck's.
    let three = exec(&s, &["github", "--", "sh", "-c", "exit 3"]);
    assert_eq!(three.status.code(), Some(3));
    // Its stdin is the caller's: nothing is read in between.
    let mut child = std::process::Command::new(authdeck_path());
    scrub_env(&mut child);
    let piped = child
        .args(["exec", "github", "--", "cat"])
        .envs(s.test.app_env())
        .envs(s.fake.credentials_env())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("authdeck runs");
    use std::io::Write as _;
    let mut piped = piped;
    piped
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"through unchanged\n")
        .expect("write");
    let done = piped.wait_with_output().expect("wait");
    assert_eq!(String::from_utf8_lossy(&done.stdout), "through unchanged\n");
}

#[cfg(unix)]
#[test]
fn exec_ends_the_way_the_command_ends_even_by_a_signal() {
    use std::os::unix::process::ExitStatusExt;
    let s = Scenario::new(Family::GitHub, "exec-signal");
    s.plant(3_600, &["repo"]);
    let killed = exec(&s, &["github", "--", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(killed.status.signal(), Some(15), "{killed:?}");
}

#[test]
fn exec_does_not_start_the_command_when_a_service_cannot_give_a_token() {
    let s = Scenario::new(Family::GitHub, "exec-refused");
    let marker = s.test.config.join("ran");
    let marker_text = marker.to_string_lossy().into_owned();
    let out = exec(&s, &["github,google", "--", "touch", &marker_text]);
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    assert!(!marker.exists(), "the command must not have run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("GitHub"), "{stderr}");
    // A token never reaches the terminal or a file on the way.
    let s = Scenario::new(Family::GitHub, "exec-missing-command");
    let (minted, _) = s.plant(3_600, &["repo"]);
    let out = exec(&s, &["github", "--", "no-such-command-anywhere"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("was not found"), "{stderr}");
    assert!(!stderr.contains(&minted.access_token));
}
