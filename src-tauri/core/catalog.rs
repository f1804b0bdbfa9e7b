//! The catalog: the built-in services plus what the person's `providers.toml`
//! adds or overrides, and every mistake found in that file, tied to the
//! service and key it concerns. Loading never fails: a bad table costs only
//! its own service.

use crate::provider::*;
use crate::secret::ClientSecret;
use std::fmt;
use std::path::{Path, PathBuf};

/// One mistake in providers.toml, tied to the service and key it concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigProblem {
    pub file: PathBuf,
    pub service: Option<String>,
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(service) = &self.service {
            write!(f, ", service `{service}`")?;
        }
        if let Some(key) = &self.key {
            write!(f, ", key `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigProblem {}

/// Every service Authdeck can connect, and what was wrong in the config file.
#[derive(Clone, Debug)]
pub struct Catalog {
    pub providers: Vec<Provider>,
    pub problems: Vec<ConfigProblem>,
}

/// The presets baked in at build time from `AUTHDECK_PRESETS=FILE` (empty when
/// the builder set none): a distributor's client IDs, so its package works
/// with no file in `/etc`.
pub const BAKED_PRESETS: &str = include_str!(concat!(env!("OUT_DIR"), "/presets.toml"));

/// Where the built-in presets are said to come from, in messages.
const BAKED_LABEL: &str = "the presets built into Authdeck";

/// One configuration source, applied over the ones before it.
pub struct Layer<'a> {
    pub origin: Origin,
    /// The file, for messages.
    pub file: PathBuf,
    pub text: &'a str,
}

impl Catalog {
    /// Every service's id, in catalog order.
    pub fn ids(&self) -> Vec<String> {
        self.providers.iter().map(|p| p.id.clone()).collect()
    }

    /// Built-ins, then the baked presets, then `<system_dir>/providers.toml`
    /// (an organization's or a distribution's, refused when anyone but root —
    /// or the person themselves — could have written it), then
    /// `<config_dir>/providers.toml`. Never fails.
    pub fn load(config_dir: &Path, system_dir: &Path) -> Catalog {
        let mut problems = Vec::new();
        let system_file = system_dir.join(CONFIG_FILE);
        let system_text = match read_optional(&system_file, &mut problems) {
            Some(text) => match unsafe_system_file(&system_file) {
                Some(why) => {
                    problems.push(ConfigProblem {
                        file: system_file.clone(),
                        service: None,
                        key: None,
                        message: format!(
                            "{why}, so Authdeck ignores it: someone other than an \
                             administrator could have changed it. An administrator can fix \
                             it with `sudo chown root:root {0}` and `sudo chmod 644 {0}`",
                            system_file.display()
                        ),
                    });
                    None
                }
                None => Some(text),
            },
            None => None,
        };
        let user_file = config_dir.join(CONFIG_FILE);
        let user_text = read_optional(&user_file, &mut problems);
        let mut layers = vec![Layer {
            origin: Origin::BuiltIn,
            file: PathBuf::from(BAKED_LABEL),
            text: BAKED_PRESETS,
        }];
        if let Some(text) = &system_text {
            layers.push(Layer {
                origin: Origin::SystemFile(system_file.clone()),
                file: system_file.clone(),
                text,
            });
        }
        if let Some(text) = &user_text {
            layers.push(Layer {
                origin: Origin::YourFile(user_file.clone()),
                file: user_file.clone(),
                text,
            });
        }
        let mut catalog = Catalog::from_layers(&layers);
        problems.append(&mut catalog.problems);
        catalog.problems = problems;
        for problem in &catalog.problems {
            tracing::warn!(%problem, "ignoring part of the provider config");
        }
        catalog
    }

    /// The person's file alone over the built-ins (`file` is only used in
    /// messages).
    pub fn from_toml_str(file: &Path, text: &str) -> Catalog {
        Catalog::from_layers(&[Layer {
            origin: Origin::YourFile(file.to_path_buf()),
            file: file.to_path_buf(),
            text,
        }])
    }

    /// The built-ins with each layer applied in turn. A mistake costs only the
    /// service (or, for a file that is not TOML, the layer) it is in.
    pub fn from_layers(layers: &[Layer]) -> Catalog {
        let mut providers = builtin_providers();
        let mut problems = Vec::new();
        for layer in layers {
            apply_layer(&mut providers, &mut problems, layer);
        }
        Catalog {
            providers,
            problems,
        }
    }

    pub fn get(&self, id: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.id == id)
    }

    /// The first problem the config file has for this service, if any.
    pub fn problem_for(&self, id: &str) -> Option<&ConfigProblem> {
        self.problems
            .iter()
            .find(|p| p.service.as_deref() == Some(id))
    }
}

