//! Payments and the ledger (DOMAIN.md "Payments and the payment page"): recording a
//! payment (card through Stripe, or by hand), reversing one, using a client's credit
//! balance, and what credit notes give back. Every balance is derived from the
//! append-only `ledger_entries`; invoice statuses follow from it in the same transaction.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDate};
use loco_rs::app::AppContext;
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;

use crate::{
    domain::{
        error::FieldErrors,
        invoice::{transition, Event, Status},
        locale::Locale,
        money::format_cents,
        payment::{self, Entry, Method},
    },
    mail::{self, OutgoingMail},
    models::_entities::{
        clients, companies, invoices, ledger_entries, payment_reversals, payments, users,
    },
    services::{invoices as docs, subscriptions::lock_company, ServiceError},
    views::document::DocumentKind,
};

/// Ledger entry kinds.
pub const KIND_PAYMENT: &str = "payment";
pub const KIND_REVERSAL: &str = "reversal";
pub const KIND_CREDIT_NOTE_EXCESS: &str = "credit_note_excess";
pub const KIND_CREDIT_APPLIED: &str = "credit_applied";

/// What was paid on each of these invoices (ledger entries on the invoice's account).
///
/// # Errors
/// Database errors.
pub async fn paid_totals<C: ConnectionTrait>(
    db: &C,
    invoice_ids: &[i64],
) -> Result<HashMap<i64, i64>, ServiceError> {
    if invoice_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Option<i64>, Option<i64>)> = ledger_entries::Entity::find()
        .select_only()
        .column(ledger_entries::Column::InvoiceId)
        .column_as(
            ledger_entries::Column::AmountCents.sum().cast_as("BIGINT"),
            "paid",
        )
        .filter(ledger_entries::Column::InvoiceId.is_in(invoice_ids.iter().copied()))
        .group_by(ledger_entries::Column::InvoiceId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, sum)| Some((id?, sum.unwrap_or(0))))
        .collect())
}

/// What credit notes and payments took off each of these invoices: what
/// [`docs::balance`] subtracts from the total.
///
/// # Errors
/// Database errors.
pub async fn taken_off<C: ConnectionTrait>(
    db: &C,
    invoice_ids: &[i64],
) -> Result<HashMap<i64, i64>, ServiceError> {
    let mut taken = docs::credited_totals(db, invoice_ids).await?;
    for (id, paid) in paid_totals(db, invoice_ids).await? {
        *taken.entry(id).or_insert(0) += paid;
    }
    Ok(taken)
}

/// The client's credit balance (overpayments and what credit notes gave back, less what
/// was used).
///
/// # Errors
/// Database errors.
pub async fn client_credit<C: ConnectionTrait>(
    db: &C,
    client_id: i64,
) -> Result<i64, ServiceError> {
    let sum: Option<Option<i64>> = ledger_entries::Entity::find()
        .select_only()
        .column_as(
            ledger_entries::Column::AmountCents.sum().cast_as("BIGINT"),
            "credit",
        )
        .filter(ledger_entries::Column::ClientId.eq(client_id))
        .filter(ledger_entries::Column::InvoiceId.is_null())
        .into_tuple()
        .one(db)
        .await?;
    Ok(sum.flatten().unwrap_or(0))
}

/// An invoice with what is left to pay on it.
#[derive(Debug, Clone)]
pub struct Due {
    pub invoice: invoices::Model,
    pub credited_cents: i64,
    pub paid_cents: i64,
    pub due_cents: i64,
}

/// An open invoice as the payment page and a card checkout need it (no frozen document:
/// only what is shown and summed).
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct OpenInvoice {
    pub id: i64,
    pub pid: uuid::Uuid,
    pub number: Option<String>,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub total_cents: i64,
    pub pdf_file_id: Option<i64>,
    pub credited_cents: i64,
    pub paid_cents: i64,
}

impl OpenInvoice {
    #[must_use]
    pub fn due_cents(&self) -> i64 {
        payment::amount_due(self.total_cents, self.credited_cents, self.paid_cents)
    }
}

