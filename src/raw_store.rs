//! `NativeStore`: a driver's records by id, without the session around them. This is what
//! `napi-session/astro` gives Astro: Astro keeps its own session logic (and its own devalue
//! encoding) and uses our Rust drivers for the I/O.

use std::sync::Arc;
use std::time::Duration;

use napi_derive::napi;
use session_core::deadline::Deadline;
use session_core::id::SessionId;
use session_core::store::{is_tombstone, Expected, SessionStore};
use session_core::Error;

use crate::errors::{guard, guard_async, IntoJs, Result, Settled};
use crate::sessions::{store, DriverConfig};

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
    /// A store on `driver`, whose records live `lifetime` seconds after their last write.
    #[napi(constructor)]
    pub fn new(driver: DriverConfig, lifetime: f64) -> Result<Self> {
        guard(|| {
            if !(lifetime.is_finite() && lifetime > 0.0 && lifetime <= session_core::session::MAX_TTL.as_secs_f64()) {
                return Err(Error::config("ttl must be a number of seconds, more than 0 and at most about 100 years"))
                    .into_js();
            }
            let lifetime = Duration::from_secs_f64(lifetime);
            let timeout = session_core::session::DEFAULT_TIMEOUT;
            let max_record_size = session_core::limits::DEFAULT_MAX_SIZE;
            Ok(Self { store: store(driver, lifetime, timeout, max_record_size).into_js()?, lifetime, timeout, max_record_size })
        })
    }

    /// The record of session `id`, or null (none, expired, or ended).
    #[napi(ts_return_type = "Promise<string | null>")]
    pub async fn get_item(&self, id: String) -> napi::Result<Settled<Option<String>>> {
        let (store, deadline, max_size) = (self.store.clone(), Deadline::after(self.timeout), self.max_record_size);
        guard_async(async move {
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
        .await
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub async fn set_item(&self, id: String, record: String) -> napi::Result<Settled<()>> {
        let (store, deadline, lifetime) = (self.store.clone(), Deadline::after(self.timeout), self.lifetime);
        guard_async(async move {
            // Keys are session ids: anything else never reaches a store (no path or key from outside).
            let id = SessionId::parse(&id)
                .ok_or_else(|| Error::key("napi-session/astro stores sessions under session ids (v4 UUIDs) only"))?;
            deadline.run("saving the session", store.save(&id, record.as_bytes(), lifetime, Expected::Any)).await?;
            Ok(())
        })
        .await
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub async fn remove_item(&self, id: String) -> napi::Result<Settled<()>> {
        let (store, deadline) = (self.store.clone(), Deadline::after(self.timeout));
        guard_async(async move {
            let Some(id) = SessionId::parse(&id) else { return Ok(()) };
            deadline.run("deleting the session", store.delete(&id)).await
        })
        .await
    }
}
