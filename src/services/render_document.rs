//! The PDF of an issued document: rendered once from the frozen document, stored with its
//! SHA-256, then the e-mails held for it are released with the PDF attached. Retried until
//! it succeeds (the minute sweep re-queues any issued document still without PDF);
//! running it twice changes nothing.

use loco_rs::app::AppContext;
use sea_orm::{
    sea_query::{Expr, ExprTrait, Query},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set, TransactionTrait,
};

use super::{issue_invoice::store_files, ServiceError};
use crate::{
    documents::{cii::cii_xml, facturx::render_facturx},
    domain::{invoice::Status, outbox},
    jobs,
    models::_entities::{
        document_files, invoice_events, invoices, outbox_attachments, outbox_messages,
    },
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

/// # Errors
/// Database or rendering errors (the job is retried).
pub async fn render(ctx: &AppContext, invoice_id: i64) -> Result<Rendered, ServiceError> {
    let outcome = render_chunk(ctx, &[invoice_id]).await?;
    Ok(if outcome.rendered > 0 {
        Rendered::Now
    } else if outcome.issued > 0 {
        Rendered::Already
    } else {
        Rendered::NotIssued
    })
}

/// How many documents per transaction: large enough to share the round trips, small enough
/// to keep memory and lock time short.
const CHUNK: usize = 200;

/// Renders many documents (a billing run, an import) in chunks: PDFs rendered on every
/// core, stored and linked with multi-row writes, held e-mails released together.
///
/// # Errors
/// The first error met, after every chunk was tried (the sweep retries what is missing).
pub async fn render_many(ctx: &AppContext, invoice_ids: &[i64]) -> Result<usize, ServiceError> {
    let mut rendered = 0;
    let mut first_error = None;
    for chunk in invoice_ids.chunks(CHUNK) {
        match render_chunk(ctx, chunk).await {
            Ok(outcome) => rendered += outcome.rendered,
            Err(error) => {
                tracing::warn!(?error, "could not render documents; they will be retried");
                first_error.get_or_insert(error);
            }
        }
    }
    first_error.map_or(Ok(rendered), Err)
}

struct ChunkOutcome {
    rendered: usize,
    issued: usize,
}

/// The PDF of an issued document: a Factur-X PDF (PDF/A-3 carrying its CII as
/// `factur-x.xml`), since every invoice between companies must be a structured e-invoice
/// (CGI art. 289 bis, the 2026–2027 e-invoicing reform). The same bytes are stored,
/// e-mailed and downloaded.
///
/// # Errors
/// The document has no number, or the PDF cannot be drawn or written.
pub fn issued_pdf(document: &InvoiceDocument, logo: Option<&[u8]>) -> Result<Vec<u8>, String> {
    let xml = cii_xml(document).map_err(|e| e.to_string())?;
    render_facturx(document, logo, &xml).map_err(|e| e.to_string())
}

/// Renders the PDFs of `documents` on every core.
async fn render_all(
    documents: Vec<(i64, InvoiceDocument)>,
    logos: std::collections::HashMap<String, Vec<u8>>,
) -> Result<Vec<(i64, Vec<u8>)>, ServiceError> {
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let per_worker = documents.len().div_ceil(workers).max(1);
    let logos = std::sync::Arc::new(logos);
    let mut tasks = Vec::new();
    let mut documents = documents;
    while !documents.is_empty() {
        let part: Vec<(i64, InvoiceDocument)> =
            documents.drain(..per_worker.min(documents.len())).collect();
        let logos = logos.clone();
        tasks.push(tokio::task::spawn_blocking(move || {
            part.into_iter()
                .map(|(id, document)| {
                    let logo = document
                        .seller
                        .logo_sha256
                        .as_ref()
                        .and_then(|sha| logos.get(sha));
                    issued_pdf(&document, logo.map(Vec::as_slice))
                        .map(|bytes| (id, bytes))
                        .map_err(|e| ServiceError::Other(format!("render {id}: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()
        }));
    }
    let mut rendered = Vec::new();
    for task in tasks {
        rendered.extend(
            task.await
                .map_err(|e| ServiceError::Other(format!("render task: {e}")))??,
        );
    }
    Ok(rendered)
}

async fn render_chunk(ctx: &AppContext, invoice_ids: &[i64]) -> Result<ChunkOutcome, ServiceError> {
    let issued = invoices::Entity::find()
        .filter(invoices::Column::Id.is_in(invoice_ids.iter().copied()))
        .filter(invoices::Column::Status.ne(Status::Draft.as_str()))
        .all(&ctx.db)
        .await?;
    let mut documents = Vec::new();
    for invoice in issued.iter().filter(|i| i.pdf_file_id.is_none()) {
        // One unreadable document must not hold back the others of its chunk.
        match frozen(invoice) {
            Ok(Some(document)) => documents.push((invoice.id, document)),
            Ok(None) => {}
            Err(error) => tracing::error!(
                invoice_id = invoice.id,
                ?error,
                "frozen document unreadable"
            ),
        }
    }
    let shas: Vec<String> = documents
        .iter()
        .filter_map(|(_, d)| d.seller.logo_sha256.clone())
        .collect();
    let logos: std::collections::HashMap<String, Vec<u8>> = if shas.is_empty() {
        std::collections::HashMap::new()
    } else {
        document_files::Entity::find()
            .filter(document_files::Column::Sha256.is_in(shas))
            .all(&ctx.db)
            .await?
            .into_iter()
            .map(|f| (f.sha256, f.content))
            .collect()
    };
    let rendered = render_all(documents, logos).await?;
    let now = crate::clock::of(ctx).now();
    if !rendered.is_empty() {
        let txn = ctx.db.begin().await?;
        let mut events = Vec::with_capacity(rendered.len());
        let contents: Vec<&[u8]> = rendered.iter().map(|(_, bytes)| bytes.as_slice()).collect();
        let files = store_files(&txn, "application/pdf", &contents, now).await?;
        for ((invoice_id, _), file) in rendered.iter().zip(files) {
            // Only the first render is kept: a concurrent twin's identical bytes are dropped.
            invoices::Entity::update_many()
                .col_expr(invoices::Column::PdfFileId, Expr::value(file.id))
                .filter(invoices::Column::Id.eq(*invoice_id))
                .filter(invoices::Column::PdfFileId.is_null())
                .exec(&txn)
                .await?;
            events.push(invoice_events::ActiveModel {
                invoice_id: Set(*invoice_id),
                kind: Set("pdf_stored".into()),
                detail: Set(Some(file.sha256)),
                user_id: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            });
        }
        invoice_events::Entity::insert_many(events)
            .exec(&txn)
            .await?;
        txn.commit().await?;
    }
    let ids: Vec<i64> = issued.iter().map(|i| i.id).collect();
    release_held_mail(ctx, &ids).await?;
    Ok(ChunkOutcome {
        rendered: rendered.len(),
        issued: issued.len(),
    })
}

/// Attaches each document's PDF (and its own attachments) to the e-mails waiting for it
/// and lets them go.
async fn release_held_mail(ctx: &AppContext, invoice_ids: &[i64]) -> Result<(), ServiceError> {
    let now = crate::clock::of(ctx).now();
    let txn = ctx.db.begin().await?;
    // Claim the held messages first (a write, and a concurrent job releasing them too then
    // finds nothing to do).
    let claim = Query::update()
        .table(outbox_messages::Entity)
        .value(
            outbox_messages::Column::Status,
            outbox::Status::Pending.as_str(),
        )
        .value(outbox_messages::Column::NextAttemptAt, now)
        .value(outbox_messages::Column::UpdatedAt, now)
        .and_where(Expr::col(outbox_messages::Column::InvoiceId).is_in(invoice_ids.iter().copied()))
        .and_where(Expr::col(outbox_messages::Column::Status).eq(outbox::Status::Held.as_str()))
        .and_where(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(invoices::Entity)
                .and_where(
                    Expr::col((invoices::Entity, invoices::Column::Id))
                        .equals((outbox_messages::Entity, outbox_messages::Column::InvoiceId)),
                )
                .and_where(Expr::col((invoices::Entity, invoices::Column::PdfFileId)).is_not_null())
                .to_owned(),
        ))
        .returning(Query::returning().columns([
            outbox_messages::Column::Id,
            outbox_messages::Column::InvoiceId,
        ]))
        .to_owned();
    let claimed: Vec<(i64, i64)> = txn
        .query_all(&claim)
        .await?
        .iter()
        .map(|row| Ok((row.try_get("", "id")?, row.try_get("", "invoice_id")?)))
        .collect::<Result<_, sea_orm::DbErr>>()?;
    if claimed.is_empty() {
        return Ok(());
    }
    let mut with_pdf: Vec<i64> = claimed.iter().map(|(_, invoice)| *invoice).collect();
    with_pdf.sort_unstable();
    with_pdf.dedup();
    let documents: std::collections::HashMap<i64, (InvoiceDocument, document_files::Model)> =
        invoices::Entity::find()
            .filter(invoices::Column::Id.is_in(with_pdf.clone()))
            .find_also_related(document_files::Entity)
            .all(&txn)
            .await?
            .into_iter()
            .filter_map(|(invoice, file)| Some((invoice.id, (frozen(&invoice).ok()??, file?))))
            .collect();
    let mut extras: std::collections::HashMap<i64, Vec<(String, document_files::Model)>> =
        std::collections::HashMap::new();
    for invoice_id in &with_pdf {
        extras.insert(
            *invoice_id,
            super::attachments::files_of(&txn, *invoice_id).await?,
        );
    }
    let mut rows = Vec::new();
    for (message_id, invoice_id) in &claimed {
        let Some((document, pdf)) = documents.get(invoice_id) else {
            return Err(ServiceError::Other(format!(
                "PDF of document {invoice_id} missing"
            )));
        };
        let mut parts = vec![(
            pdf_filename(document),
            pdf.content_type.clone(),
            pdf.content.clone(),
        )];
        for (name, file) in extras.get(invoice_id).into_iter().flatten() {
            parts.push((
                name.clone(),
                file.content_type.clone(),
                file.content.clone(),
            ));
        }
        for (filename, content_type, content) in parts {
            rows.push(outbox_attachments::ActiveModel {
                message_id: Set(*message_id),
                filename: Set(filename),
                content_type: Set(content_type),
                content: Set(content),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            });
        }
    }
    for chunk in rows.chunks(100) {
        outbox_attachments::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    jobs::enqueue_mails(ctx, claimed.into_iter().map(|(id, _)| id).collect()).await;
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

/// The structured syntaxes an issued document is exported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XmlSyntax {
    /// UN/CEFACT CII D16B, Factur-X EN 16931 profile (the XML inside the Factur-X PDF).
    Cii,
    /// OASIS UBL 2.1 (Peppol BIS Billing 3.0 conventions).
    Ubl,
}

impl XmlSyntax {
    /// The file name of a document's export ("Facture-F-2026-000042.cii.xml").
    #[must_use]
    pub fn filename(self, document: &InvoiceDocument) -> String {
        let extension = match self {
            Self::Cii => "cii",
            Self::Ubl => "ubl",
        };
        format!(
            "{}-{}.{extension}.xml",
            document.title_fr(),
            document.number.as_deref().unwrap_or("brouillon")
        )
    }

    /// The export of an issued document, made from its frozen document: the same amounts
    /// and mentions as its PDF (for CII, the very XML embedded in it).
    ///
    /// # Errors
    /// A draft (no number) is never exported.
    pub fn export(self, document: &InvoiceDocument) -> Result<Vec<u8>, ServiceError> {
        match self {
            Self::Cii => crate::documents::cii::cii_xml(document),
            Self::Ubl => crate::documents::ubl::ubl_xml(document),
        }
        .map_err(|e| ServiceError::Other(format!("e-invoice export: {e}")))
    }
}
