//! The Factur-X PDF of an invoice or a credit note: the printed document as a PDF/A-3b
//! file carrying its CII XML (`factur-x.xml`, profile EN 16931), as the Factur-X 1.0
//! specification (FNFE-MPE / FeRD) describes it.
//!
//! The PDF drawn by `documents::pdf` is completed with lopdf:
//! - PDF 1.7 header (PDF/A-3 is based on ISO 32000-1);
//! - the XML as an embedded file stream (`/Subtype /text#2Fxml`, `/Params` with its size
//!   and date), its file specification (`/F`, `/UF`, `/AFRelationship /Data`) named in
//!   the catalog's `/AF` and in the `/EmbeddedFiles` name tree;
//! - an XMP metadata stream in the catalog (PDF/A-3 § 6.6), not compressed so that any
//!   tool finds it (PDF/A-1 required it, validators still look): the PDF/A identification
//!   (part 3, conformance B), the Dublin Core, PDF and XMP properties matching the Info
//!   dictionary (same title, author, subject, tools and instants), the Factur-X
//!   extension schema and its four properties (`fx:` namespace of Factur-X 1.0);
//! - a single `GTS_PDFA1` output intent with the sRGB ICC profile (the pages paint in
//!   DeviceRGB and DeviceGray, which PDF/A then allows);
//! - the Info dictionary rewritten with only the entries the XMP mirrors: printpdf also
//!   writes `/Trapped /False` and an empty `/Keywords`, which PDF/A would want mirrored
//!   in the XMP too, and an empty `/Identifier` (the empty `/GTS_PDFXVersion` is removed
//!   by `documents::pdf`);
//! - whatever PDF/A forbids and a PDF could carry is removed: document and page
//!   additional actions, JavaScript and other forbidden actions; annotations are made
//!   printing and visible. The PDFs of
//!   `documents::pdf` have none of them, nor encryption (refused), nor transparency
//!   groups; their fonts are all embedded subsets (Type0 / CIDFontType2, Identity-H,
//!   ToUnicode) and their `/ID` is kept.
//!
//! Nothing reads the clock: the dates are the document's (`pdf::document_timestamp`), so
//! the same document and XML always give the same bytes.
//!
//! [`render_facturx`] draws and completes the PDF in memory; [`to_facturx`] completes a
//! PDF already written (parsed once, its streams copied as they are: nothing is
//! decompressed or compressed again, only the XML is compressed, at the fastest level).

use std::{fmt::Write as _, sync::OnceLock};

use chrono::{DateTime, Utc};
use lopdf::{Dictionary, Document, Object, ObjectId, Stream, StringFormat};

use super::pdf::{self, PdfError};
use crate::views::document::InvoiceDocument;

/// Name of the embedded XML, fixed by Factur-X.
pub const FACTURX_FILENAME: &str = "factur-x.xml";
/// `fx:ConformanceLevel` of the XML: the profile of the CII written by Encaisse.
pub const FACTURX_CONFORMANCE_LEVEL: &str = "EN 16931";
/// `fx:Version` of the Factur-X XMP schema.
const FACTURX_VERSION: &str = "1.0";
/// Namespace of the Factur-X XMP properties (Factur-X 1.0, invoices).
const FACTURX_NAMESPACE: &str = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#";
/// `/Desc` of the embedded file.
const FACTURX_DESCRIPTION: &str = "Factur-X invoice";

/// sRGB IEC61966-2.1 (ICC v2, from Debian's icc-profiles-free, zlib licence: see
/// `assets/icc/sRGB-LICENSE.txt`): the PDF/A output intent.
const SRGB_ICC: &[u8] = include_bytes!("../../assets/icc/sRGB.icc");
const SRGB_IDENTIFIER: &str = "sRGB IEC61966-2.1";

/// Why a Factur-X PDF could not be produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FacturxError {
    /// The invoice PDF could not be drawn.
    #[error(transparent)]
    Render(#[from] PdfError),
    /// The PDF given does not parse.
    #[error("the PDF cannot be read: {0}")]
    Read(String),
    /// The PDF given cannot become PDF/A-3 here (encrypted, no catalog…).
    #[error("the PDF cannot be made PDF/A-3: {0}")]
    Unsupported(String),
    /// The Factur-X PDF could not be written out.
    #[error("the Factur-X PDF cannot be written: {0}")]
    Write(String),
}

/// Draws the invoice or credit note (as `pdf::render_pdf` does) and returns it as a
/// Factur-X PDF carrying `xml` (the CII of the document) — without writing and parsing
/// the PDF in between.
///
/// # Errors
/// [`FacturxError::Render`] when the PDF cannot be drawn, [`FacturxError::Write`] when
/// the file cannot be written.
pub fn render_facturx(
    doc: &InvoiceDocument,
    logo: Option<&[u8]>,
    xml: &[u8],
) -> Result<Vec<u8>, FacturxError> {
    let mut file = pdf::render_document(doc, logo)?;
    complete(&mut file, xml, doc)?;
    save(&mut file, 64 * 1024 + xml.len())
}

/// Turns `pdf`, the PDF of `doc` (from `pdf::render_pdf`), into a Factur-X PDF (PDF/A-3b)
/// carrying `xml` (the CII of the document) as `factur-x.xml`.
///
/// # Errors
/// [`FacturxError::Read`] when `pdf` does not parse, [`FacturxError::Unsupported`] when
/// it is encrypted or has no catalog, [`FacturxError::Write`] when the file cannot be
/// written.
pub fn to_facturx(pdf: &[u8], xml: &[u8], doc: &InvoiceDocument) -> Result<Vec<u8>, FacturxError> {
    let mut file = Document::load_mem(pdf).map_err(|e| FacturxError::Read(e.to_string()))?;
    complete(&mut file, xml, doc)?;
    save(&mut file, pdf.len() + xml.len() + 12 * 1024)
}

fn save(file: &mut Document, capacity: usize) -> Result<Vec<u8>, FacturxError> {
    let mut bytes = Vec::with_capacity(capacity);
    file.save_to(&mut bytes)
        .map_err(|e| FacturxError::Write(e.to_string()))?;
    Ok(bytes)
}

/// What the Info dictionary and the XMP both say.
struct Metadata {
    title: String,
    author: String,
    subject: String,
    /// `D:20260115093000+00'00'`
    pdf_date: String,
    /// `2026-01-15T09:30:00+00:00`
    xmp_date: String,
}

