//! `authdeck exec SERVICE[,SERVICE…] -- COMMAND [ARGS…]`: one command gets the
//! tokens, in its environment only. Every token is fetched (and refreshed)
//! before the command starts, so a service that cannot give one stops it from
//! starting at all. Nothing is written to disk.
//!
//! On Unix the command replaces this process (`exec`), so its exit code, the
//! signals sent to it and the signal that ends it are the command's own, and
//! stdin, stdout and stderr are its, untouched. Elsewhere the command runs as a
//! child and its exit code is passed on.

use std::collections::HashMap;

use authdeck_core::accounts::Accounts;
use authdeck_core::credentials::is_env_name;
use authdeck_core::error::Error;
use authdeck_core::token::unix_now;

pub async fn run(
    accounts: &Accounts,
    services: &str,
    env_overrides: &[String],
    command: &[String],
) -> Result<(), Error> {
    let ids: Vec<&str> = services
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if ids.is_empty() {
        return Err(Error::Other(
            "name at least one service before the command, like `authdeck exec github -- gh repo list`"
                .to_owned(),
        ));
    }
    let overrides = parse_overrides(&ids, env_overrides)?;
    let mut vars = Vec::with_capacity(ids.len());
    for id in &ids {
        let provider = accounts.provider(id)?;
        let var = overrides
            .get(*id)
            .cloned()
            .unwrap_or_else(|| provider.token_env.clone());
        let served = accounts.token(id, unix_now()).await?;
        vars.push((var, served.access_token));
    }
    let Some((program, args)) = command.split_first() else {
        return Err(Error::Other(
            "name the command to run after `--`, like `authdeck exec github -- gh repo list`"
                .to_owned(),
        ));
    };
    let mut child = std::process::Command::new(program);
    child.args(args);
    for (var, token) in &vars {
        child.env(var, token.secret());
    }
    start(child, program)
}

/// `--env NAME` (one service) or `--env SERVICE=NAME`.
fn parse_overrides(ids: &[&str], given: &[String]) -> Result<HashMap<String, String>, Error> {
    let mut overrides = HashMap::new();
    for item in given {
        let (service, name) = match item.split_once('=') {
            Some((service, name)) => (service.trim().to_owned(), name.trim().to_owned()),
            None if ids.len() == 1 => (ids[0].to_owned(), item.trim().to_owned()),
            None => {
                return Err(Error::Other(format!(
                "with several services, say which one `--env {item}` is for: --env SERVICE={item}"
            )))
            }
        };
        if !ids.contains(&service.as_str()) {
            return Err(Error::Other(format!(
                "`--env {item}` names {service}, which is not among the services given ({})",
                ids.join(", ")
            )));
        }
        if !is_env_name(&name) {
            return Err(Error::Other(format!(
                "`{name}` is not an environment variable name (letters, digits and _, not starting with a digit)"
            )));
        }
        overrides.insert(service, name);
    }
    Ok(overrides)
}

#[cfg(unix)]
fn start(mut child: std::process::Command, program: &str) -> Result<(), Error> {
    use std::os::unix::process::CommandExt;
    // Only returns when the command could not be started.
    let error = child.exec();
    Err(not_started(program, &error))
}

#[cfg(not(unix))]
fn start(mut child: std::process::Command, program: &str) -> Result<(), Error> {
    let status = child.status().map_err(|e| not_started(program, &e))?;
    std::process::exit(status.code().unwrap_or(1));
}

fn not_started(program: &str, error: &std::io::Error) -> Error {
    match error.kind() {
        std::io::ErrorKind::NotFound => Error::Other(format!(
            "the command `{program}` was not found: check its name, or give its full path"
        )),
        std::io::ErrorKind::PermissionDenied => Error::Other(format!(
            "the command `{program}` cannot be run (permission denied)"
        )),
        _ => Error::Other(format!("the command `{program}` could not start ({error})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_name_their_service() {
        let one = parse_overrides(&["github"], &["GH_TOKEN".into()]).expect("ok");
        assert_eq!(one.get("github").map(String::as_str), Some("GH_TOKEN"));
        let two = parse_overrides(&["github", "google"], &["google=GCP_TOKEN".into()]).expect("ok");
        assert_eq!(two.get("google").map(String::as_str), Some("GCP_TOKEN"));
        for bad in ["GH_TOKEN", "zoom=Z", "github=1BAD", "github=A-B"] {
            assert!(
                parse_overrides(&["github", "google"], &[bad.into()]).is_err(),
                "{bad}"
            );
        }
    }
}
