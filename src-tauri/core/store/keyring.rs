//! The keyring crate's stores: Keychain on macOS, Credential Manager on
//! Windows. One entry per item name under the keyring service name. (Linux
//! uses `secret_service.rs`, which keeps one session for the whole process.)

use super::{blocking, classify_platform_failure, ItemFuture, Items, StoreError};

/// The OS keyring, through the keyring crate: one entry per item name under
/// the keyring service name.
#[derive(Debug)]
pub(super) struct Keyring {
    pub(super) service: String,
}

impl Items for Keyring {
    fn get<'a>(&'a self, item: &'a str) -> ItemFuture<'a, Option<String>> {
        let (service, item) = (self.service.clone(), item.to_owned());
        Box::pin(blocking(move || {
            let entry = keyring::Entry::new(&service, &item).map_err(map_error)?;
            match entry.get_password() {
                Ok(text) => Ok(Some(text)),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(map_error(e)),
            }
        }))
    }

    fn set<'a>(&'a self, item: &'a str, text: String) -> ItemFuture<'a, ()> {
        let (service, item) = (self.service.clone(), item.to_owned());
        Box::pin(blocking(move || {
            let entry = keyring::Entry::new(&service, &item).map_err(map_error)?;
            entry.set_password(&text).map_err(map_error)
        }))
    }

    fn delete<'a>(&'a self, item: &'a str) -> ItemFuture<'a, ()> {
        let (service, item) = (self.service.clone(), item.to_owned());
        Box::pin(blocking(move || {
            let entry = keyring::Entry::new(&service, &item).map_err(map_error)?;
            match entry.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(e) => Err(map_error(e)),
            }
        }))
    }
}

/// Turns keyring's platform errors into the three situations a person can fix.
fn map_error(error: keyring::Error) -> StoreError {
    match error {
        keyring::Error::NoStorageAccess(_) => StoreError::Locked,
        keyring::Error::PlatformFailure(inner) => {
            let text = inner.to_string();
            tracing::debug!(%text, "keyring platform failure");
            classify_platform_failure(&text)
        }
        keyring::Error::BadEncoding(_) => StoreError::Damaged {
            item: "an Authdeck item".into(),
            detail: "not valid text".into(),
        },
        other => StoreError::Other(other.to_string()),
    }
}
