//! Vente > Abonnements and the client's Subscriptions tab: a monthly invoice from the
//! wizard starts a subscription; Modifier, Dupliquer and Arrêter each ask first; another
//! company gets 404; the JSON API does the same.

use encaisse::{
    models::_entities::{subscription_versions, subscriptions},
    services::subscriptions as subs,
};
use loco_rs::app::AppContext;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

use crate::support::*;

fn monthly_step1(client: &str) -> Vec<(&'static str, String)> {
    vec![
        ("label", "Maintenance mensuelle".into()),
        ("client", client.into()),
        ("recurrence", "monthly".into()),
        ("line_description", "Maintenance et hébergement".into()),
        ("line_quantity", "1".into()),
        ("line_unit", "MON".into()),
        ("line_unit_price", "120".into()),
        ("line_vat", "20".into()),
        ("action", "next".into()),
    ]
}

/// Sends a monthly invoice through the wizard; returns the subscription it started.
async fn subscribe_through_the_wizard(
    server: &axum_test::TestServer,
    ctx: &AppContext,
    client: &str,
) -> subscriptions::Model {
    let created = post_pairs(server, "/sales/invoices", &monthly_step1(client)).await;
    let preview_path = location(&created);
    let preview = server.get(&preview_path).await.html();
    let next = encaisse::domain::subscription::billing_date(paris_today(ctx), 1)
        .format("%d/%m/%Y")
        .to_string();
    assert!(
        preview.contains("Facture mensuelle") && preview.contains(&next),
        "the preview says when the next invoice leaves"
    );
    let base = preview_path.trim_end_matches("/preview").to_string();
    let sent = post_form(
        server,
        &format!("{base}/email"),
        &[
            ("subject", "Facture [numero]"),
            ("body", "Bonjour"),
            ("action", "send"),
        ],
    )
    .await;
    assert_eq!(location(&sent), base);
    subscriptions::Entity::find()
        .one(&ctx.db)
        .await
        .unwrap()
        .expect("the monthly invoice started a subscription")
}

