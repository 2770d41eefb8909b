//! The PDF of an invoice or a credit note, drawn from the frozen [`InvoiceDocument`].
//!
//! Everything French law wants on an invoice is printed as text (so that it can be read
//! back, searched and checked): the parties' identities (CGI annexe II art. 242 nonies A;
//! Code de commerce art. R123-237), number and dates, each line with its VAT treatment,
//! the VAT breakdown, the exemption reasons, the payment terms with the late-payment
//! penalties and the 40 € recovery indemnity (Code de commerce art. L441-9, L441-10,
//! D441-5), and the nature of the operation (mention of the 2026 e-invoicing reform).
//!
//! Layout: A4 portrait, the seller (logo above) on the left, the title, number and dates
//! then the buyer on the right, the lines table, then on the last page only the VAT
//! breakdown, the totals, the payment terms and the notes. Pages that continue the table
//! repeat a short header and the table header; every page is numbered "Page n / N".
//!
//! Output is deterministic: same document and logo, same bytes (the PDF dates come from
//! the issue, resource names are fixed, the file identifier is a digest of the content).
//!
//! printpdf lays the pages out and writes the file; the two DejaVu Sans faces are
//! embedded by the `fonts` submodule as subsets built once per process rather than by
//! printpdf for each document (that was two thirds of the time of a render): the text
//! is laid out with the faces' advances, then shown as the subsets' glyph codes.

mod fonts;

use std::{collections::BTreeSet, fmt, sync::Arc};

use chrono::NaiveDate;
use printpdf::{
    Color, DictItem, FontId, ImageCompression, ImageOptimizationOptions, Mm, Op, PdfDocument,
    PdfFontHandle, PdfPage, PdfSaveOptions, Pt, RawImage, Rect, Rgb, TextItem, TextMatrix, XObject,
    XObjectId, XObjectTransform,
};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use self::fonts::{fonts, Embedding, Face, Fonts, BOLD_ID, REGULAR_ID};
use crate::{
    domain::{
        invoice::AppliedAdjustment,
        locale::Locale,
        money::{format_cents, format_decimal, format_rate},
        phone::Phone,
        vat::VatCode,
    },
    views::document::{Address, DocumentKind, InvoiceDocument, Operation},
};

/// Why a PDF could not be produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PdfError {
    /// The logo is not a PNG or JPEG image that decodes.
    Logo(String),
    /// A font could not be subset.
    Font(String),
    /// The PDF could not be written out.
    Write(String),
}

impl fmt::Display for PdfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Logo(reason) => write!(f, "logo cannot be decoded: {reason}"),
            Self::Font(reason) => write!(f, "font cannot be embedded: {reason}"),
            Self::Write(reason) => write!(f, "PDF cannot be written: {reason}"),
        }
    }
}

impl std::error::Error for PdfError {}

// ---------------------------------------------------------------------------------------
// Page geometry (points, y measured from the top of the page) and styles

const PAGE_WIDTH: f32 = 595.276;
const PAGE_HEIGHT: f32 = 841.89;

const fn mm(value: f32) -> f32 {
    value * 72.0 / 25.4
}

const MARGIN_X: f32 = mm(15.0);
const CONTENT_RIGHT: f32 = PAGE_WIDTH - MARGIN_X;
const CONTENT_WIDTH: f32 = CONTENT_RIGHT - MARGIN_X;
const CONTENT_TOP: f32 = mm(16.0);
/// Lowest point of the content: below are the footer and the page number.
const CONTENT_BOTTOM: f32 = PAGE_HEIGHT - mm(21.0);
/// Room on a page that continues the document, under its header (about 44 pt).
const CONTINUATION_CAPACITY: f32 = CONTENT_BOTTOM - CONTENT_TOP - 50.0;
const RIGHT_COLUMN_X: f32 = mm(110.0);
const RIGHT_COLUMN_WIDTH: f32 = CONTENT_RIGHT - RIGHT_COLUMN_X;
const LEFT_COLUMN_WIDTH: f32 = mm(88.0);
const LOGO_MAX_WIDTH: f32 = mm(45.0);
const LOGO_MAX_HEIGHT: f32 = mm(18.0);
const LINE_SPACING: f32 = 1.32;
/// Resource name of the logo image.
const LOGO_ID: &str = "ENCLOGO";

#[derive(Clone, Copy, PartialEq)]
struct Colour(f32, f32, f32);

const INK: Colour = Colour(0.12, 0.13, 0.16);
const MUTED: Colour = Colour(0.42, 0.45, 0.50);
const ACCENT: Colour = Colour(0.10, 0.22, 0.40);
const ACCENT_TINT: Colour = Colour(0.94, 0.96, 0.985);
const ZEBRA: Colour = Colour(0.975, 0.978, 0.982);
const RULE: Colour = Colour(0.83, 0.85, 0.88);
const WHITE: Colour = Colour(1.0, 1.0, 1.0);
const WARNING: Colour = Colour(0.74, 0.11, 0.11);
const WARNING_TINT: Colour = Colour(0.98, 0.86, 0.86);
const DRAFT_TINT: Colour = Colour(0.90, 0.91, 0.93);

#[derive(Clone, Copy)]
struct Style {
    bold: bool,
    size: f32,
    colour: Colour,
}

impl Style {
    const fn new(bold: bool, size: f32, colour: Colour) -> Self {
        Self { bold, size, colour }
    }

    const fn sized(self, size: f32) -> Self {
        Self { size, ..self }
    }

    const fn coloured(self, colour: Colour) -> Self {
        Self { colour, ..self }
    }

    fn line_height(self) -> f32 {
        self.size * LINE_SPACING
    }
}

const BODY: Style = Style::new(false, 8.5, INK);
const BODY_BOLD: Style = Style::new(true, 8.5, INK);
/// Table cells: a little smaller, so that designations wrap less.
const CELL: Style = Style::new(false, 8.0, INK);
const SMALL: Style = Style::new(false, 7.5, MUTED);
const LABEL: Style = Style::new(true, 7.0, MUTED);
const HEADING: Style = Style::new(true, 9.0, ACCENT);

// ---------------------------------------------------------------------------------------
// Drawing

/// Text operations of one layer, with the text state already set (fewer operators).
#[derive(Default)]
struct TextLayer {
    ops: Vec<Op>,
    font: Option<(bool, u32)>,
    colour: Option<Colour>,
}

impl TextLayer {
    fn show(&mut self, style: Style, x: f32, baseline: f32, text: String, rotation: f32) {
        let font_key = (style.bold, style.size.to_bits());
        if self.font != Some(font_key) {
            let id = if style.bold { BOLD_ID } else { REGULAR_ID };
            self.ops.push(Op::SetFont {
                font: PdfFontHandle::External(FontId(id.to_string())),
                size: Pt(style.size),
            });
            self.font = Some(font_key);
        }
        if self.colour != Some(style.colour) {
            self.ops.push(Op::SetFillColor {
                col: colour(style.colour),
            });
            self.colour = Some(style.colour);
        }
        let (x, y) = (Pt(hundredth(x)), Pt(hundredth(PAGE_HEIGHT - baseline)));
        let matrix = if rotation == 0.0 {
            TextMatrix::Translate(x, y)
        } else {
            TextMatrix::TranslateRotate(x, y, rotation)
        };
        self.ops.push(Op::SetTextMatrix { matrix });
        self.ops.push(Op::ShowText {
            items: vec![TextItem::Text(text)],
        });
    }
}

/// A coordinate to the hundredth of a point (1/7200 in): finer than any printer, and
/// short to write in the content stream, which is then faster to compress.
fn hundredth(value: f32) -> f32 {
    (value * 100.0).round() / 100.0
}

fn colour(c: Colour) -> Color {
    Color::Rgb(Rgb::new(c.0, c.1, c.2, None))
}

/// One page being drawn: shapes first, then the watermark, then the text, so that fills
/// never hide text.
struct Canvas {
    fonts: &'static Fonts,
    shapes: Vec<Op>,
    fill: Option<Colour>,
    watermark: TextLayer,
    text: TextLayer,
}

impl Canvas {
    fn new(fonts: &'static Fonts) -> Self {
        Self {
            fonts,
            shapes: Vec::new(),
            fill: None,
            watermark: TextLayer::default(),
            text: TextLayer::default(),
        }
    }

    fn width(&self, style: Style, text: &str) -> f32 {
        self.fonts.face(style.bold).width(text, style.size)
    }

    fn printable(&self, style: Style, text: &str) -> String {
        self.fonts.face(style.bold).printable(text).into_owned()
    }

    /// Left-aligned text on `baseline`.
    fn text(&mut self, style: Style, x: f32, baseline: f32, text: &str) {
        if text.is_empty() {
            return;
        }
        let printable = self.printable(style, text);
        self.text.show(style, x, baseline, printable, 0.0);
    }

    /// Text ending at `right`.
    fn text_right(&mut self, style: Style, right: f32, baseline: f32, text: &str) {
        let printable = self.printable(style, text);
        let x = right - self.width(style, &printable);
        self.text.show(style, x, baseline, printable, 0.0);
    }

    fn text_centre(&mut self, style: Style, centre: f32, baseline: f32, text: &str) {
        let printable = self.printable(style, text);
        let x = centre - self.width(style, &printable) / 2.0;
        self.text.show(style, x, baseline, printable, 0.0);
    }

    /// The style, shrunk (down to 5.5 pt) so that `text` fits in `width`.
    fn fitted(&self, style: Style, text: &str, width: f32) -> Style {
        let natural = self.width(style, text);
        if natural <= width || natural <= 0.0 {
            style
        } else {
            style.sized((style.size * width / natural).max(5.5))
        }
    }

    fn fill_rect(&mut self, x: f32, top: f32, width: f32, height: f32, fill: Colour) {
        if self.fill != Some(fill) {
            self.shapes.push(Op::SetFillColor { col: colour(fill) });
            self.fill = Some(fill);
        }
        self.shapes.push(Op::DrawRectangle {
            rectangle: Rect {
                x: Pt(hundredth(x)),
                y: Pt(hundredth(PAGE_HEIGHT - top - height)),
                width: Pt(hundredth(width)),
                height: Pt(hundredth(height)),
                mode: Some(printpdf::PaintMode::Fill),
                winding_order: None,
            },
        });
    }

    /// A horizontal rule, drawn as a thin filled rectangle (no stroke state to manage).
    fn rule(&mut self, x: f32, width: f32, y: f32, thickness: f32, colour: Colour) {
        self.fill_rect(x, y - thickness / 2.0, width, thickness, colour);
    }

