//! Benchmark of issue 6: N active subscriptions spread over C companies, all due the same
//! day, billed by ONE billing run (`bill_subscriptions::run`, the code the 05:00 cron
//! calls) while their Factur-X PDFs are rendered and stored concurrently, then checked.
//! Runs on a fresh database of its own (a temporary SQLite file, or a new Postgres
//! database that it drops).
//!
//! ```sh
//! cargo build --release --bin bench_billing
//! ./target/release/bench_billing --subscriptions 100000 --companies 100 \
//!     --postgres postgres://postgres@127.0.0.1:5432/postgres
//! ./target/release/bench_billing --subscriptions 100000 --companies 100   # SQLite
//! ```
//!
//! Options: `--clients-per-company K` (default 20), `--render-workers W` (default 2, one
//! per core of the target machine), `--skip-pdf` (issuing only).
//!
//! How the PDFs are rendered: in production each chunk of the run queues one
//! `RenderDocuments` job with the ids it issued, and the job worker calls
//! `render_document::render_many` with them. Here the queue is left out (no job store):
//! a feeder picks up each committed chunk's invoices (the issued ones with an id above the
//! last seen, at most 500 at a time, what one job carries) and W in-process workers call
//! that same `render_many`. The queue's own cost (one job row per 500 invoices) and the
//! delivery of the released e-mails (a separate pipeline, bound by the SMTP server) are
//! not measured.
//!
//! Seeding (not measured): companies with complete profiles through the services, one
//! client and one monthly invoice per company through the services (which makes the
//! subscription and its first version), then the other clients and subscriptions copied
//! from those with multi-row inserts: each started a month ago with its first period
//! billed, so that its second period is due today.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use chrono::{Months, NaiveDate};
use encaisse::{
    app::App,
    domain::{
        client::ClientAccount,
        company::CompanyProfile,
        draft::{Draft, DraftInput},
        invoice::LineInput,
        roles::Role,
        subscription::{next_billing_date, Schedule},
    },
    jobs::JobStore,
    models::_entities::{clients, invoices, subscription_versions, subscriptions},
    perf::{self, Phase},
    services::{
        bill_subscriptions, clients as client_service, company_profile, invoices as docs,
        issue_invoice, render_document, user_admin,
    },
    web::forms::{ClientFields, CompanyFields},
};
use loco_rs::{app::Hooks, boot::StartMode, environment::Environment};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};

struct Args {
    subscriptions: usize,
    companies: usize,
    clients_per_company: usize,
    render_workers: usize,
    postgres: Option<String>,
    skip_pdf: bool,
}

fn args() -> Args {
    let mut args = Args {
        subscriptions: 10_000,
        companies: 100,
        clients_per_company: 20,
        render_workers: 2,
        postgres: None,
        skip_pdf: false,
    };
    let mut it = std::env::args().skip(1);
    let number = |value: Option<String>, name: &str| -> usize {
        value
            .and_then(|v| v.replace('_', "").parse().ok())
            .unwrap_or_else(|| panic!("{name} wants a number"))
    };
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--subscriptions" => args.subscriptions = number(it.next(), "--subscriptions"),
            "--companies" => args.companies = number(it.next(), "--companies").max(1),
            "--clients-per-company" => {
                args.clients_per_company = number(it.next(), "--clients-per-company").max(1);
            }
            "--render-workers" => {
                args.render_workers = number(it.next(), "--render-workers").max(1);
            }
            "--postgres" => args.postgres = it.next(),
            "--skip-pdf" => args.skip_pdf = true,
            other => panic!("unknown argument {other}"),
        }
    }
    args
}

/// Busy and total CPU time of the machine (all cores), and this process's CPU time, in
/// seconds, from /proc: the database server's share is the machine's minus ours.
#[derive(Clone, Copy, Default)]
struct CpuSample {
    machine_busy: f64,
    process: f64,
    /// The Postgres processes (backends, and the children the postmaster reaped).
    postgres: f64,
}

