//! Input the reader must refuse with a clear error — never a panic, a stack overflow or an
//! allocation sized by a hostile length — and odd but valid input it must accept.

use super::{fixtures, unhex, v15};
use crate::codec::v8::{read, version, write};
use crate::codec::{Array, Graph, Node, NodeId, TemporalKind};
use crate::{Error, ErrorCode};

fn fails(bytes: &[u8]) -> Error {
    match read(bytes) {
        Ok((graph, root)) => panic!("read {bytes:02x?} as {:?}", graph.node(root)),
        Err(error) => error,
    }
}

/// Reading `ff0f` + `body` fails with an error of `code` whose message contains `says`.
fn refused(body: &str, code: ErrorCode, says: &str) {
    let error = fails(&v15(body));
    assert_eq!(error.code, code, "{body}: {error}");
    assert!(error.message.contains(says), "{body}: {error:?} does not say {says:?}");
}

fn malformed(body: &str, says: &str) {
    refused(body, ErrorCode::Parse, says);
}

#[test]
fn headers() {
    assert_eq!(version(&unhex("ff0f5f")), Some(15));
    assert_eq!(version(&unhex("ff0d")), Some(13));
    assert_eq!(version(&unhex("ff8001")), Some(128));
    assert_eq!(version(&unhex("ff")), None);
    assert_eq!(version(&unhex("")), None);
    assert_eq!(version(&unhex("5f")), None);
    for bytes in ["", "5f", "0f5f"] {
        assert!(fails(&unhex(bytes)).message.contains("no version header"), "{bytes}");
    }
    assert!(fails(&unhex("ff")).message.contains("truncated"));
    for bytes in ["ff0c5f", "ff105f", "ff8001"] {
        let error = fails(&unhex(bytes));
        assert_eq!(error.code, ErrorCode::Parse);
        assert!(error.message.contains("unsupported"), "{error}");
    }
    assert!(fails(&unhex("ff0f")).message.contains("truncated"));
}

#[test]
fn every_truncation_and_corruption_fails_cleanly() {
    for (name, bytes) in fixtures().into_iter().filter(|(_, bytes)| bytes.len() <= 2048) {
        // A value is complete without the trailer after it, and an ArrayBuffer without the view
        // after it; any other cut must fail.
        let has_trailer = ["URL", "Buffer", "null-prototype", "sparse"].iter().any(|kind| name.contains(kind));
        for end in 0..bytes.len() {
            if let Ok((graph, root)) = read(&bytes[..end]) {
                let buffer = matches!(graph.node(root), Node::ArrayBuffer(_));
                assert!(has_trailer || buffer, "{name} cut at {end} was read");
            }
        }
        for i in 0..bytes.len() {
            for byte in [0x00, 0xFF, bytes[i] ^ 0x80, bytes[i].wrapping_add(1)] {
                let mut corrupt = bytes.clone();
                corrupt[i] = byte;
                // Anything but a panic; what reads must write.
                if let Ok((graph, root)) = read(&corrupt) {
                    let _ = write(&graph, root);
                }
            }
        }
    }
}

#[test]
fn hostile_lengths_fail_before_allocating() {
    malformed("22ffffffff0f41", "truncated in a string");
    malformed("63ffffffff0f41", "truncated in a string");
    malformed("41ffffffff0f5f", "truncated in an array");
    malformed("42ffffffff0f00", "truncated in an ArrayBuffer");
    malformed("5afeffffff0f00", "truncated in a BigInt");
    malformed("7effffffff0fffffffff0f", "truncated in an ArrayBuffer");
    malformed("5c8098c9aa05ffffffff0f", "truncated in a URL");
    malformed("49ffffffffff01", "varint longer than 5 bytes");
    // Nesting that declares a huge length at every level: nothing is reserved by those lengths.
    let mut body = Vec::new();
    for _ in 0..100_000 {
        body.extend_from_slice(&[0x41, 0xA0, 0x8D, 0x06]);
    }
    let mut bytes = vec![0xFF, 0x0F];
    bytes.extend_from_slice(&body);
    assert!(fails(&bytes).message.contains("truncated"));
}

