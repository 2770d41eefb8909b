mod einvoices;
mod invoicing;
mod outbox;
mod subscriptions;
mod payments;
