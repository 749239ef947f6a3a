//! V8's value serialization format — the bytes of Node's `v8.Serializer` / `v8.Deserializer` — in
//! which values cross between JS and Rust: JS hands Rust `new v8.Serializer()` output (native, so
//! fast) and reads Rust's output with a `v8.Deserializer` subclass.
//!
//! Beyond V8's own format, two conventions with the JS layer:
//!
//! - JS → Rust, a trailer after the value says which objects were `URL`s and which views were
//!   Node `Buffer`s, which V8 writes as `{}` and as views over a whole (pooled) buffer
//!   ([`trailer`](self::trailer) explains it).
//! - Rust → JS, a [`Node::Url`](crate::codec::Node::Url) is a host object of type
//!   [`URL_HOST_OBJECT_TYPE`], which the JS side's `_readHostObject` turns back into a `URL`.
//!
//! The authority for the format is V8's `src/objects/value-serializer.cc`.

use std::ops::RangeInclusive;

use super::{Graph, NodeId};
use crate::Result;

mod input;
mod keys;
mod read;
mod tags;
mod trailer;
mod write;

#[cfg(test)]
mod tests;

/// The host-object type of a URL written by [`write`]: after the host-object tag come this as a
/// varint, the byte length of the href as a varint, then the href in UTF-8.
pub const URL_HOST_OBJECT_TYPE: u32 = 0x5552_4c00;

/// The format versions [`read`] accepts (Node 20, V8 11.3, writes 15). Anything else is
/// refused with an error saying the version is unsupported, so that the JS layer takes its slower
/// path.
pub const SUPPORTED_VERSIONS: RangeInclusive<u32> = 13..=15;

/// Reads a value (and the JS layer's trailer, if any) from V8 serialization bytes.
pub fn read(bytes: &[u8]) -> Result<(Graph, NodeId)> {
    read::read(bytes)
}

/// Writes a value as V8 serialization bytes, header included, for `v8.Deserializer`.
pub fn write(graph: &Graph, root: NodeId) -> Result<Vec<u8>> {
    write::write(graph, root)
}

/// The format version in the header of `bytes`, if they start with one; nothing else is read.
pub fn version(bytes: &[u8]) -> Option<u32> {
    let mut input = input::Input::new(bytes);
    match input.byte() {
        Ok(tags::VERSION) => input.varint().ok(),
        _ => None,
    }
}
