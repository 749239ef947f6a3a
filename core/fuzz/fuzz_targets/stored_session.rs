//! A stored session record may be corrupt, truncated or hostile: parsing it, reading each of its
//! values within the limits, and merging changes into it never panic, and cost what the limits
//! allow.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use session_core::limits::Limits;
use session_core::record::{latest_expiry, merge, Base, Change, Record};

const NOW: f64 = 1_700_000_000_000.0;

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_size: 64 * 1024, max_depth: 200, max_expansion: 16 };
    if let Ok(record) = Record::parse(data, &limits) {
        // Every value reads, or fails, within one shared budget.
        let mut budget = record.read_budget(&limits);
        let keys: Vec<String> = record.live_keys(NOW).map(str::to_owned).collect();
        for key in &keys {
            if let Some(entry) = record.entry(key, NOW) {
                let _ = record.value_v8(entry, &mut budget);
            }
        }
        // Merging into the parsed record gives what merging into the text gives.
        let from_parsed = merge(Base::Parsed(Arc::new(record)), [("b", &Change::Delete)], NOW, &limits);
        let from_text = merge(Base::Stored(Some(data)), [("b", &Change::Delete)], NOW, &limits);
        assert_eq!(from_parsed.map(|m| m.record).ok(), from_text.map(|m| m.record).ok());
    }
    let _ = latest_expiry(data, &limits);
    let changes = [
        ("a", Change::Delete),
        ("b", Change::Set { handoff: b"[1]".to_vec(), expires: Some(1.0), flash: true }),
    ];
    if let Ok(merged) = merge(Base::Stored(Some(data)), changes.iter().map(|(k, c)| (*k, c)), NOW, &limits) {
        let unbounded = Limits { max_size: usize::MAX, ..limits };
        Record::parse(&merged.record, &unbounded).expect("a merged record parses");
    }
});
