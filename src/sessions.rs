//! `NativeSessions`: what `createSessions()` builds — the configuration and the store every
//! request's session shares. The JS facade (lib/sessions.js) normalizes the user's options into
//! `SessionsConfig` first, so this only converts and validates.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use napi_derive::napi;
use session_core::cookie::{CookieConfig, Priority, SameSite};
use session_core::limits::Limits;
use session_core::signing::Secrets;
use session_core::session::{Session, SessionConfig, DEFAULT_TIMEOUT};
use session_core::store::redis::{self, RedisOptions, RedisStore, Servers, Tls};
use session_core::store::fs::{FsOptions, FsStore};
use session_core::store::{kv::KvStore, memory::MemoryStore, SessionStore};
use session_core::Error;

use crate::errors::{guard, IntoJs, Result};
use crate::js_driver::{JsDriver, JsRecordIo};
use crate::session::NativeSession;

/// The options of `createSessions()`, as lib/sessions.js normalizes them.
#[napi(object, object_to_js = false)]
pub struct SessionsConfig {
    pub driver: DriverConfig,
    pub cookie: CookieOptions,
    /// Default lifetime of a value, in seconds.
    pub ttl: Option<f64>,
    /// How long a stored session lives after it was last used (its idle timeout), in seconds.
    pub lifetime: f64,
    /// Seconds a session lives after it was created, however active.
    pub absolute_timeout: Option<f64>,
    /// Renew the cookie's Max-Age whenever a read extends the session.
    pub rolling: bool,
    /// Seconds a load or a commit may take in all.
    pub timeout: Option<f64>,
    pub max_size: Option<f64>,
    pub max_depth: Option<f64>,
    pub max_expansion: Option<f64>,
}

#[napi(object, object_to_js = false)]
pub struct DriverConfig {
    /// "memory", "fs", "redis" or "custom".
    pub name: String,
    /// fs: the directory (absolute). redis: the key prefix.
    pub base: Option<String>,
    /// memory: the most sessions held.
    pub max_entries: Option<f64>,
    /// fs: seconds between sweeps of expired files.
    pub sweep_interval: Option<f64>,
    /// redis: the server's URL (redis://, rediss://, valkey://, valkeys://)…
    pub url: Option<String>,
    /// …or the URLs of some nodes of a Redis Cluster.
    pub cluster: Option<Vec<String>>,
    /// redis: seconds one connection attempt may take.
    pub connect_timeout: Option<f64>,
    /// redis: seconds a command may wait for its answer. custom: seconds a driver call may take.
    pub command_timeout: Option<f64>,
    /// redis: certificates for rediss://, PEM text.
    pub tls: Option<TlsOptions>,
    /// custom: the JS driver's methods (lib/options.js adapts them).
    pub custom: Option<JsDriver>,
}

#[napi(object, object_to_js = false)]
pub struct TlsOptions {
    pub ca: Option<String>,
    pub cert: Option<String>,
    pub key: Option<String>,
}

#[napi(object)]
pub struct CookieOptions {
    pub name: String,
    pub domain: Option<String>,
    pub path: Option<String>,
    pub max_age: Option<f64>,
    /// "lax", "strict", "none", or "off" (no attribute).
    pub same_site: String,
    pub secure: bool,
    pub partitioned: bool,
    /// "low", "medium" or "high".
    pub priority: Option<String>,
    /// Sign the id in the cookie with the first, verify with any.
    pub secrets: Option<Vec<String>>,
}

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
    #[napi(constructor)]
    pub fn new(options: SessionsConfig) -> Result<Self> {
        guard(|| {
            let lifetime = seconds("idleTimeout", options.lifetime).into_js()?;
            let timeout = options.timeout.map(|t| seconds("timeout", t)).transpose().into_js()?;
            let whole = |value: Option<f64>, default: usize| value.map_or(default, |n| n as usize);
            let defaults = Limits::default();
            let limits = Limits {
                max_size: whole(options.max_size, defaults.max_size),
                max_depth: whole(options.max_depth, defaults.max_depth),
                max_expansion: whole(options.max_expansion, defaults.max_expansion),
            }
            .validate()
            .into_js()?;
            let store = store(options.driver, lifetime, timeout.unwrap_or(DEFAULT_TIMEOUT), limits.max_size).into_js()?;
            let timeout = timeout.or_else(|| store.default_timeout()).unwrap_or(DEFAULT_TIMEOUT);
            let mut config = SessionConfig::new(store, cookie_config(options.cookie).into_js()?);
            config.default_ttl = options.ttl.map(session_core::session::ttl_from_seconds).transpose().into_js()?;
            config.lifetime = lifetime;
            config.timeout = timeout;
            config.absolute_timeout = options.absolute_timeout.map(session_core::session::ttl_from_seconds).transpose().into_js()?;
            config.rolling = options.rolling;
            config.limits = limits;
            Ok(Self { config: Arc::new(config) })
        })
    }

    /// The session of a request whose `Cookie` header is `cookie_header`.
    #[napi]
    pub fn open(&self, cookie_header: Option<String>) -> NativeSession {
        NativeSession::new(Session::open(self.config.clone(), cookie_header.as_deref()))
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
}

