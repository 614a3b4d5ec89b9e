//! Zoho WorkDrive as the file store (`files.store = "workdrive"`), through the Zoho connection
//! of the admin CRM page.
//!
//! A store key's folders become WorkDrive folders under the configured parent (a team folder):
//! `deals/17/…` is the folder `17` in the folder `deals`. WorkDrive names everything by ids of its
//! own, so each key is noted with its id (`workdrive_items`). A file goes up in one of three ways
//! by its size, each read from the staged file as a stream, never held in memory:
//! up to `direct_max_bytes` one `POST /upload`; from `chunked_from_bytes` an upload session's
//! chunks (WorkDrive opens sessions for files over 1 GB); between, whole to the upload server in
//! stream mode. Every upload replaces a file of the same name, so a retried upload (after a crash
//! between WorkDrive's answer and our note of it) leaves one file, not two.
//!
//! Files go up as jobs, not inside the request that finished them: `put_staged` moves the file
//! into this data directory's WorkDrive outbox and notes a push (`workdrive_pushes`) with its
//! `WorkDrivePush` job in one transaction, so the upload is answered at once and a restart loses
//! nothing. Until the push is done the file is read from the outbox; the job, pinned to this data
//! directory (the copy is on its disk), stores it in WorkDrive, notes its id, drops the copy and
//! writes a line of the sync log. A refusal (a full store, a file too large) dead-letters the
//! push with its reason on the failed-jobs page and in the sync log; the file stays readable from
//! its copy until a retry gets it through.

use crate::model::crm::SyncOutcome;
use crate::model::ids::WorkDrivePushId;
use crate::server::crm::sync_log::{self, About, Step};
use crate::server::crm::zoho::api::{Endpoint, ZohoApi, ZohoError};
use crate::server::crm::zoho::records::id_text;
use crate::server::deals::service as deals;
use crate::server::jobs::{self, DataDirId, Job, JobError, JobHandler};
use crate::server::platform::config::WorkDriveSettings;
use crate::server::platform::db::begin_write;
use crate::server::platform::entities::{workdrive_item, workdrive_push};
use crate::server::storage::{FileStore, StoreError, StoreKey, StoredObject};
use chrono::Utc;
use futures::{StreamExt, TryStreamExt};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use serde_json::{Value, json};
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

/// WorkDrive's data APIs speak JSON:API.
const JSON_API: &str = "application/vnd.api+json";
/// The most folders asked for per page when looking for one by name (WorkDrive's page limit).
const PAGE: usize = 200;
/// WorkDrive's trash status: a deleted file can still be restored there for a while.
const TRASHED: &str = "51";
/// How often a chunk is sent again after WorkDrive said it came out of order (a chunk that
/// arrived although its answer was lost) before the upload gives up.
const CHUNK_RESYNCS: u32 = 3;

/// An outbox file with no push row is left from a crash (between moving it in and noting it,
/// or after the push before removing it); the sweep removes it once it is this old.
const ORPHAN_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);

pub struct WorkDriveStore {
    db: DatabaseConnection,
    api: Arc<ZohoApi>,
    settings: WorkDriveSettings,
    /// Where finished files wait for their push, on this data directory's disk.
    outbox: PathBuf,
    /// The data directory whose runner pushes them.
    here: DataDirId,
}

/// What a WorkDrive failure means for the file store's callers: a full store or a file too
/// large is said in words the uploader can act on; a missing or broken connection is worth
/// trying later.
fn store_error(e: ZohoError) -> StoreError {
    match e {
        ZohoError::Refused { status: 507, .. } => StoreError::Refused(
            "WorkDrive's storage is full: free space in WorkDrive (or raise its plan), then upload the file again."
                .into(),
        ),
        ZohoError::Refused { status: 413, .. } => StoreError::Refused(
            "WorkDrive refused the file as larger than it takes in one upload.".into(),
        ),
        ZohoError::Refused { code, .. } if code == "R501" => StoreError::NotFound,
        e @ (ZohoError::NotConnected | ZohoError::ReconnectNeeded(_)) => {
            StoreError::Waiting(format!("WorkDrive: {e}"))
        }
        e @ ZohoError::Unavailable(_) => StoreError::Unavailable(format!("WorkDrive: {e}")),
        other => StoreError::Remote(other.to_string()),
    }
}

