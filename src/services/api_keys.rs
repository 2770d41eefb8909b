//! API keys (Paramètres > Clés d'API): created by an admin, shown once, stored as a
//! SHA-256 hash, scoped to one company, revocable.

use chrono::Duration;
use loco_rs::app::AppContext;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};

use super::{idempotency, ServiceError};
use crate::{
    domain::{company::parse_text, error::FieldErrors},
    models::_entities::{api_keys, companies, users},
    security,
};

/// Every key starts with this, so that a leaked key is recognisable by secret scanners.
pub const KEY_PREFIX: &str = "enc_";

/// Last use is recorded at most this often (not one write per API call).
const LAST_USED_PRECISION_MINUTES: i64 = 5;

/// The company's keys, revoked ones included (their history stays visible), newest first.
///
/// # Errors
/// Database errors.
pub async fn list(ctx: &AppContext, company_id: i64) -> Result<Vec<api_keys::Model>, ServiceError> {
    Ok(api_keys::Entity::find()
        .filter(api_keys::Column::CompanyId.eq(company_id))
        .order_by_desc(api_keys::Column::CreatedAt)
        .order_by_desc(api_keys::Column::Id)
        .all(&ctx.db)
        .await?)
}

const CREATE_SCOPE: &str = "api_key.create";

/// Creates a key and returns it with its secret, which is never shown again. A repeated
/// submission of the same form (same idempotency key) returns the first key, without
/// its secret.
///
/// # Errors
/// `Invalid` for a missing or too long name.
pub async fn create(
    ctx: &AppContext,
    company_id: i64,
    creator: &users::Model,
    name: &str,
    idempotency_key: Option<&str>,
) -> Result<(api_keys::Model, Option<String>), ServiceError> {
    let mut errors = FieldErrors::default();
    let name = errors.take("name", parse_text(name, 100, true)).flatten();
    let Some(name) = name else {
        return Err(ServiceError::Invalid(errors));
    };
    if let Some(key) = idempotency_key {
        if let Some(pid) = idempotency::earlier(&ctx.db, company_id, CREATE_SCOPE, key).await? {
            return Ok((find(ctx, company_id, &pid.to_string()).await?, None));
        }
    }
    let secret = format!("{KEY_PREFIX}{}", security::random_token());
    let now = crate::clock::of(ctx).now();
    let txn = ctx.db.begin().await?;
    let created = api_keys::ActiveModel {
        pid: Set(uuid::Uuid::new_v4()),
        name: Set(name),
        prefix: Set(secret.chars().take(KEY_PREFIX.len() + 6).collect()),
        token_hash: Set(security::hash_token(&secret)),
        company_id: Set(company_id),
        created_by: Set(Some(creator.id)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if let Some(key) = idempotency_key {
        if let Err(error) =
            idempotency::record(&txn, company_id, CREATE_SCOPE, key, created.pid, now).await
        {
            drop(txn);
            // A concurrent twin recorded the key first: its key stands, ours is dropped.
            return match idempotency::earlier(&ctx.db, company_id, CREATE_SCOPE, key).await? {
                Some(pid) => Ok((find(ctx, company_id, &pid.to_string()).await?, None)),
                None => Err(error.into()),
            };
        }
    }
    txn.commit().await?;
    Ok((created, Some(secret)))
}

/// A key of this company by public id.
///
/// # Errors
/// `NotFound`, also for another company's key.
pub async fn find(
    ctx: &AppContext,
    company_id: i64,
    pid: &str,
) -> Result<api_keys::Model, ServiceError> {
    let pid = uuid::Uuid::parse_str(pid).map_err(|_| ServiceError::NotFound)?;
    api_keys::Entity::find()
        .filter(api_keys::Column::Pid.eq(pid))
        .filter(api_keys::Column::CompanyId.eq(company_id))
        .one(&ctx.db)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// Revokes a key at once; revoking twice keeps the first date.
///
/// # Errors
/// `NotFound`.
pub async fn revoke(
    ctx: &AppContext,
    company_id: i64,
    pid: &str,
) -> Result<api_keys::Model, ServiceError> {
    let key = find(ctx, company_id, pid).await?;
    if key.revoked_at.is_some() {
        return Ok(key);
    }
    let now = crate::clock::of(ctx).now();
    let mut active = key.into_active_model();
    active.revoked_at = Set(Some(now));
    active.updated_at = Set(now);
    Ok(active.update(&ctx.db).await?)
}

/// The live key and its company for a secret presented by an API client.
///
/// # Errors
/// Database errors.
pub async fn authenticate(
    ctx: &AppContext,
    secret: &str,
) -> Result<Option<(api_keys::Model, companies::Model)>, ServiceError> {
    if !secret.starts_with(KEY_PREFIX) {
        return Ok(None);
    }
    let found = api_keys::Entity::find()
        .filter(api_keys::Column::TokenHash.eq(security::hash_token(secret)))
        .filter(api_keys::Column::RevokedAt.is_null())
        .find_also_related(companies::Entity)
        .one(&ctx.db)
        .await?;
    let Some((key, Some(company))) = found else {
        return Ok(None);
    };
    let now = crate::clock::of(ctx).now();
    let stale = key
        .last_used_at
        .is_none_or(|at| now - at > Duration::minutes(LAST_USED_PRECISION_MINUTES));
    let key = if stale {
        let mut active = key.into_active_model();
        active.last_used_at = Set(Some(now));
        active.update(&ctx.db).await?
    } else {
        key
    };
    Ok(Some((key, company)))
}
