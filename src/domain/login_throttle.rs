//! Login rate limiting: slows down password guessing against one account and from one
//! address, without locking a real user out for long.

/// Failed attempts allowed per e-mail address within the window.
pub const MAX_FAILURES_PER_EMAIL: u64 = 5;
/// Failed attempts allowed per client address within the window (several users may share
/// an office address, hence a higher limit).
pub const MAX_FAILURES_PER_IP: u64 = 20;
/// Length of the sliding window, in minutes.
pub const WINDOW_MINUTES: i64 = 15;

/// Whether a new attempt may be checked, given the failures already recorded in the window.
#[must_use]
pub const fn attempt_allowed(failures_for_email: u64, failures_for_ip: u64) -> bool {
    failures_for_email < MAX_FAILURES_PER_EMAIL && failures_for_ip < MAX_FAILURES_PER_IP
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(0, 0, true)]
    #[case(4, 0, true)]
    #[case(5, 0, false)]
    #[case(0, 19, true)]
    #[case(0, 20, false)]
    #[case(9, 50, false)]
    fn limits(#[case] by_email: u64, #[case] by_ip: u64, #[case] allowed: bool) {
        assert_eq!(attempt_allowed(by_email, by_ip), allowed);
    }
}
