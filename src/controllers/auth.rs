//! Sign-up, activation, login/logout, password reset.

use axum::{
    extract::{Path, Query, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use axum_extra::extract::cookie::CookieJar;
use loco_rs::prelude::*;
use serde::Deserialize;
use serde_json::json;

use super::{
    form_failure,
    home::{home_path, safe_return_path},
};
use crate::{
    domain::{locale::Locale, roles::Role},
    services::{
        accounts::{self, LoginOutcome, SignUp},
        ServiceError,
    },
    settings::Settings,
    web::{
        redirect_with_flash, FlashKind, MaybeUser, Page, RequestMeta, WebError, LANG_COOKIE,
        SESSION_COOKIE,
    },
};

#[derive(Deserialize, Default)]
#[serde(default)]
struct SignUpForm {
    company_name: String,
    name: String,
    email: String,
    password: String,
    password_confirmation: String,
}

async fn signup_form(meta: RequestMeta) -> Result<Response, WebError> {
    Page::new(&meta, None, "signup").render("auth/signup.html", json!({ "form": {} }))
}

async fn signup(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    Form(form): Form<SignUpForm>,
) -> Result<Response, WebError> {
    let page = Page::new(&meta, None, "signup");
    let data = json!({ "form": { "company_name": form.company_name, "name": form.name, "email": form.email } });
    let input = SignUp {
        company_name: form.company_name,
        name: form.name,
        email: form.email,
        password: form.password,
        password_confirmation: form.password_confirmation,
        locale: meta.locale,
    };
    match accounts::sign_up(&ctx, input).await {
        Ok(user) => page.render("auth/signup_done.html", json!({ "email": user.email })),
        Err(error) => form_failure(&page, "auth/signup.html", data, error),
    }
}

async fn activation_form(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let page = Page::new(&meta, None, "activate");
    match accounts::find_by_activation_token(&ctx, &token).await {
        Ok(user) => page.render(
            "auth/activate.html",
            json!({ "token": token, "needs_password": user.password_hash.is_none(), "email": user.email }),
        ),
        Err(ServiceError::NotFound) => dead_link(&page),
        Err(e) => Err(e.into()),
    }
}

fn dead_link(page: &Page<'_>) -> Result<Response, WebError> {
    let mut response = page.render("auth/dead_link.html", json!({}))?;
    *response.status_mut() = StatusCode::NOT_FOUND;
    Ok(response)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PasswordForm {
    password: String,
    password_confirmation: String,
}

async fn activate(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    Path(token): Path<String>,
    Form(form): Form<PasswordForm>,
) -> Result<Response, WebError> {
    let page = Page::new(&meta, None, "activate");
    let password = (!form.password.is_empty() || !form.password_confirmation.is_empty())
        .then_some((form.password.as_str(), form.password_confirmation.as_str()));
    match accounts::activate(&ctx, &token, password).await {
        Ok(_) => Ok(redirect_with_flash(
            "/login",
            FlashKind::Success,
            "flash-account-activated",
        )),
        Err(ServiceError::NotFound) => dead_link(&page),
        Err(error) => form_failure(
            &page,
            "auth/activate.html",
            json!({ "token": token, "needs_password": true }),
            error,
        ),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NextQuery {
    next: String,
}

async fn login_form(
    meta: RequestMeta,
    MaybeUser(user): MaybeUser,
    Query(query): Query<NextQuery>,
) -> Result<Response, WebError> {
    if let Some(user) = user {
        return Ok(Redirect::to(home_path(user.role)).into_response());
    }
    Page::new(&meta, None, "login")
        .render("auth/login.html", json!({ "form": {}, "next": query.next }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginForm {
    email: String,
    password: String,
    next: String,
}

async fn login(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    Form(form): Form<LoginForm>,
) -> Result<Response, WebError> {
    let page = Page::new(&meta, None, "login");
    let data = json!({ "form": { "email": form.email }, "next": form.next });
    let refused = |key: &str, status: StatusCode| -> Result<Response, WebError> {
        let mut data = data.clone();
        data["login_error"] = json!(key);
        let mut response = page.render("auth/login.html", data)?;
        *response.status_mut() = status;
        Ok(response)
    };
    match accounts::log_in(&ctx, &form.email, &form.password, &meta.client_ip).await? {
        LoginOutcome::LoggedIn {
            session_token,
            user,
        } => {
            let role = Role::parse(&user.role).unwrap_or(Role::Member);
            let target = safe_return_path(&form.next).unwrap_or(home_path(role));
            let mut response = Redirect::to(target).into_response();
            let settings = Settings::of(&ctx);
            let secure = if settings.secure_cookies {
                "; Secure"
            } else {
                ""
            };
            let max_age = crate::domain::account::SESSION_VALID_DAYS * 24 * 3600;
            let session = format!("{SESSION_COOKIE}={session_token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
            let locale = Locale::from_tag(&user.locale).unwrap_or_default();
            let lang = format!(
                "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}",
                locale.tag()
            );
            for cookie in [session, lang] {
                if let Ok(value) = HeaderValue::from_str(&cookie) {
                    response.headers_mut().append(header::SET_COOKIE, value);
                }
            }
            Ok(response)
        }
        LoginOutcome::WrongCredentials => {
            refused("err-login-failed", StatusCode::UNPROCESSABLE_ENTITY)
        }
        LoginOutcome::NotActivated => {
            refused("err-login-not-activated", StatusCode::UNPROCESSABLE_ENTITY)
        }
        LoginOutcome::Throttled => refused("err-login-throttled", StatusCode::TOO_MANY_REQUESTS),
    }
}

async fn logout(State(ctx): State<AppContext>, jar: CookieJar) -> Result<Response, WebError> {
    if let Some(cookie) = jar.get(SESSION_COOKIE) {
        accounts::log_out(&ctx, cookie.value()).await?;
    }
    let mut response = redirect_with_flash("/login", FlashKind::Info, "flash-logged-out");
    let clear = format!("{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
    if let Ok(value) = HeaderValue::from_str(&clear) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

async fn forgot_form(meta: RequestMeta) -> Result<Response, WebError> {
    Page::new(&meta, None, "forgot").render("auth/forgot.html", json!({ "form": {} }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ForgotForm {
    email: String,
}

async fn forgot(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    Form(form): Form<ForgotForm>,
) -> Result<Response, WebError> {
    let page = Page::new(&meta, None, "forgot");
    match accounts::request_password_reset(&ctx, &form.email).await {
        // Same answer whether or not the address has an account.
        Ok(()) => Ok(redirect_with_flash(
            "/login",
            FlashKind::Info,
            "flash-reset-sent",
        )),
        Err(error) => form_failure(
            &page,
            "auth/forgot.html",
            json!({ "form": { "email": form.email } }),
            error,
        ),
    }
}

async fn reset_form(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let page = Page::new(&meta, None, "reset");
    match accounts::find_by_reset_token(&ctx, &token).await {
        Ok(_) => page.render("auth/reset.html", json!({ "token": token })),
        Err(ServiceError::NotFound) => dead_link(&page),
        Err(e) => Err(e.into()),
    }
}

async fn reset(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    Path(token): Path<String>,
    Form(form): Form<PasswordForm>,
) -> Result<Response, WebError> {
    let page = Page::new(&meta, None, "reset");
    match accounts::reset_password(&ctx, &token, &form.password, &form.password_confirmation).await
    {
        Ok(_) => Ok(redirect_with_flash(
            "/login",
            FlashKind::Success,
            "flash-password-changed",
        )),
        Err(ServiceError::NotFound) => dead_link(&page),
        Err(error) => form_failure(&page, "auth/reset.html", json!({ "token": token }), error),
    }
}

pub fn routes() -> Routes {
    Routes::new()
        .add("/signup", get(signup_form).post(signup))
        .add("/activate/{token}", get(activation_form).post(activate))
        .add("/login", get(login_form).post(login))
        .add("/logout", post(logout))
        .add("/password/forgot", get(forgot_form).post(forgot))
        .add("/password/reset/{token}", get(reset_form).post(reset))
}
