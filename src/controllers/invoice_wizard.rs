//! Vente > Factures > Créer une facture: the three-step wizard. Step 1 (label, client,
//! dates, lines, discount/charge, notes, attachments), step 2 (the invoice as printed),
//! step 3 (the e-mail, editable) and **Envoyer la facture**. The draft is saved at every
//! step and can be resumed or deleted; a test can be sent to the seller only.

use axum::{
    extract::{Multipart, Path, Query, State},
    http::header,
    response::{IntoResponse, Response},
};
use axum_extra::extract::Form;
use loco_rs::prelude::*;
use serde::Deserialize;
use serde_json::{json, Value};

use super::form_failure;
use crate::{
    domain::{
        client::{ClientSearch, Paging, StatusFilter},
        draft::{AdjustmentInput, Draft, DraftInput},
        error::FieldErrors,
        invoice::LineInput,
        locale::Locale,
    },
    models::_entities::{clients as client_rows, invoices},
    security,
    services::{
        attachments, clients, invoice_templates, invoices as docs,
        issue_invoice::{self, default_email, fill_placeholders, paris_date},
        ServiceError,
    },
    views::{
        document::{DocumentKind, InvoiceDocument},
        invoice::{document_view, draft_input, unit_options, vat_options},
    },
    web::{
        forms::ConfirmForm, redirect_with_flash, CurrentUser, FlashKind, Page, RequestMeta,
        SellerUser, WebError,
    },
};

pub const BASE: &str = "/sales/invoices";
pub const ACTIVE: &str = "sales-invoices";
/// Rows shown in a new form; more are added with "Ajouter une ligne".
const NEW_ROWS: usize = 3;

pub fn invoice_path(pid: &str) -> String {
    format!("{BASE}/{pid}")
}

/// Step 1 as posted: line fields come as parallel lists (one value per row).
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct Step1Form {
    label: String,
    client: String,
    client_q: String,
    issue_date: String,
    payment_term_days: String,
    due_date: String,
    delivery_date: String,
    period_start: String,
    period_end: String,
    operation: String,
    recurrence: String,
    line_description: Vec<String>,
    line_quantity: Vec<String>,
    line_unit: Vec<String>,
    line_unit_price: Vec<String>,
    line_vat: Vec<String>,
    discount_kind: String,
    discount_value: String,
    discount_vat: String,
    discount_reason: String,
    charge_value: String,
    charge_vat: String,
    charge_reason: String,
    notes: String,
    form_key: String,
    /// "next" (save, go to step 2), "save" (save, stay), "add_line", "remove_line:<i>",
    /// "search_client".
    pub action: String,
    /// The confirmation box of a subscription's modification (the same fields).
    pub confirm: String,
}

impl Step1Form {
    pub fn input(&self) -> DraftInput {
        let at = |v: &Vec<String>, i: usize| v.get(i).cloned().unwrap_or_default();
        let rows = self.line_description.len().max(self.line_quantity.len());
        DraftInput {
            label: self.label.clone(),
            client: self.client.clone(),
            issue_date: self.issue_date.clone(),
            payment_term_days: self.payment_term_days.clone(),
            due_date: self.due_date.clone(),
            delivery_date: self.delivery_date.clone(),
            period_start: self.period_start.clone(),
            period_end: self.period_end.clone(),
            operation: self.operation.clone(),
            recurrence: self.recurrence.clone(),
            lines: (0..rows)
                .map(|i| LineInput {
                    description: at(&self.line_description, i),
                    quantity: at(&self.line_quantity, i),
                    unit: at(&self.line_unit, i),
                    unit_price: at(&self.line_unit_price, i),
                    vat: at(&self.line_vat, i),
                })
                .collect(),
            discount: AdjustmentInput {
                kind: self.discount_kind.clone(),
                value: self.discount_value.clone(),
                vat: self.discount_vat.clone(),
                reason: self.discount_reason.clone(),
            },
            charge: AdjustmentInput {
                kind: "amount".into(),
                value: self.charge_value.clone(),
                vat: self.charge_vat.clone(),
                reason: self.charge_reason.clone(),
            },
            notes: self.notes.clone(),
        }
    }
}

