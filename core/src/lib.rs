//! The core of napi-session, plain Rust that knows nothing of napi: the codec (devalue and V8
//! formats over one value model), and — built on it — cookies, session ids, stores and the
//! per-request session state machine.

pub mod codec;
pub mod error;

pub use error::{Error, ErrorCode, Result};
pub mod cookie;
pub mod deadline;
pub mod id;
pub mod keyed_locks;
pub mod limits;
pub mod record;
pub mod session;
pub mod signing;
pub mod store;
