//! Gestion commerciale > Vente > Comptes clients: directory, client page with its tabs,
//! create, edit, deactivate / reactivate, delete after confirmation.

use axum::{
    extract::{Path, Query, State},
    response::Response,
    Form,
};
use loco_rs::prelude::*;
use serde::Deserialize;
use serde_json::{json, Value};

use super::form_failure;
use crate::{
    domain::{
        client::{ClientAccount, ClientSearch, ClientSort, Paging, StatusFilter},
        locale::Locale,
        money::format_cents,
    },
    security,
    services::{clients, ServiceError},
    views::client::{client_fields, client_view, country_options},
    web::{
        forms::{ClientFields, ConfirmForm},
        redirect_with_flash, FlashKind, Page, RequestMeta, SellerUser, WebError,
    },
};

const LIST: &str = "/sales/clients";
const ACTIVE: &str = "sales-clients";

fn client_path(pid: &str) -> String {
    format!("{LIST}/{pid}")
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct ListParams {
    q: String,
    status: String,
    sort: String,
    page: Option<u64>,
}

/// The list URL with these parameters (blank ones left out).
fn list_href(q: &str, status: StatusFilter, sort: ClientSort, page: u64) -> String {
    let mut params = Vec::new();
    if !q.trim().is_empty() {
        params.push(format!("q={}", urlencoding::encode(q.trim())));
    }
    if status != StatusFilter::default() {
        params.push(format!("status={}", status.as_str()));
    }
    if sort != ClientSort::default() {
        params.push(format!("sort={}", urlencoding::encode(sort.as_str())));
    }
    if page > 1 {
        params.push(format!("page={page}"));
    }
    if params.is_empty() {
        LIST.to_string()
    } else {
        format!("{LIST}?{}", params.join("&"))
    }
}

async fn index(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Query(params): Query<ListParams>,
) -> Result<Response, WebError> {
    let status = StatusFilter::parse(&params.status);
    let sort = ClientSort::parse(&params.sort);
    let paging = Paging::new(params.page, None);
    let query = clients::ClientQuery {
        search: ClientSearch::parse(&params.q),
        status,
        sort,
        paging: Some(paging),
    };
    let (rows, total) = clients::search(&ctx, user.company_id()?, &query).await?;
    let pages = paging.pages(total);
    let q = params.q.trim();
    let sort_links: Value = ["name", "customer_number", "created"]
        .iter()
        .map(|column| {
            let next = sort.toggled(column);
            let current = match sort {
                ClientSort::NameAsc | ClientSort::NameDesc => "name",
                ClientSort::CustomerNumberAsc | ClientSort::CustomerNumberDesc => "customer_number",
                ClientSort::CreatedAsc | ClientSort::CreatedDesc => "created",
            };
            let direction = if current == *column {
                if sort.as_str().starts_with('-') {
                    "descending"
                } else {
                    "ascending"
                }
            } else {
                "none"
            };
            (
                (*column).to_string(),
                json!({ "href": list_href(q, status, next, 1), "aria": direction }),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into();
    let statuses: Vec<Value> = [StatusFilter::Active, StatusFilter::Inactive, StatusFilter::All]
        .iter()
        .map(|s| json!({ "value": s.as_str(), "href": list_href(q, *s, sort, 1), "current": *s == status }))
        .collect();
    Page::new(&meta, Some(&user), ACTIVE).render(
        "clients/index.html",
        json!({
            "clients": rows.iter().map(|c| client_view(c, meta.locale)).collect::<Vec<_>>(),
            "q": q,
            "status": status.as_str(),
            "sort": sort.as_str(),
            "sort_links": sort_links,
            "statuses": statuses,
            "total": total,
            "page": paging.page,
            "pages": pages,
            "prev": (paging.page > 1).then(|| list_href(q, status, sort, paging.page - 1)),
            "next": (paging.page < pages).then(|| list_href(q, status, sort, paging.page + 1)),
        }),
    )
}

fn form_data(
    locale: Locale,
    form: &ClientFields,
    form_key: &str,
    action: &str,
    editing: Option<&str>,
) -> Value {
    let cancel = action.strip_suffix("/edit").unwrap_or(LIST);
    json!({
        "cancel": cancel,
        "form": form,
        "form_key": form_key,
        "action": action,
        "editing": editing,
        "countries": country_options(locale),
        "delivery_open": !form.delivery_street.trim().is_empty()
            || !form.delivery_postcode.trim().is_empty()
            || !form.delivery_city.trim().is_empty(),
    })
}

async fn new_form(meta: RequestMeta, SellerUser(user): SellerUser) -> Result<Response, WebError> {
    let form = ClientFields {
        billing_country: "FR".into(),
        ..Default::default()
    };
    Page::new(&meta, Some(&user), ACTIVE).render(
        "clients/form.html",
        form_data(meta.locale, &form, &security::random_token(), LIST, None),
    )
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct ClientForm {
    #[serde(flatten)]
    fields: ClientFields,
    /// One-time key of this form: a double submit creates one client.
    form_key: String,
}

fn parse_account(fields: &ClientFields) -> Result<ClientAccount, ServiceError> {
    ClientAccount::parse(&fields.input()).map_err(ServiceError::Invalid)
}

async fn create(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Form(form): Form<ClientForm>,
) -> Result<Response, WebError> {
    let company_id = user.company_id()?;
    let key = (!form.form_key.is_empty()).then_some(form.form_key.as_str());
    let result = match parse_account(&form.fields) {
        Ok(account) => clients::create(&ctx, company_id, &account, key).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(created) => Ok(redirect_with_flash(
            &client_path(&created.client.pid.to_string()),
            FlashKind::Success,
            if created.replayed {
                "flash-client-already-created"
            } else {
                "flash-client-created"
            },
        )),
        Err(error) => form_failure(
            &Page::new(&meta, Some(&user), ACTIVE),
            "clients/form.html",
            form_data(meta.locale, &form.fields, &form.form_key, LIST, None),
            error,
        ),
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct TabParams {
    tab: String,
}

async fn show(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
    Query(params): Query<TabParams>,
) -> Result<Response, WebError> {
    let client = clients::find(&ctx.db, user.company_id()?, &pid).await?;
    let tab = match params.tab.as_str() {
        "invoices" | "subscriptions" => params.tab.as_str(),
        _ => "information",
    };
    let today = crate::services::issue_invoice::paris_date(crate::clock::of(&ctx).now());
    let (documents, figures) = crate::services::invoices::client_figures(&ctx, client.id).await?;
    let pending: Vec<_> = figures.pending.iter().map(|(d, _)| d.clone()).collect();
    let shown = if tab == "invoices" {
        &documents
    } else {
        &pending
    };
    let rows = super::invoices::rows_with_clients(&ctx, shown, today, meta.locale).await?;
    let subscriptions = if tab == "subscriptions" {
        super::subscriptions::client_rows(&ctx, client.company_id, client.id, today, meta.locale)
            .await?
    } else {
        Vec::new()
    };
    let credit = crate::services::payments::client_credit(&ctx.db, client.id).await?;
    let settings = crate::settings::Settings::of(&ctx);
    let payment_url =
        crate::services::payment_links::live(&ctx.db, &settings.secret_key, client.id)
            .await?
            .map(|link| crate::services::payment_links::UrlMaker::of(&ctx).url(&link, None));
    Page::new(&meta, Some(&user), ACTIVE).render(
        "clients/show.html",
        json!({
            "client": client_view(&client, meta.locale),
            "totals": {
                "invoiced": format_cents(figures.invoiced_cents, meta.locale),
                "outstanding": format_cents(figures.outstanding_cents, meta.locale),
                "credit": format_cents(credit, meta.locale),
                "has_credit": credit > 0,
            },
            "payment_url": payment_url,
            "rows": rows,
            "subscriptions": subscriptions,
            "tab": tab,
        }),
    )
}

async fn edit_form(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
) -> Result<Response, WebError> {
    let client = clients::find(&ctx.db, user.company_id()?, &pid).await?;
    let action = format!("{}/edit", client_path(&pid));
    Page::new(&meta, Some(&user), ACTIVE).render(
        "clients/form.html",
        form_data(
            meta.locale,
            &client_fields(&client),
            "",
            &action,
            Some(&client.legal_name),
        ),
    )
}

async fn update(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
    Form(form): Form<ClientForm>,
) -> Result<Response, WebError> {
    let company_id = user.company_id()?;
    // Another company's client answers 404 before any validation message is shown.
    let client = clients::find(&ctx.db, company_id, &pid).await?;
    let result = match parse_account(&form.fields) {
        Ok(account) => clients::update(&ctx, company_id, &pid, &account).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(redirect_with_flash(
            &client_path(&pid),
            FlashKind::Success,
            "flash-client-saved",
        )),
        Err(error) => form_failure(
            &Page::new(&meta, Some(&user), ACTIVE),
            "clients/form.html",
            form_data(
                meta.locale,
                &form.fields,
                "",
                &format!("{}/edit", client_path(&pid)),
                Some(&client.legal_name),
            ),
            error,
        ),
    }
}

/// Deactivate (`active` false) or reactivate a client.
async fn switch_active(
    ctx: &AppContext,
    user: &crate::web::CurrentUser,
    pid: &str,
    active: bool,
) -> Result<Response, WebError> {
    clients::set_active(ctx, user.company_id()?, pid, active).await?;
    let flash = if active {
        "flash-client-reactivated"
    } else {
        "flash-client-deactivated"
    };
    Ok(redirect_with_flash(
        &client_path(pid),
        FlashKind::Success,
        flash,
    ))
}

async fn deactivate(
    State(ctx): State<AppContext>,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
) -> Result<Response, WebError> {
    switch_active(&ctx, &user, &pid, false).await
}

async fn reactivate(
    State(ctx): State<AppContext>,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
) -> Result<Response, WebError> {
    switch_active(&ctx, &user, &pid, true).await
}

async fn delete_confirmation(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
) -> Result<Response, WebError> {
    let client = clients::find(&ctx.db, user.company_id()?, &pid).await?;
    Page::new(&meta, Some(&user), ACTIVE).render(
        "clients/delete.html",
        json!({ "client": client_view(&client, meta.locale) }),
    )
}

async fn delete(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, WebError> {
    let company_id = user.company_id()?;
    if !form.confirmed() {
        let client = clients::find(&ctx.db, company_id, &pid).await?;
        return Page::new(&meta, Some(&user), ACTIVE).render_unconfirmed(
            "clients/delete.html",
            json!({ "client": client_view(&client, meta.locale) }),
        );
    }
    match clients::delete(&ctx, company_id, &pid).await {
        Ok(_) => Ok(redirect_with_flash(
            LIST,
            FlashKind::Success,
            "flash-client-deleted",
        )),
        Err(ServiceError::Refused(code)) => Ok(redirect_with_flash(
            &client_path(&pid),
            FlashKind::Error,
            &format!("err-{code}"),
        )),
        Err(error) => Err(error.into()),
    }
}

pub fn routes() -> Routes {
    Routes::new()
        .prefix(LIST)
        .add("/", get(index).post(create))
        .add("/new", get(new_form))
        .add("/{pid}", get(show))
        .add("/{pid}/edit", get(edit_form).post(update))
        .add("/{pid}/deactivate", post(deactivate))
        .add("/{pid}/reactivate", post(reactivate))
        .add("/{pid}/delete", get(delete_confirmation).post(delete))
}
