#![allow(elided_lifetimes_in_paths)]
#![allow(clippy::wildcard_imports)]
pub use sea_orm_migration::prelude::*;
mod m20261122_000001_foundation;
mod m20261125_000001_profile_clients_api_keys;
mod m20261125_000002_invoices;
mod m20261125_000003_subscriptions;
mod m20261125_000004_outbox_file_refs;
mod m20261125_000005_billing_run;
mod m20261125_000006_payments;

pub struct Migrator;

/// Creates an index (unique or not) on `cols` of `table`.
pub(crate) async fn index(
    m: &SchemaManager<'_>,
    name: &str,
    table: &str,
    cols: &[&str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut idx = Index::create();
    idx.name(name).table(Alias::new(table));
    for c in cols {
        idx.col(Alias::new(*c));
    }
    if unique {
        idx.unique();
    }
    m.create_index(idx.to_owned()).await
}

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_foundation::Migration),
            Box::new(m20261125_000001_profile_clients_api_keys::Migration),
            Box::new(m20261125_000002_invoices::Migration),
            Box::new(m20261125_000003_subscriptions::Migration),
            Box::new(m20261125_000004_outbox_file_refs::Migration),
            Box::new(m20261125_000005_billing_run::Migration),
            Box::new(m20261125_000006_payments::Migration),
            // inject-above (do not remove this comment)
        ]
    }
}
