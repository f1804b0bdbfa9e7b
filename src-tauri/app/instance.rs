//! One window per person. Opening Authdeck while its window is open (from the
//! menu, `authdeck`, or a notification's Reconnect, which runs
//! `authdeck-app --card SERVICE`) brings that window to the front, at the card
//! asked for, through Tauri's single-instance plugin (a D-Bus name on Linux).
//!
//! "Per person" means per Authdeck profile: the bus name carries a hash of
//! the config dir and keyring service when they are not the defaults, so a
//! second profile (`AUTHDECK_CONFIG_DIR`, as the tests use) has a window of
//! its own, and the keeper, started with the same settings, reaches the right one.

use tauri::{AppHandle, Emitter, Manager};

/// The card named by `--card SERVICE` among a process's arguments.
pub fn card_from_args(args: &[String]) -> Option<String> {
    let at = args.iter().position(|a| a == "--card")?;
    let id = args.get(at + 1)?;
    // Only a plain service id reaches the page.
    let plain = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    plain.then(|| id.clone())
}

/// The plugin's D-Bus id for this profile.
pub fn dbus_id(identifier: &str, config_dir: &std::path::Path, keyring: &str) -> String {
    match authdeck_core::paths::profile_tag(config_dir, keyring) {
        None => identifier.to_owned(),
        // A bus name element must not start with a digit.
        Some(tag) => format!("{identifier}.p{tag}"),
    }
}

/// What the running window does when Authdeck is opened again.
pub fn on_second_start(app: &AppHandle, args: Vec<String>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
    let Some(card) = card_from_args(&args) else {
        return;
    };
    let app = app.clone();
    // The card is read afresh first: what brought the person here (the
    // keeper's finding) may be newer than what the page shows.
    tauri::async_runtime::spawn(async move {
        let state = app.state::<super::AppState>();
        let _ = super::commands::emit_current(&app, &state, &card).await;
        if let Err(e) = app.emit("show-card", card) {
            tracing::warn!(error = %e, "could not show the card asked for");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn only_a_plain_service_id_is_taken_from_the_arguments() {
        assert_eq!(
            card_from_args(&args(&["authdeck-app", "--card", "github"])),
            Some("github".into())
        );
        assert_eq!(card_from_args(&args(&["authdeck-app"])), None);
        assert_eq!(card_from_args(&args(&["authdeck-app", "--card"])), None);
        assert_eq!(
            card_from_args(&args(&["authdeck-app", "--card", "<img src=x>"])),
            None
        );
    }

    #[test]
    fn another_profile_gets_another_bus_name() {
        let id = "app.authdeck.desktop";
        let a = dbus_id(id, std::path::Path::new("/tmp/a"), "authdeck-test-1");
        let b = dbus_id(id, std::path::Path::new("/tmp/b"), "authdeck-test-1");
        assert_ne!(a, b);
        assert!(a.starts_with("app.authdeck.desktop.p"));
        assert!(a
            .split('.')
            .all(|part| part.chars().next().is_some_and(|c| !c.is_ascii_digit())));
    }
}
