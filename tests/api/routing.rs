//! Teams, queues and routing: round robin takes turns, least busy fills the emptiest operator,
//! nobody goes over capacity, a freed place takes the oldest waiting chat, status and team
//! decide who gets chats, and two instances racing for the same operators never overfill one.

use crate::helpers::{Client, Db, TestApp, fresh_database, spawn_app, spawn_instance};
use crate::on_both_dbs;
use reqwest::StatusCode;
use serde_json::Value;

pub(crate) async fn admin_view(admin: &Client) -> Value {
    admin.call("admin/queues", &[]).await.expect_ok().clone()
}

/// The id of the employee called `name`, as the admin page lists them.
pub(crate) async fn operator_id(admin: &Client, name: &str) -> String {
    let view = admin_view(admin).await;
    view["operators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == name)
        .unwrap_or_else(|| panic!("no operator {name}: {view}"))["id"]
        .to_string()
}

async fn default_queue_id(admin: &Client) -> String {
    let view = admin_view(admin).await;
    view["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["is_default"] == true)
        .expect("a default queue")["id"]
        .to_string()
}

/// A team of the named employees; returns its id.
pub(crate) async fn team(admin: &Client, name: &str, members: &[&str]) -> String {
    let id = admin
        .call("admin/teams/create", &[("name", name)])
        .await
        .expect_ok()
        .to_string();
    for member in members {
        let user = operator_id(admin, member).await;
        admin
            .call(
                "admin/teams/member",
                &[("team_id", &id), ("user_id", &user), ("member", "true")],
            )
            .await
            .expect_ok();
    }
    id
}

/// Makes the default queue (where new chats go) use `routing`, worked by `team`.
async fn route_default(admin: &Client, team: Option<&str>, routing: &str) {
    let queue = default_queue_id(admin).await;
    let mut form = vec![
        ("queue_id", queue.as_str()),
        ("name", "General"),
        ("routing", routing),
        ("timeout_minutes", "120"),
    ];
    if let Some(team) = team {
        form.push(("team_id", team));
    }
    admin.call("admin/queues/save", &form).await.expect_ok();
}

async fn available(who: &Client) {
    who.call("queues/status", &[("status", "available")])
        .await
        .expect_ok();
}

async fn capacity(admin: &Client, name: &str, capacity: i32) {
    let user = operator_id(admin, name).await;
    admin
        .call(
            "admin/operators/capacity",
            &[("user_id", &user), ("capacity", &capacity.to_string())],
        )
        .await
        .expect_ok();
}

/// Who holds the chat, as its client sees it (None while it waits).
async fn holder(client: &Client, id: i64) -> Option<String> {
    client
        .list()
        .await
        .iter()
        .find(|c| c["id"] == id)
        .expect("the client's chat")["assignee_name"]
        .as_str()
        .map(str::to_owned)
}

async fn new_chat(app: &TestApp, n: usize) -> (Client, i64) {
    let client = app
        .signed_up_client(&format!("client{n}@example.com"))
        .await;
    let id = client
        .start_chat("question", &format!("Question {n}"), "Hello?")
        .await;
    (client, id)
}

async fn round_robin_gives_available_operators_chats_in_turn(db: Db) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let mia = app.manager("mia@example.com", "Mia").await;
    let max = app.manager("max@example.com", "Max").await;
    let support = team(&admin, "Support", &["Mia", "Max"]).await;
    route_default(&admin, Some(&support), "round_robin").await;
    available(&mia).await;
    available(&max).await;

    let mut holders = Vec::new();
    for n in 0..4 {
        let (client, id) = new_chat(&app, n).await;
        holders.push(holder(&client, id).await.expect("assigned at once"));
    }
    assert_eq!(holders, ["Mia", "Max", "Mia", "Max"]);
    // The operator has it to reply in at once; the line says who joined.
    let mine: Vec<Value> = mia.list().await;
    assert_eq!(mine.len(), 2);
    let id = mine[0]["id"].as_i64().unwrap();
    let opened = mia.open(id).await;
    assert_eq!(opened["can_reply"], true);
    assert!(crate::helpers::bodies(&opened).contains(&"Mia joined the chat.".to_owned()));
}
on_both_dbs!(round_robin_gives_available_operators_chats_in_turn);

async fn least_busy_fills_the_emptiest_and_a_freed_place_takes_the_oldest_waiting_chat(db: Db) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let mia = app.manager("mia@example.com", "Mia").await;
    let max = app.manager("max@example.com", "Max").await;
    let support = team(&admin, "Support", &["Mia", "Max"]).await;
    route_default(&admin, Some(&support), "least_busy").await;
    capacity(&admin, "Mia", 1).await;
    capacity(&admin, "Max", 2).await;
    available(&mia).await;
    available(&max).await;

    let mut chats = Vec::new();
    for n in 0..5 {
        chats.push(new_chat(&app, n).await);
    }
    let mut holders = Vec::new();
    for (client, id) in &chats {
        holders.push(holder(client, *id).await);
    }
    let named = |n: &str| Some(n.to_owned());
    // Mia (nobody yet, first), Max (fewest), Max (Mia is full), then both full: two wait.
    assert_eq!(
        holders,
        [named("Mia"), named("Max"), named("Max"), None, None]
    );
    let console = mia.call("queues/console", &[]).await;
    assert_eq!(console.expect_ok()["me"]["open_sessions"], 1);
    assert_eq!(console.expect_ok()["queues"][0]["waiting"], 2);

    // Mia ends her chat: the oldest waiting chat is hers at once, the newer one still waits.
    mia.call(
        "chats/end",
        &[("conversation_id", &chats[0].1.to_string()), ("note", "")],
    )
    .await
    .expect_ok();
    assert_eq!(holder(&chats[3].0, chats[3].1).await, named("Mia"));
    assert_eq!(holder(&chats[4].0, chats[4].1).await, None);
    // Raising Max's capacity takes the last one.
    capacity(&admin, "Max", 3).await;
    assert_eq!(holder(&chats[4].0, chats[4].1).await, named("Max"));
}
on_both_dbs!(least_busy_fills_the_emptiest_and_a_freed_place_takes_the_oldest_waiting_chat);

