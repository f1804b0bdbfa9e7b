//! Fuzzes the token endpoint parser (`core::token_response::parse`).
//!
//! Input layout: bytes 0-1 the HTTP status (big endian), byte 2 picks the
//! Content-Type, byte 3 picks how the rest becomes a body:
//! - raw: the rest is the body, as any server could send it;
//! - JSON / form with a planted token: the rest is `KEY TOKEN_LEN TOKEN... PREFIX
//!   0x00 SUFFIX`, and the body is `PREFIX"access_token":"TOKEN"SUFFIX` (JSON) or
//!   `PREFIX&access_token=TOKEN&SUFFIX` (form), with `refresh_token` when KEY is odd.
//!   The Content-Type is then one of that encoding's, and a form body never starts
//!   with `{`, so the body is read the way it was written and the token is the
//!   whole value of a field whose name holds "token" (anything else around it is
//!   the fuzzer's).
//!
//! Checked: `parse` never panics; an `Ok` is a 2xx with a non-empty access token;
//! and a planted token never shows in what the result prints (an error's Display
//! and Debug, a response's Display, Debug and `identity`). To tell a leak from a
//! token that merely looks like other text (say "HTTP", or a value the fuzzer also
//! put in `error`), the same body is parsed again with every character of the
//! planted token changed: the token counts as leaked only if it shows with the
//! real token and not with the changed one.

#![no_main]

use authdeck_core::token_response::{parse, TokenError, TokenResponse};
use libfuzzer_sys::fuzz_target;

const CONTENT_TYPES: [Option<&str>; 7] = [
    None,
    Some("application/json"),
    Some("application/json; charset=utf-8"),
    Some("application/x-www-form-urlencoded"),
    Some("application/x-www-form-urlencoded; charset=utf-8"),
    Some("text/html; charset=utf-8"),
    Some("text/plain"),
];

/// Characters real tokens use (RFC 6750 b64token without `+`, `/` and `=`, which
/// mean something in a form body). None needs escaping in JSON or a form, so the
/// planted token is always one whole string value of its field.
const TOKEN_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

const MAX_TOKEN_LEN: usize = 48;

const JSON_TYPES: [&str; 2] = ["application/json", "application/json; charset=utf-8"];

const FORM_TYPES: [&str; 2] = [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-8",
];

#[derive(Clone, Copy)]
enum Encoding {
    Json,
    Form,
}

fuzz_target!(|data: &[u8]| {
    let [s0, s1, kind, shape, rest @ ..] = data else {
        return;
    };
    let status = u16::from_be_bytes([*s0, *s1]);
    let kind = usize::from(*kind);
    match shape % 3 {
        0 => check_raw(status, CONTENT_TYPES[kind % CONTENT_TYPES.len()], rest),
        1 => check_planted(status, JSON_TYPES[kind % 2], rest, Encoding::Json),
        _ => check_planted(status, FORM_TYPES[kind % 2], rest, Encoding::Form),
    }
});

fn check_raw(status: u16, content_type: Option<&str>, body: &[u8]) {
    let result = parse(status, content_type, body);
    check_accepted(status, &result);
    // Printing must not panic either.
    let _ = shown(&result);
}

fn check_planted(status: u16, content_type: &str, rest: &[u8], encoding: Encoding) {
    let [key, len, rest @ ..] = rest else {
        return;
    };
    let key = if key % 2 == 0 {
        "access_token"
    } else {
        "refresh_token"
    };
    let len = (usize::from(*len) % MAX_TOKEN_LEN + 1).min(rest.len());
    if len == 0 {
        return;
    }
    let (token, rest) = rest.split_at(len);
    let token: String = token.iter().map(|&b| char::from(token_char(b))).collect();
    let changed: String = token.bytes().map(|b| char::from(next_char(b))).collect();
    let (prefix, suffix) = match rest.iter().position(|&b| b == 0) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    // The parser reads any body starting with `{` as JSON, whatever the header
    // says: a form body starting so is not the form this check planted in.
    if let (Encoding::Form, Ok(text)) = (encoding, std::str::from_utf8(prefix)) {
        if text.trim_start().starts_with('{') {
            return;
        }
    }
    let content_type = Some(content_type);

    let real = parse(
        status,
        content_type,
        &body(encoding, prefix, key, &token, suffix),
    );
    let control = parse(
        status,
        content_type,
        &body(encoding, prefix, key, &changed, suffix),
    );
    check_accepted(status, &real);
    assert_eq!(
        real.is_ok(),
        control.is_ok(),
        "the token's characters changed the outcome"
    );

    let (real_text, control_text) = (shown(&real), shown(&control));
    assert!(
        !real_text.contains(&token) || control_text.contains(&token),
        "the {key} value {token:?} leaked into: {real_text}"
    );
}

fn body(encoding: Encoding, prefix: &[u8], key: &str, token: &str, suffix: &[u8]) -> Vec<u8> {
    let field = match encoding {
        Encoding::Json => format!("\"{key}\":\"{token}\""),
        Encoding::Form => format!("&{key}={token}&"),
    };
    [prefix, field.as_bytes(), suffix].concat()
}

fn token_char(b: u8) -> u8 {
    if TOKEN_CHARS.contains(&b) {
        b
    } else {
        TOKEN_CHARS[usize::from(b) % TOKEN_CHARS.len()]
    }
}

/// A different token character for every token character.
fn next_char(b: u8) -> u8 {
    let at = TOKEN_CHARS.iter().position(|&c| c == b).unwrap_or(0);
    TOKEN_CHARS[(at + 1) % TOKEN_CHARS.len()]
}

/// Everything a caller could print or log about a result.
fn shown(result: &Result<TokenResponse, TokenError>) -> String {
    match result {
        Ok(response) => format!("{response} {response:?} {}", response.identity),
        Err(error) => format!("{error} {error:?}"),
    }
}

fn check_accepted(status: u16, result: &Result<TokenResponse, TokenError>) {
    if let Ok(response) = result {
        assert!(
            (200..300).contains(&status),
            "a token accepted from HTTP {status}"
        );
        assert!(
            !response.access_token.secret().is_empty(),
            "an empty access token was accepted"
        );
    }
}
