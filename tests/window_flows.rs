//! What a person does in the dashboard window, end to end: the real app under
//! Xvfb driven through tauri-driver, the real Secret Service, fake providers on
//! 127.0.0.1 and the scripted browser playing the person. Each test names the
//! behaviour it guards; the screenshots in tests/screenshots/ come from here.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use authdeck_test_support::fake_provider::{Canned, Consent, FakeProvider, Family, Minted};
use authdeck_test_support::webdriver::Driver;
use authdeck_test_support::{require_test_session, secret_tool, TestEnv};

/// Long enough for a loaded 2-core machine, short enough to fail fast.
const SETTLE: Duration = Duration::from_secs(20);

/// One window with its own keyring service, config dir and fakes.
struct Deck {
    env: TestEnv,
    fakes: Vec<FakeProvider>,
    extra_env: Vec<(String, String)>,
}

impl Deck {
    /// A deck whose `families` are pointed at fakes (providers.toml) and
    /// configured with the fakes' client credentials (environment).
    fn new(name: &str, families: &[Family]) -> Deck {
        require_test_session();
        let env = TestEnv::new(name);
        let fakes: Vec<FakeProvider> = families.iter().map(|f| FakeProvider::start(*f)).collect();
        let toml: String = fakes
            .iter()
            .map(|fake| fake.providers_toml(fake.family().id()))
            .collect::<Vec<_>>()
            .join("\n");
        if !toml.is_empty() {
            env.write_providers_toml(&toml);
        }
        Deck {
            env,
            fakes,
            extra_env: Vec::new(),
        }
    }

    fn fake(&self, family: Family) -> &FakeProvider {
        self.fakes
            .iter()
            .find(|f| f.family() == family)
            .unwrap_or_else(|| panic!("no fake for {family:?} in this deck"))
    }

    fn with_env(mut self, name: &str, value: &str) -> Deck {
        self.extra_env.push((name.to_string(), value.to_string()));
        self
    }

    fn app_env(&self) -> Vec<(String, String)> {
        let mut vars = self.env.app_env();
        for fake in &self.fakes {
            vars.extend(fake.credentials_env());
        }
        vars.extend(self.extra_env.iter().cloned());
        vars
    }

    /// Opens the window and waits until every card is drawn.
    async fn open(&self) -> Driver {
        let driver = Driver::start(&self.app_env()).await;
        wait_for_cards(&driver).await;
        driver
    }

    fn keyring(&self) -> &str {
        &self.env.keyring_service
    }

    fn token_record(&self, id: &str) -> Option<Value> {
        secret_tool::token_record(self.keyring(), id)
    }

    /// Plants a token pair the fake knows for its service, as a connect would
    /// have saved it. `expires_in` None = does not expire.
    fn plant_minted(
        &self,
        family: Family,
        expires_in: Option<i64>,
        scopes: &[&str],
        account: &str,
    ) -> Minted {
        let minted = self.fake(family).mint_tokens(scopes);
        let record = secret_tool::token_record_json(
            &minted.access_token,
            minted.refresh_token.as_deref(),
            expires_in,
            scopes,
            "oauth_pkce",
            Some(account),
        );
        secret_tool::store_token(self.keyring(), family.id(), &record);
        minted
    }
}

// ----- page helpers -----------------------------------------------------------

fn card_css(id: &str) -> String {
    format!("[data-service=\"{id}\"]")
}

fn button_css(id: &str, action: &str) -> String {
    format!("[data-service=\"{id}\"] [data-action=\"{action}\"]")
}

async fn wait_for_cards(driver: &Driver) {
    driver
        .wait_until(
            "document.querySelectorAll('[data-service]').length === 6 && \
             [...document.querySelectorAll('[data-service]')].every(c => c.dataset.state)",
            Duration::from_secs(30),
        )
        .await;
}

async fn state_of(driver: &Driver, id: &str) -> String {
    let card = driver.find(&card_css(id)).await;
    driver.attr(&card, "data-state").await.unwrap_or_default()
}

async fn text_of(driver: &Driver, css: &str) -> String {
    let element = driver.find(css).await;
    driver.text(&element).await
}

/// Waits until the card of `id` is in one of `states` (and, when the page has
/// a busy button on it, until that settles too).
async fn wait_state(driver: &Driver, id: &str, states: &[&str], timeout: Duration) {
    let list = serde_json::to_string(states).unwrap_or_default();
    driver
        .wait_until(
            &format!(
                "(() => {{ const c = document.querySelector('[data-service=\"{id}\"]'); \
                 return c && {list}.includes(c.dataset.state) && !c.querySelector('[aria-busy=\"true\"]'); }})()"
            ),
            timeout,
        )
        .await;
}

/// The `data-action` of the focused element, and its card's `data-service`.
async fn focused(driver: &Driver) -> (String, String, String) {
    let value = driver
        .execute(
            "const a = document.activeElement; const card = a && a.closest('[data-service]'); \
             return [a ? a.tagName.toLowerCase() : '', (a && (a.dataset.action || a.name)) || '', card ? card.dataset.service : ''];",
            vec![],
        )
        .await;
    let part = |i: usize| value[i].as_str().unwrap_or_default().to_string();
    (part(0), part(1), part(2))
}

async fn click(driver: &Driver, css: &str) {
    let element = driver.find(css).await;
    driver.click(&element).await;
}

/// Calls a command the way ipc.js does; Ok(answer) or Err({code, message}).
async fn invoke(driver: &Driver, command: &str, args: Value) -> Result<Value, Value> {
    let answer = driver
        .execute(
            "return window.__TAURI__.core.invoke(arguments[0], arguments[1]) \
               .then(ok => ({ ok }), err => ({ err }));",
            vec![json!(command), args],
        )
        .await;
    match answer.get("err") {
        Some(err) => Err(err.clone()),
        None => Ok(answer.get("ok").cloned().unwrap_or(Value::Null)),
    }
}

/// Saves `tests/screenshots/<name>` once the DOM is in the state the caller
/// waited for and two frames have been painted (a screenshot taken right after
/// a DOM change can show the previous frame; two frames later it did not).
async fn screenshot(driver: &Driver, name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/screenshots")
        .join(name);
    driver.save_screenshot(&path).await;
    let png = std::fs::read(&path).unwrap_or_default();
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a PNG",
        path.display()
    );
    path
}

