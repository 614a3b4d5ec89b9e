//! The defences an attacker probes: the login throttle under parallel guesses, the `next`
//! redirect, cross-site requests, abuse limits, security headers, sessions and tus's rules.

use crate::files::{Announce, deal_chat};
use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, Db, spawn_app, spawn_app_with};
use crate::on_both_dbs;
use reqwest::StatusCode;

/// The stored failure count of one email.
async fn stored_failures(db: &sea_orm::DatabaseConnection, email: &str) -> i32 {
    use dealchat::server::platform::entities::login_throttle;
    use sea_orm::EntityTrait;
    login_throttle::Entity::find_by_id(email.to_owned())
        .one(db)
        .await
        .unwrap()
        .expect("a throttle row")
        .failures
}

async fn parallel_wrong_logins_are_each_counted(db: Db) {
    let app = spawn_app_with(
        db,
        &[
            ("auth.max_failed_logins", "5"),
            ("rate_limits.auth_per_ip_per_minute", "100000"),
        ],
    )
    .await;
    let guesses = (0..60).map(|i| {
        let c = app.client();
        async move { c.login(ADMIN_EMAIL, &format!("wrong-guess-{i:03}")).await }
    });
    let replies = futures::future::join_all(guesses).await;
    let unauthorized = replies
        .iter()
        .filter(|r| r.status == StatusCode::UNAUTHORIZED)
        .count();
    let locked = replies
        .iter()
        .filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(unauthorized <= 5, "{unauthorized} guesses were checked");
    assert_eq!(unauthorized + locked, 60);
    assert!(
        replies
            .iter()
            .filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
            .all(|r| r.headers.contains_key("retry-after"))
    );
    assert_eq!(stored_failures(&app.db, ADMIN_EMAIL).await, 60);
    // The lock holds against the right password too.
    let right = app.client().login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
}
on_both_dbs!(parallel_wrong_logins_are_each_counted);

