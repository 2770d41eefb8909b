//! What the two e-invoice syntaxes (CII in `cii.rs`, UBL in `ubl.rs`) share: the error
//! type, a small element writer over `quick_xml`, the number and date formats of EN 16931,
//! and the mapping decisions that do not depend on the syntax (notes, electronic
//! addresses, business process, item names, payment terms text).
//!
//! Both exports carry the same information, taken from the frozen document only: every
//! amount is one of the document's cents, written with 2 decimals exactly as the PDF
//! prints them, so the XML, the PDF and the books always agree.

use chrono::NaiveDate;
use quick_xml::{
    events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event},
    Writer,
};
use rust_decimal::Decimal;

use crate::{
    domain::{
        invoice::AppliedAdjustment,
        locale::Locale,
        money::{format_cents, format_rate},
        vat::VatCode,
    },
    views::document::{DocumentKind, InvoiceDocument, Operation},
};

/// Why an e-invoice XML could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum XmlError {
    /// A draft or a test document has no number in the legal sequence: it is never
    /// exported as an e-invoice.
    #[error("the document has no number (a draft or a test document is never exported)")]
    Unnumbered,
    #[error("cannot write the XML: {0}")]
    Write(#[from] std::io::Error),
}

/// The specification identifier (BT-24) of both syntaxes: EN 16931 itself (for CII, the
/// Factur-X EN 16931 profile).
pub const EN16931: &str = "urn:cen.eu:en16931:2017";

/// Longest item name (BT-153) written; a longer description is cut there and given in
/// full as the item description (BT-154).
pub const ITEM_NAME_MAX_CHARS: usize = 100;

// ---------------------------------------------------------------------------------------
// Writer

/// Writes nested elements; children are written by a closure so that every start tag
/// gets its end tag.
pub struct XmlWriter {
    inner: Writer<Vec<u8>>,
}

pub type XmlResult = Result<(), XmlError>;

impl XmlWriter {
    /// A UTF-8 document with its XML declaration, indented by two spaces.
    ///
    /// # Errors
    /// Never in practice (writes to memory).
    pub fn new() -> Result<Self, XmlError> {
        let mut inner = Writer::new_with_indent(Vec::new(), b' ', 2);
        inner.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        Ok(Self { inner })
    }

    /// `<name attrs…>children</name>`.
    ///
    /// # Errors
    /// As the children's closure.
    pub fn node(
        &mut self,
        name: &str,
        attributes: &[(&str, &str)],
        children: impl FnOnce(&mut Self) -> XmlResult,
    ) -> XmlResult {
        let mut start = BytesStart::new(name);
        for (key, value) in attributes {
            start.push_attribute((*key, clean(value).as_str()));
        }
        self.inner.write_event(Event::Start(start))?;
        children(self)?;
        self.inner.write_event(Event::End(BytesEnd::new(name)))?;
        Ok(())
    }

    /// `<name>children</name>` with no attribute.
    ///
    /// # Errors
    /// As the children's closure.
    pub fn group(
        &mut self,
        name: &str,
        children: impl FnOnce(&mut Self) -> XmlResult,
    ) -> XmlResult {
        self.node(name, &[], children)
    }

    /// `<name attrs…>text</name>` (the text is escaped and stripped of the characters
    /// XML 1.0 cannot carry).
    ///
    /// # Errors
    /// Never in practice (writes to memory).
    pub fn leaf_with(&mut self, name: &str, attributes: &[(&str, &str)], text: &str) -> XmlResult {
        let mut start = BytesStart::new(name);
        for (key, value) in attributes {
            start.push_attribute((*key, clean(value).as_str()));
        }
        let end = start.to_end().into_owned();
        self.inner.write_event(Event::Start(start))?;
        let text = clean(text);
        self.inner.write_event(Event::Text(BytesText::new(&text)))?;
        self.inner.write_event(Event::End(end))?;
        Ok(())
    }

    /// `<name>text</name>`.
    ///
    /// # Errors
    /// Never in practice (writes to memory).
    pub fn leaf(&mut self, name: &str, text: &str) -> XmlResult {
        self.leaf_with(name, &[], text)
    }

    /// `<name>text</name>` when there is a non-blank text, nothing otherwise.
    ///
    /// # Errors
    /// Never in practice (writes to memory).
    pub fn leaf_opt(&mut self, name: &str, text: Option<&str>) -> XmlResult {
        match non_blank(text) {
            Some(text) => self.leaf(name, text),
            None => Ok(()),
        }
    }

