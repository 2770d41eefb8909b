//! Who is asking: the session cookie resolved to a user, and extractors that enforce the
//! role a page needs on the server.

use axum::{extract::FromRequestParts, http::request::Parts};
use axum_extra::extract::cookie::CookieJar;
use loco_rs::app::AppContext;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{error::WebError, SESSION_COOKIE};
use crate::{
    domain::roles::Role,
    models::_entities::{companies, sessions, users},
    security,
};

#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: users::Model,
    pub company: Option<companies::Model>,
    pub role: Role,
}

impl CurrentUser {
    /// The company every seller query is scoped to.
    ///
    /// # Errors
    /// `Forbidden` for staff, who have none.
    pub fn company_id(&self) -> Result<i64, WebError> {
        self.company
            .as_ref()
            .map(|c| c.id)
            .ok_or(WebError::Forbidden)
    }
}

/// Cached per request so that several extractors do one lookup.
#[derive(Clone)]
struct Resolved(Option<CurrentUser>);

async fn resolve(parts: &mut Parts, ctx: &AppContext) -> Result<Option<CurrentUser>, WebError> {
    if let Some(Resolved(found)) = parts.extensions.get::<Resolved>() {
        return Ok(found.clone());
    }
    let jar = CookieJar::from_headers(&parts.headers);
    let found = match jar.get(SESSION_COOKIE) {
        Some(cookie) => {
            let now = crate::clock::of(ctx).now();
            let session = sessions::Entity::find()
                .filter(sessions::Column::TokenHash.eq(security::hash_token(cookie.value())))
                .filter(sessions::Column::ExpiresAt.gt(now))
                .one(&ctx.db)
                .await?;
            match session {
                Some(session) => load_user(ctx, session.user_id).await?,
                None => None,
            }
        }
        None => None,
    };
    parts.extensions.insert(Resolved(found.clone()));
    Ok(found)
}

async fn load_user(ctx: &AppContext, user_id: i64) -> Result<Option<CurrentUser>, WebError> {
    let Some(user) = users::Entity::find_by_id(user_id).one(&ctx.db).await? else {
        return Ok(None);
    };
    if user.activated_at.is_none() {
        return Ok(None);
    }
    let Ok(role) = Role::parse(&user.role) else {
        return Ok(None);
    };
    let company = match user.company_id {
        Some(id) => companies::Entity::find_by_id(id).one(&ctx.db).await?,
        None => None,
    };
    Ok(Some(CurrentUser {
        user,
        company,
        role,
    }))
}

fn login_required(parts: &Parts) -> WebError {
    let next = parts
        .uri
        .path_and_query()
        .map_or_else(|| "/".to_string(), |pq| pq.as_str().to_string());
    WebError::LoginRequired { next }
}

/// The logged-in user if `allowed` accepts them: not logged in goes to the login page,
/// logged in without the right role is refused.
async fn require(
    parts: &mut Parts,
    ctx: &AppContext,
    allowed: impl FnOnce(&CurrentUser) -> bool,
) -> Result<CurrentUser, WebError> {
    let user = resolve(parts, ctx)
        .await?
        .ok_or_else(|| login_required(parts))?;
    if allowed(&user) {
        Ok(user)
    } else {
        Err(WebError::Forbidden)
    }
}

/// Anybody; `None` when not logged in.
pub struct MaybeUser(pub Option<CurrentUser>);

impl FromRequestParts<AppContext> for MaybeUser {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &AppContext,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(resolve(parts, ctx).await?))
    }
}

/// A user of a seller company (admin or member).
pub struct SellerUser(pub CurrentUser);

impl FromRequestParts<AppContext> for SellerUser {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &AppContext,
    ) -> Result<Self, Self::Rejection> {
        require(parts, ctx, |u| u.role.is_seller() && u.company.is_some())
            .await
            .map(Self)
    }
}

/// An admin of a seller company.
pub struct AdminUser(pub CurrentUser);

impl FromRequestParts<AppContext> for AdminUser {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &AppContext,
    ) -> Result<Self, Self::Rejection> {
        let SellerUser(user) = SellerUser::from_request_parts(parts, ctx).await?;
        if user.role.can_administer_company() {
            Ok(Self(user))
        } else {
            Err(WebError::Forbidden)
        }
    }
}

/// A platform operator.
pub struct StaffUser(pub CurrentUser);

impl FromRequestParts<AppContext> for StaffUser {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &AppContext,
    ) -> Result<Self, Self::Rejection> {
        require(parts, ctx, |u| u.role == Role::Staff)
            .await
            .map(Self)
    }
}
