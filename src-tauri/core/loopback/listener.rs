//! The sockets of one sign-in attempt.
//!
//! Bound on loopback IP literals only: `127.0.0.1`, and `[::1]` on the same port
//! when the redirect URI says `localhost` (a browser may resolve `localhost` to
//! `::1` first). Never a name, never all interfaces.
//!
//! The callback is one small GET, so every connection is held to what that needs:
//! at most [`MAX_CONNECTIONS`] at once (more are closed on arrival), a request
//! head of at most [`MAX_HEAD`] bytes read within [`CONNECTION_TIME`], one answer,
//! then closed. A flood, a silent socket or an endless request line therefore
//! costs a bounded number of small threads for a bounded time, and cannot delay
//! the real callback for longer than that. (tiny_http, which an earlier version
//! used here, reads request lines without a limit, sets no deadline and starts a
//! thread for every connection; it stays the fake providers' server in tests.)

use std::io::{self, Read as _, Write as _};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use super::callback::{answer, shorten, Callback, CallbackPath, Expected};
use super::error::LoopbackError;
use super::page::Page;
use crate::provider::RedirectHost;

/// How often the wait re-checks for new connections, cancel and the deadline:
/// short enough that a cancel lands well within 100 ms.
const POLL: Duration = Duration::from_millis(20);

/// Connections served at once. A browser opens one or two; the rest of a flood
/// is closed as it arrives.
pub const MAX_CONNECTIONS: usize = 32;

/// The longest request head read from one connection (request line and headers).
pub const MAX_HEAD: usize = 32 * 1024;

/// How long one connection may take to send its request head. A browser sends
/// the callback at once; a silent or trickling socket is closed after this.
pub const CONNECTION_TIME: Duration = Duration::from_secs(10);

/// Each connection's thread only reads a head and writes a page.
const CONNECTION_STACK: usize = 128 * 1024;

/// Fixed-port-free binds that found the port taken on `[::1]` are retried this
/// many times with a new port from the operating system.
const DUAL_STACK_TRIES: usize = 8;

/// Where to listen for one attempt, taken from the provider's catalog entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerConfig {
    pub host: RedirectHost,
    /// The redirect URI's path, e.g. "/callback". Empty means the bare
    /// `http://127.0.0.1:PORT`, which browsers request as "/".
    pub path: String,
    /// Fixed ports tried in turn (providers that match redirect URIs exactly).
    /// Empty: the operating system picks a free port.
    pub ports: Vec<u16>,
}

impl Default for ListenerConfig {
    fn default() -> Self {
        Self {
            host: RedirectHost::Loopback,
            path: "/callback".to_owned(),
            ports: Vec::new(),
        }
    }
}

/// Stops a waiting listener from another thread (the window's Cancel button).
#[derive(Debug, Clone)]
pub struct CancelHandle {
    cancelled: Arc<AtomicBool>,
}

impl CancelHandle {
    /// Makes `wait` return `Err(Cancelled)` within about 20 ms. Calling it again,
    /// or after the attempt ended, does nothing.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
    }
}

/// The listener for one sign-in attempt. Dropping it (or `wait` returning) closes
/// the port on every address.
pub struct CallbackListener {
    /// `127.0.0.1`, then `[::1]` for a `localhost` redirect where the machine has
    /// IPv6 loopback. Non-blocking: `wait` polls them between other checks.
    sockets: Vec<TcpListener>,
    port: u16,
    redirect_uri: String,
    /// Checked once at bind, so `answer` compares with a path known to be valid.
    callback_path: CallbackPath,
    /// Shared with every `CancelHandle`; an atomic because the handle is used from
    /// another thread while `wait` blocks this one.
    cancelled: Arc<AtomicBool>,
}

impl std::fmt::Debug for CallbackListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackListener")
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

