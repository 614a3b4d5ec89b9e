//! Resumable uploads, the server side of tus 1.0 (core plus the creation, termination and
//! checksum extensions). Bytes stream into a staging file under the data dir with a running
//! SHA-256 and are never held whole in memory. When the last byte arrives the file is checked
//! against its declared checksum, handed to the file store, and recorded with its chat message
//! in one transaction. A failed or abandoned upload leaves no object and no row behind.
//!
//! Resuming: the staging file's length is the offset a client resumes from. The running hash
//! lives in memory beside it; after a restart it is rebuilt by reading the staged bytes once.
//! The staging file is on the instance's disk, so a resume must reach the same instance; with a
//! store that offers shared staging (S3), `shared_staging` stages in the store instead and any
//! instance takes the next chunk.

use crate::model::AppError;
use crate::model::chat::FileOrigin;
use crate::model::command::ShareNote;
use crate::model::ids::{ConversationId, FileId};
use crate::server::access::Viewer;
use crate::server::files::deal_files::{self, Finished};
use crate::server::files::home::{self, Home};
use crate::server::files::rules as file_rules;
use crate::server::files::shared_staging;
use crate::server::platform::config::{ChatSettings, FileSettings};
use crate::server::platform::entities::upload;
use crate::server::realtime::Hub;
use crate::server::storage::{FileStore, StoreError, StoreKey};
use axum::body::{Body, Bytes};
use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter,
};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::OwnedMutexGuard;

/// What an upload is for, from the client's metadata: into the deal's folder (`folder`, the
/// default; clients, and managers of the deal) or shared in the chat with a message (`share`:
/// staff, and clients in a chat without a deal whose channel allows it; `#q` makes it an offer).
/// The stored names are accepted too.
pub fn purpose_named(raw: &str) -> Result<FileOrigin, AppError> {
    match raw {
        "" | "folder" | "deal_folder" => Ok(FileOrigin::DealFolder),
        "share" | "chat_share" => Ok(FileOrigin::ChatShare),
        // A transcript is made by the product, never uploaded.
        _ => Err(AppError::invalid(
            "purpose",
            "purpose must be folder or share.",
        )),
    }
}

/// Failures with their own tus status codes, besides the app's errors.
#[derive(Debug)]
pub enum UploadError {
    App(AppError),
    /// The client's offset is not where the upload stands (409 with the real offset).
    OffsetMismatch {
        offset: u64,
    },
    /// A chunk, or the whole file, did not match its declared SHA-256 (460).
    ChecksumMismatch(String),
    /// More bytes than the declared length (413); the chunk was discarded.
    PastEnd {
        size: u64,
    },
    /// Another request is writing this upload (423 Locked: the client retries, it does not start
    /// over).
    Busy,
    /// `Tus-Resumable` missing or not 1.0.0 (412 with `Tus-Version`).
    UnsupportedVersion,
    /// A chunk not sent as `application/offset+octet-stream` (415).
    WrongContentType,
}

impl From<AppError> for UploadError {
    fn from(e: AppError) -> Self {
        UploadError::App(e)
    }
}

impl From<sea_orm::DbErr> for UploadError {
    fn from(e: sea_orm::DbErr) -> Self {
        UploadError::App(e.into())
    }
}

pub(super) fn internal(e: impl std::fmt::Display) -> UploadError {
    tracing::error!(error = %e, "upload failed");
    UploadError::App(AppError::Internal)
}

/// A staging file that is not on this instance belongs to an upload another instance began
/// (the local store needs sticky routing): 404, so tus clients start over instead of retrying.
fn staging_error(token: &str, e: std::io::Error) -> UploadError {
    if e.kind() == std::io::ErrorKind::NotFound {
        tracing::warn!(
            token = &token[..8],
            "an upload's staging file is not on this instance: route an upload's requests to one \
             instance, or use the S3 store"
        );
        return UploadError::App(AppError::NotFound);
    }
    internal(e)
}

/// Bytes received so far and their running hash.
#[derive(Clone)]
struct Progress {
    offset: u64,
    hasher: Sha256,
}

type Slot = Arc<tokio::sync::Mutex<Option<Progress>>>;

