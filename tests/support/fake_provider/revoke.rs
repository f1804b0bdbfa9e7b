//! The revoke endpoints: where each family takes the token, the client
//! authentication RFC 7009 §2.1 asks for (a knob, Google family only), which
//! tokens a family refuses (an expired access token where the service checks
//! it like any API call), and how much a revoke ends (the whole grant, or only
//! the one access token at GitHub's single-token endpoint).

use std::time::Instant;

use serde_json::json;

use super::http::{Recorded, Reply};
use super::state::{dropbox_empty_json_body, github_needs_user_agent, State};
use super::wire;
use super::Family;

/// How much a successful revoke ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RevokeScope {
    /// Every access and refresh token of the token's grant (all families'
    /// catalog endpoints; GitHub's `/applications/{client_id}/grant`).
    Grant,
    /// Only the access token sent (GitHub's `/applications/{client_id}/token`):
    /// the grant's refresh tokens keep working.
    OneAccessToken,
}

impl State {
    /// GitHub revokes with DELETE, everyone else with POST.
    pub(super) fn revoke_with_method(
        &mut self,
        method: &str,
        r: &Recorded,
        scope: RevokeScope,
    ) -> Reply {
        let expected = if self.family == Family::GitHub {
            "DELETE"
        } else {
            "POST"
        };
        if method != expected {
            Reply::json(405, json!({"error": "method_not_allowed"}))
        } else {
            self.revoke(r, scope)
        }
    }

    fn revoke(&mut self, r: &Recorded, scope: RevokeScope) -> Reply {
        if self.revoke_fails {
            return Reply::text(500, "Internal Server Error");
        }
        let family = self.family;
        if family == Family::Google && self.revoke_client_auth {
            if let Err(refused) = self.check_revoke_client(r) {
                return refused;
            }
        }
        let token = match family {
            Family::Google => r.form_param("token").or_else(|| r.query_param("token")),
            Family::GitHub => {
                if r.header("user-agent").is_none() {
                    return github_needs_user_agent();
                }
                match r.basic_auth() {
                    Some((id, secret))
                        if id == self.client_id && Some(&secret) == self.client_secret.as_ref() => {
                    }
                    _ => return github_not_found(),
                }
                r.json()
                    .and_then(|j| j["access_token"].as_str().map(str::to_string))
            }
            Family::Dropbox => {
                if let Some(reply) = dropbox_empty_json_body(r) {
                    return reply;
                }
                r.bearer()
            }
            Family::Zoom | Family::Notion => {
                match r.basic_auth() {
                    Some((id, secret))
                        if id == self.client_id && Some(&secret) == self.client_secret.as_ref() => {
                    }
                    _ => {
                        return Reply::json(
                            401,
                            json!({"error": "invalid_client", "reason": "Invalid client_id or client_secret"}),
                        )
                    }
                }
                if family == Family::Zoom {
                    r.form_param("token")
                } else {
                    r.json()
                        .and_then(|j| j["token"].as_str().map(str::to_string))
                }
            }
            Family::Microsoft => None,
        };
        let Some(token) = token else {
            return Reply::json(
                400,
                json!({"error": "invalid_request", "error_description": "token missing"}),
            );
        };

        let now = Instant::now();
        let access = self
            .access
            .iter()
            .find(|t| t.token == token)
            .map(|t| (t.grant, t.is_valid(now), t.revoked));
        let grant = match access {
            // The service checks the access token like any API call: a dead one
            // is refused and nothing ends, so the refresh token stays valid.
            Some((_, false, _)) if family.revokes_with_live_access_token() => {
                return dead_access_token(family);
            }
            Some((_, _, true)) => None,
            Some((grant, _, false)) => Some(grant),
            None if family.revokes_only_access_tokens() => None,
            None => self
                .refresh
                .iter()
                .find(|t| t.token == token && t.alive)
                .map(|t| t.grant),
        };
        let Some(grant) = grant else {
            return match family {
                Family::GitHub => github_not_found(),
                Family::Dropbox => wire::unauthorized(family),
                _ => Reply::json(
                    400,
                    json!({"error": "invalid_token", "error_description": "Token expired or revoked"}),
                ),
            };
        };
        match scope {
            // Revoking one token ends the whole grant, access and refresh tokens alike.
            RevokeScope::Grant => {
                for t in self.access.iter_mut().filter(|t| t.grant == grant) {
                    t.revoked = true;
                }
                for t in self.refresh.iter_mut().filter(|t| t.grant == grant) {
                    t.alive = false;
                }
            }
            RevokeScope::OneAccessToken => {
                for t in self.access.iter_mut().filter(|t| t.token == token) {
                    t.revoked = true;
                }
            }
        }
        match family {
            Family::GitHub => Reply::empty(204),
            Family::Dropbox => Reply::json(200, serde_json::Value::Null),
            Family::Zoom => Reply::json(200, json!({"status": "success"})),
            _ => Reply::json(200, json!({})),
        }
    }

