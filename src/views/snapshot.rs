//! Freezing a document at issue: the seller's profile and the client account as they are
//! now are copied into the `InvoiceDocument` stored with it (later edits never change an
//! issued document).

use chrono::{DateTime, FixedOffset};

use super::{
    client::country_name,
    document::{
        Address, Buyer, CorrectedInvoice, DocumentKind, DocumentLine, InvoiceDocument, Operation,
        PaymentTerms, Period, Seller,
    },
};
use crate::{
    domain::{
        company::VatRegime,
        invoice::{Computed, Line},
        locale::Locale,
    },
    i18n,
    models::_entities::{clients, companies, invoices},
};

/// Legal documents are printed in French (the language of French invoices).
const PRINT: Locale = Locale::Fr;

fn address(
    street: &str,
    street2: Option<&str>,
    postcode: &str,
    city: &str,
    country: &str,
) -> Address {
    let mut lines = vec![street.to_string()];
    if let Some(second) = street2.filter(|s| !s.is_empty()) {
        lines.push(second.to_string());
    }
    lines.push(format!("{postcode} {city}"));
    Address {
        lines,
        street: street.to_string(),
        street2: street2.filter(|s| !s.is_empty()).map(str::to_string),
        postcode: postcode.to_string(),
        city: city.to_string(),
        country: country.to_string(),
        country_name: country_name(PRINT, country),
    }
}

/// The seller block, or `None` while the profile lacks what every invoice must show.
#[must_use]
pub fn seller(company: &companies::Model, logo_sha256: Option<String>) -> Option<Seller> {
    let siret = company.siret.clone()?;
    let legal_form = company.legal_form.clone()?;
    Some(Seller {
        legal_name: company.legal_name.clone(),
        legal_form_label: i18n::tr(PRINT, &format!("legal-form-{legal_form}")),
        legal_form,
        address: address(
            company.address_street.as_deref()?,
            company.address_street2.as_deref(),
            company.address_postcode.as_deref()?,
            company.address_city.as_deref()?,
            &company.address_country,
        ),
        siren: siret[..9].to_string(),
        siret,
        vat_number: company.vat_number.clone(),
        vat_franchise: company.vat_regime == VatRegime::Franchise.as_str(),
        vat_on_debits: company.vat_on_debits,
        registration: company.registration.clone(),
        share_capital_cents: company.share_capital_cents,
        email: company.contact_email.clone()?,
        phone: company.contact_phone.clone(),
        logo_sha256,
    })
}

#[must_use]
pub fn buyer(client: &clients::Model) -> Buyer {
    let delivery = match (
        &client.delivery_street,
        &client.delivery_postcode,
        &client.delivery_city,
        &client.delivery_country,
    ) {
        (Some(street), Some(postcode), Some(city), Some(country)) => Some(address(
            street,
            client.delivery_street2.as_deref(),
            postcode,
            city,
            country,
        )),
        _ => None,
    };
    Buyer {
        legal_name: client.legal_name.clone(),
        customer_number: client.customer_number.clone(),
        address: address(
            &client.billing_street,
            client.billing_street2.as_deref(),
            &client.billing_postcode,
            &client.billing_city,
            &client.billing_country,
        ),
        delivery_address: delivery,
        siren: client.siren.clone(),
        siret: client.siret.clone(),
        vat_number: client.vat_number.clone(),
        contact_name: client.contact_name.clone(),
        email: client.contact_email.clone(),
    }
}

/// Everything else the document prints.
pub struct Freeze<'a> {
    pub kind: DocumentKind,
    pub number: Option<String>,
    pub test_mode: bool,
    pub invoice: &'a invoices::Model,
    pub seller: Seller,
    pub buyer: Buyer,
    pub lines: &'a [Line],
    pub computed: &'a Computed,
    pub company: &'a companies::Model,
    pub corrects: Option<CorrectedInvoice>,
    pub issued_at: Option<DateTime<FixedOffset>>,
}

#[must_use]
pub fn freeze(f: Freeze<'_>) -> InvoiceDocument {
    let invoice = f.invoice;
    let period = match (invoice.period_start, invoice.period_end) {
        (Some(start), Some(end)) => Some(Period { start, end }),
        _ => None,
    };
    InvoiceDocument {
        kind: f.kind,
        payment: PaymentTerms {
            term_days: invoice.payment_term_days,
            late_penalty_rate_bp: f.company.late_penalty_rate_bp.unwrap_or_default(),
            // The 40 € indemnity is owed by professional buyers (Code de commerce
            // art. L441-10 II, D441-5); Encaisse invoices businesses.
            recovery_indemnity: true,
            early_payment_discount: None,
            bank_holder: f.company.bank_holder.clone(),
            iban: f.company.bank_iban.clone(),
            bic: f.company.bank_bic.clone(),
            payment_reference: f.number.clone(),
        },
        number: f.number,
        test_mode: f.test_mode,
        label: invoice.label.clone(),
        currency: invoice.currency.clone(),
        issue_date: invoice.issue_date,
        due_date: invoice.due_date,
        delivery_date: invoice.delivery_date,
        service_period: period,
        operation: Operation::parse(&invoice.operation).unwrap_or(Operation::Services),
        seller: f.seller,
        buyer: f.buyer,
        lines: f
            .lines
            .iter()
            .zip(&f.computed.line_nets)
            .map(|(line, net)| DocumentLine {
                line: line.clone(),
                net_cents: *net,
            })
            .collect(),
        adjustments: f.computed.adjustments.clone(),
        breakdown: f.computed.breakdown.clone(),
        totals: f.computed.totals.clone(),
        notes: invoice.notes.clone(),
        corrects: f.corrects,
        issued_at: f.issued_at,
    }
}
