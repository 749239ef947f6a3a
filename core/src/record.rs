//! The stored form of a session, which is Astro's: the devalue text of a
//! `Map<string, { data, expires }>`, `expires` being epoch milliseconds or `undefined`.
//!
//! This module sits below both the stores (which only need a record's latest expiry) and the
//! session (which reads values out of a record and merges its changes into one).
//!
//! Reading parses the text once, into a graph, and indexes its keys; a value is converted to
//! V8's format (for JS) only when it is asked for, and then only that value, within the
//! [`Limits`]. So reading a session, checking a key or listing the keys costs time and memory
//! linear in the record, however many keys it has and however they share values.
//!
//! Writing merges one request's changes into the record as it is *now* in the store, so values
//! other requests changed meanwhile are kept.

use std::sync::Arc;


use crate::codec::devalue::{self, LoneSurrogates};
use crate::codec::{decode_handoff, v8, Graph, JsString, Node, NodeId, Object};
use crate::limits::Limits;
use crate::FastIndexMap;
use crate::{Error, Result};

/// The record of a destroyed session (a *tombstone*): Astro reads an empty record as "no
/// session", and a request still in flight must not bring it back.
pub const TOMBSTONE: &[u8] = b"";

/// The record of a session that `regenerate()` moved to a new id (a tombstone too). Astro reads
/// it as "no session" as well (unstorage parses it to `null`). Unlike [`TOMBSTONE`], it tells a
/// request still in flight not to expire the client's cookie, which names the new id by then.
pub const RETIRED: &[u8] = b"null";

/// Keys this package keeps for itself in a record: the application cannot set them, and reads do
/// not show them (Astro, which knows nothing of them, shows them as ordinary keys).
pub const RESERVED_PREFIX: &str = "napi-session:";

/// The reserved key holding when the session was created (epoch milliseconds), kept when an
/// `absoluteTimeout` is configured.
pub const CREATED_KEY: &str = "napi-session:created";

/// Whether `key` is one of this package's own.
pub fn is_reserved(key: &str) -> bool {
    key.starts_with(RESERVED_PREFIX)
}

/// A change one request makes to one key.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// The value as the JS layer handed it over (`lib/handoff.js`), with its expiry; a `flash`
    /// value is read once (by the next request that reads it), then gone.
    Set { handoff: Vec<u8>, expires: Option<f64>, flash: bool },
    Delete,
}

impl Change {
    /// Setting `key` to a number, in the hand-off format (devalue text, which every hand-off reader
    /// takes).
    pub fn set_number(number: f64) -> Self {
        let mut graph = Graph::new();
        let root = graph.push(Node::Number(number));
        // (A number always stringifies; undefined, `[-1]`, would be the harmless fallback.)
        let handoff = devalue::stringify(&graph, root, LoneSurrogates::Escape)
            .map_or_else(|_| b"[-1]".to_vec(), |text| text.into_wtf8());
        Change::Set { handoff, expires: None, flash: false }
    }
}

/// One key of a record: where its key and value are in the graph, and when it expires.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Entry {
    /// The key as stored (written back as it was, lone surrogates included).
    key: NodeId,
    data: NodeId,
    /// Epoch milliseconds after which the value is gone; `None`: lives as long as the session.
    pub expires: Option<f64>,
    /// Read once, then gone ([`Change::Set`]).
    pub flash: bool,
}

impl Entry {
    pub fn is_live(&self, now: f64) -> bool {
        !self.expires.is_some_and(|expires| expires < now)
    }
}

/// A stored record, parsed and indexed.
#[derive(Clone, Debug)]
pub struct Record {
    graph: Graph,
    root: NodeId,
    /// Every key in the record's order, expired ones included (they are dropped at the next merge).
    entries: FastIndexMap<String, Entry>,
    /// The length of the text it was parsed from: what its values may expand from.
    text_len: usize,
    /// When the session was created ([`CREATED_KEY`]), if the record says.
    created: Option<f64>,
}

