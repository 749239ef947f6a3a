//! The connection of a [`RedisStore`](super::RedisStore): one per store, shared by every request,
//! to a single server or to a Redis Cluster.
//!
//! A store is built synchronously (from JS, in `createSessions()`), where there may be no async
//! runtime to connect with; so the connection is made on first use, and until it has been made
//! once, every use tries again. After that the `redis` crate keeps it up: the `ConnectionManager`
//! (single server) replaces a dropped connection, and the cluster connection reconnects to nodes
//! and refreshes the slot map by itself.

use std::fmt;
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::cluster_async::ClusterConnection;
use redis::{
    Client, ClientTlsConfig, Cmd, ConnectionAddr, IntoConnectionInfo, Pipeline, RedisFuture, RedisResult,
    TlsCertificates, Value,
};
use tokio::sync::OnceCell;

use crate::{Error, Result};

/// The servers of a store.
#[derive(Clone, PartialEq, Eq)]
pub enum Servers {
    /// One server (or a proxy in front of several): `redis://`, `rediss://`, `valkey://`, `valkeys://`.
    Single(String),
    /// Some nodes of a Redis Cluster (any of them will do; the others are discovered).
    Cluster(Vec<String>),
}

impl fmt::Debug for Servers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // URLs may hold passwords, which never go to a log.
        match self {
            Servers::Single(url) => f.debug_tuple("Single").field(&without_password(url)).finish(),
            Servers::Cluster(urls) => f
                .debug_tuple("Cluster")
                .field(&urls.iter().map(|url| without_password(url)).collect::<Vec<_>>())
                .finish(),
        }
    }
}

/// `url` with whatever stands between `://` and the last `@` (user and password) replaced by `…`.
/// (The last `@`: a password with an `@` or `/` that was not percent-encoded is hidden too.)
fn without_password(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rfind('@') {
            Some(at) => format!("{scheme}://…{}", &rest[at..]),
            None => url.to_owned(),
        },
        None => "…".to_owned(),
    }
}

/// Certificates for `rediss://`, PEM text. Without `ca`, the system's trusted roots are used
/// (rustls-native-certs: the OS store, or the file in `SSL_CERT_FILE`).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Tls {
    /// The certificate authorities to trust instead of the system's.
    pub ca: Option<String>,
    /// A client certificate (chain) and its key, for servers that require them (mutual TLS).
    pub cert: Option<String>,
    pub key: Option<String>,
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A private key never goes to a log.
        f.debug_struct("Tls")
            .field("ca", &self.ca.as_ref().map(|_| "<pem>"))
            .field("cert", &self.cert.as_ref().map(|_| "<pem>"))
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The shared connection: a `ConnectionManager` or a cluster connection. Both are cheap handles
/// onto one multiplexed connection (per node), so each operation takes a clone.
#[derive(Clone)]
pub enum Connection {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Connection::Single(connection) => connection.req_packed_command(cmd),
            Connection::Cluster(connection) => connection.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Connection::Single(connection) => connection.req_packed_commands(pipeline, offset, count),
            Connection::Cluster(connection) => connection.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Connection::Single(connection) => connection.get_db(),
            Connection::Cluster(connection) => connection.get_db(),
        }
    }
}

/// Makes the [`Connection`] on first use and hands out clones of it.
pub struct Connector {
    client: ClientKind,
    connection: OnceCell<Connection>,
    /// Where the store connects to, for error messages (no credentials): `redis://host:port`, or
    /// `Redis Cluster (host:port, …)`.
    description: String,
    /// Whether it connects with TLS (`rediss://`).
    tls: bool,
}

enum ClientKind {
    Single { client: Client, config: ConnectionManagerConfig },
    Cluster(ClusterClient),
}

impl Connector {
    /// Checks the URLs and certificates; connects nothing yet.
    pub fn new(servers: &Servers, tls: &Tls, connect_timeout: Duration, command_timeout: Duration) -> Result<Self> {
        let certificates = certificates(tls)?;
        let (client, description, tls) = match servers {
            Servers::Single(url) => single(url, certificates, connect_timeout, command_timeout)?,
            Servers::Cluster(urls) => cluster(urls, certificates, connect_timeout, command_timeout)?,
        };
        Ok(Self { client, connection: OnceCell::new(), description, tls })
    }

    pub fn description(&self) -> &str {
        &self.description
    }

    pub fn uses_tls(&self) -> bool {
        self.tls
    }

    /// The shared connection, made now if it has not been made yet. Concurrent first uses wait
    /// for one attempt; if it fails (or the caller gives up waiting), the next use tries again.
    pub async fn get(&self) -> RedisResult<Connection> {
        let connection = self
            .connection
            .get_or_try_init(|| async {
                match &self.client {
                    ClientKind::Single { client, config } => {
                        ConnectionManager::new_with_config(client.clone(), config.clone()).await.map(Connection::Single)
                    }
                    ClientKind::Cluster(client) => client.get_async_connection().await.map(Connection::Cluster),
                }
            })
            .await?;
        Ok(connection.clone())
    }
}

