//! French and EU business identifiers, parsed once at the boundary ("parse, don't
//! validate"). Input is accepted with spaces, dots, dashes and lowercase; values are stored
//! normalised (uppercase, no separators) and displayed formatted.
//!
//! Rules: DOMAIN.md "Identifiers"; VAT formats are those of the EU VIES service.

use std::{collections::HashMap, fmt, sync::OnceLock};

use regex::Regex;

/// Why an identifier was refused. `code` is stable (API, fluent key `err-<code>`);
/// `expected`/`found` feed messages such as "SIRET : 14 chiffres attendus, 13 saisis".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdError {
    pub code: &'static str,
    pub expected: Option<usize>,
    pub found: Option<usize>,
}

impl IdError {
    #[must_use]
    pub const fn new(code: &'static str) -> Self {
        Self {
            code,
            expected: None,
            found: None,
        }
    }

    #[must_use]
    pub const fn length(code: &'static str, expected: usize, found: usize) -> Self {
        Self {
            code,
            expected: Some(expected),
            found: Some(found),
        }
    }
}

/// Removes the separators people type (spaces, dots, dashes, slashes) and uppercases.
#[must_use]
pub fn compact(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-' | '/' | '\u{a0}'))
        .flat_map(char::to_uppercase)
        .collect()
}

fn digits_only(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit())
}

/// Luhn checksum (ISO/IEC 7812): true when the digits including their check digit are valid.
#[must_use]
pub fn luhn_valid(digits: &str) -> bool {
    luhn_sum(digits).is_multiple_of(10)
}

fn luhn_sum(digits: &str) -> u32 {
    digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum()
}

fn numeric_mod(digits: &str, modulus: u64) -> u64 {
    digits
        .bytes()
        .fold(0u64, |acc, b| (acc * 10 + u64::from(b - b'0')) % modulus)
}

/// SIREN: 9 digits, Luhn.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Siren(String);

impl Siren {
    /// # Errors
    /// `siren-format`, `siren-length`, `siren-checksum`.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let value = compact(input);
        if !digits_only(&value) {
            return Err(IdError::new("siren-format"));
        }
        if value.len() != 9 {
            return Err(IdError::length("siren-length", 9, value.len()));
        }
        if !luhn_valid(&value) {
            return Err(IdError::new("siren-checksum"));
        }
        Ok(Self(value))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The numeric key of the French VAT number of this SIREN.
    #[must_use]
    pub fn vat_key(&self) -> u64 {
        (12 + 3 * numeric_mod(&self.0, 97)) % 97
    }

    /// "732 829 320"
    #[must_use]
    pub fn formatted(&self) -> String {
        format!("{} {} {}", &self.0[0..3], &self.0[3..6], &self.0[6..9])
    }
}

/// SIREN of La Poste, whose establishments (but the head office) are numbered with a
/// digit sum divisible by 5 instead of the Luhn key.
const LA_POSTE_SIREN: &str = "356000000";
const LA_POSTE_HEAD_OFFICE: &str = "35600000000048";

/// SIRET: SIREN + 5-digit NIC.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Siret(String);

impl Siret {
    /// # Errors
    /// `siret-format`, `siret-length`, `siret-checksum`.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let value = compact(input);
        if !digits_only(&value) {
            return Err(IdError::new("siret-format"));
        }
        if value.len() != 14 {
            return Err(IdError::length("siret-length", 14, value.len()));
        }
        let valid = if value.starts_with(LA_POSTE_SIREN) && value != LA_POSTE_HEAD_OFFICE {
            value.bytes().map(|b| u32::from(b - b'0')).sum::<u32>() % 5 == 0
        } else {
            luhn_valid(&value) && luhn_valid(&value[..9])
        };
        if !valid {
            return Err(IdError::new("siret-checksum"));
        }
        Ok(Self(value))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    #[must_use]
    pub fn siren(&self) -> &str {
        &self.0[..9]
    }

    /// "732 829 320 00074"
    #[must_use]
    pub fn formatted(&self) -> String {
        format!(
            "{} {} {} {}",
            &self.0[0..3],
            &self.0[3..6],
            &self.0[6..9],
            &self.0[9..14]
        )
    }
}

/// Alphabet of the French VAT alphanumeric keys (no I, no O).
const FR_KEY_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";