impl Record {
    /// Parses `text`: a record of at most `limits.max_size` bytes. A tombstone reads as a record
    /// without values.
    pub fn parse(text: &[u8], limits: &Limits) -> Result<Self> {
        if text.len() > limits.max_size {
            return Err(Error::parse(format!(
                "the stored session is {} bytes, more than maxSize ({} bytes)",
                text.len(),
                limits.max_size
            )));
        }
        if text == TOMBSTONE || text == RETIRED {
            return Ok(Self::empty());
        }
        let (graph, root) = devalue::parse(text)?;
        let mut entries = FastIndexMap::default();
        let mut created = None;
        for &(key, entry) in map_entries(&graph, root)? {
            let (data, expires, flash) = entry_parts(&graph, entry)?;
            let Node::String(text) = graph.node(key) else { continue }; // (map_entries checked)
            let text = text.to_string_lossy();
            if text == CREATED_KEY {
                created = match graph.node(data) {
                    Node::Number(ms) => Some(*ms),
                    _ => None,
                };
            }
            // As in a JS Map built from the text, a repeated key keeps its first place and its last value.
            entries.insert(text, Entry { key, data, expires, flash });
        }
        Ok(Self { graph, root, entries, text_len: text.len(), created })
    }

    pub fn empty() -> Self {
        let mut graph = Graph::new();
        let root = graph.push(Node::Map(Vec::new()));
        Self { graph, root, entries: FastIndexMap::default(), text_len: 0, created: None }
    }

    /// The entry of `key`, if it is live at `now` (never one of the reserved keys).
    pub fn entry(&self, key: &str, now: f64) -> Option<Entry> {
        self.entries.get(key).copied().filter(|entry| entry.is_live(now) && !is_reserved(key))
    }

    /// The keys live at `now`, in the record's order (not the reserved ones).
    pub fn live_keys(&self, now: f64) -> impl Iterator<Item = &str> {
        self.entries
            .iter()
            .filter(move |(key, entry)| entry.is_live(now) && !is_reserved(key))
            .map(|(key, _)| key.as_str())
    }

    /// The live flash keys at `now`.
    pub fn flash_keys(&self, now: f64) -> impl Iterator<Item = &str> {
        self.live_keys(now).filter(|key| self.entries.get(*key).is_some_and(|entry| entry.flash))
    }

    /// When the session was created, if the record says ([`CREATED_KEY`]).
    pub fn created(&self) -> Option<f64> {
        self.created
    }

    /// A budget for converting values of this record for JS: bytes relative to its text, and depth.
    pub fn read_budget(&self, limits: &Limits) -> v8::Budget {
        limits.read_budget(self.text_len)
    }

    /// The value of `entry` in V8's format, taking what it writes from `budget`.
    pub fn value_v8(&self, entry: Entry, budget: &mut v8::Budget) -> Result<Vec<u8>> {
        v8::write_within(&self.graph, entry.data, budget)
    }

    /// The latest `expires` of any value.
    pub fn latest_expiry(&self) -> Option<f64> {
        self.entries.values().filter_map(|entry| entry.expires).reduce(f64::max)
    }

    /// The length of the text it was parsed from.
    pub fn text_len(&self) -> usize {
        self.text_len
    }

    /// About how many bytes the parsed record holds on the heap (see [`Graph::heap_bytes`]).
    pub fn heap_bytes(&self) -> usize {
        // An index entry: the key, its hash slot and its `Entry`.
        let per_entry = std::mem::size_of::<(String, Entry)>() + 2 * std::mem::size_of::<usize>();
        let keys: usize = self.entries.keys().map(String::capacity).sum();
        self.graph.heap_bytes() + self.entries.capacity() * per_entry + keys
    }
}

/// A record ready to write.
#[derive(Debug)]
pub struct Merged {
    pub record: Vec<u8>,
    /// The latest `expires` of any value in it.
    pub latest_expiry: Option<f64>,
    /// When the session was created, if the record says ([`CREATED_KEY`]).
    pub created: Option<f64>,
}

/// A key's value during a merge.
#[derive(Clone, Copy)]
struct Slot {
    /// The stored key's node, if the key was stored.
    key: Option<NodeId>,
    data: NodeId,
    expires: Option<f64>,
    flash: bool,
}

/// What a merge starts from.
pub enum Base<'a> {
    /// A record as stored: absent, a tombstone, or even unreadable or too large (then it is
    /// replaced, as a load would have discarded it).
    Stored(Option<&'a [u8]>),
    /// A record parsed earlier (shared with the session that read it, so cloned if still in use).
    Parsed(Arc<Record>),
}

