//! Persistence. Entities in `_entities` mirror the migrations; queries that need scoping
//! live in the services beside the use case.
pub mod _entities;
pub mod companies;
pub mod login_attempts;
pub mod outbox_attachments;
pub mod outbox_messages;
pub mod sessions;
pub mod users;
