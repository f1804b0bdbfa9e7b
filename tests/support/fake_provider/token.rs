//! The token endpoint: authorization_code, refresh_token (with each family's
//! rotation), Zoom's account_credentials, client_credentials, and client
//! authentication the way each family wants it.

use std::collections::BTreeMap;

use super::http::{Recorded, Reply};
use super::state::State;
use super::wire::{self, Issued, TokenError};
use super::{s256, Family};

impl State {
    // ----- token -----

    pub(super) fn token(&mut self, r: &Recorded) -> Reply {
        if let Some(failure) = self.token_failure.as_mut() {
            let reply = failure.to_reply();
            match failure.times.as_mut() {
                Some(0) => self.token_failure = None,
                Some(n) => {
                    *n -= 1;
                    if *n == 0 {
                        self.token_failure = None;
                    }
                    return reply;
                }
                None => return reply,
            }
        }
        let family = self.family;
        let accept_json = r.accepts_json();
        let fail = |e: TokenError| wire::token_error(family, &e, accept_json);

        // Notion: the token request is a JSON body.
        if family == Family::Notion && !(r.is_json_body() && r.json().is_some()) {
            return fail(TokenError::InvalidRequest(
                "body failed validation: the request body must be JSON".into(),
            ));
        }
        let query = r.query_map();
        let body = r.body_params();
        // Zoom Server-to-Server: grant_type and account_id in the query string.
        if family == Family::Zoom
            && query.get("grant_type").map(String::as_str) == Some("account_credentials")
        {
            return self.account_credentials(r, &query);
        }
        let grant_type = body.get("grant_type").cloned().unwrap_or_default();
        match grant_type.as_str() {
            "authorization_code" => self.authorization_code(r, &body),
            "refresh_token" => self.refresh_token(r, &body),
            "urn:ietf:params:oauth:grant-type:device_code" if family.has_device_flow() => {
                self.device_poll(r, &body)
            }
            "client_credentials" => {
                if let Err(e) = self.check_client(r, &body, false) {
                    return fail(e);
                }
                let grant = self.new_grant();
                let scopes = split_scopes(body.get("scope"));
                let lifetime = self.access_token_lifetime;
                let access_token = self.issue_access(grant, lifetime);
                self.issued(
                    r,
                    Issued {
                        access_token,
                        refresh_token: None,
                        scopes,
                        expires_in: lifetime,
                        server_to_server: false,
                    },
                )
            }
            // The right grant in the wrong place is Zoom's most common mistake.
            "account_credentials" => fail(TokenError::UnsupportedGrant(
                "account_credentials (Zoom wants grant_type and account_id in the query string)"
                    .into(),
            )),
            other => fail(TokenError::UnsupportedGrant(other.to_string())),
        }
    }

    fn issued(&self, r: &Recorded, issued: Issued) -> Reply {
        wire::token_success(self.family, &issued, &self.account, r.accepts_json())
    }

    /// Client authentication as each family wants it. `pkce_grant`: the grant was
    /// bound to a code_challenge (Dropbox then needs no secret).
    pub(super) fn check_client(
        &self,
        r: &Recorded,
        body: &BTreeMap<String, String>,
        pkce_grant: bool,
    ) -> Result<(), TokenError> {
        let basic = r.basic_auth();
        let body_id = body.get("client_id");
        let body_secret = body.get("client_secret");
        let expected_secret = self.client_secret.as_ref();
        let bad = |why: &str| Err(TokenError::InvalidClient(why.to_string()));
        match self.family {
            // Credentials in the form body.
            Family::GitHub | Family::Google => {
                if body_id != Some(&self.client_id) {
                    return bad("client_id missing from the request body or wrong");
                }
                match expected_secret {
                    Some(secret) if body_secret != Some(secret) => {
                        bad("client_secret missing from the request body or wrong")
                    }
                    _ => Ok(()),
                }
            }
            // HTTP Basic with client_id:client_secret.
            Family::Notion => match (&basic, expected_secret) {
                (Some((id, secret)), Some(expected))
                    if *id == self.client_id && secret == expected =>
                {
                    Ok(())
                }
                _ => bad("HTTP Basic client_id:client_secret missing or wrong"),
            },
            Family::Zoom => match expected_secret {
                Some(expected) => match &basic {
                    Some((id, secret)) if *id == self.client_id && secret == expected => Ok(()),
                    _ => bad("Invalid client_id or client_secret"),
                },
                None => match (body_id, &basic) {
                    (Some(id), _) if *id == self.client_id => Ok(()),
                    (_, Some((id, _))) if *id == self.client_id => Ok(()),
                    _ => bad("Invalid client_id"),
                },
            },
            Family::Dropbox => {
                let (id, secret) = match &basic {
                    Some((id, secret)) => (Some(id), Some(secret)),
                    None => (body_id, body_secret),
                };
                if id != Some(&self.client_id) {
                    return bad("Invalid client_id");
                }
                match (secret, expected_secret) {
                    (Some(sent), Some(expected)) if sent != expected => {
                        bad("Invalid client_secret")
                    }
                    (Some(_), None) => bad("This app has no client_secret"),
                    (None, Some(_)) if !pkce_grant => bad("client_secret is required without PKCE"),
                    _ => Ok(()),
                }
            }
            Family::Microsoft => {
                let sent_secret = body_secret.is_some()
                    || basic.as_ref().is_some_and(|(_, s)| !s.is_empty())
                    || body.contains_key("client_assertion");
                let id = body_id.or(basic.as_ref().map(|(id, _)| id));
                if id != Some(&self.client_id) {
                    return bad("AADSTS700016: Application was not found in the directory.");
                }
                match expected_secret {
                    None if sent_secret => Err(TokenError::PublicClientSentSecret),
                    None => Ok(()),
                    Some(expected) => {
                        let sent = body_secret.or(basic.as_ref().map(|(_, s)| s));
                        if sent == Some(expected) {
                            Ok(())
                        } else {
                            bad("AADSTS7000215: Invalid client secret provided.")
                        }
                    }
                }
            }
        }
    }

