//! `NativeStore`, the store of `napi-session/astro`: a driver's records by id, without the session
//! around them. This is what `napi-session/astro` gives Astro: Astro keeps its own session logic (and its own devalue
//! encoding) and uses our Rust drivers for the I/O.

use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::PromiseRaw;
use napi::Env;
use napi_derive::napi;
use session_core::deadline::Deadline;
use session_core::id::SessionId;
use session_core::store::{is_tombstone, Expected, SessionStore};
use session_core::Error;

use session_core::config::{AstroDriverOptions, AstroStore, DEFAULT_DRIVER_CALL_TIMEOUT};
use session_core::store::kv::RecordIo;

use crate::completions;
use crate::errors::{guard, IntoJs, Result};
use crate::js_driver::{JsDriver, JsRecordIo};

#[napi]
pub struct NativeStore {
    store: Arc<dyn SessionStore>,
    lifetime: Duration,
    timeout: Duration,
    /// The largest record read back (the fs driver reads no more than this and one byte).
    max_record_size: usize,
}

#[napi]
impl NativeStore {
    /// A store configured by `options` (JSON text `{ driver, ttl }`: `ttl` is how long a record
    /// lives after its last write), on the driver object `driver` when the options name one.
    #[napi(constructor)]
    pub fn new(options: String, driver: Option<JsDriver>) -> Result<Self> {
        guard(|| {
            let options = AstroDriverOptions::from_json(&options).into_js()?;
            let custom = driver.map(|driver| Box::new(JsRecordIo::new(driver, DEFAULT_DRIVER_CALL_TIMEOUT)) as Box<dyn RecordIo>);
            let AstroStore { store, lifetime, timeout, max_record_size } = options.build(custom).into_js()?;
            Ok(Self { store, lifetime, timeout, max_record_size })
        })
    }

    /// The record of session `id`, or null (none, expired, or ended).
    #[napi(ts_return_type = "Promise<string | null>")]
    pub fn get_item<'env>(&self, env: &'env Env, id: String) -> napi::Result<PromiseRaw<'env, Option<String>>> {
        let (store, deadline, max_size) = (self.store.clone(), Deadline::after(self.timeout), self.max_record_size);
        completions::spawn(env, async move {
            let Some(id) = SessionId::parse(&id) else { return Ok(None) };
            let record = deadline.run("loading the session", store.load(&id)).await?;
            if record.as_ref().is_some_and(|record| record.len() > max_size) {
                // Never a truncated record, which Astro would fail to parse as corrupt.
                return Err(Error::parse(format!(
                    "the stored session is larger than {max_size} bytes, more than napi-session/astro reads"
                )));
            }
            Ok(record.filter(|record| !is_tombstone(record)).map(|record| String::from_utf8_lossy(&record).into_owned()))
        })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn set_item<'env>(&self, env: &'env Env, id: String, record: String) -> napi::Result<PromiseRaw<'env, ()>> {
        let (store, deadline, lifetime) = (self.store.clone(), Deadline::after(self.timeout), self.lifetime);
        completions::spawn(env, async move {
            // Keys are session ids: anything else never reaches a store (no path or key from outside).
            let id = SessionId::parse(&id)
                .ok_or_else(|| Error::key("napi-session/astro stores sessions under session ids (v4 UUIDs) only"))?;
            deadline.run("saving the session", store.save(&id, record.as_bytes(), lifetime, Expected::Any)).await?;
            Ok(())
        })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn remove_item<'env>(&self, env: &'env Env, id: String) -> napi::Result<PromiseRaw<'env, ()>> {
        let (store, deadline) = (self.store.clone(), Deadline::after(self.timeout));
        completions::spawn(env, async move {
            let Some(id) = SessionId::parse(&id) else { return Ok(()) };
            deadline.run("deleting the session", store.delete(&id)).await
        })
    }
}
