//! Issuing: gapless numbering under concurrency, failures that leave no gap, immutability
//! enforced by the database, the e-mail carrying the stored PDF.

use encaisse::{
    domain::invoice::Status,
    jobs,
    models::_entities::{document_files, invoices, outbox_messages},
    services::{invoices as docs, issue_invoice, ServiceError},
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::support::*;

async fn setup(ctx: &loco_rs::app::AppContext) -> (i64, String) {
    let s = seller(ctx, "Atelier Nord", "alice@nord.fr").await;
    (s.company_id, s.client_pid)
}

async fn new_draft(
    ctx: &loco_rs::app::AppContext,
    company_id: i64,
    client: &str,
) -> invoices::Model {
    let draft = draft_for(client, 5, paris_today(ctx));
    docs::create_draft(ctx, company_id, None, &draft, None)
        .await
        .unwrap()
        .0
}

#[tokio::test]
async fn issuing_numbers_freezes_and_mails_the_stored_pdf() {
    let app = boot().await;
    let ctx = app.ctx();
    let (company_id, client) = setup(ctx).await;
    let draft = new_draft(ctx, company_id, &client).await;
    assert_eq!(draft.number, None, "drafts have no number");
    let issued = issue_invoice::issue(ctx, company_id, None, &draft.pid.to_string())
        .await
        .unwrap();
    let year = paris_today(ctx).format("%Y").to_string();
    assert_eq!(issued.invoice.number, Some(format!("F-{year}-000001")));
    assert_eq!(issued.invoice.status, "issued");
    // 5 lines of 1,5 day at 450 € = 3 375 € + 20 % = 4 050 €
    assert_eq!(issued.invoice.total_cents, 405_000);

    // The e-mail waits for the PDF.
    let held = outbox_messages::Entity::find()
        .filter(outbox_messages::Column::ToAddress.eq("compta@boulangerie.fr"))
        .one(&ctx.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(held.status, "held");

    jobs::drain(ctx).await;
    let invoice = invoices::Entity::find_by_id(issued.invoice.id)
        .one(&ctx.db)
        .await
        .unwrap()
        .unwrap();
    let pdf = document_files::Entity::find_by_id(invoice.pdf_file_id.expect("PDF stored"))
        .one(&ctx.db)
        .await
        .unwrap()
        .unwrap();
    let mail = outbox_messages::Entity::find_by_id(held.id)
        .one(&ctx.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mail.status, "sent");
    assert!(mail.subject.contains(&format!("F-{year}-000001")));
    // The PDF is attached by reference to its stored file: delivery reads those bytes.
    let attachments = encaisse::mail::attachments_of(&ctx.db, mail.id)
        .await
        .unwrap();
    assert_eq!(attachments.len(), 1);
    assert_eq!(attachments[0].file_id, Some(pdf.id), "not a copy");
    assert_eq!(
        attachments[0].content, pdf.content,
        "the e-mail carries the exact stored PDF"
    );
    assert_eq!(
        attachments[0].filename,
        format!("Facture-F-{year}-000001.pdf")
    );

    // Issuing again (a double submit) changes nothing.
    let again = issue_invoice::issue(ctx, company_id, None, &draft.pid.to_string())
        .await
        .unwrap();
    assert!(again.already);
    assert_eq!(again.invoice.number, issued.invoice.number);
}

#[tokio::test]
async fn eight_tasks_issuing_200_invoices_each_get_1_to_1600_without_gap() {
    let app = boot().await;
    let ctx = app.ctx().clone();
    let (company_id, client) = setup(&ctx).await;
    let mut drafts = Vec::new();
    for _ in 0..1600 {
        drafts.push(new_draft(&ctx, company_id, &client).await.pid.to_string());
    }
    let mut tasks = Vec::new();
    for chunk in drafts.chunks(200) {
        let ctx = ctx.clone();
        let chunk = chunk.to_vec();
        tasks.push(tokio::spawn(async move {
            for pid in chunk {
                issue_invoice::issue(&ctx, company_id, None, &pid)
                    .await
                    .unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let sequences: Vec<i64> = invoices::Entity::find()
        .filter(invoices::Column::CompanyId.eq(company_id))
        .order_by_asc(invoices::Column::Sequence)
        .all(&ctx.db)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.sequence.unwrap())
        .collect();
    assert_eq!(sequences, (1..=1600).collect::<Vec<i64>>());
}

#[tokio::test]
async fn an_issue_failing_after_the_number_is_taken_leaves_no_gap_and_nothing_written() {
    let app = boot().await;
    let ctx = app.ctx();
    let (company_id, client) = setup(ctx).await;
    let first = new_draft(ctx, company_id, &client).await;
    let second = new_draft(ctx, company_id, &client).await;
    let third = new_draft(ctx, company_id, &client).await;
    issue_invoice::issue(ctx, company_id, None, &first.pid.to_string())
        .await
        .unwrap();

    // Injected failure: the history table refuses writes, so the issue fails after the
    // number was taken, the document updated and the e-mail written.
    let refuse = match ctx.db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => vec![
            "CREATE FUNCTION refuse_events() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql".to_string(),
            "CREATE TRIGGER refuse_events BEFORE INSERT ON invoice_events FOR EACH ROW EXECUTE FUNCTION refuse_events()".to_string(),
        ],
        _ => vec!["CREATE TRIGGER refuse_events BEFORE INSERT ON invoice_events BEGIN SELECT RAISE(ABORT, 'injected failure'); END".to_string()],
    };
    for statement in &refuse {
        ctx.db.execute_unprepared(statement).await.unwrap();
    }
    let failed = issue_invoice::issue(ctx, company_id, None, &second.pid.to_string()).await;
    assert!(matches!(failed, Err(ServiceError::Db(_))), "{failed:?}");
    ctx.db
        .execute_unprepared("DROP TRIGGER refuse_events ON invoice_events")
        .await
        .or(ctx
            .db
            .execute_unprepared("DROP TRIGGER refuse_events")
            .await)
        .unwrap();

    let second_now = invoices::Entity::find_by_id(second.id)
        .one(&ctx.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second_now.status, "draft");
    assert_eq!(second_now.number, None);
    assert_eq!(
        outbox_messages::Entity::find()
            .filter(outbox_messages::Column::InvoiceId.eq(second.id))
            .all(&ctx.db)
            .await
            .unwrap()
            .len(),
        0,
        "no e-mail for a failed issue"
    );
    let third = issue_invoice::issue(ctx, company_id, None, &third.pid.to_string())
        .await
        .unwrap();
    assert_eq!(
        third.invoice.sequence,
        Some(2),
        "the failed issue gave its number back"
    );
    let second = issue_invoice::issue(ctx, company_id, None, &second.pid.to_string())
        .await
        .unwrap();
    assert_eq!(second.invoice.sequence, Some(3));
}

#[tokio::test]
async fn the_database_refuses_to_change_or_delete_an_issued_document() {
    let app = boot().await;
    let ctx = app.ctx();
    let (company_id, client) = setup(ctx).await;
    let draft = new_draft(ctx, company_id, &client).await;
    let issued = issue_invoice::issue(ctx, company_id, None, &draft.pid.to_string())
        .await
        .unwrap()
        .invoice;
    let id = issued.id;
    for statement in [
        format!("UPDATE invoices SET total_cents = 1 WHERE id = {id}"),
        format!("UPDATE invoices SET number = 'F-X' WHERE id = {id}"),
        format!("UPDATE invoices SET issue_date = '2020-01-01' WHERE id = {id}"),
        format!("UPDATE invoices SET document_json = '{{}}' WHERE id = {id}"),
        format!("DELETE FROM invoices WHERE id = {id}"),
        format!("UPDATE invoices SET status = 'draft' WHERE id = {id}"),
        format!("UPDATE invoices SET label = 'x' WHERE id = {id}"),
        format!("UPDATE invoice_lines SET net_cents = 0 WHERE invoice_id = {id}"),
        format!("DELETE FROM invoice_lines WHERE invoice_id = {id}"),
        format!("INSERT INTO invoice_lines (invoice_id, position, description, quantity_e4, unit, unit_price_e4, vat_code, net_cents, created_at, updated_at) VALUES ({id}, 9, 'x', 10000, 'C62', 10000, '20', 100, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
    ] {
        assert!(ctx.db.execute_unprepared(&statement).await.is_err(), "{statement}");
    }
    // Status may still move (payments arrive later).
    ctx.db
        .execute_unprepared(&format!(
            "UPDATE invoices SET status = 'paid' WHERE id = {id}"
        ))
        .await
        .unwrap();
    let after = invoices::Entity::find_by_id(id)
        .one(&ctx.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.total_cents, issued.total_cents);
    assert_eq!(after.number, issued.number);

    // And the services refuse too.
    let pid = issued.pid.to_string();
    let edit = docs::update_draft(
        ctx,
        company_id,
        &pid,
        &draft_for(&client, 1, paris_today(ctx)),
    )
    .await;
    assert!(
        matches!(edit, Err(ServiceError::Refused("invoice-immutable"))),
        "{edit:?}"
    );
    let delete = docs::delete_draft(ctx, company_id, &pid).await;
    assert!(matches!(
        delete,
        Err(ServiceError::Refused("invoice-immutable"))
    ));
    assert_eq!(Status::parse(&after.status), Ok(Status::Paid));
}

#[tokio::test]
async fn credit_notes_cancel_or_correct_and_never_exceed_the_invoice() {
    use encaisse::services::create_credit_note::{create, CreditRequest};
    let app = boot().await;
    let ctx = app.ctx();
    let (company_id, client) = setup(ctx).await;
    let year = paris_today(ctx).format("%Y").to_string();

    // Cancel a whole invoice.
    let first = new_draft(ctx, company_id, &client).await;
    let first = issue_invoice::issue(ctx, company_id, None, &first.pid.to_string())
        .await
        .unwrap()
        .invoice;
    let cancel = create(
        ctx,
        company_id,
        None,
        &first.pid.to_string(),
        &CreditRequest::Cancel,
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        cancel.number,
        Some(format!("AV-{year}-000001")),
        "credit notes have their own series"
    );
    assert_eq!(cancel.kind, "credit_note");
    assert_eq!(cancel.total_cents, first.total_cents);
    let document = encaisse::services::render_document::frozen(&cancel)
        .unwrap()
        .unwrap();
    let corrects = document.corrects.unwrap();
    assert_eq!(Some(corrects.number), first.number);
    assert_eq!(corrects.issue_date, first.issue_date);
    let first_now = invoices::Entity::find_by_id(first.id)
        .one(&ctx.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first_now.status, "cancelled");
    let again = create(
        ctx,
        company_id,
        None,
        &first.pid.to_string(),
        &CreditRequest::Cancel,
        None,
    )
    .await;
    assert!(
        matches!(again, Err(ServiceError::Refused("invoice-cancelled"))),
        "{again:?}"
    );

    // Correct another one partially, then cancel the rest.
    let second = new_draft(ctx, company_id, &client).await;
    let second = issue_invoice::issue(ctx, company_id, None, &second.pid.to_string())
        .await
        .unwrap()
        .invoice;
    let amount = |net: &str| CreditRequest::Amount {
        net: net.into(),
        vat: "20".into(),
        reason: String::new(),
    };
    let partial = create(
        ctx,
        company_id,
        None,
        &second.pid.to_string(),
        &amount("100"),
        None,
    )
    .await
    .unwrap();
    assert_eq!(partial.total_cents, 12_000);
    let second_now = invoices::Entity::find_by_id(second.id)
        .one(&ctx.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        second_now.status, "issued",
        "a partial credit note does not cancel"
    );
    let too_much = create(
        ctx,
        company_id,
        None,
        &second.pid.to_string(),
        &amount("4000"),
        None,
    )
    .await;
    assert!(
        matches!(
            too_much,
            Err(ServiceError::Refused("credit-exceeds-remainder"))
        ),
        "{too_much:?}"
    );
    let wrong_rate = create(
        ctx,
        company_id,
        None,
        &second.pid.to_string(),
        &CreditRequest::Amount {
            net: "10".into(),
            vat: "10".into(),
            reason: String::new(),
        },
        None,
    )
    .await;
    assert!(matches!(
        wrong_rate,
        Err(ServiceError::Refused("credit-vat-not-on-invoice"))
    ));
    let lines = create(
        ctx,
        company_id,
        None,
        &second.pid.to_string(),
        &CreditRequest::Lines(vec![(0, "1".into())]),
        None,
    )
    .await
    .unwrap();
    assert_eq!(lines.total_cents, 54_000, "one day at 450 € + 20 %");
    let rest = create(
        ctx,
        company_id,
        None,
        &second.pid.to_string(),
        &CreditRequest::Cancel,
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        partial.total_cents + lines.total_cents + rest.total_cents,
        second.total_cents
    );
    let second_now = invoices::Entity::find_by_id(second.id)
        .one(&ctx.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second_now.status, "cancelled");
    let numbers: Vec<Option<String>> = vec![partial.number, lines.number, rest.number];
    assert_eq!(
        numbers,
        vec![
            Some(format!("AV-{year}-000002")),
            Some(format!("AV-{year}-000003")),
            Some(format!("AV-{year}-000004"))
        ]
    );
    // The refused attempts left no draft behind.
    let credit_notes = invoices::Entity::find()
        .filter(invoices::Column::Kind.eq("credit_note"))
        .all(&ctx.db)
        .await
        .unwrap();
    assert!(credit_notes.iter().all(|c| c.status != "draft"));

    // Credit notes are e-mailed to the client.
    jobs::drain(ctx).await;
    let mails = mails_to(ctx, "compta@boulangerie.fr").await;
    assert!(mails
        .iter()
        .any(|m| m.subject.contains(&format!("AV-{year}-000001"))));
    assert!(mails.iter().all(|m| m.status == "sent"));
}

#[tokio::test]
async fn batches_take_consecutive_numbers_and_their_pdfs_and_mails_follow() {
    use encaisse::services::issue_batch::{issue_invoices, NewInvoice};
    let app = boot().await;
    let ctx = app.ctx().clone();
    let (company_id, client_pid) = setup(&ctx).await;
    let company = encaisse::models::_entities::companies::Entity::find_by_id(company_id)
        .one(&ctx.db)
        .await
        .unwrap()
        .unwrap();
    let client = encaisse::services::clients::find(&ctx.db, company_id, &client_pid)
        .await
        .unwrap();
    let draft = draft_for(&client_pid, 5, paris_today(&ctx));
    let batch: Vec<NewInvoice> = (0..50)
        .map(|i| NewInvoice {
            client: client.clone(),
            label: format!("Abonnement {i}"),
            issue_date: paris_today(&ctx),
            payment_term_days: 30,
            period: None,
            lines: draft.lines.clone(),
            adjustments: vec![],
            notes: None,
            operation: "services".into(),
            subscription: None,
        })
        .collect();
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let (ctx, company, batch) = (ctx.clone(), company.clone(), batch.clone());
        tasks.push(tokio::spawn(async move {
            issue_invoices(&ctx, &company, &batch).await.unwrap()
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        let issued = task.await.unwrap();
        let sequences: Vec<i64> = issued.iter().map(|i| i.sequence.unwrap()).collect();
        assert!(
            sequences.windows(2).all(|w| w[1] == w[0] + 1),
            "a batch is consecutive"
        );
        all.extend(sequences);
    }
    all.sort_unstable();
    assert_eq!(all, (1..=150).collect::<Vec<i64>>());
    jobs::drain(&ctx).await;
    let stored = invoices::Entity::find()
        .filter(invoices::Column::CompanyId.eq(company_id))
        .all(&ctx.db)
        .await
        .unwrap();
    assert!(stored
        .iter()
        .all(|i| i.status == "issued" && i.pdf_file_id.is_some()));
    let sent = outbox_messages::Entity::find()
        .filter(outbox_messages::Column::Status.eq("sent"))
        .all(&ctx.db)
        .await
        .unwrap();
    assert_eq!(sent.len(), 150);
}

async fn stored_pdf_text(ctx: &loco_rs::app::AppContext, invoice_id: i64) -> String {
    let invoice = invoices::Entity::find_by_id(invoice_id)
        .one(&ctx.db)
        .await
        .unwrap()
        .unwrap();
    let pdf = document_files::Entity::find_by_id(invoice.pdf_file_id.expect("PDF stored"))
        .one(&ctx.db)
        .await
        .unwrap()
        .unwrap();
    pdf_text(&pdf.content)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The issued PDFs themselves (not an example) carry every mandatory mention (CGI
/// art. 242 nonies A; Code de commerce art. L441-9 and L441-10).
#[tokio::test]
async fn issued_pdfs_carry_every_mandatory_mention() {
    use encaisse::services::create_credit_note::{create, CreditRequest};
    let app = boot().await;
    let ctx = app.ctx();
    let year = paris_today(ctx).format("%Y").to_string();
    let today = paris_today(ctx).format("%d/%m/%Y").to_string();
    let due = (paris_today(ctx) + chrono::Days::new(30))
        .format("%d/%m/%Y")
        .to_string();

    // A VAT-registered company.
    let (company_id, client) = setup(ctx).await;
    let draft = new_draft(ctx, company_id, &client).await;
    let invoice = issue_invoice::issue(ctx, company_id, None, &draft.pid.to_string())
        .await
        .unwrap()
        .invoice;
    let note = create(
        ctx,
        company_id,
        None,
        &invoice.pid.to_string(),
        &CreditRequest::Cancel,
        None,
    )
    .await
    .unwrap();
    jobs::drain(ctx).await;
    let text = stored_pdf_text(ctx, invoice.id).await;
    for mention in [
        "Atelier Nord",
        "SARL",
        "12 rue de la République",
        "69002 Lyon",
        "SIREN 732 829 320",
        "SIRET 732 829 320 00074",
        "FR44732829320",
        "RCS Lyon",
        "10 000,00 €",
        "Boulangerie Légère",
        "2 place Jean Millier",
        "92400 Courbevoie",
        "542 051 180",
        "FR59542051180",
        &format!("F-{year}-000001"),
        &today,
        &due,
        "Prestation 1",
        "1,5",
        "450,00",
        "20 %",
        "Total HT",
        "3 375,00",
        "Total TTC",
        "4 050,00",
        "675,00",
        "12,15 %",
        "Indemnité forfaitaire pour frais de recouvrement : 40 €",
        "escompte",
        "Prestations de services",
        "FR76 3000 6000 0112 3456 7890 189",
    ] {
        assert!(
            text.contains(mention),
            "invoice PDF lacks «{mention}»:\n{text}"
        );
    }
    let credit = stored_pdf_text(ctx, note.id).await;
    for mention in [
        "Avoir",
        &format!("AV-{year}-000001"),
        &format!("F-{year}-000001"),
        &today,
        "4 050,00",
        "SIRET 732 829 320 00074",
    ] {
        assert!(
            credit.contains(mention),
            "credit note PDF lacks «{mention}»:\n{credit}"
        );
    }

    // A micro-entrepreneur under franchise en base.
    let (franchise, _) = company_with_admin(ctx, "Léa Design", "lea@design.fr").await;
    complete_profile(ctx, &franchise, true).await;
    let client =
        invoiceable_client(ctx, franchise.id, "Client Franchise", "client@franchise.fr").await;
    let mut draft = draft_for(&client.pid.to_string(), 2, paris_today(ctx));
    for line in &mut draft.lines {
        line.vat = encaisse::domain::vat::VatCode::Franchise;
    }
    let draft = docs::create_draft(ctx, franchise.id, None, &draft, None)
        .await
        .unwrap()
        .0;
    let issued = issue_invoice::issue(ctx, franchise.id, None, &draft.pid.to_string())
        .await
        .unwrap()
        .invoice;
    jobs::drain(ctx).await;
    let text = stored_pdf_text(ctx, issued.id).await;
    for mention in [
        "Léa Design",
        "Entrepreneur individuel",
        "TVA non applicable, art. 293 B du CGI",
        "SIRET 732 829 320 00074",
        "Total TTC",
        "1 350,00",
        "Indemnité forfaitaire pour frais de recouvrement : 40 €",
    ] {
        assert!(
            text.contains(mention),
            "franchise PDF lacks «{mention}»:\n{text}"
        );
    }
    assert!(!text.contains("TVA 20 %"), "no VAT under franchise en base");
}
