//! The billing run (DOMAIN.md "Subscriptions"): every period due of every subscription is
//! invoiced, numbered and e-mailed through the outbox, exactly once.
//!
//! Exactly once, whatever runs at the same time: a company's subscriptions are billed in
//! chunks, each in one transaction that first takes the company's numbering lock (the
//! first write of the transaction, see `issue_invoice::take_numbers`) and only then reads
//! which periods are due. A second run (the same cron in another process, the CLI task)
//! waits for that lock and then finds the periods billed. Underneath, a unique index on
//! (subscription, period) refuses any second invoice of a period.
//!
//! Invoices are dated the day of the run (an invoice is never backdated); after an outage
//! each missed period gets its own invoice, numbered in period order.

use std::collections::HashMap;

use chrono::NaiveDate;
use loco_rs::app::AppContext;
use sea_orm::{
    sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};

use super::{
    issue_batch::{check_new_invoice, prepare, write_prepared, NewInvoice},
    payment_links::UrlMaker,
    subscriptions::{lock_company, schedule_of, Content},
    ServiceError,
};
use crate::{
    domain::subscription::{due_periods, next_billing_date},
    jobs,
    models::_entities::{
        clients, companies, subscription_events, subscription_versions, subscriptions,
    },
    perf::{self, Phase},
};

/// Subscriptions per transaction: large enough to share the round trips, small enough to
/// hold the numbering lock well under a second.
const CHUNK: u64 = 500;

/// A subscription the run could not bill (it is retried by the next run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub company_id: i64,
    pub subscription_pid: Option<uuid::Uuid>,
    /// A stable code (`client-email-required`, `company-profile-incomplete`, …) or the
    /// error met.
    pub reason: String,
}

/// What billing one company did.
#[derive(Debug, Default)]
pub struct CompanyOutcome {
    pub invoice_ids: Vec<i64>,
    pub failures: Vec<Failure>,
}

/// What a run did.
#[derive(Debug, Default)]
pub struct RunReport {
    pub companies: usize,
    pub invoices: usize,
    pub failures: Vec<Failure>,
}

/// Progress of a run, after each company.
#[derive(Debug)]
pub struct Progress<'a> {
    pub company: &'a str,
    pub done: usize,
    pub companies: usize,
    pub invoices: usize,
    pub failures: usize,
}

