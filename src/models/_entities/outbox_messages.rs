//! `SeaORM` Entity.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Eq, Serialize, Deserialize)]
#[sea_orm(table_name = "outbox_messages")]
pub struct Model {
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub pid: Uuid,
    pub template: String,
    pub locale: String,
    pub to_address: String,
    pub to_name: Option<String>,
    pub subject: String,
    #[sea_orm(column_type = "Text")]
    pub html_body: String,
    #[sea_orm(column_type = "Text")]
    pub text_body: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeWithTimeZone,
    pub claimed_at: Option<DateTimeWithTimeZone>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub sent_at: Option<DateTimeWithTimeZone>,
    pub transport: Option<String>,
    pub company_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::outbox_attachments::Entity")]
    OutboxAttachments,
}

impl Related<super::outbox_attachments::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OutboxAttachments.def()
    }
}