fn fr_vat_valid(body: &str) -> Result<(), IdError> {
    // body = 2-character key + 9-digit SIREN
    if body.len() != 11 {
        return Err(IdError::length("vat-length", 13, body.len() + 2));
    }
    let (key, siren) = body.split_at(2);
    if !digits_only(siren) || !key.chars().all(|c| FR_KEY_ALPHABET.contains(c)) {
        return Err(IdError::new("vat-format"));
    }
    // SIRENs beginning 000 identify foreign companies without a French SIREN.
    if !siren.starts_with("000") && !luhn_valid(siren) {
        return Err(IdError::new("vat-siren"));
    }
    let valid = if digits_only(key) {
        key.parse::<u64>().ok() == Some((12 + 3 * numeric_mod(siren, 97)) % 97)
    } else {
        let index = |c: char| FR_KEY_ALPHABET.find(c).unwrap_or(0) as u64;
        let mut chars = key.chars();
        let (first, second) = (chars.next().unwrap_or('0'), chars.next().unwrap_or('0'));
        let check = if first.is_ascii_digit() {
            (index(first) * 24 + index(second)).checked_sub(10)
        } else {
            (index(first) * 34 + index(second)).checked_sub(100)
        };
        check.is_some_and(|check| (numeric_mod(siren, 11) + 1 + check / 11) % 11 == check % 11)
    };
    if valid {
        Ok(())
    } else {
        Err(IdError::new("vat-key"))
    }
}

/// Format of the national part of each EU VAT number (VIES), without the country prefix.
fn vat_formats() -> &'static HashMap<&'static str, Regex> {
    static FORMATS: OnceLock<HashMap<&'static str, Regex>> = OnceLock::new();
    FORMATS.get_or_init(|| {
        [
            ("AT", r"^U[0-9]{8}$"),
            ("BE", r"^[01][0-9]{9}$"),
            ("BG", r"^[0-9]{9,10}$"),
            ("CY", r"^[0-9]{8}[A-Z]$"),
            ("CZ", r"^[0-9]{8,10}$"),
            ("DE", r"^[0-9]{9}$"),
            ("DK", r"^[0-9]{8}$"),
            ("EE", r"^[0-9]{9}$"),
            ("EL", r"^[0-9]{9}$"),
            ("ES", r"^[A-Z0-9][0-9]{7}[A-Z0-9]$"),
            ("FI", r"^[0-9]{8}$"),
            ("FR", r"^[0-9A-HJ-NP-Z]{2}[0-9]{9}$"),
            ("HR", r"^[0-9]{11}$"),
            ("HU", r"^[0-9]{8}$"),
            ("IE", r"^([0-9]{7}[A-W][A-I]?|[0-9][A-Z+*][0-9]{5}[A-W])$"),
            ("IT", r"^[0-9]{11}$"),
            ("LT", r"^([0-9]{9}|[0-9]{12})$"),
            ("LU", r"^[0-9]{8}$"),
            ("LV", r"^[0-9]{11}$"),
            ("MT", r"^[0-9]{8}$"),
            ("NL", r"^[0-9]{9}B[0-9]{2}$"),
            ("PL", r"^[0-9]{10}$"),
            ("PT", r"^[0-9]{9}$"),
            ("RO", r"^[1-9][0-9]{1,9}$"),
            ("SE", r"^[0-9]{10}01$"),
            ("SI", r"^[0-9]{8}$"),
            ("SK", r"^[0-9]{10}$"),
            ("XI", r"^([0-9]{9}|[0-9]{12}|GD[0-9]{3}|HA[0-9]{3})$"),
        ]
        .into_iter()
        .map(|(country, pattern)| (country, Regex::new(pattern).expect("constant pattern")))
        .collect()
    })
}

fn weighted_sum(digits: &str, weights: &[u64]) -> u64 {
    digits
        .bytes()
        .zip(weights)
        .map(|(b, w)| u64::from(b - b'0') * w)
        .sum()
}

