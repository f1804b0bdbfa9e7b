//! Several accounts of one service in the real window (issue 12): the real
//! app under Xvfb through tauri-driver, the real Secret Service, a fake Google
//! on 127.0.0.1 and the scripted browser signing in as whoever the fake is set
//! to. What the card claims is checked against the real CLI (`authdeck token`)
//! and the keyring, so a card that only looks right fails.

use std::time::Duration;

use serde_json::{json, Value};

use authdeck_test_support::fake_provider::Family;
use authdeck_test_support::scenario::Scenario;
use authdeck_test_support::secret_tool;
use authdeck_test_support::webdriver::Driver;

/// Long enough for a loaded 2-core machine, short enough to fail fast.
const SETTLE: Duration = Duration::from_secs(20);

const DRIVE: &str = "https://www.googleapis.com/auth/drive.readonly";
const DOCS: &str = "https://www.googleapis.com/auth/documents.readonly";
/// Not among what Authdeck asks Google for by default: only a chip that
/// passes its scope on asks for it.
const CALENDAR: &str = "https://www.googleapis.com/auth/calendar.readonly";
const CARD: &str = "[data-service=\"google\"]";

// ----- helpers ----------------------------------------------------------------

async fn open(s: &Scenario) -> Driver {
    let mut env = s.test.app_env();
    env.extend(s.fake.credentials_env());
    let driver = Driver::start(&env).await;
    driver
        .wait_until(
            "document.querySelectorAll('[data-service]').length === 6 && \
             [...document.querySelectorAll('[data-service]')].every(c => c.dataset.state)",
            Duration::from_secs(30),
        )
        .await;
    driver
}

/// Waits until the Google card is connected, nothing on it is busy, and `js`
/// (an expression over `c`, the card) holds.
async fn wait_card(driver: &Driver, js: &str) {
    driver
        .wait_until(
            &format!(
                "(() => {{ const c = document.querySelector('{CARD}'); \
                 return !!c && c.dataset.state === 'connected' && !c.querySelector('[aria-busy=\"true\"]') && ({js}); }})()"
            ),
            SETTLE,
        )
        .await;
}

