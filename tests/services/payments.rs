//! Payments: the ledger keeps every balance exact (partial payments, overpayments, credit
//! notes, manual payments and their reversal), and card payments through a real HTTP fake
//! of Stripe (PyPI localstripe, started here) arrive by signed webhooks that are verified,
//! stored once and processed once, in any order, even delivered concurrently.

use encaisse::{
    domain::invoice::Status,
    jobs,
    models::_entities::{
        clients, companies, invoice_events, invoices, ledger_entries, outbox_messages,
        payment_requests, payments as payment_rows, stripe_events,
    },
    services::{
        create_credit_note::{self, CreditRequest},
        payment_links,
        payments::{self, ManualInput},
        stripe_payments::{self, StripeGateway},
        ServiceError,
    },
};
use loco_rs::app::AppContext;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::support::*;

struct Shop {
    company: companies::Model,
    client: clients::Model,
}

async fn shop(ctx: &AppContext) -> Shop {
    let s = seller(ctx, "Atelier Paiement", "alice@paiement.fr").await;
    let company = companies::Entity::find_by_id(s.company_id)
        .one(&ctx.db)
        .await
        .unwrap()
        .unwrap();
    let client = clients::Entity::find()
        .filter(clients::Column::CompanyId.eq(company.id))
        .one(&ctx.db)
        .await
        .unwrap()
        .unwrap();
    Shop { company, client }
}

async fn reload(ctx: &AppContext, invoice: &invoices::Model) -> invoices::Model {
    invoices::Entity::find_by_id(invoice.id)
        .one(&ctx.db)
        .await
        .unwrap()
        .unwrap()
}

async fn due(ctx: &AppContext, invoice: &invoices::Model) -> i64 {
    payments::dues_of(&ctx.db, vec![reload(ctx, invoice).await])
        .await
        .unwrap()[0]
        .due_cents
}

fn manual(amount: &str, key: Option<&str>) -> ManualInput {
    ManualInput {
        received_on: paris_today_string(),
        amount: amount.into(),
        method: "transfer".into(),
        reference: "VIR 2026-11".into(),
        idempotency_key: key.map(str::to_string),
    }
}

fn paris_today_string() -> String {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .format("%d/%m/%Y")
        .to_string()
}

async fn pay(
    ctx: &AppContext,
    shop: &Shop,
    invoice: &invoices::Model,
    amount: &str,
) -> payment_rows::Model {
    payments::record_manual(
        ctx,
        &shop.company,
        None,
        &invoice.pid.to_string(),
        &manual(amount, None),
    )
    .await
    .unwrap()
    .payment
}

/// The ledger's own invariant: every payment's entries add up to its amount, the
/// entries of a reversal cancel it, and the client's credit never goes below zero.
async fn assert_ledger_balances(ctx: &AppContext, client_id: i64) {
    let entries = ledger_entries::Entity::find()
        .filter(ledger_entries::Column::ClientId.eq(client_id))
        .all(&ctx.db)
        .await
        .unwrap();
    let paid = payment_rows::Entity::find()
        .filter(payment_rows::Column::ClientId.eq(client_id))
        .all(&ctx.db)
        .await
        .unwrap();
    for payment in &paid {
        let own: i64 = entries
            .iter()
            .filter(|e| e.payment_id == Some(payment.id) && e.kind == "payment")
            .map(|e| e.amount_cents)
            .sum();
        assert_eq!(
            own, payment.amount_cents,
            "entries of payment {}",
            payment.id
        );
    }
    let moves: i64 = entries
        .iter()
        .filter(|e| e.kind == "credit_applied" || e.kind == "credit_note_excess")
        .map(|e| e.amount_cents)
        .sum();
    assert_eq!(moves, 0, "moves between accounts add up to zero");
    assert!(payments::client_credit(&ctx.db, client_id).await.unwrap() >= 0);
}

