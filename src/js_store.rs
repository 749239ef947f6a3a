//! A store backed by a driver object written in JS — Astro's `SessionDriver`, any unstorage
//! driver: `{ getItem, setItem, removeItem }`. Rust calls it through thread-safe functions and
//! awaits the promises it returns, so the store is used exactly like the Rust ones.
//!
//! A JS driver has no compare-and-set, so `save` holds a lock (one per session id) across its
//! read-compare-write: atomic for every request of this process, not across processes sharing
//! the driver's storage.

use std::time::Duration;

use async_trait::async_trait;
use napi::bindgen_prelude::{FnArgs, Promise};
use napi::threadsafe_function::ThreadsafeFunction;
use napi::Status;
use napi_derive::napi;
use session_core::id::SessionId;
use session_core::store::{Expected, Saved, SessionStore};
use session_core::deadline::Deadline;
use session_core::keyed_locks::KeyedLocks;
use session_core::{Error, Result};

/// A JS function called from Rust: not keeping the process alive (weak), its errors arriving as
/// rejected promises (lib/options.js wraps the driver's methods in async functions).
type JsFn<Args, Return> = ThreadsafeFunction<Args, Promise<Return>, Args, Status, false, true>;

/// The driver's methods as lib/options.js adapts them: `getItem(id)` resolves to the record or
/// `null`; `setItem(id, record, ttlSeconds)`; `removeItem(id)`.
#[napi(object, object_to_js = false)]
pub struct JsDriver {
    #[napi(ts_type = "(id: string) => Promise<string | null>")]
    pub get_item: JsFn<String, Option<String>>,
    #[napi(ts_type = "(id: string, record: string, ttl: number) => Promise<void>")]
    pub set_item: JsFn<FnArgs<(String, String, f64)>, ()>,
    #[napi(ts_type = "(id: string) => Promise<void>")]
    pub remove_item: JsFn<String, ()>,
}

pub struct JsStore {
    driver: JsDriver,
    timeout: Duration,
    locks: KeyedLocks<SessionId>,
}

impl JsStore {
    pub fn new(driver: JsDriver, timeout: Duration) -> Self {
        Self { driver, timeout, locks: KeyedLocks::default() }
    }

    /// Calls one driver method and waits for its promise, within the timeout.
    async fn call<Args: napi::bindgen_prelude::JsValuesTupleIntoVec + 'static, Return: napi::bindgen_prelude::FromNapiValue + 'static>(
        &self,
        method: &str,
        function: &JsFn<Args, Return>,
        args: Args,
    ) -> Result<Return> {
        let call = async {
            let promise = function.call_async_catch(args).await?;
            promise.await
        };
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(Error::storage(format!("the session driver's {method}() failed: {}", error.reason))),
            Err(_) => Err(Error::timeout(format!(
                "the session driver's {method}() did not settle within {:?}",
                self.timeout
            ))),
        }
    }

    async fn get(&self, id: &SessionId) -> Result<Option<Vec<u8>>> {
        let record = self.call("getItem", &self.driver.get_item, id.to_string()).await?;
        Ok(record.map(String::into_bytes))
    }
}

#[async_trait]
impl SessionStore for JsStore {
    async fn load(&self, id: &SessionId) -> Result<Option<Vec<u8>>> {
        self.get(id).await
    }

    async fn save(&self, id: &SessionId, record: &[u8], lifetime: Duration, expected: Expected<'_>) -> Result<Saved> {
        let record = String::from_utf8(record.to_vec())
            .map_err(|_| Error::storage("a session record is not UTF-8 text; JS drivers store text"))?;
        let _guard = self.locks.lock(id, Deadline::after(self.timeout), "the session driver's other calls").await?;
        if expected != Expected::Any {
            let current = self.get(id).await?;
            if !expected.matches(current.as_deref()) {
                return Ok(Saved::Conflict(current));
            }
        }
        let ttl = lifetime.as_secs_f64().ceil();
        self.call("setItem", &self.driver.set_item, FnArgs::from((id.to_string(), record, ttl))).await?;
        Ok(Saved::Done)
    }

    /// A compare-and-set is two calls (a read, then the write).
    fn default_timeout(&self) -> Option<Duration> {
        Some(self.timeout.saturating_mul(2))
    }

    async fn delete(&self, id: &SessionId) -> Result<()> {
        let _guard = self.locks.lock(id, Deadline::after(self.timeout), "the session driver's other calls").await?;
        self.call("removeItem", &self.driver.remove_item, id.to_string()).await
    }
}
