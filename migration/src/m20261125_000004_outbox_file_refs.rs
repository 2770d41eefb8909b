//! An outbox attachment may name a stored file instead of carrying a copy of its bytes.
//!
//! Every issued invoice's e-mail attaches its PDF, which `document_files` already holds
//! (write-once, addressed by its SHA-256): copying it into `outbox_attachments` wrote each
//! PDF twice, half of what a billing run writes per invoice (BENCHMARKS.md, "Billing run").
//! A row with `file_id` leaves `content` empty; delivery reads the stored file, so the
//! e-mail carries the very bytes that are stored and downloaded. Rows with a copy (older
//! rows, mail not tied to a stored file) are unchanged.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Raw SQL: SQLite accepts a REFERENCES clause on ADD COLUMN (a nullable column
        // without default), which sea-query's ALTER TABLE cannot express there.
        let statement = match m.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                "ALTER TABLE outbox_attachments ADD COLUMN file_id BIGINT NULL \
                 REFERENCES document_files (id) ON DELETE RESTRICT"
            }
            _ => {
                "ALTER TABLE outbox_attachments ADD COLUMN file_id INTEGER NULL \
                 REFERENCES document_files (id) ON DELETE RESTRICT"
            }
        };
        m.get_connection().execute_unprepared(statement).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared("ALTER TABLE outbox_attachments DROP COLUMN file_id")
            .await?;
        Ok(())
    }
}
