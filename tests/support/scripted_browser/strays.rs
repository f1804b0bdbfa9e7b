//! Hostile local traffic sent to the app's callback listener just before the
//! real callback (AUTHDECK_TEST_BROWSER_STRAYS=1): what any local program, a web
//! page probing ports or an old tab can send. None of it may end the sign-in,
//! store anything or cause a token request; the real callback that follows must
//! still complete. Each stray logs one line `STRAY <name> <status>` or
//! `STRAY <name> error: <what happened>`. Loopback only: the address comes from
//! `loopback`, which never dials anything else.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use super::http;
use super::loopback::{self, Localhost};
use super::Target;

pub const STRAYS_ENV: &str = "AUTHDECK_TEST_BROWSER_STRAYS";

/// Per stray: long enough for a slow but working listener, short enough that a
/// wedged one fails the test instead of hanging it.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections open at once in the flood.
const FLOOD: usize = 200;
/// The long-url stray's query, about 16 KiB.
const LONG_QUERY: usize = 16 * 1024;

pub fn enabled() -> bool {
    std::env::var(STRAYS_ENV).is_ok_and(|v| v == "1")
}

/// The idle stray: a connection that never sends a byte, held open by the
/// caller until after the real callback has completed (the listener may close
/// it first; that is allowed).
pub struct Idle {
    _stream: Option<TcpStream>,
}

/// Sends every stray to the callback's host:port, logging one line each, and
/// returns the idle connection for the caller to hold.
pub fn send(callback: &Target, localhost: Localhost, log: &dyn Fn(&str)) -> Idle {
    let mut dialer = Dialer {
        host: callback.host.clone(),
        port: callback.port,
        localhost,
        pinned: None,
    };
    let path = callback.path().to_string();
    let host_header = format!("{}:{}", callback.host, callback.port);
    let get = |target: &str| request("GET", target, &host_header, "").into_bytes();

    let wrong_state = format!("{path}?{}", with_state(callback.query(), &random_value()));
    let strays: Vec<(&str, Vec<u8>)> = vec![
        ("wrong-state", get(&wrong_state)),
        ("missing-state", get(&format!("{path}?code=x"))),
        (
            // The real callback's query, in the URL and as a form body: only the
            // method is wrong.
            "post",
            request(
                "POST",
                &callback.path_and_query,
                &host_header,
                callback.query(),
            )
            .into_bytes(),
        ),
        ("favicon", get("/favicon.ico")),
        (
            "long-url",
            get(&format!("{path}?code=x&pad={}", "a".repeat(LONG_QUERY))),
        ),
        ("invalid-utf8", invalid_utf8(&path, &host_header)),
    ];
    for (name, bytes) in strays {
        log(&format!("STRAY {name} {}", one(&mut dialer, &bytes)));
    }

    let idle = match dialer.dial() {
        Ok(stream) => {
            log("STRAY idle open");
            Some(stream)
        }
        Err(e) => {
            log(&format!("STRAY idle error: {e}"));
            None
        }
    };
    log(&format!("STRAY flood {}", flood(dialer.address(), &path)));
    Idle { _stream: idle }
}

/// Connects to the callback's address: the first stray finds it as a browser
/// would (loopback::connect), the others go to the same one.
struct Dialer {
    host: String,
    port: u16,
    localhost: Localhost,
    pinned: Option<SocketAddr>,
}

impl Dialer {
    fn dial(&mut self) -> std::io::Result<TcpStream> {
        let stream = match self.pinned {
            Some(address) => TcpStream::connect_timeout(&address, CONNECT_TIMEOUT)?,
            None => {
                let (stream, address) =
                    loopback::connect(&self.host, self.port, self.localhost, CONNECT_TIMEOUT)?;
                self.pinned = Some(address);
                stream
            }
        };
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        Ok(stream)
    }

    /// Where the flood goes: the pinned address, else the first a browser would try.
    fn address(&self) -> Option<SocketAddr> {
        self.pinned.or_else(|| {
            loopback::candidates(&self.host, self.port, self.localhost)
                .first()
                .copied()
        })
    }
}

