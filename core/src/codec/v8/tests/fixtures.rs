//! Every fixture of `core/fixtures/v8.json` read, written back and read again, and what the
//! reader must make of particular ones.

use num_bigint::BigInt;

use super::{fixture, fixtures, hex, same};
use crate::codec::v8::{read, write};
use crate::codec::{Array, Graph, JsString, Node, NodeId, Object, RegExpFlags, View, ViewKind};

/// Fixtures whose bytes the writer does not reproduce exactly, and why. For every other one it
/// does, which checks its object ids against V8's.
const NOT_BYTE_IDENTICAL: &[(&str, &str)] = &[
    ("array of doubles", "V8 writes every element of a double array as a double"),
    ("Map with NaN and -0 keys", "V8 writes a heap number 1 as a double"),
    ("holey array", "V8 writes every holey array sparse"),
    ("trailing hole", "V8 writes every holey array sparse"),
    ("all holes", "V8 writes every holey array sparse"),
    ("array with named properties", "named properties of arrays are dropped"),
    ("holey array with named properties", "both of the above"),
    ("resizable ArrayBuffer", "resizable buffers are read as fixed ones"),
    ("length-tracking view", "resizable buffers are read as fixed ones"),
    ("view over resizable buffer", "resizable buffers are read as fixed ones"),
    ("Buffer from the pool", "trailer; Buffers are cut out of their pool"),
    ("two Buffers from the pool", "trailer; Buffers are cut out of their pool"),
    ("same Buffer twice", "trailer; Buffers are cut out of their pool"),
    ("unpooled Buffer", "trailer"),
    ("Buffer and its pool", "trailer; Buffers are cut out of their pool"),
    ("Buffer beside a view on its pool", "trailer; Buffers are cut out of their pool"),
    ("URL", "trailer; URLs are host objects"),
    ("URL twice", "trailer; URLs are host objects"),
    ("URLs and a Buffer", "trailer; URLs are host objects"),
    ("URL as Map key", "trailer; URLs are host objects"),
    ("non-ascii URL", "trailer; URLs are host objects"),
    ("URL with own property", "trailer; URLs are host objects"),
    ("URLSearchParams", "trailer; URLSearchParams are host objects"),
    ("sparse array", "sparse arrays are declared empty, so V8's deserializer allocates nothing"),
    ("huge sparse length", "sparse arrays are declared empty, so V8's deserializer allocates nothing"),
];

#[test]
fn every_fixture_round_trips() {
    let mut failures = Vec::new();
    let all = fixtures();
    assert!(all.len() > 100, "only {} fixtures", all.len());
    for (name, bytes) in all {
        let result = (|| {
            let (graph, root) = read(&bytes).map_err(|e| format!("read: {e}"))?;
            let written = write(&graph, root).map_err(|e| format!("write: {e}"))?;
            let (again, again_root) = read(&written).map_err(|e| format!("read back: {e}"))?;
            same(&graph, root, &again, again_root)?;
            let rewritten = write(&again, again_root).map_err(|e| format!("write again: {e}"))?;
            if rewritten != written {
                return Err(format!("not a fixed point: {} then {}", hex(&written), hex(&rewritten)));
            }
            let expected_identical = !NOT_BYTE_IDENTICAL.iter().any(|(n, _)| *n == name);
            if (written == bytes) != expected_identical {
                return Err(format!(
                    "byte-identical to V8's: {}, expected {expected_identical}: {}",
                    !expected_identical,
                    hex(&written)
                ));
            }
            Ok(())
        })();
        if let Err(error) = result {
            failures.push(format!("{name}: {error}"));
        }
    }
    assert!(failures.is_empty(), "{} fixtures failed:\n{}", failures.len(), failures.join("\n"));
}

