//! `authdeck`: the command-line tool. It depends on the engine and clap, never
//! on a GUI library (a test checks `ldd`), so scripts start in milliseconds and
//! it runs where no WebKit is installed. With no subcommand it starts the
//! window, `authdeck-app`; with one, no window ever opens. Exit codes: 0 success, 1 failure (message on
//! stderr), 2 usage error, 4 the service needs the person to sign in.
//! `authdeck token` prints the token and nothing else.

use authdeck_core::accounts::{
    Accounts, ConnectEvent, ConnectOptions, State, Status, Which, DEFAULT_CONNECT_TIMEOUT,
};
use authdeck_core::credentials::{Credentials, Source};
use authdeck_core::error::Error;
use authdeck_core::token::unix_now;
use clap::{Parser, Subcommand};

mod exec;
mod git;
mod notify;
mod watch;
mod window;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "authdeck",
    version,
    about = "Connect your cloud accounts once; use them from the desktop and from scripts.",
    after_help = "With no command, the Authdeck window opens.\n\nExit codes: 0 success; 1 failure (a plain message on stderr); 2 usage error; 4 the service needs you to sign in (not connected, or its sign-in must be renewed), so a script can tell \"go sign in\" from \"the network is down\"."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// List the services Authdeck knows.
    Services,
    /// Show which services are connected, as whom, and until when.
    Status {
        /// One JSON array for scripts; never contains a token.
        #[arg(long)]
        json: bool,
        /// Only this account (as shown: an email address or a login), of
        /// SERVICE.
        #[arg(long, value_name = "ACCOUNT", requires = "service", value_parser = account_name)]
        account: Option<String>,
        /// Only this service.
        service: Option<String>,
    },
    /// Sign in to a service through your browser (or a Server-to-Server app).
    Connect {
        service: String,
        /// Do not open a browser; print the link to open yourself.
        #[arg(long)]
        no_browser: bool,
        /// Seconds to wait for the sign-in to finish.
        #[arg(long, default_value_t = DEFAULT_CONNECT_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..=3600))]
        timeout: u64,
        /// Sign in on another device with a code, for a computer without a
        /// browser (GitHub, Microsoft, Google's limited-input clients).
        #[arg(long, conflicts_with = "no_browser")]
        device: bool,
        /// Ask for this permission too, on top of the ones the account has
        /// (repeatable): e.g. --scope https://www.googleapis.com/auth/drive.file
        #[arg(long = "scope", value_name = "SCOPE", conflicts_with = "device")]
        scopes: Vec<String>,
    },
    /// Print a valid access token (refreshed if due) and nothing else.
    Token {
        service: String,
        /// This account instead of the default one (as `authdeck status` shows it).
        #[arg(long, value_name = "ACCOUNT", value_parser = account_name)]
        account: Option<String>,
        /// The token must stay valid at least this many more seconds
        /// (renewed first if not; exit 1 if the service cannot give that).
        #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(0..=31_536_000))]
        min_valid: Option<u64>,
        /// Print {access_token, expires_at, scopes, account} as JSON, for programs that cache.
        #[arg(long)]
        json: bool,
    },
    /// Run COMMAND with each service's token in its environment variable
    /// (GITHUB_TOKEN, GOOGLE_OAUTH_ACCESS_TOKEN, …), refreshed first; nothing
    /// is written to disk, and the command's exit code is authdeck's.
    #[command(trailing_var_arg = true)]
    Exec {
        /// One service, or several separated by commas (github,google).
        services: String,
        /// The variable for the token instead of the service's own: NAME for
        /// one service, SERVICE=NAME to pick one of several. Repeatable.
        #[arg(long = "env", value_name = "NAME")]
        env: Vec<String>,
        /// The command and its arguments, after `--`.
        #[arg(required = true, allow_hyphen_values = true, value_name = "COMMAND")]
        command: Vec<String>,
    },
    /// Cancel access at the service when it allows, and forget the sign-in here.
    Logout {
        service: String,
        /// The account to log out, when the service has several.
        #[arg(long, value_name = "ACCOUNT", value_parser = account_name)]
        account: Option<String>,
        /// Log every account of the service out.
        #[arg(long, conflicts_with = "account")]
        all: bool,
    },
    /// Keep every connection alive in the background and tell you (desktop
    /// notifications) before one stops working. Runs until stopped.
    Watch {
        /// Start the keeper at every login (an XDG autostart entry), then exit.
        #[arg(long, conflicts_with = "uninstall")]
        install: bool,
        /// Stop starting the keeper at login, then exit.
        #[arg(long)]
        uninstall: bool,
    },
    /// Make ACCOUNT the one `authdeck token SERVICE` gives when no account is named.
    Switch {
        service: String,
        #[arg(value_parser = account_name)]
        account: String,
    },
    /// git's credential helper (git runs this; see `authdeck setup-git`).
    #[command(name = "git-credential")]
    GitCredential {
        #[arg(value_parser = ["get", "store", "erase"])]
        action: String,
    },
    /// Make git sign in with Authdeck for the hosts a service serves
    /// (GitHub: github.com), in your global git config.
    #[command(name = "setup-git")]
    SetupGit {
        /// Only this service (default: every service that serves git hosts).
        service: Option<String>,
        /// Take Authdeck out of your git config again.
        #[arg(long)]
        remove: bool,
    },
    /// Client credentials for a service (kept in your keyring).
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
}

