//! The JSON API: API keys, tenancy, validation codes, idempotency, the OpenAPI document.

use std::collections::BTreeSet;

use axum_test::TestServer;
use encaisse::{
    models::_entities::{api_keys, clients, companies, users},
    services::api_keys as keys,
};
use loco_rs::app::{AppContext, Hooks};
use sea_orm::EntityTrait;
use serde_json::{json, Value};

use crate::{requests::clients::client_of, support::*};

async fn key_for(ctx: &AppContext, company: &companies::Model, admin: &users::Model) -> String {
    keys::create(ctx, company.id, admin, "ERP", None)
        .await
        .unwrap()
        .1
        .unwrap()
}

fn bearer(key: &str) -> (axum::http::HeaderName, axum::http::HeaderValue) {
    (
        axum::http::header::AUTHORIZATION,
        axum::http::HeaderValue::from_str(&format!("Bearer {key}")).unwrap(),
    )
}

async fn get_json(server: &TestServer, key: &str, path: &str) -> (u16, Value) {
    let (name, value) = bearer(key);
    let response = server.get(path).add_header(name, value).await;
    (response.status_code().as_u16(), response.json())
}

fn client_body() -> Value {
    json!({
        "legal_name": "Boulangerie Légère SARL",
        "siret": "542 051 180 00066",
        "vat_number": "fr59 542 051 180",
        "customer_number": "c-0042",
        "billing_street": "1 rue du Four",
        "billing_postcode": "69001",
        "billing_city": "Lyon",
        "contact_email": "Lea@Boulangerie.fr"
    })
}

#[tokio::test]
async fn unknown_missing_and_revoked_keys_get_401() {
    with_app(|server, ctx| async move {
        let (nord, admin) = company_with_admin(&ctx, "Atelier Nord", "alice@nord.fr").await;
        let key = key_for(&ctx, &nord, &admin).await;
        assert_eq!(get_json(&server, &key, "/api/clients").await.0, 200);

        let missing = server.get("/api/clients").await;
        assert_eq!(missing.status_code(), 401);
        assert_eq!(missing.json::<Value>()["error"]["code"], "unauthorized");
        assert_eq!(missing.header("www-authenticate"), "Bearer");
        for wrong in ["enc_not-a-key", "nothing", &format!("{key}x")] {
            assert_eq!(
                get_json(&server, wrong, "/api/clients").await.0,
                401,
                "{wrong}"
            );
        }

        // Revoked from the settings page, with its confirmation step.
        log_in(&server, "alice@nord.fr", PASSWORD).await;
        let stored = api_keys::Entity::find()
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        let path = format!("/settings/api-keys/{}/revoke", stored.pid);
        assert_eq!(post_form(&server, &path, &[]).await.status_code(), 422);
        assert_eq!(get_json(&server, &key, "/api/clients").await.0, 200);
        let revoked = post_form(&server, &path, &[("confirm", "yes")]).await;
        assert_eq!(location(&revoked), "/settings/api-keys");
        let (status, body) = get_json(&server, &key, "/api/clients").await;
        assert_eq!(status, 401);
        assert_eq!(body["error"]["code"], "unauthorized");
    })
    .await;
}

#[tokio::test]
async fn a_key_is_shown_once_and_stored_hashed() {
    with_app(|server, ctx| async move {
        company_with_admin(&ctx, "Atelier Nord", "alice@nord.fr").await;
        log_in(&server, "alice@nord.fr", PASSWORD).await;
        let refused = post_form(&server, "/settings/api-keys", &[("name", " ")]).await;
        assert_eq!(refused.status_code(), 422);
        let created = post_form(
            &server,
            "/settings/api-keys",
            &[("name", "ERP compta"), ("form_key", "k1")],
        )
        .await;
        assert_eq!(created.status_code(), 200);
        assert_eq!(created.header("cache-control"), "no-store");
        let page = created.html();
        let start = page.find("enc_").unwrap();
        let secret: String = page[start..]
            .chars()
            .take_while(|c| !matches!(c, '<' | '"' | ' '))
            .collect();
        assert!(secret.len() > 40);
        let stored = api_keys::Entity::find().all(&ctx.db).await.unwrap();
        assert_eq!(stored.len(), 1);
        assert_ne!(stored[0].token_hash, secret, "only a hash is stored");
        assert!(secret.starts_with(&stored[0].prefix));
        // The list never shows it again.
        assert!(!server
            .get("/settings/api-keys")
            .await
            .html()
            .contains(&secret));
        // The same form submitted twice makes one key, and does not show it again.
        let again = post_form(
            &server,
            "/settings/api-keys",
            &[("name", "ERP compta"), ("form_key", "k1")],
        )
        .await;
        assert_eq!(location(&again), "/settings/api-keys");
        assert_eq!(
            api_keys::Entity::find().all(&ctx.db).await.unwrap().len(),
            1
        );
        let (status, _) = get_json(&server, &secret, "/api/clients").await;
        assert_eq!(status, 200);
    })
    .await;
}

