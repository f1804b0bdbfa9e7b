//! Which address the scripted browser connects to for a loopback host. A real
//! browser may send `localhost` to `::1` before `127.0.0.1`, so the app's
//! listener must be reachable either way; AUTHDECK_TEST_BROWSER_LOCALHOST picks
//! what "the person's" machine does. Only loopback addresses are ever dialled.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

pub const LOCALHOST_ENV: &str = "AUTHDECK_TEST_BROWSER_LOCALHOST";

/// Where `localhost` goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Localhost {
    /// `ipv4`: 127.0.0.1 only.
    Ipv4,
    /// `ipv6`: [::1] only.
    Ipv6,
    /// Unset: [::1] first, then 127.0.0.1, as a browser on a dual-stack machine.
    Ipv6ThenIpv4,
}

impl Localhost {
    pub fn from_env() -> Result<Localhost, String> {
        match std::env::var(LOCALHOST_ENV) {
            Err(std::env::VarError::NotPresent) => Ok(Localhost::Ipv6ThenIpv4),
            Ok(value) => match value.as_str() {
                "" => Ok(Localhost::Ipv6ThenIpv4),
                "ipv4" => Ok(Localhost::Ipv4),
                "ipv6" => Ok(Localhost::Ipv6),
                // A typo must not quietly test the default instead.
                other => Err(format!(
                    "{LOCALHOST_ENV}={other:?}: expected ipv4, ipv6 or unset"
                )),
            },
            Err(e) => Err(format!("{LOCALHOST_ENV}: {e}")),
        }
    }
}

/// The addresses to try for `host` (as `Target` spells it), in order.
pub fn candidates(host: &str, port: u16, localhost: Localhost) -> Vec<SocketAddr> {
    let v4 = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let v6 = SocketAddr::from((Ipv6Addr::LOCALHOST, port));
    match host {
        "127.0.0.1" => vec![v4],
        "[::1]" => vec![v6],
        "localhost" => match localhost {
            Localhost::Ipv4 => vec![v4],
            Localhost::Ipv6 => vec![v6],
            Localhost::Ipv6ThenIpv4 => vec![v6, v4],
        },
        // Target refuses every other host; nothing else is ever dialled.
        _ => Vec::new(),
    }
}

/// Connects to the first candidate that answers; the error is the last one seen.
pub fn connect(
    host: &str,
    port: u16,
    localhost: Localhost,
    timeout: Duration,
) -> std::io::Result<(TcpStream, SocketAddr)> {
    let mut last_error = std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("{host:?} is not a loopback host"),
    );
    for address in candidates(host, port, localhost) {
        match TcpStream::connect_timeout(&address, timeout) {
            Ok(stream) => return Ok((stream, address)),
            Err(e) => last_error = e,
        }
    }
    Err(last_error)
}
