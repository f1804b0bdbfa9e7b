//! Logging out: revoke at the service when it has a way to, then forget the
//! sign-in here — the local delete happens even when revocation fails, and
//! the outcome says which happened.

use super::Accounts;
use crate::core::error::Error;
use crate::core::flow;
use crate::core::token_response;

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
        let revocation = match flow::revoke_request(&provider, &self.env, &creds, &set) {
            None => Revocation::NotSupported,
            Some(request) => match self.send_revocation(request).await {
                Ok(answer) if (200..300).contains(&answer.status) => Revocation::Revoked,
                Ok(answer) => Revocation::Failed(format!(
                    "{} answered HTTP {} ({})",
                    provider.name,
                    answer.status,
                    token_response::describe_body(answer.content_type.as_deref(), &answer.body)
                )),
                Err(e) => Revocation::Failed(e.to_string()),
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

    async fn send_revocation(
        &self,
        request: flow::PreparedRequest,
    ) -> Result<flow::Answer, String> {
        let http = self.http().map_err(|e| e.to_string())?;
        flow::send(http, request).await.map_err(|e| e.to_string())
    }
}
