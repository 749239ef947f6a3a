//! Writing a [`Graph`] in V8's serialization format, for a `v8.Deserializer` to read.
//!
//! The output is what `v8.Serializer` would have written for the same value, give or take choices
//! V8 makes by the heap layout (number representation in arrays, dense or sparse arrays), with
//! these extensions (see the [module](super) docs): a [`Node::Url`], [`Node::UrlSearchParams`] or
//! [`Node::Temporal`] is a host object; a sparse array is declared with length 0 — V8's deserializer would
//! otherwise allocate the whole length the input claims — and its length, like the null
//! prototypes V8's format cannot express, comes in a trailer after the value. A Float16Array is
//! refused, as Node 20's V8 cannot read one.
//!
//! Containers are written with an explicit stack, never by recursion.

use std::borrow::Cow;

use num_bigint::{BigInt, Sign};

use super::keys::array_index;
use super::trailer::{ARRAY_LENGTH, NULL_PROTOTYPE};
use super::{tags, TEMPORAL_HOST_OBJECT_TYPE, URL_HOST_OBJECT_TYPE, URL_SEARCH_PARAMS_HOST_OBJECT_TYPE};
use crate::codec::{Array, Graph, JsString, Node, NodeId, NodeMap, Object, View, ViewKind};
use crate::{Error, Result};

/// The format version written: the one Node 20 (V8 11.3) writes and reads.
const VERSION: u8 = 15;

/// Writes the value at `root`, taking from `budget` what it writes. Time and memory are linear in
/// the size of the value (not of the graph it lives in), and bounded by the budget.
pub fn write(graph: &Graph, root: NodeId, budget: &mut Budget) -> Result<Vec<u8>> {
    let mut writer = Writer {
        graph,
        out: Vec::with_capacity(64),
        ids: NodeMap::default(),
        next_id: 0,
        stack: Vec::new(),
        trailer: Vec::new(),
        max_depth: budget.max_depth,
    };
    writer.out.extend_from_slice(&[tags::VERSION, VERSION]);
    writer.value(root)?;
    while let Some(top) = writer.stack.len().checked_sub(1) {
        if writer.out.len() > budget.bytes_left {
            return Err(budget.exceeded());
        }
        let Frame { node, next } = writer.stack[top];
        match writer.step(node, next)? {
            Some(child) => {
                writer.stack[top].next += 1;
                writer.value(child)?;
            }
            None => {
                writer.stack.pop();
            }
        }
    }
    writer.write_trailer();
    if writer.out.len() > budget.bytes_left {
        return Err(budget.exceeded());
    }
    budget.bytes_left -= writer.out.len();
    Ok(writer.out)
}

/// What the values written for one answer may take: bytes in all (an amplification bound, see
/// [`crate::limits`]) and nesting depth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    bytes_left: usize,
    max_depth: usize,
    /// The bytes at the start, for messages.
    bytes: usize,
}

impl Budget {
    pub fn new(bytes: usize, max_depth: usize) -> Self {
        Self { bytes_left: bytes, max_depth, bytes }
    }

    /// No bound (for values that are already bounded otherwise, and for tests).
    pub fn unlimited() -> Self {
        Self::new(usize::MAX, usize::MAX)
    }

    fn exceeded(&self) -> Error {
        Error::parse(format!(
            "the value would take more than {} bytes when read, far more than its stored text (it may repeat one \
             string very many times); raise maxExpansion if this is expected",
            self.bytes
        ))
    }
}

struct Writer<'g> {
    graph: &'g Graph,
    out: Vec<u8>,
    /// For each object node written, the V8 object id it was written under. A map rather than a
    /// vector over the graph: a value is often a small part of a large graph (one key of a session).
    ids: NodeMap<u32>,
    next_id: u32,
    /// The containers being written, outermost first.
    stack: Vec<Frame>,
    /// The trailer's entries: (kind, V8 id of the object, payload).
    trailer: Vec<(u32, u32, f64)>,
    max_depth: usize,
}

/// A container being written, and the number of children of it written so far.
#[derive(Clone, Copy)]
struct Frame {
    node: NodeId,
    next: usize,
}

impl<'g> Writer<'g> {
    /// What V8's format cannot say about the value (null prototypes, sparse arrays' lengths): a
    /// dense array of `[kind, object, payload]` triples (see [`super::trailer`]).
    fn write_trailer(&mut self) {
        if self.trailer.is_empty() {
            return;
        }
        let entries = std::mem::take(&mut self.trailer);
        let length = entries.len() as u32 * 3;
        self.out.push(tags::BEGIN_DENSE_JS_ARRAY);
        self.varint(length);
        for (kind, object, payload) in entries {
            self.number(kind as f64);
            self.out.push(tags::OBJECT_REFERENCE);
            self.varint(object);
            self.number(payload);
        }
        self.end_array(tags::END_DENSE_JS_ARRAY, 0, length);
    }

