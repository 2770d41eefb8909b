//! Monthly subscriptions (DOMAIN.md "Subscriptions"): which periods are due, when, and with
//! which version of the content.
//!
//! A subscription started on a date bills one period a month, in advance, on the same day
//! of month; a start on the 29th–31st falls on the last day of shorter months (31 Jan ->
//! 28/29 Feb -> 31 Mar: the anchor day is kept, never drifts). Period `k` runs from its
//! billing date to the day before the next one. Dates are Europe/Paris calendar days: the
//! caller turns "now" into a Paris date, everything here is calendar arithmetic.
//!
//! Exactly-once: periods are numbered from 0; a subscription remembers how many it has
//! billed (`next_period`), and [`due_periods`] returns every period from there whose billing
//! date has come — all of them after an outage, none twice, none skipped.

use chrono::{DateTime, Datelike, Months, NaiveDate, TimeZone};

/// The Europe/Paris calendar day of an instant: the day a billing run bills for
/// (DOMAIN.md: days are Europe/Paris days, whatever the server's zone or DST).
#[must_use]
pub fn paris_day<Tz: TimeZone>(at: &DateTime<Tz>) -> NaiveDate {
    at.with_timezone(&chrono_tz::Europe::Paris).date_naive()
}

/// How a subscription is scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// The first period's start (and first billing date).
    pub start: NaiveDate,
    /// From this date on, no period starts (issued invoices are untouched).
    pub stop: Option<NaiveDate>,
}

/// One billing period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// 0 for the first period.
    pub index: u32,
    /// First day of service, also the day its invoice is due to be issued.
    pub start: NaiveDate,
    /// Last day of service (inclusive).
    pub end: NaiveDate,
}

/// A due period with the content version that applies to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DuePeriod {
    pub period: Period,
    /// Index into the versions given to [`due_periods`].
    pub version: usize,
}

/// The longest catch-up a single run performs for one subscription; beyond it, the next
/// run continues (a stuck subscription cannot flood a run).
pub const MAX_PERIODS_PER_RUN: usize = 36;

/// The billing date of period `index`: the start's day of month, `index` months later,
/// clamped to the month's last day.
#[must_use]
pub fn billing_date(start: NaiveDate, index: u32) -> NaiveDate {
    // `Months` clamps to the last day of the target month (31 Jan + 1 month = 28/29 Feb)
    // and, counted from the start each time, never drifts (31 Jan + 2 months = 31 Mar).
    start
        .checked_add_months(Months::new(index))
        .unwrap_or(NaiveDate::MAX)
}

/// Period `index` of a subscription started on `start`.
#[must_use]
pub fn period(start: NaiveDate, index: u32) -> Period {
    let begin = billing_date(start, index);
    let next = billing_date(start, index.saturating_add(1));
    Period {
        index,
        start: begin,
        end: next.pred_opt().unwrap_or(next),
    }
}

/// Whether period `index` is billed at all (it starts before the stop date).
#[must_use]
pub fn is_billed(schedule: &Schedule, index: u32) -> bool {
    schedule
        .stop
        .is_none_or(|stop| billing_date(schedule.start, index) < stop)
}

/// The next invoice date of a subscription that has billed `next_period` periods, or
/// `None` once stopped.
#[must_use]
pub fn next_billing_date(schedule: &Schedule, next_period: u32) -> Option<NaiveDate> {
    is_billed(schedule, next_period).then(|| billing_date(schedule.start, next_period))
}

/// The version of the content that applies to period `index`: the last one whose
/// `from_period` is at or before it. `versions_from` lists each version's first period,
/// in the order the versions were made (a later version wins over an earlier one with the
/// same or a greater first period).
#[must_use]
pub fn version_for(versions_from: &[u32], index: u32) -> Option<usize> {
    versions_from
        .iter()
        .enumerate()
        .rev()
        .find(|(_, from)| **from <= index)
        .map(|(i, _)| i)
}

