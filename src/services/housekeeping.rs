//! Daily clean-up, run by the Europe/Paris cron: expired sessions and old login attempts.

use chrono::Duration;
use loco_rs::app::AppContext;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::ServiceError;
use crate::{
    domain::login_throttle::WINDOW_MINUTES,
    models::_entities::{login_attempts, sessions},
};

/// # Errors
/// Database errors.
pub async fn run(ctx: &AppContext) -> Result<(u64, u64), ServiceError> {
    let now = crate::clock::of(ctx).now();
    let expired_sessions = sessions::Entity::delete_many()
        .filter(sessions::Column::ExpiresAt.lt(now))
        .exec(&ctx.db)
        .await?
        .rows_affected;
    // Attempts older than the throttling window no longer count; a day is kept for audits.
    let old_attempts = login_attempts::Entity::delete_many()
        .filter(
            login_attempts::Column::CreatedAt
                .lt(now - Duration::days(1) - Duration::minutes(WINDOW_MINUTES)),
        )
        .exec(&ctx.db)
        .await?
        .rows_affected;
    Ok((expired_sessions, old_attempts))
}
