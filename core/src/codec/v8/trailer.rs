//! The trailer: what V8's format cannot say about the value before it (see the [module](super)
//! docs). One dense array of triples `[kind, object, payload, …]`, each `object` a back-reference
//! into the value, checked strictly and applied to the graph:
//!
//! | kind | object | payload | meaning |
//! | --- | --- | --- | --- |
//! | [`URL`] | `{}` | href | the object is a `URL` |
//! | [`URL_SEARCH_PARAMS`] | `{}` | `toString()` | the object is a `URLSearchParams` |
//! | [`BUFFER`] | a `Uint8Array` | 0 | a Node `Buffer`: only its visible bytes count |
//! | [`NULL_PROTOTYPE`] | an object | 0 | the object has a null prototype |
//! | [`ARRAY_LENGTH`] | an array | length | the array's length (beyond its last element) |
//!
//! The JS layer writes the first four after a value it hands over; [`super::write()`] writes the
//! last two after a value it writes (URLs and URLSearchParams go as host objects that way).

use super::input::{show, truncated, Input};
use super::tags;
use crate::codec::{Array, Graph, Node, NodeId, View, ViewKind};
use crate::{Error, Result};

pub const URL: u32 = 1;
pub const URL_SEARCH_PARAMS: u32 = 2;
pub const BUFFER: u32 = 3;
pub const NULL_PROTOTYPE: u32 = 4;
pub const ARRAY_LENGTH: u32 = 5;

/// The largest JS array length.
const MAX_ARRAY_LENGTH: f64 = 4_294_967_295.0;

pub fn apply(input: &mut Input, graph: &mut Graph, objects: &[NodeId]) -> Result<()> {
    let tag = input.value_tag().map_err(|_| truncated("the trailer"))?;
    if tag != tags::BEGIN_DENSE_JS_ARRAY {
        return Err(invalid(format!("it is not a dense array (tag {})", show(tag))));
    }
    let length = input.varint()?;
    if length % 3 != 0 {
        return Err(invalid("its length is not a multiple of 3"));
    }
    if length as usize > input.remaining() {
        return Err(truncated("the trailer"));
    }
    let first_new = graph.len() as NodeId;
    let mut pools = Vec::new();
    for _ in 0..length / 3 {
        let kind = kind_code(input)?;
        let node = reference(input, objects)?;
        match kind {
            URL | URL_SEARCH_PARAMS => {
                let text = input.string("the trailer")?;
                match graph.node(node) {
                    // Properties a user added are dropped, as devalue drops them.
                    Node::Object(_) if kind == URL => *graph.node_mut(node) = Node::Url(text),
                    Node::Object(_) => *graph.node_mut(node) = Node::UrlSearchParams(text),
                    Node::Url(_) | Node::UrlSearchParams(_) => return Err(invalid("an object listed twice")),
                    other => return Err(invalid(format!("a URL entry points at {}, not an object", describe(other)))),
                }
            }
            BUFFER => {
                expect_zero(input)?;
                pools.push(cut_out_buffer(graph, node, first_new)?);
            }
            NULL_PROTOTYPE => {
                expect_zero(input)?;
                match graph.node_mut(node) {
                    Node::Object(object) if !object.null_prototype => object.null_prototype = true,
                    Node::Object(_) => return Err(invalid("a null-prototype object listed twice")),
                    other => {
                        return Err(invalid(format!(
                            "a null-prototype entry points at {}, not an object",
                            describe(other)
                        )))
                    }
                }
            }
            ARRAY_LENGTH => {
                let length = number(input)?;
                set_array_length(graph, node, length)?;
            }
            other => return Err(invalid(format!("unknown entry kind {other}"))),
        }
    }
    let tag = input.tag()?;
    let properties = input.varint()?;
    let declared = input.varint()?;
    if tag != tags::END_DENSE_JS_ARRAY || properties != 0 || declared != length {
        return Err(invalid("it does not end as a plain dense array"));
    }
    if !input.at_end() {
        return Err(invalid(format!("bytes left after it: {}", input.remaining())));
    }
    release_unreferenced(graph, pools);
    Ok(())
}

/// Makes the Buffer `node` what devalue makes of it (`new Uint8Array(buffer)`): a Uint8Array over
/// a new ArrayBuffer of just its visible bytes. Returns the pool it was cut out of.
fn cut_out_buffer(graph: &mut Graph, node: NodeId, first_new: NodeId) -> Result<NodeId> {
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
        other => return Err(invalid(format!("a Buffer entry points at {}, not a Uint8Array", describe(other)))),
    };
    let length = visible.len() as u64;
    let buffer = graph.push(Node::ArrayBuffer(visible));
    *graph.node_mut(node) = Node::View(View { kind: ViewKind::Uint8Array, buffer, byte_offset: 0, length });
    Ok(pool)
}

/// Gives the array `node` its full length: V8's deserializer is handed a sparse array with no
/// declared length (so it never allocates for a length the input merely claims), and the length
/// comes here.
fn set_array_length(graph: &mut Graph, node: NodeId, length: f64) -> Result<()> {
    if !(length.fract() == 0.0 && (0.0..=MAX_ARRAY_LENGTH).contains(&length)) {
        return Err(invalid(format!("{length} is not an array length")));
    }
    let length = length as u32;
    let array = match graph.node_mut(node) {
        Node::Array(array) => array,
        other => return Err(invalid(format!("an array length entry points at {}, not an array", describe(other)))),
    };
    let items = match std::mem::replace(array, Array::Dense(Vec::new())) {
        Array::Dense(items) => items.into_iter().enumerate().map(|(i, id)| (i as u32, id)).collect(),
        Array::Holey { items, .. } => items,
    };
    if items.last().is_some_and(|&(last, _)| last >= length) {
        return Err(invalid("an array length shorter than the array"));
    }
    *array = Array::Holey { length, items };
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

fn kind_code(input: &mut Input) -> Result<u32> {
    let code = number(input)?;
    if code.fract() != 0.0 || !(0.0..=u32::MAX as f64).contains(&code) {
        return Err(invalid(format!("{code} is not an entry kind")));
    }
    Ok(code as u32)
}

fn expect_zero(input: &mut Input) -> Result<()> {
    match number(input)? {
        0.0 => Ok(()),
        other => Err(invalid(format!("a payload of {other} where 0 belongs"))),
    }
}

/// A number, as V8 writes one: a small integer or a double.
fn number(input: &mut Input) -> Result<f64> {
    match input.value_tag()? {
        tags::INT32 => Ok(input.zigzag()? as f64),
        tags::UINT32 => Ok(input.varint()? as f64),
        tags::DOUBLE => input.double(),
        other => Err(invalid(format!("a number was expected (tag {})", show(other)))),
    }
}

fn reference(input: &mut Input, objects: &[NodeId]) -> Result<NodeId> {
    let tag = input.value_tag()?;
    if tag != tags::OBJECT_REFERENCE {
        return Err(invalid(format!("an entry is not a reference into the value (tag {})", show(tag))));
    }
    let id = input.varint()?;
    objects
        .get(id as usize)
        .copied()
        .ok_or_else(|| invalid(format!("an entry refers to object {id}, which is not in the value")))
}

fn describe(node: &Node) -> &'static str {
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
        Node::UrlSearchParams(_) => "a URLSearchParams",
        Node::Temporal(_) => "a Temporal value",
        _ => "a primitive",
    }
}

fn invalid(message: impl std::fmt::Display) -> Error {
    Error::parse(format!("malformed V8 data: invalid trailer: {message}"))
}
