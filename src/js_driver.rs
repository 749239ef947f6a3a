//! A driver object written in JS — Astro's `SessionDriver`, any unstorage driver:
//! `{ getItem, setItem, removeItem }` — as the core's plain key-value driver ([`RecordIo`]).
//! Rust calls it through thread-safe functions and awaits the promises it returns; the core's
//! [`KvStore`](session_core::store::kv::KvStore) gives it compare-and-set.

use std::time::Duration;

use async_trait::async_trait;
use napi::bindgen_prelude::{FnArgs, Promise};
use napi::threadsafe_function::ThreadsafeFunction;
use napi::Status;
use napi_derive::napi;
use session_core::id::SessionId;
use session_core::store::kv::RecordIo;
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

/// A [`JsDriver`] whose every call gives up after `timeout`.
pub struct JsRecordIo {
    driver: JsDriver,
    timeout: Duration,
}

impl JsRecordIo {
    pub fn new(driver: JsDriver, timeout: Duration) -> Self {
        Self { driver, timeout }
    }

    /// Calls one driver method about session `id` and waits for its promise, within the timeout.
    /// What the driver throws is passed on, with the id blanked out should its message name it.
    async fn call<Args, Return>(&self, method: &str, id: &SessionId, function: &JsFn<Args, Return>, args: Args) -> Result<Return>
    where
        Args: napi::bindgen_prelude::JsValuesTupleIntoVec + 'static,
        Return: napi::bindgen_prelude::FromNapiValue + 'static,
    {
        let call = async {
            let promise = function.call_async_catch(args).await?;
            promise.await
        };
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(Error::storage(format!(
                "the session driver's {method}() failed: {}",
                error.reason.replace(id.as_str(), "<session id>")
            ))),
            Err(_) => Err(Error::timeout(format!(
                "the session driver's {method}() did not settle within {} s (its commandTimeout)",
                self.timeout.as_secs_f64()
            ))),
        }
    }
}

#[async_trait]
impl RecordIo for JsRecordIo {
    async fn get(&self, id: &SessionId) -> Result<Option<Vec<u8>>> {
        let record = self.call("getItem", id, &self.driver.get_item, id.as_str().to_owned()).await?;
        Ok(record.map(String::into_bytes))
    }

    async fn set(&self, id: &SessionId, record: &[u8], lifetime: Duration) -> Result<()> {
        let record = String::from_utf8(record.to_vec())
            .map_err(|_| Error::storage("a session record is not UTF-8 text; JS drivers store text"))?;
        let ttl = lifetime.as_secs_f64().ceil();
        self.call("setItem", id, &self.driver.set_item, FnArgs::from((id.as_str().to_owned(), record, ttl))).await
    }

    async fn remove(&self, id: &SessionId) -> Result<()> {
        self.call("removeItem", id, &self.driver.remove_item, id.as_str().to_owned()).await
    }
}
