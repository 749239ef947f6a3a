//! A session Astro stored with Temporal values (devalue 5.9 on Node 26), as the core reads and
//! writes it: each value crosses to JS on its own (a Temporal value as a host object that only a
//! JS runtime with Temporal can rebuild), and a merge writes the Temporal values back as stored,
//! so a request on a Node.js without Temporal neither loses nor changes them.

use std::sync::Arc;

use session_core::codec::{v8, Node, TemporalKind};
use session_core::limits::Limits;
use session_core::record::{merge, Base, Change, Record};

/// The `temporal-astro-session` fixture of `core/fixtures/devalue.json`.
const STORED: &str = concat!(
    r#"[["Map",1,2,7,8,12,13],"cart",{"data":3,"expires":-1},[4],{"id":5,"qty":6},1,2,"#,
    r#""booking",{"data":9,"expires":-1},{"day":10,"at":11},["Temporal.PlainDate","2025-06-01"],"#,
    r#"["Temporal.ZonedDateTime","2025-06-01T09:30:00+02:00[Europe/Paris]"],"user",{"data":14,"expires":-1},"Ada"]"#
);

#[test]
fn the_record_is_the_fixture_devalue_wrote() {
    let fixtures = include_str!("../fixtures/devalue.json");
    let as_json_string = STORED.replace('"', "\\\"");
    assert!(fixtures.contains(&format!("\"devalue\": \"{as_json_string}\"")), "STORED is not the fixture any more");
}

#[test]
fn each_value_crosses_on_its_own_temporal_values_as_host_objects() {
    let limits = Limits::default();
    let record = Record::parse(STORED.as_bytes(), &limits).unwrap();
    assert_eq!(record.live_keys(0.0).collect::<Vec<_>>(), ["cart", "booking", "user"]);

    let mut budget = record.read_budget(&limits);
    let booking = record.value_v8(record.entry("booking", 0.0).unwrap(), &mut budget).unwrap();
    let (graph, root) = v8::read(&booking).unwrap();
    let Node::Object(object) = graph.node(root) else { panic!("{:?}", graph.node(root)) };
    let temporal: Vec<(String, TemporalKind, &str)> = object
        .props
        .iter()
        .map(|(key, id)| match graph.node(*id) {
            Node::Temporal(value) => (key.to_string_lossy(), value.kind(), value.text()),
            other => panic!("{key:?}: {other:?}"),
        })
        .collect();
    assert_eq!(
        temporal,
        [
            ("day".to_owned(), TemporalKind::PlainDate, "2025-06-01"),
            ("at".to_owned(), TemporalKind::ZonedDateTime, "2025-06-01T09:30:00+02:00[Europe/Paris]"),
        ]
    );
    // The host objects: tag, type (TEMPORAL_HOST_OBJECT_TYPE + kind) — what lib/handoff.js reads.
    let plain_date_type = v8::TEMPORAL_HOST_OBJECT_TYPE + TemporalKind::PlainDate.index();
    assert_eq!(plain_date_type, 0x5445_4d02);
    assert!(booking.windows(6).any(|w| w == [b'\\', 0x82, 0x9a, 0x95, 0xa2, 0x05]), "{booking:02x?}");

    // The other values hold no Temporal value and cross as before.
    let user = record.value_v8(record.entry("user", 0.0).unwrap(), &mut budget).unwrap();
    let (graph, root) = v8::read(&user).unwrap();
    assert_eq!(graph.node(root), &Node::String("Ada".into()));
}

#[test]
fn a_merge_writes_the_temporal_values_back_as_stored() {
    let limits = Limits::default();
    let record = Arc::new(Record::parse(STORED.as_bytes(), &limits).unwrap());
    let seen = Change::set_number(1.0);
    let merged = merge(Base::Parsed(record), [("seen", &seen)], 0.0, &limits).unwrap();
    let expected = STORED.replacen(r#"["Map",1,2,7,8,12,13]"#, r#"["Map",1,2,7,8,12,13,15,16]"#, 1);
    let expected = format!(r#"{},"seen",{{"data":5,"expires":-1}}]"#, &expected[..expected.len() - 1]);
    assert_eq!(String::from_utf8(merged.record).unwrap(), expected);

    // And from the stored bytes, as a commit that found the record changed does.
    let cart = Change::Delete;
    let merged = merge(Base::Stored(Some(STORED.as_bytes())), [("cart", &cart)], 0.0, &limits).unwrap();
    let text = String::from_utf8(merged.record).unwrap();
    assert!(text.contains(r#"["Temporal.PlainDate","2025-06-01"]"#), "{text}");
    assert!(text.contains(r#"["Temporal.ZonedDateTime","2025-06-01T09:30:00+02:00[Europe/Paris]"]"#), "{text}");
    assert!(!text.contains("cart"), "{text}");
}
