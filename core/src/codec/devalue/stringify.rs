//! [`Graph`] → devalue text, byte for byte as devalue 5.9's `stringify` writes it (with Astro's
//! URL reducer).
//!
//! devalue's `flatten` walks the value depth-first and gives each value a record index the first
//! time it meets it, in pre-order: objects by identity (here: node id), primitives by value (a JS
//! `Map` keyed by the value), except `undefined`, NaN, ±Infinity and -0, which are written as
//! negative special indices and never get a record. It then writes the records in index order.
//! Here the two happen in two passes: [`Flattener`] assigns the indices with an explicit stack (a
//! deeply nested value cannot overflow the Rust stack), then [`Flattener::write`] writes every
//! record, looking its children's indices up.

use std::collections::hash_map::Entry;

use crate::FastMap;
use std::io::Write as _;

use base64::Engine as _;
use num_bigint::BigInt;

use super::constants::{HOLE, NAN, NEGATIVE_INFINITY, NEGATIVE_ZERO, POSITIVE_INFINITY, SPARSE, UNDEFINED};
use super::number::{decimal_digits, write_integer, write_number};
use super::{date, LoneSurrogates};
use crate::codec::{Array, Graph, JsString, Node, NodeId, Object, View};
use crate::{Error, Result};

pub fn stringify(graph: &Graph, root: NodeId, lone: LoneSurrogates) -> Result<JsString> {
    let mut flattener = Flattener::new(graph);
    let root = flattener.flatten(root)?;
    let mut out = Vec::new();
    if root < 0 {
        // The whole value is a special: devalue writes just the number.
        write_integer(&mut out, root);
    } else {
        flattener.write(&mut out, lone);
    }
    // Valid UTF-8 but for the lone surrogates `LoneSurrogates::Raw` writes as they are (each in its
    // own string, so no two of them can meet and form a pair): canonical WTF-8.
    Ok(JsString::from_wtf8_unchecked(out))
}

/// `refs` entry of a node not met yet.
const UNSEEN: i64 = i64::MIN;

/// What devalue's `Map` of indices is keyed by for primitives: their value (SameValueZero; NaN
/// and -0 never get here).
#[derive(PartialEq, Eq, Hash)]
enum Primitive<'g> {
    Null,
    Bool(bool),
    Number(u64),
    String(&'g [u8]),
    BigInt(&'g BigInt),
}

/// What a record index stands for.
enum Record<'g> {
    Node(NodeId),
    /// The href of a URL: a string that is no node of its own in our model.
    Href(&'g JsString),
}

struct Flattener<'g> {
    graph: &'g Graph,
    /// For each node met: its record index, or the special index written in its place.
    refs: Vec<i64>,
    primitives: FastMap<Primitive<'g>, i64>,
    records: Vec<Record<'g>>,
    /// Containers whose children are being visited, and the position of the next child.
    stack: Vec<(NodeId, usize)>,
}

impl<'g> Flattener<'g> {
    fn new(graph: &'g Graph) -> Self {
        Self {
            graph,
            refs: vec![UNSEEN; graph.len()],
            primitives: FastMap::default(),
            // At most one record per node, plus one per URL href.
            records: Vec::with_capacity(graph.len()),
            stack: Vec::new(),
        }
    }

    /// Assigns indices to everything reachable from `root`, in devalue's order; returns the
    /// root's index (negative for a special).
    fn flatten(&mut self, root: NodeId) -> Result<i64> {
        let root_ref = self.visit(root)?;
        while let Some(&mut (container, ref mut next)) = self.stack.last_mut() {
            match nth_child(self.graph.node(container), *next) {
                Some(child) => {
                    *next += 1;
                    self.visit(child)?;
                }
                None => {
                    self.stack.pop();
                }
            }
        }
        Ok(root_ref)
    }

