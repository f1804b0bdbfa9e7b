//! The connection engine through the real `authdeck` process, against fake
//! providers on 127.0.0.1 that reproduce each service family's quirks, with
//! the scripted browser playing the person and the real Secret Service.

use std::time::Duration;

use authdeck_test_support::cli::{authdeck, authdeck_path, Output};
use authdeck_test_support::fake_provider::{Canned, Consent, FakeProvider, Family};
use authdeck_test_support::scenario::Scenario;
use authdeck_test_support::{browser_command, require_test_session, secret_tool, TestEnv};

#[test]
fn connect_approve_works_for_every_family_with_its_quirks() {
    for family in [
        Family::GitHub,
        Family::Google,
        Family::Microsoft,
        Family::Dropbox,
        Family::Notion,
        Family::Zoom,
    ] {
        let s = Scenario::new(family, &format!("approve-{}", family.id()));
        let out = s.connect();
        assert!(out.success(), "{family:?}: {}", out.describe());
        let account = s.fake.account().shown_as(family).to_owned();
        assert!(
            out.stdout.contains(&format!("as {account}")),
            "{family:?}: {}",
            out.describe()
        );
        // The link is always printed too, for when no browser opens.
        assert!(
            out.stderr.contains(&s.fake.authorize_url()),
            "{family:?}: {}",
            out.describe()
        );

        let record = s
            .record()
            .unwrap_or_else(|| panic!("{family:?}: no record stored"));
        assert_eq!(record["method"], "oauth_pkce");
        assert_eq!(record["account"], account.as_str());
        let access = record["access_token"].as_str().unwrap().to_owned();
        assert!(
            s.fake.valid_access_tokens().contains(&access),
            "{family:?}: stored token unknown to the service"
        );

        let authorize = s.fake.last_authorize_query().expect("authorize request");
        assert_eq!(authorize["response_type"], "code");
        let redirect = &authorize["redirect_uri"];
        assert!(
            redirect.starts_with("http://127.0.0.1:") || redirect.starts_with("http://localhost:"),
            "{redirect}"
        );
        match family {
            Family::Notion => assert!(
                !authorize.contains_key("code_challenge"),
                "Notion does not support PKCE"
            ),
            _ => assert_eq!(authorize["code_challenge_method"], "S256"),
        }
        let token_request = s
            .fake
            .token_requests()
            .into_iter()
            .next()
            .expect("token request");
        let params = token_request.body_params();
        assert_eq!(
            &params["redirect_uri"], redirect,
            "redirect_uri must match byte for byte"
        );
        match family {
            Family::Google => {
                assert_eq!(authorize["access_type"], "offline");
                assert_eq!(authorize["prompt"], "consent");
                assert!(
                    record["refresh_token"].is_string(),
                    "Google gave a refresh token"
                );
            }
            Family::Dropbox => {
                assert_eq!(authorize["token_access_type"], "offline");
                assert!(
                    redirect.starts_with("http://127.0.0.1:5368"),
                    "fixed port: {redirect}"
                );
            }
            Family::Notion => {
                assert!(token_request.is_json_body(), "Notion wants JSON");
                assert!(
                    token_request.basic_auth().is_some(),
                    "Notion wants HTTP Basic"
                );
            }
            Family::GitHub => {
                assert_eq!(
                    record["scopes"],
                    serde_json::json!(["repo", "read:org"]),
                    "comma scopes become a list"
                );
                assert!(
                    record["expires_at"].is_null(),
                    "GitHub OAuth App tokens do not expire"
                );
            }
            Family::Microsoft => {
                assert!(
                    record["expires_at"].is_u64(),
                    "string expires_in understood"
                );
                assert!(
                    !params.contains_key("client_secret"),
                    "public client sends no secret"
                );
            }
            Family::Zoom => assert!(
                token_request.basic_auth().is_some(),
                "Zoom wants HTTP Basic"
            ),
        }

        // Scripts get the token, and nothing else, on stdout.
        let token = s.run(&["token", s.id]);
        token.assert_success();
        assert_eq!(token.stdout, format!("{access}\n"));
        assert_eq!(s.status()["state"], "connected");
    }
}