fn db_error(e: sea_orm::DbErr) -> StoreError {
    StoreError::Remote(format!("database: {e}"))
}

/// A text field of a JSON answer (ids may come as numbers).
fn text(v: &Value, pointer: &str) -> Option<String> {
    id_text(v.pointer(pointer))
}

/// The bytes `offset .. offset + len` of a file, as a request body that opens the file when it
/// is first read (so each attempt of a call reads it afresh).
fn file_body(path: PathBuf, offset: u64, len: u64) -> reqwest::Body {
    let stream = futures::stream::once(async move {
        let mut file = tokio::fs::File::open(&path).await?;
        file.seek(SeekFrom::Start(offset)).await?;
        Ok::<_, std::io::Error>(ReaderStream::with_capacity(file.take(len), 256 << 10))
    })
    .try_flatten();
    reqwest::Body::wrap_stream(stream)
}

/// The folder of a key and its last segment (`deals/17/a.pdf` → `deals/17`, `a.pdf`).
fn split(key: &StoreKey) -> Result<(Option<StoreKey>, &str), StoreError> {
    match key.as_str().rsplit_once('/') {
        Some((folder, name)) => Ok((Some(StoreKey::parse(folder)?), name)),
        None => Ok((None, key.as_str())),
    }
}

impl WorkDriveStore {
    /// A store keeping files on their way to WorkDrive in `outbox`, which is on the disk of the
    /// data directory `here`.
    pub fn new(
        db: DatabaseConnection,
        api: Arc<ZohoApi>,
        settings: WorkDriveSettings,
        outbox: PathBuf,
        here: DataDirId,
    ) -> WorkDriveStore {
        WorkDriveStore {
            db,
            api,
            settings,
            outbox,
            here,
        }
    }

    async fn noted(&self, key: &str) -> Result<Option<workdrive_item::Model>, StoreError> {
        workdrive_item::Entity::find_by_id(key.to_owned())
            .one(&self.db)
            .await
            .map_err(db_error)
    }

