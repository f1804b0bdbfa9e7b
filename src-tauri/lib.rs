//! Authdeck: one place to connect cloud accounts (Google, Dropbox, Zoom,
//! Notion, GitHub, Microsoft and services a user adds) and see which are
//! connected, as whom, with which permissions and until when. Scripts use
//! the same connections through the `authdeck` command.
//!
//! # Layout
//!
//! - [`core`]: everything that is not a window, and knows nothing of Tauri.
//!   - `provider`, `builtin`: what a service is, and the six built-ins (quirks as data).
//!   - `catalog`, `discovery`: built-ins plus `providers.toml`; OpenID discovery.
//!   - `secret`: redacting newtypes for every token and secret.
//!   - `token`: the token set and its expiry maths (`now` is always a parameter).
//!   - `token_response`: the tolerant parser for token endpoint answers.
//!   - `pkce`, `flow`: PKCE, the authorize URL and every token/revoke/userinfo request.
//!   - `http`: the one HTTP client (no redirects, timeouts, https only).
//!   - `loopback`: the one-shot callback listener on 127.0.0.1.
//!   - `browser`: opens the sign-in page in the person's own browser.
//!   - `store`: tokens and client credentials in the OS keyring.
//!   - `credentials`: which credentials a service has, and from where.
//!   - `lock`: one refresh per service, in process and across processes.
//!   - `accounts`: status and the auth chain; its children `connect`, `refresh`
//!     and `logout` hold those flows.
//!   - `paths`, `error`: the config dir; typed errors with stable codes.
//! - [`app`]: the Tauri layer: commands returning secret-free views, events,
//!   the background refresher and the window's remembered size.
//! - [`cli`]: the headless subcommands (`authdeck token github`, …).
//!
//! Dependencies point one way: `app` → `core`, `cli` → `core`.

pub mod app;
pub mod cli;
pub mod core;
