//! The configuration of `createSessions()` and of the Astro driver: typed, deserialized with serde
//! from the options the application wrote, every default and every range check in this one place.
//!
//! The JS layer hands over what JSON can carry (as JSON text), after evening out a few shorthands
//! (`driver: 'fs'` → `{ name: 'fs' }`, `cookie: 'sid'` → `{ name: 'sid' }`, one secret → a list);
//! a driver object's methods, which JSON cannot carry, come apart. An unknown option, a value of
//! the wrong type or out of range is `ERR_SESSION_CONFIG`, naming the option by its path
//! (`driver.connectTimeout`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::de::{self, Deserializer};
use serde::Deserialize;

use crate::cookie::{CookieConfig, Priority, SameSite};
use crate::limits::Limits;
use crate::session::{SessionConfig, DEFAULT_LIFETIME, DEFAULT_TIMEOUT, MAX_TTL};
use crate::signing::Secrets;
use crate::store::fs::{FsOptions, FsStore};
use crate::store::kv::{KvStore, RecordIo};
use crate::store::memory::{MemoryStore, DEFAULT_MAX_ENTRIES};
use crate::store::redis::{RedisOptions, RedisStore, Servers, Tls, DEFAULT_COMMAND_TIMEOUT, DEFAULT_CONNECT_TIMEOUT};
use crate::store::SessionStore;
use crate::{Error, Result};

/// Astro's default directory for the fs driver (relative to the working directory).
pub const DEFAULT_FS_BASE: &str = ".astro/session";
/// The least time between two sweeps of the fs driver's expired files.
pub const DEFAULT_SWEEP_INTERVAL: Duration = Duration::from_secs(600);
/// How long a call of a driver object may take.
pub const DEFAULT_DRIVER_CALL_TIMEOUT: Duration = Duration::from_secs(2);

/// The options of `createSessions()`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SessionsOptions {
    /// Read on its own ([`DriverOptions::from_value`]), so that a mistake in it is named by its
    /// full path.
    #[serde(default)]
    driver: serde_json::Value,
    #[serde(skip)]
    pub driver_options: DriverOptions,
    #[serde(default)]
    pub cookie: CookieOptions,
    /// The default lifetime of a value; the idle timeout too, when that is not given.
    pub ttl: Option<Seconds>,
    pub idle_timeout: Option<Seconds>,
    pub absolute_timeout: Option<Seconds>,
    #[serde(default)]
    pub rolling: bool,
    pub secrets: Option<Vec<String>>,
    pub timeout: Option<Seconds>,
    pub max_size: Option<Count>,
    pub max_depth: Option<Count>,
    pub max_expansion: Option<Count>,
}

/// Which store, and its options. (`name` picks the driver.)
#[derive(Debug)]
pub enum DriverOptions {
    Memory(MemoryDriverOptions),
    Fs(FsDriverOptions),
    Redis(RedisDriverOptions),
    /// A driver object written in JS (its methods come apart from this text).
    Custom(CustomDriverOptions),
}

