//! The PDF of an issued document: rendered once from the frozen document, stored with its
//! SHA-256, then the e-mails held for it are released with the PDF attached. Retried until
//! it succeeds (the minute sweep re-queues any issued document still without PDF);
//! running it twice changes nothing.

use loco_rs::app::AppContext;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set,
    TransactionTrait,
};

use super::{issue_invoice::store_file, ServiceError};
use crate::{
    documents::pdf::render_pdf,
    domain::{invoice::Status, outbox},
    jobs,
    models::_entities::{document_files, invoices, outbox_attachments, outbox_messages},
    views::document::InvoiceDocument,
};

#[derive(Debug, PartialEq, Eq)]
pub enum Rendered {
    /// The PDF was rendered and stored now.
    Now,
    /// It already existed (a repeated job): only held e-mails, if any, were released.
    Already,
    /// Not an issued document (a draft): nothing to render.
    NotIssued,
}

/// The frozen document of an issued invoice or credit note.
///
/// # Errors
/// `Other` when the stored document does not parse.
pub fn frozen(invoice: &invoices::Model) -> Result<Option<InvoiceDocument>, ServiceError> {
    invoice
        .document_json
        .as_deref()
        .map(|json| {
            serde_json::from_str(json)
                .map_err(|e| ServiceError::Other(format!("frozen document: {e}")))
        })
        .transpose()
}

/// The file name of a document's PDF ("Facture-F-2026-000042.pdf").
#[must_use]
pub fn pdf_filename(document: &InvoiceDocument) -> String {
    format!(
        "{}-{}.pdf",
        document.title_fr(),
        document.number.as_deref().unwrap_or("brouillon")
    )
}

/// Renders a frozen document with the logo it names.
///
/// # Errors
/// Database or rendering errors.
pub async fn render_bytes(
    ctx: &AppContext,
    document: &InvoiceDocument,
) -> Result<Vec<u8>, ServiceError> {
    let logo = match &document.seller.logo_sha256 {
        Some(sha) => document_files::Entity::find()
            .filter(document_files::Column::Sha256.eq(sha.as_str()))
            .one(&ctx.db)
            .await?
            .map(|f| f.content),
        None => None,
    };
    let document = document.clone();
    // Rendering is CPU work: keep it off the async executor's threads.
    tokio::task::spawn_blocking(move || render_pdf(&document, logo.as_deref()))
        .await
        .map_err(|e| ServiceError::Other(format!("render task: {e}")))?
        .map_err(|e| ServiceError::Other(format!("render: {e}")))
}

/// # Errors
/// Database or rendering errors (the job is retried).
pub async fn render(ctx: &AppContext, invoice_id: i64) -> Result<Rendered, ServiceError> {
    let Some(invoice) = invoices::Entity::find_by_id(invoice_id)
        .one(&ctx.db)
        .await?
    else {
        return Ok(Rendered::NotIssued);
    };
    if invoice.status == Status::Draft.as_str() {
        return Ok(Rendered::NotIssued);
    }
    let Some(document) = frozen(&invoice)? else {
        return Ok(Rendered::NotIssued);
    };
    let now = crate::clock::of(ctx).now();
    let (file, outcome) = match invoice.pdf_file_id {
        Some(file_id) => (
            document_files::Entity::find_by_id(file_id)
                .one(&ctx.db)
                .await?
                .ok_or_else(|| ServiceError::Other("stored PDF missing".into()))?,
            Rendered::Already,
        ),
        None => {
            let bytes = render_bytes(ctx, &document).await?;
            let txn = ctx.db.begin().await?;
            let file = store_file(&txn, "application/pdf", &bytes, now).await?;
            // Only the first render is kept: a concurrent twin's identical bytes are dropped.
            invoices::Entity::update_many()
                .col_expr(invoices::Column::PdfFileId, Expr::value(file.id))
                .filter(invoices::Column::Id.eq(invoice.id))
                .filter(invoices::Column::PdfFileId.is_null())
                .exec(&txn)
                .await?;
            super::invoices::record_event(
                &txn,
                invoice.id,
                "pdf_stored",
                Some(file.sha256.clone()),
                None,
                now,
            )
            .await?;
            txn.commit().await?;
            (file, Rendered::Now)
        }
    };
    release_held_mail(ctx, &invoice, &document, &file).await?;
    Ok(outcome)
}

