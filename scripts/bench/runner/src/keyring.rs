//! The bench keyring, seen through `secret-tool` (not through Authdeck's own
//! store code): plants token records with the attributes keyring 3 writes
//! (tests/support/secret_tool.rs has the same), and clears them afterwards.

use std::io::Write;
use std::process::{Command, Stdio};

/// Stores one item as keyring 3 would (service, username, target, application).
pub fn store(service: &str, username: &str, secret: &str) -> Result<(), String> {
    let mut child = Command::new("secret-tool")
        .args([
            "store",
            &format!("--label={username}@{service}:default (planted by the Authdeck bench)"),
            "service",
            service,
            "username",
            username,
            "target",
            "default",
            "application",
            "rust-keyring",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run secret-tool: {e}"))?;
    if let Some(mut pipe) = child.stdin.take() {
        pipe.write_all(secret.as_bytes())
            .map_err(|e| format!("secret-tool stdin: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("secret-tool: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "secret-tool store failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Removes every item of `service`; nothing stored is fine.
pub fn clear(service: &str) {
    let _ = Command::new("secret-tool")
        .args(["clear", "service", service])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// One planted service.
struct Planted {
    id: &'static str,
    expires_at: Option<u64>,
    refresh: bool,
    scopes: &'static [&'static str],
    account: &'static str,
}

/// Six connected services, as the contract's token record (version 1): long-lived
/// tokens so nothing is refreshed while the bench runs, and obtained two days ago
/// so no "just now" label changes on the dashboard while it is watched.
pub fn plant_six_connected(service: &str, now: u64) -> Result<(), String> {
    let month = now + 30 * 24 * 3600;
    let two_days_ago = now - 2 * 24 * 3600;
    let services = [
        Planted {
            id: "google",
            expires_at: Some(month),
            refresh: true,
            scopes: &[
                "openid",
                "email",
                "https://www.googleapis.com/auth/drive.readonly",
                "https://www.googleapis.com/auth/documents.readonly",
            ],
            account: "ada@example.com",
        },
        Planted {
            id: "dropbox",
            expires_at: Some(month),
            refresh: true,
            scopes: &["account_info.read", "files.metadata.read"],
            account: "ada@example.com",
        },
        Planted {
            id: "zoom",
            expires_at: Some(month),
            refresh: true,
            scopes: &["meeting:read"],
            account: "ada@example.com",
        },
        Planted {
            id: "notion",
            expires_at: None,
            refresh: true,
            scopes: &[],
            account: "Ada Lovelace",
        },
        Planted {
            id: "github",
            expires_at: None,
            refresh: false,
            scopes: &["repo", "read:org"],
            account: "octocat",
        },
        Planted {
            id: "microsoft",
            expires_at: Some(month),
            refresh: true,
            scopes: &["User.Read", "offline_access"],
            account: "ada@example.com",
        },
    ];
    for Planted {
        id,
        expires_at,
        refresh,
        scopes,
        account,
    } in services
    {
        let record = serde_json::json!({
            "version": 1,
            "access_token": format!("bench-{id}-access-token"),
            "refresh_token": refresh.then(|| format!("bench-{id}-refresh-token")),
            "token_type": "bearer",
            "expires_at": expires_at,
            "scopes": scopes,
            "method": "oauth_pkce",
            "account": account,
            "obtained_at": two_days_ago,
            "refreshed_at": null,
            "needs_reconnect": null,
        });
        store(service, &format!("token:{id}"), &record.to_string())?;
    }
    Ok(())
}
