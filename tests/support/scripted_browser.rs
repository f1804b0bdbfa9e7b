//! The scripted browser: "the person" in the connect tests. `BROWSER` points here, so
//! when the app opens an authorize URL this program fetches it, follows the fake
//! provider's redirect to the app's loopback callback, and exits, like a person who
//! clicks Allow.
//!
//! Built as the `scripted-browser` example (target/debug/examples/scripted-browser).
//! Plain HTTP/1.1 over std's TcpStream; http:// on 127.0.0.1 / localhost only:
//! anything else is refused, so a test can never reach the internet.
//!
//! Usage: scripted-browser [ignored args...] URL
//! Env: AUTHDECK_TEST_BROWSER_LOG  file to append `<status> <url>` per request;
//!                                 the final body goes to `<that file>.page`
//!      AUTHDECK_TEST_BROWSER_DELAY_MS  wait this long before the first request

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::Duration;

const MAX_HOPS: usize = 10;
const IO_TIMEOUT: Duration = Duration::from_secs(30);

fn main() -> ExitCode {
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

    for _ in 0..=MAX_HOPS {
        let target = match Target::parse(&url) {
            Ok(target) => target,
            Err(reason) => {
                log(&format!("REFUSED {url} ({reason})"));
                eprintln!("scripted-browser: refused {url}: {reason}");
                return ExitCode::from(3);
            }
        };
        let response = match get(&target) {
            Ok(response) => response,
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
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse::<u16>()
                    .map_err(|_| format!("bad port {port:?}"))?,
            ),
            None => (authority, 80),
        };
        let host = host.to_ascii_lowercase();
        if host != "127.0.0.1" && host != "localhost" {
            return Err(format!("host {host:?} is not 127.0.0.1 or localhost"));
        }
        Ok(Target {
            host,
            port,
            path_and_query: if path.is_empty() { "/".into() } else { path },
        })
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

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }
}

fn get(target: &Target) -> std::io::Result<Response> {
    // "localhost" may resolve to ::1 first; the app listens on 127.0.0.1, as a browser would find.
    let address = format!(
        "{}:{}",
        if target.host == "localhost" {
            "127.0.0.1"
        } else {
            &target.host
        },
        target.port
    );
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}:{}\r\nUser-Agent: authdeck-scripted-browser\r\nAccept: text/html,*/*\r\nConnection: close\r\n\r\n",
        target.path_and_query, target.host, target.port
    );
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    read_response(&mut stream, &mut raw)?;
    parse_response(&raw)
}

/// Reads until the server closes, or until a Content-Length body is complete
/// (some servers keep the socket open despite `Connection: close`).
fn read_response(stream: &mut TcpStream, raw: &mut Vec<u8>) -> std::io::Result<()> {
    let mut chunk = [0u8; 8192];
    loop {
        let n = match stream.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if !raw.is_empty() && e.kind() == std::io::ErrorKind::ConnectionReset => 0,
            Err(e) => return Err(e),
        };
        if n == 0 {
            return Ok(());
        }
        raw.extend_from_slice(&chunk[..n]);
        if let Some(end) = find(raw, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            let length = head.lines().find_map(|line| {
                line.strip_prefix("content-length:")
                    .and_then(|v| v.trim().parse::<usize>().ok())
            });
            if let Some(length) = length {
                if raw.len() >= end + 4 + length {
                    return Ok(());
                }
            }
        }
    }
}

fn parse_response(raw: &[u8]) -> std::io::Result<Response> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    let end = find(raw, b"\r\n\r\n").ok_or_else(|| bad("no end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or_else(|| bad("empty response"))?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| bad("bad status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.to_ascii_lowercase().contains("chunked")
    });
    if chunked {
        body = dechunk(&body).ok_or_else(|| bad("bad chunked body"))?;
    } else if let Some(length) = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
    {
        body.truncate(length);
    }
    Ok(Response {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = find(data, b"\r\n")?;
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
