//! Remembers the window's size between runs, in `window.json` in the config dir.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowSize {
    pub width: f64,
    pub height: f64,
}

impl WindowSize {
    /// Sizes outside what a screen can show are ignored, so a corrupt file
    /// never opens an invisible window.
    fn is_sane(&self) -> bool {
        (400.0..=10_000.0).contains(&self.width) && (300.0..=10_000.0).contains(&self.height)
    }
}

fn file(config_dir: &Path) -> PathBuf {
    config_dir.join("window.json")
}

pub fn load(config_dir: &Path) -> Option<WindowSize> {
    let text = std::fs::read_to_string(file(config_dir)).ok()?;
    serde_json::from_str::<WindowSize>(&text)
        .ok()
        .filter(WindowSize::is_sane)
}

pub fn save(config_dir: &Path, size: WindowSize) {
    if !size.is_sane() {
        return;
    }
    let result = std::fs::create_dir_all(config_dir).and_then(|()| {
        let text = serde_json::to_string(&size).unwrap_or_default();
        std::fs::write(file(config_dir), text)
    });
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not remember the window size");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_round_trips_and_nonsense_is_ignored() {
        let dir = std::env::temp_dir().join(format!("authdeck-window-{}", std::process::id()));
        save(
            &dir,
            WindowSize {
                width: 900.0,
                height: 650.0,
            },
        );
        assert_eq!(
            load(&dir),
            Some(WindowSize {
                width: 900.0,
                height: 650.0
            })
        );
        std::fs::write(dir.join("window.json"), r#"{"width":1,"height":-5}"#).unwrap();
        assert_eq!(load(&dir), None);
        std::fs::write(dir.join("window.json"), "garbage").unwrap();
        assert_eq!(load(&dir), None);
        let _ = std::fs::remove_dir_all(dir);
    }
}
