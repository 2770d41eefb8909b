pub mod api;
pub mod api_keys;
pub mod auth;
pub mod clients;
pub mod company_settings;
pub mod dashboard;
pub mod dev_mailbox;
pub mod home;
pub mod invoice_wizard;
pub mod invoices;
pub mod pay;
pub mod payments;
pub mod staff;
pub mod subscriptions;
pub mod users;

use axum::response::Response;
use serde_json::Value;

use crate::{
    services::ServiceError,
    web::{Page, WebError},
};

/// Maps a refused form to a re-rendered form (422), anything else to the error pages.
pub(crate) fn form_failure(
    page: &Page<'_>,
    template: &str,
    data: Value,
    error: ServiceError,
) -> Result<Response, WebError> {
    match error {
        ServiceError::Invalid(errors) => page.render_invalid(template, data, &errors),
        other => Err(other.into()),
    }
}
