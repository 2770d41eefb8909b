pub use super::_entities::invoice_lines::{ActiveModel, Entity, Model};
use rust_decimal::Decimal;
use sea_orm::{entity::prelude::*, Set};

use crate::domain::{invoice::Line, vat::VatCode};

impl ActiveModelBehavior for ActiveModel {}

/// Quantities and unit prices are stored as integers scaled by 10⁴ (4 decimals, exact).
const SCALE: u32 = 4;

fn scaled(value: Decimal) -> i64 {
    let mut v = value;
    v.rescale(SCALE);
    i64::try_from(v.mantissa()).unwrap_or(i64::MAX)
}

impl Model {
    /// The domain line of a stored row.
    ///
    /// # Errors
    /// When the stored VAT code is unknown (a corrupted row).
    pub fn to_line(&self) -> Result<Line, &'static str> {
        Ok(Line {
            description: self.description.clone(),
            quantity: Decimal::new(self.quantity_e4, SCALE).normalize(),
            unit: self.unit.clone(),
            unit_price: Decimal::new(self.unit_price_e4, SCALE).normalize(),
            vat: VatCode::parse(&self.vat_code)?,
        })
    }
}

/// The row of a domain line (position in the document, 0-based).
#[must_use]
pub fn row(
    invoice_id: i64,
    position: usize,
    line: &Line,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> ActiveModel {
    ActiveModel {
        invoice_id: Set(invoice_id),
        position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
        description: Set(line.description.clone()),
        quantity_e4: Set(scaled(line.quantity)),
        unit: Set(line.unit.clone()),
        unit_price_e4: Set(scaled(line.unit_price)),
        vat_code: Set(line.vat.code().to_string()),
        net_cents: Set(line.net_cents()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn four_decimals_are_stored_exactly() {
        assert_eq!(scaled(dec!(1.2345)), 12_345);
        assert_eq!(scaled(dec!(450)), 4_500_000);
        assert_eq!(scaled(dec!(-0.0001)), -1);
        let line = Line {
            description: "x".into(),
            quantity: dec!(1.2345),
            unit: "C62".into(),
            unit_price: dec!(99.9999),
            vat: VatCode::Reduced5_5,
        };
        let now = chrono::Utc::now().fixed_offset();
        let stored = row(1, 0, &line, now);
        let model = Model {
            created_at: now,
            updated_at: now,
            id: 1,
            position: 0,
            description: "x".into(),
            quantity_e4: stored.quantity_e4.unwrap(),
            unit: "C62".into(),
            unit_price_e4: stored.unit_price_e4.unwrap(),
            vat_code: stored.vat_code.unwrap(),
            net_cents: stored.net_cents.unwrap(),
            invoice_id: 1,
        };
        assert_eq!(model.to_line().unwrap(), line);
    }
}
