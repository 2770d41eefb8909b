//! `SeaORM` Entity prelude.
pub use super::companies::Entity as Companies;
pub use super::login_attempts::Entity as LoginAttempts;
pub use super::outbox_attachments::Entity as OutboxAttachments;
pub use super::outbox_messages::Entity as OutboxMessages;
pub use super::sessions::Entity as Sessions;
pub use super::users::Entity as Users;
