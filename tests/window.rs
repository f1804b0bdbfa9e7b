//! The real window, driven through tauri-driver + WebKitWebDriver under Xvfb:
//! what a person sees when Authdeck opens.

use std::time::Duration;

use authdeck_test_support::webdriver::Driver;
use authdeck_test_support::{require_test_session, secret_tool, TestEnv};

const CATALOG_ORDER: [&str; 6] = ["google", "dropbox", "zoom", "notion", "github", "microsoft"];

/// The card's `data-service` id, its `data-state` and its visible text, in page order.
async fn cards(driver: &Driver) -> Vec<(String, String, String)> {
    let mut cards = Vec::new();
    for card in driver.find_all("[data-service]").await {
        let id = driver.attr(&card, "data-service").await.unwrap_or_default();
        let state = driver.attr(&card, "data-state").await.unwrap_or_default();
        let text = driver.text(&card).await;
        cards.push((id, state, text));
    }
    cards
}

/// Waits until the six cards are in the page and none is still loading.
async fn wait_for_cards(driver: &Driver) {
    driver
        .wait_until(
            "document.querySelectorAll('[data-service]').length === 6 && \
             [...document.querySelectorAll('[data-service]')].every(c => c.dataset.state && c.dataset.state !== 'loading')",
            Duration::from_secs(30),
        )
        .await;
}

#[tokio::test]
async fn window_shows_exactly_the_six_catalog_cards() {
    require_test_session();
    let env = TestEnv::new("window-six-cards");
    let driver = Driver::start(&env.app_env()).await;
    wait_for_cards(&driver).await;

    let cards = cards(&driver).await;
    let ids: Vec<&str> = cards.iter().map(|(id, _, _)| id.as_str()).collect();
    assert_eq!(ids, CATALOG_ORDER, "cards in the page: {cards:?}");

    let catalog = authdeck_core::provider::builtin_providers();
    let catalog_ids: Vec<&str> = catalog.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, catalog_ids, "the page must follow the Rust catalog");
    for (provider, (id, _, text)) in catalog.iter().zip(&cards) {
        assert!(
            text.contains(provider.name.as_str()),
            "card {id} should show the catalog name {:?}; it shows {text:?}",
            provider.name
        );
    }

    // A fresh keyring and an empty config: nothing is connected.
    for (id, state, _) in &cards {
        assert_ne!(state, "connected", "card {id} claims to be connected");
    }

    // A WebDriver screenshot can lag one frame behind the DOM: let it paint.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/screenshots/dashboard.png");
    driver.save_screenshot(&path).await;
    let png = std::fs::read(&path).expect("screenshot written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "the screenshot is a PNG");
    driver.quit().await;
}

#[tokio::test]
async fn stored_token_before_launch_shows_connected() {
    require_test_session();
    let env = TestEnv::new("window-stored-token");
    let record = secret_tool::token_record_json(
        "gho_plantedBeforeLaunch0123456789",
        None,
        Some(3600),
        &["repo", "read:org"],
        "oauth_pkce",
        Some("octocat"),
    );
    secret_tool::store_token(&env.keyring_service, "github", &record);

    let mut app_env = env.app_env();
    app_env.push(("AUTHDECK_LOG".into(), "debug".into()));
    let driver = Driver::start(&app_env).await;
    wait_for_cards(&driver).await;
    // The cards came from the keyring read the app began at launch, while
    // WebKit started, not from a read begun when the page asked.
    let log = driver.log();
    for what in ["statuses", "keyring check"] {
        assert!(
            log.lines().any(|l| l.contains("answered from the read started at launch")
                && l.contains(what)),
            "the page's first {what} should come from the launch-time read; log:\n{log}"
        );
    }

    let github = driver.find("[data-service=\"github\"]").await;
    assert_eq!(
        driver.attr(&github, "data-state").await.as_deref(),
        Some("connected"),
        "the github card should be connected; cards: {:?}",
        cards(&driver).await
    );
    let text = driver.text(&github).await;
    assert!(
        text.contains("octocat"),
        "the github card should name the account: {text:?}"
    );
    assert!(
        !text.contains("gho_plantedBeforeLaunch"),
        "the card must never show the token: {text:?}"
    );
    for (id, state, _) in cards(&driver).await {
        if id != "github" {
            assert_ne!(state, "connected", "card {id} claims to be connected");
        }
    }
    // Showing it did not use it up: the record is still there.
    let stored = secret_tool::token_record(&env.keyring_service, "github")
        .expect("the github token record is still in the keyring");
    assert_eq!(stored["access_token"], record["access_token"]);
    driver.quit().await;
}
