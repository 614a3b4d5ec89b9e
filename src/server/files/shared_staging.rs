//! Uploads staged in the shared file store (S3 multipart uploads), so any instance can take an
//! upload's next chunk. The upload's row is its truth: how many bytes are staged, the parts, the
//! running SHA-256, and which request is writing now (a lease taken by one conditional update).
//!
//! A chunk streams into 8 MiB parts. What is left when its body ends (less than a part) is
//! written as the tail object and goes in front of the next chunk's bytes. The row moves forward
//! only when a chunk ends well, so a chunk that fails its checksum, runs past the end, or dies
//! with its instance leaves the upload where it was: the parts sent on its behalf are replaced
//! by the next chunk's, which take the same numbers.

use crate::model::AppError;
use crate::model::ids::FileId;
use crate::server::access::Viewer;
use crate::server::files::running_hash::RunningHash;
use crate::server::files::uploads::{self, Deps, Status, UploadError, internal};
use crate::server::platform::entities::upload;
use crate::server::storage::{FileStore, MIN_PART_BYTES, SharedStaging, StoreKey};
use axum::body::{Body, Bytes};
use bytes::BytesMut;
use chrono::{Duration, Utc};
use futures::StreamExt;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};

/// Bytes per part: the browser's chunk, so each chunk is one part and leaves no tail.
pub const PART_BYTES: usize = 8 << 20;
/// How long a writer's lease holds without word from it. A task renews it while the request
/// lives, so only a dead instance lets it run out, and then the upload is free again soon.
const LEASE_SECS: i64 = 10;
const RENEW_EVERY: std::time::Duration = std::time::Duration::from_secs(3);

/// Where the upload stands, as its row says.
#[derive(Clone, Debug)]
struct Staged {
    offset: u64,
    tail: u64,
    parts: Vec<String>,
    multipart: Option<String>,
    hash: RunningHash,
}

impl Staged {
    fn of(row: &upload::Model) -> Result<Staged, UploadError> {
        let offset = u64::try_from(row.staged_bytes).map_err(internal)?;
        let hash = match row.hash_state.as_deref() {
            Some(text) => RunningHash::decode(text)
                .ok_or_else(|| internal("an upload's hash state does not decode"))?,
            None if offset == 0 => RunningHash::default(),
            None => return Err(internal("an upload's hash state is missing")),
        };
        if hash.len() != offset {
            return Err(internal("an upload's hash state does not match its offset"));
        }
        let parts = match row.parts.as_deref() {
            Some(json) => serde_json::from_str(json).map_err(internal)?,
            None => Vec::new(),
        };
        Ok(Staged {
            offset,
            tail: u64::try_from(row.tail_bytes).map_err(internal)?,
            parts,
            multipart: row.multipart_id.clone(),
            hash,
        })
    }
}

/// The staging objects of an upload live under `staging/<token>`.
fn tail_key(token: &str, offset: u64) -> Result<StoreKey, UploadError> {
    StoreKey::parse(&format!("staging/{token}/{offset}")).map_err(internal)
}

fn final_key(row: &upload::Model) -> Result<StoreKey, UploadError> {
    let key = row
        .storage_key
        .as_deref()
        .ok_or_else(|| internal("a shared upload has no storage key"))?;
    StoreKey::parse(key).map_err(internal)
}

/// The right to write one upload, held by one request on one instance and renewed by a task
/// of its own while held. Dropped without `release`, it is given back from a task, so a request
/// cut off mid-body does not keep the upload locked until the lease runs out.
struct Lease {
    db: DatabaseConnection,
    token: String,
    writer: String,
    keeper: tokio::task::JoinHandle<()>,
    released: bool,
}

fn writer_is(token: &str, writer: &str) -> Condition {
    Condition::all()
        .add(upload::Column::Token.eq(token))
        .add(upload::Column::Writer.eq(writer))
}