/// The staging area: one file per upload, and the running hash of each active one.
pub struct UploadArea {
    dir: PathBuf,
    active: Mutex<HashMap<String, Slot>>,
}

impl UploadArea {
    pub fn new(dir: PathBuf) -> std::io::Result<UploadArea> {
        std::fs::create_dir_all(&dir)?;
        Ok(UploadArea {
            dir,
            active: Mutex::new(HashMap::new()),
        })
    }

    fn path(&self, token: &str) -> PathBuf {
        self.dir.join(token)
    }

    fn slot(&self, token: &str) -> Slot {
        let mut map = self.active.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(token.to_owned()).or_default().clone()
    }

    fn forget(&self, token: &str) {
        let mut map = self.active.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(token);
    }
}

/// What uploads need from the app.
#[derive(Clone, Copy)]
pub struct Deps<'a> {
    pub db: &'a DatabaseConnection,
    pub hub: &'a Hub,
    pub store: &'a dyn FileStore,
    pub area: &'a UploadArea,
    pub files: &'a FileSettings,
    pub chat: &'a ChatSettings,
}

/// A new upload as the client announces it (tus `Upload-Length` and `Upload-Metadata`).
#[derive(Debug, Default)]
pub struct Announce<'a> {
    pub conversation_id: ConversationId,
    pub purpose: &'a str,
    pub name: &'a str,
    pub content_type: &'a str,
    pub size: Option<u64>,
    pub sha256: Option<&'a str>,
    /// A share's message text.
    pub note: Option<&'a str>,
}

/// Tokens are 128 random bits: the upload's URL is only guessable by its owner.
pub(super) fn new_token() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Starts an upload: checks it, records it and makes its empty staging file.
#[tracing::instrument(skip(deps, new), fields(conversation_id = %new.conversation_id))]
pub async fn create(
    deps: Deps<'_>,
    viewer: Viewer,
    new: Announce<'_>,
) -> Result<upload::Model, AppError> {
    let purpose = purpose_named(new.purpose)?;
    let size = new.size.ok_or_else(|| {
        AppError::invalid(
            "size",
            "Upload-Length is required: the size must be known up front.",
        )
    })?;
    let name = file_rules::display_name(new.name)?;
    let content_type = file_rules::content_type(new.content_type);
    file_rules::check_upload(
        size,
        &content_type,
        deps.files.max_upload_bytes,
        &deps.files.allowed_types,
    )?;
    let sha256 = new.sha256.map(file_rules::sha256_hex).transpose()?;
    let note = match purpose {
        FileOrigin::ChatShare => {
            let note = new.note.unwrap_or("").trim();
            let chars = note.chars().count();
            if chars > deps.chat.max_message_chars {
                return Err(AppError::invalid(
                    "body",
                    format!(
                        "Messages are limited to {} characters; this one has {chars}.",
                        deps.chat.max_message_chars
                    ),
                ));
            }
            Some(note.to_owned())
        }
        FileOrigin::DealFolder | FileOrigin::Transcript => None,
    };
    let home = home::authorise(deps.db, viewer, new.conversation_id, purpose).await?;
    if let Some(note) = &note {
        home.check_share(Some(&ShareNote::parse(note)))?;
    }
    let now = Utc::now();
    check_allowances(deps, viewer, &home, size, now).await?;
    let hours = i64::try_from(deps.files.upload_expiry_hours).unwrap_or(24);
    let token = new_token();
    let shared = deps.store.shared_staging().is_some();
    // A multipart upload is bound to its key, so shared staging fixes the key now.
    let storage_key = if shared {
        Some(
            home.key(&token, &name)
                .map_err(|_| AppError::Internal)?
                .as_str()
                .to_owned(),
        )
    } else {
        None
    };
    let row = upload::ActiveModel {
        token: Set(token),
        uploader_id: Set(viewer.id),
        conversation_id: Set(new.conversation_id),
        deal_id: Set(home.deal_id()),
        purpose: Set(purpose),
        name: Set(name),
        content_type: Set(content_type),
        size: Set(i64::try_from(size).map_err(|_| AppError::TooLarge {
            limit_bytes: deps.files.max_upload_bytes,
        })?),
        expected_sha256: Set(sha256),
        note: Set(note),
        file_id: Set(None),
        created_at: Set(now),
        expires_at: Set(now + Duration::hours(hours)),
        storage_key: Set(storage_key),
        staged_bytes: Set(0),
        tail_bytes: Set(0),
        multipart_id: Set(None),
        parts: Set(None),
        hash_state: Set(None),
        writer: Set(None),
        writing_until: Set(None),
    }
    .insert(deps.db)
    .await?;
    if shared {
        return Ok(row);
    }
    tokio::fs::File::create(deps.area.path(&row.token))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "cannot create a staging file");
            AppError::Internal
        })?;
    Ok(row)
}