async fn versions_of(ctx: &AppContext, id: i64) -> Vec<subscription_versions::Model> {
    subscription_versions::Entity::find()
        .filter(subscription_versions::Column::SubscriptionId.eq(id))
        .all(&ctx.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_monthly_invoice_starts_a_subscription_shown_in_the_lists_and_its_page() {
    with_app(|server, ctx| async move {
        let s = seller(&ctx, "Atelier Nord", "alice@nord.fr").await;
        log_in(&server, "alice@nord.fr", PASSWORD).await;
        let form = server.get("/sales/invoices/new").await.html();
        assert!(form.contains("Récurrence") && form.contains("Mensuelle"));
        let subscription = subscribe_through_the_wizard(&server, &ctx, &s.client_pid).await;
        let pid = subscription.pid.to_string();
        let next = subscription
            .next_billing_date
            .unwrap()
            .format("%d/%m/%Y")
            .to_string();

        let list = server.get("/sales/subscriptions").await.html();
        for expected in [
            "Maintenance mensuelle",
            "Boulangerie Légère",
            "144,00\u{a0}€",
            &next,
            "En cours",
            "Arrêter",
            "Dupliquer",
            "Modifier",
        ] {
            assert!(list.contains(expected), "list shows {expected}");
        }
        assert!(server
            .get("/dashboard")
            .await
            .html()
            .contains("abonnement en cours"));
        let tab = server
            .get(&format!(
                "/sales/clients/{}?tab=subscriptions",
                s.client_pid
            ))
            .await
            .html();
        assert!(tab.contains("Maintenance mensuelle") && tab.contains(&next));

        let page = server
            .get(&format!("/sales/subscriptions/{pid}"))
            .await
            .html();
        let year = paris_today(&ctx).format("%Y").to_string();
        let first = encaisse::domain::subscription::period(paris_today(&ctx), 0);
        for expected in [
            format!("F-{year}-000001"),
            format!(
                "{} – {}",
                first.start.format("%d/%m/%Y"),
                first.end.format("%d/%m/%Y")
            ),
            "Abonnement créé".to_string(),
            "Maintenance et hébergement".to_string(),
        ] {
            assert!(
                page.contains(&expected),
                "subscription page shows {expected}"
            );
        }
        // The stopped filter has none; English and Swedish pages are complete.
        assert!(!server
            .get("/sales/subscriptions?state=stopped")
            .await
            .html()
            .contains("Maintenance mensuelle"));
        for (lang, word) in [("en-US", "Next invoice"), ("sv-SE", "Nästa faktura")] {
            post_form(
                &server,
                "/language",
                &[("lang", lang), ("return_to", "/sales/subscriptions")],
            )
            .await;
            let page = server.get("/sales/subscriptions").await.html();
            assert!(page.contains(word), "{lang}");
        }
    })
    .await;
}

#[tokio::test]
async fn stop_duplicate_and_modify_each_ask_first_and_write_nothing_until_confirmed() {
    with_app(|server, ctx| async move {
        let s = seller(&ctx, "Atelier Nord", "alice@nord.fr").await;
        log_in(&server, "alice@nord.fr", PASSWORD).await;
        let subscription = subscribe_through_the_wizard(&server, &ctx, &s.client_pid).await;
        let pid = subscription.pid.to_string();
        let today = paris_today(&ctx);
        let in_forty_days = (today + chrono::Days::new(40)).to_string();

        // Nothing ticked: back to the list with a message.
        let none = post_form(&server, "/sales/subscriptions/act", &[("action", "stop")]).await;
        assert_eq!(location(&none), "/sales/subscriptions");

        // Arrêter: the confirmation page first, then the box, then a valid date.
        let ask = post_form(
            &server,
            "/sales/subscriptions/act",
            &[("action", "stop"), ("pid", &pid)],
        )
        .await;
        assert_eq!(ask.status_code(), 200);
        assert!(ask.html().contains("Arrêter des abonnements"));
        let unconfirmed = post_form(
            &server,
            "/sales/subscriptions/act",
            &[
                ("action", "stop"),
                ("pid", &pid),
                ("stage", "confirm"),
                ("date", &in_forty_days),
            ],
        )
        .await;
        assert_eq!(unconfirmed.status_code(), 422);
        let past = (today - chrono::Days::new(1)).to_string();
        let refused = post_form(
            &server,
            "/sales/subscriptions/act",
            &[
                ("action", "stop"),
                ("pid", &pid),
                ("stage", "confirm"),
                ("confirm", "yes"),
                ("date", &past),
            ],
        )
        .await;
        assert_eq!(refused.status_code(), 422);
        assert!(refused
            .html()
            .contains("La date d'arrêt ne peut pas être passée"));
        let unchanged = subscriptions::Entity::find_by_id(subscription.id)
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            unchanged.stop_date, None,
            "nothing written before confirmation"
        );
        let stopped = post_form(
            &server,
            "/sales/subscriptions/act",
            &[
                ("action", "stop"),
                ("pid", &pid),
                ("stage", "confirm"),
                ("confirm", "yes"),
                ("date", &in_forty_days),
                ("back", &format!("/sales/subscriptions/{pid}")),
            ],
        )
        .await;
        assert_eq!(location(&stopped), format!("/sales/subscriptions/{pid}"));
        let after = subscriptions::Entity::find_by_id(subscription.id)
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            after.stop_date.map(|d| d.to_string()),
            Some(in_forty_days.clone())
        );
        assert!(server
            .get(&format!("/sales/subscriptions/{pid}"))
            .await
            .html()
            .contains("Arrêt prévu"));

        // Dupliquer, double-submitted: one copy, starting today, billed at once.
        let fields = [
            ("action", "duplicate"),
            ("pid", pid.as_str()),
            ("stage", "confirm"),
            ("confirm", "yes"),
            ("date", &today.to_string()),
            ("form_key", "dup-1"),
        ];
        let ask = post_form(
            &server,
            "/sales/subscriptions/act",
            &[("action", "duplicate"), ("pid", &pid)],
        )
        .await;
        assert!(ask.html().contains("Dupliquer des abonnements"));
        assert_eq!(
            location(&post_form(&server, "/sales/subscriptions/act", &fields).await),
            "/sales/subscriptions"
        );
        assert_eq!(
            location(&post_form(&server, "/sales/subscriptions/act", &fields).await),
            "/sales/subscriptions"
        );
        assert_eq!(
            subscriptions::Entity::find().count(&ctx.db).await.unwrap(),
            2,
            "one copy"
        );
        let copy = subscriptions::Entity::find()
            .filter(subscriptions::Column::DuplicatedFromId.eq(subscription.id))
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            subs::invoices_of(&ctx, copy.id).await.unwrap().len(),
            1,
            "its first invoice is issued at once"
        );

        // Modifier: one at a time, a checked preview, then the box.
        let two = post_form(
            &server,
            "/sales/subscriptions/act",
            &[
                ("action", "modify"),
                ("pid", &pid),
                ("pid", &copy.pid.to_string()),
            ],
        )
        .await;
        assert_eq!(location(&two), "/sales/subscriptions");
        let one = post_form(
            &server,
            "/sales/subscriptions/act",
            &[("action", "modify"), ("pid", &pid)],
        )
        .await;
        let modify_path = format!("/sales/subscriptions/{pid}/modify");
        assert_eq!(location(&one), modify_path);
        let form = server.get(&modify_path).await.html();
        assert!(
            form.contains("Maintenance et hébergement") && form.contains("120"),
            "{form}"
        );
        let mut changed = vec![
            ("label", "Maintenance premium".to_string()),
            ("payment_term_days", "15".to_string()),
            (
                "line_description",
                "Maintenance, hébergement et sauvegardes".to_string(),
            ),
            ("line_quantity", "1".to_string()),
            ("line_unit", "MON".to_string()),
            ("line_unit_price", "150".to_string()),
            ("line_vat", "20".to_string()),
            ("action", "check".to_string()),
        ];
        let bad: Vec<(&'static str, String)> = changed
            .iter()
            .map(|(k, v)| {
                (
                    *k,
                    if *k == "line_quantity" {
                        "0".to_string()
                    } else {
                        v.clone()
                    },
                )
            })
            .collect();
        let refused = post_pairs(&server, &modify_path, &bad).await;
        assert_eq!(refused.status_code(), 422);
        let checked = post_pairs(&server, &modify_path, &changed).await;
        assert_eq!(checked.status_code(), 200);
        assert!(
            checked.html().contains("180,00\u{a0}€"),
            "the new total is shown before saving"
        );
        changed.pop();
        changed.push(("action", "save".to_string()));
        assert_eq!(
            post_pairs(&server, &modify_path, &changed)
                .await
                .status_code(),
            422,
            "the box is required"
        );
        assert_eq!(
            versions_of(&ctx, subscription.id).await.len(),
            1,
            "nothing written yet"
        );
        changed.push(("confirm", "yes".to_string()));
        let saved = post_pairs(&server, &modify_path, &changed).await;
        assert_eq!(location(&saved), format!("/sales/subscriptions/{pid}"));
        let versions = versions_of(&ctx, subscription.id).await;
        assert_eq!(versions.len(), 2);
        assert_eq!(versions[1].total_cents, 18_000);
        assert_eq!(versions[1].payment_term_days, 15);
        assert_eq!(versions[1].from_period, 1, "from the next invoice on");
        // The same form again writes no second version.
        post_pairs(&server, &modify_path, &changed).await;
        assert_eq!(versions_of(&ctx, subscription.id).await.len(), 2);
        let page = server
            .get(&format!("/sales/subscriptions/{pid}"))
            .await
            .html();
        assert!(page.contains("Maintenance premium") && page.contains("Contenu modifié"));
    })
    .await;
}

