//! The fake's memory (codes, tokens, settings, the request log) and the endpoints
//! other than /token and revoke: routing, authorize and "who am I".

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rand::distributions::Alphanumeric;
use rand::Rng;

use super::http::{self, Canned, Recorded, Reply};
use super::revoke::RevokeScope;
use super::wire::{self, Account};
use super::{Consent, Family};

pub(super) struct IssuedCode {
    pub(super) code: String,
    pub(super) client_id: String,
    pub(super) redirect_uri: String,
    pub(super) code_challenge: Option<String>,
    pub(super) scopes: Vec<String>,
    pub(super) refresh_allowed: bool,
    pub(super) used: bool,
}

pub(super) struct AccessToken {
    pub(super) token: String,
    pub(super) grant: u64,
    pub(super) expires_at: Option<Instant>,
    pub(super) revoked: bool,
}

pub(super) struct RefreshToken {
    pub(super) token: String,
    pub(super) grant: u64,
    pub(super) client_id: String,
    pub(super) scopes: Vec<String>,
    pub(super) alive: bool,
}

pub(super) struct State {
    pub(super) family: Family,
    pub(super) client_id: String,
    pub(super) client_secret: Option<String>,
    pub(super) zoom_account_id: String,
    pub(super) require_pkce: bool,
    pub(super) consent: Consent,
    pub(super) issuer: Option<String>,
    pub(super) registered_redirect_uris: Vec<String>,
    pub(super) access_token_lifetime: Option<u64>,
    pub(super) token_delay: Duration,
    pub(super) token_failure: Option<Canned>,
    /// How many token requests still get no answer at all (after being processed).
    pub(super) lose_token_responses: usize,
    pub(super) revoke_fails: bool,
    pub(super) device: super::device::DeviceState,
    /// The Google-family /revoke wants client authentication (RFC 7009 §2.1).
    pub(super) revoke_client_auth: bool,
    pub(super) account: Account,
    /// Scopes the person unticks on the consent page (Google's granular
    /// consent): left out of what the code grants.
    pub(super) withheld_scopes: Vec<String>,
    /// `github-authentication-token-expiration` on userinfo answers.
    pub(super) pat_expiration: Option<String>,
    pub(super) codes: Vec<IssuedCode>,
    pub(super) access: Vec<AccessToken>,
    pub(super) refresh: Vec<RefreshToken>,
    pub(super) requests: Vec<Recorded>,
    pub(super) authorize_queries: Vec<BTreeMap<String, String>>,
    pub(super) refresh_count: usize,
    pub(super) next_grant: u64,
}

pub(super) fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panicking request thread must not take the whole fake down with it.
    state.lock().unwrap_or_else(|e| e.into_inner())
}

