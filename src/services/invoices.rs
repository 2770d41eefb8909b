//! Invoices and credit notes of a company: drafts (saved at every wizard step, resumed,
//! deleted), lookups scoped to the company, the list with its filters, and the history.

use chrono::NaiveDate;
use loco_rs::app::AppContext;
use sea_orm::{
    sea_query::{Expr, ExprTrait, LikeExpr},
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::{clients, idempotency, ServiceError};
use crate::{
    domain::{
        client::{escape_like, Paging},
        draft::Draft,
        invoice::{compute, transition, Adjustment, Computed, Event, Line, Status},
    },
    models::{
        _entities::{invoice_adjustments, invoice_events, invoice_lines, invoices},
        invoice_adjustments as adjustment_rows, invoice_lines as line_rows,
    },
    views::document::DocumentKind,
};

/// An invoice or credit note of this company by public id.
///
/// # Errors
/// `NotFound`, also for another company's document or a malformed id.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    company_id: i64,
    pid: &str,
) -> Result<invoices::Model, ServiceError> {
    let pid = uuid::Uuid::parse_str(pid).map_err(|_| ServiceError::NotFound)?;
    invoices::Entity::find()
        .filter(invoices::Column::Pid.eq(pid))
        .filter(invoices::Column::CompanyId.eq(company_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)
}

#[must_use]
pub fn status_of(invoice: &invoices::Model) -> Status {
    Status::parse(&invoice.status).unwrap_or(Status::Draft)
}

#[must_use]
pub fn kind_of(invoice: &invoices::Model) -> DocumentKind {
    DocumentKind::parse(&invoice.kind).unwrap_or(DocumentKind::Invoice)
}

/// The lines and adjustments of a document, as domain values.
///
/// # Errors
/// Database errors, or `Other` for a corrupted row.
pub async fn content<C: ConnectionTrait>(
    db: &C,
    invoice_id: i64,
) -> Result<(Vec<Line>, Vec<Adjustment>), ServiceError> {
    let lines = invoice_lines::Entity::find()
        .filter(invoice_lines::Column::InvoiceId.eq(invoice_id))
        .order_by_asc(invoice_lines::Column::Position)
        .all(db)
        .await?
        .iter()
        .map(invoice_lines::Model::to_line)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ServiceError::Other(format!("stored line: {e}")))?;
    let adjustments = invoice_adjustments::Entity::find()
        .filter(invoice_adjustments::Column::InvoiceId.eq(invoice_id))
        .order_by_asc(invoice_adjustments::Column::Position)
        .all(db)
        .await?
        .iter()
        .map(invoice_adjustments::Model::to_adjustment)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ServiceError::Other(format!("stored adjustment: {e}")))?;
    Ok((lines, adjustments))
}