#[test]
fn a_sparse_array_of_length_2_pow_32_minus_1_is_small() {
    let (graph, root) = read(&v15("61ffffffff0f 4900 4902 4001ffffffff0f")).unwrap();
    assert_eq!(graph.len(), 2);
    let Node::Array(Array::Holey { length, items }) = graph.node(root) else { panic!("not holey") };
    assert_eq!((*length, items.len()), (u32::MAX, 1));
}

#[test]
fn strings() {
    malformed("630361626364", "odd byte length");
    let (graph, root) = read(&v15("5303e282ac")).unwrap();
    assert_eq!(graph.node(root), &Node::String("\u{20AC}".into()));
    // Invalid UTF-8 is replaced, as V8 does.
    let (graph, root) = read(&v15("5302ff61")).unwrap();
    assert_eq!(graph.node(root), &Node::String("\u{FFFD}a".into()));
}

#[test]
fn misplaced_tags() {
    malformed("58", "unexpected tag 'X'");
    malformed("2d", "hole outside an array");
    malformed("5642000000", "view without its ArrayBuffer");
    malformed("7b00", "unexpected tag '{'");
    malformed("6f7b", "truncated");
    malformed("6f", "truncated in a container");
    malformed("41025f", "truncated");
    malformed("3f05", "truncated");
    malformed("6f3f017b00", "tag '{' at byte 3 is not a string or number");
    malformed("52490200", "in a RegExp pattern");
    malformed("736f7b00", "in a String object");
}

#[test]
fn counts_must_match() {
    malformed("6f22016149027b02", "property count");
    malformed("41014902240101", "property count or length");
    malformed("41014902240002", "property count or length");
    malformed("6101490049024001 02", "property count or length");
    malformed("3b490249043a03", "Map's size");
    malformed("3b49023a01", "unexpected tag ':'");
    malformed("2749022c02", "Set's size");
}

#[test]
fn keys() {
    malformed("6f 220161 4902 220161 4904 7b02", "\"a\" given twice");
    malformed("6f 4902 4902 220131 4904 7b02", "\"1\" given twice");
    // More keys than are compared pairwise.
    let mut body = String::from("6f");
    for key in b"abcdefghijka" {
        body += &format!("2201{key:02x}5f");
    }
    malformed(&(body + "7b0c"), "\"a\" given twice");
    malformed("6f6f7b0049027b01", "not a string or number");
    malformed("6f5e0049027b01", "not a string or number");
    malformed("61024900490249004904400202", "element 0 given twice");
    malformed("4101490249004904240101", "element 0 given twice");
    // Numbers are keys by their string form; array indices come first, ascending.
    let (graph, root) = read(&v15(concat!(
        "6f",
        "220162 4902",             // "b": 1
        "4e0000000000000080 4904", // -0: 2
        "4e000000000000f83f 4906", // 1.5: 3
        "55ffffffff0f 4908",       // 4294967295: 4
        "4906 490a",               // 3: 5
        "7b05"
    )))
    .unwrap();
    let Node::Object(object) = graph.node(root) else { panic!("not an object") };
    let keys: Vec<String> = object.props.iter().map(|(k, _)| k.to_string()).collect();
    assert_eq!(keys, ["0", "3", "b", "1.5", "4294967295"]);
}

#[test]
fn unsupported_values_name_themselves() {
    refused("5c01", ErrorCode::Serialize, "host object");
    refused("722e", ErrorCode::Serialize, "Error object");
    refused("7500", ErrorCode::Serialize, "SharedArrayBuffer");
    refused("7400", ErrorCode::Serialize, "transferred ArrayBuffer");
    refused("7700", ErrorCode::Serialize, "WebAssembly.Module");
    refused("6d00", ErrorCode::Serialize, "WebAssembly.Memory");
    refused("7000", ErrorCode::Serialize, "shared object");
    refused("6f220161722e7b01", ErrorCode::Serialize, "Error object");
}

