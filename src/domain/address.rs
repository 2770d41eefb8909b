//! Postal addresses with their country (ISO 3166-1 alpha-2), as printed on invoices and
//! carried in e-invoices (EN 16931 BG-5 / BG-8: line, city, post code, country code).

use std::fmt;

use serde::Serialize;

use super::error::FieldErrors;

/// Countries offered in forms: the EU member states (intra-EU VAT rules apply), the
/// neighbouring and French-speaking countries the designers' clients are in, and the
/// larger export markets. Names come from the fluent keys `country-<code>`.
pub const COUNTRIES: &[(&str, bool)] = &[
    ("FR", true),
    ("AT", true),
    ("BE", true),
    ("BG", true),
    ("CY", true),
    ("CZ", true),
    ("DE", true),
    ("DK", true),
    ("EE", true),
    ("ES", true),
    ("FI", true),
    ("GR", true),
    ("HR", true),
    ("HU", true),
    ("IE", true),
    ("IT", true),
    ("LT", true),
    ("LU", true),
    ("LV", true),
    ("MT", true),
    ("NL", true),
    ("PL", true),
    ("PT", true),
    ("RO", true),
    ("SE", true),
    ("SI", true),
    ("SK", true),
    ("AD", false),
    ("AU", false),
    ("BR", false),
    ("CA", false),
    ("CH", false),
    ("CI", false),
    ("CN", false),
    ("DZ", false),
    ("GB", false),
    ("IN", false),
    ("IS", false),
    ("JP", false),
    ("LI", false),
    ("MA", false),
    ("MC", false),
    ("NO", false),
    ("SN", false),
    ("TN", false),
    ("US", false),
];

/// A country code from [`COUNTRIES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Country(&'static str);

impl Country {
    pub const FRANCE: Self = Self("FR");

    /// Blank input means France, the default of every address.
    ///
    /// # Errors
    /// `country-invalid`.
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let code = input.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Ok(Self::FRANCE);
        }
        COUNTRIES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(c, _)| Self(c))
            .ok_or("country-invalid")
    }

    #[must_use]
    pub const fn code(self) -> &'static str {
        self.0
    }

    /// Member of the European Union (intra-community VAT rules).
    #[must_use]
    pub fn is_eu(self) -> bool {
        COUNTRIES.iter().any(|(c, eu)| *c == self.0 && *eu)
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// Post code formats of the countries whose format is simple and strict; other countries
/// accept 2 to 10 letters, digits, spaces and dashes.
fn postcode_digits(country: &str) -> Option<usize> {
    match country {
        "FR" | "MC" | "DE" | "ES" | "IT" | "HR" | "FI" | "EE" | "LT" | "DZ" | "MA" | "SN"
        | "US" => Some(5),
        "AT" | "BE" | "BG" | "CH" | "CY" | "DK" | "HU" | "LU" | "LI" | "NO" | "SI" | "AU"
        | "TN" => Some(4),
        "IS" => Some(3),
        _ => None,
    }
}

/// Normalises a post code for its country, or says why it is refused.
///
/// # Errors
/// `postcode-required`, `postcode-invalid`.
pub fn parse_postcode(country: Country, input: &str) -> Result<String, &'static str> {
    let collapsed = input.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return Err("postcode-required");
    }
    // Post codes are ASCII everywhere we deliver: refuse anything else up front.
    if !collapsed.is_ascii() {
        return Err("postcode-invalid");
    }
    let upper = collapsed.to_uppercase();
    // Luxembourg post codes are often written "L-1234"; the prefix is not part of the code.
    let upper = match country.code() {
        "LU" => upper.strip_prefix("L-").unwrap_or(&upper).to_string(),
        _ => upper,
    };
    let valid = match (country.code(), postcode_digits(country.code())) {
        ("US", _) => {
            let digits: String = upper.chars().filter(|c| *c != '-').collect();
            (digits.len() == 5 || digits.len() == 9) && digits.bytes().all(|b| b.is_ascii_digit())
        }
        ("NL", _) => {
            let compact: String = upper.chars().filter(|c| *c != ' ').collect();
            compact.len() == 6
                && compact[..4].bytes().all(|b| b.is_ascii_digit())
                && compact[4..].bytes().all(|b| b.is_ascii_uppercase())
        }
        ("PL", _) => {
            upper.len() == 6
                && upper.as_bytes()[2] == b'-'
                && upper
                    .bytes()
                    .enumerate()
                    .all(|(i, b)| i == 2 || b.is_ascii_digit())
        }
        ("PT", _) => {
            upper.len() == 8
                && upper.as_bytes()[4] == b'-'
                && upper
                    .bytes()
                    .enumerate()
                    .all(|(i, b)| i == 4 || b.is_ascii_digit())
        }
        ("SE" | "CZ" | "SK" | "GR", _) => {
            let compact: String = upper.chars().filter(|c| *c != ' ').collect();
            compact.len() == 5 && compact.bytes().all(|b| b.is_ascii_digit())
        }
        (_, Some(digits)) => upper.len() == digits && upper.bytes().all(|b| b.is_ascii_digit()),
        (_, None) => {
            (2..=10).contains(&upper.chars().count())
                && upper
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
        }
    };
    if valid {
        Ok(upper)
    } else {
        Err("postcode-invalid")
    }
}

