//! The small pages the listener answers the browser with. Self-contained: inline
//! CSS only, nothing that makes the browser contact anyone, and every header that
//! keeps the callback's query out of referrers, caches and frames.

use super::callback::Callback;
use super::error::LoopbackError;

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The tone of a page, shown as the colour of its top border.
#[derive(Debug, Clone, Copy)]
pub(super) enum Tone {
    Success,
    Problem,
    Neutral,
}

/// One small page answered to the browser. Text fields are plain text; they are
/// HTML-escaped when rendered.
#[derive(Debug)]
pub(super) struct Page {
    pub(super) status: u16,
    tone: Tone,
    title: &'static str,
    heading: &'static str,
    message: String,
    /// Provider-supplied detail (error_description), shown smaller.
    detail: Option<String>,
}

impl Page {
    pub(super) fn new(
        status: u16,
        tone: Tone,
        title: &'static str,
        heading: &'static str,
        message: &str,
    ) -> Self {
        Self {
            status,
            tone,
            title,
            heading,
            message: message.to_owned(),
            detail: None,
        }
    }

    pub(super) fn for_outcome(outcome: &Result<Callback, LoopbackError>) -> Self {
        let problem = |heading, message| {
            Page::new(
                400,
                Tone::Problem,
                "Sign-in not completed",
                heading,
                message,
            )
        };
        match outcome {
            Ok(_) => Page::new(
                200,
                Tone::Success,
                "Signed in",
                "You're signed in",
                "Authdeck received your sign-in. You can close this tab and go back to Authdeck.",
            ),
            Err(LoopbackError::Denied) => Page::new(
                200,
                Tone::Neutral,
                "Access not allowed",
                "Access not allowed",
                "You chose not to allow access, so Authdeck did not connect and nothing was \
                 saved. You can close this tab. To connect later, start again from Authdeck.",
            ),
            Err(LoopbackError::Provider { error, description }) => Page {
                detail: Some(match description {
                    Some(description) => format!("{description} ({error})"),
                    None => error.clone(),
                }),
                ..problem(
                    "The service reported a problem",
                    "The service did not complete the sign-in. Nothing was saved. Close this \
                     tab and start again from Authdeck. The service said:",
                )
            },
            Err(LoopbackError::IssuerMismatch { .. }) => problem(
                "Sign-in not accepted",
                "This sign-in response came from a different service than the one Authdeck \
                 asked. Nothing was saved. Start again from Authdeck.",
            ),
            Err(LoopbackError::MissingCode) => problem(
                "Sign-in not completed",
                "The sign-in response was incomplete (it had no authorization code). Nothing \
                 was saved. Start again from Authdeck.",
            ),
            Err(LoopbackError::MalformedCallback) => problem(
                "Sign-in not accepted",
                "This sign-in response was malformed. Nothing was saved. Start again from \
                 Authdeck.",
            ),
            // Errors of the listener itself never reach a page; refuse without detail.
            Err(_) => problem(
                "Sign-in not accepted",
                "This sign-in response could not be used. Nothing was saved. Start again \
                 from Authdeck.",
            ),
        }
    }

    /// A request to the callback path without this attempt's `state`: an old tab
    /// from an earlier attempt, or a program probing ports. The attempt goes on.
    pub(super) fn stray() -> Self {
        Page::new(
            400,
            Tone::Neutral,
            "Not this sign-in",
            "Not the sign-in Authdeck is waiting for",
            "This link belongs to another sign-in attempt, so Authdeck ignored it and \
             saved nothing. Authdeck is still waiting: finish signing in in the newest tab \
             it opened.",
        )
    }

    /// Bytes that are not an HTTP request a browser would send.
    pub(super) fn bad_request() -> Self {
        Page::new(
            400,
            Tone::Neutral,
            "Bad request",
            "Not understood",
            "This address is only used by Authdeck to receive a sign-in from your browser.",
        )
    }

    pub(super) fn not_found() -> Self {
        Page::new(
            404,
            Tone::Neutral,
            "Not found",
            "Nothing here",
            "This address is only used by Authdeck to receive a sign-in from your browser.",
        )
    }

    pub(super) fn method_not_allowed() -> Self {
        Page::new(
            405,
            Tone::Neutral,
            "Not allowed",
            "Not allowed",
            "This address only accepts the sign-in your browser brings back to Authdeck.",
        )
    }

    pub(super) fn forbidden() -> Self {
        Page::new(
            403,
            Tone::Problem,
            "Not allowed",
            "Not allowed",
            "Only programs on this computer can send a sign-in to Authdeck.",
        )
    }

    pub(super) fn too_long() -> Self {
        Page::new(
            414,
            Tone::Problem,
            "Address too long",
            "Address too long",
            "That address was too long to be a sign-in response. Authdeck is still waiting \
             for the real one.",
        )
    }

