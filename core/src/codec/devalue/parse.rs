//! devalue text → [`Graph`], as devalue's `parse` (`JSON.parse` + `unflatten`) reads it.
//!
//! devalue text is flat: a JSON array of records that point at each other by index. So record `i`
//! simply becomes node `i`, read in one pass straight from the tokens, with its references kept as
//! record indices; a second pass ([`Reader::link`]) checks that every index exists, gives the
//! special values (`-1` undefined, `-3` NaN, …) a node each, and does the checks that depend on
//! what a record points at. Nothing recurses, so hostile nesting cannot overflow the stack.
//!
//! devalue only looks at the records reachable from record 0; this reader checks every record, so
//! an unreferenced record is fine but a malformed one is an error. For input devalue itself wrote,
//! the result is the same.

use std::collections::hash_map::Entry;

use crate::FastMap;

use base64::Engine as _;
use num_bigint::{BigInt, BigUint, Sign};

use super::constants::{
    HOLE, MAX_ARRAY_LENGTH, NAN, NEGATIVE_INFINITY, NEGATIVE_ZERO, POSITIVE_INFINITY, SPARSE, UNDEFINED,
};
use super::date;
use super::json::{Lexer, Literal};
use crate::codec::{
    Array, Graph, JsString, Node, NodeId, Object, RegExp, RegExpFlags, Temporal, TemporalKind, View, ViewKind,
};
use crate::{Error, Result};

pub fn parse(text: &[u8]) -> Result<(Graph, NodeId)> {
    let mut lexer = Lexer::new(text);
    match lexer.peek() {
        Some(b'[') => Reader::new(lexer, text.len()).read(),
        Some(b'-' | b'0'..=b'9') => {
            // The whole value is a special (`-1` for undefined…): devalue writes no records then.
            let n = lexer.number()?;
            lexer.finish()?;
            let special = Special::from_index(n).ok_or_else(|| {
                Error::parse(format!(
                    "invalid devalue text: a bare number must be a special index (-1, -3…-6), not {n:?}"
                ))
            })?;
            let mut graph = Graph::with_capacity(1);
            let root = graph.push(special.node());
            Ok((graph, root))
        }
        _ => {
            Err(Error::parse("invalid devalue text: expected an array of records (or a bare special index such as -1)"))
        }
    }
}

/// The values devalue writes as a negative index instead of giving them a record.
#[derive(Clone, Copy)]
enum Special {
    Undefined,
    NaN,
    PositiveInfinity,
    NegativeInfinity,
    NegativeZero,
}

impl Special {
    const ALL: [Special; 5] =
        [Special::Undefined, Special::NaN, Special::PositiveInfinity, Special::NegativeInfinity, Special::NegativeZero];

    fn from_index(index: f64) -> Option<Self> {
        Some(match index {
            i if i == UNDEFINED as f64 => Special::Undefined,
            i if i == NAN as f64 => Special::NaN,
            i if i == POSITIVE_INFINITY as f64 => Special::PositiveInfinity,
            i if i == NEGATIVE_INFINITY as f64 => Special::NegativeInfinity,
            i if i == NEGATIVE_ZERO as f64 => Special::NegativeZero,
            _ => return None,
        })
    }

    fn node(self) -> Node {
        match self {
            Special::Undefined => Node::Undefined,
            Special::NaN => Node::Number(f64::NAN),
            Special::PositiveInfinity => Node::Number(f64::INFINITY),
            Special::NegativeInfinity => Node::Number(f64::NEG_INFINITY),
            Special::NegativeZero => Node::Number(-0.0),
        }
    }

    /// Until [`Reader::link`] gives each special a node, a reference to one is this placeholder id,
    /// above any record index.
    fn placeholder(self) -> NodeId {
        NodeId::MAX - self as NodeId
    }
}

/// Record indices must stay below the placeholders.
const FIRST_PLACEHOLDER: NodeId = NodeId::MAX - (Special::ALL.len() as NodeId - 1);

/// A typed array or DataView whose offset and length are settled once its buffer is known.
struct PendingView {
    node: NodeId,
    byte_offset: Option<u64>,
    length: Option<u64>,
}

struct Reader<'a> {
    lexer: Lexer<'a>,
    graph: Graph,
    specials_used: [bool; Special::ALL.len()],
    views: Vec<PendingView>,
    /// `["URL", index]` records (Astro's form): the URL node and the index of its href string.
    url_hrefs: Vec<(NodeId, NodeId)>,
}

