//! Parsing what a token endpoint answers, tolerantly and without ever echoing a token.
//!
//! One parser serves every service, because their differences are in the wire
//! format, not in meaning (see docs/providers.md#rules-every-service-gets):
//! - GitHub answers form-encoded unless asked for JSON, and reports errors as
//!   HTTP 200 with an `error` field: any `error` field is an error, whatever the status.
//! - Microsoft has sent `expires_in` as a string: numbers and numeric strings both count.
//! - Scopes come space- or comma-separated.
//! - A missing `expires_in` means "unknown / does not expire", never a made-up hour.
//!
//! Errors keep enough of the body to explain what happened, but a body is only
//! quoted through [`describe_body`], which drops every field that could hold a secret.

use crate::secret::{AccessToken, RefreshToken};
use crate::token::parse_scopes;
use serde_json::{Map, Value};
use std::fmt;

/// A successful token response.
#[derive(Debug)]
pub struct TokenResponse {
    pub access_token: AccessToken,
    pub refresh_token: Option<RefreshToken>,
    pub token_type: Option<String>,
    /// Seconds; `None` when the service did not say.
    pub expires_in: Option<u64>,
    /// `None` when the service did not say (then the requested scopes stand).
    pub scopes: Option<Vec<String>>,
    /// The response without its secret fields: Notion puts the account here.
    pub identity: Value,
}

/// Why a token response could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The service answered with an OAuth error (`invalid_grant`, `bad_verification_code`…).
    #[error("The service said no: {}", explain_oauth_error(.error, .description.as_deref()))]
    Provider {
        status: u16,
        error: String,
        description: Option<String>,
    },
    /// The service answered, but not with anything Authdeck can use.
    #[error("the service gave an answer Authdeck could not use (HTTP {status}: {summary})")]
    Unusable { status: u16, summary: String },
}

impl TokenError {
    /// The refresh token (or code) is dead: the person has to sign in again.
    /// Zoom's stale rotated refresh token answers `invalid_request` + "Invalid Token!".
    pub fn means_reconnect(&self) -> bool {
        match self {
            TokenError::Provider {
                error, description, ..
            } => {
                error == "invalid_grant"
                    || error == "bad_refresh_token"
                    || description
                        .as_deref()
                        .is_some_and(|d| d.eq_ignore_ascii_case("Invalid Token!"))
            }
            TokenError::Unusable { .. } => false,
        }
    }
}

fn explain_oauth_error(error: &str, description: Option<&str>) -> String {
    match description {
        Some(d) if !d.is_empty() => format!("{d} ({error})"),
        _ => error.to_owned(),
    }
}

/// Parses a token endpoint answer. `content_type` is the response header, if any.
pub fn parse(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<TokenResponse, TokenError> {
    let fields = match decode_fields(content_type, body) {
        Some(fields) => fields,
        None => {
            return Err(TokenError::Unusable {
                status,
                summary: describe_body(content_type, body),
            })
        }
    };

    if let Some(error) = string_field(&fields, "error") {
        let description = string_field(&fields, "error_description")
            .or_else(|| string_field(&fields, "reason"))
            .or_else(|| string_field(&fields, "message"));
        return Err(TokenError::Provider {
            status,
            error,
            description,
        });
    }

    let access_token = match string_field(&fields, "access_token") {
        Some(token) if (200..300).contains(&status) && !token.is_empty() => token,
        _ => {
            return Err(TokenError::Unusable {
                status,
                summary: describe_body(content_type, body),
            })
        }
    };

    let refresh_token = string_field(&fields, "refresh_token")
        .filter(|t| !t.is_empty())
        .map(RefreshToken::new);
    let expires_in = fields.get("expires_in").and_then(seconds);
    let scopes = string_field(&fields, "scope").map(|s| parse_scopes(&s));
    let token_type = string_field(&fields, "token_type");

    Ok(TokenResponse {
        access_token: AccessToken::new(access_token),
        refresh_token,
        token_type,
        expires_in,
        scopes,
        identity: Value::Object(without_secrets(fields)),
    })
}

/// JSON object, or form-encoded pairs (GitHub without `Accept: application/json`).
fn decode_fields(content_type: Option<&str>, body: &[u8]) -> Option<Map<String, Value>> {
    let text = std::str::from_utf8(body).ok()?.trim();
    let looks_json = text.starts_with('{')
        || content_type.is_some_and(|c| c.to_ascii_lowercase().contains("json"));
    if looks_json {
        return match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        };
    }
    let is_form =
        content_type.is_some_and(|c| {
            c.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        }) || (text.contains('=') && !text.contains('<') && !text.contains(char::is_whitespace));
    if !is_form {
        return None;
    }
    let map: Map<String, Value> = url::form_urlencoded::parse(text.as_bytes())
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    (!map.is_empty()).then_some(map)
}

