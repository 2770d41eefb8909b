//! Benchmark: issue N invoices of 5 lines for one company (numbering + persistence +
//! outbox e-mail), then render and store their PDFs. Runs on a fresh database of its own.
//!
//! ```sh
//! cargo run --release --bin bench_issue -- --invoices 20000 --batch 500
//! cargo run --release --bin bench_issue -- --invoices 20000 --batch 500 --postgres postgres://postgres@127.0.0.1:5432/postgres
//! cargo run --release --bin bench_issue -- --invoices 2000 --batch 1      # one transaction per invoice
//! ```

use std::time::Instant;

use encaisse::{
    app::App,
    domain::{
        client::ClientAccount, company::CompanyProfile, invoice::Line, roles::Role, vat::VatCode,
    },
    services::{clients, company_profile, issue_batch, issue_invoice, render_document, user_admin},
    web::forms::{ClientFields, CompanyFields},
};
use loco_rs::{app::Hooks, boot::StartMode, environment::Environment};
use rust_decimal::Decimal;
use sea_orm::ConnectionTrait;

struct Args {
    invoices: usize,
    batch: usize,
    postgres: Option<String>,
    skip_pdf: bool,
}

fn args() -> Args {
    let mut args = Args {
        invoices: 10_000,
        batch: 500,
        postgres: None,
        skip_pdf: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--invoices" => {
                args.invoices = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(args.invoices)
            }
            "--batch" => {
                args.batch = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(args.batch)
                    .max(1)
            }
            "--postgres" => args.postgres = it.next(),
            "--skip-pdf" => args.skip_pdf = true,
            other => panic!("unknown argument {other}"),
        }
    }
    args
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args = args();
    let mut config = App::load_config(&Environment::Test).await.expect("config");
    let dir = tempfile_dir();
    let (uri, backend, cleanup) = match &args.postgres {
        Some(base) => {
            let name = format!("encaisse_bench_{}", std::process::id());
            let admin = sea_orm::Database::connect(base).await.expect("postgres");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create db");
            let (server, _) = base
                .split('?')
                .next()
                .unwrap_or(base)
                .rsplit_once('/')
                .expect("url with a database");
            (
                format!("{server}/{name}"),
                "postgres",
                Some((base.clone(), name)),
            )
        }
        None => (
            format!("sqlite://{dir}/bench.sqlite?mode=rwc"),
            "sqlite",
            None,
        ),
    };
    config.database.uri = uri;
    config.database.max_connections = 8;
    let boot = App::boot(StartMode::ServerOnly, &Environment::Test, config)
        .await
        .expect("boot");
    let ctx = boot.app_context.clone();

    // One company with a complete profile and 50 clients.
    let company = user_admin::create_company(&ctx, "Atelier Bench")
        .await
        .expect("company");
    user_admin::create_active_user(
        &ctx,
        Some(&company),
        "Bench",
        "bench@bench.fr",
        Role::Admin,
        "bench-password-1",
    )
    .await
    .expect("user");
    let profile = CompanyFields {
        legal_name: "Atelier Bench".into(),
        legal_form: "sarl".into(),
        siret: "732 829 320 00074".into(),
        vat_regime: "registered".into(),
        vat_number: "FR44732829320".into(),
        address_street: "1 rue du Banc".into(),
        address_postcode: "69002".into(),
        address_city: "Lyon".into(),
        contact_email: "bench@bench.fr".into(),
        invoice_prefix: "F".into(),
        credit_note_prefix: "AV".into(),
        yearly_reset: Some("on".into()),
        payment_term_days: "30".into(),
        late_penalty_rate: "12,15".into(),
        ..Default::default()
    };
    let profile = CompanyProfile::parse(&profile.input()).expect("profile");
    let company = company_profile::update(&ctx, company.id, &profile)
        .await
        .expect("update");
    let mut client_rows = Vec::new();
    for i in 0..50 {
        let fields = ClientFields {
            legal_name: format!("Client {i}"),
            billing_street: "2 place Bellecour".into(),
            billing_postcode: "69002".into(),
            billing_city: "Lyon".into(),
            contact_email: format!("client{i}@example.fr"),
            ..Default::default()
        };
        let account = ClientAccount::parse(&fields.input()).expect("client");
        client_rows.push(
            clients::create(&ctx, company.id, &account, None)
                .await
                .expect("client")
                .client,
        );
    }

    let today = issue_invoice::paris_date(encaisse::clock::of(&ctx).now());
    let lines: Vec<Line> = (0..5)
        .map(|i| Line {
            description: format!("Prestation {}", i + 1),
            quantity: Decimal::new(15, 1),
            unit: "DAY".into(),
            unit_price: Decimal::new(45_000 + i64::from(i) * 1_250, 2),
            vat: if i == 4 {
                VatCode::Reduced10
            } else {
                VatCode::Standard20
            },
        })
        .collect();
    let batch_of = |start: usize, size: usize| -> Vec<issue_batch::NewInvoice> {
        (start..start + size)
            .map(|i| issue_batch::NewInvoice {
                client: client_rows[i % client_rows.len()].clone(),
                label: format!("Facture {i}"),
                issue_date: today,
                payment_term_days: 30,
                period: None,
                lines: lines.clone(),
                adjustments: Vec::new(),
                notes: None,
                operation: "services".into(),
                subscription: None,
            })
            .collect()
    };

    println!(
        "backend: {backend}; invoices: {}; batch: {}",
        args.invoices, args.batch
    );
    let mut batch_times = Vec::new();
    let started = Instant::now();
    let mut ids = Vec::with_capacity(args.invoices);
    let mut issued = 0;
    while issued < args.invoices {
        let size = args.batch.min(args.invoices - issued);
        let batch = batch_of(issued, size);
        let t = Instant::now();
        let done = issue_batch::issue_invoices(&ctx, &company, &batch)
            .await
            .expect("issue");
        batch_times.push(t.elapsed().as_secs_f64() / size as f64);
        ids.extend(done.iter().map(|i| i.id));
        issued += size;
    }
    let issue_secs = started.elapsed().as_secs_f64();
    println!(
        "issued {} invoices in {:.2} s: {:.0} invoices/s (median {:.3} ms per invoice)",
        args.invoices,
        issue_secs,
        args.invoices as f64 / issue_secs,
        encaisse::perf::median(batch_times) * 1000.0
    );

    if !args.skip_pdf {
        // Two concurrent renderers: one per core of the target machine.
        let started = Instant::now();
        let halves: Vec<Vec<i64>> = ids
            .chunks(ids.len().div_ceil(2).max(1))
            .map(<[i64]>::to_vec)
            .collect();
        let mut tasks = Vec::new();
        for half in halves {
            let ctx = ctx.clone();
            tasks.push(tokio::spawn(async move {
                render_document::render_many(&ctx, &half).await
            }));
        }
        let mut rendered = 0;
        for task in tasks {
            rendered += task.await.expect("task").expect("render");
        }
        let pdf_secs = started.elapsed().as_secs_f64();
        println!(
            "rendered and stored {rendered} PDFs in {:.2} s: {:.0} PDFs/s ({:.0} per core)",
            pdf_secs,
            rendered as f64 / pdf_secs,
            rendered as f64 / pdf_secs / 2.0
        );
    }

    ctx.db.clone().close().await.ok();
    if let Some((base, name)) = cleanup {
        let admin = sea_orm::Database::connect(&base).await.expect("postgres");
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .ok();
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir() -> String {
    let dir = std::env::temp_dir().join(format!("encaisse-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.display().to_string()
}
