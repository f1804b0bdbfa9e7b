//! Keyring trouble as a person sees it in the window: a banner across the
//! top that says what is wrong and how to fix it, and nothing written anywhere.

use std::time::Duration;

use authdeck_test_support::private_keyring::PrivateBus;
use authdeck_test_support::webdriver::Driver;
use authdeck_test_support::{require_test_session, TempDir, TestEnv};

#[tokio::test]
async fn unreachable_keyring_shows_a_banner_with_the_fix() {
    require_test_session();
    let test = TestEnv::new("window-no-keyring");
    let dir = TempDir::new("window-no-keyring-bus");
    // A session bus with no keyring service on it.
    let bus = PrivateBus::start(&dir);
    let mut env = test.app_env();
    env.push(("DBUS_SESSION_BUS_ADDRESS".into(), bus.address.clone()));
    let driver = Driver::start(&env).await;

    let banner = driver
        .wait_for("[data-banner=keyring]", Duration::from_secs(30))
        .await;
    let text = driver.text(&banner).await;
    assert!(
        text.contains("no keyring service is running"),
        "banner says: {text}"
    );
    assert!(
        text.contains("gnome-keyring"),
        "the banner names the fix: {text}"
    );
    assert_eq!(driver.attr(&banner, "role").await.as_deref(), Some("alert"));
    // The cards are still there, none claims to be connected.
    driver
        .wait_until(
            "document.querySelectorAll('[data-service]').length === 6",
            Duration::from_secs(10),
        )
        .await;
    let states = driver
        .execute(
            "return [...document.querySelectorAll('[data-service]')].map(c => c.dataset.state)",
            vec![],
        )
        .await;
    assert!(!states.to_string().contains("\"connected\""), "{states}");
    driver
        .save_screenshot(&std::path::PathBuf::from(
            "tests/screenshots/keyring-banner.png",
        ))
        .await;
    driver.quit().await;

    // No fallback store: the config dir holds at most the window size.
    let files: Vec<String> = std::fs::read_dir(test.config.path())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|name| name != "window.json")
        .collect();
    assert!(
        files.is_empty(),
        "written instead of the keyring: {files:?}"
    );
}
