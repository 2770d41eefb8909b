//! The fields of the client and company forms, as typed. The same client fields are the
//! JSON body of the API, so pages and API share names, validation and error codes.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{address::AddressInput, client::ClientInput, company::CompanyProfileInput};

/// A client account as sent by a form or an API client. Identifiers may be typed with
/// spaces, dots and lowercase; they come back normalised.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct ClientFields {
    #[schema(example = "Boulangerie Martin SARL")]
    pub legal_name: String,
    /// EU VAT number, e.g. `FR59542051180`.
    #[schema(example = "FR 59 542 051 180")]
    pub vat_number: String,
    /// 14-digit SIRET (SIREN + NIC).
    #[schema(example = "542 051 180 00066")]
    pub siret: String,
    /// The seller's own reference, unique within the company.
    #[schema(example = "C-0042")]
    pub customer_number: String,
    pub billing_street: String,
    pub billing_street2: String,
    pub billing_postcode: String,
    pub billing_city: String,
    /// ISO 3166-1 alpha-2; France when empty.
    #[schema(example = "FR")]
    pub billing_country: String,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    /// Leave every delivery field empty when goods go to the billing address.
    pub delivery_street: String,
    pub delivery_street2: String,
    pub delivery_postcode: String,
    pub delivery_city: String,
    pub delivery_country: String,
    pub notes: String,
}

impl ClientFields {
    fn delivery(&self) -> AddressInput<'_> {
        AddressInput {
            street: &self.delivery_street,
            street2: &self.delivery_street2,
            postcode: &self.delivery_postcode,
            city: &self.delivery_city,
            country: &self.delivery_country,
        }
    }

    #[must_use]
    pub fn input(&self) -> ClientInput<'_> {
        let delivery = self.delivery();
        ClientInput {
            legal_name: &self.legal_name,
            vat_number: &self.vat_number,
            siret: &self.siret,
            customer_number: &self.customer_number,
            billing: AddressInput {
                street: &self.billing_street,
                street2: &self.billing_street2,
                postcode: &self.billing_postcode,
                city: &self.billing_city,
                country: &self.billing_country,
            },
            contact_name: &self.contact_name,
            contact_email: &self.contact_email,
            contact_phone: &self.contact_phone,
            delivery: (!delivery.is_blank()).then_some(delivery),
            notes: &self.notes,
        }
    }
}

/// An HTML checkbox is sent only when ticked.
fn ticked(value: Option<&String>) -> bool {
    value.is_some_and(|v| !v.is_empty() && v != "false")
}

/// The company profile form.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct CompanyFields {
    pub legal_name: String,
    pub legal_form: String,
    pub siret: String,
    pub vat_regime: String,
    pub vat_number: String,
    pub vat_on_debits: Option<String>,
    pub registration: String,
    pub share_capital: String,
    pub address_street: String,
    pub address_street2: String,
    pub address_postcode: String,
    pub address_city: String,
    pub address_country: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub invoice_prefix: String,
    pub credit_note_prefix: String,
    pub yearly_reset: Option<String>,
    pub payment_term_days: String,
    pub late_penalty_rate: String,
    pub bank_holder: String,
    pub bank_iban: String,
    pub bank_bic: String,
}

impl CompanyFields {
    #[must_use]
    pub fn input(&self) -> CompanyProfileInput<'_> {
        CompanyProfileInput {
            legal_name: &self.legal_name,
            legal_form: &self.legal_form,
            siret: &self.siret,
            vat_regime: &self.vat_regime,
            vat_number: &self.vat_number,
            vat_on_debits: ticked(self.vat_on_debits.as_ref()),
            registration: &self.registration,
            share_capital: &self.share_capital,
            address: AddressInput {
                street: &self.address_street,
                street2: &self.address_street2,
                postcode: &self.address_postcode,
                city: &self.address_city,
                country: &self.address_country,
            },
            contact_email: &self.contact_email,
            contact_phone: &self.contact_phone,
            invoice_prefix: &self.invoice_prefix,
            credit_note_prefix: &self.credit_note_prefix,
            yearly_reset: ticked(self.yearly_reset.as_ref()),
            payment_term_days: &self.payment_term_days,
            late_penalty_rate: &self.late_penalty_rate,
            bank_holder: &self.bank_holder,
            bank_iban: &self.bank_iban,
            bank_bic: &self.bank_bic,
        }
    }
}

/// The confirmation step of a destructive action: a box to tick.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ConfirmForm {
    pub confirm: String,
}

impl ConfirmForm {
    #[must_use]
    pub fn confirmed(&self) -> bool {
        self.confirm == "yes"
    }
}
