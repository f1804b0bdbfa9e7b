//! The token store against the real Secret Service (gnome-keyring in the
//! private D-Bus session `scripts/test.sh` starts), read back by a new process.

use authdeck_core::secret::{AccessToken, RefreshToken};
use authdeck_core::store::{SavedClient, Store};
use authdeck_core::token::{unix_now, Method, TokenSet};

use authdeck_test_support::cli::authdeck;
use authdeck_test_support::{require_test_session, secret_tool, TestEnv};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn sample(now: u64) -> TokenSet {
    TokenSet {
        access_token: AccessToken::new("gho_storetest_access"),
        refresh_token: Some(RefreshToken::new("ghr_storetest_refresh")),
        token_type: "bearer".into(),
        expires_at: Some(now + 3_600),
        scopes: vec!["repo".into(), "read:org".into()],
        requested_scopes: Vec::new(),
        method: Method::OauthPkce,
        account: Some("octocat".into()),
        obtained_at: now,
        refreshed_at: None,
        needs_reconnect: None,
    }
}

#[test]
fn saved_token_set_is_in_secret_service_reads_back_in_a_new_process_and_is_gone_after_delete() {
    require_test_session();
    let test = TestEnv::new("store-roundtrip");
    let store = Store::new(&test.keyring_service);
    let rt = runtime();
    let now = unix_now();
    let set = sample(now);

    rt.block_on(store.save_token("github", &set)).unwrap();

    // What the Secret Service really holds, seen by another program.
    let item = secret_tool::item(&test.keyring_service, "token:github")
        .expect("secret-tool sees the item");
    assert_eq!(
        item.attribute("service"),
        Some(test.keyring_service.as_str())
    );
    assert_eq!(item.attribute("username"), Some("token:github"));
    let record = item.secret_json();
    assert_eq!(record["version"], 1);
    assert_eq!(record["access_token"], "gho_storetest_access");
    assert_eq!(record["refresh_token"], "ghr_storetest_refresh");
    assert_eq!(record["expires_at"], now + 3_600);
    assert_eq!(record["scopes"], serde_json::json!(["repo", "read:org"]));
    assert_eq!(record["method"], "oauth_pkce");
    assert_eq!(record["account"], "octocat");

    // Identical when read back in this process…
    assert_eq!(
        rt.block_on(store.load_token("github")).unwrap(),
        Some(set.clone())
    );

    // …and from a new process: the token itself, and every non-secret field.
    let out = authdeck(&["token", "github"]).envs(test.app_env()).run();
    out.assert_success();
    assert_eq!(out.stdout, "gho_storetest_access\n", "{}", out.describe());
    let status = authdeck(&["status", "--json"]).envs(test.app_env()).run();
    status.assert_success();
    let github = status
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "github")
        .cloned()
        .unwrap();
    assert_eq!(github["state"], "connected");
    assert_eq!(github["account"], "octocat");
    assert_eq!(github["scopes"], serde_json::json!(["repo", "read:org"]));
    assert_eq!(github["expires_at"], now + 3_600);
    assert_eq!(github["has_refresh_token"], true);
    assert_eq!(github["method"], "oauth_pkce");

    rt.block_on(store.delete_token("github")).unwrap();
    assert!(secret_tool::item(&test.keyring_service, "token:github").is_none());
    assert_eq!(rt.block_on(store.load_token("github")).unwrap(), None);
    // Deleting twice is fine.
    rt.block_on(store.delete_token("github")).unwrap();
}

#[test]
fn missing_record_is_none_and_client_credentials_round_trip() {
    require_test_session();
    let test = TestEnv::new("store-client");
    let store = Store::new(&test.keyring_service);
    let rt = runtime();
    assert_eq!(rt.block_on(store.load_token("google")).unwrap(), None);
    assert_eq!(
        rt.block_on(store.load_client("google")).unwrap(),
        SavedClient::default()
    );

    let client = SavedClient {
        client_id: Some("cid.apps".into()),
        client_secret: Some(authdeck_core::secret::ClientSecret::new("csecret")),
        account_id: None,
    };
    rt.block_on(store.save_client("google", &client)).unwrap();
    assert_eq!(rt.block_on(store.load_client("google")).unwrap(), client);
    let record = secret_tool::client_record(&test.keyring_service, "google").unwrap();
    assert_eq!(record["client_id"], "cid.apps");
}

#[test]
fn damaged_record_is_reported_and_left_untouched() {
    require_test_session();
    let test = TestEnv::new("store-damaged");
    secret_tool::store(&test.keyring_service, "token:github", "{not json");
    let store = Store::new(&test.keyring_service);
    let err = runtime().block_on(store.load_token("github")).unwrap_err();
    assert_eq!(err.code(), "keyring_item_damaged");
    assert!(err.to_string().contains("token:github"), "{err}");
    // The CLI says so plainly, and the item is still there for the person to inspect.
    let out = authdeck(&["token", "github"]).envs(test.app_env()).run();
    out.assert_code(1);
    assert!(out.stderr.contains("damaged"), "{}", out.describe());
    assert!(secret_tool::item(&test.keyring_service, "token:github").is_some());
}

#[test]
fn token_set_planted_by_another_program_is_read() {
    require_test_session();
    let test = TestEnv::new("store-planted");
    let record = secret_tool::token_record_json(
        "planted-at",
        None,
        None,
        &["repo"],
        "oauth_pkce",
        Some("ada"),
    );
    secret_tool::store_token(&test.keyring_service, "github", &record);
    let set = runtime()
        .block_on(Store::new(&test.keyring_service).load_token("github"))
        .unwrap()
        .unwrap();
    assert_eq!(set.access_token.secret(), "planted-at");
    assert_eq!(
        set.expires_at, None,
        "no expiry is kept as 'does not expire'"
    );
    assert_eq!(set.account.as_deref(), Some("ada"));
}
