//! The one-shot loopback listener that receives the browser's redirect at the end of
//! a sign-in (RFC 8252 section 7.3).
//!
//! This module owns the local HTTP endpoint for one attempt: binding it on the IP
//! literal `127.0.0.1` (never a name, never all interfaces), telling the flow the
//! exact `redirect_uri` to send, checking the response (`state`, RFC 9207 `iss`,
//! `error`, `code`), answering the browser with a small self-contained page, and
//! closing the port as soon as the attempt ends, whatever the outcome.
//!
//! It never sees a token and never contacts a provider: the authorization code it
//! returns is handed to the flow, which exchanges it exactly once. A response whose
//! `state` does not match never yields a code, so no token request can follow it.

use std::fmt;
use std::io::{self, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use tiny_http::{Method, Request, Server};
use url::form_urlencoded;

use crate::core::pkce::constant_time_eq;
use crate::core::secret::AuthorizationCode;

/// How long one `recv` waits before re-checking cancel and the deadline: short
/// enough that a cancel lands well within 100 ms.
const POLL: Duration = Duration::from_millis(50);

/// Longest request target accepted. Real callbacks (code, state, scope, iss) stay
/// far below this; tiny_http itself reads request lines without a limit.
const MAX_URL_LEN: usize = 8 * 1024;

/// A provider's `error_description` is shown to the person; keep it readable.
const MAX_DESCRIPTION_CHARS: usize = 300;

/// Characters allowed in a configured callback path: RFC 3986 `pchar` and `/`,
/// without percent-escapes, so the path we compare is exactly the path we send.
const PATH_PUNCTUATION: &[u8] = b"-._~/!$&'()*+,;=:@";

/// The host written in the redirect URI. The socket is `127.0.0.1` either way;
/// `Localhost` exists only for providers that register `http://localhost:...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectHost {
    Loopback,
    Localhost,
}

impl RedirectHost {
    /// The host as written in the redirect URI.
    pub fn as_str(self) -> &'static str {
        match self {
            RedirectHost::Loopback => "127.0.0.1",
            RedirectHost::Localhost => "localhost",
        }
    }
}

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

/// What the callback must carry to be accepted.
pub struct Expected {
    /// The `state` sent in the authorize URL for this attempt.
    pub state: String,
    /// The provider's issuer identifier (RFC 9207), when the catalog knows it.
    pub issuer: Option<String>,
}

impl fmt::Debug for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // state guards the attempt: keep it out of logs like any other secret.
        f.debug_struct("Expected")
            .field("state", &"[redacted]")
            .field("issuer", &self.issuer)
            .finish()
    }
}

/// An accepted callback: the single-use code and the issuer it claimed, if any.
#[derive(Debug)]
pub struct Callback {
    pub code: AuthorizationCode,
    /// The `iss` parameter as received. Checked against `Expected::issuer` when
    /// that is set; passed through unchecked otherwise.
    pub iss: Option<String>,
}

/// Stops a waiting listener from another thread (the window's Cancel button).
#[derive(Debug, Clone)]
pub struct CancelHandle {
    cancelled: Arc<AtomicBool>,
}

impl CancelHandle {
    /// Makes `wait` return `Err(Cancelled)` within about 50 ms. Calling it again,
    /// or after the attempt ended, does nothing.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
    }
}

/// Why the attempt ended without a code, or why the listener could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoopbackError {
    #[error("{}", ports_in_use_message(.ports))]
    PortsInUse { ports: Vec<u16> },

    #[error(
        "Authdeck could not open a port on this computer to receive the sign-in from your \
         browser. Check that no security software blocks local connections, then try again."
    )]
    Bind {
        #[source]
        source: io::Error,
    },

    #[error(
        "The sign-in settings for this service have an unusable redirect path \"{path}\". \
         It must start with / and contain no spaces, ?, # or %. Fix redirect_path in \
         providers.toml and try again."
    )]
    InvalidPath { path: String },

    #[error(
        "The sign-in response did not come from the request Authdeck started, so it was \
         ignored and nothing was saved. Start again from Authdeck."
    )]
    StateMismatch,

    #[error(
        "You chose not to allow access, so nothing was connected. \
         Connect again if you change your mind."
    )]
    Denied,

    #[error("{}", provider_message(.error, .description.as_deref()))]
    Provider {
        error: String,
        description: Option<String>,
    },

    #[error(
        "The sign-in response came back without an authorization code, so nothing was \
         saved. Start again from Authdeck."
    )]
    MissingCode,

    #[error(
        "The sign-in response was malformed (a value was repeated or contained characters \
         a real response never has), so nothing was saved. Start again from Authdeck."
    )]
    MalformedCallback,

    #[error(
        "The sign-in response came from \"{got}\", not from \"{expected}\" where Authdeck \
         sent you, so it was ignored and nothing was saved. Start again from Authdeck."
    )]
    IssuerMismatch { expected: String, got: String },

    #[error(
        "Sign-in timed out: nothing came back from the browser. Start again and finish \
         signing in within the time limit."
    )]
    TimedOut,

    #[error("Sign-in was cancelled, so nothing was saved. Connect again when you are ready.")]
    Cancelled,

    #[error(
        "Authdeck stopped listening for the browser because of a problem on this computer. \
         Start again from Authdeck."
    )]
    Listener {
        #[source]
        source: io::Error,
    },
}

fn ports_in_use_message(ports: &[u16]) -> String {
    match ports {
        [port] => format!(
            "Authdeck could not listen on 127.0.0.1 port {port} (in use by another program). \
             Close the program using it and try again."
        ),
        _ => {
            let list: Vec<String> = ports.iter().map(u16::to_string).collect();
            format!(
                "Authdeck could not listen on 127.0.0.1 ports {} (all in use by other \
                 programs). Close the programs using them and try again.",
                list.join(", ")
            )
        }
    }
}

fn provider_message(error: &str, description: Option<&str>) -> String {
    let said = match description {
        Some(description) => format!("{description} ({error})"),
        None => error.to_owned(),
    };
    format!(
        "The service did not complete the sign-in. It said: {said}. Start again; if it \
         keeps happening, check this service's setup in Authdeck."
    )
}

/// The listener for one sign-in attempt. Dropping it (or `wait` returning) closes
/// the port.
pub struct CallbackListener {
    server: Server,
    addr: SocketAddr,
    redirect_uri: String,
    /// Checked once at bind, so `answer` compares with a path known to be valid.
    callback_path: CallbackPath,
    /// Shared with every `CancelHandle`; an atomic because the handle is used from
    /// another thread while `wait` blocks this one.
    cancelled: Arc<AtomicBool>,
}

