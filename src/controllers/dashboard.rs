//! Synthèse: for now what exists (company, team); allowance, sales and KYC blocks arrive
//! with their issues.

use axum::{extract::State, response::Response};
use loco_rs::prelude::*;
use serde_json::json;

use crate::{
    services::user_admin,
    web::{Page, RequestMeta, SellerUser, WebError},
};

async fn show(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    SellerUser(user): SellerUser,
) -> Result<Response, WebError> {
    let users = user_admin::list(&ctx, user.company_id()?).await?;
    let active = users.iter().filter(|u| u.activated_at.is_some()).count();
    let pending = users.len() - active;
    Page::new(&meta, Some(&user), "dashboard").render(
        "dashboard/show.html",
        json!({ "team": { "active": active, "pending": pending } }),
    )
}

pub fn routes() -> Routes {
    Routes::new().add("/dashboard", get(show))
}
