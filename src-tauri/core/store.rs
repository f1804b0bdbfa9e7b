//! Token and client-credential storage in the OS keyring.
//!
//! One keyring item per service and kind, under the keyring service name
//! (`authdeck`, or `$AUTHDECK_KEYRING_SERVICE` so tests can run side by side):
//! - `token:<key>` one account's token set, as a versioned JSON record (the
//!   key is the service id for a service's first account, `<id>/<account>`
//!   for the others: `roster.rs`);
//! - `accounts:<id>` which accounts a service holds and its default, once it
//!   holds more than one;
//! - `client:<id>` client credentials saved through the app or `authdeck config set`.
//!
//! The store never falls back to memory or a file: when the keyring cannot be
//! reached the caller gets a [`StoreError`] that says what is wrong and how to
//! fix it. "Not found" is `Ok(None)`, and deleting twice is fine.
//!
//! The records are this file's; where their text lives is an [`Items`]
//! backend passed in:
//! - `secret_service.rs`: Linux, one Secret Service session per process;
//! - `keyring.rs`: macOS and Windows, through the keyring crate;
//! - `memory.rs`: unit tests only, so the refresh rules are tested in
//!   milliseconds without a Secret Service.
//!
//! The OS stores are blocking (they talk D-Bus or system calls), so every
//! call goes through `spawn_blocking` and never stalls the async runtime.

#[cfg(not(target_os = "linux"))]
mod keyring;
#[cfg(test)]
mod memory;
#[cfg(target_os = "linux")]
mod secret_service;

#[cfg(test)]
pub use memory::Memory;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::roster::{Entry, Roster};
use crate::secret::{AccessToken, ClientSecret, RefreshToken};
use crate::token::{Method, TokenSet};
use serde::{Deserialize, Serialize};

/// The default keyring service name.
pub const DEFAULT_SERVICE: &str = "authdeck";

/// `$AUTHDECK_KEYRING_SERVICE`, else `authdeck`.
pub fn service_name_from_env() -> String {
    match std::env::var("AUTHDECK_KEYRING_SERVICE") {
        Ok(name) if !name.trim().is_empty() => name.trim().to_owned(),
        _ => DEFAULT_SERVICE.to_owned(),
    }
}

/// Why the keyring could not be used. Every message names the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("Authdeck cannot reach your keyring: no desktop session bus is running. Sign in to a desktop session (or start one with `dbus-run-session`) and try again.")]
    NoSessionBus,
    #[error("Authdeck cannot reach your keyring: no keyring service is running. Install and start one (on Debian/Ubuntu: `sudo apt install gnome-keyring`, then sign out and in again) and try again.")]
    NoKeyringService,
    #[error("Your keyring is locked, so Authdeck cannot read or save sign-ins. Unlock it (for example with the Passwords and Keys app, \"Seahorse\") and try again.")]
    Locked,
    #[error("The keyring item for {item} is damaged ({detail}). Nothing was changed; log out of that service in Authdeck to remove it, then connect again.")]
    Damaged { item: String, detail: String },
    #[error("The keyring refused the request: {0}. Check that your keyring works (for example with the Passwords and Keys app) and try again.")]
    Other(String),
}

impl StoreError {
    /// A stable code for the UI and scripts.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::NoSessionBus | StoreError::NoKeyringService => "keyring_unavailable",
            StoreError::Locked => "keyring_locked",
            StoreError::Damaged { .. } => "keyring_item_damaged",
            StoreError::Other(_) => "keyring_error",
        }
    }
}

/// Client credentials saved in the keyring; each part optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SavedClient {
    pub client_id: Option<String>,
    pub client_secret: Option<ClientSecret>,
    pub account_id: Option<String>,
}

/// One item's text on its way in or out of a backend.
pub type ItemFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Where the records' text is kept, one text per item name.
pub trait Items: Send + Sync + fmt::Debug {
    /// `Ok(None)` when there is no such item.
    fn get<'a>(&'a self, item: &'a str) -> ItemFuture<'a, Option<String>>;
    fn set<'a>(&'a self, item: &'a str, text: String) -> ItemFuture<'a, ()>;
    /// Deleting an item that is not there is fine.
    fn delete<'a>(&'a self, item: &'a str) -> ItemFuture<'a, ()>;
}