    /// Writes a value; for a container, writes its start and pushes a frame that writes the rest.
    fn value(&mut self, id: NodeId) -> Result<()> {
        let node = self.node(id)?;
        if !node.is_primitive() {
            if let Some(&object_id) = self.ids.get(&id) {
                self.out.push(tags::OBJECT_REFERENCE);
                self.varint(object_id);
                return Ok(());
            }
            // V8's serializer numbers objects as it first meets them; a view only after its buffer.
            if !matches!(node, Node::View(_)) {
                self.assign_id(id);
            }
        }
        match node {
            Node::Undefined => self.out.push(tags::UNDEFINED),
            Node::Null => self.out.push(tags::NULL),
            Node::Bool(true) => self.out.push(tags::TRUE),
            Node::Bool(false) => self.out.push(tags::FALSE),
            &Node::Number(number) => self.number(number),
            Node::String(string) => self.string(string)?,
            Node::BigInt(bigint) => {
                self.out.push(tags::BIGINT);
                self.bigint(bigint)?;
            }
            Node::Object(object) => {
                if object.null_prototype {
                    self.trailer.push((NULL_PROTOTYPE, self.ids[&id], 0.0));
                }
                self.open(tags::BEGIN_JS_OBJECT, None, id)?
            }
            Node::Array(Array::Dense(items)) => self.open(tags::BEGIN_DENSE_JS_ARRAY, Some(len32(items.len())?), id)?,
            &Node::Array(Array::Holey { length, ref items }) => {
                if holes_inline(length, items.len()) {
                    self.open(tags::BEGIN_DENSE_JS_ARRAY, Some(length), id)?;
                } else {
                    // Declared empty; the elements set the length up to the last of them, and the
                    // trailer the rest.
                    let reached = items.last().map_or(0, |&(index, _)| index as u64 + 1);
                    if reached != length as u64 {
                        self.trailer.push((ARRAY_LENGTH, self.ids[&id], length as f64));
                    }
                    self.open(tags::BEGIN_SPARSE_JS_ARRAY, Some(0), id)?;
                }
            }
            Node::Map(_) => self.open(tags::BEGIN_JS_MAP, None, id)?,
            Node::Set(_) => self.open(tags::BEGIN_JS_SET, None, id)?,
            &Node::Date(time) => {
                self.out.push(tags::DATE);
                self.double(time);
            }
            Node::RegExp(regexp) => {
                self.out.push(tags::REGEXP);
                self.string(&regexp.source)?;
                let bits = tags::REGEXP_FLAG_BITS
                    .iter()
                    .filter(|(letter, _)| regexp.flags.has(*letter))
                    .fold(0, |bits, (_, bit)| bits | bit);
                self.varint(bits);
            }
            &Node::Boxed(inner) => match self.node(inner)? {
                Node::Bool(true) => self.out.push(tags::TRUE_OBJECT),
                Node::Bool(false) => self.out.push(tags::FALSE_OBJECT),
                &Node::Number(number) => {
                    self.out.push(tags::NUMBER_OBJECT);
                    self.double(number);
                }
                Node::BigInt(bigint) => {
                    self.out.push(tags::BIGINT_OBJECT);
                    self.bigint(bigint)?;
                }
                Node::String(string) => {
                    self.out.push(tags::STRING_OBJECT);
                    self.string(string)?;
                }
                _ => return Err(Error::serialize("a boxed value that is not a boolean, number, BigInt or string")),
            },
            Node::ArrayBuffer(bytes) => {
                self.out.push(tags::ARRAY_BUFFER);
                self.varint(len32(bytes.len())?);
                self.out.extend_from_slice(bytes);
            }
            Node::View(view) => self.view(id, view)?,
            Node::Url(text) | Node::UrlSearchParams(text) => {
                // Read back by the JS layer's `_readHostObject`: type, byte length, UTF-8 text.
                let host_type = match node {
                    Node::Url(_) => URL_HOST_OBJECT_TYPE,
                    _ => URL_SEARCH_PARAMS_HOST_OBJECT_TYPE,
                };
                let text = text.as_str().map_or_else(|| Cow::Owned(text.to_string_lossy()), Cow::Borrowed);
                self.out.push(tags::HOST_OBJECT);
                self.varint(host_type);
                self.varint(len32(text.len())?);
                self.out.extend_from_slice(text.as_bytes());
            }
            Node::Temporal(temporal) => {
                // Read back by `_readHostObject` as well: type (by kind), byte length, ASCII text.
                let text = temporal.text().as_bytes();
                self.out.push(tags::HOST_OBJECT);
                self.varint(TEMPORAL_HOST_OBJECT_TYPE + temporal.kind().index());
                self.varint(len32(text.len())?);
                self.out.extend_from_slice(text);
            }
        }
        Ok(())
    }

