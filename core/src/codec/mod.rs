//! The codec: JS values as a graph ([`value`]), devalue text — the stored format, byte-compatible
//! with the `devalue` npm package — ([`devalue`]), and V8's serialization format, in which values
//! cross between JS and Rust ([`v8`]). [`temporal`] holds what the codecs share about `Temporal`
//! values.

pub mod devalue;
pub mod string;
pub mod temporal;
pub mod v8;
pub mod value;

pub use string::JsString;
pub use temporal::{Temporal, TemporalKind};
pub use value::{Array, Graph, Node, NodeId, NodeMap, Object, RegExp, RegExpFlags, View, ViewKind};

use crate::Result;

/// A value handed over by the JS layer (`lib/handoff.js`): V8's serialization format (it starts
/// with the version tag 0xFF) or, where V8's format could not carry it, devalue text.
pub fn decode_handoff(bytes: &[u8]) -> Result<(Graph, NodeId)> {
    match bytes.first() {
        Some(0xFF) => v8::read(bytes),
        _ => devalue::parse(bytes),
    }
}
