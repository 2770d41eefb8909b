//! The two DejaVu Sans faces: parsed once per process, measured from a table of
//! advances, and embedded as subsets that are built and compressed once.
//!
//! Why the subsets are not made per document: printpdf subsets the glyphs each document
//! uses, then parses the subset again and compresses it at the strongest level; with two
//! faces that was about two thirds of a render. Every subset here carries a fixed
//! charset instead (ASCII, the letters of French, its no-break spaces, quotes and dashes,
//! "€" and the usual signs): nearly every document is written within it and embeds the
//! very same font objects, built once per process. A document with other characters (a
//! German, Spanish or Polish name…) gets the charset plus its own characters, built for
//! it and kept in a small cache.

use std::{
    borrow::Cow,
    collections::BTreeMap,
    sync::{Arc, Mutex, OnceLock, PoisonError},
};

use lopdf::{Dictionary, Object, Stream, StringFormat};
use printpdf::{ParsedFont, ToUnicodeCMap};
use sha2::{Digest, Sha256};

const REGULAR_TTF: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
const BOLD_TTF: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

/// Resource names of the faces in the content streams.
pub const REGULAR_ID: &str = "ENCREG";
pub const BOLD_ID: &str = "ENCBLD";

/// Advances are tabulated for the code points below this one: Latin, general
/// punctuation, the euro sign. Others are looked up in the font.
const TABLE_LEN: usize = 0x2200;

/// The shared charset beyond printable ASCII: the letters of French, the no-break
/// spaces of French number formatting, French quotes, dashes and the usual signs.
const SHARED_EXTRAS: &str = "àâäçéèêëîïôöùûüÿæœÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸÆŒ\
                             \u{a0}\u{202f}\u{2009}\u{2011}«»‹›‘’‚“”„–—−…·•°²³§©®™×÷±€£‰";

/// A parsed face with its advances tabulated for measuring text.
pub struct Face {
    font: ParsedFont,
    id: &'static str,
    units_per_em: f32,
    /// Glyph id and advance (font units) of each code point below `TABLE_LEN`, `None`
    /// when the face has no glyph for it.
    table: Vec<Option<(u16, u16)>>,
    /// The subset of the shared charset, built on first use.
    shared: OnceLock<Result<Arc<Embedding>, String>>,
}

impl Face {
    fn parse(bytes: &'static [u8], id: &'static str) -> Self {
        let font = ParsedFont::from_bytes(bytes, 0, &mut Vec::new())
            .expect("the embedded DejaVu Sans font parses");
        let units_per_em = f32::from(font.font_metrics.units_per_em.max(1));
        let table = (0..TABLE_LEN)
            .map(|code_point| {
                u32::try_from(code_point)
                    .ok()
                    .and_then(char::from_u32)
                    .and_then(|c| Self::lookup(&font, c))
            })
            .collect();
        Self {
            font,
            id,
            units_per_em,
            table,
            shared: OnceLock::new(),
        }
    }

    fn lookup(font: &ParsedFont, c: char) -> Option<(u16, u16)> {
        // Control characters have no printable glyph even when a font maps them.
        if c.is_control() {
            return None;
        }
        font.lookup_glyph_index(c as u32)
            .filter(|gid| *gid != 0)
            .map(|gid| (gid, font.get_horizontal_advance(gid)))
    }

    fn glyph(&self, c: char) -> Option<(u16, u16)> {
        match self.table.get(c as usize) {
            Some(entry) => *entry,
            None => Self::lookup(&self.font, c),
        }
    }

    pub fn has_glyph(&self, c: char) -> bool {
        self.glyph(c).is_some()
    }

    /// Width in points of `text` at `size` (text as printed, see [`Face::printable`]).
    pub fn width(&self, text: &str, size: f32) -> f32 {
        let fallback = self.glyph('?').map_or(0, |(_, advance)| advance);
        let units: u32 = text
            .chars()
            .map(|c| u32::from(self.glyph(c).map_or(fallback, |(_, advance)| advance)))
            .sum();
        // Exact for any realistic line: f32 holds integers up to 2^24 font units.
        #[allow(clippy::cast_precision_loss)]
        let units = units as f32;
        units * size / self.units_per_em
    }

