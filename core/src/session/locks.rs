//! Commits to one session id, from requests of this process, take turns.
//!
//! Compare-and-set alone is correct, but a burst of concurrent requests on one session would
//! make most of them retry many times (each success invalidates every other attempt). Taking
//! turns in-process means each commit conflicts at most once — with the state it read at load
//! time — and then succeeds; compare-and-set still guards against other processes.

use tokio::sync::{Mutex, MutexGuard};

use crate::id::SessionId;

const STRIPES: usize = 256;

pub struct CommitLocks {
    stripes: Vec<Mutex<()>>,
}

impl Default for CommitLocks {
    fn default() -> Self {
        Self { stripes: (0..STRIPES).map(|_| Mutex::new(())).collect() }
    }
}

impl CommitLocks {
    /// Waits for the turn of `id`; the turn lasts until the guard is dropped.
    pub async fn turn(&self, id: &SessionId) -> MutexGuard<'_, ()> {
        // Ids are random: their first hex digits spread evenly over the stripes.
        let stripe = u64::from_str_radix(&id.as_str()[..8], 16).unwrap_or(0) as usize % STRIPES;
        self.stripes[stripe].lock().await
    }
}
