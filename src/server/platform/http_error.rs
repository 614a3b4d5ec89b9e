//! The one place an `AppError` becomes an HTTP response outside server functions.

use crate::model::AppError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub fn status_of(err: &AppError) -> StatusCode {
    StatusCode::from_u16(err.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// `Retry-After` for an error that says when to come back.
pub fn retry_after(err: &AppError) -> Option<axum::http::HeaderValue> {
    err.retry_after_secs().map(axum::http::HeaderValue::from)
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let retry = retry_after(&self);
        let mut res = (status_of(&self), Json(self)).into_response();
        if let Some(v) = retry {
            res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        res
    }
}
