//! How long a session lives: the model, in one place.
//!
//! - **Idle timeout** (`idleTimeout`, the configured lifetime): a session lives that long after it
//!   was last *used*. A write renews it; so does a read, throttled: only once the session has lived
//!   through half of its idle timeout since it was last renewed is the store's expiry extended (a
//!   *touch*), so most reads still write nothing.
//! - **Absolute timeout** (`absoluteTimeout`): a session ends that long after it was created, however
//!   active. Its creation time is kept in the record ([`CREATED_KEY`](crate::record::CREATED_KEY)).
//! - **Per-value `ttl`**: a value expires on its own; the session is kept at least as long as its
//!   longest-lived value (but never past its absolute timeout).

use std::time::Duration;

use super::SessionConfig;

/// How long the store should keep a record written (or touched) `now`: the idle timeout, or longer
/// for a value with a later expiry, but never past the absolute timeout.
pub fn store_lifetime(config: &SessionConfig, latest_value_expiry: Option<f64>, created: Option<f64>, now: f64) -> Duration {
    let until = |epoch_ms: f64| Duration::from_millis((epoch_ms - now).clamp(0.0, u64::MAX as f64) as u64);
    let idle = latest_value_expiry.map_or(config.lifetime, |latest| until(latest).max(config.lifetime));
    match (config.absolute_timeout, created) {
        (Some(absolute), Some(created)) => idle.min(until(created + absolute.as_millis() as f64)),
        _ => idle,
    }
}

/// Whether a session created at `created` has outlived the absolute timeout at `now`.
pub fn past_absolute_timeout(config: &SessionConfig, created: Option<f64>, now: f64) -> bool {
    match (config.absolute_timeout, created) {
        (Some(absolute), Some(created)) => created + absolute.as_millis() as f64 <= now,
        _ => false,
    }
}

/// Whether a read at `now` of a session the store drops at `expires_at` should extend it: once
/// less than half of the idle timeout is left.
pub fn touch_due(config: &SessionConfig, expires_at: Option<f64>, now: f64) -> bool {
    expires_at.is_some_and(|expires_at| expires_at - now < config.lifetime.as_millis() as f64 / 2.0)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::cookie::CookieConfig;
    use crate::store::memory::MemoryStore;

    const HOUR_MS: f64 = 3_600_000.0;

    fn config(absolute: Option<Duration>) -> SessionConfig {
        let mut config = SessionConfig::new(Arc::new(MemoryStore::default()), CookieConfig::new("sid", false));
        config.lifetime = Duration::from_secs(3600);
        config.absolute_timeout = absolute;
        config
    }

    #[test]
    fn the_lifetime_is_the_idle_timeout_or_a_longer_values_but_never_past_the_absolute_timeout() {
        let now = 1e12;
        let c = config(None);
        assert_eq!(store_lifetime(&c, None, None, now), Duration::from_secs(3600));
        assert_eq!(store_lifetime(&c, Some(now + 2.0 * HOUR_MS), None, now), Duration::from_secs(7200));
        assert_eq!(store_lifetime(&c, Some(now + 0.5 * HOUR_MS), None, now), Duration::from_secs(3600));
        let c = config(Some(Duration::from_secs(8 * 3600)));
        // Created 7.5 hours ago: half an hour left, whatever the values say.
        let created = now - 7.5 * HOUR_MS;
        assert_eq!(store_lifetime(&c, Some(now + 5.0 * HOUR_MS), Some(created), now), Duration::from_secs(1800));
        assert!(!past_absolute_timeout(&c, Some(created), now));
        assert!(past_absolute_timeout(&c, Some(now - 8.0 * HOUR_MS), now));
        assert!(!past_absolute_timeout(&c, None, now), "no creation time: not known to be past it");
    }

    #[test]
    fn a_read_extends_the_session_once_half_its_idle_timeout_has_passed() {
        let now = 1e12;
        let c = config(None);
        assert!(!touch_due(&c, Some(now + 0.6 * HOUR_MS), now));
        assert!(touch_due(&c, Some(now + 0.4 * HOUR_MS), now));
        assert!(!touch_due(&c, None, now), "a record the store keeps forever");
    }
}
