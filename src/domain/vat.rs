//! VAT treatments of a line or an allowance/charge: the French rates and the zero-rated
//! cases with their legal reason, EN 16931 category code (UNCL 5305, BT-151) and VATEX code
//! (BT-121). DOMAIN.md "Money".

use std::fmt;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};

/// How VAT applies. The form value (`code()`) is stable: it is stored and sent by the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum VatCode {
    /// 20 % (taux normal, CGI art. 278).
    Standard20,
    /// 10 % (taux intermédiaire, CGI art. 279).
    Reduced10,
    /// 5,5 % (taux réduit, CGI art. 278-0 bis).
    Reduced5_5,
    /// 2,1 % (taux particulier, CGI art. 281 quater).
    Special2_1,
    /// Franchise en base: the seller charges no VAT (CGI art. 293 B).
    Franchise,
    /// Services to a VAT-registered business in another member state: the buyer accounts
    /// for the VAT (CGI art. 283-2; directive 2006/112/EC art. 196).
    ReverseCharge,
    /// Goods delivered to a VAT-registered business in another member state
    /// (CGI art. 262 ter I).
    IntraCommunitySupply,
    /// Goods exported outside the EU (CGI art. 262 I).
    Export,
    /// Services to a business outside the EU: outside the scope of French VAT
    /// (CGI art. 259-1).
    OutsideScope,
}

impl VatCode {
    pub const ALL: [Self; 9] = [
        Self::Standard20,
        Self::Reduced10,
        Self::Reduced5_5,
        Self::Special2_1,
        Self::Franchise,
        Self::ReverseCharge,
        Self::IntraCommunitySupply,
        Self::Export,
        Self::OutsideScope,
    ];

    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Standard20 => "20",
            Self::Reduced10 => "10",
            Self::Reduced5_5 => "5.5",
            Self::Special2_1 => "2.1",
            Self::Franchise => "franchise",
            Self::ReverseCharge => "reverse-charge",
            Self::IntraCommunitySupply => "intra-eu-goods",
            Self::Export => "export",
            Self::OutsideScope => "outside-scope",
        }
    }

    /// # Errors
    /// `vat-code-invalid`.
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let value = input
            .trim()
            .replace(',', ".")
            .trim_end_matches('%')
            .trim()
            .to_string();
        Self::ALL
            .into_iter()
            .find(|c| c.code() == value)
            .ok_or("vat-code-invalid")
    }

    /// The rate in percent.
    #[must_use]
    pub fn rate(self) -> Decimal {
        match self {
            Self::Standard20 => dec!(20),
            Self::Reduced10 => dec!(10),
            Self::Reduced5_5 => dec!(5.5),
            Self::Special2_1 => dec!(2.1),
            _ => Decimal::ZERO,
        }
    }

    /// EN 16931 VAT category code (UNCL 5305).
    #[must_use]
    pub const fn category(self) -> &'static str {
        match self {
            Self::Standard20 | Self::Reduced10 | Self::Reduced5_5 | Self::Special2_1 => "S",
            Self::Franchise => "E",
            Self::ReverseCharge => "AE",
            Self::IntraCommunitySupply => "K",
            Self::Export => "G",
            Self::OutsideScope => "O",
        }
    }

    /// VATEX exemption reason code (CEF code list), for zero-rated treatments.
    #[must_use]
    pub const fn vatex(self) -> Option<&'static str> {
        match self {
            Self::Franchise => Some("VATEX-FR-FRANCHISE"),
            Self::ReverseCharge => Some("VATEX-EU-AE"),
            Self::IntraCommunitySupply => Some("VATEX-EU-IC"),
            Self::Export => Some("VATEX-EU-G"),
            Self::OutsideScope => Some("VATEX-EU-O"),
            _ => None,
        }
    }

    /// The legal mention printed on the invoice (always in French: it is the legal text).
    #[must_use]
    pub const fn exemption_reason(self) -> Option<&'static str> {
        match self {
            Self::Franchise => Some("TVA non applicable, art. 293 B du CGI"),
            Self::ReverseCharge => Some("Autoliquidation"),
            Self::IntraCommunitySupply => Some("Exonération de TVA, article 262 ter, I du CGI"),
            Self::Export => Some("Exonération de TVA, article 262 I du CGI"),
            Self::OutsideScope => Some("TVA non applicable, article 259-1 du CGI"),
            _ => None,
        }
    }

    #[must_use]
    pub const fn is_taxed(self) -> bool {
        matches!(
            self,
            Self::Standard20 | Self::Reduced10 | Self::Reduced5_5 | Self::Special2_1
        )
    }
}

impl fmt::Display for VatCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl From<VatCode> for String {
    fn from(code: VatCode) -> Self {
        code.code().to_string()
    }
}

impl TryFrom<String> for VatCode {
    type Error = &'static str;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("20", Ok(VatCode::Standard20))]
    #[case("5,5", Ok(VatCode::Reduced5_5))]
    #[case("5.5 %", Ok(VatCode::Reduced5_5))]
    #[case("franchise", Ok(VatCode::Franchise))]
    #[case("19.6", Err("vat-code-invalid"))]
    fn parses(#[case] input: &str, #[case] expected: Result<VatCode, &str>) {
        assert_eq!(VatCode::parse(input), expected);
    }

    #[test]
    fn every_zero_rated_code_has_a_reason_and_a_vatex_code() {
        for code in VatCode::ALL {
            assert_eq!(VatCode::parse(code.code()), Ok(code));
            if code.is_taxed() {
                assert!(code.rate() > Decimal::ZERO);
                assert_eq!(code.category(), "S");
                assert!(code.exemption_reason().is_none() && code.vatex().is_none());
            } else {
                assert_eq!(code.rate(), Decimal::ZERO);
                assert!(code.exemption_reason().is_some() && code.vatex().is_some());
            }
        }
    }
}
