//! Generates the Tauri context and one `allow-<command>` permission per app
//! command, so the window's capability grants exactly these and nothing else;
//! and bakes the distributor's presets (`AUTHDECK_PRESETS=FILE`) into the
//! binaries, so a package works with no file in `/etc`.

const COMMANDS: &[&str] = &[
    "app_status",
    "list_services",
    "connect",
    "cancel_connect",
    "logout",
    "refresh",
    "setup_info",
    "save_setup",
    "check_setup_value",
];

fn main() {
    bake_presets();
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri build step failed: {e:#}");
    }
}

/// Copies `$AUTHDECK_PRESETS` (a providers.toml of client IDs) to
/// `$OUT_DIR/presets.toml`, which the catalog includes; empty when unset.
fn bake_presets() {
    println!("cargo:rerun-if-env-changed=AUTHDECK_PRESETS");
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let text = match std::env::var_os("AUTHDECK_PRESETS").filter(|v| !v.is_empty()) {
        Some(file) => {
            let file = std::path::PathBuf::from(file);
            println!("cargo:rerun-if-changed={}", file.display());
            match std::fs::read_to_string(&file) {
                Ok(text) => text,
                Err(e) => panic!(
                    "AUTHDECK_PRESETS names {}, which cannot be read ({e}); point it at a \
                     providers.toml with the client IDs to bake in",
                    file.display()
                ),
            }
        }
        None => String::new(),
    };
    if let Err(e) = std::fs::write(out.join("presets.toml"), text) {
        panic!("could not write the baked presets into OUT_DIR ({e})");
    }
}