#[tokio::test]
async fn create_get_update_and_search_through_the_api() {
    with_app(|server, ctx| async move {
        let (nord, admin) = company_with_admin(&ctx, "Atelier Nord", "alice@nord.fr").await;
        let key = key_for(&ctx, &nord, &admin).await;
        let (name, value) = bearer(&key);

        let created = server
            .post("/api/clients")
            .add_header(name.clone(), value.clone())
            .json(&client_body())
            .await;
        assert_eq!(created.status_code(), 201);
        let client: Value = created.json();
        assert_eq!(client["siret"], "54205118000066");
        assert_eq!(client["siren"], "542051180");
        assert_eq!(client["vat_number"], "FR59542051180");
        assert_eq!(client["customer_number"], "C-0042");
        assert_eq!(client["billing_country"], "FR");
        assert_eq!(client["contact_email"], "lea@boulangerie.fr");
        let id = client["id"].as_str().unwrap().to_string();

        let (status, fetched) = get_json(&server, &key, &format!("/api/clients/{id}")).await;
        assert_eq!(status, 200);
        assert_eq!(fetched, client);

        let mut changed = client_body();
        changed["legal_name"] = json!("Boulangerie du Centre");
        let updated = server
            .put(&format!("/api/clients/{id}"))
            .add_header(name.clone(), value.clone())
            .json(&changed)
            .await;
        assert_eq!(updated.status_code(), 200);
        assert_eq!(
            updated.json::<Value>()["legal_name"],
            "Boulangerie du Centre"
        );

        for query in ["centre", "542051180", "FR59", "c-00"] {
            let (_, page) = get_json(
                &server,
                &key,
                &format!("/api/clients?q={}", urlencoding::encode(query)),
            )
            .await;
            assert_eq!(page["total"], 1, "q={query}");
            assert_eq!(page["items"][0]["id"], id.as_str());
        }
        let (_, page) = get_json(&server, &key, "/api/clients?q=nothing-like-it").await;
        assert_eq!(page["total"], 0);
        assert_eq!(page["items"], json!([]));
    })
    .await;
}

#[tokio::test]
async fn invalid_input_gets_stable_codes_in_the_callers_language_and_writes_nothing() {
    with_app(|server, ctx| async move {
        let (nord, admin) = company_with_admin(&ctx, "Atelier Nord", "alice@nord.fr").await;
        let key = key_for(&ctx, &nord, &admin).await;
        let (name, value) = bearer(&key);
        let mut body = client_body();
        body["siret"] = json!("5420511800006");
        body["vat_number"] = json!("FR58542051180");
        body["billing_postcode"] = json!("6900");
        let refused = server
            .post("/api/clients")
            .add_header(name.clone(), value.clone())
            .json(&body)
            .await;
        assert_eq!(refused.status_code(), 422);
        let error: Value = refused.json();
        assert_eq!(error["error"]["code"], "invalid");
        let fields: BTreeSet<(String, String)> = error["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["field"].as_str().unwrap().into(),
                    f["code"].as_str().unwrap().into(),
                )
            })
            .collect();
        assert_eq!(
            fields,
            BTreeSet::from([
                ("siret".into(), "siret-length".into()),
                ("vat_number".into(), "vat-key".into()),
                ("billing_postcode".into(), "postcode-invalid".into()),
            ])
        );
        let siret_message = error["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == "siret")
            .unwrap()["message"]
            .clone();
        assert_eq!(siret_message, "SIRET : 14 chiffres attendus, 13 saisis.");

        let english = server
            .post("/api/clients")
            .add_header(name.clone(), value.clone())
            .add_header(
                axum::http::header::ACCEPT_LANGUAGE,
                axum::http::HeaderValue::from_static("en-GB,en;q=0.9"),
            )
            .json(&body)
            .await;
        let message = english.json::<Value>()["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == "siret")
            .unwrap()["message"]
            .clone();
        assert_eq!(message, "SIRET: 14 digits expected, 13 entered.");

        let malformed = server
            .post("/api/clients")
            .add_header(name.clone(), value.clone())
            .content_type("application/json")
            .bytes("{not json".into())
            .await;
        assert_eq!(malformed.status_code(), 400);
        assert_eq!(malformed.json::<Value>()["error"]["code"], "bad-request");
        assert!(clients::Entity::find()
            .all(&ctx.db)
            .await
            .unwrap()
            .is_empty());

        // Same duplicate rule as the pages.
        let first = server
            .post("/api/clients")
            .add_header(name.clone(), value.clone())
            .json(&client_body())
            .await;
        assert_eq!(first.status_code(), 201);
        let duplicate = server
            .post("/api/clients")
            .add_header(name, value)
            .json(&client_body())
            .await;
        assert_eq!(duplicate.status_code(), 422);
        assert_eq!(
            duplicate.json::<Value>()["error"]["fields"][0]["code"],
            "customer-number-taken"
        );
    })
    .await;
}