fn single(
    url: &str,
    certificates: Option<TlsCertificates>,
    connect_timeout: Duration,
    command_timeout: Duration,
) -> Result<(ClientKind, String, bool)> {
    let info = url.into_connection_info().map_err(|error| invalid_url(url, error))?;
    let description = describe(info.addr());
    let tls = is_tls(info.addr());
    if tls {
        use_ring_for_tls();
    } else if certificates.is_some() {
        return Err(tls_without_rediss());
    }
    let client = match certificates {
        Some(certificates) => Client::build_with_tls(info, certificates),
        None => Client::open(info),
    }
    .map_err(|error| Error::config(format!("redis driver url {description}: {error}")))?;
    // One connection attempt per (re)connect, bounded by the connect timeout: a store that is
    // down fails each operation at once with the reason (connection refused…) instead of making
    // it wait out a backoff. The next operation reconnects, and the store retries an operation
    // once when a dropped connection was the cause.
    let config = ConnectionManagerConfig::new()
        .set_number_of_retries(0)
        .set_connection_timeout(Some(connect_timeout))
        .set_response_timeout(Some(command_timeout));
    Ok((ClientKind::Single { client, config }, description, tls))
}

fn cluster(
    urls: &[String],
    certificates: Option<TlsCertificates>,
    connect_timeout: Duration,
    command_timeout: Duration,
) -> Result<(ClientKind, String, bool)> {
    if urls.is_empty() {
        return Err(Error::config("the redis driver's cluster option needs at least one node url"));
    }
    let nodes = urls
        .iter()
        .map(|url| url.as_str().into_connection_info().map_err(|error| invalid_url(url, error)))
        .collect::<Result<Vec<_>>>()?;
    let addresses: Vec<String> = nodes.iter().map(|node| node.addr().to_string()).collect();
    let description = format!("Redis Cluster ({})", addresses.join(", "));
    let tls = nodes.iter().any(|node| is_tls(node.addr()));
    if tls {
        use_ring_for_tls();
    } else if certificates.is_some() {
        return Err(tls_without_rediss());
    }
    // The cluster client retries a command itself (redirections while slots move, reconnects to
    // a node that restarted) for at most the command timeout in all.
    let mut builder =
        ClusterClientBuilder::new(nodes).connection_timeout(connect_timeout).response_timeout(command_timeout);
    if let Some(certificates) = certificates {
        builder = builder.certs(certificates);
    }
    let client = builder.build().map_err(|error| Error::config(format!("redis driver {description}: {error}")))?;
    Ok((ClientKind::Cluster(client), description, tls))
}

fn certificates(tls: &Tls) -> Result<Option<TlsCertificates>> {
    let client_tls = match (&tls.cert, &tls.key) {
        (Some(cert), Some(key)) => {
            Some(ClientTlsConfig { client_cert: cert.as_bytes().to_vec(), client_key: key.as_bytes().to_vec() })
        }
        (None, None) => None,
        _ => {
            return Err(Error::config("the redis driver's tls options cert and key go together: give both or neither"))
        }
    };
    let root_cert = tls.ca.as_ref().map(|ca| ca.as_bytes().to_vec());
    Ok((client_tls.is_some() || root_cert.is_some()).then_some(TlsCertificates { client_tls, root_cert }))
}

/// rustls needs a crypto provider, and the `redis` crate leaves the choice to the application:
/// ring, as Cargo.toml explains. Installing it fails harmlessly when one is installed already.
fn use_ring_for_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn is_tls(addr: &ConnectionAddr) -> bool {
    matches!(addr, ConnectionAddr::TcpTls { .. })
}

fn describe(addr: &ConnectionAddr) -> String {
    match addr {
        ConnectionAddr::TcpTls { .. } => format!("rediss://{addr}"),
        ConnectionAddr::Tcp(..) => format!("redis://{addr}"),
        _ => addr.to_string(),
    }
}

fn invalid_url(url: &str, error: redis::RedisError) -> Error {
    // The URL may hold a password, so it is not repeated; its scheme is, which is the usual mistake.
    let shown = match url.split_once("://") {
        Some((scheme, _)) => format!("{scheme}://…"),
        None => "without a scheme".to_owned(),
    };
    Error::config(format!(
        "the redis driver url ({shown}) is not a valid redis://, rediss://, valkey:// or valkeys:// URL: {error}"
    ))
}

fn tls_without_rediss() -> Error {
    Error::config("the redis driver's tls options need rediss:// (or valkeys://) urls")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_passwords() {
        let servers =
            Servers::Cluster(vec!["redis://app:hunter2@10.0.0.1:7000/0".into(), "redis://10.0.0.2:7000".into()]);
        let shown = format!("{servers:?}");
        assert_eq!(shown, r#"Cluster(["redis://…@10.0.0.1:7000/0", "redis://10.0.0.2:7000"])"#);
        assert_eq!(format!("{:?}", Servers::Single("redis://:p/a@ss@host".into())), r#"Single("redis://…@host")"#);
        let tls = Tls { ca: Some("ca".into()), cert: Some("cert".into()), key: Some("PRIVATE".into()) };
        assert!(!format!("{tls:?}").contains("PRIVATE"));
    }
}
