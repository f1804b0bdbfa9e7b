//! The commands the page may call. Each is a few lines over `core::accounts`
//! and returns a view (never a token); errors cross as `{code, message}`.

use super::views::{
    AppStatusView, DefaultView, IpcError, KeyringView, LogoutView, ServiceView, SetupInfo,
};
use super::{AppState, Notice};
use authdeck_core::accounts::{ConnectEvent, ConnectOptions, State, Which};
use authdeck_core::credentials::Credentials;
use authdeck_core::token::unix_now;
use std::collections::HashMap;
use tauri::{AppHandle, Emitter, Manager, State as Tauri};

type Result<T> = std::result::Result<T, IpcError>;

/// The card for one service as it is now, including any notice left on it.
pub async fn service_view(state: &AppState, id: &str) -> Result<ServiceView> {
    let provider = state.accounts.provider(id)?.clone();
    let mut view = match state.accounts.status(id, unix_now()).await {
        Ok(status) => ServiceView::new(&provider, status),
        Err(e) => ServiceView::unreadable(&provider, card_message(&e)),
    };
    apply_notice(&mut view, state.notice(id));
    Ok(view)
}

/// Puts the last outcome on the card. A failure turns the card into the
/// error state only when there is no working connection to show: a failed
/// "Refresh now" on a token that is still valid keeps the connected card
/// (account, expiry, Log out) and adds the message to it.
fn apply_notice(view: &mut ServiceView, notice: Option<Notice>) {
    let Some(notice) = notice else { return };
    match view.state {
        State::Connecting => {}
        State::Connected | State::NeedsReconnect => view.message = Some(notice.message),
        _ => {
            if notice.is_error {
                view.state = State::Error;
            }
            view.message = Some(notice.message);
        }
    }
}

/// Keyring trouble is explained once, in the banner; each card just points there.
fn card_message(error: &authdeck_core::error::Error) -> String {
    match error {
        authdeck_core::error::Error::Keyring(_) => {
            "Authdeck cannot read this sign-in until your keyring is available (see the message at the top).".to_owned()
        }
        other => other.to_string(),
    }
}

/// Reads the card of `id` as it is now and tells the page, in one step no
/// other change to the page can come between. Without that, a sign-in that
/// finishes within milliseconds could have its "connected" overtaken by the
/// "connecting" read just before it, and the card would wait forever.
pub async fn emit_current(app: &AppHandle, state: &AppState, id: &str) -> Result<ServiceView> {
    let _order = state.emit_order.lock().await;
    let view = service_view(state, id).await?;
    if let Err(e) = app.emit("service-changed", &view) {
        tracing::warn!(error = %e, "could not tell the page about a change");
    }
    Ok(view)
}

#[tauri::command]
pub async fn app_status(state: Tauri<'_, AppState>) -> Result<AppStatusView> {
    let store = state.accounts.store();
    let keyring = match state.prefetch.keyring(store.check()).await {
        Ok(()) => KeyringView {
            ok: true,
            message: None,
        },
        Err(e) => KeyringView {
            ok: false,
            message: Some(e.to_string()),
        },
    };
    Ok(AppStatusView {
        keyring,
        version: env!("CARGO_PKG_VERSION"),
    })
}

#[tauri::command]
pub async fn list_services(state: Tauri<'_, AppState>) -> Result<Vec<ServiceView>> {
    let mut views = Vec::new();
    let statuses = state
        .prefetch
        .statuses(state.accounts.status_each(unix_now()))
        .await;
    for (id, status) in statuses {
        let provider = state.accounts.provider(&id)?.clone();
        let mut view = match status {
            Ok(status) => ServiceView::new(&provider, status),
            Err(e) => ServiceView::unreadable(&provider, card_message(&e)),
        };
        apply_notice(&mut view, state.notice(&id));
        views.push(view);
    }
    Ok(views)
}

enum Progress {
    Url,
    Done(std::result::Result<(), IpcError>),
}

/// Starts a connect and returns as soon as the sign-in link exists (the card
/// shows "connecting"); the outcome arrives later as a `service-changed` event.
#[tauri::command]
pub async fn connect(
    app: AppHandle,
    state: Tauri<'_, AppState>,
    service: String,
    scopes: Option<Vec<String>>,
) -> Result<ServiceView> {
    state.accounts.provider(&service)?;
    if state.accounts.attempt_url(&service).is_some() {
        // A second click on a pending connect starts nothing new.
        return service_view(&state, &service).await;
    }
    state.set_notice(&service, None);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Progress>();
    let url_tx = tx.clone();
    let options = ConnectOptions {
        open_browser: true,
        timeout: state.connect_timeout,
        extra_scopes: scopes.unwrap_or_default(),
        on_event: Box::new(move |event| {
            if let ConnectEvent::Url(_) = event {
                let _ = url_tx.send(Progress::Url);
            }
        }),
    };
    let task_app = app.clone();
    let id = service.clone();
    tauri::async_runtime::spawn(async move {
        let state = task_app.state::<AppState>();
        let result = state.accounts.connect(&id, options).await;
        let outcome = match &result {
            Ok(_) => Ok(()),
            Err(e) => {
                state.set_notice(&id, Some(Notice::from(e)));
                Err(IpcError {
                    code: e.code(),
                    message: e.to_string(),
                })
            }
        };
        let _ = emit_current(&task_app, &state, &id).await;
        let _ = tx.send(Progress::Done(outcome));
    });
    match rx.recv().await {
        Some(Progress::Url) | Some(Progress::Done(Ok(()))) | None => {
            let view = emit_current(&app, &state, &service).await?;
            Ok(view)
        }
        // It ended before a link existed (not set up, port in use…): the card
        // carries the message, so it is shown once, on the card.
        Some(Progress::Done(Err(_))) => service_view(&state, &service).await,
    }
}

