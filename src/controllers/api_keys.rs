//! Paramètres > Clés d'API (admins only): keys for ERPs that push data through `/api/`.

use axum::{
    extract::{Path, State},
    response::Response,
    Form,
};
use loco_rs::prelude::*;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{
    models::_entities::api_keys,
    security,
    services::{api_keys as keys, ServiceError},
    views::{paris_date, paris_datetime},
    web::{
        forms::ConfirmForm, redirect_with_flash, AdminUser, FlashKind, Page, RequestMeta, WebError,
    },
};

const LIST: &str = "/settings/api-keys";
const ACTIVE: &str = "settings-api-keys";
const TEMPLATE: &str = "settings/api_keys.html";

fn key_row(key: &api_keys::Model) -> Value {
    json!({
        "pid": key.pid.to_string(),
        "name": key.name,
        "prefix": key.prefix,
        "created": paris_date(&key.created_at),
        "last_used": key.last_used_at.as_ref().map(paris_datetime),
        "revoked": key.revoked_at.as_ref().map(paris_date),
    })
}

async fn list_data(
    ctx: &AppContext,
    company_id: i64,
    name: &str,
    secret: Option<&str>,
) -> Result<Value, WebError> {
    let rows: Vec<Value> = keys::list(ctx, company_id)
        .await?
        .iter()
        .map(key_row)
        .collect();
    Ok(json!({
        "keys": rows,
        "form": { "name": name },
        "form_key": security::random_token(),
        "secret": secret,
    }))
}

async fn index(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    AdminUser(admin): AdminUser,
) -> Result<Response, WebError> {
    let data = list_data(&ctx, admin.company_id()?, "", None).await?;
    Page::new(&meta, Some(&admin), ACTIVE).render(TEMPLATE, data)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CreateForm {
    name: String,
    form_key: String,
}

/// The new key is shown on this response only: it is stored hashed.
async fn create(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    AdminUser(admin): AdminUser,
    Form(form): Form<CreateForm>,
) -> Result<Response, WebError> {
    let company_id = admin.company_id()?;
    let page = Page::new(&meta, Some(&admin), ACTIVE);
    let key = (!form.form_key.is_empty()).then_some(form.form_key.as_str());
    match keys::create(&ctx, company_id, &admin.user, &form.name, key).await {
        Ok((_, Some(secret))) => {
            let mut data = list_data(&ctx, company_id, "", Some(&secret)).await?;
            data["flash"] = json!({ "kind": "success", "key": "flash-api-key-created" });
            let mut response = page.render(TEMPLATE, data)?;
            // The secret must not stay in any cache.
            response.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            Ok(response)
        }
        Ok((_, None)) => Ok(redirect_with_flash(
            LIST,
            FlashKind::Info,
            "flash-api-key-already-created",
        )),
        Err(ServiceError::Invalid(errors)) => {
            let data = list_data(&ctx, company_id, &form.name, None).await?;
            page.render_invalid(TEMPLATE, data, &errors)
        }
        Err(error) => Err(error.into()),
    }
}

async fn revoke_confirmation(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    AdminUser(admin): AdminUser,
    Path(pid): Path<String>,
) -> Result<Response, WebError> {
    let key = keys::find(&ctx, admin.company_id()?, &pid).await?;
    Page::new(&meta, Some(&admin), ACTIVE).render(
        "settings/api_key_revoke.html",
        json!({ "key": key_row(&key) }),
    )
}

async fn revoke(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    AdminUser(admin): AdminUser,
    Path(pid): Path<String>,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, WebError> {
    let company_id = admin.company_id()?;
    if !form.confirmed() {
        let key = keys::find(&ctx, company_id, &pid).await?;
        return Page::new(&meta, Some(&admin), ACTIVE).render_unconfirmed(
            "settings/api_key_revoke.html",
            json!({ "key": key_row(&key) }),
        );
    }
    keys::revoke(&ctx, company_id, &pid).await?;
    Ok(redirect_with_flash(
        LIST,
        FlashKind::Success,
        "flash-api-key-revoked",
    ))
}

pub fn routes() -> Routes {
    Routes::new()
        .prefix(LIST)
        .add("/", get(index).post(create))
        .add("/{pid}/revoke", get(revoke_confirmation).post(revoke))
}