async fn a_wrong_current_password_counts_like_a_failed_login(db: Db) {
    let app = spawn_app_with(db, &[("auth.max_failed_logins", "3")]).await;
    let c = app.signed_up_client("pat@example.com").await;
    for i in 0..2 {
        let r = c
            .call(
                "auth/password",
                &[
                    ("current_password", &format!("not-my-password-{i}")),
                    ("new_password", "brand-new-password-1"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    }
    let third = c
        .call(
            "auth/password",
            &[
                ("current_password", "not-my-password-2"),
                ("new_password", "brand-new-password-1"),
            ],
        )
        .await;
    assert_eq!(
        third.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{:?}",
        third.body
    );
    // The account's logins are locked as well.
    let login = app
        .client()
        .login("pat@example.com", "client-password-1")
        .await;
    assert_eq!(login.status, StatusCode::TOO_MANY_REQUESTS);
}
on_both_dbs!(a_wrong_current_password_counts_like_a_failed_login);

/// Logs in through the form with `next` and returns where the answer points.
async fn login_location(app: &crate::helpers::TestApp, next: &str) -> String {
    let r = app
        .client()
        .http
        .post(format!("{}/api/auth/login", app.base))
        // A plain form post, as a browser without JavaScript sends it.
        .header("Accept", "text/html")
        .form(&[
            ("email", ADMIN_EMAIL),
            ("password", ADMIN_PASSWORD),
            ("next", next),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    r.headers()["location"].to_str().unwrap().to_owned()
}

async fn next_never_leads_off_the_site(db: Db) {
    let app = spawn_app(db).await;
    assert_eq!(login_location(&app, "/admin/users").await, "/admin/users");
    for evil in [
        "/\t/evil.example",
        "/\n/evil.example",
        "//evil.example",
        "/\\evil.example",
        "/%2F%2Fevil.example",
        "https://evil.example",
        "\u{FF0F}\u{FF0F}evil.example",
    ] {
        assert_eq!(login_location(&app, evil).await, "/", "{evil:?}");
    }
}
on_both_dbs!(next_never_leads_off_the_site);

async fn cross_site_writes_are_refused_everywhere(db: Db) {
    let app = spawn_app(db).await;
    let (clara, _max, id) = deal_chat(&app).await;
    let forged = |c: &crate::helpers::Client, method: reqwest::Method, path: &str| {
        c.http
            .request(method, format!("{}{path}", app.base))
            .header("Origin", "https://evil.example")
            .header("Sec-Fetch-Site", "cross-site")
    };
    // A server function: no chat, no deal.
    let before = clara.list().await.len();
    let start = forged(&clara, reqwest::Method::POST, "/api/chats/start")
        .form(&[
            ("topic", "project"),
            ("title", "Forged"),
            ("body", "hi"),
            ("client_msg_id", "8d3c1a64-3d7e-4b7f-9d38-2f1f1f7a1c11"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), StatusCode::FORBIDDEN);
    assert_eq!(clara.list().await.len(), before);
    // The plain send handler.
    let send = forged(&clara, reqwest::Method::POST, "/api/chats/send")
        .form(&[
            ("conversation_id", id.to_string()),
            (
                "client_msg_id",
                "6c0e7d51-0f6b-4a55-8f0e-3a0c2f8d9b21".into(),
            ),
            ("body", "forged".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(send.status(), StatusCode::FORBIDDEN);
    // The streamed poll: a page elsewhere may not hold (and so end) a user's polls.
    let stream = forged(&clara, reqwest::Method::POST, "/api/chats/stream")
        .form(&[("tick", "0"), ("after_seq", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::FORBIDDEN);
    // Login (login CSRF) and signup, with only an Origin (an older browser).
    let login = app
        .client()
        .http
        .post(format!("{}/api/auth/login", app.base))
        .header("Origin", "https://evil.example")
        .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::FORBIDDEN);
    assert!(login.headers().get("set-cookie").is_none());
    let signup = app
        .client()
        .http
        .post(format!("{}/api/auth/signup", app.base))
        .header("Sec-Fetch-Site", "same-site")
        .form(&[
            ("email", "mallory@example.com"),
            ("display_name", "M"),
            ("password", "long-password-12"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signup.status(), StatusCode::FORBIDDEN);
    // tus: creating an upload.
    let tus = forged(&clara, reqwest::Method::POST, "/files/uploads")
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "3")
        .send()
        .await
        .unwrap();
    assert_eq!(tus.status(), StatusCode::FORBIDDEN);
    // The same requests from the site itself go through.
    let own = clara
        .http
        .post(format!("{}/api/chats/start", app.base))
        .header("Sec-Fetch-Site", "same-origin")
        .header("Accept", "application/json")
        .form(&[
            ("topic", "project"),
            ("title", "Real"),
            ("body", "hi"),
            ("client_msg_id", "0b8f2f0e-4c1d-4d55-a1c3-9e9b5a0e7d31"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::OK);
    // The signed webhook is exempt (it answers for itself: not found without Stripe).
    let hook = forged(&clara, reqwest::Method::POST, "/payments/webhooks/stripe")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(hook.status(), StatusCode::NOT_FOUND);
}
on_both_dbs!(cross_site_writes_are_refused_everywhere);

async fn the_session_cookie_is_host_prefixed_under_https(db: Db) {
    let app = spawn_app_with(
        db,
        &[
            ("server.public_url", "https://chat.example.com"),
            ("payments.allow_test_mode", "true"),
        ],
    )
    .await;
    let r = app.client().login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let cookie = r.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("__Host-dealchat_session="), "{cookie}");
    let page = app.client().get("/login").await;
    assert_eq!(
        page.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
}
on_both_dbs!(the_session_cookie_is_host_prefixed_under_https);

async fn pages_and_answers_carry_the_security_headers(db: Db) {
    let app = spawn_app(db).await;
    let c = app.signed_up_client("sam@example.com").await;
    let page = c.get("/").await;
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = page.text().await.unwrap();
    // The hydration script carries the nonce the policy names, and no script runs without it.
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy");
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "{html}");
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("'unsafe-inline' 'wasm") && !csp.contains("script-src 'unsafe-inline'"));
    for r in [c.get("/").await, c.get("/login").await] {
        assert_eq!(r.headers()["x-frame-options"], "DENY");
        assert_eq!(r.headers()["referrer-policy"], "same-origin");
        assert_eq!(r.headers()["cache-control"], "no-store");
        assert!(
            r.headers().get("strict-transport-security").is_none(),
            "not over http"
        );
    }
    let json = c.call("chats/list", &[]).await;
    assert_eq!(json.headers["cache-control"], "no-store");
    // Each page has its own nonce.
    let again = c.get("/").await;
    assert_ne!(
        again.headers()["content-security-policy"].to_str().unwrap(),
        csp
    );
}
on_both_dbs!(pages_and_answers_carry_the_security_headers);

async fn names_lose_control_and_direction_characters(db: Db) {
    let app = spawn_app(db).await;
    let c = app.client();
    let r = c
        .signup(
            "rtl@example.com",
            "Ann\u{202E}nimda\u{0007}",
            "long-password-12",
        )
        .await;
    assert_eq!(r.expect_ok()["display_name"], "Annnimda");
    let id = c
        .start_chat("project", "Roof\u{2066} plan\u{202E}", "hi")
        .await;
    let detail = c.open(id).await;
    assert_eq!(detail["summary"]["title"], "Roof plan", "{detail}");
}
on_both_dbs!(names_lose_control_and_direction_characters);

async fn short_passwords_are_refused_by_default(db: Db) {
    let app = spawn_app(db).await;
    let r = app
        .client()
        .signup("len@example.com", "Len", "elevenchars")
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.invalid_field(), Some("password"));
}
on_both_dbs!(short_passwords_are_refused_by_default);

async fn too_many_logins_from_one_address_are_limited(db: Db) {
    let app = spawn_app_with(db, &[("rate_limits.auth_per_ip_per_minute", "5")]).await;
    let mut statuses = Vec::new();
    for i in 0..7 {
        let c = app.client();
        statuses.push(
            c.login(&format!("u{i}@example.com"), "whatever-password")
                .await,
        );
    }
    assert!(
        statuses[..5]
            .iter()
            .all(|r| r.status == StatusCode::UNAUTHORIZED)
    );
    let limited = &statuses[5];
    assert_eq!(
        limited.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{:?}",
        limited.body
    );
    assert!(
        limited.body.get("RateLimited").is_some(),
        "{:?}",
        limited.body
    );
    let wait: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=12).contains(&wait), "{wait}");
}
on_both_dbs!(too_many_logins_from_one_address_are_limited);

async fn chat_starts_are_limited_per_user(db: Db) {
    let app = spawn_app_with(db, &[("rate_limits.chat_starts_per_user_per_minute", "2")]).await;
    let c = app.signed_up_client("many@example.com").await;
    c.start_chat("project", "One", "a").await;
    c.start_chat("project", "Two", "b").await;
    let third = c
        .call(
            "chats/start",
            &[
                ("topic", "project"),
                ("title", "Three"),
                ("body", "c"),
                ("client_msg_id", &crate::helpers::msg_id()),
            ],
        )
        .await;
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(c.list().await.len(), 2);
    // Another user is not held back by it.
    app.signed_up_client("other@example.com")
        .await
        .start_chat("project", "Mine", "d")
        .await;
}
on_both_dbs!(chat_starts_are_limited_per_user);

async fn password_hashing_is_bounded(db: Db) {
    let app = spawn_app_with(
        db,
        &[
            ("auth.max_concurrent_hashes", "1"),
            ("auth.hash_wait_ms", "1"),
            ("rate_limits.auth_per_ip_per_minute", "100000"),
            ("auth.max_failed_logins", "1000"),
        ],
    )
    .await;
    let logins = (0..40).map(|i| {
        let c = app.client();
        async move {
            c.login(&format!("anon{i}@example.com"), "some-password-1")
                .await
        }
    });
    let replies = futures::future::join_all(logins).await;
    let busy: Vec<_> = replies
        .iter()
        .filter(|r| r.status == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(!busy.is_empty(), "40 parallel logins on one hashing slot");
    assert!(busy.iter().all(|r| r.headers.contains_key("retry-after")));
    assert!(
        replies.iter().all(
            |r| [StatusCode::UNAUTHORIZED, StatusCode::SERVICE_UNAVAILABLE].contains(&r.status)
        )
    );
}
on_both_dbs!(password_hashing_is_bounded);

async fn signing_in_replaces_the_session_the_browser_had(db: Db) {
    let app = spawn_app(db).await;
    app.signed_up_client("fix@example.com").await;
    // An attacker's own session id, planted in the victim's browser before sign-in.
    let planted = app.client();
    let r = planted.login("fix@example.com", "client-password-1").await;
    let planted_cookie = r.headers["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    planted
        .login("fix@example.com", "client-password-1")
        .await
        .expect_ok();
    let replay = reqwest::Client::new()
        .post(format!("{}/api/auth/me", app.base))
        .header("Accept", "application/json")
        .header("Cookie", planted_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        replay.json::<serde_json::Value>().await.unwrap(),
        serde_json::Value::Null
    );
    assert_eq!(planted.me().await["email"], "fix@example.com");
}
on_both_dbs!(signing_in_replaces_the_session_the_browser_had);

async fn a_session_ends_at_its_absolute_lifetime(db: Db) {
    let app = spawn_app(db).await;
    let c = app.signed_up_client("old@example.com").await;
    // Signed in 31 days ago, used every day since.
    use dealchat::server::platform::entities::session;
    use sea_orm::EntityTrait;
    session::Entity::update_many()
        .col_expr(
            session::Column::CreatedAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now() - chrono::Duration::days(31)),
        )
        .exec(&app.db)
        .await
        .unwrap();
    assert!(c.me().await.is_null());
}
on_both_dbs!(a_session_ends_at_its_absolute_lifetime);

async fn tus_rules_are_followed(db: Db) {
    let app = spawn_app(db).await;
    let (clara, _max, id) = deal_chat(&app).await;
    let created = clara
        .create_upload(&Announce {
            conversation_id: id,
            purpose: "folder",
            name: "a.pdf",
            content_type: "application/pdf",
            size: 10,
            sha256: None,
            note: None,
        })
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let expires = created
        .header("upload-expires")
        .expect("Upload-Expires")
        .to_owned();
    assert!(
        expires.ends_with(" GMT") && expires.len() == 29,
        "{expires}"
    );
    let location = created.header("location").unwrap().to_owned();
    let url = format!("{}{location}", app.base);
    // Another protocol version: 412 with ours.
    let old = clara
        .http
        .head(&url)
        .header("Tus-Resumable", "0.2.2")
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(old.headers()["tus-version"], "1.0.0");
    // A chunk that is not an offset stream: 415.
    let wrong = clara
        .http
        .patch(&url)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/json")
        .body("0123456789")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let head = clara.head_upload(&location).await;
    assert_eq!(head.offset(), 0);
    assert_eq!(head.header("upload-expires"), Some(expires.as_str()));
}
on_both_dbs!(tus_rules_are_followed);

/// A client that says which browser it is.
fn browser(app: &crate::helpers::TestApp, user_agent: &str) -> crate::helpers::Client {
    crate::helpers::Client {
        http: reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(user_agent)
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .unwrap(),
        base: app.base.clone(),
    }
}

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const PHONE: &str =
    "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36";

async fn active_sessions_are_listed_and_signed_out_by_their_owner_only(db: Db) {
    let app = spawn_app(db).await;
    app.signed_up_client("ann@example.com").await;
    let laptop = browser(&app, FIREFOX);
    laptop
        .login("ann@example.com", "client-password-1")
        .await
        .expect_ok();
    let phone = browser(&app, PHONE);
    phone
        .login("ann@example.com", "client-password-1")
        .await
        .expect_ok();
    let list = laptop.call("auth/sessions", &[]).await;
    let list = list.expect_ok().as_array().unwrap().clone();
    assert_eq!(list.len(), 3, "{list:?}");
    let current: Vec<_> = list.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["device"], "Firefox on Linux");
    assert_eq!(current[0]["ip"], "127.0.0.1");
    let phone_id = list
        .iter()
        .find(|s| s["device"] == "Chrome on Android")
        .expect("the phone's session")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Another user, a viewer of nothing here, and an anonymous caller cannot end it.
    let bob = app.signed_up_client("bob@example.com").await;
    let r = bob
        .call("auth/sessions/end", &[("session_id", &phone_id)])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let manager = app.manager("max@example.com", "Max").await;
    let r = manager
        .call("auth/sessions/end", &[("session_id", &phone_id)])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .client()
        .call("auth/sessions/end", &[("session_id", &phone_id)])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app.client().call("auth/sessions", &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        bob.call("auth/sessions", &[])
            .await
            .expect_ok()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(phone.me().await["email"], "ann@example.com");
    // Its owner can.
    laptop
        .call("auth/sessions/end", &[("session_id", &phone_id)])
        .await
        .expect_ok();
    assert!(phone.me().await.is_null());
    // Everywhere else: the laptop stays.
    let ended = laptop
        .call("auth/sessions/end-all", &[("including_this", "false")])
        .await;
    assert_eq!(ended.expect_ok(), &serde_json::json!(1));
    assert_eq!(laptop.me().await["email"], "ann@example.com");
    laptop
        .call("auth/sessions/end-all", &[("including_this", "true")])
        .await
        .expect_ok();
    assert!(laptop.me().await.is_null());
}
on_both_dbs!(active_sessions_are_listed_and_signed_out_by_their_owner_only);

/// A client signed in twice: the first tab, the other device, and the tab's session id as the
/// other device lists it.
async fn two_sessions(
    app: &crate::helpers::TestApp,
    email: &str,
) -> (crate::helpers::Client, crate::helpers::Client, String) {
    let tab = app.signed_up_client(email).await;
    let other = app.client();
    other.login(email, "client-password-1").await.expect_ok();
    let sessions = other.call("auth/sessions", &[]).await;
    let tab_session = sessions
        .expect_ok()
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == false)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (tab, other, tab_session)
}

async fn a_waiting_poll_ends_when_its_session_ends(db: Db) {
    let app = spawn_app(db).await;
    let (tab, other, tab_session) = two_sessions(&app, "wait@example.com").await;
    let tick = tab.poll(0, None, 0).await.expect_ok()["cursor"]["tick"]
        .as_i64()
        .unwrap();
    let waiting = tokio::spawn({
        let tab = tab.clone();
        async move {
            let started = std::time::Instant::now();
            (tab.poll(tick, None, 0).await, started.elapsed())
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    other
        .call("auth/sessions/end", &[("session_id", &tab_session)])
        .await
        .expect_ok();
    let (reply, waited) = waiting.await.unwrap();
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{:?}", reply.body);
    assert!(waited < std::time::Duration::from_secs(5), "{waited:?}");
}
on_both_dbs!(a_waiting_poll_ends_when_its_session_ends);

/// A client in two tabs, the first with a stream waiting from the present: the tabs, the
/// first's session id, the stream's starting tick and the stream.
async fn streaming_tab(
    app: &crate::helpers::TestApp,
    email: &str,
) -> (
    crate::helpers::Client,
    crate::helpers::Client,
    String,
    i64,
    crate::helpers::Stream,
) {
    let (tab, other, tab_session) = two_sessions(app, email).await;
    let tick = tab.poll(0, None, 0).await.expect_ok()["cursor"]["tick"]
        .as_i64()
        .unwrap();
    let stream = tab.stream(tick, None, 0).await;
    assert_eq!(stream.status, StatusCode::OK);
    (tab, other, tab_session, tick, stream)
}

async fn a_waiting_stream_ends_with_its_session(db: Db) {
    let app = spawn_app(db).await;
    let (tab, other, tab_session, tick, mut stream) = streaming_tab(&app, "flow@example.com").await;
    let started = std::time::Instant::now();
    other
        .call("auth/sessions/end", &[("session_id", &tab_session)])
        .await
        .expect_ok();
    let wait = std::time::Duration::from_secs(5);
    let last = stream.next_within(wait).await.expect("a last line");
    assert_eq!(last, serde_json::json!({"Error": "Unauthenticated"}));
    assert!(stream.next_within(wait).await.is_none(), "the stream ends");
    assert!(started.elapsed() < wait, "{:?}", started.elapsed());
    // And a new one is refused.
    let again = tab.stream(tick, None, 0).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    assert_eq!(again.refusal().await, "Unauthenticated");
}
on_both_dbs!(a_waiting_stream_ends_with_its_session);

/// A stream checks its session on every wake, not only on its first: after it has carried a
/// line, the end of its session still ends it.
async fn a_stream_that_carried_a_line_still_ends_with_its_session(db: Db) {
    let app = spawn_app(db).await;
    let (_, other, tab_session, _, mut stream) = streaming_tab(&app, "line@example.com").await;
    // The same client starts a chat in their other tab: the stream carries it.
    let id = other.start_chat("project", "Porch", "Hello").await;
    let wait = std::time::Duration::from_secs(5);
    let line = stream.next_within(wait).await.expect("a line");
    assert_eq!(
        crate::helpers::streamed_update(&line)["chats"][0]["id"],
        id,
        "{line}"
    );
    other
        .call("auth/sessions/end", &[("session_id", &tab_session)])
        .await
        .expect_ok();
    // Whatever else the chat's start brought may come first; the session's end closes it.
    let mut last = stream.next_within(wait).await.expect("a last line");
    while last.get("Update").is_some() {
        last = stream.next_within(wait).await.expect("a last line");
    }
    assert_eq!(last, serde_json::json!({"Error": "Unauthenticated"}));
    assert!(stream.next_within(wait).await.is_none(), "the stream ends");
}
on_both_dbs!(a_stream_that_carried_a_line_still_ends_with_its_session);

async fn a_waiting_poll_stops_reading_a_chat_a_colleague_took(db: Db) {
    let app = spawn_app(db).await;
    let client = app.signed_up_client("cli@example.com").await;
    let id = client.start_chat("project", "Garden", "Hello").await;
    let mia = app.manager("mia@example.com", "Mia").await;
    let noah = app.manager("noah@example.com", "Noah").await;
    let opened = mia.open(id).await;
    let seq = opened["messages"].as_array().unwrap().last().unwrap()["seq"]
        .as_i64()
        .unwrap();
    // A crafted cursor far in the future: the poll waits with the chat open.
    let waiting = tokio::spawn({
        let mia = mia.clone();
        async move { mia.poll(1_000_000_000, Some(id), seq).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    noah.accept(id).await.expect_ok();
    client
        .send(id, &crate::helpers::msg_id(), "for Noah only")
        .await
        .expect_ok();
    let reply = tokio::time::timeout(std::time::Duration::from_secs(10), waiting)
        .await
        .expect("the poll answers")
        .unwrap();
    let body = reply.expect_ok();
    assert!(
        body["messages"].as_array().unwrap().is_empty(),
        "a chat taken by a colleague is not read on: {body}"
    );
    assert!(
        body["removed"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!(id)),
        "{body}"
    );
    // Asked again with the same crafted cursor: the chat is not hers to read.
    let again = mia.poll(1_000_000_000, Some(id), seq).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "{:?}", again.body);
}
on_both_dbs!(a_waiting_poll_stops_reading_a_chat_a_colleague_took);

async fn a_users_newest_poll_ends_their_oldest(db: Db) {
    let app = spawn_app_with(db, &[("chat.max_polls_per_user", "2")]).await;
    let c = app.signed_up_client("tabs@example.com").await;
    let tick = c.poll(0, None, 0).await.expect_ok()["cursor"]["tick"]
        .as_i64()
        .unwrap();
    let first = tokio::spawn({
        let c = c.clone();
        async move {
            let started = std::time::Instant::now();
            (c.poll(tick, None, 0).await, started.elapsed())
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let _second = tokio::spawn({
        let c = c.clone();
        async move { c.poll(tick, None, 0).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let _third = tokio::spawn({
        let c = c.clone();
        async move { c.poll(tick, None, 0).await }
    });
    let (reply, waited) = first.await.unwrap();
    reply.expect_ok();
    assert!(waited < std::time::Duration::from_secs(5), "{waited:?}");
}
on_both_dbs!(a_users_newest_poll_ends_their_oldest);

async fn uploads_in_progress_and_deal_room_are_bounded(db: Db) {
    let app = spawn_app_with(
        db,
        &[
            ("files.max_uploads_in_progress", "2"),
            ("files.deal_quota_bytes", "1000"),
        ],
    )
    .await;
    let (clara, _max, id) = deal_chat(&app).await;
    let announce = |size: u64| Announce {
        conversation_id: id,
        purpose: "folder",
        name: "part.pdf",
        content_type: "application/pdf",
        size,
        sha256: None,
        note: None,
    };
    let big = clara.create_upload(&announce(1001)).await;
    assert_eq!(big.status, StatusCode::BAD_REQUEST, "{}", big.body);
    assert!(big.body.contains("1.0 KB"), "{}", big.body);
    assert_eq!(
        clara.create_upload(&announce(400)).await.status,
        StatusCode::CREATED
    );
    // Arriving bytes count: 400 + 700 is over the room.
    assert_eq!(
        clara.create_upload(&announce(700)).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        clara.create_upload(&announce(500)).await.status,
        StatusCode::CREATED
    );
    let third = clara.create_upload(&announce(10)).await;
    assert_eq!(third.status, StatusCode::CONFLICT, "{}", third.body);
}
on_both_dbs!(uploads_in_progress_and_deal_room_are_bounded);

async fn a_body_that_stops_arriving_is_cut_off_and_the_upload_resumes(db: Db) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app_with(db, &[("limits.body_idle_secs", "1")]).await;
    let (clara, _max, id) = deal_chat(&app).await;
    let created = clara
        .create_upload(&Announce {
            conversation_id: id,
            purpose: "folder",
            name: "slow.pdf",
            content_type: "application/pdf",
            size: 1000,
            sha256: None,
            note: None,
        })
        .await;
    let location = created.header("location").unwrap().to_owned();
    let cookie = clara_cookie(&app).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut sock = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "PATCH {location} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nTus-Resumable: 1.0.0\r\n\
         Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\n\
         Content-Length: 1000\r\n\r\n"
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    // Ten bytes, then nothing: a client trickling or gone quiet.
    sock.write_all(&[7u8; 10]).await.unwrap();
    sock.flush().await.unwrap();
    // The server answers (or closes) once the body has been silent for a second, instead of
    // holding the request and the upload's lock for ever.
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), sock.read(&mut buf))
            .await
            .expect("the request ends instead of waiting for ever")
            .unwrap_or(0);
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // The upload is free again and stands where the bytes stopped.
    let status = clara.head_upload(&location).await;
    assert_eq!(status.status, StatusCode::OK);
    assert_eq!(status.offset(), 10);
}
on_both_dbs!(a_body_that_stops_arriving_is_cut_off_and_the_upload_resumes);

/// Clara's session cookie as a raw `Cookie:` header value.
async fn clara_cookie(app: &crate::helpers::TestApp) -> String {
    let r = app
        .client()
        .login("clara@example.com", "client-password-1")
        .await;
    r.headers["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

async fn connections_beyond_the_cap_are_closed_at_once(db: Db) {
    use tokio::io::AsyncReadExt;
    let app = spawn_app_with(db, &[("limits.max_connections_per_ip", "3")]).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
    }
    // Give the accept loop time to count them.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let mut fourth = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), fourth.read(&mut buf))
        .await
        .expect("closed at once, not left waiting");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    // Once one closes, a new connection is served again.
    drop(held.pop());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let health = app.client().get("/healthz").await;
    assert_eq!(health.status(), StatusCode::OK);
}
on_both_dbs!(connections_beyond_the_cap_are_closed_at_once);
