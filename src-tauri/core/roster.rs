//! Which accounts a service holds, and which is the default: the roster.
//!
//! Each account's token set is its own keyring record, found by a key:
//! - the first account of a service uses the service id itself (`github`),
//!   which is the record earlier releases kept, so a single sign-in saved by
//!   them is this service's default account with nothing to migrate;
//! - further accounts use `SERVICE/ACCOUNT` (`github/octocat`), or
//!   `SERVICE/-` for one the service would not name.
//!
//! A service with one account at its plain key needs no roster record: the
//! roster is then read from that token record (see `Roster::single`). The
//! record `accounts:SERVICE` is written when a second account arrives or the
//! default changes, and always before (adding) or after (removing) the token
//! records it lists change, so a crash leaves at worst an unlisted record,
//! never a listed one that is gone.
//!
//! Accounts are matched without regard to ASCII case: GitHub logins and email
//! addresses are case-insensitive, and signing in again as `Ada@Example.com`
//! must replace `ada@example.com`, not add a second account.

/// One account: its identity as the service gave it, and its record key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// `None` for a service that does not say who signed in.
    pub account: Option<String>,
    pub key: String,
}

/// The accounts of one service, in the order they were connected.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Roster {
    pub entries: Vec<Entry>,
    /// The key of the default account; always one of `entries` when any.
    pub default: Option<String>,
}

/// Why an account name given by a person cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AccountNameError {
    #[error("The account name is empty: give the account as `authdeck status` shows it (an email address or a login).")]
    Empty,
    #[error("The account name contains control characters: give the account as `authdeck status` shows it (an email address or a login).")]
    ControlCharacters,
}

/// Checks an account name typed by a person (`--account`).
pub fn check_account_name(name: &str) -> Result<&str, AccountNameError> {
    if name.chars().any(char::is_control) {
        return Err(AccountNameError::ControlCharacters);
    }
    let name = name.trim();
    if name.is_empty() {
        return Err(AccountNameError::Empty);
    }
    Ok(name)
}

/// How an unnamed account is shown and chosen.
pub const UNNAMED: &str = "-";

impl Entry {
    /// The account as shown to a person and typed back in `--account`.
    pub fn label(&self) -> &str {
        self.account.as_deref().unwrap_or(UNNAMED)
    }

    fn is(&self, account: Option<&str>) -> bool {
        match (self.account.as_deref(), account) {
            (Some(mine), Some(theirs)) => mine.eq_ignore_ascii_case(theirs),
            (None, None) => true,
            _ => false,
        }
    }
}

