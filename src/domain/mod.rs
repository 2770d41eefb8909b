//! Pure business rules: no database, web framework, runtime or clock here.
//! Everything is a function of its arguments so it can be tested with tables and properties.

pub mod account;
pub mod address;
pub mod client;
pub mod company;
pub mod credit_note;
pub mod draft;
pub mod email;
pub mod error;
pub mod ids;
pub mod invoice;
pub mod locale;
pub mod login_throttle;
pub mod money;
pub mod numbering;
pub mod outbox;
pub mod password;
pub mod payment;
pub mod phone;
pub mod roles;
pub mod subscription;
pub mod upload;
pub mod vat;
