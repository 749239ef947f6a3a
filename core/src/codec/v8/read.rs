//! Reading V8's serialization (what `v8.Serializer` wrote) into a [`Graph`].
//!
//! Containers are read with an explicit stack of [`Frame`]s, never by recursion, so nesting depth
//! is bounded by memory rather than by the Rust stack. Object ids follow V8's `ValueDeserializer`
//! exactly (see `assign_id`), so `^` back-references land on the node V8 would have returned.
//!
//! Where this reader knowingly differs from V8's:
//! - a resizable ArrayBuffer is read as a fixed one of its current bytes, and a length-tracking
//!   view as a fixed view over the rest of its buffer (devalue has no resizability either);
//! - named (non-index) properties of arrays are read but dropped, as devalue drops them;
//! - the only host object it knows is the URL [`super::write()`] writes; any other is refused;
//! - a RegExp pattern is not compiled, and Map keys and Set values are taken as written (V8's
//!   serializer never writes one twice);
//! - it is stricter about garbage: varints over 5 bytes, and bytes after the value that are not
//!   the JS layer's trailer, are errors.

use num_bigint::{BigInt, Sign};

use super::input::{show, truncated, unexpected, Input};
use super::keys::{array_index, number_key};
use super::{
    tags, trailer, SUPPORTED_VERSIONS, TEMPORAL_HOST_OBJECT_TYPE, URL_HOST_OBJECT_TYPE,
    URL_SEARCH_PARAMS_HOST_OBJECT_TYPE,
};
use crate::codec::{Array, Graph, JsString, Node, NodeId, Object, RegExp, RegExpFlags, Temporal, TemporalKind, View};
use crate::{Error, Result};

/// The most nodes reserved up front, whatever the size of the input.
const RESERVED_NODES_MAX: usize = 1 << 16;

/// Objects up to this many properties are checked for duplicate keys pairwise; larger ones by
/// sorting.
const PAIRWISE_KEY_CHECK: usize = 8;

pub fn read(bytes: &[u8]) -> Result<(Graph, NodeId)> {
    let mut input = Input::new(bytes);
    let version = header(&mut input)?;
    match Reader::new(input.clone(), version >= 14).run() {
        // V8 once wrote version-13 data with the view flags of version 14 (crbug.com/1284506),
        // and its deserializer retries such data that way; so does this one.
        Err(error) if version == 13 => Reader::new(input, true).run().map_err(|_| error),
        result => result,
    }
}

/// Reads the header and checks that its version is one this reader knows.
fn header(input: &mut Input) -> Result<u32> {
    if input.byte().ok() != Some(tags::VERSION) {
        return Err(Error::parse("malformed V8 data: no version header (was it written with writeHeader()?)"));
    }
    let version = input.varint()?;
    if !SUPPORTED_VERSIONS.contains(&version) {
        return Err(Error::parse(format!(
            "V8 serialization format version {version} is unsupported (this build reads versions {} to {})",
            SUPPORTED_VERSIONS.start(),
            SUPPORTED_VERSIONS.end()
        )));
    }
    Ok(version)
}

struct Reader<'a> {
    input: Input<'a>,
    /// Views carry flags (format version 14 on).
    views_have_flags: bool,
    graph: Graph,
    /// The node of each V8 object id: index = id.
    objects: Vec<NodeId>,
    /// V8 ids of resizable ArrayBuffers, ascending; views over them must say so in their flags.
    resizable: Vec<u32>,
    /// The containers around the one being read, outermost first.
    stack: Vec<Frame>,
    /// Children read so far of the open containers, each container's after its parents' (no
    /// inner container is open when a container takes a child). A finished container moves its
    /// own into its node, in one allocation of the exact size.
    pending_props: Vec<(JsString, NodeId)>,
    pending_ids: Vec<NodeId>,
    pending_items: Vec<(u32, NodeId)>,
    /// Scratch space to look for duplicate keys in large objects.
    key_order: Vec<usize>,
}

