//! The Redis store against real servers that the tests start themselves (support/redis_server.rs):
//! a single node, a three-master cluster, and outages.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use session_core::id::SessionId;
use session_core::store::redis::{RedisOptions, RedisStore, Servers};
use session_core::store::{Expected, Saved, SessionStore, TOMBSTONE, TOMBSTONE_LIFETIME};
use session_core::ErrorCode;
use support::redis_server::{RedisCluster, RedisServer};
use support::store_checks;

const HOUR: Duration = Duration::from_secs(3600);

fn store(url: &str, base: Option<&str>) -> RedisStore {
    let mut options = RedisOptions::new(Servers::Single(url.to_owned()));
    options.base = base.map(str::to_owned);
    RedisStore::new(options).unwrap()
}

/// A plain connection for looking at what the store wrote.
async fn raw(url: &str) -> MultiplexedConnection {
    redis::Client::open(url).unwrap().get_multiplexed_async_connection().await.unwrap()
}

async fn query<T: redis::FromRedisValue>(connection: &mut MultiplexedConnection, args: &[&str]) -> T {
    let mut command = redis::cmd(args[0]);
    for arg in &args[1..] {
        command.arg(*arg);
    }
    command.query_async(connection).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_node_compare_and_set() {
    let server = RedisServer::start();
    let store = Arc::new(store(&server.url(), Some("sess")));
    store_checks::compare_and_set(store.as_ref()).await;
    store_checks::records_expire(store.as_ref()).await;
    store_checks::touch_extends_only_the_expected_record(store.as_ref()).await;
    store_checks::concurrent_compare_and_set_loses_nothing(store).await;
}

#[tokio::test]
async fn keys_values_and_expiry_are_unstorages_layout() {
    let server = RedisServer::start();
    let mut redis = raw(&server.url()).await;
    let id = SessionId::generate();
    let record = br#"[["Map",1,2],"x",{"data":3,"expires":-1},1]"#;

    for (base, key) in [
        (None, id.as_str().to_owned()),
        (Some(""), id.as_str().to_owned()),
        (Some("sess:"), format!("sess:{}", id.as_str())),
        (Some("app/sess"), format!("app:sess:{}", id.as_str())),
    ] {
        let store = store(&server.url(), base);
        assert_eq!(store.key(&id), key);
        store.save(&id, record, HOUR, Expected::Absent).await.unwrap();
        let stored: Vec<u8> = query(&mut redis, &["GET", &key]).await;
        assert_eq!(stored, record, "the value is the record, byte for byte (base {base:?})");
        let pttl: i64 = query(&mut redis, &["PTTL", &key]).await;
        assert!(
            (HOUR.as_millis() as i64 - 5_000..=HOUR.as_millis() as i64).contains(&pttl),
            "PX is the lifetime: {pttl}"
        );
        let keys: Vec<String> = query(&mut redis, &["KEYS", "*"]).await;
        assert_eq!(keys, vec![key.clone()], "one key per session, nothing else");

        // A tombstone: an empty string that expires after TOMBSTONE_LIFETIME.
        store.save(&id, TOMBSTONE, TOMBSTONE_LIFETIME, Expected::Current(record)).await.unwrap();
        let stored: Vec<u8> = query(&mut redis, &["GET", &key]).await;
        assert!(stored.is_empty());
        let pttl: i64 = query(&mut redis, &["PTTL", &key]).await;
        let tombstone_ms = TOMBSTONE_LIFETIME.as_millis() as i64;
        assert!((tombstone_ms - 5_000..=tombstone_ms).contains(&pttl), "tombstone PX: {pttl}");

        store.delete(&id).await.unwrap();
        let exists: i64 = query(&mut redis, &["EXISTS", &key]).await;
        assert_eq!(exists, 0, "delete removes the key");
    }
}

#[tokio::test]
async fn reads_and_updates_a_record_written_without_expiry() {
    // What Astro (unstorage's redis driver) writes: SET without expiry. The first write through
    // the store gives the key one.
    let server = RedisServer::start();
    let mut redis = raw(&server.url()).await;
    let store = store(&server.url(), Some("astro"));
    let id = SessionId::generate();
    let key = format!("astro:{}", id.as_str());
    let () = query(&mut redis, &["SET", &key, "[1]"]).await;
    assert_eq!(store.load(&id).await.unwrap(), Some(b"[1]".to_vec()));
    assert_eq!(store.save(&id, b"[2]", HOUR, Expected::Current(b"[1]")).await.unwrap(), Saved::Done);
    let pttl: i64 = query(&mut redis, &["PTTL", &key]).await;
    assert!(pttl > 0, "the key now expires: {pttl}");
}

#[tokio::test]
async fn user_password_and_database_come_from_the_url() {
    let server =
        RedisServer::start_with(&["--user", "default", "off", "--user", "app", "on", ">s3cret", "~*", "&*", "+@all"]);
    let id = SessionId::generate();
    let good = store(&format!("redis://app:s3cret@127.0.0.1:{}/5", server.port), None);
    good.save(&id, b"[1]", HOUR, Expected::Absent).await.unwrap();

    let mut redis = raw(&format!("redis://app:s3cret@127.0.0.1:{}/5", server.port)).await;
    let stored: Vec<u8> = query(&mut redis, &["GET", id.as_str()]).await;
    assert_eq!(stored, b"[1]", "written in database 5");
    let mut db0 = raw(&format!("redis://app:s3cret@127.0.0.1:{}/0", server.port)).await;
    let exists: i64 = query(&mut db0, &["EXISTS", id.as_str()]).await;
    assert_eq!(exists, 0);

    let bad = store(&format!("redis://app:wrong-password@127.0.0.1:{}", server.port), None);
    let error = bad.load(&id).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Storage, "{error}");
    assert!(!error.message.contains("wrong-password"), "no password in messages: {error}");
    assert!(error.message.contains(&format!("127.0.0.1:{}", server.port)), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_of_three_masters() {
    let cluster = RedisCluster::start();
    let mut options = RedisOptions::new(Servers::Cluster(cluster.urls()[..1].to_vec()));
    options.base = Some("sess".into());
    let store = Arc::new(RedisStore::new(options).unwrap());
    store_checks::compare_and_set(store.as_ref()).await;
    store_checks::records_expire(store.as_ref()).await;
    store_checks::touch_extends_only_the_expected_record(store.as_ref()).await;
    store_checks::concurrent_compare_and_set_loses_nothing(store.clone()).await;

    // Sessions spread over every master (the store found the others from one URL), each with its PX.
    let ids: Vec<SessionId> = (0..30).map(|_| SessionId::generate()).collect();
    for id in &ids {
        assert_eq!(store.save(id, b"[1]", HOUR, Expected::Absent).await.unwrap(), Saved::Done);
    }
    let mut total = 0;
    for node in &cluster.nodes {
        let mut redis = raw(&node.url()).await;
        let keys: Vec<String> = query(&mut redis, &["KEYS", "sess:*"]).await;
        assert!(!keys.is_empty(), "node {} holds some sessions", node.port);
        for key in &keys {
            let pttl: i64 = query(&mut redis, &["PTTL", key]).await;
            assert!(pttl > 0);
        }
        total += keys.len();
    }
    assert_eq!(total, ids.len());
    for id in &ids {
        assert_eq!(store.load(id).await.unwrap(), Some(b"[1]".to_vec()));
        store.delete(id).await.unwrap();
        assert_eq!(store.load(id).await.unwrap(), None);
    }
}

fn quick_store(url: &str) -> RedisStore {
    let mut options = RedisOptions::new(Servers::Single(url.to_owned()));
    options.connect_timeout = Duration::from_millis(300);
    options.command_timeout = Duration::from_millis(300);
    RedisStore::new(options).unwrap()
}

/// connect + command timeout of `quick_store`, and some slack for a loaded machine.
const QUICK_LIMIT: Duration = Duration::from_millis(600 + 400);

/// Every operation fails with Storage or Timeout, each within the limit.
async fn assert_all_fail(store: &RedisStore, id: &SessionId) -> Vec<ErrorCode> {
    let mut codes = Vec::new();
    for operation in 0..3 {
        let started = Instant::now();
        let result = match operation {
            0 => store.load(id).await.map(drop),
            1 => store.save(id, b"[2]", HOUR, Expected::Any).await.map(drop),
            _ => store.delete(id).await,
        };
        let elapsed = started.elapsed();
        let error = result.expect_err("the server is down");
        assert!(matches!(error.code, ErrorCode::Storage | ErrorCode::Timeout), "{error}");
        assert!(elapsed < QUICK_LIMIT, "failed after {elapsed:?}: {error}");
        eprintln!("down: {:?} in {elapsed:?}: {}", error.code, error.message);
        codes.push(error.code);
    }
    codes
}

#[tokio::test]
async fn outage_fails_fast_and_the_same_store_recovers() {
    let mut server = RedisServer::start();
    let store = quick_store(&server.url());
    let id = SessionId::generate();
    store.save(&id, b"[1]", HOUR, Expected::Absent).await.unwrap();

    server.kill();
    let codes = assert_all_fail(&store, &id).await;
    assert!(codes.contains(&ErrorCode::Storage), "a refused connection is a storage error, not a timeout");

    server.restart();
    // The first operation after the restart already succeeds (the dead connection is replaced
    // and the operation retried once), and the script is loaded again into the new server.
    let started = Instant::now();
    assert_eq!(store.load(&id).await.unwrap(), None, "the restarted server is empty");
    assert_eq!(store.save(&id, b"[3]", HOUR, Expected::Absent).await.unwrap(), Saved::Done);
    assert_eq!(store.save(&id, b"[4]", HOUR, Expected::Current(b"[3]")).await.unwrap(), Saved::Done);
    assert_eq!(store.load(&id).await.unwrap(), Some(b"[4]".to_vec()));
    eprintln!("recovered in {:?}", started.elapsed());
}

#[tokio::test]
async fn a_server_that_stops_answering_times_out() {
    let server = RedisServer::start();
    let store = quick_store(&server.url());
    let id = SessionId::generate();
    store.save(&id, b"[1]", HOUR, Expected::Absent).await.unwrap();

    server.pause();
    let codes = assert_all_fail(&store, &id).await;
    server.resume();
    assert!(codes.iter().all(|code| *code == ErrorCode::Timeout), "{codes:?}");

    // (The commands that timed out were still delivered, and ran when the server woke up: a
    // timeout says "no answer in time", not "not done".)
    assert_eq!(store.save(&id, b"[5]", HOUR, Expected::Any).await.unwrap(), Saved::Done);
    assert_eq!(store.load(&id).await.unwrap(), Some(b"[5]".to_vec()));
}

#[tokio::test]
async fn a_server_down_at_first_use_is_connected_once_it_is_up() {
    let mut server = RedisServer::start();
    server.kill();
    let store = quick_store(&server.url());
    let id = SessionId::generate();
    let error = store.load(&id).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Storage);
    assert!(error.message.contains("load a session") && error.message.contains(&server.url()), "{error}");

    server.restart();
    assert_eq!(store.save(&id, b"[1]", HOUR, Expected::Absent).await.unwrap(), Saved::Done);
}

#[tokio::test]
async fn a_server_frozen_before_first_use_times_out_then_connects() {
    // The kernel still accepts the connection of a frozen server; nothing answers on it.
    let server = RedisServer::start();
    server.pause();
    let store = quick_store(&server.url());
    let id = SessionId::generate();
    let started = Instant::now();
    let error = store.load(&id).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Timeout, "{error}");
    assert!(started.elapsed() < QUICK_LIMIT, "{:?}", started.elapsed());
    server.resume();
    assert_eq!(store.save(&id, b"[1]", HOUR, Expected::Absent).await.unwrap(), Saved::Done);
}

