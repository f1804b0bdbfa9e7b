//! The Secret Service (Linux), over one D-Bus session per process.
//!
//! The keyring crate opens a new D-Bus connection and does a new key exchange
//! for every call (~8 ms each), so `authdeck status` with six services spent
//! most of its time shaking hands. This backend opens the session once, on
//! first use, and every later read and write of the process goes through it:
//! a read is then two round trips on a local bus (search, get secret).
//!
//! The items are exactly keyring's (v3), so records saved by earlier releases
//! load, and records saved here load in them: attributes `target = "default"`,
//! `service`, `username` (the item name), `application = "rust-keyring"`,
//! keyring's label, new items in the default collection, an existing item
//! updated in place. Keyring also searches for items without `target` that its
//! v1 wrote; Authdeck never wrote such items, so that extra search is skipped.
//!
//! When the keyring daemon restarts, the session it knew is gone; a call that
//! fails on the D-Bus level on a session opened earlier is tried once more on
//! a fresh session. Every call is idempotent, so the second try is safe.

use super::{blocking, classify_platform_failure, ItemFuture, Items, StoreError};
use dbus_secret_service::{EncryptionType, Error as SsError, Item, SecretService};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

/// Keyring's attribute values and label (keyring v3.6.3, the version earlier
/// Authdeck releases used; the label is only a name shown in keyring apps).
const TARGET: &str = "default";
const APPLICATION: &str = "rust-keyring";
const KEYRING_VERSION: &str = "3.6.3";

/// Secrets are text; keyring stores passwords with this content type.
const CONTENT_TYPE: &str = "text/plain";

/// The items of one keyring service name, over the process's session.
pub(super) struct SecretServiceItems {
    shared: Arc<Shared>,
}

struct Shared {
    service: String,
    /// Opened on first use. A std Mutex held only inside `spawn_blocking`:
    /// the D-Bus connection answers one call at a time anyway.
    session: Mutex<Option<SecretService>>,
}

impl SecretServiceItems {
    pub(super) fn new(service: String) -> Self {
        Self {
            shared: Arc::new(Shared {
                service,
                session: Mutex::new(None),
            }),
        }
    }
}

impl fmt::Debug for SecretServiceItems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretServiceItems")
            .field("service", &self.shared.service)
            .finish_non_exhaustive()
    }
}

impl Items for SecretServiceItems {
    fn get<'a>(&'a self, item: &'a str) -> ItemFuture<'a, Option<String>> {
        let (shared, item) = (self.shared.clone(), item.to_owned());
        Box::pin(blocking(move || {
            shared
                .with_session(|ss| {
                    let Some(found) = shared.find(ss, &item)? else {
                        return Ok(None);
                    };
                    let bytes = found.get_secret()?;
                    Ok(Some(bytes))
                })?
                .map(|bytes| {
                    String::from_utf8(bytes).map_err(|_| StoreError::Damaged {
                        item: item.clone(),
                        detail: "not valid text".into(),
                    })
                })
                .transpose()
        }))
    }

    fn set<'a>(&'a self, item: &'a str, text: String) -> ItemFuture<'a, ()> {
        let (shared, item) = (self.shared.clone(), item.to_owned());
        Box::pin(blocking(move || {
            shared.with_session(|ss| {
                if let Some(found) = shared.find(ss, &item)? {
                    found.set_secret(text.as_bytes(), CONTENT_TYPE)?;
                    return Ok(());
                }
                let collection = ss.get_default_collection()?;
                if collection.is_locked()? {
                    collection.unlock()?;
                }
                let attributes = shared.attributes(&item);
                let label = format!(
                    "{item}@{}:{TARGET} (keyring v{KEYRING_VERSION})",
                    shared.service
                );
                collection.create_item(&label, attributes, text.as_bytes(), true, CONTENT_TYPE)?;
                Ok(())
            })
        }))
    }

