//! What the webview may see: status views built from `Status` and the
//! provider's display data. Nothing here holds a token or a secret — the
//! types these are built from carry none, and a test checks every payload.

use authdeck_core::accounts::{AccountStatus, State, Status};
use authdeck_core::credentials::{Credentials, Source};
use authdeck_core::error::Error;
use authdeck_core::provider::{Origin, Provider, RevokeStyle};
use authdeck_core::store::SavedClient;
use serde::Serialize;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ScopeView {
    pub raw: String,
    pub label: String,
}

/// A permission the service was asked for and did not grant, in the words
/// the card shows ("Drive (read only) was not allowed"). Clicking it asks
/// the service for `raw` again.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct MissingScopeView {
    pub raw: String,
    pub label: String,
    pub sentence: String,
}

impl MissingScopeView {
    fn new(provider: &Provider, raw: &str) -> Self {
        let label = provider.scope_label(raw);
        Self {
            raw: raw.to_owned(),
            sentence: format!("{label} was not allowed"),
            label,
        }
    }
}

/// One account of a service, as its row on the card shows it. Built from
/// `AccountStatus`, which holds no token: the page never sees one.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AccountView {
    /// How the page names the account back to the app (`-` when the
    /// service gave no identity).
    pub label: String,
    pub account: Option<String>,
    pub default: bool,
    pub state: State,
    pub method: &'static str,
    pub method_label: String,
    pub scopes: Vec<ScopeView>,
    pub missing_scopes: Vec<MissingScopeView>,
    pub expires_at: Option<u64>,
    pub refreshed_at: Option<u64>,
    pub obtained_at: u64,
    pub has_refresh_token: bool,
    pub can_refresh: bool,
    pub message: Option<String>,
    /// What the background keeper found: why this account needs the person,
    /// and when it noticed.
    pub attention: Option<AttentionView>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AttentionView {
    pub reason: String,
    pub noticed_at: u64,
}

impl AccountView {
    fn new(provider: &Provider, status: AccountStatus) -> Self {
        Self {
            can_refresh: status.state == State::Connected && status.has_refresh_token,
            scopes: scope_views(provider, &status.scopes),
            missing_scopes: missing_views(provider, &status.missing_scopes),
            label: status.label,
            account: status.account,
            default: status.default,
            state: status.state,
            method: status.method.as_str(),
            method_label: status.method_label,
            expires_at: status.expires_at,
            refreshed_at: status.refreshed_at,
            obtained_at: status.obtained_at,
            has_refresh_token: status.has_refresh_token,
            message: status.message,
            attention: status.attention.map(|a| AttentionView {
                reason: a.reason,
                noticed_at: a.noticed_at,
            }),
        }
    }
}

fn missing_views(provider: &Provider, missing: &[String]) -> Vec<MissingScopeView> {
    missing
        .iter()
        .map(|raw| MissingScopeView::new(provider, raw))
        .collect()
}

fn scope_views(provider: &Provider, scopes: &[String]) -> Vec<ScopeView> {
    scopes
        .iter()
        .map(|raw| ScopeView {
            raw: raw.clone(),
            label: provider.scope_label(raw),
        })
        .collect()
}

/// The card of one service. The top-level fields describe the default
/// account (what scripts get without naming one); `accounts` lists them all.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ServiceView {
    pub id: String,
    pub name: String,
    pub color: String,
    pub monogram: String,
    pub state: State,
    pub message: Option<String>,
    pub account: Option<String>,
    pub method: Option<&'static str>,
    pub method_label: Option<String>,
    pub scopes: Vec<ScopeView>,
    /// What the default account was refused.
    pub missing_scopes: Vec<MissingScopeView>,
    pub expires_at: Option<u64>,
    pub refreshed_at: Option<u64>,
    pub obtained_at: Option<u64>,
    pub has_refresh_token: bool,
    pub authorize_url: Option<String>,
    pub can_revoke: bool,
    pub logout_note: String,
    pub can_refresh: bool,
    /// Every connected account in connect order, the default marked.
    pub accounts: Vec<AccountView>,
}

