//! `authdeck watch`: the light background keeper. A pass at most once a
//! minute (`core::keeper` says what a pass does); between passes it sleeps,
//! and every pass re-reads the wall clock, so a laptop that slept for hours
//! catches up on its first pass after resume. One keeper per person: a second
//! one exits saying so. SIGTERM (logout, `systemctl stop`) or Ctrl-C ends it
//! within a second; a pass in flight gets that second to finish saving, and a
//! keyring record is always written whole or not at all.

use crate::notify::Notifier;
use authdeck_core::accounts::Accounts;
use authdeck_core::error::Error;
use authdeck_core::keeper::Keeper;
use authdeck_core::token::unix_now;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

/// Idle, the keeper wakes this often (the limit: once a minute).
const PASS_EVERY: Duration = Duration::from_secs(60);
/// How long a pass in flight may go on after SIGTERM.
const GRACE: Duration = Duration::from_millis(800);

macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `--install` / `--uninstall`: the login autostart entry.
pub fn autostart(install: bool) -> Result<(), Error> {
    if install {
        let exe = std::env::current_exe()
            .map_err(|e| Error::Other(format!("could not find the authdeck program ({e})")))?;
        let path =
            authdeck_core::autostart::install(&exe).map_err(|e| Error::Other(e.to_string()))?;
        println_safe(&format!(
            "Authdeck's keeper will start when you log in ({}). Start it now with: authdeck watch &",
            path.display()
        ));
    } else {
        let removed =
            authdeck_core::autostart::uninstall().map_err(|e| Error::Other(e.to_string()))?;
        println_safe(if removed {
            "Authdeck's keeper will no longer start when you log in."
        } else {
            "Authdeck's keeper was not set to start at login; nothing to do."
        });
    }
    Ok(())
}

fn println_safe(text: &str) {
    let _ = writeln!(std::io::stdout(), "{text}");
}

pub async fn run(accounts: Arc<Accounts>) -> Result<(), Error> {
    let _only_one = take_keeper_lock(accounts.config_dir())?;
    let every = pass_interval();
    let mut keeper = Keeper::new(Arc::clone(&accounts));
    let mut notifier = Notifier::default();
    let mut waiting_for_keyring = false;
    let mut stop = Stop::new()?;
    say!(
        "Authdeck is keeping your connections alive (a check every {} s). Stop with Ctrl-C.",
        every.as_secs()
    );
    loop {
        let pass = keeper.pass(unix_now());
        tokio::pin!(pass);
        let outcome = tokio::select! {
            outcome = &mut pass => outcome,
            _ = stop.signalled() => {
                // Let a refresh in flight save its new set, briefly.
                let _ = tokio::time::timeout(GRACE, &mut pass).await;
                return Ok(());
            }
        };
        match outcome {
            Ok(pass) => {
                if waiting_for_keyring {
                    say!("The keyring is available again.");
                    waiting_for_keyring = false;
                }
                for (service, account) in &pass.renewed {
                    tracing::info!(%service, %account, "renewed");
                }
                for finding in &pass.tell {
                    let name = accounts
                        .provider(&finding.service)
                        .map(|p| p.name.clone())
                        .unwrap_or_else(|_| finding.service.clone());
                    notifier.tell(finding, &name);
                }
            }
            Err(e) => {
                if !waiting_for_keyring {
                    say!("Waiting for the keyring: {e}");
                    waiting_for_keyring = true;
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.signalled() => return Ok(()),
        }
    }
}

/// Every 60 s; `AUTHDECK_WATCH_INTERVAL` (1–60 seconds) is for tests.
fn pass_interval() -> Duration {
    std::env::var("AUTHDECK_WATCH_INTERVAL")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| (1..=60).contains(s))
        .map_or(PASS_EVERY, Duration::from_secs)
}

/// One keeper per person: an OS lock on `<config dir>/locks/watch.lock`,
/// held for the process's life and dropped by the OS when it ends however it
/// ends, so a crash never blocks the next keeper.
fn take_keeper_lock(config_dir: &std::path::Path) -> Result<std::fs::File, Error> {
    let dir = config_dir.join("locks");
    let open = || -> std::io::Result<std::fs::File> {
        std::fs::create_dir_all(&dir)?;
        std::fs::File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join("watch.lock"))
    };
    let file = open().map_err(|e| {
        Error::Other(format!(
            "could not create the keeper's lock in {} ({e})",
            dir.display()
        ))
    })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::Other(
            "another `authdeck watch` is already keeping your connections alive; this one exits."
                .to_owned(),
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::Other(format!(
            "could not take the keeper's lock ({e})"
        ))),
    }
}

/// SIGTERM or Ctrl-C.
struct Stop {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
}

impl Stop {
    fn new() -> Result<Self, Error> {
        Ok(Self {
            #[cfg(unix)]
            term: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .map_err(|e| Error::Other(format!("could not listen for SIGTERM ({e})")))?,
        })
    }

    async fn signalled(&mut self) {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
