mod accounts;
mod api;
mod clients;
mod company_settings;
mod csrf;
mod invoices;
mod tenancy;
mod user_admin;
