//! The provider catalog: what Authdeck knows about each service it can connect.
//!
//! This module owns the `Provider` description (endpoints, credentials'
//! environment variables, scopes and every wire quirk, as data), the six
//! built-ins (data in `provider/builtin.rs`), and reading `providers.toml`, which merges
//! overrides into built-ins and adds custom services. Loading never fails:
//! each mistake in the file becomes a `ConfigProblem` for the service it
//! concerns, and every other service still loads.
//!
//! The flow code reads these fields and never asks "is this GitHub?": a quirk
//! two services share is one field.

use std::fmt;
use std::path::PathBuf;

use crate::secret::ClientSecret;

// The built-in services are plain data, kept in their own file so this one
// stays readable.
mod builtin;

/// The file name inside the config directory.
pub const CONFIG_FILE: &str = "providers.toml";

/// The host written in the redirect URI. The listener binds the loopback IP
/// literals only: `127.0.0.1`, plus `[::1]` for `localhost`, which a browser may
/// resolve to either (docs/providers.md#loopback-callback).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectHost {
    Loopback,
    /// For services that register `http://localhost:...` (Microsoft, Notion:
    /// Notion accepts plain http only for `localhost`).
    Localhost,
}

impl RedirectHost {
    /// The host as written in the redirect URI.
    pub fn as_str(self) -> &'static str {
        match self {
            RedirectHost::Loopback => "127.0.0.1",
            RedirectHost::Localhost => "localhost",
        }
    }
}

/// Where a value set by configuration came from, lowest layer first: presets
/// baked in by whoever built Authdeck, the system-wide file an organization or
/// a distribution installs, then the person's own `providers.toml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    BuiltIn,
    SystemFile(PathBuf),
    YourFile(PathBuf),
}

/// Client values set by configuration rather than saved by the person (the
/// keyring) or given by the environment, each with where it came from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Configured {
    pub client_id: Option<(String, Origin)>,
    /// Only from presets and the system file, and only for a service whose
    /// desktop client secret is public by the service's own account
    /// (`secret_may_ship`); a person's file never holds a secret.
    pub client_secret: Option<(ClientSecret, Origin)>,
    pub account_id: Option<(String, Origin)>,
}

/// The shape a service gives its client IDs or secrets, so a value pasted into
/// the wrong field is caught before it is saved (`setup::check`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValueFormat {
    /// Ends with this text (Google client IDs: `.apps.googleusercontent.com`).
    EndsWith(String),
    /// Starts with this text (Google secrets: `GOCSPX-`).
    StartsWith(String),
    /// 8-4-4-4-12 hexadecimal digits (Microsoft and Notion client IDs).
    Guid,
    /// Exactly this many hexadecimal digits (GitHub client secrets: 40).
    Hex(usize),
    /// Has this text somewhere (Microsoft secrets carry a `~`).
    Contains(String),
    /// Letters, digits, `.`, `_` and `-`, this long (Dropbox app keys: 15).
    Word { min: usize, max: usize },
}

/// How a token is revoked at logout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevokeStyle {
    /// No revocation endpoint: forget locally and tell the user (Microsoft).
    None,
    /// POST form `token=...`, no client authentication (Google documents it so).
    FormToken,
    /// RFC 7009: POST form `token=...`, the client authenticated exactly as at
    /// the token endpoint (`token_auth`), because a conformant server refuses an
    /// anonymous revocation and the token stays valid (Zoom; custom and
    /// discovered services). docs/providers.md#revocation-rfc-7009
    Rfc7009,
    /// DELETE, HTTP Basic id:secret, JSON `{"access_token": ...}` (GitHub's
    /// grant endpoint).
    JsonAccessTokenBasicDelete,
    /// POST JSON `{"token": ...}`, HTTP Basic id:secret (Notion).
    JsonTokenBasic,
    /// POST with the access token as Bearer and no body (Dropbox).
    BearerNoBody,
}

impl RevokeStyle {
    /// Whether revocation goes through the access token, which the service
    /// accepts only while it is valid (GitHub, Notion, Dropbox): an expired one
    /// revokes nothing and leaves the refresh token alive. The others revoke the
    /// grant through the refresh token.
    pub fn needs_live_access_token(self) -> bool {
        matches!(
            self,
            RevokeStyle::JsonAccessTokenBasicDelete
                | RevokeStyle::JsonTokenBasic
                | RevokeStyle::BearerNoBody
        )
    }
}

