//! The connector's rules on the built-in CRM: support and sales flavours, each identification
//! rule, each update policy, the field mapping and its checks, the owner rule with and without a
//! CRM user for the agent, manual mode, the dry run, and who may use the rules' endpoints.

use crate::files::{deal_chat, share};
use crate::helpers::{Client, Db, TestApp, spawn_app_with};
use crate::on_both_dbs;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, QueryResult, Statement};
use serde_json::{Value, json};
use std::time::Duration;

async fn app(db: Db) -> TestApp {
    spawn_app_with(db, &[("jobs.poll_ms", "100")]).await
}

pub async fn rules_of(admin: &Client) -> Value {
    admin.call("admin/crm/rules", &[]).await.expect_ok()["rules"].clone()
}

pub async fn save_rules(admin: &Client, rules: &Value) -> crate::helpers::Reply {
    admin
        .call("admin/crm/rules/save", &[("rules", &rules.to_string())])
        .await
}

pub async fn dry_run(admin: &Client, rules: &Value, chat: i64) -> Vec<Value> {
    admin
        .call(
            "admin/crm/rules/dry-run",
            &[("rules", &rules.to_string()), ("chat", &chat.to_string())],
        )
        .await
        .expect_ok()
        .as_array()
        .cloned()
        .unwrap()
}

/// The rules with `mode` and `update` set, the rest as they are.
fn with(mut rules: Value, mode: &str, update: &str) -> Value {
    rules["mode"] = json!(mode);
    rules["update"] = json!(update);
    rules
}

/// The module's section of `rules`.
fn module<'a>(rules: &'a mut Value, name: &str) -> &'a mut Value {
    rules["modules"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|m| m["module"] == name)
        .unwrap()
}

async fn rows(app: &TestApp, sql: &str) -> Vec<QueryResult> {
    let backend = app.db.get_database_backend();
    app.db
        .query_all_raw(Statement::from_string(backend, sql.to_owned()))
        .await
        .unwrap()
}

/// Waits until `sql` returns at least one row.
pub async fn eventually_rows(app: &TestApp, sql: &str) -> Vec<QueryResult> {
    for _ in 0..150 {
        let found = rows(app, sql).await;
        if !found.is_empty() {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("nothing came of: {sql}");
}

fn text(row: &QueryResult, column: &str) -> Option<String> {
    row.try_get::<Option<String>>("", column).unwrap()
}

fn int(row: &QueryResult, column: &str) -> Option<i64> {
    row.try_get::<Option<i64>>("", column).unwrap()
}

/// Marks the client's address as proven (the mail link), so rules may match them.
pub async fn verify(app: &TestApp, email: &str) {
    let backend = app.db.get_database_backend();
    app.db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            match backend {
                sea_orm::DbBackend::Postgres => {
                    "UPDATE users SET email_verified_at = NOW() WHERE email = $1"
                }
                _ => "UPDATE users SET email_verified_at = CURRENT_TIMESTAMP WHERE email = ?",
            },
            [email.into()],
        ))
        .await
        .unwrap();
}

async fn profile(client: &Client, phone: &str, company: &str) {
    client
        .call(
            "accounts/profile/save",
            &[("phone", phone), ("company", company)],
        )
        .await
        .expect_ok();
}

async fn sync_log(admin: &Client) -> Vec<String> {
    crate::zoho::sync_log_lines(admin)
        .await
        .iter()
        .map(|l| format!("{} {}", l["action"].as_str().unwrap(), l["outcome"]))
        .collect()
}

