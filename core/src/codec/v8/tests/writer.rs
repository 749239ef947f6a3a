//! The writer on graphs that did not come from V8: exact bytes where V8's are known, choices V8
//! never faces, and graphs it must refuse.

use super::{hex, same, v15};
use crate::codec::v8::{read, write, TEMPORAL_HOST_OBJECT_TYPE};
use crate::codec::{Array, Graph, JsString, Node, NodeId, Object, Temporal, TemporalKind, View, ViewKind};
use crate::ErrorCode;

fn written(graph: &Graph, root: NodeId) -> String {
    let bytes = write(graph, root).unwrap_or_else(|e| panic!("{e}"));
    let (again, again_root) = read(&bytes).unwrap_or_else(|e| panic!("{}: {e}", hex(&bytes)));
    same(graph, root, &again, again_root).unwrap();
    hex(&bytes[2..])
}

fn single(node: Node) -> String {
    let mut graph = Graph::new();
    let root = graph.push(node);
    written(&graph, root)
}

fn array_of(nodes: Vec<Node>) -> (Graph, NodeId) {
    let mut graph = Graph::new();
    let items = nodes.into_iter().map(|node| graph.push(node)).collect();
    let root = graph.push(Node::Array(Array::Dense(items)));
    (graph, root)
}

#[test]
fn numbers_are_int32_unless_they_cannot_be() {
    assert_eq!(single(Node::Number(0.0)), "4900");
    assert_eq!(single(Node::Number(-1.0)), "4901");
    assert_eq!(single(Node::Number(2147483647.0)), "49feffffff0f");
    assert_eq!(single(Node::Number(-2147483648.0)), "49ffffffff0f");
    assert_eq!(single(Node::Number(-0.0)), "4e0000000000000080");
    assert_eq!(single(Node::Number(2147483648.0)), "4e000000000000e041");
    assert_eq!(single(Node::Number(0.5)), "4e000000000000e03f");
}

#[test]
fn strings_are_latin1_or_aligned_utf16() {
    assert_eq!(single(Node::String("caf\u{e9}".into())), "220463616 6e9".replace(' ', ""));
    // As Node writes `['€', 'a€']` and `/€\//` (padding before the second, none before the first).
    let (graph, root) = array_of(vec![Node::String("\u{20AC}".into()), Node::String("a\u{20AC}".into())]);
    assert_eq!(written(&graph, root), "41026302ac2063046100ac20240002");
    assert_eq!(single(Node::String(JsString::from_utf16(&[0xDC00, 0xD800]))), "630400dc00d8");
    assert_eq!(single(Node::String("\u{1F600}".into())), "63043dd800de");
}

#[test]
fn object_keys_are_written_as_v8_writes_them() {
    let mut graph = Graph::new();
    let value = graph.push(Node::Null);
    let props = ["1", "4294967294", "a", "4294967295", "01"].map(|k| (JsString::from(k), value)).to_vec();
    let plain = graph.push(Node::Object(Object { null_prototype: false, props: props.clone() }));
    let null = graph.push(Node::Object(Object { null_prototype: true, props }));
    let expected = "6f 4902 30 4e0000c0ffffffef41 30 220161 30 220a34323934393637323935 30 22023031 30 7b05";
    assert_eq!(hex(&write(&graph, plain).unwrap()[2..]), expected.replace(' ', ""));
    // V8's format has no prototypes: a null-prototype object is written as a plain one, and
    // listed in the trailer (no URLs, no Buffers, then a reference to object 0).
    let trailer = "4103 4908 5e00 4900 240003"; // [NULL_PROTOTYPE, ^0, 0]
    assert_eq!(hex(&write(&graph, null).unwrap()[2..]), format!("{expected}{trailer}").replace(' ', ""));
}

