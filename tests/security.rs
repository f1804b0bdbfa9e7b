//! The native-app security checklist (docs/providers.md#loopback-callback) and the fault
//! cases, through the real CLI process against fake providers on 127.0.0.1.
//! Each test names the property it protects; the README maps checklist items
//! to these names.

use std::time::Duration;

use authdeck_test_support::cli::{authdeck, Output};
use authdeck_test_support::fake_provider::{Canned, FakeProvider, Family};
use authdeck_test_support::scenario::Scenario;
use authdeck_test_support::{require_test_session, secret_tool, TestEnv};

// ----- checklist -------------------------------------------------------------

/// Checklist 1, system browser only: the window may call only Authdeck's own
/// commands (no window or webview creation, no navigation), and the code never
/// builds a second webview that could load a provider page.
#[test]
fn window_capability_grants_only_app_commands_and_event_listening() {
    let conf: serde_json::Value = serde_json::from_str(include_str!("../tauri.conf.json")).unwrap();
    let caps = conf["app"]["security"]["capabilities"]
        .as_array()
        .expect("inline capabilities");
    assert_eq!(caps.len(), 1);
    for permission in caps[0]["permissions"].as_array().unwrap() {
        let p = permission.as_str().unwrap();
        assert!(
            p.starts_with("allow-")
                || p == "core:event:allow-listen"
                || p == "core:event:allow-unlisten",
            "unexpected permission {p}"
        );
    }
    let csp = conf["app"]["security"]["csp"]
        .as_str()
        .expect("a CSP, never null");
    assert!(
        csp.contains("default-src 'self'") && csp.contains("connect-src ipc: http://ipc.localhost"),
        "{csp}"
    );
    for file in [
        "src-tauri/app/mod.rs",
        "src-tauri/app/commands.rs",
        "src-tauri/app/refresher.rs",
    ] {
        let code = std::fs::read_to_string(file).unwrap();
        for forbidden in ["WebviewWindowBuilder", "WebviewUrl::External", ".navigate("] {
            assert!(!code.contains(forbidden), "{file} uses {forbidden}");
        }
    }
}

/// Checklist 2 and 3: a fresh PKCE verifier and a fresh state for every attempt.
#[test]
fn every_attempt_has_a_fresh_pkce_challenge_and_state() {
    let s = Scenario::new(Family::GitHub, "fresh-pkce");
    let mut seen = Vec::new();
    for _ in 0..2 {
        s.run(&["connect", "github", "--timeout", "20"])
            .assert_success();
        let q = s.fake.last_authorize_query().unwrap();
        assert_eq!(q["code_challenge_method"], "S256");
        assert!(q["state"].len() >= 22, "state must carry >= 128 bits");
        seen.push((q["code_challenge"].clone(), q["state"].clone()));
    }
    assert_ne!(seen[0].0, seen[1].0);
    assert_ne!(seen[0].1, seen[1].1);
}

/// Checklist 7, mix-up defence: a callback whose `iss` is not the service's issuer is refused.
#[test]
fn callback_from_another_issuer_is_refused_without_a_token_request() {
    let s = Scenario::new(Family::Google, "mixup");
    s.fake.set_issuer(Some("https://evil.example"));
    let out = s.run(&["connect", "google", "--timeout", "20"]);
    out.assert_code(1);
    assert!(out.stderr.contains("evil.example"), "{}", out.describe());
    assert_eq!(s.fake.token_requests().len(), 0);
    assert!(s.record().is_none());
    // The real issuer is accepted.
    s.fake.set_issuer(Some("https://accounts.google.com"));
    s.run(&["connect", "google", "--timeout", "20"])
        .assert_success();
}

/// Checklist 9: codes are single use: a failed exchange is not retried with the same code.
#[test]
fn a_failed_code_exchange_is_never_retried() {
    let s = Scenario::new(Family::GitHub, "code-once");
    s.fake
        .set_token_failure(Some(Canned::server_error().times(1)));
    let out = s.run(&["connect", "github", "--timeout", "20"]);
    out.assert_code(1);
    assert_eq!(s.fake.token_requests().len(), 1);
    assert!(s.record().is_none());
}

/// Checklist 12: no redirects are followed from a token endpoint.
#[test]
fn a_redirect_from_the_token_endpoint_is_not_followed() {
    let s = Scenario::new(Family::Zoom, "no-redirect");
    s.plant(-10, &["openid"]);
    let elsewhere = FakeProvider::start(Family::Zoom);
    s.fake.set_token_failure(Some(
        Canned::new(307, "").header("Location", &elsewhere.token_url()),
    ));
    let out = s.run(&["token", "zoom"]);
    out.assert_code(1);
    assert!(out.stdout.is_empty());
    assert_eq!(
        elsewhere.requests().len(),
        0,
        "the redirect target was contacted"
    );
}

/// Checklist 12: endpoints must be https (loopback http only for local servers).
#[test]
fn a_plain_http_endpoint_is_refused() {
    require_test_session();
    let test = TestEnv::new("plain-http");
    test.write_providers_toml("[acme]\nname = \"Acme\"\nauthorize_url = \"http://acme.example/auth\"\ntoken_url = \"http://acme.example/token\"\nclient_id = \"x\"\n");
    let out = authdeck(&["connect", "acme", "--no-browser", "--timeout", "2"])
        .envs(test.app_env())
        .run();
    out.assert_code(1);
    assert!(out.stderr.contains("https"), "{}", out.describe());
}