    async fn note(
        &self,
        db: &impl ConnectionTrait,
        key: &str,
        resource_id: &str,
        is_folder: bool,
        size: u64,
    ) -> Result<(), StoreError> {
        workdrive_item::Entity::insert(workdrive_item::ActiveModel {
            store_key: Set(key.to_owned()),
            resource_id: Set(resource_id.to_owned()),
            is_folder: Set(is_folder),
            size: Set(i64::try_from(size).unwrap_or(i64::MAX)),
            updated_at: Set(Utc::now()),
        })
        .on_conflict(
            OnConflict::column(workdrive_item::Column::StoreKey)
                .update_columns([
                    workdrive_item::Column::ResourceId,
                    workdrive_item::Column::IsFolder,
                    workdrive_item::Column::Size,
                    workdrive_item::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(db)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    /// Forgets the folders noted at and under `folder` (WorkDrive no longer has them).
    async fn forget_folder(&self, folder: &StoreKey) -> Result<(), StoreError> {
        workdrive_item::Entity::delete_many()
            .filter(
                Condition::any()
                    .add(workdrive_item::Column::StoreKey.eq(folder.as_str()))
                    .add(
                        workdrive_item::Column::StoreKey
                            .starts_with(format!("{}/", folder.as_str())),
                    ),
            )
            .filter(workdrive_item::Column::IsFolder.eq(true))
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// WorkDrive's id of the folder at `folder` (the configured parent for none), made with its
    /// parents where missing.
    async fn folder_id(&self, folder: Option<&StoreKey>) -> Result<String, StoreError> {
        let mut parent = self.settings.parent_id.trim().to_owned();
        let Some(folder) = folder else {
            return Ok(parent);
        };
        let mut path = String::new();
        for segment in folder.segments() {
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(segment);
            parent = match self.noted(&path).await? {
                Some(row) if row.is_folder => row.resource_id,
                _ => {
                    let id = self.make_folder(&parent, segment).await?;
                    self.note(&self.db, &path, &id, true, 0).await?;
                    id
                }
            };
        }
        Ok(parent)
    }

    /// Makes the folder `name` in `parent`; one that is there already (made by another instance,
    /// or before a crash) is found instead.
    async fn make_folder(&self, parent: &str, name: &str) -> Result<String, StoreError> {
        let body =
            json!({"data": {"attributes": {"name": name, "parent_id": parent}, "type": "files"}});
        let made = self
            .data_call(reqwest::Method::POST, "/files", &[], Some(&body))
            .await;
        match made {
            Ok(answer) => text(&answer, "/data/id")
                .ok_or_else(|| StoreError::Remote("WorkDrive made a folder without an id".into())),
            Err(ZohoError::Refused { code, .. }) if code == "R504" => self
                .find_folder(parent, name)
                .await?
                .ok_or_else(|| {
                    StoreError::Remote(format!(
                        "WorkDrive says `{name}` exists in {parent} but does not list it as a folder"
                    ))
                }),
            Err(e) => Err(store_error(e)),
        }
    }

    /// The id of the folder `name` in `parent` (WorkDrive's names are case-insensitive).
    async fn find_folder(&self, parent: &str, name: &str) -> Result<Option<String>, StoreError> {
        let mut offset = 0usize;
        loop {
            let (limit, from) = (PAGE.to_string(), offset.to_string());
            let page = self
                .data_call(
                    reqwest::Method::GET,
                    &format!("/files/{parent}/folders"),
                    &[("page[limit]", &limit), ("page[offset]", &from)],
                    None,
                )
                .await
                .map_err(store_error)?;
            let items = page
                .get("data")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if let Some(found) = items
                .iter()
                .find(|f| text(f, "/attributes/name").is_some_and(|n| n.eq_ignore_ascii_case(name)))
            {
                return Ok(text(found, "/id"));
            }
            let more = page
                .pointer("/links/cursor/has_next")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if !more || items.is_empty() {
                return Ok(None);
            }
            offset += items.len();
        }
    }

    /// One `POST /upload` of the whole file, as multipart; WorkDrive's id of the file.
    async fn upload_direct(
        &self,
        parent: &str,
        name: &str,
        staged: &Path,
        size: u64,
    ) -> Result<String, ZohoError> {
        let answer = self
            .api
            .transfer(|http, at: &Endpoint<'_>| {
                let form = reqwest::multipart::Form::new()
                    // Key segments are letters, digits, `.`, `_` and `-`: URL-encoded as they are.
                    .text("filename", name.to_owned())
                    .text("parent_id", parent.to_owned())
                    .text("override-name-exist", "true")
                    .part(
                        "content",
                        reqwest::multipart::Part::stream_with_length(
                            file_body(staged.to_owned(), 0, size),
                            size,
                        )
                        .file_name(name.to_owned()),
                    );
                http.post(format!("{}/workdrive/api/v1/upload", at.api))
                    .header(reqwest::header::ACCEPT, JSON_API)
                    .multipart(form)
            })
            .await?;
        uploaded_id(answer).await
    }

    /// The whole file to the upload server in stream mode; WorkDrive's id of the file.
    async fn upload_streamed(
        &self,
        parent: &str,
        name: &str,
        staged: &Path,
        size: u64,
    ) -> Result<String, ZohoError> {
        let upload_id = uuid::Uuid::new_v4().simple().to_string();
        let answer = self
            .api
            .transfer(|http, at: &Endpoint<'_>| {
                http.post(format!("{}/workdrive-api/v1/stream/upload", at.upload))
                    .header("x-filename", name)
                    .header("x-parent_id", parent)
                    .header("upload-id", &upload_id)
                    .header("x-streammode", "1")
                    .header("x-override-name-exist", "true")
                    .header(reqwest::header::CONTENT_LENGTH, size)
                    .body(file_body(staged.to_owned(), 0, size))
            })
            .await?;
        uploaded_id(answer).await
    }

    /// The file in the chunks of an upload session, then the session committed; WorkDrive's id
    /// of the file.
    async fn upload_chunked(
        &self,
        parent: &str,
        name: &str,
        staged: &Path,
        size: u64,
    ) -> Result<String, ZohoError> {
        let size_text = size.to_string();
        let session = self
            .data_call(
                reqwest::Method::POST,
                "/uploadsession/create",
                &[
                    ("parent_id", parent),
                    ("file_name", name),
                    ("size", size_text.as_str()),
                    ("name_conflict", "update"),
                ],
                None,
            )
            .await?;
        let upload_id = text(&session, "/data/attributes/upload_id")
            .or_else(|| text(&session, "/data/id"))
            .ok_or_else(|| unexpected(&session))?;
        let chunk = session
            .pointer("/data/attributes/chunk_size")
            .and_then(Value::as_u64)
            .filter(|c| *c > 0)
            .ok_or_else(|| unexpected(&session))?;
        let mut offset = 0u64;
        let mut resyncs = 0u32;
        while offset < size {
            let len = chunk.min(size - offset);
            let range = format!("bytes {}-{}/{size}", offset, offset + len - 1);
            let sent = self
                .api
                .transfer(|http, at: &Endpoint<'_>| {
                    http.post(format!("{}/workdrive-api/v1/stream/upload", at.upload))
                        .header("upload-id", &upload_id)
                        .header(reqwest::header::CONTENT_RANGE, &range)
                        .header(reqwest::header::CONTENT_LENGTH, len)
                        .body(file_body(staged.to_owned(), offset, len))
                })
                .await;
            let progress = match sent {
                Ok(answer) => answer.json().await.unwrap_or(Value::Null),
                // Out of order: a chunk may have arrived although its answer did not. Ask
                // WorkDrive how far the session is and go on from there.
                Err(ZohoError::Refused { code, .. })
                    if code == "D9233" && resyncs < CHUNK_RESYNCS =>
                {
                    resyncs += 1;
                    self.data_call(
                        reqwest::Method::GET,
                        "/uploadsession",
                        &[("upload_id", &upload_id)],
                        None,
                    )
                    .await?
                }
                Err(e) => return Err(e),
            };
            let received = progress
                .pointer("/data/attributes/bytes_received")
                .and_then(Value::as_u64)
                .ok_or_else(|| unexpected(&progress))?;
            if received > size {
                return Err(unexpected(&progress));
            }
            offset = received;
            tracing::debug!(offset, size, "WorkDrive chunk stored");
        }
        let committed = self
            .data_call(
                reqwest::Method::POST,
                "/uploadsession/commit",
                &[("upload_id", &upload_id)],
                None,
            )
            .await?;
        text(&committed, "/data/attributes/resource_id")
            .or_else(|| text(&committed, "/data/id"))
            .ok_or_else(|| unexpected(&committed))
    }

    /// A call to WorkDrive's data API (`/workdrive/api/v1{path}`), speaking JSON:API, with a
    /// JSON:API body if given; its answer.
    async fn data_call(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Value, ZohoError> {
        let answer = self
            .api
            .call(|http, at: &Endpoint<'_>| {
                let request = http
                    .request(method.clone(), format!("{}/workdrive/api/v1{path}", at.api))
                    .query(query)
                    .header(reqwest::header::ACCEPT, JSON_API);
                match body {
                    Some(body) => request
                        .header(reqwest::header::CONTENT_TYPE, JSON_API)
                        .body(body.to_string()),
                    None => request,
                }
            })
            .await?;
        Ok(answer.body)
    }

    async fn upload(
        &self,
        parent: &str,
        name: &str,
        staged: &Path,
        size: u64,
    ) -> Result<String, ZohoError> {
        if size <= self.settings.direct_max_bytes {
            self.upload_direct(parent, name, staged, size).await
        } else if size >= self.settings.chunked_from_bytes {
            self.upload_chunked(parent, name, staged, size).await
        } else {
            self.upload_streamed(parent, name, staged, size).await
        }
    }
}

/// The file's id in an upload's answer (an array, as WorkDrive answers uploads).
async fn uploaded_id(answer: reqwest::Response) -> Result<String, ZohoError> {
    let body: Value = answer.json().await.unwrap_or(Value::Null);
    text(&body, "/data/0/attributes/resource_id").ok_or_else(|| unexpected(&body))
}

/// An answer without what WorkDrive documents in it.
fn unexpected(body: &Value) -> ZohoError {
    ZohoError::Unavailable(format!(
        "WorkDrive answered without what was expected: {}",
        body.to_string().chars().take(300).collect::<String>()
    ))
}

impl WorkDriveStore {
    /// Stores the file at `local` in WorkDrive under `key`, making its folders where missing (and
    /// again, once, when the folder noted for it was deleted in WorkDrive); WorkDrive's id of it.
    async fn send(&self, key: &StoreKey, local: &Path, size: u64) -> Result<String, StoreError> {
        let (folder, name) = split(key)?;
        let mut parent = self.folder_id(folder.as_ref()).await?;
        match self.upload(&parent, name, local, size).await {
            Err(ZohoError::Refused { code, .. }) if code == "R503" || code == "D9214" => {
                if let Some(folder) = &folder {
                    tracing::warn!(
                        folder = folder.as_str(),
                        "the WorkDrive folder is gone; making it again"
                    );
                    self.forget_folder(folder).await?;
                }
                parent = self.folder_id(folder.as_ref()).await?;
                self.upload(&parent, name, local, size).await
            }
            other => other,
        }
        .map_err(store_error)
    }

    /// The push waiting for `key`, if any.
    async fn pending(&self, key: &str) -> Result<Option<workdrive_push::Model>, StoreError> {
        workdrive_push::Entity::find()
            .filter(workdrive_push::Column::StoreKey.eq(key))
            .one(&self.db)
            .await
            .map_err(db_error)
    }

    /// Notes the push of the outbox file `local_name` to `key` with its job, in one transaction.
    /// A push still waiting for the same key is replaced (its copy is returned for removal).
    async fn queue_push(
        &self,
        key: &StoreKey,
        local_name: &str,
        size: u64,
    ) -> Result<Option<String>, sea_orm::DbErr> {
        let txn = begin_write(&self.db).await?;
        let size = i64::try_from(size).unwrap_or(i64::MAX);
        let earlier = workdrive_push::Entity::find()
            .filter(workdrive_push::Column::StoreKey.eq(key.as_str()))
            .one(&txn)
            .await?;
        let (push_id, replaced) = match earlier {
            Some(row) => {
                let replaced = row.local_name.clone();
                let mut row: workdrive_push::ActiveModel = row.into();
                row.local_name = Set(local_name.to_owned());
                row.size = Set(size);
                row.created_at = Set(Utc::now());
                let row = row.update(&txn).await?;
                (row.id, Some(replaced))
            }
            None => {
                let row = workdrive_push::ActiveModel {
                    store_key: Set(key.as_str().to_owned()),
                    local_name: Set(local_name.to_owned()),
                    size: Set(size),
                    created_at: Set(Utc::now()),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
                (row.id, None)
            }
        };
        jobs::enqueue_on(&txn, Job::WorkDrivePush { push_id }, &self.here).await?;
        txn.commit().await?;
        Ok(replaced)
    }

    /// The `WorkDrivePush` job: stores the push's file in WorkDrive, notes its id and forgets
    /// the push in one transaction, then drops the local copy.
    #[tracing::instrument(skip(self, db), fields(push = %push_id))]
    async fn push(
        &self,
        db: &DatabaseConnection,
        push_id: WorkDrivePushId,
    ) -> Result<Option<(StoreKey, String)>, StoreError> {
        let Some(row) = workdrive_push::Entity::find_by_id(push_id)
            .one(db)
            .await
            .map_err(db_error)?
        else {
            return Ok(None); // Pushed already, or the file was deleted before it went.
        };
        let key = StoreKey::parse(&row.store_key)?;
        let local = self.outbox.join(&row.local_name);
        let size = match tokio::fs::metadata(&local).await {
            Ok(meta) => meta.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::Refused(format!(
                    "the copy of {} waiting for WorkDrive is gone from {}: upload the file again",
                    key.as_str(),
                    local.display()
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let id = self.send(&key, &local, size).await?;
        let txn = db.begin().await.map_err(db_error)?;
        // Only the copy this attempt sent: a file put again under the key meanwhile has a push
        // of its own coming.
        let forgotten = workdrive_push::Entity::delete_many()
            .filter(workdrive_push::Column::Id.eq(push_id))
            .filter(workdrive_push::Column::LocalName.eq(row.local_name.as_str()))
            .exec(&txn)
            .await
            .map_err(db_error)?;
        if forgotten.rows_affected == 1 {
            self.note(&txn, key.as_str(), &id, false, size).await?;
        }
        txn.commit().await.map_err(db_error)?;
        if forgotten.rows_affected == 1 {
            remove_quietly(&local).await;
            tracing::info!(key = key.as_str(), resource_id = %id, size, "file stored in WorkDrive");
            return Ok(Some((key, id)));
        }
        let deleted = workdrive_push::Entity::find_by_id(push_id)
            .one(db)
            .await
            .map_err(db_error)?
            .is_none();
        if deleted {
            // The file was deleted while it travelled: it goes to WorkDrive's trash too.
            self.trash(&id).await?;
        }
        Ok(None)
    }

    async fn trash(&self, resource_id: &str) -> Result<(), StoreError> {
        let body = json!({"data": {"attributes": {"status": TRASHED}, "type": "files"}});
        let path = format!("/files/{resource_id}");
        match self
            .data_call(reqwest::Method::PATCH, &path, &[], Some(&body))
            .await
            .map_err(store_error)
        {
            Ok(_) | Err(StoreError::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Removes outbox files no push names any more (left by a crash) once they are
    /// `ORPHAN_AFTER` old; how many went.
    pub async fn sweep_outbox(&self) -> Result<usize, StoreError> {
        let mut dir = match tokio::fs::read_dir(&self.outbox).await {
            Ok(dir) => dir,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e.into()),
        };
        let mut removed = 0;
        while let Some(entry) = dir.next_entry().await? {
            let old = entry
                .metadata()
                .await?
                .modified()?
                .elapsed()
                .is_ok_and(|age| age > ORPHAN_AFTER);
            let name = entry.file_name().to_string_lossy().into_owned();
            if !old {
                continue;
            }
            let named = workdrive_push::Entity::find()
                .filter(workdrive_push::Column::LocalName.eq(name.as_str()))
                .one(&self.db)
                .await
                .map_err(db_error)?
                .is_some();
            if !named {
                remove_quietly(&entry.path()).await;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

async fn remove_quietly(path: &Path) {
    if let Err(e) = tokio::fs::remove_file(path).await
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(path = %path.display(), error = %e, "could not remove a WorkDrive outbox file");
    }
}

/// Moves `from` to `to`: a rename on one file system, else a copy and a removal.
async fn move_file(from: &Path, to: &Path) -> std::io::Result<()> {
    if tokio::fs::rename(from, to).await.is_ok() {
        return Ok(());
    }
    tokio::fs::copy(from, to).await?;
    tokio::fs::remove_file(from).await
}

/// What a failed push means for its job: waiting for a reconnect costs no attempts, an outage
/// is tried again, a refusal is told on the failed-jobs page at once.
fn push_error(e: StoreError) -> JobError {
    match e {
        StoreError::Waiting(m) => JobError::Wait(m),
        StoreError::Unavailable(m) | StoreError::Remote(m) => JobError::Retry(m),
        StoreError::Io(e) => JobError::Retry(format!("WorkDrive outbox: {e}")),
        StoreError::Refused(m) => JobError::Permanent(m),
        e @ (StoreError::NotFound | StoreError::BadKey(_)) => JobError::Permanent(e.to_string()),
    }
}

#[async_trait::async_trait]
impl JobHandler for WorkDriveStore {
    async fn run(&self, db: &DatabaseConnection, job: Job) -> Result<(), JobError> {
        let Job::WorkDrivePush { push_id } = job else {
            return Err(JobError::Permanent(format!("not a WorkDrive job: {job:?}")));
        };
        let key = workdrive_push::Entity::find_by_id(push_id)
            .one(db)
            .await?
            .map(|row| row.store_key);
        let pushed = self.push(db, push_id).await;
        // The sync log tells it beside the deal's chat and on the CRM page.
        let folder = key
            .as_deref()
            .and_then(|k| k.rsplit_once('/'))
            .map(|(f, _)| f);
        let deal_id = match folder {
            Some(folder) => deals::with_folder(db, folder).await?,
            None => None,
        };
        let about = About {
            deal_id,
            conversation_id: None,
        };
        let (steps, failure) = match &pushed {
            Ok(Some((key, id))) => (
                vec![Step {
                    action: "Stored the file".into(),
                    detail: Some(key.as_str().to_owned()),
                    module: "WorkDrive",
                    remote_id: id.clone(),
                }],
                None,
            ),
            Ok(None) => (Vec::new(), None),
            Err(StoreError::Waiting(m)) => (Vec::new(), Some((SyncOutcome::Waiting, m.clone()))),
            Err(e) => (Vec::new(), Some((SyncOutcome::Failed, e.to_string()))),
        };
        if key.is_some() {
            sync_log::record(db, "workdrive", job, about, &steps, failure).await?;
        }
        pushed.map(|_| ()).map_err(push_error)
    }
}

#[async_trait::async_trait]
impl FileStore for WorkDriveStore {
    fn provider(&self) -> &'static str {
        "workdrive"
    }

    #[tracing::instrument(skip(self), fields(folder = folder.as_str()))]
    async fn create_folder(&self, folder: &StoreKey) -> Result<(), StoreError> {
        self.folder_id(Some(folder)).await.map(|_| ())
    }

    /// Keeps the file in the outbox and queues its push; the upload is answered at once.
    #[tracing::instrument(skip(self, staged), fields(key = key.as_str()))]
    async fn put_staged(&self, key: &StoreKey, staged: &Path) -> Result<(), StoreError> {
        let size = tokio::fs::metadata(staged).await?.len();
        tokio::fs::create_dir_all(&self.outbox).await?;
        let local_name = uuid::Uuid::new_v4().simple().to_string();
        let local = self.outbox.join(&local_name);
        move_file(staged, &local).await?;
        match self.queue_push(key, &local_name, size).await {
            Ok(replaced) => {
                if let Some(replaced) = replaced {
                    remove_quietly(&self.outbox.join(replaced)).await;
                }
                tracing::info!(size, "file queued for WorkDrive");
                Ok(())
            }
            Err(e) => {
                remove_quietly(&local).await;
                Err(db_error(e))
            }
        }
    }

    async fn get(&self, key: &StoreKey) -> Result<StoredObject, StoreError> {
        let pending = self.pending(key.as_str()).await?;
        if let Some(push) = &pending {
            match tokio::fs::File::open(self.outbox.join(&push.local_name)).await {
                Ok(file) => {
                    return Ok(StoredObject {
                        size: file.metadata().await?.len(),
                        body: ReaderStream::with_capacity(file, 256 << 10).boxed(),
                    });
                }
                // Pushed a moment ago, or kept on another instance's disk: WorkDrive may have it.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        let row = match self.noted(key.as_str()).await? {
            Some(row) if !row.is_folder => row,
            _ if pending.is_some() => {
                return Err(StoreError::Unavailable(
                    "The file is still on its way to WorkDrive from another server; try again in a minute."
                        .into(),
                ));
            }
            _ => return Err(StoreError::NotFound),
        };
        let id = row.resource_id;
        let response = self
            .api
            .transfer(|http, at: &Endpoint<'_>| {
                http.get(format!("{}/v1/workdrive/download/{id}", at.download))
            })
            .await
            .map_err(store_error)?;
        let size = response
            .content_length()
            .unwrap_or(u64::try_from(row.size).unwrap_or(0));
        Ok(StoredObject {
            size,
            body: response
                .bytes_stream()
                .map_err(std::io::Error::other)
                .boxed(),
        })
    }

    async fn delete(&self, key: &StoreKey) -> Result<(), StoreError> {
        if let Some(push) = self.pending(key.as_str()).await? {
            workdrive_push::Entity::delete_by_id(push.id)
                .exec(&self.db)
                .await
                .map_err(db_error)?;
            remove_quietly(&self.outbox.join(&push.local_name)).await;
        }
        let Some(row) = self.noted(key.as_str()).await? else {
            return Ok(());
        };
        self.trash(&row.resource_id).await?;
        workdrive_item::Entity::delete_by_id(key.as_str().to_owned())
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn list(&self, prefix: &StoreKey) -> Result<Vec<String>, StoreError> {
        let under = format!("{}/", prefix.as_str());
        let rows = workdrive_item::Entity::find()
            .filter(workdrive_item::Column::StoreKey.starts_with(&under))
            .filter(workdrive_item::Column::IsFolder.eq(false))
            .order_by_asc(workdrive_item::Column::StoreKey)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        let pending = workdrive_push::Entity::find()
            .filter(workdrive_push::Column::StoreKey.starts_with(&under))
            .all(&self.db)
            .await
            .map_err(db_error)?;
        let mut keys: Vec<String> = rows
            .into_iter()
            .map(|r| r.store_key)
            .chain(pending.into_iter().map(|p| p.store_key))
            // `starts_with` is a LIKE, where `_` matches any character.
            .filter(|k| k.starts_with(&under))
            .collect();
        keys.sort();
        keys.dedup();
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_splits_into_its_folder_and_name() {
        let key = StoreKey::parse("deals/17/ab-report.pdf").unwrap_or_else(|e| panic!("{e}"));
        let (folder, name) = split(&key).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            folder.map(|f| f.as_str().to_owned()).as_deref(),
            Some("deals/17")
        );
        assert_eq!(name, "ab-report.pdf");
        let top = StoreKey::parse("top.pdf").unwrap_or_else(|e| panic!("{e}"));
        let (folder, name) = split(&top).unwrap_or_else(|e| panic!("{e}"));
        assert!(folder.is_none());
        assert_eq!(name, "top.pdf");
    }

    #[test]
    fn a_full_store_and_a_file_too_large_are_told_in_words() {
        let refused = |status, code: &str| ZohoError::Refused {
            status,
            code: code.into(),
            message: String::new(),
            body: Value::Null,
        };
        assert!(matches!(
            store_error(refused(507, "F000")),
            StoreError::Refused(m) if m.contains("storage is full")
        ));
        assert!(matches!(
            store_error(refused(413, "F000")),
            StoreError::Refused(m) if m.contains("larger")
        ));
        assert!(matches!(
            store_error(refused(404, "R501")),
            StoreError::NotFound
        ));
        assert!(matches!(
            store_error(ZohoError::ReconnectNeeded("revoked".into())),
            StoreError::Waiting(_)
        ));
        assert!(matches!(
            store_error(ZohoError::Unavailable("timed out".into())),
            StoreError::Unavailable(_)
        ));
    }

    #[test]
    fn a_push_waits_for_a_reconnect_retries_an_outage_and_gives_up_on_a_refusal() {
        assert!(matches!(
            push_error(StoreError::Waiting("not connected".into())),
            JobError::Wait(_)
        ));
        assert!(matches!(
            push_error(StoreError::Unavailable("timed out".into())),
            JobError::Retry(_)
        ));
        assert!(matches!(
            push_error(StoreError::Remote("HTTP 500".into())),
            JobError::Retry(_)
        ));
        assert!(matches!(
            push_error(StoreError::Refused("WorkDrive's storage is full".into())),
            JobError::Permanent(m) if m.contains("storage is full")
        ));
        assert!(matches!(
            push_error(StoreError::NotFound),
            JobError::Permanent(_)
        ));
    }
}
