//! Invoices and credit notes as the pages show them: amounts in the reader's notation,
//! dates in Paris time, the wizard's form filled from a stored draft.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::document::InvoiceDocument;
use crate::{
    domain::{
        draft::{AdjustmentInput, DraftInput},
        invoice::{is_overdue, Adjustment, AdjustmentAmount, Line, LineInput, Status},
        locale::Locale,
        money::{format_cents, format_decimal, format_rate},
        vat::VatCode,
    },
    i18n,
    models::_entities::{clients, invoices},
};

/// "1,5" in French, "1.5" in English: what a form field shows so that it parses again.
#[must_use]
pub fn decimal_for_input(value: Decimal, locale: Locale) -> String {
    let text = value.normalize().to_string();
    match locale {
        Locale::Fr | Locale::Sv => text.replace('.', ","),
        Locale::En => text,
    }
}

#[must_use]
pub fn line_input(line: &Line, locale: Locale) -> LineInput {
    LineInput {
        description: line.description.clone(),
        quantity: decimal_for_input(line.quantity, locale),
        unit: line.unit.clone(),
        unit_price: decimal_for_input(line.unit_price, locale),
        vat: line.vat.code().to_string(),
    }
}

fn adjustment_input(adjustment: Option<&Adjustment>, locale: Locale) -> AdjustmentInput {
    let Some(a) = adjustment else {
        return AdjustmentInput::default();
    };
    let (kind, value) = match a.amount {
        AdjustmentAmount::Cents(c) => ("amount", decimal_for_input(Decimal::new(c, 2), locale)),
        AdjustmentAmount::Percent(p) => ("percent", decimal_for_input(p, locale)),
    };
    AdjustmentInput {
        kind: kind.into(),
        value,
        vat: a.vat.map(|v| v.code().to_string()).unwrap_or_default(),
        reason: a.reason.clone(),
    }
}

/// The step 1 form filled from a stored draft (or a template's source).
#[must_use]
pub fn draft_input(
    invoice: &invoices::Model,
    client_pid: &str,
    lines: &[Line],
    adjustments: &[Adjustment],
    locale: Locale,
) -> DraftInput {
    DraftInput {
        label: invoice.label.clone(),
        client: client_pid.to_string(),
        issue_date: invoice.issue_date.to_string(),
        payment_term_days: invoice.payment_term_days.to_string(),
        // Dates that only follow from others stay empty, so that changing the term or the
        // issue date moves them too.
        due_date: if invoice.due_date
            == crate::domain::numbering::due_date(invoice.issue_date, invoice.payment_term_days)
        {
            String::new()
        } else {
            invoice.due_date.to_string()
        },
        delivery_date: if invoice.delivery_date == invoice.issue_date {
            String::new()
        } else {
            invoice.delivery_date.to_string()
        },
        // A monthly invoice's period follows from its issue date.
        period_start: invoice
            .period_start
            .filter(|_| invoice.recurrence != "monthly")
            .map(|d| d.to_string())
            .unwrap_or_default(),
        period_end: invoice
            .period_end
            .filter(|_| invoice.recurrence != "monthly")
            .map(|d| d.to_string())
            .unwrap_or_default(),
        operation: invoice.operation.clone(),
        recurrence: invoice.recurrence.clone(),
        lines: lines.iter().map(|l| line_input(l, locale)).collect(),
        discount: adjustment_input(adjustments.iter().find(|a| !a.is_charge), locale),
        charge: adjustment_input(adjustments.iter().find(|a| a.is_charge), locale),
        notes: invoice.notes.clone().unwrap_or_default(),
    }
}

/// A subscription's content as the modification form shows it.
#[must_use]
pub fn content_input(
    content: &crate::services::subscriptions::Content,
    locale: Locale,
) -> DraftInput {
    DraftInput {
        label: content.label.clone(),
        payment_term_days: content.payment_term_days.to_string(),
        operation: content.operation.clone(),
        lines: content
            .lines
            .iter()
            .map(|l| line_input(l, locale))
            .collect(),
        discount: adjustment_input(content.adjustments.iter().find(|a| !a.is_charge), locale),
        charge: adjustment_input(content.adjustments.iter().find(|a| a.is_charge), locale),
        notes: content.notes.clone().unwrap_or_default(),
        ..Default::default()
    }
}

/// "20 %" for a rate, the treatment's name for zero-rated ones.
#[must_use]
pub fn vat_label(vat: VatCode, locale: Locale) -> String {
    if vat.is_taxed() {
        format_rate(
            i32::try_from((vat.rate() * Decimal::ONE_HUNDRED).trunc().mantissa()).unwrap_or(0),
            locale,
        )
    } else {
        i18n::tr(locale, &format!("vat-{}", vat.code()))
    }
}

