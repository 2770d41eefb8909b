//! The e-invoice test corpus: one document per case the exports must get right, every
//! figure computed by `domain::invoice::compute` as issuing does, and the check that runs
//! `scripts/validate_einvoices.py` (official XSDs and schematrons) on their XML.

use std::{path::Path, process::Command};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::{
    domain::{
        credit_note::full_mirror,
        invoice::{compute, Adjustment, AdjustmentAmount, Line},
        vat::VatCode,
    },
    views::document::{
        Address, CorrectedInvoice, DocumentKind, DocumentLine, InvoiceDocument, Operation, Period,
    },
};

use super::{
    example::{example_credit_note, example_franchise_invoice, example_invoice},
    xml::XmlError,
};

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

fn address(street: &str, postcode: &str, city: &str, country: &str, name: &str) -> Address {
    Address {
        lines: vec![street.to_string(), format!("{postcode} {city}")],
        street: street.to_string(),
        street2: None,
        postcode: postcode.to_string(),
        city: city.to_string(),
        country: country.to_string(),
        country_name: name.to_string(),
    }
}

fn line(description: &str, quantity: &str, unit: &str, price: &str, vat: VatCode) -> Line {
    Line {
        description: description.to_string(),
        quantity: quantity.parse::<Decimal>().unwrap(),
        unit: unit.to_string(),
        unit_price: price.parse::<Decimal>().unwrap(),
        vat,
    }
}

/// The document with these lines and adjustments and the figures they give.
fn with_lines(
    mut doc: InvoiceDocument,
    lines: &[Line],
    adjustments: &[Adjustment],
) -> InvoiceDocument {
    let computed = compute(lines, adjustments);
    doc.lines = lines
        .iter()
        .zip(&computed.line_nets)
        .map(|(line, net)| DocumentLine {
            line: line.clone(),
            net_cents: *net,
        })
        .collect();
    doc.adjustments = computed.adjustments;
    doc.breakdown = computed.breakdown;
    doc.totals = computed.totals;
    doc
}

/// A plain invoice of the events agency (VAT-registered, on debits) to a French company.
fn agency_invoice(number: &str, label: &str) -> InvoiceDocument {
    let mut doc = example_invoice(1);
    doc.number = Some(number.to_string());
    doc.label = label.to_string();
    doc.payment.payment_reference = Some(number.to_string());
    doc.service_period = None;
    doc.buyer.delivery_address = None;
    doc.notes = None;
    doc
}

/// A buyer with no French identifier: an e-mail address as electronic address.
fn foreign_buyer(doc: &mut InvoiceDocument, name: &str, address: Address, vat: Option<&str>) {
    doc.buyer.legal_name = name.to_string();
    doc.buyer.address = address;
    doc.buyer.delivery_address = None;
    doc.buyer.siren = None;
    doc.buyer.siret = None;
    doc.buyer.vat_number = vat.map(str::to_string);
    doc.buyer.contact_name = None;
    doc.buyer.email = Some("accounts@client.example".to_string());
}

