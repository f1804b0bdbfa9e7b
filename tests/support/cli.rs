//! Runs the built `authdeck` binary as a real process, the way a person runs the CLI:
//! a chosen environment (never the host's provider credentials), optional stdin,
//! captured output and exit code, and a hard timeout.

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Environment variables the app reads that a test must not inherit from the host:
/// provider credentials (a developer's real GITHUB_TOKEN would change results and
/// could leak) and Authdeck's own settings.
pub const SCRUBBED_ENV_VARS: &[&str] = &[
    "GOOGLE_CLIENT_ID",
    "GOOGLE_CLIENT_SECRET",
    "GOOGLE_API_KEY",
    "MICROSOFT_CLIENT_ID",
    "MICROSOFT_CLIENT_SECRET",
    "MICROSOFT_TENANT",
    "GITHUB_CLIENT_ID",
    "GITHUB_CLIENT_SECRET",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "DROPBOX_APP_KEY",
    "DROPBOX_APP_SECRET",
    "DROPBOX_ACCESS_TOKEN",
    "ZOOM_CLIENT_ID",
    "ZOOM_CLIENT_SECRET",
    "ZOOM_ACCOUNT_ID",
    "NOTION_CLIENT_ID",
    "NOTION_CLIENT_SECRET",
    "NOTION_API_KEY",
    "AUTHDECK_KEYRING_SERVICE",
    "AUTHDECK_CONFIG_DIR",
    "AUTHDECK_SYSTEM_CONFIG_DIR",
    "AUTHDECK_CONNECT_TIMEOUT",
    "AUTHDECK_LOG",
    "AUTHDECK_TEST_BROWSER_LOG",
    "AUTHDECK_TEST_BROWSER_LOCALHOST",
    "AUTHDECK_TEST_BROWSER_STRAYS",
    "AUTHDECK_TEST_BROWSER_DELAY_MS",
    "BROWSER",
];

/// Removes the scrubbed variables from a command's inherited environment.
pub fn scrub_env(command: &mut Command) {
    for name in SCRUBBED_ENV_VARS {
        command.env_remove(name);
    }
}

/// The path of the built binary (`target/<profile>/authdeck`). The CLI is its own
/// package (src-tauri/cli): built beside the app by `cargo build --workspace
/// --bins` (scripts/test.sh).
pub fn authdeck_path() -> &'static str {
    static PATH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        crate::built_program("authdeck")
            .to_string_lossy()
            .into_owned()
    })
}

/// A CLI invocation being prepared: `authdeck(&["status", "--json"]).envs(test.app_env()).run()`.
#[derive(Debug, Clone)]
#[must_use]
pub struct Invocation {
    /// The program; `authdeck_path()` unless another build is asked for.
    program: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Option<String>,
    timeout: Duration,
}

pub fn authdeck(args: &[&str]) -> Invocation {
    Invocation {
        program: authdeck_path().to_owned(),
        args: args.iter().map(|a| a.to_string()).collect(),
        env: Vec::new(),
        stdin: None,
        timeout: Duration::from_secs(30),
    }
}

/// The `authdeck` of the previous release, built from git history by
/// scripts/test.sh (its "previous release" phase), for upgrade tests that
/// prove records written by that release's own code keep working.
pub fn previous_release_path() -> String {
    match std::env::var("AUTHDECK_PREVIOUS_RELEASE_CLI") {
        Ok(path) if std::path::Path::new(&path).is_file() => path,
        Ok(path) => panic!("AUTHDECK_PREVIOUS_RELEASE_CLI={path} is not a file: run the suite with `bash scripts/test.sh`, which builds the previous release"),
        Err(_) => panic!("AUTHDECK_PREVIOUS_RELEASE_CLI is not set: run the suite with `bash scripts/test.sh`, which builds the previous release's authdeck from git history"),
    }
}

