//! `/api/subscriptions`: list and read subscriptions, modify the content of their next
//! invoices, duplicate (also how a stopped one resumes) and stop them: the same rules and
//! error codes as Vente > Abonnements. A subscription starts by issuing an invoice created
//! with `"recurrence": "monthly"` (`POST /api/invoices`, then `/issue`).

use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use loco_rs::app::AppContext;
use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::invoices::{adjustment_input, line_inputs, AdjustmentBody, LineBody};
use crate::{
    domain::{
        client::Paging,
        draft::{parse_date, DraftInput},
        error::FieldErrors,
        subscription as schedule,
    },
    models::_entities::subscriptions as subscription_rows,
    services::{
        clients,
        issue_invoice::paris_date,
        subscriptions::{self as subs, Content, Row, State as SubState},
    },
    web::api::{ApiCompany, ApiError, ApiErrorBody, ApiJson},
};

/// What each next invoice of a subscription contains.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct ContentBody {
    #[schema(example = "Maintenance mensuelle du site")]
    pub label: String,
    /// Days; the company's default term when empty.
    pub payment_term_days: String,
    /// "services" (default), "goods" or "mixed".
    pub operation: String,
    pub lines: Vec<LineBody>,
    pub discount: Option<AdjustmentBody>,
    pub charge: Option<AdjustmentBody>,
    pub notes: String,
}

impl ContentBody {
    fn input(&self) -> DraftInput {
        DraftInput {
            label: self.label.clone(),
            payment_term_days: self.payment_term_days.clone(),
            operation: self.operation.clone(),
            lines: line_inputs(&self.lines),
            discount: adjustment_input(self.discount.as_ref()),
            charge: adjustment_input(self.charge.as_ref()),
            notes: self.notes.clone(),
            ..Default::default()
        }
    }
}

/// A date for an action (YYYY-MM-DD, Paris calendar day).
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct DateBody {
    #[schema(example = "2026-12-31")]
    pub date: String,
}

impl DateBody {
    fn parse(&self) -> Result<chrono::NaiveDate, ApiError> {
        parse_date(&self.date).map_err(|code| ApiError::Invalid(FieldErrors::single("date", code)))
    }
}

/// An invoice a subscription issued, with the period it bills.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodInvoiceJson {
    pub invoice_id: uuid::Uuid,
    pub number: Option<String>,
    pub period_start: Option<chrono::NaiveDate>,
    pub period_end: Option<chrono::NaiveDate>,
    pub total_cents: i64,
}

/// A subscription. Amounts are integer cents.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionJson {
    pub id: uuid::Uuid,
    pub client_id: Option<uuid::Uuid>,
    /// "active", "stopping" (a stop date is set in the future) or "stopped".
    pub status: String,
    pub start_date: chrono::NaiveDate,
    pub stop_date: Option<chrono::NaiveDate>,
    /// The day the next invoice is issued; none once nothing more is billed.
    pub next_invoice_date: Option<chrono::NaiveDate>,
    pub next_period_start: Option<chrono::NaiveDate>,
    pub next_period_end: Option<chrono::NaiveDate>,
    pub label: String,
    pub payment_term_days: i32,
    pub net_cents: i64,
    pub total_cents: i64,
    /// The subscription it was duplicated from.
    pub duplicated_from_id: Option<uuid::Uuid>,
    /// The last billing failure's code, until a later run succeeds.
    pub last_error: Option<String>,
    /// Only in single reads: the invoices issued so far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoices: Option<Vec<PeriodInvoiceJson>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionPage {
    pub items: Vec<SubscriptionJson>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}

fn today(ctx: &AppContext) -> chrono::NaiveDate {
    paris_date(crate::clock::of(ctx).now())
}

/// A subscription as read alone: its row, where it was duplicated from, its invoices.
async fn read(
    ctx: &AppContext,
    subscription: subscription_rows::Model,
) -> Result<SubscriptionJson, ApiError> {
    let source = match subscription.duplicated_from_id {
        Some(id) => subscription_rows::Entity::find_by_id(id)
            .one(&ctx.db)
            .await?
            .map(|s| s.pid),
        None => None,
    };
    let row = subs::row_of(&ctx.db, subscription).await?;
    to_json(ctx, &row, source, true).await
}

