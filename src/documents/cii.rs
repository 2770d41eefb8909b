//! The UN/CEFACT Cross Industry Invoice (CII D16B) of an issued invoice or credit note, in
//! the Factur-X / `ZUGFeRD` **EN 16931** profile (guideline `urn:cen.eu:en16931:2017`): the
//! XML embedded as `factur-x.xml` in the Factur-X PDF and offered as the CII export.
//!
//! Elements come in the order of the Factur-X 1.0 EN 16931 XSD; the content follows
//! EN 16931 and the French CTC rules (BR-FR), see `xml.rs` for the mapping decisions shared
//! with the UBL export. `scripts/validate_einvoices.py` checks the result against the
//! official XSD and schematrons (the tests below run it).

use crate::{
    domain::{invoice::AppliedAdjustment, vat::VatCode},
    views::document::{Address, DocumentLine, InvoiceDocument},
};

use super::xml::{
    self, amount, date_102, decimal, has_rate, rate, Endpoint, XmlError, XmlResult, XmlWriter,
};

const RSM: &str = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";
const RAM: &str =
    "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100";
const QDT: &str = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100";
const UDT: &str = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100";

/// The CII XML of a numbered document.
///
/// # Errors
/// [`XmlError::Unnumbered`] for a draft or a test document (no number: never exported).
pub fn cii_xml(doc: &InvoiceDocument) -> Result<Vec<u8>, XmlError> {
    let number = xml::number(doc)?;
    let mut w = XmlWriter::new()?;
    w.node(
        "rsm:CrossIndustryInvoice",
        &[
            ("xmlns:rsm", RSM),
            ("xmlns:qdt", QDT),
            ("xmlns:ram", RAM),
            ("xmlns:udt", UDT),
        ],
        |w| {
            context(w, doc)?;
            exchanged_document(w, doc, number)?;
            w.group("rsm:SupplyChainTradeTransaction", |w| {
                for (index, line) in doc.lines.iter().enumerate() {
                    line_item(w, index + 1, line)?;
                }
                agreement(w, doc)?;
                delivery(w, doc)?;
                settlement(w, doc)
            })
        },
    )?;
    Ok(w.finish())
}

/// BG-2: business process (BT-23) and specification (BT-24).
fn context(w: &mut XmlWriter, doc: &InvoiceDocument) -> XmlResult {
    w.group("rsm:ExchangedDocumentContext", |w| {
        w.group(
            "ram:BusinessProcessSpecifiedDocumentContextParameter",
            |w| w.leaf("ram:ID", xml::business_process(doc.operation)),
        )?;
        w.group("ram:GuidelineSpecifiedDocumentContextParameter", |w| {
            w.leaf("ram:ID", xml::EN16931)
        })
    })
}

/// BT-1, BT-3, BT-2 and the notes (BG-1).
fn exchanged_document(w: &mut XmlWriter, doc: &InvoiceDocument, number: &str) -> XmlResult {
    w.group("rsm:ExchangedDocument", |w| {
        w.leaf("ram:ID", number)?;
        w.leaf("ram:TypeCode", doc.kind.type_code())?;
        w.group("ram:IssueDateTime", |w| date_time(w, doc.issue_date))?;
        for note in xml::notes(doc) {
            w.group("ram:IncludedNote", |w| {
                w.leaf("ram:Content", &note.text)?;
                w.leaf("ram:SubjectCode", note.subject)
            })?;
        }
        Ok(())
    })
}

fn date_time(w: &mut XmlWriter, date: chrono::NaiveDate) -> XmlResult {
    w.leaf_with("udt:DateTimeString", &[("format", "102")], &date_102(date))
}

/// BG-25: one invoice line.
fn line_item(w: &mut XmlWriter, id: usize, line: &DocumentLine) -> XmlResult {
    let (name, description) = xml::item_name(&line.line.description);
    w.group("ram:IncludedSupplyChainTradeLineItem", |w| {
        w.group("ram:AssociatedDocumentLineDocument", |w| {
            w.leaf("ram:LineID", &id.to_string())
        })?;
        w.group("ram:SpecifiedTradeProduct", |w| {
            w.leaf("ram:Name", &name)?;
            w.leaf_opt("ram:Description", description.as_deref())
        })?;
        w.group("ram:SpecifiedLineTradeAgreement", |w| {
            w.group("ram:NetPriceProductTradePrice", |w| {
                w.leaf("ram:ChargeAmount", &decimal(line.line.unit_price))
            })
        })?;
        w.group("ram:SpecifiedLineTradeDelivery", |w| {
            w.leaf_with(
                "ram:BilledQuantity",
                &[("unitCode", line.line.unit.as_str())],
                &decimal(line.line.quantity),
            )
        })?;
        w.group("ram:SpecifiedLineTradeSettlement", |w| {
            w.group("ram:ApplicableTradeTax", |w| {
                w.leaf("ram:TypeCode", "VAT")?;
                w.leaf("ram:CategoryCode", line.line.vat.category())?;
                line_rate(w, line.line.vat)
            })?;
            w.group("ram:SpecifiedTradeSettlementLineMonetarySummation", |w| {
                w.leaf("ram:LineTotalAmount", &amount(line.net_cents))
            })
        })
    })
}

