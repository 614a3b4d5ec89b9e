//! Refuses request bodies whose declared length is over the limit, up front and with the app's
//! JSON error; `tower_http`'s `RequestBodyLimitLayer` enforces the same limit on streamed bodies.
//!
//! A plain tower layer rather than `axum::middleware::from_fn`: the check needs no `await`, and
//! `from_fn` would box one more future per request, which every parked long-poll keeps alive.

use crate::model::AppError;
use axum::extract::Request;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tower::{Layer, Service};

#[derive(Clone, Copy, Debug)]
pub struct DeclaredBodyLimitLayer {
    max: u64,
}

impl DeclaredBodyLimitLayer {
    pub fn new(max_bytes: usize) -> Self {
        DeclaredBodyLimitLayer {
            max: max_bytes as u64,
        }
    }
}

impl<S> Layer<S> for DeclaredBodyLimitLayer {
    type Service = DeclaredBodyLimit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        DeclaredBodyLimit {
            inner,
            max: self.max,
        }
    }
}

#[derive(Clone, Debug)]
pub struct DeclaredBodyLimit<S> {
    inner: S,
    max: u64,
}

/// The declared length, when the request states one that parses.
fn declared_length(req: &Request) -> Option<u64> {
    req.headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

impl<S> Service<Request> for DeclaredBodyLimit<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = LimitFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        if declared_length(&req).is_some_and(|n| n > self.max) {
            return LimitFuture::Refused {
                response: Some(
                    AppError::TooLarge {
                        limit_bytes: self.max,
                    }
                    .into_response(),
                ),
            };
        }
        LimitFuture::Inner {
            inner: self.inner.call(req),
        }
    }
}

pin_project_lite::pin_project! {
    #[project = LimitFutureProj]
    pub enum LimitFuture<F> {
        Refused { response: Option<Response> },
        Inner { #[pin] inner: F },
    }
}

impl<F, E> Future for LimitFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            LimitFutureProj::Refused { response } => {
                Poll::Ready(Ok(response.take().expect("polled after it answered")))
            }
            LimitFutureProj::Inner { inner } => inner.poll(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use std::convert::Infallible;
    use tower::ServiceExt;

    async fn status_for(content_length: Option<&str>) -> u16 {
        let inner = tower::service_fn(|_req: Request| async {
            Ok::<_, Infallible>(Response::new(Body::empty()))
        });
        let mut req = Request::new(Body::empty());
        if let Some(len) = content_length {
            req.headers_mut()
                .insert(header::CONTENT_LENGTH, len.parse().expect("header value"));
        }
        let res = DeclaredBodyLimitLayer::new(100)
            .layer(inner)
            .oneshot(req)
            .await
            .expect("infallible");
        res.status().as_u16()
    }

    #[tokio::test]
    async fn a_declared_length_over_the_limit_is_refused_before_the_handler_runs() {
        assert_eq!(status_for(Some("101")).await, 413);
    }

    #[tokio::test]
    async fn lengths_up_to_the_limit_and_undeclared_ones_reach_the_handler() {
        assert_eq!(status_for(Some("100")).await, 200);
        assert_eq!(status_for(None).await, 200);
    }
}