fn apply_layer(providers: &mut Vec<Provider>, problems: &mut Vec<ConfigProblem>, layer: &Layer) {
    let file = &layer.file;
    let text = layer.text;
    if text.trim().is_empty() {
        return;
    }
    let problem = |service: Option<&str>, key: Option<&str>, message: String| ConfigProblem {
        file: file.to_path_buf(),
        service: service.map(String::from),
        key: key.map(String::from),
        message,
    };
    let tables = match text.parse::<toml::Table>() {
        Ok(tables) => tables,
        Err(e) => {
            let detail = e.message().trim().replace('\n', "; ");
            let at = e.span().map(|span| line_and_column(text, span.start));
            let at = at.map(|(line, column)| format!("line {line}, column {column}: "));
            let message = format!(
                "{}not valid TOML ({detail}). The services are used without this file \
                 until it is fixed",
                at.unwrap_or_default()
            );
            problems.push(problem(None, None, message));
            return;
        }
    };
    for (id, value) in &tables {
        if !valid_id(id) {
            problems.push(problem(
                Some(id),
                None,
                "a service name may use only lowercase letters, digits, `-` and `_` \
                 (like `my-gitlab`)"
                    .to_string(),
            ));
            continue;
        }
        let Some(table) = value.as_table() else {
            problems.push(problem(
                Some(id),
                None,
                format!("each service is a table: write `[{id}]` on its own line, then its keys"),
            ));
            continue;
        };
        let existing = providers.iter().position(|p| &p.id == id);
        let base = match existing {
            Some(index) => providers[index].clone(),
            None => Provider::new(id, ""),
        };
        match config::merge(base, table, &layer.origin) {
            Ok(provider) => match existing {
                Some(index) => providers[index] = provider,
                None => providers.push(provider),
            },
            Err(errors) => problems.extend(
                errors
                    .into_iter()
                    .map(|(key, message)| problem(Some(id), key.as_deref(), message)),
            ),
        }
    }
}

/// The file's text, `None` when there is none; a file that exists but cannot be
/// read is a problem, and the layer is skipped.
fn read_optional(file: &Path, problems: &mut Vec<ConfigProblem>) -> Option<String> {
    match std::fs::read_to_string(file) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            problems.push(ConfigProblem {
                file: file.to_path_buf(),
                service: None,
                key: None,
                message: format!("could not be read ({e}); Authdeck goes on without it"),
            });
            None
        }
    }
}

/// Why a system-wide file cannot be trusted: writable by group or others, in a
/// folder others can write to, or owned by someone other than root and the
/// person running Authdeck (whose own file could say the same anyway).
#[cfg(unix)]
fn unsafe_system_file(file: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let me = current_uid();
    let check = |path: &Path, what: &str| -> Option<String> {
        let meta = std::fs::metadata(path).ok()?;
        let mode = meta.mode();
        // A sticky folder (like /tmp) still lets others add files, but not
        // replace this one.
        let sticky = meta.is_dir() && mode & 0o1000 != 0;
        if mode & 0o022 != 0 && !sticky {
            return Some(format!(
                "{what} {} can be changed by other users (mode {:o})",
                path.display(),
                mode & 0o7777
            ));
        }
        if meta.uid() != 0 && Some(meta.uid()) != me {
            return Some(format!(
                "{what} {} belongs to another user (uid {})",
                path.display(),
                meta.uid()
            ));
        }
        None
    };
    check(file, "The system file")
        .or_else(|| file.parent().and_then(|dir| check(dir, "Its folder")))
}

#[cfg(not(unix))]
fn unsafe_system_file(_file: &Path) -> Option<String> {
    None
}

/// The user this process runs as: the owner of its own `/proc` entry on Linux.
#[cfg(unix)]
fn current_uid() -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").ok().map(|m| m.uid())
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_'))
}

fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

/// Applying one service table of providers.toml to a provider.
mod config {
    use super::*;

    pub(super) type Errors = Vec<(Option<String>, String)>;

    // CONTRACTS.md's keys, plus `console_url`, `account_fields` and
    // `requires_client_secret` so a custom service can say where to register,
    // who signed in, and whether it cannot work without a secret.
    const KEYS: &str = "name authorize_url token_url device_authorization_url revoke_url userinfo_url scopes client_id \
        account_id client_id_env client_secret_env api_key_env token_env git_hosts redirect_host redirect_path redirect_ports \
        token_auth pkce client_credentials extra_authorize_params issuer console_url \
        account_fields requires_client_secret";
    const SECRET_KEYS: &str =
        "client_secret api_key apikey api_token token refresh_token access_token password secret";
    // The flow sets these itself; letting the file change them would allow an
    // implicit grant (response_type=token) or break the state and PKCE checks.
    const RESERVED_PARAMS: &str =
        "response_type client_id redirect_uri state scope code_challenge code_challenge_method";
    const SECRET_MESSAGE: &str = "Secrets never go in providers.toml: use `authdeck config set \
         SERVICE client_secret` (stored in your keyring) or the environment variable";

    fn listed(list: &str, word: &str) -> bool {
        list.split_whitespace().any(|w| w == word)
    }

    /// `p` with the table's keys applied, or every problem found (then nothing
    /// is applied: a built-in stays as shipped).
    pub(super) fn merge(
        mut p: Provider,
        table: &toml::Table,
        origin: &Origin,
    ) -> Result<Provider, Errors> {
        let old_name = p.name.clone();
        let mut errors = Errors::new();
        for (key, value) in table {
            let result = if key == "client_secret" && !matches!(origin, Origin::YourFile(_)) {
                preset_secret(&mut p, value, origin)
            } else if listed(SECRET_KEYS, &key.to_ascii_lowercase().replace('-', "_")) {
                Err(SECRET_MESSAGE.to_string())
            } else {
                apply_key(&mut p, key, value, origin)
            };
            if let Err(message) = result {
                errors.push((Some(key.clone()), message));
            }
        }
        let given = |key: &str| table.contains_key(key);
        if !p.builtin {
            if !given("name") {
                let message = "a new service needs a `name`, like name = \"GitLab\"";
                errors.push((Some("name".into()), message.into()));
            }
            // Keyed on what was written, so a refused URL is reported once.
            let has_endpoints = given("authorize_url") && given("token_url");
            if !has_endpoints && !given("issuer") {
                let message = "a new service needs `authorize_url` and `token_url`, or \
                     `issuer` alone for an OpenID Connect provider";
                errors.push((None, message.into()));
            }
            p.needs_discovery = !has_endpoints;
            if given("issuer") && !given("scopes") {
                p.scopes = ["openid", "email", "profile"].map(String::from).to_vec();
            }
            p.monogram = monogram_for(&p.name);
            p.revoke_note = revoke_note_for(&p.name, p.revoke_url.is_some());
        } else if given("name") {
            p.revoke_note = p.revoke_note.replace(&old_name, &p.name);
        }
        if p.revoke_url.is_some() && p.revoke_style == RevokeStyle::None {
            p.revoke_style = RevokeStyle::Rfc7009;
            p.revoke_note = revoke_note_for(&p.name, true);
        }
        if errors.is_empty() {
            Ok(p)
        } else {
            Err(errors)
        }
    }

    /// A client secret in presets or the system file: only for a service whose
    /// desktop secret is public by its own account (Google).
    fn preset_secret(p: &mut Provider, value: &toml::Value, origin: &Origin) -> Result<(), String> {
        if !p.secret_may_ship {
            return Err(format!(
                "only services whose desktop client secret is public (like Google) may have \
                 one preset; {} keeps its secret in each person's keyring",
                if p.name.is_empty() {
                    "this service"
                } else {
                    &p.name
                }
            ));
        }
        p.configured.client_secret = Some((ClientSecret::new(text(value)?), origin.clone()));
        Ok(())
    }