fn request(method: &str, target: &str, host: &str, body: &str) -> String {
    let mut text = format!(
        "{method} {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: authdeck-scripted-browser\r\nConnection: close\r\n"
    );
    if !body.is_empty() {
        text.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    text.push_str("\r\n");
    text.push_str(body);
    text
}

/// A request line whose target carries raw bytes that are not UTF-8.
fn invalid_utf8(path: &str, host: &str) -> Vec<u8> {
    let mut bytes = format!("GET {path}?code=").into_bytes();
    bytes.extend_from_slice(&[0xFF, 0xFE]);
    bytes.extend_from_slice(b"&state=");
    bytes.extend_from_slice(&[0xC3, 0x28]);
    bytes.extend_from_slice(
        format!(
            " HTTP/1.1\r\nHost: {host}\r\nUser-Agent: authdeck-scripted-browser\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
    );
    bytes
}

/// One stray on its own connection: the status, or what went wrong.
fn one(dialer: &mut Dialer, bytes: &[u8]) -> String {
    let mut stream = match dialer.dial() {
        Ok(stream) => stream,
        Err(e) => return format!("error: connect: {e}"),
    };
    // A listener may answer (414, 400) and close before reading all of a long
    // request, so a failed write is not the end: read what came back anyway.
    let written = stream.write_all(bytes);
    let mut raw = Vec::new();
    let read = http::read_response(&mut stream, &mut raw);
    if !raw.is_empty() {
        return match http::parse_response(&raw) {
            Ok(response) => response.status.to_string(),
            Err(e) => format!("error: unreadable answer: {e}"),
        };
    }
    match (written, read) {
        (Err(e), _) => format!("error: write: {e}"),
        (_, Err(e)) => format!("error: read: {e}"),
        (Ok(()), Ok(())) => "error: closed without an answer".to_string(),
    }
}

/// The state parameter replaced by `value`, everything else kept.
fn with_state(query: &str, value: &str) -> String {
    query
        .split('&')
        .map(|pair| {
            if pair.starts_with("state=") {
                format!("state={value}")
            } else {
                pair.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A fresh value shaped like a state, different from the real one.
fn random_value() -> String {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded from the OS per process; two draws give 128 bits.
    let draw = || {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default(),
        );
        hasher.finish()
    };
    format!("stray{:016x}{:016x}", draw(), draw())
}

/// How one flood connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Some bytes came back.
    Answered,
    /// The listener closed the connection without a word.
    Closed,
    Refused,
    /// Reset or aborted on write or read.
    Reset,
    /// No answer and no close within the time allowed.
    Timeout,
    Other,
}

fn outcome_of(e: &std::io::Error) -> Outcome {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::ConnectionRefused => Outcome::Refused,
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe => {
            Outcome::Reset
        }
        ErrorKind::TimedOut | ErrorKind::WouldBlock => Outcome::Timeout,
        _ => Outcome::Other,
    }
}

/// 200 connections open at once, each sending junk (half a bare junk line, half
/// a request cut short and half-closed), then reading what comes back and
/// closing. Answered, closed, refused and reset all count as handled; the
/// result is `<handled>/200 answered=… closed=… refused=… reset=… timeout=… other=…`.
fn flood(address: Option<SocketAddr>, path: &str) -> String {
    let Some(address) = address else {
        return format!("0/{FLOOD} error: no loopback address");
    };
    // Every connection is made before any sends: all 200 are open at once.
    let gate = Arc::new((Mutex::new(false), Condvar::new()));
    let (connected_tx, connected_rx) = std::sync::mpsc::channel::<()>();
    let mut workers = Vec::new();
    let mut outcomes = Vec::new();
    for i in 0..FLOOD {
        let gate = Arc::clone(&gate);
        let connected = connected_tx.clone();
        let junk: Vec<u8> = if i % 2 == 0 {
            b"JUNK\r\n\r\n".to_vec()
        } else {
            format!("GET {path}?code=").into_bytes()
        };
        let spawned = std::thread::Builder::new()
            .name(format!("stray-flood-{i}"))
            .stack_size(128 * 1024)
            .spawn(move || {
                let stream = TcpStream::connect_timeout(&address, CONNECT_TIMEOUT);
                let _ = connected.send(());
                wait_for(&gate);
                let mut stream = stream.map_err(|e| outcome_of(&e))?;
                let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
                let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
                stream.write_all(&junk).map_err(|e| outcome_of(&e))?;
                if i % 2 == 1 {
                    // The rest of the request never comes.
                    let _ = stream.shutdown(Shutdown::Write);
                }
                let mut byte = [0u8; 1];
                match stream.read(&mut byte) {
                    Ok(0) => Ok(Outcome::Closed),
                    Ok(_) => Ok(Outcome::Answered),
                    Err(e) => Err(outcome_of(&e)),
                }
            });
        match spawned {
            Ok(worker) => workers.push(worker),
            Err(_) => outcomes.push(Outcome::Other),
        }
    }
    drop(connected_tx);
    for _ in 0..workers.len() {
        // Each worker reports once, connected or not; the timeout only guards
        // against a worker that died before reporting.
        if connected_rx.recv_timeout(CONNECT_TIMEOUT * 2).is_err() {
            break;
        }
    }
    {
        let (open, wake) = &*gate;
        *open.lock().unwrap_or_else(|e| e.into_inner()) = true;
        wake.notify_all();
    }
    for worker in workers {
        let outcome = match worker.join() {
            Ok(Ok(outcome) | Err(outcome)) => outcome,
            Err(_) => Outcome::Other,
        };
        outcomes.push(outcome);
    }
    let count = |kind: Outcome| outcomes.iter().filter(|o| **o == kind).count();
    let handled = count(Outcome::Answered)
        + count(Outcome::Closed)
        + count(Outcome::Refused)
        + count(Outcome::Reset);
    format!(
        "{handled}/{FLOOD} answered={} closed={} refused={} reset={} timeout={} other={}",
        count(Outcome::Answered),
        count(Outcome::Closed),
        count(Outcome::Refused),
        count(Outcome::Reset),
        count(Outcome::Timeout),
        count(Outcome::Other),
    )
}

fn wait_for(gate: &(Mutex<bool>, Condvar)) {
    let (open, wake) = gate;
    let mut is_open = open.lock().unwrap_or_else(|e| e.into_inner());
    while !*is_open {
        is_open = wake.wait(is_open).unwrap_or_else(|e| e.into_inner());
    }
}
