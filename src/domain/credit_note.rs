//! Credit notes ("avoirs", type 381): the only way to cancel or correct an issued invoice
//! (DOMAIN.md "Invoices and credit notes"). A credit note mirrors the invoice it corrects
//! and never credits more than what remains creditable on it.

use rust_decimal::Decimal;

use super::{
    invoice::{compute, from_cents, Adjustment, Computed, Line, VatBreakdown},
    money::parse_decimal,
    vat::VatCode,
};

/// What remains creditable: the invoice total less every credit note already issued
/// against it.
#[must_use]
pub fn creditable_remainder(invoice_total_cents: i64, credited_totals: &[i64]) -> i64 {
    invoice_total_cents - credited_totals.iter().sum::<i64>()
}

/// A credit note is accepted when it credits something, only on VAT treatments of the
/// invoice, never more basis per treatment than the invoice had less earlier credits, and
/// never more in all than what remains creditable.
///
/// # Errors
/// `credit-note-empty`, `credit-vat-not-on-invoice`, `credit-exceeds-remainder`.
pub fn check_credit(
    credit: &Computed,
    invoice: &Computed,
    earlier: &[Computed],
) -> Result<(), &'static str> {
    if credit.totals.total_cents <= 0 {
        return Err("credit-note-empty");
    }
    for part in &credit.breakdown {
        let Some(invoiced) = invoice.breakdown.iter().find(|b| b.vat == part.vat) else {
            return Err("credit-vat-not-on-invoice");
        };
        let already: i64 = earlier
            .iter()
            .flat_map(|c| &c.breakdown)
            .filter(|b| b.vat == part.vat)
            .map(|b| b.basis_cents)
            .sum();
        if part.basis_cents + already > invoiced.basis_cents {
            return Err("credit-exceeds-remainder");
        }
    }
    let earlier_totals: Vec<i64> = earlier.iter().map(|c| c.totals.total_cents).collect();
    if credit.totals.total_cents > creditable_remainder(invoice.totals.total_cents, &earlier_totals)
    {
        return Err("credit-exceeds-remainder");
    }
    Ok(())
}

/// The same lines with opposite quantities: how a credit note reads in a ledger or a
/// signed listing. Applying it twice gives the lines back.
#[must_use]
pub fn negated(lines: &[Line]) -> Vec<Line> {
    lines
        .iter()
        .map(|line| Line {
            quantity: -line.quantity,
            ..line.clone()
        })
        .collect()
}

/// The total credit note of an invoice nothing was credited on yet: its very lines and
/// adjustments (amounts in a 381 document are positive; the type gives the sign).
#[must_use]
pub fn full_mirror(lines: &[Line], adjustments: &[Adjustment]) -> (Vec<Line>, Vec<Adjustment>) {
    (lines.to_vec(), adjustments.to_vec())
}

/// The closing credit note of an invoice already partly credited: one line per VAT
/// treatment for the basis left, lowered by a cent at a time if rounding the VAT would
/// take it above what remains creditable.
#[must_use]
pub fn closing_lines(
    invoice: &[VatBreakdown],
    credited: &[VatBreakdown],
    remainder_cents: i64,
    description: &str,
) -> Vec<Line> {
    let mut remaining: Vec<(VatCode, i64)> = invoice
        .iter()
        .map(|b| {
            let already: i64 = credited
                .iter()
                .filter(|c| c.vat == b.vat)
                .map(|c| c.basis_cents)
                .sum();
            (b.vat, b.basis_cents - already)
        })
        .filter(|(_, basis)| *basis > 0)
        .collect();
    let build = |remaining: &[(VatCode, i64)]| -> Vec<Line> {
        remaining
            .iter()
            .filter(|(_, basis)| *basis > 0)
            .map(|(vat, basis)| Line {
                description: description.to_string(),
                quantity: Decimal::ONE,
                unit: "LS".into(),
                unit_price: from_cents(*basis),
                vat: *vat,
            })
            .collect()
    };
    loop {
        let lines = build(&remaining);
        if compute(&lines, &[]).totals.total_cents <= remainder_cents {
            return lines;
        }
        // The largest basis gives up one cent (rounding dust only: a few cents at most).
        match remaining.iter_mut().max_by_key(|(_, basis)| *basis) {
            Some(largest) if largest.1 > 0 => largest.1 -= 1,
            _ => return Vec::new(),
        }
    }
}

/// A partial credit note by lines: the chosen lines of the invoice, each with the
/// quantity to credit (at most the invoiced quantity).
///
/// # Errors
/// `(index, code)`: `credit-line-unknown`, `number-invalid`, `quantity-not-positive`,
/// `credit-quantity-too-large`.
pub fn partial_lines(
    invoice_lines: &[Line],
    chosen: &[(usize, String)],
) -> Result<Vec<Line>, (usize, &'static str)> {
    let mut lines = Vec::new();
    for (index, quantity) in chosen {
        let original = invoice_lines
            .get(*index)
            .ok_or((*index, "credit-line-unknown"))?;
        let quantity = if quantity.trim().is_empty() {
            original.quantity
        } else {
            parse_decimal(quantity, 4).map_err(|code| (*index, code))?
        };
        if quantity <= Decimal::ZERO {
            return Err((*index, "quantity-not-positive"));
        }
        if quantity > original.quantity {
            return Err((*index, "credit-quantity-too-large"));
        }
        lines.push(Line {
            quantity: quantity.normalize(),
            ..original.clone()
        });
    }
    Ok(lines)
}