fn line_rate(w: &mut XmlWriter, vat: VatCode) -> XmlResult {
    if has_rate(vat) {
        w.leaf("ram:RateApplicablePercent", &rate(vat))?;
    }
    Ok(())
}

/// BG-4 seller and BG-7 buyer.
fn agreement(w: &mut XmlWriter, doc: &InvoiceDocument) -> XmlResult {
    let seller = &doc.seller;
    let buyer = &doc.buyer;
    w.group("ram:ApplicableHeaderTradeAgreement", |w| {
        w.group("ram:SellerTradeParty", |w| {
            party_ids(w, Some(&seller.siret))?;
            w.leaf("ram:Name", &seller.legal_name)?;
            w.leaf_opt("ram:Description", xml::seller_legal_info(doc).as_deref())?;
            legal_organization(w, Some(&seller.siren))?;
            contact(w, None, seller.phone.as_deref(), Some(&seller.email))?;
            address(w, &seller.address)?;
            endpoint(w, Some(&xml::seller_endpoint(doc)))?;
            tax_registration(w, "VA", xml::seller_vat_id(doc))?;
            tax_registration(w, "FC", xml::seller_tax_registration(doc))
        })?;
        w.group("ram:BuyerTradeParty", |w| {
            party_ids(w, buyer.siret.as_deref())?;
            w.leaf("ram:Name", &buyer.legal_name)?;
            legal_organization(w, buyer.siren.as_deref())?;
            contact(
                w,
                buyer.contact_name.as_deref(),
                None,
                buyer.email.as_deref(),
            )?;
            address(w, &buyer.address)?;
            endpoint(w, xml::buyer_endpoint(doc).as_ref())?;
            tax_registration(w, "VA", xml::buyer_vat_id(doc))
        })
    })
}

/// BT-29 / BT-46: the SIRET of the establishment, ICD 0009.
fn party_ids(w: &mut XmlWriter, siret: Option<&str>) -> XmlResult {
    if let Some(siret) = xml::non_blank(siret) {
        w.leaf_with("ram:GlobalID", &[("schemeID", xml::ICD_SIRET)], siret)?;
    }
    Ok(())
}

/// BT-30 / BT-47: the SIREN, ICD 0002.
fn legal_organization(w: &mut XmlWriter, siren: Option<&str>) -> XmlResult {
    if let Some(siren) = xml::non_blank(siren) {
        w.group("ram:SpecifiedLegalOrganization", |w| {
            w.leaf_with("ram:ID", &[("schemeID", xml::ICD_SIREN)], siren)
        })?;
    }
    Ok(())
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
    w.group("ram:DefinedTradeContact", |w| {
        w.leaf_opt("ram:PersonName", name)?;
        if let Some(phone) = phone {
            w.group("ram:TelephoneUniversalCommunication", |w| {
                w.leaf("ram:CompleteNumber", phone)
            })?;
        }
        if let Some(email) = email {
            w.group("ram:EmailURIUniversalCommunication", |w| {
                w.leaf("ram:URIID", email)
            })?;
        }
        Ok(())
    })
}

/// BG-5 / BG-8 / BG-15.
fn address(w: &mut XmlWriter, address: &Address) -> XmlResult {
    w.group("ram:PostalTradeAddress", |w| {
        w.leaf_opt("ram:PostcodeCode", Some(&address.postcode))?;
        w.leaf_opt("ram:LineOne", Some(&address.street))?;
        w.leaf_opt("ram:LineTwo", address.street2.as_deref())?;
        w.leaf_opt("ram:CityName", Some(&address.city))?;
        w.leaf("ram:CountryID", address.country.trim())
    })
}

/// BT-34 / BT-49.
fn endpoint(w: &mut XmlWriter, endpoint: Option<&Endpoint>) -> XmlResult {
    if let Some(endpoint) = endpoint {
        w.group("ram:URIUniversalCommunication", |w| {
            w.leaf_with("ram:URIID", &[("schemeID", endpoint.scheme)], &endpoint.id)
        })?;
    }
    Ok(())
}