/// Uploads in progress per user, and the bytes a deal's (or a chat's) files, stored and
/// arriving, may take. Two uploads created at the same moment may both pass; the overshoot is at
/// most one file.
async fn check_allowances(
    deps: Deps<'_>,
    viewer: Viewer,
    home: &Home,
    size: u64,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let in_progress = upload::Entity::find()
        .filter(upload::Column::UploaderId.eq(viewer.id))
        .filter(upload::Column::FileId.is_null())
        .filter(upload::Column::ExpiresAt.gt(now))
        .count(deps.db)
        .await?;
    if in_progress >= deps.files.max_uploads_in_progress {
        return Err(AppError::Conflict(format!(
            "You have {in_progress} uploads in progress; let one finish or cancel it first."
        )));
    }
    home.usage(
        deps.db,
        now,
        deps.files.deal_quota_bytes,
        deps.files.chat_quota_bytes,
    )
    .await?
    .check(size)
}

/// The viewer's own upload that has not expired.
async fn own(deps: Deps<'_>, viewer: Viewer, token: &str) -> Result<upload::Model, AppError> {
    if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::NotFound);
    }
    upload::Entity::find_by_id(token.to_owned())
        .one(deps.db)
        .await?
        .filter(|u| u.uploader_id == viewer.id && u.expires_at > Utc::now())
        .ok_or(AppError::NotFound)
}

/// Where an upload stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub offset: u64,
    pub size: u64,
    /// The stored file, once complete.
    pub file_id: Option<FileId>,
    /// When an unfinished upload is discarded (tus `Upload-Expires`).
    pub expires_at: DateTime<Utc>,
}

fn size_of(row: &upload::Model) -> u64 {
    u64::try_from(row.size).unwrap_or(0)
}

/// How long a `HEAD` waits for a write that is finishing before it answers 423.
const HEAD_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

/// The offset to resume from (tus `HEAD`).
pub async fn status(deps: Deps<'_>, viewer: Viewer, token: &str) -> Result<Status, UploadError> {
    let row = own(deps, viewer, token).await?;
    let size = size_of(&row);
    if row.file_id.is_some() {
        return Ok(Status {
            offset: size,
            size,
            file_id: row.file_id,
            expires_at: row.expires_at,
        });
    }
    if deps.store.shared_staging().is_some() {
        return shared_staging::status(deps, row).await;
    }
    // A write that is just ending (its connection dropped) is waited for, so the answer is the
    // offset it ends at; one still receiving bytes makes the client come back later.
    let slot = deps.area.slot(token);
    let guard = tokio::time::timeout(HEAD_WAIT, slot.lock())
        .await
        .map_err(|_| UploadError::Busy)?;
    let offset = match guard.as_ref() {
        Some(p) => p.offset,
        None => tokio::fs::metadata(deps.area.path(token))
            .await
            .map(|m| m.len())
            .map_err(|e| staging_error(token, e))?,
    };
    Ok(Status {
        offset,
        size,
        file_id: None,
        expires_at: row.expires_at,
    })
}

/// One piece of a request body, or word that the body broke off.
enum Piece {
    Data(Bytes),
    Broken,
}

/// How a chunk ended, decided on the writing thread.
enum Chunk {
    Written {
        offset: u64,
        digest: Option<[u8; 32]>,
    },
    OffsetMismatch {
        offset: u64,
    },
    ChecksumMismatch,
    PastEnd,
}

/// Pieces queued between the socket and the disk: enough to keep both busy, little memory.
const PIPE_DEPTH: usize = 32;
const WRITE_BUFFER: usize = 1 << 20;

