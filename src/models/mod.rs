//! Persistence. Entities in `_entities` mirror the migrations; queries that need scoping
//! live in the services beside the use case.
pub mod _entities;
pub mod api_keys;
pub mod clients;
pub mod companies;
pub mod company_logos;
pub mod document_files;
pub mod idempotency_keys;
pub mod invoice_adjustments;
pub mod invoice_attachments;
pub mod invoice_events;
pub mod invoice_lines;
pub mod invoice_templates;
pub mod invoices;
pub mod login_attempts;
pub mod number_series;
pub mod outbox_attachments;
pub mod outbox_messages;
pub mod sessions;
pub mod subscription_events;
pub mod subscription_versions;
pub mod subscriptions;
pub mod users;
