//! devalue text: the stored format of a session, byte-compatible with the `devalue` npm package
//! (what Astro writes: `devalue.stringify(value, { URL: (v) => v instanceof URL && v.href })`).
//!
//! devalue text is a JSON array of records. Record 0 is the value; a container's record lists the
//! *indices* of the records of its children, so shared references and cycles are just repeated
//! indices. Values with no JSON form get a tagged record (`["Date","2024-01-01T00:00:00.000Z"]`,
//! `["Map",1,2]`, …), and `undefined`, NaN, ±Infinity and -0 are negative indices of their own
//! ([`constants`]). For example `[{"a":1,"b":1},["Set",-1]]` is `{ a: s, b: s }` where `s` is
//! `new Set([undefined])`.
//!
//! - [`stringify`] writes exactly what devalue 5.9 writes, byte for byte, which
//!   `core/fixtures/devalue.json` (generated with the real devalue) pins down.
//! - [`parse`] reads anything devalue 5.x or 6.x writes, and refuses everything else — corrupt,
//!   truncated or hostile text — with an [`ErrorCode::Parse`](crate::ErrorCode::Parse) error,
//!   without recursion and without allocating more than the text's size warrants.

mod constants;
mod date;
mod json;
mod number;
mod parse;
mod stringify;
#[cfg(test)]
mod tests;

use super::{Graph, JsString, NodeId};
use crate::Result;

/// What to do with a lone surrogate in a string when writing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoneSurrogates {
    /// Write it raw, as devalue 5.x does: the output is then WTF-8, exact as a JS string.
    Raw,
    /// Write it as a `\udxxx` escape, as devalue 6.x does: the output is always valid UTF-8.
    Escape,
}

/// Writes the value at `root` as devalue text.
///
/// Fails with `ErrorCode::Serialize` on a graph that breaks the model's invariants (a dangling
/// node id, a view over something that is not an ArrayBuffer…) or on an object with a
/// `__proto__` key, which devalue refuses too.
pub fn stringify(graph: &Graph, root: NodeId, lone: LoneSurrogates) -> Result<JsString> {
    stringify::stringify(graph, root, lone)
}

/// Reads devalue text (UTF-8, or WTF-8 holding lone surrogates) into a graph and its root.
pub fn parse(text: &[u8]) -> Result<(Graph, NodeId)> {
    parse::parse(text)
}