impl Invocation {
    /// Runs another build of the CLI (the previous release) instead.
    pub fn program(mut self, path: &str) -> Self {
        self.program = path.to_owned();
        self
    }

    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    pub fn envs<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.env
            .extend(vars.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Text written to the process's stdin, which is then closed. Without it stdin
    /// is empty (closed at once), as under CI.
    pub fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.to_string());
        self
    }

    /// Kill the process and fail the test after this long (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Runs to completion. Panics (failing the test, with the output so far) when
    /// the process outlives the timeout.
    pub fn run(self) -> Output {
        let mut command = Command::new(&self.program);
        command.args(&self.args);
        scrub_env(&mut command);
        command.envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let started = Instant::now();
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.program));

        let stdin_text = self.stdin.clone().unwrap_or_default();
        let stdin_pipe = child.stdin.take();
        let stdin_writer = std::thread::spawn(move || {
            if let Some(mut pipe) = stdin_pipe {
                // The app may exit without reading; a broken pipe is not our failure.
                let _ = pipe.write_all(stdin_text.as_bytes());
            }
        });
        let stdout = Capture::start(child.stdout.take());
        let stderr = Capture::start(child.stderr.take());

        let status = wait_with_deadline(&mut child, started + self.timeout);
        let _ = stdin_writer.join();
        // A detached grandchild (the scripted browser) may hold the pipes open: give
        // the readers a moment, then take what they have.
        let stdout = stdout.finish(Duration::from_secs(2));
        let stderr = stderr.finish(Duration::from_secs(2));
        let elapsed = started.elapsed();
        match status {
            Some(code) => Output {
                args: self.args,
                code,
                stdout,
                stderr,
                elapsed,
            },
            None => panic!(
                "`authdeck {}` did not finish within {:?}; killed it.\n--- stdout so far ---\n{stdout}\n--- stderr so far ---\n{stderr}",
                self.args.join(" "),
                self.timeout
            ),
        }
    }
}

/// What a finished CLI run produced.
#[derive(Debug, Clone)]
pub struct Output {
    pub args: Vec<String>,
    /// The exit code; -1 when a signal ended the process.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Output {
    pub fn success(&self) -> bool {
        self.code == 0
    }

    /// Panics with the whole output unless the exit code is `code`.
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            code,
            "`authdeck {}` exited {} (expected {code})\n{}",
            self.args.join(" "),
            self.code,
            self.describe()
        );
        self
    }

    pub fn assert_success(&self) -> &Self {
        self.assert_code(0)
    }

    /// stdout parsed as JSON (for `status --json`).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout of `authdeck {}` is not JSON ({e})\n{}",
                self.args.join(" "),
                self.describe()
            )
        })
    }

    /// Everything, for assertion messages.
    pub fn describe(&self) -> String {
        format!(
            "--- exit {} after {:?} ---\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.elapsed, self.stdout, self.stderr
        )
    }
}

/// Waits for the child until the deadline; kills it and returns None after.
fn wait_with_deadline(child: &mut Child, deadline: Instant) -> Option<i32> {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status.code().unwrap_or(-1)),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) | Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

/// Reads a pipe on a thread into a shared buffer, so partial output is available
/// even when the pipe never closes.
struct Capture {
    buffer: Arc<Mutex<Vec<u8>>>,
    reader: Option<JoinHandle<()>>,
}

impl Capture {
    fn start<R: Read + Send + 'static>(pipe: Option<R>) -> Capture {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let reader = pipe.map(|mut pipe| {
            let buffer = Arc::clone(&buffer);
            std::thread::spawn(move || {
                let mut chunk = [0u8; 8192];
                loop {
                    match pipe.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buffer
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .extend_from_slice(&chunk[..n]),
                    }
                }
            })
        });
        Capture { buffer, reader }
    }

    fn finish(mut self, grace: Duration) -> String {
        let deadline = Instant::now() + grace;
        if let Some(reader) = self.reader.take() {
            while !reader.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if reader.is_finished() {
                let _ = reader.join();
            }
        }
        let bytes = self.buffer.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&bytes).into_owned()
    }
}
