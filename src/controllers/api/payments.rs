//! `/api/payments`: list the payments received (card and recorded by hand), record a
//! payment received outside on an invoice, reverse one; `/api/clients/{id}/payment-link`:
//! the client's payment page URL. The same rules and error codes as the pages.

use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use loco_rs::app::AppContext;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{
    domain::client::Paging,
    services::{clients, invoices as docs, payment_links, payments},
    web::api::{ApiCompany, ApiError, ApiErrorBody, ApiJson},
};

/// An invoice (part of) a payment paid.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaidInvoiceJson {
    pub invoice_id: uuid::Uuid,
    pub number: Option<String>,
    pub amount_cents: i64,
}

/// A payment. Amounts in cents; a reversed payment stays listed with its reversal.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentJson {
    pub id: uuid::Uuid,
    pub client_id: uuid::Uuid,
    /// card, transfer, cheque, cash, other.
    pub method: String,
    pub amount_cents: i64,
    pub currency: String,
    pub received_on: chrono::NaiveDate,
    pub reference: Option<String>,
    pub invoices: Vec<PaidInvoiceJson>,
    /// What went to the client's credit balance (more than the invoices asked).
    pub to_credit_cents: i64,
    pub reversed: bool,
    pub reversal_reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentPage {
    pub items: Vec<PaymentJson>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

async fn to_json(
    ctx: &AppContext,
    rows: Vec<payments::PaymentRow>,
) -> Result<Vec<PaymentJson>, ApiError> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let client_ids: Vec<i64> = rows.iter().map(|r| r.payment.client_id).collect();
    let pids: std::collections::HashMap<i64, uuid::Uuid> =
        crate::models::_entities::clients::Entity::find()
            .filter(crate::models::_entities::clients::Column::Id.is_in(client_ids))
            .all(&ctx.db)
            .await?
            .into_iter()
            .map(|c| (c.id, c.pid))
            .collect();
    Ok(rows
        .into_iter()
        .map(|row| PaymentJson {
            id: row.payment.pid,
            client_id: pids
                .get(&row.payment.client_id)
                .copied()
                .unwrap_or_default(),
            method: row.payment.method.clone(),
            amount_cents: row.payment.amount_cents,
            currency: row.payment.currency.clone(),
            received_on: row.payment.received_on,
            reference: row.payment.reference.clone(),
            invoices: row
                .invoices
                .iter()
                .map(|(pid, number, cents)| PaidInvoiceJson {
                    invoice_id: *pid,
                    number: number.clone(),
                    amount_cents: *cents,
                })
                .collect(),
            to_credit_cents: row.to_credit_cents,
            reversed: row.reversal.is_some(),
            reversal_reason: row.reversal.map(|r| r.reason),
        })
        .collect())
}

#[derive(Debug, Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ListParams {
    /// A client's id.
    client_id: Option<String>,
    /// An invoice's id: the payments that paid (part of) it.
    invoice_id: Option<String>,
    page: Option<u64>,
    per_page: Option<u64>,
}

/// Payments received, newest first.
#[utoipa::path(
    get,
    path = "/api/payments",
    tag = "payments",
    params(ListParams),
    security(("api_key" = [])),
    responses(
        (status = 200, body = PaymentPage),
        (status = 401, description = "Unknown or revoked key", body = ApiErrorBody),
        (status = 404, description = "No such client or invoice in this company", body = ApiErrorBody),
    )
)]
pub async fn list(
    State(ctx): State<AppContext>,
    api: ApiCompany,
    Query(params): Query<ListParams>,
) -> Result<Json<PaymentPage>, ApiError> {
    let client_id = match params.client_id.as_deref().filter(|s| !s.is_empty()) {
        Some(pid) => Some(clients::find(&ctx.db, api.company.id, pid).await?.id),
        None => None,
    };
    let invoice_id = match params.invoice_id.as_deref().filter(|s| !s.is_empty()) {
        Some(pid) => Some(docs::find(&ctx.db, api.company.id, pid).await?.id),
        None => None,
    };
    let paging = Paging::new(params.page, params.per_page);
    let (rows, total) = payments::list(
        &ctx.db,
        api.company.id,
        client_id,
        invoice_id,
        paging.offset(),
        paging.per_page,
    )
    .await?;
    Ok(Json(PaymentPage {
        items: to_json(&ctx, rows).await?,
        total,
        page: paging.page,
        per_page: paging.per_page,
    }))
}