impl CallbackListener {
    /// Opens the listening sockets. Fixed ports are tried in order; if none is
    /// free the error names them.
    pub fn bind(config: &ListenerConfig) -> Result<Self, LoopbackError> {
        let callback_path = CallbackPath::new(&config.path)?;
        let sockets = bind_sockets(config.host, &config.ports)?;
        let port = sockets
            .first()
            .map(TcpListener::local_addr)
            .transpose()
            .map_err(|source| LoopbackError::Bind { source })?
            .map_or(0, |addr| addr.port());
        for socket in &sockets {
            socket
                .set_nonblocking(true)
                .map_err(|source| LoopbackError::Bind { source })?;
        }
        let redirect_uri = format!("http://{}:{}{}", config.host.as_str(), port, config.path);
        tracing::debug!(%redirect_uri, addresses = sockets.len(), "callback listener open");
        Ok(Self {
            sockets,
            port,
            redirect_uri,
            callback_path,
            cancelled: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The redirect URI to put in the authorize request, and byte for byte the same
    /// in the token request.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The addresses listened on (tests, diagnostics).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.sockets
            .iter()
            .filter_map(|s| s.local_addr().ok())
            .collect()
    }

    pub fn cancel_handle(&self) -> CancelHandle {
        CancelHandle {
            cancelled: Arc::clone(&self.cancelled),
        }
    }

    /// Blocks until this attempt's callback arrives, the timeout passes, or a
    /// `CancelHandle` cancels. Stray requests (other paths, other methods, a
    /// wrong or missing `state`, probes, silent connections) are answered or
    /// dropped and the wait goes on.
    ///
    /// When this returns, the port is closed.
    pub fn wait(self, expected: &Expected, timeout: Duration) -> Result<Callback, LoopbackError> {
        // A timeout too large to add to now means "no deadline".
        let deadline = Instant::now().checked_add(timeout);
        let outcome = self.serve(expected, deadline);
        drop(self.sockets);
        match &outcome {
            Ok(_) => tracing::debug!("callback accepted"),
            Err(error) => tracing::debug!(reason = ?error, "sign-in attempt ended"),
        }
        outcome
    }

    fn serve(
        &self,
        expected: &Expected,
        deadline: Option<Instant>,
    ) -> Result<Callback, LoopbackError> {
        let shared = Arc::new(Shared {
            path: self.callback_path.clone(),
            expected: expected.clone(),
            active: AtomicUsize::new(0),
        });
        let (outcomes, ended) = mpsc::channel();
        loop {
            if self.cancelled.load(Ordering::SeqCst) {
                return Err(LoopbackError::Cancelled);
            }
            let slice = match deadline {
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(LoopbackError::TimedOut);
                    }
                    (deadline - now).min(POLL)
                }
                None => POLL,
            };
            for socket in &self.sockets {
                accept_pending(socket, &shared, &outcomes)?;
            }
            match ended.recv_timeout(slice) {
                Ok(outcome) => return outcome,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                // `outcomes` is alive in this frame, so the channel cannot close.
                Err(mpsc::RecvTimeoutError::Disconnected) => {}
            }
        }
    }
}

type Outcome = Result<Callback, LoopbackError>;

/// What every connection's thread needs, shared by reference count.
struct Shared {
    path: CallbackPath,
    expected: Expected,
    /// Connections being served now; an atomic because each thread decrements
    /// its own when it ends.
    active: AtomicUsize,
}

/// Takes every connection waiting on `socket` and hands each to a thread of its
/// own, up to [`MAX_CONNECTIONS`] at once.
fn accept_pending(
    socket: &TcpListener,
    shared: &Arc<Shared>,
    outcomes: &mpsc::Sender<Outcome>,
) -> Result<(), LoopbackError> {
    loop {
        let (stream, peer) = match socket.accept() {
            Ok(accepted) => accepted,
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            // A peer that gave up between SYN and accept: nothing to do.
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
                ) =>
            {
                continue
            }
            Err(source) => return Err(LoopbackError::Listener { source }),
        };
        if shared.active.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
            tracing::debug!("too many connections to the callback listener; closing one");
            drop(stream);
            continue;
        }
        shared.active.fetch_add(1, Ordering::SeqCst);
        let for_thread = Arc::clone(shared);
        let outcomes = outcomes.clone();
        // The caller's log subscriber, which may be scoped to its thread.
        let logs = tracing::dispatcher::get_default(Clone::clone);
        let spawned = thread::Builder::new()
            .name("authdeck-callback".to_owned())
            .stack_size(CONNECTION_STACK)
            .spawn(move || {
                let outcome = tracing::dispatcher::with_default(&logs, || {
                    serve_connection(stream, peer, &for_thread)
                });
                if let Some(outcome) = outcome {
                    // The wait may have ended already; then this outcome is moot.
                    let _ = outcomes.send(outcome);
                }
                for_thread.active.fetch_sub(1, Ordering::SeqCst);
            });
        if let Err(error) = spawned {
            // The stream went with the closure and is closed; count it out.
            shared.active.fetch_sub(1, Ordering::SeqCst);
            tracing::debug!(%error, "no thread for a callback connection");
        }
    }
}

