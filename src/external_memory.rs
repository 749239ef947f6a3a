//! Telling V8 how much native memory a JS object keeps alive.
//!
//! A `NativeSession` is a small JS object holding, in Rust, the session it loaded: the record and
//! its parsed form, about twelve times the record's size. V8 sees only the small object, so it
//! collects such objects late: a loop reading a 100 KB session 5 000 times grew the process by
//! 760 MB before a collection freed them. Reporting the memory (as Node's own Buffers do) makes V8
//! collect sooner, in step with what the objects really hold.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use napi::bindgen_prelude::ToNapiValue;
use napi::{sys, Env};

/// What one object has reported to V8 so far, shared with the work it runs off the JS thread.
#[derive(Clone, Default)]
pub struct Reported(Arc<AtomicI64>);

impl Reported {
    /// Wraps a result with the object's size after the work that made it (measured off the JS
    /// thread); V8 is told when the result reaches the JS thread.
    pub fn with<T>(&self, value: T, bytes: usize) -> Accounted<T> {
        Accounted { value, bytes: i64::try_from(bytes).unwrap_or(i64::MAX), reported: self.clone() }
    }

    /// The object is gone: V8 is told its memory is freed.
    pub fn release(&self, env: &Env) -> napi::Result<()> {
        let reported = self.0.swap(0, Ordering::AcqRel);
        if reported != 0 {
            env.adjust_external_memory(-reported)?;
        }
        Ok(())
    }
}

/// A result and the size of the object that produced it.
pub struct Accounted<T> {
    value: T,
    bytes: i64,
    reported: Reported,
}

impl<T: ToNapiValue> ToNapiValue for Accounted<T> {
    unsafe fn to_napi_value(env: sys::napi_env, accounted: Self) -> napi::Result<sys::napi_value> {
        // Whatever order results arrive in, V8's count changes by exactly what `reported` holds,
        // so `release` leaves it where it was before the object existed.
        let change = accounted.bytes - accounted.reported.0.swap(accounted.bytes, Ordering::AcqRel);
        if change != 0 {
            Env::from_raw(env).adjust_external_memory(change)?;
        }
        // SAFETY: called by napi-rs on the JS thread of `env`, as this function is.
        unsafe { T::to_napi_value(env, accounted.value) }
    }
}
