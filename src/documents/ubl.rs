//! The OASIS UBL 2.1 e-invoice of an issued document: an `Invoice` (type 380) or a
//! `CreditNote` (type 381, with `CreditNoteLine` and `CreditedQuantity`), customization
//! `urn:cen.eu:en16931:2017`, written the Peppol BIS Billing 3.0 way where that does not
//! conflict with EN 16931 or the French CTC rules: notes as `#SUBJECT#text`, the French
//! "cadre de facturation" (BT-23) in `cbc:ProfileID` as the French UBL rules read it.
//!
//! It carries the same information as the CII export (`cii.rs`); the shared mapping
//! decisions live in `xml.rs`. `scripts/validate_einvoices.py` checks the result against
//! the UBL 2.1 XSD, the CEN EN 16931 UBL schematron and the French rules (the tests below
//! run it).

use crate::{
    domain::{invoice::AppliedAdjustment, vat::VatCode},
    views::document::{Address, DocumentKind, DocumentLine, InvoiceDocument},
};

use super::xml::{
    self, amount, date_iso, decimal, has_rate, rate, Endpoint, XmlError, XmlResult, XmlWriter,
};

const INVOICE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
const CREDIT_NOTE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
const CAC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
const CBC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";

/// The UBL 2.1 XML of a numbered document.
///
/// # Errors
/// [`XmlError::Unnumbered`] for a draft or a test document (no number: never exported).
pub fn ubl_xml(doc: &InvoiceDocument) -> Result<Vec<u8>, XmlError> {
    let number = xml::number(doc)?;
    let credit = doc.kind == DocumentKind::CreditNote;
    let (root, namespace) = if credit {
        ("CreditNote", CREDIT_NOTE_NS)
    } else {
        ("Invoice", INVOICE_NS)
    };
    let mut w = XmlWriter::new()?;
    w.node(
        root,
        &[("xmlns", namespace), ("xmlns:cac", CAC), ("xmlns:cbc", CBC)],
        |w| {
            w.leaf("cbc:CustomizationID", xml::EN16931)?;
            w.leaf("cbc:ProfileID", xml::business_process(doc.operation))?;
            w.leaf("cbc:ID", number)?;
            w.leaf("cbc:IssueDate", &date_iso(doc.issue_date))?;
            if credit {
                w.leaf("cbc:CreditNoteTypeCode", doc.kind.type_code())?;
            } else {
                w.leaf("cbc:DueDate", &date_iso(doc.due_date))?;
                w.leaf("cbc:InvoiceTypeCode", doc.kind.type_code())?;
            }
            for note in xml::notes(doc) {
                w.leaf("cbc:Note", &format!("#{}#{}", note.subject, note.text))?;
            }
            w.leaf("cbc:DocumentCurrencyCode", &doc.currency)?;
            invoice_period(w, doc)?;
            if let Some(invoice) = &doc.corrects {
                w.group("cac:BillingReference", |w| {
                    w.group("cac:InvoiceDocumentReference", |w| {
                        w.leaf("cbc:ID", &invoice.number)?;
                        w.leaf("cbc:IssueDate", &date_iso(invoice.issue_date))
                    })
                })?;
            }
            supplier(w, doc)?;
            customer(w, doc)?;
            delivery(w, doc)?;
            payment_means(w, doc)?;
            w.group("cac:PaymentTerms", |w| {
                w.leaf("cbc:Note", &xml::payment_terms(doc))
            })?;
            for adjustment in &doc.adjustments {
                allowance_charge(w, &doc.currency, adjustment)?;
            }
            tax_total(w, doc)?;
            monetary_total(w, doc)?;
            for (index, line) in doc.lines.iter().enumerate() {
                invoice_line(w, &doc.currency, credit, index + 1, line)?;
            }
            Ok(())
        },
    )?;
    Ok(w.finish())
}

/// BG-14 (the service period) and BT-8 (VAT on debits: UNTDID 2005 code 3, the invoice
/// date).
fn invoice_period(w: &mut XmlWriter, doc: &InvoiceDocument) -> XmlResult {
    let on_debits = xml::vat_on_debits(doc);
    if doc.service_period.is_none() && !on_debits {
        return Ok(());
    }
    w.group("cac:InvoicePeriod", |w| {
        if let Some(period) = &doc.service_period {
            w.leaf("cbc:StartDate", &date_iso(period.start))?;
            w.leaf("cbc:EndDate", &date_iso(period.end))?;
        }
        if on_debits {
            w.leaf("cbc:DescriptionCode", "3")?;
        }
        Ok(())
    })
}

