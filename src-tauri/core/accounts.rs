//! The engine: status, the auth chain, connect, refresh and logout over every
//! service in the catalog.
//!
//! The auth chain, in order: (a) a saved token — used while fresh, refreshed
//! when due; (b) a grant without a person when one is set up (Zoom
//! Server-to-Server, `client_credentials`); (c) the browser sign-in, only when
//! the person asks to connect; (d) an API key or personal token from the
//! environment.
//!
//! A service holds any number of accounts (`roster`), each with its own token
//! set; the default one answers when no account is named.
//!
//! Refresh never loses a rotated token: one refresh per account at a time (in
//! this process and across processes), the store is re-read under the lock,
//! the new set is saved before it is returned, a failed save keeps the old set,
//! and a refused refresh token marks the account "needs reconnect".

use crate::catalog::Catalog;
use crate::credentials::{Credentials, Env};
use crate::discovery;
use crate::error::Error;
use crate::flow;
use crate::lock::RefreshLocks;
use crate::loopback::CancelHandle;
use crate::provider::Provider;
use crate::roster::{check_account_name, Entry, Roster};
use crate::secret::AccessToken;
use crate::store::{SavedClient, Store, StoreError};
use crate::token::{unix_now, Method, TokenSet};
use crate::token_response::TokenResponse;
use crate::transport::{HttpTransport, Transport};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The default time a person has to finish signing in.
mod connect;
mod device;
mod logout;
mod refresh;
#[cfg(test)]
mod refresh_rules;

pub use connect::{ConnectEvent, ConnectOptions};
pub use device::DeviceCode;
pub use logout::{LogoutOutcome, Revocation, Which};
pub use refresh::refreshed_set;
use refresh::Need;

pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(300);

/// A connection's state, as the CLI and the window show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    NotConfigured,
    NotConnected,
    Connecting,
    Connected,
    NeedsReconnect,
    Error,
}

/// What is known about one service, without any secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub service: String,
    pub name: String,
    pub state: State,
    pub method: Option<Method>,
    /// "Signed in with your browser", "via GITHUB_TOKEN", …
    pub method_label: Option<String>,
    pub account: Option<String>,
    /// Granted.
    pub scopes: Vec<String>,
    /// Asked for but not granted.
    pub missing_scopes: Vec<String>,
    pub expires_at: Option<u64>,
    pub obtained_at: Option<u64>,
    pub refreshed_at: Option<u64>,
    pub has_refresh_token: bool,
    /// Plain words: what is missing, why to reconnect, what went wrong.
    pub message: Option<String>,
    /// The sign-in link while connecting (for "Copy link").
    pub authorize_url: Option<String>,
    /// Every connected account, in connect order; the top-level fields above
    /// describe the default one.
    pub accounts: Vec<AccountStatus>,
}

/// One account of a service, without any secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountStatus {
    /// The identity as the service gave it.
    pub account: Option<String>,
    /// As shown and as `--account` takes it (`-` for an unnamed account).
    pub label: String,
    pub default: bool,
    pub state: State,
    pub method: Method,
    pub method_label: String,
    pub scopes: Vec<String>,
    pub missing_scopes: Vec<String>,
    pub expires_at: Option<u64>,
    pub obtained_at: u64,
    pub refreshed_at: Option<u64>,
    pub has_refresh_token: bool,
    pub message: Option<String>,
    /// What the background keeper (`authdeck watch`) found about this
    /// account: why it needs the person, and since when.
    pub attention: Option<Attention>,
}

/// A keeper finding, in plain words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attention {
    pub reason: String,
    pub noticed_at: u64,
}

impl Status {
    /// "Not connected", nothing known yet: the start of every status.
    pub fn blank(provider: &Provider) -> Self {
        Self {
            service: provider.id.clone(),
            name: provider.name.clone(),
            state: State::NotConnected,
            method: None,
            method_label: None,
            account: None,
            scopes: Vec::new(),
            missing_scopes: Vec::new(),
            expires_at: None,
            obtained_at: None,
            refreshed_at: None,
            has_refresh_token: false,
            message: None,
            authorize_url: None,
            accounts: Vec::new(),
        }
    }
}

