//! Zoho: connecting from the admin CRM page (OAuth against the Zoho fake), the tokens sealed at
//! rest, refresh ahead of expiry and after a 401, a revoked grant that makes CRM work wait until
//! an admin reconnects, disconnect revoking the grant, and deals delivered to Zoho CRM.

use crate::helpers::{Client, Db, TestApp, spawn_app_with};
use crate::on_both_dbs;
use crate::zoho_fake::{CLIENT_ID, CLIENT_SECRET, ZohoFake};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use std::time::Duration;

/// An app whose Zoho addresses are the fake's, with quick retries and rechecks.
async fn app_with_fake(db: Db, fake: &ZohoFake) -> TestApp {
    spawn_app_with(
        db,
        &[
            ("crm.zoho.accounts_url", fake.base.as_str()),
            ("crm.zoho.api_url", fake.base.as_str()),
            ("crm.zoho.retry_base_ms", "50"),
            ("jobs.poll_ms", "100"),
            ("jobs.wait_recheck_secs", "1"),
            ("crm.poll_secs", "1"),
        ],
    )
    .await
}

/// Asks the app for Zoho's consent address.
async fn consent_url(admin: &Client, secret: &str) -> String {
    let reply = admin
        .call(
            "admin/crm/zoho/connect",
            &[
                ("client_id", CLIENT_ID),
                ("client_secret", secret),
                ("data_centre", "eu"),
            ],
        )
        .await;
    reply.expect_ok().as_str().unwrap().to_owned()
}

/// The `state` a consent address carries.
fn state_of(consent_url: &str) -> String {
    reqwest::Url::parse(consent_url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned()
}

/// Follows Zoho's callback as the admin's browser would; answers the outcome code the app's
/// redirect carries (`/admin/crm?zoho=<code>`).
async fn follow_callback(admin: &Client, callback: &str) -> String {
    let response = admin
        .http
        .get(callback)
        .send()
        .await
        .expect("callback request");
    assert!(
        response.status().is_redirection(),
        "callback answered {}",
        response.status()
    );
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    location
        .strip_prefix("/admin/crm?zoho=")
        .unwrap_or_else(|| panic!("unexpected redirect {location}"))
        .to_owned()
}

/// Connects Zoho as the admin; answers the signed-in admin.
pub async fn connect(app: &TestApp, fake: &ZohoFake) -> Client {
    let admin = app.admin().await;
    let url = consent_url(&admin, CLIENT_SECRET).await;
    let callback = to_app(app, fake.approve(&url).await);
    assert_eq!(follow_callback(&admin, &callback).await, "connected");
    admin
}

/// Zoho redirects to the public URL's callback (`server.public_url`, localhost:3000 in tests);
/// the browser here is pointed at the test server instead.
fn to_app(app: &TestApp, url: String) -> String {
    url.replacen("http://127.0.0.1:3000", &app.base, 1)
}

async fn connection(admin: &Client) -> Value {
    admin
        .call("admin/crm/connection", &[])
        .await
        .expect_ok()
        .clone()
}

/// Waits up to 15 s for `check` to answer something.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..150 {
        if let Some(found) = check().await {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

fn form_or_query<'a>(request: &'a Value, key: &str) -> Option<&'a str> {
    request
        .get("form")
        .and_then(|f| f.get(key))
        .or_else(|| request.get("query").and_then(|q| q.get(key)))
        .and_then(Value::as_str)
}

async fn token_requests(fake: &ZohoFake, grant: &str) -> Vec<Value> {
    fake.requests()
        .await
        .into_iter()
        .filter(|r| r["path"] == "/oauth/v2/token" && form_or_query(r, "grant_type") == Some(grant))
        .collect()
}

