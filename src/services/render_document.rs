//! The PDF of an issued document: rendered once from the frozen document, stored with its
//! SHA-256, then the e-mails held for it are released with the PDF attached. Retried until
//! it succeeds (the minute sweep re-queues any issued document still without PDF);
//! running it twice changes nothing.

use loco_rs::app::AppContext;
use sea_orm::{
    sea_query::{Expr, ExprTrait, Query},
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};

use super::{issue_invoice::store_files, ServiceError};
use crate::{
    documents::{cii::cii_xml, facturx::render_facturx},
    domain::{invoice::Status, outbox},
    jobs,
    models::_entities::{
        document_files, invoice_attachments, invoice_events, invoices, outbox_attachments,
        outbox_messages,
    },
    perf::{self, Phase},
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
) -> Result<Vec<(i64, InvoiceDocument, Vec<u8>)>, ServiceError> {
    let started = std::time::Instant::now();
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let per_worker = documents.len().div_ceil(workers).max(1);
    let logos = std::sync::Arc::new(logos);
    let mut tasks = Vec::new();
    let mut documents = documents;
    while !documents.is_empty() {
        let part: Vec<(i64, InvoiceDocument)> =
            documents.drain(..per_worker.min(documents.len())).collect();
        let logos = logos.clone();
        let (done, result) = tokio::sync::oneshot::channel();
        // A thread of its own at a lower priority: rendering is background work, and
        // must not take the cores from what a user or a billing run waits for (issuing,
        // the web requests). Lowering one's own priority needs no privilege; the thread
        // ends with its part, so no other work inherits it.
        std::thread::spawn(move || {
            lower_priority();
            let rendered = part
                .into_iter()
                .map(|(id, document)| {
                    let logo = document
                        .seller
                        .logo_sha256
                        .as_ref()
                        .and_then(|sha| logos.get(sha));
                    // The two halves of `issued_pdf`, timed apart for the benchmarks.
                    let xml = perf::time_cpu(Phase::CiiXml, || cii_xml(&document))
                        .map_err(|e| ServiceError::Other(format!("render {id}: {e}")))?;
                    let bytes = perf::time_cpu(Phase::PdfRender, || {
                        render_facturx(&document, logo.map(Vec::as_slice), &xml)
                    })
                    .map_err(|e| ServiceError::Other(format!("render {id}: {e}")))?;
                    Ok((id, document, bytes))
                })
                .collect::<Result<Vec<_>, ServiceError>>();
            let _ = done.send(rendered);
        });
        tasks.push(result);
    }
    let mut rendered = Vec::new();
    for task in tasks {
        rendered.extend(
            task.await
                .map_err(|e| ServiceError::Other(format!("render thread: {e}")))??,
        );
    }
    perf::add(Phase::RenderWall, started.elapsed());
    Ok(rendered)
}

/// Lowers the calling thread's CPU priority (nice 10: about a tenth of a core's share
/// against normal-priority work, all of an idle core).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: plain system calls on the calling thread (Linux priorities are
        // per thread).
        unsafe {
            let tid = libc::syscall(libc::SYS_gettid);
            libc::setpriority(
                libc::PRIO_PROCESS,
                libc::id_t::try_from(tid).unwrap_or(0),
                10,
            );
        }
    }
}

