//! Renders example invoices on one thread and reports PDFs per second and the median time
//! per PDF: `cargo run --release --bin bench_pdf -- 2000` (2000 renders per variant).

use std::time::{Duration, Instant};

use encaisse::documents::{example::example_invoice, pdf::render_pdf};

const LOGO: &[u8] = include_bytes!("../../tests/fixtures/logo.png");

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|arg| arg.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(1000);
    println!("bench_pdf: {count} renders per variant, one thread");
    let variants: [(&str, usize, Option<&[u8]>); 3] = [
        ("5 lines", 5, None),
        ("5 lines + logo", 5, Some(LOGO)),
        ("40 lines", 40, None),
    ];
    for (name, lines, logo) in variants {
        let doc = example_invoice(lines);
        // Warm-up: font parsing happens once per process, not in the figures.
        let first = match render_pdf(&doc, logo) {
            Ok(bytes) => bytes,
            Err(error) => {
                eprintln!("bench_pdf: {name}: {error}");
                std::process::exit(1);
            }
        };
        let pages = first
            .windows(11)
            .filter(|w| w.starts_with(b"/Type/Page") && w[10] != b's')
            .count();
        let mut times: Vec<Duration> = Vec::with_capacity(count);
        let started = Instant::now();
        for _ in 0..count {
            let start = Instant::now();
            let bytes = render_pdf(&doc, logo);
            times.push(start.elapsed());
            std::hint::black_box(bytes.ok());
        }
        let total = started.elapsed();
        times.sort();
        let median = times[times.len() / 2];
        let p95 = times[times.len() * 95 / 100];
        #[allow(clippy::cast_precision_loss)]
        let per_second = count as f64 / total.as_secs_f64();
        println!(
            "{name:>16}: {per_second:7.0} PDFs/s, median {:6.3} ms, p95 {:6.3} ms, \
             {} bytes, {pages} page(s)",
            median.as_secs_f64() * 1000.0,
            p95.as_secs_f64() * 1000.0,
            first.len(),
        );
    }
}