async fn support_makes_a_contact_at_start_and_a_case_when_the_operator_ends(db: Db) {
    let app = app(db).await;
    let admin = app.admin().await;
    // Saving the rules makes this admin the built-in CRM's "connecting user".
    save_rules(&admin, &rules_of(&admin).await)
        .await
        .expect_ok();
    let (clara, max, id) = deal_chat(&app).await;
    profile(&clara, "+44 20 7946 0958", "Clara Roofing").await;

    // The contact was made when the chat started, owned by the connecting user (no agent yet).
    let contact = eventually_rows(
        &app,
        "SELECT id, name, owner_email, phone FROM crm_contacts WHERE email = 'clara@example.com'",
    )
    .await;
    assert_eq!(contact.len(), 1);
    assert_eq!(
        text(&contact[0], "owner_email").as_deref(),
        Some("admin@example.com")
    );
    let contact_id = int(&contact[0], "id").unwrap();

    max.send(id, &crate::helpers::msg_id(), "Here is the survey.")
        .await
        .expect_ok();
    share(&max, id, "survey.pdf", "the survey").await;
    crate::operator_sessions::end(&max, id, "Quote next week")
        .await
        .expect_ok();

    let case = eventually_rows(
        &app,
        "SELECT id, subject, status, case_origin, email, owner_email, description, contact_id, deal_id \
         FROM crm_cases",
    )
    .await;
    assert_eq!(case.len(), 1, "one case for the one session");
    let case = &case[0];
    assert_eq!(text(case, "subject").as_deref(), Some("Client Person"));
    assert_eq!(text(case, "status").as_deref(), Some("Closed"));
    assert_eq!(text(case, "case_origin").as_deref(), Some("Chat"));
    assert_eq!(text(case, "email").as_deref(), Some("clara@example.com"));
    // The owner rule: the agent is a CRM user (staff), so the case is theirs.
    assert_eq!(
        text(case, "owner_email").as_deref(),
        Some("max@example.com")
    );
    assert_eq!(int(case, "contact_id"), Some(contact_id));
    assert!(int(case, "deal_id").is_some(), "linked to the CRM deal");
    let description = text(case, "description").unwrap();
    for needle in [
        &format!("Chat ID: {id}"),
        "Wrap-up: Quote next week",
        "Max: Here is the survey.",
        "Client Person: Hello",
        "Start time: ",
        "End time: ",
    ] {
        assert!(description.contains(needle), "{needle} in {description}");
    }
    let case_id = int(case, "id").unwrap();
    let files = eventually_rows(
        &app,
        &format!("SELECT file_name FROM crm_record_files WHERE module = 'Cases' AND record_id = {case_id}"),
    )
    .await;
    assert_eq!(text(&files[0], "file_name").as_deref(), Some("survey.pdf"));

    let log = sync_log(&admin).await;
    assert!(
        log.iter().any(|l| l.starts_with("Created the Contact")),
        "{log:?}"
    );
    assert!(
        log.iter().any(|l| l.starts_with("Created the Case")),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|l| l.starts_with("Attached a file to the Case")),
        "{log:?}"
    );
}
on_both_dbs!(support_makes_a_contact_at_start_and_a_case_when_the_operator_ends);

async fn sales_makes_a_lead_and_a_task_for_each_session(db: Db) {
    let app = app(db).await;
    let admin = app.admin().await;
    let rules = with(rules_of(&admin).await, "sales", "fill_empty");
    save_rules(&admin, &rules).await.expect_ok();
    let (clara, max, id) = deal_chat(&app).await;
    let lead = eventually_rows(
        &app,
        "SELECT id, last_name, company, lead_source FROM crm_leads WHERE email = 'clara@example.com'",
    )
    .await;
    // She gave no company: the mapping's fallback fills the required field.
    assert_eq!(text(&lead[0], "company").as_deref(), Some("Not given"));
    assert_eq!(text(&lead[0], "lead_source").as_deref(), Some("Chat"));
    let lead_id = int(&lead[0], "id").unwrap();
    crate::operator_sessions::end(&max, id, "")
        .await
        .expect_ok();
    // The client writes again: a new session, ended again, makes a second task.
    clara
        .send(id, &crate::helpers::msg_id(), "One more question")
        .await
        .expect_ok();
    max.accept(id).await.expect_ok();
    crate::operator_sessions::end(&max, id, "")
        .await
        .expect_ok();
    let tasks = eventually_rows(
        &app,
        "SELECT subject, status, who_module, who_id, deal_id, description FROM crm_tasks ORDER BY id",
    )
    .await;
    let tasks = if tasks.len() < 2 {
        tokio::time::sleep(Duration::from_secs(2)).await;
        rows(&app, "SELECT subject, status, who_module, who_id, deal_id, description FROM crm_tasks ORDER BY id").await
    } else {
        tasks
    };
    assert_eq!(tasks.len(), 2, "one task per operator session");
    for t in &tasks {
        assert_eq!(text(t, "who_module").as_deref(), Some("Leads"));
        assert_eq!(int(t, "who_id"), Some(lead_id));
        assert_eq!(text(t, "status").as_deref(), Some("Completed"));
        assert!(int(t, "deal_id").is_some());
    }
    assert!(
        text(&tasks[1], "description")
            .unwrap()
            .contains("One more question"),
        "the second session's transcript"
    );
    assert!(
        !text(&tasks[0], "description")
            .unwrap()
            .contains("One more question"),
        "the first session's transcript ends with it"
    );
    assert!(rows(&app, "SELECT id FROM crm_cases").await.is_empty());
}
on_both_dbs!(sales_makes_a_lead_and_a_task_for_each_session);

