//! A draft invoice as the wizard (step 1) or the API gives it: parsed into a document that
//! can be saved, previewed and issued, or into field errors that name each wrong field.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{
    company::{parse_payment_term, parse_text},
    error::{FieldError, FieldErrors},
    invoice::{parse_lines, Adjustment, AdjustmentAmount, Line, LineErrors, LineInput},
    money::{parse_cents, parse_decimal},
    numbering::{check_due_date, due_date},
    vat::VatCode,
};

/// Dates as typed: ISO (`2026-11-25`, what `<input type="date">` sends) or French
/// (`25/11/2026`).
///
/// # Errors
/// `date-invalid`.
pub fn parse_date(input: &str) -> Result<NaiveDate, &'static str> {
    let value = input.trim();
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(value, "%d/%m/%Y"))
        .map_err(|_| "date-invalid")
}

/// A document-level discount or charge as typed: empty value means none.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct AdjustmentInput {
    /// "amount" (excl. VAT, in euros) or "percent".
    pub kind: String,
    pub value: String,
    /// A VAT code; empty with a percentage spreads it over every rate of the lines.
    pub vat: String,
    pub reason: String,
}

impl AdjustmentInput {
    fn is_blank(&self) -> bool {
        self.value.trim().is_empty()
    }
}

/// Step 1 of the wizard (and the API's draft body), as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct DraftInput {
    pub label: String,
    /// The client's public id.
    pub client: String,
    pub issue_date: String,
    /// Days after the issue date; ignored when `due_date` is given.
    pub payment_term_days: String,
    pub due_date: String,
    /// Date of the sale or service; the issue date when empty.
    pub delivery_date: String,
    pub period_start: String,
    pub period_end: String,
    /// "services" (default), "goods" or "mixed".
    pub operation: String,
    pub lines: Vec<LineInput>,
    pub discount: AdjustmentInput,
    pub charge: AdjustmentInput,
    pub notes: String,
    /// "none" (default) or "monthly": a monthly invoice starts a subscription.
    pub recurrence: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub label: String,
    pub client: String,
    pub issue_date: NaiveDate,
    pub payment_term_days: i32,
    pub due_date: NaiveDate,
    pub delivery_date: NaiveDate,
    pub period: Option<(NaiveDate, NaiveDate)>,
    pub operation: String,
    pub lines: Vec<Line>,
    pub adjustments: Vec<Adjustment>,
    pub notes: Option<String>,
    /// Monthly recurrence: the invoice is the first of a subscription, its service period
    /// is the subscription's first period (DOMAIN.md "Subscriptions").
    pub monthly: bool,
}

fn parse_adjustment(
    input: &AdjustmentInput,
    is_charge: bool,
    field: &'static str,
    errors: &mut FieldErrors,
) -> Option<Adjustment> {
    if input.is_blank() {
        return None;
    }
    let vat = if input.vat.trim().is_empty() {
        None
    } else {
        errors.take(field, VatCode::parse(&input.vat)).map(Some)?
    };
    let amount = match input.kind.trim() {
        "percent" if !is_charge => match parse_decimal(&input.value, 2) {
            Ok(p) if p > Decimal::ZERO && p <= Decimal::ONE_HUNDRED => {
                Some(AdjustmentAmount::Percent(p))
            }
            Ok(_) => {
                errors.push(field, "rate-out-of-range");
                None
            }
            Err(code) => {
                errors.push(field, code);
                None
            }
        },
        "" | "amount" => match parse_cents(&input.value) {
            Ok(0) => {
                errors.push(field, "amount-zero");
                None
            }
            Ok(c) => Some(AdjustmentAmount::Cents(c)),
            Err(code) => {
                errors.push(field, code);
                None
            }
        },
        _ => {
            errors.push(field, "adjustment-kind-invalid");
            None
        }
    }?;
    let default_reason = if is_charge { "Frais" } else { "Remise" };
    let reason = parse_text(&input.reason, 200, false)
        .ok()
        .flatten()
        .unwrap_or_else(|| default_reason.to_string());
    Some(Adjustment {
        is_charge,
        reason,
        amount,
        vat,
    })
}