#[derive(Subcommand)]
enum ConfigAction {
    /// Save a value: client_id, client_secret or account_id. Omit VALUE to read it from stdin.
    Set {
        service: String,
        #[arg(value_parser = ["client_id", "client_secret", "account_id"])]
        key: String,
        value: Option<String>,
    },
    /// Show what a service is set up with (secrets masked).
    Show { service: String },
}

/// Like `eprintln!`, but a closed or broken stderr (`2>&-`, a pipe into `head`)
/// never panics: losing a progress line must not kill a sign-in in progress.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `println!` that tolerates a closed stdout (`authdeck status | head -1`).
macro_rules! put {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

fn main() {
    std::process::exit(run_cli());
}

/// Parses the command line and runs it; returns the process exit code.
fn run_cli() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let Some(command) = cli.command else {
        return window::open();
    };
    authdeck_core::logging::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            say!("authdeck: could not start: {e}");
            return 1;
        }
    };
    match runtime.block_on(run(command)) {
        Ok(()) => 0,
        Err(e) => {
            say!("authdeck: {e}");
            if e.needs_sign_in() {
                4
            } else if matches!(e, Error::AccountRequired { .. }) {
                // The command line did not say enough: a usage error.
                2
            } else {
                1
            }
        }
    }
}

async fn run(command: Command) -> Result<(), Error> {
    let accounts = Arc::new(Accounts::from_environment()?);
    for problem in &accounts.catalog().problems {
        say!("authdeck: warning: {problem}");
    }
    match command {
        Command::Services => {
            for p in &accounts.catalog().providers {
                put!("{:<12} {}", p.id, p.name);
            }
            Ok(())
        }
        Command::Status {
            json,
            account,
            service,
        } => {
            let mut all = match &service {
                Some(id) => vec![accounts.status(id, unix_now()).await?],
                None => accounts.status_all(unix_now()).await?,
            };
            if let (Some(name), Some(status)) = (&account, all.first_mut()) {
                only_account(status, name)?;
            }
            if json {
                put!("{}", status_json(&all));
            } else {
                print_status_table(&all, unix_now());
            }
            Ok(())
        }
        Command::Watch { install, uninstall } => {
            if install || uninstall {
                return watch::autostart(install);
            }
            watch::run(Arc::clone(&accounts)).await
        }
        Command::Switch { service, account } => {
            let name = accounts.provider(&service)?.name.clone();
            let label = accounts.switch(&service, &account).await?;
            put!("{label} is now your default {name} account.");
            Ok(())
        }
        Command::Connect {
            service,
            no_browser,
            timeout,
            device,
            scopes,
        } => {
            let name = accounts.provider(&service)?.name.clone();
            if device {
                return connect_device(&accounts, &service, Duration::from_secs(timeout)).await;
            }
            if !no_browser && no_browser_here() && accounts.has_device_flow(&service) {
                say!("There is no display or $BROWSER here to open a browser with. To sign in on another device instead, run: authdeck connect {service} --device");
            }
            let options = ConnectOptions {
                open_browser: !no_browser,
                timeout: Duration::from_secs(timeout),
                extra_scopes: scopes,
                on_event: Box::new(move |event| match event {
                    ConnectEvent::Url(url) => {
                        if no_browser {
                            say!(
                                "Open this link in your browser to sign in to {name}:\n\n  {url}\n"
                            );
                        } else {
                            say!("Opening your browser to sign in to {name}. If it does not open, visit:\n\n  {url}\n");
                        }
                        say!("Waiting for you to finish signing in…");
                    }
                    ConnectEvent::BrowserFailed(why) => {
                        say!("Could not open a browser ({why}). Open the link above yourself.");
                    }
                }),
            };
            let served = accounts.connect(&service, options).await?;
            let status = accounts.status(&service, unix_now()).await?;
            say_connected(&status, served.account.as_deref());
            Ok(())
        }
        Command::Token {
            service,
            account,
            min_valid,
            json,
        } => {
            let margin = authdeck_core::token::REFRESH_MARGIN_SECS;
            let secs = min_valid.map_or(margin, |s| s.max(margin));
            let served = accounts
                .token_valid_for(&service, account.as_deref(), unix_now(), secs)
                .await?;
            let text = if json {
                // Built here, from the one place that holds the token, on purpose:
                // no view type that could be serialised elsewhere carries it.
                serde_json::json!({
                    "access_token": served.access_token.secret(),
                    "expires_at": served.expires_at,
                    "scopes": served.scopes,
                    "account": served.account,
                })
                .to_string()
            } else {
                served.access_token.secret().to_owned()
            };
            let mut out = std::io::stdout().lock();
            writeln!(out, "{text}")
                .map_err(|e| Error::Other(format!("could not write the token ({e})")))?;
            Ok(())
        }
        Command::Exec {
            services,
            env,
            command,
        } => exec::run(&accounts, &services, &env, &command).await,
        Command::Logout {
            service,
            account,
            all,
        } => {
            let which = match (&account, all) {
                (_, true) => Which::All,
                (Some(name), false) => Which::Account(name),
                (None, false) => Which::Only,
            };
            for outcome in accounts.logout(&service, which).await? {
                put!("{}", outcome.message);
            }
            Ok(())
        }
        Command::Config { action } => config(&accounts, action).await,
        Command::GitCredential { action } => git::credential(&accounts, &action).await,
        Command::SetupGit { service, remove } => git::setup(&accounts, service.as_deref(), remove),
    }
}

