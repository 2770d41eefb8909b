//! Invoice and credit note numbers: one continuous, chronological sequence per series,
//! with no gap (CGI art. 242 nonies A, 7°; BOI-TVA-DECLA-30-20-20-10). The counter itself
//! lives in the database and is taken inside the issuing transaction; these are the rules.

use chrono::{Datelike, NaiveDate};

/// The series a document is numbered in: per company and kind, and per calendar year
/// when the seller resets numbering every year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesKey {
    /// The year of the issue date, or 0 for a continuous series.
    pub year: i32,
}

#[must_use]
pub fn series_for(issue_date: NaiveDate, yearly_reset: bool) -> SeriesKey {
    SeriesKey {
        year: if yearly_reset { issue_date.year() } else { 0 },
    }
}

/// "F-2026-000042" (yearly series) or "F-000042" (continuous series).
#[must_use]
pub fn format_number(prefix: &str, series: SeriesKey, sequence: i64) -> String {
    if series.year == 0 {
        format!("{prefix}-{sequence:06}")
    } else {
        format!("{prefix}-{}-{sequence:06}", series.year)
    }
}

/// A number may not be given for a date earlier than the last numbered document of the
/// series, nor for a date in the future.
///
/// # Errors
/// `issue-date-before-last` (with the date to use at the earliest), `issue-date-in-future`.
pub fn check_chronology(
    issue_date: NaiveDate,
    last_numbered: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(), &'static str> {
    if issue_date > today {
        return Err("issue-date-in-future");
    }
    match last_numbered {
        Some(last) if issue_date < last => Err("issue-date-before-last"),
        _ => Ok(()),
    }
}

/// Due date from a payment term in calendar days (Europe/Paris dates in, date out).
#[must_use]
pub fn due_date(issue_date: NaiveDate, term_days: i32) -> NaiveDate {
    issue_date + chrono::Days::new(u64::try_from(term_days.max(0)).unwrap_or(0))
}

/// An explicit due date must not precede the issue date nor exceed the legal maximum
/// between professionals (Code de commerce art. L441-10: 60 days).
///
/// # Errors
/// `due-date-before-issue`, `payment-term-too-long`.
pub fn check_due_date(issue_date: NaiveDate, due: NaiveDate) -> Result<(), &'static str> {
    if due < issue_date {
        return Err("due-date-before-issue");
    }
    if (due - issue_date).num_days() > i64::from(super::company::MAX_PAYMENT_TERM_DAYS) {
        return Err("payment-term-too-long");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[rstest]
    #[case("F", true, 42, "F-2026-000042")]
    #[case("FAC", false, 42, "FAC-000042")]
    #[case("AV", true, 1, "AV-2026-000001")]
    #[case("F", true, 1_234_567, "F-2026-1234567")]
    fn numbers(
        #[case] prefix: &str,
        #[case] reset: bool,
        #[case] seq: i64,
        #[case] expected: &str,
    ) {
        let series = series_for(date(2026, 11, 25), reset);
        assert_eq!(format_number(prefix, series, seq), expected);
    }

    #[test]
    fn a_yearly_series_starts_again_in_january() {
        assert_ne!(
            series_for(date(2026, 12, 31), true),
            series_for(date(2027, 1, 1), true)
        );
        assert_eq!(
            series_for(date(2026, 12, 31), false),
            series_for(date(2027, 1, 1), false)
        );
    }

    #[rstest]
    #[case(date(2026, 11, 25), None, Ok(()))]
    #[case(date(2026, 11, 25), Some(date(2026, 11, 25)), Ok(()))]
    #[case(
        date(2026, 11, 24),
        Some(date(2026, 11, 25)),
        Err("issue-date-before-last")
    )]
    #[case(date(2026, 11, 26), None, Err("issue-date-in-future"))]
    fn chronology(
        #[case] issue: NaiveDate,
        #[case] last: Option<NaiveDate>,
        #[case] expected: Result<(), &str>,
    ) {
        assert_eq!(check_chronology(issue, last, date(2026, 11, 25)), expected);
    }

    #[rstest]
    #[case(date(2026, 11, 25), 30, date(2026, 12, 25))]
    #[case(date(2026, 12, 15), 30, date(2027, 1, 14))]
    #[case(date(2028, 2, 1), 28, date(2028, 2, 29))]
    #[case(date(2026, 3, 1), 0, date(2026, 3, 1))]
    fn due_dates_count_calendar_days(
        #[case] issue: NaiveDate,
        #[case] days: i32,
        #[case] expected: NaiveDate,
    ) {
        assert_eq!(due_date(issue, days), expected);
    }

    #[test]
    fn an_explicit_due_date_is_bounded() {
        let issue = date(2026, 11, 25);
        assert_eq!(
            check_due_date(issue, date(2026, 11, 24)),
            Err("due-date-before-issue")
        );
        assert_eq!(check_due_date(issue, date(2027, 1, 24)), Ok(()));
        assert_eq!(
            check_due_date(issue, date(2027, 1, 25)),
            Err("payment-term-too-long")
        );
    }
}
