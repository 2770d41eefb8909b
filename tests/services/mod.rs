mod invoicing;
mod outbox;