#[test]
fn holey_arrays_are_dense_with_holes_or_sparse() {
    let mut graph = Graph::new();
    let (one, three) = (graph.push(Node::Number(1.0)), graph.push(Node::Number(3.0)));
    let holey = graph.push(Node::Array(Array::Holey { length: 4, items: vec![(0, one), (2, three)] }));
    assert_eq!(written(&graph, holey), "4104 4902 2d 4906 2d 240004".replace(' ', ""));
    let empty = graph.push(Node::Array(Array::Holey { length: 3, items: vec![] }));
    assert_eq!(written(&graph, empty), "41032d2d2d240003");
    let sparse =
        graph.push(Node::Array(Array::Holey { length: u32::MAX, items: vec![(5, one), (4_294_967_294, three)] }));
    // Sparse arrays are declared empty (V8's deserializer would allocate a declared length); the
    // elements give the length up to the last of them, and the trailer the rest.
    assert_eq!(written(&graph, sparse), "6100 490a 4902 4e0000c0ffffffef41 4906 400200".replace(' ', ""));
    let far = graph.push(Node::Array(Array::Holey { length: 100, items: vec![(99, one)] }));
    assert_eq!(written(&graph, far), "6100 49c601 4902 400100".replace(' ', ""));
    let trailing_holes = graph.push(Node::Array(Array::Holey { length: 1_000_000, items: vec![(1, one)] }));
    let trailer = "4103 490a 5e00 4980897a 240003"; // [ARRAY_LENGTH, ^0, 1e6]
    assert_eq!(written(&graph, trailing_holes), format!("6100 4902 4902 400100 {trailer}").replace(' ', ""));
    let (again, again_root) = read(&write(&graph, trailing_holes).unwrap()).unwrap();
    assert_eq!(again.node(again_root), &Node::Array(Array::Holey { length: 1_000_000, items: vec![(1, 1)] }));
}

#[test]
fn a_view_follows_its_buffer_or_a_reference_to_it() {
    let mut graph = Graph::new();
    let buffer = graph.push(Node::ArrayBuffer(vec![1, 2, 3, 4]));
    let whole = graph.push(Node::View(View { kind: ViewKind::Uint16Array, buffer, byte_offset: 0, length: 2 }));
    let part = graph.push(Node::View(View { kind: ViewKind::DataView, buffer, byte_offset: 1, length: 2 }));
    let root = graph.push(Node::Array(Array::Dense(vec![whole, part, buffer, whole])));
    // Ids: 0 the array, 1 the buffer, 2 the Uint16Array, 3 the DataView.
    assert_eq!(written(&graph, root), "4104 420401020304 5657000400 5e01 563f010200 5e01 5e02 240004".replace(' ', ""));
}

#[test]
fn boxed_primitives() {
    let mut graph = Graph::new();
    let items = [
        Node::Bool(true),
        Node::Bool(false),
        Node::Number(-0.0),
        Node::BigInt((-1).into()),
        Node::String("\u{20AC}".into()),
    ]
    .into_iter()
    .map(|node| {
        let inner = graph.push(node);
        graph.push(Node::Boxed(inner))
    })
    .collect();
    let root = graph.push(Node::Array(Array::Dense(items)));
    assert_eq!(
        written(&graph, root),
        "4105 79 78 6e0000000000000080 7a110100000000000000 736302ac20 240005".replace(' ', "")
    );
}

#[test]
fn urls_with_lone_surrogates_are_written_lossily() {
    assert_eq!(
        hex(&write(
            &{
                let mut graph = Graph::new();
                graph.push(Node::Url(JsString::from_utf16(&[0x61, 0xD800])));
                graph
            },
            0
        )
        .unwrap()[2..]),
        "5c8098c9aa050461efbfbd"
    );
}

