//! Deal chats over HTTP: starting, sending, accepting, stages, limits, search, unread counts.

use crate::helpers::{Client, Db, Reply, bodies, msg_id, spawn_app, spawn_app_with};
use crate::on_both_dbs;
use reqwest::StatusCode;
use std::time::Duration;

async fn project_chat_creates_a_deal_at_inquiry(db: Db) {
    let app = spawn_app(db).await;
    let client = app.signed_up_client("ana@example.com").await;
    let id = client
        .start_chat("project", "Website redesign", "We need a new site.")
        .await;

    let list = client.list().await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], id);
    assert_eq!(list[0]["title"], "Website redesign");
    assert_eq!(list[0]["stage"], "inquiry");
    assert_eq!(
        list[0]["last_message_preview"],
        "Client Person: We need a new site."
    );
    let detail = client.open(id).await;
    assert_eq!(detail["deal"]["stage"], "inquiry");
    assert_eq!(detail["deal"]["client_email"], "ana@example.com");
    assert_eq!(bodies(&detail), vec!["We need a new site."]);
    assert_eq!(detail["can_change_stage"], false);
}
on_both_dbs!(project_chat_creates_a_deal_at_inquiry);

async fn general_question_has_no_deal_until_a_manager_creates_one(db: Db) {
    let app = spawn_app(db).await;
    let client = app.signed_up_client("bo@example.com").await;
    let id = client
        .start_chat("question", "Opening hours", "When are you open?")
        .await;
    assert!(client.open(id).await["deal"].is_null());

    let manager = app.manager("mia@example.com", "Mia").await;
    manager.accept(id).await.expect_ok();
    let deal = manager
        .call(
            "chats/deal/create",
            &[
                ("conversation_id", &id.to_string()),
                ("title", "Office fit-out"),
            ],
        )
        .await;
    assert_eq!(deal.expect_ok()["stage"], "inquiry");
    assert_eq!(deal.body["owner_name"], "Mia");
    let again = manager
        .call(
            "chats/deal/create",
            &[("conversation_id", &id.to_string()), ("title", "Twice")],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    let seen = client.open(id).await;
    assert_eq!(seen["summary"]["title"], "Office fit-out");
    assert!(bodies(&seen).last().unwrap().contains("Office fit-out"));
}
on_both_dbs!(general_question_has_no_deal_until_a_manager_creates_one);

async fn retried_start_creates_one_chat(db: Db) {
    let app = spawn_app(db).await;
    let client = app.signed_up_client("cy@example.com").await;
    let cmid = msg_id();
    let form = [
        ("topic", "project"),
        ("title", "Kitchen"),
        ("body", "Hello"),
        ("client_msg_id", cmid.as_str()),
    ];
    let first = client.call("chats/start", &form).await;
    let second = client.call("chats/start", &form).await;
    assert_eq!(first.expect_ok()["id"], second.expect_ok()["id"]);
    assert_eq!(client.list().await.len(), 1);
}
on_both_dbs!(retried_start_creates_one_chat);

async fn retried_send_is_stored_once(db: Db) {
    let app = spawn_app(db).await;
    let client = app.signed_up_client("di@example.com").await;
    let id = client.start_chat("project", "Roof", "First").await;
    let cmid = msg_id();
    // The same send, several times at once and once more later: one stored message.
    let sends: Vec<_> = (0..4)
        .map(|_| {
            let (client, cmid) = (client.clone(), cmid.clone());
            tokio::spawn(async move { client.send(id, &cmid, "Only once").await })
        })
        .collect();
    let mut replies = Vec::new();
    for send in sends {
        replies.push(send.await.expect("send task"));
    }
    let again = client.send(id, &cmid, "Only once").await;
    let stored_id = again.expect_ok()["id"].clone();
    for r in &replies {
        assert_eq!(r.expect_ok()["id"], stored_id);
    }
    assert_eq!(again.body["seq"], 2);
    assert_eq!(bodies(&client.open(id).await), vec!["First", "Only once"]);
}
on_both_dbs!(retried_send_is_stored_once);

/// A batch is written without looking its sends up first; a retry of a stored send among them
/// rolls it back and it is written again with the lookup. New sends batched beside a retry
/// are stored once each, with no gap in the chat's numbering.
async fn new_sends_batched_with_a_retry_are_stored_once(db: Db) {
    let app = spawn_app(db).await;
    let client = app.signed_up_client("dora@example.com").await;
    let id = client.start_chat("project", "Shed", "First").await;
    let manager = app.manager("max@example.com", "Max").await;
    manager.accept(id).await.expect_ok();
    let retried = msg_id();
    let stored = client.send(id, &retried, "Stored").await.expect_ok()["id"].clone();
    let mut sends = vec![{
        let (client, retried) = (client.clone(), retried.clone());
        tokio::spawn(async move { client.send(id, &retried, "Stored").await })
    }];
    for n in 0..3 {
        let manager = manager.clone();
        sends.push(tokio::spawn(async move {
            manager.send(id, &msg_id(), &format!("new {n}")).await
        }));
    }
    let mut replies = Vec::new();
    for send in sends {
        replies.push(send.await.expect("send task").expect_ok().clone());
    }
    assert_eq!(
        replies[0]["id"], stored,
        "the retry is answered with the stored copy"
    );
    let opened = client.open(id).await;
    let mut bodies = bodies(&opened);
    let mut news = bodies.split_off(bodies.len() - 3);
    news.sort();
    assert_eq!(news, vec!["new 0", "new 1", "new 2"]);
    assert_eq!(bodies.iter().filter(|b| *b == "Stored").count(), 1);
    let seqs: Vec<i64> = opened["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["seq"].as_i64().expect("seq"))
        .collect();
    let numbered: Vec<i64> = (1..=seqs.len() as i64).collect();
    assert_eq!(seqs, numbered, "one number per stored message, no gaps");
}
on_both_dbs!(new_sends_batched_with_a_retry_are_stored_once);

/// A retried send is known by its sender and its client id together: two people who happen to use
/// the same id (sent at once, so often in one write batch) each get their own message.
async fn the_same_client_id_from_two_senders_is_two_messages(db: Db) {
    let app = spawn_app(db).await;
    let client = app.signed_up_client("ida@example.com").await;
    let id = client.start_chat("project", "Porch", "Hi").await;
    let manager = app.manager("mo@example.com", "Mo").await;
    manager.accept(id).await.expect_ok();
    let cmid = msg_id();
    let (from_client, from_manager) = tokio::join!(
        client.send(id, &cmid, "from the client"),
        manager.send(id, &cmid, "from the manager")
    );
    let (c, m) = (from_client.expect_ok(), from_manager.expect_ok());
    assert_ne!(c["id"], m["id"]);
    // Each one's retry finds their own.
    assert_eq!(
        client.send(id, &cmid, "again").await.expect_ok()["id"],
        c["id"]
    );
    assert_eq!(
        manager.send(id, &cmid, "again").await.expect_ok()["id"],
        m["id"]
    );
    let mut stored = bodies(&client.open(id).await);
    stored.sort();
    assert_eq!(
        stored,
        vec![
            "Hi",
            "Mo accepted the chat.",
            "from the client",
            "from the manager"
        ]
    );
}
on_both_dbs!(the_same_client_id_from_two_senders_is_two_messages);

async fn messages_are_numbered_per_chat_without_gaps(db: Db) {
    let app = spawn_app(db).await;
    let client = app.signed_up_client("ed@example.com").await;
    let a = client.start_chat("project", "A", "a1").await;
    let b = client.start_chat("project", "B", "b1").await;
    for i in 2..=4 {
        client
            .send(a, &msg_id(), &format!("a{i}"))
            .await
            .expect_ok();
        client
            .send(b, &msg_id(), &format!("b{i}"))
            .await
            .expect_ok();
    }
    for chat in [a, b] {
        let seqs: Vec<i64> = client.open(chat).await["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["seq"].as_i64().unwrap())
            .collect();
        assert_eq!(seqs, vec![1, 2, 3, 4]);
    }
}
on_both_dbs!(messages_are_numbered_per_chat_without_gaps);

async fn inbox_lists_waiting_chats_first_oldest_first(db: Db) {
    let app = spawn_app(db).await;
    let c1 = app.signed_up_client("f1@example.com").await;
    let c2 = app.signed_up_client("f2@example.com").await;
    let older = c1.start_chat("project", "Older", "x").await;
    let newer = c2.start_chat("project", "Newer", "y").await;
    let taken = c2.start_chat("project", "Taken", "z").await;
    let manager = app.manager("max@example.com", "Max").await;
    manager.accept(taken).await.expect_ok();
    c2.send(taken, &msg_id(), "latest activity")
        .await
        .expect_ok();

    let ids: Vec<i64> = manager
        .list()
        .await
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![older, newer, taken]);
}
on_both_dbs!(inbox_lists_waiting_chats_first_oldest_first);

async fn a_manager_replies_only_after_accepting_and_only_one_accepts(db: Db) {
    let app = spawn_app(db).await;
    let client = app.signed_up_client("gu@example.com").await;
    let id = client.start_chat("project", "Garden", "Hi").await;
    let mia = app.manager("mia@example.com", "Mia").await;
    let max = app.manager("max@example.com", "Max").await;

    assert_eq!(
        mia.send(id, &msg_id(), "too early").await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(mia.accept(id).await.expect_ok()["assignee_name"], "Mia");
    assert_eq!(max.accept(id).await.status, StatusCode::NOT_FOUND);
    mia.send(id, &msg_id(), "Hello, I am Mia").await.expect_ok();
    client.send(id, &msg_id(), "Thanks").await.expect_ok();

    let seen = client.open(id).await;
    assert_eq!(
        bodies(&seen),
        vec!["Hi", "Mia accepted the chat.", "Hello, I am Mia", "Thanks"]
    );
    let sides: Vec<&str> = seen["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["side"].as_str().unwrap())
        .collect();
    assert_eq!(sides, vec!["client", "system", "staff", "client"]);
    assert_eq!(seen["deal"]["owner_name"], "Mia");
}
on_both_dbs!(a_manager_replies_only_after_accepting_and_only_one_accepts);

async fn stage_changes_are_told_in_the_chat_and_only_staff_make_them(db: Db) {
    let app = spawn_app(db).await;
    let client = app.signed_up_client("ha@example.com").await;
    let id = client.start_chat("project", "Boat", "Hi").await;
    let mia = app.manager("mia@example.com", "Mia").await;
    mia.accept(id).await.expect_ok();
    let by_client = move_stage(&client, id, "proposal").await;
    assert_eq!(by_client.status, StatusCode::FORBIDDEN);
    let bad = move_stage(&mia, id, "won").await;
    assert_eq!(bad.invalid_field(), Some("stage"));
    let moved = move_stage(&mia, id, "proposal").await;
    assert_eq!(moved.expect_ok()["stage"], "proposal");

    let seen = client.open(id).await;
    assert_eq!(seen["summary"]["stage"], "proposal");
    assert_eq!(
        bodies(&seen).last().unwrap(),
        "Mia moved the deal from Inquiry to Proposal."
    );
}
on_both_dbs!(stage_changes_are_told_in_the_chat_and_only_staff_make_them);

async fn move_stage(who: &Client, id: i64, stage: &str) -> Reply {
    who.call(
        "chats/stage",
        &[("conversation_id", &id.to_string()), ("stage", stage)],
    )
    .await
}

async fn blank_and_overlong_messages_are_refused(db: Db) {
    let app = spawn_app_with(db, &[("chat.max_message_chars", "20")]).await;
    let client = app.signed_up_client("io@example.com").await;
    let id = client.start_chat("project", "Pool", "Hi").await;
    let blank = client.send(id, &msg_id(), "  \n ").await;
    assert_eq!(blank.status, StatusCode::BAD_REQUEST);
    assert_eq!(blank.invalid_field(), Some("body"));
    let long = client.send(id, &msg_id(), &"x".repeat(21)).await;
    assert_eq!(long.status, StatusCode::BAD_REQUEST);
    assert!(
        long.body.to_string().contains("limited to 20 characters"),
        "{:?}",
        long.body
    );
    assert_eq!(
        client.send(id, &msg_id(), &"x".repeat(20)).await.status,
        StatusCode::OK
    );
    let bad_id = client.send(id, "has spaces", "ok").await;
    assert_eq!(bad_id.invalid_field(), Some("client_msg_id"));
}
on_both_dbs!(blank_and_overlong_messages_are_refused);

async fn sending_too_fast_is_refused_with_the_wait(db: Db) {
    let app = spawn_app_with(
        db,
        &[("chat.sends_per_second", "1"), ("chat.send_burst", "2")],
    )
    .await;
    let client = app.signed_up_client("ju@example.com").await;
    let id = client.start_chat("project", "Shed", "Hi").await;
    client.send(id, &msg_id(), "one").await.expect_ok();
    client.send(id, &msg_id(), "two").await.expect_ok();
    let third = client.send(id, &msg_id(), "three").await;
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        third.body["RateLimited"]["retry_after_ms"]
            .as_u64()
            .unwrap()
            > 0
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client.send(id, &msg_id(), "three").await.expect_ok();
}
on_both_dbs!(sending_too_fast_is_refused_with_the_wait);

async fn search_finds_chats_by_title_and_message_text(db: Db) {
    let app = spawn_app(db).await;
    let client = app.signed_up_client("ka@example.com").await;
    let kitchen = client
        .start_chat("project", "Kitchen remodel", "Oak cabinets please")
        .await;
    let _roof = client
        .start_chat("project", "Roof", "Slate tiles, 100% recycled")
        .await;
    let search = |q: &'static str| {
        let client = &client;
        async move {
            client
                .call("chats/list", &[("search", q)])
                .await
                .expect_ok()
                .as_array()
                .unwrap()
                .len()
        }
    };
    assert_eq!(search("KITCHEN").await, 1);
    assert_eq!(search("oak").await, 1);
    assert_eq!(search("100%").await, 1);
    assert_eq!(search("0%r").await, 0, "% must not act as a wildcard");
    assert_eq!(search("garage").await, 0);
    let hit = client.call("chats/list", &[("search", "cabinets")]).await;
    assert_eq!(hit.expect_ok()[0]["id"], kitchen);
}
on_both_dbs!(search_finds_chats_by_title_and_message_text);

async fn unread_counts_follow_reads(db: Db) {
    let app = spawn_app(db).await;
    let client = app.signed_up_client("lu@example.com").await;
    let id = client.start_chat("project", "Deck", "Hi").await;
    let mia = app.manager("mia@example.com", "Mia").await;
    mia.accept(id).await.expect_ok();
    mia.send(id, &msg_id(), "one").await.expect_ok();
    mia.send(id, &msg_id(), "two").await.expect_ok();
    // Accepted (system), one, two: three unread for the client; their own message never counts.
    assert_eq!(client.list().await[0]["unread"], 3);
    client
        .call(
            "chats/read",
            &[("conversation_id", &id.to_string()), ("seq", "3")],
        )
        .await
        .expect_ok();
    let row = &client.list().await[0];
    assert_eq!(row["unread"], 1);
    assert_eq!(row["last_read_seq"], 3);
    // Reading backwards does not move the marker back.
    client
        .call(
            "chats/read",
            &[("conversation_id", &id.to_string()), ("seq", "1")],
        )
        .await
        .expect_ok();
    assert_eq!(client.list().await[0]["last_read_seq"], 3);
}
on_both_dbs!(unread_counts_follow_reads);

async fn older_messages_page_back_by_sequence(db: Db) {
    let app = spawn_app_with(db, &[("chat.history_page", "3"), ("chat.send_burst", "50")]).await;
    let client = app.signed_up_client("mo@example.com").await;
    let id = client.start_chat("project", "Fence", "m1").await;
    for i in 2..=7 {
        client
            .send(id, &msg_id(), &format!("m{i}"))
            .await
            .expect_ok();
    }
    let detail = client.open(id).await;
    assert_eq!(bodies(&detail), vec!["m5", "m6", "m7"]);
    assert_eq!(detail["has_older"], true);
    let older = client
        .call(
            "chats/history",
            &[("conversation_id", &id.to_string()), ("before_seq", "5")],
        )
        .await;
    let older: Vec<&str> = older
        .expect_ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(older, vec!["m2", "m3", "m4"]);
}
on_both_dbs!(older_messages_page_back_by_sequence);

async fn deals_reach_the_built_in_crm(db: Db) {
    use dealchat::server::crm::builtin::BuiltinCrm;
    use dealchat::server::crm::sync as crm_sync;
    let app = spawn_app(db).await;
    let client = app.signed_up_client("ny@example.com").await;
    let id = client.start_chat("project", "Attic", "Hi").await;
    let mia = app.manager("mia@example.com", "Mia").await;
    mia.accept(id).await.expect_ok();
    mia.call(
        "chats/stage",
        &[
            ("conversation_id", &id.to_string()),
            ("stage", "negotiation"),
        ],
    )
    .await
    .expect_ok();
    mia.call(
        "chats/deal/amount",
        &[
            ("conversation_id", &id.to_string()),
            ("amount", "1500"),
            ("currency", "eur"),
        ],
    )
    .await
    .expect_ok();
    let deal_id =
        dealchat::model::ids::DealId(client.open(id).await["deal"]["id"].as_i64().unwrap());

    let crm = BuiltinCrm::new(app.db.clone());
    let mut copy = None;
    for _ in 0..50 {
        copy = crm_sync::crm_copy(&app.db, &crm, deal_id).await.unwrap();
        if copy.as_ref().is_some_and(|d| d.amount.is_some()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let copy = copy.expect("the deal reached the CRM");
    assert_eq!(copy.title, "Attic");
    assert_eq!(copy.stage.as_str(), "negotiation");
    assert_eq!(copy.owner_email.as_deref(), Some("mia@example.com"));
    assert_eq!(
        copy.amount.map(|m| m.to_string()).as_deref(),
        Some("1,500 EUR")
    );
}
on_both_dbs!(deals_reach_the_built_in_crm);

async fn a_stored_stage_nobody_wrote_is_an_error_not_inquiry(db: Db) {
    use sea_orm::ConnectionTrait;
    let app = spawn_app(db).await;
    let client = app.signed_up_client("cleo@example.com").await;
    let id = client.start_chat("project", "Roof", "Hello").await;
    assert_eq!(client.open(id).await["deal"]["stage"], "inquiry");
    // A row no version of the app wrote (a hand edit, a bad import).
    app.db
        .execute_unprepared("UPDATE deals SET stage = 'won'")
        .await
        .unwrap();
    let opened = client
        .call("chats/open", &[("conversation_id", &id.to_string())])
        .await;
    assert_eq!(
        opened.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "not shown as Inquiry: {:?}",
        opened.body
    );
}
on_both_dbs!(a_stored_stage_nobody_wrote_is_an_error_not_inquiry);

async fn staff_see_other_accounts_that_may_be_the_same_client(db: Db) {
    use sea_orm::ConnectionTrait;
    let app = spawn_app(db).await;
    let ana = app.client();
    ana.signup("ana@acme.com", "Ana Smith", "client-password-1")
        .await
        .expect_ok();
    for (email, name) in [
        ("ana.smith@gmail.com", "ana smith"),
        ("bo@acme.com", "Bo Colleague"),
        ("cy@gmail.com", "Cy Stranger"),
        ("dee@example.org", "Dee Phone"),
    ] {
        app.client()
            .signup(email, name, "client-password-1")
            .await
            .expect_ok();
    }
    // Phones as the built-in CRM holds them, typed differently.
    app.db
        .execute_unprepared(
            "INSERT INTO crm_contacts (name, email, phone, created_at) VALUES \
             ('Ana Smith', 'ana@acme.com', '+49 30 1234-567', CURRENT_TIMESTAMP), \
             ('Dee Phone', 'dee@example.org', '0049 (30) 1234567', CURRENT_TIMESTAMP), \
             ('Cy Stranger', 'cy@gmail.com', '49.30.1234567', CURRENT_TIMESTAMP)",
        )
        .await
        .unwrap();
    let id = ana.start_chat("question", "Prices", "Hello").await;
    let mia = app.manager("mia@example.com", "Mia").await;
    let found = mia
        .call("chats/duplicates", &[("conversation_id", &id.to_string())])
        .await;
    let rows: Vec<(String, Vec<String>)> = found
        .expect_ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let reasons = d["reasons"].as_array().unwrap().iter();
            (
                d["email"].as_str().unwrap().to_owned(),
                reasons.map(|r| r.as_str().unwrap().to_owned()).collect(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                "ana.smith@gmail.com".to_owned(),
                vec!["same name".to_owned()]
            ),
            (
                "bo@acme.com".to_owned(),
                vec!["same email domain (acme.com)".to_owned()]
            ),
            ("cy@gmail.com".to_owned(), vec!["same phone".to_owned()]),
            ("dee@example.org".to_owned(), vec!["same phone".to_owned()]),
        ],
        "+49 and 0049 are one number; a public mail domain names no company"
    );
    // Staff only, and only who may read the chat.
    let refused = ana
        .call("chats/duplicates", &[("conversation_id", &id.to_string())])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    mia.accept(id).await.expect_ok();
    let max = app.manager("max@example.com", "Max").await;
    let stranger = max
        .call("chats/duplicates", &[("conversation_id", &id.to_string())])
        .await;
    assert_eq!(
        stranger.status,
        StatusCode::NOT_FOUND,
        "Max may not read Mia's chat"
    );
    let anonymous = app
        .client()
        .call("chats/duplicates", &[("conversation_id", &id.to_string())])
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}
on_both_dbs!(staff_see_other_accounts_that_may_be_the_same_client);
