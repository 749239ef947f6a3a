//! The session state machine against the memory store: Astro's semantics, and where it is
//! deliberately stricter (no lost updates, no resurrection, fixation defence).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::commit::{commit, load};
use super::{Lookup, Session, SessionConfig};
use crate::codec::{devalue, v8};
use crate::cookie::CookieConfig;
use crate::id::SessionId;
use crate::store::{memory::MemoryStore, Expected, SessionStore, TOMBSTONE};
use crate::ErrorCode;

const HOUR: Duration = Duration::from_secs(3600);

struct Fixture {
    store: Arc<MemoryStore>,
    config: Arc<SessionConfig>,
}

impl Fixture {
    fn new() -> Self {
        Self::with(|_| {})
    }

    fn with(adjust: impl FnOnce(&mut SessionConfig)) -> Self {
        let store = Arc::new(MemoryStore::default());
        let mut config = SessionConfig::new(store.clone(), CookieConfig::new("sid", false));
        config.lifetime = HOUR;
        adjust(&mut config);
        Self { store, config: Arc::new(config) }
    }

    fn open(&self, cookie: &str) -> Mutex<Session> {
        Mutex::new(Session::open(self.config.clone(), Some(cookie)))
    }

    async fn record(&self, id: &str) -> Option<String> {
        let id = SessionId::parse(id).unwrap();
        self.store.load(&id).await.unwrap().map(|bytes| String::from_utf8(bytes).unwrap())
    }
}

/// A value as the JS layer may hand it over: devalue text.
fn value(devalue_text: &str) -> Vec<u8> {
    devalue_text.as_bytes().to_vec()
}

/// What `get` answered, as devalue text (or "missing").
async fn get(session: &Mutex<Session>, key: &str) -> String {
    let mut answer = session.lock().unwrap().get(key).unwrap();
    if answer == Lookup::NeedsLoad {
        load(session).await.unwrap();
        answer = session.lock().unwrap().get(key).unwrap();
    }
    match answer {
        Lookup::Ready(Some(bytes)) => {
            let (graph, root) = v8::read(&bytes).unwrap();
            devalue::stringify(&graph, root, devalue::LoneSurrogates::Raw).unwrap().to_string()
        }
        Lookup::Ready(None) => "missing".into(),
        Lookup::NeedsLoad => panic!("still needs a load"),
    }
}

fn cookie_pair(set_cookies: &[String]) -> String {
    assert_eq!(set_cookies.len(), 1, "{set_cookies:?}");
    set_cookies[0].split(';').next().unwrap().to_owned()
}

fn id_of(cookie: &str) -> &str {
    cookie.split('=').nth(1).unwrap()
}

