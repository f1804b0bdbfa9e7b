//! Which credentials a service has, and where each one came from.
//!
//! First found wins, per value: the keyring (saved through the app or
//! `authdeck config set`), then the environment variable the catalog names,
//! then the config file (non-secret values only). The environment is a
//! snapshot passed in, so the rules are tested without touching the process.

use crate::provider::{Origin, Provider};
use crate::secret::{ApiKey, ClientSecret};
use crate::store::SavedClient;
use std::collections::HashMap;

/// A snapshot of the environment variables Authdeck reads. Its `Debug` shows
/// how many there are and never a value: the environment holds tokens
/// (`GITHUB_TOKEN`) and secrets.
#[derive(Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field(
                "vars",
                &format_args!("[{} variables, redacted]", self.vars.len()),
            )
            .finish()
    }
}

impl Env {
    pub fn from_process() -> Self {
        Self {
            vars: std::env::vars().collect(),
        }
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        }
    }

    /// A set, non-blank value (an empty variable counts as unset).
    pub fn get(&self, name: &str) -> Option<String> {
        self.vars
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }
}

/// An environment variable name as shells write one: a letter or `_`, then
/// letters, digits and `_`.
pub fn is_env_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Where a credential came from, for "via GITHUB_TOKEN", `config show` and the
/// setup form. First found wins, in this order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Keyring,
    Env(String),
    /// Configuration: the person's file, the system file, or built in.
    Configured(Origin),
}

impl Source {
    /// Plain words for `config show`: "keyring", "environment (GITHUB_CLIENT_ID)", …
    pub fn describe(&self) -> String {
        match self {
            Source::Keyring => "keyring".to_owned(),
            Source::Env(var) => format!("environment ({var})"),
            Source::Configured(Origin::YourFile(path)) => {
                format!("your file ({})", path.display())
            }
            Source::Configured(Origin::SystemFile(path)) => {
                format!("system file ({})", path.display())
            }
            Source::Configured(Origin::BuiltIn) => "built in".to_owned(),
        }
    }

    /// Set up by an organization (system file) or the distribution (built in),
    /// not by the person.
    pub fn is_preset(&self) -> bool {
        matches!(
            self,
            Source::Configured(Origin::SystemFile(_) | Origin::BuiltIn)
        )
    }
}

/// Which grant can run without a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unattended {
    /// Zoom Server-to-Server: `grant_type=account_credentials&account_id=…`.
    AccountCredentials,
    /// The standard `client_credentials` grant.
    ClientCredentials,
}

#[derive(Clone, Debug, Default)]
pub struct Credentials {
    pub client_id: Option<(String, Source)>,
    pub client_secret: Option<(ClientSecret, Source)>,
    pub account_id: Option<(String, Source)>,
    /// The key and the variable it came from.
    pub api_key: Option<(ApiKey, String)>,
}

impl Credentials {
    pub fn resolve(provider: &Provider, saved: &SavedClient, env: &Env) -> Self {
        let from_env = |name: &Option<String>| {
            name.as_deref()
                .and_then(|n| env.get(n).map(|v| (v, n.to_owned())))
        };
        let configured = &provider.configured;
        let client_id = saved
            .client_id
            .clone()
            .filter(|v| !v.trim().is_empty())
            .map(|v| (v, Source::Keyring))
            .or_else(|| from_env(&provider.client_id_env).map(|(v, n)| (v, Source::Env(n))))
            .or_else(|| {
                configured
                    .client_id
                    .clone()
                    .map(|(v, o)| (v, Source::Configured(o)))
            });
        let client_secret = saved
            .client_secret
            .clone()
            .filter(|s| !s.secret().trim().is_empty())
            .map(|s| (s, Source::Keyring))
            .or_else(|| {
                from_env(&provider.client_secret_env)
                    .map(|(v, n)| (ClientSecret::new(v), Source::Env(n)))
            })
            .or_else(|| {
                configured
                    .client_secret
                    .clone()
                    .map(|(v, o)| (v, Source::Configured(o)))
            });
        let account_id = saved
            .account_id
            .clone()
            .filter(|v| !v.trim().is_empty())
            .map(|v| (v, Source::Keyring))
            .or_else(|| from_env(&provider.account_id_env).map(|(v, n)| (v, Source::Env(n))))
            .or_else(|| {
                configured
                    .account_id
                    .clone()
                    .map(|(v, o)| (v, Source::Configured(o)))
            });
        let api_key = from_env(&provider.api_key_env).map(|(v, n)| (ApiKey::new(v), n));
        Self {
            client_id,
            client_secret,
            account_id,
            api_key,
        }
    }

