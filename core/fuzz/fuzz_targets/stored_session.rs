//! A stored session record may be corrupt, truncated or hostile: decoding it and merging changes
//! into it never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use session_core::session::data::{decode, latest_expiry, merge, Change};

fuzz_target!(|data: &[u8]| {
    let _ = decode(data, 1_700_000_000_000.0);
    let _ = latest_expiry(data);
    let changes = [
        ("a", Change::Delete),
        ("b", Change::Set { handoff: b"[1]".to_vec(), expires: Some(1.0) }),
    ];
    if let Ok(merged) = merge(Some(data), changes.iter().map(|(k, c)| (*k, c)), 1_700_000_000_000.0) {
        decode(&merged.record, 0.0).expect("a merged record decodes");
    }
});
