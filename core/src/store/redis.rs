//! The Redis store: Redis ≥ 6 or Valkey, one server or a Redis Cluster.
//!
//! What is stored where is unstorage's redis driver's layout, so a site on Astro (with
//! `unstorage/drivers/redis` and the same `base`) and napi-session share their sessions:
//!
//! - **key** `<base>:<id>`, or `<id>` without a base (`base` normalized as unstorage does it:
//!   one trailing `:` dropped, `/` and `\` read as `:`, a leading or trailing separator dropped);
//! - **value** the record exactly: Astro's devalue text; a tombstone is an empty string;
//! - **expiry** every write sets `PX` to the record's lifetime, so Redis drops sessions nobody comes
//!   back to. (Astro sets no expiry: its sessions stay until something deletes them.)
//!
//! Compare-and-set is one Lua script (`redis/compare_and_set.lua`), atomic on the server: it
//! compares the stored record with the expected one by SHA-1 and writes only on a match, else
//! answers the record as it is, so the caller merges again without another read. Every operation
//! touches one key, so all of them work on a cluster.
//!
//! Failures: every operation gives up after `connect_timeout + command_timeout` at the latest
//! (one connection attempt, then the command), with [`ErrorCode::Timeout`](crate::ErrorCode);
//! any other failure is [`ErrorCode::Storage`](crate::ErrorCode). Messages name the operation and
//! the server, never the session id (it is a credential) nor a password.

mod connection;

use std::future::Future;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use redis::{ErrorKind, RedisError, RedisResult, Script};

use self::connection::{Connection, Connector};
pub use self::connection::{Servers, Tls};
use super::{Expected, Saved, SessionStore};
use crate::id::SessionId;
use crate::{Error, Result};

pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

/// The longest expiry set on a key: as good as forever for a session, and far below what Redis
/// refuses (an expiry time past `i64::MAX` milliseconds).
const LONGEST_PX: u64 = 100 * 365 * 24 * 3600 * 1000;

/// Loaded into the server once (`EVALSHA`, and `SCRIPT LOAD` when the server answers NOSCRIPT,
/// e.g. after a restart).
static COMPARE_AND_SET: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("redis/compare_and_set.lua")));

/// Extends a record's expiry if it is still the expected one (loaded the same way).
static TOUCH: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("redis/touch.lua")));

/// How to reach Redis, and where the sessions go in it.
#[derive(Clone, Debug)]
pub struct RedisOptions {
    pub servers: Servers,
    /// The key prefix (unstorage's `base`); `None` or empty for bare ids.
    pub base: Option<String>,
    /// How long one connection attempt may take.
    pub connect_timeout: Duration,
    /// How long a command may wait for its answer.
    pub command_timeout: Duration,
    pub tls: Tls,
}

impl RedisOptions {
    /// The options for `servers` with no base and the default timeouts.
    pub fn new(servers: Servers) -> Self {
        Self {
            servers,
            base: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            command_timeout: DEFAULT_COMMAND_TIMEOUT,
            tls: Tls::default(),
        }
    }
}

pub struct RedisStore {
    connector: Connector,
    /// `<base>:`, or empty.
    prefix: String,
    connect_timeout: Duration,
    command_timeout: Duration,
}

impl RedisStore {
    /// Checks the options; connects on first use (see [`connection`]).
    pub fn new(options: RedisOptions) -> Result<Self> {
        for (name, timeout) in
            [("connectTimeout", options.connect_timeout), ("commandTimeout", options.command_timeout)]
        {
            if timeout.is_zero() {
                return Err(Error::config(format!("the redis driver's {name} must be more than 0 seconds")));
            }
        }
        let connector =
            Connector::new(&options.servers, &options.tls, options.connect_timeout, options.command_timeout)?;
        Ok(Self {
            connector,
            prefix: key_prefix(options.base.as_deref().unwrap_or("")),
            connect_timeout: options.connect_timeout,
            command_timeout: options.command_timeout,
        })
    }