    pub fn client_id(&self) -> Option<&str> {
        self.client_id.as_ref().map(|(v, _)| v.as_str())
    }

    pub fn client_secret(&self) -> Option<&ClientSecret> {
        self.client_secret.as_ref().map(|(v, _)| v)
    }

    pub fn account_id(&self) -> Option<&str> {
        self.account_id.as_ref().map(|(v, _)| v.as_str())
    }

    /// The person can sign in through the browser.
    pub fn can_sign_in(&self, provider: &Provider) -> bool {
        provider.authorize_url.is_some()
            && provider.token_url.is_some()
            && self.client_id.is_some()
            && (!provider.requires_client_secret || self.client_secret.is_some())
    }

    /// A grant that needs no person, when everything it needs is there.
    pub fn unattended(&self, provider: &Provider) -> Option<Unattended> {
        if provider.token_url.is_none() || self.client_id.is_none() || self.client_secret.is_none()
        {
            return None;
        }
        if provider.account_id_env.is_some() && self.account_id.is_some() {
            Some(Unattended::AccountCredentials)
        } else if provider.client_credentials {
            Some(Unattended::ClientCredentials)
        } else {
            None
        }
    }

    /// Anything at all that can produce a token.
    pub fn is_configured(&self, provider: &Provider) -> bool {
        self.can_sign_in(provider) || self.unattended(provider).is_some() || self.api_key.is_some()
    }

    /// What a person must do before a browser sign-in can work, as one
    /// plain sentence; the environment variables come last, for scripts.
    pub fn setup_needed(&self, provider: &Provider) -> String {
        if provider.authorize_url.is_none() || provider.token_url.is_none() {
            return "Needs its sign-in addresses (authorize_url and token_url) in providers.toml."
                .to_owned();
        }
        let mut parts = Vec::new();
        let mut vars = Vec::new();
        if self.client_id.is_none() {
            parts.push("a client ID");
            vars.extend(provider.client_id_env.clone());
        }
        if provider.requires_client_secret && self.client_secret.is_none() {
            parts.push("a client secret");
            vars.extend(provider.client_secret_env.clone());
        }
        let env = if vars.is_empty() {
            String::new()
        } else {
            format!(" (or set {})", vars.join(" and "))
        };
        format!(
            "Needs a one-time setup: {} from {}'s developer site. Click Set up{env}.",
            parts.join(" and "),
            provider.name
        )
    }

