//! The seller's company profile (Paramètres > Entreprise): the identity printed on every
//! invoice (CGI art. 242 nonies A; Code de commerce art. R123-237) and the invoice settings.

use serde::Serialize;

use super::{
    address::{AddressFields, AddressInput, PostalAddress},
    email::Email,
    error::FieldErrors,
    ids::{Bic, Iban, IdError, Siret, VatNumber},
    money::{parse_cents, parse_rate_basis_points},
    phone::Phone,
};

/// Legal forms offered in the profile. Sole traders and companies need different KYC
/// documents (DOMAIN.md "The sales service").
pub const LEGAL_FORMS: &[&str] = &[
    "ei-micro",
    "ei",
    "eurl",
    "sarl",
    "sasu",
    "sas",
    "sa",
    "snc",
    "sci",
    "selarl",
    "association",
    "other",
];

/// # Errors
/// `required`, `legal-form-invalid`.
pub fn parse_legal_form(input: &str) -> Result<&'static str, &'static str> {
    let code = input.trim();
    if code.is_empty() {
        return Err("required");
    }
    LEGAL_FORMS
        .iter()
        .find(|f| **f == code)
        .copied()
        .ok_or("legal-form-invalid")
}

#[must_use]
pub fn is_sole_trader(legal_form: &str) -> bool {
    matches!(legal_form, "ei-micro" | "ei")
}

/// A number prefix ("F", "FAC-2026"): letters, digits and dashes, so that numbers stay
/// readable and safe in file names.
///
/// # Errors
/// `required`, `prefix-invalid`.
pub fn parse_prefix(input: &str) -> Result<String, &'static str> {
    let value = input.trim().to_uppercase();
    if value.is_empty() {
        return Err("required");
    }
    let valid = value.chars().count() <= 10
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !value.starts_with('-');
    if valid {
        Ok(value.trim_end_matches('-').to_string())
    } else {
        Err("prefix-invalid")
    }
}

/// Payment term agreed between professionals: at most 60 days after the invoice date
/// (Code de commerce art. L441-10 I).
pub const MAX_PAYMENT_TERM_DAYS: i32 = 60;

/// # Errors
/// `number-invalid`, `payment-term-too-long`.
pub fn parse_payment_term(input: &str) -> Result<i32, &'static str> {
    let days: i32 = input.trim().parse().map_err(|_| "number-invalid")?;
    if days < 0 {
        return Err("number-invalid");
    }
    if days > MAX_PAYMENT_TERM_DAYS {
        return Err("payment-term-too-long");
    }
    Ok(days)
}

/// A free text line (name, registration), trimmed with single spaces.
///
/// # Errors
/// `required` (when `required`), `too-long`.
pub fn parse_text(input: &str, max: usize, required: bool) -> Result<Option<String>, &'static str> {
    let value = input.split_whitespace().collect::<Vec<_>>().join(" ");
    if value.is_empty() {
        return if required { Err("required") } else { Ok(None) };
    }
    if value.chars().count() > max {
        return Err("too-long");
    }
    Ok(Some(value))
}

/// A French VAT number must carry the company's own SIREN.
fn check_vat_matches_siren(vat: &VatNumber, siret: &Siret) -> Result<(), IdError> {
    if vat.country() == "FR" && &vat.as_str()[4..] != siret.siren() {
        Err(IdError::new("vat-siren-mismatch"))
    } else {
        Ok(())
    }
}

/// What the profile form or the API gives, as typed.
#[derive(Debug, Clone, Default)]
pub struct CompanyProfileInput<'a> {
    pub legal_name: &'a str,
    pub legal_form: &'a str,
    pub siret: &'a str,
    /// "registered" or "franchise" (franchise en base, CGI art. 293 B).
    pub vat_regime: &'a str,
    pub vat_number: &'a str,
    pub vat_on_debits: bool,
    pub registration: &'a str,
    pub share_capital: &'a str,
    pub address: AddressInput<'a>,
    pub contact_email: &'a str,
    pub contact_phone: &'a str,
    pub invoice_prefix: &'a str,
    pub credit_note_prefix: &'a str,
    pub yearly_reset: bool,
    pub payment_term_days: &'a str,
    pub late_penalty_rate: &'a str,
    pub bank_holder: &'a str,
    pub bank_iban: &'a str,
    pub bank_bic: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VatRegime {
    Registered,
    /// Franchise en base de TVA: invoices carry "TVA non applicable, art. 293 B du CGI".
    Franchise,
}

