//! The staff's Deals page: admins see every deal, a manager only those whose chat they hold or
//! operated; clients are refused; search, stage, state and owner narrow it.

use crate::helpers::{Db, spawn_app};
use crate::on_both_dbs;
use reqwest::StatusCode;
use serde_json::Value;

fn titles(page: &Value) -> Vec<String> {
    page["deals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["title"].as_str().unwrap().to_owned())
        .collect()
}

async fn the_deals_page_lists_what_the_reader_may_see(db: Db) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let clara = app.signed_up_client("clara@example.com").await;
    let roof = clara.start_chat("project", "Roof 50% off", "Hi").await;
    let garden = clara.start_chat("project", "Garden", "Hi").await;
    let _waiting = clara.start_chat("project", "Cellar", "Hi").await;
    let max = app.manager("max@example.com", "Max").await;
    let mia = app.manager("mia@example.com", "Mia").await;
    max.accept(roof).await.expect_ok();
    mia.accept(garden).await.expect_ok();
    max.call(
        "chats/deal/close",
        &[("conversation_id", &roof.to_string()), ("outcome", "won")],
    )
    .await
    .expect_ok();

    let list = |who: &crate::helpers::Client, form: Vec<(&'static str, String)>| {
        let who = who.clone();
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            who.call("deals/list", &form).await
        }
    };
    // Open deals by default; everything with state=all; the newest first.
    let all = |extra: Vec<(&'static str, String)>| {
        let mut form = vec![("state", "all".to_owned())];
        form.extend(extra);
        form
    };
    assert_eq!(
        titles(list(&admin, vec![]).await.expect_ok()),
        ["Cellar", "Garden"]
    );
    assert_eq!(
        titles(list(&admin, all(vec![])).await.expect_ok()),
        ["Cellar", "Garden", "Roof 50% off"]
    );
    // A manager sees the chats they took (and keeps the one they closed).
    assert_eq!(
        titles(list(&max, all(vec![])).await.expect_ok()),
        ["Roof 50% off"]
    );
    assert_eq!(
        titles(list(&mia, all(vec![])).await.expect_ok()),
        ["Garden"]
    );
    let closed = list(&max, all(vec![])).await;
    let row = &closed.expect_ok()["deals"][0];
    assert_eq!(row["outcome"], "won");
    assert_eq!(row["stage"], "completion");
    assert_eq!(row["conversation_id"], roof);
    assert_eq!(row["owner_name"], "Max");

    // Search (wildcards literal, any case), stage, state, owner.
    let found = |extra| async { titles(list(&admin, all(extra)).await.expect_ok()) };
    assert_eq!(found(vec![("q", "50%".into())]).await, ["Roof 50% off"]);
    assert_eq!(found(vec![("q", "%".into())]).await, ["Roof 50% off"]);
    assert_eq!(found(vec![("q", "GARD".into())]).await, ["Garden"]);
    assert_eq!(found(vec![("q", "client person".into())]).await.len(), 3);
    assert_eq!(
        found(vec![("stage", "completion".into())]).await,
        ["Roof 50% off"]
    );
    let only_closed = list(&admin, vec![("state", "closed".into())]).await;
    assert_eq!(titles(only_closed.expect_ok()), ["Roof 50% off"]);
    let page = list(&admin, all(vec![])).await;
    let owners = page.expect_ok()["owners"].clone();
    let mia_id = owners
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "Mia")
        .unwrap()["id"]
        .to_string();
    assert_eq!(found(vec![("owner_id", mia_id)]).await, ["Garden"]);

    // Bad filters are refused by field; clients and strangers have no Deals page.
    let bad = list(&admin, vec![("stage", "won".into())]).await;
    assert_eq!(bad.invalid_field(), Some("stage"));
    let bad = list(&admin, vec![("state", "archived".into())]).await;
    assert_eq!(bad.invalid_field(), Some("state"));
    assert_eq!(list(&clara, vec![]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        list(&app.client(), vec![]).await.status,
        StatusCode::UNAUTHORIZED
    );
}
on_both_dbs!(the_deals_page_lists_what_the_reader_may_see);