    #[must_use]
    pub fn finish(self) -> Vec<u8> {
        let mut bytes = self.inner.into_inner();
        bytes.push(b'\n');
        bytes
    }
}

/// The text without the control characters XML 1.0 forbids (tab and line breaks stay).
fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .collect()
}

/// The trimmed text, `None` when absent or blank.
#[must_use]
pub fn non_blank(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

// ---------------------------------------------------------------------------------------
// Numbers and dates

/// An amount in cents as EN 16931 writes it: 2 decimals, a dot, a leading minus when
/// negative ("1234.50", "-0.05").
#[must_use]
pub fn amount(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// A quantity, a unit price or a percentage: as many decimals as it has, without
/// trailing zeros or exponent ("3", "7.5", "0.605", "1.2345").
#[must_use]
pub fn decimal(value: Decimal) -> String {
    let normalized = value.normalize();
    if normalized.is_zero() {
        "0".to_string()
    } else {
        normalized.to_string()
    }
}

/// A VAT rate in percent: "20", "5.5", "2.1", "0" (BT-96, BT-119, BT-152).
#[must_use]
pub fn rate(vat: VatCode) -> String {
    decimal(vat.rate())
}

/// Whether a VAT rate is written for this treatment: never for "not subject to VAT"
/// (category O, BR-O-05 and the like).
#[must_use]
pub fn has_rate(vat: VatCode) -> bool {
    vat.category() != "O"
}

/// CII date format 102: "20261125".
#[must_use]
pub fn date_102(date: NaiveDate) -> String {
    date.format("%Y%m%d").to_string()
}

/// ISO 8601 calendar date, as UBL writes it: "2026-11-25".
#[must_use]
pub fn date_iso(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// As printed on the PDF: "25/12/2026".
fn date_fr(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

// ---------------------------------------------------------------------------------------
// Mapping shared by both syntaxes

/// The document number (BT-1); drafts and test documents have none and are refused.
///
/// # Errors
/// [`XmlError::Unnumbered`].
pub fn number(doc: &InvoiceDocument) -> Result<&str, XmlError> {
    non_blank(doc.number.as_deref()).ok_or(XmlError::Unnumbered)
}

/// The French "cadre de facturation" (BT-23, BR-FR-08) of a plain invoice or credit
/// note: goods `B1`, services `S1`, both `M1`.
#[must_use]
pub const fn business_process(operation: Operation) -> &'static str {
    match operation {
        Operation::Goods => "B1",
        Operation::Services => "S1",
        Operation::Mixed => "M1",
    }
}

/// UNTDID 4451 subject codes of the notes (BT-21).
pub mod subject {
    /// Flat indemnity for recovery costs (Code de commerce art. D441-5).
    pub const PMT: &str = "PMT";
    /// Late-payment penalties (art. L441-10).
    pub const PMD: &str = "PMD";
    /// Early-payment discount, or that there is none.
    pub const AAB: &str = "AAB";
    /// General information: the document's object and free notes.
    pub const AAI: &str = "AAI";
}

/// One note of BG-1: subject code (BT-21) and text (BT-22).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub subject: &'static str,
    pub text: String,
}

/// The notes of the document, the French legal payment mentions each once (BR-FR-05,
/// BR-FR-06) with the very texts the PDF prints, then the object and the free notes.
/// The VAT mentions (art. 293 B, exemptions) are carried by the VAT breakdown's exemption
/// reasons (BT-120), the option for VAT on debits by the VAT point date code (BT-8).
#[must_use]
pub fn notes(doc: &InvoiceDocument) -> Vec<Note> {
    let payment = &doc.payment;
    let mut notes = Vec::new();
    if payment.recovery_indemnity {
        notes.push(Note {
            subject: subject::PMT,
            text: "Indemnité forfaitaire pour frais de recouvrement : 40 €".to_string(),
        });
    }
    notes.push(Note {
        subject: subject::PMD,
        text: format!(
            "Pénalités de retard : taux annuel de {}",
            format_rate(payment.late_penalty_rate_bp, Locale::Fr)
        ),
    });
    notes.push(Note {
        subject: subject::AAB,
        text: match non_blank(payment.early_payment_discount.as_deref()) {
            Some(discount) => format!("Escompte pour paiement anticipé : {discount}"),
            None => "Pas d'escompte pour paiement anticipé".to_string(),
        },
    });
    if let Some(label) = non_blank(Some(&doc.label)) {
        notes.push(Note {
            subject: subject::AAI,
            text: format!("Objet : {label}"),
        });
    }
    if let Some(text) = non_blank(doc.notes.as_deref()) {
        notes.push(Note {
            subject: subject::AAI,
            text: text.to_string(),
        });
    }
    notes
}

/// An electronic address (BT-34, BT-49) with its EAS scheme (BT-34-1, BT-49-1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub scheme: &'static str,
    pub id: String,
}

/// EAS 0225: the French e-invoicing directory address, a SIREN.
pub const EAS_FR_DIRECTORY: &str = "0225";
/// EAS EM: an e-mail address.
pub const EAS_EMAIL: &str = "EM";
/// ICD 0002: SIREN (legal registration, BT-30 / BT-47).
pub const ICD_SIREN: &str = "0002";
/// ICD 0009: SIRET (party identifier, BT-29 / BT-46).
pub const ICD_SIRET: &str = "0009";

/// The seller's address in the French directory: its SIREN (BR-FR-13).
#[must_use]
pub fn seller_endpoint(doc: &InvoiceDocument) -> Endpoint {
    Endpoint {
        scheme: EAS_FR_DIRECTORY,
        id: doc.seller.siren.trim().to_string(),
    }
}

/// The buyer's (BR-FR-12): its SIREN in the French directory when it has one, else its
/// e-mail address; `None` when neither is known.
#[must_use]
pub fn buyer_endpoint(doc: &InvoiceDocument) -> Option<Endpoint> {
    if let Some(siren) = non_blank(doc.buyer.siren.as_deref()) {
        return Some(Endpoint {
            scheme: EAS_FR_DIRECTORY,
            id: siren.to_string(),
        });
    }
    non_blank(doc.buyer.email.as_deref()).map(|email| Endpoint {
        scheme: EAS_EMAIL,
        id: email.to_string(),
    })
}

/// Whether the document is "not subject to VAT" (category O): then neither party's VAT
/// identifier is given (BR-O-02, BR-O-04).
#[must_use]
pub fn outside_scope(doc: &InvoiceDocument) -> bool {
    doc.lines.iter().any(|l| l.line.vat.category() == "O")
        || doc.breakdown.iter().any(|b| b.vat.category() == "O")
}

/// The seller's VAT identifier (BT-31) when it is written.
#[must_use]
pub fn seller_vat_id(doc: &InvoiceDocument) -> Option<&str> {
    if outside_scope(doc) {
        return None;
    }
    non_blank(doc.seller.vat_number.as_deref())
}

/// The seller's tax registration identifier (BT-32): its SIREN when it has no VAT number
/// (franchise en base), so that an exempt invoice still identifies the seller for tax
/// purposes (BR-E-02).
#[must_use]
pub fn seller_tax_registration(doc: &InvoiceDocument) -> Option<&str> {
    match non_blank(doc.seller.vat_number.as_deref()) {
        Some(_) => None,
        None => non_blank(Some(&doc.seller.siren)),
    }
}

/// The buyer's VAT identifier (BT-48) when it is written.
#[must_use]
pub fn buyer_vat_id(doc: &InvoiceDocument) -> Option<&str> {
    if outside_scope(doc) {
        return None;
    }
    non_blank(doc.buyer.vat_number.as_deref())
}

/// The seller's additional legal information (BT-33), as the PDF prints it: "SARL au
/// capital de 10 000,00 € – RCS Lyon".
#[must_use]
pub fn seller_legal_info(doc: &InvoiceDocument) -> Option<String> {
    let seller = &doc.seller;
    let label = seller.legal_form_label.trim();
    let form = match (label.is_empty(), seller.share_capital_cents) {
        (true, None) => None,
        (true, Some(capital)) => Some(format!("Capital de {}", format_cents(capital, Locale::Fr))),
        (false, None) => Some(label.to_string()),
        (false, Some(capital)) => Some(format!(
            "{label} au capital de {}",
            format_cents(capital, Locale::Fr)
        )),
    };
    let parts: Vec<String> = form
        .into_iter()
        .chain(non_blank(seller.registration.as_deref()).map(str::to_string))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" – "))
}

