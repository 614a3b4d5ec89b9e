//! The one place an `AppError` becomes an HTTP response outside server functions.

use crate::model::AppError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub fn status_of(err: &AppError) -> StatusCode {
    StatusCode::from_u16(err.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        (status_of(&self), Json(self)).into_response()
    }
}