/// A container being read. Its children so far are in the reader's `pending_*` stacks, from
/// `start` on.
#[derive(Clone, Copy)]
enum Frame {
    /// Properties in `pending_props`; the last one's value is a placeholder while it is read.
    Object {
        node: NodeId,
        start: usize,
    },
    Array(ArrayFrame),
    /// Keys and values, alternately, in `pending_ids`.
    Map {
        node: NodeId,
        start: usize,
    },
    /// Values in `pending_ids`.
    Set {
        node: NodeId,
        start: usize,
    },
}

#[derive(Clone, Copy)]
struct ArrayFrame {
    node: NodeId,
    /// `A` (elements first, then properties) rather than `a` (properties only).
    dense: bool,
    /// The declared length.
    length: u32,
    /// The index of the next element of a dense array; `length` once they are all read.
    next: u32,
    /// Elements are in `pending_ids` from `start` while each came at the next index…
    start: usize,
    /// …and in `pending_items` from here once one did not.
    holey: Option<usize>,
    /// The holey elements came in ascending order.
    sorted: bool,
    /// The key of the property read, whose value comes next.
    key: Option<ArrayKey>,
    props: u32,
}

#[derive(Clone, Copy)]
enum ArrayKey {
    Element(u32),
    /// A named property of an array: read (it may hold objects referenced elsewhere) but not kept,
    /// as devalue keeps none.
    Ignored,
}

/// What starting to read a value gave.
enum Begun {
    Value(NodeId),
    Container(Frame),
}

/// What a container wants next.
enum Advance {
    Value,
    Done,
}

impl<'a> Reader<'a> {
    fn new(input: Input<'a>, views_have_flags: bool) -> Self {
        // A node takes a few bytes of input at least; reserving by the input size avoids most
        // regrowth without trusting any length inside it (up to a bound, as the input may also
        // be one large ArrayBuffer).
        let nodes = (input.remaining() / 8).min(RESERVED_NODES_MAX) + 1;
        Self {
            input,
            views_have_flags,
            graph: Graph::with_capacity(nodes),
            objects: Vec::with_capacity(nodes / 2),
            resizable: Vec::new(),
            stack: Vec::new(),
            pending_props: Vec::new(),
            pending_ids: Vec::new(),
            pending_items: Vec::new(),
            key_order: Vec::new(),
        }
    }

    fn run(mut self) -> Result<(Graph, NodeId)> {
        let root = self.value()?;
        if !self.input.at_end() {
            trailer::apply(&mut self.input, &mut self.graph, &self.objects)?;
        }
        Ok((self.graph, root))
    }

    /// Reads one value, with everything inside it.
    fn value(&mut self) -> Result<NodeId> {
        let mut frame = match self.begin_value()? {
            Begun::Value(id) => return Ok(id),
            Begun::Container(frame) => frame,
        };
        loop {
            // `frame` is the innermost open container; its parents are on `self.stack`.
            match self.advance(&mut frame)? {
                Advance::Value => match self.begin_value()? {
                    Begun::Value(id) => self.accept(&mut frame, id)?,
                    Begun::Container(child) => self.stack.push(std::mem::replace(&mut frame, child)),
                },
                Advance::Done => {
                    let id = self.finish(frame)?;
                    match self.stack.pop() {
                        Some(parent) => {
                            frame = parent;
                            self.accept(&mut frame, id)?;
                        }
                        None => return Ok(id),
                    }
                }
            }
        }
    }

