//! What a billing run of 100 000 invoices needs from the schema (BENCHMARKS.md "Billing
//! run").
//!
//! 1. An index to walk one company's subscriptions in id order: the run takes them in
//!    chunks (`company_id = ? AND next_billing_date <= ? AND id > ? ORDER BY id LIMIT 500`)
//!    and the only index with `next_billing_date` first made each chunk scan every due
//!    subscription of every company (a run grew with the square of its size).
//!
//! 2. Postgres compresses large text values (TOAST) with pglz by default, several times
//!    slower than lz4 to compress and to read back. Every issued invoice stores its frozen
//!    document (a few KB of JSON) and its e-mail (HTML and text bodies), and the PDF job
//!    reads the document back: lz4 for those columns (new values only; older ones stay
//!    readable as they are). Only where the server was built with lz4 (PostgreSQL 14+, as
//!    Debian's is); nothing to do on SQLite. PDFs are not compressed at all (STORAGE
//!    EXTERNAL, migration m20261125_000002).

use sea_orm_migration::prelude::*;

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: &[(&str, &str)] = &[
    ("invoices", "document_json"),
    ("outbox_messages", "html_body"),
    ("outbox_messages", "text_body"),
];

async fn set_compression(m: &SchemaManager<'_>, method: &str) -> Result<(), DbErr> {
    if m.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        return Ok(());
    }
    let db = m.get_connection();
    let lz4 = db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' \
             AND 'lz4' = ANY(enumvals)",
        ))
        .await?
        .is_some();
    if !lz4 {
        return Ok(());
    }
    for (table, column) in COLUMNS {
        db.execute_unprepared(&format!(
            "ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION {method}"
        ))
        .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        index(
            m,
            "idx-subscriptions-company-id",
            "subscriptions",
            &["company_id", "id"],
            false,
        )
        .await?;
        set_compression(m, "lz4").await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        set_compression(m, "DEFAULT").await?;
        m.drop_index(
            Index::drop()
                .name("idx-subscriptions-company-id")
                .table(Alias::new("subscriptions"))
                .to_owned(),
        )
        .await
    }
}
