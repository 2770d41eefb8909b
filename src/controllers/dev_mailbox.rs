//! Development mailbox: the outbox, readable in the app when no SMTP server is configured.
//! Answers 404 unless `settings.dev_mailbox` is on (never in production).

use axum::{
    extract::{Path, State},
    http::header,
    response::{IntoResponse, Response},
};
use loco_rs::prelude::*;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;

use crate::{
    models::_entities::outbox_messages,
    settings::Settings,
    web::{MaybeUser, Page, RequestMeta, WebError},
};

fn ensure_enabled(ctx: &AppContext) -> Result<(), WebError> {
    if Settings::of(ctx).dev_mailbox {
        Ok(())
    } else {
        Err(WebError::NotFound)
    }
}

async fn index(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    MaybeUser(user): MaybeUser,
) -> Result<Response, WebError> {
    ensure_enabled(&ctx)?;
    let messages: Vec<_> = outbox_messages::Entity::find()
        .order_by_desc(outbox_messages::Column::Id)
        .limit(200)
        .all(&ctx.db)
        .await?
        .into_iter()
        .map(|m| {
            json!({
                "pid": m.pid.to_string(),
                "to": m.to_address,
                "subject": m.subject,
                "status": m.status,
                "created": crate::views::paris_datetime(&m.created_at),
            })
        })
        .collect();
    Page::new(&meta, user.as_ref(), "dev-mailbox")
        .render("dev/mailbox.html", json!({ "messages": messages }))
}

async fn find(ctx: &AppContext, pid: &str) -> Result<outbox_messages::Model, WebError> {
    let pid = uuid::Uuid::parse_str(pid).map_err(|_| WebError::NotFound)?;
    outbox_messages::Entity::find()
        .filter(outbox_messages::Column::Pid.eq(pid))
        .one(&ctx.db)
        .await?
        .ok_or(WebError::NotFound)
}

async fn show(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    MaybeUser(user): MaybeUser,
    Path(pid): Path<String>,
) -> Result<Response, WebError> {
    ensure_enabled(&ctx)?;
    let message = find(&ctx, &pid).await?;
    // An invoice's PDF is the stored file the row names, not a copy.
    let attachments: Vec<_> = crate::mail::attachments_of(&ctx.db, message.id)
        .await?
        .into_iter()
        .map(|a| json!({ "id": a.id, "filename": a.filename, "size": a.content.len(), "content_type": a.content_type }))
        .collect();
    Page::new(&meta, user.as_ref(), "dev-mailbox").render(
        "dev/message.html",
        json!({
            "message": {
                "pid": message.pid.to_string(),
                "to": message.to_address,
                "subject": message.subject,
                "status": message.status,
                "attempts": message.attempts,
                "last_error": message.last_error,
                "text_body": message.text_body,
                "html_body": message.html_body,
                "created": crate::views::paris_datetime(&message.created_at),
            },
            "attachments": attachments,
        }),
    )
}

async fn attachment(
    State(ctx): State<AppContext>,
    Path((pid, id)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    ensure_enabled(&ctx)?;
    let message = find(&ctx, &pid).await?;
    let attachment = crate::mail::attachments_of(&ctx.db, message.id)
        .await?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or(WebError::NotFound)?;
    let disposition = format!(
        "attachment; filename=\"{}\"",
        attachment.filename.replace('"', "")
    );
    Ok((
        [
            (header::CONTENT_TYPE, attachment.content_type.clone()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        attachment.content,
    )
        .into_response())
}

pub fn routes() -> Routes {
    Routes::new()
        .prefix("/dev/mailbox")
        .add("/", get(index))
        .add("/{pid}", get(show))
        .add("/{pid}/attachments/{id}", get(attachment))
}