/// Every case, by file name.
#[must_use]
pub fn documents() -> Vec<(&'static str, InvoiceDocument)> {
    let mut corpus = Vec::new();

    let one_rate = with_lines(
        agency_invoice("F-2026-000101", "Site vitrine"),
        &[
            line(
                "Création du site vitrine",
                "1",
                "LS",
                "2400",
                VatCode::Standard20,
            ),
            line(
                "Rédaction des contenus",
                "6",
                "HUR",
                "65",
                VatCode::Standard20,
            ),
        ],
        &[],
    );
    corpus.push(("one-rate", one_rate));

    let several_rates = with_lines(
        agency_invoice("F-2026-000102", "Journée de formation"),
        &[
            line(
                "Conception graphique",
                "2",
                "DAY",
                "550",
                VatCode::Standard20,
            ),
            line(
                "Hébergement des participants",
                "3",
                "C62",
                "129.90",
                VatCode::Reduced10,
            ),
            line(
                "Ouvrages remis aux participants",
                "12",
                "C62",
                "24.50",
                VatCode::Reduced5_5,
            ),
            line("Abonnement presse", "1", "C62", "9.90", VatCode::Special2_1),
        ],
        &[],
    );
    corpus.push(("several-rates", several_rates));

    // The seminar: long descriptions, 20 % and 10 %, a 5 % discount spread over both
    // rates, a service period and a delivery address.
    corpus.push(("seminar", example_invoice(8)));

    corpus.push(("franchise", example_franchise_invoice()));

    let mut reverse_charge = agency_invoice("F-2026-000103", "Site événementiel");
    foreign_buyer(
        &mut reverse_charge,
        "Nordlicht Veranstaltungen GmbH",
        address("Friedrichstraße 123", "10117", "Berlin", "DE", "Allemagne"),
        Some("DE136695976"),
    );
    let reverse_charge = with_lines(
        reverse_charge,
        &[line(
            "Conception d'un site événementiel multilingue",
            "1",
            "LS",
            "4800",
            VatCode::ReverseCharge,
        )],
        &[],
    );
    corpus.push(("reverse-charge", reverse_charge));

    let mut intra_eu_goods = agency_invoice("F-2026-000104", "Signalétique de salon");
    intra_eu_goods.operation = Operation::Goods;
    foreign_buyer(
        &mut intra_eu_goods,
        "Bureau Lumière SPRL",
        address("Rue de la Loi 42", "1000", "Bruxelles", "BE", "Belgique"),
        Some("BE0477472701"),
    );
    intra_eu_goods.buyer.delivery_address = Some(address(
        "Zone industrielle Nord 7",
        "4000",
        "Liège",
        "BE",
        "Belgique",
    ));
    let intra_eu_goods = with_lines(
        intra_eu_goods,
        &[
            line(
                "Kakémonos imprimés 85 × 200 cm",
                "10",
                "C62",
                "89",
                VatCode::IntraCommunitySupply,
            ),
            line(
                "Stands parapluie",
                "2",
                "C62",
                "640",
                VatCode::IntraCommunitySupply,
            ),
        ],
        &[],
    );
    corpus.push(("intra-eu-goods", intra_eu_goods));

    let mut export = agency_invoice("F-2026-000105", "Signalétique pour Zurich");
    export.operation = Operation::Goods;
    foreign_buyer(
        &mut export,
        "Alpenblick Events AG",
        address("Bahnhofstrasse 10", "8001", "Zürich", "CH", "Suisse"),
        None,
    );
    let export = with_lines(
        export,
        &[line(
            "Signalétique imprimée pour salon",
            "25",
            "C62",
            "42.80",
            VatCode::Export,
        )],
        &[],
    );
    corpus.push(("export", export));

    // Services to a business outside the EU (CGI art. 259-1): its VAT number is known
    // but not written (BR-O-04), nor the seller's (BR-O-02).
    let mut outside_scope = agency_invoice("F-2026-000106", "Identité visuelle");
    foreign_buyer(
        &mut outside_scope,
        "Thames Digital Events Ltd",
        address("221 Baker Street", "NW1 6XE", "London", "GB", "Royaume-Uni"),
        Some("GB980780684"),
    );
    let outside_scope = with_lines(
        outside_scope,
        &[
            line(
                "Refonte de l'identité visuelle",
                "1",
                "LS",
                "3200",
                VatCode::OutsideScope,
            ),
            line(
                "Maintenance du site",
                "3",
                "MON",
                "150",
                VatCode::OutsideScope,
            ),
        ],
        &[],
    );
    corpus.push(("outside-scope", outside_scope));

    let discount_and_charge = with_lines(
        agency_invoice("F-2026-000107", "Soirée de gala"),
        &[
            line(
                "Organisation de la soirée",
                "1",
                "LS",
                "3150",
                VatCode::Standard20,
            ),
            line("Dîner de gala", "85", "C62", "68.40", VatCode::Reduced10),
        ],
        &[
            Adjustment {
                is_charge: false,
                reason: "Remise fidélité".to_string(),
                amount: AdjustmentAmount::Percent(Decimal::new(75, 1)),
                vat: None,
            },
            Adjustment {
                is_charge: true,
                reason: "Frais de déplacement".to_string(),
                amount: AdjustmentAmount::Cents(18_000),
                vat: Some(VatCode::Standard20),
            },
        ],
    );
    corpus.push(("discount-and-charge", discount_and_charge));

    let four_decimals = with_lines(
        agency_invoice("F-2026-000108", "Fournitures et retouches"),
        &[
            line(
                "Impressions couleur",
                "1234.5678",
                "C62",
                "0.1234",
                VatCode::Standard20,
            ),
            line(
                "Temps de retouche",
                "2.3333",
                "HUR",
                "72.4999",
                VatCode::Standard20,
            ),
            line(
                "Indemnités kilométriques",
                "312.75",
                "C62",
                "0.605",
                VatCode::Standard20,
            ),
            line("Repas livrés", "0.5", "C62", "13.0001", VatCode::Reduced10),
        ],
        &[],
    );
    corpus.push(("four-decimals", four_decimals));

    // The total credit note of the seminar: its very lines and discount.
    let seminar = example_invoice(8);
    let source: Vec<Line> = seminar.lines.iter().map(|l| l.line.clone()).collect();
    let discount = vec![Adjustment {
        is_charge: false,
        reason: "Remise partenaire".to_string(),
        amount: AdjustmentAmount::Percent(Decimal::new(5, 0)),
        vat: None,
    }];
    let (lines, adjustments) = full_mirror(&source, &discount);
    let mut total_credit = example_credit_note();
    total_credit.number = Some("AV-2026-000008".to_string());
    total_credit.payment.payment_reference = Some("AV-2026-000008".to_string());
    total_credit.corrects = Some(CorrectedInvoice {
        number: seminar.number.clone().unwrap(),
        issue_date: seminar.issue_date,
    });
    let total_credit = with_lines(total_credit, &lines, &adjustments);
    assert_eq!(total_credit.totals, seminar.totals);
    corpus.push(("total-credit-note", total_credit));

    corpus.push(("partial-credit-note", example_credit_note()));

    // A foreign company buying lodging in France: French VAT (place of the property).
    let mut foreign = agency_invoice("F-2026-000109", "Séjour à Annecy");
    foreign_buyer(
        &mut foreign,
        "Studio Zuiderlicht BV",
        address(
            "Keizersgracht 221",
            "1016 DV",
            "Amsterdam",
            "NL",
            "Pays-Bas",
        ),
        Some("NL859048187B01"),
    );
    foreign.buyer.contact_name = Some("Sanne de Vries".to_string());
    let foreign = with_lines(
        foreign,
        &[
            line(
                "Hébergement à Annecy (2 nuits)",
                "4",
                "C62",
                "142.50",
                VatCode::Reduced10,
            ),
            line(
                "Location de salle de réunion",
                "1",
                "DAY",
                "800",
                VatCode::Standard20,
            ),
        ],
        &[],
    );
    corpus.push(("foreign-client", foreign));

    // A monthly subscription of a web designer: its service period, no delivery date.
    let mut subscription = agency_invoice(
        "F-2026-000110",
        "Maintenance et hébergement – décembre 2026",
    );
    subscription.issue_date = date(2026, 12, 1);
    subscription.due_date = date(2026, 12, 31);
    subscription.delivery_date = date(2026, 12, 1);
    subscription.service_period = Some(Period {
        start: date(2026, 12, 1),
        end: date(2026, 12, 31),
    });
    subscription.notes = Some("Abonnement mensuel, reconduit chaque mois.".to_string());
    let subscription = with_lines(
        subscription,
        &[
            line("Maintenance du site", "1", "MON", "90", VatCode::Standard20),
            line(
                "Hébergement et nom de domaine",
                "1",
                "MON",
                "24.90",
                VatCode::Standard20,
            ),
        ],
        &[],
    );
    corpus.push(("subscription", subscription));

    for (name, doc) in &corpus {
        assert!(doc.number.is_some(), "{name}");
        if doc.kind == DocumentKind::CreditNote {
            assert!(doc.corrects.is_some(), "{name}");
        }
    }
    corpus
}