impl ServiceView {
    pub fn new(provider: &Provider, status: Status) -> Self {
        let can_revoke =
            provider.revoke_url.is_some() && provider.revoke_style != RevokeStyle::None;
        let can_refresh = status.state == State::Connected && status.has_refresh_token;
        Self {
            id: provider.id.clone(),
            name: provider.name.clone(),
            color: provider.color.clone(),
            monogram: provider.monogram.clone(),
            scopes: scope_views(provider, &status.scopes),
            missing_scopes: missing_views(provider, &status.missing_scopes),
            accounts: status
                .accounts
                .into_iter()
                .map(|a| AccountView::new(provider, a))
                .collect(),
            state: status.state,
            message: status.message,
            account: status.account,
            method: status.method.map(|m| m.as_str()),
            method_label: status.method_label,
            expires_at: status.expires_at,
            refreshed_at: status.refreshed_at,
            obtained_at: status.obtained_at,
            has_refresh_token: status.has_refresh_token,
            authorize_url: status.authorize_url,
            can_revoke,
            logout_note: provider.revoke_note.clone(),
            can_refresh,
        }
    }

    /// A card for a service whose status could not be read (keyring trouble).
    pub fn unreadable(provider: &Provider, message: String) -> Self {
        let mut view = Self::new(provider, Status::blank(provider));
        view.state = State::Error;
        view.message = Some(message);
        view
    }
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct KeyringView {
    pub ok: bool,
    pub message: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AppStatusView {
    pub keyring: KeyringView,
    pub version: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct LogoutView {
    pub view: ServiceView,
    pub revoked: bool,
    pub message: String,
}

/// The card after "Make default", and the sentence that tells the person.
#[derive(Clone, Debug, Serialize)]
pub struct DefaultView {
    pub view: ServiceView,
    pub message: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct SetupField {
    pub key: &'static str,
    pub label: &'static str,
    pub secret: bool,
    pub required: bool,
    pub env_var: Option<String>,
    pub from_env: bool,
    pub saved: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct SetupInfo {
    pub service: String,
    pub name: String,
    pub console_url: Option<String>,
    pub instructions: String,
    pub redirect_uri: Option<String>,
    /// Every redirect address to register (one per fixed port), each copyable.
    pub redirect_uris: Vec<String>,
    /// Numbered steps through the service's console (empty for a custom one).
    pub steps: Vec<String>,
    pub warning: Option<String>,
    /// "your organization" / "the people who packaged Authdeck" when the
    /// service came set up; the person may still use their own app.
    pub preset_by: Option<&'static str>,
    pub fields: Vec<SetupField>,
}

impl SetupInfo {
    pub fn new(provider: &Provider, saved: &SavedClient, creds: &Credentials) -> Self {
        let from_env = |source: Option<&Source>| matches!(source, Some(Source::Env(_)));
        let mut fields = vec![
            SetupField {
                key: "client_id",
                label: "Client ID",
                secret: false,
                required: true,
                env_var: provider.client_id_env.clone(),
                from_env: from_env(creds.client_id.as_ref().map(|(_, s)| s)),
                saved: saved.client_id.is_some(),
            },
            SetupField {
                key: "client_secret",
                label: "Client secret",
                secret: true,
                required: provider.requires_client_secret,
                env_var: provider.client_secret_env.clone(),
                from_env: from_env(creds.client_secret.as_ref().map(|(_, s)| s)),
                saved: saved.client_secret.is_some(),
            },
        ];
        if provider.account_id_env.is_some() {
            fields.push(SetupField {
                key: "account_id",
                label: "Account ID (Server-to-Server apps only)",
                secret: false,
                required: false,
                env_var: provider.account_id_env.clone(),
                from_env: from_env(creds.account_id.as_ref().map(|(_, s)| s)),
                saved: saved.account_id.is_some(),
            });
        }
        // The copyable field holds one address; the text names the others a
        // fixed-port service needs, so a busy first port does not break sign-in.
        let addresses = provider.redirect_addresses();
        let redirect_uri = addresses.first().cloned();
        let console = provider
            .console_url
            .as_deref()
            .unwrap_or("the service's developer console");
        let instructions = format!(
            "Create an app (an \"OAuth client\" for a desktop app) at {console}, then copy its client ID{} here.{} Authdeck keeps them in your keyring.",
            if provider.requires_client_secret { " and client secret" } else { "" },
            match addresses.split_first() {
                Some((first, [])) => format!(" When asked for a redirect address, enter {first}."),
                Some((first, rest)) => format!(
                    " When asked for a redirect address, enter {first}, and add {} as well.",
                    rest.join(" and ")
                ),
                None => String::new(),
            }
        );

        Self {
            service: provider.id.clone(),
            name: provider.name.clone(),
            console_url: provider.console_url.clone(),
            instructions,
            redirect_uri,
            redirect_uris: addresses.clone(),
            steps: provider.setup_steps.clone(),
            warning: provider.setup_warning.clone(),
            preset_by: creds
                .client_id
                .as_ref()
                .and_then(|(_, source)| match source {
                    Source::Configured(Origin::SystemFile(_)) => Some("your organization"),
                    Source::Configured(Origin::BuiltIn) => Some("the people who packaged Authdeck"),
                    _ => None,
                }),
            fields,
        }
    }
}

/// Errors cross IPC as `{code, message}`: the UI maps codes, never strings.
#[derive(Debug, Serialize)]
pub struct IpcError {
    pub code: &'static str,
    pub message: String,
}

impl From<Error> for IpcError {
    fn from(e: Error) -> Self {
        Self {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use authdeck_core::token::Method;

    fn google() -> Provider {
        authdeck_core::provider::builtin_providers()
            .into_iter()
            .find(|p| p.id == "google")
            .expect("google is built in")
    }

    fn account(label: &str, default: bool, missing: &[&str]) -> AccountStatus {
        AccountStatus {
            account: Some(label.to_owned()),
            label: label.to_owned(),
            default,
            state: State::Connected,
            method: Method::OauthPkce,
            method_label: "Signed in with your browser".to_owned(),
            scopes: vec!["openid".to_owned()],
            missing_scopes: missing.iter().map(|s| s.to_string()).collect(),
            expires_at: Some(100),
            obtained_at: 10,
            refreshed_at: None,
            has_refresh_token: true,
            message: None,
            attention: None,
        }
    }

    #[test]
    fn every_account_is_listed_with_its_refusals_in_plain_words() {
        let provider = google();
        let drive = "https://www.googleapis.com/auth/drive.readonly";
        let mut status = Status::blank(&provider);
        status.state = State::Connected;
        status.accounts = vec![
            account("ada@example.com", false, &[]),
            account("grace@example.com", true, &[drive, "custom.scope"]),
        ];
        let view = ServiceView::new(&provider, status);
        let labels: Vec<(&str, bool)> = view
            .accounts
            .iter()
            .map(|a| (a.label.as_str(), a.default))
            .collect();
        assert_eq!(
            labels,
            [("ada@example.com", false), ("grace@example.com", true)]
        );
        let missing: Vec<&str> = view.accounts[1]
            .missing_scopes
            .iter()
            .map(|m| m.sentence.as_str())
            .collect();
        // The label table lives with the provider; unknown scopes fall back
        // to their own name rather than vanishing.
        assert_eq!(
            missing,
            [
                "Drive (read only) was not allowed",
                "custom.scope was not allowed"
            ]
        );
        assert_eq!(view.accounts[1].missing_scopes[0].raw, drive);
        assert!(view.accounts[0].can_refresh);
    }
}
