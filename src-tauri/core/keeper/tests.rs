//! The keeper's rules in milliseconds: the engine on an in-memory store and a
//! canned transport. `tests/watch.rs`, `tests/notifications.rs` and
//! `tests/keeper_window.rs` prove the same with real processes.

use super::{Cause, Keeper};
use crate::accounts::Accounts;
use crate::catalog::Catalog;
use crate::credentials::Env;
use crate::secret::{AccessToken, RefreshToken};
use crate::store::{Memory, Store};
use crate::token::{unix_now, Method, TokenSet};
use crate::transport::Canned;
use std::path::Path;
use std::sync::Arc;

const ROTATED: &str = r#"{"access_token":"at2","refresh_token":"rt2","expires_in":3600}"#;

struct Rig {
    canned: Arc<Canned>,
    keeper: Keeper,
    accounts: Arc<Accounts>,
    dir: std::path::PathBuf,
}

impl Drop for Rig {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Zoom with one account whose set ends in `expires_in` seconds and was
/// obtained `age` seconds ago.
async fn rig(name: &str, expires_in: i64, age: u64) -> Rig {
    let dir = std::env::temp_dir().join(format!(
        "authdeck-keeper-{name}-{}-{}",
        std::process::id(),
        unix_now()
    ));
    let catalog = Catalog::from_toml_str(
        Path::new("/x/providers.toml"),
        "[zoom]\ntoken_url = \"https://zoom.example/oauth/token\"\n",
    );
    let memory = Arc::new(Memory::default());
    let canned = Arc::new(Canned::new());
    let env = Env::from_pairs([("ZOOM_CLIENT_ID", "id"), ("ZOOM_CLIENT_SECRET", "secret")]);
    let accounts = Arc::new(
        Accounts::new(catalog, Store::on(memory), canned.clone(), env, dir.clone())
            .expect("engine"),
    );
    let now = unix_now();
    let set = TokenSet {
        access_token: AccessToken::new("at1"),
        refresh_token: Some(RefreshToken::new("rt1")),
        token_type: "bearer".into(),
        expires_at: Some(now.saturating_add_signed(expires_in)),
        scopes: vec!["recording:read".into()],
        requested_scopes: Vec::new(),
        method: Method::OauthPkce,
        account: Some("ada@example.com".into()),
        obtained_at: now - age,
        refreshed_at: None,
        needs_reconnect: None,
    };
    accounts
        .store()
        .save_token("zoom", &set)
        .await
        .expect("save");
    Rig {
        canned,
        keeper: Keeper::new(accounts.clone()),
        accounts,
        dir,
    }
}

#[tokio::test]
async fn a_connection_unused_for_a_day_is_renewed_once_then_left_alone() {
    let mut rig = rig("unused", 30 * 86_400, 2 * 86_400).await;
    rig.canned.answer(200, ROTATED);
    let now = unix_now();
    let pass = rig.keeper.pass(now).await.expect("pass");
    assert_eq!(
        pass.renewed,
        vec![("zoom".to_owned(), "ada@example.com".to_owned())]
    );
    assert_eq!(rig.canned.sent().len(), 1);
    let pass = rig.keeper.pass(now + 60).await.expect("pass");
    assert!(pass.renewed.is_empty());
    assert_eq!(rig.canned.sent().len(), 1, "renewed at most daily");
}

#[tokio::test]
async fn a_recent_connection_far_from_expiry_is_not_touched() {
    let mut rig = rig("quiet", 30 * 86_400, 3_600).await;
    let pass = rig.keeper.pass(unix_now()).await.expect("pass");
    assert!(pass.renewed.is_empty() && pass.tell.is_empty());
    assert!(rig.canned.sent().is_empty());
}

#[tokio::test]
async fn with_the_network_gone_it_backs_off_and_tells_only_after_an_hour() {
    let mut rig = rig("offline", 90, 3_600).await;
    let now = unix_now();
    for _ in 0..8 {
        rig.canned.lose();
    }
    let pass = rig.keeper.pass(now).await.expect("pass");
    assert!(
        pass.tell.is_empty(),
        "one failure is not worth a notification"
    );
    assert_eq!(rig.canned.sent().len(), 1);
    // Passes a minute apart meanwhile: skipped while backing off.
    rig.keeper.pass(now + 30).await.expect("pass");
    assert_eq!(rig.canned.sent().len(), 1, "no storm of requests");
    rig.keeper.pass(now + 61).await.expect("pass");
    assert_eq!(rig.canned.sent().len(), 2, "tried again after the back-off");
    // Still failing an hour after the first failure: told, once.
    let pass = rig.keeper.pass(now + 3_700).await.expect("pass");
    assert_eq!(pass.tell.len(), 1);
    assert!(matches!(pass.tell[0].cause, Cause::Failing { since } if since == now));
    let pass = rig.keeper.pass(now + 3_700 + 1_900).await.expect("pass");
    assert!(pass.tell.is_empty(), "still failing is the same cause");
    // The findings are what status shows on the card.
    let status = rig.accounts.status("zoom", now).await.expect("status");
    assert!(status.accounts[0].attention.is_some());
}

#[tokio::test]
async fn a_refused_sign_in_is_told_once_and_not_retried() {
    let mut rig = rig("refused", 90, 3_600).await;
    rig.canned.answer(400, r#"{"error":"invalid_grant"}"#);
    let now = unix_now();
    let pass = rig.keeper.pass(now).await.expect("pass");
    assert_eq!(pass.tell.len(), 1);
    assert_eq!(pass.tell[0].cause, Cause::NeedsReconnect);
    assert_eq!(pass.tell[0].account, "ada@example.com");
    let pass = rig.keeper.pass(now + 60).await.expect("pass");
    assert!(pass.tell.is_empty());
    assert_eq!(
        rig.canned.sent().len(),
        1,
        "a refused refresh token is not sent again"
    );
}

#[tokio::test]
async fn after_a_long_sleep_the_first_pass_catches_up() {
    // A laptop suspended past the expiry: the wall clock says the token is
    // overdue, and the first pass after resume renews it.
    let mut rig = rig("resume", -600, 7_200).await;
    rig.canned.answer(200, ROTATED);
    let pass = rig.keeper.pass(unix_now()).await.expect("pass");
    assert_eq!(pass.renewed.len(), 1);
}
