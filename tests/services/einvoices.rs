//! Every document Encaisse issues is an e-invoice the official rules accept: a corpus of
//! invoices and credit notes is issued through the real services, their stored Factur-X
//! PDFs and their CII and UBL exports are written to a directory and checked by
//! `scripts/validate_einvoices.py` (XSD, EN 16931 schematron, French BR-FR rules, XMP).

use std::path::Path;

use encaisse::{
    domain::{
        client::ClientAccount,
        draft::{AdjustmentInput, Draft, DraftInput},
        invoice::LineInput,
    },
    jobs,
    models::_entities::{document_files, invoices},
    services::{
        clients,
        create_credit_note::{self, CreditRequest},
        invoices as docs, issue_invoice,
        render_document::{self, XmlSyntax},
    },
    web::forms::ClientFields,
};
use loco_rs::app::AppContext;
use sea_orm::EntityTrait;

use crate::support::*;

fn line(description: &str, quantity: &str, unit: &str, price: &str, vat: &str) -> LineInput {
    LineInput {
        description: description.into(),
        quantity: quantity.into(),
        unit: unit.into(),
        unit_price: price.into(),
        vat: vat.into(),
    }
}

async fn client(ctx: &AppContext, company_id: i64, fields: ClientFields) -> String {
    let account = ClientAccount::parse(&fields.input())
        .unwrap_or_else(|e| panic!("{}: {e:?}", fields.legal_name));
    clients::create(ctx, company_id, &account, None)
        .await
        .unwrap()
        .client
        .pid
        .to_string()
}

fn foreign(
    name: &str,
    vat: &str,
    street: &str,
    postcode: &str,
    city: &str,
    country: &str,
) -> ClientFields {
    ClientFields {
        legal_name: name.into(),
        vat_number: vat.into(),
        billing_street: street.into(),
        billing_postcode: postcode.into(),
        billing_city: city.into(),
        billing_country: country.into(),
        contact_name: "Contact".into(),
        contact_email: format!("billing@{}.example", country.to_lowercase()),
        ..Default::default()
    }
}

/// Creates and issues a draft; returns the issued document's id.
async fn issue(ctx: &AppContext, company_id: i64, input: DraftInput) -> i64 {
    let draft = Draft::parse(&input, paris_today(ctx), 30)
        .unwrap_or_else(|e| panic!("{}: {e:?}", input.label));
    let (created, _) = docs::create_draft(ctx, company_id, None, &draft, None)
        .await
        .unwrap();
    issue_invoice::issue(ctx, company_id, None, &created.pid.to_string())
        .await
        .unwrap_or_else(|e| panic!("{}: {e:?}", input.label))
        .invoice
        .id
}

fn draft(label: &str, client: &str, lines: Vec<LineInput>) -> DraftInput {
    DraftInput {
        label: label.into(),
        client: client.into(),
        lines,
        ..Default::default()
    }
}

