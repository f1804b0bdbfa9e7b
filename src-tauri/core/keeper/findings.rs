//! What the keeper has found, and what it has already told the person.
//!
//! One notification per cause per account: a cause is told once, when it is
//! first found, and again only after it has gone away and come back. The
//! findings are kept in `<config dir>/keeper.json` so a restarted keeper does
//! not repeat itself and the window can show why a card needs attention and
//! since when. The file holds no secret (service ids, account names, times).
//!
//! Time is a parameter everywhere here.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// A service answering errors this long is worth telling the person about.
pub const FAILING_FOR_SECS: u64 = 3_600;

/// Why a connection needs the person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Cause {
    /// The service refused the saved sign-in.
    NeedsReconnect,
    /// The token ends at `expires_at` and nothing can renew it.
    ExpiresSoon { expires_at: u64 },
    /// Every attempt since `since` failed (network, errors from the service).
    Failing { since: u64 },
}

impl Cause {
    /// Causes of the same kind are the same cause ("still failing").
    fn kind(&self) -> &'static str {
        match self {
            Cause::NeedsReconnect => "needs_reconnect",
            Cause::ExpiresSoon { .. } => "expires_soon",
            Cause::Failing { .. } => "failing",
        }
    }

    /// Plain words for the card and the notification body.
    pub fn describe(&self, service: &str) -> String {
        match self {
            Cause::NeedsReconnect => format!("{service} no longer accepts this sign-in. Reconnect to keep using it."),
            Cause::ExpiresSoon { .. } => format!("This {service} sign-in stops working within a day and cannot renew itself. Reconnect to keep using it."),
            Cause::Failing { .. } => format!("{service} has been answering with errors for over an hour; Authdeck keeps trying."),
        }
    }
}

/// One cause on one account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub service: String,
    /// The account's record key (see `roster`).
    pub key: String,
    /// As shown (`-` for an unnamed account).
    pub account: String,
    pub cause: Cause,
    /// When the keeper first saw this cause.
    pub noticed_at: u64,
}

/// The keeper's memory between passes and between runs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Findings {
    #[serde(default)]
    pub version: u32,
    /// Current findings, each already told to the person (or being told now).
    #[serde(default)]
    pub current: Vec<Finding>,
    /// First failure of a record that has not worked since, by key.
    #[serde(default)]
    pub failing_since: BTreeMap<String, u64>,
    /// When each service's API key was last asked about, and the end the
    /// service reported (checked at most daily).
    #[serde(default)]
    pub keys_checked: BTreeMap<String, KeyCheck>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyCheck {
    pub checked_at: u64,
    pub expires_at: Option<u64>,
}

impl Findings {
    const VERSION: u32 = 1;
    pub const FILE: &'static str = "keeper.json";

    /// The saved findings; a missing or unreadable file is a fresh start
    /// (at worst one notification is repeated), never an error.
    pub fn load(dir: &Path) -> Self {
        let path = dir.join(Self::FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => match serde_json::from_str::<Findings>(&text) {
                Ok(found) if found.version <= Self::VERSION => found,
                Ok(_) | Err(_) => {
                    tracing::warn!(path = %path.display(), "keeper findings unreadable; starting afresh");
                    Findings::default()
                }
            },
            Err(_) => Findings::default(),
        }
    }

