//! The payment page (a secret link, no login), the seller's payment screens and the
//! payments API: wrong and revoked links answer 404, misses are rate-limited, a client sees
//! only its own invoices, amounts are exact after credit notes and payments.

use axum_test::TestServer;
use encaisse::{
    models::_entities::{invoice_events, invoices, payment_links, payments as payment_rows},
    services::{
        api_keys,
        create_credit_note::{self, CreditRequest},
    },
};
use loco_rs::app::AppContext;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::support::*;

/// The payment page path (with the invoice pre-selected) from the invoice's e-mail.
async fn page_path_from_mail(ctx: &AppContext, to: &str) -> String {
    let mail = mails_to(ctx, to)
        .await
        .into_iter()
        .rev()
        .find(|m| m.template == "document")
        .expect("an invoice e-mail");
    let url = link_path(&mail, "http://localhost:5150/pay/");
    url.trim_start_matches("http://localhost:5150").to_string()
}

fn without_query(path: &str) -> String {
    path.split('?').next().unwrap().to_string()
}

fn plain(text: &str) -> String {
    text.replace(['\u{a0}', '\u{202f}'], " ")
}

#[tokio::test]
async fn the_invoice_mail_opens_the_clients_page_with_that_invoice_chosen() {
    with_app(|server, ctx| async move {
        let s = seller(&ctx, "Atelier Lien", "alice@lien.fr").await;
        let invoice = issued_invoice(&ctx, s.company_id, &s.client_pid, 2).await;
        let other = issued_invoice(&ctx, s.company_id, &s.client_pid, 1).await;
        let path = page_path_from_mail(&ctx, "compta@boulangerie.fr").await;
        assert!(path.contains(&format!("?invoice={}", other.pid)), "{path}");
        let token = without_query(&path).trim_start_matches("/pay/").to_string();
        assert_eq!(token.len(), 43, "256 bits, URL-safe");
        // Only its hash is stored.
        let link = payment_links::Entity::find()
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        assert_ne!(link.token_hash, token);
        assert!(!link.token_hash.contains(&token) && !link.nonce.contains(&token));

        let page = server.get(&path).await;
        assert_eq!(page.status_code(), 200);
        assert_eq!(page.header("cache-control"), "no-store");
        let html = plain(&page.html());
        assert!(html.contains("Atelier Lien"));
        assert!(html.contains(invoice.number.as_deref().unwrap()));
        assert!(html.contains("1 620,00 €") && html.contains("810,00 €"));
        assert!(html.contains("2 430,00 €"), "total due");
        // The mailed invoice is ticked, the other not.
        assert!(html.contains(&format!(
            "value=\"{}\" id=\"inv-{}\" data-cents=\"81000\" checked",
            other.pid, other.pid
        )));
        assert!(!html.contains(&format!(
            "value=\"{}\" id=\"inv-{}\" data-cents=\"162000\" checked",
            invoice.pid, invoice.pid
        )));
        // No Stripe configured: no card option; the transfer details with references.
        assert!(!html.contains("card-start"));
        assert!(html.contains("FR76 3000 6000 0112 3456 7890 189"));
        assert!(html.contains("BNPAFRPP"));
        let reference =
            encaisse::domain::payment::transfer_reference(other.number.as_deref().unwrap())
                .unwrap();
        assert!(html.contains(&encaisse::domain::payment::grouped(&reference)));
        // The view is in the invoice's history, once.
        server.get(&path).await;
        let views = invoice_events::Entity::find()
            .filter(invoice_events::Column::InvoiceId.eq(other.id))
            .filter(invoice_events::Column::Kind.eq("viewed"))
            .all(&ctx.db)
            .await
            .unwrap();
        assert_eq!(views.len(), 1);

        // The stored PDF downloads from the page.
        encaisse::jobs::drain(&ctx).await;
        let pdf = server
            .get(&format!(
                "{}/documents/{}/pdf",
                without_query(&path),
                invoice.pid
            ))
            .await;
        assert_eq!(pdf.status_code(), 200);
        assert!(pdf.as_bytes().starts_with(b"%PDF"));

        // English and Swedish from the browser's language.
        let english = server
            .get(&path)
            .add_header("accept-language", "en-GB,en;q=0.8")
            .await
            .html();
        assert!(english.contains("lang=\"en\""), "English page");
        let swedish = server
            .get(&path)
            .add_header("accept-language", "sv-SE")
            .await
            .html();
        assert!(swedish.contains("lang=\"sv\""), "Swedish page");
    })
    .await;
}

