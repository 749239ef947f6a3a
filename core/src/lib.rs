//! The core of napi-session, plain Rust that knows nothing of napi: the codec (devalue and V8
//! formats over one value model), and — built on it — cookies, session ids, stores and the
//! per-request session state machine.

pub mod codec;
pub mod error;

pub use error::{Error, ErrorCode, Result};

/// A hash map of the request path: std's map with foldhash (see Cargo.toml).
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
/// An insertion-ordered map of the request path, hashed the same way.
pub type FastIndexMap<K, V> = indexmap::IndexMap<K, V, foldhash::fast::RandomState>;
pub mod cookie;
pub mod deadline;
pub mod id;
pub mod keyed_locks;
pub mod limits;
pub mod record;
pub mod session;
pub mod signing;
pub mod store;
