//! The keeper, the window and a script, all at once on expiring tokens of a
//! service that rotates its refresh tokens: exactly one refresh per expiry,
//! and nothing lost (a second refresh with a used refresh token would log
//! the person out at Microsoft). The per-account lock is what guarantees it;
//! this proves it with the three real processes.

use authdeck_test_support::cli::authdeck;
use authdeck_test_support::fake_provider::Family;
use authdeck_test_support::scenario::Scenario;
use authdeck_test_support::secret_tool;
use authdeck_test_support::watch::{wait_until, Watch};
use authdeck_test_support::webdriver::Driver;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Makes the saved set due: it ends in 90 s (inside every refresher's lead).
fn make_due(s: &Scenario) {
    let mut record = s.record().expect("record");
    record["expires_at"] = serde_json::json!(authdeck_core::token::unix_now() + 90);
    secret_tool::store_token(&s.test.keyring_service, s.id, &record);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keeper_window_and_a_script_on_expiring_tokens_make_one_refresh_per_expiry() {
    let s = Scenario::new(Family::Microsoft, "keeper-window");
    s.plant(90, &["User.Read", "offline_access"]);
    let env = s.env();
    let driver = Driver::start(&env).await;

    // A script asking for the token all the while.
    let stop = Arc::new(AtomicBool::new(false));
    let script = std::thread::spawn({
        let (stop, env) = (stop.clone(), env.clone());
        move || {
            let mut tokens = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                let out = authdeck(&["token", "microsoft"]).envs(env.clone()).run();
                out.assert_success();
                tokens.push(out.stdout.trim().to_owned());
            }
            tokens
        }
    });
    let mut watch = Watch::start(&s, &[]);

    for expiry in 1..=2 {
        wait_until("the due token is renewed", Duration::from_secs(30), || {
            s.fake.refresh_count() >= expiry
        });
        // Every refresher has had its chance (the window checks every 20 s,
        // the keeper every second, the script keeps asking).
        tokio::time::sleep(Duration::from_secs(4)).await;
        assert_eq!(
            s.fake.refresh_count(),
            expiry,
            "one refresh for expiry {expiry}"
        );
        let record = s.record().expect("record");
        let refresh = record["refresh_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            s.fake.live_refresh_tokens().contains(&refresh),
            "the saved refresh token is the live one"
        );
        make_due(&s);
    }
    stop.store(true, Ordering::SeqCst);
    let tokens = script.join().expect("script");
    assert!(
        tokens.len() > 3,
        "the script ran throughout: {}",
        tokens.len()
    );
    let last = tokens.last().cloned().unwrap_or_default();
    let out = authdeck(&["token", "microsoft"]).envs(env.clone()).run();
    out.assert_success();
    assert!(
        s.fake
            .valid_access_tokens()
            .contains(&out.stdout.trim().to_owned()),
        "the token handed out at the end works"
    );
    let _ = last;
    watch.terminate();
    driver.quit().await;
}