#[tokio::test]
async fn wrong_and_revoked_links_answer_404_and_misses_are_rate_limited() {
    with_app(|server, ctx| async move {
        let s = seller(&ctx, "Atelier Lien", "alice@lien.fr").await;
        issued_invoice(&ctx, s.company_id, &s.client_pid, 1).await;
        let path = without_query(&page_path_from_mail(&ctx, "compta@boulangerie.fr").await);
        assert_eq!(server.get(&path).await.status_code(), 200);

        // Regenerating (after confirmation) kills the old link and makes a new one.
        log_in(&server, "alice@lien.fr", PASSWORD).await;
        let unconfirmed = post_form(
            &server,
            &format!("/sales/clients/{}/payment-link", s.client_pid),
            &[("action", "regenerate")],
        )
        .await;
        assert_eq!(unconfirmed.status_code(), 422);
        assert_eq!(
            server.get(&path).await.status_code(),
            200,
            "nothing done unconfirmed"
        );
        let done = post_form(
            &server,
            &format!("/sales/clients/{}/payment-link", s.client_pid),
            &[("action", "regenerate"), ("confirm", "yes")],
        )
        .await;
        assert_eq!(done.status_code(), 303);
        assert_eq!(
            server.get(&path).await.status_code(),
            404,
            "old link revoked"
        );
        let client_page = server
            .get(&format!("/sales/clients/{}", s.client_pid))
            .await
            .html();
        let start = client_page.find("http://localhost:5150/pay/").unwrap();
        let new_path = client_page[start..]
            .split('"')
            .next()
            .unwrap()
            .trim_start_matches("http://localhost:5150")
            .to_string();
        assert_ne!(new_path, path);
        assert_eq!(server.get(&new_path).await.status_code(), 200);
        post_form(
            &server,
            &format!("/sales/clients/{}/payment-link", s.client_pid),
            &[("action", "revoke"), ("confirm", "yes")],
        )
        .await;
        assert_eq!(server.get(&new_path).await.status_code(), 404, "revoked");
        log_out(&server).await;

        // Guessing: after 20 misses from one address (the two dead links above count, in
        // an earlier window), even a good link is refused a while.
        encaisse::clock::of(&ctx).advance(chrono::Duration::seconds(601));
        let s2 = seller(&ctx, "Atelier Deux", "bob@deux.fr").await;
        issued_invoice(&ctx, s2.company_id, &s2.client_pid, 1).await;
        let good = without_query(&page_path_from_mail(&ctx, "compta@boulangerie.fr").await);
        for i in 0..20 {
            let guess = format!("/pay/{}", "A".repeat(42) + &(i % 10).to_string());
            assert_eq!(server.get(&guess).await.status_code(), 404);
        }
        let blocked = server.get(&good).await;
        assert_eq!(blocked.status_code(), 429);
        assert_eq!(blocked.header("retry-after"), "600");
        encaisse::clock::of(&ctx).advance(chrono::Duration::seconds(60));
        assert_eq!(
            server.get(&good).await.status_code(),
            429,
            "still in the window"
        );
        encaisse::clock::of(&ctx).advance(chrono::Duration::seconds(541));
        assert_eq!(server.get(&good).await.status_code(), 200);
    })
    .await;
}

