//! Client accounts (DOMAIN.md "Client accounts"): validated, normalised identifiers and
//! addresses; the directory's search keys, sorting and paging.

use super::{
    address::{AddressFields, AddressInput, PostalAddress},
    company::parse_text,
    email::Email,
    error::FieldErrors,
    ids::{compact, IdError, Siren, Siret, VatNumber},
    phone::Phone,
};

/// What the form or the API gives, as typed.
#[derive(Debug, Clone, Default)]
pub struct ClientInput<'a> {
    pub legal_name: &'a str,
    pub vat_number: &'a str,
    pub siret: &'a str,
    pub customer_number: &'a str,
    pub billing: AddressInput<'a>,
    pub contact_name: &'a str,
    pub contact_email: &'a str,
    pub contact_phone: &'a str,
    /// The delivery address, when it differs from the billing address.
    pub delivery: Option<AddressInput<'a>>,
    pub notes: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAccount {
    pub legal_name: String,
    pub vat_number: Option<VatNumber>,
    pub siret: Option<Siret>,
    pub customer_number: Option<String>,
    pub billing: PostalAddress,
    pub contact_name: Option<String>,
    pub contact_email: Option<Email>,
    pub contact_phone: Option<Phone>,
    pub delivery: Option<PostalAddress>,
    pub notes: Option<String>,
}

/// Customer numbers are the seller's own references ("C-0042"): letters, digits and a few
/// separators, compared without regard to case, hence stored uppercase.
///
/// # Errors
/// `customer-number-invalid`.
pub fn parse_customer_number(input: &str) -> Result<Option<String>, &'static str> {
    let value = input.trim().to_uppercase();
    if value.is_empty() {
        return Ok(None);
    }
    let valid = value.chars().count() <= 32
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    if valid {
        Ok(Some(value))
    } else {
        Err("customer-number-invalid")
    }
}

impl ClientAccount {
    /// # Errors
    /// The field errors of every wrong field; nothing is half-accepted.
    pub fn parse(input: &ClientInput<'_>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let legal_name = errors
            .take("legal_name", parse_text(input.legal_name, 200, true))
            .flatten();
        let vat_number = errors.take_optional_id("vat_number", input.vat_number, VatNumber::parse);
        let siret = errors.take_optional_id("siret", input.siret, Siret::parse);
        if let (Some(vat), Some(siret)) = (&vat_number, &siret) {
            if vat.country() == "FR" && vat.as_str()[4..] != *siret.siren() {
                errors.take_id::<()>("vat_number", Err(IdError::new("vat-siren-mismatch")));
            }
        }
        let customer_number = errors
            .take(
                "customer_number",
                parse_customer_number(input.customer_number),
            )
            .flatten();
        let billing = match PostalAddress::parse(&input.billing, AddressFields::BILLING) {
            Ok(address) => Some(address),
            Err(e) => {
                errors.extend(e);
                None
            }
        };
        let delivery = match &input.delivery {
            Some(delivery) => match PostalAddress::parse(delivery, AddressFields::DELIVERY) {
                Ok(address) => Some(address),
                Err(e) => {
                    errors.extend(e);
                    None
                }
            },
            None => None,
        };
        let contact_name = errors
            .take("contact_name", parse_text(input.contact_name, 200, false))
            .flatten();
        // The e-mail is optional here; it becomes necessary to send an invoice.
        let contact_email = if input.contact_email.trim().is_empty() {
            None
        } else {
            errors.take("contact_email", Email::parse(input.contact_email))
        };
        let contact_phone = if input.contact_phone.trim().is_empty() {
            None
        } else {
            errors.take("contact_phone", Phone::parse(input.contact_phone))
        };
        let notes = input.notes.trim();
        if notes.chars().count() > 4000 {
            errors.push("notes", "too-long");
        }
        match (legal_name, billing) {
            (Some(legal_name), Some(billing)) if errors.is_empty() => Ok(Self {
                legal_name,
                vat_number,
                siret,
                customer_number,
                billing,
                contact_name,
                contact_email,
                contact_phone,
                delivery,
                notes: (!notes.is_empty()).then(|| notes.to_string()),
            }),
            _ => Err(errors),
        }
    }