async fn config(accounts: &Accounts, action: ConfigAction) -> Result<(), Error> {
    match action {
        ConfigAction::Set {
            service,
            key,
            value,
        } => {
            let provider = accounts.provider(&service)?.clone();
            let value = match value {
                Some(v) => v,
                None => read_value(&key, &provider.name)?,
            };
            // Advice, not a refusal: a service may change its formats.
            let field = authdeck_core::setup::Field::from_key(&key);
            if let Some(said) =
                field.and_then(|f| authdeck_core::setup::check(&provider, f, &value))
            {
                say!("authdeck: warning: {said}");
            }
            let (id, secret, account) = match key.as_str() {
                "client_id" => (Some(value), None, None),
                "client_secret" => (None, Some(value), None),
                _ => (None, None, Some(value)),
            };
            accounts.save_client(&service, id, secret, account).await?;
            put!("Saved {key} for {} in your keyring.", provider.name);
            Ok(())
        }
        ConfigAction::Show { service } => {
            let provider = accounts.provider(&service)?.clone();
            let creds = accounts.credentials(&provider).await?;
            put!("{} ({})", provider.name, provider.id);
            put!(
                "  client_id      {}",
                shown(creds.client_id.as_ref().map(|(v, s)| (v.clone(), s)))
            );
            put!(
                "  client_secret  {}",
                masked(creds.client_secret.as_ref().map(|(_, s)| s))
            );
            if provider.account_id_env.is_some() {
                put!(
                    "  account_id     {}",
                    shown(creds.account_id.as_ref().map(|(v, s)| (v.clone(), s)))
                );
            }
            if let Some(var) = &provider.api_key_env {
                let state = if creds.api_key.is_some() {
                    "set (hidden)"
                } else {
                    "not set"
                };
                put!("  {var:<14} {state}");
            }
            put!("  ready to       {}", abilities(&creds, &provider));
            // What to register in the service's console, exactly.
            for (i, address) in provider.redirect_addresses().iter().enumerate() {
                let label = if i == 0 { "redirect" } else { "" };
                put!("  {label:<14} {address}");
            }
            Ok(())
        }
    }
}

