//! The window's switch for the background keeper: the same XDG autostart
//! entry as `authdeck watch --install` (`core::autostart`), pointing at the
//! `authdeck` command beside this program (or on `PATH`). Turning it on also
//! starts the keeper now, so it need not wait for the next login; a keeper
//! already running makes the new one exit, so that is safe.

use std::path::PathBuf;

/// The `authdeck` command: beside this program, else the one on `PATH`.
fn cli_path() -> Option<PathBuf> {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("authdeck")))
        .filter(|p| p.is_file());
    beside.or_else(|| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("authdeck"))
                .find(|p| p.is_file())
        })
    })
}

/// Turns the login start on or off; says what happened.
pub fn set(on: bool) -> Result<String, String> {
    if !on {
        authdeck_core::autostart::uninstall().map_err(|e| e.to_string())?;
        return Ok("The keeper will no longer start when you log in.".to_owned());
    }
    let cli = cli_path().ok_or_else(|| {
        "The authdeck command was not found next to Authdeck or on your PATH; reinstall Authdeck.".to_owned()
    })?;
    authdeck_core::autostart::install(&cli).map_err(|e| e.to_string())?;
    let started = std::process::Command::new(&cli)
        .arg("watch")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    match started {
        Ok(mut child) => {
            // Reaped when it ends, so no zombie stays behind.
            std::thread::spawn(move || {
                let _ = child.wait();
            });
            Ok("The keeper is running and will start whenever you log in.".to_owned())
        }
        Err(e) => Ok(format!(
            "The keeper will start when you next log in (it could not be started now: {e})."
        )),
    }
}
