//! Vente > Paiements: the payments received (card and by hand), recording a payment
//! received outside on an invoice, reversing a wrong one with a reason, using a client's
//! credit balance on an invoice, and the client's payment link (regenerate, revoke).

use axum::{
    extract::{Path, Query, State},
    response::Response,
};
use axum_extra::extract::Form;
use loco_rs::prelude::*;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{
    domain::{
        client::Paging,
        locale::Locale,
        money::{cents_for_input, format_cents},
        payment::Method,
    },
    models::_entities::{clients as client_rows, companies},
    services::{
        clients, invoices as docs, issue_invoice::paris_date, payment_links, payments, ServiceError,
    },
    web::{redirect_with_flash, CurrentUser, FlashKind, Page, RequestMeta, SellerUser, WebError},
};

const ACTIVE: &str = "sales-payments";

fn company(user: &CurrentUser) -> Result<&companies::Model, WebError> {
    user.company.as_ref().ok_or(WebError::Forbidden)
}

/// One payment as the pages show it.
#[must_use]
pub fn payment_view(row: &payments::PaymentRow, locale: Locale) -> Value {
    let p = &row.payment;
    json!({
        "pid": p.pid.to_string(),
        "date": p.received_on.format("%d/%m/%Y").to_string(),
        "client": row.client_name,
        "method_key": format!("payment-method-{}", p.method),
        "amount": format_cents(p.amount_cents, locale),
        "reference": p.reference,
        "invoices": row.invoices.iter().map(|(pid, number, cents)| json!({
            "pid": pid.to_string(), "number": number, "amount": format_cents(*cents, locale),
        })).collect::<Vec<_>>(),
        "to_credit": (row.to_credit_cents > 0).then(|| format_cents(row.to_credit_cents, locale)),
        "reversed": row.reversal.as_ref().map(|r| json!({
            "reason": r.reason,
            "at": crate::views::paris_datetime(&r.created_at),
        })),
    })
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct ListParams {
    client: String,
    page: Option<u64>,
}

async fn index(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Query(params): Query<ListParams>,
) -> Result<Response, WebError> {
    let company_id = user.company_id()?;
    let client = if params.client.is_empty() {
        None
    } else {
        Some(clients::find(&ctx.db, company_id, &params.client).await?)
    };
    let paging = Paging::new(params.page, None);
    let (rows, total) = payments::list(
        &ctx.db,
        company_id,
        client.as_ref().map(|c| c.id),
        None,
        paging.offset(),
        paging.per_page,
    )
    .await?;
    let collected = payments::collected_cents(&ctx.db, company_id).await?;
    Page::new(&meta, Some(&user), ACTIVE).render(
        "payments/index.html",
        json!({
            "payments": rows.iter().map(|r| payment_view(r, meta.locale)).collect::<Vec<_>>(),
            "client": client.map(|c| json!({ "pid": c.pid.to_string(), "name": c.legal_name })),
            "collected": format_cents(collected, meta.locale),
            "page": paging.page,
            "pages": total.div_ceil(paging.per_page).max(1),
            "total": total,
        }),
    )
}

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(default)]
struct ManualForm {
    received_on: String,
    amount: String,
    method: String,
    reference: String,
    form_key: String,
}

fn method_options(locale: Locale) -> Vec<Value> {
    Method::MANUAL
        .iter()
        .map(|m| {
            json!([
                m.as_str(),
                crate::i18n::tr(locale, &format!("payment-method-{}", m.as_str()))
            ])
        })
        .collect()
}

async fn new_manual_data(
    ctx: &AppContext,
    company_id: i64,
    pid: &str,
) -> Result<(crate::models::_entities::invoices::Model, i64), WebError> {
    let invoice = docs::find(&ctx.db, company_id, pid).await?;
    if invoice.kind != "invoice"
        || !matches!(
            invoice.status.as_str(),
            "issued" | "partially_paid" | "paid"
        )
    {
        return Err(WebError::Refused("invoice-not-open"));
    }
    let due = payments::dues_of(&ctx.db, vec![invoice.clone()])
        .await?
        .pop()
        .map_or(0, |d| d.due_cents);
    Ok((invoice, due))
}

