//! Test helpers: a logged-in HTTP client, form posts with the CSRF token, outbox readers.

use axum_test::{TestResponse, TestServer};
use encaisse::{
    domain::roles::Role,
    models::_entities::{companies, outbox_messages, users},
    services::user_admin,
};
use loco_rs::app::AppContext;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

pub const PASSWORD: &str = "mot-de-passe-solide";

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
    post_form(
        server,
        "/login",
        &[("email", email), ("password", password)],
    )
    .await
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

pub async fn company_with_admin(
    ctx: &AppContext,
    name: &str,
    admin_email: &str,
) -> (companies::Model, users::Model) {
    let company = user_admin::create_company(ctx, name).await.unwrap();
    let admin = user_admin::create_active_user(
        ctx,
        Some(&company),
        "Alice Admin",
        admin_email,
        Role::Admin,
        PASSWORD,
    )
    .await
    .unwrap();
    (company, admin)
}

pub async fn add_user(
    ctx: &AppContext,
    company: &companies::Model,
    email: &str,
    role: Role,
) -> users::Model {
    user_admin::create_active_user(ctx, Some(company), "Bob User", email, role, PASSWORD)
        .await
        .unwrap()
}

pub async fn user_by_email(ctx: &AppContext, email: &str) -> Option<users::Model> {
    users::Entity::find()
        .filter(users::Column::Email.eq(email))
        .one(&ctx.db)
        .await
        .unwrap()
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
    let start = mail
        .text_body
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} link in {}", mail.text_body));
    mail.text_body[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

pub async fn count<E: EntityTrait>(ctx: &AppContext) -> u64
where
    E::Model: Sync,
{
    use sea_orm::PaginatorTrait;
    E::find().count(&ctx.db).await.unwrap()
}

/// A booted app on a database of its own: a temporary SQLite file, or a fresh Postgres
/// database when `DATABASE_URL` points at Postgres (dropped with FORCE afterwards, since
/// the pool may still hold connections).
pub struct TestApp {
    pub boot: loco_rs::boot::BootResult,
    database: TestDatabase,
}

enum TestDatabase {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestApp {
    pub fn ctx(&self) -> &AppContext {
        &self.boot.app_context
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let TestDatabase::Postgres { admin_url, name } = &self.database {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async {
                    use sea_orm::ConnectionTrait;
                    let db = sea_orm::Database::connect(&admin_url).await.unwrap();
                    db.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await
                        .unwrap();
                });
            })
            .join()
            .unwrap();
        }
    }
}

fn replace_database_name(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let (server, _) = base.rsplit_once('/').expect("database url with a path");
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

pub async fn boot() -> TestApp {
    use loco_rs::{app::Hooks, boot::StartMode, environment::Environment};
    let mut config = encaisse::app::App::load_config(&Environment::Test)
        .await
        .unwrap();
    let base = config.database.uri.clone();
    let database = if base.starts_with("postgres") {
        use sea_orm::ConnectionTrait;
        let name = format!("encaisse_test_{}", uuid::Uuid::new_v4().simple());
        let admin = sea_orm::Database::connect(&base).await.unwrap();
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        admin.close().await.unwrap();
        config.database.uri = replace_database_name(&base, &name);
        TestDatabase::Postgres {
            admin_url: base,
            name,
        }
    } else {
        let dir = tempfile::tempdir().unwrap();
        config.database.uri = format!("sqlite://{}/test.sqlite?mode=rwc", dir.path().display());
        TestDatabase::Sqlite(dir)
    };
    let boot = encaisse::app::App::boot(StartMode::ServerOnly, &Environment::Test, config)
        .await
        .unwrap();
    TestApp { boot, database }
}

/// Runs `test` against the app through an HTTP client that keeps cookies like a browser.
pub async fn with_app<F, Fut>(test: F)
where
    F: FnOnce(TestServer, AppContext) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let app = boot().await;
    let router = app.boot.router.clone().expect("server mode has a router");
    let server = TestServer::new_with_config(
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        axum_test::TestServerConfig {
            save_cookies: true,
            ..Default::default()
        },
    )
    .unwrap();
    test(server, app.ctx().clone()).await;
}

/// The page text with HTML entities decoded (Tera escapes apostrophes in translations).
pub trait Html {
    fn html(&self) -> String;
}