    /// A diagonal watermark across the middle of the page.
    fn watermark(&mut self, text: &str, tint: Colour) {
        let angle: f32 = 35.0;
        let (sin, cos) = angle.to_radians().sin_cos();
        let style = Style::new(true, 46.0, tint);
        let printable = self.printable(style, text);
        // As large as 46 pt, as long as it spans no more than 85 % of the page width.
        let natural = self.width(style, &printable);
        let style = style.sized(
            style
                .size
                .min(style.size * 0.85 * PAGE_WIDTH / (cos * natural)),
        );
        let width = self.width(style, &printable);
        // Start so that the middle of the text sits at the middle of the page.
        let x = PAGE_WIDTH / 2.0 - cos * width / 2.0;
        let baseline_from_bottom = PAGE_HEIGHT / 2.0 - sin * width / 2.0;
        self.watermark.show(
            style,
            x,
            PAGE_HEIGHT - baseline_from_bottom,
            printable,
            angle,
        );
    }

    fn into_page(self) -> PdfPage {
        let mut ops = self.shapes;
        for layer in [self.watermark, self.text] {
            if !layer.ops.is_empty() {
                ops.push(Op::StartTextSection);
                ops.extend(layer.ops);
                ops.push(Op::EndTextSection);
            }
        }
        PdfPage::new(Mm(210.0), Mm(297.0), ops)
    }
}

/// Breaks `text` into lines no wider than `width`: at spaces, and inside a word only when
/// the word alone is too wide. Line breaks of the text are kept.
fn wrap(face: &Face, size: f32, text: &str, width: f32) -> Vec<String> {
    let space = face.width(" ", size);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut current = String::new();
        let mut current_width = 0.0;
        for word in paragraph.split([' ', '\t', '\r']).filter(|w| !w.is_empty()) {
            let word_width = face.width(word, size);
            if !current.is_empty() && current_width + space + word_width <= width {
                current.push(' ');
                current.push_str(word);
                current_width += space + word_width;
                continue;
            }
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            if word_width <= width {
                current.push_str(word);
                current_width = word_width;
                continue;
            }
            // A word wider than the column (a long reference, an URL): cut it.
            current_width = 0.0;
            for c in word.chars() {
                let mut buffer = [0u8; 4];
                let c_width = face.width(c.encode_utf8(&mut buffer), size);
                if !current.is_empty() && current_width + c_width > width {
                    lines.push(std::mem::take(&mut current));
                    current_width = 0.0;
                }
                current.push(c);
                current_width += c_width;
            }
        }
        lines.push(current);
    }
    // Blank lines at the end of the text carry nothing.
    while lines.len() > 1 && lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

// ---------------------------------------------------------------------------------------
// French formatting of what is printed

fn money(cents: i64) -> String {
    format_cents(cents, Locale::Fr)
}

fn date(value: NaiveDate) -> String {
    value.format("%d/%m/%Y").to_string()
}

/// A quantity with its decimals but no trailing zero ("1,5", "24", "1 000").
fn quantity(value: Decimal) -> String {
    let value = value.normalize();
    format_decimal(value, value.scale(), Locale::Fr)
}

/// A unit price with two decimals, or up to four when it has them ("0,605 €").
fn unit_price(value: Decimal) -> String {
    let value = value.normalize();
    let decimals = value.scale().clamp(2, 4);
    format!("{}\u{a0}€", format_decimal(value, decimals, Locale::Fr))
}

fn percent(value: Decimal) -> String {
    let value = value.normalize();
    format!(
        "{}\u{a0}%",
        format_decimal(value, value.scale(), Locale::Fr)
    )
}

/// UN/ECE Recommendation 20 unit codes as printed.
fn unit_label(code: &str) -> &str {
    match code {
        "C62" => "unité",
        "HUR" => "heure",
        "DAY" => "jour",
        "WEE" => "semaine",
        "MON" => "mois",
        "ANN" => "an",
        "LS" => "forfait",
        other => other,
    }
}

/// The VAT column: the rate when VAT is charged, the treatment otherwise.
fn vat_label(code: VatCode) -> String {
    if code.is_taxed() {
        return percent(code.rate());
    }
    match code.category() {
        "AE" => "Autoliquidation".to_string(),
        "O" => "Hors champ".to_string(),
        _ => "Exonéré".to_string(),
    }
}

/// "732 829 320" and "732 829 320 00074"; anything else as stored.
fn identifier(value: &str) -> String {
    let digits: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    let all_digits = digits.bytes().all(|b| b.is_ascii_digit());
    match digits.len() {
        9 if all_digits => format!("{} {} {}", &digits[0..3], &digits[3..6], &digits[6..9]),
        14 if all_digits => format!(
            "{} {} {} {}",
            &digits[0..3],
            &digits[3..6],
            &digits[6..9],
            &digits[9..14]
        ),
        _ => value.trim().to_string(),
    }
}

