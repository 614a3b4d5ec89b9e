//! A channel's picture over HTTP: `PUT /api/admin/channels/{id}/image` with the picture as the
//! body (administrators), `DELETE` the same path, and `GET /channels/{id}/image?v=N` for anyone
//! signed in. Outside the general body limit: the picture has its own
//! (`files.max_channel_image_bytes`), checked before the body is read when it is declared.

use crate::model::AppError;
use crate::model::ids::ChannelId;
use crate::server::access::Viewer;
use crate::server::accounts::auth::SignedIn;
use crate::server::channels::image::{self, ImageDeps};
use crate::server::storage::FileStore;
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{FromRef, Path, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use sea_orm::DatabaseConnection;
use std::path::PathBuf;
use std::sync::Arc;

/// What the picture routes need of the application.
#[derive(Clone)]
pub struct ChannelsState {
    pub db: DatabaseConnection,
    pub store: Arc<dyn FileStore>,
    /// Where a picture waits before the store takes it.
    pub staging: PathBuf,
    pub max_image_bytes: usize,
}

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    ChannelsState: FromRef<S>,
{
    Router::new()
        .route(
            "/api/admin/channels/{id}/image",
            put(set_image).delete(remove_image),
        )
        .route("/channels/{id}/image", get(image))
}

type Me = Result<SignedIn, AppError>;

fn viewer(me: Me) -> Result<Viewer, AppError> {
    me.map(|SignedIn(me)| Viewer::of(&me.user))
}

fn channel_id(raw: &str) -> Result<ChannelId, AppError> {
    raw.parse().map_err(|_| AppError::NotFound)
}

async fn set_image(
    State(state): State<ChannelsState>,
    me: Me,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let result = async {
        let viewer = viewer(me)?;
        viewer.admin_only()?;
        let id = channel_id(&id)?;
        let too_big = || {
            AppError::invalid(
                "image",
                format!(
                    "The picture may be at most {} bytes.",
                    state.max_image_bytes
                ),
            )
        };
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > state.max_image_bytes) {
            return Err(too_big());
        }
        // One byte over the limit is enough to know it is too big.
        let bytes = to_bytes(request.into_body(), state.max_image_bytes + 1)
            .await
            .map_err(|_| too_big())?;
        let deps = ImageDeps {
            db: &state.db,
            store: state.store.as_ref(),
            staging: &state.staging,
            max_bytes: state.max_image_bytes,
        };
        image::set(deps, viewer, id, &bytes).await
    }
    .await;
    match result {
        Ok(()) => axum::http::StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}

async fn remove_image(
    State(state): State<ChannelsState>,
    me: Me,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let viewer = viewer(me)?;
        image::remove(&state.db, state.store.as_ref(), viewer, channel_id(&id)?).await
    }
    .await;
    match result {
        Ok(()) => axum::http::StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}

async fn image(State(state): State<ChannelsState>, me: Me, Path(id): Path<String>) -> Response {
    let result = async {
        viewer(me)?;
        image::get(&state.db, state.store.as_ref(), channel_id(&id)?).await
    }
    .await;
    match result {
        Ok((content_type, object)) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CONTENT_LENGTH, object.size.to_string()),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; sandbox".to_owned(),
                ),
                // The address names the version: a new picture gets a new one.
                (
                    header::CACHE_CONTROL,
                    "private, max-age=86400, immutable".to_owned(),
                ),
            ],
            Body::from_stream(object.body),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}