/// A payment received outside Encaisse (transfer, cheque, cash).
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct ManualPaymentBody {
    /// The invoice it was received for: it pays that invoice; more than it asks goes to the
    /// client's credit balance.
    pub invoice_id: String,
    /// Euros, e.g. "120.00" or "120,00".
    #[schema(example = "120.00")]
    pub amount: String,
    /// YYYY-MM-DD or DD/MM/YYYY, not in the future.
    #[schema(example = "2026-11-25")]
    pub received_on: String,
    /// transfer, cheque, cash or other.
    #[schema(example = "transfer")]
    pub method: String,
    pub reference: Option<String>,
}

/// Record a payment received outside (201). With the same `Idempotency-Key`, a retry
/// answers 200 with the first payment and records nothing.
#[utoipa::path(
    post,
    path = "/api/payments",
    tag = "payments",
    request_body = ManualPaymentBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    security(("api_key" = [])),
    responses(
        (status = 201, description = "Recorded", body = PaymentJson),
        (status = 200, description = "Already recorded with this Idempotency-Key", body = PaymentJson),
        (status = 401, description = "Unknown or revoked key", body = ApiErrorBody),
        (status = 404, description = "No such invoice in this company", body = ApiErrorBody),
        (status = 409, description = "Refused: invoice-not-open", body = ApiErrorBody),
        (status = 422, description = "Invalid fields", body = ApiErrorBody),
    )
)]
pub async fn record(
    State(ctx): State<AppContext>,
    api: ApiCompany,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ManualPaymentBody>,
) -> Result<Response, ApiError> {
    let key = super::invoices::idempotency_key(&headers)?;
    let input = payments::ManualInput {
        received_on: body.received_on.clone(),
        amount: body.amount.clone(),
        method: body.method.clone(),
        reference: body.reference.clone().unwrap_or_default(),
        idempotency_key: key.map(|k| format!("api:{k}")),
    };
    let recorded =
        payments::record_manual(&ctx, &api.company, None, &body.invoice_id, &input).await?;
    let payment = one(&ctx, api.company.id, recorded.payment.id).await?;
    let status = if recorded.already {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(payment)).into_response())
}

async fn one(ctx: &AppContext, company_id: i64, payment_id: i64) -> Result<PaymentJson, ApiError> {
    let row = payments::row_of(&ctx.db, company_id, payment_id).await?;
    to_json(ctx, vec![row])
        .await?
        .pop()
        .ok_or(ApiError::NotFound)
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct ReversalBody {
    /// Why the payment is reversed (kept in the ledger and the invoice history).
    pub reason: String,
}

/// Reverse a wrong payment: opposite ledger entries with the reason, never a deletion.
/// Reversing twice changes nothing.
#[utoipa::path(
    post,
    path = "/api/payments/{id}/reverse",
    tag = "payments",
    request_body = ReversalBody,
    params(("id" = uuid::Uuid, Path, description = "The payment's id")),
    security(("api_key" = [])),
    responses(
        (status = 200, body = PaymentJson),
        (status = 401, description = "Unknown or revoked key", body = ApiErrorBody),
        (status = 404, description = "No such payment in this company", body = ApiErrorBody),
        (status = 409, description = "Refused: payment-credit-used", body = ApiErrorBody),
        (status = 422, description = "Reason missing or too long", body = ApiErrorBody),
    )
)]
pub async fn reverse(
    State(ctx): State<AppContext>,
    api: ApiCompany,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReversalBody>,
) -> Result<Json<PaymentJson>, ApiError> {
    let payment = payments::find(&ctx.db, api.company.id, &id).await?;
    payments::reverse(&ctx, &api.company, None, &id, &body.reason).await?;
    Ok(Json(one(&ctx, api.company.id, payment.id).await?))
}

/// The client's payment page.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentLinkJson {
    /// Secret URL to send to the client (no login). Made on first use.
    pub url: String,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
}

/// The client's payment page URL (made if the client has none yet).
#[utoipa::path(
    get,
    path = "/api/clients/{id}/payment-link",
    tag = "payments",
    params(("id" = uuid::Uuid, Path, description = "The client's id")),
    security(("api_key" = [])),
    responses(
        (status = 200, body = PaymentLinkJson),
        (status = 401, description = "Unknown or revoked key", body = ApiErrorBody),
        (status = 404, description = "No such client in this company", body = ApiErrorBody),
    )
)]
pub async fn payment_link(
    State(ctx): State<AppContext>,
    api: ApiCompany,
    Path(id): Path<String>,
) -> Result<Json<PaymentLinkJson>, ApiError> {
    let client = clients::find(&ctx.db, api.company.id, &id).await?;
    let link = payment_links::ensure_for(&ctx, api.company.id, &client, None).await?;
    Ok(Json(PaymentLinkJson {
        url: payment_links::UrlMaker::of(&ctx).url(&link, None),
        created_at: link.row.created_at,
    }))
}