/// utime + stime + cutime + cstime of a process, in clock ticks, if its name is `name`.
fn process_ticks(pid: &str, name: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (head, rest) = stat.rsplit_once(')')?;
    if head.split_once('(')?.1 != name {
        return None;
    }
    let fields: Vec<&str> = rest.split_whitespace().collect();
    (11..15)
        .map(|i| fields.get(i)?.parse::<f64>().ok())
        .sum::<Option<f64>>()
}

fn cpu_sample() -> CpuSample {
    // Clock ticks per second: 100 on Linux (USER_HZ).
    const HZ: f64 = 100.0;
    let machine_busy = std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|stat| {
            let line = stat.lines().next()?.to_string();
            let fields: Vec<f64> = line
                .split_whitespace()
                .skip(1)
                .filter_map(|v| v.parse().ok())
                .collect();
            // user nice system idle iowait irq softirq steal
            let total: f64 = fields.iter().take(8).sum();
            let idle =
                fields.get(3).copied().unwrap_or(0.0) + fields.get(4).copied().unwrap_or(0.0);
            Some((total - idle) / HZ)
        })
        .unwrap_or_default();
    let process = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| {
            // Fields after the command name (which may hold spaces, in parentheses).
            let rest = stat.rsplit_once(')')?.1.to_string();
            let fields: Vec<&str> = rest.split_whitespace().collect();
            // utime and stime are fields 14 and 15 of the line, 12 and 13 after ')'.
            let utime: f64 = fields.get(11)?.parse().ok()?;
            let stime: f64 = fields.get(12)?.parse().ok()?;
            Some((utime + stime) / HZ)
        })
        .unwrap_or_default();
    let postgres = std::fs::read_dir("/proc")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|entry| process_ticks(&entry.file_name().to_string_lossy(), "postgres"))
                .sum::<f64>()
                / HZ
        })
        .unwrap_or_default();
    CpuSample {
        machine_busy,
        process,
        postgres,
    }
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect(sql)
        .expect("a row");
    row.try_get_by_index::<i64>(0).expect("a count")
}

const PROFILE_SIRET: &str = "732 829 320 00074";

