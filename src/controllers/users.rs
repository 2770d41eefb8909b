//! Paramètres > Utilisateurs (admins only).

use axum::{
    extract::{Path, State},
    response::Response,
    Form,
};
use loco_rs::prelude::*;
use serde::Deserialize;
use serde_json::json;

use super::form_failure;
use crate::{
    models::_entities::users,
    services::{user_admin, ServiceError},
    web::{
        forms::ConfirmForm, redirect_with_flash, AdminUser, FlashKind, Page, RequestMeta, WebError,
    },
};

const LIST: &str = "/settings/users";

fn user_row(user: &users::Model, me: &users::Model) -> serde_json::Value {
    json!({
        "pid": user.pid.to_string(),
        "name": user.name,
        "email": user.email,
        "role": user.role,
        "active": user.activated_at.is_some(),
        "is_me": user.id == me.id,
    })
}

async fn index(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    AdminUser(admin): AdminUser,
) -> Result<Response, WebError> {
    let rows: Vec<_> = user_admin::list(&ctx, admin.company_id()?)
        .await?
        .iter()
        .map(|u| user_row(u, &admin.user))
        .collect();
    Page::new(&meta, Some(&admin), "settings-users")
        .render("users/index.html", json!({ "users": rows }))
}

async fn invite_form(meta: RequestMeta, AdminUser(admin): AdminUser) -> Result<Response, WebError> {
    Page::new(&meta, Some(&admin), "settings-users")
        .render("users/invite.html", json!({ "form": { "role": "member" } }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InviteForm {
    name: String,
    email: String,
    role: String,
}

async fn invite(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    AdminUser(admin): AdminUser,
    Form(form): Form<InviteForm>,
) -> Result<Response, WebError> {
    let page = Page::new(&meta, Some(&admin), "settings-users");
    let company = admin.company.clone().ok_or(WebError::Forbidden)?;
    let data = json!({ "form": { "name": form.name, "email": form.email, "role": form.role } });
    let input = user_admin::Invitation {
        name: form.name,
        email: form.email,
        role: form.role,
        locale: meta.locale,
    };
    match user_admin::invite(&ctx, &company, &admin.user, input).await {
        Ok(_) => Ok(redirect_with_flash(
            LIST,
            FlashKind::Success,
            "flash-user-invited",
        )),
        Err(error) => form_failure(&page, "users/invite.html", data, error),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RoleForm {
    role: String,
}

async fn change_role(
    State(ctx): State<AppContext>,
    AdminUser(admin): AdminUser,
    Path(pid): Path<String>,
    Form(form): Form<RoleForm>,
) -> Result<Response, WebError> {
    match user_admin::change_role(&ctx, admin.company_id()?, &pid, &form.role).await {
        Ok(_) => Ok(redirect_with_flash(
            LIST,
            FlashKind::Success,
            "flash-role-changed",
        )),
        Err(ServiceError::Refused(code)) => Ok(redirect_with_flash(
            LIST,
            FlashKind::Error,
            &format!("err-{code}"),
        )),
        Err(ServiceError::Invalid(_)) => Ok(redirect_with_flash(
            LIST,
            FlashKind::Error,
            "err-role-invalid",
        )),
        Err(error) => Err(error.into()),
    }
}

async fn remove_confirmation(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    AdminUser(admin): AdminUser,
    Path(pid): Path<String>,
) -> Result<Response, WebError> {
    let target = user_admin::find_in_company(&ctx.db, admin.company_id()?, &pid).await?;
    Page::new(&meta, Some(&admin), "settings-users").render(
        "users/remove.html",
        json!({ "target": user_row(&target, &admin.user) }),
    )
}

async fn remove(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    AdminUser(admin): AdminUser,
    Path(pid): Path<String>,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, WebError> {
    let company_id = admin.company_id()?;
    if !form.confirmed() {
        let target = user_admin::find_in_company(&ctx.db, company_id, &pid).await?;
        return Page::new(&meta, Some(&admin), "settings-users").render_unconfirmed(
            "users/remove.html",
            json!({ "target": user_row(&target, &admin.user) }),
        );
    }
    match user_admin::remove(&ctx, company_id, &admin.user, &pid).await {
        Ok(_) => Ok(redirect_with_flash(
            LIST,
            FlashKind::Success,
            "flash-user-removed",
        )),
        Err(ServiceError::Refused(code)) => Ok(redirect_with_flash(
            LIST,
            FlashKind::Error,
            &format!("err-{code}"),
        )),
        Err(error) => Err(error.into()),
    }
}

pub fn routes() -> Routes {
    Routes::new()
        .prefix("/settings/users")
        .add("/", get(index))
        .add("/invite", get(invite_form).post(invite))
        .add("/{pid}/role", post(change_role))
        .add("/{pid}/remove", get(remove_confirmation).post(remove))
}
