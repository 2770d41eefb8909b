use axum::{
    extract::State,
    http::{header, HeaderValue},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use loco_rs::prelude::*;
use serde::Deserialize;

use crate::{
    domain::{locale::Locale, roles::Role},
    services::accounts,
    settings::Settings,
    web::{MaybeUser, WebError, LANG_COOKIE},
};

/// Where a user lands after login.
#[must_use]
pub fn home_path(role: Role) -> &'static str {
    match role {
        Role::Staff => "/staff",
        Role::Admin | Role::Member => "/dashboard",
    }
}

async fn root(MaybeUser(user): MaybeUser) -> Response {
    match user {
        Some(user) => Redirect::to(home_path(user.role)).into_response(),
        None => Redirect::to("/login").into_response(),
    }
}

/// Only same-site relative paths: an open redirect would help phishing.
#[must_use]
pub fn safe_return_path(candidate: &str) -> Option<&str> {
    let ok =
        candidate.starts_with('/') && !candidate.starts_with("//") && !candidate.contains('\\');
    ok.then_some(candidate)
}

#[derive(Deserialize)]
struct LanguageForm {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    return_to: String,
}

async fn set_language(
    State(ctx): State<AppContext>,
    MaybeUser(user): MaybeUser,
    Form(form): Form<LanguageForm>,
) -> Result<Response, WebError> {
    let locale = Locale::from_tag(&form.lang).unwrap_or_default();
    if let Some(user) = user {
        accounts::set_locale(&ctx, user.user, locale).await?;
    }
    let target = safe_return_path(&form.return_to).unwrap_or("/");
    let mut response = Redirect::to(target).into_response();
    let secure = if Settings::of(&ctx).secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}",
        locale.tag()
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/", get(root))
        .add("/language", post(set_language))
}

#[cfg(test)]
mod tests {
    use super::safe_return_path;

    #[test]
    fn refuses_open_redirects() {
        assert_eq!(safe_return_path("/settings/users"), Some("/settings/users"));
        assert_eq!(safe_return_path("//evil.example"), None);
        assert_eq!(safe_return_path("https://evil.example"), None);
        assert_eq!(safe_return_path("/\\evil.example"), None);
    }
}