impl fmt::Debug for CallbackListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackListener")
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

impl CallbackListener {
    /// Opens the listening socket on `127.0.0.1` (even when the URI says
    /// `localhost`, so no other interface and no IPv6 resolver surprise is
    /// involved). Fixed ports are tried in order; if none is free the error names
    /// them.
    pub fn bind(config: &ListenerConfig) -> Result<Self, LoopbackError> {
        let callback_path = CallbackPath::new(&config.path)?;
        let listener = bind_listener(&config.ports)?;
        let addr = listener
            .local_addr()
            .map_err(|source| LoopbackError::Bind { source })?;
        let server =
            Server::from_listener(listener, None).map_err(|error| LoopbackError::Bind {
                source: io::Error::other(error),
            })?;
        let redirect_uri = format!(
            "http://{}:{}{}",
            config.host.as_str(),
            addr.port(),
            config.path
        );
        tracing::debug!(%redirect_uri, "callback listener open");
        Ok(Self {
            server,
            addr,
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
        self.addr.port()
    }

    pub fn cancel_handle(&self) -> CancelHandle {
        CancelHandle {
            cancelled: Arc::clone(&self.cancelled),
        }
    }

    /// Blocks until a callback ends the attempt, the timeout passes, or a
    /// `CancelHandle` cancels. Stray requests (other paths, other methods, probes,
    /// silent connections) are answered or ignored and the wait goes on.
    ///
    /// When this returns, the port is closed.
    pub fn wait(self, expected: &Expected, timeout: Duration) -> Result<Callback, LoopbackError> {
        // A timeout too large to add to now means "no deadline".
        let deadline = Instant::now().checked_add(timeout);
        let outcome = self.serve(expected, deadline);
        let CallbackListener { server, addr, .. } = self;
        drop(server);
        wait_until_closed(addr);
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
            match self.server.recv_timeout(slice) {
                Ok(Some(request)) => {
                    if let Some(outcome) = self.handle(request, expected) {
                        return outcome;
                    }
                }
                Ok(None) => {}
                // tiny_http reports accept() failures here and stops accepting, so
                // nothing more can arrive: end the attempt instead of waiting out
                // the timeout.
                Err(source) => return Err(LoopbackError::Listener { source }),
            }
        }
    }

    /// Answers one request. `Some` ends the attempt; `None` means "not the
    /// callback, keep waiting".
    fn handle(
        &self,
        request: Request,
        expected: &Expected,
    ) -> Option<Result<Callback, LoopbackError>> {
        let url = request.url();
        let path = url.split_once('?').map_or(url, |(path, _)| path);
        // Path only, and shortened: the query holds the code and state.
        tracing::debug!(
            method = %request.method(),
            path = %shorten(path, 100),
            "request on the callback listener"
        );

        // The peer is known only here, on the socket; everything after it is
        // decided by `answer`, which the fuzz target drives without one.
        if !is_local(request.remote_addr()) {
            let head_only = *request.method() == Method::Head;
            respond(request, Page::forbidden().to_http(head_only));
            return None;
        }
        let answer = answer(
            &self.callback_path,
            request.method().as_str(),
            url,
            expected,
        );
        respond(request, answer.to_http());
        answer.into_outcome()
    }
}

/// The request path that counts as the callback, checked once when the listener
/// opens: the configured path, or "/" for a bare `http://127.0.0.1:PORT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackPath(String);

impl CallbackPath {
    /// Checks a configured redirect path (see [`ListenerConfig::path`]).
    pub fn new(configured: &str) -> Result<Self, LoopbackError> {
        if configured.is_empty() {
            return Ok(Self("/".to_owned()));
        }
        let valid = configured.starts_with('/')
            && configured
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || PATH_PUNCTUATION.contains(&b));
        if valid {
            Ok(Self(configured.to_owned()))
        } else {
            Err(LoopbackError::InvalidPath {
                path: configured.to_owned(),
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How the listener answers one request from a local peer: the page to send and,
/// when the request was the callback, how the attempt ends.
#[derive(Debug)]
pub struct Answer {
    page: Page,
    /// HEAD gets the head of the response without the page.
    head_only: bool,
    outcome: Option<Result<Callback, LoopbackError>>,
}

impl Answer {
    /// The HTTP status of the response.
    pub fn status(&self) -> u16 {
        self.page.status
    }

    /// The HTML page (also for HEAD, which is sent only its head).
    pub fn page(&self) -> String {
        self.page.render()
    }

    /// The whole HTTP response exactly as written to the socket.
    pub fn to_http(&self) -> Vec<u8> {
        self.page.to_http(self.head_only)
    }

    /// `Some` ends the attempt with this outcome; `None` means "not the callback,
    /// keep waiting".
    pub fn outcome(&self) -> Option<&Result<Callback, LoopbackError>> {
        self.outcome.as_ref()
    }

    pub fn into_outcome(self) -> Option<Result<Callback, LoopbackError>> {
        self.outcome
    }
}

/// Decides one request to the listener: length limit, path, method, then what the
/// query means. `method` and `target` are the request line's method and target as
/// received. Pure (no socket, no clock), so the live listener and the fuzz target
/// run the same code.
pub fn answer(path: &CallbackPath, method: &str, target: &str, expected: &Expected) -> Answer {
    let head_only = method == "HEAD";
    let (request_path, query) = target.split_once('?').unwrap_or((target, ""));
    let (page, outcome) = if target.len() > MAX_URL_LEN {
        (Page::too_long(), None)
    } else if request_path != path.as_str() {
        (Page::not_found(), None)
    } else if method != "GET" {
        (Page::method_not_allowed(), None)
    } else {
        let outcome = judge(query, expected);
        (Page::for_outcome(&outcome), Some(outcome))
    };
    Answer {
        page,
        head_only,
        outcome,
    }
}

fn bind_listener(ports: &[u16]) -> Result<TcpListener, LoopbackError> {
    if ports.is_empty() {
        return TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(|source| LoopbackError::Bind { source });
    }
    for &port in ports {
        match TcpListener::bind((Ipv4Addr::LOCALHOST, port)) {
            Ok(listener) => return Ok(listener),
            // Windows reports ports reserved by Hyper-V and friends as "permission
            // denied"; for the person both mean "taken, try the next one".
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::AddrInUse | io::ErrorKind::PermissionDenied
                ) =>
            {
                tracing::debug!(port, %error, "callback port unavailable, trying the next");
            }
            Err(source) => return Err(LoopbackError::Bind { source }),
        }
    }
    Err(LoopbackError::PortsInUse {
        ports: ports.to_vec(),
    })
}

/// tiny_http closes the listening socket from its own accept thread shortly after
/// the `Server` is dropped. Wait (briefly, bounded) until a connect is refused, so
/// that "the port is closed when `wait` returns" holds exactly.
fn wait_until_closed(addr: SocketAddr) {
    for _ in 0..40 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(50)) {
            Err(_) => return,
            // Still accepting; this probe is dropped at once and reaped with the
            // listener.
            Ok(_) => thread::sleep(Duration::from_millis(5)),
        }
    }
    tracing::debug!(
        port = addr.port(),
        "callback port still accepting after close"
    );
}

/// Only processes on this computer may talk to the listener. Binding 127.0.0.1
/// already ensures that; this check keeps it true if the bind ever changes.
fn is_local(peer: Option<&SocketAddr>) -> bool {
    peer.is_some_and(|peer| peer.ip().is_loopback())
}

/// Decides what a callback query means. Pure, so every rule is tested without
/// sockets.
fn judge(query: &str, expected: &Expected) -> Result<Callback, LoopbackError> {
    let mut state = Vec::new();
    let mut code = Vec::new();
    let mut error = Vec::new();
    let mut description = Vec::new();
    let mut iss = Vec::new();
    // form_urlencoded decodes percent-escapes and replaces invalid UTF-8 instead
    // of failing, so no query can make this panic.
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let bucket = match name.as_ref() {
            "state" => &mut state,
            "code" => &mut code,
            "error" => &mut error,
            "error_description" => &mut description,
            "iss" => &mut iss,
            _ => continue,
        };
        bucket.push(value.into_owned());
    }