async fn identification_rules_match_in_order_and_the_first_wins(db: Db) {
    let app = app(db).await;
    let admin = app.admin().await;
    let base = rules_of(&admin).await;
    // Manual while the rules are tried, so no delivery notes a contact for her first.
    save_rules(&admin, &with(base.clone(), "manual", "keep"))
        .await
        .expect_ok();
    let clara = app.signed_up_client("clara@example.com").await;
    profile(&clara, "0044 20 7946 0958", "Clara Roofing").await;
    verify(&app, "clara@example.com").await;
    let id = clara.start_chat("question", "Gutters", "Hello").await;
    // Three contacts, each matching her by one rule only.
    for (name, email, phone, company) in [
        ("By Email", "clara@example.com", "", ""),
        ("By Phone", "other@example.com", "+44 (20) 7946-0958", ""),
        ("By Company", "third@example.com", "", "Clara Roofing"),
    ] {
        app.db
            .execute_raw(Statement::from_sql_and_values(
                app.db.get_database_backend(),
                match app.db.get_database_backend() {
                    sea_orm::DbBackend::Postgres => "INSERT INTO crm_contacts (name, email, phone, company, created_at) VALUES ($1, $2, NULLIF($3, ''), NULLIF($4, ''), NOW())",
                    _ => "INSERT INTO crm_contacts (name, email, phone, company, created_at) VALUES (?, ?, NULLIF(?, ''), NULLIF(?, ''), CURRENT_TIMESTAMP)",
                },
                [name.into(), email.into(), phone.into(), company.into()],
            ))
            .await
            .unwrap();
    }
    let found_by = |identify: Value| {
        let mut rules = base.clone();
        module(&mut rules, "Contacts")["identify"] = identify;
        rules
    };
    for (identify, name, why) in [
        (json!(["Email", "Phone"]), "By Email", "found by email"),
        (json!(["Phone", "Email"]), "By Phone", "found by phone"),
        (
            json!([{"Field": {"field": "Company", "ours": "company"}}, "Email"]),
            "By Company",
            "found by Company = company",
        ),
    ] {
        let plan = dry_run(&admin, &found_by(identify), id).await;
        assert_eq!(plan[0]["module"], "Contacts");
        assert_eq!(plan[0]["why"], why);
        let record = plan[0]["record_id"].as_str().unwrap().to_owned();
        let row = rows(
            &app,
            &format!("SELECT name FROM crm_contacts WHERE id = {record}"),
        )
        .await;
        assert_eq!(text(&row[0], "name").as_deref(), Some(name));
    }
    // No rule matches: a new contact.
    let plan = dry_run(&admin, &found_by(json!([])), id).await;
    assert_eq!(plan[0]["action"], "Create");

    // Saved and delivered: the phone rule first finds "By Phone", and nothing new is created.
    save_rules(
        &admin,
        &with(found_by(json!(["Phone", "Email"])), "support", "keep"),
    )
    .await
    .expect_ok();
    let id2 = clara.start_chat("question", "Gutters again", "Hi").await;
    let noted = eventually_rows(
        &app,
        "SELECT r.remote_id FROM crm_refs r WHERE r.provider = 'builtin' AND r.entity = 'user'",
    )
    .await;
    let by_phone = rows(&app, "SELECT id FROM crm_contacts WHERE name = 'By Phone'").await;
    assert_eq!(
        text(&noted[0], "remote_id"),
        Some(int(&by_phone[0], "id").unwrap().to_string())
    );
    assert_eq!(rows(&app, "SELECT id FROM crm_contacts").await.len(), 3);
    let _ = id2;
}
on_both_dbs!(identification_rules_match_in_order_and_the_first_wins);

