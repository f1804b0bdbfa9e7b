//! HTTP plumbing for the fake provider: what a request looked like (`Recorded`),
//! what to answer (`Reply`), and canned failures (`Canned`).

use std::collections::BTreeMap;

use base64::Engine;

/// One request the fake received, as it came over the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub method: String,
    /// Path without the query string.
    pub path: String,
    /// Raw query string (without `?`), empty when none.
    pub query: String,
    /// Header names in lower case, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn query_map(&self) -> BTreeMap<String, String> {
        parse_urlencoded(&self.query)
    }

    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_map().remove(name)
    }

    /// The body as `application/x-www-form-urlencoded` fields.
    pub fn form(&self) -> BTreeMap<String, String> {
        parse_urlencoded(&self.body)
    }

    pub fn form_param(&self, name: &str) -> Option<String> {
        self.form().remove(name)
    }

    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.body).ok()
    }

    /// Parameters from whichever body encoding was sent: a JSON object's values
    /// (strings as they are, others as JSON text) or form fields.
    pub fn body_params(&self) -> BTreeMap<String, String> {
        match self.json() {
            Some(serde_json::Value::Object(map)) => map
                .into_iter()
                .map(|(k, v)| {
                    let v = match v {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (k, v)
                })
                .collect(),
            _ => self.form(),
        }
    }

    pub fn is_json_body(&self) -> bool {
        self.header("content-type")
            .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("application/json"))
    }

    /// `(user, password)` from `Authorization: Basic`.
    pub fn basic_auth(&self) -> Option<(String, String)> {
        let value = self.header("authorization")?;
        let (scheme, encoded) = value.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (user, password) = text.split_once(':')?;
        // RFC 6749 2.3.1 form-encodes both parts before Basic encoding.
        Some((form_decode(user), form_decode(password)))
    }

    /// The token from `Authorization: Bearer` (GitHub also accepts `token`).
    pub fn bearer(&self) -> Option<String> {
        let value = self.header("authorization")?;
        let (scheme, token) = value.split_once(' ')?;
        if scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token") {
            Some(token.trim().to_string())
        } else {
            None
        }
    }

    pub fn accepts_json(&self) -> bool {
        self.header("accept")
            .is_some_and(|a| a.to_ascii_lowercase().contains("application/json"))
    }
}

pub fn parse_urlencoded(text: &str) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect()
}

fn form_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

pub fn urlencode(pairs: &[(&str, &str)]) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        serializer.append_pair(k, v);
    }
    serializer.finish()
}

/// A response the fake is about to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn json(status: u16, value: serde_json::Value) -> Reply {
        Reply {
            status,
            headers: vec![(
                "Content-Type".into(),
                "application/json; charset=utf-8".into(),
            )],
            body: value.to_string(),
        }
    }

    pub fn form(status: u16, pairs: &[(&str, &str)]) -> Reply {
        Reply {
            status,
            headers: vec![(
                "Content-Type".into(),
                "application/x-www-form-urlencoded; charset=utf-8".into(),
            )],
            body: urlencode(pairs),
        }
    }

    pub fn html(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
            body: body.to_string(),
        }
    }

    pub fn text(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: body.to_string(),
        }
    }

    pub fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: String::new(),
        }
    }

    pub fn redirect(location: &str) -> Reply {
        Reply {
            status: 302,
            headers: vec![("Location".into(), location.to_string())],
            body: String::new(),
        }
    }

    pub fn into_tiny_http(self) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
        let mut response =
            tiny_http::Response::from_data(self.body.into_bytes()).with_status_code(self.status);
        for (name, value) in self.headers {
            if let Ok(header) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
                response.add_header(header);
            }
        }
        response
    }
}

/// A canned answer the token endpoint gives instead of doing its job: a 500, a
/// 429 with Retry-After, garbage, an HTML error page. With `times(n)` it answers
/// the next n token requests this way, then the endpoint works again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canned {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(String, String)>,
    /// How many requests still get this answer; None = until cleared.
    pub times: Option<usize>,
}

impl Canned {
    pub fn new(status: u16, body: &str) -> Canned {
        Canned {
            status,
            body: body.to_string(),
            headers: Vec::new(),
            times: None,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Canned {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn times(mut self, n: usize) -> Canned {
        self.times = Some(n);
        self
    }

    /// 500 with a JSON-less body, as a crashing server sends.
    pub fn server_error() -> Canned {
        Canned::new(500, "Internal Server Error").header("Content-Type", "text/plain")
    }

    /// 429 Too Many Requests with `Retry-After: secs`.
    pub fn rate_limited(secs: u64) -> Canned {
        Canned::new(
            429,
            r#"{"error":"rate_limit_exceeded","error_description":"Too many requests"}"#,
        )
        .header("Content-Type", "application/json")
        .header("Retry-After", &secs.to_string())
    }

    /// 200 whose body is not JSON, nor form, nor anything.
    pub fn garbage() -> Canned {
        Canned::new(200, "\u{1}\u{2}not a token response {{{")
            .header("Content-Type", "application/json")
    }

    /// An HTML error page from a proxy in front of the provider.
    pub fn html() -> Canned {
        Canned::new(
            502,
            "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>",
        )
        .header("Content-Type", "text/html")
    }

    pub fn to_reply(&self) -> Reply {
        Reply {
            status: self.status,
            headers: self.headers.clone(),
            body: self.body.clone(),
        }
    }
}