/// Clients offered by the picker: active ones, filtered by the picker's search.
async fn client_choices(
    ctx: &AppContext,
    company_id: i64,
    query: &str,
    selected: &str,
) -> Result<Vec<Value>, WebError> {
    let (rows, _) = clients::search(
        ctx,
        company_id,
        &clients::ClientQuery {
            search: ClientSearch::parse(query),
            status: StatusFilter::Active,
            paging: Some(Paging::new(None, Some(Paging::MAX_PER_PAGE))),
            ..Default::default()
        },
    )
    .await?;
    let mut choices: Vec<Value> = rows
        .iter()
        .map(|c| {
            json!({
                "pid": c.pid.to_string(),
                "name": c.legal_name,
                "number": c.customer_number,
                "selected": c.pid.to_string() == selected,
            })
        })
        .collect();
    // The chosen client stays in the list whatever the search.
    if !selected.is_empty() && !choices.iter().any(|c| c["selected"] == true) {
        if let Ok(client) = clients::find(&ctx.db, company_id, selected).await {
            choices.insert(
                0,
                json!({ "pid": client.pid.to_string(), "name": client.legal_name,
                        "number": client.customer_number, "selected": true }),
            );
        }
    }
    Ok(choices)
}

struct Step1<'a> {
    input: DraftInput,
    client_q: String,
    form_key: String,
    editing: Option<&'a invoices::Model>,
}

async fn step1_data(
    ctx: &AppContext,
    user: &CurrentUser,
    meta: &RequestMeta,
    step: Step1<'_>,
) -> Result<Value, WebError> {
    let company_id = user.company_id()?;
    let mut input = step.input;
    let blanks = NEW_ROWS
        .saturating_sub(input.lines.len())
        .max(usize::from(input.lines.is_empty()));
    input.lines.extend((0..blanks).map(|_| blank_line(user)));
    let clients = client_choices(ctx, company_id, &step.client_q, &input.client).await?;
    let templates: Vec<Value> = invoice_templates::list(ctx, company_id)
        .await?
        .iter()
        .map(|(t, c)| json!({ "pid": t.pid.to_string(), "name": t.name, "client": c.legal_name }))
        .collect();
    let attachments: Vec<Value> = match step.editing {
        Some(invoice) => attachments::list(ctx, invoice.id)
            .await?
            .iter()
            .map(|(a, size)| json!({ "pid": a.pid.to_string(), "name": a.filename, "kb": (size + 1023) / 1024 }))
            .collect(),
        None => Vec::new(),
    };
    Ok(json!({
        "form": input,
        "client_q": step.client_q,
        "clients": clients,
        "templates": templates,
        "form_key": step.form_key,
        "editing": step.editing.map(|i| i.pid.to_string()),
        "attachments": attachments,
        "vat_options": vat_options(meta.locale),
        "unit_options": unit_options(meta.locale),
        "default_term": user.company.as_ref().map_or(30, |c| c.payment_term_days),
        "step": 1,
    }))
}

/// "Ajouter une ligne" / the ✕ of a row: changes the rows shown, saves nothing. `false` for
/// any other action.
pub fn apply_row_action(input: &mut DraftInput, action: &str, user: &CurrentUser) -> bool {
    if action == "add_line" {
        input.lines.push(blank_line(user));
        return true;
    }
    let Some(index) = action
        .strip_prefix("remove_line:")
        .and_then(|i| i.parse::<usize>().ok())
    else {
        return false;
    };
    if index < input.lines.len() {
        input.lines.remove(index);
    }
    true
}

/// An empty row with the company's usual VAT treatment.
pub fn blank_line(user: &CurrentUser) -> LineInput {
    LineInput {
        vat: default_vat(user).into(),
        unit: "C62".into(),
        ..Default::default()
    }
}

