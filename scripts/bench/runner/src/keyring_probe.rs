//! What Authdeck's keyring reads cost, and what they would cost read another
//! way, with the Secret Service client keyring 3 uses underneath
//! (dbus-secret-service, DH-encrypted session).
//!
//! - per read (keyring 3's way): every read opens a D-Bus connection and a new
//!   DH session, searches for one item, fetches its secret. `status` does this
//!   once per service for the token item (six here: all are fresh, so no
//!   client item is read);
//! - one session: one connection, one DH session, one search for every item of
//!   the keyring service, then each secret; all six token records read.

use std::collections::HashMap;
use std::time::Instant;

use dbus_secret_service::{EncryptionType, SecretService};

use crate::stats;

/// keyring 3's `Entry::get_password` for one item, as it does it.
fn read_one(service: &str, username: &str) -> Result<bool, String> {
    let ss = SecretService::connect(EncryptionType::Dh).map_err(|e| e.to_string())?;
    let attributes = HashMap::from([
        ("service", service),
        ("username", username),
        ("target", "default"),
    ]);
    let found = ss.search_items(attributes).map_err(|e| e.to_string())?;
    match found.unlocked.first() {
        Some(item) => {
            item.get_secret().map_err(|e| e.to_string())?;
            Ok(true)
        }
        None => {
            // keyring 3.2.1+ then looks again in the default collection for a
            // keyring-v1 item without a target: a second search.
            let collection = ss.get_default_collection().map_err(|e| e.to_string())?;
            let legacy = collection
                .search_items(HashMap::from([
                    ("service", service),
                    ("username", username),
                ]))
                .map_err(|e| e.to_string())?;
            Ok(!legacy.is_empty())
        }
    }
}

/// Every item of the keyring service through one session.
fn read_all(service: &str, encryption: EncryptionType) -> Result<usize, String> {
    let ss = SecretService::connect(encryption).map_err(|e| e.to_string())?;
    let found = ss
        .search_items(HashMap::from([("service", service)]))
        .map_err(|e| e.to_string())?;
    for item in &found.unlocked {
        item.get_attributes().map_err(|e| e.to_string())?;
        item.get_secret().map_err(|e| e.to_string())?;
    }
    Ok(found.unlocked.len())
}

/// Times each way `rounds` times; ids are the six services.
pub fn probe(service: &str, ids: &[&str], rounds: usize) -> serde_json::Value {
    let mut per_read_one = Vec::new();
    let mut per_read_six_sequential = Vec::new();
    let mut one_session_dh = Vec::new();
    let mut one_session_plain = Vec::new();
    let mut errors = Vec::new();
    let mut items_seen = 0;
    for _ in 0..rounds {
        let start = Instant::now();
        if let Err(e) = read_one(service, &format!("token:{}", ids[0])) {
            errors.push(e);
        }
        per_read_one.push(ms(start));

        let start = Instant::now();
        for id in ids {
            if let Err(e) = read_one(service, &format!("token:{id}")) {
                errors.push(e);
            }
        }
        per_read_six_sequential.push(ms(start));

        let start = Instant::now();
        match read_all(service, EncryptionType::Dh) {
            Ok(n) => items_seen = n,
            Err(e) => errors.push(e),
        }
        one_session_dh.push(ms(start));

        let start = Instant::now();
        if let Err(e) = read_all(service, EncryptionType::Plain) {
            errors.push(e);
        }
        one_session_plain.push(ms(start));
    }
    errors.dedup();
    serde_json::json!({
        "one_read_new_session_ms": stats::summary(&per_read_one),
        "token_reads_one_by_one_ms": stats::summary(&per_read_six_sequential),
        "all_items_one_dh_session_ms": stats::summary(&one_session_dh),
        "all_items_one_plain_session_ms": stats::summary(&one_session_plain),
        "items_read_in_one_session": items_seen,
        "errors": errors,
    })
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}
