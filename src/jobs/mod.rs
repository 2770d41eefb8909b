//! Background jobs on apalis: a durable queue (SQLite file of its own on the embedded
//! default, the `apalis` schema on Postgres), the mail worker, and Europe/Paris crons.
//! Jobs are thin: they call a service that re-checks that the work is still due.

use std::{str::FromStr, time::Duration};

use apalis::prelude::*;
use apalis_cron::{CronScheduler, Tick};
use apalis_postgres::PostgresStorage;
use apalis_sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteStorage};
use chrono_tz::{Europe::Paris, Tz};
use loco_rs::app::AppContext;
use sea_orm::DatabaseBackend;
use serde::{Deserialize, Serialize};

use crate::services::{
    bill_subscriptions, deliver_mail, housekeeping, issue_invoice, render_document, stripe_payments,
};

/// Queue names are explicit: the default is the Rust type name, and renaming the type
/// would orphan queued jobs (ARCHITECTURE.md pitfall 5).
pub const QUEUE: &str = "work";

/// Every minute: re-queue due outbox messages (retries after backoff, lost jobs).
const OUTBOX_SWEEP_CRON: &str = "0 * * * * *";
/// Every day at 06:00 Paris time: daily work (housekeeping; dunning from a later issue).
const DAILY_CRON: &str = "0 0 6 * * *";
/// Every day at 05:00 Paris time, an hour that exists every day (02:00–03:00 is skipped
/// in spring and repeated in autumn): the subscription billing run.
const BILLING_CRON: &str = "0 0 5 * * *";

/// The background work. Each variant names the row it works on; the service re-checks
/// that the work is still due, so a job delivered twice does nothing the second time.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "snake_case")]
pub enum Job {
    DeliverMail {
        outbox_id: i64,
    },
    /// The same for many messages (released together after a batch of PDFs).
    DeliverMails {
        outbox_ids: Vec<i64>,
    },
    /// Render and store the PDF of an issued document, then release its e-mails.
    RenderDocument {
        invoice_id: i64,
    },
    /// The same for many documents (a billing run or an import).
    RenderDocuments {
        invoice_ids: Vec<i64>,
    },
    /// Process a stored Stripe event (webhook).
    ProcessStripeEvent {
        event_id: i64,
    },
}

/// Handle to push jobs, kept in the shared store.
#[derive(Clone)]
pub enum JobStore {
    Sqlite(SqliteStorage<Job>),
    Postgres(PostgresStorage<Job>),
}

/// The SQLite job file lives beside the business database but is a separate file:
/// apalis sets `synchronous=OFF` on the pool it is given (pitfall 3).
fn sqlite_jobs_url(database_uri: &str) -> String {
    let (path, _query) = database_uri
        .trim_start_matches("sqlite://")
        .split_once('?')
        .unwrap_or((database_uri.trim_start_matches("sqlite://"), ""));
    let stem = path.strip_suffix(".sqlite").unwrap_or(path);
    format!("sqlite://{stem}.jobs.sqlite")
}

