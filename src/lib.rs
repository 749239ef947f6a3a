//! The napi binding of napi-session: thin classes and functions that convert between JS and the
//! plain Rust core (`core/`, crate `session-core`) and dispatch to it. No session logic lives
//! here; the JS facade users import is `index.js`.

mod astro_store;
mod codec;
mod completions;
mod errors;
mod external_memory;
mod js_driver;
mod native_session;
mod native_sessions;

// The codec and the session allocate many small objects per request; mimalloc was measured
// 1.3-3.5x faster than glibc malloc on those paths (on a 2-core Linux box).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The tokio runtime every `async` method runs on, as napi-rs would make it, but with a bounded
/// pool for blocking work: the fs driver's file operations run there, and tokio's default (512
/// threads) let a burst of requests spawn dozens of threads that then fought over the same locks.
#[napi_derive::module_init]
fn init() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("napi-session")
        .max_blocking_threads(16)
        .build();
    // Without it, napi-rs builds its default runtime on first use.
    if let Ok(runtime) = runtime {
        napi::bindgen_prelude::create_custom_tokio_runtime(runtime);
    }
}
