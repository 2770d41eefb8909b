//! Issuing: the number is taken from the series counter inside the issuing transaction, the
//! document is frozen, and its history event and e-mail are written in that same
//! transaction (CGI art. 242 nonies A: continuous numbering without gap). The e-mail waits
//! ("held") until the PDF job has rendered and stored the PDF, then leaves with it.
//!
//! Why the PDF is rendered by a job right after the commit rather than inside the
//! transaction: the counter row stays locked only for the few writes of the issue (so
//! issuing stays fast), and a rendering failure can never lose a number or an invoice —
//! the job is retried until the PDF exists, and rendering the frozen document twice gives
//! the same bytes.

use chrono::{DateTime, FixedOffset, NaiveDate};
use loco_rs::app::AppContext;
use sea_orm::{
    sea_query::{Expr, ExprTrait, OnConflict, Query},
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{invoices as docs, ServiceError};
use crate::{
    domain::{
        error::FieldErrors,
        invoice::{check_issuable, compute, transition, Event, Status, VatContext},
        locale::Locale,
        money::format_cents,
        numbering::{check_chronology, format_number, series_for, SeriesKey},
    },
    jobs,
    mail::{self, OutgoingMail},
    models::_entities::{
        clients, companies, company_logos, document_files, invoices, number_series, users,
    },
    views::{
        document::{CorrectedInvoice, DocumentKind, InvoiceDocument},
        snapshot::{buyer, freeze, seller, Freeze},
    },
};

/// The Paris calendar date of an instant (DOMAIN.md: days are Europe/Paris days).
#[must_use]
pub fn paris_date(at: DateTime<FixedOffset>) -> NaiveDate {
    crate::domain::subscription::paris_day(&at)
}

/// The numbers a transaction took from a series.
#[derive(Debug, Clone, Copy)]
pub struct Taken {
    pub series: SeriesKey,
    /// The first sequence number taken (they are consecutive).
    pub first: i64,
    pub last_issue_date: Option<NaiveDate>,
}

/// Takes `count` consecutive numbers of a series. This must be the first write of the
/// transaction: on Postgres the counter row stays locked until commit, so concurrent issues
/// queue up; on SQLite the write takes the database's write lock before anything is read.
/// A rollback gives the numbers back: no gap.
///
/// # Errors
/// Database errors.
pub async fn take_numbers(
    txn: &DatabaseTransaction,
    company_id: i64,
    kind: DocumentKind,
    series: SeriesKey,
    count: i64,
    now: DateTime<FixedOffset>,
) -> Result<Taken, ServiceError> {
    let insert = Query::insert()
        .into_table(number_series::Entity)
        .columns([
            number_series::Column::CompanyId,
            number_series::Column::Kind,
            number_series::Column::Year,
            number_series::Column::LastSequence,
            number_series::Column::CreatedAt,
            number_series::Column::UpdatedAt,
        ])
        .values_panic([
            company_id.into(),
            kind.as_str().into(),
            series.year.into(),
            0i64.into(),
            now.into(),
            now.into(),
        ])
        .on_conflict(
            OnConflict::columns([
                number_series::Column::CompanyId,
                number_series::Column::Kind,
                number_series::Column::Year,
            ])
            .do_nothing()
            .to_owned(),
        )
        .to_owned();
    txn.execute(&insert).await?;
    let update = Query::update()
        .table(number_series::Entity)
        .value(
            number_series::Column::LastSequence,
            Expr::col(number_series::Column::LastSequence).add(count),
        )
        .value(number_series::Column::UpdatedAt, now)
        .and_where(Expr::col(number_series::Column::CompanyId).eq(company_id))
        .and_where(Expr::col(number_series::Column::Kind).eq(kind.as_str()))
        .and_where(Expr::col(number_series::Column::Year).eq(series.year))
        .returning(Query::returning().columns([
            number_series::Column::LastSequence,
            number_series::Column::LastIssueDate,
        ]))
        .to_owned();
    let row = txn
        .query_one(&update)
        .await?
        .ok_or_else(|| ServiceError::Other("number series row missing".into()))?;
    let last: i64 = row.try_get("", "last_sequence")?;
    let last_issue_date: Option<NaiveDate> = row.try_get("", "last_issue_date")?;
    Ok(Taken {
        series,
        first: last - count + 1,
        last_issue_date,
    })
}

/// Records the latest issue date of a series (chronology of the next numbers).
///
/// # Errors
/// Database errors.
pub async fn advance_series_date(
    txn: &DatabaseTransaction,
    company_id: i64,
    kind: DocumentKind,
    series: SeriesKey,
    issue_date: NaiveDate,
) -> Result<(), ServiceError> {
    number_series::Entity::update_many()
        .col_expr(
            number_series::Column::LastIssueDate,
            Expr::value(issue_date),
        )
        .filter(number_series::Column::CompanyId.eq(company_id))
        .filter(number_series::Column::Kind.eq(kind.as_str()))
        .filter(number_series::Column::Year.eq(series.year))
        .filter(
            sea_orm::Condition::any()
                .add(number_series::Column::LastIssueDate.is_null())
                .add(number_series::Column::LastIssueDate.lt(issue_date)),
        )
        .exec(txn)
        .await?;
    Ok(())
}

/// Stores a file once, by content (logos copied into documents, PDFs, attachments).
///
/// # Errors
/// Database errors.
pub async fn store_file<C: ConnectionTrait>(
    db: &C,
    content_type: &str,
    bytes: &[u8],
    now: DateTime<FixedOffset>,
) -> Result<StoredFile, ServiceError> {
    let sha = store_files(db, content_type, &[bytes], now)
        .await?
        .pop()
        .ok_or_else(|| ServiceError::Other("stored file missing".into()))?;
    Ok(sha)
}

/// A stored file: its row and its SHA-256 (the bytes are what the caller stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub id: i64,
    pub sha256: String,
}

