use loco_rs::schema::*;
use sea_orm_migration::prelude::*;

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Company profile columns: nullable until the admin fills the profile in (sign-up only
/// asks for the legal name); invoice settings have the defaults a French seller expects.
fn company_columns() -> Vec<(&'static str, ColType)> {
    vec![
        ("legal_form", ColType::StringNull),
        ("siret", ColType::StringNull),
        (
            "vat_regime",
            ColType::StringWithDefault("registered".into()),
        ),
        ("vat_number", ColType::StringNull),
        ("vat_on_debits", ColType::BooleanWithDefault(false)),
        ("registration", ColType::StringNull),
        ("share_capital_cents", ColType::BigIntegerNull),
        ("address_street", ColType::StringNull),
        ("address_street2", ColType::StringNull),
        ("address_postcode", ColType::StringNull),
        ("address_city", ColType::StringNull),
        ("address_country", ColType::StringWithDefault("FR".into())),
        ("contact_email", ColType::StringNull),
        ("contact_phone", ColType::StringNull),
        ("invoice_prefix", ColType::StringWithDefault("F".into())),
        (
            "credit_note_prefix",
            ColType::StringWithDefault("AV".into()),
        ),
        ("numbering_yearly_reset", ColType::BooleanWithDefault(true)),
        ("payment_term_days", ColType::IntegerWithDefault(30)),
        ("late_penalty_rate_bp", ColType::IntegerNull),
        ("bank_holder", ColType::StringNull),
        ("bank_iban", ColType::StringNull),
        ("bank_bic", ColType::StringNull),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, col) in company_columns() {
            add_column(m, "companies", name, col).await?;
        }

        // One logo per company, kept out of the companies row that every request loads.
        create_table(
            m,
            "company_logos",
            &[
                ("id", ColType::PkAuto),
                ("content_type", ColType::String),
                ("width", ColType::Integer),
                ("height", ColType::Integer),
                ("sha256", ColType::String),
                ("content", ColType::Blob),
            ],
            &[("companies", "company_id")],
        )
        .await?;
        index(
            m,
            "uidx-company-logos-company",
            "company_logos",
            &["company_id"],
            true,
        )
        .await?;

        create_table(
            m,
            "clients",
            &[
                ("id", ColType::PkAuto),
                ("pid", ColType::Uuid),
                ("legal_name", ColType::String),
                // Lowercase, accents removed: the name search (see domain::client).
                ("search_name", ColType::String),
                ("vat_number", ColType::StringNull),
                ("siret", ColType::StringNull),
                ("siren", ColType::StringNull),
                ("customer_number", ColType::StringNull),
                ("billing_street", ColType::String),
                ("billing_street2", ColType::StringNull),
                ("billing_postcode", ColType::String),
                ("billing_city", ColType::String),
                ("billing_country", ColType::String),
                ("contact_name", ColType::StringNull),
                ("contact_email", ColType::StringNull),
                ("contact_phone", ColType::StringNull),
                ("delivery_street", ColType::StringNull),
                ("delivery_street2", ColType::StringNull),
                ("delivery_postcode", ColType::StringNull),
                ("delivery_city", ColType::StringNull),
                ("delivery_country", ColType::StringNull),
                ("notes", ColType::TextNull),
                ("active", ColType::BooleanWithDefault(true)),
            ],
            &[("companies", "company_id")],
        )
        .await?;
        index(m, "uidx-clients-pid", "clients", &["pid"], true).await?;
        // Unique within the seller; NULLs (no number) never collide, and deleting a client
        // frees its number (DOMAIN.md "Client accounts").
        index(
            m,
            "uidx-clients-company-customer-number",
            "clients",
            &["company_id", "customer_number"],
            true,
        )
        .await?;
        index(
            m,
            "idx-clients-company-name",
            "clients",
            &["company_id", "search_name"],
            false,
        )
        .await?;
        index(
            m,
            "idx-clients-company-siren",
            "clients",
            &["company_id", "siren"],
            false,
        )
        .await?;
        index(
            m,
            "idx-clients-company-vat",
            "clients",
            &["company_id", "vat_number"],
            false,
        )
        .await?;

        create_table(
            m,
            "api_keys",
            &[
                ("id", ColType::PkAuto),
                ("pid", ColType::Uuid),
                ("name", ColType::String),
                // The first characters of the key, shown to tell keys apart.
                ("prefix", ColType::String),
                ("token_hash", ColType::StringUniq),
                ("last_used_at", ColType::TimestampWithTimeZoneNull),
                ("revoked_at", ColType::TimestampWithTimeZoneNull),
            ],
            &[("companies", "company_id"), ("users?", "created_by")],
        )
        .await?;
        index(m, "uidx-api-keys-pid", "api_keys", &["pid"], true).await?;
        index(
            m,
            "idx-api-keys-company",
            "api_keys",
            &["company_id"],
            false,
        )
        .await?;

        // A create form carries a one-time key (the API an Idempotency-Key header): a
        // double submit or a retried call finds the first result instead of writing twice.
        create_table(
            m,
            "idempotency_keys",
            &[
                ("id", ColType::PkAuto),
                ("scope", ColType::String),
                ("key", ColType::String),
                ("resource_pid", ColType::Uuid),
            ],
            &[("companies", "company_id")],
        )
        .await?;
        index(
            m,
            "uidx-idempotency-keys",
            "idempotency_keys",
            &["company_id", "scope", "key"],
            true,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in ["idempotency_keys", "api_keys", "clients", "company_logos"] {
            drop_table(m, table).await?;
        }
        for (name, _) in company_columns().into_iter().rev() {
            remove_column(m, "companies", name).await?;
        }
        Ok(())
    }
}