/// One document of the corpus, by name.
#[must_use]
pub fn document(name: &str) -> InvoiceDocument {
    documents()
        .into_iter()
        .find_map(|(n, doc)| (n == name).then_some(doc))
        .unwrap_or_else(|| panic!("no document {name} in the corpus"))
}

/// Runs `scripts/validate_einvoices.py` on a directory: whether it passed, and its report.
pub fn run_validator(dir: &Path) -> (bool, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run bin/test once (it creates .venv from requirements-test.txt)",
        python.display()
    );
    let output = Command::new(&python)
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

/// Writes every document of the corpus as `<name>.<syntax>.xml` into a temporary
/// directory (or into `$EINVOICE_CORPUS_DIR` when set, to look at them) and runs the
/// validation script on it; panics with its report on failure.
pub fn validate_all(syntax: &str, export: fn(&InvoiceDocument) -> Result<Vec<u8>, XmlError>) {
    let dir = tempfile::tempdir().unwrap();
    let keep = std::env::var_os("EINVOICE_CORPUS_DIR").map(std::path::PathBuf::from);
    for (name, doc) in documents() {
        let bytes = export(&doc).unwrap_or_else(|e| panic!("{name}: {e}"));
        let file = format!("{name}.{syntax}.xml");
        if let Some(keep) = &keep {
            std::fs::create_dir_all(keep).unwrap();
            std::fs::write(keep.join(&file), &bytes).unwrap();
        }
        std::fs::write(dir.path().join(file), bytes).unwrap();
    }
    let (passed, report) = run_validator(dir.path());
    if !passed {
        let kept = dir.keep();
        panic!(
            "the {syntax} corpus does not pass the official rules (files kept in {}):\n{report}",
            kept.display()
        );
    }
    // Warnings do not fail; shown with `cargo test -- --nocapture`.
    println!("{report}");
}

/// The validation is not vacuous: a document broken on purpose (the PMT note renamed,
/// the total changed) is rejected with the rules it breaks.
pub fn broken_document_is_rejected(
    syntax: &str,
    export: fn(&InvoiceDocument) -> Result<Vec<u8>, XmlError>,
    break_it: fn(String) -> String,
) {
    let dir = tempfile::tempdir().unwrap();
    let xml = String::from_utf8(export(&document("one-rate")).unwrap()).unwrap();
    let broken = break_it(xml.clone());
    assert_ne!(broken, xml, "nothing was broken");
    std::fs::write(dir.path().join(format!("broken.{syntax}.xml")), broken).unwrap();
    let (passed, report) = run_validator(dir.path());
    assert!(!passed, "{report}");
    for rule in [
        "BR-FR-05",
        "BR-CO-15",
        "summary: 1 files checked, 0 valid, 1 invalid",
    ] {
        assert!(report.contains(rule), "{rule} not reported:\n{report}");
    }
}
