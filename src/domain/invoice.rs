//! Invoice lines, document-level allowances and charges, and the totals exactly as
//! EN 16931 computes them (DOMAIN.md "Money"): line nets rounded half away from zero; VAT
//! per VAT treatment on the sum of that treatment's bases; one breakdown line per treatment.

use std::collections::BTreeMap;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::{error::FieldErrors, money::parse_decimal, vat::VatCode};

/// Rounds to the cent, half away from zero, and returns cents.
#[must_use]
pub fn to_cents(amount: Decimal) -> i64 {
    let rounded = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let cents = rounded * Decimal::ONE_HUNDRED;
    i64::try_from(cents).unwrap_or(if cents.is_sign_negative() {
        i64::MIN
    } else {
        i64::MAX
    })
}

/// Cents as a decimal amount.
#[must_use]
pub fn from_cents(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

/// Units of measure (UN/ECE Recommendation 20 codes, as EN 16931 BT-130 wants them).
pub const UNITS: &[&str] = &["C62", "HUR", "DAY", "WEE", "MON", "ANN", "LS"];

/// # Errors
/// `unit-invalid`.
pub fn parse_unit(input: &str) -> Result<&'static str, &'static str> {
    let code = input.trim().to_uppercase();
    if code.is_empty() {
        return Ok("C62");
    }
    UNITS
        .iter()
        .find(|u| **u == code)
        .copied()
        .ok_or("unit-invalid")
}

/// Largest quantity or unit price accepted.
const MAX_MAGNITUDE: i64 = 1_000_000_000;
/// Largest line net in euros: with at most [`MAX_LINES`] lines every total stays far from
/// the limits of 64-bit cents.
const MAX_LINE_NET: i64 = 100_000_000_000;
/// Lines of one document.
pub const MAX_LINES: usize = 500;

/// One invoice line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub description: String,
    /// Up to 4 decimals.
    pub quantity: Decimal,
    /// UN/ECE Rec 20 unit code.
    pub unit: String,
    /// Excluding VAT, up to 4 decimals.
    pub unit_price: Decimal,
    pub vat: VatCode,
}

impl Line {
    /// Quantity × unit price, rounded to the cent half away from zero (BT-131).
    #[must_use]
    pub fn net_cents(&self) -> i64 {
        to_cents(self.quantity * self.unit_price)
    }
}

/// What a form or the API gives for a line, as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct LineInput {
    pub description: String,
    pub quantity: String,
    pub unit: String,
    pub unit_price: String,
    pub vat: String,
}

impl LineInput {
    #[must_use]
    pub fn is_blank(&self) -> bool {
        self.description.trim().is_empty()
            && self.quantity.trim().is_empty()
            && self.unit_price.trim().is_empty()
    }
}

fn bounded(value: Decimal) -> Result<Decimal, &'static str> {
    if value.abs() >= Decimal::from(MAX_MAGNITUDE) {
        Err("number-too-large")
    } else {
        Ok(value)
    }
}

/// Parses the lines of a document; errors are reported as `lines[<i>].<field>`.
///
/// # Errors
/// `lines-required` when there is no line; each wrong field otherwise.
pub fn parse_lines(inputs: &[LineInput], errors: &mut LineErrors) -> Vec<Line> {
    let mut lines = Vec::new();
    if inputs.iter().filter(|l| !l.is_blank()).count() > MAX_LINES {
        errors.general("too-many-lines");
        return lines;
    }
    for (index, input) in inputs.iter().enumerate().filter(|(_, l)| !l.is_blank()) {
        let description = input.description.trim();
        if description.is_empty() {
            errors.push(index, "description", "required");
        } else if description.chars().count() > 1000 {
            errors.push(index, "description", "too-long");
        }
        let quantity = parse_decimal(&input.quantity, 4).and_then(bounded);
        let quantity = match quantity {
            Ok(q) if q <= Decimal::ZERO => {
                errors.push(index, "quantity", "quantity-not-positive");
                None
            }
            Ok(q) => Some(q),
            Err(code) => {
                errors.push(index, "quantity", code);
                None
            }
        };
        let unit_price = match parse_decimal(&input.unit_price, 4).and_then(bounded) {
            // EN 16931 BR-27: an item's net price is never negative; discounts are
            // allowances (the document-level discount, or a credit note).
            Ok(p) if p.is_sign_negative() && !p.is_zero() => {
                errors.push(index, "unit_price", "unit-price-negative");
                None
            }
            Ok(p) => Some(p),
            Err(code) => {
                errors.push(index, "unit_price", code);
                None
            }
        };
        let unit = match parse_unit(&input.unit) {
            Ok(u) => Some(u),
            Err(code) => {
                errors.push(index, "unit", code);
                None
            }
        };
        let vat = match VatCode::parse(&input.vat) {
            Ok(v) => Some(v),
            Err(code) => {
                errors.push(index, "vat", code);
                None
            }
        };
        if let (Some(q), Some(p)) = (quantity, unit_price) {
            if (q * p).abs() >= Decimal::from(MAX_LINE_NET) {
                errors.push(index, "unit_price", "line-total-too-large");
                continue;
            }
        }
        if let (Some(quantity), Some(unit_price), Some(unit), Some(vat), false) =
            (quantity, unit_price, unit, vat, description.is_empty())
        {
            lines.push(Line {
                description: description.to_string(),
                quantity: quantity.normalize(),
                unit: unit.to_string(),
                unit_price: unit_price.normalize(),
                vat,
            });
        }
    }
    if lines.is_empty() && errors.is_empty() {
        errors.general("lines-required");
    }
    lines
}