#[test]
fn connect_deny_ends_with_a_plain_message_and_stores_nothing() {
    let s = Scenario::new(Family::GitHub, "deny");
    s.fake.set_consent(Consent::Deny);
    let out = s.connect();
    out.assert_code(1);
    assert!(
        out.stderr.contains("You chose not to allow access"),
        "{}",
        out.describe()
    );
    assert!(s.record().is_none());
    assert_eq!(s.fake.token_requests().len(), 0);
    assert!(s
        .test
        .wait_for_browser_page(Duration::from_secs(5))
        .contains("not to allow"));
}

#[test]
fn connect_ignores_a_forged_callback_and_makes_no_token_request() {
    let s = Scenario::new(Family::Google, "wrong-state");
    // The only callback that arrives carries a code but another attempt's state.
    s.fake.set_consent(Consent::WrongState);
    let out = s.run(&["connect", "google", "--timeout", "3"]);
    out.assert_code(1);
    assert!(out.stderr.contains("timed out"), "{}", out.describe());
    assert_eq!(s.fake.token_requests().len(), 0, "no code may be exchanged");
    assert!(s.record().is_none());
    // The browser was told, in a short page, that this was not the sign-in.
    let page = s.test.wait_for_browser_page(Duration::from_secs(5));
    assert!(
        page.contains("Not the sign-in Authdeck is waiting for"),
        "{page}"
    );
}

#[test]
fn connect_timeout_closes_the_listener_and_stores_nothing() {
    let s = Scenario::new(Family::GitHub, "timeout");
    s.fake.set_consent(Consent::Ignore);
    let out = s.run(&["connect", "github", "--timeout", "2"]);
    out.assert_code(1);
    assert!(out.stderr.contains("timed out"), "{}", out.describe());
    assert!(s.record().is_none());
    // The redirect URI's port no longer accepts connections.
    let redirect = s.fake.last_authorize_query().unwrap()["redirect_uri"].clone();
    let port: u16 = url_port(&redirect);
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "listener still open on {port}"
    );
}

#[test]
fn connect_with_no_browser_prints_the_link_and_still_completes() {
    let s = Scenario::new(Family::GitHub, "no-browser");
    // The person opens the link by hand: here, the scripted browser run by the test.
    let mut child = std::process::Command::new(authdeck_path())
        .args(["connect", "github", "--no-browser", "--timeout", "20"])
        .envs(s.test.app_env())
        .envs(s.fake.credentials_env())
        .env_remove("BROWSER")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Keep draining stderr after the link: the CLI goes on printing there.
    let stderr = child.stderr.take().unwrap();
    let (link_tx, link_rx) = std::sync::mpsc::channel();
    let drain = std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stderr)).map_while(Result::ok) {
            if line.trim_start().starts_with("http://127.0.0.1") {
                let _ = link_tx.send(line.trim().to_owned());
            }
        }
    });
    let link = link_rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the link is printed");
    assert!(link.contains("/authorize?"), "printed link: {link}");
    let browser = std::process::Command::new(browser_command())
        .arg(&link)
        .env("AUTHDECK_TEST_BROWSER_LOG", s.test.browser_log_path())
        .status()
        .unwrap();
    assert!(browser.success());
    let status = child.wait().unwrap();
    let _ = drain.join();
    assert!(status.success());
    assert!(s.record().is_some());
}

#[test]
fn connect_survives_a_closed_stderr() {
    // `authdeck connect github 2>&-`: progress lines are lost, the sign-in is not.
    let s = Scenario::new(Family::GitHub, "closed-stderr");
    let status = std::process::Command::new(authdeck_path())
        .args(["connect", "github", "--timeout", "20"])
        .envs(s.test.app_env())
        .envs(s.fake.credentials_env())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map(|mut child| {
            drop(child.stderr.take()); // the reading end goes away at once
            child.wait().unwrap()
        })
        .unwrap();
    assert!(status.success(), "{status:?}");
    assert!(s.record().is_some());
}