    /// The Redis key of session `id`.
    pub fn key(&self, id: &SessionId) -> String {
        format!("{}{}", self.prefix, id.as_str())
    }

    /// Runs one operation: `attempt` with the shared connection, once more if the connection
    /// turned out to be lost (a server restart; `retried` is then true), all within the time limit.
    async fn run<T, F, Fut>(&self, action: &str, mut attempt: F) -> Result<T>
    where
        F: FnMut(Connection, bool) -> Fut + Send,
        Fut: Future<Output = RedisResult<T>> + Send,
    {
        let work = async {
            let first = attempt(self.connector.get().await?, false).await;
            match first {
                // The connection was found dead (or a reconnect had failed) and is being replaced:
                // the second attempt goes through the new one. Only once, so an outage fails fast.
                Err(error) if error.is_connection_dropped() || error.is_connection_refusal() => {
                    attempt(self.connector.get().await?, true).await
                }
                result => result,
            }
        };
        // The connection has its own connect and response timeouts; this one also bounds what
        // they do not cover, such as waiting on a reconnect in progress.
        match tokio::time::timeout(self.connect_timeout.saturating_add(self.command_timeout), work).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) if error.is_timeout() => Err(self.timed_out(action)),
            Ok(Err(error)) => Err(Error::storage(format!(
                "redis driver could not {action} on {}: {}",
                self.connector.description(),
                reason(&error)
            ))),
            Err(_elapsed) => Err(self.timed_out(action)),
        }
    }

    fn timed_out(&self, action: &str) -> Error {
        // A server without TLS reads a TLS greeting as the start of a command and waits for its
        // end: to the client, a TLS URL pointed at a plain port looks like a server that is down.
        let tls = if self.connector.uses_tls() { " and speaks TLS there (the URL says rediss://)" } else { "" };
        Error::timeout(format!(
            "redis driver: {} did not answer in time to {action} (connectTimeout {}, commandTimeout {}); \
             check that the server is up and reachable{tls}, or raise the timeouts",
            self.connector.description(),
            seconds(self.connect_timeout),
            seconds(self.command_timeout),
        ))
    }
}

/// What went wrong, in one line. A reply that is not the Redis protocol at all (redis-rs reports
/// the parser's position and every unexpected byte, one per line) means the address is not a
/// Redis server's, or one that speaks TLS: the commands used here never fail to convert a reply
/// that Redis sent.
fn reason(error: &RedisError) -> String {
    if error.kind() == ErrorKind::Parse {
        return "the server did not answer in the Redis protocol: is it a Redis (or Valkey) server, and does it \
                want TLS (rediss://)?"
            .to_owned();
    }
    error.to_string().lines().map(str::trim).filter(|line| !line.is_empty()).collect::<Vec<_>>().join("; ")
}

#[async_trait]
impl SessionStore for RedisStore {
    async fn load(&self, id: &SessionId) -> Result<Option<Vec<u8>>> {
        let key = self.key(id);
        self.run("load a session", |mut connection, _| {
            let get = redis::cmd("GET").arg(&key).clone();
            async move { get.query_async::<Option<Vec<u8>>>(&mut connection).await }
        })
        .await
    }

    /// `GET` and `PTTL` in one round trip (one key, so a cluster takes the pipeline too).
    async fn load_with_expiry(&self, id: &SessionId) -> Result<Option<(Vec<u8>, Option<f64>)>> {
        let key = self.key(id);
        let loaded = self
            .run("load a session", |mut connection, _| {
                let pipeline = redis::pipe().cmd("GET").arg(&key).cmd("PTTL").arg(&key).clone();
                async move { pipeline.query_async::<(Option<Vec<u8>>, i64)>(&mut connection).await }
            })
            .await?;
        let now = super::now_ms();
        // PTTL: -1 for a key without expiry (Astro writes none), -2 for no key.
        Ok(match loaded {
            (Some(record), pttl) => Some((record, (pttl >= 0).then_some(now + pttl as f64))),
            (None, _) => None,
        })
    }

