//! The one HTTP client every provider call goes through.
//!
//! No redirects are followed (a redirect from a token endpoint is never
//! legitimate and could carry credentials elsewhere), every request has a
//! connect and a total timeout, and the user agent names Authdeck. Only https
//! endpoints are called, except loopback http for local servers and tests.

use std::time::Duration;

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(30);

/// Builds the shared client. Fails only if the system TLS library cannot start.
pub fn client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(TOTAL_TIMEOUT)
        .user_agent(concat!(
            "Authdeck/",
            env!("CARGO_PKG_VERSION"),
            " (+desktop)"
        ))
        .build()
        .map_err(|e| format!("could not start the HTTPS client: {e}"))
}

/// https anywhere, or plain http to this machine only.
pub fn is_allowed_endpoint(url: &str) -> bool {
    match url::Url::parse(url) {
        Ok(u) if u.scheme() == "https" => u.host_str().is_some(),
        Ok(u) if u.scheme() == "http" => matches!(
            u.host_str(),
            Some("127.0.0.1") | Some("localhost") | Some("[::1]")
        ),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http_is_allowed() {
        assert!(is_allowed_endpoint("https://oauth2.googleapis.com/token"));
        assert!(is_allowed_endpoint("http://127.0.0.1:8080/token"));
        assert!(is_allowed_endpoint("http://localhost/token"));
        assert!(!is_allowed_endpoint("http://example.com/token"));
        assert!(!is_allowed_endpoint("http://127.0.0.1.evil.com/token"));
        assert!(!is_allowed_endpoint("ftp://127.0.0.1/token"));
        assert!(!is_allowed_endpoint("not a url"));
    }
}
