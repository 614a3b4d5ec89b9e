//! File transfer over plain HTTP, outside the server-function layer and its body limit:
//! resumable uploads at `/files/uploads` (tus 1.0: creation, termination, checksum) and
//! downloads at `/files/{id}`, always as attachments.

use crate::model::AppError;
use crate::model::ids::FileId;
use crate::server::access::Viewer;
use crate::server::accounts::auth::SignedIn;
use crate::server::files::uploads::UploadArea;
use crate::server::files::uploads::{self, Announce, Status, UploadError};
use crate::server::files::{deal_files, rules as file_rules};
use crate::server::platform::config::Settings;
use crate::server::platform::rate_limit::AbuseLimits;
use crate::server::realtime::Hub;
use crate::server::storage::{FileStore, StoreError};
use axum::body::Body;
use axum::extract::FromRef;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::sync::Arc;

pub const UPLOADS_PATH: &str = "/files/uploads";
const TUS_VERSION: &str = "1.0.0";
const OFFSET_STREAM: &str = "application/offset+octet-stream";

const TUS_RESUMABLE: HeaderName = HeaderName::from_static("tus-resumable");
const UPLOAD_OFFSET: HeaderName = HeaderName::from_static("upload-offset");
const UPLOAD_LENGTH: HeaderName = HeaderName::from_static("upload-length");
const UPLOAD_METADATA: HeaderName = HeaderName::from_static("upload-metadata");
const UPLOAD_CHECKSUM: HeaderName = HeaderName::from_static("upload-checksum");
const UPLOAD_EXPIRES: HeaderName = HeaderName::from_static("upload-expires");
/// The stored file's id, on the answer that completed an upload (and on later HEADs).
const FILE_ID: HeaderName = HeaderName::from_static("dealchat-file-id");

/// What the upload and download handlers need of the application.
#[derive(Clone)]
pub struct FilesState {
    pub db: DatabaseConnection,
    pub hub: Arc<Hub>,
    pub store: Arc<dyn FileStore>,
    pub area: Arc<UploadArea>,
    pub settings: Arc<Settings>,
    pub limits: Arc<AbuseLimits>,
}

impl FilesState {
    fn upload_deps(&self) -> uploads::Deps<'_> {
        uploads::Deps {
            db: &self.db,
            hub: &self.hub,
            store: self.store.as_ref(),
            area: &self.area,
            files: &self.settings.files,
            chat: &self.settings.chat,
        }
    }
}

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    FilesState: FromRef<S>,
{
    Router::new()
        .route(UPLOADS_PATH, post(create).options(options))
        .route(
            "/files/uploads/{token}",
            axum::routing::head(head).patch(patch).delete(cancel),
        )
        .route("/files/{id}", get(download))
}

/// The caller; anonymous ones are answered in tus's way (with its version header).
type Me = Result<SignedIn, AppError>;

fn viewer(me: Me) -> Result<Viewer, AppError> {
    me.map(|SignedIn(me)| Viewer::of(&me.user))
}

/// Every tus answer names the protocol version.
fn tus(mut res: Response) -> Response {
    res.headers_mut()
        .insert(TUS_RESUMABLE, HeaderValue::from_static(TUS_VERSION));
    res
}

fn fail(err: UploadError) -> Response {
    let res = match err {
        UploadError::App(e) => e.into_response(),
        UploadError::OffsetMismatch { offset } => (
            StatusCode::CONFLICT,
            [(UPLOAD_OFFSET, offset.to_string())],
            Json(AppError::Conflict(format!(
                "The upload stands at byte {offset}; resume from there."
            ))),
        )
            .into_response(),
        UploadError::ChecksumMismatch(message) => (
            // tus: 460 Checksum Mismatch.
            StatusCode::from_u16(460).unwrap_or(StatusCode::BAD_REQUEST),
            Json(AppError::invalid("checksum", message)),
        )
            .into_response(),
        UploadError::Busy => (
            StatusCode::LOCKED,
            Json(AppError::Conflict(
                "Another request is writing this upload; try again in a moment.".into(),
            )),
        )
            .into_response(),
        UploadError::UnsupportedVersion => (
            StatusCode::PRECONDITION_FAILED,
            [(HeaderName::from_static("tus-version"), TUS_VERSION)],
            Json(AppError::invalid(
                "tus-resumable",
                format!("Only tus {TUS_VERSION} is supported."),
            )),
        )
            .into_response(),
        UploadError::WrongContentType => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Json(AppError::invalid(
                "content-type",
                format!("Send chunks as {OFFSET_STREAM}."),
            )),
        )
            .into_response(),
        UploadError::PastEnd { size } => (
            StatusCode::PAYLOAD_TOO_LARGE,
            Json(AppError::invalid(
                "size",
                format!("The upload is {size} bytes long; this chunk went past its end."),
            )),
        )
            .into_response(),
    };
    tus(res)
}