impl Metadata {
    fn of(doc: &InvoiceDocument) -> Self {
        let when =
            DateTime::<Utc>::from_timestamp(pdf::document_timestamp(doc), 0).unwrap_or_default();
        Self {
            title: one_line(&pdf::info_title(doc)),
            author: one_line(&doc.seller.legal_name),
            subject: one_line(&pdf::info_subject(doc)),
            pdf_date: when.format("D:%Y%m%d%H%M%S+00'00'").to_string(),
            xmp_date: when.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
        }
    }
}

/// The text on one line, without control characters: XML 1.0 cannot carry most of
/// them, and an XML parser would turn a CR into a LF, so that the Info value and the XMP
/// one would no longer be equal.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Completes the PDF of `doc` as a Factur-X PDF/A-3b carrying `xml`.
fn complete(file: &mut Document, xml: &[u8], doc: &InvoiceDocument) -> Result<(), FacturxError> {
    if file.is_encrypted() || file.trailer.has(b"Encrypt") {
        return Err(FacturxError::Unsupported("encrypted".to_string()));
    }
    let catalog_id = file
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(|_| FacturxError::Unsupported("no catalog".to_string()))?;
    if file.get_dictionary(catalog_id).is_err() {
        return Err(FacturxError::Unsupported("no catalog".to_string()));
    }
    let meta = Metadata::of(doc);
    file.version = "1.7".to_string();
    set_info(file, &meta);

    // The XML, its file specification, and where the catalog names it.
    let mut params = Dictionary::new();
    params.set("ModDate", text(&meta.pdf_date));
    params.set("Size", i64::try_from(xml.len()).unwrap_or(i64::MAX));
    let embedded = file.add_object(Stream::new(
        Dictionary::from_iter([
            ("Type", Object::Name(b"EmbeddedFile".to_vec())),
            ("Subtype", Object::Name(b"text/xml".to_vec())),
            ("Params", Object::Dictionary(params)),
            ("Filter", Object::Name(b"FlateDecode".to_vec())),
        ]),
        deflate(xml).map_err(|e| FacturxError::Write(e.to_string()))?,
    ));
    let filespec = file.add_object(Dictionary::from_iter([
        ("Type", Object::Name(b"Filespec".to_vec())),
        ("F", text(FACTURX_FILENAME)),
        ("UF", text(FACTURX_FILENAME)),
        ("Desc", text(FACTURX_DESCRIPTION)),
        ("AFRelationship", Object::Name(b"Data".to_vec())),
        (
            "EF",
            Object::Dictionary(Dictionary::from_iter([
                ("F", Object::Reference(embedded)),
                ("UF", Object::Reference(embedded)),
            ])),
        ),
    ]));
    let associated = associated_files(file, catalog_id, filespec);
    let names = names_with_facturx(file, catalog_id, filespec)?;

    // The XMP packet: replaces any metadata stream the catalog had.
    let xmp = Stream::new(
        Dictionary::from_iter([
            ("Type", Object::Name(b"Metadata".to_vec())),
            ("Subtype", Object::Name(b"XML".to_vec())),
        ]),
        xmp_packet(&meta).into_bytes(),
    )
    .with_compression(false);
    let existing_xmp = file
        .get_dictionary(catalog_id)
        .ok()
        .and_then(|catalog| catalog.get(b"Metadata").ok())
        .and_then(|metadata| metadata.as_reference().ok())
        .filter(|id| file.get_object(*id).is_ok_and(|o| o.as_stream().is_ok()));
    let xmp = match existing_xmp {
        Some(id) => {
            file.set_object(id, xmp);
            id
        }
        None => file.add_object(xmp),
    };

    let profile = file.add_object(Stream::new(
        Dictionary::from_iter([
            ("N", Object::Integer(3)),
            ("Filter", Object::Name(b"FlateDecode".to_vec())),
        ]),
        compressed_srgb().to_vec(),
    ));
    let intent = Dictionary::from_iter([
        ("Type", Object::Name(b"OutputIntent".to_vec())),
        ("S", Object::Name(b"GTS_PDFA1".to_vec())),
        ("OutputConditionIdentifier", text(SRGB_IDENTIFIER)),
        ("Info", text(SRGB_IDENTIFIER)),
        ("DestOutputProfile", Object::Reference(profile)),
    ]);

    let catalog = file
        .get_dictionary_mut(catalog_id)
        .map_err(|_| FacturxError::Unsupported("no catalog".to_string()))?;
    catalog.set("AF", Object::Array(associated));
    catalog.set("Names", Object::Dictionary(names));
    catalog.set("Metadata", Object::Reference(xmp));
    // Any other output intent (printpdf's PDF/X one) goes: PDF/A wants one profile.
    catalog.set(
        "OutputIntents",
        Object::Array(vec![Object::Dictionary(intent)]),
    );
    // PDF/A-3 § 6.5: no additional actions, no JavaScript.
    catalog.remove(b"AA");
    if catalog
        .get(b"OpenAction")
        .and_then(Object::as_dict)
        .is_ok_and(|action| !allowed_action(action))
    {
        catalog.remove(b"OpenAction");
    }
    sanitise_pages(file);
    Ok(())
}

/// A PDF text string: ASCII as it is, anything else in UTF-16BE with its BOM.
fn text(value: &str) -> Object {
    if value.is_ascii() {
        Object::String(value.as_bytes().to_vec(), StringFormat::Literal)
    } else {
        let mut bytes = vec![0xFE, 0xFF];
        for unit in value.encode_utf16() {
            bytes.extend_from_slice(&unit.to_be_bytes());
        }
        Object::String(bytes, StringFormat::Hexadecimal)
    }
}

/// The Info dictionary: the entries the XMP mirrors, and nothing else.
fn set_info(file: &mut Document, meta: &Metadata) {
    let mut info = Dictionary::new();
    if !meta.title.is_empty() {
        info.set("Title", text(&meta.title));
    }
    if !meta.author.is_empty() {
        info.set("Author", text(&meta.author));
    }
    if !meta.subject.is_empty() {
        info.set("Subject", text(&meta.subject));
    }
    info.set("Creator", text(pdf::INFO_CREATOR));
    info.set("Producer", text(pdf::INFO_PRODUCER));
    info.set("CreationDate", text(&meta.pdf_date));
    info.set("ModDate", text(&meta.pdf_date));
    let existing = file
        .trailer
        .get(b"Info")
        .and_then(Object::as_reference)
        .ok()
        .filter(|id| file.get_dictionary(*id).is_ok());
    match existing {
        Some(id) => file.set_object(id, info),
        None => {
            let id = file.add_object(info);
            file.trailer.set("Info", Object::Reference(id));
        }
    }
}