fn url_port(url: &str) -> u16 {
    url.split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|host_port| host_port.rsplit(':').next())
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("no port in {url}"))
}

/// Polls until nothing accepts connections on 127.0.0.1:`port`.
async fn wait_port_closed(port: u16, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

// ----- connect --------------------------------------------------------------

#[tokio::test]
async fn connect_shows_connecting_then_the_connected_card_with_account_scopes_and_expiry() {
    // The scripted browser waits before "clicking Allow", so the connecting
    // state lasts long enough to be seen and photographed.
    let deck = Deck::new("flow-connect", &[Family::GitHub, Family::Microsoft])
        .with_env("AUTHDECK_TEST_BROWSER_DELAY_MS", "1500");
    let driver = deck.open().await;
    assert_eq!(state_of(&driver, "github").await, "not_connected");

    click(&driver, &button_css("github", "connect")).await;
    wait_state(&driver, "github", &["connecting"], SETTLE).await;
    let waiting = text_of(&driver, &card_css("github")).await;
    assert!(
        waiting.contains("Finish signing in in your browser"),
        "connecting card: {waiting:?}"
    );
    assert!(driver
        .try_find(&button_css("github", "cancel"))
        .await
        .is_some());
    screenshot(&driver, "connecting.png").await;

    wait_state(&driver, "github", &["connected"], SETTLE).await;
    let card = text_of(&driver, &card_css("github")).await;
    assert!(card.contains("octocat"), "connected card: {card:?}");
    assert!(card.contains("Does not expire"), "connected card: {card:?}");
    let chips: Vec<(String, String)> = {
        let mut chips = Vec::new();
        for chip in driver
            .find_all(&format!("{} .chip", card_css("github")))
            .await
        {
            let label = driver.text(&chip).await;
            let title = driver.attr(&chip, "title").await.unwrap_or_default();
            chips.push((label, title));
        }
        chips
    };
    assert_eq!(
        chips,
        vec![
            ("Repositories".to_string(), "repo".to_string()),
            ("Organizations (read)".to_string(), "read:org".to_string()),
        ],
        "scope chips: label shown, raw scope in the title"
    );
    screenshot(&driver, "connected.png").await;

    let record = deck
        .token_record("github")
        .expect("the github sign-in is in the keyring");
    assert_eq!(record["account"], "octocat");
    assert_eq!(record["method"], "oauth_pkce");
    let access = record["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        deck.fake(Family::GitHub)
            .valid_access_tokens()
            .contains(&access),
        "the stored token is one the service issued"
    );
    assert!(!card.contains(&access), "the card never shows the token");

    // A service whose access expires says how long it has left.
    click(&driver, &button_css("microsoft", "connect")).await;
    wait_state(&driver, "microsoft", &["connected"], SETTLE).await;
    let card = text_of(&driver, &card_css("microsoft")).await;
    assert!(
        card.contains("ada@contoso.example"),
        "microsoft card: {card:?}"
    );
    let expiry = text_of(&driver, &format!("{} .expiry", card_css("microsoft"))).await;
    assert!(
        expiry == "Expires in 59 min" || expiry == "Expires in 58 min",
        "a 3599 s token: {expiry:?}"
    );
    let stay = driver
        .find(&format!(
            "{} .chip[title=\"offline_access\"]",
            card_css("microsoft")
        ))
        .await;
    assert_eq!(driver.text(&stay).await, "Stay signed in");
    assert!(deck.token_record("microsoft").is_some());
    driver.quit().await;
}

#[tokio::test]
async fn deny_in_the_browser_ends_with_a_plain_message_and_stores_nothing() {
    let deck = Deck::new("flow-deny", &[Family::GitHub]);
    deck.fake(Family::GitHub).set_consent(Consent::Deny);
    let driver = deck.open().await;

    click(&driver, &button_css("github", "connect")).await;
    wait_state(&driver, "github", &["not_connected", "error"], SETTLE).await;
    // The first answer may still be "connecting" while the outcome is on its way.
    driver
        .wait_until(
            "document.querySelector('[data-service=\"github\"]').innerText.includes('chose not to allow')",
            SETTLE,
        )
        .await;
    assert_eq!(
        state_of(&driver, "github").await,
        "not_connected",
        "a no is not an error"
    );
    assert!(driver
        .try_find(&button_css("github", "connect"))
        .await
        .is_some());
    screenshot(&driver, "denied.png").await;
    assert!(deck.token_record("github").is_none(), "nothing stored");
    assert!(deck.fake(Family::GitHub).token_requests().is_empty());
    driver.quit().await;
}

#[tokio::test]
async fn cancel_stops_a_pending_connect_promptly_and_closes_the_listener() {
    let deck = Deck::new("flow-cancel", &[Family::GitHub]);
    let fake = deck.fake(Family::GitHub);
    fake.set_consent(Consent::Ignore);
    let driver = deck.open().await;

    click(&driver, &button_css("github", "connect")).await;
    wait_state(&driver, "github", &["connecting"], SETTLE).await;
    // The person's browser has the sign-in page open (and walks away).
    let deadline = Instant::now() + SETTLE;
    while fake.authorize_count() == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let redirect = fake
        .last_authorize_query()
        .and_then(|q| q.get("redirect_uri").cloned())
        .expect("the browser reached the authorize page");
    let port = url_port(&redirect);

    let started = Instant::now();
    click(&driver, &button_css("github", "cancel")).await;
    wait_state(
        &driver,
        "github",
        &["not_connected"],
        Duration::from_secs(5),
    )
    .await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "cancel took {took:?}");
    let card = text_of(&driver, &card_css("github")).await;
    assert!(card.contains("cancelled"), "card after cancel: {card:?}");

    assert!(
        wait_port_closed(port, Duration::from_secs(2)).await,
        "the callback listener on {port} is still open after cancel"
    );
    assert!(deck.token_record("github").is_none(), "nothing stored");
    assert!(fake.token_requests().is_empty());
    driver.quit().await;
}