#[test]
fn expired_token_is_refreshed_and_the_rotated_refresh_token_saved() {
    let s = Scenario::new(Family::Zoom, "rotate");
    let (minted, _) = s.plant(-10, &["recording:read"]);
    let out = s.run(&["token", "zoom"]);
    out.assert_success();
    let new_access = out.stdout.trim().to_owned();
    assert_ne!(new_access, minted.access_token);
    assert!(s.fake.valid_access_tokens().contains(&new_access));
    assert_eq!(s.fake.refresh_count(), 1);
    let record = s.record().unwrap();
    let saved_refresh = record["refresh_token"].as_str().unwrap();
    assert_ne!(
        Some(saved_refresh),
        minted.refresh_token.as_deref(),
        "the rotated token must be saved"
    );
    assert_eq!(
        Some(saved_refresh.to_owned()),
        s.fake.current_refresh_token()
    );
    assert_eq!(record["method"], "refreshed");
    assert_eq!(
        record["account"], "ada@example.com",
        "identity kept across refresh"
    );
    // The next call uses the saved token without another refresh.
    let again = s.run(&["token", "zoom"]);
    assert_eq!(again.stdout.trim(), new_access);
    assert_eq!(s.fake.refresh_count(), 1);
}

#[test]
fn refused_refresh_token_marks_needs_reconnect_and_keeps_the_record() {
    let s = Scenario::new(Family::Microsoft, "invalid-grant");
    s.plant(-10, &["User.Read"]);
    // The service forgets the grant (revoked elsewhere).
    s.fake.set_token_failure(Some(Canned::new(
        400,
        r#"{"error":"invalid_grant","error_description":"AADSTS70008: expired"}"#,
    )));
    let out = s.run(&["token", "microsoft"]);
    // 4: the person must sign in again (not a broken network).
    out.assert_code(4);
    assert!(out.stderr.contains("sign in again"), "{}", out.describe());
    assert!(out.stdout.is_empty());
    let record = s.record().expect("record kept, not silently deleted");
    assert!(record["needs_reconnect"].is_string());
    assert_eq!(s.status()["state"], "needs_reconnect");
    // No second refresh attempt with a dead token.
    let again = s.run(&["token", "microsoft"]);
    again.assert_code(4);
    assert_eq!(s.fake.token_requests().len(), 1);
}

#[test]
fn two_concurrent_token_processes_on_an_expired_token_refresh_once() {
    let s = Scenario::new(Family::Zoom, "concurrent");
    s.plant(-10, &["recording:read"]);
    // A slow token endpoint widens the window in which the two could race.
    s.fake.set_token_delay(Duration::from_millis(700));
    let spawn = || {
        std::process::Command::new(authdeck_path())
            .args(["token", "zoom"])
            .envs(s.test.app_env())
            .envs(s.fake.credentials_env())
            .output()
            .unwrap()
    };
    let (a, b) = std::thread::scope(|scope| {
        let a = scope.spawn(spawn);
        let b = scope.spawn(spawn);
        (a.join().unwrap(), b.join().unwrap())
    });
    assert!(a.status.success() && b.status.success(), "{a:?} {b:?}");
    assert_eq!(a.stdout, b.stdout, "both got the one refreshed token");
    assert_eq!(
        s.fake.refresh_count(),
        1,
        "exactly one refresh reached the service"
    );
}

#[test]
fn zoom_server_to_server_gets_a_token_without_a_person() {
    let mut s = Scenario::new(Family::Zoom, "s2s");
    s.extra_env
        .push(("ZOOM_ACCOUNT_ID".into(), s.fake.zoom_account_id()));
    let out = s.run(&["token", "zoom"]);
    out.assert_success();
    assert!(s
        .fake
        .valid_access_tokens()
        .contains(&out.stdout.trim().to_owned()));
    assert_eq!(s.fake.authorize_count(), 0, "no browser, no person");
    let request = s.fake.token_requests().into_iter().next().unwrap();
    assert_eq!(
        request.query_param("grant_type").as_deref(),
        Some("account_credentials")
    );
    let record = s.record().unwrap();
    assert_eq!(record["method"], "client_credentials");
    assert!(record["refresh_token"].is_null());
    // When it expires, a new one is fetched the same way (no refresh token exists).
    s.fake.expire_all_access_tokens();
    let mut expired = record.clone();
    expired["expires_at"] = serde_json::json!(1);
    secret_tool::store_token(&s.test.keyring_service, "zoom", &expired);
    let again = s.run(&["token", "zoom"]);
    again.assert_success();
    assert_ne!(again.stdout, out.stdout);
    assert_eq!(s.fake.token_requests().len(), 2);
}

