//! Loading a session's record: read off the JS thread and parsed there, then taken in by the
//! session under its lock — within the configured timeout.

use std::sync::Mutex;

use super::{lock, LoadedRecord, Session};
use crate::deadline::Deadline;
use crate::Result;

/// Reads the session's record if it is needed and not read yet.
pub async fn load(session: &Mutex<Session>) -> Result<()> {
    let (id, config) = {
        let session = lock(session);
        match session.load_needed() {
            Some(id) => (id, session.config.clone()),
            None => return Ok(()),
        }
    };
    let deadline = Deadline::after(config.timeout);
    let record = deadline.run("loading the session", config.store.load_with_expiry(&id)).await?;
    // Parsed here, on this worker thread, before the session's lock is taken.
    let loaded = record.map(|(record, expires_at)| LoadedRecord::new(record, expires_at, &config.limits));
    lock(session).apply_load(&id, loaded)
}