impl Default for DriverOptions {
    fn default() -> Self {
        DriverOptions::Fs(FsDriverOptions::default())
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MemoryDriverOptions {
    pub max_entries: Option<Count>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FsDriverOptions {
    pub base: Option<NonEmptyString>,
    /// 0: a sweep may start at every write.
    pub sweep_interval: Option<SecondsOrZero>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RedisDriverOptions {
    pub url: Option<NonEmptyString>,
    pub cluster: Option<Vec<NonEmptyString>>,
    pub base: Option<String>,
    pub connect_timeout: Option<Seconds>,
    pub command_timeout: Option<Seconds>,
    pub tls: Option<TlsOptions>,
}

/// PEM text (the JS layer turns Buffers and lists of them into text).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsOptions {
    pub ca: Option<String>,
    pub cert: Option<String>,
    pub key: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CustomDriverOptions {
    /// How long one call of the driver may take.
    pub command_timeout: Option<Seconds>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CookieOptions {
    pub name: Option<String>,
    pub domain: Option<String>,
    pub path: Option<String>,
    /// Seconds; 0 or more.
    pub max_age: Option<SecondsOrZero>,
    pub same_site: Option<SameSiteOption>,
    pub secure: Option<bool>,
    #[serde(default)]
    pub partitioned: bool,
    pub priority: Option<PriorityOption>,
}

/// `"lax"`, `"strict"`, `"none"` (any case), `true` (strict) or `false` (no attribute).
#[derive(Debug, Clone, Copy)]
pub struct SameSiteOption(Option<SameSite>);

#[derive(Debug, Clone, Copy)]
pub struct PriorityOption(Priority);

/// A number of seconds: more than 0, finite, at most about a century.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Seconds(pub Duration);

/// A number of seconds, 0 or more (finite, at most about a century).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SecondsOrZero(pub Duration);

/// A whole number, 1 or more.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Count(pub usize);

#[derive(Debug, Clone, PartialEq)]
pub struct NonEmptyString(pub String);

impl DriverOptions {
    /// The options of the driver `value` names (`{ name, ...options }`; none: the default, fs),
    /// mistakes named by their path below `at`.
    fn from_value(value: serde_json::Value, at: &str, what: &str) -> Result<Self> {
        let mut value = match value {
            serde_json::Value::Null => return Ok(DriverOptions::default()),
            serde_json::Value::Object(map) => map,
            _ => return Err(Error::config(format!("{what} option {at} must be an object {{ name, ...options }}"))),
        };
        let name = match value.remove("name") {
            Some(serde_json::Value::String(name)) => name,
            _ => return Err(Error::config(format!("{what} option {at}.name must be \"memory\", \"fs\" or \"redis\""))),
        };
        let options = serde_json::Value::Object(value);
        let at = format!("{at}.");
        Ok(match name.as_str() {
            "memory" => DriverOptions::Memory(from_value(options, &at, what)?),
            "fs" => DriverOptions::Fs(from_value(options, &at, what)?),
            "redis" => DriverOptions::Redis(from_value(options, &at, what)?),
            "custom" => DriverOptions::Custom(from_value(options, &at, what)?),
            other => {
                return Err(Error::config(format!(
                    "{what} option {at}name: unknown driver {other:?}: use \"memory\", \"fs\" or \"redis\", a driver \
                     object, or {{ entrypoint, config }} for a driver module"
                )))
            }
        })
    }
}

impl SessionsOptions {
    /// The options from their JSON text.
    pub fn from_json(text: &str) -> Result<Self> {
        let mut options: Self = from_value(parse_json(text)?, "", "createSessions()")?;
        options.driver_options = DriverOptions::from_value(std::mem::take(&mut options.driver), "driver", "createSessions()")?;
        Ok(options)
    }

    /// How long a call of a driver object may take.
    pub fn driver_call_timeout(&self) -> Duration {
        match &self.driver_options {
            DriverOptions::Custom(custom) => custom.command_timeout.map_or(DEFAULT_DRIVER_CALL_TIMEOUT, |s| s.0),
            _ => DEFAULT_DRIVER_CALL_TIMEOUT,
        }
    }

    /// The sessions' configuration, with its store: `custom` is the driver object's I/O when the
    /// driver is one; `production` makes cookies `Secure` by default (Astro: NODE_ENV=production).
    pub fn build(self, custom: Option<Box<dyn RecordIo>>, production: bool) -> Result<SessionConfig> {
        let idle = self.idle_timeout.or(self.ttl).map_or(DEFAULT_LIFETIME, |s| s.0);
        let defaults = Limits::default();
        let limits = Limits {
            max_size: self.max_size.map_or(defaults.max_size, |n| n.0),
            max_depth: self.max_depth.map_or(defaults.max_depth, |n| n.0),
            max_expansion: self.max_expansion.map_or(defaults.max_expansion, |n| n.0),
        };
        let timeout = self.timeout.map(|s| s.0);
        let call_timeout = self.driver_call_timeout();
        let store = self.driver_options.build(idle, timeout.unwrap_or(DEFAULT_TIMEOUT), limits.max_size, custom, call_timeout)?;
        let mut cookie = self.cookie.build(production)?;
        cookie.secrets = self.secrets.map(Secrets::new).transpose()?;
        cookie.validate()?;
        let mut config = SessionConfig::new(store, cookie);
        config.timeout = timeout.or_else(|| config.store.default_timeout()).unwrap_or(DEFAULT_TIMEOUT);
        config.default_ttl = self.ttl.map(|s| s.0);
        config.lifetime = idle;
        config.absolute_timeout = self.absolute_timeout.map(|s| s.0);
        config.rolling = self.rolling;
        config.limits = limits;
        Ok(config)
    }
}

/// The options of `napi-session/astro`: a driver, and how long a session lives after its last write.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AstroDriverOptions {
    #[serde(default)]
    driver: serde_json::Value,
    #[serde(skip)]
    pub driver_options: DriverOptions,
    pub ttl: Option<Seconds>,
}

/// The store of `napi-session/astro`, what its records live for, and how long an operation may take.
pub struct AstroStore {
    pub store: Arc<dyn SessionStore>,
    pub lifetime: Duration,
    pub timeout: Duration,
    pub max_record_size: usize,
}

impl AstroDriverOptions {
    pub fn from_json(text: &str) -> Result<Self> {
        let mut options: Self = from_value(parse_json(text)?, "", "napi-session/astro")?;
        options.driver_options = DriverOptions::from_value(std::mem::take(&mut options.driver), "driver", "napi-session/astro")?;
        Ok(options)
    }

    pub fn build(self, custom: Option<Box<dyn RecordIo>>) -> Result<AstroStore> {
        let lifetime = self.ttl.map_or(DEFAULT_LIFETIME, |s| s.0);
        let max_record_size = Limits::default().max_size;
        let call_timeout = match &self.driver_options {
            DriverOptions::Custom(custom) => custom.command_timeout.map_or(DEFAULT_DRIVER_CALL_TIMEOUT, |s| s.0),
            _ => DEFAULT_DRIVER_CALL_TIMEOUT,
        };
        let store = self.driver_options.build(lifetime, DEFAULT_TIMEOUT, max_record_size, custom, call_timeout)?;
        let timeout = store.default_timeout().unwrap_or(DEFAULT_TIMEOUT);
        Ok(AstroStore { store, lifetime, timeout, max_record_size })
    }
}

impl DriverOptions {
    /// The store. Nothing connects here: the Redis store connects on first use.
    fn build(
        self,
        lifetime: Duration,
        operation_timeout: Duration,
        max_record_size: usize,
        custom: Option<Box<dyn RecordIo>>,
        call_timeout: Duration,
    ) -> Result<Arc<dyn SessionStore>> {
        Ok(match self {
            DriverOptions::Memory(options) => {
                Arc::new(MemoryStore::new(options.max_entries.map_or(DEFAULT_MAX_ENTRIES, |n| n.0)))
            }
            DriverOptions::Fs(options) => {
                let base = options.base.map_or_else(|| DEFAULT_FS_BASE.to_owned(), |base| base.0);
                let base = std::path::absolute(PathBuf::from(&base))
                    .map_err(|error| Error::config(format!("driver.base {base:?} is not a usable path: {error}")))?;
                Arc::new(FsStore::new(FsOptions {
                    base,
                    lifetime,
                    sweep_interval: options.sweep_interval.map_or(DEFAULT_SWEEP_INTERVAL, |s| s.0),
                    lock_timeout: operation_timeout,
                    max_record_size,
                }))
            }
            DriverOptions::Redis(options) => Arc::new(RedisStore::new(options.into_redis_options()?)?),
            DriverOptions::Custom(_) => {
                let io = custom.ok_or_else(|| Error::config("a custom driver needs getItem, setItem and removeItem"))?;
                Arc::new(KvStore::new(io, call_timeout))
            }
        })
    }
}

impl RedisDriverOptions {
    fn into_redis_options(self) -> Result<RedisOptions> {
        let servers = match (self.url, self.cluster) {
            (Some(url), None) => Servers::Single(url.0),
            (None, Some(nodes)) if !nodes.is_empty() => Servers::Cluster(nodes.into_iter().map(|node| node.0).collect()),
            (None, Some(_)) => {
                return Err(Error::config(
                    "driver.cluster must list at least one node URL, e.g. [\"redis://10.0.0.1:7000\"]",
                ))
            }
            _ => {
                return Err(Error::config(
                    "the redis driver needs exactly one of url (one server) or cluster (a list of node URLs)",
                ))
            }
        };
        let mut options = RedisOptions::new(servers);
        options.base = self.base;
        options.connect_timeout = self.connect_timeout.map_or(DEFAULT_CONNECT_TIMEOUT, |s| s.0);
        options.command_timeout = self.command_timeout.map_or(DEFAULT_COMMAND_TIMEOUT, |s| s.0);
        if let Some(tls) = self.tls {
            options.tls = Tls { ca: tls.ca, cert: tls.cert, key: tls.key };
        }
        Ok(options)
    }
}

impl CookieOptions {
    fn build(self, production: bool) -> Result<CookieConfig> {
        let mut config = CookieConfig::new(self.name.unwrap_or_else(|| crate::cookie::DEFAULT_COOKIE_NAME.to_owned()), production);
        config.domain = self.domain;
        if let Some(path) = self.path {
            config.path = path;
        }
        if let Some(SecondsOrZero(max_age)) = self.max_age {
            // (Within about a century, so it fits; Max-Age is whole seconds, rounded down.)
            config.max_age = Some(i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX));
        }
        if let Some(SameSiteOption(same_site)) = self.same_site {
            config.same_site = same_site;
        }
        if let Some(secure) = self.secure {
            config.secure = secure;
        }
        config.partitioned = self.partitioned;
        config.priority = self.priority.map(|PriorityOption(priority)| priority);
        Ok(config)
    }
}

fn parse_json(text: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|error| Error::config(format!("the options are not JSON: {error}")))
}

/// `T` from `value`, a mistake named by its path (below `at`, e.g. `driver.`) in `what`'s options.
fn from_value<T: for<'de> Deserialize<'de>>(value: serde_json::Value, at: &str, what: &str) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let message = error.into_inner().to_string();
        if path == "." {
            // An unknown option, whose name the message gives.
            let field = message.split('`').nth(1).unwrap_or("");
            Error::config(format!("{what} option {at}{field}: {message}"))
        } else {
            Error::config(format!("{what} option {at}{path}: {message}"))
        }
    })
}

