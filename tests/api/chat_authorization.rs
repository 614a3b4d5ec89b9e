//! Every chat endpoint, called by someone who may not: an anonymous visitor, another client,
//! a manager whose colleague holds the chat.

use crate::helpers::{Client, Db, TestApp, msg_id, spawn_app};
use crate::on_both_dbs;
use reqwest::StatusCode;

/// Each chat endpoint with a well-formed request about chat `id` (and deal `deal`).
fn requests(id: i64, deal: i64) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    let c = || ("conversation_id", id.to_string());
    vec![
        ("chats/open", vec![c()]),
        ("chats/history", vec![c(), ("before_seq", "10".into())]),
        (
            "chats/send",
            vec![c(), ("client_msg_id", msg_id()), ("body", "hello".into())],
        ),
        ("chats/read", vec![c(), ("seq", "1".into())]),
        ("chats/typing", vec![c()]),
        ("chats/accept", vec![c()]),
        ("chats/end", vec![c(), ("note", "done".into())]),
        ("chats/stage", vec![c(), ("stage", "proposal".into())]),
        (
            "chats/deal/amount",
            vec![c(), ("amount", "10".into()), ("currency", "EUR".into())],
        ),
        ("chats/deal/create", vec![c(), ("title", "Mine now".into())]),
        ("chats/deal/linkable", vec![c()]),
        ("chats/deal/link", vec![c(), ("deal_id", deal.to_string())]),
        ("chats/deal/close", vec![c(), ("outcome", "won".into())]),
        ("chats/deal/reopen", vec![c()]),
        ("chats/crm", vec![c()]),
        ("chats/crm/create", vec![c(), ("module", "Leads".into())]),
        ("chats/crm/retry", vec![c(), ("entry_id", "1".into())]),
        (
            "chats/poll",
            vec![("tick", "0".into()), c(), ("after_seq", "0".into())],
        ),
    ]
}

/// A client with a project chat: the client, the chat and its deal.
async fn owner_with_project_chat(app: &TestApp) -> (Client, i64, i64) {
    let owner = app.signed_up_client("owner@example.com").await;
    let id = owner.start_chat("project", "Private plans", "secret").await;
    let deal = owner.open(id).await["deal"]["id"].as_i64().unwrap();
    (owner, id, deal)
}

async fn call_all(who: &Client, id: i64, deal: i64) -> Vec<(&'static str, StatusCode)> {
    let mut out = Vec::new();
    for (endpoint, form) in requests(id, deal) {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        out.push((endpoint, who.call(endpoint, &form).await.status));
    }
    out
}

async fn anonymous_visitors_reach_no_chat_endpoint(db: Db) {
    let app = spawn_app(db).await;
    let (_owner, id, deal) = owner_with_project_chat(&app).await;
    let anon = app.client();
    for (endpoint, status) in call_all(&anon, id, deal).await {
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{endpoint}");
    }
    assert_eq!(
        anon.call("chats/list", &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    let start = anon
        .call(
            "chats/start",
            &[
                ("topic", "project"),
                ("title", "x"),
                ("body", "y"),
                ("client_msg_id", "a1"),
            ],
        )
        .await;
    assert_eq!(start.status, StatusCode::UNAUTHORIZED);
}
on_both_dbs!(anonymous_visitors_reach_no_chat_endpoint);

async fn another_client_cannot_reach_a_clients_chat(db: Db) {
    let app = spawn_app(db).await;
    let (owner, id, deal) = owner_with_project_chat(&app).await;
    let other = app.signed_up_client("other@example.com").await;
    for (endpoint, status) in call_all(&other, id, deal).await {
        // Not 403: a stranger cannot even learn the chat exists.
        assert_eq!(status, StatusCode::NOT_FOUND, "{endpoint}");
    }
    assert!(other.list().await.is_empty());
    let everything = other.poll(0, None, 0).await;
    assert_eq!(everything.expect_ok()["chats"].as_array().unwrap().len(), 0);
    // And nothing changed for the owner.
    let seen = owner.open(id).await;
    assert_eq!(seen["messages"].as_array().unwrap().len(), 1);
    assert_eq!(seen["deal"]["stage"], "inquiry");
}
on_both_dbs!(another_client_cannot_reach_a_clients_chat);

async fn a_manager_cannot_reach_a_colleagues_chat(db: Db) {
    let app = spawn_app(db).await;
    let (_owner, id, deal) = owner_with_project_chat(&app).await;
    let mia = app.manager("mia@example.com", "Mia").await;
    mia.accept(id).await.expect_ok();
    let max = app.manager("max@example.com", "Max").await;
    for (endpoint, status) in call_all(&max, id, deal).await {
        assert_eq!(status, StatusCode::NOT_FOUND, "{endpoint}");
    }
    assert!(max.list().await.is_empty());
}
on_both_dbs!(a_manager_cannot_reach_a_colleagues_chat);

async fn only_clients_start_chats(db: Db) {
    let app = spawn_app(db).await;
    let mia = app.manager("mia@example.com", "Mia").await;
    let r = mia
        .call(
            "chats/start",
            &[
                ("topic", "project"),
                ("title", "x"),
                ("body", "y"),
                ("client_msg_id", "a1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
on_both_dbs!(only_clients_start_chats);