    async fn touch(&self, id: &SessionId, current: &[u8], lifetime: Duration) -> Result<bool> {
        let key = self.key(id);
        let (sha1, px) = (sha1_hex(current), px(lifetime));
        let extended: i64 = self
            .run("extend a session", |mut connection, _| {
                let (key, sha1) = (&key, &sha1);
                async move { TOUCH.key(key).arg(sha1).arg(px).invoke_async(&mut connection).await }
            })
            .await?;
        Ok(extended == 1)
    }

    async fn save(&self, id: &SessionId, record: &[u8], lifetime: Duration, expected: Expected<'_>) -> Result<Saved> {
        let key = self.key(id);
        let px = px(lifetime);
        let (mode, sha1) = match expected {
            Expected::Any => ("any", String::new()),
            Expected::Absent => ("absent", String::new()),
            Expected::Current(bytes) => ("current", sha1_hex(bytes)),
        };
        self.run("save a session", |mut connection, retried| {
            let (key, sha1) = (&key, &sha1);
            async move {
                let (written, current): (i64, Option<Vec<u8>>) = COMPARE_AND_SET
                    .key(key)
                    .arg(record)
                    .arg(px)
                    .arg(mode)
                    .arg(sha1)
                    .invoke_async(&mut connection)
                    .await?;
                Ok(match current {
                    _ if written == 1 => Saved::Done,
                    // The first attempt's answer was lost with its connection, but the record is
                    // now exactly ours: that attempt was carried out.
                    Some(current) if retried && current == record => Saved::Done,
                    current => Saved::Conflict(current),
                })
            }
        })
        .await
    }

    /// One connection attempt and one command: a commit that found its record loaded needs just
    /// that, and so does a load.
    fn default_timeout(&self) -> Option<Duration> {
        Some(self.connect_timeout.saturating_add(self.command_timeout))
    }

    async fn delete(&self, id: &SessionId) -> Result<()> {
        let key = self.key(id);
        self.run("delete a session", |mut connection, _| {
            // UNLINK: the memory is reclaimed in the background, as unstorage's driver does it.
            let unlink = redis::cmd("UNLINK").arg(&key).clone();
            async move { unlink.query_async::<i64>(&mut connection).await.map(drop) }
        })
        .await
    }
}

/// The key prefix for `base`, exactly as unstorage's redis driver builds it:
/// `base.replace(/:$/, '')`, then `normalizeKey` (every `:`, `/`, `\` becomes `:`; one leading and
/// one trailing separator are dropped), then joined to the id with `:`.
fn key_prefix(base: &str) -> String {
    let base = base.strip_suffix(':').unwrap_or(base);
    let normalized: String = base.chars().map(|c| if matches!(c, '/' | '\\') { ':' } else { c }).collect();
    let normalized = normalized.strip_prefix(':').unwrap_or(&normalized);
    let normalized = normalized.strip_suffix(':').unwrap_or(normalized);
    if normalized.is_empty() {
        String::new()
    } else {
        format!("{normalized}:")
    }
}

/// `PX` for a lifetime: whole milliseconds rounded up (Redis refuses 0), at most [`LONGEST_PX`].
fn px(lifetime: Duration) -> u64 {
    let millis = lifetime.as_nanos().div_ceil(1_000_000);
    u64::try_from(millis).unwrap_or(u64::MAX).clamp(1, LONGEST_PX)
}

/// SHA-1 in lowercase hex, as `redis.sha1hex` gives it.
fn sha1_hex(bytes: &[u8]) -> String {
    sha1_smol::Sha1::from(bytes).digest().to_string()
}

