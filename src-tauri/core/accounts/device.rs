//! Signing in without a browser here (RFC 8628): the service gives a short
//! code, the person enters it at the service's address on any device, and
//! Authdeck polls the token endpoint at the interval the service asks for,
//! slower on `slow_down`, until approval, refusal, expiry or the timeout.
//! The token set is then saved like any other connect.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::{new_set, Accounts, Served};
use crate::error::Error;
use crate::flow::{self, Grant};
use crate::loopback::LoopbackError;
use crate::provider::Provider;
use crate::secret;
use crate::token::{unix_now, Method};
use crate::token_response::{self, TokenError};

/// RFC 8628 section 3.5: without an `interval`, poll every 5 seconds.
const DEFAULT_INTERVAL: u64 = 5;

/// What the person needs to approve the sign-in elsewhere. No secret: the
/// device code stays inside the engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceCode {
    pub user_code: String,
    pub verification_uri: String,
    /// The address with the code filled in, when the service gives one.
    pub verification_uri_complete: Option<String>,
    /// Seconds the code stays valid.
    pub expires_in: u64,
    /// Seconds between polls.
    pub interval: u64,
}

impl Accounts {
    /// Whether `connect --device` can work for the service.
    pub fn has_device_flow(&self, id: &str) -> bool {
        self.provider(id)
            .is_ok_and(|p| p.device_authorization_url.is_some() || p.needs_discovery)
    }

    /// The device sign-in: `show` gets the code to give the person, then this
    /// waits (up to `timeout`) for them to approve it.
    pub async fn connect_device(
        &self,
        id: &str,
        timeout: Duration,
        show: impl Fn(&DeviceCode),
    ) -> Result<Served, Error> {
        let provider = self.provider_ready(id).await?;
        let creds = self.credentials(&provider).await?;
        if creds.client_id().is_none() {
            return Err(Error::NotConfigured {
                name: provider.name.clone(),
                what_to_set: creds.what_to_set(&provider),
            });
        }
        let Some(request) = flow::device_authorization_request(&provider, &self.env, &creds) else {
            return Err(Error::Other(format!(
                "{} does not offer sign-in with a code on another device; run `authdeck connect {}` without --device",
                provider.name, provider.id
            )));
        };
        let answer = self.send_to(&provider, request).await?;
        let (code, device_code) = parse_device_answer(&provider, &answer)?;
        show(&code);
        let started = Instant::now();
        let deadline = started + timeout.min(Duration::from_secs(code.expires_in.max(1)));
        let mut interval = code.interval.max(1);
        loop {
            let wake = Instant::now() + Duration::from_secs(interval);
            if wake > deadline {
                tokio::time::sleep_until(deadline.into()).await;
                return Err(if Instant::now() >= started + timeout {
                    Error::Callback(LoopbackError::TimedOut)
                } else {
                    expired(&provider)
                });
            }
            tokio::time::sleep_until(wake.into()).await;
            let request = flow::token_request(
                &provider,
                &self.env,
                &creds,
                Grant::DeviceCode {
                    device_code: device_code.clone(),
                },
            )?;
            let answer = self.send_to(&provider, request).await?;
            let parsed =
                token_response::parse(answer.status, answer.content_type.as_deref(), &answer.body);
            match parsed {
                Ok(response) => {
                    let now = unix_now();
                    let requested = provider.scopes.clone();
                    let mut set = new_set(&provider, response, requested, Method::DeviceCode, now);
                    let token = set.access_token.clone();
                    set.account = self.who_am_i(&provider, &token, &set.account).await;
                    return self
                        .add_or_replace(&provider, set, Method::DeviceCode)
                        .await;
                }
                Err(TokenError::Provider { error, .. }) if error == "authorization_pending" => {}
                // RFC 8628 section 3.5: every slow_down adds 5 seconds.
                Err(TokenError::Provider { error, .. }) if error == "slow_down" => interval += 5,
                Err(TokenError::Provider { error, .. }) if error == "expired_token" => {
                    return Err(expired(&provider))
                }
                Err(TokenError::Provider { error, .. }) if error == "access_denied" => {
                    return Err(Error::Callback(LoopbackError::Denied))
                }
                Err(source) => {
                    return Err(Error::Token {
                        name: provider.name.clone(),
                        source,
                    })
                }
            }
        }
    }
}