#[tokio::test]
async fn partial_then_full_payment_and_a_reversal_keep_balances_exact() {
    let app = boot().await;
    let ctx = app.ctx();
    let shop = shop(ctx).await;
    let invoice = issued_invoice(ctx, shop.company.id, &shop.client.pid.to_string(), 5).await;
    assert_eq!(invoice.total_cents, 405_000);

    let first = pay(ctx, &shop, &invoice, "1 000,10").await;
    assert_eq!(
        reload(ctx, &invoice).await.status,
        Status::PartiallyPaid.as_str()
    );
    assert_eq!(due(ctx, &invoice).await, 304_990);

    pay(ctx, &shop, &invoice, "3049.90").await;
    assert_eq!(reload(ctx, &invoice).await.status, Status::Paid.as_str());
    assert_eq!(due(ctx, &invoice).await, 0);
    assert_eq!(
        payments::client_credit(&ctx.db, shop.client.id)
            .await
            .unwrap(),
        0
    );

    // A wrong entry is reversed with a reason, never deleted: the invoice is due again.
    payments::reverse(
        ctx,
        &shop.company,
        None,
        &first.pid.to_string(),
        "Chèque impayé",
    )
    .await
    .unwrap();
    assert_eq!(
        reload(ctx, &invoice).await.status,
        Status::PartiallyPaid.as_str()
    );
    assert_eq!(due(ctx, &invoice).await, 100_010);
    // Twice changes nothing.
    payments::reverse(ctx, &shop.company, None, &first.pid.to_string(), "encore")
        .await
        .unwrap();
    assert_eq!(due(ctx, &invoice).await, 100_010);
    assert_eq!(count::<payment_rows::Entity>(ctx).await, 2);
    let history: Vec<String> = invoice_events::Entity::find()
        .filter(invoice_events::Column::InvoiceId.eq(invoice.id))
        .all(&ctx.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        history.iter().filter(|k| *k == "payment_received").count(),
        2
    );
    assert_eq!(
        history.iter().filter(|k| *k == "payment_reversed").count(),
        1
    );
    assert_ledger_balances(ctx, shop.client.id).await;

    // The ledger is append-only, in the database itself.
    let update = ctx
        .db
        .execute_unprepared(&format!(
            "UPDATE payments SET amount_cents = 1 WHERE id = {}",
            first.id
        ))
        .await;
    assert!(update.is_err(), "payments cannot be changed");
    let delete = ctx
        .db
        .execute_unprepared("DELETE FROM ledger_entries")
        .await;
    assert!(delete.is_err(), "ledger entries cannot be deleted");
}

#[tokio::test]
async fn an_overpayment_becomes_a_credit_balance_that_pays_the_next_invoice() {
    let app = boot().await;
    let ctx = app.ctx();
    let shop = shop(ctx).await;
    let client_pid = shop.client.pid.to_string();
    let first = issued_invoice(ctx, shop.company.id, &client_pid, 1).await; // 810 €
    let second = issued_invoice(ctx, shop.company.id, &client_pid, 2).await; // 1 620 €

    let payment = pay(ctx, &shop, &first, "1000").await;
    assert_eq!(reload(ctx, &first).await.status, "paid");
    assert_eq!(
        payments::client_credit(&ctx.db, shop.client.id)
            .await
            .unwrap(),
        19_000
    );
    // The seller is told, the client gets a receipt that mentions the credit.
    let receipt = mails_to(ctx, "compta@boulangerie.fr")
        .await
        .into_iter()
        .find(|m| m.template == "payment_receipt")
        .expect("a receipt to the client");
    let receipt_text = receipt.text_body.replace(['\u{a0}', '\u{202f}'], " ");
    assert!(
        receipt_text.contains("190,00 € restent à votre crédit"),
        "{receipt_text}"
    );
    assert!(mails_to(ctx, "facturation@atelier.fr")
        .await
        .iter()
        .any(|m| m.template == "payment_received"
            && m.subject
                .replace(['\u{a0}', '\u{202f}'], " ")
                .contains("1 000,00")));

    let used = payments::apply_credit(ctx, &shop.company, None, &second.pid.to_string())
        .await
        .unwrap();
    assert_eq!(used, 19_000);
    assert_eq!(reload(ctx, &second).await.status, "partially_paid");
    assert_eq!(due(ctx, &second).await, 162_000 - 19_000);
    assert_eq!(
        payments::client_credit(&ctx.db, shop.client.id)
            .await
            .unwrap(),
        0
    );
    assert!(matches!(
        payments::apply_credit(ctx, &shop.company, None, &second.pid.to_string()).await,
        Err(ServiceError::Refused("client-credit-none"))
    ));
    // The credit it left is used: reversing that payment would take the credit below zero.
    assert!(matches!(
        payments::reverse(ctx, &shop.company, None, &payment.pid.to_string(), "erreur").await,
        Err(ServiceError::Refused("payment-credit-used"))
    ));
    assert_ledger_balances(ctx, shop.client.id).await;
}

