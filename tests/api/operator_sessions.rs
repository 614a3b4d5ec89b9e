//! Operator sessions inside one client thread: the operator ends their session, the chat waits
//! for nobody, and the client's next message puts it back in the queue, where the next operator
//! reads the whole thread. Staff see the boundaries; the client never does.

use crate::helpers::{
    Db, bodies, fresh_database, msg_id, spawn_app, spawn_app_with, spawn_instance,
};
use crate::on_both_dbs;
use reqwest::StatusCode;

pub async fn end(who: &crate::helpers::Client, id: i64, note: &str) -> crate::helpers::Reply {
    who.call(
        "chats/end",
        &[("conversation_id", &id.to_string()), ("note", note)],
    )
    .await
}

fn mentions(texts: &[String], needle: &str) -> bool {
    texts.iter().any(|t| t.contains(needle))
}

async fn an_ended_chat_waits_again_when_the_client_writes_and_the_next_operator_reads_it_all(
    db: Db,
) {
    let app = spawn_app(db).await;
    let client = app.signed_up_client("ana@example.com").await;
    let id = client
        .start_chat("project", "Garden", "We need a garden plan.")
        .await;
    let mia = app.manager("mia@example.com", "Mia").await;
    mia.accept(id).await.expect_ok();
    mia.send(id, &msg_id(), "Here are our prices.")
        .await
        .expect_ok();
    end(&mia, id, "  sent the price list ").await.expect_ok();

    // Mia keeps the history but may no longer reply; her session's end is a line only staff see.
    let seen = mia.open(id).await;
    assert_eq!(seen["can_reply"], false);
    assert!(mentions(
        &bodies(&seen),
        "Mia ended the chat. Note: sent the price list"
    ));
    assert_eq!(end(&mia, id, "").await.status, StatusCode::CONFLICT);
    assert_eq!(
        mia.send(id, &msg_id(), "one more").await.status,
        StatusCode::FORBIDDEN
    );

    // Nobody waits for it: a colleague neither lists nor reaches it.
    let max = app.manager("max@example.com", "Max").await;
    assert!(max.list().await.is_empty());
    assert_eq!(max.accept(id).await.status, StatusCode::NOT_FOUND);

    // The client sees one thread, without the staff's line, and keeps writing.
    let theirs = client.open(id).await;
    assert_eq!(theirs["can_reply"], true);
    assert!(!mentions(&bodies(&theirs), "ended"));
    let list = client.list().await;
    assert_eq!(list[0]["last_message_preview"], "Mia: Here are our prices.");
    assert_eq!(list[0]["assignee_name"], "Mia");
    assert_eq!(
        list[0]["last_seq"],
        theirs["messages"].as_array().unwrap().last().unwrap()["seq"]
    );
    client
        .send(id, &msg_id(), "One more question.")
        .await
        .expect_ok();

    // Back in the queue: the next operator sees it waiting, with the whole thread.
    let waiting = max.list().await;
    assert_eq!(waiting.len(), 1);
    assert!(waiting[0]["waiting_since_ms"].is_i64());
    let before = bodies(&max.open(id).await);
    for line in [
        "We need a garden plan.",
        "Here are our prices.",
        "Mia ended the chat. Note: sent the price list",
        "The client wrote again: the chat waits for an operator.",
        "One more question.",
    ] {
        assert!(mentions(&before, line), "{line} in {before:?}");
    }
    max.accept(id).await.expect_ok();
    max.send(id, &msg_id(), "Happy to help.").await.expect_ok();

    // The client's poll and pages carry no staff-only line, and their unread count ignores them.
    let polled = client.poll(0, Some(id), 0).await;
    let polled: Vec<String> = polled.expect_ok()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.to_string())
        .collect();
    assert!(!polled.iter().any(|m| m.contains("session_")), "{polled:?}");
    assert!(!mentions(&bodies(&client.open(id).await), "wrote again"));
    let row = &client.list().await[0];
    assert_eq!(row["last_message_preview"], "Max: Happy to help.");
    assert_eq!(row["assignee_name"], "Max");
}
on_both_dbs!(an_ended_chat_waits_again_when_the_client_writes_and_the_next_operator_reads_it_all);

