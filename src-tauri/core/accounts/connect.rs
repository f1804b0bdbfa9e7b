//! Connecting a service: a grant without a person when one is set up, else
//! the browser sign-in with PKCE over a one-shot loopback listener; one
//! attempt per service at a time, cancellable, and "who am I" afterwards.

use super::{new_set, Accounts, Attempt, Served};
use crate::browser;
use crate::error::Error;
use crate::flow::{self, Grant};
use crate::loopback::{CallbackListener, CancelHandle, Expected, ListenerConfig};
use crate::pkce::{generate_state, PkceVerifier};
use crate::provider::{Provider, UserinfoStyle};
use crate::secret::AccessToken;
use crate::token::{unix_now, Method};
use std::time::Duration;

/// Something a connect attempt tells its caller while it runs.
#[derive(Clone, Debug)]
pub enum ConnectEvent {
    /// The sign-in link exists: print it or offer it for copying.
    Url(String),
    /// The browser could not be opened; the link above still works.
    BrowserFailed(String),
}

pub struct ConnectOptions {
    pub open_browser: bool,
    pub timeout: Duration,
    /// Permissions to ask for on top of the service's own (`--scope`, or a
    /// missing scope chip in the window).
    pub extra_scopes: Vec<String>,
    pub on_event: Box<dyn Fn(ConnectEvent) + Send + Sync>,
}

impl Accounts {
    /// Connects a service: a grant without a person when one is set up, else
    /// the browser sign-in with PKCE over a one-shot loopback listener.
    ///
    /// The sign-in is saved as the account it signed in as: that account's
    /// record is replaced when it is already here, otherwise it is added.
    pub async fn connect(&self, id: &str, options: ConnectOptions) -> Result<Served, Error> {
        let mut provider = self.provider_ready(id).await?;
        let _attempt = AttemptGuard::register(self, &provider)?;
        let creds = self.credentials(&provider).await?;
        if let Some(grant) = creds.unattended(&provider) {
            return self
                .unattended_grant(&provider, &creds, id, grant, unix_now())
                .await;
        }
        for scope in options.extra_scopes {
            let scope = scope.trim().to_owned();
            if !scope.is_empty() && !provider.scopes.contains(&scope) {
                provider.scopes.push(scope);
            }
        }
        if !creds.can_sign_in(&provider) {
            return Err(Error::NotConfigured {
                name: provider.name.clone(),
                what_to_set: creds.what_to_set(&provider),
            });
        }
        let client_id = creds.client_id().unwrap_or_default().to_owned();
        let listener = CallbackListener::bind(&ListenerConfig {
            host: provider.redirect_host,
            path: provider.redirect_path.clone(),
            ports: provider.redirect_ports.clone(),
        })?;
        let redirect_uri = listener.redirect_uri().to_owned();
        let verifier = provider.pkce.then(PkceVerifier::generate);
        let state = generate_state();
        let url = flow::authorize_url(
            &provider,
            &self.env,
            &client_id,
            &redirect_uri,
            &state,
            verifier.as_ref(),
        )?;
        self.set_attempt(id, listener.cancel_handle(), url.clone());
        (options.on_event)(ConnectEvent::Url(url.clone()));
        if options.open_browser {
            if let Err(e) = browser::open(&url) {
                (options.on_event)(ConnectEvent::BrowserFailed(e.to_string()));
            }
        }
        // Set up TLS (reading the system's certificates takes tens of ms)
        // while the person is in the browser, not after they come back.
        self.transport.warm_up();
        let expected = Expected {
            state,
            issuer: provider.issuer.clone(),
        };
        let timeout = options.timeout;
        let callback = tokio::task::spawn_blocking(move || listener.wait(&expected, timeout))
            .await
            .map_err(|e| {
                Error::Other(format!("the sign-in listener stopped unexpectedly ({e})"))
            })??;

        let request = flow::token_request(
            &provider,
            &self.env,
            &creds,
            Grant::AuthorizationCode {
                code: callback.code,
                verifier,
                redirect_uri,
            },
        )?;
        let now = unix_now();
        let response = self.exchange(&provider, request).await?;
        let mut set = new_set(
            &provider,
            response,
            provider.scopes.clone(),
            Method::OauthPkce,
            now,
        );
        set.account = self
            .who_am_i(&provider, &set.access_token, &set.account)
            .await;
        self.add_or_replace(&provider, set, Method::OauthPkce).await
    }

    /// The account's identity; a failure here never fails the connect.
    pub(super) async fn who_am_i(
        &self,
        provider: &Provider,
        token: &AccessToken,
        from_token: &Option<String>,
    ) -> Option<String> {
        if provider.userinfo_style == UserinfoStyle::FromTokenResponse || from_token.is_some() {
            return from_token.clone();
        }
        let request = flow::userinfo_request(provider, &self.env, token)?;
        match self.transport.send(request).await {
            Ok(answer) if (200..300).contains(&answer.status) => {
                let value: serde_json::Value = serde_json::from_slice(&answer.body).ok()?;
                flow::account_from(provider, &value)
            }
            Ok(answer) => {
                tracing::warn!(service = %provider.id, status = answer.status, "who-am-i request refused");
                None
            }
            Err(e) => {
                tracing::warn!(service = %provider.id, error = %e, "who-am-i request failed");
                None
            }
        }
    }

    /// Cancels a connect attempt in flight. Returns whether there was one.
    pub fn cancel(&self, id: &str) -> bool {
        let attempts = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        match attempts.get(id).and_then(|a| a.cancel.clone()) {
            Some(handle) => {
                handle.cancel();
                true
            }
            None => false,
        }
    }

    /// `Some(url)` while a connect attempt runs (the url once it exists).
    pub fn attempt_url(&self, id: &str) -> Option<Option<String>> {
        let attempts = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        attempts.get(id).map(|a| a.url.clone())
    }

    fn set_attempt(&self, id: &str, cancel: CancelHandle, url: String) {
        let mut attempts = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(attempt) = attempts.get_mut(id) {
            attempt.cancel = Some(cancel);
            attempt.url = Some(url);
        }
    }
}

/// Registers a connect attempt; removes it when the attempt ends, however it ends.
struct AttemptGuard<'a> {
    accounts: &'a Accounts,
    id: String,
}

impl<'a> AttemptGuard<'a> {
    fn register(accounts: &'a Accounts, provider: &Provider) -> Result<Self, Error> {
        let mut attempts = accounts.attempts.lock().unwrap_or_else(|p| p.into_inner());
        if attempts.contains_key(&provider.id) {
            return Err(Error::AlreadyConnecting {
                name: provider.name.clone(),
            });
        }
        attempts.insert(
            provider.id.clone(),
            Attempt {
                cancel: None,
                url: None,
            },
        );
        Ok(Self {
            accounts,
            id: provider.id.clone(),
        })
    }
}

impl Drop for AttemptGuard<'_> {
    fn drop(&mut self) {
        let mut attempts = self
            .accounts
            .attempts
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        attempts.remove(&self.id);
    }
}
