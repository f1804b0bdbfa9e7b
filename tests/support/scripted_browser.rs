//! The scripted browser: "the person" in the connect tests. `BROWSER` points here, so
//! when the app opens an authorize URL this program fetches it, follows the fake
//! provider's redirect to the app's loopback callback, and exits, like a person who
//! clicks Allow.
//!
//! Built as the `scripted-browser` program of this crate
//! (`target/<profile>/scripted-browser`; bin/scripted_browser.rs calls [`run`]);
//! tests find it with `browser_command()`.
//! Plain HTTP/1.1 over std's TcpStream; http:// on 127.0.0.1 / `[::1]` / localhost
//! only: anything else is refused, so a test can never reach the internet.
//!
//! Usage: scripted-browser [ignored args...] URL
//! Env: AUTHDECK_TEST_BROWSER_LOG  file to append to, one line per event (below);
//!                                 the final body goes to `<that file>.page`
//!      AUTHDECK_TEST_BROWSER_DELAY_MS  wait this long before the first request
//!      AUTHDECK_TEST_BROWSER_LOCALHOST  where `localhost` goes: `ipv4` (127.0.0.1),
//!                                 `ipv6` (`[::1]` only), unset (`[::1]` first, then
//!                                 127.0.0.1, as a browser on a dual-stack machine)
//!      AUTHDECK_TEST_BROWSER_STRAYS  `1`: before requesting the app's callback,
//!                                 send it hostile local traffic (strays.rs)
//!
//! Log lines:
//! - `<status> <url>`  one per request followed; the last one is the final page
//! - `ADDRESS <ip:port> <url>`  just before that request's line, when the URL's host
//!   is `localhost`: the address the connection went to (`127.0.0.1:P` or `[::1]:P`)
//! - `STRAY <name> <status>` / `STRAY <name> error: <what>`  one per stray, before
//!   the callback's lines (see strays.rs)
//! - `REFUSED <url> (<why>)`, `ERROR <url> (<error>)`, `TOO-MANY-REDIRECTS <url>`

mod http;
mod loopback;
mod strays;

use std::fs::OpenOptions;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use loopback::Localhost;

const MAX_HOPS: usize = 10;
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// The program: `scripted-browser [ignored args...] URL`, configured by the
/// environment above.
pub fn run() -> ExitCode {
    let Some(mut url) = std::env::args().skip(1).last() else {
        eprintln!("scripted-browser: usage: scripted-browser URL");
        return ExitCode::from(2);
    };
    let log_path = std::env::var("AUTHDECK_TEST_BROWSER_LOG").ok();
    let log = |line: &str| {
        if let Some(path) = &log_path {
            if let Ok(mut file) = OpenOptions::new().create(true).append(true).open(path) {
                let _ = writeln!(file, "{line}");
            }
        }
    };
    if let Some(ms) = std::env::var("AUTHDECK_TEST_BROWSER_DELAY_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(Duration::from_millis(ms));
    }

    let localhost = match Localhost::from_env() {
        Ok(localhost) => localhost,
        Err(reason) => {
            eprintln!("scripted-browser: {reason}");
            return ExitCode::from(2);
        }
    };
    let send_strays = strays::enabled();
    // The port of the first URL (the provider's authorize page): the app's
    // callback is the later hop on another port that carries `state=`.
    let mut provider_port = None;
    // Held until after the real callback has completed, then dropped on return.
    let mut idle_stray: Option<strays::Idle> = None;

    for hop in 0..=MAX_HOPS {
        let target = match Target::parse(&url) {
            Ok(target) => target,
            Err(reason) => {
                log(&format!("REFUSED {url} ({reason})"));
                eprintln!("scripted-browser: refused {url}: {reason}");
                return ExitCode::from(3);
            }
        };
        let provider_port = *provider_port.get_or_insert(target.port);
        if send_strays
            && idle_stray.is_none()
            && hop > 0
            && target.port != provider_port
            && target.has_query_param("state")
        {
            idle_stray = Some(strays::send(&target, localhost, &log));
        }
        let response = match get(&target, localhost) {
            Ok((address, response)) => {
                if target.host == "localhost" {
                    log(&format!("ADDRESS {address} {url}"));
                }
                response
            }
            Err(e) => {
                log(&format!("ERROR {url} ({e})"));
                eprintln!("scripted-browser: GET {url} failed: {e}");
                return ExitCode::from(1);
            }
        };
        log(&format!("{} {url}", response.status));
        let location = response.header("location");
        match (response.status, location) {
            (300..=399, Some(location)) => url = target.resolve(&location),
            _ => {
                if let Some(path) = &log_path {
                    let _ = std::fs::write(format!("{path}.page"), &response.body);
                }
                return ExitCode::SUCCESS;
            }
        }
    }
    log(&format!("TOO-MANY-REDIRECTS {url}"));
    eprintln!("scripted-browser: more than {MAX_HOPS} redirects");
    ExitCode::from(1)
}