#[tokio::test]
async fn a_retried_creation_with_the_same_idempotency_key_creates_one_client() {
    with_app(|server, ctx| async move {
        let (nord, admin) = company_with_admin(&ctx, "Atelier Nord", "alice@nord.fr").await;
        let key = key_for(&ctx, &nord, &admin).await;
        let (name, value) = bearer(&key);
        let mut body = client_body();
        body["customer_number"] = json!("");
        let send = || {
            server
                .post("/api/clients")
                .add_header(name.clone(), value.clone())
                .add_header(
                    axum::http::HeaderName::from_static("idempotency-key"),
                    axum::http::HeaderValue::from_static("order-2026-0001"),
                )
                .json(&body)
        };
        let first = send().await;
        let retry = send().await;
        assert_eq!(first.status_code(), 201);
        assert_eq!(retry.status_code(), 200);
        assert_eq!(first.json::<Value>()["id"], retry.json::<Value>()["id"]);
        assert_eq!(clients::Entity::find().all(&ctx.db).await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_key_of_company_b_sees_none_of_company_a() {
    with_app(|server, ctx| async move {
        let (a, _) = company_with_admin(&ctx, "Société A", "admin@a.fr").await;
        let (b, admin_b) = company_with_admin(&ctx, "Société B", "admin@b.fr").await;
        let client = client_of(
            &ctx,
            a.id,
            "Client Secret de A",
            "542 051 180 00066",
            "",
            "A-1",
        )
        .await;
        let key_b = key_for(&ctx, &b, &admin_b).await;

        let (status, page) = get_json(&server, &key_b, "/api/clients?status=all").await;
        assert_eq!(status, 200);
        assert_eq!(page["total"], 0);
        for query in ["Secret", "542051180", "A-1"] {
            let (_, page) = get_json(&server, &key_b, &format!("/api/clients?q={query}")).await;
            assert_eq!(page["total"], 0, "q={query}");
        }
        let path = format!("/api/clients/{}", client.pid);
        let (status, body) = get_json(&server, &key_b, &path).await;
        assert_eq!(status, 404);
        assert_eq!(body["error"]["code"], "not-found");
        let (name, value) = bearer(&key_b);
        let put = server
            .put(&path)
            .add_header(name, value)
            .json(&client_body())
            .await;
        assert_eq!(put.status_code(), 404);
        let untouched = clients::Entity::find_by_id(client.id)
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(untouched, client);
    })
    .await;
}

/// Every `/api/` route of the router is in the OpenAPI document, and nothing else is.
#[tokio::test]
async fn the_openapi_document_lists_every_api_route() {
    with_app(|server, ctx| async move {
        let document: Value = server.get("/api/openapi.json").await.json();
        assert!(document["openapi"].as_str().unwrap().starts_with("3."));
        let documented: BTreeSet<(String, String)> = document["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, operations)| {
                operations
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(move |method| (method.to_uppercase(), path.clone()))
            })
            .collect();
        let routed: BTreeSet<(String, String)> = encaisse::app::App::routes(&ctx)
            .collect()
            .into_iter()
            .filter(|route| route.uri.starts_with("/api/"))
            .flat_map(|route| {
                route
                    .actions
                    .into_iter()
                    .map(move |method| (method.to_string(), route.uri.clone()))
            })
            .collect();
        assert!(routed.len() >= 5, "{routed:?}");
        assert_eq!(documented, routed);
        assert!(document["components"]["securitySchemes"]["api_key"].is_object());
        assert!(document["components"]["schemas"]["ApiErrorBody"].is_object());
    })
    .await;
}