/// How "who is signed in" is found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserinfoStyle {
    /// GET `userinfo_url` with the Bearer token.
    GetBearer,
    /// POST `userinfo_url` with the Bearer token and no body at all (Dropbox).
    PostBearerNoBody,
    /// Read `account_fields` from the token response itself (Notion).
    FromTokenResponse,
}

/// How the client authenticates at the token endpoint when it has a secret.
/// Without a secret, `Basic` and `Post` both send only `client_id` in the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenAuth {
    /// `Authorization: Basic base64(id:secret)`.
    Basic,
    /// `client_id` and `client_secret` in the request body.
    Post,
    /// `client_id` in the body and never a secret (public clients).
    None,
}

/// Encoding of the token request body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyFormat {
    /// `application/x-www-form-urlencoded`, as RFC 6749 says.
    Form,
    /// A JSON object (Notion).
    Json,
}

/// A `{name}` in an endpoint, filled from the environment or a default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placeholder {
    pub name: String,
    pub env: Option<String>,
    pub default: String,
}

/// One service. Field meanings are in the lead's brief and CONTRACTS.md.
#[derive(Clone, Debug, PartialEq)]
pub struct Provider {
    pub id: String,
    pub name: String,
    pub color: String,
    pub monogram: String,
    pub console_url: Option<String>,
    pub authorize_url: Option<String>,
    pub token_url: Option<String>,
    /// RFC 8628 device authorization, for `connect --device` (sign-in on
    /// another device with a code); `None` where the service has none.
    pub device_authorization_url: Option<String>,
    /// May contain `{client_id}` (GitHub) and the provider's placeholders.
    pub revoke_url: Option<String>,
    pub revoke_style: RevokeStyle,
    pub userinfo_url: Option<String>,
    pub userinfo_style: UserinfoStyle,
    /// Dotted JSON paths tried in order to name the signed-in account.
    pub account_fields: Vec<String>,
    pub scopes: Vec<String>,
    pub scope_labels: Vec<(String, String)>,
    /// Client ID, secret and account ID from presets and config files.
    pub configured: Configured,
    /// The service says its desktop client secret is not confidential (Google:
    /// "not treated as a secret"), so presets and the system file may carry it.
    pub secret_may_ship: bool,
    pub client_id_env: Option<String>,
    pub client_secret_env: Option<String>,
    pub api_key_env: Option<String>,
    pub api_key_label: Option<String>,
    /// The variable `authdeck exec` hands the token to a command in (the one
    /// the service's own tools read, e.g. `GITHUB_TOKEN`).
    pub token_env: String,
    /// Hosts whose git remotes this service signs in to (`authdeck
    /// git-credential`): GitHub's `github.com`; `host:port` when not 443.
    pub git_hosts: Vec<String>,
    /// Set: a Server-to-Server app (Zoom's `account_credentials` grant).
    pub account_id_env: Option<String>,
    pub requires_client_secret: bool,
    pub redirect_host: RedirectHost,
    pub redirect_path: String,
    /// Ports the user registered; the redirect URI must match exactly. Empty = any.
    pub redirect_ports: Vec<u16>,
    /// Whether the console asks for a redirect address at all (Google's
    /// desktop clients take any loopback address without one).
    pub registers_redirect: bool,
    pub token_auth: TokenAuth,
    pub token_request_format: BodyFormat,
    pub pkce: bool,
    pub client_credentials: bool,
    pub extra_authorize_params: Vec<(String, String)>,
    /// Sent on API calls (userinfo, revoke), e.g. Notion-Version.
    pub extra_headers: Vec<(String, String)>,
    pub issuer: Option<String>,
    pub placeholders: Vec<Placeholder>,
    pub revoke_note: String,
    /// Numbered steps for the setup form, naming the console's pages and
    /// buttons as the service documents them; empty for a custom service.
    pub setup_steps: Vec<String>,
    /// A trap in the service's console, said before it bites.
    pub setup_warning: Option<String>,
    pub client_id_format: Option<ValueFormat>,
    pub client_secret_format: Option<ValueFormat>,
    /// A custom service given only an `issuer`: its endpoints come from OIDC
    /// discovery (`discovery::discover`, when the engine first needs them).
    pub needs_discovery: bool,
    pub builtin: bool,
}