/// An http:// URL on a loopback host.
struct Target {
    /// `127.0.0.1`, `localhost` or `[::1]` (with the brackets, as in a URL).
    host: String,
    port: u16,
    path_and_query: String,
}

impl Target {
    fn parse(url: &str) -> Result<Target, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or("only http:// URLs are allowed")?;
        let (authority, path) = match rest.find(['/', '?', '#']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        // The fragment never goes on the wire.
        let path = path.split('#').next().unwrap_or("/");
        let path = if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_string()
        };
        if authority.contains('@') {
            return Err("userinfo in URLs is not allowed".into());
        }
        let parse_port = |port: &str| {
            port.parse::<u16>()
                .map_err(|_| format!("bad port {port:?}"))
        };
        let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
            // An IPv6 literal: [::1] or [::1]:PORT.
            let (inside, after) = bracketed
                .split_once(']')
                .ok_or_else(|| format!("unclosed [ in {authority:?}"))?;
            let port = match after {
                "" => 80,
                _ => parse_port(
                    after
                        .strip_prefix(':')
                        .ok_or_else(|| format!("bad authority {authority:?}"))?,
                )?,
            };
            (format!("[{inside}]"), port)
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host.to_string(), parse_port(port)?),
                None => (authority.to_string(), 80),
            }
        };
        let host = host.to_ascii_lowercase();
        if !["127.0.0.1", "localhost", "[::1]"].contains(&host.as_str()) {
            return Err(format!(
                "host {host:?} is not 127.0.0.1, [::1] or localhost"
            ));
        }
        Ok(Target {
            host,
            port,
            path_and_query: if path.is_empty() { "/".into() } else { path },
        })
    }

    /// The path without the query.
    fn path(&self) -> &str {
        self.path_and_query
            .split_once('?')
            .map_or(self.path_and_query.as_str(), |(path, _)| path)
    }

    /// The raw query (without `?`), empty when none.
    fn query(&self) -> &str {
        self.path_and_query
            .split_once('?')
            .map_or("", |(_, query)| query)
    }

    fn has_query_param(&self, name: &str) -> bool {
        self.query()
            .split('&')
            .any(|pair| pair.split('=').next() == Some(name))
    }

    /// Resolves a Location header against this URL (absolute, or absolute path).
    fn resolve(&self, location: &str) -> String {
        if location.contains("://") {
            location.to_string()
        } else if location.starts_with('/') {
            format!("http://{}:{}{location}", self.host, self.port)
        } else {
            let dir = match self.path_and_query.split('?').next() {
                Some(path) => &path[..path.rfind('/').map(|i| i + 1).unwrap_or(0)],
                None => "/",
            };
            format!("http://{}:{}{dir}{location}", self.host, self.port)
        }
    }
}

/// One GET on its own connection; also says which address it went to.
fn get(
    target: &Target,
    localhost: Localhost,
) -> std::io::Result<(std::net::SocketAddr, http::Response)> {
    let (mut stream, address) =
        loopback::connect(&target.host, target.port, localhost, IO_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}:{}\r\nUser-Agent: authdeck-scripted-browser\r\nAccept: text/html,*/*\r\nConnection: close\r\n\r\n",
        target.path_and_query, target.host, target.port
    );
    let response = http::exchange(&mut stream, request.as_bytes())?;
    Ok((address, response))
}