/// Appends a chunk (tus `PATCH`); on the last byte, finishes the upload. `checksum` is the
/// chunk's SHA-256 from `Upload-Checksum`, if the client sent one.
#[tracing::instrument(skip(deps, body, checksum))]
pub async fn append(
    deps: Deps<'_>,
    viewer: Viewer,
    token: &str,
    claimed_offset: u64,
    checksum: Option<[u8; 32]>,
    body: Body,
) -> Result<Status, UploadError> {
    let row = own(deps, viewer, token).await?;
    let size = size_of(&row);
    if row.file_id.is_some() {
        return if claimed_offset == size {
            Ok(Status {
                offset: size,
                size,
                file_id: row.file_id,
                expires_at: row.expires_at,
            })
        } else {
            Err(UploadError::OffsetMismatch { offset: size })
        };
    }
    if let Some(staging) = deps.store.shared_staging() {
        return shared_staging::append(
            deps,
            staging,
            viewer,
            token,
            claimed_offset,
            checksum,
            body,
        )
        .await;
    }
    let slot = deps.area.slot(token);
    let guard = slot
        .clone()
        .try_lock_owned()
        .map_err(|_| UploadError::Busy)?;
    let path = deps.area.path(token);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Piece>(PIPE_DEPTH);
    // The writer owns the lock: if this request is dropped mid-body, the writer still records
    // how far it got before anyone else may write.
    let writer = tokio::task::spawn_blocking(move || {
        let mut guard = guard;
        let outcome = write_chunk(&mut guard, &path, claimed_offset, size, checksum, || {
            rx.blocking_recv()
        });
        (guard, outcome)
    });
    let mut stream = body.into_data_stream();
    while let Some(frame) = stream.next().await {
        let piece = match frame {
            Ok(bytes) => Piece::Data(bytes),
            Err(e) => {
                tracing::info!(error = %e, "upload body broke off");
                Piece::Broken
            }
        };
        let broken = matches!(piece, Piece::Broken);
        if tx.send(piece).await.is_err() || broken {
            break;
        }
    }
    drop(tx);
    let (guard, outcome) = writer.await.map_err(internal)?;
    match outcome.map_err(|e| staging_error(token, e))? {
        Chunk::OffsetMismatch { offset } => Err(UploadError::OffsetMismatch { offset }),
        Chunk::ChecksumMismatch => Err(UploadError::ChecksumMismatch(
            "The chunk's SHA-256 does not match Upload-Checksum; it was discarded.".into(),
        )),
        Chunk::PastEnd => Err(UploadError::PastEnd { size }),
        Chunk::Written {
            offset,
            digest: None,
        } => Ok(Status {
            offset,
            size,
            file_id: None,
            expires_at: row.expires_at,
        }),
        Chunk::Written {
            offset,
            digest: Some(digest),
        } => {
            let result = finish(deps, viewer, &row, digest).await;
            drop(guard);
            if result.is_err() {
                discard(deps, &row).await;
            }
            let file_id = result?;
            deps.area.forget(token);
            Ok(Status {
                offset,
                size,
                file_id: Some(file_id),
                expires_at: row.expires_at,
            })
        }
    }
}