/// `COALESCE((subquery), 0)` as a BIGINT on both backends (Postgres sums BIGINT as NUMERIC).
pub(crate) fn summed(subquery: sea_orm::sea_query::SelectStatement) -> Expr {
    use sea_orm::sea_query::{Func, QueryStatementBuilder};
    Expr::from(Func::coalesce([
        Expr::SubQuery(None, Box::new(subquery.into_sub_query_statement())),
        Expr::val(0i64),
    ]))
    .cast_as("BIGINT")
}

/// The open invoices of a client (issued or partly paid, something left to pay), oldest
/// due date first: what the payment page lists and what a card checkout pays. One query:
/// the page is the app's most requested one (see BENCHMARKS.md).
///
/// # Errors
/// Database errors.
pub async fn open_invoices<C: ConnectionTrait>(
    db: &C,
    company_id: i64,
    client_id: i64,
) -> Result<Vec<OpenInvoice>, ServiceError> {
    use sea_orm::sea_query::{Alias, Query};
    let credit_notes = Alias::new("credit_notes");
    let credited = Query::select()
        .expr(Expr::col((credit_notes.clone(), invoices::Column::TotalCents)).sum())
        .from_as(invoices::Entity, credit_notes.clone())
        .and_where(
            Expr::col((credit_notes.clone(), invoices::Column::CorrectedInvoiceId))
                .equals((invoices::Entity, invoices::Column::Id)),
        )
        .and_where(Expr::col((credit_notes, invoices::Column::Status)).ne(Status::Draft.as_str()))
        .to_owned();
    let paid = Query::select()
        .expr(Expr::col((ledger_entries::Entity, ledger_entries::Column::AmountCents)).sum())
        .from(ledger_entries::Entity)
        .and_where(
            Expr::col((ledger_entries::Entity, ledger_entries::Column::InvoiceId))
                .equals((invoices::Entity, invoices::Column::Id)),
        )
        .to_owned();
    let rows = invoices::Entity::find()
        .select_only()
        .columns([
            invoices::Column::Id,
            invoices::Column::Pid,
            invoices::Column::Number,
            invoices::Column::IssueDate,
            invoices::Column::DueDate,
            invoices::Column::TotalCents,
            invoices::Column::PdfFileId,
        ])
        .expr_as(summed(credited), "credited_cents")
        .expr_as(summed(paid), "paid_cents")
        .filter(invoices::Column::CompanyId.eq(company_id))
        .filter(invoices::Column::ClientId.eq(client_id))
        .filter(invoices::Column::Kind.eq(DocumentKind::Invoice.as_str()))
        .filter(invoices::Column::TestMode.eq(false))
        .filter(
            invoices::Column::Status
                .is_in([Status::Issued.as_str(), Status::PartiallyPaid.as_str()]),
        )
        .order_by_asc(invoices::Column::DueDate)
        .order_by_asc(invoices::Column::Id)
        .into_model::<OpenInvoice>()
        .all(db)
        .await?;
    Ok(rows.into_iter().filter(|r| r.due_cents() > 0).collect())
}

/// What is left to pay on each of these invoices (in the order given).
///
/// # Errors
/// Database errors.
pub async fn dues_of<C: ConnectionTrait>(
    db: &C,
    rows: Vec<invoices::Model>,
) -> Result<Vec<Due>, ServiceError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let credited = docs::credited_totals(db, &ids).await?;
    let paid = paid_totals(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|invoice| {
            let credited_cents = credited.get(&invoice.id).copied().unwrap_or(0);
            let paid_cents = paid.get(&invoice.id).copied().unwrap_or(0);
            let open = matches!(
                docs::status_of(&invoice),
                Status::Issued | Status::PartiallyPaid
            ) && invoice.kind == DocumentKind::Invoice.as_str();
            let due_cents = if open {
                payment::amount_due(invoice.total_cents, credited_cents, paid_cents)
            } else {
                0
            };
            Due {
                invoice,
                credited_cents,
                paid_cents,
                due_cents,
            }
        })
        .collect())
}

