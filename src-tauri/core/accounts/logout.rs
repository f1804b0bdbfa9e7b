//! Logging out: revoke at the service when it has a way to, then forget the
//! sign-in here — the local delete happens even when revocation fails, and
//! the outcome says which happened, in the service's own words.
//!
//! Services that revoke through the access token (GitHub, Notion, Dropbox)
//! accept only a valid one: an expired one revokes nothing, and the long-lived
//! refresh token would stay valid at the service. So an expired access token is
//! first renewed through the normal refresh path (under its lock, saved), then
//! revoked. docs/providers.md#revocation-rfc-7009

use super::refresh::Need;
use super::{roster_lock, Accounts};
use crate::error::Error;
use crate::flow;
use crate::provider::Provider;
use crate::roster::{check_account_name, Entry};
use crate::token::{unix_now, TokenSet};
use crate::token_response;

/// What happened at the service when logging out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Revocation {
    /// The service confirmed the token is revoked.
    Revoked,
    /// The service has no way to revoke (Microsoft).
    NotSupported,
    /// The service was asked but it failed; the local copy is deleted anyway.
    Failed(String),
    /// Nothing was saved, so there was nothing to revoke.
    NothingSaved,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogoutOutcome {
    /// The account logged out (its label), when there was one.
    pub account: Option<String>,
    pub revocation: Revocation,
    /// A message for the person, saying what happened at the service and here.
    pub message: String,
    /// The account that became the default because the default logged out.
    pub new_default: Option<String>,
}

/// Which accounts to log out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which<'a> {
    /// The only account; refused when the service holds several.
    Only,
    /// The account as a person names it.
    Account(&'a str),
    All,
}

impl Accounts {
    /// Revokes at the service when it can, then deletes locally — the local
    /// delete happens even when revocation fails. One outcome per account.
    pub async fn logout(&self, id: &str, which: Which<'_>) -> Result<Vec<LogoutOutcome>, Error> {
        let provider = self.provider(id)?.clone();
        let (roster, sets) = self.roster_with_sets(id).await?;
        if sets.is_empty() {
            if let Which::Account(name) = which {
                let name = check_account_name(name).map_err(|e| Error::Config(e.to_string()))?;
                return Err(Error::UnknownAccount {
                    name: provider.name.clone(),
                    account: name.to_owned(),
                    known: Vec::new(),
                });
            }
            let creds = self.credentials(&provider).await?;
            let message = match &creds.api_key {
                Some((_, var)) => format!("Authdeck is using {var} from your environment for {}. Remove that variable to stop using it.", provider.name),
                None => format!("{} was not connected; nothing to do.", provider.name),
            };
            return Ok(vec![LogoutOutcome {
                account: None,
                revocation: Revocation::NothingSaved,
                message,
                new_default: None,
            }]);
        }
        let chosen: Vec<(Entry, TokenSet)> = match which {
            Which::All => sets,
            Which::Only if sets.len() == 1 => sets,
            Which::Only => {
                return Err(Error::AccountRequired {
                    name: provider.name.clone(),
                    known: roster.labels(),
                })
            }
            Which::Account(name) => {
                let name = check_account_name(name).map_err(|e| Error::Config(e.to_string()))?;
                let key = roster.find(name).map(|e| e.key.clone());
                let found: Vec<_> = sets
                    .into_iter()
                    .filter(|(e, _)| Some(&e.key) == key.as_ref())
                    .collect();
                if found.is_empty() {
                    return Err(Error::UnknownAccount {
                        name: provider.name.clone(),
                        account: name.to_owned(),
                        known: roster.labels(),
                    });
                }
                found
            }
        };
        let mut outcomes = Vec::with_capacity(chosen.len());
        for (entry, set) in chosen {
            outcomes.push(self.logout_account(&provider, &entry, set).await?);
        }
        Ok(outcomes)
    }