async fn render_chunk(ctx: &AppContext, invoice_ids: &[i64]) -> Result<ChunkOutcome, ServiceError> {
    let started = std::time::Instant::now();
    let issued: Vec<(i64, Option<i64>, Option<String>)> = invoices::Entity::find()
        .select_only()
        .column(invoices::Column::Id)
        .column(invoices::Column::PdfFileId)
        .column(invoices::Column::DocumentJson)
        .filter(invoices::Column::Id.is_in(invoice_ids.iter().copied()))
        .filter(invoices::Column::Status.ne(Status::Draft.as_str()))
        .into_tuple()
        .all(&ctx.db)
        .await?;
    let mut documents = Vec::new();
    for (id, _, json) in issued.iter().filter(|(_, pdf, _)| pdf.is_none()) {
        // One unreadable document must not hold back the others of its chunk.
        match frozen_json(json.as_deref()) {
            Ok(Some(document)) => documents.push((*id, document)),
            Ok(None) => {}
            Err(error) => tracing::error!(invoice_id = id, ?error, "frozen document unreadable"),
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
    let before_render = started.elapsed();
    let rendered = render_all(documents, logos).await?;
    let started = std::time::Instant::now();
    let now = crate::clock::of(ctx).now();
    // One transaction stores the PDFs, links them and releases their e-mails: its first
    // statement is a write (the files' INSERT, or the e-mails' claim), as SQLite wants.
    let txn = ctx.db.begin().await?;
    let mut known = std::collections::HashMap::new();
    if !rendered.is_empty() {
        let contents: Vec<&[u8]> = rendered
            .iter()
            .map(|(_, _, bytes)| bytes.as_slice())
            .collect();
        let files = store_files(&txn, "application/pdf", &contents, now).await?;
        // Only the first render is kept: a concurrent twin's identical bytes are dropped
        // (`pdf_file_id IS NULL`). One statement links the whole chunk.
        let mut link = Expr::case(
            Expr::col(invoices::Column::Id).eq(rendered[0].0),
            Expr::val(files[0].id),
        );
        for ((invoice_id, _, _), file) in rendered.iter().zip(&files).skip(1) {
            link = link.case(
                Expr::col(invoices::Column::Id).eq(*invoice_id),
                Expr::val(file.id),
            );
        }
        invoices::Entity::update_many()
            .col_expr(invoices::Column::PdfFileId, link.into())
            .filter(invoices::Column::Id.is_in(rendered.iter().map(|(id, _, _)| *id)))
            .filter(invoices::Column::PdfFileId.is_null())
            .exec(&txn)
            .await?;
        let events: Vec<invoice_events::ActiveModel> = rendered
            .iter()
            .zip(&files)
            .map(|((invoice_id, _, _), file)| invoice_events::ActiveModel {
                invoice_id: Set(*invoice_id),
                kind: Set("pdf_stored".into()),
                detail: Set(Some(file.sha256.clone())),
                user_id: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            })
            .collect();
        for chunk in events.chunks(1000) {
            invoice_events::Entity::insert_many(chunk.to_vec())
                .exec(&txn)
                .await?;
        }
        for ((invoice_id, document, _), file) in rendered.iter().zip(files) {
            known.insert(*invoice_id, (pdf_filename(document), file.id));
        }
    }
    let ids: Vec<i64> = issued.iter().map(|(id, _, _)| *id).collect();
    let released = release_held_mail(&txn, &ids, &known, now).await?;
    txn.commit().await?;
    jobs::enqueue_mails(ctx, released).await;
    perf::add(Phase::RenderDb, before_render + started.elapsed());
    Ok(ChunkOutcome {
        rendered: rendered.len(),
        issued: issued.len(),
    })
}

/// The frozen document stored as JSON.
fn frozen_json(json: Option<&str>) -> Result<Option<InvoiceDocument>, ServiceError> {
    json.map(|json| {
        serde_json::from_str(json).map_err(|e| ServiceError::Other(format!("frozen document: {e}")))
    })
    .transpose()
}

/// Attaches each document's PDF (and its own attachments) to the e-mails waiting for it
/// and lets them go; returns the released messages (to queue for delivery once `txn` is
/// committed). The PDF is attached by reference to its stored file, not copied. `known`
/// holds the file name and stored file of the documents rendered just now; others are
/// read.
async fn release_held_mail(
    txn: &DatabaseTransaction,
    invoice_ids: &[i64],
    known: &std::collections::HashMap<i64, (String, i64)>,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Result<Vec<i64>, ServiceError> {
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
        return Ok(Vec::new());
    }
    let mut with_pdf: Vec<i64> = claimed.iter().map(|(_, invoice)| *invoice).collect();
    with_pdf.sort_unstable();
    with_pdf.dedup();
    // Documents whose PDF was stored earlier (a repeated job, a resend): read them.
    let unknown: Vec<i64> = with_pdf
        .iter()
        .copied()
        .filter(|id| !known.contains_key(id))
        .collect();
    let mut read = std::collections::HashMap::new();
    if !unknown.is_empty() {
        for invoice in invoices::Entity::find()
            .filter(invoices::Column::Id.is_in(unknown))
            .all(txn)
            .await?
        {
            // An unreadable document keeps its e-mail waiting (logged when rendered).
            if let (Some(document), Some(file_id)) =
                (frozen(&invoice).ok().flatten(), invoice.pdf_file_id)
            {
                read.insert(invoice.id, (pdf_filename(&document), file_id));
            }
        }
    }
    // The documents' own attachments (PDFs, see `attachments::add`), for the whole chunk.
    let mut extras: std::collections::HashMap<i64, Vec<(String, i64)>> =
        std::collections::HashMap::new();
    for attachment in invoice_attachments::Entity::find()
        .filter(invoice_attachments::Column::InvoiceId.is_in(with_pdf.iter().copied()))
        .order_by_asc(invoice_attachments::Column::Id)
        .all(txn)
        .await?
    {
        extras
            .entry(attachment.invoice_id)
            .or_default()
            .push((attachment.filename, attachment.file_id));
    }
    let mut rows = Vec::new();
    for (message_id, invoice_id) in &claimed {
        let Some((filename, pdf_id)) = known.get(invoice_id).or_else(|| read.get(invoice_id))
        else {
            return Err(ServiceError::Other(format!(
                "PDF of document {invoice_id} missing"
            )));
        };
        let parts = std::iter::once((filename.clone(), "application/pdf", *pdf_id)).chain(
            extras
                .get(invoice_id)
                .into_iter()
                .flatten()
                .map(|(name, file_id)| (name.clone(), "application/pdf", *file_id)),
        );
        for (filename, content_type, file_id) in parts {
            rows.push(outbox_attachments::ActiveModel {
                message_id: Set(*message_id),
                filename: Set(filename),
                content_type: Set(content_type.to_string()),
                content: Set(Vec::new()),
                file_id: Set(Some(file_id)),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            });
        }
    }
    for chunk in rows.chunks(1000) {
        outbox_attachments::Entity::insert_many(chunk.to_vec())
            .exec(txn)
            .await?;
    }
    Ok(claimed.into_iter().map(|(id, _)| id).collect())
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
