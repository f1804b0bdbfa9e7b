//! What a person pastes into a service's setup, checked against the formats
//! that service documents — before anything is saved, in a plain sentence. The
//! window checks each field as it is typed; `authdeck config set` checks too.
//!
//! A check is advice, not a gate: formats change, so a value that does not
//! look right can still be saved. What is caught most is a value in the wrong
//! field (the client secret pasted as the client ID) and stray spaces.

use crate::provider::{Provider, ValueFormat};

/// Which setup field a value is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    ClientId,
    ClientSecret,
    AccountId,
}

impl Field {
    pub fn from_key(key: &str) -> Option<Field> {
        match key {
            "client_id" => Some(Field::ClientId),
            "client_secret" => Some(Field::ClientSecret),
            "account_id" => Some(Field::AccountId),
            _ => None,
        }
    }
}

/// `None` when `value` looks right for `field` of `provider` (or nothing is
/// known about its format); else one plain sentence saying what is off.
pub fn check(provider: &Provider, field: Field, value: &str) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value.chars().any(char::is_whitespace) {
        return Some(
            "There is a space inside this value. Copy it again, without spaces or line breaks."
                .to_owned(),
        );
    }
    let name = &provider.name;
    let id_format = provider.client_id_format.as_ref();
    let secret_format = provider.client_secret_format.as_ref();
    match field {
        Field::ClientId => {
            if let Some(format) = id_format {
                if format.matches(value) {
                    return None;
                }
            }
            if secret_format.is_some_and(|f| f.matches(value)) {
                return Some(format!(
                    "This looks like {name}'s client secret, not the client ID. Put it in the \
                     Client secret field, and copy the client ID into this one."
                ));
            }
            id_format.map(|format| {
                format!(
                    "{name} client IDs {}, and this one does not. Check that you copied the \
                     client ID.",
                    format.described()
                )
            })
        }
        Field::ClientSecret => {
            if secret_format.is_some_and(|f| f.matches(value)) {
                return None;
            }
            if id_format.is_some_and(|f| f.matches(value)) {
                return Some(format!(
                    "This looks like {name}'s client ID, not the client secret. Put it in the \
                     Client ID field, and copy the client secret into this one."
                ));
            }
            secret_format.map(|format| {
                format!(
                    "{name} client secrets {}, and this one does not. Check that you copied the \
                     client secret.",
                    format.described()
                )
            })
        }
        Field::AccountId => None,
    }
}

impl ValueFormat {
    /// Whether `value` has this format.
    pub fn matches(&self, value: &str) -> bool {
        match self {
            ValueFormat::EndsWith(suffix) => value.len() > suffix.len() && value.ends_with(suffix),
            ValueFormat::StartsWith(prefix) => {
                value.len() > prefix.len() && value.starts_with(prefix)
            }
            ValueFormat::Guid => is_guid(value),
            ValueFormat::Hex(len) => {
                value.len() == *len && value.bytes().all(|b| b.is_ascii_hexdigit())
            }
            ValueFormat::Contains(part) => value.contains(part.as_str()),
            ValueFormat::Word { min, max } => {
                (*min..=*max).contains(&value.len())
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            }
        }
    }

    /// How the format reads in a sentence: "end in …", "look like …".
    pub fn described(&self) -> String {
        match self {
            ValueFormat::EndsWith(suffix) => format!("end in {suffix}"),
            ValueFormat::StartsWith(prefix) => format!("start with {prefix}"),
            ValueFormat::Guid => {
                "look like 1a2b3c4d-0000-1111-2222-333344445555 (groups of letters and digits \
                 joined by dashes)"
                    .to_owned()
            }
            ValueFormat::Hex(len) => format!("are {len} letters a-f and digits"),
            ValueFormat::Contains(part) => format!("contain {part}"),
            ValueFormat::Word { min, max } if min == max => {
                format!("are {min} letters and digits")
            }
            ValueFormat::Word { min, max } => format!("are {min} to {max} letters and digits"),
        }
    }
}

/// 8-4-4-4-12 hexadecimal digits, as Microsoft and Notion write client IDs.
fn is_guid(value: &str) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    let lengths = [8, 4, 4, 4, 12];
    groups.len() == lengths.len()
        && groups
            .iter()
            .zip(lengths)
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(id: &str) -> Provider {
        crate::provider::builtin(id)
    }

    /// Each service: a good client ID, a bad one, and its secret in the ID field.
    #[test]
    fn every_builtin_checks_a_good_and_a_bad_client_id() {
        let cases = [
            (
                "google",
                "1234567890-abcdefghijklmnop.apps.googleusercontent.com",
                "1234567890-abcdefghijklmnop",
                Some("GOCSPX-1a2B3c4D5e6F7g8H9i0JkLmNoPq"),
            ),
            (
                "microsoft",
                "4a1aa1d5-c567-49d0-ad0b-cd957a47f842",
                "4a1aa1d5c56749d0",
                Some("abC8Q~dEfGhIjKlMnOpQrStUvWxYz0123456789"),
            ),
            (
                "github",
                "Ov23liAbCdEfGhIjKlMn",
                "github-app",
                Some("0123456789abcdef0123456789abcdef01234567"),
            ),
            ("dropbox", "a1b2c3d4e5f6g7h", "a1b2-c3d4", None),
            ("zoom", "AbCdEfGhIjKlMnOpQrStUv", "Ab", None),
            (
                "notion",
                "1a2b3c4d-0000-1111-2222-333344445555",
                "my-integration",
                Some("secret_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg"),
            ),
        ];
        for (id, good, bad, secret) in cases {
            let p = provider(id);
            assert_eq!(check(&p, Field::ClientId, good), None, "{id}: {good}");
            let said = check(&p, Field::ClientId, bad).unwrap_or_else(|| panic!("{id}: {bad}"));
            assert!(said.contains(&p.name) && said.ends_with('.'), "{said}");
            if let Some(secret) = secret {
                let said = check(&p, Field::ClientId, secret).expect("secret in the id field");
                assert!(
                    said.contains("client secret, not the client ID"),
                    "{id}: {said}"
                );
                assert_eq!(check(&p, Field::ClientSecret, secret), None, "{id}");
                let swapped = check(&p, Field::ClientSecret, good).expect("id in the secret field");
                assert!(
                    swapped.contains("client ID, not the client secret"),
                    "{swapped}"
                );
            }
        }
    }

    #[test]
    fn google_ids_end_in_the_google_domain() {
        let said = check(&provider("google"), Field::ClientId, "abc").expect("bad");
        assert_eq!(
            said,
            "Google client IDs end in .apps.googleusercontent.com, and this one does not. \
             Check that you copied the client ID."
        );
    }

    #[test]
    fn spaces_and_empty_values() {
        let p = provider("google");
        assert!(
            check(&p, Field::ClientId, "123 .apps.googleusercontent.com")
                .expect("space")
                .contains("space")
        );
        assert_eq!(check(&p, Field::ClientId, "   "), None);
        // A value around spaces is trimmed, as save_client trims it.
        assert_eq!(
            check(&p, Field::ClientId, " 1-a.apps.googleusercontent.com \n"),
            None
        );
    }

    #[test]
    fn a_service_without_known_formats_takes_anything() {
        let p = Provider::new("corp", "Corp");
        assert_eq!(check(&p, Field::ClientId, "whatever-it-is"), None);
        assert_eq!(check(&p, Field::ClientSecret, "s"), None);
    }
}