    /// Logs one account out: revoke, take it off the list (naming the new
    /// default when it was the default), then delete its record.
    async fn logout_account(
        &self,
        provider: &Provider,
        entry: &Entry,
        set: TokenSet,
    ) -> Result<LogoutOutcome, Error> {
        let id = provider.id.as_str();
        let creds = self.credentials(provider).await?;
        let provider = provider.clone();
        // A service known by its issuer alone learns its revocation endpoint
        // from discovery; if that fails, the local delete still happens.
        let (provider, discovery_failed) = match self.provider_ready(id).await {
            Ok(ready) => (ready, None),
            Err(e) => (provider, Some(e.to_string())),
        };
        let revocation = match discovery_failed {
            Some(why) if provider.revoke_url.is_none() => Err(why),
            _ => {
                self.live_for_revocation(&provider, &creds, &entry.key, set)
                    .await
            }
        };
        let revocation = match revocation {
            Err(why) => Revocation::Failed(why),
            Ok(set) => match flow::revoke_request(&provider, &self.env, &creds, &set) {
                None => Revocation::NotSupported,
                Some(request) => match self.send_revocation(request).await {
                    Ok(answer) if (200..300).contains(&answer.status) => Revocation::Revoked,
                    Ok(answer) => Revocation::Failed(refusal(&provider, &answer)),
                    Err(e) => Revocation::Failed(e.to_string()),
                },
            },
        };
        // The list first, then the record: a crash in between leaves an
        // unlisted record, never a listed account without one.
        let new_default = {
            let _guard = self
                .refresh_locks
                .acquire(&self.config_dir.join("locks"), &roster_lock(id))
                .await;
            let (mut roster, _) = self.roster_with_sets(id).await?;
            let promoted = roster.remove(&entry.key).map(|e| e.label().to_owned());
            self.store.save_roster(id, &roster).await?;
            promoted
        };
        self.store.delete_token(&entry.key).await?;
        let name = &provider.name;
        let who = match &entry.account {
            Some(account) => format!("{account} from {name}"),
            None => name.clone(),
        };
        let mut message = match &revocation {
            Revocation::Revoked => format!("Logged out {who}: {name} cancelled Authdeck's access and the sign-in was removed from this computer."),
            Revocation::NotSupported => format!("Logged out {who} on this computer. {name} offers no way for apps to cancel access; you can remove Authdeck in your {name} account settings."),
            Revocation::Failed(why) => format!("Removed the sign-in of {who} from this computer, but {name} could not be told to cancel access ({why}). You can remove Authdeck in your {name} account settings."),
            Revocation::NothingSaved => format!("{name} was not connected; nothing to do."),
        };
        if let Some(next) = &new_default {
            message.push_str(&format!(" {next} is now your default {name} account."));
        }
        Ok(LogoutOutcome {
            account: Some(entry.label().to_owned()),
            revocation,
            message,
            new_default,
        })
    }

    /// The set to revoke with: as saved, or — for a service that revokes through
    /// an access token that has expired — renewed first. `Err` says why the
    /// revocation cannot be sent.
    async fn live_for_revocation(
        &self,
        provider: &Provider,
        creds: &crate::credentials::Credentials,
        key: &str,
        set: TokenSet,
    ) -> Result<TokenSet, String> {
        let stale = provider.revoke_style.needs_live_access_token()
            && provider.revoke_url.is_some()
            && !set.is_fresh(unix_now());
        if !stale {
            return Ok(set);
        }
        if set.refresh_token.is_none() || set.needs_reconnect.is_some() {
            return Err(
                "its access had already expired and could not be renewed to cancel it".to_owned(),
            );
        }
        let provider = self
            .provider_ready(&provider.id)
            .await
            .map_err(|e| e.to_string())?;
        self.refresh_locked(&provider, creds, key, Need::Expiring)
            .await
            .map_err(|e| format!("renewing the expired access to cancel it failed: {e}"))?;
        match self.store.load_token(key).await {
            Ok(Some(renewed)) => Ok(renewed),
            Ok(None) => Err("the sign-in disappeared while it was being renewed".to_owned()),
            Err(e) => Err(e.to_string()),
        }
    }

    async fn send_revocation(
        &self,
        request: flow::PreparedRequest,
    ) -> Result<flow::Answer, String> {
        self.transport
            .send(request)
            .await
            .map_err(|e| e.to_string())
    }
}

/// A refused revocation in the service's own words, never a token.
fn refusal(provider: &Provider, answer: &flow::Answer) -> String {
    let content_type = answer.content_type.as_deref();
    match token_response::service_said(content_type, &answer.body) {
        Some(said) => format!("{} refused: {said}", provider.name),
        None => format!(
            "{} answered HTTP {} ({})",
            provider.name,
            answer.status,
            token_response::describe_body(content_type, &answer.body)
        ),
    }
}
