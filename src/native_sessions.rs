//! `NativeSessions`: what `createSessions()` builds — the configuration and the store every
//! request's session shares. The options arrive as JSON text and are typed and checked by the
//! core (`session_core::config`); a driver object's methods, which JSON cannot carry, come apart.

use std::sync::Arc;

use napi_derive::napi;
use session_core::config::SessionsOptions;
use session_core::session::{Session, SessionConfig};
use session_core::store::kv::RecordIo;

use crate::errors::{guard, IntoJs, Result};
use crate::js_driver::{JsDriver, JsRecordIo};
use crate::native_session::NativeSession;

/// What a driver tells of its state (the memory driver: sessions held, and evicted to make room).
#[napi(object)]
pub struct StoreStats {
    pub entries: Option<f64>,
    pub evictions: Option<f64>,
}

#[napi]
pub struct NativeSessions {
    config: Arc<SessionConfig>,
}

#[napi]
impl NativeSessions {
    /// Sessions configured by `options` (JSON text of createSessions()'s options), on the driver
    /// object `driver` when the options name one; `production`: cookies are `Secure` by default.
    #[napi(constructor)]
    pub fn new(options: String, driver: Option<JsDriver>, production: bool) -> Result<Self> {
        guard(|| {
            let options = SessionsOptions::from_json(&options).into_js()?;
            let custom = driver.map(|driver| Box::new(JsRecordIo::new(driver, options.driver_call_timeout())) as Box<dyn RecordIo>);
            let config = options.build(custom, production).into_js()?;
            Ok(Self { config: Arc::new(config) })
        })
    }

    /// The session of a request whose `Cookie` header is `cookie_header`.
    #[napi]
    pub fn open(&self, cookie_header: Option<String>) -> NativeSession {
        NativeSession::new(Session::open(self.config.clone(), cookie_header.as_deref()))
    }

    /// What the session cookie in `cookie_header` names, if one of the secrets signed it, whatever
    /// it is (for `migrateFrom`: an express-session id).
    #[napi]
    pub fn signed_id(&self, cookie_header: String) -> Option<String> {
        self.config.cookie.signed_id_in(&cookie_header)
    }

    /// What the store tells of its state: `{ entries, evictions }` for the memory driver.
    #[napi]
    pub fn stats(&self) -> StoreStats {
        let stats = self.config.store.stats();
        StoreStats { entries: stats.entries.map(|n| n as f64), evictions: stats.evictions.map(|n| n as f64) }
    }

    /// The limits in force, for the JS layer's own checks (the depth of a value, at `set()`).
    #[napi(getter)]
    pub fn max_depth(&self) -> u32 {
        u32::try_from(self.config.limits.max_depth).unwrap_or(u32::MAX)
    }

    /// How long an operation may take in all (the `timeout` option), in milliseconds: the bound
    /// of `update()`'s re-runs, which the JS layer drives.
    #[napi(getter)]
    pub fn timeout_ms(&self) -> f64 {
        self.config.timeout.as_secs_f64() * 1000.0
    }
}
