//! How the engine's requests reach a service: a parameter of `Accounts`, so the
//! protocol rules (refresh, rotation, revocation) run against canned answers in
//! unit tests, and against real loopback servers in the integration tests.
//!
//! [`HttpTransport`] is the real one: the one reqwest client (no redirects,
//! timeouts, https only), built on first use, since `status` and a still-valid
//! `token` never talk HTTP and starting TLS is a noticeable part of a short run.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::time::Duration;

use crate::flow::{self, Answer, PreparedRequest, SendError};

/// A request on its way; boxed so `Transport` can be a trait object.
pub type Sending<'a> = Pin<Box<dyn Future<Output = Result<Answer, SendError>> + Send + 'a>>;

pub trait Transport: Send + Sync {
    /// Sends one request. Never retried here: a lost answer to a refresh is
    /// not replayed (the refresh rules decide what happens next).
    fn send(&self, request: PreparedRequest) -> Sending<'_>;

    /// Gets ready to send (TLS setup) while nothing waits on it, e.g. while
    /// the person is signing in in the browser.
    fn warm_up(&self) {}
}

/// The real transport: HTTPS through reqwest.
pub struct HttpTransport {
    timeout: Duration,
    /// Built on first use; an error (the system TLS library would not start)
    /// is kept and reported on every send.
    client: OnceLock<Result<reqwest::Client, String>>,
}

impl HttpTransport {
    pub fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            client: OnceLock::new(),
        }
    }

    fn client(&self) -> Result<&reqwest::Client, SendError> {
        self.client
            .get_or_init(|| crate::http::client(self.timeout))
            .as_ref()
            .map_err(|e| SendError::Unreachable(e.clone()))
    }
}

impl Transport for HttpTransport {
    fn send(&self, request: PreparedRequest) -> Sending<'_> {
        Box::pin(async move { flow::send(self.client()?, request).await })
    }

    fn warm_up(&self) {
        if let Err(e) = self.client() {
            tracing::warn!(error = %e, "the HTTPS client could not start");
        }
    }
}

#[cfg(test)]
pub use canned::Canned;

#[cfg(test)]
mod canned {
    use super::*;
    use std::collections::VecDeque;
    use std::sync::Mutex;

    /// Answers requests from a script, in order, and records what was sent
    /// (method and URL: bodies carry secrets and are not kept).
    #[derive(Default)]
    pub struct Canned {
        /// A std Mutex: held only to pop or push, never across an await.
        answers: Mutex<VecDeque<Result<Answer, SendError>>>,
        sent: Mutex<Vec<(String, String, Option<String>)>>,
    }

    impl Canned {
        pub fn new() -> Self {
            Self::default()
        }

        /// Queues a JSON answer.
        pub fn answer(&self, status: u16, json: &str) -> &Self {
            self.push(Ok(Answer {
                status,
                content_type: Some("application/json".to_owned()),
                retry_after: None,
                credential_expires_at: None,
                body: json.as_bytes().to_vec(),
            }))
        }

        /// Queues a failure to reach the service (the answer is lost).
        pub fn lose(&self) -> &Self {
            self.push(Err(SendError::TimedOut))
        }

        fn push(&self, answer: Result<Answer, SendError>) -> &Self {
            self.answers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push_back(answer);
            self
        }

        /// `(method, url, refresh_token sent)` of every request, in order.
        pub fn sent(&self) -> Vec<(String, String, Option<String>)> {
            self.sent.lock().unwrap_or_else(|p| p.into_inner()).clone()
        }
    }

    impl Transport for Canned {
        fn send(&self, request: PreparedRequest) -> Sending<'_> {
            self.sent.lock().unwrap_or_else(|p| p.into_inner()).push((
                request.method.to_string(),
                request.url.clone(),
                request.param("refresh_token"),
            ));
            let next = self
                .answers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .pop_front()
                .unwrap_or_else(|| Err(SendError::Unreachable("no canned answer left".into())));
            Box::pin(async move { next })
        }
    }
}
