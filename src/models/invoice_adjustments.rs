pub use super::_entities::invoice_adjustments::{ActiveModel, Entity, Model};
use rust_decimal::Decimal;
use sea_orm::{entity::prelude::*, Set};

use crate::domain::{
    invoice::{Adjustment, AdjustmentAmount},
    vat::VatCode,
};

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// # Errors
    /// When the stored row is inconsistent (unknown VAT code, no amount).
    pub fn to_adjustment(&self) -> Result<Adjustment, &'static str> {
        let amount = match (self.amount_cents, self.percent_bp) {
            (Some(cents), _) => AdjustmentAmount::Cents(cents),
            (None, Some(bp)) => AdjustmentAmount::Percent(Decimal::new(i64::from(bp), 2)),
            (None, None) => return Err("adjustment-amount-missing"),
        };
        Ok(Adjustment {
            is_charge: self.is_charge,
            reason: self.reason.clone(),
            amount,
            vat: self.vat_code.as_deref().map(VatCode::parse).transpose()?,
        })
    }
}

#[must_use]
pub fn row(
    invoice_id: i64,
    position: usize,
    adjustment: &Adjustment,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> ActiveModel {
    let (amount_cents, percent_bp) = match adjustment.amount {
        AdjustmentAmount::Cents(c) => (Some(c), None),
        AdjustmentAmount::Percent(p) => (
            None,
            rust_decimal::prelude::ToPrimitive::to_i32(&(p * Decimal::ONE_HUNDRED)),
        ),
    };
    ActiveModel {
        invoice_id: Set(invoice_id),
        position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
        is_charge: Set(adjustment.is_charge),
        reason: Set(adjustment.reason.clone()),
        vat_code: Set(adjustment.vat.map(|v| v.code().to_string())),
        amount_cents: Set(amount_cents),
        percent_bp: Set(percent_bp),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}