async fn update_policies_keep_overwrite_or_fill_empty(db: Db) {
    let app = app(db).await;
    let admin = app.admin().await;
    let base = rules_of(&admin).await;
    for (n, policy) in ["keep", "overwrite", "fill_empty"].into_iter().enumerate() {
        let email = format!("policy{n}@example.com");
        let client = app.client();
        client
            .signup(&email, "New Name", "client-password-1")
            .await
            .expect_ok();
        profile(&client, "+1 555 0100 99", "").await;
        verify(&app, &email).await;
        app.db
            .execute_raw(Statement::from_sql_and_values(
                app.db.get_database_backend(),
                match app.db.get_database_backend() {
                    sea_orm::DbBackend::Postgres => "INSERT INTO crm_contacts (name, email, created_at) VALUES ('Old Name', $1, NOW())",
                    _ => "INSERT INTO crm_contacts (name, email, created_at) VALUES ('Old Name', ?, CURRENT_TIMESTAMP)",
                },
                [email.clone().into()],
            ))
            .await
            .unwrap();
        save_rules(&admin, &with(base.clone(), "support", policy))
            .await
            .expect_ok();
        client.start_chat("question", "Policy", "Hello").await;
        let sql = format!(
            "SELECT c.name, c.phone FROM crm_contacts c JOIN crm_refs r ON r.remote_id = CAST(c.id AS VARCHAR(20)) \
             AND r.provider = 'builtin' AND r.entity = 'user' WHERE c.email = '{email}'"
        );
        let row = eventually_rows(&app, &sql).await;
        let (name, phone) = (text(&row[0], "name"), text(&row[0], "phone"));
        match policy {
            "keep" => assert_eq!((name.as_deref(), phone), (Some("Old Name"), None)),
            "overwrite" => assert_eq!(
                (name.as_deref(), phone.as_deref()),
                (Some("New Name"), Some("+1 555 0100 99"))
            ),
            _ => assert_eq!(
                (name.as_deref(), phone.as_deref()),
                (Some("Old Name"), Some("+1 555 0100 99")),
                "only the empty phone is filled"
            ),
        }
        assert_eq!(
            rows(
                &app,
                &format!("SELECT id FROM crm_contacts WHERE email = '{email}'")
            )
            .await
            .len(),
            1,
            "found, not created again"
        );
    }
}
on_both_dbs!(update_policies_keep_overwrite_or_fill_empty);

async fn the_mapping_is_checked_against_the_crms_fields(db: Db) {
    let app = app(db).await;
    let admin = app.admin().await;
    let base = rules_of(&admin).await;

    let mut unknown = base.clone();
    module(&mut unknown, "Contacts")["fields"]
        .as_array_mut()
        .unwrap()
        .push(json!({"field": "Nickname", "from": {"Ours": "name"}}));
    let refused = save_rules(&admin, &unknown).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert!(
        refused.body.to_string().contains("Nickname"),
        "{}",
        refused.body
    );

    let mut unmapped = base.clone();
    module(&mut unmapped, "Cases")["fields"]
        .as_array_mut()
        .unwrap()
        .retain(|r| r["field"] != "Case_Origin");
    let refused = save_rules(&admin, &unmapped).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.body.to_string().contains("Case_Origin"),
        "{}",
        refused.body
    );

    let garbled = admin
        .call("admin/crm/rules/save", &[("rules", "{\"mode\":")])
        .await;
    assert_eq!(garbled.status, StatusCode::BAD_REQUEST);
    assert_eq!(garbled.invalid_field(), Some("rules"));

    // A custom mapping is what gets written: the channel into the contact's Description.
    let mut custom = base.clone();
    module(&mut custom, "Contacts")["fields"]
        .as_array_mut()
        .unwrap()
        .push(json!({"field": "Description", "from": {"Ours": "channel"}, "otherwise": ""}));
    save_rules(&admin, &custom).await.expect_ok();
    let clara = app.signed_up_client("clara@example.com").await;
    clara.start_chat("question", "Hello", "Hi").await;
    let row = eventually_rows(
        &app,
        "SELECT description FROM crm_contacts WHERE email = 'clara@example.com'",
    )
    .await;
    assert_eq!(text(&row[0], "description").as_deref(), Some("General"));
    assert_eq!(rules_of(&admin).await, custom, "saved as sent");
}
on_both_dbs!(the_mapping_is_checked_against_the_crms_fields);

