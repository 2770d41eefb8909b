//! "Annuler la facture" and partial corrections: a credit note (type 381) referencing the
//! invoice, previewed before it is created, issued in its own series and e-mailed to the
//! client. An issued invoice is never edited; this is the only way to correct it.

use loco_rs::app::AppContext;
use sea_orm::{ActiveModelTrait, Set, TransactionTrait};

use super::{idempotency, invoices as docs, issue_invoice, ServiceError};
use crate::{
    domain::{
        credit_note::{amount_line, check_credit, closing_lines, full_mirror, partial_lines},
        error::FieldErrors,
        invoice::{compute, transition, Adjustment, Computed, Event, Line, Status},
        money::parse_cents,
        vat::VatCode,
    },
    models::_entities::{invoices, users},
    views::document::DocumentKind,
};

/// What to credit.
#[derive(Debug, Clone)]
pub enum CreditRequest {
    /// Cancel the invoice: credit everything that remains.
    Cancel,
    /// Chosen lines of the invoice (index, quantity; empty quantity = the whole line).
    Lines(Vec<(usize, String)>),
    /// An amount excluding VAT on one of the invoice's VAT treatments.
    Amount {
        net: String,
        vat: String,
        reason: String,
    },
}

/// A credit note as it will be issued.
#[derive(Debug, Clone)]
pub struct CreditPreview {
    pub invoice: invoices::Model,
    pub lines: Vec<Line>,
    pub adjustments: Vec<Adjustment>,
    pub computed: Computed,
    pub cancels: bool,
    /// What remained creditable before this credit note.
    pub remainder_cents: i64,
}

/// Computes the credit note a request would create, without writing anything.
///
/// # Errors
/// `NotFound`; `Refused` (`invoice-cancelled`, `invoice-not-issued`, `not-an-invoice`,
/// `credit-exceeds-remainder`, `credit-note-empty`, `credit-vat-not-on-invoice`);
/// `Invalid` for a malformed amount or line choice.
pub async fn preview(
    ctx: &AppContext,
    company_id: i64,
    invoice_pid: &str,
    request: &CreditRequest,
) -> Result<CreditPreview, ServiceError> {
    let invoice = docs::find(&ctx.db, company_id, invoice_pid).await?;
    if docs::kind_of(&invoice) != DocumentKind::Invoice {
        return Err(ServiceError::Refused("not-an-invoice"));
    }
    transition(docs::status_of(&invoice), Event::Cancel).map_err(ServiceError::Refused)?;
    let (invoice_lines, invoice_adjustments) = docs::content(&ctx.db, invoice.id).await?;
    let invoiced = compute(&invoice_lines, &invoice_adjustments);
    let mut earlier = Vec::new();
    for note in docs::credit_notes_of(&ctx.db, invoice.id).await? {
        let (l, a) = docs::content(&ctx.db, note.id).await?;
        earlier.push(compute(&l, &a));
    }
    let remainder_cents =
        invoiced.totals.total_cents - earlier.iter().map(|c| c.totals.total_cents).sum::<i64>();
    let (lines, adjustments, cancels) = match request {
        CreditRequest::Cancel if earlier.is_empty() => {
            let (l, a) = full_mirror(&invoice_lines, &invoice_adjustments);
            (l, a, true)
        }
        CreditRequest::Cancel => {
            let credited: Vec<_> = earlier.iter().flat_map(|c| c.breakdown.clone()).collect();
            let description = format!(
                "Solde de la facture {}",
                invoice.number.as_deref().unwrap_or_default()
            );
            (
                closing_lines(
                    &invoiced.breakdown,
                    &credited,
                    remainder_cents,
                    &description,
                ),
                Vec::new(),
                true,
            )
        }
        CreditRequest::Lines(chosen) => {
            if chosen.is_empty() {
                return Err(FieldErrors::single("lines", "credit-lines-required").into());
            }
            let lines = partial_lines(&invoice_lines, chosen)
                .map_err(|(_, code)| ServiceError::Invalid(FieldErrors::single("lines", code)))?;
            (lines, Vec::new(), false)
        }
        CreditRequest::Amount { net, vat, reason } => {
            let mut errors = FieldErrors::default();
            let cents = errors.take("amount", parse_cents(net));
            let vat = errors.take("vat", VatCode::parse(vat));
            let (Some(cents), Some(vat)) = (cents, vat) else {
                return Err(errors.into());
            };
            let description = if reason.trim().is_empty() {
                format!(
                    "Réduction sur la facture {}",
                    invoice.number.as_deref().unwrap_or_default()
                )
            } else {
                reason.trim().chars().take(200).collect()
            };
            (
                vec![amount_line(&description, cents, vat)],
                Vec::new(),
                false,
            )
        }
    };
    let computed = compute(&lines, &adjustments);
    check_credit(&computed, &invoiced, &earlier).map_err(ServiceError::Refused)?;
    Ok(CreditPreview {
        invoice,
        lines,
        adjustments,
        computed,
        cancels,
        remainder_cents,
    })
}