#[tokio::test]
async fn another_company_gets_404_on_every_subscription_route() {
    with_app(|server, ctx| async move {
        let a = seller(&ctx, "Société A", "admin@a.fr").await;
        let b = seller(&ctx, "Société B", "admin@b.fr").await;
        log_in(&server, "admin@a.fr", PASSWORD).await;
        let subscription = subscribe_through_the_wizard(&server, &ctx, &a.client_pid).await;
        let pid = subscription.pid.to_string();
        log_out(&server).await;
        log_in(&server, "admin@b.fr", PASSWORD).await;
        for path in [
            format!("/sales/subscriptions/{pid}"),
            format!("/sales/subscriptions/{pid}/modify"),
        ] {
            assert_eq!(server.get(&path).await.status_code(), 404, "{path}");
        }
        assert!(!server
            .get("/sales/subscriptions")
            .await
            .html()
            .contains("Maintenance mensuelle"));
        for action in ["stop", "duplicate", "modify"] {
            let response = post_form(
                &server,
                "/sales/subscriptions/act",
                &[
                    ("action", action),
                    ("pid", &pid),
                    ("stage", "confirm"),
                    ("confirm", "yes"),
                    ("date", &paris_today(&ctx).to_string()),
                ],
            )
            .await;
            assert_eq!(response.status_code(), 404, "{action}");
        }
        let modify = post_form(
            &server,
            &format!("/sales/subscriptions/{pid}/modify"),
            &[("label", "x"), ("action", "save"), ("confirm", "yes")],
        )
        .await;
        assert_eq!(modify.status_code(), 404);
        let after = subscriptions::Entity::find_by_id(subscription.id)
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.stop_date, None);
        assert_eq!(
            subscriptions::Entity::find().count(&ctx.db).await.unwrap(),
            1
        );
        assert_eq!(versions_of(&ctx, subscription.id).await.len(), 1);

        // The API: B's key sees nothing of A's.
        let admin_b = user_by_email(&ctx, "admin@b.fr").await.unwrap();
        let (_, key) =
            encaisse::services::api_keys::create(&ctx, b.company_id, &admin_b, "ERP", None)
                .await
                .unwrap();
        let key = key.unwrap();
        let auth = |r: axum_test::TestRequest| r.authorization_bearer(key.clone());
        assert_eq!(
            auth(server.get(&format!("/api/subscriptions/{pid}")))
                .await
                .status_code(),
            404
        );
        assert_eq!(
            auth(server.post(&format!("/api/subscriptions/{pid}/stop")))
                .json(&json!({ "date": paris_today(&ctx).to_string() }))
                .await
                .status_code(),
            404
        );
        assert_eq!(
            auth(server.post(&format!("/api/subscriptions/{pid}/duplicate")))
                .json(&json!({ "date": paris_today(&ctx).to_string() }))
                .await
                .status_code(),
            404
        );
        assert_eq!(
            auth(server.put(&format!("/api/subscriptions/{pid}")))
                .json(&json!({ "label": "x" }))
                .await
                .status_code(),
            404
        );
        let listed: Value = auth(server.get("/api/subscriptions")).await.json();
        assert_eq!(listed["total"], 0);
    })
    .await;
}