#[test]
fn temporal_values_are_host_objects_by_kind() {
    // `[date, date, otherDate]`: host-object tag, TEMPORAL_HOST_OBJECT_TYPE + 2 (PlainDate) as a
    // varint, the text's byte length, the text; then a reference (a host object takes an id).
    let mut graph = Graph::new();
    let date = graph.push(Node::Temporal(Temporal::new(TemporalKind::PlainDate, "1999-09-29").unwrap()));
    let other = graph.push(Node::Temporal(Temporal::new(TemporalKind::PlainDate, "1999-09-29").unwrap()));
    let root = graph.push(Node::Array(Array::Dense(vec![date, date, other])));
    assert_eq!(
        written(&graph, root),
        "4103 5c829a95a205 0a313939392d30392d3239 5e01 5c829a95a205 0a313939392d30392d3239 240003".replace(' ', "")
    );
    // Each kind its own type, in devalue's order, Duration first.
    for kind in TemporalKind::ALL {
        let text = "2020-01-01T00:00:00Z";
        let host_type = TEMPORAL_HOST_OBJECT_TYPE + kind.index();
        let mut varint = Vec::new();
        let mut rest = host_type;
        while rest >= 0x80 {
            varint.push(rest as u8 | 0x80);
            rest >>= 7;
        }
        varint.push(rest as u8);
        let expected = format!("5c{}14{}", hex(&varint), hex(text.as_bytes()));
        assert_eq!(single(Node::Temporal(Temporal::new(kind, text).unwrap())), expected, "{kind}");
    }
    assert_eq!(TEMPORAL_HOST_OBJECT_TYPE + TemporalKind::ZonedDateTime.index(), 0x5445_4d07);
}

#[test]
fn graphs_v8_cannot_take_are_refused() {
    let refused = |graph: &Graph, root: NodeId, says: &str| {
        let error = write(graph, root).unwrap_err();
        assert_eq!(error.code, ErrorCode::Serialize);
        assert!(error.message.contains(says), "{error:?} does not say {says:?}");
    };
    let mut graph = Graph::new();
    let buffer = graph.push(Node::ArrayBuffer(vec![0; 4]));
    let float16 = graph.push(Node::View(View { kind: ViewKind::Float16Array, buffer, byte_offset: 0, length: 2 }));
    refused(&graph, float16, "Float16Array");
    let beyond = graph.push(Node::View(View { kind: ViewKind::Int32Array, buffer, byte_offset: 0, length: 2 }));
    refused(&graph, beyond, "out of its ArrayBuffer's bounds or misaligned");
    let huge = graph.push(Node::View(View { kind: ViewKind::Float64Array, buffer, byte_offset: 0, length: u64::MAX }));
    refused(&graph, huge, "out of its ArrayBuffer's bounds");
    let misaligned = graph.push(Node::View(View { kind: ViewKind::Int16Array, buffer, byte_offset: 1, length: 1 }));
    refused(&graph, misaligned, "misaligned");
    let one = graph.push(Node::Number(1.0));
    let not_a_buffer =
        graph.push(Node::View(View { kind: ViewKind::Uint8Array, buffer: one, byte_offset: 0, length: 0 }));
    refused(&graph, not_a_buffer, "not an ArrayBuffer");
    let boxed_object = graph.push(Node::Boxed(buffer));
    refused(&graph, boxed_object, "boxed value");
    let unsorted = graph.push(Node::Array(Array::Holey { length: 9, items: vec![(3, one), (1, one)] }));
    refused(&graph, unsorted, "out of order");
    let beyond_length = graph.push(Node::Array(Array::Holey { length: 2, items: vec![(2, one)] }));
    refused(&graph, beyond_length, "beyond its length");
    let dangling = graph.push(Node::Set(vec![one, 1000]));
    refused(&graph, dangling, "no node 1000");
    refused(&graph, 2000, "no node 2000");
}

#[test]
fn the_header_is_version_15() {
    assert_eq!(
        write(
            &{
                let mut graph = Graph::new();
                graph.push(Node::Undefined);
                graph
            },
            0
        )
        .unwrap(),
        v15("5f")
    );
}
