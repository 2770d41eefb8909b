//! Paramètres > Entreprise: admins only, validated, normalised; the logo checked by content.

use axum_test::multipart::{MultipartForm, Part};
use encaisse::{domain::roles::Role, models::_entities::companies};
use sea_orm::EntityTrait;

use crate::support::*;

const LOGO: &[u8] = include_bytes!("../fixtures/logo.png");

pub fn typed_profile() -> Vec<(&'static str, &'static str)> {
    vec![
        ("legal_name", "Atelier Nord SARL"),
        ("legal_form", "sarl"),
        ("siret", "542 051 180 00066"),
        ("vat_regime", "registered"),
        ("vat_number", "fr59542051180"),
        ("registration", "RCS  Nanterre"),
        ("share_capital", "10 000,00"),
        ("address_street", "2 place Jean Millier"),
        ("address_postcode", "92400"),
        ("address_city", "Courbevoie"),
        ("address_country", "FR"),
        ("contact_email", "Compta@Nord.fr"),
        ("contact_phone", "01 23 45 67 89"),
        ("invoice_prefix", "fac"),
        ("credit_note_prefix", "av"),
        ("yearly_reset", "on"),
        ("payment_term_days", "45"),
        ("late_penalty_rate", "12,15"),
        ("bank_holder", ""),
        ("bank_iban", "fr76 3000 6000 0112 3456 7890 189"),
        ("bank_bic", "bnpafrpp"),
    ]
}

