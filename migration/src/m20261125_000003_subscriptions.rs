use loco_rs::schema::{create_table, drop_table, ColType};
use sea_orm_migration::{prelude::*, schema as col};

use crate::{
    index,
    m20261125_000002_invoices::{
        postgres_invoice_function, sqlite_invoice_trigger, FROZEN_COLUMNS,
    },
};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The subscription link of an issued invoice is as frozen as what it prints: it is what
/// makes "one invoice per subscription and period" hold (DOMAIN.md "Subscriptions").
const SUBSCRIPTION_COLUMNS: &[&str] = &["subscription_id", "period_index"];

fn frozen_columns() -> Vec<&'static str> {
    FROZEN_COLUMNS
        .iter()
        .chain(SUBSCRIPTION_COLUMNS)
        .copied()
        .collect()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    #[allow(clippy::too_many_lines)]
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Alias::new("subscriptions"))
                .if_not_exists()
                .col(col::timestamp_with_time_zone("created_at").default(Expr::current_timestamp()))
                .col(col::timestamp_with_time_zone("updated_at").default(Expr::current_timestamp()))
                .col(col::big_pk_auto("id"))
                .col(col::uuid_uniq("pid"))
                .col(col::big_integer("company_id"))
                .col(col::big_integer("client_id"))
                // First period's start; every billing date keeps its day of month.
                .col(col::date("start_date"))
                // No period starts on or after it.
                .col(col::date_null("stop_date"))
                // How many periods are billed (the next period's index).
                .col(col::integer("next_period").default(0))
                // The next period's billing date; NULL once nothing more is billed. What the
                // daily run looks up (indexed).
                .col(col::date_null("next_billing_date"))
                .col(col::big_integer_null("duplicated_from_id"))
                // The last run's failure for this subscription (cleared by a success).
                .col(col::string_null("last_error"))
                .col(col::timestamp_with_time_zone_null("last_error_at"))
                .col(col::big_integer_null("created_by"))
                .foreign_key(
                    &mut ForeignKey::create()
                        .name("fk-subscriptions-company")
                        .from(Alias::new("subscriptions"), Alias::new("company_id"))
                        .to(Alias::new("companies"), Alias::new("id"))
                        .on_delete(ForeignKeyAction::Cascade)
                        .to_owned(),
                )
                .foreign_key(
                    &mut ForeignKey::create()
                        .name("fk-subscriptions-client")
                        .from(Alias::new("subscriptions"), Alias::new("client_id"))
                        .to(Alias::new("clients"), Alias::new("id"))
                        .on_delete(ForeignKeyAction::Restrict)
                        .to_owned(),
                )
                .foreign_key(
                    &mut ForeignKey::create()
                        .name("fk-subscriptions-duplicated-from")
                        .from(
                            Alias::new("subscriptions"),
                            Alias::new("duplicated_from_id"),
                        )
                        .to(Alias::new("subscriptions"), Alias::new("id"))
                        .on_delete(ForeignKeyAction::SetNull)
                        .to_owned(),
                )
                .foreign_key(
                    &mut ForeignKey::create()
                        .name("fk-subscriptions-created-by")
                        .from(Alias::new("subscriptions"), Alias::new("created_by"))
                        .to(Alias::new("users"), Alias::new("id"))
                        .on_delete(ForeignKeyAction::SetNull)
                        .to_owned(),
                )
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx-subscriptions-due",
            "subscriptions",
            &["next_billing_date", "company_id"],
            false,
        )
        .await?;
        index(
            m,
            "idx-subscriptions-company",
            "subscriptions",
            &["company_id", "client_id"],
            false,
        )
        .await?;

        // The content of a subscription, one row per modification: version N applies from
        // period `from_period` on (a modification never touches issued invoices).
        create_table(
            m,
            "subscription_versions",
            &[
                ("id", ColType::PkAuto),
                ("from_period", ColType::Integer),
                ("label", ColType::String),
                ("payment_term_days", ColType::Integer),
                ("operation", ColType::String),
                ("notes", ColType::TextNull),
                // Lines and adjustments as JSON, decimals as strings (exact).
                ("lines_json", ColType::Text),
                ("adjustments_json", ColType::Text),
                ("net_cents", ColType::BigInteger),
                ("total_cents", ColType::BigInteger),
                ("created_by", ColType::BigIntegerNull),
            ],
            &[("subscriptions", "subscription_id")],
        )
        .await?;
        index(
            m,
            "idx-subscription-versions",
            "subscription_versions",
            &["subscription_id", "id"],
            false,
        )
        .await?;

        create_table(
            m,
            "subscription_events",
            &[
                ("id", ColType::PkAuto),
                ("kind", ColType::String),
                ("detail", ColType::TextNull),
                ("user_id", ColType::BigIntegerNull),
                ("invoice_id", ColType::BigIntegerNull),
            ],
            &[("subscriptions", "subscription_id")],
        )
        .await?;
        index(
            m,
            "idx-subscription-events",
            "subscription_events",
            &["subscription_id", "id"],
            false,
        )
        .await?;

        // Invoices: the recurrence chosen in the wizard (drafts), and the subscription
        // period an issued invoice bills.
        m.alter_table(
            Table::alter()
                .table(Alias::new("invoices"))
                .add_column(col::string("recurrence").default("none"))
                .to_owned(),
        )
        .await?;
        if m.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            m.alter_table(
                Table::alter()
                    .table(Alias::new("invoices"))
                    .add_column(col::big_integer_null("subscription_id"))
                    .add_foreign_key(
                        TableForeignKey::new()
                            .name("fk-invoices-subscription")
                            .from_tbl(Alias::new("invoices"))
                            .from_col(Alias::new("subscription_id"))
                            .to_tbl(Alias::new("subscriptions"))
                            .to_col(Alias::new("id"))
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        } else {
            // SQLite adds a column with its reference in one statement (no ADD CONSTRAINT).
            m.get_connection()
                .execute_unprepared(
                    "ALTER TABLE invoices ADD COLUMN subscription_id integer NULL \
                     REFERENCES subscriptions (id) ON DELETE RESTRICT",
                )
                .await?;
        }
        m.alter_table(
            Table::alter()
                .table(Alias::new("invoices"))
                .add_column(col::integer_null("period_index"))
                .to_owned(),
        )
        .await?;
        // Exactly one invoice per subscription and period, whatever runs at once.
        index(
            m,
            "uidx-invoices-subscription-period",
            "invoices",
            &["subscription_id", "period_index"],
            true,
        )
        .await?;

        let db = m.get_connection();
        let frozen = frozen_columns();
        let statements = if m.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            vec![postgres_invoice_function(
                &frozen,
                "CREATE OR REPLACE FUNCTION",
            )]
        } else {
            // A new name: SQLite refused to re-create the trigger under its old name on a
            // pooled connection whose schema had not seen the drop yet.
            vec![
                sqlite_invoice_trigger("invoices_issued_frozen", &frozen),
                "DROP TRIGGER IF EXISTS invoices_issued_immutable".to_string(),
            ]
        };
        for statement in statements {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let statements = if m.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            vec![postgres_invoice_function(
                FROZEN_COLUMNS,
                "CREATE OR REPLACE FUNCTION",
            )]
        } else {
            vec![
                sqlite_invoice_trigger("invoices_issued_immutable", FROZEN_COLUMNS),
                "DROP TRIGGER IF EXISTS invoices_issued_frozen".to_string(),
            ]
        };
        for statement in statements {
            db.execute_unprepared(&statement).await?;
        }
        m.drop_index(
            Index::drop()
                .name("uidx-invoices-subscription-period")
                .table(Alias::new("invoices"))
                .to_owned(),
        )
        .await?;
        if m.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            m.drop_foreign_key(
                ForeignKey::drop()
                    .name("fk-invoices-subscription")
                    .table(Alias::new("invoices"))
                    .to_owned(),
            )
            .await?;
        }
        // SQLite cannot drop a column that references another table: there the columns
        // stay (unused) after a rollback of this migration.
        let columns: &[&str] = if m.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            &["period_index", "subscription_id", "recurrence"]
        } else {
            &["period_index", "recurrence"]
        };
        for column in columns {
            m.alter_table(
                Table::alter()
                    .table(Alias::new("invoices"))
                    .drop_column(Alias::new(*column))
                    .to_owned(),
            )
            .await?;
        }
        for table in [
            "subscription_events",
            "subscription_versions",
            "subscriptions",
        ] {
            drop_table(m, table).await?;
        }
        Ok(())
    }
}