async fn away_operators_get_nothing_and_coming_back_takes_the_waiting_chat(db: Db) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let mia = app.manager("mia@example.com", "Mia").await;
    let support = team(&admin, "Support", &["Mia"]).await;
    route_default(&admin, Some(&support), "least_busy").await;
    mia.call("queues/status", &[("status", "away")])
        .await
        .expect_ok();
    let (client, id) = new_chat(&app, 1).await;
    assert_eq!(holder(&client, id).await, None);
    // Away, she still sees what waits in her queue.
    assert_eq!(mia.list().await.len(), 1);
    available(&mia).await;
    assert_eq!(holder(&client, id).await.as_deref(), Some("Mia"));
    // A status nobody knows is refused with its field.
    let odd = mia.call("queues/status", &[("status", "asleep")]).await;
    assert_eq!(odd.status, StatusCode::BAD_REQUEST);
    assert_eq!(odd.invalid_field(), Some("status"));
}
on_both_dbs!(away_operators_get_nothing_and_coming_back_takes_the_waiting_chat);

async fn a_queue_is_seen_and_taken_only_by_its_team(db: Db) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let mia = app.manager("mia@example.com", "Mia").await;
    let max = app.manager("max@example.com", "Max").await;
    let sales = team(&admin, "Sales", &["Mia"]).await;
    route_default(&admin, Some(&sales), "all").await;
    let (_client, id) = new_chat(&app, 1).await;

    // Max is not in Sales: the waiting chat is not his to see or take.
    assert!(max.list().await.is_empty());
    assert_eq!(max.accept(id).await.status, StatusCode::NOT_FOUND);
    let console = max.call("queues/console", &[]).await;
    assert!(console.expect_ok()["queues"].as_array().unwrap().is_empty());
    // Mia is, and an admin works every queue.
    assert_eq!(mia.list().await.len(), 1);
    assert_eq!(admin.list().await.len(), 1);
    mia.accept(id).await.expect_ok();
}
on_both_dbs!(a_queue_is_seen_and_taken_only_by_its_team);

