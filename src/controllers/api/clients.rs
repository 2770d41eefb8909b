//! `/api/clients`: the same create / edit / list / search as the pages, same validation
//! and error codes.

use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use loco_rs::app::AppContext;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{
    domain::client::{ClientAccount, ClientSearch, ClientSort, Paging, StatusFilter},
    services::{clients, idempotency},
    views::client::{ClientJson, ClientPage},
    web::{
        api::{ApiCompany, ApiError, ApiErrorBody, ApiJson},
        forms::ClientFields,
    },
};

#[derive(Debug, Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ListParams {
    /// Search: partial name (case and accents ignored), SIREN or SIRET, VAT number or
    /// customer number (prefix).
    q: Option<String>,
    /// `active` (default), `inactive` or `all`.
    status: Option<String>,
    /// `name` (default), `-name`, `customer_number`, `-customer_number`, `created`, `-created`.
    sort: Option<String>,
    /// 1-based page number.
    page: Option<u64>,
    /// Page size, 1 to 100 (default 25).
    per_page: Option<u64>,
}

/// List and search the client accounts.
#[utoipa::path(
    get,
    path = "/api/clients",
    tag = "clients",
    params(ListParams),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "One page of clients", body = ClientPage),
        (status = 401, description = "Unknown or revoked key", body = ApiErrorBody),
    )
)]
pub async fn list(
    State(ctx): State<AppContext>,
    api: ApiCompany,
    Query(params): Query<ListParams>,
) -> Result<Json<ClientPage>, ApiError> {
    let paging = Paging::new(params.page, params.per_page);
    let query = clients::ClientQuery {
        search: params.q.as_deref().and_then(ClientSearch::parse),
        status: StatusFilter::parse(params.status.as_deref().unwrap_or_default()),
        sort: ClientSort::parse(params.sort.as_deref().unwrap_or_default()),
        paging: Some(paging),
    };
    let (rows, total) = clients::search(&ctx, api.company.id, &query).await?;
    Ok(Json(ClientPage {
        items: rows.iter().map(ClientJson::from).collect(),
        page: paging.page,
        per_page: paging.per_page,
        total,
    }))
}

fn parse(fields: &ClientFields) -> Result<ClientAccount, ApiError> {
    ClientAccount::parse(&fields.input()).map_err(ApiError::Invalid)
}

/// Create a client account. With an `Idempotency-Key` header, a retried request returns
/// the client created the first time (200) instead of creating another one (201).
#[utoipa::path(
    post,
    path = "/api/clients",
    tag = "clients",
    request_body = ClientFields,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    security(("api_key" = [])),
    responses(
        (status = 201, description = "Created", body = ClientJson),
        (status = 200, description = "Already created with this Idempotency-Key", body = ClientJson),
        (status = 400, description = "Malformed JSON", body = ApiErrorBody),
        (status = 401, description = "Unknown or revoked key", body = ApiErrorBody),
        (status = 422, description = "Invalid fields (codes per field)", body = ApiErrorBody),
    )
)]
pub async fn create(
    State(ctx): State<AppContext>,
    api: ApiCompany,
    headers: HeaderMap,
    ApiJson(fields): ApiJson<ClientFields>,
) -> Result<Response, ApiError> {
    let key = idempotency::parse_key(headers.get("idempotency-key").and_then(|v| v.to_str().ok()))?;
    let account = parse(&fields)?;
    let created = clients::create(&ctx, api.company.id, &account, key.as_deref()).await?;
    let status = if created.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(ClientJson::from(&created.client))).into_response())
}

/// One client account.
#[utoipa::path(
    get,
    path = "/api/clients/{id}",
    tag = "clients",
    params(("id" = uuid::Uuid, Path, description = "The client's id")),
    security(("api_key" = [])),
    responses(
        (status = 200, body = ClientJson),
        (status = 401, description = "Unknown or revoked key", body = ApiErrorBody),
        (status = 404, description = "No such client in this company", body = ApiErrorBody),
    )
)]
pub async fn show(
    State(ctx): State<AppContext>,
    api: ApiCompany,
    Path(id): Path<String>,
) -> Result<Json<ClientJson>, ApiError> {
    let client = clients::find(&ctx.db, api.company.id, &id).await?;
    Ok(Json(ClientJson::from(&client)))
}

/// Replace a client account's fields (every field; absent ones become empty).
#[utoipa::path(
    put,
    path = "/api/clients/{id}",
    tag = "clients",
    request_body = ClientFields,
    params(("id" = uuid::Uuid, Path, description = "The client's id")),
    security(("api_key" = [])),
    responses(
        (status = 200, body = ClientJson),
        (status = 400, description = "Malformed JSON", body = ApiErrorBody),
        (status = 401, description = "Unknown or revoked key", body = ApiErrorBody),
        (status = 404, description = "No such client in this company", body = ApiErrorBody),
        (status = 422, description = "Invalid fields (codes per field)", body = ApiErrorBody),
    )
)]
pub async fn update(
    State(ctx): State<AppContext>,
    api: ApiCompany,
    Path(id): Path<String>,
    ApiJson(fields): ApiJson<ClientFields>,
) -> Result<Json<ClientJson>, ApiError> {
    clients::find(&ctx.db, api.company.id, &id).await?;
    let account = parse(&fields)?;
    let client = clients::update(&ctx, api.company.id, &id, &account).await?;
    Ok(Json(ClientJson::from(&client)))
}