#[tokio::test]
async fn a_client_sees_only_its_own_invoices_with_amounts_after_credit_notes() {
    with_app(|server, ctx| async move {
        let s = seller(&ctx, "Atelier Iso", "alice@iso.fr").await;
        let mine = issued_invoice(&ctx, s.company_id, &s.client_pid, 3).await; // 2 430 €
                                                                               // A partial credit note of 100 € + 20 % and a payment of 500 €.
        create_credit_note::create(
            &ctx,
            s.company_id,
            None,
            &mine.pid.to_string(),
            &CreditRequest::Amount {
                net: "100".into(),
                vat: "20".into(),
                reason: "Geste commercial".into(),
            },
            None,
        )
        .await
        .unwrap();
        let company = encaisse::models::_entities::companies::Entity::find_by_id(s.company_id)
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        encaisse::services::payments::record_manual(
            &ctx,
            &company,
            None,
            &mine.pid.to_string(),
            &encaisse::services::payments::ManualInput {
                received_on: paris_today(&ctx).format("%d/%m/%Y").to_string(),
                amount: "500".into(),
                method: "cheque".into(),
                reference: String::new(),
                idempotency_key: None,
            },
        )
        .await
        .unwrap();
        // Another client of the same seller, and another seller.
        let neighbour =
            invoiceable_client(&ctx, s.company_id, "Voisin SARL", "voisin@exemple.fr").await;
        let theirs = issued_invoice(&ctx, s.company_id, &neighbour.pid.to_string(), 1).await;
        let other = seller(&ctx, "Atelier Autre", "carl@autre.fr").await;
        let foreign = issued_invoice(&ctx, other.company_id, &other.client_pid, 2).await;
        encaisse::jobs::drain(&ctx).await;

        let mine_mail = mails_to(&ctx, "compta@boulangerie.fr")
            .await
            .into_iter()
            .find(|m| {
                m.template == "document" && m.subject.contains(mine.number.as_deref().unwrap())
            })
            .unwrap();
        let mine_url = link_path(&mine_mail, "http://localhost:5150/pay/");
        let mine_path = without_query(mine_url.trim_start_matches("http://localhost:5150"));
        let html = plain(&server.get(&mine_path).await.html());
        assert!(html.contains(mine.number.as_deref().unwrap()));
        // 2 430 − 120 − 500 = 1 810 €
        assert!(
            html.contains("1 810,00 €"),
            "amount due after credit note and payment"
        );
        assert!(html.contains("120,00 €") && html.contains("500,00 €"));
        assert!(!html.contains(theirs.number.as_deref().unwrap()) || theirs.number == mine.number);
        assert!(!html.contains("Voisin SARL"));
        assert!(!html.contains("Atelier Autre"));
        assert!(!html.contains(&theirs.pid.to_string()));
        assert!(!html.contains(&foreign.pid.to_string()));
        // Another client's or seller's PDF through this link: 404.
        for pid in [theirs.pid, foreign.pid] {
            let response = server
                .get(&format!("{mine_path}/documents/{pid}/pdf"))
                .await;
            assert_eq!(response.status_code(), 404);
        }
        // Checkout without Stripe configured: refused cleanly (503, JSON).
        let checkout = server
            .post(&format!("{mine_path}/checkout"))
            .add_header("x-csrf-token", csrf_token(&server).await)
            .json(&serde_json::json!({ "invoices": [mine.pid.to_string()] }))
            .await;
        assert_eq!(checkout.status_code(), 503);
        assert_eq!(
            checkout.json::<serde_json::Value>()["error"]["code"],
            "card-payment-unavailable"
        );
    })
    .await;
}

async fn logged_seller(server: &TestServer, ctx: &AppContext) -> (Seller, invoices::Model) {
    let s = seller(ctx, "Atelier Saisie", "alice@saisie.fr").await;
    let invoice = issued_invoice(ctx, s.company_id, &s.client_pid, 1).await; // 810 €
    log_in(server, "alice@saisie.fr", PASSWORD).await;
    (s, invoice)
}

