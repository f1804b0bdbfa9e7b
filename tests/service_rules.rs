//! What the real services do, through the real `authdeck` process against fakes
//! that behave like them: Notion's localhost-only redirects, `localhost` callbacks
//! over IPv4 and IPv6, revocation that authenticates and really ends access, and a
//! sign-in that stray local traffic cannot end.

use std::time::Duration;

use authdeck_test_support::cli::authdeck;
use authdeck_test_support::fake_provider::{FakeProvider, Family, Minted};
use authdeck_test_support::scenario::Scenario;
use authdeck_test_support::{require_test_session, TestEnv};

/// The `redirect_uri` the app sent in its last authorize request.
fn redirect_uri(fake: &FakeProvider) -> String {
    fake.last_authorize_query()
        .and_then(|q| q.get("redirect_uri").cloned())
        .expect("an authorize request with a redirect_uri")
}

#[test]
fn notion_signs_in_through_localhost() {
    let s = Scenario::new(Family::Notion, "notion-localhost");
    let out = s.connect();
    assert!(out.success(), "{}", out.describe());
    let redirect = redirect_uri(&s.fake);
    assert!(
        redirect.starts_with("http://localhost:5368") && redirect.ends_with("/callback"),
        "{redirect}"
    );
    assert!(s.record().is_some());
    // The address to register, as `config show` tells it.
    let show = s.run(&["config", "show", "notion"]);
    show.assert_success();
    assert!(
        show.stdout.contains("http://localhost:53682/callback"),
        "{}",
        show.describe()
    );
}

#[test]
fn a_localhost_service_takes_its_callback_over_ipv4_and_ipv6() {
    for (name, mode, address) in [
        ("localhost-v4", "ipv4", "127.0.0.1:"),
        ("localhost-v6", "ipv6", "[::1]:"),
    ] {
        let mut s = Scenario::new(Family::Microsoft, name);
        s.extra_env
            .push(("AUTHDECK_TEST_BROWSER_LOCALHOST".into(), mode.into()));
        let out = s.connect();
        assert!(out.success(), "{mode}: {}", out.describe());
        assert!(redirect_uri(&s.fake).starts_with("http://localhost:"));
        let log = s.test.browser_log();
        assert!(
            log.iter()
                .any(|line| line.starts_with("ADDRESS ") && line.contains(address)),
            "{mode}: {log:?}"
        );
        assert_eq!(s.fake.token_requests().len(), 1, "{mode}");
        assert!(s.record().is_some(), "{mode}");
    }
}

#[test]
fn a_sign_in_survives_stray_requests_and_a_flood_then_completes_once() {
    let mut s = Scenario::new(Family::Dropbox, "strays");
    s.extra_env
        .push(("AUTHDECK_TEST_BROWSER_STRAYS".into(), "1".into()));
    let out = s.connect();
    assert!(out.success(), "{}", out.describe());
    let log = s.test.browser_log();
    let stray = |name: &str| {
        log.iter()
            .find(|line| line.starts_with(&format!("STRAY {name} ")))
            .cloned()
            .unwrap_or_else(|| panic!("no STRAY {name} in {log:?}"))
    };
    for (name, status) in [
        ("wrong-state", "400"),
        ("missing-state", "400"),
        ("post", "405"),
        ("favicon", "404"),
        ("long-url", "414"),
        ("invalid-utf8", "400"),
    ] {
        assert!(
            stray(name).contains(status),
            "{name}: {} in {log:?}",
            stray(name)
        );
    }
    stray("idle");
    stray("flood");
    // One code, exchanged once: nothing from the strays reached the token endpoint.
    assert_eq!(s.fake.token_requests().len(), 1);
    assert!(s.record().is_some());
    let page = s.test.wait_for_browser_page(Duration::from_secs(5));
    assert!(page.contains("signed in"), "{page}\n{log:?}");
}

/// An OpenID provider known only by its issuer, whose revocation endpoint (from
/// discovery) refuses a request that does not authenticate the client.
fn discovered_service(name: &str, secret: bool) -> (FakeProvider, TestEnv, Vec<(String, String)>) {
    require_test_session();
    let fake = FakeProvider::start(Family::Google);
    if !secret {
        fake.set_client_secret(None);
    }
    fake.require_revoke_client_auth(true);
    let test = TestEnv::new(name);
    let auth = if secret {
        ""
    } else {
        "token_auth = \"none\"\n"
    };
    test.write_providers_toml(&format!(
        "[corp]\nname = \"Corp SSO\"\nissuer = \"{}\"\nclient_id = \"{}\"\nclient_secret_env = \"CORP_SECRET\"\nscopes = [\"openid\", \"email\"]\n{auth}",
        fake.base_url(),
        fake.client_id()
    ));
    let mut env = test.app_env();
    if let Some(secret) = fake.client_secret() {
        env.push(("CORP_SECRET".into(), secret));
    }
    (fake, test, env)
}

