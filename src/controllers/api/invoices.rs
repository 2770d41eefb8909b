//! `/api/invoices`: create a draft, issue it, read, list and search, download the PDF,
//! create a credit note: the same rules and error codes as the pages.

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

use crate::{
    domain::{
        client::Paging,
        draft::{parse_date, AdjustmentInput, Draft, DraftInput},
        invoice::LineInput,
    },
    models::_entities::{clients as client_rows, document_files, invoices},
    services::{
        create_credit_note::{self, CreditRequest},
        idempotency, invoices as docs,
        issue_invoice::{self, paris_date},
        render_document,
    },
    views::document::DocumentKind,
    web::api::{ApiCompany, ApiError, ApiErrorBody, ApiJson},
};

/// A line as sent: decimals as strings ("1.5" or "1,5"), up to 4 decimals.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct LineBody {
    #[schema(example = "Maquettes et intégration")]
    pub description: String,
    #[schema(example = "1.5")]
    pub quantity: String,
    /// UN/ECE Rec 20: C62 (unit, default), HUR, DAY, WEE, MON, ANN, LS.
    #[schema(example = "DAY")]
    pub unit: String,
    /// Excluding VAT.
    #[schema(example = "450")]
    pub unit_price: String,
    /// "20", "10", "5.5", "2.1", "franchise", "reverse-charge", "intra-eu-goods",
    /// "export", "outside-scope".
    #[schema(example = "20")]
    pub vat: String,
}

/// A document-level discount or charge.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct AdjustmentBody {
    /// "percent" (discounts only) or "amount" (excl. VAT, in euros).
    pub kind: String,
    pub value: String,
    /// A VAT code; empty with a percentage spreads it over every rate.
    pub vat: String,
    pub reason: String,
}

/// A draft invoice.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct DraftBody {
    #[schema(example = "Refonte du site vitrine")]
    pub label: String,
    /// The client's id.
    pub client_id: String,
    /// YYYY-MM-DD; today (Paris) when empty.
    pub issue_date: String,
    /// Days; the company's default term when empty.
    pub payment_term_days: String,
    /// YYYY-MM-DD; computed from the term when empty.
    pub due_date: String,
    /// Date of the sale or service; the issue date when empty.
    pub delivery_date: String,
    pub period_start: String,
    pub period_end: String,
    /// "services" (default), "goods" or "mixed".
    pub operation: String,
    pub lines: Vec<LineBody>,
    pub discount: Option<AdjustmentBody>,
    pub charge: Option<AdjustmentBody>,
    pub notes: String,
    /// "none" (default) or "monthly": issuing a monthly invoice starts a subscription
    /// (this invoice bills its first month, then one invoice a month on the same day).
    #[schema(example = "none")]
    pub recurrence: String,
}

/// Lines as the domain parses them.
pub fn line_inputs(lines: &[LineBody]) -> Vec<LineInput> {
    lines
        .iter()
        .map(|l| LineInput {
            description: l.description.clone(),
            quantity: l.quantity.clone(),
            unit: l.unit.clone(),
            unit_price: l.unit_price.clone(),
            vat: l.vat.clone(),
        })
        .collect()
}

/// A discount or charge as the domain parses it (absent: none).
pub fn adjustment_input(adjustment: Option<&AdjustmentBody>) -> AdjustmentInput {
    adjustment.map_or_else(AdjustmentInput::default, |a| AdjustmentInput {
        kind: a.kind.clone(),
        value: a.value.clone(),
        vat: a.vat.clone(),
        reason: a.reason.clone(),
    })
}