    /// Reads a value that holds no other value, or opens a container.
    fn begin_value(&mut self) -> Result<Begun> {
        let at = self.input.position();
        let tag = self.input.value_tag()?;
        let node = match tag {
            tags::UNDEFINED => Node::Undefined,
            tags::NULL => Node::Null,
            tags::TRUE => Node::Bool(true),
            tags::FALSE => Node::Bool(false),
            tags::INT32 => Node::Number(self.input.zigzag()? as f64),
            tags::UINT32 => Node::Number(self.input.varint()? as f64),
            tags::DOUBLE => Node::Number(self.input.double()?),
            tags::BIGINT => Node::BigInt(self.bigint()?),
            tags::ONE_BYTE_STRING | tags::TWO_BYTE_STRING | tags::UTF8_STRING => {
                Node::String(self.input.string_body(tag)?)
            }
            tags::OBJECT_REFERENCE => return self.reference().map(Begun::Value),
            tags::BEGIN_JS_OBJECT => {
                let node = self.assign_id(Node::Object(Object { null_prototype: false, props: Vec::new() }));
                return Ok(Begun::Container(Frame::Object { node, start: self.pending_props.len() }));
            }
            tags::BEGIN_DENSE_JS_ARRAY | tags::BEGIN_SPARSE_JS_ARRAY => {
                let dense = tag == tags::BEGIN_DENSE_JS_ARRAY;
                let length = self.input.varint()?;
                // Every element of a dense array takes a byte at least (V8 checks the same).
                if dense && length as usize > self.input.remaining() {
                    return Err(truncated("an array"));
                }
                let node = self.assign_id(Node::Array(Array::Dense(Vec::new())));
                return Ok(Begun::Container(Frame::Array(ArrayFrame {
                    node,
                    dense,
                    length,
                    next: if dense { 0 } else { length },
                    start: self.pending_ids.len(),
                    holey: None,
                    sorted: true,
                    key: None,
                    props: 0,
                })));
            }
            tags::BEGIN_JS_MAP => {
                let node = self.assign_id(Node::Map(Vec::new()));
                return Ok(Begun::Container(Frame::Map { node, start: self.pending_ids.len() }));
            }
            tags::BEGIN_JS_SET => {
                let node = self.assign_id(Node::Set(Vec::new()));
                return Ok(Begun::Container(Frame::Set { node, start: self.pending_ids.len() }));
            }
            tags::DATE => {
                let time = time_clip(self.input.double()?);
                return Ok(Begun::Value(self.assign_id(Node::Date(time))));
            }
            tags::TRUE_OBJECT
            | tags::FALSE_OBJECT
            | tags::NUMBER_OBJECT
            | tags::BIGINT_OBJECT
            | tags::STRING_OBJECT => {
                let primitive = match tag {
                    tags::TRUE_OBJECT => Node::Bool(true),
                    tags::FALSE_OBJECT => Node::Bool(false),
                    tags::NUMBER_OBJECT => Node::Number(self.input.double()?),
                    tags::BIGINT_OBJECT => Node::BigInt(self.bigint()?),
                    _ => Node::String(self.input.string("a String object")?),
                };
                let primitive = self.graph.push(primitive);
                return Ok(Begun::Value(self.assign_id(Node::Boxed(primitive))));
            }
            tags::REGEXP => {
                let source = self.input.string("a RegExp pattern")?;
                let flags = regexp_flags(self.input.varint()?)?;
                return Ok(Begun::Value(self.assign_id(Node::RegExp(RegExp { source, flags }))));
            }
            tags::ARRAY_BUFFER | tags::RESIZABLE_ARRAY_BUFFER => return self.array_buffer(tag).map(Begun::Value),
            tags::HOST_OBJECT => return self.host_object(at).map(Begun::Value),
            tags::THE_HOLE => {
                return Err(Error::parse(format!("malformed V8 data: a hole outside an array at byte {at}")))
            }
            tags::ARRAY_BUFFER_VIEW => {
                return Err(Error::parse(format!("malformed V8 data: a view without its ArrayBuffer at byte {at}")))
            }
            _ => return Err(unexpected(tag, at, "a value")),
        };
        Ok(Begun::Value(self.graph.push(node)))
    }

    /// Adds an object node under the next V8 object id.
    ///
    /// V8's deserializer gives every object (never a primitive, string or BigInt) the next id as it
    /// starts reading it, before its contents for containers, so ids are numbered in the order
    /// objects first appear in the bytes. A view comes right after its ArrayBuffer and is numbered
    /// after it. Since only containers hold values that take ids, numbering a leaf object once it
    /// is read gives the same ids.
    fn assign_id(&mut self, node: Node) -> NodeId {
        let id = self.graph.push(node);
        self.objects.push(id);
        id
    }

