//! `notification-server --log FILE`: a freedesktop notification server
//! (Desktop Notifications spec 1.2) for a test's private session bus, driven by
//! `authdeck_test_support::notifications::NotificationServer`.
//!
//! It connects to the bus in `DBUS_SESSION_BUS_ADDRESS`, owns
//! `org.freedesktop.Notifications` at `/org/freedesktop/Notifications` (or exits
//! 1 if another connection has it), prints `ready` once it does, and answers
//! `Notify`, `CloseNotification`, `GetCapabilities` and `GetServerInformation`,
//! plus `org.freedesktop.DBus.Introspectable.Introspect` and
//! `org.freedesktop.DBus.Peer.Ping`. Every `Notify` is appended to FILE as one
//! JSON line, written and flushed before the reply, so a client that has its
//! id back finds its notification in the log:
//!
//! ```json
//! {"id":1,"app_name":"authdeck","replaces_id":0,"app_icon":"","summary":"…","body":"…",
//!  "actions":["reconnect","Reconnect"],"hints":{"urgency":1},"expire_timeout":-1,"sender":":1.7"}
//! ```
//!
//! `actions` is the flat key/label list as sent. Hints that are strings, numbers
//! or booleans are recorded as themselves; any other hint as
//! `{"signature":"…"}`, so that a test can still see it was sent.
//!
//! Notifications never expire: they stay open until closed by the client or by a
//! test. A test commands it on stdin, one command a line, each answered on
//! stdout by `ok` or `error: …`, after any signal it sends has been flushed:
//!
//! - `invoke ID ACTION_KEY`: as if the person clicked that action: emits
//!   `ActionInvoked(ID, ACTION_KEY)` and then `NotificationClosed(ID, 2)`, both
//!   addressed to the connection that sent the notification. The key must be one
//!   of the notification's own actions, as a real server can only invoke those.
//! - `close ID [REASON]`: emits `NotificationClosed(ID, REASON)` (default 2,
//!   dismissed by the user; 1 is expired).
//!
//! It exits 0 when stdin closes, 1 when it loses the bus.
//!
//! Written with the `dbus` crate's plain message channel rather than
//! dbus-crossroads: four methods with fixed signatures need no dispatch
//! framework, the crate is already in the build (the keyring backend's), and one
//! loop that both serves the bus and reads the test's commands keeps all state
//! on one thread, with no locks.

use std::collections::HashMap;
use std::ffi::CString;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use dbus::arg::{ArgType, Iter, PropMap, RefArg};
use dbus::channel::{BusType, Channel};
use dbus::message::MessageType;
use dbus::strings::{BusName, ErrorName};
use dbus::Message;
use serde_json::{json, Map, Value};

const NAME: &str = "org.freedesktop.Notifications";
const PATH: &str = "/org/freedesktop/Notifications";
const IFACE: &str = "org.freedesktop.Notifications";

const INVALID_ARGS: &str = "org.freedesktop.DBus.Error.InvalidArgs";
const UNKNOWN_METHOD: &str = "org.freedesktop.DBus.Error.UnknownMethod";
const UNKNOWN_OBJECT: &str = "org.freedesktop.DBus.Error.UnknownObject";
const FAILED: &str = "org.freedesktop.DBus.Error.Failed";

/// `NotificationClosed` reasons (spec 1.2).
const CLOSED_DISMISSED: u32 = 2;
const CLOSED_BY_CALL: u32 = 3;

const INTROSPECTION: &str = r#"<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node>
  <interface name="org.freedesktop.Notifications">
    <method name="Notify">
      <arg name="app_name" type="s" direction="in"/>
      <arg name="replaces_id" type="u" direction="in"/>
      <arg name="app_icon" type="s" direction="in"/>
      <arg name="summary" type="s" direction="in"/>
      <arg name="body" type="s" direction="in"/>
      <arg name="actions" type="as" direction="in"/>
      <arg name="hints" type="a{sv}" direction="in"/>
      <arg name="expire_timeout" type="i" direction="in"/>
      <arg name="id" type="u" direction="out"/>
    </method>
    <method name="CloseNotification">
      <arg name="id" type="u" direction="in"/>
    </method>
    <method name="GetCapabilities">
      <arg name="capabilities" type="as" direction="out"/>
    </method>
    <method name="GetServerInformation">
      <arg name="name" type="s" direction="out"/>
      <arg name="vendor" type="s" direction="out"/>
      <arg name="version" type="s" direction="out"/>
      <arg name="spec_version" type="s" direction="out"/>
    </method>
    <signal name="NotificationClosed">
      <arg name="id" type="u"/>
      <arg name="reason" type="u"/>
    </signal>
    <signal name="ActionInvoked">
      <arg name="id" type="u"/>
      <arg name="action_key" type="s"/>
    </signal>
  </interface>
  <interface name="org.freedesktop.DBus.Introspectable">
    <method name="Introspect">
      <arg name="xml_data" type="s" direction="out"/>
    </method>
  </interface>
  <interface name="org.freedesktop.DBus.Peer">
    <method name="Ping"/>
    <method name="GetMachineId">
      <arg name="machine_uuid" type="s" direction="out"/>
    </method>
  </interface>
