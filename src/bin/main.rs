use encaisse::app::App;
use loco_rs::cli;
use migration::Migrator;

#[tokio::main]
async fn main() -> loco_rs::Result<()> {
    // One explicit TLS crypto provider (ring) for every rustls user (SMTP, Postgres).
    let _ = rustls::crypto::ring::default_provider().install_default();
    cli::main::<App, Migrator>().await
}