async fn company(ctx: &loco_rs::app::AppContext, id: i64) -> companies::Model {
    companies::Entity::find_by_id(id)
        .one(&ctx.db)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn members_cannot_open_or_change_the_company_profile() {
    with_app(|server, ctx| async move {
        let (nord, _) = company_with_admin(&ctx, "Atelier Nord", "alice@nord.fr").await;
        add_user(&ctx, &nord, "membre@nord.fr", Role::Member).await;
        log_in(&server, "membre@nord.fr", PASSWORD).await;
        let page = server.get("/settings/company").await;
        assert_eq!(page.status_code(), 403);
        assert!(page.html().contains("Accès refusé"));
        assert_eq!(
            post_form(&server, "/settings/company", &typed_profile())
                .await
                .status_code(),
            403
        );
        assert_eq!(company(&ctx, nord.id).await.siret, None);
        let logo = server
            .post(&format!(
                "/settings/company/logo?csrf_token={}",
                csrf_token(&server).await
            ))
            .multipart(
                MultipartForm::new()
                    .add_part("logo", Part::bytes(LOGO.to_vec()).file_name("logo.png")),
            )
            .await;
        assert_eq!(logo.status_code(), 403);
        assert_eq!(server.get("/settings/api-keys").await.status_code(), 403);
    })
    .await;
}

#[tokio::test]
async fn an_admin_saves_a_normalised_profile() {
    with_app(|server, ctx| async move {
        let (nord, _) = company_with_admin(&ctx, "Atelier Nord", "alice@nord.fr").await;
        log_in(&server, "alice@nord.fr", PASSWORD).await;
        let empty = server.get("/settings/company").await.html();
        assert!(empty.contains("Complétez le profil"));
        let saved = post_form(&server, "/settings/company", &typed_profile()).await;
        assert_eq!(location(&saved), "/settings/company");
        let stored = company(&ctx, nord.id).await;
        assert_eq!(stored.legal_name, "Atelier Nord SARL");
        assert_eq!(stored.siret.as_deref(), Some("54205118000066"));
        assert_eq!(stored.vat_number.as_deref(), Some("FR59542051180"));
        assert_eq!(stored.registration.as_deref(), Some("RCS Nanterre"));
        assert_eq!(stored.share_capital_cents, Some(1_000_000));
        assert_eq!(stored.contact_email.as_deref(), Some("compta@nord.fr"));
        assert_eq!(stored.contact_phone.as_deref(), Some("+33123456789"));
        assert_eq!(stored.invoice_prefix, "FAC");
        assert_eq!(stored.credit_note_prefix, "AV");
        assert!(stored.numbering_yearly_reset);
        assert!(!stored.vat_on_debits);
        assert_eq!(stored.payment_term_days, 45);
        assert_eq!(stored.late_penalty_rate_bp, Some(1215));
        assert_eq!(
            stored.bank_iban.as_deref(),
            Some("FR7630006000011234567890189")
        );
        assert_eq!(stored.bank_bic.as_deref(), Some("BNPAFRPP"));
        assert_eq!(stored.bank_holder.as_deref(), Some("Atelier Nord SARL"));

        let page = server.get("/settings/company").await.html();
        assert!(page.contains("Profil de l'entreprise enregistré."));
        assert!(!page.contains("Complétez le profil"));
        assert!(page.contains("value=\"542 051 180 00066\""));
        assert!(page.contains("value=\"FR76 3000 6000 0112 3456 7890 189\""));
        assert!(page.contains("value=\"12,15\""));
        assert!(page.contains("value=\"10000,00\""));

        // Franchise en base: no VAT number needed; unticking a box is saved too.
        let mut franchise = typed_profile();
        franchise.retain(|(k, _)| !matches!(*k, "vat_number" | "yearly_reset" | "vat_regime"));
        franchise.push(("vat_regime", "franchise"));
        post_form(&server, "/settings/company", &franchise).await;
        let stored = company(&ctx, nord.id).await;
        assert_eq!(stored.vat_regime, "franchise");
        assert_eq!(stored.vat_number, None);
        assert!(!stored.numbering_yearly_reset);
    })
    .await;
}

#[tokio::test]
async fn a_wrong_profile_is_refused_field_by_field_and_nothing_changes() {
    with_app(|server, ctx| async move {
        let (nord, _) = company_with_admin(&ctx, "Atelier Nord", "alice@nord.fr").await;
        log_in(&server, "alice@nord.fr", PASSWORD).await;
        let mut bad = typed_profile();
        for (field, value) in [
            ("siret", "542 051 180 0006"),
            ("vat_number", "FR58542051180"),
            ("payment_term_days", "90"),
            ("credit_note_prefix", "FAC"),
            ("bank_iban", "FR76 3000 6000 0112 3456 7890 188"),
        ] {
            bad.retain(|(k, _)| *k != field);
            bad.push((field, value));
        }
        let response = post_form(&server, "/settings/company", &bad).await;
        assert_eq!(response.status_code(), 422);
        let page = response.html();
        for message in [
            "SIRET : 14 chiffres attendus, 13 saisis.",
            "Clé de TVA incorrecte pour ce SIREN.",
            "60 jours au plus",
            "préfixe différent",
            "IBAN invalide",
        ] {
            assert!(page.contains(message), "{message}");
        }
        assert!(
            page.contains("value=\"Atelier Nord SARL\""),
            "typed values kept"
        );
        let stored = company(&ctx, nord.id).await;
        assert_eq!(stored.legal_name, "Atelier Nord");
        assert_eq!(stored.siret, None);
    })
    .await;
}

#[tokio::test]
async fn the_logo_is_checked_by_content_served_to_the_company_and_removed_after_confirmation() {
    with_app(|server, ctx| async move {
        company_with_admin(&ctx, "Atelier Nord", "alice@nord.fr").await;
        log_in(&server, "alice@nord.fr", PASSWORD).await;
        let upload = |bytes: Vec<u8>, name: &'static str| {
            let server = &server;
            async move {
                let token = csrf_token(server).await;
                server
                    .post(&format!("/settings/company/logo?csrf_token={token}"))
                    .multipart(MultipartForm::new().add_part(
                        "logo",
                        Part::bytes(bytes).file_name(name).mime_type("image/png"),
                    ))
                    .await
            }
        };
        // A PDF named .png with an image type is still a PDF.
        let fake = upload(b"%PDF-1.7\n%fake".to_vec(), "logo.png").await;
        assert_eq!(fake.status_code(), 422);
        assert!(fake.html().contains("n'est pas une image PNG ou JPEG"));
        assert_eq!(
            server.get("/settings/company/logo").await.status_code(),
            404
        );

        let ok = upload(LOGO.to_vec(), "logo.png").await;
        assert_eq!(location(&ok), "/settings/company");
        let served = server.get("/settings/company/logo").await;
        assert_eq!(served.status_code(), 200);
        assert_eq!(served.header("content-type"), "image/png");
        assert_eq!(served.as_bytes().as_ref(), LOGO);

        // Without the CSRF token in the action URL the upload is refused.
        let no_token = server
            .post("/settings/company/logo")
            .multipart(
                MultipartForm::new()
                    .add_part("logo", Part::bytes(LOGO.to_vec()).file_name("x.png")),
            )
            .await;
        assert_eq!(no_token.status_code(), 403);

        let unconfirmed = post_form(&server, "/settings/company/logo/remove", &[]).await;
        assert_eq!(unconfirmed.status_code(), 422);
        assert_eq!(
            server.get("/settings/company/logo").await.status_code(),
            200
        );
        post_form(
            &server,
            "/settings/company/logo/remove",
            &[("confirm", "yes")],
        )
        .await;
        assert_eq!(
            server.get("/settings/company/logo").await.status_code(),
            404
        );
    })
    .await;
}