impl Draft {
    /// `today` is the Paris calendar date (the issue date defaults to it).
    ///
    /// # Errors
    /// Field errors; line fields are named `lines[<index>].<field>`.
    pub fn parse(
        input: &DraftInput,
        today: NaiveDate,
        default_term: i32,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let label = errors
            .take("label", parse_text(&input.label, 200, true))
            .flatten();
        if input.client.trim().is_empty() {
            errors.push("client", "client-required");
        }
        let issue_date = if input.issue_date.trim().is_empty() {
            Some(today)
        } else {
            errors.take("issue_date", parse_date(&input.issue_date))
        };
        let payment_term_days = if input.payment_term_days.trim().is_empty() {
            Some(default_term)
        } else {
            errors.take(
                "payment_term_days",
                parse_payment_term(&input.payment_term_days),
            )
        };
        let explicit_due = if input.due_date.trim().is_empty() {
            None
        } else {
            errors.take("due_date", parse_date(&input.due_date))
        };
        let due = match (issue_date, explicit_due, payment_term_days) {
            (Some(issue), Some(due), _) => {
                errors.take("due_date", check_due_date(issue, due).map(|()| due))
            }
            (Some(issue), None, Some(term)) => Some(due_date(issue, term)),
            _ => None,
        };
        let delivery_date = if input.delivery_date.trim().is_empty() {
            issue_date
        } else {
            errors.take("delivery_date", parse_date(&input.delivery_date))
        };
        let period = match (input.period_start.trim(), input.period_end.trim()) {
            ("", "") => Some(None),
            (start, end) => {
                let start = errors.take("period_start", parse_date(start));
                let end = errors.take("period_end", parse_date(end));
                match (start, end) {
                    (Some(s), Some(e)) if e >= s => Some(Some((s, e))),
                    (Some(_), Some(_)) => {
                        errors.push("period_end", "period-end-before-start");
                        None
                    }
                    _ => None,
                }
            }
        };
        let monthly = match input.recurrence.trim() {
            "" | "none" => Some(false),
            "monthly" => Some(true),
            _ => {
                errors.push("recurrence", "recurrence-invalid");
                None
            }
        };
        // A subscription bills its periods itself: the first invoice covers the first one.
        let period = match (monthly, issue_date) {
            (Some(true), Some(issue)) => Some(Some(first_period(issue))),
            _ => period,
        };
        let operation = match input.operation.trim() {
            "" => Some("services"),
            op @ ("services" | "goods" | "mixed") => Some(op),
            _ => {
                errors.push("operation", "operation-invalid");
                None
            }
        };
        let mut line_errors = LineErrors::default();
        let lines = parse_lines(&input.lines, &mut line_errors);
        for (index, field, code) in &line_errors.lines {
            errors
                .0
                .push(FieldError::new(line_field(*index, field), code));
        }
        if let Some(code) = line_errors.general {
            errors.push("lines", code);
        }
        let mut adjustments = Vec::new();
        adjustments.extend(parse_adjustment(
            &input.discount,
            false,
            "discount",
            &mut errors,
        ));
        adjustments.extend(parse_adjustment(&input.charge, true, "charge", &mut errors));
        let notes = input.notes.trim();
        if notes.chars().count() > 4000 {
            errors.push("notes", "too-long");
        }
        match (
            label,
            issue_date,
            payment_term_days,
            due,
            delivery_date,
            period,
            operation,
            monthly,
        ) {
            (
                Some(label),
                Some(issue_date),
                Some(payment_term_days),
                Some(due_date),
                Some(delivery_date),
                Some(period),
                Some(operation),
                Some(monthly),
            ) if errors.is_empty() => Ok(Self {
                label,
                client: input.client.trim().to_string(),
                issue_date,
                // Each invoice of a subscription is due the same number of days after
                // its issue, whichever way the first due date was given.
                payment_term_days: if monthly {
                    i32::try_from((due_date - issue_date).num_days()).unwrap_or(payment_term_days)
                } else {
                    payment_term_days
                },
                due_date,
                delivery_date,
                period,
                operation: operation.to_string(),
                lines,
                adjustments,
                notes: (!notes.is_empty()).then(|| notes.to_string()),
                monthly,
            }),
            _ => Err(errors),
        }
    }
}

/// The service period of a subscription's first invoice.
fn first_period(issue_date: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = super::subscription::period(issue_date, 0);
    (first.start, first.end)
}

