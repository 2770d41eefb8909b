//! Company users (from the Pagero guides): invitation by e-mail, role changes, removal,
//! with the last active admin protected. Every lookup is scoped to the actor's company.

use loco_rs::{app::AppContext, hash};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use serde_json::json;

use super::{
    accounts::{email_taken, unique_email_error},
    public_link, ServiceError,
};
use crate::{
    domain::{
        email::Email,
        error::FieldErrors,
        locale::Locale,
        password::check_new_password,
        roles::{check_removal, check_role_change, Role},
    },
    jobs,
    mail::{self, OutgoingMail},
    models::_entities::{companies, sessions, users},
    security,
};

/// The company's users, oldest first.
///
/// # Errors
/// Database errors.
pub async fn list(ctx: &AppContext, company_id: i64) -> Result<Vec<users::Model>, ServiceError> {
    Ok(users::Entity::find()
        .filter(users::Column::CompanyId.eq(company_id))
        .order_by_asc(users::Column::CreatedAt)
        .order_by_asc(users::Column::Id)
        .all(&ctx.db)
        .await?)
}

/// A user of this company by public id; another company's user is simply not found.
///
/// # Errors
/// `NotFound`.
pub async fn find_in_company<C: ConnectionTrait>(
    db: &C,
    company_id: i64,
    pid: &str,
) -> Result<users::Model, ServiceError> {
    let pid = uuid::Uuid::parse_str(pid).map_err(|_| ServiceError::NotFound)?;
    users::Entity::find()
        .filter(users::Column::Pid.eq(pid))
        .filter(users::Column::CompanyId.eq(company_id))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)
}

pub struct Invitation {
    pub name: String,
    pub email: String,
    pub role: String,
    pub locale: Locale,
}