/// BG-4 seller.
fn supplier(w: &mut XmlWriter, doc: &InvoiceDocument) -> XmlResult {
    let seller = &doc.seller;
    w.group("cac:AccountingSupplierParty", |w| {
        w.group("cac:Party", |w| {
            endpoint(w, Some(&xml::seller_endpoint(doc)))?;
            party_identification(w, Some(&seller.siret))?;
            address(w, "cac:PostalAddress", &seller.address)?;
            party_tax_scheme(w, xml::seller_vat_id(doc), "VAT")?;
            party_tax_scheme(w, xml::seller_tax_registration(doc), "FC")?;
            w.group("cac:PartyLegalEntity", |w| {
                w.leaf("cbc:RegistrationName", &seller.legal_name)?;
                w.leaf_with(
                    "cbc:CompanyID",
                    &[("schemeID", xml::ICD_SIREN)],
                    seller.siren.trim(),
                )?;
                w.leaf_opt(
                    "cbc:CompanyLegalForm",
                    xml::seller_legal_info(doc).as_deref(),
                )
            })?;
            contact(w, None, seller.phone.as_deref(), Some(&seller.email))
        })
    })
}

/// BG-7 buyer.
fn customer(w: &mut XmlWriter, doc: &InvoiceDocument) -> XmlResult {
    let buyer = &doc.buyer;
    w.group("cac:AccountingCustomerParty", |w| {
        w.group("cac:Party", |w| {
            endpoint(w, xml::buyer_endpoint(doc).as_ref())?;
            party_identification(w, buyer.siret.as_deref())?;
            address(w, "cac:PostalAddress", &buyer.address)?;
            party_tax_scheme(w, xml::buyer_vat_id(doc), "VAT")?;
            w.group("cac:PartyLegalEntity", |w| {
                w.leaf("cbc:RegistrationName", &buyer.legal_name)?;
                if let Some(siren) = xml::non_blank(buyer.siren.as_deref()) {
                    w.leaf_with("cbc:CompanyID", &[("schemeID", xml::ICD_SIREN)], siren)?;
                }
                Ok(())
            })?;
            contact(
                w,
                buyer.contact_name.as_deref(),
                None,
                buyer.email.as_deref(),
            )
        })
    })
}

/// BT-34 / BT-49.
fn endpoint(w: &mut XmlWriter, endpoint: Option<&Endpoint>) -> XmlResult {
    match endpoint {
        Some(endpoint) => w.leaf_with(
            "cbc:EndpointID",
            &[("schemeID", endpoint.scheme)],
            &endpoint.id,
        ),
        None => Ok(()),
    }
}

/// BT-29 / BT-46: the SIRET, ICD 0009.
fn party_identification(w: &mut XmlWriter, siret: Option<&str>) -> XmlResult {
    match xml::non_blank(siret) {
        Some(siret) => w.group("cac:PartyIdentification", |w| {
            w.leaf_with("cbc:ID", &[("schemeID", xml::ICD_SIRET)], siret)
        }),
        None => Ok(()),
    }
}

/// BT-31 / BT-48 (tax scheme `VAT`) and BT-32 (`FC`).
fn party_tax_scheme(w: &mut XmlWriter, id: Option<&str>, scheme: &str) -> XmlResult {
    match id {
        Some(id) => w.group("cac:PartyTaxScheme", |w| {
            w.leaf("cbc:CompanyID", id)?;
            w.group("cac:TaxScheme", |w| w.leaf("cbc:ID", scheme))
        }),
        None => Ok(()),
    }
}

/// BG-5 / BG-8 / BG-15.
fn address(w: &mut XmlWriter, element: &str, address: &Address) -> XmlResult {
    w.group(element, |w| {
        w.leaf_opt("cbc:StreetName", Some(&address.street))?;
        w.leaf_opt("cbc:AdditionalStreetName", address.street2.as_deref())?;
        w.leaf_opt("cbc:CityName", Some(&address.city))?;
        w.leaf_opt("cbc:PostalZone", Some(&address.postcode))?;
        w.group("cac:Country", |w| {
            w.leaf("cbc:IdentificationCode", address.country.trim())
        })
    })
}

/// BG-6 / BG-9.
fn contact(
    w: &mut XmlWriter,
    name: Option<&str>,
    phone: Option<&str>,
    email: Option<&str>,
) -> XmlResult {
    let (name, phone, email) = (
        xml::non_blank(name),
        xml::non_blank(phone),
        xml::non_blank(email),
    );
    if name.is_none() && phone.is_none() && email.is_none() {
        return Ok(());
    }
    w.group("cac:Contact", |w| {
        w.leaf_opt("cbc:Name", name)?;
        w.leaf_opt("cbc:Telephone", phone)?;
        w.leaf_opt("cbc:ElectronicMail", email)
    })
}

