//! Secret values that cannot be printed by accident.
//!
//! Every token, client secret, API key, authorization code and PKCE verifier is
//! one of these newtypes. `Debug` and `Display` print `Name([redacted])`; the value
//! is reachable only through an explicit `.secret()` call, which makes every place
//! that handles the raw value easy to find. None of them implements `Serialize`:
//! the store serializes through its own private record type, so a secret can
//! never end up in an IPC payload or a log line through a derive.

use std::fmt;

macro_rules! secret_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The raw value. Call only where the value must leave the process:
            /// an HTTP request, the keyring, or the CLI's `token` output.
            pub fn secret(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "([redacted])"))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "([redacted])"))
            }
        }
    };
}

secret_type!(
    /// A bearer access token.
    AccessToken
);
secret_type!(
    /// A refresh token. Rotating providers invalidate it on use.
    RefreshToken
);
secret_type!(
    /// An OAuth client secret (not confidential in a native app, but never shown).
    ClientSecret
);
secret_type!(
    /// An API key or personal access token taken from the environment.
    ApiKey
);
secret_type!(
    /// An RFC 8628 device code: whoever holds it can collect the tokens once
    /// the person approves.
    DeviceCode
);

/// An authorization code. Single use: not `Clone`, consumed by the exchange.
pub struct AuthorizationCode(String);

impl AuthorizationCode {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// Consumes the code: it can be sent to the token endpoint exactly once.
    pub fn into_secret(self) -> String {
        self.0
    }
}

impl fmt::Debug for AuthorizationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthorizationCode([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let values = [
            format!("{:?}", AccessToken::new("at-123")),
            format!("{}", AccessToken::new("at-123")),
            format!("{:?}", RefreshToken::new("at-123")),
            format!("{}", RefreshToken::new("at-123")),
            format!("{:?}", ClientSecret::new("at-123")),
            format!("{}", ClientSecret::new("at-123")),
            format!("{:?}", ApiKey::new("at-123")),
            format!("{}", ApiKey::new("at-123")),
            format!("{:?}", AuthorizationCode::new("at-123")),
            format!("{:?}", Some(AccessToken::new("at-123"))),
        ];
        for shown in values {
            assert!(!shown.contains("at-123"), "leaked: {shown}");
            assert!(shown.contains("[redacted]"), "{shown}");
        }
    }

    #[test]
    fn secret_gives_the_raw_value_explicitly() {
        assert_eq!(AccessToken::new("x").secret(), "x");
        assert_eq!(AuthorizationCode::new("c").into_secret(), "c");
    }
}