/// Creates the invited user (no password until they activate) and the invitation e-mail.
///
/// # Errors
/// `Invalid` with the field errors.
pub async fn invite(
    ctx: &AppContext,
    company: &companies::Model,
    inviter: &users::Model,
    input: Invitation,
) -> Result<users::Model, ServiceError> {
    let mut errors = FieldErrors::default();
    let name = input.name.trim().to_string();
    if name.is_empty() {
        errors.push("name", "required");
    } else if name.chars().count() > 200 {
        errors.push("name", "too-long");
    }
    let email = errors.take("email", Email::parse(&input.email));
    let role = errors.take("role", Role::parse_company_role(&input.role));
    if let Some(email) = &email {
        if email_taken(&ctx.db, email).await? {
            errors.push("email", "email-taken");
        }
    }
    let (Some(email), Some(role), true) = (email, role, errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };

    let now = crate::clock::of(ctx).now();
    let token = security::random_token();
    let txn = ctx.db.begin().await?;
    let user = users::ActiveModel {
        pid: Set(uuid::Uuid::new_v4()),
        email: Set(email.as_str().to_string()),
        name: Set(name.clone()),
        password_hash: Set(None),
        role: Set(role.as_str().to_string()),
        locale: Set(input.locale.tag().to_string()),
        activation_token_hash: Set(Some(security::hash_token(&token))),
        activation_sent_at: Set(Some(now)),
        company_id: Set(Some(company.id)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(unique_email_error)?;
    let message = mail::write_to_outbox(
        &txn,
        now,
        OutgoingMail {
            template: "user_invitation",
            locale: input.locale,
            to_address: user.email.clone(),
            to_name: Some(name.clone()),
            company_id: Some(company.id),
            context: json!({
                "name": name,
                "inviter": inviter.name,
                "company": company.legal_name,
                "role_key": format!("role-{}", role.as_str()),
                "link": public_link(ctx, &format!("/activate/{token}")),
            }),
            attachments: vec![],
        },
    )
    .await?;
    txn.commit().await?;
    jobs::enqueue_mail(ctx, message.id).await;
    Ok(user)
}

/// Serialises concurrent admin changes of one company on Postgres (two admins demoting
/// each other at once must not leave zero admins). SQLite serialises writers already.
async fn lock_company(txn: &DatabaseTransaction, company_id: i64) -> Result<(), ServiceError> {
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        companies::Entity::find_by_id(company_id)
            .lock_exclusive()
            .one(txn)
            .await?;
    }
    Ok(())
}

async fn active_admins(txn: &DatabaseTransaction, company_id: i64) -> Result<u64, ServiceError> {
    Ok(users::Entity::find()
        .filter(users::Column::CompanyId.eq(company_id))
        .filter(users::Column::Role.eq(Role::Admin.as_str()))
        .filter(users::Column::ActivatedAt.is_not_null())
        .count(txn)
        .await?)
}

/// # Errors
/// `NotFound` (not in this company), `Invalid` (unknown role), `Refused("last-admin")`.
pub async fn change_role(
    ctx: &AppContext,
    company_id: i64,
    target_pid: &str,
    new_role: &str,
) -> Result<users::Model, ServiceError> {
    let mut errors = FieldErrors::default();
    let Some(new_role) = errors.take("role", Role::parse_company_role(new_role)) else {
        return Err(ServiceError::Invalid(errors));
    };
    let txn = ctx.db.begin().await?;
    lock_company(&txn, company_id).await?;
    let target = find_in_company(&txn, company_id, target_pid).await?;
    let current =
        Role::parse(&target.role).map_err(|_| ServiceError::Other("stored role".into()))?;
    let admins = active_admins(&txn, company_id).await?;
    check_role_change(current, target.activated_at.is_some(), new_role, admins)
        .map_err(|r| ServiceError::Refused(r.code()))?;
    let now = crate::clock::of(ctx).now();
    let mut active = target.into_active_model();
    active.role = Set(new_role.as_str().to_string());
    active.updated_at = Set(now);
    let updated = active.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Removes a user of the company and closes their sessions.
///
/// # Errors
/// `NotFound`, `Refused("last-admin" | "self-removal")`.
pub async fn remove(
    ctx: &AppContext,
    company_id: i64,
    actor: &users::Model,
    target_pid: &str,
) -> Result<users::Model, ServiceError> {
    let txn = ctx.db.begin().await?;
    lock_company(&txn, company_id).await?;
    let target = find_in_company(&txn, company_id, target_pid).await?;
    let role = Role::parse(&target.role).map_err(|_| ServiceError::Other("stored role".into()))?;
    let admins = active_admins(&txn, company_id).await?;
    check_removal(
        actor.id,
        target.id,
        role,
        target.activated_at.is_some(),
        admins,
    )
    .map_err(|r| ServiceError::Refused(r.code()))?;
    sessions::Entity::delete_many()
        .filter(sessions::Column::UserId.eq(target.id))
        .exec(&txn)
        .await?;
    users::Entity::delete_by_id(target.id).exec(&txn).await?;
    txn.commit().await?;
    Ok(target)
}

/// Creates an active platform operator (CLI only: staff never sign up).
///
/// # Errors
/// `Invalid` for a missing name, a bad or taken address or a refused password.
pub async fn create_staff(
    ctx: &AppContext,
    name: &str,
    email: &str,
    password: &str,
) -> Result<users::Model, ServiceError> {
    if name.trim().is_empty() {
        let mut errors = FieldErrors::default();
        errors.push("name", "required");
        return Err(ServiceError::Invalid(errors));
    }
    create_active_user(ctx, None, name.trim(), email, Role::Staff, password).await
}

/// Seller companies with their user counts, for the staff area.
///
/// # Errors
/// Database errors.
pub async fn sellers_overview(
    ctx: &AppContext,
) -> Result<Vec<(companies::Model, u64, Vec<String>)>, ServiceError> {
    let companies = companies::Entity::find()
        .order_by_asc(companies::Column::CreatedAt)
        .all(&ctx.db)
        .await?;
    let mut overview = Vec::with_capacity(companies.len());
    for company in companies {
        let users = list(ctx, company.id).await?;
        let admins = users
            .iter()
            .filter(|u| u.role == Role::Admin.as_str())
            .map(|u| u.email.clone())
            .collect();
        overview.push((company, users.len() as u64, admins));
    }
    Ok(overview)
}

/// An active user with a password (seed, staff task and tests); `company` is `None` for staff.
///
/// # Errors
/// As [`invite`] and [`super::accounts::activate`].
pub async fn create_active_user(
    ctx: &AppContext,
    company: Option<&companies::Model>,
    name: &str,
    email: &str,
    role: Role,
    password: &str,
) -> Result<users::Model, ServiceError> {
    let mut errors = FieldErrors::default();
    errors.take("password", check_new_password(password, password));
    let email = errors.take("email", Email::parse(email));
    if let Some(email) = &email {
        if email_taken(&ctx.db, email).await? {
            errors.push("email", "email-taken");
        }
    }
    let (Some(email), true) = (email, errors.is_empty()) else {
        return Err(ServiceError::Invalid(errors));
    };
    let now = crate::clock::of(ctx).now();
    let password_hash =
        hash::hash_password(password).map_err(|e| ServiceError::Other(e.to_string()))?;
    Ok(users::ActiveModel {
        pid: Set(uuid::Uuid::new_v4()),
        email: Set(email.as_str().to_string()),
        name: Set(name.to_string()),
        password_hash: Set(Some(password_hash)),
        role: Set(role.as_str().to_string()),
        locale: Set(Locale::Fr.tag().to_string()),
        activated_at: Set(Some(now)),
        company_id: Set(company.map(|c| c.id)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await?)
}

/// Creates a company (seed and tests).
///
/// # Errors
/// Database errors.
pub async fn create_company(
    ctx: &AppContext,
    legal_name: &str,
) -> Result<companies::Model, ServiceError> {
    let now = crate::clock::of(ctx).now();
    Ok(companies::ActiveModel {
        pid: Set(uuid::Uuid::new_v4()),
        legal_name: Set(legal_name.to_string()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await?)
}