impl Lease {
    async fn take(db: &DatabaseConnection, token: &str) -> Result<Lease, UploadError> {
        let writer = uploads::new_token();
        let now = Utc::now();
        let taken = upload::Entity::update_many()
            .col_expr(upload::Column::Writer, Expr::value(writer.clone()))
            .col_expr(
                upload::Column::WritingUntil,
                Expr::value(now + Duration::seconds(LEASE_SECS)),
            )
            .filter(upload::Column::Token.eq(token))
            .filter(upload::Column::FileId.is_null())
            .filter(
                Condition::any()
                    .add(upload::Column::WritingUntil.is_null())
                    .add(upload::Column::WritingUntil.lt(now)),
            )
            .exec(db)
            .await?;
        if taken.rows_affected == 0 {
            return Err(UploadError::Busy);
        }
        let keeper = tokio::spawn(keep(db.clone(), token.to_owned(), writer.clone()));
        Ok(Lease {
            db: db.clone(),
            token: token.to_owned(),
            writer,
            keeper,
            released: false,
        })
    }

    /// Records where the upload now stands and gives the lease back, in one update.
    async fn commit(mut self, staged: &Staged) -> Result<(), UploadError> {
        let parts = serde_json::to_string(&staged.parts).map_err(internal)?;
        let done = upload::Entity::update_many()
            .col_expr(
                upload::Column::StagedBytes,
                Expr::value(i64::try_from(staged.offset).map_err(internal)?),
            )
            .col_expr(
                upload::Column::TailBytes,
                Expr::value(i64::try_from(staged.tail).map_err(internal)?),
            )
            .col_expr(upload::Column::Parts, Expr::value(parts))
            .col_expr(
                upload::Column::MultipartId,
                Expr::value(staged.multipart.clone()),
            )
            .col_expr(upload::Column::HashState, Expr::value(staged.hash.encode()))
            .col_expr(upload::Column::Writer, Expr::value(None::<String>))
            .col_expr(
                upload::Column::WritingUntil,
                Expr::value(None::<chrono::DateTime<Utc>>),
            )
            .filter(writer_is(&self.token, &self.writer))
            .exec(&self.db)
            .await;
        self.released = true;
        self.keeper.abort();
        if done?.rows_affected == 0 {
            return Err(UploadError::Busy);
        }
        Ok(())
    }