fn read_fixture(name: &str) -> (Graph, NodeId) {
    read(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn dense(graph: &Graph, id: NodeId) -> &[NodeId] {
    match graph.node(id) {
        Node::Array(Array::Dense(items)) => items,
        other => panic!("not a dense array: {other:?}"),
    }
}

fn object(graph: &Graph, id: NodeId) -> &Object {
    match graph.node(id) {
        Node::Object(object) => object,
        other => panic!("not an object: {other:?}"),
    }
}

fn view(graph: &Graph, id: NodeId) -> &View {
    match graph.node(id) {
        Node::View(view) => view,
        other => panic!("not a view: {other:?}"),
    }
}

fn bytes(graph: &Graph, id: NodeId) -> &[u8] {
    match graph.node(id) {
        Node::ArrayBuffer(bytes) => bytes,
        other => panic!("not an ArrayBuffer: {other:?}"),
    }
}

#[test]
fn a_buffer_is_cut_out_of_its_pool() {
    let (graph, root) = read_fixture("Buffer from the pool");
    let hello = view(&graph, root);
    assert_eq!((hello.kind, hello.byte_offset, hello.length), (ViewKind::Uint8Array, 0, 5));
    assert_eq!(bytes(&graph, hello.buffer), b"hello");
    // The pool (8 KiB of 0xEE around "hello") is nowhere in the graph, reachable or not.
    for id in 0..graph.len() as NodeId {
        if let Node::ArrayBuffer(data) = graph.node(id) {
            assert!(!data.contains(&0xEE), "pool data in node {id}");
        }
    }
}

#[test]
fn buffers_from_one_pool_get_buffers_of_their_own() {
    let (graph, root) = read_fixture("two Buffers from the pool");
    let items = dense(&graph, root);
    let (a, b) = (view(&graph, items[0]), view(&graph, items[1]));
    assert_ne!(a.buffer, b.buffer);
    assert_eq!((bytes(&graph, a.buffer), bytes(&graph, b.buffer)), (&b"a"[..], &b"bc"[..]));
}

#[test]
fn a_buffer_twice_stays_one_view() {
    let (graph, root) = read_fixture("same Buffer twice");
    let items = dense(&graph, root);
    assert_eq!(object(&graph, items[1]).props[0].1, items[0]);
    assert_eq!(bytes(&graph, view(&graph, items[0]).buffer), b"x");
}

#[test]
fn a_pool_referenced_elsewhere_stays() {
    let (graph, root) = read_fixture("Buffer and its pool");
    let items = dense(&graph, root);
    assert_eq!(bytes(&graph, view(&graph, items[0]).buffer), b"pool");
    let pool = bytes(&graph, items[1]);
    assert_eq!(pool.len(), 8192);
    assert!(pool.windows(4).any(|w| w == b"pool"));

    let (graph, root) = read_fixture("Buffer beside a view on its pool");
    let items = dense(&graph, root);
    let (copy, on_pool) = (view(&graph, items[0]), view(&graph, items[1]));
    assert_eq!(bytes(&graph, copy.buffer), b"xy");
    assert_eq!(bytes(&graph, on_pool.buffer).len(), 8192);
    let start = on_pool.byte_offset as usize;
    assert_eq!(&bytes(&graph, on_pool.buffer)[start..start + 2], b"xy");
}

#[test]
fn urls_come_back_as_urls_with_their_identity() {
    let (graph, root) = read_fixture("URL twice");
    let items = dense(&graph, root);
    assert_eq!(graph.node(items[0]), &Node::Url("https://example.com/".into()));
    assert_eq!(items[0], items[2]);
    assert_eq!(object(&graph, items[1]).props[0].1, items[0]);

    let (graph, root) = read_fixture("URL with own property");
    assert_eq!(graph.node(root), &Node::Url("http://p.test/".into()));
    let (graph, root) = read_fixture("non-ascii URL");
    assert_eq!(graph.node(root), &Node::Url("https://xn--bcher-kva.example/%C3%BC?%E2%82%AC".into()));
    let (graph, root) = read_fixture("URL as Map key");
    let Node::Map(entries) = graph.node(root) else { panic!("not a Map") };
    assert_eq!(graph.node(entries[0].0), &Node::Url("http://k.test/".into()));
}

#[test]
fn integer_keys_come_first_as_strings() {
    let (graph, root) = read_fixture("integer-like keys");
    let keys: Vec<String> = object(&graph, root).props.iter().map(|(k, _)| k.to_string()).collect();
    // `Object.keys` of the value in Node.
    assert_eq!(keys, ["0", "1", "4294967294", "b", "4294967295", "-1", "01", "1.5", "1e21"]);
}

#[test]
fn sparse_arrays_keep_their_length_without_filling_it() {
    let (graph, root) = read_fixture("huge sparse length");
    let Node::Array(Array::Holey { length, items }) = graph.node(root) else { panic!("not holey") };
    assert_eq!(*length, u32::MAX);
    assert_eq!(items.iter().map(|&(i, _)| i).collect::<Vec<_>>(), [5, 4_294_967_294]);

    let (graph, root) = read_fixture("holey array");
    let Node::Array(Array::Holey { length: 3, items }) = graph.node(root) else { panic!("not holey") };
    assert_eq!(items.iter().map(|&(i, _)| i).collect::<Vec<_>>(), [0, 2]);

    let (graph, root) = read_fixture("array with named properties");
    assert_eq!(dense(&graph, root).len(), 2);
}

#[test]
fn views_share_buffers_as_in_js() {
    let (graph, root) = read_fixture("two views on one buffer");
    let items = dense(&graph, root);
    let (a, b) = (view(&graph, items[0]), view(&graph, items[1]));
    assert_eq!(a.buffer, b.buffer);
    assert_eq!((b.kind, b.byte_offset, b.length), (ViewKind::Int32Array, 4, 1));

    let (graph, root) = read_fixture("view then its buffer");
    let items = dense(&graph, root);
    assert_eq!(view(&graph, items[0]).buffer, items[1]);

    let (graph, root) = read_fixture("DataView");
    let data_view = view(&graph, root);
    assert_eq!((data_view.kind, data_view.byte_offset, data_view.length), (ViewKind::DataView, 1, 2));
    assert_eq!(bytes(&graph, data_view.buffer), [1, 2, 3, 4]);

    let (graph, root) = read_fixture("length-tracking view");
    let tracking = view(&graph, root);
    assert_eq!((tracking.length, bytes(&graph, tracking.buffer).len()), (4, 4));
}

#[test]
fn cycles_point_back_at_their_container() {
    let (graph, root) = read_fixture("Map containing itself");
    assert_eq!(graph.node(root), &Node::Map(vec![(root, root)]));
    let (graph, root) = read_fixture("object containing itself");
    assert_eq!(object(&graph, root).props[1], (JsString::from("self"), root));
    let (graph, root) = read_fixture("Set containing itself");
    assert_eq!(graph.node(root), &Node::Set(vec![root]));
}

#[test]
fn primitives_and_leaves_read_as_in_js() {
    let (graph, root) = read_fixture("regexp every flag");
    let Node::RegExp(regexp) = graph.node(root) else { panic!("not a RegExp") };
    assert_eq!((regexp.source.to_string(), regexp.flags), ("a".into(), RegExpFlags::from_js("dgimsuy").unwrap()));
    let (graph, root) = read_fixture("invalid date");
    assert!(matches!(graph.node(root), Node::Date(t) if t.is_nan()));
    let (graph, root) = read_fixture("BigInt huge");
    assert_eq!(graph.node(root), &Node::BigInt(-BigInt::from(3).pow(4000)));
    let (graph, root) = read_fixture("lone low surrogate inside");
    assert_eq!(graph.node(root), &Node::String(JsString::from_utf16(&[0x78, 0xDC00, 0x79])));
    let (graph, root) = read_fixture("astral string");
    assert_eq!(graph.node(root), &Node::String("a\u{1F600}b".into()));
    let (graph, root) = read_fixture("negative zero");
    assert!(matches!(graph.node(root), Node::Number(n) if n.to_bits() == (-0.0f64).to_bits()));
    let (graph, root) = read_fixture("boxed two-byte string");
    let &Node::Boxed(inner) = graph.node(root) else { panic!("not boxed") };
    assert_eq!(graph.node(inner), &Node::String("\u{20AC}".into()));
}

#[test]
fn what_v8_cannot_say_comes_in_the_trailer_or_is_lost() {
    // V8 writes a null-prototype object as a plain one; the JS layer lists it in the trailer.
    let (graph, root) = read_fixture("null-prototype object");
    assert!(object(&graph, root).null_prototype);
    // A class instance is a plain object to V8 (the JS layer refuses class instances).
    let (graph, root) = read_fixture("class instance");
    assert_eq!(object(&graph, root).props.len(), 2);
}

#[test]
fn deep_fixtures_read() {
    let (graph, mut id) = read_fixture("arrays 10000 deep");
    let mut depth = 0;
    while let [inner] = dense(&graph, id) {
        id = *inner;
        depth += 1;
    }
    assert_eq!(depth, 10_000);
}
