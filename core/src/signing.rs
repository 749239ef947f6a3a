//! Signed session cookies (`secrets`): the cookie holds `s:<id>.<signature>`, the signature being
//! HMAC-SHA256 of the id in base64 without padding — exactly what the `cookie-signature` npm package
//! writes for express-session, so the two read each other's cookies. The first secret signs; every
//! secret verifies, so a secret can be rotated without signing anyone out.
//!
//! Like express-session (through the `cookie` package), the value goes into the cookie
//! percent-encoded as `encodeURIComponent` encodes it (`s%3A…`); both forms are read.

use std::borrow::Cow;

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::Sha256;

use crate::id::SessionId;
use crate::{Error, Result};

/// The shortest secret accepted: 32 bytes, as much entropy as the HMAC's key can use well.
pub const MIN_SECRET_BYTES: usize = 32;

const PREFIX: &str = "s:";

#[derive(Clone, PartialEq, Eq)]
pub struct Secrets(Vec<Vec<u8>>);

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets never go to a log.
        write!(f, "Secrets({} redacted)", self.0.len())
    }
}

impl Secrets {
    /// The secrets, the one that signs first; each at least [`MIN_SECRET_BYTES`] long.
    pub fn new(secrets: Vec<String>) -> Result<Self> {
        if secrets.is_empty() {
            return Err(Error::config("secrets must list at least one secret (the first signs, all verify)"));
        }
        if let Some(index) = secrets.iter().position(|secret| secret.len() < MIN_SECRET_BYTES) {
            return Err(Error::config(format!(
                "secret {index} is shorter than {MIN_SECRET_BYTES} bytes: use a long random string \
                 (e.g. `openssl rand -base64 48`)"
            )));
        }
        Ok(Self(secrets.into_iter().map(String::into_bytes).collect()))
    }

    /// The cookie value for `id`: `s:<id>.<signature>`, percent-encoded.
    pub fn cookie_value(&self, id: &SessionId) -> String {
        let signature = STANDARD_NO_PAD.encode(mac(&self.0[0], id.as_str()).finalize().into_bytes());
        encode_uri_component(&format!("{PREFIX}{id}.{signature}", id = id.as_str()))
    }

    /// The id in a cookie value, if it is signed by one of the secrets and names a well-formed id.
    pub fn verify(&self, cookie_value: &str) -> Option<SessionId> {
        self.unsign(cookie_value).and_then(|id| SessionId::parse(&id))
    }

    /// What a cookie value signs, if one of the secrets signed it — whatever it is: express-session
    /// signs its own ids in the same format, which an application moving from it looks up in its
    /// old store.
    pub fn unsign(&self, cookie_value: &str) -> Option<String> {
        let decoded = percent_decode(cookie_value)?;
        let (id, signature) = decoded.strip_prefix(PREFIX)?.rsplit_once('.')?;
        let signature = STANDARD_NO_PAD.decode(signature).ok()?;
        let signed_by_one = self.0.iter().any(|secret| mac(secret, id).verify_slice(&signature).is_ok());
        signed_by_one.then(|| id.to_owned())
    }
}

fn mac(secret: &[u8], id: &str) -> Hmac<Sha256> {
    // HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(id.as_bytes());
    mac
}

/// What `encodeURIComponent` leaves as it is: ASCII letters and digits and `-_.!~*'()`.
const URI_COMPONENT: &AsciiSet =
    &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'!').remove(b'~').remove(b'*').remove(b'\'').remove(b'(').remove(b')');

/// `encodeURIComponent(text)`.
fn encode_uri_component(text: &str) -> String {
    utf8_percent_encode(text, URI_COMPONENT).to_string()
}

