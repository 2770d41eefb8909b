//! The dedicated payment page of a client account: its secret link (one live link per
//! client; the seller can revoke it or make a new one), and resolving a token to the page
//! it opens. Only the token's SHA-256 and the nonce it is derived from are stored
//! (`security::payment_link_token`).

use chrono::{DateTime, FixedOffset};
use loco_rs::app::AppContext;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};

use crate::{
    models::_entities::{clients, companies, payment_links},
    security,
    services::ServiceError,
    settings::Settings,
};

/// A live link with its token (recomputed from the nonce, never stored).
#[derive(Debug, Clone)]
pub struct Link {
    pub row: payment_links::Model,
    pub token: String,
}

impl Link {
    /// Path of the page, with an invoice pre-selected when given.
    #[must_use]
    pub fn path(&self, invoice_pid: Option<&uuid::Uuid>) -> String {
        match invoice_pid {
            Some(pid) => format!("/pay/{}?invoice={pid}", self.token),
            None => format!("/pay/{}", self.token),
        }
    }
}

fn nonce() -> String {
    security::random_token()
}

/// The client's live link, if any.
///
/// # Errors
/// Database errors.
pub async fn live<C: ConnectionTrait>(
    db: &C,
    secret_key: &str,
    client_id: i64,
) -> Result<Option<Link>, ServiceError> {
    Ok(payment_links::Entity::find()
        .filter(payment_links::Column::ClientId.eq(client_id))
        .filter(payment_links::Column::RevokedAt.is_null())
        .one(db)
        .await?
        .map(|row| Link {
            token: security::payment_link_token(secret_key, &row.nonce),
            row,
        }))
}