/// Writes one chunk on a blocking thread: checks the offset, hashes and appends each piece,
/// and rolls the chunk back if it overran the size or failed its checksum (or broke off while
/// a checksum was promised, since it can no longer be verified).
fn write_chunk(
    slot: &mut OwnedMutexGuard<Option<Progress>>,
    path: &std::path::Path,
    claimed: u64,
    size: u64,
    checksum: Option<[u8; 32]>,
    mut next: impl FnMut() -> Option<Piece>,
) -> std::io::Result<Chunk> {
    // Taken out while writing: an I/O error leaves the slot empty, so the next request
    // rebuilds the progress from the staged bytes.
    let mut progress = match slot.take() {
        Some(p) => p,
        None => rebuild(path)?,
    };
    if progress.offset != claimed {
        let offset = progress.offset;
        **slot = Some(progress);
        return Ok(Chunk::OffsetMismatch { offset });
    }
    let before = progress.clone();
    let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
    file.seek(SeekFrom::Start(claimed))?;
    let mut out = std::io::BufWriter::with_capacity(WRITE_BUFFER, file);
    let mut chunk_hash = checksum.map(|_| Sha256::new());
    let mut past_end = false;
    let mut broken = false;
    while let Some(piece) = next() {
        let bytes = match piece {
            Piece::Data(bytes) => bytes,
            Piece::Broken => {
                broken = true;
                break;
            }
        };
        let len = bytes.len() as u64;
        if progress.offset + len > size {
            past_end = true;
            break;
        }
        progress.hasher.update(&bytes);
        if let Some(h) = chunk_hash.as_mut() {
            h.update(&bytes);
        }
        out.write_all(&bytes)?;
        progress.offset += len;
    }
    let file = out.into_inner().map_err(|e| e.into_error())?;
    let bad_checksum = match (checksum, chunk_hash) {
        (Some(want), Some(h)) => broken || h.finalize().as_slice() != want,
        _ => false,
    };
    if past_end || bad_checksum {
        file.set_len(claimed)?;
        **slot = Some(before);
        return Ok(if past_end {
            Chunk::PastEnd
        } else {
            Chunk::ChecksumMismatch
        });
    }
    let digest = if progress.offset == size {
        file.sync_all()?;
        Some(progress.hasher.clone().finalize().into())
    } else {
        None
    };
    let offset = progress.offset;
    **slot = Some(progress);
    Ok(Chunk::Written { offset, digest })
}

/// Progress from the staged bytes alone (after a restart or a failed write).
fn rebuild(path: &std::path::Path) -> std::io::Result<Progress> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; WRITE_BUFFER];
    let mut offset = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        offset += n as u64;
    }
    Ok(Progress { offset, hasher })
}

/// Checks the whole file, moves it into the store and records it; the file's id.
async fn finish(
    deps: Deps<'_>,
    viewer: Viewer,
    row: &upload::Model,
    digest: [u8; 32],
) -> Result<FileId, UploadError> {
    let home = check_whole(deps, viewer, row, digest).await?;
    let key = home.key(&row.token, &row.name).map_err(internal)?;
    deps.store
        .put_staged(&key, &deps.area.path(&row.token))
        .await
        .map_err(|e| match e {
            StoreError::Refused(message) => UploadError::App(AppError::invalid("file", message)),
            StoreError::Unavailable(message) | StoreError::Waiting(message) => {
                tracing::warn!(error = %message, "the file store cannot take the file now");
                UploadError::App(AppError::Unavailable(
                    "The file store cannot be reached now; upload the file again later.".into(),
                ))
            }
            other => internal(other),
        })?;
    record_stored(deps, viewer, row, &home, &key, digest).await
}

/// The checks of a whole file before it is stored: its declared SHA-256, and the uploader's
/// rights, which may have changed while the bytes travelled. Where it goes.
pub(super) async fn check_whole(
    deps: Deps<'_>,
    viewer: Viewer,
    row: &upload::Model,
    digest: [u8; 32],
) -> Result<Home, UploadError> {
    let sha256 = hex::encode(digest);
    if row
        .expected_sha256
        .as_deref()
        .is_some_and(|want| want != sha256)
    {
        return Err(UploadError::ChecksumMismatch(
            "The file's SHA-256 does not match the one declared; the upload was discarded.".into(),
        ));
    }
    Ok(home::authorise(deps.db, viewer, row.conversation_id, row.purpose).await?)
}

