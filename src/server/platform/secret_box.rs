//! Secrets at rest: a CRM's client secret and tokens are stored sealed with XChaCha20-Poly1305.
//!
//! Each value gets a fresh random 24-byte nonce, so the same secret stored twice looks different.
//! The column a value belongs to is its associated data ("zoho.refresh_token"): a sealed value
//! copied into another column does not open. The key is `secrets.key` (32 bytes, base64) or one
//! generated on first start into the data dir, like the session secret; losing it means
//! connecting the CRM again, never reading a token in the clear.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;

/// Sealed values start with this, so a later change of scheme can tell old values apart.
const VERSION: &str = "v1:";
const NONCE_LEN: usize = 24;
pub const KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    /// Sealed with another key, for another column, or damaged.
    #[error("a stored secret does not open with this installation's key")]
    WontOpen,
}

/// Seals and opens secrets with the installation's key. Cheap to clone.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Arc<XChaCha20Poly1305>,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    pub fn new(key: &[u8; KEY_LEN]) -> SecretBox {
        SecretBox {
            cipher: Arc::new(XChaCha20Poly1305::new(key.into())),
        }
    }

    /// A new random key, as stored in the data dir.
    pub fn generate_key() -> [u8; KEY_LEN] {
        let mut key = [0u8; KEY_LEN];
        rand::rngs::OsRng.fill_bytes(&mut key);
        key
    }

    /// The key from its base64 text (`secrets.key`); None unless it is exactly 32 bytes.
    pub fn parse_key(text: &str) -> Option<[u8; KEY_LEN]> {
        STANDARD.decode(text.trim()).ok()?.try_into().ok()
    }

    /// `plain` sealed for `column`, as text a column stores.
    pub fn seal(&self, column: &str, plain: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: column.as_bytes(),
                },
            )
            // Encryption fails only for messages beyond 256 GiB.
            .unwrap_or_default();
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!("{VERSION}{}", STANDARD.encode(bytes))
    }

    /// The secret sealed for `column`.
    pub fn open(&self, column: &str, sealed: &str) -> Result<SecretString, SecretError> {
        let bytes = sealed
            .strip_prefix(VERSION)
            .and_then(|b| STANDARD.decode(b).ok())
            .filter(|b| b.len() > NONCE_LEN)
            .ok_or(SecretError::WontOpen)?;
        let (nonce, body) = bytes.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: column.as_bytes(),
                },
            )
            .map_err(|_| SecretError::WontOpen)?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| SecretError::WontOpen)
    }

    /// `open`, for a value that is only ever compared or sent on (never printed).
    pub fn open_string(&self, column: &str, sealed: &str) -> Result<String, SecretError> {
        self.open(column, sealed)
            .map(|s| s.expose_secret().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer() -> SecretBox {
        SecretBox::new(&[7u8; KEY_LEN])
    }

    #[test]
    fn a_sealed_secret_opens_for_its_column_only() {
        let b = sealer();
        let sealed = b.seal("zoho.refresh_token", "1000.abc.def");
        assert!(!sealed.contains("1000.abc.def"));
        assert_eq!(
            b.open_string("zoho.refresh_token", &sealed).unwrap(),
            "1000.abc.def"
        );
        assert_eq!(
            b.open("zoho.access_token", &sealed).unwrap_err(),
            SecretError::WontOpen
        );
    }

    #[test]
    fn the_same_secret_seals_differently_each_time() {
        let b = sealer();
        assert_ne!(b.seal("c", "same"), b.seal("c", "same"));
    }

    #[test]
    fn another_key_or_a_damaged_value_does_not_open() {
        let sealed = sealer().seal("c", "secret");
        let other = SecretBox::new(&[8u8; KEY_LEN]);
        assert_eq!(other.open("c", &sealed).unwrap_err(), SecretError::WontOpen);
        let mut damaged = sealed.clone();
        damaged.pop();
        damaged.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(
            sealer().open("c", &damaged).unwrap_err(),
            SecretError::WontOpen
        );
        assert_eq!(
            sealer().open("c", "plain").unwrap_err(),
            SecretError::WontOpen
        );
        assert_eq!(
            sealer().open("c", "v1:").unwrap_err(),
            SecretError::WontOpen
        );
    }

    #[test]
    fn a_key_is_read_from_base64_of_32_bytes_only() {
        let key = SecretBox::generate_key();
        assert_eq!(SecretBox::parse_key(&STANDARD.encode(key)), Some(key));
        assert_eq!(SecretBox::parse_key(&STANDARD.encode([1u8; 16])), None);
        assert_eq!(SecretBox::parse_key("not base64!"), None);
    }
}