#[allow(clippy::too_many_lines)]
async fn seed(
    ctx: &loco_rs::app::AppContext,
    args: &Args,
    today: NaiveDate,
) -> (Vec<i64>, NaiveDate, i32) {
    // Started a month ago with its first period billed: the second period is due today.
    // (On a day the previous month lacks, e.g. 31 March, start today instead: the first
    // period is then the one due.)
    let month_ago = today.checked_sub_months(Months::new(1)).expect("a date");
    let (start, next_period) = if next_billing_date(
        &Schedule {
            start: month_ago,
            stop: None,
        },
        1,
    ) == Some(today)
    {
        (month_ago, 1)
    } else {
        (today, 0)
    };
    let mut seed_invoices = Vec::new();
    let base = args.subscriptions / args.companies;
    let extra = args.subscriptions % args.companies;
    for c in 0..args.companies {
        let name = format!("Atelier Bench {c:03}");
        let email = format!("admin{c}@bench.fr");
        let company = user_admin::create_company(ctx, &name)
            .await
            .expect("company");
        user_admin::create_active_user(
            ctx,
            Some(&company),
            "Bench",
            &email,
            Role::Admin,
            "bench-password-1",
        )
        .await
        .expect("user");
        let fields = CompanyFields {
            legal_name: name.clone(),
            legal_form: "sarl".into(),
            siret: PROFILE_SIRET.into(),
            vat_regime: "registered".into(),
            vat_number: "FR44732829320".into(),
            address_street: "1 rue du Banc".into(),
            address_postcode: "69002".into(),
            address_city: "Lyon".into(),
            contact_email: email.clone(),
            invoice_prefix: "F".into(),
            credit_note_prefix: "AV".into(),
            yearly_reset: Some("on".into()),
            payment_term_days: "30".into(),
            late_penalty_rate: "12,15".into(),
            ..Default::default()
        };
        let profile = CompanyProfile::parse(&fields.input()).expect("profile");
        let company = company_profile::update(ctx, company.id, &profile)
            .await
            .expect("profile update");
        let client_fields = ClientFields {
            legal_name: "Client 0".into(),
            billing_street: "2 place Bellecour".into(),
            billing_postcode: "69002".into(),
            billing_city: "Lyon".into(),
            contact_email: format!("client0@company{c}.example.fr"),
            ..Default::default()
        };
        let account = ClientAccount::parse(&client_fields.input()).expect("client");
        let first_client = client_service::create(ctx, company.id, &account, None)
            .await
            .expect("client")
            .client;
        // The monthly invoice that starts the template subscription (5 lines, 2 rates).
        let input = DraftInput {
            label: "Maintenance et hébergement".into(),
            client: first_client.pid.to_string(),
            recurrence: "monthly".into(),
            lines: (0..5)
                .map(|i| LineInput {
                    description: format!("Prestation mensuelle {}", i + 1),
                    quantity: "1,5".into(),
                    unit: "DAY".into(),
                    unit_price: format!("{},{:02}", 450 + i * 12, (i * 50) % 100),
                    vat: if i == 4 { "10".into() } else { "20".into() },
                })
                .collect(),
            ..Default::default()
        };
        let draft = Draft::parse(&input, today, 30).expect("draft");
        let (created, _) = docs::create_draft(ctx, company.id, None, &draft, None)
            .await
            .expect("draft");
        let issued = issue_invoice::issue(ctx, company.id, None, &created.pid.to_string())
            .await
            .expect("issue")
            .invoice;
        seed_invoices.push(issued.id);
        let template = subscriptions::Entity::find_by_id(issued.subscription_id.expect("monthly"))
            .one(&ctx.db)
            .await
            .expect("subscription")
            .expect("subscription");
        let version = subscription_versions::Entity::find()
            .filter(subscription_versions::Column::SubscriptionId.eq(template.id))
            .one(&ctx.db)
            .await
            .expect("version")
            .expect("version");

        // The other clients, copied from the first.
        let mut client_ids = vec![first_client.id];
        let copies: Vec<clients::ActiveModel> = (1..args.clients_per_company)
            .map(|k| {
                let mut row: clients::ActiveModel = first_client.clone().into();
                row.id = NotSet;
                row.pid = Set(uuid::Uuid::new_v4());
                row.legal_name = Set(format!("Client {k}"));
                row.search_name = Set(format!("client {k}"));
                row.contact_email = Set(Some(format!("client{k}@company{c}.example.fr")));
                row
            })
            .collect();
        for chunk in copies.chunks(500) {
            client_ids.extend(
                clients::Entity::insert_many(chunk.to_vec())
                    .exec_with_returning(&ctx.db)
                    .await
                    .expect("clients")
                    .into_iter()
                    .map(|c| c.id),
            );
        }

        // This company's share of the subscriptions, and their first version.
        let share = base + usize::from(c < extra);
        let rows: Vec<subscriptions::ActiveModel> = (0..share)
            .map(|k| {
                let mut row: subscriptions::ActiveModel = template.clone().into();
                row.id = NotSet;
                row.pid = Set(uuid::Uuid::new_v4());
                row.client_id = Set(client_ids[k % client_ids.len()]);
                row.start_date = Set(start);
                row.next_period = Set(next_period);
                row.next_billing_date = Set(Some(today));
                row
            })
            .collect();
        for chunk in rows.chunks(1000) {
            let inserted = subscriptions::Entity::insert_many(chunk.to_vec())
                .exec_with_returning(&ctx.db)
                .await
                .expect("subscriptions");
            let versions: Vec<subscription_versions::ActiveModel> = inserted
                .iter()
                .map(|s| {
                    let mut row: subscription_versions::ActiveModel = version.clone().into();
                    row.id = NotSet;
                    row.subscription_id = Set(s.id);
                    row
                })
                .collect();
            subscription_versions::Entity::insert_many(versions)
                .exec(&ctx.db)
                .await
                .expect("versions");
        }
    }
    // The seed invoices' PDFs, so that every invoice has one at the end.
    render_document::render_many(ctx, &seed_invoices)
        .await
        .expect("seed PDFs");
    (seed_invoices, start, next_period)
}

