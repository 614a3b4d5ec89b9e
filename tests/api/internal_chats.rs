//! Internal chats: personal chats (one per pair; a client only with staff they share a deal chat
//! with), group chats with member roles, team expansion, the default role setting, and every
//! endpoint tried as a non-member (an app admin too), a viewer, a removed member and anonymous.

use crate::files::{Announce, pseudo_random};
use crate::helpers::{Client, Db, bodies, msg_id, spawn_app, streamed_update};
use crate::on_both_dbs;
use reqwest::StatusCode;
use serde_json::Value;

async fn id_of(who: &Client) -> i64 {
    who.me().await["id"].as_i64().expect("an id")
}

fn ids(list: &[i64]) -> String {
    list.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// A group made by `by` with these people; its id.
async fn group(by: &Client, title: &str, users: &[i64], teams: &[i64]) -> i64 {
    let users = ids(users);
    let teams = ids(teams);
    let made = by
        .call(
            "internal/group/create",
            &[("title", title), ("user_ids", &users), ("team_ids", &teams)],
        )
        .await;
    made.expect_ok()["id"].as_i64().expect("the chat's id")
}

async fn open(who: &Client, id: i64) -> crate::helpers::Reply {
    who.call("internal/open", &[("conversation_id", &id.to_string())])
        .await
}

/// The roles of the chat's members by name.
fn roles(detail: &Value) -> Vec<(String, String)> {
    detail["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap().to_owned(),
                m["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn personal_chats_are_one_per_pair_and_clients_reach_only_their_staff(db: Db) {
    let app = spawn_app(db).await;
    let ana = app.manager("ana@example.com", "Ana").await;
    let bo = app.manager("bo@example.com", "Bo").await;
    let bo_id = id_of(&bo).await;
    let ana_id = id_of(&ana).await;

    let first = ana
        .call("internal/direct", &[("user_id", &bo_id.to_string())])
        .await;
    let chat = first.expect_ok()["id"].as_i64().unwrap();
    assert_eq!(first.body["title"], "Bo");
    assert_eq!(first.body["kind"], "direct");
    // Again, and from the other side: the same chat.
    for (who, other) in [(&ana, bo_id), (&bo, ana_id)] {
        let again = who
            .call("internal/direct", &[("user_id", &other.to_string())])
            .await;
        assert_eq!(again.expect_ok()["id"].as_i64(), Some(chat));
    }
    assert_eq!(
        ana.call("internal/direct", &[("user_id", &ana_id.to_string())])
            .await
            .status,
        StatusCode::BAD_REQUEST
    );

    // Bo writes; Ana's tab counts it unread and her poll hears of it.
    let before = ana.poll(0, None, 0).await.expect_ok()["cursor"]["tick"]
        .as_i64()
        .unwrap();
    bo.send(chat, &msg_id(), "Lunch at noon?").await.expect_ok();
    let update = ana.poll(before, None, 0).await;
    let rows = update.expect_ok()["internal"].as_array().cloned().unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["unread"], 1);
    let detail = open(&ana, chat).await;
    assert_eq!(bodies(detail.expect_ok()), vec!["Lunch at noon?"]);
    // The tab's search finds a personal chat by the other person's name, for each side.
    let found = |who: Client, text: &'static str| async move {
        let list = who.call("internal/list", &[("search", text)]).await;
        list.expect_ok()
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["id"].as_i64().unwrap(),
                    c["title"].as_str().unwrap().to_owned(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        found(ana.clone(), "BO").await,
        vec![(chat, "Bo".to_owned())]
    );
    assert_eq!(
        found(bo.clone(), "an").await,
        vec![(chat, "Ana".to_owned())]
    );
    assert_eq!(
        found(ana.clone(), "an").await,
        vec![],
        "not by the reader's own name"
    );

    // A client reaches staff only once they share a deal chat.
    let clara = app.signed_up_client("clara@example.com").await;
    let to_ana = [("user_id", ana_id.to_string())];
    let to_ana: Vec<(&str, &str)> = to_ana.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        clara.call("internal/direct", &to_ana).await.status,
        StatusCode::NOT_FOUND
    );
    let people = clara.call("internal/people", &[("search", "")]).await;
    assert_eq!(people.expect_ok().as_array().map(Vec::len), Some(0));
    let deal_chat = clara.start_chat("project", "Roof", "Hello").await;
    ana.accept(deal_chat).await.expect_ok();
    let people = clara.call("internal/people", &[("search", "")]).await;
    let names: Vec<&str> = people
        .expect_ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Ana"]);
    let with_ana = clara.call("internal/direct", &to_ana).await;
    assert_eq!(with_ana.expect_ok()["title"], "Ana");
    // Not Bo, whom she shares nothing with.
    assert_eq!(
        clara
            .call("internal/direct", &[("user_id", &bo_id.to_string())])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Staff start one with any active user, a client too.
    let clara_id = id_of(&clara).await;
    bo.call("internal/direct", &[("user_id", &clara_id.to_string())])
        .await
        .expect_ok();
}
on_both_dbs!(personal_chats_are_one_per_pair_and_clients_reach_only_their_staff);

async fn groups_take_teams_as_they_are_and_new_members_get_the_default_role(db: Db) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let ana = app.manager("ana@example.com", "Ana").await;
    let bo = app.manager("bo@example.com", "Bo").await;
    let cy = app.manager("cy@example.com", "Cy").await;
    let di = app.manager("di@example.com", "Di").await;
    let (bo_id, cy_id, di_id) = (id_of(&bo).await, id_of(&cy).await, id_of(&di).await);
    let team = admin
        .call("admin/teams/create", &[("name", "Roofers")])
        .await
        .expect_ok()
        .as_i64()
        .unwrap();
    for member in [bo_id, cy_id] {
        admin
            .call(
                "admin/teams/member",
                &[
                    ("team_id", &team.to_string()),
                    ("user_id", &member.to_string()),
                    ("member", "true"),
                ],
            )
            .await
            .expect_ok();
    }

    let chat = group(&ana, "Roof project", &[], &[team]).await;
    let detail = open(&ana, chat).await;
    let detail = detail.expect_ok();
    assert_eq!(
        roles(detail),
        vec![
            ("Ana".into(), "admin".into()),
            ("Bo".into(), "member".into()),
            ("Cy".into(), "member".into()),
        ]
    );
    assert_eq!(
        bodies(detail),
        vec!["Ana created “Roof project”.", "Ana added Bo and Cy."]
    );
    // A later change of the team does not change the chat.
    admin
        .call(
            "admin/teams/member",
            &[
                ("team_id", &team.to_string()),
                ("user_id", &di_id.to_string()),
                ("member", "true"),
            ],
        )
        .await
        .expect_ok();
    assert_eq!(open(&di, chat).await.status, StatusCode::NOT_FOUND);

    // The default role is the admin's to set: viewer from now on.
    for who in [&ana, &bo] {
        assert_eq!(
            who.call(
                "admin/internal/settings/save",
                &[("default_role", "viewer")]
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(
        admin
            .call("admin/internal/settings/save", &[("default_role", "owner")])
            .await
            .invalid_field(),
        Some("role")
    );
    let saved = admin
        .call(
            "admin/internal/settings/save",
            &[("default_role", "viewer")],
        )
        .await;
    assert_eq!(saved.expect_ok()["default_role"], "viewer");
    ana.call(
        "internal/members/add",
        &[
            ("conversation_id", &chat.to_string()),
            ("user_ids", &di_id.to_string()),
        ],
    )
    .await
    .expect_ok();
    let detail = open(&di, chat).await;
    assert!(
        roles(detail.expect_ok()).contains(&("Di".into(), "viewer".into())),
        "{:?}",
        detail.body
    );
    assert_eq!(detail.body["can_write"], false);
    assert_eq!(
        bodies(&detail.body).last().map(String::as_str),
        Some("Ana added Di.")
    );

    // Clients may not create groups; a group needs a name; unknown people are named.
    let clara = app.signed_up_client("clara@example.com").await;
    assert_eq!(
        clara
            .call("internal/group/create", &[("title", "Mine")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        ana.call("internal/group/create", &[("title", "  ")])
            .await
            .invalid_field(),
        Some("title")
    );
    assert_eq!(
        ana.call(
            "internal/group/create",
            &[("title", "Ghosts"), ("user_ids", "999999")]
        )
        .await
        .invalid_field(),
        Some("user_ids")
    );
}
on_both_dbs!(groups_take_teams_as_they_are_and_new_members_get_the_default_role);

/// Every endpoint as a non-member (the app's admin too), a viewer, a member who is not the chat's
/// admin, a removed member and anonymous; a closed chat is read-only.
async fn only_members_reach_a_group_and_each_by_their_role(db: Db) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let ana = app.manager("ana@example.com", "Ana").await;
    let bo = app.manager("bo@example.com", "Bo").await;
    let clara = app.signed_up_client("clara@example.com").await;
    let eve = app.manager("eve@example.com", "Eve").await;
    let (bo_id, clara_id) = (id_of(&bo).await, id_of(&clara).await);
    let chat = group(&ana, "Roof project", &[bo_id, clara_id], &[]).await;
    let c = chat.to_string();
    ana.call(
        "internal/members/role",
        &[
            ("conversation_id", &c),
            ("user_id", &clara_id.to_string()),
            ("role", "viewer"),
        ],
    )
    .await
    .expect_ok();
    ana.send(chat, &msg_id(), "Welcome").await.expect_ok();

    // Strangers, the app's admin among them, cannot tell the chat exists.
    let anonymous = app.client();
    let manage: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("internal/open", vec![("conversation_id", c.clone())]),
        (
            "chats/history",
            vec![("conversation_id", c.clone()), ("before_seq", "10".into())],
        ),
        (
            "chats/read",
            vec![("conversation_id", c.clone()), ("seq", "1".into())],
        ),
        (
            "chats/send",
            vec![
                ("conversation_id", c.clone()),
                ("client_msg_id", msg_id()),
                ("body", "hi".into()),
            ],
        ),
        (
            "internal/group/rename",
            vec![("conversation_id", c.clone()), ("title", "Mine".into())],
        ),
        (
            "internal/members/add",
            vec![
                ("conversation_id", c.clone()),
                ("user_ids", bo_id.to_string()),
            ],
        ),
        (
            "internal/members/remove",
            vec![
                ("conversation_id", c.clone()),
                ("user_id", bo_id.to_string()),
            ],
        ),
        (
            "internal/members/role",
            vec![
                ("conversation_id", c.clone()),
                ("user_id", bo_id.to_string()),
                ("role", "admin".into()),
            ],
        ),
        ("internal/group/close", vec![("conversation_id", c.clone())]),
    ];
    for (endpoint, form) in &manage {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        for (who, status) in [
            (&admin, StatusCode::NOT_FOUND),
            (&eve, StatusCode::NOT_FOUND),
            (&anonymous, StatusCode::UNAUTHORIZED),
        ] {
            assert_eq!(who.call(endpoint, &form).await.status, status, "{endpoint}");
        }
    }
    // The streamed poll on the chat, likewise; the viewer's streams what is there.
    for (who, status) in [
        (&admin, StatusCode::NOT_FOUND),
        (&eve, StatusCode::NOT_FOUND),
        (&anonymous, StatusCode::UNAUTHORIZED),
    ] {
        assert_eq!(who.stream(0, Some(chat), 0).await.status, status);
    }
    let mut viewing = clara.stream(0, Some(chat), 0).await;
    assert_eq!(viewing.status, StatusCode::OK);
    let line = viewing
        .next_within(std::time::Duration::from_secs(5))
        .await
        .expect("a line");
    let texts: Vec<&str> = streamed_update(&line)["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["body"].as_str())
        .collect();
    assert!(texts.contains(&"Welcome"), "{line}");
    drop(viewing);
    assert!(
        admin
            .call("internal/list", &[])
            .await
            .expect_ok()
            .as_array()
            .unwrap()
            .is_empty(),
        "an admin's tab lists no chat they are not in"
    );
    assert!(
        admin
            .call("chats/list", &[])
            .await
            .expect_ok()
            .as_array()
            .unwrap()
            .iter()
            .all(|row| row["id"].as_i64() != Some(chat)),
        "the deal chats' list shows no internal chat"
    );

    // The viewer reads but neither writes nor shares a file; members write but do not manage.
    let read = open(&clara, chat).await;
    assert_eq!(
        bodies(read.expect_ok()).last().map(String::as_str),
        Some("Welcome")
    );
    assert_eq!(read.body["can_write"], false);
    assert_eq!(
        clara.send(chat, &msg_id(), "May I?").await.status,
        StatusCode::FORBIDDEN
    );
    let file = pseudo_random(100, 3);
    let share = Announce {
        purpose: "share",
        content_type: "image/png",
        ..crate::files::folder(chat, "shot.png", 100)
    };
    assert_eq!(
        clara.create_upload(&share).await.status,
        StatusCode::FORBIDDEN
    );
    // A member shares an image in the chat.
    bo.upload(share, &file, 100).await;
    let shared = open(&ana, chat).await;
    let last = shared.expect_ok()["messages"]
        .as_array()
        .unwrap()
        .last()
        .cloned()
        .unwrap();
    assert_eq!(last["kind"], "file");
    let file_id = last["file"]["id"].as_i64().unwrap();
    assert_eq!(
        clara.get(&format!("/files/{file_id}")).await.status(),
        StatusCode::OK,
        "a viewer reads the chat's files"
    );
    assert_eq!(
        eve.get(&format!("/files/{file_id}")).await.status(),
        StatusCode::NOT_FOUND
    );
    bo.send(chat, &msg_id(), "On it").await.expect_ok();
    for (endpoint, form) in &manage[4..] {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        for who in [&bo, &clara] {
            assert_eq!(
                who.call(endpoint, &form).await.status,
                StatusCode::FORBIDDEN,
                "{endpoint}"
            );
        }
    }

    // The last admin stays one.
    let ana_id = id_of(&ana).await;
    assert_eq!(
        ana.call(
            "internal/members/role",
            &[
                ("conversation_id", &c),
                ("user_id", &ana_id.to_string()),
                ("role", "member")
            ],
        )
        .await
        .status,
        StatusCode::CONFLICT
    );

    // Removing Bo ends his access at once, a poll that waits on the chat included.
    let cursor = bo.poll(0, Some(chat), 0).await.expect_ok()["cursor"]["tick"]
        .as_i64()
        .unwrap();
    let bo_waits = {
        let bo = bo.clone();
        tokio::spawn(async move { bo.poll(cursor, Some(chat), 100).await })
    };
    // His other tab streams the chat.
    let mut bo_streams = bo.stream(cursor, Some(chat), 100).await;
    assert_eq!(bo_streams.status, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let members = ana
        .call(
            "internal/members/remove",
            &[("conversation_id", &c), ("user_id", &bo_id.to_string())],
        )
        .await;
    assert!(
        !roles(&serde_json::json!({"members": members.expect_ok()}))
            .iter()
            .any(|(name, _)| name == "Bo")
    );
    let woke = tokio::time::timeout(std::time::Duration::from_secs(10), bo_waits)
        .await
        .expect("Bo's poll woke")
        .unwrap();
    let woke = woke.expect_ok();
    // The open chat closes, and the same answer drops it from his tab.
    for list in ["removed", "internal_removed"] {
        assert!(
            woke[list]
                .as_array()
                .is_some_and(|r| r.contains(&Value::from(chat))),
            "{list}: {woke}"
        );
    }
    // The stream says so too, and ends.
    let wait = std::time::Duration::from_secs(10);
    let told = bo_streams.next_within(wait).await.expect("a line");
    assert!(
        streamed_update(&told)["removed"]
            .as_array()
            .is_some_and(|r| r.contains(&Value::from(chat))),
        "{told}"
    );
    assert!(
        bo_streams.next_within(wait).await.is_none(),
        "the stream ends"
    );
    // A poll on the chat is refused now; a poll from before the removal (another tab of his)
    // is told to drop it too.
    let tick = woke["cursor"]["tick"].as_i64().unwrap();
    assert_eq!(
        bo.poll(tick, Some(chat), 100).await.status,
        StatusCode::NOT_FOUND
    );
    let after = bo.poll(cursor, None, 0).await;
    assert!(
        after.expect_ok()["internal_removed"]
            .as_array()
            .is_some_and(|r| r.contains(&Value::from(chat))),
        "{}",
        after.body
    );
    for (endpoint, form) in &manage[..4] {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(
            bo.call(endpoint, &form).await.status,
            StatusCode::NOT_FOUND,
            "{endpoint}"
        );
    }
    assert_eq!(
        bo.get(&format!("/files/{file_id}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert!(bodies(open(&ana, chat).await.expect_ok()).contains(&"Ana removed Bo.".to_owned()));

    // Closed: everyone still reads, nobody writes or manages.
    ana.call("internal/group/close", &[("conversation_id", &c)])
        .await
        .expect_ok();
    assert_eq!(
        ana.send(chat, &msg_id(), "One more").await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        ana.call(
            "internal/group/rename",
            &[("conversation_id", &c), ("title", "Again")]
        )
        .await
        .status,
        StatusCode::CONFLICT
    );
    let closed = open(&clara, chat).await;
    assert_eq!(closed.expect_ok()["summary"]["closed"], true);
}
on_both_dbs!(only_members_reach_a_group_and_each_by_their_role);

/// One message in a group wakes every member's poll at once; the polls read together, and each
/// answer is still its reader's own: the open chat's page as their role reads it, their own
/// unread count, no messages for a reader whose chat is not open. A deal chat's change that comes
/// with it still reaches the deal's manager.
async fn polls_woken_together_each_get_their_own_answer(db: Db) {
    let app = spawn_app(db).await;
    let ana = app.manager("ana@example.com", "Ana").await;
    let bo = app.manager("bo@example.com", "Bo").await;
    let cy = app.manager("cy@example.com", "Cy").await;
    let di = app.manager("di@example.com", "Di").await;
    let clara = app.signed_up_client("clara@example.com").await;
    let (bo_id, cy_id, di_id, clara_id) = (
        id_of(&bo).await,
        id_of(&cy).await,
        id_of(&di).await,
        id_of(&clara).await,
    );
    let chat = group(&ana, "Site", &[bo_id, cy_id, di_id, clara_id], &[]).await;
    let deal_chat = clara.start_chat("project", "Roof", "Hello").await;
    ana.accept(deal_chat).await.expect_ok();
    ana.send(chat, &msg_id(), "one").await.expect_ok();
    bo.send(chat, &msg_id(), "from Bo").await.expect_ok();

    // Where each one stands: every poll has the chat up to now.
    let now = |who: Client, open: Option<i64>| async move {
        let u = who.poll(0, open, 0).await;
        let u = u.expect_ok();
        let tick = u["cursor"]["tick"].as_i64().unwrap();
        let seq = u["cursor"]["after_seq"].as_i64().unwrap();
        (tick, seq)
    };
    let (tick, latest) = now(bo.clone(), Some(chat)).await;
    let waits: Vec<_> = [
        (bo.clone(), Some(chat), latest),
        (cy.clone(), Some(chat), latest),
        (clara.clone(), Some(chat), latest),
        (di.clone(), None, 0),
        (ana.clone(), None, 0),
    ]
    .into_iter()
    .map(|(who, open, after)| tokio::spawn(async move { who.poll(tick, open, after).await }))
    .collect();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    ana.send(chat, &msg_id(), "two").await.expect_ok();
    let mut answers = Vec::new();
    for w in waits {
        let reply = tokio::time::timeout(std::time::Duration::from_secs(10), w)
            .await
            .expect("every poll woke")
            .unwrap();
        answers.push(reply.expect_ok().clone());
    }
    let unread = |answer: &Value| {
        answer["internal"]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["id"] == chat))
            .map(|r| r["unread"].as_i64().unwrap())
    };
    let [bo_sees, cy_sees, clara_sees, di_sees, ana_sees] = &answers[..] else {
        unreachable!()
    };
    assert_eq!(bodies(bo_sees), vec!["two"]);
    assert_eq!(bodies(cy_sees), vec!["two"]);
    assert_eq!(bodies(clara_sees), vec!["two"]);
    assert_eq!(bodies(di_sees), Vec::<String>::new());
    // Unread: what others wrote; Bo's own line is not his news.
    assert_eq!(unread(bo_sees), Some(2));
    assert_eq!(unread(cy_sees), Some(3));
    assert_eq!(unread(di_sees), Some(3));
    assert_eq!(unread(ana_sees), Some(1));
    for a in &answers {
        assert_eq!(a["internal"][0]["members"], 5, "{a}");
        assert!(a["cursor"]["tick"].as_i64().unwrap() > tick);
    }

    // A deal chat's news between internal ones still reaches Ana's list.
    let cursor = ana_sees["cursor"]["tick"].as_i64().unwrap();
    clara
        .send(deal_chat, &msg_id(), "Any news?")
        .await
        .expect_ok();
    bo.send(chat, &msg_id(), "three").await.expect_ok();
    let later = ana.poll(cursor, None, 0).await;
    let later = later.expect_ok();
    let deal_rows: Vec<i64> = later["chats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(deal_rows, vec![deal_chat], "{later}");
    assert_eq!(unread(later), Some(2));
}
on_both_dbs!(polls_woken_together_each_get_their_own_answer);

/// Unread counts are kept as numbers (what others wrote after the reader's marker; the
/// product's own lines not counted): they follow sends, a retried send, reads up to an older
/// message and up to the newest, a member's removal and return, and a member added later.
async fn unread_counts_follow_sends_reads_and_membership(db: Db) {
    let app = spawn_app(db).await;
    let ana = app.manager("ana@example.com", "Ana").await;
    let bo = app.manager("bo@example.com", "Bo").await;
    let cy = app.manager("cy@example.com", "Cy").await;
    let di = app.manager("di@example.com", "Di").await;
    let (bo_id, cy_id, di_id) = (id_of(&bo).await, id_of(&cy).await, id_of(&di).await);
    let chat = group(&ana, "Site", &[bo_id, cy_id], &[]).await;
    let c = chat.to_string();
    let unread = |who: Client| async move {
        let list = who.call("internal/list", &[]).await;
        list.expect_ok()
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == chat)
            .map(|r| r["unread"].as_i64().unwrap())
    };
    let read_to = |who: Client, seq: i64| {
        let c = c.clone();
        async move {
            who.call(
                "chats/read",
                &[("conversation_id", &c), ("seq", &seq.to_string())],
            )
            .await
            .expect_ok();
        }
    };
    let member = |path: &'static str, field: &'static str, id: i64| {
        let (ana, c) = (ana.clone(), c.clone());
        async move {
            ana.call(path, &[("conversation_id", &c), (field, &id.to_string())])
                .await
                .expect_ok();
        }
    };

    let first = ana.send(chat, &msg_id(), "one").await;
    let first = first.expect_ok()["seq"].as_i64().unwrap();
    ana.send(chat, &msg_id(), "two").await.expect_ok();
    let retried = msg_id();
    for _ in 0..2 {
        bo.send(chat, &retried, "three").await.expect_ok();
    }
    assert_eq!(unread(ana.clone()).await, Some(1), "Bo's line, once");
    assert_eq!(
        unread(bo.clone()).await,
        Some(2),
        "his own line is not news"
    );
    assert_eq!(unread(cy.clone()).await, Some(3));

    // Bo reads up to Ana's first line: her second is still news, his own still not.
    read_to(bo.clone(), first).await;
    assert_eq!(unread(bo.clone()).await, Some(1));
    read_to(bo.clone(), i64::from(i32::MAX)).await;
    assert_eq!(unread(bo.clone()).await, Some(0));
    // Reading back does not move the marker back.
    read_to(bo.clone(), first).await;
    assert_eq!(unread(bo.clone()).await, Some(0));

    // Cy leaves and comes back: what others wrote after her marker, the lines about her not.
    member("internal/members/remove", "user_id", cy_id).await;
    ana.send(chat, &msg_id(), "four").await.expect_ok();
    member("internal/members/add", "user_ids", cy_id).await;
    assert_eq!(unread(cy.clone()).await, Some(4));
    // Di, added now, has the whole history to read; Bo has Ana's new line.
    member("internal/members/add", "user_ids", di_id).await;
    assert_eq!(unread(di.clone()).await, Some(4));
    assert_eq!(unread(bo.clone()).await, Some(1));
    // Cy writes: her count stays, everyone else's grows by one.
    cy.send(chat, &msg_id(), "back").await.expect_ok();
    assert_eq!(unread(cy.clone()).await, Some(4));
    assert_eq!(unread(di.clone()).await, Some(5));
    assert_eq!(unread(ana.clone()).await, Some(2));
}
on_both_dbs!(unread_counts_follow_sends_reads_and_membership);