/// Records a file that is in the store under `key`, with its message; the object goes again if
/// it cannot be recorded (no object without its row).
pub(super) async fn record_stored(
    deps: Deps<'_>,
    viewer: Viewer,
    row: &upload::Model,
    home: &Home,
    key: &StoreKey,
    digest: [u8; 32],
) -> Result<FileId, UploadError> {
    let sha256 = hex::encode(digest);
    let share = match row.purpose {
        FileOrigin::ChatShare => Some(ShareNote::parse(row.note.as_deref().unwrap_or(""))),
        FileOrigin::DealFolder | FileOrigin::Transcript => None::<ShareNote>,
    };
    if let Err(e) = home.check_share(share.as_ref()) {
        if let Err(del) = deps.store.delete(key).await {
            tracing::error!(error = %del, key = key.as_str(), "could not remove an unrecorded object");
        }
        return Err(e.into());
    }
    let recorded = deal_files::record(
        deps.db,
        deps.hub,
        Finished {
            deal_id: home.deal_id(),
            conversation_id: row.conversation_id,
            uploader_id: viewer.id,
            name: &row.name,
            size: row.size,
            content_type: &row.content_type,
            sha256: &sha256,
            storage_key: key.as_str(),
            share,
            upload_token: &row.token,
        },
    )
    .await;
    match recorded {
        Ok(file) => {
            tracing::info!(file_id = %file.id, size = row.size, "upload stored");
            Ok(file.id)
        }
        Err(e) => {
            if let Err(del) = deps.store.delete(key).await {
                tracing::error!(error = %del, key = key.as_str(), "could not remove an unrecorded object");
            }
            Err(e.into())
        }
    }
}

/// Drops an upload: its staged bytes, its row and its progress.
async fn discard(deps: Deps<'_>, row: &upload::Model) {
    if let Err(e) = tokio::fs::remove_file(deps.area.path(&row.token)).await
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(error = %e, "could not remove a staging file");
    }
    drop_row(deps, row).await;
}

/// Drops an upload's row and its progress on this instance.
pub(super) async fn drop_row(deps: Deps<'_>, row: &upload::Model) {
    if let Err(e) = upload::Entity::delete_by_id(row.token.clone())
        .exec(deps.db)
        .await
    {
        tracing::warn!(error = %e, "could not remove an upload record");
    }
    deps.area.forget(&row.token);
}

/// The client gives up (tus `DELETE`).
pub async fn cancel(deps: Deps<'_>, viewer: Viewer, token: &str) -> Result<(), AppError> {
    let row = own(deps, viewer, token).await?;
    if row.file_id.is_some() {
        return Err(AppError::Conflict(
            "This upload is already complete.".into(),
        ));
    }
    if deps.store.shared_staging().is_some() {
        return shared_staging::cancel(deps, &row).await;
    }
    let slot = deps.area.slot(token);
    let _writing = slot
        .try_lock()
        .map_err(|_| AppError::Conflict("The upload is being written; try again.".into()))?;
    discard(deps, &row).await;
    Ok(())
}