impl<'a> Reader<'a> {
    fn new(lexer: Lexer<'a>, text_len: usize) -> Self {
        // A guess that avoids most regrowth without overshooting much: records rarely average
        // under 16 bytes of text.
        let graph = Graph::with_capacity(text_len / 16);
        Self { lexer, graph, specials_used: [false; 5], views: Vec::new(), url_hrefs: Vec::new() }
    }

    fn read(mut self) -> Result<(Graph, NodeId)> {
        self.lexer.expect(b'[', "'['")?;
        if self.lexer.eat(b']') {
            return Err(self.lexer.error("the array of records is empty"));
        }
        loop {
            let index = self.graph.len() as NodeId;
            if index >= FIRST_PLACEHOLDER {
                return Err(self.lexer.error("too many records"));
            }
            let record = self.record(index)?;
            self.graph.push(record);
            if !self.lexer.eat(b',') {
                break;
            }
        }
        self.lexer.expect(b']', "',' or ']' after a record")?;
        self.lexer.finish()?;
        self.link()?;
        Ok((self.graph, 0))
    }

    /// An error about the record being read.
    fn invalid(&self, index: NodeId, message: impl std::fmt::Display) -> Error {
        self.lexer.error(format_args!("record {index}: {message}"))
    }

    fn record(&mut self, index: NodeId) -> Result<Node> {
        Ok(match self.lexer.peek() {
            Some(b'"') => Node::String(self.lexer.string()?),
            Some(b'-' | b'0'..=b'9') => Node::Number(self.lexer.number()?),
            Some(b'[') => self.array_record(index)?,
            Some(b'{') => self.object_record(index)?,
            _ => match self.lexer.literal()? {
                Literal::Bool(value) => Node::Bool(value),
                Literal::Null => Node::Null,
            },
        })
    }

    /// A number that must be an integer (an index, a length, an offset).
    fn integer(&mut self, index: NodeId) -> Result<i64> {
        let n = self.lexer.number()?;
        // The cast truncates (and saturates, and maps NaN to 0), so it round-trips only for an
        // integer; 2^53 bounds every valid index and length. Cheaper than `fract`, a libm call.
        let integer = n as i64;
        if integer as f64 != n || integer.unsigned_abs() > 1 << 53 {
            return Err(self.invalid(index, format_args!("expected an integer, found {n:?}")));
        }
        Ok(integer)
    }

    /// A reference to another record or to a special value. `HOLE` and `SPARSE` are only valid
    /// where the caller handles them first.
    fn reference(&mut self, index: NodeId) -> Result<NodeId> {
        let n = self.integer(index)?;
        self.resolve(n, index)
    }

    fn resolve(&mut self, n: i64, index: NodeId) -> Result<NodeId> {
        if n >= 0 {
            return match NodeId::try_from(n) {
                Ok(id) if id < FIRST_PLACEHOLDER => Ok(id),
                _ => Err(self.invalid(index, format_args!("index {n} is out of range"))),
            };
        }
        match Special::from_index(n as f64) {
            Some(special) => {
                self.specials_used[special as usize] = true;
                Ok(special.placeholder())
            }
            None if n == HOLE => Err(self.invalid(index, "a hole (-2) is only allowed as an array element")),
            None if n == SPARSE => Err(self.invalid(index, "the sparse marker (-7) is only allowed first in an array")),
            None => Err(self.invalid(index, format_args!("invalid index {n}"))),
        }
    }

    /// `, <reference>`
    fn reference_arg(&mut self, index: NodeId) -> Result<NodeId> {
        self.lexer.expect(b',', "',' and an index")?;
        self.reference(index)
    }

    /// `, "<string>"`
    fn string_arg(&mut self) -> Result<JsString> {
        self.lexer.expect(b',', "',' and a string")?;
        self.lexer.string()
    }

    fn array_record(&mut self, index: NodeId) -> Result<Node> {
        self.lexer.expect(b'[', "'['")?;
        match self.lexer.peek() {
            Some(b']') => {
                self.lexer.expect(b']', "']'")?;
                Ok(Node::Array(Array::Dense(Vec::new())))
            }
            Some(b'"') => self.tagged_record(index),
            _ => match self.integer(index)? {
                SPARSE => self.sparse_array(index),
                first => self.plain_array(index, first),
            },
        }
    }

