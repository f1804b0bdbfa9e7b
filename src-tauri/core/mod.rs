//! The engine. Nothing here imports Tauri: the window and the CLI are thin
//! layers over these modules (see the crate docs for the map).

pub mod accounts;
pub mod browser;
pub mod catalog;
pub mod credentials;
pub mod discovery;
pub mod error;
pub mod flow;
pub mod http;
pub mod lock;
pub mod loopback;
pub mod paths;
pub mod pkce;
pub mod provider;
pub mod secret;
pub mod setup;
pub mod store;
pub mod token;
pub mod token_response;
pub mod transport;
