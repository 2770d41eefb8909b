//! The client's payment page (no login: the secret link is the key): open invoices with
//! what is left to pay, PDF downloads, card payment through Stripe's Payment Element and
//! bank transfer details. Unknown or revoked links answer 404; repeated misses from one
//! address are refused for a while (429). The Stripe webhook lives here too.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    body::Bytes,
    extract::{Path, Query, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use loco_rs::prelude::*;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{
    domain::{
        ids::Iban,
        money::format_cents,
        payment::{grouped, transfer_reference, MissCounter},
    },
    models::_entities::{clients as client_rows, companies, document_files},
    services::{
        company_profile, invoices as docs, pay_page_sqlite, payment_links, payments,
        stripe_payments::{self, StripeGateway, WebhookRejection},
        ServiceError,
    },
    web::{error::error_page, RequestMeta, WebError},
};

/// Misses per client address (wrong or revoked links), in this process.
#[derive(Clone, Default)]
pub struct MissLimiter(Arc<Mutex<HashMap<String, MissCounter>>>);

impl MissLimiter {
    fn of(ctx: &AppContext) -> Self {
        if let Some(limiter) = ctx.shared_store.get::<Self>() {
            return limiter;
        }
        let limiter = Self::default();
        ctx.shared_store.insert(limiter.clone());
        limiter
    }

    fn blocked(&self, address: &str, now: i64) -> bool {
        self.0
            .lock()
            .map(|map| map.get(address).is_some_and(|c| c.blocked(now)))
            .unwrap_or(false)
    }

    fn miss(&self, address: &str, now: i64) {
        if let Ok(mut map) = self.0.lock() {
            // Forget finished windows now and then so the map stays small.
            if map.len() > 10_000 {
                map.retain(|_, c| !c.expired(now));
            }
            let counter = map.get(address).copied().unwrap_or_default();
            map.insert(address.to_string(), counter.after_miss(now));
        }
    }
}

/// What a lookup of `token` found, or the miss answer: 404, and 429 once the address has
/// missed too often (then even a good link waits for the end of the window).
async fn guarded<T, F>(ctx: &AppContext, meta: &RequestMeta, lookup: F) -> Result<T, Response>
where
    F: std::future::Future<Output = Result<Option<T>, ServiceError>>,
{
    let limiter = MissLimiter::of(ctx);
    let now = crate::clock::of(ctx).now().timestamp();
    if limiter.blocked(&meta.client_ip, now) {
        let mut response = error_page(StatusCode::TOO_MANY_REQUESTS, "error-too-many-misses");
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("600"));
        return Err(response);
    }
    match lookup.await {
        Ok(Some(found)) => Ok(found),
        Ok(None) => {
            limiter.miss(&meta.client_ip, now);
            Err(WebError::NotFound.into_response())
        }
        Err(error) => Err(WebError::from(error).into_response()),
    }
}

/// The link's client and seller, or the miss answer.
async fn open_link(
    ctx: &AppContext,
    meta: &RequestMeta,
    token: &str,
) -> Result<(client_rows::Model, companies::Model), Response> {
    guarded(ctx, meta, async {
        Ok(payment_links::resolve(&ctx.db, token)
            .await?
            .map(|(_link, client, company)| (client, company)))
    })
    .await
}

/// The page is private to whoever holds the link: never cached, never indexed, and
/// scripts only from us and Stripe.
fn private_headers(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        "x-robots-tag",
        HeaderValue::from_static("noindex, nofollow"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self' https://js.stripe.com; \
             frame-src https://js.stripe.com https://hooks.stripe.com; \
             connect-src 'self' https://api.stripe.com; img-src 'self' data:; \
             style-src 'self' 'unsafe-inline'; base-uri 'none'; form-action 'self'",
        ),
    );
}

