mod einvoices;
mod invoicing;
mod outbox;