/// The account rows of the Google card: (data-account, data-default).
async fn rows(driver: &Driver) -> Vec<(String, String)> {
    let value = driver
        .execute(
            "return [...document.querySelectorAll('[data-service=\"google\"] .acct')] \
               .map(r => [r.dataset.account, r.dataset.default]);",
            vec![],
        )
        .await;
    value
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap_or_default().to_string(),
                r[1].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

async fn card_text(driver: &Driver) -> String {
    let card = driver.find(CARD).await;
    driver.text(&card).await
}

/// The button for `action` on `account`'s row.
fn account_button(action: &str, account: &str) -> String {
    format!("{CARD} button[data-action=\"{action}\"][data-account=\"{account}\"]")
}

async fn click(driver: &Driver, css: &str) {
    let element = driver.find(css).await;
    driver.click(&element).await;
}

/// Connects Google through the window as `email`, with the card's own
/// button (`connect` on an empty card, `add-account` once one is there).
async fn connect_as(driver: &Driver, s: &Scenario, email: &str, action: &str, accounts: usize) {
    s.fake.sign_in_as(email);
    let before = s.fake.authorize_count();
    // Polls (and on failure shows the page) rather than a single look.
    let button = driver
        .wait_for(
            &format!("{CARD} [data-action=\"{action}\"]:not(:disabled)"),
            SETTLE,
        )
        .await;
    driver.click(&button).await;
    let deadline = std::time::Instant::now() + SETTLE;
    while s.fake.authorize_count() == before && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let shown = if accounts > 1 {
        format!("c.querySelectorAll('.acct').length === {accounts}")
    } else {
        "c.querySelectorAll('.acct').length === 0".to_string()
    };
    wait_card(
        driver,
        &format!("{shown} && c.innerText.includes({})", json!(email)),
    )
    .await;
}

/// `authdeck token google --json` from the real CLI: what a script gets.
fn script_token(s: &Scenario) -> Value {
    let out = s.run(&["token", "google", "--json"]);
    out.assert_success();
    out.json()
}

fn record(s: &Scenario, key: &str) -> Option<Value> {
    secret_tool::token_record(&s.test.keyring_service, key)
}

fn access_token(record: &Option<Value>) -> String {
    record
        .as_ref()
        .and_then(|r| r["access_token"].as_str())
        .unwrap_or_default()
        .to_string()
}

/// The aria-labels of the buttons on the Google card.
async fn button_names(driver: &Driver) -> Vec<String> {
    let value = driver
        .execute(
            "return [...document.querySelectorAll('[data-service=\"google\"] button')] \
               .map(b => b.getAttribute('aria-label') || '');",
            vec![],
        )
        .await;
    value
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .collect()
}

// ----- tests --------------------------------------------------------------------

#[tokio::test]
async fn two_accounts_are_listed_switched_and_logged_out_one_at_a_time() {
    let s = Scenario::new(Family::Google, "wacc-two");
    let driver = open(&s).await;

    connect_as(&driver, &s, "ada@example.com", "connect", 1).await;
    // One account: the card looks as before, plus a way to add another.
    let text = card_text(&driver).await;
    assert!(
        text.contains("Signed in as ada@example.com"),
        "one account: {text:?}"
    );
    assert!(driver
        .try_find(&account_button("logout", "ada@example.com"))
        .await
        .is_some());

    connect_as(&driver, &s, "grace@example.com", "add-account", 2).await;
    assert_eq!(
        rows(&driver).await,
        [
            ("ada@example.com".to_string(), "true".to_string()),
            ("grace@example.com".to_string(), "false".to_string()),
        ],
        "both listed in connect order, the first the default"
    );
    let badges = driver
        .find_all(&format!("{CARD} .acct [data-role=\"default-badge\"]"))
        .await;
    assert_eq!(badges.len(), 1, "exactly one account is marked default");
    assert!(card_text(&driver).await.contains("2 accounts"));
    assert!(
        driver
            .try_find(&account_button("make-default", "ada@example.com"))
            .await
            .is_none(),
        "the default has no Make default"
    );
    let ada = record(&s, "google");
    let grace = record(&s, "google/grace@example.com");
    assert_eq!(
        ada.as_ref().map(|r| r["account"].clone()),
        Some(json!("ada@example.com"))
    );
    assert_eq!(
        grace.as_ref().map(|r| r["account"].clone()),
        Some(json!("grace@example.com")),
        "the second sign-in is a record of its own"
    );
    assert_eq!(script_token(&s)["access_token"], json!(access_token(&ada)));

    // Make default: scripts now get grace's token, and the card says so.
    click(
        &driver,
        &account_button("make-default", "grace@example.com"),
    )
    .await;
    wait_card(
        &driver,
        "c.querySelector('.acct[data-account=\"grace@example.com\"]')?.dataset.default === 'true'",
    )
    .await;
    let text = card_text(&driver).await;
    assert!(
        text.contains("grace@example.com is now your default Google account"),
        "card after Make default: {text:?}"
    );
    let token = script_token(&s);
    assert_eq!(token["account"], json!("grace@example.com"));
    assert_eq!(token["access_token"], json!(access_token(&grace)));
    let names = button_names(&driver).await;
    for expected in [
        "Make ada@example.com the default Google account",
        "Log out ada@example.com from Google",
        "Log out grace@example.com from Google",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected:?} in {names:?}"
        );
    }

    // Log out the default: ada stays and works, and becomes the default.
    click(&driver, &account_button("logout", "grace@example.com")).await;
    driver
        .wait_for("dialog[data-dialog=\"logout\"][open]", SETTLE)
        .await;
    let dialog = driver.find("dialog[data-dialog=\"logout\"]").await;
    let dialog = driver.text(&dialog).await;
    assert!(
        dialog.contains("Log out grace@example.com from Google?")
            && dialog.contains("ada@example.com will become your default Google account"),
        "dialog: {dialog:?}"
    );
    assert!(
        record(&s, "google/grace@example.com").is_some(),
        "nothing before confirming"
    );
    click(&driver, "[data-action=\"confirm-logout\"]").await;
    wait_card(
        &driver,
        "c.querySelectorAll('.acct').length === 0 && c.innerText.includes('is now your default')",
    )
    .await;
    let text = card_text(&driver).await;
    assert!(
        text.contains("ada@example.com is now your default Google account")
            && text.contains("Signed in as ada@example.com")
            && !text.contains("grace@example.com is now"),
        "card after logging out the default: {text:?}"
    );
    assert!(
        record(&s, "google/grace@example.com").is_none(),
        "grace forgotten"
    );
    assert_eq!(
        s.fake.revoke_requests().len(),
        1,
        "grace revoked at the service"
    );
    let token = script_token(&s);
    assert_eq!(token["account"], json!("ada@example.com"));
    assert!(
        s.fake.valid_access_tokens().contains(
            &token["access_token"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        ),
        "ada's token still works at the service"
    );
    driver.quit().await;
}