    /// `[ref, ref, -2, …]`, `first` already read.
    fn plain_array(&mut self, index: NodeId, first: i64) -> Result<Node> {
        let mut dense = Vec::new();
        // Switched to at the first hole.
        let mut holey: Option<Vec<(u32, NodeId)>> = None;
        let mut length: u32 = 0;
        let mut element = first;
        loop {
            if u64::from(length) == MAX_ARRAY_LENGTH {
                return Err(self.invalid(index, "array is longer than a JS array can be"));
            }
            if element == HOLE {
                holey.get_or_insert_with(|| (0..).zip(dense.drain(..)).collect());
            } else {
                let id = self.resolve(element, index)?;
                match &mut holey {
                    Some(items) => items.push((length, id)),
                    None => dense.push(id),
                }
            }
            length += 1;
            if !self.lexer.eat(b',') {
                break;
            }
            element = self.integer(index)?;
        }
        self.lexer.expect(b']', "',' or ']' in an array")?;
        Ok(Node::Array(match holey {
            Some(items) => Array::Holey { length, items },
            None => Array::Dense(dense),
        }))
    }

    /// `[-7, length, index, ref, index, ref, …]`, the marker already read.
    fn sparse_array(&mut self, index: NodeId) -> Result<Node> {
        self.lexer.expect(b',', "',' and the length of a sparse array")?;
        let length = self.integer(index)?;
        let length = u32::try_from(length)
            .map_err(|_| self.invalid(index, format_args!("invalid sparse array length {length}")))?;
        let mut items = Vec::new();
        while self.lexer.eat(b',') {
            let position = self.integer(index)?;
            let position = u32::try_from(position).ok().filter(|&position| position < length).ok_or_else(|| {
                self.invalid(index, format_args!("invalid index {position} in a sparse array of length {length}"))
            })?;
            let id = self.reference_arg(index)?;
            items.push((position, id));
        }
        self.lexer.expect(b']', "',' or ']' in a sparse array")?;
        // devalue sets the elements in the order given; a repeated index keeps its last value.
        if !items.windows(2).all(|pair| pair[0].0 < pair[1].0) {
            items.sort_by_key(|&(position, _)| position);
            items.dedup_by(|later, earlier| {
                let same = later.0 == earlier.0;
                if same {
                    earlier.1 = later.1;
                }
                same
            });
        }
        Ok(Node::Array(if items.len() as u64 == u64::from(length) {
            Array::Dense(items.into_iter().map(|(_, id)| id).collect())
        } else {
            Array::Holey { length, items }
        }))
    }

    /// `{"key": ref, …}`
    fn object_record(&mut self, index: NodeId) -> Result<Node> {
        self.lexer.expect(b'{', "'{'")?;
        let mut props = Vec::new();
        if !self.lexer.eat(b'}') {
            loop {
                let key = self.key(index)?;
                self.lexer.expect(b':', "':' after a key")?;
                props.push((key, self.reference(index)?));
                if !self.lexer.eat(b',') {
                    break;
                }
            }
            self.lexer.expect(b'}', "',' or '}' in an object")?;
        }
        normalize_keys(&mut props);
        Ok(Node::Object(Object { null_prototype: false, props }))
    }

    /// A property name; `__proto__` is refused, as devalue does, so no prototype can be replaced.
    fn key(&mut self, index: NodeId) -> Result<JsString> {
        if self.lexer.peek() != Some(b'"') {
            return Err(self.invalid(index, "object keys must be strings"));
        }
        let key = self.lexer.string()?;
        if key.as_wtf8() == b"__proto__" {
            return Err(self.invalid(index, "an object with a __proto__ property is refused"));
        }
        Ok(key)
    }