    /// The SIREN the client is found by: from the SIRET, else from a French VAT number.
    #[must_use]
    pub fn siren(&self) -> Option<String> {
        self.siret
            .as_ref()
            .map(|s| s.siren().to_string())
            .or_else(|| {
                self.vat_number
                    .as_ref()
                    .filter(|v| v.country() == "FR" && !v.as_str()[4..].starts_with("000"))
                    .map(|v| v.as_str()[4..].to_string())
            })
    }

    /// The text the name search runs on.
    #[must_use]
    pub fn search_name(&self) -> String {
        fold_for_search(&self.legal_name)
    }
}

/// Lowercase without accents, so that "societe" finds "Société" on every database.
#[must_use]
pub fn fold_for_search(text: &str) -> String {
    deunicode::deunicode(text)
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a directory search looks for: the folded text for names, and the compact form
/// (no separators, uppercase) for SIREN/SIRET, VAT and customer numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSearch {
    pub name: String,
    pub identifier: String,
    /// Customer numbers keep their separators ("C-0042"): uppercase only.
    pub customer_number: String,
    /// A complete SIREN typed, or the SIREN part of a complete SIRET.
    pub siren: Option<String>,
}

impl ClientSearch {
    /// `None` for a blank query (the whole directory).
    #[must_use]
    pub fn parse(query: &str) -> Option<Self> {
        let name = fold_for_search(query);
        if name.is_empty() {
            return None;
        }
        let identifier = compact(query);
        let siren = Siren::parse(&identifier)
            .ok()
            .map(|s| s.as_str().to_string())
            .or_else(|| {
                Siret::parse(&identifier)
                    .ok()
                    .map(|s| s.siren().to_string())
            });
        Some(Self {
            name,
            identifier,
            customer_number: query.trim().to_uppercase(),
            siren,
        })
    }

    /// The LIKE pattern for names (`%` and `_` typed by the user match themselves).
    #[must_use]
    pub fn name_pattern(&self) -> String {
        format!("%{}%", escape_like(&self.name))
    }

    /// The LIKE pattern for identifiers that start with what was typed.
    #[must_use]
    pub fn identifier_prefix(&self) -> String {
        format!("{}%", escape_like(&self.identifier))
    }

    /// The LIKE pattern for customer numbers that start with what was typed.
    #[must_use]
    pub fn customer_number_prefix(&self) -> String {
        format!("{}%", escape_like(&self.customer_number))
    }
}

/// Escapes LIKE wildcards with `\` (used with `ESCAPE '\'`).
#[must_use]
pub fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The directory's sort orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientSort {
    #[default]
    NameAsc,
    NameDesc,
    CustomerNumberAsc,
    CustomerNumberDesc,
    CreatedDesc,
    CreatedAsc,
}

impl ClientSort {
    pub const ALL: [Self; 6] = [
        Self::NameAsc,
        Self::NameDesc,
        Self::CustomerNumberAsc,
        Self::CustomerNumberDesc,
        Self::CreatedDesc,
        Self::CreatedAsc,
    ];

    /// Unknown values fall back to the default order (a stale link still works).
    #[must_use]
    pub fn parse(input: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == input)
            .unwrap_or_default()
    }

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NameAsc => "name",
            Self::NameDesc => "-name",
            Self::CustomerNumberAsc => "customer_number",
            Self::CustomerNumberDesc => "-customer_number",
            Self::CreatedDesc => "-created",
            Self::CreatedAsc => "created",
        }
    }

    /// The order a column header link switches to.
    #[must_use]
    pub const fn toggled(self, column: &str) -> Self {
        match (column.as_bytes(), self) {
            (b"name", Self::NameAsc) => Self::NameDesc,
            (b"name", _) => Self::NameAsc,
            (b"customer_number", Self::CustomerNumberAsc) => Self::CustomerNumberDesc,
            (b"customer_number", _) => Self::CustomerNumberAsc,
            (_, Self::CreatedDesc) => Self::CreatedAsc,
            _ => Self::CreatedDesc,
        }
    }
}

