use loco_rs::schema::{create_table, drop_table, ColType};
use sea_orm_migration::{prelude::*, schema as col};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(
    name: &str,
    from_table: &str,
    from_col: &str,
    to_table: &str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(Alias::new(from_table), Alias::new(from_col))
        .to(Alias::new(to_table), Alias::new("id"))
        .on_delete(on_delete)
        .to_owned()
}

/// Issued documents are immutable (CGI art. 242 nonies A; DOMAIN.md): beyond the service
/// rules, the database itself refuses to change or delete them. Status and PDF link may
/// still move (payments, rendering); nothing that is printed may.
pub(crate) const FROZEN_COLUMNS: &[&str] = &[
    "kind",
    "number",
    "series_year",
    "sequence",
    "client_id",
    "test_mode",
    "issue_date",
    "due_date",
    "total_cents",
    "net_cents",
    "vat_cents",
    "document_json",
    "corrected_invoice_id",
    "cancels_invoice",
    "company_id",
    "label",
    "currency",
    "delivery_date",
    "period_start",
    "period_end",
    "operation",
    "notes",
    "payment_term_days",
    "lines_cents",
    "allowances_cents",
    "charges_cents",
];

/// The SQLite trigger that refuses changes to an issued document's `frozen` columns.
pub(crate) fn sqlite_invoice_trigger(name: &str, frozen: &[&str]) -> String {
    let changed: Vec<String> = frozen
        .iter()
        .map(|c| format!("NEW.{c} IS NOT OLD.{c}"))
        // Nor may an issued document go back to being a draft (which would reopen it).
        .chain(std::iter::once("NEW.status = 'draft'".to_string()))
        .collect();
    format!(
        "CREATE TRIGGER {name} BEFORE UPDATE ON invoices FOR EACH ROW \
         WHEN OLD.status <> 'draft' AND ({}) \
         BEGIN SELECT RAISE(ABORT, 'issued document is immutable'); END",
        changed.join(" OR ")
    )
}

fn sqlite_triggers() -> Vec<String> {
    let mut statements = vec![
        sqlite_invoice_trigger("invoices_issued_immutable", FROZEN_COLUMNS),
        "CREATE TRIGGER invoices_issued_undeletable BEFORE DELETE ON invoices FOR EACH ROW \
         WHEN OLD.status <> 'draft' \
         BEGIN SELECT RAISE(ABORT, 'issued document is immutable'); END"
            .to_string(),
    ];
    for table in [
        "invoice_lines",
        "invoice_adjustments",
        "invoice_attachments",
    ] {
        for (event, row) in [("UPDATE", "OLD"), ("DELETE", "OLD"), ("INSERT", "NEW")] {
            statements.push(format!(
                "CREATE TRIGGER {table}_{e}_immutable BEFORE {event} ON {table} FOR EACH ROW \
                 WHEN (SELECT status FROM invoices WHERE id = {row}.invoice_id) <> 'draft' \
                 BEGIN SELECT RAISE(ABORT, 'issued document is immutable'); END",
                e = event.to_lowercase()
            ));
        }
    }
    statements
}

/// The Postgres function behind the trigger that refuses changes to an issued document's
/// `frozen` columns and its deletion.
pub(crate) fn postgres_invoice_function(frozen: &[&str], create: &str) -> String {
    let changed: Vec<String> = frozen
        .iter()
        .map(|c| format!("NEW.{c} IS DISTINCT FROM OLD.{c}"))
        .chain(std::iter::once("NEW.status = 'draft'".to_string()))
        .collect();
    format!(
        "{create} invoices_issued_immutable() RETURNS trigger AS $$ BEGIN \
         IF TG_OP = 'DELETE' THEN \
           IF OLD.status <> 'draft' THEN RAISE EXCEPTION 'issued document is immutable'; END IF; \
           RETURN OLD; \
         END IF; \
         IF OLD.status <> 'draft' AND ({}) THEN \
           RAISE EXCEPTION 'issued document is immutable'; \
         END IF; \
         RETURN NEW; END $$ LANGUAGE plpgsql",
        changed.join(" OR ")
    )
}

