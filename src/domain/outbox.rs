//! Outbox delivery rules: when a failed message is tried again, and when we give up.

use chrono::{DateTime, Duration, FixedOffset};

/// After this many failed attempts (about a day and a half of retries) a message is marked
/// failed and shown as such instead of being retried forever.
pub const MAX_ATTEMPTS: i32 = 12;
/// A message claimed longer ago than this by a worker that never reported back (crash,
/// deploy) is made pending again.
pub const STALE_CLAIM_MINUTES: i64 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Waiting for something before it may leave (an invoice e-mail waits for its PDF).
    Held,
    Pending,
    Sending,
    Sent,
    Failed,
}

impl Status {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Held => "held",
            Self::Pending => "pending",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    RetryAt(DateTime<FixedOffset>),
    GiveUp,
}

/// Exponential backoff: 30 s, 1 min, 2 min, ... capped at 4 h between attempts.
/// `attempts` is the number of attempts made so far, including the one that just failed.
#[must_use]
pub fn retry_delay(attempts: i32) -> Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    let seconds = 30i64.saturating_mul(1i64 << exponent);
    Duration::seconds(seconds.min(4 * 3600))
}

#[must_use]
pub fn after_failure(attempts: i32, now: DateTime<FixedOffset>) -> AfterFailure {
    if attempts >= MAX_ATTEMPTS {
        AfterFailure::GiveUp
    } else {
        AfterFailure::RetryAt(now + retry_delay(attempts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(1, 30)]
    #[case(2, 60)]
    #[case(3, 120)]
    #[case(9, 7680)]
    #[case(10, 14400)]
    #[case(50, 14400)]
    fn backoff(#[case] attempts: i32, #[case] seconds: i64) {
        assert_eq!(retry_delay(attempts), Duration::seconds(seconds));
    }

    #[test]
    fn gives_up_after_the_last_attempt() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T10:00:00+01:00").unwrap();
        assert_eq!(
            after_failure(1, now),
            AfterFailure::RetryAt(now + Duration::seconds(30))
        );
        assert_eq!(after_failure(MAX_ATTEMPTS, now), AfterFailure::GiveUp);
    }

    proptest::proptest! {
        #[test]
        fn delays_never_shrink(attempts in 1i32..100) {
            proptest::prop_assert!(retry_delay(attempts + 1) >= retry_delay(attempts));
            proptest::prop_assert!(retry_delay(attempts) > Duration::zero());
        }
    }
}
