//! The errors the engine reports, each with a small stable code for the UI and
//! scripts ("do not make consumers match error strings") and a message a
//! person can act on.

use crate::discovery::DiscoveryError;
use crate::flow::{EndpointError, SendError};
use crate::loopback::LoopbackError;
use crate::store::StoreError;
use crate::token_response::TokenError;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("Authdeck does not know a service called `{service}`. Known services: {known}.")]
    UnknownService { service: String, known: String },

    #[error("{0}")]
    Config(String),

    #[error(transparent)]
    Endpoint(#[from] EndpointError),

    #[error(transparent)]
    Discovery(#[from] DiscoveryError),

    #[error("{name} is not set up yet. Ways to set it up: {what_to_set}.")]
    NotConfigured { name: String, what_to_set: String },

    #[error(
        "{name} has no account called \"{account}\". {}",
        known_accounts(known)
    )]
    UnknownAccount {
        name: String,
        account: String,
        known: Vec<String>,
    },

    #[error("{name} has several accounts ({}): say which one with --account ACCOUNT, or use --all for every one.", known.join(", "))]
    AccountRequired { name: String, known: Vec<String> },

    #[error("{name} is not connected. Ways to connect it: {what_to_set}.")]
    NotConnected { name: String, what_to_set: String },

    #[error("{name} needs you to sign in again: {reason} Run `authdeck connect {service}` (or click Reconnect in Authdeck).")]
    NeedsReconnect {
        service: String,
        name: String,
        reason: String,
    },

    #[error(transparent)]
    Keyring(#[from] StoreError),

    #[error("{0}")]
    Callback(#[from] LoopbackError),

    #[error("{name}: {source}")]
    Token { name: String, source: TokenError },

    #[error("{name}: {source}. Check your internet connection and try again.")]
    Network { name: String, source: SendError },

    #[error("{name} is busy and asked Authdeck to slow down. {}", match .retry_after {
        Some(secs) => format!("Try again in {secs} seconds."),
        None => "Try again in a minute.".to_owned(),
    })]
    RateLimited {
        name: String,
        retry_after: Option<u64>,
    },

    #[error("A sign-in to {name} is already in progress. Finish it in your browser, or cancel it first.")]
    AlreadyConnecting { name: String },

    #[error("{name} was signed in, but saving the new sign-in to your keyring failed, so the previous one was kept. {source}")]
    SaveFailed { name: String, source: StoreError },

    #[error("{0}")]
    Other(String),
}

impl Error {
    /// Stable, documented codes; the UI maps them, never the message text.
    /// The person has to sign in (or set the service up) before this can
    /// work: `authdeck` exits 4 for it, as GitHub CLI does, so a script can
    /// tell "go sign in" from "the network is down".
    pub fn needs_sign_in(&self) -> bool {
        matches!(
            self,
            Error::NotConfigured { .. } | Error::NotConnected { .. } | Error::NeedsReconnect { .. }
        )
    }

    pub fn code(&self) -> &'static str {
        match self {
            Error::UnknownService { .. } => "unknown_service",
            Error::Config(_) | Error::Endpoint(_) => "config_error",
            // Not reaching the issuer is the network's fault, not the config's.
            Error::Discovery(DiscoveryError::Unreachable { .. }) => "network_error",
            Error::Discovery(_) => "discovery_error",
            Error::UnknownAccount { .. } => "unknown_account",
            Error::AccountRequired { .. } => "account_required",
            Error::NotConfigured { .. } => "not_configured",
            Error::NotConnected { .. } => "not_connected",
            Error::NeedsReconnect { .. } => "needs_reconnect",
            Error::Keyring(e) => e.code(),
            Error::Callback(e) => callback_code(e),
            Error::Token { .. } => "provider_error",
            Error::Network { .. } => "network_error",
            Error::RateLimited { .. } => "rate_limited",
            Error::AlreadyConnecting { .. } => "already_connecting",
            Error::SaveFailed { .. } => "save_failed",
            Error::Other(_) => "error",
        }
    }
}

fn known_accounts(known: &[String]) -> String {
    if known.is_empty() {
        "No account is connected.".to_owned()
    } else {
        format!("Its accounts: {}.", known.join(", "))
    }
}

/// Codes for the ways a browser sign-in can end without a code.
fn callback_code(e: &LoopbackError) -> &'static str {
    match e {
        LoopbackError::Denied => "denied",
        LoopbackError::TimedOut => "timed_out",
        LoopbackError::Cancelled => "cancelled",
        LoopbackError::IssuerMismatch { .. } | LoopbackError::MalformedCallback => {
            "callback_rejected"
        }
        LoopbackError::MissingCode | LoopbackError::Provider { .. } => "provider_error",
        LoopbackError::PortsInUse { .. }
        | LoopbackError::Bind { .. }
        | LoopbackError::Listener { .. } => "listener_error",
        LoopbackError::InvalidPath { .. } => "config_error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_failures_keep_their_kind() {
        let unreachable = Error::from(DiscoveryError::Unreachable {
            url: "https://id.example/.well-known/openid-configuration".into(),
            source: SendError::TimedOut,
        });
        assert_eq!(unreachable.code(), "network_error");
        let mismatch = Error::from(DiscoveryError::IssuerMismatch {
            expected: "https://id.example".into(),
            found: "https://evil.example".into(),
        });
        assert_eq!(mismatch.code(), "discovery_error");
        assert!(mismatch.to_string().contains("evil.example"));
    }
}