    /// `["Tag", …]`: everything that is not a plain array or object.
    fn tagged_record(&mut self, index: NodeId) -> Result<Node> {
        let tag = self.lexer.string()?;
        let node = match tag.as_wtf8() {
            b"Date" => {
                let text = self.string_arg()?;
                // devalue writes an invalid date as "".
                let time = if text.is_empty() { Some(f64::NAN) } else { date::parse_iso(text.as_wtf8()) };
                Node::Date(time.ok_or_else(|| self.invalid(index, format_args!("invalid date {text:?}")))?)
            }
            b"RegExp" => {
                let source = self.string_arg()?;
                let flags = if self.lexer.eat(b',') { Some(self.lexer.string()?) } else { None };
                let flags = match &flags {
                    None => Some(RegExpFlags::default()),
                    Some(flags) => flags.as_str().and_then(RegExpFlags::from_js),
                }
                .ok_or_else(|| {
                    self.invalid(index, format_args!("invalid RegExp flags {:?}", flags.unwrap_or_default()))
                })?;
                Node::RegExp(RegExp { source, flags })
            }
            b"Set" => {
                let mut values = Vec::new();
                while self.lexer.eat(b',') {
                    values.push(self.reference(index)?);
                }
                Node::Set(values)
            }
            b"Map" => {
                let mut entries = Vec::new();
                while self.lexer.eat(b',') {
                    let key = self.reference(index)?;
                    entries.push((key, self.reference_arg(index)?));
                }
                Node::Map(entries)
            }
            b"null" => {
                let mut props = Vec::new();
                while self.lexer.eat(b',') {
                    let key = self.key(index)?;
                    props.push((key, self.reference_arg(index)?));
                }
                normalize_keys(&mut props);
                Node::Object(Object { null_prototype: true, props })
            }
            b"Object" => Node::Boxed(self.reference_arg(index)?),
            b"BigInt" => {
                let text = self.string_arg()?;
                Node::BigInt(
                    parse_bigint(&text).ok_or_else(|| self.invalid(index, format_args!("invalid BigInt {text:?}")))?,
                )
            }
            b"ArrayBuffer" => {
                let text = self.string_arg()?;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(text.as_wtf8())
                    .map_err(|error| self.invalid(index, format_args!("invalid base64 in an ArrayBuffer: {error}")))?;
                Node::ArrayBuffer(bytes)
            }
            b"URL" => {
                self.lexer.expect(b',', "',' and the URL")?;
                if self.lexer.peek() == Some(b'"') {
                    // devalue's own form: the href inline.
                    Node::Url(self.lexer.string()?)
                } else {
                    // Astro's form (its reducer runs first): the index of the href string.
                    let href = self.reference(index)?;
                    self.url_hrefs.push((index, href));
                    Node::Url(JsString::new())
                }
            }
            b"URLSearchParams" => {
                self.lexer.expect(b',', "',' and the URLSearchParams text")?;
                Node::UrlSearchParams(self.lexer.string()?)
            }
            name => {
                if let Some(kind) = TemporalKind::from_tag(name) {
                    self.temporal(index, kind)?
                } else if let Some(kind) = tag.as_str().and_then(ViewKind::from_name) {
                    self.view(index, kind)?
                } else {
                    return Err(self.invalid(index, format_args!("unknown type {:?}", truncated(&tag))));
                }
            }
        };
        self.lexer.expect(b']', "']' after the record's arguments")?;
        Ok(node)
    }

    /// `["Temporal.PlainDate", "2020-01-01"]`: the text inline, as devalue 5.9 and 6 write it.
    fn temporal(&mut self, index: NodeId, kind: TemporalKind) -> Result<Node> {
        let text = self.string_arg()?;
        text.as_str()
            .and_then(|text| Temporal::new(kind, text))
            .map(Node::Temporal)
            .ok_or_else(|| self.invalid(index, format_args!("{kind} {:?} is not Temporal text", truncated(&text))))
    }

    /// `["Uint8Array", buffer]` or `["Uint8Array", buffer, byteOffset, length]`.
    fn view(&mut self, index: NodeId, kind: ViewKind) -> Result<Node> {
        let buffer = self.reference_arg(index)?;
        let mut byte_offset = None;
        let mut length = None;
        if self.lexer.eat(b',') {
            byte_offset = Some(self.size(index)?);
            if self.lexer.eat(b',') {
                length = Some(self.size(index)?);
            }
        }
        self.views.push(PendingView { node: index, byte_offset, length });
        Ok(Node::View(View { kind, buffer, byte_offset: 0, length: 0 }))
    }

    /// A byte offset or a length: a non-negative integer.
    fn size(&mut self, index: NodeId) -> Result<u64> {
        let n = self.integer(index)?;
        u64::try_from(n).map_err(|_| self.invalid(index, format_args!("invalid offset or length {n}")))
    }