async fn to_json(
    ctx: &AppContext,
    row: &Row,
    source: Option<uuid::Uuid>,
    with_invoices: bool,
) -> Result<SubscriptionJson, ApiError> {
    let (subscription, version) = (&row.subscription, &row.version);
    let next = subscription.next_billing_date.map(|_| {
        schedule::period(
            subscription.start_date,
            u32::try_from(subscription.next_period).unwrap_or(0),
        )
    });
    let invoices = if with_invoices {
        Some(
            subs::invoices_of(ctx, subscription.id)
                .await?
                .into_iter()
                .map(|i| PeriodInvoiceJson {
                    invoice_id: i.pid,
                    number: i.number,
                    period_start: i.period_start,
                    period_end: i.period_end,
                    total_cents: i.total_cents,
                })
                .collect(),
        )
    } else {
        None
    };
    Ok(SubscriptionJson {
        id: subscription.pid,
        client_id: uuid::Uuid::parse_str(&row.client_pid).ok(),
        status: SubState::of(subscription, today(ctx)).key().to_string(),
        start_date: subscription.start_date,
        stop_date: subscription.stop_date,
        next_invoice_date: subscription.next_billing_date,
        next_period_start: next.map(|p| p.start),
        next_period_end: next.map(|p| p.end),
        label: version.label.clone(),
        payment_term_days: version.payment_term_days,
        net_cents: version.net_cents,
        total_cents: version.total_cents,
        duplicated_from_id: source,
        last_error: subscription.last_error.clone(),
        invoices,
    })
}

#[derive(Debug, Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ListParams {
    /// A client's id.
    client_id: Option<String>,
    /// "active" (still billing, including a planned stop), "stopped", or "failed" (the
    /// last billing run could not bill them).
    state: Option<String>,
    page: Option<u64>,
    per_page: Option<u64>,
}

/// The company's subscriptions, next invoice first.
#[utoipa::path(
    get,
    path = "/api/subscriptions",
    tag = "subscriptions",
    params(ListParams),
    security(("api_key" = [])),
    responses(
        (status = 200, body = SubscriptionPage),
        (status = 401, description = "Unknown or revoked key", body = ApiErrorBody),
        (status = 404, description = "Unknown client", body = ApiErrorBody),
    )
)]
pub async fn list(
    State(ctx): State<AppContext>,
    api: ApiCompany,
    Query(params): Query<ListParams>,
) -> Result<Json<SubscriptionPage>, ApiError> {
    let client_id = match params.client_id.as_deref().filter(|c| !c.is_empty()) {
        Some(pid) => Some(clients::find(&ctx.db, api.company.id, pid).await?.id),
        None => None,
    };
    let state = match params.state.as_deref() {
        None | Some("") => None,
        Some(s @ ("active" | "stopped" | "failed")) => Some(s.to_string()),
        Some(_) => {
            return Err(ApiError::Invalid(FieldErrors::single(
                "state",
                "status-invalid",
            )))
        }
    };
    let paging = Paging::new(params.page, params.per_page);
    let (rows, total) = subs::list(
        &ctx,
        api.company.id,
        &subs::Filter {
            client_id,
            state,
            paging: Some(paging),
        },
        today(&ctx),
    )
    .await?;
    // Where the page's subscriptions were duplicated from, in one query.
    let source_ids: Vec<i64> = rows
        .iter()
        .filter_map(|r| r.subscription.duplicated_from_id)
        .collect();
    let sources: std::collections::HashMap<i64, uuid::Uuid> = if source_ids.is_empty() {
        std::collections::HashMap::new()
    } else {
        use sea_orm::{ColumnTrait, QueryFilter};
        subscription_rows::Entity::find()
            .filter(subscription_rows::Column::Id.is_in(source_ids))
            .all(&ctx.db)
            .await?
            .into_iter()
            .map(|s| (s.id, s.pid))
            .collect()
    };
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        let source = row
            .subscription
            .duplicated_from_id
            .and_then(|id| sources.get(&id).copied());
        items.push(to_json(&ctx, row, source, false).await?);
    }
    Ok(Json(SubscriptionPage {
        items,
        page: paging.page,
        per_page: paging.per_page,
        total,
    }))
}

/// One subscription, with the invoices it issued.
#[utoipa::path(
    get,
    path = "/api/subscriptions/{id}",
    tag = "subscriptions",
    params(("id" = uuid::Uuid, Path, description = "The subscription's id")),
    security(("api_key" = [])),
    responses(
        (status = 200, body = SubscriptionJson),
        (status = 401, description = "Unknown or revoked key", body = ApiErrorBody),
        (status = 404, description = "No such subscription in this company", body = ApiErrorBody),
    )
)]
pub async fn show(
    State(ctx): State<AppContext>,
    api: ApiCompany,
    Path(id): Path<String>,
) -> Result<Json<SubscriptionJson>, ApiError> {
    let subscription = subs::find(&ctx.db, api.company.id, &id).await?;
    Ok(Json(read(&ctx, subscription).await?))
}

