//! The napi binding of napi-session: thin classes and functions that convert between JS and the
//! plain Rust core (`core/`, crate `session-core`) and dispatch to it. No session logic lives
//! here; the JS facade users import is `index.js`.

mod codec;
mod errors;
mod js_store;
mod raw_store;
mod session;
mod sessions;

// The codec and the session allocate many small objects per request; mimalloc was measured
// 1.3-3.5x faster than glibc malloc on those paths (PERFORMANCE-NOTES).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;