    /// Records the multipart upload at once, so it is aborted with the upload even if this
    /// request never commits.
    async fn keep_multipart(&self, id: &str) -> Result<(), UploadError> {
        upload::Entity::update_many()
            .col_expr(upload::Column::MultipartId, Expr::value(id.to_owned()))
            .filter(writer_is(&self.token, &self.writer))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    async fn release(mut self) {
        self.released = true;
        self.keeper.abort();
        release(&self.db, &self.token, &self.writer).await;
    }
}

/// Renews a lease until aborted, or until it is found taken (the database was out of reach for
/// longer than the lease; the holder's commit then fails, as its update names the writer).
async fn keep(db: DatabaseConnection, token: String, writer: String) {
    loop {
        tokio::time::sleep(RENEW_EVERY).await;
        let held = upload::Entity::update_many()
            .col_expr(
                upload::Column::WritingUntil,
                Expr::value(Utc::now() + Duration::seconds(LEASE_SECS)),
            )
            .filter(writer_is(&token, &writer))
            .exec(&db)
            .await;
        match held {
            Ok(r) if r.rows_affected == 0 => return,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not renew an upload's lease"),
        }
    }
}

async fn release(db: &DatabaseConnection, token: &str, writer: &str) {
    let r = upload::Entity::update_many()
        .col_expr(upload::Column::Writer, Expr::value(None::<String>))
        .col_expr(
            upload::Column::WritingUntil,
            Expr::value(None::<chrono::DateTime<Utc>>),
        )
        .filter(writer_is(token, writer))
        .exec(db)
        .await;
    if let Err(e) = r {
        tracing::warn!(error = %e, "could not give an upload's lease back");
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.keeper.abort();
        if !self.released {
            let (db, token, writer) = (
                self.db.clone(),
                std::mem::take(&mut self.token),
                std::mem::take(&mut self.writer),
            );
            tokio::spawn(async move { release(&db, &token, &writer).await });
        }
    }
}

/// How long a `HEAD` waits for a chunk that is being written to end.
const HEAD_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

/// The offset to resume from: what the row says. A chunk being written is waited for a
/// moment, so a connection that just dropped is answered with where it ended; after that the
/// committed offset is the answer (a chunk sent there meets 423 until the writer is done or its
/// lease runs out, and 409 with the new offset if the writer moved the upload on).
pub async fn status(deps: Deps<'_>, row: upload::Model) -> Result<Status, UploadError> {
    let started = std::time::Instant::now();
    let mut row = row;
    while row.writing_until.is_some_and(|t| t > Utc::now()) && started.elapsed() < HEAD_WAIT {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        row = upload::Entity::find_by_id(row.token.clone())
            .one(deps.db)
            .await?
            .ok_or(AppError::NotFound)?;
    }
    let size = u64::try_from(row.size).unwrap_or(0);
    let offset = if row.file_id.is_some() {
        size
    } else {
        u64::try_from(row.staged_bytes).unwrap_or(0)
    };
    Ok(Status {
        offset,
        size,
        file_id: row.file_id,
        expires_at: row.expires_at,
    })
}

/// Hashes bytes off the async threads: into the running hash, and into the chunk's own hash
/// when the client sent a checksum.
async fn hash(
    running: RunningHash,
    chunk: Option<Sha256>,
    bytes: Bytes,
) -> Result<(RunningHash, Option<Sha256>), UploadError> {
    tokio::task::spawn_blocking(move || {
        let (mut running, mut chunk) = (running, chunk);
        running.update(&bytes);
        if let Some(c) = chunk.as_mut() {
            c.update(&bytes);
        }
        (running, chunk)
    })
    .await
    .map_err(internal)
}

/// One chunk on its way into the store.
struct Writing<'a> {
    staging: &'a dyn SharedStaging,
    key: StoreKey,
    lease: Lease,
    staged: Staged,
    /// Bytes not yet in a part: the old tail, then this chunk's.
    buffer: BytesMut,
    /// How much of `buffer` is already in the running hash (the old tail is).
    hashed: usize,
    chunk_hash: Option<Sha256>,
    /// This chunk's bytes so far.
    received: u64,
}

impl Writing<'_> {
    async fn hash_buffer(&mut self) -> Result<(), UploadError> {
        if self.hashed == self.buffer.len() {
            return Ok(());
        }
        let fresh = Bytes::copy_from_slice(&self.buffer[self.hashed..]);
        let running = std::mem::take(&mut self.staged.hash);
        let (running, chunk) = hash(running, self.chunk_hash.take(), fresh).await?;
        self.staged.hash = running;
        self.chunk_hash = chunk;
        self.hashed = self.buffer.len();
        Ok(())
    }

    /// Sends the first `len` bytes of the buffer as the next part.
    async fn send_part(&mut self, len: usize) -> Result<(), UploadError> {
        self.hash_buffer().await?;
        let id = match self.staged.multipart.clone() {
            Some(id) => id,
            None => {
                let id = self.staging.begin(&self.key).await.map_err(internal)?;
                self.lease.keep_multipart(&id).await?;
                self.staged.multipart = Some(id.clone());
                id
            }
        };
        let part = self.buffer.split_to(len).freeze();
        self.hashed -= len;
        let index = self.staged.parts.len();
        let tag = self
            .staging
            .put_part(&self.key, &id, index, part)
            .await
            .map_err(internal)?;
        self.staged.parts.push(tag);
        Ok(())
    }
}

/// How a chunk's body ended.
enum Ended {
    Whole,
    Broken,
    PastEnd,
}

