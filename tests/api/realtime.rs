//! Long-polling: answers at once with what is waiting, wakes when the other side writes, answers
//! empty at the timeout, and reaches pollers on another server instance through PostgreSQL.

use crate::helpers::{
    Db, TestApp, msg_id, spawn_app, spawn_app_with, spawn_instance, streamed_update,
};
use crate::on_both_dbs;
use serde_json::Value;
use std::time::{Duration, Instant};

fn cursor(update: &Value) -> (i64, i64) {
    (
        update["cursor"]["tick"].as_i64().unwrap(),
        update["cursor"]["after_seq"].as_i64().unwrap(),
    )
}

fn message_bodies(update: &Value) -> Vec<&str> {
    update["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect()
}

/// The texts of an update's messages (a line such as "Mia joined" has none).
fn texts(update: &Value) -> Vec<&str> {
    update["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["body"].as_str())
        .collect()
}

async fn a_poll_answers_at_once_with_what_is_waiting(db: Db) {
    let app = spawn_app(db).await;
    let client = app.signed_up_client("pa@example.com").await;
    let id = client.start_chat("project", "Porch", "hello").await;
    let started = Instant::now();
    let update = client.poll(0, Some(id), 0).await;
    let update = update.expect_ok();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(update["chats"][0]["id"], id);
    assert_eq!(message_bodies(update), vec!["hello"]);
    assert_eq!(cursor(update).1, 1);
}
on_both_dbs!(a_poll_answers_at_once_with_what_is_waiting);

async fn a_waiting_poll_wakes_when_the_other_side_writes(db: Db) {
    let app = spawn_app_with(db, &[("chat.poll_timeout_secs", "20")]).await;
    let client = app.signed_up_client("qi@example.com").await;
    let id = client.start_chat("project", "Patio", "hello").await;
    let mia = app.manager("mia@example.com", "Mia").await;
    mia.accept(id).await.expect_ok();
    let (tick, seq) = cursor(client.poll(0, Some(id), 0).await.expect_ok());

    let waiting = tokio::spawn(async move {
        let started = Instant::now();
        let r = client.poll(tick, Some(id), seq).await;
        (r.expect_ok().clone(), started.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    mia.send(id, &msg_id(), "reply from Mia").await.expect_ok();
    let (update, waited) = waiting.await.unwrap();
    assert_eq!(message_bodies(&update), vec!["reply from Mia"]);
    assert!(waited < Duration::from_secs(5), "woke after {waited:?}");
    assert_eq!(cursor(&update).1, seq + 1);
}
on_both_dbs!(a_waiting_poll_wakes_when_the_other_side_writes);

async fn an_idle_poll_answers_empty_after_the_timeout(db: Db) {
    let app = spawn_app_with(db, &[("chat.poll_timeout_secs", "1")]).await;
    let client = app.signed_up_client("ro@example.com").await;
    let id = client.start_chat("project", "Pergola", "hello").await;
    let (tick, seq) = cursor(client.poll(0, Some(id), 0).await.expect_ok());
    let started = Instant::now();
    let update = client.poll(tick, Some(id), seq).await;
    let update = update.expect_ok();
    // Waits are spread between 70 % and 100 % of the timeout.
    assert!(started.elapsed() >= Duration::from_millis(700));
    assert!(update["messages"].as_array().unwrap().is_empty());
    assert!(update["chats"].as_array().unwrap().is_empty());
    assert_eq!(cursor(update), (tick, seq));
}
on_both_dbs!(an_idle_poll_answers_empty_after_the_timeout);

async fn a_stream_carries_each_change_as_a_line_and_ends_when_its_wait_runs_out(db: Db) {
    let app = spawn_app_with(db, &[("chat.poll_timeout_secs", "3")]).await;
    let client = app.signed_up_client("st@example.com").await;
    let id = client.start_chat("project", "Stairs", "hello").await;
    let mia = app.manager("mia@example.com", "Mia").await;
    mia.accept(id).await.expect_ok();
    let started = Instant::now();
    let mut stream = client.stream(0, Some(id), 0).await;
    assert_eq!(stream.status, 200);
    assert_eq!(stream.headers["content-type"], "application/x-ndjson");
    assert_eq!(stream.headers["cache-control"], "no-store");
    // What is waiting comes at once, as from a poll.
    let first = stream
        .next_within(Duration::from_secs(2))
        .await
        .expect("a line");
    let first = streamed_update(&first);
    assert_eq!(first["chats"][0]["id"], id);
    assert_eq!(texts(first).first().copied(), Some("hello"));
    // Then each message on the same answer, once, in order, with the cursor moving on.
    mia.send(id, &msg_id(), "one").await.expect_ok();
    mia.send(id, &msg_id(), "two").await.expect_ok();
    let (mut seen, mut after_seq) = (Vec::new(), cursor(first).1);
    while seen.len() < 2 {
        let line = stream
            .next_within(Duration::from_secs(2))
            .await
            .expect("a line");
        let update = streamed_update(&line);
        seen.extend(texts(update).iter().map(|b| b.to_string()));
        assert!(cursor(update).1 > after_seq, "{update}");
        after_seq = cursor(update).1;
    }
    assert_eq!(seen, ["one", "two"]);
    assert_eq!(after_seq, cursor(first).1 + 2);
    // The server ends the stream when its wait (70 to 100 % of the timeout) runs out.
    while let Some(line) = stream.next_within(Duration::from_secs(4)).await {
        assert!(texts(streamed_update(&line)).is_empty(), "{line}");
    }
    assert!(
        started.elapsed() >= Duration::from_millis(2100),
        "{:?}",
        started.elapsed()
    );
}
on_both_dbs!(a_stream_carries_each_change_as_a_line_and_ends_when_its_wait_runs_out);

/// A row that a poll's reads find newer than the clock they started from (a commit the hub has
/// not heard of yet) must not move the stream's cursor past it: the page read beside the rows
/// may not hold that commit's message, and a cursor past its tick never asks for it again.
async fn a_row_newer_than_the_clock_leaves_the_cursor_at_the_clock(db: Db) {
    use sea_orm::ConnectionTrait;
    let app = spawn_app_with(db, &[("chat.poll_timeout_secs", "6")]).await;
    let client = app.signed_up_client("nc@example.com").await;
    let id = client.start_chat("project", "Porch", "hello").await;
    let other = client.start_chat("project", "Shed", "hi").await;
    let mia = app.manager("mia@example.com", "Mia").await;
    mia.accept(id).await.expect_ok();
    let mut stream = client.stream(0, Some(id), 0).await;
    let first = stream
        .next_within(Duration::from_secs(2))
        .await
        .expect("a line");
    let (tick, _) = cursor(streamed_update(&first));
    // The other chat's row as a commit not yet heard leaves it: stamped far past the clock.
    let ahead = tick + 1_000;
    app.db
        .execute_unprepared(&format!(
            "UPDATE conversations SET tick = {ahead} WHERE id = {other}"
        ))
        .await
        .unwrap();
    let mut seen = Vec::new();
    for text in ["one", "two"] {
        mia.send(id, &msg_id(), text).await.expect_ok();
        while seen.last().map(String::as_str) != Some(text) {
            // Before the fix, "two" never came: the cursor had moved past its tick.
            let line = stream
                .next_within(Duration::from_secs(3))
                .await
                .expect("a line");
            let update = streamed_update(&line);
            assert!(
                cursor(update).0 < ahead,
                "the cursor stays at the clock, not at the row ahead of it: {update}"
            );
            seen.extend(texts(update).iter().map(|b| b.to_string()));
        }
    }
    assert_eq!(seen, ["one", "two"]);
}
on_both_dbs!(a_row_newer_than_the_clock_leaves_the_cursor_at_the_clock);

async fn inbox_polls_see_new_chats_and_drop_chats_a_colleague_took(db: Db) {
    let app = spawn_app_with(db, &[("chat.poll_timeout_secs", "20")]).await;
    let mia = app.manager("mia@example.com", "Mia").await;
    let max = app.manager("max@example.com", "Max").await;
    let (tick, _) = cursor(mia.poll(0, None, 0).await.expect_ok());

    let inbox = tokio::spawn(async move {
        let r = mia.poll(tick, None, 0).await;
        (mia, r.expect_ok().clone())
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let client = app.signed_up_client("sa@example.com").await;
    let id = client.start_chat("project", "Sauna", "hello").await;
    let (mia, update) = inbox.await.unwrap();
    assert_eq!(update["chats"][0]["id"], id);
    assert!(update["chats"][0]["waiting_since_ms"].is_i64());

    let (tick, _) = cursor(&update);
    let inbox = tokio::spawn(async move { mia.poll(tick, None, 0).await.expect_ok().clone() });
    tokio::time::sleep(Duration::from_millis(200)).await;
    max.accept(id).await.expect_ok();
    let update = inbox.await.unwrap();
    assert_eq!(update["removed"], serde_json::json!([id]));
}
on_both_dbs!(inbox_polls_see_new_chats_and_drop_chats_a_colleague_took);

async fn a_poll_carries_the_deal_only_when_the_deal_changed(db: Db) {
    let app = spawn_app(db).await;
    let client = app.signed_up_client("de@example.com").await;
    let id = client.start_chat("project", "Deck", "hello").await;
    let mia = app.manager("mia@example.com", "Mia").await;
    mia.accept(id).await.expect_ok();
    let (tick, seq) = cursor(client.poll(0, Some(id), 0).await.expect_ok());

    mia.send(id, &msg_id(), "just words").await.expect_ok();
    let update = client.poll(tick, Some(id), seq).await.expect_ok().clone();
    assert_eq!(message_bodies(&update), vec!["just words"]);
    assert!(update["deal"].is_null(), "a message alone resent the deal");

    let (tick, seq) = cursor(&update);
    mia.call(
        "chats/stage",
        &[("conversation_id", &id.to_string()), ("stage", "proposal")],
    )
    .await
    .expect_ok();
    let update = client.poll(tick, Some(id), seq).await.expect_ok().clone();
    assert_eq!(update["deal"]["stage"], "proposal");
    assert_eq!(update["deal"]["owner_name"], "Mia");
}
on_both_dbs!(a_poll_carries_the_deal_only_when_the_deal_changed);

async fn hot_endpoints_answer_bad_arguments_and_strangers_like_server_functions(db: Db) {
    let app = spawn_app(db).await;
    let anonymous = app.client();
    for endpoint in ["chats/poll", "chats/send", "chats/stream"] {
        let r = anonymous.call(endpoint, &[("tick", "0")]).await;
        assert_eq!(r.status, 401, "{endpoint}");
        assert_eq!(r.body, "Unauthenticated", "{endpoint}");
        assert!(r.headers.contains_key("serverfnerror"), "{endpoint}");
    }
    let client = app.signed_up_client("ba@example.com").await;
    for endpoint in ["chats/poll", "chats/stream"] {
        let r = client.call(endpoint, &[("tick", "soon")]).await;
        assert_eq!(r.status, 400, "{endpoint}");
        assert_eq!(r.invalid_field(), Some("arguments"), "{endpoint}");
        let r = client
            .call(endpoint, &[("tick", "-1"), ("after_seq", "0")])
            .await;
        assert_eq!(r.status, 400, "{endpoint}: a negative cursor");
    }
    // Someone else's chat is not found, before any wait.
    let other = app.signed_up_client("bb@example.com").await;
    let theirs = other.start_chat("project", "Porch", "hello").await;
    for endpoint in ["chats/poll", "chats/stream"] {
        let r = client
            .call(
                endpoint,
                &[
                    ("tick", "0"),
                    ("after_seq", "0"),
                    ("conversation_id", &theirs.to_string()),
                ],
            )
            .await;
        assert_eq!(r.status, 404, "{endpoint}");
        assert_eq!(r.body, "NotFound", "{endpoint}");
    }
    let r = client
        .call("chats/send", &[("conversation_id", "1"), ("body", "hi")])
        .await;
    assert_eq!(r.status, 400, "client_msg_id is missing");
}
on_both_dbs!(hot_endpoints_answer_bad_arguments_and_strangers_like_server_functions);

/// Two server instances on one PostgreSQL database: a message sent through one reaches a
/// poller waiting on the other (LISTEN/NOTIFY), well before the poll's timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_sent_on_one_instance_wakes_a_poller_on_another() {
    let a = spawn_app_with(Db::Postgres, &[("chat.poll_timeout_secs", "20")]).await;
    let b_dir = std::env::temp_dir().join(format!("dealchat-test-{}", msg_id()));
    let b: TestApp = spawn_instance(&a.db_url, b_dir, &[("chat.poll_timeout_secs", "20")]).await;

    let client_on_a = a.signed_up_client("ta@example.com").await;
    let id = client_on_a.start_chat("project", "Terrace", "hello").await;
    let client_on_b = b.client();
    client_on_b
        .login("ta@example.com", "client-password-1")
        .await
        .expect_ok();
    let mia_on_a = a.manager("mia@example.com", "Mia").await;
    mia_on_a.accept(id).await.expect_ok();
    let (tick, seq) = cursor(client_on_b.poll(0, Some(id), 0).await.expect_ok());

    let waiting = tokio::spawn(async move {
        let started = Instant::now();
        let r = client_on_b.poll(tick, Some(id), seq).await;
        (r.expect_ok().clone(), started.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    mia_on_a
        .send(id, &msg_id(), "across instances")
        .await
        .expect_ok();
    let (update, waited) = waiting.await.unwrap();
    assert_eq!(message_bodies(&update), vec!["across instances"]);
    assert!(waited < Duration::from_secs(5), "woke after {waited:?}");
}

async fn typing(c: &crate::helpers::Client, id: i64) -> crate::helpers::Reply {
    c.call("chats/typing", &[("conversation_id", &id.to_string())])
        .await
}

/// "Max is typing…": an announcement wakes the other side's poll of the open chat with the
/// writer's name, never the writer's own poll; a second one within the gap is not passed on; only
/// someone who may write in the chat may announce.
async fn typing_reaches_the_other_side_only(db: Db) {
    let app = spawn_app_with(db, &[("chat.poll_timeout_secs", "20")]).await;
    let client = app.signed_up_client("ty@example.com").await;
    let id = client.start_chat("project", "Deck", "hello").await;
    let mia = app.manager("mia@example.com", "Mia").await;
    mia.accept(id).await.expect_ok();
    let (ctick, cseq) = cursor(client.poll(0, Some(id), 0).await.expect_ok());
    let (mtick, mseq) = cursor(mia.poll(0, Some(id), 0).await.expect_ok());

    let client_poll = {
        let client = client.clone();
        tokio::spawn(async move { client.poll(ctick, Some(id), cseq).await.body })
    };
    let mia_poll = {
        let mia = mia.clone();
        tokio::spawn(async move { mia.poll(mtick, Some(id), mseq).await.body })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    typing(&client, id).await.expect_ok();
    let update = tokio::time::timeout(Duration::from_secs(5), mia_poll)
        .await
        .expect("Mia's poll woke")
        .unwrap();
    assert_eq!(update["typing"], "Client Person");
    assert_eq!(update["messages"].as_array().map(Vec::len), Some(0));
    assert_eq!(cursor(&update), (mtick, mseq), "the cursor stays");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !client_poll.is_finished(),
        "the writer heard their own typing"
    );

    // Within the gap: answered, not passed on.
    let mia_poll = {
        let mia = mia.clone();
        tokio::spawn(async move { mia.poll(mtick, Some(id), mseq).await.body })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    typing(&client, id).await.expect_ok();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !mia_poll.is_finished(),
        "a repeat within the gap was passed on"
    );
    mia_poll.abort();

    typing(&mia, id).await.expect_ok();
    let update = tokio::time::timeout(Duration::from_secs(5), client_poll)
        .await
        .expect("the client's poll woke")
        .unwrap();
    assert_eq!(update["typing"], "Mia");

    // A stranger, someone who may read but not write, and nobody signed in.
    let stranger = app.signed_up_client("st@example.com").await;
    assert_eq!(typing(&stranger, id).await.status, 404);
    let waiting = client.start_chat("project", "Shed", "second").await;
    let bo = app.manager("bo@example.com", "Bo").await;
    assert_eq!(typing(&bo, waiting).await.status, 403, "not accepted yet");
    assert_eq!(typing(&bo, id).await.status, 404, "Mia's chat");
    assert_eq!(typing(&app.client(), id).await.status, 401);
    assert_eq!(
        typing(&client, 999_999).await.status,
        404,
        "a chat that does not exist"
    );
}
on_both_dbs!(typing_reaches_the_other_side_only);

/// "Seen": each side's list row carries how far the other side has read, and marking read wakes
/// the other side's poll with it.
async fn each_side_sees_how_far_the_other_has_read(db: Db) {
    let app = spawn_app_with(db, &[("chat.poll_timeout_secs", "20")]).await;
    let client = app.signed_up_client("se@example.com").await;
    let id = client.start_chat("project", "Gazebo", "hello").await;
    let mia = app.manager("mia@example.com", "Mia").await;
    mia.accept(id).await.expect_ok();
    let sent = mia.send(id, &msg_id(), "hi there").await;
    let seq = sent.expect_ok()["seq"].as_i64().unwrap();
    let row = |rows: Vec<Value>| rows.into_iter().find(|r| r["id"] == id).unwrap();
    assert_eq!(row(mia.list().await)["seen_seq"], 0, "not read yet");

    let (tick, after) = cursor(mia.poll(0, Some(id), 0).await.expect_ok());
    let waiting = {
        let mia = mia.clone();
        tokio::spawn(async move { mia.poll(tick, Some(id), after).await.body })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    client
        .call(
            "chats/read",
            &[
                ("conversation_id", &id.to_string()),
                ("seq", &seq.to_string()),
            ],
        )
        .await
        .expect_ok();
    let update = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("Mia's poll woke")
        .unwrap();
    let chat = update["chats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .expect("the chat's row")
        .clone();
    assert_eq!(chat["seen_seq"], seq);
    assert_eq!(row(mia.list().await)["seen_seq"], seq);
    // The client's own marker is not "seen" to them; Mia's marker is.
    assert_eq!(row(client.list().await)["seen_seq"], 0);
    mia.call(
        "chats/read",
        &[
            ("conversation_id", &id.to_string()),
            ("seq", &seq.to_string()),
        ],
    )
    .await
    .expect_ok();
    assert_eq!(row(client.list().await)["seen_seq"], seq);
}
on_both_dbs!(each_side_sees_how_far_the_other_has_read);

/// A typing announcement made on one instance reaches a poller on another (NOTIFY).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_on_one_instance_reaches_a_poller_on_another() {
    let a = spawn_app_with(Db::Postgres, &[("chat.poll_timeout_secs", "20")]).await;
    let b_dir = std::env::temp_dir().join(format!("dealchat-test-{}", msg_id()));
    let b: TestApp = spawn_instance(&a.db_url, b_dir, &[("chat.poll_timeout_secs", "20")]).await;
    let client_on_a = a.signed_up_client("tb@example.com").await;
    let id = client_on_a.start_chat("project", "Arbor", "hello").await;
    let mia_on_a = a.manager("mia@example.com", "Mia").await;
    mia_on_a.accept(id).await.expect_ok();
    let mia_on_b = b.client();
    mia_on_b
        .login("mia@example.com", "manager-password-1")
        .await
        .expect_ok();
    let (tick, seq) = cursor(mia_on_b.poll(0, Some(id), 0).await.expect_ok());
    let waiting = tokio::spawn(async move { mia_on_b.poll(tick, Some(id), seq).await.body });
    tokio::time::sleep(Duration::from_millis(300)).await;
    typing(&client_on_a, id).await.expect_ok();
    let update = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("the poll on the other instance woke")
        .unwrap();
    assert_eq!(update["typing"], "Client Person");
}