#[tokio::test]
async fn a_credit_note_on_a_partly_paid_invoice_leaves_a_credit_balance() {
    let app = boot().await;
    let ctx = app.ctx();
    let shop = shop(ctx).await;
    let invoice = issued_invoice(ctx, shop.company.id, &shop.client.pid.to_string(), 1).await;
    pay(ctx, &shop, &invoice, "300").await;
    create_credit_note::create(
        ctx,
        shop.company.id,
        None,
        &invoice.pid.to_string(),
        &CreditRequest::Cancel,
        None,
    )
    .await
    .unwrap();
    let invoice = reload(ctx, &invoice).await;
    assert_eq!(invoice.status, "cancelled");
    assert_eq!(due(ctx, &invoice).await, 0);
    assert_eq!(
        payments::client_credit(&ctx.db, shop.client.id)
            .await
            .unwrap(),
        30_000
    );
    assert_ledger_balances(ctx, shop.client.id).await;
}

#[tokio::test]
async fn manual_payments_check_their_input_and_a_retry_records_one() {
    let app = boot().await;
    let ctx = app.ctx();
    let shop = shop(ctx).await;
    let invoice = issued_invoice(ctx, shop.company.id, &shop.client.pid.to_string(), 1).await;
    let pid = invoice.pid.to_string();
    let bad = ManualInput {
        received_on: "31/12/2099".into(),
        amount: "0".into(),
        method: "card".into(),
        reference: "x".repeat(101),
        idempotency_key: None,
    };
    match payments::record_manual(ctx, &shop.company, None, &pid, &bad).await {
        Err(ServiceError::Invalid(errors)) => {
            let codes: Vec<&str> = errors.0.iter().map(|e| e.code).collect();
            assert_eq!(
                codes,
                [
                    "payment-date-future",
                    "payment-amount-invalid",
                    "payment-method-invalid",
                    "reference-too-long"
                ]
            );
        }
        other => panic!("expected field errors, got {other:?}"),
    }
    assert_eq!(count::<payment_rows::Entity>(ctx).await, 0);
    for _ in 0..3 {
        payments::record_manual(
            ctx,
            &shop.company,
            None,
            &pid,
            &manual("10", Some("form:abc")),
        )
        .await
        .unwrap();
    }
    assert_eq!(count::<payment_rows::Entity>(ctx).await, 1);
    // Another company's invoice does not exist for this one.
    let other = seller(ctx, "Autre Atelier", "bob@autre.fr").await;
    let theirs = issued_invoice(ctx, other.company_id, &other.client_pid, 1).await;
    assert!(matches!(
        payments::record_manual(
            ctx,
            &shop.company,
            None,
            &theirs.pid.to_string(),
            &manual("10", None)
        )
        .await,
        Err(ServiceError::NotFound)
    ));
}

// ---- Card payments through localstripe ----

struct CardSetup {
    stripe: LocalStripe,
    shop: Shop,
}

async fn card_setup(ctx: &AppContext) -> CardSetup {
    let stripe = LocalStripe::start();
    StripeGateway::install(ctx, &stripe.settings()).unwrap();
    CardSetup {
        shop: shop(ctx).await,
        stripe,
    }
}

/// An issued invoice of `lines` lines for the card tests' client.
async fn card_invoice(ctx: &AppContext, setup: &CardSetup, lines: usize) -> invoices::Model {
    issued_invoice(
        ctx,
        setup.shop.company.id,
        &setup.shop.client.pid.to_string(),
        lines,
    )
    .await
}

/// The checkout of some invoices, confirmed with a test card: the PaymentIntent as Stripe
/// returns it (raw JSON, what the event carries).
async fn paid_intent(
    ctx: &AppContext,
    setup: &CardSetup,
    invoices: &[&invoices::Model],
    card: &str,
) -> serde_json::Value {
    let pids: Vec<uuid::Uuid> = invoices.iter().map(|i| i.pid).collect();
    let checkout =
        stripe_payments::start_checkout(ctx, &setup.shop.company, &setup.shop.client, &pids)
            .await
            .unwrap();
    assert!(checkout
        .client_secret
        .starts_with(&checkout.payment_intent_id));
    setup.stripe.call(
        "POST",
        &format!("/v1/payment_intents/{}/confirm", checkout.payment_intent_id),
        &format!("payment_method={card}"),
    );
    setup.stripe.call(
        "GET",
        &format!("/v1/payment_intents/{}", checkout.payment_intent_id),
        "",
    )
}