/// Whether a deliver-to place (BG-13, BG-15) is written: the delivery address when there
/// is one; for an intra-EU supply of goods (category K) the billing address otherwise,
/// since the country of arrival is required (BR-IC-12).
#[must_use]
pub fn delivery_address(doc: &InvoiceDocument) -> Option<&crate::views::document::Address> {
    if let Some(address) = &doc.buyer.delivery_address {
        return Some(address);
    }
    let intra_eu_goods = doc.lines.iter().any(|l| l.line.vat.category() == "K");
    intra_eu_goods.then_some(&doc.buyer.address)
}

/// The VAT point date code (BT-8) when the seller opted for VAT on debits ("option pour
/// le paiement de la TVA d'après les débits"): VAT is due at the invoice date. `None`
/// otherwise (the default rule applies) and on a document with no taxed line.
#[must_use]
pub fn vat_on_debits(doc: &InvoiceDocument) -> bool {
    doc.seller.vat_on_debits && doc.breakdown.iter().any(|b| b.vat.is_taxed())
}

/// The item name (BT-153) and, when the name is not the whole description, the full
/// description (BT-154). The name is the first line of the description, cut at a word
/// boundary after at most [`ITEM_NAME_MAX_CHARS`] characters.
#[must_use]
pub fn item_name(description: &str) -> (String, Option<String>) {
    let description = description.trim();
    let first_line = description.lines().next().unwrap_or_default();
    let collapsed = first_line.split_whitespace().collect::<Vec<_>>().join(" ");
    let name = if collapsed.chars().count() <= ITEM_NAME_MAX_CHARS {
        collapsed
    } else {
        let limit = ITEM_NAME_MAX_CHARS - 1;
        let cut: String = collapsed.chars().take(limit).collect();
        let cut = match cut.rfind(' ') {
            Some(space) if space > limit / 2 => cut[..space].to_string(),
            _ => cut,
        };
        format!("{}…", cut.trim_end_matches([' ', ',', ';', ':', '-']))
    };
    let full = (name != description).then(|| description.to_string());
    (name, full)
}

