//! The session state machine against the memory store: Astro's semantics, and where it is
//! deliberately stricter (no lost updates, no resurrection, fixation defence).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::commit::commit;
use super::load::load;
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
        Lookup::NeedsConsume(keys) => panic!("flash values to take first: {keys:?}"),
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
async fn heap_bytes_follows_what_the_session_holds() {
    let f = Fixture::new();
    let writer = f.open("");
    assert_eq!(writer.lock().unwrap().heap_bytes(), 0);
    for i in 0..1_000 {
        writer.lock().unwrap().set(&format!("key{i}"), value(&format!(r#"[{{"n":1}},{i}]"#)), None).unwrap();
    }
    // What was set counts until the commit; then the record written.
    assert!(writer.lock().unwrap().heap_bytes() > 10_000);
    let cookie = cookie_pair(&commit(&writer).await.unwrap());
    let record_len = f.record(id_of(&cookie)).await.unwrap().len();
    assert!(writer.lock().unwrap().heap_bytes() >= record_len);

    // A reader holds nothing before its load, and after it the record with its parsed form:
    // more than the text, and linear in it (a bound a quadratic cost would break at once).
    let reader = f.open(&cookie);
    assert_eq!(reader.lock().unwrap().heap_bytes(), 0);
    get(&reader, "key1").await;
    let held = reader.lock().unwrap().heap_bytes();
    assert!(held > 2 * record_len && held < 50 * record_len, "{held} bytes for a {record_len}-byte record");
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
    sign_in.lock().unwrap().regenerate(None).unwrap();
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
    assert_eq!(f.record(id_of(&cookie)).await.as_deref(), Some("null"), "the old id is retired");
}

#[tokio::test]
async fn regenerate_needs_the_session_loaded() {
    let f = Fixture::new();
    let first = f.open("");
    first.lock().unwrap().set("a", value("[1]"), None).unwrap();
    let cookie = cookie_pair(&commit(&first).await.unwrap());
    let err = f.open(&cookie).lock().unwrap().regenerate(None).unwrap_err();
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
    let session = f.open(&format!("sid={}", id.as_str()));
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
    let f = Fixture::with(|config| config.limits.max_size = 64);
    let session = f.open("");
    // A value over maxSize on its own is refused at once.
    let err = session.lock().unwrap().set("huge", value(&format!("[{:?}]", "x".repeat(100))), None).unwrap_err();
    assert_eq!(err.code, ErrorCode::Serialize);
    assert!(err.message.contains("maxSize"), "{}", err.message);
    // One that fits, but not in the record around it, is refused at commit.
    session.lock().unwrap().set("big", value(&format!("[{:?}]", "x".repeat(40))), None).unwrap();
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

/// Which fault, if any, a save of (id, record) meets.
type FaultScript = Box<dyn FnMut(&SessionId, &[u8]) -> Option<Fault> + Send>;

/// The memory store, with a fault that can be scripted per call: which saves fail or hang.
struct Scripted {
    inner: MemoryStore,
    fault: Mutex<FaultScript>,
}

#[derive(Clone, Copy)]
enum Fault {
    Fail,
    Hang,
}

impl Scripted {
    fn new(fault: impl FnMut(&SessionId, &[u8]) -> Option<Fault> + Send + 'static) -> Arc<Self> {
        Arc::new(Self { inner: MemoryStore::default(), fault: Mutex::new(Box::new(fault)) })
    }
}

#[async_trait::async_trait]
impl SessionStore for Scripted {
    async fn load(&self, id: &SessionId) -> crate::Result<Option<Vec<u8>>> {
        self.inner.load(id).await
    }
    async fn save(&self, id: &SessionId, record: &[u8], lifetime: Duration, expected: Expected<'_>) -> crate::Result<crate::store::Saved> {
        let fault = (self.fault.lock().unwrap())(id, record);
        match fault {
            Some(Fault::Fail) => Err(crate::Error::storage("the store failed")),
            Some(Fault::Hang) => std::future::pending().await,
            None => self.inner.save(id, record, lifetime, expected).await,
        }
    }
    async fn delete(&self, id: &SessionId) -> crate::Result<()> {
        self.inner.delete(id).await
    }
}

fn fixture_on(store: Arc<dyn SessionStore>, adjust: impl FnOnce(&mut SessionConfig)) -> Arc<SessionConfig> {
    let mut config = SessionConfig::new(store, CookieConfig::new("sid", false));
    adjust(&mut config);
    Arc::new(config)
}

async fn read_back(config: &Arc<SessionConfig>, cookie: &str, key: &str) -> String {
    get(&Mutex::new(Session::open(config.clone(), Some(cookie))), key).await
}

#[tokio::test]
async fn a_request_that_raced_a_regenerate_keeps_away_from_the_new_cookie() {
    let f = Fixture::new();
    let first = f.open("");
    first.lock().unwrap().set("cart", value(r#"["tea"]"#), None).unwrap();
    let old_cookie = cookie_pair(&commit(&first).await.unwrap());

    // A request that read the session with the old cookie, then a sign-in that regenerates it.
    let in_flight = f.open(&old_cookie);
    assert_eq!(get(&in_flight, "cart").await, r#"["tea"]"#);
    let sign_in = f.open(&old_cookie);
    load(&sign_in).await.unwrap();
    sign_in.lock().unwrap().regenerate(None).unwrap();
    sign_in.lock().unwrap().set("user", value(r#"["ada"]"#), None).unwrap();
    let new_cookie = cookie_pair(&commit(&sign_in).await.unwrap());

    // The request in flight commits after: its change is dropped, and it sends no cookie at all
    // (an expired one would sign the browser out of the session it was just given).
    in_flight.lock().unwrap().set("cart", value(r#"["coffee"]"#), None).unwrap();
    assert_eq!(commit(&in_flight).await.unwrap(), Vec::<String>::new());
    assert_eq!(in_flight.lock().unwrap().id(), None);
    // So does one that only starts now, with the old cookie.
    let late = f.open(&old_cookie);
    assert_eq!(get(&late, "cart").await, "missing");
    late.lock().unwrap().set("cart", value(r#"["juice"]"#), None).unwrap();
    assert_eq!(commit(&late).await.unwrap(), Vec::<String>::new());

    let reader = f.open(&new_cookie);
    assert_eq!((get(&reader, "cart").await, get(&reader, "user").await), (r#"["tea"]"#.into(), r#"["ada"]"#.into()));
    assert_eq!(f.store.len(), 2, "the new session and the old id's tombstone, nothing else");
}

#[tokio::test]
async fn a_sign_in_gets_its_cookie_once_the_new_record_is_stored() {
    for fault in [Fault::Fail, Fault::Hang] {
        // Retiring the old id fails (or hangs) twice: the commit answers anyway, and the old id is
        // retired in the background.
        let mut retirements_to_break = 2;
        let store = Scripted::new(move |_, record| {
            (record == crate::store::RETIRED && retirements_to_break > 0).then(|| {
                retirements_to_break -= 1;
                fault
            })
        });
        let config = fixture_on(store.clone(), |config| config.timeout = Duration::from_millis(300));
        let first = Mutex::new(Session::open(config.clone(), None));
        first.lock().unwrap().set("cart", value(r#"["tea"]"#), None).unwrap();
        let old_cookie = cookie_pair(&commit(&first).await.unwrap());
        let old_id = SessionId::parse(id_of(&old_cookie)).unwrap();

        let sign_in = Mutex::new(Session::open(config.clone(), Some(&old_cookie)));
        load(&sign_in).await.unwrap();
        sign_in.lock().unwrap().regenerate(None).unwrap();
        sign_in.lock().unwrap().set("user", value(r#"["ada"]"#), None).unwrap();
        let started = std::time::Instant::now();
        let new_cookie = cookie_pair(&commit(&sign_in).await.unwrap());
        assert!(started.elapsed() < Duration::from_millis(600), "within its timeout: {:?}", started.elapsed());
        assert_ne!(new_cookie, old_cookie);
        assert_eq!(read_back(&config, &new_cookie, "cart").await, r#"["tea"]"#);
        assert_eq!(read_back(&config, &new_cookie, "user").await, r#"["ada"]"#);

        let mut retired = false;
        for _ in 0..50 {
            if store.inner.load(&old_id).await.unwrap().as_deref() == Some(crate::store::RETIRED) {
                retired = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(retired, "the old id was retired in the background");
    }
}

#[tokio::test]
async fn the_session_id_is_unknown_until_its_record_is_found() {
    let f = Fixture::new();
    let first = f.open("");
    first.lock().unwrap().set("a", value("[1]"), None).unwrap();
    assert!(first.lock().unwrap().id().is_some(), "a new session has its id at once");
    let cookie = cookie_pair(&commit(&first).await.unwrap());

    let known = f.open(&cookie);
    assert_eq!(known.lock().unwrap().id(), None, "only the client's claim so far");
    load(&known).await.unwrap();
    assert_eq!(known.lock().unwrap().id().map(SessionId::as_str), Some(id_of(&cookie)));

    let made_up = f.open("sid=11111111-1111-4111-8111-111111111111");
    assert_eq!(made_up.lock().unwrap().id(), None);
    load(&made_up).await.unwrap();
    assert_ne!(made_up.lock().unwrap().id().map(SessionId::as_str), Some("11111111-1111-4111-8111-111111111111"));
}

#[tokio::test]
async fn hostile_repeated_references_are_refused_without_expanding() {
    // One 10 KB string referenced 20 000 times: 110 KB of text that V8's format would write out
    // at 200 MB.
    let mut text = String::from(r#"[["Map",1,2,3,4],"big",{"data":5,"expires":-1},"small",{"data":6,"expires":-1},["#);
    text.push_str(&vec!["7"; 20_000].join(","));
    text.push_str(&format!(r#"],1,{:?}]"#, "x".repeat(10_000)));
    let f = Fixture::new();
    let id = SessionId::generate();
    f.store.save(&id, text.as_bytes(), HOUR, Expected::Absent).await.unwrap();
    let session = f.open(&format!("sid={}", id.as_str()));
    load(&session).await.unwrap();
    let started = std::time::Instant::now();
    let error = session.lock().unwrap().get("big").unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    assert_eq!(error.code, ErrorCode::Parse);
    assert!(error.message.contains("\"big\"") && error.message.contains("maxExpansion"), "{}", error.message);
    // The rest of the session is fine, and checking a key converts nothing.
    assert_eq!(session.lock().unwrap().has("big").unwrap(), Lookup::Ready(true));
    assert_eq!(get(&session, "small").await, "[1]");
    assert!(session.lock().unwrap().entries().is_err(), "entries() shares one budget");
    // It was not discarded.
    assert!(commit(&session).await.unwrap().is_empty());
    assert_eq!(f.store.load(&id).await.unwrap().map(|r| r.len()), Some(text.len()));
}

#[tokio::test]
async fn records_past_max_size_are_refused_and_values_past_max_depth_unreadable() {
    let f = Fixture::with(|config| config.limits.max_size = 1_000);
    let id = SessionId::generate();
    let big = format!(r#"[["Map",1,2],"k",{{"data":3,"expires":-1}},{:?}]"#, "x".repeat(2_000));
    f.store.save(&id, big.as_bytes(), HOUR, Expected::Absent).await.unwrap();
    let error = load(&f.open(&format!("sid={}", id.as_str()))).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Parse);
    assert!(error.message.contains("maxSize") && !error.message.contains(id.as_str()), "{}", error.message);

    let f = Fixture::with(|config| config.limits.max_depth = 10);
    let id = SessionId::generate();
    let deep = |levels: usize| {
        let nodes: Vec<String> = (0..levels).map(|i| format!("[{}]", i + 4)).chain(["1".to_owned()]).collect();
        format!(r#"[["Map",1,2],"k",{{"data":3,"expires":-1}},{}]"#, nodes.join(","))
    };
    f.store.save(&id, deep(11).as_bytes(), HOUR, Expected::Absent).await.unwrap();
    let session = f.open(&format!("sid={}", id.as_str()));
    load(&session).await.unwrap();
    let error = session.lock().unwrap().get("k").unwrap_err();
    assert_eq!(error.code, ErrorCode::Parse);
    assert!(error.message.contains("maxDepth"), "{}", error.message);
    f.store.save(&id, deep(10).as_bytes(), HOUR, Expected::Any).await.unwrap();
    // Exactly maxDepth levels read (the helper unwraps the answer).
    assert_eq!(get(&f.open(&format!("sid={}", id.as_str())), "k").await.matches('[').count(), 1 + 10);
}

#[tokio::test]
async fn many_keys_are_read_one_at_a_time() {
    let f = Fixture::new();
    let first = f.open("");
    for i in 0..5_000 {
        first.lock().unwrap().set(&format!("key{i}"), value(&format!("[{{\"n\":1}},{i}]")), None).unwrap();
    }
    let cookie = cookie_pair(&commit(&first).await.unwrap());
    let session = f.open(&cookie);
    load(&session).await.unwrap();
    let Lookup::Ready(keys) = session.lock().unwrap().keys() else { panic!("loaded") };
    assert_eq!(keys.len(), 5_000);
    assert_eq!(keys[4_321], "key4321");
    assert_eq!(get(&session, "key4321").await, r#"[{"n":1},4321]"#);
    assert_eq!(session.lock().unwrap().has("key4999").unwrap(), Lookup::Ready(true));
    assert_eq!(session.lock().unwrap().has("key5000").unwrap(), Lookup::Ready(false));
}

#[tokio::test]
async fn a_slow_store_times_out_and_unrelated_sessions_do_not_wait() {
    let slow = SessionId::generate();
    let slow_id = slow.clone();
    let store = Scripted::new(move |id, _| (*id == slow_id).then_some(Fault::Hang));
    let config = fixture_on(store, |config| config.timeout = Duration::from_millis(300));
    // Many commits queue on the slow session; each gives up at its own deadline, not after the
    // ones before it.
    let started = std::time::Instant::now();
    let stuck: Vec<_> = (0..5)
        .map(|_| {
            let session = Arc::new(Mutex::new(Session::open(config.clone(), None)));
            session.lock().unwrap().switch_to(slow.clone());
            session.lock().unwrap().set("a", value("[1]"), None).unwrap();
            tokio::spawn(async move { commit(&session).await.map(|_| ()) })
        })
        .collect();
    // Meanwhile another session commits at once.
    let other = Mutex::new(Session::open(config.clone(), None));
    other.lock().unwrap().set("b", value("[2]"), None).unwrap();
    assert_eq!(commit(&other).await.unwrap().len(), 1);
    assert!(started.elapsed() < Duration::from_millis(200), "{:?}", started.elapsed());
    for task in stuck {
        let error = task.await.unwrap().unwrap_err();
        assert_eq!(error.code, ErrorCode::Timeout, "{}", error.message);
    }
    assert!(started.elapsed() < Duration::from_millis(900), "every wait within its deadline: {:?}", started.elapsed());
}

#[test]
fn a_ttl_is_any_number_of_seconds_up_to_a_century() {
    assert_eq!(super::ttl_from_seconds(1.5).unwrap(), Duration::from_millis(1500));
    assert!(super::ttl_from_seconds(100.0 * 365.0 * 24.0 * 3600.0).is_ok());
    for bad in [1e20, f64::INFINITY, f64::NAN, -1.0, f64::MAX] {
        assert_eq!(super::ttl_from_seconds(bad).unwrap_err().code, ErrorCode::Config, "{bad}");
    }
}

/// `get`, taking flash values first when the session says so.
async fn get_taking_flash(session: &Mutex<Session>, key: &str) -> String {
    loop {
        let answer = session.lock().unwrap().get(key).unwrap();
        match answer {
            Lookup::NeedsLoad => load(session).await.unwrap(),
            Lookup::NeedsConsume(keys) => super::update::consume(session, keys).await.unwrap(),
            Lookup::Ready(Some(bytes)) => {
                let (graph, root) = v8::read(&bytes).unwrap();
                return devalue::stringify(&graph, root, devalue::LoneSurrogates::Raw).unwrap().to_string();
            }
            Lookup::Ready(None) => return "missing".into(),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flash_value_is_read_by_exactly_one_request() {
    let f = Fixture::new();
    let first = f.open("");
    first.lock().unwrap().set("user", value(r#"["ada"]"#), None).unwrap();
    first.lock().unwrap().flash("notice", value(r#"["saved"]"#), None).unwrap();
    let cookie = cookie_pair(&commit(&first).await.unwrap());

    // Eight requests read it at once (all loaded before any takes it): one gets it.
    let readers: Vec<Arc<Mutex<Session>>> = (0..8).map(|_| Arc::new(f.open(&cookie))).collect();
    for reader in &readers {
        load(reader).await.unwrap();
        assert_eq!(reader.lock().unwrap().has("notice").unwrap(), Lookup::Ready(true));
    }
    let tasks: Vec<_> = readers
        .iter()
        .cloned()
        .map(|reader| tokio::spawn(async move { get_taking_flash(&reader, "notice").await }))
        .collect();
    let mut got = Vec::new();
    for task in tasks {
        got.push(task.await.unwrap());
    }
    assert_eq!(got.iter().filter(|answer| *answer == r#"["saved"]"#).count(), 1, "{got:?}");
    assert_eq!(got.iter().filter(|answer| *answer == "missing").count(), 7);
    // The reader that took it reads it again within its request; the other values stay.
    let winner = readers.iter().find(|r| matches!(r.lock().unwrap().has("notice").unwrap(), Lookup::Ready(true))).unwrap();
    assert_eq!(get_taking_flash(winner, "notice").await, r#"["saved"]"#);
    let later = f.open(&cookie);
    assert_eq!(get_taking_flash(&later, "notice").await, "missing");
    assert_eq!(get_taking_flash(&later, "user").await, r#"["ada"]"#);
    assert!(!f.record(id_of(&cookie)).await.unwrap().contains("notice"), "gone from the store");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_loses_no_increment() {
    let f = Fixture::new();
    let first = f.open("");
    first.lock().unwrap().set("n", value("[0]"), None).unwrap();
    let cookie = cookie_pair(&commit(&first).await.unwrap());
    let as_number = |bytes: &Option<Vec<u8>>| -> i64 {
        let (graph, root) = v8::read(bytes.as_ref().unwrap()).unwrap();
        devalue::stringify(&graph, root, devalue::LoneSurrogates::Raw).unwrap().to_string()[1..].trim_end_matches(']').parse().unwrap()
    };
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let f_config = f.config.clone();
            let cookie = cookie.clone();
            tokio::spawn(async move {
                let mut reruns = 0;
                for _ in 0..25 {
                    // One request per increment, as a browser's would be.
                    let session = Mutex::new(Session::open(f_config.clone(), Some(&cookie)));
                    load(&session).await.unwrap();
                    let Lookup::Ready(mut base) = session.lock().unwrap().get("n").unwrap() else { panic!("loaded") };
                    loop {
                        let next = as_number(&base) + 1;
                        let handoff = format!("[{next}]").into_bytes();
                        match super::update::update(&session, "n", base.clone(), handoff, None).await.unwrap() {
                            super::update::Updated::Done => break,
                            super::update::Updated::Changed(now) => {
                                reruns += 1;
                                base = now;
                            }
                        }
                    }
                }
                reruns
            })
        })
        .collect();
    let mut reruns = 0;
    for task in tasks {
        reruns += task.await.unwrap();
    }
    assert_eq!(get(&f.open(&cookie), "n").await, "[200]", "every increment counted ({reruns} re-runs)");
}

#[tokio::test]
async fn reads_keep_a_session_alive_and_writes_nothing_until_half_its_idle_timeout() {
    let f = Fixture::with(|config| config.lifetime = Duration::from_millis(1_000));
    let first = f.open("");
    first.lock().unwrap().set("user", value(r#"["ada"]"#), None).unwrap();
    let cookie = cookie_pair(&commit(&first).await.unwrap());
    let id = SessionId::parse(id_of(&cookie)).unwrap();
    let mut touches = 0;
    // A read-only request every 300 ms for 2.4 s: the session outlives its 1 s idle timeout.
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let reader = f.open(&cookie);
        assert_eq!(get(&reader, "user").await, r#"["ada"]"#, "signed out while active");
        let dirty = reader.lock().unwrap().is_dirty();
        if dirty {
            touches += 1;
            assert!(commit(&reader).await.unwrap().is_empty(), "no cookie without rolling");
        }
    }
    assert!((3..=6).contains(&touches), "extended every other read or so, not on each: {touches}");
    // Idle now: it expires.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(f.store.load(&id).await.unwrap(), None);
}

#[tokio::test]
async fn with_rolling_an_extension_renews_the_cookie() {
    let f = Fixture::with(|config| {
        config.lifetime = Duration::from_millis(400);
        config.rolling = true;
        config.cookie.max_age = Some(3600);
    });
    let first = f.open("");
    first.lock().unwrap().set("a", value("[1]"), None).unwrap();
    let cookie = cookie_pair(&commit(&first).await.unwrap());
    tokio::time::sleep(Duration::from_millis(250)).await;
    let reader = f.open(&cookie);
    get(&reader, "a").await;
    let renewed = commit(&reader).await.unwrap();
    assert_eq!(renewed.len(), 1, "{renewed:?}");
    assert!(renewed[0].contains("Max-Age=3600"), "{renewed:?}");
}

#[tokio::test]
async fn an_absolute_timeout_ends_a_session_however_active() {
    let f = Fixture::with(|config| {
        config.lifetime = Duration::from_millis(600);
        config.absolute_timeout = Some(Duration::from_millis(1_000));
    });
    let first = f.open("");
    first.lock().unwrap().set("user", value(r#"["ada"]"#), None).unwrap();
    let cookie = cookie_pair(&commit(&first).await.unwrap());
    let record = f.record(id_of(&cookie)).await.unwrap();
    assert!(record.contains(r#""napi-session:created""#), "the creation time is kept: {record}");
    let reader = f.open(&cookie);
    assert_eq!(reader.lock().unwrap().keys(), Lookup::NeedsLoad);
    load(&reader).await.unwrap();
    assert_eq!(reader.lock().unwrap().keys(), Lookup::Ready(vec!["user".to_owned()]), "and hidden from keys()");
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let active = f.open(&cookie);
        active.lock().unwrap().set("seen", value("[1]"), None).unwrap();
        commit(&active).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The store dropped it at its absolute end: a write starts a new session.
    let late = f.open(&cookie);
    assert_eq!(get(&late, "user").await, "missing", "past its absolute timeout");
    late.lock().unwrap().set("seen", value("[2]"), None).unwrap();
    assert_ne!(cookie_pair(&commit(&late).await.unwrap()), cookie);

    // A record the store still holds past it (written elsewhere, or a clock ahead) ends when read.
    let id = SessionId::generate();
    let old = format!(r#"[["Map",1,2,3,4],"user",{{"data":5,"expires":-1}},"napi-session:created",{{"data":6,"expires":-1}},"ada",{}]"#, crate::store::now_ms() - 5_000.0);
    f.store.save(&id, old.as_bytes(), HOUR, Expected::Absent).await.unwrap();
    let reader = f.open(&format!("sid={}", id.as_str()));
    assert_eq!(get(&reader, "user").await, "missing");
    let cookies = commit(&reader).await.unwrap();
    assert!(cookies[0].contains("Max-Age=0"), "{cookies:?}");
    assert_eq!(f.store.load(&id).await.unwrap().as_deref(), Some(TOMBSTONE));
}

#[test]
fn reserved_keys_are_refused() {
    let f = Fixture::new();
    let session = f.open("");
    let error = session.lock().unwrap().set("napi-session:created", value("[1]"), None).unwrap_err();
    assert_eq!(error.code, ErrorCode::Key);
}

#[tokio::test]
async fn regenerate_to_a_chosen_id_moves_the_values_there_and_retires_the_old_one() {
    let f = Fixture::new();
    let first = f.open("");
    first.lock().unwrap().set("cart", value(r#"["tea"]"#), None).unwrap();
    let cookie = cookie_pair(&commit(&first).await.unwrap());

    let chosen = "0f8fad5b-d9cb-469f-a165-70867728950e";
    let sign_in = f.open(&cookie);
    load(&sign_in).await.unwrap();
    sign_in.lock().unwrap().regenerate(Some(SessionId::parse(chosen).unwrap())).unwrap();
    assert_eq!(sign_in.lock().unwrap().id().map(SessionId::as_str), Some(chosen));
    sign_in.lock().unwrap().set("user", value(r#"["ada"]"#), None).unwrap();
    assert_eq!(cookie_pair(&commit(&sign_in).await.unwrap()), format!("sid={chosen}"));
    let reader = f.open(&format!("sid={chosen}"));
    assert_eq!((get(&reader, "cart").await, get(&reader, "user").await), (r#"["tea"]"#.into(), r#"["ada"]"#.into()));
    assert_eq!(f.record(id_of(&cookie)).await.as_deref(), Some("null"), "the old id is retired");
}

#[tokio::test]
async fn a_chosen_id_starts_a_new_session_without_a_read_and_never_takes_over_another() {
    let f = Fixture::new();
    let chosen = SessionId::parse("7c9e6679-7425-40de-944b-e07fc1f90ae7").unwrap();
    let fresh = f.open("");
    fresh.lock().unwrap().regenerate(Some(chosen.clone())).unwrap();
    fresh.lock().unwrap().set("n", value("[1]"), None).unwrap();
    assert_eq!(cookie_pair(&commit(&fresh).await.unwrap()), format!("sid={}", chosen.as_str()));
    assert_eq!(get(&f.open(&format!("sid={}", chosen.as_str())), "n").await, "[1]");

    // The same id chosen again, for a new session or a regenerated one: refused, and the
    // session that has it keeps its values.
    let again = f.open("");
    again.lock().unwrap().regenerate(Some(chosen.clone())).unwrap();
    again.lock().unwrap().set("n", value("[2]"), None).unwrap();
    assert_eq!(commit(&again).await.unwrap_err().code, ErrorCode::Storage);

    let other = f.open("");
    other.lock().unwrap().set("m", value("[3]"), None).unwrap();
    let other_cookie = cookie_pair(&commit(&other).await.unwrap());
    let moving = f.open(&other_cookie);
    load(&moving).await.unwrap();
    moving.lock().unwrap().regenerate(Some(chosen.clone())).unwrap();
    assert_eq!(commit(&moving).await.unwrap_err().code, ErrorCode::Storage);
    assert_eq!(get(&f.open(&format!("sid={}", chosen.as_str())), "n").await, "[1]");
    assert_eq!(get(&f.open(&other_cookie), "m").await, "[3]", "the session that was to move keeps its id");
}

#[tokio::test]
async fn a_session_may_have_a_cookie_max_age_of_its_own() {
    // The configured cookie lasts the browser session (no Max-Age), as express-session's default.
    let f = Fixture::new();
    let session = f.open("");
    session.lock().unwrap().set("user", value(r#"["ada"]"#), None).unwrap();
    session.lock().unwrap().set_cookie_max_age(Some(30 * 86_400), true).unwrap();
    let cookies = commit(&session).await.unwrap();
    assert!(cookies[0].contains("Max-Age=2592000"), "remember me: {cookies:?}");
    let cookie = cookie_pair(&cookies);

    // Later requests say so again (the caller keeps track); a write renews it, as it would the
    // configured one.
    let later = f.open(&cookie);
    later.lock().unwrap().set_cookie_max_age(Some(30 * 86_400), false).unwrap();
    later.lock().unwrap().set("visits", value("[1]"), None).unwrap();
    let renewed = commit(&later).await.unwrap();
    assert!(renewed[0].contains("Max-Age=2592000"), "{renewed:?}");

    // Back to a browser-session cookie: sent at the next write, with no Max-Age.
    let forget = f.open(&cookie);
    forget.lock().unwrap().set_cookie_max_age(None, true).unwrap();
    forget.lock().unwrap().set("visits", value("[2]"), None).unwrap();
    let plain = commit(&forget).await.unwrap();
    assert_eq!(cookie_pair(&plain), cookie);
    assert!(!plain[0].contains("Max-Age"), "{plain:?}");

    // Without a change, a write of a browser-session cookie's session sends nothing.
    let quiet = f.open(&cookie);
    quiet.lock().unwrap().set("visits", value("[3]"), None).unwrap();
    assert!(commit(&quiet).await.unwrap().is_empty());

    // The limit is a century; far past it, and below zero, a configuration error.
    let century = super::MAX_TTL.as_secs() as i64;
    assert!(f.open("").lock().unwrap().set_cookie_max_age(Some(century), true).is_ok());
    for wrong in [-1, century + 1, i64::MAX, i64::MIN] {
        let error = f.open("").lock().unwrap().set_cookie_max_age(Some(wrong), true).unwrap_err();
        assert_eq!(error.code, ErrorCode::Config, "{wrong}");
    }
}