async fn write_entries(
    txn: &DatabaseTransaction,
    company_id: i64,
    client_id: i64,
    payment_id: Option<i64>,
    kind: &str,
    entries: &[Entry],
    now: DateTime<FixedOffset>,
) -> Result<(), ServiceError> {
    if entries.is_empty() {
        return Ok(());
    }
    let rows = entries.iter().map(|e| ledger_entries::ActiveModel {
        created_at: Set(now),
        company_id: Set(company_id),
        client_id: Set(client_id),
        kind: Set(kind.to_string()),
        payment_id: Set(payment_id),
        invoice_id: Set(e.invoice_id),
        amount_cents: Set(e.amount_cents),
        ..Default::default()
    });
    ledger_entries::Entity::insert_many(rows).exec(txn).await?;
    Ok(())
}

/// Brings the status of these invoices in line with the ledger (issued, partially paid,
/// paid); a cancelled invoice stays cancelled.
async fn settle(
    txn: &DatabaseTransaction,
    invoice_ids: &[i64],
    now: DateTime<FixedOffset>,
) -> Result<(), ServiceError> {
    let rows = invoices::Entity::find()
        .filter(invoices::Column::Id.is_in(invoice_ids.iter().copied()))
        .all(txn)
        .await?;
    let credited = docs::credited_totals(txn, invoice_ids).await?;
    let paid = paid_totals(txn, invoice_ids).await?;
    for invoice in rows {
        let status = docs::status_of(&invoice);
        if status == Status::Cancelled || status == Status::Draft {
            continue;
        }
        let paid_cents = paid.get(&invoice.id).copied().unwrap_or(0);
        let balance_cents = payment::amount_due(
            invoice.total_cents,
            credited.get(&invoice.id).copied().unwrap_or(0),
            paid_cents,
        );
        let next = transition(
            status,
            Event::Settle {
                balance_cents,
                paid_cents,
            },
        )
        .map_err(ServiceError::Refused)?
        .unwrap_or(status);
        if next != status {
            invoices::Entity::update_many()
                .col_expr(invoices::Column::Status, Expr::value(next.as_str()))
                .col_expr(invoices::Column::UpdatedAt, Expr::value(now))
                .filter(invoices::Column::Id.eq(invoice.id))
                .exec(txn)
                .await?;
        }
    }
    Ok(())
}

/// A payment to record.
#[derive(Debug, Clone)]
pub struct NewPayment {
    pub client_id: i64,
    pub method: Method,
    pub amount_cents: i64,
    pub received_on: NaiveDate,
    pub reference: Option<String>,
    /// The invoices it pays, in the payer's order; what is left goes to the credit balance.
    pub invoice_ids: Vec<i64>,
    /// The invoice a payment recorded by hand was entered on.
    pub entered_on_invoice: Option<i64>,
    pub stripe_payment_intent_id: Option<String>,
    pub payment_request_id: Option<i64>,
    pub recorded_by: Option<i64>,
    pub idempotency_key: Option<String>,
}

/// What recording did.
#[derive(Debug)]
pub struct Recorded {
    pub payment: payments::Model,
    /// The same payment was already recorded (a retry): nothing was written again.
    pub already: bool,
    /// E-mails written (seller notice, client receipt), to queue once committed.
    pub outbox_ids: Vec<i64>,
}