/// An IBAN in groups of four, as banks print it.
fn iban(value: &str) -> String {
    let compact: Vec<char> = value
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    compact
        .chunks(4)
        .map(|chunk| chunk.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

fn phone(value: &str) -> String {
    Phone::parse(value).map_or_else(|_| value.to_string(), |p| p.formatted())
}

/// "Facture n° F-2026-000042", "Facture (test)" for a test document (never numbered),
/// "Facture — Brouillon" for a draft.
fn reference(doc: &InvoiceDocument) -> String {
    let title = doc.title_fr();
    match (&doc.number, doc.test_mode) {
        (_, true) => format!("{title} (test)"),
        (Some(number), false) => format!("{title} n° {number}"),
        (None, false) => format!("{title} — Brouillon"),
    }
}

/// The PDF's Info title: "Facture F-2026-000042".
pub(crate) fn info_title(doc: &InvoiceDocument) -> String {
    let title = doc.title_fr();
    match (&doc.number, doc.test_mode) {
        (_, true) => format!("{title} (test)"),
        (Some(number), false) => format!("{title} {number}"),
        (None, false) => format!("{title} (brouillon)"),
    }
}

fn address_lines(address: &Address) -> Vec<String> {
    let mut lines = address.lines.clone();
    if lines.is_empty() {
        lines.push(address.street.clone());
        lines.extend(address.street2.clone());
        lines.push(format!("{} {}", address.postcode, address.city));
    }
    lines.retain(|l| !l.trim().is_empty());
    if !address.country_name.trim().is_empty() {
        lines.push(address.country_name.clone());
    }
    lines
}

/// "SARL au capital de 10 000,00 €" (Code de commerce art. R123-237: legal form and share
/// capital of a company).
fn legal_form_line(doc: &InvoiceDocument) -> Option<String> {
    let label = doc.seller.legal_form_label.trim();
    match (label.is_empty(), doc.seller.share_capital_cents) {
        (true, None) => None,
        (true, Some(capital)) => Some(format!("Capital de {}", money(capital))),
        (false, None) => Some(label.to_string()),
        (false, Some(capital)) => Some(format!("{label} au capital de {}", money(capital))),
    }
}

// ---------------------------------------------------------------------------------------
// The lines table

#[derive(Clone, Copy, PartialEq)]
enum Align {
    Left,
    Right,
}

struct Column {
    title: &'static str,
    width: f32,
    align: Align,
}

const COLUMNS: [Column; 6] = [
    Column {
        title: "Désignation",
        width: mm(86.0),
        align: Align::Left,
    },
    Column {
        title: "Qté",
        width: mm(13.0),
        align: Align::Right,
    },
    Column {
        title: "Unité",
        width: mm(16.0),
        align: Align::Left,
    },
    Column {
        title: "P.U. HT",
        width: mm(22.0),
        align: Align::Right,
    },
    Column {
        title: "TVA",
        width: mm(19.0),
        align: Align::Right,
    },
    Column {
        title: "Total HT",
        width: mm(24.0),
        align: Align::Right,
    },
];

const CELL_PADDING: f32 = mm(2.0);
const ROW_PADDING: f32 = 4.0;
const TABLE_HEADER_HEIGHT: f32 = 17.0;
/// From the top of the notes block to the top of its first line.
const NOTES_HEADING_HEIGHT: f32 = 9.0 + 4.0 + 3.0;

/// One table row, ready to draw: wrapped designation, then the other cells.
#[derive(Clone)]
struct Row {
    designation: Vec<String>,
    detail: Option<String>,
    cells: [String; 5],
    tinted: bool,
}

impl Row {
    /// The row as pieces no taller than `max_height`: a designation too long for a page
    /// goes on over the next, its figures on the first piece.
    fn pieces(&self, max_height: f32) -> Vec<Self> {
        if self.height() <= max_height {
            return vec![self.clone()];
        }
        let room = max_height - ROW_PADDING * 2.0 - SMALL.line_height();
        // Whole lines only; at least one per piece.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let lines_per_piece = ((room / CELL.line_height()).floor() as usize).max(1);
        let chunks: Vec<&[String]> = self.designation.chunks(lines_per_piece).collect();
        let last = chunks.len() - 1;
        chunks
            .into_iter()
            .enumerate()
            .map(|(index, lines)| Self {
                designation: lines.to_vec(),
                detail: if index == last {
                    self.detail.clone()
                } else {
                    None
                },
                cells: if index == 0 {
                    self.cells.clone()
                } else {
                    Default::default()
                },
                tinted: self.tinted,
            })
            .collect()
    }

    fn height(&self) -> f32 {
        let detail = if self.detail.is_some() {
            SMALL.line_height()
        } else {
            0.0
        };
        ROW_PADDING * 2.0 + CELL.line_height() * self.designation.len().max(1) as f32 + detail
    }
}

fn designation_width() -> f32 {
    COLUMNS[0].width - 2.0 * CELL_PADDING
}

fn line_rows(doc: &InvoiceDocument, fonts: &Fonts) -> Vec<Row> {
    doc.lines
        .iter()
        .map(|printed| {
            let line = &printed.line;
            Row {
                designation: wrap(
                    &fonts.regular,
                    CELL.size,
                    &line.description,
                    designation_width(),
                ),
                detail: None,
                cells: [
                    quantity(line.quantity),
                    unit_label(&line.unit).to_string(),
                    unit_price(line.unit_price),
                    vat_label(line.vat),
                    money(printed.net_cents),
                ],
                tinted: false,
            }
        })
        .collect()
}

/// Allowances and charges (EN 16931 BG-20/BG-21) as rows under the lines: reason, how
/// it was computed, treatment, signed amount.
fn adjustment_rows(doc: &InvoiceDocument, fonts: &Fonts) -> Vec<Row> {
    doc.adjustments
        .iter()
        .map(|adjustment: &AppliedAdjustment| {
            let kind = if adjustment.is_charge {
                "Frais"
            } else {
                "Remise"
            };
            let detail = match (adjustment.percent, adjustment.base_cents) {
                (Some(rate), Some(base)) => {
                    format!("{kind} de {} sur {}", percent(rate), money(base))
                }
                _ => kind.to_string(),
            };
            let signed = if adjustment.is_charge {
                adjustment.amount_cents
            } else {
                -adjustment.amount_cents
            };
            Row {
                designation: wrap(
                    &fonts.regular,
                    CELL.size,
                    &adjustment.reason,
                    designation_width(),
                ),
                detail: Some(detail),
                cells: [
                    String::new(),
                    String::new(),
                    String::new(),
                    vat_label(adjustment.vat),
                    money(signed),
                ],
                tinted: true,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Layout

/// Where the logo goes and how big.
#[derive(Clone, Copy)]
struct LogoPlacement {
    width: f32,
    height: f32,
    pixel_width: f32,
    pixel_height: f32,
}

struct Layout<'a> {
    doc: &'a InvoiceDocument,
    fonts: &'static Fonts,
    logo: Option<LogoPlacement>,
    reference: String,
    pages: Vec<Canvas>,
    /// Where the next block starts on the current (last) page.
    y: f32,
}

impl<'a> Layout<'a> {
    fn new(doc: &'a InvoiceDocument, fonts: &'static Fonts, logo: Option<LogoPlacement>) -> Self {
        Self {
            doc,
            fonts,
            logo,
            reference: reference(doc),
            pages: Vec::new(),
            y: CONTENT_TOP,
        }
    }

    fn page(&mut self) -> &mut Canvas {
        if self.pages.is_empty() {
            self.pages.push(Canvas::new(self.fonts));
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn run(mut self) -> Vec<PdfPage> {
        self.start_page();
        self.first_page_header();
        let rows: Vec<Row> = line_rows(self.doc, self.fonts)
            .into_iter()
            .chain(adjustment_rows(self.doc, self.fonts))
            .collect();
        self.table(&rows);
        self.closing_blocks();
        self.footers();
        self.pages.into_iter().map(Canvas::into_page).collect()
    }

    /// A new page with what every page carries: the test banner and watermark
    /// (a test document must never pass for an invoice) or the draft watermark.
    fn start_page(&mut self) {
        self.pages.push(Canvas::new(self.fonts));
        self.y = CONTENT_TOP;
        let doc = self.doc;
        let page = self.page();
        if doc.test_mode {
            page.fill_rect(MARGIN_X, mm(5.0), CONTENT_WIDTH, mm(7.0), WARNING);
            page.text_centre(
                Style::new(true, 9.5, WHITE),
                PAGE_WIDTH / 2.0,
                mm(5.0) + mm(7.0) / 2.0 + 3.3,
                "TEST — sans valeur légale",
            );
            page.watermark("TEST — sans valeur légale", WARNING_TINT);
        } else if doc.number.is_none() {
            page.watermark("BROUILLON", DRAFT_TINT);
        }
    }

    fn first_page_header(&mut self) {
        let doc = self.doc;
        let left_end = self.seller_block(CONTENT_TOP);
        let mut right_end = self.title_block(CONTENT_TOP);
        right_end = self.buyer_block(right_end + mm(4.0));
        let mut end = left_end.max(right_end);
        if let Some(delivery) = &doc.buyer.delivery_address {
            // In the shorter column, so that the header stays compact.
            let (x, top, width) = if left_end <= right_end {
                (MARGIN_X, left_end + mm(5.0), LEFT_COLUMN_WIDTH)
            } else {
                (RIGHT_COLUMN_X, right_end + mm(4.0), RIGHT_COLUMN_WIDTH)
            };
            let lines = address_lines(delivery);
            let delivery_end = self.labelled_block(x, top, width, "Adresse de livraison", &lines);
            end = end.max(delivery_end);
        }
        self.y = end + mm(6.0);
        let label = doc.label.trim();
        if !label.is_empty() {
            let fonts = self.fonts;
            let y = self.y;
            let page = self.page();
            page.text(LABEL, MARGIN_X, y + LABEL.size, "OBJET");
            let object_x = MARGIN_X + page.width(LABEL, "OBJET") + mm(3.0);
            let lines = wrap(&fonts.bold, BODY_BOLD.size, label, CONTENT_RIGHT - object_x);
            let mut baseline = y + BODY_BOLD.size;
            for line in &lines {
                page.text(BODY_BOLD, object_x, baseline, line);
                baseline += BODY_BOLD.line_height();
            }
            self.y = baseline - BODY_BOLD.size + mm(3.0);
        }
    }

    /// Logo, then the seller's identity (CGI annexe II art. 242 nonies A, I-1° and 2°;
    /// Code de commerce art. R123-237). Returns where it ends.
    fn seller_block(&mut self, top: f32) -> f32 {
        let doc = self.doc;
        let seller = &doc.seller;
        let mut y = top;
        if let Some(logo) = self.logo {
            let transform = XObjectTransform {
                translate_x: Some(Pt(MARGIN_X)),
                translate_y: Some(Pt(PAGE_HEIGHT - top - logo.height)),
                scale_x: Some(logo.width / logo.pixel_width),
                scale_y: Some(logo.height / logo.pixel_height),
                // One pixel is one point before the scale above.
                dpi: Some(72.0),
                ..XObjectTransform::default()
            };
            self.page().shapes.push(Op::UseXobject {
                id: XObjectId(LOGO_ID.to_string()),
                transform,
            });
            y += logo.height + mm(4.0);
        }
        let name_style = Style::new(true, 12.0, INK);
        let mut lines: Vec<(Style, String)> = Vec::new();
        lines.extend(legal_form_line(doc).map(|l| (BODY, l)));
        lines.extend(
            address_lines(&seller.address)
                .into_iter()
                .map(|l| (BODY, l)),
        );
        let mut identity = format!("SIREN {}", identifier(&seller.siren));
        if let Some(registration) = seller.registration.as_deref().map(str::trim) {
            if !registration.is_empty() {
                identity.push_str(" · ");
                identity.push_str(registration);
            }
        }
        lines.push((SMALL.coloured(INK), identity));
        if !seller.siret.trim().is_empty() {
            lines.push((
                SMALL.coloured(INK),
                format!("SIRET {}", identifier(&seller.siret)),
            ));
        }
        if seller.vat_franchise {
            // CGI art. 293 B: a seller under the franchise charges no VAT and says so.
            lines.push((
                SMALL.coloured(INK),
                "TVA non applicable, art. 293 B du CGI".to_string(),
            ));
        } else if let Some(vat) = seller.vat_number.as_deref() {
            lines.push((
                SMALL.coloured(INK),
                format!("N° TVA intracommunautaire : {vat}"),
            ));
        }
        let mut contact = seller.email.trim().to_string();
        if let Some(number) = seller.phone.as_deref() {
            if !contact.is_empty() {
                contact.push_str(" · ");
            }
            contact.push_str(&phone(number));
        }
        if !contact.is_empty() {
            lines.push((SMALL, contact));
        }
        let fonts = self.fonts;
        let page = self.page();
        y += name_style.size;
        for name_line in wrap(
            &fonts.bold,
            name_style.size,
            &seller.legal_name,
            LEFT_COLUMN_WIDTH,
        ) {
            page.text(name_style, MARGIN_X, y, &name_line);
            y += name_style.line_height();
        }
        y += 1.0;
        let mut previous_small = false;
        for (style, text) in &lines {
            let small = style.size < BODY.size;
            if small && !previous_small {
                // A little air between the address and the registration numbers.
                y += 3.0;
            }
            previous_small = small;
            for wrapped in wrap(fonts.face(style.bold), style.size, text, LEFT_COLUMN_WIDTH) {
                page.text(*style, MARGIN_X, y, &wrapped);
                y += style.line_height();
            }
        }
        y - BODY.size
    }

    /// Title, reference and dates, right-aligned (CGI annexe II art. 242 nonies A, I-3°
    /// to 5°: number, date of issue, date of the sale or service). Returns where it ends.
    fn title_block(&mut self, top: f32) -> f32 {
        let doc = self.doc;
        let title = Style::new(true, 22.0, ACCENT);
        let reference_style = Style::new(true, 10.5, INK);
        let reference = self.reference.clone();
        let mut rows: Vec<(String, String)> =
            vec![("Date d'émission".into(), date(doc.issue_date))];
        match doc.service_period {
            Some(period) => rows.push((
                "Période".into(),
                format!("du {} au {}", date(period.start), date(period.end)),
            )),
            None => {
                let label = match doc.operation {
                    Operation::Services => "Date de la prestation",
                    Operation::Goods => "Date de livraison",
                    Operation::Mixed => "Date de la livraison et de la prestation",
                };
                rows.push((label.into(), date(doc.delivery_date)));
            }
        }
        rows.push(("Échéance".into(), date(doc.due_date)));
        rows.push((
            "Nature de l'opération".into(),
            doc.operation.label_fr().to_string(),
        ));
        let corrects = doc.corrects.as_ref().map(|c| {
            format!(
                "Avoir sur la facture n° {} du {}",
                c.number,
                date(c.issue_date)
            )
        });
        let page = self.page();
        let mut y = top + 18.0;
        page.text_right(title, CONTENT_RIGHT, y, doc.title_fr());
        y += 16.0;
        let reference_style = page.fitted(reference_style, &reference, RIGHT_COLUMN_WIDTH);
        page.text_right(reference_style, CONTENT_RIGHT, y, &reference);
        y += reference_style.line_height();
        if let Some(corrects) = corrects {
            let style = page.fitted(BODY_BOLD.coloured(ACCENT), &corrects, RIGHT_COLUMN_WIDTH);
            page.text_right(style, CONTENT_RIGHT, y, &corrects);
            y += style.line_height();
        }
        y += 2.0;
        for (label, value) in rows {
            // "Label : value" in one run, so that it reads as one phrase once extracted.
            let label = format!("{label} : ");
            let label_width = page.width(SMALL, &label);
            let value_width = page.width(BODY, &value);
            if label_width + value_width <= RIGHT_COLUMN_WIDTH {
                // Label first: text is extracted in drawing order.
                page.text(SMALL, CONTENT_RIGHT - value_width - label_width, y, &label);
                page.text_right(BODY, CONTENT_RIGHT, y, &value);
            } else {
                page.text_right(SMALL, CONTENT_RIGHT, y, label.trim_end());
                y += BODY.line_height();
                let style = page.fitted(BODY, &value, RIGHT_COLUMN_WIDTH);
                page.text_right(style, CONTENT_RIGHT, y, &value);
            }
            y += BODY.line_height();
        }
        y - BODY.size
    }

    /// The buyer (CGI annexe II art. 242 nonies A, I-1°: name and address; SIREN and VAT
    /// number when known) in a tinted box. Returns where it ends.
    fn buyer_block(&mut self, top: f32) -> f32 {
        let buyer = &self.doc.buyer;
        let mut lines: Vec<(Style, String)> = Vec::new();
        if let Some(contact) = buyer
            .contact_name
            .as_deref()
            .filter(|c| !c.trim().is_empty())
        {
            lines.push((BODY, format!("À l'attention de {contact}")));
        }
        lines.extend(address_lines(&buyer.address).into_iter().map(|l| (BODY, l)));
        let identity = SMALL.coloured(INK);
        if let Some(siren) = buyer.siren.as_deref().filter(|s| !s.trim().is_empty()) {
            lines.push((identity, format!("SIREN {}", identifier(siren))));
        }
        if let Some(siret) = buyer.siret.as_deref().filter(|s| !s.trim().is_empty()) {
            lines.push((identity, format!("SIRET {}", identifier(siret))));
        }
        if let Some(vat) = buyer.vat_number.as_deref().filter(|s| !s.trim().is_empty()) {
            lines.push((identity, format!("N° TVA intracommunautaire : {vat}")));
        }
        if let Some(number) = buyer
            .customer_number
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            lines.push((identity, format!("N° client : {number}")));
        }
        let fonts = self.fonts;
        let padding = mm(4.0);
        let inner = RIGHT_COLUMN_WIDTH - 2.0 * padding;
        let name_style = Style::new(true, 10.0, INK);
        let name_lines = wrap(&fonts.bold, name_style.size, &buyer.legal_name, inner);
        let wrapped: Vec<(Style, Vec<String>)> = lines
            .iter()
            .map(|(style, text)| {
                (
                    *style,
                    wrap(fonts.face(style.bold), style.size, text, inner),
                )
            })
            .collect();
        let mut height = padding * 2.0 + LABEL.line_height() + 2.0;
        height += name_style.line_height() * name_lines.len() as f32 + 1.0;
        let mut previous_small = false;
        for (style, texts) in &wrapped {
            let small = style.size < BODY.size;
            if small && !previous_small {
                height += 3.0;
            }
            previous_small = small;
            height += style.line_height() * texts.len() as f32;
        }
        let page = self.page();
        page.fill_rect(RIGHT_COLUMN_X, top, RIGHT_COLUMN_WIDTH, height, ACCENT_TINT);
        page.fill_rect(RIGHT_COLUMN_X, top, 2.0, height, ACCENT);
        let x = RIGHT_COLUMN_X + padding;
        let mut y = top + padding + LABEL.size;
        page.text(LABEL, x, y, "CLIENT");
        y += LABEL.line_height() + 2.0 + name_style.size - LABEL.size;
        for line in &name_lines {
            page.text(name_style, x, y, line);
            y += name_style.line_height();
        }
        y += 1.0 + BODY.size - name_style.size;
        let mut previous_small = false;
        for (style, texts) in &wrapped {
            let small = style.size < BODY.size;
            if small && !previous_small {
                y += 3.0;
            }
            previous_small = small;
            for text in texts {
                page.text(*style, x, y, text);
                y += style.line_height();
            }
        }
        top + height
    }

    /// A small labelled block of lines ("Adresse de livraison"). Returns where it ends.
    fn labelled_block(
        &mut self,
        x: f32,
        top: f32,
        width: f32,
        label: &str,
        lines: &[String],
    ) -> f32 {
        let fonts = self.fonts;
        let page = self.page();
        let label_style = LABEL.sized(7.5);
        let mut y = top + label_style.size;
        page.text(label_style, x, y, label);
        y += label_style.line_height() + 2.0 + BODY.size - label_style.size;
        for line in lines {
            for wrapped in wrap(&fonts.regular, BODY.size, line, width) {
                page.text(BODY, x, y, &wrapped);
                y += BODY.line_height();
            }
        }
        y - BODY.size
    }

    /// What a page that continues the document starts with: who, what, which page.
    fn continuation_header(&mut self) {
        let doc = self.doc;
        let reference = self.reference.clone();
        let top = self.y;
        let page = self.page();
        let name = Style::new(true, 10.0, INK);
        let baseline = top + name.size;
        let name_style = page.fitted(name, &doc.seller.legal_name, CONTENT_WIDTH / 2.0);
        page.text(name_style, MARGIN_X, baseline, &doc.seller.legal_name);
        let reference_style = page.fitted(name.coloured(ACCENT), &reference, CONTENT_WIDTH / 2.0);
        page.text_right(reference_style, CONTENT_RIGHT, baseline, &reference);
        let second = baseline + SMALL.line_height() + 1.0;
        page.text(
            SMALL,
            MARGIN_X,
            second,
            &format!("Client : {}", doc.buyer.legal_name),
        );
        page.text_right(
            SMALL,
            CONTENT_RIGHT,
            second,
            &format!("Date d'émission : {}", date(doc.issue_date)),
        );
        let rule_y = second + mm(3.0);
        page.rule(MARGIN_X, CONTENT_WIDTH, rule_y, 0.6, RULE);
        self.y = rule_y + mm(5.0);
    }

    fn new_continuation_page(&mut self) {
        self.start_page();
        self.continuation_header();
    }

    fn table_header(&mut self) {
        let top = self.y;
        let page = self.page();
        page.fill_rect(MARGIN_X, top, CONTENT_WIDTH, TABLE_HEADER_HEIGHT, ACCENT);
        let style = Style::new(true, 7.5, WHITE);
        let baseline = top + TABLE_HEADER_HEIGHT / 2.0 + 2.7;
        let mut x = MARGIN_X;
        for column in &COLUMNS {
            match column.align {
                Align::Left => page.text(style, x + CELL_PADDING, baseline, column.title),
                Align::Right => {
                    page.text_right(
                        style,
                        x + column.width - CELL_PADDING,
                        baseline,
                        column.title,
                    );
                }
            }
            x += column.width;
        }
        self.y = top + TABLE_HEADER_HEIGHT;
    }

    /// The rows, page after page: a row splits only when it is taller than a page, a
    /// page that continues the table repeats its header.
    fn table(&mut self, rows: &[Row]) {
        self.table_header();
        for (index, row) in rows.iter().enumerate() {
            for piece in row.pieces(CONTINUATION_CAPACITY - TABLE_HEADER_HEIGHT) {
                let height = piece.height();
                if self.y + height > CONTENT_BOTTOM {
                    self.new_continuation_page();
                    self.table_header();
                }
                let top = self.y;
                self.draw_row(&piece, top, index % 2 == 1);
                self.y = top + height;
            }
        }
        let y = self.y;
        self.page().rule(MARGIN_X, CONTENT_WIDTH, y, 0.8, ACCENT);
    }

    fn draw_row(&mut self, row: &Row, top: f32, zebra: bool) {
        let height = row.height();
        let page = self.page();
        if row.tinted {
            page.fill_rect(MARGIN_X, top, CONTENT_WIDTH, height, ACCENT_TINT);
        } else if zebra {
            page.fill_rect(MARGIN_X, top, CONTENT_WIDTH, height, ZEBRA);
        }
        page.rule(MARGIN_X, CONTENT_WIDTH, top + height, 0.4, RULE);
        let first_baseline = top + ROW_PADDING + CELL.line_height() / 2.0 + CELL.size * 0.3;
        let mut baseline = first_baseline;
        for line in &row.designation {
            page.text(CELL, MARGIN_X + CELL_PADDING, baseline, line);
            baseline += CELL.line_height();
        }
        if let Some(detail) = &row.detail {
            page.text(SMALL, MARGIN_X + CELL_PADDING, baseline - 1.0, detail);
        }
        let mut x = MARGIN_X + COLUMNS[0].width;
        for (column, cell) in COLUMNS[1..].iter().zip(&row.cells) {
            if !cell.is_empty() {
                let inner = column.width - 2.0 * CELL_PADDING;
                let style = page.fitted(CELL, cell, inner);
                match column.align {
                    Align::Left => page.text(style, x + CELL_PADDING, first_baseline, cell),
                    Align::Right => {
                        page.text_right(
                            style,
                            x + column.width - CELL_PADDING,
                            first_baseline,
                            cell,
                        );
                    }
                }
            }
            x += column.width;
        }
    }

    /// VAT breakdown, totals, payment terms and notes: together on the last page, on a new
    /// page when they do not fit under the last row. Only notes longer than a page go on
    /// over the next ones.
    fn closing_blocks(&mut self) {
        let notes_style = Style::new(false, 8.0, INK);
        let notes: Vec<String> = self
            .doc
            .notes
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .map(|n| {
                wrap(
                    &self.fonts.regular,
                    notes_style.size,
                    n.trim(),
                    CONTENT_WIDTH,
                )
            })
            .unwrap_or_default();
        let notes_height = if notes.is_empty() {
            0.0
        } else {
            mm(4.0) + NOTES_HEADING_HEIGHT + notes_style.line_height() * notes.len() as f32
        };
        let mut scratch = Canvas::new(self.fonts);
        let summary_height = self.summary(&mut scratch, 0.0);
        let mut top = self.y + mm(6.0);
        let all_fit_here = top + summary_height + notes_height <= CONTENT_BOTTOM;
        let all_fit_on_a_page = summary_height + notes_height <= CONTINUATION_CAPACITY;
        let summary_fits_here = top + summary_height <= CONTENT_BOTTOM;
        if !all_fit_here && (all_fit_on_a_page || !summary_fits_here) {
            self.new_continuation_page();
            top = self.y + mm(2.0);
        }
        let mut page = self.pages.pop().unwrap_or_else(|| Canvas::new(self.fonts));
        self.y = top + self.summary(&mut page, top);
        self.pages.push(page);
        if !notes.is_empty() {
            self.notes(&notes, notes_style);
        }
    }

    /// Draws the VAT breakdown, the totals and the payment terms from `top`; returns
    /// their height.
    fn summary(&self, page: &mut Canvas, top: f32) -> f32 {
        let vat_end = self.vat_summary(page, top);
        let totals_end = self.totals(page, top);
        let y = vat_end.max(totals_end) + mm(6.0);
        self.payment_terms(page, y) - top
    }

    /// The VAT breakdown per treatment (CGI annexe II art. 242 nonies A, I-8° to 10°),
    /// the exemption reasons (I-12° and 13°) and the debits option. Returns its end.
    fn vat_summary(&self, page: &mut Canvas, top: f32) -> f32 {
        let doc = self.doc;
        let x = MARGIN_X;
        let width = mm(92.0);
        let base_right = x + mm(62.0);
        let vat_right = x + width;
        let mut y = top + HEADING.size;
        page.text(HEADING, x, y, "Récapitulatif TVA");
        y += HEADING.line_height() + 1.0;
        page.text(LABEL, x, y, "TAUX");
        page.text_right(LABEL, base_right, y, "BASE HT");
        page.text_right(LABEL, vat_right, y, "MONTANT TVA");
        y += 4.0;
        page.rule(x, width, y, 0.5, RULE);
        y += BODY.line_height();
        for line in &doc.breakdown {
            let label = if line.vat.is_taxed() {
                format!("TVA {}", vat_label(line.vat))
            } else {
                vat_label(line.vat)
            };
            page.text(BODY, x, y, &label);
            page.text_right(BODY, base_right, y, &money(line.basis_cents));
            page.text_right(BODY, vat_right, y, &money(line.vat_cents));
            y += 4.5;
            page.rule(x, width, y, 0.4, RULE);
            y += BODY.line_height();
        }
        let mut mentions: Vec<&str> = doc.exemption_reasons();
        if doc.seller.vat_franchise && !mentions.contains(&"TVA non applicable, art. 293 B du CGI")
        {
            mentions.push("TVA non applicable, art. 293 B du CGI");
        }
        if doc.seller.vat_on_debits {
            mentions.push("Option pour le paiement de la TVA d'après les débits");
        }
        let mention_style = Style::new(false, 7.5, INK);
        y += 1.0;
        for mention in mentions {
            for line in wrap(&self.fonts.regular, mention_style.size, mention, width) {
                page.text(mention_style, x, y, &line);
                y += mention_style.line_height();
            }
        }
        y - BODY.size
    }

    /// Totals box: lines, allowances and charges, total excluding VAT, VAT per rate,
    /// total including VAT and the amount due (BG-22). Returns its end.
    fn totals(&self, page: &mut Canvas, top: f32) -> f32 {
        let doc = self.doc;
        let totals = &doc.totals;
        let x = mm(117.0);
        let width = CONTENT_RIGHT - x;
        let padding = mm(3.0);
        let mut rows: Vec<(Style, String, String)> = Vec::new();
        if !doc.adjustments.is_empty() {
            rows.push((
                BODY,
                "Total des lignes HT".into(),
                money(totals.lines_cents),
            ));
            if totals.allowances_cents != 0 {
                rows.push((BODY, "Remises".into(), money(-totals.allowances_cents)));
            }
            if totals.charges_cents != 0 {
                rows.push((BODY, "Frais".into(), money(totals.charges_cents)));
            }
        }
        rows.push((BODY_BOLD, "Total HT".into(), money(totals.net_cents)));
        let mut taxed = false;
        for line in doc.breakdown.iter().filter(|b| b.vat.is_taxed()) {
            taxed = true;
            rows.push((
                BODY,
                format!("TVA {}", vat_label(line.vat)),
                money(line.vat_cents),
            ));
        }
        if !taxed {
            rows.push((BODY, "TVA".into(), money(totals.vat_cents)));
        }
        rows.push((
            BODY_BOLD.sized(9.5),
            "Total TTC".into(),
            money(totals.total_cents),
        ));
        let row_height = 13.5;
        let mut y = top;
        for (style, label, amount) in &rows {
            let baseline = y + row_height / 2.0 + style.size * 0.35;
            page.text(*style, x + padding, baseline, label);
            page.text_right(*style, CONTENT_RIGHT - padding, baseline, amount);
            y += row_height;
            page.rule(x, width, y, 0.4, RULE);
        }
        y += 4.0;
        let due_label = match doc.kind {
            DocumentKind::Invoice => "Net à payer",
            DocumentKind::CreditNote => "Net en votre faveur",
        };
        let band_height = 22.0;
        page.fill_rect(x, y, width, band_height, ACCENT);
        let band = Style::new(true, 11.0, WHITE);
        let baseline = y + band_height / 2.0 + band.size * 0.35;
        page.text(band, x + padding, baseline, due_label);
        page.text_right(
            band,
            CONTENT_RIGHT - padding,
            baseline,
            &money(totals.total_cents),
        );
        y + band_height
    }

    /// Payment terms with the mentions of Code de commerce art. L441-9 (due date, late
    /// penalties, 40 € indemnity of art. D441-5, early-payment discount) and the bank
    /// details. Returns its end.
    fn payment_terms(&self, page: &mut Canvas, top: f32) -> f32 {
        let doc = self.doc;
        let payment = &doc.payment;
        let mut terms: Vec<String> = Vec::new();
        if doc.kind == DocumentKind::Invoice {
            let term = if payment.term_days > 0 {
                format!("paiement à {} jours", payment.term_days)
            } else {
                "paiement à réception".to_string()
            };
            terms.push(format!(
                "Conditions : {term}, au plus tard le {}",
                date(doc.due_date)
            ));
        }
        terms.push(format!(
            "Pénalités de retard : taux annuel de {}",
            format_rate(payment.late_penalty_rate_bp, Locale::Fr)
        ));
        if payment.recovery_indemnity {
            terms.push("Indemnité forfaitaire pour frais de recouvrement : 40 €".to_string());
        }
        match payment.early_payment_discount.as_deref().map(str::trim) {
            Some(discount) if !discount.is_empty() => {
                terms.push(format!("Escompte pour paiement anticipé : {discount}"));
            }
            _ => terms.push("Pas d'escompte pour paiement anticipé".to_string()),
        }
        let mut bank: Vec<String> = Vec::new();
        if let Some(holder) = payment
            .bank_holder
            .as_deref()
            .filter(|h| !h.trim().is_empty())
        {
            bank.push(format!("Titulaire : {holder}"));
        }
        if let Some(value) = payment.iban.as_deref().filter(|h| !h.trim().is_empty()) {
            bank.push(format!("IBAN : {}", iban(value)));
        }
        if let Some(bic) = payment.bic.as_deref().filter(|h| !h.trim().is_empty()) {
            bank.push(format!("BIC : {}", bic.trim()));
        }
        if let Some(reference) = payment
            .payment_reference
            .as_deref()
            .filter(|h| !h.trim().is_empty())
        {
            bank.push(format!("Référence à rappeler : {reference}"));
        }
        let x = MARGIN_X;
        let mut y = top + HEADING.size;
        page.text(HEADING, x, y, "Conditions de paiement");
        let bank_x = mm(117.0);
        if !bank.is_empty() {
            page.text(HEADING, bank_x, y, "Règlement par virement");
        }
        y += 4.0;
        page.rule(x, CONTENT_WIDTH, y, 0.5, RULE);
        let style = Style::new(false, 8.0, INK);
        let start = y + style.line_height();
        let mut terms_y = start;
        for term in &terms {
            for line in wrap(&self.fonts.regular, style.size, term, bank_x - x - mm(5.0)) {
                page.text(style, x, terms_y, &line);
                terms_y += style.line_height();
            }
        }
        let mut bank_y = start;
        for line in &bank {
            for wrapped in wrap(
                &self.fonts.regular,
                style.size,
                line,
                CONTENT_RIGHT - bank_x,
            ) {
                page.text(style, bank_x, bank_y, &wrapped);
                bank_y += style.line_height();
            }
        }
        terms_y.max(bank_y) - style.size
    }

    /// The notes, line after line, on the next pages when they are that long.
    fn notes(&mut self, lines: &[String], style: Style) {
        self.y += mm(4.0);
        if self.y + NOTES_HEADING_HEIGHT + style.line_height() > CONTENT_BOTTOM {
            self.new_continuation_page();
        }
        let top = self.y;
        let page = self.page();
        page.text(HEADING, MARGIN_X, top + HEADING.size, "Notes");
        page.rule(MARGIN_X, CONTENT_WIDTH, top + HEADING.size + 4.0, 0.5, RULE);
        self.y = top + NOTES_HEADING_HEIGHT;
        for line in lines {
            if self.y + style.line_height() > CONTENT_BOTTOM {
                self.new_continuation_page();
            }
            let baseline = self.y + style.size;
            self.page().text(style, MARGIN_X, baseline, line);
            self.y += style.line_height();
        }
    }

    /// Every page: the seller's identity in small print and "Page n / N".
    fn footers(&mut self) {
        let doc = self.doc;
        let mut identity = vec![doc.seller.legal_name.clone()];
        identity.extend(legal_form_line(doc));
        identity.push(format!("SIREN {}", identifier(&doc.seller.siren)));
        if let Some(registration) = doc
            .seller
            .registration
            .as_deref()
            .filter(|r| !r.trim().is_empty())
        {
            identity.push(registration.trim().to_string());
        }
        if let Some(vat) = doc
            .seller
            .vat_number
            .as_deref()
            .filter(|v| !v.trim().is_empty())
        {
            identity.push(format!("TVA {vat}"));
        }
        let identity = identity.join(" · ");
        let total = self.pages.len();
        let style = Style::new(false, 7.0, MUTED);
        let rule_y = PAGE_HEIGHT - mm(16.0);
        for (index, page) in self.pages.iter_mut().enumerate() {
            page.rule(MARGIN_X, CONTENT_WIDTH, rule_y, 0.5, RULE);
            let number = format!("Page {} / {total}", index + 1);
            let number_width = page.width(BODY_BOLD.sized(7.5), &number);
            let available = CONTENT_WIDTH - number_width - mm(6.0);
            let identity_style = page.fitted(style, &identity, available);
            let baseline = rule_y + mm(4.5);
            page.text(identity_style, MARGIN_X, baseline, &identity);
            page.text_right(
                BODY_BOLD.sized(7.5).coloured(MUTED),
                CONTENT_RIGHT,
                baseline,
                &number,
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// The document

fn decode_logo(bytes: &[u8]) -> Result<(RawImage, LogoPlacement), PdfError> {
    let image = RawImage::decode_from_bytes(bytes, &mut Vec::new()).map_err(PdfError::Logo)?;
    if image.width == 0 || image.height == 0 {
        return Err(PdfError::Logo("empty image".to_string()));
    }
    // Pixel counts of a logo are far below f32's exact integer range.
    #[allow(clippy::cast_precision_loss)]
    let (pixel_width, pixel_height) = (image.width as f32, image.height as f32);
    let scale = (LOGO_MAX_WIDTH / pixel_width).min(LOGO_MAX_HEIGHT / pixel_height);
    let placement = LogoPlacement {
        width: pixel_width * scale,
        height: pixel_height * scale,
        pixel_width,
        pixel_height,
    };
    Ok((image, placement))
}

/// The PDF's Info subject: "Facture n° F-2026-000042 — Client SARL".
pub(crate) fn info_subject(doc: &InvoiceDocument) -> String {
    format!("{} — {}", reference(doc), doc.buyer.legal_name)
}

/// The PDF's Info creator (the application that made the document).
pub(crate) const INFO_CREATOR: &str = "Encaisse";
/// The PDF's Info producer (what wrote the file).
pub(crate) const INFO_PRODUCER: &str = "Encaisse (printpdf)";

/// When the document was issued, or its issue date at midnight UTC, as Unix seconds:
/// the PDF dates, never the clock (rendering twice must give the same bytes).
pub(crate) fn document_timestamp(doc: &InvoiceDocument) -> i64 {
    doc.issued_at.map_or_else(
        || {
            doc.issue_date
                .and_time(chrono::NaiveTime::MIN)
                .and_utc()
                .timestamp()
        },
        |at| at.timestamp(),
    )
}

/// The PDF dates (see [`document_timestamp`]).
fn pdf_date(doc: &InvoiceDocument) -> printpdf::OffsetDateTime {
    printpdf::OffsetDateTime::from_unix_timestamp(document_timestamp(doc))
        .unwrap_or_else(|_| printpdf::OffsetDateTime::epoch())
}

/// The file identifier (ISO 32000-1 § 14.4): a digest of what the file shows, so that
/// it is stable across renderings and differs between documents.
fn file_identifier(doc: &InvoiceDocument, logo: Option<&[u8]>) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(serde_json::to_vec(doc).unwrap_or_default());
    if let Some(logo) = logo {
        hasher.update(logo);
    }
    hasher.finalize()[..16].to_vec()
}

/// Renders the invoice or credit note as an A4 PDF. `logo` is the seller's logo (PNG or
/// JPEG bytes), printed top-left within 45 × 18 mm.
///
/// # Errors
/// [`PdfError::Logo`] when the logo does not decode, [`PdfError::Font`] when a font
/// subset cannot be made, [`PdfError::Write`] when the PDF cannot be written.
pub fn render_pdf(doc: &InvoiceDocument, logo: Option<&[u8]>) -> Result<Vec<u8>, PdfError> {
    let mut file = render_document(doc, logo)?;
    let mut bytes = Vec::with_capacity(48 * 1024);
    file.save_to(&mut bytes)
        .map_err(|e| PdfError::Write(e.to_string()))?;
    Ok(bytes)
}

/// The PDF of [`render_pdf`] before it is written out, its streams compressed: the
/// Factur-X PDF (`documents::facturx`) completes it without parsing the file again.
///
/// # Errors
/// As [`render_pdf`].
pub(crate) fn render_document(
    doc: &InvoiceDocument,
    logo: Option<&[u8]>,
) -> Result<lopdf::Document, PdfError> {
    let fonts = fonts();
    let decoded_logo = logo.map(decode_logo).transpose()?;
    let mut pdf = PdfDocument::new(&info_title(doc));
    let when = pdf_date(doc);
    let info = &mut pdf.metadata.info;
    info.creation_date = when;
    info.modification_date = when;
    info.metadata_date = when;
    info.author.clone_from(&doc.seller.legal_name);
    info.subject = info_subject(doc);
    info.creator = INFO_CREATOR.to_string();
    info.producer = INFO_PRODUCER.to_string();
    let placement = decoded_logo.map(|(image, placement)| {
        pdf.resources
            .xobjects
            .map
            .insert(XObjectId(LOGO_ID.to_string()), XObject::Image(image));
        placement
    });
    pdf.pages = Layout::new(doc, fonts, placement).run();
    let regular = fonts
        .regular
        .embedding(&extra_chars(&pdf.pages, &fonts.regular, REGULAR_ID))
        .map_err(PdfError::Font)?;
    let bold = fonts
        .bold
        .embedding(&extra_chars(&pdf.pages, &fonts.bold, BOLD_ID))
        .map_err(PdfError::Font)?;
    encode_text(&mut pdf.pages, &regular, &bold);
    let options = PdfSaveOptions {
        optimize: true,
        // No font is registered with printpdf: `install_fonts` adds the subsets.
        subset_fonts: false,
        // The text is shown with `Tj` operators printpdf passes through as they are.
        secure: false,
        // The logo stays lossless (Flate, never re-encoded as JPEG) and full size; an
        // alpha channel that is fully opaque is dropped.
        image_optimization: Some(ImageOptimizationOptions {
            quality: None,
            max_image_size: None,
            dither_greyscale: None,
            convert_to_greyscale: None,
            auto_optimize: Some(true),
            format: Some(ImageCompression::Flate),
        }),
    };
    let mut warnings = Vec::new();
    let mut file = pdf.to_lopdf_document(&options, &mut warnings);
    install_fonts(&mut file, &regular, &bold);
    // printpdf writes an empty GTS_PDFXVersion, which readers take for a PDF/X claim.
    if let Ok(info_id) = file
        .trailer
        .get(b"Info")
        .and_then(lopdf::Object::as_reference)
    {
        if let Ok(info) = file.get_dictionary_mut(info_id) {
            info.remove(b"GTS_PDFXVersion");
        }
    }
    let id = file_identifier(doc, logo);
    file.trailer.set(
        "ID",
        lopdf::Object::Array(vec![
            lopdf::Object::String(id.clone(), lopdf::StringFormat::Hexadecimal),
            lopdf::Object::String(id, lopdf::StringFormat::Hexadecimal),
        ]),
    );
    file.compress();
    Ok(file)
}

/// Walks the text operations of `pages` with the face each one uses.
fn for_each_text(pages: &mut [PdfPage], mut visit: impl FnMut(&str, &mut Op)) {
    for page in pages {
        let mut font = REGULAR_ID;
        for op in &mut page.ops {
            if let Op::SetFont {
                font: PdfFontHandle::External(id),
                ..
            } = &*op
            {
                font = if id.0 == BOLD_ID { BOLD_ID } else { REGULAR_ID };
            } else if matches!(op, Op::ShowText { .. }) {
                visit(font, op);
            }
        }
    }
}

/// The characters printed with the face `id` that are not in the shared charset.
fn extra_chars(pages: &[PdfPage], face: &Face, id: &str) -> Vec<char> {
    let mut extra = BTreeSet::new();
    for page in pages {
        let mut current = REGULAR_ID;
        for op in &page.ops {
            match op {
                Op::SetFont {
                    font: PdfFontHandle::External(font),
                    ..
                } => {
                    current = if font.0 == BOLD_ID {
                        BOLD_ID
                    } else {
                        REGULAR_ID
                    }
                }
                Op::ShowText { items } if current == id => {
                    for item in items {
                        if let TextItem::Text(text) = item {
                            extra
                                .extend(text.chars().filter(|c| {
                                    !Face::in_shared_charset(*c) && face.has_glyph(*c)
                                }));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    extra.into_iter().collect()
}

/// Turns each text into the glyph codes of its face's subset, shown with `Tj`.
fn encode_text(pages: &mut [PdfPage], regular: &Embedding, bold: &Embedding) {
    for_each_text(pages, |font, op| {
        let embedding = if font == BOLD_ID { bold } else { regular };
        if let Op::ShowText { items } = op {
            let mut codes = Vec::new();
            for item in items.iter() {
                if let TextItem::Text(text) = item {
                    codes.extend(embedding.encode(text));
                }
            }
            // A literal string: half the size of a hexadecimal one.
            *op = Op::Unknown {
                key: "Tj".to_string(),
                value: vec![DictItem::String {
                    data: codes,
                    literal: true,
                }],
            };
        }
    });
}

/// Adds the two fonts to the font resources every page refers to.
fn install_fonts(file: &mut lopdf::Document, regular: &Arc<Embedding>, bold: &Arc<Embedding>) {
    let regular_id = regular.add_to(file);
    let bold_id = bold.add_to(file);
    let font_resources: Vec<lopdf::ObjectId> = file
        .get_pages()
        .values()
        .filter_map(|page| file.get_dictionary(*page).ok())
        .filter_map(|page| {
            page.get(b"Resources")
                .and_then(lopdf::Object::as_reference)
                .ok()
        })
        .filter_map(|resources| file.get_dictionary(resources).ok())
        .filter_map(|resources| {
            resources
                .get(b"Font")
                .and_then(lopdf::Object::as_reference)
                .ok()
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for id in font_resources {
        if let Ok(dict) = file.get_dictionary_mut(id) {
            dict.set(REGULAR_ID, lopdf::Object::Reference(regular_id));
            dict.set(BOLD_ID, lopdf::Object::Reference(bold_id));
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::{
        io::Write,
        process::{Command, Stdio},
    };

    use rust_decimal_macros::dec;

    use super::*;
    use crate::documents::example::{
        example_credit_note, example_franchise_invoice, example_invoice,
    };

    const LOGO: &[u8] = include_bytes!("../../tests/fixtures/logo.png");

    /// Runs a poppler tool on the PDF given on its standard input.
    pub(crate) fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> String {
        let mut child = Command::new(tool)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{tool} (poppler-utils) must be installed: {e}"));
        child.stdin.take().unwrap().write_all(pdf).unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{tool} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// The text in drawing order (`-raw`): a wrapped mention reads as one phrase.
    fn text_of(pdf: &[u8]) -> String {
        poppler("pdftotext", &["-raw", "-enc", "UTF-8", "-", "-"], pdf)
    }

    /// Spaces of any kind (no-break, narrow no-break, line breaks) as one plain space.
    fn normalise(text: &str) -> String {
        text.split(|c: char| c.is_whitespace() || c == '\u{a0}' || c == '\u{202f}')
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The normalised text of each page.
    fn pages_of(pdf: &[u8]) -> Vec<String> {
        let text = text_of(pdf);
        let mut pages: Vec<String> = text.split('\u{c}').map(normalise).collect();
        if pages.last().is_some_and(String::is_empty) {
            pages.pop();
        }
        pages
    }

    fn render(doc: &InvoiceDocument) -> Vec<u8> {
        render_pdf(doc, None).unwrap()
    }

    fn assert_mentions(doc: &InvoiceDocument, expected: &[&str]) {
        let text = normalise(&text_of(&render(doc)));
        let missing: Vec<&str> = expected
            .iter()
            .copied()
            .filter(|e| !text.contains(&normalise(e)))
            .collect();
        assert!(missing.is_empty(), "missing {missing:#?}\nin:\n{text}");
    }

    #[test]
    fn an_invoice_prints_every_mandatory_mention() {
        let doc = example_invoice(8);
        let totals = &doc.totals;
        let net = money(totals.net_cents);
        let total = money(totals.total_cents);
        let vat_20 = money(doc.breakdown[0].vat_cents);
        let vat_10 = money(doc.breakdown[1].vat_cents);
        let basis_20 = money(doc.breakdown[0].basis_cents);
        let mut expected = vec![
            // Seller (CGI annexe II art. 242 nonies A; Code de commerce R123-237)
            "Atelier Lumen Événements",
            "SARL au capital de 10 000,00 €",
            "12 rue des Tanneurs",
            "Bâtiment B",
            "69002 Lyon",
            "France",
            "SIREN 732 829 320 · RCS Lyon",
            "SIRET 732 829 320 00074",
            "N° TVA intracommunautaire : FR44732829320",
            "facturation@atelier-lumen.example · +33 4 78 12 34 56",
            // Buyer
            "Brasserie des Canuts SAS",
            "À l'attention de Mme Léa Garnier",
            "48 quai Saint-Vincent 69001 Lyon",
            "SIREN 852 379 163",
            "SIRET 852 379 163 00011",
            "N° TVA intracommunautaire : FR27852379163",
            "N° client : C-00128",
            "Adresse de livraison Entrepôt logistique 5 rue de l'Industrie 69200 Vénissieux France",
            // Number and dates
            "Facture",
            "Facture n° F-2026-000042",
            "Date d'émission : 25/11/2026",
            "Période : du 12/11/2026 au 14/11/2026",
            "Échéance : 25/12/2026",
            "Nature de l'opération : Prestations de services",
            "Séminaire de direction à Annecy",
            // Lines: description, quantity, unit, unit price, VAT, net
            "Désignation Qté Unité P.U. HT TVA Total HT",
            "Coordination du séminaire de direction",
            "3 jour 650,00 € 20 % 1 950,00 €",
            "24 unité 142,50 € 10 % 3 420,00 €",
            "Transport en autocar Lyon – Annecy aller-retour 1 forfait 1 450,00 € 10 % 1 450,00 €",
            "Assistance technique son et lumière 7,5 heure 85,00 € 20 % 637,50 €",
            "312 unité 0,605 € 20 % 188,76 €",
            // Allowance spread over both rates
            "Remise partenaire",
            "Remise de 5 % sur",
            // VAT breakdown and totals
            "Récapitulatif TVA",
            "Total des lignes HT",
            "Remises",
            "Total TTC",
            "Net à payer",
            "Option pour le paiement de la TVA d'après les débits",
            // Payment (Code de commerce L441-9, L441-10, D441-5)
            "Conditions : paiement à 30 jours, au plus tard le 25/12/2026",
            "Pénalités de retard : taux annuel de 12,15 %",
            "Indemnité forfaitaire pour frais de recouvrement : 40 €",
            "Pas d'escompte pour paiement anticipé",
            "Titulaire : Atelier Lumen Événements SARL",
            "IBAN : FR76 3000 6000 0112 3456 7890 189",
            "BIC : ENCAFRPPXXX",
            "Référence à rappeler : F-2026-000042",
            // Notes and page number
            "Merci de votre confiance. Les nuitées et les repas ont été réservés",
            "Page 1 /",
        ];
        let computed = [
            format!("Total HT {net}"),
            format!("TVA 20 % {vat_20}"),
            format!("TVA 10 % {vat_10}"),
            format!("TVA 20 % {basis_20} {vat_20}"),
            format!("Total TTC {total}"),
            format!("Net à payer {total}"),
        ];
        expected.extend(computed.iter().map(String::as_str));
        assert_mentions(&doc, &expected);
    }

    #[test]
    fn a_franchise_invoice_says_vat_does_not_apply() {
        let doc = example_franchise_invoice();
        assert_mentions(
            &doc,
            &[
                "Camille Martin",
                "EI",
                "3 impasse des Lilas 35000 Rennes France",
                "SIREN 914 726 302",
                "SIRET 914 726 302 00013",
                "TVA non applicable, art. 293 B du CGI",
                "Boulangerie Roux SARL",
                "SIREN 443 061 841",
                "Facture n° 2026-015",
                "Date d'émission : 20/11/2026",
                "Date de la prestation : 18/11/2026",
                "Échéance : 05/12/2026",
                "1 forfait 1 200,00 € Exonéré 1 200,00 €",
                "Déclinaison sur cartes de visite et papeterie 4 heure 55,00 € Exonéré 220,00 €",
                "Exonéré 1 420,00 € 0,00 €",
                "Total HT 1 420,00 €",
                "TVA 0,00 €",
                "Total TTC 1 420,00 €",
                "Net à payer 1 420,00 €",
                "Pénalités de retard : taux annuel de 12,15 %",
                "Indemnité forfaitaire pour frais de recouvrement : 40 €",
                "Escompte pour paiement anticipé : 2 % pour un paiement sous 8 jours",
                "IBAN : FR76 3000 6000 0112 3456 7890 189",
            ],
        );
        let text = normalise(&text_of(&render(&doc)));
        assert!(!text.contains("N° TVA intracommunautaire"), "{text}");
        assert!(!text.contains("débits"), "{text}");
        assert!(!text.contains("Pas d'escompte"), "{text}");
        assert!(!text.contains("capital"), "{text}");
    }

    #[test]
    fn a_credit_note_names_the_invoice_it_corrects() {
        let doc = example_credit_note();
        assert_mentions(
            &doc,
            &[
                "Avoir",
                "Avoir n° AV-2026-000007",
                "Avoir sur la facture n° F-2026-000042 du 25/11/2026",
                "Date d'émission : 02/12/2026",
                "Date de la prestation : 14/11/2026",
                "SARL au capital de 10 000,00 €",
                "SIREN 852 379 163",
                "Annulation de l'atelier cuisine (prestation non réalisée) 1 forfait 2 400,00 € 20 % 2 400,00 €",
                "Nuitées non consommées 2 unité 142,50 € 10 % 285,00 €",
                "Total HT 2 685,00 €",
                "TVA 20 % 480,00 €",
                "TVA 10 % 28,50 €",
                "Total TTC 3 193,50 €",
                "Net en votre faveur 3 193,50 €",
                "Pénalités de retard : taux annuel de 12,15 %",
            ],
        );
        let text = normalise(&text_of(&render(&doc)));
        assert!(!text.contains("Net à payer"), "{text}");
        assert!(!text.contains("Facture n°"), "{text}");
    }

    #[test]
    fn other_treatments_print_their_exemption_reason() {
        let mut doc = example_invoice(2);
        doc.lines[1].line.vat = VatCode::ReverseCharge;
        doc.breakdown[1].vat = VatCode::ReverseCharge;
        doc.breakdown[1].vat_cents = 0;
        doc.adjustments.clear();
        doc.seller.vat_on_debits = false;
        doc.operation = Operation::Mixed;
        doc.service_period = None;
        assert_mentions(
            &doc,
            &[
                "Autoliquidation",
                "Nature de l'opération : Livraison de biens et prestations de services",
                "Date de la livraison et de la prestation : 14/11/2026",
            ],
        );
        let text = normalise(&text_of(&render(&doc)));
        assert!(!text.contains("Remise"), "{text}");
        assert!(!text.contains("débits"), "{text}");
    }

    #[test]
    fn long_invoices_continue_on_numbered_pages_with_the_totals_on_the_last() {
        let doc = example_invoice(120);
        let pages = pages_of(&render(&doc));
        let count = pages.len();
        assert!(count >= 3, "{count} pages");
        for (index, page) in pages.iter().enumerate() {
            assert!(
                page.contains("Atelier Lumen Événements"),
                "page {index}: {page}"
            );
            assert!(page.contains("Facture n° F-2026-000042"), "page {index}");
            assert!(
                page.contains(&format!("Page {} / {count}", index + 1)),
                "page {index}"
            );
            let last = index + 1 == count;
            assert_eq!(page.contains("Total TTC"), last, "page {index}");
            assert_eq!(page.contains("Net à payer"), last, "page {index}");
            assert_eq!(page.contains("Pénalités de retard"), last, "page {index}");
        }
        // The table header is repeated on every page that has rows.
        let with_rows = pages.iter().filter(|p| p.contains("(session")).count();
        assert!(with_rows >= 2);
        for page in pages.iter().filter(|p| p.contains("(session")) {
            assert!(page.contains("Désignation Qté Unité P.U. HT TVA Total HT"));
        }
        // Every line is printed once.
        let all = pages.join(" ");
        assert_eq!(
            all.matches("Assistance technique son et lumière").count(),
            15
        );
    }

    /// Words drawn where nothing should be: between the content and the footer, or
    /// off the page.
    fn words_out_of_place(pdf: &[u8]) -> Vec<String> {
        let html = poppler("pdftotext", &["-bbox", "-", "-"], pdf);
        let attribute = |word: &str, name: &str| -> f32 {
            let start = word.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
            word[start..].split('"').next().unwrap().parse().unwrap()
        };
        let footer_top = PAGE_HEIGHT - mm(16.0);
        assert!(html.matches("<word ").count() > 50, "{html}");
        html.split("<word ")
            .skip(1)
            .filter(|word| {
                let (top, bottom) = (attribute(word, "yMin"), attribute(word, "yMax"));
                let in_content = bottom <= CONTENT_BOTTOM + 1.0;
                let in_footer = top >= footer_top && bottom <= PAGE_HEIGHT - mm(5.0);
                !in_content && !in_footer
            })
            .map(|word| {
                word.split('>')
                    .nth(1)
                    .unwrap_or_default()
                    .replace("</word", "")
            })
            .collect()
    }

    #[test]
    fn nothing_is_drawn_over_the_footer() {
        for doc in [
            example_invoice(120),
            example_invoice(23),
            example_credit_note(),
        ] {
            assert_eq!(words_out_of_place(&render(&doc)), Vec::<String>::new());
        }
    }

    #[test]
    fn a_designation_taller_than_a_page_goes_on_over_the_next() {
        let mut doc = example_invoice(3);
        doc.lines[1].line.description = (1..=120)
            .map(|n| format!("Détail {n}"))
            .collect::<Vec<_>>()
            .join("\n");
        let pdf = render(&doc);
        assert_eq!(words_out_of_place(&pdf), Vec::<String>::new());
        let pages = pages_of(&pdf);
        assert!(pages.len() >= 3, "{} pages", pages.len());
        let all = pages.join(" ");
        for n in [1, 60, 120] {
            assert_eq!(
                all.matches(&format!("Détail {n} ")).count(),
                1,
                "Détail {n}"
            );
        }
        // The figures of the line are printed once, with its first piece.
        assert_eq!(all.matches("142,50 €").count(), 1);
        assert!(pages.last().unwrap().contains("Total TTC"));
    }

    #[test]
    fn notes_longer_than_a_page_go_on_over_the_next() {
        let mut doc = example_invoice(3);
        doc.notes = Some(
            (1..=150)
                .map(|n| format!("Remarque {n}."))
                .collect::<Vec<_>>()
                .join("\n"),
        );
        let pdf = render(&doc);
        assert_eq!(words_out_of_place(&pdf), Vec::<String>::new());
        let pages = pages_of(&pdf);
        let all = pages.join(" ");
        assert!(all.contains("Remarque 1. ") && all.contains("Remarque 150."));
        assert_eq!(all.matches("Total TTC").count(), 1);
        let count = pages.len();
        for (index, page) in pages.iter().enumerate() {
            assert!(page.contains(&format!("Page {} / {count}", index + 1)));
        }
    }

    #[test]
    fn totals_that_do_not_fit_move_to_a_new_last_page() {
        // Enough lines to fill the first page but leave no room for the closing blocks.
        let fits: Vec<usize> = (8..30)
            .filter(|n| {
                let pages = pages_of(&render(&example_invoice(*n)));
                pages.len() == 2 && !pages[1].contains("Désignation")
            })
            .collect();
        assert!(
            !fits.is_empty(),
            "some length puts the totals alone on page 2"
        );
        let pages = pages_of(&render(&example_invoice(fits[0])));
        assert!(pages[1].contains("Total TTC") && pages[1].contains("Page 2 / 2"));
        assert!(!pages[0].contains("Total TTC") && pages[0].contains("Page 1 / 2"));
    }

    #[test]
    fn rendering_twice_gives_the_same_bytes() {
        for doc in [
            example_invoice(5),
            example_invoice(60),
            example_credit_note(),
        ] {
            let first = render_pdf(&doc, Some(LOGO)).unwrap();
            let _other = render(&example_franchise_invoice());
            let second = render_pdf(&doc, Some(LOGO)).unwrap();
            assert!(first == second, "{} differs", info_title(&doc));
        }
        // Documents that differ have different file identifiers.
        let a = render(&example_invoice(5));
        let b = render(&example_invoice(6));
        let id = |pdf: &[u8]| {
            let start = pdf.windows(4).rposition(|w| w == b"/ID[").unwrap();
            pdf[start..start + 40].to_vec()
        };
        assert_ne!(id(&a), id(&b));
    }

    #[test]
    fn the_pdf_info_has_the_title_and_the_issue_dates() {
        let info = poppler("pdfinfo", &["-isodates", "-"], &render(&example_invoice(3)));
        assert!(info.contains("Facture F-2026-000042"), "{info}");
        assert!(info.contains("2026-11-25T09:15:00"), "{info}");
        assert!(normalise(&info).contains("Pages: 1 "), "{info}");
        assert!(info.contains("A4"), "{info}");
        let franchise = poppler(
            "pdfinfo",
            &["-isodates", "-"],
            &render(&example_franchise_invoice()),
        );
        // No time of issue: the issue date at midnight UTC.
        assert!(franchise.contains("2026-11-20T00:00:00"), "{franchise}");
    }

    #[test]
    fn a_test_document_is_watermarked_on_every_page_and_not_numbered() {
        let mut doc = example_invoice(60);
        doc.number = None;
        doc.test_mode = true;
        doc.payment.payment_reference = None;
        let pages = pages_of(&render(&doc));
        assert!(pages.len() >= 2);
        for page in &pages {
            assert!(page.contains("TEST — sans valeur légale"), "{page}");
            assert!(page.contains("Facture (test)"), "{page}");
            assert!(!page.contains("F-2026"), "{page}");
        }
    }

    #[test]
    fn a_draft_prints_brouillon_instead_of_a_number() {
        let mut doc = example_invoice(3);
        doc.number = None;
        doc.payment.payment_reference = None;
        let text = normalise(&text_of(&render(&doc)));
        assert!(text.contains("Facture — Brouillon"), "{text}");
        assert!(text.contains("BROUILLON"), "{text}");
        assert!(!text.contains("F-2026"), "{text}");
        assert!(!text.contains("TEST"), "{text}");
    }

    #[test]
    fn the_logo_is_drawn_and_a_broken_one_is_refused() {
        let with_logo = render_pdf(&example_invoice(5), Some(LOGO)).unwrap();
        let without = render(&example_invoice(5));
        assert!(with_logo.windows(6).any(|w| w == b"/Image"));
        assert!(!without.windows(6).any(|w| w == b"/Image"));
        // Embedded at its own resolution (no resampling), once.
        let images = poppler("pdfimages", &["-list", "-"], &with_logo);
        let images: Vec<&str> = images.lines().skip(2).collect();
        assert_eq!(images.len(), 1, "{images:?}");
        assert!(
            normalise(images[0]).starts_with("1 0 image 120 40 rgb 3 8"),
            "{images:?}"
        );
        assert!(text_of(&with_logo).contains("Atelier Lumen"));
        assert!(matches!(
            render_pdf(&example_invoice(5), Some(b"not an image")),
            Err(PdfError::Logo(_))
        ));
    }

    #[test]
    fn the_fonts_are_embedded_as_subsets() {
        let pdf = render(&example_invoice(8));
        assert!(pdf.len() < 80 * 1024, "{} bytes", pdf.len());
        let fonts = poppler("pdffonts", &["-"], &pdf);
        let faces: Vec<&str> = fonts.lines().skip(2).collect();
        assert_eq!(faces.len(), 2, "{fonts}");
        for (face, name) in faces.iter().zip(["+DejaVuSans ", "+DejaVuSans-Bold "]) {
            // Subset tag, CID TrueType, embedded, subset, with a ToUnicode map.
            assert!(face.contains(name), "{fonts}");
            assert!(
                normalise(face).contains("CID TrueType Identity-H yes yes yes"),
                "{fonts}"
            );
        }
        // DejaVu Sans is 740 KB; each program embedded is a few dozen.
        let programs: Vec<usize> = normalise(&String::from_utf8_lossy(&pdf))
            .split("/Length1 ")
            .skip(1)
            .filter_map(|rest| {
                rest.split(|c: char| !c.is_ascii_digit())
                    .next()?
                    .parse()
                    .ok()
            })
            .collect();
        assert_eq!(programs.len(), 2);
        assert!(
            programs.iter().all(|length| *length < 80_000),
            "{programs:?}"
        );
    }

    #[test]
    fn characters_beyond_the_shared_charset_are_embedded_too() {
        let mut doc = example_invoice(2);
        doc.buyer.legal_name = "Łódzka Spółka Żeglugowa".to_string();
        doc.lines[0].line.description = "Straße, España, Ωmega, 漢字".to_string();
        let pdf = render(&doc);
        let text = normalise(&text_of(&pdf));
        // Bold (the buyer's name) and regular (the description) get their own subsets.
        assert!(text.contains("Łódzka Spółka Żeglugowa"), "{text}");
        // DejaVu Sans has no CJK glyph: a question mark, never an invisible box.
        assert!(text.contains("Straße, España, Ωmega, ??"), "{text}");
        assert_eq!(render(&doc), pdf, "deterministic with extra characters too");
        // The shared subsets are still used by documents within the charset.
        let plain = render(&example_invoice(2));
        assert!(normalise(&text_of(&plain)).contains("Brasserie des Canuts SAS"));
    }

    #[test]
    fn french_text_has_glyphs_and_narrow_spaces_stay_unbreakable() {
        let fonts = fonts();
        for face in [&fonts.regular, &fonts.bold] {
            for c in "àâçéèêëîïôœùûüÿÀÉÈÊÇŒ€°«»’—–…·\u{a0}".chars()
            {
                assert!(face.has_glyph(c), "{c:?} missing");
            }
            let printed = face.printable("1\u{202f}234,56\u{a0}€\tx");
            assert!(printed.chars().all(|c| face.has_glyph(c)), "{printed:?}");
            assert!(printed.starts_with("1\u{202f}234") || printed.starts_with("1\u{a0}234"));
        }
    }

    #[test]
    fn long_words_and_paragraphs_wrap_within_the_column() {
        let face = &fonts().regular;
        let width = mm(40.0);
        let text = "Un texte assez long pour tenir sur plusieurs lignes, avec \
                    unmotbeaucouptroplongpourunecolonneetroite\net un second paragraphe.";
        let lines = wrap(face, 8.5, text, width);
        assert!(lines.len() >= 4, "{lines:?}");
        for line in &lines {
            assert!(face.width(line, 8.5) <= width + 0.01, "{line:?}");
        }
        assert_eq!(
            lines.concat().replace(' ', ""),
            text.replace([' ', '\n'], "")
        );
        assert_eq!(
            lines.last().map(String::as_str),
            Some("et un second paragraphe.")
        );
    }

    #[test]
    fn figures_are_printed_the_french_way() {
        assert_eq!(quantity(dec!(1.5000)), "1,5");
        assert_eq!(quantity(dec!(24)), "24");
        assert_eq!(quantity(dec!(1000)), "1\u{202f}000");
        assert_eq!(unit_price(dec!(450)), "450,00\u{a0}€");
        assert_eq!(unit_price(dec!(0.6050)), "0,605\u{a0}€");
        assert_eq!(unit_price(dec!(99.9999)), "99,9999\u{a0}€");
        assert_eq!(vat_label(VatCode::Reduced5_5), "5,5\u{a0}%");
        assert_eq!(vat_label(VatCode::Standard20), "20\u{a0}%");
        assert_eq!(vat_label(VatCode::Franchise), "Exonéré");
        assert_eq!(vat_label(VatCode::ReverseCharge), "Autoliquidation");
        assert_eq!(vat_label(VatCode::OutsideScope), "Hors champ");
        assert_eq!(identifier("732829320"), "732 829 320");
        assert_eq!(identifier("73282932000074"), "732 829 320 00074");
        assert_eq!(identifier("732 829 320"), "732 829 320");
        assert_eq!(
            iban("fr7630006000011234567890189"),
            "FR76 3000 6000 0112 3456 7890 189"
        );
        for (code, label) in [
            ("C62", "unité"),
            ("HUR", "heure"),
            ("DAY", "jour"),
            ("WEE", "semaine"),
            ("MON", "mois"),
            ("ANN", "an"),
            ("LS", "forfait"),
        ] {
            assert_eq!(unit_label(code), label);
        }
    }
}
