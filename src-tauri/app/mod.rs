//! The Tauri layer: thin commands over `core::accounts`, returning views
//! without secrets (`commands`, `views`); events telling the page what
//! changed; the keyring read begun at launch (`prefetch`); the background
//! refresher; the window's remembered size.

mod commands;
mod instance;
mod keeper_switch;
mod prefetch;
mod refresher;
pub mod views;
mod window_size;

use authdeck_core::accounts::{Accounts, DEFAULT_CONNECT_TIMEOUT};
use authdeck_core::error::Error;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tauri::Manager;

pub use commands::service_view;

/// Shared by every command and the refresher.
pub struct AppState {
    /// Arc: spawned connect tasks and the refresher outlive a command call.
    pub accounts: Arc<Accounts>,
    pub connect_timeout: Duration,
    pub config_dir: PathBuf,
    /// The last outcome per service ("Sign-in timed out…"), shown on its card
    /// until the next action on it. A std Mutex: never held across an await.
    pub notices: Mutex<HashMap<String, Notice>>,
    /// The keyring reads started at launch, for the page's first requests.
    pub prefetch: prefetch::Prefetch,
    /// Held while a card is read and sent to the page (`emit_current`), so
    /// the page gets the cards in the order the changes happened.
    pub emit_order: tokio::sync::Mutex<()>,
    /// The card the window was opened at (`--card SERVICE`), until the page asks.
    pub start_card: Mutex<Option<String>>,
}

/// A message left on a card after an attempt ended.
#[derive(Clone, Debug)]
pub struct Notice {
    pub message: String,
    /// Something went wrong (the card shows the `error` state), as opposed
    /// to an ordinary ending such as a cancel or a "no" in the browser.
    pub is_error: bool,
}

impl AppState {
    pub fn set_notice(&self, id: &str, notice: Option<Notice>) {
        let mut notices = self.notices.lock().unwrap_or_else(|p| p.into_inner());
        match notice {
            Some(n) => notices.insert(id.to_owned(), n),
            None => notices.remove(id),
        };
    }

    pub fn notice(&self, id: &str) -> Option<Notice> {
        let notices = self.notices.lock().unwrap_or_else(|p| p.into_inner());
        notices.get(id).cloned()
    }
}

/// Opens the dashboard. Exits with a one-line explanation where no window can open.
pub fn run() {
    authdeck_core::logging::init();
    if let Some(why) = no_display_reason() {
        eprintln!("{why}");
        std::process::exit(1);
    }
    let accounts = match Accounts::from_environment() {
        Ok(accounts) => Arc::new(accounts),
        Err(e) => {
            eprintln!("authdeck: {e}");
            std::process::exit(1);
        }
    };
    let connect_timeout = std::env::var("AUTHDECK_CONNECT_TIMEOUT")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| (1..=3600).contains(s))
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    // Before WebKit starts: the keyring read runs while the page loads.
    let prefetch = prefetch::Prefetch::start(&accounts);
    let config_dir = authdeck_core::paths::config_dir();
    let args: Vec<String> = std::env::args().collect();
    let single_instance = tauri_plugin_single_instance::Builder::new()
        .dbus_id(instance::dbus_id(
            "app.authdeck.desktop",
            &config_dir,
            &authdeck_core::store::service_name_from_env(),
        ))
        .callback(|app, argv, _cwd| instance::on_second_start(app, argv))
        .build();
    let state = AppState {
        start_card: Mutex::new(instance::card_from_args(&args)),
        prefetch,
        accounts,
        connect_timeout,
        config_dir: config_dir.clone(),
        notices: Mutex::new(HashMap::new()),
        emit_order: tokio::sync::Mutex::new(()),
    };

    let result = tauri::Builder::default()
        // First, so a second start hands over before anything else starts.
        .plugin(single_instance)
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            commands::app_status,
            commands::list_services,
            commands::connect,
            commands::cancel_connect,
            commands::logout,
            commands::refresh,
            commands::make_default,
            commands::setup_info,
            commands::save_setup,
            commands::check_setup_value,
            commands::take_start_card,
            commands::keeper_status,
            commands::set_keeper,
        ])
        .setup(move |app| {
            if let Some(window) = app.get_webview_window("main") {
                if let Some(size) = window_size::load(&config_dir) {
                    let _ = window.set_size(tauri::LogicalSize::new(size.width, size.height));
                }
                let (window_for_events, dir) = (window.clone(), config_dir.clone());
                window.on_window_event(move |event| {
                    if let tauri::WindowEvent::CloseRequested { .. } = event {
                        remember_size(&window_for_events, &dir);
                    }
                });
            }
            refresher::start(app.handle().clone());
            Ok(())
        })
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("authdeck: the window could not start: {e}");
        std::process::exit(1);
    }
}

fn remember_size(window: &tauri::WebviewWindow, dir: &std::path::Path) {
    let (Ok(size), Ok(scale)) = (window.inner_size(), window.scale_factor()) else {
        return;
    };
    let logical = size.to_logical::<f64>(scale);
    window_size::save(
        dir,
        window_size::WindowSize {
            width: logical.width,
            height: logical.height,
        },
    );
}

/// On Linux and the BSDs a window needs X11 or Wayland.
fn no_display_reason() -> Option<&'static str> {
    if !cfg!(any(
        target_os = "linux",
        target_os = "freebsd",
        target_os = "openbsd",
        target_os = "netbsd"
    )) {
        return None;
    }
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if set("DISPLAY") || set("WAYLAND_DISPLAY") {
        return None;
    }
    Some("No display found: Authdeck is a desktop app. Run it inside a desktop session, or headless with: xvfb-run -a authdeck (the command-line tools, e.g. `authdeck status`, work without a display).")
}

impl From<&Error> for Notice {
    fn from(e: &Error) -> Self {
        let ordinary = matches!(e.code(), "cancelled" | "denied" | "timed_out");
        Notice {
            message: e.to_string(),
            is_error: !ordinary,
        }
    }
}
