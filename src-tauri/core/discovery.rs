//! OpenID Connect discovery for custom services configured with `issuer` alone.
//!
//! This module owns fetching `{issuer}/.well-known/openid-configuration`,
//! checking that the document speaks for the configured issuer (a document for
//! another issuer would be a mix-up), validating each endpoint like one typed
//! into providers.toml, and filling only the endpoints the user left unset.

use serde::Deserialize;

use crate::flow::{PreparedRequest, SendError};
use crate::provider::{check_endpoint, revoke_note_for, EndpointProblem, Provider, RevokeStyle};
use crate::transport::Transport;

/// A discovery document is a few KiB; anything far larger is not one.
const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// The endpoints a discovery document names, already validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoveredEndpoints {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub revocation_endpoint: Option<String>,
    pub userinfo_endpoint: Option<String>,
    pub device_authorization_endpoint: Option<String>,
}

/// Why discovery failed, in words a person can act on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    #[error("{service} has no `issuer` to look up: set `issuer`, or `authorize_url` and `token_url`, in providers.toml")]
    NoIssuer { service: String },
    #[error("The issuer `{issuer}` {problem}. Fix `issuer` in providers.toml")]
    BadIssuer {
        issuer: String,
        problem: EndpointProblem,
    },
    #[error(
        "Could not reach {url} ({source}). Check your connection and `issuer` in providers.toml"
    )]
    Unreachable {
        url: String,
        #[source]
        source: SendError,
    },
    #[error("{url} answered HTTP {status} instead of an OpenID configuration. Check that `issuer` in providers.toml is the address in front of /.well-known/openid-configuration, or set `authorize_url` and `token_url` instead")]
    Status { url: String, status: u16 },
    #[error("{url} did not send a usable OpenID configuration ({detail}). Check `issuer` in providers.toml, or set `authorize_url` and `token_url` instead")]
    NotADocument { url: String, detail: String },
    #[error("The OpenID configuration is for issuer `{found}`, not `{expected}`, so Authdeck will not use it. Set `issuer` in providers.toml to the provider's exact issuer")]
    IssuerMismatch { expected: String, found: String },
    #[error("The OpenID configuration's {field} `{url}` {problem}, so Authdeck will not use it. Set `{key}` in providers.toml yourself")]
    BadEndpoint {
        field: &'static str,
        key: &'static str,
        url: String,
        problem: EndpointProblem,
    },
}

#[derive(Deserialize)]
struct Document {
    issuer: Option<String>,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    revocation_endpoint: Option<String>,
    userinfo_endpoint: Option<String>,
    device_authorization_endpoint: Option<String>,
}

/// Fetches and checks the issuer's discovery document. The transport follows
/// no redirects (a redirect is answered as a `Status` error).
pub async fn discover(
    transport: &dyn Transport,
    issuer: &str,
) -> Result<DiscoveredEndpoints, DiscoveryError> {
    check_endpoint(issuer, &[]).map_err(|problem| DiscoveryError::BadIssuer {
        issuer: issuer.to_string(),
        problem,
    })?;
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    tracing::debug!(%url, "fetching OpenID configuration");
    let unreachable = |source| DiscoveryError::Unreachable {
        url: url.clone(),
        source,
    };
    let answer = transport
        .send(PreparedRequest::get(url.clone()))
        .await
        .map_err(unreachable)?;
    if !(200..300).contains(&answer.status) {
        return Err(DiscoveryError::Status {
            url,
            status: answer.status,
        });
    }
    let body = answer.body;
    if body.len() > MAX_DOCUMENT_BYTES {
        return Err(DiscoveryError::NotADocument {
            url,
            detail: "the answer is far too large".into(),
        });
    }
    let document: Document =
        serde_json::from_slice(&body).map_err(|e| DiscoveryError::NotADocument {
            url: url.clone(),
            detail: format!("not JSON of the expected shape: {e}"),
        })?;
    let missing = |field: &str| DiscoveryError::NotADocument {
        url: url.clone(),
        detail: format!("it names no `{field}`"),
    };
    let found_issuer = document.issuer.ok_or_else(|| missing("issuer"))?;
    if found_issuer != issuer {
        return Err(DiscoveryError::IssuerMismatch {
            expected: issuer.to_string(),
            found: found_issuer,
        });
    }
    let authorization_endpoint = document
        .authorization_endpoint
        .ok_or_else(|| missing("authorization_endpoint"))?;
    let token_endpoint = document
        .token_endpoint
        .ok_or_else(|| missing("token_endpoint"))?;
    Ok(DiscoveredEndpoints {
        issuer: found_issuer,
        authorization_endpoint: checked(
            "authorization_endpoint",
            "authorize_url",
            authorization_endpoint,
        )?,
        token_endpoint: checked("token_endpoint", "token_url", token_endpoint)?,
        revocation_endpoint: document
            .revocation_endpoint
            .map(|u| checked("revocation_endpoint", "revoke_url", u))
            .transpose()?,
        userinfo_endpoint: document
            .userinfo_endpoint
            .map(|u| checked("userinfo_endpoint", "userinfo_url", u))
            .transpose()?,
        device_authorization_endpoint: document
            .device_authorization_endpoint
            .map(|u| {
                checked(
                    "device_authorization_endpoint",
                    "device_authorization_url",
                    u,
                )
            })
            .transpose()?,
    })
}

