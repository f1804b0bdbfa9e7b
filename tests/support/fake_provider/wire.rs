//! What each provider family puts on the wire: token responses, error bodies,
//! userinfo documents. The quirks from docs/providers.md live here as data
//! per family, so the server logic in state.rs, token.rs and revoke.rs stays
//! one flow for all six.

use serde_json::{json, Value};

use super::http::Reply;
use super::Family;

/// The signed-in person the fake answers "who am I" with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// GitHub login ("octocat"); others use the email as the account.
    pub login: String,
    pub email: String,
    pub name: String,
}

impl Account {
    pub fn default_for(family: Family) -> Account {
        match family {
            Family::GitHub => Account {
                login: "octocat".into(),
                email: "octocat@github.example".into(),
                name: "The Octocat".into(),
            },
            Family::Microsoft => Account {
                login: "ada@contoso.example".into(),
                email: "ada@contoso.example".into(),
                name: "Ada Lovelace".into(),
            },
            _ => Account {
                login: "ada@example.com".into(),
                email: "ada@example.com".into(),
                name: "Ada Lovelace".into(),
            },
        }
    }

    /// What the app should show as the account for this family.
    pub fn shown_as(&self, family: Family) -> &str {
        match family {
            Family::GitHub => &self.login,
            _ => &self.email,
        }
    }
}

/// Why the token endpoint said no.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// Wrong, missing or misplaced client credentials.
    InvalidClient(String),
    /// Microsoft: a public client sent a client secret (AADSTS700025).
    PublicClientSentSecret,
    /// The code is unknown, used, or bound to another client.
    BadCode,
    /// redirect_uri differs from the authorize request's.
    RedirectMismatch,
    /// code_verifier missing or does not hash to the code_challenge.
    BadVerifier,
    /// The refresh token is unknown, rotated away or revoked.
    BadRefreshToken,
    UnsupportedGrant(String),
    InvalidRequest(String),
}

/// One successful issue at the token endpoint.
#[derive(Debug, Clone)]
pub struct Issued {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub scopes: Vec<String>,
    pub expires_in: Option<u64>,
    /// Zoom Server-to-Server tokens carry `api_url`.
    pub server_to_server: bool,
}

pub fn token_error(family: Family, error: &TokenError, accept_json: bool) -> Reply {
    let (status, code, description, ms_code) = match error {
        TokenError::InvalidClient(why) => (401, "invalid_client", why.clone(), 7000215),
        TokenError::PublicClientSentSecret => (
            401,
            "invalid_client",
            "AADSTS700025: Client is public so neither 'client_assertion' nor 'client_secret' should be presented.".to_string(),
            700025,
        ),
        TokenError::BadCode => (
            400,
            "invalid_grant",
            "The authorization code is invalid, used or expired.".to_string(),
            70008,
        ),
        TokenError::RedirectMismatch => (
            400,
            "invalid_grant",
            "redirect_uri does not match the one used in the authorization request.".to_string(),
            50148,
        ),
        TokenError::BadVerifier => (
            400,
            "invalid_grant",
            "The code_verifier does not match the code_challenge.".to_string(),
            501481,
        ),
        TokenError::BadRefreshToken => (
            400,
            "invalid_grant",
            "The refresh token is invalid, expired or revoked.".to_string(),
            70000,
        ),
        TokenError::UnsupportedGrant(grant) => (
            400,
            "unsupported_grant_type",
            format!("grant_type {grant:?} is not supported."),
            70003,
        ),
        TokenError::InvalidRequest(why) => (400, "invalid_request", why.clone(), 900144),
    };
    match family {
        // GitHub: errors are HTTP 200, form-encoded unless Accept: application/json,
        // with GitHub's own error codes.
        Family::GitHub => {
            let code = match error {
                TokenError::InvalidClient(_) | TokenError::PublicClientSentSecret => {
                    "incorrect_client_credentials"
                }
                TokenError::BadCode | TokenError::BadVerifier => "bad_verification_code",
                TokenError::RedirectMismatch => "redirect_uri_mismatch",
                TokenError::BadRefreshToken => "bad_refresh_token",
                TokenError::UnsupportedGrant(_) => "unsupported_grant_type",
                TokenError::InvalidRequest(_) => "invalid_request",
            };
            let uri = "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors";
            if accept_json {
                Reply::json(
                    200,
                    json!({"error": code, "error_description": description, "error_uri": uri}),
                )
            } else {
                Reply::form(
                    200,
                    &[
                        ("error", code),
                        ("error_description", &description),
                        ("error_uri", uri),
                    ],
                )
            }
        }
        Family::Microsoft => {
            let trace_id = "0f3c9a62-7d1e-4b8a-9e25-5a1c2b3d4e5f";
            let correlation_id = "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
            let timestamp = "2025-01-01 12:00:00Z";
            let description = if description.starts_with("AADSTS") {
                description
            } else {
                format!("AADSTS{ms_code}: {description}")
            };
            Reply::json(
                status,
                json!({
                    "error": code,
                    "error_description": format!("{description}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {timestamp}"),
                    "error_codes": [ms_code],
                    "timestamp": timestamp,
                    "trace_id": trace_id,
                    "correlation_id": correlation_id,
                    "error_uri": format!("https://login.microsoftonline.com/error?code={ms_code}"),
                }),
            )
        }
        // Zoom: `reason` instead of error_description; a dead refresh token is
        // "Invalid Token!" with error invalid_request.
        Family::Zoom => {
            let (code, reason) = match error {
                TokenError::BadRefreshToken => ("invalid_request", "Invalid Token!".to_string()),
                TokenError::BadCode => ("invalid_grant", "Invalid authorization code".to_string()),
                _ => (code, description),
            };
            Reply::json(status, json!({"reason": reason, "error": code}))
        }
        Family::Google | Family::Dropbox | Family::Notion => Reply::json(
            status,
            json!({"error": code, "error_description": description}),
        ),
    }
}

