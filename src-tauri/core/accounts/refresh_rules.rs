//! The refresh rules in milliseconds: the engine on an in-memory store and a
//! canned transport. The same rules are proven against the real Secret Service,
//! loopback fakes and real processes in `tests/` (cli_engine, concurrency,
//! security, keyring_faults, crash); these say exactly which rule broke.

use std::path::Path;
use std::sync::Arc;

use super::Accounts;
use crate::catalog::Catalog;
use crate::credentials::Env;
use crate::error::Error;
use crate::secret::{AccessToken, RefreshToken};
use crate::store::{token_item, Memory, Store};
use crate::token::{unix_now, Method, TokenSet};
use crate::transport::Canned;

/// Zoom, whose refresh tokens rotate and die at once when used.
const SERVICE: &str = "zoom";

struct Rig {
    memory: Arc<Memory>,
    canned: Arc<Canned>,
    accounts: Accounts,
    /// Lock files live here; removed on drop.
    dir: std::path::PathBuf,
}

impl Drop for Rig {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn rig(name: &str) -> Rig {
    let dir = std::env::temp_dir().join(format!(
        "authdeck-rules-{name}-{}-{}",
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
    let accounts = Accounts::new(
        catalog,
        Store::on(memory.clone()),
        canned.clone(),
        env,
        dir.clone(),
    )
    .expect("engine");
    Rig {
        memory,
        canned,
        accounts,
        dir,
    }
}

fn set(access: &str, refresh: &str, expires_in: i64) -> TokenSet {
    let now = unix_now();
    TokenSet {
        access_token: AccessToken::new(access),
        refresh_token: Some(RefreshToken::new(refresh)),
        token_type: "bearer".into(),
        expires_at: Some(now.saturating_add_signed(expires_in)),
        scopes: vec!["recording:read".into()],
        requested_scopes: Vec::new(),
        method: Method::OauthPkce,
        account: Some("ada@example.com".into()),
        obtained_at: now.saturating_sub(3_600),
        refreshed_at: None,
        needs_reconnect: None,
    }
}

/// The record's text as the store writes it.
async fn record_text(set: &TokenSet) -> String {
    let scratch = Arc::new(Memory::default());
    Store::on(scratch.clone())
        .save_token(SERVICE, set)
        .await
        .expect("save");
    scratch.text(&token_item(SERVICE)).expect("written")
}

async fn saved(rig: &Rig) -> TokenSet {
    rig.accounts
        .store()
        .load_token(SERVICE)
        .await
        .expect("load")
        .expect("a record")
}

const ROTATED: &str = r#"{"access_token":"at2","refresh_token":"rt2","expires_in":3600}"#;

#[tokio::test]
async fn another_processs_rotation_is_seen_under_the_lock_and_nothing_is_sent() {
    let rig = rig("elsewhere");
    let expired = set("at1", "rt1", -10);
    rig.memory
        .put(&token_item(SERVICE), record_text(&expired).await);
    // Between this call's first read and its read under the lock, another
    // process refreshes and saves its rotated set.
    let rotated = set("at-other", "rt-other", 3_600);
    rig.memory.on_reads(
        &token_item(SERVICE),
        vec![None, Some(record_text(&rotated).await)],
    );
    let served = rig
        .accounts
        .token(SERVICE, unix_now())
        .await
        .expect("token");
    assert_eq!(served.access_token.secret(), "at-other");
    assert!(
        rig.canned.sent().is_empty(),
        "the dead refresh token must not be sent"
    );
}

#[tokio::test]
async fn a_lost_refresh_answer_is_not_replayed() {
    let rig = rig("lost");
    rig.memory.put(
        &token_item(SERVICE),
        record_text(&set("at1", "rt1", -10)).await,
    );
    rig.canned.lose();
    let first = rig.accounts.token(SERVICE, unix_now()).await;
    assert!(matches!(first, Err(Error::Network { .. })), "{first:?}");
    assert_eq!(rig.canned.sent().len(), 1, "sent once, never retried");
    let kept = saved(&rig).await;
    assert_eq!(kept.refresh_token.expect("kept").secret(), "rt1");
    assert!(kept.needs_reconnect.is_none());
}

#[tokio::test]
async fn invalid_grant_marks_needs_reconnect_and_keeps_the_record() {
    let rig = rig("invalid-grant");
    rig.memory.put(
        &token_item(SERVICE),
        record_text(&set("at1", "rt1", -10)).await,
    );
    rig.canned.answer(400, r#"{"error":"invalid_grant"}"#);
    let refused = rig.accounts.token(SERVICE, unix_now()).await;
    assert!(
        matches!(refused, Err(Error::NeedsReconnect { .. })),
        "{refused:?}"
    );
    let kept = saved(&rig).await;
    assert!(kept.needs_reconnect.is_some(), "marked, not deleted");
    assert_eq!(kept.refresh_token.expect("kept").secret(), "rt1");
    // Asked again: the dead token is not sent a second time.
    let again = rig.accounts.token(SERVICE, unix_now()).await;
    assert!(matches!(again, Err(Error::NeedsReconnect { .. })));
    assert_eq!(rig.canned.sent().len(), 1);
}

#[tokio::test]
async fn the_rotated_set_is_saved_before_it_is_handed_out() {
    let rig = rig("save-first");
    rig.memory.put(
        &token_item(SERVICE),
        record_text(&set("at1", "rt1", -10)).await,
    );
    rig.canned.answer(200, ROTATED);
    let served = rig
        .accounts
        .token(SERVICE, unix_now())
        .await
        .expect("token");
    assert_eq!(served.access_token.secret(), "at2");
    let sent = rig.canned.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].2.as_deref(), Some("rt1"));
    let now_saved = saved(&rig).await;
    assert_eq!(now_saved.access_token.secret(), "at2");
    assert_eq!(now_saved.refresh_token.expect("rotated").secret(), "rt2");
    assert_eq!(now_saved.account.as_deref(), Some("ada@example.com"));
}

#[tokio::test]
async fn a_failed_save_hands_out_nothing_and_keeps_the_old_set() {
    let rig = rig("save-fails");
    let old = record_text(&set("at1", "rt1", -10)).await;
    rig.memory.put(&token_item(SERVICE), old.clone());
    rig.memory.fail_writes(true);
    rig.canned.answer(200, ROTATED);
    let result = rig.accounts.token(SERVICE, unix_now()).await;
    assert!(
        matches!(result, Err(Error::SaveFailed { .. })),
        "{result:?}"
    );
    assert_eq!(
        rig.memory.text(&token_item(SERVICE)).as_deref(),
        Some(old.as_str()),
        "the old set is untouched"
    );
}

#[tokio::test]
async fn a_fresh_token_is_served_without_a_request() {
    let rig = rig("fresh");
    rig.memory.put(
        &token_item(SERVICE),
        record_text(&set("at1", "rt1", 3_600)).await,
    );
    let served = rig
        .accounts
        .token(SERVICE, unix_now())
        .await
        .expect("token");
    assert_eq!(served.access_token.secret(), "at1");
    assert!(rig.canned.sent().is_empty());
}

#[tokio::test]
async fn refreshing_one_account_never_touches_anothers_record() {
    let rig = rig("two-accounts");
    let ada = set("at-ada", "rt-ada", 3_600);
    let mut bob = set("at-bob", "rt-bob", -10);
    bob.account = Some("bob@example.com".into());
    let bob_key = format!("{SERVICE}/bob@example.com");
    rig.memory
        .put(&token_item(SERVICE), record_text(&ada).await);
    rig.memory.put(&token_item(&bob_key), {
        let scratch = Arc::new(Memory::default());
        Store::on(scratch.clone())
            .save_token(&bob_key, &bob)
            .await
            .expect("save");
        scratch.text(&token_item(&bob_key)).expect("written")
    });
    let mut roster = crate::roster::Roster::single(SERVICE, ada.account.clone());
    roster.add(crate::roster::Entry {
        account: bob.account.clone(),
        key: bob_key.clone(),
    });
    rig.accounts
        .store()
        .save_roster(SERVICE, &roster)
        .await
        .expect("roster");
    let ada_before = rig.memory.text(&token_item(SERVICE));

    rig.canned.answer(200, ROTATED);
    let served = rig
        .accounts
        .token_valid_for(SERVICE, Some("Bob@Example.com"), unix_now(), 60)
        .await
        .expect("bob's token");
    assert_eq!(served.access_token.secret(), "at2");
    let sent = rig.canned.sent();
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0].2.as_deref().is_some_and(|b| b.contains("rt-bob")),
        "{sent:?}"
    );
    assert_eq!(
        rig.memory.text(&token_item(SERVICE)),
        ada_before,
        "Ada untouched"
    );
    let default = rig.accounts.token(SERVICE, unix_now()).await.expect("ada");
    assert_eq!(
        default.access_token.secret(),
        "at-ada",
        "the default is still Ada"
    );
}
