//! V8's value serialization format — the bytes of Node's `v8.Serializer` / `v8.Deserializer` — in
//! which values cross between JS and Rust: JS hands Rust `new v8.Serializer()` output (native, so
//! fast) and reads Rust's output with a `v8.Deserializer` subclass. Both use the base classes, not
//! `v8.serialize`, so typed arrays are written natively (buffer first, then the view).
//!
//! Beyond V8's own format, two conventions with the JS layer:
//!
//! - The trailer. V8 writes a `URL` or a `URLSearchParams` as `{}` (their state is in private
//!   fields), a Node `Buffer` as a `Uint8Array` over its whole backing store (often an 8 KiB pool
//!   of unrelated data), and a null-prototype object as a plain one; and when V8's deserializer
//!   meets a sparse array, it allocates the whole length the array claims. So after a value that
//!   needs it comes one more value from the same serializer (so that it can refer back into the
//!   first): a dense array of `[kind, object, payload]` triples ([`trailer`] lists the kinds).
//!   [`read`] applies it to the graph; [`write()`] writes one for null-prototype objects and for
//!   the lengths of sparse arrays, which it declares empty.
//! - Host objects, Rust → JS: a [`Node::Url`] or [`Node::UrlSearchParams`] is written as the
//!   host-object tag, then [`URL_HOST_OBJECT_TYPE`] or [`URL_SEARCH_PARAMS_HOST_OBJECT_TYPE`], the
//!   byte length of the text and the text in UTF-8 (the varints of `readUint32`), which the JS
//!   side's `_readHostObject` turns back into the object. A [`Node::Temporal`] goes the same way,
//!   its type [`TEMPORAL_HOST_OBJECT_TYPE`] plus the index of its kind, and the JS side rebuilds
//!   it with `Temporal.<Kind>.from(text)` — or, on a Node.js without `Temporal`, fails the read of
//!   that value alone, saying which type it is.
//!
//! What V8's format cannot carry, so the JS layer must check for itself: a class instance is
//! written by V8 as a plain object. What it refuses outright: a `Temporal` value (V8's serializer
//! throws a DataCloneError on one, so there is no object to point a trailer entry at); the JS layer
//! hands a value holding one over as devalue text.
//!
//! The authority for the format is V8's `src/objects/value-serializer.cc`.
//!
//! [`Node::Url`]: crate::codec::Node::Url
//! [`Node::UrlSearchParams`]: crate::codec::Node::UrlSearchParams
//! [`Node::Temporal`]: crate::codec::Node::Temporal

use std::ops::RangeInclusive;

use super::{Graph, NodeId};
use crate::Result;

mod input;
mod keys;
mod read;
mod tags;
pub mod trailer;
mod write;

#[cfg(test)]
mod tests;

/// The host-object type of a URL written by [`write()`]: after the host-object tag come this as a
/// varint, the byte length of the href as a varint, then the href in UTF-8.
pub const URL_HOST_OBJECT_TYPE: u32 = 0x5552_4c00;

/// The host-object type of a URLSearchParams written by [`write()`], followed as a URL's is.
pub const URL_SEARCH_PARAMS_HOST_OBJECT_TYPE: u32 = 0x5552_4c01;

/// The host-object type of a Temporal value written by [`write()`] is this plus its kind's
/// [`index`](crate::codec::TemporalKind::index) (`Temporal.Duration` 0 … `Temporal.ZonedDateTime`
/// 7); the text follows as a URL's does.
pub const TEMPORAL_HOST_OBJECT_TYPE: u32 = 0x5445_4d00;

/// The format versions [`read`] accepts (Node 20, V8 11.3, writes 15). Anything else is
/// refused with an error saying the version is unsupported, so that the JS layer takes its slower
/// path.
pub const SUPPORTED_VERSIONS: RangeInclusive<u32> = 13..=15;

/// Reads a value (and the JS layer's trailer, if any) from V8 serialization bytes.
pub fn read(bytes: &[u8]) -> Result<(Graph, NodeId)> {
    read::read(bytes)
}

pub use write::Budget;

/// Writes the value at `root` as V8 serialization bytes, header included, for `v8.Deserializer`,
/// within `budget` (bytes and nesting depth), which it takes what it writes from.
pub fn write_within(graph: &Graph, root: NodeId, budget: &mut Budget) -> Result<Vec<u8>> {
    write::write(graph, root, budget)
}

/// [`write_within`] without bounds, for values bounded otherwise.
pub fn write(graph: &Graph, root: NodeId) -> Result<Vec<u8>> {
    write::write(graph, root, &mut Budget::unlimited())
}

/// The format version in the header of `bytes`, if they start with one; nothing else is read.
pub fn version(bytes: &[u8]) -> Option<u32> {
    let mut input = input::Input::new(bytes);
    match input.byte() {
        Ok(tags::VERSION) => input.varint().ok(),
        _ => None,
    }
}
