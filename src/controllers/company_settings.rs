//! Paramètres > Entreprise (admins only): the company profile, invoice settings and logo.

use axum::{
    extract::{Multipart, State},
    http::header,
    response::{IntoResponse, Response},
    Form,
};
use loco_rs::prelude::*;
use serde_json::{json, Value};

use super::form_failure;
use crate::{
    domain::{
        company::{CompanyProfile, LEGAL_FORMS},
        error::FieldErrors,
        locale::Locale,
        upload::MAX_LOGO_BYTES,
    },
    i18n,
    models::_entities::companies,
    services::{company_profile, ServiceError},
    views::{
        client::country_options,
        company::{company_fields, profile_complete},
    },
    web::{
        forms::{CompanyFields, ConfirmForm},
        redirect_with_flash, AdminUser, FlashKind, Page, RequestMeta, SellerUser, WebError,
    },
};

const PAGE: &str = "/settings/company";
const TEMPLATE: &str = "settings/company.html";
const ACTIVE: &str = "settings-company";

/// The profile page; `typed` is the form as submitted when it is shown again with errors,
/// otherwise the stored profile is shown.
async fn page_data(
    ctx: &AppContext,
    locale: Locale,
    company: &companies::Model,
    typed: Option<&CompanyFields>,
) -> Result<Value, WebError> {
    let logo = company_profile::logo(ctx, company.id).await?;
    let form = typed.map_or_else(|| company_fields(company, locale), Clone::clone);
    Ok(json!({
        "form": form,
        "legal_forms": LEGAL_FORMS
            .iter()
            .map(|f| [(*f).to_string(), i18n::tr(locale, &format!("legal-form-{f}"))])
            .collect::<Vec<_>>(),
        "countries": country_options(locale),
        "logo": logo.map(|l| json!({ "width": l.width, "height": l.height, "version": &l.sha256[..12] })),
        "logo_max_kb": MAX_LOGO_BYTES / 1024,
        "complete": profile_complete(company),
    }))
}

async fn show(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    AdminUser(admin): AdminUser,
) -> Result<Response, WebError> {
    let company = admin.company.clone().ok_or(WebError::Forbidden)?;
    let data = page_data(&ctx, meta.locale, &company, None).await?;
    Page::new(&meta, Some(&admin), ACTIVE).render(TEMPLATE, data)
}

async fn save(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    AdminUser(admin): AdminUser,
    Form(form): Form<CompanyFields>,
) -> Result<Response, WebError> {
    let company = admin.company.clone().ok_or(WebError::Forbidden)?;
    let result = match CompanyProfile::parse(&form.input()) {
        Ok(profile) => company_profile::update(&ctx, company.id, &profile).await,
        Err(errors) => Err(ServiceError::Invalid(errors)),
    };
    match result {
        Ok(_) => Ok(redirect_with_flash(
            PAGE,
            FlashKind::Success,
            "flash-company-saved",
        )),
        Err(error) => {
            let data = page_data(&ctx, meta.locale, &company, Some(&form)).await?;
            form_failure(
                &Page::new(&meta, Some(&admin), ACTIVE),
                TEMPLATE,
                data,
                error,
            )
        }
    }
}

/// Reads the `logo` file of a multipart form (the CSRF token travels in the action URL).
async fn uploaded_logo(mut multipart: Multipart) -> Result<Vec<u8>, &'static str> {
    let too_large = |status: axum::http::StatusCode| {
        if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            "file-too-large"
        } else {
            "file-required"
        }
    };
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("logo") => {
                return field
                    .bytes()
                    .await
                    .map(|b| b.to_vec())
                    .map_err(|e| too_large(e.status()));
            }
            Ok(Some(_)) => {}
            Ok(None) => return Err("file-required"),
            Err(e) => return Err(too_large(e.status())),
        }
    }
}

async fn upload_logo(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    AdminUser(admin): AdminUser,
    multipart: Multipart,
) -> Result<Response, WebError> {
    let company = admin.company.clone().ok_or(WebError::Forbidden)?;
    let result = match uploaded_logo(multipart).await {
        Ok(bytes) => company_profile::set_logo(&ctx, company.id, &bytes).await,
        Err(code) => Err(ServiceError::Invalid(FieldErrors::single("logo", code))),
    };
    match result {
        Ok(_) => Ok(redirect_with_flash(
            PAGE,
            FlashKind::Success,
            "flash-logo-saved",
        )),
        Err(error) => {
            let data = page_data(&ctx, meta.locale, &company, None).await?;
            form_failure(
                &Page::new(&meta, Some(&admin), ACTIVE),
                TEMPLATE,
                data,
                error,
            )
        }
    }
}

/// The logo, for the pages of the company (and, later, its documents).
async fn logo(
    State(ctx): State<AppContext>,
    SellerUser(user): SellerUser,
) -> Result<Response, WebError> {
    let logo = company_profile::logo(&ctx, user.company_id()?)
        .await?
        .ok_or(WebError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, logo.content_type),
            (header::CACHE_CONTROL, "private, max-age=300".to_string()),
        ],
        logo.content,
    )
        .into_response())
}

async fn remove_logo_confirmation(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    AdminUser(admin): AdminUser,
) -> Result<Response, WebError> {
    company_profile::logo(&ctx, admin.company_id()?)
        .await?
        .ok_or(WebError::NotFound)?;
    Page::new(&meta, Some(&admin), ACTIVE).render("settings/logo_remove.html", json!({}))
}

async fn remove_logo(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    AdminUser(admin): AdminUser,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, WebError> {
    if !form.confirmed() {
        return Page::new(&meta, Some(&admin), ACTIVE)
            .render_unconfirmed("settings/logo_remove.html", json!({}));
    }
    company_profile::remove_logo(&ctx, admin.company_id()?).await?;
    Ok(redirect_with_flash(
        PAGE,
        FlashKind::Success,
        "flash-logo-removed",
    ))
}

pub fn routes() -> Routes {
    Routes::new()
        .prefix("/settings/company")
        .add("/", get(show).post(save))
        .add("/logo", get(logo).post(upload_logo))
        .add(
            "/logo/remove",
            get(remove_logo_confirmation).post(remove_logo),
        )
}
