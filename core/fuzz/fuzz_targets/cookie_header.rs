//! A Cookie header is whatever a client sends: finding the session id never panics, and what it
//! finds is always a well-formed id.
#![no_main]

use libfuzzer_sys::fuzz_target;
use session_core::cookie::find_session_id;
use session_core::id::SessionId;

fuzz_target!(|data: &[u8]| {
    let Ok(header) = std::str::from_utf8(data) else { return };
    for name in ["astro-session", "s", ""] {
        if let Some(id) = find_session_id(header, name) {
            assert_eq!(SessionId::parse(id.as_str()).as_ref(), Some(&id));
        }
    }
});