fn abilities(creds: &Credentials, provider: &authdeck_core::provider::Provider) -> String {
    let mut can = Vec::new();
    if creds.can_sign_in(provider) {
        can.push("sign in with the browser");
    }
    if creds.unattended(provider).is_some() {
        can.push("get tokens without a person");
    }
    if creds.api_key.is_some() {
        can.push("use the API key");
    }
    if can.is_empty() {
        format!("nothing yet — {}", creds.what_to_set(provider))
    } else {
        can.join(", ")
    }
}

fn shown(value: Option<(String, &Source)>) -> String {
    match value {
        Some((v, source)) => format!("{v} ({})", source.describe()),
        None => "not set".to_owned(),
    }
}

fn masked(source: Option<&Source>) -> String {
    match source {
        Some(source) => format!("set, hidden ({})", source.describe()),
        None => "not set".to_owned(),
    }
}

/// `connect --device`: the code to enter elsewhere, then the wait, which
/// Ctrl-C ends without saving anything.
async fn connect_device(
    accounts: &Accounts,
    service: &str,
    timeout: Duration,
) -> Result<(), Error> {
    let show = |code: &authdeck_core::accounts::DeviceCode| {
        say!(
            "To sign in, open {} on any device and enter the code:\n\n  {}\n",
            code.verification_uri,
            code.user_code
        );
        if let Some(complete) = &code.verification_uri_complete {
            say!("Or open this address, which has the code in it:\n\n  {complete}\n");
        }
        say!("Waiting for you to finish signing in (Ctrl-C to stop)…");
    };
    tokio::select! {
        connected = accounts.connect_device(service, timeout, show) => {
            connected?;
        }
        _ = tokio::signal::ctrl_c() => {
            return Err(Error::Callback(authdeck_core::loopback::LoopbackError::Cancelled));
        }
    }
    let status = accounts.status(service, unix_now()).await?;
    let account = status.account.clone();
    say_connected(&status, account.as_deref());
    Ok(())
}

/// "Connected Google as ada@example.com.", and what the service did not grant.
fn say_connected(status: &Status, account: Option<&str>) {
    match account {
        Some(account) => put!("Connected {} as {account}.", status.name),
        None => put!("Connected {}.", status.name),
    }
    let shown = status
        .accounts
        .iter()
        .find(|a| a.account.as_deref() == account)
        .or_else(|| status.accounts.iter().find(|a| a.default));
    if let Some(a) = shown {
        if !a.missing_scopes.is_empty() {
            say!(
                "{} did not grant every permission asked for; missing: {}. Connect again and allow them if you need them.",
                status.name,
                a.missing_scopes.join(", ")
            );
        }
    }
}

/// An account name from the command line: not empty, no control characters.
fn account_name(text: &str) -> Result<String, String> {
    authdeck_core::roster::check_account_name(text)
        .map(str::to_owned)
        .map_err(|e| e.to_string())
}

/// Narrows a service's status to one account, which then stands at the top level.
fn only_account(status: &mut Status, name: &str) -> Result<(), Error> {
    let wanted = (name != authdeck_core::roster::UNNAMED).then_some(name);
    let found = status
        .accounts
        .iter()
        .find(|a| match (a.account.as_deref(), wanted) {
            (Some(mine), Some(theirs)) => mine.eq_ignore_ascii_case(theirs),
            (None, None) => true,
            _ => false,
        });
    let Some(a) = found.cloned() else {
        return Err(Error::UnknownAccount {
            name: status.name.clone(),
            account: name.to_owned(),
            known: status.accounts.iter().map(|a| a.label.clone()).collect(),
        });
    };
    status.state = a.state;
    status.method = Some(a.method);
    status.account = a.account.clone();
    status.scopes = a.scopes.clone();
    status.missing_scopes = a.missing_scopes.clone();
    status.expires_at = a.expires_at;
    status.has_refresh_token = a.has_refresh_token;
    status.message = a.message.clone();
    status.accounts = vec![a];
    Ok(())
}

/// No display to open a browser on, and no `$BROWSER` to run instead (a
/// server, an SSH session).
fn no_browser_here() -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    cfg!(all(unix, not(target_os = "macos")))
        && !set("DISPLAY")
        && !set("WAYLAND_DISPLAY")
        && !set("BROWSER")
}

