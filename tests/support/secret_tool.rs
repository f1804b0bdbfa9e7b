//! Looks at the Secret Service the way a person would, with `secret-tool`, so the
//! tests observe what the app really stored without going through the app's own
//! storage code.
//!
//! keyring 3 (sync-secret-service) writes each item with exactly these attributes
//! (observed with keyring 3.6.3 and gnome-keyring 42):
//! `service=<service>`, `username=<user>`, `target=default`, `application=rust-keyring`,
//! label `<user>@<service>:default (keyring v3.6.3)`.
//!
//! `secret-tool search` prints `label`/`secret`/`created`/`modified` on stdout but the
//! `attribute.X = Y` lines on stderr, so both streams go into one pipe to keep each
//! item's lines together.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::process::{Command, Stdio};

/// One Secret Service item.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Item {
    pub label: String,
    pub attributes: BTreeMap<String, String>,
    pub secret: String,
}

impl Item {
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.get(name).map(String::as_str)
    }

    /// The keyring "username" (the contract's account: `token:<id>`, `client:<id>`).
    pub fn username(&self) -> &str {
        self.attribute("username").unwrap_or("")
    }

    /// The secret parsed as JSON (token and client records are JSON).
    pub fn secret_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.secret).unwrap_or_else(|e| {
            panic!(
                "the secret of {:?} is not JSON ({e}): {:?}",
                self.label, self.secret
            )
        })
    }
}

/// Every item stored under `service`, unlocking the collection if needed.
pub fn search(service: &str) -> Vec<Item> {
    let (code, output) = run(&["search", "--all", "--unlock", "service", service], None);
    if code != Some(0) && !output.trim().is_empty() {
        panic!("secret-tool search failed ({code:?}): {output}\n{HINT}");
    }
    parse_search_output(&output)
}

/// The item for one keyring username (`token:github`), if any.
pub fn item(service: &str, username: &str) -> Option<Item> {
    search(service)
        .into_iter()
        .find(|item| item.username() == username)
}

/// The token record JSON for a service id (`github`), if one is stored.
pub fn token_record(service: &str, service_id: &str) -> Option<serde_json::Value> {
    item(service, &format!("token:{service_id}")).map(|item| item.secret_json())
}

/// The saved client credentials JSON for a service id, if any.
pub fn client_record(service: &str, service_id: &str) -> Option<serde_json::Value> {
    item(service, &format!("client:{service_id}")).map(|item| item.secret_json())
}

/// The usernames stored under `service`, sorted.
pub fn usernames(service: &str) -> Vec<String> {
    let mut names: Vec<String> = search(service)
        .iter()
        .map(|item| item.username().to_string())
        .collect();
    names.sort();
    names
}

/// Stores an item with the same attributes keyring 3 writes, so the app finds it
/// as if it had saved it itself. Replaces an existing item for the same attributes.
pub fn store(service: &str, username: &str, secret: &str) {
    let label = format!("{username}@{service}:default (planted by authdeck tests)");
    let (code, output) = run(
        &[
            "store",
            &format!("--label={label}"),
            "service",
            service,
            "username",
            username,
            "target",
            "default",
            "application",
            "rust-keyring",
        ],
        Some(secret),
    );
    if code != Some(0) {
        panic!("secret-tool store failed ({code:?}): {output}\n{HINT}");
    }
}

/// Stores a token record (contract JSON) for a service id.
pub fn store_token(service: &str, service_id: &str, record: &serde_json::Value) {
    store(service, &format!("token:{service_id}"), &record.to_string());
}

/// Deletes every item stored under `service`. Nothing stored is fine.
pub fn clear(service: &str) {
    let (code, output) = run(&["clear", "service", service], None);
    // secret-tool exits 1 with no output when nothing matched.
    if code != Some(0) && !output.trim().is_empty() {
        panic!("secret-tool clear failed ({code:?}): {output}\n{HINT}");
    }
}

/// `clear` for Drop impls: never panics.
pub fn clear_quietly(service: &str) {
    let _ = run_unchecked(&["clear", "service", service], None);
}

/// A token record as the contract defines it, for planting. `expires_in` is
/// seconds from now (`None` = does not expire).
pub fn token_record_json(
    access_token: &str,
    refresh_token: Option<&str>,
    expires_in: Option<i64>,
    scopes: &[&str],
    method: &str,
    account: Option<&str>,
) -> serde_json::Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    serde_json::json!({
        "version": 1,
        "access_token": access_token,
        "refresh_token": refresh_token,
        "token_type": "bearer",
        "expires_at": expires_in.map(|s| now + s),
        "scopes": scopes,
        "method": method,
        "account": account,
        "obtained_at": now,
        "refreshed_at": null,
        "needs_reconnect": null,
    })
}

const HINT: &str =
    "(secret-tool needs the session from `bash scripts/test.sh`: a private D-Bus with gnome-keyring)";

fn run(args: &[&str], stdin: Option<&str>) -> (Option<i32>, String) {
    run_unchecked(args, stdin)
        .unwrap_or_else(|e| panic!("cannot run secret-tool {args:?}: {e}\n{HINT}"))
}

/// Runs secret-tool with stdout and stderr in one pipe (see the module docs).
fn run_unchecked(args: &[&str], stdin: Option<&str>) -> std::io::Result<(Option<i32>, String)> {
    let (mut reader, writer) = std::io::pipe()?;
    let mut child = Command::new("secret-tool")
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(writer.try_clone()?)
        .stderr(writer)
        .spawn()?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes())?;
        // Dropping the pipe closes it: secret-tool reads the secret until EOF.
    }
    let mut bytes = Vec::new();
    // The Command's copies of the write end were dropped when it spawned, so this ends
    // when secret-tool exits.
    reader.read_to_end(&mut bytes)?;
    let status = child.wait()?;
    Ok((status.code(), String::from_utf8_lossy(&bytes).into_owned()))
}

/// Parses `secret-tool search --all` output: items start with a `[/N]` line,
/// then `key = value` lines; a secret may span lines up to `created = `.
pub fn parse_search_output(output: &str) -> Vec<Item> {
    let mut items = Vec::new();
    let mut current: Option<Item> = None;
    let mut in_secret = false;
    for line in output.lines() {
        if line.starts_with("[/") && line.ends_with(']') {
            items.extend(current.take());
            current = Some(Item::default());
            in_secret = false;
            continue;
        }
        let Some(item) = current.as_mut() else {
            continue; // e.g. a warning before the first item
        };
        let known_key = [
            "label = ",
            "secret = ",
            "created = ",
            "modified = ",
            "schema = ",
        ]
        .iter()
        .any(|prefix| line.starts_with(prefix))
            || line.starts_with("attribute.");
        if in_secret && !known_key {
            item.secret.push('\n');
            item.secret.push_str(line);
            continue;
        }
        in_secret = false;
        if let Some(value) = line.strip_prefix("label = ") {
            item.label = value.to_string();
        } else if let Some(value) = line.strip_prefix("secret = ") {
            item.secret = value.to_string();
            in_secret = true;
        } else if let Some(rest) = line.strip_prefix("attribute.") {
            if let Some((name, value)) = rest.split_once(" = ") {
                item.attributes.insert(name.to_string(), value.to_string());
            }
        }
    }
    items.extend(current);
    items
}
