//! Object ids: `^` back-references must land where V8's deserializer would send them.

use super::{unhex, v15};
use crate::codec::v8::{read, write, URL_HOST_OBJECT_TYPE};
use crate::codec::{Array, Graph, Node, NodeId, Object, ViewKind};

fn items(graph: &Graph, id: NodeId) -> Vec<NodeId> {
    match graph.node(id) {
        Node::Array(Array::Dense(items)) => items.clone(),
        other => panic!("not a dense array: {other:?}"),
    }
}

#[test]
fn every_kind_of_object_takes_an_id_in_order() {
    // Node's bytes for `[d, r, s, n, u8, d, r, s, n, u8, u8.buffer]` with a Date, a RegExp, a
    // String object, a BigInt object and a Uint8Array: ids 0 array, 1 Date, 2 RegExp, 3 String,
    // 4 BigInt, 5 the view's buffer, 6 the view.
    let bytes = v15(concat!(
        "410b4400000000000000005222017800732201737a10010000000000000042010056420001005e015e02",
        "5e035e045e065e0524000b"
    ));
    let (graph, root) = read(&bytes).unwrap();
    let items = items(&graph, root);
    assert_eq!(items[..5], items[5..10]);
    assert!(matches!(graph.node(items[0]), Node::Date(_)));
    assert!(matches!(graph.node(items[1]), Node::RegExp(_)));
    assert!(matches!(graph.node(items[2]), Node::Boxed(_)));
    assert!(matches!(graph.node(items[3]), Node::Boxed(_)));
    let Node::View(view) = graph.node(items[4]) else { panic!("not a view") };
    assert_eq!(view.buffer, items[10]);
    // Written back, the ids (and so the bytes) are V8's.
    assert_eq!(write(&graph, root).unwrap(), bytes);
}

#[test]
fn a_view_is_numbered_after_its_buffer_and_a_reference_to_a_buffer_can_start_a_view() {
    // `[new Uint8Array(b), new Int32Array(b, 4, 1), b]`: 1 the buffer, 2 the first view; `^1 V…`
    // makes the second view (3) over the same buffer; the last `^1` is the buffer itself.
    let bytes = v15("41034208000000000000000056420008005e0156640404005e01240003");
    let (graph, root) = read(&bytes).unwrap();
    let items = items(&graph, root);
    let (Node::View(first), Node::View(second)) = (graph.node(items[0]), graph.node(items[1])) else {
        panic!("not views")
    };
    assert_eq!((first.buffer, second.buffer), (items[2], items[2]));
    assert_eq!(second.kind, ViewKind::Int32Array);
    assert_eq!(write(&graph, root).unwrap(), bytes);
}

#[test]
fn named_properties_of_arrays_are_dropped_but_keep_their_ids() {
    // `[inner, o]` where `inner = [1]` has `inner.x = o`: o is object 2, read (and numbered)
    // inside the dropped property, then referenced.
    let (graph, root) = read(&v15("4102410149022201786f7b002401015e02240002")).unwrap();
    let outer = items(&graph, root);
    assert_eq!(items(&graph, outer[0]).len(), 1);
    assert_eq!(graph.node(outer[1]), &Node::Object(Object { null_prototype: false, props: vec![] }));
}

#[test]
fn containers_can_reference_themselves_while_being_read() {
    for body in [
        "41015e00240001",     // [a] where a is the array itself (dense)
        "610149005e00400101", // the same, sparse
        "3b5e005e003a02",     // Map m with m.set(m, m)
        "275e002c01",         // Set s with s.add(s)
        "6f2201615e007b01",   // o.a = o
    ] {
        let (graph, root) = read(&v15(body)).unwrap_or_else(|e| panic!("{body}: {e}"));
        let mut children = Vec::new();
        graph.node(root).for_each_child(|child| children.push(child));
        assert!(children.iter().all(|&child| child == root), "{body}: {children:?}");
    }
}

#[test]
fn references_to_objects_not_yet_numbered_fail() {
    for body in ["5e00", "41015e01240001", "6f2201615e017b01", "4102440000000000000000005e02240002"] {
        let error = read(&v15(body)).unwrap_err();
        assert!(error.message.contains("has not been read"), "{body}: {error}");
    }
}

#[test]
fn primitives_take_no_id() {
    // `["s", 1n, 1.5, {}, ^1]`: strings, BigInts and numbers are not objects; the object is 1.
    let (graph, root) = read(&v15("41052201735a1001000000000000004e000000000000f83f6f7b005e01240005")).unwrap();
    let items = items(&graph, root);
    assert_eq!(items[3], items[4]);
}

#[test]
fn a_url_host_object_takes_an_id() {
    // What the writer makes of `[url, url]`, read by V8 as `[URL, ^1]`.
    let mut graph = Graph::new();
    let url = graph.push(Node::Url("https://a.b/c?d".into()));
    let root = graph.push(Node::Array(Array::Dense(vec![url, url])));
    let bytes = write(&graph, root).unwrap();
    assert_eq!(bytes, unhex("ff0f41025c8098c9aa050f68747470733a2f2f612e622f633f645e01240002"));
    assert_eq!(&bytes[5..10], [0x80, 0x98, 0xC9, 0xAA, 0x05]);
    assert_eq!(URL_HOST_OBJECT_TYPE, 0x5552_4c00);
    let (again, again_root) = read(&bytes).unwrap();
    let items = items(&again, again_root);
    assert_eq!(items[0], items[1]);
    assert_eq!(again.node(items[0]), &Node::Url("https://a.b/c?d".into()));
}

#[test]
fn padding_and_object_counts_are_skipped_where_v8_skips_them() {
    // Padding before tags, `?count` before values, keys and strings inside a RegExp and a String
    // object.
    let bytes = v15("00003f0541020049020000 3f015200006302 00d8 00 00 240002".replace(' ', "").as_str());
    let (graph, root) = read(&bytes).unwrap();
    assert_eq!(items(&graph, root).len(), 2);
    let (graph, root) = read(&v15("6f3f0122016149027b01")).unwrap();
    assert!(matches!(graph.node(root), Node::Object(o) if o.props.len() == 1));
    let (graph, root) = read(&v15("733f0222017a")).unwrap();
    assert!(matches!(graph.node(root), Node::Boxed(_)));
}
