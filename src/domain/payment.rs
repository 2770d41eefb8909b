//! Payments (DOMAIN.md "Payments and the payment page"): how a payment is spread over the
//! invoices it pays, what is left to pay, the client's credit balance, reversals, the
//! transfer reference of an invoice, the state of a card checkout as Stripe events arrive
//! (in any order), and the rate limit of wrong payment-page links.
//!
//! Amounts are integer cents. The ledger holds signed amounts on two kinds of account: an
//! invoice (what was paid on it) and the client's credit balance.

use serde::{Deserialize, Serialize};

/// How a payment reached the seller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Card on the payment page (Stripe).
    Card,
    Transfer,
    Cheque,
    Cash,
    Other,
}

impl Method {
    /// What a seller may record by hand (card payments only come from Stripe).
    pub const MANUAL: [Self; 4] = [Self::Transfer, Self::Cheque, Self::Cash, Self::Other];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Card => "card",
            Self::Transfer => "transfer",
            Self::Cheque => "cheque",
            Self::Cash => "cash",
            Self::Other => "other",
        }
    }

    /// # Errors
    /// `payment-method-invalid`.
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        [
            Self::Card,
            Self::Transfer,
            Self::Cheque,
            Self::Cash,
            Self::Other,
        ]
        .into_iter()
        .find(|m| m.as_str() == input)
        .ok_or("payment-method-invalid")
    }

    /// # Errors
    /// `payment-method-invalid`, also for `card` (only Stripe records card payments).
    pub fn parse_manual(input: &str) -> Result<Self, &'static str> {
        Self::parse(input).and_then(|m| {
            if Self::MANUAL.contains(&m) {
                Ok(m)
            } else {
                Err("payment-method-invalid")
            }
        })
    }
}

/// What is left to pay on an invoice: its total less its credit notes and payments.
#[must_use]
pub fn amount_due(total_cents: i64, credited_cents: i64, paid_cents: i64) -> i64 {
    (total_cents - credited_cents - paid_cents).max(0)
}

/// What was paid on an invoice beyond what it still asks after its credit notes: a credit
/// note on a paid invoice gives that back to the client as a credit balance (DOMAIN.md
/// "Invoices and credit notes").
#[must_use]
pub fn overpaid(total_cents: i64, credited_cents: i64, paid_cents: i64) -> i64 {
    (paid_cents - (total_cents - credited_cents).max(0)).max(0)
}

/// How a payment is spread: each invoice in the order given (the payer's choice, oldest
/// first) up to what it still asks, and the rest on the client's credit balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    pub to_invoices: Vec<(i64, i64)>,
    pub to_credit: i64,
}

/// # Errors
/// `payment-amount-invalid` for an amount that is not positive.
pub fn allocate(amount_cents: i64, dues: &[(i64, i64)]) -> Result<Allocation, &'static str> {
    if amount_cents <= 0 {
        return Err("payment-amount-invalid");
    }
    let mut left = amount_cents;
    let mut to_invoices = Vec::new();
    for &(invoice_id, due) in dues {
        let part = left.min(due.max(0));
        if part > 0 {
            to_invoices.push((invoice_id, part));
            left -= part;
        }
    }
    Ok(Allocation {
        to_invoices,
        to_credit: left,
    })
}

/// One ledger line: `None` is the client's credit balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub invoice_id: Option<i64>,
    pub amount_cents: i64,
}

/// The entries of a payment from its allocation: they add up to the payment's amount.
#[must_use]
pub fn payment_entries(allocation: &Allocation) -> Vec<Entry> {
    let mut entries: Vec<Entry> = allocation
        .to_invoices
        .iter()
        .map(|&(invoice_id, amount_cents)| Entry {
            invoice_id: Some(invoice_id),
            amount_cents,
        })
        .collect();
    if allocation.to_credit > 0 {
        entries.push(Entry {
            invoice_id: None,
            amount_cents: allocation.to_credit,
        });
    }
    entries
}

/// The entries that reverse a payment: the opposite of each of its entries. Refused when
/// the credit balance the payment left has been used since (the client's credit cannot go
/// below zero; the use of that credit has to be undone first).
///
/// # Errors
/// `payment-credit-used`.
pub fn reversal_entries(
    payment_entries: &[Entry],
    client_credit_cents: i64,
) -> Result<Vec<Entry>, &'static str> {
    let credit_part: i64 = payment_entries
        .iter()
        .filter(|e| e.invoice_id.is_none())
        .map(|e| e.amount_cents)
        .sum();
    if credit_part > client_credit_cents {
        return Err("payment-credit-used");
    }
    Ok(payment_entries
        .iter()
        .map(|e| Entry {
            invoice_id: e.invoice_id,
            amount_cents: -e.amount_cents,
        })
        .collect())
}