/// Under franchise en base every line is "TVA non applicable, art. 293 B du CGI".
fn default_vat(user: &CurrentUser) -> &'static str {
    match &user.company {
        Some(c) if c.vat_regime == "franchise" => "franchise",
        _ => "20",
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct NewParams {
    client: String,
    template: String,
}

async fn new_form(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Query(params): Query<NewParams>,
) -> Result<Response, WebError> {
    let company_id = user.company_id()?;
    let input = if params.template.is_empty() {
        DraftInput {
            client: params.client,
            payment_term_days: user
                .company
                .as_ref()
                .map_or(30, |c| c.payment_term_days)
                .to_string(),
            ..Default::default()
        }
    } else {
        invoice_templates::start_from(&ctx, company_id, &params.template).await?
    };
    let data = step1_data(
        &ctx,
        &user,
        &meta,
        Step1 {
            input,
            client_q: String::new(),
            form_key: security::random_token(),
            editing: None,
        },
    )
    .await?;
    Page::new(&meta, Some(&user), ACTIVE).render("invoices/step1.html", data)
}

fn company_term(user: &CurrentUser) -> i32 {
    user.company.as_ref().map_or(30, |c| c.payment_term_days)
}

/// Re-renders step 1 without saving (adding/removing a row, searching a client).
async fn rerender_step1(
    ctx: &AppContext,
    user: &CurrentUser,
    meta: &RequestMeta,
    form: &Step1Form,
    editing: Option<&invoices::Model>,
) -> Result<Response, WebError> {
    let mut input = form.input();
    apply_row_action(&mut input, &form.action, user);
    let data = step1_data(
        ctx,
        user,
        meta,
        Step1 {
            input,
            client_q: form.client_q.clone(),
            form_key: form.form_key.clone(),
            editing,
        },
    )
    .await?;
    Page::new(meta, Some(user), ACTIVE).render("invoices/step1.html", data)
}

async fn after_save(
    ctx: &AppContext,
    company_id: i64,
    pid: &str,
    action: &str,
) -> Result<Response, WebError> {
    if action == "save" {
        return Ok(redirect_with_flash(
            &format!("{}/edit", invoice_path(pid)),
            FlashKind::Success,
            "flash-draft-saved",
        ));
    }
    // Resuming the draft later brings the seller back to the preview.
    docs::save_step(ctx, company_id, pid, 2, None).await?;
    Ok(redirect_with_flash(
        &format!("{}/preview", invoice_path(pid)),
        FlashKind::Success,
        "flash-draft-saved",
    ))
}

async fn create(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Form(form): Form<Step1Form>,
) -> Result<Response, WebError> {
    if matches!(form.action.as_str(), "add_line" | "search_client")
        || form.action.starts_with("remove_line:")
    {
        return rerender_step1(&ctx, &user, &meta, &form, None).await;
    }
    let company_id = user.company_id()?;
    let today = paris_date(crate::clock::of(&ctx).now());
    let key = (!form.form_key.is_empty()).then_some(form.form_key.as_str());
    let result = match Draft::parse(&form.input(), today, company_term(&user)) {
        Ok(draft) => docs::create_draft(&ctx, company_id, Some(user.user.id), &draft, key).await,
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    match result {
        Ok((invoice, _)) => {
            after_save(&ctx, company_id, &invoice.pid.to_string(), &form.action).await
        }
        Err(error) => {
            let data = step1_data(
                &ctx,
                &user,
                &meta,
                Step1 {
                    input: form.input(),
                    client_q: form.client_q.clone(),
                    form_key: form.form_key.clone(),
                    editing: None,
                },
            )
            .await?;
            form_failure(
                &Page::new(&meta, Some(&user), ACTIVE),
                "invoices/step1.html",
                data,
                error,
            )
        }
    }
}

/// A draft of this company, or the page of the issued document.
async fn draft_or_redirect(
    ctx: &AppContext,
    user: &CurrentUser,
    pid: &str,
) -> Result<Result<invoices::Model, Response>, WebError> {
    let invoice = docs::find(&ctx.db, user.company_id()?, pid).await?;
    if invoice.status == "draft" {
        Ok(Ok(invoice))
    } else {
        Ok(Err(redirect_with_flash(
            &invoice_path(pid),
            FlashKind::Info,
            "flash-already-issued",
        )))
    }
}

async fn client_pid(ctx: &AppContext, invoice: &invoices::Model) -> Result<String, WebError> {
    Ok(client_rows::Entity::find_by_id(invoice.client_id)
        .one(&ctx.db)
        .await?
        .map(|c| c.pid.to_string())
        .unwrap_or_default())
}

async fn edit_form(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
) -> Result<Response, WebError> {
    let invoice = match draft_or_redirect(&ctx, &user, &pid).await? {
        Ok(invoice) => invoice,
        Err(redirect) => return Ok(redirect),
    };
    let (lines, adjustments) = docs::content(&ctx.db, invoice.id).await?;
    let input = draft_input(
        &invoice,
        &client_pid(&ctx, &invoice).await?,
        &lines,
        &adjustments,
        meta.locale,
    );
    let data = step1_data(
        &ctx,
        &user,
        &meta,
        Step1 {
            input,
            client_q: String::new(),
            form_key: String::new(),
            editing: Some(&invoice),
        },
    )
    .await?;
    Page::new(&meta, Some(&user), ACTIVE).render("invoices/step1.html", data)
}

async fn update(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
    Form(form): Form<Step1Form>,
) -> Result<Response, WebError> {
    let invoice = match draft_or_redirect(&ctx, &user, &pid).await? {
        Ok(invoice) => invoice,
        Err(redirect) => return Ok(redirect),
    };
    if matches!(form.action.as_str(), "add_line" | "search_client")
        || form.action.starts_with("remove_line:")
    {
        return rerender_step1(&ctx, &user, &meta, &form, Some(&invoice)).await;
    }
    let today = paris_date(crate::clock::of(&ctx).now());
    let result = match Draft::parse(&form.input(), today, company_term(&user)) {
        Ok(draft) => docs::update_draft(&ctx, user.company_id()?, &pid, &draft).await,
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    match result {
        Ok(_) => after_save(&ctx, user.company_id()?, &pid, &form.action).await,
        Err(error) => {
            let data = step1_data(
                &ctx,
                &user,
                &meta,
                Step1 {
                    input: form.input(),
                    client_q: form.client_q.clone(),
                    form_key: String::new(),
                    editing: Some(&invoice),
                },
            )
            .await?;
            form_failure(
                &Page::new(&meta, Some(&user), ACTIVE),
                "invoices/step1.html",
                data,
                error,
            )
        }
    }
}

/// For a monthly draft: the day its subscription's next invoice would be issued (the same
/// day next month, 29-31 falling on shorter months' last day), shown before sending.
fn monthly_notice(invoice: &invoices::Model) -> Option<Value> {
    (invoice.recurrence == "monthly").then(|| {
        json!({
            "next": crate::domain::subscription::billing_date(invoice.issue_date, 1)
                .format("%d/%m/%Y")
                .to_string(),
        })
    })
}

async fn draft_document(
    ctx: &AppContext,
    invoice: &invoices::Model,
    test_mode: bool,
) -> Result<Result<InvoiceDocument, &'static str>, WebError> {
    Ok(issue_invoice::draft_document(ctx, invoice, test_mode).await?)
}

async fn preview(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
) -> Result<Response, WebError> {
    let invoice = match draft_or_redirect(&ctx, &user, &pid).await? {
        Ok(invoice) => invoice,
        Err(redirect) => return Ok(redirect),
    };
    let document = draft_document(&ctx, &invoice, false).await?;
    let issuable = crate::services::issue_invoice::check_draft(&ctx, &invoice).await?;
    Page::new(&meta, Some(&user), ACTIVE).render(
        "invoices/step2.html",
        json!({
            "pid": pid,
            "step": 2,
            "monthly": monthly_notice(&invoice),
            "document": document.as_ref().ok().map(|d| document_view(d, meta.locale)),
            "problem": document.err().or(issuable.err()).map(|code| format!("err-{code}")),
        }),
    )
}

/// The draft's PDF as it would print now (marked "Brouillon", never numbered).
async fn preview_pdf(
    State(ctx): State<AppContext>,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
) -> Result<Response, WebError> {
    let invoice = docs::find(&ctx.db, user.company_id()?, &pid).await?;
    if invoice.status != "draft" {
        return Ok(
            axum::response::Redirect::to(&format!("{}/pdf", invoice_path(&pid))).into_response(),
        );
    }
    let document = draft_document(&ctx, &invoice, false)
        .await?
        .map_err(|_| WebError::NotFound)?;
    let bytes = issue_invoice::render_draft(&ctx, invoice.company_id, &document).await?;
    Ok(pdf_response(bytes, "Brouillon.pdf"))
}

/// A stored file answered with its name; `inline` for PDFs (shown by the browser),
/// `attachment` for XML exports (saved).
fn file_response(
    bytes: Vec<u8>,
    content_type: &str,
    disposition: &str,
    filename: &str,
) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("{disposition}; filename=\"{}\"", filename.replace('"', "")),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// An e-invoice XML export, downloaded as a file.
pub fn xml_response(bytes: Vec<u8>, filename: &str) -> Response {
    file_response(bytes, "application/xml", "attachment", filename)
}

pub fn pdf_response(bytes: Vec<u8>, filename: &str) -> Response {
    file_response(bytes, "application/pdf", "inline", filename)
}

async fn email_data(
    ctx: &AppContext,
    meta: &RequestMeta,
    invoice: &invoices::Model,
    subject: Option<String>,
    body: Option<String>,
) -> Result<Value, WebError> {
    let (default_subject, default_body) = default_email(
        DocumentKind::parse(&invoice.kind).unwrap_or(DocumentKind::Invoice),
        Locale::Fr,
    );
    let subject = subject
        .or_else(|| invoice.email_subject.clone())
        .unwrap_or(default_subject);
    let body = body
        .or_else(|| invoice.email_body.clone())
        .unwrap_or(default_body);
    let document = draft_document(ctx, invoice, false).await?;
    let client = client_rows::Entity::find_by_id(invoice.client_id)
        .one(&ctx.db)
        .await?;
    let company = user_company(ctx, invoice.company_id).await?;
    let expected = issue_invoice::expected_number(
        ctx,
        &company,
        DocumentKind::parse(&invoice.kind).unwrap_or(DocumentKind::Invoice),
        invoice.issue_date,
    )
    .await?;
    let preview = document.as_ref().ok().map(|d| {
        // The preview shows the number the invoice should get; it is taken at sending.
        let mut shown = d.clone();
        shown.number = Some(expected.clone());
        json!({
            "subject": fill_placeholders(&subject, &shown, Locale::Fr),
            "body": fill_placeholders(&body, &shown, Locale::Fr),
            "expected_number": expected,
        })
    });
    let issuable = crate::services::issue_invoice::check_draft(ctx, invoice).await?;
    let files: Vec<Value> = attachments::list(ctx, invoice.id)
        .await?
        .iter()
        .map(|(a, _)| json!(a.filename))
        .collect();
    Ok(json!({
        "pid": invoice.pid.to_string(),
        "step": 3,
        "monthly": monthly_notice(invoice),
        "form": { "subject": subject, "body": body },
        "preview": preview,
        "to": client.as_ref().and_then(|c| c.contact_email.clone()),
        "to_name": client.map(|c| c.legal_name),
        "attachments": files,
        "problem": document.err().or(issuable.err()).map(|code| format!("err-{code}")),
        "lang_hint": meta.locale.tag(),
        "form_key": crate::security::random_token(),
    }))
}

async fn user_company(
    ctx: &AppContext,
    company_id: i64,
) -> Result<crate::models::_entities::companies::Model, WebError> {
    use sea_orm::EntityTrait;
    crate::models::_entities::companies::Entity::find_by_id(company_id)
        .one(&ctx.db)
        .await?
        .ok_or(WebError::NotFound)
}

async fn email_form(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
) -> Result<Response, WebError> {
    let invoice = match draft_or_redirect(&ctx, &user, &pid).await? {
        Ok(invoice) => invoice,
        Err(redirect) => return Ok(redirect),
    };
    let data = email_data(&ctx, &meta, &invoice, None, None).await?;
    Page::new(&meta, Some(&user), ACTIVE).render("invoices/step3.html", data)
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct EmailForm {
    subject: String,
    body: String,
    /// "save", "test" or "send".
    action: String,
    /// One-time key of the page: a test pressed twice sends one e-mail.
    form_key: String,
}

fn check_email(form: &EmailForm) -> Result<(String, String), FieldErrors> {
    let mut errors = FieldErrors::default();
    let subject = form.subject.trim();
    let body = form.body.trim();
    if subject.is_empty() {
        errors.push("subject", "required");
    } else if subject.chars().count() > 200 {
        errors.push("subject", "too-long");
    }
    if body.is_empty() {
        errors.push("body", "required");
    } else if body.chars().count() > 10_000 {
        errors.push("body", "too-long");
    }
    errors.into_result(|| (subject.to_string(), body.replace("\r\n", "\n")))
}

async fn email_submit(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
    Form(form): Form<EmailForm>,
) -> Result<Response, WebError> {
    let company_id = user.company_id()?;
    let invoice = match draft_or_redirect(&ctx, &user, &pid).await? {
        Ok(invoice) => invoice,
        Err(redirect) => return Ok(redirect),
    };
    let page = Page::new(&meta, Some(&user), ACTIVE);
    let (subject, body) = match check_email(&form) {
        Ok(texts) => texts,
        Err(errors) => {
            let data = email_data(
                &ctx,
                &meta,
                &invoice,
                Some(form.subject.clone()),
                Some(form.body.clone()),
            )
            .await?;
            return page.render_invalid("invoices/step3.html", data, &errors);
        }
    };
    docs::save_step(
        &ctx,
        company_id,
        &pid,
        3,
        Some((subject.clone(), body.clone())),
    )
    .await?;
    match form.action.as_str() {
        "test" => {
            let key = (!form.form_key.is_empty()).then_some(form.form_key.as_str());
            crate::services::issue_invoice::send_test(&ctx, company_id, &user.user, &pid, key)
                .await?;
            Ok(redirect_with_flash(
                &format!("{}/email", invoice_path(&pid)),
                FlashKind::Success,
                "flash-test-sent",
            ))
        }
        "send" => match issue_invoice::issue(&ctx, company_id, Some(&user.user), &pid).await {
            Ok(_) => Ok(redirect_with_flash(
                &invoice_path(&pid),
                FlashKind::Success,
                "flash-invoice-sent",
            )),
            Err(ServiceError::Refused(code)) => Ok(redirect_with_flash(
                &format!("{}/email", invoice_path(&pid)),
                FlashKind::Error,
                &format!("err-{code}"),
            )),
            Err(ServiceError::Invalid(errors)) => {
                let code = errors.0.first().map_or("invoice-invalid", |e| e.code);
                Ok(redirect_with_flash(
                    &format!("{}/edit", invoice_path(&pid)),
                    FlashKind::Error,
                    &format!("err-{code}"),
                ))
            }
            Err(other) => Err(other.into()),
        },
        _ => Ok(redirect_with_flash(
            &format!("{}/email", invoice_path(&pid)),
            FlashKind::Success,
            "flash-draft-saved",
        )),
    }
}

async fn delete_confirmation(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
) -> Result<Response, WebError> {
    let invoice = match draft_or_redirect(&ctx, &user, &pid).await? {
        Ok(invoice) => invoice,
        Err(redirect) => return Ok(redirect),
    };
    Page::new(&meta, Some(&user), ACTIVE).render(
        "invoices/delete.html",
        json!({ "pid": pid, "label": invoice.label }),
    )
}

async fn delete(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, WebError> {
    let invoice = docs::find(&ctx.db, user.company_id()?, &pid).await?;
    if !form.confirmed() {
        return Page::new(&meta, Some(&user), ACTIVE).render_unconfirmed(
            "invoices/delete.html",
            json!({ "pid": pid, "label": invoice.label }),
        );
    }
    match docs::delete_draft(&ctx, user.company_id()?, &pid).await {
        Ok(()) => Ok(redirect_with_flash(
            BASE,
            FlashKind::Success,
            "flash-draft-deleted",
        )),
        Err(ServiceError::Refused(code)) => Ok(redirect_with_flash(
            &invoice_path(&pid),
            FlashKind::Error,
            &format!("err-{code}"),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Reads the `attachment` file of a multipart form (the CSRF token travels in the URL).
async fn uploaded(mut multipart: Multipart) -> Result<(String, Vec<u8>), &'static str> {
    let too_large = |status: axum::http::StatusCode| {
        if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            "attachment-too-large"
        } else {
            "file-required"
        }
    };
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("attachment") => {
                let name = field.file_name().unwrap_or("piece-jointe.pdf").to_string();
                let bytes = field.bytes().await.map_err(|e| too_large(e.status()))?;
                return Ok((name, bytes.to_vec()));
            }
            Ok(Some(_)) => {}
            Ok(None) => return Err("file-required"),
            Err(e) => return Err(too_large(e.status())),
        }
    }
}

async fn add_attachment(
    State(ctx): State<AppContext>,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
    multipart: Multipart,
) -> Result<Response, WebError> {
    let company_id = user.company_id()?;
    docs::find(&ctx.db, company_id, &pid).await?;
    let back = format!("{}/edit", invoice_path(&pid));
    let result = match uploaded(multipart).await {
        Ok((name, bytes)) => attachments::add(&ctx, company_id, &pid, &name, &bytes)
            .await
            .map(|_| ()),
        Err(code) => Err(FieldErrors::single("attachment", code).into()),
    };
    match result {
        Ok(()) => Ok(redirect_with_flash(
            &back,
            FlashKind::Success,
            "flash-attachment-added",
        )),
        Err(ServiceError::Invalid(errors)) => Ok(redirect_with_flash(
            &back,
            FlashKind::Error,
            &format!(
                "err-{}",
                errors.0.first().map_or("attachment-type", |e| e.code)
            ),
        )),
        Err(ServiceError::Refused(code)) => Ok(redirect_with_flash(
            &invoice_path(&pid),
            FlashKind::Error,
            &format!("err-{code}"),
        )),
        Err(e) => Err(e.into()),
    }
}

async fn remove_attachment(
    State(ctx): State<AppContext>,
    SellerUser(user): SellerUser,
    Path((pid, attachment)): Path<(String, String)>,
) -> Result<Response, WebError> {
    attachments::remove(&ctx, user.company_id()?, &pid, &attachment).await?;
    Ok(redirect_with_flash(
        &format!("{}/edit", invoice_path(&pid)),
        FlashKind::Success,
        "flash-attachment-removed",
    ))
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct TemplateForm {
    name: String,
}

async fn save_template(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
    Form(form): Form<TemplateForm>,
) -> Result<Response, WebError> {
    let back = invoice_path(&pid);
    match invoice_templates::save_from(&ctx, user.company_id()?, &pid, &form.name, meta.locale)
        .await
    {
        Ok(_) => Ok(redirect_with_flash(
            &back,
            FlashKind::Success,
            "flash-template-saved",
        )),
        Err(ServiceError::Invalid(_)) => Ok(redirect_with_flash(
            &back,
            FlashKind::Error,
            "err-template-name-required",
        )),
        Err(e) => Err(e.into()),
    }
}

pub fn routes() -> Routes {
    Routes::new()
        .prefix(BASE)
        .add("/new", get(new_form))
        .add("/", post(create))
        .add("/{pid}/edit", get(edit_form).post(update))
        .add("/{pid}/preview", get(preview))
        .add("/{pid}/preview.pdf", get(preview_pdf))
        .add("/{pid}/email", get(email_form).post(email_submit))
        .add("/{pid}/delete", get(delete_confirmation).post(delete))
        .add("/{pid}/attachments", post(add_attachment))
        .add(
            "/{pid}/attachments/{attachment}/remove",
            post(remove_attachment),
        )
        .add("/{pid}/template", post(save_template))
}
