//! Payment pages and hooks over plain HTTP: the test-mode provider's checkout page (marked
//! TEST; the payer confirms or declines) and Stripe's webhook. Both end in
//! `payments::apply_event`, the only way a payment changes status on the provider's word.

use crate::model::AppError;
use crate::model::payment::PaymentStatus;
use crate::server::access::Viewer;
use crate::server::accounts::auth::SignedIn;
use crate::server::payments::providers::PaymentProvider;
use crate::server::payments::providers::test_mode::{
    self, CHECKOUT_PATH, TestAnswer, is_checkout_ref,
};
use crate::server::payments::providers::{PaymentError, Provider};
use crate::server::payments::service as payments;
use crate::server::platform::entities::{deal, payment};
use crate::server::realtime::Hub;
use axum::body::Bytes;
use axum::extract::FromRef;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use leptos::prelude::*;
use sea_orm::DatabaseConnection;
use sea_orm::EntityTrait;
use serde::Deserialize;
use std::sync::Arc;

pub const STRIPE_WEBHOOK_PATH: &str = "/payments/webhooks/stripe";

/// What the payment pages and hooks need of the application.
#[derive(Clone)]
pub struct PaymentsState {
    pub db: DatabaseConnection,
    pub hub: Arc<Hub>,
    pub payments: Arc<dyn PaymentProvider>,
}

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    PaymentsState: FromRef<S>,
{
    Router::new()
        .route(
            &format!("{CHECKOUT_PATH}/{{checkout}}"),
            get(test_checkout_page).post(test_checkout_answer),
        )
        .route(STRIPE_WEBHOOK_PATH, post(stripe_webhook))
}

/// The caller; anonymous ones are sent to the login page and back.
type Me = Result<SignedIn, AppError>;

/// Stripe's webhook: verified by its signature, applied once per event id. A 400 tells Stripe
/// the delivery is refused; a 500 makes it retry later.
async fn stripe_webhook(
    State(state): State<PaymentsState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if state.payments.name() != Provider::Stripe {
        return StatusCode::NOT_FOUND.into_response();
    }
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    let event = match state
        .payments
        .read_webhook(signature, &body, chrono::Utc::now())
    {
        Ok(event) => event,
        Err(PaymentError::BadWebhook(why)) => {
            tracing::warn!(%why, "webhook refused");
            return (
                StatusCode::BAD_REQUEST,
                Json(serde_json::json!({ "error": why })),
            )
                .into_response();
        }
        Err(e) => {
            tracing::error!(error = %e, "webhook unreadable");
            return StatusCode::BAD_REQUEST.into_response();
        }
    };
    match payments::apply_event(&state.db, &state.hub, Provider::Stripe, &event).await {
        Ok(applied) => Json(serde_json::json!({
            "received": true,
            "applied": format!("{applied:?}").to_lowercase(),
        }))
        .into_response(),
        Err(e) => e.into_response(),
    }
}

