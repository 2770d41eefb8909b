//! Renders example invoices on one thread and reports PDFs per second and the median time
//! per PDF: `cargo run --release --bin bench_pdf -- 2000` (2000 renders per variant).
//!
//! Then the Factur-X PDF (PDF/A-3 with the XML embedded) of the same documents: drawn
//! and completed in memory (`render_facturx`), and the completion alone of a PDF already
//! written (`to_facturx`, which parses it), with the document's CII (not timed here).

use std::time::{Duration, Instant};

use encaisse::{
    documents::{
        cii::cii_xml,
        example::example_invoice,
        facturx::{render_facturx, to_facturx},
        pdf::render_pdf,
        ubl::ubl_xml,
    },
    services::render_document,
};

const LOGO: &[u8] = include_bytes!("../../tests/fixtures/logo.png");

/// Times `count` runs of `run`: runs per second, median and 95th percentile.
fn measure<T>(count: usize, mut run: impl FnMut() -> T) -> (f64, Duration, Duration) {
    let mut times: Vec<Duration> = Vec::with_capacity(count);
    let started = Instant::now();
    for _ in 0..count {
        let start = Instant::now();
        let result = run();
        times.push(start.elapsed());
        std::hint::black_box(result);
    }
    let total = started.elapsed();
    times.sort();
    #[allow(clippy::cast_precision_loss)]
    let per_second = count as f64 / total.as_secs_f64();
    (
        per_second,
        times[times.len() / 2],
        times[times.len() * 95 / 100],
    )
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

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
        let xml = match cii_xml(&doc) {
            Ok(xml) => xml,
            Err(error) => {
                eprintln!("bench_pdf: {name}: CII: {error}");
                std::process::exit(1);
            }
        };
        // Warm-up: font parsing happens once per process, not in the figures.
        let (first, facturx) = match render_pdf(&doc, logo).and_then(|pdf| {
            let facturx = to_facturx(&pdf, &xml, &doc)
                .map_err(|e| encaisse::documents::pdf::PdfError::Write(e.to_string()))?;
            Ok((pdf, facturx))
        }) {
            Ok(files) => files,
            Err(error) => {
                eprintln!("bench_pdf: {name}: {error}");
                std::process::exit(1);
            }
        };
        let pages = first
            .windows(11)
            .filter(|w| w.starts_with(b"/Type/Page") && w[10] != b's')
            .count();
        let (per_second, median, p95) = measure(count, || render_pdf(&doc, logo).ok());
        println!(
            "{name:>16}: {per_second:7.0} PDFs/s, median {:6.3} ms, p95 {:6.3} ms, \
             {} bytes, {pages} page(s)",
            ms(median),
            ms(p95),
            first.len(),
        );
        let (per_second, median, p95) = measure(count, || render_facturx(&doc, logo, &xml).ok());
        println!(
            "{:>16}  Factur-X drawn and completed: {per_second:7.0} PDFs/s, median {:6.3} ms, \
             p95 {:6.3} ms, {} bytes with a {}-byte XML",
            "",
            ms(median),
            ms(p95),
            facturx.len(),
            xml.len(),
        );
        // What the PDF job does per document: the CII written, then the Factur-X PDF.
        let (per_second, median, p95) =
            measure(count, || render_document::issued_pdf(&doc, logo).ok());
        println!(
            "{:>16}  CII written + Factur-X PDF (the job's work): {per_second:7.0} PDFs/s, \
             median {:6.3} ms, p95 {:6.3} ms",
            "",
            ms(median),
            ms(p95),
        );
        let (per_second, median, _) = measure(count, || cii_xml(&doc).ok());
        let (ubl_per_second, ubl_median, _) = measure(count, || ubl_xml(&doc).ok());
        println!(
            "{:>16}  CII alone: {per_second:7.0}/s (median {:6.3} ms); UBL alone: \
             {ubl_per_second:7.0}/s (median {:6.3} ms)",
            "",
            ms(median),
            ms(ubl_median),
        );
        let (per_second, median, p95) = measure(count, || to_facturx(&first, &xml, &doc).ok());
        println!(
            "{:>16}  to_facturx of the written PDF alone: {per_second:7.0}/s, median {:6.3} ms, \
             p95 {:6.3} ms",
            "",
            ms(median),
            ms(p95),
        );
    }
}