/// The periods due on `today` for a subscription that has billed `next_period` periods:
/// every period from `next_period` on whose billing date is at or before `today` and that
/// starts before the stop date, in order, at most [`MAX_PERIODS_PER_RUN`].
#[must_use]
pub fn due_periods(
    schedule: &Schedule,
    versions_from: &[u32],
    next_period: u32,
    today: NaiveDate,
) -> Vec<DuePeriod> {
    let mut due = Vec::new();
    let mut index = next_period;
    while due.len() < MAX_PERIODS_PER_RUN
        && is_billed(schedule, index)
        && billing_date(schedule.start, index) <= today
    {
        let Some(version) = version_for(versions_from, index) else {
            break;
        };
        due.push(DuePeriod {
            period: period(schedule.start, index),
            version,
        });
        index = index.saturating_add(1);
    }
    due
}

/// The first period whose billing date is on or after `date` (where a modification made
/// on `date` starts to apply when nothing is pending).
#[must_use]
pub fn first_period_from(start: NaiveDate, date: NaiveDate) -> u32 {
    if date <= start {
        return 0;
    }
    let months = (date.year() - start.year()) * 12 + date.month0() as i32 - start.month0() as i32;
    let mut index = u32::try_from(months.max(0)).unwrap_or(0);
    while billing_date(start, index) < date {
        index += 1;
    }
    index
}

/// A stop date must not come before today (issued invoices stay as they are) and, when
/// set, is at least the day after the start (a subscription bills its first period).
///
/// # Errors
/// `stop-date-past`, `stop-date-before-start`.
pub fn check_stop(start: NaiveDate, stop: NaiveDate, today: NaiveDate) -> Result<(), &'static str> {
    if stop < today {
        return Err("stop-date-past");
    }
    if stop <= start {
        return Err("stop-date-before-start");
    }
    Ok(())
}

