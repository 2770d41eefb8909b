//! Example documents with realistic but fictional parties, for the PDF tests and the
//! `bench_pdf` benchmark. Every figure comes from `domain::invoice::compute`, so lines,
//! VAT breakdown and totals agree exactly as they would on an issued document.
//!
//! The identifiers are fictional but valid: SIREN pass the Luhn key, SIRET the Luhn key
//! of all 14 digits, French VAT numbers carry the key of their SIREN
//! (`domain::ids::Siren::vat_key`).

use chrono::{DateTime, NaiveDate};
use rust_decimal::Decimal;

use crate::{
    domain::{
        invoice::{compute, Adjustment, AdjustmentAmount, Line},
        vat::VatCode,
    },
    views::document::{
        Address, Buyer, CorrectedInvoice, DocumentKind, DocumentLine, InvoiceDocument, Operation,
        PaymentTerms, Period, Seller,
    },
};

/// A calendar date of the examples; the arguments are literals known to be valid.
fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

fn address(street: &str, street2: Option<&str>, postcode: &str, city: &str) -> Address {
    let mut lines = vec![street.to_string()];
    if let Some(second) = street2 {
        lines.push(second.to_string());
    }
    lines.push(format!("{postcode} {city}"));
    Address {
        lines,
        street: street.to_string(),
        street2: street2.map(str::to_string),
        postcode: postcode.to_string(),
        city: city.to_string(),
        country: "FR".to_string(),
        country_name: "France".to_string(),
    }
}

/// An events agency in Lyon, VAT-registered, taxed on receipts (no debits option).
fn agency_seller() -> Seller {
    Seller {
        legal_name: "Atelier Lumen Événements".to_string(),
        legal_form: "sarl".to_string(),
        legal_form_label: "SARL".to_string(),
        address: address("12 rue des Tanneurs", Some("Bâtiment B"), "69002", "Lyon"),
        siren: "732829320".to_string(),
        siret: "73282932000074".to_string(),
        vat_number: Some("FR44732829320".to_string()),
        vat_franchise: false,
        vat_on_debits: true,
        registration: Some("RCS Lyon".to_string()),
        share_capital_cents: Some(1_000_000),
        email: "facturation@atelier-lumen.example".to_string(),
        phone: Some("+33478123456".to_string()),
        logo_sha256: None,
    }
}

fn brewery_buyer() -> Buyer {
    Buyer {
        legal_name: "Brasserie des Canuts SAS".to_string(),
        customer_number: Some("C-00128".to_string()),
        address: address("48 quai Saint-Vincent", None, "69001", "Lyon"),
        delivery_address: Some(address(
            "Entrepôt logistique",
            Some("5 rue de l'Industrie"),
            "69200",
            "Vénissieux",
        )),
        siren: Some("852379163".to_string()),
        siret: Some("85237916300011".to_string()),
        vat_number: Some("FR27852379163".to_string()),
        contact_name: Some("Mme Léa Garnier".to_string()),
        email: Some("compta@brasserie-canuts.example".to_string()),
    }
}

fn line(
    description: &str,
    quantity: Decimal,
    unit: &str,
    unit_price: Decimal,
    vat: VatCode,
) -> Line {
    Line {
        description: description.to_string(),
        quantity,
        unit: unit.to_string(),
        unit_price,
        vat,
    }
}

/// The agency's catalogue: services at 20 %, lodging, meals and passenger transport at
/// 10 % (CGI art. 279), quantities and prices with decimals.
fn seminar_catalogue() -> Vec<Line> {
    vec![
        line(
            "Coordination du séminaire de direction : préparation, repérages, gestion des \
             prestataires et présence d'un chef de projet pendant les trois jours",
            Decimal::new(3, 0),
            "DAY",
            Decimal::new(650, 0),
            VatCode::Standard20,
        ),
        line(
            "Hébergement en chambre individuelle, petit-déjeuner inclus (hôtel 4 étoiles, Annecy)",
            Decimal::new(24, 0),
            "C62",
            Decimal::new(14_250, 2),
            VatCode::Reduced10,
        ),
        line(
            "Déjeuner d'affaires au restaurant (menu trois plats)",
            Decimal::new(48, 0),
            "C62",
            Decimal::new(3_890, 2),
            VatCode::Reduced10,
        ),
        line(
            "Location de la salle plénière avec équipement audiovisuel",
            Decimal::new(2, 0),
            "DAY",
            Decimal::new(1_200, 0),
            VatCode::Standard20,
        ),
        line(
            "Transport en autocar Lyon – Annecy aller-retour",
            Decimal::ONE,
            "LS",
            Decimal::new(1_450, 0),
            VatCode::Reduced10,
        ),
        line(
            "Assistance technique son et lumière",
            Decimal::new(75, 1),
            "HUR",
            Decimal::new(85, 0),
            VatCode::Standard20,
        ),
        line(
            "Indemnités kilométriques du véhicule de repérage (312 km)",
            Decimal::new(312, 0),
            "C62",
            Decimal::new(6_050, 4),
            VatCode::Standard20,
        ),
        line(
            "Animation team building : atelier cuisine avec un chef",
            Decimal::ONE,
            "LS",
            Decimal::new(2_400, 0),
            VatCode::Standard20,
        ),
    ]
}