async fn new_manual(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
) -> Result<Response, WebError> {
    let (invoice, due) = new_manual_data(&ctx, user.company_id()?, &pid).await?;
    let today = paris_date(crate::clock::of(&ctx).now());
    Page::new(&meta, Some(&user), "sales-invoices").render(
        "payments/new.html",
        json!({
            "pid": pid,
            "number": invoice.number,
            "due": format_cents(due, meta.locale),
            "methods": method_options(meta.locale),
            "form": {
                "received_on": today.format("%d/%m/%Y").to_string(),
                "amount": if due > 0 { cents_for_input(due, meta.locale) } else { String::new() },
                "method": "transfer",
                "reference": "",
                "form_key": crate::security::random_token(),
            },
        }),
    )
}

async fn record_manual(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
    Form(form): Form<ManualForm>,
) -> Result<Response, WebError> {
    let company = company(&user)?.clone();
    let input = payments::ManualInput {
        received_on: form.received_on.clone(),
        amount: form.amount.clone(),
        method: form.method.clone(),
        reference: form.reference.clone(),
        idempotency_key: (!form.form_key.is_empty()).then(|| format!("form:{}", form.form_key)),
    };
    match payments::record_manual(&ctx, &company, Some(user.user.id), &pid, &input).await {
        Ok(_) => Ok(redirect_with_flash(
            &format!("/sales/invoices/{pid}"),
            FlashKind::Success,
            "flash-payment-recorded",
        )),
        Err(ServiceError::Invalid(errors)) => {
            let (invoice, due) = new_manual_data(&ctx, company.id, &pid).await?;
            Page::new(&meta, Some(&user), "sales-invoices").render_invalid(
                "payments/new.html",
                json!({
                    "pid": pid,
                    "number": invoice.number,
                    "due": format_cents(due, meta.locale),
                    "methods": method_options(meta.locale),
                    "form": {
                        "received_on": form.received_on, "amount": form.amount,
                        "method": form.method, "reference": form.reference,
                        "form_key": form.form_key,
                    },
                }),
                &errors,
            )
        }
        Err(other) => Err(other.into()),
    }
}