/// The token and client records of every service. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    /// Shared by clones; an `Arc` because the app's tasks and the engine hold
    /// the same store.
    items: Arc<dyn Items>,
}

impl Store {
    /// The OS keyring under `service`. On Linux the Secret Service session
    /// is opened on first use and kept by this store and its clones.
    pub fn new(service: impl Into<String>) -> Self {
        #[cfg(target_os = "linux")]
        let items = secret_service::SecretServiceItems::new(service.into());
        #[cfg(not(target_os = "linux"))]
        let items = keyring::Keyring {
            service: service.into(),
        };
        Self::on(Arc::new(items))
    }

    /// Records kept in `items`.
    pub fn on(items: Arc<dyn Items>) -> Self {
        Self { items }
    }

    /// The keyring under [`service_name_from_env`].
    pub fn from_env() -> Self {
        Self::new(service_name_from_env())
    }

    /// Checks that the keyring answers, without writing anything.
    pub async fn check(&self) -> Result<(), StoreError> {
        self.get("probe:reachability").await.map(|_| ())
    }

    pub async fn load_token(&self, id: &str) -> Result<Option<TokenSet>, StoreError> {
        let item = token_item(id);
        match self.get(&item).await? {
            None => Ok(None),
            Some(text) => TokenRecord::decode(&text)
                .map(Some)
                .map_err(|detail| StoreError::Damaged { item, detail }),
        }
    }

    pub async fn save_token(&self, id: &str, set: &TokenSet) -> Result<(), StoreError> {
        self.set(&token_item(id), TokenRecord::encode(set)).await
    }

    pub async fn delete_token(&self, id: &str) -> Result<(), StoreError> {
        self.delete(&token_item(id)).await
    }

    /// The roster record of a service; `None` when it has none (zero or one
    /// account at its plain key, as earlier releases kept them).
    pub async fn load_roster(&self, id: &str) -> Result<Option<Roster>, StoreError> {
        let item = roster_item(id);
        match self.get(&item).await? {
            None => Ok(None),
            Some(text) => RosterRecord::decode(id, &text)
                .map(Some)
                .map_err(|detail| StoreError::Damaged { item, detail }),
        }
    }

    /// Saves the roster; one that the token records alone describe (one
    /// account at the plain key, or none) is deleted instead, so a
    /// single-account service stays exactly as earlier releases wrote it.
    pub async fn save_roster(&self, id: &str, roster: &Roster) -> Result<(), StoreError> {
        if roster.is_implicit(id) {
            return self.delete(&roster_item(id)).await;
        }
        self.set(&roster_item(id), RosterRecord::encode(roster))
            .await
    }

    pub async fn load_client(&self, id: &str) -> Result<SavedClient, StoreError> {
        let item = client_item(id);
        match self.get(&item).await? {
            None => Ok(SavedClient::default()),
            Some(text) => {
                let record: ClientRecord =
                    serde_json::from_str(&text).map_err(|e| StoreError::Damaged {
                        item,
                        detail: e.to_string(),
                    })?;
                Ok(SavedClient {
                    client_id: record.client_id,
                    client_secret: record.client_secret.map(ClientSecret::new),
                    account_id: record.account_id,
                })
            }
        }
    }

    pub async fn save_client(&self, id: &str, client: &SavedClient) -> Result<(), StoreError> {
        let record = ClientRecord {
            client_id: client.client_id.clone(),
            client_secret: client.client_secret.as_ref().map(|s| s.secret().to_owned()),
            account_id: client.account_id.clone(),
        };
        let item = client_item(id);
        if record == ClientRecord::default() {
            return self.delete(&item).await;
        }
        let text = serde_json::to_string(&record).map_err(|e| StoreError::Other(e.to_string()))?;
        self.set(&item, text).await
    }

    async fn get(&self, item: &str) -> Result<Option<String>, StoreError> {
        self.items.get(item).await
    }

    async fn set(&self, item: &str, text: String) -> Result<(), StoreError> {
        self.items.set(item, text).await
    }

    async fn delete(&self, item: &str) -> Result<(), StoreError> {
        self.items.delete(item).await
    }
}

pub(crate) fn token_item(key: &str) -> String {
    format!("token:{key}")
}

fn roster_item(id: &str) -> String {
    format!("accounts:{id}")
}

fn client_item(id: &str) -> String {
    format!("client:{id}")
}