    /// Written to a temporary file and renamed, so a reader (the window)
    /// never sees half a file, and a kill never leaves one.
    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let mut copy = self.clone();
        copy.version = Self::VERSION;
        let text = serde_json::to_string_pretty(&copy).unwrap_or_default();
        let temp = dir.join(format!("{}.{}.tmp", Self::FILE, std::process::id()));
        std::fs::write(&temp, text)?;
        std::fs::rename(&temp, dir.join(Self::FILE))
    }

    /// Takes this pass's causes (every account of every service looked at)
    /// and returns the ones to tell the person now: those not already
    /// current. A cause no longer found is dropped, so it is told again if it
    /// comes back. `looked_at` names the services this pass checked; the
    /// others (skipped while backing off) keep their findings.
    pub fn update(&mut self, found: Vec<Finding>, looked_at: &[String], now: u64) -> Vec<Finding> {
        let mut fresh = Vec::new();
        let mut next: Vec<Finding> = self
            .current
            .iter()
            .filter(|f| !looked_at.contains(&f.service))
            .cloned()
            .collect();
        for mut finding in found {
            let known = self
                .current
                .iter()
                .find(|f| f.key == finding.key && f.cause.kind() == finding.cause.kind());
            match known {
                Some(known) => next.push(known.clone()),
                None => {
                    finding.noticed_at = now;
                    fresh.push(finding.clone());
                    next.push(finding);
                }
            }
        }
        self.current = next;
        fresh
    }

    /// A record's attempt failed at `now`; returns when its failures began.
    pub fn failed(&mut self, key: &str, now: u64) -> u64 {
        *self.failing_since.entry(key.to_owned()).or_insert(now)
    }

    /// A record worked again.
    pub fn worked(&mut self, key: &str) {
        self.failing_since.remove(key);
    }

    /// The finding shown on a card for an account, if any.
    pub fn for_key(&self, key: &str) -> Option<&Finding> {
        self.current.iter().find(|f| f.key == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(key: &str, cause: Cause) -> Finding {
        Finding {
            service: "google".into(),
            key: key.into(),
            account: key.into(),
            cause,
            noticed_at: 0,
        }
    }

    #[test]
    fn a_cause_is_told_once_until_it_goes_away_and_comes_back() {
        let mut f = Findings::default();
        let looked = vec!["google".to_owned()];
        let told = f.update(vec![finding("google", Cause::NeedsReconnect)], &looked, 100);
        assert_eq!(told.len(), 1);
        assert_eq!(told[0].noticed_at, 100);
        let told = f.update(vec![finding("google", Cause::NeedsReconnect)], &looked, 160);
        assert!(told.is_empty(), "not repeated on the next pass");
        assert_eq!(f.for_key("google").map(|x| x.noticed_at), Some(100));
        assert!(f.update(Vec::new(), &looked, 220).is_empty());
        assert!(f.for_key("google").is_none(), "fixed: forgotten");
        let told = f.update(vec![finding("google", Cause::NeedsReconnect)], &looked, 280);
        assert_eq!(told.len(), 1, "broken again: told again");
    }

    #[test]
    fn still_failing_is_the_same_cause_and_skipped_services_keep_theirs() {
        let mut f = Findings::default();
        let google = vec!["google".to_owned()];
        f.update(
            vec![finding("google", Cause::Failing { since: 1 })],
            &google,
            10,
        );
        let told = f.update(
            vec![finding("google", Cause::Failing { since: 1 })],
            &google,
            70,
        );
        assert!(told.is_empty());
        let told = f.update(Vec::new(), &["github".to_owned()], 130);
        assert!(told.is_empty());
        assert!(f.for_key("google").is_some(), "google was not looked at");
    }

    #[test]
    fn findings_survive_a_restart_and_a_damaged_file_is_a_fresh_start() {
        let dir = std::env::temp_dir().join(format!("authdeck-findings-{}", std::process::id()));
        let mut f = Findings::default();
        f.update(
            vec![finding("google/bob", Cause::ExpiresSoon { expires_at: 9 })],
            &["google".to_owned()],
            5,
        );
        f.failed("github", 7);
        f.save(&dir).expect("save");
        let back = Findings::load(&dir);
        assert_eq!(back.current, f.current);
        assert_eq!(back.failing_since.get("github"), Some(&7));
        std::fs::write(dir.join(Findings::FILE), "{not json").expect("write");
        assert_eq!(Findings::load(&dir), Findings::default());
        let _ = std::fs::remove_dir_all(dir);
    }
}