#[test]
fn api_key_from_the_environment_is_the_last_resort() {
    let mut s = Scenario::new(Family::GitHub, "api-key");
    s.extra_env
        .push(("GITHUB_TOKEN".into(), "ghp_personal_token".into()));
    let out = s.run(&["token", "github"]);
    out.assert_success();
    assert_eq!(out.stdout, "ghp_personal_token\n");
    let status = s.status();
    assert_eq!(status["state"], "connected");
    assert_eq!(status["method"], "api_key");
    // A saved sign-in wins over the key.
    s.plant(3_600, &["repo"]);
    let out = s.run(&["token", "github"]);
    assert_ne!(out.stdout, "ghp_personal_token\n");
}

#[test]
fn nothing_configured_lists_what_to_set_for_each_method() {
    require_test_session();
    let test = TestEnv::new("nothing");
    let out = authdeck(&["token", "notion"]).envs(test.app_env()).run();
    out.assert_code(4);
    for needle in [
        "NOTION_CLIENT_ID",
        "NOTION_CLIENT_SECRET",
        "NOTION_API_KEY",
        "authdeck config set notion client_id",
    ] {
        assert!(
            out.stderr.contains(needle),
            "missing {needle}: {}",
            out.describe()
        );
    }
}

#[test]
fn logout_revokes_at_the_service_then_deletes_locally() {
    let s = Scenario::new(Family::Google, "logout");
    let (minted, _) = s.plant(3_600, &["openid"]);
    let out = s.run(&["logout", "google"]);
    out.assert_success();
    assert!(
        out.stdout.contains("cancelled Authdeck's access"),
        "{}",
        out.describe()
    );
    let revoke = s.fake.revoke_requests();
    assert_eq!(revoke.len(), 1);
    assert_eq!(
        revoke[0].form_param("token"),
        minted.refresh_token,
        "the grant itself is revoked"
    );
    assert!(s.record().is_none());
    assert!(
        s.fake.valid_access_tokens().is_empty()
            || !s.fake.valid_access_tokens().contains(&minted.access_token)
    );
}

#[test]
fn logout_with_revocation_failing_still_deletes_locally_and_says_so() {
    let s = Scenario::new(Family::GitHub, "logout-fail");
    s.plant(3_600, &["repo"]);
    s.fake.fail_revoke(true);
    let out = s.run(&["logout", "github"]);
    out.assert_success();
    assert!(
        out.stdout.contains("could not be told"),
        "{}",
        out.describe()
    );
    assert_eq!(s.fake.revoke_requests().len(), 1);
    assert!(
        s.record().is_none(),
        "local delete happens even when revocation fails"
    );
}

#[test]
fn microsoft_logout_says_plainly_there_is_no_revocation() {
    let s = Scenario::new(Family::Microsoft, "logout-ms");
    s.plant(3_600, &["User.Read"]);
    let out = s.run(&["logout", "microsoft"]);
    out.assert_success();
    assert!(
        out.stdout
            .contains("offers no way for apps to cancel access"),
        "{}",
        out.describe()
    );
    assert!(s.record().is_none());
}

#[test]
fn a_service_added_in_providers_toml_connects_like_a_builtin() {
    require_test_session();
    let fake = FakeProvider::start(Family::GitHub);
    let test = TestEnv::new("custom");
    test.write_providers_toml(&format!(
        "[acme]\nname = \"Acme Files\"\nauthorize_url = \"{}\"\ntoken_url = \"{}\"\nuserinfo_url = \"{}\"\nscopes = [\"repo\"]\nclient_id = \"{}\"\nclient_secret_env = \"ACME_SECRET\"\naccount_fields = [\"login\"]\n",
        fake.authorize_url(),
        fake.token_url(),
        fake.userinfo_url().unwrap(),
        fake.client_id()
    ));
    let secret = fake.client_secret().unwrap();
    let services = authdeck(&["services"]).envs(test.app_env()).run();
    assert!(
        services.stdout.contains("acme") && services.stdout.contains("Acme Files"),
        "{}",
        services.describe()
    );
    let out = authdeck(&["connect", "acme", "--timeout", "20"])
        .envs(test.app_env())
        .env("ACME_SECRET", &secret)
        .run();
    assert!(out.success(), "{}", out.describe());
    assert!(
        out.stdout.contains("Connected Acme Files as octocat"),
        "{}",
        out.describe()
    );
}

