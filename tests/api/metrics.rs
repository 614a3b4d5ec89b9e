//! Operator metrics: per session wait, first response, handle time and messages; per queue and
//! per operator the median and 90th percentile, for a range of days; administrators only.

use crate::helpers::{Client, Db, msg_id, spawn_app};
use crate::on_both_dbs;
use chrono::{DateTime, Duration, Utc};
use dealchat::server::realtime::changes::stmt;
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::Value;

async fn metrics(who: &Client, from: &str, to: &str) -> crate::helpers::Reply {
    who.call(
        "admin/metrics",
        &[("from", from), ("to", to), ("offset_min", "0")],
    )
    .await
}

fn row<'a>(rows: &'a Value, label: &str) -> &'a Value {
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r["label"] == label)
        .unwrap_or_else(|| panic!("no row {label} in {rows}"))
}

fn ms(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not a duration: {v}"))
}

async fn a_session_is_measured_from_waiting_to_its_close(db: Db) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let mia = app.manager("mia@example.com", "Mia").await;
    let client = app.signed_up_client("me@example.com").await;
    let id = client.start_chat("project", "Pergola", "hello").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    mia.accept(id).await.expect_ok();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    mia.send(id, &msg_id(), "hi").await.expect_ok();
    client.send(id, &msg_id(), "thanks").await.expect_ok();
    mia.call(
        "chats/end",
        &[("conversation_id", &id.to_string()), ("note", "")],
    )
    .await
    .expect_ok();
    // The client writes again: a new session that nobody has taken yet.
    client
        .send(id, &msg_id(), "one more thing")
        .await
        .expect_ok();
    client.start_chat("question", "Gutter", "a question").await;

    let report = metrics(&admin, "", "").await.expect_ok().clone();
    let total = &report["total"];
    assert_eq!(total["sessions"], 3);
    assert_eq!(total["answered"], 1);
    assert_eq!(
        total["messages"], 5,
        "people's messages, not the product's lines"
    );
    let wait = ms(&total["wait_p50_ms"]);
    assert!((300..10_000).contains(&wait), "wait {wait}");
    let first = ms(&total["first_response_p50_ms"]);
    assert!(
        first >= wait + 200,
        "first response {first} after a wait of {wait}"
    );
    assert!(ms(&total["handle_p50_ms"]) >= 200);

    let mia_row = &row(&report["by_operator"], "Mia")["figures"];
    assert_eq!(mia_row["sessions"], 1);
    assert_eq!(mia_row["messages"], 3, "hello, hi, thanks");
    assert_eq!(
        row(&report["by_operator"], "Not taken")["figures"]["sessions"],
        2
    );
    let queues = report["by_queue"].as_array().unwrap();
    assert_eq!(queues.len(), 1, "{queues:?}");
    assert_eq!(queues[0]["figures"]["sessions"], 3);

    let sessions = report["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 3);
    assert_eq!(sessions[0]["title"], "Gutter", "newest first");
    assert_eq!(sessions[0]["close_reason"], Value::Null);
    let reopened = &sessions[1];
    assert_eq!(reopened["title"], "Pergola");
    assert_eq!(
        reopened["messages"], 1,
        "only what came after the first session closed"
    );
    let ended = &sessions[2];
    assert_eq!(ended["operator"], "Mia");
    assert_eq!(ended["close_reason"], "ended");
    assert_eq!(ended["messages"], 3);

    // Days without sessions.
    let empty = metrics(&admin, "2026-01-01", "2026-01-31").await;
    assert_eq!(empty.expect_ok()["total"]["sessions"], 0);
    assert_eq!(empty.body["total"]["wait_p50_ms"], Value::Null);
}
on_both_dbs!(a_session_is_measured_from_waiting_to_its_close);

