//! Transfer: the chat's operator hands it to an available colleague with room, or into a queue,
//! with a note the next operator reads; refusals say why and change nothing.

use crate::helpers::{Client, Db, TestApp, bodies, msg_id, spawn_app};
use crate::on_both_dbs;
use reqwest::StatusCode;
use serde_json::Value;

async fn transfer(who: &Client, id: i64, to: &str, note: &str) -> crate::helpers::Reply {
    who.call(
        "chats/transfer",
        &[
            ("conversation_id", &id.to_string()),
            ("to", to),
            ("note", note),
        ],
    )
    .await
}

async fn user_id(admin: &Client, name: &str) -> String {
    let view = admin.call("admin/queues", &[]).await.expect_ok().clone();
    view["operators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == name)
        .unwrap()["id"]
        .to_string()
}

async fn load(who: &Client) -> Value {
    who.call("queues/console", &[]).await.expect_ok()["me"]["open_sessions"].clone()
}

/// A client's chat held by Mia; returns the client, Mia and the chat.
async fn held_chat(app: &TestApp) -> (Client, Client, i64) {
    let client = app.signed_up_client("ana@example.com").await;
    let id = client
        .start_chat("project", "Kitchen", "A new kitchen, please.")
        .await;
    let mia = app.manager("mia@example.com", "Mia").await;
    mia.accept(id).await.expect_ok();
    (client, mia, id)
}

async fn a_chat_handed_to_an_available_colleague_is_theirs_with_the_note(db: Db) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let (client, mia, id) = held_chat(&app).await;
    let max = app.manager("max@example.com", "Max").await;
    max.call("queues/status", &[("status", "available")])
        .await
        .expect_ok();
    let to = format!("operator:{}", user_id(&admin, "Max").await);
    // The picker lists Max as able to take it.
    let targets = mia
        .call(
            "chats/transfer_targets",
            &[("conversation_id", &id.to_string())],
        )
        .await;
    let listed = targets.expect_ok()["operators"].as_array().unwrap().clone();
    assert!(listed.iter().any(|o| o["name"] == "Max"), "{listed:?}");

    transfer(&mia, id, &to, "Wants oak cabinets.")
        .await
        .expect_ok();
    let his = max.open(id).await;
    assert_eq!(his["can_reply"], true);
    assert!(
        bodies(&his)
            .contains(&"Mia transferred the chat to Max. Note: Wants oak cabinets.".to_owned()),
        "{:?}",
        bodies(&his)
    );
    assert!(bodies(&his).contains(&"A new kitchen, please.".to_owned()));
    // Mia keeps the history, not the chat; the counters moved with it.
    assert_eq!(mia.open(id).await["can_reply"], false);
    assert_eq!(load(&mia).await, 0);
    assert_eq!(load(&max).await, 1);
    // The client sees one thread with their new manager, and no line about it.
    let theirs = client.open(id).await;
    assert!(!bodies(&theirs).iter().any(|b| b.contains("transferred")));
    assert_eq!(client.list().await[0]["assignee_name"], "Max");
    max.send(id, &msg_id(), "Oak it is.").await.expect_ok();
    // Handing on what is no longer hers is refused.
    assert_eq!(
        transfer(&mia, id, &to, "").await.status,
        StatusCode::CONFLICT
    );
}
on_both_dbs!(a_chat_handed_to_an_available_colleague_is_theirs_with_the_note);