/// BT-31 / BT-48 (`VA`) and BT-32 (`FC`).
fn tax_registration(w: &mut XmlWriter, scheme: &str, id: Option<&str>) -> XmlResult {
    if let Some(id) = id {
        w.group("ram:SpecifiedTaxRegistration", |w| {
            w.leaf_with("ram:ID", &[("schemeID", scheme)], id)
        })?;
    }
    Ok(())
}

/// BG-13: where and when the goods or services were delivered.
fn delivery(w: &mut XmlWriter, doc: &InvoiceDocument) -> XmlResult {
    w.group("ram:ApplicableHeaderTradeDelivery", |w| {
        if let Some(place) = xml::delivery_address(doc) {
            w.group("ram:ShipToTradeParty", |w| {
                w.leaf("ram:Name", &doc.buyer.legal_name)?;
                address(w, place)
            })?;
        }
        if doc.service_period.is_none() {
            w.group("ram:ActualDeliverySupplyChainEvent", |w| {
                w.group("ram:OccurrenceDateTime", |w| {
                    date_time(w, doc.delivery_date)
                })
            })?;
        }
        Ok(())
    })
}

/// Payment, VAT breakdown, period, allowances and charges, terms, totals, and the
/// corrected invoice.
fn settlement(w: &mut XmlWriter, doc: &InvoiceDocument) -> XmlResult {
    let transfer = xml::transfer(doc);
    w.group("ram:ApplicableHeaderTradeSettlement", |w| {
        if let Some(reference) = transfer.as_ref().and_then(|t| t.reference) {
            w.leaf("ram:PaymentReference", reference)?;
        }
        w.leaf("ram:InvoiceCurrencyCode", &doc.currency)?;
        if let Some(transfer) = &transfer {
            w.group("ram:SpecifiedTradeSettlementPaymentMeans", |w| {
                w.leaf("ram:TypeCode", xml::SEPA_CREDIT_TRANSFER)?;
                w.group("ram:PayeePartyCreditorFinancialAccount", |w| {
                    w.leaf("ram:IBANID", &transfer.iban)?;
                    w.leaf_opt("ram:AccountName", transfer.holder)
                })?;
                if let Some(bic) = &transfer.bic {
                    w.group("ram:PayeeSpecifiedCreditorFinancialInstitution", |w| {
                        w.leaf("ram:BICID", bic)
                    })?;
                }
                Ok(())
            })?;
        }
        let on_debits = xml::vat_on_debits(doc);
        for part in &doc.breakdown {
            w.group("ram:ApplicableTradeTax", |w| {
                w.leaf("ram:CalculatedAmount", &amount(part.vat_cents))?;
                w.leaf("ram:TypeCode", "VAT")?;
                w.leaf_opt("ram:ExemptionReason", part.vat.exemption_reason())?;
                w.leaf("ram:BasisAmount", &amount(part.basis_cents))?;
                w.leaf("ram:CategoryCode", part.vat.category())?;
                w.leaf_opt("ram:ExemptionReasonCode", part.vat.vatex())?;
                if on_debits {
                    // UNTDID 2475 code 5: VAT is due at the invoice date.
                    w.leaf("ram:DueDateTypeCode", "5")?;
                }
                line_rate(w, part.vat)
            })?;
        }
        if let Some(period) = &doc.service_period {
            w.group("ram:BillingSpecifiedPeriod", |w| {
                w.group("ram:StartDateTime", |w| date_time(w, period.start))?;
                w.group("ram:EndDateTime", |w| date_time(w, period.end))
            })?;
        }
        for adjustment in &doc.adjustments {
            allowance_charge(w, adjustment)?;
        }
        w.group("ram:SpecifiedTradePaymentTerms", |w| {
            w.leaf("ram:Description", &xml::payment_terms(doc))?;
            w.group("ram:DueDateDateTime", |w| date_time(w, doc.due_date))
        })?;
        totals(w, doc)?;
        if let Some(invoice) = &doc.corrects {
            w.group("ram:InvoiceReferencedDocument", |w| {
                w.leaf("ram:IssuerAssignedID", &invoice.number)?;
                w.group("ram:FormattedIssueDateTime", |w| {
                    w.leaf_with(
                        "qdt:DateTimeString",
                        &[("format", "102")],
                        &date_102(invoice.issue_date),
                    )
                })
            })?;
        }
        Ok(())
    })
}

