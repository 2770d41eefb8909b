//! `SeaORM` Entity, in the shape `cargo loco db entities` generates.

pub mod prelude;

pub mod companies;
pub mod login_attempts;
pub mod outbox_attachments;
pub mod outbox_messages;
pub mod sessions;
pub mod users;