    /// devalue's `flatten(thing)` minus the recursion: gives `id` its index if it has none yet,
    /// and queues a container's children, which are then visited before anything after it.
    fn visit(&mut self, id: NodeId) -> Result<i64> {
        let Some(&known) = self.refs.get(id as usize) else {
            return Err(Error::serialize(format!("invalid value graph: node {id} does not exist")));
        };
        if known != UNSEEN {
            return Ok(known);
        }
        let graph = self.graph;
        let index = match graph.node(id) {
            Node::Undefined => UNDEFINED,
            // -0 is checked before the de-duplication: it must not share 0's record.
            Node::Number(n) if n.is_nan() => NAN,
            Node::Number(n) if *n == f64::INFINITY => POSITIVE_INFINITY,
            Node::Number(n) if *n == f64::NEG_INFINITY => NEGATIVE_INFINITY,
            Node::Number(n) if *n == 0.0 && n.is_sign_negative() => NEGATIVE_ZERO,
            Node::Number(n) => self.primitive(Primitive::Number(n.to_bits()), Record::Node(id)),
            Node::Null => self.primitive(Primitive::Null, Record::Node(id)),
            Node::Bool(value) => self.primitive(Primitive::Bool(*value), Record::Node(id)),
            Node::String(text) => self.primitive(Primitive::String(text.as_wtf8()), Record::Node(id)),
            Node::BigInt(value) => self.primitive(Primitive::BigInt(value), Record::Node(id)),
            Node::Url(href) => {
                // Astro's reducer: `["URL", flatten(url.href)]`, the href right after the URL.
                let index = self.record(id);
                self.primitive(Primitive::String(href.as_wtf8()), Record::Href(href));
                index
            }
            Node::Boxed(target) => {
                if !matches!(
                    graph.get(*target),
                    Some(Node::Number(_) | Node::String(_) | Node::Bool(_) | Node::BigInt(_))
                ) {
                    return Err(invalid(id, "a boxed primitive must point at a number, string, boolean or BigInt"));
                }
                let index = self.record(id);
                self.visit(*target)?;
                index
            }
            Node::View(view) => {
                check_view(graph, id, view)?;
                let index = self.record(id);
                self.visit(view.buffer)?;
                index
            }
            Node::Date(_) | Node::RegExp(_) | Node::ArrayBuffer(_) | Node::UrlSearchParams(_) | Node::Temporal(_) => {
                self.record(id)
            }
            Node::Array(array) => {
                if let Array::Holey { length, items } = array {
                    let ascending = items.windows(2).all(|pair| pair[0].0 < pair[1].0);
                    if !ascending || items.last().is_some_and(|&(position, _)| position >= *length) {
                        return Err(invalid(id, "array indices must be ascending and below the length"));
                    }
                }
                self.container(id)
            }
            Node::Object(object) => {
                if object.props.iter().any(|(key, _)| key.as_wtf8() == b"__proto__") {
                    return Err(invalid(id, "cannot stringify an object with a __proto__ key"));
                }
                self.container(id)
            }
            Node::Map(_) | Node::Set(_) => self.container(id),
        };
        // Only the first visit of a node gets here; a primitive's index may be shared with
        // earlier nodes of the same value.
        self.refs[id as usize] = index;
        Ok(index)
    }

    /// The next record index, for node `id`.
    fn record(&mut self, id: NodeId) -> i64 {
        let index = self.records.len() as i64;
        self.records.push(Record::Node(id));
        // Set now, before the children are visited, so that a cycle finds it.
        self.refs[id as usize] = index;
        index
    }

    fn container(&mut self, id: NodeId) -> i64 {
        self.stack.push((id, 0));
        self.record(id)
    }

    /// The index of a primitive: that of an earlier equal value, or a new one.
    fn primitive(&mut self, key: Primitive<'g>, record: Record<'g>) -> i64 {
        match self.primitives.entry(key) {
            Entry::Occupied(known) => *known.get(),
            Entry::Vacant(slot) => {
                let index = self.records.len() as i64;
                self.records.push(record);
                *slot.insert(index)
            }
        }
    }