    /// Resolves the references between records (see the module doc).
    fn link(&mut self) -> Result<()> {
        let graph = &mut self.graph;
        let records = graph.len() as NodeId;

        let mut special_ids = [0; Special::ALL.len()];
        for special in Special::ALL {
            if self.specials_used[special as usize] {
                special_ids[special as usize] = graph.push(special.node());
            }
        }
        for id in 0..records {
            let mut missing = None;
            graph.node_mut(id).for_each_child_mut(|child| {
                if *child >= FIRST_PLACEHOLDER {
                    *child = special_ids[(NodeId::MAX - *child) as usize];
                } else if *child >= records {
                    missing = Some(*child);
                }
            });
            if let Some(child) = missing {
                return Err(Error::parse(format!(
                    "invalid devalue text: record {id} points at record {child}, but there are only {records}"
                )));
            }
        }

        for &(url, href) in &self.url_hrefs {
            match graph.get(href) {
                Some(Node::String(text)) if href < records => *graph.node_mut(url) = Node::Url(text.clone()),
                _ => return Err(link_error(url, "a URL must point at a string record")),
            }
        }

        for pending in &self.views {
            let Node::View(view) = graph.node(pending.node) else { continue };
            let Node::ArrayBuffer(bytes) = graph.node(view.buffer) else {
                return Err(link_error(pending.node, "a typed array or DataView must point at an ArrayBuffer record"));
            };
            let (byte_offset, length) = view_bounds(view.kind, bytes.len() as u64, pending)
                .ok_or_else(|| link_error(pending.node, "the view's offset and length do not fit its buffer"))?;
            if let Node::View(view) = graph.node_mut(pending.node) {
                view.byte_offset = byte_offset;
                view.length = length;
            }
        }

        // Created on demand: the key a Map or Set stores for -0.
        let mut positive_zero = None;
        for id in 0..records {
            match graph.node(id) {
                Node::Boxed(target)
                    if !matches!(
                        graph.node(*target),
                        Node::Number(_) | Node::String(_) | Node::Bool(_) | Node::BigInt(_)
                    ) =>
                {
                    return Err(link_error(id, "a boxed primitive must point at a number, string, boolean or BigInt"));
                }
                Node::Map(_) => {
                    let Node::Map(entries) = graph.node_mut(id) else { continue };
                    let mut entries = std::mem::take(entries);
                    for (key, _) in &mut entries {
                        normalize_zero(graph, key, &mut positive_zero);
                    }
                    collapse_same_keys(graph, &mut entries, |&(key, _)| key, |kept, (_, value)| kept.1 = value);
                    *graph.node_mut(id) = Node::Map(entries);
                }
                Node::Set(_) => {
                    let Node::Set(values) = graph.node_mut(id) else { continue };
                    let mut values = std::mem::take(values);
                    for value in &mut values {
                        normalize_zero(graph, value, &mut positive_zero);
                    }
                    collapse_same_keys(graph, &mut values, |&value| value, |_, _| {});
                    *graph.node_mut(id) = Node::Set(values);
                }
                _ => {}
            }
        }
        Ok(())
    }
}

fn link_error(record: NodeId, message: &str) -> Error {
    Error::parse(format!("invalid devalue text: record {record}: {message}"))
}