/// Seconds a driver call may take by default.
const DEFAULT_COMMAND_TIMEOUT: f64 = 2.0;

/// The store `driver` describes, for records that live `lifetime` after their last write, read
/// and written by operations that may take `operation_timeout` in all, and that accept records of
/// at most `max_record_size` bytes.
pub fn store(
    driver: DriverConfig,
    lifetime: Duration,
    operation_timeout: Duration,
    max_record_size: usize,
) -> session_core::Result<Arc<dyn SessionStore>> {
    match driver.name.as_str() {
        "memory" => {
            let max_entries = driver.max_entries.map_or(session_core::store::memory::DEFAULT_MAX_ENTRIES, |n| n as usize);
            Ok(Arc::new(MemoryStore::new(max_entries)))
        }
        "fs" => {
            let base = driver.base.ok_or_else(|| Error::config("the fs driver needs a base directory"))?;
            let sweep_interval = seconds("sweepInterval", driver.sweep_interval.unwrap_or(600.0))?;
            Ok(Arc::new(FsStore::new(FsOptions {
                base: PathBuf::from(base),
                lifetime,
                sweep_interval,
                // A lock that is not free within the operation's timeout is not waited for longer.
                lock_timeout: operation_timeout,
                max_record_size,
            })))
        }
        "redis" => Ok(Arc::new(RedisStore::new(redis_options(driver)?)?)),
        "custom" => {
            let timeout = seconds("commandTimeout", driver.command_timeout.unwrap_or(DEFAULT_COMMAND_TIMEOUT))?;
            let methods = driver.custom.ok_or_else(|| Error::config("a custom driver needs getItem, setItem and removeItem"))?;
            Ok(Arc::new(KvStore::new(JsRecordIo::new(methods, timeout), timeout)))
        }
        other => Err(Error::config(format!("unknown driver {other:?}: use \"memory\", \"fs\" or \"redis\""))),
    }
}

/// The redis driver's options. Nothing connects here: the store connects on first use, on the
/// tokio runtime that runs the session's async functions.
fn redis_options(driver: DriverConfig) -> session_core::Result<RedisOptions> {
    let servers = match (driver.url, driver.cluster) {
        (Some(url), None) => Servers::Single(url),
        (None, Some(nodes)) => Servers::Cluster(nodes),
        _ => return Err(Error::config("the redis driver needs either url or cluster")),
    };
    let mut options = RedisOptions::new(servers);
    options.base = driver.base;
    options.connect_timeout =
        driver.connect_timeout.map(|s| seconds("connectTimeout", s)).transpose()?.unwrap_or(redis::DEFAULT_CONNECT_TIMEOUT);
    options.command_timeout =
        driver.command_timeout.map(|s| seconds("commandTimeout", s)).transpose()?.unwrap_or(redis::DEFAULT_COMMAND_TIMEOUT);
    if let Some(tls) = driver.tls {
        options.tls = Tls { ca: tls.ca, cert: tls.cert, key: tls.key };
    }
    Ok(options)
}

fn cookie_config(options: CookieOptions) -> session_core::Result<CookieConfig> {
    let mut config = CookieConfig::new(options.name, options.secure);
    config.domain = options.domain;
    if let Some(path) = options.path {
        config.path = path;
    }
    config.max_age = options.max_age.map(|seconds| seconds.floor() as i64);
    config.same_site = match options.same_site.as_str() {
        "lax" => Some(SameSite::Lax),
        "strict" => Some(SameSite::Strict),
        "none" => Some(SameSite::None),
        "off" => None,
        other => return Err(Error::config(format!("cookie sameSite {other:?}: use \"lax\", \"strict\" or \"none\""))),
    };
    config.partitioned = options.partitioned;
    config.secrets = options.secrets.map(Secrets::new).transpose()?;
    config.priority = match options.priority.as_deref() {
        None => None,
        Some("low") => Some(Priority::Low),
        Some("medium") => Some(Priority::Medium),
        Some("high") => Some(Priority::High),
        Some(other) => return Err(Error::config(format!("cookie priority {other:?}: use \"low\", \"medium\" or \"high\""))),
    };
    config.validate()?;
    Ok(config)
}

fn seconds(option: &str, value: f64) -> session_core::Result<Duration> {
    // try_: a number of seconds too large for a Duration is a mistake to report, not a panic.
    Duration::try_from_secs_f64(value)
        .map_err(|_| Error::config(format!("{option} must be a number of seconds, from 0 to 2^64")))
}