/// Numbers of the options: JSON numbers, said in words when they are something else.
struct NumberVisitor(&'static str);

impl de::Visitor<'_> for NumberVisitor {
    type Value = f64;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> std::result::Result<f64, E> {
        Ok(value)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> std::result::Result<f64, E> {
        Ok(value as f64)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> std::result::Result<f64, E> {
        Ok(value as f64)
    }
}

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let seconds = deserializer.deserialize_f64(NumberVisitor("a number of seconds"))?;
        if !(seconds > 0.0 && seconds <= MAX_TTL.as_secs_f64()) {
            return Err(de::Error::custom(format_args!(
                "{seconds} is not a number of seconds more than 0 (and at most about 100 years)"
            )));
        }
        Ok(Seconds(Duration::from_secs_f64(seconds)))
    }
}

impl<'de> Deserialize<'de> for SecondsOrZero {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let seconds = deserializer.deserialize_f64(NumberVisitor("a number of seconds"))?;
        if !(seconds >= 0.0 && seconds <= MAX_TTL.as_secs_f64()) {
            return Err(de::Error::custom(format_args!(
                "{seconds} is not a number of seconds, 0 or more (and at most about 100 years)"
            )));
        }
        Ok(SecondsOrZero(Duration::from_secs_f64(seconds)))
    }
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let number = deserializer.deserialize_f64(NumberVisitor("a whole number"))?;
        if !(number >= 1.0 && number.fract() == 0.0 && number <= 2f64.powi(53)) {
            return Err(de::Error::custom(format_args!("{number} is not a whole number, 1 or more")));
        }
        Ok(Count(number as usize))
    }
}

