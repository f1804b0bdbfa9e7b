//! The device authorization grant (RFC 8628) as GitHub, Google and Microsoft
//! play it: POST /device/code gives a device code and a user code; the token
//! endpoint answers `authorization_pending` until "the person" decides, says
//! `slow_down` to a client polling faster than the interval (and raises the
//! interval by 5 s, as section 3.5 says), and ends with tokens,
//! `access_denied` or `expired_token`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::json;

use super::http::{Recorded, Reply};
use super::state::{random_token, State};
use super::wire::{self, Issued};
use super::Family;

/// What the person does with the code on the other device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceOutcome {
    /// Approves after this many polls (1: the first poll gets the tokens).
    ApproveAfter(usize),
    /// Clicks Deny.
    Deny,
    /// Never comes back: the code expires.
    Expire,
}

pub(super) struct DeviceGrant {
    pub(super) device_code: String,
    pub(super) client_id: String,
    pub(super) scopes: Vec<String>,
    /// When each poll for this code arrived.
    pub(super) polls: Vec<Instant>,
    /// The interval the client must keep, raised by every slow_down.
    pub(super) interval: u64,
    pub(super) done: bool,
}

/// The device flow's knobs and memory.
pub(super) struct DeviceState {
    pub(super) interval: u64,
    pub(super) expires_in: u64,
    pub(super) outcome: DeviceOutcome,
    /// Answer slow_down to this many polls even when they keep the interval.
    pub(super) slow_downs: usize,
    pub(super) grants: Vec<DeviceGrant>,
}

impl Default for DeviceState {
    fn default() -> Self {
        Self {
            interval: 1,
            expires_in: 60,
            outcome: DeviceOutcome::ApproveAfter(2),
            slow_downs: 0,
            grants: Vec::new(),
        }
    }
}

impl State {
    pub(super) fn device_authorization(&mut self, r: &Recorded) -> Reply {
        let body = r.form();
        if body.get("client_id") != Some(&self.client_id) && r.basic_auth().is_none() {
            return Reply::json(
                400,
                json!({"error": "invalid_client", "error_description": "unknown client_id"}),
            );
        }
        let device_code = random_token(40);
        let user_code = format!(
            "{}-{}",
            &random_token(4).to_uppercase(),
            &random_token(4).to_uppercase()
        );
        let scopes = body
            .get("scope")
            .map(|s| {
                s.split(' ')
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let base = format!("http://{}", r.header("host").unwrap_or("127.0.0.1"));
        self.device.grants.push(DeviceGrant {
            device_code: device_code.clone(),
            client_id: self.client_id.clone(),
            scopes,
            polls: Vec::new(),
            interval: self.device.interval,
            done: false,
        });
        // Google names the address verification_url; the others verification_uri.
        let address_key = if self.family == Family::Google {
            "verification_url"
        } else {
            "verification_uri"
        };
        let mut answer = json!({
            "device_code": device_code,
            "user_code": user_code,
            "expires_in": self.device.expires_in,
            "interval": self.device.interval,
        });
        answer[address_key] = json!(format!("{base}/device"));
        if self.family == Family::Microsoft {
            answer["verification_uri_complete"] = json!(format!("{base}/device?code={user_code}"));
        }
        Reply::json(200, answer)
    }

    pub(super) fn device_poll(&mut self, r: &Recorded, body: &BTreeMap<String, String>) -> Reply {
        let family = self.family;
        let error = |code: &str, description: &str| {
            // GitHub answers errors with HTTP 200, the others with 400.
            let status = if family == Family::GitHub { 200 } else { 400 };
            Reply::json(
                status,
                json!({"error": code, "error_description": description}),
            )
        };
        if let Err(e) = self.check_client(r, body, false) {
            return wire::token_error(family, &e, r.accepts_json());
        }
        let outcome = self.device.outcome;
        let slow_down_now = self.device.slow_downs > 0;
        let Some(grant) = self
            .device
            .grants
            .iter_mut()
            .find(|g| Some(&g.device_code) == body.get("device_code") && !g.done)
        else {
            return error("invalid_grant", "unknown or used device_code");
        };
        let now = Instant::now();
        let too_soon = grant.polls.last().is_some_and(|last| {
            now.duration_since(*last)
                < Duration::from_secs(grant.interval).saturating_sub(Duration::from_millis(100))
        });
        grant.polls.push(now);
        if too_soon || slow_down_now {
            grant.interval += 5;
            if slow_down_now {
                self.device.slow_downs -= 1;
            }
            return error(
                "slow_down",
                "polling too fast; wait longer between requests",
            );
        }
        let polls = grant.polls.len();
        match outcome {
            DeviceOutcome::Deny => {
                grant.done = true;
                error("access_denied", "the user denied the request")
            }
            DeviceOutcome::Expire => {
                grant.done = true;
                error("expired_token", "the device_code has expired")
            }
            DeviceOutcome::ApproveAfter(n) if polls < n => {
                error("authorization_pending", "the user has not yet approved")
            }
            DeviceOutcome::ApproveAfter(_) => {
                grant.done = true;
                let scopes = grant.scopes.clone();
                let client_id = grant.client_id.clone();
                let id = self.new_grant();
                let lifetime = self.access_token_lifetime;
                let access_token = self.issue_access(id, lifetime);
                let refresh_token = lifetime.map(|_| self.issue_refresh(id, &client_id, &scopes));
                wire::token_success(
                    family,
                    &Issued {
                        access_token,
                        refresh_token,
                        scopes,
                        expires_in: lifetime,
                        server_to_server: false,
                    },
                    &self.account,
                    r.accepts_json(),
                )
            }
        }
    }

    /// The gaps between the polls for the newest device code.
    pub(super) fn device_poll_gaps(&self) -> Vec<Duration> {
        self.device
            .grants
            .last()
            .map(|g| {
                g.polls
                    .windows(2)
                    .map(|w| w[1].duration_since(w[0]))
                    .collect()
            })
            .unwrap_or_default()
    }
}
