//! Payments (issue 7): the client's payment page links, card checkouts through Stripe,
//! the stored Stripe events, payments (card or recorded by hand), their reversals, and the
//! append-only ledger that says which payment paid what (DOMAIN.md "Payments and the
//! payment page"). Balances are derived from the ledger; nothing here is ever updated or
//! deleted except the state of a checkout and of a stored event.

use sea_orm_migration::{prelude::*, schema as col};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(
    name: &str,
    from: (&str, &str),
    to: &str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(Alias::new(from.0), Alias::new(from.1))
        .to(Alias::new(to), Alias::new("id"))
        .on_delete(on_delete)
        .to_owned()
}

/// Tables whose rows are never changed nor deleted: a wrong payment is reversed by a new
/// row, never edited (an accountant must be able to follow every cent).
const APPEND_ONLY: &[&str] = &["payments", "payment_reversals", "ledger_entries"];

fn created_at() -> ColumnDef {
    col::timestamp_with_time_zone("created_at")
        .default(Expr::current_timestamp())
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    #[allow(clippy::too_many_lines)]
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // The secret URL of a client's payment page: only the SHA-256 of its token is kept.
        // The token is HMAC(secret key, nonce), so the server can write it in e-mails again
        // without storing it.
        m.create_table(
            Table::create()
                .table(Alias::new("payment_links"))
                .if_not_exists()
                .col(created_at())
                .col(col::big_pk_auto("id"))
                .col(col::big_integer("company_id"))
                .col(col::big_integer("client_id"))
                .col(col::string("nonce"))
                .col(col::string_uniq("token_hash"))
                .col(col::big_integer_null("created_by"))
                .col(col::timestamp_with_time_zone_null("revoked_at"))
                .col(col::big_integer_null("revoked_by"))
                .foreign_key(&mut fk(
                    "fk-payment-links-company",
                    ("payment_links", "company_id"),
                    "companies",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk-payment-links-client",
                    ("payment_links", "client_id"),
                    "clients",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        // One live link per client (both SQLite and Postgres have partial indexes).
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX \"uidx-payment-links-live\" ON payment_links (client_id) \
                 WHERE revoked_at IS NULL",
            )
            .await?;

        // A card checkout: the PaymentIntent created for some invoices of a client.
        m.create_table(
            Table::create()
                .table(Alias::new("payment_requests"))
                .if_not_exists()
                .col(created_at())
                .col(col::timestamp_with_time_zone("updated_at").default(Expr::current_timestamp()))
                .col(col::big_pk_auto("id"))
                .col(col::uuid_uniq("pid"))
                .col(col::big_integer("company_id"))
                .col(col::big_integer("client_id"))
                .col(col::string_uniq("stripe_payment_intent_id"))
                .col(col::big_integer("amount_cents"))
                .col(col::string("currency"))
                // Invoice ids with the amount due asked for each, as JSON `[[id, cents], ...]`.
                .col(col::text("invoices_json"))
                // open | succeeded | failed
                .col(col::string("status"))
                .col(col::string_null("failure_message"))
                .foreign_key(&mut fk(
                    "fk-payment-requests-company",
                    ("payment_requests", "company_id"),
                    "companies",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk-payment-requests-client",
                    ("payment_requests", "client_id"),
                    "clients",
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx-payment-requests-client",
            "payment_requests",
            &["client_id", "status"],
            false,
        )
        .await?;

        // Every Stripe event received, once (its id is unique), processed by a job.
        m.create_table(
            Table::create()
                .table(Alias::new("stripe_events"))
                .if_not_exists()
                .col(
                    col::timestamp_with_time_zone("received_at").default(Expr::current_timestamp()),
                )
                .col(col::big_pk_auto("id"))
                .col(col::string_uniq("event_id"))
                .col(col::string("event_type"))
                .col(col::big_integer("stripe_created"))
                .col(col::string_null("payment_intent_id"))
                .col(col::text("payload"))
                .col(col::timestamp_with_time_zone_null("processed_at"))
                .col(col::integer("attempts").default(0))
                .col(col::string_null("last_error"))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx-stripe-events-pending",
            "stripe_events",
            &["processed_at", "id"],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Alias::new("payments"))
                .if_not_exists()
                .col(created_at())
                .col(col::big_pk_auto("id"))
                .col(col::uuid_uniq("pid"))
                .col(col::big_integer("company_id"))
                .col(col::big_integer("client_id"))
                // card | transfer | cheque | cash | other
                .col(col::string("method"))
                .col(col::big_integer("amount_cents"))
                .col(col::string("currency"))
                .col(col::date("received_on"))
                .col(col::string_null("reference"))
                // The invoice a payment recorded by hand was entered on.
                .col(col::big_integer_null("invoice_id"))
                .col(col::string_null("stripe_payment_intent_id"))
                .col(col::big_integer_null("payment_request_id"))
                .col(col::big_integer_null("recorded_by"))
                // A form's one-time key or an API Idempotency-Key: a retry records nothing.
                .col(col::string_null("idempotency_key"))
                .foreign_key(&mut fk(
                    "fk-payments-company",
                    ("payments", "company_id"),
                    "companies",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk-payments-client",
                    ("payments", "client_id"),
                    "clients",
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut fk(
                    "fk-payments-invoice",
                    ("payments", "invoice_id"),
                    "invoices",
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut fk(
                    "fk-payments-request",
                    ("payments", "payment_request_id"),
                    "payment_requests",
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
        // One payment per PaymentIntent, whatever the number of deliveries or workers.
        index(
            m,
            "uidx-payments-stripe-pi",
            "payments",
            &["stripe_payment_intent_id"],
            true,
        )
        .await?;
        index(
            m,
            "uidx-payments-idempotency",
            "payments",
            &["company_id", "idempotency_key"],
            true,
        )
        .await?;
        index(
            m,
            "idx-payments-company-created",
            "payments",
            &["company_id", "id"],
            false,
        )
        .await?;
        index(m, "idx-payments-client", "payments", &["client_id"], false).await?;

        m.create_table(
            Table::create()
                .table(Alias::new("payment_reversals"))
                .if_not_exists()
                .col(created_at())
                .col(col::big_pk_auto("id"))
                .col(col::big_integer_uniq("payment_id"))
                .col(col::string("reason"))
                .col(col::big_integer_null("reversed_by"))
                .foreign_key(&mut fk(
                    "fk-payment-reversals-payment",
                    ("payment_reversals", "payment_id"),
                    "payments",
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;

        // Signed amounts on two kinds of account: an invoice (what was paid on it) and the
        // client's credit balance. The entries of one payment add up to its amount; a
        // reversal adds their opposites; moves between accounts add up to zero.
        m.create_table(
            Table::create()
                .table(Alias::new("ledger_entries"))
                .if_not_exists()
                .col(created_at())
                .col(col::big_pk_auto("id"))
                .col(col::big_integer("company_id"))
                .col(col::big_integer("client_id"))
                // payment | reversal | credit_note_excess | credit_applied
                .col(col::string("kind"))
                .col(col::big_integer_null("payment_id"))
                // NULL: the client's credit balance.
                .col(col::big_integer_null("invoice_id"))
                .col(col::big_integer("amount_cents"))
                .foreign_key(&mut fk(
                    "fk-ledger-company",
                    ("ledger_entries", "company_id"),
                    "companies",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk-ledger-client",
                    ("ledger_entries", "client_id"),
                    "clients",
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut fk(
                    "fk-ledger-payment",
                    ("ledger_entries", "payment_id"),
                    "payments",
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut fk(
                    "fk-ledger-invoice",
                    ("ledger_entries", "invoice_id"),
                    "invoices",
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx-ledger-invoice",
            "ledger_entries",
            &["invoice_id"],
            false,
        )
        .await?;
        index(
            m,
            "idx-ledger-client",
            "ledger_entries",
            &["client_id"],
            false,
        )
        .await?;
        index(
            m,
            "idx-ledger-payment",
            "ledger_entries",
            &["payment_id"],
            false,
        )
        .await?;

        let db = m.get_connection();
        let postgres = m.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
        if postgres {
            db.execute_unprepared(
                "CREATE FUNCTION ledger_append_only() RETURNS trigger AS $$ BEGIN \
                 RAISE EXCEPTION 'ledger rows are append-only'; END $$ LANGUAGE plpgsql",
            )
            .await?;
        }
        for table in APPEND_ONLY {
            if postgres {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} \
                     FOR EACH ROW EXECUTE FUNCTION ledger_append_only()"
                ))
                .await?;
            } else {
                for event in ["UPDATE", "DELETE"] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {table}_{e}_append_only BEFORE {event} ON {table} \
                         FOR EACH ROW BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only'); END",
                        e = event.to_lowercase()
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "ledger_entries",
            "payment_reversals",
            "payments",
            "stripe_events",
            "payment_requests",
            "payment_links",
        ] {
            m.drop_table(
                Table::drop()
                    .table(Alias::new(table))
                    .if_exists()
                    .to_owned(),
            )
            .await?;
        }
        if m.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            m.get_connection()
                .execute_unprepared("DROP FUNCTION IF EXISTS ledger_append_only()")
                .await?;
        }
        Ok(())
    }
}
