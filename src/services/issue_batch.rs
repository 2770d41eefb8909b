//! Issuing many invoices of one company at once (billing runs, imports, the benchmark):
//! one transaction takes a block of consecutive numbers from the series counter and
//! writes every document, its lines, its history and its held e-mail with multi-row
//! inserts. The rules are those of a single issue (gapless, chronological, frozen,
//! e-mail released with the PDF); only the round trips are shared.

use chrono::{DateTime, FixedOffset, NaiveDate};
use loco_rs::app::AppContext;
use sea_orm::{
    sea_query::{Expr, Query},
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryTrait, Set,
    TransactionTrait,
};
use serde_json::json;

use super::{
    issue_invoice::{
        default_email, fill_placeholders, paris_date, store_file, take_numbers, vat_context,
    },
    ServiceError,
};
use crate::{
    domain::{
        invoice::{check_issuable, compute, Adjustment, Computed, Line, Status},
        locale::Locale,
        numbering::{check_chronology, format_number, series_for, SeriesKey},
        outbox,
    },
    jobs, mail,
    models::{
        _entities::{
            clients, companies, company_logos, invoice_adjustments, invoice_events, invoice_lines,
            invoices, outbox_messages,
        },
        invoice_adjustments as adjustment_rows, invoice_lines as line_rows,
    },
    perf::{self, Phase},
    views::{
        document::DocumentKind,
        document::Seller as SellerBlock,
        snapshot::{buyer, freeze, seller, Freeze},
    },
};

/// One invoice to issue.
#[derive(Debug, Clone)]
pub struct NewInvoice {
    pub client: clients::Model,
    pub label: String,
    pub issue_date: NaiveDate,
    pub payment_term_days: i32,
    pub period: Option<(NaiveDate, NaiveDate)>,
    pub lines: Vec<Line>,
    pub adjustments: Vec<Adjustment>,
    pub notes: Option<String>,
    /// "services", "goods" or "mixed".
    pub operation: String,
    /// The subscription and the period (index) this invoice bills.
    pub subscription: Option<(i64, i32)>,
}

/// A batch checked and computed, ready to be written in a transaction.
pub struct Prepared {
    batch: Vec<NewInvoice>,
    computed: Vec<Computed>,
    seller_block: SellerBlock,
    logo: Option<company_logos::Model>,
    series: SeriesKey,
}

impl Prepared {
    #[must_use]
    pub fn len(&self) -> usize {
        self.batch.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.batch.is_empty()
    }
}

/// Rows per INSERT: keeps every statement under the bind-parameter limits (SQLite 32 766,
/// Postgres 65 535) with the widest table.
const ROWS_PER_INSERT: usize = 400;

/// Issues `batch` in one transaction, numbered in the given order.
///
/// # Errors
/// `Refused` (profile incomplete, client without e-mail, chronology), `Invalid` (a
/// document that cannot be issued): nothing of the batch is written then.
pub async fn issue_invoices(
    ctx: &AppContext,
    company: &companies::Model,
    batch: &[NewInvoice],
) -> Result<Vec<invoices::Model>, ServiceError> {
    let Some(prepared) = prepare(&ctx.db, company, batch.to_vec()).await? else {
        return Ok(Vec::new());
    };
    let now = crate::clock::of(ctx).now();
    let txn = ctx.db.begin().await?;
    let urls = crate::services::payment_links::UrlMaker::of(ctx);
    let issued = write_prepared(&txn, company, &prepared, &urls, now).await?;
    txn.commit().await?;
    // One job renders the whole batch's PDFs (100 000 single jobs would cost more to
    // queue than to run); the minute sweep catches any that fail.
    jobs::enqueue_render_many(ctx, issued.iter().map(|i| i.id).collect()).await;
    Ok(issued)
}

