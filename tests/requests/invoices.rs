//! Vente > Factures: the wizard, the document page, credit notes, immutability through the
//! routes, tenancy, and the JSON API.

use axum_test::{
    multipart::{MultipartForm, Part},
    TestServer,
};
use encaisse::{
    jobs,
    models::_entities::{document_files, invoices, outbox_attachments, outbox_messages},
};
use loco_rs::app::AppContext;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};

use crate::support::*;

fn step1(client: &str) -> Vec<(&'static str, String)> {
    vec![
        ("label", "Refonte du site".into()),
        ("client", client.into()),
        ("line_description", "Maquettes".into()),
        ("line_quantity", "3".into()),
        ("line_unit", "DAY".into()),
        ("line_unit_price", "450".into()),
        ("line_vat", "20".into()),
        ("line_description", "Hébergement".into()),
        ("line_quantity", "1".into()),
        ("line_unit", "ANN".into()),
        ("line_unit_price", "120,50".into()),
        ("line_vat", "20".into()),
        ("line_description", String::new()),
        ("line_quantity", String::new()),
        ("line_unit", "C62".into()),
        ("line_unit_price", String::new()),
        ("line_vat", "20".into()),
        ("action", "next".into()),
    ]
}

/// Runs the wizard to the end and returns the invoice's page path.
async fn send_invoice(server: &TestServer, client: &str) -> String {
    let created = post_pairs(server, "/sales/invoices", &step1(client)).await;
    let preview = location(&created);
    assert!(preview.ends_with("/preview"), "{preview}");
    let base = preview.trim_end_matches("/preview").to_string();
    assert_eq!(server.get(&preview).await.status_code(), 200);
    assert_eq!(
        server.get(&format!("{base}/email")).await.status_code(),
        200
    );
    let sent = post_form(
        server,
        &format!("{base}/email"),
        &[
            ("subject", "Facture [numero]"),
            (
                "body",
                "Bonjour,\n\nVoici la facture [numero] de [montant].",
            ),
            ("action", "send"),
        ],
    )
    .await;
    assert_eq!(location(&sent), base);
    base
}

