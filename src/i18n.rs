//! Translations (fluent files in `assets/i18n/<tag>/main.ftl`), shared by the templates'
//! `t()` function and by Rust code that must speak the user's language (form and API
//! error messages).

use std::{borrow::Cow, collections::HashMap, sync::Arc, sync::OnceLock};

use fluent_templates::{fluent_bundle::FluentValue, ArcLoader, Loader};

use crate::domain::{error::FieldError, locale::Locale};

pub const I18N_DIR: &str = "assets/i18n";

static LOADER: OnceLock<Arc<ArcLoader>> = OnceLock::new();

/// The loader, read from disk once.
///
/// # Errors
/// When a translation file does not parse.
pub fn loader() -> Result<Arc<ArcLoader>, String> {
    if let Some(loader) = LOADER.get() {
        return Ok(loader.clone());
    }
    let loader = ArcLoader::builder(I18N_DIR, unic_langid::langid!("fr-FR"))
        .customize(|bundle| bundle.set_use_isolating(false))
        .build()
        .map_err(|e| format!("i18n: {e}"))?;
    Ok(LOADER.get_or_init(|| Arc::new(loader)).clone())
}

fn language(locale: Locale) -> unic_langid::LanguageIdentifier {
    locale
        .tag()
        .parse()
        .unwrap_or_else(|_| unic_langid::langid!("fr-FR"))
}

/// The message `key` in `locale` (the key itself when missing, so a gap shows).
#[must_use]
pub fn tr(locale: Locale, key: &str) -> String {
    tr_args(locale, key, &[])
}

/// The message `key` in `locale`, or `None` when there is none (for texts that may or may
/// not be one of our codes, e.g. a stored failure reason).
#[must_use]
pub fn try_tr(locale: Locale, key: &str) -> Option<String> {
    loader()
        .ok()?
        .try_lookup_with_args(&language(locale), key, &HashMap::new())
}

#[must_use]
pub fn tr_args(locale: Locale, key: &str, args: &[(&'static str, FluentValue<'static>)]) -> String {
    let Ok(loader) = loader() else {
        return key.to_string();
    };
    let args: HashMap<Cow<'static, str>, FluentValue<'static>> = args
        .iter()
        .map(|(k, v)| (Cow::Borrowed(*k), v.clone()))
        .collect();
    loader
        .try_lookup_with_args(&language(locale), key, &args)
        .unwrap_or_else(|| key.to_string())
}

/// The message of a field error ("SIRET : 14 chiffres attendus, 13 saisis").
#[must_use]
pub fn field_error_message(locale: Locale, error: &FieldError) -> String {
    let mut args = Vec::new();
    if let Some(expected) = error.expected {
        args.push(("expected", FluentValue::from(expected)));
    }
    if let Some(found) = error.found {
        args.push(("found", FluentValue::from(found)));
    }
    tr_args(locale, &error.key(), &args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{error::FieldErrors, ids::Siret};

    #[test]
    fn length_errors_say_what_was_expected_and_typed() {
        let mut errors = FieldErrors::default();
        errors.take_id("siret", Siret::parse("5420511800006"));
        let message = field_error_message(Locale::Fr, &errors.0[0]);
        assert_eq!(message, "SIRET : 14 chiffres attendus, 13 saisis.");
        let english = field_error_message(Locale::En, &errors.0[0]);
        assert_eq!(english, "SIRET: 14 digits expected, 13 entered.");
    }

    #[test]
    fn every_error_code_used_by_the_domain_has_a_message() {
        // Codes are collected from the sources so that a new code cannot ship untranslated.
        let mut codes = std::collections::BTreeSet::new();
        let pattern = regex::Regex::new(
            r#"(?:Err\(|IdError::(?:new|length)\(|ok_or\()"([a-z][a-z0-9-]*)"|push\([^,()]+, (?:"[a-z_]+", )?"([a-z][a-z0-9-]*)"\)"#,
        )
        .unwrap();
        for entry in std::fs::read_dir("src/domain").unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let code_part = text.split("#[cfg(test)]").next().unwrap_or_default();
            for capture in pattern.captures_iter(code_part) {
                if let Some(code) = capture.get(1).or_else(|| capture.get(2)) {
                    codes.insert(code.as_str().to_string());
                }
            }
        }
        assert!(codes.contains("siret-length"));
        for locale in Locale::ALL {
            for code in &codes {
                let key = format!("err-{code}");
                let loader = loader().unwrap();
                let args = HashMap::from([
                    (Cow::Borrowed("expected"), FluentValue::from(1)),
                    (Cow::Borrowed("found"), FluentValue::from(2)),
                ]);
                assert!(
                    loader
                        .try_lookup_with_args(&language(locale), &key, &args)
                        .is_some(),
                    "{key} missing in {}",
                    locale.tag()
                );
            }
        }
    }
}