/// Stores files once each, by content, with multi-row inserts, and returns them in order.
/// The insert comes first: as the first statement of a SQLite transaction it takes the
/// write lock at once (a transaction that reads first and writes later can fail with
/// "database is locked" when another writer got in between). Several files per statement
/// also keep Postgres round trips (and their TCP delays) down.
///
/// # Errors
/// Database errors.
pub async fn store_files<C: ConnectionTrait>(
    db: &C,
    content_type: &str,
    files: &[&[u8]],
    now: DateTime<FixedOffset>,
) -> Result<Vec<StoredFile>, ServiceError> {
    /// Files per INSERT: a few megabytes per statement.
    const PER_INSERT: usize = 50;
    let shas: Vec<String> = files
        .iter()
        .map(|b| hex::encode(Sha256::digest(b)))
        .collect();
    for (chunk, chunk_shas) in files.chunks(PER_INSERT).zip(shas.chunks(PER_INSERT)) {
        let mut insert = Query::insert();
        insert.into_table(document_files::Entity).columns([
            document_files::Column::Sha256,
            document_files::Column::ContentType,
            document_files::Column::Size,
            document_files::Column::Content,
            document_files::Column::CreatedAt,
            document_files::Column::UpdatedAt,
        ]);
        for (bytes, sha) in chunk.iter().zip(chunk_shas) {
            insert.values_panic([
                sha.clone().into(),
                content_type.into(),
                i64::try_from(bytes.len()).unwrap_or(i64::MAX).into(),
                bytes.to_vec().into(),
                now.into(),
                now.into(),
            ]);
        }
        insert.on_conflict(
            OnConflict::column(document_files::Column::Sha256)
                .do_nothing()
                .to_owned(),
        );
        db.execute(&insert).await?;
    }
    // Only the ids are read back: reading the contents again would move every file a
    // second time (a PDF job stores a few megabytes per chunk).
    let stored: std::collections::HashMap<String, i64> = document_files::Entity::find()
        .select_only()
        .column(document_files::Column::Sha256)
        .column(document_files::Column::Id)
        .filter(document_files::Column::Sha256.is_in(shas.iter().cloned()))
        .into_tuple::<(String, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    shas.into_iter()
        .map(|sha256| {
            stored
                .get(&sha256)
                .map(|id| StoredFile { id: *id, sha256 })
                .ok_or_else(|| ServiceError::Other("stored file missing".into()))
        })
        .collect()
}

/// The VAT situation of a sale from this seller to this client.
#[must_use]
pub fn vat_context(company: &companies::Model, client: &clients::Model) -> VatContext {
    let country = crate::domain::address::Country::parse(&client.billing_country)
        .unwrap_or(crate::domain::address::Country::FRANCE);
    VatContext {
        seller_franchise: company.vat_regime
            == crate::domain::company::VatRegime::Franchise.as_str(),
        buyer_other_eu: country.is_eu() && country != crate::domain::address::Country::FRANCE,
        buyer_outside_eu: !country.is_eu(),
        buyer_vat_registered: client.vat_number.is_some(),
    }
}

/// The e-mail text of a document, with its placeholders filled in.
#[must_use]
pub fn fill_placeholders(text: &str, document: &InvoiceDocument, locale: Locale) -> String {
    text.replace("[numero]", document.number.as_deref().unwrap_or("—"))
        .replace(
            "[montant]",
            &format_cents(document.totals.total_cents, locale),
        )
        .replace(
            "[echeance]",
            &document.due_date.format("%d/%m/%Y").to_string(),
        )
        .replace("[client]", &document.buyer.legal_name)
        .replace("[entreprise]", &document.seller.legal_name)
}

/// The default subject and body proposed at step 3 of the wizard.
#[must_use]
pub fn default_email(kind: DocumentKind, locale: Locale) -> (String, String) {
    let prefix = match kind {
        DocumentKind::Invoice => "invoice",
        DocumentKind::CreditNote => "credit-note",
    };
    (
        crate::i18n::tr(locale, &format!("{prefix}-mail-subject-default")),
        crate::i18n::tr(locale, &format!("{prefix}-mail-body-default")),
    )
}

/// Writes the document's e-mail to the outbox, held until its PDF exists. `texts` are the
/// subject and body templates; an invoice's e-mail links to the client's payment page.
///
/// # Errors
/// Template or database errors.
pub async fn write_document_mail<C: ConnectionTrait>(
    db: &C,
    invoice: &invoices::Model,
    document: &InvoiceDocument,
    to: (&str, Option<&str>),
    (subject_template, body_template): (&str, &str),
    payment_url: Option<&str>,
    now: DateTime<FixedOffset>,
) -> Result<crate::models::_entities::outbox_messages::Model, ServiceError> {
    let locale = Locale::Fr;
    let subject = fill_placeholders(subject_template, document, locale);
    let body = fill_placeholders(body_template, document, locale);
    let message = mail::write_to_outbox(
        db,
        now,
        OutgoingMail {
            template: "document",
            locale,
            to_address: to.0.to_string(),
            to_name: to.1.map(str::to_string),
            company_id: Some(invoice.company_id),
            context: json!({
                "subject": subject,
                "paragraphs": body.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).collect::<Vec<_>>(),
                "body": body,
                "company": document.seller.legal_name,
                "payment_url": payment_url,
            }),
            attachments: vec![],
        },
    )
    .await?;
    // Held until the PDF job attaches the document and releases it.
    let mut active = message.into_active_model();
    active.status = Set(crate::domain::outbox::Status::Held.as_str().to_string());
    active.invoice_id = Set(Some(invoice.id));
    Ok(active.update(db).await?)
}