fn seconds(duration: Duration) -> String {
    format!("{} s", duration.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_server_that_is_not_redis_is_reported_as_such_in_one_line() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        // An HTTP server: it answers whatever it is sent with an HTTP error.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("redis://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buffer = [0u8; 1024];
                    while let Ok(read) = socket.read(&mut buffer).await {
                        if read == 0 || socket.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n").await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        let store = RedisStore::new(RedisOptions::new(Servers::Single(url.clone()))).unwrap();
        let error = store.load(&SessionId::generate()).await.unwrap_err();
        assert_eq!(error.code, crate::ErrorCode::Storage);
        assert!(!error.message.contains('\n'), "{:?}", error.message);
        assert!(error.message.contains(&url), "{}", error.message);
        assert!(error.message.contains("did not answer in the Redis protocol"), "{}", error.message);
    }

    #[test]
    fn key_prefix_is_unstorages() {
        // Cases worked through unstorage's `base.replace(/:$/, "")` + `joinKeys(base, id)`.
        for (base, prefix) in [
            ("", ""),
            (":", ""),
            ("sess", "sess:"),
            ("sess:", "sess:"),
            ("sess::", "sess:"),
            ("sess:::", "sess::"),
            ("app:sess", "app:sess:"),
            ("app/sess", "app:sess:"),
            ("\\app\\sess\\", "app:sess:"),
            ("/sess/", "sess:"),
            ("::a::", ":a:"),
        ] {
            assert_eq!(key_prefix(base), prefix, "base {base:?}");
        }
    }

    #[test]
    fn px_is_whole_milliseconds_rounded_up_and_bounded() {
        assert_eq!(px(Duration::ZERO), 1);
        assert_eq!(px(Duration::from_micros(1)), 1);
        assert_eq!(px(Duration::from_micros(1500)), 2);
        assert_eq!(px(Duration::from_secs(3600)), 3_600_000);
        assert_eq!(px(Duration::MAX), LONGEST_PX);
    }

    #[test]
    fn sha1_matches_redis_sha1hex() {
        // `redis.sha1hex` answers lowercase hex (FIPS 180 test vectors).
        assert_eq!(sha1_hex(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
    }

    #[test]
    fn options_are_checked_before_connecting() {
        let config_error =
            |options: RedisOptions| RedisStore::new(options).err().map(|error| (error.code, error.message));
        let single = |url: &str| RedisOptions::new(Servers::Single(url.to_owned()));

        let (code, message) = config_error(single("localhost:6379")).unwrap();
        assert_eq!(code, crate::ErrorCode::Config);
        assert!(message.contains("without a scheme"), "{message}");
        let (_, message) = config_error(single("http://user:hunter2@localhost")).unwrap();
        assert!(message.contains("http://…") && !message.contains("hunter2"), "{message}");
        let mut no_time = single("redis://127.0.0.1:1");
        no_time.command_timeout = Duration::ZERO;
        assert!(config_error(no_time).unwrap().1.contains("commandTimeout"));
        let mut plain_with_ca = single("redis://127.0.0.1:1");
        plain_with_ca.tls.ca = Some("pem".into());
        assert!(config_error(plain_with_ca).unwrap().1.contains("rediss://"));
        let mut half_mtls = single("rediss://127.0.0.1:1");
        half_mtls.tls.cert = Some("pem".into());
        assert!(config_error(half_mtls).unwrap().1.contains("cert and key"));
        assert!(config_error(RedisOptions::new(Servers::Cluster(vec![]))).unwrap().1.contains("at least one"));

        assert!(RedisStore::new(single("redis://:pw@127.0.0.1:1/3")).is_ok(), "nothing connects yet");
        assert!(RedisStore::new(single("valkeys://127.0.0.1:1")).is_ok());
        let cluster =
            RedisOptions::new(Servers::Cluster(vec!["redis://127.0.0.1:1".into(), "redis://127.0.0.1:2".into()]));
        assert!(RedisStore::new(cluster).is_ok());
    }
}
