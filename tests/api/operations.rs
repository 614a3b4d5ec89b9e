//! Pages, redirects, health and request limits.

use crate::helpers::{Db, spawn_app};
use crate::on_both_dbs;
use reqwest::StatusCode;

async fn anonymous_visit_to_a_protected_page_redirects_to_login(db: Db) {
    let app = spawn_app(db).await;
    let r = app.client().get("/admin/users").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login?next=%2Fadmin%2Fusers");
    let login = app.client().get("/login").await;
    assert_eq!(login.status(), StatusCode::OK);
    assert!(
        login
            .text()
            .await
            .expect("html")
            .contains("Log in to dealchat")
    );
}
on_both_dbs!(anonymous_visit_to_a_protected_page_redirects_to_login);

async fn signed_in_home_is_rendered_on_the_server(db: Db) {
    let app = spawn_app(db).await;
    let c = app.client();
    c.signup("hal@example.com", "Hal Client", "long-password-1")
        .await
        .expect_ok();
    let page = c.get("/").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains("Hal Client"), "SSR shows the user menu");
    assert!(html.contains("My chats"));
    let manager_page = app.admin().await.get("/").await.text().await.expect("html");
    assert!(manager_page.contains("Operator console"));
}
on_both_dbs!(signed_in_home_is_rendered_on_the_server);

async fn healthz_checks_the_database(db: Db) {
    let app = spawn_app(db).await;
    let r = app.client().get("/healthz").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.json::<serde_json::Value>().await.expect("json")["database"],
        "ok"
    );
}
on_both_dbs!(healthz_checks_the_database);

async fn oversized_bodies_are_refused_with_413(db: Db) {
    let app = spawn_app(db).await;
    let big = "x".repeat(70_000);
    let r = app
        .client()
        .signup("big@example.com", &big, "long-password-1")
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.body["TooLarge"]["limit_bytes"], 65536);
    assert_eq!(
        app.client()
            .login("big@example.com", "long-password-1")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}
on_both_dbs!(oversized_bodies_are_refused_with_413);

async fn unknown_pages_are_404(db: Db) {
    let app = spawn_app(db).await;
    let r = app.admin().await.get("/no/such/page").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
on_both_dbs!(unknown_pages_are_404);
