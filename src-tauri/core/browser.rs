//! Opens a sign-in link in the person's own browser (RFC 8252: the system browser,
//! never an app window).
//!
//! This module owns choosing the program ($BROWSER, else the platform opener),
//! refusing anything but http(s) links, and starting the program without waiting
//! for it. It never shows the link itself: when opening fails, the caller prints
//! or offers the link so the person can open it by hand.

use std::io;
use std::process::{Command, Stdio};
use std::thread;

use url::Url;

/// Why the link could not be opened. Every message ends with
/// "Open this link yourself:" so the caller can put the link right after it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BrowserError {
    #[error(
        "Authdeck will only open web links (http or https) in your browser, and this one \
         is not. Open this link yourself:"
    )]
    UnsafeUrl,

    #[error(
        "The BROWSER setting ({value}) could not be understood: {problem}. Fix or unset \
         BROWSER. Open this link yourself:"
    )]
    BadBrowserVariable {
        value: String,
        problem: &'static str,
    },

    #[error("Authdeck could not start your browser: the program \"{program}\" {}. Open this link yourself:", launch_problem(.source))]
    Launch {
        program: String,
        #[source]
        source: io::Error,
    },
}

fn launch_problem(error: &io::Error) -> &'static str {
    match error.kind() {
        io::ErrorKind::NotFound => "was not found",
        io::ErrorKind::PermissionDenied => "is not allowed to run",
        _ => "failed to start",
    }
}

/// Opens `url` with $BROWSER if set, else the platform's opener.
pub fn open(url: &str) -> Result<(), BrowserError> {
    let browser = std::env::var("BROWSER").ok();
    open_with(browser.as_deref(), url)
}

/// Opens `url` with the given $BROWSER value (`None` or blank: the platform
/// opener). Returns once the program has started; it is not waited for.
pub fn open_with(browser_env: Option<&str>, url: &str) -> Result<(), BrowserError> {
    let url = web_url(url)?;
    let (program, args) = match browser_env.filter(|value| !value.trim().is_empty()) {
        Some(value) => browser_command(value, &url)?,
        None => platform_opener(&url),
    };
    spawn_detached(&program, &args)
}

/// Parses and re-serialises the link, and accepts only http and https. Passing on
/// the serialised form means the program receives exactly what was checked (no
/// quotes, spaces or control characters survive serialisation).
fn web_url(url: &str) -> Result<String, BrowserError> {
    let parsed = Url::parse(url.trim()).map_err(|_| BrowserError::UnsafeUrl)?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(BrowserError::UnsafeUrl);
    }
    Ok(parsed.into())
}

/// $BROWSER is a command line: words split on whitespace, "double quotes" group
/// words. Every `%s` in an argument becomes the URL; without one the URL is
/// appended.
fn browser_command(value: &str, url: &str) -> Result<(String, Vec<String>), BrowserError> {
    let bad = |problem| BrowserError::BadBrowserVariable {
        value: value.to_owned(),
        problem,
    };
    let mut words = split_command_line(value).ok_or_else(|| bad("a quote is not closed"))?;
    if words.is_empty() || words[0].is_empty() {
        return Err(bad("it names no program"));
    }
    let program = words.remove(0);
    let mut substituted = false;
    let mut args: Vec<String> = words
        .into_iter()
        .map(|word| {
            if word.contains("%s") {
                substituted = true;
                word.replace("%s", url)
            } else {
                word
            }
        })
        .collect();
    if !substituted {
        args.push(url.to_owned());
    }
    Ok((program, args))
}

/// Splits on whitespace, keeping "quoted text" together (quotes removed). `None`
/// when a quote is left open.
fn split_command_line(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                // `""` is an (empty) word of its own.
                in_word = true;
            }
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            c => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if quoted {
        return None;
    }
    if in_word {
        words.push(current);
    }
    Some(words)
}

fn platform_opener(url: &str) -> (String, Vec<String>) {
    if cfg!(target_os = "macos") {
        ("open".to_owned(), vec![url.to_owned()])
    } else if cfg!(windows) {
        // rundll32 hands the link to the default browser without going through
        // cmd.exe, whose `start` would interpret `&` in the query.
        (
            "rundll32".to_owned(),
            vec!["url.dll,FileProtocolHandler".to_owned(), url.to_owned()],
        )
    } else {
        ("xdg-open".to_owned(), vec![url.to_owned()])
    }
}