#[tokio::test]
async fn a_refused_permission_is_named_on_the_card_and_its_chip_asks_for_it_again() {
    let s = Scenario::new(Family::Google, "wacc-scope");
    // The person unticks Drive on the consent page.
    s.fake.withhold_scopes(&[DRIVE]);
    let driver = open(&s).await;
    connect_as(&driver, &s, "ada@example.com", "connect", 1).await;

    let chip_css = format!("{CARD} button[data-action=\"grant-scope\"]");
    let chip = driver.find(&chip_css).await;
    let chip_text = driver.text(&chip).await;
    assert!(
        chip_text.contains("Drive (read only) was not allowed"),
        "chip: {chip_text:?}"
    );
    assert_eq!(
        driver.attr(&chip, "data-scope").await.as_deref(),
        Some(DRIVE)
    );
    let label = driver.attr(&chip, "aria-label").await.unwrap_or_default();
    assert!(
        label.contains("ada@example.com") && label.contains("Google"),
        "chip label names the account and service: {label:?}"
    );
    assert!(
        driver
            .try_find(&format!("{CARD} .chip[title=\"{DRIVE}\"]"))
            .await
            .is_none(),
        "Drive is not among what the account can use"
    );

    // This time the person allows it.
    s.fake.withhold_scopes(&[]);
    driver.click(&chip).await;
    let deadline = std::time::Instant::now() + SETTLE;
    while s.fake.authorize_count() < 2 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let asked = s
        .fake
        .last_authorize_query()
        .and_then(|q| q.get("scope").cloned())
        .unwrap_or_default();
    assert!(
        asked.split(' ').any(|scope| scope == DRIVE),
        "the chip asked for Drive: {asked:?}"
    );
    wait_card(
        &driver,
        &format!(
            "!c.querySelector('[data-action=\"grant-scope\"]') && !!c.querySelector('.chip[title=\"{DRIVE}\"]')"
        ),
    )
    .await;
    assert!(!card_text(&driver).await.contains("was not allowed"));
    // Signing in again as the same person replaced the account, not added one.
    assert!(rows(&driver).await.is_empty());
    let status = s.status();
    assert_eq!(
        status["accounts"].as_array().map(Vec::len),
        Some(1),
        "{status}"
    );
    assert_eq!(status["missing_scopes"], json!([]), "{status}");

    // A permission asked for on top of the defaults (here by a script) and
    // refused: its chip must ask for exactly that scope, which a plain
    // reconnect would not.
    s.fake.withhold_scopes(&[CALENDAR]);
    s.run(&["connect", "google", "--scope", CALENDAR, "--timeout", "20"])
        .assert_success();
    driver
        .execute("location.reload(); return true;", vec![])
        .await;
    let calendar_chip =
        format!("{CARD} button[data-action=\"grant-scope\"][data-scope=\"{CALENDAR}\"]");
    driver.wait_for(&calendar_chip, SETTLE).await;
    s.fake.withhold_scopes(&[]);
    let before = s.fake.authorize_count();
    click(&driver, &calendar_chip).await;
    let deadline = std::time::Instant::now() + SETTLE;
    while s.fake.authorize_count() == before && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let asked = s
        .fake
        .last_authorize_query()
        .and_then(|q| q.get("scope").cloned())
        .unwrap_or_default();
    assert!(
        asked.split(' ').any(|scope| scope == CALENDAR),
        "the chip asked for its own scope: {asked:?}"
    );
    wait_card(
        &driver,
        &format!("!c.querySelector('[data-action=\"grant-scope\"]') && !!c.querySelector('.chip[title=\"{CALENDAR}\"]')"),
    )
    .await;
    driver.quit().await;
}

