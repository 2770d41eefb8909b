//! Subscriptions (DOMAIN.md "Subscriptions"): started by issuing a monthly invoice, then
//! modified, duplicated or stopped. Every change is made under the company's numbering
//! lock, the lock the billing run holds while it issues: a change and a run of the same
//! company never interleave, so a modification applies exactly to the invoices not yet
//! issued, and a stop never races an invoice of the period it cancels.

use chrono::{DateTime, FixedOffset, NaiveDate};
use loco_rs::app::AppContext;
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use super::{
    issue_invoice::{paris_date, take_numbers},
    ServiceError,
};
use crate::{
    domain::{
        client::Paging,
        invoice::{compute, Adjustment, Computed, Line},
        numbering::series_for,
        subscription::{self as schedule, Schedule},
    },
    models::_entities::{
        clients, companies, invoices, subscription_events, subscription_versions, subscriptions,
        users,
    },
    views::document::DocumentKind,
};

/// What each invoice of a subscription contains (one version of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Content {
    pub label: String,
    pub payment_term_days: i32,
    pub operation: String,
    pub notes: Option<String>,
    pub lines: Vec<Line>,
    pub adjustments: Vec<Adjustment>,
}

impl Content {
    #[must_use]
    pub fn computed(&self) -> Computed {
        compute(&self.lines, &self.adjustments)
    }

    /// The content of a stored version.
    ///
    /// # Errors
    /// `Other` when the stored JSON does not parse.
    pub fn of(version: &subscription_versions::Model) -> Result<Self, ServiceError> {
        let parse =
            |e: serde_json::Error| ServiceError::Other(format!("subscription content: {e}"));
        Ok(Self {
            label: version.label.clone(),
            payment_term_days: version.payment_term_days,
            operation: version.operation.clone(),
            notes: version.notes.clone(),
            lines: serde_json::from_str(&version.lines_json).map_err(parse)?,
            adjustments: serde_json::from_str(&version.adjustments_json).map_err(parse)?,
        })
    }
}

/// The content of the next invoices from a form or an API body with the invoice's fields
/// (label, payment term, operation, lines, discount/charge, notes): the same parsing and
/// messages as the invoice wizard. The client and dates belong to the subscription.
///
/// # Errors
/// Field errors, named as in the wizard.
pub fn parse_content(
    input: &crate::domain::draft::DraftInput,
    today: NaiveDate,
    default_term: i32,
) -> Result<Content, crate::domain::error::FieldErrors> {
    let input = crate::domain::draft::DraftInput {
        client: "subscription".into(),
        issue_date: String::new(),
        due_date: String::new(),
        delivery_date: String::new(),
        period_start: String::new(),
        period_end: String::new(),
        recurrence: String::new(),
        ..input.clone()
    };
    let draft = crate::domain::draft::Draft::parse(&input, today, default_term)?;
    Ok(Content {
        label: draft.label,
        payment_term_days: draft.payment_term_days,
        operation: draft.operation,
        notes: draft.notes,
        lines: draft.lines,
        adjustments: draft.adjustments,
    })
}

/// Where a subscription stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Active,
    /// Stops on this date (in the future).
    Stopping(NaiveDate),
    /// Stopped since this date.
    Stopped(NaiveDate),
}

impl State {
    #[must_use]
    pub fn of(subscription: &subscriptions::Model, today: NaiveDate) -> Self {
        match subscription.stop_date {
            Some(stop) if stop <= today => Self::Stopped(stop),
            Some(stop) => Self::Stopping(stop),
            None => Self::Active,
        }
    }

    #[must_use]
    pub const fn key(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Stopping(_) => "stopping",
            Self::Stopped(_) => "stopped",
        }
    }
}

#[must_use]
pub fn schedule_of(subscription: &subscriptions::Model) -> Schedule {
    Schedule {
        start: subscription.start_date,
        stop: subscription.stop_date,
    }
}

fn next_period_of(subscription: &subscriptions::Model) -> u32 {
    u32::try_from(subscription.next_period).unwrap_or(0)
}

