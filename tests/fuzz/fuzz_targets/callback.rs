//! Fuzzes how the loopback listener answers one request
//! (`core::loopback::answer`, the function the live listener calls for every
//! request from this computer).
//!
//! Input layout: byte 0 is `I` when the attempt expects an issuer (RFC 9207),
//! anything else when it does not; the rest, read as UTF-8 (lossily, as a request
//! line is text), is `METHOD TARGET`, split at the first space like a request line.
//!
//! Checked, besides "never panics":
//! - the status is 200, 400, 404, 405 or 414, and only 200 or 400 end the attempt;
//! - a code is accepted only for `GET /callback?...` within the length limit whose
//!   query carries exactly one `state`, equal to the expected one, and exactly that
//!   query's `code` comes back;
//! - no query data reaches the page except the provider's error text, and that
//!   only HTML-escaped in the detail paragraph: the rest of every page is
//!   byte for byte the fixed page for its outcome;
//! - so the page shows the expected state or the code only where the provider's
//!   own error text carried it; the fixed pages have no script and nothing that
//!   links or loads (`http:`, `href`, `src=`, `url(`...), and the detail has no
//!   markup at all, so no page has a `<script` or a link;
//! - the bytes for the socket are that page behind a matching head (no page for
//!   HEAD).

#![no_main]

use std::collections::HashMap;
use std::sync::OnceLock;

use authdeck_core::loopback::{answer, Answer, CallbackPath, Expected, LoopbackError};
use libfuzzer_sys::fuzz_target;
use url::form_urlencoded;

const STATE: &str = "fuzzState-9Qx_2e7Lw";
const ISSUER: &str = "https://issuer.example/";
const CALLBACK: &str = "/callback";
/// The listener's limit on the request target (`MAX_URL_LEN`, private there).
const MAX_TARGET_LEN: usize = 8 * 1024;
const DETAIL_OPEN: &str = "<p class=\"detail\">";

/// Text that would make a page run code or contact anything.
const BANNED: &[&str] = &[
    "<script",
    "javascript:",
    "http:",
    "https:",
    "http-equiv",
    "href",
    "src=",
    "url(",
    "@import",
    "<a ",
    "<link",
    "<img",
    "<iframe",
    "<form",
    "<base",
    "<object",
    "<embed",
];

fuzz_target!(|data: &[u8]| {
    let Some((flag, request)) = data.split_first() else {
        return;
    };
    let expected = Expected {
        state: STATE.to_owned(),
        issuer: (*flag == b'I').then(|| ISSUER.to_owned()),
    };
    let request = String::from_utf8_lossy(request);
    let (method, target) = request.split_once(' ').unwrap_or((&request, ""));
    let path = CallbackPath::new(CALLBACK).expect("a valid callback path");

    let answer = answer(&path, method, target, &expected);
    let page = answer.page();

    let kind = kind(&answer);
    check_page(&page, kind, target);
    check_http(&answer, &page, method);
    check_acceptance(answer, method, target, &expected);
});

/// What an answer is, as far as its page goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    TooLong,
    NotFound,
    NotAllowed,
    Accepted,
    Denied,
    /// Not this attempt's state: a short page, and the attempt goes on.
    Stray,
    Provider,
    MissingCode,
    Malformed,
    IssuerMismatch,
}

fn kind(answer: &Answer) -> Kind {
    let kind = match answer.outcome() {
        None => match answer.status() {
            414 => Kind::TooLong,
            404 => Kind::NotFound,
            405 => Kind::NotAllowed,
            400 => Kind::Stray,
            other => panic!("status {other} without an outcome"),
        },
        Some(Ok(_)) => Kind::Accepted,
        Some(Err(error)) => match error {
            LoopbackError::Denied => Kind::Denied,
            LoopbackError::Provider { .. } => Kind::Provider,
            LoopbackError::MissingCode => Kind::MissingCode,
            LoopbackError::MalformedCallback => Kind::Malformed,
            LoopbackError::IssuerMismatch { .. } => Kind::IssuerMismatch,
            other => panic!("a request cannot end the attempt with {other:?}"),
        },
    };
    let status = match kind {
        Kind::TooLong => 414,
        Kind::NotFound => 404,
        Kind::NotAllowed => 405,
        Kind::Accepted | Kind::Denied => 200,
        _ => 400,
    };
    assert_eq!(answer.status(), status, "{kind:?}");
    kind
}