impl VatRegime {
    /// # Errors
    /// `vat-regime-invalid`.
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        match input.trim() {
            "registered" => Ok(Self::Registered),
            "franchise" => Ok(Self::Franchise),
            _ => Err("vat-regime-invalid"),
        }
    }

    #[must_use]
    pub const fn as_str(&self) -> &'static str {
        match self {
            Self::Registered => "registered",
            Self::Franchise => "franchise",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankDetails {
    pub holder: String,
    pub iban: Iban,
    pub bic: Option<Bic>,
}

/// A complete, valid company profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyProfile {
    pub legal_name: String,
    pub legal_form: &'static str,
    pub siret: Siret,
    pub vat_regime: VatRegime,
    pub vat_number: Option<VatNumber>,
    pub vat_on_debits: bool,
    pub registration: Option<String>,
    pub share_capital_cents: Option<i64>,
    pub address: PostalAddress,
    pub contact_email: Email,
    pub contact_phone: Option<Phone>,
    pub invoice_prefix: String,
    pub credit_note_prefix: String,
    pub yearly_reset: bool,
    pub payment_term_days: i32,
    pub late_penalty_rate_bp: i32,
    pub bank: Option<BankDetails>,
}

impl CompanyProfile {
    /// Parses the whole profile; every wrong field is reported, nothing is half-accepted.
    ///
    /// # Errors
    /// The field errors.
    pub fn parse(input: &CompanyProfileInput<'_>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let legal_name = errors
            .take("legal_name", parse_text(input.legal_name, 200, true))
            .flatten();
        let legal_form = errors.take("legal_form", parse_legal_form(input.legal_form));
        let siret = if input.siret.trim().is_empty() {
            errors.push("siret", "required");
            None
        } else {
            errors.take_id("siret", Siret::parse(input.siret))
        };
        let vat_regime = errors.take("vat_regime", VatRegime::parse(input.vat_regime));
        let vat_number = errors.take_optional_id("vat_number", input.vat_number, VatNumber::parse);
        if vat_regime == Some(VatRegime::Registered) && input.vat_number.trim().is_empty() {
            errors.push("vat_number", "vat-required");
        }
        if let (Some(vat), Some(siret)) = (&vat_number, &siret) {
            errors.take_id("vat_number", check_vat_matches_siren(vat, siret));
        }
        let registration = errors
            .take("registration", parse_text(input.registration, 120, false))
            .flatten();
        let share_capital_cents = if input.share_capital.trim().is_empty() {
            None
        } else {
            errors.take("share_capital", parse_cents(input.share_capital))
        };
        let address = match PostalAddress::parse(&input.address, AddressFields::ADDRESS) {
            Ok(address) => Some(address),
            Err(e) => {
                errors.extend(e);
                None
            }
        };
        let contact_email = errors.take("contact_email", Email::parse(input.contact_email));
        let contact_phone = if input.contact_phone.trim().is_empty() {
            None
        } else {
            errors.take("contact_phone", Phone::parse(input.contact_phone))
        };
        let invoice_prefix = errors.take("invoice_prefix", parse_prefix(input.invoice_prefix));
        let credit_note_prefix =
            errors.take("credit_note_prefix", parse_prefix(input.credit_note_prefix));
        // Credit notes have their own series (DOMAIN.md "Numbering"): the same prefix would
        // print two documents with the same number.
        if invoice_prefix.is_some() && invoice_prefix == credit_note_prefix {
            errors.push("credit_note_prefix", "prefix-same-as-invoices");
        } else if let (Some(a), Some(b)) = (&invoice_prefix, &credit_note_prefix) {
            // "F-2026" and "F" could both print "F-2026-000001" (one series continuous,
            // the other yearly): one prefix may not begin with the other and a dash.
            if a.starts_with(&format!("{b}-")) || b.starts_with(&format!("{a}-")) {
                errors.push("credit_note_prefix", "prefix-overlap");
            }
        }
        let payment_term_days = errors.take(
            "payment_term_days",
            parse_payment_term(input.payment_term_days),
        );
        let late_penalty_rate_bp = errors.take(
            "late_penalty_rate",
            parse_rate_basis_points(input.late_penalty_rate),
        );
        let bank = parse_bank(input, legal_name.as_deref(), &mut errors);

        match (
            legal_name,
            legal_form,
            siret,
            vat_regime,
            address,
            contact_email,
            invoice_prefix,
            credit_note_prefix,
            payment_term_days,
            late_penalty_rate_bp,
        ) {
            (
                Some(legal_name),
                Some(legal_form),
                Some(siret),
                Some(vat_regime),
                Some(address),
                Some(contact_email),
                Some(invoice_prefix),
                Some(credit_note_prefix),
                Some(payment_term_days),
                Some(late_penalty_rate_bp),
            ) if errors.is_empty() => Ok(Self {
                legal_name,
                legal_form,
                siret,
                vat_regime,
                vat_number,
                vat_on_debits: input.vat_on_debits,
                registration,
                share_capital_cents,
                address,
                contact_email,
                contact_phone,
                invoice_prefix,
                credit_note_prefix,
                yearly_reset: input.yearly_reset,
                payment_term_days,
                late_penalty_rate_bp,
                bank: bank.flatten(),
            }),
            _ => Err(errors),
        }
    }
}