</node>
"#;

/// A method's failure: the D-Bus error name and message of its error reply.
type Failure = (&'static str, String);

/// A notification still open: who sent it and which action keys it offers.
struct Open {
    sender: String,
    action_keys: Vec<String>,
}

struct Server {
    channel: Channel,
    log: File,
    next_id: u32,
    open: HashMap<u32, Open>,
}

enum Command {
    Line(String),
    Eof,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let log_path = match args.as_slice() {
        [flag, path] if flag == "--log" => path.clone(),
        _ => {
            eprintln!(
                "usage: notification-server --log FILE (on the bus in DBUS_SESSION_BUS_ADDRESS)"
            );
            return ExitCode::from(2);
        }
    };
    let log = match OpenOptions::new().create(true).append(true).open(&log_path) {
        Ok(file) => file,
        Err(e) => {
            eprintln!("notification-server: cannot open the log {log_path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let channel = match Channel::get_private(BusType::Session) {
        Ok(channel) => channel,
        Err(e) => {
            eprintln!("notification-server: cannot connect to the session bus: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(why) = own_name(&channel) {
        eprintln!("notification-server: cannot own {NAME}: {why}");
        return ExitCode::FAILURE;
    }

    let (commands, received) = mpsc::channel();
    std::thread::spawn(move || read_commands(commands));
    say("ready");

    let mut server = Server {
        channel,
        log,
        next_id: 1,
        open: HashMap::new(),
    };
    loop {
        match server
            .channel
            .blocking_pop_message(Duration::from_millis(20))
        {
            Ok(Some(msg)) => server.handle(msg),
            Ok(None) => {}
            Err(e) => {
                eprintln!("notification-server: lost the session bus: {e}");
                return ExitCode::FAILURE;
            }
        }
        while let Ok(command) = received.try_recv() {
            match command {
                Command::Line(line) => {
                    let answer = server.command(&line);
                    server.channel.flush();
                    match answer {
                        Ok(()) => say("ok"),
                        Err(why) => say(&format!("error: {why}")),
                    }
                }
                Command::Eof => {
                    server.channel.flush();
                    return ExitCode::SUCCESS;
                }
            }
        }
    }
}

/// RequestName with DO_NOT_QUEUE: either this connection is the owner, or the
/// test would be talking to someone else's server.
fn own_name(channel: &Channel) -> Result<(), String> {
    let call = Message::new_method_call(
        "org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus",
        "RequestName",
    )?
    .append2(NAME, 4u32);
    let reply = channel
        .send_with_reply_and_block(call, Duration::from_secs(10))
        .map_err(|e| e.to_string())?;
    match reply.read1::<u32>() {
        Ok(1) => Ok(()),
        Ok(code) => Err(format!(
            "the bus answered RequestName with {code}: another connection owns it"
        )),
        Err(e) => Err(format!("unexpected RequestName reply: {e}")),
    }
}

/// Reads the test's commands until stdin closes. Lossy UTF-8: a bad byte makes
/// an unknown command, not a dead reader.
fn read_commands(commands: mpsc::Sender<Command>) {
    let mut stdin = std::io::stdin().lock();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match stdin.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let line = String::from_utf8_lossy(&buf).trim().to_owned();
                if !line.is_empty() && commands.send(Command::Line(line)).is_err() {
                    return;
                }
            }
        }
    }
    let _ = commands.send(Command::Eof);
}

/// One line on stdout. Never panics: a test that stopped reading is not a crash.
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

impl Server {
    fn handle(&mut self, msg: Message) {
        if msg.msg_type() != MessageType::MethodCall {
            return; // NameAcquired and other signals from the bus.
        }
        let reply = match self.answer(&msg) {
            Ok(reply) => reply,
            Err((name, text)) => msg.error(
                &ErrorName::from(name),
                &CString::new(text.replace('\0', " ")).unwrap_or_default(),
            ),
        };
        if !msg.get_no_reply() {
            let _ = self.channel.send(reply);
        }
    }

    fn answer(&mut self, msg: &Message) -> Result<Message, Failure> {
        let path = msg.path().map(|p| p.to_string()).unwrap_or_default();
        let interface = msg.interface().map(|i| i.to_string());
        let member = msg.member().map(|m| m.to_string()).unwrap_or_default();
        match (interface.as_deref(), member.as_str()) {
            (Some("org.freedesktop.DBus.Peer") | None, "Ping") => {
                expect_signature(msg, "")?;
                Ok(msg.method_return())
            }
            (Some("org.freedesktop.DBus.Peer"), _) => {
                // GetMachineId, from libdbus.
                dbus::channel::default_reply(msg)
                    .filter(|reply| reply.msg_type() == MessageType::MethodReturn)
                    .ok_or((UNKNOWN_METHOD, format!("no method Peer.{member}")))
            }
            (Some("org.freedesktop.DBus.Introspectable") | None, "Introspect") => {
                expect_signature(msg, "")?;
                Ok(msg.method_return().append1(introspect(&path)?))
            }
            _ if path != PATH => Err((UNKNOWN_OBJECT, format!("no object at {path}"))),
            (Some(IFACE) | None, "Notify") => self.notify(msg),
            (Some(IFACE) | None, "CloseNotification") => self.close_notification(msg),
            (Some(IFACE) | None, "GetCapabilities") => {
                expect_signature(msg, "")?;
                Ok(msg.method_return().append1(vec!["actions", "body"]))
            }
            (Some(IFACE) | None, "GetServerInformation") => {
                expect_signature(msg, "")?;
                Ok(msg
                    .method_return()
                    .append3(
                        "authdeck-test-notification-server",
                        "Authdeck",
                        env!("CARGO_PKG_VERSION"),
                    )
                    .append1("1.2"))
            }
            _ => Err((
                UNKNOWN_METHOD,
                format!(
                    "no method {}.{member} at {path}",
                    interface.as_deref().unwrap_or("(no interface)")
                ),
            )),
        }
    }

    fn notify(&mut self, msg: &Message) -> Result<Message, Failure> {
        expect_signature(msg, "susssasa{sv}i")?;
        let mut args = msg.iter_init();
        let bad = |e: dbus::arg::TypeMismatchError| (INVALID_ARGS, e.to_string());
        let app_name: String = args.read().map_err(bad)?;
        let replaces_id: u32 = args.read().map_err(bad)?;
        let app_icon: String = args.read().map_err(bad)?;
        let summary: String = args.read().map_err(bad)?;
        let body: String = args.read().map_err(bad)?;
        let actions: Vec<String> = args.read().map_err(bad)?;
        let hints: PropMap = args.read().map_err(bad)?;
        let expire_timeout: i32 = args.read().map_err(bad)?;
        let sender = msg.sender().map(|s| s.to_string()).unwrap_or_default();

        // Spec: a replaces_id of an open notification updates it in place and
        // keeps its id; any other (0, or long closed) gets a new one.
        let id = if replaces_id != 0 && self.open.contains_key(&replaces_id) {
            replaces_id
        } else {
            let id = self.next_id;
            self.next_id = self.next_id.checked_add(1).unwrap_or(1);
            id
        };
        let hints_json: Map<String, Value> = hints
            .iter()
            .map(|(key, value)| (key.clone(), hint_json(&*value.0)))
            .collect();
        let record = json!({
            "id": id,
            "app_name": app_name,
            "replaces_id": replaces_id,
            "app_icon": app_icon,
            "summary": summary,
            "body": body,
            "actions": actions,
            "hints": hints_json,
            "expire_timeout": expire_timeout,
            "sender": sender,
        });
        let mut line = record.to_string();
        line.push('\n');
        if let Err(e) = self
            .log
            .write_all(line.as_bytes())
            .and_then(|()| self.log.flush())
        {
            eprintln!("notification-server: cannot write the log: {e}");
            return Err((FAILED, format!("the test server cannot write its log: {e}")));
        }
        let action_keys = actions.iter().step_by(2).cloned().collect();
        self.open.insert(
            id,
            Open {
                sender,
                action_keys,
            },
        );
        Ok(msg.method_return().append1(id))
    }

    /// Closes an open notification (NotificationClosed reason 3). An unknown or
    /// already closed id is answered with success, as GNOME Shell and dunst do,
    /// so that a client closing a notification the person already dismissed
    /// meets what it would on a desktop.
    fn close_notification(&mut self, msg: &Message) -> Result<Message, Failure> {
        expect_signature(msg, "u")?;
        let id: u32 = msg.read1().map_err(|e| (INVALID_ARGS, e.to_string()))?;
        if let Some(open) = self.open.remove(&id) {
            self.emit(&open.sender, "NotificationClosed", |m| {
                m.append2(id, CLOSED_BY_CALL)
            });
        }
        Ok(msg.method_return())
    }

    /// A test's command line (see the crate doc above).
    fn command(&mut self, line: &str) -> Result<(), String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let parse_id = |word: &str| {
            word.parse::<u32>()
                .map_err(|_| format!("not a notification id: {word:?}"))
        };
        match words.as_slice() {
            ["invoke", id, key] => {
                let id = parse_id(id)?;
                let open = self
                    .open
                    .get(&id)
                    .ok_or_else(|| format!("no open notification {id}"))?;
                if !open.action_keys.iter().any(|k| k == key) {
                    return Err(format!(
                        "notification {id} has no action {key:?} (its action keys: {:?})",
                        open.action_keys
                    ));
                }
                let open = self.open.remove(&id).expect("checked above");
                let key = key.to_string();
                self.emit(&open.sender, "ActionInvoked", |m| m.append2(id, key));
                self.emit(&open.sender, "NotificationClosed", |m| {
                    m.append2(id, CLOSED_DISMISSED)
                });
                Ok(())
            }
            ["close", id, rest @ ..] if rest.len() <= 1 => {
                let id = parse_id(id)?;
                let reason = match rest {
                    [reason] => reason
                        .parse::<u32>()
                        .map_err(|_| format!("not a close reason: {reason:?}"))?,
                    _ => CLOSED_DISMISSED,
                };
                let open = self
                    .open
                    .remove(&id)
                    .ok_or_else(|| format!("no open notification {id}"))?;
                self.emit(&open.sender, "NotificationClosed", |m| {
                    m.append2(id, reason)
                });
                Ok(())
            }
            _ => Err(format!(
                "unknown command {line:?} (commands: `invoke ID ACTION_KEY`, `close ID [REASON]`)"
            )),
        }
    }

    /// Sends one of the interface's signals to `sender` (to everyone if the
    /// sender's name is unknown, which the bus never allows).
    fn emit(&self, sender: &str, member: &str, args: impl FnOnce(Message) -> Message) {
        let Ok(signal) = Message::new_signal(PATH, IFACE, member) else {
            return;
        };
        let mut signal = args(signal);
        if let Ok(destination) = BusName::new(sender.to_owned()) {
            signal.set_destination(Some(destination));
        }
        let _ = self.channel.send(signal);
    }
}

/// The message's whole signature, e.g. "susssasa{sv}i".
fn signature(msg: &Message) -> String {
    let mut args: Iter = msg.iter_init();
    let mut signature = String::new();
    while args.arg_type() != ArgType::Invalid {
        signature.push_str(&args.signature());
        args.next();
    }
    signature
}

fn expect_signature(msg: &Message, expected: &str) -> Result<(), Failure> {
    let found = signature(msg);
    if found == expected {
        Ok(())
    } else {
        Err((
            INVALID_ARGS,
            format!("expected arguments of signature {expected:?}, got {found:?}"),
        ))
    }
}

/// The interface at the object's path, and the way down to it from its parents.
fn introspect(path: &str) -> Result<String, Failure> {
    let child = match path {
        PATH => return Ok(INTROSPECTION.to_owned()),
        "/" => "org",
        "/org" => "freedesktop",
        "/org/freedesktop" => "Notifications",
        _ => return Err((UNKNOWN_OBJECT, format!("no object at {path}"))),
    };
    Ok(format!(
        "<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n \
         \"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n\
         <node><node name=\"{child}\"/></node>\n"
    ))
}

/// A hint's value as JSON: strings, numbers and booleans as themselves, a
/// variant by its content, anything else by its signature.
fn hint_json(value: &dyn RefArg) -> Value {
    let other = || json!({ "signature": value.signature().to_string() });
    match value.arg_type() {
        ArgType::String | ArgType::ObjectPath | ArgType::Signature => {
            value.as_str().map(Value::from).unwrap_or_else(other)
        }
        ArgType::Boolean => Value::Bool(value.as_i64() == Some(1)),
        ArgType::Byte
        | ArgType::Int16
        | ArgType::UInt16
        | ArgType::Int32
        | ArgType::UInt32
        | ArgType::Int64 => value.as_i64().map(Value::from).unwrap_or_else(other),
        ArgType::UInt64 => value.as_u64().map(Value::from).unwrap_or_else(other),
        ArgType::Double => value
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or_else(other),
        ArgType::Variant => value
            .as_iter()
            .and_then(|mut inner| inner.next().map(hint_json))
            .unwrap_or_else(other),
        _ => other(),
    }
}
