//! `SeaORM` Entity (written to match migration m20261125_000006_payments)

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "payment_requests")]
pub struct Model {
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub pid: Uuid,
    pub company_id: i64,
    pub client_id: i64,
    #[sea_orm(unique)]
    pub stripe_payment_intent_id: String,
    pub amount_cents: i64,
    pub currency: String,
    #[sea_orm(column_type = "Text")]
    pub invoices_json: String,
    pub status: String,
    pub failure_message: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}