#[tokio::test]
async fn a_new_session_is_stored_in_astros_format_and_sends_its_cookie() {
    let f = Fixture::new();
    let session = f.open("");
    session.lock().unwrap().set("n", value("[1]"), None).unwrap();
    let cookies = commit(&session).await.unwrap();
    let cookie = cookie_pair(&cookies);
    assert!(cookies[0].ends_with("; HttpOnly; SameSite=Lax; Path=/"), "{cookies:?}");
    assert_eq!(f.record(id_of(&cookie)).await.unwrap(), r#"[["Map",1,2],"n",{"data":3,"expires":-1},1]"#);
    // Nothing more to do: a second commit writes nothing and sends nothing.
    assert!(commit(&session).await.unwrap().is_empty());
}

#[tokio::test]
async fn reading_without_a_cookie_never_touches_the_store() {
    let f = Fixture::new();
    let session = f.open("");
    assert_eq!(session.lock().unwrap().get("x").unwrap(), Lookup::Ready(None));
    assert_eq!(session.lock().unwrap().load_needed(), None);
    assert!(commit(&session).await.unwrap().is_empty());
    assert!(f.store.is_empty());
}

#[tokio::test]
async fn concurrent_requests_changing_different_keys_both_land() {
    let f = Fixture::new();
    let first = f.open("");
    first.lock().unwrap().set("a", value("[1]"), None).unwrap();
    let cookie = cookie_pair(&commit(&first).await.unwrap());

    let (one, two) = (f.open(&cookie), f.open(&cookie));
    assert_eq!(get(&one, "a").await, "[1]");
    assert_eq!(get(&two, "a").await, "[1]");
    one.lock().unwrap().set("b", value("[2]"), None).unwrap();
    two.lock().unwrap().set("c", value("[3]"), None).unwrap();
    two.lock().unwrap().delete("a").unwrap();
    assert!(commit(&one).await.unwrap().is_empty());
    assert!(commit(&two).await.unwrap().is_empty());

    let reader = f.open(&cookie);
    assert_eq!(get(&reader, "a").await, "missing");
    assert_eq!(get(&reader, "b").await, "[2]");
    assert_eq!(get(&reader, "c").await, "[3]");
}

#[tokio::test]
async fn a_blind_write_merges_too() {
    let f = Fixture::new();
    let first = f.open("");
    first.lock().unwrap().set("a", value("[1]"), None).unwrap();
    let cookie = cookie_pair(&commit(&first).await.unwrap());
    let blind = f.open(&cookie);
    blind.lock().unwrap().set("b", value("[2]"), None).unwrap();
    assert!(commit(&blind).await.unwrap().is_empty());
    let reader = f.open(&cookie);
    assert_eq!((get(&reader, "a").await, get(&reader, "b").await), ("[1]".into(), "[2]".into()));
}

#[tokio::test]
async fn destroy_tombstones_and_in_flight_requests_cannot_bring_it_back() {
    let f = Fixture::new();
    let first = f.open("");
    first.lock().unwrap().set("user", value(r#"["ada"]"#), None).unwrap();
    let cookie = cookie_pair(&commit(&first).await.unwrap());

    let reader = f.open(&cookie);
    assert_eq!(get(&reader, "user").await, r#"["ada"]"#);
    let blind = f.open(&cookie);

    let sign_out = f.open(&cookie);
    sign_out.lock().unwrap().destroy();
    let expired = commit(&sign_out).await.unwrap();
    assert!(expired[0].starts_with("sid=; ") && expired[0].contains("Max-Age=0"), "{expired:?}");
    assert_eq!(f.record(id_of(&cookie)).await.as_deref(), Some(""), "a tombstone");

    for in_flight in [reader, blind] {
        in_flight.lock().unwrap().set("user", value(r#"["mallory"]"#), None).unwrap();
        let cookies = commit(&in_flight).await.unwrap();
        assert!(cookies[0].contains("Max-Age=0"), "the request is told to drop the cookie: {cookies:?}");
        assert_eq!(in_flight.lock().unwrap().id(), None);
    }
    assert_eq!(f.store.len(), 1, "no new session was made");
    // A request that loads after the destroy sees the tombstone, and cannot revive it either.
    let late = f.open(&cookie);
    assert_eq!(get(&late, "user").await, "missing");
    late.lock().unwrap().set("user", value(r#"["eve"]"#), None).unwrap();
    assert!(commit(&late).await.unwrap()[0].contains("Max-Age=0"));
    assert_eq!(f.store.len(), 1);
}

#[tokio::test]
async fn set_after_destroy_starts_a_new_session() {
    let f = Fixture::new();
    let first = f.open("");
    first.lock().unwrap().set("user", value(r#"["ada"]"#), None).unwrap();
    let cookie = cookie_pair(&commit(&first).await.unwrap());
    let session = f.open(&cookie);
    session.lock().unwrap().destroy();
    session.lock().unwrap().set("guest", value("[true]"), None).unwrap();
    let new_cookie = cookie_pair(&commit(&session).await.unwrap());
    assert_ne!(new_cookie, cookie);
    assert_eq!(f.record(id_of(&cookie)).await.as_deref(), Some(""));
    let reader = f.open(&new_cookie);
    assert_eq!((get(&reader, "guest").await, get(&reader, "user").await), ("[true]".into(), "missing".into()));
}

#[tokio::test]
async fn regenerate_keeps_data_and_what_other_requests_wrote_meanwhile() {
    let f = Fixture::new();
    let first = f.open("");
    first.lock().unwrap().set("cart", value(r#"["tea"]"#), None).unwrap();
    let cookie = cookie_pair(&commit(&first).await.unwrap());

    let sign_in = f.open(&cookie);
    load(&sign_in).await.unwrap();
    sign_in.lock().unwrap().regenerate().unwrap();
    sign_in.lock().unwrap().set("user", value(r#"["ada"]"#), None).unwrap();

    // Another request adds to the old id before the sign-in commits.
    let other = f.open(&cookie);
    other.lock().unwrap().set("late", value("[1]"), None).unwrap();
    commit(&other).await.unwrap();

    let new_cookie = cookie_pair(&commit(&sign_in).await.unwrap());
    assert_ne!(new_cookie, cookie);
    let reader = f.open(&new_cookie);
    assert_eq!(get(&reader, "cart").await, r#"["tea"]"#);
    assert_eq!(get(&reader, "user").await, r#"["ada"]"#);
    assert_eq!(get(&reader, "late").await, "[1]", "nothing written to the old id is lost");
    assert_eq!(f.record(id_of(&cookie)).await.as_deref(), Some(""), "the old id is a tombstone");
}

#[tokio::test]
async fn regenerate_needs_the_session_loaded() {
    let f = Fixture::new();
    let first = f.open("");
    first.lock().unwrap().set("a", value("[1]"), None).unwrap();
    let cookie = cookie_pair(&commit(&first).await.unwrap());
    let err = f.open(&cookie).lock().unwrap().regenerate().unwrap_err();
    assert_eq!(err.code, ErrorCode::Storage);
}

#[tokio::test]
async fn an_id_the_client_made_up_is_never_used() {
    let f = Fixture::new();
    let made_up = "sid=11111111-1111-4111-8111-111111111111";
    let read_first = f.open(made_up);
    assert_eq!(get(&read_first, "x").await, "missing");
    assert_ne!(read_first.lock().unwrap().id().unwrap().as_str(), id_of(made_up));
    read_first.lock().unwrap().set("x", value("[1]"), None).unwrap();
    assert_ne!(cookie_pair(&commit(&read_first).await.unwrap()), made_up);

    let blind = f.open(made_up);
    blind.lock().unwrap().set("x", value("[1]"), None).unwrap();
    let cookie = cookie_pair(&commit(&blind).await.unwrap());
    assert_ne!(cookie, made_up);
    assert!(f.record(id_of(made_up)).await.is_none());
}

#[tokio::test]
async fn load_switches_sessions_and_may_create_the_chosen_id() {
    let f = Fixture::new();
    let chosen = SessionId::generate();
    let session = f.open("");
    session.lock().unwrap().set("dropped", value("[0]"), None).unwrap();
    session.lock().unwrap().switch_to(chosen.clone());
    load(&session).await.unwrap();
    assert_eq!(get(&session, "dropped").await, "missing");
    session.lock().unwrap().set("device", value(r#"["phone"]"#), None).unwrap();
    let cookie = cookie_pair(&commit(&session).await.unwrap());
    assert_eq!(id_of(&cookie), chosen.as_str());
    assert!(f.record(chosen.as_str()).await.is_some());
}

#[tokio::test]
async fn an_unreadable_record_is_an_error_and_is_discarded() {
    let f = Fixture::new();
    let id = SessionId::generate();
    f.store.save(&id, b"not devalue", HOUR, Expected::Absent).await.unwrap();
    let session = f.open(&format!("sid={id}"));
    assert_eq!(load(&session).await.unwrap_err().code, ErrorCode::Parse);
    assert_eq!(session.lock().unwrap().get("x").unwrap(), Lookup::Ready(None));
    let cookies = commit(&session).await.unwrap();
    assert!(cookies[0].contains("Max-Age=0"));
    assert_eq!(f.store.load(&id).await.unwrap().as_deref(), Some(TOMBSTONE));
}

#[tokio::test]
async fn values_expire_and_the_store_keeps_the_session_for_the_longest_ttl() {
    let f = Fixture::with(|config| config.default_ttl = Some(Duration::from_millis(30)));
    let session = f.open("");
    session.lock().unwrap().set("short", value("[1]"), None).unwrap();
    session.lock().unwrap().set("long", value("[2]"), Some(HOUR)).unwrap();
    let cookie = cookie_pair(&commit(&session).await.unwrap());
    tokio::time::sleep(Duration::from_millis(60)).await;
    let reader = f.open(&cookie);
    assert_eq!(get(&reader, "short").await, "missing");
    assert_eq!(get(&reader, "long").await, "[2]");
    assert_eq!(reader.lock().unwrap().keys(), Lookup::Ready(vec!["long".to_string()]));
}

#[tokio::test]
async fn max_size_is_enforced_at_commit() {
    let f = Fixture::with(|config| config.max_size = Some(64));
    let session = f.open("");
    session.lock().unwrap().set("big", value(&format!("[{:?}]", "x".repeat(100))), None).unwrap();
    let err = commit(&session).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Serialize);
    assert!(err.message.contains("maxSize"), "{}", err.message);
    // The change is kept, so the application can fix it and commit again.
    session.lock().unwrap().set("big", value("[1]"), None).unwrap();
    assert_eq!(commit(&session).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_failed_commit_keeps_the_changes() {
    struct Failing;
    #[async_trait::async_trait]
    impl SessionStore for Failing {
        async fn load(&self, _: &SessionId) -> crate::Result<Option<Vec<u8>>> {
            Err(crate::Error::storage("down"))
        }
        async fn save(&self, _: &SessionId, _: &[u8], _: Duration, _: Expected<'_>) -> crate::Result<crate::store::Saved> {
            Err(crate::Error::storage("down"))
        }
        async fn delete(&self, _: &SessionId) -> crate::Result<()> {
            Err(crate::Error::storage("down"))
        }
    }
    let config = Arc::new(SessionConfig::new(Arc::new(Failing), CookieConfig::new("sid", false)));
    let session = Mutex::new(Session::open(config, None));
    session.lock().unwrap().set("a", value("[1]"), None).unwrap();
    assert_eq!(commit(&session).await.unwrap_err().code, ErrorCode::Storage);
    assert!(session.lock().unwrap().is_dirty());
    assert_eq!(get(&session, "a").await, "[1]");
}
