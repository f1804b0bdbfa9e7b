//! Several accounts per service, through the real CLI against loopback fakes
//! and the real Secret Service: the scripted browser signs in as whoever the
//! fake provider is told the person is.

use authdeck_test_support::fake_provider::Family;
use authdeck_test_support::scenario::Scenario;
use authdeck_test_support::secret_tool;
use serde_json::Value;

const DRIVE: &str = "https://www.googleapis.com/auth/drive.readonly";
const GMAIL: &str = "https://www.googleapis.com/auth/gmail.readonly";

fn connect_as(s: &Scenario, email: &str, extra: &[&str]) -> String {
    s.fake.sign_in_as(email);
    let mut args = vec!["connect", s.id, "--timeout", "20"];
    for scope in extra {
        args.extend(["--scope", scope]);
    }
    let out = s.run(&args);
    out.assert_success();
    out.stdout.clone()
}

fn token(s: &Scenario, account: Option<&str>) -> String {
    let mut args = vec!["token", s.id];
    if let Some(account) = account {
        args.extend(["--account", account]);
    }
    let out = s.run(&args);
    out.assert_success();
    out.stdout.trim().to_owned()
}

fn labels(status: &Value) -> Vec<String> {
    status["accounts"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|a| a["account"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn default_of(status: &Value) -> Option<String> {
    status["accounts"].as_array().and_then(|all| {
        all.iter()
            .find(|a| a["default"] == true)
            .and_then(|a| a["account"].as_str())
            .map(str::to_owned)
    })
}

#[test]
fn two_accounts_of_one_service_each_with_its_own_token_default_switch_and_logout() {
    let s = Scenario::new(Family::Google, "accounts-two");
    let said = connect_as(&s, "ada@example.com", &[]);
    assert!(said.contains("as ada@example.com"), "{said}");
    let said = connect_as(&s, "bob@example.com", &[]);
    assert!(said.contains("as bob@example.com"), "{said}");

    let status = s.status();
    assert_eq!(labels(&status), ["ada@example.com", "bob@example.com"]);
    assert_eq!(
        default_of(&status).as_deref(),
        Some("ada@example.com"),
        "the first connected"
    );
    assert_eq!(
        status["account"], "ada@example.com",
        "top level is the default"
    );
    assert_eq!(status["state"], "connected");
    for a in status["accounts"].as_array().into_iter().flatten() {
        assert!(
            a.get("access_token").is_none() && !a.to_string().contains("ya29"),
            "{a}"
        );
    }

    let ada = token(&s, None);
    let bob = token(&s, Some("bob@example.com"));
    assert_ne!(ada, bob, "each account has its own token");
    let valid = s.fake.valid_access_tokens();
    assert!(valid.contains(&ada) && valid.contains(&bob));
    assert_eq!(token(&s, Some("ada@example.com")), ada);

    // Signing in again as Bob (any case) replaces Bob's record, no third account.
    let said = connect_as(&s, "Bob@Example.com", &[]);
    assert!(said.contains("Connected Google"), "{said}");
    let status = s.status();
    assert_eq!(labels(&status).len(), 2, "{status}");
    let bob_again = token(&s, Some("bob@example.com"));
    assert_ne!(
        bob_again, bob,
        "Bob's record was replaced by the new sign-in"
    );
    assert_eq!(token(&s, None), ada, "Ada untouched");

    // Switch the default.
    let out = s.run(&["switch", "google", "bob@example.com"]);
    out.assert_success();
    assert!(
        out.stdout
            .contains("bob@example.com is now your default Google account"),
        "{}",
        out.describe()
    );
    assert_eq!(token(&s, None), bob_again);
    assert_eq!(default_of(&s.status()).as_deref(), Some("bob@example.com"));

    // Logging out without saying which refuses, lists them, changes nothing.
    let out = s.run(&["logout", "google"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("ada@example.com") && out.stderr.contains("bob@example.com"),
        "{}",
        out.describe()
    );
    // Accounts that do not exist, an empty name, control characters: a
    // plain message, nothing changed.
    let out = s.run(&["logout", "google", "--account", "carol@example.com"]);
    out.assert_code(1);
    assert!(
        out.stderr
            .contains("no account called \"carol@example.com\""),
        "{}",
        out.describe()
    );
    assert!(
        out.stderr.contains("ada@example.com, bob@example.com"),
        "{}",
        out.describe()
    );
    let out = s.run(&["token", "google", "--account", "nobody"]);
    out.assert_code(1);
    for bad in ["", "  ", "ada\u{7}@example.com", "bob\n"] {
        let out = s.run(&["logout", "google", "--account", bad]);
        out.assert_code(2);
        assert!(
            out.stderr.contains("account name"),
            "{bad:?}: {}",
            out.describe()
        );
        assert!(
            !out.stderr.contains('\u{7}'),
            "the control character is not echoed"
        );
    }
    let out = s.run(&["switch", "google", "carol@example.com"]);
    out.assert_code(1);
    let status = s.status();
    assert_eq!(labels(&status).len(), 2, "nothing changed: {status}");
    let valid = s.fake.valid_access_tokens();
    assert!(valid.contains(&ada) && valid.contains(&bob_again));

    // Logging out the default: the other account becomes the default, and
    // the person is told; the logged-out token is revoked, the other works.
    let out = s.run(&["logout", "google", "--account", "bob@example.com"]);
    out.assert_success();
    assert!(
        out.stdout
            .contains("ada@example.com is now your default Google account"),
        "{}",
        out.describe()
    );
    let valid = s.fake.valid_access_tokens();
    assert!(!valid.contains(&bob_again), "Bob's access was revoked");
    assert!(valid.contains(&ada), "Ada's still works");
    assert_eq!(token(&s, None), ada);
    let status = s.status();
    assert_eq!(labels(&status), ["ada@example.com"]);

    let out = s.run(&["logout", "google", "--all"]);
    out.assert_success();
    assert_eq!(s.status()["state"], "not_connected");
    assert!(
        secret_tool::usernames(&s.test.keyring_service)
            .iter()
            .all(|u| !u.starts_with("token:") && !u.starts_with("accounts:")),
        "nothing left behind: {:?}",
        secret_tool::usernames(&s.test.keyring_service)
    );
}

#[test]
fn concurrent_token_calls_for_two_expired_accounts_refresh_each_exactly_once() {
    // Microsoft rotates refresh tokens: a second refresh of one account
    // would log it out, and refreshing one must never touch the other.
    let s = Scenario::new(Family::Microsoft, "accounts-concurrent");
    connect_as(&s, "ada@example.com", &[]);
    connect_as(&s, "bob@example.com", &[]);
    // Both saved sets have expired.
    for user in secret_tool::usernames(&s.test.keyring_service) {
        if !user.starts_with("token:") {
            continue;
        }
        let item = secret_tool::item(&s.test.keyring_service, &user).expect("item");
        let mut record = item.secret_json();
        record["expires_at"] = serde_json::json!(1);
        secret_tool::store(&s.test.keyring_service, &user, &record.to_string());
    }
    let before = s.fake.refresh_count();
    let runs: Vec<_> = (0..6)
        .map(|i| {
            let account = if i % 2 == 0 {
                "ada@example.com"
            } else {
                "bob@example.com"
            };
            let env = s.env();
            std::thread::spawn(move || {
                let out = authdeck_test_support::cli::authdeck(&[
                    "token",
                    "microsoft",
                    "--account",
                    account,
                ])
                .envs(env)
                .run();
                (account, out)
            })
        })
        .collect();
    let mut tokens: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for run in runs {
        let (account, out) = run.join().expect("thread");
        out.assert_success();
        tokens
            .entry(account)
            .or_default()
            .push(out.stdout.trim().to_owned());
    }
    assert_eq!(
        s.fake.refresh_count() - before,
        2,
        "one refresh per account"
    );
    for (account, got) in &tokens {
        assert!(got.windows(2).all(|w| w[0] == w[1]), "{account}: {got:?}");
    }
    assert_ne!(tokens["ada@example.com"][0], tokens["bob@example.com"][0]);
    let valid = s.fake.valid_access_tokens();
    for got in tokens.values() {
        assert!(valid.contains(&got[0]), "the handed-out tokens work");
    }
    // Each account's saved refresh token is the one the service holds live:
    // nothing was lost to a second refresh, and the records stayed apart.
    let live = s.fake.live_refresh_tokens();
    let mut saved = Vec::new();
    for user in secret_tool::usernames(&s.test.keyring_service) {
        if user.starts_with("token:") {
            let record = secret_tool::item(&s.test.keyring_service, &user)
                .expect("item")
                .secret_json();
            let refresh = record["refresh_token"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            assert!(live.contains(&refresh), "{user}: its refresh token is live");
            saved.push(refresh);
        }
    }
    assert_eq!(saved.len(), 2);
    assert_ne!(saved[0], saved[1]);
}

#[test]
fn a_partial_grant_shows_missing_scopes_and_scope_asks_for_more_keeping_the_old() {
    let s = Scenario::new(Family::Google, "accounts-scopes");
    s.fake.withhold_scopes(&[DRIVE]);
    s.fake.sign_in_as("ada@example.com");
    let out = s.run(&["connect", "google", "--timeout", "20"]);
    out.assert_success();
    assert!(
        out.stderr.contains("missing") && out.stderr.contains(DRIVE),
        "{}",
        out.describe()
    );
    let status = s.status();
    assert_eq!(
        status["missing_scopes"],
        serde_json::json!([DRIVE]),
        "{status}"
    );
    assert!(!status["scopes"].to_string().contains(DRIVE), "{status}");
    assert_eq!(
        status["accounts"][0]["missing_scopes"],
        serde_json::json!([DRIVE])
    );

    // Ask for one more permission; the person allows everything this time.
    s.fake.withhold_scopes(&[]);
    connect_as(&s, "ada@example.com", &[GMAIL]);
    let asked = s.fake.last_authorize_query().expect("authorize");
    assert!(asked["scope"].split(' ').any(|x| x == GMAIL), "{asked:?}");
    assert!(
        asked["scope"].split(' ').any(|x| x == "openid"),
        "keeps the old ones: {asked:?}"
    );
    assert_eq!(
        asked.get("include_granted_scopes").map(String::as_str),
        Some("true")
    );
    let status = s.status();
    let granted = status["scopes"].to_string();
    assert!(
        granted.contains(GMAIL) && granted.contains(DRIVE) && granted.contains("openid"),
        "{status}"
    );
    assert_eq!(status["missing_scopes"], serde_json::json!([]));
    assert_eq!(
        labels(&status),
        ["ada@example.com"],
        "the same account, replaced"
    );
}
