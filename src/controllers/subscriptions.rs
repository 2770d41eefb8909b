//! Vente > Abonnements: the subscriptions of the company (also on the client page's
//! Subscriptions tab). Ticked ones are modified, duplicated or stopped, each after a
//! confirmation step; a subscription's page shows its content, schedule, invoices and
//! history.

use axum::{
    extract::{Path, Query, State},
    response::Response,
};
use axum_extra::extract::Form;
use chrono::NaiveDate;
use loco_rs::prelude::*;
use serde::Deserialize;
use serde_json::{json, Value};

use super::invoice_wizard::{apply_row_action, blank_line, Step1Form};
use crate::{
    domain::{
        client::Paging, draft::parse_date, error::FieldErrors, locale::Locale, money::format_cents,
        subscription as schedule,
    },
    i18n,
    models::_entities::subscriptions as subscription_rows,
    services::{
        clients,
        issue_invoice::paris_date,
        subscriptions::{self as subs, Row, State as SubState},
        ServiceError,
    },
    views::{
        invoice::{content_input, unit_options, vat_options},
        paris_datetime,
    },
    web::{redirect_with_flash, FlashKind, Page, RequestMeta, SellerUser, WebError},
};

pub const BASE: &str = "/sales/subscriptions";
pub const ACTIVE: &str = "sales-subscriptions";

fn subscription_path(pid: &str) -> String {
    format!("{BASE}/{pid}")
}

