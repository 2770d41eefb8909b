//! Client accounts as pages and the API show them: identifiers formatted for reading
//! (SIRET 3-3-3-5, IBAN by 4), country names in the reader's language.

use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::{
    domain::{
        ids::{Siret, VatNumber},
        locale::Locale,
        phone::Phone,
    },
    i18n,
    models::_entities::clients,
    web::forms::ClientFields,
};

fn formatted<T>(
    stored: Option<&str>,
    parse: impl Fn(&str) -> Result<T, String>,
    show: impl Fn(&T) -> String,
) -> String {
    stored.map_or_else(String::new, |value| {
        parse(value).map_or_else(|_| value.to_string(), |parsed| show(&parsed))
    })
}

#[must_use]
pub fn siret_display(stored: Option<&str>) -> String {
    formatted(
        stored,
        |s| Siret::parse(s).map_err(|e| e.code.to_string()),
        Siret::formatted,
    )
}

#[must_use]
pub fn vat_display(stored: Option<&str>) -> String {
    formatted(
        stored,
        |s| VatNumber::parse(s).map_err(|e| e.code.to_string()),
        VatNumber::formatted,
    )
}

#[must_use]
pub fn phone_display(stored: Option<&str>) -> String {
    formatted(
        stored,
        |s| Phone::parse(s).map_err(str::to_string),
        Phone::formatted,
    )
}

#[must_use]
pub fn country_name(locale: Locale, code: &str) -> String {
    i18n::tr(locale, &format!("country-{code}"))
}

/// The countries of forms as `[code, name]`, France first, then by name in the reader's
/// language.
#[must_use]
pub fn country_options(locale: Locale) -> Vec<[String; 2]> {
    let mut options: Vec<[String; 2]> = crate::domain::address::COUNTRIES
        .iter()
        .map(|(code, _)| [(*code).to_string(), country_name(locale, code)])
        .collect();
    options[1..].sort_by_key(|[_, name]| crate::domain::client::fold_for_search(name));
    options
}

/// The edit form filled with the stored client, identifiers in their readable form.
#[must_use]
pub fn client_fields(client: &clients::Model) -> ClientFields {
    ClientFields {
        legal_name: client.legal_name.clone(),
        vat_number: vat_display(client.vat_number.as_deref()),
        siret: siret_display(client.siret.as_deref()),
        customer_number: client.customer_number.clone().unwrap_or_default(),
        billing_street: client.billing_street.clone(),
        billing_street2: client.billing_street2.clone().unwrap_or_default(),
        billing_postcode: client.billing_postcode.clone(),
        billing_city: client.billing_city.clone(),
        billing_country: client.billing_country.clone(),
        contact_name: client.contact_name.clone().unwrap_or_default(),
        contact_email: client.contact_email.clone().unwrap_or_default(),
        contact_phone: phone_display(client.contact_phone.as_deref()),
        delivery_street: client.delivery_street.clone().unwrap_or_default(),
        delivery_street2: client.delivery_street2.clone().unwrap_or_default(),
        delivery_postcode: client.delivery_postcode.clone().unwrap_or_default(),
        delivery_city: client.delivery_city.clone().unwrap_or_default(),
        delivery_country: client.delivery_country.clone().unwrap_or_default(),
        notes: client.notes.clone().unwrap_or_default(),
    }
}

fn address_lines(street: &str, street2: Option<&str>, postcode: &str, city: &str) -> Vec<String> {
    let mut lines = vec![street.to_string()];
    if let Some(second) = street2.filter(|s| !s.is_empty()) {
        lines.push(second.to_string());
    }
    lines.push(format!("{postcode} {city}"));
    lines
}

/// A list row or the detail page.
#[must_use]
pub fn client_view(client: &clients::Model, locale: Locale) -> Value {
    let delivery = match (
        &client.delivery_street,
        &client.delivery_postcode,
        &client.delivery_city,
        &client.delivery_country,
    ) {
        (Some(street), Some(postcode), Some(city), Some(country)) => json!({
            "lines": address_lines(street, client.delivery_street2.as_deref(), postcode, city),
            "country": country_name(locale, country),
        }),
        _ => Value::Null,
    };
    json!({
        "pid": client.pid.to_string(),
        "legal_name": client.legal_name,
        "customer_number": client.customer_number,
        "siret": siret_display(client.siret.as_deref()),
        "vat_number": vat_display(client.vat_number.as_deref()),
        "billing": {
            "lines": address_lines(&client.billing_street, client.billing_street2.as_deref(), &client.billing_postcode, &client.billing_city),
            "country": country_name(locale, &client.billing_country),
        },
        "delivery": delivery,
        "contact_name": client.contact_name,
        "contact_email": client.contact_email,
        "contact_phone": phone_display(client.contact_phone.as_deref()),
        "notes": client.notes,
        "active": client.active,
        "created": super::paris_date(&client.created_at),
    })
}

/// A client account as the API returns it: identifiers normalised (no spaces, uppercase).
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientJson {
    /// Public id, used in URLs.
    pub id: uuid::Uuid,
    pub legal_name: String,
    pub vat_number: Option<String>,
    pub siret: Option<String>,
    /// From the SIRET, or from a French VAT number.
    pub siren: Option<String>,
    pub customer_number: Option<String>,
    pub billing_street: String,
    pub billing_street2: Option<String>,
    pub billing_postcode: String,
    pub billing_city: String,
    pub billing_country: String,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    /// E.164, e.g. `+33123456789`.
    pub contact_phone: Option<String>,
    pub delivery_street: Option<String>,
    pub delivery_street2: Option<String>,
    pub delivery_postcode: Option<String>,
    pub delivery_city: Option<String>,
    pub delivery_country: Option<String>,
    pub notes: Option<String>,
    /// Deactivated clients are hidden from pickers.
    pub active: bool,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub updated_at: chrono::DateTime<chrono::FixedOffset>,
}

impl From<&clients::Model> for ClientJson {
    fn from(c: &clients::Model) -> Self {
        Self {
            id: c.pid,
            legal_name: c.legal_name.clone(),
            vat_number: c.vat_number.clone(),
            siret: c.siret.clone(),
            siren: c.siren.clone(),
            customer_number: c.customer_number.clone(),
            billing_street: c.billing_street.clone(),
            billing_street2: c.billing_street2.clone(),
            billing_postcode: c.billing_postcode.clone(),
            billing_city: c.billing_city.clone(),
            billing_country: c.billing_country.clone(),
            contact_name: c.contact_name.clone(),
            contact_email: c.contact_email.clone(),
            contact_phone: c.contact_phone.clone(),
            delivery_street: c.delivery_street.clone(),
            delivery_street2: c.delivery_street2.clone(),
            delivery_postcode: c.delivery_postcode.clone(),
            delivery_city: c.delivery_city.clone(),
            delivery_country: c.delivery_country.clone(),
            notes: c.notes.clone(),
            active: c.active,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// One page of clients.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientPage {
    pub items: Vec<ClientJson>,
    pub page: u64,
    pub per_page: u64,
    /// Clients matching in all pages.
    pub total: u64,
}
