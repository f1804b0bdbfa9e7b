//! The OAuth requests themselves, built as plain data and sent by one function.
//!
//! Every service-specific difference comes from the provider's data (client
//! authentication, body format, revoke style, extra parameters), never from a
//! branch on the service's name. Building a request is pure, so the wire format
//! is unit-tested without sockets; [`send`] is the only place that talks HTTP.

use crate::credentials::{Credentials, Env};
use crate::http::is_allowed_endpoint;
use crate::pkce::{PkceVerifier, CHALLENGE_METHOD};
use crate::provider::{BodyFormat, Provider, RevokeStyle, TokenAuth, UserinfoStyle};
use crate::secret::{AccessToken, AuthorizationCode, RefreshToken};
use crate::token::TokenSet;
use base64::Engine;
use serde_json::Value;
use std::fmt;

/// An HTTP request ready to send. Its `Debug` shows the method, the URL and
/// header *names* only: headers and bodies carry secrets.
pub struct PreparedRequest {
    pub method: reqwest::Method,
    pub url: String,
    headers: Vec<(String, String)>,
    body: Body,
}

enum Body {
    Empty,
    Form(Vec<(String, String)>),
    Json(Value),
}

impl fmt::Debug for PreparedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("PreparedRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &names)
            .field("body", &"[redacted]")
            .finish()
    }
}

impl PreparedRequest {
    fn new(method: reqwest::Method, url: String, provider: &Provider) -> Self {
        let mut headers = vec![("Accept".to_owned(), "application/json".to_owned())];
        headers.extend(provider.extra_headers.iter().cloned());
        Self {
            method,
            url,
            headers,
            body: Body::Empty,
        }
    }

    /// A plain GET asking for JSON (discovery documents).
    pub fn get(url: String) -> Self {
        Self {
            method: reqwest::Method::GET,
            url,
            headers: vec![("Accept".to_owned(), "application/json".to_owned())],
            body: Body::Empty,
        }
    }

    /// A header value (tests and diagnostics).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A body parameter, whichever the body format (tests).
    pub fn param(&self, name: &str) -> Option<String> {
        match &self.body {
            Body::Form(pairs) => pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone()),
            Body::Json(Value::Object(map)) => {
                map.get(name).and_then(Value::as_str).map(str::to_owned)
            }
            _ => None,
        }
    }

    pub fn is_json(&self) -> bool {
        matches!(self.body, Body::Json(_))
    }

    fn basic_auth(&mut self, user: &str, password: &str) {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        self.headers
            .push(("Authorization".to_owned(), format!("Basic {encoded}")));
    }

    fn bearer(&mut self, token: &str) {
        self.headers
            .push(("Authorization".to_owned(), format!("Bearer {token}")));
    }
}

/// What a request produced: status, content type and body.
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    /// Seconds from `Retry-After` (429 and 503 answers), when given as a number.
    pub retry_after: Option<u64>,
    /// When the credential used ends, as the service reports it in a
    /// header (GitHub: `github-authentication-token-expiration`, the only
    /// place a personal access token's end is told). Unix seconds.
    pub credential_expires_at: Option<u64>,
    pub body: Vec<u8>,
}

/// The header GitHub reports a personal access token's end in.
pub const TOKEN_EXPIRATION_HEADER: &str = "github-authentication-token-expiration";

