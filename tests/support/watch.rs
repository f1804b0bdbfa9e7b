//! `authdeck watch` as a running process for tests: started with a test's
//! keyring, config and fake provider, a pass every second, its stderr
//! collected line by line, stopped with SIGTERM.

use crate::cli::{authdeck_path, scrub_env};
use crate::scenario::Scenario;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running keeper, its stderr lines collected as they come.
pub struct Watch {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Watch {
    pub fn start(s: &Scenario, extra: &[(&str, &str)]) -> Watch {
        let mut command = Command::new(authdeck_path());
        command.arg("watch");
        scrub_env(&mut command);
        command
            .envs(s.env())
            .env("AUTHDECK_WATCH_INTERVAL", "1")
            .envs(extra.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("authdeck watch starts");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut watch = Watch {
            child,
            lines,
            seen: Vec::new(),
        };
        watch.wait_for_line("keeping your connections alive", Duration::from_secs(15));
        watch
    }

    /// Waits for a stderr line containing `text`.
    pub fn wait_for_line(&mut self, text: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        if let Some(line) = self.seen.iter().find(|l| l.contains(text)) {
            return line.clone();
        }
        while Instant::now() < deadline {
            match self.lines.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        panic!(
            "authdeck watch never said {text:?}; it said:\n{}",
            self.seen.join("\n")
        );
    }

    /// Everything said so far.
    pub fn said(&mut self) -> Vec<String> {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
        self.seen.clone()
    }

    /// SIGTERM, then how long it took to exit and its exit code.
    pub fn terminate(&mut self) -> (Duration, Option<i32>) {
        let started = Instant::now();
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = started + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return (started.elapsed(), status.code());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        panic!("authdeck watch did not exit within 10 s of SIGTERM");
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `done` every 100 ms; panics naming `what` after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if done() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting until {what}");
}