fn expired(provider: &Provider) -> Error {
    Error::Other(format!(
        "The code for {} expired before the sign-in was finished, so nothing was connected. Run `authdeck connect {} --device` again for a new code.",
        provider.name, provider.id
    ))
}

/// The device authorization answer: what to show, and the device code to poll with.
fn parse_device_answer(
    provider: &Provider,
    answer: &flow::Answer,
) -> Result<(DeviceCode, secret::DeviceCode), Error> {
    let unusable = |why: &str| {
        Error::Other(format!(
        "{} did not give a usable sign-in code ({why}). Check that its app allows sign-in with a code (the device flow), then try again.",
        provider.name
    ))
    };
    if !(200..300).contains(&answer.status) {
        let said = token_response::service_said(answer.content_type.as_deref(), &answer.body)
            .unwrap_or_else(|| format!("HTTP {}", answer.status));
        return Err(unusable(&said));
    }
    let value: Value = serde_json::from_slice(&answer.body).map_err(|_| unusable("not JSON"))?;
    let text = |key: &str| {
        value
            .get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let seconds = |key: &str| {
        value.get(key).and_then(|v| {
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        })
    };
    let device_code = text("device_code").ok_or_else(|| unusable("no device_code"))?;
    let user_code = text("user_code").ok_or_else(|| unusable("no user_code"))?;
    // Google writes verification_url.
    let verification_uri = text("verification_uri")
        .or_else(|| text("verification_url"))
        .ok_or_else(|| unusable("no verification address"))?;
    // The address is shown to the person: only a web address, on one line.
    let web = |u: &String| {
        (u.starts_with("https://")
            || u.starts_with("http://127.0.0.1")
            || u.starts_with("http://localhost"))
            && !u.chars().any(char::is_control)
    };
    if !web(&verification_uri) || user_code.chars().any(char::is_control) {
        return Err(unusable("an address or code Authdeck will not show"));
    }
    let code = DeviceCode {
        user_code,
        verification_uri,
        verification_uri_complete: text("verification_uri_complete").filter(web),
        expires_in: seconds("expires_in").unwrap_or(900).min(3_600),
        interval: seconds("interval").unwrap_or(DEFAULT_INTERVAL).clamp(1, 60),
    };
    Ok((code, secret::DeviceCode::new(device_code)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(json: &str) -> flow::Answer {
        flow::Answer {
            status: 200,
            content_type: Some("application/json".into()),
            retry_after: None,
            credential_expires_at: None,
            body: json.as_bytes().to_vec(),
        }
    }

    #[test]
    fn device_answers_are_read_tolerantly_and_checked() {
        let p = Provider::new("corp", "Corp");
        let (code, device) = parse_device_answer(
            &p,
            &answer(r#"{"device_code":"dc","user_code":"ABCD-1234","verification_url":"https://corp.example/device","expires_in":"1800"}"#),
        )
        .expect("usable");
        assert_eq!(device.secret(), "dc");
        assert_eq!(code.user_code, "ABCD-1234");
        assert_eq!(code.verification_uri, "https://corp.example/device");
        assert_eq!((code.expires_in, code.interval), (1800, 5));
        for bad in [
            r#"{"user_code":"A","verification_uri":"https://x"}"#,
            r#"{"device_code":"d","user_code":"A","verification_uri":"javascript:alert(1)"}"#,
            r#"{"device_code":"d","user_code":"A\u001b[2JB","verification_uri":"https://x"}"#,
        ] {
            assert!(parse_device_answer(&p, &answer(bad)).is_err(), "{bad}");
        }
    }
}