async fn a_transfer_nobody_can_take_is_refused_with_the_reason_and_changes_nothing(db: Db) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let (client, mia, id) = held_chat(&app).await;
    let max = app.manager("max@example.com", "Max").await;
    let max_id = user_id(&admin, "Max").await;
    let to_max = format!("operator:{max_id}");

    // Max never opened his console: not present.
    let gone = transfer(&mia, id, &to_max, "").await;
    assert_eq!(gone.status, StatusCode::CONFLICT);
    assert!(
        gone.body.to_string().contains("Max's console is not open."),
        "{:?}",
        gone.body
    );
    // Away.
    max.call("queues/status", &[("status", "away")])
        .await
        .expect_ok();
    let away = transfer(&mia, id, &to_max, "").await;
    assert!(
        away.body.to_string().contains("Max is away."),
        "{:?}",
        away.body
    );
    // Available but full.
    max.call("queues/status", &[("status", "available")])
        .await
        .expect_ok();
    admin
        .call(
            "admin/operators/capacity",
            &[("user_id", &max_id), ("capacity", "1")],
        )
        .await
        .expect_ok();
    let other = app.signed_up_client("bo@example.com").await;
    let second = other.start_chat("question", "Hours", "Open today?").await;
    max.accept(second).await.expect_ok();
    let full = transfer(&mia, id, &to_max, "").await;
    assert!(
        full.body
            .to_string()
            .contains("Max already has 1 of 1 chats."),
        "{:?}",
        full.body
    );
    // Unknown or impossible targets.
    let client_id = client.me().await["id"].to_string();
    let mia_id = user_id(&admin, "Mia").await;
    for to in [
        "operator:999999".to_owned(),
        format!("operator:{client_id}"),
        format!("operator:{mia_id}"),
        "queue:999999".to_owned(),
        "team:1".to_owned(),
        String::new(),
    ] {
        let r = transfer(&mia, id, &to, "").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{to}: {:?}", r.body);
        assert_eq!(r.invalid_field(), Some("to"));
    }
    let long = transfer(&mia, id, &to_max, &"x".repeat(2_001)).await;
    assert_eq!(long.invalid_field(), Some("note"));
    // Nothing happened: Mia still holds it, the thread has no transfer line, counters as before.
    let hers = mia.open(id).await;
    assert_eq!(hers["can_reply"], true);
    assert!(!bodies(&hers).iter().any(|b| b.contains("transferred")));
    assert_eq!(load(&mia).await, 1);
    assert_eq!(load(&max).await, 1);

    // Only the chat's operator hands it on.
    let anonymous = app.client();
    assert_eq!(
        transfer(&client, id, &to_max, "").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        transfer(&max, id, &to_max, "").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        transfer(&admin, id, &to_max, "").await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        transfer(&anonymous, id, &to_max, "").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        max.call(
            "chats/transfer_targets",
            &[("conversation_id", &id.to_string())]
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}
on_both_dbs!(a_transfer_nobody_can_take_is_refused_with_the_reason_and_changes_nothing);

async fn a_chat_put_in_another_queue_waits_there_for_its_team_with_the_note(db: Db) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let (client, mia, id) = held_chat(&app).await;
    let cy = app.manager("cy@example.com", "Cy").await;
    let max = app.manager("max@example.com", "Max").await;
    let sales = admin
        .call("admin/teams/create", &[("name", "Sales")])
        .await
        .expect_ok()
        .to_string();
    let cy_id = user_id(&admin, "Cy").await;
    admin
        .call(
            "admin/teams/member",
            &[("team_id", &sales), ("user_id", &cy_id), ("member", "true")],
        )
        .await
        .expect_ok();
    let queue = admin
        .call(
            "admin/queues/save",
            &[
                ("name", "Sales"),
                ("team_id", &sales),
                ("routing", "all"),
                ("timeout_minutes", "60"),
            ],
        )
        .await
        .expect_ok()
        .to_string();

    transfer(&mia, id, &format!("queue:{queue}"), "Asks for a discount.")
        .await
        .expect_ok();
    // It waits in Sales: Cy (in the team) sees and takes it, Max (not in it) does not see it.
    let waiting = cy.list().await;
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0]["queue_name"], "Sales");
    assert!(max.list().await.is_empty());
    assert_eq!(max.accept(id).await.status, StatusCode::NOT_FOUND);
    cy.accept(id).await.expect_ok();
    let his = cy.open(id).await;
    for line in [
        "A new kitchen, please.",
        "Mia moved the chat to the Sales queue. Note: Asks for a discount.",
    ] {
        assert!(
            bodies(&his).contains(&line.to_owned()),
            "{line}: {:?}",
            bodies(&his)
        );
    }
    assert!(
        !bodies(&client.open(id).await)
            .iter()
            .any(|b| b.contains("queue"))
    );
    assert_eq!(load(&mia).await, 0);
}
on_both_dbs!(a_chat_put_in_another_queue_waits_there_for_its_team_with_the_note);