/// A partial credit note by amount: one line of `net_cents` excluding VAT on one of the
/// invoice's VAT treatments.
#[must_use]
pub fn amount_line(description: &str, net_cents: i64, vat: VatCode) -> Line {
    Line {
        description: description.to_string(),
        quantity: Decimal::ONE,
        unit: "LS".into(),
        unit_price: from_cents(net_cents),
        vat,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::invoice::compute;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn line(quantity: Decimal, unit_price: Decimal, vat: VatCode) -> Line {
        Line {
            description: "Prestation".into(),
            quantity,
            unit: "C62".into(),
            unit_price,
            vat,
        }
    }

    #[test]
    fn a_total_credit_note_credits_exactly_the_invoice() {
        let lines = vec![
            line(dec!(3), dec!(33.3333), VatCode::Standard20),
            line(dec!(1), dec!(12.5), VatCode::Reduced10),
        ];
        let invoice = compute(&lines, &[]);
        let (credit_lines, credit_adjustments) = full_mirror(&lines, &[]);
        let credit = compute(&credit_lines, &credit_adjustments);
        assert_eq!(credit.totals, invoice.totals);
        assert_eq!(check_credit(&credit, &invoice, &[]), Ok(()));
        // A second one finds nothing left.
        assert_eq!(
            check_credit(&credit, &invoice, std::slice::from_ref(&credit)),
            Err("credit-exceeds-remainder")
        );
        let other_rate = compute(&[amount_line("Geste", 100, VatCode::Special2_1)], &[]);
        assert_eq!(
            check_credit(&other_rate, &invoice, &[]),
            Err("credit-vat-not-on-invoice")
        );
    }

    #[test]
    fn partial_lines_cannot_credit_more_than_invoiced() {
        let lines = vec![line(dec!(5), dec!(100), VatCode::Standard20)];
        let partial = partial_lines(&lines, &[(0, "2".into())]).unwrap();
        assert_eq!(partial[0].quantity, dec!(2));
        assert_eq!(
            partial_lines(&lines, &[(0, "6".into())]),
            Err((0, "credit-quantity-too-large"))
        );
        assert_eq!(
            partial_lines(&lines, &[(3, "1".into())]),
            Err((3, "credit-line-unknown"))
        );
        assert_eq!(
            partial_lines(&lines, &[(0, String::new())]).unwrap()[0].quantity,
            dec!(5)
        );
    }

    #[test]
    fn the_closing_credit_note_never_goes_past_the_remainder() {
        // Two partial credits of 0,03 € at 20 % (VAT 0,01 each) on an invoice of 0,06 €
        // (VAT 0,01): per-rate rounding would credit one cent too many.
        let invoice = compute(&[line(dec!(1), dec!(0.06), VatCode::Standard20)], &[]);
        let first = compute(&[amount_line("Geste", 3, VatCode::Standard20)], &[]);
        assert_eq!(first.totals.total_cents, 4);
        let remainder =
            creditable_remainder(invoice.totals.total_cents, &[first.totals.total_cents]);
        let closing = closing_lines(&invoice.breakdown, &first.breakdown, remainder, "Solde");
        let closing = compute(&closing, &[]);
        assert!(closing.totals.total_cents <= remainder);
        assert_eq!(closing.totals.total_cents, 2);
    }

    fn arbitrary_line() -> impl Strategy<Value = Line> {
        (1i64..=1_000_000, 1i64..=10_000_000, 0usize..4)
            .prop_map(|(q, p, v)| line(Decimal::new(q, 4), Decimal::new(p, 4), VatCode::ALL[v]))
    }

    proptest! {
        #[test]
        fn negating_twice_is_identity(lines in proptest::collection::vec(arbitrary_line(), 0..8)) {
            prop_assert_eq!(negated(&negated(&lines)), lines);
        }

        #[test]
        fn credits_never_exceed_the_creditable_remainder(
            lines in proptest::collection::vec(arbitrary_line(), 1..6),
            partials in proptest::collection::vec((0usize..4, 1i64..=50_000), 0..5),
        ) {
            let invoice = compute(&lines, &[]);
            let mut credited: Vec<Computed> = Vec::new();
            for (vat_index, cents) in partials {
                let vat = invoice.breakdown[vat_index % invoice.breakdown.len()].vat;
                let attempt = compute(&[amount_line("Geste", cents, vat)], &[]);
                // Refused credits are never issued; accepted ones stay within the remainder.
                if check_credit(&attempt, &invoice, &credited).is_ok() {
                    credited.push(attempt);
                }
            }
            let credited_totals: Vec<i64> = credited.iter().map(|c| c.totals.total_cents).collect();
            let remainder = creditable_remainder(invoice.totals.total_cents, &credited_totals);
            prop_assert!(remainder >= 0);
            let credited_breakdown: Vec<VatBreakdown> =
                credited.iter().flat_map(|c| c.breakdown.clone()).collect();
            let closing = compute(
                &closing_lines(&invoice.breakdown, &credited_breakdown, remainder, "Solde"),
                &[],
            );
            prop_assert!(closing.totals.total_cents <= remainder);
            prop_assert!(
                remainder - closing.totals.total_cents <= 2 + credited.len() as i64,
                "only rounding dust is left"
            );
        }
    }
}
