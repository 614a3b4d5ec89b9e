//! Payment requests: `#p` in a manager's message, the built-in TEST checkout, Stripe Checkout
//! against a local fake of its API, signed webhooks (valid, wrongly signed, stale, replayed),
//! cancellation, and every bad input.

use crate::fake_stripe::{self, FakeStripe};
use crate::files::deal_chat;
use crate::helpers::{Client, Db, Reply, TestApp, msg_id, spawn_app, spawn_app_with};
use crate::on_both_dbs;
use dealchat::model::payment::PaymentStatus;
use dealchat::server::platform::entities::{deal, message, payment, payment_event};
use reqwest::StatusCode;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::Value;
use std::time::Duration;

impl Client {
    pub async fn checkout(&self, payment_id: i64) -> Reply {
        self.call(
            "payments/checkout",
            &[("payment_id", &payment_id.to_string())],
        )
        .await
    }

    pub async fn cancel_payment(&self, payment_id: i64) -> Reply {
        self.call(
            "payments/cancel",
            &[("payment_id", &payment_id.to_string())],
        )
        .await
    }

    /// Answers the TEST checkout page (`pay` or `decline`).
    async fn answer_test_checkout(&self, url: &str, answer: &str) -> reqwest::Response {
        self.http
            .post(format!("{}{url}", self.base))
            .form(&[("answer", answer)])
            .send()
            .await
            .expect("request")
    }

    /// Sends `#p …` and returns the new payment's id.
    pub async fn ask_payment_id(&self, conversation_id: i64, body: &str) -> i64 {
        self.ask_payment(conversation_id, body).await["payment"]["id"]
            .as_i64()
            .expect("payment id")
    }

    /// Opens the checkout and returns its address.
    pub async fn checkout_url(&self, payment_id: i64) -> String {
        self.checkout(payment_id)
            .await
            .expect_ok()
            .as_str()
            .expect("checkout url")
            .to_owned()
    }

    /// Sends `#p …` and returns the stored message.
    pub async fn ask_payment(&self, conversation_id: i64, body: &str) -> Value {
        self.send(conversation_id, &msg_id(), body)
            .await
            .expect_ok()
            .clone()
    }
}

async fn payments(app: &TestApp) -> Vec<payment::Model> {
    payment::Entity::find().all(&app.db).await.unwrap()
}