/// Feeds the render workers with the invoices each committed chunk issued, as the run's
/// `RenderDocuments` jobs would, until the run is over and everything was handed out.
fn spawn_renderers(
    ctx: &loco_rs::app::AppContext,
    watermark: i64,
    workers: usize,
    issuing_done: Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<usize>> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<i64>>(workers * 2);
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let mut handles = Vec::new();
    let db = ctx.db.clone();
    handles.push(tokio::spawn(async move {
        let mut watermark = watermark;
        loop {
            // Read before the query: whatever was committed before the run ended is seen.
            let done = issuing_done.load(Ordering::SeqCst);
            let ids: Vec<i64> = invoices::Entity::find()
                .select_only()
                .column(invoices::Column::Id)
                .filter(invoices::Column::Id.gt(watermark))
                .filter(invoices::Column::Status.ne("draft"))
                .order_by_asc(invoices::Column::Id)
                .limit(500)
                .into_tuple()
                .all(&db)
                .await
                .expect("feed");
            match ids.last() {
                Some(last) => {
                    watermark = *last;
                    if tx.send(ids).await.is_err() {
                        break;
                    }
                }
                None if done => break,
                None => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        0
    }));
    for _ in 0..workers {
        let rx = rx.clone();
        let ctx = ctx.clone();
        handles.push(tokio::spawn(async move {
            let mut rendered = 0;
            loop {
                let next = rx.lock().await.recv().await;
                let Some(ids) = next else { break };
                rendered += render_document::render_many(&ctx, &ids)
                    .await
                    .expect("render");
            }
            rendered
        }));
    }
    handles
}

#[allow(clippy::too_many_lines, clippy::cast_precision_loss)]
#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args = args();
    let mut config = App::load_config(&Environment::Test).await.expect("config");
    let dir = std::env::temp_dir().join(format!("encaisse-bench-billing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (uri, backend, cleanup) = match &args.postgres {
        Some(base) => {
            let name = format!("encaisse_bench_billing_{}", std::process::id());
            let admin = sea_orm::Database::connect(base).await.expect("postgres");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create db");
            // Same server and parameters (e.g. `?host=/var/run/postgresql`, the Unix
            // socket), another database.
            let (path, query) = base.split_once('?').unwrap_or((base, ""));
            let (server, _) = path.rsplit_once('/').expect("url with a database");
            let query = if query.is_empty() {
                String::new()
            } else {
                format!("?{query}")
            };
            (
                format!("{server}/{name}{query}"),
                "postgres",
                Some((base.clone(), name)),
            )
        }
        None => (
            format!("sqlite://{}/bench.sqlite?mode=rwc", dir.display()),
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
    // No job queue: the render workers below are fed directly (see the module comment).
    let _ = ctx.shared_store.remove::<JobStore>();

    let today = issue_invoice::paris_date(encaisse::clock::of(&ctx).now());
    println!(
        "backend: {backend}; subscriptions: {}; companies: {}; clients per company: {}; render workers: {}{}",
        args.subscriptions,
        args.companies,
        args.clients_per_company,
        args.render_workers,
        if args.skip_pdf { "; PDFs skipped" } else { "" }
    );
    let seeding = Instant::now();
    let (seed_invoices, start, next_period) = seed(&ctx, &args, today).await;
    let watermark: i64 = count(&ctx.db, "SELECT COALESCE(MAX(id), 0) FROM invoices").await;
    println!(
        "seeded in {:.1} s (not measured): subscriptions started {start}, period {next_period} due {today}",
        seeding.elapsed().as_secs_f64()
    );
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!("load average before the run: {}", load.trim());
    }

    // The run.
    perf::reset();
    let cpu_before = cpu_sample();
    let issuing_done = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let renderers = if args.skip_pdf {
        Vec::new()
    } else {
        spawn_renderers(&ctx, watermark, args.render_workers, issuing_done.clone())
    };
    let mut per_company = Vec::new();
    let mut last = Instant::now();
    let report = bill_subscriptions::run(&ctx, today, &mut |progress| {
        if progress.invoices > 0 {
            per_company.push(last.elapsed().as_secs_f64() / progress.invoices as f64);
        }
        last = Instant::now();
    })
    .await
    .expect("billing run");
    let issue_secs = started.elapsed().as_secs_f64();
    let cpu_issued = cpu_sample();
    issuing_done.store(true, Ordering::SeqCst);
    let mut rendered = 0;
    for handle in renderers {
        rendered += handle.await.expect("render task");
    }
    let pdf_secs = started.elapsed().as_secs_f64();
    let cpu_after = cpu_sample();

    let n = args.subscriptions as f64;
    println!(
        "billing run: {} invoices for {} companies, {} failures",
        report.invoices,
        report.companies,
        report.failures.len()
    );
    for failure in report.failures.iter().take(5) {
        println!("  failure: {failure:?}");
    }
    println!(
        "issued (numbered, stored, outbox e-mail written) in {issue_secs:.2} s: {:.0} invoices/s (median {:.3} ms per invoice over the companies)",
        report.invoices as f64 / issue_secs,
        encaisse::perf::median(per_company) * 1000.0
    );
    if !args.skip_pdf {
        println!(
            "every PDF rendered and stored {pdf_secs:.2} s after the run's start ({rendered} PDFs, {:.0} PDFs/s; {:.2} s after the last invoice was issued)",
            rendered as f64 / pdf_secs,
            pdf_secs - issue_secs
        );
    }

    // How the time splits.
    let secs = |phase| perf::total(phase).0.as_secs_f64();
    let chunks = secs(Phase::BillingChunk);
    let billing_cpu = secs(Phase::BillingCpu);
    println!("split of the billing run (wall time of its chunk transactions: {chunks:.2} s):");
    println!(
        "  application CPU (contents read, documents computed, frozen, JSON, e-mail templates): {billing_cpu:.2} s ({:.3} ms per invoice)",
        billing_cpu * 1000.0 / n
    );
    println!(
        "  database statements and commits (the rest): {:.2} s ({:.3} ms per invoice)",
        chunks - billing_cpu,
        (chunks - billing_cpu) * 1000.0 / n
    );
    if !args.skip_pdf {
        let (xml, docs_count) = perf::total(Phase::CiiXml);
        let pdf = secs(Phase::PdfRender);
        let per_doc = |s: f64| s * 1000.0 / (docs_count.max(1) as f64);
        println!(
            "split of the PDF job ({} workers; CPU times summed over the render threads):",
            args.render_workers
        );
        println!(
            "  CII XML: {:.2} s CPU ({:.3} ms per document)",
            xml.as_secs_f64(),
            per_doc(xml.as_secs_f64())
        );
        println!(
            "  Factur-X PDF: {pdf:.2} s CPU ({:.3} ms per document)",
            per_doc(pdf)
        );
        println!(
            "  rendering wall time: {:.2} s; database (read documents, store PDFs, link, release e-mails): {:.2} s wall, summed over the workers ({:.3} ms per document)",
            secs(Phase::RenderWall),
            secs(Phase::RenderDb),
            per_doc(secs(Phase::RenderDb))
        );
    }
    let machine_issue = cpu_issued.machine_busy - cpu_before.machine_busy;
    let process_issue = cpu_issued.process - cpu_before.process;
    let machine_all = cpu_after.machine_busy - cpu_before.machine_busy;
    let process_all = cpu_after.process - cpu_before.process;
    let pg_issue = cpu_issued.postgres - cpu_before.postgres;
    let pg_all = cpu_after.postgres - cpu_before.postgres;
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get) as f64;
    println!(
        "CPU until issued: machine {machine_issue:.1} s of {:.1} s available; this process {process_issue:.1} s, Postgres {pg_issue:.1} s, anything else {:.1} s",
        issue_secs * cores,
        (machine_issue - process_issue - if backend == "postgres" { pg_issue } else { 0.0 })
            .max(0.0)
    );
    println!(
        "CPU until every PDF stored: machine {machine_all:.1} s of {:.1} s available; this process {process_all:.1} s, Postgres {pg_all:.1} s, anything else {:.1} s",
        pdf_secs * cores,
        (machine_all - process_all - if backend == "postgres" { pg_all } else { 0.0 }).max(0.0)
    );

    // Checks.
    let db = &ctx.db;
    let mut ok = true;
    let mut check = |what: &str, pass: bool, detail: String| {
        println!(
            "check: {what}: {} ({detail})",
            if pass { "ok" } else { "FAILED" }
        );
        ok &= pass;
    };
    let issued = count(
        db,
        &format!("SELECT COUNT(*) FROM invoices WHERE id > {watermark} AND status = 'issued' AND subscription_id IS NOT NULL AND issue_date = '{today}'"),
    )
    .await;
    check(
        "one invoice per subscription",
        issued == i64::try_from(args.subscriptions).unwrap_or(-1)
            && report.invoices == args.subscriptions,
        format!("{issued} invoices, {} reported", report.invoices),
    );
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT company_id, COUNT(*), MIN(sequence), MAX(sequence), COUNT(DISTINCT sequence) FROM invoices WHERE kind = 'invoice' GROUP BY company_id",
        ))
        .await
        .expect("numbers");
    let gapless = rows.iter().all(|row| {
        let n: i64 = row.try_get_by_index(1).unwrap_or(-1);
        let min: i64 = row.try_get_by_index(2).unwrap_or(-1);
        let max: i64 = row.try_get_by_index(3).unwrap_or(-1);
        let distinct: i64 = row.try_get_by_index(4).unwrap_or(-1);
        min == 1 && max == n && distinct == n
    });
    check(
        "numbers gapless per company (1..n, no duplicate)",
        gapless && rows.len() == args.companies,
        format!("{} companies", rows.len()),
    );
    let twice = count(
        db,
        "SELECT COUNT(*) FROM (SELECT subscription_id, period_index FROM invoices WHERE subscription_id IS NOT NULL GROUP BY subscription_id, period_index HAVING COUNT(*) > 1) t",
    )
    .await;
    check("no period billed twice", twice == 0, format!("{twice}"));
    let still_due = count(
        db,
        &format!("SELECT COUNT(*) FROM subscriptions WHERE next_billing_date <= '{today}'"),
    )
    .await;
    check(
        "no subscription left due",
        still_due == 0,
        format!("{still_due}"),
    );
    let mails = count(
        db,
        &format!("SELECT COUNT(*) FROM outbox_messages WHERE invoice_id > {watermark}"),
    )
    .await;
    check(
        "outbox e-mail written for every invoice",
        mails == issued,
        format!("{mails}"),
    );
    if !args.skip_pdf {
        let without_pdf = count(
            db,
            "SELECT COUNT(*) FROM invoices WHERE pdf_file_id IS NULL",
        )
        .await;
        check(
            "every invoice has its stored PDF",
            without_pdf == 0 && rendered == args.subscriptions,
            format!(
                "{without_pdf} without, {rendered} rendered, {} seed invoices",
                seed_invoices.len()
            ),
        );
        let pdf_bytes = count(
            db,
            &format!("SELECT CAST(COALESCE(SUM(f.size), 0) AS BIGINT) FROM invoices i JOIN document_files f ON f.id = i.pdf_file_id WHERE i.id > {watermark}"),
        )
        .await;
        println!(
            "PDF size: {:.1} KB on average (stored once; the e-mail names the stored file)",
            pdf_bytes as f64 / 1024.0 / issued.max(1) as f64
        );
        let released = count(
            db,
            &format!("SELECT COUNT(*) FROM outbox_messages m JOIN outbox_attachments a ON a.message_id = m.id JOIN invoices i ON i.id = m.invoice_id WHERE m.invoice_id > {watermark} AND m.status = 'pending' AND a.file_id = i.pdf_file_id"),
        )
        .await;
        check(
            "every e-mail released with its invoice's stored PDF",
            released == issued,
            format!("{released}"),
        );
    }
    // Idempotent: a second run (the cron in another process, a retry) bills nothing.
    let again = bill_subscriptions::run(&ctx, today, &mut |_| {})
        .await
        .expect("second run");
    check(
        "a second run issues nothing",
        again.invoices == 0,
        format!("{} invoices", again.invoices),
    );

    ctx.db.clone().close().await.ok();
    if let Some((base, name)) = cleanup {
        let admin = sea_orm::Database::connect(&base).await.expect("postgres");
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .ok();
    }
    let _ = std::fs::remove_dir_all(&dir);
    if !ok {
        std::process::exit(1);
    }
}
