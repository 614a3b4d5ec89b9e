//! Quick replies: admins keep the templates (an unknown placeholder is refused by name); the
//! chat's operator gets the ones of the channel's language and their teams, filled in for the
//! chat; nobody else gets any.

use crate::helpers::{Client, Db, spawn_app};
use crate::on_both_dbs;
use reqwest::StatusCode;
use serde_json::Value;

async fn save(
    admin: &Client,
    title: &str,
    body: &str,
    language: &str,
    team: &str,
) -> crate::helpers::Reply {
    admin
        .call(
            "admin/quick_replies/save",
            &[
                ("title", title),
                ("body", body),
                ("language", language),
                ("team_id", team),
            ],
        )
        .await
}

async fn offered(who: &Client, id: i64) -> crate::helpers::Reply {
    who.call(
        "quick_replies/for_chat",
        &[("conversation_id", &id.to_string())],
    )
    .await
}

fn texts(reply: &crate::helpers::Reply) -> Vec<String> {
    reply
        .expect_ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["text"].as_str().unwrap().to_owned())
        .collect()
}

async fn the_chats_operator_gets_the_replies_of_its_language_and_teams_filled_in(db: Db) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let mia = app.manager("mia@example.com", "Mia").await;
    let team = admin
        .call("admin/teams/create", &[("name", "Elite")])
        .await
        .expect_ok()
        .to_string();
    save(
        &admin,
        "Greeting",
        "Hello {client_name}, {agent_name} here about {deal_title}.",
        "en-GB",
        "",
    )
    .await
    .expect_ok();
    save(&admin, "Gruß", "Hallo {client_name}", "de", "")
        .await
        .expect_ok();
    save(&admin, "Elite only", "VIP", "en", &team)
        .await
        .expect_ok();

    let client = app.signed_up_client("ana@example.com").await;
    let id = client
        .start_chat("project", "Kitchen", "A new kitchen, please.")
        .await;
    // Waiting: Mia may read it but not reply yet.
    assert_eq!(offered(&mia, id).await.status, StatusCode::FORBIDDEN);
    mia.accept(id).await.expect_ok();
    let ana = client.me().await["display_name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        texts(&offered(&mia, id).await),
        [format!("Hello {ana}, Mia here about Kitchen.")],
        "English replies of every operator, not the German one nor another team's"
    );

    // Nobody else: the client, a colleague who may not read it, anonymous.
    assert_eq!(offered(&client, id).await.status, StatusCode::FORBIDDEN);
    let max = app.manager("max@example.com", "Max").await;
    assert_eq!(offered(&max, id).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        offered(&app.client(), id).await.status,
        StatusCode::UNAUTHORIZED
    );
}
on_both_dbs!(the_chats_operator_gets_the_replies_of_its_language_and_teams_filled_in);

async fn templates_are_checked_and_only_admins_keep_them(db: Db) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let unknown = save(&admin, "Price", "It costs {price} until {date}.", "en", "").await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.invalid_field(), Some("body"));
    assert!(
        unknown
            .body
            .to_string()
            .contains("Unknown placeholder {price}, {date}"),
        "{:?}",
        unknown.body
    );
    assert_eq!(
        save(&admin, "", "x", "en", "").await.invalid_field(),
        Some("title")
    );
    assert_eq!(
        save(&admin, "T", "x", "english", "").await.invalid_field(),
        Some("language")
    );
    assert_eq!(
        save(&admin, "T", "x", "en", "999999").await.invalid_field(),
        Some("team_id")
    );
    let id = save(&admin, "Thanks", "Thank you!", "en", "")
        .await
        .expect_ok()
        .to_string();
    assert_eq!(
        save(&admin, "Thanks", "Again", "en", "")
            .await
            .invalid_field(),
        Some("title")
    );
    let listed: Value = admin
        .call("admin/quick_replies", &[])
        .await
        .expect_ok()
        .clone();
    assert_eq!(listed["replies"][0]["body"], "Thank you!");

    let mia = app.manager("mia@example.com", "Mia").await;
    let client = app.signed_up_client("ana@example.com").await;
    for who in [&mia, &client] {
        assert_eq!(
            who.call("admin/quick_replies", &[]).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            save(who, "Mine", "x", "en", "").await.status,
            StatusCode::FORBIDDEN
        );
        let delete = who
            .call("admin/quick_replies/delete", &[("quick_reply_id", &id)])
            .await;
        assert_eq!(delete.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(
        app.client().call("admin/quick_replies", &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    admin
        .call("admin/quick_replies/delete", &[("quick_reply_id", &id)])
        .await
        .expect_ok();
    let again = admin
        .call("admin/quick_replies/delete", &[("quick_reply_id", &id)])
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}
on_both_dbs!(templates_are_checked_and_only_admins_keep_them);