/// Issues the corpus; returns (file stem, document id).
async fn issue_corpus(ctx: &AppContext) -> Vec<(&'static str, i64)> {
    let (agency, _) = company_with_admin(ctx, "Atelier Nord", "alice@nord.fr").await;
    complete_profile(ctx, &agency, false).await;
    let (micro, _) = company_with_admin(ctx, "Studio Sud", "bob@sud.fr").await;
    complete_profile(ctx, &micro, true).await;

    let french = invoiceable_client(
        ctx,
        agency.id,
        "Boulangerie Légère",
        "compta@boulangerie.fr",
    )
    .await
    .pid
    .to_string();
    let german = client(
        ctx,
        agency.id,
        foreign(
            "Muster GmbH",
            "DE136695976",
            "Hauptstraße 5",
            "10115",
            "Berlin",
            "DE",
        ),
    )
    .await;
    let swiss = client(
        ctx,
        agency.id,
        foreign("Uhren AG", "", "Bahnhofstrasse 1", "8001", "Zürich", "CH"),
    )
    .await;
    let belgian = client(
        ctx,
        agency.id,
        ClientFields {
            delivery_street: "Rue Neuve 10".into(),
            delivery_postcode: "1000".into(),
            delivery_city: "Bruxelles".into(),
            delivery_country: "BE".into(),
            ..foreign(
                "Chocolaterie SA",
                "BE0403019261",
                "Meir 1",
                "2000",
                "Anvers",
                "BE",
            )
        },
    )
    .await;
    let dutch = client(
        ctx,
        agency.id,
        foreign("Bloemen BV", "", "Damrak 1", "1012 LG", "Amsterdam", "NL"),
    )
    .await;
    let micro_client =
        invoiceable_client(ctx, micro.id, "Librairie du Port", "compta@librairie.fr")
            .await
            .pid
            .to_string();

    let mut corpus = Vec::new();
    corpus.push((
        "one-rate",
        issue(
            ctx,
            agency.id,
            draft(
                "Refonte du site",
                &french,
                vec![line("Maquettes", "3", "DAY", "450", "20")],
            ),
        )
        .await,
    ));
    let several_rates = issue(
        ctx,
        agency.id,
        draft(
            "Site et supports",
            &french,
            vec![
                line("Intégration", "2,5", "DAY", "480", "20"),
                line("Livre imprimé", "12", "C62", "18,90", "5.5"),
                line("Billetterie de l'événement", "40", "C62", "12", "10"),
                line("Presse", "3", "C62", "2,50", "2.1"),
            ],
        ),
    )
    .await;
    corpus.push(("several-rates", several_rates));
    corpus.push((
        "franchise",
        issue(
            ctx,
            micro.id,
            draft(
                "Logo",
                &micro_client,
                vec![line("Création du logo", "1", "LS", "800", "franchise")],
            ),
        )
        .await,
    ));
    corpus.push((
        "reverse-charge",
        issue(
            ctx,
            agency.id,
            draft(
                "Website",
                &german,
                vec![line("Webdesign", "4", "DAY", "500", "reverse-charge")],
            ),
        )
        .await,
    ));
    corpus.push((
        "export",
        issue(
            ctx,
            agency.id,
            draft(
                "Landing page",
                &swiss,
                vec![line("Design", "2", "DAY", "600", "export")],
            ),
        )
        .await,
    ));
    corpus.push((
        "intra-eu-goods",
        issue(
            ctx,
            agency.id,
            DraftInput {
                operation: "goods".into(),
                ..draft(
                    "Affiches",
                    &belgian,
                    vec![line(
                        "Affiches imprimées",
                        "200",
                        "C62",
                        "3,20",
                        "intra-eu-goods",
                    )],
                )
            },
        )
        .await,
    ));
    corpus.push((
        "foreign-client-french-vat",
        issue(
            ctx,
            agency.id,
            draft(
                "Atelier",
                &dutch,
                vec![line("Formation", "1", "DAY", "900", "20")],
            ),
        )
        .await,
    ));
    corpus.push((
        "discount-and-charge",
        issue(
            ctx,
            agency.id,
            DraftInput {
                discount: AdjustmentInput {
                    kind: "percent".into(),
                    value: "7,5".into(),
                    vat: String::new(),
                    reason: "Remise fidélité".into(),
                },
                charge: AdjustmentInput {
                    kind: "amount".into(),
                    value: "45".into(),
                    vat: "20".into(),
                    reason: "Frais de déplacement".into(),
                },
                ..draft(
                    "Séminaire",
                    &french,
                    vec![
                        line("Animation", "2", "DAY", "700", "20"),
                        line("Livrets", "30", "C62", "9,90", "5.5"),
                    ],
                )
            },
        )
        .await,
    ));
    corpus.push((
        "four-decimals",
        issue(
            ctx,
            agency.id,
            draft(
                "Hébergement",
                &french,
                vec![
                    line("Stockage", "1234,5678", "C62", "0,0123", "20"),
                    line("Trafic", "0,3333", "HUR", "95,1234", "20"),
                ],
            ),
        )
        .await,
    ));
    corpus.push((
        "service-period",
        issue(
            ctx,
            agency.id,
            DraftInput {
                period_start: "2026-10-01".into(),
                period_end: "2026-10-31".into(),
                ..draft(
                    "Maintenance mensuelle",
                    &french,
                    vec![line("Maintenance — octobre 2026", "1", "MON", "150", "20")],
                )
            },
        )
        .await,
    ));

    // Credit notes: all that remains of one invoice, part of another.
    let cancelled = corpus[0].1;
    corpus.push((
        "total-credit-note",
        credit(ctx, agency.id, cancelled, &CreditRequest::Cancel).await,
    ));
    corpus.push((
        "partial-credit-note",
        credit(
            ctx,
            agency.id,
            several_rates,
            &CreditRequest::Lines(vec![(0, "1".into()), (1, String::new())]),
        )
        .await,
    ));
    jobs::drain(ctx).await;
    corpus
}

