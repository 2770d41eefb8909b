//! Seller accounts: sign-up, activation, login with throttling, logout, password reset.

use chrono::Duration;
use loco_rs::{app::AppContext, hash};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, Set,
    TransactionTrait,
};
use serde_json::json;

use super::{public_link, ServiceError};
use crate::{
    domain::{
        account::{link_is_fresh, ACTIVATION_VALID_HOURS, RESET_VALID_MINUTES, SESSION_VALID_DAYS},
        email::Email,
        error::FieldErrors,
        locale::Locale,
        login_throttle,
        password::check_new_password,
        roles::Role,
    },
    jobs,
    mail::{self, OutgoingMail},
    models::_entities::{companies, login_attempts, sessions, users},
    security,
};

pub struct SignUp {
    pub company_name: String,
    pub name: String,
    pub email: String,
    pub password: String,
    pub password_confirmation: String,
    pub locale: Locale,
}

fn required(
    errors: &mut FieldErrors,
    field: &'static str,
    value: &str,
    max: usize,
) -> Option<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        errors.push(field, "required");
        None
    } else if trimmed.chars().count() > max {
        errors.push(field, "too-long");
        None
    } else {
        Some(trimmed.to_string())
    }
}

/// Whether an account (of any company, or staff) already uses this address.
pub(crate) async fn email_taken<C: sea_orm::ConnectionTrait>(
    db: &C,
    email: &Email,
) -> Result<bool, ServiceError> {
    Ok(users::Entity::find()
        .filter(users::Column::Email.eq(email.as_str()))
        .count(db)
        .await?
        > 0)
}