#[tokio::test]
async fn a_message_names_the_operation_the_server_and_the_timeouts() {
    let server = RedisServer::start();
    let store = quick_store(&server.url());
    store.load(&SessionId::generate()).await.unwrap();
    server.pause();
    let error = store.save(&SessionId::generate(), b"[1]", HOUR, Expected::Absent).await.unwrap_err();
    server.resume();
    assert_eq!(error.code, ErrorCode::Timeout);
    let message = error.to_string();
    for part in ["ERR_SESSION_TIMEOUT", "save a session", &server.url(), "connectTimeout 0.3 s", "commandTimeout 0.3 s"]
    {
        assert!(message.contains(part), "{part:?} in {message}");
    }
}

#[tokio::test]
async fn a_tls_url_pointed_at_a_plain_server_says_to_check_tls() {
    let server = RedisServer::start();
    let plain = server.url();
    let store = quick_store(&plain.replacen("redis://", "rediss://", 1));
    let started = Instant::now();
    let error = store.load(&SessionId::generate()).await.unwrap_err();
    assert!(started.elapsed() < QUICK_LIMIT, "{:?}", started.elapsed());
    assert_eq!(error.code, ErrorCode::Timeout, "{error}");
    assert!(error.message.contains("speaks TLS there (the URL says rediss://)"), "{error}");
    // Without TLS, no such hint.
    server.pause();
    let error = quick_store(&plain).load(&SessionId::generate()).await.unwrap_err();
    server.resume();
    assert!(!error.message.contains("TLS"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_outage_and_recovery() {
    let mut cluster = RedisCluster::start();
    let mut options = RedisOptions::new(Servers::Cluster(cluster.urls()));
    options.connect_timeout = Duration::from_millis(300);
    options.command_timeout = Duration::from_millis(300);
    let store = RedisStore::new(options).unwrap();
    let id = SessionId::generate();
    store.save(&id, b"[1]", HOUR, Expected::Absent).await.unwrap();

    // The node that holds the session goes down: its operations fail in time.
    let port = cluster
        .nodes
        .iter()
        .position(|node| {
            let keys = std::process::Command::new("redis-cli")
                .args(["-p", &node.port.to_string(), "--raw", "EXISTS", &store.key(&id)])
                .output()
                .unwrap();
            String::from_utf8_lossy(&keys.stdout).trim() == "1"
        })
        .expect("a node holds the session");
    cluster.nodes[port].kill();
    assert_all_fail(&store, &id).await;

    // Restarted (with its cluster config, so it rejoins with its slots): the same store works.
    cluster.nodes[port].restart();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match store.save(&id, b"[2]", HOUR, Expected::Any).await {
            Ok(saved) => {
                assert_eq!(saved, Saved::Done);
                break;
            }
            Err(error) => {
                assert!(Instant::now() < deadline, "the cluster store did not recover: {error}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    assert_eq!(store.load(&id).await.unwrap(), Some(b"[2]".to_vec()));
}
