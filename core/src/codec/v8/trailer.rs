//! The trailer the JS layer appends after the main value (see the [module](super) docs): three
//! dense arrays of back-references into the value, `[url, href, …]`, `[buffer, …]` and
//! `[nullPrototypeObject, …]`, checked strictly and applied to the graph.

use super::input::{show, truncated, Input};
use super::tags;
use crate::codec::{Graph, Node, NodeId, View, ViewKind};
use crate::{Error, Result};

pub fn apply(input: &mut Input, graph: &mut Graph, objects: &[NodeId]) -> Result<()> {
    let url_list = begin_list(input, "URL")?;
    if url_list % 2 != 0 {
        return Err(invalid("the URL list has an odd length"));
    }
    for _ in 0..url_list / 2 {
        let node = reference(input, objects, "URL")?;
        let href = input.string("the trailer's URL list")?;
        match graph.node(node) {
            // Properties a user added to the URL are dropped, as devalue's URL reducer drops them.
            Node::Object(_) => *graph.node_mut(node) = Node::Url(href),
            Node::Url(_) => return Err(invalid("a URL listed twice")),
            other => return Err(invalid(format!("the URL list points at {}, not an object", kind(other)))),
        }
    }
    end_list(input, url_list)?;

    let buffer_list = begin_list(input, "Buffer")?;
    let first_new = graph.len() as NodeId;
    let mut pools = Vec::with_capacity(buffer_list as usize);
    for _ in 0..buffer_list {
        let node = reference(input, objects, "Buffer")?;
        let (pool, visible) = match graph.node(node) {
            Node::View(view) if view.kind == ViewKind::Uint8Array && view.buffer < first_new => {
                let start = view.byte_offset as usize;
                let bytes = match graph.node(view.buffer) {
                    Node::ArrayBuffer(bytes) => bytes.get(start..start + view.length as usize),
                    _ => None,
                };
                (view.buffer, bytes.ok_or_else(|| invalid("a Buffer out of its ArrayBuffer's bounds"))?.to_vec())
            }
            Node::View(view) if view.kind == ViewKind::Uint8Array => return Err(invalid("a Buffer listed twice")),
            other => return Err(invalid(format!("the Buffer list points at {}, not a Uint8Array", kind(other)))),
        };
        let length = visible.len() as u64;
        let buffer = graph.push(Node::ArrayBuffer(visible));
        *graph.node_mut(node) = Node::View(View { kind: ViewKind::Uint8Array, buffer, byte_offset: 0, length });
        pools.push(pool);
    }
    end_list(input, buffer_list)?;

    let null_prototype_list = begin_list(input, "null-prototype object")?;
    for _ in 0..null_prototype_list {
        let node = reference(input, objects, "null-prototype object")?;
        match graph.node_mut(node) {
            Node::Object(object) if !object.null_prototype => object.null_prototype = true,
            Node::Object(_) => return Err(invalid("a null-prototype object listed twice")),
            other => return Err(invalid(format!("the null-prototype list points at {}, not an object", kind(other)))),
        }
    }
    end_list(input, null_prototype_list)?;

    if !input.at_end() {
        return Err(invalid(format!("bytes left after it: {}", input.remaining())));
    }
    release_unreferenced(graph, pools);
    Ok(())
}

/// Empties the buffers that Buffers were cut out of when nothing else points at them any more, so
/// that unrelated pool data does not stay in the graph (their nodes stay, unreachable).
fn release_unreferenced(graph: &mut Graph, mut pools: Vec<NodeId>) {
    if pools.is_empty() {
        return;
    }
    pools.sort_unstable();
    pools.dedup();
    let mut referenced = vec![false; pools.len()];
    for id in 0..graph.len() as NodeId {
        graph.node(id).for_each_child(|child| {
            if let Ok(i) = pools.binary_search(&child) {
                referenced[i] = true;
            }
        });
    }
    for (pool, referenced) in pools.into_iter().zip(referenced) {
        // A pool is never the root: the root holds the views cut out of it.
        if !referenced {
            *graph.node_mut(pool) = Node::ArrayBuffer(Vec::new());
        }
    }
}

/// A dense array's tag and length.
fn begin_list(input: &mut Input, what: &str) -> Result<u32> {
    let tag = input.value_tag().map_err(|_| truncated("the trailer"))?;
    if tag != tags::BEGIN_DENSE_JS_ARRAY {
        return Err(invalid(format!("the {what} list is not a dense array (tag {})", show(tag))));
    }
    let length = input.varint()?;
    if length as usize > input.remaining() {
        return Err(truncated("the trailer"));
    }
    Ok(length)
}

/// The end of a dense array with no properties.
fn end_list(input: &mut Input, length: u32) -> Result<()> {
    let tag = input.tag()?;
    let properties = input.varint()?;
    let declared = input.varint()?;
    if tag != tags::END_DENSE_JS_ARRAY || properties != 0 || declared != length {
        return Err(invalid("a list does not end as a plain dense array"));
    }
    Ok(())
}

fn reference(input: &mut Input, objects: &[NodeId], what: &str) -> Result<NodeId> {
    let tag = input.value_tag()?;
    if tag != tags::OBJECT_REFERENCE {
        return Err(invalid(format!("a {what} in its list is not a reference into the value (tag {})", show(tag))));
    }
    let id = input.varint()?;
    objects
        .get(id as usize)
        .copied()
        .ok_or_else(|| invalid(format!("a {what} refers to object {id}, which is not in the value")))
}

fn kind(node: &Node) -> &'static str {
    match node {
        Node::Array(_) => "an array",
        Node::Object(_) => "an object",
        Node::Date(_) => "a Date",
        Node::RegExp(_) => "a RegExp",
        Node::Map(_) => "a Map",
        Node::Set(_) => "a Set",
        Node::Boxed(_) => "a boxed primitive",
        Node::ArrayBuffer(_) => "an ArrayBuffer",
        Node::View(_) => "a view",
        Node::Url(_) => "a URL",
        _ => "a primitive",
    }
}

fn invalid(message: impl std::fmt::Display) -> Error {
    Error::parse(format!("malformed V8 data: invalid trailer: {message}"))
}