impl DraftBody {
    fn input(&self) -> DraftInput {
        DraftInput {
            label: self.label.clone(),
            client: self.client_id.clone(),
            issue_date: self.issue_date.clone(),
            payment_term_days: self.payment_term_days.clone(),
            due_date: self.due_date.clone(),
            delivery_date: self.delivery_date.clone(),
            period_start: self.period_start.clone(),
            period_end: self.period_end.clone(),
            operation: self.operation.clone(),
            lines: line_inputs(&self.lines),
            discount: adjustment_input(self.discount.as_ref()),
            charge: adjustment_input(self.charge.as_ref()),
            notes: self.notes.clone(),
            recurrence: self.recurrence.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LineJson {
    pub description: String,
    pub quantity: String,
    pub unit: String,
    pub unit_price: String,
    pub vat: String,
    pub net_cents: i64,
}

/// An invoice or credit note. Amounts are integer cents.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceJson {
    pub id: uuid::Uuid,
    /// "invoice" or "credit_note".
    pub kind: String,
    /// "draft", "issued", "partially_paid", "paid", "cancelled".
    pub status: String,
    /// Set at issue; drafts have none.
    pub number: Option<String>,
    pub label: String,
    pub client_id: Option<uuid::Uuid>,
    pub currency: String,
    pub issue_date: chrono::NaiveDate,
    pub due_date: chrono::NaiveDate,
    pub lines: Vec<LineJson>,
    pub net_cents: i64,
    pub vat_cents: i64,
    pub total_cents: i64,
    /// What is left to pay after credit notes.
    pub balance_cents: i64,
    /// For a credit note: the invoice it corrects.
    pub corrects_id: Option<uuid::Uuid>,
    pub pdf_ready: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvoicePage {
    pub items: Vec<InvoiceJson>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
    /// Sum of `total_cents` over the whole selection.
    pub total_cents: i64,
}

async fn to_json(ctx: &AppContext, invoice: &invoices::Model) -> Result<InvoiceJson, ApiError> {
    let (lines, _) = docs::content(&ctx.db, invoice.id).await?;
    let nets: Vec<i64> = lines
        .iter()
        .map(crate::domain::invoice::Line::net_cents)
        .collect();
    let client = client_rows::Entity::find_by_id(invoice.client_id)
        .one(&ctx.db)
        .await?;
    let corrects = match invoice.corrected_invoice_id {
        Some(id) => invoices::Entity::find_by_id(id)
            .one(&ctx.db)
            .await?
            .map(|i| i.pid),
        None => None,
    };
    let credited = crate::services::payments::taken_off(&ctx.db, &[invoice.id]).await?;
    Ok(InvoiceJson {
        id: invoice.pid,
        kind: invoice.kind.clone(),
        status: invoice.status.clone(),
        number: invoice.number.clone(),
        label: invoice.label.clone(),
        client_id: client.map(|c| c.pid),
        currency: invoice.currency.clone(),
        issue_date: invoice.issue_date,
        due_date: invoice.due_date,
        lines: lines
            .iter()
            .zip(nets)
            .map(|(l, net)| LineJson {
                description: l.description.clone(),
                quantity: l.quantity.normalize().to_string(),
                unit: l.unit.clone(),
                unit_price: l.unit_price.normalize().to_string(),
                vat: l.vat.code().to_string(),
                net_cents: net,
            })
            .collect(),
        net_cents: invoice.net_cents,
        vat_cents: invoice.vat_cents,
        total_cents: invoice.total_cents,
        balance_cents: docs::balance(invoice, credited.get(&invoice.id).copied().unwrap_or(0)),
        corrects_id: corrects,
        pdf_ready: invoice.pdf_file_id.is_some(),
    })
}

pub(crate) fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    Ok(idempotency::parse_key(
        headers.get("idempotency-key").and_then(|v| v.to_str().ok()),
    )?)
}

/// Create a draft invoice (no number until it is issued).
#[utoipa::path(
    post,
    path = "/api/invoices",
    tag = "invoices",
    request_body = DraftBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    security(("api_key" = [])),
    responses(
        (status = 201, description = "Draft created", body = InvoiceJson),
        (status = 200, description = "Already created with this Idempotency-Key", body = InvoiceJson),
        (status = 400, description = "Malformed JSON", body = ApiErrorBody),
        (status = 401, description = "Unknown or revoked key", body = ApiErrorBody),
        (status = 422, description = "Invalid fields (lines are named lines[i].field)", body = ApiErrorBody),
    )
)]
pub async fn create(
    State(ctx): State<AppContext>,
    api: ApiCompany,
    headers: HeaderMap,
    ApiJson(body): ApiJson<DraftBody>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let today = paris_date(crate::clock::of(&ctx).now());
    let draft = Draft::parse(&body.input(), today, api.company.payment_term_days)
        .map_err(ApiError::Invalid)?;
    let (invoice, replayed) =
        docs::create_draft(&ctx, api.company.id, None, &draft, key.as_deref()).await?;
    let status = if replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(to_json(&ctx, &invoice).await?)).into_response())
}

/// Issue a draft: number, frozen document, e-mail to the client with its PDF. Issuing an
/// issued document again changes nothing.
#[utoipa::path(
    post,
    path = "/api/invoices/{id}/issue",
    tag = "invoices",
    params(("id" = uuid::Uuid, Path, description = "The draft's id")),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "Issued", body = InvoiceJson),
        (status = 401, description = "Unknown or revoked key", body = ApiErrorBody),
        (status = 404, description = "No such document in this company", body = ApiErrorBody),
        (status = 409, description = "Refused: company-profile-incomplete, client-email-required, issue-date-before-last, ...", body = ApiErrorBody),
        (status = 422, description = "The draft cannot be issued (lines, VAT)", body = ApiErrorBody),
    )
)]
pub async fn issue(
    State(ctx): State<AppContext>,
    api: ApiCompany,
    Path(id): Path<String>,
) -> Result<Json<InvoiceJson>, ApiError> {
    let issued = issue_invoice::issue(&ctx, api.company.id, None, &id).await?;
    Ok(Json(to_json(&ctx, &issued.invoice).await?))
}

