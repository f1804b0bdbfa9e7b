//! Hello-world Tauri 2 window: the baseline Authdeck's cold start and memory
//! are compared with (scripts/bench.sh).
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    if let Err(e) = tauri::Builder::default().run(tauri::generate_context!()) {
        eprintln!("hello: the window could not start: {e}");
        std::process::exit(1);
    }
}
