//! Per-request context for pages: CSRF protection of every state-changing form, the
//! interface language, the flash message, and security headers.

use axum::{
    body::{to_bytes, Body},
    extract::{FromRequestParts, Request, State},
    http::{header, request::Parts, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Serialize;

use super::{error::WebError, CSRF_COOKIE, CSRF_FIELD, FLASH_COOKIE, LANG_COOKIE};
use crate::{domain::locale::Locale, security, settings::Settings};

/// Largest urlencoded form body we read to check its CSRF token.
const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;

tokio::task_local! {
    static LOCALE: Locale;
}

/// The language of the request being served (French outside a request).
#[must_use]
pub fn current_locale() -> Locale {
    LOCALE.try_with(|l| *l).unwrap_or_default()
}

#[derive(Debug, Clone, Serialize)]
pub struct Flash {
    pub kind: String,
    pub key: String,
}

#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub csrf_token: String,
    pub locale: Locale,
    pub flash: Option<Flash>,
    pub path: String,
    pub client_ip: String,
    /// Whether the development mailbox is enabled (link in the footer).
    pub dev_mailbox: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for RequestMeta {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Self>()
            .cloned()
            .ok_or_else(|| WebError::internal("web context middleware is not installed"))
    }
}

/// Paths that are not cookie-authenticated (API keys, signed webhooks) and so need no CSRF.
fn csrf_exempt(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/webhooks/")
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn submitted_token_in_query(query: Option<&str>) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query?).ok()?;
    pairs
        .into_iter()
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v)
}

pub async fn web_context(
    State(settings): State<std::sync::Arc<Settings>>,
    request: Request,
    next: Next,
) -> Response {
    let jar = CookieJar::from_headers(request.headers());
    let existing_csrf = jar.get(CSRF_COOKIE).map(|c| c.value().to_string());
    let csrf_cookie = existing_csrf.clone().unwrap_or_else(security::random_token);
    let csrf_token = security::csrf_token_for(&settings.secret_key, &csrf_cookie);

    let locale = jar
        .get(LANG_COOKIE)
        .and_then(|c| Locale::from_tag(c.value()))
        .or_else(|| {
            request
                .headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .map(Locale::negotiate)
        })
        .unwrap_or_default();

    let flash = jar.get(FLASH_COOKIE).and_then(|c| {
        let (kind, key) = c.value().split_once('.')?;
        let valid = matches!(kind, "success" | "error" | "info")
            && key
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-');
        valid.then(|| Flash {
            kind: kind.to_string(),
            key: key.to_string(),
        })
    });

    let path = request.uri().path().to_string();
    let client_ip = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map_or_else(|| "unknown".to_string(), |ci| ci.0.ip().to_string());

    let method = request.method().clone();
    let mut request = request;
    if is_unsafe(&method) && !csrf_exempt(&path) {
        let (parts, body) = request.into_parts();
        let is_urlencoded = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        let (submitted, body) = if is_urlencoded {
            let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
                return LOCALE
                    .scope(locale, async {
                        StatusCode::PAYLOAD_TOO_LARGE.into_response()
                    })
                    .await;
            };
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
            let token = pairs
                .into_iter()
                .find(|(k, _)| k == CSRF_FIELD)
                .map(|(_, v)| v);
            (token, Body::from(bytes))
        } else {
            // Multipart uploads carry the token in the form's action URL or a header.
            let token = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
                .or_else(|| submitted_token_in_query(parts.uri.query()));
            (token, body)
        };
        let valid = existing_csrf.as_deref().is_some_and(|cookie| {
            submitted.as_deref().is_some_and(|token| {
                security::csrf_token_is_valid(&settings.secret_key, cookie, token)
            })
        });
        if !valid {
            tracing::warn!(path = %path, "refused a form post without a valid CSRF token");
            return LOCALE
                .scope(locale, async { WebError::Csrf.into_response() })
                .await;
        }
        request = Request::from_parts(parts, body);
    }

    let had_flash = flash.is_some();
    request.extensions_mut().insert(RequestMeta {
        csrf_token,
        locale,
        flash,
        path,
        client_ip,
        dev_mailbox: settings.dev_mailbox,
    });

    let mut response = LOCALE.scope(locale, next.run(request)).await;

    let headers = response.headers_mut();
    if existing_csrf.is_none() {
        let cookie = Cookie::build((CSRF_COOKIE, csrf_cookie))
            .path("/")
            .http_only(true)
            .secure(settings.secure_cookies)
            .same_site(SameSite::Lax)
            .build();
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    // A flash is shown once: clear it when a page displayed it.
    let is_page = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html"));
    let sets_new_flash = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.to_str().is_ok_and(|s| s.starts_with(FLASH_COOKIE)));
    if had_flash && is_page && !sets_new_flash {
        let clear = format!("{FLASH_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
        if let Ok(value) = HeaderValue::from_str(&clear) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    // Activation and reset links carry secrets in the URL: never leak them as Referer.
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    response
}