/// What a form or an API call gives for an address.
#[derive(Debug, Clone, Default)]
pub struct AddressInput<'a> {
    pub street: &'a str,
    pub street2: &'a str,
    pub postcode: &'a str,
    pub city: &'a str,
    pub country: &'a str,
}

impl AddressInput<'_> {
    #[must_use]
    pub fn is_blank(&self) -> bool {
        [self.street, self.street2, self.postcode, self.city]
            .iter()
            .all(|s| s.trim().is_empty())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostalAddress {
    pub street: String,
    pub street2: Option<String>,
    pub postcode: String,
    pub city: String,
    pub country: Country,
}

const MAX_LINE: usize = 200;

fn line(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl PostalAddress {
    /// Parses an address; errors are reported on `<prefix>_street`, `<prefix>_postcode`,
    /// `<prefix>_city` and `<prefix>_country` (the field names of forms and API).
    ///
    /// # Errors
    /// The field errors of every part that is wrong.
    pub fn parse(input: &AddressInput<'_>, fields: AddressFields) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let street = line(input.street);
        let street2 = line(input.street2);
        let city = line(input.city);
        if street.is_empty() {
            errors.push(fields.street, "required");
        } else if street.chars().count() > MAX_LINE || street2.chars().count() > MAX_LINE {
            errors.push(fields.street, "too-long");
        }
        if city.is_empty() {
            errors.push(fields.city, "required");
        } else if city.chars().count() > 100 {
            errors.push(fields.city, "too-long");
        }
        let country = errors.take(fields.country, Country::parse(input.country));
        let postcode = country.and_then(|country| {
            errors.take(fields.postcode, parse_postcode(country, input.postcode))
        });
        match (country, postcode) {
            (Some(country), Some(postcode)) if errors.is_empty() => Ok(Self {
                street,
                street2: (!street2.is_empty()).then_some(street2),
                postcode,
                city: city.to_string(),
                country,
            }),
            _ => Err(errors),
        }
    }

    /// The lines as printed on a French invoice ("75002 PARIS" style is not imposed:
    /// the city is printed as typed).
    #[must_use]
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![self.street.clone()];
        if let Some(second) = &self.street2 {
            lines.push(second.clone());
        }
        lines.push(format!("{} {}", self.postcode, self.city));
        lines
    }
}

/// The names under which an address's parts are reported.
#[derive(Debug, Clone, Copy)]
pub struct AddressFields {
    pub street: &'static str,
    pub postcode: &'static str,
    pub city: &'static str,
    pub country: &'static str,
}

impl AddressFields {
    pub const ADDRESS: Self = Self {
        street: "address_street",
        postcode: "address_postcode",
        city: "address_city",
        country: "address_country",
    };
    pub const BILLING: Self = Self {
        street: "billing_street",
        postcode: "billing_postcode",
        city: "billing_city",
        country: "billing_country",
    };
    pub const DELIVERY: Self = Self {
        street: "delivery_street",
        postcode: "delivery_postcode",
        city: "delivery_city",
        country: "delivery_country",
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("FR", "75002", Ok("75002"))]
    #[case("FR", " 69 001 ", Err("postcode-invalid"))]
    #[case("FR", "7500", Err("postcode-invalid"))]
    #[case("FR", "750021", Err("postcode-invalid"))]
    #[case("FR", "97400", Ok("97400"))]
    #[case("FR", "", Err("postcode-required"))]
    #[case("DE", "10115", Ok("10115"))]
    #[case("BE", "1000", Ok("1000"))]
    #[case("BE", "10000", Err("postcode-invalid"))]
    #[case("LU", "L-1234", Ok("1234"))]
    #[case("NL", "1012 ab", Ok("1012 AB"))]
    #[case("NL", "1012", Err("postcode-invalid"))]
    #[case("PL", "00-950", Ok("00-950"))]
    #[case("PT", "1000-001", Ok("1000-001"))]
    #[case("SE", "114 55", Ok("114 55"))]
    #[case("US", "10001-1234", Ok("10001-1234"))]
    #[case("GB", "sw1a 1aa", Ok("SW1A 1AA"))]
    #[case("GB", "S", Err("postcode-invalid"))]
    #[case("CA", "K1A 0B1", Ok("K1A 0B1"))]
    #[case("NL", "123éa", Err("postcode-invalid"))]
    fn postcodes(#[case] country: &str, #[case] input: &str, #[case] expected: Result<&str, &str>) {
        let country = Country::parse(country).unwrap();
        assert_eq!(
            parse_postcode(country, input).as_deref(),
            expected.as_deref()
        );
    }

    #[rstest]
    #[case("", Ok("FR"))]
    #[case("fr", Ok("FR"))]
    #[case(" de ", Ok("DE"))]
    #[case("XX", Err("country-invalid"))]
    #[case("FRA", Err("country-invalid"))]
    fn countries(#[case] input: &str, #[case] expected: Result<&str, &str>) {
        assert_eq!(Country::parse(input).map(Country::code), expected);
    }

    #[test]
    fn the_eu_has_27_members_and_france_is_one() {
        assert_eq!(COUNTRIES.iter().filter(|(_, eu)| *eu).count(), 27);
        assert!(Country::FRANCE.is_eu());
        assert!(!Country::parse("CH").unwrap().is_eu());
    }

    #[test]
    fn an_address_reports_every_wrong_part_on_its_field() {
        let input = AddressInput {
            street: "  ",
            postcode: "123",
            city: "",
            country: "FR",
            ..Default::default()
        };
        let errors = PostalAddress::parse(&input, AddressFields::BILLING).unwrap_err();
        assert_eq!(errors.code_for("billing_street"), Some("required"));
        assert_eq!(
            errors.code_for("billing_postcode"),
            Some("postcode-invalid")
        );
        assert_eq!(errors.code_for("billing_city"), Some("required"));
    }

    #[test]
    fn an_address_is_stored_with_single_spaces() {
        let input = AddressInput {
            street: " 12  rue de la  Paix ",
            street2: "",
            postcode: "75002",
            city: " Paris ",
            country: "",
        };
        let address = PostalAddress::parse(&input, AddressFields::ADDRESS).unwrap();
        assert_eq!(address.street, "12 rue de la Paix");
        assert_eq!(address.street2, None);
        assert_eq!(address.city, "Paris");
        assert_eq!(address.country, Country::FRANCE);
        assert_eq!(address.lines(), vec!["12 rue de la Paix", "75002 Paris"]);
    }
}