#[tokio::test]
async fn the_seller_records_a_payment_by_hand_and_reverses_it_with_a_reason() {
    with_app(|server, ctx| async move {
        let (_s, invoice) = logged_seller(&server, &ctx).await;
        let pid = invoice.pid.to_string();
        let form = server
            .get(&format!("/sales/invoices/{pid}/payments/new"))
            .await;
        assert_eq!(form.status_code(), 200);
        let html = form.html();
        let key_at = html.find("name=\"form_key\" value=\"").unwrap() + 23;
        let form_key = html[key_at..key_at + 43].to_string();

        let invalid = post_form(
            &server,
            &format!("/sales/invoices/{pid}/payments"),
            &[
                ("received_on", "32/13/2026"),
                ("amount", "abc"),
                ("method", "transfer"),
                ("form_key", &form_key),
            ],
        )
        .await;
        assert_eq!(invalid.status_code(), 422);
        assert_eq!(
            count::<payment_rows::Entity>(&ctx).await,
            0,
            "nothing written"
        );

        let today = paris_today(&ctx).format("%d/%m/%Y").to_string();
        for _ in 0..2 {
            // A double submit records one payment.
            let done = post_form(
                &server,
                &format!("/sales/invoices/{pid}/payments"),
                &[
                    ("received_on", &today),
                    ("amount", "300,50"),
                    ("method", "cheque"),
                    ("reference", "CHQ 1234567"),
                    ("form_key", &form_key),
                ],
            )
            .await;
            assert_eq!(done.status_code(), 303);
        }
        assert_eq!(count::<payment_rows::Entity>(&ctx).await, 1);
        let page = plain(&server.get(&format!("/sales/invoices/{pid}")).await.html());
        assert!(page.contains("CHQ 1234567"));
        assert!(page.contains("509,50 €"), "balance after the payment");
        let payment = payment_rows::Entity::find()
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();

        let unconfirmed = post_form(
            &server,
            &format!("/sales/payments/{}/reverse", payment.pid),
            &[("reason", "Chèque rejeté")],
        )
        .await;
        assert_eq!(unconfirmed.status_code(), 422);
        let no_reason = post_form(
            &server,
            &format!("/sales/payments/{}/reverse", payment.pid),
            &[("reason", " "), ("confirm", "yes")],
        )
        .await;
        assert_eq!(no_reason.status_code(), 422);
        let reversed = post_form(
            &server,
            &format!("/sales/payments/{}/reverse", payment.pid),
            &[("reason", "Chèque rejeté"), ("confirm", "yes")],
        )
        .await;
        assert_eq!(reversed.status_code(), 303);
        let list = plain(&server.get("/sales/payments").await.html());
        assert!(
            list.contains("Chèque rejeté"),
            "reversal reason shown; the payment stays listed"
        );
        let invoice = invoices::Entity::find_by_id(invoice.id)
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(invoice.status, "issued");
        // The dashboard shows what is outstanding and collected.
        let dashboard = plain(&server.get("/dashboard").await.html());
        assert!(dashboard.contains("810,00 €"));
    })
    .await;
}

#[tokio::test]
async fn another_companys_payments_and_links_answer_404() {
    with_app(|server, ctx| async move {
        let (_s, _invoice) = logged_seller(&server, &ctx).await;
        let other = seller(&ctx, "Atelier Autre", "carl@autre.fr").await;
        let foreign = issued_invoice(&ctx, other.company_id, &other.client_pid, 1).await;
        let company = encaisse::models::_entities::companies::Entity::find_by_id(other.company_id)
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        let recorded = encaisse::services::payments::record_manual(
            &ctx,
            &company,
            None,
            &foreign.pid.to_string(),
            &encaisse::services::payments::ManualInput {
                received_on: paris_today(&ctx).format("%d/%m/%Y").to_string(),
                amount: "10".into(),
                method: "cash".into(),
                reference: String::new(),
                idempotency_key: None,
            },
        )
        .await
        .unwrap();
        for path in [
            format!("/sales/invoices/{}/payments/new", foreign.pid),
            format!("/sales/payments/{}/reverse", recorded.payment.pid),
            format!(
                "/sales/clients/{}/payment-link?action=revoke",
                other.client_pid
            ),
            format!("/sales/payments?client={}", other.client_pid),
        ] {
            assert_eq!(server.get(&path).await.status_code(), 404, "{path}");
        }
        let attempt = post_form(
            &server,
            &format!("/sales/payments/{}/reverse", recorded.payment.pid),
            &[("reason", "x"), ("confirm", "yes")],
        )
        .await;
        assert_eq!(attempt.status_code(), 404);
        assert!(!plain(&server.get("/sales/payments").await.html()).contains("Atelier Autre"));
    })
    .await;
}