/// Field errors of line fields, kept apart because their names carry an index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineErrors {
    /// (line index, field, code)
    pub lines: Vec<(usize, &'static str, &'static str)>,
    pub general: Option<&'static str>,
}

impl LineErrors {
    pub fn push(&mut self, index: usize, field: &'static str, code: &'static str) {
        self.lines.push((index, field, code));
    }

    pub fn general(&mut self, code: &'static str) {
        self.general = Some(code);
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty() && self.general.is_none()
    }
}

/// A document-level allowance (discount) or charge (BG-20 / BG-21).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjustment {
    pub is_charge: bool,
    pub reason: String,
    pub amount: AdjustmentAmount,
    /// The VAT treatment it applies to; `None` with a percentage spreads it over every
    /// treatment of the lines (one adjustment per treatment, as EN 16931 requires).
    pub vat: Option<VatCode>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentAmount {
    Cents(i64),
    /// Percent of the base, up to 2 decimals.
    Percent(Decimal),
}

/// An adjustment resolved against the lines: one VAT treatment, an amount in cents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedAdjustment {
    pub is_charge: bool,
    pub reason: String,
    pub vat: VatCode,
    pub amount_cents: i64,
    /// For a percentage: its base (BT-93/BT-100) and percent (BT-94/BT-101).
    pub base_cents: Option<i64>,
    pub percent: Option<Decimal>,
}

/// One line of the VAT breakdown (BG-23).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatBreakdown {
    pub vat: VatCode,
    /// BT-116.
    pub basis_cents: i64,
    /// BT-117.
    pub vat_cents: i64,
}

/// Document totals (BG-22), all in cents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// BT-106: sum of line nets.
    pub lines_cents: i64,
    /// BT-107.
    pub allowances_cents: i64,
    /// BT-108.
    pub charges_cents: i64,
    /// BT-109: total excluding VAT.
    pub net_cents: i64,
    /// BT-110.
    pub vat_cents: i64,
    /// BT-112: total including VAT.
    pub total_cents: i64,
}

/// The computed figures of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Computed {
    pub line_nets: Vec<i64>,
    pub adjustments: Vec<AppliedAdjustment>,
    pub breakdown: Vec<VatBreakdown>,
    pub totals: Totals,
}

