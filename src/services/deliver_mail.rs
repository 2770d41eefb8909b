//! Outbox delivery. A message is claimed atomically before sending, so two workers (or a
//! job delivered twice) never send it twice; failures are retried with backoff.

use chrono::Duration;
use loco_rs::app::AppContext;
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::ServiceError;
use crate::{
    domain::outbox::{after_failure, AfterFailure, Status, STALE_CLAIM_MINUTES},
    jobs,
    mail::MailTransport,
    models::_entities::outbox_messages,
    settings::Settings,
};

#[derive(Debug, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Already sent, being sent by another worker, or not due yet.
    Skipped,
    WillRetry,
    GaveUp,
}

/// The transport of the running app (replaced in tests to point at a local SMTP server).
#[must_use]
pub fn transport(ctx: &AppContext) -> MailTransport {
    ctx.shared_store
        .get::<MailTransport>()
        .unwrap_or(MailTransport::Unconfigured)
}

/// Delivers one outbox message if it is due.
///
/// # Errors
/// Database errors only: delivery failures are recorded on the message.
pub async fn deliver(ctx: &AppContext, message_id: i64) -> Result<Delivery, ServiceError> {
    let now = crate::clock::of(ctx).now();
    let claimed = outbox_messages::Entity::update_many()
        .col_expr(
            outbox_messages::Column::Status,
            Expr::value(Status::Sending.as_str()),
        )
        .col_expr(outbox_messages::Column::ClaimedAt, Expr::value(now))
        .col_expr(
            outbox_messages::Column::Attempts,
            Expr::col(outbox_messages::Column::Attempts).add(1),
        )
        .col_expr(outbox_messages::Column::UpdatedAt, Expr::value(now))
        .filter(outbox_messages::Column::Id.eq(message_id))
        .filter(outbox_messages::Column::Status.eq(Status::Pending.as_str()))
        .filter(outbox_messages::Column::NextAttemptAt.lte(now))
        .exec(&ctx.db)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(Delivery::Skipped);
    }
    let message = outbox_messages::Entity::find_by_id(message_id)
        .one(&ctx.db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let attachments = crate::mail::attachments_of(&ctx.db, message_id).await?;
    let transport = transport(ctx);
    let from = Settings::of(ctx).mail_from;
    let result = match crate::mail::build_message(&from, &message, &attachments) {
        Ok(built) => transport.send(built).await,
        Err(e) => Err(e),
    };
    let now = crate::clock::of(ctx).now();
    let update = outbox_messages::Entity::update_many()
        .filter(outbox_messages::Column::Id.eq(message_id))
        .col_expr(outbox_messages::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            outbox_messages::Column::ClaimedAt,
            Expr::value(Option::<chrono::DateTime<chrono::FixedOffset>>::None),
        );
    match result {
        Ok(()) => {
            update
                .col_expr(
                    outbox_messages::Column::Status,
                    Expr::value(Status::Sent.as_str()),
                )
                .col_expr(outbox_messages::Column::SentAt, Expr::value(now))
                .col_expr(
                    outbox_messages::Column::Transport,
                    Expr::value(transport.name()),
                )
                .col_expr(
                    outbox_messages::Column::LastError,
                    Expr::value(Option::<String>::None),
                )
                .exec(&ctx.db)
                .await?;
            tracing::info!(message_id, transport = transport.name(), "mail delivered");
            Ok(Delivery::Sent)
        }
        Err(error) => {
            tracing::warn!(message_id, attempts = message.attempts, error = %error, "mail delivery failed");
            let (status, next, outcome) = match after_failure(message.attempts, now) {
                AfterFailure::RetryAt(at) => (Status::Pending, at, Delivery::WillRetry),
                AfterFailure::GiveUp => (Status::Failed, now, Delivery::GaveUp),
            };
            update
                .col_expr(
                    outbox_messages::Column::Status,
                    Expr::value(status.as_str()),
                )
                .col_expr(outbox_messages::Column::NextAttemptAt, Expr::value(next))
                .col_expr(outbox_messages::Column::LastError, Expr::value(error))
                .exec(&ctx.db)
                .await?;
            Ok(outcome)
        }
    }
}

/// Queues a delivery job for every message that is due (new ones whose job was lost, and
/// failed ones whose backoff is over), and frees messages claimed by a worker that died.
/// Queuing a message twice is harmless: the claim lets one delivery through.
///
/// # Errors
/// Database errors.
pub async fn enqueue_due(ctx: &AppContext) -> Result<usize, ServiceError> {
    let now = crate::clock::of(ctx).now();
    outbox_messages::Entity::update_many()
        .col_expr(
            outbox_messages::Column::Status,
            Expr::value(Status::Pending.as_str()),
        )
        .filter(outbox_messages::Column::Status.eq(Status::Sending.as_str()))
        .filter(outbox_messages::Column::ClaimedAt.lt(now - Duration::minutes(STALE_CLAIM_MINUTES)))
        .exec(&ctx.db)
        .await?;
    let due: Vec<i64> = outbox_messages::Entity::find()
        .select_only()
        .column(outbox_messages::Column::Id)
        .filter(outbox_messages::Column::Status.eq(Status::Pending.as_str()))
        .filter(outbox_messages::Column::NextAttemptAt.lte(now))
        .order_by_asc(outbox_messages::Column::Id)
        .limit(1000)
        .into_tuple()
        .all(&ctx.db)
        .await?;
    for id in &due {
        jobs::enqueue_mail(ctx, *id).await;
    }
    Ok(due.len())
}
