//! The HTML side of the app: request context (CSRF, language, flash), authentication
//! extractors, error pages and page rendering.

pub mod api;
pub mod auth;
pub mod error;
pub mod forms;
pub mod middleware;
pub mod page;

pub use auth::{AdminUser, CurrentUser, MaybeUser, SellerUser, StaffUser};
pub use error::WebError;
pub use middleware::RequestMeta;
pub use page::{redirect_with_flash, FlashKind, Page};

pub const SESSION_COOKIE: &str = "encaisse_session";
pub const CSRF_COOKIE: &str = "encaisse_csrf";
pub const FLASH_COOKIE: &str = "encaisse_flash";
pub const LANG_COOKIE: &str = "encaisse_lang";
pub const CSRF_FIELD: &str = "csrf_token";
