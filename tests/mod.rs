mod requests;
mod services;
mod support;
