//! Tests of the V8 codec, and what they share: fixtures, hex, and a comparison of graphs that
//! ignores node ids but not identity.

mod fixtures;
mod ids;
mod malformed;
mod writer;

use std::collections::HashMap;

use crate::codec::{Array, Graph, Node, NodeId};

/// The fixtures of `core/fixtures/v8.json` (see `generate-v8.mjs`): name and bytes.
fn fixtures() -> Vec<(String, Vec<u8>)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/v8.json");
    let text = std::fs::read_to_string(path).expect("core/fixtures/v8.json (run generate-v8.mjs)");
    // One fixture a line, `{"name":"…","hex":"…",…}`, with names free of quotes and escapes.
    text.lines()
        .filter(|line| line.starts_with("{\"name\":\""))
        .map(|line| {
            let fields: Vec<&str> = line.splitn(9, '"').collect();
            assert_eq!((fields[1], fields[5]), ("name", "hex"), "fixture line {line:.60}");
            (fields[3].to_owned(), unhex(fields[7]))
        })
        .collect()
}

fn fixture(name: &str) -> Vec<u8> {
    fixtures().into_iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no fixture {name}")).1
}

fn unhex(text: &str) -> Vec<u8> {
    let text: String = text.split_whitespace().collect();
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex")).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `ff 0f` and the hex body: version-15 data.
fn v15(body: &str) -> Vec<u8> {
    unhex(&format!("ff0f{body}"))
}

/// Compares two values structurally: same shapes and primitives, and the same identity structure
/// (two places hold one object in `a` exactly where they do in `b`), whatever the node ids.
/// Primitive nodes compare by value, as they are interchangeable.
fn same(a: &Graph, a_root: NodeId, b: &Graph, b_root: NodeId) -> Result<(), String> {
    let mut forward: HashMap<NodeId, NodeId> = HashMap::new();
    let mut backward: HashMap<NodeId, NodeId> = HashMap::new();
    // Where each pair was found: the crumb of its container and the step from it.
    let mut crumbs: Vec<(usize, String)> = vec![(0, String::from("root"))];
    let mut work = vec![(a_root, b_root, 0)];
    while let Some((x, y, crumb)) = work.pop() {
        let (nx, ny) = (a.node(x), b.node(y));
        let differ = |what: &str, crumbs: &[(usize, String)]| {
            Err(format!("{}: {what} differ: {nx:?} / {ny:?}", path(crumbs, crumb)))
        };
        if nx.is_primitive() || ny.is_primitive() {
            if !same_primitive(nx, ny) {
                return differ("primitives", &crumbs);
            }
            continue;
        }
        match (forward.get(&x), backward.get(&y)) {
            (None, None) => {
                forward.insert(x, y);
                backward.insert(y, x);
            }
            (Some(&fy), Some(&bx)) if fy == y && bx == x => continue,
            _ => return differ("identities", &crumbs),
        }
        let mut pair = |i: NodeId, j: NodeId, step: String| {
            crumbs.push((crumb, step));
            work.push((i, j, crumbs.len() - 1));
        };
        match (nx, ny) {
            (Node::Array(Array::Dense(p)), Node::Array(Array::Dense(q))) if p.len() == q.len() => {
                p.iter().zip(q).enumerate().for_each(|(i, (&i1, &i2))| pair(i1, i2, format!("[{i}]")))
            }
            (Node::Array(Array::Holey { length: l, items: p }), Node::Array(Array::Holey { length: m, items: q }))
                if l == m && p.len() == q.len() && p.iter().zip(q).all(|(s, t)| s.0 == t.0) =>
            {
                p.iter().zip(q).for_each(|(&(i, i1), &(_, i2))| pair(i1, i2, format!("[{i}]")))
            }
            (Node::Object(p), Node::Object(q))
                if p.null_prototype == q.null_prototype
                    && p.props.len() == q.props.len()
                    && p.props.iter().zip(&q.props).all(|(s, t)| s.0 == t.0) =>
            {
                p.props.iter().zip(&q.props).for_each(|((k, i1), (_, i2))| pair(*i1, *i2, format!(".{k}")))
            }
            (Node::Date(s), Node::Date(t)) if same_number(*s, *t) => {}
            (Node::RegExp(s), Node::RegExp(t)) if s == t => {}
            (Node::Map(p), Node::Map(q)) if p.len() == q.len() => {
                p.iter().zip(q).enumerate().for_each(|(i, (s, t))| {
                    pair(s.0, t.0, format!(".key({i})"));
                    pair(s.1, t.1, format!(".value({i})"));
                })
            }
            (Node::Set(p), Node::Set(q)) if p.len() == q.len() => {
                p.iter().zip(q).enumerate().for_each(|(i, (&i1, &i2))| pair(i1, i2, format!(".value({i})")))
            }
            (Node::Boxed(s), Node::Boxed(t)) => pair(*s, *t, ".valueOf()".into()),
            (Node::ArrayBuffer(s), Node::ArrayBuffer(t)) if s == t => {}
            (Node::View(s), Node::View(t))
                if (s.kind, s.byte_offset, s.length) == (t.kind, t.byte_offset, t.length) =>
            {
                pair(s.buffer, t.buffer, ".buffer".into())
            }
            (Node::Url(s), Node::Url(t)) | (Node::UrlSearchParams(s), Node::UrlSearchParams(t)) if s == t => {}
            (Node::Temporal(s), Node::Temporal(t)) if s == t => {}
            _ => return differ("values", &crumbs),
        }
    }
    Ok(())
}

fn path(crumbs: &[(usize, String)], mut crumb: usize) -> String {
    let mut steps = Vec::new();
    while crumb != 0 {
        steps.push(crumbs[crumb].1.as_str());
        crumb = crumbs[crumb].0;
    }
    steps.push("root");
    steps.reverse();
    steps.concat()
}

fn same_primitive(x: &Node, y: &Node) -> bool {
    match (x, y) {
        (Node::Number(s), Node::Number(t)) => same_number(*s, *t),
        _ => x.is_primitive() && x == y,
    }
}

/// `Object.is`: NaN is NaN, -0 is not 0.
fn same_number(x: f64, y: f64) -> bool {
    x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
}

#[test]
fn same_sees_identity() {
    let mut shared = Graph::new();
    let o = shared.push(Node::Object(crate::codec::Object { null_prototype: false, props: vec![] }));
    let root = shared.push(Node::Array(Array::Dense(vec![o, o])));
    let mut split = Graph::new();
    let o1 = split.push(Node::Object(crate::codec::Object { null_prototype: false, props: vec![] }));
    let o2 = split.push(Node::Object(crate::codec::Object { null_prototype: false, props: vec![] }));
    let root2 = split.push(Node::Array(Array::Dense(vec![o1, o2])));
    assert!(same(&shared, root, &shared, root).is_ok());
    assert!(same(&shared, root, &split, root2).is_err());
    assert!(same(&split, root2, &shared, root).is_err());
}