/// A token handed out by the chain, and which method served it.
#[derive(Debug)]
pub struct Served {
    pub access_token: AccessToken,
    pub method: Method,
    /// When the token stops working; `None` for "does not expire" or unknown
    /// (an API key from the environment).
    pub expires_at: Option<u64>,
    pub scopes: Vec<String>,
    pub account: Option<String>,
}

impl Served {
    pub fn from_set(set: TokenSet, method: Method) -> Self {
        Self {
            access_token: set.access_token,
            method,
            expires_at: set.expires_at,
            scopes: set.scopes,
            account: set.account,
        }
    }

    /// An API key or personal token from the environment.
    pub fn api_key(key: &crate::secret::ApiKey) -> Self {
        Self {
            access_token: AccessToken::new(key.secret()),
            method: Method::ApiKey,
            expires_at: None,
            scopes: Vec::new(),
            account: None,
        }
    }
}

struct Attempt {
    cancel: Option<CancelHandle>,
    url: Option<String>,
}

pub struct Accounts {
    catalog: Catalog,
    store: Store,
    env: Env,
    /// How requests reach the services: HTTPS in a real run, canned answers in
    /// unit tests. An `Arc` so the engine can be shared between tasks.
    transport: Arc<dyn Transport>,
    config_dir: PathBuf,
    /// Serialises refreshes per service (in process and across processes).
    refresh_locks: RefreshLocks,
    /// Connect attempts in flight, by service id: one at a time per service.
    /// A std Mutex: held only to insert, look up or remove, never across an await.
    attempts: Mutex<HashMap<String, Attempt>>,
}

impl Accounts {
    pub fn new(
        catalog: Catalog,
        store: Store,
        transport: Arc<dyn Transport>,
        env: Env,
        config_dir: PathBuf,
    ) -> Result<Self, Error> {
        Ok(Self {
            catalog,
            store,
            env,
            transport,
            config_dir,
            refresh_locks: RefreshLocks::default(),
            attempts: Mutex::new(HashMap::new()),
        })
    }