/// Creates the company, its first admin (not yet active) and the activation e-mail, together.
///
/// # Errors
/// `Invalid` with the field errors; nothing is written then.
pub async fn sign_up(ctx: &AppContext, input: SignUp) -> Result<users::Model, ServiceError> {
    let mut errors = FieldErrors::default();
    let company_name = required(&mut errors, "company_name", &input.company_name, 200);
    let name = required(&mut errors, "name", &input.name, 200);
    let email = errors.take("email", Email::parse(&input.email));
    errors.take(
        "password",
        check_new_password(&input.password, &input.password_confirmation),
    );
    if let Some(email) = &email {
        if email_taken(&ctx.db, email).await? {
            errors.push("email", "email-taken");
        }
    }
    let (Some(company_name), Some(name), Some(email), true) =
        (company_name, name, email, errors.is_empty())
    else {
        return Err(ServiceError::Invalid(errors));
    };

    let now = crate::clock::of(ctx).now();
    let token = security::random_token();
    let password_hash =
        hash::hash_password(&input.password).map_err(|e| ServiceError::Other(e.to_string()))?;

    let txn = ctx.db.begin().await?;
    let company = companies::ActiveModel {
        pid: Set(uuid::Uuid::new_v4()),
        legal_name: Set(company_name),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let user = users::ActiveModel {
        pid: Set(uuid::Uuid::new_v4()),
        email: Set(email.as_str().to_string()),
        name: Set(name.clone()),
        password_hash: Set(Some(password_hash)),
        role: Set(Role::Admin.as_str().to_string()),
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
            template: "account_activation",
            locale: input.locale,
            to_address: user.email.clone(),
            to_name: Some(name.clone()),
            company_id: Some(company.id),
            context: json!({
                "name": name,
                "company": company.legal_name,
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

/// Two sign-ups racing with the same address: the unique index decides, the loser gets the
/// same field error as if it had been checked first.
pub(crate) fn unique_email_error(error: sea_orm::DbErr) -> ServiceError {
    if matches!(
        error.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    ) {
        let mut errors = FieldErrors::default();
        errors.push("email", "email-taken");
        ServiceError::Invalid(errors)
    } else {
        ServiceError::Db(error)
    }
}

/// The account a live activation link belongs to.
///
/// # Errors
/// `NotFound` when the link is unknown, used or expired.
pub async fn find_by_activation_token(
    ctx: &AppContext,
    token: &str,
) -> Result<users::Model, ServiceError> {
    let user = users::Entity::find()
        .filter(users::Column::ActivationTokenHash.eq(security::hash_token(token)))
        .one(&ctx.db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let now = crate::clock::of(ctx).now();
    if link_is_fresh(
        user.activation_sent_at,
        now,
        Duration::hours(ACTIVATION_VALID_HOURS),
    ) {
        Ok(user)
    } else {
        Err(ServiceError::NotFound)
    }
}

/// Activates the account behind `token`. An invited user has no password yet and must
/// choose one here; a signed-up user already chose it.
///
/// # Errors
/// `NotFound` for a dead link, `Invalid` for a refused password.
pub async fn activate(
    ctx: &AppContext,
    token: &str,
    new_password: Option<(&str, &str)>,
) -> Result<users::Model, ServiceError> {
    let user = find_by_activation_token(ctx, token).await?;
    let password_hash = match (user.password_hash.is_some(), new_password) {
        (true, _) => None,
        (false, Some((password, confirmation))) => {
            let mut errors = FieldErrors::default();
            errors.take("password", check_new_password(password, confirmation));
            if !errors.is_empty() {
                return Err(ServiceError::Invalid(errors));
            }
            Some(hash::hash_password(password).map_err(|e| ServiceError::Other(e.to_string()))?)
        }
        (false, None) => {
            let mut errors = FieldErrors::default();
            errors.push("password", "required");
            return Err(ServiceError::Invalid(errors));
        }
    };
    let now = crate::clock::of(ctx).now();
    let mut active = user.into_active_model();
    if let Some(hash) = password_hash {
        active.password_hash = Set(Some(hash));
    }
    active.activation_token_hash = Set(None);
    active.activated_at = Set(Some(now));
    active.updated_at = Set(now);
    Ok(active.update(&ctx.db).await?)
}

pub enum LoginOutcome {
    /// The session token to put in the cookie.
    LoggedIn {
        session_token: String,
        user: Box<users::Model>,
    },
    WrongCredentials,
    NotActivated,
    Throttled,
}

/// Checks the password unless too many attempts failed recently for this address or
/// client, and opens a session.
///
/// # Errors
/// Database errors only; refusals are outcomes.
pub async fn log_in(
    ctx: &AppContext,
    email: &str,
    password: &str,
    client_ip: &str,
) -> Result<LoginOutcome, ServiceError> {
    let now = crate::clock::of(ctx).now();
    let email_key = Email::parse(email)
        .map_or_else(|_| email.trim().to_lowercase(), |e| e.as_str().to_string());
    let since = now - Duration::minutes(login_throttle::WINDOW_MINUTES);
    let failures_for = |column: login_attempts::Column, value: String| {
        login_attempts::Entity::find()
            .filter(column.eq(value))
            .filter(login_attempts::Column::Succeeded.eq(false))
            .filter(login_attempts::Column::CreatedAt.gt(since))
            .count(&ctx.db)
    };
    let by_email = failures_for(login_attempts::Column::Email, email_key.clone()).await?;
    let by_ip = failures_for(login_attempts::Column::Ip, client_ip.to_string()).await?;
    if !login_throttle::attempt_allowed(by_email, by_ip) {
        return Ok(LoginOutcome::Throttled);
    }

    let user = users::Entity::find()
        .filter(users::Column::Email.eq(&email_key))
        .one(&ctx.db)
        .await?;
    let verified = user
        .as_ref()
        .and_then(|u| u.password_hash.as_deref())
        .is_some_and(|h| hash::verify_password(password, h));
    login_attempts::ActiveModel {
        email: Set(email_key),
        ip: Set(client_ip.to_string()),
        succeeded: Set(verified),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await?;
    let Some(user) = user.filter(|_| verified) else {
        return Ok(LoginOutcome::WrongCredentials);
    };
    if user.activated_at.is_none() {
        return Ok(LoginOutcome::NotActivated);
    }
    let session_token = security::random_token();
    sessions::ActiveModel {
        token_hash: Set(security::hash_token(&session_token)),
        user_id: Set(user.id),
        expires_at: Set(now + Duration::days(SESSION_VALID_DAYS)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await?;
    Ok(LoginOutcome::LoggedIn {
        session_token,
        user: Box::new(user),
    })
}

/// Ends the session (the token stops working even if the cookie was copied).
///
/// # Errors
/// Database errors.
pub async fn log_out(ctx: &AppContext, session_token: &str) -> Result<(), ServiceError> {
    sessions::Entity::delete_many()
        .filter(sessions::Column::TokenHash.eq(security::hash_token(session_token)))
        .exec(&ctx.db)
        .await?;
    Ok(())
}

/// Sends a reset link if the address belongs to an active account. The caller answers the
/// same in every case so that the form does not reveal who has an account.
///
/// # Errors
/// `Invalid` for a malformed address.
pub async fn request_password_reset(ctx: &AppContext, email: &str) -> Result<(), ServiceError> {
    let mut errors = FieldErrors::default();
    let Some(email) = errors.take("email", Email::parse(email)) else {
        return Err(ServiceError::Invalid(errors));
    };
    let Some(user) = users::Entity::find()
        .filter(users::Column::Email.eq(email.as_str()))
        .one(&ctx.db)
        .await?
        .filter(|u| u.activated_at.is_some())
    else {
        return Ok(());
    };
    let now = crate::clock::of(ctx).now();
    let token = security::random_token();
    let locale = Locale::from_tag(&user.locale).unwrap_or_default();
    let txn = ctx.db.begin().await?;
    let mut active = user.clone().into_active_model();
    active.reset_token_hash = Set(Some(security::hash_token(&token)));
    active.reset_sent_at = Set(Some(now));
    active.updated_at = Set(now);
    active.update(&txn).await?;
    let message = mail::write_to_outbox(
        &txn,
        now,
        OutgoingMail {
            template: "password_reset",
            locale,
            to_address: user.email.clone(),
            to_name: Some(user.name.clone()),
            company_id: user.company_id,
            context: json!({
                "name": user.name,
                "link": public_link(ctx, &format!("/password/reset/{token}")),
                "valid_minutes": RESET_VALID_MINUTES,
            }),
            attachments: vec![],
        },
    )
    .await?;
    txn.commit().await?;
    jobs::enqueue_mail(ctx, message.id).await;
    Ok(())
}

/// # Errors
/// `NotFound` when the link is unknown, used or expired.
pub async fn find_by_reset_token(
    ctx: &AppContext,
    token: &str,
) -> Result<users::Model, ServiceError> {
    let user = users::Entity::find()
        .filter(users::Column::ResetTokenHash.eq(security::hash_token(token)))
        .one(&ctx.db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let now = crate::clock::of(ctx).now();
    if link_is_fresh(
        user.reset_sent_at,
        now,
        Duration::minutes(RESET_VALID_MINUTES),
    ) {
        Ok(user)
    } else {
        Err(ServiceError::NotFound)
    }
}

/// Sets the new password, burns the link and closes every open session of the account.
///
/// # Errors
/// `NotFound` for a dead link, `Invalid` for a refused password.
pub async fn reset_password(
    ctx: &AppContext,
    token: &str,
    password: &str,
    confirmation: &str,
) -> Result<users::Model, ServiceError> {
    let user = find_by_reset_token(ctx, token).await?;
    let mut errors = FieldErrors::default();
    errors.take("password", check_new_password(password, confirmation));
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let password_hash =
        hash::hash_password(password).map_err(|e| ServiceError::Other(e.to_string()))?;
    let now = crate::clock::of(ctx).now();
    let txn = ctx.db.begin().await?;
    sessions::Entity::delete_many()
        .filter(sessions::Column::UserId.eq(user.id))
        .exec(&txn)
        .await?;
    let mut active = user.into_active_model();
    active.password_hash = Set(Some(password_hash));
    active.reset_token_hash = Set(None);
    active.reset_sent_at = Set(None);
    active.updated_at = Set(now);
    let user = active.update(&txn).await?;
    txn.commit().await?;
    Ok(user)
}

/// Remembers the interface language chosen by a logged-in user (used for their e-mails).
///
/// # Errors
/// Database errors.
pub async fn set_locale(
    ctx: &AppContext,
    user: users::Model,
    locale: Locale,
) -> Result<(), ServiceError> {
    let mut active = user.into_active_model();
    active.locale = Set(locale.tag().to_string());
    active.update(&ctx.db).await?;
    Ok(())
}