/// Resolves adjustments: an amount stays on its treatment; a percentage applies to the
/// net of its treatment's lines, or to each treatment's lines when none is given.
#[must_use]
pub fn apply_adjustments(lines: &[Line], adjustments: &[Adjustment]) -> Vec<AppliedAdjustment> {
    let mut nets_by_vat: BTreeMap<VatCode, i64> = BTreeMap::new();
    for line in lines {
        *nets_by_vat.entry(line.vat).or_default() += line.net_cents();
    }
    let mut applied = Vec::new();
    for adjustment in adjustments {
        match (adjustment.amount, adjustment.vat) {
            (AdjustmentAmount::Cents(cents), Some(vat)) => applied.push(AppliedAdjustment {
                is_charge: adjustment.is_charge,
                reason: adjustment.reason.clone(),
                vat,
                amount_cents: cents,
                base_cents: None,
                percent: None,
            }),
            (AdjustmentAmount::Cents(cents), None) => {
                // An amount for every rate: split in proportion to each rate's net (EN 16931
                // wants one allowance or charge per VAT category); the last share takes the
                // rounding remainder so the parts add up to the amount.
                applied.extend(
                    split_amount(cents, &nets_by_vat)
                        .into_iter()
                        .map(|(vat, part)| AppliedAdjustment {
                            is_charge: adjustment.is_charge,
                            reason: adjustment.reason.clone(),
                            vat,
                            amount_cents: part,
                            base_cents: None,
                            percent: None,
                        }),
                );
            }
            (AdjustmentAmount::Percent(percent), only) => {
                for (vat, base) in &nets_by_vat {
                    if only.is_some_and(|o| o != *vat) {
                        continue;
                    }
                    applied.push(AppliedAdjustment {
                        is_charge: adjustment.is_charge,
                        reason: adjustment.reason.clone(),
                        vat: *vat,
                        amount_cents: to_cents(from_cents(*base) * percent / Decimal::ONE_HUNDRED),
                        base_cents: Some(*base),
                        percent: Some(percent),
                    });
                }
            }
        }
    }
    applied
}

/// Splits an amount over VAT treatments in proportion to their nets.
fn split_amount(cents: i64, nets_by_vat: &BTreeMap<VatCode, i64>) -> Vec<(VatCode, i64)> {
    let total: i64 = nets_by_vat.values().sum();
    let count = nets_by_vat.len();
    if count == 0 {
        return Vec::new();
    }
    let mut parts = Vec::with_capacity(count);
    let mut given = 0;
    for (index, (vat, net)) in nets_by_vat.iter().enumerate() {
        let part = if index + 1 == count {
            cents - given
        } else if total == 0 {
            0
        } else {
            to_cents(from_cents(cents) * Decimal::from(*net) / Decimal::from(total))
        };
        given += part;
        parts.push((*vat, part));
    }
    parts
}

/// Computes every figure of a document from its lines and adjustments.
#[must_use]
pub fn compute(lines: &[Line], adjustments: &[Adjustment]) -> Computed {
    let line_nets: Vec<i64> = lines.iter().map(Line::net_cents).collect();
    let applied = apply_adjustments(lines, adjustments);
    let mut bases: BTreeMap<VatCode, i64> = BTreeMap::new();
    for (line, net) in lines.iter().zip(&line_nets) {
        *bases.entry(line.vat).or_default() += net;
    }
    for adjustment in &applied {
        let signed = if adjustment.is_charge {
            adjustment.amount_cents
        } else {
            -adjustment.amount_cents
        };
        *bases.entry(adjustment.vat).or_default() += signed;
    }
    let breakdown: Vec<VatBreakdown> = bases
        .into_iter()
        .map(|(vat, basis_cents)| VatBreakdown {
            vat,
            basis_cents,
            vat_cents: to_cents(from_cents(basis_cents) * vat.rate() / Decimal::ONE_HUNDRED),
        })
        .collect();
    let lines_cents: i64 = line_nets.iter().sum();
    let allowances_cents: i64 = applied
        .iter()
        .filter(|a| !a.is_charge)
        .map(|a| a.amount_cents)
        .sum();
    let charges_cents: i64 = applied
        .iter()
        .filter(|a| a.is_charge)
        .map(|a| a.amount_cents)
        .sum();
    let net_cents = lines_cents - allowances_cents + charges_cents;
    let vat_cents: i64 = breakdown.iter().map(|b| b.vat_cents).sum();
    Computed {
        line_nets,
        adjustments: applied,
        breakdown,
        totals: Totals {
            lines_cents,
            allowances_cents,
            charges_cents,
            net_cents,
            vat_cents,
            total_cents: net_cents + vat_cents,
        },
    }
}