    /// The text as it can be printed with this face: the narrow no-break space of
    /// French number formatting becomes a no-break space if the face lacked it, any
    /// other missing glyph a question mark (never an invisible .notdef box).
    pub fn printable<'t>(&self, text: &'t str) -> Cow<'t, str> {
        if text.chars().all(|c| self.has_glyph(c)) {
            return Cow::Borrowed(text);
        }
        let no_break = if self.has_glyph('\u{a0}') {
            '\u{a0}'
        } else {
            ' '
        };
        Cow::Owned(
            text.chars()
                .map(|c| match c {
                    c if self.has_glyph(c) => c,
                    '\u{202f}' | '\u{2007}' | '\u{2009}' => no_break,
                    '\t' | '\n' | '\r' => ' ',
                    _ => '?',
                })
                .collect(),
        )
    }

    /// Whether `c` is in the subset every document shares.
    pub fn in_shared_charset(c: char) -> bool {
        matches!(c, ' '..='~') || SHARED_EXTRAS.contains(c)
    }

    /// The subset to embed for a document that prints the shared charset plus `extra`
    /// (characters with a glyph, outside the shared charset, sorted, no duplicate).
    ///
    /// # Errors
    /// When the subset cannot be made (a font the subsetter does not read).
    pub fn embedding(&self, extra: &[char]) -> Result<Arc<Embedding>, String> {
        if extra.is_empty() {
            return self
                .shared
                .get_or_init(|| Embedding::build(self, &[]).map(Arc::new))
                .clone();
        }
        let found = EXTENDED_SUBSETS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|subset| subset.face == self.id && subset.extra == extra)
            .map(|subset| Arc::clone(&subset.embedding));
        if let Some(embedding) = found {
            return Ok(embedding);
        }
        let embedding = Arc::new(Embedding::build(self, extra)?);
        let mut subsets = EXTENDED_SUBSETS
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if subsets.len() >= EXTENDED_SUBSETS_MAX {
            subsets.remove(0);
        }
        subsets.push(ExtendedSubset {
            face: self.id,
            extra: extra.to_vec(),
            embedding: Arc::clone(&embedding),
        });
        Ok(embedding)
    }
}

/// A subset of the shared charset plus the characters of some document.
struct ExtendedSubset {
    face: &'static str,
    extra: Vec<char>,
    embedding: Arc<Embedding>,
}

/// The extended subsets built so far, oldest first; a few dozen at most are kept.
static EXTENDED_SUBSETS: Mutex<Vec<ExtendedSubset>> = Mutex::new(Vec::new());
const EXTENDED_SUBSETS_MAX: usize = 32;

pub struct Fonts {
    pub regular: Face,
    pub bold: Face,
}

impl Fonts {
    pub const fn face(&self, bold: bool) -> &Face {
        if bold {
            &self.bold
        } else {
            &self.regular
        }
    }
}

/// Parsed once per process: parsing DejaVu Sans costs far more than rendering a page.
pub fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| Fonts {
        regular: Face::parse(REGULAR_TTF, REGULAR_ID),
        bold: Face::parse(BOLD_TTF, BOLD_ID),
    })
}

/// A subset ready to embed: the codes of its characters and its PDF objects, the font
/// program and the ToUnicode map already compressed.
pub struct Embedding {
    /// Subset glyph id (the Identity-H code) of each code point below `TABLE_LEN`.
    codes: Vec<u16>,
    /// Codes of the characters above.
    other_codes: BTreeMap<char, u16>,
    base_font: String,
    program: Vec<u8>,
    program_length: usize,
    to_unicode: Vec<u8>,
    widths: Vec<Object>,
    descriptor: Dictionary,
}

/// Flate-compresses `content` as lopdf does (the strongest level, done once here).
fn compressed(content: Vec<u8>) -> (Vec<u8>, bool) {
    let mut stream = Stream::new(Dictionary::new(), content);
    let is_compressed = stream.compress().is_ok() && stream.dict.get(b"Filter").is_ok();
    (stream.content, is_compressed)
}

/// Font units to the 1/1000 em of PDF glyph space.
fn to_glyph_space(value: f32, units_per_em: f32) -> i64 {
    // Font metrics are small integers: the conversion cannot overflow.
    #[allow(clippy::cast_possible_truncation)]
    let scaled = (value * 1000.0 / units_per_em).round() as i64;
    scaled
}