#[tokio::test]
async fn the_api_lists_records_and_links() {
    with_app(|server, ctx| async move {
        let s = seller(&ctx, "Atelier Api", "alice@api.fr").await;
        let invoice = issued_invoice(&ctx, s.company_id, &s.client_pid, 1).await;
        let admin = user_by_email(&ctx, "alice@api.fr").await.unwrap();
        let key = api_keys::create(&ctx, s.company_id, &admin, "ERP", None)
            .await
            .unwrap()
            .1
            .unwrap();
        let auth = format!("Bearer {key}");
        let body = serde_json::json!({
            "invoice_id": invoice.pid.to_string(),
            "amount": "1000.00",
            "received_on": paris_today(&ctx).to_string(),
            "method": "transfer",
            "reference": "VIR-42",
        });
        let first = server
            .post("/api/payments")
            .add_header("authorization", auth.clone())
            .add_header("idempotency-key", "erp-pay-1")
            .json(&body)
            .await;
        assert_eq!(first.status_code(), 201, "{}", first.text());
        let json: serde_json::Value = first.json();
        assert_eq!(json["amount_cents"], 100_000);
        assert_eq!(json["invoices"][0]["amount_cents"], 81_000);
        assert_eq!(json["to_credit_cents"], 19_000);
        let retry = server
            .post("/api/payments")
            .add_header("authorization", auth.clone())
            .add_header("idempotency-key", "erp-pay-1")
            .json(&body)
            .await;
        assert_eq!(retry.status_code(), 200);
        assert_eq!(retry.json::<serde_json::Value>()["id"], json["id"]);

        let invalid = server
            .post("/api/payments")
            .add_header("authorization", auth.clone())
            .json(&serde_json::json!({ "invoice_id": invoice.pid.to_string(), "amount": "-3", "received_on": "hier", "method": "bitcoin" }))
            .await;
        assert_eq!(invalid.status_code(), 422);
        let fields: Vec<String> = invalid.json::<serde_json::Value>()["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(fields, ["received_on", "amount", "method"]);

        let list: serde_json::Value = server
            .get(&format!("/api/payments?invoice_id={}", invoice.pid))
            .add_header("authorization", auth.clone())
            .await
            .json();
        assert_eq!(list["total"], 1);
        let link: serde_json::Value = server
            .get(&format!("/api/clients/{}/payment-link", s.client_pid))
            .add_header("authorization", auth.clone())
            .await
            .json();
        let url = link["url"].as_str().unwrap();
        assert!(url.starts_with("http://localhost:5150/pay/"));
        assert_eq!(
            server.get(url.trim_start_matches("http://localhost:5150")).await.status_code(),
            200
        );
        let reversed = server
            .post(&format!("/api/payments/{}/reverse", json["id"].as_str().unwrap()))
            .add_header("authorization", auth.clone())
            .json(&serde_json::json!({ "reason": "Saisie en double" }))
            .await;
        // The 190 € credit it left is unused: it can be reversed.
        assert_eq!(reversed.status_code(), 200, "{}", reversed.text());
        assert_eq!(reversed.json::<serde_json::Value>()["reversed"], true);

        // Another company's ids are unknown.
        let other = seller(&ctx, "Atelier Autre", "carl@autre.fr").await;
        let foreign = issued_invoice(&ctx, other.company_id, &other.client_pid, 1).await;
        let attempt = server
            .post("/api/payments")
            .add_header("authorization", auth.clone())
            .json(&serde_json::json!({ "invoice_id": foreign.pid.to_string(), "amount": "1", "received_on": paris_today(&ctx).to_string(), "method": "cash" }))
            .await;
        assert_eq!(attempt.status_code(), 404);
        let foreign_link = server
            .get(&format!("/api/clients/{}/payment-link", other.client_pid))
            .add_header("authorization", auth)
            .await;
        assert_eq!(foreign_link.status_code(), 404);
    })
    .await;
}

#[tokio::test]
async fn the_payment_link_task_prints_a_working_link() {
    use loco_rs::task::{Task, Vars};
    with_app(|server, ctx| async move {
        let s = seller(&ctx, "Atelier Tâche", "alice@tache.fr").await;
        let task = encaisse::tasks::payment_link::PaymentLink;
        let by_email = Vars::from_cli_args(vec![("client".into(), "compta@boulangerie.fr".into())]);
        task.run(&ctx, &by_email).await.unwrap();
        let link = payment_links::Entity::find()
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        assert!(link.revoked_at.is_none());
        // Run twice: the same live link, not a second one.
        let by_id = Vars::from_cli_args(vec![("client".into(), s.client_pid.clone())]);
        task.run(&ctx, &by_id).await.unwrap();
        assert_eq!(count::<payment_links::Entity>(&ctx).await, 1);
        let unknown = Vars::from_cli_args(vec![("client".into(), "nobody@example.com".into())]);
        assert!(task.run(&ctx, &unknown).await.is_err());
        // The link it made opens the page (the token derives from the stored nonce).
        let token = encaisse::security::payment_link_token("test-only-secret", &link.nonce);
        assert_eq!(
            server.get(&format!("/pay/{token}")).await.status_code(),
            200
        );
    })
    .await;
}