    /// Writes the records, as `[record,record,…]`.
    fn write(&self, out: &mut Vec<u8>, lone: LoneSurrogates) {
        out.reserve(self.records.len() * 8 + 2);
        out.push(b'[');
        for (i, record) in self.records.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match record {
                Record::Node(id) => self.write_node(out, self.graph.node(*id), lone),
                Record::Href(href) => write_string(out, href, lone),
            }
        }
        out.push(b']');
    }

    /// The index or special written for a child (visited, so known).
    fn child(&self, id: NodeId) -> i64 {
        self.refs[id as usize]
    }

    fn write_node(&self, out: &mut Vec<u8>, node: &Node, lone: LoneSurrogates) {
        match node {
            // As devalue's `stringify_primitive` (never reached: undefined gets no record).
            Node::Undefined => write_integer(out, UNDEFINED),
            Node::Null => out.extend_from_slice(b"null"),
            Node::Bool(value) => out.extend_from_slice(if *value { b"true" } else { b"false" }),
            Node::Number(n) => write_number(out, *n),
            Node::String(text) => write_string(out, text, lone),
            Node::BigInt(value) => {
                // Writing to a Vec cannot fail.
                let _ = write!(out, r#"["BigInt","{value}"]"#);
            }
            Node::Array(Array::Dense(items)) => self.write_list(out, None, items.iter().copied()),
            Node::Array(Array::Holey { length, items }) => self.write_holey(out, *length, items),
            Node::Object(object) => self.write_object(out, object, lone),
            Node::Date(time) => {
                out.extend_from_slice(br#"["Date",""#);
                // An invalid date is written as "".
                date::write_iso(out, *time);
                out.extend_from_slice(br#""]"#);
            }
            Node::UrlSearchParams(text) => {
                // devalue's own form (Astro's reducer handles only URL): the text inline.
                out.extend_from_slice(br#"["URLSearchParams","#);
                write_string(out, text, lone);
                out.push(b']');
            }
            Node::Temporal(temporal) => {
                // `["Temporal.PlainDate","2020-01-01"]`: devalue writes `toString()` inline. The text
                // is Temporal grammar (ASCII, nothing to escape), so it goes out as it is.
                out.extend_from_slice(b"[\"");
                out.extend_from_slice(temporal.kind().tag().as_bytes());
                out.extend_from_slice(b"\",\"");
                out.extend_from_slice(temporal.text().as_bytes());
                out.extend_from_slice(b"\"]");
            }
            Node::RegExp(regexp) => {
                out.extend_from_slice(br#"["RegExp","#);
                write_string(out, &regexp.source, lone);
                if !regexp.flags.is_empty() {
                    out.extend_from_slice(b",\"");
                    out.extend_from_slice(regexp.flags.to_js().as_bytes());
                    out.push(b'"');
                }
                out.push(b']');
            }
            Node::Map(entries) => {
                self.write_list(out, Some("Map"), entries.iter().flat_map(|&(key, value)| [key, value]))
            }
            Node::Set(values) => self.write_list(out, Some("Set"), values.iter().copied()),
            Node::Boxed(target) => self.write_list(out, Some("Object"), [*target]),
            Node::ArrayBuffer(bytes) => {
                out.extend_from_slice(br#"["ArrayBuffer",""#);
                write_base64(out, bytes);
                out.extend_from_slice(br#""]"#);
            }
            Node::View(view) => self.write_view(out, view),
            Node::Url(href) => {
                out.extend_from_slice(br#"["URL","#);
                // The href was flattened right after the URL.
                write_integer(out, self.primitives[&Primitive::String(href.as_wtf8())]);
                out.push(b']');
            }
        }
    }

    /// `[` (then `"tag"` for a tagged record), the children's indices, `]`, comma-separated.
    fn write_list(&self, out: &mut Vec<u8>, tag: Option<&str>, children: impl IntoIterator<Item = NodeId>) {
        out.push(b'[');
        let mut first = true;
        if let Some(tag) = tag {
            out.push(b'"');
            out.extend_from_slice(tag.as_bytes());
            out.push(b'"');
            first = false;
        }
        for child in children {
            if !first {
                out.push(b',');
            }
            first = false;
            write_integer(out, self.child(child));
        }
        out.push(b']');
    }

    /// An array with holes: each hole as `-2`, or — when that is longer — only the present
    /// elements as `[-7,length,index,value,…]`, by devalue's cost rule.
    fn write_holey(&self, out: &mut Vec<u8>, length: u32, items: &[(u32, NodeId)]) {
        let length = u64::from(length);
        let population = items.len() as u64;
        if population == length {
            return self.write_list(out, None, items.iter().map(|&(_, id)| id));
        }
        // Structural overhead of each form: 3 bytes per hole ("-2,") against the marker, the
        // length, and an index per element (at most as many digits as the length).
        let digits = decimal_digits(length);
        let hole_cost = (length - population) * 3;
        let sparse_cost = 4 + digits + population * (digits + 1);
        out.push(b'[');
        if hole_cost > sparse_cost {
            write_integer(out, SPARSE);
            out.push(b',');
            write_integer(out, length as i64);
            for &(position, id) in items {
                out.push(b',');
                write_integer(out, i64::from(position));
                out.push(b',');
                write_integer(out, self.child(id));
            }
        } else {
            // Mostly dense, so the length is bounded by the elements: walking it is fine.
            let mut items = items.iter().peekable();
            for position in 0..length as u32 {
                if position > 0 {
                    out.push(b',');
                }
                match items.next_if(|&&(at, _)| at == position) {
                    Some(&(_, id)) => write_integer(out, self.child(id)),
                    None => write_integer(out, HOLE),
                }
            }
        }
        out.push(b']');
    }

    fn write_object(&self, out: &mut Vec<u8>, object: &Object, lone: LoneSurrogates) {
        if object.null_prototype {
            out.extend_from_slice(br#"["null""#);
            for (key, id) in &object.props {
                out.push(b',');
                write_string(out, key, lone);
                out.push(b',');
                write_integer(out, self.child(*id));
            }
            out.push(b']');
        } else {
            out.push(b'{');
            for (i, (key, id)) in object.props.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(out, key, lone);
                out.push(b':');
                write_integer(out, self.child(*id));
            }
            out.push(b'}');
        }
    }

    fn write_view(&self, out: &mut Vec<u8>, view: &View) {
        out.extend_from_slice(b"[\"");
        out.extend_from_slice(view.kind.name().as_bytes());
        out.extend_from_slice(b"\",");
        write_integer(out, self.child(view.buffer));
        // devalue writes the offset and length only when the view does not cover its whole buffer.
        let buffer_len = match self.graph.node(view.buffer) {
            Node::ArrayBuffer(bytes) => bytes.len() as u64,
            _ => 0,
        };
        if view.length * view.kind.element_size() != buffer_len {
            out.push(b',');
            write_integer(out, view.byte_offset as i64);
            out.push(b',');
            write_integer(out, view.length as i64);
        }
        out.push(b']');
    }
}

/// The container's `n`th child, in the order devalue visits them.
fn nth_child(node: &Node, n: usize) -> Option<NodeId> {
    match node {
        Node::Array(Array::Dense(items)) | Node::Set(items) => items.get(n).copied(),
        Node::Array(Array::Holey { items, .. }) => items.get(n).map(|&(_, id)| id),
        Node::Object(object) => object.props.get(n).map(|&(_, id)| id),
        Node::Map(entries) => entries.get(n / 2).map(|&(key, value)| if n.is_multiple_of(2) { key } else { value }),
        _ => None,
    }
}

fn invalid(id: NodeId, message: &str) -> Error {
    Error::serialize(format!("invalid value graph: node {id}: {message}"))
}

/// A view must look into an ArrayBuffer node, within its bounds, aligned to its element size
/// (as a typed array constructor would have insisted).
fn check_view(graph: &Graph, id: NodeId, view: &View) -> Result<()> {
    let Some(Node::ArrayBuffer(bytes)) = graph.get(view.buffer) else {
        return Err(invalid(id, "a typed array or DataView must point at an ArrayBuffer"));
    };
    let element = view.kind.element_size();
    let end = view.length.checked_mul(element).and_then(|len| len.checked_add(view.byte_offset));
    if !view.byte_offset.is_multiple_of(element) || end.is_none_or(|end| end > bytes.len() as u64) {
        return Err(invalid(id, "the view's offset and length do not fit its buffer"));
    }
    Ok(())
}

fn write_base64(out: &mut Vec<u8>, bytes: &[u8]) {
    let engine = &base64::engine::general_purpose::STANDARD;
    let start = out.len();
    // The encoded length of anything held in memory fits in usize.
    out.resize(start + base64::encoded_len(bytes.len(), true).unwrap_or(0), 0);
    let written = engine.encode_slice(bytes, &mut out[start..]).unwrap_or(0);
    out.truncate(start + written);
}

/// ASCII bytes devalue's `stringify_string` escapes.
const ESCAPED_ASCII: [bool; 128] = {
    let mut table = [false; 128];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'<' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Appends a JS string as devalue's `stringify_string` writes it: `"` and `\` escaped, `<` as
/// `\u003C` (so the text is safe inside an HTML script), control characters as JSON escapes,
/// U+2028/U+2029 escaped (JS source line terminators), everything else as is. A lone surrogate
/// is written raw (WTF-8) or, with [`LoneSurrogates::Escape`], as `\udxxx` like devalue 6.
fn write_string(out: &mut Vec<u8>, text: &JsString, lone: LoneSurrogates) {
    let bytes = text.as_wtf8();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let width = match b {
            0x00..=0x7F if ESCAPED_ASCII[b as usize] => 1,
            // U+2028 and U+2029: E2 80 A8 / E2 80 A9.
            0xE2 if matches!(bytes.get(i + 1..i + 3), Some([0x80, 0xA8 | 0xA9])) => 3,
            // A lone surrogate: ED A0..BF xx (a pair is one 4-byte sequence in WTF-8).
            0xED if lone == LoneSurrogates::Escape && matches!(bytes.get(i + 1..i + 3), Some([0xA0..=0xBF, _])) => 3,
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&bytes[copied..i]);
        let code_point = text_code_point(&bytes[i..i + width]);
        match code_point {
            0x22 => out.extend_from_slice(br#"\""#),
            0x5C => out.extend_from_slice(br"\\"),
            0x3C => out.extend_from_slice(br"\u003C"),
            0x0A => out.extend_from_slice(br"\n"),
            0x0D => out.extend_from_slice(br"\r"),
            0x09 => out.extend_from_slice(br"\t"),
            0x08 => out.extend_from_slice(br"\b"),
            0x0C => out.extend_from_slice(br"\f"),
            // Other control characters, U+2028/9 and lone surrogates: `\u` and lowercase hex.
            _ => {
                let _ = write!(out, "\\u{code_point:04x}");
            }
        }
        i += width;
        copied = i;
    }
    out.extend_from_slice(&bytes[copied..]);
    out.push(b'"');
}

/// The code point of one 1- or 3-byte WTF-8 sequence.
fn text_code_point(sequence: &[u8]) -> u32 {
    match *sequence {
        [b0, b1, b2] => (u32::from(b0 & 0x0F) << 12) | (u32::from(b1 & 0x3F) << 6) | u32::from(b2 & 0x3F),
        _ => u32::from(sequence[0]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(text: &JsString, lone: LoneSurrogates) -> Vec<u8> {
        let mut out = Vec::new();
        write_string(&mut out, text, lone);
        out
    }

    #[test]
    fn strings_are_escaped_as_devalue_does() {
        // Every ASCII character, U+2028, U+2029, é and a lone surrogate, as devalue 5.9 writes them
        // (`stringify_string`, printed by Node 20).
        let mut units: Vec<u16> = (0..128).collect();
        units.extend([0x2028, 0x2029, 0xE9, 0xD800]);
        let text = JsString::from_utf16(&units);
        let expected = concat!(
            r#""\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f"#,
            r#"\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f"#,
            r##" !\"#$%&'()*+,-./0123456789:;\u003C=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"##,
            "\u{7f}",
            r#"\u2028\u2029é"#,
        );
        let mut raw = expected.as_bytes().to_vec();
        raw.extend_from_slice(b"\xED\xA0\x80\"");
        assert_eq!(written(&text, LoneSurrogates::Raw), raw);
        let escaped = format!("{expected}\\ud800\"");
        assert_eq!(written(&text, LoneSurrogates::Escape), escaped.as_bytes());
    }

    #[test]
    fn surrogate_pairs_and_near_misses_stay_raw() {
        // A pair (4 bytes in WTF-8) is no lone surrogate; U+2027 and U+202A are not escaped.
        for text in ["😀", "\u{2027}\u{202A}", "\u{D7FF}\u{E000}"] {
            let expected = format!("\"{text}\"");
            assert_eq!(written(&JsString::from(text), LoneSurrogates::Escape), expected.as_bytes());
        }
        let lone_low = JsString::from_utf16(&[0xDFFF]);
        assert_eq!(written(&lone_low, LoneSurrogates::Escape), br#""\udfff""#);
    }
}