/// What issuing did.
#[derive(Debug)]
pub struct Issued {
    pub invoice: invoices::Model,
    /// The document was already issued (a double submit): nothing was done again.
    pub already: bool,
}

/// Loads what a document needs to be frozen, or refuses with the reason.
async fn seller_and_client(
    ctx: &AppContext,
    invoice: &invoices::Model,
) -> Result<
    (
        companies::Model,
        clients::Model,
        Option<company_logos::Model>,
    ),
    ServiceError,
> {
    let company = companies::Entity::find_by_id(invoice.company_id)
        .one(&ctx.db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let client = clients::Entity::find_by_id(invoice.client_id)
        .one(&ctx.db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let logo = super::company_profile::logo(ctx, company.id).await?;
    Ok((company, client, logo))
}

/// Issues a draft: number, frozen document, history, e-mail to the client (held for the
/// PDF), then the PDF job.
///
/// # Errors
/// `NotFound`; `Refused` (`company-profile-incomplete`, `client-email-required`,
/// `issue-date-before-last`, `issue-date-in-future`, `invoice-cancelled`, `invoice-changed`);
/// `Invalid` (lines, VAT treatments).
pub async fn issue(
    ctx: &AppContext,
    company_id: i64,
    user: Option<&users::Model>,
    pid: &str,
) -> Result<Issued, ServiceError> {
    let draft = docs::find(&ctx.db, company_id, pid).await?;
    match docs::status_of(&draft) {
        Status::Draft => {}
        Status::Cancelled => return Err(ServiceError::Refused("invoice-cancelled")),
        // Issued already (the button pressed twice): the first issue stands.
        _ => {
            return Ok(Issued {
                invoice: draft,
                already: true,
            })
        }
    }
    let (company, client, logo) = seller_and_client(ctx, &draft).await?;
    let Some(seller_block) = seller(&company, logo.as_ref().map(|l| l.sha256.clone())) else {
        return Err(ServiceError::Refused("company-profile-incomplete"));
    };
    let Some(client_email) = client.contact_email.clone() else {
        return Err(ServiceError::Refused("client-email-required"));
    };
    // Checked before taking a number for a quick answer; checked again under the lock.
    let (lines, adjustments) = docs::content(&ctx.db, draft.id).await?;
    check_issuable(
        &compute(&lines, &adjustments),
        &vat_context(&company, &client),
    )?;
    let kind = docs::kind_of(&draft);
    let corrects = match draft.corrected_invoice_id {
        Some(id) => invoices::Entity::find_by_id(id)
            .one(&ctx.db)
            .await?
            .and_then(|i| {
                i.number.map(|number| CorrectedInvoice {
                    number,
                    issue_date: i.issue_date,
                })
            }),
        None => None,
    };

    let now = crate::clock::of(ctx).now();
    let today = paris_date(now);
    let series = series_for(draft.issue_date, company.numbering_yearly_reset);
    let txn = ctx.db.begin().await?;
    let taken = take_numbers(&txn, company_id, kind, series, 1, now).await?;
    check_chronology(draft.issue_date, taken.last_issue_date, today)
        .map_err(ServiceError::Refused)?;
    // Re-read under a lock (the row on Postgres; SQLite's write lock is already ours): an
    // edit that committed since the checks above is refused, one that comes later waits
    // and then finds the document issued.
    let mut select = invoices::Entity::find_by_id(draft.id);
    if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        select = select.lock_exclusive();
    }
    let current = select.one(&txn).await?.ok_or(ServiceError::NotFound)?;
    if current.status != Status::Draft.as_str() {
        drop(txn);
        return Ok(Issued {
            invoice: docs::find(&ctx.db, company_id, pid).await?,
            already: true,
        });
    }
    if current.updated_at != draft.updated_at || current.client_id != draft.client_id {
        return Err(ServiceError::Refused("invoice-changed"));
    }
    // The content as it is under the lock is what gets frozen.
    let (lines, adjustments) = docs::content(&txn, draft.id).await?;
    let computed = compute(&lines, &adjustments);
    check_issuable(&computed, &vat_context(&company, &client))?;
    if kind == DocumentKind::CreditNote {
        settle_corrected_invoice(&txn, &current, &computed, user.map(|u| u.id), now).await?;
    }
    let prefix = match kind {
        DocumentKind::Invoice => &company.invoice_prefix,
        DocumentKind::CreditNote => &company.credit_note_prefix,
    };
    let number = format_number(prefix, taken.series, taken.first);
    if let Some(logo) = &logo {
        store_file(&txn, &logo.content_type, &logo.content, now).await?;
    }
    // A monthly invoice starts its subscription and bills its first period.
    let mut current = current;
    let subscription = if kind == DocumentKind::Invoice && current.recurrence == "monthly" {
        let first = crate::domain::subscription::period(current.issue_date, 0);
        current.period_start = Some(first.start);
        current.period_end = Some(first.end);
        current.delivery_date = first.start;
        let content = super::subscriptions::Content {
            label: current.label.clone(),
            payment_term_days: current.payment_term_days,
            operation: current.operation.clone(),
            notes: current.notes.clone(),
            lines: lines.clone(),
            adjustments: adjustments.clone(),
        };
        Some(
            super::subscriptions::start_from_invoice(
                &txn,
                &current,
                &content,
                user.map(|u| u.id),
                now,
            )
            .await?,
        )
    } else {
        None
    };
    let document = freeze(Freeze {
        kind,
        number: Some(number.clone()),
        test_mode: false,
        invoice: &current,
        seller: seller_block,
        buyer: buyer(&client),
        lines: &lines,
        computed: &computed,
        company: &company,
        corrects,
        issued_at: Some(now),
    });
    let document_json =
        serde_json::to_string(&document).map_err(|e| ServiceError::Other(e.to_string()))?;
    let next = transition(Status::Draft, Event::Issue)
        .map_err(ServiceError::Refused)?
        .unwrap_or(Status::Issued);
    let mut active = current.clone().into_active_model();
    active.status = Set(next.as_str().to_string());
    active.number = Set(Some(number.clone()));
    active.series_year = Set(Some(taken.series.year));
    active.sequence = Set(Some(taken.first));
    active.lines_cents = Set(computed.totals.lines_cents);
    active.allowances_cents = Set(computed.totals.allowances_cents);
    active.charges_cents = Set(computed.totals.charges_cents);
    active.net_cents = Set(computed.totals.net_cents);
    active.vat_cents = Set(computed.totals.vat_cents);
    active.total_cents = Set(computed.totals.total_cents);
    active.document_json = Set(Some(document_json));
    active.issued_at = Set(Some(now));
    active.issued_by = Set(user.map(|u| u.id));
    active.updated_at = Set(now);
    if let Some(subscription) = &subscription {
        active.subscription_id = Set(Some(subscription.id));
        active.period_index = Set(Some(0));
        active.period_start = Set(current.period_start);
        active.period_end = Set(current.period_end);
        active.delivery_date = Set(current.delivery_date);
    }
    let issued = active.update(&txn).await?;
    if let Some(subscription) = &subscription {
        super::subscriptions::record_event(
            &txn,
            subscription.id,
            "invoice_issued",
            Some(number.clone()),
            user.map(|u| u.id),
            Some(issued.id),
            now,
        )
        .await?;
    }
    advance_series_date(&txn, company_id, kind, taken.series, draft.issue_date).await?;
    docs::record_event(
        &txn,
        issued.id,
        "issued",
        Some(number.clone()),
        user.map(|u| u.id),
        now,
    )
    .await?;
    if let Some(corrected) = issued.corrected_invoice_id {
        docs::record_event(
            &txn,
            corrected,
            "credit_note",
            Some(number),
            user.map(|u| u.id),
            now,
        )
        .await?;
        // Now that the credit note counts: what was paid beyond what the invoice still
        // asks becomes the client's credit balance.
        crate::services::payments::after_credit_note(&txn, corrected, now).await?;
    }
    let (default_subject, default_body) = default_email(kind, Locale::Fr);
    // Every invoice e-mail links to the client's payment page with this invoice chosen.
    let payment_url = if kind == DocumentKind::Invoice {
        let urls = crate::services::payment_links::UrlMaker::of(ctx);
        Some(
            crate::services::payment_links::invoice_url(
                &txn,
                &urls,
                &issued,
                user.map(|u| u.id),
                now,
            )
            .await?,
        )
    } else {
        None
    };
    let message = write_document_mail(
        &txn,
        &issued,
        &document,
        (&client_email, client.contact_name.as_deref()),
        (
            current.email_subject.as_deref().unwrap_or(&default_subject),
            current.email_body.as_deref().unwrap_or(&default_body),
        ),
        payment_url.as_deref(),
        now,
    )
    .await?;
    docs::record_event(
        &txn,
        issued.id,
        "sent",
        Some(message.to_address.clone()),
        user.map(|u| u.id),
        now,
    )
    .await?;
    txn.commit().await?;
    jobs::enqueue_render(ctx, issued.id).await;
    Ok(Issued {
        invoice: issued,
        already: false,
    })
}

/// Checks a credit note against what its invoice still allows, under the series lock (so
/// two concurrent credit notes cannot both pass), and cancels the invoice when the credit
/// note is its cancellation or credits everything that remained.
async fn settle_corrected_invoice(
    txn: &DatabaseTransaction,
    credit_note: &invoices::Model,
    computed: &crate::domain::invoice::Computed,
    user_id: Option<i64>,
    now: DateTime<FixedOffset>,
) -> Result<(), ServiceError> {
    use crate::domain::credit_note::{check_credit, creditable_remainder};
    let invoice_id = credit_note
        .corrected_invoice_id
        .ok_or_else(|| ServiceError::Other("credit note without invoice".into()))?;
    let invoice = invoices::Entity::find_by_id(invoice_id)
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let status = docs::status_of(&invoice);
    transition(status, Event::Cancel).map_err(ServiceError::Refused)?;
    if credit_note.client_id != invoice.client_id || credit_note.company_id != invoice.company_id {
        return Err(ServiceError::Refused("credit-note-client-mismatch"));
    }
    let (lines, adjustments) = docs::content(txn, invoice.id).await?;
    let invoiced = compute(&lines, &adjustments);
    let mut earlier = Vec::new();
    for note in docs::credit_notes_of(txn, invoice.id).await? {
        let (l, a) = docs::content(txn, note.id).await?;
        earlier.push(compute(&l, &a));
    }
    check_credit(computed, &invoiced, &earlier).map_err(ServiceError::Refused)?;
    let mut totals: Vec<i64> = earlier.iter().map(|c| c.totals.total_cents).collect();
    totals.push(computed.totals.total_cents);
    let remainder = creditable_remainder(invoiced.totals.total_cents, &totals);
    if credit_note.cancels_invoice || remainder == 0 {
        let cancelled = transition(status, Event::Cancel)
            .map_err(ServiceError::Refused)?
            .unwrap_or(Status::Cancelled);
        invoices::Entity::update_many()
            .col_expr(invoices::Column::Status, Expr::value(cancelled.as_str()))
            .col_expr(invoices::Column::UpdatedAt, Expr::value(now))
            .filter(invoices::Column::Id.eq(invoice.id))
            .filter(invoices::Column::Status.eq(status.as_str()))
            .exec(txn)
            .await?;
        docs::record_event(txn, invoice.id, "cancelled", None, user_id, now).await?;
    }
    Ok(())
}

/// Field errors of a document that cannot be issued, for the API and the wizard.
#[must_use]
pub fn issue_errors(error: &ServiceError) -> Option<&FieldErrors> {
    match error {
        ServiceError::Invalid(errors) => Some(errors),
        _ => None,
    }
}

/// A draft as it would print now: no number, the current profile and client. `Err` says
/// why it cannot be frozen yet.
///
/// # Errors
/// Database errors.
pub async fn draft_document(
    ctx: &AppContext,
    invoice: &invoices::Model,
    test_mode: bool,
) -> Result<Result<InvoiceDocument, &'static str>, ServiceError> {
    let (company, client, logo) = seller_and_client(ctx, invoice).await?;
    let Some(seller_block) = seller(&company, logo.as_ref().map(|l| l.sha256.clone())) else {
        return Ok(Err("company-profile-incomplete"));
    };
    let (lines, adjustments) = docs::content(&ctx.db, invoice.id).await?;
    let computed = compute(&lines, &adjustments);
    Ok(Ok(freeze(Freeze {
        kind: docs::kind_of(invoice),
        number: None,
        test_mode,
        invoice,
        seller: seller_block,
        buyer: buyer(&client),
        lines: &lines,
        computed: &computed,
        company: &company,
        corrects: None,
        issued_at: None,
    })))
}