fn string_field(fields: &Map<String, Value>, key: &str) -> Option<String> {
    match fields.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `3599`, `"3599"` and `3599.0` all mean 3599 seconds; anything else means "unknown".
fn seconds(value: &Value) -> Option<u64> {
    let n = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    // A negative or absurd lifetime is not trusted; ten years is plenty.
    (n.is_finite() && (0.0..=315_360_000.0).contains(&n)).then_some(n as u64)
}

/// Field names that may carry a secret; never kept, never quoted.
fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.contains("token") || k.contains("secret") || k.contains("code") || k.contains("password")
}

fn without_secrets(mut fields: Map<String, Value>) -> Map<String, Value> {
    fields.retain(|k, _| !is_secret_key(k));
    fields.values_mut().for_each(drop_nested_secrets);
    fields
}

/// Objects inside arrays hold fields too (`"accounts":[{"access_token":…}]`).
/// Bounded: serde_json refuses nesting deeper than 128.
fn drop_nested_secrets(value: &mut Value) {
    match value {
        Value::Object(inner) => *inner = without_secrets(std::mem::take(inner)),
        Value::Array(items) => items.iter_mut().for_each(drop_nested_secrets),
        _ => {}
    }
}

/// What a service said when it refused a request (revocation, API calls): its
/// `error_description` (or Zoom's `reason`, GitHub's `message`), else its
/// `error` code; `None` when the body says nothing readable. Control characters
/// are dropped and the text is kept short, since it is shown to the person.
pub fn service_said(content_type: Option<&str>, body: &[u8]) -> Option<String> {
    let fields = decode_fields(content_type, body)?;
    let said = ["error_description", "reason", "message", "error"]
        .iter()
        .find_map(|key| string_field(&fields, key))?;
    let clean: String = said.chars().filter(|c| !c.is_control()).take(300).collect();
    let clean = clean.trim();
    (!clean.is_empty()).then(|| clean.to_owned())
}

/// A short, secret-free description of a body for error messages and logs.
pub fn describe_body(content_type: Option<&str>, body: &[u8]) -> String {
    if body.is_empty() {
        return "an empty answer".to_owned();
    }
    if let Some(fields) = decode_fields(content_type, body) {
        let kept = without_secrets(fields);
        let keys: Vec<&str> = kept.keys().map(String::as_str).take(8).collect();
        return if keys.is_empty() {
            "no usable fields".to_owned()
        } else {
            format!("fields {} but no access token", keys.join(", "))
        };
    }
    let text = String::from_utf8_lossy(body);
    let lower = text.to_ascii_lowercase();
    if lower.contains("<html") || lower.contains("<!doctype") {
        return format!("a web page of {} bytes instead of a token", body.len());
    }
    format!("{} bytes of unreadable data", body.len())
}

