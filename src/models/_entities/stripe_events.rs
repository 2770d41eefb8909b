//! `SeaORM` Entity (written to match migration m20261125_000006_payments)

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "stripe_events")]
pub struct Model {
    pub received_at: DateTimeWithTimeZone,
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub event_id: String,
    pub event_type: String,
    pub stripe_created: i64,
    pub payment_intent_id: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    pub processed_at: Option<DateTimeWithTimeZone>,
    pub attempts: i32,
    pub last_error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}