#[tokio::test]
async fn a_connect_nobody_finishes_times_out_with_a_message() {
    let deck =
        Deck::new("flow-timeout", &[Family::GitHub]).with_env("AUTHDECK_CONNECT_TIMEOUT", "3");
    deck.fake(Family::GitHub).set_consent(Consent::Ignore);
    let driver = deck.open().await;

    let started = Instant::now();
    click(&driver, &button_css("github", "connect")).await;
    wait_state(&driver, "github", &["connecting"], SETTLE).await;
    wait_state(&driver, "github", &["not_connected", "error"], SETTLE).await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(2500),
        "ended after {took:?}, before the 3 s limit"
    );
    let card = text_of(&driver, &card_css("github")).await;
    assert!(card.contains("timed out"), "card after the limit: {card:?}");
    assert!(deck.token_record("github").is_none());
    let redirect = deck
        .fake(Family::GitHub)
        .last_authorize_query()
        .and_then(|q| q.get("redirect_uri").cloned())
        .expect("the browser reached the authorize page");
    assert!(wait_port_closed(url_port(&redirect), Duration::from_secs(2)).await);
    driver.quit().await;
}

#[tokio::test]
async fn a_second_connect_while_one_is_pending_starts_nothing_new() {
    let deck = Deck::new("flow-double", &[Family::GitHub])
        .with_env("AUTHDECK_TEST_BROWSER_DELAY_MS", "1500");
    let driver = deck.open().await;

    // Two calls in the same instant, as a double click that got past the page
    // would make, then a third while the first is visibly pending.
    let both = driver
        .execute(
            "const call = () => window.__TAURI__.core.invoke('connect', { service: 'github' }) \
               .then(ok => ({ ok }), err => ({ err })); \
             return Promise.all([call(), call()]);",
            vec![],
        )
        .await;
    wait_state(&driver, "github", &["connecting"], SETTLE).await;
    let third = invoke(&driver, "connect", json!({ "service": "github" })).await;
    assert_eq!(
        third.as_ref().ok().map(|v| v["state"].clone()),
        Some(json!("connecting")),
        "a connect while one is pending answers with the pending one: {third:?}"
    );

    wait_state(
        &driver,
        "github",
        &["connected", "error", "not_connected"],
        SETTLE,
    )
    .await;
    // Let any straggling second attempt show itself.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let fake = deck.fake(Family::GitHub);
    assert_eq!(
        fake.authorize_count(),
        1,
        "authorize requests; answers: {both}"
    );
    assert_eq!(fake.token_requests().len(), 1, "code exchanges");
    let card = text_of(&driver, &card_css("github")).await;
    assert_eq!(
        state_of(&driver, "github").await,
        "connected",
        "the one sign-in that ran succeeded, so the card says connected; card: {card:?}; answers: {both}"
    );
    assert!(deck.token_record("github").is_some());
    driver.quit().await;
}

// ----- logout ---------------------------------------------------------------

#[tokio::test]
async fn logout_asks_in_the_services_words_then_revokes_and_forgets() {
    let deck = Deck::new("flow-logout", &[Family::GitHub]);
    deck.plant_minted(Family::GitHub, None, &["repo", "read:org"], "octocat");
    let driver = deck.open().await;
    assert_eq!(state_of(&driver, "github").await, "connected");

    let views = invoke(&driver, "list_services", json!({}))
        .await
        .expect("list_services");
    let note = views
        .as_array()
        .and_then(|all| all.iter().find(|v| v["id"] == "github"))
        .and_then(|v| v["logout_note"].as_str())
        .expect("github logout_note")
        .to_string();

    click(&driver, &button_css("github", "logout")).await;
    driver
        .wait_for("dialog[data-dialog=\"logout\"][open]", SETTLE)
        .await;
    assert_eq!(text_of(&driver, "#dialog-logout-note").await, note);
    let dialog = text_of(&driver, "dialog[data-dialog=\"logout\"]").await;
    assert!(dialog.contains("Log out of GitHub?"), "dialog: {dialog:?}");
    screenshot(&driver, "logout-confirm.png").await;
    // Nothing happens before the person confirms.
    assert!(deck.token_record("github").is_some());
    assert!(deck.fake(Family::GitHub).revoke_requests().is_empty());

    click(&driver, "[data-action=\"confirm-logout\"]").await;
    wait_state(
        &driver,
        "github",
        &["not_connected", "not_configured"],
        SETTLE,
    )
    .await;
    assert!(
        driver.try_find("dialog[open]").await.is_none(),
        "dialog closed"
    );
    let card = text_of(&driver, &card_css("github")).await;
    assert!(
        card.contains("cancelled Authdeck's access"),
        "the card says what happened: {card:?}"
    );
    assert!(deck.token_record("github").is_none(), "the record is gone");
    assert_eq!(deck.fake(Family::GitHub).revoke_requests().len(), 1);
    driver.quit().await;
}

// ----- what launch shows ----------------------------------------------------

