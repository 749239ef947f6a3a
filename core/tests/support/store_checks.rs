//! What every `SessionStore` must do, written once and run against each store (the memory store
//! too, which shows the checks themselves hold for a store known to be right).

use std::sync::Arc;
use std::time::Duration;

use session_core::id::SessionId;
use session_core::store::{Expected, Saved, SessionStore, TOMBSTONE, TOMBSTONE_LIFETIME};

const HOUR: Duration = Duration::from_secs(3600);

/// Compare-and-set: each expectation, met and not met; an empty record (a tombstone) is a record.
pub async fn compare_and_set(store: &dyn SessionStore) {
    let id = SessionId::generate();
    assert_eq!(store.load(&id).await.unwrap(), None, "no record yet");
    assert_eq!(store.save(&id, b"[1]", HOUR, Expected::Current(b"[0]")).await.unwrap(), Saved::Conflict(None));
    assert_eq!(store.save(&id, b"[1]", HOUR, Expected::Absent).await.unwrap(), Saved::Done);
    assert_eq!(store.save(&id, b"[2]", HOUR, Expected::Absent).await.unwrap(), Saved::Conflict(Some(b"[1]".to_vec())));
    assert_eq!(
        store.save(&id, b"[2]", HOUR, Expected::Current(b"[0]")).await.unwrap(),
        Saved::Conflict(Some(b"[1]".to_vec()))
    );
    assert_eq!(store.save(&id, b"[2]", HOUR, Expected::Current(b"[1]")).await.unwrap(), Saved::Done);
    assert_eq!(store.load(&id).await.unwrap(), Some(b"[2]".to_vec()));
    assert_eq!(store.save(&id, b"[3]", HOUR, Expected::Any).await.unwrap(), Saved::Done);
    assert_eq!(store.load(&id).await.unwrap(), Some(b"[3]".to_vec()));

    // A tombstone: stored, loaded as an empty record (not as none), and compared like any record.
    assert_eq!(store.save(&id, TOMBSTONE, TOMBSTONE_LIFETIME, Expected::Current(b"[3]")).await.unwrap(), Saved::Done);
    assert_eq!(store.load(&id).await.unwrap(), Some(Vec::new()));
    assert_eq!(store.save(&id, b"[4]", HOUR, Expected::Absent).await.unwrap(), Saved::Conflict(Some(Vec::new())));
    assert_eq!(
        store.save(&id, b"[4]", HOUR, Expected::Current(b"[3]")).await.unwrap(),
        Saved::Conflict(Some(Vec::new()))
    );
    assert_eq!(store.save(&id, b"[4]", HOUR, Expected::Current(TOMBSTONE)).await.unwrap(), Saved::Done);

    store.delete(&id).await.unwrap();
    store.delete(&id).await.unwrap();
    assert_eq!(store.load(&id).await.unwrap(), None);
    assert_eq!(store.save(&id, b"[5]", HOUR, Expected::Current(b"[4]")).await.unwrap(), Saved::Conflict(None));

    // Bytes that are not UTF-8 (a record is bytes to the store) round-trip too.
    let odd = [0xff, 0x00, 0xfe, b'\r', b'\n'];
    assert_eq!(store.save(&id, &odd, HOUR, Expected::Absent).await.unwrap(), Saved::Done);
    assert_eq!(store.save(&id, b"x", HOUR, Expected::Current(&odd)).await.unwrap(), Saved::Done);
    store.delete(&id).await.unwrap();
}

/// Records expire after their lifetime, and an expired record is absent for compare-and-set too.
pub async fn records_expire(store: &dyn SessionStore) {
    let id = SessionId::generate();
    // Margins for a loaded machine (tests run in parallel, next to clusters being set up).
    store.save(&id, b"[1]", Duration::from_millis(500), Expected::Any).await.unwrap();
    assert!(store.load(&id).await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(store.load(&id).await.unwrap(), None);
    assert_eq!(store.save(&id, b"[2]", HOUR, Expected::Absent).await.unwrap(), Saved::Done);
    store.delete(&id).await.unwrap();
}

/// Many tasks increment one counter record with compare-and-set loops: none is lost.
pub async fn concurrent_compare_and_set_loses_nothing(store: Arc<dyn SessionStore>) {
    const TASKS: u32 = 8;
    const INCREMENTS: u32 = 25;
    let id = SessionId::generate();
    store.save(&id, b"0", HOUR, Expected::Absent).await.unwrap();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (store, id) = (store.clone(), id.clone());
            tokio::spawn(async move {
                let mut conflicts = 0;
                for _ in 0..INCREMENTS {
                    let mut current = store.load(&id).await.unwrap().unwrap();
                    loop {
                        let next = (std::str::from_utf8(&current).unwrap().parse::<u32>().unwrap() + 1).to_string();
                        match store.save(&id, next.as_bytes(), HOUR, Expected::Current(&current)).await.unwrap() {
                            Saved::Done => break,
                            Saved::Conflict(now) => {
                                conflicts += 1;
                                current = now.unwrap();
                            }
                        }
                    }
                }
                conflicts
            })
        })
        .collect();
    let mut conflicts = 0;
    for task in tasks {
        conflicts += task.await.unwrap();
    }
    assert_eq!(store.load(&id).await.unwrap(), Some((TASKS * INCREMENTS).to_string().into_bytes()));
    // Not a requirement, but without any conflict the test would not have tested much.
    eprintln!("concurrent compare-and-set: {conflicts} conflicts resolved");
    store.delete(&id).await.unwrap();
}

/// A touch extends the record only if it is still the one expected, and never makes one.
pub async fn touch_extends_only_the_expected_record(store: &dyn SessionStore) {
    let id = SessionId::generate();
    store.save(&id, b"[1]", Duration::from_millis(600), Expected::Absent).await.unwrap();
    let (record, expires_at) = store.load_with_expiry(&id).await.unwrap().unwrap();
    assert_eq!(record, b"[1]");
    assert!(!store.touch(&id, b"[0]", HOUR).await.unwrap(), "not the record expected");
    assert!(store.touch(&id, b"[1]", HOUR).await.unwrap());
    if let Some(before) = expires_at {
        let (_, after) = store.load_with_expiry(&id).await.unwrap().unwrap();
        assert!(after.unwrap() > before + 30_000.0, "extended by the new lifetime: {before} -> {after:?}");
        tokio::time::sleep(Duration::from_millis(900)).await;
        assert!(store.load(&id).await.unwrap().is_some(), "alive past its first lifetime");
    }
    let absent = SessionId::generate();
    assert!(!store.touch(&absent, b"[1]", HOUR).await.unwrap());
    assert_eq!(store.load(&absent).await.unwrap(), None, "a touch makes no record");
    store.delete(&id).await.unwrap();
}
