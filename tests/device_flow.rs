//! Signing in without a browser here (RFC 8628), through the real `authdeck`
//! process against a loopback fake of the device flow: the code and address
//! are shown, the poll keeps the service's interval and slows down when told,
//! and approval, refusal, expiry, the timeout and Ctrl-C each end it plainly.

use std::time::{Duration, Instant};

use authdeck_test_support::cli::{authdeck_path, scrub_env};
use authdeck_test_support::fake_provider::{DeviceOutcome, Family};
use authdeck_test_support::scenario::Scenario;

#[test]
fn approval_on_another_device_connects_and_the_interval_is_kept() {
    let s = Scenario::new(Family::GitHub, "device-approve");
    s.fake.set_device(1, 60, DeviceOutcome::ApproveAfter(3));
    let out = s.run(&["connect", "github", "--device", "--timeout", "30"]);
    assert!(out.success(), "{}", out.describe());
    assert!(
        out.stderr.contains("/device") && out.stderr.contains("enter the code"),
        "{}",
        out.describe()
    );
    assert!(
        out.stdout.contains("Connected GitHub as octocat"),
        "{}",
        out.describe()
    );
    let record = s.record().expect("saved like any connect");
    assert_eq!(record["method"], "device_code");
    let gaps = s.fake.device_poll_gaps();
    assert_eq!(gaps.len(), 2, "three polls: {gaps:?}");
    assert!(
        gaps.iter().all(|gap| *gap >= Duration::from_millis(950)),
        "{gaps:?}"
    );
    // No browser was involved at all.
    assert!(s.test.browser_log().is_empty());
    assert_eq!(s.fake.authorize_count(), 0);
}

#[test]
fn slow_down_adds_five_seconds_to_the_interval() {
    let s = Scenario::new(Family::Microsoft, "device-slow-down");
    s.fake.set_device(1, 60, DeviceOutcome::ApproveAfter(3));
    s.fake.device_slow_downs(1);
    let out = s.run(&["connect", "microsoft", "--device", "--timeout", "30"]);
    assert!(out.success(), "{}", out.describe());
    // Microsoft also gives an address with the code in it.
    assert!(out.stderr.contains("/device?code="), "{}", out.describe());
    let gaps = s.fake.device_poll_gaps();
    assert!(
        gaps.first()
            .is_some_and(|gap| *gap >= Duration::from_millis(5_900)),
        "the poll after slow_down waits interval + 5 s: {gaps:?}"
    );
    assert!(s.record().is_some());
}

#[test]
fn refusal_and_expiry_end_in_plain_words_and_save_nothing() {
    let s = Scenario::new(Family::Google, "device-deny");
    s.fake.set_device(1, 60, DeviceOutcome::Deny);
    let out = s.run(&["connect", "google", "--device", "--timeout", "30"]);
    out.assert_code(1);
    assert!(
        out.stderr.contains("You chose not to allow access"),
        "{}",
        out.describe()
    );
    assert!(s.record().is_none());

    let s = Scenario::new(Family::GitHub, "device-expire");
    s.fake.set_device(1, 60, DeviceOutcome::Expire);
    let out = s.run(&["connect", "github", "--device", "--timeout", "30"]);
    out.assert_code(1);
    assert!(
        out.stderr
            .contains("expired before the sign-in was finished")
            && out.stderr.contains("--device"),
        "{}",
        out.describe()
    );
    assert!(s.record().is_none());
}

#[test]
fn the_timeout_and_ctrl_c_stop_the_wait() {
    let s = Scenario::new(Family::GitHub, "device-timeout");
    s.fake
        .set_device(1, 600, DeviceOutcome::ApproveAfter(1_000));
    let started = Instant::now();
    let out = s.run(&["connect", "github", "--device", "--timeout", "3"]);
    out.assert_code(1);
    assert!(out.stderr.contains("timed out"), "{}", out.describe());
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(s.record().is_none());

    // Ctrl-C: SIGINT to the process, as a terminal sends it.
    let mut command = std::process::Command::new(authdeck_path());
    scrub_env(&mut command);
    let child = command
        .args(["connect", "github", "--device", "--timeout", "60"])
        .envs(s.test.app_env())
        .envs(s.fake.credentials_env())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("authdeck runs");
    std::thread::sleep(Duration::from_millis(1_500));
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(interrupted.success());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Sign-in was cancelled"), "{stderr}");
    assert!(s.record().is_none());
}

#[test]
fn without_a_display_connect_suggests_the_device_flow() {
    let mut s = Scenario::new(Family::GitHub, "device-suggest");
    // A server: no display, no $BROWSER (the scenario's scripted browser removed).
    s.extra_env.push(("DISPLAY".into(), String::new()));
    s.extra_env.push(("BROWSER".into(), String::new()));
    let out = s.run(&["connect", "github", "--no-browser", "--timeout", "1"]);
    out.assert_code(1);
    // --no-browser is a choice, not a missing display: no suggestion then.
    assert!(!out.stderr.contains("--device"), "{}", out.describe());
    let out = s.run(&["connect", "github", "--timeout", "1"]);
    assert!(
        out.stderr.contains("run: authdeck connect github --device"),
        "{}",
        out.describe()
    );
}