/// Reads a value from stdin: one line, trimmed. Secrets never go on the command line.
fn read_value(key: &str, name: &str) -> Result<String, Error> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!(
            "Paste the {} for {name} and press Enter: ",
            key.replace('_', " ")
        );
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| Error::Other(format!("could not read the value from stdin ({e})")))?;
    let value = line.trim().to_owned();
    if value.is_empty() {
        return Err(Error::Other(format!("no {key} was given: pass it on stdin, e.g. `printf %s VALUE | authdeck config set SERVICE {key}`")));
    }
    Ok(value)
}

/// The `status --json` document: only non-secret fields, by construction.
pub fn status_json(all: &[Status]) -> String {
    let array: Vec<serde_json::Value> = all
        .iter()
        .map(|s| {
            let state = match s.state {
                // Scripts see the four documented states; an attempt in flight is still "not connected".
                State::Connecting => State::NotConnected,
                State::Error => State::NotConfigured,
                other => other,
            };
            let accounts: Vec<serde_json::Value> = s
                .accounts
                .iter()
                .map(|a| {
                    serde_json::json!({
                        "account": a.label,
                        "default": a.default,
                        "state": a.state,
                        "method": a.method.as_str(),
                        "scopes": a.scopes,
                        "missing_scopes": a.missing_scopes,
                        "expires_at": a.expires_at,
                        "has_refresh_token": a.has_refresh_token,
                    })
                })
                .collect();
            serde_json::json!({
                "service": s.service,
                "name": s.name,
                "state": state,
                "method": s.method.map(|m| m.as_str()),
                "account": s.account,
                "scopes": s.scopes,
                "missing_scopes": s.missing_scopes,
                "expires_at": s.expires_at,
                "has_refresh_token": s.has_refresh_token,
                "accounts": accounts,
            })
        })
        .collect();
    serde_json::to_string_pretty(&array).unwrap_or_else(|_| "[]".to_owned())
}

fn print_status_table(all: &[Status], now: u64) {
    put!(
        "{:<12} {:<16} {:<28} EXPIRES",
        "SERVICE",
        "STATE",
        "ACCOUNT"
    );
    let several = all.iter().any(|s| s.accounts.len() > 1);
    for s in all {
        if s.accounts.len() > 1 {
            for (i, a) in s.accounts.iter().enumerate() {
                let service = if i == 0 { s.service.as_str() } else { "" };
                let account = if a.default {
                    format!("{} (default)", a.label)
                } else {
                    a.label.clone()
                };
                put!(
                    "{:<12} {:<16} {:<28} {}",
                    service,
                    state_words(a.state),
                    account,
                    expires_words(a.state, a.expires_at, now)
                );
                if let Some(message) = &a.message {
                    put!("{:<12} {message}", "");
                }
            }
            continue;
        }
        put!(
            "{:<12} {:<16} {:<28} {}",
            s.service,
            state_words(s.state),
            s.account.as_deref().unwrap_or("-"),
            expires_words(s.state, s.expires_at, now)
        );
        if let Some(message) = &s.message {
            if s.state != State::Connected {
                put!("{:<12} {message}", "");
            }
        }
    }
    if several {
        put!("\n`authdeck token SERVICE` gives the default account; pass --account for another.");
    }
}

fn state_words(state: State) -> &'static str {
    match state {
        State::NotConfigured => "not set up",
        State::NotConnected => "not connected",
        State::Connecting => "connecting",
        State::Connected => "connected",
        State::NeedsReconnect => "needs reconnect",
        State::Error => "error",
    }
}

fn expires_words(state: State, expires_at: Option<u64>, now: u64) -> String {
    match (state, expires_at) {
        (State::Connected, None) => "never".to_owned(),
        (State::Connected, Some(at)) if at > now => format!("in {}", human_duration(at - now)),
        (State::Connected, Some(_)) => "due for refresh".to_owned(),
        _ => String::new(),
    }
}

fn human_duration(secs: u64) -> String {
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3599 => format!("{} min", secs / 60),
        3600..=172_799 => format!("{} h {} min", secs / 3600, (secs % 3600) / 60),
        _ => format!("{} days", secs / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(42), "42 s");
        assert_eq!(human_duration(42 * 60), "42 min");
        assert_eq!(human_duration(3600 + 120), "1 h 2 min");
        assert_eq!(human_duration(3 * 86_400), "3 days");
    }
}
