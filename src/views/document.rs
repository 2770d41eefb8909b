//! The frozen document: everything an invoice or credit note prints, copied at issue from
//! the seller's profile and the client account (later edits of either never change an
//! issued document). The PDF, the HTML preview and the e-invoice XML are all rendered from
//! this one value, stored as JSON with the document.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::domain::{
    invoice::{AppliedAdjustment, Line, Totals, VatBreakdown},
    vat::VatCode,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// UNTDID 1001 code 380.
    Invoice,
    /// UNTDID 1001 code 381.
    CreditNote,
}

impl DocumentKind {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Invoice => "invoice",
            Self::CreditNote => "credit_note",
        }
    }

    /// UNTDID 1001 document type code (BT-3).
    #[must_use]
    pub const fn type_code(self) -> &'static str {
        match self {
            Self::Invoice => "380",
            Self::CreditNote => "381",
        }
    }

    /// # Errors
    /// `kind-invalid`.
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        match input {
            "invoice" => Ok(Self::Invoice),
            "credit_note" => Ok(Self::CreditNote),
            _ => Err("kind-invalid"),
        }
    }
}

/// The nature of the operation (mention required from the 2026 reform): goods, services
/// or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Services,
    Goods,
    Mixed,
}

impl Operation {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Services => "services",
            Self::Goods => "goods",
            Self::Mixed => "mixed",
        }
    }

    /// # Errors
    /// `operation-invalid`.
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        match input.trim() {
            "" | "services" => Ok(Self::Services),
            "goods" => Ok(Self::Goods),
            "mixed" => Ok(Self::Mixed),
            _ => Err("operation-invalid"),
        }
    }

    /// As printed (French: the legal document's language).
    #[must_use]
    pub const fn label_fr(self) -> &'static str {
        match self {
            Self::Services => "Prestations de services",
            Self::Goods => "Livraison de biens",
            Self::Mixed => "Livraison de biens et prestations de services",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Street lines then "postcode city".
    pub lines: Vec<String>,
    pub street: String,
    pub street2: Option<String>,
    pub postcode: String,
    pub city: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// The country's name in French, as printed.
    pub country_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seller {
    pub legal_name: String,
    /// Code of `domain::company::LEGAL_FORMS` and its printed label.
    pub legal_form: String,
    pub legal_form_label: String,
    pub address: Address,
    pub siren: String,
    pub siret: String,
    pub vat_number: Option<String>,
    /// Franchise en base (CGI art. 293 B).
    pub vat_franchise: bool,
    /// "Option pour le paiement de la TVA d'après les débits".
    pub vat_on_debits: bool,
    /// "RCS Lyon" and the like.
    pub registration: Option<String>,
    pub share_capital_cents: Option<i64>,
    pub email: String,
    pub phone: Option<String>,
    /// SHA-256 of the logo printed on the document (bytes kept in `document_files`).
    pub logo_sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Buyer {
    pub legal_name: String,
    pub customer_number: Option<String>,
    pub address: Address,
    pub delivery_address: Option<Address>,
    pub siren: Option<String>,
    pub siret: Option<String>,
    pub vat_number: Option<String>,
    pub contact_name: Option<String>,
    pub email: Option<String>,
}

/// One printed line with its net amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentLine {
    #[serde(flatten)]
    pub line: Line,
    pub net_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentTerms {
    pub term_days: i32,
    /// Late-payment penalty rate in basis points (Code de commerce art. L441-10).
    pub late_penalty_rate_bp: i32,
    /// The 40 € flat recovery indemnity applies between professionals (art. D441-5).
    pub recovery_indemnity: bool,
    /// Early-payment discount conditions, "no discount" when `None`.
    pub early_payment_discount: Option<String>,
    pub bank_holder: Option<String>,
    pub iban: Option<String>,
    pub bic: Option<String>,
    /// The reference to quote with a bank transfer.
    pub payment_reference: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// For a credit note: the invoice it corrects (BT-25 / BT-26).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectedInvoice {
    pub number: String,
    pub issue_date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceDocument {
    pub kind: DocumentKind,
    /// `None` for a draft or a test document: never numbered in the legal sequence.
    pub number: Option<String>,
    /// Sent to the seller only, watermarked "TEST — sans valeur légale".
    pub test_mode: bool,
    pub label: String,
    /// ISO 4217.
    pub currency: String,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    /// The date of the sale or of the service (when no period is given).
    pub delivery_date: NaiveDate,
    pub service_period: Option<Period>,
    pub operation: Operation,
    pub seller: Seller,
    pub buyer: Buyer,
    pub lines: Vec<DocumentLine>,
    pub adjustments: Vec<AppliedAdjustment>,
    pub breakdown: Vec<VatBreakdown>,
    pub totals: Totals,
    pub payment: PaymentTerms,
    pub notes: Option<String>,
    pub corrects: Option<CorrectedInvoice>,
    /// When it was issued: the PDF's dates, so that rendering twice gives the same bytes.
    pub issued_at: Option<DateTime<FixedOffset>>,
}

impl InvoiceDocument {
    /// The VAT treatments used, for legal mentions (each exemption reason printed once).
    #[must_use]
    pub fn exemption_reasons(&self) -> Vec<&'static str> {
        let mut reasons: Vec<&'static str> = self
            .breakdown
            .iter()
            .filter_map(|b| VatCode::exemption_reason(b.vat))
            .collect();
        reasons.dedup();
        reasons
    }

    /// The title printed at the top: "Facture" or "Avoir".
    #[must_use]
    pub const fn title_fr(&self) -> &'static str {
        match self.kind {
            DocumentKind::Invoice => "Facture",
            DocumentKind::CreditNote => "Avoir",
        }
    }
}