async fn create<C: ConnectionTrait>(
    db: &C,
    secret_key: &str,
    company_id: i64,
    client_id: i64,
    user_id: Option<i64>,
    now: DateTime<FixedOffset>,
) -> Result<Link, ServiceError> {
    let nonce = nonce();
    let token = security::payment_link_token(secret_key, &nonce);
    let row = payment_links::ActiveModel {
        created_at: Set(now),
        company_id: Set(company_id),
        client_id: Set(client_id),
        nonce: Set(nonce),
        token_hash: Set(security::hash_token(&token)),
        created_by: Set(user_id),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(Link { row, token })
}

/// The client's live link, made on first use (issuing an invoice, the API, the client
/// page). Inside the caller's transaction; the partial unique index keeps one live link
/// per client.
///
/// # Errors
/// Database errors.
pub async fn ensure<C: ConnectionTrait>(
    db: &C,
    secret_key: &str,
    company_id: i64,
    client_id: i64,
    user_id: Option<i64>,
    now: DateTime<FixedOffset>,
) -> Result<Link, ServiceError> {
    if let Some(link) = live(db, secret_key, client_id).await? {
        return Ok(link);
    }
    create(db, secret_key, company_id, client_id, user_id, now).await
}

/// [`ensure`] in a transaction of its own, for a client of this company.
///
/// # Errors
/// `NotFound` for another company's client.
pub async fn ensure_for(
    ctx: &AppContext,
    company_id: i64,
    client: &clients::Model,
    user_id: Option<i64>,
) -> Result<Link, ServiceError> {
    if client.company_id != company_id {
        return Err(ServiceError::NotFound);
    }
    let secret = Settings::of(ctx).secret_key;
    if let Some(link) = live(&ctx.db, &secret, client.id).await? {
        return Ok(link);
    }
    let now = crate::clock::of(ctx).now();
    let txn = ctx.db.begin().await?;
    let link = ensure(&txn, &secret, company_id, client.id, user_id, now).await;
    match link {
        Ok(link) => {
            txn.commit().await?;
            Ok(link)
        }
        // Made at the same moment by another request: take that one.
        Err(_) => {
            txn.rollback().await?;
            live(&ctx.db, &secret, client.id)
                .await?
                .ok_or_else(|| ServiceError::Other("payment link could not be made".into()))
        }
    }
}

/// Revokes the client's live link: its URL answers 404 from now on.
///
/// # Errors
/// Database errors.
pub async fn revoke(
    ctx: &AppContext,
    client: &clients::Model,
    user_id: Option<i64>,
) -> Result<bool, ServiceError> {
    let now = crate::clock::of(ctx).now();
    let result = payment_links::Entity::update_many()
        .col_expr(payment_links::Column::RevokedAt, Expr::value(now))
        .col_expr(payment_links::Column::RevokedBy, Expr::value(user_id))
        .filter(payment_links::Column::ClientId.eq(client.id))
        .filter(payment_links::Column::RevokedAt.is_null())
        .exec(&ctx.db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Revokes the live link and makes a new one, in one transaction.
///
/// # Errors
/// Database errors.
pub async fn regenerate(
    ctx: &AppContext,
    client: &clients::Model,
    user_id: Option<i64>,
) -> Result<Link, ServiceError> {
    let now = crate::clock::of(ctx).now();
    let secret = Settings::of(ctx).secret_key;
    let txn = ctx.db.begin().await?;
    payment_links::Entity::update_many()
        .col_expr(payment_links::Column::RevokedAt, Expr::value(now))
        .col_expr(payment_links::Column::RevokedBy, Expr::value(user_id))
        .filter(payment_links::Column::ClientId.eq(client.id))
        .filter(payment_links::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    let link = create(&txn, &secret, client.company_id, client.id, user_id, now).await?;
    txn.commit().await?;
    Ok(link)
}

/// What a live token opens: the link, its client and the seller. `None` for an unknown or
/// revoked token, or a deactivated client.
///
/// # Errors
/// Database errors.
pub async fn resolve<C: ConnectionTrait>(
    db: &C,
    token: &str,
) -> Result<Option<(payment_links::Model, clients::Model, companies::Model)>, ServiceError> {
    if !well_formed(token) {
        return Ok(None);
    }
    let Some(link) = payment_links::Entity::find()
        .filter(payment_links::Column::TokenHash.eq(security::hash_token(token)))
        .filter(payment_links::Column::RevokedAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let Some(client) = clients::Entity::find_by_id(link.client_id)
        .filter(clients::Column::CompanyId.eq(link.company_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let Some(company) = companies::Entity::find_by_id(link.company_id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some((link, client, company)))
}

/// What writing payment links in e-mails needs: the key tokens are derived with and the
/// public address of the app.
#[derive(Debug, Clone)]
pub struct UrlMaker {
    pub secret_key: String,
    pub public_url: String,
}

impl UrlMaker {
    #[must_use]
    pub fn of(ctx: &AppContext) -> Self {
        let settings = Settings::of(ctx);
        Self {
            secret_key: settings.secret_key,
            public_url: settings.public_url.trim_end_matches('/').to_string(),
        }
    }

    /// The full URL of a client's page with an invoice pre-selected.
    #[must_use]
    pub fn url(&self, link: &Link, invoice_pid: Option<&uuid::Uuid>) -> String {
        format!("{}{}", self.public_url, link.path(invoice_pid))
    }
}

/// The URL an invoice e-mail carries: the client's page (made if needed, inside the
/// issuing transaction) with that invoice pre-selected.
///
/// # Errors
/// Database errors.
pub async fn invoice_url<C: ConnectionTrait>(
    db: &C,
    urls: &UrlMaker,
    invoice: &crate::models::_entities::invoices::Model,
    user_id: Option<i64>,
    now: DateTime<FixedOffset>,
) -> Result<String, ServiceError> {
    let link = ensure(
        db,
        &urls.secret_key,
        invoice.company_id,
        invoice.client_id,
        user_id,
        now,
    )
    .await?;
    Ok(urls.url(&link, Some(&invoice.pid)))
}

/// The live links of many clients of one company, made where missing (a billing run
/// writes thousands of invoice e-mails in one transaction: two queries, not two per mail).
///
/// # Errors
/// Database errors.
pub async fn ensure_many<C: ConnectionTrait>(
    db: &C,
    secret_key: &str,
    company_id: i64,
    client_ids: &[i64],
    now: DateTime<FixedOffset>,
) -> Result<std::collections::HashMap<i64, Link>, ServiceError> {
    let mut unique: Vec<i64> = client_ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let mut links: std::collections::HashMap<i64, Link> = std::collections::HashMap::new();
    for chunk in unique.chunks(500) {
        for row in payment_links::Entity::find()
            .filter(payment_links::Column::ClientId.is_in(chunk.iter().copied()))
            .filter(payment_links::Column::RevokedAt.is_null())
            .all(db)
            .await?
        {
            links.insert(
                row.client_id,
                Link {
                    token: security::payment_link_token(secret_key, &row.nonce),
                    row,
                },
            );
        }
    }
    let missing: Vec<i64> = unique
        .into_iter()
        .filter(|id| !links.contains_key(id))
        .collect();
    for client_id in missing {
        let link = create(db, secret_key, company_id, client_id, None, now).await?;
        links.insert(client_id, link);
    }
    Ok(links)
}

/// What the payment page shows about its seller and client, read with the link in one
/// query (the page is the app's most requested one; see BENCHMARKS.md).
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct PageHead {
    pub client_id: i64,
    pub company_id: i64,
    pub client_name: String,
    pub company_name: String,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub bank_iban: Option<String>,
    pub bank_bic: Option<String>,
    pub bank_holder: Option<String>,
    pub logo_id: Option<i64>,
    pub credit_cents: i64,
}

/// The page a live token opens, or `None` (unknown or revoked token).
///
/// # Errors
/// Database errors.
pub async fn open_page<C: ConnectionTrait>(
    db: &C,
    token: &str,
) -> Result<Option<PageHead>, ServiceError> {
    use sea_orm::{
        sea_query::{Expr, ExprTrait, JoinType, Query},
        QuerySelect,
    };

    use crate::models::_entities::{company_logos, ledger_entries};
    if !well_formed(token) {
        return Ok(None);
    }
    let credit = Query::select()
        .expr(Expr::col((ledger_entries::Entity, ledger_entries::Column::AmountCents)).sum())
        .from(ledger_entries::Entity)
        .and_where(
            Expr::col((ledger_entries::Entity, ledger_entries::Column::ClientId))
                .equals((payment_links::Entity, payment_links::Column::ClientId)),
        )
        .and_where(Expr::col((ledger_entries::Entity, ledger_entries::Column::InvoiceId)).is_null())
        .to_owned();
    let credit = crate::services::payments::summed(credit);
    let to_client = payment_links::Entity::belongs_to(clients::Entity)
        .from(payment_links::Column::ClientId)
        .to(clients::Column::Id)
        .into();
    let to_company = payment_links::Entity::belongs_to(companies::Entity)
        .from(payment_links::Column::CompanyId)
        .to(companies::Column::Id)
        .into();
    let to_logo = companies::Entity::belongs_to(company_logos::Entity)
        .from(companies::Column::Id)
        .to(company_logos::Column::CompanyId)
        .into();
    Ok(payment_links::Entity::find()
        .select_only()
        .column_as(payment_links::Column::ClientId, "client_id")
        .column_as(payment_links::Column::CompanyId, "company_id")
        .expr_as(
            Expr::col((clients::Entity, clients::Column::LegalName)),
            "client_name",
        )
        .expr_as(
            Expr::col((companies::Entity, companies::Column::LegalName)),
            "company_name",
        )
        .expr_as(
            Expr::col((companies::Entity, companies::Column::ContactEmail)),
            "contact_email",
        )
        .expr_as(
            Expr::col((companies::Entity, companies::Column::ContactPhone)),
            "contact_phone",
        )
        .expr_as(
            Expr::col((companies::Entity, companies::Column::BankIban)),
            "bank_iban",
        )
        .expr_as(
            Expr::col((companies::Entity, companies::Column::BankBic)),
            "bank_bic",
        )
        .expr_as(
            Expr::col((companies::Entity, companies::Column::BankHolder)),
            "bank_holder",
        )
        .expr_as(
            Expr::col((company_logos::Entity, company_logos::Column::Id)),
            "logo_id",
        )
        .expr_as(credit, "credit_cents")
        .join(JoinType::InnerJoin, to_client)
        .join(JoinType::InnerJoin, to_company)
        .join(JoinType::LeftJoin, to_logo)
        .filter(payment_links::Column::TokenHash.eq(security::hash_token(token)))
        .filter(payment_links::Column::RevokedAt.is_null())
        .filter(
            Expr::col((clients::Entity, clients::Column::CompanyId))
                .equals((payment_links::Entity, payment_links::Column::CompanyId)),
        )
        .into_model::<PageHead>()
        .one(db)
        .await?)
}

/// A token is 43 URL-safe characters: anything else is a miss without a query.
#[must_use]
pub fn well_formed(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
