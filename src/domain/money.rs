//! Amounts and rates as people type and read them in French ("1 234,56 €"), exact with
//! `rust_decimal`, stored as integer cents (DOMAIN.md "Money").

use rust_decimal::{prelude::ToPrimitive, Decimal, RoundingStrategy};

use super::locale::Locale;

/// Largest number accepted in a form (a thousand billion): far beyond any invoice, and far
/// from where cents would overflow.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000;

/// Reads a decimal written the French way ("1 234,56"), the English way ("1,234.56",
/// "1234.56") or with a trailing "€" / "%".
///
/// # Errors
/// `number-invalid` when it is not a number, `too-many-decimals` beyond `max_decimals`.
pub fn parse_decimal(input: &str, max_decimals: u32) -> Result<Decimal, &'static str> {
    let cleaned: String = input
        .trim()
        .trim_end_matches(['€', '%'])
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{202f}')
        .collect();
    // With both separators ("1,234.56", "1.234,56") the last one is the decimal point
    // and the other groups thousands; with one, it is the decimal point (French "0,5").
    let decimal_point = cleaned.rfind([',', '.']).map(|i| &cleaned[i..=i]);
    let grouping = match decimal_point {
        Some(",") => ".",
        _ => ",",
    };
    let cleaned = if cleaned.contains(',') && cleaned.contains('.') {
        cleaned.replace(grouping, "")
    } else {
        cleaned
    };
    if cleaned.is_empty() || cleaned.matches([',', '.']).count() > 1 {
        return Err("number-invalid");
    }
    let normalised = cleaned.replace(',', ".");
    let valid_chars = normalised
        .strip_prefix('-')
        .unwrap_or(&normalised)
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.');
    if !valid_chars || normalised.starts_with('.') || normalised.ends_with('.') {
        return Err("number-invalid");
    }
    let value: Decimal = normalised.parse().map_err(|_| "number-invalid")?;
    if value.scale() > max_decimals {
        return Err("too-many-decimals");
    }
    if value.abs() >= Decimal::from(MAX_AMOUNT) {
        return Err("number-too-large");
    }
    Ok(value)
}

/// An amount in euros, exact to the cent.
///
/// # Errors
/// As [`parse_decimal`], and `amount-negative`.
pub fn parse_cents(input: &str) -> Result<i64, &'static str> {
    let value = parse_decimal(input, 2)?;
    if value.is_sign_negative() {
        return Err("amount-negative");
    }
    (value * Decimal::ONE_HUNDRED)
        .to_i64()
        .ok_or("number-invalid")
}

/// A percentage with at most two decimals, stored in basis points (12,15 % -> 1215).
///
/// # Errors
/// As [`parse_decimal`], and `rate-out-of-range` outside 0-100 %.
pub fn parse_rate_basis_points(input: &str) -> Result<i32, &'static str> {
    let value = parse_decimal(input, 2)?;
    if value.is_sign_negative() || value > Decimal::ONE_HUNDRED {
        return Err("rate-out-of-range");
    }
    (value * Decimal::ONE_HUNDRED)
        .to_i32()
        .ok_or("rate-out-of-range")
}

/// Groups the integer digits by three with `separator`.
fn group_thousands(digits: &str, separator: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * separator.len());
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(separator);
        }
        out.push(c);
    }
    out
}

/// A decimal with exactly `decimals` places, in the locale's convention: French and
/// Swedish "1 234,56" (narrow no-break space), English "1,234.56". Rounds half away from zero.
#[must_use]
pub fn format_decimal(value: Decimal, decimals: u32, locale: Locale) -> String {
    let rounded = value.round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero);
    let text = format!("{:.*}", decimals as usize, rounded.abs());
    let (integer, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let (group, point) = match locale {
        Locale::Fr | Locale::Sv => ("\u{202f}", ","),
        Locale::En => (",", "."),
    };
    let sign = if rounded.is_sign_negative() && !rounded.is_zero() {
        "-"
    } else {
        ""
    };
    let grouped = group_thousands(integer, group);
    if fraction.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}{point}{fraction}")
    }
}

/// "1 234,56 €" (French, Swedish) or "€1,234.56" (English).
#[must_use]
pub fn format_cents(cents: i64, locale: Locale) -> String {
    let number = format_decimal(Decimal::new(cents, 2), 2, locale);
    match locale {
        Locale::Fr | Locale::Sv => format!("{number}\u{a0}€"),
        Locale::En => match number.strip_prefix('-') {
            Some(positive) => format!("-€{positive}"),
            None => format!("€{number}"),
        },
    }
}

