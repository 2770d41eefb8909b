//! Vente > Factures: the list (filters, number search, totals of the selection) and a
//! document's page (PDF, history, resend, cancel by credit note, partial credit note).

use axum::{
    extract::{Path, Query, State},
    response::Response,
};
use axum_extra::extract::Form;
use loco_rs::prelude::*;
use serde::Deserialize;
use serde_json::{json, Value};

use super::invoice_wizard::{invoice_path, pdf_response, xml_response, ACTIVE, BASE};
use crate::{
    domain::{client::Paging, draft::parse_date, money::format_cents},
    models::_entities::{clients as client_rows, document_files, invoices},
    services::{
        clients,
        create_credit_note::{self, CreditPreview, CreditRequest},
        invoices as docs,
        issue_invoice::paris_date,
        render_document, resend_invoice, ServiceError,
    },
    views::{
        document::DocumentKind,
        invoice::{document_view, invoice_row, shown_status},
        paris_datetime,
    },
    web::{redirect_with_flash, FlashKind, Page, RequestMeta, SellerUser, WebError},
};

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct ListParams {
    status: String,
    kind: String,
    client: String,
    from: String,
    to: String,
    q: String,
    page: Option<u64>,
}

const STATUSES: [&str; 7] = [
    "",
    "draft",
    "issued",
    "partially_paid",
    "paid",
    "overdue",
    "cancelled",
];

async fn index(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Query(params): Query<ListParams>,
) -> Result<Response, WebError> {
    let company_id = user.company_id()?;
    let today = paris_date(crate::clock::of(&ctx).now());
    let client = if params.client.is_empty() {
        None
    } else {
        Some(clients::find(&ctx.db, company_id, &params.client).await?)
    };
    let paging = Paging::new(params.page, None);
    let filter = docs::InvoiceFilter {
        status: Some(params.status.clone()).filter(|s| !s.is_empty()),
        kind: DocumentKind::parse(&params.kind).ok(),
        client_id: client.as_ref().map(|c| c.id),
        from: parse_date(&params.from).ok(),
        to: parse_date(&params.to).ok(),
        number: Some(params.q.clone()),
        paging: Some(paging),
    };
    let (rows, totals) = docs::list(&ctx, company_id, &filter, today).await?;
    let rows = rows_with_clients(&ctx, &rows, today, meta.locale).await?;
    let query = |page: u64| {
        let mut pairs = vec![
            ("status", params.status.clone()),
            ("kind", params.kind.clone()),
            ("client", params.client.clone()),
            ("from", params.from.clone()),
            ("to", params.to.clone()),
            ("q", params.q.clone()),
        ];
        if page > 1 {
            pairs.push(("page", page.to_string()));
        }
        let encoded: Vec<String> = pairs
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", urlencoding::encode(&v)))
            .collect();
        if encoded.is_empty() {
            BASE.to_string()
        } else {
            format!("{BASE}?{}", encoded.join("&"))
        }
    };
    let pages = paging.pages(totals.count);
    Page::new(&meta, Some(&user), ACTIVE).render(
        "invoices/index.html",
        json!({
            "rows": rows,
            "filters": params_json(&params),
            "statuses": STATUSES,
            "client": client.map(|c| json!({ "pid": c.pid.to_string(), "name": c.legal_name })),
            "totals": {
                "count": totals.count,
                "total": format_cents(totals.total_cents, meta.locale),
                "net": format_cents(totals.net_cents, meta.locale),
            },
            "page": paging.page,
            "pages": pages,
            "prev": (paging.page > 1).then(|| query(paging.page - 1)),
            "next": (paging.page < pages).then(|| query(paging.page + 1)),
        }),
    )
}

fn params_json(params: &ListParams) -> Value {
    json!({
        "status": params.status, "kind": params.kind, "client": params.client,
        "from": params.from, "to": params.to, "q": params.q,
    })
}

/// List rows with their client and balance.
pub async fn rows_with_clients(
    ctx: &AppContext,
    rows: &[invoices::Model],
    today: chrono::NaiveDate,
    locale: crate::domain::locale::Locale,
) -> Result<Vec<Value>, WebError> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let client_ids: Vec<i64> = rows.iter().map(|r| r.client_id).collect();
    let clients: std::collections::HashMap<i64, client_rows::Model> = client_rows::Entity::find()
        .filter(client_rows::Column::Id.is_in(client_ids))
        .all(&ctx.db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let credited = crate::services::payments::taken_off(&ctx.db, &ids).await?;
    Ok(rows
        .iter()
        .map(|r| {
            let balance = docs::balance(r, credited.get(&r.id).copied().unwrap_or(0));
            invoice_row(r, clients.get(&r.client_id), balance, today, locale)
        })
        .collect())
}