#[test]
fn revocation_authenticates_like_the_token_endpoint_and_the_token_dies() {
    for secret in [true, false] {
        let (fake, test, env) = discovered_service(&format!("rfc7009-{secret}"), secret);
        let out = authdeck(&["connect", "corp", "--timeout", "20"])
            .envs(env.clone())
            .run();
        assert!(out.success(), "{}", out.describe());
        let live = fake.valid_access_tokens();
        assert_eq!(live.len(), 1, "{live:?}");
        let out = authdeck(&["logout", "corp"]).envs(env).run();
        out.assert_success();
        assert!(
            out.stdout.contains("cancelled Authdeck's access"),
            "secret={secret}: {}",
            out.describe()
        );
        let revoke = fake.count("/revoke");
        assert_eq!(revoke, 1);
        // The service refuses the old access token now, and the grant is gone.
        assert!(fake.valid_access_tokens().is_empty());
        assert!(fake.live_refresh_tokens().is_empty());
        drop(test);
    }
}

#[test]
fn a_refused_revocation_is_quoted_in_the_services_words() {
    let (fake, _test, env) = discovered_service("rfc7009-refused", true);
    let out = authdeck(&["connect", "corp", "--timeout", "20"])
        .envs(env.clone())
        .run();
    assert!(out.success(), "{}", out.describe());
    // The app's secret no longer matches what the service holds.
    fake.set_client_secret(Some("rotated-at-the-service"));
    let out = authdeck(&["logout", "corp"]).envs(env.clone()).run();
    out.assert_success();
    assert!(
        out.stdout
            .contains("Corp SSO refused: client authentication failed"),
        "{}",
        out.describe()
    );
    assert!(!out.stdout.contains("HTTP 401"), "{}", out.describe());
    // Deleted here all the same.
    let status = authdeck(&["status", "--json"]).envs(env).run();
    let corp = status.json();
    let corp = corp
        .as_array()
        .and_then(|all| all.iter().find(|s| s["service"] == "corp"))
        .cloned()
        .expect("corp in status");
    assert_ne!(corp["state"], "connected");
}

/// Logs out of `family` holding an expired access token (and a live refresh
/// token), and checks what every such service must see: one refresh to get a
/// live token, then a revocation that leaves no refresh token alive.
fn log_out_with_an_expired_access_token(
    family: Family,
    name: &str,
    lifetime: Option<u64>,
    scopes: &[&str],
) -> (Scenario, Minted) {
    let s = Scenario::new(family, name);
    if lifetime.is_some() {
        s.fake.set_access_token_lifetime(lifetime);
    }
    let (minted, _) = s.plant(-10, scopes);
    s.fake.expire_all_access_tokens();
    let out = s.run(&["logout", family.id()]);
    out.assert_success();
    assert!(
        out.stdout.contains("cancelled Authdeck's access"),
        "{}",
        out.describe()
    );
    assert_eq!(s.fake.refresh_count(), 1, "renewed once, to revoke");
    assert_eq!(s.fake.revoke_requests().len(), 1);
    assert!(
        s.fake.live_refresh_tokens().is_empty(),
        "the refresh token is dead at the service"
    );
    assert!(s.record().is_none());
    (s, minted)
}

#[test]
fn dropbox_logout_with_an_expired_access_token_refreshes_first_then_revokes() {
    let (s, minted) = log_out_with_an_expired_access_token(
        Family::Dropbox,
        "dropbox-expired",
        None,
        &["files.metadata.read"],
    );
    let revoke = s.fake.revoke_requests();
    assert_ne!(revoke[0].bearer(), Some(minted.access_token));
}

#[test]
fn github_logout_revokes_the_whole_grant_even_with_an_expired_token() {
    // An app with expiring tokens: 8 hours, rotating refresh tokens.
    let (s, _) = log_out_with_an_expired_access_token(
        Family::GitHub,
        "github-grant",
        Some(28_800),
        &["repo"],
    );
    let revoke = s.fake.revoke_requests();
    assert!(revoke[0].path.ends_with("/grant"), "{}", revoke[0].path);
    assert_eq!(revoke[0].method, "DELETE");
    assert!(s.fake.valid_access_tokens().is_empty());
}

#[test]
fn notion_logout_with_an_expired_access_token_refreshes_first() {
    log_out_with_an_expired_access_token(Family::Notion, "notion-expired", Some(3_600), &[]);
}