impl Embedding {
    fn build(face: &Face, extra: &[char]) -> Result<Self, String> {
        let charset: Vec<char> = (' '..='~')
            .chain(SHARED_EXTRAS.chars().filter(|c| !c.is_ascii()))
            .chain(extra.iter().copied())
            .filter(|c| face.has_glyph(*c))
            .collect();
        // Original glyph id -> the character it prints (the first one when several
        // characters share a glyph).
        let mut glyphs: BTreeMap<u16, String> = BTreeMap::new();
        for c in &charset {
            if let Some((gid, _)) = face.glyph(*c) {
                glyphs.entry(gid).or_insert_with(|| c.to_string());
            }
        }
        let subset = printpdf::subset_font(&face.font, &glyphs)?;
        let mut codes = vec![0u16; TABLE_LEN];
        let mut other_codes = BTreeMap::new();
        for c in &charset {
            let code = face
                .glyph(*c)
                .and_then(|(gid, _)| subset.glyph_mapping.get(&gid))
                .map_or(0, |(code, _)| *code);
            match codes.get_mut(*c as usize) {
                Some(slot) => *slot = code,
                None => {
                    other_codes.insert(*c, code);
                }
            }
        }
        // Codes follow the original glyph ids (allsorts numbers the kept glyphs in the
        // order given, .notdef first): one run of widths from code 1.
        let mut by_code: Vec<(u16, u16, &str)> = glyphs
            .iter()
            .filter_map(|(gid, text)| {
                subset
                    .glyph_mapping
                    .get(gid)
                    .map(|(code, _)| (*code, *gid, text.as_str()))
            })
            .collect();
        by_code.sort_unstable();
        let widths = widths_array(face, &by_code);
        let tag = subset_tag(face.id, &charset);
        let name = face
            .font
            .font_name
            .clone()
            .unwrap_or_else(|| face.id.to_string());
        let base_font = format!("{tag}+{name}");
        let to_unicode = ToUnicodeCMap {
            mappings: by_code
                .iter()
                .map(|(code, _, text)| (u32::from(*code), text.chars().map(u32::from).collect()))
                .collect(),
        }
        .to_cmap_string(&tag);
        let (to_unicode, _) = compressed(to_unicode.into_bytes());
        let program_length = subset.bytes.len();
        let (program, _) = compressed(subset.bytes);
        Ok(Self {
            codes,
            other_codes,
            descriptor: descriptor(face, &base_font),
            base_font,
            program,
            program_length,
            to_unicode,
            widths,
        })
    }

    /// The Identity-H codes of `text`, two bytes a character.
    pub fn encode(&self, text: &str) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            let code = match self.codes.get(c as usize) {
                Some(code) => *code,
                None => self.other_codes.get(&c).copied().unwrap_or(0),
            };
            bytes.extend_from_slice(&code.to_be_bytes());
        }
        bytes
    }

    /// Adds the font's objects to `file`; returns the Type0 font to name in the page
    /// resources (PDF 32000-1 § 9.7: Type0 font, CIDFontType2 descendant, Identity-H).
    pub fn add_to(&self, file: &mut lopdf::Document) -> lopdf::ObjectId {
        let mut program_dict = Dictionary::new();
        program_dict.set(
            "Length1",
            Object::Integer(i64::try_from(self.program_length).unwrap_or(0)),
        );
        program_dict.set("Filter", "FlateDecode");
        let program = file.add_object(Stream::new(program_dict, self.program.clone()));
        let mut descriptor = self.descriptor.clone();
        descriptor.set("FontFile2", Object::Reference(program));
        let descriptor = file.add_object(descriptor);
        let mut to_unicode_dict = Dictionary::new();
        to_unicode_dict.set("Filter", "FlateDecode");
        let to_unicode = file.add_object(Stream::new(to_unicode_dict, self.to_unicode.clone()));
        let mut system = Dictionary::new();
        system.set(
            "Registry",
            Object::String(b"Adobe".to_vec(), StringFormat::Literal),
        );
        system.set(
            "Ordering",
            Object::String(b"Identity".to_vec(), StringFormat::Literal),
        );
        system.set("Supplement", Object::Integer(0));
        let mut descendant = Dictionary::new();
        descendant.set("Type", "Font");
        descendant.set("Subtype", "CIDFontType2");
        descendant.set("BaseFont", self.base_font.as_str());
        descendant.set("CIDSystemInfo", Object::Dictionary(system));
        descendant.set("FontDescriptor", Object::Reference(descriptor));
        descendant.set("DW", Object::Integer(1000));
        descendant.set("W", Object::Array(self.widths.clone()));
        descendant.set("CIDToGIDMap", "Identity");
        let mut font = Dictionary::new();
        font.set("Type", "Font");
        font.set("Subtype", "Type0");
        font.set("BaseFont", self.base_font.as_str());
        font.set("Encoding", "Identity-H");
        font.set(
            "DescendantFonts",
            Object::Array(vec![Object::Dictionary(descendant)]),
        );
        font.set("ToUnicode", Object::Reference(to_unicode));
        file.add_object(font)
    }
}