/// The check digits a member state defines (absent: format only).
fn national_checksum_valid(country: &str, body: &str) -> bool {
    match country {
        "AT" => {
            let digits = &body[1..8];
            (6 + 10 * 10 - u64::from(luhn_sum(digits) % 10)) % 10
                == u64::from(body.as_bytes()[8] - b'0')
        }
        "BE" => 97 - numeric_mod(&body[..8], 97) == body[8..].parse::<u64>().unwrap_or(0),
        "DE" => {
            let mut product = 10u64;
            for b in body[..8].bytes() {
                let mut sum = (u64::from(b - b'0') + product) % 10;
                if sum == 0 {
                    sum = 10;
                }
                product = (2 * sum) % 11;
            }
            (11 - product) % 10 == u64::from(body.as_bytes()[8] - b'0')
        }
        "DK" => weighted_sum(body, &[2, 7, 6, 5, 4, 3, 2, 1]).is_multiple_of(11),
        "FI" => weighted_sum(body, &[7, 9, 10, 5, 8, 4, 2, 1]).is_multiple_of(11),
        "IT" => luhn_valid(body) && &body[..7] != "0000000",
        "LU" => numeric_mod(&body[..6], 89) == body[6..].parse::<u64>().unwrap_or(u64::MAX),
        "NL" => {
            // Legacy (mod 11 on the 9 digits) or, since 2020, ISO 7064 mod 97 on "NL"+number.
            let digits = &body[..9];
            let mod11 = (weighted_sum(&digits[..8], &[9, 8, 7, 6, 5, 4, 3, 2]) + 11 * 10
                - u64::from(digits.as_bytes()[8] - b'0'))
            .is_multiple_of(11);
            let converted: String = format!("NL{body}")
                .chars()
                .map(|c| {
                    if c.is_ascii_digit() {
                        c.to_string()
                    } else {
                        (c as u32 - 'A' as u32 + 10).to_string()
                    }
                })
                .collect();
            mod11 || numeric_mod(&converted, 97) == 1
        }
        "PL" => {
            let sum = weighted_sum(body, &[6, 5, 7, 2, 3, 4, 5, 6, 7]) % 11;
            sum != 10 && sum == u64::from(body.as_bytes()[9] - b'0')
        }
        "PT" => {
            let check = 11 - weighted_sum(body, &[9, 8, 7, 6, 5, 4, 3, 2]) % 11;
            (if check > 9 { 0 } else { check }) == u64::from(body.as_bytes()[8] - b'0')
        }
        "SE" => luhn_valid(&body[..10]),
        _ => true,
    }
}

/// An EU VAT number (French ones included), e.g. `FR59542051180`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VatNumber(String);

impl VatNumber {
    /// # Errors
    /// `vat-country` (unknown prefix), `vat-format`, `vat-length`, `vat-siren`, `vat-key`,
    /// `vat-checksum`.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let value = compact(input);
        // Every VAT number is ASCII: anything else is refused before byte positions are used.
        if value.len() < 4 || !value.is_ascii() {
            return Err(IdError::new("vat-format"));
        }
        // Greece uses EL in VAT numbers, not its ISO code GR.
        let (country, body) = value.split_at(2);
        let country = if country == "GR" { "EL" } else { country };
        let Some(format) = vat_formats().get(country) else {
            return Err(IdError::new("vat-country"));
        };
        if country == "FR" {
            fr_vat_valid(body)?;
        } else if !format.is_match(body) {
            return Err(IdError::new("vat-format"));
        } else if !national_checksum_valid(country, body) {
            return Err(IdError::new("vat-checksum"));
        }
        Ok(Self(format!("{country}{body}")))
    }

    /// The French VAT number of a SIREN (numeric key).
    #[must_use]
    pub fn french_for(siren: &Siren) -> Self {
        Self(format!("FR{:02}{}", siren.vat_key(), siren.as_str()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    #[must_use]
    pub fn country(&self) -> &str {
        &self.0[..2]
    }

    /// "FR 59 542051180" for French numbers, the compact form otherwise.
    #[must_use]
    pub fn formatted(&self) -> String {
        if self.country() == "FR" {
            format!("FR {} {}", &self.0[2..4], &self.0[4..])
        } else {
            self.0.clone()
        }
    }
}

/// An IBAN (country, length for that country, mod 97), checked by the `iban_validate`
/// crate (it carries the IBAN registry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iban(String);

impl Iban {
    /// # Errors
    /// `iban-invalid` (length, country or checksum).
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let value = compact(input);
        use iban::IbanLike;
        let parsed: iban::Iban = value.parse().map_err(|_| IdError::new("iban-invalid"))?;
        Ok(Self(parsed.electronic_str().to_string()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Groups of four: "FR76 3000 6000 0112 3456 7890 189".
    #[must_use]
    pub fn formatted(&self) -> String {
        self.0
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A BIC (ISO 9362): bank (4 letters), country (2 letters), location (2), branch (3, optional).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bic(String);

impl Bic {
    /// # Errors
    /// `bic-length`, `bic-format`.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let value = compact(input);
        if value.len() != 8 && value.len() != 11 {
            return Err(IdError::length("bic-length", 11, value.len()));
        }
        let bytes = value.as_bytes();
        let valid = bytes[..6].iter().all(u8::is_ascii_uppercase)
            && bytes[6..].iter().all(u8::is_ascii_alphanumeric);
        if !valid {
            return Err(IdError::new("bic-format"));
        }
        Ok(Self(value))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Siren {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.formatted())
    }
}

impl fmt::Display for Siret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.formatted())
    }
}

impl fmt::Display for VatNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.formatted())
    }
}