#[tokio::test]
async fn a_saved_sign_in_shows_connected_at_launch_with_a_live_countdown() {
    let deck = Deck::new("flow-launch", &[Family::Google]);
    let minted = deck.fake(Family::Google).mint_tokens(&["openid", "email"]);
    let mut record = secret_tool::token_record_json(
        &minted.access_token,
        minted.refresh_token.as_deref(),
        None,
        &[
            "openid",
            "email",
            "https://www.googleapis.com/auth/drive.readonly",
        ],
        "oauth_pkce",
        Some("ada@example.com"),
    );
    // The minute shown steps down a few seconds after planting, so there is a
    // visible change to watch for once the window is up.
    let plant = |record: &mut Value| {
        let expires_at = now_secs() + 50 * 60 + 5;
        record["expires_at"] = json!(expires_at);
        secret_tool::store_token(deck.keyring(), "google", record);
        expires_at
    };
    let mut expires_at = plant(&mut record);
    let driver = deck.open().await;

    assert_eq!(state_of(&driver, "google").await, "connected");
    let card = text_of(&driver, &card_css("google")).await;
    assert!(card.contains("ada@example.com"), "google card: {card:?}");
    assert!(card.contains("Signed in"), "google card: {card:?}");
    let drive = driver
        .find(&format!(
            "{} .chip[title=\"https://www.googleapis.com/auth/drive.readonly\"]",
            card_css("google")
        ))
        .await;
    assert_eq!(driver.text(&drive).await, "Drive (read only)");

    // The text now, and the seconds until its minute steps down.
    const READ: &str = "const left = arguments[0] - Date.now() / 1000; \
        return [document.querySelector('[data-service=\"google\"] .expiry').innerText, \
                left - Math.floor(left / 60) * 60];";
    let mut reading = driver.execute(READ, vec![json!(expires_at)]).await;
    // A slow launch can miss the step; then plant again and reload the page
    // rather than wait up to a minute for the next one.
    for _ in 0..3 {
        if reading[1].as_f64().unwrap_or(99.0) <= 8.0 {
            break;
        }
        expires_at = plant(&mut record);
        driver
            .execute("location.reload(); return true;", vec![])
            .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        wait_for_cards(&driver).await;
        reading = driver.execute(READ, vec![json!(expires_at)]).await;
    }
    let first = reading[0].as_str().unwrap_or_default().to_string();
    let to_step = reading[1].as_f64().unwrap_or(0.0);
    assert!(first.starts_with("Expires in "), "expiry: {first:?}");
    assert!(to_step <= 8.0, "no minute step within reach: {reading}");
    tokio::time::sleep(Duration::from_secs_f64(to_step + 1.2)).await;
    let second = text_of(&driver, &format!("{} .expiry", card_css("google"))).await;
    assert_ne!(first, second, "the countdown moved on by itself");
    let minutes = |text: &str| -> i64 {
        text.trim_start_matches("Expires in ")
            .trim_end_matches(" min")
            .parse()
            .unwrap_or_else(|_| panic!("not a minutes countdown: {text:?}"))
    };
    assert_eq!(
        minutes(&first) - 1,
        minutes(&second),
        "{first:?} then {second:?}"
    );
    // Showing it did not refresh or use it up.
    assert_eq!(deck.fake(Family::Google).refresh_count(), 0);
    assert_eq!(
        deck.token_record("google")
            .map(|r| r["access_token"].clone()),
        Some(json!(minted.access_token))
    );
    driver.quit().await;
}

#[tokio::test]
async fn refresh_refused_with_invalid_grant_shows_needs_reconnect() {
    let deck = Deck::new("flow-reconnect", &[Family::Microsoft]);
    deck.plant_minted(
        Family::Microsoft,
        Some(3600),
        &["openid", "offline_access", "User.Read"],
        "ada@contoso.example",
    );
    let driver = deck.open().await;
    assert_eq!(state_of(&driver, "microsoft").await, "connected");

    // The grant was revoked elsewhere: the service refuses the refresh token.
    deck.fake(Family::Microsoft).set_token_failure(Some(Canned::new(
        400,
        r#"{"error":"invalid_grant","error_description":"AADSTS70008: The refresh token has expired.","error_codes":[70008]}"#,
    )));
    click(&driver, &button_css("microsoft", "refresh")).await;
    wait_state(&driver, "microsoft", &["needs_reconnect"], SETTLE).await;

    let card = text_of(&driver, &card_css("microsoft")).await;
    let message = text_of(&driver, &format!("{} .note", card_css("microsoft"))).await;
    assert!(
        message.contains("no longer accepts"),
        "a plain reason: {message:?}"
    );
    for jargon in ["invalid_grant", "AADSTS", "70008", "HTTP 400"] {
        assert!(
            !card.contains(jargon),
            "no jargon ({jargon}) on the card: {card:?}"
        );
    }
    let reconnect = driver.find(&button_css("microsoft", "reconnect")).await;
    assert_eq!(driver.text(&reconnect).await, "Reconnect");
    screenshot(&driver, "needs-reconnect.png").await;

    let record = deck
        .token_record("microsoft")
        .expect("the record is kept, marked, not deleted");
    assert!(record["needs_reconnect"].is_string(), "{record}");
    assert_eq!(deck.fake(Family::Microsoft).token_requests().len(), 1);
    driver.quit().await;
}

