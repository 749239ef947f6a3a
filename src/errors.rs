//! Core errors → JS errors, and the safety net around every entry point.
//!
//! A JS error made here carries the stable code (`ERR_SESSION_…`) in its `code` property, natively
//! (napi-rs's error status), and `lib/errors.js` turns it into a `SessionError`. A Rust panic in a
//! call — a bug — becomes an `ERR_SESSION_INTERNAL` error instead of unwinding into Node.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use napi::bindgen_prelude::{JsError, ToNapiValue, TypeName, Unknown, ValueType};
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

/// Runs the future of an async entry point; a panic becomes `ERR_SESSION_INTERNAL`. The outcome is
/// settled by [`Settled`], so that a rejection carries the stable code too.
pub async fn guard_async<T>(work: impl Future<Output = session_core::Result<T>>) -> napi::Result<Settled<T>> {
    let outcome = CatchUnwind(Box::pin(work)).await.unwrap_or_else(|panic| Err(internal(panic)));
    Ok(Settled(outcome))
}

fn internal(panic: Box<dyn std::any::Any + Send>) -> Error {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|text| text.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    Error::internal(format!("napi-session hit an internal error (a bug, please report it): {detail}"))
}

/// The outcome of an async entry point, turned into a JS value when its promise settles (on the
/// JS thread): the value, or — by failing the conversion with a reference to a JS error made
/// with the code — a rejection with that error. (napi-rs rejects an `async fn`'s own errors with
/// a fixed status, which would lose the code.)
pub struct Settled<T>(session_core::Result<T>);

impl<T: ToNapiValue> ToNapiValue for Settled<T> {
    unsafe fn to_napi_value(env: sys::napi_env, settled: Self) -> napi::Result<sys::napi_value> {
        match settled.0 {
            Ok(value) => unsafe { T::to_napi_value(env, value) },
            Err(error) => {
                let js_error = unsafe { JsError::from(to_js(error)).into_value(env) };
                Err(napi::Error::from(unsafe { Unknown::from_raw_unchecked(env, js_error) }))
            }
        }
    }
}

impl<T: TypeName> TypeName for Settled<T> {
    fn type_name() -> &'static str {
        T::type_name()
    }

    fn value_type() -> ValueType {
        T::value_type()
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
