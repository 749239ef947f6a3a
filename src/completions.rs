//! Promises for work done on the tokio runtime, settled through one queue per JS thread.
//!
//! napi-rs's `async fn` makes a thread-safe function (a libuv async handle, opened and later
//! closed) for every call, to carry that call's result back to the JS thread. That costs the JS
//! thread more than a load or a commit on the memory driver itself: a profile of the benchmark put
//! a fifth of the JS thread's time in `commit()`'s own call. Here one thread-safe function per JS
//! thread carries every result: workers queue their outcome, and the JS thread settles all the
//! queued promises each time it wakes, however many have finished meanwhile.
//!
//! The queue keeps the event loop alive only while some promise of it is pending, as napi-rs's
//! per-call function does: the process neither exits under a commit nor waits for an idle queue.

use std::cell::{Cell, RefCell};
use std::ffi::c_void;
use std::future::Future;
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Arc, RwLock};

use napi::bindgen_prelude::{PromiseRaw, ToNapiValue};
use napi::{sys, Env};

use crate::errors::{settle, Settled};

/// The queue of the JS thread this runs on.
struct Queue {
    env: sys::napi_env,
    channel: Arc<Channel>,
    /// Promises handed out and not yet settled (read and written on the JS thread only).
    pending: Cell<usize>,
}

/// The thread-safe function, shared with the workers that queue completions on it.
struct Channel {
    function: AtomicPtr<sys::napi_threadsafe_function__>,
    /// Node has closed the function (its environment ended: a worker thread stopped, or the
    /// process is exiting): it must not be called any more, though work may still finish. Written
    /// under the write lock, so no call is under way when the function goes.
    closed: RwLock<bool>,
}

thread_local! {
    /// A JS thread (the main thread, or a worker's) has one environment for this addon, so one
    /// queue, made on first use.
    static QUEUE: RefCell<Option<&'static Queue>> = const { RefCell::new(None) };
}

/// A finished piece of work on its way to the JS thread.
struct Completion {
    deferred: Deferred,
    settle: Box<dyn FnOnce(sys::napi_env) -> Result<sys::napi_value, sys::napi_value> + Send>,
}

/// A deferred on its way to a worker and back.
struct Deferred(sys::napi_deferred);

// SAFETY: a deferred is used on the JS thread only (in `settle_queued`); it is merely carried by
// the worker.
unsafe impl Send for Deferred {}

impl Channel {
    fn send(&self, completion: Completion) {
        let closed = self
            .closed
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if *closed {
            // Nobody is left to await the promise.
            return;
        }
        let data = Box::into_raw(Box::new(completion));
        // SAFETY: the function is open (`closed` is false, and cannot change while it is read);
        // thread-safe functions are made to be called from any thread.
        let status = unsafe {
            sys::napi_call_threadsafe_function(
                self.function.load(Ordering::Acquire),
                data.cast(),
                sys::ThreadsafeFunctionCallMode::nonblocking,
            )
        };
        if status != sys::Status::napi_ok {
            // Closing (the queue has no size limit, so nothing else refuses it).
            // SAFETY: the call did not take `data`.
            drop(unsafe { Box::from_raw(data) });
        }
    }
}