#[test]
fn host_objects_other_than_ours_are_refused() {
    // Ours: URL, URLSearchParams, the eight Temporal kinds (PlainTime here).
    let (graph, root) = read(&v15("5c839a95a205 0531323a3030")).unwrap();
    assert!(matches!(graph.node(root), Node::Temporal(t) if t.kind() == TemporalKind::PlainTime && t.text() == "12:00"));
    // Types beside them: before URL, between, after ZonedDateTime.
    for host_type in ["ff97c9aa05", "8298c9aa05", "ff9995a205", "889a95a205", "ffffffff0f"] {
        refused(&format!("5c{host_type} 0131"), ErrorCode::Serialize, "host object");
    }
    // The text: Temporal's grammar, UTF-8, within the input.
    malformed("5c829a95a205 0a 313939392d30392d3239 5f", "it is not a dense array");
    malformed("5c829a95a205 0b 313939392d30392d3239", "truncated");
    malformed("5c829a95a205 00", "Temporal.PlainDate \"\" is not Temporal text");
    malformed("5c829a95a205 03 3c623e", "Temporal.PlainDate \"<b>\" is not Temporal text");
    malformed("5c819a95a205 03 e28892", "Temporal.Instant \"\u{2212}\" is not Temporal text");
    malformed("5c819a95a205 02 c328", "Temporal.Instant whose text is not UTF-8");
    malformed("5c8098c9aa05 01 ff", "a URL whose text is not UTF-8");
}

#[test]
fn views() {
    malformed("420100565a000100", "unknown view type 90");
    malformed("4201005642000200", "out of the bounds");
    malformed("4204000000005677010200", "misaligned Int16Array");
    malformed("4204000000005677000100", "misaligned Int16Array");
    malformed("4201005642000102", "flags do not match");
    malformed("4201005642000101", "flags do not match");
    malformed("7e010200 5642000100", "flags do not match");
    malformed("7e020100 00", "longer than its maximum");
    // A view over a resizable buffer must say it is backed by one; length-tracking ones span the
    // rest of the buffer (V8 writes their length as 0).
    let (graph, root) = read(&v15("7e0408000000000056770200 03")).unwrap();
    assert!(matches!(graph.node(root), Node::View(view) if view.byte_offset == 2 && view.length == 1));
    // A Float16Array, as newer V8 writes it, is read.
    let (graph, root) = read(&v15("4204000000005668000400")).unwrap();
    assert!(matches!(graph.node(root), Node::View(view) if view.length == 2));
}

#[test]
fn version_13_views_with_or_without_flags() {
    // The last needs its flags, which V8 once wrote in version 13 (crbug.com/1284506).
    for bytes in ["ff0d42010056420001", "ff0e4201005642000100", "ff0d7e0101005642000102"] {
        let (graph, root) = read(&unhex(bytes)).unwrap_or_else(|e| panic!("{bytes}: {e}"));
        assert!(matches!(graph.node(root), Node::View(_)), "{bytes}");
    }
    // Version 14 requires the flags.
    assert!(read(&unhex("ff0e42010056420001")).is_err());
}

#[test]
fn regexps_and_dates() {
    malformed("5222016140", "flag bits 0x40");
    malformed("522201618004", "flag bits 0x200");
    malformed("522201619002", "both the u and v flags");
    // Dates are clipped as `new Date(t)` clips them.
    let (graph, root) = read(&v15("44000000000000f83f")).unwrap();
    assert_eq!(graph.node(root), &Node::Date(1.0));
    let (graph, root) = read(&v15("440080e03779c34143")).unwrap(); // 1e16
    assert!(matches!(graph.node(root), Node::Date(t) if t.is_nan()));
}

#[test]
fn bigints() {
    // Any byte length is read; a zero magnitude is 0n whatever its sign.
    let (graph, root) = read(&v15("5a0701ff00")).unwrap();
    assert_eq!(graph.node(root), &Node::BigInt((-0xFF01).into()));
    let (graph, root) = read(&v15("5a1100000000000000 00")).unwrap();
    assert_eq!(graph.node(root), &Node::BigInt(0.into()));
}