/// Starts the program with no terminal attached and does not wait for it: a
/// browser may run for hours. A detached thread waits instead, so the finished
/// process is reaped and leaves no zombie.
fn spawn_detached(program: &str, args: &[String]) -> Result<(), BrowserError> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|source| BrowserError::Launch {
            program: program.to_owned(),
            source,
        })?;
    tracing::debug!(program, "browser started");
    let reaper = thread::Builder::new()
        .name("authdeck-browser-reaper".to_owned())
        .spawn(move || {
            if let Err(error) = child.wait() {
                tracing::debug!(%error, "could not collect the browser's exit status");
            }
        });
    if let Err(error) = reaper {
        // The browser is running; only its exit status will go uncollected.
        tracing::debug!(%error, "could not start a thread to collect the browser's exit");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://example.com/authorize?client_id=abc&state=xyz&redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Fcallback";

    #[test]
    fn non_web_urls_are_refused() {
        for url in [
            "file:///etc/passwd",
            "javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "ftp://example.com/x",
            "mailto:a@example.com",
            "/relative/path",
            "",
            "--help",
        ] {
            assert!(
                matches!(open_with(Some("true"), url), Err(BrowserError::UnsafeUrl)),
                "{url}"
            );
        }
    }

    #[test]
    fn web_urls_are_passed_on_as_serialised() {
        assert_eq!(web_url(URL).expect("https"), URL);
        assert_eq!(
            web_url("http://127.0.0.1:5000/x").expect("http"),
            "http://127.0.0.1:5000/x"
        );
        // Characters a command line could misread are percent-encoded.
        let quoted = web_url("https://example.com/a?q=\"x y\"").expect("https");
        assert!(!quoted.contains('"') && !quoted.contains(' '), "{quoted}");
    }

    #[test]
    fn browser_command_substitutes_every_percent_s() {
        let (program, args) =
            browser_command("firefox --new-tab=%s --x %s", "https://e.x/").expect("parse");
        assert_eq!(program, "firefox");
        assert_eq!(args, vec!["--new-tab=https://e.x/", "--x", "https://e.x/"]);
    }

    #[test]
    fn browser_command_appends_the_url_without_percent_s() {
        let (program, args) =
            browser_command("  \"/opt/My Browser/run\"   --private  ", "https://e.x/")
                .expect("parse");
        assert_eq!(program, "/opt/My Browser/run");
        assert_eq!(args, vec!["--private", "https://e.x/"]);
    }

    #[test]
    fn unclosed_quote_or_empty_program_is_a_plain_error() {
        assert!(matches!(
            browser_command("\"firefox --x", "https://e.x/"),
            Err(BrowserError::BadBrowserVariable { .. })
        ));
        assert!(matches!(
            browser_command("\"\" --x", "https://e.x/"),
            Err(BrowserError::BadBrowserVariable { .. })
        ));
    }

    #[test]
    fn missing_program_is_an_error_not_a_panic() {
        let result = open_with(Some("/nonexistent/authdeck-test-browser --flag"), URL);
        match result {
            Err(error @ BrowserError::Launch { .. }) => {
                let text = error.to_string();
                assert!(
                    text.contains("/nonexistent/authdeck-test-browser"),
                    "{text}"
                );
                assert!(text.contains("was not found"), "{text}");
                assert!(text.ends_with("Open this link yourself:"), "{text}");
            }
            other => panic!("expected Launch, got {other:?}"),
        }
    }

    #[cfg(unix)]
    mod with_script {
        use super::*;
        use std::fs;
        use std::os::unix::fs::PermissionsExt as _;
        use std::path::PathBuf;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::time::{Duration, Instant};

        /// A throw-away directory holding a fake browser that writes its arguments,
        /// one per line, to `args.txt` (atomically, via a rename).
        struct FakeBrowser {
            dir: PathBuf,
        }

        impl FakeBrowser {
            fn new(delay_secs: u32) -> Self {
                static NEXT: AtomicUsize = AtomicUsize::new(0);
                let dir = std::env::temp_dir().join(format!(
                    "authdeck-browser-test-{}-{}",
                    std::process::id(),
                    NEXT.fetch_add(1, Ordering::SeqCst)
                ));
                // Spaces in the path exercise the quoting of $BROWSER.
                let dir = dir.join("fake browser");
                fs::create_dir_all(&dir).expect("temp dir");
                let script = format!(
                    "#!/bin/sh\nsleep {delay_secs}\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > '{tmp}'\nmv '{tmp}' '{out}'\n",
                    tmp = dir.join("args.tmp").display(),
                    out = dir.join("args.txt").display(),
                );
                let path = dir.join("browser.sh");
                fs::write(&path, script).expect("script");
                fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod");
                Self { dir }
            }

            fn command(&self) -> String {
                format!("\"{}\"", self.dir.join("browser.sh").display())
            }

            fn args(&self, within: Duration) -> Option<Vec<String>> {
                let deadline = Instant::now() + within;
                let out = self.dir.join("args.txt");
                loop {
                    if let Ok(text) = fs::read_to_string(&out) {
                        return Some(text.lines().map(str::to_owned).collect());
                    }
                    if Instant::now() > deadline {
                        return None;
                    }
                    thread::sleep(Duration::from_millis(20));
                }
            }
        }

        impl Drop for FakeBrowser {
            fn drop(&mut self) {
                if let Some(parent) = self.dir.parent() {
                    let _ = fs::remove_dir_all(parent);
                }
            }
        }

        #[test]
        fn percent_s_in_browser_is_replaced_by_the_url() {
            let fake = FakeBrowser::new(0);
            let browser = format!("{} --new-window --url=%s", fake.command());
            open_with(Some(&browser), URL).expect("started");
            let args = fake.args(Duration::from_secs(5)).expect("browser ran");
            assert_eq!(
                args,
                vec!["--new-window".to_owned(), format!("--url={URL}")]
            );
        }

        #[test]
        fn url_is_appended_when_browser_has_no_percent_s() {
            let fake = FakeBrowser::new(0);
            let browser = format!("{} --private", fake.command());
            open_with(Some(&browser), URL).expect("started");
            let args = fake.args(Duration::from_secs(5)).expect("browser ran");
            assert_eq!(args, vec!["--private".to_owned(), URL.to_owned()]);
        }

        #[test]
        fn browser_is_not_waited_for() {
            let fake = FakeBrowser::new(2);
            let started = Instant::now();
            open_with(Some(&fake.command()), URL).expect("started");
            assert!(started.elapsed() < Duration::from_secs(1));
            let args = fake.args(Duration::from_secs(10)).expect("browser ran");
            assert_eq!(args, vec![URL.to_owned()]);
        }

        #[test]
        fn refused_url_never_reaches_the_browser() {
            let fake = FakeBrowser::new(0);
            let result = open_with(Some(&fake.command()), "file:///etc/passwd");
            assert!(matches!(result, Err(BrowserError::UnsafeUrl)));
            thread::sleep(Duration::from_millis(300));
            assert!(!fake.dir.join("args.txt").exists());
        }
    }
}