async fn queue_settings_are_checked_and_only_admins_change_them(db: Db) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let mia = app.manager("mia@example.com", "Mia").await;
    let client = app.signed_up_client("ana@example.com").await;
    let anonymous = app.client();
    let save = |minutes: &'static str, routing: &'static str| {
        vec![
            ("name", "Support"),
            ("routing", routing),
            ("timeout_minutes", minutes),
        ]
    };
    for (minutes, routing, field) in [
        ("59", "least_busy", "timeout_minutes"),
        ("181", "least_busy", "timeout_minutes"),
        ("120", "fastest", "routing"),
    ] {
        let r = admin
            .call("admin/queues/save", &save(minutes, routing))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{minutes} {routing}");
        assert_eq!(r.invalid_field(), Some(field));
    }
    let created = admin
        .call("admin/queues/save", &save("60", "round_robin"))
        .await;
    created.expect_ok();
    // The same name twice is refused.
    let again = admin
        .call("admin/queues/save", &save("60", "round_robin"))
        .await;
    assert_eq!(again.invalid_field(), Some("name"));
    let bad_capacity = admin
        .call(
            "admin/operators/capacity",
            &[
                ("user_id", &operator_id(&admin, "Mia").await),
                ("capacity", "0"),
            ],
        )
        .await;
    assert_eq!(bad_capacity.invalid_field(), Some("capacity"));

    // A manager, a client and an anonymous caller change nothing.
    for (who, status) in [
        (&mia, StatusCode::FORBIDDEN),
        (&client, StatusCode::FORBIDDEN),
        (&anonymous, StatusCode::UNAUTHORIZED),
    ] {
        assert_eq!(who.call("admin/queues", &[]).await.status, status);
        let saved = who.call("admin/queues/save", &save("60", "all")).await;
        assert_eq!(saved.status, status, "{:?}", saved.body);
        assert_eq!(
            who.call("admin/teams/create", &[("name", "Mine")])
                .await
                .status,
            status
        );
        assert_eq!(
            who.call(
                "admin/operators/capacity",
                &[("user_id", "1"), ("capacity", "9")]
            )
            .await
            .status,
            status
        );
    }
    // The console and status are an employee's: a client is told there is nothing.
    assert_eq!(
        client.call("queues/console", &[]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        client
            .call("queues/status", &[("status", "available")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        anonymous.call("queues/console", &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        admin_view(&admin).await["queues"].as_array().unwrap().len(),
        2
    );
}
on_both_dbs!(queue_settings_are_checked_and_only_admins_change_them);

/// Two instances on one PostgreSQL database take chats for the same two operators at once:
/// each chat is assigned once and nobody goes over capacity.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_racing_never_overfill_an_operator() {
    let (url, data_dir) = fresh_database(Db::Postgres).await;
    let first = spawn_instance(&url, data_dir.clone(), &[]).await;
    let second = spawn_instance(&url, data_dir, &[]).await;
    let admin = first.admin().await;
    let mia = first.manager("mia@example.com", "Mia").await;
    let max = first.manager("max@example.com", "Max").await;
    let support = team(&admin, "Support", &["Mia", "Max"]).await;
    route_default(&admin, Some(&support), "least_busy").await;
    capacity(&admin, "Mia", 3).await;
    capacity(&admin, "Max", 3).await;
    available(&mia).await;
    available(&max).await;

    let mut clients = Vec::new();
    for n in 0..16 {
        let app = if n % 2 == 0 { &first } else { &second };
        clients.push(app.signed_up_client(&format!("racer{n}@example.com")).await);
    }
    let starts = clients.iter().enumerate().map(|(n, c)| async move {
        c.start_chat("question", &format!("Race {n}"), "Who takes me?")
            .await
    });
    let ids = futures::future::join_all(starts).await;
    assert_eq!(ids.len(), 16);

    for who in [&mia, &max] {
        let console = who.call("queues/console", &[]).await;
        let me = &console.expect_ok()["me"];
        assert_eq!(me["open_sessions"], 3, "{me}");
        let held = who
            .list()
            .await
            .into_iter()
            .filter(|c| c["assignee_id"] == me["id"])
            .count();
        assert_eq!(held, 3, "each holds exactly their capacity");
    }
    let console = mia.call("queues/console", &[]).await;
    assert_eq!(console.expect_ok()["queues"][0]["waiting"], 10);
}