/// One invoice or credit note.
#[utoipa::path(
    get,
    path = "/api/invoices/{id}",
    tag = "invoices",
    params(("id" = uuid::Uuid, Path, description = "The document's id")),
    security(("api_key" = [])),
    responses(
        (status = 200, body = InvoiceJson),
        (status = 401, description = "Unknown or revoked key", body = ApiErrorBody),
        (status = 404, description = "No such document in this company", body = ApiErrorBody),
    )
)]
pub async fn show(
    State(ctx): State<AppContext>,
    api: ApiCompany,
    Path(id): Path<String>,
) -> Result<Json<InvoiceJson>, ApiError> {
    let invoice = docs::find(&ctx.db, api.company.id, &id).await?;
    Ok(Json(to_json(&ctx, &invoice).await?))
}

#[derive(Debug, Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ListParams {
    /// draft, issued, partially_paid, paid, overdue, cancelled.
    status: Option<String>,
    /// invoice or credit_note.
    kind: Option<String>,
    /// A client's id.
    client_id: Option<String>,
    /// Issued on or after (YYYY-MM-DD).
    from: Option<String>,
    /// Issued on or before (YYYY-MM-DD).
    to: Option<String>,
    /// Part of the number.
    q: Option<String>,
    page: Option<u64>,
    per_page: Option<u64>,
}

/// List and search invoices and credit notes, newest first.
#[utoipa::path(
    get,
    path = "/api/invoices",
    tag = "invoices",
    params(ListParams),
    security(("api_key" = [])),
    responses(
        (status = 200, body = InvoicePage),
        (status = 401, description = "Unknown or revoked key", body = ApiErrorBody),
        (status = 404, description = "Unknown client", body = ApiErrorBody),
    )
)]
pub async fn list(
    State(ctx): State<AppContext>,
    api: ApiCompany,
    Query(params): Query<ListParams>,
) -> Result<Json<InvoicePage>, ApiError> {
    let client_id = match params.client_id.as_deref().filter(|c| !c.is_empty()) {
        Some(pid) => Some(
            crate::services::clients::find(&ctx.db, api.company.id, pid)
                .await?
                .id,
        ),
        None => None,
    };
    let paging = Paging::new(params.page, params.per_page);
    let filter = docs::InvoiceFilter {
        status: params.status.clone(),
        kind: params
            .kind
            .as_deref()
            .and_then(|k| DocumentKind::parse(k).ok()),
        client_id,
        from: params.from.as_deref().and_then(|d| parse_date(d).ok()),
        to: params.to.as_deref().and_then(|d| parse_date(d).ok()),
        number: params.q.clone(),
        paging: Some(paging),
    };
    let today = paris_date(crate::clock::of(&ctx).now());
    let (rows, totals) = docs::list(&ctx, api.company.id, &filter, today).await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        items.push(to_json(&ctx, row).await?);
    }
    Ok(Json(InvoicePage {
        items,
        page: paging.page,
        per_page: paging.per_page,
        total: totals.count,
        total_cents: totals.total_cents,
    }))
}

/// The stored PDF of an issued document (the bytes e-mailed to the client).
#[utoipa::path(
    get,
    path = "/api/invoices/{id}/pdf",
    tag = "invoices",
    params(("id" = uuid::Uuid, Path, description = "The document's id")),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "application/pdf"),
        (status = 401, description = "Unknown or revoked key", body = ApiErrorBody),
        (status = 404, description = "No such document in this company", body = ApiErrorBody),
        (status = 409, description = "pdf-pending: rendered within seconds of the issue; invoice-not-issued", body = ApiErrorBody),
    )
)]
pub async fn pdf(
    State(ctx): State<AppContext>,
    api: ApiCompany,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let invoice = docs::find(&ctx.db, api.company.id, &id).await?;
    if invoice.status == "draft" {
        return Err(ApiError::Refused("invoice-not-issued"));
    }
    let file_id = invoice
        .pdf_file_id
        .ok_or(ApiError::Refused("pdf-pending"))?;
    let file = document_files::Entity::find_by_id(file_id)
        .one(&ctx.db)
        .await?
        .ok_or(ApiError::NotFound)?;
    let document = render_document::frozen(&invoice)?.ok_or(ApiError::NotFound)?;
    Ok(crate::controllers::invoice_wizard::pdf_response(
        file.content,
        &render_document::pdf_filename(&document),
    ))
}

