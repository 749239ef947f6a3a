//! The deadline of one session operation (a load, a commit): every wait inside it — for another
//! request's turn, for a lock, for a connection, for a command — counts against the same
//! budget, so the operation as a whole answers in time.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Deadline(Instant);

impl Deadline {
    /// `budget` from now. A budget too large to represent is as good as no deadline.
    pub fn after(budget: Duration) -> Self {
        let now = Instant::now();
        Self(now.checked_add(budget).unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600)))
    }

    pub fn instant(self) -> Instant {
        self.0
    }

    /// What is left of the budget (zero once it has passed).
    pub fn remaining(self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }

    pub fn has_passed(self) -> bool {
        self.remaining().is_zero()
    }

    /// Runs `work` until the deadline; past it, gives up with `ERR_SESSION_TIMEOUT` saying that
    /// `what` did not finish in time.
    pub async fn run<T>(self, what: &str, work: impl Future<Output = Result<T>>) -> Result<T> {
        match tokio::time::timeout_at(self.0, work).await {
            Ok(result) => result,
            Err(_elapsed) => Err(Error::timeout(format!(
                "{what} did not finish in time; the store may be slow or down, or the session busy with other requests"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn work_past_the_deadline_times_out() {
        let deadline = Deadline::after(Duration::from_secs(1));
        let slow = deadline.run("waiting", async {
            tokio::time::sleep(Duration::from_secs(2)).await;
            Ok(())
        });
        let error = slow.await.unwrap_err();
        assert_eq!(error.code, crate::ErrorCode::Timeout);
        assert!(error.message.starts_with("waiting did not finish in time"), "{}", error.message);
        assert!(deadline.has_passed());
        let fast = Deadline::after(Duration::from_secs(1)).run("quick", async { Ok(7) });
        assert_eq!(fast.await.unwrap(), 7);
    }

    #[test]
    fn an_unrepresentable_budget_is_far_away() {
        let deadline = Deadline::after(Duration::MAX);
        assert!(deadline.remaining() > Duration::from_secs(365 * 24 * 3600));
    }
}
