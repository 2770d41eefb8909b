//! Card payments through Stripe (async-stripe 1.0): a PaymentIntent per checkout of the
//! payment page (card data goes from Stripe.js to Stripe, never through us), the webhook
//! that receives Stripe's events (signature and timestamp verified, each event stored once),
//! and the job that processes a stored event: idempotent, safe in any order, matching the
//! PaymentIntent to its checkout by the stored id and the metadata, never by amount.

use std::collections::HashMap;

use loco_rs::app::AppContext;
use sea_orm::{
    sea_query::{Expr, ExprTrait, OnConflict},
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde::Deserialize;

use crate::{
    domain::payment::{checkout_after, CheckoutStatus, IntentOutcome, Method},
    models::_entities::{clients, companies, payment_requests, stripe_events},
    services::{
        issue_invoice::paris_date,
        payments::{self, NewPayment},
        ServiceError,
    },
    settings::{Settings, StripeSettings},
};

/// The Stripe client and keys, built once at boot when Stripe is configured.
#[derive(Clone)]
pub struct StripeGateway {
    pub client: stripe::Client,
    pub publishable_key: String,
    pub webhook_secret: String,
}

impl StripeGateway {
    /// # Errors
    /// When the client cannot be built.
    pub fn build(settings: &StripeSettings) -> Result<Option<Self>, String> {
        if !settings.enabled() {
            return Ok(None);
        }
        // One TLS provider for the process (ring, as the rest of the app): with two in the
        // dependency tree rustls cannot pick one by itself.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = stripe::ClientBuilder::new(settings.secret_key.trim());
        if !settings.api_base.trim().is_empty() {
            builder = builder.url(settings.api_base.trim());
        }
        let client = builder.build().map_err(|e| e.to_string())?;
        Ok(Some(Self {
            client,
            publishable_key: settings.publishable_key.trim().to_string(),
            webhook_secret: settings.webhook_secret.trim().to_string(),
        }))
    }

    /// The gateway of the running app, if Stripe is configured.
    #[must_use]
    pub fn of(ctx: &AppContext) -> Option<Self> {
        ctx.shared_store.get::<Option<Self>>().flatten()
    }

    /// Installs (or removes) the gateway of the running app: at boot, and in tests.
    ///
    /// # Errors
    /// When the client cannot be built.
    pub fn install(ctx: &AppContext, settings: &StripeSettings) -> Result<(), String> {
        let gateway = Self::build(settings)?;
        ctx.shared_store.insert(gateway);
        if let Some(mut app_settings) = ctx.shared_store.get::<Settings>() {
            app_settings.stripe = settings.clone();
            ctx.shared_store.insert(app_settings);
        }
        Ok(())
    }
}

/// What the page needs to mount the Payment Element.
#[derive(Debug, Clone)]
pub struct Checkout {
    pub payment_intent_id: String,
    pub client_secret: String,
    pub amount_cents: i64,
}

fn stripe_error(error: &stripe::StripeError) -> ServiceError {
    tracing::error!(%error, "Stripe API call failed");
    ServiceError::Refused("card-payment-unavailable")
}

/// Starts a card payment of some open invoices of the page's client: the amount is what
/// they still ask (computed here, never taken from the browser), recorded with their ids
/// so the payment is matched to them whatever its amount.
///
/// # Errors
/// `card-payment-unavailable` (Stripe not configured or unreachable), `invoice-nothing-due`.
pub async fn start_checkout(
    ctx: &AppContext,
    company: &companies::Model,
    client: &clients::Model,
    invoice_pids: &[uuid::Uuid],
) -> Result<Checkout, ServiceError> {
    let gateway =
        StripeGateway::of(ctx).ok_or(ServiceError::Refused("card-payment-unavailable"))?;
    let open = payments::open_invoices(&ctx.db, company.id, client.id).await?;
    let chosen: Vec<&payments::OpenInvoice> = open
        .iter()
        .filter(|d| invoice_pids.contains(&d.pid))
        .collect();
    let amount: i64 = chosen.iter().map(|d| d.due_cents()).sum();
    if chosen.is_empty() || amount <= 0 {
        return Err(ServiceError::Refused("invoice-nothing-due"));
    }
    let asked: Vec<(i64, i64)> = chosen.iter().map(|d| (d.id, d.due_cents())).collect();
    let invoices_json =
        serde_json::to_string(&asked).map_err(|e| ServiceError::Other(e.to_string()))?;
    let numbers: Vec<String> = chosen.iter().filter_map(|d| d.number.clone()).collect();

    // A second click (or a reload) for the same invoices and amount takes up the checkout
    // already open rather than making another PaymentIntent.
    if let Some(existing) = payment_requests::Entity::find()
        .filter(payment_requests::Column::ClientId.eq(client.id))
        .filter(payment_requests::Column::Status.ne(CheckoutStatus::Succeeded.as_str()))
        .filter(payment_requests::Column::InvoicesJson.eq(invoices_json.as_str()))
        .filter(payment_requests::Column::AmountCents.eq(amount))
        .order_by_desc(payment_requests::Column::Id)
        .one(&ctx.db)
        .await?
    {
        let intent = stripe_core::payment_intent::RetrievePaymentIntent::new(
            existing.stripe_payment_intent_id.as_str(),
        )
        .send(&gateway.client)
        .await
        .map_err(|e| stripe_error(&e))?;
        let reusable = matches!(
            intent.status,
            stripe_shared::PaymentIntentStatus::RequiresPaymentMethod
                | stripe_shared::PaymentIntentStatus::RequiresConfirmation
                | stripe_shared::PaymentIntentStatus::RequiresAction
        );
        if let (true, Some(secret)) = (reusable, intent.client_secret) {
            return Ok(Checkout {
                payment_intent_id: existing.stripe_payment_intent_id,
                client_secret: secret,
                amount_cents: amount,
            });
        }
    }

    let request_pid = uuid::Uuid::new_v4();
    let metadata: HashMap<String, String> = [
        ("encaisse_request".to_string(), request_pid.to_string()),
        ("encaisse_company".to_string(), company.pid.to_string()),
        ("encaisse_client".to_string(), client.pid.to_string()),
        ("invoices".to_string(), numbers.join(",")),
    ]
    .into_iter()
    .collect();
    let intent =
        stripe_core::payment_intent::CreatePaymentIntent::new(amount, stripe_types::Currency::EUR)
            .metadata(metadata)
            .description(format!("{} — {}", company.legal_name, numbers.join(", ")))
            .send(&gateway.client)
            .await
            .map_err(|e| stripe_error(&e))?;
    let client_secret = intent
        .client_secret
        .clone()
        .ok_or(ServiceError::Refused("card-payment-unavailable"))?;
    let now = crate::clock::of(ctx).now();
    payment_requests::ActiveModel {
        created_at: Set(now),
        updated_at: Set(now),
        pid: Set(request_pid),
        company_id: Set(company.id),
        client_id: Set(client.id),
        stripe_payment_intent_id: Set(intent.id.as_str().to_string()),
        amount_cents: Set(amount),
        currency: Set("EUR".to_string()),
        invoices_json: Set(invoices_json),
        status: Set(CheckoutStatus::Open.as_str().to_string()),
        failure_message: Set(None),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await?;
    Ok(Checkout {
        payment_intent_id: intent.id.as_str().to_string(),
        client_secret,
        amount_cents: amount,
    })
}

/// Why a webhook delivery is refused (answered 400, nothing stored).
#[derive(Debug)]
pub enum WebhookRejection {
    NotConfigured,
    Invalid(String),
}

/// Receives a webhook delivery: verifies the signature of the raw body and its timestamp
/// (5 minutes' tolerance), stores the event once (its id is unique) and queues its
/// processing. A redelivery stores nothing new and answers the same.
///
/// # Errors
/// `WebhookRejection` for a bad signature, a stale timestamp or a malformed event;
/// database errors otherwise (Stripe then retries).
pub async fn receive_webhook(
    ctx: &AppContext,
    payload: &str,
    signature: &str,
) -> Result<Result<(), WebhookRejection>, ServiceError> {
    let Some(gateway) = StripeGateway::of(ctx).filter(|g| !g.webhook_secret.is_empty()) else {
        return Ok(Err(WebhookRejection::NotConfigured));
    };
    let now = crate::clock::of(ctx).now().timestamp();
    let event = match stripe_webhook::Webhook::construct_event_with_timestamp(
        payload,
        signature,
        &gateway.webhook_secret,
        now,
    ) {
        Ok(event) => event,
        Err(error) => return Ok(Err(WebhookRejection::Invalid(error.to_string()))),
    };
    let payment_intent_id = match &event.data.object {
        stripe_webhook::EventObject::PaymentIntentSucceeded(pi)
        | stripe_webhook::EventObject::PaymentIntentPaymentFailed(pi) => {
            Some(pi.id.as_str().to_string())
        }
        _ => None,
    };
    let inserted = stripe_events::Entity::insert(stripe_events::ActiveModel {
        received_at: Set(crate::clock::of(ctx).now()),
        event_id: Set(event.id.as_str().to_string()),
        event_type: Set(event.type_.as_str().to_string()),
        stripe_created: Set(event.created),
        payment_intent_id: Set(payment_intent_id),
        payload: Set(payload.to_string()),
        processed_at: Set(None),
        attempts: Set(0),
        last_error: Set(None),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(stripe_events::Column::EventId)
            .do_nothing()
            .to_owned(),
    )
    .exec(&ctx.db)
    .await;
    match inserted {
        Ok(result) => crate::jobs::enqueue_stripe_event(ctx, result.last_insert_id).await,
        // Already stored: a redelivery. Its processing was queued the first time (and the
        // minute sweep queues again whatever is left unprocessed).
        Err(sea_orm::DbErr::RecordNotInserted) => {}
        Err(error) => return Err(error.into()),
    }
    Ok(Ok(()))
}

/// The part of a PaymentIntent event that processing reads (from the stored raw payload,
/// which a signature vouched for).
#[derive(Debug, Deserialize)]
struct StoredEvent {
    #[serde(rename = "type")]
    kind: String,
    data: StoredData,
}

#[derive(Debug, Deserialize)]
struct StoredData {
    object: StoredIntent,
}

#[derive(Debug, Deserialize)]
struct StoredIntent {
    id: Option<String>,
    #[serde(default)]
    amount_received: i64,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    metadata: HashMap<String, String>,
    last_payment_error: Option<StoredError>,
}

#[derive(Debug, Deserialize)]
struct StoredError {
    message: Option<String>,
}

/// What processing an event did.
#[derive(Debug, PartialEq, Eq)]
pub enum Processed {
    /// Processed before (a job delivered twice, or two workers at once).
    Already,
    PaymentRecorded,
    /// The PaymentIntent was already paid (its other events, or a replay).
    PaymentKnown,
    CheckoutFailed,
    /// An event we do not act on, or a PaymentIntent that is not one of ours.
    Ignored(&'static str),
}

/// Processes a stored event once. The claim (`attempts + 1` while unprocessed) is the
/// transaction's first write: a second worker waits on it and then finds it processed.
///
/// # Errors
/// Database errors (the job retries).
pub async fn process_event(ctx: &AppContext, event_row_id: i64) -> Result<Processed, ServiceError> {
    let now = crate::clock::of(ctx).now();
    let txn = ctx.db.begin().await?;
    let claimed = stripe_events::Entity::update_many()
        .col_expr(
            stripe_events::Column::Attempts,
            Expr::col(stripe_events::Column::Attempts).add(1),
        )
        .filter(stripe_events::Column::Id.eq(event_row_id))
        .filter(stripe_events::Column::ProcessedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        txn.rollback().await?;
        return Ok(Processed::Already);
    }
    let row = stripe_events::Entity::find_by_id(event_row_id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let outcome = handle(&txn, &row, now).await;
    let (processed, outbox_ids, note) = match outcome {
        Ok((processed, outbox_ids)) => {
            let note = match &processed {
                Processed::Ignored(why) => Some((*why).to_string()),
                _ => None,
            };
            (processed, outbox_ids, note)
        }
        Err(error) => {
            // The transaction may be unusable after a database error: let the job retry.
            txn.rollback().await?;
            return Err(error);
        }
    };
    stripe_events::Entity::update_many()
        .col_expr(stripe_events::Column::ProcessedAt, Expr::value(now))
        .col_expr(stripe_events::Column::LastError, Expr::value(note))
        .filter(stripe_events::Column::Id.eq(event_row_id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    if let Processed::PaymentRecorded = processed {
        tracing::info!(event = %row.event_id, "card payment recorded");
    }
    crate::jobs::enqueue_mails(ctx, outbox_ids).await;
    Ok(processed)
}

async fn handle(
    txn: &sea_orm::DatabaseTransaction,
    row: &stripe_events::Model,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Result<(Processed, Vec<i64>), ServiceError> {
    let ignored = |why| Ok((Processed::Ignored(why), vec![]));
    let outcome = match row.event_type.as_str() {
        "payment_intent.succeeded" => IntentOutcome::Succeeded,
        "payment_intent.payment_failed" => IntentOutcome::Failed,
        _ => return ignored("event-not-used"),
    };
    let event: StoredEvent = serde_json::from_str(&row.payload)
        .map_err(|e| ServiceError::Other(format!("stored event {}: {e}", row.event_id)))?;
    debug_assert_eq!(event.kind, row.event_type);
    let intent = event.data.object;
    let Some(intent_id) = intent.id.clone() else {
        return ignored("payment-intent-missing");
    };
    // Ours only if we stored this PaymentIntent and its metadata names that checkout.
    let Some(request) = payment_requests::Entity::find()
        .filter(payment_requests::Column::StripePaymentIntentId.eq(intent_id.as_str()))
        .one(txn)
        .await?
    else {
        return ignored("payment-intent-unknown");
    };
    if intent.metadata.get("encaisse_request").map(String::as_str)
        != Some(request.pid.to_string().as_str())
    {
        return ignored("payment-intent-metadata-mismatch");
    }
    let current = CheckoutStatus::parse(&request.status);
    let next = checkout_after(current, outcome);
    let failure = match outcome {
        IntentOutcome::Failed => intent
            .last_payment_error
            .and_then(|e| e.message)
            .or(request.failure_message.clone()),
        IntentOutcome::Succeeded => None,
    };
    if next != current || outcome == IntentOutcome::Failed {
        let mut active: payment_requests::ActiveModel = request.clone().into();
        active.status = Set(next.as_str().to_string());
        if next != CheckoutStatus::Succeeded {
            active.failure_message = Set(failure.map(|m| m.chars().take(250).collect()));
        }
        active.updated_at = Set(now);
        active.update(txn).await?;
    }
    if outcome == IntentOutcome::Failed {
        let processed = if next == CheckoutStatus::Succeeded {
            // A late failure of an attempt before the one that succeeded.
            Processed::PaymentKnown
        } else {
            Processed::CheckoutFailed
        };
        return Ok((processed, vec![]));
    }
    if !intent.currency.eq_ignore_ascii_case("eur") || intent.amount_received <= 0 {
        return ignored("payment-intent-amount-invalid");
    }
    let company = companies::Entity::find_by_id(request.company_id)
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let asked: Vec<(i64, i64)> = serde_json::from_str(&request.invoices_json)
        .map_err(|e| ServiceError::Other(format!("checkout {}: {e}", request.id)))?;
    let recorded = payments::record_in(
        txn,
        &company,
        NewPayment {
            client_id: request.client_id,
            method: Method::Card,
            amount_cents: intent.amount_received,
            received_on: paris_date(now),
            reference: Some(intent_id.clone()),
            invoice_ids: asked.iter().map(|(id, _)| *id).collect(),
            entered_on_invoice: None,
            stripe_payment_intent_id: Some(intent_id),
            payment_request_id: Some(request.id),
            recorded_by: None,
            idempotency_key: None,
        },
        now,
    )
    .await?;
    if recorded.already {
        return Ok((Processed::PaymentKnown, vec![]));
    }
    // The e-mails are queued once the transaction commits (the minute sweep sends them if
    // this process stops first).
    Ok((Processed::PaymentRecorded, recorded.outbox_ids))
}

/// Stored events not processed yet (the sweep queues them again).
///
/// # Errors
/// Database errors.
pub async fn unprocessed(ctx: &AppContext) -> Result<Vec<i64>, ServiceError> {
    use sea_orm::QuerySelect;
    Ok(stripe_events::Entity::find()
        .select_only()
        .column(stripe_events::Column::Id)
        .filter(stripe_events::Column::ProcessedAt.is_null())
        .order_by_asc(stripe_events::Column::Id)
        .limit(500)
        .into_tuple()
        .all(&ctx.db)
        .await?)
}