/// Which clients a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFilter {
    #[default]
    Active,
    Inactive,
    All,
}

impl StatusFilter {
    #[must_use]
    pub fn parse(input: &str) -> Self {
        match input {
            "inactive" => Self::Inactive,
            "all" => Self::All,
            _ => Self::Active,
        }
    }

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Inactive => "inactive",
            Self::All => "all",
        }
    }
}

/// A page of a list: 1-based number, clamped size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: u64,
    pub per_page: u64,
}

impl Paging {
    pub const DEFAULT_PER_PAGE: u64 = 25;
    pub const MAX_PER_PAGE: u64 = 100;
    /// Pages beyond this are not served (the offset stays far from overflow).
    pub const MAX_PAGE: u64 = 1_000_000;

    #[must_use]
    pub fn new(page: Option<u64>, per_page: Option<u64>) -> Self {
        Self {
            page: page.unwrap_or(1).clamp(1, Self::MAX_PAGE),
            per_page: per_page
                .unwrap_or(Self::DEFAULT_PER_PAGE)
                .clamp(1, Self::MAX_PER_PAGE),
        }
    }

    #[must_use]
    pub const fn offset(self) -> u64 {
        (self.page - 1) * self.per_page
    }

    #[must_use]
    pub fn pages(self, total: u64) -> u64 {
        total.div_ceil(self.per_page).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    fn input() -> ClientInput<'static> {
        ClientInput {
            legal_name: "Boulangerie Légère SARL",
            vat_number: "fr 59 542 051 180",
            siret: "542.051.180.00066",
            customer_number: " c-0042 ",
            billing: AddressInput {
                street: "1 rue du Four",
                street2: "",
                postcode: "69001",
                city: "Lyon",
                country: "",
            },
            contact_name: "Léa Martin",
            contact_email: "Lea@Boulangerie.fr",
            contact_phone: "06 12 34 56 78",
            delivery: None,
            notes: "",
        }
    }

    #[test]
    fn a_client_is_stored_normalised() {
        let client = ClientAccount::parse(&input()).unwrap();
        assert_eq!(client.vat_number.unwrap().as_str(), "FR59542051180");
        assert_eq!(client.siret.as_ref().unwrap().as_str(), "54205118000066");
        assert_eq!(client.customer_number.as_deref(), Some("C-0042"));
        assert_eq!(client.contact_email.unwrap().as_str(), "lea@boulangerie.fr");
        assert_eq!(client.notes, None);
    }

    #[test]
    fn the_siren_comes_from_the_siret_or_the_french_vat_number() {
        let mut i = input();
        assert_eq!(
            ClientAccount::parse(&i).unwrap().siren().as_deref(),
            Some("542051180")
        );
        i.siret = "";
        assert_eq!(
            ClientAccount::parse(&i).unwrap().siren().as_deref(),
            Some("542051180")
        );
        i.vat_number = "DE136695976";
        assert_eq!(ClientAccount::parse(&i).unwrap().siren(), None);
    }