/// Checks and computes a batch (nothing written); `None` when it is empty.
///
/// # Errors
/// As [`issue_invoices`].
pub async fn prepare<C: ConnectionTrait>(
    db: &C,
    company: &companies::Model,
    mut batch: Vec<NewInvoice>,
) -> Result<Option<Prepared>, ServiceError> {
    // Numbers follow the issue dates (chronological numbering): the batch is taken in date
    // order, ties kept in the given order.
    batch.sort_by_key(|d| d.issue_date);
    let Some(first) = batch.first() else {
        return Ok(None);
    };
    let logo = company_logos::Entity::find()
        .filter(company_logos::Column::CompanyId.eq(company.id))
        .one(db)
        .await?;
    let Some(seller_block) = seller(company, logo.as_ref().map(|l| l.sha256.clone())) else {
        return Err(ServiceError::Refused("company-profile-incomplete"));
    };
    let series = series_for(first.issue_date, company.numbering_yearly_reset);
    if batch
        .iter()
        .any(|d| series_for(d.issue_date, company.numbering_yearly_reset) != series)
    {
        return Err(ServiceError::Other(
            "a batch is numbered in one series".into(),
        ));
    }
    let computing = perf::thread_cpu();
    let mut computed = Vec::with_capacity(batch.len());
    for document in &batch {
        computed.push(check_new_invoice(company, document)?);
    }
    perf::add(
        Phase::BillingCpu,
        perf::thread_cpu().saturating_sub(computing),
    );
    Ok(Some(Prepared {
        batch,
        computed,
        seller_block,
        logo,
        series,
    }))
}

/// The checks of one document of a batch: its figures when it can be issued.
///
/// # Errors
/// `Refused` (`client-unknown`, `client-email-required`), `Invalid` (lines, VAT).
pub fn check_new_invoice(
    company: &companies::Model,
    document: &NewInvoice,
) -> Result<Computed, ServiceError> {
    if document.client.company_id != company.id || !document.client.active {
        return Err(ServiceError::Refused("client-unknown"));
    }
    if document.client.contact_email.is_none() {
        return Err(ServiceError::Refused("client-email-required"));
    }
    let figures = compute(&document.lines, &document.adjustments);
    check_issuable(&figures, &vat_context(company, &document.client))?;
    Ok(figures)
}