/// Takes the company's invoice numbering lock for today's series: the lock the billing run
/// holds while it issues. First write of the transaction (see `take_numbers`).
///
/// # Errors
/// Database errors.
pub async fn lock_company(
    txn: &DatabaseTransaction,
    company: &companies::Model,
    now: DateTime<FixedOffset>,
) -> Result<(), ServiceError> {
    let series = series_for(paris_date(now), company.numbering_yearly_reset);
    take_numbers(txn, company.id, DocumentKind::Invoice, series, 0, now).await?;
    Ok(())
}

/// A subscription of this company by its public id.
///
/// # Errors
/// `NotFound` (also for another company's subscription).
pub async fn find<C: ConnectionTrait>(
    db: &C,
    company_id: i64,
    pid: &str,
) -> Result<subscriptions::Model, ServiceError> {
    let uuid = uuid::Uuid::parse_str(pid.trim()).map_err(|_| ServiceError::NotFound)?;
    subscriptions::Entity::find()
        .filter(subscriptions::Column::Pid.eq(uuid))
        .filter(subscriptions::Column::CompanyId.eq(company_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// Every version of a subscription, oldest first.
///
/// # Errors
/// Database errors.
pub async fn versions<C: ConnectionTrait>(
    db: &C,
    subscription_ids: &[i64],
) -> Result<Vec<subscription_versions::Model>, ServiceError> {
    Ok(subscription_versions::Entity::find()
        .filter(
            subscription_versions::Column::SubscriptionId.is_in(subscription_ids.iter().copied()),
        )
        .order_by_asc(subscription_versions::Column::SubscriptionId)
        .order_by_asc(subscription_versions::Column::Id)
        .all(db)
        .await?)
}

/// The current content (the latest version) of a subscription.
///
/// # Errors
/// `Other` when it has none (never: a subscription is created with its first version).
pub async fn current<C: ConnectionTrait>(
    db: &C,
    subscription_id: i64,
) -> Result<(subscription_versions::Model, Content), ServiceError> {
    let version = subscription_versions::Entity::find()
        .filter(subscription_versions::Column::SubscriptionId.eq(subscription_id))
        .order_by_desc(subscription_versions::Column::Id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::Other("subscription without content".into()))?;
    let content = Content::of(&version)?;
    Ok((version, content))
}

/// # Errors
/// Database errors.
pub async fn record_event<C: ConnectionTrait>(
    db: &C,
    subscription_id: i64,
    kind: &str,
    detail: Option<String>,
    user_id: Option<i64>,
    invoice_id: Option<i64>,
    now: DateTime<FixedOffset>,
) -> Result<(), ServiceError> {
    subscription_events::ActiveModel {
        subscription_id: Set(subscription_id),
        kind: Set(kind.to_string()),
        detail: Set(detail),
        user_id: Set(user_id),
        invoice_id: Set(invoice_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

async fn insert_version<C: ConnectionTrait>(
    db: &C,
    subscription_id: i64,
    from_period: u32,
    content: &Content,
    user_id: Option<i64>,
    now: DateTime<FixedOffset>,
) -> Result<subscription_versions::Model, ServiceError> {
    let totals = content.computed().totals;
    Ok(subscription_versions::ActiveModel {
        subscription_id: Set(subscription_id),
        from_period: Set(i32::try_from(from_period).unwrap_or(i32::MAX)),
        label: Set(content.label.clone()),
        payment_term_days: Set(content.payment_term_days),
        operation: Set(content.operation.clone()),
        notes: Set(content.notes.clone()),
        lines_json: Set(to_json(&content.lines)?),
        adjustments_json: Set(to_json(&content.adjustments)?),
        net_cents: Set(totals.net_cents),
        total_cents: Set(totals.total_cents),
        created_by: Set(user_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Lines or adjustments as stored (decimals as strings: exact).
fn to_json<T: Serialize>(value: &T) -> Result<String, ServiceError> {
    serde_json::to_string(value).map_err(|e| ServiceError::Other(e.to_string()))
}

/// A new subscription row (the caller writes its first version).
#[allow(clippy::too_many_arguments)]
async fn insert_subscription<C: ConnectionTrait>(
    db: &C,
    company_id: i64,
    client_id: i64,
    start: NaiveDate,
    next_period: u32,
    duplicated_from: Option<i64>,
    user_id: Option<i64>,
    now: DateTime<FixedOffset>,
) -> Result<subscriptions::Model, ServiceError> {
    let plan = Schedule { start, stop: None };
    Ok(subscriptions::ActiveModel {
        pid: Set(uuid::Uuid::new_v4()),
        company_id: Set(company_id),
        client_id: Set(client_id),
        start_date: Set(start),
        stop_date: Set(None),
        next_period: Set(i32::try_from(next_period).unwrap_or(i32::MAX)),
        next_billing_date: Set(schedule::next_billing_date(&plan, next_period)),
        duplicated_from_id: Set(duplicated_from),
        created_by: Set(user_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Starts the subscription of a monthly invoice being issued (in the issuing transaction):
/// the invoice bills period 0, the next invoice is due a month later.
///
/// # Errors
/// Database errors.
pub async fn start_from_invoice(
    txn: &DatabaseTransaction,
    invoice: &invoices::Model,
    content: &Content,
    user_id: Option<i64>,
    now: DateTime<FixedOffset>,
) -> Result<subscriptions::Model, ServiceError> {
    let subscription = insert_subscription(
        txn,
        invoice.company_id,
        invoice.client_id,
        invoice.issue_date,
        1,
        None,
        user_id,
        now,
    )
    .await?;
    insert_version(txn, subscription.id, 0, content, user_id, now).await?;
    record_event(txn, subscription.id, "created", None, user_id, None, now).await?;
    Ok(subscription)
}

/// A row of the subscription lists.
#[derive(Debug, Clone)]
pub struct Row {
    pub subscription: subscriptions::Model,
    pub client_name: String,
    pub client_pid: String,
    /// Its current content (label, amounts, payment term).
    pub version: subscription_versions::Model,
}

/// The list row of one subscription (its current version and client).
///
/// # Errors
/// Database errors.
pub async fn row_of<C: ConnectionTrait>(
    db: &C,
    subscription: subscriptions::Model,
) -> Result<Row, ServiceError> {
    let (version, _) = current(db, subscription.id).await?;
    let client = clients::Entity::find_by_id(subscription.client_id)
        .one(db)
        .await?;
    Ok(Row {
        client_name: client
            .as_ref()
            .map(|c| c.legal_name.clone())
            .unwrap_or_default(),
        client_pid: client.map(|c| c.pid.to_string()).unwrap_or_default(),
        version,
        subscription,
    })
}

/// Which subscriptions a list shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub client_id: Option<i64>,
    /// "active" (active or stopping), "stopped", or all.
    pub state: Option<String>,
    pub paging: Option<Paging>,
}

/// Subscriptions of a company (next invoice first), with their current label and amount.
///
/// # Errors
/// Database errors.
pub async fn list(
    ctx: &AppContext,
    company_id: i64,
    filter: &Filter,
    today: NaiveDate,
) -> Result<(Vec<Row>, u64), ServiceError> {
    let mut select =
        subscriptions::Entity::find().filter(subscriptions::Column::CompanyId.eq(company_id));
    if let Some(client_id) = filter.client_id {
        select = select.filter(subscriptions::Column::ClientId.eq(client_id));
    }
    match filter.state.as_deref() {
        Some("active") => {
            select = select.filter(
                sea_orm::Condition::any()
                    .add(subscriptions::Column::StopDate.is_null())
                    .add(subscriptions::Column::StopDate.gt(today)),
            );
        }
        Some("stopped") => select = select.filter(subscriptions::Column::StopDate.lte(today)),
        // Flagged by the last billing run (cleared when a later run bills them).
        Some("failed") => select = select.filter(subscriptions::Column::LastError.is_not_null()),
        _ => {}
    }
    let total = select.clone().count(&ctx.db).await?;
    // Active ones by next invoice date, then the stopped ones.
    let mut page = select
        .order_by(
            Expr::col(subscriptions::Column::NextBillingDate).is_null(),
            sea_orm::Order::Asc,
        )
        .order_by_asc(subscriptions::Column::NextBillingDate)
        .order_by_desc(subscriptions::Column::Id);
    if let Some(paging) = filter.paging {
        page = page.offset(paging.offset()).limit(paging.per_page);
    }
    let models = page.all(&ctx.db).await?;
    let ids: Vec<i64> = models.iter().map(|s| s.id).collect();
    let mut latest = std::collections::HashMap::new();
    for version in versions(&ctx.db, &ids).await? {
        latest.insert(version.subscription_id, version);
    }
    let client_ids: Vec<i64> = models.iter().map(|s| s.client_id).collect();
    let clients: std::collections::HashMap<i64, clients::Model> = clients::Entity::find()
        .filter(clients::Column::Id.is_in(client_ids))
        .all(&ctx.db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let rows = models
        .into_iter()
        .map(|subscription| {
            // Every subscription is created with its first version.
            let version = latest.remove(&subscription.id).ok_or_else(|| {
                ServiceError::Other(format!("subscription {} has no content", subscription.id))
            })?;
            let client = clients.get(&subscription.client_id);
            Ok(Row {
                client_name: client.map(|c| c.legal_name.clone()).unwrap_or_default(),
                client_pid: client.map(|c| c.pid.to_string()).unwrap_or_default(),
                version,
                subscription,
            })
        })
        .collect::<Result<Vec<_>, ServiceError>>()?;
    Ok((rows, total))
}

/// How many subscriptions of a company still bill, and how many the last run failed to bill.
///
/// # Errors
/// Database errors.
pub async fn counts(ctx: &AppContext, company_id: i64) -> Result<(u64, u64), ServiceError> {
    let of_company =
        subscriptions::Entity::find().filter(subscriptions::Column::CompanyId.eq(company_id));
    let running = of_company
        .clone()
        .filter(subscriptions::Column::NextBillingDate.is_not_null())
        .count(&ctx.db)
        .await?;
    let failed = of_company
        .filter(subscriptions::Column::LastError.is_not_null())
        .count(&ctx.db)
        .await?;
    Ok((running, failed))
}

/// The invoices a subscription issued, oldest period first.
///
/// # Errors
/// Database errors.
pub async fn invoices_of(
    ctx: &AppContext,
    subscription_id: i64,
) -> Result<Vec<invoices::Model>, ServiceError> {
    Ok(invoices::Entity::find()
        .filter(invoices::Column::SubscriptionId.eq(subscription_id))
        .order_by_asc(invoices::Column::PeriodIndex)
        .all(&ctx.db)
        .await?)
}

/// The history of a subscription, oldest first, with who did it.
///
/// # Errors
/// Database errors.
pub async fn history(
    ctx: &AppContext,
    subscription_id: i64,
) -> Result<Vec<(subscription_events::Model, Option<String>)>, ServiceError> {
    let events = subscription_events::Entity::find()
        .filter(subscription_events::Column::SubscriptionId.eq(subscription_id))
        .order_by_asc(subscription_events::Column::Id)
        .all(&ctx.db)
        .await?;
    let user_ids: Vec<i64> = events.iter().filter_map(|e| e.user_id).collect();
    let names: std::collections::HashMap<i64, String> = if user_ids.is_empty() {
        std::collections::HashMap::new()
    } else {
        users::Entity::find()
            .filter(users::Column::Id.is_in(user_ids))
            .all(&ctx.db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect()
    };
    Ok(events
        .into_iter()
        .map(|e| {
            let name = e.user_id.and_then(|id| names.get(&id).cloned());
            (e, name)
        })
        .collect())
}

async fn company(ctx: &AppContext, company_id: i64) -> Result<companies::Model, ServiceError> {
    companies::Entity::find_by_id(company_id)
        .one(&ctx.db)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// Finds every subscription named (all of this company, or `NotFound`).
async fn find_all<C: ConnectionTrait>(
    db: &C,
    company_id: i64,
    pids: &[String],
) -> Result<Vec<subscriptions::Model>, ServiceError> {
    let mut found = Vec::with_capacity(pids.len());
    for pid in pids {
        let subscription = find(db, company_id, pid).await?;
        if !found
            .iter()
            .any(|s: &subscriptions::Model| s.id == subscription.id)
        {
            found.push(subscription);
        }
    }
    if found.is_empty() {
        return Err(ServiceError::Refused("subscription-none-selected"));
    }
    Ok(found)
}

/// Replaces the content of a subscription for the invoices not yet issued (DOMAIN.md
/// "Modify": the next invoices only).
///
/// # Errors
/// `NotFound`; `Refused("subscription-stopped")` once nothing more is billed;
/// `Invalid` when the content could not be issued.
pub async fn modify(
    ctx: &AppContext,
    company_id: i64,
    user: Option<&users::Model>,
    pid: &str,
    content: &Content,
) -> Result<subscriptions::Model, ServiceError> {
    let company = company(ctx, company_id).await?;
    let now = crate::clock::of(ctx).now();
    let txn = ctx.db.begin().await?;
    lock_company(&txn, &company, now).await?;
    let subscription = find(&txn, company_id, pid).await?;
    if subscription.next_billing_date.is_none() {
        return Err(ServiceError::Refused("subscription-stopped"));
    }
    let client = clients::Entity::find_by_id(subscription.client_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    crate::domain::invoice::check_issuable(
        &content.computed(),
        &super::issue_invoice::vat_context(&company, &client),
    )?;
    // A double-submitted form (or an API retry) does not write a second, identical version.
    let (_, existing) = current(&txn, subscription.id).await?;
    if &existing == content {
        return Ok(subscription);
    }
    let from = next_period_of(&subscription);
    insert_version(
        &txn,
        subscription.id,
        from,
        content,
        user.map(|u| u.id),
        now,
    )
    .await?;
    record_event(
        &txn,
        subscription.id,
        "modified",
        subscription.next_billing_date.map(|d| d.to_string()),
        user.map(|u| u.id),
        None,
        now,
    )
    .await?;
    let mut active: subscriptions::ActiveModel = subscription.into();
    active.updated_at = Set(now);
    let updated = active.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Stops subscriptions from `stop` on: no period starting on or after it is billed; issued
/// invoices are untouched. All or none: one that cannot stop then refuses the whole action.
///
/// # Errors
/// `NotFound`; `Refused` (`stop-date-past`, `stop-date-before-start`,
/// `subscription-stopped`).
pub async fn stop(
    ctx: &AppContext,
    company_id: i64,
    user: Option<&users::Model>,
    pids: &[String],
    stop: NaiveDate,
) -> Result<Vec<subscriptions::Model>, ServiceError> {
    let company = company(ctx, company_id).await?;
    let now = crate::clock::of(ctx).now();
    let today = paris_date(now);
    let txn = ctx.db.begin().await?;
    lock_company(&txn, &company, now).await?;
    let found = find_all(&txn, company_id, pids).await?;
    for subscription in &found {
        if matches!(State::of(subscription, today), State::Stopped(_)) {
            return Err(ServiceError::Refused("subscription-stopped"));
        }
        schedule::check_stop(subscription.start_date, stop, today)
            .map_err(ServiceError::Refused)?;
    }
    let mut stopped = Vec::with_capacity(found.len());
    for subscription in found {
        let plan = Schedule {
            start: subscription.start_date,
            stop: Some(stop),
        };
        let next = schedule::next_billing_date(&plan, next_period_of(&subscription));
        record_event(
            &txn,
            subscription.id,
            "stopped",
            Some(stop.to_string()),
            user.map(|u| u.id),
            None,
            now,
        )
        .await?;
        let mut active: subscriptions::ActiveModel = subscription.into();
        active.stop_date = Set(Some(stop));
        active.next_billing_date = Set(next);
        active.updated_at = Set(now);
        stopped.push(active.update(&txn).await?);
    }
    txn.commit().await?;
    Ok(stopped)
}

/// Creates a new subscription from each one named, with its current content and a new
/// start date (also how a stopped one is resumed). When the start is today, its first
/// invoice is issued at once.
///
/// With an idempotency key, the same request repeated (a double-submitted form, an API
/// retry) creates nothing more and answers `replayed`.
///
/// # Errors
/// `NotFound`; `Refused` (`start-date-past`, `client-unknown`).
pub async fn duplicate(
    ctx: &AppContext,
    company_id: i64,
    user: Option<&users::Model>,
    pids: &[String],
    start: NaiveDate,
    idempotency_key: Option<&str>,
) -> Result<Duplicated, ServiceError> {
    let company = company(ctx, company_id).await?;
    let now = crate::clock::of(ctx).now();
    let today = paris_date(now);
    schedule::check_start(start, today).map_err(ServiceError::Refused)?;
    let txn = ctx.db.begin().await?;
    lock_company(&txn, &company, now).await?;
    let found = find_all(&txn, company_id, pids).await?;
    if let Some(key) = idempotency_key {
        if !super::idempotency::claim(
            &txn,
            company_id,
            "subscription.duplicate",
            key,
            found[0].pid,
            now,
        )
        .await?
        {
            // The copies made the first time (the key points at the first of them).
            let earlier =
                super::idempotency::earlier(&txn, company_id, "subscription.duplicate", key)
                    .await?;
            let created = match earlier {
                Some(pid) => {
                    subscriptions::Entity::find()
                        .filter(subscriptions::Column::CompanyId.eq(company_id))
                        .filter(subscriptions::Column::Pid.eq(pid))
                        .all(&txn)
                        .await?
                }
                None => Vec::new(),
            };
            return Ok(Duplicated {
                created,
                replayed: true,
            });
        }
    }
    let mut created = Vec::with_capacity(found.len());
    for source in found {
        let active_client = clients::Entity::find_by_id(source.client_id)
            .one(&txn)
            .await?
            .is_some_and(|c| c.active);
        if !active_client {
            return Err(ServiceError::Refused("client-unknown"));
        }
        let (_, content) = current(&txn, source.id).await?;
        let copy = insert_subscription(
            &txn,
            company_id,
            source.client_id,
            start,
            0,
            Some(source.id),
            user.map(|u| u.id),
            now,
        )
        .await?;
        insert_version(&txn, copy.id, 0, &content, user.map(|u| u.id), now).await?;
        record_event(
            &txn,
            copy.id,
            "created",
            Some(source.pid.to_string()),
            user.map(|u| u.id),
            None,
            now,
        )
        .await?;
        record_event(
            &txn,
            source.id,
            "duplicated",
            Some(copy.pid.to_string()),
            user.map(|u| u.id),
            None,
            now,
        )
        .await?;
        created.push(copy);
    }
    if let (Some(key), Some(first)) = (idempotency_key, created.first()) {
        super::idempotency::set_resource(
            &txn,
            company_id,
            "subscription.duplicate",
            key,
            first.pid,
        )
        .await?;
    }
    txn.commit().await?;
    if start <= today {
        let ids: Vec<i64> = created.iter().map(|s| s.id).collect();
        let outcome =
            super::bill_subscriptions::bill_company(ctx, company_id, today, Some(&ids)).await?;
        if let Some(failure) = outcome.failures.first() {
            tracing::warn!(
                ?failure,
                "first invoice of a duplicated subscription failed"
            );
        }
    }
    Ok(Duplicated {
        created,
        replayed: false,
    })
}

/// What a duplication created.
#[derive(Debug)]
pub struct Duplicated {
    pub created: Vec<subscriptions::Model>,
    /// The same request had already been done: nothing was created this time.
    pub replayed: bool,
}
