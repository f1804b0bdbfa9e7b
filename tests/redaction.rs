//! `Debug` (and `Display`, where a type has one) of every type that holds a
//! secret prints it redacted: a secret can only leave through `.secret()`.

use authdeck_core::accounts::Served;
use authdeck_core::credentials::{Credentials, Source};
use authdeck_core::flow::{token_request, Grant};
use authdeck_core::loopback::{Callback, Expected};
use authdeck_core::pkce::PkceVerifier;
use authdeck_core::provider::builtin_providers;
use authdeck_core::secret::{AccessToken, ApiKey, AuthorizationCode, ClientSecret, RefreshToken};
use authdeck_core::store::SavedClient;
use authdeck_core::token::{Method, TokenSet};
use authdeck_core::token_response;

const MARK: &str = "SECRET-MARKER-7f3a";

fn assert_redacted(what: &str, shown: String) {
    assert!(!shown.contains(MARK), "{what} shows a secret: {shown}");
}

#[test]
fn every_type_holding_a_secret_is_redacted_in_debug_and_display() {
    let set = TokenSet {
        access_token: AccessToken::new(MARK),
        refresh_token: Some(RefreshToken::new(MARK)),
        token_type: "bearer".into(),
        expires_at: Some(1),
        scopes: vec![],
        requested_scopes: Vec::new(),
        method: Method::OauthPkce,
        account: None,
        obtained_at: 0,
        refreshed_at: None,
        needs_reconnect: None,
    };
    assert_redacted("TokenSet", format!("{set:?}"));

    let creds = Credentials {
        client_id: Some(("id".into(), Source::Keyring)),
        client_secret: Some((ClientSecret::new(MARK), Source::Keyring)),
        account_id: None,
        api_key: Some((ApiKey::new(MARK), "GITHUB_TOKEN".into())),
    };
    assert_redacted("Credentials", format!("{creds:?}"));

    let saved = SavedClient {
        client_id: None,
        client_secret: Some(ClientSecret::new(MARK)),
        account_id: None,
    };
    assert_redacted("SavedClient", format!("{saved:?}"));

    let served = Served {
        access_token: AccessToken::new(MARK),
        method: Method::SavedToken,
        expires_at: Some(1),
        scopes: vec!["repo".into()],
        account: Some("octocat".into()),
    };
    assert_redacted("Served", format!("{served:?}"));

    let device = authdeck_core::secret::DeviceCode::new(MARK);
    assert_redacted("DeviceCode", format!("{device:?} {device}"));

    let env = authdeck_core::credentials::Env::from_pairs([("GITHUB_TOKEN", MARK)]);
    assert_redacted("Env", format!("{env:?}"));

    let body =
        format!(r#"{{"access_token":"{MARK}","refresh_token":"{MARK}","id_token":"{MARK}"}}"#);
    let response = token_response::parse(200, Some("application/json"), body.as_bytes()).unwrap();
    assert_redacted("TokenResponse", format!("{response:?} {response}"));

    let callback = Callback {
        code: AuthorizationCode::new(MARK),
        iss: None,
    };
    assert_redacted("Callback", format!("{callback:?}"));
    let expected = Expected {
        state: MARK.into(),
        issuer: None,
    };
    assert_redacted("Expected", format!("{expected:?}"));
    assert_redacted(
        "PkceVerifier",
        format!("{:?}", PkceVerifier::from_string(MARK.into())),
    );

    let github = builtin_providers()
        .into_iter()
        .find(|p| p.id == "github")
        .unwrap();
    let request = token_request(
        &github,
        &authdeck_core::credentials::Env::default(),
        &creds,
        Grant::Refresh(RefreshToken::new(MARK)),
    )
    .unwrap();
    assert_redacted("PreparedRequest", format!("{request:?}"));
}
