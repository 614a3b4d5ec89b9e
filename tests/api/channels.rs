//! Channels: a client picks one of the channels open to them and its queue takes the chat; who
//! may use a channel starts chats in it, who may operate it sees, takes and is assigned its
//! chats (404 for everyone else); a channel may answer in its own name and ask for a wrap-up
//! note; its settings are the admins'.

use crate::helpers::{Client, Db, TestApp, bodies, msg_id, spawn_app};
use crate::on_both_dbs;
use crate::routing::{admin_view, operator_id, team};
use reqwest::StatusCode;
use serde_json::Value;

async fn queue(admin: &Client, name: &str, team: Option<&str>, routing: &str) -> String {
    let mut form = vec![
        ("name", name),
        ("routing", routing),
        ("timeout_minutes", "120"),
    ];
    if let Some(team) = team {
        form.push(("team_id", team));
    }
    admin
        .call("admin/queues/save", &form)
        .await
        .expect_ok()
        .to_string()
}

/// A channel's settings as the admin form sends them.
struct Channel<'a> {
    name: &'a str,
    queue: &'a str,
    active: bool,
    on_behalf: bool,
    wrap_up: bool,
    uses: &'a str,
    operates: &'a str,
}

impl<'a> Channel<'a> {
    fn new(name: &'a str, queue: &'a str) -> Self {
        Channel {
            name,
            queue,
            active: true,
            on_behalf: false,
            wrap_up: false,
            uses: "role:client",
            operates: "role:manager",
        }
    }

    async fn save(&self, admin: &Client, id: Option<&str>) -> crate::helpers::Reply {
        let mut form = vec![
            ("name", self.name),
            ("queue_id", self.queue),
            ("language", "en"),
            ("use_grants", self.uses),
            ("operate_grants", self.operates),
        ];
        for (on, field) in [
            (self.active, "active"),
            (self.on_behalf, "on_behalf"),
            (self.wrap_up, "wrap_up_required"),
        ] {
            if on {
                form.push((field, "true"));
            }
        }
        if let Some(id) = id {
            form.push(("channel_id", id));
        }
        admin.call("admin/channels/save", &form).await
    }

    async fn create(&self, admin: &Client) -> String {
        self.save(admin, None).await.expect_ok().to_string()
    }
}

async fn start_in(client: &Client, channel: &str, title: &str) -> crate::helpers::Reply {
    client
        .call(
            "chats/start",
            &[
                ("topic", "question"),
                ("title", title),
                ("body", "Hello?"),
                ("client_msg_id", &msg_id()),
                ("channel", channel),
            ],
        )
        .await
}

fn ids(list: &[Value]) -> Vec<i64> {
    list.iter().map(|c| c["id"].as_i64().unwrap()).collect()
}

