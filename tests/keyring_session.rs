//! One Secret Service session per process: a command that reads every
//! service's records opens one D-Bus connection and one session (earlier
//! releases opened one per item), and a long-lived store survives the keyring
//! daemon restarting under it.
//! One test in this file: it points the process at its own private D-Bus and
//! keyring (libdbus reads the address once), where a monitor may listen.

use authdeck_core::store::Store;
use authdeck_test_support::cli::authdeck;
use authdeck_test_support::private_keyring::PrivateBus;
use authdeck_test_support::{require_test_session, secret_tool, TempDir, TestEnv};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SERVICES: [&str; 6] = ["github", "google", "dropbox", "zoom", "notion", "microsoft"];

#[test]
fn a_command_uses_one_session_for_all_its_reads_and_a_store_outlives_a_keyring_restart() {
    require_test_session();
    let dir = TempDir::new("keyring-session");
    let bus = PrivateBus::start(&dir);
    let mut keyring = bus.start_keyring(&dir);
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &bus.address);
    let test = TestEnv::new("keyring-session");

    // Six connected services, written the way earlier releases wrote them:
    // through the keyring crate, one entry per item.
    for id in SERVICES {
        let record = secret_tool::token_record_json(
            &format!("at-{id}"),
            None,
            Some(3_600),
            &[],
            "api_key",
            Some("ada"),
        );
        keyring::Entry::new(&test.keyring_service, &format!("token:{id}"))
            .and_then(|entry| entry.set_password(&record.to_string()))
            .expect("the keyring crate saves an item");
    }

    let monitor = SecretServiceMonitor::start(&bus.address);
    let status = authdeck(&["status", "--json"]).envs(test.app_env()).run();
    let calls = monitor.stop();
    status.assert_code(0);
    let json: serde_json::Value = serde_json::from_str(&status.stdout).expect("status is JSON");
    for id in SERVICES {
        let service = json
            .as_array()
            .and_then(|list| list.iter().find(|s| s["service"] == id))
            .unwrap_or_else(|| panic!("{id} is listed: {json}"));
        assert_eq!(service["state"], "connected", "{id}: {service}");
    }
    assert_eq!(
        calls.open_sessions,
        1,
        "status reads {} services' items over one session: {calls:?}",
        SERVICES.len()
    );
    assert_eq!(calls.senders.len(), 1, "one D-Bus connection: {calls:?}");
    assert!(
        calls.secret_calls >= SERVICES.len(),
        "the monitor saw the reads: {calls:?}"
    );

    // `token` is one process, one session too.
    let monitor = SecretServiceMonitor::start(&bus.address);
    let token = authdeck(&["token", "github"]).envs(test.app_env()).run();
    let calls = monitor.stop();
    token.assert_code(0);
    assert_eq!(token.stdout.trim(), "at-github");
    assert_eq!(calls.open_sessions, 1, "{calls:?}");

    // The items are keyring's both ways: what the store saves, the keyring
    // crate (earlier releases) reads, under keyring's attributes and label;
    // an item keyring wrote is updated in place, not duplicated.
    let store = Store::new(&test.keyring_service);
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let mut set = rt
        .block_on(store.load_token("github"))
        .expect("read")
        .expect("the item keyring wrote loads");
    set.account = Some("grace".into());
    rt.block_on(store.save_token("github", &set)).expect("save");
    rt.block_on(store.save_token("gitlab", &set))
        .expect("save a new item");
    for id in ["github", "gitlab"] {
        let text = keyring::Entry::new(&test.keyring_service, &format!("token:{id}"))
            .and_then(|entry| entry.get_password())
            .expect("the keyring crate reads what the store saved");
        assert!(text.contains("\"account\":\"grace\""), "{id}");
    }
    let items = secret_tool::search(&test.keyring_service);
    let named = |user: &str| items.iter().filter(|i| i.username() == user).count();
    assert_eq!(named("token:github"), 1, "updated in place");
    let created = items
        .iter()
        .find(|i| i.username() == "token:gitlab")
        .expect("the new item");
    assert_eq!(created.attribute("target"), Some("default"));
    assert_eq!(created.attribute("application"), Some("rust-keyring"));
    assert_eq!(
        created.label,
        format!(
            "token:gitlab@{}:default (keyring v3.6.3)",
            test.keyring_service
        )
    );

    // A store kept by a long-running process (the window) reads over its
    // session, and when the keyring daemon restarts, opens a new one.
    let before = rt.block_on(store.load_token("github")).expect("read");
    assert_eq!(before.map(|set| set.account), Some(Some("grace".into())));
    keyring.stop();
    let mut keyring = bus.start_keyring(&dir);
    let after = rt
        .block_on(store.load_token("google"))
        .expect("the store reconnects to the restarted keyring");
    assert!(after.is_some(), "the restarted keyring still has the items");
    keyring.stop();
}

/// What a monitor on the bus saw of the Secret Service while it listened.
#[derive(Debug, Default)]
struct Calls {
    open_sessions: usize,
    /// Method calls to any Secret Service interface.
    secret_calls: usize,
    /// The D-Bus connections that made them.
    senders: Vec<String>,
}

/// `dbus-monitor` on a private bus (its policy allows eavesdropping),
/// counting method calls to the Secret Service.
struct SecretServiceMonitor {
    child: Child,
    calls: Arc<Mutex<Calls>>,
    reader: std::thread::JoinHandle<()>,
}

impl SecretServiceMonitor {
    fn start(address: &str) -> Self {
        let mut child = Command::new("dbus-monitor")
            .args(["--address", address, "type='method_call'"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-monitor runs");
        let stdout = child.stdout.take().expect("dbus-monitor's output");
        let calls = Arc::new(Mutex::new(Calls::default()));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn({
            let calls = calls.clone();
            move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    // Monitoring begins once the monitor has dropped its own name.
                    if line.contains("member=NameLost") {
                        let _ = ready_tx.send(());
                    }
                    if !line.starts_with("method call")
                        || !line.contains("interface=org.freedesktop.Secret.")
                    {
                        continue;
                    }
                    let mut calls = calls.lock().unwrap_or_else(|p| p.into_inner());
                    calls.secret_calls += 1;
                    if line.contains("member=OpenSession") {
                        calls.open_sessions += 1;
                    }
                    if let Some(sender) = line
                        .split_whitespace()
                        .find_map(|word| word.strip_prefix("sender="))
                    {
                        if !calls.senders.iter().any(|s| s == sender) {
                            calls.senders.push(sender.to_owned());
                        }
                    }
                }
            }
        });
        ready_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("dbus-monitor starts monitoring");
        Self {
            child,
            calls,
            reader,
        }
    }

    /// Stops listening once the bus has been quiet for a moment (the
    /// monitor prints what it saw with a small delay).
    fn stop(mut self) -> Calls {
        let settle = Instant::now() + Duration::from_millis(300);
        while Instant::now() < settle {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = self.reader.join();
        let calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        Calls {
            open_sessions: calls.open_sessions,
            secret_calls: calls.secret_calls,
            senders: calls.senders.clone(),
        }
    }
}
