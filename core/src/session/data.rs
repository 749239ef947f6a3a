//! The stored form of a session, which is Astro's: the devalue text of a
//! `Map<string, { data, expires }>`, `expires` being epoch milliseconds or `undefined`.
//!
//! Reading decodes the text once and writes each value in V8's format, ready for the JS layer to
//! deserialize when it is asked for; the parsed record is kept, so that a commit that finds the
//! record unchanged merges into it without parsing it again. Writing merges one request's changes
//! into the record as it is *now* in the store, so values other requests changed meanwhile are
//! kept.

use indexmap::IndexMap;

use crate::codec::devalue::{self, LoneSurrogates};
use crate::codec::{decode_handoff, v8, Graph, JsString, Node, NodeId, Object};
use crate::store::TOMBSTONE;
use crate::{Error, Result};

/// One value as read from the store.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredValue {
    /// The value in V8's serialization format.
    pub v8: Vec<u8>,
    /// Epoch milliseconds after which the value is gone; `None`: lives as long as the session.
    pub expires: Option<f64>,
}

/// A change one request makes to one key.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// The value as the JS layer handed it over (`lib/handoff.js`), with its expiry.
    Set { handoff: Vec<u8>, expires: Option<f64> },
    Delete,
}

/// A record ready to write.
#[derive(Debug)]
pub struct Merged {
    pub record: Vec<u8>,
    /// The latest `expires` of any value in it.
    pub latest_expiry: Option<f64>,
}

/// A stored record, parsed.
#[derive(Debug)]
pub struct Parsed {
    graph: Graph,
    root: NodeId,
}

/// A stored record, read.
#[derive(Debug)]
pub struct Decoded {
    /// Its live values, in their order.
    pub values: IndexMap<String, StoredValue>,
    /// The record itself, parsed, for a merge into it.
    pub parsed: Parsed,
}

/// The live values of a stored record. A tombstone reads as no values.
pub fn decode(record: &[u8], now: f64) -> Result<Decoded> {
    let (graph, root) = if record == TOMBSTONE { empty_map_graph() } else { devalue::parse(record)? };
    let mut values = IndexMap::new();
    for (key, entry) in entries(&graph, root)? {
        let (data, expires) = entry_parts(&graph, entry)?;
        if expires.is_some_and(|expires| expires < now) {
            continue;
        }
        values.insert(key.to_string_lossy(), StoredValue { v8: v8::write(&graph, data)?, expires });
    }
    Ok(Decoded { values, parsed: Parsed { graph, root } })
}

/// What a merge starts from.
pub enum Base<'a> {
    /// A record as stored: absent, a tombstone, or even unreadable (then it is replaced).
    Record(Option<&'a [u8]>),
    /// A record parsed earlier (by [`decode`]).
    Parsed(Parsed),
}