/// The reason of a document-level allowance or charge (BT-97 / BT-104, required by
/// BR-33 / BR-38 when no reason code is given).
#[must_use]
pub fn adjustment_reason(adjustment: &AppliedAdjustment) -> String {
    match non_blank(Some(&adjustment.reason)) {
        Some(reason) => reason.to_string(),
        None if adjustment.is_charge => "Frais".to_string(),
        None => "Remise".to_string(),
    }
}

/// The payment terms text (BT-20).
#[must_use]
pub fn payment_terms(doc: &InvoiceDocument) -> String {
    match doc.kind {
        DocumentKind::Invoice => {
            let term = if doc.payment.term_days > 0 {
                format!("paiement à {} jours", doc.payment.term_days)
            } else {
                "paiement à réception".to_string()
            };
            format!(
                "Conditions : {term}, au plus tard le {}",
                date_fr(doc.due_date)
            )
        }
        DocumentKind::CreditNote => match &doc.corrects {
            Some(invoice) => format!(
                "Avoir sur la facture {} du {} : montant déduit du solde ou remboursé",
                invoice.number,
                date_fr(invoice.issue_date)
            ),
            None => "Avoir : montant déduit du solde ou remboursé".to_string(),
        },
    }
}

/// The bank details of a SEPA credit transfer (BT-81 code 58, BG-17) when the document
/// gives an IBAN, with the remittance reference (BT-83).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer<'a> {
    pub iban: String,
    pub holder: Option<&'a str>,
    pub bic: Option<String>,
    pub reference: Option<&'a str>,
}

/// UNTDID 4461 code of a SEPA credit transfer.
pub const SEPA_CREDIT_TRANSFER: &str = "58";