/// The seller, client and open invoices a token opens: on the embedded SQLite default
/// through the inline readers (`pay_page_sqlite`), elsewhere through sea-orm.
async fn page_data(
    ctx: &AppContext,
    token: &str,
) -> Result<Option<(payment_links::PageHead, Vec<payments::OpenInvoice>)>, ServiceError> {
    if let Some(readers) = ctx.shared_store.get::<pay_page_sqlite::Readers>() {
        return if payment_links::well_formed(token) {
            readers.page(token)
        } else {
            Ok(None)
        };
    }
    let Some(head) = payment_links::open_page(&ctx.db, token).await? else {
        return Ok(None);
    };
    let open = payments::open_invoices(&ctx.db, head.company_id, head.client_id).await?;
    Ok(Some((head, open)))
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct PageParams {
    /// The invoice an e-mail pre-selects.
    invoice: String,
    /// Back from Stripe after a card payment (Stripe adds `redirect_status`).
    redirect_status: String,
}

async fn page(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    Path(token): Path<String>,
    Query(params): Query<PageParams>,
) -> Result<Response, WebError> {
    let (head, open) = match guarded(&ctx, &meta, page_data(&ctx, &token)).await {
        Ok(found) => found,
        Err(response) => return Ok(response),
    };
    let locale = meta.locale;
    let credit = head.credit_cents;
    let chosen = uuid::Uuid::parse_str(params.invoice.trim()).ok();
    if let Some(pid) = chosen {
        if let Some(due) = open.iter().find(|d| d.pid == pid) {
            docs::record_event_once(&ctx.db, due.id, "viewed", crate::clock::of(&ctx).now())
                .await?;
        }
    }
    let any_chosen = chosen.is_some_and(|pid| open.iter().any(|d| d.pid == pid));
    let total_due: i64 = open.iter().map(|d| d.due_cents()).sum();
    let rows: Vec<Value> = open
        .iter()
        .map(|d| {
            let number = d.number.clone().unwrap_or_default();
            json!({
                "pid": d.pid.to_string(),
                "number": number,
                "date": d.issue_date.format("%d/%m/%Y").to_string(),
                "due_date": d.due_date.format("%d/%m/%Y").to_string(),
                "total": format_cents(d.total_cents, locale),
                "credited": (d.credited_cents > 0).then(|| format_cents(d.credited_cents, locale)),
                "paid": (d.paid_cents > 0).then(|| format_cents(d.paid_cents, locale)),
                "due": format_cents(d.due_cents(), locale),
                "due_cents": d.due_cents(),
                "checked": !any_chosen || chosen == Some(d.pid),
                "reference": transfer_reference(&number).map(|r| grouped(&r)).ok(),
                "pdf": d.pdf_file_id.is_some(),
            })
        })
        .collect();
    let gateway = StripeGateway::of(&ctx);
    let iban = head
        .bank_iban
        .as_deref()
        .and_then(|i| Iban::parse(i).ok())
        .map(|i| i.formatted());
    let mut response = render_page(
        &meta,
        json!({
            "token": token,
            "seller": {
                "name": head.company_name,
                "email": head.contact_email,
                "phone": head.contact_phone,
                "logo": head.logo_id.is_some(),
            },
            "client": { "name": head.client_name },
            "invoices": rows,
            "total_due": format_cents(total_due, locale),
            "credit": (credit > 0).then(|| format_cents(credit, locale)),
            "card": gateway.map(|g| json!({ "publishable_key": g.publishable_key })),
            "transfer": iban.map(|iban| json!({
                "iban": iban,
                "bic": head.bank_bic,
                "holder": head.bank_holder.clone().unwrap_or_else(|| head.company_name.clone()),
            })),
            "returned": match params.redirect_status.as_str() {
                "succeeded" | "processing" => "processing",
                "failed" => "failed",
                _ => "",
            },
        }),
    )?;
    private_headers(&mut response);
    Ok(response)
}

/// The page's own context (no navigation: nobody is logged in here).
fn render_page(meta: &RequestMeta, data: Value) -> Result<Response, WebError> {
    let mut context = json!({
        "lang": meta.locale.tag(),
        "lang_short": meta.locale.short(),
        "csrf_token": meta.csrf_token,
    });
    if let (Value::Object(base), Value::Object(extra)) = (&mut context, data) {
        base.extend(extra);
    }
    let html = crate::views::render("pay/page.html", &context).map_err(WebError::Internal)?;
    Ok(axum::response::Html(html).into_response())
}

/// A PDF of the page's client: the stored bytes of an issued invoice or credit note.
async fn pdf(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    Path((token, pid)): Path<(String, String)>,
) -> Result<Response, WebError> {
    use sea_orm::EntityTrait;
    let (client, company) = match open_link(&ctx, &meta, &token).await {
        Ok(found) => found,
        Err(response) => return Ok(response),
    };
    let invoice = docs::find(&ctx.db, company.id, &pid).await?;
    if invoice.client_id != client.id || invoice.status == "draft" || invoice.test_mode {
        return Err(WebError::NotFound);
    }
    let file_id = invoice.pdf_file_id.ok_or(WebError::NotFound)?;
    let file = document_files::Entity::find_by_id(file_id)
        .one(&ctx.db)
        .await?
        .ok_or(WebError::NotFound)?;
    let document = crate::services::render_document::frozen(&invoice)?.ok_or(WebError::NotFound)?;
    let mut response = super::invoice_wizard::pdf_response(
        file.content,
        &crate::services::render_document::pdf_filename(&document),
    );
    private_headers(&mut response);
    Ok(response)
}

async fn logo(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let (_client, company) = match open_link(&ctx, &meta, &token).await {
        Ok(found) => found,
        Err(response) => return Ok(response),
    };
    let logo = company_profile::logo(&ctx, company.id)
        .await?
        .ok_or(WebError::NotFound)?;
    let mut response = (
        [(header::CONTENT_TYPE, logo.content_type.clone())],
        logo.content,
    )
        .into_response();
    private_headers(&mut response);
    Ok(response)
}

#[derive(Debug, Deserialize)]
struct CheckoutRequest {
    invoices: Vec<String>,
}

fn json_error(status: StatusCode, code: &str, locale: crate::domain::locale::Locale) -> Response {
    (
        status,
        Json(json!({ "error": { "code": code, "message": crate::i18n::tr(locale, &format!("err-{code}")) } })),
    )
        .into_response()
}

/// Starts a card payment of the chosen invoices: the amount is computed here from what
/// they still ask; the browser gets the PaymentIntent's client secret for Stripe.js.
async fn checkout(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    Path(token): Path<String>,
    Json(request): Json<CheckoutRequest>,
) -> Result<Response, WebError> {
    let (client, company) = match open_link(&ctx, &meta, &token).await {
        Ok(found) => found,
        Err(response) => return Ok(response),
    };
    let Some(gateway) = StripeGateway::of(&ctx) else {
        return Ok(json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "card-payment-unavailable",
            meta.locale,
        ));
    };
    let pids: Vec<uuid::Uuid> = request
        .invoices
        .iter()
        .filter_map(|p| uuid::Uuid::parse_str(p.trim()).ok())
        .collect();
    match stripe_payments::start_checkout(&ctx, &company, &client, &pids).await {
        Ok(checkout) => {
            let mut response = Json(json!({
                "client_secret": checkout.client_secret,
                "publishable_key": gateway.publishable_key,
                "amount": format_cents(checkout.amount_cents, meta.locale),
                "amount_cents": checkout.amount_cents,
            }))
            .into_response();
            private_headers(&mut response);
            Ok(response)
        }
        Err(ServiceError::Refused(code)) => Ok(json_error(
            if code == "card-payment-unavailable" {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::CONFLICT
            },
            code,
            meta.locale,
        )),
        Err(other) => Err(other.into()),
    }
}

/// Stripe's webhook: the raw body is what the signature covers, so it is read as bytes.
async fn stripe_webhook(
    State(ctx): State<AppContext>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Ok(payload) = std::str::from_utf8(&body) else {
        return Ok((StatusCode::BAD_REQUEST, "invalid payload").into_response());
    };
    match stripe_payments::receive_webhook(&ctx, payload, signature).await? {
        Ok(()) => Ok((StatusCode::OK, Json(json!({ "received": true }))).into_response()),
        Err(WebhookRejection::NotConfigured) => {
            Ok((StatusCode::NOT_FOUND, "webhook not configured").into_response())
        }
        Err(WebhookRejection::Invalid(reason)) => {
            tracing::warn!(%reason, "refused a Stripe webhook delivery");
            Ok((StatusCode::BAD_REQUEST, "invalid signature or payload").into_response())
        }
    }
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/pay/{token}", get(page))
        .add("/pay/{token}/logo", get(logo))
        .add("/pay/{token}/checkout", post(checkout))
        .add("/pay/{token}/documents/{pid}/pdf", get(pdf))
        .add("/webhooks/stripe", post(stripe_webhook))
}
