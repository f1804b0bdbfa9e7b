//! Tests of the test harness itself: the fake provider over real HTTP (one
//! family's quirks per test), the scripted browser, and secret-tool against what
//! keyring 3 really writes. A broken fake would make the app's tests lie.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use reqwest::redirect::Policy;
use serde_json::{json, Value};

use authdeck_test_support::cli::authdeck;
use authdeck_test_support::fake_provider::{s256, Canned, Consent, FakeProvider, Family};
use authdeck_test_support::{
    browser_command, require_test_session, secret_tool, unique_keyring_service, TempDir, TestEnv,
};

const REDIRECT_URI: &str = "http://127.0.0.1:53682/callback";
/// Notion takes plain-http redirect URIs only for `localhost`.
const NOTION_REDIRECT_URI: &str = "http://localhost:53682/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mJ92K9ZWqyQXzGcLWwTbZN7Ni9nxNcbTUm3qyDbvXbdvHkVkHJM";

fn redirect_uri(fake: &FakeProvider) -> &'static str {
    match fake.family() {
        Family::Notion => NOTION_REDIRECT_URI,
        _ => REDIRECT_URI,
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("HTTP client")
}

/// The authorize query the app would send, with PKCE (except for Notion).
fn authorize_params(fake: &FakeProvider, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = vec![
        ("response_type".into(), "code".into()),
        ("client_id".into(), fake.client_id()),
        ("redirect_uri".into(), redirect_uri(fake).into()),
        ("state".into(), "state-123".into()),
    ];
    if fake.family() != Family::Notion {
        params.push(("code_challenge".into(), s256(VERIFIER)));
        params.push(("code_challenge_method".into(), "S256".into()));
    }
    if fake.family() == Family::Notion {
        params.push(("owner".into(), "user".into()));
    }
    params.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    params
}

async fn authorize_raw(fake: &FakeProvider, params: &[(String, String)]) -> reqwest::Response {
    client()
        .get(fake.authorize_url())
        .query(params)
        .send()
        .await
        .expect("authorize request")
}

/// The callback query the fake redirected to.
async fn authorize(fake: &FakeProvider, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let response = authorize_raw(fake, &authorize_params(fake, extra)).await;
    assert_eq!(response.status(), 302, "authorize should redirect");
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(redirect_uri(fake)), "{location}");
    let url = url::Url::parse(&location).unwrap();
    url.query_pairs().into_owned().collect()
}

async fn code(fake: &FakeProvider, extra: &[(&str, &str)]) -> String {
    authorize(fake, extra).await["code"].clone()
}

fn code_form(fake: &FakeProvider, code: &str, with_secret: bool) -> Vec<(String, String)> {
    let mut form = vec![
        ("grant_type".to_string(), "authorization_code".to_string()),
        ("code".into(), code.into()),
        ("redirect_uri".into(), redirect_uri(fake).into()),
        ("client_id".into(), fake.client_id()),
        ("code_verifier".into(), VERIFIER.into()),
    ];
    if with_secret {
        form.push(("client_secret".into(), fake.client_secret().unwrap()));
    }
    form
}

async fn post_form(url: &str, form: &[(String, String)]) -> (u16, String) {
    let response = client().post(url).form(form).send().await.expect("POST");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

fn parse_json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

// ----- authorize -----

#[tokio::test]
async fn authorize_requires_pkce_s256_except_for_notion() {
    let google = FakeProvider::start(Family::Google);
    let mut params = authorize_params(&google, &[]);
    params.retain(|(k, _)| !k.starts_with("code_challenge"));
    assert_eq!(authorize_raw(&google, &params).await.status(), 400);
    params.push(("code_challenge".into(), s256(VERIFIER)));
    params.push(("code_challenge_method".into(), "plain".into()));
    assert_eq!(authorize_raw(&google, &params).await.status(), 400);

    let notion = FakeProvider::start(Family::Notion);
    assert!(authorize(&notion, &[]).await.contains_key("code"));
    let q = notion.last_authorize_query().unwrap();
    assert_eq!(q["owner"], "user");
}

#[tokio::test]
async fn authorize_rejects_wrong_client_response_type_and_redirect() {
    let fake = FakeProvider::start(Family::Dropbox);
    let mut params = authorize_params(&fake, &[]);
    params[1].1 = "someone-else".into();
    assert_eq!(authorize_raw(&fake, &params).await.status(), 400);

    let mut params = authorize_params(&fake, &[]);
    params[0].1 = "token".into();
    assert_eq!(authorize_raw(&fake, &params).await.status(), 400);

    // Dropbox: exact redirect URI match when registered.
    fake.set_registered_redirect_uris(&["http://127.0.0.1:53682/callback"]);
    let mut params = authorize_params(&fake, &[]);
    params[2].1 = "http://127.0.0.1:53683/callback".into();
    assert_eq!(authorize_raw(&fake, &params).await.status(), 400);
    assert!(authorize(&fake, &[]).await.contains_key("code"));
    assert_eq!(fake.authorize_count(), 4);
}

#[tokio::test]
async fn consent_behaviours_shape_the_callback() {
    let fake = FakeProvider::start(Family::Google);
    let approved = authorize(&fake, &[]).await;
    assert_eq!(approved["state"], "state-123");
    assert!(!approved.contains_key("iss"));

    fake.set_issuer(Some("https://accounts.google.com"));
    assert_eq!(
        authorize(&fake, &[]).await["iss"],
        "https://accounts.google.com"
    );

    fake.set_consent(Consent::Deny);
    let denied = authorize(&fake, &[]).await;
    assert_eq!(denied["error"], "access_denied");
    assert_eq!(denied["state"], "state-123");
    assert!(!denied.contains_key("code"));

    fake.set_consent(Consent::WrongState);
    let forged = authorize(&fake, &[]).await;
    assert!(forged.contains_key("code"));
    assert_ne!(forged["state"], "state-123");

    fake.set_consent(Consent::Ignore);
    let response = authorize_raw(&fake, &authorize_params(&fake, &[])).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("location").is_none());
}

#[tokio::test]
async fn callback_keeps_an_existing_query_in_the_redirect_uri() {
    let fake = FakeProvider::start(Family::Zoom);
    let mut params = authorize_params(&fake, &[]);
    params[2].1 = "http://127.0.0.1:53682/callback?flow=1".into();
    let response = authorize_raw(&fake, &params).await;
    let location = response.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with("http://127.0.0.1:53682/callback?flow=1&code="),
        "{location}"
    );
}