async fn invoice_at(ctx: &AppContext, path: &str) -> invoices::Model {
    let pid = uuid::Uuid::parse_str(path.rsplit('/').next().unwrap()).unwrap();
    invoices::Entity::find()
        .filter(invoices::Column::Pid.eq(pid))
        .one(&ctx.db)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn the_wizard_previews_then_sends_a_numbered_invoice_with_its_pdf() {
    with_app(|server, ctx| async move {
        let s = seller(&ctx, "Atelier Nord", "alice@nord.fr").await;
        log_in(&server, "alice@nord.fr", PASSWORD).await;
        let created = post_pairs(&server, "/sales/invoices", &step1(&s.client_pid)).await;
        let preview_path = location(&created);
        let preview = server.get(&preview_path).await.html();
        // 3 × 450 + 120,50 = 1 470,50 HT; TVA 294,10; TTC 1 764,60
        for expected in [
            "Brouillon",
            "1\u{202f}470,50\u{a0}€",
            "294,10\u{a0}€",
            "1\u{202f}764,60\u{a0}€",
            "Maquettes",
            "Indemnité forfaitaire pour frais de recouvrement : 40 €",
        ] {
            assert!(preview.contains(expected), "preview shows {expected}");
        }
        let base = preview_path.trim_end_matches("/preview").to_string();
        let email = server.get(&format!("{base}/email")).await.html();
        let year = paris_today(&ctx).format("%Y").to_string();
        assert!(
            email.contains(&format!("F-{year}-000001")),
            "the expected number is shown"
        );
        let sent = post_form(
            &server,
            &format!("{base}/email"),
            &[
                ("subject", "Facture [numero]"),
                ("body", "Bonjour [client]"),
                ("action", "send"),
            ],
        )
        .await;
        assert_eq!(location(&sent), base);
        let invoice = invoice_at(&ctx, &base).await;
        assert_eq!(invoice.number, Some(format!("F-{year}-000001")));
        assert_eq!(invoice.total_cents, 176_460);
        let page = server.get(&base).await.html();
        assert!(page.contains("Facture émise et envoyée au client."));

        jobs::drain(&ctx).await;
        let invoice = invoice_at(&ctx, &base).await;
        let stored = document_files::Entity::find_by_id(invoice.pdf_file_id.unwrap())
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        let download = server.get(&format!("{base}/pdf")).await;
        assert_eq!(download.header("content-type"), "application/pdf");
        assert_eq!(
            download.as_bytes().as_ref(),
            stored.content.as_slice(),
            "downloads return the stored bytes"
        );
        // The e-invoice exports, from the page that offers them.
        assert!(server
            .get(&base)
            .await
            .html()
            .contains(&format!("{base}/cii.xml")));
        let cii = server.get(&format!("{base}/cii.xml")).await;
        assert_eq!(cii.header("content-type"), "application/xml");
        assert!(cii
            .header("content-disposition")
            .to_str()
            .unwrap()
            .contains(&format!("Facture-F-{year}-000001.cii.xml")));
        assert!(cii
            .text()
            .contains(&format!("<ram:ID>F-{year}-000001</ram:ID>")));
        assert!(cii.text().contains("<ram:TypeCode>380</ram:TypeCode>"));
        let ubl = server.get(&format!("{base}/ubl.xml")).await;
        assert_eq!(ubl.header("content-type"), "application/xml");
        assert!(ubl
            .text()
            .contains("<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\""));
        assert!(ubl
            .text()
            .contains(&format!("<cbc:ID>F-{year}-000001</cbc:ID>")));
        let mail = outbox_messages::Entity::find()
            .filter(outbox_messages::Column::InvoiceId.eq(invoice.id))
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(mail.status, "sent");
        assert_eq!(mail.subject, format!("Facture F-{year}-000001"));
        assert!(mail.text_body.contains("Bonjour Boulangerie Légère"));
        let attached = encaisse::mail::attachments_of(&ctx.db, mail.id)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(
            attached.content, stored.content,
            "the e-mail carries the stored PDF"
        );
        // The development mailbox shows and serves those same bytes.
        let shown = server
            .get(&format!("/dev/mailbox/{}", mail.pid))
            .await
            .html();
        assert!(shown.contains(&attached.filename));
        let downloaded = server
            .get(&format!(
                "/dev/mailbox/{}/attachments/{}",
                mail.pid, attached.id
            ))
            .await;
        assert_eq!(downloaded.as_bytes().to_vec(), stored.content);
    })
    .await;
}

#[tokio::test]
async fn bad_lines_are_refused_on_their_row_and_nothing_is_written() {
    with_app(|server, ctx| async move {
        let s = seller(&ctx, "Atelier Nord", "alice@nord.fr").await;
        log_in(&server, "alice@nord.fr", PASSWORD).await;
        let mut fields = step1(&s.client_pid);
        fields[3] = ("line_quantity", "trois".into());
        fields[1] = ("client", String::new());
        let refused = post_pairs(&server, "/sales/invoices", &fields).await;
        assert_eq!(refused.status_code(), 422);
        let page = refused.html();
        assert!(page.contains("Nombre invalide"));
        assert!(page.contains("Choisissez un client."));
        assert!(page.contains("Maquettes"), "typed lines are kept");
        assert!(invoices::Entity::find()
            .all(&ctx.db)
            .await
            .unwrap()
            .is_empty());

        // Adding a row shows one more without saving anything.
        let mut add = step1(&s.client_pid);
        add.last_mut().unwrap().1 = "add_line".into();
        let more = post_pairs(&server, "/sales/invoices", &add).await;
        assert_eq!(more.status_code(), 200);
        assert_eq!(more.html().matches("name=\"line_description\"").count(), 4);
        assert!(invoices::Entity::find()
            .all(&ctx.db)
            .await
            .unwrap()
            .is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_double_submitted_step_one_makes_one_draft_and_drafts_resume_and_delete() {
    with_app(|server, ctx| async move {
        let s = seller(&ctx, "Atelier Nord", "alice@nord.fr").await;
        log_in(&server, "alice@nord.fr", PASSWORD).await;
        let mut fields = step1(&s.client_pid);
        fields.push(("form_key", "once".into()));
        let first = post_pairs(&server, "/sales/invoices", &fields).await;
        let second = post_pairs(&server, "/sales/invoices", &fields).await;
        assert_eq!(location(&first), location(&second));
        assert_eq!(
            invoices::Entity::find().all(&ctx.db).await.unwrap().len(),
            1
        );
        let base = location(&first).trim_end_matches("/preview").to_string();
        // Resuming goes back to the step the draft was at (pages only read; saving moves it).
        assert_eq!(
            location(&server.get(&base).await),
            format!("{base}/preview")
        );
        post_form(
            &server,
            &format!("{base}/email"),
            &[
                ("subject", "Facture [numero]"),
                ("body", "Bonjour"),
                ("action", "save"),
            ],
        )
        .await;
        assert_eq!(location(&server.get(&base).await), format!("{base}/email"));
        let list = server
            .get("/sales/invoices")
            .add_query_param("status", "draft")
            .await
            .html();
        assert!(list.contains("Refonte du site"));
        assert_eq!(
            post_form(&server, &format!("{base}/delete"), &[])
                .await
                .status_code(),
            422
        );
        let deleted = post_form(&server, &format!("{base}/delete"), &[("confirm", "yes")]).await;
        assert_eq!(location(&deleted), "/sales/invoices");
        assert!(invoices::Entity::find()
            .all(&ctx.db)
            .await
            .unwrap()
            .is_empty());
    })
    .await;
}

#[tokio::test]
async fn test_mode_sends_a_watermarked_unnumbered_pdf_to_the_seller_only() {
    with_app(|server, ctx| async move {
        let s = seller(&ctx, "Atelier Nord", "alice@nord.fr").await;
        log_in(&server, "alice@nord.fr", PASSWORD).await;
        let created = post_pairs(&server, "/sales/invoices", &step1(&s.client_pid)).await;
        let base = location(&created).trim_end_matches("/preview").to_string();
        let test = post_form(
            &server,
            &format!("{base}/email"),
            &[
                ("subject", "Facture [numero]"),
                ("body", "Bonjour"),
                ("action", "test"),
            ],
        )
        .await;
        assert_eq!(location(&test), format!("{base}/email"));
        let invoice = invoice_at(&ctx, &base).await;
        assert_eq!(invoice.status, "draft");
        assert_eq!(invoice.number, None, "a test is never numbered");
        jobs::drain(&ctx).await;
        assert!(
            mails_to(&ctx, "compta@boulangerie.fr").await.is_empty(),
            "the client gets nothing"
        );
        let mails = mails_to(&ctx, "alice@nord.fr").await;
        let test_mail = mails
            .iter()
            .find(|m| m.subject.starts_with("[TEST]"))
            .expect("a test e-mail");
        let pdf = outbox_attachments::Entity::find()
            .filter(outbox_attachments::Column::MessageId.eq(test_mail.id))
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        assert!(pdf.filename.starts_with("TEST-"));
        assert!(pdf_text(&pdf.content).contains("TEST — sans valeur légale"));
        // The numbering is untouched: the real issue gets number 1.
        let year = paris_today(&ctx).format("%Y").to_string();
        post_form(
            &server,
            &format!("{base}/email"),
            &[
                ("subject", "Facture [numero]"),
                ("body", "Bonjour"),
                ("action", "send"),
            ],
        )
        .await;
        assert_eq!(
            invoice_at(&ctx, &base).await.number,
            Some(format!("F-{year}-000001"))
        );
    })
    .await;
}

#[tokio::test]
async fn attachments_are_pdfs_checked_by_content_and_travel_with_the_invoice() {
    with_app(|server, ctx| async move {
        let s = seller(&ctx, "Atelier Nord", "alice@nord.fr").await;
        log_in(&server, "alice@nord.fr", PASSWORD).await;
        let created = post_pairs(&server, "/sales/invoices", &step1(&s.client_pid)).await;
        let base = location(&created).trim_end_matches("/preview").to_string();
        let upload = |bytes: Vec<u8>, name: &'static str| {
            let server = &server;
            let base = base.clone();
            async move {
                let token = csrf_token(server).await;
                server
                    .post(&format!("{base}/attachments?csrf_token={token}"))
                    .multipart(
                        MultipartForm::new()
                            .add_part("attachment", Part::bytes(bytes).file_name(name)),
                    )
                    .await
            }
        };
        let png = upload(include_bytes!("../fixtures/logo.png").to_vec(), "devis.pdf").await;
        assert!(server
            .get(&location(&png))
            .await
            .html()
            .contains("n'est pas un PDF valide"));
        let pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n".to_vec();
        let ok = upload(pdf.clone(), "devis signé.pdf").await;
        assert!(server
            .get(&location(&ok))
            .await
            .html()
            .contains("devis signé.pdf"));
        post_form(
            &server,
            &format!("{base}/email"),
            &[
                ("subject", "Facture [numero]"),
                ("body", "Bonjour"),
                ("action", "send"),
            ],
        )
        .await;
        jobs::drain(&ctx).await;
        let invoice = invoice_at(&ctx, &base).await;
        let mail = outbox_messages::Entity::find()
            .filter(outbox_messages::Column::InvoiceId.eq(invoice.id))
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        let files: Vec<String> = outbox_attachments::Entity::find()
            .filter(outbox_attachments::Column::MessageId.eq(mail.id))
            .order_by_asc(outbox_attachments::Column::Id)
            .all(&ctx.db)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.filename)
            .collect();
        assert_eq!(files.len(), 2);
        assert_eq!(files[1], "devis signé.pdf");
        // Issued: attachments are frozen too.
        let late = upload(pdf, "late.pdf").await;
        assert!(server
            .get(&location(&late))
            .await
            .html()
            .contains("ne peut être ni modifiée"));
    })
    .await;
}

#[tokio::test]
async fn resend_asks_first_and_sends_the_same_pdf_bytes() {
    with_app(|server, ctx| async move {
        let s = seller(&ctx, "Atelier Nord", "alice@nord.fr").await;
        log_in(&server, "alice@nord.fr", PASSWORD).await;
        let base = send_invoice(&server, &s.client_pid).await;
        jobs::drain(&ctx).await;
        assert_eq!(
            post_form(&server, &format!("{base}/resend"), &[])
                .await
                .status_code(),
            422
        );
        let once = [("confirm", "yes"), ("form_key", "once")];
        let resent = post_form(&server, &format!("{base}/resend"), &once).await;
        assert_eq!(location(&resent), base);
        // The confirmation submitted twice sends one e-mail.
        post_form(&server, &format!("{base}/resend"), &once).await;
        jobs::drain(&ctx).await;
        let invoice = invoice_at(&ctx, &base).await;
        let stored = document_files::Entity::find_by_id(invoice.pdf_file_id.unwrap())
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        let mails = outbox_messages::Entity::find()
            .filter(outbox_messages::Column::InvoiceId.eq(invoice.id))
            .all(&ctx.db)
            .await
            .unwrap();
        assert_eq!(mails.len(), 2);
        for mail in mails {
            assert_eq!(mail.status, "sent");
            let pdf = encaisse::mail::attachments_of(&ctx.db, mail.id)
                .await
                .unwrap()
                .remove(0);
            assert_eq!(pdf.content, stored.content);
        }
        assert!(server
            .get(&base)
            .await
            .html()
            .contains("Renvoyée par e-mail"));
    })
    .await;
}

#[tokio::test]
async fn cancelling_needs_the_box_a_preview_then_creates_the_credit_note() {
    with_app(|server, ctx| async move {
        let s = seller(&ctx, "Atelier Nord", "alice@nord.fr").await;
        log_in(&server, "alice@nord.fr", PASSWORD).await;
        let base = send_invoice(&server, &s.client_pid).await;
        let path = format!("{base}/credit-note");
        let unticked =
            post_form(&server, &path, &[("mode", "cancel"), ("action", "preview")]).await;
        assert_eq!(unticked.status_code(), 422);
        let preview = post_form(
            &server,
            &path,
            &[
                ("mode", "cancel"),
                ("confirm", "yes"),
                ("action", "preview"),
            ],
        )
        .await;
        let page = preview.html();
        assert!(
            page.contains("Aperçu de l'avoir")
                && page.contains("1\u{202f}764,60\u{a0}€")
                && page.contains("La facture sera annulée.")
        );
        assert!(
            invoices::Entity::find()
                .filter(invoices::Column::Kind.eq("credit_note"))
                .all(&ctx.db)
                .await
                .unwrap()
                .is_empty(),
            "a preview writes nothing"
        );
        let created = post_form(
            &server,
            &path,
            &[
                ("mode", "cancel"),
                ("confirm", "yes"),
                ("action", "create"),
                ("form_key", "k"),
            ],
        )
        .await;
        let note_path = location(&created);
        let note = invoice_at(&ctx, &note_path).await;
        let year = paris_today(&ctx).format("%Y").to_string();
        assert_eq!(note.number, Some(format!("AV-{year}-000001")));
        assert_eq!(invoice_at(&ctx, &base).await.status, "cancelled");
        let note_page = server.get(&note_path).await.html();
        assert!(note_page.contains(&format!("Avoir sur la facture n° F-{year}-000001")));
        // The client page shows both documents, and nothing left to pay.
        let client = server
            .get(&format!("/sales/clients/{}?tab=invoices", s.client_pid))
            .await
            .html();
        assert!(
            client.contains(&format!("F-{year}-000001"))
                && client.contains(&format!("AV-{year}-000001"))
        );
        let info = server
            .get(&format!("/sales/clients/{}", s.client_pid))
            .await
            .html();
        assert!(info.contains("Aucune facture en attente."));

        // A partial credit note on another invoice, by amount.
        let other = send_invoice(&server, &s.client_pid).await;
        let partial = post_form(
            &server,
            &format!("{other}/credit-note"),
            &[
                ("mode", "amount"),
                ("amount", "100"),
                ("vat", "20"),
                ("action", "create"),
            ],
        )
        .await;
        let partial_note = invoice_at(&ctx, &location(&partial)).await;
        assert_eq!(partial_note.total_cents, 12_000);
        assert_eq!(invoice_at(&ctx, &other).await.status, "issued");
        let too_much = post_form(
            &server,
            &format!("{other}/credit-note"),
            &[
                ("mode", "amount"),
                ("amount", "5000"),
                ("vat", "20"),
                ("action", "create"),
            ],
        )
        .await;
        assert_eq!(too_much.status_code(), 422);
        assert!(too_much.html().contains("dépasse ce qui reste à créditer"));
    })
    .await;
}

#[tokio::test]
async fn no_route_changes_an_issued_invoice() {
    with_app(|server, ctx| async move {
        let s = seller(&ctx, "Atelier Nord", "alice@nord.fr").await;
        log_in(&server, "alice@nord.fr", PASSWORD).await;
        let base = send_invoice(&server, &s.client_pid).await;
        let before = invoice_at(&ctx, &base).await;
        let mut fields = step1(&s.client_pid);
        fields[0] = ("label", "Changé".into());
        let edit = post_pairs(&server, &format!("{base}/edit"), &fields).await;
        assert_eq!(location(&edit), base);
        assert!(server.get(&base).await.html().contains("déjà émise"));
        assert_eq!(location(&server.get(&format!("{base}/edit")).await), base);
        let delete = post_form(&server, &format!("{base}/delete"), &[("confirm", "yes")]).await;
        assert_eq!(location(&delete), base);
        let resend_email_step = post_form(
            &server,
            &format!("{base}/email"),
            &[("subject", "x"), ("body", "y"), ("action", "send")],
        )
        .await;
        assert_eq!(location(&resend_email_step), base);
        let template =
            post_form(&server, &format!("{base}/template"), &[("name", "Mensuel")]).await;
        assert_eq!(
            location(&template),
            base,
            "saving a template reads, never writes the invoice"
        );
        let after = invoice_at(&ctx, &base).await;
        assert_eq!(after.label, before.label);
        assert_eq!(after.document_json, before.document_json);
        assert_eq!(after.total_cents, before.total_cents);
        assert_eq!(after.updated_at, before.updated_at);

        // Once a number is taken the numbering format is fixed.
        let mut profile = crate::requests::company_settings::typed_profile();
        profile.retain(|(k, _)| !matches!(*k, "invoice_prefix" | "siret" | "vat_number"));
        profile.extend([
            ("invoice_prefix", "FAC"),
            ("siret", "732 829 320 00074"),
            ("vat_number", "FR44732829320"),
        ]);
        let locked = post_form(&server, "/settings/company", &profile).await;
        assert_eq!(locked.status_code(), 422);
        assert!(locked
            .html()
            .contains("le format de numérotation ne peut plus changer"));
    })
    .await;
}

#[tokio::test]
async fn templates_start_new_invoices() {
    with_app(|server, ctx| async move {
        let s = seller(&ctx, "Atelier Nord", "alice@nord.fr").await;
        log_in(&server, "alice@nord.fr", PASSWORD).await;
        let base = send_invoice(&server, &s.client_pid).await;
        post_form(
            &server,
            &format!("{base}/template"),
            &[("name", "Refonte standard")],
        )
        .await;
        let new_page = server.get("/sales/invoices/new").await.html();
        assert!(new_page.contains("Refonte standard — Boulangerie Légère"));
        let template = encaisse::models::_entities::invoice_templates::Entity::find()
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        let prefilled = server
            .get("/sales/invoices/new")
            .add_query_param("template", template.pid.to_string())
            .await
            .html();
        assert!(prefilled.contains("Maquettes") && prefilled.contains("value=\"120,5\""));
        assert!(prefilled.contains(&format!("value=\"{}\" selected", s.client_pid)));
    })
    .await;
}

#[tokio::test]
async fn the_list_filters_searches_and_sums_the_selection() {
    with_app(|server, ctx| async move {
        let s = seller(&ctx, "Atelier Nord", "alice@nord.fr").await;
        log_in(&server, "alice@nord.fr", PASSWORD).await;
        let first = send_invoice(&server, &s.client_pid).await;
        send_invoice(&server, &s.client_pid).await;
        post_pairs(&server, "/sales/invoices", &step1(&s.client_pid)).await;
        let year = paris_today(&ctx).format("%Y").to_string();
        let all = server.get("/sales/invoices").await.html();
        assert!(all.contains("3 documents"));
        assert!(
            all.contains("3\u{202f}529,20\u{a0}€"),
            "sum of the selection"
        );
        let issued = server
            .get("/sales/invoices")
            .add_query_param("status", "issued")
            .await
            .html();
        assert!(issued.contains("2 documents"));
        let by_number = server
            .get("/sales/invoices")
            .add_query_param("q", "000002")
            .await
            .html();
        assert!(
            by_number.contains("1 document") && by_number.contains(&format!("F-{year}-000002"))
        );
        assert!(server
            .get("/sales/invoices")
            .add_query_param("status", "overdue")
            .await
            .html()
            .contains("Aucune facture ne correspond."));
        // 31 days later both issued invoices are overdue (derived, never stored).
        encaisse::clock::of(&ctx).advance(chrono::Duration::days(31));
        log_in(&server, "alice@nord.fr", PASSWORD).await;
        let overdue = server
            .get("/sales/invoices")
            .add_query_param("status", "overdue")
            .await
            .html();
        assert!(overdue.contains("2 documents") && overdue.contains("En retard"));
        assert_eq!(invoice_at(&ctx, &first).await.status, "issued");
    })
    .await;
}

#[tokio::test]
async fn another_company_gets_404_on_every_invoice_route() {
    with_app(|server, ctx| async move {
        let a = seller(&ctx, "Société A", "admin@a.fr").await;
        seller(&ctx, "Société B", "admin@b.fr").await;
        log_in(&server, "admin@a.fr", PASSWORD).await;
        let issued = send_invoice(&server, &a.client_pid).await;
        let draft = location(&post_pairs(&server, "/sales/invoices", &step1(&a.client_pid)).await)
            .trim_end_matches("/preview")
            .to_string();
        jobs::drain(&ctx).await;
        log_out(&server).await;
        log_in(&server, "admin@b.fr", PASSWORD).await;
        for base in [&issued, &draft] {
            for suffix in [
                "",
                "/pdf",
                "/cii.xml",
                "/ubl.xml",
                "/edit",
                "/preview",
                "/preview.pdf",
                "/email",
                "/delete",
                "/resend",
                "/credit-note",
            ] {
                assert_eq!(
                    server.get(&format!("{base}{suffix}")).await.status_code(),
                    404,
                    "GET {base}{suffix}"
                );
            }
            for (suffix, fields) in [
                ("/edit", vec![("label", "x")]),
                (
                    "/email",
                    vec![("subject", "x"), ("body", "y"), ("action", "send")],
                ),
                ("/delete", vec![("confirm", "yes")]),
                ("/resend", vec![("confirm", "yes")]),
                (
                    "/credit-note",
                    vec![("mode", "cancel"), ("confirm", "yes"), ("action", "create")],
                ),
                ("/template", vec![("name", "x")]),
            ] {
                assert_eq!(
                    post_form(&server, &format!("{base}{suffix}"), &fields)
                        .await
                        .status_code(),
                    404,
                    "POST {base}{suffix}"
                );
            }
        }
        let list = server.get("/sales/invoices").await.html();
        assert!(!list.contains("Refonte du site"));
        assert_eq!(invoice_at(&ctx, &issued).await.status, "issued");
        assert_eq!(invoice_at(&ctx, &draft).await.status, "draft");
        let _ = a.company_id;
    })
    .await;
}

#[tokio::test]
async fn the_api_creates_issues_reads_and_credits_invoices() {
    with_app(|server, ctx| async move {
        let s = seller(&ctx, "Atelier Nord", "alice@nord.fr").await;
        let admin = user_by_email(&ctx, "alice@nord.fr").await.unwrap();
        let (_, key) = encaisse::services::api_keys::create(&ctx, s.company_id, &admin, "ERP", None).await.unwrap();
        let key = key.unwrap();
        let auth = |r: axum_test::TestRequest| r.authorization_bearer(key.clone());
        let body = json!({
            "label": "Maintenance",
            "client_id": s.client_pid,
            "lines": [{ "description": "Forfait", "quantity": "1", "unit": "MON", "unit_price": "99.90", "vat": "20" }]
        });
        let created = auth(server.post("/api/invoices")).json(&body).await;
        assert_eq!(created.status_code(), 201);
        let draft: Value = created.json();
        assert_eq!(draft["status"], "draft");
        assert_eq!(draft["number"], Value::Null);
        assert_eq!(draft["total_cents"], 11_988);
        let id = draft["id"].as_str().unwrap().to_string();

        let bad = auth(server.post("/api/invoices")).json(&json!({ "label": "x", "client_id": s.client_pid, "lines": [{ "description": "a", "quantity": "0", "unit_price": "1" }] })).await;
        assert_eq!(bad.status_code(), 422);
        assert_eq!(bad.json::<Value>()["error"]["fields"][0]["field"], "lines[0].quantity");

        let pending = auth(server.get(&format!("/api/invoices/{id}/pdf"))).await;
        assert_eq!(pending.status_code(), 409);
        for export in ["cii", "ubl"] {
            let draft_export = auth(server.get(&format!("/api/invoices/{id}/{export}"))).await;
            assert_eq!(draft_export.status_code(), 409, "a draft is no e-invoice");
            assert_eq!(draft_export.json::<Value>()["error"]["code"], "invoice-not-issued");
        }
        let issued: Value = auth(server.post(&format!("/api/invoices/{id}/issue"))).await.json();
        let year = paris_today(&ctx).format("%Y").to_string();
        assert_eq!(issued["number"], format!("F-{year}-000001"));
        assert_eq!(issued["status"], "issued");
        let again: Value = auth(server.post(&format!("/api/invoices/{id}/issue"))).await.json();
        assert_eq!(again["number"], issued["number"], "issuing twice changes nothing");

        jobs::drain(&ctx).await;
        let pdf = auth(server.get(&format!("/api/invoices/{id}/pdf"))).await;
        assert_eq!(pdf.status_code(), 200);
        assert!(pdf.as_bytes().starts_with(b"%PDF-1.7"), "a Factur-X PDF (PDF/A-3)");
        let cii = auth(server.get(&format!("/api/invoices/{id}/cii"))).await;
        assert_eq!(cii.status_code(), 200);
        assert!(cii.text().contains("<ram:GrandTotalAmount>119.88</ram:GrandTotalAmount>"));
        let ubl = auth(server.get(&format!("/api/invoices/{id}/ubl"))).await;
        assert_eq!(ubl.status_code(), 200);
        assert!(ubl.text().contains("<cbc:PayableAmount currencyID=\"EUR\">119.88</cbc:PayableAmount>"));
        let found: Value = auth(server.get("/api/invoices")).add_query_param("q", "000001").await.json();
        assert_eq!(found["total"], 1);
        assert_eq!(found["items"][0]["id"], id.as_str());

        let credit = auth(server.post(&format!("/api/invoices/{id}/credit-notes"))).json(&json!({ "mode": "cancel" })).await;
        assert_eq!(credit.status_code(), 201);
        let credit: Value = credit.json();
        assert_eq!(credit["kind"], "credit_note");
        assert_eq!(credit["number"], format!("AV-{year}-000001"));
        assert_eq!(credit["corrects_id"], id.as_str());
        let credit_id = credit["id"].as_str().unwrap();
        let credit_cii = auth(server.get(&format!("/api/invoices/{credit_id}/cii"))).await.text();
        assert!(credit_cii.contains("<ram:TypeCode>381</ram:TypeCode>"));
        assert!(credit_cii.contains(&format!("<ram:IssuerAssignedID>F-{year}-000001</ram:IssuerAssignedID>")), "BT-25, the invoice it corrects");
        let credit_ubl = auth(server.get(&format!("/api/invoices/{credit_id}/ubl"))).await.text();
        assert!(credit_ubl.contains("<CreditNote xmlns="));
        let cancelled: Value = auth(server.get(&format!("/api/invoices/{id}"))).await.json();
        assert_eq!(cancelled["status"], "cancelled");
        let refused = auth(server.post(&format!("/api/invoices/{id}/credit-notes"))).json(&json!({ "mode": "cancel" })).await;
        assert_eq!(refused.status_code(), 409);
        assert_eq!(refused.json::<Value>()["error"]["code"], "invoice-cancelled");

        // Another company's key sees none of it.
        let (b, b_admin) = company_with_admin(&ctx, "Société B", "admin@b.fr").await;
        let (_, b_key) = encaisse::services::api_keys::create(&ctx, b.id, &b_admin, "ERP", None).await.unwrap();
        let b_key = b_key.unwrap();
        for path in [
            format!("/api/invoices/{id}"),
            format!("/api/invoices/{id}/pdf"),
            format!("/api/invoices/{id}/cii"),
            format!("/api/invoices/{id}/ubl"),
        ] {
            assert_eq!(server.get(&path).authorization_bearer(b_key.clone()).await.status_code(), 404, "{path}");
        }
        assert_eq!(server.post(&format!("/api/invoices/{id}/issue")).authorization_bearer(b_key.clone()).await.status_code(), 404);
        assert_eq!(server.post(&format!("/api/invoices/{id}/credit-notes")).authorization_bearer(b_key.clone()).json(&json!({})).await.status_code(), 404);
        let b_list: Value = server.get("/api/invoices").authorization_bearer(b_key).await.json();
        assert_eq!(b_list["total"], 0);
    })
    .await;
}
