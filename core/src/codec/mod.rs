//! The codec: JS values as a graph ([`value`]), devalue text — the stored format, byte-compatible
//! with the `devalue` npm package — ([`devalue`]), and V8's serialization format, in which values
//! cross between JS and Rust ([`v8`]).

pub mod devalue;
pub mod string;
pub mod v8;
pub mod value;

pub use string::JsString;
pub use value::{Array, Graph, Node, NodeId, Object, RegExp, RegExpFlags, View, ViewKind};