    /// Every way the service could be made to work, for "nothing works" errors.
    pub fn what_to_set(&self, provider: &Provider) -> String {
        let id = &provider.id;
        let mut ways = Vec::new();
        let mut sign_in = vec!["client_id".to_owned()];
        if provider.requires_client_secret {
            sign_in.push("client_secret".to_owned());
        }
        let envs: Vec<&str> = [&provider.client_id_env, &provider.client_secret_env]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        let env_part = if envs.is_empty() {
            String::new()
        } else {
            format!(" (or set {})", envs.join(" and "))
        };
        ways.push(format!(
            "to sign in with the browser: `authdeck config set {id} {}`{env_part}, then `authdeck connect {id}`",
            sign_in.join("` and `authdeck config set {id} ").replace("{id}", id)
        ));
        if let Some(account_env) = &provider.account_id_env {
            ways.push(format!(
                "for a Server-to-Server app: set {account_env} with {} and {}",
                provider.client_id_env.as_deref().unwrap_or("client_id"),
                provider
                    .client_secret_env
                    .as_deref()
                    .unwrap_or("client_secret")
            ));
        } else if provider.client_credentials {
            ways.push("for an app without a person: client_id and client_secret (client_credentials grant)".to_owned());
        }
        if let Some(key_env) = &provider.api_key_env {
            ways.push(format!("with an API key or personal token: set {key_env}"));
        }
        ways.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(id: &str) -> Provider {
        crate::provider::builtin(id)
    }

    #[test]
    fn keyring_beats_environment_beats_config_file() {
        let mut p = provider("github");
        let file = Origin::YourFile("/home/ada/.config/authdeck/providers.toml".into());
        p.configured.client_id = Some(("from-file".into(), file.clone()));
        let env = Env::from_pairs([("GITHUB_CLIENT_ID", "from-env")]);
        let none = SavedClient::default();
        assert_eq!(
            Credentials::resolve(&p, &none, &env).client_id,
            Some(("from-env".into(), Source::Env("GITHUB_CLIENT_ID".into())))
        );
        let saved = SavedClient {
            client_id: Some("from-keyring".into()),
            ..Default::default()
        };
        assert_eq!(
            Credentials::resolve(&p, &saved, &env).client_id(),
            Some("from-keyring")
        );
        assert_eq!(
            Credentials::resolve(&p, &none, &Env::default()).client_id,
            Some(("from-file".into(), Source::Configured(file)))
        );
    }

    #[test]
    fn the_environment_never_shows_in_debug_output() {
        let env = Env::from_pairs([("GITHUB_TOKEN", "ghp_very_secret_value")]);
        let shown = format!("{env:?}");
        assert!(!shown.contains("ghp_very_secret_value"), "{shown}");
        assert!(!shown.contains("GITHUB_TOKEN"), "{shown}");
    }

    #[test]
    fn blank_environment_values_count_as_unset() {
        let p = provider("github");
        let creds = Credentials::resolve(
            &p,
            &SavedClient::default(),
            &Env::from_pairs([("GITHUB_TOKEN", "  ")]),
        );
        assert!(creds.api_key.is_none());
    }

    #[test]
    fn zoom_account_id_with_client_makes_server_to_server() {
        let p = provider("zoom");
        let env = Env::from_pairs([
            ("ZOOM_ACCOUNT_ID", "acc"),
            ("ZOOM_CLIENT_ID", "id"),
            ("ZOOM_CLIENT_SECRET", "s"),
        ]);
        let creds = Credentials::resolve(&p, &SavedClient::default(), &env);
        assert_eq!(creds.unattended(&p), Some(Unattended::AccountCredentials));
    }

    #[test]
    fn google_needs_a_secret_to_sign_in_but_dropbox_does_not() {
        let env = Env::from_pairs([("GOOGLE_CLIENT_ID", "g"), ("DROPBOX_APP_KEY", "d")]);
        let g = provider("google");
        let d = provider("dropbox");
        assert!(!Credentials::resolve(&g, &SavedClient::default(), &env).can_sign_in(&g));
        assert!(Credentials::resolve(&d, &SavedClient::default(), &env).can_sign_in(&d));
    }

    #[test]
    fn setup_message_is_a_plain_sentence_with_variables_last() {
        let p = provider("google");
        let text = Credentials::default().setup_needed(&p);
        assert_eq!(
            text,
            "Needs a one-time setup: a client ID and a client secret from Google's developer site. \
             Click Set up (or set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET)."
        );
    }

    #[test]
    fn what_to_set_names_every_method() {
        let p = provider("github");
        let text = Credentials::default().what_to_set(&p);
        assert!(
            text.contains("GITHUB_CLIENT_ID") && text.contains("GITHUB_TOKEN"),
            "{text}"
        );
        assert!(
            text.contains("authdeck config set github client_id"),
            "{text}"
        );
    }
}