async fn credit(
    ctx: &AppContext,
    company_id: i64,
    invoice_id: i64,
    request: &CreditRequest,
) -> i64 {
    let invoice = invoices::Entity::find_by_id(invoice_id)
        .one(&ctx.db)
        .await
        .unwrap()
        .unwrap();
    create_credit_note::create(
        ctx,
        company_id,
        None,
        &invoice.pid.to_string(),
        request,
        None,
    )
    .await
    .unwrap()
    .id
}

/// The XML a PDF carries as `factur-x.xml`, extracted by poppler's `pdfdetach`.
fn embedded_xml(dir: &Path, pdf: &str) -> Vec<u8> {
    let out = dir.join(format!("{pdf}.embedded"));
    let status = std::process::Command::new("pdfdetach")
        .arg("-savefile")
        .arg("factur-x.xml")
        .arg("-o")
        .arg(&out)
        .arg(dir.join(pdf))
        .status()
        .expect("pdfdetach (poppler-utils) is installed by bin/test");
    assert!(status.success(), "pdfdetach failed on {pdf}");
    let xml = std::fs::read(&out).unwrap();
    std::fs::remove_file(out).unwrap();
    xml
}

#[tokio::test]
async fn every_issued_document_passes_the_official_einvoice_rules() {
    let app = boot().await;
    let ctx = app.ctx();
    let corpus = issue_corpus(ctx).await;
    assert!(corpus.len() >= 12);

    let dir = tempfile::tempdir().unwrap();
    for (name, id) in &corpus {
        let invoice = invoices::Entity::find_by_id(*id)
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        let pdf = document_files::Entity::find_by_id(invoice.pdf_file_id.expect("PDF stored"))
            .one(&ctx.db)
            .await
            .unwrap()
            .unwrap();
        let document = render_document::frozen(&invoice).unwrap().unwrap();
        let cii = XmlSyntax::Cii.export(&document).unwrap();
        let ubl = XmlSyntax::Ubl.export(&document).unwrap();
        std::fs::write(dir.path().join(format!("{name}.pdf")), &pdf.content).unwrap();
        std::fs::write(dir.path().join(format!("{name}.cii.xml")), &cii).unwrap();
        std::fs::write(dir.path().join(format!("{name}.ubl.xml")), &ubl).unwrap();
        // The PDF carries the very CII that is exported: one source of truth.
        assert_eq!(
            embedded_xml(dir.path(), &format!("{name}.pdf")),
            cii,
            "{name}: the XML in the PDF differs from the CII export"
        );
        // The amounts of the XML are those printed on the PDF.
        let total = encaisse::domain::money::format_cents(
            invoice.total_cents,
            encaisse::domain::locale::Locale::Fr,
        )
        .replace(['\u{a0}', '\u{202f}'], " ");
        assert!(
            pdf_text(&pdf.content).contains(&total),
            "{name}: {total} not printed"
        );
        let cii_text = String::from_utf8(cii).unwrap();
        let grand_total = format!(
            "<ram:GrandTotalAmount>{}.{:02}</ram:GrandTotalAmount>",
            invoice.total_cents / 100,
            invoice.total_cents % 100
        );
        assert!(
            cii_text.contains(&grand_total),
            "{name}: {grand_total} missing from the CII"
        );
    }

    let (passed, report) = run_validator(dir.path());
    if !passed {
        let kept = dir.keep();
        panic!(
            "issued documents fail the official e-invoice rules (files kept in {}):\n{report}",
            kept.display()
        );
    }
    let files = corpus.len() * 3;
    assert!(
        report.contains(&format!("{files} files checked, {files} valid")),
        "{report}"
    );
    println!("{report}");
}

/// Runs `scripts/validate_einvoices.py` (in the venv bin/test prepares) on a directory.
fn run_validator(dir: &Path) -> (bool, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run bin/test (it creates .venv from requirements-test.txt)",
        python.display()
    );
    let output = std::process::Command::new(&python)
        .arg(root.join("scripts/validate_einvoices.py"))
        .arg(dir)
        .output()
        .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), report)
}