#[must_use]
pub fn transfer(doc: &InvoiceDocument) -> Option<Transfer<'_>> {
    let payment = &doc.payment;
    let iban = non_blank(payment.iban.as_deref())?;
    Some(Transfer {
        iban: iban.split_whitespace().collect::<String>().to_uppercase(),
        holder: non_blank(payment.bank_holder.as_deref()),
        bic: non_blank(payment.bic.as_deref())
            .map(|b| b.split_whitespace().collect::<String>().to_uppercase()),
        reference: non_blank(payment.payment_reference.as_deref()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::example::{
        example_credit_note, example_franchise_invoice, example_invoice,
    };
    use rust_decimal_macros::dec;

    #[test]
    fn amounts_have_two_decimals_and_a_dot() {
        assert_eq!(amount(0), "0.00");
        assert_eq!(amount(5), "0.05");
        assert_eq!(amount(123_450), "1234.50");
        assert_eq!(amount(-5), "-0.05");
        assert_eq!(amount(-123_456), "-1234.56");
        assert_eq!(amount(i64::MIN), "-92233720368547758.08");
    }

    #[test]
    fn quantities_and_prices_keep_their_decimals_only() {
        assert_eq!(decimal(dec!(3)), "3");
        assert_eq!(decimal(dec!(3.0000)), "3");
        assert_eq!(decimal(dec!(7.50)), "7.5");
        assert_eq!(decimal(dec!(0.6050)), "0.605");
        assert_eq!(decimal(dec!(1.2345)), "1.2345");
        assert_eq!(decimal(dec!(142.50)), "142.5");
        assert_eq!(decimal(dec!(1000000)), "1000000");
        assert_eq!(decimal(dec!(0.0000)), "0");
        assert_eq!(decimal(-dec!(0)), "0");
    }

    #[test]
    fn rates_are_written_as_plain_percentages() {
        assert_eq!(rate(VatCode::Standard20), "20");
        assert_eq!(rate(VatCode::Reduced10), "10");
        assert_eq!(rate(VatCode::Reduced5_5), "5.5");
        assert_eq!(rate(VatCode::Special2_1), "2.1");
        assert_eq!(rate(VatCode::Franchise), "0");
        assert!(!has_rate(VatCode::OutsideScope));
        assert!(has_rate(VatCode::Export));
    }

    #[test]
    fn dates() {
        let day = NaiveDate::from_ymd_opt(2026, 2, 5).unwrap();
        assert_eq!(date_102(day), "20260205");
        assert_eq!(date_iso(day), "2026-02-05");
    }

    #[test]
    fn a_draft_has_no_number_to_export() {
        let mut doc = example_invoice(2);
        doc.number = None;
        assert!(matches!(number(&doc), Err(XmlError::Unnumbered)));
        doc.number = Some("  ".into());
        assert!(matches!(number(&doc), Err(XmlError::Unnumbered)));
    }

    #[test]
    fn legal_notes_come_once_each_with_the_pdf_texts() {
        let notes = notes(&example_invoice(3));
        for code in [subject::PMT, subject::PMD, subject::AAB] {
            assert_eq!(
                notes.iter().filter(|n| n.subject == code).count(),
                1,
                "{code}"
            );
        }
        assert!(notes.contains(&Note {
            subject: subject::PMD,
            text: "Pénalités de retard : taux annuel de 12,15\u{a0}%".into()
        }));
        assert!(notes.contains(&Note {
            subject: subject::AAB,
            text: "Pas d'escompte pour paiement anticipé".into()
        }));
        let franchise = super::notes(&example_franchise_invoice());
        assert!(franchise.contains(&Note {
            subject: subject::AAB,
            text: "Escompte pour paiement anticipé : 2 % pour un paiement sous 8 jours".into()
        }));
    }

    #[test]
    fn electronic_addresses() {
        let doc = example_invoice(1);
        assert_eq!(
            seller_endpoint(&doc),
            Endpoint {
                scheme: "0225",
                id: "732829320".into()
            }
        );
        assert_eq!(
            buyer_endpoint(&doc),
            Some(Endpoint {
                scheme: "0225",
                id: "852379163".into()
            })
        );
        let mut foreign = doc.clone();
        foreign.buyer.siren = None;
        assert_eq!(
            buyer_endpoint(&foreign),
            Some(Endpoint {
                scheme: "EM",
                id: "compta@brasserie-canuts.example".into()
            })
        );
        foreign.buyer.email = None;
        assert_eq!(buyer_endpoint(&foreign), None);
    }

    #[test]
    fn long_descriptions_give_a_short_name_and_the_full_text() {
        let (name, full) = item_name("Nuitées non consommées");
        assert_eq!(name, "Nuitées non consommées");
        assert_eq!(full, None);
        let long = example_credit_note().lines[0].line.description.repeat(3);
        let (name, full) = item_name(&long);
        assert!(name.chars().count() <= ITEM_NAME_MAX_CHARS, "{name}");
        assert!(name.ends_with('…'));
        assert_eq!(full.as_deref(), Some(long.as_str()));
        let (name, full) = item_name("Refonte du site\nDétail : maquettes, intégration");
        assert_eq!(name, "Refonte du site");
        assert!(full.is_some());
    }

    #[test]
    fn seller_legal_information() {
        assert_eq!(
            seller_legal_info(&example_invoice(1)).as_deref(),
            Some("SARL au capital de 10\u{202f}000,00\u{a0}€ – RCS Lyon")
        );
        assert_eq!(
            seller_legal_info(&example_franchise_invoice()).as_deref(),
            Some("EI")
        );
    }
}