impl<'de> Deserialize<'de> for NonEmptyString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.is_empty() {
            return Err(de::Error::custom("an empty string"));
        }
        Ok(NonEmptyString(text))
    }
}

impl<'de> Deserialize<'de> for SameSiteOption {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Flag(bool),
            Name(String),
        }
        let invalid = || de::Error::custom("sameSite must be \"lax\", \"strict\", \"none\", true or false");
        Ok(SameSiteOption(match Raw::deserialize(deserializer).map_err(|_| invalid())? {
            Raw::Flag(true) => Some(SameSite::Strict),
            Raw::Flag(false) => None,
            Raw::Name(name) => match name.to_ascii_lowercase().as_str() {
                "lax" => Some(SameSite::Lax),
                "strict" => Some(SameSite::Strict),
                "none" => Some(SameSite::None),
                _ => return Err(invalid()),
            },
        }))
    }
}

impl<'de> Deserialize<'de> for PriorityOption {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Ok(PriorityOption(match name.to_ascii_lowercase().as_str() {
            "low" => Priority::Low,
            "medium" => Priority::Medium,
            "high" => Priority::High,
            _ => return Err(de::Error::custom("priority must be \"low\", \"medium\" or \"high\"")),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(json: &str) -> String {
        let options = SessionsOptions::from_json(json);
        let result = options.and_then(|options| options.build(None, false).map(drop));
        let error = result.unwrap_err();
        assert_eq!(error.code, crate::ErrorCode::Config, "{}", error.message);
        error.message
    }

    #[test]
    fn the_defaults() {
        let config = SessionsOptions::from_json("{}").unwrap().build(None, false).unwrap();
        assert_eq!(config.lifetime, DEFAULT_LIFETIME);
        assert_eq!(config.timeout, DEFAULT_TIMEOUT);
        assert_eq!(config.limits, Limits::default());
        assert_eq!(config.cookie.name, "astro-session");
        assert!(!config.cookie.secure);
        assert!(SessionsOptions::from_json("{}").unwrap().build(None, true).unwrap().cookie.secure, "Secure in production");
    }

    #[test]
    fn idle_timeout_defaults_to_ttl_and_redis_timeout_to_its_own() {
        let json = r#"{"ttl":60,"driver":{"name":"redis","url":"redis://127.0.0.1:1","connectTimeout":0.5,"commandTimeout":1}}"#;
        let config = SessionsOptions::from_json(json).unwrap().build(None, false).unwrap();
        assert_eq!(config.lifetime, Duration::from_secs(60));
        assert_eq!(config.default_ttl, Some(Duration::from_secs(60)));
        assert_eq!(config.timeout, Duration::from_millis(1500));
    }

    #[test]
    fn mistakes_name_the_option() {
        assert!(error_of(r#"{"driver":{"name":"fs","dir":"x"}}"#).starts_with("createSessions() option driver.dir: unknown field `dir`, expected `base` or `sweepInterval`"));
        assert!(error_of(r#"{"driver":{"name":"mongo"}}"#).starts_with("createSessions() option driver.name: unknown driver \"mongo\""));
        assert!(error_of(r#"{"ttl":0}"#).starts_with("createSessions() option ttl: 0 is not a number of seconds more than 0"));
        assert!(error_of(r#"{"ttl":"1h"}"#).starts_with("createSessions() option ttl: invalid type: string \"1h\", expected a number of seconds"));
        assert!(error_of(r#"{"cookie":{"maxAge":"1h"}}"#)
            .starts_with("createSessions() option cookie.maxAge: invalid type: string \"1h\", expected a number of seconds"));
        assert!(error_of(r#"{"cookie":{"maxAge":-1}}"#)
            .starts_with("createSessions() option cookie.maxAge: -1 is not a number of seconds, 0 or more"));
        assert!(error_of(r#"{"cookie":{"maxAge":1e20}}"#)
            .starts_with("createSessions() option cookie.maxAge: 100000000000000000000 is not a number of seconds, 0 or more (and at most about 100 years)"));
        assert!(error_of(r#"{"idleTimeout":1e20}"#).contains("idleTimeout"));
        assert!(error_of(r#"{"maxSize":1.5}"#).starts_with("createSessions() option maxSize: 1.5 is not a whole number"));
        assert!(error_of(r#"{"cookie":{"sameSite":"sideways"}}"#).starts_with("createSessions() option cookie.sameSite: sameSite must be"));
        assert!(error_of(r#"{"driver":{"name":"redis","url":"redis://a","cluster":["redis://b"]}}"#).contains("exactly one of url"));
        assert!(error_of(r#"{"driver":{"name":"redis","url":"redis://a","connectTimeout":0}}"#).starts_with("createSessions() option driver.connectTimeout"));
        assert!(error_of(r#"{"secrets":["short"]}"#).contains("shorter than 32 bytes"));
        assert!(error_of(r#"{"cookie":{"name":"__Host-sid"}}"#).contains("__Host-"));
        assert!(error_of(r#"{"colour":"blue"}"#).starts_with("createSessions() option colour: unknown field `colour`"));
        assert!(error_of(r#"{"driver":{"name":"redis","url":"redis://a","tls":{"ca":1}}}"#).starts_with("createSessions() option driver.tls.ca: invalid type"));
    }

    #[test]
    fn a_driver_object_needs_its_methods() {
        assert!(error_of(r#"{"driver":{"name":"custom"}}"#).contains("getItem"));
    }
}
