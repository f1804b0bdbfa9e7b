//! Refreshing without losing anyone. Rotating services kill a refresh token
//! once it is used, so: one refresh per account at a time (in this process
//! and across processes; another account of the service is never touched), the store re-read under the lock with the caller's
//! own rule, the request sent once and never replayed, the new set saved
//! before it is returned (a failed save keeps the old one), and a refused
//! refresh token marks the service "needs reconnect" instead of deleting it.

use super::{needs_reconnect, new_set, rate_limited, Accounts, Served};
use crate::credentials::{Credentials, Unattended};
use crate::error::Error;
use crate::flow::{self, Grant};
use crate::provider::Provider;
use crate::token::{unix_now, Method, TokenSet};
use crate::token_response::{self, TokenResponse};

/// Why a refresh is asked for; re-checked under the lock with the same rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Need {
    /// "Refresh now": whatever the expiry.
    Now,
    /// A caller needs a token and the saved one is within a minute of expiry.
    Expiring,
    /// The background schedule: well ahead of expiry.
    Due,
    /// A caller needs a token valid for at least this many more seconds
    /// (`Expiring` is this with a minute).
    ValidFor(u64),
    /// The keeper: not renewed for this many seconds (so the service does
    /// not expire it for disuse).
    Unused(u64),
}

impl Accounts {
    /// Refreshes `account` (the default when `None`) now, even when its token
    /// is still fresh ("Refresh now").
    pub async fn refresh(&self, id: &str, account: Option<&str>) -> Result<Served, Error> {
        let provider = self.provider_ready(id).await?;
        let creds = self.credentials(&provider).await?;
        let key = match self.choose(id, account).await? {
            Some((entry, _)) => entry.key,
            None => id.to_owned(),
        };
        self.refresh_locked(&provider, &creds, &key, Need::Now)
            .await
    }

    /// Refreshes every account of the service whose background schedule says
    /// it is due; each account's outcome, by label (nothing when none is due).
    pub async fn refresh_if_due(
        &self,
        id: &str,
        now: u64,
    ) -> Result<Vec<(String, Result<Served, Error>)>, Error> {
        let (_, sets) = self.roster_with_sets(id).await?;
        let due: Vec<_> = sets
            .into_iter()
            .filter(|(_, set)| {
                set.needs_reconnect.is_none()
                    && set.refresh_token.is_some()
                    && set.refresh_due_at().is_some_and(|at| at <= now)
            })
            .collect();
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let provider = self.provider_ready(id).await?;
        let creds = self.credentials(&provider).await?;
        let mut outcomes = Vec::with_capacity(due.len());
        for (entry, _) in due {
            let outcome = self
                .refresh_locked(&provider, &creds, &entry.key, Need::Due)
                .await;
            outcomes.push((entry.label().to_owned(), outcome));
        }
        Ok(outcomes)
    }

    /// The keeper's renewal of one record: due ahead of expiry (`due`), else
    /// unused for a day. Whether a request was made (false when another
    /// process renewed it first).
    pub(crate) async fn renew_record(
        &self,
        id: &str,
        key: &str,
        due: bool,
        _now: u64,
    ) -> Result<bool, Error> {
        let provider = self.provider_ready(id).await?;
        let creds = self.credentials(&provider).await?;
        let need = if due {
            Need::Due
        } else {
            Need::Unused(crate::keeper::RENEW_UNUSED_AFTER_SECS)
        };
        let served = self.refresh_locked(&provider, &creds, key, need).await?;
        Ok(served.method != Method::SavedToken)
    }