fn header_str<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// tus: a request in a version we do not speak (or in none) is answered 412 with ours.
fn require_tus(headers: &HeaderMap) -> Result<(), UploadError> {
    match header_str(headers, &TUS_RESUMABLE) {
        Some(TUS_VERSION) => Ok(()),
        _ => Err(UploadError::UnsupportedVersion),
    }
}

/// `Upload-Expires`, an HTTP date (RFC 9110 IMF-fixdate).
fn http_date(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// `Upload-Metadata`: comma-separated `key base64(value)` pairs.
pub fn parse_metadata(raw: &str) -> Result<HashMap<String, String>, AppError> {
    let bad = || AppError::invalid("metadata", "Upload-Metadata is not `key base64value, …`.");
    let mut out = HashMap::new();
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let mut parts = pair.splitn(2, ' ');
        let key = parts.next().ok_or_else(bad)?;
        let value = match parts.next() {
            Some(v) => String::from_utf8(STANDARD.decode(v.trim()).map_err(|_| bad())?)
                .map_err(|_| bad())?,
            None => String::new(),
        };
        out.insert(key.to_owned(), value);
    }
    Ok(out)
}

/// `Upload-Checksum: sha256 <base64 digest>`.
pub fn parse_checksum(raw: &str) -> Result<[u8; 32], AppError> {
    let (algo, value) = raw.trim().split_once(' ').unwrap_or((raw, ""));
    if !algo.eq_ignore_ascii_case("sha256") {
        return Err(AppError::invalid(
            "checksum",
            "Only sha256 checksums are supported.",
        ));
    }
    STANDARD
        .decode(value.trim())
        .ok()
        .and_then(|d| <[u8; 32]>::try_from(d).ok())
        .ok_or_else(|| AppError::invalid("checksum", "Upload-Checksum is not a base64 SHA-256."))
}

fn status_headers(status: &Status) -> Vec<(HeaderName, String)> {
    let mut h = vec![
        (UPLOAD_OFFSET, status.offset.to_string()),
        (UPLOAD_LENGTH, status.size.to_string()),
        (header::CACHE_CONTROL, "no-store".to_owned()),
    ];
    match status.file_id {
        Some(id) => h.push((FILE_ID, id.to_string())),
        None => h.push((UPLOAD_EXPIRES, http_date(status.expires_at))),
    }
    h
}

/// Sets computed headers on a response; a value that is not a valid header (none of ours can
/// be) is left out rather than failing the answer.
fn insert_headers(
    mut res: Response,
    headers: impl IntoIterator<Item = (HeaderName, String)>,
) -> Response {
    for (name, value) in headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            res.headers_mut().insert(name, v);
        }
    }
    res
}

fn with_headers(status: StatusCode, headers: Vec<(HeaderName, String)>) -> Response {
    tus(insert_headers(status.into_response(), headers))
}

async fn options(State(state): State<FilesState>) -> Response {
    with_headers(
        StatusCode::NO_CONTENT,
        vec![
            (HeaderName::from_static("tus-version"), TUS_VERSION.into()),
            (
                HeaderName::from_static("tus-extension"),
                "creation,termination,checksum,expiration".into(),
            ),
            (
                HeaderName::from_static("tus-max-size"),
                state.settings.files.max_upload_bytes.to_string(),
            ),
            (
                HeaderName::from_static("tus-checksum-algorithm"),
                "sha256".into(),
            ),
        ],
    )
}

async fn create(State(state): State<FilesState>, me: Me, headers: HeaderMap) -> Response {
    let result = async {
        let viewer = viewer(me)?;
        require_tus(&headers)?;
        state.limits.uploads_per_user.check(viewer.id)?;
        let meta = parse_metadata(header_str(&headers, &UPLOAD_METADATA).unwrap_or(""))?;
        let get = |k: &str| meta.get(k).map(String::as_str);
        let conversation_id = get("conversation_id")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| AppError::invalid("conversation_id", "Name the chat to upload to."))?;
        let size = match header_str(&headers, &UPLOAD_LENGTH) {
            Some(v) => Some(v.trim().parse::<u64>().map_err(|_| {
                AppError::invalid("size", "Upload-Length must be a whole number of bytes.")
            })?),
            None => None,
        };
        let row = uploads::create(
            state.upload_deps(),
            viewer,
            Announce {
                conversation_id,
                purpose: get("purpose").unwrap_or(""),
                name: get("filename").or(get("name")).unwrap_or(""),
                content_type: get("filetype").or(get("type")).unwrap_or(""),
                size,
                sha256: get("sha256"),
                note: get("note"),
            },
        )
        .await?;
        Ok::<_, UploadError>(row)
    }
    .await;
    match result {
        Ok(row) => with_headers(
            StatusCode::CREATED,
            vec![
                (header::LOCATION, format!("{UPLOADS_PATH}/{}", row.token)),
                (UPLOAD_OFFSET, "0".into()),
                (UPLOAD_EXPIRES, http_date(row.expires_at)),
            ],
        ),
        Err(e) => fail(e),
    }
}