#[tokio::test]
async fn the_api_lists_reads_modifies_duplicates_and_stops_subscriptions() {
    with_app(|server, ctx| async move {
        let s = seller(&ctx, "Atelier Nord", "alice@nord.fr").await;
        let admin = user_by_email(&ctx, "alice@nord.fr").await.unwrap();
        let (_, key) = encaisse::services::api_keys::create(&ctx, s.company_id, &admin, "ERP", None).await.unwrap();
        let key = key.unwrap();
        let auth = |r: axum_test::TestRequest| r.authorization_bearer(key.clone());
        // A subscription starts by issuing a monthly invoice.
        let draft: Value = auth(server.post("/api/invoices"))
            .json(&json!({
                "label": "Maintenance", "client_id": s.client_pid, "recurrence": "monthly",
                "lines": [{ "description": "Forfait", "quantity": "1", "unit": "MON", "unit_price": "100", "vat": "20" }]
            }))
            .await
            .json();
        let issued = auth(server.post(&format!("/api/invoices/{}/issue", draft["id"].as_str().unwrap()))).await;
        assert_eq!(issued.status_code(), 200);

        let listed: Value = auth(server.get("/api/subscriptions")).await.json();
        assert_eq!(listed["total"], 1);
        let item = &listed["items"][0];
        assert_eq!(item["status"], "active");
        assert_eq!(item["total_cents"], 12_000);
        let today = paris_today(&ctx);
        let next = encaisse::domain::subscription::billing_date(today, 1);
        assert_eq!(item["next_invoice_date"], next.to_string());
        let id = item["id"].as_str().unwrap().to_string();
        let by_client: Value = auth(server.get(&format!("/api/subscriptions?client_id={}", s.client_pid))).await.json();
        assert_eq!(by_client["total"], 1);
        assert_eq!(auth(server.get("/api/subscriptions?state=sleeping")).await.status_code(), 422);

        let one: Value = auth(server.get(&format!("/api/subscriptions/{id}"))).await.json();
        assert_eq!(one["invoices"].as_array().unwrap().len(), 1);
        assert_eq!(one["invoices"][0]["period_start"], today.to_string());

        // Modify: bad input names its field and writes nothing; good input applies next.
        let bad = auth(server.put(&format!("/api/subscriptions/{id}")))
            .json(&json!({ "label": "Maintenance", "lines": [{ "description": "Forfait", "quantity": "1", "unit_price": "abc", "vat": "20" }] }))
            .await;
        assert_eq!(bad.status_code(), 422);
        assert_eq!(bad.json::<Value>()["error"]["fields"][0]["field"], "lines[0].unit_price");
        let body = json!({ "label": "Maintenance+", "payment_term_days": "10", "lines": [{ "description": "Forfait+", "quantity": "2", "unit": "MON", "unit_price": "75", "vat": "20" }] });
        let modified: Value = auth(server.put(&format!("/api/subscriptions/{id}"))).json(&body).await.json();
        assert_eq!(modified["total_cents"], 18_000);
        assert_eq!(modified["label"], "Maintenance+");
        auth(server.put(&format!("/api/subscriptions/{id}"))).json(&body).await;
        let subscription = subs::find(&ctx.db, s.company_id, &id).await.unwrap();
        assert_eq!(versions_of(&ctx, subscription.id).await.len(), 2, "a repeated PUT writes nothing");

        // Duplicate with an Idempotency-Key: created once, the retry gets the same copy.
        let later = (today + chrono::Days::new(3)).to_string();
        let first = auth(server.post(&format!("/api/subscriptions/{id}/duplicate"))).add_header("idempotency-key", "k-1").json(&json!({ "date": later })).await;
        assert_eq!(first.status_code(), 201);
        let retry = auth(server.post(&format!("/api/subscriptions/{id}/duplicate"))).add_header("idempotency-key", "k-1").json(&json!({ "date": later })).await;
        assert_eq!(retry.status_code(), 200);
        assert_eq!(first.json::<Value>()["id"], retry.json::<Value>()["id"]);
        assert_eq!(first.json::<Value>()["duplicated_from_id"], id);
        assert_eq!(first.json::<Value>()["total_cents"], 18_000);
        let past = auth(server.post(&format!("/api/subscriptions/{id}/duplicate"))).json(&json!({ "date": (today - chrono::Days::new(1)).to_string() })).await;
        assert_eq!(past.status_code(), 409);
        assert_eq!(past.json::<Value>()["error"]["code"], "start-date-past");

        // Stop: a malformed date is 422, a past one 409, then stopping today ends it.
        assert_eq!(auth(server.post(&format!("/api/subscriptions/{id}/stop"))).json(&json!({ "date": "31/12" })).await.status_code(), 422);
        let refused = auth(server.post(&format!("/api/subscriptions/{id}/stop"))).json(&json!({ "date": (today - chrono::Days::new(1)).to_string() })).await;
        assert_eq!(refused.status_code(), 409);
        assert_eq!(refused.json::<Value>()["error"]["code"], "stop-date-past");
        let stopped: Value = auth(server.post(&format!("/api/subscriptions/{id}/stop"))).json(&json!({ "date": (today + chrono::Days::new(1)).to_string() })).await.json();
        assert_eq!(stopped["status"], "stopping");
        assert_eq!(stopped["next_invoice_date"], Value::Null, "its next period starts after the stop");
        let modify_stopped = auth(server.put(&format!("/api/subscriptions/{id}"))).json(&body).await;
        assert_eq!(modify_stopped.status_code(), 409);
        assert_eq!(modify_stopped.json::<Value>()["error"]["code"], "subscription-stopped");
    })
    .await;
}