/// Runs a blocking store call off the async runtime.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(e) => Err(StoreError::Other(format!(
            "the keyring call stopped unexpectedly ({e})"
        ))),
    }
}

/// The Secret Service reports bus trouble only as text (verified
/// messages in docs/platform.md), so the text is what we can match.
pub fn classify_platform_failure(text: &str) -> StoreError {
    let lower = text.to_ascii_lowercase();
    if lower.contains("autolaunch")
        || lower.contains("dbus_session_bus_address")
        || lower.contains("no such file or directory")
    {
        StoreError::NoSessionBus
    } else if lower.contains("org.freedesktop.secrets")
        || lower.contains("serviceunknown")
        || lower.contains("was not provided")
    {
        StoreError::NoKeyringService
    } else if lower.contains("locked") || lower.contains("dismissed") {
        StoreError::Locked
    } else {
        StoreError::Other(text.to_owned())
    }
}

/// A record's JSON; the error names where it broke, never what it holds
/// (records hold tokens).
fn parse_record<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, String> {
    serde_json::from_str(text)
        .map_err(|e| format!("not {what} (line {}, column {})", e.line(), e.column()))
}

/// A record from a newer release is refused, not misread.
fn check_version(found: u32, known: u32) -> Result<(), String> {
    if found != known {
        return Err(format!(
            "written by a newer Authdeck (format {found}); update Authdeck"
        ));
    }
    Ok(())
}

/// The JSON written to the keyring for a token set (version 1). Private, so the
/// only way a token becomes text is through this store.
#[derive(Serialize, Deserialize)]
struct TokenRecord {
    version: u32,
    access_token: String,
    refresh_token: Option<String>,
    token_type: String,
    expires_at: Option<u64>,
    /// Granted.
    #[serde(default)]
    scopes: Vec<String>,
    /// Asked for; empty in records of releases that did not keep it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    requested_scopes: Vec<String>,
    method: Method,
    #[serde(default)]
    account: Option<String>,
    obtained_at: u64,
    #[serde(default)]
    refreshed_at: Option<u64>,
    #[serde(default)]
    needs_reconnect: Option<String>,
}

impl TokenRecord {
    const VERSION: u32 = 1;

    fn encode(set: &TokenSet) -> String {
        let record = TokenRecord {
            version: Self::VERSION,
            access_token: set.access_token.secret().to_owned(),
            refresh_token: set.refresh_token.as_ref().map(|t| t.secret().to_owned()),
            token_type: set.token_type.clone(),
            expires_at: set.expires_at,
            scopes: set.scopes.clone(),
            requested_scopes: set.requested_scopes.clone(),
            method: set.method,
            account: set.account.clone(),
            obtained_at: set.obtained_at,
            refreshed_at: set.refreshed_at,
            needs_reconnect: set.needs_reconnect.clone(),
        };
        // Serializing plain strings and numbers cannot fail.
        serde_json::to_string(&record).unwrap_or_default()
    }

    /// The error text never includes the record, which holds tokens.
    fn decode(text: &str) -> Result<TokenSet, String> {
        let record: TokenRecord = parse_record(text, "a token record")?;
        check_version(record.version, Self::VERSION)?;
        if record.access_token.is_empty() {
            return Err("the access token is empty".into());
        }
        Ok(TokenSet {
            access_token: AccessToken::new(record.access_token),
            refresh_token: record
                .refresh_token
                .filter(|t| !t.is_empty())
                .map(RefreshToken::new),
            token_type: record.token_type,
            expires_at: record.expires_at,
            scopes: record.scopes,
            requested_scopes: record.requested_scopes,
            method: record.method,
            account: record.account,
            obtained_at: record.obtained_at,
            refreshed_at: record.refreshed_at,
            needs_reconnect: record.needs_reconnect,
        })
    }
}

/// The JSON of a service's roster record (version 1).
#[derive(Serialize, Deserialize)]
struct RosterRecord {
    version: u32,
    default: Option<String>,
    accounts: Vec<RosterEntry>,
}

#[derive(Serialize, Deserialize)]
struct RosterEntry {
    account: Option<String>,
    key: String,
}

impl RosterRecord {
    const VERSION: u32 = 1;

    fn encode(roster: &Roster) -> String {
        let record = RosterRecord {
            version: Self::VERSION,
            default: roster.default.clone(),
            accounts: roster
                .entries
                .iter()
                .map(|e| RosterEntry {
                    account: e.account.clone(),
                    key: e.key.clone(),
                })
                .collect(),
        };
        serde_json::to_string(&record).unwrap_or_default()
    }