#[tokio::test]
async fn notion_refuses_a_127_0_0_1_redirect_and_takes_localhost() {
    let notion = FakeProvider::start(Family::Notion);
    let mut params = authorize_params(&notion, &[]);
    params[2].1 = REDIRECT_URI.into();
    let response = authorize_raw(&notion, &params).await;
    assert_eq!(response.status(), 400);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("invalid_redirect_uri: http redirect URIs are allowed only for localhost"),
        "{page}"
    );
    assert!(authorize(&notion, &[]).await.contains_key("code"));
    assert_eq!(
        notion.last_authorize_query().unwrap()["redirect_uri"],
        NOTION_REDIRECT_URI
    );

    // Everyone else still takes 127.0.0.1.
    let google = FakeProvider::start(Family::Google);
    assert!(authorize(&google, &[]).await.contains_key("code"));
}

// ----- token: authorization_code -----

#[tokio::test]
async fn github_answers_form_encoded_unless_json_is_asked_and_never_expires() {
    let fake = FakeProvider::start(Family::GitHub);
    let code1 = code(&fake, &[("scope", "repo read:org")]).await;
    let (status, body) = post_form(&fake.token_url(), &code_form(&fake, &code1, true)).await;
    assert_eq!(status, 200);
    let form: BTreeMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    assert!(form["access_token"].starts_with("gho_"), "{body}");
    assert_eq!(form["scope"], "repo,read:org");
    assert_eq!(form["token_type"], "bearer");
    assert!(!form.contains_key("expires_in") && !form.contains_key("refresh_token"));

    let code2 = code(&fake, &[("scope", "repo")]).await;
    let response = client()
        .post(fake.token_url())
        .header("Accept", "application/json")
        .form(&code_form(&fake, &code2, true))
        .send()
        .await
        .unwrap();
    let json: Value = response.json().await.unwrap();
    assert_eq!(json["scope"], "repo");
    assert_eq!(fake.valid_access_tokens().len(), 2);
}

#[tokio::test]
async fn github_errors_are_http_200_and_codes_are_single_use() {
    let fake = FakeProvider::start(Family::GitHub);
    let code = code(&fake, &[]).await;
    let (status, _) = post_form(&fake.token_url(), &code_form(&fake, &code, true)).await;
    assert_eq!(status, 200);
    let response = client()
        .post(fake.token_url())
        .header("Accept", "application/json")
        .form(&code_form(&fake, &code, true))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let json: Value = response.json().await.unwrap();
    assert_eq!(json["error"], "bad_verification_code");
    assert!(json.get("access_token").is_none());

    // Missing secret: still HTTP 200 with an error.
    let form = vec![
        ("grant_type".to_string(), "authorization_code".to_string()),
        ("code".into(), "x".into()),
        ("client_id".into(), fake.client_id()),
    ];
    let (status, body) = post_form(&fake.token_url(), &form).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("error=incorrect_client_credentials"),
        "{body}"
    );
}

#[tokio::test]
async fn wrong_verifier_or_redirect_uri_fails_and_burns_the_code() {
    let fake = FakeProvider::start(Family::Google);
    let code1 = code(&fake, &[]).await;
    let mut form = code_form(&fake, &code1, true);
    form[4].1 = "wrong-verifier-wrong-verifier-wrong-verifier-0000".into();
    let (status, body) = post_form(&fake.token_url(), &form).await;
    assert_eq!(status, 400);
    assert_eq!(parse_json(&body)["error"], "invalid_grant");
    // The code died with the failed attempt.
    let (status, _) = post_form(&fake.token_url(), &code_form(&fake, &code1, true)).await;
    assert_eq!(status, 400);

    let code2 = code(&fake, &[]).await;
    let mut form = code_form(&fake, &code2, true);
    form[2].1 = "http://127.0.0.1:53682/callback/".into();
    let (status, _) = post_form(&fake.token_url(), &form).await;
    assert_eq!(status, 400);
    assert!(fake.valid_access_tokens().is_empty());
    assert_eq!(fake.token_requests().len(), 3);
}

#[tokio::test]
async fn google_gives_a_refresh_token_only_for_offline_consent_and_does_not_rotate() {
    let fake = FakeProvider::start(Family::Google);
    let online = code(&fake, &[("scope", "openid email")]).await;
    let (_, body) = post_form(&fake.token_url(), &code_form(&fake, &online, true)).await;
    let json = parse_json(&body);
    assert!(json.get("refresh_token").is_none());
    assert_eq!(json["expires_in"], 3599);
    assert!(json["id_token"].as_str().unwrap().split('.').count() == 3);

    let offline = code(
        &fake,
        &[
            ("scope", "openid email"),
            ("access_type", "offline"),
            ("prompt", "consent"),
        ],
    )
    .await;
    let (_, body) = post_form(&fake.token_url(), &code_form(&fake, &offline, true)).await;
    let refresh = parse_json(&body)["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        fake.current_refresh_token().as_deref(),
        Some(refresh.as_str())
    );

    let form = vec![
        ("grant_type".to_string(), "refresh_token".to_string()),
        ("refresh_token".into(), refresh.clone()),
        ("client_id".into(), fake.client_id()),
        ("client_secret".into(), fake.client_secret().unwrap()),
    ];
    let (status, body) = post_form(&fake.token_url(), &form).await;
    assert_eq!(status, 200, "{body}");
    assert!(parse_json(&body).get("refresh_token").is_none());
    let (status, _) = post_form(&fake.token_url(), &form).await;
    assert_eq!(status, 200, "Google refresh tokens do not rotate");
    assert_eq!(fake.refresh_count(), 2);

    // Without the secret Google says no.
    let (status, body) = post_form(&fake.token_url(), &form[..3]).await;
    assert_eq!(status, 401);
    assert_eq!(parse_json(&body)["error"], "invalid_client");
}

