//! The fake OAuth provider (tests/support/fake_provider) as a program of its own,
//! for measurements that need a provider outside the measured process
//! (scripts/bench.sh times `authdeck connect` and google-auth-oauthlib against it).
//!
//! Built as the `fake-provider` program of authdeck-test-support
//! (`target/<profile>/fake-provider`). Listens on 127.0.0.1 only.
//!
//! Usage: fake-provider FAMILY   (google, microsoft, github, dropbox, zoom, notion)
//!
//! Prints one JSON line on stdout once it accepts connections:
//! `{"family", "service", "base_url", "authorize_url", "token_url", "client_id",
//!   "client_secret", "providers_toml", "credentials_env": {VAR: value}}`
//! then reads commands from stdin, one per line, and answers each with one JSON line:
//! - `counts`: `{"authorize": n, "token": n, "refresh": n, "userinfo": n, "revoke": n}`
//!
//! It exits when stdin reaches end of file (the parent closed it or died), so it
//! never outlives the run that started it.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use authdeck_test_support::fake_provider::{FakeProvider, Family};

fn main() -> ExitCode {
    let Some(family) = std::env::args().nth(1).as_deref().and_then(Family::from_id) else {
        eprintln!(
            "fake-provider: usage: fake-provider FAMILY (one of: {})",
            Family::ALL.map(Family::id).join(", ")
        );
        return ExitCode::from(2);
    };
    let fake = FakeProvider::start(family);
    let hello = serde_json::json!({
        "family": family.id(),
        "service": family.id(),
        "base_url": fake.base_url(),
        "authorize_url": fake.authorize_url(),
        "token_url": fake.token_url(),
        "client_id": fake.client_id(),
        "client_secret": fake.client_secret(),
        "providers_toml": fake.providers_toml(family.id()),
        "credentials_env": fake
            .credentials_env()
            .into_iter()
            .map(|(name, value)| (name, serde_json::Value::String(value)))
            .collect::<serde_json::Map<String, serde_json::Value>>(),
    });
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{hello}").and_then(|()| out.flush()).is_err() {
        return ExitCode::from(1);
    }

    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let answer = match line.trim() {
            "counts" => serde_json::json!({
                "authorize": fake.authorize_count(),
                "token": fake.token_requests().len(),
                "refresh": fake.refresh_count(),
                "userinfo": fake.userinfo_requests().len(),
                "revoke": fake.revoke_requests().len(),
            }),
            "" => continue,
            other => serde_json::json!({"error": format!("unknown command {other:?}")}),
        };
        if writeln!(out, "{answer}")
            .and_then(|()| out.flush())
            .is_err()
        {
            break;
        }
    }
    ExitCode::SUCCESS
}