async fn export_xml(
    ctx: &AppContext,
    company_id: i64,
    id: &str,
    syntax: render_document::XmlSyntax,
) -> Result<Response, ApiError> {
    let invoice = docs::find(&ctx.db, company_id, id).await?;
    if invoice.status == "draft" {
        return Err(ApiError::Refused("invoice-not-issued"));
    }
    let document = render_document::frozen(&invoice)?.ok_or(ApiError::NotFound)?;
    Ok(crate::controllers::invoice_wizard::xml_response(
        syntax.export(&document)?,
        &syntax.filename(&document),
    ))
}

/// The e-invoice of an issued document in UN/CEFACT CII (Factur-X EN 16931 profile): the
/// XML embedded in its PDF.
#[utoipa::path(
    get,
    path = "/api/invoices/{id}/cii",
    tag = "invoices",
    params(("id" = uuid::Uuid, Path, description = "The document's id")),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "application/xml: CrossIndustryInvoice (EN 16931)"),
        (status = 401, description = "Unknown or revoked key", body = ApiErrorBody),
        (status = 404, description = "No such document in this company", body = ApiErrorBody),
        (status = 409, description = "invoice-not-issued", body = ApiErrorBody),
    )
)]
pub async fn cii(
    State(ctx): State<AppContext>,
    api: ApiCompany,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    export_xml(&ctx, api.company.id, &id, render_document::XmlSyntax::Cii).await
}

/// The e-invoice of an issued document in UBL 2.1 (an `Invoice`, or a `CreditNote`),
/// EN 16931 with Peppol BIS Billing 3.0 conventions.
#[utoipa::path(
    get,
    path = "/api/invoices/{id}/ubl",
    tag = "invoices",
    params(("id" = uuid::Uuid, Path, description = "The document's id")),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "application/xml: UBL 2.1 Invoice or CreditNote"),
        (status = 401, description = "Unknown or revoked key", body = ApiErrorBody),
        (status = 404, description = "No such document in this company", body = ApiErrorBody),
        (status = 409, description = "invoice-not-issued", body = ApiErrorBody),
    )
)]
pub async fn ubl(
    State(ctx): State<AppContext>,
    api: ApiCompany,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    export_xml(&ctx, api.company.id, &id, render_document::XmlSyntax::Ubl).await
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct CreditLineBody {
    /// 0-based position of the line in the invoice.
    pub index: usize,
    /// Quantity to credit; the whole line when empty.
    pub quantity: String,
}

/// A credit note request.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct CreditNoteBody {
    /// "cancel" (credit all that remains and cancel the invoice), "lines" or "amount".
    pub mode: String,
    pub lines: Vec<CreditLineBody>,
    /// For "amount": excl. VAT, in euros.
    pub amount: String,
    /// For "amount": one of the invoice's VAT codes.
    pub vat: String,
    pub reason: String,
}

/// Create (and issue) a credit note for an invoice.
#[utoipa::path(
    post,
    path = "/api/invoices/{id}/credit-notes",
    tag = "invoices",
    request_body = CreditNoteBody,
    params(
        ("id" = uuid::Uuid, Path, description = "The invoice's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe"),
    ),
    security(("api_key" = [])),
    responses(
        (status = 201, description = "Credit note issued", body = InvoiceJson),
        (status = 401, description = "Unknown or revoked key", body = ApiErrorBody),
        (status = 404, description = "No such invoice in this company", body = ApiErrorBody),
        (status = 409, description = "credit-exceeds-remainder, invoice-cancelled, credit-vat-not-on-invoice, ...", body = ApiErrorBody),
        (status = 422, description = "Invalid fields", body = ApiErrorBody),
    )
)]
pub async fn credit_note(
    State(ctx): State<AppContext>,
    api: ApiCompany,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CreditNoteBody>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let request = match body.mode.as_str() {
        "cancel" | "" => CreditRequest::Cancel,
        "lines" => CreditRequest::Lines(
            body.lines
                .iter()
                .map(|l| (l.index, l.quantity.clone()))
                .collect(),
        ),
        "amount" => CreditRequest::Amount {
            net: body.amount.clone(),
            vat: body.vat.clone(),
            reason: body.reason.clone(),
        },
        _ => {
            return Err(ApiError::Invalid(
                crate::domain::error::FieldErrors::single("mode", "credit-mode-invalid"),
            ))
        }
    };
    let note =
        create_credit_note::create(&ctx, api.company.id, None, &id, &request, key.as_deref())
            .await?;
    Ok((StatusCode::CREATED, Json(to_json(&ctx, &note).await?)).into_response())
}
