//! PKCE (RFC 7636) and the `state` value: the per-attempt secrets that bind an
//! authorization response to the request Authdeck started.
//!
//! This module owns generating the code verifier and its S256 challenge, generating
//! `state`, and comparing `state` without leaking timing. Each sign-in attempt gets
//! a fresh verifier and a fresh state; neither is ever reused.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::rngs::OsRng;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

/// The only challenge method Authdeck sends. `plain` gives no protection if the
/// authorize URL leaks, so it is never offered.
pub const CHALLENGE_METHOD: &str = "S256";

/// 64 random bytes encode to 86 base64url characters: inside RFC 7636's 43..=128
/// range and well above its 256-bit minimum entropy.
const VERIFIER_BYTES: usize = 64;

/// 32 random bytes = 256 bits, twice the 128 bits RFC 9700 asks of `state`.
const STATE_BYTES: usize = 32;

/// The PKCE code verifier for one attempt.
///
/// Not `Clone`: one attempt, one verifier, sent once with its code. `Debug` never
/// shows the value.
pub struct PkceVerifier(String);

impl PkceVerifier {
    /// A fresh verifier from the operating system's random generator.
    pub fn generate() -> Self {
        Self(random_base64url(VERIFIER_BYTES))
    }

    /// Wraps a known verifier (tests, and replaying the RFC's example).
    pub fn from_string(value: String) -> Self {
        Self(value)
    }

    /// The raw verifier, for the token request only.
    pub fn secret(&self) -> &str {
        &self.0
    }

    /// The S256 challenge: BASE64URL-NOPAD(SHA256(ASCII(verifier))).
    pub fn challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.0.as_bytes()))
    }
}

impl fmt::Debug for PkceVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PkceVerifier([redacted])")
    }
}

/// A fresh, unguessable `state` for one attempt (256 bits, base64url).
pub fn generate_state() -> String {
    random_base64url(STATE_BYTES)
}

/// Compares two strings in time that depends only on their lengths, so a local
/// process probing the callback cannot learn `state` one byte at a time.
///
/// Lengths are not secret (every state has the same length), so unequal lengths
/// return early.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // black_box keeps the optimiser from turning the fold into an early-exit compare.
    std::hint::black_box(diff) == 0
}

fn random_base64url(len: usize) -> String {
    let mut bytes = vec![0u8; len];
    // OsRng reads the kernel's generator directly. If the OS cannot give randomness
    // it panics inside `rand`; that is the right outcome, because a sign-in with a
    // guessable verifier or state must never start.
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_unreserved(c: char) -> bool {
        c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
    }

    #[test]
    fn rfc7636_appendix_b_vector_gives_the_published_challenge() {
        let verifier =
            PkceVerifier::from_string("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".to_owned());
        assert_eq!(
            verifier.challenge(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(CHALLENGE_METHOD, "S256");
    }

    #[test]
    fn generated_verifier_has_rfc_length_and_charset() {
        let verifier = PkceVerifier::generate();
        let value = verifier.secret();
        assert_eq!(value.len(), 86);
        assert!((43..=128).contains(&value.len()));
        assert!(value.chars().all(is_unreserved), "{value}");
        // The challenge is a SHA-256 digest: always 43 base64url characters.
        assert_eq!(verifier.challenge().len(), 43);
        assert!(verifier.challenge().chars().all(is_unreserved));
    }

    #[test]
    fn two_verifiers_differ() {
        let a = PkceVerifier::generate();
        let b = PkceVerifier::generate();
        assert_ne!(a.secret(), b.secret());
        assert_ne!(a.challenge(), b.challenge());
    }

    #[test]
    fn state_is_256_bits_of_url_safe_text_and_never_repeats() {
        let a = generate_state();
        let b = generate_state();
        assert_eq!(a.len(), 43);
        assert!(a.chars().all(is_unreserved), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn verifier_debug_never_shows_the_value() {
        let verifier = PkceVerifier::from_string("super-secret-verifier".to_owned());
        let shown = format!("{verifier:?}");
        assert_eq!(shown, "PkceVerifier([redacted])");
        assert!(!shown.contains("super-secret"));
    }

    #[test]
    fn constant_time_eq_matches_only_identical_strings() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(constant_time_eq("", ""));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
        assert!(!constant_time_eq("ab", "abc"));
        assert!(!constant_time_eq("", "a"));
    }
}