    // state first: nothing in a response we did not ask for is trusted, not even
    // its error. An empty expected state would match "state=" and is refused.
    let state_ok = match state.as_slice() {
        [got] => !expected.state.is_empty() && constant_time_eq(got, &expected.state),
        _ => false,
    };
    if !state_ok {
        return Err(LoopbackError::StateMismatch);
    }

    // RFC 6749 section 3.1: parameters must not repeat. A repeat means something
    // between the provider and us rewrote the response.
    if [&code, &error, &description, &iss]
        .iter()
        .any(|v| v.len() > 1)
    {
        return Err(LoopbackError::MalformedCallback);
    }
    let iss = iss.pop();

    // RFC 9207 mix-up defence: checked before error and code, because a response
    // from the wrong issuer is not to be acted on at all. A missing `iss` is
    // accepted: most providers do not send it yet.
    if let (Some(expected_iss), Some(got)) = (&expected.issuer, &iss) {
        if got != expected_iss {
            return Err(LoopbackError::IssuerMismatch {
                expected: expected_iss.clone(),
                got: clean(got),
            });
        }
    }

    if let Some(error) = error.pop().filter(|e| !e.is_empty()) {
        if error == "access_denied" {
            return Err(LoopbackError::Denied);
        }
        return Err(LoopbackError::Provider {
            error: clean(&error),
            description: description
                .pop()
                .map(|d| clean(&d))
                .filter(|d| !d.is_empty()),
        });
    }

    let code = match code.pop() {
        Some(code) if !code.is_empty() => code,
        _ => return Err(LoopbackError::MissingCode),
    };
    // RFC 6749 Appendix A: a code is visible ASCII. Anything else (for example
    // replaced invalid UTF-8) cannot succeed at the token endpoint.
    if !code.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Err(LoopbackError::MalformedCallback);
    }
    Ok(Callback {
        code: AuthorizationCode::new(code),
        iss,
    })
}

/// Provider text goes into a page and an error message: drop control characters
/// and keep it short.
fn clean(text: &str) -> String {
    let printable: String = text.chars().filter(|c| !c.is_control()).collect();
    shorten(printable.trim(), MAX_DESCRIPTION_CHARS)
}