/// BG-13: the actual delivery date (BT-72) when there is no service period, the
/// deliver-to place.
fn delivery(w: &mut XmlWriter, doc: &InvoiceDocument) -> XmlResult {
    let place = xml::delivery_address(doc);
    let date = doc.service_period.is_none();
    if place.is_none() && !date {
        return Ok(());
    }
    w.group("cac:Delivery", |w| {
        if date {
            w.leaf("cbc:ActualDeliveryDate", &date_iso(doc.delivery_date))?;
        }
        if let Some(place) = place {
            w.group("cac:DeliveryLocation", |w| address(w, "cac:Address", place))?;
            w.group("cac:DeliveryParty", |w| {
                w.group("cac:PartyName", |w| {
                    w.leaf("cbc:Name", &doc.buyer.legal_name)
                })
            })?;
        }
        Ok(())
    })
}

/// BG-16: a SEPA credit transfer to the seller's IBAN. On a credit note the due date
/// (BT-9) has its place here too (UBL 2.1 `CreditNote` has no `DueDate`).
fn payment_means(w: &mut XmlWriter, doc: &InvoiceDocument) -> XmlResult {
    let Some(transfer) = xml::transfer(doc) else {
        return Ok(());
    };
    w.group("cac:PaymentMeans", |w| {
        w.leaf("cbc:PaymentMeansCode", xml::SEPA_CREDIT_TRANSFER)?;
        if doc.kind == DocumentKind::CreditNote {
            w.leaf("cbc:PaymentDueDate", &date_iso(doc.due_date))?;
        }
        w.leaf_opt("cbc:PaymentID", transfer.reference)?;
        w.group("cac:PayeeFinancialAccount", |w| {
            w.leaf("cbc:ID", &transfer.iban)?;
            w.leaf_opt("cbc:Name", transfer.holder)?;
            if let Some(bic) = &transfer.bic {
                w.group("cac:FinancialInstitutionBranch", |w| w.leaf("cbc:ID", bic))?;
            }
            Ok(())
        })
    })
}

fn money(w: &mut XmlWriter, element: &str, currency: &str, cents: i64) -> XmlResult {
    w.leaf_with(element, &[("currencyID", currency)], &amount(cents))
}

/// A VAT category: code, rate (never for category O) and, in the breakdown, the
/// exemption reason.
fn tax_category(w: &mut XmlWriter, element: &str, vat: VatCode, exemption: bool) -> XmlResult {
    w.group(element, |w| {
        w.leaf("cbc:ID", vat.category())?;
        if has_rate(vat) {
            w.leaf("cbc:Percent", &rate(vat))?;
        }
        if exemption {
            w.leaf_opt("cbc:TaxExemptionReasonCode", vat.vatex())?;
            w.leaf_opt("cbc:TaxExemptionReason", vat.exemption_reason())?;
        }
        w.group("cac:TaxScheme", |w| w.leaf("cbc:ID", "VAT"))
    })
}

/// BG-20 / BG-21.
fn allowance_charge(
    w: &mut XmlWriter,
    currency: &str,
    adjustment: &AppliedAdjustment,
) -> XmlResult {
    w.group("cac:AllowanceCharge", |w| {
        w.leaf(
            "cbc:ChargeIndicator",
            if adjustment.is_charge {
                "true"
            } else {
                "false"
            },
        )?;
        w.leaf(
            "cbc:AllowanceChargeReason",
            &xml::adjustment_reason(adjustment),
        )?;
        let percentage = adjustment.percent.zip(adjustment.base_cents);
        if let Some((percent, _)) = percentage {
            w.leaf("cbc:MultiplierFactorNumeric", &decimal(percent))?;
        }
        money(w, "cbc:Amount", currency, adjustment.amount_cents)?;
        if let Some((_, base)) = percentage {
            money(w, "cbc:BaseAmount", currency, base)?;
        }
        tax_category(w, "cac:TaxCategory", adjustment.vat, false)
    })
}

/// BT-110 and the VAT breakdown (BG-23).
fn tax_total(w: &mut XmlWriter, doc: &InvoiceDocument) -> XmlResult {
    w.group("cac:TaxTotal", |w| {
        money(w, "cbc:TaxAmount", &doc.currency, doc.totals.vat_cents)?;
        for part in &doc.breakdown {
            w.group("cac:TaxSubtotal", |w| {
                money(w, "cbc:TaxableAmount", &doc.currency, part.basis_cents)?;
                money(w, "cbc:TaxAmount", &doc.currency, part.vat_cents)?;
                tax_category(w, "cac:TaxCategory", part.vat, true)
            })?;
        }
        Ok(())
    })
}