/// Builds the printed lines, adjustments, breakdown and totals from lines and
/// adjustments, exactly as issuing a document does.
fn computed_parts(
    lines: &[Line],
    adjustments: &[Adjustment],
) -> (
    Vec<DocumentLine>,
    Vec<crate::domain::invoice::AppliedAdjustment>,
    Vec<crate::domain::invoice::VatBreakdown>,
    crate::domain::invoice::Totals,
) {
    let computed = compute(lines, adjustments);
    let printed = lines
        .iter()
        .zip(&computed.line_nets)
        .map(|(line, net)| DocumentLine {
            line: line.clone(),
            net_cents: *net,
        })
        .collect();
    (
        printed,
        computed.adjustments,
        computed.breakdown,
        computed.totals,
    )
}

fn agency_payment(reference: &str) -> PaymentTerms {
    PaymentTerms {
        term_days: 30,
        late_penalty_rate_bp: 1215,
        recovery_indemnity: true,
        early_payment_discount: None,
        bank_holder: Some("Atelier Lumen Événements SARL".to_string()),
        iban: Some("FR7630006000011234567890189".to_string()),
        bic: Some("ENCAFRPPXXX".to_string()),
        payment_reference: Some(reference.to_string()),
    }
}

/// A numbered invoice of the events agency with `lines` lines taken in turn from its
/// catalogue (at 20 % and 10 %), a 5 % partner discount spread over both rates, a
/// service period and a delivery address.
#[must_use]
pub fn example_invoice(lines: usize) -> InvoiceDocument {
    let catalogue = seminar_catalogue();
    let lines: Vec<Line> = (0..lines)
        .map(|i| {
            let mut line = catalogue[i % catalogue.len()].clone();
            if i >= catalogue.len() {
                line.description =
                    format!("{} (session {})", line.description, i / catalogue.len() + 1);
            }
            line
        })
        .collect();
    let adjustments = vec![Adjustment {
        is_charge: false,
        reason: "Remise partenaire".to_string(),
        amount: AdjustmentAmount::Percent(Decimal::new(5, 0)),
        vat: None,
    }];
    let (lines, adjustments, breakdown, totals) = computed_parts(&lines, &adjustments);
    InvoiceDocument {
        kind: DocumentKind::Invoice,
        number: Some("F-2026-000042".to_string()),
        test_mode: false,
        label: "Séminaire de direction à Annecy".to_string(),
        currency: "EUR".to_string(),
        issue_date: date(2026, 11, 25),
        due_date: date(2026, 12, 25),
        delivery_date: date(2026, 11, 14),
        service_period: Some(Period {
            start: date(2026, 11, 12),
            end: date(2026, 11, 14),
        }),
        operation: Operation::Services,
        seller: agency_seller(),
        buyer: brewery_buyer(),
        lines,
        adjustments,
        breakdown,
        totals,
        payment: agency_payment("F-2026-000042"),
        notes: Some(
            "Merci de votre confiance. Les nuitées et les repas ont été réservés au nom de \
             votre société ; les justificatifs sont disponibles sur simple demande."
                .to_string(),
        ),
        corrects: None,
        issued_at: DateTime::parse_from_rfc3339("2026-11-25T10:15:00+01:00").ok(),
    }
}

/// A micro-entrepreneur under the franchise en base (CGI art. 293 B): no VAT number, no
/// VAT charged, an early-payment discount offered.
#[must_use]
pub fn example_franchise_invoice() -> InvoiceDocument {
    let lines = vec![
        line(
            "Création d'un logo et d'une charte graphique (trois pistes, deux allers-retours)",
            Decimal::ONE,
            "LS",
            Decimal::new(1_200, 0),
            VatCode::Franchise,
        ),
        line(
            "Déclinaison sur cartes de visite et papeterie",
            Decimal::new(4, 0),
            "HUR",
            Decimal::new(55, 0),
            VatCode::Franchise,
        ),
    ];
    let (lines, adjustments, breakdown, totals) = computed_parts(&lines, &[]);
    InvoiceDocument {
        kind: DocumentKind::Invoice,
        number: Some("2026-015".to_string()),
        test_mode: false,
        label: "Identité visuelle".to_string(),
        currency: "EUR".to_string(),
        issue_date: date(2026, 11, 20),
        due_date: date(2026, 12, 5),
        delivery_date: date(2026, 11, 18),
        service_period: None,
        operation: Operation::Services,
        seller: Seller {
            legal_name: "Camille Martin".to_string(),
            legal_form: "ei-micro".to_string(),
            legal_form_label: "EI".to_string(),
            address: address("3 impasse des Lilas", None, "35000", "Rennes"),
            siren: "914726302".to_string(),
            siret: "91472630200013".to_string(),
            vat_number: None,
            vat_franchise: true,
            vat_on_debits: false,
            registration: None,
            share_capital_cents: None,
            email: "camille@martin-graphisme.example".to_string(),
            phone: None,
            logo_sha256: None,
        },
        buyer: Buyer {
            legal_name: "Boulangerie Roux SARL".to_string(),
            customer_number: None,
            address: address("21 rue de Saint-Malo", None, "35000", "Rennes"),
            delivery_address: None,
            siren: Some("443061841".to_string()),
            siret: None,
            vat_number: None,
            contact_name: None,
            email: None,
        },
        lines,
        adjustments,
        breakdown,
        totals,
        payment: PaymentTerms {
            term_days: 15,
            late_penalty_rate_bp: 1215,
            recovery_indemnity: true,
            early_payment_discount: Some("2 % pour un paiement sous 8 jours".to_string()),
            bank_holder: Some("Camille Martin EI".to_string()),
            iban: Some("FR7630006000011234567890189".to_string()),
            bic: None,
            payment_reference: None,
        },
        notes: None,
        corrects: None,
        issued_at: None,
    }
}

