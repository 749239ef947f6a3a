//! Core errors → JS errors, and the safety net around every entry point.
//!
//! A JS error made here carries the stable code (`ERR_SESSION_…`) in its `code` property, natively
//! (napi-rs's error status), and `lib/errors.js` turns it into a `SessionError`. A Rust panic in a
//! call — a bug — becomes an `ERR_SESSION_INTERNAL` error instead of unwinding into Node.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use napi::bindgen_prelude::{JsError, ToNapiValue};
use napi::sys;
use session_core::{Error, ErrorCode};

/// What a synchronous entry point returns: its value, or an error whose `code` is the stable code.
pub type Result<T> = napi::Result<T, ErrorCode>;

pub fn to_js(error: Error) -> napi::Error<ErrorCode> {
    napi::Error::new(error.code, error.message)
}

pub trait IntoJs<T> {
    fn into_js(self) -> Result<T>;
}

impl<T> IntoJs<T> for session_core::Result<T> {
    fn into_js(self) -> Result<T> {
        self.map_err(to_js)
    }
}

/// Runs a synchronous entry point; a panic becomes `ERR_SESSION_INTERNAL`.
pub fn guard<T>(work: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|panic| Err(to_js(internal(panic))))
}

/// Runs `work` to its outcome; a panic becomes `ERR_SESSION_INTERNAL`.
pub async fn settle<T>(work: impl Future<Output = session_core::Result<T>>) -> Settled<T> {
    Settled(CatchUnwind(Box::pin(work)).await.unwrap_or_else(|panic| Err(internal(panic))))
}

fn internal(panic: Box<dyn std::any::Any + Send>) -> Error {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|text| text.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    Error::internal(format!("napi-session hit an internal error (a bug, please report it): {detail}"))
}

/// The outcome of an async entry point, turned into what settles its promise on the JS thread
/// (src/completions.rs): the value, or a JS error that carries the code.
pub struct Settled<T>(session_core::Result<T>);

impl<T: ToNapiValue> Settled<T> {
    /// The JS value to resolve with, or the JS error to reject with.
    ///
    /// # Safety
    /// On the JS thread of `env`.
    pub unsafe fn into_js(self, env: sys::napi_env) -> std::result::Result<sys::napi_value, sys::napi_value> {
        let error = match self.0 {
            Ok(value) => match unsafe { T::to_napi_value(env, value) } {
                Ok(value) => return Ok(value),
                Err(error) => Error::internal(format!("napi-session could not convert a result: {}", error.reason)),
            },
            Err(error) => error,
        };
        Err(unsafe { JsError::from(to_js(error)).into_value(env) })
    }
}

/// A future whose panics are caught as they unwind out of `poll`.
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = std::result::Result<F::Output, Box<dyn std::any::Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}