fn shorten(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The tone of a page, shown as the colour of its top border.
#[derive(Debug, Clone, Copy)]
enum Tone {
    Success,
    Problem,
    Neutral,
}

/// One small page answered to the browser. Text fields are plain text; they are
/// HTML-escaped when rendered.
#[derive(Debug)]
struct Page {
    status: u16,
    tone: Tone,
    title: &'static str,
    heading: &'static str,
    message: String,
    /// Provider-supplied detail (error_description), shown smaller.
    detail: Option<String>,
}

impl Page {
    fn new(
        status: u16,
        tone: Tone,
        title: &'static str,
        heading: &'static str,
        message: &str,
    ) -> Self {
        Self {
            status,
            tone,
            title,
            heading,
            message: message.to_owned(),
            detail: None,
        }
    }

    fn for_outcome(outcome: &Result<Callback, LoopbackError>) -> Self {
        let problem = |heading, message| {
            Page::new(
                400,
                Tone::Problem,
                "Sign-in not completed",
                heading,
                message,
            )
        };
        match outcome {
            Ok(_) => Page::new(
                200,
                Tone::Success,
                "Signed in",
                "You're signed in",
                "Authdeck received your sign-in. You can close this tab and go back to Authdeck.",
            ),
            Err(LoopbackError::Denied) => Page::new(
                200,
                Tone::Neutral,
                "Access not allowed",
                "Access not allowed",
                "You chose not to allow access, so Authdeck did not connect and nothing was \
                 saved. You can close this tab. To connect later, start again from Authdeck.",
            ),
            Err(LoopbackError::Provider { error, description }) => Page {
                detail: Some(match description {
                    Some(description) => format!("{description} ({error})"),
                    None => error.clone(),
                }),
                ..problem(
                    "The service reported a problem",
                    "The service did not complete the sign-in. Nothing was saved. Close this \
                     tab and start again from Authdeck. The service said:",
                )
            },
            Err(LoopbackError::IssuerMismatch { .. }) => problem(
                "Sign-in not accepted",
                "This sign-in response came from a different service than the one Authdeck \
                 asked. Nothing was saved. Start again from Authdeck.",
            ),
            Err(LoopbackError::MissingCode) => problem(
                "Sign-in not completed",
                "The sign-in response was incomplete (it had no authorization code). Nothing \
                 was saved. Start again from Authdeck.",
            ),
            Err(LoopbackError::MalformedCallback) => problem(
                "Sign-in not accepted",
                "This sign-in response was malformed. Nothing was saved. Start again from \
                 Authdeck.",
            ),
            // StateMismatch, and anything added later: refuse without detail.
            Err(_) => problem(
                "Sign-in not accepted",
                "This sign-in response did not come from the request Authdeck started. \
                 Nothing was saved. Start again from Authdeck.",
            ),
        }
    }

    fn not_found() -> Self {
        Page::new(
            404,
            Tone::Neutral,
            "Not found",
            "Nothing here",
            "This address is only used by Authdeck to receive a sign-in from your browser.",
        )
    }

    fn method_not_allowed() -> Self {
        Page::new(
            405,
            Tone::Neutral,
            "Not allowed",
            "Not allowed",
            "This address only accepts the sign-in your browser brings back to Authdeck.",
        )
    }

    fn forbidden() -> Self {
        Page::new(
            403,
            Tone::Problem,
            "Not allowed",
            "Not allowed",
            "Only programs on this computer can send a sign-in to Authdeck.",
        )
    }

    fn too_long() -> Self {
        Page::new(
            414,
            Tone::Problem,
            "Address too long",
            "Address too long",
            "That address was too long to be a sign-in response. Authdeck is still waiting \
             for the real one.",
        )
    }

    fn render(&self) -> String {
        let accent = match self.tone {
            Tone::Success => "#1f8f4e",
            Tone::Problem => "#c2410c",
            Tone::Neutral => "#4b6bfb",
        };
        let detail = self
            .detail
            .as_deref()
            .map(|d| format!("<p class=\"detail\">{}</p>", html_escape(d)))
            .unwrap_or_default();
        // Inline CSS only: the CSP allows nothing else, and the page must not make
        // the browser contact anyone (no fonts, images, scripts or links).
        format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <meta name=\"referrer\" content=\"no-referrer\">\
             <title>{title} - Authdeck</title><style>\
             :root{{color-scheme:light dark}}\
             body{{margin:0;min-height:100vh;display:flex;align-items:center;\
             justify-content:center;background:#f4f5f7;color:#1c2230;\
             font:16px/1.55 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif}}\
             main{{max-width:32rem;margin:1.5rem;padding:1.75rem 2rem;background:#fff;\
             border-radius:12px;border-top:5px solid {accent};\
             box-shadow:0 2px 10px rgba(0,0,0,.08)}}\
             .brand{{margin:0 0 .5rem;font-size:.85rem;letter-spacing:.04em;\
             text-transform:uppercase;color:#6b7385}}\
             h1{{margin:0 0 .6rem;font-size:1.4rem}}\
             p{{margin:.4rem 0}}\
             .detail{{font-size:.92rem;color:#4d5566;overflow-wrap:anywhere}}\
             @media (prefers-color-scheme:dark){{\
             body{{background:#14171d;color:#e5e8ee}}\
             main{{background:#1e222b;box-shadow:none}}\
             .brand,.detail{{color:#a2aab8}}}}\
             </style></head><body><main>\
             <p class=\"brand\">Authdeck</p><h1>{heading}</h1><p>{message}</p>{detail}\
             </main></body></html>\n",
            title = html_escape(self.title),
            heading = html_escape(self.heading),
            message = html_escape(&self.message),
        )
    }

    /// The whole HTTP response. Written by hand because tiny_http's `Response`
    /// refuses to set `Connection`, and the browser should not keep this socket.
    fn to_http(&self, head_only: bool) -> Vec<u8> {
        let body = self.render();
        let reason = match self.status {
            200 => "OK",
            400 => "Bad Request",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            414 => "URI Too Long",
            _ => "",
        };
        let allow = if self.status == 405 {
            "Allow: GET\r\n"
        } else {
            ""
        };
        let mut response = format!(
            "HTTP/1.1 {status} {reason}\r\n\
             Content-Type: text/html; charset=utf-8\r\n\
             Content-Length: {length}\r\n\
             Cache-Control: no-store\r\n\
             Referrer-Policy: no-referrer\r\n\
             X-Content-Type-Options: nosniff\r\n\
             Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n\
             X-Frame-Options: DENY\r\n\
             {allow}\
             Connection: close\r\n\r\n",
            status = self.status,
            length = body.len(),
        )
        .into_bytes();
        if !head_only {
            response.extend_from_slice(body.as_bytes());
        }
        response
    }
}

fn respond(request: Request, response: Vec<u8>) {
    if announces_body(&request) {
        respond_off_thread(request, response);
    } else {
        write_response(request, &response);
    }
}

/// tiny_http reads the rest of a request's body when the request is dropped. A
/// client that announces a body and never sends it would freeze the attempt here,
/// so such requests are answered from a thread of their own.
fn announces_body(request: &Request) -> bool {
    request.body_length().is_some_and(|length| length > 0)
        || request
            .headers()
            .iter()
            .any(|header| header.field.equiv("Transfer-Encoding"))
}

fn respond_off_thread(request: Request, response: Vec<u8>) {
    let (sender, receiver) = mpsc::channel::<(Request, Vec<u8>)>();
    let spawned = thread::Builder::new()
        .name("authdeck-callback-reply".to_owned())
        .spawn(move || {
            if let Ok((request, response)) = receiver.recv() {
                write_response(request, &response);
            }
        });
    let undelivered = match spawned {
        Ok(_) => sender.send((request, response)).err().map(|e| e.0 .0),
        Err(_) => Some(request),
    };
    if let Some(request) = undelivered {
        // No thread to answer it: leak this one connection rather than block the
        // attempt on a body that may never come.
        tracing::debug!("could not hand a request to a reply thread; leaving it unanswered");
        std::mem::forget(request);
    }
}