async fn reverse_confirmation(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
) -> Result<Response, WebError> {
    let company_id = user.company_id()?;
    let payment = payments::find(&ctx.db, company_id, &pid).await?;
    let row = payments::row_of(&ctx.db, company_id, payment.id).await?;
    Page::new(&meta, Some(&user), ACTIVE).render(
        "payments/reverse.html",
        json!({ "payment": payment_view(&row, meta.locale), "form": { "reason": "" } }),
    )
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct ReverseForm {
    confirm: String,
    reason: String,
}

async fn reverse(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
    Form(form): Form<ReverseForm>,
) -> Result<Response, WebError> {
    let company = company(&user)?.clone();
    let payment = payments::find(&ctx.db, company.id, &pid).await?;
    let errors = if form.confirm == "yes" {
        match payments::reverse(&ctx, &company, Some(user.user.id), &pid, &form.reason).await {
            Ok(_) => {
                return Ok(redirect_with_flash(
                    "/sales/payments",
                    FlashKind::Success,
                    "flash-payment-reversed",
                ))
            }
            Err(ServiceError::Invalid(errors)) => errors,
            Err(other) => return Err(other.into()),
        }
    } else {
        crate::domain::error::FieldErrors::single("confirm", "confirmation-required")
    };
    let row = payments::row_of(&ctx.db, company.id, payment.id).await?;
    Page::new(&meta, Some(&user), ACTIVE).render_invalid(
        "payments/reverse.html",
        json!({ "payment": payment_view(&row, meta.locale), "form": { "reason": form.reason } }),
        &errors,
    )
}

async fn apply_credit_confirmation(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
) -> Result<Response, WebError> {
    let (invoice, due) = new_manual_data(&ctx, user.company_id()?, &pid).await?;
    let credit = payments::client_credit(&ctx.db, invoice.client_id).await?;
    if credit <= 0 {
        return Err(WebError::Refused("client-credit-none"));
    }
    Page::new(&meta, Some(&user), "sales-invoices").render(
        "payments/apply_credit.html",
        json!({
            "pid": pid,
            "number": invoice.number,
            "credit": format_cents(credit, meta.locale),
            "due": format_cents(due, meta.locale),
            "used": format_cents(credit.min(due), meta.locale),
        }),
    )
}

async fn apply_credit(
    State(ctx): State<AppContext>,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
) -> Result<Response, WebError> {
    let company = company(&user)?.clone();
    payments::apply_credit(&ctx, &company, Some(user.user.id), &pid).await?;
    Ok(redirect_with_flash(
        &format!("/sales/invoices/{pid}"),
        FlashKind::Success,
        "flash-credit-applied",
    ))
}

async fn find_client(
    ctx: &AppContext,
    user: &CurrentUser,
    pid: &str,
) -> Result<client_rows::Model, WebError> {
    Ok(clients::find(&ctx.db, user.company_id()?, pid).await?)
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct LinkParams {
    action: String,
}

fn link_action(asked: &str) -> &'static str {
    if asked == "revoke" {
        "revoke"
    } else {
        "regenerate"
    }
}

/// Confirmation step of "revoke" or "regenerate" (the current URL stops working).
async fn link_confirmation(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
    Query(params): Query<LinkParams>,
) -> Result<Response, WebError> {
    let client = find_client(&ctx, &user, &pid).await?;
    let action = link_action(&params.action);
    Page::new(&meta, Some(&user), "sales-clients").render(
        "payments/link_confirm.html",
        json!({ "pid": pid, "client": client.legal_name, "action": action }),
    )
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct LinkForm {
    confirm: String,
    action: String,
}

async fn link_change(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
    Form(form): Form<LinkForm>,
) -> Result<Response, WebError> {
    let client = find_client(&ctx, &user, &pid).await?;
    let action = link_action(&form.action);
    if form.confirm != "yes" {
        return Page::new(&meta, Some(&user), "sales-clients").render_unconfirmed(
            "payments/link_confirm.html",
            json!({ "pid": pid, "client": client.legal_name, "action": action }),
        );
    }
    let flash = if action == "revoke" {
        payment_links::revoke(&ctx, &client, Some(user.user.id)).await?;
        "flash-payment-link-revoked"
    } else {
        payment_links::regenerate(&ctx, &client, Some(user.user.id)).await?;
        "flash-payment-link-regenerated"
    };
    Ok(redirect_with_flash(
        &format!("/sales/clients/{pid}"),
        FlashKind::Success,
        flash,
    ))
}

/// Makes the client's first link (issuing an invoice also does).
async fn link_create(
    State(ctx): State<AppContext>,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
) -> Result<Response, WebError> {
    let client = find_client(&ctx, &user, &pid).await?;
    payment_links::ensure_for(&ctx, user.company_id()?, &client, Some(user.user.id)).await?;
    Ok(redirect_with_flash(
        &format!("/sales/clients/{pid}"),
        FlashKind::Success,
        "flash-payment-link-created",
    ))
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/sales/payments", get(index))
        .add("/sales/invoices/{pid}/payments/new", get(new_manual))
        .add("/sales/invoices/{pid}/payments", post(record_manual))
        .add(
            "/sales/invoices/{pid}/apply-credit",
            get(apply_credit_confirmation),
        )
        .add("/sales/invoices/{pid}/apply-credit", post(apply_credit))
        .add("/sales/payments/{pid}/reverse", get(reverse_confirmation))
        .add("/sales/payments/{pid}/reverse", post(reverse))
        .add("/sales/clients/{pid}/payment-link", get(link_confirmation))
        .add("/sales/clients/{pid}/payment-link", post(link_change))
        .add(
            "/sales/clients/{pid}/payment-link/create",
            post(link_create),
        )
}