#[tauri::command]
pub async fn cancel_connect(state: Tauri<'_, AppState>, service: String) -> Result<ServiceView> {
    state.accounts.provider(&service)?;
    state.accounts.cancel(&service);
    // The attempt ends on its own task, which emits the final view.
    service_view(&state, &service).await
}

#[tauri::command]
pub async fn logout(
    app: AppHandle,
    state: Tauri<'_, AppState>,
    service: String,
    account: Option<String>,
) -> Result<LogoutView> {
    let which = match account.as_deref() {
        Some(name) => Which::Account(name),
        None => Which::Only,
    };
    let outcomes = state.accounts.logout(&service, which).await?;
    state.set_notice(&service, None);
    let view = emit_current(&app, &state, &service).await?;
    let revoked = outcomes
        .iter()
        .all(|o| o.revocation == authdeck_core::accounts::Revocation::Revoked);
    let message = outcomes
        .into_iter()
        .map(|o| o.message)
        .collect::<Vec<_>>()
        .join(" ");
    Ok(LogoutView {
        revoked,
        message,
        view,
    })
}

#[tauri::command]
pub async fn refresh(
    app: AppHandle,
    state: Tauri<'_, AppState>,
    service: String,
    account: Option<String>,
) -> Result<ServiceView> {
    let result = state.accounts.refresh(&service, account.as_deref()).await;
    match &result {
        Ok(_) => state.set_notice(&service, None),
        Err(e) if e.code() == "needs_reconnect" => state.set_notice(&service, None),
        Err(e) => state.set_notice(&service, Some(Notice::from(e))),
    }
    let view = emit_current(&app, &state, &service).await?;
    Ok(view)
}

/// Makes `account` the service's default: the one scripts get when they
/// name none. Answers with the card and a sentence saying so.
#[tauri::command]
pub async fn make_default(
    app: AppHandle,
    state: Tauri<'_, AppState>,
    service: String,
    account: String,
) -> Result<DefaultView> {
    let label = state.accounts.switch(&service, &account).await?;
    state.set_notice(&service, None);
    let view = emit_current(&app, &state, &service).await?;
    let message = format!("{label} is now your default {} account.", view.name);
    Ok(DefaultView { view, message })
}

#[tauri::command]
pub async fn setup_info(state: Tauri<'_, AppState>, service: String) -> Result<SetupInfo> {
    let provider = state.accounts.provider(&service)?.clone();
    let saved = state.accounts.saved_client(&service).await?;
    let creds = Credentials::resolve(&provider, &saved, state.accounts.env());
    Ok(SetupInfo::new(&provider, &saved, &creds))
}

/// One plain sentence when a value typed into the setup form does not look
/// like what the service issues (a secret in the ID field, a stray space);
/// `None` when it looks right. Nothing is saved.
#[tauri::command]
pub async fn check_setup_value(
    state: Tauri<'_, AppState>,
    service: String,
    key: String,
    value: String,
) -> Result<Option<String>> {
    let provider = state.accounts.provider(&service)?;
    Ok(authdeck_core::setup::Field::from_key(&key)
        .and_then(|field| authdeck_core::setup::check(provider, field, &value)))
}

#[tauri::command]
pub async fn save_setup(
    app: AppHandle,
    state: Tauri<'_, AppState>,
    service: String,
    values: HashMap<String, String>,
) -> Result<ServiceView> {
    // An empty field means "leave unchanged": the form never shows saved secrets.
    let take = |key: &str| {
        values
            .get(key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    state
        .accounts
        .save_client(
            &service,
            take("client_id"),
            take("client_secret"),
            take("account_id"),
        )
        .await?;
    state.set_notice(&service, None);
    let view = emit_current(&app, &state, &service).await?;
    Ok(view)
}

/// The card the window was opened at, once (then `None`).
#[tauri::command]
pub fn take_start_card(state: Tauri<'_, AppState>) -> Option<String> {
    state
        .start_card
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
}

#[derive(serde::Serialize)]
pub struct KeeperView {
    /// Whether the keeper starts at login.
    autostart: bool,
    message: Option<String>,
}

#[tauri::command]
pub fn keeper_status() -> KeeperView {
    KeeperView {
        autostart: authdeck_core::autostart::is_installed(),
        message: None,
    }
}

#[tauri::command]
pub fn set_keeper(on: bool) -> Result<KeeperView> {
    let message = super::keeper_switch::set(on).map_err(|message| IpcError {
        code: "keeper_error",
        message,
    })?;
    Ok(KeeperView {
        autostart: authdeck_core::autostart::is_installed(),
        message: Some(message),
    })
}