/// BG-20 / BG-21.
fn allowance_charge(w: &mut XmlWriter, adjustment: &AppliedAdjustment) -> XmlResult {
    w.group("ram:SpecifiedTradeAllowanceCharge", |w| {
        w.group("ram:ChargeIndicator", |w| {
            w.leaf(
                "udt:Indicator",
                if adjustment.is_charge {
                    "true"
                } else {
                    "false"
                },
            )
        })?;
        if let (Some(percent), Some(base)) = (adjustment.percent, adjustment.base_cents) {
            w.leaf("ram:CalculationPercent", &decimal(percent))?;
            w.leaf("ram:BasisAmount", &amount(base))?;
        }
        w.leaf("ram:ActualAmount", &amount(adjustment.amount_cents))?;
        w.leaf("ram:Reason", &xml::adjustment_reason(adjustment))?;
        w.group("ram:CategoryTradeTax", |w| {
            w.leaf("ram:TypeCode", "VAT")?;
            w.leaf("ram:CategoryCode", adjustment.vat.category())?;
            line_rate(w, adjustment.vat)
        })
    })
}

/// BG-22.
fn totals(w: &mut XmlWriter, doc: &InvoiceDocument) -> XmlResult {
    let t = &doc.totals;
    w.group("ram:SpecifiedTradeSettlementHeaderMonetarySummation", |w| {
        w.leaf("ram:LineTotalAmount", &amount(t.lines_cents))?;
        if doc.adjustments.iter().any(|a| a.is_charge) {
            w.leaf("ram:ChargeTotalAmount", &amount(t.charges_cents))?;
        }
        if doc.adjustments.iter().any(|a| !a.is_charge) {
            w.leaf("ram:AllowanceTotalAmount", &amount(t.allowances_cents))?;
        }
        w.leaf("ram:TaxBasisTotalAmount", &amount(t.net_cents))?;
        w.leaf_with(
            "ram:TaxTotalAmount",
            &[("currencyID", doc.currency.as_str())],
            &amount(t.vat_cents),
        )?;
        w.leaf("ram:GrandTotalAmount", &amount(t.total_cents))?;
        w.leaf("ram:DuePayableAmount", &amount(t.total_cents))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::{corpus, example::example_invoice};

    #[test]
    fn a_draft_is_never_exported() {
        let mut doc = example_invoice(2);
        doc.number = None;
        assert!(matches!(cii_xml(&doc), Err(XmlError::Unnumbered)));
    }

    #[test]
    fn the_invoice_carries_the_documents_figures() {
        let doc = example_invoice(8);
        let text = String::from_utf8(cii_xml(&doc).unwrap()).unwrap();
        assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
        assert!(text.contains("<ram:ID>F-2026-000042</ram:ID>"), "{text}");
        assert!(text.contains("<ram:ID>S1</ram:ID>"));
        assert!(text.contains("<ram:ID>urn:cen.eu:en16931:2017</ram:ID>"));
        assert!(text.contains(&format!(
            "<ram:GrandTotalAmount>{}</ram:GrandTotalAmount>",
            amount(doc.totals.total_cents)
        )));
        assert!(text.contains(&format!(
            "<ram:TaxTotalAmount currencyID=\"EUR\">{}</ram:TaxTotalAmount>",
            amount(doc.totals.vat_cents)
        )));
        assert!(text.contains("<ram:URIID schemeID=\"0225\">732829320</ram:URIID>"));
        assert!(text.contains("<ram:BilledQuantity unitCode=\"C62\">312</ram:BilledQuantity>"));
        assert!(text.contains("<ram:ChargeAmount>0.605</ram:ChargeAmount>"));
        assert!(text.contains("<ram:RateApplicablePercent>10</ram:RateApplicablePercent>"));
        assert!(text.contains("<ram:SubjectCode>PMT</ram:SubjectCode>"));
    }

    fn text(doc: &InvoiceDocument) -> String {
        String::from_utf8(cii_xml(doc).unwrap()).unwrap()
    }

    fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
        let from = text.find(start).unwrap_or_else(|| panic!("no {start}"));
        let to = from + text[from..].find(end).unwrap_or_else(|| panic!("no {end}"));
        &text[from..to]
    }

    #[test]
    fn not_subject_to_vat_gives_no_vat_identifier_and_no_rate() {
        let doc = corpus::document("outside-scope");
        assert!(doc.seller.vat_number.is_some() && doc.buyer.vat_number.is_some());
        let xml = text(&doc);
        assert!(!xml.contains("SpecifiedTaxRegistration"), "{xml}");
        assert!(!xml.contains("RateApplicablePercent"));
        assert!(xml.contains("<ram:ExemptionReasonCode>VATEX-EU-O</ram:ExemptionReasonCode>"));
        assert!(xml.contains("<ram:URIID schemeID=\"EM\">accounts@client.example</ram:URIID>"));
    }

    #[test]
    fn franchise_identifies_the_seller_by_its_siren_for_tax() {
        let xml = text(&corpus::document("franchise"));
        let seller = between(&xml, "<ram:SellerTradeParty>", "</ram:SellerTradeParty>");
        assert!(seller.contains("<ram:ID schemeID=\"FC\">914726302</ram:ID>"));
        assert!(!seller.contains("schemeID=\"VA\""));
        assert!(xml.contains(
            "<ram:ExemptionReason>TVA non applicable, art. 293 B du CGI</ram:ExemptionReason>"
        ));
        assert!(
            xml.contains("<ram:ExemptionReasonCode>VATEX-FR-FRANCHISE</ram:ExemptionReasonCode>")
        );
        assert!(
            !xml.contains("DueDateTypeCode"),
            "no VAT, no VAT point date"
        );
    }

    #[test]
    fn intra_eu_goods_always_name_the_country_of_arrival() {
        let mut doc = corpus::document("intra-eu-goods");
        let xml = text(&doc);
        assert!(xml.contains("<ram:ID>B1</ram:ID>"));
        let ship_to = between(&xml, "<ram:ShipToTradeParty>", "</ram:ShipToTradeParty>");
        assert!(ship_to.contains("Liège") && ship_to.contains("<ram:CountryID>BE</ram:CountryID>"));
        doc.buyer.delivery_address = None;
        let xml = text(&doc);
        let ship_to = between(&xml, "<ram:ShipToTradeParty>", "</ram:ShipToTradeParty>");
        assert!(ship_to.contains("Rue de la Loi 42"), "{ship_to}");
        let buyer = between(&xml, "<ram:BuyerTradeParty>", "</ram:BuyerTradeParty>");
        assert!(buyer.contains("<ram:ID schemeID=\"VA\">BE0477472701</ram:ID>"));
        // No delivery address and no intra-EU goods: no deliver-to place.
        assert!(!text(&corpus::document("one-rate")).contains("ShipToTradeParty"));
    }

    #[test]
    fn reverse_charge_to_a_german_company() {
        let xml = text(&corpus::document("reverse-charge"));
        let buyer = between(&xml, "<ram:BuyerTradeParty>", "</ram:BuyerTradeParty>");
        assert!(buyer.contains("<ram:ID schemeID=\"VA\">DE136695976</ram:ID>"));
        assert!(buyer.contains("<ram:URIID schemeID=\"EM\">"));
        assert!(!buyer.contains("SpecifiedLegalOrganization"));
        assert!(xml.contains("<ram:CategoryCode>AE</ram:CategoryCode>"));
        assert!(xml.contains("<ram:ExemptionReason>Autoliquidation</ram:ExemptionReason>"));
    }

    #[test]
    fn a_subscription_gives_its_period_instead_of_a_delivery_date() {
        let xml = text(&corpus::document("subscription"));
        let period = between(
            &xml,
            "<ram:BillingSpecifiedPeriod>",
            "</ram:BillingSpecifiedPeriod>",
        );
        assert!(period.contains("20261201") && period.contains("20261231"));
        assert!(!xml.contains("ActualDeliverySupplyChainEvent"));
        assert!(text(&corpus::document("one-rate")).contains("ActualDeliverySupplyChainEvent"));
    }

    #[test]
    fn a_credit_note_references_the_invoice_it_corrects() {
        let xml = text(&corpus::document("partial-credit-note"));
        assert!(xml.contains("<ram:TypeCode>381</ram:TypeCode>"));
        let reference = between(
            &xml,
            "<ram:InvoiceReferencedDocument>",
            "</ram:InvoiceReferencedDocument>",
        );
        assert!(reference.contains("<ram:IssuerAssignedID>F-2026-000042</ram:IssuerAssignedID>"));
        assert!(
            reference.contains("<qdt:DateTimeString format=\"102\">20261125</qdt:DateTimeString>")
        );
    }

    #[test]
    fn every_document_of_the_corpus_passes_the_official_rules() {
        corpus::validate_all("cii", cii_xml);
    }

    #[test]
    fn the_validation_rejects_a_broken_document() {
        corpus::broken_document_is_rejected("cii", cii_xml, |xml| {
            xml.replace(
                "<ram:SubjectCode>PMT</ram:SubjectCode>",
                "<ram:SubjectCode>AAI</ram:SubjectCode>",
            )
            .replace("<ram:GrandTotalAmount>", "<ram:GrandTotalAmount>1")
        });
    }
}