impl JobStore {
    /// # Errors
    /// When the job database cannot be opened or migrated.
    pub async fn connect(ctx: &AppContext) -> loco_rs::Result<Self> {
        let err = |e: &dyn std::fmt::Display| loco_rs::Error::string(&format!("job storage: {e}"));
        if ctx.db.get_database_backend() == DatabaseBackend::Postgres {
            let pool = ctx.db.get_postgres_connection_pool().clone();
            PostgresStorage::setup(&pool).await.map_err(|e| err(&e))?;
            let config = apalis_postgres::Config::default().queue(QUEUE);
            Ok(Self::Postgres(
                PostgresStorage::new(&pool).with_config(config),
            ))
        } else {
            let url = sqlite_jobs_url(&ctx.config.database.uri);
            let options = SqliteConnectOptions::from_str(&url)
                .map_err(|e| err(&e))?
                .create_if_missing(true)
                .busy_timeout(Duration::from_secs(10));
            let pool: SqlitePool = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options)
                .await
                .map_err(|e| err(&e))?;
            SqliteStorage::setup(&pool).await.map_err(|e| err(&e))?;
            let config = apalis_sqlite::Config::default().queue(QUEUE);
            Ok(Self::Sqlite(SqliteStorage::new(&pool).with_config(config)))
        }
    }

    async fn push(&self, job: Job) -> Result<(), String> {
        match self.clone() {
            Self::Sqlite(mut s) => s.push(job).await.map_err(|e| e.to_string()),
            Self::Postgres(mut s) => s.push(job).await.map_err(|e| e.to_string()),
        }
    }

    /// Jobs of the queue that are waiting or running.
    async fn unfinished(&self) -> Result<i64, String> {
        let statuses = "('Pending', 'Queued', 'Running')";
        match self {
            Self::Sqlite(s) => sqlx_count_sqlite(
                s.pool(),
                &format!("SELECT COUNT(*) FROM Jobs WHERE job_type = ? AND status IN {statuses} AND run_at <= strftime('%s','now')"),
            )
            .await,
            Self::Postgres(s) => sqlx_count_pg(
                s.pool(),
                &format!("SELECT COUNT(*) FROM apalis.jobs WHERE job_type = $1 AND status IN {statuses} AND run_at <= now()"),
            )
            .await,
        }
    }
}

async fn sqlx_count_sqlite(pool: &SqlitePool, sql: &str) -> Result<i64, String> {
    let row: (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_string()))
        .bind(QUEUE)
        .fetch_one(pool)
        .await
        .map_err(|e| e.to_string())?;
    Ok(row.0)
}

async fn sqlx_count_pg(pool: &apalis_postgres::PgPool, sql: &str) -> Result<i64, String> {
    let row: (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_string()))
        .bind(QUEUE)
        .fetch_one(pool)
        .await
        .map_err(|e| e.to_string())?;
    Ok(row.0)
}

async fn push(ctx: &AppContext, job: Job) {
    let Some(store) = ctx.shared_store.get::<JobStore>() else {
        tracing::warn!(
            ?job,
            "no job store: the minute sweep will pick this work up"
        );
        return;
    };
    if let Err(error) = store.push(job.clone()).await {
        tracing::warn!(?job, %error, "could not queue a job; the minute sweep will retry");
    }
}

/// Queues the delivery of an outbox message. Best effort by design: the message is already
/// committed, and the minute sweep queues it again if this push is lost.
pub async fn enqueue_mail(ctx: &AppContext, outbox_id: i64) {
    push(ctx, Job::DeliverMail { outbox_id }).await;
}

/// Queues the rendering of an issued document's PDF (the sweep re-queues any issued
/// document still without PDF, so this too is best effort).
pub async fn enqueue_render(ctx: &AppContext, invoice_id: i64) {
    push(ctx, Job::RenderDocument { invoice_id }).await;
}

/// Queues the processing of a stored Stripe event (the sweep re-queues any event still
/// unprocessed, so this too is best effort).
pub async fn enqueue_stripe_event(ctx: &AppContext, event_id: i64) {
    push(ctx, Job::ProcessStripeEvent { event_id }).await;
}

/// Queues the delivery of many outbox messages in one job.
pub async fn enqueue_mails(ctx: &AppContext, outbox_ids: Vec<i64>) {
    match outbox_ids.as_slice() {
        [] => {}
        [one] => push(ctx, Job::DeliverMail { outbox_id: *one }).await,
        _ => push(ctx, Job::DeliverMails { outbox_ids }).await,
    }
}

/// Queues the rendering of many documents in one job.
pub async fn enqueue_render_many(ctx: &AppContext, invoice_ids: Vec<i64>) {
    if !invoice_ids.is_empty() {
        push(ctx, Job::RenderDocuments { invoice_ids }).await;
    }
}

