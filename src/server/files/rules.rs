//! The rules a file must pass, as plain functions: its name, size and type on the way in, and
//! how it is labelled on the way out so a browser never runs it from our origin.

use crate::model::AppError;
use crate::model::label::is_direction_mark;

/// A file name as people see it: the last path segment, without control or direction-changing
/// characters, trimmed, at most 255 bytes (the extension kept).
pub fn display_name(raw: &str) -> Result<String, AppError> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !is_direction_mark(*c))
        .collect();
    let name = cleaned.trim().trim_end_matches(['.', ' ']).trim();
    if name.is_empty() || name == "." || name == ".." {
        return Err(AppError::invalid("name", "The file needs a name."));
    }
    Ok(shorten(name, 255))
}

/// Cuts a name to `max` bytes on a character boundary, keeping a short extension.
fn shorten(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_owned();
    }
    let ext = name
        .rfind('.')
        .map(|i| &name[i..])
        .filter(|e| e.len() <= 16)
        .unwrap_or("");
    let mut stem_end = max - ext.len();
    while !name.is_char_boundary(stem_end) {
        stem_end -= 1;
    }
    format!("{}{ext}", &name[..stem_end])
}

/// The part of a store key that hints at the name: ASCII letters, digits, `.`, `_`, `-`.
pub fn key_name(display: &str) -> String {
    let mut out = String::with_capacity(display.len().min(80));
    for c in display.chars() {
        let safe = if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
            c
        } else {
            '_'
        };
        if !(safe == '_' && out.ends_with('_')) {
            out.push(safe);
        }
    }
    let trimmed = out.trim_start_matches(['.', '_']);
    let mut name: String = trimmed.chars().take(80).collect();
    while name.ends_with('.') {
        name.pop();
    }
    if name.is_empty() {
        "file".to_owned()
    } else {
        name
    }
}

/// A declared content type, lower case and without parameters.
pub fn content_type(raw: &str) -> String {
    let base = raw
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let valid = base.split_once('/').is_some_and(|(family, sub)| {
        let token = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
        };
        token(family) && token(sub)
    });
    if valid {
        base
    } else {
        "application/octet-stream".to_owned()
    }
}

/// True when `content_type` matches an entry: exactly, or an entry ending in `*` as a prefix.
pub fn type_allowed(content_type: &str, allowed: &[String]) -> bool {
    allowed
        .iter()
        .any(|pattern| match pattern.strip_suffix('*') {
            Some(prefix) => content_type.starts_with(&prefix.to_ascii_lowercase()),
            None => pattern.eq_ignore_ascii_case(content_type),
        })
}

/// Size and type checks for a new upload.
pub fn check_upload(
    size: u64,
    content_type: &str,
    max: u64,
    allowed: &[String],
) -> Result<(), AppError> {
    if size == 0 {
        return Err(AppError::invalid("file", "The file is empty."));
    }
    if size > max {
        return Err(AppError::TooLarge { limit_bytes: max });
    }
    if !type_allowed(content_type, allowed) {
        return Err(AppError::invalid(
            "type",
            format!("Files of type {content_type} are not accepted here."),
        ));
    }
    Ok(())
}

/// A lower-case hex SHA-256, as a client may declare it.
pub fn sha256_hex(raw: &str) -> Result<String, AppError> {
    let hex = raw.trim().to_ascii_lowercase();
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(hex)
    } else {
        Err(AppError::invalid(
            "sha256",
            "sha256 must be 64 hexadecimal characters.",
        ))
    }
}

/// The content type a download is sent with: anything a browser could render as a page or
/// run as script goes out as opaque bytes.
pub fn served_type(stored: &str) -> &str {
    let risky = stored.contains("html")
        || stored.contains("xml")
        || stored.contains("javascript")
        || stored.contains("ecmascript")
        || stored.starts_with("multipart/")
        || (stored.starts_with("text/") && !matches!(stored, "text/plain" | "text/csv"));
    if risky {
        "application/octet-stream"
    } else {
        stored
    }
}