/// Replace the content (label, lines, prices, payment term) of the invoices not issued
/// yet. Sending the current content again changes nothing.
#[utoipa::path(
    put,
    path = "/api/subscriptions/{id}",
    tag = "subscriptions",
    request_body = ContentBody,
    params(("id" = uuid::Uuid, Path, description = "The subscription's id")),
    security(("api_key" = [])),
    responses(
        (status = 200, body = SubscriptionJson),
        (status = 401, description = "Unknown or revoked key", body = ApiErrorBody),
        (status = 404, description = "No such subscription in this company", body = ApiErrorBody),
        (status = 409, description = "Refused: subscription-stopped", body = ApiErrorBody),
        (status = 422, description = "Invalid fields (lines are named lines[i].field)", body = ApiErrorBody),
    )
)]
pub async fn modify(
    State(ctx): State<AppContext>,
    api: ApiCompany,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ContentBody>,
) -> Result<Json<SubscriptionJson>, ApiError> {
    // Another company's id answers 404 before any validation message.
    subs::find(&ctx.db, api.company.id, &id).await?;
    let content: Content =
        subs::parse_content(&body.input(), today(&ctx), api.company.payment_term_days)
            .map_err(ApiError::Invalid)?;
    let updated = subs::modify(&ctx, api.company.id, None, &id, &content).await?;
    Ok(Json(read(&ctx, updated).await?))
}

/// Stop from a date (today or later): no period starting on or after it is billed; issued
/// invoices are untouched.
#[utoipa::path(
    post,
    path = "/api/subscriptions/{id}/stop",
    tag = "subscriptions",
    request_body = DateBody,
    params(("id" = uuid::Uuid, Path, description = "The subscription's id")),
    security(("api_key" = [])),
    responses(
        (status = 200, body = SubscriptionJson),
        (status = 401, description = "Unknown or revoked key", body = ApiErrorBody),
        (status = 404, description = "No such subscription in this company", body = ApiErrorBody),
        (status = 409, description = "Refused: stop-date-past, stop-date-before-start, subscription-stopped", body = ApiErrorBody),
        (status = 422, description = "Invalid date", body = ApiErrorBody),
    )
)]
pub async fn stop(
    State(ctx): State<AppContext>,
    api: ApiCompany,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DateBody>,
) -> Result<Json<SubscriptionJson>, ApiError> {
    subs::find(&ctx.db, api.company.id, &id).await?;
    let date = body.parse()?;
    let stopped = subs::stop(&ctx, api.company.id, None, std::slice::from_ref(&id), date).await?;
    let subscription = stopped.into_iter().next().ok_or(ApiError::NotFound)?;
    Ok(Json(read(&ctx, subscription).await?))
}

/// A new subscription with this one's content and a new start date (today or later; when
/// today, its first invoice is issued and sent at once). Also how a stopped one resumes.
#[utoipa::path(
    post,
    path = "/api/subscriptions/{id}/duplicate",
    tag = "subscriptions",
    request_body = DateBody,
    params(
        ("id" = uuid::Uuid, Path, description = "The subscription's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe"),
    ),
    security(("api_key" = [])),
    responses(
        (status = 201, description = "Created", body = SubscriptionJson),
        (status = 200, description = "Already created with this Idempotency-Key", body = SubscriptionJson),
        (status = 401, description = "Unknown or revoked key", body = ApiErrorBody),
        (status = 404, description = "No such subscription in this company", body = ApiErrorBody),
        (status = 409, description = "Refused: start-date-past, client-unknown", body = ApiErrorBody),
        (status = 422, description = "Invalid date", body = ApiErrorBody),
    )
)]
pub async fn duplicate(
    State(ctx): State<AppContext>,
    api: ApiCompany,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DateBody>,
) -> Result<Response, ApiError> {
    subs::find(&ctx.db, api.company.id, &id).await?;
    let key = super::invoices::idempotency_key(&headers)?;
    let date = body.parse()?;
    let done = subs::duplicate(
        &ctx,
        api.company.id,
        None,
        std::slice::from_ref(&id),
        date,
        key.as_deref(),
    )
    .await?;
    let copy = done.created.into_iter().next().ok_or(ApiError::NotFound)?;
    let status = if done.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(read(&ctx, copy).await?)).into_response())
}