async fn head(
    State(state): State<FilesState>,
    me: Me,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let viewer = viewer(me)?;
        require_tus(&headers)?;
        uploads::status(state.upload_deps(), viewer, &token).await
    }
    .await;
    match result {
        Ok(status) => with_headers(StatusCode::OK, status_headers(&status)),
        // A HEAD answer has no body; the status (and tus's headers) say it all.
        Err(e) => {
            let mut res = fail(e);
            *res.body_mut() = Body::empty();
            res
        }
    }
}

async fn patch(
    State(state): State<FilesState>,
    me: Me,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = async {
        let viewer = viewer(me)?;
        require_tus(&headers)?;
        if header_str(&headers, &header::CONTENT_TYPE) != Some(OFFSET_STREAM) {
            return Err(UploadError::WrongContentType);
        }
        let offset = header_str(&headers, &UPLOAD_OFFSET)
            .and_then(|v| v.trim().parse::<u64>().ok())
            .ok_or_else(|| AppError::invalid("offset", "Upload-Offset is required."))?;
        let checksum = header_str(&headers, &UPLOAD_CHECKSUM)
            .map(parse_checksum)
            .transpose()?;
        uploads::append(state.upload_deps(), viewer, &token, offset, checksum, body).await
    }
    .await;
    match result {
        Ok(status) => with_headers(StatusCode::NO_CONTENT, status_headers(&status)),
        Err(e) => fail(e),
    }
}

async fn cancel(State(state): State<FilesState>, me: Me, Path(token): Path<String>) -> Response {
    let result = async {
        let viewer = viewer(me)?;
        uploads::cancel(state.upload_deps(), viewer, &token).await
    }
    .await;
    match result {
        Ok(()) => with_headers(StatusCode::NO_CONTENT, Vec::new()),
        Err(e) => fail(UploadError::App(e)),
    }
}

async fn download(State(state): State<FilesState>, me: Me, Path(id): Path<String>) -> Response {
    let result = async {
        let viewer = viewer(me)?;
        let id: FileId = id.parse().map_err(|_| AppError::NotFound)?;
        let file = deal_files::readable(&state.db, viewer, id).await?;
        let key = crate::server::storage::StoreKey::parse(&file.storage_key).map_err(|e| {
            tracing::error!(error = %e, file = %file.id, "stored key is invalid");
            AppError::Internal
        })?;
        let object = state.store.get(&key).await.map_err(|e| match e {
            // The store is out of reach for now (WorkDrive unreachable, or the file is still on
            // its way there from another instance): worth asking again.
            StoreError::Unavailable(message) | StoreError::Waiting(message) => {
                AppError::Unavailable(message)
            }
            e => {
                tracing::error!(error = %e, file = %file.id, "stored file unreadable");
                AppError::Internal
            }
        })?;
        Ok::<_, AppError>((file, object))
    }
    .await;
    let (file, object) = match result {
        Ok(found) => found,
        Err(e) => return e.into_response(),
    };
    let digest = (0..file.sha256.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(file.sha256.get(i..i + 2)?, 16).ok())
        .collect::<Vec<u8>>();
    let headers = [
        (
            header::CONTENT_TYPE,
            file_rules::served_type(&file.content_type).to_owned(),
        ),
        (header::CONTENT_LENGTH, object.size.to_string()),
        (
            header::CONTENT_DISPOSITION,
            file_rules::attachment_disposition(&file.name),
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; sandbox".to_owned(),
        ),
        (header::CACHE_CONTROL, "private, no-store".to_owned()),
        (
            HeaderName::from_static("repr-digest"),
            format!("sha-256=:{}:", STANDARD.encode(digest)),
        ),
    ];
    insert_headers(Body::from_stream(object.body).into_response(), headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_pairs_are_base64_decoded() {
        let meta = parse_metadata("filename cmVwb3J0LnBkZg==,conversation_id MTc=, empty")
            .unwrap_or_default();
        assert_eq!(meta.get("filename").map(String::as_str), Some("report.pdf"));
        assert_eq!(meta.get("conversation_id").map(String::as_str), Some("17"));
        assert_eq!(meta.get("empty").map(String::as_str), Some(""));
        assert!(parse_metadata("filename not*base64").is_err());
    }

    #[test]
    fn only_sha256_checksums_are_taken() {
        let digest = STANDARD.encode([7u8; 32]);
        assert_eq!(parse_checksum(&format!("sha256 {digest}")), Ok([7u8; 32]));
        assert!(parse_checksum(&format!("md5 {digest}")).is_err());
        assert!(parse_checksum("sha256 AAAA").is_err());
    }
}