/// The VAT choices of a line, `[code, label]`.
#[must_use]
pub fn vat_options(locale: Locale) -> Vec<[String; 2]> {
    VatCode::ALL
        .iter()
        .map(|v| [v.code().to_string(), vat_label(*v, locale)])
        .collect()
}

/// The unit choices of a line, `[code, label]`.
#[must_use]
pub fn unit_options(locale: Locale) -> Vec<[String; 2]> {
    crate::domain::invoice::UNITS
        .iter()
        .map(|u| [(*u).to_string(), i18n::tr(locale, &format!("unit-{u}"))])
        .collect()
}

/// The status shown: stored status, or "overdue" when it applies (derived, never stored).
#[must_use]
pub fn shown_status(
    invoice: &invoices::Model,
    balance_cents: i64,
    today: NaiveDate,
) -> &'static str {
    let status = Status::parse(&invoice.status).unwrap_or(Status::Draft);
    if invoice.kind == "invoice" && is_overdue(status, balance_cents, invoice.due_date, today) {
        "overdue"
    } else {
        status.as_str()
    }
}

/// A row of a list.
#[must_use]
pub fn invoice_row(
    invoice: &invoices::Model,
    client: Option<&clients::Model>,
    balance_cents: i64,
    today: NaiveDate,
    locale: Locale,
) -> Value {
    json!({
        "pid": invoice.pid.to_string(),
        "kind": invoice.kind,
        "number": invoice.number,
        "label": invoice.label,
        "client": client.map(|c| c.legal_name.clone()),
        "client_pid": client.map(|c| c.pid.to_string()),
        "issue_date": invoice.issue_date.format("%d/%m/%Y").to_string(),
        "due_date": invoice.due_date.format("%d/%m/%Y").to_string(),
        "total": format_cents(invoice.total_cents, locale),
        "balance": format_cents(balance_cents, locale),
        "status": shown_status(invoice, balance_cents, today),
    })
}

/// The document as the preview and detail pages print it.
#[must_use]
pub fn document_view(document: &InvoiceDocument, locale: Locale) -> Value {
    let money = |cents: i64| format_cents(cents, locale);
    json!({
        "title": document.title_fr(),
        "number": document.number,
        "label": document.label,
        "issue_date": document.issue_date.format("%d/%m/%Y").to_string(),
        "due_date": document.due_date.format("%d/%m/%Y").to_string(),
        "delivery_date": document.delivery_date.format("%d/%m/%Y").to_string(),
        "period": document.service_period.map(|p| json!({
            "start": p.start.format("%d/%m/%Y").to_string(),
            "end": p.end.format("%d/%m/%Y").to_string(),
        })),
        "operation": document.operation.label_fr(),
        "seller": document.seller,
        "seller_siret": super::client::siret_display(Some(&document.seller.siret)),
        "seller_phone": super::client::phone_display(document.seller.phone.as_deref()),
        "buyer": document.buyer,
        "buyer_siret": super::client::siret_display(document.buyer.siret.as_deref()),
        "lines": document.lines.iter().map(|l| json!({
            "description": l.line.description,
            "quantity": format_decimal(l.line.quantity, l.line.quantity.normalize().scale(), locale),
            "unit": i18n::tr(locale, &format!("unit-{}", l.line.unit)),
            "unit_price": format_decimal(l.line.unit_price, l.line.unit_price.normalize().scale().max(2), locale),
            "vat": vat_label(l.line.vat, locale),
            "net": money(l.net_cents),
        })).collect::<Vec<_>>(),
        "adjustments": document.adjustments.iter().map(|a| json!({
            "is_charge": a.is_charge,
            "reason": a.reason,
            "vat": vat_label(a.vat, locale),
            "amount": money(if a.is_charge { a.amount_cents } else { -a.amount_cents }),
        })).collect::<Vec<_>>(),
        "breakdown": document.breakdown.iter().map(|b| json!({
            "vat": vat_label(b.vat, locale),
            "basis": money(b.basis_cents),
            "amount": money(b.vat_cents),
            "reason": b.vat.exemption_reason(),
        })).collect::<Vec<_>>(),
        "totals": {
            "lines": money(document.totals.lines_cents),
            "net": money(document.totals.net_cents),
            "vat": money(document.totals.vat_cents),
            "total": money(document.totals.total_cents),
        },
        "penalty_rate": format_rate(document.payment.late_penalty_rate_bp, locale),
        "payment": document.payment,
        "iban": document.payment.iban.as_deref().map(|i| {
            crate::domain::ids::Iban::parse(i).map_or_else(|_| i.to_string(), |p| p.formatted())
        }),
        "share_capital": document.seller.share_capital_cents.map(money),
        "exemptions": document.exemption_reasons(),
        "notes": document.notes,
        "corrects": document.corrects.as_ref().map(|c| json!({
            "number": c.number,
            "issue_date": c.issue_date.format("%d/%m/%Y").to_string(),
        })),
        "test_mode": document.test_mode,
    })
}