async fn a_client_picks_a_channel_and_only_its_operators_see_and_take_the_chat(db: Db) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let mia = app.manager("mia@example.com", "Mia").await;
    let max = app.manager("max@example.com", "Max").await;
    let sales_team = team(&admin, "Sales", &["Mia"]).await;
    // A queue every employee works: only the channel's rights keep Max out.
    let sales_queue = queue(&admin, "Sales", None, "all").await;
    let operates = format!("team:{sales_team}");
    let sales = Channel {
        operates: &operates,
        ..Channel::new("Sales", &sales_queue)
    }
    .create(&admin)
    .await;

    let client = app.signed_up_client("ana@example.com").await;
    let open = client.call("channels/usable", &[]).await;
    let names: Vec<&str> = open
        .expect_ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["General", "Sales"], "the default first");

    let id = start_in(&client, &sales, "Pricing").await.expect_ok()["id"]
        .as_i64()
        .unwrap();
    // Without a pick, the default channel: every manager's.
    let general = client.start_chat("question", "Other", "Hi").await;

    assert_eq!(ids(&mia.list().await), [id, general]);
    assert_eq!(
        ids(&max.list().await),
        [general],
        "Max does not operate Sales"
    );
    assert_eq!(
        max.call("chats/open", &[("conversation_id", &id.to_string())])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(max.accept(id).await.status, StatusCode::NOT_FOUND);
    let console = max.call("queues/console", &[]).await;
    let counted: i64 = console.expect_ok()["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["waiting"].as_i64().unwrap())
        .sum();
    assert_eq!(counted, 1, "Max counts only the chat he could take");

    mia.accept(id).await.expect_ok();
    assert_eq!(mia.open(id).await["can_reply"], true);
    // The chat waits in the channel's queue: the staff row names it.
    let staff_row = admin
        .list()
        .await
        .into_iter()
        .find(|c| c["id"] == id)
        .unwrap();
    assert_eq!(staff_row["queue_name"], "Sales");
}
on_both_dbs!(a_client_picks_a_channel_and_only_its_operators_see_and_take_the_chat);

async fn a_channel_the_client_may_not_use_or_that_closed_is_refused(db: Db) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let general_queue = admin_view(&admin).await["queues"][0]["id"].to_string();
    let partners = Channel {
        uses: "",
        ..Channel::new("Partners", &general_queue)
    }
    .create(&admin)
    .await;
    let closed = Channel {
        active: false,
        ..Channel::new("Old", &general_queue)
    }
    .create(&admin)
    .await;
    let client = app.signed_up_client("ana@example.com").await;
    let open = client.call("channels/usable", &[]).await;
    assert_eq!(
        open.expect_ok().as_array().unwrap().len(),
        1,
        "{:?}",
        open.body
    );

    let hidden = start_in(&client, &partners, "Deal").await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let shut = start_in(&client, &closed, "Deal").await;
    assert_eq!(shut.status, StatusCode::BAD_REQUEST);
    assert_eq!(shut.invalid_field(), Some("channel"));
    assert!(shut.body.to_string().contains("The Old channel is closed"));
    let missing = start_in(&client, "999999", "Deal").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(client.list().await.is_empty(), "nothing was started");

    // The default channel stays active; clients never operate; a queue must exist.
    let general = admin.call("admin/channels", &[]).await.expect_ok()["channels"][0].clone();
    assert_eq!(general["is_default"], true);
    let general_id = general["id"].to_string();
    let off = Channel {
        active: false,
        ..Channel::new("General", &general_queue)
    }
    .save(&admin, Some(&general_id))
    .await;
    assert_eq!(off.invalid_field(), Some("active"));
    let clients_operate = Channel {
        operates: "role:client",
        ..Channel::new("Bad", &general_queue)
    }
    .save(&admin, None)
    .await;
    assert_eq!(clients_operate.invalid_field(), Some("operate_roles"));
    // Teams hold employees, who do not start client chats.
    let team = admin
        .call("admin/teams/create", &[("name", "Sellers")])
        .await;
    let team_id = team.expect_ok().to_string();
    let team_uses = Channel {
        uses: &format!("role:client,team:{team_id}"),
        ..Channel::new("Bad", &general_queue)
    }
    .save(&admin, None)
    .await;
    assert_eq!(team_uses.invalid_field(), Some("use_roles"));
    let no_queue = Channel::new("Bad", "999999").save(&admin, None).await;
    assert_eq!(no_queue.invalid_field(), Some("queue"));
    let taken = Channel::new("Partners", &general_queue)
        .save(&admin, None)
        .await;
    assert_eq!(taken.invalid_field(), Some("name"));

    // The settings are the admins'.
    let mia = app.manager("mia@example.com", "Mia").await;
    for who in [&mia, &client] {
        assert_eq!(
            who.call("admin/channels", &[]).await.status,
            StatusCode::FORBIDDEN
        );
        let save = Channel::new("Mine", &general_queue).save(who, None).await;
        assert_eq!(save.status, StatusCode::FORBIDDEN);
    }
    let anonymous = app.client();
    assert_eq!(
        anonymous.call("admin/channels", &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        anonymous.call("channels/usable", &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    let save = Channel::new("Mine", &general_queue)
        .save(&anonymous, None)
        .await;
    assert_eq!(save.status, StatusCode::UNAUTHORIZED);
}
on_both_dbs!(a_channel_the_client_may_not_use_or_that_closed_is_refused);

async fn routing_assigns_only_operators_of_the_channel_and_skips_what_nobody_free_may_take(db: Db) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let mia = app.manager("mia@example.com", "Mia").await;
    let max = app.manager("max@example.com", "Max").await;
    let sales_team = team(&admin, "Sales", &["Mia"]).await;
    let shared = queue(&admin, "Shared", None, "round_robin").await;
    let operates = format!("team:{sales_team}");
    let sales = Channel {
        operates: &operates,
        ..Channel::new("Sales", &shared)
    }
    .create(&admin)
    .await;
    let support = Channel::new("Support", &shared).create(&admin).await;
    let mia_id = operator_id(&admin, "Mia").await;
    admin
        .call(
            "admin/operators/capacity",
            &[("user_id", &mia_id), ("capacity", "1")],
        )
        .await
        .expect_ok();
    mia.call("queues/status", &[("status", "available")])
        .await
        .expect_ok();
    max.call("queues/status", &[("status", "away")])
        .await
        .expect_ok();

    let client = app.signed_up_client("ana@example.com").await;
    let first = start_in(&client, &sales, "One").await.expect_ok()["id"]
        .as_i64()
        .unwrap();
    let second = start_in(&client, &sales, "Two").await.expect_ok()["id"]
        .as_i64()
        .unwrap();
    let third = start_in(&client, &support, "Three").await.expect_ok()["id"]
        .as_i64()
        .unwrap();
    let holder = |list: &[Value], id: i64| {
        list.iter().find(|c| c["id"] == id).unwrap()["assignee_name"].clone()
    };
    let list = client.list().await;
    assert_eq!(holder(&list, first), "Mia");
    assert_eq!(
        holder(&list, second),
        Value::Null,
        "Mia is full, Max may not take Sales"
    );
    assert_eq!(holder(&list, third), Value::Null);

    // Max comes back: the oldest chat he may take is the Support one, behind a Sales chat.
    max.call("queues/status", &[("status", "available")])
        .await
        .expect_ok();
    let list = client.list().await;
    assert_eq!(holder(&list, third), "Max");
    assert_eq!(
        holder(&list, second),
        Value::Null,
        "still waiting for Sales"
    );
}
on_both_dbs!(routing_assigns_only_operators_of_the_channel_and_skips_what_nobody_free_may_take);

async fn held_sales_chat(app: &TestApp, admin: &Client) -> (Client, Client, Client, i64, String) {
    let mia = app.manager("mia@example.com", "Mia").await;
    let max = app.manager("max@example.com", "Max").await;
    let sales_team = team(admin, "Sales", &["Mia"]).await;
    let sales_queue = queue(admin, "Sales", Some(&sales_team), "all").await;
    let operates = format!("team:{sales_team}");
    let sales = Channel {
        operates: &operates,
        wrap_up: true,
        on_behalf: true,
        ..Channel::new("Sales", &sales_queue)
    }
    .create(admin)
    .await;
    let client = app.signed_up_client("ana@example.com").await;
    let id = start_in(&client, &sales, "Pricing").await.expect_ok()["id"]
        .as_i64()
        .unwrap();
    mia.accept(id).await.expect_ok();
    (client, mia, max, id, sales)
}

async fn a_transfer_to_someone_who_may_not_operate_the_channel_is_refused(db: Db) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let (client, mia, max, id, _) = held_sales_chat(&app, &admin).await;
    max.call("queues/status", &[("status", "available")])
        .await
        .expect_ok();
    let to_max = format!("operator:{}", operator_id(&admin, "Max").await);
    let refused = mia
        .call(
            "chats/transfer",
            &[
                ("conversation_id", &id.to_string()),
                ("to", &to_max),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused
            .body
            .to_string()
            .contains("Max may not operate chats of the Sales channel."),
        "{:?}",
        refused.body
    );
    let max_team = team(&admin, "Backoffice", &["Max"]).await;
    let back = queue(&admin, "Backoffice", Some(&max_team), "all").await;
    let refused = mia
        .call(
            "chats/transfer",
            &[
                ("conversation_id", &id.to_string()),
                ("to", &format!("queue:{back}")),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused.body.to_string().contains(
            "Nobody who works the Backoffice queue may operate chats of the Sales channel."
        ),
        "{:?}",
        refused.body
    );
    // Nothing moved.
    assert_eq!(mia.open(id).await["can_reply"], true);
    let row = client
        .list()
        .await
        .into_iter()
        .find(|c| c["id"] == id)
        .unwrap();
    assert_eq!(row["assignee_name"], "Sales");
}
on_both_dbs!(a_transfer_to_someone_who_may_not_operate_the_channel_is_refused);

async fn a_channel_answers_in_its_name_and_asks_for_a_wrap_up_note(db: Db) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let (client, mia, _max, id, _) = held_sales_chat(&app, &admin).await;
    mia.send(id, &msg_id(), "Here is our price list.")
        .await
        .expect_ok();

    // The client reads the channel, never the operator's name.
    let seen = client.open(id).await;
    let reply = seen["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["body"] == "Here is our price list.")
        .unwrap()
        .clone();
    assert_eq!(reply["sender_name"], "Sales");
    assert!(
        bodies(&seen).contains(&"Sales accepted the chat.".to_owned()),
        "{:?}",
        bodies(&seen)
    );
    assert!(!seen.to_string().contains("Mia"), "{seen}");
    let row = client
        .list()
        .await
        .into_iter()
        .find(|c| c["id"] == id)
        .unwrap();
    assert_eq!(row["assignee_name"], "Sales");
    assert_eq!(
        row["last_message_preview"],
        "Sales: Here is our price list."
    );
    // Staff see who it was.
    let staff = mia.open(id).await;
    assert!(bodies(&staff).contains(&"Mia accepted the chat.".to_owned()));

    let bare = mia
        .call(
            "chats/end",
            &[("conversation_id", &id.to_string()), ("note", " ")],
        )
        .await;
    assert_eq!(bare.status, StatusCode::BAD_REQUEST);
    assert_eq!(bare.invalid_field(), Some("note"));
    assert_eq!(mia.open(id).await["can_reply"], true, "still hers");
    mia.call(
        "chats/end",
        &[
            ("conversation_id", &id.to_string()),
            ("note", "Sent prices"),
        ],
    )
    .await
    .expect_ok();
}
on_both_dbs!(a_channel_answers_in_its_name_and_asks_for_a_wrap_up_note);

async fn put_picture(who: &Client, channel: &str, bytes: Vec<u8>) -> reqwest::Response {
    who.http
        .put(format!("{}/api/admin/channels/{channel}/image", who.base))
        .header("Content-Type", "image/png")
        .body(bytes)
        .send()
        .await
        .expect("request")
}

fn png(extra: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend(std::iter::repeat_n(7u8, extra));
    bytes
}

/// A channel's picture: only admins set or remove it, only real pictures within the limit are
/// taken, anyone signed in may fetch it, and a client of a channel that answers in its name gets
/// its address with the chat.
async fn a_channel_picture_is_an_admins_checked_and_shown_to_clients(db: Db) {
    let app =
        crate::helpers::spawn_app_with(db, &[("files.max_channel_image_bytes", "2048")]).await;
    let admin = app.admin().await;
    let general = admin.call("admin/channels", &[]).await.expect_ok()["channels"][0].clone();
    let id = general["id"].to_string();
    let mia = app.manager("mia@example.com", "Mia").await;
    let client = app.signed_up_client("pic@example.com").await;

    for (who, status) in [
        (&mia, StatusCode::FORBIDDEN),
        (&client, StatusCode::FORBIDDEN),
        (&app.client(), StatusCode::UNAUTHORIZED),
    ] {
        assert_eq!(put_picture(who, &id, png(10)).await.status(), status);
    }
    let cross_site = admin
        .http
        .put(format!("{}/api/admin/channels/{id}/image", admin.base))
        .header("Origin", "https://evil.example")
        .body(png(10))
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    let svg = put_picture(&admin, &id, b"<svg onload='alert(1)'/>".to_vec()).await;
    assert_eq!(svg.status(), StatusCode::BAD_REQUEST);
    assert!(svg.text().await.unwrap().contains("PNG, JPEG, GIF or WebP"));
    let big = put_picture(&admin, &id, png(4096)).await;
    assert_eq!(big.status(), StatusCode::BAD_REQUEST);
    assert_eq!(put_picture(&admin, "999999", png(10)).await.status(), 404);
    assert_eq!(
        client.get(&format!("/channels/{id}/image")).await.status(),
        404,
        "no picture yet"
    );

    assert_eq!(put_picture(&admin, &id, png(100)).await.status(), 204);
    let general = admin.call("admin/channels", &[]).await.expect_ok()["channels"][0].clone();
    let url = general["image"]
        .as_str()
        .expect("the picture's address")
        .to_owned();
    let got = client.get(&url).await;
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "image/png");
    assert_eq!(got.headers()["x-content-type-options"], "nosniff");
    assert_eq!(got.bytes().await.unwrap().to_vec(), png(100));
    let anonymous = app.client().get(&url).await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER, "sent to sign in");
    assert!(
        anonymous.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );

    // A client of a channel that answers in its name sees the picture beside its replies.
    let id_in_chat = client.start_chat("question", "Logo?", "hi").await;
    assert_eq!(client.open(id_in_chat).await["voice_image"], Value::Null);
    Channel {
        on_behalf: true,
        ..Channel::new("General", &general["queue"].to_string())
    }
    .save(&admin, Some(&id))
    .await
    .expect_ok();
    assert_eq!(client.open(id_in_chat).await["voice_image"], url.as_str());

    // A new picture has a new address; removing it leaves none.
    assert_eq!(put_picture(&admin, &id, png(200)).await.status(), 204);
    let newer = client.open(id_in_chat).await["voice_image"].clone();
    assert_ne!(newer, url.as_str());
    let removed = admin
        .http
        .delete(format!("{}/api/admin/channels/{id}/image", admin.base))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    assert_eq!(client.open(id_in_chat).await["voice_image"], Value::Null);
    assert_eq!(client.get(newer.as_str().unwrap()).await.status(), 404);
}
on_both_dbs!(a_channel_picture_is_an_admins_checked_and_shown_to_clients);
