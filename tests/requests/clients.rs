//! Vente > Comptes clients: create, edit, search, deactivate, delete, tenancy.

use encaisse::{
    domain::{client::ClientAccount, roles::Role},
    models::_entities::clients,
    services::clients as client_service,
    web::forms::ClientFields,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::support::*;

/// A valid client as a person would type it: spaces, dots, lowercase.
pub fn typed_client() -> Vec<(&'static str, &'static str)> {
    vec![
        ("legal_name", "Boulangerie Légère SARL"),
        ("siret", "542.051.180 00066"),
        ("vat_number", "fr 59 542051180"),
        ("customer_number", "c-0042"),
        ("billing_street", "1 rue du Four"),
        ("billing_postcode", "69001"),
        ("billing_city", "Lyon"),
        ("billing_country", "FR"),
        ("contact_name", "Léa Martin"),
        ("contact_email", "Lea@Boulangerie.fr"),
        ("contact_phone", "06 12 34 56 78"),
        ("notes", ""),
    ]
}

fn with(
    mut fields: Vec<(&'static str, &'static str)>,
    name: &'static str,
    value: &'static str,
) -> Vec<(&'static str, &'static str)> {
    fields.retain(|(k, _)| *k != name);
    fields.push((name, value));
    fields
}

/// Creates a client of `company_id` directly through the service.
pub async fn client_of(
    ctx: &loco_rs::app::AppContext,
    company_id: i64,
    legal_name: &str,
    siret: &str,
    vat: &str,
    customer_number: &str,
) -> clients::Model {
    let fields = ClientFields {
        legal_name: legal_name.into(),
        siret: siret.into(),
        vat_number: vat.into(),
        customer_number: customer_number.into(),
        billing_street: "3 avenue Foch".into(),
        billing_postcode: "75016".into(),
        billing_city: "Paris".into(),
        ..Default::default()
    };
    let account = ClientAccount::parse(&fields.input()).unwrap();
    client_service::create(ctx, company_id, &account, None)
        .await
        .unwrap()
        .client
}

async fn all_clients(ctx: &loco_rs::app::AppContext) -> Vec<clients::Model> {
    clients::Entity::find().all(&ctx.db).await.unwrap()
}

#[tokio::test]
async fn a_client_is_created_normalised_and_shown_formatted() {
    with_app(|server, ctx| async move {
        company_with_admin(&ctx, "Atelier Nord", "alice@nord.fr").await;
        log_in(&server, "alice@nord.fr", PASSWORD).await;
        assert!(server
            .get("/sales/clients")
            .await
            .html()
            .contains("Aucun client pour l'instant"));

        let created = post_form(&server, "/sales/clients", &typed_client()).await;
        assert_eq!(created.status_code(), 303);
        let stored = all_clients(&ctx).await;
        assert_eq!(stored.len(), 1);
        let client = &stored[0];
        assert_eq!(location(&created), format!("/sales/clients/{}", client.pid));
        assert_eq!(client.siret.as_deref(), Some("54205118000066"));
        assert_eq!(client.siren.as_deref(), Some("542051180"));
        assert_eq!(client.vat_number.as_deref(), Some("FR59542051180"));
        assert_eq!(client.customer_number.as_deref(), Some("C-0042"));
        assert_eq!(client.contact_email.as_deref(), Some("lea@boulangerie.fr"));
        assert_eq!(client.contact_phone.as_deref(), Some("+33612345678"));
        assert_eq!(client.delivery_street, None, "no delivery address typed");

        let page = server.get(&location(&created)).await.html();
        assert!(page.contains("Client créé."), "flash after the action");
        assert!(page.contains("542 051 180 00066"), "SIRET shown 3-3-3-5");
        assert!(page.contains("FR 59 542051180"));
        assert!(page.contains("+33 6 12 34 56 78"));
        assert!(page.contains("Total facturé") && page.contains("0,00"));
        for tab in ["invoices", "subscriptions"] {
            let tab_page = server
                .get(&format!("{}?tab={tab}", location(&created)))
                .await;
            assert_eq!(tab_page.status_code(), 200);
        }
    })
    .await;
}

#[tokio::test]
async fn each_bad_input_names_its_field_and_writes_nothing() {
    with_app(|server, ctx| async move {
        company_with_admin(&ctx, "Atelier Nord", "alice@nord.fr").await;
        log_in(&server, "alice@nord.fr", PASSWORD).await;
        let cases: &[(&str, &str, &str)] = &[
            ("legal_name", "  ", "Ce champ est obligatoire."),
            (
                "siret",
                "542 051 180 0006",
                "SIRET : 14 chiffres attendus, 13 saisis.",
            ),
            (
                "siret",
                "542 051 180 00067",
                "SIRET invalide : la clé de contrôle ne correspond pas",
            ),
            (
                "vat_number",
                "FR58542051180",
                "Clé de TVA incorrecte pour ce SIREN.",
            ),
            ("vat_number", "XX123456789", "Préfixe de pays inconnu"),
            (
                "vat_number",
                "DE136695977",
                "Numéro de TVA invalide : la clé de contrôle",
            ),
            ("vat_number", "FR89380129866", "correspond à un autre SIREN"),
            ("customer_number", "C 42", "N° client invalide"),
            (
                "billing_postcode",
                "6900",
                "Code postal invalide pour ce pays.",
            ),
            ("billing_country", "ZZ", "Pays inconnu."),
            ("contact_email", "lea@", "Adresse e-mail invalide"),
            ("contact_phone", "12 34", "Numéro de téléphone invalide"),
            ("delivery_city", "Lyon", "Ce champ est obligatoire."),
        ];
        for (field, value, message) in cases {
            let response = post_form(
                &server,
                "/sales/clients",
                &with(typed_client(), field, value),
            )
            .await;
            assert_eq!(response.status_code(), 422, "{field}={value}");
            let page = response.html();
            assert!(
                page.contains(message),
                "{field}={value}: expected «{message}»"
            );
            assert!(
                page.contains(&format!(
                    "id=\"{}-error\"",
                    if *field == "delivery_city" {
                        "delivery_street"
                    } else {
                        field
                    }
                )),
                "{field}: the message sits under its field"
            );
            // What was typed is kept in the form.
            assert!(page.contains("Boulangerie Légère SARL") || *field == "legal_name");
        }
        assert!(all_clients(&ctx).await.is_empty(), "nothing written");
    })
    .await;
}

#[tokio::test]
async fn editing_validates_the_same_way_and_keeps_the_client_on_error() {
    with_app(|server, ctx| async move {
        company_with_admin(&ctx, "Atelier Nord", "alice@nord.fr").await;
        log_in(&server, "alice@nord.fr", PASSWORD).await;
        let created = post_form(&server, "/sales/clients", &typed_client()).await;
        let path = location(&created);

        let form = server.get(&format!("{path}/edit")).await.html();
        assert!(
            form.contains("value=\"542 051 180 00066\""),
            "edit form shows the readable SIRET"
        );

        let bad = post_form(
            &server,
            &format!("{path}/edit"),
            &with(typed_client(), "siret", "1234"),
        )
        .await;
        assert_eq!(bad.status_code(), 422);
        assert!(bad
            .html()
            .contains("SIRET : 14 chiffres attendus, 4 saisis."));
        assert_eq!(
            all_clients(&ctx).await[0].siret.as_deref(),
            Some("54205118000066")
        );

        let renamed = with(
            with(typed_client(), "legal_name", "Boulangerie du Centre"),
            "siret",
            "",
        );
        let ok = post_form(&server, &format!("{path}/edit"), &renamed).await;
        assert_eq!(location(&ok), path);
        let client = &all_clients(&ctx).await[0];
        assert_eq!(client.legal_name, "Boulangerie du Centre");
        assert_eq!(client.siret, None);
        assert_eq!(
            client.siren.as_deref(),
            Some("542051180"),
            "SIREN still known from the VAT number"
        );
        assert!(server
            .get(&path)
            .await
            .html()
            .contains("Client enregistré."));
    })
    .await;
}

#[tokio::test]
async fn a_customer_number_is_unique_within_the_company_whatever_the_case() {
    with_app(|server, ctx| async move {
        let (company, _) = company_with_admin(&ctx, "Atelier Nord", "alice@nord.fr").await;
        let (other, _) = company_with_admin(&ctx, "Atelier Sud", "bob@sud.fr").await;
        client_of(&ctx, company.id, "Premier", "", "", "C-1").await;
        // Another seller may use the same number.
        client_of(&ctx, other.id, "Ailleurs", "", "", "C-1").await;
        log_in(&server, "alice@nord.fr", PASSWORD).await;

        let duplicate = post_form(
            &server,
            "/sales/clients",
            &with(typed_client(), "customer_number", "c-1"),
        )
        .await;
        assert_eq!(duplicate.status_code(), 422);
        assert!(duplicate.html().contains("Ce n° client est déjà utilisé"));

        let second = post_form(
            &server,
            "/sales/clients",
            &with(typed_client(), "customer_number", "C-2"),
        )
        .await;
        let path = location(&second);
        let edit = post_form(
            &server,
            &format!("{path}/edit"),
            &with(typed_client(), "customer_number", "C-1"),
        )
        .await;
        assert_eq!(edit.status_code(), 422);
        assert!(edit.html().contains("Ce n° client est déjà utilisé"));
        // Saving a client with its own number is fine.
        let same = post_form(
            &server,
            &format!("{path}/edit"),
            &with(typed_client(), "customer_number", "C-2"),
        )
        .await;
        assert_eq!(same.status_code(), 303);
    })
    .await;
}

#[tokio::test]
async fn the_directory_finds_clients_by_name_siren_siret_vat_and_customer_number() {
    with_app(|server, ctx| async move {
        let (company, _) = company_with_admin(&ctx, "Atelier Nord", "alice@nord.fr").await;
        client_of(
            &ctx,
            company.id,
            "Boulangerie Légère",
            "542 051 180 00066",
            "FR59542051180",
            "C-0042",
        )
        .await;
        client_of(
            &ctx,
            company.id,
            "Orange Business",
            "",
            "FR89380129866",
            "B-7",
        )
        .await;
        client_of(&ctx, company.id, "Air France", "420 495 178 00014", "", "").await;
        client_of(&ctx, company.id, "50% Design_Studio", "", "DE136695976", "").await;
        log_in(&server, "alice@nord.fr", PASSWORD).await;

        let cases: &[(&str, &[&str])] = &[
            ("légère", &["Boulangerie Légère"]),
            ("LEGERE", &["Boulangerie Légère"]),
            ("boul", &["Boulangerie Légère"]),
            ("542051180", &["Boulangerie Légère"]),
            ("542 051 180", &["Boulangerie Légère"]),
            ("542 051 180 00066", &["Boulangerie Légère"]),
            ("380129866", &["Orange Business"]),
            ("fr 89 380 129 866", &["Orange Business"]),
            ("DE1366", &["50% Design_Studio"]),
            ("c-00", &["Boulangerie Légère"]),
            ("b-7", &["Orange Business"]),
            ("42049517800014", &["Air France"]),
            ("50%", &["50% Design_Studio"]),
            ("_", &["50% Design_Studio"]),
            ("france", &["Air France"]),
        ];
        for (query, expected) in cases {
            let page = server
                .get("/sales/clients")
                .add_query_param("q", query)
                .await
                .html();
            for name in [
                "Boulangerie Légère",
                "Orange Business",
                "Air France",
                "50% Design_Studio",
            ] {
                let shown = page.contains(&format!(">{name}</a>"));
                assert_eq!(shown, expected.contains(&name), "q={query}: {name}");
            }
        }
        let none = server
            .get("/sales/clients")
            .add_query_param("q", "zzz")
            .await
            .html();
        assert!(none.contains("Aucun client ne correspond à « zzz »."));
    })
    .await;
}

#[tokio::test]
async fn the_directory_pages_and_sorts() {
    with_app(|server, ctx| async move {
        let (company, _) = company_with_admin(&ctx, "Atelier Nord", "alice@nord.fr").await;
        for i in 0..30 {
            client_of(
                &ctx,
                company.id,
                &format!("Client {i:02}"),
                "",
                "",
                &format!("N-{:02}", 29 - i),
            )
            .await;
        }
        log_in(&server, "alice@nord.fr", PASSWORD).await;
        let first = server.get("/sales/clients").await.html();
        assert!(first.contains("30 clients") && first.contains("Page 1 sur 2"));
        assert!(first.contains(">Client 00<") && !first.contains(">Client 25<"));
        let second = server
            .get("/sales/clients")
            .add_query_param("page", "2")
            .await
            .html();
        assert!(
            second.contains(">Client 25<")
                && second.contains(">Client 29<")
                && !second.contains(">Client 24<")
        );
        let descending = server
            .get("/sales/clients")
            .add_query_param("sort", "-name")
            .await
            .html();
        assert!(descending.find(">Client 29<").unwrap() < descending.find(">Client 28<").unwrap());
        let by_number = server
            .get("/sales/clients")
            .add_query_param("sort", "customer_number")
            .await
            .html();
        assert!(by_number.find(">Client 29<").unwrap() < by_number.find(">Client 28<").unwrap());
        // A page past the end still answers (empty), never an error.
        assert_eq!(
            server
                .get("/sales/clients")
                .add_query_param("page", "9")
                .await
                .status_code(),
            200
        );
    })
    .await;
}

#[tokio::test]
async fn deactivate_hides_a_client_and_reactivate_brings_it_back() {
    with_app(|server, ctx| async move {
        let (company, _) = company_with_admin(&ctx, "Atelier Nord", "alice@nord.fr").await;
        let client = client_of(&ctx, company.id, "Boulangerie Légère", "", "", "").await;
        add_user(&ctx, &company, "membre@nord.fr", Role::Member).await;
        // Members work on clients day to day.
        log_in(&server, "membre@nord.fr", PASSWORD).await;
        let path = format!("/sales/clients/{}", client.pid);
        let off = post_form(&server, &format!("{path}/deactivate"), &[]).await;
        assert_eq!(location(&off), path);
        assert!(server.get(&path).await.html().contains("Client désactivé."));
        assert!(!server
            .get("/sales/clients")
            .await
            .html()
            .contains(">Boulangerie Légère<"));
        let inactive = server
            .get("/sales/clients")
            .add_query_param("status", "inactive")
            .await
            .html();
        assert!(inactive.contains(">Boulangerie Légère<"));
        post_form(&server, &format!("{path}/reactivate"), &[]).await;
        assert!(server
            .get("/sales/clients")
            .await
            .html()
            .contains(">Boulangerie Légère<"));
    })
    .await;
}

#[tokio::test]
async fn delete_asks_for_confirmation_and_frees_the_customer_number() {
    with_app(|server, ctx| async move {
        let (company, _) = company_with_admin(&ctx, "Atelier Nord", "alice@nord.fr").await;
        let client = client_of(&ctx, company.id, "Boulangerie Légère", "", "", "C-1").await;
        log_in(&server, "alice@nord.fr", PASSWORD).await;
        let path = format!("/sales/clients/{}/delete", client.pid);
        let confirm = server.get(&path).await.html();
        assert!(confirm.contains("Supprimer Boulangerie Légère ?"));
        assert!(confirm.contains("Le n° client C-1 redeviendra disponible."));
        let unticked = post_form(&server, &path, &[]).await;
        assert_eq!(unticked.status_code(), 422);
        assert_eq!(all_clients(&ctx).await.len(), 1);
        let deleted = post_form(&server, &path, &[("confirm", "yes")]).await;
        assert_eq!(location(&deleted), "/sales/clients");
        assert!(all_clients(&ctx).await.is_empty());
        assert!(server
            .get("/sales/clients")
            .await
            .html()
            .contains("Client supprimé."));
        let reused = post_form(
            &server,
            "/sales/clients",
            &with(typed_client(), "customer_number", "C-1"),
        )
        .await;
        assert_eq!(reused.status_code(), 303, "the number is free again");
    })
    .await;
}

#[tokio::test]
async fn a_double_submitted_form_creates_one_client() {
    with_app(|server, ctx| async move {
        company_with_admin(&ctx, "Atelier Nord", "alice@nord.fr").await;
        log_in(&server, "alice@nord.fr", PASSWORD).await;
        let form = server.get("/sales/clients/new").await.html();
        let marker = "name=\"form_key\" value=\"";
        let start = form.find(marker).unwrap() + marker.len();
        let key = form[start..].split('"').next().unwrap().to_string();
        let fields = with(typed_client(), "form_key", Box::leak(key.into_boxed_str()));
        let first = post_form(&server, "/sales/clients", &fields).await;
        let second = post_form(&server, "/sales/clients", &fields).await;
        assert_eq!(location(&first), location(&second));
        assert_eq!(all_clients(&ctx).await.len(), 1);
        assert!(server
            .get(&location(&second))
            .await
            .html()
            .contains("déjà été créé"));
    })
    .await;
}

#[tokio::test]
async fn another_company_cannot_read_edit_search_or_delete_a_client() {
    with_app(|server, ctx| async move {
        let (company_a, _) = company_with_admin(&ctx, "Société A", "admin@a.fr").await;
        let client = client_of(
            &ctx,
            company_a.id,
            "Client Secret de A",
            "542 051 180 00066",
            "",
            "A-1",
        )
        .await;
        company_with_admin(&ctx, "Société B", "admin@b.fr").await;
        log_in(&server, "admin@b.fr", PASSWORD).await;

        let base = format!("/sales/clients/{}", client.pid);
        for path in [
            base.clone(),
            format!("{base}?tab=invoices"),
            format!("{base}/edit"),
            format!("{base}/delete"),
        ] {
            assert_eq!(server.get(&path).await.status_code(), 404, "GET {path}");
        }
        for (path, fields) in [
            (format!("{base}/edit"), typed_client()),
            (format!("{base}/deactivate"), vec![]),
            (format!("{base}/reactivate"), vec![]),
            (format!("{base}/delete"), vec![("confirm", "yes")]),
        ] {
            assert_eq!(
                post_form(&server, &path, &fields).await.status_code(),
                404,
                "POST {path}"
            );
        }
        for query in ["Secret", "542051180", "A-1"] {
            let page = server
                .get("/sales/clients")
                .add_query_param("q", query)
                .await
                .html();
            assert!(!page.contains("Client Secret de A"), "search {query}");
        }
        let untouched = clients::Entity::find()
            .filter(clients::Column::Pid.eq(client.pid))
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(untouched, client);
        assert_eq!(
            server.get("/sales/clients/not-a-uuid").await.status_code(),
            404
        );
    })
    .await;
}

#[tokio::test]
async fn a_client_with_documents_cannot_be_deleted_only_deactivated() {
    with_app(|server, ctx| async move {
        let (company, _) = company_with_admin(&ctx, "Atelier Nord", "alice@nord.fr").await;
        let client = client_of(&ctx, company.id, "Boulangerie Légère", "", "", "C-1").await;
        let draft = draft_for(&client.pid.to_string(), 1, paris_today(&ctx));
        encaisse::services::invoices::create_draft(&ctx, company.id, None, &draft, None)
            .await
            .unwrap();
        log_in(&server, "alice@nord.fr", PASSWORD).await;
        let path = format!("/sales/clients/{}", client.pid);
        let refused = post_form(&server, &format!("{path}/delete"), &[("confirm", "yes")]).await;
        assert_eq!(location(&refused), path);
        assert!(server
            .get(&path)
            .await
            .html()
            .contains("ne peut pas être supprimé"));
        assert_eq!(all_clients(&ctx).await.len(), 1);
        let api = client_service::delete(&ctx, company.id, &client.pid.to_string()).await;
        assert!(matches!(
            api,
            Err(encaisse::services::ServiceError::Refused(
                "client-has-documents"
            ))
        ));
    })
    .await;
}
