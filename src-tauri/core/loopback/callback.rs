//! The judgement of one request to the listener, with no socket and no clock:
//! length, path, method, then what the query means. The live listener and the
//! fuzz target run this same code.
//!
//! Only a request that carries this attempt's `state` can end the attempt. One
//! without it (a program probing ports, a web page, an old browser tab from an
//! earlier attempt on the same fixed port) is a stray: it is answered with a short
//! page and otherwise ignored, so it cannot make the person start over.

use std::fmt;

use url::form_urlencoded;

use super::error::LoopbackError;
use super::page::Page;
use crate::pkce::constant_time_eq;
use crate::secret::AuthorizationCode;

/// Longest request target accepted. Real callbacks (code, state, scope, iss) stay
/// far below this.
pub(super) const MAX_URL_LEN: usize = 8 * 1024;

/// A provider's `error_description` is shown to the person; keep it readable.
const MAX_DESCRIPTION_CHARS: usize = 300;

/// Characters allowed in a configured callback path: RFC 3986 `pchar` and `/`,
/// without percent-escapes, so the path we compare is exactly the path we send.
const PATH_PUNCTUATION: &[u8] = b"-._~/!$&'()*+,;=:@";

/// What the callback must carry to be accepted.
#[derive(Clone)]
pub struct Expected {
    /// The `state` sent in the authorize URL for this attempt.
    pub state: String,
    /// The provider's issuer identifier (RFC 9207), when the catalog knows it.
    pub issuer: Option<String>,
}

impl fmt::Debug for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // state guards the attempt: keep it out of logs like any other secret.
        f.debug_struct("Expected")
            .field("state", &"[redacted]")
            .field("issuer", &self.issuer)
            .finish()
    }
}

/// An accepted callback: the single-use code and the issuer it claimed, if any.
#[derive(Debug)]
pub struct Callback {
    pub code: AuthorizationCode,
    /// The `iss` parameter as received. Checked against `Expected::issuer` when
    /// that is set; passed through unchecked otherwise.
    pub iss: Option<String>,
}

/// The request path that counts as the callback, checked once when the listener
/// opens: the configured path, or "/" for a bare `http://127.0.0.1:PORT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackPath(String);

