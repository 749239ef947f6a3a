//! The value model every codec reads and writes: a graph of JS values held in an arena.
//!
//! Session values may share references and contain cycles, so a value is not a tree but a graph:
//! nodes live in a `Vec`, and containers point at their children by [`NodeId`]. Identity is the
//! node id — two containers that point at the same id hold the same JS object, which is what
//! devalue's repeated references and V8's back-references express. Walking the graph never
//! recurses on the Rust stack, so hostile nesting depth cannot overflow it.
//!
//! Primitives are nodes too (devalue gives each its own index); two primitive nodes with equal
//! values are interchangeable, and writers de-duplicate them by value where the format does.

use num_bigint::BigInt;

use super::string::JsString;
use super::temporal::Temporal;

/// Index of a node in its [`Graph`].
pub type NodeId = u32;

/// A hash map keyed by node id. Ids are small dense integers: a multiplicative hash spreads them
/// over the table as well as SipHash would, for a fraction of its cost.
pub type NodeMap<V> = std::collections::HashMap<NodeId, V, std::hash::BuildHasherDefault<NodeIdHasher>>;

#[derive(Default)]
pub struct NodeIdHasher(u64);

impl std::hash::Hasher for NodeIdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u32(&mut self, id: u32) {
        self.0 = u64::from(id).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// An arena of JS values.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Graph {
    nodes: Vec<Node>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Undefined,
    Null,
    Bool(bool),
    /// Any double, NaN, ±Infinity and -0 included.
    Number(f64),
    String(JsString),
    BigInt(BigInt),
    Array(Array),
    Object(Object),
    /// Milliseconds since the epoch; NaN is an invalid date.
    Date(f64),
    RegExp(RegExp),
    /// Entries in insertion order.
    Map(Vec<(NodeId, NodeId)>),
    /// Values in insertion order.
    Set(Vec<NodeId>),
    /// A boxed primitive (`new Number(1)`, `Object(1n)`…): points at a Number, String, Bool or
    /// BigInt node.
    Boxed(NodeId),
    ArrayBuffer(Vec<u8>),
    /// A typed array or DataView over an `ArrayBuffer` node.
    View(View),
    /// A WHATWG URL, by its `href`.
    Url(JsString),
    /// A `URLSearchParams`, by its `toString()`.
    UrlSearchParams(JsString),
    /// A `Temporal.Duration`, `Temporal.Instant`, `Temporal.PlainDate`…, by its `toString()`.
    Temporal(Temporal),
}

/// An array: dense (no holes) or with holes / sparse.
#[derive(Clone, Debug, PartialEq)]
pub enum Array {
    /// `length == items.len()`, every index present.
    Dense(Vec<NodeId>),
    /// Only the present indices, ascending and unique, each below `length`.
    Holey { length: u32, items: Vec<(u32, NodeId)> },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    /// `Object.create(null)` rather than a plain `{}`.
    pub null_prototype: bool,
    /// Own enumerable string keys in `Object.keys` order, each at most once.
    pub props: Vec<(JsString, NodeId)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RegExp {
    /// The pattern as `RegExp.prototype.source` gives it.
    pub source: JsString,
    pub flags: RegExpFlags,
}

/// RegExp flags as a set; [`RegExpFlags::to_js`] gives them in the order of `RegExp.prototype.flags`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RegExpFlags(u16);

impl RegExpFlags {
    /// The flag letters in the order `RegExp.prototype.flags` lists them.
    pub const ORDER: &'static [u8; 8] = b"dgimsuvy";

    /// Parses a flags string; `None` for an unknown or repeated letter, or for `u` with `v`.
    pub fn from_js(flags: &str) -> Option<Self> {
        let mut bits = 0u16;
        for letter in flags.bytes() {
            let position = Self::ORDER.iter().position(|&l| l == letter)?;
            let bit = 1 << position;
            if bits & bit != 0 {
                return None;
            }
            bits |= bit;
        }
        let both_unicode_modes = (1 << 5) | (1 << 6);
        if bits & both_unicode_modes == both_unicode_modes {
            return None;
        }
        Some(Self(bits))
    }

