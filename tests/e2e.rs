//! End to end in a real headless Chromium (Debian `chromium` + `chromium-driver`, installed
//! by bin/test): sign up, open the activation link from the dev mailbox, log in, invite a
//! user, log out — against the real binary started as `cargo loco start` would start it
//! (development config: jobs in process, dev mailbox).

use std::{
    net::{TcpListener, TcpStream},
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use fantoccini::{elements::Element, Client, ClientBuilder, Locator};
use sea_orm::ConnectionTrait;

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A fresh database for the app under test: a SQLite file in a temporary folder, or a new
/// Postgres database when DATABASE_URL points at Postgres.
async fn fresh_database(dir: &Path) -> (String, Option<(String, String)>) {
    match std::env::var("DATABASE_URL") {
        Ok(base) if base.starts_with("postgres") => {
            let name = format!("encaisse_e2e_{}", uuid::Uuid::new_v4().simple());
            let admin = sea_orm::Database::connect(&base).await.unwrap();
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            let (server, _) = base.split('?').next().unwrap().rsplit_once('/').unwrap();
            (format!("{server}/{name}"), Some((base, name)))
        }
        _ => (
            format!("sqlite://{}/e2e.sqlite?mode=rwc", dir.display()),
            None,
        ),
    }
}

async fn field(client: &Client, css: &str) -> Element {
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
}

async fn fill(client: &Client, css: &str, value: &str) {
    field(client, css).await.send_keys(value).await.unwrap();
}

async fn submit(client: &Client, form_css: &str) {
    field(client, &format!("{form_css} button[type=submit]"))
        .await
        .click()
        .await
        .unwrap();
}

async fn wait_for_path(client: &Client, path: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let url = client.current_url().await.unwrap();
        if url.path() == path {
            return;
        }
        assert!(Instant::now() < deadline, "expected {path}, still on {url}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn sign_up_activate_log_in_invite_and_log_out_in_a_real_browser() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let (database_url, postgres) = fresh_database(dir.path()).await;
    let app_port = free_port();
    let base = format!("http://127.0.0.1:{app_port}");
    let _app = Process(
        Command::new(env!("CARGO_BIN_EXE_encaisse-cli"))
            .args(["start", "--no-banner"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("LOCO_ENV", "development")
            .env("DATABASE_URL", &database_url)
            .env("PORT", app_port.to_string())
            .env("BINDING", "127.0.0.1")
            .env("ENCAISSE_PUBLIC_URL", &base)
            .env("LOG_LEVEL", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("start the app"),
    );
    wait_for_port(app_port, "the app");

    let driver_port = free_port();
    let _driver = Process(
        Command::new("chromedriver")
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian chromium-driver) must be installed: run bin/test"),
    );
    wait_for_port(driver_port, "chromedriver");
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--lang=fr-FR", "--window-size=1200,900"],
            "prefs": { "intl.accept_languages": "fr-FR,fr" }
        }),
    );
    let client = ClientBuilder::rustls()
        .unwrap()
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("connect to chromedriver");

    // Sign up.
    client.goto(&format!("{base}/signup")).await.unwrap();
    assert_eq!(
        field(&client, "html")
            .await
            .attr("lang")
            .await
            .unwrap()
            .as_deref(),
        Some("fr")
    );
    fill(&client, "#company_name", "Studio Navigateur").await;
    fill(&client, "#name", "Nora Web").await;
    fill(&client, "#email", "nora@studio-navigateur.fr").await;
    fill(&client, "#password", "navigateur-secret").await;
    fill(&client, "#password_confirmation", "navigateur-secret").await;
    submit(&client, "main form").await;
    let confirmation = field(&client, "main h1").await.text().await.unwrap();
    assert_eq!(confirmation, "Vérifiez votre boîte mail");

    // The activation mail, delivered by the in-process job to the dev mailbox.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        client.goto(&format!("{base}/dev/mailbox")).await.unwrap();
        let source = client.source().await.unwrap();
        if source.contains("nora@studio-navigateur.fr") && source.contains("Envoyé") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the activation mail was not delivered: {source}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    field(&client, "table a[href^='/dev/mailbox/']")
        .await
        .click()
        .await
        .unwrap();
    let text = field(&client, "pre.mail-text").await.text().await.unwrap();
    let link = text
        .split_whitespace()
        .find(|w| w.contains("/activate/"))
        .expect("activation link")
        .to_string();
    client.goto(&link).await.unwrap();
    submit(&client, "main form").await;
    wait_for_path(&client, "/login").await;

    // Log in.
    fill(&client, "#email", "nora@studio-navigateur.fr").await;
    fill(&client, "#password", "navigateur-secret").await;
    submit(&client, "main form").await;
    wait_for_path(&client, "/dashboard").await;
    assert!(client.source().await.unwrap().contains("Studio Navigateur"));

    // Invite a user through the menu.
    client
        .goto(&format!("{base}/settings/users/invite"))
        .await
        .unwrap();
    fill(&client, "#name", "Paul Membre").await;
    fill(&client, "#email", "paul@studio-navigateur.fr").await;
    submit(&client, "main form").await;
    wait_for_path(&client, "/settings/users").await;
    let flash = field(&client, ".flash-success").await.text().await.unwrap();
    assert_eq!(flash, "Invitation envoyée.");
    assert!(client
        .source()
        .await
        .unwrap()
        .contains("paul@studio-navigateur.fr"));

    // Log out.
    submit(&client, "header .account form").await;
    wait_for_path(&client, "/login").await;
    client.goto(&format!("{base}/dashboard")).await.unwrap();
    wait_for_path(&client, "/login").await;

    client.close().await.unwrap();
    if let Some((admin_url, name)) = postgres {
        drop(_app);
        let admin = sea_orm::Database::connect(&admin_url).await.unwrap();
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .unwrap();
    }
}
