//! Interface languages. French first (the product's users are French), English and Swedish.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub enum Locale {
    #[default]
    #[serde(rename = "fr-FR")]
    Fr,
    #[serde(rename = "en-US")]
    En,
    #[serde(rename = "sv-SE")]
    Sv,
}

impl Locale {
    pub const ALL: [Self; 3] = [Self::Fr, Self::En, Self::Sv];

    #[must_use]
    pub const fn tag(self) -> &'static str {
        match self {
            Self::Fr => "fr-FR",
            Self::En => "en-US",
            Self::Sv => "sv-SE",
        }
    }

    /// The two-letter code for `<html lang>`.
    #[must_use]
    pub const fn short(self) -> &'static str {
        match self {
            Self::Fr => "fr",
            Self::En => "en",
            Self::Sv => "sv",
        }
    }

    /// Accepts a full tag ("fr-FR") or a bare language ("fr", "sv").
    #[must_use]
    pub fn from_tag(tag: &str) -> Option<Self> {
        let language = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match language.as_str() {
            "fr" => Some(Self::Fr),
            "en" => Some(Self::En),
            "sv" => Some(Self::Sv),
            _ => None,
        }
    }

    /// Picks the supported language the browser prefers most (RFC 9110 `Accept-Language`
    /// with q-values); French when nothing matches.
    #[must_use]
    pub fn negotiate(accept_language: &str) -> Self {
        let mut best: Option<(u32, usize, Self)> = None;
        for (position, item) in accept_language.split(',').enumerate() {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or_default();
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(1000, parse_quality);
            if quality == 0 {
                continue;
            }
            if let Some(locale) = Self::from_tag(tag) {
                let better =
                    best.is_none_or(|(q, pos, _)| quality > q || (quality == q && position < pos));
                if better {
                    best = Some((quality, position, locale));
                }
            }
        }
        best.map_or(Self::Fr, |(_, _, locale)| locale)
    }
}

/// q-values have at most three decimals: parse them as thousandths, without floats.
fn parse_quality(value: &str) -> u32 {
    let value = value.trim();
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    let whole: u32 = whole.parse().unwrap_or(0);
    let mut thousandths = 0;
    for (i, digit) in fraction.chars().take(3).enumerate() {
        let d = digit.to_digit(10).unwrap_or(0);
        thousandths += d * 10u32.pow(2 - u32::try_from(i).unwrap_or(2));
    }
    (whole * 1000 + thousandths).min(1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("", Locale::Fr)]
    #[case("de-DE,de;q=0.9", Locale::Fr)]
    #[case("en-US,en;q=0.9", Locale::En)]
    #[case("sv-SE", Locale::Sv)]
    #[case("de-DE,sv;q=0.8,en;q=0.7", Locale::Sv)]
    #[case("en;q=0.5,fr;q=0.9", Locale::Fr)]
    #[case("fr;q=0,en;q=0.1", Locale::En)]
    #[case("sv;q=0.800,en;q=0.8", Locale::Sv)]
    fn negotiates(#[case] header: &str, #[case] expected: Locale) {
        assert_eq!(Locale::negotiate(header), expected);
    }

    #[test]
    fn tags_round_trip() {
        for locale in Locale::ALL {
            assert_eq!(Locale::from_tag(locale.tag()), Some(locale));
        }
    }
}