/// Whether the file specification at `object` is a `factur-x.xml` (one embedded before).
fn is_facturx_filespec(file: &Document, object: &Object) -> bool {
    let Ok((_, Object::Dictionary(spec))) = file.dereference(object) else {
        return false;
    };
    [b"UF".as_slice(), b"F".as_slice()].iter().any(|key| {
        spec.get(key)
            .and_then(Object::as_str)
            .is_ok_and(|name| name == FACTURX_FILENAME.as_bytes())
    })
}

/// The catalog's `/AF` with `filespec` (and without an older `factur-x.xml`).
fn associated_files(file: &Document, catalog_id: ObjectId, filespec: ObjectId) -> Vec<Object> {
    let mut files: Vec<Object> = file
        .get_dictionary(catalog_id)
        .ok()
        .and_then(|catalog| catalog.get(b"AF").ok())
        .and_then(|af| file.dereference(af).ok())
        .and_then(|(_, af)| af.as_array().ok())
        .map(|af| {
            af.iter()
                .filter(|spec| !is_facturx_filespec(file, spec))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    files.push(Object::Reference(filespec));
    files
}

/// The catalog's `/Names` with `factur-x.xml` in `/EmbeddedFiles` (any other entry
/// kept; the name tree's keys stay sorted).
fn names_with_facturx(
    file: &Document,
    catalog_id: ObjectId,
    filespec: ObjectId,
) -> Result<Dictionary, FacturxError> {
    let resolved = |object: &Object| -> Option<Dictionary> {
        file.dereference(object)
            .ok()
            .and_then(|(_, object)| object.as_dict().ok())
            .cloned()
    };
    let mut names = file
        .get_dictionary(catalog_id)
        .ok()
        .and_then(|catalog| catalog.get(b"Names").ok())
        .and_then(resolved)
        .unwrap_or_default();
    // PDF/A-3 § 6.5.1: no JavaScript.
    names.remove(b"JavaScript");
    let tree = names
        .get(b"EmbeddedFiles")
        .ok()
        .and_then(resolved)
        .unwrap_or_default();
    if tree.has(b"Kids") {
        return Err(FacturxError::Unsupported(
            "embedded files in a name tree with kids".to_string(),
        ));
    }
    let mut entries: Vec<(Vec<u8>, Object)> = tree
        .get(b"Names")
        .ok()
        .and_then(|array| file.dereference(array).ok())
        .and_then(|(_, array)| array.as_array().ok())
        .map(|array| {
            array
                .chunks_exact(2)
                .filter_map(|pair| Some((pair[0].as_str().ok()?.to_vec(), pair[1].clone())))
                .filter(|(key, _)| key != FACTURX_FILENAME.as_bytes())
                .collect()
        })
        .unwrap_or_default();
    entries.push((
        FACTURX_FILENAME.as_bytes().to_vec(),
        Object::Reference(filespec),
    ));
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let array = entries
        .into_iter()
        .flat_map(|(key, spec)| [Object::String(key, StringFormat::Literal), spec])
        .collect();
    names.set(
        "EmbeddedFiles",
        Object::Dictionary(Dictionary::from_iter([("Names", Object::Array(array))])),
    );
    Ok(names)
}

/// Actions PDF/A-3 § 6.5.1 allows.
fn allowed_action(action: &Dictionary) -> bool {
    action.get(b"S").and_then(Object::as_name).is_ok_and(|s| {
        matches!(
            s,
            b"GoTo" | b"GoToR" | b"GoToE" | b"Thread" | b"URI" | b"Named" | b"SubmitForm"
        )
    })
}

/// Annotation flags (ISO 32000-1 § 12.5.3).
const ANNOT_INVISIBLE: i64 = 1;
const ANNOT_HIDDEN: i64 = 2;
const ANNOT_PRINT: i64 = 4;
const ANNOT_NO_VIEW: i64 = 32;

/// Pages without additional actions, their annotations printed and visible, without
/// forbidden actions (PDF/A-3 § 6.3.2, 6.5). printpdf writes no annotation but links.
fn sanitise_pages(file: &mut Document) {
    let pages: Vec<ObjectId> = file.get_pages().into_values().collect();
    let mut annotation_ids = Vec::new();
    for page_id in pages {
        let Ok(page) = file.get_dictionary_mut(page_id) else {
            continue;
        };
        page.remove(b"AA");
        if let Ok(Object::Array(annotations)) = page.get_mut(b"Annots") {
            for annotation in annotations {
                match annotation {
                    Object::Dictionary(annotation) => sanitise_annotation(annotation),
                    Object::Reference(id) => annotation_ids.push(*id),
                    _ => {}
                }
            }
        }
    }
    for id in annotation_ids {
        if let Ok(annotation) = file.get_dictionary_mut(id) {
            sanitise_annotation(annotation);
        }
    }
}

fn sanitise_annotation(annotation: &mut Dictionary) {
    let flags = annotation.get(b"F").and_then(Object::as_i64).unwrap_or(0);
    annotation.set(
        "F",
        (flags | ANNOT_PRINT) & !(ANNOT_INVISIBLE | ANNOT_HIDDEN | ANNOT_NO_VIEW),
    );
    annotation.remove(b"AA");
    if annotation
        .get(b"A")
        .and_then(Object::as_dict)
        .is_ok_and(|action| !allowed_action(action))
    {
        annotation.remove(b"A");
    }
}

/// `data` Flate-compressed at the fastest level: for the XML of an invoice, 4 times
/// (5 lines, 15 KB) to 15 times (40 lines, 59 KB) faster than the strongest level that
/// lopdf uses, for a result 0.8 to 2 KB larger (3.4 KB and 5.5 KB).
fn deflate(data: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write as _;
    let mut encoder = flate2::write::ZlibEncoder::new(
        Vec::with_capacity(data.len() / 4 + 64),
        flate2::Compression::fast(),
    );
    encoder.write_all(data)?;
    encoder.finish()
}

/// The sRGB profile, Flate-compressed once per process.
fn compressed_srgb() -> &'static [u8] {
    static COMPRESSED: OnceLock<Vec<u8>> = OnceLock::new();
    COMPRESSED.get_or_init(|| {
        let mut stream = Stream::new(Dictionary::new(), SRGB_ICC.to_vec());
        // Compressing a few kilobytes in memory cannot fail; the profile is always
        // written with /Filter /FlateDecode, so the content must be compressed.
        stream
            .compress()
            .expect("the sRGB profile compresses in memory");
        assert!(
            stream.dict.has(b"Filter"),
            "the sRGB profile is smaller compressed"
        );
        stream.content
    })
}

/// Escapes the XML special characters of a text value.
fn xml_text(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

/// The Factur-X 1.0 extension schema of the `fx` properties (PDF/A-3 § 6.6.2.3: every
/// property outside the predefined XMP schemas must be described), as in the XMP the
/// Factur-X specification ships.
const FACTURX_EXTENSION_SCHEMA: &str = r#"  <rdf:Description rdf:about=""
    xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
    xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"
    xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
   <pdfaExtension:schemas>
    <rdf:Bag>
     <rdf:li rdf:parseType="Resource">
      <pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>
      <pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI>
      <pdfaSchema:prefix>fx</pdfaSchema:prefix>
      <pdfaSchema:property>
       <rdf:Seq>
        <rdf:li rdf:parseType="Resource">
         <pdfaProperty:name>DocumentFileName</pdfaProperty:name>
         <pdfaProperty:valueType>Text</pdfaProperty:valueType>
         <pdfaProperty:category>external</pdfaProperty:category>
         <pdfaProperty:description>name of the embedded XML invoice file</pdfaProperty:description>
        </rdf:li>
        <rdf:li rdf:parseType="Resource">
         <pdfaProperty:name>DocumentType</pdfaProperty:name>
         <pdfaProperty:valueType>Text</pdfaProperty:valueType>
         <pdfaProperty:category>external</pdfaProperty:category>
         <pdfaProperty:description>INVOICE</pdfaProperty:description>
        </rdf:li>
        <rdf:li rdf:parseType="Resource">
         <pdfaProperty:name>Version</pdfaProperty:name>
         <pdfaProperty:valueType>Text</pdfaProperty:valueType>
         <pdfaProperty:category>external</pdfaProperty:category>
         <pdfaProperty:description>The actual version of the Factur-X XML schema</pdfaProperty:description>
        </rdf:li>
        <rdf:li rdf:parseType="Resource">
         <pdfaProperty:name>ConformanceLevel</pdfaProperty:name>
         <pdfaProperty:valueType>Text</pdfaProperty:valueType>
         <pdfaProperty:category>external</pdfaProperty:category>
         <pdfaProperty:description>The conformance level of the embedded Factur-X data</pdfaProperty:description>
        </rdf:li>
       </rdf:Seq>
      </pdfaSchema:property>
     </rdf:li>
    </rdf:Bag>
   </pdfaExtension:schemas>
  </rdf:Description>
"#;

/// The XMP packet (ISO 16684-1) of the Factur-X PDF.
fn xmp_packet(meta: &Metadata) -> String {
    let mut xmp = String::with_capacity(4096);
    xmp.push_str("<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n");
    xmp.push_str("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n");
    xmp.push_str(" <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n");
    xmp.push_str(
        "  <rdf:Description rdf:about=\"\" xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\">\n   \
         <pdfaid:part>3</pdfaid:part>\n   <pdfaid:conformance>B</pdfaid:conformance>\n  \
         </rdf:Description>\n",
    );
    xmp.push_str(
        "  <rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n   \
         <dc:format>application/pdf</dc:format>\n",
    );
    // Writing to a String cannot fail.
    if !meta.title.is_empty() {
        let _ = writeln!(
            xmp,
            "   <dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{}</rdf:li></rdf:Alt></dc:title>",
            xml_text(&meta.title)
        );
    }
    if !meta.author.is_empty() {
        let _ = writeln!(
            xmp,
            "   <dc:creator><rdf:Seq><rdf:li>{}</rdf:li></rdf:Seq></dc:creator>",
            xml_text(&meta.author)
        );
    }
    if !meta.subject.is_empty() {
        let _ = writeln!(
            xmp,
            "   <dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">{}</rdf:li></rdf:Alt></dc:description>",
            xml_text(&meta.subject)
        );
    }
    xmp.push_str("  </rdf:Description>\n");
    let _ = write!(
        xmp,
        "  <rdf:Description rdf:about=\"\" xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\">\n   \
         <pdf:Producer>{producer}</pdf:Producer>\n  </rdf:Description>\n  \
         <rdf:Description rdf:about=\"\" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\">\n   \
         <xmp:CreatorTool>{creator}</xmp:CreatorTool>\n   \
         <xmp:CreateDate>{date}</xmp:CreateDate>\n   \
         <xmp:ModifyDate>{date}</xmp:ModifyDate>\n   \
         <xmp:MetadataDate>{date}</xmp:MetadataDate>\n  </rdf:Description>\n",
        producer = xml_text(pdf::INFO_PRODUCER),
        creator = xml_text(pdf::INFO_CREATOR),
        date = meta.xmp_date,
    );
    xmp.push_str(FACTURX_EXTENSION_SCHEMA);
    let _ = write!(
        xmp,
        "  <rdf:Description rdf:about=\"\" xmlns:fx=\"{FACTURX_NAMESPACE}\">\n   \
         <fx:DocumentType>INVOICE</fx:DocumentType>\n   \
         <fx:DocumentFileName>{FACTURX_FILENAME}</fx:DocumentFileName>\n   \
         <fx:Version>{FACTURX_VERSION}</fx:Version>\n   \
         <fx:ConformanceLevel>{FACTURX_CONFORMANCE_LEVEL}</fx:ConformanceLevel>\n  \
         </rdf:Description>\n",
    );
    xmp.push_str(" </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>");
    xmp
}

#[cfg(test)]
mod tests {
    use std::{path::Path, process::Command};

    use chrono::DateTime;
    use lopdf::content::Content;

    use super::*;
    use crate::documents::{
        example::{example_credit_note, example_franchise_invoice, example_invoice},
        pdf::{render_pdf, tests::poppler},
    };

    const LOGO: &[u8] = include_bytes!("../../tests/fixtures/logo.png");

    /// Any XML will do here: the CII itself is written and checked elsewhere.
    const XML: &[u8] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
        <rsm:CrossIndustryInvoice \
        xmlns:rsm=\"urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100\" \
        xmlns:ram=\"urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100\">\n\
        <ram:Note>Facturé à « Brasserie » — 1 234,50 €</ram:Note>\n\
        </rsm:CrossIndustryInvoice>\n"
        .as_bytes();

    fn facturx_of(doc: &InvoiceDocument) -> Vec<u8> {
        let pdf = render_pdf(doc, None).unwrap();
        to_facturx(&pdf, XML, doc).unwrap()
    }

    /// Runs `pdfdetach` (which reads a file, not its input) in `dir`.
    fn pdfdetach(dir: &Path, args: &[&str]) -> String {
        let output = Command::new("pdfdetach")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap_or_else(|e| panic!("pdfdetach (poppler-utils) must be installed: {e}"));
        assert!(
            output.status.success(),
            "pdfdetach failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    fn catalog(file: &Document) -> &Dictionary {
        file.catalog().unwrap()
    }

    fn resolve<'a>(file: &'a Document, object: &'a Object) -> &'a Object {
        file.dereference(object).unwrap().1
    }

    fn xmp_of(file: &Document) -> String {
        let id = catalog(file)
            .get(b"Metadata")
            .and_then(Object::as_reference)
            .unwrap();
        let stream = file.get_object(id).unwrap().as_stream().unwrap();
        assert_eq!(
            stream.dict.get(b"Type").unwrap().as_name().unwrap(),
            b"Metadata"
        );
        assert_eq!(
            stream.dict.get(b"Subtype").unwrap().as_name().unwrap(),
            b"XML"
        );
        assert!(!stream.dict.has(b"Filter"), "PDF/A: XMP not compressed");
        String::from_utf8(stream.content.clone()).unwrap()
    }

    /// The text of the first `<tag>` element, its entities resolved.
    fn xmp_value(xmp: &str, tag: &str) -> String {
        let open = format!("<{tag}>");
        let start = xmp.find(&open).unwrap_or_else(|| panic!("{tag} in XMP")) + open.len();
        let end = start + xmp[start..].find(&format!("</{tag}>")).unwrap();
        let mut value = &xmp[start..end];
        // dc:title and friends: the single rdf:li inside.
        if let Some(li) = value.find("<rdf:li") {
            let li_start = li + value[li..].find('>').unwrap() + 1;
            let li_end = li_start + value[li_start..].find("</rdf:li>").unwrap();
            value = &value[li_start..li_end];
        }
        value
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
    }

    /// An Info text string, decoded (PDFDocEncoding's ASCII part, or UTF-16BE).
    fn info_text(info: &Dictionary, key: &[u8]) -> String {
        let bytes = info.get(key).unwrap().as_str().unwrap();
        if let Some(utf16) = bytes.strip_prefix(&[0xFE, 0xFF]) {
            let units: Vec<u16> = utf16
                .chunks_exact(2)
                .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
                .collect();
            String::from_utf16(&units).unwrap()
        } else {
            assert!(bytes.is_ascii());
            String::from_utf8(bytes.to_vec()).unwrap()
        }
    }

    fn info_of(file: &Document) -> &Dictionary {
        let id = file.trailer.get(b"Info").unwrap().as_reference().unwrap();
        file.get_dictionary(id).unwrap()
    }

    /// `D:YYYYMMDDHHmmSS+HH'mm'` as an instant.
    fn pdf_instant(value: &str) -> DateTime<chrono::FixedOffset> {
        let value = value.strip_prefix("D:").unwrap().replace('\'', "");
        DateTime::parse_from_str(&value, "%Y%m%d%H%M%S%z").unwrap()
    }

    #[test]
    fn the_xml_is_embedded_as_factur_x_xml() {
        let facturx = facturx_of(&example_invoice(5));
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("invoice.pdf"), &facturx).unwrap();
        let list = pdfdetach(dir.path(), &["-list", "invoice.pdf"]);
        assert_eq!(list.trim(), "1 embedded files\n1: factur-x.xml", "{list}");
        // -saveall writes each file under its own name.
        std::fs::create_dir(dir.path().join("saved")).unwrap();
        pdfdetach(dir.path(), &["-saveall", "-o", "saved", "invoice.pdf"]);
        let saved: Vec<_> = std::fs::read_dir(dir.path().join("saved"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(saved, ["factur-x.xml"]);
        assert_eq!(
            std::fs::read(dir.path().join("saved/factur-x.xml")).unwrap(),
            XML
        );
    }

    #[test]
    fn the_catalog_names_the_file_as_associated_data() {
        let pdf = render_pdf(&example_invoice(5), None).unwrap();
        let facturx = to_facturx(&pdf, XML, &example_invoice(5)).unwrap();
        assert!(facturx.starts_with(b"%PDF-1.7\n%"));
        assert!(facturx[10..14].iter().all(|b| *b > 127), "binary comment");
        let file = Document::load_mem(&facturx).unwrap();
        assert_eq!(file.version, "1.7");
        let catalog = catalog(&file);
        let af = resolve(&file, catalog.get(b"AF").unwrap())
            .as_array()
            .unwrap();
        assert_eq!(af.len(), 1);
        let filespec_id = af[0].as_reference().unwrap();
        let filespec = file.get_dictionary(filespec_id).unwrap();
        assert_eq!(
            filespec.get(b"Type").unwrap().as_name().unwrap(),
            b"Filespec"
        );
        assert_eq!(
            filespec.get(b"F").unwrap().as_str().unwrap(),
            b"factur-x.xml"
        );
        assert_eq!(
            filespec.get(b"UF").unwrap().as_str().unwrap(),
            b"factur-x.xml"
        );
        assert_eq!(
            filespec.get(b"Desc").unwrap().as_str().unwrap(),
            b"Factur-X invoice"
        );
        assert_eq!(
            filespec.get(b"AFRelationship").unwrap().as_name().unwrap(),
            b"Data"
        );
        let ef = filespec.get(b"EF").unwrap().as_dict().unwrap();
        let stream_id = ef.get(b"F").unwrap().as_reference().unwrap();
        assert_eq!(ef.get(b"UF").unwrap().as_reference().unwrap(), stream_id);
        let stream = file.get_object(stream_id).unwrap().as_stream().unwrap();
        assert_eq!(
            stream.dict.get(b"Type").unwrap().as_name().unwrap(),
            b"EmbeddedFile"
        );
        assert_eq!(
            stream.dict.get(b"Subtype").unwrap().as_name().unwrap(),
            b"text/xml"
        );
        let params = stream.dict.get(b"Params").unwrap().as_dict().unwrap();
        assert_eq!(
            params.get(b"Size").unwrap().as_i64().unwrap(),
            i64::try_from(XML.len()).unwrap()
        );
        assert_eq!(
            params.get(b"ModDate").unwrap().as_str().unwrap(),
            b"D:20261125091500+00'00'"
        );
        assert_eq!(stream.decompressed_content().unwrap(), XML);
        // The EmbeddedFiles name tree holds it under its name.
        let names = resolve(&file, catalog.get(b"Names").unwrap())
            .as_dict()
            .unwrap();
        let tree = resolve(&file, names.get(b"EmbeddedFiles").unwrap())
            .as_dict()
            .unwrap();
        let entries = tree.get(b"Names").unwrap().as_array().unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].as_str().unwrap(), b"factur-x.xml");
        assert_eq!(entries[1].as_reference().unwrap(), filespec_id);
        // The file identifier of the PDF is kept.
        let original = Document::load_mem(&pdf).unwrap();
        assert_eq!(
            file.trailer.get(b"ID").unwrap(),
            original.trailer.get(b"ID").unwrap()
        );
        assert_eq!(
            file.trailer.get(b"ID").unwrap().as_array().unwrap().len(),
            2
        );
        assert!(!file.trailer.has(b"Encrypt"));
    }

    #[test]
    fn one_srgb_output_intent_for_pdf_a() {
        let file = Document::load_mem(&facturx_of(&example_invoice(5))).unwrap();
        let intents = resolve(&file, catalog(&file).get(b"OutputIntents").unwrap())
            .as_array()
            .unwrap();
        assert_eq!(intents.len(), 1);
        let intent = resolve(&file, &intents[0]).as_dict().unwrap();
        assert_eq!(
            intent.get(b"Type").unwrap().as_name().unwrap(),
            b"OutputIntent"
        );
        assert_eq!(intent.get(b"S").unwrap().as_name().unwrap(), b"GTS_PDFA1");
        assert_eq!(
            intent
                .get(b"OutputConditionIdentifier")
                .unwrap()
                .as_str()
                .unwrap(),
            b"sRGB IEC61966-2.1"
        );
        let profile = resolve(&file, intent.get(b"DestOutputProfile").unwrap())
            .as_stream()
            .unwrap();
        assert_eq!(profile.dict.get(b"N").unwrap().as_i64().unwrap(), 3);
        let icc = profile.decompressed_content().unwrap();
        assert_eq!(icc, SRGB_ICC);
        // An ICC v2 display profile of the RGB colour space.
        assert_eq!(icc[8], 2);
        assert_eq!(&icc[12..20], b"mntrRGB ");
    }

    #[test]
    fn the_xmp_declares_pdf_a_3b_and_the_factur_x_properties() {
        let facturx = facturx_of(&example_invoice(5));
        let meta = poppler("pdfinfo", &["-meta", "-"], &facturx);
        for expected in [
            "<pdfaid:part>3</pdfaid:part>",
            "<pdfaid:conformance>B</pdfaid:conformance>",
            "<fx:DocumentType>INVOICE</fx:DocumentType>",
            "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>",
            "<fx:Version>1.0</fx:Version>",
            "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>",
            "xmlns:fx=\"urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#\"",
            "<pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#\
             </pdfaSchema:namespaceURI>",
            "<pdfaSchema:prefix>fx</pdfaSchema:prefix>",
            "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>",
            "<?xpacket end=\"w\"?>",
        ] {
            assert!(meta.contains(expected), "{expected} in\n{meta}");
        }
        // Each of the four properties is described, Text, external.
        for name in [
            "DocumentFileName",
            "DocumentType",
            "Version",
            "ConformanceLevel",
        ] {
            let at = meta
                .find(&format!("<pdfaProperty:name>{name}</pdfaProperty:name>"))
                .unwrap();
            let property = &meta[at..at + meta[at..].find("</rdf:li>").unwrap()];
            assert!(property.contains("<pdfaProperty:valueType>Text</pdfaProperty:valueType>"));
            assert!(property.contains("<pdfaProperty:category>external</pdfaProperty:category>"));
            assert!(property.contains("<pdfaProperty:description>"));
        }
        // Every rdf:Description is about the document.
        assert_eq!(
            meta.matches("<rdf:Description ").count(),
            meta.matches("<rdf:Description rdf:about=\"\"").count()
        );
        assert_eq!(facturx_namespace_in_schema(), FACTURX_NAMESPACE);
    }

    fn facturx_namespace_in_schema() -> &'static str {
        let start = FACTURX_EXTENSION_SCHEMA
            .find("<pdfaSchema:namespaceURI>")
            .unwrap()
            + "<pdfaSchema:namespaceURI>".len();
        let end = FACTURX_EXTENSION_SCHEMA
            .find("</pdfaSchema:namespaceURI>")
            .unwrap();
        &FACTURX_EXTENSION_SCHEMA[start..end]
    }

    #[test]
    fn info_and_xmp_say_the_same() {
        for doc in [
            example_invoice(5),
            example_credit_note(),
            example_franchise_invoice(),
        ] {
            let file = Document::load_mem(&facturx_of(&doc)).unwrap();
            let xmp = xmp_of(&file);
            let info = info_of(&file);
            // Only the entries the XMP mirrors (printpdf's Trapped, Identifier, Keywords,
            // GTS_PDFXVersion are gone).
            let mut keys: Vec<&[u8]> = info.iter().map(|(k, _)| k.as_slice()).collect();
            keys.sort_unstable();
            assert_eq!(
                keys,
                [
                    b"Author".as_slice(),
                    b"CreationDate",
                    b"Creator",
                    b"ModDate",
                    b"Producer",
                    b"Subject",
                    b"Title"
                ]
            );
            assert_eq!(info_text(info, b"Title"), xmp_value(&xmp, "dc:title"));
            assert_eq!(info_text(info, b"Title"), pdf::info_title(&doc));
            assert_eq!(info_text(info, b"Author"), xmp_value(&xmp, "dc:creator"));
            assert_eq!(info_text(info, b"Author"), doc.seller.legal_name);
            assert_eq!(
                info_text(info, b"Subject"),
                xmp_value(&xmp, "dc:description")
            );
            assert!(info_text(info, b"Subject").contains(&doc.buyer.legal_name));
            assert_eq!(
                info_text(info, b"Creator"),
                xmp_value(&xmp, "xmp:CreatorTool")
            );
            assert_eq!(
                info_text(info, b"Producer"),
                xmp_value(&xmp, "pdf:Producer")
            );
            // Same instants: Info dates, XMP dates, the document's issue.
            let created = pdf_instant(&info_text(info, b"CreationDate"));
            let modified = pdf_instant(&info_text(info, b"ModDate"));
            for tag in ["xmp:CreateDate", "xmp:ModifyDate", "xmp:MetadataDate"] {
                let xmp_date = DateTime::parse_from_rfc3339(&xmp_value(&xmp, tag)).unwrap();
                assert_eq!(xmp_date, created, "{tag}");
            }
            assert_eq!(created, modified);
            assert_eq!(created.timestamp(), pdf::document_timestamp(&doc));
            // Written the same way on both sides (same offset, no fraction).
            assert!(info_text(info, b"CreationDate").ends_with("+00'00'"));
            assert!(xmp_value(&xmp, "xmp:CreateDate").ends_with("+00:00"));
        }
        // The invoice issued at 10:15 in Paris: 09:15 UTC.
        let file = Document::load_mem(&facturx_of(&example_invoice(5))).unwrap();
        assert_eq!(
            xmp_value(&xmp_of(&file), "xmp:CreateDate"),
            "2026-11-25T09:15:00+00:00"
        );
        assert_eq!(
            info_text(info_of(&file), b"CreationDate"),
            "D:20261125091500+00'00'"
        );
    }

    #[test]
    fn poppler_reads_the_same_dates_in_info_and_xmp() {
        let facturx = facturx_of(&example_invoice(5));
        let info = poppler("pdfinfo", &["-isodates", "-"], &facturx);
        let line = |key: &str| {
            info.lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
                .unwrap_or_else(|| panic!("{key} in {info}"))
                .trim()
                .to_string()
        };
        assert_eq!(line("PDF version"), "1.7");
        assert!(line("Encrypted").starts_with("no"), "{info}");
        assert_eq!(line("Title"), "Facture F-2026-000042");
        let created = DateTime::parse_from_rfc3339(&line("CreationDate")).unwrap();
        let modified = DateTime::parse_from_rfc3339(&line("ModDate")).unwrap();
        let meta = poppler("pdfinfo", &["-meta", "-"], &facturx);
        let xmp_created =
            DateTime::parse_from_rfc3339(&xmp_value(&meta, "xmp:CreateDate")).unwrap();
        let xmp_modified =
            DateTime::parse_from_rfc3339(&xmp_value(&meta, "xmp:ModifyDate")).unwrap();
        assert_eq!(created, xmp_created);
        assert_eq!(modified, xmp_modified);
    }

    #[test]
    fn every_font_is_embedded_and_the_text_still_extracts() {
        let doc = example_invoice(40);
        let facturx = facturx_of(&doc);
        let fonts = poppler("pdffonts", &["-"], &facturx);
        let rows: Vec<&str> = fonts.lines().skip(2).collect();
        assert_eq!(rows.len(), 2, "{fonts}");
        for row in rows {
            let columns: Vec<&str> = row.split_whitespace().collect();
            // name type encoding emb sub uni object ID
            let (emb, sub, uni) = (
                columns[columns.len() - 5],
                columns[columns.len() - 4],
                columns[columns.len() - 3],
            );
            assert_eq!((emb, sub, uni), ("yes", "yes", "yes"), "{row}");
        }
        let text = poppler("pdftotext", &["-raw", "-enc", "UTF-8", "-", "-"], &facturx);
        assert!(text.contains("Facture n° F-2026-000042"), "{text}");
        assert!(text.contains(&doc.buyer.legal_name), "{text}");
        assert!(
            text.contains("Page 3 / 3") || text.contains("Page 2 / 2"),
            "{text}"
        );
    }

    #[test]
    fn a_credit_note_works_too() {
        let doc = example_credit_note();
        let facturx = facturx_of(&doc);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("credit.pdf"), &facturx).unwrap();
        let list = pdfdetach(dir.path(), &["-list", "credit.pdf"]);
        assert!(list.contains("1: factur-x.xml"), "{list}");
        pdfdetach(dir.path(), &["-save", "1", "-o", "x.xml", "credit.pdf"]);
        assert_eq!(std::fs::read(dir.path().join("x.xml")).unwrap(), XML);
        let text = poppler("pdftotext", &["-raw", "-enc", "UTF-8", "-", "-"], &facturx);
        assert!(text.contains("Avoir n° AV-2026-000007"), "{text}");
        let meta = poppler("pdfinfo", &["-meta", "-"], &facturx);
        // Factur-X knows one document type for invoices and credit notes alike.
        assert!(meta.contains("<fx:DocumentType>INVOICE</fx:DocumentType>"));
        assert!(meta.contains("<pdfaid:part>3</pdfaid:part>"));
        assert!(meta.contains("Avoir AV-2026-000007"), "{meta}");
    }

    #[test]
    fn the_same_document_gives_the_same_bytes() {
        let doc = example_invoice(5);
        let first = facturx_of(&doc);
        let second = facturx_of(&doc);
        assert!(first == second, "two conversions differ");
        // Drawn and completed in memory: the very same file.
        let in_memory = render_facturx(&doc, None, XML).unwrap();
        assert!(first == in_memory, "render_facturx differs from to_facturx");
        // With a logo too.
        let pdf = render_pdf(&doc, Some(LOGO)).unwrap();
        let with_logo = to_facturx(&pdf, XML, &doc).unwrap();
        assert!(with_logo == to_facturx(&pdf, XML, &doc).unwrap());
        assert!(with_logo == render_facturx(&doc, Some(LOGO), XML).unwrap());
        // Another XML, another file.
        assert!(to_facturx(&pdf, b"<a/>", &doc).unwrap() != with_logo);
    }

    #[test]
    fn completing_twice_keeps_one_factur_x_xml() {
        let doc = example_invoice(5);
        let once = facturx_of(&doc);
        let twice = to_facturx(&once, b"<other/>", &doc).unwrap();
        let file = Document::load_mem(&twice).unwrap();
        let catalog = catalog(&file);
        assert_eq!(catalog.get(b"AF").unwrap().as_array().unwrap().len(), 1);
        let names = catalog.get(b"Names").unwrap().as_dict().unwrap();
        let tree = names.get(b"EmbeddedFiles").unwrap().as_dict().unwrap();
        assert_eq!(tree.get(b"Names").unwrap().as_array().unwrap().len(), 2);
        assert_eq!(
            catalog
                .get(b"OutputIntents")
                .unwrap()
                .as_array()
                .unwrap()
                .len(),
            1
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("twice.pdf"), &twice).unwrap();
        pdfdetach(dir.path(), &["-save", "1", "-o", "x.xml", "twice.pdf"]);
        assert_eq!(
            std::fs::read(dir.path().join("x.xml")).unwrap(),
            b"<other/>"
        );
    }

    #[test]
    fn a_pdf_that_does_not_parse_is_refused() {
        let doc = example_invoice(1);
        assert!(matches!(
            to_facturx(b"not a PDF", XML, &doc),
            Err(FacturxError::Read(_))
        ));
    }

    #[test]
    fn text_strings_and_xmp_values_are_escaped() {
        assert_eq!(
            text("Facture"),
            Object::String(b"Facture".to_vec(), StringFormat::Literal)
        );
        assert_eq!(
            text("é"),
            Object::String(vec![0xFE, 0xFF, 0x00, 0xE9], StringFormat::Hexadecimal)
        );
        assert_eq!(
            xml_text("A & B <C> \"D\""),
            "A &amp; B &lt;C&gt; &quot;D&quot;"
        );
        assert_eq!(one_line(" Dupont\r\n& Fils\t"), "Dupont  & Fils");
        let mut doc = example_invoice(1);
        doc.seller.legal_name = "Dupont & Fils <SARL>\nLyon".to_string();
        let file = Document::load_mem(&facturx_of(&doc)).unwrap();
        let xmp = xmp_of(&file);
        assert!(
            xmp.contains("<rdf:li>Dupont &amp; Fils &lt;SARL&gt; Lyon</rdf:li>"),
            "{xmp}"
        );
        assert_eq!(
            info_text(info_of(&file), b"Author"),
            xmp_value(&xmp, "dc:creator")
        );
    }

    /// What PDF/A-3b forbids and a PDF could carry, looked for in every object.
    #[test]
    fn nothing_pdf_a_forbids() {
        let doc = example_invoice(40);
        let pdf = render_pdf(&doc, Some(LOGO)).unwrap();
        let facturx = to_facturx(&pdf, XML, &doc).unwrap();
        // No data after the end-of-file marker but an end of line.
        let tail = &facturx[facturx.len() - 7..];
        assert!(tail == b"\n%%EOF\n" || tail.ends_with(b"%%EOF"), "{tail:?}");
        let file = Document::load_mem(&facturx).unwrap();
        let catalog = catalog(&file);
        assert!(!catalog.has(b"AA") && !catalog.has(b"OpenAction"));
        let names = catalog.get(b"Names").unwrap().as_dict().unwrap();
        assert!(!names.has(b"JavaScript"));
        let mut images = 0;
        for object in file.objects.values() {
            let dict = match object {
                Object::Dictionary(dict) => dict,
                Object::Stream(stream) => {
                    // § 6.1.7: no external streams, no LZW.
                    for key in [b"F".as_slice(), b"FFilter", b"FDecodeParms"] {
                        assert!(!stream.dict.has(key));
                    }
                    if let Ok(filter) = stream.dict.get(b"Filter") {
                        let filters = match filter {
                            Object::Array(filters) => filters.clone(),
                            other => vec![other.clone()],
                        };
                        for filter in filters {
                            let name = filter.as_name().unwrap();
                            assert!(name != b"LZWDecode" && name != b"Crypt");
                        }
                    }
                    &stream.dict
                }
                _ => continue,
            };
            // § 6.5: no JavaScript, no additional actions, no forbidden action.
            assert!(!dict.has(b"JS") && !dict.has(b"AA"));
            if let Ok(kind) = dict.get(b"S").and_then(Object::as_name) {
                assert!(!matches!(
                    kind,
                    b"JavaScript" | b"Launch" | b"Sound" | b"Movie" | b"ResetForm" | b"ImportData"
                ));
            }
            match dict.get(b"Type").and_then(Object::as_name) {
                Ok(b"Font") => {
                    let subtype = dict.get(b"Subtype").unwrap().as_name().unwrap();
                    assert!(subtype != b"Type3" || dict.has(b"CharProcs"));
                }
                Ok(b"FontDescriptor") => {
                    // § 6.2.11.4: the font programs are embedded.
                    assert!(
                        dict.has(b"FontFile") || dict.has(b"FontFile2") || dict.has(b"FontFile3"),
                        "{dict:?}"
                    );
                }
                Ok(b"ExtGState") => {
                    // § 6.2.5: no transfer functions or halftones of their own.
                    for key in [b"TR".as_slice(), b"HTP", b"HTO"] {
                        assert!(!dict.has(key));
                    }
                }
                Ok(b"Annot") => {
                    let flags = dict.get(b"F").unwrap().as_i64().unwrap();
                    assert_eq!(
                        flags & (ANNOT_PRINT | ANNOT_HIDDEN | ANNOT_INVISIBLE),
                        ANNOT_PRINT
                    );
                }
                _ => {}
            }
            if dict
                .get(b"Subtype")
                .and_then(Object::as_name)
                .is_ok_and(|subtype| subtype == b"Image")
            {
                images += 1;
                // § 6.2.8: no interpolation, no alternates, no OPI; colours the sRGB
                // output intent covers.
                assert!(!dict
                    .get(b"Interpolate")
                    .and_then(Object::as_bool)
                    .unwrap_or(false));
                assert!(!dict.has(b"Alternates") && !dict.has(b"OPI"));
                let space = dict.get(b"ColorSpace").unwrap().as_name().unwrap();
                assert!(space == b"DeviceRGB" || space == b"DeviceGray", "{space:?}");
            }
        }
        assert!(images >= 1, "the logo is an image");
        // The pages paint in RGB (and gray): no CMYK the sRGB output intent cannot cover,
        // no PostScript, no inline image with its own colour space.
        for page_id in file.get_pages().into_values() {
            let content = Content::decode(&file.get_page_content(page_id)).unwrap();
            for operation in &content.operations {
                assert!(
                    !matches!(operation.operator.as_str(), "k" | "K" | "PS" | "BI" | "ri"),
                    "{}",
                    operation.operator
                );
            }
            let page = file.get_dictionary(page_id).unwrap();
            assert!(!page.has(b"Group"), "no transparency group");
        }
    }
}