/// Bills every subscription due on `today` (a Paris date), company after company. A
/// failure is reported and does not stop the others.
///
/// # Errors
/// Database errors while listing the companies to bill.
pub async fn run(
    ctx: &AppContext,
    today: NaiveDate,
    progress: &mut (dyn FnMut(Progress<'_>) + Send),
) -> Result<RunReport, ServiceError> {
    let company_ids: Vec<i64> = subscriptions::Entity::find()
        .select_only()
        .column(subscriptions::Column::CompanyId)
        .distinct()
        .filter(subscriptions::Column::NextBillingDate.lte(today))
        .order_by_asc(subscriptions::Column::CompanyId)
        .into_tuple()
        .all(&ctx.db)
        .await?;
    let mut report = RunReport {
        companies: company_ids.len(),
        ..RunReport::default()
    };
    for (done, company_id) in company_ids.iter().enumerate() {
        let name = companies::Entity::find_by_id(*company_id)
            .one(&ctx.db)
            .await?
            .map(|c| c.legal_name)
            .unwrap_or_default();
        let (invoices, failures) = match bill_company(ctx, *company_id, today, None).await {
            Ok(outcome) => (outcome.invoice_ids.len(), outcome.failures),
            Err(error) => (
                0,
                vec![Failure {
                    company_id: *company_id,
                    subscription_pid: None,
                    reason: error.to_string(),
                }],
            ),
        };
        for failure in &failures {
            tracing::error!(?failure, %today, "subscription not billed");
        }
        report.invoices += invoices;
        progress(Progress {
            company: &name,
            done: done + 1,
            companies: company_ids.len(),
            invoices,
            failures: failures.len(),
        });
        report.failures.extend(failures);
    }
    Ok(report)
}

/// Bills the due subscriptions of one company (or only those of `only`).
///
/// # Errors
/// `NotFound` (no such company), database errors while listing its subscriptions.
pub async fn bill_company(
    ctx: &AppContext,
    company_id: i64,
    today: NaiveDate,
    only: Option<&[i64]>,
) -> Result<CompanyOutcome, ServiceError> {
    let company = companies::Entity::find_by_id(company_id)
        .one(&ctx.db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut outcome = CompanyOutcome::default();
    let mut after_id = 0;
    loop {
        let mut select = subscriptions::Entity::find()
            .select_only()
            .column(subscriptions::Column::Id)
            .filter(subscriptions::Column::CompanyId.eq(company_id))
            .filter(subscriptions::Column::NextBillingDate.lte(today))
            .filter(subscriptions::Column::Id.gt(after_id))
            .order_by_asc(subscriptions::Column::Id)
            .limit(CHUNK);
        if let Some(only) = only {
            select = select.filter(subscriptions::Column::Id.is_in(only.iter().copied()));
        }
        let ids: Vec<i64> = select.into_tuple().all(&ctx.db).await?;
        let Some(last) = ids.last() else {
            break;
        };
        after_id = *last;
        let started = std::time::Instant::now();
        let billed = bill_chunk(ctx, &company, &ids, today).await;
        perf::add(Phase::BillingChunk, started.elapsed());
        match billed {
            Ok(chunk) => {
                outcome.invoice_ids.extend(chunk.invoice_ids);
                outcome.failures.extend(chunk.failures);
            }
            // One subscription must not hold back the others: bill them one by one.
            Err(error) if ids.len() > 1 => {
                tracing::warn!(?error, company_id, "billing chunk failed; one by one");
                for id in ids {
                    match bill_chunk(ctx, &company, &[id], today).await {
                        Ok(chunk) => {
                            outcome.invoice_ids.extend(chunk.invoice_ids);
                            outcome.failures.extend(chunk.failures);
                        }
                        Err(error) => outcome
                            .failures
                            .push(failure_of(ctx, &company, id, &error.to_string()).await),
                    }
                }
            }
            Err(error) => outcome
                .failures
                .push(failure_of(ctx, &company, ids[0], &error.to_string()).await),
        }
    }
    record_failures(ctx, &outcome.failures).await;
    Ok(outcome)
}

async fn failure_of(
    ctx: &AppContext,
    company: &companies::Model,
    subscription_id: i64,
    reason: &str,
) -> Failure {
    let pid = subscriptions::Entity::find_by_id(subscription_id)
        .one(&ctx.db)
        .await
        .ok()
        .flatten()
        .map(|s| s.pid);
    Failure {
        company_id: company.id,
        subscription_pid: pid,
        reason: reason.to_string(),
    }
}

/// Marks failed subscriptions (shown in their lists) and writes it in their history. Best
/// effort: the failure is also in the run's report and the log.
async fn record_failures(ctx: &AppContext, failures: &[Failure]) {
    let now = crate::clock::of(ctx).now();
    for failure in failures {
        let Some(pid) = failure.subscription_pid else {
            continue;
        };
        let result: Result<(), ServiceError> = async {
            let txn = ctx.db.begin().await?;
            let updated = subscriptions::Entity::update_many()
                .col_expr(
                    subscriptions::Column::LastError,
                    Expr::value(failure.reason.chars().take(250).collect::<String>()),
                )
                .col_expr(subscriptions::Column::LastErrorAt, Expr::value(now))
                .filter(subscriptions::Column::Pid.eq(pid))
                .exec_with_returning(&txn)
                .await?;
            for subscription in updated {
                super::subscriptions::record_event(
                    &txn,
                    subscription.id,
                    "billing_failed",
                    Some(failure.reason.clone()),
                    None,
                    None,
                    now,
                )
                .await?;
            }
            txn.commit().await?;
            Ok(())
        }
        .await;
        if let Err(error) = result {
            tracing::error!(?error, ?failure, "could not record a billing failure");
        }
    }
}

#[derive(Default)]
struct ChunkOutcome {
    invoice_ids: Vec<i64>,
    failures: Vec<Failure>,
}

/// Bills the due periods of some subscriptions in one transaction.
#[allow(clippy::too_many_lines)]
async fn bill_chunk(
    ctx: &AppContext,
    company: &companies::Model,
    ids: &[i64],
    today: NaiveDate,
) -> Result<ChunkOutcome, ServiceError> {
    let now = crate::clock::of(ctx).now();
    let txn = ctx.db.begin().await?;
    // The numbering lock first; what is due is read only once it is held.
    lock_company(&txn, company, now).await?;
    let due_subscriptions = subscriptions::Entity::find()
        .filter(subscriptions::Column::Id.is_in(ids.iter().copied()))
        .filter(subscriptions::Column::CompanyId.eq(company.id))
        .filter(subscriptions::Column::NextBillingDate.lte(today))
        .order_by_asc(subscriptions::Column::Id)
        .all(&txn)
        .await?;
    if due_subscriptions.is_empty() {
        return Ok(ChunkOutcome::default());
    }
    let mut versions: HashMap<i64, Vec<subscription_versions::Model>> = HashMap::new();
    for version in super::subscriptions::versions(&txn, ids).await? {
        versions
            .entry(version.subscription_id)
            .or_default()
            .push(version);
    }
    let clients: HashMap<i64, clients::Model> = clients::Entity::find()
        .filter(clients::Column::Id.is_in(due_subscriptions.iter().map(|s| s.client_id)))
        .all(&txn)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();

    let planning = perf::thread_cpu();
    let mut outcome = ChunkOutcome::default();
    let mut batch = Vec::new();
    // Per subscription: (new next period, new next billing date).
    let mut advanced: Vec<(i64, i32, Option<NaiveDate>)> = Vec::new();
    for subscription in &due_subscriptions {
        let fail = |reason: &str| Failure {
            company_id: company.id,
            subscription_pid: Some(subscription.pid),
            reason: reason.to_string(),
        };
        let Some(client) = clients.get(&subscription.client_id) else {
            outcome.failures.push(fail("client-unknown"));
            continue;
        };
        let own_versions = versions.remove(&subscription.id).unwrap_or_default();
        let contents: Result<Vec<Content>, ServiceError> =
            own_versions.iter().map(Content::of).collect();
        let contents = match contents {
            Ok(contents) => contents,
            Err(error) => {
                outcome.failures.push(fail(&error.to_string()));
                continue;
            }
        };
        let versions_from: Vec<u32> = own_versions
            .iter()
            .map(|v| u32::try_from(v.from_period).unwrap_or(0))
            .collect();
        let plan = schedule_of(subscription);
        let next_period = u32::try_from(subscription.next_period).unwrap_or(0);
        let due = due_periods(&plan, &versions_from, next_period, today);
        let mut invoices = Vec::with_capacity(due.len());
        let mut refused = None;
        for period in &due {
            let content = &contents[period.version];
            let invoice = NewInvoice {
                client: client.clone(),
                label: content.label.clone(),
                issue_date: today,
                payment_term_days: content.payment_term_days,
                period: Some((period.period.start, period.period.end)),
                lines: content.lines.clone(),
                adjustments: content.adjustments.clone(),
                notes: content.notes.clone(),
                operation: content.operation.clone(),
                subscription: Some((
                    subscription.id,
                    i32::try_from(period.period.index).unwrap_or(i32::MAX),
                )),
            };
            if let Err(error) = check_new_invoice(company, &invoice) {
                refused = Some(error);
                break;
            }
            invoices.push(invoice);
        }
        if let Some(error) = refused {
            outcome.failures.push(fail(&reason_of(&error)));
            continue;
        }
        let new_next = next_period + u32::try_from(invoices.len()).unwrap_or(0);
        advanced.push((
            subscription.id,
            i32::try_from(new_next).unwrap_or(i32::MAX),
            next_billing_date(&plan, new_next),
        ));
        batch.extend(invoices);
    }
    perf::add(
        Phase::BillingCpu,
        perf::thread_cpu().saturating_sub(planning),
    );

    let issued = match prepare(&txn, company, batch).await {
        Ok(Some(prepared)) => {
            write_prepared(&txn, company, &prepared, &UrlMaker::of(ctx), now).await?
        }
        Ok(None) => Vec::new(),
        // The company itself cannot issue (profile incomplete): every subscription waits.
        Err(error) => {
            let reason = reason_of(&error);
            outcome
                .failures
                .extend(advanced.iter().filter_map(|(id, _, _)| {
                    due_subscriptions
                        .iter()
                        .find(|s| s.id == *id)
                        .map(|s| Failure {
                            company_id: company.id,
                            subscription_pid: Some(s.pid),
                            reason: reason.clone(),
                        })
                }));
            return Ok(outcome);
        }
    };

    // Subscriptions move on in groups that share their new position.
    let mut groups: HashMap<(i32, Option<NaiveDate>), Vec<i64>> = HashMap::new();
    for (id, next, date) in advanced {
        groups.entry((next, date)).or_default().push(id);
    }
    for ((next, date), ids) in groups {
        subscriptions::Entity::update_many()
            .col_expr(subscriptions::Column::NextPeriod, Expr::value(next))
            .col_expr(subscriptions::Column::NextBillingDate, Expr::value(date))
            .col_expr(
                subscriptions::Column::LastError,
                Expr::value(Option::<String>::None),
            )
            .col_expr(subscriptions::Column::UpdatedAt, Expr::value(now))
            .filter(subscriptions::Column::Id.is_in(ids))
            .exec(&txn)
            .await?;
    }
    let events: Vec<subscription_events::ActiveModel> = issued
        .iter()
        .filter_map(|invoice| {
            invoice
                .subscription_id
                .map(|subscription_id| subscription_events::ActiveModel {
                    subscription_id: Set(subscription_id),
                    kind: Set("invoice_issued".into()),
                    detail: Set(invoice.number.clone()),
                    user_id: Set(None),
                    invoice_id: Set(Some(invoice.id)),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                })
        })
        .collect();
    for chunk in events.chunks(1000) {
        subscription_events::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    outcome.invoice_ids = issued.iter().map(|i| i.id).collect();
    jobs::enqueue_render_many(ctx, outcome.invoice_ids.clone()).await;
    Ok(outcome)
}

/// The stable code of a refusal, or the error's text.
fn reason_of(error: &ServiceError) -> String {
    match error {
        ServiceError::Refused(code) => (*code).to_string(),
        ServiceError::Invalid(errors) => errors
            .0
            .first()
            .map_or_else(|| "invalid".to_string(), |e| e.code.to_string()),
        other => other.to_string(),
    }
}
