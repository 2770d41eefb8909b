//! The demo dataset seeded on the first start in development (logins in the README).

use loco_rs::app::AppContext;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::{user_admin, ServiceError};
use crate::{domain::roles::Role, models::_entities::users};

pub const DEMO_COMPANY: &str = "Atelier Démo";
pub const DEMO_ADMIN_EMAIL: &str = "admin@demo.encaisse.fr";
pub const DEMO_MEMBER_EMAIL: &str = "membre@demo.encaisse.fr";
pub const DEMO_STAFF_EMAIL: &str = "staff@demo.encaisse.fr";
pub const DEMO_PASSWORD: &str = "demo-encaisse";

/// Seeds once: does nothing when the demo admin already exists.
///
/// # Errors
/// Database errors.
pub async fn seed_if_empty(ctx: &AppContext) -> Result<bool, ServiceError> {
    let exists = users::Entity::find()
        .filter(users::Column::Email.eq(DEMO_ADMIN_EMAIL))
        .count(&ctx.db)
        .await?
        > 0;
    if exists {
        return Ok(false);
    }
    let company = user_admin::create_company(ctx, DEMO_COMPANY).await?;
    user_admin::create_active_user(
        ctx,
        Some(&company),
        "Camille Admin",
        DEMO_ADMIN_EMAIL,
        Role::Admin,
        DEMO_PASSWORD,
    )
    .await?;
    user_admin::create_active_user(
        ctx,
        Some(&company),
        "Louis Membre",
        DEMO_MEMBER_EMAIL,
        Role::Member,
        DEMO_PASSWORD,
    )
    .await?;
    user_admin::create_staff(ctx, "Sam Staff", DEMO_STAFF_EMAIL, DEMO_PASSWORD).await?;
    Ok(true)
}