impl fmt::Display for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenResponse([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: Option<&str> = Some("application/json");
    const FORM: Option<&str> = Some("application/x-www-form-urlencoded; charset=utf-8");

    #[test]
    fn github_form_encoded_answer_is_parsed_with_comma_scopes() {
        let r = parse(
            200,
            FORM,
            b"access_token=gho_abc&scope=repo%2Cread%3Aorg&token_type=bearer",
        )
        .unwrap();
        assert_eq!(r.access_token.secret(), "gho_abc");
        assert_eq!(r.scopes.unwrap(), vec!["repo", "read:org"]);
        assert_eq!(
            r.expires_in, None,
            "no expires_in means unknown, not an hour"
        );
    }

    #[test]
    fn github_200_with_error_is_an_error() {
        let body = br#"{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."}"#;
        let e = parse(200, JSON, body).unwrap_err();
        assert!(
            matches!(&e, TokenError::Provider { error, .. } if error == "bad_verification_code"),
            "{e:?}"
        );
        assert!(e.to_string().contains("incorrect or expired"));
    }

    #[test]
    fn microsoft_string_expires_in_is_accepted() {
        let r = parse(
            200,
            JSON,
            br#"{"access_token":"x","expires_in":"3599","refresh_token":"r2"}"#,
        )
        .unwrap();
        assert_eq!(r.expires_in, Some(3599));
        assert_eq!(r.refresh_token.unwrap().secret(), "r2");
    }

    #[test]
    fn zoom_stale_refresh_token_means_reconnect() {
        let e = parse(
            400,
            JSON,
            br#"{"reason":"Invalid Token!","error":"invalid_request"}"#,
        )
        .unwrap_err();
        assert!(e.means_reconnect());
        let e = parse(400, JSON, br#"{"error":"invalid_grant"}"#).unwrap_err();
        assert!(e.means_reconnect());
        let e = parse(400, JSON, br#"{"error":"invalid_client"}"#).unwrap_err();
        assert!(!e.means_reconnect());
    }

    #[test]
    fn html_and_garbage_bodies_are_unusable_and_not_quoted() {
        let e = parse(
            502,
            Some("text/html"),
            b"<html><body>Bad gateway secret-ish</body></html>",
        )
        .unwrap_err();
        assert!(matches!(e, TokenError::Unusable { status: 502, .. }));
        assert!(!e.to_string().contains("secret-ish"));
        let e = parse(200, None, &[0xff, 0xfe, 0x00, 0x41]).unwrap_err();
        assert!(matches!(e, TokenError::Unusable { .. }));
    }

    #[test]
    fn success_status_without_access_token_is_unusable() {
        let e = parse(200, JSON, br#"{"token_type":"bearer"}"#).unwrap_err();
        assert!(matches!(e, TokenError::Unusable { .. }));
    }

    #[test]
    fn error_messages_never_carry_a_token() {
        // A 500 that echoes tokens back must not put them in the message.
        let e = parse(
            500,
            JSON,
            br#"{"access_token":"LEAK1","refresh_token":"LEAK2","id_token":"LEAK3"}"#,
        )
        .unwrap_err();
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains("LEAK"), "{shown}");
    }

    #[test]
    fn identity_keeps_notion_owner_but_drops_secrets() {
        let body = br#"{"access_token":"s","refresh_token":"r","workspace_name":"Acme","owner":{"user":{"name":"Ada","person":{"email":"ada@example.com"}}}}"#;
        let r = parse(200, JSON, body).unwrap();
        let shown = r.identity.to_string();
        assert!(shown.contains("ada@example.com") && shown.contains("Acme"));
        assert!(!shown.contains("\"s\"") && !shown.contains("refresh_token"));
    }

    #[test]
    fn identity_drops_secrets_inside_arrays() {
        // Found with the token_response fuzz target's leak check: objects inside
        // arrays kept their token fields, so a response's Debug printed them.
        let body = br#"{"access_token":"a","owner":[{"access_token":"LEAK1","name":"Ada"},[{"refresh_token":"LEAK2"}]]}"#;
        let r = parse(200, JSON, body).unwrap();
        let shown = format!("{} {r:?}", r.identity);
        assert!(!shown.contains("LEAK"), "{shown}");
        assert!(shown.contains("Ada"), "{shown}");
    }

    #[test]
    fn odd_expires_in_values_mean_unknown() {
        for v in [r#""soon""#, "-5", "null", "1e300", "[]"] {
            let body = format!(r#"{{"access_token":"x","expires_in":{v}}}"#);
            assert_eq!(
                parse(200, JSON, body.as_bytes()).unwrap().expires_in,
                None,
                "{v}"
            );
        }
    }

    #[test]
    fn service_said_quotes_the_description_then_the_code() {
        let body = br#"{"error":"invalid_request","error_description":"no client authentication mechanism provided"}"#;
        assert_eq!(
            service_said(JSON, body).as_deref(),
            Some("no client authentication mechanism provided")
        );
        assert_eq!(
            service_said(JSON, br#"{"message":"Not Found"}"#).as_deref(),
            Some("Not Found")
        );
        assert_eq!(
            service_said(JSON, br#"{"error":"invalid_token"}"#).as_deref(),
            Some("invalid_token")
        );
        assert_eq!(service_said(JSON, b"{}"), None);
        assert_eq!(service_said(None, b"<html>oops</html>"), None);
        assert_eq!(
            service_said(JSON, b"{\"error\":\"a\\u0007b\\nc\"}").as_deref(),
            Some("abc")
        );
    }
}