pub(super) fn random_token(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

impl AccessToken {
    pub(super) fn is_valid(&self, now: Instant) -> bool {
        !self.revoked && self.expires_at.is_none_or(|at| at > now)
    }
}

pub(super) fn handle(state: &Mutex<State>, mut request: tiny_http::Request) {
    let mut body = String::new();
    let _ = request.as_reader().read_to_string(&mut body);
    let (path, query) = match request.url().split_once('?') {
        Some((path, query)) => (path.to_string(), query.to_string()),
        None => (request.url().to_string(), String::new()),
    };
    let recorded = Recorded {
        method: request.method().as_str().to_ascii_uppercase(),
        path,
        query,
        headers: request
            .headers()
            .iter()
            .map(|h| {
                (
                    h.field.as_str().as_str().to_ascii_lowercase(),
                    h.value.as_str().to_string(),
                )
            })
            .collect(),
        body,
    };
    let (reply, delay, lose) = {
        let mut state = lock(state);
        state.requests.push(recorded.clone());
        let is_token = recorded.path == "/token";
        let delay = if is_token {
            state.token_delay
        } else {
            Duration::ZERO
        };
        // The request is fully processed (a refresh token may rotate) before
        // the answer is lost, as when a connection drops on the way back.
        let lose = is_token && state.lose_token_responses > 0;
        if lose {
            state.lose_token_responses -= 1;
        }
        (state.route(&recorded), delay, lose)
    };
    if lose {
        // Take the response over and never write it: the client hears nothing.
        drop(request.into_writer());
        return;
    }
    if !delay.is_zero() {
        std::thread::sleep(delay);
    }
    // The client may have given up; nothing to do about a failed write.
    let _ = request.respond(reply.into_tiny_http());
}

impl State {
    fn route(&mut self, r: &Recorded) -> Reply {
        let family = self.family;
        let revoke_path = family.revoke_path(&self.client_id);
        match (r.method.as_str(), r.path.as_str()) {
            ("GET", "/authorize") => self.authorize(r),
            ("POST", "/token") => self.token(r),
            ("POST", "/device/code") if family.has_device_flow() => self.device_authorization(r),
            ("GET", "/.well-known/openid-configuration") => {
                // An OpenID provider's discovery document; the issuer is this server.
                let base = format!("http://{}", r.header("host").unwrap_or("127.0.0.1"));
                let mut doc = serde_json::json!({
                    "issuer": base,
                    "authorization_endpoint": format!("{base}/authorize"),
                    "token_endpoint": format!("{base}/token"),
                    "response_types_supported": ["code"],
                    "code_challenge_methods_supported": ["S256"],
                });
                if let Some(path) = family.userinfo_path() {
                    doc["userinfo_endpoint"] = serde_json::json!(format!("{base}{path}"));
                }
                if let Some(path) = &revoke_path {
                    doc["revocation_endpoint"] = serde_json::json!(format!("{base}{path}"));
                    if self.revoke_client_auth {
                        doc["revocation_endpoint_auth_methods_supported"] = serde_json::json!([
                            "client_secret_basic",
                            "client_secret_post",
                            "none"
                        ]);
                    }
                }
                Reply::json(200, doc)
            }
            (method, path) if Some(path) == revoke_path.as_deref() => {
                self.revoke_with_method(method, r, RevokeScope::Grant)
            }
            (method, path)
                if family == Family::GitHub
                    && path == Family::github_token_revoke_path(&self.client_id) =>
            {
                self.revoke_with_method(method, r, RevokeScope::OneAccessToken)
            }
            (method, path) if Some(path) == family.userinfo_path() => {
                let expected = if family == Family::Dropbox {
                    "POST"
                } else {
                    "GET"
                };
                if method != expected {
                    Reply::json(405, serde_json::json!({"error": "method_not_allowed"}))
                } else {
                    self.userinfo(r)
                }
            }
            _ => Reply::json(
                404,
                serde_json::json!({"error": "not_found", "path": r.path}),
            ),
        }
    }

    pub(super) fn new_grant(&mut self) -> u64 {
        let id = self.next_grant;
        self.next_grant += 1;
        id
    }

    pub(super) fn issue_access(&mut self, grant: u64, lifetime: Option<u64>) -> String {
        let token = format!("{}{}", self.family.token_prefix().0, random_token(32));
        self.access.push(AccessToken {
            token: token.clone(),
            grant,
            expires_at: lifetime.map(|s| Instant::now() + Duration::from_secs(s)),
            revoked: false,
        });
        token
    }

    pub(super) fn issue_refresh(
        &mut self,
        grant: u64,
        client_id: &str,
        scopes: &[String],
    ) -> String {
        let token = format!("{}{}", self.family.token_prefix().1, random_token(40));
        self.refresh.push(RefreshToken {
            token: token.clone(),
            grant,
            client_id: client_id.to_string(),
            scopes: scopes.to_vec(),
            alive: true,
        });
        token
    }

    pub(super) fn access_token_valid(&self, token: &str) -> bool {
        let now = Instant::now();
        self.access
            .iter()
            .any(|t| t.token == token && t.is_valid(now))
    }

    // ----- authorize -----

    fn authorize(&mut self, r: &Recorded) -> Reply {
        let q = r.query_map();
        self.authorize_queries.push(q.clone());
        let page_error = |what: &str| {
            Reply::html(
                400,
                &format!(
                    "<!DOCTYPE html><html><body><h1>Error 400</h1><p>{what}</p></body></html>"
                ),
            )
        };
        if q.get("response_type").map(String::as_str) != Some("code") {
            return page_error("unsupported_response_type: response_type must be code");
        }
        match q.get("client_id") {
            Some(id) if *id == self.client_id => {}
            _ => return page_error("invalid_client: The OAuth client was not found."),
        }
        let Some(redirect_uri) = q.get("redirect_uri").cloned() else {
            return page_error("invalid_request: Missing required parameter: redirect_uri");
        };
        if !(redirect_uri.starts_with("http://127.0.0.1:")
            || redirect_uri.starts_with("http://127.0.0.1/")
            || redirect_uri.starts_with("http://localhost:")
            || redirect_uri.starts_with("http://localhost/"))
        {
            return page_error("redirect_uri_mismatch: only loopback redirect URIs are registered");
        }
        // Notion takes plain-http redirect URIs only for the host `localhost`:
        // http://127.0.0.1 cannot be registered there.
        if self.family == Family::Notion
            && url::Url::parse(&redirect_uri)
                .is_ok_and(|u| u.scheme() == "http" && u.host_str() != Some("localhost"))
        {
            return page_error(
                "invalid_redirect_uri: http redirect URIs are allowed only for localhost",
            );
        }
        if !self.registered_redirect_uris.is_empty()
            && !self.registered_redirect_uris.contains(&redirect_uri)
        {
            return page_error(
                "invalid_redirect_uri: redirect_uri does not match a registered URI exactly",
            );
        }
        if self.family == Family::Notion && q.get("owner").map(String::as_str) != Some("user") {
            return page_error("invalid_request: owner must be user");
        }
        let challenge = q.get("code_challenge").cloned();
        if self.require_pkce {
            match (
                &challenge,
                q.get("code_challenge_method").map(String::as_str),
            ) {
                (Some(c), Some("S256")) if (43..=128).contains(&c.len()) => {}
                _ => return page_error(
                    "invalid_request: code_challenge and code_challenge_method=S256 are required",
                ),
            }
        }
        let state_param = q.get("state").cloned();
        let scopes: Vec<String> = q
            .get("scope")
            .map(|s| {
                s.split([' ', ','])
                    .filter(|p| !p.is_empty())
                    .filter(|p| !self.withheld_scopes.iter().any(|w| w == p))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let refresh_allowed = match self.family {
            Family::Google => {
                q.get("access_type").map(String::as_str) == Some("offline")
                    && q.get("prompt")
                        .is_some_and(|p| p.split(' ').any(|v| v == "consent"))
            }
            Family::Microsoft => scopes.iter().any(|s| s == "offline_access"),
            Family::GitHub => self.access_token_lifetime.is_some(),
            Family::Dropbox => q.get("token_access_type").map(String::as_str) == Some("offline"),
            Family::Zoom | Family::Notion => true,
        };

        let mut params: Vec<(String, String)> = Vec::new();
        match self.consent {
            Consent::Ignore => {
                return Reply::html(
                    200,
                    "<!DOCTYPE html><html><body><h1>Sign in</h1><p>Waiting for you to decide…</p></body></html>",
                );
            }
            Consent::Deny => {
                params.push(("error".into(), "access_denied".into()));
                params.push((
                    "error_description".into(),
                    "The user has denied your application access.".into(),
                ));
                if let Some(s) = state_param {
                    params.push(("state".into(), s));
                }
            }
            Consent::Approve | Consent::WrongState => {
                let code = random_token(24);
                self.codes.push(IssuedCode {
                    code: code.clone(),
                    client_id: self.client_id.clone(),
                    redirect_uri: redirect_uri.clone(),
                    code_challenge: challenge,
                    scopes,
                    refresh_allowed,
                    used: false,
                });
                params.push(("code".into(), code));
                let state_value = if self.consent == Consent::WrongState {
                    Some(format!("forged-{}", random_token(22)))
                } else {
                    state_param
                };
                if let Some(s) = state_value {
                    params.push(("state".into(), s));
                }
                if let Some(iss) = &self.issuer {
                    params.push(("iss".into(), iss.clone()));
                }
            }
        }
        let pairs: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        // Appended to the redirect URI exactly as given, as real providers do.
        let separator = if redirect_uri.contains('?') { '&' } else { '?' };
        Reply::redirect(&format!(
            "{redirect_uri}{separator}{}",
            http::urlencode(&pairs)
        ))
    }

    // ----- who am I -----

    fn userinfo(&mut self, r: &Recorded) -> Reply {
        let family = self.family;
        if family == Family::GitHub && r.header("user-agent").is_none() {
            return github_needs_user_agent();
        }
        if family == Family::Dropbox {
            if let Some(reply) = dropbox_empty_json_body(r) {
                return reply;
            }
        }
        match r.bearer() {
            Some(token) if self.access_token_valid(&token) => {
                let mut reply = wire::userinfo(family, &self.account);
                // GitHub tells a personal access token's end only here.
                if let Some(at) = &self.pat_expiration {
                    reply
                        .headers
                        .push(("github-authentication-token-expiration".into(), at.clone()));
                }
                reply
            }
            _ => wire::unauthorized(family),
        }
    }
}

/// The GitHub API refuses requests without a User-Agent.
pub(super) fn github_needs_user_agent() -> Reply {
    Reply::text(
        403,
        "Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required).",
    )
}

/// Dropbox RPC endpoints without arguments want no body and no JSON content type:
/// `Content-Type: application/json` with an empty body is a 400.
pub(super) fn dropbox_empty_json_body(r: &Recorded) -> Option<Reply> {
    if r.is_json_body() && r.body.trim().is_empty() {
        Some(Reply::text(
            400,
            "Error in call to API function \"users/get_current_account\": request body: could not decode input as JSON",
        ))
    } else {
        None
    }
}