#[test]
fn trailers() {
    // The main value `{}` (object 0), then the trailer: a dense array of [kind, ^object, payload].
    let with = |trailer: &str| format!("6f7b00 {trailer}");
    let url = "4902 5e00 22087a3a2f2f612e622f"; // URL, ^0, "z://a.b/"
    let (graph, root) = read(&v15(&with(&format!("4103 {url} 240003")))).unwrap();
    assert_eq!(graph.node(root), &Node::Url("z://a.b/".into()));
    let (graph, root) = read(&v15(&with("4103 4904 5e00 2203613d31 240003"))).unwrap();
    assert_eq!(graph.node(root), &Node::UrlSearchParams("a=1".into()));
    let (graph, root) = read(&v15(&with("4103 4908 5e00 4900 240003"))).unwrap();
    assert!(matches!(graph.node(root), Node::Object(object) if object.null_prototype));
    let (graph, root) = read(&v15("6100 400000 4103 490a 5e00 4914 240003")).unwrap();
    assert_eq!(graph.node(root), &Node::Array(Array::Holey { length: 10, items: vec![] }));

    malformed(&with("4102 4902 5e00 240002"), "not a multiple of 3");
    malformed(&with("4103 4902 5e00"), "truncated");
    malformed(&with(&format!("4103 {url} 240003 00")), "bytes left after it: 1");
    malformed(&with(&format!("4103 {url} 240003 5f")), "bytes left after it: 1");
    malformed(&with(&format!("4106 {url} {url} 240006")), "an object listed twice");
    malformed(&with("4103 4902 6f7b00 2201 61 240003"), "not a reference");
    malformed(&with("4103 4902 5e01 2201 61 240003"), "refers to object 1, which is not in the value");
    malformed(&with("4103 4902 5e00 4902 240003"), "the trailer");
    malformed(&with("6100 400000"), "it is not a dense array");
    malformed(&with("4100 400000"), "does not end as a plain dense array");
    malformed(&with("4103 4914 5e00 4900 240003"), "unknown entry kind 10");
    malformed(&with("4103 4e000000000000e03f 5e00 4900 240003"), "0.5 is not an entry kind");
    malformed(&with("4103 4906 5e00 4900 240003"), "a Buffer entry points at an object, not a Uint8Array");
    malformed(&with("4106 4908 5e00 4900 4908 5e00 4900 240003"), "null-prototype object listed twice");
    malformed(&with("4103 4908 5e00 4902 240003"), "a payload of 1 where 0 belongs");
    malformed("4100240000 4103 4908 5e00 4900 240003", "a null-prototype entry points at an array, not an object");
    malformed("4102 4902 4904 240002 4103 490a 5e00 4902 240003", "an array length shorter than the array");
    malformed(&with("4103 490a 5e00 4902 240003"), "an array length entry points at an object, not an array");
    malformed("4100240000 4103 490a 5e00 4e000000000000e03f 240003", "0.5 is not an array length");
    malformed("410242010056620001005e01240002 4103 4906 5e02 4900 240003", "a Buffer entry points at a view, not a Uint8Array");
    malformed("41024201005642000100 5e02 240002 4106 4906 5e02 4900 4906 5e02 4900 240006", "a Buffer listed twice");
}

fn nest(open: &str, close: &str, leaf: &str, depth: usize) -> Vec<u8> {
    v15(&format!("{}{leaf}{}", open.repeat(depth), close.repeat(depth)))
}

#[test]
fn nesting_100_000_deep_reads_and_writes() {
    for (open, close) in
        [("4101", "240001"), ("61014900", "400101"), ("6f220178", "7b01"), ("3b", "5f3a02"), ("27", "2c01")]
    {
        let bytes = nest(open, close, "5f", 100_000);
        let (graph, root) = read(&bytes).unwrap_or_else(|e| panic!("{open}: {e}"));
        let written = write(&graph, root).unwrap();
        let (again, again_root) = read(&written).unwrap();
        super::same(&graph, root, &again, again_root).unwrap();
        assert_depth(&graph, root, 100_000);
    }
}

fn assert_depth(graph: &Graph, root: NodeId, depth: usize) {
    let mut id = root;
    for _ in 0..depth {
        let mut children = Vec::new();
        graph.node(id).for_each_child(|child| children.push(child));
        id = *children.first().expect("a child");
    }
    assert_eq!(graph.node(id), &Node::Undefined);
}
