//! Page rendering with the shared layout: navigation by role, flash, CSRF token, language.

use axum::{
    http::{header, HeaderValue},
    response::{Html, IntoResponse, Redirect, Response},
};
use serde_json::{json, Value};

use super::{auth::CurrentUser, error::WebError, middleware::RequestMeta, FLASH_COOKIE};
use crate::domain::{error::FieldErrors, locale::Locale, roles::Role};

#[derive(Debug, Clone, Copy)]
pub enum FlashKind {
    Success,
    Error,
    Info,
}

impl FlashKind {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Error => "error",
            Self::Info => "info",
        }
    }
}

/// Redirects after an action and shows `key` (a fluent key) on the next page.
#[must_use]
pub fn redirect_with_flash(to: &str, kind: FlashKind, key: &str) -> Response {
    let mut response = Redirect::to(to).into_response();
    let cookie = format!(
        "{FLASH_COOKIE}={}.{key}; Path=/; HttpOnly; SameSite=Lax",
        kind.as_str()
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// One entry of the main menu. Only pages that exist are listed (no dead links).
fn navigation(user: Option<&CurrentUser>) -> Value {
    let Some(user) = user else { return json!([]) };
    match user.role {
        Role::Staff => json!([
            { "id": "staff-sellers", "key": "nav-staff-sellers", "href": "/staff", "children": [] },
        ]),
        Role::Admin | Role::Member => {
            let mut entries = vec![
                json!({
                    "id": "dashboard", "key": "nav-dashboard", "href": "/dashboard", "children": []
                }),
                json!({
                    "id": "sales", "key": "nav-sales", "href": "/sales/invoices",
                    "children": [
                        { "id": "sales-invoices", "key": "nav-sales-invoices", "href": "/sales/invoices" },
                        { "id": "sales-subscriptions", "key": "nav-sales-subscriptions", "href": "/sales/subscriptions" },
                        { "id": "sales-payments", "key": "nav-sales-payments", "href": "/sales/payments" },
                        { "id": "sales-clients", "key": "nav-sales-clients", "href": "/sales/clients" }
                    ]
                }),
            ];
            if user.role.can_administer_company() {
                entries.push(json!({
                    "id": "settings", "key": "nav-settings", "href": "/settings/company",
                    "children": [
                        { "id": "settings-company", "key": "nav-settings-company", "href": "/settings/company" },
                        { "id": "settings-users", "key": "nav-settings-users", "href": "/settings/users" },
                        { "id": "settings-api-keys", "key": "nav-settings-api-keys", "href": "/settings/api-keys" }
                    ]
                }));
            }
            Value::Array(entries)
        }
    }
}

/// Marks the entry holding the current page, so the layout can highlight it.
fn mark_current(mut nav: Value, active: &str) -> Value {
    if let Value::Array(entries) = &mut nav {
        for entry in entries {
            let holds = entry["id"] == active
                || entry["children"]
                    .as_array()
                    .is_some_and(|c| c.iter().any(|child| child["id"] == active));
            entry["current"] = Value::Bool(holds);
        }
    }
    nav
}

pub struct Page<'a> {
    meta: &'a RequestMeta,
    user: Option<&'a CurrentUser>,
    active: &'static str,
}

impl<'a> Page<'a> {
    #[must_use]
    pub fn new(meta: &'a RequestMeta, user: Option<&'a CurrentUser>, active: &'static str) -> Self {
        Self { meta, user, active }
    }

    fn base_context(&self) -> Value {
        let user = self.user.map(|u| {
            json!({
                "name": u.user.name,
                "email": u.user.email,
                "role": u.role.as_str(),
                "company": u.company.as_ref().map(|c| c.legal_name.clone()),
            })
        });
        let languages: Vec<Value> = Locale::ALL
            .iter()
            .map(|l| json!({ "tag": l.tag(), "short": l.short(), "current": *l == self.meta.locale }))
            .collect();
        json!({
            "lang": self.meta.locale.tag(),
            "lang_short": self.meta.locale.short(),
            "languages": languages,
            "csrf_token": self.meta.csrf_token,
            "flash": self.meta.flash,
            "user": user,
            "nav": mark_current(navigation(self.user), self.active),
            "active": self.active,
            "path": self.meta.path,
            "dev_mailbox": self.meta.dev_mailbox,
            "errors": {},
        })
    }

    /// Renders `template` with the layout context merged with `data`.
    ///
    /// # Errors
    /// `Internal` when the template fails (logged, generic page shown).
    pub fn render(&self, template: &str, data: Value) -> Result<Response, WebError> {
        let mut context = self.base_context();
        if let (Value::Object(base), Value::Object(extra)) = (&mut context, data) {
            base.extend(extra);
        }
        let html = crate::views::render(template, &context).map_err(WebError::Internal)?;
        Ok(Html(html).into_response())
    }

    /// Shows a confirmation step again when its box was not ticked (422, nothing done).
    ///
    /// # Errors
    /// As [`Page::render`].
    pub fn render_unconfirmed(&self, template: &str, data: Value) -> Result<Response, WebError> {
        self.render_invalid(
            template,
            data,
            &FieldErrors::single("confirm", "confirmation-required"),
        )
    }

    /// Re-renders a form with its field errors (422, messages in the page's language) and
    /// writes nothing.
    ///
    /// # Errors
    /// As [`Page::render`].
    pub fn render_invalid(
        &self,
        template: &str,
        data: Value,
        errors: &FieldErrors,
    ) -> Result<Response, WebError> {
        let mut by_field = serde_json::Map::new();
        for e in &errors.0 {
            by_field.entry(e.field).or_insert_with(|| {
                Value::String(crate::i18n::field_error_message(self.meta.locale, e))
            });
        }
        let mut data = data;
        if let Value::Object(map) = &mut data {
            map.insert("errors".into(), Value::Object(by_field));
            // A summary above the form: the messages sit under their fields.
            map.entry("flash")
                .or_insert_with(|| json!({ "kind": "error", "key": "flash-form-invalid" }));
        }
        let mut response = self.render(template, data)?;
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        Ok(response)
    }
}
