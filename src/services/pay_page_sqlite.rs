//! The payment page's reads on the embedded SQLite default, through read-only rusqlite
//! connections used on the request's own thread.
//!
//! Why: sqlx runs each SQLite connection on a thread of its own, so every query costs a
//! round trip between threads (commands, then each row, through channels). The payment
//! page is the most requested page of the app, and its two queries were about 60 % of
//! a request's time (BENCHMARKS.md "Payment page"). A point read on a local SQLite file
//! takes tens of microseconds, so running it inline is cheaper than any hand-off. WAL mode
//! lets these readers see every committed write at once. Postgres keeps the sea-orm path
//! (`payment_links::open_page`, `payments::open_invoices`), which the same tests cover.

use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::{
    domain::invoice::Status,
    security,
    services::{payment_links::PageHead, payments::OpenInvoice, ServiceError},
    views::document::DocumentKind,
};

/// Idle read-only connections to the app's SQLite file.
#[derive(Clone)]
pub struct Readers {
    path: String,
    idle: Arc<Mutex<Vec<Connection>>>,
}

/// Connections kept idle (one per thread that may serve a page, and some spare).
const KEPT: usize = 8;

const HEAD_SQL: &str = "SELECT l.client_id, l.company_id, cl.legal_name, co.legal_name, \
     co.contact_email, co.contact_phone, co.bank_iban, co.bank_bic, co.bank_holder, lo.id, \
     (SELECT COALESCE(SUM(e.amount_cents), 0) FROM ledger_entries e \
       WHERE e.client_id = l.client_id AND e.invoice_id IS NULL) \
     FROM payment_links l \
     JOIN clients cl ON cl.id = l.client_id AND cl.company_id = l.company_id \
     JOIN companies co ON co.id = l.company_id \
     LEFT JOIN company_logos lo ON lo.company_id = co.id \
     WHERE l.token_hash = ?1 AND l.revoked_at IS NULL";

const INVOICES_SQL: &str = "SELECT i.id, i.pid, i.number, i.issue_date, i.due_date, \
     i.total_cents, i.pdf_file_id, \
     (SELECT COALESCE(SUM(c.total_cents), 0) FROM invoices c \
       WHERE c.corrected_invoice_id = i.id AND c.status <> ?5), \
     (SELECT COALESCE(SUM(e.amount_cents), 0) FROM ledger_entries e WHERE e.invoice_id = i.id) \
     FROM invoices i \
     WHERE i.company_id = ?1 AND i.client_id = ?2 AND i.kind = ?3 AND i.test_mode = 0 \
       AND i.status IN (?4, ?6) \
     ORDER BY i.due_date, i.id";

impl Readers {
    /// Readers of the database at `uri` (`sqlite://path?…`).
    #[must_use]
    pub fn new(uri: &str) -> Self {
        let path = uri
            .trim_start_matches("sqlite://")
            .split('?')
            .next()
            .unwrap_or_default()
            .to_string();
        Self {
            path,
            idle: Arc::new(Mutex::new(Vec::new())),
        }
    }

    fn with<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, ServiceError> {
        let taken = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let connection = match taken {
            Some(connection) => connection,
            None => {
                let connection = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .map_err(|e| ServiceError::Other(format!("sqlite reader: {e}")))?;
                connection
                    .busy_timeout(std::time::Duration::from_secs(5))
                    .map_err(|e| ServiceError::Other(format!("sqlite reader: {e}")))?;
                connection
            }
        };
        let result =
            read(&connection).map_err(|e| ServiceError::Other(format!("sqlite read: {e}")));
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < KEPT {
                idle.push(connection);
            }
        }
        result
    }

    /// As `payment_links::open_page`, then `payments::open_invoices`, in one read
    /// transaction (both see the same committed state).
    ///
    /// # Errors
    /// When the file cannot be read.
    pub fn page(&self, token: &str) -> Result<Option<(PageHead, Vec<OpenInvoice>)>, ServiceError> {
        let hash = security::hash_token(token);
        self.with(|db| {
            db.execute_batch("BEGIN")?;
            let read = || -> rusqlite::Result<Option<(PageHead, Vec<OpenInvoice>)>> {
                let head = db
                    .prepare_cached(HEAD_SQL)?
                    .query_row([&hash], |row| {
                        Ok(PageHead {
                            client_id: row.get(0)?,
                            company_id: row.get(1)?,
                            client_name: row.get(2)?,
                            company_name: row.get(3)?,
                            contact_email: row.get(4)?,
                            contact_phone: row.get(5)?,
                            bank_iban: row.get(6)?,
                            bank_bic: row.get(7)?,
                            bank_holder: row.get(8)?,
                            logo_id: row.get(9)?,
                            credit_cents: row.get(10)?,
                        })
                    })
                    .optional()?;
                let Some(head) = head else { return Ok(None) };
                let mut statement = db.prepare_cached(INVOICES_SQL)?;
                let rows = statement.query_map(
                    rusqlite::params![
                        head.company_id,
                        head.client_id,
                        DocumentKind::Invoice.as_str(),
                        Status::Issued.as_str(),
                        Status::Draft.as_str(),
                        Status::PartiallyPaid.as_str(),
                    ],
                    |row| {
                        Ok(OpenInvoice {
                            id: row.get(0)?,
                            pid: uuid_of(row, 1)?,
                            number: row.get(2)?,
                            issue_date: date_of(row, 3)?,
                            due_date: date_of(row, 4)?,
                            total_cents: row.get(5)?,
                            pdf_file_id: row.get(6)?,
                            credited_cents: row.get(7)?,
                            paid_cents: row.get(8)?,
                        })
                    },
                )?;
                let invoices = rows
                    .collect::<rusqlite::Result<Vec<_>>>()?
                    .into_iter()
                    .filter(|i| i.due_cents() > 0)
                    .collect();
                Ok(Some((head, invoices)))
            };
            let result = read();
            db.execute_batch("COMMIT")?;
            result
        })
    }
}

fn conversion(
    index: usize,
    error: impl std::error::Error + Send + Sync + 'static,
) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(error))
}

/// sqlx stores a UUID as 16 bytes on SQLite.
fn uuid_of(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<uuid::Uuid> {
    match row.get_ref(index)? {
        rusqlite::types::ValueRef::Blob(bytes) => {
            uuid::Uuid::from_slice(bytes).map_err(|e| conversion(index, e))
        }
        other => uuid::Uuid::parse_str(other.as_str()?).map_err(|e| conversion(index, e)),
    }
}

/// sqlx stores a date as `YYYY-MM-DD` text on SQLite.
fn date_of(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<NaiveDate> {
    NaiveDate::parse_from_str(row.get_ref(index)?.as_str()?, "%Y-%m-%d")
        .map_err(|e| conversion(index, e))
}