/// `lines[2].quantity`: the names are static so that errors stay cheap to pass around.
fn line_field(index: usize, field: &str) -> &'static str {
    const FIELDS: [&str; 5] = ["description", "quantity", "unit", "unit_price", "vat"];
    const MAX_LINES: usize = 200;
    static NAMES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let names = NAMES.get_or_init(|| {
        (0..MAX_LINES)
            .flat_map(|i| FIELDS.iter().map(move |f| format!("lines[{i}].{f}")))
            .collect()
    });
    let position = FIELDS.iter().position(|f| *f == field).unwrap_or(0);
    names
        .get(index.min(MAX_LINES - 1) * FIELDS.len() + position)
        .map_or("lines", String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    fn input() -> DraftInput {
        DraftInput {
            label: "Refonte du site".into(),
            client: "6f1c8f8e-0000-4000-8000-000000000001".into(),
            lines: vec![LineInput {
                description: "Maquettes".into(),
                quantity: "3".into(),
                unit: "DAY".into(),
                unit_price: "450".into(),
                vat: "20".into(),
            }],
            ..Default::default()
        }
    }

    #[test]
    fn defaults_fill_the_dates() {
        let draft = Draft::parse(&input(), today(), 30).unwrap();
        assert_eq!(draft.issue_date, today());
        assert_eq!(draft.delivery_date, today());
        assert_eq!(
            draft.due_date,
            NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()
        );
        assert_eq!(draft.operation, "services");
        assert_eq!(draft.lines[0].quantity, dec!(3));
    }

    #[test]
    fn french_dates_and_an_explicit_due_date() {
        let mut i = input();
        i.issue_date = "20/11/2026".into();
        i.due_date = "2026-12-20".into();
        let draft = Draft::parse(&i, today(), 30).unwrap();
        assert_eq!(
            draft.issue_date,
            NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
        );
        assert_eq!(
            draft.due_date,
            NaiveDate::from_ymd_opt(2026, 12, 20).unwrap()
        );
    }

    #[test]
    fn each_wrong_field_is_named() {
        let mut i = input();
        i.label = String::new();
        i.client = String::new();
        i.issue_date = "31/02/2026".into();
        i.period_start = "2026-12-31".into();
        i.period_end = "2026-12-01".into();
        i.lines[0].quantity = "abc".into();
        i.discount = AdjustmentInput {
            kind: "percent".into(),
            value: "150".into(),
            ..Default::default()
        };
        let errors = Draft::parse(&i, today(), 30).unwrap_err();
        assert_eq!(errors.code_for("label"), Some("required"));
        assert_eq!(errors.code_for("client"), Some("client-required"));
        assert_eq!(errors.code_for("issue_date"), Some("date-invalid"));
        assert_eq!(
            errors.code_for("period_end"),
            Some("period-end-before-start")
        );
        assert_eq!(errors.code_for("lines[0].quantity"), Some("number-invalid"));
        assert_eq!(errors.code_for("discount"), Some("rate-out-of-range"));
    }

    #[test]
    fn a_due_date_past_60_days_is_refused() {
        let mut i = input();
        i.due_date = "2027-02-01".into();
        let errors = Draft::parse(&i, today(), 30).unwrap_err();
        assert_eq!(errors.code_for("due_date"), Some("payment-term-too-long"));
    }

    #[test]
    fn discounts_and_charges_become_adjustments() {
        let mut i = input();
        i.discount = AdjustmentInput {
            kind: "percent".into(),
            value: "10".into(),
            reason: "Remise fidélité".into(),
            ..Default::default()
        };
        i.charge = AdjustmentInput {
            kind: "amount".into(),
            value: "35,50".into(),
            vat: "20".into(),
            ..Default::default()
        };
        let draft = Draft::parse(&i, today(), 30).unwrap();
        assert_eq!(draft.adjustments.len(), 2);
        assert_eq!(
            draft.adjustments[0].amount,
            AdjustmentAmount::Percent(dec!(10))
        );
        assert_eq!(draft.adjustments[1].amount, AdjustmentAmount::Cents(3550));
        assert_eq!(draft.adjustments[1].reason, "Frais");
    }

    #[test]
    fn line_field_names_carry_the_index() {
        assert_eq!(line_field(0, "description"), "lines[0].description");
        assert_eq!(line_field(12, "vat"), "lines[12].vat");
    }
}