    /// The catalog from the config dir, the keyring named by the environment.
    pub fn from_environment() -> Result<Self, Error> {
        let config_dir = crate::paths::config_dir();
        let catalog = Catalog::load(&config_dir, &crate::paths::system_config_dir());
        let env = Env::from_process();
        let timeout = crate::http::total_timeout_from(env.get("AUTHDECK_HTTP_TIMEOUT").as_deref());
        let transport = Arc::new(HttpTransport::new(timeout));
        Self::new(catalog, Store::from_env(), transport, env, config_dir)
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn env(&self) -> &Env {
        &self.env
    }

    /// Where the locks, `providers.toml` and the keeper's findings are.
    pub fn config_dir(&self) -> &std::path::Path {
        &self.config_dir
    }

    pub fn provider(&self, id: &str) -> Result<&Provider, Error> {
        self.catalog.get(id).ok_or_else(|| Error::UnknownService {
            service: id.to_owned(),
            known: self
                .catalog
                .providers
                .iter()
                .map(|p| p.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
    }

    /// The provider with endpoints filled from OpenID discovery when the
    /// config gave only an `issuer`.
    async fn provider_ready(&self, id: &str) -> Result<Provider, Error> {
        let mut provider = self.provider(id)?.clone();
        if let Some(problem) = self.catalog.problem_for(id) {
            if !provider.builtin {
                return Err(Error::Config(problem.to_string()));
            }
        }
        if provider.authorize_url.is_none() || provider.token_url.is_none() {
            if let Some(issuer) = provider.issuer.clone() {
                let found = discovery::discover(self.transport.as_ref(), &issuer).await?;
                discovery::apply(&mut provider, found);
            }
        }
        Ok(provider)
    }

    /// Sends a request to `provider` through the transport; not reaching it is
    /// a network error that names the service.
    pub(super) async fn send_to(
        &self,
        provider: &Provider,
        request: flow::PreparedRequest,
    ) -> Result<flow::Answer, Error> {
        self.transport
            .send(request)
            .await
            .map_err(|source| Error::Network {
                name: provider.name.clone(),
                source,
            })
    }

    pub async fn credentials(&self, provider: &Provider) -> Result<Credentials, Error> {
        let saved = self.store.load_client(&provider.id).await?;
        Ok(Credentials::resolve(provider, &saved, &self.env))
    }

    // ----- status -------------------------------------------------------

    /// Every service's status in catalog order, read from the keyring
    /// concurrently (one by one, six services took ~70 ms). Each service gets
    /// its own answer: one that cannot be read is an `Err` in its place, never
    /// a missing entry. The one fan-out the CLI and the window share.
    pub async fn status_each(self: &Arc<Self>, now: u64) -> Vec<(String, Result<Status, Error>)> {
        let mut tasks = Vec::new();
        for provider in &self.catalog.providers {
            let me = Arc::clone(self);
            let id = provider.id.clone();
            tasks.push((
                id.clone(),
                tokio::spawn(async move { me.status(&id, now).await }),
            ));
        }
        let mut all = Vec::with_capacity(tasks.len());
        for (id, task) in tasks {
            let status = task.await.unwrap_or_else(|e| {
                Err(Error::Other(format!(
                    "reading this service's status failed ({e})"
                )))
            });
            all.push((id, status));
        }
        all
    }

    /// Every service's status, or the first keyring problem (the CLI's view:
    /// without the keyring there is nothing to show).
    pub async fn status_all(self: &Arc<Self>, now: u64) -> Result<Vec<Status>, StoreError> {
        let mut all = Vec::new();
        for (_, status) in self.status_each(now).await {
            match status {
                Ok(status) => all.push(status),
                Err(Error::Keyring(e)) => return Err(e),
                Err(other) => return Err(StoreError::Other(other.to_string())),
            }
        }
        Ok(all)
    }

    pub async fn status(&self, id: &str, now: u64) -> Result<Status, Error> {
        let provider = self.provider(id)?;
        let mut status = Status::blank(provider);
        if let Some(url) = self.attempt_url(id) {
            status.state = State::Connecting;
            status.authorize_url = url;
            return Ok(status);
        }
        if let Some(problem) = self.catalog.problem_for(id) {
            status.message = Some(problem.to_string());
            if !provider.builtin {
                status.state = State::Error;
                return Ok(status);
            }
        }
        let (roster, sets) = self.roster_with_sets(id).await?;
        // Client credentials are read only when the tokens alone cannot tell.
        let needs_creds = sets.is_empty()
            || sets.iter().any(|(_, set)| {
                set.needs_reconnect.is_none() && !set.is_fresh(now) && set.refresh_token.is_none()
            });
        let creds = if needs_creds {
            Credentials::resolve(provider, &self.store.load_client(id).await?, &self.env)
        } else {
            Credentials::default()
        };
        if !sets.is_empty() {
            let unattended = creds.unattended(provider).is_some();
            let findings = crate::keeper::Findings::load(&self.config_dir);
            status.accounts = sets
                .iter()
                .map(|(entry, set)| {
                    let default = roster.default.as_deref() == Some(entry.key.as_str());
                    let mut a = account_status(entry, set, default, unattended, now);
                    a.attention = findings.for_key(&entry.key).map(|f| Attention {
                        reason: f.cause.describe(&provider.name),
                        noticed_at: f.noticed_at,
                    });
                    a
                })
                .collect();
            let shown = status
                .accounts
                .iter()
                .find(|a| a.default)
                .or(status.accounts.first())
                .cloned();
            if let Some(a) = shown {
                status.state = a.state;
                status.method = Some(a.method);
                status.method_label = Some(a.method_label);
                status.account = a.account;
                status.scopes = a.scopes;
                status.missing_scopes = a.missing_scopes;
                status.expires_at = a.expires_at;
                status.obtained_at = Some(a.obtained_at);
                status.refreshed_at = a.refreshed_at;
                status.has_refresh_token = a.has_refresh_token;
                if a.message.is_some() {
                    status.message = a.message;
                }
            }
            return Ok(status);
        }
        if let Some((_, var)) = &creds.api_key {
            status.state = State::Connected;
            status.method = Some(Method::ApiKey);
            status.method_label = Some(method_label(Method::ApiKey, Some(var)));
            return Ok(status);
        }
        if creds.is_configured(provider) {
            status.state = State::NotConnected;
        } else {
            status.state = State::NotConfigured;
            status
                .message
                .get_or_insert_with(|| creds.setup_needed(provider));
        }
        Ok(status)
    }

    // ----- the auth chain ------------------------------------------------

    /// A valid access token for scripts: (a) saved, refreshed when due;
    /// (b) a grant without a person; (d) an API key. Never opens a browser.
    pub async fn token(&self, id: &str, now: u64) -> Result<Served, Error> {
        self.token_valid_for(id, None, now, crate::token::REFRESH_MARGIN_SECS)
            .await
    }

    /// [`token`](Self::token) of `account` (the default one when `None`),
    /// valid for at least `secs` more seconds: renewed first when the saved
    /// one ends sooner; an error when the service's tokens do not last that long.
    pub async fn token_valid_for(
        &self,
        id: &str,
        account: Option<&str>,
        now: u64,
        secs: u64,
    ) -> Result<Served, Error> {
        // The hot path: a saved, fresh token needs two keyring reads (the
        // account list, the record) and nothing else.
        let chosen = self.choose(id, account).await?;
        let key = chosen
            .as_ref()
            .map_or_else(|| id.to_owned(), |(entry, _)| entry.key.clone());
        let saved = chosen.map(|(_, set)| set);
        if let Some(set) = &saved {
            if let Some(reason) = &set.needs_reconnect {
                return Err(needs_reconnect(self.provider(id)?, reason.clone()));
            }
            if set.valid_for(now, secs) {
                self.provider(id)?;
                return Ok(Served::from_set(set.clone(), Method::SavedToken));
            }
        }
        let provider = self.provider_ready(id).await?;
        let creds = self.credentials(&provider).await?;
        if let Some(set) = saved {
            if set.refresh_token.is_some() || creds.unattended(&provider).is_some() {
                let served = self
                    .refresh_locked(&provider, &creds, &key, Need::ValidFor(secs))
                    .await?;
                return match served.expires_at {
                    Some(at) if at <= unix_now().saturating_add(secs) => Err(Error::Other(format!(
                        "{}'s new token is valid for only {} more seconds, less than the {secs} asked for: {} does not issue tokens that last that long.",
                        provider.name,
                        at.saturating_sub(unix_now()),
                        provider.name
                    ))),
                    _ => Ok(served),
                };
            }
            if let Some((key, _)) = creds.api_key {
                return Ok(Served::api_key(&key));
            }
            return Err(needs_reconnect(
                &provider,
                "The sign-in expired and cannot be renewed automatically.".to_owned(),
            ));
        }
        if let Some(grant) = creds.unattended(&provider) {
            return self
                .unattended_grant(&provider, &creds, &key, grant, unix_now())
                .await;
        }
        if let Some((key, _)) = creds.api_key {
            return Ok(Served::api_key(&key));
        }
        Err(Error::NotConnected {
            name: provider.name.clone(),
            what_to_set: creds.what_to_set(&provider),
        })
    }

    // ----- accounts ------------------------------------------------------

    /// The accounts of a service and their token sets, in connect order. An
    /// account whose record has gone (a crash between two writes) is left out.
    pub(crate) async fn roster_with_sets(
        &self,
        id: &str,
    ) -> Result<(Roster, Vec<(Entry, TokenSet)>), Error> {
        if let Some(roster) = self.store.load_roster(id).await? {
            let mut sets = Vec::with_capacity(roster.entries.len());
            for entry in &roster.entries {
                if let Some(set) = self.store.load_token(&entry.key).await? {
                    sets.push((entry.clone(), set));
                }
            }
            return Ok((roster, sets));
        }
        // No account list: zero or one account, at the plain key, as
        // earlier releases kept every sign-in.
        match self.store.load_token(id).await? {
            Some(set) => {
                let roster = Roster::single(id, set.account.clone());
                let entry = roster.entries[0].clone();
                Ok((roster, vec![(entry, set)]))
            }
            None => Ok((Roster::default(), Vec::new())),
        }
    }

    /// The account a command names (`None`: the default) and its token set;
    /// `Ok(None)` when the service holds no account at all.
    pub(crate) async fn choose(
        &self,
        id: &str,
        account: Option<&str>,
    ) -> Result<Option<(Entry, TokenSet)>, Error> {
        let (roster, sets) = self.roster_with_sets(id).await?;
        let wanted = match account {
            None => {
                let default = roster.default.clone();
                return Ok(sets
                    .iter()
                    .find(|(e, _)| Some(&e.key) == default.as_ref())
                    .or(sets.first())
                    .cloned());
            }
            Some(name) => check_account_name(name).map_err(|e| Error::Config(e.to_string()))?,
        };
        match sets
            .into_iter()
            .find(|(e, _)| roster.find(wanted).is_some_and(|f| f.key == e.key))
        {
            Some(found) => Ok(Some(found)),
            None => Err(Error::UnknownAccount {
                name: self.provider(id)?.name.clone(),
                account: wanted.to_owned(),
                known: roster.labels(),
            }),
        }
    }

    /// Saves a new sign-in as the account it signed in as: the record of that
    /// account when it is here (same identity, any case), a new account
    /// otherwise. The first account of a service is its default.
    pub(super) async fn add_or_replace(
        &self,
        provider: &Provider,
        set: TokenSet,
        method: Method,
    ) -> Result<Served, Error> {
        let id = provider.id.as_str();
        let _guard = self
            .refresh_locks
            .acquire(&self.config_dir.join("locks"), &roster_lock(id))
            .await;
        let (mut roster, _) = self.roster_with_sets(id).await?;
        if let Some(entry) = roster.find_identity(set.account.as_deref()) {
            let key = entry.key.clone();
            return self.save_new(provider, &key, set, method).await;
        }
        let key = roster.key_for_new(id, set.account.as_deref());
        let account = set.account.clone();
        // The record first, then the list: a crash in between leaves an
        // unlisted record, never a listed account without one.
        let served = self.save_new(provider, &key, set, method).await?;
        roster.add(Entry { account, key });
        self.store
            .save_roster(id, &roster)
            .await
            .map_err(|source| Error::SaveFailed {
                name: provider.name.clone(),
                source,
            })?;
        Ok(served)
    }

    /// What the keeper needs to know of each account of a service, without
    /// any secret.
    pub(crate) async fn records_for_keeper(&self, id: &str) -> Result<Vec<KeeperRecord>, Error> {
        let provider = self.provider(id)?.clone();
        let (_, sets) = self.roster_with_sets(id).await?;
        if sets.is_empty() {
            return Ok(Vec::new());
        }
        let unattended = sets.iter().any(|(_, s)| s.refresh_token.is_none())
            && Credentials::resolve(&provider, &self.store.load_client(id).await?, &self.env)
                .unattended(&provider)
                .is_some();
        Ok(sets
            .into_iter()
            .map(|(entry, set)| KeeperRecord {
                label: entry.label().to_owned(),
                key: entry.key,
                needs_reconnect: set.needs_reconnect.is_some(),
                renewable: set.refresh_token.is_some() || unattended,
                due_at: set.refresh_due_at(),
                last_renewed: set.refreshed_at.unwrap_or(set.obtained_at),
                expires_at: set.expires_at,
            })
            .collect())
    }

    /// For a service used through an API key or personal token from the
    /// environment: the variable, and when the key ends if the service says
    /// (GitHub reports a personal access token's end only in a response
    /// header, so this asks who-am-I with it). `None` when no key is in use.
    pub(crate) async fn api_key_expiry(
        &self,
        id: &str,
    ) -> Result<Option<(String, Option<u64>)>, Error> {
        let provider = self.provider(id)?.clone();
        let creds = self.credentials(&provider).await?;
        let Some((key, var)) = creds.api_key else {
            return Ok(None);
        };
        let token = AccessToken::new(key.secret());
        let Some(request) = flow::userinfo_request(&provider, &self.env, &token) else {
            return Ok(Some((var, None)));
        };
        let answer = self.send_to(&provider, request).await?;
        let ends = (200..300)
            .contains(&answer.status)
            .then_some(answer.credential_expires_at)
            .flatten();
        Ok(Some((var, ends)))
    }

    /// Makes `account` the service's default. Returns its label.
    pub async fn switch(&self, id: &str, account: &str) -> Result<String, Error> {
        let provider = self.provider(id)?.clone();
        let wanted = check_account_name(account).map_err(|e| Error::Config(e.to_string()))?;
        let _guard = self
            .refresh_locks
            .acquire(&self.config_dir.join("locks"), &roster_lock(id))
            .await;
        let (mut roster, _) = self.roster_with_sets(id).await?;
        let Some(entry) = roster.find(wanted).cloned() else {
            return Err(Error::UnknownAccount {
                name: provider.name.clone(),
                account: wanted.to_owned(),
                known: roster.labels(),
            });
        };
        roster.make_default(&entry.key);
        self.store.save_roster(id, &roster).await?;
        Ok(entry.label().to_owned())
    }

    /// The accounts of a service, as a person would name them.
    pub async fn account_labels(&self, id: &str) -> Result<Vec<String>, Error> {
        self.provider(id)?;
        let (_, sets) = self.roster_with_sets(id).await?;
        Ok(sets.iter().map(|(e, _)| e.label().to_owned()).collect())
    }

    /// Saves client credentials for a service; `None` leaves a value unchanged,
    /// an empty string removes it.
    pub async fn save_client(
        &self,
        id: &str,
        client_id: Option<String>,
        client_secret: Option<String>,
        account_id: Option<String>,
    ) -> Result<(), Error> {
        self.provider(id)?;
        let mut saved = self.store.load_client(id).await?;
        let keep = |new: Option<String>, old: Option<String>| match new {
            None => old,
            Some(v) if v.trim().is_empty() => None,
            Some(v) => Some(v.trim().to_owned()),
        };
        saved.client_id = keep(client_id, saved.client_id);
        saved.account_id = keep(account_id, saved.account_id);
        saved.client_secret = keep(
            client_secret,
            saved.client_secret.map(|s| s.secret().to_owned()),
        )
        .map(crate::secret::ClientSecret::new);
        self.store.save_client(id, &saved).await?;
        Ok(())
    }

    pub async fn saved_client(&self, id: &str) -> Result<SavedClient, Error> {
        self.provider(id)?;
        Ok(self.store.load_client(id).await?)
    }
}

/// One account as the keeper sees it.
pub(crate) struct KeeperRecord {
    pub key: String,
    pub label: String,
    pub needs_reconnect: bool,
    /// A refresh token, or a grant without a person.
    pub renewable: bool,
    pub due_at: Option<u64>,
    pub last_renewed: u64,
    pub expires_at: Option<u64>,
}

/// The lock that serialises changes to a service's account list.
pub(super) fn roster_lock(id: &str) -> String {
    format!("{id}.accounts")
}

/// One account's status from its token set.
fn account_status(
    entry: &Entry,
    set: &TokenSet,
    default: bool,
    unattended: bool,
    now: u64,
) -> AccountStatus {
    let (state, message) = if let Some(reason) = &set.needs_reconnect {
        (State::NeedsReconnect, Some(reason.clone()))
    } else if set.is_fresh(now) || set.refresh_token.is_some() || unattended {
        (State::Connected, None)
    } else {
        (
            State::NeedsReconnect,
            Some("The sign-in expired and cannot be renewed automatically.".to_owned()),
        )
    };
    AccountStatus {
        account: entry.account.clone(),
        label: entry.label().to_owned(),
        default,
        state,
        method: set.method,
        method_label: method_label(set.method, None),
        scopes: set.scopes.clone(),
        missing_scopes: set.missing_scopes(),
        expires_at: set.expires_at,
        obtained_at: set.obtained_at,
        refreshed_at: set.refreshed_at,
        has_refresh_token: set.refresh_token.is_some(),
        message,
        attention: None,
    }
}

/// A 429 is "come back later", not a broken sign-in: nothing is marked or retried.
fn rate_limited(provider: &Provider, answer: &flow::Answer) -> Result<(), Error> {
    if answer.status == 429 {
        return Err(Error::RateLimited {
            name: provider.name.clone(),
            retry_after: answer.retry_after,
        });
    }
    Ok(())
}

fn needs_reconnect(provider: &Provider, reason: String) -> Error {
    Error::NeedsReconnect {
        service: provider.id.clone(),
        name: provider.name.clone(),
        reason,
    }
}

/// A fresh token set from a token response to a request for `requested`.
/// A response that names no scopes granted what was asked (RFC 6749 section 3.3).
pub fn new_set(
    provider: &Provider,
    response: TokenResponse,
    requested: Vec<String>,
    method: Method,
    now: u64,
) -> TokenSet {
    TokenSet {
        expires_at: response.expires_in.map(|s| now.saturating_add(s)),
        scopes: response.scopes.unwrap_or_else(|| requested.clone()),
        requested_scopes: requested,
        account: flow::account_from(provider, &response.identity),
        token_type: response.token_type.unwrap_or_else(|| "bearer".to_owned()),
        access_token: response.access_token,
        refresh_token: response.refresh_token,
        method,
        obtained_at: now,
        refreshed_at: None,
        needs_reconnect: None,
    }
}

/// Plain words for how a connection was made.
pub fn method_label(method: Method, env_var: Option<&str>) -> String {
    match method {
        Method::OauthPkce | Method::Refreshed | Method::SavedToken => {
            "Signed in with your browser".to_owned()
        }
        Method::DeviceCode => "Signed in with a code".to_owned(),
        Method::ClientCredentials => "Server-to-Server app".to_owned(),
        Method::ApiKey => match env_var {
            Some(var) => format!("via {var}"),
            None => "API key".to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::RefreshToken;

    fn response(json: &str) -> TokenResponse {
        crate::token_response::parse(200, Some("application/json"), json.as_bytes()).unwrap()
    }

    fn old() -> TokenSet {
        TokenSet {
            access_token: AccessToken::new("old-at"),
            refresh_token: Some(RefreshToken::new("old-rt")),
            token_type: "bearer".into(),
            expires_at: Some(100),
            scopes: vec!["repo".into()],
            requested_scopes: Vec::new(),
            method: Method::OauthPkce,
            account: Some("octocat".into()),
            obtained_at: 10,
            refreshed_at: None,
            needs_reconnect: None,
        }
    }

    #[test]
    fn rotated_refresh_token_replaces_the_old_one() {
        let set = refreshed_set(
            old(),
            response(r#"{"access_token":"a2","refresh_token":"r2","expires_in":3600}"#),
            1_000,
        );
        assert_eq!(set.refresh_token.unwrap().secret(), "r2");
        assert_eq!(set.expires_at, Some(4_600));
        assert_eq!(set.refreshed_at, Some(1_000));
        assert_eq!(set.account.as_deref(), Some("octocat"));
    }

    #[test]
    fn non_rotating_refresh_keeps_the_old_refresh_token_and_scopes() {
        let set = refreshed_set(
            old(),
            response(r#"{"access_token":"a2","expires_in":3600}"#),
            1_000,
        );
        assert_eq!(set.refresh_token.unwrap().secret(), "old-rt");
        assert_eq!(set.scopes, vec!["repo"]);
    }
}