/// Using the client's credit balance on an invoice: at most the credit, at most what the
/// invoice asks. Two entries that add up to zero.
///
/// # Errors
/// `client-credit-none` when there is nothing to use, `invoice-nothing-due`.
pub fn apply_credit(
    client_credit_cents: i64,
    invoice_id: i64,
    due_cents: i64,
) -> Result<[Entry; 2], &'static str> {
    if client_credit_cents <= 0 {
        return Err("client-credit-none");
    }
    if due_cents <= 0 {
        return Err("invoice-nothing-due");
    }
    let amount = client_credit_cents.min(due_cents);
    Ok([
        Entry {
            invoice_id: None,
            amount_cents: -amount,
        },
        Entry {
            invoice_id: Some(invoice_id),
            amount_cents: amount,
        },
    ])
}

/// The transfer reference of an invoice: an ISO 11649 structured creditor reference ("RF"
/// reference, understood by SEPA banks) made from the invoice number, unique per seller
/// since the number is. Letters and digits only; shown in groups of four.
///
/// # Errors
/// `reference-invalid` for a number with nothing usable or longer than 21 characters.
pub fn transfer_reference(invoice_number: &str) -> Result<String, &'static str> {
    let body: String = invoice_number
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if body.is_empty() || body.len() > 21 {
        return Err("reference-invalid");
    }
    let check = 98 - mod97(&format!("{body}RF00"));
    Ok(format!("RF{check:02}{body}"))
}

/// Whether a reference is a valid ISO 11649 reference (spaces allowed).
#[must_use]
pub fn is_valid_reference(reference: &str) -> bool {
    let compact: String = reference.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.len() < 5 || compact.len() > 25 || !compact.starts_with("RF") {
        return false;
    }
    if !compact.chars().all(|c| c.is_ascii_alphanumeric()) {
        return false;
    }
    let (head, body) = compact.split_at(4);
    mod97(&format!("{body}{head}")) == 1
}

/// Groups of four, as printed on bank forms.
#[must_use]
pub fn grouped(reference: &str) -> String {
    reference
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// ISO 7064 mod 97-10 over letters (A = 10 … Z = 35) and digits.
fn mod97(input: &str) -> u32 {
    input.chars().fold(0u32, |acc, c| {
        let value = c.to_digit(36).unwrap_or(0);
        if value >= 10 {
            (acc * 100 + value) % 97
        } else {
            (acc * 10 + value) % 97
        }
    })
}

/// The state of a card checkout (one PaymentIntent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckoutStatus {
    Open,
    Succeeded,
    Failed,
}

impl CheckoutStatus {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    #[must_use]
    pub fn parse(input: &str) -> Self {
        match input {
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            _ => Self::Open,
        }
    }
}

/// What a Stripe event says about a PaymentIntent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntentOutcome {
    Succeeded,
    Failed,
}

/// Stripe does not promise any order between events: a failed attempt may arrive after
/// the success of a later attempt of the same PaymentIntent. Success is final; a failure
/// only marks an open (or already failed) checkout, which can still succeed (the payer may
/// try another card).
#[must_use]
pub const fn checkout_after(current: CheckoutStatus, outcome: IntentOutcome) -> CheckoutStatus {
    match (current, outcome) {
        (CheckoutStatus::Succeeded, _) | (_, IntentOutcome::Succeeded) => CheckoutStatus::Succeeded,
        (CheckoutStatus::Open | CheckoutStatus::Failed, IntentOutcome::Failed) => {
            CheckoutStatus::Failed
        }
    }
}

/// Wrong payment-page links allowed from one address within the window (guessing a
/// 256-bit token is hopeless anyway; this stops scanners early and cheaply).
pub const MAX_LINK_MISSES: u32 = 20;
/// Length of the window, in seconds.
pub const LINK_MISS_WINDOW_SECONDS: i64 = 600;

/// Misses counted in a fixed window of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MissCounter {
    pub window_start: i64,
    pub misses: u32,
}

impl MissCounter {
    /// Whether this address is blocked at `now` (seconds).
    #[must_use]
    pub const fn blocked(&self, now: i64) -> bool {
        now - self.window_start < LINK_MISS_WINDOW_SECONDS && self.misses >= MAX_LINK_MISSES
    }

    /// Counts a miss at `now`, starting a new window when the last one is over.
    #[must_use]
    pub const fn after_miss(self, now: i64) -> Self {
        if now - self.window_start >= LINK_MISS_WINDOW_SECONDS {
            Self {
                window_start: now,
                misses: 1,
            }
        } else {
            Self {
                window_start: self.window_start,
                misses: self.misses.saturating_add(1),
            }
        }
    }