    fn apply_key(
        p: &mut Provider,
        key: &str,
        value: &toml::Value,
        origin: &Origin,
    ) -> Result<(), String> {
        let mut names: Vec<&str> = p.placeholders.iter().map(|x| x.name.as_str()).collect();
        names.push("client_id");
        match key {
            "name" => p.name = text(value)?,
            "authorize_url" => p.authorize_url = Some(endpoint(value, &names)?),
            "token_url" => p.token_url = Some(endpoint(value, &names)?),
            "device_authorization_url" => {
                p.device_authorization_url = Some(endpoint(value, &names)?)
            }
            "revoke_url" => p.revoke_url = Some(endpoint(value, &names)?),
            "userinfo_url" => p.userinfo_url = Some(endpoint(value, &names)?),
            "issuer" => p.issuer = Some(endpoint(value, &[])?),
            "console_url" => {
                let url = text(value)?;
                if !url.starts_with("https://") || url::Url::parse(&url).is_err() {
                    return Err("must be an https address".into());
                }
                p.console_url = Some(url);
            }
            "scopes" => p.scopes = scopes(value)?,
            "client_id" => p.configured.client_id = Some((text(value)?, origin.clone())),
            "account_id" => p.configured.account_id = Some((text(value)?, origin.clone())),
            "client_id_env" => p.client_id_env = Some(env_name(value)?),
            "client_secret_env" => p.client_secret_env = Some(env_name(value)?),
            "api_key_env" => p.api_key_env = Some(env_name(value)?),
            "token_env" => p.token_env = env_name(value)?,
            "git_hosts" => {
                let list = value
                    .as_array()
                    .ok_or("must be a list of hosts, like [\"gitlab.com\"]")?;
                let hosts: Vec<String> = list.iter().map(text).collect::<Result<_, _>>()?;
                if let Some(bad) = hosts.iter().find(|h| !valid_git_host(h)) {
                    return Err(format!(
                        "`{bad}` is not a host name: write it like \"gitlab.com\" or \"git.example.com:8443\""
                    ));
                }
                p.git_hosts = hosts.into_iter().map(|h| h.to_ascii_lowercase()).collect();
            }
            "redirect_host" => {
                p.redirect_host = match text(value)?.as_str() {
                    "127.0.0.1" => RedirectHost::Loopback,
                    "localhost" => RedirectHost::Localhost,
                    _ => return Err("must be \"127.0.0.1\" or \"localhost\"".into()),
                }
            }
            "redirect_path" => {
                let path = text(value)?;
                // The listener's own rule, so a path the file accepts always binds.
                if crate::loopback::CallbackPath::new(&path).is_err() || path.is_empty() {
                    return Err(
                        "must be a path like \"/callback\", without spaces, ?, # or %".into(),
                    );
                }
                p.redirect_path = path;
            }
            "redirect_ports" => p.redirect_ports = ports(value)?,
            "token_auth" => {
                p.token_auth = match text(value)?.as_str() {
                    "basic" => TokenAuth::Basic,
                    "post" => TokenAuth::Post,
                    "none" => TokenAuth::None,
                    _ => return Err("must be \"basic\", \"post\" or \"none\"".into()),
                }
            }
            "pkce" => p.pkce = boolean(value)?,
            "client_credentials" => p.client_credentials = boolean(value)?,
            "requires_client_secret" => p.requires_client_secret = boolean(value)?,
            "extra_authorize_params" => {
                for (name, v) in text_table(value)? {
                    if listed(SECRET_KEYS, &name) {
                        return Err(SECRET_MESSAGE.into());
                    }
                    if listed(RESERVED_PARAMS, &name) {
                        return Err(format!("`{name}` is set by Authdeck and cannot be changed"));
                    }
                    // Merged per parameter; "" removes a built-in one.
                    p.extra_authorize_params.retain(|(k, _)| *k != name);
                    if !v.is_empty() {
                        p.extra_authorize_params.push((name, v));
                    }
                }
            }
            "account_fields" => {
                let list = value.as_array().ok_or("must be a list, like [\"email\"]")?;
                p.account_fields = list.iter().map(text).collect::<Result<_, _>>()?;
            }
            _ => return Err(unknown_key(key)),
        }
        Ok(())
    }

