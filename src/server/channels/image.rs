//! A channel's picture: set and removed by administrators, shown to signed-in users (clients see
//! it beside replies given in the channel's name). The bytes are checked to be a PNG, JPEG, GIF
//! or WebP picture by their first bytes, whatever the request claims; SVG is refused (it can
//! carry scripts). A new picture gets a new key and a higher version, so its address changes and
//! browsers may cache each one for long.

use crate::model::AppError;
use crate::model::file_size::file_size;
use crate::model::ids::ChannelId;
use crate::server::access::Viewer;
use crate::server::platform::entities::channel;
use crate::server::storage::{FileStore, StoreKey, StoredObject};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait};
use std::path::Path;

/// The picture types accepted, told by their first bytes.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Checks a picture before it is stored: its size and its type.
pub fn check(bytes: &[u8], max_bytes: usize) -> Result<&'static str, AppError> {
    if bytes.is_empty() {
        return Err(AppError::invalid("image", "Choose a picture."));
    }
    if bytes.len() > max_bytes {
        return Err(AppError::invalid(
            "image",
            format!(
                "The picture is {}; at most {} is accepted.",
                file_size(i64::try_from(bytes.len()).unwrap_or(i64::MAX)),
                file_size(i64::try_from(max_bytes).unwrap_or(i64::MAX))
            ),
        ));
    }
    sniff(bytes).ok_or_else(|| AppError::invalid("image", "Use a PNG, JPEG, GIF or WebP picture."))
}

/// What storing a picture needs.
pub struct ImageDeps<'a> {
    pub db: &'a DatabaseConnection,
    pub store: &'a dyn FileStore,
    /// Where the bytes wait before the store takes them (the data directory's `tmp`).
    pub staging: &'a Path,
    pub max_bytes: usize,
}

/// Gives the channel a new picture (administrators). The old one is deleted once the new one is
/// recorded; the version grows.
#[tracing::instrument(skip(deps, bytes), fields(bytes = bytes.len()))]
pub async fn set(
    deps: ImageDeps<'_>,
    viewer: Viewer,
    id: ChannelId,
    bytes: &[u8],
) -> Result<(), AppError> {
    viewer.admin_only()?;
    let found = channel::Entity::find_by_id(id)
        .one(deps.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let content_type = check(bytes, deps.max_bytes)?;
    let version = found.image_version + 1;
    let key = StoreKey::parse(&format!("channels/{}/image-{version}", id.0))
        .map_err(|_| AppError::Internal)?;
    tokio::fs::create_dir_all(deps.staging)
        .await
        .map_err(internal("staging dir"))?;
    let staged = deps
        .staging
        .join(format!("channel-image-{}", uuid::Uuid::new_v4()));
    tokio::fs::write(&staged, bytes)
        .await
        .map_err(internal("staging a picture"))?;
    let stored = deps.store.put_staged(&key, &staged).await;
    if stored.is_err() {
        let _ = tokio::fs::remove_file(&staged).await;
    }
    stored.map_err(internal("storing a picture"))?;
    let old = found.image_key.clone();
    let mut row: channel::ActiveModel = found.into();
    row.image_key = Set(Some(key.as_str().to_owned()));
    row.image_type = Set(Some(content_type.to_owned()));
    row.image_version = Set(version);
    row.update(deps.db).await?;
    forget(deps.store, old).await;
    Ok(())
}

/// Takes the channel's picture away (administrators).
#[tracing::instrument(skip(db, store))]
pub async fn remove(
    db: &DatabaseConnection,
    store: &dyn FileStore,
    viewer: Viewer,
    id: ChannelId,
) -> Result<(), AppError> {
    viewer.admin_only()?;
    let found = channel::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let old = found.image_key.clone();
    let version = found.image_version + 1;
    let mut row: channel::ActiveModel = found.into();
    row.image_key = Set(None);
    row.image_type = Set(None);
    row.image_version = Set(version);
    row.update(db).await?;
    forget(store, old).await;
    Ok(())
}

/// The channel's picture and its type; NotFound without one.
pub async fn get(
    db: &DatabaseConnection,
    store: &dyn FileStore,
    id: ChannelId,
) -> Result<(String, StoredObject), AppError> {
    let found = channel::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let (Some(key), Some(content_type)) = (found.image_key, found.image_type) else {
        return Err(AppError::NotFound);
    };
    let key = StoreKey::parse(&key).map_err(|_| AppError::Internal)?;
    let object = store
        .get(&key)
        .await
        .map_err(internal("reading a picture"))?;
    Ok((content_type, object))
}

/// Deletes a replaced picture; one left behind costs only space, so a failure is logged.
async fn forget(store: &dyn FileStore, key: Option<String>) {
    if let Some(key) = key.and_then(|k| StoreKey::parse(&k).ok())
        && let Err(e) = store.delete(&key).await
    {
        tracing::warn!(error = %e, key = key.as_str(), "could not delete a replaced picture");
    }
}

fn internal<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> AppError {
    move |e| {
        tracing::error!(error = %e, "{what}");
        AppError::Internal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_are_told_by_their_first_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"GIF89a..."), Some("image/gif"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"<svg xmlns='http://www.w3.org/2000/svg'/>"), None);
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVE"), None);
    }

    #[test]
    fn a_picture_too_large_or_of_another_kind_is_refused_with_the_reason() {
        let png = b"\x89PNG\r\n\x1a\nrest";
        assert_eq!(check(png, 1024).unwrap(), "image/png");
        let big = [png.as_slice(), &[0u8; 2048]].concat();
        let Err(AppError::Invalid { message, .. }) = check(&big, 1024) else {
            panic!("a large picture passed");
        };
        assert!(message.contains("at most"), "{message}");
        assert!(check(b"%PDF-1.7", 1024).is_err());
        assert!(check(b"", 1024).is_err());
    }
}