#[tokio::test]
async fn a_card_payment_of_one_invoice_is_recorded_from_the_signed_webhook() {
    with_app(|server, ctx| async move {
        let setup = card_setup(&ctx).await;
        let invoice = card_invoice(&ctx, &setup, 2).await;
        let intent = paid_intent(&ctx, &setup, &[&invoice], "pm_card_visa").await;
        assert_eq!(intent["status"], "succeeded");
        assert_eq!(intent["amount"], 162_000);

        let event = stripe_event("evt_one", "payment_intent.succeeded", &intent);
        let response = deliver_webhook(&server, &event, WEBHOOK_SECRET, None).await;
        assert_eq!(response.status_code(), 200);
        jobs::drain(&ctx).await;

        let invoice = reload(&ctx, &invoice).await;
        assert_eq!(invoice.status, "paid");
        let payment = payment_rows::Entity::find()
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(payment.method, "card");
        assert_eq!(payment.amount_cents, 162_000);
        assert_eq!(
            payment.stripe_payment_intent_id.as_deref(),
            intent["id"].as_str()
        );
        let request = payment_requests::Entity::find()
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(request.status, "succeeded");
        assert!(invoice_events::Entity::find()
            .filter(invoice_events::Column::InvoiceId.eq(invoice.id))
            .filter(invoice_events::Column::Kind.eq("payment_received"))
            .one(&ctx.db)
            .await
            .unwrap()
            .is_some());
        // Notifications: the seller's "Paiement reçu" and the client's receipt, sent.
        let sent: Vec<outbox_messages::Model> = outbox_messages::Entity::find()
            .filter(
                outbox_messages::Column::Template.is_in(["payment_received", "payment_receipt"]),
            )
            .all(&ctx.db)
            .await
            .unwrap();
        assert_eq!(sent.len(), 2);
        assert!(sent.iter().all(|m| m.status == "sent"), "{sent:?}");
        assert_ledger_balances(&ctx, setup.shop.client.id).await;
    })
    .await;
}

#[tokio::test]
async fn one_card_payment_pays_several_invoices_oldest_due_first() {
    with_app(|server, ctx| async move {
        let setup = card_setup(&ctx).await;
        let client = setup.shop.client.pid.to_string();
        let a = issued_invoice(&ctx, setup.shop.company.id, &client, 1).await;
        let b = issued_invoice(&ctx, setup.shop.company.id, &client, 3).await;
        // One is already partly paid: the card pays what is left on each.
        pay(&ctx, &setup.shop, &b, "100").await;
        let intent = paid_intent(&ctx, &setup, &[&a, &b], "pm_card_visa").await;
        assert_eq!(intent["amount"], 81_000 + 243_000 - 10_000);
        let event = stripe_event("evt_many", "payment_intent.succeeded", &intent);
        assert_eq!(
            deliver_webhook(&server, &event, WEBHOOK_SECRET, None)
                .await
                .status_code(),
            200
        );
        jobs::drain(&ctx).await;
        assert_eq!(reload(&ctx, &a).await.status, "paid");
        assert_eq!(reload(&ctx, &b).await.status, "paid");
        assert_eq!(
            payments::client_credit(&ctx.db, setup.shop.client.id)
                .await
                .unwrap(),
            0
        );
        assert_ledger_balances(&ctx, setup.shop.client.id).await;
    })
    .await;
}

