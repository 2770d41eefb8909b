//! The company profile as its form shows it.

use crate::{
    domain::{
        ids::Iban,
        locale::Locale,
        money::{cents_for_input, rate_for_input},
    },
    models::_entities::companies,
    web::forms::CompanyFields,
};

use super::client::{phone_display, siret_display, vat_display};

fn checkbox(on: bool) -> Option<String> {
    on.then(|| "on".to_string())
}

/// The profile form filled with the stored company (numbers as the user types them).
#[must_use]
pub fn company_fields(company: &companies::Model, locale: Locale) -> CompanyFields {
    CompanyFields {
        legal_name: company.legal_name.clone(),
        legal_form: company.legal_form.clone().unwrap_or_default(),
        siret: siret_display(company.siret.as_deref()),
        vat_regime: company.vat_regime.clone(),
        vat_number: vat_display(company.vat_number.as_deref()),
        vat_on_debits: checkbox(company.vat_on_debits),
        registration: company.registration.clone().unwrap_or_default(),
        share_capital: company
            .share_capital_cents
            .map(|c| cents_for_input(c, locale))
            .unwrap_or_default(),
        address_street: company.address_street.clone().unwrap_or_default(),
        address_street2: company.address_street2.clone().unwrap_or_default(),
        address_postcode: company.address_postcode.clone().unwrap_or_default(),
        address_city: company.address_city.clone().unwrap_or_default(),
        address_country: company.address_country.clone(),
        contact_email: company.contact_email.clone().unwrap_or_default(),
        contact_phone: phone_display(company.contact_phone.as_deref()),
        invoice_prefix: company.invoice_prefix.clone(),
        credit_note_prefix: company.credit_note_prefix.clone(),
        yearly_reset: checkbox(company.numbering_yearly_reset),
        payment_term_days: company.payment_term_days.to_string(),
        late_penalty_rate: company
            .late_penalty_rate_bp
            .map(|bp| rate_for_input(bp, locale))
            .unwrap_or_default(),
        bank_holder: company.bank_holder.clone().unwrap_or_default(),
        bank_iban: company
            .bank_iban
            .as_deref()
            .map(|iban| Iban::parse(iban).map_or_else(|_| iban.to_string(), |i| i.formatted()))
            .unwrap_or_default(),
        bank_bic: company.bank_bic.clone().unwrap_or_default(),
    }
}

/// Whether the profile holds what every invoice must show (filled once and saved).
#[must_use]
pub fn profile_complete(company: &companies::Model) -> bool {
    company.siret.is_some()
        && company.address_street.is_some()
        && company.late_penalty_rate_bp.is_some()
}
