//! Templates: one Tera 2 instance for pages and e-mails, with the fluent `t()` function.

pub mod client;
pub mod company;
pub mod document;
pub mod invoice;
pub mod snapshot;

use std::sync::{Arc, OnceLock};

use fluent_templates::FluentLoader;

static RENDERER: OnceLock<Arc<tera::Tera>> = OnceLock::new();

const VIEWS_GLOB: &str = "assets/views/**/*.html";
const MAIL_DIR: &str = "assets/mail";

fn build() -> Result<tera::Tera, String> {
    let loader = crate::i18n::loader()?;
    let mut tera = tera::Tera::new();
    // Mail subjects and plain-text bodies must not be HTML-escaped.
    tera.autoescape_on([".html"]);
    tera.register_function(
        "t",
        FluentLoader::new(loader).with_default_lang(unic_langid::langid!("fr-FR")),
    );
    tera.load_from_glob(VIEWS_GLOB)
        .map_err(|e| format!("views: {e}"))?;
    // A second glob would replace the first one's templates: add the mail files by hand,
    // named "<template>/<part>" (e.g. "user_invitation/subject.txt").
    let mut mail_files = Vec::new();
    collect_files(std::path::Path::new(MAIL_DIR), &mut mail_files)
        .map_err(|e| format!("mail templates: {e}"))?;
    let named: Vec<(std::path::PathBuf, Option<String>)> = mail_files
        .into_iter()
        .filter_map(|path| {
            let name = path
                .strip_prefix(MAIL_DIR)
                .ok()?
                .to_string_lossy()
                .replace('\\', "/");
            Some((path, Some(name)))
        })
        .collect();
    tera.add_template_files(named)
        .map_err(|e| format!("mail templates: {e}"))?;
    Ok(tera)
}

fn collect_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// Loads the templates once; called at boot so that a broken template fails the start.
///
/// # Errors
/// When a template or a translation file does not parse.
pub fn init() -> loco_rs::Result<()> {
    if RENDERER.get().is_none() {
        let tera = build().map_err(|e| loco_rs::Error::string(&e))?;
        let _ = RENDERER.set(Arc::new(tera));
    }
    Ok(())
}

/// # Errors
/// When the template is missing or fails to render.
pub fn render(template: &str, context: &serde_json::Value) -> Result<String, String> {
    if RENDERER.get().is_none() {
        init().map_err(|e| e.to_string())?;
    }
    let tera = RENDERER.get().ok_or("renderer not initialised")?;
    let ctx = tera::Context::from_serialize(context).map_err(|e| e.to_string())?;
    tera.render(template, &ctx)
        .map_err(|e| format!("{template}: {e:?}"))
}

/// Dates are shown in Europe/Paris, the users' calendar, whatever the server's zone.
#[must_use]
pub fn paris_datetime(at: &chrono::DateTime<chrono::FixedOffset>) -> String {
    at.with_timezone(&chrono_tz::Europe::Paris)
        .format("%d/%m/%Y %H:%M:%S")
        .to_string()
}

#[must_use]
pub fn paris_date(at: &chrono::DateTime<chrono::FixedOffset>) -> String {
    at.with_timezone(&chrono_tz::Europe::Paris)
        .format("%d/%m/%Y")
        .to_string()
}

#[must_use]
pub fn has_template(template: &str) -> bool {
    let _ = init();
    RENDERER
        .get()
        .is_some_and(|t| t.contains_template(template))
}

#[cfg(test)]
mod tests {
    /// French, English and Swedish must each translate every key (no page half-translated).
    #[test]
    fn every_language_has_every_key() {
        let keys = |tag: &str| -> std::collections::BTreeSet<String> {
            let text = std::fs::read_to_string(format!("{}/{tag}/main.ftl", crate::i18n::I18N_DIR))
                .unwrap();
            text.lines()
                .filter_map(|l| l.split_once(" = ").map(|(k, _)| k))
                .filter(|k| !k.starts_with(' ') && !k.starts_with('#') && !k.is_empty())
                .map(str::to_string)
                .collect()
        };
        let french = keys("fr-FR");
        assert!(french.len() > 100);
        for other in ["en-US", "sv-SE"] {
            assert_eq!(keys(other), french, "{other} differs from fr-FR");
        }
    }

    #[test]
    fn dates_are_shown_in_paris_time() {
        let winter = chrono::DateTime::parse_from_rfc3339("2026-11-22T23:30:00Z").unwrap();
        assert_eq!(super::paris_datetime(&winter), "23/11/2026 00:30:00");
        let summer = chrono::DateTime::parse_from_rfc3339("2026-07-01T10:00:00Z").unwrap();
        assert_eq!(super::paris_date(&summer), "01/07/2026");
        assert_eq!(super::paris_datetime(&summer), "01/07/2026 12:00:00");
    }

    #[test]
    fn every_page_and_mail_template_loads() {
        super::init().unwrap();
        let tera = super::RENDERER.get().unwrap();
        let names: Vec<&str> = tera.get_template_names().collect();
        for expected in [
            "layout.html",
            "auth/login.html",
            "errors/page.html",
            "user_invitation/subject.txt",
        ] {
            assert!(
                names.contains(&expected),
                "{expected} missing from {names:?}"
            );
        }
    }
}