pub fn token_success(
    family: Family,
    issued: &Issued,
    account: &Account,
    accept_json: bool,
) -> Reply {
    let scope_spaced = issued.scopes.join(" ");
    match family {
        // Form-encoded unless asked for JSON; scopes comma-separated; no expires_in
        // for OAuth App tokens (GitHub App tokens carry one plus a refresh token).
        Family::GitHub => {
            let scope_commas = issued.scopes.join(",");
            let expires = issued.expires_in.map(|s| s.to_string());
            let mut pairs: Vec<(&str, &str)> = vec![
                ("access_token", &issued.access_token),
                ("scope", &scope_commas),
                ("token_type", "bearer"),
            ];
            if let Some(expires) = &expires {
                pairs.push(("expires_in", expires));
            }
            if let Some(refresh) = &issued.refresh_token {
                pairs.push(("refresh_token", refresh));
                pairs.push(("refresh_token_expires_in", "15897600"));
            }
            if accept_json {
                let mut body = serde_json::Map::new();
                for (k, v) in &pairs {
                    let value = if k.ends_with("expires_in") {
                        json!(v.parse::<u64>().unwrap_or(0))
                    } else {
                        json!(v)
                    };
                    body.insert(k.to_string(), value);
                }
                Reply::json(200, Value::Object(body))
            } else {
                Reply::form(200, &pairs)
            }
        }
        Family::Google => {
            let mut body = json!({
                "access_token": issued.access_token,
                "scope": scope_spaced,
                "token_type": "Bearer",
            });
            if let Some(secs) = issued.expires_in {
                body["expires_in"] = json!(secs);
            }
            if let Some(refresh) = &issued.refresh_token {
                body["refresh_token"] = json!(refresh);
            }
            if issued.scopes.iter().any(|s| s == "openid") {
                body["id_token"] = json!(fake_id_token(account));
            }
            Reply::json(200, body)
        }
        // expires_in as a STRING, as Microsoft has sent it.
        Family::Microsoft => {
            let mut body = json!({
                "token_type": "Bearer",
                "scope": scope_spaced,
                "access_token": issued.access_token,
            });
            if let Some(secs) = issued.expires_in {
                body["expires_in"] = json!(secs.to_string());
                body["ext_expires_in"] = json!(secs.to_string());
            }
            if let Some(refresh) = &issued.refresh_token {
                body["refresh_token"] = json!(refresh);
            }
            if issued.scopes.iter().any(|s| s == "openid") {
                body["id_token"] = json!(fake_id_token(account));
            }
            Reply::json(200, body)
        }
        Family::Dropbox => {
            let mut body = json!({
                "access_token": issued.access_token,
                "token_type": "bearer",
                "scope": scope_spaced,
                "uid": "12345678",
                "account_id": "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc",
            });
            if let Some(secs) = issued.expires_in {
                body["expires_in"] = json!(secs);
            }
            if let Some(refresh) = &issued.refresh_token {
                body["refresh_token"] = json!(refresh);
            }
            Reply::json(200, body)
        }
        Family::Zoom => {
            let mut body = json!({
                "access_token": issued.access_token,
                "token_type": "bearer",
                "scope": scope_spaced,
            });
            if let Some(secs) = issued.expires_in {
                body["expires_in"] = json!(secs);
            }
            if let Some(refresh) = &issued.refresh_token {
                body["refresh_token"] = json!(refresh);
            }
            if issued.server_to_server {
                body["api_url"] = json!("https://api.zoom.us");
            }
            Reply::json(200, body)
        }
        // The person comes with the token: owner.user and workspace_name.
        Family::Notion => {
            let mut body = json!({
                "access_token": issued.access_token,
                "token_type": "bearer",
                "bot_id": "b3414d65-9b12-4d3e-8e42-0f1a2b3c4d5e",
                "workspace_name": format!("{}'s Workspace", account.name),
                "workspace_icon": null,
                "workspace_id": "f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b",
                "owner": {
                    "type": "user",
                    "user": {
                        "object": "user",
                        "id": "6794760a-1f15-45cd-9c65-0dfe42f5135a",
                        "name": account.name,
                        "avatar_url": null,
                        "type": "person",
                        "person": {"email": account.email},
                    },
                },
                "duplicated_template_id": null,
                "request_id": "9f1e8d7c-6b5a-4f3e-2d1c-0b9a8f7e6d5c",
            });
            if let Some(secs) = issued.expires_in {
                body["expires_in"] = json!(secs);
            }
            if let Some(refresh) = &issued.refresh_token {
                body["refresh_token"] = json!(refresh);
            }
            Reply::json(200, body)
        }
    }
}