/// What may be issued: at least one line, a total that is not negative (a negative
/// invoice is a credit note), VAT treatments that fit the seller and the buyer.
///
/// # Errors
/// The field errors (`lines`, `adjustments`, `vat`).
pub fn check_issuable(computed: &Computed, context: &VatContext) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::default();
    if computed.line_nets.is_empty() {
        errors.push("lines", "lines-required");
    }
    if computed.totals.total_cents < 0 {
        errors.push("lines", "total-negative");
    }
    if computed.breakdown.iter().any(|b| b.basis_cents < 0) {
        errors.push("adjustments", "adjustment-exceeds-base");
    }
    for line in &computed.breakdown {
        if let Err(code) = context.allows(line.vat) {
            errors.push("lines", code);
            break;
        }
    }
    // EN 16931 BR-O-11: "not subject to VAT" stands alone on a document.
    if computed.breakdown.len() > 1
        && computed
            .breakdown
            .iter()
            .any(|b| b.vat == VatCode::OutsideScope)
    {
        errors.push("lines", "vat-outside-scope-alone");
    }
    errors.into_result(|| ())
}

/// Who sells to whom, for the VAT treatments that make sense.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VatContext {
    /// The seller is under franchise en base (CGI art. 293 B).
    pub seller_franchise: bool,
    /// The buyer's country is in the EU (France excluded).
    pub buyer_other_eu: bool,
    /// The buyer's country is outside the EU.
    pub buyer_outside_eu: bool,
    /// The buyer has a VAT number.
    pub buyer_vat_registered: bool,
}

impl VatContext {
    /// # Errors
    /// `vat-franchise-only` (a seller under franchise charges no VAT), `vat-franchise-required`,
    /// `vat-reverse-charge-not-eu`, `vat-export-not-outside-eu`.
    pub fn allows(&self, vat: VatCode) -> Result<(), &'static str> {
        match vat {
            VatCode::Franchise if !self.seller_franchise => Err("vat-franchise-not-applicable"),
            code if self.seller_franchise && code.is_taxed() => Err("vat-franchise-only"),
            VatCode::ReverseCharge | VatCode::IntraCommunitySupply
                if !(self.buyer_other_eu && self.buyer_vat_registered) =>
            {
                Err("vat-reverse-charge-not-eu")
            }
            VatCode::Export | VatCode::OutsideScope if !self.buyer_outside_eu => {
                Err("vat-export-not-outside-eu")
            }
            _ => Ok(()),
        }
    }
}

/// Lifecycle of an invoice (DOMAIN.md "Invoices and credit notes"). `overdue` is not a
/// state: it is derived (see [`is_overdue`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Issued,
    PartiallyPaid,
    Paid,
    Cancelled,
}

impl Status {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Issued => "issued",
            Self::PartiallyPaid => "partially_paid",
            Self::Paid => "paid",
            Self::Cancelled => "cancelled",
        }
    }

    /// # Errors
    /// `status-invalid`.
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        [
            Self::Draft,
            Self::Issued,
            Self::PartiallyPaid,
            Self::Paid,
            Self::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == input)
        .ok_or("status-invalid")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    EditDraft,
    DeleteDraft,
    Issue,
    /// Payments or credits that leave `balance_cents` to pay, `paid_cents` having been
    /// paid (a reversed payment can bring an invoice back to issued).
    Settle {
        balance_cents: i64,
        paid_cents: i64,
    },
    /// Cancellation by a credit note of the whole remainder.
    Cancel,
}

/// The transition table: the one place that says what may happen to an invoice.
/// `Ok(None)` means the document is gone (a deleted draft).
///
/// # Errors
/// `invoice-immutable` for any change of an issued document's content,
/// `invoice-not-issued`, `invoice-cancelled`.
pub fn transition(status: Status, event: Event) -> Result<Option<Status>, &'static str> {
    use Event as E;
    use Status as S;
    match (status, event) {
        (S::Draft, E::EditDraft) => Ok(Some(S::Draft)),
        (S::Draft, E::DeleteDraft) => Ok(None),
        (S::Draft, E::Issue) => Ok(Some(S::Issued)),
        (S::Draft, E::Settle { .. } | E::Cancel) => Err("invoice-not-issued"),
        (S::Cancelled, _) => Err("invoice-cancelled"),
        (_, E::EditDraft | E::DeleteDraft | E::Issue) => Err("invoice-immutable"),
        (
            S::Issued | S::PartiallyPaid | S::Paid,
            E::Settle {
                balance_cents,
                paid_cents,
            },
        ) => Ok(Some(if balance_cents <= 0 && paid_cents > 0 {
            S::Paid
        } else if paid_cents > 0 {
            S::PartiallyPaid
        } else {
            S::Issued
        })),
        (S::Issued | S::PartiallyPaid | S::Paid, E::Cancel) => Ok(Some(S::Cancelled)),
    }
}

