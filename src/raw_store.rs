//! `NativeStore`: a driver's records by id, without the session around them. This is what
//! `napi-session/astro` gives Astro: Astro keeps its own session logic (and its own devalue
//! encoding) and uses our Rust drivers for the I/O.

use std::sync::Arc;
use std::time::Duration;

use napi_derive::napi;
use session_core::id::SessionId;
use session_core::store::{Expected, SessionStore, TOMBSTONE};
use session_core::Error;

use crate::errors::IntoNapi;
use crate::sessions::{store, DriverConfig};

#[napi]
pub struct NativeStore {
    store: Arc<dyn SessionStore>,
    lifetime: Duration,
}

#[napi]
impl NativeStore {
    /// A store on `driver`, whose records live `lifetime` seconds after their last write.
    #[napi(constructor)]
    pub fn new(driver: DriverConfig, lifetime: f64) -> napi::Result<Self> {
        if !(lifetime.is_finite() && lifetime > 0.0) {
            return Err(Error::config("ttl must be a number of seconds, more than 0")).into_napi();
        }
        let lifetime = Duration::from_secs_f64(lifetime);
        Ok(Self { store: store(driver, lifetime).into_napi()?, lifetime })
    }

    /// The record of session `id`, or null (none, expired, or destroyed).
    #[napi]
    pub async fn get_item(&self, id: String) -> napi::Result<Option<String>> {
        let id = session_id(&id)?;
        let record = self.store.load(&id).await.into_napi()?;
        Ok(record
            .filter(|record| record.as_slice() != TOMBSTONE)
            .map(|record| String::from_utf8_lossy(&record).into_owned()))
    }

    #[napi]
    pub async fn set_item(&self, id: String, record: String) -> napi::Result<()> {
        let id = session_id(&id)?;
        self.store.save(&id, record.as_bytes(), self.lifetime, Expected::Any).await.into_napi()?;
        Ok(())
    }

    #[napi]
    pub async fn remove_item(&self, id: String) -> napi::Result<()> {
        let id = session_id(&id)?;
        self.store.delete(&id).await.into_napi()
    }
}

/// Keys are session ids: anything else never reaches a store (no path or key from outside).
fn session_id(key: &str) -> napi::Result<SessionId> {
    SessionId::parse(key)
        .ok_or_else(|| Error::key(format!("{key:?} is not a session id (a lowercase version-4 UUID)")))
        .into_napi()
}