#[test]
fn an_openid_provider_needs_only_its_issuer() {
    require_test_session();
    let fake = FakeProvider::start(Family::Google);
    let test = TestEnv::new("issuer-only");
    test.write_providers_toml(&format!(
        "[corp]\nname = \"Corp SSO\"\nissuer = \"{}\"\nclient_id = \"{}\"\nclient_secret_env = \"CORP_SECRET\"\n",
        fake.base_url(),
        fake.client_id()
    ));
    let out = authdeck(&["connect", "corp", "--timeout", "20"])
        .envs(test.app_env())
        .env("CORP_SECRET", &fake.client_secret().unwrap())
        .run();
    assert!(out.success(), "{}", out.describe());
    assert!(
        out.stdout.contains("Connected Corp SSO as ada@example.com"),
        "{}",
        out.describe()
    );
    assert_eq!(fake.count("/.well-known/openid-configuration"), 1);
}

#[test]
fn a_failing_who_am_i_does_not_fail_the_connect() {
    require_test_session();
    let fake = FakeProvider::start(Family::GitHub);
    let test = TestEnv::new("whoami-fails");
    // Nothing listens on port 9 of this machine: the identity request fails.
    let toml = fake
        .providers_toml("github")
        .replace(&fake.userinfo_url().unwrap(), "http://127.0.0.1:9/user");
    test.write_providers_toml(&toml);
    let out = authdeck(&["connect", "github", "--timeout", "20"])
        .envs(test.app_env())
        .envs(fake.credentials_env())
        .run();
    assert!(out.success(), "{}", out.describe());
    assert!(
        out.stdout.contains("Connected GitHub."),
        "{}",
        out.describe()
    );
    let record = secret_tool::token_record(&test.keyring_service, "github").unwrap();
    assert!(record["account"].is_null());
}

#[test]
fn a_bad_providers_toml_names_file_service_and_key_and_the_rest_still_work() {
    require_test_session();
    let test = TestEnv::new("bad-toml");
    test.write_providers_toml("[github]\ntoken_url = \"http://example.com/token\"\n\n[google]\nclient_secret = \"oops\"\n");
    let out = authdeck(&["status", "--json"]).envs(test.app_env()).run();
    out.assert_success();
    assert!(
        out.stderr.contains("providers.toml")
            && out.stderr.contains("github")
            && out.stderr.contains("token_url"),
        "{}",
        out.describe()
    );
    assert!(
        out.stderr.contains("Secrets never go in providers.toml"),
        "{}",
        out.describe()
    );
    assert_eq!(
        out.json().as_array().unwrap().len(),
        6,
        "every service still listed"
    );
}

#[test]
fn config_set_reads_a_secret_from_stdin_and_show_masks_it() {
    require_test_session();
    let test = TestEnv::new("config");
    authdeck(&["config", "set", "google", "client_id", "cid.apps"])
        .envs(test.app_env())
        .run()
        .assert_success();
    authdeck(&["config", "set", "google", "client_secret"])
        .envs(test.app_env())
        .stdin("s3cret-value\n")
        .run()
        .assert_success();
    let record = secret_tool::client_record(&test.keyring_service, "google").unwrap();
    assert_eq!(record["client_secret"], "s3cret-value");
    let show = authdeck(&["config", "show", "google"])
        .envs(test.app_env())
        .run();
    show.assert_success();
    assert!(show.stdout.contains("cid.apps"));
    assert!(!show.stdout.contains("s3cret-value"), "{}", show.describe());
    assert!(show.stdout.contains("hidden"));
    // Empty stdin is refused with a hint, not saved as an empty secret.
    let empty = authdeck(&["config", "set", "google", "client_secret"])
        .envs(test.app_env())
        .run();
    empty.assert_code(1);
}

