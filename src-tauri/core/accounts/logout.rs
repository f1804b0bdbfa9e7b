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
use super::Accounts;
use crate::error::Error;
use crate::flow;
use crate::provider::Provider;
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
    pub revocation: Revocation,
    /// A message for the person, saying what happened at the service and here.
    pub message: String,
}

impl Accounts {
    /// Revokes at the service when it can, then deletes locally — the local
    /// delete happens even when revocation fails.
    pub async fn logout(&self, id: &str) -> Result<LogoutOutcome, Error> {
        let provider = self.provider(id)?.clone();
        let set = self.store.load_token(id).await?;
        let creds = self.credentials(&provider).await?;
        let Some(set) = set else {
            let message = match &creds.api_key {
                Some((_, var)) => format!("Authdeck is using {var} from your environment for {}. Remove that variable to stop using it.", provider.name),
                None => format!("{} was not connected; nothing to do.", provider.name),
            };
            return Ok(LogoutOutcome {
                revocation: Revocation::NothingSaved,
                message,
            });
        };
        // A service known by its issuer alone learns its revocation endpoint
        // from discovery; if that fails, the local delete still happens.
        let (provider, discovery_failed) = match self.provider_ready(id).await {
            Ok(ready) => (ready, None),
            Err(e) => (provider, Some(e.to_string())),
        };
        let revocation = match discovery_failed {
            Some(why) if provider.revoke_url.is_none() => Err(why),
            _ => self.live_for_revocation(&provider, &creds, set).await,
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
        self.store.delete_token(id).await?;
        let name = &provider.name;
        let message = match &revocation {
            Revocation::Revoked => format!("Logged out of {name}: {name} cancelled Authdeck's access and the sign-in was removed from this computer."),
            Revocation::NotSupported => format!("Logged out of {name} on this computer. {name} offers no way for apps to cancel access; you can remove Authdeck in your {name} account settings."),
            Revocation::Failed(why) => format!("Removed the {name} sign-in from this computer, but {name} could not be told to cancel access ({why}). You can remove Authdeck in your {name} account settings."),
            Revocation::NothingSaved => format!("{name} was not connected; nothing to do."),
        };
        Ok(LogoutOutcome {
            revocation,
            message,
        })
    }

    /// The set to revoke with: as saved, or — for a service that revokes through
    /// an access token that has expired — renewed first. `Err` says why the
    /// revocation cannot be sent.
    async fn live_for_revocation(
        &self,
        provider: &Provider,
        creds: &crate::credentials::Credentials,
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
        self.refresh_locked(&provider, creds, Need::Expiring)
            .await
            .map_err(|e| format!("renewing the expired access to cancel it failed: {e}"))?;
        match self.store.load_token(&provider.id).await {
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