    /// Writes the next part of the container `id` after its first `next` children: returns the
    /// child to write next, or writes the container's end and returns `None`.
    fn step(&mut self, id: NodeId, next: usize) -> Result<Option<NodeId>> {
        let graph = self.graph;
        match graph.node(id) {
            Node::Object(Object { props, .. }) => match props.get(next) {
                Some((key, value)) => {
                    self.key(key)?;
                    Ok(Some(*value))
                }
                None => {
                    self.out.push(tags::END_JS_OBJECT);
                    self.varint(len32(props.len())?);
                    Ok(None)
                }
            },
            Node::Array(Array::Dense(items)) => match items.get(next) {
                Some(&item) => Ok(Some(item)),
                None => {
                    self.end_array(tags::END_DENSE_JS_ARRAY, 0, len32(items.len())?);
                    Ok(None)
                }
            },
            &Node::Array(Array::Holey { length, ref items }) => {
                // Where the previous element ended: 0, or the index after it.
                let from = match next {
                    0 => 0,
                    _ => items[next - 1].0 as u64 + 1,
                };
                let dense = holes_inline(length, items.len());
                let upto = items.get(next).map_or(length as u64, |&(index, _)| index as u64);
                if upto < from || upto > length as u64 || (upto == length as u64 && next < items.len()) {
                    return Err(Error::serialize("an array whose elements are out of order or beyond its length"));
                }
                if dense {
                    self.out.extend(std::iter::repeat_n(tags::THE_HOLE, (upto - from) as usize));
                }
                match items.get(next) {
                    Some(&(index, item)) => {
                        if !dense {
                            self.index_key(index);
                        }
                        Ok(Some(item))
                    }
                    None if dense => {
                        self.end_array(tags::END_DENSE_JS_ARRAY, 0, length);
                        Ok(None)
                    }
                    None => {
                        self.end_array(tags::END_SPARSE_JS_ARRAY, len32(items.len())?, 0);
                        Ok(None)
                    }
                }
            }
            Node::Map(entries) => match entries.get(next / 2) {
                Some(&(key, value)) => Ok(Some(if next.is_multiple_of(2) { key } else { value })),
                None => {
                    self.out.push(tags::END_JS_MAP);
                    self.varint(len32(entries.len() * 2)?);
                    Ok(None)
                }
            },
            Node::Set(values) => match values.get(next) {
                Some(&value) => Ok(Some(value)),
                None => {
                    self.out.push(tags::END_JS_SET);
                    self.varint(len32(values.len())?);
                    Ok(None)
                }
            },
            // Only containers get frames.
            _ => Ok(None),
        }
    }

