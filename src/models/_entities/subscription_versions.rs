//! `SeaORM` Entity (written to match migration m20261125_000003_subscriptions)

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "subscription_versions")]
pub struct Model {
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
    #[sea_orm(primary_key)]
    pub id: i64,
    pub from_period: i32,
    pub label: String,
    pub payment_term_days: i32,
    pub operation: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub notes: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub lines_json: String,
    #[sea_orm(column_type = "Text")]
    pub adjustments_json: String,
    pub net_cents: i64,
    pub total_cents: i64,
    pub created_by: Option<i64>,
    pub subscription_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}
