//! A panic while a request is answered is logged as an error and ends that answer cleanly; it never
//! unwinds through the connection's task.
//!
//! Without this, a panic inside a streamed page (Leptos renders pages as a stream and cleans up
//! its reactive owner in the stream's last poll) killed the task that served the connection
//! mid-response: the browser saw an incomplete chunked body and the reload never finished. Now a
//! panic before the answer starts becomes a 500 with the app's JSON error, and a panic while the
//! body streams or is dropped ends the body with an error, so hyper closes the connection at once.
//!
//! A plain tower layer without boxing: every parked long-poll keeps its request future alive, and
//! this wrapper adds no allocation to it.

use crate::model::AppError;
use crate::server::platform::telemetry;
use axum::body::Body;
use axum::body::Bytes;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http_body::{Body as HttpBody, Frame, SizeHint};
use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};
use tower::{Layer, Service};

#[derive(Clone, Copy, Debug, Default)]
pub struct PanicGuardLayer;

impl<S> Layer<S> for PanicGuardLayer {
    type Service = PanicGuard<S>;

    fn layer(&self, inner: S) -> Self::Service {
        PanicGuard { inner }
    }
}

#[derive(Clone, Debug)]
pub struct PanicGuard<S> {
    inner: S,
}

impl<S> Service<Request> for PanicGuard<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = GuardFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        GuardFuture {
            inner: Some(self.inner.call(req)),
        }
    }
}

pin_project_lite::pin_project! {
    /// The handler's future; `None` once it finished or panicked.
    pub struct GuardFuture<F> {
        #[pin]
        inner: Option<F>,
    }

    impl<F> PinnedDrop for GuardFuture<F> {
        fn drop(this: Pin<&mut Self>) {
            // A request dropped half-way (the client went away) drops its future here.
            drop_quietly(this.project().inner, "while a request was dropped");
        }
    }
}

impl<F, E> Future for GuardFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut inner = self.project().inner;
        let Some(fut) = inner.as_mut().as_pin_mut() else {
            // Polled after it answered, which hyper never does; a panic here would be one more
            // panic in the connection's task, the thing this layer exists to prevent.
            return Poll::Pending;
        };
        let polled = catch_unwind(AssertUnwindSafe(|| fut.poll(cx)));
        match polled {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(result)) => {
                drop_quietly(inner, "after a request was answered");
                Poll::Ready(result.map(|res| res.map(|body| Body::new(GuardedBody::new(body)))))
            }
            Err(payload) => {
                log_panic("before the answer started", &*payload);
                drop_quietly(inner, "after a request panicked");
                Poll::Ready(Ok(AppError::Internal.into_response()))
            }
        }
    }
}

/// Drops the finished future in place; a panic there is logged, never passed on.
fn drop_quietly<F>(inner: Pin<&mut Option<F>>, when: &str) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| {
        let mut inner = inner;
        inner.set(None);
    })) {
        log_panic(when, &*payload);
    }
}

/// A response body whose panics (while streaming or when dropped) end it with an error.
pub struct GuardedBody {
    inner: Option<Body>,
}

impl GuardedBody {
    fn new(inner: Body) -> Self {
        GuardedBody { inner: Some(inner) }
    }

    /// Drops the inner body, catching a panic in its drop.
    fn discard(&mut self, when: &str) {
        let inner = self.inner.take();
        if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(inner))) {
            log_panic(when, &*payload);
        }
    }
}

impl HttpBody for GuardedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        let Some(body) = this.inner.as_mut() else {
            return Poll::Ready(None);
        };
        match catch_unwind(AssertUnwindSafe(|| Pin::new(body).poll_frame(cx))) {
            Ok(Poll::Ready(None)) => {
                // Frees the page's reactive state now, not when hyper gets round to it.
                this.discard("after a response body ended");
                Poll::Ready(None)
            }
            Ok(polled) => polled,
            Err(payload) => {
                log_panic("while the answer was streamed", &*payload);
                this.discard("after a response body panicked");
                Poll::Ready(Some(Err(axum::Error::new(PanickedWhileStreaming))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(HttpBody::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), HttpBody::size_hint)
    }
}

impl Drop for GuardedBody {
    fn drop(&mut self) {
        self.discard("while a response body was dropped");
    }
}

/// The error a body ends with after a panic: hyper then closes the connection.
#[derive(Debug, thiserror::Error)]
#[error("the response panicked while it was streamed")]
struct PanickedWhileStreaming;

fn log_panic(when: &str, payload: &(dyn Any + Send)) {
    let message = telemetry::panic_message(payload);
    tracing::error!(when, panic = %message, "request panicked; answer ended");
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::get;
    use futures::StreamExt;
    use tower::ServiceExt;

    async fn panics_before_the_answer() -> &'static str {
        panic!("boom before the answer")
    }

    fn app() -> Router {
        Router::new()
            .route("/before", get(panics_before_the_answer))
            .route(
                "/streaming",
                get(|| async {
                    let chunks = futures::stream::iter(0..3).map(|i| {
                        if i == 2 {
                            panic!("boom in the third chunk");
                        }
                        Ok::<_, std::io::Error>(Bytes::from(format!("chunk {i};")))
                    });
                    Body::from_stream(chunks)
                }),
            )
            .route("/fine", get(|| async { "fine" }))
            .layer(PanicGuardLayer)
    }

    async fn get_path(path: &str) -> Response {
        let req = Request::builder()
            .uri(path)
            .body(Body::empty())
            .expect("request");
        app().oneshot(req).await.expect("infallible")
    }

    #[tokio::test]
    async fn a_panic_before_the_answer_is_a_500_with_the_json_error() {
        let res = get_path("/before").await;
        assert_eq!(res.status(), 500);
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .expect("body");
        assert!(
            String::from_utf8_lossy(&body).contains("Internal"),
            "{body:?}"
        );
    }

    #[tokio::test]
    async fn a_panic_while_streaming_ends_the_body_with_an_error() {
        let res = get_path("/streaming").await;
        assert_eq!(res.status(), 200);
        let mut body = res.into_body().into_data_stream();
        let mut seen = Vec::new();
        let mut ended_with_error = false;
        while let Some(chunk) = body.next().await {
            match chunk {
                Ok(bytes) => seen.extend_from_slice(&bytes),
                Err(_) => {
                    ended_with_error = true;
                    break;
                }
            }
        }
        assert_eq!(seen, b"chunk 0;chunk 1;");
        assert!(
            ended_with_error,
            "the body must end with an error, not look complete"
        );
        // Polled again after the error, it has ended.
        assert!(body.next().await.is_none());
    }

    #[tokio::test]
    async fn answers_without_a_panic_are_unchanged() {
        let res = get_path("/fine").await;
        assert_eq!(res.status(), 200);
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .expect("body");
        assert_eq!(&body[..], b"fine");
    }

    #[test]
    fn a_body_that_panics_when_dropped_is_dropped_quietly() {
        struct PanicsOnDrop;
        impl Drop for PanicsOnDrop {
            fn drop(&mut self) {
                panic!("boom in drop");
            }
        }
        let guard = PanicsOnDrop;
        let body = Body::from_stream(futures::stream::once(async move {
            let _keep = &guard;
            Ok::<_, std::io::Error>(Bytes::from_static(b"x"))
        }));
        // Dropping the guarded body runs the inner drop, whose panic must not escape.
        drop(GuardedBody::new(body));
    }
}