/// "12,15 %" from basis points.
#[must_use]
pub fn format_rate(basis_points: i32, locale: Locale) -> String {
    let value = Decimal::new(i64::from(basis_points), 2).normalize();
    let decimals = value.scale();
    let number = format_decimal(value, decimals, locale);
    match locale {
        Locale::Fr | Locale::Sv => format!("{number}\u{a0}%"),
        Locale::En => format!("{number}%"),
    }
}

/// The value to put back into a form field ("1234,56"): no grouping, so it parses again.
#[must_use]
pub fn cents_for_input(cents: i64, locale: Locale) -> String {
    let text = Decimal::new(cents, 2).to_string();
    match locale {
        Locale::Fr | Locale::Sv => text.replace('.', ","),
        Locale::En => text,
    }
}

/// As [`cents_for_input`] for a rate in basis points ("12,15").
#[must_use]
pub fn rate_for_input(basis_points: i32, locale: Locale) -> String {
    let text = Decimal::new(i64::from(basis_points), 2)
        .normalize()
        .to_string();
    match locale {
        Locale::Fr | Locale::Sv => text.replace('.', ","),
        Locale::En => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    #[case("1 234,56", Ok(123_456))]
    #[case("1234.56", Ok(123_456))]
    #[case("10 000 €", Ok(1_000_000))]
    #[case("0,5", Ok(50))]
    #[case("1\u{202f}000,00", Ok(100_000))]
    #[case("12,345", Err("too-many-decimals"))]
    #[case("1,234.56", Ok(123_456))]
    #[case("1.234,56", Ok(123_456))]
    #[case("1,234,567.89", Ok(123_456_789))]
    #[case("1,2,3", Err("number-invalid"))]
    #[case("-5", Err("amount-negative"))]
    #[case("1000000000000000000000000000", Err("number-too-large"))]
    #[case("1 000 000 000 000", Err("number-too-large"))]
    #[case("abc", Err("number-invalid"))]
    #[case("", Err("number-invalid"))]
    #[case(",5", Err("number-invalid"))]
    #[case("5,", Err("number-invalid"))]
    fn cents(#[case] input: &str, #[case] expected: Result<i64, &str>) {
        assert_eq!(parse_cents(input), expected);
    }

    #[rstest]
    #[case("12,15", Ok(1215))]
    #[case("10 %", Ok(1000))]
    #[case("100", Ok(10_000))]
    #[case("100,01", Err("rate-out-of-range"))]
    #[case("-1", Err("rate-out-of-range"))]
    #[case("12,155", Err("too-many-decimals"))]
    fn rates(#[case] input: &str, #[case] expected: Result<i32, &str>) {
        assert_eq!(parse_rate_basis_points(input), expected);
    }

    #[rstest]
    #[case(123_456, Locale::Fr, "1\u{202f}234,56\u{a0}€")]
    #[case(100_000_000, Locale::Fr, "1\u{202f}000\u{202f}000,00\u{a0}€")]
    #[case(5, Locale::Fr, "0,05\u{a0}€")]
    #[case(-123_456, Locale::Fr, "-1\u{202f}234,56\u{a0}€")]
    #[case(123_456, Locale::En, "€1,234.56")]
    #[case(-5, Locale::En, "-€0.05")]
    #[case(99_900, Locale::Sv, "999,00\u{a0}€")]
    fn amounts_are_shown_the_local_way(
        #[case] cents: i64,
        #[case] locale: Locale,
        #[case] expected: &str,
    ) {
        assert_eq!(format_cents(cents, locale), expected);
    }

    #[test]
    fn rates_drop_useless_decimals() {
        assert_eq!(format_rate(1215, Locale::Fr), "12,15\u{a0}%");
        assert_eq!(format_rate(1000, Locale::Fr), "10\u{a0}%");
        assert_eq!(format_rate(550, Locale::En), "5.5%");
        assert_eq!(rate_for_input(550, Locale::Fr), "5,5");
    }

    proptest! {
        #[test]
        fn what_a_form_shows_parses_back(cents in 0i64..10_000_000_000, french in any::<bool>()) {
            let locale = if french { Locale::Fr } else { Locale::En };
            prop_assert_eq!(parse_cents(&cents_for_input(cents, locale)), Ok(cents));
            if french {
                prop_assert_eq!(parse_cents(format_cents(cents, locale).as_str()), Ok(cents));
            }
        }

        #[test]
        fn rates_round_trip(bp in 0i32..=10_000) {
            prop_assert_eq!(parse_rate_basis_points(&rate_for_input(bp, Locale::Fr)), Ok(bp));
        }
    }
}