/// BG-22.
fn monetary_total(w: &mut XmlWriter, doc: &InvoiceDocument) -> XmlResult {
    let t = &doc.totals;
    let currency = doc.currency.as_str();
    w.group("cac:LegalMonetaryTotal", |w| {
        money(w, "cbc:LineExtensionAmount", currency, t.lines_cents)?;
        money(w, "cbc:TaxExclusiveAmount", currency, t.net_cents)?;
        money(w, "cbc:TaxInclusiveAmount", currency, t.total_cents)?;
        if doc.adjustments.iter().any(|a| !a.is_charge) {
            money(w, "cbc:AllowanceTotalAmount", currency, t.allowances_cents)?;
        }
        if doc.adjustments.iter().any(|a| a.is_charge) {
            money(w, "cbc:ChargeTotalAmount", currency, t.charges_cents)?;
        }
        money(w, "cbc:PayableAmount", currency, t.total_cents)
    })
}

/// BG-25.
fn invoice_line(
    w: &mut XmlWriter,
    currency: &str,
    credit: bool,
    id: usize,
    line: &DocumentLine,
) -> XmlResult {
    let (element, quantity) = if credit {
        ("cac:CreditNoteLine", "cbc:CreditedQuantity")
    } else {
        ("cac:InvoiceLine", "cbc:InvoicedQuantity")
    };
    let (name, description) = xml::item_name(&line.line.description);
    w.group(element, |w| {
        w.leaf("cbc:ID", &id.to_string())?;
        w.leaf_with(
            quantity,
            &[("unitCode", line.line.unit.as_str())],
            &decimal(line.line.quantity),
        )?;
        money(w, "cbc:LineExtensionAmount", currency, line.net_cents)?;
        w.group("cac:Item", |w| {
            w.leaf_opt("cbc:Description", description.as_deref())?;
            w.leaf("cbc:Name", &name)?;
            tax_category(w, "cac:ClassifiedTaxCategory", line.line.vat, false)
        })?;
        w.group("cac:Price", |w| {
            w.leaf_with(
                "cbc:PriceAmount",
                &[("currencyID", currency)],
                &decimal(line.line.unit_price),
            )
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::{
        corpus,
        example::{example_credit_note, example_invoice},
    };

    #[test]
    fn a_draft_is_never_exported() {
        let mut doc = example_credit_note();
        doc.number = None;
        assert!(matches!(ubl_xml(&doc), Err(XmlError::Unnumbered)));
    }

    #[test]
    fn an_invoice_and_a_credit_note() {
        let doc = example_invoice(8);
        let text = String::from_utf8(ubl_xml(&doc).unwrap()).unwrap();
        assert!(
            text.contains(&format!("<Invoice xmlns=\"{INVOICE_NS}\"")),
            "{text}"
        );
        assert!(text.contains("<cbc:ProfileID>S1</cbc:ProfileID>"));
        assert!(text.contains("<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>"));
        assert!(text.contains(
            "<cbc:Note>#PMT#Indemnité forfaitaire pour frais de recouvrement : 40 €</cbc:Note>"
        ));
        assert!(text.contains(&format!(
            "<cbc:PayableAmount currencyID=\"EUR\">{}</cbc:PayableAmount>",
            amount(doc.totals.total_cents)
        )));
        assert!(text.contains("<cbc:InvoicedQuantity unitCode=\"HUR\">7.5</cbc:InvoicedQuantity>"));

        let credit = example_credit_note();
        let text = String::from_utf8(ubl_xml(&credit).unwrap()).unwrap();
        assert!(text.contains(&format!("<CreditNote xmlns=\"{CREDIT_NOTE_NS}\"")));
        assert!(text.contains("<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>"));
        assert!(text.contains("<cbc:CreditedQuantity unitCode=\"C62\">2</cbc:CreditedQuantity>"));
        assert!(text.contains("<cbc:ID>F-2026-000042</cbc:ID>"));
        assert!(!text.contains("InvoiceLine"));
    }

    #[test]
    fn every_document_of_the_corpus_passes_the_official_rules() {
        corpus::validate_all("ubl", ubl_xml);
    }

    #[test]
    fn the_validation_rejects_a_broken_document() {
        corpus::broken_document_is_rejected("ubl", ubl_xml, |xml| {
            xml.replace("#PMT#", "#AAI#").replace(
                "<cbc:TaxInclusiveAmount currencyID=\"EUR\">",
                "<cbc:TaxInclusiveAmount currencyID=\"EUR\">1",
            )
        });
    }
}
