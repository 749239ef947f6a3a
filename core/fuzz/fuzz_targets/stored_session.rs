//! A stored session record may be corrupt, truncated or hostile: decoding it and merging changes
//! into it never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use session_core::session::data::{decode, latest_expiry, merge, Base, Change};

fuzz_target!(|data: &[u8]| {
    if let Ok(decoded) = decode(data, 1_700_000_000_000.0) {
        // Merging into the parsed record gives what merging into the text gives.
        let from_parsed = merge(Base::Parsed(decoded.parsed), [("b", &Change::Delete)], 1_700_000_000_000.0);
        let from_text = merge(Base::Record(Some(data)), [("b", &Change::Delete)], 1_700_000_000_000.0);
        assert_eq!(from_parsed.map(|m| m.record).ok(), from_text.map(|m| m.record).ok());
    }
    let _ = latest_expiry(data);
    let changes = [
        ("a", Change::Delete),
        ("b", Change::Set { handoff: b"[1]".to_vec(), expires: Some(1.0) }),
    ];
    if let Ok(merged) = merge(Base::Record(Some(data)), changes.iter().map(|(k, c)| (*k, c)), 1_700_000_000_000.0) {
        decode(&merged.record, 0.0).expect("a merged record decodes");
    }
});