/// `2026-12-02 10:00:00 UTC` (GitHub's form), or with a `+HHMM`/`-HHMM`
/// offset instead of `UTC`, to Unix seconds.
pub fn parse_expiration(text: &str) -> Option<u64> {
    let mut parts = text.split_whitespace();
    let (date, time, zone) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let num = |s: &str| s.parse::<i64>().ok();
    let d: Vec<i64> = date.split('-').map(num).collect::<Option<_>>()?;
    let t: Vec<i64> = time.split(':').map(num).collect::<Option<_>>()?;
    let ([y, m, day], [hh, mm, ss]) = (d.as_slice(), t.as_slice()) else {
        return None;
    };
    if !(1..=12).contains(m) || !(1..=31).contains(day) || *hh > 23 || *mm > 59 || *ss > 60 {
        return None;
    }
    let offset = match zone {
        "UTC" | "GMT" | "Z" => 0,
        _ => {
            let (sign, digits) = zone.split_at_checked(1)?;
            let sign = match sign {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            if digits.len() != 4 {
                return None;
            }
            sign * (num(&digits[..2])? * 3_600 + num(&digits[2..])? * 60)
        }
    };
    // Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
    let (y, m) = if *m <= 2 { (y - 1, m + 9) } else { (*y, m - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hh * 3_600 + mm * 60 + ss - offset;
    u64::try_from(secs).ok()
}

/// Why a request did not get an answer.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    #[error("Authdeck only talks to services over HTTPS; {url} is not allowed. Fix the address in providers.toml.")]
    InsecureEndpoint { url: String },
    #[error("the service did not answer in time")]
    TimedOut,
    #[error("the service sent an answer far larger than any it should send")]
    TooLarge,
    #[error("could not reach the service ({0})")]
    Unreachable(String),
}

/// The most of an answer that is read (1 MiB).
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// Sends a request. Never follows redirects (the client is built that way) and
/// never logs a header or a body.
pub async fn send(client: &reqwest::Client, request: PreparedRequest) -> Result<Answer, SendError> {
    if !is_allowed_endpoint(&request.url) {
        return Err(SendError::InsecureEndpoint { url: request.url });
    }
    tracing::debug!(method = %request.method, url = %request.url, "request");
    let mut builder = client.request(request.method, &request.url);
    for (k, v) in &request.headers {
        builder = builder.header(k, v);
    }
    builder = match request.body {
        Body::Empty => builder,
        Body::Form(pairs) => builder.form(&pairs),
        Body::Json(value) => builder.json(&value),
    };
    let response = builder.send().await.map_err(describe_reqwest)?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let credential_expires_at = response
        .headers()
        .get(TOKEN_EXPIRATION_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_expiration);
    // A token answer is a few KiB: read no more than MAX_ANSWER_BYTES of
    // anything, so a broken or hostile server cannot fill the memory.
    let mut response = response;
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(describe_reqwest)? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(SendError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    tracing::debug!(status, bytes = body.len(), "answer");
    Ok(Answer {
        status,
        content_type,
        retry_after,
        credential_expires_at,
        body,
    })
}

fn describe_reqwest(error: reqwest::Error) -> SendError {
    if error.is_timeout() {
        return SendError::TimedOut;
    }
    // Without the URL: messages stay short, and no query string is ever quoted.
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(inner) = source {
        text = format!("{text}: {inner}");
        source = inner.source();
    }
    SendError::Unreachable(text)
}

/// The grant a token request carries.
pub enum Grant {
    AuthorizationCode {
        code: AuthorizationCode,
        verifier: Option<PkceVerifier>,
        redirect_uri: String,
    },
    Refresh(RefreshToken),
    /// RFC 8628: the device code the person is approving elsewhere.
    DeviceCode {
        device_code: crate::secret::DeviceCode,
    },
    /// Zoom Server-to-Server.
    AccountCredentials {
        account_id: String,
    },
    ClientCredentials,
}

/// A service's endpoint that is missing or not a URL: its configuration
/// needs fixing before anything can be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    #[error("{service} has no {what} address: set `{key}` in providers.toml")]
    Missing {
        service: String,
        what: &'static str,
        key: &'static str,
    },
    #[error("The {what} address of {service} is not a valid URL ({detail}): fix `{key}` in providers.toml")]
    NotAUrl {
        service: String,
        what: &'static str,
        key: &'static str,
        detail: String,
    },
}

impl EndpointError {
    fn missing(provider: &Provider, what: &'static str, key: &'static str) -> Self {
        EndpointError::Missing {
            service: provider.name.clone(),
            what,
            key,
        }
    }

    fn not_a_url(
        provider: &Provider,
        what: &'static str,
        key: &'static str,
        e: url::ParseError,
    ) -> Self {
        EndpointError::NotAUrl {
            service: provider.name.clone(),
            what,
            key,
            detail: e.to_string(),
        }
    }
}

/// Fills `{tenant}`-style placeholders from the environment or their defaults.
pub fn endpoint(provider: &Provider, template: &str, env: &Env, client_id: Option<&str>) -> String {
    provider.resolve_url(template, &|name| env.get(name), client_id)
}

/// The URL the person's browser opens. Only `response_type=code`.
pub fn authorize_url(
    provider: &Provider,
    env: &Env,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
    verifier: Option<&PkceVerifier>,
) -> Result<String, EndpointError> {
    const WHAT: &str = "sign-in";
    const KEY: &str = "authorize_url";
    let template = provider
        .authorize_url
        .as_deref()
        .ok_or_else(|| EndpointError::missing(provider, WHAT, KEY))?;
    let mut url = url::Url::parse(&endpoint(provider, template, env, Some(client_id)))
        .map_err(|e| EndpointError::not_a_url(provider, WHAT, KEY, e))?;
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("state", state);
        if !provider.scopes.is_empty() {
            query.append_pair("scope", &provider.scopes.join(" "));
        }
        if let Some(verifier) = verifier {
            query
                .append_pair("code_challenge", &verifier.challenge())
                .append_pair("code_challenge_method", CHALLENGE_METHOD);
        }
        for (k, v) in &provider.extra_authorize_params {
            query.append_pair(k, v);
        }
    }
    Ok(url.into())
}

/// A token endpoint request for any grant, with the service's client
/// authentication and body format.
pub fn token_request(
    provider: &Provider,
    env: &Env,
    creds: &Credentials,
    grant: Grant,
) -> Result<PreparedRequest, EndpointError> {
    const WHAT: &str = "token";
    const KEY: &str = "token_url";
    let template = provider
        .token_url
        .as_deref()
        .ok_or_else(|| EndpointError::missing(provider, WHAT, KEY))?;
    let client_id = creds.client_id().unwrap_or_default();
    let mut url = endpoint(provider, template, env, Some(client_id));
    let mut params: Vec<(String, String)> = Vec::new();
    match grant {
        Grant::AuthorizationCode {
            code,
            verifier,
            redirect_uri,
        } => {
            params.push(("grant_type".into(), "authorization_code".into()));
            params.push(("code".into(), code.into_secret()));
            params.push(("redirect_uri".into(), redirect_uri));
            if let Some(verifier) = verifier {
                params.push(("code_verifier".into(), verifier.secret().to_owned()));
            }
        }
        Grant::DeviceCode { device_code } => {
            params.push((
                "grant_type".into(),
                "urn:ietf:params:oauth:grant-type:device_code".into(),
            ));
            params.push(("device_code".into(), device_code.secret().to_owned()));
        }
        Grant::Refresh(token) => {
            params.push(("grant_type".into(), "refresh_token".into()));
            params.push(("refresh_token".into(), token.secret().to_owned()));
        }
        Grant::AccountCredentials { account_id } => {
            // Zoom takes these in the query string (docs/providers.md#zoom).
            let mut with_query = url::Url::parse(&url)
                .map_err(|e| EndpointError::not_a_url(provider, WHAT, KEY, e))?;
            with_query
                .query_pairs_mut()
                .append_pair("grant_type", "account_credentials")
                .append_pair("account_id", &account_id);
            url = with_query.into();
        }
        Grant::ClientCredentials => {
            params.push(("grant_type".into(), "client_credentials".into()));
            if !provider.scopes.is_empty() {
                params.push(("scope".into(), provider.scopes.join(" ")));
            }
        }
    }
    let mut request = PreparedRequest::new(reqwest::Method::POST, url, provider);
    authenticate_client(provider, creds, &mut request, &mut params);
    request.body = match provider.token_request_format {
        BodyFormat::Form => Body::Form(params),
        BodyFormat::Json => Body::Json(Value::Object(
            params
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        )),
    };
    if !request.has_body_params() {
        request.body = Body::Empty;
    }
    Ok(request)
}

/// How the client identifies itself, the same at the token endpoint and the
/// revocation endpoint (RFC 7009 section 2.1): `basic` with a secret → HTTP
/// Basic; `post` with a secret → `client_id` and `client_secret` in the body;
/// a public client (no secret, or `none`) → `client_id` in the body only.
fn authenticate_client(
    provider: &Provider,
    creds: &Credentials,
    request: &mut PreparedRequest,
    params: &mut Vec<(String, String)>,
) {
    let client_id = creds.client_id().unwrap_or_default();
    let secret = creds.client_secret().map(|s| s.secret().to_owned());
    match (provider.token_auth, secret) {
        (TokenAuth::Basic, Some(secret)) => request.basic_auth(client_id, &secret),
        (TokenAuth::Post, Some(secret)) => {
            params.push(("client_id".into(), client_id.to_owned()));
            params.push(("client_secret".into(), secret));
        }
        _ => params.push(("client_id".into(), client_id.to_owned())),
    }
}

impl PreparedRequest {
    fn has_body_params(&self) -> bool {
        match &self.body {
            Body::Empty => false,
            Body::Form(p) => !p.is_empty(),
            Body::Json(Value::Object(m)) => !m.is_empty(),
            Body::Json(_) => true,
        }
    }
}

/// The device authorization request (RFC 8628 section 3.1): the client and
/// the scopes, authenticated like the token endpoint.
pub fn device_authorization_request(
    provider: &Provider,
    env: &Env,
    creds: &Credentials,
) -> Option<PreparedRequest> {
    let template = provider.device_authorization_url.as_deref()?;
    let client_id = creds.client_id().unwrap_or_default();
    let url = endpoint(provider, template, env, Some(client_id));
    let mut request = PreparedRequest::new(reqwest::Method::POST, url, provider);
    let mut params = Vec::new();
    if !provider.scopes.is_empty() {
        params.push(("scope".to_owned(), provider.scopes.join(" ")));
    }
    authenticate_client(provider, creds, &mut request, &mut params);
    request.body = Body::Form(params);
    Some(request)
}

/// The revocation request, or `None` when the service has no way to revoke.
pub fn revoke_request(
    provider: &Provider,
    env: &Env,
    creds: &Credentials,
    set: &TokenSet,
) -> Option<PreparedRequest> {
    let template = provider.revoke_url.as_deref()?;
    let client_id = creds.client_id().unwrap_or_default();
    let url = endpoint(provider, template, env, Some(client_id));
    let secret = creds
        .client_secret()
        .map(|s| s.secret().to_owned())
        .unwrap_or_default();
    // Revoking the refresh token ends the whole grant where a service supports it.
    let grant_token = set
        .refresh_token
        .as_ref()
        .map(|t| t.secret().to_owned())
        .unwrap_or_else(|| set.access_token.secret().to_owned());
    let access = set.access_token.secret().to_owned();
    let mut request;
    match provider.revoke_style {
        RevokeStyle::None => return None,
        RevokeStyle::FormToken => {
            request = PreparedRequest::new(reqwest::Method::POST, url, provider);
            request.body = Body::Form(vec![("token".into(), grant_token)]);
        }
        RevokeStyle::Rfc7009 => {
            request = PreparedRequest::new(reqwest::Method::POST, url, provider);
            let hint = if set.refresh_token.is_some() {
                "refresh_token"
            } else {
                "access_token"
            };
            let mut params = vec![
                ("token".to_owned(), grant_token),
                ("token_type_hint".to_owned(), hint.to_owned()),
            ];
            authenticate_client(provider, creds, &mut request, &mut params);
            request.body = Body::Form(params);
        }
        RevokeStyle::JsonAccessTokenBasicDelete => {
            request = PreparedRequest::new(reqwest::Method::DELETE, url, provider);
            request.basic_auth(client_id, &secret);
            request.body = Body::Json(serde_json::json!({ "access_token": access }));
        }
        RevokeStyle::JsonTokenBasic => {
            request = PreparedRequest::new(reqwest::Method::POST, url, provider);
            request.basic_auth(client_id, &secret);
            request.body = Body::Json(serde_json::json!({ "token": access }));
        }
        RevokeStyle::BearerNoBody => {
            request = PreparedRequest::new(reqwest::Method::POST, url, provider);
            request.bearer(&access);
        }
    }
    Some(request)
}

/// The "who am I" request, or `None` when the identity comes with the token.
pub fn userinfo_request(
    provider: &Provider,
    env: &Env,
    access_token: &AccessToken,
) -> Option<PreparedRequest> {
    let template = provider.userinfo_url.as_deref()?;
    let url = endpoint(provider, template, env, None);
    let method = match provider.userinfo_style {
        UserinfoStyle::GetBearer => reqwest::Method::GET,
        UserinfoStyle::PostBearerNoBody => reqwest::Method::POST,
        UserinfoStyle::FromTokenResponse => return None,
    };
    let mut request = PreparedRequest::new(method, url, provider);
    request.bearer(access_token.secret());
    Some(request)
}

/// The first of the provider's account fields (dotted paths) that holds text.
pub fn account_from(provider: &Provider, value: &Value) -> Option<String> {
    provider.account_fields.iter().find_map(|path| {
        let mut current = value;
        for part in path.split('.') {
            current = current.get(part)?;
        }
        current
            .as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::Source;
    use crate::provider::builtin_providers;
    use crate::secret::{ClientSecret, RefreshToken};

    fn provider(id: &str) -> Provider {
        crate::provider::builtin(id)
    }

    fn creds(secret: Option<&str>) -> Credentials {
        Credentials {
            client_id: Some(("cid".into(), Source::Keyring)),
            client_secret: secret.map(|s| (ClientSecret::new(s), Source::Keyring)),
            ..Default::default()
        }
    }

    fn code_grant() -> Grant {
        Grant::AuthorizationCode {
            code: AuthorizationCode::new("the-code"),
            verifier: Some(PkceVerifier::from_string("v".repeat(43))),
            redirect_uri: "http://127.0.0.1:5000/callback".into(),
        }
    }

    #[test]
    fn a_credential_end_is_read_in_githubs_form_and_with_offsets() {
        assert_eq!(
            parse_expiration("2021-10-07 19:07:53 UTC"),
            Some(1_633_633_673)
        );
        assert_eq!(parse_expiration("1970-01-01 00:00:00 UTC"), Some(0));
        assert_eq!(
            parse_expiration("2024-02-29 12:00:00 +0100"),
            Some(1_709_204_400)
        );
        assert_eq!(
            parse_expiration("2021-10-07 12:07:53 -0700"),
            parse_expiration("2021-10-07 19:07:53 UTC")
        );
        for bad in [
            "",
            "soon",
            "2021-13-07 19:07:53 UTC",
            "2021-10-07 19:07 UTC",
            "2021-10-07 19:07:53 CEST",
            "2021-10-07 19:07:53 UTC extra",
        ] {
            assert_eq!(parse_expiration(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_missing_or_broken_endpoint_is_a_typed_config_error_naming_the_key() {
        let mut p = provider("github");
        p.token_url = None;
        let err = token_request(&p, &Env::default(), &creds(None), code_grant()).unwrap_err();
        assert!(
            matches!(
                &err,
                EndpointError::Missing {
                    key: "token_url",
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(crate::error::Error::from(err).code(), "config_error");

        p.authorize_url = Some("not a url".into());
        let err = authorize_url(&p, &Env::default(), "cid", "http://127.0.0.1:1/", "s", None)
            .unwrap_err();
        assert!(
            matches!(
                &err,
                EndpointError::NotAUrl {
                    key: "authorize_url",
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("GitHub"), "{err}");
    }

    #[test]
    fn authorize_url_carries_pkce_state_and_only_code_response_type() {
        let p = provider("google");
        let v = PkceVerifier::from_string("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        let url = authorize_url(
            &p,
            &Env::default(),
            "cid",
            "http://127.0.0.1:1/callback",
            "st",
            Some(&v),
        )
        .unwrap();
        let parsed = url::Url::parse(&url).unwrap();
        let q: std::collections::HashMap<_, _> = parsed.query_pairs().into_owned().collect();
        assert_eq!(q["response_type"], "code");
        assert_eq!(
            q["code_challenge"],
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["state"], "st");
        assert_eq!(q["access_type"], "offline");
        assert_eq!(q["prompt"], "consent");
        assert!(q["scope"].contains("openid"));
    }

    #[test]
    fn microsoft_tenant_placeholder_defaults_to_common_and_follows_env() {
        let p = provider("microsoft");
        let url = authorize_url(
            &p,
            &Env::default(),
            "cid",
            "http://localhost/callback",
            "s",
            None,
        )
        .unwrap();
        assert!(
            url.starts_with("https://login.microsoftonline.com/common/"),
            "{url}"
        );
        let env = Env::from_pairs([("MICROSOFT_TENANT", "organizations")]);
        let url = authorize_url(&p, &env, "cid", "http://localhost/callback", "s", None).unwrap();
        assert!(url.contains("/organizations/"), "{url}");
    }

    #[test]
    fn notion_token_request_is_json_with_basic_auth() {
        let p = provider("notion");
        let r = token_request(&p, &Env::default(), &creds(Some("sec")), code_grant()).unwrap();
        assert!(r.is_json());
        assert!(r.header("Authorization").unwrap().starts_with("Basic "));
        assert_eq!(r.param("client_secret"), None);
        assert_eq!(
            r.param("redirect_uri").as_deref(),
            Some("http://127.0.0.1:5000/callback")
        );
    }

    #[test]
    fn github_token_request_posts_secret_and_asks_for_json() {
        let p = provider("github");
        let r = token_request(&p, &Env::default(), &creds(Some("sec")), code_grant()).unwrap();
        assert!(!r.is_json());
        assert_eq!(r.header("Accept"), Some("application/json"));
        assert_eq!(r.param("client_secret").as_deref(), Some("sec"));
        assert_eq!(r.param("code_verifier").unwrap().len(), 43);
    }

    #[test]
    fn public_client_sends_no_secret() {
        let p = provider("microsoft");
        let r = token_request(&p, &Env::default(), &creds(None), code_grant()).unwrap();
        assert_eq!(r.param("client_id").as_deref(), Some("cid"));
        assert_eq!(r.param("client_secret"), None);
        assert!(r.header("Authorization").is_none());
    }

    #[test]
    fn zoom_server_to_server_puts_grant_in_query_with_basic_auth() {
        let p = provider("zoom");
        let r = token_request(
            &p,
            &Env::default(),
            &creds(Some("sec")),
            Grant::AccountCredentials {
                account_id: "acc".into(),
            },
        )
        .unwrap();
        assert!(
            r.url.contains("grant_type=account_credentials") && r.url.contains("account_id=acc"),
            "{}",
            r.url
        );
        assert!(r.header("Authorization").unwrap().starts_with("Basic "));
    }

    #[test]
    fn microsoft_has_no_revoke_and_github_revokes_with_delete() {
        let set = planted(None);
        assert!(
            revoke_request(&provider("microsoft"), &Env::default(), &creds(None), &set).is_none()
        );
        let r = revoke_request(
            &provider("github"),
            &Env::default(),
            &creds(Some("s")),
            &set,
        )
        .unwrap();
        assert_eq!(r.method, reqwest::Method::DELETE);
        assert_eq!(r.url, "https://api.github.com/applications/cid/grant");
        assert_eq!(r.param("access_token").as_deref(), Some("at"));
    }

    #[test]
    fn debug_of_a_request_shows_no_secret() {
        let p = provider("github");
        let r =
            token_request(&p, &Env::default(), &creds(Some("TOPSECRET")), code_grant()).unwrap();
        let shown = format!("{r:?}");
        assert!(
            !shown.contains("TOPSECRET") && !shown.contains("the-code"),
            "{shown}"
        );
    }

    #[test]
    fn account_is_found_by_dotted_path() {
        let p = provider("notion");
        let v = serde_json::json!({"owner": {"user": {"name": "Ada", "person": {"email": "ada@example.com"}}}});
        assert_eq!(account_from(&p, &v).as_deref(), Some("ada@example.com"));
    }

    fn planted(refresh: Option<&str>) -> TokenSet {
        TokenSet {
            access_token: AccessToken::new("at"),
            refresh_token: refresh.map(RefreshToken::new),
            token_type: "bearer".into(),
            expires_at: None,
            scopes: vec![],
            requested_scopes: Vec::new(),
            method: crate::token::Method::OauthPkce,
            account: None,
            obtained_at: 0,
            refreshed_at: None,
            needs_reconnect: None,
        }
    }

    #[test]
    fn rfc7009_revocation_authenticates_like_the_token_endpoint() {
        let mut p = Provider::new("corp", "Corp");
        p.revoke_url = Some("https://corp.example/revoke".into());
        p.revoke_style = RevokeStyle::Rfc7009;
        let set = planted(Some("rt"));
        // none / a public client: client_id in the body, never a secret.
        p.token_auth = TokenAuth::None;
        let r = revoke_request(&p, &Env::default(), &creds(None), &set).unwrap();
        assert_eq!(r.param("client_id").as_deref(), Some("cid"));
        assert_eq!(r.param("client_secret"), None);
        assert_eq!(r.param("token").as_deref(), Some("rt"));
        assert_eq!(r.param("token_type_hint").as_deref(), Some("refresh_token"));
        assert!(r.header("Authorization").is_none());
        // post: id and secret in the body.
        p.token_auth = TokenAuth::Post;
        let r = revoke_request(&p, &Env::default(), &creds(Some("sec")), &set).unwrap();
        assert_eq!(r.param("client_id").as_deref(), Some("cid"));
        assert_eq!(r.param("client_secret").as_deref(), Some("sec"));
        assert!(r.header("Authorization").is_none());
        // basic: HTTP Basic, nothing about the client in the body.
        p.token_auth = TokenAuth::Basic;
        let r = revoke_request(&p, &Env::default(), &creds(Some("sec")), &set).unwrap();
        let basic = base64::engine::general_purpose::STANDARD.encode("cid:sec");
        assert_eq!(
            r.header("Authorization"),
            Some(format!("Basic {basic}").as_str())
        );
        assert_eq!(r.param("client_id"), None);
        assert_eq!(r.param("client_secret"), None);
    }

    #[test]
    fn access_token_revocations_are_the_ones_that_need_a_live_token() {
        let live: Vec<String> = builtin_providers()
            .into_iter()
            .filter(|p| p.revoke_style.needs_live_access_token())
            .map(|p| p.id)
            .collect();
        assert_eq!(live, ["dropbox", "notion", "github"]);
    }
}