async fn manual_mode_creates_nothing_by_itself(db: Db) {
    let app = app(db).await;
    let admin = app.admin().await;
    save_rules(&admin, &with(rules_of(&admin).await, "manual", "keep"))
        .await
        .expect_ok();
    let max = app.manager("max@example.com", "Max Manager").await;
    let clara = app.signed_up_client("clara@example.com").await;
    let id = clara.start_chat("question", "Hours", "Hi").await;
    max.accept(id).await.expect_ok();
    crate::operator_sessions::end(&max, id, "")
        .await
        .expect_ok();
    // The jobs ran (their queue is empty) and made nothing.
    for _ in 0..100 {
        let waiting = rows(
            &app,
            "SELECT id FROM outbox WHERE done_at IS NULL AND job IN ('crm_person', 'crm_session')",
        )
        .await;
        if waiting.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        rows(
            &app,
            "SELECT id FROM outbox WHERE done_at IS NULL AND job IN ('crm_person', 'crm_session')"
        )
        .await
        .is_empty()
    );
    assert!(rows(&app, "SELECT id FROM crm_contacts").await.is_empty());
    assert!(rows(&app, "SELECT id FROM crm_cases").await.is_empty());
    assert!(
        dry_run(&admin, &with(rules_of(&admin).await, "manual", "keep"), id)
            .await
            .is_empty()
    );
}
on_both_dbs!(manual_mode_creates_nothing_by_itself);

/// `chats/crm` as `who` sees it for chat `id`.
async fn crm_panel(who: &Client, id: i64) -> crate::helpers::Reply {
    who.call("chats/crm", &[("conversation_id", &id.to_string())])
        .await
}

async fn ask_for(who: &Client, id: i64, module: &str) -> crate::helpers::Reply {
    who.call(
        "chats/crm/create",
        &[("conversation_id", &id.to_string()), ("module", module)],
    )
    .await
}