/// Records a payment inside `txn`: the payment, its ledger entries, the history of each
/// invoice it pays, their statuses, and the two e-mails. Serialised per company (the
/// numbering lock), so two payments of one invoice never both take what it asks.
///
/// # Errors
/// `payment-amount-invalid`, database errors.
pub async fn record_in(
    txn: &DatabaseTransaction,
    company: &companies::Model,
    new: NewPayment,
    now: DateTime<FixedOffset>,
) -> Result<Recorded, ServiceError> {
    lock_company(txn, company, now).await?;
    let existing = if let Some(pi) = &new.stripe_payment_intent_id {
        payments::Entity::find()
            .filter(payments::Column::StripePaymentIntentId.eq(pi.as_str()))
            .one(txn)
            .await?
    } else if let Some(key) = &new.idempotency_key {
        payments::Entity::find()
            .filter(payments::Column::CompanyId.eq(company.id))
            .filter(payments::Column::IdempotencyKey.eq(key.as_str()))
            .one(txn)
            .await?
    } else {
        None
    };
    if let Some(payment) = existing {
        return Ok(Recorded {
            payment,
            already: true,
            outbox_ids: vec![],
        });
    }
    let client = clients::Entity::find_by_id(new.client_id)
        .filter(clients::Column::CompanyId.eq(company.id))
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    // Only this client's invoices of this company, in the order asked.
    let rows = invoices::Entity::find()
        .filter(invoices::Column::Id.is_in(new.invoice_ids.iter().copied()))
        .filter(invoices::Column::CompanyId.eq(company.id))
        .filter(invoices::Column::ClientId.eq(client.id))
        .all(txn)
        .await?;
    let mut ordered: Vec<invoices::Model> = Vec::new();
    for id in &new.invoice_ids {
        if let Some(row) = rows.iter().find(|r| r.id == *id) {
            ordered.push(row.clone());
        }
    }
    let dues = dues_of(txn, ordered).await?;
    let allocation = payment::allocate(
        new.amount_cents,
        &dues
            .iter()
            .map(|d| (d.invoice.id, d.due_cents))
            .collect::<Vec<_>>(),
    )
    .map_err(ServiceError::Refused)?;
    let payment = payments::ActiveModel {
        created_at: Set(now),
        pid: Set(uuid::Uuid::new_v4()),
        company_id: Set(company.id),
        client_id: Set(client.id),
        method: Set(new.method.as_str().to_string()),
        amount_cents: Set(new.amount_cents),
        currency: Set("EUR".to_string()),
        received_on: Set(new.received_on),
        reference: Set(new.reference.clone()),
        invoice_id: Set(new.entered_on_invoice),
        stripe_payment_intent_id: Set(new.stripe_payment_intent_id.clone()),
        payment_request_id: Set(new.payment_request_id),
        recorded_by: Set(new.recorded_by),
        idempotency_key: Set(new.idempotency_key.clone()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    write_entries(
        txn,
        company.id,
        client.id,
        Some(payment.id),
        KIND_PAYMENT,
        &payment::payment_entries(&allocation),
        now,
    )
    .await?;
    let locale = Locale::Fr;
    for (invoice_id, cents) in &allocation.to_invoices {
        docs::record_event(
            txn,
            *invoice_id,
            "payment_received",
            Some(format!(
                "{} ({})",
                format_cents(*cents, locale),
                crate::i18n::tr(locale, &format!("payment-method-{}", new.method.as_str()))
            )),
            new.recorded_by,
            now,
        )
        .await?;
    }
    let paid_ids: Vec<i64> = allocation.to_invoices.iter().map(|(id, _)| *id).collect();
    settle(txn, &paid_ids, now).await?;
    let numbers: Vec<String> = dues
        .iter()
        .filter(|d| paid_ids.contains(&d.invoice.id))
        .filter_map(|d| d.invoice.number.clone())
        .collect();
    let outbox_ids = notify(
        txn,
        company,
        &client,
        &payment,
        &numbers,
        allocation.to_credit,
        now,
    )
    .await?;
    Ok(Recorded {
        payment,
        already: false,
        outbox_ids,
    })
}

/// "Paiement reçu" to the seller (contact e-mail, else the admins) and a receipt to the
/// client's billing contact.
async fn notify(
    txn: &DatabaseTransaction,
    company: &companies::Model,
    client: &clients::Model,
    payment: &payments::Model,
    numbers: &[String],
    to_credit: i64,
    now: DateTime<FixedOffset>,
) -> Result<Vec<i64>, ServiceError> {
    let locale = Locale::Fr;
    let context = json!({
        "company": company.legal_name,
        "client": client.legal_name,
        "amount": format_cents(payment.amount_cents, locale),
        "method_key": format!("payment-method-{}", payment.method),
        "date": payment.received_on.format("%d/%m/%Y").to_string(),
        "reference": payment.reference,
        "invoices": numbers.join(", "),
        "credit": (to_credit > 0).then(|| format_cents(to_credit, locale)),
    });
    let mut recipients: Vec<(String, Option<String>)> = Vec::new();
    if let Some(email) = company.contact_email.clone() {
        recipients.push((email, None));
    } else {
        let admins = users::Entity::find()
            .filter(users::Column::CompanyId.eq(company.id))
            .filter(users::Column::Role.eq(crate::domain::roles::Role::Admin.as_str()))
            .all(txn)
            .await?;
        recipients.extend(admins.into_iter().map(|u| (u.email, Some(u.name))));
    }
    let mut ids = Vec::new();
    for (to_address, to_name) in recipients {
        let message = mail::write_to_outbox(
            txn,
            now,
            OutgoingMail {
                template: "payment_received",
                locale,
                to_address,
                to_name,
                company_id: Some(company.id),
                context: context.clone(),
                attachments: vec![],
            },
        )
        .await?;
        ids.push(message.id);
    }
    if let Some(email) = client.contact_email.clone() {
        let message = mail::write_to_outbox(
            txn,
            now,
            OutgoingMail {
                template: "payment_receipt",
                locale,
                to_address: email,
                to_name: client.contact_name.clone(),
                company_id: Some(company.id),
                context,
                attachments: vec![],
            },
        )
        .await?;
        ids.push(message.id);
    }
    Ok(ids)
}

/// A payment recorded by hand on an invoice, as the seller's form or the API gives it.
#[derive(Debug, Clone, Default)]
pub struct ManualInput {
    pub received_on: String,
    pub amount: String,
    pub method: String,
    pub reference: String,
    pub idempotency_key: Option<String>,
}

/// Parses a manual payment; every field error at once, nothing written.
///
/// # Errors
/// The field errors.
pub fn parse_manual(
    input: &ManualInput,
    today: NaiveDate,
) -> Result<(NaiveDate, i64, Method, Option<String>), FieldErrors> {
    let mut errors = FieldErrors::default();
    let date = crate::domain::draft::parse_date(&input.received_on);
    let date = match date {
        Ok(d) if d > today => {
            errors.push("received_on", "payment-date-future");
            None
        }
        Ok(d) => Some(d),
        Err(code) => {
            errors.push("received_on", code);
            None
        }
    };
    let amount = match crate::domain::money::parse_cents(&input.amount) {
        Ok(0) => {
            errors.push("amount", "payment-amount-invalid");
            None
        }
        Ok(cents) => Some(cents),
        Err(code) => {
            errors.push("amount", code);
            None
        }
    };
    let method = match Method::parse_manual(input.method.trim()) {
        Ok(m) => Some(m),
        Err(code) => {
            errors.push("method", code);
            None
        }
    };
    let reference = input.reference.trim();
    if reference.chars().count() > 100 {
        errors.push("reference", "reference-too-long");
    }
    match (date, amount, method) {
        (Some(d), Some(a), Some(m)) if errors.is_empty() => Ok((
            d,
            a,
            m,
            (!reference.is_empty()).then(|| reference.to_string()),
        )),
        _ => Err(errors),
    }
}

/// Records a payment received outside (transfer, cheque, cash) on an invoice: it pays
/// that invoice first, then the client's other open invoices stay untouched and any
/// excess becomes the client's credit balance.
///
/// # Errors
/// Field errors, `NotFound` (another company's invoice), `invoice-not-open`.
pub async fn record_manual(
    ctx: &AppContext,
    company: &companies::Model,
    user_id: Option<i64>,
    invoice_pid: &str,
    input: &ManualInput,
) -> Result<Recorded, ServiceError> {
    let now = crate::clock::of(ctx).now();
    let today = crate::services::issue_invoice::paris_date(now);
    let invoice = docs::find(&ctx.db, company.id, invoice_pid).await?;
    let (received_on, amount_cents, method, reference) = parse_manual(input, today)?;
    if invoice.kind != DocumentKind::Invoice.as_str()
        || !matches!(
            docs::status_of(&invoice),
            Status::Issued | Status::PartiallyPaid | Status::Paid
        )
    {
        return Err(ServiceError::Refused("invoice-not-open"));
    }
    let txn = ctx.db.begin().await?;
    let recorded = record_in(
        &txn,
        company,
        NewPayment {
            client_id: invoice.client_id,
            method,
            amount_cents,
            received_on,
            reference,
            invoice_ids: vec![invoice.id],
            entered_on_invoice: Some(invoice.id),
            stripe_payment_intent_id: None,
            payment_request_id: None,
            recorded_by: user_id,
            idempotency_key: input.idempotency_key.clone(),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    crate::jobs::enqueue_mails(ctx, recorded.outbox_ids.clone()).await;
    Ok(recorded)
}

/// A payment of this company by its public id.
///
/// # Errors
/// `NotFound`, also for another company's payment.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    company_id: i64,
    pid: &str,
) -> Result<payments::Model, ServiceError> {
    let uuid = uuid::Uuid::parse_str(pid.trim()).map_err(|_| ServiceError::NotFound)?;
    payments::Entity::find()
        .filter(payments::Column::Pid.eq(uuid))
        .filter(payments::Column::CompanyId.eq(company_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// Reverses a wrong payment with a reason: the opposite entries, never a deletion.
/// Reversing twice changes nothing the second time.
///
/// # Errors
/// `reason` field error, `NotFound`, `payment-credit-used`.
pub async fn reverse(
    ctx: &AppContext,
    company: &companies::Model,
    user_id: Option<i64>,
    payment_pid: &str,
    reason: &str,
) -> Result<payments::Model, ServiceError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        let mut errors = FieldErrors::default();
        errors.push(
            "reason",
            if reason.is_empty() {
                "reason-required"
            } else {
                "reason-too-long"
            },
        );
        return Err(ServiceError::Invalid(errors));
    }
    let now = crate::clock::of(ctx).now();
    let txn = ctx.db.begin().await?;
    lock_company(&txn, company, now).await?;
    let payment = find(&txn, company.id, payment_pid).await?;
    let already = payment_reversals::Entity::find()
        .filter(payment_reversals::Column::PaymentId.eq(payment.id))
        .count(&txn)
        .await?
        > 0;
    if already {
        txn.rollback().await?;
        return Ok(payment);
    }
    let entries: Vec<Entry> = ledger_entries::Entity::find()
        .filter(ledger_entries::Column::PaymentId.eq(payment.id))
        .filter(ledger_entries::Column::Kind.eq(KIND_PAYMENT))
        .all(&txn)
        .await?
        .into_iter()
        .map(|e| Entry {
            invoice_id: e.invoice_id,
            amount_cents: e.amount_cents,
        })
        .collect();
    let credit = client_credit(&txn, payment.client_id).await?;
    let reversal = payment::reversal_entries(&entries, credit).map_err(ServiceError::Refused)?;
    payment_reversals::ActiveModel {
        created_at: Set(now),
        payment_id: Set(payment.id),
        reason: Set(reason.to_string()),
        reversed_by: Set(user_id),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    write_entries(
        &txn,
        company.id,
        payment.client_id,
        Some(payment.id),
        KIND_REVERSAL,
        &reversal,
        now,
    )
    .await?;
    let invoice_ids: Vec<i64> = reversal.iter().filter_map(|e| e.invoice_id).collect();
    for invoice_id in &invoice_ids {
        docs::record_event(
            &txn,
            *invoice_id,
            "payment_reversed",
            Some(reason.to_string()),
            user_id,
            now,
        )
        .await?;
    }
    settle(&txn, &invoice_ids, now).await?;
    txn.commit().await?;
    Ok(payment)
}

/// Uses the client's credit balance on an invoice (at most what it asks).
///
/// # Errors
/// `NotFound`, `client-credit-none`, `invoice-nothing-due`.
pub async fn apply_credit(
    ctx: &AppContext,
    company: &companies::Model,
    user_id: Option<i64>,
    invoice_pid: &str,
) -> Result<i64, ServiceError> {
    let now = crate::clock::of(ctx).now();
    let txn = ctx.db.begin().await?;
    lock_company(&txn, company, now).await?;
    let invoice = docs::find(&txn, company.id, invoice_pid).await?;
    let due = dues_of(&txn, vec![invoice.clone()])
        .await?
        .pop()
        .map_or(0, |d| d.due_cents);
    let credit = client_credit(&txn, invoice.client_id).await?;
    let entries = payment::apply_credit(credit, invoice.id, due).map_err(ServiceError::Refused)?;
    write_entries(
        &txn,
        company.id,
        invoice.client_id,
        None,
        KIND_CREDIT_APPLIED,
        &entries,
        now,
    )
    .await?;
    let used = entries[1].amount_cents;
    docs::record_event(
        &txn,
        invoice.id,
        "credit_applied",
        Some(format_cents(used, Locale::Fr)),
        user_id,
        now,
    )
    .await?;
    settle(&txn, &[invoice.id], now).await?;
    txn.commit().await?;
    Ok(used)
}

/// After a credit note on `invoice_id` (in the issuing transaction): what was paid beyond
/// what the invoice still asks goes to the client's credit balance (DOMAIN.md: a credit
/// note on a partly paid invoice leaves a credit balance), and the status follows.
///
/// # Errors
/// Database errors.
pub async fn after_credit_note(
    txn: &DatabaseTransaction,
    invoice_id: i64,
    now: DateTime<FixedOffset>,
) -> Result<(), ServiceError> {
    let Some(invoice) = invoices::Entity::find_by_id(invoice_id).one(txn).await? else {
        return Ok(());
    };
    let credited = docs::credited_totals(txn, &[invoice_id])
        .await?
        .get(&invoice_id)
        .copied()
        .unwrap_or(0);
    let paid = paid_totals(txn, &[invoice_id])
        .await?
        .get(&invoice_id)
        .copied()
        .unwrap_or(0);
    let excess = payment::overpaid(invoice.total_cents, credited, paid);
    if excess > 0 {
        write_entries(
            txn,
            invoice.company_id,
            invoice.client_id,
            None,
            KIND_CREDIT_NOTE_EXCESS,
            &[
                Entry {
                    invoice_id: Some(invoice_id),
                    amount_cents: -excess,
                },
                Entry {
                    invoice_id: None,
                    amount_cents: excess,
                },
            ],
            now,
        )
        .await?;
    }
    settle(txn, &[invoice_id], now).await
}

/// One payment as lists show it.
#[derive(Debug, Clone)]
pub struct PaymentRow {
    pub payment: payments::Model,
    pub client_name: String,
    pub reversal: Option<payment_reversals::Model>,
    /// (invoice pid, number, amount) paid by this payment.
    pub invoices: Vec<(uuid::Uuid, Option<String>, i64)>,
    pub to_credit_cents: i64,
}

/// Payments of a company, newest first (optionally one client's, or one invoice's).
///
/// # Errors
/// Database errors.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    company_id: i64,
    client_id: Option<i64>,
    invoice_id: Option<i64>,
    offset: u64,
    limit: u64,
) -> Result<(Vec<PaymentRow>, u64), ServiceError> {
    list_where(db, company_id, None, client_id, invoice_id, offset, limit).await
}

/// One payment of this company as lists show it.
///
/// # Errors
/// `NotFound`, database errors.
pub async fn row_of<C: ConnectionTrait>(
    db: &C,
    company_id: i64,
    payment_id: i64,
) -> Result<PaymentRow, ServiceError> {
    list_where(db, company_id, Some(payment_id), None, None, 0, 1)
        .await?
        .0
        .pop()
        .ok_or(ServiceError::NotFound)
}

async fn list_where<C: ConnectionTrait>(
    db: &C,
    company_id: i64,
    payment_id: Option<i64>,
    client_id: Option<i64>,
    invoice_id: Option<i64>,
    offset: u64,
    limit: u64,
) -> Result<(Vec<PaymentRow>, u64), ServiceError> {
    let mut select = payments::Entity::find().filter(payments::Column::CompanyId.eq(company_id));
    if let Some(payment_id) = payment_id {
        select = select.filter(payments::Column::Id.eq(payment_id));
    }
    if let Some(client_id) = client_id {
        select = select.filter(payments::Column::ClientId.eq(client_id));
    }
    if let Some(invoice_id) = invoice_id {
        let payment_ids: Vec<i64> = ledger_entries::Entity::find()
            .select_only()
            .column(ledger_entries::Column::PaymentId)
            .filter(ledger_entries::Column::InvoiceId.eq(invoice_id))
            .filter(ledger_entries::Column::PaymentId.is_not_null())
            .into_tuple::<Option<i64>>()
            .all(db)
            .await?
            .into_iter()
            .flatten()
            .collect();
        select = select.filter(payments::Column::Id.is_in(payment_ids));
    }
    let total = select.clone().count(db).await?;
    let rows = select
        .order_by_desc(payments::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
    let client_ids: Vec<i64> = rows.iter().map(|p| p.client_id).collect();
    let names: HashMap<i64, String> = clients::Entity::find()
        .filter(clients::Column::Id.is_in(client_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.legal_name))
        .collect();
    let reversals: HashMap<i64, payment_reversals::Model> = payment_reversals::Entity::find()
        .filter(payment_reversals::Column::PaymentId.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.payment_id, r))
        .collect();
    let entries = ledger_entries::Entity::find()
        .filter(ledger_entries::Column::PaymentId.is_in(ids.iter().copied()))
        .filter(ledger_entries::Column::Kind.eq(KIND_PAYMENT))
        .order_by_asc(ledger_entries::Column::Id)
        .all(db)
        .await?;
    let invoice_ids: Vec<i64> = entries.iter().filter_map(|e| e.invoice_id).collect();
    let numbers: HashMap<i64, (uuid::Uuid, Option<String>)> = invoices::Entity::find()
        .filter(invoices::Column::Id.is_in(invoice_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, (i.pid, i.number)))
        .collect();
    Ok((
        rows.into_iter()
            .map(|payment| {
                let own = entries.iter().filter(|e| e.payment_id == Some(payment.id));
                let mut invoices = Vec::new();
                let mut to_credit_cents = 0;
                for entry in own {
                    match entry.invoice_id.and_then(|id| numbers.get(&id)) {
                        Some((pid, number)) => {
                            invoices.push((*pid, number.clone(), entry.amount_cents))
                        }
                        None => to_credit_cents += entry.amount_cents,
                    }
                }
                PaymentRow {
                    client_name: names.get(&payment.client_id).cloned().unwrap_or_default(),
                    reversal: reversals.get(&payment.id).cloned(),
                    payment,
                    invoices,
                    to_credit_cents,
                }
            })
            .collect(),
        total,
    ))
}

/// Sum of payments received (net of reversals) per company, for the dashboard.
///
/// # Errors
/// Database errors.
pub async fn collected_cents<C: ConnectionTrait>(
    db: &C,
    company_id: i64,
) -> Result<i64, ServiceError> {
    let sum: Option<Option<i64>> = ledger_entries::Entity::find()
        .select_only()
        .column_as(
            ledger_entries::Column::AmountCents.sum().cast_as("BIGINT"),
            "collected",
        )
        .filter(ledger_entries::Column::CompanyId.eq(company_id))
        .filter(ledger_entries::Column::Kind.is_in([KIND_PAYMENT, KIND_REVERSAL]))
        .into_tuple()
        .one(db)
        .await?;
    Ok(sum.flatten().unwrap_or(0))
}

/// What the company's issued invoices still ask (after credit notes and payments), for
/// the dashboard.
///
/// # Errors
/// Database errors.
pub async fn outstanding_cents<C: ConnectionTrait>(
    db: &C,
    company_id: i64,
) -> Result<i64, ServiceError> {
    let rows = invoices::Entity::find()
        .filter(invoices::Column::CompanyId.eq(company_id))
        .filter(invoices::Column::Kind.eq(DocumentKind::Invoice.as_str()))
        .filter(invoices::Column::TestMode.eq(false))
        .filter(
            invoices::Column::Status
                .is_in([Status::Issued.as_str(), Status::PartiallyPaid.as_str()]),
        )
        .all(db)
        .await?;
    Ok(dues_of(db, rows).await?.iter().map(|d| d.due_cents).sum())
}
