//! A Cookie header is whatever a client sends: finding the session id never panics, and what it
//! finds is always a well-formed id. With secrets, the signed value is percent-decoded, split and
//! verified as well (`s:<id>.<signature>`), and a value signed here is read back from any header
//! it is put in front of.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use session_core::cookie::{find_session_id, CookieConfig, MAX_SIGNED_ID_BYTES};
use session_core::id::SessionId;
use session_core::signing::Secrets;

const SIGNED_NAME: &str = "connect.sid";

/// A configuration with two secrets (one that signs, one kept for rotation).
static SIGNED: LazyLock<CookieConfig> = LazyLock::new(|| {
    let mut config = CookieConfig::new(SIGNED_NAME, false);
    let secrets = vec!["a secret that signs, long enough to be accepted".to_owned(), "k".repeat(40)];
    config.secrets = Some(Secrets::new(secrets).expect("the secrets are long enough"));
    config
});

static KNOWN_ID: LazyLock<SessionId> =
    LazyLock::new(|| SessionId::parse("0f8fad5b-d9cb-469f-a165-70867728950e").expect("a well-formed id"));

fuzz_target!(|data: &[u8]| {
    let Ok(header) = std::str::from_utf8(data) else { return };
    for name in ["astro-session", "s", ""] {
        if let Some(id) = find_session_id(header, name) {
            assert_eq!(SessionId::parse(id.as_str()).as_ref(), Some(&id));
        }
    }

    if let Some(id) = SIGNED.session_id_in(header) {
        assert_eq!(SessionId::parse(id.as_str()).as_ref(), Some(&id));
    }
    if let Some(signed) = SIGNED.signed_id_in(header) {
        assert!(signed.len() <= MAX_SIGNED_ID_BYTES);
    }

    // The first cookie of the name wins: a genuinely signed one in front is always the one read.
    let value = SIGNED.secrets.as_ref().expect("secrets").cookie_value(&KNOWN_ID);
    let in_front = format!("{SIGNED_NAME}={value}; {header}");
    assert_eq!(SIGNED.session_id_in(&in_front).as_ref(), Some(&*KNOWN_ID));
    assert_eq!(SIGNED.signed_id_in(&in_front).as_deref(), Some(KNOWN_ID.as_str()));
});