async fn show(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
) -> Result<Response, WebError> {
    let company_id = user.company_id()?;
    let invoice = docs::find(&ctx.db, company_id, &pid).await?;
    if invoice.status == "draft" {
        // A draft resumes where the wizard stopped.
        let step = match invoice.wizard_step {
            3 => "email",
            2 => "preview",
            _ => "edit",
        };
        return Ok(
            axum::response::Redirect::to(&format!("{}/{step}", invoice_path(&pid))).into_response(),
        );
    }
    let today = paris_date(crate::clock::of(&ctx).now());
    let document = render_document::frozen(&invoice)?.ok_or(WebError::NotFound)?;
    let credited = crate::services::payments::taken_off(&ctx.db, &[invoice.id]).await?;
    let balance = docs::balance(&invoice, credited.get(&invoice.id).copied().unwrap_or(0));
    let credit_notes = docs::credit_notes_of(&ctx.db, invoice.id).await?;
    let corrected = match invoice.corrected_invoice_id {
        Some(id) => {
            use sea_orm::EntityTrait;
            invoices::Entity::find_by_id(id).one(&ctx.db).await?
        }
        None => None,
    };
    let history: Vec<Value> = docs::history(&ctx, invoice.id)
        .await?
        .iter()
        .map(|e| json!({ "kind": e.kind, "detail": e.detail, "at": paris_datetime(&e.created_at) }))
        .collect();
    let attachments: Vec<Value> = crate::services::attachments::list(&ctx, invoice.id)
        .await?
        .iter()
        .map(|(a, _)| json!(a.filename))
        .collect();
    let client = {
        use sea_orm::EntityTrait;
        client_rows::Entity::find_by_id(invoice.client_id)
            .one(&ctx.db)
            .await?
    };
    let (payment_rows, _) =
        crate::services::payments::list(&ctx.db, company_id, None, Some(invoice.id), 0, 100)
            .await?;
    let client_credit =
        crate::services::payments::client_credit(&ctx.db, invoice.client_id).await?;
    let payable = invoice.kind == "invoice"
        && matches!(
            invoice.status.as_str(),
            "issued" | "partially_paid" | "paid"
        );
    Page::new(&meta, Some(&user), ACTIVE).render(
        "invoices/show.html",
        json!({
            "payments": payment_rows.iter().map(|r| super::payments::payment_view(r, meta.locale)).collect::<Vec<_>>(),
            "can_record_payment": payable,
            "client_credit": (payable && balance > 0 && client_credit > 0).then(|| format_cents(client_credit, meta.locale)),
            "transfer_reference": invoice.number.as_deref().filter(|_| invoice.kind == "invoice").and_then(|n| crate::domain::payment::transfer_reference(n).ok()).map(|r| crate::domain::payment::grouped(&r)),
            "pid": pid,
            "kind": invoice.kind,
            "number": invoice.number,
            "status": shown_status(&invoice, balance, today),
            "balance": format_cents(balance, meta.locale),
            "document": document_view(&document, meta.locale),
            "pdf_ready": invoice.pdf_file_id.is_some(),
            "history": history,
            "attachments": attachments,
            "client_pid": client.map(|c| c.pid.to_string()),
            "credit_notes": credit_notes.iter().map(|c| json!({
                "pid": c.pid.to_string(), "number": c.number,
                "total": format_cents(c.total_cents, meta.locale),
                "date": c.issue_date.format("%d/%m/%Y").to_string(),
            })).collect::<Vec<_>>(),
            "corrected": corrected.map(|c| json!({ "pid": c.pid.to_string(), "number": c.number })),
            "can_credit": invoice.kind == "invoice" && matches!(invoice.status.as_str(), "issued" | "partially_paid" | "paid"),
        }),
    )
}

/// The stored PDF: the very bytes rendered at issue.
async fn pdf(
    State(ctx): State<AppContext>,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
) -> Result<Response, WebError> {
    use sea_orm::EntityTrait;
    let invoice = docs::find(&ctx.db, user.company_id()?, &pid).await?;
    let file_id = invoice.pdf_file_id.ok_or(WebError::NotFound)?;
    let file = document_files::Entity::find_by_id(file_id)
        .one(&ctx.db)
        .await?
        .ok_or(WebError::NotFound)?;
    let document = render_document::frozen(&invoice)?.ok_or(WebError::NotFound)?;
    Ok(pdf_response(
        file.content,
        &render_document::pdf_filename(&document),
    ))
}