    /// `host` or `host:port`: letters, digits, `.` and `-`, as git sends them.
    fn valid_git_host(host: &str) -> bool {
        let (name, port) = match host.rsplit_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        };
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            && port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0))
    }

    fn unknown_key(key: &str) -> String {
        match KEYS
            .split_whitespace()
            .find(|known| distance(key, known) <= 2)
        {
            Some(known) => format!("unknown key; did you mean `{known}`?"),
            None => format!(
                "unknown key; the keys are: {}",
                KEYS.split_whitespace().collect::<Vec<_>>().join(", ")
            ),
        }
    }

    /// Levenshtein distance, for "did you mean".
    fn distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut diagonal = row[0];
            row[0] = i + 1;
            for (j, cb) in b.iter().enumerate() {
                let above = row[j + 1];
                row[j + 1] = (above + 1)
                    .min(row[j] + 1)
                    .min(diagonal + usize::from(ca != *cb));
                diagonal = above;
            }
        }
        row[b.len()]
    }

    fn text(value: &toml::Value) -> Result<String, String> {
        match value.as_str().map(str::trim) {
            None => Err("must be text in quotes, like \"example\"".into()),
            Some("") => Err("must not be empty".into()),
            Some(text) => Ok(text.to_string()),
        }
    }

    fn boolean(value: &toml::Value) -> Result<bool, String> {
        value
            .as_bool()
            .ok_or_else(|| "must be true or false".into())
    }

    fn endpoint(value: &toml::Value, placeholders: &[&str]) -> Result<String, String> {
        let raw = text(value)?;
        check_endpoint(&raw, placeholders).map_err(|problem| problem.to_string())?;
        Ok(raw)
    }

    fn env_name(value: &toml::Value) -> Result<String, String> {
        let name = text(value)?;
        if !crate::credentials::is_env_name(&name) {
            return Err("must be an environment variable name, like \"GITLAB_CLIENT_ID\"".into());
        }
        Ok(name)
    }

    /// A list (or one string), split on spaces and commas so `"repo, read:org"`
    /// still becomes two scopes.
    fn scopes(value: &toml::Value) -> Result<Vec<String>, String> {
        let message = "must be a list, like [\"read\", \"write\"]";
        let items: Vec<&str> = match (value.as_str(), value.as_array()) {
            (Some(one), _) => vec![one],
            (_, Some(list)) => list
                .iter()
                .map(|v| v.as_str().ok_or(message))
                .collect::<Result<_, _>>()?,
            _ => return Err(message.into()),
        };
        let split = items.into_iter().flat_map(|item| item.split([' ', ',']));
        Ok(split.filter(|s| !s.is_empty()).map(String::from).collect())
    }

    fn ports(value: &toml::Value) -> Result<Vec<u16>, String> {
        let message = "must be a list of port numbers, like [53682, 53683]";
        let mut ports: Vec<u16> = Vec::new();
        for item in value.as_array().ok_or(message)? {
            let port = item.as_integer().and_then(|n| u16::try_from(n).ok());
            match port.filter(|n| *n > 0) {
                Some(port) if !ports.contains(&port) => ports.push(port),
                Some(_) => {}
                None => return Err(message.into()),
            }
        }
        Ok(ports)
    }

    fn text_table(value: &toml::Value) -> Result<Vec<(String, String)>, String> {
        let message = "must be a table of text, like { hd = \"example.com\" }";
        let table = value.as_table().ok_or(message)?;
        let text =
            |(k, v): (&String, &toml::Value)| Ok((k.clone(), v.as_str().ok_or(message)?.into()));
        table.iter().map(text).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Catalog {
        Catalog::from_toml_str(Path::new("/x/providers.toml"), text)
    }

    fn configured_id(p: &Provider) -> Option<&str> {
        p.configured.client_id.as_ref().map(|(id, _)| id.as_str())
    }

    fn layer(origin: Origin, text: &str) -> Layer<'_> {
        let file = match &origin {
            Origin::BuiltIn => PathBuf::from(BAKED_LABEL),
            Origin::SystemFile(f) | Origin::YourFile(f) => f.clone(),
        };
        Layer { origin, file, text }
    }

    #[test]
    fn each_layer_overrides_the_one_below_and_remembers_where_a_value_came_from() {
        let system = Origin::SystemFile("/etc/authdeck/providers.toml".into());
        let yours = Origin::YourFile("/home/ada/.config/authdeck/providers.toml".into());
        let catalog = Catalog::from_layers(&[
            layer(
                Origin::BuiltIn,
                "[google]\nclient_id = \"baked.apps.googleusercontent.com\"\nclient_secret = \"GOCSPX-baked\"\n[github]\nclient_id = \"Ov23baked\"\n",
            ),
            layer(
                system.clone(),
                "[github]\nclient_id = \"Ov23org\"\n[zoom]\naccount_id = \"org-acc\"\n",
            ),
            layer(yours.clone(), "[zoom]\nclient_id = \"mine\"\n"),
        ]);
        assert!(catalog.problems.is_empty(), "{:#?}", catalog.problems);
        let get = |id: &str| catalog.get(id).expect("service").configured.clone();
        assert_eq!(
            get("google").client_id,
            Some(("baked.apps.googleusercontent.com".into(), Origin::BuiltIn))
        );
        let secret = get("google").client_secret.expect("preset secret");
        assert_eq!(secret.0.secret(), "GOCSPX-baked");
        assert_eq!(
            get("github").client_id,
            Some(("Ov23org".into(), system.clone()))
        );
        assert_eq!(get("zoom").account_id, Some(("org-acc".into(), system)));
        assert_eq!(get("zoom").client_id, Some(("mine".into(), yours)));
    }

    #[test]
    fn a_preset_secret_is_only_for_services_whose_desktop_secret_is_public() {
        let system = Origin::SystemFile("/etc/authdeck/providers.toml".into());
        let catalog = Catalog::from_layers(&[layer(
            system,
            "[github]\nclient_id = \"Ov23\"\nclient_secret = \"real-secret\"\n",
        )]);
        let problem = only_problem(&catalog);
        assert_eq!(problem.key.as_deref(), Some("client_secret"));
        assert!(problem.message.contains("like Google"), "{problem}");
        assert!(catalog
            .get("github")
            .expect("github")
            .configured
            .client_id
            .is_none());
        // The person's own file never holds a secret, not even Google's.
        let mine = load("[google]\nclient_secret = \"GOCSPX-x\"\n");
        assert!(only_problem(&mine)
            .message
            .contains("Secrets never go in providers.toml"));
    }

    #[cfg(unix)]
    #[test]
    fn a_system_file_others_can_write_is_refused_and_named() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("authdeck-system-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let file = dir.join(CONFIG_FILE);
        std::fs::write(&file, "[github]\nclient_id = \"Ov23org\"\n").expect("write");
        let empty = dir.join("none");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let trusted = Catalog::load(&empty, &dir);
        assert!(trusted.problems.is_empty(), "{:#?}", trusted.problems);
        assert_eq!(
            configured_id(trusted.get("github").expect("github")),
            Some("Ov23org")
        );
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).expect("chmod");
        let refused = Catalog::load(&empty, &dir);
        let problem = only_problem(&refused);
        assert!(
            problem.to_string().contains(&file.display().to_string()),
            "{problem}"
        );
        assert!(
            problem.message.contains("can be changed by other users"),
            "{problem}"
        );
        assert_eq!(configured_id(refused.get("github").expect("github")), None);
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn only_problem(catalog: &Catalog) -> &ConfigProblem {
        assert_eq!(catalog.problems.len(), 1, "{:#?}", catalog.problems);
        &catalog.problems[0]
    }

    fn clean(text: &str) -> Catalog {
        let catalog = load(text);
        assert!(catalog.problems.is_empty(), "{:#?}", catalog.problems);
        catalog
    }

    #[test]
    fn contract_example_points_github_at_a_local_fake() {
        let catalog = clean(
            r#"[github]
            authorize_url = "http://127.0.0.1:4000/login/oauth/authorize"
            token_url = "http://127.0.0.1:4000/login/oauth/access_token"
            revoke_url = "http://127.0.0.1:4000/applications/{client_id}/token"
            userinfo_url = "http://127.0.0.1:4000/user"
            "#,
        );
        let github = catalog.get("github").expect("github");
        let token = github.token_url.as_deref();
        assert_eq!(
            token,
            Some("http://127.0.0.1:4000/login/oauth/access_token")
        );
        let shipped = &builtin_providers()[4];
        assert_eq!(github.revoke_style, shipped.revoke_style);
        assert_eq!(github.scopes, shipped.scopes);
        assert_eq!(catalog.providers.len(), 6);
    }

    #[test]
    fn override_merges_only_given_keys() {
        let catalog = clean(
            "[google]\nclient_id = \"123.apps\"\nscopes = \"openid, email\"\n\
             extra_authorize_params = { hd = \"example.com\", prompt = \"\" }\n\
             [microsoft]\nname = \"Work Microsoft\"\nredirect_host = \"127.0.0.1\"\n",
        );
        let google = catalog.get("google").expect("google");
        assert_eq!(configured_id(google), Some("123.apps"));
        assert_eq!(google.scopes, ["openid", "email"]);
        let params: Vec<_> = google
            .extra_authorize_params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        assert_eq!(
            params,
            [
                "access_type=offline",
                "include_granted_scopes=true",
                "hd=example.com"
            ]
        );
        assert_eq!(google.token_url, builtin_providers()[0].token_url);
        let ms = catalog.get("microsoft").expect("microsoft");
        assert_eq!(ms.redirect_host, RedirectHost::Loopback);
        assert!(
            ms.revoke_note.starts_with("Work Microsoft offers"),
            "{}",
            ms.revoke_note
        );
    }

    #[test]
    fn bad_override_keeps_builtin_and_reports_key() {
        let catalog = load(
            "[github]\nclient_id = \"mine\"\ntoken_url = \"http://github.example/token\"\n\
             [zoom]\nclient_id = \"z\"\n",
        );
        let problem = only_problem(&catalog);
        assert_eq!(catalog.get("github"), Some(&builtin_providers()[4]));
        assert_eq!(catalog.problem_for("github"), Some(problem));
        assert_eq!(problem.key.as_deref(), Some("token_url"));
        let zoom = catalog.get("zoom").expect("zoom");
        assert_eq!(configured_id(zoom), Some("z"));
        assert_eq!(catalog.problem_for("zoom"), None);
    }

    #[test]
    fn problem_display_names_file_service_and_key() {
        let catalog = load("[github]\ntoken_url = \"http://github.example/token\"\n");
        assert_eq!(
            only_problem(&catalog).to_string(),
            "/x/providers.toml, service `github`, key `token_url`: must be \
             https (or http://127.0.0.1, http://[::1] or http://localhost for a local server)"
        );
    }

    #[test]
    fn secret_in_file_is_refused() {
        let keys = "client_secret api_key token refresh_token access_token password Client-Secret";
        for key in keys.split(' ') {
            let catalog = load(&format!("[notion]\n{key} = \"hunter2\"\n"));
            let problem = only_problem(&catalog);
            assert_eq!(problem.key.as_deref(), Some(key));
            let message = &problem.message;
            assert!(
                message.starts_with("Secrets never go in providers.toml"),
                "{message}"
            );
            assert!(!problem.to_string().contains("hunter2"));
        }
        let with_password = "[dropbox]\ntoken_url = \"https://u:p@dropbox.example/t\"\n";
        let catalog = load(with_password);
        assert!(only_problem(&catalog)
            .message
            .contains("user name or password"));
    }

    #[test]
    fn http_endpoint_is_refused_except_loopback() {
        let cases = [
            ("http://127.0.0.1:9/t", true),
            ("http://localhost/t", true),
            ("https://corp.example/t", true),
            ("http://corp.example/t", false),
            ("http://127.0.0.2/t", false),
            ("ftp://corp.example/t", false),
            ("https://corp.example/t#frag", false),
            ("not a url", false),
        ];
        for (url, ok) in cases {
            assert_eq!(check_endpoint(url, &[]).is_ok(), ok, "{url}");
            let catalog = load(&format!("[dropbox]\ntoken_url = \"{url}\"\n"));
            assert_eq!(catalog.problems.is_empty(), ok, "{url}");
        }
    }

    #[test]
    fn unknown_key_is_named_with_a_suggestion() {
        let catalog = load("[github]\nauthorize_uri = \"https://github.com/x\"\n");
        let problem = only_problem(&catalog);
        assert_eq!(problem.key.as_deref(), Some("authorize_uri"));
        assert!(
            problem.message.contains("did you mean `authorize_url`"),
            "{problem}"
        );
        let catalog = load("[github]\nflavour = \"x\"\n");
        assert!(only_problem(&catalog)
            .message
            .contains("the keys are: name,"));
    }

    #[test]
    fn wrong_values_are_refused_with_the_key() {
        for line in [
            "redirect_host = \"0.0.0.0\"",
            "token_auth = \"jwt\"",
            "redirect_ports = [0]",
            "redirect_ports = [70000]",
            "pkce = \"yes\"",
            "client_id_env = \"MY VAR\"",
            "redirect_path = \"callback\"",
            "extra_authorize_params = { response_type = \"token\" }",
            "revoke_url = \"https://corp.example/{tenant}\"",
        ] {
            let catalog = load(&format!("[github]\n{line}\n"));
            let key = line.split(' ').next();
            assert_eq!(only_problem(&catalog).key.as_deref(), key, "{line}");
        }
    }

    #[test]
    fn custom_service_needs_name_and_endpoints_or_issuer() {
        let catalog = load("[gitlab]\nauthorize_url = \"https://gitlab.com/oauth/authorize\"\n");
        let keys: Vec<_> = catalog.problems.iter().map(|p| p.key.as_deref()).collect();
        assert_eq!(keys, [Some("name"), None]);
        assert!(catalog.get("gitlab").is_none() && catalog.problem_for("gitlab").is_some());
        let catalog = clean(
            "[gitlab]\nname = \"GitLab\"\nauthorize_url = \"https://gitlab.com/oauth/authorize\"\n\
             token_url = \"https://gitlab.com/oauth/token\"\ntoken_auth = \"basic\"\n\
             revoke_url = \"https://gitlab.com/oauth/revoke\"\nscopes = [\"read_user\"]\n",
        );
        let gitlab = catalog.providers.last().expect("gitlab last");
        assert_eq!(
            (gitlab.id.as_str(), gitlab.monogram.as_str()),
            ("gitlab", "G")
        );
        assert!(!gitlab.builtin && !gitlab.needs_discovery && gitlab.pkce);
        assert_eq!(gitlab.revoke_style, RevokeStyle::Rfc7009);
        assert_eq!(
            gitlab.revoke_note,
            "GitLab will be told to cancel Authdeck's access."
        );
    }

    #[test]
    fn custom_issuer_only_is_marked_for_discovery() {
        let catalog = clean("[corp-sso]\nname = \"Corp SSO\"\nissuer = \"https://sso.example\"\n");
        let corp = catalog.get("corp-sso").expect("corp");
        assert!(corp.needs_discovery && corp.authorize_url.is_none());
        assert_eq!(corp.scopes, ["openid", "email", "profile"]);
        assert_eq!(corp.monogram, "CS");
    }

    #[test]
    fn bad_service_id_is_refused() {
        let catalog = load("[GitLab]\nname = \"GitLab\"\nissuer = \"https://gitlab.com\"\n");
        assert_eq!(only_problem(&catalog).service.as_deref(), Some("GitLab"));
        assert_eq!(catalog.providers.len(), 6);
        let catalog = load("stray = 1\n");
        assert!(only_problem(&catalog).message.contains("`[stray]`"));
    }

    #[test]
    fn invalid_toml_reports_line_and_keeps_builtins() {
        let catalog = load("[github]\nclient_id = \"a\"\nscopes = = [\"repo\"]\n");
        let problem = only_problem(&catalog);
        assert_eq!((&problem.service, &problem.key), (&None, &None));
        assert!(problem.message.starts_with("line 3, column "), "{problem}");
        assert_eq!(catalog.providers, builtin_providers());
    }

    #[test]
    fn load_reads_the_file_in_the_config_dir_and_tolerates_none() {
        let name = format!("authdeck-provider-test-{}", std::process::id());
        let dir = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let empty = Catalog::load(&dir, &dir.join("no-system"));
        assert!(empty.problems.is_empty() && empty.providers.len() == 6);
        let written = std::fs::write(dir.join(CONFIG_FILE), "[zoom]\nclient_id = \"f\"\n");
        let catalog = Catalog::load(&dir, &dir.join("no-system"));
        let _ = std::fs::remove_dir_all(&dir);
        written.expect("write");
        let zoom = catalog.get("zoom").expect("zoom");
        assert_eq!(configured_id(zoom), Some("f"));
    }
}