fn check_acceptance(answer: Answer, method: &str, target: &str, expected: &Expected) {
    let Some(Ok(callback)) = answer.into_outcome() else {
        return;
    };
    assert_eq!(method, "GET");
    assert!(
        target.len() <= MAX_TARGET_LEN,
        "accepted an overlong target"
    );
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    assert_eq!(path, CALLBACK);

    let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let values = |name: &str| -> Vec<&str> {
        params
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    assert_eq!(
        values("state"),
        [STATE],
        "a code was accepted without the expected state"
    );
    assert!(values("error").iter().all(|e| e.is_empty()));
    assert_eq!(callback.iss.as_deref(), values("iss").first().copied());
    if let (Some(want), Some(got)) = (&expected.issuer, &callback.iss) {
        assert_eq!(want, got, "accepted from another issuer");
    }
    let code = callback.code.into_secret();
    assert_eq!(values("code"), [code.as_str()], "not the query's one code");
    assert!(code.bytes().all(|b| (0x20..=0x7e).contains(&b)) && !code.is_empty());
}

fn check_page(page: &str, kind: Kind, target: &str) {
    let (fixed, detail) = split_detail(page);
    assert_eq!(
        fixed,
        reference_pages()[&kind],
        "query data reached the page outside the detail"
    );
    match (kind, detail) {
        (Kind::Provider, Some(detail)) => check_detail(detail, target),
        (Kind::Provider, None) => panic!("a provider error without its text"),
        (_, Some(detail)) => panic!("{kind:?} page shows detail {detail:?}"),
        (_, None) => {}
    }
    // The fixed part was checked against BANNED once; the detail is plain text
    // (a provider may well mention https://... there, shown as text, never a link).
    assert!(!page.to_ascii_lowercase().contains("<script"), "{page}");
}

/// The provider's text is escaped, so it can hold no tag, and it shows the state
/// or a code only when the provider's own `error`/`error_description` did. Codes
/// too short or too plain to tell apart from other text ("e", "a (b") are covered
/// by the fixed-page comparison alone.
fn check_detail(detail: &str, target: &str) {
    assert!(
        !detail.contains(['<', '>', '"', '\'']),
        "unescaped markup in the detail: {detail}"
    );
    let query = target.split_once('?').map_or("", |(_, query)| query);
    let mut codes = Vec::new();
    let mut said = String::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "code" => codes.push(value.into_owned()),
            "error" | "error_description" => {
                said.extend(value.chars().filter(|c| !c.is_control()));
                said.push('\n');
            }
            _ => {}
        }
    }
    assert!(
        !detail.contains(STATE) || said.contains(STATE),
        "the expected state reached the page: {detail}"
    );
    let distinctive = |code: &&String| {
        code.len() >= 8
            && code
                .bytes()
                .all(|b| b.is_ascii_graphic() && !b"()&<>\"'".contains(&b))
    };
    for code in codes.iter().filter(distinctive) {
        assert!(
            !detail.contains(code.as_str()) || said.contains(code.as_str()),
            "the code {code:?} reached the page: {detail}"
        );
    }
}

/// The page without its detail paragraph, and the detail's text.
fn split_detail(page: &str) -> (String, Option<&str>) {
    let Some(start) = page.find(DETAIL_OPEN) else {
        return (page.to_owned(), None);
    };
    let text_start = start + DETAIL_OPEN.len();
    let text_len = page[text_start..]
        .find("</p>")
        .expect("the detail paragraph is closed");
    let end = text_start + text_len + "</p>".len();
    let fixed = format!("{}{}", &page[..start], &page[end..]);
    (fixed, Some(&page[text_start..text_start + text_len]))
}

/// The page for every kind of answer, from requests that carry nothing the page
/// could show; checked once to link and load nothing and to hold no secret.
fn reference_pages() -> &'static HashMap<Kind, String> {
    static PAGES: OnceLock<HashMap<Kind, String>> = OnceLock::new();
    PAGES.get_or_init(|| {
        let path = CallbackPath::new(CALLBACK).expect("a valid callback path");
        let plain = Expected {
            state: STATE.to_owned(),
            issuer: None,
        };
        let with_issuer = Expected {
            state: STATE.to_owned(),
            issuer: Some(ISSUER.to_owned()),
        };
        let long = format!("{CALLBACK}?{}", "x".repeat(MAX_TARGET_LEN));
        let requests = [
            (Kind::TooLong, "GET", long.as_str(), &plain),
            (Kind::NotFound, "GET", "/", &plain),
            (Kind::NotAllowed, "POST", CALLBACK, &plain),
            (
                Kind::Accepted,
                "GET",
                "/callback?state=fuzzState-9Qx_2e7Lw&code=c",
                &plain,
            ),
            (
                Kind::Denied,
                "GET",
                "/callback?state=fuzzState-9Qx_2e7Lw&error=access_denied",
                &plain,
            ),
            (Kind::Stray, "GET", "/callback?state=other", &plain),
            (
                Kind::Provider,
                "GET",
                "/callback?state=fuzzState-9Qx_2e7Lw&error=e",
                &plain,
            ),
            (
                Kind::MissingCode,
                "GET",
                "/callback?state=fuzzState-9Qx_2e7Lw",
                &plain,
            ),
            (
                Kind::Malformed,
                "GET",
                "/callback?state=fuzzState-9Qx_2e7Lw&code=a&code=b",
                &plain,
            ),
            (
                Kind::IssuerMismatch,
                "GET",
                "/callback?state=fuzzState-9Qx_2e7Lw&code=c&iss=elsewhere",
                &with_issuer,
            ),
        ];
        requests
            .into_iter()
            .map(|(want, method, target, expected)| {
                let answer = answer(&path, method, target, expected);
                assert_eq!(kind(&answer), want, "{method} {target}");
                let (page, _) = split_detail(&answer.page());
                let lower = page.to_ascii_lowercase();
                for banned in BANNED {
                    assert!(!lower.contains(banned), "{banned} in the {want:?} page");
                }
                assert!(!page.contains(STATE), "the state in the {want:?} page");
                (want, page)
            })
            .collect()
    })
}

fn check_http(answer: &Answer, page: &str, method: &str) {
    let http = answer.to_http();
    let text = String::from_utf8(http).expect("the response is UTF-8");
    let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
    let status_line = format!("HTTP/1.1 {} ", answer.status());
    assert!(head.starts_with(&status_line), "{head}");
    assert!(
        head.contains(&format!("\r\nContent-Length: {}\r\n", page.len())),
        "{head}"
    );
    assert!(head.contains("\r\nContent-Security-Policy: default-src 'none'"));
    assert!(head.contains("\r\nConnection: close"));
    if method == "HEAD" {
        assert!(body.is_empty(), "HEAD got a page");
    } else {
        assert_eq!(body, page);
    }
}