async fn run_job(job: Job, ctx: Data<AppContext>) -> Result<(), BoxDynError> {
    match job {
        Job::DeliverMail { outbox_id } => deliver_mail::deliver(&ctx, outbox_id)
            .await
            .map(|_| ())
            .map_err(|e| format!("deliver mail {outbox_id}: {e:?}").into()),
        Job::DeliverMails { outbox_ids } => {
            // Each message is claimed on its own: one failure is retried with backoff
            // without holding back the others.
            for outbox_id in outbox_ids {
                deliver_mail::deliver(&ctx, outbox_id)
                    .await
                    .map_err(|e| format!("deliver mail {outbox_id}: {e:?}"))?;
            }
            Ok(())
        }
        Job::RenderDocument { invoice_id } => render_document::render(&ctx, invoice_id)
            .await
            .map(|_| ())
            .map_err(|e| format!("render document {invoice_id}: {e:?}").into()),
        Job::RenderDocuments { invoice_ids } => render_document::render_many(&ctx, &invoice_ids)
            .await
            .map(|_| ())
            .map_err(|e| format!("render documents: {e:?}").into()),
        Job::ProcessStripeEvent { event_id } => stripe_payments::process_event(&ctx, event_id)
            .await
            .map(|_| ())
            .map_err(|e| format!("stripe event {event_id}: {e:?}").into()),
    }
}

async fn outbox_sweep(_tick: Tick<Tz>, ctx: Data<AppContext>) -> Result<(), BoxDynError> {
    render_document::enqueue_missing(&ctx)
        .await
        .map_err(|e| format!("document sweep: {e:?}"))?;
    for event_id in stripe_payments::unprocessed(&ctx)
        .await
        .map_err(|e| format!("stripe event sweep: {e:?}"))?
    {
        enqueue_stripe_event(&ctx, event_id).await;
    }
    deliver_mail::enqueue_due(&ctx)
        .await
        .map(|_| ())
        .map_err(|e| format!("outbox sweep: {e:?}").into())
}

async fn daily(_tick: Tick<Tz>, ctx: Data<AppContext>) -> Result<(), BoxDynError> {
    let (sessions, attempts) = housekeeping::run(&ctx)
        .await
        .map_err(|e| format!("daily: {e:?}"))?;
    tracing::info!(
        expired_sessions = sessions,
        old_login_attempts = attempts,
        "daily housekeeping done"
    );
    Ok(())
}

/// The billing run of the day. An unpersisted cron fires in every worker process: runs
/// at once are safe (each company is billed under its numbering lock, one invoice per
/// period is a unique index).
async fn billing(_tick: Tick<Tz>, ctx: Data<AppContext>) -> Result<(), BoxDynError> {
    let today = issue_invoice::paris_date(crate::clock::of(&ctx).now());
    let report = bill_subscriptions::run(&ctx, today, &mut |_| {})
        .await
        .map_err(|e| format!("billing run: {e}"))?;
    tracing::info!(
        %today,
        invoices = report.invoices,
        companies = report.companies,
        failures = report.failures.len(),
        "billing run done"
    );
    Ok(())
}