/// Renders many documents, each independently: one failure does not stop the others (the
/// minute sweep retries what is missing).
///
/// # Errors
/// The first error met, after every document was tried.
pub async fn render_many(ctx: &AppContext, invoice_ids: &[i64]) -> Result<usize, ServiceError> {
    let mut rendered = 0;
    let mut first_error = None;
    for id in invoice_ids {
        match render(ctx, *id).await {
            Ok(Rendered::Now) => rendered += 1,
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(
                    invoice_id = id,
                    ?error,
                    "could not render a document; it will be retried"
                );
                first_error.get_or_insert(error);
            }
        }
    }
    first_error.map_or(Ok(rendered), Err)
}

/// Attaches the PDF (and the document's own attachments) to the e-mails waiting for it and
/// lets them go.
async fn release_held_mail(
    ctx: &AppContext,
    invoice: &invoices::Model,
    document: &InvoiceDocument,
    pdf: &document_files::Model,
) -> Result<(), ServiceError> {
    let held: Vec<i64> = outbox_messages::Entity::find()
        .select_only()
        .column(outbox_messages::Column::Id)
        .filter(outbox_messages::Column::InvoiceId.eq(invoice.id))
        .filter(outbox_messages::Column::Status.eq(outbox::Status::Held.as_str()))
        .into_tuple()
        .all(&ctx.db)
        .await?;
    if held.is_empty() {
        return Ok(());
    }
    let extra = super::attachments::files_of(&ctx.db, invoice.id).await?;
    let now = crate::clock::of(ctx).now();
    for message_id in held {
        let txn = ctx.db.begin().await?;
        // Claim the held message; a concurrent job releasing it too finds nothing to do.
        let claimed = outbox_messages::Entity::update_many()
            .col_expr(
                outbox_messages::Column::Status,
                Expr::value(outbox::Status::Pending.as_str()),
            )
            .col_expr(outbox_messages::Column::NextAttemptAt, Expr::value(now))
            .col_expr(outbox_messages::Column::UpdatedAt, Expr::value(now))
            .filter(outbox_messages::Column::Id.eq(message_id))
            .filter(outbox_messages::Column::Status.eq(outbox::Status::Held.as_str()))
            .exec(&txn)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        let mut parts = vec![(
            pdf_filename(document),
            pdf.content_type.clone(),
            pdf.content.clone(),
        )];
        parts.extend(extra.iter().map(|(name, file)| {
            (
                name.clone(),
                file.content_type.clone(),
                file.content.clone(),
            )
        }));
        for (filename, content_type, content) in parts {
            outbox_attachments::ActiveModel {
                message_id: Set(message_id),
                filename: Set(filename),
                content_type: Set(content_type),
                content: Set(content),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
        txn.commit().await?;
        jobs::enqueue_mail(ctx, message_id).await;
    }
    Ok(())
}

/// Queues the rendering of every issued document still without PDF, and of documents
/// whose e-mails still wait (lost jobs, failures to retry).
///
/// # Errors
/// Database errors.
pub async fn enqueue_missing(ctx: &AppContext) -> Result<usize, ServiceError> {
    let mut ids: Vec<i64> = invoices::Entity::find()
        .select_only()
        .column(invoices::Column::Id)
        .filter(invoices::Column::Status.ne(Status::Draft.as_str()))
        .filter(invoices::Column::PdfFileId.is_null())
        .limit(1000)
        .into_tuple()
        .all(&ctx.db)
        .await?;
    let waiting: Vec<Option<i64>> = outbox_messages::Entity::find()
        .select_only()
        .column(outbox_messages::Column::InvoiceId)
        .filter(outbox_messages::Column::Status.eq(outbox::Status::Held.as_str()))
        .limit(1000)
        .into_tuple()
        .all(&ctx.db)
        .await?;
    ids.extend(waiting.into_iter().flatten());
    ids.sort_unstable();
    ids.dedup();
    for id in &ids {
        jobs::enqueue_render(ctx, *id).await;
    }
    Ok(ids.len())
}
