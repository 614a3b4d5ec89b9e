//! The file-store port: where deal folders and their files live. The local disk store (under
//! the data dir) is the embedded default; the S3 adapter and Zoho WorkDrive
//! (`crm::zoho::workdrive`, through the Zoho connection) implement the same trait.
//!
//! With the local store, uploads are staged on the instance's disk and handed over whole with
//! `put_staged`, so a resumed upload must reach the same instance (sticky routing). A store that
//! offers `shared_staging` (S3: multipart uploads) stages in the store itself, so any instance can
//! take an upload's next chunk. Reads stream.

pub mod local;
pub mod s3;

use axum::body::Bytes;
use futures::Stream;
use std::path::Path;
use std::pin::Pin;

pub type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no such object")]
    NotFound,
    #[error("invalid store key `{0}`")]
    BadKey(String),
    #[error("file store: {0}")]
    Io(#[from] std::io::Error),
    #[error("file store: {0}")]
    Remote(String),
    /// The store declined the file for a reason the uploader can act on (a full store); the
    /// message says it in their words.
    #[error("{0}")]
    Refused(String),
    /// The store cannot be reached now (failing, busy); worth trying later.
    #[error("{0}")]
    Unavailable(String),
    /// The store cannot be reached until someone acts (WorkDrive's Zoho connection is missing or
    /// must be made again).
    #[error("{0}")]
    Waiting(String),
}

/// A key inside the store: `/`-separated segments of ASCII letters, digits, `.`, `_` and `-`,
/// none of them empty, `.` or `..`. Keys are made by the app, never taken from a request, and
/// this check is what keeps a key from reaching outside the store's root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreKey(String);

impl StoreKey {
    pub fn parse(raw: &str) -> Result<StoreKey, StoreError> {
        let ok = !raw.is_empty()
            && raw.len() <= 300
            && raw.split('/').all(|seg| {
                !seg.is_empty()
                    && seg != "."
                    && seg != ".."
                    && seg
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            });
        if ok {
            Ok(StoreKey(raw.to_owned()))
        } else {
            Err(StoreError::BadKey(raw.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }

    /// This key with one more segment.
    pub fn child(&self, segment: &str) -> Result<StoreKey, StoreError> {
        StoreKey::parse(&format!("{}/{segment}", self.0))
    }
}

/// An object as read back: its length and its bytes as a stream.
pub struct StoredObject {
    pub size: u64,
    pub body: ByteStream,
}

#[async_trait::async_trait]
pub trait FileStore: Send + Sync {
    /// Short stable name (`local`, `s3`, `workdrive`).
    fn provider(&self) -> &'static str;

    /// Makes sure the folder exists (a directory, or an empty marker object for S3 browsers).
    async fn create_folder(&self, folder: &StoreKey) -> Result<(), StoreError>;

    /// Moves a complete staged file into the store under `key`; the staged file is gone after.
    async fn put_staged(&self, key: &StoreKey, staged: &Path) -> Result<(), StoreError>;

    async fn get(&self, key: &StoreKey) -> Result<StoredObject, StoreError>;

    /// Removes the object; removing a missing one is not an error.
    async fn delete(&self, key: &StoreKey) -> Result<(), StoreError>;

    /// The keys of the objects under `prefix`, sorted (folder markers left out).
    async fn list(&self, prefix: &StoreKey) -> Result<Vec<String>, StoreError>;

    /// Staging inside the store, shared by every instance; `None` when uploads stage on the
    /// instance's own disk.
    fn shared_staging(&self) -> Option<&dyn SharedStaging> {
        None
    }
}

/// An object written in numbered parts that any instance may add to, then joined in one step
/// (S3 multipart uploads). Every part but the last must be at least `MIN_PART_BYTES` long.
#[async_trait::async_trait]
pub trait SharedStaging: Send + Sync {
    /// Starts an object at `key`; the id its parts go under.
    async fn begin(&self, key: &StoreKey) -> Result<String, StoreError>;

    /// Stores part `index` (from 0; sending an index again replaces that part); its tag.
    async fn put_part(
        &self,
        key: &StoreKey,
        upload: &str,
        index: usize,
        bytes: Bytes,
    ) -> Result<String, StoreError>;

    /// Joins the parts, in order, into the object at `key`.
    async fn complete(
        &self,
        key: &StoreKey,
        upload: &str,
        parts: Vec<String>,
    ) -> Result<(), StoreError>;

    /// Drops the parts; aborting an unknown or finished upload is not an error.
    async fn abort(&self, key: &StoreKey, upload: &str) -> Result<(), StoreError>;

    /// Writes a small object whole (an upload's bytes that do not fill a part yet).
    async fn put_bytes(&self, key: &StoreKey, bytes: Bytes) -> Result<(), StoreError>;
}

/// S3's smallest part (but for the last).
pub const MIN_PART_BYTES: usize = 5 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_climb_out_of_the_store() {
        for bad in [
            "",
            "/abs",
            "a//b",
            "../etc/passwd",
            "deals/../../x",
            "deals/./x",
            "a\\b",
            "a/b c",
            "naïve",
        ] {
            assert!(StoreKey::parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(StoreKey::parse("deals/17/3f2a-report.v2.pdf").is_ok());
    }

    #[test]
    fn a_child_of_a_good_key_is_checked_too() {
        let folder = StoreKey::parse("deals/17").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            folder.child("a.pdf").map(|k| k.0).ok().as_deref(),
            Some("deals/17/a.pdf")
        );
        assert!(folder.child("..").is_err());
    }
}