/// `base` with `changes` applied and expired values dropped.
pub fn merge<'a>(base: Base<'_>, changes: impl IntoIterator<Item = (&'a str, &'a Change)>, now: f64) -> Result<Merged> {
    let parsed = match base {
        Base::Record(record) => record.filter(|r| *r != TOMBSTONE).and_then(|r| devalue::parse(r).ok()),
        Base::Parsed(Parsed { graph, root }) => Some((graph, root)),
    };
    let (mut graph, root, mut kept) = match parsed {
        Some((graph, root)) => match entries(&graph, root) {
            Ok(existing) => {
                let kept: Vec<(JsString, NodeId)> = existing
                    .into_iter()
                    .filter(|&(_, entry)| {
                        entry_parts(&graph, entry).is_ok_and(|(_, expires)| !expires.is_some_and(|e| e < now))
                    })
                    .map(|(key, entry)| (key.clone(), entry))
                    .collect();
                (graph, root, kept)
            }
            Err(_) => empty_map(),
        },
        None => empty_map(),
    };

    let mut position: std::collections::HashMap<JsString, usize> =
        kept.iter().enumerate().map(|(i, (key, _))| (key.clone(), i)).collect();
    let mut deleted = vec![false; kept.len()];
    for (key, change) in changes {
        let key = JsString::from(key);
        match change {
            Change::Delete => {
                if let Some(&i) = position.get(&key) {
                    deleted[i] = true;
                }
            }
            Change::Set { handoff, expires } => {
                let (value, value_root) = decode_handoff(handoff)?;
                let data = value_root + graph.append(value);
                let expires = graph.push(expires.map_or(Node::Undefined, Node::Number));
                let entry = graph.push(Node::Object(Object {
                    null_prototype: false,
                    props: vec![(JsString::from("data"), data), (JsString::from("expires"), expires)],
                }));
                match position.get(&key) {
                    // A JS Map keeps a key where it was first set.
                    Some(&i) => {
                        kept[i].1 = entry;
                        deleted[i] = false;
                    }
                    None => {
                        position.insert(key.clone(), kept.len());
                        kept.push((key, entry));
                        deleted.push(false);
                    }
                }
            }
        }
    }

    let mut map_entries = Vec::with_capacity(kept.len());
    let mut latest_expiry: Option<f64> = None;
    for ((key, entry), deleted) in kept.into_iter().zip(deleted) {
        if deleted {
            continue;
        }
        if let Ok((_, Some(expires))) = entry_parts(&graph, entry) {
            latest_expiry = Some(latest_expiry.map_or(expires, |latest| latest.max(expires)));
        }
        map_entries.push((graph.push(Node::String(key)), entry));
    }
    *graph.node_mut(root) = Node::Map(map_entries);
    let text = devalue::stringify(&graph, root, LoneSurrogates::Escape)?;
    Ok(Merged { record: text.into_wtf8(), latest_expiry })
}

/// The latest `expires` of any value in a record; `None` if there is none or the record does
/// not parse.
pub fn latest_expiry(record: &[u8]) -> Option<f64> {
    let (graph, root) = devalue::parse(record).ok()?;
    entries(&graph, root)
        .ok()?
        .into_iter()
        .filter_map(|(_, entry)| entry_parts(&graph, entry).ok()?.1)
        .reduce(f64::max)
}

fn empty_map() -> (Graph, NodeId, Vec<(JsString, NodeId)>) {
    let (graph, root) = empty_map_graph();
    (graph, root, Vec::new())
}

fn empty_map_graph() -> (Graph, NodeId) {
    let mut graph = Graph::new();
    let root = graph.push(Node::Map(Vec::new()));
    (graph, root)
}

/// The (key, entry object) pairs of the session map at `root`.
fn entries(graph: &Graph, root: NodeId) -> Result<Vec<(&JsString, NodeId)>> {
    let Node::Map(pairs) = graph.node(root) else {
        return Err(Error::parse("stored session is not a Map, so it was not written by Astro or napi-session"));
    };
    pairs
        .iter()
        .map(|&(key, entry)| match graph.node(key) {
            Node::String(key) => Ok((key, entry)),
            _ => Err(Error::parse("stored session has a key that is not a string")),
        })
        .collect()
}

/// The `data` node and the `expires` time of an entry object `{ data, expires }`.
fn entry_parts(graph: &Graph, entry: NodeId) -> Result<(NodeId, Option<f64>)> {
    let Node::Object(object) = graph.node(entry) else {
        return Err(Error::parse("stored session value is not a { data, expires } object"));
    };
    let prop = |name: &str| object.props.iter().find(|(key, _)| key.as_wtf8() == name.as_bytes()).map(|&(_, id)| id);
    let data = prop("data").ok_or_else(|| Error::parse("stored session value has no data"))?;
    let expires = match prop("expires").map(|id| graph.node(id)) {
        None | Some(Node::Undefined) => None,
        Some(Node::Number(ms)) => Some(*ms),
        Some(_) => return Err(Error::parse("stored session value has an expires that is not a number")),
    };
    Ok((data, expires))
}