#[tokio::test]
async fn tokens_are_refreshed_in_the_background_ahead_of_expiry_and_the_card_updates() {
    // Expires in 100 s: well inside the refresher's lead time (at least two
    // minutes before expiry), so it is due as soon as the app starts.
    let deck = Deck::new("flow-background", &[Family::Google]);
    let minted = deck.plant_minted(
        Family::Google,
        Some(100),
        &["openid", "email"],
        "ada@example.com",
    );
    let driver = deck.open().await;
    let fake = deck.fake(Family::Google);
    let deadline = std::time::Instant::now() + SETTLE;
    while fake.refresh_count() == 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(fake.refresh_count(), 1, "refreshed once, without any click");
    // The page was told: the card now counts down from about an hour.
    driver
        .wait_until(
            "(() => { const e = document.querySelector('[data-service=google] .expiry'); \
              return e && Number(e.dataset.expiresAt) - Date.now() / 1000 > 3000; })()",
            SETTLE,
        )
        .await;
    assert_eq!(state_of(&driver, "google").await, "connected");
    let record = deck.token_record("google").unwrap();
    assert_ne!(record["access_token"], minted.access_token.as_str());
    assert_eq!(record["method"], "refreshed");
    driver.quit().await;
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_still_valid_connection_on_the_card() {
    let deck = Deck::new("flow-refresh-500", &[Family::Google]);
    let minted = deck.plant_minted(
        Family::Google,
        Some(3600),
        &["openid", "email"],
        "ada@example.com",
    );
    let driver = deck.open().await;
    assert_eq!(state_of(&driver, "google").await, "connected");

    // The service is down for a moment; the saved access still works for an hour.
    deck.fake(Family::Google)
        .set_token_failure(Some(Canned::server_error()));
    click(&driver, &button_css("google", "refresh")).await;
    driver
        .wait_until(
            "(() => { const c = document.querySelector('[data-service=\"google\"]'); \
             return c && !c.querySelector('[aria-busy=\"true\"]') && c.querySelector('.note'); })()",
            SETTLE,
        )
        .await;
    let card = text_of(&driver, &card_css("google")).await;
    assert_eq!(
        deck.token_record("google")
            .map(|r| r["access_token"].clone()),
        Some(json!(minted.access_token)),
        "the saved sign-in is untouched"
    );
    assert!(
        card.contains("HTTP 500") || card.contains("could not"),
        "the card says why: {card:?}"
    );
    assert_eq!(
        state_of(&driver, "google").await,
        "connected",
        "a refresh that failed for a moment must not hide a connection that still works \
         (account, expiry and Log out vanish; \"Try again\" starts a new browser sign-in): {card:?}"
    );
    assert!(card.contains("ada@example.com"), "{card:?}");
    assert!(driver
        .try_find(&button_css("google", "logout"))
        .await
        .is_some());
    driver.quit().await;
}

#[tokio::test]
async fn a_connect_that_cannot_start_says_why_once() {
    // The service's only redirect port is taken by another program.
    let holder = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = holder.local_addr().map(|a| a.port()).expect("its number");
    let deck = Deck::new("flow-port-taken", &[Family::GitHub]);
    deck.env.write_providers_toml(&format!(
        "{}redirect_ports = [{port}]\n",
        deck.fake(Family::GitHub).providers_toml("github")
    ));
    let driver = deck.open().await;

    click(&driver, &button_css("github", "connect")).await;
    driver
        .wait_until(
            "(() => { const c = document.querySelector('[data-service=\"github\"]'); \
             return c && !c.querySelector('[aria-busy=\"true\"]') && c.innerText.includes('could not listen'); })()",
            SETTLE,
        )
        .await;
    // Let the command's answer and the event both land.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let card = text_of(&driver, &card_css("github")).await;
    assert!(card.contains(&port.to_string()), "names the port: {card:?}");
    assert_eq!(
        card.matches("could not listen").count(),
        1,
        "the reason is shown once, not once from the event and again from the command's error: {card:?}"
    );
    assert_eq!(deck.fake(Family::GitHub).authorize_count(), 0);
    drop(holder);
    driver.quit().await;
}

// ----- setup ----------------------------------------------------------------

#[tokio::test]
async fn setup_form_saves_client_credentials_to_the_keyring() {
    let deck = Deck::new("flow-setup", &[]);
    let driver = deck.open().await;
    assert_eq!(state_of(&driver, "notion").await, "not_configured");

    click(&driver, &button_css("notion", "setup")).await;
    driver
        .wait_for("dialog[data-dialog=\"setup\"][open]", SETTLE)
        .await;
    let id_field = driver.find("dialog[open] input[name=\"client_id\"]").await;
    let secret_field = driver
        .find("dialog[open] input[name=\"client_secret\"]")
        .await;
    assert_eq!(
        driver.attr(&secret_field, "type").await.as_deref(),
        Some("password"),
        "the secret is typed into a password field"
    );
    driver
        .send_keys(&id_field, "1a2b3c4d-0000-1111-2222-333344445555")
        .await;
    driver
        .send_keys(&secret_field, "secret_NotionSecretFromTheForm")
        .await;
    let dialog = text_of(&driver, "dialog[data-dialog=\"setup\"]").await;
    assert!(dialog.contains("Set up Notion"), "dialog: {dialog:?}");
    // Notion takes plain http only for localhost: every address to register says so.
    let mut redirects = Vec::new();
    for row in driver.find_all("dialog[open] [data-redirect]").await {
        redirects.push(driver.attr(&row, "data-redirect").await.unwrap_or_default());
    }
    assert_eq!(
        redirects,
        [53682, 53683, 53684].map(|p| format!("http://localhost:{p}/callback")),
        "dialog: {dialog:?}"
    );
    screenshot(&driver, "setup.png").await;

    click(&driver, "dialog[open] [data-action=\"save-setup\"]").await;
    wait_state(&driver, "notion", &["not_connected"], SETTLE).await;
    assert!(
        driver.try_find("dialog[open]").await.is_none(),
        "dialog closed"
    );
    let client = secret_tool::client_record(deck.keyring(), "notion")
        .expect("the client record is in the keyring");
    assert_eq!(client["client_id"], "1a2b3c4d-0000-1111-2222-333344445555");
    assert_eq!(client["client_secret"], "secret_NotionSecretFromTheForm");

    // The form's source says the secret is saved, without the secret (a
    // configured card has no Set up button, so this asks the command itself).
    let info = invoke(&driver, "setup_info", json!({ "service": "notion" }))
        .await
        .expect("setup_info");
    let secret = info["fields"]
        .as_array()
        .and_then(|fields| fields.iter().find(|f| f["key"] == "client_secret"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(secret["saved"], json!(true), "{info}");
    assert!(
        !info.to_string().contains("secret_NotionSecretFromTheForm"),
        "{info}"
    );
    let page = driver.page_source().await;
    assert!(
        !page.contains("secret_NotionSecretFromTheForm"),
        "secret left in the page"
    );
    driver.quit().await;
}

// ----- what crosses IPC -----------------------------------------------------

/// Runs every command and collects every event payload in the page.
const EVERY_COMMAND: &str = r#"
const [notionSecret] = arguments;
const { invoke } = window.__TAURI__.core;
const { listen } = window.__TAURI__.event;
const results = [];
const events = [];
const stop = [
  await listen('service-changed', e => events.push({ event: 'service-changed', payload: e.payload })),
  await listen('keyring-status', e => events.push({ event: 'keyring-status', payload: e.payload })),
];
const call = async (command, args) => {
  // Not `args`: save_setup's carry the secret in on purpose.
  try { results.push({ command, service: args.service, ok: await invoke(command, args) }); }
  catch (err) { results.push({ command, service: args.service, err }); }
};
const ids = ['google', 'dropbox', 'zoom', 'notion', 'github', 'microsoft'];
await call('app_status', {});
await call('list_services', {});
for (const service of ids) await call('setup_info', { service });
await call('save_setup', { service: 'notion', values: { client_id: 'notion-client-id', client_secret: notionSecret } });
await call('setup_info', { service: 'notion' });
await call('connect', { service: 'github' });
await call('connect', { service: 'github' });
await call('cancel_connect', { service: 'github' });
await call('refresh', { service: 'google' });
await call('refresh', { service: 'microsoft' });
await call('refresh', { service: 'dropbox' });
await call('make_default', { service: 'google', account: 'ada@example.com' });
await call('logout', { service: 'google', account: 'ada@example.com' });
await call('logout', { service: 'microsoft' });
await call('logout', { service: 'notion' });
await call('connect', { service: 'no-such-service' });
await call('list_services', {});
// The cancelled attempt reports its end by event.
const until = Date.now() + 10000;
while (Date.now() < until && !events.some(e => e.payload && e.payload.id === 'github' && e.payload.state !== 'connecting')) {
  await new Promise(r => setTimeout(r, 50));
}
await new Promise(r => setTimeout(r, 300));
stop.forEach(unlisten => unlisten());
return JSON.stringify({ results, events });
"#;

#[tokio::test]
async fn no_token_or_secret_crosses_ipc_in_any_command_result_or_event() {
    let deck = Deck::new("flow-no-secrets", &[Family::Google, Family::GitHub]);
    deck.fake(Family::GitHub).set_consent(Consent::Ignore);
    let google = deck.plant_minted(
        Family::Google,
        Some(3600),
        &["openid", "email"],
        "ada@example.com",
    );
    let planted = [
        (
            "microsoft",
            "ms-access-PLANTED-5b1e0c",
            "ms-refresh-PLANTED-9d2f41",
            true,
        ),
        (
            "zoom",
            "zoom-access-PLANTED-77ac3e",
            "zoom-refresh-PLANTED-0f6b12",
            false,
        ),
    ];
    for (id, access, refresh, needs_reconnect) in planted {
        let mut record = secret_tool::token_record_json(
            access,
            Some(refresh),
            Some(3600),
            &["User.Read"],
            "oauth_pkce",
            Some("someone@example.com"),
        );
        if needs_reconnect {
            record["needs_reconnect"] = json!("The service no longer accepts the saved sign-in.");
        }
        secret_tool::store_token(deck.keyring(), id, &record);
    }
    let dropbox_secret = "dropbox-client-secret-PLANTED-3c9e";
    secret_tool::store(
        deck.keyring(),
        "client:dropbox",
        &json!({ "client_id": "dropbox-app-key", "client_secret": dropbox_secret }).to_string(),
    );
    let notion_secret = "notion-client-secret-SAVED-a41d07";

    let driver = deck.open().await;
    let blob = driver
        .execute(
            &format!("return (async () => {{ {EVERY_COMMAND} }})();"),
            vec![json!(notion_secret)],
        )
        .await;
    let blob = blob.as_str().expect("the script's JSON").to_string();

    // The run really happened: every command answered and events arrived.
    let run: Value = serde_json::from_str(&blob).expect("JSON");
    let results = run["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(results.len(), 22, "{blob}");
    let events = run["events"].as_array().cloned().unwrap_or_default();
    assert!(events.len() >= 6, "events: {blob}");
    assert!(
        blob.contains("ada@example.com") && blob.contains("\"connecting\""),
        "{blob}"
    );
    assert!(
        blob.contains("\"authorize_url\":\"http://127.0.0.1"),
        "{blob}"
    );
    // The Google refresh and the save really reached their stores.
    assert_eq!(deck.fake(Family::Google).refresh_count(), 1, "{blob}");
    assert_eq!(
        secret_tool::client_record(deck.keyring(), "notion").map(|c| c["client_secret"].clone()),
        Some(json!(notion_secret))
    );

    let mut secrets: Vec<String> = vec![
        google.access_token.clone(),
        google.refresh_token.clone().unwrap_or_default(),
        dropbox_secret.to_string(),
        notion_secret.to_string(),
    ];
    for (_, access, refresh, _) in planted {
        secrets.push(access.to_string());
        secrets.push(refresh.to_string());
    }
    // What the refresh brought in, and the client secrets from the environment.
    for fake in &deck.fakes {
        secrets.extend(fake.valid_access_tokens());
        secrets.extend(fake.live_refresh_tokens());
        secrets.extend(fake.client_secret());
    }
    for secret in &secrets {
        assert!(secret.len() >= 8, "too short to search for: {secret:?}");
        assert!(
            !blob.contains(secret.as_str()),
            "a secret crossed IPC: {secret:?} in {blob}"
        );
    }
    driver.quit().await;
}

// ----- keyboard -------------------------------------------------------------

#[tokio::test]
async fn every_button_is_reachable_by_keyboard_and_named() {
    let deck = Deck::new("flow-keyboard", &[]);
    // Some variety: a connected card (Refresh now, Log out) and a card that
    // needs reconnecting (Log out, Reconnect); the rest need setup.
    let github = secret_tool::token_record_json(
        "gho_keyboardTestToken0000",
        Some("ghr_keyboardTestRefresh000"),
        Some(8 * 3600),
        &["repo"],
        "oauth_pkce",
        Some("octocat"),
    );
    secret_tool::store_token(deck.keyring(), "github", &github);
    let mut microsoft = github.clone();
    microsoft["needs_reconnect"] = json!("The service no longer accepts the saved sign-in.");
    secret_tool::store_token(deck.keyring(), "microsoft", &microsoft);
    let driver = deck.open().await;
    assert_eq!(state_of(&driver, "github").await, "connected");
    assert_eq!(state_of(&driver, "microsoft").await, "needs_reconnect");

    const CHECK_BUTTONS: &str = "return [...document.querySelectorAll('button')].map(b => ({ \
        action: b.dataset.action || '', \
        tabIndex: b.tabIndex, \
        shown: getComputedStyle(b).display !== 'none' && getComputedStyle(b).visibility !== 'hidden' && b.getClientRects().length > 0, \
        name: (b.getAttribute('aria-label') || b.innerText || b.textContent || '').trim() }));";
    let check = |buttons: &Value, context: &str| {
        let buttons = buttons.as_array().cloned().unwrap_or_default();
        assert!(!buttons.is_empty(), "{context}: no buttons found");
        for b in &buttons {
            assert!(
                b["tabIndex"].as_i64().unwrap_or(-1) >= 0,
                "{context}: not in the tab order: {b}"
            );
            assert_eq!(b["shown"], json!(true), "{context}: not shown: {b}");
            assert!(
                !b["name"].as_str().unwrap_or_default().is_empty(),
                "{context}: no accessible name: {b}"
            );
        }
        buttons
    };
    let page_buttons = check(&driver.execute(CHECK_BUTTONS, vec![]).await, "dashboard");
    let actions: Vec<&str> = page_buttons
        .iter()
        .filter_map(|b| b["action"].as_str())
        .collect();
    for expected in ["setup", "refresh", "logout", "reconnect"] {
        assert!(
            actions.contains(&expected),
            "the page has a {expected} button: {actions:?}"
        );
    }

    // Tab from the top of the page: first the keeper switch under the title
    // (named by its label), then the first card's button.
    let body = driver.find("body").await;
    driver
        .wait_until(
            "!document.querySelector('[data-role=\"keeper-switch\"]').disabled",
            Duration::from_secs(10),
        )
        .await;
    driver.send_keys(&body, "\u{E004}").await;
    let switch = driver
        .execute(
            "const a = document.activeElement; \
             return [a.dataset.role || '', (a.labels && a.labels[0] ? a.labels[0].textContent : '').trim()];",
            vec![],
        )
        .await;
    assert_eq!(
        switch[0],
        json!("keeper-switch"),
        "focus after one Tab: {switch}"
    );
    assert!(
        switch[1]
            .as_str()
            .is_some_and(|l| l.contains("Keep connections alive")),
        "the switch is named by its label: {switch}"
    );
    let active = driver
        .execute("return document.activeElement.outerHTML;", vec![])
        .await;
    let focused_switch = driver.find("[data-role=\"keeper-switch\"]").await;
    driver.send_keys(&focused_switch, "\u{E004}").await;
    assert_eq!(
        focused(&driver).await,
        ("button".into(), "setup".into(), "google".into()),
        "focus after two Tabs (from {active})"
    );
    let setup_button = driver.find(&button_css("google", "setup")).await;

    // Enter opens the setup dialog; its buttons pass the same checks; Escape
    // closes it and focus comes back to the button that opened it.
    driver.send_keys(&setup_button, "\u{E007}").await;
    driver
        .wait_for("dialog[data-dialog=\"setup\"][open]", SETTLE)
        .await;
    assert_eq!(
        focused(&driver).await,
        ("input".into(), "client_id".into(), String::new()),
        "typing starts in the first field"
    );
    let in_dialog = driver.find("dialog[open] input[name=\"client_id\"]").await;
    check(
        &driver
            .execute(
                &CHECK_BUTTONS.replace("'button'", "'dialog[open] button'"),
                vec![],
            )
            .await,
        "setup dialog",
    );
    driver.send_keys(&in_dialog, "\u{E00C}").await;
    driver
        .wait_until("!document.querySelector('dialog[open]')", SETTLE)
        .await;
    assert_eq!(
        focused(&driver).await,
        ("button".into(), "setup".into(), "google".into()),
        "focus returns to the button that opened the dialog"
    );

    // The next Tab moves on to the next card.
    let back = driver.find(&button_css("google", "setup")).await;
    driver.send_keys(&back, "\u{E004}").await;
    assert_eq!(
        focused(&driver).await,
        ("button".into(), "setup".into(), "dropbox".into())
    );
    driver.quit().await;
}

// ----- the README picture ---------------------------------------------------

#[tokio::test]
async fn dashboard_with_several_real_states_at_once() {
    let deck = Deck::new("flow-states", &[]);
    // A wider window so all six cards fit (the app restores window.json).
    deck.env
        .config
        .write("window.json", r#"{"width":1240,"height":790}"#);
    let mut google = secret_tool::token_record_json(
        "ya29.dashboardStatesToken",
        Some("1//dashboardStatesRefresh"),
        Some(42 * 60 + 30),
        &[
            "openid",
            "email",
            "https://www.googleapis.com/auth/drive.readonly",
            "https://www.googleapis.com/auth/documents.readonly",
        ],
        "oauth_pkce",
        Some("ada@example.com"),
    );
    google["obtained_at"] = json!(now_secs() - 17 * 60);
    secret_tool::store_token(deck.keyring(), "google", &google);
    let mut github = secret_tool::token_record_json(
        "gho_dashboardStatesToken",
        None,
        None,
        &["repo", "read:org"],
        "oauth_pkce",
        Some("octocat"),
    );
    github["obtained_at"] = json!(now_secs() - 3 * 86400);
    secret_tool::store_token(deck.keyring(), "github", &github);
    let mut microsoft = secret_tool::token_record_json(
        "eyJ0eXAiOiJKV1Qi.dashboardStates",
        Some("0.AXoA.dashboardStates"),
        Some(-600),
        &["openid", "offline_access", "User.Read"],
        "oauth_pkce",
        Some("ada@contoso.example"),
    );
    microsoft["needs_reconnect"] = json!("The service no longer accepts Authdeck's saved sign-in (it may have been revoked, expired after a long time unused, or replaced by a newer sign-in).");
    secret_tool::store_token(deck.keyring(), "microsoft", &microsoft);

    let driver = deck.open().await;
    assert_eq!(state_of(&driver, "google").await, "connected");
    assert_eq!(state_of(&driver, "github").await, "connected");
    assert_eq!(state_of(&driver, "microsoft").await, "needs_reconnect");
    for id in ["dropbox", "zoom", "notion"] {
        assert_eq!(state_of(&driver, id).await, "not_configured", "{id}");
    }
    let expiry = text_of(&driver, &format!("{} .expiry", card_css("google"))).await;
    assert!(expiry.starts_with("Expires in 42 min"), "{expiry:?}");
    screenshot(&driver, "dashboard-states.png").await;
    driver.quit().await;
}

// ----- from download to a green card ------------------------------------------

/// A system-wide providers.toml with the Google client an organization set up.
const ORG_GOOGLE: &str = "[google]\nclient_id = \"4242-org.apps.googleusercontent.com\"\nclient_secret = \"GOCSPX-org-desktop-secret\"\n";

#[tokio::test]
async fn a_preset_service_is_ready_from_the_first_start_and_the_welcome_says_so() {
    let deck = Deck::new("flow-preset", &[]);
    deck.env.write_system_providers_toml(ORG_GOOGLE);
    let driver = deck.open().await;
    assert_eq!(state_of(&driver, "google").await, "not_connected");
    assert!(driver
        .try_find(&button_css("google", "connect"))
        .await
        .is_some());
    let card = text_of(&driver, &card_css("google")).await;
    assert!(card.contains("Connect Google"), "card: {card:?}");
    // Nothing connected yet: two sentences, naming what is ready.
    let welcome = text_of(&driver, "[data-role=\"welcome\"]").await;
    assert!(
        welcome.starts_with("Authdeck keeps your cloud accounts connected in one place")
            && welcome.ends_with("Ready to connect now: Google."),
        "welcome: {welcome:?}"
    );
    // The setup form says who set it up, and still takes the person's own app.
    let info = invoke(&driver, "setup_info", json!({ "service": "google" }))
        .await
        .expect("setup_info");
    assert_eq!(info["preset_by"], "your organization", "{info}");
    assert!(
        !info.to_string().contains("GOCSPX-org-desktop-secret"),
        "{info}"
    );
    click(&driver, &button_css("google", "setup")).await;
    let dialog = driver
        .wait_for("dialog[data-dialog=\"setup\"][open]", SETTLE)
        .await;
    let text = driver.text(&dialog).await;
    assert!(
        text.contains("already set up for you by your organization"),
        "{text}"
    );
    assert!(driver
        .try_find("dialog[open] input[name=\"client_id\"]")
        .await
        .is_some());
    screenshot(&driver, "setup-preset.png").await;
}

#[tokio::test]
async fn the_setup_form_checks_each_services_values_as_they_are_typed() {
    let deck = Deck::new("flow-setup-check", &[]);
    let driver = deck.open().await;
    // Every built-in: a value of its own format passes; a wrong one gets a sentence.
    let cases = [
        (
            "google",
            "1234567890-abc.apps.googleusercontent.com",
            "1234567890-abc",
        ),
        (
            "microsoft",
            "4a1aa1d5-c567-49d0-ad0b-cd957a47f842",
            "4a1aa1d5",
        ),
        ("github", "Ov23liAbCdEfGhIjKlMn", "my-github-app"),
        ("dropbox", "a1b2c3d4e5f6g7h", "a1b2"),
        ("zoom", "AbCdEfGhIjKlMnOpQrStUv", "Ab"),
        (
            "notion",
            "1a2b3c4d-0000-1111-2222-333344445555",
            "notion-app",
        ),
    ];
    for (service, good, bad) in cases {
        let check = |value: &str| json!({ "service": service, "key": "client_id", "value": value });
        let ok = invoke(&driver, "check_setup_value", check(good))
            .await
            .expect("check");
        assert_eq!(ok, Value::Null, "{service}: {good}");
        let said = invoke(&driver, "check_setup_value", check(bad))
            .await
            .expect("check");
        let said = said.as_str().unwrap_or_default().to_owned();
        assert!(
            said.ends_with('.') && said.contains("client ID"),
            "{service}: {said:?}"
        );
    }
    // In the form: Google's secret pasted into the client ID field is named as such.
    click(&driver, &button_css("google", "setup")).await;
    driver
        .wait_for("dialog[data-dialog=\"setup\"][open]", SETTLE)
        .await;
    let steps = driver.find_all("dialog[open] .setup-steps li").await;
    assert!(steps.len() >= 4, "numbered steps: {}", steps.len());
    let dialog = text_of(&driver, "dialog[data-dialog=\"setup\"]").await;
    assert!(dialog.contains("Desktop app"), "{dialog}");
    assert!(
        dialog.contains("after 7 days"),
        "the Testing-mode warning: {dialog}"
    );
    let id_field = driver.find("dialog[open] input[name=\"client_id\"]").await;
    driver
        .send_keys(&id_field, "GOCSPX-pasted-into-the-wrong-field")
        .await;
    driver
        .wait_until(
            "(document.querySelector('#setup-google-client_id-check')||{textContent:''}).textContent.includes('client secret, not the client ID')",
            SETTLE,
        )
        .await;
    driver.clear(&id_field).await;
    driver
        .send_keys(&id_field, "1234567890-abc.apps.googleusercontent.com")
        .await;
    driver
        .wait_until(
            "(document.querySelector('#setup-google-client_id-check')||{textContent:'x'}).textContent === ''",
            SETTLE,
        )
        .await;
}

#[tokio::test]
async fn save_and_connect_saves_to_the_keyring_and_opens_the_sign_in_at_once() {
    // GitHub pointed at a fake, with no client credentials yet.
    let deck = Deck::new("flow-save-connect", &[]);
    let fake = FakeProvider::start(Family::GitHub);
    deck.env
        .write_providers_toml(&fake.providers_toml(Family::GitHub.id()));
    fake.set_consent(Consent::Ignore);
    let driver = deck.open().await;
    assert_eq!(state_of(&driver, "github").await, "not_configured");
    click(&driver, &button_css("github", "setup")).await;
    driver
        .wait_for("dialog[data-dialog=\"setup\"][open]", SETTLE)
        .await;
    let id_field = driver.find("dialog[open] input[name=\"client_id\"]").await;
    let secret_field = driver
        .find("dialog[open] input[name=\"client_secret\"]")
        .await;
    driver.send_keys(&id_field, &fake.client_id()).await;
    driver
        .send_keys(&secret_field, &fake.client_secret().unwrap_or_default())
        .await;
    // The fake's made-up IDs do not look like GitHub's: let both checks say so
    // (advice, not a gate) before clicking, so nothing moves under the click.
    for field in ["client_id", "client_secret"] {
        driver
            .wait_until(
                &format!(
                    "(document.querySelector('#setup-github-{field}-check')||{{textContent:''}}).textContent !== ''"
                ),
                SETTLE,
            )
            .await;
    }
    click(&driver, "dialog[open] [data-action=\"save-connect\"]").await;
    // Saved, and the person's browser is at the service's authorize page.
    wait_state(&driver, "github", &["connecting"], SETTLE).await;
    let deadline = Instant::now() + SETTLE;
    while fake.authorize_count() == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(fake.authorize_count(), 1, "the sign-in page was opened");
    let client = secret_tool::client_record(deck.keyring(), "github").expect("saved");
    assert_eq!(client["client_id"], json!(fake.client_id()));
    click(&driver, &button_css("github", "cancel")).await;
    wait_state(&driver, "github", &["not_connected"], SETTLE).await;
}