fn postgres_triggers() -> Vec<String> {
    let mut statements = vec![
        postgres_invoice_function(FROZEN_COLUMNS, "CREATE FUNCTION"),
        "CREATE TRIGGER invoices_issued_immutable BEFORE UPDATE OR DELETE ON invoices \
         FOR EACH ROW EXECUTE FUNCTION invoices_issued_immutable()"
            .to_string(),
        "CREATE FUNCTION invoice_parts_immutable() RETURNS trigger AS $$ \
         DECLARE parent_status text; BEGIN \
           SELECT status INTO parent_status FROM invoices \
             WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.invoice_id ELSE NEW.invoice_id END; \
           IF parent_status IS NOT NULL AND parent_status <> 'draft' THEN \
             RAISE EXCEPTION 'issued document is immutable'; \
           END IF; \
           IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; \
           RETURN NEW; END $$ LANGUAGE plpgsql"
            .to_string(),
    ];
    for table in [
        "invoice_lines",
        "invoice_adjustments",
        "invoice_attachments",
    ] {
        statements.push(format!(
            "CREATE TRIGGER {table}_immutable BEFORE INSERT OR UPDATE OR DELETE ON {table} \
             FOR EACH ROW EXECUTE FUNCTION invoice_parts_immutable()"
        ));
    }
    statements
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    #[allow(clippy::too_many_lines)]
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Content-addressed files: logos copied into documents, attachments, PDFs.
        create_table(
            m,
            "document_files",
            &[
                ("id", ColType::PkAuto),
                ("sha256", ColType::StringUniq),
                ("content_type", ColType::String),
                ("size", ColType::BigInteger),
                ("content", ColType::Blob),
            ],
            &[],
        )
        .await?;

        // Invoices and credit notes. A client with documents cannot be deleted (RESTRICT),
        // nor an invoice that a credit note corrects.
        m.create_table(
            Table::create()
                .table(Alias::new("invoices"))
                .if_not_exists()
                .col(col::timestamp_with_time_zone("created_at").default(Expr::current_timestamp()))
                .col(col::timestamp_with_time_zone("updated_at").default(Expr::current_timestamp()))
                .col(col::big_pk_auto("id"))
                .col(col::uuid_uniq("pid"))
                .col(col::big_integer("company_id"))
                .col(col::big_integer("client_id"))
                .col(col::string("kind"))
                .col(col::string("status"))
                .col(col::boolean("test_mode").default(false))
                .col(col::string_null("number"))
                .col(col::integer_null("series_year"))
                .col(col::big_integer_null("sequence"))
                .col(col::string("label"))
                .col(col::string("currency").default("EUR"))
                .col(col::date("issue_date"))
                .col(col::date("due_date"))
                .col(col::integer("payment_term_days"))
                .col(col::date("delivery_date"))
                .col(col::date_null("period_start"))
                .col(col::date_null("period_end"))
                .col(col::string("operation"))
                .col(col::text_null("notes"))
                .col(col::big_integer_null("corrected_invoice_id"))
                // A credit note made by "Annuler la facture": issuing it cancels the invoice.
                .col(col::boolean("cancels_invoice").default(false))
                .col(col::big_integer("lines_cents").default(0))
                .col(col::big_integer("allowances_cents").default(0))
                .col(col::big_integer("charges_cents").default(0))
                .col(col::big_integer("net_cents").default(0))
                .col(col::big_integer("vat_cents").default(0))
                .col(col::big_integer("total_cents").default(0))
                .col(col::text_null("document_json"))
                .col(col::big_integer_null("pdf_file_id"))
                .col(col::string_null("email_subject"))
                .col(col::text_null("email_body"))
                .col(col::integer("wizard_step").default(1))
                .col(col::timestamp_with_time_zone_null("issued_at"))
                .col(col::big_integer_null("issued_by"))
                .foreign_key(&mut fk(
                    "fk-invoices-company",
                    "invoices",
                    "company_id",
                    "companies",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk-invoices-client",
                    "invoices",
                    "client_id",
                    "clients",
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut fk(
                    "fk-invoices-corrected",
                    "invoices",
                    "corrected_invoice_id",
                    "invoices",
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut fk(
                    "fk-invoices-pdf",
                    "invoices",
                    "pdf_file_id",
                    "document_files",
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut fk(
                    "fk-invoices-issued-by",
                    "invoices",
                    "issued_by",
                    "users",
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )
        .await?;
        // Gapless numbering: one number once per series (the counter row decides which).
        index(
            m,
            "uidx-invoices-sequence",
            "invoices",
            &["company_id", "kind", "series_year", "sequence"],
            true,
        )
        .await?;
        index(
            m,
            "uidx-invoices-number",
            "invoices",
            &["company_id", "kind", "number"],
            true,
        )
        .await?;
        index(
            m,
            "idx-invoices-company-status",
            "invoices",
            &["company_id", "status", "issue_date"],
            false,
        )
        .await?;
        index(m, "idx-invoices-client", "invoices", &["client_id"], false).await?;
        index(
            m,
            "idx-invoices-corrected",
            "invoices",
            &["corrected_invoice_id"],
            false,
        )
        .await?;

        create_table(
            m,
            "invoice_lines",
            &[
                ("id", ColType::PkAuto),
                ("position", ColType::Integer),
                ("description", ColType::Text),
                // Exact decimals as scaled integers: 4 decimals (DOMAIN.md "Money").
                ("quantity_e4", ColType::BigInteger),
                ("unit", ColType::String),
                ("unit_price_e4", ColType::BigInteger),
                ("vat_code", ColType::String),
                ("net_cents", ColType::BigInteger),
            ],
            &[("invoices", "invoice_id")],
        )
        .await?;
        index(
            m,
            "idx-invoice-lines-invoice",
            "invoice_lines",
            &["invoice_id", "position"],
            false,
        )
        .await?;

        create_table(
            m,
            "invoice_adjustments",
            &[
                ("id", ColType::PkAuto),
                ("position", ColType::Integer),
                ("is_charge", ColType::Boolean),
                ("reason", ColType::String),
                ("vat_code", ColType::StringNull),
                ("amount_cents", ColType::BigIntegerNull),
                // Percentages with 2 decimals, in basis points.
                ("percent_bp", ColType::IntegerNull),
            ],
            &[("invoices", "invoice_id")],
        )
        .await?;
        index(
            m,
            "idx-invoice-adjustments-invoice",
            "invoice_adjustments",
            &["invoice_id"],
            false,
        )
        .await?;

        // The counter of each series, locked for update by the issuing transaction.
        create_table(
            m,
            "number_series",
            &[
                ("id", ColType::PkAuto),
                ("kind", ColType::String),
                ("year", ColType::Integer),
                ("last_sequence", ColType::BigIntegerWithDefault(0)),
                ("last_issue_date", ColType::DateNull),
            ],
            &[("companies", "company_id")],
        )
        .await?;
        index(
            m,
            "uidx-number-series",
            "number_series",
            &["company_id", "kind", "year"],
            true,
        )
        .await?;

        create_table(
            m,
            "invoice_events",
            &[
                ("id", ColType::PkAuto),
                ("kind", ColType::String),
                ("detail", ColType::TextNull),
                ("user_id", ColType::BigIntegerNull),
            ],
            &[("invoices", "invoice_id")],
        )
        .await?;
        index(
            m,
            "idx-invoice-events-invoice",
            "invoice_events",
            &["invoice_id", "id"],
            false,
        )
        .await?;

        create_table(
            m,
            "invoice_attachments",
            &[
                ("id", ColType::PkAuto),
                ("pid", ColType::Uuid),
                ("filename", ColType::String),
            ],
            &[("invoices", "invoice_id"), ("document_files", "file_id")],
        )
        .await?;
        index(
            m,
            "idx-invoice-attachments-invoice",
            "invoice_attachments",
            &["invoice_id"],
            false,
        )
        .await?;

        create_table(
            m,
            "invoice_templates",
            &[
                ("id", ColType::PkAuto),
                ("pid", ColType::Uuid),
                ("name", ColType::String),
                ("content_json", ColType::Text),
            ],
            &[("companies", "company_id"), ("clients", "client_id")],
        )
        .await?;
        index(
            m,
            "idx-invoice-templates-client",
            "invoice_templates",
            &["company_id", "client_id"],
            false,
        )
        .await?;

        // An invoice e-mail waits (status "held") until the invoice's PDF is stored, then
        // leaves with it attached.
        m.alter_table(
            Table::alter()
                .table(Alias::new("outbox_messages"))
                .add_column(col::big_integer_null("invoice_id"))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx-outbox-invoice",
            "outbox_messages",
            &["invoice_id"],
            false,
        )
        .await?;

        let db = m.get_connection();
        let statements = match m.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                let mut statements = postgres_triggers();
                // PDFs are compressed already: Postgres' default TOAST compression (pglz)
                // would spend milliseconds per file for nothing.
                for table in ["document_files", "outbox_attachments"] {
                    statements.push(format!(
                        "ALTER TABLE {table} ALTER COLUMN content SET STORAGE EXTERNAL"
                    ));
                }
                statements
            }
            _ => sqlite_triggers(),
        };
        for statement in statements {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if m.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            for statement in [
                "DROP TRIGGER IF EXISTS invoices_issued_immutable ON invoices",
                "DROP FUNCTION IF EXISTS invoices_issued_immutable() CASCADE",
                "DROP FUNCTION IF EXISTS invoice_parts_immutable() CASCADE",
            ] {
                db.execute_unprepared(statement).await?;
            }
        }
        m.alter_table(
            Table::alter()
                .table(Alias::new("outbox_messages"))
                .drop_column(Alias::new("invoice_id"))
                .to_owned(),
        )
        .await?;
        for table in [
            "invoice_templates",
            "invoice_attachments",
            "invoice_events",
            "number_series",
            "invoice_adjustments",
            "invoice_lines",
            "invoices",
            "document_files",
        ] {
            drop_table(m, table).await?;
        }
        Ok(())
    }
}