const PALETTE: [&str; 8] = [
    "#6E56CF", "#E5484D", "#12A594", "#F76B15", "#0090FF", "#D6409F", "#46A758", "#8E4EC6",
];

impl Provider {
    /// A service with no endpoints and the defaults of a plain OAuth 2.0
    /// provider (PKCE, form body, secret in the body if there is one, any
    /// loopback port). Built-ins and custom services both start here.
    pub fn new(id: &str, name: &str) -> Provider {
        let hash = id
            .bytes()
            .fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b.into()));
        Provider {
            id: id.to_string(),
            name: name.to_string(),
            color: PALETTE[hash % PALETTE.len()].to_string(),
            monogram: monogram_for(if name.is_empty() { id } else { name }),
            console_url: None,
            authorize_url: None,
            token_url: None,
            device_authorization_url: None,
            revoke_url: None,
            revoke_style: RevokeStyle::None,
            userinfo_url: None,
            userinfo_style: UserinfoStyle::GetBearer,
            // What OpenID Connect userinfo and most "me" endpoints call the person.
            account_fields: "email preferred_username login username name sub"
                .split(' ')
                .map(String::from)
                .collect(),
            scopes: Vec::new(),
            scope_labels: Vec::new(),
            configured: Configured::default(),
            secret_may_ship: false,
            client_id_env: None,
            client_secret_env: None,
            api_key_env: None,
            api_key_label: None,
            token_env: default_token_env(id),
            git_hosts: Vec::new(),
            account_id_env: None,
            requires_client_secret: false,
            redirect_host: RedirectHost::Loopback,
            redirect_path: "/callback".to_string(),
            redirect_ports: Vec::new(),
            registers_redirect: true,
            token_auth: TokenAuth::Post,
            token_request_format: BodyFormat::Form,
            pkce: true,
            client_credentials: false,
            extra_authorize_params: Vec::new(),
            extra_headers: Vec::new(),
            issuer: None,
            placeholders: Vec::new(),
            revoke_note: revoke_note_for(name, false),
            setup_steps: Vec::new(),
            setup_warning: None,
            client_id_format: None,
            client_secret_format: None,
            needs_discovery: false,
            builtin: false,
        }
    }

    /// Fills `{placeholder}`s from `env` (empty counts as unset) or their
    /// defaults, and `{client_id}` from `client_id` or the configured one.
    /// Values are percent-encoded so an odd tenant cannot change the path.
    pub fn resolve_url(
        &self,
        template: &str,
        env: &dyn Fn(&str) -> Option<String>,
        client_id: Option<&str>,
    ) -> String {
        let mut url = template.to_string();
        for placeholder in &self.placeholders {
            let value = placeholder
                .env
                .as_deref()
                .and_then(env)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| placeholder.default.clone());
            url = url.replace(&format!("{{{}}}", placeholder.name), &encode(&value));
        }
        let configured = self
            .configured
            .client_id
            .as_ref()
            .map(|(id, _)| id.as_str());
        match client_id.or(configured) {
            Some(id) => url.replace("{client_id}", &encode(id)),
            None => url,
        }
    }

    /// The redirect addresses to register in the service's console: one per
    /// fixed port for exact-match services, else the one any port matches.
    pub fn redirect_addresses(&self) -> Vec<String> {
        if !self.registers_redirect {
            return Vec::new();
        }
        let host = self.redirect_host.as_str();
        if self.redirect_ports.is_empty() {
            return vec![format!("http://{host}{}", self.redirect_path)];
        }
        self.redirect_ports
            .iter()
            .map(|port| format!("http://{host}:{port}{}", self.redirect_path))
            .collect()
    }

    /// A short readable label for a scope chip.
    pub fn scope_label(&self, raw: &str) -> String {
        if let Some((_, label)) = self.scope_labels.iter().find(|(key, _)| key == raw) {
            return label.clone();
        }
        // Providers may answer with the short form of a scope they were asked
        // for in full (Microsoft: `Files.Read` for `https://graph.microsoft.com/Files.Read`).
        let short = short_scope(raw);
        self.scope_labels
            .iter()
            .find(|(key, _)| short_scope(key).eq_ignore_ascii_case(&short))
            .map(|(_, label)| label.clone())
            .unwrap_or(short)
    }
}