/// Records an event in the document's history.
///
/// # Errors
/// Database errors.
pub async fn record_event<C: ConnectionTrait>(
    db: &C,
    invoice_id: i64,
    kind: &str,
    detail: Option<String>,
    user_id: Option<i64>,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Result<(), sea_orm::DbErr> {
    invoice_events::ActiveModel {
        invoice_id: Set(invoice_id),
        kind: Set(kind.to_string()),
        detail: Set(detail),
        user_id: Set(user_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Records an event only the first time (e.g. the first view of an invoice on the payment
/// page: the history says when the client first saw it, not every reload).
///
/// # Errors
/// Database errors.
pub async fn record_event_once<C: ConnectionTrait>(
    db: &C,
    invoice_id: i64,
    kind: &str,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Result<(), sea_orm::DbErr> {
    let seen = invoice_events::Entity::find()
        .filter(invoice_events::Column::InvoiceId.eq(invoice_id))
        .filter(invoice_events::Column::Kind.eq(kind))
        .count(db)
        .await?;
    if seen == 0 {
        record_event(db, invoice_id, kind, None, None, now).await?;
    }
    Ok(())
}

/// The history of a document, oldest first.
///
/// # Errors
/// Database errors.
pub async fn history(
    ctx: &AppContext,
    invoice_id: i64,
) -> Result<Vec<invoice_events::Model>, ServiceError> {
    Ok(invoice_events::Entity::find()
        .filter(invoice_events::Column::InvoiceId.eq(invoice_id))
        .order_by_asc(invoice_events::Column::Id)
        .all(&ctx.db)
        .await?)
}

/// Inserts the lines and adjustments of a document being written.
///
/// # Errors
/// Database errors (the database refuses them for an issued document).
pub async fn insert_content<C: ConnectionTrait>(
    db: &C,
    invoice_id: i64,
    lines: &[Line],
    adjustments: &[Adjustment],
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Result<(), ServiceError> {
    if !lines.is_empty() {
        invoice_lines::Entity::insert_many(
            lines
                .iter()
                .enumerate()
                .map(|(i, l)| line_rows::row(invoice_id, i, l, now)),
        )
        .exec(db)
        .await?;
    }
    if !adjustments.is_empty() {
        invoice_adjustments::Entity::insert_many(
            adjustments
                .iter()
                .enumerate()
                .map(|(i, a)| adjustment_rows::row(invoice_id, i, a, now)),
        )
        .exec(db)
        .await?;
    }
    Ok(())
}

/// Replaces the parts of a draft (lines, adjustments) and returns its figures.
async fn write_content<C: ConnectionTrait>(
    db: &C,
    invoice_id: i64,
    draft: &Draft,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Result<Computed, ServiceError> {
    invoice_lines::Entity::delete_many()
        .filter(invoice_lines::Column::InvoiceId.eq(invoice_id))
        .exec(db)
        .await?;
    invoice_adjustments::Entity::delete_many()
        .filter(invoice_adjustments::Column::InvoiceId.eq(invoice_id))
        .exec(db)
        .await?;
    insert_content(db, invoice_id, &draft.lines, &draft.adjustments, now).await?;
    Ok(compute(&draft.lines, &draft.adjustments))
}

fn apply_draft(active: &mut invoices::ActiveModel, draft: &Draft, computed: &Computed) {
    active.label = Set(draft.label.clone());
    active.issue_date = Set(draft.issue_date);
    active.due_date = Set(draft.due_date);
    active.payment_term_days = Set(draft.payment_term_days);
    active.delivery_date = Set(draft.delivery_date);
    active.period_start = Set(draft.period.map(|p| p.0));
    active.period_end = Set(draft.period.map(|p| p.1));
    active.operation = Set(draft.operation.clone());
    active.notes = Set(draft.notes.clone());
    active.recurrence = Set(if draft.monthly { "monthly" } else { "none" }.to_string());
    active.lines_cents = Set(computed.totals.lines_cents);
    active.allowances_cents = Set(computed.totals.allowances_cents);
    active.charges_cents = Set(computed.totals.charges_cents);
    active.net_cents = Set(computed.totals.net_cents);
    active.vat_cents = Set(computed.totals.vat_cents);
    active.total_cents = Set(computed.totals.total_cents);
}

const CREATE_SCOPE: &str = "invoice.create";

/// Creates a draft invoice (no number). A double submit with the same idempotency key
/// returns the first draft.
///
/// # Errors
/// `Invalid` on `client` when the client is not an active client of this company.
pub async fn create_draft(
    ctx: &AppContext,
    company_id: i64,
    user_id: Option<i64>,
    draft: &Draft,
    idempotency_key: Option<&str>,
) -> Result<(invoices::Model, bool), ServiceError> {
    if let Some(key) = idempotency_key {
        if let Some(pid) = idempotency::earlier(&ctx.db, company_id, CREATE_SCOPE, key).await? {
            return Ok((find(&ctx.db, company_id, &pid.to_string()).await?, true));
        }
    }
    let client = active_client(ctx, company_id, &draft.client).await?;
    match insert_draft(ctx, company_id, user_id, draft, client.id, idempotency_key).await {
        Ok(invoice) => Ok((invoice, false)),
        // A concurrent twin with the same key won the race: answer with its draft.
        Err(error) => match idempotency_key {
            Some(key) => {
                match idempotency::earlier(&ctx.db, company_id, CREATE_SCOPE, key).await? {
                    Some(pid) => Ok((find(&ctx.db, company_id, &pid.to_string()).await?, true)),
                    None => Err(error),
                }
            }
            None => Err(error),
        },
    }
}

async fn insert_draft(
    ctx: &AppContext,
    company_id: i64,
    user_id: Option<i64>,
    draft: &Draft,
    client_id: i64,
    idempotency_key: Option<&str>,
) -> Result<invoices::Model, ServiceError> {
    let now = crate::clock::of(ctx).now();
    let txn = ctx.db.begin().await?;
    let mut active = invoices::ActiveModel {
        pid: Set(uuid::Uuid::new_v4()),
        company_id: Set(company_id),
        client_id: Set(client_id),
        kind: Set(DocumentKind::Invoice.as_str().to_string()),
        status: Set(Status::Draft.as_str().to_string()),
        test_mode: Set(false),
        currency: Set("EUR".into()),
        wizard_step: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    apply_draft(
        &mut active,
        draft,
        &compute(&draft.lines, &draft.adjustments),
    );
    let invoice = active.insert(&txn).await?;
    write_content(&txn, invoice.id, draft, now).await?;
    record_event(&txn, invoice.id, "created", None, user_id, now).await?;
    if let Some(key) = idempotency_key {
        idempotency::record(&txn, company_id, CREATE_SCOPE, key, invoice.pid, now).await?;
    }
    txn.commit().await?;
    Ok(invoice)
}

/// Locks a draft of this company before its content changes. The first write of the
/// transaction (a row lock on Postgres, the database write lock on SQLite) bumps
/// `updated_at`, so an issue running at the same time either sees the change (and refuses
/// with "invoice-changed") or has already issued it (and this change is refused).
/// Credit-note drafts are never edited: they are made and issued by the credit-note service.
///
/// # Errors
/// `NotFound`, `Refused("invoice-immutable" | "invoice-cancelled" | "not-an-invoice")`.
pub async fn lock_draft<C: ConnectionTrait>(
    db: &C,
    company_id: i64,
    pid: &str,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Result<invoices::Model, ServiceError> {
    let uuid = uuid::Uuid::parse_str(pid).map_err(|_| ServiceError::NotFound)?;
    let locked = invoices::Entity::update_many()
        .col_expr(invoices::Column::UpdatedAt, Expr::value(now))
        .filter(invoices::Column::Pid.eq(uuid))
        .filter(invoices::Column::CompanyId.eq(company_id))
        .filter(invoices::Column::Status.eq(Status::Draft.as_str()))
        .filter(invoices::Column::Kind.eq(DocumentKind::Invoice.as_str()))
        .exec(db)
        .await?;
    let invoice = find(db, company_id, pid).await?;
    if locked.rows_affected == 1 {
        return Ok(invoice);
    }
    transition(status_of(&invoice), Event::EditDraft).map_err(ServiceError::Refused)?;
    Err(ServiceError::Refused("not-an-invoice"))
}

/// Replaces the content of a draft. An issued document is never edited.
///
/// # Errors
/// `NotFound`, `Refused("invoice-immutable" | ...)`, `Invalid` on `client`.
pub async fn update_draft(
    ctx: &AppContext,
    company_id: i64,
    pid: &str,
    draft: &Draft,
) -> Result<invoices::Model, ServiceError> {
    let client = active_client(ctx, company_id, &draft.client).await?;
    let now = crate::clock::of(ctx).now();
    let txn = ctx.db.begin().await?;
    let invoice = lock_draft(&txn, company_id, pid, now).await?;
    let computed = write_content(&txn, invoice.id, draft, now).await?;
    let mut active = invoice.into_active_model();
    apply_draft(&mut active, draft, &computed);
    active.client_id = Set(client.id);
    active.updated_at = Set(now);
    let invoice = active.update(&txn).await?;
    txn.commit().await?;
    Ok(invoice)
}

/// Where the wizard stands, and the e-mail text of step 3.
///
/// # Errors
/// `NotFound`, `Refused("invoice-immutable")`.
pub async fn save_step(
    ctx: &AppContext,
    company_id: i64,
    pid: &str,
    step: i32,
    email: Option<(String, String)>,
) -> Result<invoices::Model, ServiceError> {
    let now = crate::clock::of(ctx).now();
    let txn = ctx.db.begin().await?;
    let invoice = lock_draft(&txn, company_id, pid, now).await?;
    let mut active = invoice.into_active_model();
    active.wizard_step = Set(step);
    if let Some((subject, body)) = email {
        active.email_subject = Set(Some(subject));
        active.email_body = Set(Some(body));
    }
    active.updated_at = Set(now);
    let invoice = active.update(&txn).await?;
    txn.commit().await?;
    Ok(invoice)
}

/// Deletes a draft; issued documents are never deleted.
///
/// # Errors
/// `NotFound`, `Refused("invoice-immutable")`.
pub async fn delete_draft(
    ctx: &AppContext,
    company_id: i64,
    pid: &str,
) -> Result<(), ServiceError> {
    let invoice = find(&ctx.db, company_id, pid).await?;
    transition(status_of(&invoice), Event::DeleteDraft).map_err(ServiceError::Refused)?;
    let deleted = invoices::Entity::delete_many()
        .filter(invoices::Column::Id.eq(invoice.id))
        .filter(invoices::Column::Status.eq(Status::Draft.as_str()))
        .exec(&ctx.db)
        .await?;
    if deleted.rows_affected == 0 {
        // Issued in the meantime.
        return Err(ServiceError::Refused("invoice-immutable"));
    }
    Ok(())
}

async fn active_client(
    ctx: &AppContext,
    company_id: i64,
    pid: &str,
) -> Result<crate::models::_entities::clients::Model, ServiceError> {
    let not_found = || {
        ServiceError::Invalid(crate::domain::error::FieldErrors::single(
            "client",
            "client-unknown",
        ))
    };
    let client = clients::find(&ctx.db, company_id, pid)
        .await
        .map_err(|e| match e {
            ServiceError::NotFound => not_found(),
            other => other,
        })?;
    if client.active {
        Ok(client)
    } else {
        Err(ServiceError::Invalid(
            crate::domain::error::FieldErrors::single("client", "client-inactive"),
        ))
    }
}

/// What the list shows: the status filter "overdue" is derived, not stored.
#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    pub status: Option<String>,
    pub kind: Option<DocumentKind>,
    pub client_id: Option<i64>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub number: Option<String>,
    pub paging: Option<Paging>,
}

/// Sums of the whole selection (not only the page shown).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelectionTotals {
    pub count: u64,
    pub total_cents: i64,
    pub net_cents: i64,
}

fn filtered(
    company_id: i64,
    filter: &InvoiceFilter,
    today: NaiveDate,
) -> sea_orm::Select<invoices::Entity> {
    let mut select = invoices::Entity::find().filter(invoices::Column::CompanyId.eq(company_id));
    if let Some(kind) = filter.kind {
        select = select.filter(invoices::Column::Kind.eq(kind.as_str()));
    }
    match filter.status.as_deref() {
        Some("overdue") => {
            select = select
                .filter(
                    invoices::Column::Status
                        .is_in([Status::Issued.as_str(), Status::PartiallyPaid.as_str()]),
                )
                .filter(invoices::Column::DueDate.lt(today))
                .filter(invoices::Column::Kind.eq(DocumentKind::Invoice.as_str()));
        }
        Some(status) if Status::parse(status).is_ok() => {
            select = select.filter(invoices::Column::Status.eq(status));
        }
        _ => {}
    }
    if let Some(client_id) = filter.client_id {
        select = select.filter(invoices::Column::ClientId.eq(client_id));
    }
    if let Some(from) = filter.from {
        select = select.filter(invoices::Column::IssueDate.gte(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(invoices::Column::IssueDate.lte(to));
    }
    if let Some(number) = filter
        .number
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        let pattern = format!("%{}%", escape_like(&number.to_uppercase()));
        select = select.filter(
            Condition::any().add(
                Expr::col((invoices::Entity, invoices::Column::Number))
                    .like(LikeExpr::new(pattern).escape('\\')),
            ),
        );
    }
    select
}

/// One page of documents (newest first) and the totals of the whole selection.
///
/// # Errors
/// Database errors.
pub async fn list(
    ctx: &AppContext,
    company_id: i64,
    filter: &InvoiceFilter,
    today: NaiveDate,
) -> Result<(Vec<invoices::Model>, SelectionTotals), ServiceError> {
    let select = filtered(company_id, filter, today);
    let count = select.clone().count(&ctx.db).await?;
    // The sums leave drafts out (nothing owed yet) and count credit notes as negative.
    let mut sums = [(0i64, 0i64); 2];
    for (slot, kind) in [DocumentKind::Invoice, DocumentKind::CreditNote]
        .into_iter()
        .enumerate()
    {
        let (total, net): (Option<i64>, Option<i64>) = select
            .clone()
            .filter(invoices::Column::Kind.eq(kind.as_str()))
            .filter(invoices::Column::Status.ne(Status::Draft.as_str()))
            .select_only()
            .column_as(
                invoices::Column::TotalCents.sum().cast_as("BIGINT"),
                "total",
            )
            .column_as(invoices::Column::NetCents.sum().cast_as("BIGINT"), "net")
            .into_tuple()
            .one(&ctx.db)
            .await?
            .unwrap_or((None, None));
        sums[slot] = (total.unwrap_or(0), net.unwrap_or(0));
    }
    let (total_cents, net_cents) = (sums[0].0 - sums[1].0, sums[0].1 - sums[1].1);
    let mut page = select
        .order_by_desc(invoices::Column::IssueDate)
        .order_by_desc(invoices::Column::Id);
    if let Some(paging) = filter.paging {
        page = page.offset(paging.offset()).limit(paging.per_page);
    }
    Ok((
        page.all(&ctx.db).await?,
        SelectionTotals {
            count,
            total_cents,
            net_cents,
        },
    ))
}

/// Issued credit notes of an invoice, oldest first.
///
/// # Errors
/// Database errors.
pub async fn credit_notes_of<C: ConnectionTrait>(
    db: &C,
    invoice_id: i64,
) -> Result<Vec<invoices::Model>, ServiceError> {
    Ok(invoices::Entity::find()
        .filter(invoices::Column::CorrectedInvoiceId.eq(invoice_id))
        .filter(invoices::Column::Status.ne(Status::Draft.as_str()))
        .order_by_asc(invoices::Column::Id)
        .all(db)
        .await?)
}

/// How many documents (drafts included) name this client.
///
/// # Errors
/// Database errors.
pub async fn count_for_client<C: ConnectionTrait>(
    db: &C,
    client_id: i64,
) -> Result<u64, ServiceError> {
    Ok(invoices::Entity::find()
        .filter(invoices::Column::ClientId.eq(client_id))
        .count(db)
        .await?)
}

/// What credit notes took off each of these invoices (issued credit notes only).
///
/// # Errors
/// Database errors.
pub async fn credited_totals<C: ConnectionTrait>(
    db: &C,
    invoice_ids: &[i64],
) -> Result<std::collections::HashMap<i64, i64>, ServiceError> {
    if invoice_ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let rows: Vec<(Option<i64>, Option<i64>)> = invoices::Entity::find()
        .select_only()
        .column(invoices::Column::CorrectedInvoiceId)
        .column_as(
            invoices::Column::TotalCents.sum().cast_as("BIGINT"),
            "credited",
        )
        .filter(invoices::Column::CorrectedInvoiceId.is_in(invoice_ids.iter().copied()))
        .filter(invoices::Column::Status.ne(Status::Draft.as_str()))
        .group_by(invoices::Column::CorrectedInvoiceId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, sum)| Some((id?, sum.unwrap_or(0))))
        .collect())
}

/// What is left to pay on an invoice: its total less what its credit notes and payments
/// took off (`payments::taken_off`). Zero for anything but an issued invoice.
#[must_use]
pub fn balance(invoice: &invoices::Model, credited_cents: i64) -> i64 {
    match status_of(invoice) {
        Status::Issued | Status::PartiallyPaid
            if invoice.kind == DocumentKind::Invoice.as_str() =>
        {
            Ord::max(invoice.total_cents - credited_cents, 0)
        }
        _ => 0,
    }
}

/// A client's figures: net invoiced (invoices less credit notes), outstanding, and the
/// invoices still to be paid.
#[derive(Debug, Clone, Default)]
pub struct ClientFigures {
    pub invoiced_cents: i64,
    pub outstanding_cents: i64,
    pub pending: Vec<(invoices::Model, i64)>,
}

/// # Errors
/// Database errors.
pub async fn client_figures(
    ctx: &AppContext,
    client_id: i64,
) -> Result<(Vec<invoices::Model>, ClientFigures), ServiceError> {
    let documents = invoices::Entity::find()
        .filter(invoices::Column::ClientId.eq(client_id))
        .filter(invoices::Column::TestMode.eq(false))
        .order_by_desc(invoices::Column::IssueDate)
        .order_by_desc(invoices::Column::Id)
        .all(&ctx.db)
        .await?;
    let ids: Vec<i64> = documents.iter().map(|d| d.id).collect();
    let taken = crate::services::payments::taken_off(&ctx.db, &ids).await?;
    let mut figures = ClientFigures::default();
    for document in &documents {
        match (document.kind.as_str(), status_of(document)) {
            (_, Status::Draft) => {}
            ("invoice", _) => figures.invoiced_cents += document.total_cents,
            _ => figures.invoiced_cents -= document.total_cents,
        }
        let due = balance(document, taken.get(&document.id).copied().unwrap_or(0));
        if due > 0 {
            figures.outstanding_cents += due;
            figures.pending.push((document.clone(), due));
        }
    }
    Ok((documents, figures))
}