    /// Only keys of this service are accepted, so a damaged or planted
    /// record can never point one service at another's tokens.
    fn decode(id: &str, text: &str) -> Result<Roster, String> {
        let record: RosterRecord = parse_record(text, "an account list")?;
        check_version(record.version, Self::VERSION)?;
        let prefix = format!("{id}/");
        let mut roster = Roster::default();
        for entry in record.accounts {
            let ours = entry.key == id
                || entry
                    .key
                    .strip_prefix(&prefix)
                    .is_some_and(|rest| !rest.is_empty());
            if !ours {
                return Err(format!("lists a record of another service ({})", entry.key));
            }
            if roster.entries.iter().any(|e| e.key == entry.key) {
                continue;
            }
            roster.entries.push(Entry {
                account: entry.account,
                key: entry.key,
            });
        }
        roster.default = record
            .default
            .filter(|key| roster.entries.iter().any(|e| &e.key == key))
            .or_else(|| roster.entries.first().map(|e| e.key.clone()));
        Ok(roster)
    }
}

#[derive(Serialize, Deserialize, Default, PartialEq, Eq)]
struct ClientRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    account_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> TokenSet {
        TokenSet {
            access_token: AccessToken::new("at"),
            refresh_token: Some(RefreshToken::new("rt")),
            token_type: "bearer".into(),
            expires_at: Some(2_000),
            scopes: vec!["repo".into()],
            requested_scopes: vec!["repo".into(), "gist".into()],
            method: Method::OauthPkce,
            account: Some("octocat".into()),
            obtained_at: 1_000,
            refreshed_at: None,
            needs_reconnect: None,
        }
    }

    #[test]
    fn record_round_trips() {
        let text = TokenRecord::encode(&sample());
        assert_eq!(TokenRecord::decode(&text).unwrap(), sample());
    }

    #[test]
    fn damaged_record_error_does_not_quote_the_record() {
        let err = TokenRecord::decode(r#"{"access_token":"SECRET-AT","version":1"#).unwrap_err();
        assert!(!err.contains("SECRET"), "{err}");
    }

    #[test]
    fn record_from_a_newer_version_is_refused_not_misread() {
        let text = TokenRecord::encode(&sample()).replace("\"version\":1", "\"version\":9");
        assert!(TokenRecord::decode(&text).unwrap_err().contains("newer"));
    }

    #[test]
    fn a_record_of_an_earlier_release_reads_with_nothing_requested() {
        let text =
            TokenRecord::encode(&sample()).replace(r#""requested_scopes":["repo","gist"],"#, "");
        assert!(!text.contains("requested"), "{text}");
        let set = TokenRecord::decode(&text).unwrap();
        assert!(set.requested_scopes.is_empty());
        assert_eq!(set.scopes, vec!["repo"]);
    }

    #[test]
    fn roster_round_trips_and_refuses_keys_of_other_services() {
        let mut roster = Roster::single("github", Some("octocat".into()));
        roster.add(Entry {
            account: Some("hubot".into()),
            key: "github/hubot".into(),
        });
        roster.make_default("github/hubot");
        let text = RosterRecord::encode(&roster);
        assert_eq!(RosterRecord::decode("github", &text).unwrap(), roster);
        let planted = text.replace("github/hubot", "google");
        assert!(RosterRecord::decode("github", &planted)
            .unwrap_err()
            .contains("another service"));
        let dangling = text.replace(r#""default":"github/hubot""#, r#""default":"github/x""#);
        assert_eq!(
            RosterRecord::decode("github", &dangling)
                .unwrap()
                .default
                .as_deref(),
            Some("github"),
            "a default that is not listed falls back to the first account"
        );
    }

    #[test]
    fn platform_failures_map_to_what_a_person_can_fix() {
        assert_eq!(
            classify_platform_failure(
                "Unable to autolaunch a dbus-daemon without a $DISPLAY for X11"
            ),
            StoreError::NoSessionBus
        );
        assert_eq!(
            classify_platform_failure(
                "The name org.freedesktop.secrets was not provided by any .service files"
            ),
            StoreError::NoKeyringService
        );
        assert!(matches!(
            classify_platform_failure("odd"),
            StoreError::Other(_)
        ));
    }
}