    fn delete<'a>(&'a self, item: &'a str) -> ItemFuture<'a, ()> {
        let (shared, item) = (self.shared.clone(), item.to_owned());
        Box::pin(blocking(move || {
            shared.with_session(|ss| match shared.find(ss, &item)? {
                Some(found) => Ok(found.delete()?),
                None => Ok(()),
            })
        }))
    }
}

/// What a call inside the session can end with: a Secret Service error, or
/// a finding of ours (two items under one name).
enum Failure {
    Service(SsError),
    Ambiguous { item: String, count: usize },
}

impl From<SsError> for Failure {
    fn from(e: SsError) -> Self {
        Failure::Service(e)
    }
}

impl Shared {
    /// Runs `call` on the process's session, opening it first if needed.
    /// The outer `Result` is the session's; the inner one is `call`'s own
    /// (for example text that is not UTF-8), passed through as it is.
    fn with_session<T>(
        &self,
        call: impl Fn(&SecretService) -> Result<T, Failure>,
    ) -> Result<T, StoreError> {
        let mut slot = self.session.lock().unwrap_or_else(|p| p.into_inner());
        let reused = slot.is_some();
        let session = match slot.take() {
            Some(session) => session,
            None => SecretService::connect(EncryptionType::Dh).map_err(map_error)?,
        };
        match call(&session) {
            Ok(value) => {
                *slot = Some(session);
                Ok(value)
            }
            Err(Failure::Service(e)) if reused && is_bus_trouble(&e) => {
                tracing::debug!(error = %e, "keyring session lost; opening a new one");
                drop(session);
                let fresh = SecretService::connect(EncryptionType::Dh).map_err(map_error)?;
                let result = call(&fresh);
                *slot = Some(fresh);
                result.map_err(|f| self.failure(f))
            }
            Err(failure) => {
                // A session whose bus call failed may be the broken one; the
                // next call starts afresh. Other failures keep it.
                if !matches!(&failure, Failure::Service(e) if is_bus_trouble(e)) {
                    *slot = Some(session);
                }
                Err(self.failure(failure))
            }
        }
    }

    /// The one item named `item`, unlocked; `None` when there is none.
    fn find<'s>(&self, ss: &'s SecretService, item: &str) -> Result<Option<Item<'s>>, Failure> {
        let mut search = self.attributes(item);
        search.remove("application");
        let found = ss.search_items(search)?;
        let count = found.unlocked.len() + found.locked.len();
        if count > 1 {
            return Err(Failure::Ambiguous {
                item: item.to_owned(),
                count,
            });
        }
        if let Some(unlocked) = found.unlocked.into_iter().next() {
            return Ok(Some(unlocked));
        }
        match found.locked.into_iter().next() {
            Some(locked) => {
                locked.unlock()?;
                Ok(Some(locked))
            }
            None => Ok(None),
        }
    }

    fn attributes<'a>(&'a self, item: &'a str) -> HashMap<&'a str, &'a str> {
        HashMap::from([
            ("target", TARGET),
            ("service", self.service.as_str()),
            ("username", item),
            ("application", APPLICATION),
        ])
    }

    fn failure(&self, failure: Failure) -> StoreError {
        match failure {
            Failure::Service(e) => map_error(e),
            Failure::Ambiguous { item, count } => StoreError::Other(format!(
                "{count} keyring items are named \"{item}@{}\"; keep one and remove the others (for example with the Passwords and Keys app)",
                self.service
            )),
        }
    }
}

/// A failure of the connection rather than an answer of the service.
fn is_bus_trouble(e: &SsError) -> bool {
    matches!(e, SsError::Dbus(_))
}

/// The same mapping keyring applies, so messages stay as they were: a locked
/// collection or a dismissed prompt is "locked"; bus trouble is told apart by
/// its text.
fn map_error(e: SsError) -> StoreError {
    match e {
        SsError::Locked | SsError::NoResult | SsError::Prompt => StoreError::Locked,
        SsError::Unavailable => StoreError::NoKeyringService,
        other => {
            let text = other.to_string();
            tracing::debug!(%text, "secret service failure");
            classify_platform_failure(&text)
        }
    }
}