    /// `^` and an object id: the object, or a view over it when it is an ArrayBuffer and a view
    /// follows.
    fn reference(&mut self) -> Result<NodeId> {
        let id = self.input.varint()?;
        let node = *self.objects.get(id as usize).ok_or_else(|| {
            Error::parse(format!("malformed V8 data: reference to object {id}, which has not been read"))
        })?;
        match self.graph.node(node) {
            Node::ArrayBuffer(bytes) => self.view_after(node, id, bytes.len() as u64),
            _ => Ok(node),
        }
    }

    fn array_buffer(&mut self, tag: u8) -> Result<NodeId> {
        let byte_length = self.input.varint()?;
        if tag == tags::RESIZABLE_ARRAY_BUFFER {
            // A resizable buffer is read as a fixed-size one holding its current bytes: the model
            // has no resizability, and devalue keeps none either.
            let max_byte_length = self.input.varint()?;
            if byte_length > max_byte_length {
                return Err(Error::parse("malformed V8 data: resizable ArrayBuffer longer than its maximum"));
            }
            self.resizable.push(self.objects.len() as u32);
        }
        let bytes = self.input.raw(byte_length as usize, "an ArrayBuffer")?.to_vec();
        let id = self.objects.len() as u32;
        let node = self.assign_id(Node::ArrayBuffer(bytes));
        self.view_after(node, id, byte_length as u64)
    }

    /// After an ArrayBuffer, new or referenced: V8's `ReadObject` reads a view over it when the
    /// next tag is `V`, and returns the view instead of the buffer.
    fn view_after(&mut self, buffer: NodeId, buffer_id: u32, buffer_length: u64) -> Result<NodeId> {
        if self.input.peek_tag() != Some(tags::ARRAY_BUFFER_VIEW) {
            return Ok(buffer);
        }
        self.input.consume_peeked();
        let subtag = self.input.varint()?;
        let byte_offset = self.input.varint()?;
        let byte_length = self.input.varint()?;
        if byte_offset as u64 + byte_length as u64 > buffer_length {
            return Err(Error::parse("malformed V8 data: view out of the bounds of its ArrayBuffer"));
        }
        let flags = if self.views_have_flags { self.input.varint()? } else { 0 };
        let kind = u8::try_from(subtag)
            .ok()
            .and_then(tags::view_kind)
            .ok_or_else(|| Error::parse(format!("malformed V8 data: unknown view type {subtag}")))?;
        let element_size = kind.element_size() as u32;
        if byte_offset % element_size != 0 || byte_length % element_size != 0 {
            return Err(Error::parse(format!("malformed V8 data: misaligned {}", kind.name())));
        }
        // As V8's `ValidateJSArrayBufferViewFlags`: a view over a resizable buffer says so, and
        // only such a view may.
        let backed_by_rab = flags & tags::VIEW_IS_BACKED_BY_RAB != 0;
        let resizable_flags = flags & (tags::VIEW_IS_BACKED_BY_RAB | tags::VIEW_IS_LENGTH_TRACKING) != 0;
        if resizable_flags != self.resizable.binary_search(&buffer_id).is_ok() || resizable_flags != backed_by_rab {
            return Err(Error::parse(format!("malformed V8 data: {} flags do not match its ArrayBuffer", kind.name())));
        }
        // A length-tracking view (V8 writes its length as 0) spans the rest of its buffer; the
        // buffer is fixed from now on, so it is read as a fixed view over that span.
        let length = if flags & tags::VIEW_IS_LENGTH_TRACKING != 0 {
            (buffer_length - byte_offset as u64) / element_size as u64
        } else {
            (byte_length / element_size) as u64
        };
        Ok(self.assign_id(Node::View(View { kind, buffer, byte_offset: byte_offset as u64, length })))
    }