/// Every text column of the connection row, as stored.
async fn stored_connection(app: &TestApp) -> String {
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT client_id, client_secret, refresh_token, access_token FROM crm_connections",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            (0..4)
                .map(|i| {
                    r.try_get_by_index::<Option<String>>(i)
                        .unwrap()
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

async fn admin_connects_zoho_with_sealed_tokens_and_disconnects(db: Db) {
    let fake = ZohoFake::start().await;
    let app = app_with_fake(db, &fake).await;
    let admin = app.admin().await;
    assert_eq!(connection(&admin).await["provider"], "builtin");

    let url = consent_url(&admin, CLIENT_SECRET).await;
    let consent = reqwest::Url::parse(&url).unwrap();
    assert!(
        url.starts_with(&format!("{}/oauth/v2/auth?", fake.base)),
        "{url}"
    );
    let q: std::collections::HashMap<_, _> = consent.query_pairs().into_owned().collect();
    assert_eq!(q["access_type"], "offline");
    assert_eq!(q["prompt"], "consent");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(
        q["redirect_uri"], "http://127.0.0.1:3000/admin/crm/zoho/callback",
        "the redirect URI is the public URL's"
    );
    assert!(q["scope"].contains("ZohoCRM.modules.ALL"));

    let callback = fake.approve(&url).await;
    let callback_url = to_app(&app, callback);
    assert_eq!(follow_callback(&admin, &callback_url).await, "connected");

    let view = connection(&admin).await;
    assert_eq!(view["provider"], "zoho", "{view}");
    let zoho = &view["zoho"];
    assert_eq!(zoho["status"], "connected");
    assert_eq!(zoho["account_email"], "zoho.admin@example.com");
    assert!(zoho["org"]["id"].is_string(), "{zoho}");

    // What was exchanged, and how.
    let exchanged = token_requests(&fake, "authorization_code").await;
    assert_eq!(exchanged.len(), 1);
    assert_eq!(form_or_query(&exchanged[0], "client_id"), Some(CLIENT_ID));
    assert_eq!(
        form_or_query(&exchanged[0], "redirect_uri"),
        Some("http://127.0.0.1:3000/admin/crm/zoho/callback")
    );

    // Nothing secret is stored in the clear.
    let stored = stored_connection(&app).await;
    let state = fake.state().await;
    let tokens = state.to_string();
    assert!(
        !stored.contains(CLIENT_SECRET),
        "client secret in the clear"
    );
    assert!(!stored.contains(CLIENT_ID), "client id in the clear");
    for token in tokens
        .split('"')
        .filter(|t| t.starts_with("1000.") && t.len() > 20)
    {
        assert!(!stored.contains(token), "a token in the clear: {token}");
    }

    // The same callback again is refused, and changes nothing.
    assert_eq!(follow_callback(&admin, &callback_url).await, "replayed");
    assert_eq!(token_requests(&fake, "authorization_code").await.len(), 1);

    // Disconnect revokes the refresh token at Zoho and forgets it.
    let warning = admin.call("admin/crm/zoho/disconnect", &[]).await;
    assert_eq!(warning.expect_ok(), &Value::Null, "{:?}", warning.body);
    let revoked: Vec<Value> = fake
        .requests()
        .await
        .into_iter()
        .filter(|r| r["path"] == "/oauth/v2/token/revoke")
        .collect();
    assert_eq!(revoked.len(), 1);
    let revoked_token = form_or_query(&revoked[0], "token").unwrap().to_owned();
    let refreshed = fake.state().await;
    assert!(
        refreshed.to_string().contains(&revoked_token),
        "the revoked token is one the fake issued"
    );
    assert_eq!(connection(&admin).await["provider"], "builtin");
    assert!(stored_connection(&app).await.is_empty());
    assert_eq!(
        admin.call("admin/crm/zoho/disconnect", &[]).await.status,
        StatusCode::NOT_FOUND
    );
}
on_both_dbs!(admin_connects_zoho_with_sealed_tokens_and_disconnects);

async fn forged_or_stray_callbacks_connect_nothing(db: Db) {
    let fake = ZohoFake::start().await;
    let app = app_with_fake(db, &fake).await;
    let admin = app.admin().await;
    let to_app = |u: String| to_app(&app, u);

    // A state nobody handed out.
    let unknown = format!(
        "{}/admin/crm/zoho/callback?state=made-up&code=1000.x.y&accounts-server={}",
        app.base, fake.base
    );
    assert_eq!(follow_callback(&admin, &unknown).await, "bad_state");

    // A state handed to another sign-in (even of the same admin).
    let url = consent_url(&admin, CLIENT_SECRET).await;
    let callback = to_app(fake.approve(&url).await);
    let other_session = app.admin().await;
    assert_eq!(
        follow_callback(&other_session, &callback).await,
        "bad_state"
    );

    // An accounts server that is not the configured one receives nothing.
    let state = state_of(&consent_url(&admin, CLIENT_SECRET).await);
    let evil = format!(
        "{}/admin/crm/zoho/callback?state={state}&code=1000.x.y&accounts-server=https%3A%2F%2Faccounts.evil.example",
        app.base
    );
    assert_eq!(
        follow_callback(&admin, &evil).await,
        "unknown_accounts_server"
    );

    // Declined at Zoho.
    let state = state_of(&consent_url(&admin, CLIENT_SECRET).await);
    let declined = format!(
        "{}/admin/crm/zoho/callback?state={state}&error=access_denied",
        app.base
    );
    assert_eq!(follow_callback(&admin, &declined).await, "declined");

    // A wrong client secret is told in Zoho's words.
    let url = consent_url(&admin, "not-the-secret").await;
    let callback = to_app(fake.approve(&url).await);
    assert_eq!(
        follow_callback(&admin, &callback).await,
        "invalid_client_secret"
    );

    // Nothing got connected, and no code went anywhere but the fake.
    assert_eq!(connection(&admin).await["zoho"], Value::Null);
    assert_eq!(token_requests(&fake, "authorization_code").await.len(), 1);

    // Bad input is named.
    let blank = admin
        .call(
            "admin/crm/zoho/connect",
            &[
                ("client_id", ""),
                ("client_secret", "x"),
                ("data_centre", "eu"),
            ],
        )
        .await;
    assert_eq!(blank.status, StatusCode::BAD_REQUEST);
    assert_eq!(blank.invalid_field(), Some("client_id"));

    // Only administrators.
    let manager = app.manager("mia@example.com", "Mia").await;
    let client = app.signed_up_client("ny@example.com").await;
    for who in [&manager, &client] {
        for endpoint in ["admin/crm/connection", "admin/crm/zoho/disconnect"] {
            assert_eq!(who.call(endpoint, &[]).await.status, StatusCode::FORBIDDEN);
        }
        let r = who
            .call(
                "admin/crm/zoho/connect",
                &[
                    ("client_id", CLIENT_ID),
                    ("client_secret", "x"),
                    ("data_centre", "eu"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    let anonymous = app.client();
    assert_eq!(
        anonymous.call("admin/crm/connection", &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Someone else following a real callback link connects nothing: a stranger is asked to
    // sign in, a manager is refused.
    let url = consent_url(&admin, CLIENT_SECRET).await;
    let callback = to_app(fake.approve(&url).await);
    let stranger = anonymous.http.get(&callback).send().await.unwrap();
    let location = stranger.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("/login?next="), "{location}");
    assert_eq!(follow_callback(&manager, &callback).await, "bad_state");
    assert_eq!(connection(&admin).await["zoho"], Value::Null);
    assert_eq!(token_requests(&fake, "authorization_code").await.len(), 1);
}
on_both_dbs!(forged_or_stray_callbacks_connect_nothing);

/// The Zoho deal the fake holds for our deal titled `title`.
async fn zoho_deal(fake: &ZohoFake, title: &str) -> Option<Value> {
    fake.records("Deals")
        .await
        .into_iter()
        .find(|d| d["Deal_Name"] == title)
}

async fn deals_reach_zoho_through_renewed_tokens(db: Db) {
    let fake = ZohoFake::start().await;
    let app = app_with_fake(db, &fake).await;
    let admin = connect(&app, &fake).await;
    fake.clear_requests().await;

    // Access tokens run out while the app works; 401 and 429 are taken in stride.
    fake.expire_tokens().await;
    fake.config(json!({"rate_limit_next": 2})).await;
    let client = app.signed_up_client("ny@example.com").await;
    let id = client.start_chat("project", "Attic", "Hi").await;
    let deal = eventually("the deal in Zoho", || async {
        zoho_deal(&fake, "Attic").await
    })
    .await;
    assert_eq!(deal["Stage"], "Qualification", "{deal}");
    let contact = &deal["Contact_Name"]["id"];
    let contacts = fake.records("Contacts").await;
    let person = contacts
        .iter()
        .find(|c| &c["id"] == contact)
        .expect("the contact");
    assert_eq!(person["Email"], "ny@example.com");
    // The connector's default mapping (support): the name as Last_Name, as in the seed's table.
    assert_eq!(person["Last_Name"], "Client Person");
    assert!(!token_requests(&fake, "refresh_token").await.is_empty());
    let answered: Vec<u64> = fake
        .requests()
        .await
        .iter()
        .filter_map(|r| r["status"].as_u64())
        .collect();
    assert!(
        answered.contains(&401) && answered.contains(&429),
        "{answered:?}"
    );

    // A stage moved here moves the Zoho deal, mapped to the organisation's stage.
    let mia = app.manager("mia@example.com", "Mia").await;
    mia.accept(id).await.expect_ok();
    mia.call(
        "chats/stage",
        &[("conversation_id", &id.to_string()), ("stage", "proposal")],
    )
    .await
    .expect_ok();
    eventually("the stage in Zoho", || async {
        zoho_deal(&fake, "Attic")
            .await
            .filter(|d| d["Stage"] == "Proposal/Price Quote")
    })
    .await;
    // Every call carried the token and the organisation.
    for r in fake.requests().await {
        let path = r["path"].as_str().unwrap_or("");
        if path.starts_with("/crm/v8/") {
            let auth = r["headers"]["authorization"].as_str().unwrap_or("");
            assert!(auth.starts_with("Zoho-oauthtoken 1000."), "{r}");
            assert!(r["headers"]["x-crm-org"].is_string(), "{r}");
        }
    }
    drop(admin);
}
on_both_dbs!(deals_reach_zoho_through_renewed_tokens);

async fn a_revoked_grant_makes_crm_work_wait_for_a_reconnect(db: Db) {
    let fake = ZohoFake::start().await;
    let app = app_with_fake(db, &fake).await;
    let admin = connect(&app, &fake).await;

    // The user removed the app in Zoho: refreshing fails for good.
    fake.revoke_all().await;
    fake.expire_tokens().await;
    let client = app.signed_up_client("ny@example.com").await;
    client.start_chat("project", "Attic", "Hi").await;
    eventually("reconnect needed", || async {
        let view = connection(&admin).await;
        (view["zoho"]["status"] == "reconnect_needed").then_some(())
    })
    .await;
    assert!(zoho_deal(&fake, "Attic").await.is_none());
    // The delivery waits: it is not among the failed jobs, however long this takes.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let failed = admin.call("admin/jobs/failed", &[]).await;
    assert_eq!(failed.expect_ok(), &json!([]), "{:?}", failed.body);

    // Reconnecting lets it through.
    let url = consent_url(&admin, CLIENT_SECRET).await;
    let callback = to_app(&app, fake.approve(&url).await);
    assert_eq!(follow_callback(&admin, &callback).await, "connected");
    eventually("the deal in Zoho after the reconnect", || async {
        zoho_deal(&fake, "Attic").await
    })
    .await;
    assert_eq!(connection(&admin).await["zoho"]["status"], "connected");
}
on_both_dbs!(a_revoked_grant_makes_crm_work_wait_for_a_reconnect);

async fn a_stage_moved_in_zoho_reaches_the_clients_stepper(db: Db) {
    let fake = ZohoFake::start().await;
    let app = app_with_fake(db, &fake).await;
    connect(&app, &fake).await;
    let client = app.signed_up_client("ny@example.com").await;
    let id = client.start_chat("project", "Attic", "Hi").await;
    let mia = app.manager("mia@example.com", "Mia").await;
    mia.accept(id).await.expect_ok();
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
    let deal = eventually("the amount in Zoho", || async {
        zoho_deal(&fake, "Attic")
            .await
            .filter(|d| d["Amount"] == json!(1500.0))
    })
    .await;
    // Our own writes come back through the poll without becoming changes.
    tokio::time::sleep(Duration::from_secs(3)).await;

    // Someone moves the deal in Zoho.
    let zoho_id = deal["id"].as_str().unwrap().to_owned();
    fake.edit(
        "Deals",
        &zoho_id,
        json!({"Stage": "Negotiation/Review", "Amount": 1800.5}),
    )
    .await;
    let view = eventually("the client's stepper at negotiation", || async {
        let view = client.open(id).await;
        (view["deal"]["stage"] == "negotiation").then_some(view)
    })
    .await;
    assert_eq!(view["deal"]["amount"]["minor"], 180_050, "{}", view["deal"]);
    let said = |view: &Value| -> Vec<Value> {
        view["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["event"]["by"] == "Zoho CRM")
            .map(|m| m["event"].clone())
            .collect()
    };
    assert_eq!(
        said(&view),
        vec![
            json!({"by": "Zoho CRM", "event": "stage_moved", "from": "inquiry", "to": "negotiation"})
        ],
        "{}",
        view["messages"]
    );
    // Applying it sent nothing back, and later polls apply nothing more.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let later = client.open(id).await;
    assert_eq!(said(&later).len(), 1);
    let deal = zoho_deal(&fake, "Attic").await.unwrap();
    assert_eq!(deal["Stage"], "Negotiation/Review");
    assert_eq!(deal["Modified_By"]["name"], "Zoho Editor", "{deal}");
}
on_both_dbs!(a_stage_moved_in_zoho_reaches_the_clients_stepper);

async fn stages_map_to_the_organisations_own_pick_list(db: Db) {
    let fake = ZohoFake::start().await;
    let app = app_with_fake(db, &fake).await;
    let admin = connect(&app, &fake).await;
    let ours = ["New", "Quoted", "Haggling", "Signed", "Won", "Lost"];
    fake.set_pick_list("Deals", "Stage", &ours).await;

    let shown = admin
        .call("admin/crm/stages", &[])
        .await
        .expect_ok()
        .clone();
    assert_eq!(shown["choices"], json!(ours), "{shown}");
    // The standard default names values this organisation lacks: saved as is, it is refused.
    let standard: Vec<(String, String)> = shown["to_crm"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, p)| (format!("to[{i}]"), p[1].as_str().unwrap().to_owned()))
        .collect();
    let mut form: Vec<(String, String)> = standard;
    form.push(("won".into(), "Won".into()));
    form.push(("lost".into(), "Lost".into()));
    for i in 0..ours.len() {
        form.push((format!("from[{i}]"), String::new()));
    }
    let send = |f: Vec<(String, String)>| {
        let admin = admin.clone();
        async move {
            let pairs: Vec<(&str, &str)> =
                f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            admin.call("admin/crm/stages/save", &pairs).await
        }
    };
    let refused = send(form).await;
    assert_eq!(
        refused.status,
        StatusCode::BAD_REQUEST,
        "{:?}",
        refused.body
    );
    assert_eq!(refused.invalid_field(), Some("to_inquiry"));

    let mapping = [
        ("to[0]", "New"),
        ("to[1]", "Quoted"),
        ("to[2]", "Haggling"),
        ("to[3]", "Signed"),
        ("to[4]", "Won"),
        ("won", "Won"),
        ("lost", "Lost"),
        ("from[0]", "inquiry"),
        ("from[1]", "proposal"),
        ("from[2]", "negotiation"),
        ("from[3]", "approval"),
        ("from[4]", "completion"),
        ("from[5]", ""),
    ];
    let good: Vec<(String, String)> = mapping
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    send(good.clone()).await.expect_ok();
    let saved = admin
        .call("admin/crm/stages", &[])
        .await
        .expect_ok()
        .clone();
    assert_eq!(saved["to_crm"][2], json!(["negotiation", "Haggling"]));
    assert_eq!(
        saved["from_crm"],
        json!([
            "inquiry",
            "proposal",
            "negotiation",
            "approval",
            "completion",
            null
        ])
    );

    // Deals go out in the organisation's words and come back from them.
    let client = app.signed_up_client("ny@example.com").await;
    let id = client.start_chat("project", "Attic", "Hi").await;
    let deal = eventually("the deal in Zoho at New", || async {
        zoho_deal(&fake, "Attic")
            .await
            .filter(|d| d["Stage"] == "New")
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    fake.edit(
        "Deals",
        deal["id"].as_str().unwrap(),
        json!({"Stage": "Signed"}),
    )
    .await;
    eventually("our deal at approval", || async {
        (client.open(id).await["deal"]["stage"] == "approval").then_some(())
    })
    .await;

    // Only administrators.
    let manager = app.manager("mia@example.com", "Mia").await;
    assert_eq!(
        manager.call("admin/crm/stages", &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let pairs: Vec<(&str, &str)> = good.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        manager.call("admin/crm/stages/save", &pairs).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.client()
            .call("admin/crm/stages/save", &pairs)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}
on_both_dbs!(stages_map_to_the_organisations_own_pick_list);

async fn the_built_in_crm_has_no_stages_to_map(db: Db) {
    let fake = ZohoFake::start().await;
    let app = app_with_fake(db, &fake).await;
    let admin = app.admin().await;
    assert_eq!(
        admin.call("admin/crm/stages", &[]).await.expect_ok(),
        &Value::Null
    );
    // The CRM page renders for the admin, with the connect form.
    let page = admin.get("/admin/crm").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Connect with Zoho"), "{html}");
}
on_both_dbs!(the_built_in_crm_has_no_stages_to_map);

pub async fn sync_log_lines(admin: &Client) -> Vec<Value> {
    admin
        .call("admin/crm/log", &[])
        .await
        .expect_ok()
        .as_array()
        .unwrap()
        .clone()
}

async fn the_sync_log_tells_what_was_done_and_retries_a_refused_delivery(db: Db) {
    let fake = ZohoFake::start().await;
    let app = app_with_fake(db, &fake).await;
    let admin = connect(&app, &fake).await;
    // The organisation lacks the stage our Inquiry goes out as: Zoho refuses the deal.
    fake.set_pick_list("Deals", "Stage", &["New", "Won", "Lost"])
        .await;
    let client = app.signed_up_client("ny@example.com").await;
    let chat = client.start_chat("project", "Attic", "Hi").await;
    let failed = eventually("the refused delivery in the log", || async {
        sync_log_lines(&admin)
            .await
            .into_iter()
            .find(|l| l["outcome"] == "failed")
    })
    .await;
    assert_eq!(failed["action"], "Delivering the deal");
    assert_eq!(failed["deal_title"], "Attic");
    assert_eq!(failed["provider"], "zoho");
    assert_eq!(failed["can_retry"], true);
    let detail = failed["detail"].as_str().unwrap();
    assert!(
        detail.contains("Stage") && detail.contains("$.data[0].Stage"),
        "{detail}"
    );
    // What went through before it is there too: the contact, with Zoho's id.
    let contact = fake.records("Contacts").await;
    let lines = sync_log_lines(&admin).await;
    let created = lines
        .iter()
        .find(|l| l["action"] == "Created the Contact")
        .expect("the contact's line");
    assert_eq!(created["outcome"], "done");
    assert_eq!(created["module"], "Contacts");
    assert_eq!(created["remote_id"], contact[0]["id"]);
    // The refused delivery is in the failed jobs as well, and only once in the log.
    assert_eq!(
        lines.iter().filter(|l| l["outcome"] == "failed").count(),
        1,
        "{lines:?}"
    );

    let line_id = failed["id"].as_i64().unwrap().to_string();
    let manager = app.manager("mia@example.com", "Mia").await;
    for (who, status) in [
        (&manager, StatusCode::FORBIDDEN),
        (&app.client(), StatusCode::UNAUTHORIZED),
    ] {
        assert_eq!(who.call("admin/crm/log", &[]).await.status, status);
        assert_eq!(
            who.call("admin/crm/log/retry", &[("entry_id", &line_id)])
                .await
                .status,
            status
        );
    }
    // The chat's staff retry it from the log beside the chat; others may not: Mia reads the
    // waiting chat (she works its queue) but does not act in it, and once Max took it she does
    // not even see it.
    let chat_id = chat.to_string();
    let retry = [
        ("conversation_id", chat_id.as_str()),
        ("entry_id", line_id.as_str()),
    ];
    assert_eq!(
        manager.call("chats/crm/retry", &retry).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        client.call("chats/crm/retry", &retry).await.status,
        StatusCode::FORBIDDEN
    );
    let max = app.manager("max@example.com", "Max").await;
    max.accept(chat).await.expect_ok();
    assert_eq!(
        manager.call("chats/crm/retry", &retry).await.status,
        StatusCode::NOT_FOUND
    );
    // Max's accepting queues one more delivery of the deal, refused as well while the stages
    // are not mapped (the failure line is updated, not repeated). Waiting for it keeps the retry
    // below about a delivery that is not done: had it run after the fix, it would have gone
    // through and left nothing to retry.
    eventually("the accept's delivery refused too", || async {
        let lines = sync_log_lines(&admin).await;
        let line = lines.iter().find(|l| l["id"] == failed["id"])?;
        (line["at"] != failed["at"] && line["outcome"] == "failed").then_some(())
    })
    .await;
    // The cause is fixed (the stages mapped to the organisation's), then retried beside the chat.
    let mapping = [
        ("to[0]", "New"),
        ("to[1]", "New"),
        ("to[2]", "New"),
        ("to[3]", "New"),
        ("to[4]", "Won"),
        ("won", "Won"),
        ("lost", "Lost"),
        ("from[0]", "inquiry"),
        ("from[1]", "completion"),
        ("from[2]", ""),
    ];
    admin
        .call("admin/crm/stages/save", &mapping)
        .await
        .expect_ok();
    let beside = max
        .call("chats/crm", &[("conversation_id", chat_id.as_str())])
        .await
        .expect_ok()
        .clone();
    assert_eq!(beside["can_retry"], true);
    let line = beside["log"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == failed["id"])
        .expect("the failed line beside the chat")
        .clone();
    assert_eq!(line["can_retry"], true);
    // A line about another chat is not this chat's to retry.
    let other = app.signed_up_client("other@example.com").await;
    let other_chat = other.start_chat("question", "Elsewhere", "Hi").await;
    max.accept(other_chat).await.expect_ok();
    assert_eq!(
        max.call(
            "chats/crm/retry",
            &[
                ("conversation_id", other_chat.to_string().as_str()),
                ("entry_id", line_id.as_str())
            ]
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    max.call("chats/crm/retry", &retry).await.expect_ok();
    let deal = eventually("the deal in Zoho after the retry", || async {
        zoho_deal(&fake, "Attic").await
    })
    .await;
    assert_eq!(deal["Stage"], "New");
    let lines = eventually("the deal's line", || async {
        let lines = sync_log_lines(&admin).await;
        lines
            .iter()
            .any(|l| l["action"] == "Created the deal")
            .then_some(lines)
    })
    .await;
    let made = lines
        .iter()
        .find(|l| l["action"] == "Created the deal")
        .unwrap();
    assert_eq!(made["remote_id"], deal["id"]);
    // Done since: the retry ran the deal's newest delivery, which went through.
    eventually("the old line no longer retryable", || async {
        let lines = sync_log_lines(&admin).await;
        let old = lines.iter().find(|l| l["id"] == failed["id"]).unwrap();
        (old["can_retry"] == false).then_some(())
    })
    .await;
    assert_eq!(
        admin
            .call("admin/crm/log/retry", &[("entry_id", &line_id)])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
on_both_dbs!(the_sync_log_tells_what_was_done_and_retries_a_refused_delivery);

async fn calls_to_zoho_stay_within_the_concurrency_limit(db: Db) {
    let fake = ZohoFake::start().await;
    let app = spawn_app_with(
        db,
        &[
            ("crm.zoho.accounts_url", fake.base.as_str()),
            ("crm.zoho.api_url", fake.base.as_str()),
            ("crm.zoho.max_concurrent", "2"),
        ],
    )
    .await;
    let admin = connect(&app, &fake).await;
    // Every reading of the CRM page asks Zoho for the stage list; Zoho answers slowly.
    fake.config(json!({"delay_ms": 300})).await;
    let mut asks = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let admin = admin.clone();
        asks.spawn(async move { admin.call("admin/crm/stages", &[]).await.status });
    }
    while let Some(status) = asks.join_next().await {
        assert_eq!(status.unwrap(), StatusCode::OK);
    }
    let most = fake.state().await["max_concurrent_crm"].as_u64().unwrap();
    assert!(
        (1..=2).contains(&most),
        "{most} calls were in flight at once"
    );
}
on_both_dbs!(calls_to_zoho_stay_within_the_concurrency_limit);

/// The connector's rules against Zoho: support makes a Contact (owned by the connecting user,
/// no agent yet) when the chat starts and a Case (owned by the agent's Zoho user, linked to the
/// contact and the deal, with the session's file) when the operator ends it.
async fn support_rules_in_zoho_make_a_contact_and_a_case(db: Db) {
    use crate::crm_rules::{rules_of, save_rules};
    let fake = ZohoFake::start().await;
    let app = app_with_fake(db, &fake).await;
    let admin = connect(&app, &fake).await;
    let max_user = fake.add_user("max@example.com", "Max").await;
    let rules = rules_of(&admin).await;
    // Zoho's own fields are what the mapping is checked against.
    let mut unknown = rules.clone();
    unknown["modules"][4]["fields"]
        .as_array_mut()
        .unwrap()
        .push(json!({"field": "Mood", "from": {"Text": "calm"}, "otherwise": ""}));
    let refused = save_rules(&admin, &unknown).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.body.to_string().contains("Mood"),
        "{}",
        refused.body
    );
    save_rules(&admin, &rules).await.expect_ok();

    let (_clara, max, id) = crate::files::deal_chat(&app).await;
    crate::files::share(&max, id, "plan.pdf", "the plan").await;
    crate::operator_sessions::end(&max, id, "Call back")
        .await
        .expect_ok();
    let case = eventually("the case in Zoho", || async {
        fake.records("Cases").await.into_iter().next()
    })
    .await;
    let contacts = fake.records("Contacts").await;
    assert_eq!(contacts.len(), 1, "one contact for the deal and the rules");
    let contact = &contacts[0];
    assert_eq!(contact["Email"], "clara@example.com");
    let connecting = connection(&admin).await;
    assert_eq!(
        contact["Owner"]["email"], connecting["zoho"]["account_email"],
        "no agent when the chat started: the connecting user owns it"
    );
    assert_eq!(case["Subject"], "Client Person");
    assert_eq!(case["Status"], "Closed");
    assert_eq!(case["Case_Origin"], "Chat");
    assert_eq!(case["Owner"]["id"], max_user["id"], "{case}");
    assert_eq!(case["Related_To"]["id"], contact["id"]);
    let deal = zoho_deal(&fake, "Roof").await.expect("the deal");
    assert_eq!(case["Deal_Name"]["id"], deal["id"]);
    let description = case["Description"].as_str().unwrap();
    assert!(description.contains("Wrap-up: Call back"), "{description}");
    assert!(
        description.contains("Client Person: Hello"),
        "{description}"
    );
    let attached = eventually("the case's attachment", || async {
        fake.records("Cases")
            .await
            .into_iter()
            .next()
            .and_then(|c| c["attachments"].as_array().cloned())
            .filter(|a| !a.is_empty())
    })
    .await;
    assert_eq!(attached[0]["File_Name"], "plan.pdf", "{attached:?}");
    let log = sync_log_lines(&admin).await;
    let actions: Vec<&str> = log.iter().filter_map(|l| l["action"].as_str()).collect();
    assert!(actions.contains(&"Created the Contact"), "{actions:?}");
    assert!(actions.contains(&"Created the Case"), "{actions:?}");
    // Beside the chat: the contact as Zoho holds it, with its page in Zoho CRM.
    let beside = max
        .call("chats/crm", &[("conversation_id", &id.to_string())])
        .await
        .expect_ok()
        .clone();
    assert_eq!(beside["person"]["id"], contact["id"]);
    let url = beside["person"]["url"].as_str().unwrap();
    let org = connecting["zoho"]["org"]["id"].as_str().unwrap();
    assert!(
        url.ends_with(&format!(
            "/crm/org{org}/tab/Contacts/{}",
            contact["id"].as_str().unwrap()
        )),
        "{url}"
    );
}
on_both_dbs!(support_rules_in_zoho_make_a_contact_and_a_case);

/// Sales against Zoho: a lead found by phone (the first rule) gets only its empty fields filled,
/// and the session becomes a Task related to the deal.
async fn sales_rules_in_zoho_find_a_lead_by_phone_and_fill_what_is_empty(db: Db) {
    use crate::crm_rules::{rules_of, save_rules};
    let fake = ZohoFake::start().await;
    let app = app_with_fake(db, &fake).await;
    let admin = connect(&app, &fake).await;
    let lead = fake
        .seed(
            "Leads",
            json!({"Last_Name": "Known", "Company": "Roofs Ltd", "Phone": "+44 20 7946 0958"}),
        )
        .await;
    let mut rules = rules_of(&admin).await;
    rules["mode"] = json!("sales");
    rules["update"] = json!("fill_empty");
    rules["modules"][0]["identify"] = json!(["Phone", "Email"]);
    save_rules(&admin, &rules).await.expect_ok();
    let clara = app.signed_up_client("clara@example.com").await;
    clara
        .call(
            "accounts/profile/save",
            &[("phone", "0044 20 7946 0958"), ("company", "")],
        )
        .await
        .expect_ok();
    crate::crm_rules::verify(&app, "clara@example.com").await;
    let id = clara.start_chat("project", "Roof", "Hello").await;
    let filled = eventually("the lead's email filled", || async {
        fake.records("Leads")
            .await
            .into_iter()
            .find(|l| l["id"] == lead["id"] && l["Email"] == "clara@example.com")
    })
    .await;
    assert_eq!(
        filled["Last_Name"], "Known",
        "a filled field is left as it is"
    );
    assert_eq!(fake.records("Leads").await.len(), 1, "found, not created");
    let max = app.manager("max@example.com", "Max").await;
    max.accept(id).await.expect_ok();
    crate::operator_sessions::end(&max, id, "")
        .await
        .expect_ok();
    let task = eventually("the task in Zoho", || async {
        fake.records("Tasks").await.into_iter().next()
    })
    .await;
    let deal = zoho_deal(&fake, "Roof").await.expect("the deal");
    assert_eq!(task["What_Id"]["id"], deal["id"], "{task}");
    assert_eq!(task["$se_module"], "Deals");
    assert_eq!(task["Subject"], "Client Person");
    assert_eq!(task["Status"], "Completed");
    let searches: Vec<String> = fake
        .requests()
        .await
        .iter()
        .filter(|r| r["path"] == "/crm/v8/Leads/search")
        .map(|r| r["query"].to_string())
        .collect();
    assert!(searches.iter().any(|q| q.contains("phone")), "{searches:?}");
}
on_both_dbs!(sales_rules_in_zoho_find_a_lead_by_phone_and_fill_what_is_empty);

/// Manual rules against Zoho: nothing is made by itself; the lead and the session's task staff
/// ask for from the chat are, the task related to the deal, each once however often asked.
async fn manual_rules_in_zoho_make_what_staff_ask_for(db: Db) {
    use crate::crm_rules::{rules_of, save_rules};
    let fake = ZohoFake::start().await;
    let app = app_with_fake(db, &fake).await;
    let admin = connect(&app, &fake).await;
    let mut rules = rules_of(&admin).await;
    rules["mode"] = json!("manual");
    save_rules(&admin, &rules).await.expect_ok();
    let clara = app.signed_up_client("clara@example.com").await;
    let id = clara.start_chat("project", "Deck", "Hello").await;
    let max = app.manager("max@example.com", "Max").await;
    max.accept(id).await.expect_ok();
    let deal = eventually("the deal in Zoho", || async {
        zoho_deal(&fake, "Deck").await
    })
    .await;
    assert!(fake.records("Leads").await.is_empty());
    assert!(fake.records("Tasks").await.is_empty());
    let chat = id.to_string();
    for module in ["Leads", "Tasks", "Leads"] {
        max.call(
            "chats/crm/create",
            &[("conversation_id", chat.as_str()), ("module", module)],
        )
        .await
        .expect_ok();
    }
    let task = eventually("the task in Zoho", || async {
        fake.records("Tasks").await.into_iter().next()
    })
    .await;
    let leads = fake.records("Leads").await;
    assert_eq!(leads.len(), 1, "{leads:?}");
    assert_eq!(leads[0]["Email"], "clara@example.com");
    assert_eq!(task["What_Id"]["id"], deal["id"], "{task}");
    assert!(
        task["Description"].as_str().unwrap().contains("Hello"),
        "{task}"
    );
    // Zoho stores a record when it answers the POST; the job keeps its id just after, so the
    // chat's side panel may lag the fake by a moment.
    let wanted = [
        (
            "Leads".to_string(),
            leads[0]["id"].as_str().unwrap().to_string(),
        ),
        (
            "Tasks".to_string(),
            task["id"].as_str().unwrap().to_string(),
        ),
    ];
    eventually("the lead and the task beside the chat", || async {
        let beside = max
            .call("chats/crm", &[("conversation_id", chat.as_str())])
            .await
            .expect_ok()
            .clone();
        let held: Vec<(String, String)> = beside["manual"]["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["module"].as_str().unwrap().to_string(),
                    r["id"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        wanted.iter().all(|w| held.contains(w)).then_some(())
    })
    .await;
    assert_eq!(fake.records("Tasks").await.len(), 1);
}
on_both_dbs!(manual_rules_in_zoho_make_what_staff_ask_for);