/// A credit note of the events agency on `example_invoice`'s F-2026-000042: a cancelled
/// workshop and two unused nights.
#[must_use]
pub fn example_credit_note() -> InvoiceDocument {
    let lines = vec![
        line(
            "Annulation de l'atelier cuisine (prestation non réalisée)",
            Decimal::ONE,
            "LS",
            Decimal::new(2_400, 0),
            VatCode::Standard20,
        ),
        line(
            "Nuitées non consommées",
            Decimal::new(2, 0),
            "C62",
            Decimal::new(14_250, 2),
            VatCode::Reduced10,
        ),
    ];
    let (lines, adjustments, breakdown, totals) = computed_parts(&lines, &[]);
    InvoiceDocument {
        kind: DocumentKind::CreditNote,
        number: Some("AV-2026-000007".to_string()),
        test_mode: false,
        label: "Séminaire de direction à Annecy".to_string(),
        currency: "EUR".to_string(),
        issue_date: date(2026, 12, 2),
        due_date: date(2026, 12, 2),
        delivery_date: date(2026, 11, 14),
        service_period: None,
        operation: Operation::Services,
        seller: agency_seller(),
        buyer: brewery_buyer(),
        lines,
        adjustments,
        breakdown,
        totals,
        payment: PaymentTerms {
            term_days: 0,
            ..agency_payment("AV-2026-000007")
        },
        notes: None,
        corrects: Some(CorrectedInvoice {
            number: "F-2026-000042".to_string(),
            issue_date: date(2026, 11, 25),
        }),
        issued_at: DateTime::parse_from_rfc3339("2026-12-02T09:00:00+01:00").ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{Siren, Siret, VatNumber};

    #[test]
    fn the_parties_identifiers_are_valid() {
        for doc in [
            example_invoice(3),
            example_franchise_invoice(),
            example_credit_note(),
        ] {
            let seller = &doc.seller;
            let siren = Siren::parse(&seller.siren).unwrap();
            assert_eq!(Siret::parse(&seller.siret).unwrap().siren(), siren.as_str());
            if let Some(vat) = &seller.vat_number {
                assert_eq!(
                    VatNumber::parse(vat).unwrap(),
                    VatNumber::french_for(&siren)
                );
            }
            let buyer = &doc.buyer;
            let buyer_siren = Siren::parse(buyer.siren.as_deref().unwrap()).unwrap();
            if let Some(siret) = &buyer.siret {
                assert_eq!(Siret::parse(siret).unwrap().siren(), buyer_siren.as_str());
            }
            if let Some(vat) = &buyer.vat_number {
                assert_eq!(
                    VatNumber::parse(vat).unwrap(),
                    VatNumber::french_for(&buyer_siren)
                );
            }
        }
    }

    #[test]
    fn the_figures_add_up() {
        for doc in [
            example_invoice(40),
            example_franchise_invoice(),
            example_credit_note(),
        ] {
            let t = &doc.totals;
            let lines: i64 = doc.lines.iter().map(|l| l.net_cents).sum();
            assert_eq!(lines, t.lines_cents);
            assert_eq!(
                t.net_cents,
                t.lines_cents - t.allowances_cents + t.charges_cents
            );
            assert_eq!(
                doc.breakdown.iter().map(|b| b.basis_cents).sum::<i64>(),
                t.net_cents
            );
            assert_eq!(t.total_cents, t.net_cents + t.vat_cents);
        }
        let invoice = example_invoice(8);
        assert_eq!(invoice.breakdown.len(), 2, "20 % and 10 %");
        assert_eq!(invoice.adjustments.len(), 2, "the discount on each rate");
        assert!(example_franchise_invoice()
            .lines
            .iter()
            .all(|l| l.line.vat == VatCode::Franchise));
    }
}