fn day(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

/// A billing failure in the reader's language when it is one of our codes.
fn error_text(reason: &str, locale: Locale) -> String {
    i18n::try_tr(locale, &format!("err-{reason}")).unwrap_or_else(|| reason.to_string())
}

/// A row of the lists (the Abonnements page and the client's tab).
pub fn row_view(row: &Row, today: NaiveDate, locale: Locale) -> Value {
    let s = &row.subscription;
    let state = SubState::of(s, today);
    json!({
        "pid": s.pid.to_string(),
        "client": row.client_name,
        "client_pid": row.client_pid,
        "label": row.version.label,
        "total": format_cents(row.version.total_cents, locale),
        "next": s.next_billing_date.map(day),
        "status": state.key(),
        "stop": s.stop_date.map(day),
        "error": s.last_error.as_deref().map(|e| error_text(e, locale)),
    })
}

/// The rows of one client's subscriptions (client page, Subscriptions tab).
///
/// # Errors
/// Database errors.
pub async fn client_rows(
    ctx: &AppContext,
    company_id: i64,
    client_id: i64,
    today: NaiveDate,
    locale: Locale,
) -> Result<Vec<Value>, WebError> {
    let (rows, _) = subs::list(
        ctx,
        company_id,
        &subs::Filter {
            client_id: Some(client_id),
            state: None,
            paging: None,
        },
        today,
    )
    .await?;
    Ok(rows.iter().map(|r| row_view(r, today, locale)).collect())
}

async fn client_of(
    ctx: &AppContext,
    company_id: i64,
    client_id: i64,
) -> Result<crate::models::_entities::clients::Model, WebError> {
    use crate::models::_entities::clients as client_rows;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    client_rows::Entity::find_by_id(client_id)
        .filter(client_rows::Column::CompanyId.eq(company_id))
        .one(&ctx.db)
        .await?
        .ok_or(WebError::NotFound)
}

fn today(ctx: &AppContext) -> NaiveDate {
    paris_date(crate::clock::of(ctx).now())
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct ListParams {
    state: String,
    client: String,
    page: Option<u64>,
}

async fn index(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Query(params): Query<ListParams>,
) -> Result<Response, WebError> {
    let company_id = user.company_id()?;
    let today = today(&ctx);
    let client = if params.client.is_empty() {
        None
    } else {
        Some(clients::find(&ctx.db, company_id, &params.client).await?)
    };
    let state = match params.state.as_str() {
        "active" | "stopped" | "failed" => Some(params.state.clone()),
        _ => None,
    };
    let paging = Paging::new(params.page, None);
    let (rows, total) = subs::list(
        &ctx,
        company_id,
        &subs::Filter {
            client_id: client.as_ref().map(|c| c.id),
            state: state.clone(),
            paging: Some(paging),
        },
        today,
    )
    .await?;
    let pages = paging.pages(total);
    let query = |page: u64| {
        let mut pairs = Vec::new();
        if let Some(state) = &state {
            pairs.push(format!("state={state}"));
        }
        if !params.client.is_empty() {
            pairs.push(format!("client={}", urlencoding::encode(&params.client)));
        }
        pairs.push(format!("page={page}"));
        format!("{BASE}?{}", pairs.join("&"))
    };
    Page::new(&meta, Some(&user), ACTIVE).render(
        "subscriptions/index.html",
        json!({
            "rows": rows.iter().map(|r| row_view(r, today, meta.locale)).collect::<Vec<_>>(),
            "state": state.clone().unwrap_or_default(),
            "client": client.map(|c| json!({ "pid": c.pid.to_string(), "name": c.legal_name })),
            "total": total,
            "page": paging.page,
            "pages": pages,
            "prev": (paging.page > 1).then(|| query(paging.page - 1)),
            "next": (paging.page < pages).then(|| query(paging.page + 1)),
            "back": BASE,
        }),
    )
}

/// The ticked subscriptions and the action asked for, from a list or a subscription's page;
/// then the confirmation page's fields.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct ActionForm {
    pid: Vec<String>,
    /// "modify", "duplicate" or "stop".
    action: String,
    /// Set by the confirmation page: its submission acts, when confirmed.
    stage: String,
    confirm: String,
    date: String,
    form_key: String,
    /// Where to come back to (a list, a client's tab, a subscription's page).
    back: String,
}

impl ActionForm {
    /// Only our own pages are returned to.
    fn back(&self) -> &str {
        if self.back.starts_with("/sales/") && !self.back.starts_with("//") {
            &self.back
        } else {
            BASE
        }
    }
}

async fn confirmation_data(
    ctx: &AppContext,
    selected: &[subscription_rows::Model],
    form: &ActionForm,
    today: NaiveDate,
    locale: Locale,
) -> Result<Value, WebError> {
    let mut rows = Vec::with_capacity(selected.len());
    for subscription in selected {
        let row = subs::row_of(&ctx.db, subscription.clone()).await?;
        rows.push(row_view(&row, today, locale));
    }
    Ok(json!({
        "action": form.action,
        "rows": rows,
        "date": if form.date.is_empty() { today.to_string() } else { form.date.clone() },
        "today": today.to_string(),
        "form_key": if form.form_key.is_empty() { crate::security::random_token() } else { form.form_key.clone() },
        "back": form.back(),
    }))
}

/// Modifier, Dupliquer or Arrêter for the ticked subscriptions: first the confirmation
/// page, then (confirmed) the action.
async fn act(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Form(form): Form<ActionForm>,
) -> Result<Response, WebError> {
    let company_id = user.company_id()?;
    let today = today(&ctx);
    let back = form.back().to_string();
    if form.pid.is_empty() {
        return Ok(redirect_with_flash(
            &back,
            FlashKind::Error,
            "err-subscription-none-selected",
        ));
    }
    // Every ticked id must be this company's: another company's answers 404.
    let mut selected = Vec::with_capacity(form.pid.len());
    for pid in &form.pid {
        selected.push(subs::find(&ctx.db, company_id, pid).await?);
    }
    let page = Page::new(&meta, Some(&user), ACTIVE);
    match form.action.as_str() {
        "modify" => {
            if form.pid.len() > 1 {
                return Ok(redirect_with_flash(
                    &back,
                    FlashKind::Error,
                    "err-subscription-modify-one",
                ));
            }
            Ok(
                axum::response::Redirect::to(&format!(
                    "{}/modify",
                    subscription_path(&form.pid[0])
                ))
                .into_response(),
            )
        }
        "duplicate" | "stop" => {
            let data = confirmation_data(&ctx, &selected, &form, today, meta.locale).await?;
            if form.stage != "confirm" {
                return page.render("subscriptions/confirm.html", data);
            }
            if form.confirm != "yes" {
                return page.render_unconfirmed("subscriptions/confirm.html", data);
            }
            let date = match parse_date(&form.date) {
                Ok(date) => date,
                Err(code) => {
                    return page.render_invalid(
                        "subscriptions/confirm.html",
                        data,
                        &FieldErrors::single("date", code),
                    )
                }
            };
            let result = if form.action == "stop" {
                subs::stop(&ctx, company_id, Some(&user.user), &form.pid, date)
                    .await
                    .map(|_| "flash-subscriptions-stopped")
            } else {
                let key = (!form.form_key.is_empty()).then_some(form.form_key.as_str());
                subs::duplicate(&ctx, company_id, Some(&user.user), &form.pid, date, key)
                    .await
                    .map(|done| {
                        if done.replayed {
                            "flash-subscriptions-already-duplicated"
                        } else {
                            "flash-subscriptions-duplicated"
                        }
                    })
            };
            match result {
                Ok(flash) => Ok(redirect_with_flash(&back, FlashKind::Success, flash)),
                Err(ServiceError::Refused(code)) => page.render_invalid(
                    "subscriptions/confirm.html",
                    data,
                    &FieldErrors::single("date", code),
                ),
                Err(error) => Err(error.into()),
            }
        }
        _ => Err(WebError::NotFound),
    }
}

async fn show(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
) -> Result<Response, WebError> {
    let company_id = user.company_id()?;
    let subscription = subs::find(&ctx.db, company_id, &pid).await?;
    let today = today(&ctx);
    let client = client_of(&ctx, company_id, subscription.client_id).await?;
    let (_, content) = subs::current(&ctx.db, subscription.id).await?;
    let computed = content.computed();
    let invoices = subs::invoices_of(&ctx, subscription.id).await?;
    let invoice_rows =
        super::invoices::rows_with_clients(&ctx, &invoices, today, meta.locale).await?;
    let invoice_rows: Vec<Value> = invoices
        .iter()
        .zip(invoice_rows)
        .map(|(invoice, mut row)| {
            row["period"] = json!(match (invoice.period_start, invoice.period_end) {
                (Some(start), Some(end)) => format!("{} – {}", day(start), day(end)),
                _ => String::new(),
            });
            row
        })
        .collect();
    let history: Vec<Value> = subs::history(&ctx, subscription.id)
        .await?
        .iter()
        .map(|(event, by)| {
            let detail = match event.kind.as_str() {
                "billing_failed" => event.detail.as_deref().map(|d| error_text(d, meta.locale)),
                "stopped" | "modified" => event
                    .detail
                    .as_deref()
                    .and_then(|d| parse_date(d).ok())
                    .map(day),
                _ => event.detail.clone(),
            };
            json!({
                "kind": event.kind,
                "detail": detail,
                "by": by,
                "at": paris_datetime(&event.created_at),
            })
        })
        .collect();
    let state = SubState::of(&subscription, today);
    let plan = subs::schedule_of(&subscription);
    let lines: Vec<Value> = content
        .lines
        .iter()
        .zip(&computed.line_nets)
        .map(|(line, net)| {
            json!({
                "description": line.description,
                "quantity": crate::views::invoice::decimal_for_input(line.quantity, meta.locale),
                "unit_price": format_cents(crate::domain::invoice::to_cents(line.unit_price), meta.locale),
                "vat": crate::views::invoice::vat_label(line.vat, meta.locale),
                "net": format_cents(*net, meta.locale),
            })
        })
        .collect();
    let source = match subscription.duplicated_from_id {
        Some(id) => {
            use sea_orm::EntityTrait;
            subscription_rows::Entity::find_by_id(id)
                .one(&ctx.db)
                .await?
                .map(|s| s.pid.to_string())
        }
        None => None,
    };
    Page::new(&meta, Some(&user), ACTIVE).render(
        "subscriptions/show.html",
        json!({
            "pid": pid,
            "label": content.label,
            "client": { "pid": client.pid.to_string(), "name": client.legal_name },
            "status": state.key(),
            "start": day(subscription.start_date),
            "day_of_month": schedule::billing_date(subscription.start_date, 0).format("%-d").to_string(),
            "anchor_late": subscription.start_date.format("%d").to_string().parse::<u32>().unwrap_or(1) > 28,
            "stop": subscription.stop_date.map(day),
            "next": subscription.next_billing_date.map(day),
            "next_period": subscription.next_billing_date.map(|_| {
                let period = schedule::period(plan.start, u32::try_from(subscription.next_period).unwrap_or(0));
                format!("{} – {}", day(period.start), day(period.end))
            }),
            "payment_term_days": content.payment_term_days,
            "notes": content.notes,
            "lines": lines,
            "net": format_cents(computed.totals.net_cents, meta.locale),
            "vat": format_cents(computed.totals.vat_cents, meta.locale),
            "total": format_cents(computed.totals.total_cents, meta.locale),
            "error": subscription.last_error.as_deref().map(|e| error_text(e, meta.locale)),
            "error_at": subscription.last_error_at.as_ref().map(paris_datetime),
            "invoices": invoice_rows,
            "history": history,
            "source": source,
            "can_change": subscription.next_billing_date.is_some(),
            "back": subscription_path(&pid),
        }),
    )
}

/// The modification form: the content of the next invoices (label, lines, prices, payment
/// term, discount/charge, notes).
fn modify_data(
    pid: &str,
    input: crate::domain::draft::DraftInput,
    next: Option<NaiveDate>,
    preview: Option<Value>,
    locale: Locale,
) -> Value {
    json!({
        "pid": pid,
        "form": input,
        "next": next.map(day),
        "preview": preview,
        "vat_options": vat_options(locale),
        "unit_options": unit_options(locale),
    })
}

async fn modify_form(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
) -> Result<Response, WebError> {
    let subscription = subs::find(&ctx.db, user.company_id()?, &pid).await?;
    if subscription.next_billing_date.is_none() {
        return Ok(redirect_with_flash(
            &subscription_path(&pid),
            FlashKind::Error,
            "err-subscription-stopped",
        ));
    }
    let (_, content) = subs::current(&ctx.db, subscription.id).await?;
    let mut input = content_input(&content, meta.locale);
    if input.lines.is_empty() {
        input.lines.push(blank_line(&user));
    }
    Page::new(&meta, Some(&user), ACTIVE).render(
        "subscriptions/modify.html",
        modify_data(
            &pid,
            input,
            subscription.next_billing_date,
            None,
            meta.locale,
        ),
    )
}

async fn modify_submit(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
    Path(pid): Path<String>,
    Form(form): Form<Step1Form>,
) -> Result<Response, WebError> {
    let company_id = user.company_id()?;
    let subscription = subs::find(&ctx.db, company_id, &pid).await?;
    let page = Page::new(&meta, Some(&user), ACTIVE);
    let next = subscription.next_billing_date;
    let mut input = form.input();
    let action = form.action.as_str();
    if apply_row_action(&mut input, action, &user) {
        return page.render(
            "subscriptions/modify.html",
            modify_data(&pid, input, next, None, meta.locale),
        );
    }
    let default_term = user.company.as_ref().map_or(30, |c| c.payment_term_days);
    let content = match subs::parse_content(&input, today(&ctx), default_term) {
        Ok(content) => content,
        Err(errors) => {
            return page.render_invalid(
                "subscriptions/modify.html",
                modify_data(&pid, input, next, None, meta.locale),
                &errors,
            )
        }
    };
    let computed = content.computed();
    let preview = json!({
        "net": format_cents(computed.totals.net_cents, meta.locale),
        "vat": format_cents(computed.totals.vat_cents, meta.locale),
        "total": format_cents(computed.totals.total_cents, meta.locale),
    });
    let data = modify_data(&pid, input, next, Some(preview), meta.locale);
    if action != "save" {
        return page.render("subscriptions/modify.html", data);
    }
    if form.confirm != "yes" {
        return page.render_unconfirmed("subscriptions/modify.html", data);
    }
    match subs::modify(&ctx, company_id, Some(&user.user), &pid, &content).await {
        Ok(_) => Ok(redirect_with_flash(
            &subscription_path(&pid),
            FlashKind::Success,
            "flash-subscription-modified",
        )),
        Err(ServiceError::Invalid(errors)) => {
            page.render_invalid("subscriptions/modify.html", data, &errors)
        }
        Err(ServiceError::Refused(code)) => Ok(redirect_with_flash(
            &subscription_path(&pid),
            FlashKind::Error,
            &format!("err-{code}"),
        )),
        Err(error) => Err(error.into()),
    }
}

pub fn routes() -> Routes {
    Routes::new()
        .prefix(BASE)
        .add("/", get(index))
        .add("/act", post(act))
        .add("/{pid}", get(show))
        .add("/{pid}/modify", get(modify_form).post(modify_submit))
}
