//! Client accounts (Vente > Comptes clients): create, edit, search, deactivate, delete.
//! Every query is scoped to the seller's company: another company's client is not found.

use loco_rs::app::AppContext;
use sea_orm::{
    sea_query::{Expr, ExprTrait, LikeExpr},
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::{idempotency, ServiceError};
use crate::{
    domain::{
        client::{ClientAccount, ClientSearch, ClientSort, Paging, StatusFilter},
        error::FieldErrors,
    },
    models::_entities::clients,
};

/// A client of this company by public id.
///
/// # Errors
/// `NotFound`, also for another company's client or a malformed id.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    company_id: i64,
    pid: &str,
) -> Result<clients::Model, ServiceError> {
    let pid = uuid::Uuid::parse_str(pid).map_err(|_| ServiceError::NotFound)?;
    clients::Entity::find()
        .filter(clients::Column::Pid.eq(pid))
        .filter(clients::Column::CompanyId.eq(company_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)
}

fn customer_number_taken() -> ServiceError {
    ServiceError::Invalid(FieldErrors::single(
        "customer_number",
        "customer-number-taken",
    ))
}

/// Checked before writing for a clear message; the unique index decides under races.
async fn check_customer_number<C: ConnectionTrait>(
    db: &C,
    company_id: i64,
    account: &ClientAccount,
    except_id: Option<i64>,
) -> Result<(), ServiceError> {
    let Some(number) = &account.customer_number else {
        return Ok(());
    };
    let mut query = clients::Entity::find()
        .filter(clients::Column::CompanyId.eq(company_id))
        .filter(clients::Column::CustomerNumber.eq(number.as_str()));
    if let Some(id) = except_id {
        query = query.filter(clients::Column::Id.ne(id));
    }
    if query.count(db).await? > 0 {
        return Err(customer_number_taken());
    }
    Ok(())
}

fn unique_violation(error: sea_orm::DbErr) -> ServiceError {
    match error.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => customer_number_taken(),
        _ => ServiceError::Db(error),
    }
}

fn apply(active: &mut clients::ActiveModel, account: &ClientAccount) {
    active.legal_name = Set(account.legal_name.clone());
    active.search_name = Set(account.search_name());
    active.vat_number = Set(account.vat_number.as_ref().map(|v| v.as_str().to_string()));
    active.siret = Set(account.siret.as_ref().map(|s| s.as_str().to_string()));
    active.siren = Set(account.siren());
    active.customer_number = Set(account.customer_number.clone());
    active.billing_street = Set(account.billing.street.clone());
    active.billing_street2 = Set(account.billing.street2.clone());
    active.billing_postcode = Set(account.billing.postcode.clone());
    active.billing_city = Set(account.billing.city.clone());
    active.billing_country = Set(account.billing.country.code().to_string());
    active.contact_name = Set(account.contact_name.clone());
    active.contact_email = Set(account
        .contact_email
        .as_ref()
        .map(|e| e.as_str().to_string()));
    active.contact_phone = Set(account
        .contact_phone
        .as_ref()
        .map(|p| p.as_str().to_string()));
    let delivery = account.delivery.as_ref();
    active.delivery_street = Set(delivery.map(|d| d.street.clone()));
    active.delivery_street2 = Set(delivery.and_then(|d| d.street2.clone()));
    active.delivery_postcode = Set(delivery.map(|d| d.postcode.clone()));
    active.delivery_city = Set(delivery.map(|d| d.city.clone()));
    active.delivery_country = Set(delivery.map(|d| d.country.code().to_string()));
    active.notes = Set(account.notes.clone());
}

/// Where the idempotency keys of client creation are recorded.
const CREATE_SCOPE: &str = "client.create";

/// A created client, or the one an earlier request with the same idempotency key created.
pub struct Created {
    pub client: clients::Model,
    pub replayed: bool,
}