#[tokio::test]
async fn microsoft_public_client_rejects_a_secret_and_sends_expires_in_as_a_string() {
    let fake = FakeProvider::start(Family::Microsoft);
    assert_eq!(fake.client_secret(), None);
    let code1 = code(&fake, &[("scope", "openid offline_access User.Read")]).await;
    let mut form = code_form(&fake, &code1, false);
    form.push(("client_secret".into(), "shipped-in-the-app".into()));
    let (status, body) = post_form(&fake.token_url(), &form).await;
    assert_eq!(status, 401);
    let json = parse_json(&body);
    assert!(json["error_description"]
        .as_str()
        .unwrap()
        .starts_with("AADSTS700025"));
    assert_eq!(json["error_codes"], json!([700025]));
    assert!(json["trace_id"].is_string() && json["correlation_id"].is_string());

    let code2 = code(&fake, &[("scope", "openid offline_access User.Read")]).await;
    let (status, body) = post_form(&fake.token_url(), &code_form(&fake, &code2, false)).await;
    assert_eq!(status, 200, "{body}");
    let json = parse_json(&body);
    assert_eq!(json["expires_in"], "3599");
    let first_refresh = json["refresh_token"].as_str().unwrap().to_string();

    // Rotates, but the old refresh token keeps working.
    let refresh = |token: &str| {
        vec![
            ("grant_type".to_string(), "refresh_token".to_string()),
            ("refresh_token".into(), token.to_string()),
            ("client_id".into(), fake.client_id()),
        ]
    };
    let (_, body) = post_form(&fake.token_url(), &refresh(&first_refresh)).await;
    let second = parse_json(&body)["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(second, first_refresh);
    let (status, _) = post_form(&fake.token_url(), &refresh(&first_refresh)).await;
    assert_eq!(status, 200);

    // No offline_access: no refresh token.
    let code3 = code(&fake, &[("scope", "User.Read")]).await;
    let (_, body) = post_form(&fake.token_url(), &code_form(&fake, &code3, false)).await;
    assert!(parse_json(&body).get("refresh_token").is_none());
}

#[tokio::test]
async fn zoom_rotation_kills_the_old_refresh_token_at_once() {
    let fake = FakeProvider::start(Family::Zoom);
    let code = code(&fake, &[]).await;
    let (id, secret) = (fake.client_id(), fake.client_secret().unwrap());
    let exchange = |form: Vec<(String, String)>| {
        client()
            .post(fake.token_url())
            .basic_auth(&id, Some(&secret))
            .form(&form)
            .send()
    };
    let mut form = code_form(&fake, &code, false);
    form.retain(|(k, _)| k != "client_id");
    let json: Value = exchange(form).await.unwrap().json().await.unwrap();
    let old = json["refresh_token"].as_str().unwrap().to_string();

    let refresh = |token: &str| {
        vec![
            ("grant_type".to_string(), "refresh_token".to_string()),
            ("refresh_token".into(), token.to_string()),
        ]
    };
    let json: Value = exchange(refresh(&old)).await.unwrap().json().await.unwrap();
    let new = json["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    let response = exchange(refresh(&old)).await.unwrap();
    assert_eq!(response.status(), 400);
    let json: Value = response.json().await.unwrap();
    assert_eq!(
        json,
        json!({"reason": "Invalid Token!", "error": "invalid_request"})
    );
    assert_eq!(fake.live_refresh_tokens(), vec![new]);
}

#[tokio::test]
async fn zoom_server_to_server_wants_the_grant_in_the_query_string() {
    let fake = FakeProvider::start(Family::Zoom);
    let (id, secret) = (fake.client_id(), fake.client_secret().unwrap());
    let response = client()
        .post(fake.token_url())
        .query(&[
            ("grant_type", "account_credentials"),
            ("account_id", &fake.zoom_account_id()),
        ])
        .basic_auth(&id, Some(&secret))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let json: Value = response.json().await.unwrap();
    assert_eq!(json["expires_in"], 3599);
    assert!(json.get("refresh_token").is_none());

    let response = client()
        .post(fake.token_url())
        .basic_auth(&id, Some(&secret))
        .form(&[
            ("grant_type", "account_credentials"),
            ("account_id", &fake.zoom_account_id()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);

    let response = client()
        .post(fake.token_url())
        .query(&[
            ("grant_type", "account_credentials"),
            ("account_id", "other"),
        ])
        .basic_auth(&id, Some(&secret))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn notion_wants_json_and_basic_auth_and_names_the_person() {
    let fake = FakeProvider::start(Family::Notion);
    let code1 = code(&fake, &[]).await;
    let (id, secret) = (fake.client_id(), fake.client_secret().unwrap());
    // A form body is refused.
    let response = client()
        .post(fake.token_url())
        .basic_auth(&id, Some(&secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code1),
            ("redirect_uri", NOTION_REDIRECT_URI),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    // JSON without Basic is refused.
    let code2 = code(&fake, &[]).await;
    let body = json!({"grant_type": "authorization_code", "code": code2, "redirect_uri": NOTION_REDIRECT_URI});
    let response = client()
        .post(fake.token_url())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    // JSON + Basic works. The same code: client authentication failed before the
    // code was looked at, so it was not used up.
    let response = client()
        .post(fake.token_url())
        .basic_auth(&id, Some(&secret))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let json: Value = response.json().await.unwrap();
    assert_eq!(json["owner"]["user"]["person"]["email"], "ada@example.com");
    assert_eq!(json["owner"]["user"]["name"], "Ada Lovelace");
    assert_eq!(json["workspace_name"], "Ada Lovelace's Workspace");
    let old = json["refresh_token"].as_str().unwrap().to_string();

    let refresh = |token: &str| json!({"grant_type": "refresh_token", "refresh_token": token});
    let response = client()
        .post(fake.token_url())
        .basic_auth(&id, Some(&secret))
        .json(&refresh(&old))
        .send()
        .await
        .unwrap();
    let json: Value = response.json().await.unwrap();
    assert_ne!(json["refresh_token"].as_str().unwrap(), old);
    let response = client()
        .post(fake.token_url())
        .basic_auth(&id, Some(&secret))
        .json(&refresh(&old))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let json: Value = response.json().await.unwrap();
    assert_eq!(json["error"], "invalid_grant");
}

#[tokio::test]
async fn dropbox_needs_no_secret_with_pkce_and_gives_refresh_only_offline() {
    let fake = FakeProvider::start(Family::Dropbox);
    let online = code(&fake, &[]).await;
    let (status, body) = post_form(&fake.token_url(), &code_form(&fake, &online, false)).await;
    assert_eq!(status, 200, "{body}");
    let json = parse_json(&body);
    assert_eq!(json["expires_in"], 14400);
    assert!(json.get("refresh_token").is_none());

    let offline = code(&fake, &[("token_access_type", "offline")]).await;
    let (_, body) = post_form(&fake.token_url(), &code_form(&fake, &offline, false)).await;
    let json = parse_json(&body);
    let access = json["access_token"].as_str().unwrap().to_string();
    assert!(json["refresh_token"].is_string());

    // Who am I: POST without a body; a JSON content type with an empty body is a 400.
    let me = client()
        .post(fake.userinfo_url().unwrap())
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(
        me.json::<Value>().await.unwrap()["email"],
        "ada@example.com"
    );
    let me = client()
        .post(fake.userinfo_url().unwrap())
        .bearer_auth(&access)
        .header("Content-Type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 400);

    // Revoke: Bearer, no body.
    let revoke = client()
        .post(fake.revoke_url().unwrap())
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 200);
    assert!(!fake.valid_access_tokens().contains(&access));
    assert_eq!(
        fake.current_refresh_token(),
        None,
        "revoking ends the whole grant"
    );
}

// ----- refresh, expiry, failures -----

#[tokio::test]
async fn unknown_refresh_tokens_are_invalid_grant() {
    let fake = FakeProvider::start(Family::Google);
    let form = vec![
        ("grant_type".to_string(), "refresh_token".to_string()),
        ("refresh_token".into(), "1//never-issued".into()),
        ("client_id".into(), fake.client_id()),
        ("client_secret".into(), fake.client_secret().unwrap()),
    ];
    let (status, body) = post_form(&fake.token_url(), &form).await;
    assert_eq!(status, 400);
    assert_eq!(parse_json(&body)["error"], "invalid_grant");
    assert_eq!(fake.refresh_count(), 0);
}

#[tokio::test]
async fn minted_tokens_expire_on_demand_and_userinfo_follows() {
    let fake = FakeProvider::start(Family::Google);
    let minted = fake.mint_tokens(&["openid", "email"]);
    let me = |token: String| {
        client()
            .get(fake.userinfo_url().unwrap())
            .bearer_auth(token)
            .send()
    };
    let response = me(minted.access_token.clone()).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap()["email"],
        "ada@example.com"
    );

    fake.expire_all_access_tokens();
    assert!(fake.valid_access_tokens().is_empty());
    assert_eq!(me(minted.access_token).await.unwrap().status(), 401);
    assert_eq!(fake.current_refresh_token(), minted.refresh_token);
}

#[tokio::test]
async fn token_failures_can_be_canned_and_counted_down() {
    let fake = FakeProvider::start(Family::Google);
    let minted = fake.mint_tokens(&["email"]);
    let form = vec![
        ("grant_type".to_string(), "refresh_token".to_string()),
        ("refresh_token".into(), minted.refresh_token.unwrap()),
        ("client_id".into(), fake.client_id()),
        ("client_secret".into(), fake.client_secret().unwrap()),
    ];
    fake.set_token_failure(Some(Canned::rate_limited(7).times(1)));
    let response = client()
        .post(fake.token_url())
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "7");
    let (status, _) = post_form(&fake.token_url(), &form).await;
    assert_eq!(status, 200, "the canned failure was for one request only");

    for (canned, status) in [
        (Canned::server_error(), 500),
        (Canned::garbage(), 200),
        (Canned::html(), 502),
    ] {
        fake.set_token_failure(Some(canned.clone()));
        let (got, body) = post_form(&fake.token_url(), &form).await;
        assert_eq!(got, status);
        assert_eq!(body, canned.body);
    }
    fake.set_token_failure(None);

    fake.set_token_delay(Duration::from_millis(600));
    let started = Instant::now();
    let (status, _) = post_form(&fake.token_url(), &form).await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(600));
}

#[tokio::test]
async fn access_token_lifetime_is_a_knob_and_github_becomes_a_github_app() {
    let fake = FakeProvider::start(Family::GitHub);
    fake.set_access_token_lifetime(Some(28800));
    let code = code(&fake, &[]).await;
    let response = client()
        .post(fake.token_url())
        .header("Accept", "application/json")
        .form(&code_form(&fake, &code, true))
        .send()
        .await
        .unwrap();
    let json: Value = response.json().await.unwrap();
    assert_eq!(json["expires_in"], 28800);
    let old = json["refresh_token"].as_str().unwrap().to_string();
    assert!(old.starts_with("ghr_"));
    let refresh = vec![
        ("grant_type".to_string(), "refresh_token".to_string()),
        ("refresh_token".into(), old.clone()),
        ("client_id".into(), fake.client_id()),
        ("client_secret".into(), fake.client_secret().unwrap()),
    ];
    let (status, body) = post_form(&fake.token_url(), &refresh).await;
    assert_eq!(status, 200);
    assert!(body.contains("refresh_token=ghr_"));
    let (status, body) = post_form(&fake.token_url(), &refresh).await;
    assert_eq!(status, 200, "GitHub errors are HTTP 200");
    assert!(body.contains("error=bad_refresh_token"), "{body}");
}

// ----- revoke and who am I -----

#[tokio::test]
async fn revoke_endpoints_follow_each_family() {
    // Google: form token=
    let google = FakeProvider::start(Family::Google);
    let minted = google.mint_tokens(&["email"]);
    let response = client()
        .post(google.revoke_url().unwrap())
        .form(&[("token", &minted.access_token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(google.valid_access_tokens().is_empty());
    assert_eq!(google.current_refresh_token(), None);

    // GitHub: DELETE with Basic and a JSON body, 204; needs a User-Agent.
    let github = FakeProvider::start(Family::GitHub);
    let minted = github.mint_tokens(&["repo"]);
    let url = github
        .revoke_url()
        .unwrap()
        .replace("{client_id}", &github.client_id());
    let delete = |ua: bool| {
        let mut request = client()
            .delete(&url)
            .basic_auth(github.client_id(), github.client_secret())
            .json(&json!({"access_token": minted.access_token}));
        if ua {
            request = request.header("User-Agent", "authdeck-test");
        }
        request.send()
    };
    assert_eq!(delete(false).await.unwrap().status(), 403);
    assert_eq!(delete(true).await.unwrap().status(), 204);
    assert!(github.valid_access_tokens().is_empty());
    assert_eq!(github.revoke_requests().len(), 2);

    // Zoom: Basic, form token=
    let zoom = FakeProvider::start(Family::Zoom);
    let minted = zoom.mint_tokens(&[]);
    let response = client()
        .post(zoom.revoke_url().unwrap())
        .basic_auth(zoom.client_id(), zoom.client_secret())
        .form(&[("token", minted.refresh_token.as_deref().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(zoom.valid_access_tokens().is_empty());

    // Notion: Basic, JSON {"token"}; and fail_revoke.
    let notion = FakeProvider::start(Family::Notion);
    let minted = notion.mint_tokens(&[]);
    notion.fail_revoke(true);
    let send = || {
        client()
            .post(notion.revoke_url().unwrap())
            .basic_auth(notion.client_id(), notion.client_secret())
            .json(&json!({"token": minted.access_token}))
            .send()
    };
    assert_eq!(send().await.unwrap().status(), 500);
    assert_eq!(notion.valid_access_tokens().len(), 1);
    notion.fail_revoke(false);
    assert_eq!(send().await.unwrap().status(), 200);
    assert!(notion.valid_access_tokens().is_empty());

    // Microsoft has no revoke endpoint.
    let microsoft = FakeProvider::start(Family::Microsoft);
    assert_eq!(microsoft.revoke_url(), None);
}

/// A revoke request shaped the way `family`'s service wants it, carrying `token`.
fn revoke_request(fake: &FakeProvider, token: &str) -> reqwest::RequestBuilder {
    let url = fake
        .revoke_url()
        .unwrap()
        .replace("{client_id}", &fake.client_id());
    match fake.family() {
        Family::GitHub => client()
            .delete(url)
            .basic_auth(fake.client_id(), fake.client_secret())
            .header("User-Agent", "authdeck-test")
            .json(&json!({"access_token": token})),
        Family::Dropbox => client().post(url).bearer_auth(token),
        Family::Notion => client()
            .post(url)
            .basic_auth(fake.client_id(), fake.client_secret())
            .json(&json!({"token": token})),
        other => panic!("no revoke request for {other:?} here"),
    }
}

#[tokio::test]
async fn revoke_with_an_expired_access_token_revokes_nothing_where_the_service_checks_it() {
    for family in [Family::GitHub, Family::Dropbox, Family::Notion] {
        let fake = FakeProvider::start(family);
        // GitHub: an app with expiring tokens, so the grant has a refresh token.
        fake.set_access_token_lifetime(Some(28800));
        let stale = fake.mint_tokens(&[]);
        let stale_refresh = stale.refresh_token.clone().unwrap();
        fake.expire_all_access_tokens();

        let response = revoke_request(&fake, &stale.access_token)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        match family {
            Family::GitHub => {
                assert_eq!(status, 404, "{family:?}");
                assert_eq!(body["message"], "Not Found", "{family:?}");
            }
            Family::Dropbox => {
                assert_eq!(status, 401, "{family:?}");
                assert_eq!(body["error"][".tag"], "expired_access_token", "{family:?}");
            }
            _ => {
                assert_eq!(status, 401, "{family:?}");
                assert!(body["error"].is_string(), "{family:?}: {body}");
                assert!(body["error_description"].is_string(), "{family:?}: {body}");
            }
        }
        assert_eq!(
            fake.live_refresh_tokens(),
            vec![stale_refresh.clone()],
            "{family:?}: a refused revoke ends nothing"
        );

        // A live access token ends its whole grant, and only that one.
        let fresh = fake.mint_tokens(&[]);
        let response = revoke_request(&fake, &fresh.access_token)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{family:?}: {response:?}");
        assert!(fake.valid_access_tokens().is_empty(), "{family:?}");
        assert_eq!(
            fake.live_refresh_tokens(),
            vec![stale_refresh],
            "{family:?}"
        );
    }

    // GitHub and Dropbox take only an access token there, never a refresh token.
    for family in [Family::GitHub, Family::Dropbox] {
        let fake = FakeProvider::start(family);
        let minted = fake.mint_tokens(&[]);
        let refresh = minted.refresh_token.unwrap();
        let response = revoke_request(&fake, &refresh).send().await.unwrap();
        assert!(response.status().is_client_error(), "{family:?}");
        assert_eq!(fake.live_refresh_tokens(), vec![refresh], "{family:?}");
        assert_eq!(fake.valid_access_tokens(), vec![minted.access_token]);
    }
}

#[tokio::test]
async fn github_grant_revocation_ends_refresh_tokens_and_the_token_endpoint_does_not() {
    let github = FakeProvider::start(Family::GitHub);
    github.set_access_token_lifetime(Some(28800));
    assert_eq!(
        github.revoke_url().unwrap(),
        github.url("/applications/{client_id}/grant")
    );
    let token_url = github.url(&format!("/applications/{}/token", github.client_id()));
    let delete = |url: String, token: &str| {
        client()
            .delete(url)
            .basic_auth(github.client_id(), github.client_secret())
            .header("User-Agent", "authdeck-test")
            .json(&json!({"access_token": token}))
            .send()
    };

    // /token: that one access token only.
    let first = github.mint_tokens(&["repo"]);
    let first_refresh = first.refresh_token.clone().unwrap();
    let response = delete(token_url.clone(), &first.access_token)
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert!(github.valid_access_tokens().is_empty());
    assert_eq!(github.live_refresh_tokens(), vec![first_refresh.clone()]);
    assert!(
        github.revoke_requests().is_empty(),
        "revoke_requests() counts the grant endpoint only"
    );
    // Its access token is dead now, so the grant endpoint refuses it and ends nothing.
    let grant_url = github
        .revoke_url()
        .unwrap()
        .replace("{client_id}", &github.client_id());
    let response = delete(grant_url.clone(), &first.access_token)
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(github.live_refresh_tokens(), vec![first_refresh.clone()]);

    // /grant: every access and refresh token of the grant.
    let second = github.mint_tokens(&["repo"]);
    let response = delete(grant_url, &second.access_token).await.unwrap();
    assert_eq!(response.status(), 204);
    assert!(github.valid_access_tokens().is_empty());
    assert_eq!(github.live_refresh_tokens(), vec![first_refresh]);
    assert_eq!(github.revoke_requests().len(), 2);
}

#[tokio::test]
async fn revoke_client_authentication_is_a_knob_and_revoked_tokens_fail_userinfo() {
    let fake = FakeProvider::start(Family::Google);
    fake.require_revoke_client_auth(true);
    let discovery: Value = client()
        .get(fake.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        discovery["revocation_endpoint"],
        fake.revoke_url().unwrap().as_str()
    );
    let revoke_url = fake.revoke_url().unwrap();
    let me = |token: String| {
        client()
            .get(fake.userinfo_url().unwrap())
            .bearer_auth(token)
            .send()
    };
    let (id, secret) = (fake.client_id(), fake.client_secret().unwrap());
    let minted = fake.mint_tokens(&["email"]);
    let token = minted.access_token.clone();

    // No client identification at all.
    let (status, body) = post_form(&revoke_url, &[("token".to_string(), token.clone())]).await;
    assert_eq!(status, 400);
    assert_eq!(
        parse_json(&body),
        json!({"error": "invalid_request", "error_description": "no client authentication mechanism provided"})
    );
    // Wrong credentials, by Basic and in the body.
    let response = client()
        .post(&revoke_url)
        .basic_auth(&id, Some("not-the-secret"))
        .form(&[("token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"error": "invalid_client", "error_description": "client authentication failed"})
    );
    let wrong_body = [
        ("token".to_string(), token.clone()),
        ("client_id".to_string(), id.clone()),
        ("client_secret".to_string(), "not-the-secret".to_string()),
    ];
    let (status, body) = post_form(&revoke_url, &wrong_body).await;
    assert_eq!(status, 401);
    assert_eq!(parse_json(&body)["error"], "invalid_client");
    // A confidential client that sends only its id has not authenticated.
    let id_only = [
        ("token".to_string(), token.clone()),
        ("client_id".to_string(), id.clone()),
    ];
    assert_eq!(post_form(&revoke_url, &id_only).await.0, 401);
    assert_eq!(me(token.clone()).await.unwrap().status(), 200);
    assert_eq!(fake.current_refresh_token(), minted.refresh_token);

    // HTTP Basic: revoked, and userinfo refuses the token from then on.
    let response = client()
        .post(&revoke_url)
        .basic_auth(&id, Some(&secret))
        .form(&[("token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(me(token).await.unwrap().status(), 401);
    assert_eq!(fake.current_refresh_token(), None);

    // client_id + client_secret in the body.
    let minted = fake.mint_tokens(&["email"]);
    let in_body = [
        ("token".to_string(), minted.access_token.clone()),
        ("client_id".to_string(), id.clone()),
        ("client_secret".to_string(), secret.clone()),
    ];
    assert_eq!(post_form(&revoke_url, &in_body).await.0, 200);
    assert_eq!(me(minted.access_token).await.unwrap().status(), 401);

    // A public client: client_id in the body is enough; a wrong one is not.
    fake.set_client_secret(None);
    let minted = fake.mint_tokens(&["email"]);
    let public = |client_id: &str| {
        vec![
            ("token".to_string(), minted.access_token.clone()),
            ("client_id".to_string(), client_id.to_string()),
        ]
    };
    assert_eq!(post_form(&revoke_url, &public("someone-else")).await.0, 401);
    assert_eq!(me(minted.access_token.clone()).await.unwrap().status(), 200);
    assert_eq!(post_form(&revoke_url, &public(&id)).await.0, 200);
    assert_eq!(me(minted.access_token.clone()).await.unwrap().status(), 401);

    // Off again: the endpoint takes an anonymous revoke, as by default.
    fake.require_revoke_client_auth(false);
    let minted = fake.mint_tokens(&["email"]);
    let anonymous = [("token".to_string(), minted.access_token.clone())];
    assert_eq!(post_form(&revoke_url, &anonymous).await.0, 200);
    assert_eq!(me(minted.access_token).await.unwrap().status(), 401);
}

#[tokio::test]
async fn who_am_i_per_family() {
    let cases = [
        (Family::Google, "email", "ada@example.com"),
        (Family::GitHub, "login", "octocat"),
        (
            Family::Microsoft,
            "userPrincipalName",
            "ada@contoso.example",
        ),
        (Family::Zoom, "email", "ada@example.com"),
    ];
    for (family, field, expected) in cases {
        let fake = FakeProvider::start(family);
        let minted = fake.mint_tokens(&[]);
        let response = client()
            .get(fake.userinfo_url().unwrap())
            .bearer_auth(&minted.access_token)
            .header("User-Agent", "authdeck-test")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{family:?}");
        assert_eq!(
            response.json::<Value>().await.unwrap()[field],
            expected,
            "{family:?}"
        );
        let response = client()
            .get(fake.userinfo_url().unwrap())
            .bearer_auth("not-a-token")
            .header("User-Agent", "authdeck-test")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{family:?}");
    }
    let github = FakeProvider::start(Family::GitHub);
    let minted = github.mint_tokens(&[]);
    let response = client()
        .get(github.userinfo_url().unwrap())
        .bearer_auth(&minted.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403, "GitHub's API needs a User-Agent");
    assert_eq!(FakeProvider::start(Family::Notion).userinfo_url(), None);
}

#[tokio::test]
async fn providers_toml_points_the_built_in_at_the_fake() {
    for family in Family::ALL {
        let fake = FakeProvider::start(family);
        let text = fake.providers_toml(family.id());
        let parsed: toml::Table = text.parse().unwrap_or_else(|e| panic!("{e}\n{text}"));
        let table = parsed[family.id()].as_table().unwrap();
        assert!(table["authorize_url"]
            .as_str()
            .unwrap()
            .starts_with(fake.base_url()));
        assert_eq!(table["token_url"].as_str().unwrap(), fake.token_url());
        assert_eq!(
            table.contains_key("revoke_url"),
            family != Family::Microsoft
        );
        assert_eq!(table.contains_key("userinfo_url"), family != Family::Notion);
    }
    let github = FakeProvider::start(Family::GitHub);
    assert!(github
        .providers_toml("github")
        .contains("/applications/{client_id}/grant\""));
    let notion = FakeProvider::start(Family::Notion);
    assert!(notion
        .providers_toml("notion")
        .contains("/authorize?owner=user\""));
}

// ----- the scripted browser -----

/// A stand-in for the app's loopback listener: answers one page and records the query.
fn callback_server() -> (tiny_http::Server, String) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let port = server.server_addr().to_ip().unwrap().port();
    (server, format!("http://127.0.0.1:{port}/callback"))
}

fn run_browser(url: &str, log: &std::path::Path) -> std::process::Output {
    run_browser_with(url, log, &[])
}

fn run_browser_with(
    url: &str,
    log: &std::path::Path,
    env: &[(&str, &str)],
) -> std::process::Output {
    let mut command = std::process::Command::new(browser_command());
    command
        .arg(url)
        .env("AUTHDECK_TEST_BROWSER_LOG", log)
        .env_remove("AUTHDECK_TEST_BROWSER_LOCALHOST")
        .env_remove("AUTHDECK_TEST_BROWSER_STRAYS")
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null());
    command.output().expect("run scripted-browser")
}

#[test]
fn scripted_browser_follows_the_fake_to_the_loopback_callback() {
    let fake = FakeProvider::start(Family::Google);
    let (server, redirect_uri) = callback_server();
    let serve = std::thread::spawn(move || {
        let request = server.recv().unwrap();
        let url = request.url().to_string();
        request
            .respond(tiny_http::Response::from_string(
                "<h1>You can close this tab</h1>",
            ))
            .unwrap();
        url
    });
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", &fake.client_id())
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("state", "s1")
        .append_pair("code_challenge", &s256(VERIFIER))
        .append_pair("code_challenge_method", "S256")
        .finish();
    let scratch = TempDir::new("browser-selftest");
    let log = scratch.join("browser.log");
    let output = run_browser(&format!("{}?{query}", fake.authorize_url()), &log);
    assert!(output.status.success(), "{output:?}");

    let callback = serve.join().unwrap();
    assert!(callback.starts_with("/callback?code="), "{callback}");
    assert!(callback.ends_with("&state=s1"), "{callback}");
    let lines: Vec<String> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("302 http://127.0.0.1:"), "{lines:?}");
    assert!(
        lines[1].starts_with(&format!("200 {redirect_uri}?code=")),
        "{lines:?}"
    );
    assert_eq!(
        scratch.read("browser.log.page"),
        "<h1>You can close this tab</h1>"
    );
}

#[test]
fn scripted_browser_refuses_anything_but_loopback_http() {
    let scratch = TempDir::new("browser-refuses");
    let log = scratch.join("browser.log");
    for url in [
        "https://accounts.google.com/o/oauth2/v2/auth",
        "http://example.com/",
        "http://10.0.0.1:80/",
        "http://user@127.0.0.1:1/",
    ] {
        let output = run_browser(url, &log);
        assert_eq!(output.status.code(), Some(3), "{url}: {output:?}");
    }
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        text.lines().filter(|l| l.starts_with("REFUSED ")).count(),
        4,
        "{text}"
    );
}

/// An authorize URL at `fake` whose redirect is `redirect_uri`, with state `s1`.
fn browser_authorize_url(fake: &FakeProvider, redirect_uri: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", &fake.client_id())
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", "s1")
        .append_pair("code_challenge", &s256(VERIFIER))
        .append_pair("code_challenge_method", "S256")
        .finish();
    format!("{}?{query}", fake.authorize_url())
}

/// Answers every request with a page until one carries `state=s1`; returns the
/// paths of all requests it saw.
fn serve_until_callback(server: tiny_http::Server) -> std::thread::JoinHandle<Vec<String>> {
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        for request in server.incoming_requests() {
            let url = request.url().to_string();
            let done = url.contains("state=s1");
            seen.push(url);
            let _ = request.respond(tiny_http::Response::from_string("<h1>Done</h1>"));
            if done {
                break;
            }
        }
        seen
    })
}

fn log_lines(log: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn scripted_browser_sends_localhost_to_ipv6_or_ipv4_as_told() {
    let Ok(v6) = tiny_http::Server::http("[::1]:0") else {
        eprintln!("no IPv6 loopback on this machine: skipped");
        return;
    };
    let port = v6.server_addr().to_ip().unwrap().port();
    let fake = FakeProvider::start(Family::Google);
    let redirect_uri = format!("http://localhost:{port}/callback");
    let url = browser_authorize_url(&fake, &redirect_uri);
    let scratch = TempDir::new("browser-localhost");

    // ipv4: nothing listens on 127.0.0.1:PORT, so the callback cannot be reached.
    let log = scratch.join("ipv4.log");
    let output = run_browser_with(&url, &log, &[("AUTHDECK_TEST_BROWSER_LOCALHOST", "ipv4")]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let lines = log_lines(&log);
    assert!(
        lines[1].starts_with(&format!("ERROR {redirect_uri}?")),
        "{lines:?}"
    );

    // ipv6, then unset (a browser tries ::1 first): both reach the [::1] listener.
    let serve = serve_until_callback(v6);
    let log = scratch.join("ipv6.log");
    let output = run_browser_with(&url, &log, &[("AUTHDECK_TEST_BROWSER_LOCALHOST", "ipv6")]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(serve.join().unwrap().len(), 1);
    let lines = log_lines(&log);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[0].starts_with("302 http://127.0.0.1:"), "{lines:?}");
    assert!(
        lines[1].starts_with(&format!("ADDRESS [::1]:{port} {redirect_uri}?code=")),
        "{lines:?}"
    );
    assert!(
        lines[2].starts_with(&format!("200 {redirect_uri}?code=")),
        "{lines:?}"
    );

    // tiny_http closes the first server's socket from its own thread, a moment
    // after the drop: wait for the port rather than race it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let v6 = loop {
        match tiny_http::Server::http(format!("[::1]:{port}")) {
            Ok(server) => break server,
            Err(_) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            Err(e) => panic!("[::1]:{port} never came free: {e}"),
        }
    };
    let serve = serve_until_callback(v6);
    let log = scratch.join("default.log");
    let output = run_browser_with(&url, &log, &[]);
    assert!(output.status.success(), "{output:?}");
    serve.join().unwrap();
    assert!(
        log_lines(&log)[1].starts_with(&format!("ADDRESS [::1]:{port} ")),
        "{:?}",
        log_lines(&log)
    );

    // Unset with only 127.0.0.1 listening: ::1 is refused, 127.0.0.1 answers.
    let v4 = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let port = v4.server_addr().to_ip().unwrap().port();
    let redirect_uri = format!("http://localhost:{port}/callback");
    let serve = serve_until_callback(v4);
    let log = scratch.join("fallback.log");
    let output = run_browser_with(&browser_authorize_url(&fake, &redirect_uri), &log, &[]);
    assert!(output.status.success(), "{output:?}");
    serve.join().unwrap();
    let lines = log_lines(&log);
    assert!(
        lines[1].starts_with(&format!("ADDRESS 127.0.0.1:{port} ")),
        "{lines:?}"
    );

    // An [::1] URL is a loopback URL too (and gets no ADDRESS line: no choice made).
    let v6 = tiny_http::Server::http("[::1]:0").unwrap();
    let port = v6.server_addr().to_ip().unwrap().port();
    let serve = serve_until_callback(v6);
    let log = scratch.join("literal.log");
    let literal = format!("http://[::1]:{port}/callback?code=x&state=s1");
    let output = run_browser_with(&literal, &log, &[]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(serve.join().unwrap(), vec!["/callback?code=x&state=s1"]);
    assert_eq!(log_lines(&log), vec![format!("200 {literal}")]);

    // A typo in the knob is an error, not the default.
    let output = run_browser_with(&literal, &log, &[("AUTHDECK_TEST_BROWSER_LOCALHOST", "v6")]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
}

#[test]
fn scripted_browser_sends_strays_before_the_real_callback() {
    let fake = FakeProvider::start(Family::Google);
    let (server, redirect_uri) = callback_server();
    // A stand-in for the app's listener, with its rules: 414 for an over-long
    // target, 404 off the callback path, 405 for another method, 400 without
    // this attempt's state; only the real callback ends it.
    let serve = std::thread::spawn(move || {
        let mut answered = Vec::new();
        for request in server.incoming_requests() {
            let url = request.url().to_string();
            let path = url.split('?').next().unwrap_or_default().to_string();
            let (status, done) = if url.len() > 8192 {
                (414, false)
            } else if path != "/callback" {
                (404, false)
            } else if *request.method() != tiny_http::Method::Get {
                (405, false)
            } else if !url.contains("state=s1") {
                (400, false)
            } else {
                (200, true)
            };
            answered.push((request.method().to_string(), status));
            let _ =
                request.respond(tiny_http::Response::from_string("page").with_status_code(status));
            if done {
                break;
            }
        }
        answered
    });
    let scratch = TempDir::new("browser-strays");
    let log = scratch.join("browser.log");
    let output = run_browser_with(
        &browser_authorize_url(&fake, &redirect_uri),
        &log,
        &[("AUTHDECK_TEST_BROWSER_STRAYS", "1")],
    );
    assert!(output.status.success(), "{output:?}");
    let answered = serve.join().unwrap();
    assert_eq!(
        answered.iter().filter(|(_, status)| *status == 200).count(),
        1,
        "{answered:?}"
    );

    let lines = log_lines(&log);
    assert!(lines[0].starts_with("302 http://127.0.0.1:"), "{lines:?}");
    let strays: Vec<&str> = lines[1..lines.len() - 1]
        .iter()
        .map(|l| l.as_str())
        .collect();
    let expect = [
        "STRAY wrong-state 400",
        "STRAY missing-state 400",
        "STRAY post 405",
        "STRAY favicon 404",
        "STRAY long-url 414",
    ];
    assert_eq!(&strays[..expect.len()], &expect, "{lines:?}");
    assert!(strays[5].starts_with("STRAY invalid-utf8 "), "{lines:?}");
    assert_eq!(strays[6], "STRAY idle open", "{lines:?}");
    assert!(strays[7].starts_with("STRAY flood 200/200 "), "{lines:?}");
    assert_eq!(strays.len(), 8, "{lines:?}");
    assert!(
        lines[lines.len() - 1].starts_with(&format!("200 {redirect_uri}?code=")),
        "{lines:?}"
    );
    assert_eq!(scratch.read("browser.log.page"), "page");
}

// ----- secret-tool against keyring 3 (needs the test session) -----

#[test]
fn secret_tool_sees_what_keyring_writes_and_keyring_reads_what_it_plants() {
    require_test_session();
    let service = unique_keyring_service("selftest-secret-tool");
    let entry = keyring::Entry::new(&service, "token:github").unwrap();
    entry
        .set_password(r#"{"version":1,"access_token":"gho_x"}"#)
        .unwrap();

    let items = secret_tool::search(&service);
    assert_eq!(items.len(), 1, "{items:?}");
    let item = &items[0];
    let expected: BTreeMap<String, String> = [
        ("application", "rust-keyring"),
        ("service", service.as_str()),
        ("target", "default"),
        ("username", "token:github"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(item.attributes, expected);
    assert_eq!(item.secret_json()["access_token"], "gho_x");
    assert!(
        item.label
            .starts_with(&format!("token:github@{service}:default")),
        "{}",
        item.label
    );

    let record = secret_tool::token_record_json(
        "gho_planted",
        None,
        Some(3600),
        &["repo"],
        "oauth_pkce",
        Some("octocat"),
    );
    secret_tool::store_token(&service, "zoom", &record);
    let planted = keyring::Entry::new(&service, "token:zoom")
        .unwrap()
        .get_password()
        .unwrap();
    assert_eq!(serde_json::from_str::<Value>(&planted).unwrap(), record);
    assert_eq!(
        secret_tool::usernames(&service),
        vec!["token:github", "token:zoom"]
    );

    secret_tool::clear(&service);
    assert!(secret_tool::search(&service).is_empty());
    secret_tool::clear(&service); // nothing left: still fine
    assert!(matches!(entry.get_password(), Err(keyring::Error::NoEntry)));
}

// ----- the CLI runner (needs the test session) -----

#[test]
fn cli_runs_that_outlive_their_timeout_are_killed_and_fail_with_the_output_so_far() {
    require_test_session();
    // A person who never answers: the app waits on its loopback listener, and the
    // scripted browser (a detached grandchild) has already exited.
    let fake = FakeProvider::start(Family::GitHub);
    fake.set_consent(Consent::Ignore);
    let env = TestEnv::new("selftest-cli-timeout");
    env.write_providers_toml(&fake.providers_toml("github"));
    let started = Instant::now();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        authdeck(&["connect", "github", "--timeout", "120"])
            .envs(env.app_env())
            .envs(fake.credentials_env())
            .timeout(Duration::from_secs(3))
            .run()
    }));
    let elapsed = started.elapsed();
    let message = match outcome {
        Ok(output) => panic!(
            "the run should have been killed; it ended:\n{}",
            output.describe()
        ),
        Err(panic) => panic.downcast_ref::<String>().cloned().unwrap_or_default(),
    };
    assert!(message.contains("did not finish within 3s"), "{message}");
    assert!(message.contains("--- stderr so far ---"), "{message}");
    assert!(
        elapsed < Duration::from_secs(10),
        "killing took {elapsed:?}"
    );
    assert_eq!(
        fake.authorize_count(),
        1,
        "the browser reached the authorize page"
    );
}