async fn only_the_chats_operator_ends_it(db: Db) {
    let app = spawn_app(db).await;
    let client = app.signed_up_client("bo@example.com").await;
    let id = client
        .start_chat("question", "Hours", "When are you open?")
        .await;
    let mia = app.manager("mia@example.com", "Mia").await;

    // Waiting: nobody's session to end.
    assert_eq!(end(&mia, id, "").await.status, StatusCode::CONFLICT);
    mia.accept(id).await.expect_ok();
    // The client, a colleague, an admin who does not hold it, and an anonymous visitor.
    assert_eq!(end(&client, id, "").await.status, StatusCode::FORBIDDEN);
    let max = app.manager("max@example.com", "Max").await;
    assert_eq!(end(&max, id, "").await.status, StatusCode::NOT_FOUND);
    let admin = app.admin().await;
    assert_eq!(end(&admin, id, "").await.status, StatusCode::CONFLICT);
    assert_eq!(
        end(&app.client(), id, "").await.status,
        StatusCode::UNAUTHORIZED
    );
    // A note over the limit is refused with its field, and nothing ends.
    let long = end(&mia, id, &"x".repeat(2_001)).await;
    assert_eq!(long.status, StatusCode::BAD_REQUEST);
    assert_eq!(long.invalid_field(), Some("note"));
    assert_eq!(mia.open(id).await["can_reply"], true);
    // Nothing of the refused attempts reached the thread.
    assert!(!mentions(&bodies(&mia.open(id).await), "ended"));
    end(&mia, id, "").await.expect_ok();
    assert!(mentions(
        &bodies(&mia.open(id).await),
        "Mia ended the chat."
    ));
}
on_both_dbs!(only_the_chats_operator_ends_it);

/// Polls `who`'s view of chat `id` until a line containing `needle` appears (up to 15 s).
async fn wait_for_line(who: &crate::helpers::Client, id: i64, needle: &str) -> serde_json::Value {
    for _ in 0..150 {
        let seen = who.open(id).await;
        if mentions(&bodies(&seen), needle) {
            return seen;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!(
        "no line with {needle:?} in chat {id}: {:?}",
        bodies(&who.open(id).await)
    );
}

async fn a_session_nobody_writes_in_closes_as_idle_for_staff_only(db: Db) {
    let app = spawn_app_with(
        db,
        &[("chat.idle_close_secs", "2"), ("jobs.poll_ms", "100")],
    )
    .await;
    let client = app.signed_up_client("cy@example.com").await;
    let id = client
        .start_chat("project", "Roof", "The roof leaks.")
        .await;
    let mia = app.manager("mia@example.com", "Mia").await;
    mia.accept(id).await.expect_ok();
    let started = std::time::Instant::now();
    mia.send(id, &msg_id(), "We will send someone.")
        .await
        .expect_ok();

    wait_for_line(
        &mia,
        id,
        "The chat closed after 2 seconds without a message.",
    )
    .await;
    // Not before the timeout after the last message.
    assert!(started.elapsed() >= std::time::Duration::from_secs(2));
    // The chat's view is read in parts (rights, then lines), so a view taken while the close
    // commits may show the line with the rights of just before: the next one has both.
    let mut seen = mia.open(id).await;
    for _ in 0..50 {
        if seen["can_reply"] == false {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        seen = mia.open(id).await;
    }
    assert_eq!(seen["can_reply"], false);
    // Nothing changed for the client, whose next message puts the chat back in the queue.
    let theirs = client.open(id).await;
    assert_eq!(theirs["can_reply"], true);
    assert!(!mentions(&bodies(&theirs), "closed after"));
    client
        .send(id, &msg_id(), "Still leaking.")
        .await
        .expect_ok();
    let max = app.manager("max@example.com", "Max").await;
    assert_eq!(max.list().await.len(), 1);
    max.accept(id).await.expect_ok();
    // Ending a chat that closed as idle meanwhile is refused with a clear message.
    assert_eq!(end(&mia, id, "").await.status, StatusCode::CONFLICT);
}
on_both_dbs!(a_session_nobody_writes_in_closes_as_idle_for_staff_only);

async fn a_pending_idle_close_survives_a_restart(db: Db) {
    let (url, data_dir) = fresh_database(db).await;
    // The first instance runs no jobs: as if it stopped before the session turned idle.
    let first = spawn_instance(
        &url,
        data_dir.clone(),
        &[("jobs.run", "false"), ("chat.idle_close_secs", "2")],
    )
    .await;
    let client = first.signed_up_client("di@example.com").await;
    let id = client
        .start_chat("question", "Hours", "Open on Sunday?")
        .await;
    let mia = first.manager("mia@example.com", "Mia").await;
    mia.accept(id).await.expect_ok();

    let second = spawn_instance(
        &url,
        data_dir,
        &[("chat.idle_close_secs", "2"), ("jobs.poll_ms", "100")],
    )
    .await;
    let mia_again = second.client();
    mia_again
        .login("mia@example.com", "manager-password-1")
        .await
        .expect_ok();
    wait_for_line(&mia_again, id, "The chat closed after 2 seconds").await;
}
on_both_dbs!(a_pending_idle_close_survives_a_restart);