    /// Whether the counter can be forgotten (its window is over).
    #[must_use]
    pub const fn expired(&self, now: i64) -> bool {
        now - self.window_start >= LINK_MISS_WINDOW_SECONDS
    }
}

#[cfg(test)]
// Cents are written euros_cents (100_00 is 100,00 €), which reads better than 10_000.
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    #[case(100_00, 0, 0, 100_00)]
    #[case(100_00, 30_00, 0, 70_00)]
    #[case(100_00, 30_00, 50_00, 20_00)]
    #[case(100_00, 30_00, 80_00, 0)]
    #[case(100_00, 100_00, 10_00, 0)]
    fn amounts_due(#[case] total: i64, #[case] credited: i64, #[case] paid: i64, #[case] due: i64) {
        assert_eq!(amount_due(total, credited, paid), due);
    }

    #[rstest]
    #[case(100_00, 0, 60_00, 0)]
    #[case(100_00, 100_00, 60_00, 60_00)]
    #[case(100_00, 50_00, 60_00, 10_00)]
    #[case(100_00, 0, 120_00, 20_00)]
    fn overpayments(
        #[case] total: i64,
        #[case] credited: i64,
        #[case] paid: i64,
        #[case] over: i64,
    ) {
        assert_eq!(overpaid(total, credited, paid), over);
    }

    #[rstest]
    #[case(50_00, &[(1, 120_00)], &[(1, 50_00)], 0)]
    #[case(120_00, &[(1, 120_00)], &[(1, 120_00)], 0)]
    #[case(150_00, &[(1, 120_00)], &[(1, 120_00)], 30_00)]
    #[case(150_00, &[(1, 100_00), (2, 80_00)], &[(1, 100_00), (2, 50_00)], 0)]
    #[case(10_00, &[(1, 0), (2, 80_00)], &[(2, 10_00)], 0)]
    #[case(10_00, &[], &[], 10_00)]
    fn allocations(
        #[case] amount: i64,
        #[case] dues: &[(i64, i64)],
        #[case] expected: &[(i64, i64)],
        #[case] credit: i64,
    ) {
        let allocation = allocate(amount, dues).unwrap();
        assert_eq!(allocation.to_invoices, expected);
        assert_eq!(allocation.to_credit, credit);
    }

    #[test]
    fn a_payment_is_positive() {
        assert_eq!(allocate(0, &[(1, 10)]), Err("payment-amount-invalid"));
        assert_eq!(allocate(-5, &[(1, 10)]), Err("payment-amount-invalid"));
    }

    proptest! {
        /// Every cent of a payment lands somewhere, no invoice gets more than it asks, and
        /// credit is left only once every invoice is paid.
        #[test]
        fn allocation_keeps_every_cent(
            amount in 1i64..10_000_000,
            dues in proptest::collection::vec(0i64..5_000_000, 0..8),
        ) {
            let dues: Vec<(i64, i64)> = dues.into_iter().enumerate().map(|(i, d)| (i as i64, d)).collect();
            let allocation = allocate(amount, &dues).unwrap();
            let entries = payment_entries(&allocation);
            prop_assert_eq!(entries.iter().map(|e| e.amount_cents).sum::<i64>(), amount);
            for (id, part) in &allocation.to_invoices {
                prop_assert!(*part > 0 && *part <= dues[*id as usize].1);
            }
            if allocation.to_credit > 0 {
                let owed: i64 = dues.iter().map(|d| d.1).sum();
                prop_assert_eq!(allocation.to_credit, amount - owed);
            }
            // A reversal brings every account back to zero.
            let reversal = reversal_entries(&entries, allocation.to_credit).unwrap();
            prop_assert_eq!(entries.iter().chain(&reversal).map(|e| e.amount_cents).sum::<i64>(), 0);
        }

        #[test]
        fn references_check_and_are_unique(a in 1u32..999_999, b in 1u32..999_999) {
            let ra = transfer_reference(&format!("F-2026-{a:06}")).unwrap();
            prop_assert!(is_valid_reference(&ra));
            prop_assert!(is_valid_reference(&grouped(&ra)));
            if a != b {
                prop_assert_ne!(ra, transfer_reference(&format!("F-2026-{b:06}")).unwrap());
            }
        }
    }

    #[test]
    fn reversal_is_refused_once_its_credit_was_used() {
        let entries = [
            Entry {
                invoice_id: Some(1),
                amount_cents: 100_00,
            },
            Entry {
                invoice_id: None,
                amount_cents: 20_00,
            },
        ];
        assert_eq!(
            reversal_entries(&entries, 19_99),
            Err("payment-credit-used")
        );
        let reversal = reversal_entries(&entries, 20_00).unwrap();
        assert_eq!(reversal[0].amount_cents, -100_00);
        assert_eq!(reversal[1].amount_cents, -20_00);
    }

    #[rstest]
    #[case(50_00, 80_00, 50_00)]
    #[case(50_00, 20_00, 20_00)]
    fn credit_use(#[case] credit: i64, #[case] due: i64, #[case] used: i64) {
        let [from, to] = apply_credit(credit, 7, due).unwrap();
        assert_eq!((from.amount_cents, to.amount_cents), (-used, used));
        assert_eq!((from.invoice_id, to.invoice_id), (None, Some(7)));
    }

    #[test]
    fn credit_use_needs_credit_and_a_balance() {
        assert_eq!(apply_credit(0, 7, 10), Err("client-credit-none"));
        assert_eq!(apply_credit(10, 7, 0), Err("invoice-nothing-due"));
    }

    /// Published ISO 11649 examples, and near misses.
    #[rstest]
    #[case("RF18 5390 0754 7034", true)]
    #[case("RF18000000000539007547034", true)]
    #[case("RF71 4300 0000 0000 0001 234", true)]
    #[case("RF19 5390 0754 7034", false)]
    #[case("RF18 5390 0754 7043", false)]
    #[case("XX18 5390 0754 7034", false)]
    fn iso_11649(#[case] reference: &str, #[case] valid: bool) {
        assert_eq!(is_valid_reference(reference), valid, "{reference}");
    }

    #[test]
    fn references_from_invoice_numbers() {
        assert_eq!(
            transfer_reference("539007547034").unwrap(),
            "RF18539007547034"
        );
        let r = transfer_reference("F-2026-000042").unwrap();
        assert!(r.starts_with("RF") && r.ends_with("F2026000042"));
        assert!(is_valid_reference(&r));
        assert_eq!(transfer_reference("--"), Err("reference-invalid"));
        assert_eq!(
            transfer_reference("ABCDEFGHIJKLMNOPQRSTUV"),
            Err("reference-invalid")
        );
    }

    #[rstest]
    #[case(
        CheckoutStatus::Open,
        IntentOutcome::Succeeded,
        CheckoutStatus::Succeeded
    )]
    #[case(CheckoutStatus::Open, IntentOutcome::Failed, CheckoutStatus::Failed)]
    #[case(
        CheckoutStatus::Failed,
        IntentOutcome::Succeeded,
        CheckoutStatus::Succeeded
    )]
    #[case(CheckoutStatus::Failed, IntentOutcome::Failed, CheckoutStatus::Failed)]
    #[case(
        CheckoutStatus::Succeeded,
        IntentOutcome::Failed,
        CheckoutStatus::Succeeded
    )]
    #[case(
        CheckoutStatus::Succeeded,
        IntentOutcome::Succeeded,
        CheckoutStatus::Succeeded
    )]
    fn checkout_states(
        #[case] current: CheckoutStatus,
        #[case] outcome: IntentOutcome,
        #[case] next: CheckoutStatus,
    ) {
        assert_eq!(checkout_after(current, outcome), next);
    }

    proptest! {
        /// Whatever the order of the events, one success makes the checkout succeeded.
        #[test]
        fn success_wins_in_any_order(events in proptest::collection::vec(any::<bool>(), 1..10)) {
            let end = events.iter().fold(CheckoutStatus::Open, |s, ok| {
                checkout_after(s, if *ok { IntentOutcome::Succeeded } else { IntentOutcome::Failed })
            });
            let expected = if events.iter().any(|ok| *ok) { CheckoutStatus::Succeeded } else { CheckoutStatus::Failed };
            prop_assert_eq!(end, expected);
        }
    }

    #[test]
    fn manual_methods() {
        assert_eq!(Method::parse_manual("cheque"), Ok(Method::Cheque));
        assert_eq!(Method::parse_manual("card"), Err("payment-method-invalid"));
        assert_eq!(
            Method::parse_manual("bitcoin"),
            Err("payment-method-invalid")
        );
    }

    #[test]
    fn misses_block_then_the_window_ends() {
        let mut counter = MissCounter::default();
        let start = 1_000_000;
        for i in 0..MAX_LINK_MISSES {
            assert!(!counter.blocked(start + i64::from(i)));
            counter = counter.after_miss(start + i64::from(i));
        }
        assert!(counter.blocked(start + 30));
        assert!(!counter.blocked(start + LINK_MISS_WINDOW_SECONDS));
        assert!(counter.expired(start + LINK_MISS_WINDOW_SECONDS));
        let renewed = counter.after_miss(start + LINK_MISS_WINDOW_SECONDS);
        assert_eq!(renewed.misses, 1);
    }
}