    pub fn to_js(self) -> String {
        Self::ORDER
            .iter()
            .enumerate()
            .filter(|(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, &l)| l as char)
            .collect()
    }

    pub fn has(self, letter: u8) -> bool {
        Self::ORDER.iter().position(|&l| l == letter).is_some_and(|i| self.0 & (1 << i) != 0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct View {
    pub kind: ViewKind,
    /// The `ArrayBuffer` node this view looks into.
    pub buffer: NodeId,
    pub byte_offset: u64,
    /// In elements for a typed array, in bytes for a DataView (as devalue writes them).
    pub length: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ViewKind {
    Int8Array,
    Uint8Array,
    Uint8ClampedArray,
    Int16Array,
    Uint16Array,
    Int32Array,
    Uint32Array,
    Float16Array,
    Float32Array,
    Float64Array,
    BigInt64Array,
    BigUint64Array,
    DataView,
}

impl ViewKind {
    pub const ALL: [ViewKind; 13] = [
        ViewKind::Int8Array,
        ViewKind::Uint8Array,
        ViewKind::Uint8ClampedArray,
        ViewKind::Int16Array,
        ViewKind::Uint16Array,
        ViewKind::Int32Array,
        ViewKind::Uint32Array,
        ViewKind::Float16Array,
        ViewKind::Float32Array,
        ViewKind::Float64Array,
        ViewKind::BigInt64Array,
        ViewKind::BigUint64Array,
        ViewKind::DataView,
    ];

    /// The constructor name, which is also devalue's tag.
    pub fn name(self) -> &'static str {
        match self {
            ViewKind::Int8Array => "Int8Array",
            ViewKind::Uint8Array => "Uint8Array",
            ViewKind::Uint8ClampedArray => "Uint8ClampedArray",
            ViewKind::Int16Array => "Int16Array",
            ViewKind::Uint16Array => "Uint16Array",
            ViewKind::Int32Array => "Int32Array",
            ViewKind::Uint32Array => "Uint32Array",
            ViewKind::Float16Array => "Float16Array",
            ViewKind::Float32Array => "Float32Array",
            ViewKind::Float64Array => "Float64Array",
            ViewKind::BigInt64Array => "BigInt64Array",
            ViewKind::BigUint64Array => "BigUint64Array",
            ViewKind::DataView => "DataView",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// Bytes per element (1 for a DataView, whose length counts bytes).
    pub fn element_size(self) -> u64 {
        match self {
            ViewKind::Int8Array | ViewKind::Uint8Array | ViewKind::Uint8ClampedArray | ViewKind::DataView => 1,
            ViewKind::Int16Array | ViewKind::Uint16Array | ViewKind::Float16Array => 2,
            ViewKind::Int32Array | ViewKind::Uint32Array | ViewKind::Float32Array => 4,
            ViewKind::Float64Array | ViewKind::BigInt64Array | ViewKind::BigUint64Array => 8,
        }
    }
}

impl Graph {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_capacity(nodes: usize) -> Self {
        Self { nodes: Vec::with_capacity(nodes) }
    }

    /// Adds a node and returns its id.
    pub fn push(&mut self, node: Node) -> NodeId {
        let id = self.nodes.len() as NodeId;
        self.nodes.push(node);
        id
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    pub fn node_mut(&mut self, id: NodeId) -> &mut Node {
        &mut self.nodes[id as usize]
    }

    pub fn get(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id as usize)
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// About how many bytes the graph holds on the heap: its nodes and what they own. An estimate
    /// (allocator overhead is not counted) for telling a garbage collector what a value costs.
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let owned: usize = self
            .nodes
            .iter()
            .map(|node| match node {
                Node::String(text) | Node::Url(text) | Node::UrlSearchParams(text) => text.heap_bytes(),
                Node::BigInt(number) => (number.bits() / 8) as usize,
                Node::Array(Array::Dense(items)) | Node::Set(items) => items.capacity() * size_of::<NodeId>(),
                Node::Array(Array::Holey { items, .. }) => items.capacity() * size_of::<(u32, NodeId)>(),
                Node::Object(object) => {
                    object.props.capacity() * size_of::<(JsString, NodeId)>()
                        + object.props.iter().map(|(key, _)| key.heap_bytes()).sum::<usize>()
                }
                Node::Map(entries) => entries.capacity() * size_of::<(NodeId, NodeId)>(),
                Node::RegExp(regexp) => regexp.source.heap_bytes(),
                Node::ArrayBuffer(bytes) => bytes.capacity(),
                Node::Temporal(temporal) => temporal.text().len(),
                Node::Undefined
                | Node::Null
                | Node::Bool(_)
                | Node::Number(_)
                | Node::Date(_)
                | Node::Boxed(_)
                | Node::View(_) => 0,
            })
            .sum();
        self.nodes.capacity() * size_of::<Node>() + owned
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Moves every node of `other` into this graph and returns where `other`'s node 0 now is:
    /// a node that was `id` in `other` is `id + offset` here.
    pub fn append(&mut self, other: Graph) -> NodeId {
        let offset = self.nodes.len() as NodeId;
        self.nodes.extend(other.nodes.into_iter().map(|mut node| {
            node.for_each_child_mut(|child| *child += offset);
            node
        }));
        offset
    }

    /// Copies the value at `root` (everything reachable from it) out into a graph of its own,
    /// whose root is node 0.
    pub fn extract(&self, root: NodeId) -> Graph {
        let mut new_id: NodeMap<NodeId> = NodeMap::default();
        let mut order = vec![root];
        new_id.insert(root, 0);
        let mut next = 0;
        while next < order.len() {
            let id = order[next];
            next += 1;
            self.node(id).for_each_child(|child| {
                if let std::collections::hash_map::Entry::Vacant(slot) = new_id.entry(child) {
                    slot.insert(order.len() as NodeId);
                    order.push(child);
                }
            });
        }
        let mut out = Graph::with_capacity(order.len());
        for id in order {
            let mut node = self.node(id).clone();
            node.for_each_child_mut(|child| *child = new_id[child]);
            out.push(node);
        }
        out
    }
}

impl Graph {
    /// How deeply containers (arrays, objects, Maps, Sets) nest in the value at `root`, counted as
    /// V8's serializer and devalue nest them: along first visits (a repeated reference or a cycle
    /// adds no depth). Iterative, so any depth is measured without recursion.
    pub fn nesting_depth(&self, root: NodeId) -> usize {
        let mut seen: NodeMap<()> = NodeMap::default();
        let mut stack: Vec<(NodeId, usize)> = Vec::new();
        if self.get(root).is_some_and(Node::is_container) {
            seen.insert(root, ());
            stack.push((root, 0));
        }
        let mut deepest = stack.len();
        while let Some(top) = stack.last_mut() {
            let (node, next) = *top;
            match self.node(node).nth_child(next) {
                Some(child) => {
                    top.1 += 1;
                    let is_new_container = self.get(child).is_some_and(Node::is_container) && seen.insert(child, ()).is_none();
                    if is_new_container {
                        stack.push((child, 0));
                        deepest = deepest.max(stack.len());
                    }
                }
                None => {
                    stack.pop();
                }
            }
        }
        deepest
    }
}

impl Node {
    /// An array, object, Map or Set: a value that nests others.
    pub fn is_container(&self) -> bool {
        matches!(self, Node::Array(_) | Node::Object(_) | Node::Map(_) | Node::Set(_))
    }

    /// The `n`-th child of a container, in the order of [`Node::for_each_child`].
    fn nth_child(&self, n: usize) -> Option<NodeId> {
        match self {
            Node::Array(Array::Dense(items)) => items.get(n).copied(),
            Node::Array(Array::Holey { items, .. }) => items.get(n).map(|&(_, id)| id),
            Node::Object(object) => object.props.get(n).map(|&(_, id)| id),
            Node::Map(entries) => entries.get(n / 2).map(|&(k, v)| if n.is_multiple_of(2) { k } else { v }),
            Node::Set(values) => values.get(n).copied(),
            _ => None,
        }
    }

    /// Calls `f` with every node id this node points at, in the order a writer visits them.
    pub fn for_each_child(&self, mut f: impl FnMut(NodeId)) {
        match self {
            Node::Array(Array::Dense(items)) => items.iter().for_each(|&id| f(id)),
            Node::Array(Array::Holey { items, .. }) => items.iter().for_each(|&(_, id)| f(id)),
            Node::Object(object) => object.props.iter().for_each(|(_, id)| f(*id)),
            Node::Map(entries) => entries.iter().for_each(|&(k, v)| {
                f(k);
                f(v)
            }),
            Node::Set(values) => values.iter().for_each(|&id| f(id)),
            Node::Boxed(id) => f(*id),
            Node::View(view) => f(view.buffer),
            _ => {}
        }
    }

    pub fn for_each_child_mut(&mut self, mut f: impl FnMut(&mut NodeId)) {
        match self {
            Node::Array(Array::Dense(items)) => items.iter_mut().for_each(&mut f),
            Node::Array(Array::Holey { items, .. }) => items.iter_mut().for_each(|(_, id)| f(id)),
            Node::Object(object) => object.props.iter_mut().for_each(|(_, id)| f(id)),
            Node::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
                f(k);
                f(v)
            }),
            Node::Set(values) => values.iter_mut().for_each(&mut f),
            Node::Boxed(id) => f(id),
            Node::View(view) => f(&mut view.buffer),
            _ => {}
        }
    }

    /// A primitive in the JS sense (not an object).
    pub fn is_primitive(&self) -> bool {
        matches!(
            self,
            Node::Undefined | Node::Null | Node::Bool(_) | Node::Number(_) | Node::String(_) | Node::BigInt(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regexp_flags_follow_js_order() {
        assert_eq!(RegExpFlags::from_js("ygmi").unwrap().to_js(), "gimy");
        assert_eq!(RegExpFlags::from_js("dgimsuy").unwrap().to_js(), "dgimsuy");
        assert!(RegExpFlags::from_js("gg").is_none());
        assert!(RegExpFlags::from_js("x").is_none());
        assert!(RegExpFlags::from_js("uv").is_none());
        assert!(RegExpFlags::from_js("").unwrap().is_empty());
    }

    #[test]
    fn nesting_depth_follows_first_visits() {
        let mut graph = Graph::new();
        let leaf = graph.push(Node::Number(1.0));
        let inner = graph.push(Node::Array(Array::Dense(vec![leaf])));
        let middle = graph.push(Node::Object(Object { null_prototype: false, props: vec![("a".into(), inner)] }));
        // The outer array refers to `inner` directly and through `middle`: first visit at depth 2.
        let outer = graph.push(Node::Array(Array::Dense(vec![inner, middle, leaf])));
        assert_eq!(graph.nesting_depth(outer), 2);
        assert_eq!(graph.nesting_depth(middle), 2);
        assert_eq!(graph.nesting_depth(leaf), 0);
        // A cycle adds nothing.
        *graph.node_mut(inner) = Node::Array(Array::Dense(vec![outer]));
        assert_eq!(graph.nesting_depth(outer), 2);
    }

    #[test]
    fn append_and_extract_keep_identity() {
        let mut a = Graph::new();
        let s = a.push(Node::String("x".into()));
        let arr = a.push(Node::Array(Array::Dense(vec![s, s])));
        let mut b = Graph::new();
        let obj = b.push(Node::Object(Object { null_prototype: false, props: vec![] }));
        let cyc = b.push(Node::Array(Array::Dense(vec![obj, 1])));
        let offset = a.append(b);
        assert_eq!(a.node(cyc + offset), &Node::Array(Array::Dense(vec![obj + offset, 1 + offset])));
        let out = a.extract(arr);
        assert_eq!(out.len(), 2);
        assert_eq!(out.node(0), &Node::Array(Array::Dense(vec![1, 1])));
        let out = a.extract(cyc + offset);
        assert_eq!(out.node(0), &Node::Array(Array::Dense(vec![1, 0])));
    }
}