/// The payment's status messages in the words the chat shows, oldest first.
async fn status_lines(app: &TestApp, payment_id: i64) -> Vec<String> {
    let ids: Vec<_> = message::Entity::find()
        .filter(message::Column::PaymentId.eq(payment_id))
        .filter(message::Column::Kind.eq("payment_status"))
        .order_by_asc(message::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    let mut views = dealchat::server::messages::by_ids(&app.db, &ids)
        .await
        .unwrap();
    views.sort_by_key(|m| m.id);
    views
        .iter()
        .map(|m| m.content.describe(&m.sender_name))
        .collect()
}

/// The Pay card as `who` sees it when the chat opens.
async fn card(who: &Client, conversation_id: i64, payment_id: i64) -> Value {
    who.open(conversation_id).await["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "payment" && m["payment"]["id"] == payment_id)
        .cloned()
        .expect("the payment card")
}

async fn crm_notes_eventually(app: &TestApp, conversation_id: i64, who: &Client) -> Vec<String> {
    use dealchat::server::crm::builtin::BuiltinCrm;
    use dealchat::server::crm::sync as crm_sync;
    let deal_id = dealchat::model::ids::DealId(
        who.open(conversation_id).await["deal"]["id"]
            .as_i64()
            .unwrap(),
    );
    let crm = BuiltinCrm::new(app.db.clone());
    for _ in 0..60 {
        let notes = crm_sync::crm_notes(&app.db, &crm, deal_id).await.unwrap();
        if !notes.is_empty() {
            return notes;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Vec::new()
}

on_both_dbs!(a_payment_request_is_stored_once_with_the_amount_asked);
async fn a_payment_request_is_stored_once_with_the_amount_asked(db: Db) {
    let app = spawn_app(db).await;
    let (clara, max, id) = deal_chat(&app).await;
    let cmid = msg_id();
    let first = max
        .send(id, &cmid, "Deposit for the roof #p 1500 EUR")
        .await;
    let m = first.expect_ok().clone();
    assert_eq!(m["kind"], "payment");
    assert_eq!(
        m["body"], "Deposit for the roof",
        "marker and amount are not shown"
    );
    assert_eq!(m["payment"]["amount"]["minor"], 150_000);
    assert_eq!(m["payment"]["status"], "pending");
    assert_eq!(m["payment"]["test_mode"], true);
    assert_eq!(m["payment"]["description"], "Deposit for the roof");
    // A retried send answers with the same request and stores nothing new.
    let again = max
        .send(id, &cmid, "Deposit for the roof #p 1500 EUR")
        .await;
    assert_eq!(again.expect_ok()["id"], m["id"]);
    assert_eq!(again.expect_ok()["payment"]["id"], m["payment"]["id"]);
    assert_eq!(payments(&app).await.len(), 1);
    // The client sees the Pay card.
    let seen = card(&clara, id, m["payment"]["id"].as_i64().unwrap()).await;
    assert_eq!(seen["payment"]["amount"]["minor"], 150_000);
}

on_both_dbs!(payment_requests_refuse_bad_input_and_keep_nothing);
async fn payment_requests_refuse_bad_input_and_keep_nothing(db: Db) {
    let app = spawn_app(db).await;
    let (clara, max, id) = deal_chat(&app).await;
    let before = clara.open(id).await["messages"].as_array().unwrap().len();
    // Neither an amount nor a deal amount; an amount without a currency and no deal amount.
    for (body, says) in [
        ("#p", "no amount yet"),
        ("#p 1500", "Add the currency"),
        ("#p 0 EUR", "positive number"),
        ("#p -5 EUR", "positive number"),
        ("#p 12abc EUR", "positive number"),
        ("#p 1.999 EUR", "positive number"),
        ("#p 10 EURO", "three-letter code"),
    ] {
        let r = max.send(id, &msg_id(), body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {:?}", r.body);
        let text = r.body["Invalid"]["message"].as_str().unwrap_or_default();
        assert!(text.contains(says), "{body}: {text}");
    }
    assert!(payments(&app).await.is_empty());
    assert_eq!(
        clara.open(id).await["messages"].as_array().unwrap().len(),
        before,
        "a refused request leaves no message"
    );

    // With the deal's amount set, `#p` alone asks for it, and `#p 1500` uses its currency.
    max.call(
        "chats/deal/amount",
        &[
            ("conversation_id", &id.to_string()),
            ("amount", "900"),
            ("currency", "CHF"),
        ],
    )
    .await
    .expect_ok();
    let deal_amount = max.ask_payment(id, "#p").await;
    assert_eq!(deal_amount["payment"]["amount"]["minor"], 90_000);
    assert_eq!(deal_amount["payment"]["amount"]["currency"], "CHF");
    assert_eq!(deal_amount["payment"]["description"], "Payment for Roof");
    let partial = max.ask_payment(id, "#p 1500").await;
    assert_eq!(partial["payment"]["amount"]["minor"], 150_000);
    assert_eq!(partial["payment"]["amount"]["currency"], "CHF");

    // A client's `#p` is just text.
    let plain = clara.send(id, &msg_id(), "#p 100 EUR").await;
    assert_eq!(plain.expect_ok()["kind"], "text");
    assert_eq!(payments(&app).await.len(), 2);

    // A closed deal takes no new requests, and its open ones cannot be paid.
    let deal_id =
        dealchat::model::ids::DealId(clara.open(id).await["deal"]["id"].as_i64().unwrap());
    let mut row: deal::ActiveModel = deal::Entity::find_by_id(deal_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .into();
    row.closed_at = Set(Some(chrono::Utc::now()));
    row.update(&app.db).await.unwrap();
    let closed = max.send(id, &msg_id(), "#p 10 EUR").await;
    assert_eq!(closed.status, StatusCode::CONFLICT);
    assert!(closed.body["Conflict"].as_str().unwrap().contains("closed"));
    let pay = clara
        .checkout(partial["payment"]["id"].as_i64().unwrap())
        .await;
    assert_eq!(pay.status, StatusCode::CONFLICT);
    assert_eq!(payments(&app).await.len(), 2);

    // A chat without a deal has nothing to pay for.
    let question = clara.start_chat("question", "Opening hours", "Hi").await;
    max.accept(question).await.expect_ok();
    let r = max.send(question, &msg_id(), "#p 10 EUR").await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body["Conflict"].as_str().unwrap().contains("no deal"));
}

on_both_dbs!(the_test_checkout_pays_once_and_reaches_the_crm);
async fn the_test_checkout_pays_once_and_reaches_the_crm(db: Db) {
    let app = spawn_app(db).await;
    let (clara, max, id) = deal_chat(&app).await;
    let pid = max.ask_payment_id(id, "#p 1500 EUR").await;

    // Only the deal's client opens a checkout; a stranger cannot tell it exists.
    let stranger = app.signed_up_client("eve@example.com").await;
    assert_eq!(stranger.checkout(pid).await.status, StatusCode::NOT_FOUND);
    assert_eq!(max.checkout(pid).await.status, StatusCode::CONFLICT);
    let url = clara.checkout_url(pid).await;
    assert!(url.starts_with("/pay/test/tcs_"), "{url}");
    assert_eq!(
        clara.checkout(pid).await.expect_ok().as_str().unwrap(),
        url,
        "a second click reopens the same checkout"
    );

    // The page is marked TEST, shows the amount, and is the client's alone.
    let page = clara.get(&url).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("TEST MODE"), "{html}");
    assert!(html.contains("Pay 1,500 EUR"), "{html}");
    assert_eq!(stranger.get(&url).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        stranger.answer_test_checkout(&url, "pay").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(payments(&app).await[0].status, PaymentStatus::Pending);
    // Signed out, the page sends the payer to log in and back.
    let anonymous = app.client().get(&url).await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);

    // The browser cannot claim a payment through the webhook either: it is not served here.
    let forged = app
        .client()
        .http
        .post(format!("{}/payments/webhooks/stripe", app.base))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::NOT_FOUND);

    let paid = clara.answer_test_checkout(&url, "pay").await;
    assert_eq!(paid.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        paid.headers()["location"].to_str().unwrap(),
        format!("/chats/{id}")
    );
    for who in [&clara, &max] {
        assert_eq!(card(who, id, pid).await["payment"]["status"], "paid");
    }
    // Submitting the page again, or paying again, changes nothing.
    assert_eq!(
        clara.answer_test_checkout(&url, "pay").await.status(),
        StatusCode::CONFLICT
    );
    let again = clara.checkout(pid).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(
        again.body["Conflict"]
            .as_str()
            .unwrap()
            .contains("already made")
    );
    assert_eq!(
        status_lines(&app, pid).await,
        vec!["Payment of 1,500 EUR paid."]
    );
    assert_eq!(
        payment_event::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .len(),
        1
    );

    let notes = crm_notes_eventually(&app, id, &clara).await;
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].contains("Payment of 1,500 EUR paid."),
        "{}",
        notes[0]
    );

    // A declined checkout fails the request.
    let second = max.ask_payment_id(id, "#p 200 EUR balance").await;
    let url = clara.checkout_url(second).await;
    clara.answer_test_checkout(&url, "decline").await;
    assert_eq!(card(&max, id, second).await["payment"]["status"], "failed");
    let retry = clara.checkout(second).await;
    assert_eq!(retry.status, StatusCode::CONFLICT);
}

on_both_dbs!(a_manager_cancels_an_unpaid_request);
async fn a_manager_cancels_an_unpaid_request(db: Db) {
    let app = spawn_app(db).await;
    let (clara, max, id) = deal_chat(&app).await;
    let pid = max.ask_payment_id(id, "#p 50 EUR").await;
    let url = clara.checkout_url(pid).await;
    assert_eq!(
        clara.cancel_payment(pid).await.status,
        StatusCode::FORBIDDEN
    );
    let other = app.manager("mia@example.com", "Mia").await;
    assert_eq!(
        other.cancel_payment(pid).await.status,
        StatusCode::NOT_FOUND
    );
    max.cancel_payment(pid).await.expect_ok();
    assert_eq!(card(&clara, id, pid).await["payment"]["status"], "canceled");
    let pay = clara.checkout(pid).await;
    assert_eq!(pay.status, StatusCode::CONFLICT);
    assert!(pay.body["Conflict"].as_str().unwrap().contains("canceled"));
    assert_eq!(
        clara.answer_test_checkout(&url, "pay").await.status(),
        StatusCode::CONFLICT
    );
    assert_eq!(max.cancel_payment(pid).await.status, StatusCode::CONFLICT);
    assert_eq!(status_lines(&app, pid).await.len(), 1);
}

pub async fn stripe_app(db: Db, fake: &FakeStripe) -> TestApp {
    let base = fake.start().await;
    spawn_app_with(
        db,
        &[
            ("payments.provider", "stripe"),
            ("payments.stripe.api_base", &base),
            ("payments.stripe.secret_key", fake_stripe::SECRET_KEY),
            (
                "payments.stripe.webhook_secret",
                fake_stripe::WEBHOOK_SECRET,
            ),
        ],
    )
    .await
}

pub async fn webhook(app: &TestApp, body: &str, signature: Option<String>) -> Reply {
    let mut req = app
        .client()
        .http
        .post(format!("{}/payments/webhooks/stripe", app.base))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(sig) = signature {
        req = req.header("Stripe-Signature", sig);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    Reply {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub fn signed(body: &str) -> Option<String> {
    Some(fake_stripe::signature(
        body,
        fake_stripe::WEBHOOK_SECRET,
        now(),
    ))
}

on_both_dbs!(stripe_checkout_is_paid_only_by_a_verified_webhook_once);
async fn stripe_checkout_is_paid_only_by_a_verified_webhook_once(db: Db) {
    let fake = FakeStripe::default();
    let app = stripe_app(db, &fake).await;
    let (clara, max, id) = deal_chat(&app).await;
    let m = max.ask_payment(id, "Deposit #p 1500 EUR").await;
    assert_eq!(m["payment"]["test_mode"], false);
    let pid = m["payment"]["id"].as_i64().unwrap();

    let url = clara.checkout_url(pid).await;
    let sessions = fake.all();
    assert_eq!(sessions.len(), 1);
    let session = &sessions[0];
    assert_eq!(
        url,
        format!("https://checkout.stripe.com/c/pay/{}", session.id)
    );
    let form = &session.form;
    assert_eq!(form["mode"], "payment");
    assert_eq!(form["client_reference_id"], pid.to_string());
    assert_eq!(form["line_items[0][price_data][currency]"], "eur");
    assert_eq!(form["line_items[0][price_data][unit_amount]"], "150000");
    assert_eq!(
        form["line_items[0][price_data][product_data][name]"],
        "Deposit"
    );
    assert_eq!(form["customer_email"], "clara@example.com");
    assert!(form["success_url"].ends_with(&format!("/chats/{id}")));
    // A second click goes to the same session.
    assert_eq!(clara.checkout(pid).await.expect_ok().as_str().unwrap(), url);
    assert_eq!(fake.all().len(), 1);
    // The test checkout does not exist under Stripe.
    assert_eq!(
        clara
            .get("/pay/test/tcs_00000000000000000000000000000000")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    fake.complete(&session.id);
    let body = fake_stripe::event(
        "evt_paid_1",
        "checkout.session.completed",
        fake.session(&session.id).json("paid"),
    );
    // Wrongly signed, unsigned, stale: refused, and the payment stays pending.
    let wrong = Some(fake_stripe::signature(&body, "whsec_someone_else", now()));
    let stale = Some(fake_stripe::signature(
        &body,
        fake_stripe::WEBHOOK_SECRET,
        now() - 3600,
    ));
    let tampered = body.replace("150000", "1");
    for (sig, what) in [
        (wrong, "wrong secret"),
        (None, "no header"),
        (stale, "stale"),
    ] {
        let r = webhook(&app, &body, sig).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{what}");
    }
    let r = webhook(&app, &tampered, signed(&body)).await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "a body other than the signed one"
    );
    assert_eq!(card(&clara, id, pid).await["payment"]["status"], "pending");

    let ok = webhook(&app, &body, signed(&body)).await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert_eq!(ok.body["applied"], "changed");
    for who in [&clara, &max] {
        assert_eq!(card(who, id, pid).await["payment"]["status"], "paid");
    }
    // Stripe redelivers: the replay is acknowledged and changes nothing.
    let replay = webhook(&app, &body, signed(&body)).await;
    assert_eq!(replay.status, StatusCode::OK);
    assert_eq!(replay.body["applied"], "repeat");
    assert_eq!(
        status_lines(&app, pid).await,
        vec!["Payment of 1,500 EUR paid."]
    );
    let row = payments(&app).await.pop().unwrap();
    assert_eq!(
        (row.status.as_str(), row.provider.as_str()),
        ("paid", "stripe")
    );
    assert_eq!(row.provider_ref.as_deref(), Some(session.id.as_str()));

    // A completion charging another amount than asked does not mark a request paid.
    let other = max.ask_payment_id(id, "#p 10 EUR").await;
    clara.checkout(other).await.expect_ok();
    let s2 = fake.all().pop().unwrap();
    let mut changed = fake.session(&s2.id).json("paid");
    changed["amount_total"] = 1.into();
    let body = fake_stripe::event("evt_paid_2", "checkout.session.completed", changed);
    assert_eq!(
        webhook(&app, &body, signed(&body)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        card(&clara, id, other).await["payment"]["status"],
        "pending"
    );
}

on_both_dbs!(stripe_expiry_failure_and_cancel);
async fn stripe_expiry_failure_and_cancel(db: Db) {
    let fake = FakeStripe::default();
    let app = stripe_app(db, &fake).await;
    let (clara, max, id) = deal_chat(&app).await;
    let pid = max.ask_payment_id(id, "#p 80 EUR").await;

    // An expired session is forgotten: the next Pay opens a new one.
    let first = clara.checkout_url(pid).await;
    let s1 = fake.all()[0].id.clone();
    let body = fake_stripe::event(
        "evt_exp_1",
        "checkout.session.expired",
        fake.session(&s1).json("unpaid"),
    );
    assert_eq!(
        webhook(&app, &body, signed(&body)).await.status,
        StatusCode::OK
    );
    let second = clara.checkout_url(pid).await;
    assert_ne!(first, second);
    assert_eq!(fake.all().len(), 2);
    assert_eq!(card(&max, id, pid).await["payment"]["status"], "pending");

    // Cancel closes the open session at Stripe first.
    max.cancel_payment(pid).await.expect_ok();
    let s2 = fake.all()[1].id.clone();
    assert_eq!(fake.session(&s2).status, "expired");
    assert_eq!(card(&clara, id, pid).await["payment"]["status"], "canceled");

    // A session the client completed cannot be canceled under them.
    let paying = max.ask_payment_id(id, "#p 90 EUR").await;
    clara.checkout(paying).await.expect_ok();
    let s3 = fake.all()[2].id.clone();
    fake.complete(&s3);
    let r = max.cancel_payment(paying).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.body["Conflict"]
            .as_str()
            .unwrap()
            .contains("already paid")
    );

    // A delayed payment method that fails marks the request failed.
    let body = fake_stripe::event(
        "evt_fail_1",
        "checkout.session.async_payment_failed",
        fake.session(&s3).json("unpaid"),
    );
    assert_eq!(
        webhook(&app, &body, signed(&body)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        card(&clara, id, paying).await["payment"]["status"],
        "failed"
    );
    assert_eq!(
        status_lines(&app, paying).await,
        vec!["Payment of 90 EUR failed."]
    );
}
