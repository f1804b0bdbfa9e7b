//! The one-attempt loopback listener that receives the browser's redirect at the
//! end of a sign-in (RFC 8252 section 7.3).
//!
//! # Layout
//!
//! - `listener`: the sockets for one attempt — bound on the loopback IP literals
//!   only (`127.0.0.1`, plus `[::1]` on the same port when the redirect host is
//!   `localhost`), a bounded number of connections each read within a size and
//!   time limit, closed as soon as the attempt ends, whatever the outcome.
//! - `callback`: the pure judgement of one request — path, method, then what the
//!   query means (`state`, RFC 9207 `iss`, `error`, `code`). A request without
//!   this attempt's `state` is a stray: it gets a short page and changes nothing.
//! - `page`: the small self-contained HTML pages the browser is answered with.
//! - `error`: why an attempt ended without a code, in plain words.
//!
//! It never sees a token and never contacts a provider: the authorization code it
//! returns is handed to the flow, which exchanges it exactly once. A request whose
//! `state` does not match never yields a code, so no token request can follow it.

mod callback;
mod error;
mod listener;
mod page;

pub use callback::{answer, Answer, Callback, CallbackPath, Expected};
pub use error::LoopbackError;
pub use listener::{CallbackListener, CancelHandle, ListenerConfig};

#[cfg(test)]
mod tests;