impl CallbackPath {
    /// Checks a configured redirect path (see
    /// [`ListenerConfig::path`](super::ListenerConfig::path)).
    pub fn new(configured: &str) -> Result<Self, LoopbackError> {
        if configured.is_empty() {
            return Ok(Self("/".to_owned()));
        }
        let valid = configured.starts_with('/')
            && configured
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || PATH_PUNCTUATION.contains(&b));
        if valid {
            Ok(Self(configured.to_owned()))
        } else {
            Err(LoopbackError::InvalidPath {
                path: configured.to_owned(),
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How the listener answers one request from a local peer: the page to send and,
/// when the request was the callback, how the attempt ends.
#[derive(Debug)]
pub struct Answer {
    pub(super) page: Page,
    /// HEAD gets the head of the response without the page.
    head_only: bool,
    outcome: Option<Result<Callback, LoopbackError>>,
}

impl Answer {
    /// The HTTP status of the response.
    pub fn status(&self) -> u16 {
        self.page.status
    }

    /// The HTML page (also for HEAD, which is sent only its head).
    pub fn page(&self) -> String {
        self.page.render()
    }

    /// The whole HTTP response exactly as written to the socket.
    pub fn to_http(&self) -> Vec<u8> {
        self.page.to_http(self.head_only)
    }

    /// `Some` ends the attempt with this outcome; `None` means "not the callback,
    /// keep waiting".
    pub fn outcome(&self) -> Option<&Result<Callback, LoopbackError>> {
        self.outcome.as_ref()
    }

    pub fn into_outcome(self) -> Option<Result<Callback, LoopbackError>> {
        self.outcome
    }
}

/// Decides one request to the listener: length limit, path, method, then what the
/// query means. `method` and `target` are the request line's method and target as
/// received. Pure (no socket, no clock), so the live listener and the fuzz target
/// run the same code.
pub fn answer(path: &CallbackPath, method: &str, target: &str, expected: &Expected) -> Answer {
    let head_only = method == "HEAD";
    let (request_path, query) = target.split_once('?').unwrap_or((target, ""));
    let (page, outcome) = if target.len() > MAX_URL_LEN {
        (Page::too_long(), None)
    } else if request_path != path.as_str() {
        (Page::not_found(), None)
    } else if method != "GET" {
        (Page::method_not_allowed(), None)
    } else {
        match judge(query, expected) {
            Verdict::NotThisAttempt => (Page::stray(), None),
            Verdict::Ends(outcome) => (Page::for_outcome(&outcome), Some(outcome)),
        }
    };
    Answer {
        page,
        head_only,
        outcome,
    }
}

/// What a request to the callback path means for the attempt.
#[derive(Debug)]
enum Verdict {
    /// Missing, repeated or wrong `state`: not this attempt's answer. Nothing in
    /// it is trusted, not even an `error`.
    NotThisAttempt,
    /// This attempt's answer: it ends with a code or a reason.
    Ends(Result<Callback, LoopbackError>),
}

/// Decides what a callback query means. Pure, so every rule is tested without
/// sockets.
fn judge(query: &str, expected: &Expected) -> Verdict {
    let mut state = Vec::new();
    let mut code = Vec::new();
    let mut error = Vec::new();
    let mut description = Vec::new();
    let mut iss = Vec::new();
    // form_urlencoded decodes percent-escapes and replaces invalid UTF-8 instead
    // of failing, so no query can make this panic.
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let bucket = match name.as_ref() {
            "state" => &mut state,
            "code" => &mut code,
            "error" => &mut error,
            "error_description" => &mut description,
            "iss" => &mut iss,
            _ => continue,
        };
        bucket.push(value.into_owned());
    }

    // state first: nothing in a response we did not ask for is trusted, not even
    // its error. An empty expected state would match "state=" and is refused.
    let state_ok = match state.as_slice() {
        [got] => !expected.state.is_empty() && constant_time_eq(got, &expected.state),
        _ => false,
    };
    if !state_ok {
        return Verdict::NotThisAttempt;
    }
    Verdict::Ends(judge_ours(code, error, description, iss, expected))
}

/// The rest of the judgement, for a response that carries this attempt's state.
fn judge_ours(
    code: Vec<String>,
    error: Vec<String>,
    description: Vec<String>,
    iss: Vec<String>,
    expected: &Expected,
) -> Result<Callback, LoopbackError> {
    // RFC 6749 section 3.1: parameters must not repeat. A repeat means something
    // between the provider and us rewrote the response.
    let (mut code, mut error, mut description, mut iss) = (code, error, description, iss);
    if [&code, &error, &description, &iss]
        .iter()
        .any(|v| v.len() > 1)
    {
        return Err(LoopbackError::MalformedCallback);
    }
    let iss = iss.pop();

    // RFC 9207 mix-up defence: checked before error and code, because a response
    // from the wrong issuer is not to be acted on at all. A missing `iss` is
    // accepted: most providers do not send it yet.
    if let (Some(expected_iss), Some(got)) = (&expected.issuer, &iss) {
        if got != expected_iss {
            return Err(LoopbackError::IssuerMismatch {
                expected: expected_iss.clone(),
                got: clean(got),
            });
        }
    }

    if let Some(error) = error.pop().filter(|e| !e.is_empty()) {
        if error == "access_denied" {
            return Err(LoopbackError::Denied);
        }
        return Err(LoopbackError::Provider {
            error: clean(&error),
            description: description
                .pop()
                .map(|d| clean(&d))
                .filter(|d| !d.is_empty()),
        });
    }

    let code = match code.pop() {
        Some(code) if !code.is_empty() => code,
        _ => return Err(LoopbackError::MissingCode),
    };
    // RFC 6749 Appendix A: a code is visible ASCII. Anything else (for example
    // replaced invalid UTF-8) cannot succeed at the token endpoint.
    if !code.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Err(LoopbackError::MalformedCallback);
    }
    Ok(Callback {
        code: AuthorizationCode::new(code),
        iss,
    })
}

/// Provider text goes into a page and an error message: drop control characters
/// and keep it short.
pub(super) fn clean(text: &str) -> String {
    let printable: String = text.chars().filter(|c| !c.is_control()).collect();
    shorten(printable.trim(), MAX_DESCRIPTION_CHARS)
}

pub(super) fn shorten(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected(state: &str) -> Expected {
        Expected {
            state: state.to_owned(),
            issuer: None,
        }
    }

    /// The outcome of a response that carries the attempt's state.
    fn judged(query: &str, expected: &Expected) -> Result<Callback, LoopbackError> {
        match judge(query, expected) {
            Verdict::Ends(outcome) => outcome,
            Verdict::NotThisAttempt => panic!("{query} was taken for a stray"),
        }
    }

    #[test]
    fn wrong_state_wins_over_an_error_parameter() {
        let result = judge("state=wrong&error=access_denied", &expected("right"));
        assert!(matches!(result, Verdict::NotThisAttempt));
    }

    #[test]
    fn empty_expected_state_never_matches() {
        assert!(matches!(
            judge("state=&code=c", &expected("")),
            Verdict::NotThisAttempt
        ));
        assert!(matches!(
            judge("code=c", &expected("")),
            Verdict::NotThisAttempt
        ));
    }

    #[test]
    fn repeated_state_is_rejected() {
        assert!(matches!(
            judge("state=right&state=right&code=c", &expected("right")),
            Verdict::NotThisAttempt
        ));
    }

    #[test]
    fn repeated_code_or_iss_is_malformed() {
        for query in [
            "state=s&code=a&code=b",
            "state=s&code=a&iss=x&iss=y",
            "state=s&error=e&error=f",
        ] {
            assert!(
                matches!(
                    judged(query, &expected("s")),
                    Err(LoopbackError::MalformedCallback)
                ),
                "{query}"
            );
        }
    }

    #[test]
    fn provider_description_is_cleaned_and_shortened() {
        let long = "x".repeat(1000);
        let query = format!("state=s&error=server_error&error_description=a%0Ab%07{long}");
        match judged(&query, &expected("s")) {
            Err(LoopbackError::Provider {
                description: Some(d),
                ..
            }) => {
                assert!(d.starts_with("abx"), "{d}");
                assert!(d.chars().count() <= MAX_DESCRIPTION_CHARS + 1);
            }
            other => panic!("expected Provider, got {other:?}"),
        }
    }

    #[test]
    fn issuer_mismatch_wins_over_an_error_parameter() {
        let expected = Expected {
            state: "s".to_owned(),
            issuer: Some("https://a.example".to_owned()),
        };
        assert!(matches!(
            judged(
                "state=s&iss=https://b.example&error=access_denied",
                &expected
            ),
            Err(LoopbackError::IssuerMismatch { .. })
        ));
    }

    #[test]
    fn matching_or_unchecked_issuer_is_passed_through() {
        let checked = Expected {
            state: "s".to_owned(),
            issuer: Some("https://a.example".to_owned()),
        };
        let ok = judged("state=s&code=c&iss=https%3A%2F%2Fa.example", &checked).expect("ok");
        assert_eq!(ok.iss.as_deref(), Some("https://a.example"));
        // No iss at all: accepted (most providers do not send it).
        assert!(judged("state=s&code=c", &checked).is_ok());
        // Nothing expected: returned, not checked.
        let ok = judged("state=s&code=c&iss=https://z.example", &expected("s")).expect("ok");
        assert_eq!(ok.iss.as_deref(), Some("https://z.example"));
    }

    #[test]
    fn malformed_queries_never_panic() {
        let garbage = [
            "",
            "&&&",
            "=",
            "state",
            "%",
            "%%%",
            "%zz=%zz",
            "state=%FF%FE&code=%C3",
            "state=s&code=%FF%FE",
            "state=s&code=a%00b",
            "state=s&code=\u{1F600}",
            "state=s&state",
            "code=c&state=s&&&=&x==y",
        ];
        for query in garbage {
            let _ = judge(query, &expected("s"));
        }
        // Invalid UTF-8 in the code is refused rather than passed on mangled.
        assert!(matches!(
            judged("state=s&code=%FF%FE", &expected("s")),
            Err(LoopbackError::MalformedCallback)
        ));
    }

    #[test]
    fn answer_checks_length_then_path_then_method_then_the_query() {
        let path = CallbackPath::new("/callback").expect("valid path");
        let s1 = expected("s1");
        let long = format!("/elsewhere?{}", "a".repeat(MAX_URL_LEN));
        let cases: [(&str, &str, u16, bool); 7] = [
            ("POST", &long, 414, false),
            ("GET", "/elsewhere?state=s1&code=c1", 404, false),
            ("GET", "/callback/?state=s1&code=c1", 404, false),
            ("get", "/callback?state=s1&code=c1", 405, false),
            // A stray: answered, and the attempt goes on.
            ("GET", "/callback?state=other&code=c1", 400, false),
            ("GET", "/callback?code=c1", 400, false),
            ("GET", "/callback?state=s1&code=c1", 200, true),
        ];
        for (method, target, status, ends) in cases {
            let answer = answer(&path, method, target, &s1);
            assert_eq!(answer.status(), status, "{method} {target}");
            assert_eq!(answer.outcome().is_some(), ends, "{method} {target}");
        }
        let accepted = answer(&path, "GET", "/callback?state=s1&code=c1", &s1);
        let code = accepted
            .into_outcome()
            .expect("ends")
            .expect("accepted")
            .code;
        assert_eq!(code.into_secret(), "c1");
    }

    #[test]
    fn answer_to_head_is_the_head_without_the_page() {
        let path = CallbackPath::new("").expect("empty means /");
        assert_eq!(path.as_str(), "/");
        let answer = answer(&path, "HEAD", "/?state=s1&code=c1", &expected("s1"));
        assert_eq!(answer.status(), 405);
        assert!(answer.outcome().is_none());
        let http = String::from_utf8(answer.to_http()).expect("ascii");
        assert!(http.ends_with("\r\n\r\n"), "{http}");
        assert!(http.contains(&format!("Content-Length: {}", answer.page().len())));
    }

    #[test]
    fn error_messages_are_plain_words() {
        assert_eq!(
            LoopbackError::TimedOut.to_string(),
            "Sign-in timed out: nothing came back from the browser. Start again and finish \
             signing in within the time limit."
        );
        let provider = LoopbackError::Provider {
            error: "invalid_scope".to_owned(),
            description: Some("The scope is not valid".to_owned()),
        }
        .to_string();
        assert!(
            provider.contains("The scope is not valid (invalid_scope)"),
            "{provider}"
        );
        for error in [
            LoopbackError::Denied,
            LoopbackError::MissingCode,
            LoopbackError::MalformedCallback,
            LoopbackError::Cancelled,
        ] {
            let text = error.to_string();
            assert!(text.ends_with('.'), "{text}");
            assert!(!text.contains("Error"), "{text}");
        }
    }

    #[test]
    fn debug_output_hides_state_and_code() {
        let shown = format!("{:?}", expected("very-secret-state"));
        assert!(!shown.contains("very-secret-state"), "{shown}");
        let callback = Callback {
            code: AuthorizationCode::new("very-secret-code"),
            iss: None,
        };
        assert!(!format!("{callback:?}").contains("very-secret-code"));
    }
}