/// `base` with `changes` applied and expired values dropped.
pub fn merge<'a>(
    base: Base<'_>,
    changes: impl IntoIterator<Item = (&'a str, &'a Change)>,
    now: f64,
    limits: &Limits,
) -> Result<Merged> {
    let record = match base {
        Base::Stored(text) => text.and_then(|text| Record::parse(text, limits).ok()).unwrap_or_else(Record::empty),
        Base::Parsed(record) => Arc::unwrap_or_clone(record),
    };
    let Record { mut graph, root, entries, .. } = record;
    // `None`: deleted (marked rather than removed, which would cost O(keys) each).
    let mut kept: FastIndexMap<String, Option<Slot>> = entries
        .into_iter()
        .filter(|(_, entry)| entry.is_live(now))
        .map(|(key, entry)| {
            let slot = Slot { key: Some(entry.key), data: entry.data, expires: entry.expires, flash: entry.flash };
            (key, Some(slot))
        })
        .collect();

    for (key, change) in changes {
        match change {
            Change::Delete => {
                if let Some(slot) = kept.get_mut(key) {
                    *slot = None;
                }
            }
            Change::Set { handoff, expires, flash } => {
                let (value, value_root) = decode_handoff(handoff)?;
                if value.nesting_depth(value_root) > limits.max_depth {
                    return Err(Error::serialize(format!(
                        "the value of {key:?} is nested more than {} levels deep (maxDepth)",
                        limits.max_depth
                    )));
                }
                let data = value_root + graph.append(value);
                // A JS Map keeps a key where it was first set.
                let slot = kept.entry(key.to_owned()).or_default();
                let stored_key = slot.and_then(|slot| slot.key);
                *slot = Some(Slot { key: stored_key, data, expires: *expires, flash: *flash });
            }
        }
    }

    let mut map = Vec::with_capacity(kept.len());
    let mut latest_expiry: Option<f64> = None;
    let mut created = None;
    for (key, slot) in kept {
        let Some(Slot { key: key_node, data, expires, flash }) = slot else { continue };
        if key == CREATED_KEY {
            if let Node::Number(ms) = graph.node(data) {
                created = Some(*ms);
            }
        }
        if let Some(expires) = expires {
            latest_expiry = Some(latest_expiry.map_or(expires, |latest| latest.max(expires)));
        }
        let expires = graph.push(expires.map_or(Node::Undefined, Node::Number));
        let mut props = vec![(JsString::from("data"), data), (JsString::from("expires"), expires)];
        if flash {
            // Astro ignores a property it does not know, and reads the value as any other.
            props.push((JsString::from("flash"), graph.push(Node::Bool(true))));
        }
        let entry = graph.push(Node::Object(Object { null_prototype: false, props }));
        let key_node = key_node.unwrap_or_else(|| graph.push(Node::String(JsString::from(key.as_str()))));
        map.push((key_node, entry));
    }
    *graph.node_mut(root) = Node::Map(map);
    let text = devalue::stringify(&graph, root, LoneSurrogates::Escape)?;
    Ok(Merged { record: text.into_wtf8(), latest_expiry, created })
}

/// The latest `expires` of any value in a record; `None` if there is none or the record cannot
/// be read.
pub fn latest_expiry(text: &[u8], limits: &Limits) -> Option<f64> {
    Record::parse(text, limits).ok()?.latest_expiry()
}

/// The (key, entry object) pairs of the session map at `root`.
fn map_entries(graph: &Graph, root: NodeId) -> Result<&[(NodeId, NodeId)]> {
    let Node::Map(pairs) = graph.node(root) else {
        return Err(Error::parse("the stored session is not a Map, so it was not written by Astro or napi-session"));
    };
    if pairs.iter().any(|&(key, _)| !matches!(graph.node(key), Node::String(_))) {
        return Err(Error::parse("the stored session has a key that is not a string"));
    }
    Ok(pairs)
}

/// The `data` node, the `expires` time and the flash mark of an entry object
/// `{ data, expires, flash? }`.
fn entry_parts(graph: &Graph, entry: NodeId) -> Result<(NodeId, Option<f64>, bool)> {
    let Node::Object(object) = graph.node(entry) else {
        return Err(Error::parse("a stored session value is not a { data, expires } object"));
    };
    let prop = |name: &str| object.props.iter().find(|(key, _)| key.as_wtf8() == name.as_bytes()).map(|&(_, id)| id);
    let data = prop("data").ok_or_else(|| Error::parse("a stored session value has no data"))?;
    let expires = match prop("expires").map(|id| graph.node(id)) {
        None | Some(Node::Undefined) => None,
        Some(Node::Number(ms)) => Some(*ms),
        Some(_) => return Err(Error::parse("a stored session value has an expires that is not a number")),
    };
    let flash = prop("flash").is_some_and(|id| matches!(graph.node(id), Node::Bool(true)));
    Ok((data, expires, flash))
}
