//! authdeck-core: the engine of Authdeck. It has no Tauri, GTK or WebKit
//! dependency, so the compiler (not a convention) keeps the window out of it;
//! the window app (`authdeck-app`) and the command-line tool (`authdeck`) are
//! thin layers over it and never import each other.
//!
//! # Layout
//!
//! - `provider` (with the six built-ins as data), `catalog` (built-ins, baked
//!   presets, the system file, your `providers.toml`), `discovery` (OpenID).
//! - `credentials`: which client credentials a service has, and from where.
//! - `setup`: checks of values pasted into a service's setup.
//! - `secret`: redacting newtypes for every token and secret.
//! - `token`: the token set and its expiry maths (`now` is always a parameter).
//! - `token_response`: the tolerant parser for token endpoint answers.
//! - `pkce`, `flow`: PKCE, the authorize URL and every request, built as data.
//! - `http`, `transport`: the one HTTPS client (no redirects, timeouts, https
//!   only) behind the `Transport` the engine is given.
//! - `loopback`: the one-attempt callback listener (listener, callback, page).
//! - `browser`: opens the sign-in page in the person's own browser.
//! - `store`: token and client records, over the OS keyring (one Secret Service
//!   session per process on Linux; memory in unit tests).
//! - `roster`: which accounts a service holds and its default; the keys of
//!   their records.
//! - `lock`: one refresh per account, in process and across processes.
//! - `accounts`: status, the auth chain, and its `connect`, `device`,
//!   `refresh` and `logout` flows.
//! - `autostart`: the XDG autostart entry that starts the keeper at login.
//! - `keeper`: what `authdeck watch` does each pass (renew ahead of expiry
//!   and after a day unused; find what needs the person, each cause once).
//! - `paths`, `error`, `logging`: folders; typed errors with stable codes;
//!   log setup both front ends share.

pub mod accounts;
pub mod autostart;
pub mod browser;
pub mod catalog;
pub mod credentials;
pub mod discovery;
pub mod error;
pub mod flow;
pub mod http;
pub mod keeper;
pub mod lock;
pub mod logging;
pub mod loopback;
pub mod paths;
pub mod pkce;
pub mod provider;
pub mod roster;
pub mod secret;
pub mod setup;
pub mod store;
pub mod token;
pub mod token_response;
pub mod transport;
