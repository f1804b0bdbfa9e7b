//! Bakes the distributor's presets (`AUTHDECK_PRESETS=FILE`, a providers.toml of
//! client IDs) into the engine, so a package works with no file in `/etc`.

fn main() {
    bake_presets();
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
