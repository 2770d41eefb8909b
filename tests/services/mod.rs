mod einvoices;
mod invoicing;
mod outbox;
mod payments;
mod subscriptions;
