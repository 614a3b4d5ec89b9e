//! Files in an S3-compatible bucket through the `object_store` crate: a key is an object name,
//! a folder is a key prefix with an empty `.folder` marker (so S3 browsers show it before the
//! first file). Staged uploads are streamed up in 8 MiB parts (a single PUT when smaller).
//! `shared_staging` exposes S3's multipart uploads, so resumable uploads can stage in the bucket.

use super::{FileStore, SharedStaging, StoreError, StoreKey, StoredObject};
use crate::server::platform::config::S3Settings;
use axum::body::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::buffered::BufWriter;
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use secrecy::ExposeSecret;
use std::path::Path;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;

/// The marker object that makes a folder visible.
const FOLDER_MARKER: &str = ".folder";
const PART_BYTES: usize = 8 << 20;

pub struct S3Store {
    store: Arc<dyn ObjectStore>,
    /// The same client, typed: multipart calls are not on `ObjectStore`.
    s3: Arc<AmazonS3>,
}

fn remote(e: object_store::Error) -> StoreError {
    match e {
        object_store::Error::NotFound { .. } => StoreError::NotFound,
        other => StoreError::Remote(other.to_string()),
    }
}

fn object(key: &StoreKey) -> ObjectPath {
    ObjectPath::from(key.as_str())
}

impl S3Store {
    pub fn new(s: &S3Settings) -> Result<S3Store, StoreError> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&s.bucket)
            .with_region(&s.region)
            .with_access_key_id(&s.access_key_id)
            .with_secret_access_key(s.secret_access_key.expose_secret());
        if !s.endpoint.is_empty() {
            builder = builder
                .with_endpoint(&s.endpoint)
                .with_allow_http(s.endpoint.starts_with("http://"))
                .with_virtual_hosted_style_request(false);
        }
        let s3 = Arc::new(builder.build().map_err(remote)?);
        Ok(S3Store {
            store: s3.clone(),
            s3,
        })
    }
}

#[async_trait::async_trait]
impl FileStore for S3Store {
    fn provider(&self) -> &'static str {
        "s3"
    }

    async fn create_folder(&self, folder: &StoreKey) -> Result<(), StoreError> {
        let marker = folder.child(FOLDER_MARKER)?;
        self.store
            .put(&object(&marker), PutPayload::new())
            .await
            .map_err(remote)?;
        Ok(())
    }

    async fn put_staged(&self, key: &StoreKey, staged: &Path) -> Result<(), StoreError> {
        let mut file = tokio::fs::File::open(staged).await?;
        let mut upload = BufWriter::with_capacity(self.store.clone(), object(key), PART_BYTES)
            .with_max_concurrency(4);
        let sent = async {
            tokio::io::copy(&mut file, &mut upload).await?;
            upload.shutdown().await
        }
        .await;
        if let Err(e) = sent {
            // No half-written object behind a failed upload.
            let _ = upload.abort().await;
            return Err(StoreError::Remote(e.to_string()));
        }
        tokio::fs::remove_file(staged).await?;
        Ok(())
    }

    async fn get(&self, key: &StoreKey) -> Result<StoredObject, StoreError> {
        let found = self.store.get(&object(key)).await.map_err(remote)?;
        let size = found.meta.size;
        Ok(StoredObject {
            size,
            body: found.into_stream().map_err(std::io::Error::other).boxed(),
        })
    }

    async fn delete(&self, key: &StoreKey) -> Result<(), StoreError> {
        match self.store.delete(&object(key)).await.map_err(remote) {
            Ok(()) | Err(StoreError::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn list(&self, prefix: &StoreKey) -> Result<Vec<String>, StoreError> {
        let mut keys: Vec<String> = self
            .store
            .list(Some(&object(prefix)))
            .map_ok(|meta| meta.location.to_string())
            .try_collect()
            .await
            .map_err(remote)?;
        keys.retain(|k| !k.ends_with(&format!("/{FOLDER_MARKER}")));
        keys.sort();
        Ok(keys)
    }

    fn shared_staging(&self) -> Option<&dyn SharedStaging> {
        Some(self)
    }
}

#[async_trait::async_trait]
impl SharedStaging for S3Store {
    async fn begin(&self, key: &StoreKey) -> Result<String, StoreError> {
        self.s3.create_multipart(&object(key)).await.map_err(remote)
    }

    async fn put_part(
        &self,
        key: &StoreKey,
        upload: &str,
        index: usize,
        bytes: Bytes,
    ) -> Result<String, StoreError> {
        let part = self
            .s3
            .put_part(&object(key), &upload.to_owned(), index, bytes.into())
            .await
            .map_err(remote)?;
        Ok(part.content_id)
    }

    async fn complete(
        &self,
        key: &StoreKey,
        upload: &str,
        parts: Vec<String>,
    ) -> Result<(), StoreError> {
        let parts = parts
            .into_iter()
            .map(|content_id| PartId { content_id })
            .collect();
        self.s3
            .complete_multipart(&object(key), &upload.to_owned(), parts)
            .await
            .map_err(remote)?;
        Ok(())
    }

    async fn abort(&self, key: &StoreKey, upload: &str) -> Result<(), StoreError> {
        match self
            .s3
            .abort_multipart(&object(key), &upload.to_owned())
            .await
            .map_err(remote)
        {
            Ok(()) | Err(StoreError::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn put_bytes(&self, key: &StoreKey, bytes: Bytes) -> Result<(), StoreError> {
        self.store
            .put(&object(key), bytes.into())
            .await
            .map_err(remote)?;
        Ok(())
    }
}