/// # Errors
/// `Invalid` (customer number already used).
pub async fn create(
    ctx: &AppContext,
    company_id: i64,
    account: &ClientAccount,
    idempotency_key: Option<&str>,
) -> Result<Created, ServiceError> {
    if let Some(key) = idempotency_key {
        if let Some(pid) = idempotency::earlier(&ctx.db, company_id, CREATE_SCOPE, key).await? {
            let client = find(&ctx.db, company_id, &pid.to_string()).await?;
            return Ok(Created {
                client,
                replayed: true,
            });
        }
    }
    let attempt = async {
        let txn = ctx.db.begin().await?;
        check_customer_number(&txn, company_id, account, None).await?;
        let now = crate::clock::of(ctx).now();
        let mut active = clients::ActiveModel {
            pid: Set(uuid::Uuid::new_v4()),
            company_id: Set(company_id),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        apply(&mut active, account);
        let client = active.insert(&txn).await.map_err(unique_violation)?;
        if let Some(key) = idempotency_key {
            idempotency::record(&txn, company_id, CREATE_SCOPE, key, client.pid, now)
                .await
                .map_err(ServiceError::Db)?;
        }
        txn.commit().await?;
        Ok::<_, ServiceError>(client)
    };
    match attempt.await {
        Ok(client) => Ok(Created {
            client,
            replayed: false,
        }),
        // A concurrent twin with the same key won the race: answer with its client.
        Err(error) => match idempotency_key {
            Some(key) => {
                match idempotency::earlier(&ctx.db, company_id, CREATE_SCOPE, key).await? {
                    Some(pid) => Ok(Created {
                        client: find(&ctx.db, company_id, &pid.to_string()).await?,
                        replayed: true,
                    }),
                    None => Err(error),
                }
            }
            None => Err(error),
        },
    }
}

/// Replaces every field of a client. Issued documents keep the copy made at issue.
///
/// # Errors
/// `NotFound`, `Invalid` (customer number already used).
pub async fn update(
    ctx: &AppContext,
    company_id: i64,
    pid: &str,
    account: &ClientAccount,
) -> Result<clients::Model, ServiceError> {
    let txn = ctx.db.begin().await?;
    let client = find(&txn, company_id, pid).await?;
    check_customer_number(&txn, company_id, account, Some(client.id)).await?;
    let mut active = client.into_active_model();
    apply(&mut active, account);
    active.updated_at = Set(crate::clock::of(ctx).now());
    let client = active.update(&txn).await.map_err(unique_violation)?;
    txn.commit().await?;
    Ok(client)
}

/// Deactivated clients disappear from pickers; their history stays.
///
/// # Errors
/// `NotFound`.
pub async fn set_active(
    ctx: &AppContext,
    company_id: i64,
    pid: &str,
    active: bool,
) -> Result<clients::Model, ServiceError> {
    let client = find(&ctx.db, company_id, pid).await?;
    if client.active == active {
        return Ok(client);
    }
    let mut model = client.into_active_model();
    model.active = Set(active);
    model.updated_at = Set(crate::clock::of(ctx).now());
    Ok(model.update(&ctx.db).await?)
}

/// Deletes a client that has no document (drafts included), which frees its customer
/// number; a client with documents can only be deactivated (DOMAIN.md "Client accounts").
/// The database refuses it too (the documents' foreign key is RESTRICT).
///
/// # Errors
/// `NotFound`, `Refused("client-has-documents")`.
pub async fn delete(
    ctx: &AppContext,
    company_id: i64,
    pid: &str,
) -> Result<clients::Model, ServiceError> {
    let client = find(&ctx.db, company_id, pid).await?;
    if super::invoices::count_for_client(&ctx.db, client.id).await? > 0 {
        return Err(ServiceError::Refused("client-has-documents"));
    }
    clients::Entity::delete_by_id(client.id)
        .exec(&ctx.db)
        .await
        .map_err(|e| match e.sql_err() {
            Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_)) => {
                ServiceError::Refused("client-has-documents")
            }
            _ => ServiceError::Db(e),
        })?;
    Ok(client)
}

/// What the directory shows.
#[derive(Debug, Clone, Default)]
pub struct ClientQuery {
    pub search: Option<ClientSearch>,
    pub status: StatusFilter,
    pub sort: ClientSort,
    pub paging: Option<Paging>,
}

fn like(column: clients::Column, pattern: String) -> Expr {
    Expr::col((clients::Entity, column)).like(LikeExpr::new(pattern).escape('\\'))
}

/// One page of the directory and the number of clients matching in all.
///
/// # Errors
/// Database errors.
pub async fn search(
    ctx: &AppContext,
    company_id: i64,
    query: &ClientQuery,
) -> Result<(Vec<clients::Model>, u64), ServiceError> {
    let mut select = clients::Entity::find().filter(clients::Column::CompanyId.eq(company_id));
    select = match query.status {
        StatusFilter::Active => select.filter(clients::Column::Active.eq(true)),
        StatusFilter::Inactive => select.filter(clients::Column::Active.eq(false)),
        StatusFilter::All => select,
    };
    if let Some(search) = &query.search {
        // Name: partial, case- and accent-insensitive (folded column). Identifiers: the
        // compact form typed is a prefix of the SIRET, VAT or customer number; a complete
        // SIREN (or a SIRET's) finds every establishment of the company.
        let mut any =
            Condition::any().add(like(clients::Column::SearchName, search.name_pattern()));
        if !search.identifier.is_empty() {
            let prefix = search.identifier_prefix();
            any = any
                .add(like(clients::Column::Siret, prefix.clone()))
                .add(like(clients::Column::VatNumber, prefix));
        }
        any = any.add(like(
            clients::Column::CustomerNumber,
            search.customer_number_prefix(),
        ));
        if let Some(siren) = &search.siren {
            any = any.add(clients::Column::Siren.eq(siren.as_str()));
        }
        select = select.filter(any);
    }
    select = match query.sort {
        ClientSort::NameAsc => select.order_by_asc(clients::Column::SearchName),
        ClientSort::NameDesc => select.order_by_desc(clients::Column::SearchName),
        ClientSort::CustomerNumberAsc => select.order_by_asc(clients::Column::CustomerNumber),
        ClientSort::CustomerNumberDesc => select.order_by_desc(clients::Column::CustomerNumber),
        ClientSort::CreatedAsc => select.order_by_asc(clients::Column::CreatedAt),
        ClientSort::CreatedDesc => select.order_by_desc(clients::Column::CreatedAt),
    }
    .order_by_asc(clients::Column::Id);
    let total = select.clone().count(&ctx.db).await?;
    if let Some(paging) = query.paging {
        select = select.offset(paging.offset()).limit(paging.per_page);
    }
    Ok((select.all(&ctx.db).await?, total))
}