/// Checklist 8 and 11: a whole connect, refresh and logout at trace level logs no token,
/// code, verifier, state or client secret.
#[test]
fn trace_logs_of_a_full_flow_contain_no_secret() {
    let mut s = Scenario::new(Family::Zoom, "trace-log");
    s.extra_env.push(("AUTHDECK_LOG".into(), "trace".into()));
    let mut logs = String::new();
    let connect = s.run(&["connect", "zoom", "--timeout", "20"]);
    connect.assert_success();
    logs.push_str(&connect.stderr);
    let first = s.record().unwrap();
    s.fake.expire_all_access_tokens();
    let mut expired = first.clone();
    expired["expires_at"] = serde_json::json!(1);
    secret_tool::store_token(&s.test.keyring_service, "zoom", &expired);
    let token = s.run(&["token", "zoom"]);
    token.assert_success();
    logs.push_str(&token.stderr);
    let second = s.record().unwrap();
    let logout = s.run(&["logout", "zoom"]);
    logout.assert_success();
    logs.push_str(&logout.stderr);
    logs.push_str(&logout.stdout);

    assert!(
        logs.contains("TRACE") || logs.contains("DEBUG"),
        "trace logging was not on"
    );
    let authorize = s.fake.last_authorize_query().unwrap();
    let exchange = s
        .fake
        .token_requests()
        .into_iter()
        .next()
        .unwrap()
        .body_params();
    let mut secrets = vec![
        first["access_token"].as_str().unwrap().to_owned(),
        first["refresh_token"].as_str().unwrap().to_owned(),
        second["access_token"].as_str().unwrap().to_owned(),
        second["refresh_token"].as_str().unwrap().to_owned(),
        s.fake.client_secret().unwrap(),
        exchange["code"].clone(),
    ];
    if let Some(verifier) = exchange.get("code_verifier") {
        secrets.push(verifier.clone());
    }
    for secret in secrets {
        assert!(!logs.contains(&secret), "a secret reached the logs");
    }
    // The state is in the sign-in link, which is printed on purpose (for when
    // no browser opens); it must not appear in any log line.
    let state = &authorize["state"];
    for line in logs
        .lines()
        .filter(|l| l.contains("TRACE") || l.contains("DEBUG") || l.contains("INFO"))
    {
        assert!(
            !line.contains(state.as_str()),
            "state in a log line: {line}"
        );
    }
}

// ----- faults ----------------------------------------------------------------

fn assert_refresh_failed_and_nothing_lost(
    s: &Scenario,
    before: &serde_json::Value,
    out: &Output,
    words: &str,
) {
    out.assert_code(1);
    assert!(
        out.stdout.is_empty(),
        "no token on failure: {}",
        out.describe()
    );
    assert!(
        out.stderr.contains(words),
        "expected {words:?}: {}",
        out.describe()
    );
    assert_eq!(
        s.record().as_ref(),
        Some(before),
        "the saved sign-in must be untouched"
    );
    assert_eq!(s.fake.token_requests().len(), 1, "no automatic retry");
}

#[test]
fn token_endpoint_500_keeps_the_saved_sign_in() {
    let s = Scenario::new(Family::Google, "fault-500");
    let before = s.plant(-10, &["openid"]).1;
    s.fake.set_token_failure(Some(Canned::server_error()));
    let out = s.run(&["token", "google"]);
    assert_refresh_failed_and_nothing_lost(&s, &before, &out, "HTTP 500");
}

#[test]
fn token_endpoint_429_says_when_to_try_again() {
    let s = Scenario::new(Family::Google, "fault-429");
    let before = s.plant(-10, &["openid"]).1;
    s.fake.set_token_failure(Some(Canned::rate_limited(42)));
    let out = s.run(&["token", "google"]);
    assert_refresh_failed_and_nothing_lost(&s, &before, &out, "Try again in 42 seconds");
}

#[test]
fn token_endpoint_timeout_keeps_the_saved_sign_in() {
    let mut s = Scenario::new(Family::Google, "fault-timeout");
    s.extra_env
        .push(("AUTHDECK_HTTP_TIMEOUT".into(), "1".into()));
    let before = s.plant(-10, &["openid"]).1;
    s.fake.set_token_delay(Duration::from_secs(4));
    let out = s.run(&["token", "google"]);
    assert_refresh_failed_and_nothing_lost(&s, &before, &out, "did not answer in time");
}

#[test]
fn token_endpoint_garbage_and_html_are_reported_plainly() {
    for (name, canned, words) in [
        ("fault-garbage", Canned::garbage(), "could not use"),
        ("fault-html", Canned::html(), "web page"),
    ] {
        let s = Scenario::new(Family::Google, name);
        let before = s.plant(-10, &["openid"]).1;
        s.fake.set_token_failure(Some(canned));
        let out = s.run(&["token", "google"]);
        assert_refresh_failed_and_nothing_lost(&s, &before, &out, words);
    }
}

/// The refresh reached the service (which rotated the refresh token) but the
/// answer was lost. Authdeck does not replay the request on its own; the next
/// call re-reads the store and, when the service has killed the old token,
/// says honestly that the person must reconnect.
#[test]
fn lost_refresh_response_is_not_replayed_and_ends_honestly() {
    let mut s = Scenario::new(Family::Zoom, "fault-lost");
    s.extra_env
        .push(("AUTHDECK_HTTP_TIMEOUT".into(), "2".into()));
    let before = s.plant(-10, &["openid"]).1;
    s.fake.lose_token_responses(1);
    let out = s.run(&["token", "zoom"]);
    out.assert_code(1);
    assert_eq!(
        s.fake.token_requests().len(),
        1,
        "sent once, never replayed"
    );
    assert_eq!(s.record().as_ref(), Some(&before));
    let next = s.run(&["token", "zoom"]);
    next.assert_code(4);
    assert!(next.stderr.contains("sign in again"), "{}", next.describe());
    let record = s.record().expect("kept, marked");
    assert!(record["needs_reconnect"].is_string());
}
