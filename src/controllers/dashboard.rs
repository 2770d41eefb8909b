//! Synthèse: for now what exists (company profile, clients, team); allowance, sales and
//! KYC blocks arrive with their issues.

use axum::{extract::State, response::Response};
use loco_rs::prelude::*;
use serde_json::json;

use crate::{
    domain::client::Paging,
    domain::money::format_cents,
    services::{clients, payments, subscriptions, user_admin},
    views::company::profile_complete,
    web::{Page, RequestMeta, SellerUser, WebError},
};

async fn show(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
) -> Result<Response, WebError> {
    let company_id = user.company_id()?;
    let users = user_admin::list(&ctx, company_id).await?;
    let active = users.iter().filter(|u| u.activated_at.is_some()).count();
    let pending = users.len() - active;
    // One row fetched: only the count is shown.
    let count_only = clients::ClientQuery {
        paging: Some(Paging::new(None, Some(1))),
        ..Default::default()
    };
    let (_, clients) = clients::search(&ctx, company_id, &count_only).await?;
    let profile_complete = user.company.as_ref().is_some_and(profile_complete);
    let (running, failed) = subscriptions::counts(&ctx, company_id).await?;
    let collected = payments::collected_cents(&ctx.db, company_id).await?;
    let outstanding = payments::outstanding_cents(&ctx.db, company_id).await?;
    Page::new(&meta, Some(&user), "dashboard").render(
        "dashboard/show.html",
        json!({
            "team": { "active": active, "pending": pending },
            "clients": clients,
            "profile_complete": profile_complete,
            "subscriptions": { "running": running, "failed": failed },
            "sales": {
                "collected": format_cents(collected, meta.locale),
                "outstanding": format_cents(outstanding, meta.locale),
            },
        }),
    )
}

pub fn routes() -> Routes {
    Routes::new().add("/dashboard", get(show))
}