/// What would stop this draft from being issued, checked before the seller presses
/// "Envoyer" (the issue checks again inside its transaction).
///
/// # Errors
/// Database errors.
pub async fn check_draft(
    ctx: &AppContext,
    invoice: &invoices::Model,
) -> Result<Result<(), &'static str>, ServiceError> {
    let (company, client, _) = seller_and_client(ctx, invoice).await?;
    if seller(&company, None).is_none() {
        return Ok(Err("company-profile-incomplete"));
    }
    if client.contact_email.is_none() {
        return Ok(Err("client-email-required"));
    }
    let (lines, adjustments) = docs::content(&ctx.db, invoice.id).await?;
    if let Err(errors) = check_issuable(
        &compute(&lines, &adjustments),
        &vat_context(&company, &client),
    ) {
        return Ok(Err(errors.0.first().map_or("invoice-invalid", |e| e.code)));
    }
    Ok(Ok(()))
}

/// Test mode (from Pagero's Test/Cert send modes): the draft's PDF, watermarked
/// "TEST — sans valeur légale" and never numbered, is sent to the seller only.
///
/// # Errors
/// `Refused` when the draft cannot be printed yet; database or rendering errors.
pub async fn send_test(
    ctx: &AppContext,
    company_id: i64,
    user: &users::Model,
    pid: &str,
    idempotency_key: Option<&str>,
) -> Result<(), ServiceError> {
    let invoice = docs::find(&ctx.db, company_id, pid).await?;
    transition(docs::status_of(&invoice), Event::EditDraft).map_err(ServiceError::Refused)?;
    let document = draft_document(ctx, &invoice, true)
        .await?
        .map_err(ServiceError::Refused)?;
    let pdf = render_draft(ctx, invoice.company_id, &document).await?;
    let mut attachments = vec![mail::Attachment {
        filename: format!("TEST-{}.pdf", document.title_fr()),
        content_type: "application/pdf".into(),
        content: pdf,
    }];
    for (filename, file) in super::attachments::files_of(&ctx.db, invoice.id).await? {
        attachments.push(mail::Attachment {
            filename,
            content_type: file.content_type,
            content: file.content,
        });
    }
    let (default_subject, default_body) = default_email(document.kind, Locale::Fr);
    let subject = fill_placeholders(
        invoice.email_subject.as_deref().unwrap_or(&default_subject),
        &document,
        Locale::Fr,
    );
    let body = fill_placeholders(
        invoice.email_body.as_deref().unwrap_or(&default_body),
        &document,
        Locale::Fr,
    );
    let now = crate::clock::of(ctx).now();
    let txn = ctx.db.begin().await?;
    if let Some(key) = idempotency_key {
        // The test button pressed twice sends one e-mail.
        if !super::idempotency::claim(&txn, company_id, "invoice.test", key, invoice.pid, now)
            .await?
        {
            return Ok(());
        }
    }
    let message = mail::write_to_outbox(
        &txn,
        now,
        OutgoingMail {
            template: "document",
            locale: Locale::Fr,
            to_address: user.email.clone(),
            to_name: Some(user.name.clone()),
            company_id: Some(company_id),
            context: json!({
                "subject": format!("[TEST] {subject}"),
                "paragraphs": body.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).collect::<Vec<_>>(),
                "body": body,
                "company": document.seller.legal_name,
            }),
            attachments,
        },
    )
    .await?;
    docs::record_event(
        &txn,
        invoice.id,
        "test_sent",
        Some(user.email.clone()),
        Some(user.id),
        now,
    )
    .await?;
    txn.commit().await?;
    jobs::enqueue_mail(ctx, message.id).await;
    Ok(())
}