/// A subscription (new or duplicated) starts today or later: invoices are never
/// backdated.
///
/// # Errors
/// `start-date-past`.
pub fn check_start(start: NaiveDate, today: NaiveDate) -> Result<(), &'static str> {
    if start < today {
        return Err("start-date-past");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rstest::rstest;

    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn schedule(start: &str, stop: Option<&str>) -> Schedule {
        Schedule {
            start: d(start),
            stop: stop.map(d),
        }
    }

    #[rstest]
    #[case("2026-01-31", 0, "2026-01-31")]
    #[case("2026-01-31", 1, "2026-02-28")]
    #[case("2026-01-31", 2, "2026-03-31")]
    #[case("2026-01-31", 3, "2026-04-30")]
    #[case("2027-12-31", 2, "2028-02-29")] // leap year
    #[case("2028-02-29", 12, "2029-02-28")]
    #[case("2028-02-29", 1, "2028-03-29")]
    #[case("2026-01-30", 1, "2026-02-28")]
    #[case("2026-01-30", 2, "2026-03-30")]
    #[case("2026-01-29", 1, "2026-02-28")]
    #[case("2028-01-29", 1, "2028-02-29")]
    #[case("2026-03-15", 10, "2027-01-15")]
    #[case("2026-12-01", 1, "2027-01-01")]
    fn billing_dates_keep_the_day_of_month_clamped_to_month_ends(
        #[case] start: &str,
        #[case] index: u32,
        #[case] expected: &str,
    ) {
        assert_eq!(billing_date(d(start), index), d(expected));
    }

    #[rstest]
    #[case("2026-12-01", 0, "2026-12-01", "2026-12-31")]
    #[case("2026-01-31", 0, "2026-01-31", "2026-02-27")]
    #[case("2026-01-31", 1, "2026-02-28", "2026-03-30")]
    #[case("2026-01-31", 2, "2026-03-31", "2026-04-29")]
    #[case("2027-12-31", 1, "2028-01-31", "2028-02-28")]
    #[case("2027-12-31", 2, "2028-02-29", "2028-03-30")]
    #[case("2026-03-15", 0, "2026-03-15", "2026-04-14")]
    fn periods_run_to_the_day_before_the_next_billing_date(
        #[case] start: &str,
        #[case] index: u32,
        #[case] from: &str,
        #[case] to: &str,
    ) {
        assert_eq!(
            period(d(start), index),
            Period {
                index,
                start: d(from),
                end: d(to)
            }
        );
    }

    fn indexes(due: &[DuePeriod]) -> Vec<u32> {
        due.iter().map(|p| p.period.index).collect()
    }

    #[rstest]
    // nothing before the start
    #[case("2026-12-01", None, 0, "2026-11-30", vec![])]
    // the start day bills period 0
    #[case("2026-12-01", None, 0, "2026-12-01", vec![0])]
    // already billed
    #[case("2026-12-01", None, 1, "2026-12-31", vec![])]
    #[case("2026-12-01", None, 1, "2027-01-01", vec![1])]
    // ten days of outage across a billing date: caught up
    #[case("2026-12-01", None, 1, "2027-01-10", vec![1])]
    // three months of outage: every missed period, in order
    #[case("2026-12-01", None, 1, "2027-03-05", vec![1, 2, 3])]
    // the 31st in February: billed on the 28th, not skipped
    #[case("2026-01-31", None, 1, "2026-02-28", vec![1])]
    #[case("2026-01-31", None, 1, "2026-02-27", vec![])]
    // stop: no period starting on or after the stop date
    #[case("2026-12-01", Some("2027-02-01"), 1, "2027-06-01", vec![1])]
    #[case("2026-12-01", Some("2027-02-02"), 1, "2027-06-01", vec![1, 2])]
    #[case("2026-12-01", Some("2026-12-15"), 1, "2027-06-01", vec![])]
    fn due_periods_table(
        #[case] start: &str,
        #[case] stop: Option<&str>,
        #[case] next_period: u32,
        #[case] today: &str,
        #[case] expected: Vec<u32>,
    ) {
        let due = due_periods(&schedule(start, stop), &[0], next_period, d(today));
        assert_eq!(indexes(&due), expected);
    }

    #[test]
    fn modifications_apply_from_their_first_period() {
        // version 0 from the start, version 1 from period 2, version 2 from period 3
        let versions = [0, 2, 3];
        let due = due_periods(&schedule("2026-01-15", None), &versions, 0, d("2026-06-15"));
        let applied: Vec<(u32, usize)> = due.iter().map(|p| (p.period.index, p.version)).collect();
        assert_eq!(
            applied,
            vec![(0, 0), (1, 0), (2, 1), (3, 2), (4, 2), (5, 2)]
        );
        // A later modification with an earlier first period wins from there.
        assert_eq!(version_for(&[0, 5, 3], 6), Some(2));
        assert_eq!(version_for(&[0, 5, 3], 4), Some(2));
        assert_eq!(version_for(&[0, 5, 3], 2), Some(0));
        assert_eq!(version_for(&[1], 0), None);
    }

    #[test]
    fn a_long_outage_is_caught_up_over_several_runs() {
        let s = schedule("2020-01-10", None);
        let today = d("2026-01-10");
        let mut next_period = 0;
        let mut runs = Vec::new();
        loop {
            let due = due_periods(&s, &[0], next_period, today);
            if due.is_empty() {
                break;
            }
            runs.push(due.len());
            next_period = due.last().unwrap().period.index + 1;
        }
        // 6 years and the start day: 73 periods, 36 per run at most.
        assert_eq!(runs, vec![36, 36, 1]);
        assert_eq!(billing_date(s.start, next_period - 1), today);
    }

    #[rstest]
    #[case("2026-01-31", "2026-01-31", 0)]
    #[case("2026-01-31", "2026-01-01", 0)]
    #[case("2026-01-31", "2026-02-01", 1)]
    #[case("2026-01-31", "2026-02-28", 1)]
    #[case("2026-01-31", "2026-03-01", 2)]
    #[case("2026-01-15", "2026-07-15", 6)]
    #[case("2026-01-15", "2026-07-16", 7)]
    fn first_period_from_a_date(#[case] start: &str, #[case] date: &str, #[case] expected: u32) {
        assert_eq!(first_period_from(d(start), d(date)), expected);
    }

    #[rstest]
    #[case("2026-12-01", "2027-01-01", "2026-12-10", Ok(()))]
    #[case("2026-12-01", "2026-12-10", "2026-12-10", Ok(()))]
    #[case("2026-12-01", "2026-12-09", "2026-12-10", Err("stop-date-past"))]
    #[case(
        "2026-12-20",
        "2026-12-20",
        "2026-12-10",
        Err("stop-date-before-start")
    )]
    fn stop_dates(
        #[case] start: &str,
        #[case] stop: &str,
        #[case] today: &str,
        #[case] expected: Result<(), &str>,
    ) {
        assert_eq!(check_stop(d(start), d(stop), d(today)), expected);
    }

    #[rstest]
    // Spring forward (29 March 2026, 02:00 CET -> 03:00 CEST)
    #[case("2026-03-28T22:59:59Z", "2026-03-28")]
    #[case("2026-03-28T23:00:00Z", "2026-03-29")]
    #[case("2026-03-29T00:30:00Z", "2026-03-29")]
    #[case("2026-03-29T21:59:59Z", "2026-03-29")]
    #[case("2026-03-29T22:00:00Z", "2026-03-30")]
    // Fall back (25 October 2026, 03:00 CEST -> 02:00 CET)
    #[case("2026-10-24T21:59:59Z", "2026-10-24")]
    #[case("2026-10-24T22:00:00Z", "2026-10-25")]
    #[case("2026-10-25T00:30:00Z", "2026-10-25")]
    #[case("2026-10-25T01:30:00Z", "2026-10-25")]
    #[case("2026-10-25T22:59:59Z", "2026-10-25")]
    #[case("2026-10-25T23:00:00Z", "2026-10-26")]
    // New Year's Eve in UTC is already New Year in Paris
    #[case("2026-12-31T23:30:00Z", "2027-01-01")]
    fn the_billing_day_is_the_paris_day_across_dst(#[case] instant: &str, #[case] day: &str) {
        let at = DateTime::parse_from_rfc3339(instant).unwrap();
        assert_eq!(paris_day(&at), d(day));
    }

    fn date_strategy() -> impl Strategy<Value = NaiveDate> {
        (2000i32..2100, 1u32..=12, 1u32..=31).prop_map(|(y, m, day)| {
            (0..4)
                .find_map(|back| NaiveDate::from_ymd_opt(y, m, day - back))
                .unwrap()
        })
    }

    fn days_in_month(date: NaiveDate) -> u32 {
        let first = date.with_day(1).unwrap();
        let next = first.checked_add_months(Months::new(1)).unwrap();
        u32::try_from((next - first).num_days()).unwrap()
    }

    proptest! {
        /// Periods tile time: each starts the day after the previous one ends, lasts 28 to
        /// 31 days, and starts on the anchor day, or the month's last day when shorter.
        #[test]
        fn periods_tile_the_calendar(start in date_strategy(), index in 0u32..400) {
            let this = period(start, index);
            let next = period(start, index + 1);
            prop_assert_eq!(this.end.succ_opt().unwrap(), next.start);
            let days = (this.end - this.start).num_days() + 1;
            prop_assert!((28..=31).contains(&days), "{days} days");
            prop_assert_eq!(this.start.day(), start.day().min(days_in_month(this.start)));
        }

        /// Whatever the days the runs happen on (gaps of 0 to 60 days, the same day twice),
        /// periods are billed once each, in order from 0, and after the last run nothing due
        /// is left (unless that run hit the per-run cap).
        #[test]
        fn runs_never_skip_nor_repeat_a_period(
            start in date_strategy(),
            gaps in proptest::collection::vec(0u64..60, 1..40),
            stop_after in proptest::option::of(0u64..900),
        ) {
            let s = Schedule { start, stop: stop_after.map(|days| start + chrono::Days::new(days + 1)) };
            let mut today = start;
            let mut next_period = 0u32;
            let mut last_run = 0;
            for gap in gaps {
                today = today + chrono::Days::new(gap);
                let due = due_periods(&s, &[0], next_period, today);
                last_run = due.len();
                for due in due {
                    prop_assert_eq!(due.period.index, next_period);
                    prop_assert!(due.period.start <= today);
                    prop_assert!(s.stop.is_none_or(|stop| due.period.start < stop));
                    next_period += 1;
                }
            }
            if last_run < MAX_PERIODS_PER_RUN {
                prop_assert!(due_periods(&s, &[0], next_period, today).is_empty());
                prop_assert!(!is_billed(&s, next_period) || billing_date(start, next_period) > today);
            }
        }

        #[test]
        fn first_period_from_is_the_first_billing_date_on_or_after(start in date_strategy(), days in 0u64..2000) {
            let date = start + chrono::Days::new(days);
            let index = first_period_from(start, date);
            prop_assert!(billing_date(start, index) >= date);
            prop_assert!(index == 0 || billing_date(start, index - 1) < date);
        }
    }
}