/// The checkout's payment and deal, for the signed-in client whose deal it is.
async fn checkout_of(
    state: &PaymentsState,
    me: Me,
    checkout: &str,
) -> Result<(payment::Model, deal::Model), AppError> {
    if state.payments.name() != Provider::Test || !is_checkout_ref(checkout) {
        return Err(AppError::NotFound);
    }
    let SignedIn(me) = me?;
    let pay = payments::for_test_checkout(&state.db, Viewer::of(&me.user), checkout).await?;
    let deal = deal::Entity::find_by_id(pay.deal_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((pay, deal))
}

fn refused(err: &AppError, checkout: &str) -> Response {
    if *err == AppError::Unauthenticated {
        let next = format!("{CHECKOUT_PATH}/{checkout}");
        return Redirect::to(&format!("/login?next={}", urlencode(&next))).into_response();
    }
    let status = crate::server::platform::http_error::status_of(err);
    let body = page(
        "Checkout unavailable".to_owned(),
        view! { <p role="alert">{err.to_string()}</p> }.into_any(),
    );
    (status, body).into_response()
}

async fn test_checkout_page(
    State(state): State<PaymentsState>,
    me: Me,
    Path(checkout): Path<String>,
) -> Response {
    let (pay, deal) = match checkout_of(&state, me, &checkout).await {
        Ok(found) => found,
        Err(e) => return refused(&e, &checkout),
    };
    let status = pay.status;
    let amount = match payments::amount_of(&pay) {
        Ok(amount) => amount.to_string(),
        Err(e) => return refused(&e, &checkout),
    };
    page(
        format!("Pay {amount}"),
        checkout_body(&pay, &amount, &deal.title, status),
    )
}

/// What the payer sees: the amount, what it is for, and Pay / Decline while it is open.
fn checkout_body(
    pay: &payment::Model,
    amount: &str,
    deal_title: &str,
    status: PaymentStatus,
) -> AnyView {
    let actions = if status == PaymentStatus::Pending {
        view! {
            <form method="post">
                <input type="hidden" name="answer" value="pay" />
                <button type="submit" class="primary">{format!("Pay {amount}")}</button>
            </form>
            <form method="post">
                <input type="hidden" name="answer" value="decline" />
                <button type="submit" class="secondary">"Decline payment"</button>
            </form>
        }
        .into_any()
    } else {
        view! {
            <p role="status">
                {format!("This payment request is settled: {}.", status.label())}
            </p>
        }
        .into_any()
    };
    view! {
        <h1>{format!("Pay {amount}")}</h1>
        <p class="what">{pay.description.clone()}</p>
        <dl>
            <dt>"Deal"</dt>
            <dd>{deal_title.to_owned()}</dd>
            <dt>"Amount"</dt>
            <dd>{amount.to_owned()}</dd>
        </dl>
        {actions}
        <p>
            <a href=format!("/chats/{}", pay.conversation_id)>"Back to the chat"</a>
        </p>
    }
    .into_any()
}

#[derive(Deserialize)]
struct AnswerForm {
    answer: String,
}

async fn test_checkout_answer(
    State(state): State<PaymentsState>,
    me: Me,
    Path(checkout): Path<String>,
    Form(form): Form<AnswerForm>,
) -> Response {
    let (pay, _) = match checkout_of(&state, me, &checkout).await {
        Ok(found) => found,
        Err(e) => return refused(&e, &checkout),
    };
    let Some(answer) = TestAnswer::parse(&form.answer) else {
        return refused(
            &AppError::invalid("answer", "Choose Pay or Decline."),
            &checkout,
        );
    };
    if pay.status != PaymentStatus::Pending {
        return refused(
            &AppError::Conflict("This payment request is already settled.".into()),
            &checkout,
        );
    }
    let event = test_mode::answer_event(&checkout, answer);
    match payments::apply_event(&state.db, &state.hub, Provider::Test, &event).await {
        Ok(_) => Redirect::to(&format!("/chats/{}", pay.conversation_id)).into_response(),
        Err(e) => refused(&e, &checkout),
    }
}

/// The test checkout's page: self-contained, marked TEST on every view. Rendered from a Leptos
/// view, so every text in it (a description, a deal title, an error) is escaped by construction.
fn page(title: String, body: AnyView) -> Response {
    let document = view! {
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <title>{format!("TEST · {title} · dealchat")}</title>
                <style>{STYLE}</style>
            </head>
            <body>
                <main class="checkout">
                    <p class="test-banner" role="note">"TEST MODE · no money moves"</p>
                    {body}
                </main>
            </body>
        </html>
    };
    let mut res = Html(format!("<!doctype html>{}", document.to_html())).into_response();
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;color:#1d2330}\
.checkout{max-width:26rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:12px;\
box-shadow:0 2px 12px rgba(0,0,0,.08)}\
.test-banner{background:#ffe08a;color:#5c4400;font-weight:700;text-align:center;padding:.5rem;\
border-radius:6px;letter-spacing:.05em}\
h1{font-size:1.5rem}dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem}dt{color:#5a6375}\
dd{margin:0}form{margin:.75rem 0}button{width:100%;padding:.75rem;font-size:1rem;border-radius:8px;\
border:1px solid #3451b2;cursor:pointer}.primary{background:#3451b2;color:#fff}\
.secondary{background:#fff;color:#3451b2}";

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_payment() -> payment::Model {
        payment::Model {
            id: crate::model::ids::PaymentId(1),
            deal_id: crate::model::ids::DealId(2),
            conversation_id: crate::model::ids::ConversationId(3),
            amount_minor: 1500,
            currency: "EUR".into(),
            description: "Deposit".into(),
            status: PaymentStatus::Pending,
            provider: Provider::Test,
            provider_ref: None,
            checkout_url: None,
            requested_by: crate::model::ids::UserId(4),
            created_at: chrono::Utc::now(),
            settled_at: None,
        }
    }

    async fn html_of(res: Response) -> String {
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .expect("body");
        String::from_utf8(bytes.to_vec()).expect("utf-8")
    }

    #[tokio::test]
    async fn page_text_is_escaped() {
        let pay = payment::Model {
            description: "<script>alert(1)</script> & \"co\"".into(),
            ..test_payment()
        };
        let html = html_of(page(
            "Pay <b>".into(),
            checkout_body(
                &pay,
                &payments::amount_of(&pay)
                    .expect("a test amount")
                    .to_string(),
                "<img src=x onerror=alert(2)>",
                PaymentStatus::Pending,
            ),
        ))
        .await;
        assert!(
            html.starts_with("<!doctype html><html lang=\"en\">"),
            "{html}"
        );
        assert!(html.contains("TEST MODE"), "{html}");
        assert!(html.contains("Pay 15 EUR"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp;"),
            "{html}"
        );
        assert!(
            html.contains("&lt;img src=x onerror=alert(2)&gt;"),
            "{html}"
        );
        assert!(html.contains("TEST · Pay &lt;b&gt; · dealchat"), "{html}");
        assert!(
            !html.contains("<script>") && !html.contains("<img"),
            "{html}"
        );
    }

    #[tokio::test]
    async fn a_settled_request_has_no_buttons() {
        let html = html_of(page(
            "Pay".into(),
            checkout_body(&test_payment(), "15 EUR", "Deal", PaymentStatus::Paid),
        ))
        .await;
        assert!(
            html.contains("This payment request is settled: Paid."),
            "{html}"
        );
        assert!(!html.contains("<button"), "{html}");
    }
}