impl fmt::Display for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.formatted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    fn code<T>(result: Result<T, IdError>) -> Result<(), &'static str> {
        result.map(|_| ()).map_err(|e| e.code)
    }

    // Real published SIRENs: TotalEnergies SE, Orange SA, La Poste, Google France, Air France.
    #[rstest]
    #[case("542 051 180", Ok(()))]
    #[case("380129866", Ok(()))]
    #[case("356.000.000", Ok(()))]
    #[case("443 061 841", Ok(()))]
    #[case("420 495 178", Ok(()))]
    #[case("542 051 181", Err("siren-checksum"))] // one digit changed
    #[case("542 051 108", Err("siren-checksum"))] // last two transposed
    #[case("54205118", Err("siren-length"))]
    #[case("5420511800", Err("siren-length"))]
    #[case("54205118A", Err("siren-format"))]
    #[case("", Err("siren-format"))]
    fn sirens(#[case] input: &str, #[case] expected: Result<(), &str>) {
        assert_eq!(code(Siren::parse(input)), expected);
    }

    #[test]
    fn length_errors_say_how_many_digits_were_typed() {
        assert_eq!(
            Siret::parse("5420511800006").unwrap_err(),
            IdError::length("siret-length", 14, 13)
        );
    }

    #[rstest]
    #[case("542 051 180 00066", Ok(()))] // TotalEnergies SE
    #[case("443 061 841 00047", Ok(()))] // Google France
    #[case("420 495 178 00014", Ok(()))] // Air France
    #[case("356 000 000 00048", Ok(()))] // La Poste head office: Luhn
    #[case("356 000 000 49837", Ok(()))] // La Poste establishment: digit sum multiple of 5
    #[case("356 000 000 49838", Err("siret-checksum"))]
    #[case("542 051 180 00067", Err("siret-checksum"))]
    #[case("542 051 180 00606", Err("siret-checksum"))]
    #[case("542 051 180 0006", Err("siret-length"))]
    #[case("542 051 180 000O6", Err("siret-format"))]
    fn sirets(#[case] input: &str, #[case] expected: Result<(), &str>) {
        assert_eq!(code(Siret::parse(input)), expected);
    }

    #[test]
    fn siret_display_is_3_3_3_5() {
        assert_eq!(
            Siret::parse("54205118000066").unwrap().formatted(),
            "542 051 180 00066"
        );
    }

    #[rstest]
    #[case("FR59542051180", Ok(()))] // TotalEnergies
    #[case("fr 89 380 129 866", Ok(()))] // Orange
    #[case("FR39356000000", Ok(()))] // La Poste
    #[case("FR64443061841", Ok(()))] // Google France
    #[case("FR58542051180", Err("vat-key"))]
    #[case("FR59542051181", Err("vat-siren"))]
    #[case("FR5954205118", Err("vat-length"))]
    #[case("FRI9542051180", Err("vat-format"))]
    #[case("XX59542051180", Err("vat-country"))]
    #[case("DE136695976", Ok(()))]
    #[case("DE136695977", Err("vat-checksum"))]
    #[case("BE0403019261", Ok(()))]
    #[case("BE0403019262", Err("vat-checksum"))]
    #[case("IT00743110157", Ok(()))]
    #[case("IT00743110175", Err("vat-checksum"))]
    #[case("LU15027442", Ok(()))]
    #[case("NL004495445B01", Ok(()))]
    #[case("NL004495445B1", Err("vat-format"))]
    #[case("ATU13585627", Ok(()))]
    #[case("ATU13585626", Err("vat-checksum"))]
    #[case("DK13585628", Ok(()))]
    #[case("FI20774740", Ok(()))]
    #[case("PL8567346215", Ok(()))]
    #[case("PT501964843", Ok(()))]
    #[case("SE556036079301", Ok(()))]
    #[case("SE556036079302", Err("vat-format"))]
    #[case("EL094259216", Ok(()))]
    #[case("GR094259216", Ok(()))]
    #[case("ESB58378431", Ok(()))]
    #[case("FR1é12345678", Err("vat-format"))]
    #[case("ATU١٢٣٤٥٦٧٨", Err("vat-format"))]
    fn vat_numbers(#[case] input: &str, #[case] expected: Result<(), &str>) {
        assert_eq!(code(VatNumber::parse(input)), expected);
    }

    #[test]
    fn french_letter_keys_follow_the_alphanumeric_rule() {
        // Build every alphanumeric key of one SIREN: exactly the ones the rule accepts pass.
        let siren = "542051180";
        let accepted: Vec<String> = FR_KEY_ALPHABET
            .chars()
            .flat_map(|a| FR_KEY_ALPHABET.chars().map(move |b| format!("{a}{b}")))
            .filter(|key| !key.chars().all(|c| c.is_ascii_digit()))
            .filter(|key| VatNumber::parse(&format!("FR{key}{siren}")).is_ok())
            .collect();
        assert!(!accepted.is_empty(), "some letter keys are valid");
        assert!(accepted.len() < 200, "most letter keys are refused");
    }

    #[rstest]
    #[case("FR76 3000 6000 0112 3456 7890 189", Ok(()))]
    #[case("fr7630006000011234567890189", Ok(()))]
    #[case("DE89 3704 0044 0532 0130 00", Ok(()))]
    #[case("FR76 3000 6000 0112 3456 7890 188", Err("iban-invalid"))]
    #[case("FR76 3000 6000 0112 3456 7890 18", Err("iban-invalid"))]
    #[case("ZZ76 3000 6000 0112 3456 7890 189", Err("iban-invalid"))]
    fn ibans(#[case] input: &str, #[case] expected: Result<(), &str>) {
        assert_eq!(code(Iban::parse(input)), expected);
    }

    #[test]
    fn iban_is_shown_in_groups_of_four() {
        assert_eq!(
            Iban::parse("fr7630006000011234567890189")
                .unwrap()
                .formatted(),
            "FR76 3000 6000 0112 3456 7890 189"
        );
    }

    #[rstest]
    #[case("BNPAFRPP", Ok(()))]
    #[case("bnpa fr pp xxx", Ok(()))]
    #[case("BNPAFRP", Err("bic-length"))]
    #[case("BNP1FRPP", Err("bic-format"))]
    fn bics(#[case] input: &str, #[case] expected: Result<(), &str>) {
        assert_eq!(code(Bic::parse(input)), expected);
    }

    fn with_luhn_key(prefix: &str) -> String {
        (0..10)
            .map(|d| format!("{prefix}{d}"))
            .find(|s| luhn_valid(s))
            .unwrap()
    }

    proptest! {
        #[test]
        fn a_valid_siren_always_gives_a_valid_french_vat_number(prefix in "[0-9]{8}") {
            let siren = Siren::parse(&with_luhn_key(&prefix)).unwrap();
            let vat = VatNumber::french_for(&siren);
            prop_assert_eq!(VatNumber::parse(vat.as_str()).unwrap(), vat);
        }

        #[test]
        fn parsing_the_formatted_form_gives_the_same_value(prefix in "[0-9]{8}", nic in "[0-9]{4}") {
            let siren = Siren::parse(&with_luhn_key(&prefix)).unwrap();
            prop_assert_eq!(Siren::parse(&siren.formatted()).unwrap(), siren.clone());
            let siret = Siret::parse(&with_luhn_key(&format!("{}{nic}", siren.as_str())));
            if let Ok(siret) = siret {
                prop_assert_eq!(Siret::parse(&siret.formatted()).unwrap(), siret);
            }
            let vat = VatNumber::french_for(&siren);
            prop_assert_eq!(VatNumber::parse(&vat.formatted()).unwrap(), vat);
        }

        #[test]
        fn one_changed_digit_breaks_a_siren(prefix in "[0-9]{8}", position in 0usize..9, delta in 1u8..10) {
            let valid = with_luhn_key(&prefix);
            let mut bytes = valid.into_bytes();
            bytes[position] = b'0' + (bytes[position] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(Siren::parse(&changed).is_err());
        }
    }
}
