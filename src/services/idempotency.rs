//! Idempotent creation: a create form carries a one-time key (API clients send an
//! `Idempotency-Key` header). The key is recorded in the creating transaction; a second
//! request with the same key gets the first result instead of a second write.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::ServiceError;
use crate::models::_entities::idempotency_keys;

/// Keys longer than this are refused: they are opaque tokens, not documents.
pub const MAX_KEY_LENGTH: usize = 200;

/// A usable key: `None` when absent or blank.
///
/// # Errors
/// `Invalid` on `idempotency_key` when too long.
pub fn parse_key(key: Option<&str>) -> Result<Option<String>, ServiceError> {
    match key.map(str::trim).filter(|k| !k.is_empty()) {
        None => Ok(None),
        Some(k) if k.len() > MAX_KEY_LENGTH => Err(ServiceError::Invalid(
            crate::domain::error::FieldErrors::single("idempotency_key", "too-long"),
        )),
        Some(k) => Ok(Some(k.to_string())),
    }
}

/// The resource created earlier with this key, if any.
///
/// # Errors
/// Database errors.
pub async fn earlier<C: ConnectionTrait>(
    db: &C,
    company_id: i64,
    scope: &str,
    key: &str,
) -> Result<Option<uuid::Uuid>, ServiceError> {
    Ok(idempotency_keys::Entity::find()
        .filter(idempotency_keys::Column::CompanyId.eq(company_id))
        .filter(idempotency_keys::Column::Scope.eq(scope))
        .filter(idempotency_keys::Column::Key.eq(key))
        .one(db)
        .await?
        .map(|row| row.resource_pid))
}

/// Records the key with what it created (inside the creating transaction: a concurrent
/// twin fails on the unique index and rolls its own work back).
///
/// # Errors
/// Database errors, including the unique violation of a concurrent twin.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    company_id: i64,
    scope: &str,
    key: &str,
    resource_pid: uuid::Uuid,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Result<(), sea_orm::DbErr> {
    idempotency_keys::ActiveModel {
        company_id: Set(company_id),
        scope: Set(scope.to_string()),
        key: Set(key.to_string()),
        resource_pid: Set(resource_pid),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Forgets a key whose work was undone (so that a retry really tries again).
///
/// # Errors
/// Database errors.
pub async fn forget<C: ConnectionTrait>(
    db: &C,
    company_id: i64,
    scope: &str,
    key: &str,
) -> Result<(), sea_orm::DbErr> {
    idempotency_keys::Entity::delete_many()
        .filter(idempotency_keys::Column::CompanyId.eq(company_id))
        .filter(idempotency_keys::Column::Scope.eq(scope))
        .filter(idempotency_keys::Column::Key.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// Claims a key for work that has no record of its own to find again (a resend, a test
/// e-mail): `true` the first time, `false` when the same request already did it. Written
/// in the work's transaction, and without an error on a repeat (which would abort a
/// Postgres transaction).
///
/// # Errors
/// Database errors.
pub async fn claim<C: ConnectionTrait>(
    db: &C,
    company_id: i64,
    scope: &str,
    key: &str,
    resource_pid: uuid::Uuid,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Result<bool, sea_orm::DbErr> {
    use sea_orm::sea_query::{OnConflict, Query};
    let insert = Query::insert()
        .into_table(idempotency_keys::Entity)
        .columns([
            idempotency_keys::Column::CompanyId,
            idempotency_keys::Column::Scope,
            idempotency_keys::Column::Key,
            idempotency_keys::Column::ResourcePid,
            idempotency_keys::Column::CreatedAt,
            idempotency_keys::Column::UpdatedAt,
        ])
        .values_panic([
            company_id.into(),
            scope.into(),
            key.into(),
            resource_pid.into(),
            now.into(),
            now.into(),
        ])
        .on_conflict(
            OnConflict::columns([
                idempotency_keys::Column::CompanyId,
                idempotency_keys::Column::Scope,
                idempotency_keys::Column::Key,
            ])
            .do_nothing()
            .to_owned(),
        )
        .to_owned();
    Ok(db.execute(&insert).await?.rows_affected() == 1)
}

/// Points a claimed key at what its work created (known only after the claim).
///
/// # Errors
/// Database errors.
pub async fn set_resource<C: ConnectionTrait>(
    db: &C,
    company_id: i64,
    scope: &str,
    key: &str,
    resource_pid: uuid::Uuid,
) -> Result<(), sea_orm::DbErr> {
    idempotency_keys::Entity::update_many()
        .col_expr(
            idempotency_keys::Column::ResourcePid,
            sea_orm::sea_query::Expr::value(resource_pid),
        )
        .filter(idempotency_keys::Column::CompanyId.eq(company_id))
        .filter(idempotency_keys::Column::Scope.eq(scope))
        .filter(idempotency_keys::Column::Key.eq(key))
        .exec(db)
        .await?;
    Ok(())
}