/// "Who am I" documents.
pub fn userinfo(family: Family, account: &Account) -> Reply {
    match family {
        Family::Google => Reply::json(
            200,
            json!({"sub": "110169484474386276334", "email": account.email,
                   "email_verified": true, "name": account.name}),
        ),
        Family::GitHub => Reply::json(
            200,
            json!({"login": account.login, "id": 583231, "name": account.name,
                   "email": account.email, "type": "User"}),
        ),
        Family::Microsoft => Reply::json(
            200,
            json!({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
                   "id": "87d349ed-44d7-43e1-9a83-5f2406dee5bd",
                   "displayName": account.name, "userPrincipalName": account.email,
                   "mail": account.email}),
        ),
        Family::Dropbox => Reply::json(
            200,
            json!({"account_id": "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc",
                   "name": {"display_name": account.name, "given_name": "Ada",
                            "surname": "Lovelace", "familiar_name": "Ada",
                            "abbreviated_name": "AL"},
                   "email": account.email, "email_verified": true, "disabled": false}),
        ),
        Family::Zoom => Reply::json(
            200,
            json!({"id": "KDcuGIm1QgePTO8WbOqwIQ", "email": account.email,
                   "first_name": "Ada", "last_name": "Lovelace", "type": 1}),
        ),
        Family::Notion => Reply::json(
            200,
            json!({"object": "user", "id": "6794760a-1f15-45cd-9c65-0dfe42f5135a",
                   "type": "bot", "bot": {"owner": {"type": "user"}}}),
        ),
    }
}

/// The answer to an API call with a missing, expired or revoked token.
pub fn unauthorized(family: Family) -> Reply {
    match family {
        Family::GitHub => Reply::json(
            401,
            json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"}),
        ),
        Family::Microsoft => Reply::json(
            401,
            json!({"error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired or is not yet valid."}}),
        ),
        Family::Dropbox => Reply::json(
            401,
            json!({"error_summary": "expired_access_token/", "error": {".tag": "expired_access_token"}}),
        ),
        Family::Zoom => Reply::json(
            401,
            json!({"code": 124, "message": "Invalid access token."}),
        ),
        Family::Notion => Reply::json(
            401,
            json!({"object": "error", "status": 401, "code": "unauthorized", "message": "API token is invalid."}),
        ),
        Family::Google => Reply::json(
            401,
            json!({"error": "invalid_token", "error_description": "Invalid Credentials"}),
        ),
    }
}

/// A JWT-shaped id_token (unsigned: the fake's signature is not verifiable).
fn fake_id_token(account: &Account) -> String {
    use base64::Engine;
    let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.{}",
        b64(json!({"alg": "RS256", "typ": "JWT", "kid": "fake"})),
        b64(
            json!({"iss": "fake-provider", "sub": "110169484474386276334",
                   "email": account.email, "name": account.name,
                   "preferred_username": account.email})
        ),
        "ZmFrZS1zaWduYXR1cmU"
    )
}
