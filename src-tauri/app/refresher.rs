//! Renews tokens in the background, well before they expire, and tells the
//! page. Also notices when the keyring becomes unreachable or comes back.

use super::commands::emit_current;
use super::views::KeyringView;
use super::AppState;
use authdeck_core::token::{unix_now, Method};
use std::time::Duration;
use tauri::{AppHandle, Emitter, Manager};

/// How often the schedule is checked. Refreshes are due minutes ahead of
/// expiry (see `TokenSet::refresh_due_at`), so this only bounds the delay.
const TICK: Duration = Duration::from_secs(20);

/// The first pass waits until the page has drawn its cards: tokens are due
/// minutes ahead of expiry, so a short wait costs nothing, while keyring
/// reads at startup would slow the first paint.
const FIRST_PASS_DELAY: Duration = Duration::from_secs(3);

pub fn start(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(FIRST_PASS_DELAY).await;
        let mut keyring_ok = true;
        loop {
            let state = app.state::<AppState>();
            let ok = match state.accounts.store().check().await {
                Ok(()) => true,
                Err(e) => {
                    if keyring_ok {
                        let _ = app.emit(
                            "keyring-status",
                            KeyringView {
                                ok: false,
                                message: Some(e.to_string()),
                            },
                        );
                    }
                    false
                }
            };
            if ok && !keyring_ok {
                let _ = app.emit(
                    "keyring-status",
                    KeyringView {
                        ok: true,
                        message: None,
                    },
                );
            }
            keyring_ok = ok;
            if ok {
                refresh_due(&app, &state).await;
            }
            tokio::time::sleep(TICK).await;
        }
    });
}

async fn refresh_due(app: &AppHandle, state: &AppState) {
    let ids = state.accounts.catalog().ids();
    for id in ids {
        match state.accounts.refresh_if_due(&id, unix_now()).await {
            Ok(outcomes) if outcomes.is_empty() => continue,
            Ok(outcomes) => {
                for (account, outcome) in outcomes {
                    match outcome {
                        // Another process (the CLI) renewed it meanwhile: just show it.
                        Ok(served) if served.method == Method::SavedToken => {}
                        Ok(_) => {
                            tracing::info!(service = %id, %account, "refreshed in the background")
                        }
                        Err(e) => {
                            tracing::warn!(service = %id, %account, error = %e, "background refresh failed")
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(service = %id, error = %e, "background refresh failed"),
        }
        let _ = emit_current(app, state, &id).await;
    }
}