fn write_response(request: Request, response: &[u8]) {
    let mut writer = request.into_writer();
    // The browser may already have closed the tab: a failed write changes nothing
    // about the attempt.
    if let Err(error) = writer.write_all(response).and_then(|()| writer.flush()) {
        tracing::debug!(%error, "could not send the page to the browser");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::pkce::generate_state;
    use std::io::Read as _;
    use std::sync::Mutex;
    use std::thread::JoinHandle;

    const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'";

    struct Reply {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    }

    impl Reply {
        fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        }
    }

    fn expected(state: &str) -> Expected {
        Expected {
            state: state.to_owned(),
            issuer: None,
        }
    }

    fn bind_default() -> CallbackListener {
        CallbackListener::bind(&ListenerConfig::default()).expect("bind 127.0.0.1:0")
    }

    /// Starts `wait` on its own thread; returns the port and the outcome handle.
    fn start(
        listener: CallbackListener,
        expected: Expected,
        timeout: Duration,
    ) -> (u16, JoinHandle<Result<Callback, LoopbackError>>) {
        let port = listener.port();
        let handle = thread::spawn(move || listener.wait(&expected, timeout));
        (port, handle)
    }

    fn connect(port: u16) -> TcpStream {
        let stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("read timeout");
        stream
    }

    /// Sends raw bytes and reads the reply until the server closes the socket.
    fn send_raw(port: u16, bytes: &[u8]) -> Vec<u8> {
        let mut stream = connect(port);
        stream.write_all(bytes).expect("write request");
        let mut reply = Vec::new();
        // A reset after the reply (or no reply at all) is fine for these tests.
        let _ = stream.read_to_end(&mut reply);
        reply
    }

    fn parse(reply: &[u8]) -> Reply {
        let text = String::from_utf8_lossy(reply).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").expect("a full HTTP reply");
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .and_then(|code| code.parse().ok())
            .expect("status line");
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
            .collect();
        Reply {
            status,
            headers,
            body: body.to_owned(),
        }
    }

    fn request(port: u16, method: &str, target: &str) -> Reply {
        let raw = format!(
            "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
        );
        parse(&send_raw(port, raw.as_bytes()))
    }

    fn get(port: u16, target: &str) -> Reply {
        request(port, "GET", target)
    }

    fn assert_safe_headers(reply: &Reply) {
        let want = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Referrer-Policy", "no-referrer"),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
            ("Content-Security-Policy", CSP),
            ("Connection", "close"),
        ];
        for (name, value) in want {
            assert_eq!(reply.header(name), Some(value), "header {name}");
        }
        let length: usize = reply
            .header("Content-Length")
            .and_then(|v| v.parse().ok())
            .expect("Content-Length");
        assert_eq!(length, reply.body.len());
    }

    fn assert_port_closed(port: u16) {
        assert!(
            TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err(),
            "port {port} still accepts connections"
        );
    }

    fn outcome(
        handle: JoinHandle<Result<Callback, LoopbackError>>,
    ) -> Result<Callback, LoopbackError> {
        handle.join().expect("wait thread")
    }

    #[test]
    fn listener_binds_ip_literal_on_an_os_chosen_port() {
        let listener = bind_default();
        assert_ne!(listener.port(), 0);
        assert_eq!(
            listener.redirect_uri(),
            format!("http://127.0.0.1:{}/callback", listener.port())
        );
    }

    #[test]
    fn localhost_redirect_uri_still_listens_on_127_0_0_1_only() {
        let config = ListenerConfig {
            host: RedirectHost::Localhost,
            ..ListenerConfig::default()
        };
        let listener = CallbackListener::bind(&config).expect("bind");
        let port = listener.port();
        assert_eq!(
            listener.redirect_uri(),
            format!("http://localhost:{port}/callback")
        );
        assert!(TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok());
        assert!(
            TcpStream::connect((std::net::Ipv6Addr::LOCALHOST, port)).is_err(),
            "must not listen on ::1"
        );
    }

    #[test]
    fn empty_path_gives_a_bare_redirect_uri_served_at_root() {
        let config = ListenerConfig {
            path: String::new(),
            ..ListenerConfig::default()
        };
        let listener = CallbackListener::bind(&config).expect("bind");
        assert_eq!(
            listener.redirect_uri(),
            format!("http://127.0.0.1:{}", listener.port())
        );
        let (port, handle) = start(listener, expected("s1"), Duration::from_secs(10));
        assert_eq!(get(port, "/?state=s1&code=c1").status, 200);
        assert!(outcome(handle).is_ok());
    }

    #[test]
    fn invalid_path_is_refused() {
        for path in ["callback", "/call back", "/cb?x=1", "/cb#frag", "/%63b"] {
            let config = ListenerConfig {
                path: path.to_owned(),
                ..ListenerConfig::default()
            };
            assert!(
                matches!(
                    CallbackListener::bind(&config),
                    Err(LoopbackError::InvalidPath { .. })
                ),
                "{path}"
            );
        }
    }

    #[test]
    fn fixed_ports_are_tried_in_turn() {
        let taken = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("occupy");
        let busy = taken.local_addr().expect("addr").port();
        let free = {
            let probe = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("probe");
            probe.local_addr().expect("addr").port()
        };
        let config = ListenerConfig {
            ports: vec![busy, free],
            ..ListenerConfig::default()
        };
        let listener = CallbackListener::bind(&config).expect("second port");
        assert_eq!(listener.port(), free);
        assert_eq!(
            listener.redirect_uri(),
            format!("http://127.0.0.1:{free}/callback")
        );
    }

    #[test]
    fn all_fixed_ports_busy_is_ports_in_use_in_plain_words() {
        let taken = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("occupy");
        let busy = taken.local_addr().expect("addr").port();
        let config = ListenerConfig {
            ports: vec![busy],
            ..ListenerConfig::default()
        };
        match CallbackListener::bind(&config) {
            Err(LoopbackError::PortsInUse { ports }) => assert_eq!(ports, vec![busy]),
            other => panic!("expected PortsInUse, got {other:?}"),
        }
        assert_eq!(
            LoopbackError::PortsInUse { ports: vec![53682] }.to_string(),
            "Authdeck could not listen on 127.0.0.1 port 53682 (in use by another program). \
             Close the program using it and try again."
        );
        let many = LoopbackError::PortsInUse {
            ports: vec![53682, 53683],
        }
        .to_string();
        assert!(many.contains("ports 53682, 53683"), "{many}");
    }

    #[test]
    fn matching_callback_returns_code_with_success_page_and_closes_port() {
        let state = generate_state();
        let (port, handle) = start(bind_default(), expected(&state), Duration::from_secs(10));
        let reply = get(port, &format!("/callback?code=the-code%2F1&state={state}"));
        assert_eq!(reply.status, 200);
        assert_safe_headers(&reply);
        assert!(reply.body.contains(
            "Authdeck received your sign-in. You can close this tab and go back to Authdeck."
        ));
        assert!(
            !reply.body.contains("the-code"),
            "page must not echo the code"
        );
        assert!(!reply.body.contains(&state), "page must not echo the state");

        let callback = outcome(handle).expect("accepted");
        assert_eq!(callback.code.into_secret(), "the-code/1");
        assert_eq!(callback.iss, None);
        assert_port_closed(port);
    }

    #[test]
    fn other_paths_get_404_and_the_attempt_continues() {
        let (port, handle) = start(bind_default(), expected("s1"), Duration::from_secs(10));
        for target in [
            "/",
            "/favicon.ico",
            "/callback/extra",
            "/callbackx?state=s1&code=c",
        ] {
            let reply = get(port, target);
            assert_eq!(reply.status, 404, "{target}");
            assert_safe_headers(&reply);
        }
        assert_eq!(get(port, "/callback?state=s1&code=c1").status, 200);
        assert_eq!(outcome(handle).expect("accepted").code.into_secret(), "c1");
    }

    #[test]
    fn other_methods_on_callback_get_405_and_the_attempt_continues() {
        let (port, handle) = start(bind_default(), expected("s1"), Duration::from_secs(10));
        for method in ["PUT", "OPTIONS", "DELETE"] {
            let reply = request(port, method, "/callback?state=s1&code=c1");
            assert_eq!(reply.status, 405, "{method}");
            assert_eq!(reply.header("Allow"), Some("GET"));
            assert_safe_headers(&reply);
        }
        // A POST carrying the right values in a form body still does not count.
        let post = format!(
            "POST /callback HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 18\r\n\r\n\
             state=s1&code=c1xx"
        );
        let reply = parse(&send_raw(port, post.as_bytes()));
        assert_eq!(reply.status, 405);
        assert_safe_headers(&reply);
        // HEAD gets the headers without a body.
        let head = send_raw(
            port,
            b"HEAD /callback?state=s1&code=c1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        let head = String::from_utf8_lossy(&head).into_owned();
        assert!(head.starts_with("HTTP/1.1 405"), "{head}");
        assert!(
            head.ends_with("\r\n\r\n"),
            "HEAD reply must have no body: {head}"
        );

        assert_eq!(get(port, "/callback?state=s1&code=c1").status, 200);
        assert_eq!(outcome(handle).expect("accepted").code.into_secret(), "c1");
    }

    #[test]
    fn wrong_state_is_rejected_without_a_code() {
        let (port, handle) = start(bind_default(), expected("right"), Duration::from_secs(10));
        let reply = get(port, "/callback?state=wrong&code=stolen");
        assert_eq!(reply.status, 400);
        assert_safe_headers(&reply);
        assert!(reply.body.contains(
            "This sign-in response did not come from the request Authdeck started. \
             Nothing was saved. Start again from Authdeck."
        ));
        assert!(matches!(outcome(handle), Err(LoopbackError::StateMismatch)));
        assert_port_closed(port);
    }

    #[test]
    fn missing_state_is_rejected() {
        let (port, handle) = start(bind_default(), expected("right"), Duration::from_secs(10));
        assert_eq!(get(port, "/callback?code=stolen").status, 400);
        assert!(matches!(outcome(handle), Err(LoopbackError::StateMismatch)));
        assert_port_closed(port);
    }

    #[test]
    fn wrong_state_wins_over_an_error_parameter() {
        let result = judge("state=wrong&error=access_denied", &expected("right"));
        assert!(matches!(result, Err(LoopbackError::StateMismatch)));
    }

    #[test]
    fn empty_expected_state_never_matches() {
        assert!(matches!(
            judge("state=&code=c", &expected("")),
            Err(LoopbackError::StateMismatch)
        ));
        assert!(matches!(
            judge("code=c", &expected("")),
            Err(LoopbackError::StateMismatch)
        ));
    }

    #[test]
    fn repeated_state_is_rejected() {
        assert!(matches!(
            judge("state=right&state=right&code=c", &expected("right")),
            Err(LoopbackError::StateMismatch)
        ));
    }

    #[test]
    fn repeated_code_or_iss_is_malformed() {
        for query in [
            "state=s&code=a&code=b",
            "state=s&code=a&iss=x&iss=y",
            "state=s&error=e&error=f",
        ] {
            assert!(
                matches!(
                    judge(query, &expected("s")),
                    Err(LoopbackError::MalformedCallback)
                ),
                "{query}"
            );
        }
    }

    #[test]
    fn access_denied_ends_the_attempt_with_a_friendly_page() {
        let (port, handle) = start(bind_default(), expected("s1"), Duration::from_secs(10));
        let reply = get(
            port,
            "/callback?error=access_denied&error_description=User+declined&state=s1",
        );
        assert_safe_headers(&reply);
        assert!(
            reply.body.contains("You chose not to allow access"),
            "{}",
            reply.body
        );
        assert!(matches!(outcome(handle), Err(LoopbackError::Denied)));
        assert_port_closed(port);
    }

    #[test]
    fn provider_error_is_reported_and_its_description_escaped() {
        let (port, handle) = start(bind_default(), expected("s1"), Duration::from_secs(10));
        let reply = get(
            port,
            "/callback?state=s1&error=invalid_scope\
             &error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E+%26+%22quoted%22",
        );
        assert_eq!(reply.status, 400);
        assert_safe_headers(&reply);
        assert!(!reply.body.contains("<script>"), "{}", reply.body);
        assert!(
            reply
                .body
                .contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot;"),
            "{}",
            reply.body
        );
        assert!(reply.body.contains("invalid_scope"));
        match outcome(handle) {
            Err(LoopbackError::Provider { error, description }) => {
                assert_eq!(error, "invalid_scope");
                assert_eq!(
                    description.as_deref(),
                    Some("<script>alert(1)</script> & \"quoted\"")
                );
            }
            other => panic!("expected Provider, got {other:?}"),
        }
        assert_port_closed(port);
    }

    #[test]
    fn provider_description_is_cleaned_and_shortened() {
        let long = "x".repeat(1000);
        let query = format!("state=s&error=server_error&error_description=a%0Ab%07{long}");
        match judge(&query, &expected("s")) {
            Err(LoopbackError::Provider {
                description: Some(d),
                ..
            }) => {
                assert!(d.starts_with("abx"), "{d}");
                assert!(d.chars().count() <= MAX_DESCRIPTION_CHARS + 1);
            }
            other => panic!("expected Provider, got {other:?}"),
        }
    }

    #[test]
    fn matching_state_without_code_is_missing_code() {
        let (port, handle) = start(bind_default(), expected("s1"), Duration::from_secs(10));
        assert_eq!(get(port, "/callback?state=s1").status, 400);
        assert!(matches!(outcome(handle), Err(LoopbackError::MissingCode)));
        assert_port_closed(port);
        assert!(matches!(
            judge("state=s1&code=", &expected("s1")),
            Err(LoopbackError::MissingCode)
        ));
    }

    #[test]
    fn different_issuer_is_rejected_as_mix_up() {
        let expected = Expected {
            state: "s1".to_owned(),
            issuer: Some("https://github.com/login/oauth".to_owned()),
        };
        let (port, handle) = start(bind_default(), expected, Duration::from_secs(10));
        let reply = get(
            port,
            "/callback?state=s1&code=c1&iss=https%3A%2F%2Fevil.example",
        );
        assert_eq!(reply.status, 400);
        match outcome(handle) {
            Err(LoopbackError::IssuerMismatch { expected, got }) => {
                assert_eq!(expected, "https://github.com/login/oauth");
                assert_eq!(got, "https://evil.example");
            }
            other => panic!("expected IssuerMismatch, got {other:?}"),
        }
        assert_port_closed(port);
    }

    #[test]
    fn issuer_mismatch_wins_over_an_error_parameter() {
        let expected = Expected {
            state: "s".to_owned(),
            issuer: Some("https://a.example".to_owned()),
        };
        assert!(matches!(
            judge(
                "state=s&iss=https://b.example&error=access_denied",
                &expected
            ),
            Err(LoopbackError::IssuerMismatch { .. })
        ));
    }

    #[test]
    fn matching_or_unchecked_issuer_is_passed_through() {
        let checked = Expected {
            state: "s".to_owned(),
            issuer: Some("https://a.example".to_owned()),
        };
        let ok = judge("state=s&code=c&iss=https%3A%2F%2Fa.example", &checked).expect("ok");
        assert_eq!(ok.iss.as_deref(), Some("https://a.example"));
        // No iss at all: accepted (most providers do not send it).
        assert!(judge("state=s&code=c", &checked).is_ok());
        // Nothing expected: returned, not checked.
        let ok = judge("state=s&code=c&iss=https://z.example", &expected("s")).expect("ok");
        assert_eq!(ok.iss.as_deref(), Some("https://z.example"));
    }

    #[test]
    fn malformed_queries_never_panic() {
        let garbage = [
            "",
            "&&&",
            "=",
            "state",
            "%",
            "%%%",
            "%zz=%zz",
            "state=%FF%FE&code=%C3",
            "state=s&code=%FF%FE",
            "state=s&code=a%00b",
            "state=s&code=\u{1F600}",
            "state=s&state",
            "code=c&state=s&&&=&x==y",
        ];
        for query in garbage {
            let _ = judge(query, &expected("s"));
        }
        // Invalid UTF-8 in the code is refused rather than passed on mangled.
        assert!(matches!(
            judge("state=s&code=%FF%FE", &expected("s")),
            Err(LoopbackError::MalformedCallback)
        ));
    }

    #[test]
    fn garbage_requests_do_not_end_or_break_the_attempt() {
        let (port, handle) = start(bind_default(), expected("s1"), Duration::from_secs(10));
        // Non-ASCII bytes in the request line: tiny_http drops the connection.
        let _ = send_raw(port, b"GET /callback?state=\xff\xfe HTTP/1.1\r\n\r\n");
        // Not HTTP at all.
        let _ = send_raw(port, b"\x16\x03\x01\x00\xa5hello\r\n\r\n");
        let _ = send_raw(port, b"GET\r\n\r\n");
        assert_eq!(get(port, "/callback?state=s1&code=c1").status, 200);
        assert_eq!(outcome(handle).expect("accepted").code.into_secret(), "c1");
    }

    #[test]
    fn overlong_url_gets_414_and_the_attempt_continues() {
        let (port, handle) = start(bind_default(), expected("s1"), Duration::from_secs(10));
        let long = format!("/callback?state=s1&code={}", "a".repeat(16 * 1024));
        let reply = get(port, &long);
        assert_eq!(reply.status, 414);
        assert_safe_headers(&reply);
        assert_eq!(get(port, "/callback?state=s1&code=c1").status, 200);
        assert_eq!(outcome(handle).expect("accepted").code.into_secret(), "c1");
    }

    #[test]
    fn silent_client_does_not_stall_the_attempt() {
        let (port, handle) = start(bind_default(), expected("s1"), Duration::from_secs(10));
        let silent = connect(port);
        let mut half = connect(port);
        half.write_all(b"GET /callback?sta").expect("partial write");
        let started = Instant::now();
        assert_eq!(get(port, "/callback?state=s1&code=c1").status, 200);
        assert!(outcome(handle).is_ok());
        assert!(started.elapsed() < Duration::from_secs(2));
        drop((silent, half));
        assert_port_closed(port);
    }

    #[test]
    fn announced_body_that_never_arrives_does_not_stall_the_attempt() {
        let (port, handle) = start(bind_default(), expected("s1"), Duration::from_secs(10));
        let mut stuck = connect(port);
        stuck
            .write_all(
                b"POST /callback HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\npartial",
            )
            .expect("write");
        // Give the listener time to pick the stuck request up first.
        thread::sleep(Duration::from_millis(200));
        let started = Instant::now();
        assert_eq!(get(port, "/callback?state=s1&code=c1").status, 200);
        assert!(outcome(handle).is_ok());
        assert!(started.elapsed() < Duration::from_secs(2));
        drop(stuck);
        assert_port_closed(port);
    }

    #[test]
    fn nothing_arriving_times_out_and_closes_the_port() {
        let started = Instant::now();
        let (port, handle) = start(bind_default(), expected("s1"), Duration::from_millis(200));
        assert!(matches!(outcome(handle), Err(LoopbackError::TimedOut)));
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
        assert_port_closed(port);
    }

    #[test]
    fn cancel_ends_the_wait_quickly_and_closes_the_port() {
        let listener = bind_default();
        let cancel = listener.cancel_handle();
        let (port, handle) = start(listener, expected("s1"), Duration::from_secs(30));
        thread::sleep(Duration::from_millis(100));
        let cancelled_at = Instant::now();
        cancel.cancel();
        assert!(matches!(outcome(handle), Err(LoopbackError::Cancelled)));
        let latency = cancelled_at.elapsed();
        assert!(latency < Duration::from_millis(300), "{latency:?}");
        assert_port_closed(port);
    }

    #[test]
    fn cancel_before_wait_returns_cancelled_at_once() {
        let listener = bind_default();
        listener.cancel_handle().cancel();
        let port = listener.port();
        let result = listener.wait(&expected("s1"), Duration::from_secs(30));
        assert!(matches!(result, Err(LoopbackError::Cancelled)));
        assert_port_closed(port);
    }

    #[test]
    fn dropping_an_unused_listener_frees_the_port_for_a_new_attempt() {
        let first = bind_default();
        let port = first.port();
        drop(first);
        let config = ListenerConfig {
            ports: vec![port],
            ..ListenerConfig::default()
        };
        // tiny_http closes the socket from its accept thread: allow it a moment.
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            match CallbackListener::bind(&config) {
                Ok(again) => {
                    assert_eq!(again.port(), port);
                    break;
                }
                Err(_) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
                Err(error) => panic!("port never freed: {error}"),
            }
        }
    }

    #[test]
    fn answer_checks_length_then_path_then_method_then_the_query() {
        let path = CallbackPath::new("/callback").expect("valid path");
        let s1 = expected("s1");
        let long = format!("/elsewhere?{}", "a".repeat(MAX_URL_LEN));
        let cases: [(&str, &str, u16, bool); 6] = [
            ("POST", &long, 414, false),
            ("GET", "/elsewhere?state=s1&code=c1", 404, false),
            ("GET", "/callback/?state=s1&code=c1", 404, false),
            ("get", "/callback?state=s1&code=c1", 405, false),
            ("GET", "/callback?state=other&code=c1", 400, true),
            ("GET", "/callback?state=s1&code=c1", 200, true),
        ];
        for (method, target, status, ends) in cases {
            let answer = answer(&path, method, target, &s1);
            assert_eq!(answer.status(), status, "{method} {target}");
            assert_eq!(answer.outcome().is_some(), ends, "{method} {target}");
        }
        let accepted = answer(&path, "GET", "/callback?state=s1&code=c1", &s1);
        let code = accepted
            .into_outcome()
            .expect("ends")
            .expect("accepted")
            .code;
        assert_eq!(code.into_secret(), "c1");
    }

    #[test]
    fn answer_to_head_is_the_head_without_the_page() {
        let path = CallbackPath::new("").expect("empty means /");
        assert_eq!(path.as_str(), "/");
        let answer = answer(&path, "HEAD", "/?state=s1&code=c1", &expected("s1"));
        assert_eq!(answer.status(), 405);
        assert!(answer.outcome().is_none());
        let http = String::from_utf8(answer.to_http()).expect("ascii");
        assert!(http.ends_with("\r\n\r\n"), "{http}");
        assert!(http.contains(&format!("Content-Length: {}", answer.page().len())));
    }

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
    fn pages_load_nothing_external() {
        let outcomes: Vec<Result<Callback, LoopbackError>> = vec![
            Ok(Callback {
                code: AuthorizationCode::new("c"),
                iss: None,
            }),
            Err(LoopbackError::StateMismatch),
            Err(LoopbackError::Denied),
            Err(LoopbackError::Provider {
                error: "e".to_owned(),
                description: Some("<img onerror=alert(1)>".to_owned()),
            }),
            Err(LoopbackError::MissingCode),
            Err(LoopbackError::MalformedCallback),
        ];
        let mut pages: Vec<Page> = outcomes.iter().map(Page::for_outcome).collect();
        pages.extend([
            Page::not_found(),
            Page::method_not_allowed(),
            Page::forbidden(),
            Page::too_long(),
        ]);
        for page in pages {
            let html = page.render().to_ascii_lowercase();
            for banned in [
                "<script", "<img", "<link", "<iframe", "src=", "href=", "url(", "@import", "http:",
                "https:",
            ] {
                assert!(!html.contains(banned), "{banned} in {html}");
            }
            assert!(html.contains("prefers-color-scheme:dark"));
            assert!(html.len() < 4096, "page should stay small");
        }
    }

    #[test]
    fn error_messages_are_plain_words() {
        assert_eq!(
            LoopbackError::TimedOut.to_string(),
            "Sign-in timed out: nothing came back from the browser. Start again and finish \
             signing in within the time limit."
        );
        let provider = LoopbackError::Provider {
            error: "invalid_scope".to_owned(),
            description: Some("The scope is not valid".to_owned()),
        }
        .to_string();
        assert!(
            provider.contains("The scope is not valid (invalid_scope)"),
            "{provider}"
        );
        for error in [
            LoopbackError::StateMismatch,
            LoopbackError::Denied,
            LoopbackError::MissingCode,
            LoopbackError::MalformedCallback,
            LoopbackError::Cancelled,
        ] {
            let text = error.to_string();
            assert!(text.ends_with('.'), "{text}");
            assert!(!text.contains("Error"), "{text}");
        }
    }

    #[test]
    fn debug_output_hides_state_and_code() {
        let shown = format!("{:?}", expected("very-secret-state"));
        assert!(!shown.contains("very-secret-state"), "{shown}");
        let callback = Callback {
            code: AuthorizationCode::new("very-secret-code"),
            iss: None,
        };
        assert!(!format!("{callback:?}").contains("very-secret-code"));
    }

    #[test]
    fn listener_and_cancel_handle_can_move_between_threads() {
        fn assert_send<T: Send>() {}
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send::<CallbackListener>();
        assert_send_sync::<CancelHandle>();
    }

    /// Collects every event's fields as text, to prove what reaches the logs.
    struct CaptureLogs(Arc<Mutex<String>>);

    struct Fields<'a>(&'a mut String);

    impl tracing::field::Visit for Fields<'_> {
        fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
            self.0.push_str(&format!("{}={:?} ", field.name(), value));
        }
    }

    impl tracing::Subscriber for CaptureLogs {
        fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
            if let Ok(mut logs) = self.0.lock() {
                span.record(&mut Fields(&mut logs));
            }
            tracing::span::Id::from_u64(1)
        }
        fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
            if let Ok(mut logs) = self.0.lock() {
                values.record(&mut Fields(&mut logs));
            }
        }
        fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
        fn event(&self, event: &tracing::Event<'_>) {
            if let Ok(mut logs) = self.0.lock() {
                event.record(&mut Fields(&mut logs));
                logs.push('\n');
            }
        }
        fn enter(&self, _: &tracing::span::Id) {}
        fn exit(&self, _: &tracing::span::Id) {}
    }

    #[test]
    fn logs_never_contain_the_query_state_or_code() {
        let logs = Arc::new(Mutex::new(String::new()));
        let subscriber = CaptureLogs(Arc::clone(&logs));
        let result = tracing::subscriber::with_default(subscriber, || {
            let listener = bind_default();
            let port = listener.port();
            // Tests running in parallel hit the same log callsites with no
            // subscriber; one registering a callsite while this subscriber is being
            // installed can leave it cached as "never enabled" (flaky in about two
            // runs of three). Recompute the cache now that this subscriber exists.
            tracing::callsite::rebuild_interest_cache();
            let sender = thread::spawn(move || {
                get(port, "/elsewhere?state=state-secret-1&code=code-secret-1");
                get(port, "/callback?state=state-secret-1&code=code-secret-1");
            });
            let result = listener.wait(&expected("state-secret-1"), Duration::from_secs(10));
            sender.join().expect("sender");
            result
        });
        assert!(result.is_ok());
        let logs = logs.lock().expect("logs").clone();
        assert!(logs.contains("/callback"), "path should be logged: {logs}");
        assert!(logs.contains("/elsewhere"), "path should be logged: {logs}");
        for secret in ["state-secret-1", "code-secret-1", "?"] {
            assert!(!logs.contains(secret), "{secret} leaked into logs: {logs}");
        }
    }
}
