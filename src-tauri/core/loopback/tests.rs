//! The listener over real sockets: what a browser, a stray program and a flood
//! each get, and that the port closes whatever the outcome.

use std::fmt;
use std::io::{Read as _, Write as _};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::listener::{CONNECTION_TIME, MAX_CONNECTIONS, MAX_HEAD};
use super::*;
use crate::pkce::generate_state;
use crate::provider::RedirectHost;

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

/// A GET to `ip` (127.0.0.1 or ::1), as a browser resolving `localhost` would send it.
fn get_at(ip: IpAddr, port: u16, target: &str) -> Reply {
    let mut stream = TcpStream::connect((ip, port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("read timeout");
    let raw =
        format!("GET {target} HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n");
    stream.write_all(raw.as_bytes()).expect("write request");
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    parse(&reply)
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

fn outcome(handle: JoinHandle<Result<Callback, LoopbackError>>) -> Result<Callback, LoopbackError> {
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
        "Authdeck could not listen on this computer's port 53682 (in use by another \
     program). Close the program using it and try again."
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
fn matching_state_without_code_is_missing_code() {
    let (port, handle) = start(bind_default(), expected("s1"), Duration::from_secs(10));
    assert_eq!(get(port, "/callback?state=s1").status, 400);
    assert!(matches!(outcome(handle), Err(LoopbackError::MissingCode)));
    assert_port_closed(port);
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
        .write_all(b"POST /callback HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\npartial")
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
fn listener_and_cancel_handle_can_move_between_threads() {
    fn assert_send<T: Send>() {}
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send::<CallbackListener>();
    assert_send_sync::<CancelHandle>();
}

#[test]
fn wrong_or_missing_state_gets_a_short_page_and_the_attempt_goes_on() {
    let (port, handle) = start(bind_default(), expected("right"), Duration::from_secs(10));
    for target in [
        "/callback?state=wrong&code=stolen",
        "/callback?code=stolen",
        "/callback?state=right&state=right&code=stolen",
        "/callback?state=wrong&error=access_denied",
        "/callback",
    ] {
        let reply = get(port, target);
        assert_eq!(reply.status, 400, "{target}");
        assert_safe_headers(&reply);
        assert!(
            reply.body.contains("Authdeck is still waiting"),
            "{}",
            reply.body
        );
        assert!(!reply.body.contains("stolen"));
    }
    assert_eq!(get(port, "/callback?state=right&code=c1").status, 200);
    assert_eq!(outcome(handle).expect("accepted").code.into_secret(), "c1");
    assert_port_closed(port);
}

#[test]
fn localhost_listens_on_both_loopback_addresses_with_one_port() {
    let config = ListenerConfig {
        host: RedirectHost::Localhost,
        ..ListenerConfig::default()
    };
    for via_v6 in [false, true] {
        let listener = CallbackListener::bind(&config).expect("bind");
        let port = listener.port();
        assert_eq!(
            listener.redirect_uri(),
            format!("http://localhost:{port}/callback")
        );
        let addrs = listener.local_addrs();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
        assert!(addrs.iter().all(|a| a.port() == port), "{addrs:?}");
        let has_v6 = addrs.iter().any(SocketAddr::is_ipv6);
        let (port, handle) = start(listener, expected("s1"), Duration::from_secs(10));
        let ip: IpAddr = if via_v6 && has_v6 {
            Ipv6Addr::LOCALHOST.into()
        } else {
            Ipv4Addr::LOCALHOST.into()
        };
        let reply = get_at(ip, port, "/callback?state=s1&code=c1");
        assert_eq!(reply.status, 200);
        assert_eq!(outcome(handle).expect("accepted").code.into_secret(), "c1");
        assert_port_closed(port);
        assert!(TcpStream::connect((Ipv6Addr::LOCALHOST, port)).is_err());
    }
}

#[test]
fn an_ip_literal_redirect_listens_on_127_0_0_1_only() {
    let listener = bind_default();
    let port = listener.port();
    assert_eq!(listener.local_addrs().len(), 1);
    assert!(TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok());
    assert!(
        TcpStream::connect((Ipv6Addr::LOCALHOST, port)).is_err(),
        "must not listen on ::1"
    );
}

#[test]
fn garbage_requests_do_not_end_or_break_the_attempt() {
    let (port, handle) = start(bind_default(), expected("s1"), Duration::from_secs(10));
    // Not UTF-8, not HTTP at all, no target: a short 400 each.
    for junk in [
        &b"GET /callback?state=\xff\xfe HTTP/1.1\r\n\r\n"[..],
        b"\x16\x03\x01\x00\xa5hello\r\n\r\n",
        b"GET\r\n\r\n",
    ] {
        let reply = parse(&send_raw(port, junk));
        assert_eq!(reply.status, 400);
        assert_safe_headers(&reply);
    }
    assert_eq!(get(port, "/callback?state=s1&code=c1").status, 200);
    assert_eq!(outcome(handle).expect("accepted").code.into_secret(), "c1");
}

#[test]
fn an_endless_request_line_is_cut_off_at_the_head_limit() {
    let (port, handle) = start(bind_default(), expected("s1"), Duration::from_secs(10));
    let mut stream = connect(port);
    let chunk = vec![b'a'; 8192];
    let mut sent = stream.write_all(b"GET /callback?state=s1&code=").is_ok();
    // Far past the limit; the listener answers and closes long before.
    for _ in 0..(4 * MAX_HEAD / chunk.len()) {
        if !sent {
            break;
        }
        sent = stream.write_all(&chunk).is_ok();
    }
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    let text = String::from_utf8_lossy(&reply);
    assert!(text.starts_with("HTTP/1.1 414"), "{text}");
    assert_eq!(get(port, "/callback?state=s1&code=c1").status, 200);
    assert!(outcome(handle).is_ok());
}

#[test]
fn a_flood_of_connections_is_capped_and_the_callback_still_lands() {
    let (port, handle) = start(bind_default(), expected("s1"), Duration::from_secs(20));
    // Silent sockets fill the cap; the rest of the flood is closed on arrival.
    let idle: Vec<TcpStream> = (0..MAX_CONNECTIONS + 20).map(|_| connect(port)).collect();
    thread::sleep(Duration::from_millis(200));
    let mut closed_at_once = 0;
    for mut stream in idle.iter().skip(MAX_CONNECTIONS) {
        stream
            .set_read_timeout(Some(Duration::from_millis(500)))
            .expect("timeout");
        if matches!(stream.read(&mut [0u8; 1]), Ok(0) | Err(_)) {
            closed_at_once += 1;
        }
    }
    assert!(closed_at_once >= 20, "only {closed_at_once} closed");
    drop(idle);
    // Junk that finishes at once: answered and gone.
    let junk: Vec<thread::JoinHandle<()>> = (0..200)
        .map(|_| {
            thread::spawn(move || {
                if let Ok(mut s) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)) {
                    let _ = s.write_all(b"JUNK\r\n\r\n");
                    let _ = s.read_to_end(&mut Vec::new());
                }
            })
        })
        .collect();
    for thread in junk {
        thread.join().expect("junk thread");
    }
    let started = Instant::now();
    assert_eq!(get(port, "/callback?state=s1&code=c1").status, 200);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(outcome(handle).is_ok());
    assert_port_closed(port);
}

#[test]
fn a_silent_connection_is_closed_after_the_time_limit() {
    let (port, handle) = start(bind_default(), expected("s1"), Duration::from_secs(30));
    let mut silent = connect(port);
    silent
        .set_read_timeout(Some(CONNECTION_TIME + Duration::from_secs(5)))
        .expect("timeout");
    let started = Instant::now();
    let read = silent.read(&mut [0u8; 16]);
    let waited = started.elapsed();
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    assert!(
        waited >= CONNECTION_TIME - Duration::from_millis(500),
        "{waited:?}"
    );
    assert!(
        waited < CONNECTION_TIME + Duration::from_secs(3),
        "{waited:?}"
    );
    assert_eq!(get(port, "/callback?state=s1&code=c1").status, 200);
    assert!(outcome(handle).is_ok());
}

#[test]
fn dropping_an_unused_listener_frees_the_port_at_once() {
    let first = bind_default();
    let port = first.port();
    drop(first);
    let config = ListenerConfig {
        ports: vec![port],
        ..ListenerConfig::default()
    };
    let again = CallbackListener::bind(&config).expect("port free again");
    assert_eq!(again.port(), port);
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
