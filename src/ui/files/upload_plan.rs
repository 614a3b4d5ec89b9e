//! The browser's side of a resumable upload as plain decisions: how big the next chunk is, and
//! what to do with each answer the server gives to a chunk.

/// Bytes per PATCH: big enough for speed, small enough that a dropped connection costs
/// little and the chunk's checksum is cheap to compute.
pub const CHUNK_BYTES: f64 = 8.0 * 1024.0 * 1024.0;

/// How many times in a row a chunk may fail before the upload gives up.
pub const MAX_ATTEMPTS: u32 = 6;

/// The end of the chunk starting at `offset`.
pub fn chunk_end(offset: f64, size: f64) -> f64 {
    (offset + CHUNK_BYTES).min(size)
}

/// What the uploader does after a chunk's answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Next {
    /// Stored; continue from this offset (done when it equals the size).
    Continue(f64),
    /// The server stands elsewhere (409) or the connection failed: ask where, then resume.
    Resync,
    /// The chunk arrived damaged (460): send it again.
    Resend,
    /// A refusal that retrying will not change; the text says why.
    Stop(String),
}

/// Reads a chunk's answer: the status, the `Upload-Offset` it carried and the error text.
pub fn after_chunk(status: u16, offset: Option<f64>, error: &str) -> Next {
    match (status, offset) {
        (204, Some(o)) => Next::Continue(o),
        (0 | 409 | 423 | 500..=599, _) => Next::Resync,
        (460, _) => Next::Resend,
        (401, _) => Next::Stop("Your session ended; log in again to upload.".into()),
        (404, _) => Next::Stop("The upload expired or was cancelled; start it again.".into()),
        _ if !error.is_empty() => Next::Stop(error.to_owned()),
        (s, _) => Next::Stop(format!("The upload failed (HTTP {s}).")),
    }
}

/// Wait before attempt `n` (1-based): 1 s, 2 s, 4 s … capped at 16 s.
pub fn retry_delay_ms(attempt: u32) -> u32 {
    1000 * (1u32 << attempt.saturating_sub(1).min(4))
}

/// Standard base64 with padding (tus metadata values and checksums), without a JavaScript
/// round trip through `btoa`, which cannot take UTF-8.
pub fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let n = group
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= group.len() {
                out.push(char::from(ABC[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `Upload-Metadata` for a new upload: `key base64(value)` pairs.
pub fn metadata(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k} {}", base64(v.as_bytes())))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_alphabet_and_padding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64("Ölpumpe.pdf".as_bytes()), "w5ZscHVtcGUucGRm");
        assert_eq!(base64(&[0xfb, 0xff]), "+/8=");
    }

    #[test]
    fn metadata_pairs_are_encoded() {
        assert_eq!(
            metadata(&[("filename", "a.pdf"), ("purpose", "share")]),
            "filename YS5wZGY=,purpose c2hhcmU="
        );
    }

    #[test]
    fn the_last_chunk_ends_at_the_size() {
        assert_eq!(chunk_end(0.0, 100.0), 100.0);
        assert_eq!(chunk_end(0.0, 3.0 * CHUNK_BYTES), CHUNK_BYTES);
    }

    #[test]
    fn answers_decide_the_next_step() {
        assert_eq!(after_chunk(204, Some(10.0), ""), Next::Continue(10.0));
        assert_eq!(after_chunk(0, None, ""), Next::Resync);
        assert_eq!(after_chunk(409, Some(5.0), ""), Next::Resync);
        assert_eq!(after_chunk(503, None, ""), Next::Resync);
        assert_eq!(after_chunk(460, None, ""), Next::Resend);
        assert_eq!(
            after_chunk(400, None, "Files of type text/html are not accepted here."),
            Next::Stop("Files of type text/html are not accepted here.".into())
        );
        assert!(matches!(after_chunk(404, None, ""), Next::Stop(_)));
    }

    #[test]
    fn retries_back_off_to_a_cap() {
        assert_eq!(retry_delay_ms(1), 1000);
        assert_eq!(retry_delay_ms(3), 4000);
        assert_eq!(retry_delay_ms(9), 16000);
    }
}
