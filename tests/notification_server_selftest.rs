//! Tests of the notification server double (tests/support/bin/notification_server.rs)
//! on a private bus of each test's own: what a client sends is what the log
//! records, an invoked action reaches the client that sent the notification,
//! and odd calls get D-Bus errors instead of a dead server. A broken double
//! would make issue 14's notification tests pass or fail for nothing.
//!
//! Two clients, neither of them the server's own code: `gdbus` (GLib's D-Bus,
//! which many desktop apps use) for the recorded fields and the spec's small
//! methods, and a `dbus` crate connection that stays on the bus to receive the
//! signals an invoked action sends. No test touches this process's
//! `DBUS_SESSION_BUS_ADDRESS`: every bus address is passed explicitly.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::Command;
use std::time::{Duration, Instant};

use dbus::arg::{PropMap, RefArg, Variant};
use dbus::channel::Channel;
use dbus::message::MessageType;
use dbus::Message;
use serde_json::json;

use authdeck_test_support::notifications::NotificationServer;
use authdeck_test_support::private_keyring::PrivateBus;
use authdeck_test_support::TempDir;

const NAME: &str = "org.freedesktop.Notifications";
const PATH: &str = "/org/freedesktop/Notifications";

/// `gdbus ARGS --address BUS`: whether it succeeded, and what it printed.
fn gdbus(bus: &PrivateBus, args: &[&str]) -> (bool, String) {
    let out = Command::new("gdbus")
        .args(&args[..1])
        .args(["--address", &bus.address])
        .args(&args[1..])
        .output()
        .expect("gdbus runs (Debian package libglib2.0-bin, scripts/install-deps.sh)");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// `gdbus call` to the notification server.
fn call(bus: &PrivateBus, method: &str, args: &[&str]) -> (bool, String) {
    let method = format!("{NAME}.{method}");
    let mut all = vec![
        "call",
        "--dest",
        NAME,
        "--object-path",
        PATH,
        "--method",
        &method,
    ];
    all.extend_from_slice(args);
    gdbus(bus, &all)
}

/// `dbus-send --print-reply` to the notification server, for calls gdbus
/// refuses to make (it checks arguments against the introspection first).
fn dbus_send(bus: &PrivateBus, path: &str, method: &str, args: &[&str]) -> String {
    let out = Command::new("dbus-send")
        .arg(format!("--bus={}", bus.address))
        .args(["--print-reply", &format!("--dest={NAME}"), path, method])
        .args(args)
        .output()
        .expect("dbus-send runs");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn name_has_owner(bus: &PrivateBus) -> bool {
    let (ok, out) = gdbus(
        bus,
        &[
            "call",
            "--dest",
            "org.freedesktop.DBus",
            "--object-path",
            "/org/freedesktop/DBus",
            "--method",
            "org.freedesktop.DBus.NameHasOwner",
            NAME,
        ],
    );
    assert!(ok, "NameHasOwner failed: {out}");
    out.contains("true")
}

#[test]
fn notify_is_recorded_with_every_field_and_the_spec_methods_answer() {
    let dir = TempDir::new("notify-record");
    let bus = PrivateBus::start(&dir);
    let server = NotificationServer::start(&bus.address);
    assert!(name_has_owner(&bus), "the server owns {NAME} once started");
    assert!(server.notifications().is_empty());

    let (ok, out) = call(
        &bus,
        "Notify",
        &[
            "authdeck",
            "0",
            "authdeck",
            "Google: sign in again",
            "work@example.com was signed out by Google.",
            "['reconnect', 'Reconnect', 'default', 'Open Authdeck']",
            "{'urgency': <byte 2>, 'desktop-entry': <'authdeck'>, 'resident': <true>, \
             'x-offset': <int32 -5>, 'image-data': <(1, 1, 4, true, 8, 4, [byte 0, 0, 0, 255])>}",
            "int32 -1",
        ],
    );
    assert!(ok, "Notify failed: {out}");
    assert_eq!(out.trim(), "(uint32 1,)", "the first notification's id");

    let shown = server.wait_for(1, Duration::from_secs(10));
    assert_eq!(shown.len(), 1, "{shown:#?}");
    let n = &shown[0];
    assert_eq!(n.id, 1);
    assert_eq!(n.app_name, "authdeck");
    assert_eq!(n.replaces_id, 0);
    assert_eq!(n.app_icon, "authdeck");
    assert_eq!(n.summary, "Google: sign in again");
    assert_eq!(n.body, "work@example.com was signed out by Google.");
    assert_eq!(
        n.actions,
        ["reconnect", "Reconnect", "default", "Open Authdeck"]
    );
    assert_eq!(n.action_keys(), ["reconnect", "default"]);
    assert_eq!(n.action_label("reconnect"), Some("Reconnect"));
    assert_eq!(n.hints["urgency"], json!(2));
    assert_eq!(n.hints["desktop-entry"], json!("authdeck"));
    assert_eq!(n.hints["resident"], json!(true));
    assert_eq!(n.hints["x-offset"], json!(-5));
    assert_eq!(n.hints["image-data"], json!({ "signature": "(iiibiiay)" }));
    assert_eq!(n.expire_timeout, -1);
    assert!(n.sender.starts_with(':'), "a unique bus name: {n:?}");

    // A second notification gets a new id; replacing an open one keeps its id.
    let (ok, out) = call(
        &bus,
        "Notify",
        &["authdeck", "0", "", "second", "", "[]", "{}", "int32 5000"],
    );
    assert!(ok && out.trim() == "(uint32 2,)", "{out}");
    let (ok, out) = call(
        &bus,
        "Notify",
        &[
            "authdeck",
            "1",
            "",
            "first, updated",
            "",
            "[]",
            "{}",
            "int32 0",
        ],
    );
    assert!(ok && out.trim() == "(uint32 1,)", "{out}");
    let shown = server.notifications();
    assert_eq!(
        shown
            .iter()
            .map(|n| (n.id, n.replaces_id, n.summary.as_str(), n.expire_timeout))
            .collect::<Vec<_>>(),
        [
            (1, 0, "Google: sign in again", -1),
            (2, 0, "second", 5000),
            (1, 1, "first, updated", 0)
        ]
    );

    let (ok, out) = call(&bus, "GetCapabilities", &[]);
    assert!(ok, "{out}");
    assert!(
        out.contains("'actions'") && out.contains("'body'"),
        "capabilities: {out}"
    );
    let (ok, out) = call(&bus, "GetServerInformation", &[]);
    assert!(ok, "{out}");
    assert!(out.contains("'1.2')"), "spec version 1.2 last: {out}");
    let (ok, out) = call(&bus, "CloseNotification", &["2"]);
    assert!(ok && out.trim() == "()", "{out}");
    let (ok, out) = call(&bus, "CloseNotification", &["99"]);
    assert!(ok, "closing an unknown id succeeds, as on a desktop: {out}");

    let (ok, out) = gdbus(&bus, &["introspect", "--dest", NAME, "--object-path", PATH]);
    assert!(ok, "{out}");
    for expected in [
        "interface org.freedesktop.Notifications",
        "Notify(",
        "CloseNotification(",
        "signal",
        "ActionInvoked(",
        "NotificationClosed(",
    ] {
        assert!(
            out.contains(expected),
            "introspection lacks {expected:?}: {out}"
        );
    }
    let (ok, out) = gdbus(
        &bus,
        &[
            "introspect",
            "--dest",
            NAME,
            "--object-path",
            "/",
            "--recurse",
        ],
    );
    assert!(
        ok && out.contains("interface org.freedesktop.Notifications"),
        "found from the root: {out}"
    );
    let (ok, out) = gdbus(
        &bus,
        &[
            "call",
            "--dest",
            NAME,
            "--object-path",
            PATH,
            "--method",
            "org.freedesktop.DBus.Peer.Ping",
        ],
    );
    assert!(ok && out.trim() == "()", "Ping: {out}");
}

#[test]
fn odd_calls_get_dbus_errors_and_the_server_keeps_serving() {
    let dir = TempDir::new("notify-odd");
    let bus = PrivateBus::start(&dir);
    let server = NotificationServer::start(&bus.address);
    let iface = |method: &str| format!("{NAME}.{method}");

    let out = dbus_send(&bus, PATH, &iface("Notify"), &["string:only-one"]);
    assert!(
        out.contains("org.freedesktop.DBus.Error.InvalidArgs"),
        "Notify with the wrong arguments: {out}"
    );
    let out = dbus_send(&bus, PATH, &iface("CloseNotification"), &["string:1"]);
    assert!(out.contains("InvalidArgs"), "{out}");
    let out = dbus_send(&bus, PATH, &iface("GetCapabilities"), &["int32:1"]);
    assert!(out.contains("InvalidArgs"), "{out}");
    let out = dbus_send(&bus, PATH, &iface("Explode"), &[]);
    assert!(
        out.contains("org.freedesktop.DBus.Error.UnknownMethod"),
        "{out}"
    );
    let out = dbus_send(&bus, "/elsewhere", &iface("Notify"), &[]);
    assert!(
        out.contains("org.freedesktop.DBus.Error.UnknownObject"),
        "{out}"
    );
    let out = dbus_send(
        &bus,
        "/elsewhere",
        "org.freedesktop.DBus.Introspectable.Introspect",
        &[],
    );
    assert!(out.contains("UnknownObject"), "{out}");
    assert!(
        server.notifications().is_empty(),
        "nothing odd was recorded"
    );

    // Still serving, still the owner.
    let (ok, out) = call(
        &bus,
        "Notify",
        &[
            "app",
            "0",
            "",
            "after the odd calls",
            "",
            "[]",
            "{}",
            "int32 -1",
        ],
    );
    assert!(ok, "{out}");
    assert_eq!(
        server.wait_for(1, Duration::from_secs(10))[0].summary,
        "after the odd calls"
    );

    // A second server on the same bus is refused the name, with a clear panic.
    let second = catch_unwind(|| NotificationServer::start(&bus.address));
    let message = second
        .err()
        .and_then(|e| e.downcast::<String>().ok())
        .expect("a second server cannot start");
    assert!(
        message.contains("another connection owns it"),
        "the panic says why: {message}"
    );

    // Drop stops it: the name is free again.
    drop(server);
    assert!(
        !name_has_owner(&bus),
        "the name is released once the server is dropped"
    );
}

/// A client that stays on the bus, as `authdeck watch` will: it sends a
/// notification and receives what the server sends back.
struct Client {
    channel: Channel,
}

impl Client {
    fn connect(bus: &PrivateBus) -> Client {
        let mut channel = Channel::open_private(&bus.address).expect("connect to the private bus");
        channel.register().expect("Hello");
        let add_match = Message::new_method_call(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "AddMatch",
        )
        .unwrap()
        .append1(format!("type='signal',interface='{NAME}'"));
        channel
            .send_with_reply_and_block(add_match, Duration::from_secs(5))
            .expect("AddMatch");
        Client { channel }
    }

    fn unique_name(&self) -> String {
        self.channel.unique_name().expect("registered").to_owned()
    }

    fn call(&self, msg: Message) -> Message {
        self.channel
            .send_with_reply_and_block(msg, Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("call failed: {e}"))
    }

    fn notify(&self, summary: &str, actions: &[&str]) -> u32 {
        let mut hints = PropMap::new();
        hints.insert("urgency".into(), Variant(Box::new(1u8) as Box<dyn RefArg>));
        let msg = Message::new_method_call(NAME, PATH, NAME, "Notify")
            .unwrap()
            .append3("authdeck", 0u32, "")
            .append3(summary, "body", actions.to_vec())
            .append2(hints, -1i32);
        self.call(msg).read1::<u32>().expect("Notify returns an id")
    }

    /// The server's signals to this client, as (member, id, the second argument)
    /// until `count` have come or 10 s have passed.
    fn signals(&self, count: usize) -> Vec<(String, u32, String)> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut seen = Vec::new();
        while seen.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            let Some(msg) = self.channel.blocking_pop_message(left).expect("on the bus") else {
                break;
            };
            if msg.msg_type() != MessageType::Signal || msg.interface().as_deref() != Some(NAME) {
                continue;
            }
            assert_eq!(
                msg.destination().map(|d| d.to_string()),
                Some(self.unique_name()),
                "addressed to the notification's sender"
            );
            let member = msg.member().map(|m| m.to_string()).unwrap_or_default();
            let second = match member.as_str() {
                "ActionInvoked" => msg.read2::<u32, String>(),
                "NotificationClosed" => msg
                    .read2::<u32, u32>()
                    .map(|(id, reason)| (id, reason.to_string())),
                other => panic!("unexpected signal {other}"),
            }
            .unwrap_or_else(|e| panic!("{member} has the spec's arguments: {e}"));
            seen.push((member, second.0, second.1));
        }
        seen
    }
}