/// The e-invoice of an issued document in CII or UBL, made from its frozen document.
async fn export_xml(
    ctx: &AppContext,
    company_id: i64,
    pid: &str,
    syntax: render_document::XmlSyntax,
) -> Result<Response, WebError> {
    let invoice = docs::find(&ctx.db, company_id, pid).await?;
    let document = render_document::frozen(&invoice)?.ok_or(WebError::NotFound)?;
    Ok(xml_response(
        syntax.export(&document)?,
        &syntax.filename(&document),
    ))
}

async fn cii(
    State(ctx): State<AppContext>,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
) -> Result<Response, WebError> {
    export_xml(
        &ctx,
        user.company_id()?,
        &pid,
        render_document::XmlSyntax::Cii,
    )
    .await
}

async fn ubl(
    State(ctx): State<AppContext>,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
) -> Result<Response, WebError> {
    export_xml(
        &ctx,
        user.company_id()?,
        &pid,
        render_document::XmlSyntax::Ubl,
    )
    .await
}

async fn resend_confirmation(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
) -> Result<Response, WebError> {
    let invoice = docs::find(&ctx.db, user.company_id()?, &pid).await?;
    if invoice.status == "draft" {
        return Err(WebError::NotFound);
    }
    let to = {
        use sea_orm::EntityTrait;
        client_rows::Entity::find_by_id(invoice.client_id)
            .one(&ctx.db)
            .await?
            .and_then(|c| c.contact_email)
    };
    Page::new(&meta, Some(&user), ACTIVE).render(
        "invoices/resend.html",
        json!({ "pid": pid, "number": invoice.number, "to": to, "form_key": crate::security::random_token() }),
    )
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct ResendForm {
    confirm: String,
    form_key: String,
}

async fn resend(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
    Form(form): Form<ResendForm>,
) -> Result<Response, WebError> {
    let company_id = user.company_id()?;
    let invoice = docs::find(&ctx.db, company_id, &pid).await?;
    if form.confirm != "yes" {
        let to = {
            use sea_orm::EntityTrait;
            client_rows::Entity::find_by_id(invoice.client_id)
                .one(&ctx.db)
                .await?
                .and_then(|c| c.contact_email)
        };
        return Page::new(&meta, Some(&user), ACTIVE).render_unconfirmed(
            "invoices/resend.html",
            json!({ "pid": pid, "number": invoice.number, "to": to, "form_key": form.form_key }),
        );
    }
    let key = (!form.form_key.is_empty()).then_some(form.form_key.as_str());
    match resend_invoice::resend(&ctx, company_id, Some(&user.user), &pid, key).await {
        Ok(()) => Ok(redirect_with_flash(
            &invoice_path(&pid),
            FlashKind::Success,
            "flash-invoice-resent",
        )),
        Err(ServiceError::Refused(code)) => Ok(redirect_with_flash(
            &invoice_path(&pid),
            FlashKind::Error,
            &format!("err-{code}"),
        )),
        Err(e) => Err(e.into()),
    }
}

/// The credit note form: cancel (whole remainder) or partial (lines or amount).
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct CreditForm {
    /// "cancel", "lines" or "amount".
    mode: String,
    confirm: String,
    /// Chosen line indexes and their quantities (parallel lists).
    line: Vec<String>,
    quantity: Vec<String>,
    amount: String,
    vat: String,
    reason: String,
    /// "preview" or "create".
    action: String,
    form_key: String,
}

impl CreditForm {
    fn request(&self) -> CreditRequest {
        match self.mode.as_str() {
            "lines" => CreditRequest::Lines(
                self.line
                    .iter()
                    .filter_map(|index| {
                        let i: usize = index.parse().ok()?;
                        Some((i, self.quantity.get(i).cloned().unwrap_or_default()))
                    })
                    .collect(),
            ),
            "amount" => CreditRequest::Amount {
                net: self.amount.clone(),
                vat: self.vat.clone(),
                reason: self.reason.clone(),
            },
            _ => CreditRequest::Cancel,
        }
    }
}

async fn credit_page_data(
    ctx: &AppContext,
    meta: &RequestMeta,
    invoice: &invoices::Model,
    form: &CreditForm,
    preview: Option<&CreditPreview>,
) -> Result<Value, WebError> {
    let (lines, _) = docs::content(&ctx.db, invoice.id).await?;
    let document = render_document::frozen(invoice)?.ok_or(WebError::NotFound)?;
    let vats: Vec<Value> = document
        .breakdown
        .iter()
        .map(|b| {
            json!([
                b.vat.code(),
                crate::views::invoice::vat_label(b.vat, meta.locale)
            ])
        })
        .collect();
    Ok(json!({
        "pid": invoice.pid.to_string(),
        "number": invoice.number,
        "total": format_cents(invoice.total_cents, meta.locale),
        "mode": if form.mode.is_empty() { "cancel" } else { form.mode.as_str() },
        "form": {
            "amount": form.amount, "vat": form.vat, "reason": form.reason,
            "lines": form.line, "quantities": form.quantity, "confirm": form.confirm == "yes",
        },
        "form_key": if form.form_key.is_empty() { crate::security::random_token() } else { form.form_key.clone() },
        "lines": lines.iter().enumerate().map(|(i, l)| json!({
            "index": i,
            "description": l.description,
            "quantity": crate::views::invoice::decimal_for_input(l.quantity, meta.locale),
            "unit_price": format_cents(crate::domain::invoice::to_cents(l.unit_price), meta.locale),
            "chosen": form.line.contains(&i.to_string()),
        })).collect::<Vec<_>>(),
        "vats": vats,
        "preview": preview.map(|p| json!({
            "cancels": p.cancels,
            "remainder": format_cents(p.remainder_cents, meta.locale),
            "lines": p.lines.iter().zip(&p.computed.line_nets).map(|(l, net)| json!({
                "description": l.description,
                "quantity": crate::views::invoice::decimal_for_input(l.quantity, meta.locale),
                "vat": crate::views::invoice::vat_label(l.vat, meta.locale),
                "net": format_cents(*net, meta.locale),
            })).collect::<Vec<_>>(),
            "net": format_cents(p.computed.totals.net_cents, meta.locale),
            "vat": format_cents(p.computed.totals.vat_cents, meta.locale),
            "total": format_cents(p.computed.totals.total_cents, meta.locale),
        })),
    }))
}

async fn credit_form(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
    Query(form): Query<CreditForm>,
) -> Result<Response, WebError> {
    let invoice = docs::find(&ctx.db, user.company_id()?, &pid).await?;
    if invoice.kind != "invoice" || invoice.status == "draft" {
        return Err(WebError::NotFound);
    }
    let data = credit_page_data(&ctx, &meta, &invoice, &form, None).await?;
    Page::new(&meta, Some(&user), ACTIVE).render("invoices/credit.html", data)
}

async fn credit_submit(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
    Form(form): Form<CreditForm>,
) -> Result<Response, WebError> {
    let company_id = user.company_id()?;
    let invoice = docs::find(&ctx.db, company_id, &pid).await?;
    let page = Page::new(&meta, Some(&user), ACTIVE);
    // "Annuler la facture" needs the confirmation box ticked before anything is shown.
    if form.mode == "cancel" && form.confirm != "yes" {
        let data = credit_page_data(&ctx, &meta, &invoice, &form, None).await?;
        return page.render_unconfirmed("invoices/credit.html", data);
    }
    let request = form.request();
    if form.action != "create" {
        return match create_credit_note::preview(&ctx, company_id, &pid, &request).await {
            Ok(preview) => {
                let data = credit_page_data(&ctx, &meta, &invoice, &form, Some(&preview)).await?;
                page.render("invoices/credit.html", data)
            }
            Err(error) => credit_failure(&ctx, &meta, &page, &invoice, &form, error).await,
        };
    }
    let key = (!form.form_key.is_empty()).then_some(form.form_key.as_str());
    match create_credit_note::create(&ctx, company_id, Some(&user.user), &pid, &request, key).await
    {
        Ok(note) => Ok(redirect_with_flash(
            &invoice_path(&note.pid.to_string()),
            FlashKind::Success,
            "flash-credit-note-created",
        )),
        Err(error) => credit_failure(&ctx, &meta, &page, &invoice, &form, error).await,
    }
}

async fn credit_failure(
    ctx: &AppContext,
    meta: &RequestMeta,
    page: &Page<'_>,
    invoice: &invoices::Model,
    form: &CreditForm,
    error: ServiceError,
) -> Result<Response, WebError> {
    let data = credit_page_data(ctx, meta, invoice, form, None).await?;
    match error {
        ServiceError::Invalid(errors) => page.render_invalid("invoices/credit.html", data, &errors),
        ServiceError::Refused(code) => page.render_invalid(
            "invoices/credit.html",
            data,
            &crate::domain::error::FieldErrors::single("credit", code),
        ),
        other => Err(other.into()),
    }
}

pub fn routes() -> Routes {
    Routes::new()
        .prefix(BASE)
        .add("/", get(index))
        .add("/{pid}", get(show))
        .add("/{pid}/pdf", get(pdf))
        .add("/{pid}/cii.xml", get(cii))
        .add("/{pid}/ubl.xml", get(ubl))
        .add("/{pid}/resend", get(resend_confirmation).post(resend))
        .add("/{pid}/credit-note", get(credit_form).post(credit_submit))
}