/// Appends a chunk (tus `PATCH`) to an upload staged in the store; on the last byte, the parts
/// become the object and the upload finishes.
pub async fn append(
    deps: Deps<'_>,
    staging: &dyn SharedStaging,
    viewer: Viewer,
    token: &str,
    claimed_offset: u64,
    checksum: Option<[u8; 32]>,
    body: Body,
) -> Result<Status, UploadError> {
    let lease = Lease::take(deps.db, token).await?;
    // Read again under the lease: another instance may have moved the upload on.
    let row = upload::Entity::find_by_id(token.to_owned())
        .one(deps.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let size = u64::try_from(row.size).unwrap_or(0);
    let staged = Staged::of(&row)?;
    if staged.offset != claimed_offset {
        lease.release().await;
        return Err(UploadError::OffsetMismatch {
            offset: staged.offset,
        });
    }
    let mut buffer = BytesMut::new();
    if staged.tail > 0 {
        let tail = deps
            .store
            .get(&tail_key(token, staged.offset)?)
            .await
            .map_err(internal)?;
        let mut body = tail.body;
        while let Some(bytes) = body.next().await {
            buffer.extend_from_slice(&bytes.map_err(internal)?);
        }
        if buffer.len() as u64 != staged.tail {
            return Err(internal("an upload's tail object has the wrong length"));
        }
    }
    let old_tail = staged.tail;
    let mut w = Writing {
        staging,
        key: final_key(&row)?,
        lease,
        hashed: buffer.len(),
        buffer,
        staged,
        chunk_hash: checksum.map(|_| Sha256::new()),
        received: 0,
    };
    let ended = stream_into(&mut w, body, size).await?;
    w.hash_buffer().await?;
    let chunk_ok = match (checksum, w.chunk_hash.take()) {
        (Some(want), Some(h)) => !matches!(ended, Ended::Broken) && h.finalize().as_slice() == want,
        _ => true,
    };
    if matches!(ended, Ended::PastEnd) {
        w.lease.release().await;
        return Err(UploadError::PastEnd { size });
    }
    if !chunk_ok {
        w.lease.release().await;
        return Err(UploadError::ChecksumMismatch(
            "The chunk's SHA-256 does not match Upload-Checksum; it was discarded.".into(),
        ));
    }
    let offset = w.staged.offset + w.received;
    if offset == size {
        return finish(deps, viewer, w, row).await;
    }
    // Unfinished: a full part goes up as one, the rest waits in the tail object.
    if w.buffer.len() >= MIN_PART_BYTES {
        let len = w.buffer.len();
        w.send_part(len).await?;
    }
    let tail = w.buffer.len() as u64;
    if tail > 0 {
        staging
            .put_bytes(&tail_key(token, offset)?, w.buffer.split().freeze())
            .await
            .map_err(internal)?;
    }
    let before = w.staged.offset;
    w.staged.offset = offset;
    w.staged.tail = tail;
    let Writing { lease, staged, .. } = w;
    lease.commit(&staged).await?;
    if old_tail > 0 && before != offset {
        forget_tail(deps, token, before).await;
    }
    Ok(Status {
        offset,
        size,
        file_id: None,
        expires_at: row.expires_at,
    })
}

/// Streams the body into parts; how it ended.
async fn stream_into(w: &mut Writing<'_>, body: Body, size: u64) -> Result<Ended, UploadError> {
    let mut stream = body.into_data_stream();
    while let Some(frame) = stream.next().await {
        let bytes = match frame {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::info!(error = %e, "upload body broke off");
                return Ok(Ended::Broken);
            }
        };
        if w.staged.offset + w.received + bytes.len() as u64 > size {
            return Ok(Ended::PastEnd);
        }
        w.received += bytes.len() as u64;
        w.buffer.extend_from_slice(&bytes);
        while w.buffer.len() >= PART_BYTES {
            w.send_part(PART_BYTES).await?;
        }
    }
    Ok(Ended::Whole)
}