/// Writes a prepared batch in `txn`: takes its numbers (the first write of `txn` unless the
/// caller already holds the series lock), then every document, line, event and held e-mail
/// with multi-row inserts. The caller commits and queues the PDFs.
///
/// # Errors
/// `Refused` (chronology), database errors (a subscription period issued twice violates
/// a unique index): nothing is kept when the caller drops `txn`.
#[allow(clippy::too_many_lines)]
pub async fn write_prepared(
    txn: &DatabaseTransaction,
    company: &companies::Model,
    prepared: &Prepared,
    urls: &crate::services::payment_links::UrlMaker,
    now: DateTime<FixedOffset>,
) -> Result<Vec<invoices::Model>, ServiceError> {
    let Prepared {
        batch,
        computed,
        seller_block,
        logo,
        series,
    } = prepared;
    let batch = batch.as_slice();
    let series = *series;
    let Some(first) = batch.first() else {
        return Ok(Vec::new());
    };
    let (subject_template, body_template) = default_email(DocumentKind::Invoice, Locale::Fr);
    let today = paris_date(now);
    let count = i64::try_from(batch.len()).unwrap_or(i64::MAX);

    let taken = take_numbers(txn, company.id, DocumentKind::Invoice, series, count, now).await?;
    let latest = batch.last().map_or(first.issue_date, |d| d.issue_date);
    check_chronology(first.issue_date, taken.last_issue_date, today)
        .and_then(|()| check_chronology(latest, taken.last_issue_date, today))
        .map_err(ServiceError::Refused)?;
    if let Some(logo) = &logo {
        store_file(txn, &logo.content_type, &logo.content, now).await?;
    }

    // Documents, written as drafts with their content, then issued in one statement (the
    // database only lets lines be written to a draft).
    let building = perf::thread_cpu();
    let mut rows = Vec::with_capacity(batch.len());
    let mut models = Vec::with_capacity(batch.len());
    let mut mails = Vec::with_capacity(batch.len());
    for (index, (document, figures)) in batch.iter().zip(computed.iter()).enumerate() {
        let sequence = taken.first + i64::try_from(index).unwrap_or(0);
        let number = format_number(&company.invoice_prefix, series, sequence);
        let pid = uuid::Uuid::new_v4();
        let due_date =
            crate::domain::numbering::due_date(document.issue_date, document.payment_term_days);
        let stored = invoices::Model {
            created_at: now,
            updated_at: now,
            id: 0,
            pid,
            company_id: company.id,
            client_id: document.client.id,
            kind: DocumentKind::Invoice.as_str().into(),
            status: Status::Draft.as_str().into(),
            test_mode: false,
            number: Some(number.clone()),
            series_year: Some(series.year),
            sequence: Some(sequence),
            label: document.label.clone(),
            currency: "EUR".into(),
            issue_date: document.issue_date,
            due_date,
            payment_term_days: document.payment_term_days,
            delivery_date: document.period.map_or(document.issue_date, |p| p.0),
            period_start: document.period.map(|p| p.0),
            period_end: document.period.map(|p| p.1),
            operation: document.operation.clone(),
            notes: document.notes.clone(),
            corrected_invoice_id: None,
            cancels_invoice: false,
            lines_cents: figures.totals.lines_cents,
            allowances_cents: figures.totals.allowances_cents,
            charges_cents: figures.totals.charges_cents,
            net_cents: figures.totals.net_cents,
            vat_cents: figures.totals.vat_cents,
            total_cents: figures.totals.total_cents,
            document_json: None,
            pdf_file_id: None,
            email_subject: None,
            email_body: None,
            wizard_step: 3,
            issued_at: Some(now),
            issued_by: None,
            recurrence: "none".into(),
            subscription_id: document.subscription.map(|(id, _)| id),
            period_index: document.subscription.map(|(_, index)| index),
        };
        let frozen = freeze(Freeze {
            kind: DocumentKind::Invoice,
            number: Some(number),
            test_mode: false,
            invoice: &stored,
            seller: seller_block.clone(),
            buyer: buyer(&document.client),
            lines: &document.lines,
            computed: figures,
            company,
            corrects: None,
            issued_at: Some(now),
        });
        let subject = fill_placeholders(&subject_template, &frozen, Locale::Fr);
        let body = fill_placeholders(&body_template, &frozen, Locale::Fr);
        mails.push((
            document.client.clone(),
            subject,
            body,
            frozen.seller.legal_name.clone(),
        ));
        let mut stored = stored;
        stored.document_json =
            Some(serde_json::to_string(&frozen).map_err(|e| ServiceError::Other(e.to_string()))?);
        let mut active: invoices::ActiveModel = stored.clone().into();
        active.id = sea_orm::ActiveValue::NotSet;
        rows.push(active);
        models.push(stored);
    }
    perf::add(
        Phase::BillingCpu,
        perf::thread_cpu().saturating_sub(building),
    );
    // Only the ids come back (the rows are known): returning whole rows would send every
    // frozen document back over the wire.
    let mut ids_by_pid = std::collections::HashMap::with_capacity(rows.len());
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut insert = invoices::Entity::insert_many(chunk.to_vec()).into_query();
        insert.returning(Query::returning().columns([invoices::Column::Id, invoices::Column::Pid]));
        for row in txn.query_all(&insert).await? {
            let id: i64 = row.try_get("", "id")?;
            let pid: uuid::Uuid = row.try_get("", "pid")?;
            ids_by_pid.insert(pid, id);
        }
    }
    // RETURNING order is not promised: match documents by their public id.
    let ordered: Vec<invoices::Model> = models
        .into_iter()
        .map(|mut model| {
            ids_by_pid.get(&model.pid).map(|id| {
                model.id = *id;
                model
            })
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| ServiceError::Other("inserted invoice missing".into()))?;

    let mut line_rows_all = Vec::new();
    let mut adjustment_rows_all = Vec::new();
    let mut events = Vec::new();
    for (invoice, document) in ordered.iter().zip(batch) {
        line_rows_all.extend(
            document
                .lines
                .iter()
                .enumerate()
                .map(|(i, l)| line_rows::row(invoice.id, i, l, now)),
        );
        adjustment_rows_all.extend(
            document
                .adjustments
                .iter()
                .enumerate()
                .map(|(i, a)| adjustment_rows::row(invoice.id, i, a, now)),
        );
        for (kind, detail) in [
            ("issued", invoice.number.clone()),
            ("sent", document.client.contact_email.clone()),
        ] {
            events.push(invoice_events::ActiveModel {
                invoice_id: Set(invoice.id),
                kind: Set(kind.into()),
                detail: Set(detail),
                user_id: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            });
        }
    }
    for chunk in line_rows_all.chunks(ROWS_PER_INSERT * 4) {
        invoice_lines::Entity::insert_many(chunk.to_vec())
            .exec(txn)
            .await?;
    }
    for chunk in adjustment_rows_all.chunks(ROWS_PER_INSERT * 4) {
        invoice_adjustments::Entity::insert_many(chunk.to_vec())
            .exec(txn)
            .await?;
    }
    for chunk in events.chunks(ROWS_PER_INSERT * 4) {
        invoice_events::Entity::insert_many(chunk.to_vec())
            .exec(txn)
            .await?;
    }
    let ids: Vec<i64> = ordered.iter().map(|i| i.id).collect();
    for chunk in ids.chunks(ROWS_PER_INSERT * 4) {
        invoices::Entity::update_many()
            .col_expr(
                invoices::Column::Status,
                Expr::value(Status::Issued.as_str()),
            )
            .filter(invoices::Column::Id.is_in(chunk.iter().copied()))
            .filter(invoices::Column::Status.eq(Status::Draft.as_str()))
            .exec(txn)
            .await?;
    }

    // The e-mails, held until each PDF exists, each with its client's payment page.
    let client_ids: Vec<i64> = ordered.iter().map(|i| i.client_id).collect();
    let links = crate::services::payment_links::ensure_many(
        txn,
        &urls.secret_key,
        company.id,
        &client_ids,
        now,
    )
    .await?;
    let building = perf::thread_cpu();
    let mut messages = Vec::with_capacity(ordered.len());
    for (invoice, (client, subject, body, company_name)) in ordered.iter().zip(mails) {
        let payment_url = links
            .get(&invoice.client_id)
            .map(|link| urls.url(link, Some(&invoice.pid)));
        let context = json!({
            "subject": subject,
            "paragraphs": body.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).collect::<Vec<_>>(),
            "body": body,
            "company": company_name,
            "lang": Locale::Fr.tag(),
            "payment_url": payment_url,
        });
        let rendered = mail::render_message("document", &context)?;
        messages.push(outbox_messages::ActiveModel {
            pid: Set(uuid::Uuid::new_v4()),
            template: Set("document".into()),
            locale: Set(Locale::Fr.tag().into()),
            to_address: Set(client.contact_email.clone().unwrap_or_default()),
            to_name: Set(client.contact_name.clone()),
            subject: Set(rendered.subject),
            html_body: Set(rendered.html),
            text_body: Set(rendered.text),
            status: Set(outbox::Status::Held.as_str().into()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            company_id: Set(Some(company.id)),
            invoice_id: Set(Some(invoice.id)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
    }
    perf::add(
        Phase::BillingCpu,
        perf::thread_cpu().saturating_sub(building),
    );
    for chunk in messages.chunks(ROWS_PER_INSERT) {
        outbox_messages::Entity::insert_many(chunk.to_vec())
            .exec(txn)
            .await?;
    }
    super::issue_invoice::advance_series_date(
        txn,
        company.id,
        DocumentKind::Invoice,
        series,
        latest,
    )
    .await?;
    Ok(ordered
        .into_iter()
        .map(|mut i| {
            i.status = Status::Issued.as_str().into();
            i
        })
        .collect())
}