/// A name per process: apalis refuses a worker name seen in the last minute, so a fixed
/// name would make a restarted worker exit silently (pitfall 2).
fn worker_name(kind: &str) -> String {
    format!(
        "{kind}-{}-{}",
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

fn cron(expr: &str) -> CronScheduler<cron::Schedule, Tz> {
    let schedule = cron::Schedule::from_str(expr).expect("cron expressions are constants");
    CronScheduler::new(schedule).with_timezone(Paris)
}

macro_rules! job_worker {
    ($storage:expr, $ctx:expr, $poll:expr) => {{
        let storage = $storage.clone();
        let ctx = $ctx.clone();
        move |_restarts: usize| {
            WorkerBuilder::new(worker_name("jobs"))
                .backend(storage.clone().poll_with_interval($poll))
                .data(ctx.clone())
                .build(run_job)
        }
    }};
}

/// Builds the monitor with the job worker and the crons.
fn monitor(ctx: &AppContext, store: &JobStore, poll: Duration, with_crons: bool) -> Monitor {
    let mut monitor = Monitor::new()
        .on_event(|worker, event| match event {
            Event::Error(error) => tracing::error!(worker = %worker.name(), %error, "job failed"),
            other => tracing::debug!(worker = %worker.name(), event = ?other, "job worker event"),
        })
        .should_restart(|worker, error| {
            tracing::error!(worker = %worker.name(), %error, "job worker stopped; restarting");
            true
        })
        .shutdown_timeout(Duration::from_secs(10));
    monitor = match store {
        JobStore::Sqlite(s) => monitor.register(job_worker!(s, ctx, poll)),
        JobStore::Postgres(s) => monitor.register(job_worker!(s, ctx, poll)),
    };
    if with_crons {
        let sweep_ctx = ctx.clone();
        let daily_ctx = ctx.clone();
        let billing_ctx = ctx.clone();
        monitor = monitor
            .register(move |_| {
                WorkerBuilder::new(worker_name("billing"))
                    .backend(cron(BILLING_CRON))
                    .data(billing_ctx.clone())
                    .build(billing)
            })
            .register(move |_| {
                WorkerBuilder::new(worker_name("outbox-sweep"))
                    .backend(cron(OUTBOX_SWEEP_CRON))
                    .data(sweep_ctx.clone())
                    .build(outbox_sweep)
            })
            .register(move |_| {
                WorkerBuilder::new(worker_name("daily"))
                    .backend(cron(DAILY_CRON))
                    .data(daily_ctx.clone())
                    .build(daily)
            });
    }
    monitor
}

/// Runs workers and crons until `shutdown` resolves.
///
/// # Errors
/// When the job store is missing.
pub async fn run_until<F>(ctx: &AppContext, shutdown: F) -> loco_rs::Result<()>
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let store = ctx
        .shared_store
        .get::<JobStore>()
        .ok_or_else(|| loco_rs::Error::string("job store not initialised"))?;
    let poll = Duration::from_millis(crate::settings::Settings::of(ctx).jobs.poll_interval_ms);
    tracing::info!("job workers and Europe/Paris crons started");
    monitor(ctx, &store, poll, true)
        .run_with_signal(async move {
            shutdown.await;
            Ok(())
        })
        .await
        .map_err(|e| loco_rs::Error::string(&format!("job monitor: {e}")))
}

/// Test helper: runs the job worker until no job is waiting or running, then stops it.
/// Jobs whose retry time is in the future are left for later (as in production).
///
/// # Panics
/// When the queue does not drain within 30 seconds.
pub async fn drain(ctx: &AppContext) {
    let store = ctx.shared_store.get::<JobStore>().expect("job store");
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let worker_monitor = monitor(ctx, &store, Duration::from_millis(50), false);
    let handle = tokio::spawn(worker_monitor.run_with_signal(async move {
        let _ = stop_rx.await;
        Ok(())
    }));
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let unfinished = store.unfinished().await.expect("count jobs");
        if unfinished == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "jobs did not drain: {unfinished} left"
        );
    }
    let _ = stop_tx.send(());
    let _ = handle.await;
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use chrono::{Datelike, TimeZone};
    use chrono_tz::Europe::Paris;

    use super::{BILLING_CRON, DAILY_CRON};

    /// Across both DST changes of 2026 the billing cron fires exactly once per Paris day,
    /// at 05:00 local time (the day the run bills).
    #[test]
    fn the_billing_cron_fires_once_a_paris_day_across_dst() {
        for expr in [BILLING_CRON, DAILY_CRON] {
            let schedule = cron::Schedule::from_str(expr).unwrap();
            let from = Paris.with_ymd_and_hms(2026, 3, 20, 0, 0, 0).unwrap();
            let ticks: Vec<_> = schedule.after(&from).take(230).collect();
            for pair in ticks.windows(2) {
                let (a, b) = (pair[0].date_naive(), pair[1].date_naive());
                assert_eq!(
                    b,
                    a.succ_opt().unwrap(),
                    "{expr}: {} then {}",
                    pair[0],
                    pair[1]
                );
            }
            assert!(ticks
                .iter()
                .all(|t| t.format("%M:%S").to_string() == "00:00"));
            let hour = if expr == BILLING_CRON { 5 } else { 6 };
            assert!(ticks.iter().all(|t| chrono::Timelike::hour(t) == hour));
            assert!(ticks.iter().any(|t| t.month() == 3 && t.day() == 29));
            assert!(ticks.iter().any(|t| t.month() == 10 && t.day() == 25));
        }
    }
}