/// Removes expired uploads and staging files nobody owns; returns how many went.
pub async fn sweep(
    db: &DatabaseConnection,
    area: &UploadArea,
    store: &dyn FileStore,
) -> Result<usize, AppError> {
    let now = Utc::now();
    let expired = upload::Entity::find()
        .filter(upload::Column::ExpiresAt.lte(now))
        .all(db)
        .await?;
    let mut removed = 0;
    for row in &expired {
        let _ = tokio::fs::remove_file(area.path(&row.token)).await;
        if row.storage_key.is_some() {
            shared_staging::forget_staging(store, row, row.multipart_id.as_deref()).await;
        }
        upload::Entity::delete_by_id(row.token.clone())
            .exec(db)
            .await?;
        area.forget(&row.token);
        removed += 1;
    }
    // Staged bytes whose record is gone (a crash between the two), left alone while young.
    let mut dir = match tokio::fs::read_dir(&area.dir).await {
        Ok(d) => d,
        Err(_) => return Ok(removed),
    };
    while let Ok(Some(entry)) = dir.next_entry().await {
        let name = entry.file_name().to_string_lossy().into_owned();
        let old = entry
            .metadata()
            .await
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > std::time::Duration::from_secs(3600));
        if old
            && upload::Entity::find_by_id(name.clone())
                .one(db)
                .await?
                .is_none()
        {
            let _ = tokio::fs::remove_file(entry.path()).await;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file with these bytes, removed when the test drops it.
    fn temp_file(bytes: &[u8]) -> tempfile::TempPath {
        let path = tempfile::NamedTempFile::new()
            .unwrap_or_else(|e| panic!("{e}"))
            .into_temp_path();
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{e}"));
        path
    }

    fn slot(progress: Option<Progress>) -> OwnedMutexGuard<Option<Progress>> {
        Arc::new(tokio::sync::Mutex::new(progress))
            .try_lock_owned()
            .unwrap_or_else(|_| panic!("fresh lock"))
    }

    fn pieces(parts: Vec<Piece>) -> impl FnMut() -> Option<Piece> {
        let mut it = parts.into_iter();
        move || it.next()
    }

    fn data(b: &[u8]) -> Piece {
        Piece::Data(Bytes::copy_from_slice(b))
    }

    #[test]
    fn chunks_append_and_the_last_one_yields_the_whole_files_hash() {
        let path = temp_file(b"");
        let mut s = slot(None);
        let first = write_chunk(&mut s, &path, 0, 6, None, pieces(vec![data(b"abc")]));
        assert!(matches!(
            first,
            Ok(Chunk::Written {
                offset: 3,
                digest: None
            })
        ));
        let last = write_chunk(
            &mut s,
            &path,
            3,
            6,
            None,
            pieces(vec![data(b"d"), data(b"ef")]),
        );
        let want: [u8; 32] = Sha256::digest(b"abcdef").into();
        assert!(matches!(last, Ok(Chunk::Written { offset: 6, digest: Some(d) }) if d == want));
        assert_eq!(std::fs::read(&path).unwrap_or_default(), b"abcdef");
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn a_wrong_offset_is_refused_with_the_real_one() {
        let path = temp_file(b"abc");
        let mut s = slot(None);
        let r = write_chunk(&mut s, &path, 0, 6, None, pieces(vec![data(b"x")]));
        assert!(matches!(r, Ok(Chunk::OffsetMismatch { offset: 3 })));
        assert_eq!(std::fs::read(&path).unwrap_or_default(), b"abc");
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn a_chunk_failing_its_checksum_is_rolled_back() {
        let path = temp_file(b"");
        let mut s = slot(None);
        let wrong: [u8; 32] = Sha256::digest(b"other").into();
        let r = write_chunk(&mut s, &path, 0, 6, Some(wrong), pieces(vec![data(b"abc")]));
        assert!(matches!(r, Ok(Chunk::ChecksumMismatch)));
        assert_eq!(std::fs::metadata(&path).map(|m| m.len()).unwrap_or(99), 0);
        // The hash state went back too: the right bytes still give the right digest.
        let r = write_chunk(&mut s, &path, 0, 3, None, pieces(vec![data(b"abc")]));
        let want: [u8; 32] = Sha256::digest(b"abc").into();
        assert!(matches!(r, Ok(Chunk::Written { digest: Some(d), .. }) if d == want));
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn a_broken_body_keeps_what_arrived_unless_a_checksum_was_promised() {
        let path = temp_file(b"");
        let mut s = slot(None);
        let r = write_chunk(
            &mut s,
            &path,
            0,
            6,
            None,
            pieces(vec![data(b"ab"), Piece::Broken]),
        );
        assert!(matches!(r, Ok(Chunk::Written { offset: 2, .. })));
        let sum: [u8; 32] = Sha256::digest(b"cdef").into();
        let r = write_chunk(
            &mut s,
            &path,
            2,
            6,
            Some(sum),
            pieces(vec![data(b"cd"), Piece::Broken]),
        );
        assert!(matches!(r, Ok(Chunk::ChecksumMismatch)));
        assert_eq!(std::fs::read(&path).unwrap_or_default(), b"ab");
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn bytes_past_the_declared_size_are_refused() {
        let path = temp_file(b"");
        let mut s = slot(None);
        let r = write_chunk(&mut s, &path, 0, 2, None, pieces(vec![data(b"abc")]));
        assert!(matches!(r, Ok(Chunk::PastEnd)));
        assert_eq!(std::fs::metadata(&path).map(|m| m.len()).unwrap_or(99), 0);
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn progress_is_rebuilt_from_the_staged_bytes_after_a_restart() {
        let path = temp_file(b"abc");
        let mut s = slot(None);
        let r = write_chunk(&mut s, &path, 3, 6, None, pieces(vec![data(b"def")]));
        let want: [u8; 32] = Sha256::digest(b"abcdef").into();
        assert!(matches!(r, Ok(Chunk::Written { offset: 6, digest: Some(d) }) if d == want));
        let _ = std::fs::remove_file(path);
    }
}