fn modules(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

async fn manual_mode_staff_create_records_from_the_chat(db: Db) {
    let app = app(db).await;
    let admin = app.admin().await;
    save_rules(&admin, &with(rules_of(&admin).await, "manual", "keep"))
        .await
        .expect_ok();
    let max = app.manager("max@example.com", "Max Manager").await;
    let clara = app.signed_up_client("clara@example.com").await;
    let id = clara.start_chat("question", "Hours", "Hi").await;

    max.accept(id).await.expect_ok();
    let panel = crm_panel(&max, id).await.expect_ok().clone();
    let manual = &panel["manual"];
    assert_eq!(
        modules(&manual["can_create"]),
        ["Leads", "Contacts", "Cases", "Tasks"],
        "{panel}"
    );
    assert!(modules(&manual["pending"]).is_empty());
    assert!(manual["records"].as_array().unwrap().is_empty());

    // The client and staff of other chats cannot ask; nor for a module that is no person or
    // session.
    assert_eq!(
        ask_for(&clara, id, "Contacts").await.status,
        StatusCode::FORBIDDEN
    );
    let mia = app.manager("mia@example.com", "Mia").await;
    assert_eq!(
        ask_for(&mia, id, "Contacts").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        ask_for(&max, id, "Accounts").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        ask_for(&max, id, "Nope").await.status,
        StatusCode::BAD_REQUEST
    );

    // A double click asks once; the contact and the case are made by the job, the case linked
    // to the contact and holding the session so far.
    ask_for(&max, id, "Contacts").await.expect_ok();
    ask_for(&max, id, "Contacts").await.expect_ok();
    ask_for(&max, id, "Cases").await.expect_ok();
    let requests = rows(&app, "SELECT id FROM crm_requests").await;
    assert_eq!(requests.len(), 2);
    let case = eventually_rows(
        &app,
        "SELECT contact_id, description, owner_email FROM crm_cases",
    )
    .await;
    let contact = eventually_rows(&app, "SELECT id, email FROM crm_contacts").await;
    assert_eq!(contact.len(), 1);
    assert_eq!(
        text(&contact[0], "email").as_deref(),
        Some("clara@example.com")
    );
    assert_eq!(case.len(), 1);
    assert_eq!(
        int(&case[0], "contact_id"),
        int(&contact[0], "id"),
        "the case links the contact"
    );
    assert!(text(&case[0], "description").unwrap().contains("Hi"));
    assert_eq!(
        text(&case[0], "owner_email").as_deref(),
        Some("max@example.com")
    );
    eventually_rows(
        &app,
        "SELECT id FROM crm_requests WHERE done_at IS NOT NULL AND module = 'Cases'",
    )
    .await;
    eventually_rows(
        &app,
        "SELECT id FROM crm_requests WHERE done_at IS NOT NULL AND module = 'Contacts'",
    )
    .await;

    // The panel shows what exists and offers only what does not.
    let panel = crm_panel(&max, id).await.expect_ok().clone();
    let manual = &panel["manual"];
    assert_eq!(
        modules(&manual["can_create"]),
        ["Leads", "Tasks"],
        "{panel}"
    );
    let made: Vec<(&str, &str)> = manual["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["module"].as_str().unwrap(), r["about"].as_str().unwrap()))
        .collect();
    assert_eq!(made.len(), 2, "{made:?}");
    assert_eq!(made[0], ("Contacts", "the client"));
    assert_eq!(made[1].0, "Cases");
    assert!(made[1].1.starts_with("session of "), "{made:?}");
    // Asking again for what exists makes nothing new.
    ask_for(&max, id, "Cases").await.expect_ok();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(rows(&app, "SELECT id FROM crm_cases").await.len(), 1);

    // Once Max ended his session he only reads the chat: no buttons, and asking is refused.
    crate::operator_sessions::end(&max, id, "")
        .await
        .expect_ok();
    clara.send(id, "m2", "One more thing").await.expect_ok();
    let panel = crm_panel(&max, id).await.expect_ok().clone();
    assert_eq!(panel["manual"], Value::Null, "{panel}");
    assert_eq!(
        ask_for(&max, id, "Tasks").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.client()
            .call(
                "chats/crm/create",
                &[("conversation_id", &id.to_string()), ("module", "Leads")]
            )
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    // With rules that create records by themselves, the buttons are refused.
    admin.accept(id).await.expect_ok();
    save_rules(&admin, &with(rules_of(&admin).await, "support", "keep"))
        .await
        .expect_ok();
    let r = ask_for(&admin, id, "Leads").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(rows(&app, "SELECT id FROM crm_leads").await.is_empty());
}
on_both_dbs!(manual_mode_staff_create_records_from_the_chat);

async fn staff_see_the_fields_picked_for_beside_the_chat(db: Db) {
    let app = app(db).await;
    let admin = app.admin().await;
    let (_clara, max, id) = deal_chat(&app).await;
    let contact = eventually_rows(&app, "SELECT id FROM crm_contacts").await;
    let contact = int(&contact[0], "id").unwrap();
    // The contact has a phone in the CRM and belongs to an account (as the Accounts rules would
    // link it).
    let backend = app.db.get_database_backend();
    app.db
        .execute_raw(Statement::from_string(
            backend,
            format!("UPDATE crm_contacts SET phone = '+44 20 7946 0958' WHERE id = {contact}"),
        ))
        .await
        .unwrap();
    app.db
        .execute_raw(Statement::from_string(
            backend,
            "INSERT INTO crm_accounts (account_name, phone, website, created_at) \
             VALUES ('Roofs Ltd', '+44 20 1111 2222', 'https://roofs.example', CURRENT_TIMESTAMP)"
                .to_owned(),
        ))
        .await
        .unwrap();
    let account = int(&rows(&app, "SELECT id FROM crm_accounts").await[0], "id").unwrap();
    app.db
        .execute_raw(Statement::from_string(
            backend,
            format!("UPDATE crm_contacts SET account_id = {account} WHERE id = {contact}"),
        ))
        .await
        .unwrap();
    let form = [("conversation_id", id.to_string())];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let pairs = |v: &Value| -> Vec<(String, String)> {
        serde_json::from_value(v["fields"].clone()).unwrap()
    };

    // None picked: the fields the rules write, and the account's name, phone and website.
    let seen = max.call("chats/crm", &form).await.expect_ok().clone();
    assert!(pairs(&seen["person"]).contains(&("Last Name".into(), "Client Person".into())));
    assert_eq!(seen["account"]["module"], "Accounts", "{seen}");
    assert_eq!(
        pairs(&seen["account"]),
        vec![
            ("Account Name".to_owned(), "Roofs Ltd".to_owned()),
            ("Phone".into(), "+44 20 1111 2222".into()),
            ("Website".into(), "https://roofs.example".into()),
        ]
    );

    // The admin picks the contact's email and phone, and the account's name.
    let picked = json!({"modules": [
        {"module": "Contacts", "fields": ["Email", "Phone"]},
        {"module": "Accounts", "fields": ["Account_Name"]},
    ]})
    .to_string();
    for (who, status) in [
        (&max, StatusCode::FORBIDDEN),
        (&app.client(), StatusCode::UNAUTHORIZED),
    ] {
        assert_eq!(
            who.call("admin/crm/panel/save", &[("panel", picked.as_str())])
                .await
                .status,
            status
        );
    }
    let unknown = json!({"modules": [{"module": "Contacts", "fields": ["Mood"]}]}).to_string();
    let refused = admin
        .call("admin/crm/panel/save", &[("panel", unknown.as_str())])
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.body.to_string().contains("no field Mood"),
        "{}",
        refused.body
    );
    admin
        .call("admin/crm/panel/save", &[("panel", picked.as_str())])
        .await
        .expect_ok();
    assert_eq!(
        admin.call("admin/crm/rules", &[]).await.expect_ok()["panel"]["modules"][0]["fields"],
        json!(["Email", "Phone"])
    );
    let seen = max.call("chats/crm", &form).await.expect_ok().clone();
    assert_eq!(
        pairs(&seen["person"]),
        vec![
            ("Email".to_owned(), "clara@example.com".to_owned()),
            ("Phone".into(), "+44 20 7946 0958".into()),
        ]
    );
    assert_eq!(
        pairs(&seen["account"]),
        vec![("Account Name".to_owned(), "Roofs Ltd".to_owned())]
    );

    // A change in the CRM shows when the chat opens; the panel's own reloads within the cache's
    // time show what was read.
    app.db
        .execute_raw(Statement::from_string(
            backend,
            format!("UPDATE crm_contacts SET phone = '+44 20 0000 0000' WHERE id = {contact}"),
        ))
        .await
        .unwrap();
    let mut reload = form.clone();
    reload.push(("fresh", "false"));
    let cached = max.call("chats/crm", &reload).await.expect_ok().clone();
    assert!(pairs(&cached["person"]).contains(&("Phone".into(), "+44 20 7946 0958".into())));
    let opened = max.call("chats/crm", &form).await.expect_ok().clone();
    assert!(pairs(&opened["person"]).contains(&("Phone".into(), "+44 20 0000 0000".into())));
}
on_both_dbs!(staff_see_the_fields_picked_for_beside_the_chat);

async fn the_dry_run_shows_the_plan_the_delivery_carries_out(db: Db) {
    let app = app(db).await;
    let admin = app.admin().await;
    let rules = rules_of(&admin).await;
    save_rules(&admin, &rules).await.expect_ok();
    let (_clara, max, id) = deal_chat(&app).await;
    eventually_rows(&app, "SELECT id FROM crm_contacts").await;
    max.send(id, &crate::helpers::msg_id(), "Quote coming")
        .await
        .expect_ok();
    let plan = dry_run(&admin, &rules, id).await;
    assert_eq!(plan.len(), 2, "{plan:?}");
    assert_eq!(plan[0]["module"], "Contacts");
    assert_eq!(plan[0]["why"], "the Contact recorded for this client");
    assert_eq!(plan[1]["module"], "Cases");
    assert_eq!(plan[1]["action"], "Create");
    assert_eq!(plan[1]["owner"], "max@example.com");
    let planned: Vec<(String, String)> = plan[1]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f[0].as_str().unwrap().to_owned(),
                f[1].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    crate::operator_sessions::end(&max, id, "")
        .await
        .expect_ok();
    let case = eventually_rows(
        &app,
        "SELECT subject, status, case_origin, description FROM crm_cases",
    )
    .await;
    for (field, column) in [
        ("Subject", "subject"),
        ("Status", "status"),
        ("Case_Origin", "case_origin"),
    ] {
        let value = planned
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, v)| v.clone());
        assert_eq!(text(&case[0], column), value, "{field}");
    }
    let description = planned.iter().find(|(f, _)| f == "Description").unwrap();
    assert!(
        text(&case[0], "description")
            .unwrap()
            .contains("Quote coming")
    );
    assert!(description.1.contains("Quote coming"));
    // Once recorded, the plan for that session says so.
    let again = dry_run(&admin, &rules, id).await;
    assert_eq!(again[1]["action"], "Keep");
}
on_both_dbs!(the_dry_run_shows_the_plan_the_delivery_carries_out);