/// `%XX` escapes decoded, as the `cookie` package does before express-session reads the value (a
/// value without them stays as it is); `None` if the result is not UTF-8. A malformed escape is
/// kept as it was: the signature cannot match then.
fn percent_decode(text: &str) -> Option<Cow<'_, str>> {
    percent_decode_str(text).decode_utf8().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";
    const SECRET: &str = "keyboard cat keyboard cat keyboard cat";

    fn secrets(list: &[&str]) -> Secrets {
        Secrets::new(list.iter().map(|s| s.to_string()).collect()).unwrap()
    }

    #[test]
    fn signs_as_cookie_signature_does() {
        // require('cookie-signature').sign(ID, SECRET), then encodeURIComponent('s:' + it), as
        // express-session sets it: computed with Node's crypto for this test.
        let expected = "s%3A0f8fad5b-d9cb-469f-a165-70867728950e.k%2B7uu43lQabkn5KO7xWNd%2BN4Z5885iAtiZKGi7VL0gE";
        let id = SessionId::parse(ID).unwrap();
        assert_eq!(secrets(&[SECRET]).cookie_value(&id), expected);
        assert_eq!(secrets(&[SECRET]).verify(expected), Some(id.clone()));
        // Unencoded, as some clients send it.
        assert_eq!(secrets(&[SECRET]).verify(&percent_decode(expected).unwrap()), Some(id));
    }

    #[test]
    fn the_value_is_encoded_as_encode_uri_component_does() {
        // Node: encodeURIComponent of every printable ASCII character, then of a non-ASCII one.
        let ascii: String = (0x20u8..0x7f).map(char::from).collect();
        assert_eq!(
            encode_uri_component(&ascii),
            "%20!%22%23%24%25%26'()*%2B%2C-.%2F0123456789%3A%3B%3C%3D%3E%3F%40ABCDEFGHIJKLMNOPQRSTUVWXYZ%5B%5C%5D%5E_%60abcdefghijklmnopqrstuvwxyz%7B%7C%7D~"
        );
        assert_eq!(encode_uri_component("é"), "%C3%A9");
        assert_eq!(percent_decode("%C3%A9%3a%3A").as_deref(), Some("é::"));
        assert_eq!(percent_decode("%C3"), None, "not UTF-8");
    }

    #[test]
    fn the_first_secret_signs_and_every_secret_verifies() {
        let id = SessionId::generate();
        let old = secrets(&[SECRET]).cookie_value(&id);
        let rotated = secrets(&["a new secret that is long enough, really", SECRET]);
        assert_eq!(rotated.verify(&old), Some(id.clone()), "cookies signed with the old secret still verify");
        assert_ne!(rotated.cookie_value(&id), old, "new cookies are signed with the new secret");
        assert_eq!(secrets(&["a new secret that is long enough, really"]).verify(&old), None, "a retired secret no longer verifies");
    }

    #[test]
    fn tampered_unsigned_and_malformed_values_are_refused() {
        let signer = secrets(&[SECRET]);
        let id = SessionId::generate();
        let good = percent_decode(&signer.cookie_value(&id)).unwrap().into_owned();
        let other = SessionId::generate();
        let swapped = good.replace(id.as_str(), other.as_str());
        let mut flipped = good.clone().into_bytes();
        let last = flipped.len() - 1;
        flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
        for bad in [
            id.as_str().to_owned(),
            swapped,
            String::from_utf8(flipped).unwrap(),
            format!("s:{}", id.as_str()),
            format!("s:{}.", id.as_str()),
            "s:.".to_owned(),
            "%zz".to_owned(),
            "%".to_owned(),
            "s%3".to_owned(),
            String::new(),
        ] {
            assert_eq!(signer.verify(&bad), None, "{bad:?}");
        }
    }

    #[test]
    fn secrets_must_be_long_and_are_never_shown() {
        assert_eq!(Secrets::new(vec![]).unwrap_err().code, crate::ErrorCode::Config);
        let short = Secrets::new(vec![SECRET.into(), "short".into()]).unwrap_err();
        assert!(short.message.contains("secret 1") && !short.message.contains("short\""), "{}", short.message);
        assert!(!format!("{:?}", secrets(&[SECRET])).contains("keyboard"));
    }
}
