//! The codec against its specification, `core/fixtures/devalue.json` (what the real devalue 5.9
//! writes for each value), plus malformed input, deep nesting and invalid graphs.

use std::collections::HashMap;
use std::sync::OnceLock;

use num_bigint::BigInt;

use super::json::Lexer;
use super::{parse, stringify, LoneSurrogates};
use crate::codec::{
    Array, Graph, JsString, Node, NodeId, Object, RegExp, RegExpFlags, Temporal, TemporalKind, View, ViewKind,
};
use crate::ErrorCode;

struct Fixture {
    name: String,
    devalue: JsString,
}

/// The fixture table, read with our own JSON lexer: serde_json would refuse the lone surrogates
/// of the `devalue` texts.
fn fixtures() -> &'static [Fixture] {
    static TABLE: OnceLock<Vec<Fixture>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut lexer = Lexer::new(include_bytes!("../../../fixtures/devalue.json"));
        let mut table = Vec::new();
        lexer.expect(b'[', "[").unwrap();
        loop {
            lexer.expect(b'{', "{").unwrap();
            let mut fields = HashMap::new();
            loop {
                let key = lexer.string().unwrap().to_string_lossy();
                lexer.expect(b':', ":").unwrap();
                fields.insert(key, lexer.string().unwrap());
                if !lexer.eat(b',') {
                    break;
                }
            }
            lexer.expect(b'}', "}").unwrap();
            table.push(Fixture {
                name: fields["name"].to_string_lossy(),
                devalue: fields.remove("devalue").expect("a devalue field"),
            });
            if !lexer.eat(b',') {
                break;
            }
        }
        lexer.expect(b']', "]").unwrap();
        lexer.finish().unwrap();
        table
    })
}

fn fixture(name: &str) -> &'static JsString {
    &fixtures().iter().find(|f| f.name == name).unwrap_or_else(|| panic!("no fixture {name}")).devalue
}

fn text(graph: &Graph, root: NodeId) -> String {
    stringify(graph, root, LoneSurrogates::Raw).unwrap().to_string_lossy()
}

fn parsed(text: &str) -> (Graph, NodeId) {
    parse(text.as_bytes()).unwrap_or_else(|error| panic!("{text}: {error}"))
}

fn parsed_fixture(name: &str) -> (Graph, NodeId) {
    parse(fixture(name).as_wtf8()).unwrap_or_else(|error| panic!("{name}: {error}"))
}

#[test]
fn fixture_table_is_complete() {
    assert!(fixtures().len() >= 140, "{} fixtures", fixtures().len());
}

