//! A D-Bus session bus of a test's own, optionally with its own gnome-keyring,
//! for keyring trouble that must not disturb the shared test keyring: a bus
//! with no keyring service, a keyring that dies, a locked collection.
//! The bus has no service directories, so nothing is ever auto-started on it.

use crate::TempDir;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct PrivateBus {
    daemon: Child,
    pub address: String,
}

impl PrivateBus {
    pub fn start(dir: &TempDir) -> PrivateBus {
        let config = dir.write(
            "bus.conf",
            &format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:dir={}</listen>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>
</busconfig>"#,
                dir.path_str()
            ),
        );
        let mut daemon = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--print-address=1", "--nofork"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon runs");
        let mut line = String::new();
        if let Some(out) = daemon.stdout.take() {
            let _ = BufReader::new(out).read_line(&mut line);
        }
        PrivateBus {
            daemon,
            address: line.trim().to_owned(),
        }
    }

    /// Starts gnome-keyring on this bus with its files under `dir` (a restart
    /// with the same `dir` finds the same items), unlocked.
    pub fn start_keyring(&self, dir: &TempDir) -> Keyring {
        std::fs::create_dir_all(dir.join("data")).unwrap();
        std::fs::create_dir_all(dir.join("run")).unwrap();
        let mut child = Command::new("gnome-keyring-daemon")
            .args(["--unlock", "--components=secrets", "--foreground"])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env("XDG_DATA_HOME", dir.join("data"))
            .env("XDG_RUNTIME_DIR", dir.join("run"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon runs");
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(b"private-keyring");
        }
        let mut keyring = Keyring { child };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.has_owner("org.freedesktop.secrets") {
                return keyring;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        keyring.stop();
        panic!("gnome-keyring did not come up on the private bus");
    }

    fn has_owner(&self, name: &str) -> bool {
        self.send(
            &[
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                &format!("string:{name}"),
            ],
            "org.freedesktop.DBus",
        )
        .contains("boolean true")
    }

    /// Locks the default collection, as a screen lock or a timeout would.
    pub fn lock_login_collection(&self) {
        let reply = self.send(
            &[
                "/org/freedesktop/secrets",
                "org.freedesktop.Secret.Service.Lock",
                "array:objpath:/org/freedesktop/secrets/collection/login",
            ],
            "org.freedesktop.secrets",
        );
        assert!(reply.contains("method return"), "lock failed: {reply}");
    }

    fn send(&self, args: &[&str], dest: &str) -> String {
        let out = Command::new("dbus-send")
            .args(["--session", "--print-reply", &format!("--dest={dest}")])
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .output()
            .expect("dbus-send runs");
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

pub struct Keyring {
    child: Child,
}

impl Keyring {
    /// SIGTERM, as at logout: gnome-keyring writes its files and exits.
    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Keyring {
    fn drop(&mut self) {
        self.stop();
    }
}