    /// A host object: only the URLs, URLSearchParams and Temporal values [`super::write()`] writes
    /// are known (so that what this codec writes, it reads); any other is a native object a
    /// session cannot hold.
    fn host_object(&mut self, at: usize) -> Result<NodeId> {
        let host_type = self.input.varint()?;
        let temporal = host_type.checked_sub(TEMPORAL_HOST_OBJECT_TYPE).and_then(TemporalKind::from_index);
        let what = match (host_type, temporal) {
            (URL_HOST_OBJECT_TYPE, _) => "a URL",
            (URL_SEARCH_PARAMS_HOST_OBJECT_TYPE, _) => "a URLSearchParams",
            (_, Some(kind)) => kind.tag(),
            _ => return Err(unexpected(tags::HOST_OBJECT, at, "a value")),
        };
        let text = std::str::from_utf8(self.input.sized(what)?)
            .map_err(|_| Error::parse(format!("malformed V8 data: {what} whose text is not UTF-8")))?;
        let node = match (host_type, temporal) {
            (URL_HOST_OBJECT_TYPE, _) => Node::Url(JsString::from(text)),
            (_, Some(kind)) => Node::Temporal(Temporal::new(kind, text).ok_or_else(|| {
                Error::parse(format!(
                    "malformed V8 data: {kind} {:?} is not Temporal text",
                    text.chars().take(40).collect::<String>()
                ))
            })?),
            _ => Node::UrlSearchParams(JsString::from(text)),
        };
        Ok(self.assign_id(node))
    }

    /// The bitfield (bit 0 sign, bits 1..=30 byte length), then little-endian digits.
    fn bigint(&mut self) -> Result<BigInt> {
        let bitfield = self.input.varint()?;
        let byte_length = (bitfield >> 1) & ((1 << 30) - 1);
        let digits = self.input.raw(byte_length as usize, "a BigInt")?;
        let sign = if bitfield & 1 != 0 { Sign::Minus } else { Sign::Plus };
        // A zero magnitude comes out as 0n whatever the sign bit, as in V8.
        Ok(BigInt::from_bytes_le(sign, digits))
    }

    /// Says what `frame` wants next, reading its end (and checking its counts) or the key of its
    /// next property on the way.
    fn advance(&mut self, frame: &mut Frame) -> Result<Advance> {
        match frame {
            Frame::Object { start, .. } => {
                if self.end(tags::END_JS_OBJECT)? {
                    let count = self.input.varint()? as usize;
                    return counted(count == self.pending_props.len() - *start, "an object's property count");
                }
                let (key, _) = self.key()?;
                // The value's place, filled by `accept`.
                self.pending_props.push((key, NodeId::MAX));
                Ok(Advance::Value)
            }
            Frame::Array(array) => {
                while array.next < array.length {
                    if self.input.peek_tag() != Some(tags::THE_HOLE) {
                        return Ok(Advance::Value);
                    }
                    self.input.consume_peeked();
                    array.next += 1;
                }
                let end = if array.dense { tags::END_DENSE_JS_ARRAY } else { tags::END_SPARSE_JS_ARRAY };
                if self.end(end)? {
                    let count = self.input.varint()?;
                    let declared = self.input.varint()?;
                    let matches = count == array.props && declared == array.length;
                    return counted(matches, "an array's property count or length");
                }
                let (_, index) = self.key()?;
                array.key = Some(index.map_or(ArrayKey::Ignored, ArrayKey::Element));
                Ok(Advance::Value)
            }
            Frame::Map { start, .. } => {
                let read = self.pending_ids.len() - *start;
                // The end may come only where a key would.
                if read.is_multiple_of(2) && self.end(tags::END_JS_MAP)? {
                    let count = self.input.varint()? as usize;
                    return counted(count == read, "a Map's size");
                }
                Ok(Advance::Value)
            }
            Frame::Set { start, .. } => {
                if self.end(tags::END_JS_SET)? {
                    let count = self.input.varint()? as usize;
                    return counted(count == self.pending_ids.len() - *start, "a Set's size");
                }
                Ok(Advance::Value)
            }
        }
    }