/// `Content-Disposition` for a download: always an attachment, with an ASCII fallback name and
/// the real one percent-encoded (RFC 6266 / 8187).
pub fn attachment_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::with_capacity(name.len() * 3);
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed() -> Vec<String> {
        [
            "application/pdf",
            "image/*",
            "application/vnd.openxmlformats-officedocument.*",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn a_name_loses_its_path_and_hidden_characters() {
        assert_eq!(
            display_name("C:\\Users\\x\\offer.pdf").ok().as_deref(),
            Some("offer.pdf")
        );
        assert_eq!(
            display_name("../../etc/passwd").ok().as_deref(),
            Some("passwd")
        );
        assert_eq!(
            display_name("invoice\u{202E}fdp.exe").ok().as_deref(),
            Some("invoicefdp.exe")
        );
        assert_eq!(
            display_name("a\nb\u{0}.txt").ok().as_deref(),
            Some("ab.txt")
        );
        assert!(display_name("  ").is_err());
        assert!(display_name("dir/..").is_err());
    }

    #[test]
    fn a_long_name_keeps_its_extension_within_255_bytes() {
        let long = format!("{}.pdf", "é".repeat(300));
        let short = display_name(&long).unwrap_or_default();
        assert!(short.len() <= 255, "{}", short.len());
        assert!(short.ends_with(".pdf"));
    }

    #[test]
    fn key_names_are_plain_ascii() {
        assert_eq!(
            key_name("Angebot für Ölpumpe (v2).pdf"),
            "Angebot_f_r_lpumpe_v2_.pdf"
        );
        assert_eq!(key_name("...hidden"), "hidden");
        assert_eq!(key_name("日本"), "file");
    }

    #[test]
    fn types_match_exactly_or_by_prefix() {
        assert!(type_allowed("application/pdf", &allowed()));
        assert!(type_allowed("image/png", &allowed()));
        assert!(type_allowed(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            &allowed()
        ));
        assert!(!type_allowed("text/html", &allowed()));
        assert!(!type_allowed("application/pdfx", &allowed()));
    }

    #[test]
    fn declared_types_are_normalised() {
        assert_eq!(
            content_type("Application/PDF; charset=x"),
            "application/pdf"
        );
        assert_eq!(content_type(""), "application/octet-stream");
        assert_eq!(content_type("nonsense"), "application/octet-stream");
    }

    #[test]
    fn uploads_are_checked_for_size_and_type() {
        assert!(check_upload(0, "application/pdf", 10, &allowed()).is_err());
        assert_eq!(
            check_upload(11, "application/pdf", 10, &allowed()),
            Err(AppError::TooLarge { limit_bytes: 10 })
        );
        assert!(matches!(
            check_upload(5, "text/html", 10, &allowed()),
            Err(AppError::Invalid { field, .. }) if field == "type"
        ));
        assert!(check_upload(10, "application/pdf", 10, &allowed()).is_ok());
    }

    #[test]
    fn nothing_a_browser_would_run_is_served_as_itself() {
        for risky in [
            "text/html",
            "image/svg+xml",
            "application/xhtml+xml",
            "text/javascript",
            "text/xml",
        ] {
            assert_eq!(served_type(risky), "application/octet-stream", "{risky}");
        }
        assert_eq!(served_type("application/pdf"), "application/pdf");
        assert_eq!(served_type("text/plain"), "text/plain");
    }

    #[test]
    fn the_disposition_is_an_attachment_with_both_names() {
        let d = attachment_disposition("Angebot \"v2\".pdf");
        assert!(d.starts_with("attachment; "));
        assert!(d.contains("filename=\"Angebot _v2_.pdf\""), "{d}");
        assert!(d.contains("filename*=UTF-8''Angebot%20%22v2%22.pdf"), "{d}");
    }

    #[test]
    fn declared_checksums_must_be_hex() {
        assert!(sha256_hex(&"A".repeat(64)).is_ok());
        assert!(sha256_hex("abc").is_err());
        assert!(sha256_hex(&"g".repeat(64)).is_err());
    }
}