async fn forget_tail(deps: Deps<'_>, token: &str, offset: u64) {
    if let Ok(key) = tail_key(token, offset)
        && let Err(e) = deps.store.delete(&key).await
    {
        tracing::warn!(error = %e, "could not remove an upload's tail object");
    }
}

/// The last byte is in: checks the whole file, makes the object and records it.
async fn finish(
    deps: Deps<'_>,
    viewer: Viewer,
    mut w: Writing<'_>,
    row: upload::Model,
) -> Result<Status, UploadError> {
    let digest = std::mem::take(&mut w.staged.hash).finish();
    let stored = async {
        let home = uploads::check_whole(deps, viewer, &row, digest).await?;
        place(&mut w).await?;
        uploads::record_stored(deps, viewer, &row, &home, &w.key, digest).await
    }
    .await;
    let Writing { lease, staged, .. } = w;
    match stored {
        Ok(file_id) => {
            lease.release().await;
            forget_staging(deps.store, &row, staged.multipart.as_deref()).await;
            let size = u64::try_from(row.size).unwrap_or(0);
            Ok(done(size, file_id, &row))
        }
        Err(e) => {
            forget_staging(deps.store, &row, staged.multipart.as_deref()).await;
            uploads::drop_row(deps, &row).await;
            lease.release().await;
            Err(e)
        }
    }
}

/// Makes the object from the parts and the buffer's last bytes.
async fn place(w: &mut Writing<'_>) -> Result<(), UploadError> {
    if w.staged.parts.is_empty() {
        // Never a whole part: one plain write (a multipart upload begun by a chunk that did
        // not commit goes with the staging).
        let bytes = w.buffer.split().freeze();
        return w.staging.put_bytes(&w.key, bytes).await.map_err(internal);
    }
    if !w.buffer.is_empty() {
        let len = w.buffer.len();
        w.send_part(len).await?;
    }
    let id = w
        .staged
        .multipart
        .clone()
        .ok_or_else(|| internal("an upload has parts but no multipart upload"))?;
    w.staging
        .complete(&w.key, &id, std::mem::take(&mut w.staged.parts))
        .await
        .map_err(internal)
}

fn done(size: u64, file_id: FileId, row: &upload::Model) -> Status {
    Status {
        offset: size,
        size,
        file_id: Some(file_id),
        expires_at: row.expires_at,
    }
}

/// Removes what an upload staged in the store: its multipart upload (if `multipart` is given)
/// and its tail objects.
pub async fn forget_staging(store: &dyn FileStore, row: &upload::Model, multipart: Option<&str>) {
    if let (Some(staging), Some(id)) = (store.shared_staging(), multipart)
        && let Ok(key) = final_key(row)
        && let Err(e) = staging.abort(&key, id).await
    {
        tracing::warn!(error = %e, "could not abort an upload's multipart upload");
    }
    let Ok(prefix) = StoreKey::parse(&format!("staging/{}", row.token)) else {
        return;
    };
    match store.list(&prefix).await {
        Ok(keys) => {
            for key in keys {
                if let Ok(key) = StoreKey::parse(&key)
                    && let Err(e) = store.delete(&key).await
                {
                    tracing::warn!(error = %e, "could not remove an upload's tail object");
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not list an upload's staging objects"),
    }
}

/// The client gives up (tus `DELETE`): refused while a chunk is being written.
pub async fn cancel(deps: Deps<'_>, row: &upload::Model) -> Result<(), AppError> {
    let lease = Lease::take(deps.db, &row.token)
        .await
        .map_err(|_| AppError::Conflict("The upload is being written; try again.".into()))?;
    let fresh = upload::Entity::find_by_id(row.token.clone())
        .one(deps.db)
        .await?
        .ok_or(AppError::NotFound)?;
    forget_staging(deps.store, &fresh, fresh.multipart_id.as_deref()).await;
    uploads::drop_row(deps, &fresh).await;
    lease.release().await;
    Ok(())
}