    /// Gives the open container `frame` the value just read.
    fn accept(&mut self, frame: &mut Frame, value: NodeId) -> Result<()> {
        match frame {
            Frame::Object { .. } => {
                if let Some((_, slot)) = self.pending_props.last_mut() {
                    *slot = value;
                }
            }
            Frame::Array(array) => match array.key.take() {
                Some(ArrayKey::Element(index)) => {
                    self.put_element(array, index, value)?;
                    array.props += 1;
                }
                Some(ArrayKey::Ignored) => array.props += 1,
                None => {
                    self.put_element(array, array.next, value)?;
                    array.next += 1;
                }
            },
            Frame::Map { .. } | Frame::Set { .. } => self.pending_ids.push(value),
        }
        Ok(())
    }

    /// Adds an element to an array: dense while each index is the next one, holey after.
    fn put_element(&mut self, array: &mut ArrayFrame, index: u32, value: NodeId) -> Result<()> {
        match array.holey {
            None => {
                let count = self.pending_ids.len() - array.start;
                if index as usize == count {
                    self.pending_ids.push(value);
                    return Ok(());
                }
                if (index as usize) < count {
                    return Err(duplicate_element(index));
                }
                array.holey = Some(self.pending_items.len());
                let dense = self.pending_ids.drain(array.start..).enumerate();
                self.pending_items.extend(dense.map(|(i, id)| (i as u32, id)));
            }
            Some(holey) => {
                array.sorted &= self.pending_items[holey..].last().is_none_or(|&(last, _)| last < index);
            }
        }
        self.pending_items.push((index, value));
        Ok(())
    }

    /// Consumes `end_tag` if it comes next.
    fn end(&mut self, end_tag: u8) -> Result<bool> {
        match self.input.peek_tag() {
            Some(tag) if tag == end_tag => {
                self.input.consume_peeked();
                Ok(true)
            }
            Some(_) => Ok(false),
            None => Err(truncated("a container")),
        }
    }

    /// A property key: a string, or a number standing for its string form (V8 writes integer
    /// keys as numbers). Also says whether it is an array index.
    fn key(&mut self) -> Result<(JsString, Option<u32>)> {
        let at = self.input.position();
        match self.input.value_tag()? {
            tag @ (tags::ONE_BYTE_STRING | tags::TWO_BYTE_STRING | tags::UTF8_STRING) => {
                let name = self.input.string_body(tag)?;
                let index = array_index(name.as_wtf8());
                Ok((name, index))
            }
            tags::INT32 => Ok(number_key(self.input.zigzag()? as f64)),
            tags::UINT32 => Ok(number_key(self.input.varint()? as f64)),
            tags::DOUBLE => Ok(number_key(self.input.double()?)),
            tag => Err(match tags::unsupported_value(tag) {
                Some(_) => unexpected(tag, at, "a property key"),
                None => Error::parse(format!(
                    "malformed V8 data: property key with tag {} at byte {at} is not a string or number",
                    show(tag)
                )),
            }),
        }
    }

    /// Moves a finished container's children into its node.
    fn finish(&mut self, frame: Frame) -> Result<NodeId> {
        let (node, value) = match frame {
            Frame::Object { node, start } => {
                let props = &mut self.pending_props[start..];
                check_unique_keys(props, &mut self.key_order)?;
                if !in_key_order(props) {
                    // `Object.keys` order: array indices ascending, then the other keys as added.
                    props.sort_by_cached_key(|(name, _)| array_index(name.as_wtf8()).map_or(u64::MAX, u64::from));
                }
                let props = self.pending_props.drain(start..).collect();
                (node, Node::Object(Object { null_prototype: false, props }))
            }
            Frame::Array(array) => (array.node, Node::Array(self.finish_array(array)?)),
            Frame::Map { node, start } => {
                let entries = self.pending_ids[start..].chunks_exact(2).map(|pair| (pair[0], pair[1])).collect();
                self.pending_ids.truncate(start);
                (node, Node::Map(entries))
            }
            Frame::Set { node, start } => (node, Node::Set(self.pending_ids.drain(start..).collect())),
        };
        *self.graph.node_mut(node) = value;
        Ok(node)
    }