fn checked(field: &'static str, key: &'static str, url: String) -> Result<String, DiscoveryError> {
    match check_endpoint(&url, &[]) {
        Ok(_) => Ok(url),
        Err(problem) => Err(DiscoveryError::BadEndpoint {
            field,
            key,
            url,
            problem,
        }),
    }
}

/// Fills only the endpoints the user did not set in providers.toml.
pub fn apply(provider: &mut Provider, found: DiscoveredEndpoints) {
    provider
        .authorize_url
        .get_or_insert(found.authorization_endpoint);
    provider.token_url.get_or_insert(found.token_endpoint);
    if provider.userinfo_url.is_none() {
        provider.userinfo_url = found.userinfo_endpoint;
    }
    if provider.device_authorization_url.is_none() {
        provider.device_authorization_url = found.device_authorization_endpoint;
    }
    if provider.revoke_url.is_none() {
        if let Some(revoke) = found.revocation_endpoint {
            provider.revoke_url = Some(revoke);
            if provider.revoke_style == RevokeStyle::None {
                provider.revoke_style = RevokeStyle::Rfc7009;
            }
            if !provider.builtin {
                provider.revoke_note = revoke_note_for(&provider.name, true);
            }
        }
    }
    provider.needs_discovery = false;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use std::path::Path;

    /// Serves `answer(base_url, path) -> (status, body)` on 127.0.0.1:0 until
    /// the test process ends; returns the base URL.
    fn serve(answer: impl Fn(&str, &str) -> (u16, String) + Send + 'static) -> String {
        let server = tiny_http::Server::http("127.0.0.1:0").expect("bind loopback");
        let port = server
            .server_addr()
            .to_ip()
            .map(|a| a.port())
            .expect("ip listener");
        let base = format!("http://127.0.0.1:{port}");
        let base_for_thread = base.clone();
        std::thread::spawn(move || {
            for request in server.incoming_requests() {
                let (status, body) = answer(&base_for_thread, request.url());
                let _ = request
                    .respond(tiny_http::Response::from_string(body).with_status_code(status));
            }
        });
        base
    }

    fn document(issuer: &str, base: &str) -> String {
        serde_json::json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{base}/authorize"),
            "token_endpoint": format!("{base}/token"),
            "revocation_endpoint": format!("{base}/revoke"),
            "userinfo_endpoint": format!("{base}/userinfo"),
        })
        .to_string()
    }

    fn client() -> crate::transport::HttpTransport {
        crate::transport::HttpTransport::new(std::time::Duration::from_secs(10))
    }

    #[tokio::test]
    async fn good_document_gives_its_endpoints() {
        let base = serve(|base, path| match path {
            "/realms/demo/.well-known/openid-configuration" => {
                (200, document(&format!("{base}/realms/demo"), base))
            }
            _ => (404, String::new()),
        });
        let issuer = format!("{base}/realms/demo");
        let found = discover(&client(), &issuer).await.expect("discovered");
        assert_eq!(found.issuer, issuer);
        assert_eq!(found.authorization_endpoint, format!("{base}/authorize"));
        assert_eq!(found.token_endpoint, format!("{base}/token"));
        assert_eq!(found.revocation_endpoint, Some(format!("{base}/revoke")));
        assert_eq!(found.userinfo_endpoint, Some(format!("{base}/userinfo")));
    }

    #[tokio::test]
    async fn issuer_trailing_slash_is_not_doubled_in_the_path() {
        let base = serve(|base, path| match path {
            "/.well-known/openid-configuration" => (200, document(&format!("{base}/"), base)),
            _ => (404, String::new()),
        });
        let found = discover(&client(), &format!("{base}/")).await;
        assert!(found.is_ok(), "{found:?}");
    }

    #[tokio::test]
    async fn issuer_mismatch_is_rejected() {
        let base = serve(|base, _| (200, document("https://evil.example", base)));
        let err = discover(&client(), &base).await.expect_err("mismatch");
        assert!(
            matches!(&err, DiscoveryError::IssuerMismatch { found, .. } if found == "https://evil.example")
        );
        assert!(
            err.to_string().contains("Set `issuer` in providers.toml"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn missing_document_reports_status() {
        let base = serve(|_, _| (404, "no".into()));
        let err = discover(&client(), &base).await.expect_err("404");
        assert!(
            matches!(err, DiscoveryError::Status { status: 404, .. }),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .contains("/.well-known/openid-configuration"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn garbage_json_is_reported() {
        let base = serve(|_, _| (200, "<html>hello</html>".into()));
        let err = discover(&client(), &base).await.expect_err("garbage");
        assert!(
            matches!(err, DiscoveryError::NotADocument { .. }),
            "{err:?}"
        );
        let base = serve(|base, _| (200, format!(r#"{{"issuer":"{base}"}}"#)));
        let err = discover(&client(), &base).await.expect_err("incomplete");
        assert!(err.to_string().contains("authorization_endpoint"), "{err}");
    }

    #[tokio::test]
    async fn http_endpoint_outside_loopback_is_rejected() {
        let base = serve(|base, _| {
            let doc = document(base, base)
                .replace(&format!("{base}/token"), "http://login.example.com/token");
            (200, doc)
        });
        let err = discover(&client(), &base).await.expect_err("insecure");
        assert!(
            matches!(
                err,
                DiscoveryError::BadEndpoint {
                    key: "token_url",
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("must be https"), "{err}");
    }

    #[tokio::test]
    async fn insecure_issuer_is_refused_before_any_request() {
        let err = discover(&client(), "http://login.example.com")
            .await
            .expect_err("insecure");
        assert!(matches!(err, DiscoveryError::BadIssuer { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn unreachable_issuer_says_so() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let err = discover(&client(), &format!("http://127.0.0.1:{port}")).await;
        assert!(
            matches!(err, Err(DiscoveryError::Unreachable { .. })),
            "{err:?}"
        );
    }

    #[test]
    fn apply_fills_only_endpoints_the_user_did_not_set() {
        let mut provider = Provider::new("corp", "Corp");
        provider.token_url = Some("https://corp.example/mine".into());
        provider.needs_discovery = true;
        apply(
            &mut provider,
            DiscoveredEndpoints {
                issuer: "https://corp.example".into(),
                authorization_endpoint: "https://corp.example/auth".into(),
                token_endpoint: "https://corp.example/token".into(),
                revocation_endpoint: Some("https://corp.example/revoke".into()),
                userinfo_endpoint: None,
                device_authorization_endpoint: None,
            },
        );
        assert_eq!(
            provider.authorize_url.as_deref(),
            Some("https://corp.example/auth")
        );
        assert_eq!(
            provider.token_url.as_deref(),
            Some("https://corp.example/mine")
        );
        assert_eq!(
            provider.revoke_url.as_deref(),
            Some("https://corp.example/revoke")
        );
        assert_eq!(provider.revoke_style, RevokeStyle::Rfc7009);
        assert_eq!(
            provider.revoke_note,
            "Corp will be told to cancel Authdeck's access."
        );
        assert_eq!(provider.userinfo_url, None);
        assert!(!provider.needs_discovery);
    }

    #[tokio::test]
    async fn issuer_only_custom_service_is_completed() {
        let base = serve(|base, _| (200, document(base, base)));
        let text = format!("[corp]\nname = \"Corp\"\nissuer = \"{base}\"\n");
        let catalog = Catalog::from_toml_str(Path::new("/cfg/providers.toml"), &text);
        let mut corp = catalog.get("corp").expect("corp loaded").clone();
        assert!(corp.needs_discovery);
        let found = discover(&client(), &base).await.expect("discovered");
        apply(&mut corp, found);
        assert_eq!(corp.token_url, Some(format!("{base}/token")));
        assert_eq!(corp.userinfo_url, Some(format!("{base}/userinfo")));
        assert!(!corp.needs_discovery);
    }
}