    fn node(&self, id: NodeId) -> Result<&'g Node> {
        self.graph.get(id).ok_or_else(|| Error::serialize(format!("the graph has no node {id}")))
    }

    fn assign_id(&mut self, id: NodeId) {
        self.ids.insert(id, self.next_id);
        self.next_id += 1;
    }

    /// A container's tag (and length for arrays), and a frame to write its children.
    fn open(&mut self, tag: u8, length: Option<u32>, id: NodeId) -> Result<()> {
        if self.stack.len() >= self.max_depth {
            return Err(Error::parse(format!(
                "the value is nested more than {} levels deep (maxDepth)",
                self.max_depth
            )));
        }
        self.out.push(tag);
        if let Some(length) = length {
            self.varint(length);
        }
        self.stack.push(Frame { node: id, next: 0 });
        Ok(())
    }

    fn end_array(&mut self, tag: u8, properties: u32, length: u32) {
        self.out.push(tag);
        self.varint(properties);
        self.varint(length);
    }

    /// The buffer (new, or a reference), then the view, numbered after it.
    fn view(&mut self, id: NodeId, view: &View) -> Result<()> {
        if view.kind == ViewKind::Float16Array {
            return Err(Error::serialize(
                "a Float16Array cannot be handed to JS through V8's format: Node 20's V8 has no Float16Array",
            ));
        }
        let Node::ArrayBuffer(bytes) = self.node(view.buffer)? else {
            return Err(Error::serialize(format!("a {} over something that is not an ArrayBuffer", view.kind.name())));
        };
        let size = view.kind.element_size();
        let end = view.length.checked_mul(size).and_then(|byte_length| byte_length.checked_add(view.byte_offset));
        let (Some(end), 0) = (end.filter(|&end| end <= bytes.len() as u64), view.byte_offset % size) else {
            return Err(Error::serialize(format!(
                "a {} out of its ArrayBuffer's bounds or misaligned",
                view.kind.name()
            )));
        };
        self.value(view.buffer)?;
        self.assign_id(id);
        self.out.push(tags::ARRAY_BUFFER_VIEW);
        self.out.push(tags::view_subtag(view.kind));
        // Both fit in u32: they lie within the buffer, whose length was checked to.
        self.varint(view.byte_offset as u32);
        self.varint((end - view.byte_offset) as u32);
        // Flags (format version 14 on): neither length-tracking nor over a resizable buffer.
        self.varint(0);
        Ok(())
    }

    /// A property key, as V8 writes it: an array index as a number, anything else as a string.
    fn key(&mut self, key: &JsString) -> Result<()> {
        match array_index(key.as_wtf8()) {
            Some(index) => {
                self.index_key(index);
                Ok(())
            }
            None => self.string(key),
        }
    }

    fn index_key(&mut self, index: u32) {
        self.number(index as f64);
    }

    /// An int32 (but not -0) as `I`, any other number as `N`.
    fn number(&mut self, number: f64) {
        let int = number as i32;
        if int as f64 == number && !(int == 0 && number.is_sign_negative()) {
            self.out.push(tags::INT32);
            self.varint(((int << 1) ^ (int >> 31)) as u32);
        } else {
            self.out.push(tags::DOUBLE);
            self.double(number);
        }
    }

    fn double(&mut self, number: f64) {
        self.out.extend_from_slice(&number.to_le_bytes());
    }

    /// One byte per character when every character is Latin-1, else UTF-16LE.
    fn string(&mut self, string: &JsString) -> Result<()> {
        if string.is_latin1() {
            self.out.push(tags::ONE_BYTE_STRING);
            if string.as_wtf8().is_ascii() {
                self.varint(len32(string.len_wtf8())?);
                self.out.extend_from_slice(string.as_wtf8());
            } else {
                self.varint(len32(string.code_points().count())?);
                self.out.extend(string.code_points().map(|code_point| code_point as u8));
            }
        } else {
            let byte_length = len32(string.utf16_len() * 2)?;
            // V8 aligns two-byte data to 2 bytes from the start of the buffer with a padding tag
            // (its reader no longer needs it, but the bytes then match V8's).
            if !(self.out.len() + 1 + varint_len(byte_length)).is_multiple_of(2) {
                self.out.push(tags::PADDING);
            }
            self.out.push(tags::TWO_BYTE_STRING);
            self.varint(byte_length);
            self.out.reserve(byte_length as usize);
            for unit in string.utf16_units() {
                self.out.extend_from_slice(&unit.to_le_bytes());
            }
        }
        Ok(())
    }

    /// The bitfield (bit 0 sign, then the byte length), then 64-bit digits, little-endian.
    fn bigint(&mut self, bigint: &BigInt) -> Result<()> {
        let (sign, magnitude) = bigint.to_bytes_le();
        if sign == Sign::NoSign {
            self.varint(0);
            return Ok(());
        }
        let byte_length = magnitude.len().div_ceil(8) * 8;
        if byte_length >= 1 << 30 {
            return Err(Error::serialize("a BigInt too large for V8"));
        }
        self.varint(((byte_length as u32) << 1) | u32::from(sign == Sign::Minus));
        self.out.extend_from_slice(&magnitude);
        self.out.resize(self.out.len() + byte_length - magnitude.len(), 0);
        Ok(())
    }

    fn varint(&mut self, mut value: u32) {
        while value >= 0x80 {
            self.out.push(value as u8 | 0x80);
            value >>= 7;
        }
        self.out.push(value as u8);
    }
}

/// Whether a holey array is written dense, a hole as one `-` byte, rather than sparse, each
/// element after its index key (2 to 6 bytes). Dense while the holes cost about what the keys
/// would; V8 also rebuilds a dense array faster.
fn holes_inline(length: u32, present: usize) -> bool {
    let holes = (length as u64).saturating_sub(present as u64);
    holes <= 2 * present as u64 + 16
}

fn varint_len(value: u32) -> usize {
    (32 - value.leading_zeros() as usize).max(1).div_ceil(7)
}

fn len32(len: usize) -> Result<u32> {
    u32::try_from(len).map_err(|_| Error::serialize("a value too large for V8's format (over 4 GiB)"))
}
