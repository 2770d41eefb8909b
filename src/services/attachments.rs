//! PDF attachments of a draft invoice (from the Pagero guides): checked by content, 5 MB
//! at most each, sent with the invoice e-mail. Frozen with the document once issued.

use loco_rs::app::AppContext;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};

use super::{invoices as docs, issue_invoice::store_file, ServiceError};
use crate::{
    domain::{
        error::FieldErrors,
        upload::{check_pdf_attachment, clean_filename, MAX_ATTACHMENTS},
    },
    models::_entities::{document_files, invoice_attachments},
};

/// The attachments of a document with their files, in upload order.
///
/// # Errors
/// Database errors.
pub async fn files_of<C: ConnectionTrait>(
    db: &C,
    invoice_id: i64,
) -> Result<Vec<(String, document_files::Model)>, ServiceError> {
    Ok(invoice_attachments::Entity::find()
        .filter(invoice_attachments::Column::InvoiceId.eq(invoice_id))
        .order_by_asc(invoice_attachments::Column::Id)
        .find_also_related(document_files::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(a, f)| f.map(|f| (a.filename, f)))
        .collect())
}

/// The attachment rows of a document (for listing and removal).
///
/// # Errors
/// Database errors.
pub async fn list(
    ctx: &AppContext,
    invoice_id: i64,
) -> Result<Vec<(invoice_attachments::Model, i64)>, ServiceError> {
    Ok(invoice_attachments::Entity::find()
        .filter(invoice_attachments::Column::InvoiceId.eq(invoice_id))
        .order_by_asc(invoice_attachments::Column::Id)
        .find_also_related(document_files::Entity)
        .all(&ctx.db)
        .await?
        .into_iter()
        .map(|(a, f)| (a, f.map_or(0, |f| f.size)))
        .collect())
}

/// Adds a PDF to a draft.
///
/// # Errors
/// `NotFound`, `Refused("invoice-immutable")`, `Invalid` on `attachment`.
pub async fn add(
    ctx: &AppContext,
    company_id: i64,
    pid: &str,
    filename: &str,
    bytes: &[u8],
) -> Result<invoice_attachments::Model, ServiceError> {
    check_pdf_attachment(bytes).map_err(|code| FieldErrors::single("attachment", code))?;
    let now = crate::clock::of(ctx).now();
    let txn = ctx.db.begin().await?;
    let invoice = docs::lock_draft(&txn, company_id, pid, now).await?;
    let count = invoice_attachments::Entity::find()
        .filter(invoice_attachments::Column::InvoiceId.eq(invoice.id))
        .count(&txn)
        .await?;
    if count >= MAX_ATTACHMENTS as u64 {
        return Err(FieldErrors::single("attachment", "attachments-too-many").into());
    }
    let file = store_file(&txn, "application/pdf", bytes, now).await?;
    // The same file twice (a double submit) is attached once.
    if let Some(existing) = invoice_attachments::Entity::find()
        .filter(invoice_attachments::Column::InvoiceId.eq(invoice.id))
        .filter(invoice_attachments::Column::FileId.eq(file.id))
        .one(&txn)
        .await?
    {
        txn.commit().await?;
        return Ok(existing);
    }
    let attachment = invoice_attachments::ActiveModel {
        pid: Set(uuid::Uuid::new_v4()),
        invoice_id: Set(invoice.id),
        file_id: Set(file.id),
        filename: Set(clean_filename(filename, "piece-jointe.pdf")),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(attachment)
}

/// Removes an attachment from a draft.
///
/// # Errors
/// `NotFound`, `Refused("invoice-immutable")`.
pub async fn remove(
    ctx: &AppContext,
    company_id: i64,
    pid: &str,
    attachment_pid: &str,
) -> Result<(), ServiceError> {
    let attachment_pid =
        uuid::Uuid::parse_str(attachment_pid).map_err(|_| ServiceError::NotFound)?;
    let txn = ctx.db.begin().await?;
    let invoice = docs::lock_draft(&txn, company_id, pid, crate::clock::of(ctx).now()).await?;
    let removed = invoice_attachments::Entity::delete_many()
        .filter(invoice_attachments::Column::InvoiceId.eq(invoice.id))
        .filter(invoice_attachments::Column::Pid.eq(attachment_pid))
        .exec(&txn)
        .await?;
    if removed.rows_affected == 0 {
        return Err(ServiceError::NotFound);
    }
    txn.commit().await?;
    Ok(())
}
