//! Sessions live on the server: logout, password change and disabling end them for real.

use crate::helpers::{Db, spawn_app, spawn_instance};
use crate::on_both_dbs;
use reqwest::StatusCode;

fn cookie_value(r: &crate::helpers::Reply) -> String {
    let raw = r
        .headers
        .get("set-cookie")
        .expect("cookie")
        .to_str()
        .expect("ascii");
    raw.split(';').next().expect("pair").to_owned()
}

async fn logout_ends_the_session_on_the_server(db: Db) {
    let app = spawn_app(db).await;
    let c = app.client();
    let r = c
        .signup("cara@example.com", "Cara", "long-password-1")
        .await;
    let stolen = cookie_value(&r);
    assert_eq!(c.me().await["email"], "cara@example.com");
    c.call("auth/logout", &[]).await.expect_ok();
    assert!(c.me().await.is_null());
    // Replaying the old cookie does not bring the session back.
    let replay = reqwest::Client::new()
        .post(format!("{}/api/auth/me", app.base))
        .header("Accept", "application/json")
        .header("Cookie", stolen)
        .send()
        .await
        .expect("request");
    assert_eq!(
        replay.json::<serde_json::Value>().await.expect("json"),
        serde_json::Value::Null
    );
}
on_both_dbs!(logout_ends_the_session_on_the_server);

async fn login_again_after_logout(db: Db) {
    let app = spawn_app(db).await;
    let c = app.signed_up_client("dan@example.com").await;
    c.call("auth/logout", &[]).await.expect_ok();
    c.login("dan@example.com", "client-password-1")
        .await
        .expect_ok();
    assert_eq!(c.me().await["role"], "client");
}
on_both_dbs!(login_again_after_logout);

async fn password_change_signs_out_other_sessions(db: Db) {
    let app = spawn_app(db).await;
    let laptop = app.signed_up_client("eve@example.com").await;
    let phone = app.client();
    phone
        .login("eve@example.com", "client-password-1")
        .await
        .expect_ok();
    let wrong = laptop
        .call(
            "auth/password",
            &[
                ("current_password", "not-my-password"),
                ("new_password", "new-password-22"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong.invalid_field(), Some("current_password"));
    laptop
        .call(
            "auth/password",
            &[
                ("current_password", "client-password-1"),
                ("new_password", "new-password-22"),
            ],
        )
        .await
        .expect_ok();
    assert_eq!(
        laptop.me().await["email"],
        "eve@example.com",
        "the changing session stays"
    );
    assert!(phone.me().await.is_null(), "other sessions end");
    assert_eq!(
        app.client()
            .login("eve@example.com", "client-password-1")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    app.client()
        .login("eve@example.com", "new-password-22")
        .await
        .expect_ok();
}
on_both_dbs!(password_change_signs_out_other_sessions);

async fn disabling_a_user_ends_their_sessions_and_blocks_login(db: Db) {
    let app = spawn_app(db).await;
    let victim = app.signed_up_client("fay@example.com").await;
    let id = victim.me().await["id"].as_i64().expect("id").to_string();
    let admin = app.admin().await;
    admin
        .call(
            "admin/users/disabled",
            &[("user_id", &id), ("disabled", "true")],
        )
        .await
        .expect_ok();
    assert!(victim.me().await.is_null());
    let r = app
        .client()
        .login("fay@example.com", "client-password-1")
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body, serde_json::json!("AccountDisabled"));
    admin
        .call(
            "admin/users/disabled",
            &[("user_id", &id), ("disabled", "false")],
        )
        .await
        .expect_ok();
    app.client()
        .login("fay@example.com", "client-password-1")
        .await
        .expect_ok();
}
on_both_dbs!(disabling_a_user_ends_their_sessions_and_blocks_login);

/// Two instances on one PostgreSQL database: each keeps the sessions it read in memory, and a
/// session ended through one is refused by the other at once (NOTIFY), not when its memory of
/// the session runs out (`session.cache_secs`, 60 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_ended_on_one_instance_is_refused_on_another() {
    let a = spawn_app(Db::Postgres).await;
    let b_dir =
        std::env::temp_dir().join(format!("dealchat-test-{}", uuid::Uuid::new_v4().simple()));
    let b = spawn_instance(&a.db_url, b_dir, &[]).await;
    let on_a = a.client();
    let r = on_a
        .signup("sol@example.com", "Sol", "long-password-1")
        .await;
    let cookie = cookie_value(&r);
    let me_on_b = || async {
        reqwest::Client::new()
            .post(format!("{}/api/auth/me", b.base))
            .header("Accept", "application/json")
            .header("Cookie", &cookie)
            .send()
            .await
            .expect("request")
            .json::<serde_json::Value>()
            .await
            .expect("json")
    };
    for _ in 0..3 {
        assert_eq!(me_on_b().await["email"], "sol@example.com");
    }
    on_a.call("auth/logout", &[]).await.expect_ok();
    let ended = std::time::Instant::now();
    while !me_on_b().await.is_null() {
        assert!(
            ended.elapsed() < std::time::Duration::from_secs(5),
            "the other instance still accepts the ended session"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
