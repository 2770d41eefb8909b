mod accounts;
mod csrf;
mod tenancy;
mod user_admin;
