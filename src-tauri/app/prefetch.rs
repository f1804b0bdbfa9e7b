//! The first keyring read starts with the process, not when the page asks.
//!
//! WebKit takes a few hundred milliseconds to start and load the page; the
//! keyring read the page's first request needs (every service's status, and
//! a reachability check for the banner) runs meanwhile, so the cards are
//! drawn from an answer that is already there. Each first answer is used
//! once, by the first request for it; every later request reads afresh.

use authdeck_core::accounts::{Accounts, Status};
use authdeck_core::error::Error;
use authdeck_core::store::StoreError;
use authdeck_core::token::unix_now;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tauri::async_runtime::JoinHandle;

/// Every service's status, as `Accounts::status_each` gives it.
pub type Statuses = Vec<(String, Result<Status, Error>)>;

/// The reads started at launch, until the page takes them.
pub struct Prefetch {
    keyring: Mutex<Option<JoinHandle<Result<(), StoreError>>>>,
    statuses: Mutex<Option<JoinHandle<Statuses>>>,
}

impl Prefetch {
    /// Starts both reads on the async runtime and returns at once.
    pub fn start(accounts: &Arc<Accounts>) -> Self {
        let for_check = Arc::clone(accounts);
        let keyring = tauri::async_runtime::spawn(async move { for_check.store().check().await });
        let for_status = Arc::clone(accounts);
        let statuses =
            tauri::async_runtime::spawn(async move { for_status.status_each(unix_now()).await });
        Self {
            keyring: Mutex::new(Some(keyring)),
            statuses: Mutex::new(Some(statuses)),
        }
    }

    /// The launch-time reachability check the first time, else `fresh`.
    pub async fn keyring(
        &self,
        fresh: impl Future<Output = Result<(), StoreError>>,
    ) -> Result<(), StoreError> {
        first_or(take(&self.keyring), fresh, "keyring check").await
    }

    /// The launch-time statuses the first time, else `fresh`.
    pub async fn statuses(&self, fresh: impl Future<Output = Statuses>) -> Statuses {
        first_or(take(&self.statuses), fresh, "statuses").await
    }
}

fn take<T>(slot: &Mutex<Option<T>>) -> Option<T> {
    slot.lock().unwrap_or_else(|p| p.into_inner()).take()
}

/// The started read's answer; a read that died (a panic in a task) is
/// replaced by a fresh one rather than shown as an error.
async fn first_or<T>(
    started: Option<JoinHandle<T>>,
    fresh: impl Future<Output = T>,
    what: &str,
) -> T {
    if let Some(handle) = started {
        match handle.await {
            Ok(answer) => {
                tracing::debug!(what, "answered from the read started at launch");
                return answer;
            }
            Err(e) => tracing::warn!(what, error = %e, "the read started at launch failed"),
        }
    }
    fresh.await
}
