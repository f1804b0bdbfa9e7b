//! Starting the window, `authdeck-app`: the one beside this program, else the
//! one on `PATH`. This command never loads GTK or WebKit itself.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

/// The window's program name.
const APP_BINARY: &str = "authdeck-app";

fn program() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(APP_BINARY)))
        .filter(|path| path.is_file())
        .unwrap_or_else(|| PathBuf::from(APP_BINARY))
}

/// What to say when the window is not installed.
pub const NOT_INSTALLED: &str = "the Authdeck window is not installed here; install the authdeck package (or build it with `bash scripts/run.sh`) to get it, or use the commands in `authdeck --help`.";

/// `authdeck` with no command: the window, waited for; its exit code.
pub fn open() -> i32 {
    match Command::new(program()).status() {
        Ok(status) => status.code().unwrap_or(1),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let _ = writeln!(std::io::stderr(), "authdeck: {NOT_INSTALLED}");
            1
        }
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "authdeck: could not open the Authdeck window ({e})."
            );
            1
        }
    }
}

/// Opens the window at a service's card, not waiting for it (the keeper goes
/// on). When the window is already open, it comes to the front at that card.
pub fn open_at(service: &str) -> std::io::Result<()> {
    let mut child = Command::new(program())
        .args(["--card", service])
        .stdin(std::process::Stdio::null())
        .spawn()?;
    // Reaped on a thread of its own, so no zombie stays behind.
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}
