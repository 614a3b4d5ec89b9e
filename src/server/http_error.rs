//! The one place an `AppError` becomes an HTTP response outside server functions.

use crate::model::AppError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub fn status_of(err: &AppError) -> StatusCode {
    StatusCode::from_u16(err.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

pub fn respond(err: &AppError) -> Response {
    (status_of(err), Json(err.clone())).into_response()
}
