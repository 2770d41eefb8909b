//! `SeaORM` Entity (written to match migration m20261125_000003_subscriptions)

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "subscriptions")]
pub struct Model {
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub pid: Uuid,
    pub company_id: i64,
    pub client_id: i64,
    pub start_date: Date,
    pub stop_date: Option<Date>,
    pub next_period: i32,
    pub next_billing_date: Option<Date>,
    pub duplicated_from_id: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTimeWithTimeZone>,
    pub created_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}