#[test]
fn usage_errors_exit_2_and_unknown_services_exit_1() {
    require_test_session();
    let test = TestEnv::new("usage");
    authdeck(&["frobnicate"])
        .envs(test.app_env())
        .run()
        .assert_code(2);
    authdeck(&["config", "set", "github", "password", "x"])
        .envs(test.app_env())
        .run()
        .assert_code(2);
    let unknown = authdeck(&["token", "myspace"]).envs(test.app_env()).run();
    unknown.assert_code(1);
    assert!(unknown
        .stderr
        .contains("google, dropbox, zoom, notion, github, microsoft"));
    authdeck(&["--help"])
        .envs(test.app_env())
        .run()
        .assert_code(0);
}

fn url_port(url: &str) -> u16 {
    let after = url.split("://").nth(1).unwrap();
    let host_port = after.split('/').next().unwrap();
    host_port.rsplit(':').next().unwrap().parse().unwrap()
}

// ----- client IDs set once by whoever ships Authdeck --------------------------

const ORG_GITHUB: &str = "[github]\nclient_id = \"Ov23liOrganization01\"\n[google]\nclient_id = \"4242-org.apps.googleusercontent.com\"\nclient_secret = \"GOCSPX-org-desktop-secret\"\n";

fn service_status(out: &Output, id: &str) -> serde_json::Value {
    out.json()
        .as_array()
        .and_then(|all| all.iter().find(|s| s["service"] == id).cloned())
        .unwrap_or_else(|| panic!("{id} in {}", out.describe()))
}

#[test]
fn a_system_file_makes_a_service_ready_and_the_keyring_still_wins() {
    require_test_session();
    let test = TestEnv::new("system-preset");
    test.write_system_providers_toml(ORG_GITHUB);
    let status = authdeck(&["status", "--json"]).envs(test.app_env()).run();
    status.assert_success();
    // Google needs its secret too, which the system file may carry for Google only.
    assert_eq!(service_status(&status, "google")["state"], "not_connected");
    assert_eq!(service_status(&status, "github")["state"], "not_configured");
    assert!(
        !status.stdout.contains("GOCSPX-org"),
        "{}",
        status.describe()
    );
    let show = authdeck(&["config", "show", "google"])
        .envs(test.app_env())
        .run();
    show.assert_success();
    assert!(
        show.stdout
            .contains("4242-org.apps.googleusercontent.com (system file ("),
        "{}",
        show.describe()
    );
    assert!(!show.stdout.contains("GOCSPX-org"), "{}", show.describe());
    // What the person saves wins over the organization's.
    authdeck(&["config", "set", "google", "client_id"])
        .envs(test.app_env())
        .stdin("5555-mine.apps.googleusercontent.com\n")
        .run()
        .assert_success();
    let show = authdeck(&["config", "show", "google"])
        .envs(test.app_env())
        .run();
    assert!(
        show.stdout
            .contains("5555-mine.apps.googleusercontent.com (keyring)"),
        "{}",
        show.describe()
    );
    // The environment sits between the keyring and the files.
    let env_show = authdeck(&["config", "show", "github"])
        .envs(test.app_env())
        .env("GITHUB_CLIENT_ID", "Ov23liFromTheEnv0001")
        .run();
    assert!(
        env_show
            .stdout
            .contains("Ov23liFromTheEnv0001 (environment (GITHUB_CLIENT_ID))"),
        "{}",
        env_show.describe()
    );
}

#[cfg(unix)]
#[test]
fn a_system_file_others_can_write_is_refused_and_named() {
    use std::os::unix::fs::PermissionsExt;
    require_test_session();
    let test = TestEnv::new("system-unsafe");
    let file = test.write_system_providers_toml(ORG_GITHUB);
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    let status = authdeck(&["status", "--json"]).envs(test.app_env()).run();
    status.assert_success();
    assert_eq!(service_status(&status, "google")["state"], "not_configured");
    assert!(
        status.stderr.contains(&file.display().to_string())
            && status.stderr.contains("can be changed by other users"),
        "{}",
        status.describe()
    );
}

#[test]
fn config_set_warns_when_a_value_looks_like_it_is_in_the_wrong_field() {
    require_test_session();
    let test = TestEnv::new("config-check");
    let out = authdeck(&["config", "set", "google", "client_id"])
        .envs(test.app_env())
        .stdin("GOCSPX-this-is-the-secret\n")
        .run();
    out.assert_success();
    assert!(
        out.stderr
            .contains("This looks like Google's client secret, not the client ID"),
        "{}",
        out.describe()
    );
}