    pub(super) fn render(&self) -> String {
        let accent = match self.tone {
            Tone::Success => "#1f8f4e",
            Tone::Problem => "#c2410c",
            Tone::Neutral => "#4b6bfb",
        };
        let detail = self
            .detail
            .as_deref()
            .map(|d| format!("<p class=\"detail\">{}</p>", html_escape(d)))
            .unwrap_or_default();
        // Inline CSS only: the CSP allows nothing else, and the page must not make
        // the browser contact anyone (no fonts, images, scripts or links).
        format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <meta name=\"referrer\" content=\"no-referrer\">\
             <title>{title} - Authdeck</title><style>\
             :root{{color-scheme:light dark}}\
             body{{margin:0;min-height:100vh;display:flex;align-items:center;\
             justify-content:center;background:#f4f5f7;color:#1c2230;\
             font:16px/1.55 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif}}\
             main{{max-width:32rem;margin:1.5rem;padding:1.75rem 2rem;background:#fff;\
             border-radius:12px;border-top:5px solid {accent};\
             box-shadow:0 2px 10px rgba(0,0,0,.08)}}\
             .brand{{margin:0 0 .5rem;font-size:.85rem;letter-spacing:.04em;\
             text-transform:uppercase;color:#6b7385}}\
             h1{{margin:0 0 .6rem;font-size:1.4rem}}\
             p{{margin:.4rem 0}}\
             .detail{{font-size:.92rem;color:#4d5566;overflow-wrap:anywhere}}\
             @media (prefers-color-scheme:dark){{\
             body{{background:#14171d;color:#e5e8ee}}\
             main{{background:#1e222b;box-shadow:none}}\
             .brand,.detail{{color:#a2aab8}}}}\
             </style></head><body><main>\
             <p class=\"brand\">Authdeck</p><h1>{heading}</h1><p>{message}</p>{detail}\
             </main></body></html>\n",
            title = html_escape(self.title),
            heading = html_escape(self.heading),
            message = html_escape(&self.message),
        )
    }

    /// The whole HTTP response, `Connection: close`: the listener answers one
    /// request per connection.
    pub(super) fn to_http(&self, head_only: bool) -> Vec<u8> {
        let body = self.render();
        let reason = match self.status {
            200 => "OK",
            400 => "Bad Request",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            414 => "URI Too Long",
            _ => "",
        };
        let allow = if self.status == 405 {
            "Allow: GET\r\n"
        } else {
            ""
        };
        let mut response = format!(
            "HTTP/1.1 {status} {reason}\r\n\
             Content-Type: text/html; charset=utf-8\r\n\
             Content-Length: {length}\r\n\
             Cache-Control: no-store\r\n\
             Referrer-Policy: no-referrer\r\n\
             X-Content-Type-Options: nosniff\r\n\
             Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n\
             X-Frame-Options: DENY\r\n\
             {allow}\
             Connection: close\r\n\r\n",
            status = self.status,
            length = body.len(),
        )
        .into_bytes();
        if !head_only {
            response.extend_from_slice(body.as_bytes());
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::AuthorizationCode;

    #[test]
    fn pages_load_nothing_external() {
        let outcomes: Vec<Result<Callback, LoopbackError>> = vec![
            Ok(Callback {
                code: AuthorizationCode::new("c"),
                iss: None,
            }),
            Err(LoopbackError::Denied),
            Err(LoopbackError::Provider {
                error: "e".to_owned(),
                description: Some("<img onerror=alert(1)>".to_owned()),
            }),
            Err(LoopbackError::MissingCode),
            Err(LoopbackError::MalformedCallback),
        ];
        let mut pages: Vec<Page> = outcomes.iter().map(Page::for_outcome).collect();
        pages.extend([
            Page::stray(),
            Page::bad_request(),
            Page::not_found(),
            Page::method_not_allowed(),
            Page::forbidden(),
            Page::too_long(),
        ]);
        for page in pages {
            let html = page.render().to_ascii_lowercase();
            for banned in [
                "<script", "<img", "<link", "<iframe", "src=", "href=", "url(", "@import", "http:",
                "https:",
            ] {
                assert!(!html.contains(banned), "{banned} in {html}");
            }
            assert!(html.contains("prefers-color-scheme:dark"));
            assert!(html.len() < 4096, "page should stay small");
        }
    }

    #[test]
    fn head_answers_carry_no_page() {
        let page = Page::method_not_allowed();
        let http = String::from_utf8(page.to_http(true)).expect("ascii");
        assert!(http.ends_with("\r\n\r\n"), "{http}");
        assert!(http.contains("Allow: GET\r\n"), "{http}");
        assert!(http.contains(&format!("Content-Length: {}", page.render().len())));
    }
}
