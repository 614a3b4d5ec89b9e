//! A local stand-in for Stripe's API, following its documented wire format: Checkout Sessions
//! created by a form-encoded POST with a bearer secret key, read by GET, closed by
//! `POST …/expire` (open sessions only); errors as `{"error": {"type", "message"}}`. Events are
//! built as Stripe sends them and signed the way its `Stripe-Signature` header documents:
//! `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the endpoint's signing secret>`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const SECRET_KEY: &str = "sk_test_fake_0123456789";
pub const WEBHOOK_SECRET: &str = "whsec_fake_signing_secret";

#[derive(Clone, Debug)]
pub struct Session {
    pub id: String,
    /// `open`, `complete` or `expired`.
    pub status: String,
    pub form: HashMap<String, String>,
}

impl Session {
    pub fn json(&self, payment_status: &str) -> Value {
        json!({
            "id": self.id,
            "object": "checkout.session",
            "mode": "payment",
            "status": self.status,
            "payment_status": payment_status,
            "url": format!("https://checkout.stripe.com/c/pay/{}", self.id),
            "client_reference_id": self.form.get("client_reference_id"),
            "customer_email": self.form.get("customer_email"),
            "currency": self.form.get("line_items[0][price_data][currency]"),
            "amount_total": self.form.get("line_items[0][price_data][unit_amount]")
                .and_then(|a| a.parse::<i64>().ok()),
            "metadata": { "payment_id": self.form.get("metadata[payment_id]") },
            "livemode": false,
        })
    }
}

#[derive(Clone, Default)]
pub struct FakeStripe {
    pub sessions: Arc<Mutex<Vec<Session>>>,
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({ "error": { "type": "invalid_request_error", "message": message } })),
    )
        .into_response()
}

fn authorised(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {SECRET_KEY}"))
}

async fn create(
    State(fake): State<FakeStripe>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if !authorised(&headers) {
        return error(StatusCode::UNAUTHORIZED, "Invalid API Key provided");
    }
    let form: HashMap<String, String> = form.into_iter().collect();
    for required in [
        "mode",
        "success_url",
        "line_items[0][quantity]",
        "line_items[0][price_data][currency]",
        "line_items[0][price_data][unit_amount]",
        "line_items[0][price_data][product_data][name]",
    ] {
        if form.get(required).is_none_or(String::is_empty) {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("Missing required param: {required}."),
            );
        }
    }
    if form["line_items[0][price_data][unit_amount]"]
        .parse::<i64>()
        .is_err()
    {
        return error(StatusCode::BAD_REQUEST, "Invalid integer: unit_amount");
    }
    let mut sessions = fake.sessions.lock().unwrap();
    let session = Session {
        id: format!(
            "cs_test_{}{}",
            sessions.len() + 1,
            uuid::Uuid::new_v4().simple()
        ),
        status: "open".into(),
        form,
    };
    sessions.push(session.clone());
    Json(session.json("unpaid")).into_response()
}

async fn retrieve(
    State(fake): State<FakeStripe>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorised(&headers) {
        return error(StatusCode::UNAUTHORIZED, "Invalid API Key provided");
    }
    match fake.sessions.lock().unwrap().iter().find(|s| s.id == id) {
        Some(s) => Json(s.json("unpaid")).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            &format!("No such checkout.session: '{id}'"),
        ),
    }
}

async fn expire(
    State(fake): State<FakeStripe>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorised(&headers) {
        return error(StatusCode::UNAUTHORIZED, "Invalid API Key provided");
    }
    let mut sessions = fake.sessions.lock().unwrap();
    let Some(s) = sessions.iter_mut().find(|s| s.id == id) else {
        return error(
            StatusCode::NOT_FOUND,
            &format!("No such checkout.session: '{id}'"),
        );
    };
    if s.status != "open" {
        return error(
            StatusCode::BAD_REQUEST,
            "Only Checkout Sessions with a status in [\"open\"] can be expired.",
        );
    }
    s.status = "expired".into();
    Json(s.json("unpaid")).into_response()
}

impl FakeStripe {
    /// Serves the fake on a free port; returns its base URL.
    pub async fn start(&self) -> String {
        let app = Router::new()
            .route("/v1/checkout/sessions", post(create))
            .route("/v1/checkout/sessions/{id}", get(retrieve))
            .route("/v1/checkout/sessions/{id}/expire", post(expire))
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }

    pub fn all(&self) -> Vec<Session> {
        self.sessions.lock().unwrap().clone()
    }

    pub fn session(&self, id: &str) -> Session {
        self.all()
            .into_iter()
            .find(|s| s.id == id)
            .expect("session")
    }

    /// The payer finished checkout (Stripe then sends `checkout.session.completed`).
    pub fn complete(&self, id: &str) {
        let mut sessions = self.sessions.lock().unwrap();
        let s = sessions.iter_mut().find(|s| s.id == id).expect("session");
        s.status = "complete".into();
    }
}

/// An event as Stripe delivers it, about a session.
pub fn event(event_id: &str, event_type: &str, session: Value) -> String {
    json!({
        "id": event_id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": chrono::Utc::now().timestamp(),
        "type": event_type,
        "livemode": false,
        "pending_webhooks": 1,
        "data": { "object": session },
    })
    .to_string()
}

/// The `Stripe-Signature` header for a body, signed at unix time `t` with `secret`.
pub fn signature(body: &str, secret: &str, t: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={t},v1={hex}")
}
