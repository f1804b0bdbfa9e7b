//! The token set Authdeck keeps per service, and the expiry maths around it.
//!
//! Time is always a parameter (`now`, Unix seconds) so every rule here is tested
//! without a clock. "Does not expire" is stored explicitly as `expires_at: None`,
//! never as a made-up lifetime (GitHub OAuth App tokens, API keys).

use crate::secret::{AccessToken, RefreshToken};
use serde::{Deserialize, Serialize};

/// A token this close to its expiry is treated as expired, so a caller never
/// receives a token that dies while its request is in flight.
pub const REFRESH_MARGIN_SECS: u64 = 60;

/// How a token was obtained — or, for a result of the auth chain, which method served.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// A saved token that was still valid.
    SavedToken,
    /// A saved token renewed with its refresh token.
    Refreshed,
    /// The person signed in through their browser (Authorization Code + PKCE).
    OauthPkce,
    /// The person signed in on another device with a code (RFC 8628).
    DeviceCode,
    /// A grant without a person: Zoom Server-to-Server or `client_credentials`.
    ClientCredentials,
    /// An API key or personal token from the environment.
    ApiKey,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::SavedToken => "saved_token",
            Method::Refreshed => "refreshed",
            Method::OauthPkce => "oauth_pkce",
            Method::DeviceCode => "device_code",
            Method::ClientCredentials => "client_credentials",
            Method::ApiKey => "api_key",
        }
    }
}

/// Everything Authdeck knows about one connection. Not `Serialize`: the store
/// writes it through its own record type, and views copy only non-secret fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenSet {
    pub access_token: AccessToken,
    pub refresh_token: Option<RefreshToken>,
    pub token_type: String,
    /// Unix seconds; `None` means the service said the token does not expire.
    pub expires_at: Option<u64>,
    /// What the service granted (RFC 6749 section 3.3: when it does not say,
    /// what was asked for).
    pub scopes: Vec<String>,
    /// What Authdeck asked for; empty for records of earlier releases.
    pub requested_scopes: Vec<String>,
    pub method: Method,
    /// Who the token belongs to (email, login or name), when the service told us.
    pub account: Option<String>,
    pub obtained_at: u64,
    pub refreshed_at: Option<u64>,
    /// Set when the service refused the refresh token: kept (and shown) so the
    /// person sees "needs reconnect" instead of a silent disappearance.
    pub needs_reconnect: Option<String>,
}

impl TokenSet {
    /// Asked for but not granted (a person unticked it on the consent page,
    /// or the service gave less), in the order asked.
    pub fn missing_scopes(&self) -> Vec<String> {
        self.requested_scopes
            .iter()
            .filter(|s| !self.scopes.contains(s))
            .cloned()
            .collect()
    }

    /// Usable without a refresh: not expiring within the safety margin.
    pub fn is_fresh(&self, now: u64) -> bool {
        self.valid_for(now, REFRESH_MARGIN_SECS)
    }

    /// Still valid `secs` seconds from `now` (a token that does not expire
    /// always is).
    pub fn valid_for(&self, now: u64, secs: u64) -> bool {
        match self.expires_at {
            None => true,
            Some(at) => at > now.saturating_add(secs),
        }
    }

    /// Seconds until expiry (negative once expired); `None` for "does not expire".
    pub fn seconds_left(&self, now: u64) -> Option<i64> {
        self.expires_at.map(|at| at as i64 - now as i64)
    }

    /// When a background refresher should renew this token: a fifth of its
    /// lifetime before expiry (12 min for a 1 h token), at least 2 minutes before,
    /// so a slow network or a sleeping laptop still leaves room.
    pub fn refresh_due_at(&self) -> Option<u64> {
        let at = self.expires_at?;
        let lifetime = at.saturating_sub(self.refreshed_at.unwrap_or(self.obtained_at));
        let lead = (lifetime / 5).max(120);
        Some(at.saturating_sub(lead))
    }
}

/// Splits a scope string as services send it: space-separated by the standard,
/// comma-separated by GitHub. Empty pieces are dropped.
pub fn parse_scopes(raw: &str) -> Vec<String> {
    raw.split([' ', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The current time in Unix seconds. Only edges (CLI, app) call this; logic takes `now`.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(expires_at: Option<u64>) -> TokenSet {
        TokenSet {
            access_token: AccessToken::new("a"),
            refresh_token: None,
            token_type: "bearer".into(),
            expires_at,
            scopes: vec![],
            requested_scopes: Vec::new(),
            method: Method::OauthPkce,
            account: None,
            obtained_at: 1_000,
            refreshed_at: None,
            needs_reconnect: None,
        }
    }

    #[test]
    fn token_within_sixty_seconds_of_expiry_is_not_fresh() {
        let t = set(Some(10_000));
        assert!(t.is_fresh(10_000 - 61));
        assert!(!t.is_fresh(10_000 - 60));
        assert!(!t.is_fresh(20_000));
    }

    #[test]
    fn token_without_expiry_is_always_fresh() {
        assert!(set(None).is_fresh(u64::MAX));
        assert_eq!(set(None).seconds_left(5), None);
    }

    #[test]
    fn refresh_is_due_well_before_expiry() {
        // 1 h token obtained at 1_000: due 12 min before the end.
        let t = set(Some(1_000 + 3_600));
        assert_eq!(t.refresh_due_at(), Some(1_000 + 3_600 - 720));
        // Short token: at least two minutes ahead.
        let short = set(Some(1_000 + 300));
        assert_eq!(short.refresh_due_at(), Some(1_000 + 300 - 120));
    }

    #[test]
    fn scopes_split_on_spaces_and_commas() {
        assert_eq!(parse_scopes("repo,read:org"), vec!["repo", "read:org"]);
        assert_eq!(parse_scopes(" openid  email "), vec!["openid", "email"]);
        assert_eq!(parse_scopes("a, b"), vec!["a", "b"]);
        assert!(parse_scopes("").is_empty());
    }
}