    /// The array, whose length is the declared one or, if an index property lies beyond it (V8
    /// grows the array then), that index plus one.
    fn finish_array(&mut self, array: ArrayFrame) -> Result<Array> {
        let declared = array.length;
        let Some(holey) = array.holey else {
            let items = &self.pending_ids[array.start..];
            let elements = if items.len() >= declared as usize {
                Array::Dense(items.to_vec())
            } else {
                Array::Holey {
                    length: declared,
                    items: items.iter().enumerate().map(|(i, &id)| (i as u32, id)).collect(),
                }
            };
            self.pending_ids.truncate(array.start);
            return Ok(elements);
        };
        let items = &mut self.pending_items[holey..];
        if !array.sorted {
            items.sort_unstable_by_key(|&(index, _)| index);
            if let Some(pair) = items.windows(2).find(|pair| pair[0].0 == pair[1].0) {
                return Err(duplicate_element(pair[0].0));
            }
        }
        // Indices are below 2^32 - 1, so the length fits.
        let length = items.last().map_or(declared, |&(last, _)| declared.max(last + 1));
        let elements = if items.len() == length as usize {
            Array::Dense(items.iter().map(|&(_, id)| id).collect())
        } else {
            Array::Holey { length, items: items.to_vec() }
        };
        self.pending_items.truncate(holey);
        Ok(elements)
    }
}

fn duplicate_element(index: u32) -> Error {
    Error::parse(format!("malformed V8 data: array element {index} given twice"))
}

fn counted(matches: bool, what: &str) -> Result<Advance> {
    if matches {
        Ok(Advance::Done)
    } else {
        Err(Error::parse(format!("malformed V8 data: wrong {what}")))
    }
}

/// V8 refuses an object that names a property twice (`1` and `"1"` are the same key).
fn check_unique_keys(props: &[(JsString, NodeId)], order: &mut Vec<usize>) -> Result<()> {
    let duplicate = if props.len() <= PAIRWISE_KEY_CHECK {
        props
            .iter()
            .enumerate()
            .find_map(|(i, (name, _))| props[..i].iter().find(|(other, _)| other == name).map(|_| name))
    } else {
        order.clear();
        order.extend(0..props.len());
        order.sort_unstable_by(|&a, &b| props[a].0.cmp(&props[b].0));
        order.windows(2).find(|pair| props[pair[0]].0 == props[pair[1]].0).map(|pair| &props[pair[0]].0)
    };
    match duplicate {
        Some(name) => Err(Error::parse(format!("malformed V8 data: property {name:?} given twice"))),
        None => Ok(()),
    }
}

/// Whether the keys are in `Object.keys` order already, as V8 writes them.
fn in_key_order(props: &[(JsString, NodeId)]) -> bool {
    let mut last_index = None;
    let mut named = false;
    for (name, _) in props {
        match array_index(name.as_wtf8()) {
            Some(index) if named || last_index.is_some_and(|last| last >= index) => return false,
            Some(index) => last_index = Some(index),
            None => named = true,
        }
    }
    true
}

/// A Date's time value as V8's `JSDate::New` stores it (ECMAScript TimeClip).
fn time_clip(time: f64) -> f64 {
    if time.abs() <= 8.64e15 {
        time.trunc() + 0.0
    } else {
        f64::NAN
    }
}

/// V8's `JSRegExp::Flags` bits to flags; V8 refuses unknown bits, and `linear` without an
/// experimental engine flag.
fn regexp_flags(bits: u32) -> Result<RegExpFlags> {
    let mut letters = [0u8; tags::REGEXP_FLAG_BITS.len()];
    let mut count = 0;
    let mut known = 0;
    for (letter, bit) in tags::REGEXP_FLAG_BITS {
        known |= bit;
        if bits & bit != 0 {
            letters[count] = letter;
            count += 1;
        }
    }
    if bits & !known != 0 {
        return Err(Error::parse(format!("malformed V8 data: unsupported RegExp flag bits {:#x}", bits & !known)));
    }
    std::str::from_utf8(&letters[..count])
        .ok()
        .and_then(RegExpFlags::from_js)
        .ok_or_else(|| Error::parse("malformed V8 data: RegExp with both the u and v flags"))
}
