//! Cumulative timings of the hot paths (the billing run and the PDF job), read by the
//! benchmarks (`bench_billing`) to report how a run's time splits between the database,
//! the PDF and the XML, measured rather than guessed. Process-wide counters: a relaxed
//! atomic add and two clock reads per timed section, nothing else (the sections last
//! tens of microseconds to seconds).

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

/// A timed section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Billing run, whole chunk transactions (wall time, database included).
    BillingChunk,
    /// Billing run, CPU work inside a chunk: subscription contents read and checked,
    /// documents computed, frozen and serialised, e-mails rendered from their template.
    BillingCpu,
    /// PDF job: the CII XML of one document (thread CPU time, summed over the threads).
    CiiXml,
    /// PDF job: the Factur-X PDF of one document (thread CPU time, summed).
    PdfRender,
    /// PDF job: rendering a chunk on every core (wall time).
    RenderWall,
    /// PDF job: reading the documents, storing the PDFs, releasing the e-mails (wall time).
    RenderDb,
}

const PHASES: usize = 6;

static NANOS: [AtomicU64; PHASES] = [const { AtomicU64::new(0) }; PHASES];
static COUNTS: [AtomicU64; PHASES] = [const { AtomicU64::new(0) }; PHASES];

impl Phase {
    pub const ALL: [Self; PHASES] = [
        Self::BillingChunk,
        Self::BillingCpu,
        Self::CiiXml,
        Self::PdfRender,
        Self::RenderWall,
        Self::RenderDb,
    ];

    const fn index(self) -> usize {
        self as usize
    }
}

/// Adds a measured duration to `phase`.
pub fn add(phase: Phase, elapsed: Duration) {
    let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
    NANOS[phase.index()].fetch_add(nanos, Ordering::Relaxed);
    COUNTS[phase.index()].fetch_add(1, Ordering::Relaxed);
}

/// Runs `f`, adding its duration to `phase`.
pub fn time<T>(phase: Phase, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let value = f();
    add(phase, started.elapsed());
    value
}

/// CPU time the calling thread has used: unlike a wall clock, it does not count the time
/// the thread waited for a core (two render threads and the database share two cores).
#[must_use]
pub fn thread_cpu() -> Duration {
    #[cfg(target_os = "linux")]
    {
        let mut now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `now` is a valid timespec that the call writes.
        if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &raw mut now) } == 0 {
            return Duration::new(
                u64::try_from(now.tv_sec).unwrap_or(0),
                u32::try_from(now.tv_nsec).unwrap_or(0),
            );
        }
    }
    Duration::ZERO
}

/// Runs `f`, adding the CPU time of the calling thread it used to `phase`.
pub fn time_cpu<T>(phase: Phase, f: impl FnOnce() -> T) -> T {
    let started = thread_cpu();
    let value = f();
    add(phase, thread_cpu().saturating_sub(started));
    value
}

/// Total time and number of sections of `phase` since the start (or the last reset).
#[must_use]
pub fn total(phase: Phase) -> (Duration, u64) {
    (
        Duration::from_nanos(NANOS[phase.index()].load(Ordering::Relaxed)),
        COUNTS[phase.index()].load(Ordering::Relaxed),
    )
}

/// Sets every counter back to zero (between a benchmark's seeding and its measure).
pub fn reset() {
    for phase in Phase::ALL {
        NANOS[phase.index()].store(0, Ordering::Relaxed);
        COUNTS[phase.index()].store(0, Ordering::Relaxed);
    }
}

/// The median of measured values (the upper one of an even count); 0 when there is none.
#[must_use]
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or_default()
}