/// Reads one request head, answers it, and closes. `Some` when the request ended
/// the attempt.
fn serve_connection(mut stream: TcpStream, peer: SocketAddr, shared: &Shared) -> Option<Outcome> {
    // Accepted sockets may inherit the listener's non-blocking mode.
    if stream.set_nonblocking(false).is_err() {
        return None;
    }
    // Binding loopback addresses already ensures a local peer; this check keeps
    // it true if the bind ever changes.
    if !is_local(Some(&peer)) {
        finish(&mut stream, &Page::forbidden().to_http(false));
        return None;
    }
    let head = match read_head(&mut stream, Instant::now() + CONNECTION_TIME) {
        Head::Complete(head) => head,
        Head::TooLong => {
            finish(&mut stream, &Page::too_long().to_http(false));
            return None;
        }
        // Closed, silent past the deadline, or broken: nobody to answer.
        Head::Gone => return None,
    };
    let Some((method, target)) = request_line(&head) else {
        finish(&mut stream, &Page::bad_request().to_http(false));
        return None;
    };
    let path = target.split_once('?').map_or(target, |(path, _)| path);
    // Path only, and shortened: the query holds the code and state.
    tracing::debug!(
        method = %shorten(method, 10),
        path = %shorten(path, 100),
        "request on the callback listener"
    );
    let answer = answer(&shared.path, method, target, &shared.expected);
    finish(&mut stream, &answer.to_http());
    answer.into_outcome()
}

enum Head {
    Complete(Vec<u8>),
    TooLong,
    Gone,
}

/// Reads until the blank line that ends a request head, at most [`MAX_HEAD`]
/// bytes, until `deadline`.
fn read_head(stream: &mut TcpStream, deadline: Instant) -> Head {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return Head::Gone;
        }
        let read = match stream.read(&mut chunk) {
            Ok(0) => return Head::Gone,
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Head::Gone,
        };
        // Look for the end from a little before the new bytes: it may straddle.
        let from = head.len().saturating_sub(3);
        head.extend_from_slice(&chunk[..read]);
        if let Some(end) = end_of_head(&head[from..]) {
            head.truncate(from + end);
            return Head::Complete(head);
        }
        if head.len() > MAX_HEAD {
            return Head::TooLong;
        }
    }
}

/// Where the head ends: after `\r\n\r\n`, or `\n\n` from lenient clients.
fn end_of_head(bytes: &[u8]) -> Option<usize> {
    let crlf = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4);
    let lf = bytes.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The method and target of `METHOD TARGET HTTP/x.y`, or `None` for anything a
/// browser would not send (including bytes that are not UTF-8).
fn request_line(head: &[u8]) -> Option<(&str, &str)> {
    let line_end = head.iter().position(|&b| b == b'\n')?;
    let line = std::str::from_utf8(&head[..line_end]).ok()?;
    let mut parts = line.trim_end_matches('\r').split(' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    let well_formed = parts.next().is_none()
        && !method.is_empty()
        && method.bytes().all(|b| b.is_ascii_alphabetic())
        && target.starts_with('/')
        && version.starts_with("HTTP/1.");
    well_formed.then_some((method, target))
}

/// Writes the answer and closes the connection without resetting it: a request
/// body the client is still sending is read and dropped for a moment, so the
/// close does not turn into a reset that eats the page.
fn finish(stream: &mut TcpStream, response: &[u8]) {
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    // The browser may already have closed the tab: a failed write changes
    // nothing about the attempt.
    if let Err(error) = stream.write_all(response).and_then(|()| stream.flush()) {
        tracing::debug!(%error, "could not send the page to the browser");
        return;
    }
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let mut sink = [0u8; 4096];
    let mut drained = 0;
    while drained < 64 * 1024 {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(read) => drained += read,
        }
    }
}

/// Only processes on this computer may talk to the listener.
fn is_local(peer: Option<&SocketAddr>) -> bool {
    peer.is_some_and(|peer| peer.ip().is_loopback())
}