#[tokio::test]
async fn a_card_with_three_accounts_stays_readable_and_names_each_account() {
    let s = Scenario::new(Family::Google, "wacc-three");
    // The README picture's window size (the app restores window.json).
    s.test
        .config
        .write("window.json", r#"{"width":1240,"height":790}"#);
    let driver = open(&s).await;
    connect_as(&driver, &s, "ada@example.com", "connect", 1).await;
    connect_as(&driver, &s, "grace.hopper@example.com", "add-account", 2).await;
    // The third person refuses Docs, so a refusal shows among the rows.
    s.fake.withhold_scopes(&[DOCS]);
    connect_as(&driver, &s, "katherine@example.com", "add-account", 3).await;

    let names = button_names(&driver).await;
    for who in [
        "ada@example.com",
        "grace.hopper@example.com",
        "katherine@example.com",
    ] {
        for expected in [
            format!("Log out {who} from Google"),
            format!("Refresh {who} on Google"),
        ] {
            assert!(names.contains(&expected), "{expected:?} in {names:?}");
        }
    }
    for who in ["grace.hopper@example.com", "katherine@example.com"] {
        let expected = format!("Make {who} the default Google account");
        assert!(names.contains(&expected), "{expected:?} in {names:?}");
    }
    assert!(card_text(&driver)
        .await
        .contains("Docs (read only) was not allowed"));

    // Readable: nothing in the card is cut off or spills out of it, and every
    // account's name is shown whole.
    let layout = driver
        .execute(
            r#"const c = document.querySelector('[data-service="google"]');
               const box = c.getBoundingClientRect();
               const out = [...c.querySelectorAll('button, .chip, .acct-name, .expiry')]
                 .filter(e => { const r = e.getBoundingClientRect();
                   return r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.width === 0; })
                 .map(e => e.outerHTML.slice(0, 120));
               const cut = [...c.querySelectorAll('.acct-name')]
                 .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent);
               const small = [...c.querySelectorAll('.acct-name, .chip, .expiry, button')]
                 .filter(e => parseFloat(getComputedStyle(e).fontSize) < 12).length;
               return { out, cut, small, overflow: c.scrollWidth > c.clientWidth + 1 };"#,
            vec![],
        )
        .await;
    assert_eq!(
        layout,
        json!({ "out": [], "cut": [], "small": 0, "overflow": false }),
        "three accounts in one card"
    );

    // The whole card in the picture, as a person scrolling to it sees it.
    driver
        .execute(
            "document.querySelector(arguments[0]).scrollIntoView({ block: 'nearest' }); return true;",
            vec![json!(CARD)],
        )
        .await;
    driver.wait_for_frames().await;
    let path =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/screenshots/accounts.png");
    driver.save_screenshot(&path).await;
    let png = std::fs::read(&path).unwrap_or_default();
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "accounts.png is a PNG"
    );
    driver.quit().await;
}