    fn authorization_code(&mut self, r: &Recorded, body: &BTreeMap<String, String>) -> Reply {
        let family = self.family;
        let fail = |e: TokenError| wire::token_error(family, &e, r.accepts_json());
        let code_value = body.get("code").cloned().unwrap_or_default();
        let pkce_grant = self
            .codes
            .iter()
            .any(|c| c.code == code_value && c.code_challenge.is_some());
        if let Err(e) = self.check_client(r, body, pkce_grant) {
            return fail(e);
        }
        let client_id = self.client_id.clone();
        let Some(code) = self
            .codes
            .iter_mut()
            .find(|c| c.code == code_value && c.client_id == client_id)
        else {
            return fail(TokenError::BadCode);
        };
        if code.used {
            return fail(TokenError::BadCode);
        }
        // Single use: consumed by the first exchange, whatever its outcome.
        code.used = true;
        if body.get("redirect_uri") != Some(&code.redirect_uri) {
            return fail(TokenError::RedirectMismatch);
        }
        if let Some(challenge) = &code.code_challenge {
            match body.get("code_verifier") {
                Some(verifier) if s256(verifier) == *challenge => {}
                _ => return fail(TokenError::BadVerifier),
            }
        }
        let scopes = code.scopes.clone();
        let refresh_allowed = code.refresh_allowed;
        let grant = self.new_grant();
        let lifetime = self.access_token_lifetime;
        let access_token = self.issue_access(grant, lifetime);
        let refresh_token = refresh_allowed.then(|| self.issue_refresh(grant, &client_id, &scopes));
        self.issued(
            r,
            Issued {
                access_token,
                refresh_token,
                scopes,
                expires_in: lifetime,
                server_to_server: false,
            },
        )
    }

    fn refresh_token(&mut self, r: &Recorded, body: &BTreeMap<String, String>) -> Reply {
        let family = self.family;
        let fail = |e: TokenError| wire::token_error(family, &e, r.accepts_json());
        // Refresh tokens of PKCE apps need no secret at Dropbox.
        if let Err(e) = self.check_client(r, body, true) {
            return fail(e);
        }
        let presented = body.get("refresh_token").cloned().unwrap_or_default();
        let client_id = self.client_id.clone();
        let Some(index) = self
            .refresh
            .iter()
            .position(|t| t.token == presented && t.alive && t.client_id == client_id)
        else {
            return fail(TokenError::BadRefreshToken);
        };
        self.refresh_count += 1;
        let grant = self.refresh[index].grant;
        let scopes = self.refresh[index].scopes.clone();
        let lifetime = self.access_token_lifetime;
        let access_token = self.issue_access(grant, lifetime);
        let refresh_token = match family {
            // Rotate, and the old one dies at once.
            Family::Zoom | Family::Notion | Family::GitHub => {
                self.refresh[index].alive = false;
                Some(self.issue_refresh(grant, &client_id, &scopes))
            }
            // Rotates, but the old one keeps working.
            Family::Microsoft => Some(self.issue_refresh(grant, &client_id, &scopes)),
            // No rotation: the response carries no refresh_token.
            Family::Google | Family::Dropbox => None,
        };
        self.issued(
            r,
            Issued {
                access_token,
                refresh_token,
                scopes,
                expires_in: lifetime,
                server_to_server: false,
            },
        )
    }

    fn account_credentials(&mut self, r: &Recorded, query: &BTreeMap<String, String>) -> Reply {
        let family = self.family;
        let fail = |e: TokenError| wire::token_error(family, &e, r.accepts_json());
        let expected = self.client_secret.clone().unwrap_or_default();
        match r.basic_auth() {
            Some((id, secret))
                if id == self.client_id && secret == expected && !expected.is_empty() => {}
            _ => {
                return fail(TokenError::InvalidClient(
                    "Invalid client_id or client_secret".into(),
                ))
            }
        }
        if query.get("account_id") != Some(&self.zoom_account_id) {
            return fail(TokenError::InvalidRequest("Invalid account_id".into()));
        }
        let grant = self.new_grant();
        let lifetime = self.access_token_lifetime.or(Some(3599));
        let access_token = self.issue_access(grant, lifetime);
        self.issued(
            r,
            Issued {
                access_token,
                refresh_token: None,
                scopes: vec!["user:read:admin".into(), "recording:read:admin".into()],
                expires_in: lifetime,
                server_to_server: true,
            },
        )
    }
}

fn split_scopes(scope: Option<&String>) -> Vec<String> {
    scope
        .map(|s| {
            s.split([' ', ','])
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}
