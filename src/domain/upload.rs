//! Uploaded files are recognised by their content (magic bytes and a readable header),
//! never by their name or the browser's declared type.

/// Largest logo accepted: printed a few centimetres wide, it never needs more.
pub const MAX_LOGO_BYTES: usize = 1024 * 1024;
/// Logos larger than this in pixels are refused (they would bloat every PDF).
pub const MAX_LOGO_PIXELS: usize = 4000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
}

impl ImageKind {
    #[must_use]
    pub const fn content_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckedImage {
    pub kind: ImageKind,
    pub width: usize,
    pub height: usize,
}

/// Accepts a PNG or JPEG logo of a sensible size.
///
/// # Errors
/// `file-required`, `file-too-large`, `logo-type`, `logo-unreadable`, `logo-dimensions`.
pub fn check_logo(bytes: &[u8]) -> Result<CheckedImage, &'static str> {
    if bytes.is_empty() {
        return Err("file-required");
    }
    if bytes.len() > MAX_LOGO_BYTES {
        return Err("file-too-large");
    }
    let kind = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        ImageKind::Png
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        ImageKind::Jpeg
    } else {
        return Err("logo-type");
    };
    let size = imagesize::blob_size(bytes).map_err(|_| "logo-unreadable")?;
    if size.width == 0
        || size.height == 0
        || size.width > MAX_LOGO_PIXELS
        || size.height > MAX_LOGO_PIXELS
    {
        return Err("logo-dimensions");
    }
    Ok(CheckedImage {
        kind,
        width: size.width,
        height: size.height,
    })
}

/// Attachments sent with an invoice (from the Pagero guides): PDF files of 5 MB at most.
pub const MAX_ATTACHMENT_BYTES: usize = 5 * 1024 * 1024;
/// At most this many attachments per invoice.
pub const MAX_ATTACHMENTS: usize = 10;

/// Accepts a PDF attachment, recognised by its header (ISO 32000: "%PDF-") and trailer.
///
/// # Errors
/// `file-required`, `file-too-large`, `attachment-type`.
pub fn check_pdf_attachment(bytes: &[u8]) -> Result<(), &'static str> {
    if bytes.is_empty() {
        return Err("file-required");
    }
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err("attachment-too-large");
    }
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    let has_trailer = tail.windows(5).any(|w| w == b"%%EOF");
    if bytes.starts_with(b"%PDF-") && has_trailer {
        Ok(())
    } else {
        Err("attachment-type")
    }
}

/// A file name safe to show and to put in an e-mail header: no path, no control chars.
#[must_use]
pub fn clean_filename(name: &str, fallback: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>'))
        .take(120)
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() {
        fallback.to_string()
    } else {
        cleaned.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOGO: &[u8] = include_bytes!("../../tests/fixtures/logo.png");

    #[test]
    fn a_real_png_is_accepted_with_its_size() {
        let image = check_logo(LOGO).unwrap();
        assert_eq!(image.kind, ImageKind::Png);
        assert_eq!((image.width, image.height), (120, 40));
    }

    #[test]
    fn content_decides_not_the_name() {
        assert_eq!(check_logo(b"%PDF-1.7 not an image"), Err("logo-type"));
        assert_eq!(check_logo(b"GIF89a......"), Err("logo-type"));
        assert_eq!(check_logo(&[]), Err("file-required"));
        // A PNG signature followed by garbage has no readable header.
        assert_eq!(check_logo(b"\x89PNG\r\n\x1a\n"), Err("logo-unreadable"));
    }

    #[test]
    fn attachments_must_be_real_pdfs_of_5_mb_at_most() {
        let pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n".to_vec();
        assert_eq!(check_pdf_attachment(&pdf), Ok(()));
        assert_eq!(check_pdf_attachment(LOGO), Err("attachment-type"));
        assert_eq!(
            check_pdf_attachment(b"%PDF-1.7 truncated"),
            Err("attachment-type")
        );
        let mut big = pdf.clone();
        big.resize(MAX_ATTACHMENT_BYTES + 1, b' ');
        assert_eq!(check_pdf_attachment(&big), Err("attachment-too-large"));
        assert_eq!(
            clean_filename("C:\\docs\\devis signé.pdf", "x.pdf"),
            "devis signé.pdf"
        );
        assert_eq!(clean_filename("../../etc/passwd", "x.pdf"), "passwd");
        assert_eq!(clean_filename("", "pièce.pdf"), "pièce.pdf");
    }

    #[test]
    fn oversized_files_and_images_are_refused() {
        let mut big = LOGO.to_vec();
        big.resize(MAX_LOGO_BYTES + 1, 0);
        assert_eq!(check_logo(&big), Err("file-too-large"));
        let mut huge = LOGO.to_vec();
        // Width in the IHDR chunk (bytes 16..20) set to 5000 px.
        huge[16..20].copy_from_slice(&5000u32.to_be_bytes());
        assert_eq!(check_logo(&huge), Err("logo-dimensions"));
    }
}
