//! The one HTTP client every provider call goes through.
//!
//! No redirects are followed (a redirect from a token endpoint is never
//! legitimate and could carry credentials elsewhere), every request has a
//! connect and a total timeout, and the user agent names Authdeck. Only https
//! endpoints are called, except loopback http for local servers and tests.

use std::time::Duration;

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(30);

/// `$AUTHDECK_HTTP_TIMEOUT` seconds (1–600) for slow networks, else 30 s.
pub fn total_timeout_from(value: Option<&str>) -> Duration {
    value
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| (1..=600).contains(s))
        .map(Duration::from_secs)
        .unwrap_or(TOTAL_TIMEOUT)
}

/// Builds the shared client. Fails only if the system TLS library cannot start.
pub fn client(total_timeout: Duration) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT.min(total_timeout))
        .timeout(total_timeout)
        .user_agent(concat!(
            "Authdeck/",
            env!("CARGO_PKG_VERSION"),
            " (+desktop)"
        ))
        .build()
        .map_err(|e| format!("could not start the HTTPS client: {e}"))
}

/// https anywhere, or plain http to this machine only. The one endpoint rule:
/// `provider::check_endpoint` applies it to the config file too.
pub fn is_allowed_endpoint(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| is_allowed_url(&u))
}

/// [`is_allowed_endpoint`] for a parsed URL.
pub fn is_allowed_url(url: &url::Url) -> bool {
    match url.scheme() {
        "https" => url.host_str().is_some(),
        "http" => is_loopback_host(url),
        _ => false,
    }
}

/// `127.0.0.1`, `[::1]` or `localhost`: this machine, written the way loopback
/// servers and tests write it (not the rest of 127/8, which no one means).
fn is_loopback_host(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_setting_is_bounded() {
        assert_eq!(total_timeout_from(Some("5")), Duration::from_secs(5));
        assert_eq!(total_timeout_from(Some("0")), TOTAL_TIMEOUT);
        assert_eq!(total_timeout_from(Some("soon")), TOTAL_TIMEOUT);
        assert_eq!(total_timeout_from(None), TOTAL_TIMEOUT);
    }

    #[test]
    fn only_https_or_loopback_http_is_allowed() {
        assert!(is_allowed_endpoint("https://oauth2.googleapis.com/token"));
        assert!(is_allowed_endpoint("http://127.0.0.1:8080/token"));
        assert!(is_allowed_endpoint("http://localhost/token"));
        assert!(is_allowed_endpoint("http://[::1]:8080/token"));
        assert!(!is_allowed_endpoint("http://example.com/token"));
        assert!(!is_allowed_endpoint("http://127.0.0.1.evil.com/token"));
        assert!(!is_allowed_endpoint("ftp://127.0.0.1/token"));
        assert!(!is_allowed_endpoint("not a url"));
    }
}
