//! Closing deals: the deal's manager (or an admin) closes it as won or lost; pending offers are
//! withdrawn, unpaid requests canceled, the operator's session closed as `deal_closed`; the chat
//! becomes read-only history (every write 409, downloads still work) listed as archived; the
//! CRM's copy records it; only an administrator reopens it.

use crate::files::{Announce, deal_chat, folder, messages, pseudo_random, share};
use crate::helpers::{Client, Db, msg_id, spawn_app, spawn_app_with};
use crate::on_both_dbs;
use dealchat::server::platform::entities::{crm_deal, operator_session};
use reqwest::StatusCode;
use sea_orm::EntityTrait;
use serde_json::Value;
use std::time::Duration;

async fn close(who: &Client, id: i64, outcome: &str, note: &str) -> crate::helpers::Reply {
    who.call(
        "chats/deal/close",
        &[
            ("conversation_id", &id.to_string()),
            ("outcome", outcome),
            ("note", note),
        ],
    )
    .await
}

async fn reopen(who: &Client, id: i64) -> crate::helpers::Reply {
    who.call("chats/deal/reopen", &[("conversation_id", &id.to_string())])
        .await
}

fn kinds(detail: &Value) -> Vec<String> {
    messages(detail)
        .iter()
        .map(|m| m["kind"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn conflict(reply: &crate::helpers::Reply) -> String {
    assert_eq!(reply.status, StatusCode::CONFLICT, "{:?}", reply.body);
    reply.body["Conflict"].as_str().unwrap_or("").to_owned()
}

async fn closing_a_deal_makes_its_chat_read_only_history(db: Db) {
    let app = spawn_app(db).await;
    let (clara, max, id) = deal_chat(&app).await;
    let admin = app.admin().await;
    let sid = id.to_string();
    max.call(
        "chats/stage",
        &[("conversation_id", sid.as_str()), ("stage", "negotiation")],
    )
    .await
    .expect_ok();
    let (_, offer) = share(&max, id, "quotation.pdf", "#q quotation v1").await;
    let offer_id = offer["offer"]["id"].as_i64().unwrap();
    let asked = max.send(id, &msg_id(), "#p 100 EUR").await;
    let payment_id = asked.expect_ok()["payment"]["id"].as_i64().unwrap();
    let bytes = pseudo_random(500, 1);
    let file_id = clara.upload(folder(id, "plan.zip", 500), &bytes, 500).await;

    // Who may not: a stranger (404), the client (403), someone signed out (401); a bad outcome.
    let eve = app.signed_up_client("eve@example.com").await;
    let olga = app.manager("olga@example.com", "Olga").await;
    for (who, status) in [
        (&eve, StatusCode::NOT_FOUND),
        (&olga, StatusCode::NOT_FOUND),
        (&clara, StatusCode::FORBIDDEN),
        (&app.client(), StatusCode::UNAUTHORIZED),
    ] {
        assert_eq!(close(who, id, "won", "").await.status, status);
    }
    let bad = close(&max, id, "maybe", "").await;
    assert_eq!(bad.invalid_field(), Some("outcome"));

    let closed = close(&max, id, "won", "Signed today").await;
    let deal = closed.expect_ok();
    assert_eq!(deal["outcome"], "won");
    assert_eq!(deal["stage"], "completion", "won is the Completion path");
    assert_eq!(deal["closed_by_name"], "Max");
    assert_eq!(deal["close_note"], "Signed today");
    assert!(deal["closed_at_ms"].is_i64());
    assert!(conflict(&close(&admin, id, "lost", "").await).contains("already closed as won"));

    // The offer was withdrawn, the request canceled, and both sides read the close.
    let detail = clara.open(id).await;
    let all = kinds(&detail);
    assert!(all.contains(&"offer_withdrawn".to_owned()), "{all:?}");
    let canceled = messages(&detail)
        .into_iter()
        .find(|m| m["kind"] == "payment_status" && m["payment"]["id"] == payment_id)
        .expect("a status line for the request");
    assert_eq!(canceled["payment"]["status"], "canceled");
    let last = messages(&detail).pop().unwrap();
    assert_eq!(last["kind"], "system");
    assert_eq!(last["event"]["event"], "deal_closed");
    assert_eq!(detail["can_reply"], false);
    assert_eq!(detail["can_attach"], false);
    assert_eq!(detail["deal"]["outcome"], "won");
    for who in [&clara, &max] {
        let row = who
            .list()
            .await
            .into_iter()
            .find(|r| r["id"] == id)
            .expect("the chat stays listed");
        assert_eq!(row["archived"], true);
    }
    assert_eq!(max.open(id).await["can_change_stage"], false);
    let sessions = operator_session::Entity::find().all(&app.db).await.unwrap();
    assert!(
        sessions.iter().all(|s| s.closed_at.is_some()),
        "{sessions:?}"
    );
    assert_eq!(
        sessions.last().unwrap().close_reason.map(|r| r.as_str()),
        Some("deal_closed")
    );

    // Every write is refused, and nothing is stored.
    let before = messages(&clara.open(id).await).len();
    assert!(conflict(&clara.send(id, &msg_id(), "Still there?").await).contains("closed"));
    conflict(&max.send(id, &msg_id(), "One more thing").await);
    let upload = clara.create_upload(&folder(id, "late.zip", 10)).await;
    assert_eq!(upload.status, StatusCode::CONFLICT, "{}", upload.body);
    let share_late = max
        .create_upload(&Announce {
            purpose: "share",
            note: Some("late"),
            ..folder(id, "late.pdf", 10)
        })
        .await;
    assert_eq!(
        share_late.status,
        StatusCode::CONFLICT,
        "{}",
        share_late.body
    );
    conflict(&clara.decide(offer_id, "accept", None).await);
    conflict(
        &clara
            .call(
                "payments/checkout",
                &[("payment_id", &payment_id.to_string())],
            )
            .await,
    );
    for (endpoint, extra) in [
        ("chats/stage", ("stage", "proposal")),
        ("chats/deal/amount", ("amount", "5")),
    ] {
        let mut form = vec![("conversation_id", sid.as_str()), extra];
        form.push(("currency", "EUR"));
        conflict(&admin.call(endpoint, &form).await);
    }
    assert_eq!(messages(&clara.open(id).await).len(), before);

    // Its files still download for its people.
    for who in [&clara, &max] {
        let got = who.get(&format!("/files/{file_id}")).await;
        assert_eq!(got.status(), StatusCode::OK);
        assert_eq!(got.bytes().await.unwrap().to_vec(), bytes);
    }

    // The CRM's deal records the close.
    let mut recorded = None;
    for _ in 0..100 {
        recorded = crm_deal::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .find(|d| d.closed_at.is_some());
        if recorded.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let recorded = recorded.expect("the CRM's deal is closed");
    assert_eq!(recorded.outcome.map(|o| o.as_str()), Some("won"));

    // Only an administrator reopens it: back to the stage it had, writable again.
    assert_eq!(reopen(&max, id).await.status, StatusCode::FORBIDDEN);
    assert_eq!(reopen(&clara, id).await.status, StatusCode::FORBIDDEN);
    assert_eq!(reopen(&eve, id).await.status, StatusCode::NOT_FOUND);
    let reopened = reopen(&admin, id).await;
    let deal = reopened.expect_ok();
    assert_eq!(deal["stage"], "negotiation");
    assert!(deal["closed_at_ms"].is_null());
    assert_eq!(
        messages(&clara.open(id).await).pop().unwrap()["event"]["event"],
        "deal_reopened"
    );
    conflict(&reopen(&admin, id).await);
    clara.send(id, &msg_id(), "Back again").await.expect_ok();
    let row = clara
        .list()
        .await
        .into_iter()
        .find(|r| r["id"] == id)
        .unwrap();
    assert_eq!(row["archived"], false);
    // Offers and payments stay as the close left them.
    conflict(&clara.decide(offer_id, "accept", None).await);
}
on_both_dbs!(closing_a_deal_makes_its_chat_read_only_history);

/// Sends racing a close either land before it (and before its line) or are refused: none is
/// stored after the close.
async fn sends_racing_a_close_land_before_it_or_are_refused(db: Db) {
    // Above the per-user send rate, so every send reaches the race.
    let app = spawn_app_with(
        db,
        &[("chat.send_burst", "100"), ("chat.sends_per_second", "100")],
    )
    .await;
    let (clara, max, id) = deal_chat(&app).await;
    let sends = (0..30).map(|i| {
        let clara = clara.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(i * 3)).await;
            clara.send(id, &msg_id(), &format!("racing {i}")).await
        }
    });
    let closing = async {
        tokio::time::sleep(Duration::from_millis(40)).await;
        close(&max, id, "lost", "Went elsewhere").await
    };
    let (answers, closed) = tokio::join!(futures::future::join_all(sends), closing);
    closed.expect_ok();
    let mut refused = 0;
    for a in &answers {
        match a.status {
            StatusCode::OK => {}
            StatusCode::CONFLICT => refused += 1,
            other => panic!("unexpected {other}: {:?}", a.body),
        }
    }
    let all = messages(&max.open(id).await);
    let close_at = all
        .iter()
        .position(|m| m["event"]["event"] == "deal_closed")
        .expect("the close's line");
    let racing: Vec<_> = all
        .iter()
        .enumerate()
        .filter(|(_, m)| m["body"].as_str().is_some_and(|b| b.starts_with("racing")))
        .collect();
    assert!(
        racing.iter().all(|(at, _)| *at < close_at),
        "a message stored after the close"
    );
    assert_eq!(racing.len() + refused, answers.len());
}
on_both_dbs!(sends_racing_a_close_land_before_it_or_are_refused);

/// A payment completed at the provider while the deal closed: its checkout cannot be expired,
/// so it stays pending through the close, and its paid event afterwards is recorded (the money
/// is never lost); the open checkouts of the other requests are expired and those canceled.
async fn a_payment_completed_while_the_deal_closes_is_still_recorded_as_paid(db: Db) {
    use crate::fake_stripe::{self, FakeStripe};
    use crate::payments::{signed, stripe_app, webhook};
    use dealchat::server::platform::entities::payment;
    let fake = FakeStripe::default();
    let app = stripe_app(db, &fake).await;
    let (clara, max, id) = deal_chat(&app).await;
    let paying = max.ask_payment_id(id, "Deposit #p 1500 EUR").await;
    let open = max.ask_payment_id(id, "Rest #p 500 EUR").await;
    let unopened = max.ask_payment_id(id, "Extra #p 50 EUR").await;
    clara.checkout_url(paying).await;
    clara.checkout_url(open).await;
    let sessions = fake.all();
    assert_eq!(sessions.len(), 2);
    // The client pays the deposit at Stripe; its event has not arrived yet.
    let paid_session = sessions
        .iter()
        .find(|s| s.form["client_reference_id"] == paying.to_string())
        .unwrap()
        .id
        .clone();
    fake.complete(&paid_session);

    close(&max, id, "won", "").await.expect_ok();
    let status_of = |pid: i64| {
        let db = app.db.clone();
        async move {
            payment::Entity::find_by_id(dealchat::model::ids::PaymentId(pid))
                .one(&db)
                .await
                .unwrap()
                .unwrap()
                .status
                .as_str()
        }
    };
    assert_eq!(
        status_of(paying).await,
        "pending",
        "paid at Stripe: not canceled"
    );
    assert_eq!(status_of(open).await, "canceled");
    assert_eq!(status_of(unopened).await, "canceled");
    let other = fake
        .all()
        .into_iter()
        .find(|s| s.id != paid_session)
        .unwrap();
    assert_eq!(other.status, "expired", "its checkout was closed first");

    // The paid event after the close is recorded, and both sides read it.
    let body = fake_stripe::event(
        "evt_paid_after_close",
        "checkout.session.completed",
        fake.session(&paid_session).json("paid"),
    );
    let answered = webhook(&app, &body, signed(&body)).await;
    assert_eq!(answered.status, StatusCode::OK, "{:?}", answered.body);
    assert_eq!(status_of(paying).await, "paid");
    for who in [&clara, &max] {
        let line = messages(&who.open(id).await)
            .into_iter()
            .rev()
            .find(|m| m["kind"] == "payment_status")
            .unwrap();
        assert_eq!(line["payment"]["id"], paying);
        assert_eq!(line["payment"]["status"], "paid");
    }
    // The chat stays closed.
    conflict(&clara.send(id, &msg_id(), "Paid!").await);
}
on_both_dbs!(a_payment_completed_while_the_deal_closes_is_still_recorded_as_paid);