#[tokio::test]
async fn webhooks_with_a_bad_signature_or_a_stale_timestamp_are_refused() {
    with_app(|server, ctx| async move {
        let setup = card_setup(&ctx).await;
        let invoice = card_invoice(&ctx, &setup, 1).await;
        let intent = paid_intent(&ctx, &setup, &[&invoice], "pm_card_visa").await;
        let event = stripe_event("evt_bad", "payment_intent.succeeded", &intent);

        let forged = deliver_webhook(&server, &event, "whsec_someone_else", None).await;
        assert_eq!(forged.status_code(), 400);
        let unsigned = server
            .post("/webhooks/stripe")
            .bytes(event.clone().into_bytes().into())
            .await;
        assert_eq!(unsigned.status_code(), 400);
        let tampered = {
            let signature =
                stripe_webhook::Webhook::generate_test_header(&event, WEBHOOK_SECRET, None);
            server
                .post("/webhooks/stripe")
                .add_header("stripe-signature", signature)
                .bytes(
                    event
                        .replace("162000", "1")
                        .replace("81000", "1")
                        .into_bytes()
                        .into(),
                )
                .await
        };
        assert_eq!(tampered.status_code(), 400);
        let stale_at = chrono::Utc::now().timestamp() - 301;
        let stale = deliver_webhook(&server, &event, WEBHOOK_SECRET, Some(stale_at)).await;
        assert_eq!(stale.status_code(), 400);

        jobs::drain(&ctx).await;
        assert_eq!(
            count::<stripe_events::Entity>(&ctx).await,
            0,
            "nothing stored"
        );
        assert_eq!(
            count::<payment_rows::Entity>(&ctx).await,
            0,
            "nothing recorded"
        );
        assert_eq!(reload(&ctx, &invoice).await.status, "issued");
    })
    .await;
}

#[tokio::test]
async fn the_same_event_delivered_ten_times_records_one_payment() {
    with_app(|server, ctx| async move {
        let setup = card_setup(&ctx).await;
        let invoice = card_invoice(&ctx, &setup, 1).await;
        let intent = paid_intent(&ctx, &setup, &[&invoice], "pm_card_visa").await;
        let event = stripe_event("evt_ten", "payment_intent.succeeded", &intent);
        for _ in 0..10 {
            let response = deliver_webhook(&server, &event, WEBHOOK_SECRET, None).await;
            assert_eq!(response.status_code(), 200);
        }
        jobs::drain(&ctx).await;
        // And the same PaymentIntent in another event (Stripe's retry of a lost one).
        let again = stripe_event("evt_ten_bis", "payment_intent.succeeded", &intent);
        deliver_webhook(&server, &again, WEBHOOK_SECRET, None).await;
        jobs::drain(&ctx).await;
        assert_eq!(count::<stripe_events::Entity>(&ctx).await, 2);
        assert_eq!(count::<payment_rows::Entity>(&ctx).await, 1);
        assert_eq!(due(&ctx, &invoice).await, 0);
        assert_eq!(
            outbox_messages::Entity::find()
                .filter(outbox_messages::Column::Template.eq("payment_receipt"))
                .count(&ctx.db)
                .await
                .unwrap(),
            1
        );
        assert_ledger_balances(&ctx, setup.shop.client.id).await;
    })
    .await;
}

#[tokio::test]
async fn a_failure_arriving_after_the_success_leaves_the_invoice_paid() {
    with_app(|server, ctx| async move {
        let setup = card_setup(&ctx).await;
        let client = setup.shop.client.pid.to_string();
        // In order: a declined card, then a good one.
        let first = issued_invoice(&ctx, setup.shop.company.id, &client, 1).await;
        let declined = paid_intent(&ctx, &setup, &[&first], "pm_card_chargeDeclined").await;
        assert_eq!(declined["status"], "requires_payment_method");
        let failed = stripe_event("evt_fail_1", "payment_intent.payment_failed", &declined);
        deliver_webhook(&server, &failed, WEBHOOK_SECRET, None).await;
        jobs::drain(&ctx).await;
        let request = payment_requests::Entity::find()
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(request.status, "failed");
        assert!(request.failure_message.is_some());
        assert_eq!(reload(&ctx, &first).await.status, "issued");
        let retried = setup.stripe.call(
            "POST",
            &format!(
                "/v1/payment_intents/{}/confirm",
                declined["id"].as_str().unwrap()
            ),
            "payment_method=pm_card_visa",
        );
        assert_eq!(retried["status"], "succeeded");
        let succeeded = stripe_event("evt_ok_1", "payment_intent.succeeded", &retried);
        deliver_webhook(&server, &succeeded, WEBHOOK_SECRET, None).await;
        jobs::drain(&ctx).await;
        assert_eq!(reload(&ctx, &first).await.status, "paid");

        // Out of order: the success arrives, then the older failure.
        let second = issued_invoice(&ctx, setup.shop.company.id, &client, 2).await;
        let declined = paid_intent(&ctx, &setup, &[&second], "pm_card_chargeDeclined").await;
        let late_failure = stripe_event("evt_fail_2", "payment_intent.payment_failed", &declined);
        let retried = setup.stripe.call(
            "POST",
            &format!(
                "/v1/payment_intents/{}/confirm",
                declined["id"].as_str().unwrap()
            ),
            "payment_method=pm_card_visa",
        );
        let success = stripe_event("evt_ok_2", "payment_intent.succeeded", &retried);
        deliver_webhook(&server, &success, WEBHOOK_SECRET, None).await;
        jobs::drain(&ctx).await;
        deliver_webhook(&server, &late_failure, WEBHOOK_SECRET, None).await;
        jobs::drain(&ctx).await;
        assert_eq!(reload(&ctx, &second).await.status, "paid");
        let request = payment_requests::Entity::find()
            .filter(
                payment_requests::Column::StripePaymentIntentId
                    .eq(declined["id"].as_str().unwrap()),
            )
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(request.status, "succeeded");
        assert_eq!(count::<payment_rows::Entity>(&ctx).await, 2);
        assert_ledger_balances(&ctx, setup.shop.client.id).await;
    })
    .await;
}