/// `/W [1 [w1 w2 …]]`: the advance of each code in 1/1000 em; codes are consecutive.
fn widths_array(face: &Face, by_code: &[(u16, u16, &str)]) -> Vec<Object> {
    let mut array = Vec::new();
    let mut run: Vec<Object> = Vec::new();
    let mut run_start = 0u16;
    let mut previous: Option<u16> = None;
    for (code, gid, _) in by_code {
        if previous.is_some_and(|p| p + 1 != *code) {
            array.push(Object::Integer(i64::from(run_start)));
            array.push(Object::Array(std::mem::take(&mut run)));
        }
        if run.is_empty() {
            run_start = *code;
        }
        let advance = face.font.get_horizontal_advance(*gid);
        run.push(Object::Integer(to_glyph_space(
            f32::from(advance),
            face.units_per_em,
        )));
        previous = Some(*code);
    }
    if !run.is_empty() {
        array.push(Object::Integer(i64::from(run_start)));
        array.push(Object::Array(run));
    }
    array
}

/// Six capitals naming the subset (ISO 32000-1 § 9.6.4), derived from its content so
/// that the same subset always gets the same tag.
fn subset_tag(id: &str, charset: &[char]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(id.as_bytes());
    for c in charset {
        hasher.update(u32::from(*c).to_be_bytes());
    }
    hasher.finalize()[..6]
        .iter()
        .map(|b| char::from(b'A' + b % 26))
        .collect()
}

/// The font descriptor (PDF 32000-1 § 9.8), metrics in 1/1000 em.
fn descriptor(face: &Face, base_font: &str) -> Dictionary {
    let upm = face.units_per_em;
    let pdf_metrics = &face.font.pdf_font_metrics;
    let layout_metrics = &face.font.font_metrics;
    let ascent = to_glyph_space(layout_metrics.ascent, upm);
    let descent = to_glyph_space(layout_metrics.descent, upm);
    let cap_height = layout_metrics
        .cap_height
        .map_or(ascent, |c| to_glyph_space(c, upm));
    // StemV is not in the font: the usual estimate from the weight class (~88 at 400,
    // ~166 at 700).
    let weight = f32::from(pdf_metrics.us_weight_class.max(1));
    // At most (65535 / 65)^2: far within i64.
    #[allow(clippy::cast_possible_truncation)]
    let stem_v = 50 + (weight / 65.0).powi(2).round() as i64;
    let mut dict = Dictionary::new();
    dict.set("Type", "FontDescriptor");
    dict.set("FontName", base_font);
    // Non-symbolic: the font uses the standard Latin character set.
    dict.set("Flags", Object::Integer(32));
    dict.set(
        "FontBBox",
        Object::Array(
            [
                pdf_metrics.x_min,
                pdf_metrics.y_min,
                pdf_metrics.x_max,
                pdf_metrics.y_max,
            ]
            .iter()
            .map(|v| Object::Integer(to_glyph_space(f32::from(*v), upm)))
            .collect(),
        ),
    );
    dict.set("ItalicAngle", Object::Integer(0));
    dict.set("Ascent", Object::Integer(ascent));
    dict.set("Descent", Object::Integer(descent));
    dict.set("CapHeight", Object::Integer(cap_height));
    dict.set("StemV", Object::Integer(stem_v));
    dict
}
