//! One error type for the HTML side, mapped to a response in one place.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};

use super::middleware::current_locale;

#[derive(Debug)]
pub enum WebError {
    /// Also the answer for another company's ids: we never confirm that they exist.
    NotFound,
    Forbidden,
    /// Not logged in: go to the login page and come back.
    LoginRequired {
        next: String,
    },
    /// Missing or wrong CSRF token.
    Csrf,
    /// A business rule refuses the action (fluent key `err-<code>`), e.g. a stale page
    /// acting on an invoice issued meanwhile.
    Refused(&'static str),
    Internal(String),
}

impl WebError {
    pub fn internal(error: impl std::fmt::Display) -> Self {
        Self::Internal(error.to_string())
    }
}

impl From<sea_orm::DbErr> for WebError {
    fn from(error: sea_orm::DbErr) -> Self {
        Self::internal(error)
    }
}

impl From<loco_rs::Error> for WebError {
    fn from(error: loco_rs::Error) -> Self {
        Self::internal(error)
    }
}

impl From<crate::services::ServiceError> for WebError {
    fn from(error: crate::services::ServiceError) -> Self {
        use crate::services::ServiceError;
        match error {
            ServiceError::NotFound => Self::NotFound,
            ServiceError::Forbidden => Self::Forbidden,
            ServiceError::Refused(code) => Self::Refused(code),
            other => Self::internal(format!("{other:?}")),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, key) = match self {
            Self::LoginRequired { next } => {
                let target = format!("/login?next={}", urlencoding::encode(&next));
                return Redirect::to(&target).into_response();
            }
            Self::NotFound => (StatusCode::NOT_FOUND, "error-not-found"),
            Self::Forbidden => (StatusCode::FORBIDDEN, "error-forbidden"),
            Self::Csrf => (StatusCode::FORBIDDEN, "error-csrf"),
            Self::Refused(code) => return refused_page(&format!("err-{code}")),
            Self::Internal(message) => {
                tracing::error!(error = %message, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "error-internal")
            }
        };
        error_page(status, key)
    }
}

/// A refused action: the rule's message, 409.
fn refused_page(message_key: &str) -> Response {
    let locale = current_locale();
    let context = serde_json::json!({
        "lang": locale.tag(),
        "lang_short": locale.short(),
        "status": 409,
        "message_key": message_key,
        "title_key": "error-refused-title",
    });
    match crate::views::render("errors/page.html", &context) {
        Ok(html) => (StatusCode::CONFLICT, axum::response::Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "could not render the error page");
            StatusCode::CONFLICT.into_response()
        }
    }
}

/// A standalone error page (no navigation: we may not know who is asking).
#[must_use]
pub fn error_page(status: StatusCode, key: &str) -> Response {
    let locale = current_locale();
    let context = serde_json::json!({
        "lang": locale.tag(),
        "lang_short": locale.short(),
        "status": status.as_u16(),
        "message_key": key,
    });
    match crate::views::render("errors/page.html", &context) {
        Ok(html) => (status, axum::response::Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "could not render the error page");
            (
                status,
                status.canonical_reason().unwrap_or("error").to_string(),
            )
                .into_response()
        }
    }
}