#[tokio::test]
async fn concurrent_deliveries_and_workers_record_one_payment() {
    with_app(|server, ctx| async move {
        let setup = card_setup(&ctx).await;
        let invoice = card_invoice(&ctx, &setup, 1).await;
        let intent = paid_intent(&ctx, &setup, &[&invoice], "pm_card_visa").await;
        let event = stripe_event("evt_race", "payment_intent.succeeded", &intent);
        let deliveries = (0..8).map(|_| deliver_webhook(&server, &event, WEBHOOK_SECRET, None));
        for response in futures::future::join_all(deliveries).await {
            // A delivery that lost a database race is answered 500 and Stripe retries it.
            assert!(
                [200, 500].contains(&response.status_code().as_u16()),
                "{}",
                response.status_code()
            );
        }
        deliver_webhook(&server, &event, WEBHOOK_SECRET, None).await;
        let stored = stripe_events::Entity::find()
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        // Several workers on the same stored event at once.
        let workers = (0..6).map(|_| stripe_payments::process_event(&ctx, stored.id));
        let outcomes = futures::future::join_all(workers).await;
        assert_eq!(
            outcomes
                .iter()
                .filter(|o| matches!(o, Ok(stripe_payments::Processed::PaymentRecorded)))
                .count(),
            1,
            "{outcomes:?}"
        );
        jobs::drain(&ctx).await;
        assert_eq!(count::<stripe_events::Entity>(&ctx).await, 1);
        assert_eq!(count::<payment_rows::Entity>(&ctx).await, 1);
        assert_eq!(reload(&ctx, &invoice).await.status, "paid");
        assert_ledger_balances(&ctx, setup.shop.client.id).await;
    })
    .await;
}

#[tokio::test]
async fn an_intent_that_is_not_ours_is_ignored() {
    with_app(|server, ctx| async move {
        let setup = card_setup(&ctx).await;
        let invoice = card_invoice(&ctx, &setup, 1).await;
        // Same amount, same currency, but not a checkout of ours: never matched by amount.
        let foreign = setup.stripe.call(
            "POST",
            "/v1/payment_intents",
            "amount=81000&currency=eur&payment_method=pm_card_visa&confirm=true",
        );
        let event = stripe_event("evt_foreign", "payment_intent.succeeded", &foreign);
        assert_eq!(
            deliver_webhook(&server, &event, WEBHOOK_SECRET, None)
                .await
                .status_code(),
            200
        );
        jobs::drain(&ctx).await;
        let stored = stripe_events::Entity::find()
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        assert!(stored.processed_at.is_some());
        assert_eq!(stored.last_error.as_deref(), Some("payment-intent-unknown"));
        assert_eq!(count::<payment_rows::Entity>(&ctx).await, 0);
        assert_eq!(reload(&ctx, &invoice).await.status, "issued");
        // The payment page link in the invoice e-mail exists for this client.
        assert!(
            payment_links::live(&ctx.db, "test-only-secret", setup.shop.client.id)
                .await
                .unwrap()
                .is_some()
        );
    })
    .await;
}