impl Html for TestResponse {
    fn html(&self) -> String {
        html_escape::decode_html_entities(&self.text()).into_owned()
    }
}

/// Fills in a complete, VAT-registered company profile (everything an invoice must show).
pub async fn complete_profile(
    ctx: &AppContext,
    company: &companies::Model,
    franchise: bool,
) -> companies::Model {
    use encaisse::{
        domain::company::CompanyProfile, services::company_profile, web::forms::CompanyFields,
    };
    let fields = CompanyFields {
        legal_name: company.legal_name.clone(),
        legal_form: if franchise {
            "ei-micro".into()
        } else {
            "sarl".into()
        },
        siret: "732 829 320 00074".into(),
        vat_regime: if franchise {
            "franchise".into()
        } else {
            "registered".into()
        },
        vat_number: if franchise {
            String::new()
        } else {
            "FR44732829320".into()
        },
        registration: if franchise {
            String::new()
        } else {
            "RCS Lyon".into()
        },
        share_capital: if franchise {
            String::new()
        } else {
            "10 000".into()
        },
        address_street: "12 rue de la République".into(),
        address_postcode: "69002".into(),
        address_city: "Lyon".into(),
        address_country: "FR".into(),
        contact_email: "facturation@atelier.fr".into(),
        contact_phone: "04 78 00 00 00".into(),
        invoice_prefix: "F".into(),
        credit_note_prefix: "AV".into(),
        yearly_reset: Some("on".into()),
        payment_term_days: "30".into(),
        late_penalty_rate: "12,15".into(),
        bank_iban: "FR76 3000 6000 0112 3456 7890 189".into(),
        bank_bic: "BNPAFRPP".into(),
        ..Default::default()
    };
    let profile = CompanyProfile::parse(&fields.input()).expect("a valid test profile");
    company_profile::update(ctx, company.id, &profile)
        .await
        .unwrap()
}

/// A client with an e-mail address, ready to be invoiced.
pub async fn invoiceable_client(
    ctx: &AppContext,
    company_id: i64,
    name: &str,
    email: &str,
) -> encaisse::models::_entities::clients::Model {
    use encaisse::{domain::client::ClientAccount, services::clients, web::forms::ClientFields};
    let fields = ClientFields {
        legal_name: name.into(),
        siret: "542 051 180 00066".into(),
        vat_number: "FR59542051180".into(),
        billing_street: "2 place Jean Millier".into(),
        billing_postcode: "92400".into(),
        billing_city: "Courbevoie".into(),
        contact_name: "Léa Martin".into(),
        contact_email: email.into(),
        ..Default::default()
    };
    let account = ClientAccount::parse(&fields.input()).unwrap();
    clients::create(ctx, company_id, &account, None)
        .await
        .unwrap()
        .client
}

/// A parsed draft of `lines` lines at 20 % for a client, dated today (Paris).
pub fn draft_for(
    client_pid: &str,
    lines: usize,
    today: chrono::NaiveDate,
) -> encaisse::domain::draft::Draft {
    use encaisse::domain::{
        draft::{Draft, DraftInput},
        invoice::LineInput,
    };
    let input = DraftInput {
        label: "Refonte du site".into(),
        client: client_pid.into(),
        lines: (0..lines)
            .map(|i| LineInput {
                description: format!("Prestation {}", i + 1),
                quantity: "1,5".into(),
                unit: "DAY".into(),
                unit_price: "450".into(),
                vat: "20".into(),
            })
            .collect(),
        ..Default::default()
    };
    Draft::parse(&input, today, 30).unwrap()
}

pub fn paris_today(ctx: &AppContext) -> chrono::NaiveDate {
    encaisse::services::issue_invoice::paris_date(encaisse::clock::of(ctx).now())
}

/// The text of a PDF, extracted by poppler's `pdftotext` (installed by bin/test), with
/// no-break spaces made plain so that assertions read naturally.
pub fn pdf_text(pdf: &[u8]) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8", "-", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("pdftotext (poppler-utils) is installed by bin/test");
    child.stdin.take().unwrap().write_all(pdf).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "pdftotext failed");
    String::from_utf8_lossy(&output.stdout).replace(['\u{a0}', '\u{202f}'], " ")
}

/// A seller company with a complete profile (VAT-registered), its admin, and one client
/// ready to be invoiced.
pub struct Seller {
    pub company_id: i64,
    pub client_pid: String,
}