impl Roster {
    /// The roster of a service whose only record is its plain key: one
    /// account, the default. Earlier releases kept every sign-in so.
    pub fn single(service: &str, account: Option<String>) -> Self {
        Self {
            entries: vec![Entry {
                account,
                key: service.to_owned(),
            }],
            default: Some(service.to_owned()),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The default account's entry.
    pub fn default_entry(&self) -> Option<&Entry> {
        let key = self.default.as_deref()?;
        self.entries.iter().find(|e| e.key == key)
    }

    /// The entry for an account as a person names it (`-` for the unnamed one).
    pub fn find(&self, name: &str) -> Option<&Entry> {
        let wanted = (name != UNNAMED).then_some(name);
        self.entries.iter().find(|e| e.is(wanted))
    }

    /// The entry of the account a sign-in came back as, if it is here.
    pub fn find_identity(&self, account: Option<&str>) -> Option<&Entry> {
        self.entries.iter().find(|e| e.is(account))
    }

    /// The accounts, as a person would list them.
    pub fn labels(&self) -> Vec<String> {
        self.entries.iter().map(|e| e.label().to_owned()).collect()
    }

    /// The key for a new account of `service`: the plain key while it is
    /// free (a first account stays where earlier releases look for it),
    /// else `SERVICE/ACCOUNT`.
    pub fn key_for_new(&self, service: &str, account: Option<&str>) -> String {
        if !self.entries.iter().any(|e| e.key == service) {
            return service.to_owned();
        }
        let name = account.unwrap_or(UNNAMED).to_ascii_lowercase();
        format!("{service}/{name}")
    }

    /// Adds an account (after its record is saved). The first becomes the default.
    pub fn add(&mut self, entry: Entry) {
        if self.default.is_none() {
            self.default = Some(entry.key.clone());
        }
        self.entries.push(entry);
    }

    /// Takes an account out. When it was the default, the next remaining
    /// account (in connect order) becomes the default and is returned.
    pub fn remove(&mut self, key: &str) -> Option<&Entry> {
        self.entries.retain(|e| e.key != key);
        if self.default.as_deref() == Some(key) {
            self.default = self.entries.first().map(|e| e.key.clone());
            return self.entries.first();
        }
        None
    }

    /// Makes `key` the default; false when there is no such account.
    pub fn make_default(&mut self, key: &str) -> bool {
        if self.entries.iter().any(|e| e.key == key) {
            self.default = Some(key.to_owned());
            true
        } else {
            false
        }
    }

    /// Whether this roster can be read back from the token records alone,
    /// without a roster record: one account at the plain key.
    pub fn is_implicit(&self, service: &str) -> bool {
        self.entries.is_empty()
            || (self.entries.len() == 1
                && self.entries[0].key == service
                && self.default.as_deref() == Some(service))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(account: &str, key: &str) -> Entry {
        Entry {
            account: Some(account.into()),
            key: key.into(),
        }
    }

    #[test]
    fn a_first_account_keeps_the_plain_key_and_becomes_the_default() {
        let mut roster = Roster::default();
        let key = roster.key_for_new("github", Some("octocat"));
        assert_eq!(key, "github");
        roster.add(entry("octocat", &key));
        assert_eq!(roster.default.as_deref(), Some("github"));
        assert!(roster.is_implicit("github"));

        let second = roster.key_for_new("github", Some("Hubot"));
        assert_eq!(second, "github/hubot");
        roster.add(entry("Hubot", &second));
        assert_eq!(roster.default.as_deref(), Some("github"), "still the first");
        assert!(!roster.is_implicit("github"));
    }

    #[test]
    fn accounts_match_without_regard_to_case_and_the_unnamed_one_is_a_dash() {
        let mut roster = Roster::single("google", Some("ada@example.com".into()));
        assert_eq!(
            roster
                .find_identity(Some("Ada@Example.com"))
                .map(|e| e.key.as_str()),
            Some("google")
        );
        assert!(roster.find("bob@example.com").is_none());
        roster.add(Entry {
            account: None,
            key: "google/-".into(),
        });
        assert_eq!(roster.find("-").map(|e| e.key.as_str()), Some("google/-"));
        assert_eq!(roster.labels(), vec!["ada@example.com", "-"]);
    }

    #[test]
    fn removing_the_default_promotes_the_next_account() {
        let mut roster = Roster::single("github", Some("octocat".into()));
        roster.add(entry("hubot", "github/hubot"));
        roster.add(entry("monalisa", "github/monalisa"));
        let next = roster.remove("github").cloned();
        assert_eq!(next.map(|e| e.key), Some("github/hubot".into()));
        assert_eq!(roster.default.as_deref(), Some("github/hubot"));
        assert_eq!(roster.remove("github/monalisa"), None, "not the default");
        assert!(roster.make_default("github/hubot"));
        assert!(!roster.make_default("github/nobody"));
    }

    #[test]
    fn typed_account_names_are_checked() {
        assert_eq!(check_account_name(" ada "), Ok("ada"));
        assert_eq!(check_account_name("  "), Err(AccountNameError::Empty));
        assert_eq!(
            check_account_name("ada\u{1b}[2J"),
            Err(AccountNameError::ControlCharacters)
        );
    }
}
