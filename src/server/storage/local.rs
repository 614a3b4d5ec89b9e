//! Files on the local disk under one root directory: a key's segments are its path.

use super::{FileStore, StoreError, StoreKey, StoredObject};
use std::path::{Path, PathBuf};
use tokio_util::io::ReaderStream;

pub struct LocalStore {
    root: PathBuf,
}

/// Read buffer per download; big enough that a fast disk is not held back by syscalls.
const READ_CHUNK: usize = 256 * 1024;

impl LocalStore {
    pub fn new(root: PathBuf) -> LocalStore {
        LocalStore { root }
    }

    fn path(&self, key: &StoreKey) -> PathBuf {
        let mut p = self.root.clone();
        p.extend(key.segments());
        p
    }
}

fn not_found_as(e: std::io::Error) -> StoreError {
    if e.kind() == std::io::ErrorKind::NotFound {
        StoreError::NotFound
    } else {
        StoreError::Io(e)
    }
}

/// Flushes a directory entry, so a rename into it survives a power cut.
async fn sync_dir(dir: &Path) -> std::io::Result<()> {
    let dir = dir.to_owned();
    tokio::task::spawn_blocking(move || std::fs::File::open(&dir)?.sync_all())
        .await
        .map_err(std::io::Error::other)?
}

#[async_trait::async_trait]
impl FileStore for LocalStore {
    fn provider(&self) -> &'static str {
        "local"
    }

    async fn create_folder(&self, folder: &StoreKey) -> Result<(), StoreError> {
        tokio::fs::create_dir_all(self.path(folder)).await?;
        Ok(())
    }

    async fn put_staged(&self, key: &StoreKey, staged: &Path) -> Result<(), StoreError> {
        let target = self.path(key);
        let parent = target
            .parent()
            .ok_or_else(|| StoreError::BadKey(key.as_str().to_owned()))?;
        tokio::fs::create_dir_all(parent).await?;
        if tokio::fs::rename(staged, &target).await.is_err() {
            // Staging on another file system: copy, then drop the staged copy.
            tokio::fs::copy(staged, &target).await?;
            let file = tokio::fs::File::open(&target).await?;
            file.sync_all().await?;
            tokio::fs::remove_file(staged).await?;
        }
        sync_dir(parent).await?;
        Ok(())
    }

    async fn get(&self, key: &StoreKey) -> Result<StoredObject, StoreError> {
        let file = tokio::fs::File::open(self.path(key))
            .await
            .map_err(not_found_as)?;
        let size = file.metadata().await?.len();
        Ok(StoredObject {
            size,
            body: Box::pin(ReaderStream::with_capacity(file, READ_CHUNK)),
        })
    }

    async fn list(&self, prefix: &StoreKey) -> Result<Vec<String>, StoreError> {
        let mut keys = Vec::new();
        let mut pending = vec![(self.path(prefix), prefix.as_str().to_owned())];
        while let Some((dir, key)) = pending.pop() {
            let mut entries = match tokio::fs::read_dir(&dir).await {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e.into()),
            };
            while let Some(entry) = entries.next_entry().await? {
                let name = entry.file_name().to_string_lossy().into_owned();
                let child = format!("{key}/{name}");
                if entry.file_type().await?.is_dir() {
                    pending.push((entry.path(), child));
                } else {
                    keys.push(child);
                }
            }
        }
        keys.sort();
        Ok(keys)
    }

    async fn delete(&self, key: &StoreKey) -> Result<(), StoreError> {
        match tokio::fs::remove_file(self.path(key))
            .await
            .map_err(not_found_as)
        {
            Ok(()) | Err(StoreError::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
