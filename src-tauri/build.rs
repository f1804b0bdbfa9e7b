//! Generates the Tauri context and one `allow-<command>` permission per app
//! command, so the window's capability grants exactly these and nothing else.

const COMMANDS: &[&str] = &[
    "app_status",
    "list_services",
    "connect",
    "cancel_connect",
    "logout",
    "refresh",
    "make_default",
    "setup_info",
    "save_setup",
    "check_setup_value",
    "take_start_card",
    "keeper_status",
    "set_keeper",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri build step failed: {e:#}");
    }
}