    /// RFC 7009 §2.1: the client authenticates at the revocation endpoint as it
    /// does at the token endpoint. A confidential client by HTTP Basic or by
    /// client_id + client_secret in the form body; a public client by client_id
    /// in the form body. The wording is node-oidc-provider's, a conformant
    /// server nobody here wrote.
    fn check_revoke_client(&self, r: &Recorded) -> Result<(), Reply> {
        let form = r.form();
        let basic = r.basic_auth();
        let body_id = form.get("client_id");
        let body_secret = form.get("client_secret");
        let invalid_request = |why: &str| {
            Reply::json(
                400,
                json!({"error": "invalid_request", "error_description": why}),
            )
        };
        match (&basic, body_id) {
            (None, None) => {
                return Err(invalid_request(
                    "no client authentication mechanism provided",
                ))
            }
            (Some(_), _) if body_secret.is_some() => {
                return Err(invalid_request(
                    "client authentication must only be provided using one mechanism",
                ))
            }
            (Some((id, _)), Some(body_id)) if id != body_id => {
                return Err(invalid_request(
                    "mismatch in body and authorization client ids",
                ))
            }
            _ => {}
        }
        let authenticated = match (&self.client_secret, &basic) {
            (Some(secret), Some((id, sent))) => *id == self.client_id && sent == secret,
            (Some(secret), None) => body_id == Some(&self.client_id) && body_secret == Some(secret),
            // A public client has no secret to present.
            (None, Some(_)) => false,
            (None, None) => body_id == Some(&self.client_id) && body_secret.is_none(),
        };
        if authenticated {
            Ok(())
        } else {
            Err(Reply::json(
                401,
                json!({"error": "invalid_client", "error_description": "client authentication failed"}),
            ))
        }
    }
}

/// GitHub answers 404 for bad client credentials and for a token it does not
/// take (unknown, expired, revoked), so as not to tell which.
fn github_not_found() -> Reply {
    Reply::json(
        404,
        json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest/apps/oauth-applications", "status": "404"}),
    )
}

/// What a revoke with an expired or revoked access token gets, per service.
fn dead_access_token(family: Family) -> Reply {
    match family {
        Family::GitHub => github_not_found(),
        // Dropbox: the same 401 as any API call with an expired token.
        Family::Dropbox => wire::unauthorized(family),
        // Notion's API error shape, plus the OAuth `error`/`error_description`
        // that its OAuth endpoints answer with.
        Family::Notion => Reply::json(
            401,
            json!({"error": "unauthorized", "error_description": "API token is invalid.",
                   "object": "error", "status": 401, "code": "unauthorized",
                   "message": "API token is invalid."}),
        ),
        _ => Reply::json(
            400,
            json!({"error": "invalid_token", "error_description": "Token expired or revoked"}),
        ),
    }
}