async fn only_admins_read_or_change_the_rules(db: Db) {
    let app = app(db).await;
    let admin = app.admin().await;
    let rules = rules_of(&admin).await.to_string();
    let max = app.manager("max@example.com", "Max Manager").await;
    let clara = app.signed_up_client("clara@example.com").await;
    let id = clara
        .start_chat("question", "Hours", "Hi")
        .await
        .to_string();
    let anonymous = app.client();
    for (who, expected) in [
        (&max, StatusCode::FORBIDDEN),
        (&clara, StatusCode::FORBIDDEN),
        (&anonymous, StatusCode::UNAUTHORIZED),
    ] {
        for (endpoint, form) in [
            ("admin/crm/rules", vec![]),
            ("admin/crm/rules/save", vec![("rules", rules.as_str())]),
            (
                "admin/crm/rules/dry-run",
                vec![("rules", rules.as_str()), ("chat", id.as_str())],
            ),
            ("admin/crm/chats", vec![]),
        ] {
            let r = who.call(endpoint, &form).await;
            assert_eq!(r.status, expected, "{endpoint}: {}", r.body);
        }
    }
    // A chat that does not exist is not found; the picker lists hers.
    let missing = admin
        .call(
            "admin/crm/rules/dry-run",
            &[("rules", &rules), ("chat", "999999")],
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let chats = admin.call("admin/crm/chats", &[]).await.expect_ok().clone();
    assert!(chats.to_string().contains("Hours"), "{chats}");
}
on_both_dbs!(only_admins_read_or_change_the_rules);

async fn a_profile_is_the_users_own_and_checked(db: Db) {
    let app = app(db).await;
    let clara = app.signed_up_client("clara@example.com").await;
    let bad = clara
        .call(
            "accounts/profile/save",
            &[("phone", "call me"), ("company", "")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.invalid_field(), Some("phone"));
    profile(&clara, "+33 1 23 45 67 89", "Acme").await;
    let mine = clara
        .call("accounts/profile", &[])
        .await
        .expect_ok()
        .clone();
    assert_eq!(
        mine,
        json!({"phone": "+33 1 23 45 67 89", "company": "Acme"})
    );
    let other = app.signed_up_client("bo@example.com").await;
    let theirs = other
        .call("accounts/profile", &[])
        .await
        .expect_ok()
        .clone();
    assert_eq!(theirs, json!({"phone": null, "company": null}));
    let anonymous = app.client().call("accounts/profile", &[]).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}
on_both_dbs!(a_profile_is_the_users_own_and_checked);

async fn staff_see_the_clients_record_and_the_chats_sync_log(db: Db) {
    let app = app(db).await;
    let (clara, max, id) = deal_chat(&app).await;
    profile(&clara, "+44 20 7946 0958", "").await;
    eventually_rows(&app, "SELECT id FROM crm_contacts").await;
    let form = [("conversation_id", id.to_string())];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let seen = max.call("chats/crm", &form).await.expect_ok().clone();
    assert_eq!(seen["provider"], "builtin");
    let person = &seen["person"];
    assert_eq!(person["module"], "Contacts", "{seen}");
    assert_eq!(
        person["url"],
        Value::Null,
        "the built-in CRM has no pages of its own"
    );
    let fields: Vec<(String, String)> = serde_json::from_value(person["fields"].clone()).unwrap();
    assert!(
        fields.contains(&("Last Name".into(), "Client Person".into())),
        "{fields:?}"
    );
    assert!(
        fields.contains(&("Email".into(), "clara@example.com".into())),
        "{fields:?}"
    );
    let actions: Vec<&str> = seen["log"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["action"].as_str())
        .collect();
    assert!(actions.contains(&"Created the Contact"), "{actions:?}");
    assert!(actions.contains(&"Created the deal"), "{actions:?}");
    // The client of the chat reads the chat, not its CRM side.
    assert_eq!(
        clara.call("chats/crm", &form).await.status,
        StatusCode::FORBIDDEN
    );
    // Another chat's lines are not this one's.
    let other = app.signed_up_client("bo@example.com").await;
    other.start_chat("question", "Elsewhere", "Hi").await;
    let bo = eventually_rows(
        &app,
        "SELECT id FROM crm_contacts WHERE email = 'bo@example.com'",
    )
    .await;
    let bo = int(&bo[0], "id").unwrap().to_string();
    eventually_rows(
        &app,
        &format!("SELECT id FROM crm_sync_log WHERE remote_id = '{bo}'"),
    )
    .await;
    let again = max.call("chats/crm", &form).await.expect_ok().clone();
    let lines = again["log"].as_array().unwrap();
    assert!(!lines.is_empty());
    assert!(
        lines.iter().all(|l| l["remote_id"] != bo.as_str()),
        "{lines:?}"
    );
}
on_both_dbs!(staff_see_the_clients_record_and_the_chats_sync_log);
