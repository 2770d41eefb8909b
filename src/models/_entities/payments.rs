//! `SeaORM` Entity (written to match migration m20261125_000006_payments)

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    pub created_at: DateTimeWithTimeZone,
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub pid: Uuid,
    pub company_id: i64,
    pub client_id: i64,
    pub method: String,
    pub amount_cents: i64,
    pub currency: String,
    pub received_on: Date,
    pub reference: Option<String>,
    pub invoice_id: Option<i64>,
    pub stripe_payment_intent_id: Option<String>,
    pub payment_request_id: Option<i64>,
    pub recorded_by: Option<i64>,
    pub idempotency_key: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}
