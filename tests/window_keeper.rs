//! The window and the keeper together: a notification's Reconnect brings the
//! open window to the front at that card (one window: the second start hands
//! over and exits), the card says what the keeper found and since when, and
//! the window's switch writes and removes the keeper's login entry.

use authdeck_test_support::fake_provider::{Canned, Family};
use authdeck_test_support::notifications::NotificationServer;
use authdeck_test_support::scenario::Scenario;
use authdeck_test_support::watch::{wait_until, Watch};
use authdeck_test_support::webdriver::Driver;
use authdeck_test_support::TempDir;
use std::time::Duration;

/// The processes whose command line matches `pattern` and whose environment
/// mentions `marker` (this test's own config dir), so parallel tests never
/// see each other's.
fn processes(pattern: &str, marker: &str) -> Vec<String> {
    let out = std::process::Command::new("pgrep")
        .args(["-f", pattern])
        .output()
        .expect("pgrep runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .map(|env| String::from_utf8_lossy(&env).contains(marker))
                .unwrap_or(false)
        })
        .map(str::to_owned)
        .collect()
}

fn windows_for(config: &str) -> usize {
    processes("authdeck-app", config).len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnect_in_a_notification_opens_the_window_at_that_card_and_it_says_why() {
    let s = Scenario::new(Family::Microsoft, "window-keeper");
    s.fake.set_token_failure(Some(Canned::new(
        400,
        r#"{"error":"invalid_grant","error_description":"revoked"}"#,
    )));
    s.plant_for("ada@example.com", 90, &["User.Read", "offline_access"]);
    let env = s.env();
    let driver = Driver::start(&env).await;
    driver
        .wait_until(
            "document.querySelector('[data-service=\"microsoft\"]') !== null",
            Duration::from_secs(30),
        )
        .await;

    let server = NotificationServer::start(
        &std::env::var("DBUS_SESSION_BUS_ADDRESS").expect("the test session's bus"),
    );
    let mut watch = Watch::start(&s, &[]);
    let shown = server.wait_for(1, Duration::from_secs(20));
    assert!(
        shown[0].summary.contains("ada@example.com"),
        "{:?}",
        shown[0]
    );

    // The person clicks Reconnect: the keeper starts `authdeck-app --card
    // microsoft`, which hands over to the open window and exits.
    server.invoke(shown[0].id, "reconnect");
    driver
        .wait_until(
            "document.querySelector('[data-service=\"microsoft\"]').dataset.highlighted === 'true'",
            Duration::from_secs(20),
        )
        .await;
    let config = s.test.config.path_str();
    wait_until(
        "the second start has handed over",
        Duration::from_secs(10),
        || windows_for(&config) == 1,
    );
    // The card says why, and since when, in plain words.
    driver
        .wait_until(
            "(() => { const n = document.querySelector('[data-service=\"microsoft\"] [data-role=\"attention\"]'); \
             return n !== null && n.textContent.includes('no longer accepts') && n.textContent.includes('noticed'); })()",
            Duration::from_secs(10),
        )
        .await;
    let focused = driver
        .execute(
            "return document.activeElement && document.activeElement.closest('[data-service]') \
             ? document.activeElement.closest('[data-service]').dataset.service : null;",
            vec![],
        )
        .await;
    assert_eq!(
        focused,
        serde_json::json!("microsoft"),
        "the keyboard is on that card"
    );
    watch.terminate();
    driver.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_switch_writes_and_removes_the_keepers_login_entry() {
    let s = Scenario::new(Family::GitHub, "window-keeper-switch");
    let home = TempDir::new("window-autostart");
    let mut env = s.test.app_env();
    env.push(("XDG_CONFIG_HOME".into(), home.path_str()));
    let driver = Driver::start(&env).await;
    driver
        .wait_until(
            "(() => { const i = document.querySelector('[data-role=\"keeper-switch\"]'); return i && !i.disabled && !i.checked; })()",
            Duration::from_secs(30),
        )
        .await;
    let entry = home.join("autostart/app.authdeck.watch.desktop");
    let switch = driver.find("[data-role=\"keeper-switch\"]").await;
    driver.click(&switch).await;
    wait_until("the entry is written", Duration::from_secs(10), || {
        entry.is_file()
    });
    let text = std::fs::read_to_string(&entry).expect("entry");
    assert!(text.contains("\" watch\n"), "{text}");
    driver
        .wait_until(
            "document.getElementById('keeper-note').textContent.includes('start whenever you log in') \
             || document.getElementById('keeper-note').textContent.includes('next log in')",
            Duration::from_secs(10),
        )
        .await;
    let switch = driver.find("[data-role=\"keeper-switch\"]").await;
    driver.click(&switch).await;
    wait_until("the entry is removed", Duration::from_secs(10), || {
        !entry.exists()
    });
    // The switch also started a keeper now; it is this test's to stop.
    let started = processes("authdeck watch", &home.path_str());
    assert_eq!(started.len(), 1, "turning the switch on started the keeper");
    for pid in started {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
    }
    driver.quit().await;
}