/// Node's finalizer of the thread-safe function: it is being closed.
unsafe extern "C" fn channel_closed(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` is the reference to the channel given when the function was made.
    let channel = unsafe { Arc::from_raw(data.cast::<Channel>()) };
    *channel
        .closed
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = true;
}

impl Queue {
    /// This thread's queue for `env`, made on first use.
    fn of(env: &Env) -> napi::Result<&'static Queue> {
        let raw = env.raw();
        let open = |queue: &&Queue| {
            queue.env == raw
                && !*queue
                    .channel
                    .closed
                    .read()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
        };
        if let Some(queue) = QUEUE.with_borrow(|queue| queue.filter(open)) {
            return Ok(queue);
        }
        let channel = Arc::new(Channel {
            function: AtomicPtr::new(ptr::null_mut()),
            closed: RwLock::new(false),
        });
        // Leaked: one small allocation per JS thread, which the function's callback refers to.
        let queue: &'static Queue = Box::leak(Box::new(Queue {
            env: raw,
            channel: channel.clone(),
            pending: Cell::new(0),
        }));
        let mut name = ptr::null_mut();
        let mut function = ptr::null_mut();
        // SAFETY: plain napi calls on the JS thread of `raw`.
        unsafe {
            check(sys::napi_create_string_utf8(
                raw,
                c"napi-session".as_ptr(),
                "napi-session".len() as isize,
                &mut name,
            ))?;
            check(sys::napi_create_threadsafe_function(
                raw,
                ptr::null_mut(),
                ptr::null_mut(),
                name,
                0, // no limit: a worker never waits to queue
                1,
                Arc::into_raw(channel).cast_mut().cast(),
                Some(channel_closed),
                ptr::from_ref(queue).cast_mut().cast(),
                Some(settle_queued),
                &mut function,
            ))?;
            // Idle, it must not keep the process alive.
            check(sys::napi_unref_threadsafe_function(raw, function))?;
        }
        queue.channel.function.store(function, Ordering::Release);
        QUEUE.with_borrow_mut(|slot| *slot = Some(queue));
        Ok(queue)
    }

    /// One more promise pending: the event loop stays alive until it settles.
    fn started(&self) -> napi::Result<()> {
        if self.pending.get() == 0 {
            // SAFETY: on the JS thread of `env`, while the function is open.
            unsafe {
                check(sys::napi_ref_threadsafe_function(
                    self.env,
                    self.channel.function.load(Ordering::Acquire),
                ))?
            };
        }
        self.pending.set(self.pending.get() + 1);
        Ok(())
    }

    fn settled(&self) {
        self.pending.set(self.pending.get().saturating_sub(1));
        if self.pending.get() == 0 {
            // SAFETY: on the JS thread of `env`, in the function's own callback.
            unsafe {
                sys::napi_unref_threadsafe_function(
                    self.env,
                    self.channel.function.load(Ordering::Acquire),
                )
            };
        }
    }
}

/// The promise of `work`'s outcome; `work` runs on the tokio runtime. A panic in it rejects the
/// promise with `ERR_SESSION_INTERNAL`, an error with its `SessionError` code.
pub fn spawn<'env, T, F>(env: &'env Env, work: F) -> napi::Result<PromiseRaw<'env, T>>
where
    T: ToNapiValue + Send + 'static,
    F: Future<Output = session_core::Result<T>> + Send + 'static,
{
    let queue = Queue::of(env)?;
    let mut deferred = ptr::null_mut();
    let mut promise = ptr::null_mut();
    // SAFETY: on the JS thread of `env`.
    unsafe {
        check(sys::napi_create_promise(
            env.raw(),
            &mut deferred,
            &mut promise,
        ))?
    };
    queue.started()?;
    let channel = queue.channel.clone();
    let deferred = Deferred(deferred);
    napi::bindgen_prelude::within_runtime_if_available(|| {
        tokio::spawn(async move {
            let settled: Settled<T> = settle(work).await;
            // SAFETY: `settle` runs on the JS thread, with its environment.
            let settle = Box::new(move |env| unsafe { settled.into_js(env) });
            channel.send(Completion { deferred, settle });
        })
    });
    Ok(PromiseRaw::new(env.raw(), promise))
}

/// The thread-safe function's callback, on the JS thread: settles one queued promise. (Node runs
/// it for every queued item each time the loop wakes for the function.)
unsafe extern "C" fn settle_queued(
    env: sys::napi_env,
    _function: sys::napi_value,
    context: *mut c_void,
    data: *mut c_void,
) {
    if data.is_null() {
        return;
    }
    // SAFETY: `data` is the `Completion` that `Sender::send` leaked for this call.
    let completion = unsafe { Box::from_raw(data.cast::<Completion>()) };
    if env.is_null() {
        // The environment is ending and the queue is being emptied: nobody awaits the promise.
        return;
    }
    // SAFETY: `context` is the leaked `Queue` given when the function was made.
    let queue = unsafe { &*context.cast::<Queue>() };
    queue.settled();
    let Completion {
        deferred: Deferred(deferred),
        settle,
    } = *completion;
    // SAFETY: on the JS thread, with a deferred of this environment, settled exactly once.
    unsafe {
        match settle(env) {
            Ok(value) => sys::napi_resolve_deferred(env, deferred, value),
            Err(error) => sys::napi_reject_deferred(env, deferred, error),
        };
    }
}

fn check(status: sys::napi_status) -> napi::Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::new(
            napi::Status::from(status),
            "napi-session could not set up a promise queue",
        ))
    }
}
