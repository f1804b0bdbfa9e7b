//! A minimal W3C WebDriver client for driving the real Authdeck window through
//! tauri-driver (which starts WebKitWebDriver, which starts the app): the freshly
//! built one ([`Driver::start`]) or any other binary, such as the installed
//! `/usr/bin/authdeck-app` ([`Driver::start_app`], tests/package.rs).
//!
//! Every method panics with a clear message (and the tail of the driver's log)
//! when WebDriver says no: these are test steps, and a failed step fails the test.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

use crate::session::TempDir;

/// How an element reference travels: W3C says `element-6066-11e4-a5e6-4fc5c7cd7c3a`,
/// WebKitWebDriver sends `element-6066-11e4-a52e-4f735466cecf`. Accept any key with
/// this prefix and send back the one the driver used.
const ELEMENT_KEY_PREFIX: &str = "element-6066-11e4-";

/// A reference to an element in the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub id: String,
    /// The key the driver used for it.
    key: String,
}

impl Element {
    /// As a script argument for `execute`.
    pub fn to_json(&self) -> Value {
        json!({ self.key.as_str(): self.id })
    }
}

pub struct Driver {
    http: reqwest::Client,
    /// `http://127.0.0.1:<tauri-driver port>`
    base: String,
    session: Option<String>,
    tauri_driver: Option<Child>,
    /// tauri-driver's, WebKitWebDriver's and the app's stdout/stderr: a file, not a
    /// pipe, so a straggling child can never hold the test's pipes open.
    log_dir: TempDir,
}

impl Driver {
    /// Starts tauri-driver with `app_env` added to the environment (the app
    /// inherits it; provider credentials from the host are removed), waits until
    /// it is ready, and opens a session on the freshly built app
    /// (`target/<profile>/authdeck-app`).
    pub async fn start(app_env: &[(String, String)]) -> Driver {
        Driver::start_app(app_env, &crate::app_path()).await
    }

