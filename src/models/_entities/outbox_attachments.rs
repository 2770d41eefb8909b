//! `SeaORM` Entity.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Eq, Serialize, Deserialize)]
#[sea_orm(table_name = "outbox_attachments")]
pub struct Model {
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
    #[sea_orm(primary_key)]
    pub id: i64,
    pub filename: String,
    pub content_type: String,
    #[sea_orm(column_type = "Blob")]
    pub content: Vec<u8>,
    pub message_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::outbox_messages::Entity",
        from = "Column::MessageId",
        to = "super::outbox_messages::Column::Id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    OutboxMessages,
}

impl Related<super::outbox_messages::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OutboxMessages.def()
    }
}