    /// Refreshes the account whose record is `key`, under its lock.
    pub(super) async fn refresh_locked(
        &self,
        provider: &Provider,
        creds: &Credentials,
        key: &str,
        need: Need,
    ) -> Result<Served, Error> {
        let _guard = self
            .refresh_locks
            .acquire(&self.config_dir.join("locks"), key)
            .await;
        // Another task or process may have refreshed (and rotated) while we waited.
        let Some(current) = self.store.load_token(key).await? else {
            return Err(Error::NotConnected {
                name: provider.name.clone(),
                what_to_set: creds.what_to_set(provider),
            });
        };
        if let Some(reason) = current.needs_reconnect.clone() {
            return Err(needs_reconnect(provider, reason));
        }
        let now = unix_now();
        // Re-checked with the caller's own rule: if another task or process
        // refreshed meanwhile, the saved set already answers it.
        let still_needed = match need {
            Need::Now => true,
            Need::Expiring => !current.is_fresh(now),
            Need::ValidFor(secs) => !current.valid_for(now, secs),
            Need::Due => current.refresh_due_at().is_some_and(|at| at <= now),
            Need::Unused(secs) => {
                now.saturating_sub(current.refreshed_at.unwrap_or(current.obtained_at)) >= secs
            }
        };
        if !still_needed {
            return Ok(Served::from_set(current, Method::SavedToken));
        }
        let Some(refresh_token) = current.refresh_token.clone() else {
            if let Some(grant) = creds.unattended(provider) {
                return self
                    .unattended_grant(provider, creds, key, grant, now)
                    .await;
            }
            return Err(needs_reconnect(
                provider,
                "This sign-in cannot be renewed automatically.".to_owned(),
            ));
        };
        tracing::info!(service = %provider.id, record = key, "refreshing");
        let request =
            flow::token_request(provider, &self.env, creds, Grant::Refresh(refresh_token))?;
        // Sent once: if the answer is lost, the next call re-reads the store
        // under the lock instead of replaying a possibly rotated refresh token.
        let answer = self.send_to(provider, request).await?;
        rate_limited(provider, &answer)?;
        let response = match token_response::parse(
            answer.status,
            answer.content_type.as_deref(),
            &answer.body,
        ) {
            Ok(response) => response,
            Err(e) if e.means_reconnect() => {
                let reason = "The service no longer accepts Authdeck's saved sign-in (it may have been revoked, expired after a long time unused, or replaced by a newer sign-in).".to_owned();
                let mut marked = current;
                marked.needs_reconnect = Some(reason.clone());
                if let Err(save_error) = self.store.save_token(key, &marked).await {
                    tracing::warn!(record = key, error = %save_error, "could not mark needs-reconnect");
                }
                return Err(needs_reconnect(provider, reason));
            }
            Err(source) => {
                return Err(Error::Token {
                    name: provider.name.clone(),
                    source,
                })
            }
        };
        let set = refreshed_set(current, response, now);
        self.save_new(provider, key, set, Method::Refreshed).await
    }

    /// Saves a new token set (at record `key`) before anyone can use it; on
    /// failure the old set stays.
    pub(super) async fn save_new(
        &self,
        provider: &Provider,
        key: &str,
        set: TokenSet,
        method: Method,
    ) -> Result<Served, Error> {
        self.store
            .save_token(key, &set)
            .await
            .map_err(|source| Error::SaveFailed {
                name: provider.name.clone(),
                source,
            })?;
        Ok(Served::from_set(set, method))
    }

    /// A token without a person (Zoom Server-to-Server, `client_credentials`),
    /// saved before it is handed out.
    pub(super) async fn unattended_grant(
        &self,
        provider: &Provider,
        creds: &Credentials,
        key: &str,
        grant: Unattended,
        now: u64,
    ) -> Result<Served, Error> {
        let grant = match grant {
            Unattended::AccountCredentials => Grant::AccountCredentials {
                account_id: creds.account_id().unwrap_or_default().to_owned(),
            },
            Unattended::ClientCredentials => Grant::ClientCredentials,
        };
        let request = flow::token_request(provider, &self.env, creds, grant)?;
        let response = self.exchange(provider, request).await?;
        let mut set = new_set(
            provider,
            response,
            provider.scopes.clone(),
            Method::ClientCredentials,
            now,
        );
        set.account = Some("Server-to-Server app".to_owned());
        self.save_new(provider, key, set, Method::ClientCredentials)
            .await
    }

    pub(super) async fn exchange(
        &self,
        provider: &Provider,
        request: flow::PreparedRequest,
    ) -> Result<TokenResponse, Error> {
        let answer = self.send_to(provider, request).await?;
        rate_limited(provider, &answer)?;
        token_response::parse(answer.status, answer.content_type.as_deref(), &answer.body).map_err(
            |source| Error::Token {
                name: provider.name.clone(),
                source,
            },
        )
    }

    // ----- setup ---------------------------------------------------------
}

/// The set after a refresh: a rotated refresh token replaces the old one; a
/// service that does not rotate (Google, Dropbox) keeps the old one valid.
pub fn refreshed_set(old: TokenSet, response: TokenResponse, now: u64) -> TokenSet {
    TokenSet {
        expires_at: response.expires_in.map(|s| now.saturating_add(s)),
        scopes: response.scopes.unwrap_or(old.scopes),
        requested_scopes: old.requested_scopes,
        token_type: response.token_type.unwrap_or(old.token_type),
        access_token: response.access_token,
        refresh_token: response.refresh_token.or(old.refresh_token),
        method: Method::Refreshed,
        account: old.account,
        obtained_at: old.obtained_at,
        refreshed_at: Some(now),
        needs_reconnect: None,
    }
}
