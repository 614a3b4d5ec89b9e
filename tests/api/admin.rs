//! Role checks on user administration.

use crate::helpers::{Db, spawn_app};
use crate::on_both_dbs;
use reqwest::StatusCode;

async fn only_admins_manage_users(db: Db) {
    let app = spawn_app(db).await;
    let anonymous = app.client();
    assert_eq!(
        anonymous.call("admin/users", &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    let client = app.signed_up_client("gus@example.com").await;
    assert_eq!(
        client.call("admin/users", &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let create = [
        ("email", "sneaky@example.com"),
        ("display_name", "Sneaky"),
        ("password", "long-password-1"),
        ("role", "admin"),
    ];
    assert_eq!(
        client.call("admin/users/create", &create).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        anonymous.call("admin/users/create", &create).await.status,
        StatusCode::UNAUTHORIZED
    );
    let me = client.me().await["id"].as_i64().expect("id").to_string();
    let disable = client
        .call(
            "admin/users/disabled",
            &[("user_id", "1"), ("disabled", "true")],
        )
        .await;
    assert_eq!(disable.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.client()
            .login("sneaky@example.com", "long-password-1")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert!(!me.is_empty());
}
on_both_dbs!(only_admins_manage_users);

async fn admin_creates_a_manager_who_can_log_in(db: Db) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let r = admin
        .call(
            "admin/users/create",
            &[
                ("email", "mia@example.com"),
                ("display_name", "Mia"),
                ("password", "manager-pass-1"),
                ("role", "manager"),
            ],
        )
        .await;
    assert_eq!(r.expect_ok()["role"], "manager");
    let mia = app.client();
    mia.login("mia@example.com", "manager-pass-1")
        .await
        .expect_ok();
    assert_eq!(mia.me().await["role"], "manager");
    // A manager is staff, but not an admin.
    assert_eq!(
        mia.call("admin/users", &[]).await.status,
        StatusCode::FORBIDDEN
    );
}
on_both_dbs!(admin_creates_a_manager_who_can_log_in);

async fn unknown_role_is_refused(db: Db) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let r = admin
        .call(
            "admin/users/create",
            &[
                ("email", "x@example.com"),
                ("display_name", "X"),
                ("password", "long-password-1"),
                ("role", "superuser"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.invalid_field(), Some("role"));
    assert_eq!(
        admin
            .call("admin/users", &[])
            .await
            .body
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}
on_both_dbs!(unknown_role_is_refused);

async fn admin_cannot_disable_themselves(db: Db) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let id = admin.me().await["id"].as_i64().expect("id").to_string();
    let r = admin
        .call(
            "admin/users/disabled",
            &[("user_id", &id), ("disabled", "true")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(!admin.me().await.is_null());
}
on_both_dbs!(admin_cannot_disable_themselves);