/// The six built-in services, in order: google, dropbox, zoom, notion, github, microsoft.
pub fn builtin_providers() -> Vec<Provider> {
    builtin::all()
}

/// One built-in by id, for unit tests.
#[cfg(test)]
pub(crate) fn builtin(id: &str) -> Provider {
    builtin::all()
        .into_iter()
        .find(|p| p.id == id)
        .unwrap_or_else(|| panic!("no built-in {id}"))
}

pub(crate) fn revoke_note_for(name: &str, can_revoke: bool) -> String {
    let name = if name.is_empty() {
        "This service"
    } else {
        name
    };
    if can_revoke {
        format!("{name} will be told to cancel Authdeck's access.")
    } else {
        format!(
            "{name} offers no way to cancel access from here. Authdeck will forget the \
             sign-in on this computer."
        )
    }
}

/// `MY_GITLAB_TOKEN` for a service `my-gitlab` that names no `token_env`.
fn default_token_env(id: &str) -> String {
    let name: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("{name}_TOKEN")
}

pub(crate) fn monogram_for(name: &str) -> String {
    let initials: String = name
        .split(|c: char| !c.is_alphanumeric())
        .filter_map(|word| word.chars().next())
        .take(2)
        .collect::<String>()
        .to_uppercase();
    if initials.is_empty() {
        "?".to_string()
    } else {
        initials
    }
}

fn short_scope(raw: &str) -> String {
    if raw.contains("://") {
        if let Ok(url) = url::Url::parse(raw) {
            let last = url
                .path_segments()
                .and_then(|mut segments| segments.rfind(|s| !s.is_empty()));
            if let Some(last) = last.or(url.host_str()) {
                return last.to_string();
            }
        }
    }
    raw.to_string()
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Why an endpoint address is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EndpointProblem {
    NotAUrl,
    NotHttps,
    HasCredentials,
    HasFragment,
    UnknownPlaceholder(String),
}

impl fmt::Display for EndpointProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAUrl => f.write_str(
                "is not a web address (expected something like https://example.com/oauth/token)",
            ),
            Self::NotHttps => f.write_str(
                "must be https (or http://127.0.0.1, http://[::1] or http://localhost for a \
                 local server)",
            ),
            Self::HasCredentials => f.write_str(
                "must not contain a user name or password: secrets never go in providers.toml",
            ),
            Self::HasFragment => f.write_str("must not contain a `#` part"),
            Self::UnknownPlaceholder(name) => write!(
                f,
                "uses `{{{name}}}`, which Authdeck cannot fill in for this service"
            ),
        }
    }
}

/// Checks an endpoint: a URL, https or plain http to 127.0.0.1/localhost only
/// (RFC 8252 loopback, for tests and local servers), no credentials, no
/// fragment. `{name}`s must be among `placeholders` (filled before use).
pub fn check_endpoint(raw: &str, placeholders: &[&str]) -> Result<url::Url, EndpointProblem> {
    let mut concrete = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let name = &rest[open + 1..open + close];
        if !placeholders.contains(&name) {
            return Err(EndpointProblem::UnknownPlaceholder(name.to_string()));
        }
        concrete.push_str(&rest[..open]);
        concrete.push('x');
        rest = &rest[open + close + 1..];
    }
    concrete.push_str(rest);
    let url = url::Url::parse(&concrete).map_err(|_| EndpointProblem::NotAUrl)?;
    if !crate::http::is_allowed_url(&url) {
        return Err(EndpointProblem::NotHttps);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(EndpointProblem::HasCredentials);
    }
    if url.fragment().is_some() {
        return Err(EndpointProblem::HasFragment);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_label_falls_back_to_the_last_path_segment() {
        let p = Provider::new("corp", "Corp");
        assert_eq!(
            p.scope_label("https://corp.example/auth/calendar"),
            "calendar"
        );
        assert_eq!(
            p.scope_label("https://mail.corp.example/"),
            "mail.corp.example"
        );
        assert_eq!(p.scope_label("read_user"), "read_user");
    }
}