/// The number the next document of this series would get (shown in previews, never
/// reserved: the real number is taken at issue).
///
/// # Errors
/// Database errors.
pub async fn expected_number(
    ctx: &AppContext,
    company: &companies::Model,
    kind: DocumentKind,
    issue_date: NaiveDate,
) -> Result<String, ServiceError> {
    let series = series_for(issue_date, company.numbering_yearly_reset);
    let last = number_series::Entity::find()
        .filter(number_series::Column::CompanyId.eq(company.id))
        .filter(number_series::Column::Kind.eq(kind.as_str()))
        .filter(number_series::Column::Year.eq(series.year))
        .one(&ctx.db)
        .await?
        .map_or(0, |s| s.last_sequence);
    let prefix = match kind {
        DocumentKind::Invoice => &company.invoice_prefix,
        DocumentKind::CreditNote => &company.credit_note_prefix,
    };
    Ok(format_number(prefix, series, last + 1))
}

/// Renders a draft's PDF with the company's current logo (nothing is stored: drafts are
/// rendered on demand, issued documents once).
///
/// # Errors
/// Database or rendering errors.
pub async fn render_draft(
    ctx: &AppContext,
    company_id: i64,
    document: &InvoiceDocument,
) -> Result<Vec<u8>, ServiceError> {
    let logo = super::company_profile::logo(ctx, company_id)
        .await?
        .map(|l| l.content);
    let document = document.clone();
    tokio::task::spawn_blocking(move || {
        crate::documents::pdf::render_pdf(&document, logo.as_deref())
    })
    .await
    .map_err(|e| ServiceError::Other(format!("render task: {e}")))?
    .map_err(|e| ServiceError::Other(format!("render: {e}")))
}
