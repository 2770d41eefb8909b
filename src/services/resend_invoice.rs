//! "Renvoyer par mail": the same stored PDF sent again to the client, logged in the history.

use loco_rs::app::AppContext;
use sea_orm::{EntityTrait, TransactionTrait};

use super::{
    invoices as docs,
    issue_invoice::{default_email, write_document_mail},
    render_document, ServiceError,
};
use crate::{
    domain::{invoice::Status, locale::Locale},
    jobs,
    models::_entities::{clients, users},
    views::document::DocumentKind,
};

/// # Errors
/// `NotFound`, `Refused` (`invoice-not-issued`, `client-email-required`).
pub async fn resend(
    ctx: &AppContext,
    company_id: i64,
    user: Option<&users::Model>,
    pid: &str,
    idempotency_key: Option<&str>,
) -> Result<(), ServiceError> {
    let invoice = docs::find(&ctx.db, company_id, pid).await?;
    if docs::status_of(&invoice) == Status::Draft {
        return Err(ServiceError::Refused("invoice-not-issued"));
    }
    let document = render_document::frozen(&invoice)?.ok_or(ServiceError::NotFound)?;
    let client = clients::Entity::find_by_id(invoice.client_id)
        .one(&ctx.db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    // The address of today (it may have changed since the issue); the document does not.
    let to = client
        .contact_email
        .clone()
        .ok_or(ServiceError::Refused("client-email-required"))?;
    let (subject, body) = default_email(document.kind, Locale::Fr);
    let now = crate::clock::of(ctx).now();
    let txn = ctx.db.begin().await?;
    if let Some(key) = idempotency_key {
        // The confirmation submitted twice sends one e-mail.
        if !super::idempotency::claim(&txn, company_id, "invoice.resend", key, invoice.pid, now)
            .await?
        {
            return Ok(());
        }
    }
    let payment_url = if document.kind == DocumentKind::Invoice {
        let urls = crate::services::payment_links::UrlMaker::of(ctx);
        Some(
            crate::services::payment_links::invoice_url(
                &txn,
                &urls,
                &invoice,
                user.map(|u| u.id),
                now,
            )
            .await?,
        )
    } else {
        None
    };
    let message = write_document_mail(
        &txn,
        &invoice,
        &document,
        (&to, client.contact_name.as_deref()),
        (
            invoice.email_subject.as_deref().unwrap_or(&subject),
            invoice.email_body.as_deref().unwrap_or(&body),
        ),
        payment_url.as_deref(),
        now,
    )
    .await?;
    docs::record_event(
        &txn,
        invoice.id,
        "resent",
        Some(message.to_address),
        user.map(|u| u.id),
        now,
    )
    .await?;
    txn.commit().await?;
    // Releases the e-mail with the stored PDF (or renders it first if it is not yet).
    jobs::enqueue_render(ctx, invoice.id).await;
    Ok(())
}
