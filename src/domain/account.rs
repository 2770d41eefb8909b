//! Account links: how long activation and password-reset links stay valid.

use chrono::{DateTime, Duration, FixedOffset};

/// An activation (sign-up or invitation) link is valid for a week.
pub const ACTIVATION_VALID_HOURS: i64 = 7 * 24;
/// A password-reset link is valid for one hour (it grants access to the account).
pub const RESET_VALID_MINUTES: i64 = 60;
/// A login session lasts two weeks.
pub const SESSION_VALID_DAYS: i64 = 14;

#[must_use]
pub fn link_is_fresh(
    sent_at: Option<DateTime<FixedOffset>>,
    now: DateTime<FixedOffset>,
    validity: Duration,
) -> bool {
    sent_at.is_some_and(|sent| now >= sent && now - sent <= validity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(None, 0, false)]
    #[case(Some(0), 0, true)]
    #[case(Some(0), 60, true)]
    #[case(Some(0), 61, false)]
    // A link "sent in the future" (clock skew, tampering) is not accepted.
    #[case(Some(10), 0, false)]
    fn freshness(#[case] sent_minute: Option<i64>, #[case] now_minute: i64, #[case] fresh: bool) {
        let base = DateTime::parse_from_rfc3339("2026-11-22T10:00:00+01:00").unwrap();
        let sent = sent_minute.map(|m| base + Duration::minutes(m));
        let now = base + Duration::minutes(now_minute);
        assert_eq!(
            link_is_fresh(sent, now, Duration::minutes(RESET_VALID_MINUTES)),
            fresh
        );
    }
}