/// A tag or text for an error message, cut short if it is long.
fn truncated(tag: &JsString) -> String {
    let text = tag.to_string_lossy();
    match text.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// `(byte offset, length)` of a view as the typed array or DataView constructor computes them
/// from `(buffer, byteOffset?, length?)`; `None` where the constructor throws a RangeError.
fn view_bounds(kind: ViewKind, buffer_len: u64, view: &PendingView) -> Option<(u64, u64)> {
    let element = kind.element_size();
    let offset = view.byte_offset.unwrap_or(0);
    if !offset.is_multiple_of(element) || offset > buffer_len {
        return None;
    }
    match view.length {
        Some(length) => (offset.checked_add(length.checked_mul(element)?)? <= buffer_len).then_some((offset, length)),
        None => (buffer_len - offset).is_multiple_of(element).then_some((offset, (buffer_len - offset) / element)),
    }
}

/// BigInt text as devalue writes it: `-?[0-9]+` (`BigInt()` would take more, such as `0x1f` or
/// `""`, which devalue never writes).
fn parse_bigint(text: &JsString) -> Option<BigInt> {
    let bytes = text.as_wtf8();
    let (sign, digits) = match bytes.strip_prefix(b"-") {
        Some(digits) => (Sign::Minus, digits),
        None => (Sign::Plus, bytes),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(BigInt::from_biguint(sign, parse_decimal(digits)?))
}

/// Decimal digits to a number. num-bigint converts digit by digit, in quadratic time (a second for
/// a million digits that hostile storage could hold); splitting in halves, `high * 10^len(low) +
/// low`, lets its fast multiplication do the work.
fn parse_decimal(digits: &[u8]) -> Option<BigUint> {
    // Below this, num-bigint's own loop is the faster one.
    const DIRECT: usize = 2000;
    if digits.len() <= DIRECT {
        return BigUint::parse_bytes(digits, 10);
    }
    let (high, low) = digits.split_at(digits.len() / 2);
    let scale = BigUint::from(10u32).pow(u32::try_from(low.len()).ok()?);
    Some(parse_decimal(high)? * scale + parse_decimal(low)?)
}

/// The array index a property key stands for (`"0"`, `"42"`, at most 2^32 - 2), if any.
fn array_index(key: &JsString) -> Option<u32> {
    let bytes = key.as_wtf8();
    let canonical = matches!(bytes, [b'0'] | [b'1'..=b'9', ..]) && bytes.len() <= 10;
    if !canonical || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = bytes.iter().fold(0u64, |value, &d| value * 10 + u64::from(d - b'0'));
    (value < MAX_ARRAY_LENGTH).then_some(value as u32)
}

/// Puts an object's properties as JS holds them: `JSON.parse` (and repeated assignment) keeps a
/// repeated key at its first position with its last value, and `Object.keys` lists array-index
/// keys first, in ascending order, then the others in insertion order.
fn normalize_keys(props: &mut Vec<(JsString, NodeId)>) {
    remove_repeated_keys(props);
    if props.iter().any(|(key, _)| array_index(key).is_some()) {
        // A stable sort keeps the other keys, all after u32::MAX, in their order.
        props.sort_by_cached_key(|(key, _)| array_index(key).map_or(u64::MAX, u64::from));
    }
}

fn remove_repeated_keys(props: &mut Vec<(JsString, NodeId)>) {
    // Small objects (nearly all of them) are cheapest to check pairwise; a hash keeps large
    // hostile objects linear.
    const PAIRWISE: usize = 16;
    if props.len() <= PAIRWISE {
        let mut kept = 0;
        for i in 0..props.len() {
            match props[..kept].iter().position(|(key, _)| *key == props[i].0) {
                Some(first) => props[first].1 = props[i].1,
                None => {
                    props.swap(kept, i);
                    kept += 1;
                }
            }
        }
        props.truncate(kept);
        return;
    }
    let mut first_of: FastMap<&[u8], usize> = FastMap::with_capacity_and_hasher(props.len(), Default::default());
    let firsts: Vec<usize> =
        props.iter().enumerate().map(|(i, (key, _))| *first_of.entry(key.as_wtf8()).or_insert(i)).collect();
    if firsts.iter().enumerate().all(|(i, &first)| i == first) {
        return;
    }
    for (i, &first) in firsts.iter().enumerate() {
        props[first].1 = props[i].1;
    }
    let mut i = 0;
    props.retain(|_| {
        i += 1;
        firsts[i - 1] == i - 1
    });
}

/// A Map key or Set value as `SameValueZero` compares them: primitives by value, objects by
/// identity.
#[derive(PartialEq, Eq, Hash)]
enum SameValueZero<'g> {
    Undefined,
    Null,
    Bool(bool),
    /// Bits of the number, with every NaN alike and -0 as +0.
    Number(u64),
    String(&'g [u8]),
    BigInt(&'g BigInt),
    Object(NodeId),
}

impl<'g> SameValueZero<'g> {
    fn of(graph: &'g Graph, id: NodeId) -> Self {
        match graph.node(id) {
            Node::Undefined => Self::Undefined,
            Node::Null => Self::Null,
            Node::Bool(value) => Self::Bool(*value),
            Node::Number(n) if n.is_nan() => Self::Number(f64::NAN.to_bits()),
            Node::Number(n) => Self::Number((n + 0.0).to_bits()),
            Node::String(text) => Self::String(text.as_wtf8()),
            Node::BigInt(value) => Self::BigInt(value),
            _ => Self::Object(id),
        }
    }
}

/// `Map.prototype.set` and `Set.prototype.add` store -0 as +0.
fn normalize_zero(graph: &mut Graph, id: &mut NodeId, positive_zero: &mut Option<NodeId>) {
    if matches!(graph.node(*id), Node::Number(n) if *n == 0.0 && n.is_sign_negative()) {
        *id = *positive_zero.get_or_insert_with(|| graph.push(Node::Number(0.0)));
    }
}

/// Collapses items with the same key as repeated `Map.set` / `Set.add` would: the first position
/// stays, `merge` folds a later item into it.
fn collapse_same_keys<T: Copy>(
    graph: &Graph,
    items: &mut Vec<T>,
    key: impl Fn(&T) -> NodeId,
    merge: impl Fn(&mut T, T),
) {
    if items.len() < 2 {
        return;
    }
    let mut first_of = FastMap::with_capacity_and_hasher(items.len(), Default::default());
    let mut kept = 0;
    for i in 0..items.len() {
        let item = items[i];
        match first_of.entry(SameValueZero::of(graph, key(&item))) {
            Entry::Occupied(first) => merge(&mut items[*first.get()], item),
            Entry::Vacant(slot) => {
                slot.insert(kept);
                items[kept] = item;
                kept += 1;
            }
        }
    }
    items.truncate(kept);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bigints_split_in_halves_equal_the_direct_conversion() {
        let digits: Vec<u8> = (0..25_000u32).map(|i| b'0' + (i * 7 % 10) as u8).collect();
        assert_eq!(parse_decimal(&digits), BigUint::parse_bytes(&digits, 10));
        let text = JsString::from(format!("-000{}", std::str::from_utf8(&digits).unwrap()));
        assert_eq!(parse_bigint(&text), BigInt::parse_bytes(text.as_wtf8(), 10));
        assert_eq!(parse_bigint(&"-0".into()), Some(BigInt::from(0)));
        assert_eq!(parse_bigint(&"007".into()), Some(BigInt::from(7)));
    }

    #[test]
    fn array_index_keys() {
        for (key, index) in [("0", Some(0)), ("42", Some(42)), ("4294967294", Some(u32::MAX - 1))] {
            assert_eq!(array_index(&key.into()), index, "{key}");
        }
        for key in ["", "01", "-1", "+1", "1.0", "1e3", "4294967295", "99999999999", " 1", "a"] {
            assert_eq!(array_index(&key.into()), None, "{key}");
        }
    }

    #[test]
    fn view_bounds_follow_the_constructors() {
        let view = |byte_offset, length| PendingView { node: 0, byte_offset, length };
        // new Uint16Array(buffer of 8) / (buffer, 2) / (buffer, 2, 1)
        assert_eq!(view_bounds(ViewKind::Uint16Array, 8, &view(None, None)), Some((0, 4)));
        assert_eq!(view_bounds(ViewKind::Uint16Array, 8, &view(Some(2), None)), Some((2, 3)));
        assert_eq!(view_bounds(ViewKind::Uint16Array, 8, &view(Some(2), Some(1))), Some((2, 1)));
        assert_eq!(view_bounds(ViewKind::Uint16Array, 8, &view(Some(8), Some(0))), Some((8, 0)));
        // RangeErrors: odd buffer, misaligned offset, past the end, overflow.
        assert_eq!(view_bounds(ViewKind::Uint16Array, 7, &view(None, None)), None);
        assert_eq!(view_bounds(ViewKind::Uint16Array, 8, &view(Some(1), Some(1))), None);
        assert_eq!(view_bounds(ViewKind::Uint16Array, 8, &view(Some(2), Some(4))), None);
        assert_eq!(view_bounds(ViewKind::Uint16Array, 8, &view(Some(10), None)), None);
        assert_eq!(view_bounds(ViewKind::Float64Array, 8, &view(Some(0), Some(u64::MAX))), None);
        // A DataView counts bytes and has no alignment.
        assert_eq!(view_bounds(ViewKind::DataView, 7, &view(Some(3), None)), Some((3, 4)));
    }
}
