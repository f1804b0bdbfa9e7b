//! git's credential-helper protocol (`authdeck git-credential get|store|erase`)
//! and `authdeck setup-git`, which puts the helper in the person's global git
//! config for the hosts a connected service serves (catalog `git_hosts`).
//!
//! stdout carries the protocol and nothing else: git reads it. A host no
//! service serves gets no answer at all, so git asks its next helper. `store`
//! keeps nothing (the keyring already has the sign-in) and `erase`, which git
//! sends after any 401, does not log out. Plain http is answered only for a
//! loopback host (local servers and tests), never across a network.

use std::io::{Read, Write};

use authdeck_core::accounts::Accounts;
use authdeck_core::error::Error;
use authdeck_core::provider::Provider;
use authdeck_core::token::unix_now;

/// git sends a few short lines; anything longer is not git.
const MAX_INPUT: u64 = 64 * 1024;

/// What git asks about, from its `key=value` lines.
#[derive(Debug, Default, PartialEq, Eq)]
struct Request {
    protocol: Option<String>,
    host: Option<String>,
    username: Option<String>,
}

pub async fn credential(accounts: &Accounts, action: &str) -> Result<(), Error> {
    let mut input = String::new();
    std::io::stdin()
        .take(MAX_INPUT)
        .read_to_string(&mut input)
        .map_err(|e| Error::Other(format!("could not read what git sent ({e})")))?;
    if action != "get" {
        // store: the keyring already holds the sign-in. erase: git sends it
        // after any refused push; that is no reason to log the person out.
        return Ok(());
    }
    let request = parse(&input);
    let Some(provider) = serving(accounts, &request) else {
        return Ok(());
    };
    if let (Some(asked), Some(status)) = (
        request.username.as_deref(),
        accounts.status(&provider.id, unix_now()).await.ok(),
    ) {
        // A username for another account: not ours to answer (one account per
        // service today).
        if status.account.as_deref().is_some_and(|a| a != asked) && asked != USERNAME {
            return Ok(());
        }
    }
    let served = accounts.token(&provider.id, unix_now()).await?;
    let username = request
        .username
        .clone()
        .or(served.account.clone())
        .unwrap_or_else(|| USERNAME.to_owned());
    let mut answer = format!(
        "username={}\npassword={}\n",
        one_line(&username),
        served.access_token.secret()
    );
    if let Some(at) = served.expires_at {
        answer.push_str(&format!("password_expiry_utc={at}\n"));
    }
    let mut out = std::io::stdout().lock();
    out.write_all(answer.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Error::Other(format!("could not answer git ({e})")))
}

/// The username git gets when the service names no account.
const USERNAME: &str = "x-access-token";

fn parse(input: &str) -> Request {
    let mut request = Request::default();
    for line in input.lines() {
        if line.is_empty() {
            break;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = Some(value.to_owned());
        match key {
            "protocol" => request.protocol = value,
            "host" => request.host = value.map(|h| h.to_ascii_lowercase()),
            "username" => request.username = value,
            _ => {}
        }
    }
    request
}

/// The service whose `git_hosts` has the host, over https (or plain http to
/// this machine only).
fn serving<'a>(accounts: &'a Accounts, request: &Request) -> Option<&'a Provider> {
    let host = request.host.as_deref()?;
    let secure = match request.protocol.as_deref() {
        Some("https") => true,
        Some("http") => false,
        _ => return None,
    };
    if !secure && !is_loopback(host) {
        return None;
    }
    accounts
        .catalog()
        .providers
        .iter()
        .find(|p| p.git_hosts.iter().any(|h| h == host))
}

fn is_loopback(host: &str) -> bool {
    let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    matches!(name, "127.0.0.1" | "localhost" | "[::1]")
}

/// The protocol is line-based: a value never carries a line break.
fn one_line(value: &str) -> String {
    value.chars().filter(|c| *c != '\n' && *c != '\r').collect()
}

