//! The one place an `AppError` becomes an HTTP response outside server functions, plus the
//! request-size guard.

use crate::model::AppError;
use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub fn status_of(err: &AppError) -> StatusCode {
    StatusCode::from_u16(err.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

pub fn respond(err: &AppError) -> Response {
    (status_of(err), Json(err.clone())).into_response()
}

/// Refuses bodies over the limit up front when their length is declared; `RequestBodyLimitLayer`
/// enforces the same limit on streamed bodies.
pub async fn limit_body(State(max): State<usize>, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return respond(&AppError::TooLarge {
            limit_bytes: max as u64,
        });
    }
    next.run(req).await
}