/// Issued or partially paid, something left to pay, due date passed (Paris calendar day).
#[must_use]
pub fn is_overdue(
    status: Status,
    balance_cents: i64,
    due_date: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> bool {
    matches!(status, Status::Issued | Status::PartiallyPaid)
        && balance_cents > 0
        && due_date < today
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;
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

    #[rstest]
    #[case(dec!(1), dec!(0.005), 1)] // half a cent rounds away from zero
    #[case(dec!(1), dec!(0.004), 0)]
    #[case(dec!(3), dec!(33.3333), 10_000)]
    #[case(dec!(0.3333), dec!(3), 100)] // 0.9999
    #[case(dec!(1.5), dec!(0.0150), 2)] // 0.0225
    #[case(dec!(2.5), dec!(0.01), 3)] // 0.025
    #[case(dec!(7.25), dec!(450), 326_250)]
    fn line_nets_round_half_away_from_zero(
        #[case] quantity: Decimal,
        #[case] unit_price: Decimal,
        #[case] cents: i64,
    ) {
        assert_eq!(
            line(quantity, unit_price, VatCode::Standard20).net_cents(),
            cents
        );
    }

    #[test]
    fn vat_is_computed_per_rate_on_the_sum_of_the_nets() {
        // Three lines of 0,03 € at 20 %: per line VAT would be 3 × 0,01; on the sum 0,02.
        let lines = vec![
            line(dec!(1), dec!(0.03), VatCode::Standard20),
            line(dec!(1), dec!(0.03), VatCode::Standard20),
            line(dec!(1), dec!(0.03), VatCode::Standard20),
        ];
        let computed = compute(&lines, &[]);
        assert_eq!(computed.breakdown.len(), 1);
        assert_eq!(computed.breakdown[0].vat_cents, 2);
        assert_eq!(computed.totals.total_cents, 11);
    }

    #[test]
    fn several_rates_and_an_exemption_give_one_breakdown_line_each() {
        let lines = vec![
            line(dec!(10), dec!(65), VatCode::Standard20),
            line(dec!(2), dec!(12.5), VatCode::Reduced10),
            line(dec!(3), dec!(1.99), VatCode::Reduced5_5),
            line(dec!(1), dec!(9.99), VatCode::Special2_1),
            line(dec!(1), dec!(100), VatCode::Standard20),
        ];
        let computed = compute(&lines, &[]);
        let by_code: Vec<(VatCode, i64, i64)> = computed
            .breakdown
            .iter()
            .map(|b| (b.vat, b.basis_cents, b.vat_cents))
            .collect();
        assert_eq!(
            by_code,
            vec![
                (VatCode::Standard20, 75_000, 15_000),
                (VatCode::Reduced10, 2_500, 250),
                (VatCode::Reduced5_5, 597, 33), // 0,32835
                (VatCode::Special2_1, 999, 21), // 0,20979
            ]
        );
        assert_eq!(computed.totals.net_cents, 79_096);
        assert_eq!(computed.totals.vat_cents, 15_304);
        assert_eq!(computed.totals.total_cents, 94_400);
    }

    #[test]
    fn franchise_en_base_has_no_vat() {
        let lines = vec![line(dec!(4), dec!(350), VatCode::Franchise)];
        let computed = compute(&lines, &[]);
        assert_eq!(computed.totals.vat_cents, 0);
        assert_eq!(computed.totals.total_cents, 140_000);
        assert_eq!(computed.breakdown[0].vat.category(), "E");
    }

    #[test]
    fn a_percentage_discount_spreads_over_each_rate_and_a_charge_adds_to_its_own() {
        let lines = vec![
            line(dec!(1), dec!(1000), VatCode::Standard20),
            line(dec!(1), dec!(200), VatCode::Reduced10),
        ];
        let adjustments = vec![
            Adjustment {
                is_charge: false,
                reason: "Remise fidélité".into(),
                amount: AdjustmentAmount::Percent(dec!(10)),
                vat: None,
            },
            Adjustment {
                is_charge: true,
                reason: "Frais de déplacement".into(),
                amount: AdjustmentAmount::Cents(5_000),
                vat: Some(VatCode::Standard20),
            },
        ];
        let computed = compute(&lines, &adjustments);
        assert_eq!(
            computed.adjustments.len(),
            3,
            "one discount per rate, one charge"
        );
        assert_eq!(computed.totals.allowances_cents, 12_000);
        assert_eq!(computed.totals.charges_cents, 5_000);
        assert_eq!(computed.totals.net_cents, 113_000);
        // 20 %: 1000 - 100 + 50 = 950 -> 190 ; 10 %: 200 - 20 = 180 -> 18
        assert_eq!(computed.totals.vat_cents, 20_800);
        assert_eq!(computed.totals.total_cents, 133_800);
    }

    #[test]
    fn an_amount_for_every_rate_is_split_in_proportion() {
        let lines = vec![
            line(dec!(1), dec!(300), VatCode::Standard20),
            line(dec!(1), dec!(100), VatCode::Reduced5_5),
        ];
        let adjustments = vec![Adjustment {
            is_charge: false,
            reason: "Geste".into(),
            amount: AdjustmentAmount::Cents(10_001),
            vat: None,
        }];
        let computed = compute(&lines, &adjustments);
        let parts: Vec<(VatCode, i64)> = computed
            .adjustments
            .iter()
            .map(|a| (a.vat, a.amount_cents))
            .collect();
        assert_eq!(
            parts,
            vec![(VatCode::Standard20, 7_501), (VatCode::Reduced5_5, 2_500)]
        );
        assert_eq!(computed.totals.allowances_cents, 10_001);
    }

    #[test]
    fn absurd_lines_are_refused_before_any_total_can_overflow() {
        let inputs = vec![LineInput {
            description: "x".into(),
            quantity: "999999999".into(),
            unit: "C62".into(),
            unit_price: "999999999".into(),
            vat: "20".into(),
        }];
        let mut errors = LineErrors::default();
        assert!(parse_lines(&inputs, &mut errors).is_empty());
        assert_eq!(
            errors.lines,
            vec![(0, "unit_price", "line-total-too-large")]
        );
        let many: Vec<LineInput> = (0..=MAX_LINES).map(|_| inputs[0].clone()).collect();
        let mut errors = LineErrors::default();
        parse_lines(&many, &mut errors);
        assert_eq!(errors.general, Some("too-many-lines"));
    }

    #[test]
    fn four_decimal_quantities_and_prices() {
        let lines = vec![line(dec!(1.2345), dec!(99.9999), VatCode::Standard20)];
        // 123.449876... -> 123.45
        let computed = compute(&lines, &[]);
        assert_eq!(computed.totals.net_cents, 12_345);
        assert_eq!(computed.totals.vat_cents, 2_469);
    }

    #[test]
    fn lines_parse_with_french_decimals_and_report_each_field() {
        let inputs = vec![
            LineInput {
                description: "Maquette".into(),
                quantity: "1,5".into(),
                unit: "jour".into(),
                unit_price: "450".into(),
                vat: "20".into(),
            },
            LineInput::default(),
            LineInput {
                description: "".into(),
                quantity: "0".into(),
                unit: "HUR".into(),
                unit_price: "1,23456".into(),
                vat: "19,6".into(),
            },
        ];
        let mut errors = LineErrors::default();
        let lines = parse_lines(&inputs, &mut errors);
        assert_eq!(lines.len(), 0, "the first line has an unknown unit");
        assert_eq!(
            errors.lines,
            vec![
                (0, "unit", "unit-invalid"),
                (2, "description", "required"),
                (2, "quantity", "quantity-not-positive"),
                (2, "unit_price", "too-many-decimals"),
                (2, "vat", "vat-code-invalid"),
            ]
        );
        let mut none = LineErrors::default();
        assert!(parse_lines(&[LineInput::default()], &mut none).is_empty());
        assert_eq!(none.general, Some("lines-required"));
    }

    #[rstest]
    #[case(Status::Draft, Event::Issue, Ok(Some(Status::Issued)))]
    #[case(Status::Draft, Event::DeleteDraft, Ok(None))]
    #[case(Status::Draft, Event::Cancel, Err("invoice-not-issued"))]
    #[case(Status::Issued, Event::EditDraft, Err("invoice-immutable"))]
    #[case(Status::Issued, Event::DeleteDraft, Err("invoice-immutable"))]
    #[case(Status::Issued, Event::Issue, Err("invoice-immutable"))]
    #[case(Status::Paid, Event::EditDraft, Err("invoice-immutable"))]
    #[case(Status::Issued, Event::Settle { balance_cents: 10, paid_cents: 5 }, Ok(Some(Status::PartiallyPaid)))]
    #[case(Status::PartiallyPaid, Event::Settle { balance_cents: 0, paid_cents: 15 }, Ok(Some(Status::Paid)))]
    #[case(Status::Paid, Event::Settle { balance_cents: 15, paid_cents: 0 }, Ok(Some(Status::Issued)))]
    #[case(Status::Paid, Event::Settle { balance_cents: 5, paid_cents: 10 }, Ok(Some(Status::PartiallyPaid)))]
    #[case(Status::Cancelled, Event::Settle { balance_cents: 0, paid_cents: 10 }, Err("invoice-cancelled"))]
    #[case(Status::Issued, Event::Cancel, Ok(Some(Status::Cancelled)))]
    #[case(Status::Paid, Event::Cancel, Ok(Some(Status::Cancelled)))]
    #[case(Status::Cancelled, Event::Cancel, Err("invoice-cancelled"))]
    #[case(Status::Cancelled, Event::EditDraft, Err("invoice-cancelled"))]
    fn transitions(
        #[case] status: Status,
        #[case] event: Event,
        #[case] expected: Result<Option<Status>, &str>,
    ) {
        assert_eq!(transition(status, event), expected);
    }

    #[test]
    fn overdue_is_derived() {
        let due = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let after = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert!(is_overdue(Status::Issued, 100, due, after));
        assert!(!is_overdue(Status::Issued, 100, due, due));
        assert!(!is_overdue(Status::Paid, 0, due, after));
        assert!(!is_overdue(Status::Cancelled, 100, due, after));
    }

    #[rstest]
    #[case(false, VatCode::Franchise, Err("vat-franchise-not-applicable"))]
    #[case(true, VatCode::Standard20, Err("vat-franchise-only"))]
    #[case(true, VatCode::Franchise, Ok(()))]
    #[case(false, VatCode::ReverseCharge, Err("vat-reverse-charge-not-eu"))]
    #[case(false, VatCode::Export, Err("vat-export-not-outside-eu"))]
    fn vat_treatments_fit_seller_and_buyer(
        #[case] franchise: bool,
        #[case] vat: VatCode,
        #[case] expected: Result<(), &str>,
    ) {
        let context = VatContext {
            seller_franchise: franchise,
            buyer_other_eu: false,
            buyer_outside_eu: false,
            buyer_vat_registered: true,
        };
        assert_eq!(context.allows(vat), expected);
    }

    fn arbitrary_line() -> impl Strategy<Value = Line> {
        (
            1i64..=100_000_000,
            -10_000_000i64..=100_000_000,
            0usize..VatCode::ALL.len(),
        )
            .prop_map(|(q, p, v)| line(Decimal::new(q, 4), Decimal::new(p, 4), VatCode::ALL[v]))
    }

    proptest! {
        #[test]
        fn the_breakdown_sums_to_the_totals(
            lines in proptest::collection::vec(arbitrary_line(), 1..12),
            discount in 0i64..=5_000,
        ) {
            let adjustments = vec![Adjustment {
                is_charge: false,
                reason: "Remise".into(),
                amount: AdjustmentAmount::Percent(Decimal::new(discount, 2)),
                vat: None,
            }];
            let computed = compute(&lines, &adjustments);
            let t = &computed.totals;
            prop_assert_eq!(computed.breakdown.iter().map(|b| b.basis_cents).sum::<i64>(), t.net_cents);
            prop_assert_eq!(computed.breakdown.iter().map(|b| b.vat_cents).sum::<i64>(), t.vat_cents);
            prop_assert_eq!(t.lines_cents, computed.line_nets.iter().sum::<i64>());
            prop_assert_eq!(t.net_cents, t.lines_cents - t.allowances_cents + t.charges_cents);
            prop_assert_eq!(t.total_cents, t.net_cents + t.vat_cents);
            // One breakdown line per treatment used.
            let mut codes: Vec<VatCode> = lines.iter().map(|l| l.vat).collect();
            codes.sort();
            codes.dedup();
            prop_assert_eq!(computed.breakdown.iter().map(|b| b.vat).collect::<Vec<_>>(), codes);
        }
    }
}