/// `authdeck setup-git [SERVICE] [--remove]`.
pub fn setup(accounts: &Accounts, service: Option<&str>, remove: bool) -> Result<(), Error> {
    let providers: Vec<&Provider> = match service {
        Some(id) => vec![accounts.provider(id)?],
        None => accounts
            .catalog()
            .providers
            .iter()
            .filter(|p| !p.git_hosts.is_empty())
            .collect(),
    };
    let hosts: Vec<(&Provider, &String)> = providers
        .iter()
        .flat_map(|p| p.git_hosts.iter().map(move |h| (*p, h)))
        .collect();
    if hosts.is_empty() {
        let name = providers.first().map_or("No service", |p| p.name.as_str());
        return Err(Error::Other(format!(
            "{name} serves no git hosts: set `git_hosts` in providers.toml (like [\"gitlab.com\"])"
        )));
    }
    let exe = std::env::current_exe()
        .map_err(|e| Error::Other(format!("could not find the authdeck program ({e})")))?;
    let helper = format!("!{} git-credential", shell_quote(&exe.to_string_lossy()));
    for (provider, host) in hosts {
        let scheme = if is_loopback(host) { "http" } else { "https" };
        let key = format!("credential.{scheme}://{host}.helper");
        let existing = git(&["config", "--global", "--get-all", &key])?;
        let ours = existing.lines().any(|l| l == helper);
        if remove {
            if ours {
                git(&["config", "--global", "--unset-all", &key])?;
                print_line(&format!("Removed Authdeck from git for {scheme}://{host}."));
            } else {
                print_line(&format!(
                    "git does not use Authdeck for {scheme}://{host}; nothing to remove."
                ));
            }
            continue;
        }
        if ours {
            print_line(&format!(
                "git already signs in to {scheme}://{host} with Authdeck ({}).",
                provider.name
            ));
            continue;
        }
        // The empty helper first: git then asks Authdeck for this host, not
        // helpers configured before it (as `gh auth setup-git` does).
        git(&["config", "--global", "--replace-all", &key, ""])?;
        git(&["config", "--global", "--add", &key, &helper])?;
        print_line(&format!(
            "git now signs in to {scheme}://{host} with your {} connection. Added to your global git config:\n  {key} =\n  {key} = {helper}",
            provider.name
        ));
    }
    Ok(())
}

fn print_line(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
}

/// Runs git; its stdout, or an error naming what git said.
fn git(args: &[&str]) -> Result<String, Error> {
    let output = std::process::Command::new("git")
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| {
            Error::Other(format!(
                "could not run git ({e}); install git, then run this again"
            ))
        })?;
    // `--get-all` exits 1 when the key is not set: that is an empty answer.
    let missing = output.status.code() == Some(1) && args.contains(&"--get-all");
    let unset_nothing = output.status.code() == Some(5) && args.contains(&"--unset-all");
    if !output.status.success() && !missing && !unset_nothing {
        return Err(Error::Other(format!(
            "git config failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// A path quoted for the shell git runs `!` helpers with.
fn shell_quote(text: &str) -> String {
    if text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-+".contains(&b))
    {
        return text.to_owned();
    }
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_git_lines_until_the_blank_one() {
        let request = parse(
            "protocol=https\nhost=GitHub.com\npath=org/repo.git\nusername=octocat\n\nhost=evil\n",
        );
        assert_eq!(
            request,
            Request {
                protocol: Some("https".into()),
                host: Some("github.com".into()),
                username: Some("octocat".into()),
            }
        );
    }

    #[test]
    fn plain_http_only_to_this_machine() {
        assert!(is_loopback("127.0.0.1:8080"));
        assert!(is_loopback("localhost"));
        assert!(!is_loopback("github.com"));
        assert!(!is_loopback("127.0.0.1.evil.com"));
    }

    #[test]
    fn paths_are_quoted_for_the_shell() {
        assert_eq!(shell_quote("/usr/bin/authdeck"), "/usr/bin/authdeck");
        assert_eq!(shell_quote("/home/a b/authdeck"), "'/home/a b/authdeck'");
        assert_eq!(shell_quote("/x/it's"), r"'/x/it'\''s'");
    }
}
