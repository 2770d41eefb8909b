//! Use cases, one per file. Each validates its input into domain types, runs in one
//! transaction, and writes its e-mails to the outbox in that same transaction.

pub mod accounts;
pub mod api_keys;
pub mod attachments;
pub mod bill_subscriptions;
pub mod clients;
pub mod company_profile;
pub mod create_credit_note;
pub mod deliver_mail;
pub mod housekeeping;
pub mod idempotency;
pub mod invoice_templates;
pub mod invoices;
pub mod issue_batch;
pub mod issue_invoice;
pub mod pay_page_sqlite;
pub mod payment_links;
pub mod payments;
pub mod render_document;
pub mod resend_invoice;
pub mod seed_demo;
pub mod stripe_payments;
pub mod subscriptions;
pub mod user_admin;

use crate::domain::error::FieldErrors;

#[derive(Debug)]
pub enum ServiceError {
    /// Bad input: re-render the form with these messages; nothing was written.
    Invalid(FieldErrors),
    /// A business rule refuses the action (fluent key `err-<code>`).
    Refused(&'static str),
    NotFound,
    Forbidden,
    Db(sea_orm::DbErr),
    Other(String),
}

/// Stable codes first (what reports and logs show).
impl std::fmt::Display for ServiceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Invalid(errors) => {
                let codes: Vec<String> = errors
                    .0
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.code))
                    .collect();
                write!(f, "invalid ({})", codes.join(", "))
            }
            Self::Refused(code) => f.write_str(code),
            Self::NotFound => f.write_str("not-found"),
            Self::Forbidden => f.write_str("forbidden"),
            Self::Db(error) => write!(f, "database: {error}"),
            Self::Other(message) => f.write_str(message),
        }
    }
}

impl From<sea_orm::DbErr> for ServiceError {
    fn from(error: sea_orm::DbErr) -> Self {
        Self::Db(error)
    }
}

impl From<crate::mail::MailError> for ServiceError {
    fn from(error: crate::mail::MailError) -> Self {
        Self::Other(error.to_string())
    }
}

impl From<FieldErrors> for ServiceError {
    fn from(errors: FieldErrors) -> Self {
        Self::Invalid(errors)
    }
}

/// Links in e-mails point at the public URL of the app.
#[must_use]
pub fn public_link(ctx: &loco_rs::app::AppContext, path: &str) -> String {
    let settings = crate::settings::Settings::of(ctx);
    format!("{}{path}", settings.public_url.trim_end_matches('/'))
}
