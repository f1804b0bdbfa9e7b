//! authdeck-app: the Authdeck window. One place to connect cloud accounts
//! (Google, Dropbox, Zoom, Notion, GitHub, Microsoft and services a person
//! adds) and see which are connected, as whom, with which permissions and
//! until when.
//!
//! # Layout
//!
//! - [`app`]: the Tauri layer: commands returning secret-free views, events,
//!   the keyring read started at launch (`prefetch`), the background
//!   refresher and the window's remembered size.
//! - The engine is the `authdeck-core` crate (`src-tauri/core`); the
//!   command-line tool is `authdeck` (`src-tauri/cli`). Dependencies point one
//!   way: this crate → core, the CLI → core; the two front ends never import
//!   each other.

pub mod app;

/// Opens the dashboard window.
pub use app::run;
