//! The platform operators' area.

use axum::{extract::State, response::Response};
use loco_rs::prelude::*;
use serde_json::json;

use crate::{
    services::user_admin,
    web::{Page, RequestMeta, StaffUser, WebError},
};

async fn sellers(
    State(ctx): State<AppContext>,
    meta: RequestMeta,
    StaffUser(user): StaffUser,
) -> Result<Response, WebError> {
    let sellers: Vec<_> = user_admin::sellers_overview(&ctx)
        .await?
        .into_iter()
        .map(|(company, users, admins)| {
            json!({
                "name": company.legal_name,
                "created": crate::views::paris_date(&company.created_at),
                "users": users,
                "admins": admins.join(", "),
            })
        })
        .collect();
    Page::new(&meta, Some(&user), "staff-sellers")
        .render("staff/sellers.html", json!({ "sellers": sellers }))
}

pub fn routes() -> Routes {
    Routes::new().add("/staff", get(sellers))
}
