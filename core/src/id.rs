//! Session ids: random version-4 UUIDs, as Astro uses (`crypto.randomUUID()`).
//!
//! An id is only ever built by [`SessionId::generate`] or by [`SessionId::parse`], which accepts
//! exactly the canonical lowercase form. Anything a client sends that is not such an id is never
//! used as a storage key — and so never as a file name or a Redis key.

use std::fmt;

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(String);

impl SessionId {
    /// A fresh id: 122 random bits from the OS CSPRNG.
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().hyphenated().to_string())
    }

    /// `text` as an id if it is a canonical, lowercase, version-4 UUID with the RFC 4122 variant
    /// (`xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx`).
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        if bytes.len() != 36 {
            return None;
        }
        let well_formed = bytes.iter().enumerate().all(|(i, &b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            14 => b == b'4',
            19 => matches!(b, b'8' | b'9' | b'a' | b'b'),
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        });
        well_formed.then(|| Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A session id is a credential: whoever holds it holds the session. So it is never shown — not in
/// a message, not in a log line, not in a panic — only handed to what stores and sends it, through
/// [`SessionId::as_str`].
impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<session id>")
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_valid_and_distinct() {
        let a = SessionId::generate();
        let b = SessionId::generate();
        assert_ne!(a, b);
        assert_eq!(SessionId::parse(a.as_str()), Some(a));
    }

    #[test]
    fn an_id_is_never_shown() {
        let id = SessionId::generate();
        for shown in [format!("{id}"), format!("{id:?}"), format!("{:?}", Some(&id))] {
            assert!(!shown.contains(id.as_str()), "{shown}");
        }
    }

    #[test]
    fn only_canonical_v4_ids_parse() {
        assert!(SessionId::parse("0f8fad5b-d9cb-469f-a165-70867728950e").is_some());
        for bad in [
            "",
            "0F8FAD5B-D9CB-469F-A165-70867728950E", // uppercase
            "0f8fad5b-d9cb-169f-a165-70867728950e", // version 1
            "0f8fad5b-d9cb-469f-c165-70867728950e", // wrong variant
            "0f8fad5bd9cb469fa16570867728950e",     // no hyphens
            "0f8fad5b-d9cb-469f-a165-70867728950e0",
            "../../etc/passwd-aaaa-4aaa-8aaa-aaaaaaa",
            "0f8fad5b-d9cb-469f-a165-7086772895\0e",
            "{0f8fad5b-d9cb-469f-a165-70867728950e}",
        ] {
            assert!(SessionId::parse(bad).is_none(), "{bad:?} must not parse");
        }
    }
}