/// Bank details are optional as a whole; once an IBAN is given it must be valid.
fn parse_bank(
    input: &CompanyProfileInput<'_>,
    legal_name: Option<&str>,
    errors: &mut FieldErrors,
) -> Option<Option<BankDetails>> {
    let blank = [input.bank_holder, input.bank_iban, input.bank_bic]
        .iter()
        .all(|s| s.trim().is_empty());
    if blank {
        return Some(None);
    }
    if input.bank_iban.trim().is_empty() {
        errors.push("bank_iban", "required");
        return None;
    }
    let iban = errors.take_id("bank_iban", Iban::parse(input.bank_iban));
    let bic = errors.take_optional_id("bank_bic", input.bank_bic, Bic::parse);
    let holder = errors
        .take("bank_holder", parse_text(input.bank_holder, 140, false))
        .flatten()
        .or_else(|| legal_name.map(str::to_string));
    Some(Some(BankDetails {
        holder: holder?,
        iban: iban?,
        bic,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn valid_input() -> CompanyProfileInput<'static> {
        CompanyProfileInput {
            legal_name: "Atelier Dupont",
            legal_form: "sarl",
            siret: "542 051 180 00066",
            vat_regime: "registered",
            vat_number: "FR59542051180",
            vat_on_debits: false,
            registration: "RCS Nanterre",
            share_capital: "10 000",
            address: AddressInput {
                street: "2 place Jean Millier",
                street2: "",
                postcode: "92400",
                city: "Courbevoie",
                country: "FR",
            },
            contact_email: "compta@atelier-dupont.fr",
            contact_phone: "01 23 45 67 89",
            invoice_prefix: "f",
            credit_note_prefix: "AV",
            yearly_reset: true,
            payment_term_days: "30",
            late_penalty_rate: "12,15",
            bank_holder: "",
            bank_iban: "FR76 3000 6000 0112 3456 7890 189",
            bank_bic: "BNPAFRPP",
        }
    }

    #[test]
    fn a_complete_profile_is_accepted_and_normalised() {
        let profile = CompanyProfile::parse(&valid_input()).unwrap();
        assert_eq!(profile.siret.as_str(), "54205118000066");
        assert_eq!(profile.invoice_prefix, "F");
        assert_eq!(profile.share_capital_cents, Some(1_000_000));
        assert_eq!(profile.late_penalty_rate_bp, 1215);
        assert_eq!(profile.contact_phone.unwrap().as_str(), "+33123456789");
        let bank = profile.bank.unwrap();
        assert_eq!(
            bank.holder, "Atelier Dupont",
            "the holder defaults to the company"
        );
        assert_eq!(bank.iban.as_str(), "FR7630006000011234567890189");
    }

    type Edit = fn(&mut CompanyProfileInput<'static>);

    #[rstest]
    #[case::no_name(|i: &mut CompanyProfileInput<'static>| i.legal_name = " ", "legal_name", "required")]
    #[case::bad_form(|i: &mut CompanyProfileInput<'static>| i.legal_form = "gmbh", "legal_form", "legal-form-invalid")]
    #[case::no_siret(|i: &mut CompanyProfileInput<'static>| i.siret = "", "siret", "required")]
    #[case::short_siret(|i: &mut CompanyProfileInput<'static>| i.siret = "5420511800006", "siret", "siret-length")]
    #[case::vat_missing(|i: &mut CompanyProfileInput<'static>| i.vat_number = "", "vat_number", "vat-required")]
    #[case::vat_key(|i: &mut CompanyProfileInput<'static>| i.vat_number = "FR58542051180", "vat_number", "vat-key")]
    #[case::vat_of_another_siren(|i: &mut CompanyProfileInput<'static>| i.vat_number = "FR89380129866", "vat_number", "vat-siren-mismatch")]
    #[case::capital(|i: &mut CompanyProfileInput<'static>| i.share_capital = "dix mille", "share_capital", "number-invalid")]
    #[case::postcode(|i: &mut CompanyProfileInput<'static>| i.address.postcode = "9240", "address_postcode", "postcode-invalid")]
    #[case::email(|i: &mut CompanyProfileInput<'static>| i.contact_email = "compta", "contact_email", "email-invalid")]
    #[case::phone(|i: &mut CompanyProfileInput<'static>| i.contact_phone = "12", "contact_phone", "phone-invalid")]
    #[case::prefix(|i: &mut CompanyProfileInput<'static>| i.invoice_prefix = "F 2026", "invoice_prefix", "prefix-invalid")]
    #[case::same_prefixes(|i: &mut CompanyProfileInput<'static>| i.credit_note_prefix = "F", "credit_note_prefix", "prefix-same-as-invoices")]
    #[case::overlapping_prefixes(|i: &mut CompanyProfileInput<'static>| i.invoice_prefix = "AV-2026", "credit_note_prefix", "prefix-overlap")]
    #[case::term(|i: &mut CompanyProfileInput<'static>| i.payment_term_days = "90", "payment_term_days", "payment-term-too-long")]
    #[case::rate(|i: &mut CompanyProfileInput<'static>| i.late_penalty_rate = "", "late_penalty_rate", "number-invalid")]
    #[case::iban(|i: &mut CompanyProfileInput<'static>| i.bank_iban = "FR76 3000 6000 0112 3456 7890 188", "bank_iban", "iban-invalid")]
    #[case::bic_without_iban(|i: &mut CompanyProfileInput<'static>| i.bank_iban = "", "bank_iban", "required")]
    fn each_wrong_field_is_reported_on_that_field(
        #[case] edit: Edit,
        #[case] field: &str,
        #[case] code: &str,
    ) {
        let mut input = valid_input();
        edit(&mut input);
        let errors = CompanyProfile::parse(&input).unwrap_err();
        assert_eq!(errors.code_for(field), Some(code), "{errors:?}");
    }

    #[test]
    fn franchise_en_base_needs_no_vat_number() {
        let mut input = valid_input();
        input.vat_regime = "franchise";
        input.vat_number = "";
        let profile = CompanyProfile::parse(&input).unwrap();
        assert_eq!(profile.vat_regime, VatRegime::Franchise);
        assert_eq!(profile.vat_number, None);
    }

    #[test]
    fn no_bank_details_at_all_is_fine() {
        let mut input = valid_input();
        input.bank_iban = "";
        input.bank_bic = "";
        assert_eq!(CompanyProfile::parse(&input).unwrap().bank, None);
    }
}