#[test]
fn an_invoked_action_reaches_the_sender_then_the_notification_closes() {
    let dir = TempDir::new("notify-invoke");
    let bus = PrivateBus::start(&dir);
    let server = NotificationServer::start(&bus.address);
    let client = Client::connect(&bus);

    let first = client.notify(
        "work@example.com: sign in again",
        &["reconnect", "Reconnect"],
    );
    let second = client.notify("other", &["default", "Open", "reconnect", "Reconnect"]);
    assert_ne!(first, second);
    let shown = server.wait_for(2, Duration::from_secs(10));
    assert_eq!(shown[0].id, first);
    assert_eq!(
        shown[0].sender,
        client.unique_name(),
        "the sender is recorded"
    );
    assert_eq!(shown[0].hints["urgency"], json!(1));

    server.invoke(first, "reconnect");
    assert_eq!(
        client.signals(2),
        [
            ("ActionInvoked".to_owned(), first, "reconnect".to_owned()),
            ("NotificationClosed".to_owned(), first, "2".to_owned()),
        ],
        "the action, then closed as dismissed by the person"
    );

    // It is closed now: invoking it again, or an action it never had, is a
    // test's mistake and says so.
    let again = catch_unwind(AssertUnwindSafe(|| server.invoke(first, "reconnect")));
    assert!(again.is_err(), "a closed notification cannot be invoked");
    let unknown = catch_unwind(AssertUnwindSafe(|| server.invoke(second, "delete")));
    assert!(
        unknown.is_err(),
        "an action the notification lacks cannot be invoked"
    );

    // `close` and the client's own CloseNotification each send NotificationClosed
    // with their reason, and nothing came between.
    server.close(second, 1);
    let third = client.notify("third", &[]);
    client.call(
        Message::new_method_call(NAME, PATH, NAME, "CloseNotification")
            .unwrap()
            .append1(third),
    );
    assert_eq!(
        client.signals(2),
        [
            ("NotificationClosed".to_owned(), second, "1".to_owned()),
            ("NotificationClosed".to_owned(), third, "3".to_owned()),
        ]
    );
    assert_eq!(server.notifications().len(), 3, "one record per Notify");
}
