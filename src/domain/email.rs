//! E-mail addresses, parsed once at the boundary and stored lowercase.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Accepts surrounding spaces and any case; stores the address trimmed and lowercase so
    /// that one person cannot hold two accounts by changing case.
    ///
    /// # Errors
    /// `email-required` when empty, `email-invalid` when not an RFC 5321 address with a
    /// domain that has a dot.
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err("email-required");
        }
        let lower = trimmed.to_lowercase();
        let parsed = email_address::EmailAddress::from_str(&lower).map_err(|_| "email-invalid")?;
        // A bare host ("user@localhost") cannot receive mail from the internet.
        if !parsed.domain().contains('.') || lower.len() > 254 {
            return Err("email-invalid");
        }
        Ok(Self(lower))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("marie@atelier-dupont.fr", Ok("marie@atelier-dupont.fr"))]
    #[case("  Marie.Dupont@Atelier.FR ", Ok("marie.dupont@atelier.fr"))]
    #[case("", Err("email-required"))]
    #[case("   ", Err("email-required"))]
    #[case("marie", Err("email-invalid"))]
    #[case("marie@", Err("email-invalid"))]
    #[case("@atelier.fr", Err("email-invalid"))]
    #[case("marie@localhost", Err("email-invalid"))]
    #[case("marie dupont@atelier.fr", Err("email-invalid"))]
    fn parses(#[case] input: &str, #[case] expected: Result<&str, &str>) {
        let parsed = Email::parse(input);
        assert_eq!(parsed.as_ref().map(Email::as_str).map_err(|e| *e), expected);
    }

    proptest::proptest! {
        #[test]
        fn parsing_is_idempotent(local in "[a-z0-9]{1,12}", domain in "[a-z]{1,10}") {
            let email = Email::parse(&format!("{local}@{domain}.fr")).unwrap();
            proptest::prop_assert_eq!(Email::parse(email.as_str()).unwrap(), email);
        }
    }
}
