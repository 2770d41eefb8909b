use loco_rs::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        create_table(
            m,
            "companies",
            &[
                ("id", ColType::PkAuto),
                ("pid", ColType::Uuid),
                ("legal_name", ColType::String),
            ],
            &[],
        )
        .await?;

        // Staff users belong to no company, hence the nullable reference.
        create_table(
            m,
            "users",
            &[
                ("id", ColType::PkAuto),
                ("pid", ColType::Uuid),
                ("email", ColType::StringUniq),
                ("name", ColType::String),
                ("password_hash", ColType::StringNull),
                ("role", ColType::String),
                ("locale", ColType::String),
                ("activation_token_hash", ColType::StringNull),
                ("activation_sent_at", ColType::TimestampWithTimeZoneNull),
                ("activated_at", ColType::TimestampWithTimeZoneNull),
                ("reset_token_hash", ColType::StringNull),
                ("reset_sent_at", ColType::TimestampWithTimeZoneNull),
            ],
            &[("companies?", "company_id")],
        )
        .await?;

        create_table(
            m,
            "sessions",
            &[
                ("id", ColType::PkAuto),
                ("token_hash", ColType::StringUniq),
                ("expires_at", ColType::TimestampWithTimeZone),
            ],
            &[("users", "user_id")],
        )
        .await?;

        create_table(
            m,
            "login_attempts",
            &[
                ("id", ColType::PkAuto),
                ("email", ColType::String),
                ("ip", ColType::String),
                ("succeeded", ColType::Boolean),
            ],
            &[],
        )
        .await?;

        create_table(
            m,
            "outbox_messages",
            &[
                ("id", ColType::PkAuto),
                ("pid", ColType::Uuid),
                ("template", ColType::String),
                ("locale", ColType::String),
                ("to_address", ColType::String),
                ("to_name", ColType::StringNull),
                ("subject", ColType::String),
                ("html_body", ColType::Text),
                ("text_body", ColType::Text),
                ("status", ColType::String),
                ("attempts", ColType::Integer),
                ("next_attempt_at", ColType::TimestampWithTimeZone),
                ("claimed_at", ColType::TimestampWithTimeZoneNull),
                ("last_error", ColType::TextNull),
                ("sent_at", ColType::TimestampWithTimeZoneNull),
                ("transport", ColType::StringNull),
            ],
            &[("companies?", "company_id")],
        )
        .await?;

        create_table(
            m,
            "outbox_attachments",
            &[
                ("id", ColType::PkAuto),
                ("filename", ColType::String),
                ("content_type", ColType::String),
                ("content", ColType::Blob),
            ],
            &[("outbox_messages", "message_id")],
        )
        .await?;

        for (name, table, cols) in [
            ("idx-users-company", "users", vec!["company_id"]),
            ("idx-sessions-user", "sessions", vec!["user_id"]),
            (
                "idx-login-attempts-email",
                "login_attempts",
                vec!["email", "created_at"],
            ),
            (
                "idx-login-attempts-ip",
                "login_attempts",
                vec!["ip", "created_at"],
            ),
            (
                "idx-outbox-status-next",
                "outbox_messages",
                vec!["status", "next_attempt_at"],
            ),
            (
                "idx-outbox-attachments-message",
                "outbox_attachments",
                vec!["message_id"],
            ),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(Alias::new(table));
            for col in cols {
                idx.col(Alias::new(col));
            }
            m.create_index(idx.to_owned()).await?;
        }
        let mut unique_pid = Index::create();
        unique_pid
            .name("uidx-outbox-pid")
            .table(Alias::new("outbox_messages"))
            .col(Alias::new("pid"))
            .unique();
        m.create_index(unique_pid.to_owned()).await?;
        let mut unique_user_pid = Index::create();
        unique_user_pid
            .name("uidx-users-pid")
            .table(Alias::new("users"))
            .col(Alias::new("pid"))
            .unique();
        m.create_index(unique_user_pid.to_owned()).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "outbox_attachments",
            "outbox_messages",
            "login_attempts",
            "sessions",
            "users",
            "companies",
        ] {
            drop_table(m, table).await?;
        }
        Ok(())
    }
}
