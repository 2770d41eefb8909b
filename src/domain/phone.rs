//! Telephone numbers, stored in the international E.164 form (`+33123456789`) and shown
//! grouped as people read them ("+33 1 23 45 67 89").

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    /// Accepts spaces, dots, dashes and parentheses; a French national number
    /// ("01 23 45 67 89") becomes `+33…`; `00` is the international prefix.
    ///
    /// # Errors
    /// `phone-invalid`.
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let kept: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-' | '(' | ')' | '/'))
            .collect();
        let international = if let Some(rest) = kept.strip_prefix('+') {
            rest.to_string()
        } else if let Some(rest) = kept.strip_prefix("00") {
            rest.to_string()
        } else if kept.len() == 10 && kept.starts_with('0') {
            format!("33{}", &kept[1..])
        } else {
            return Err("phone-invalid");
        };
        // E.164: at most 15 digits, country codes never start with 0.
        let valid = (8..=15).contains(&international.len())
            && international.bytes().all(|b| b.is_ascii_digit())
            && !international.starts_with('0');
        // "+33 (0)1 …": the trunk 0 written after the country code is not dialled.
        let international = match international.strip_prefix("330") {
            Some(rest) if rest.len() == 9 => format!("33{rest}"),
            _ => international,
        };
        if valid && (!international.starts_with("33") || international.len() == 11) {
            Ok(Self(format!("+{international}")))
        } else {
            Err("phone-invalid")
        }
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// French numbers in pairs ("+33 1 23 45 67 89"); others as stored.
    #[must_use]
    pub fn formatted(&self) -> String {
        match self.0.strip_prefix("+33") {
            Some(national) if national.len() == 9 => {
                let (first, rest) = national.split_at(1);
                let pairs: Vec<&str> = rest
                    .as_bytes()
                    .chunks(2)
                    .map(|c| std::str::from_utf8(c).unwrap_or_default())
                    .collect();
                format!("+33 {first} {}", pairs.join(" "))
            }
            _ => self.0.clone(),
        }
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.formatted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("01 23 45 67 89", Ok("+33123456789"))]
    #[case("06.12.34.56.78", Ok("+33612345678"))]
    #[case("+33 6 12 34 56 78", Ok("+33612345678"))]
    #[case("+33 (0)6 12 34 56 78", Ok("+33612345678"))]
    #[case("0033 612345678", Ok("+33612345678"))]
    #[case("+46 8 123 456 78", Ok("+46812345678"))]
    #[case("+1 (212) 555-0100", Ok("+12125550100"))]
    #[case("12 34 56", Err("phone-invalid"))]
    #[case("+33 6 12 34 56", Err("phone-invalid"))]
    #[case("+33 6 12 34 56 78 9", Err("phone-invalid"))]
    #[case("06 12 34 56 7A", Err("phone-invalid"))]
    #[case("+0 123 456 789", Err("phone-invalid"))]
    fn phones(#[case] input: &str, #[case] expected: Result<&str, &str>) {
        assert_eq!(
            Phone::parse(input).as_ref().map(Phone::as_str),
            expected.as_ref().map(|s| *s)
        );
    }

    #[test]
    fn french_numbers_are_shown_in_pairs() {
        assert_eq!(
            Phone::parse("0123456789").unwrap().formatted(),
            "+33 1 23 45 67 89"
        );
        assert_eq!(
            Phone::parse("+46812345678").unwrap().formatted(),
            "+46812345678"
        );
    }

    proptest::proptest! {
        #[test]
        fn parsing_the_shown_form_gives_the_same_number(national in "[1-9][0-9]{8}") {
            let phone = Phone::parse(&format!("0{national}")).unwrap();
            proptest::prop_assert_eq!(Phone::parse(&phone.formatted()).unwrap(), phone);
        }
    }
}
