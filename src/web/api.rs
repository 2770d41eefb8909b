//! The machine interface under `/api/`: API-key authentication and JSON errors with stable
//! codes. Messages are in the language of `Accept-Language` (French by default).

use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use loco_rs::app::AppContext;
use serde::Serialize;
use utoipa::ToSchema;

use super::middleware::current_locale;
use crate::{
    domain::error::FieldErrors,
    i18n,
    models::_entities::{api_keys, companies},
    services::{api_keys as keys, ServiceError},
};

/// One wrong field: `code` is stable, `message` is for people.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiFieldError {
    /// The input field, as named in the request body.
    #[schema(example = "siret")]
    pub field: String,
    /// Stable error code.
    #[schema(example = "siret-length")]
    pub code: String,
    #[schema(example = "SIRET : 14 chiffres attendus, 13 saisis.")]
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiErrorDetail {
    /// Stable error code: `unauthorized`, `not-found`, `invalid`, `bad-request`, or the
    /// code of a refused business rule.
    #[schema(example = "invalid")]
    pub code: String,
    pub message: String,
    /// Present for `invalid`: every wrong field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<ApiFieldError>,
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiErrorBody {
    pub error: ApiErrorDetail,
}

#[derive(Debug)]
pub enum ApiError {
    Unauthorized,
    NotFound,
    /// Malformed request (JSON that does not parse, wrong types).
    BadRequest(String),
    Invalid(FieldErrors),
    Refused(&'static str),
    Internal(String),
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Invalid(errors) => Self::Invalid(errors),
            ServiceError::Refused(code) => Self::Refused(code),
            ServiceError::NotFound | ServiceError::Forbidden => Self::NotFound,
            ServiceError::Db(e) => Self::Internal(e.to_string()),
            ServiceError::Other(e) => Self::Internal(e),
        }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(error: sea_orm::DbErr) -> Self {
        Self::Internal(error.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let locale = current_locale();
        let (status, code, message, fields) = match self {
            Self::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized".to_string(),
                i18n::tr(locale, "api-unauthorized"),
                vec![],
            ),
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                "not-found".to_string(),
                i18n::tr(locale, "api-not-found"),
                vec![],
            ),
            Self::BadRequest(detail) => (
                StatusCode::BAD_REQUEST,
                "bad-request".to_string(),
                detail,
                vec![],
            ),
            Self::Invalid(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid".to_string(),
                i18n::tr(locale, "api-invalid"),
                errors
                    .0
                    .iter()
                    .map(|e| ApiFieldError {
                        field: e.field.to_string(),
                        code: e.code.to_string(),
                        message: i18n::field_error_message(locale, e),
                    })
                    .collect(),
            ),
            Self::Refused(code) => (
                StatusCode::CONFLICT,
                code.to_string(),
                i18n::tr(locale, &format!("err-{code}")),
                vec![],
            ),
            Self::Internal(detail) => {
                tracing::error!(error = %detail, "API internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal".to_string(),
                    i18n::tr(locale, "error-internal"),
                    vec![],
                )
            }
        };
        let mut response = (
            status,
            Json(ApiErrorBody {
                error: ApiErrorDetail {
                    code,
                    message,
                    fields,
                },
            }),
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

/// The company an API key belongs to; every `/api/` query is scoped to it.
pub struct ApiCompany {
    pub company: companies::Model,
    pub key: api_keys::Model,
}

impl FromRequestParts<AppContext> for ApiCompany {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &AppContext,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(ApiError::Unauthorized)?;
        let (key, company) = keys::authenticate(ctx, token)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        Ok(Self { company, key })
    }
}

/// A JSON body whose parse errors answer in our error format rather than axum's text.
pub struct ApiJson<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::BadRequest(rejection.body_text())),
        }
    }
}