    type Edit = fn(&mut ClientInput<'static>);

    #[rstest]
    #[case::name(|i: &mut ClientInput<'static>| i.legal_name = "", "legal_name", "required")]
    #[case::siret(|i: &mut ClientInput<'static>| i.siret = "542 051 180 0006", "siret", "siret-length")]
    #[case::siret_key(|i: &mut ClientInput<'static>| i.siret = "542 051 180 00067", "siret", "siret-checksum")]
    #[case::vat(|i: &mut ClientInput<'static>| i.vat_number = "FR58542051180", "vat_number", "vat-key")]
    #[case::vat_country(|i: &mut ClientInput<'static>| i.vat_number = "XX123", "vat_number", "vat-country")]
    #[case::vat_mismatch(|i: &mut ClientInput<'static>| i.vat_number = "FR89380129866", "vat_number", "vat-siren-mismatch")]
    #[case::customer_number(|i: &mut ClientInput<'static>| i.customer_number = "C 42", "customer_number", "customer-number-invalid")]
    #[case::street(|i: &mut ClientInput<'static>| i.billing.street = "", "billing_street", "required")]
    #[case::postcode(|i: &mut ClientInput<'static>| i.billing.postcode = "6900", "billing_postcode", "postcode-invalid")]
    #[case::country(|i: &mut ClientInput<'static>| i.billing.country = "ZZ", "billing_country", "country-invalid")]
    #[case::email(|i: &mut ClientInput<'static>| i.contact_email = "lea@", "contact_email", "email-invalid")]
    #[case::phone(|i: &mut ClientInput<'static>| i.contact_phone = "123", "contact_phone", "phone-invalid")]
    #[case::delivery(|i: &mut ClientInput<'static>| i.delivery = Some(AddressInput::default()), "delivery_street", "required")]
    fn each_wrong_field_is_reported(#[case] edit: Edit, #[case] field: &str, #[case] code: &str) {
        let mut i = input();
        edit(&mut i);
        let errors = ClientAccount::parse(&i).unwrap_err();
        assert_eq!(errors.code_for(field), Some(code), "{errors:?}");
    }

    #[rstest]
    #[case("Société Générale", "societe generale")]
    #[case("  ÉCOLE   du Louvre ", "ecole du louvre")]
    #[case("Åkesson & Söner AB", "akesson & soner ab")]
    fn names_are_folded_for_search(#[case] input: &str, #[case] folded: &str) {
        assert_eq!(fold_for_search(input), folded);
    }

    #[test]
    fn a_query_knows_a_siren_inside_a_siret() {
        let query = ClientSearch::parse("542 051 180 00066").unwrap();
        assert_eq!(query.siren.as_deref(), Some("542051180"));
        assert_eq!(query.identifier, "54205118000066");
        assert_eq!(ClientSearch::parse("   "), None);
        assert_eq!(ClientSearch::parse("boul").unwrap().siren, None);
    }

    #[test]
    fn like_wildcards_typed_by_users_are_literal() {
        assert_eq!(
            ClientSearch::parse("50%_off").unwrap().name_pattern(),
            "%50\\%\\_off%"
        );
    }

    #[test]
    fn paging_is_clamped() {
        assert_eq!(
            Paging::new(Some(0), Some(1000)),
            Paging {
                page: 1,
                per_page: 100
            }
        );
        assert_eq!(Paging::new(Some(3), None).offset(), 50);
        assert_eq!(Paging::new(None, Some(10)).pages(0), 1);
        assert_eq!(Paging::new(None, Some(10)).pages(21), 3);
        assert_eq!(Paging::new(Some(u64::MAX), None).page, Paging::MAX_PAGE);
    }

    #[test]
    fn sort_headers_toggle() {
        assert_eq!(ClientSort::parse("bogus"), ClientSort::NameAsc);
        assert_eq!(ClientSort::NameAsc.toggled("name"), ClientSort::NameDesc);
        assert_eq!(ClientSort::NameDesc.toggled("name"), ClientSort::NameAsc);
        assert_eq!(
            ClientSort::NameAsc.toggled("customer_number"),
            ClientSort::CustomerNumberAsc
        );
        for sort in ClientSort::ALL {
            assert_eq!(ClientSort::parse(sort.as_str()), sort);
        }
    }

    proptest! {
        #[test]
        fn folding_is_idempotent(text in "\\PC{0,40}") {
            let once = fold_for_search(&text);
            prop_assert_eq!(fold_for_search(&once), once.clone());
        }

        #[test]
        fn customer_numbers_parse_to_themselves(n in "[A-Za-z0-9./_-]{1,32}") {
            let parsed = parse_customer_number(&n).unwrap().unwrap();
            prop_assert_eq!(parse_customer_number(&parsed).unwrap(), Some(parsed.clone()));
        }
    }
}
