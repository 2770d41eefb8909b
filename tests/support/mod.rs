//! Test helpers: a logged-in HTTP client, form posts with the CSRF token, outbox readers.

use axum_test::{TestResponse, TestServer};
use encaisse::{
    domain::roles::Role,
    models::_entities::{companies, outbox_messages, users},
    services::user_admin,
};
use loco_rs::{app::AppContext, testing::prelude::*};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

pub const PASSWORD: &str = "mot-de-passe-solide";

pub fn config() -> RequestConfig {
    RequestConfigBuilder::new()
        .save_cookies(true)
        .default_content_type("application/x-www-form-urlencoded")
        .build()
}

/// The CSRF token of the current browser session (read from any page with a form).
pub async fn csrf_token(server: &TestServer) -> String {
    let page = server.get("/password/forgot").await.text();
    let marker = "name=\"csrf_token\" value=\"";
    let start = page.find(marker).expect("a form with a CSRF token") + marker.len();
    page[start..start + 64].to_string()
}

/// Posts a form as a browser would, with the CSRF token.
pub async fn post_form(server: &TestServer, path: &str, fields: &[(&str, &str)]) -> TestResponse {
    let token = csrf_token(server).await;
    let mut body: Vec<(&str, &str)> = fields.to_vec();
    body.push(("csrf_token", &token));
    server.post(path).form(&body).await
}

pub async fn log_in(server: &TestServer, email: &str, password: &str) -> TestResponse {
    post_form(server, "/login", &[("email", email), ("password", password)]).await
}

pub async fn log_out(server: &TestServer) {
    let response = post_form(server, "/logout", &[]).await;
    assert_eq!(response.status_code(), 303);
}

pub fn location(response: &TestResponse) -> String {
    response
        .maybe_header("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

pub async fn company_with_admin(ctx: &AppContext, name: &str, admin_email: &str) -> (companies::Model, users::Model) {
    let company = user_admin::create_company(ctx, name).await.unwrap();
    let admin = user_admin::create_active_user(ctx, Some(&company), "Alice Admin", admin_email, Role::Admin, PASSWORD)
        .await
        .unwrap();
    (company, admin)
}

pub async fn add_user(ctx: &AppContext, company: &companies::Model, email: &str, role: Role) -> users::Model {
    user_admin::create_active_user(ctx, Some(company), "Bob User", email, role, PASSWORD).await.unwrap()
}

pub async fn user_by_email(ctx: &AppContext, email: &str) -> Option<users::Model> {
    users::Entity::find().filter(users::Column::Email.eq(email)).one(&ctx.db).await.unwrap()
}

pub async fn mails_to(ctx: &AppContext, email: &str) -> Vec<outbox_messages::Model> {
    outbox_messages::Entity::find()
        .filter(outbox_messages::Column::ToAddress.eq(email))
        .order_by_asc(outbox_messages::Column::Id)
        .all(&ctx.db)
        .await
        .unwrap()
}

/// The path of the first link in a mail's text body that starts with `prefix`.
pub fn link_path(mail: &outbox_messages::Model, prefix: &str) -> String {
    let start = mail.text_body.find(prefix).unwrap_or_else(|| panic!("no {prefix} link in {}", mail.text_body));
    mail.text_body[start..].split_whitespace().next().unwrap().to_string()
}

pub async fn count<E: EntityTrait>(ctx: &AppContext) -> u64
where
    E::Model: Sync,
{
    use sea_orm::PaginatorTrait;
    E::find().count(&ctx.db).await.unwrap()
}
