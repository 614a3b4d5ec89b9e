//! Group chats linked to CRM records: the kinds as data, dependent pickers (an account narrows
//! deals and contacts), linking at creation and later, the line members read, the limit, the
//! record's list of its chats, and every endpoint as a client member, a member who is not the
//! chat's admin, a non-member, a manager who may not see the record, and anonymous.

use crate::crm_rules::eventually_rows;
use crate::files::deal_chat;
use crate::helpers::{Client, Db, TestApp, bodies, spawn_app_with};
use crate::on_both_dbs;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::Value;

async fn exec(app: &TestApp, sql: &str) {
    let backend = app.db.get_database_backend();
    app.db
        .execute_raw(Statement::from_string(backend, sql.to_owned()))
        .await
        .unwrap();
}

async fn id_where(app: &TestApp, sql: &str) -> i64 {
    eventually_rows(app, sql).await[0]
        .try_get::<i64>("", "id")
        .unwrap()
}

/// `(kind, id, title)` of each choice or link.
fn records(list: &Value) -> Vec<(String, String, String)> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|r| {
            (
                r["record"]["kind"].as_str().unwrap().to_owned(),
                r["record"]["id"].as_str().unwrap().to_owned(),
                r["title"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn choices(who: &Client, form: &[(&str, &str)]) -> crate::helpers::Reply {
    who.call("internal/links/choices", form).await
}

async fn group_chats_link_to_records_through_dependent_pickers(db: Db) {
    let app = spawn_app_with(
        db,
        &[("jobs.poll_ms", "100"), ("chat.group_max_links", "3")],
    )
    .await;
    let admin = app.admin().await;
    // Clara's project chat, Max's: the sync makes her a contact, which joins the Roofs account.
    let (clara, max, roof_chat) = deal_chat(&app).await;
    let roof = max.open(roof_chat).await["deal"]["id"].as_i64().unwrap();
    let contact = id_where(
        &app,
        "SELECT id FROM crm_contacts WHERE email = 'clara@example.com'",
    )
    .await;
    exec(
        &app,
        "INSERT INTO crm_accounts (account_name, website, created_at) \
         VALUES ('Roofs Ltd', 'https://roofs.example', CURRENT_TIMESTAMP)",
    )
    .await;
    exec(
        &app,
        "INSERT INTO crm_accounts (account_name, created_at) VALUES ('Other Co', CURRENT_TIMESTAMP)",
    )
    .await;
    let roofs = id_where(
        &app,
        "SELECT id FROM crm_accounts WHERE account_name = 'Roofs Ltd'",
    )
    .await;
    let other = id_where(
        &app,
        "SELECT id FROM crm_accounts WHERE account_name = 'Other Co'",
    )
    .await;
    exec(
        &app,
        &format!("UPDATE crm_contacts SET account_id = {roofs} WHERE id = {contact}"),
    )
    .await;
    // Another client's deal, also Max's, in no account; and one Nia handles, hidden from Max.
    let dora = app.signed_up_client("dora@example.com").await;
    let garden_chat = dora.start_chat("project", "Garden", "Hi").await;
    max.accept(garden_chat).await.expect_ok();
    let garden = max.open(garden_chat).await["deal"]["id"].as_i64().unwrap();
    let nia = app.manager("nia@example.com", "Nia").await;
    let erin = app.signed_up_client("erin@example.com").await;
    let pool_chat = erin.start_chat("project", "Pool", "Hi").await;
    nia.accept(pool_chat).await.expect_ok();
    let pool = nia.open(pool_chat).await["deal"]["id"].as_i64().unwrap();
    let bo = app.manager("bo@example.com", "Bo").await;
    let bo_id = bo.me().await["id"].as_i64().unwrap();
    let clara_id = clara.me().await["id"].as_i64().unwrap();
    let (roofs, other, contact) = (roofs.to_string(), other.to_string(), contact.to_string());

    // The kinds are data, in their order, each with the kind that narrows it; staff only.
    let kinds = max.call("internal/links/kinds", &[]).await;
    let kinds: Vec<(String, Option<String>)> = kinds
        .expect_ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["name"].as_str().unwrap().into(),
                k["parent"].as_str().map(Into::into),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("account".to_owned(), None),
            ("deal".to_owned(), Some("account".to_owned())),
            ("contact".to_owned(), Some("account".to_owned())),
        ]
    );
    assert_eq!(
        clara.call("internal/links/kinds", &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.client().call("internal/links/kinds", &[]).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Pickers: accounts by name; an account narrows deals and contacts; deals only as visible.
    let found = choices(&max, &[("kind", "account"), ("search", "ROO")]).await;
    assert_eq!(
        records(found.expect_ok()),
        [("account".into(), roofs.clone(), "Roofs Ltd".into())]
    );
    let all_deals = choices(&max, &[("kind", "deal")]).await;
    assert_eq!(
        records(all_deals.expect_ok()),
        [
            ("deal".into(), garden.to_string(), "Garden".into()),
            ("deal".into(), roof.to_string(), "Roof".into()),
        ],
        "Max sees his deals, not Nia's"
    );
    let in_roofs = [
        ("kind", "deal"),
        ("parent_kind", "account"),
        ("parent_id", roofs.as_str()),
    ];
    assert_eq!(
        records(choices(&max, &in_roofs).await.expect_ok()),
        [("deal".into(), roof.to_string(), "Roof".into())]
    );
    let contacts = [
        ("kind", "contact"),
        ("parent_kind", "account"),
        ("parent_id", roofs.as_str()),
    ];
    let contacts = choices(&max, &contacts).await;
    assert_eq!(records(contacts.expect_ok()).len(), 1);
    assert_eq!(contacts.expect_ok()[0]["record"]["id"], contact.as_str());
    let in_other = [
        ("kind", "contact"),
        ("parent_kind", "account"),
        ("parent_id", other.as_str()),
    ];
    assert!(records(choices(&max, &in_other).await.expect_ok()).is_empty());
    let wrong_parent = [
        ("kind", "account"),
        ("parent_kind", "deal"),
        ("parent_id", "1"),
    ];
    let wrong = choices(&max, &wrong_parent).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{}", wrong.body);
    assert_eq!(
        choices(&max, &[("kind", "ship")]).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        choices(&clara, &[("kind", "deal")]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        choices(&app.client(), &[("kind", "deal")]).await.status,
        StatusCode::UNAUTHORIZED
    );

    // A group made linked to the Roof deal: its line, and its links as the chat opens.
    let users = format!("{bo_id},{clara_id}");
    let made = max
        .call(
            "internal/group/create",
            &[
                ("title", "Roof crew"),
                ("user_ids", &users),
                ("links", &format!("deal:{roof}")),
            ],
        )
        .await;
    let group = made.expect_ok()["id"].as_i64().unwrap().to_string();
    let opened = max
        .call("internal/open", &[("conversation_id", &group)])
        .await;
    let opened = opened.expect_ok().clone();
    assert_eq!(
        records(&opened["links"]),
        [("deal".into(), roof.to_string(), "Roof".into())]
    );
    assert_eq!(opened["links"][0]["href"], format!("/deals/{roof}"));
    assert_eq!(opened["can_link"], true);
    assert!(bodies(&opened).contains(&"Max linked the chat to deal “Roof”.".to_owned()));
    // A group cannot start linked to a deal its maker may not see.
    let hidden = max
        .call(
            "internal/group/create",
            &[("title", "Sneaky"), ("links", &format!("deal:{pool}"))],
        )
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND, "{}", hidden.body);

    // Linking later (its admin), once: again changes nothing.
    let link = |kind: &'static str, id: String| {
        let group = group.clone();
        move |who: Client| async move {
            who.call(
                "internal/links/add",
                &[
                    ("conversation_id", group.as_str()),
                    ("kind", kind),
                    ("record_id", id.as_str()),
                ],
            )
            .await
        }
    };
    let linked = link("account", roofs.clone())(max.clone()).await;
    assert_eq!(records(linked.expect_ok()).len(), 2);
    let again = link("account", roofs.clone())(max.clone()).await;
    assert_eq!(records(again.expect_ok()).len(), 2);
    let lines = bodies(
        &clara
            .call("internal/open", &[("conversation_id", &group)])
            .await
            .expect_ok()
            .clone(),
    );
    let account_lines = lines
        .iter()
        .filter(|l| l.contains("account “Roofs Ltd”"))
        .count();
    assert_eq!(account_lines, 1, "one line for one link: {lines:?}");
    // Who may not: a member who is not its admin, a client, a non-member, anonymous; nor a
    // record the admin may not see, nor an unknown kind.
    assert_eq!(
        link("deal", garden.to_string())(bo.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        link("deal", garden.to_string())(clara.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        link("deal", garden.to_string())(nia.clone()).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        link("deal", garden.to_string())(admin.clone()).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        link("deal", garden.to_string())(app.client()).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        link("deal", pool.to_string())(max.clone()).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        link("ship", "1".into())(max.clone()).await.status,
        StatusCode::BAD_REQUEST
    );
    // The limit (3 here): a third link fits, a fourth does not.
    assert_eq!(
        records(
            link("contact", contact.clone())(max.clone())
                .await
                .expect_ok()
        )
        .len(),
        3
    );
    let over = link("deal", garden.to_string())(max.clone()).await;
    assert_eq!(over.status, StatusCode::CONFLICT, "{}", over.body);

    // The record lists its chats to members who may see it: Max; not Bo, who may not see the
    // deal; the app's admin sees the deal but is no member; Nia may not see it.
    let chats_of = |who: Client| async move {
        who.call(
            "internal/links/chats",
            &[("kind", "deal"), ("record_id", &roof.to_string())],
        )
        .await
    };
    let listed = chats_of(max.clone()).await;
    let titles: Vec<&str> = listed
        .expect_ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Roof crew"]);
    assert_eq!(chats_of(bo.clone()).await.status, StatusCode::NOT_FOUND);
    assert_eq!(chats_of(nia.clone()).await.status, StatusCode::NOT_FOUND);
    assert_eq!(chats_of(clara.clone()).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        chats_of(app.client()).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert!(
        chats_of(admin.clone())
            .await
            .expect_ok()
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Unlinking (its admin): the line, and the link gone; twice is 404; a member may not.
    let unlink = |who: Client| {
        let group = group.clone();
        let roofs = roofs.clone();
        async move {
            who.call(
                "internal/links/remove",
                &[
                    ("conversation_id", group.as_str()),
                    ("kind", "account"),
                    ("record_id", roofs.as_str()),
                ],
            )
            .await
        }
    };
    assert_eq!(unlink(bo.clone()).await.status, StatusCode::FORBIDDEN);
    let after = unlink(max.clone()).await;
    assert_eq!(
        records(after.expect_ok())
            .iter()
            .map(|r| r.0.as_str())
            .collect::<Vec<_>>(),
        ["deal", "contact"]
    );
    assert_eq!(unlink(max.clone()).await.status, StatusCode::NOT_FOUND);
    let lines = bodies(
        &max.call("internal/open", &[("conversation_id", &group)])
            .await
            .expect_ok()
            .clone(),
    );
    assert!(
        lines.contains(&"Max unlinked account “Roofs Ltd”.".to_owned()),
        "{lines:?}"
    );
    // From the record, a personal chat with its contact (the deal's client): once per pair.
    let direct = |who: Client, kind: &'static str, id: String| async move {
        who.call(
            "internal/links/direct",
            &[("kind", kind), ("record_id", id.as_str())],
        )
        .await
    };
    let with_clara = direct(max.clone(), "deal", roof.to_string()).await;
    assert_eq!(with_clara.expect_ok()["other_id"], clara_id);
    let again = direct(max.clone(), "contact", contact.clone()).await;
    assert_eq!(again.expect_ok()["id"], with_clara.expect_ok()["id"]);
    let account = direct(max.clone(), "account", other.clone()).await;
    assert_eq!(account.status, StatusCode::CONFLICT, "{}", account.body);
    assert_eq!(
        direct(max.clone(), "deal", pool.to_string()).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        direct(clara.clone(), "deal", roof.to_string()).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        direct(app.client(), "deal", roof.to_string()).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Bo reads the links (a member), and may not change them.
    let bo_sees = bo
        .call("internal/open", &[("conversation_id", &group)])
        .await;
    assert_eq!(bo_sees.expect_ok()["links"].as_array().unwrap().len(), 2);
    assert_eq!(bo_sees.expect_ok()["can_link"], false);
}
on_both_dbs!(group_chats_link_to_records_through_dependent_pickers);