#[test]
fn every_fixture_round_trips_exactly() {
    let mut failures = Vec::new();
    for Fixture { name, devalue } in fixtures() {
        let outcome = parse(devalue.as_wtf8()).and_then(|(graph, root)| stringify(&graph, root, LoneSurrogates::Raw));
        match outcome {
            Ok(again) if again == *devalue => {}
            Ok(again) => failures.push(format!("{name}:\n  expected {devalue:?}\n  written  {again:?}")),
            Err(error) => failures.push(format!("{name}: {error}")),
        }
    }
    assert!(failures.is_empty(), "{} fixtures fail:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn escaped_output_is_utf8_and_reads_back_the_same() {
    for Fixture { name, devalue } in fixtures() {
        let (graph, root) = parse(devalue.as_wtf8()).unwrap();
        let escaped = stringify(&graph, root, LoneSurrogates::Escape).unwrap();
        let utf8 = escaped.as_str().unwrap_or_else(|| panic!("{name}: not UTF-8"));
        if devalue.as_str().is_some() {
            assert_eq!(escaped, *devalue, "{name}: escaping changed a text without lone surrogates");
        }
        let (graph, root) = parse(utf8.as_bytes()).unwrap();
        assert_eq!(stringify(&graph, root, LoneSurrogates::Raw).unwrap(), *devalue, "{name}");
    }
}

#[test]
fn lone_surrogates_raw_or_escaped() {
    let mut graph = Graph::new();
    let units = [0xDBFF, 0xDFFF, 0x20, 0xD83D, 0x20, 0x78, 0x20, 0xDE00, 0x20, 0xDC00, 0xD800];
    let root = graph.push(Node::String(JsString::from_utf16(&units)));
    assert_eq!(stringify(&graph, root, LoneSurrogates::Raw).unwrap(), *fixture("string-lone-surrogates-mixed"));
    let escaped = stringify(&graph, root, LoneSurrogates::Escape).unwrap();
    assert_eq!(escaped.as_str(), Some("[\"\u{10FFFF} \\ud83d x \\ude00 \\udc00\\ud800\"]"));
    // devalue 6 writes the escapes; they read back as the lone surrogates.
    let (again, root) = parse(escaped.as_wtf8()).unwrap();
    assert_eq!(again.node(root), graph.node(0));
}

// Hand-built graphs must write what devalue writes for the same JS value.

#[test]
fn shared_references_and_cycles() {
    // (() => { const o = { x: 1 }; return [o, o, { o }]; })()
    let mut g = Graph::new();
    let one = g.push(Node::Number(1.0));
    let o = g.push(Node::Object(Object { null_prototype: false, props: vec![("x".into(), one)] }));
    let wrapper = g.push(Node::Object(Object { null_prototype: false, props: vec![("o".into(), o)] }));
    let root = g.push(Node::Array(Array::Dense(vec![o, o, wrapper])));
    assert_eq!(text(&g, root), fixture("shared-object").to_string_lossy());

    // (() => { const o = { name: "self" }; o.self = o; return o; })()
    let mut g = Graph::new();
    let name = g.push(Node::String("self".into()));
    let o =
        g.push(Node::Object(Object { null_prototype: false, props: vec![("name".into(), name), ("self".into(), 1)] }));
    assert_eq!(text(&g, o), fixture("cycle-object").to_string_lossy());
}

#[test]
fn primitives_share_records_by_value() {
    // [1, 1, 1.5, 1.5, 0, -0, 0, -0], every element its own node.
    let mut g = Graph::new();
    let items = [1.0, 1.0, 1.5, 1.5, 0.0, -0.0, 0.0, -0.0].map(|n| g.push(Node::Number(n))).to_vec();
    let root = g.push(Node::Array(Array::Dense(items)));
    assert_eq!(text(&g, root), fixture("numbers-dedup").to_string_lossy());

    // (() => { const b = Object("a"); return [b, "a", b, Object("a"), Object(1n), 1n]; })()
    let mut g = Graph::new();
    let a1 = g.push(Node::String("a".into()));
    let b = g.push(Node::Boxed(a1));
    let a2 = g.push(Node::String("a".into()));
    let a3 = g.push(Node::String("a".into()));
    let other_b = g.push(Node::Boxed(a3));
    let big1 = g.push(Node::BigInt(BigInt::from(1)));
    let boxed_big = g.push(Node::Boxed(big1));
    let big2 = g.push(Node::BigInt(BigInt::from(1)));
    let root = g.push(Node::Array(Array::Dense(vec![b, a2, b, other_b, boxed_big, big2])));
    assert_eq!(text(&g, root), fixture("boxed-shares-primitive").to_string_lossy());
}

#[test]
fn holes_and_sparse_arrays_follow_the_cost_rule() {
    // `present`: (index, value) of each element.
    let holey = |length: u32, present: &[(u32, u32)]| {
        let mut g = Graph::new();
        let items = present.iter().map(|&(i, value)| (i, g.push(Node::Number(f64::from(value))))).collect();
        let root = g.push(Node::Array(Array::Holey { length, items }));
        text(&g, root)
    };
    assert_eq!(holey(10, &[(0, 0), (3, 3), (5, 5), (9, 9)]), fixture("array-hole-cost-equal").to_string_lossy());
    assert_eq!(holey(10, &[(0, 0), (3, 3), (5, 5)]), fixture("array-hole-cost-one-more").to_string_lossy());
    assert_eq!(holey(3, &[]), fixture("array-all-holes-short").to_string_lossy());
    assert_eq!(holey(u32::MAX, &[]), fixture("array-sparse-max-length").to_string_lossy());
    let even: Vec<(u32, u32)> = (0..42).map(|i| (i * 2, i)).collect();
    assert_eq!(holey(100, &even), fixture("array-hole-cost-100-42").to_string_lossy());
    assert_eq!(holey(100, &even[..41]), fixture("array-hole-cost-100-41").to_string_lossy());
    // A "holey" array with every element present is written dense.
    assert_eq!(holey(2, &[(0, 0), (1, 1)]), "[[1,2],0,1]");
}

#[test]
fn typed_arrays_and_buffers() {
    // new Uint8Array(new Uint8Array([0, 1, …, 9]).buffer, 2, 5)
    let mut g = Graph::new();
    let buffer = g.push(Node::ArrayBuffer((0..10).collect()));
    let view = g.push(Node::View(View { kind: ViewKind::Uint8Array, buffer, byte_offset: 2, length: 5 }));
    assert_eq!(text(&g, view), fixture("typed-array-offset").to_string_lossy());

    // (() => { const b = new ArrayBuffer(8); return [new Uint8Array(b), new Uint16Array(b, 2, 1), new DataView(b), b]; })()
    let mut g = Graph::new();
    let b = g.push(Node::ArrayBuffer(vec![0; 8]));
    let whole = g.push(Node::View(View { kind: ViewKind::Uint8Array, buffer: b, byte_offset: 0, length: 8 }));
    let part = g.push(Node::View(View { kind: ViewKind::Uint16Array, buffer: b, byte_offset: 2, length: 1 }));
    let dv = g.push(Node::View(View { kind: ViewKind::DataView, buffer: b, byte_offset: 0, length: 8 }));
    let root = g.push(Node::Array(Array::Dense(vec![whole, part, dv, b])));
    assert_eq!(text(&g, root), fixture("views-share-buffer").to_string_lossy());
}

#[test]
fn urls_as_astro_writes_them() {
    // (() => { const u = new URL("https://example.com/"); return [u, u]; })()
    let mut g = Graph::new();
    let u = g.push(Node::Url("https://example.com/".into()));
    let root = g.push(Node::Array(Array::Dense(vec![u, u])));
    assert_eq!(text(&g, root), fixture("url-repeated").to_string_lossy());

    // ["https://example.com/", new URL("https://example.com/")]: the href shares the string's record.
    let mut g = Graph::new();
    let s = g.push(Node::String("https://example.com/".into()));
    let u = g.push(Node::Url("https://example.com/".into()));
    let root = g.push(Node::Array(Array::Dense(vec![s, u])));
    assert_eq!(text(&g, root), fixture("url-href-as-string-before").to_string_lossy());
}

#[test]
fn maps_sets_and_other_objects() {
    // new Map([[{ k: 1 }, "object"], [[1], new Set([1])], [new Date(0), /r/]])
    let mut g = Graph::new();
    let one = g.push(Node::Number(1.0));
    let k = g.push(Node::Object(Object { null_prototype: false, props: vec![("k".into(), one)] }));
    let object = g.push(Node::String("object".into()));
    let list = g.push(Node::Array(Array::Dense(vec![one])));
    let set = g.push(Node::Set(vec![one]));
    let date = g.push(Node::Date(0.0));
    let regexp = g.push(Node::RegExp(RegExp { source: "r".into(), flags: RegExpFlags::default() }));
    let map = g.push(Node::Map(vec![(k, object), (list, set), (date, regexp)]));
    assert_eq!(text(&g, map), fixture("map-object-keys").to_string_lossy());

    // Object.assign(Object.create(null), { a: 1, b: "x", 5: "five", "<": [] })
    let mut g = Graph::new();
    let five = g.push(Node::String("five".into()));
    let one = g.push(Node::Number(1.0));
    let x = g.push(Node::String("x".into()));
    let empty = g.push(Node::Array(Array::Dense(vec![])));
    let props = vec![("5".into(), five), ("a".into(), one), ("b".into(), x), ("<".into(), empty)];
    let root = g.push(Node::Object(Object { null_prototype: true, props }));
    assert_eq!(text(&g, root), fixture("object-null-proto").to_string_lossy());

    let mut g = Graph::new();
    let root = g.push(Node::RegExp(RegExp { source: "x".into(), flags: RegExpFlags::from_js("ygd").unwrap() }));
    assert_eq!(text(&g, root), fixture("regexp-flags-order").to_string_lossy());

    for (time, name) in [(f64::NAN, "date-invalid"), (253402300800000.0, "date-year-10000"), (-8.64e15, "date-min")] {
        let mut g = Graph::new();
        let root = g.push(Node::Date(time));
        assert_eq!(text(&g, root), fixture(name).to_string_lossy());
    }

    let mut g = Graph::new();
    let root = g.push(Node::BigInt(BigInt::from(2).pow(100)));
    assert_eq!(text(&g, root), fixture("bigint-huge").to_string_lossy());
}

#[test]
fn temporal_values_as_devalue_writes_them() {
    // devalue's own test cases, one of each kind (the fixtures were written by devalue 5.9 on Node 26).
    for (kind, iso, name) in [
        (TemporalKind::Duration, "P1Y2M3D", "temporal-duration"),
        (TemporalKind::Instant, "1999-09-29T05:30:00Z", "temporal-instant"),
        (TemporalKind::PlainDate, "1999-09-29", "temporal-plain-date"),
        (TemporalKind::PlainTime, "12:34:56", "temporal-plain-time"),
        (TemporalKind::PlainDateTime, "1999-09-29T12:34:56", "temporal-plain-date-time"),
        (TemporalKind::PlainMonthDay, "09-29", "temporal-plain-month-day"),
        (TemporalKind::PlainYearMonth, "1999-09", "temporal-plain-year-month"),
        (TemporalKind::ZonedDateTime, "1999-09-29T12:34:56+02:00[Europe/Rome]", "temporal-zoned-date-time"),
    ] {
        let mut g = Graph::new();
        let root = g.push(Node::Temporal(Temporal::new(kind, iso).unwrap()));
        assert_eq!(text(&g, root), fixture(name).to_string_lossy(), "{kind}");
        let (parsed, parsed_root) = parsed_fixture(name);
        assert_eq!(parsed.node(parsed_root), g.node(root), "{kind}");
    }

    // One value twice is one record; two equal values are two records (they are distinct objects).
    let mut g = Graph::new();
    let instant = g.push(Node::Temporal(Temporal::new(TemporalKind::Instant, "1999-09-29T05:30:00Z").unwrap()));
    let root = g.push(Node::Array(Array::Dense(vec![instant, instant])));
    assert_eq!(text(&g, root), fixture("temporal-instant-repeated").to_string_lossy());
    let mut g = Graph::new();
    let day = || Node::Temporal(Temporal::new(TemporalKind::PlainDate, "2020-01-01").unwrap());
    let first = g.push(day());
    let second = g.push(day());
    let string = g.push(Node::String("2020-01-01".into()));
    let root = g.push(Node::Array(Array::Dense(vec![first, second, string])));
    assert_eq!(text(&g, root), fixture("temporal-equal-but-distinct").to_string_lossy());
    let (parsed, root) = parsed_fixture("temporal-equal-but-distinct");
    let Node::Array(Array::Dense(items)) = parsed.node(root) else { panic!() };
    assert_ne!(items[0], items[1]);
    assert_eq!(parsed.node(items[0]), parsed.node(items[1]));

    // Calendar and time zone annotations are part of the text.
    let (g, root) = parsed_fixture("temporal-zoned-date-time-zones");
    let Node::Array(Array::Dense(items)) = g.node(root) else { panic!() };
    let Node::Temporal(zoned) = g.node(items[2]) else { panic!() };
    assert_eq!(zoned.kind(), TemporalKind::ZonedDateTime);
    assert_eq!(zoned.text(), "2020-01-01T10:00:00-05:00[Etc/GMT+5][u-ca=islamic-umalqura]");
}

#[test]
fn temporal_input_forms_devalue_never_writes_are_kept_as_they_are() {
    // Temporal.from() reads more than toString() writes (lower case, a space, basic format); the
    // text is kept, not rewritten: Temporal on the JS side reads it, or refuses it for that key.
    for stored in [r#"[["Temporal.PlainDateTime","2020-01-01 10:00"]]"#, r#"[["Temporal.Duration","p1y2m3dt4h5m6,5s"]]"#] {
        let (g, root) = parsed(stored);
        assert_eq!(text(&g, root), stored);
    }
    // A text of the grammar that names no real date is for Temporal to refuse.
    let (g, root) = parsed(r#"[["Temporal.PlainDate","2020-02-30"]]"#);
    assert!(matches!(g.node(root), Node::Temporal(t) if t.text() == "2020-02-30"));
}

#[test]
fn specials_alone_and_inside() {
    for (node, name) in [
        (Node::Undefined, "undefined"),
        (Node::Number(f64::NAN), "nan"),
        (Node::Number(f64::INFINITY), "infinity"),
        (Node::Number(f64::NEG_INFINITY), "negative-infinity"),
        (Node::Number(-0.0), "negative-zero"),
        (Node::Number(0.0), "zero"),
    ] {
        let mut g = Graph::new();
        let root = g.push(node);
        assert_eq!(text(&g, root), fixture(name).to_string_lossy());
    }
    let mut g = Graph::new();
    let zero = g.push(Node::Number(-0.0));
    let root = g.push(Node::Boxed(zero));
    assert_eq!(text(&g, root), fixture("boxed-negative-zero").to_string_lossy());
}

// What parse builds.

#[test]
fn parse_builds_the_js_value() {
    let (g, root) = parsed_fixture("array-holes");
    let Node::Array(Array::Holey { length: 6, items }) = g.node(root) else { panic!("{:?}", g.node(root)) };
    assert_eq!(items.iter().map(|&(i, _)| i).collect::<Vec<_>>(), [0, 2, 5]);

    let (g, root) = parsed_fixture("array-sparse-max-length");
    assert_eq!(g.node(root), &Node::Array(Array::Holey { length: u32::MAX, items: vec![] }));

    let (g, root) = parsed_fixture("typed-array-subarray");
    let Node::View(view) = g.node(root) else { panic!() };
    assert_eq!((view.kind, view.byte_offset, view.length), (ViewKind::Int32Array, 4, 2));

    let (g, root) = parsed_fixture("dataview-offset-to-end");
    let Node::View(view) = g.node(root) else { panic!() };
    assert_eq!((view.kind, view.byte_offset, view.length), (ViewKind::DataView, 1, 3));

    let (g, root) = parsed_fixture("url-in-map");
    let Node::Map(entries) = g.node(root) else { panic!() };
    assert_eq!(g.node(entries[0].1), &Node::Url("file:///tmp/x".into()));

    let (g, root) = parsed_fixture("cycle-array");
    assert_eq!(g.node(root), &Node::Array(Array::Dense(vec![1, root])));

    let (g, root) = parsed_fixture("object-key-escapes");
    let Node::Object(object) = g.node(root) else { panic!() };
    assert_eq!(object.props[7].0, JsString::from_utf16(&[0x6C, 0x6F, 0x6E, 0x65, 0xD800]));
    assert_eq!(object.props[3].0, JsString::from("<tag>"));
}

#[test]
fn parse_reads_devalue_forms_it_never_writes_itself() {
    // devalue's own URL form (no reducer), and a Float16Array (Node 20 has none, so no fixture).
    let (g, root) = parsed(r#"[["URL","https://example.com/"]]"#);
    assert_eq!(g.node(root), &Node::Url("https://example.com/".into()));
    assert_eq!(text(&g, root), r#"[["URL",1],"https://example.com/"]"#);
    let (g, root) = parsed(r#"[["Float16Array",1],["ArrayBuffer","AAAAAA=="]]"#);
    let Node::View(view) = g.node(root) else { panic!() };
    assert_eq!((view.kind, view.length), (ViewKind::Float16Array, 2));
    assert_eq!(text(&g, root), r#"[["Float16Array",1],["ArrayBuffer","AAAAAA=="]]"#);
    // An offset without a length: the view runs to the end of the buffer.
    let (g, root) = parsed(r#"[["Uint16Array",1,2],["ArrayBuffer","AAAAAAAA"]]"#);
    let Node::View(view) = g.node(root) else { panic!() };
    assert_eq!((view.byte_offset, view.length), (2, 2));
    // JSON whitespace, escapes in tags, unreferenced records, `-0`, 1.0 as an index.
    let (g, root) = parsed(" [ [ \"\\u0044ate\" , \"1970-01-01T00:00:00.000Z\" ] , \"unused\" , {\"a\":1} ]\n");
    assert_eq!(g.node(root), &Node::Date(0.0));
    let (g, root) = parsed("[[1.0,1e0,-0],-0]");
    assert_eq!(g.node(root), &Node::Array(Array::Dense(vec![1, 1, 0])));
    assert!(matches!(g.node(1), Node::Number(n) if *n == 0.0 && n.is_sign_negative()));
    // A record that is a negative number is that number, not a special.
    let (g, root) = parsed("[-1]");
    assert_eq!(g.node(root), &Node::Number(-1.0));
    // RegExp flags given empty.
    let (g, root) = parsed(r#"[["RegExp","a",""]]"#);
    assert_eq!(text(&g, root), r#"[["RegExp","a"]]"#);
}

#[test]
fn parse_settles_repeats_as_js_does() {
    // JSON.parse: a repeated key keeps its first position and its last value; Object.keys puts
    // array indices first.
    let (g, root) = parsed(r#"[{"b":1,"a":2,"b":3,"1":1,"0":2},"x","y","z"]"#);
    assert_eq!(text(&g, root), r#"[{"0":1,"1":2,"b":3,"a":1},"y","x","z"]"#);
    let (g, root) = parsed(r#"[["null","b",1,"a",1,"b",2],1,2]"#);
    assert_eq!(text(&g, root), r#"[["null","b",1,"a",2],2,1]"#);
    // Many keys take the hashing path.
    let keys: Vec<String> = (0..40).map(|i| format!(r#""k{}":1"#, i % 30)).collect();
    let (g, root) = parsed(&format!("[{{{}}},true]", keys.join(",")));
    let Node::Object(object) = g.node(root) else { panic!() };
    assert_eq!(object.props.len(), 30);
    assert_eq!(object.props[0].0, JsString::from("k0"));
    // Map.set / Set.add: SameValueZero, first position, last value; -0 stored as +0.
    let (g, root) = parsed(r#"[["Map",1,2,1,3,-6,2,4,3,-3,2,-3,3],"k",1,2,0]"#);
    assert_eq!(text(&g, root), r#"[["Map",1,2,3,2,-3,2],"k",2,0]"#);
    let (g, root) = parsed(r#"[["Set",1,2,1,-6,3,-3,-3],"k","k",0]"#);
    assert_eq!(text(&g, root), r#"[["Set",1,2,-3],"k",0]"#);
    // Objects are keys by identity.
    let (g, root) = parsed(r#"[["Set",1,2,1],{},{}]"#);
    assert_eq!(text(&g, root), r#"[["Set",1,2],{},{}]"#);
    // Sparse elements in any order; a repeated index keeps its last value.
    let (g, root) = parsed(r#"[[-7,20,9,1,3,2,9,3],"a","b","c"]"#);
    assert_eq!(g.node(root), &Node::Array(Array::Holey { length: 20, items: vec![(3, 2), (9, 3)] }));
    let (g, root) = parsed(r#"[[-7,2,1,1,0,1],"a"]"#);
    assert_eq!(g.node(root), &Node::Array(Array::Dense(vec![1, 1])));
}

#[test]
fn malformed_input_is_a_parse_error() {
    let deep_open = "[".repeat(100_000);
    let deep_closed = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let cases: &[&str] = &[
        // Not devalue text at all.
        "",
        "   ",
        "[]",
        "{}",
        "null",
        "true",
        r#""x""#,
        "x",
        "\u{feff}[1]",
        // A bare number must be a value special.
        "0",
        "5",
        "-0",
        "-2",
        "-7",
        "-8",
        "1.5",
        "-1.5",
        "-1 -1",
        // JSON syntax.
        "[",
        "[1",
        "[1,]",
        "[,1]",
        "[1 2]",
        "[1]]",
        "[1]x",
        "[01]",
        "[NaN]",
        "[+1]",
        "[.5]",
        "[1.]",
        "['a']",
        "[\"a\nb\"]",
        "[\"\\x\"]",
        "[\"\\ud80\"]",
        "[\"unterminated]",
        "[tru]",
        "[{\"a\" 1}]",
        "[{a:1}]",
        "[{\"a\":1,}]",
        // Records nested deeper than devalue writes them.
        "[[[1]]]",
        "[[[]]]",
        "[{\"a\":[1]}]",
        "[{\"a\":{}}]",
        "[[\"Date\",[1]]]",
        &deep_open,
        &deep_closed,
        // Indices: out of range, not integers, not numbers, misplaced markers.
        "[[1]]",
        "[[0.5]]",
        "[[-8]]",
        "[[1e300]]",
        "[[4294967295]]",
        "[[\"Set\",1e400]]",
        "[[true]]",
        "[[null]]",
        "[[\"Set\",\"0\"]]",
        "[{\"a\":-2}]",
        "[{\"a\":-7}]",
        "[[\"Set\",-2]]",
        "[[0,-7]]",
        "[[\"Map\",-2,-1]]",
        "[{\"a\":\"0\"}]",
        // Prototype pollution and keys.
        "[{\"__proto__\":1},{}]",
        "[{\"\\u005f_proto__\":1},{}]",
        "[[\"null\",\"__proto__\",1],{}]",
        "[[\"null\",1,1],2]",
        "[[\"null\",null,1]]",
        "[[\"null\",\"a\"]]",
        "[[\"null\",\"a\",1,\"b\"],2]",
        // Tags.
        "[[\"Foo\",1]]",
        "[[\"date\",\"\"]]",
        "[[\"URLSearchParams\",1]]",
        "[[\"Symbol\",\"x\"]]",
        "[[\"\"]]",
        "[[\"Int8Array\"]]",
        // Boxed primitives must box a primitive.
        "[[\"Object\",0]]",
        "[[\"Object\",1],{}]",
        "[[\"Object\",1],null]",
        "[[\"Object\",-1]]",
        "[[\"Object\",1],[\"Object\",2],3]",
        "[[\"Object\",1],[1]]",
        "[[\"Object\"]]",
        "[[\"Object\",1,2],3,4]",
        "[[\"Object\",\"a\"]]",
        // Typed arrays and DataView.
        "[[\"Uint8Array\",1],\"x\"]",
        "[[\"Uint8Array\",-1]]",
        "[[\"Uint8Array\",0]]",
        "[[\"Uint8Array\",5]]",
        "[[\"Uint8Array\",1],[\"Uint8Array\",2],[\"ArrayBuffer\",\"\"]]",
        "[[\"Uint8Array\",1,2,3],[\"ArrayBuffer\",\"AAAA\"]]",
        "[[\"Uint16Array\",1],[\"ArrayBuffer\",\"AAAA\"]]",
        "[[\"Uint16Array\",1,1,1],[\"ArrayBuffer\",\"AAAAAA==\"]]",
        "[[\"Uint16Array\",1,2],[\"ArrayBuffer\",\"AAAA\"]]",
        "[[\"Uint8Array\",1,1.5,1],[\"ArrayBuffer\",\"AAAA\"]]",
        "[[\"Uint8Array\",1,-1,1],[\"ArrayBuffer\",\"AAAA\"]]",
        "[[\"DataView\",1,5],[\"ArrayBuffer\",\"AAAA\"]]",
        "[[\"Uint8Array\",1,0,1,5],[\"ArrayBuffer\",\"AAAA\"]]",
        "[[\"Uint8Array\",1,\"0\",1],[\"ArrayBuffer\",\"AAAA\"]]",
        "[[\"Float64Array\",1,0,9007199254740992],[\"ArrayBuffer\",\"\"]]",
        "[[\"Float64Array\",1,0,2305843009213693952],[\"ArrayBuffer\",\"\"]]",
        // ArrayBuffer base64.
        "[[\"ArrayBuffer\",\"A\"]]",
        "[[\"ArrayBuffer\",\"AAA\"]]",
        "[[\"ArrayBuffer\",\"A=AA\"]]",
        "[[\"ArrayBuffer\",\"AA-_\"]]",
        "[[\"ArrayBuffer\",\"AA AA\"]]",
        "[[\"ArrayBuffer\",\"AAA=AAA=\"]]",
        "[[\"ArrayBuffer\",1]]",
        "[[\"ArrayBuffer\"]]",
        "[[\"ArrayBuffer\",\"AB==\"]]",
        // BigInt.
        "[[\"BigInt\",\"\"]]",
        "[[\"BigInt\",\"1.5\"]]",
        "[[\"BigInt\",\"0x10\"]]",
        "[[\"BigInt\",\" 1\"]]",
        "[[\"BigInt\",\"+1\"]]",
        "[[\"BigInt\",\"1_000\"]]",
        "[[\"BigInt\",\"-\"]]",
        "[[\"BigInt\",\"--1\"]]",
        "[[\"BigInt\",1]]",
        "[[\"BigInt\",\"1n\"]]",
        // Dates.
        "[[\"Date\",\"2024-01-01\"]]",
        "[[\"Date\",\"garbage\"]]",
        "[[\"Date\",0]]",
        "[[\"Date\"]]",
        "[[\"Date\",\"\",1]]",
        "[[\"Date\",\"2024-02-30T00:00:00.000Z\"]]",
        "[[\"Date\",\"+275760-09-13T00:00:00.001Z\"]]",
        // RegExps.
        "[[\"RegExp\",\"a\",\"gg\"]]",
        "[[\"RegExp\",\"a\",\"x\"]]",
        "[[\"RegExp\",\"a\",\"uv\"]]",
        "[[\"RegExp\",1]]",
        "[[\"RegExp\"]]",
        "[[\"RegExp\",\"a\",null]]",
        "[[\"RegExp\",\"a\",\"g\",\"i\"]]",
        "[[\"RegExp\",\"a\",\"\\ud800\"]]",
        // Sparse arrays.
        "[[-7]]",
        "[[-7,-1]]",
        "[[-7,4294967296]]",
        "[[-7,1.5]]",
        "[[-7,\"3\"]]",
        "[[-7,3,3,1],0]",
        "[[-7,3,-1,1],0]",
        "[[-7,3,1],0]",
        "[[-7,3,0.5,1],0]",
        "[[-7,3,0,-2]]",
        "[[-7,3,0,-7]]",
        "[[-7,3,0,9]]",
        "[[-7,4294967295,4294967295,0],1]",
        // URLs.
        "[[\"URL\",1],2]",
        "[[\"URL\",0]]",
        "[[\"URL\",5]]",
        "[[\"URL\",-1]]",
        "[[\"URL\"]]",
        "[[\"URL\",true]]",
        "[[\"URL\",1],[\"URL\",\"x\"]]",
        "[[\"URL\",\"a\",\"b\"]]",
        // Temporal values: the text inline (not an index), one string of Temporal's grammar, and
        // nothing after it; only the eight types devalue writes.
        "[[\"Temporal.Instant\"]]",
        "[[\"Temporal.Instant\",1],\"1970-01-01T00:00:00Z\"]",
        "[[\"Temporal.PlainDate\",null]]",
        "[[\"Temporal.PlainDate\",{\"year\":2020}]]",
        "[[\"Temporal.PlainDate\",[\"2020-01-01\"]]]",
        "[[\"Temporal.PlainDate\",\"\"]]",
        "[[\"Temporal.PlainDate\",\"2020-01-01\",\"2020-01-02\"]]",
        "[[\"Temporal.PlainDate\",\"2020-01-01\",1]]",
        "[[\"Temporal.PlainDate\",\"2020-01-01\\n\"]]",
        "[[\"Temporal.PlainDate\",\"\\u003Cscript>\"]]",
        "[[\"Temporal.PlainDate\",\"2020\\\"01\"]]",
        "[[\"Temporal.Instant\",\"2020-01-01T00:00:00\u{2212}05:00\"]]",
        "[[\"Temporal.Instant\",\"2020-01-01T00:00:00Z\\ud800\"]]",
        "[[\"Temporal.Duration\",\"PT1S\\u0000\"]]",
        "[[\"Temporal.Now\",\"2020-01-01\"]]",
        "[[\"Temporal.Calendar\",\"iso8601\"]]",
        "[[\"Temporal.TimeZone\",\"UTC\"]]",
        "[[\"Temporal\",\"2020-01-01\"]]",
        "[[\"Temporal.plainDate\",\"2020-01-01\"]]",
        "[[\"Temporal.PlainDate \",\"2020-01-01\"]]",
        // Maps and sets.
        "[[\"Map\",1],2]",
        "[[\"Map\",1,2,3],4,5,6]",
        "[[\"Set\",[1]]]",
        "[[\"Map\",9,9]]",
    ];
    let mut failures = Vec::new();
    for case in cases {
        match parse(case.as_bytes()) {
            Err(error) if error.code == ErrorCode::Parse => {}
            Err(error) => failures.push(format!("{case:.60}: wrong code {error}")),
            Ok((graph, root)) => failures.push(format!("{case:.60}: accepted as {:?}", graph.node(root))),
        }
    }
    // Bytes that are not UTF-8 / WTF-8.
    for case in
        [&b"[\"\xFF\"]"[..], b"[\"\xC0\xAF\"]", b"[\"\xE2\x28\xA1\"]", b"[\xC3\xA9]", b"[\"\xF8\x88\x80\x80\x80\"]"]
    {
        if !matches!(parse(case), Err(error) if error.code == ErrorCode::Parse) {
            failures.push(format!("{}: accepted", String::from_utf8_lossy(case)));
        }
    }
    assert!(failures.is_empty(), "{} malformed inputs not refused:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn parse_errors_say_what_is_wrong() {
    let message = |text: &str| parse(text.as_bytes()).unwrap_err().message;
    assert!(message(r#"[["Foo",1]]"#).contains(r#"unknown type "Foo""#));
    assert!(message(r#"[["Temporal.Instant","1970-01-01<"]]"#).contains(r#"Temporal.Instant "1970-01-01<" is not Temporal text"#));
    assert!(message(r#"[["Temporal.Now","1970-01-01"]]"#).contains(r#"unknown type "Temporal.Now""#));
    assert!(message(r#"[["Temporal.PlainDate",1]]"#).contains("a string"));
    assert!(message(r#"[{"__proto__":1},2]"#).contains("__proto__"));
    assert!(message("[[5]]").contains("points at record 5, but there are only 1"));
    assert!(message(r#"[["Date","x"]]"#).contains("invalid date"));
    assert!(message(r#"[{"a":-2}]"#).contains("hole"));
}

#[test]
fn specials_parse_alone() {
    for (text, expected) in [
        ("-1", Node::Undefined),
        ("-3", Node::Number(f64::NAN)),
        ("-4", Node::Number(f64::INFINITY)),
        (" -5 ", Node::Number(f64::NEG_INFINITY)),
        ("-6", Node::Number(-0.0)),
    ] {
        let (g, root) = parsed(text);
        assert_eq!(format!("{:?}", g.node(root)), format!("{expected:?}"), "{text}");
        assert_eq!(stringify(&g, root, LoneSurrogates::Raw).unwrap().as_str(), Some(text.trim()));
    }
}

#[test]
fn hostile_sizes_cost_nothing() {
    // The declared length of a sparse array allocates nothing.
    let (g, root) = parsed("[[-7,4294967295,4294967294,1],0]");
    assert_eq!(g.node(root), &Node::Array(Array::Holey { length: u32::MAX, items: vec![(u32::MAX - 1, 1)] }));
    assert_eq!(text(&g, root), "[[-7,4294967295,4294967294,1],0]");
}

#[test]
fn deep_nesting_neither_recurses_nor_overflows() {
    // 100 000 arrays, each inside the next: devalue text is flat, so both ways are loops.
    const DEPTH: u32 = 100_000;
    let mut g = Graph::new();
    let mut inner = g.push(Node::String("leaf".into()));
    for _ in 0..DEPTH {
        inner = g.push(Node::Array(Array::Dense(vec![inner])));
    }
    let written = stringify(&g, inner, LoneSurrogates::Raw).unwrap();
    let text = written.as_str().unwrap();
    assert!(text.starts_with("[[1],[2],[3],"));
    assert!(text.ends_with(&format!("[{DEPTH}],\"leaf\"]")));
    let (again, root) = parse(text.as_bytes()).unwrap();
    assert_eq!(again.len(), DEPTH as usize + 1);
    assert_eq!(stringify(&again, root, LoneSurrogates::Raw).unwrap(), written);

    // The same depth through maps, objects and sets.
    let mut g = Graph::new();
    let mut inner = g.push(Node::Null);
    for i in 0..DEPTH {
        inner = g.push(match i % 3 {
            0 => Node::Map(vec![(inner, inner)]),
            1 => Node::Object(Object { null_prototype: i % 2 == 0, props: vec![("k".into(), inner)] }),
            _ => Node::Set(vec![inner]),
        });
    }
    let written = stringify(&g, inner, LoneSurrogates::Raw).unwrap();
    let (again, root) = parse(written.as_wtf8()).unwrap();
    assert_eq!(stringify(&again, root, LoneSurrogates::Raw).unwrap(), written);
}

#[test]
fn invalid_graphs_are_serialize_errors() {
    let serialize_error = |g: &Graph, root: NodeId| {
        let error = stringify(g, root, LoneSurrogates::Raw).unwrap_err();
        assert_eq!(error.code, ErrorCode::Serialize, "{error}");
        error.message
    };
    let mut g = Graph::new();
    let root = g.push(Node::Array(Array::Dense(vec![7])));
    assert!(serialize_error(&g, root).contains("node 7 does not exist"));
    assert!(serialize_error(&g, 3).contains("node 3 does not exist"));

    let mut g = Graph::new();
    let not_buffer = g.push(Node::Null);
    let root = g.push(Node::View(View { kind: ViewKind::Uint8Array, buffer: not_buffer, byte_offset: 0, length: 0 }));
    assert!(serialize_error(&g, root).contains("ArrayBuffer"));

    let mut g = Graph::new();
    let buffer = g.push(Node::ArrayBuffer(vec![0; 4]));
    for (byte_offset, length) in [(0, 3), (1, 1), (4, 1), (u64::MAX, 1), (0, u64::MAX)] {
        let view = g.push(Node::View(View { kind: ViewKind::Uint16Array, buffer, byte_offset, length }));
        assert!(serialize_error(&g, view).contains("do not fit"), "{byte_offset} {length}");
    }

    let mut g = Graph::new();
    let object = g.push(Node::Object(Object { null_prototype: false, props: vec![] }));
    let undefined = g.push(Node::Undefined);
    for target in [object, undefined, 99] {
        let boxed = g.push(Node::Boxed(target));
        assert!(serialize_error(&g, boxed).contains("boxed primitive"));
    }

    let mut g = Graph::new();
    let one = g.push(Node::Number(1.0));
    for (length, items) in [(2, vec![(1, one), (0, one)]), (2, vec![(0, one), (0, one)]), (2, vec![(2, one)])] {
        let array = g.push(Node::Array(Array::Holey { length, items }));
        assert!(serialize_error(&g, array).contains("ascending"));
    }

    let mut g = Graph::new();
    let one = g.push(Node::Number(1.0));
    for null_prototype in [false, true] {
        let object = g.push(Node::Object(Object { null_prototype, props: vec![("__proto__".into(), one)] }));
        assert!(serialize_error(&g, object).contains("__proto__"));
    }
}