/// Ten sessions with waits of 1 … 10 s: the median is the 5th, the 90th percentile the 9th
/// (nearest rank), per operator as in total; sessions outside the range do not count.
async fn percentiles_are_nearest_rank_over_the_range(db: Db) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let mia = app.manager("mia@example.com", "Mia").await;
    let client = app.signed_up_client("pc@example.com").await;
    let id = client.start_chat("project", "Carport", "hello").await;
    mia.accept(id).await.expect_ok();
    let backend = app.db.get_database_backend();
    let ids = app
        .db
        .query_one_raw(stmt(
            backend,
            "SELECT c.queue_id, u.id AS mia FROM conversations c, users u \
             WHERE c.id = ? AND u.email = 'mia@example.com'",
            [id.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    let queue: i64 = ids.try_get("", "queue_id").unwrap();
    let operator: i64 = ids.try_get("", "mia").unwrap();
    let noon: DateTime<Utc> = "2026-01-10T12:00:00Z".parse().unwrap();
    // Ten sessions from 13:00 to 22:00 UTC, and an eleventh at 23:30 UTC: still 10 January in
    // UTC, already the 11th in Berlin (UTC+1).
    for i in 1..=11i64 {
        let opened = match i {
            11 => noon + Duration::minutes(11 * 60 + 30),
            _ => noon + Duration::hours(i),
        };
        let assigned = opened + Duration::seconds(i);
        app.db
            .execute_raw(stmt(
                backend,
                "INSERT INTO operator_sessions (conversation_id, operator_id, opened_at, \
                 assigned_at, first_response_at, closed_at, close_reason, queue_id) \
                 VALUES (?, ?, ?, ?, ?, ?, 'ended', ?)",
                [
                    id.into(),
                    operator.into(),
                    opened.into(),
                    assigned.into(),
                    (assigned + Duration::seconds(1)).into(),
                    (assigned + Duration::seconds(60)).into(),
                    queue.into(),
                ],
            ))
            .await
            .unwrap();
    }
    let in_berlin = |from: &'static str| {
        let admin = admin.clone();
        async move {
            admin
                .call(
                    "admin/metrics",
                    &[("from", from), ("to", from), ("offset_min", "60")],
                )
                .await
        }
    };
    let report = in_berlin("2026-01-10").await;
    let report = report.expect_ok();
    for figures in [
        &report["total"],
        &row(&report["by_operator"], "Mia")["figures"],
    ] {
        assert_eq!(figures["sessions"], 10);
        assert_eq!(figures["answered"], 10);
        assert_eq!(figures["wait_p50_ms"], 5_000);
        assert_eq!(figures["wait_p90_ms"], 9_000);
        assert_eq!(figures["first_response_p50_ms"], 6_000);
        assert_eq!(figures["first_response_p90_ms"], 10_000);
        assert_eq!(figures["handle_p50_ms"], 60_000);
    }
    assert_eq!(
        in_berlin("2026-01-11").await.expect_ok()["total"]["sessions"],
        1
    );
    let utc = metrics(&admin, "2026-01-10", "2026-01-10").await;
    assert_eq!(utc.expect_ok()["total"]["sessions"], 11);
    assert_eq!(utc.body["total"]["wait_p50_ms"], 6_000, "the 6th of 11");
    let next_day = metrics(&admin, "2026-01-11", "2026-01-11").await;
    assert_eq!(next_day.expect_ok()["total"]["sessions"], 0);
}
on_both_dbs!(percentiles_are_nearest_rank_over_the_range);

async fn only_administrators_see_metrics_and_bad_ranges_are_refused(db: Db) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let mia = app.manager("mia@example.com", "Mia").await;
    let client = app.signed_up_client("mc@example.com").await;
    assert_eq!(metrics(&mia, "", "").await.status, StatusCode::FORBIDDEN);
    assert_eq!(metrics(&client, "", "").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        metrics(&app.client(), "", "").await.status,
        StatusCode::UNAUTHORIZED
    );
    let bad = metrics(&admin, "3.12.2026", "").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.invalid_field(), Some("from"));
    let backwards = metrics(&admin, "2026-12-03", "2026-12-01").await;
    assert_eq!(backwards.invalid_field(), Some("from"));
    let long = metrics(&admin, "2024-01-01", "2026-12-01").await;
    assert_eq!(long.invalid_field(), Some("from"));
    let zone = admin
        .call(
            "admin/metrics",
            &[("from", ""), ("to", ""), ("offset_min", "9999")],
        )
        .await;
    assert_eq!(zone.invalid_field(), Some("offset"));
}
on_both_dbs!(only_administrators_see_metrics_and_bad_ranges_are_refused);