    /// [`Driver::start`] on another app binary (`application`), e.g. the
    /// installed `/usr/bin/authdeck-app`.
    pub async fn start_app(app_env: &[(String, String)], application: &Path) -> Driver {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(90))
            .build()
            .unwrap_or_else(|e| panic!("cannot build an HTTP client: {e}"));
        let mut log_dir = TempDir::new("webdriver");
        let log_path = log_dir.join("driver.log");
        let mut last_failure = String::new();
        // Free ports are picked then released; another process can grab one in
        // between, so try a few pairs.
        for _attempt in 0..3 {
            let port = free_port();
            let native_port = free_port();
            let log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&log_path)
                .unwrap_or_else(|e| panic!("cannot open {}: {e}", log_path.display()));
            let log_err = log
                .try_clone()
                .unwrap_or_else(|e| panic!("cannot clone the log handle: {e}"));
            let mut command = Command::new(tauri_driver_path());
            command
                .args([
                    "--port",
                    &port.to_string(),
                    "--native-port",
                    &native_port.to_string(),
                ])
                .stdin(Stdio::null())
                .stdout(log)
                .stderr(log_err);
            crate::cli::scrub_env(&mut command);
            command.envs(app_env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            // A process group of its own: tauri-driver, WebKitWebDriver and the
            // app they start all end with it (see `stop_tauri_driver`), even
            // when closing the session leaves the app running.
            {
                use std::os::unix::process::CommandExt;
                command.process_group(0);
            }
            let child = command.spawn().unwrap_or_else(|e| {
                panic!(
                    "cannot start tauri-driver ({e}); run `bash scripts/install-deps.sh` to install it"
                )
            });
            let mut driver = Driver {
                http: http.clone(),
                base: format!("http://127.0.0.1:{port}"),
                session: None,
                tauri_driver: Some(child),
                log_dir,
            };
            match driver.wait_ready(Duration::from_secs(20)).await {
                Ok(()) => {
                    driver.open_session(application).await;
                    return driver;
                }
                Err(why) => {
                    last_failure = why;
                    driver.stop_tauri_driver();
                    log_dir = std::mem::replace(&mut driver.log_dir, TempDir::new("webdriver"));
                }
            }
        }
        panic!(
            "tauri-driver did not become ready: {last_failure}\n--- driver log ---\n{}",
            std::fs::read_to_string(&log_path).unwrap_or_default()
        );
    }

    async fn wait_ready(&mut self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(child) = self.tauri_driver.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(format!("tauri-driver exited with {status}"));
                }
            }
            if let Ok(response) = self.http.get(format!("{}/status", self.base)).send().await {
                if response.status().is_success() {
                    return Ok(());
                }
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "no answer on {}/status within {timeout:?}",
                    self.base
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn open_session(&mut self, application: &Path) {
        let application = application.to_string_lossy();
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "wry",
                    "tauri:options": { "application": application }
                }
            }
        });
        let value = self.command("POST", "/session", Some(capabilities)).await;
        let id = value["sessionId"]
            .as_str()
            .unwrap_or_else(|| {
                self.fail(&format!(
                    "new session answered without a sessionId: {value}"
                ))
            })
            .to_string();
        self.session = Some(id);
    }

    /// Everything tauri-driver, WebKitWebDriver and the app wrote so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_dir.join("driver.log")).unwrap_or_default()
    }

    // ----- elements -----

    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        let value = self
            .session_command(
                "POST",
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        value
            .as_array()
            .map(|items| items.iter().filter_map(element_from).collect())
            .unwrap_or_default()
    }

    /// The first element matching `css`, or None.
    pub async fn try_find(&self, css: &str) -> Option<Element> {
        self.find_all(css).await.into_iter().next()
    }

    /// The first element matching `css`; panics when there is none.
    pub async fn find(&self, css: &str) -> Element {
        match self.try_find(css).await {
            Some(element) => element,
            None => self.fail(&format!("no element matches {css:?}")),
        }
    }

    /// Elements matching `css` inside `parent`.
    pub async fn find_all_in(&self, parent: &Element, css: &str) -> Vec<Element> {
        let value = self
            .session_command(
                "POST",
                &format!("/element/{}/elements", parent.id),
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        value
            .as_array()
            .map(|items| items.iter().filter_map(element_from).collect())
            .unwrap_or_default()
    }

    /// Polls until an element matches `css`.
    pub async fn wait_for(&self, css: &str, timeout: Duration) -> Element {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(element) = self.try_find(css).await {
                return element;
            }
            if Instant::now() >= deadline {
                let source = self.page_source().await;
                self.fail(&format!(
                    "no element matched {css:?} within {timeout:?}\n--- page ---\n{}",
                    truncate(&source, 4000)
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Polls until the JavaScript expression `js` is truthy in the page.
    pub async fn wait_until(&self, js: &str, timeout: Duration) {
        let script = format!("return !!({js});");
        let deadline = Instant::now() + timeout;
        loop {
            if self.execute(&script, vec![]).await == Value::Bool(true) {
                return;
            }
            if Instant::now() >= deadline {
                let source = self.page_source().await;
                self.fail(&format!(
                    "`{js}` was not true within {timeout:?}\n--- page ---\n{}",
                    truncate(&source, 4000)
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The attribute's value, None when the element has no such attribute.
    pub async fn attr(&self, element: &Element, name: &str) -> Option<String> {
        let value = self
            .session_command(
                "GET",
                &format!("/element/{}/attribute/{name}", element.id),
                None,
            )
            .await;
        value.as_str().map(str::to_string)
    }

    /// The element's rendered (visible) text: `innerText`, which honours CSS
    /// (hidden parts excluded, blocks on their own lines). WebKitWebDriver's own
    /// "Get Element Text" drops some visible text (a card's `<h2>` name came back
    /// empty), so it is not used.
    pub async fn text(&self, element: &Element) -> String {
        let value = self
            .execute("return arguments[0].innerText;", vec![element.to_json()])
            .await;
        value.as_str().unwrap_or_default().to_string()
    }

    pub async fn click(&self, element: &Element) {
        self.session_command(
            "POST",
            &format!("/element/{}/click", element.id),
            Some(json!({})),
        )
        .await;
    }

    pub async fn send_keys(&self, element: &Element, text: &str) {
        self.session_command(
            "POST",
            &format!("/element/{}/value", element.id),
            Some(json!({"text": text})),
        )
        .await;
    }

    pub async fn clear(&self, element: &Element) {
        self.session_command(
            "POST",
            &format!("/element/{}/clear", element.id),
            Some(json!({})),
        )
        .await;
    }

    /// Runs `script` (a function body: use `return`) with `args` (`arguments[i]`).
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        self.session_command(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
        .await
    }

    pub async fn page_source(&self) -> String {
        match self.try_session_command("GET", "/source", None).await {
            Ok(value) => value.as_str().unwrap_or_default().to_string(),
            Err(e) => format!("(page source unavailable: {e})"),
        }
    }

    pub async fn screenshot_png(&self) -> Vec<u8> {
        let value = self.session_command("GET", "/screenshot", None).await;
        let encoded = value.as_str().unwrap_or_default();
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap_or_else(|e| self.fail(&format!("screenshot is not base64: {e}")))
    }

    /// Resolves once the page has produced two animation frames after now: the
    /// DOM can be ahead of the screen (a screenshot taken right after a DOM
    /// change can show the previous frame).
    pub async fn wait_for_frames(&self) {
        self.execute(
            "return new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))));",
            vec![],
        )
        .await;
    }

    /// Saves a screenshot once two frames have been painted after the DOM
    /// state the caller waited for ([`Driver::wait_for_frames`]), plus time for
    /// 0.12 s colour transitions.
    pub async fn save_screenshot(&self, path: &Path) {
        self.wait_for_frames().await;
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let png = self.screenshot_png().await;
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        std::fs::write(path, png)
            .unwrap_or_else(|e| self.fail(&format!("cannot write {}: {e}", path.display())));
    }

    /// Closes the session (and with it the app) and stops tauri-driver.
    /// Dropping the Driver does the same; this just makes the end explicit.
    pub async fn quit(mut self) {
        if let Some(session) = self.session.take() {
            let _ = self
                .http
                .delete(format!("{}/session/{session}", self.base))
                .send()
                .await;
        }
        self.stop_tauri_driver();
    }

    // ----- protocol -----

    async fn session_command(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        match self.try_session_command(method, path, body).await {
            Ok(value) => value,
            Err(e) => self.fail(&e),
        }
    }

    async fn try_session_command(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let Some(session) = &self.session else {
            return Err("no WebDriver session".into());
        };
        self.try_command(method, &format!("/session/{session}{path}"), body)
            .await
    }

    async fn command(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        match self.try_command(method, path, body).await {
            Ok(value) => value,
            Err(e) => self.fail(&e),
        }
    }

    async fn try_command(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let url = format!("{}{path}", self.base);
        let request = match method {
            "GET" => self.http.get(&url),
            "DELETE" => self.http.delete(&url),
            _ => self
                .http
                .post(&url)
                .json(&body.unwrap_or_else(|| json!({}))),
        };
        let response = request
            .send()
            .await
            .map_err(|e| format!("{method} {path}: {e}"))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| format!("{method} {path}: reading the answer: {e}"))?;
        let parsed: Value = serde_json::from_str(&text)
            .map_err(|e| format!("{method} {path}: answer is not JSON ({e}): {text}"))?;
        let value = parsed.get("value").cloned().unwrap_or(Value::Null);
        if !status.is_success() || value.get("error").is_some_and(Value::is_string) {
            return Err(format!(
                "{method} {path} failed ({status}): {} — {}",
                value["error"].as_str().unwrap_or("?"),
                value["message"].as_str().unwrap_or(&text)
            ));
        }
        Ok(value)
    }

    /// Fails the test step: panics with `message` and the tail of the
    /// driver's and the app's log.
    pub fn fail(&self, message: &str) -> ! {
        let log = self.log();
        let tail: String = {
            let lines: Vec<&str> = log.lines().collect();
            lines[lines.len().saturating_sub(40)..].join("\n")
        };
        panic!("WebDriver: {message}\n--- driver/app log (last 40 lines) ---\n{tail}");
    }

    /// SIGTERM, so tauri-driver stops WebKitWebDriver too; SIGKILL would orphan it
    /// (and its hold on our files) and hang the run.
    /// Ends tauri-driver's whole process group (the driver, WebKitWebDriver
    /// and the app): SIGTERM, then SIGKILL for whatever is left after a few
    /// seconds, so no window outlives its test.
    fn stop_tauri_driver(&mut self) {
        let Some(mut child) = self.tauri_driver.take() else {
            return;
        };
        let group = format!("-{}", child.id());
        let signal = |name: &str| {
            let _ = Command::new("kill")
                .args([name, "--", &group])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        };
        signal("-TERM");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Whatever of the group ignored SIGTERM (or outlived tauri-driver).
        std::thread::sleep(Duration::from_millis(200));
        signal("-KILL");
        let _ = child.wait();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // No async in Drop: close the session with a plain blocking HTTP request.
        if let Some(session) = self.session.take() {
            delete_blocking(&self.base, &format!("/session/{session}"));
        }
        self.stop_tauri_driver();
        if std::thread::panicking() {
            let log = self.log();
            let lines: Vec<&str> = log.lines().collect();
            eprintln!(
                "--- driver/app log (last 60 lines) ---\n{}",
                lines[lines.len().saturating_sub(60)..].join("\n")
            );
        }
    }
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("base", &self.base)
            .field("session", &self.session)
            .finish()
    }
}

fn element_from(value: &Value) -> Option<Element> {
    value
        .as_object()?
        .iter()
        .find(|(key, _)| key.starts_with(ELEMENT_KEY_PREFIX))
        .and_then(|(key, id)| {
            Some(Element {
                id: id.as_str()?.to_string(),
                key: key.clone(),
            })
        })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap_or_else(|e| panic!("cannot find a free port: {e}"))
}

/// tauri-driver from $AUTHDECK_TAURI_DRIVER, PATH, or cargo's bin dir.
fn tauri_driver_path() -> PathBuf {
    if let Some(path) = std::env::var_os("AUTHDECK_TAURI_DRIVER") {
        return PathBuf::from(path);
    }
    let in_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("tauri-driver"))
            .find(|candidate| candidate.is_file())
    });
    in_path.unwrap_or_else(|| {
        let cargo_home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
            .unwrap_or_default();
        cargo_home.join("bin").join("tauri-driver")
    })
}

fn delete_blocking(base: &str, path: &str) {
    let Some(authority) = base.strip_prefix("http://") else {
        return;
    };
    let Ok(mut stream) = TcpStream::connect(authority) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(15)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let request = format!(
        "DELETE {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_ok() {
        // Wait for the answer: the session (and the app) is gone once it arrives.
        let mut sink = [0u8; 4096];
        while let Ok(n) = stream.read(&mut sink) {
            if n == 0 {
                break;
            }
        }
    }
}

fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}
