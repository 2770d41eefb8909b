//! The JSON API (`/api/`), for ERPs that push data in (from Pagero Connect). Authenticated
//! by API keys (`Authorization: Bearer enc_…`), scoped to the key's company, described by
//! the OpenAPI document at `/api/openapi.json`, generated from these handlers.

pub mod clients;
pub mod invoices;
pub mod payments;
pub mod subscriptions;

use axum::Json;
use loco_rs::prelude::*;
use utoipa::{
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi,
};

use crate::{
    views::client::{ClientJson, ClientPage},
    web::{
        api::{ApiErrorBody, ApiErrorDetail, ApiFieldError},
        forms::ClientFields,
    },
};

struct BearerKey;

impl Modify for BearerKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("enc_…")
                    .description(Some(
                        "An API key created by an admin in Paramètres > Clés d'API.",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Encaisse API",
        description = "Client accounts (and, as they land, invoices, credit notes, \
            subscriptions and payments) of one seller company. Errors share one shape \
            with stable codes; messages follow Accept-Language (French by default). \
            Creations accept an Idempotency-Key header.",
    ),
    paths(
        openapi_json,
        clients::list,
        clients::create,
        clients::show,
        clients::update,
        invoices::list,
        invoices::create,
        invoices::show,
        invoices::issue,
        invoices::pdf,
        invoices::cii,
        invoices::ubl,
        invoices::credit_note,
        subscriptions::list,
        subscriptions::show,
        subscriptions::modify,
        subscriptions::stop,
        subscriptions::duplicate,
        payments::list,
        payments::record,
        payments::reverse,
        payments::payment_link,
    ),
    components(schemas(
        ClientFields,
        ClientJson,
        ClientPage,
        ApiErrorBody,
        ApiErrorDetail,
        ApiFieldError,
        invoices::DraftBody,
        invoices::LineBody,
        invoices::AdjustmentBody,
        invoices::InvoiceJson,
        invoices::LineJson,
        invoices::InvoicePage,
        invoices::CreditNoteBody,
        invoices::CreditLineBody,
        subscriptions::ContentBody,
        subscriptions::DateBody,
        subscriptions::SubscriptionJson,
        subscriptions::PeriodInvoiceJson,
        subscriptions::SubscriptionPage,
        payments::PaymentJson,
        payments::PaidInvoiceJson,
        payments::PaymentPage,
        payments::ManualPaymentBody,
        payments::ReversalBody,
        payments::PaymentLinkJson
    )),
    modifiers(&BearerKey),
    tags(
        (name = "clients", description = "Client accounts (Comptes clients)"),
        (name = "invoices", description = "Invoices and credit notes (Factures et avoirs)"),
        (name = "subscriptions", description = "Monthly subscriptions (Abonnements)"),
        (name = "payments", description = "Payments, credit balances and payment pages (Paiements)"),
    ),
)]
pub struct ApiDoc;

/// This document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI 3 document of the API"))
)]
async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

pub fn routes() -> Routes {
    Routes::new()
        .prefix("/api")
        .add("/openapi.json", get(openapi_json))
        .add("/clients", get(clients::list).post(clients::create))
        .add("/clients/{id}", get(clients::show).put(clients::update))
        .add("/invoices", get(invoices::list).post(invoices::create))
        .add("/invoices/{id}", get(invoices::show))
        .add("/invoices/{id}/issue", post(invoices::issue))
        .add("/invoices/{id}/pdf", get(invoices::pdf))
        .add("/invoices/{id}/cii", get(invoices::cii))
        .add("/invoices/{id}/ubl", get(invoices::ubl))
        .add("/invoices/{id}/credit-notes", post(invoices::credit_note))
        .add("/subscriptions", get(subscriptions::list))
        .add(
            "/subscriptions/{id}",
            get(subscriptions::show).put(subscriptions::modify),
        )
        .add("/subscriptions/{id}/stop", post(subscriptions::stop))
        .add("/payments", get(payments::list).post(payments::record))
        .add("/payments/{id}/reverse", post(payments::reverse))
        .add("/clients/{id}/payment-link", get(payments::payment_link))
        .add(
            "/subscriptions/{id}/duplicate",
            post(subscriptions::duplicate),
        )
}
