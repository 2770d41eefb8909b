//! `SeaORM` Entity (written to match migration m20261125_000006_payments)

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "payment_links")]
pub struct Model {
    pub created_at: DateTimeWithTimeZone,
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company_id: i64,
    pub client_id: i64,
    pub nonce: String,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub created_by: Option<i64>,
    pub revoked_at: Option<DateTimeWithTimeZone>,
    pub revoked_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}
