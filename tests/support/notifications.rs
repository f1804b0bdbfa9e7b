//! A real freedesktop notification server on a test's private session bus: the
//! `notification-server` program (bin/notification_server.rs), which owns
//! `org.freedesktop.Notifications`, records every `Notify` and invokes actions
//! when the test says so. A test starts it on a bus of its own
//! ([`crate::private_keyring::PrivateBus`]), points the app at that bus, and
//! asks what was shown:
//!
//! ```ignore
//! let dir = TempDir::new("notify");
//! let bus = PrivateBus::start(&dir);
//! let server = NotificationServer::start(&bus.address);
//! // … run `authdeck watch` with DBUS_SESSION_BUS_ADDRESS=bus.address …
//! let shown = server.wait_for(1, Duration::from_secs(10));
//! assert!(shown[0].body.contains("work@example.com"));
//! server.invoke(shown[0].id, "reconnect"); // ActionInvoked, then NotificationClosed(id, 2)
//! ```

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value;

use crate::{built_program, TempDir};

/// How long the server may take to own its name, and to answer a command.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// One `Notify` call as the server recorded it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Notification {
    /// The id the server returned to the client.
    pub id: u32,
    pub app_name: String,
    pub replaces_id: u32,
    pub app_icon: String,
    pub summary: String,
    pub body: String,
    /// Key and label pairs, flat, as sent: `["reconnect", "Reconnect", …]`.
    pub actions: Vec<String>,
    /// String, number and boolean hints as themselves; any other hint as
    /// `{"signature": "…"}`.
    pub hints: BTreeMap<String, Value>,
    pub expire_timeout: i32,
    /// The unique bus name (`:1.7`) of the connection that sent it.
    pub sender: String,
}

impl Notification {
    /// The action keys, without their labels.
    pub fn action_keys(&self) -> Vec<&str> {
        self.actions.iter().step_by(2).map(String::as_str).collect()
    }

    /// The label shown for an action key.
    pub fn action_label(&self, key: &str) -> Option<&str> {
        self.actions
            .chunks(2)
            .find(|pair| pair[0] == key)
            .and_then(|pair| pair.get(1))
            .map(String::as_str)
    }
}

/// The running `notification-server`; stopped on drop.
pub struct NotificationServer {
    child: Child,
    stdin: Option<ChildStdin>,
    /// The server's stdout, line by line: "ready", then one answer per command.
    answers: Receiver<String>,
    dir: TempDir,
}

impl NotificationServer {
    /// Starts the server on the bus at `bus_address` and waits until it owns
    /// `org.freedesktop.Notifications`; panics (with the server's stderr) if it
    /// does not within 10 s, e.g. because another server already has the name.
    pub fn start(bus_address: &str) -> NotificationServer {
        let dir = TempDir::new("notification-server");
        let stderr = std::fs::File::create(dir.join("stderr"))
            .unwrap_or_else(|e| panic!("cannot create the notification server's stderr file: {e}"));
        let mut child = Command::new(built_program("notification-server"))
            .arg("--log")
            .arg(dir.join("notifications.jsonl"))
            .env("DBUS_SESSION_BUS_ADDRESS", bus_address)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start notification-server: {e}"));
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");
        let (lines, answers) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = NotificationServer {
            child,
            stdin,
            answers,
            dir,
        };
        match server.answers.recv_timeout(ANSWER_TIMEOUT) {
            Ok(line) if line == "ready" => server,
            outcome => {
                let why = server.failure(outcome);
                server.stop();
                panic!(
                    "notification-server did not own org.freedesktop.Notifications on {bus_address}: {why}"
                );
            }
        }
    }

    /// The JSON-lines log, one line per `Notify`.
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("notifications.jsonl")
    }

    /// Every notification sent so far, oldest first.
    pub fn notifications(&self) -> Vec<Notification> {
        let log = self.dir.read("notifications.jsonl");
        // Only whole lines: the server may be writing the next one right now.
        let whole = &log[..log.rfind('\n').map_or(0, |end| end + 1)];
        whole
            .lines()
            .map(|line| {
                serde_json::from_str(line).unwrap_or_else(|e| {
                    panic!("bad line in {}: {e}: {line}", self.log_path().display())
                })
            })
            .collect()
    }

    /// Waits until at least `n` notifications were sent and returns them all;
    /// panics with what was sent if fewer came within `timeout`.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Notification> {
        let deadline = Instant::now() + timeout;
        loop {
            let sent = self.notifications();
            if sent.len() >= n {
                return sent;
            }
            if Instant::now() >= deadline {
                panic!(
                    "expected {n} notification(s) within {timeout:?}, got {}: {sent:#?}",
                    sent.len()
                );
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// As if the person clicked the action `action` (a key, e.g. "reconnect") of
    /// notification `id`: the server emits `ActionInvoked(id, action)` and then
    /// `NotificationClosed(id, 2)` to the notification's sender, and this
    /// returns once both are sent. Panics if the notification is not open or
    /// has no such action.
    pub fn invoke(&self, id: u32, action: &str) {
        assert!(
            !action.is_empty() && !action.contains(char::is_whitespace),
            "an action key the server's command line can carry, not {action:?}"
        );
        self.command(&format!("invoke {id} {action}"));
    }

    /// As if the notification went away without an action: the server emits
    /// `NotificationClosed(id, reason)` (1 expired, 2 dismissed by the person).
    pub fn close(&self, id: u32, reason: u32) {
        self.command(&format!("close {id} {reason}"));
    }

    fn command(&self, line: &str) {
        let mut stdin = self
            .stdin
            .as_ref()
            .expect("the notification server's stdin is open until drop");
        if let Err(e) = writeln!(stdin, "{line}").and_then(|()| stdin.flush()) {
            panic!(
                "cannot send `{line}` to notification-server: {e}; its stderr: {}",
                self.stderr()
            );
        }
        match self.answers.recv_timeout(ANSWER_TIMEOUT) {
            Ok(answer) if answer == "ok" => {}
            outcome => panic!(
                "notification-server: `{line}` failed: {}",
                self.failure(outcome)
            ),
        }
    }

    fn failure(&self, outcome: Result<String, RecvTimeoutError>) -> String {
        let what = match outcome {
            Ok(line) => format!("it answered {line:?}"),
            Err(RecvTimeoutError::Timeout) => format!("no answer within {ANSWER_TIMEOUT:?}"),
            Err(RecvTimeoutError::Disconnected) => "it exited".to_owned(),
        };
        format!("{what}; its stderr: {:?}", self.stderr())
    }

    fn stderr(&self) -> String {
        self.dir.read("stderr")
    }

    /// Closes its stdin, which ends it; kills it if it has not exited in 5 s.
    fn stop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for NotificationServer {
    fn drop(&mut self) {
        self.stop();
    }
}