pub async fn seller(ctx: &AppContext, name: &str, admin_email: &str) -> Seller {
    let (company, _) = company_with_admin(ctx, name, admin_email).await;
    complete_profile(ctx, &company, false).await;
    let client = invoiceable_client(
        ctx,
        company.id,
        "Boulangerie Légère",
        "compta@boulangerie.fr",
    )
    .await;
    Seller {
        company_id: company.id,
        client_pid: client.pid.to_string(),
    }
}

/// Posts a form given as owned pairs (repeated names allowed: rows of lines).
pub async fn post_pairs(
    server: &TestServer,
    path: &str,
    fields: &[(&'static str, String)],
) -> TestResponse {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    post_form(server, path, &pairs).await
}

/// Issues a new invoice of `lines` lines (1,5 day at 450 € + 20 % each: 810 € a line) for
/// the client and renders its PDF.
pub async fn issued_invoice(
    ctx: &AppContext,
    company_id: i64,
    client_pid: &str,
    lines: usize,
) -> encaisse::models::_entities::invoices::Model {
    use encaisse::services::{invoices as docs, issue_invoice};
    let draft = draft_for(client_pid, lines, paris_today(ctx));
    let (draft, _) = docs::create_draft(ctx, company_id, None, &draft, None)
        .await
        .unwrap();
    issue_invoice::issue(ctx, company_id, None, &draft.pid.to_string())
        .await
        .unwrap()
        .invoice
}

/// PyPI localstripe (a fake Stripe API), patched by `scripts/localstripe_server.py` so
/// that async-stripe can read its PaymentIntents; stopped when dropped.
pub struct LocalStripe {
    child: std::process::Child,
    pub port: u16,
}

impl LocalStripe {
    pub fn start() -> Self {
        use std::io::BufRead;
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let python = root.join(".venv/bin/python");
        assert!(
            python.exists(),
            "{} is missing: run the test suite with bin/test (it installs localstripe)",
            python.display()
        );
        let mut child = std::process::Command::new(python)
            .arg(root.join("scripts/localstripe_server.py"))
            .args(["--port", "0"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start localstripe");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("localstripe prints its address");
        let port = line
            .trim()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected localstripe output: {line}"));
        Self { child, port }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stripe settings pointing at this server.
    pub fn settings(&self) -> encaisse::settings::StripeSettings {
        encaisse::settings::StripeSettings {
            secret_key: "sk_test_encaisse".into(),
            publishable_key: "pk_test_encaisse".into(),
            webhook_secret: WEBHOOK_SECRET.into(),
            api_base: self.base(),
        }
    }

    /// A request to the fake API, answered as raw JSON (what Stripe would put in an
    /// event's `data.object`).
    pub fn call(&self, method: &str, path: &str, form: &str) -> serde_json::Value {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        let auth = base64_basic("sk_test_encaisse:");
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {auth}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{form}",
            form.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        // The body may be chunked: take the JSON object within it.
        let start = body.find('{').expect("a JSON body");
        let end = body.rfind('}').expect("a JSON body");
        serde_json::from_str(&body[start..=end]).unwrap()
    }
}

impl Drop for LocalStripe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn base64_basic(credentials: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(credentials)
}

pub const WEBHOOK_SECRET: &str = "whsec_encaisse_test";

/// A Stripe event around `object`, as Stripe sends it.
pub fn stripe_event(id: &str, kind: &str, object: &serde_json::Value) -> String {
    serde_json::json!({
        "id": id,
        "object": "event",
        "api_version": "2025-10-29.clover",
        "created": chrono::Utc::now().timestamp(),
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null },
        "type": kind,
        "data": { "object": object },
    })
    .to_string()
}

/// Posts a webhook delivery signed at `timestamp` (now when `None`) with `secret`.
pub async fn deliver_webhook(
    server: &TestServer,
    payload: &str,
    secret: &str,
    timestamp: Option<i64>,
) -> TestResponse {
    let signature = stripe_webhook::Webhook::generate_test_header(payload, secret, timestamp);
    server
        .post("/webhooks/stripe")
        .add_header("stripe-signature", signature)
        .add_header("content-type", "application/json")
        .bytes(payload.as_bytes().to_vec().into())
        .await
}