const CREATE_SCOPE: &str = "credit_note.create";

/// Creates and issues the credit note (numbered in the credit note series, e-mailed to the
/// client with its PDF). With the same idempotency key, a repeated request returns the
/// first credit note.
///
/// # Errors
/// As [`preview`], and as [`issue_invoice::issue`].
pub async fn create(
    ctx: &AppContext,
    company_id: i64,
    user: Option<&users::Model>,
    invoice_pid: &str,
    request: &CreditRequest,
    idempotency_key: Option<&str>,
) -> Result<invoices::Model, ServiceError> {
    if let Some(key) = idempotency_key {
        if let Some(pid) = idempotency::earlier(&ctx.db, company_id, CREATE_SCOPE, key).await? {
            return replayed(ctx, company_id, &pid.to_string()).await;
        }
    }
    let preview = preview(ctx, company_id, invoice_pid, request).await?;
    let invoice = &preview.invoice;
    let now = crate::clock::of(ctx).now();
    let today = issue_invoice::paris_date(now);
    let txn = ctx.db.begin().await?;
    let draft = invoices::ActiveModel {
        pid: Set(uuid::Uuid::new_v4()),
        company_id: Set(company_id),
        client_id: Set(invoice.client_id),
        kind: Set(DocumentKind::CreditNote.as_str().to_string()),
        status: Set(Status::Draft.as_str().to_string()),
        test_mode: Set(false),
        label: Set(format!(
            "Avoir sur la facture {}",
            invoice.number.as_deref().unwrap_or_default()
        )),
        currency: Set(invoice.currency.clone()),
        issue_date: Set(today),
        due_date: Set(today),
        payment_term_days: Set(0),
        delivery_date: Set(invoice.delivery_date),
        period_start: Set(invoice.period_start),
        period_end: Set(invoice.period_end),
        operation: Set(invoice.operation.clone()),
        corrected_invoice_id: Set(Some(invoice.id)),
        cancels_invoice: Set(preview.cancels),
        lines_cents: Set(preview.computed.totals.lines_cents),
        allowances_cents: Set(preview.computed.totals.allowances_cents),
        charges_cents: Set(preview.computed.totals.charges_cents),
        net_cents: Set(preview.computed.totals.net_cents),
        vat_cents: Set(preview.computed.totals.vat_cents),
        total_cents: Set(preview.computed.totals.total_cents),
        wizard_step: Set(3),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    docs::insert_content(&txn, draft.id, &preview.lines, &preview.adjustments, now).await?;
    docs::record_event(&txn, draft.id, "created", None, user.map(|u| u.id), now).await?;
    if let Some(key) = idempotency_key {
        if let Err(error) =
            idempotency::record(&txn, company_id, CREATE_SCOPE, key, draft.pid, now).await
        {
            drop(txn);
            // A concurrent twin with the same key got there first: answer with its note.
            return match idempotency::earlier(&ctx.db, company_id, CREATE_SCOPE, key).await? {
                Some(pid) => replayed(ctx, company_id, &pid.to_string()).await,
                None => Err(error.into()),
            };
        }
    }
    txn.commit().await?;
    match issue_invoice::issue(ctx, company_id, user, &draft.pid.to_string()).await {
        Ok(issued) => Ok(issued.invoice),
        Err(error) => {
            // Not issued (a concurrent credit note took the remainder, the profile is
            // incomplete...): the draft credit note is not kept.
            let _ = docs::delete_draft(ctx, company_id, &draft.pid.to_string()).await;
            if let Some(key) = idempotency_key {
                let _ = idempotency::forget(&ctx.db, company_id, CREATE_SCOPE, key).await;
            }
            Err(error)
        }
    }
}

/// The credit note an earlier request with the same key made, issued if the earlier
/// request stopped between writing and issuing it (issuing is idempotent).
async fn replayed(
    ctx: &AppContext,
    company_id: i64,
    pid: &str,
) -> Result<invoices::Model, ServiceError> {
    let note = docs::find(&ctx.db, company_id, pid).await?;
    if note.status == Status::Draft.as_str() {
        return Ok(issue_invoice::issue(ctx, company_id, None, pid)
            .await?
            .invoice);
    }
    Ok(note)
}
