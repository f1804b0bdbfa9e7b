//! Desktop notifications for `authdeck watch`: freedesktop Notifications over
//! the session bus (any desktop's notification server, no GTK), each naming
//! the service and the account in plain words, with a Reconnect action that
//! opens the window at that card.
//!
//! When no notification server runs (a bare session, a server), the first
//! failure is logged once and the keeper carries on: the window still shows
//! what it found.

use authdeck_core::keeper::{Cause, Finding};

/// The action key a notification server sends back when Reconnect is clicked.
const RECONNECT: &str = "reconnect";

#[derive(Default)]
pub struct Notifier {
    /// Whether "no notification server" has been said already.
    told_unavailable: bool,
}

impl Notifier {
    /// Shows one finding. `name` is the service's display name.
    pub fn tell(&mut self, finding: &Finding, name: &str) {
        let who = if finding.account == authdeck_core::roster::UNNAMED {
            name.to_owned()
        } else {
            format!("{name} ({})", finding.account)
        };
        let summary = match finding.cause {
            Cause::NeedsReconnect => format!("{who} needs you to sign in again"),
            Cause::ExpiresSoon { .. } => format!("{who} stops working within a day"),
            Cause::Failing { .. } => format!("{who} is not answering properly"),
        };
        let body = finding.cause.describe(name);
        let mut note = notify_rust::Notification::new();
        note.appname("Authdeck")
            .icon("authdeck-app")
            .summary(&summary)
            .body(&body);
        let actionable = !matches!(finding.cause, Cause::Failing { .. });
        if actionable {
            note.action(RECONNECT, "Reconnect");
        }
        // The server's connection lives on the thread that shows the
        // notification (it cannot move), and that thread then waits for the
        // answer (acted on, or closed) so the keeper goes on meanwhile.
        let (shown_tx, shown_rx) = std::sync::mpsc::sync_channel(1);
        let service = finding.service.clone();
        std::thread::spawn(move || match note.show() {
            Ok(handle) => {
                let _ = shown_tx.send(Ok(()));
                if actionable {
                    handle.wait_for_action(|action| {
                        if action == RECONNECT {
                            if let Err(e) = crate::window::open_at(&service) {
                                tracing::warn!(error = %e, "could not open the Authdeck window");
                            }
                        }
                    });
                }
            }
            Err(e) => {
                let _ = shown_tx.send(Err(e.to_string()));
            }
        });
        let shown = shown_rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .unwrap_or_else(|_| Err("the notification server did not answer".to_owned()));
        match shown {
            Ok(()) => {
                self.told_unavailable = false;
                tracing::info!(service = %finding.service, account = %finding.account, "notified");
            }
            Err(e) => {
                if !self.told_unavailable {
                    tracing::warn!(error = %e, "no desktop notifications (is a notification server running?); the window shows what needs you");
                    self.told_unavailable = true;
                }
            }
        }
    }
}
