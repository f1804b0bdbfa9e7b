//! Keyring and process faults in the middle of a refresh: the keyring dies
//! while the new token set is saved, and the process is killed while the
//! refresh is in flight. Nothing half-written, nothing silently lost.
//! One test per file-level process, because the first test points this
//! process at its own private D-Bus and keyring (libdbus reads the address once).

mod support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::cli::authdeck;
use support::fake_provider::{FakeProvider, Family};
use support::{require_test_session, secret_tool, TempDir, TestEnv};

/// A private session bus without service activation, so a killed keyring
/// stays dead until the test restarts it.
fn private_bus(dir: &TempDir) -> (Child, String) {
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
    let mut child = Command::new("dbus-daemon")
        .arg(format!("--config-file={}", config.display()))
        .args(["--print-address=1", "--nofork"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line.trim().to_owned())
}

/// gnome-keyring on that bus, its files under `dir` (so a restart finds them).
fn start_keyring(dir: &TempDir, bus: &str) -> Child {
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::create_dir_all(dir.join("run")).unwrap();
    let mut child = Command::new("gnome-keyring-daemon")
        .args(["--unlock", "--components=secrets", "--foreground"])
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_RUNTIME_DIR", dir.join("run"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"fault-test").unwrap();
    drop(stdin);
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let owned = Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", bus)
            .output()
            .unwrap();
        if String::from_utf8_lossy(&owned.stdout).contains("boolean true") {
            return child;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    stop(&mut child);
    panic!("gnome-keyring did not come up on the private bus");
}

fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

#[test]
fn keyring_dying_while_the_refreshed_set_is_saved_keeps_the_old_one_usable() {
    require_test_session();
    let dir = TempDir::new("fault-keyring");
    let (mut bus, address) = private_bus(&dir);
    let mut keyring = start_keyring(&dir, &address);
    // This process and every child (secret-tool, authdeck) now use the private bus.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &address);

    // Google does not rotate refresh tokens, so the old set stays valid.
    let fake = FakeProvider::start(Family::Google);
    let test = TestEnv::new("fault-keyring");
    test.write_providers_toml(&fake.providers_toml("google"));
    let minted = fake.mint_tokens(&["openid"]);
    let record = secret_tool::token_record_json(
        &minted.access_token,
        minted.refresh_token.as_deref(),
        Some(-10),
        &["openid"],
        "oauth_pkce",
        Some("ada@example.com"),
    );
    secret_tool::store_token(&test.keyring_service, "google", &record);

    // The keyring goes away while the token request is in flight.
    fake.set_token_delay(Duration::from_millis(1_500));
    let cli = std::thread::spawn({
        let env: Vec<(String, String)> = test
            .app_env()
            .into_iter()
            .chain(fake.credentials_env())
            .collect();
        move || authdeck(&["token", "google"]).envs(env).run()
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while fake.token_requests().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    stop(&mut keyring);
    let out = cli.join().unwrap();
    out.assert_code(1);
    assert!(
        out.stdout.is_empty(),
        "a token that could not be saved is not handed out"
    );
    assert!(
        out.stderr.contains("previous one was kept"),
        "{}",
        out.describe()
    );

    // After the keyring comes back, the old set is there, whole, and usable.
    let mut keyring = start_keyring(&dir, &address);
    assert_eq!(
        secret_tool::token_record(&test.keyring_service, "google"),
        Some(record)
    );
    fake.set_token_delay(Duration::ZERO);
    let again = authdeck(&["token", "google"])
        .envs(test.app_env())
        .envs(fake.credentials_env())
        .run();
    again.assert_success();
    assert!(fake
        .valid_access_tokens()
        .contains(&again.stdout.trim().to_owned()));

    stop(&mut keyring);
    let _ = bus.kill();
    let _ = bus.wait();
}