/// The listening sockets for `host`: `127.0.0.1`, plus `[::1]` on the same port
/// for `localhost` where the machine has IPv6 loopback.
fn bind_sockets(host: RedirectHost, ports: &[u16]) -> Result<Vec<TcpListener>, LoopbackError> {
    let dual = host == RedirectHost::Localhost;
    if ports.is_empty() {
        for _ in 0..DUAL_STACK_TRIES {
            let v4 = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .map_err(|source| LoopbackError::Bind { source })?;
            if !dual {
                return Ok(vec![v4]);
            }
            let port = v4
                .local_addr()
                .map_err(|source| LoopbackError::Bind { source })?
                .port();
            match bind_v6(port) {
                V6::Bound(v6) => return Ok(vec![v4, v6]),
                V6::Unavailable => return Ok(vec![v4]),
                // Taken on ::1 only: let the system pick another port.
                V6::Taken => continue,
            }
        }
        return Err(LoopbackError::Bind {
            source: io::Error::new(
                io::ErrorKind::AddrInUse,
                "no port was free on both 127.0.0.1 and [::1]",
            ),
        });
    }
    for &port in ports {
        let v4 = match TcpListener::bind((Ipv4Addr::LOCALHOST, port)) {
            Ok(v4) => v4,
            Err(error) if is_taken(&error) => {
                tracing::debug!(port, %error, "callback port unavailable, trying the next");
                continue;
            }
            Err(source) => return Err(LoopbackError::Bind { source }),
        };
        if !dual {
            return Ok(vec![v4]);
        }
        match bind_v6(port) {
            V6::Bound(v6) => return Ok(vec![v4, v6]),
            V6::Unavailable => return Ok(vec![v4]),
            V6::Taken => tracing::debug!(port, "callback port taken on [::1], trying the next"),
        }
    }
    Err(LoopbackError::PortsInUse {
        ports: ports.to_vec(),
    })
}

enum V6 {
    Bound(TcpListener),
    /// No IPv6 loopback on this machine: `localhost` can only mean 127.0.0.1.
    Unavailable,
    Taken,
}

fn bind_v6(port: u16) -> V6 {
    match TcpListener::bind((IpAddr::V6(Ipv6Addr::LOCALHOST), port)) {
        Ok(listener) => V6::Bound(listener),
        Err(error) if is_taken(&error) => V6::Taken,
        Err(error) => {
            tracing::debug!(%error, "no IPv6 loopback; listening on 127.0.0.1 only");
            V6::Unavailable
        }
    }
}

/// Windows reports ports reserved by Hyper-V and friends as "permission denied";
/// for the person both mean "taken, try the next one".
fn is_taken(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::AddrInUse | io::ErrorKind::PermissionDenied
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_peers_are_local() {
        let local: SocketAddr = "127.0.0.1:5000".parse().expect("addr");
        let remote: SocketAddr = "192.168.1.10:5000".parse().expect("addr");
        let v6_local: SocketAddr = "[::1]:5000".parse().expect("addr");
        assert!(is_local(Some(&local)));
        assert!(is_local(Some(&v6_local)));
        assert!(!is_local(Some(&remote)));
        assert!(!is_local(None));
    }

    #[test]
    fn request_line_takes_only_what_a_browser_sends() {
        let ok = b"GET /callback?state=s HTTP/1.1\r\nHost: x\r\n\r\n";
        assert_eq!(request_line(ok), Some(("GET", "/callback?state=s")));
        for bad in [
            &b"GET /callback?state=\xff\xfe HTTP/1.1\r\n\r\n"[..],
            b"GET\r\n\r\n",
            b"GET /a b HTTP/1.1\r\n\r\n",
            b"GET http://evil/ HTTP/1.1\r\n\r\n",
            b"\x16\x03\x01\x00\xa5hello\r\n\r\n",
            b"G3T / HTTP/1.1\r\n\r\n",
            b"GET / SPDY/3\r\n\r\n",
            b"no line end",
        ] {
            assert_eq!(request_line(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn the_head_ends_at_the_first_blank_line() {
        assert_eq!(end_of_head(b"GET / HTTP/1.1\r\nA: b\r\n\r\nbody"), Some(24));
        assert_eq!(end_of_head(b"GET / HTTP/1.0\n\n"), Some(16));
        assert_eq!(end_of_head(b"GET / HTTP/1.1\r\nA: b\r\n"), None);
    }
}
