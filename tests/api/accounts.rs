//! Signup and login, including every kind of bad input.

use crate::helpers::{ADMIN_EMAIL, Db, spawn_app, spawn_app_with};
use crate::on_both_dbs;
use reqwest::StatusCode;

async fn signup_creates_a_signed_in_client(db: Db) {
    let app = spawn_app(db).await;
    let c = app.client();
    let r = c.signup("Ann@Example.com", "Ann", "long-password-1").await;
    assert_eq!(r.body["role"], "client");
    assert_eq!(r.body["email"], "ann@example.com");
    let cookie = r
        .headers
        .get("set-cookie")
        .expect("session cookie")
        .to_str()
        .expect("ascii");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert_eq!(c.me().await["display_name"], "Ann");
}
on_both_dbs!(signup_creates_a_signed_in_client);

async fn signup_refuses_bad_input_and_writes_nothing(db: Db) {
    let app = spawn_app(db).await;
    let c = app.client();
    let cases = [
        ("not-an-email", "Ann", "long-password-1", "email"),
        ("ann@example.com", "Ann", "short", "password"),
        ("ann@example.com", "   ", "long-password-1", "display_name"),
    ];
    for (email, name, password, field) in cases {
        let r = c.signup(email, name, password).await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{email}/{name}: {:?}",
            r.body
        );
        assert_eq!(r.invalid_field(), Some(field), "{:?}", r.body);
        assert!(r.headers.get("set-cookie").is_none());
    }
    // None of the refused attempts left an account behind.
    let users = app.admin().await.call("admin/users", &[]).await;
    assert_eq!(
        users.body.as_array().map(Vec::len),
        Some(1),
        "{:?}",
        users.body
    );
}
on_both_dbs!(signup_refuses_bad_input_and_writes_nothing);

async fn duplicate_email_is_refused(db: Db) {
    let app = spawn_app(db).await;
    app.client()
        .signup("bob@example.com", "Bob", "long-password-1")
        .await
        .expect_ok();
    let r = app
        .client()
        .signup(" BOB@example.com ", "Bobby", "other-password-1")
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.body, serde_json::json!("EmailTaken"));
    // The first account is untouched: its password still works, the second one does not.
    app.client()
        .login("bob@example.com", "long-password-1")
        .await
        .expect_ok();
    assert_eq!(
        app.client()
            .login("bob@example.com", "other-password-1")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}
on_both_dbs!(duplicate_email_is_refused);

async fn wrong_password_and_unknown_email_look_the_same(db: Db) {
    let app = spawn_app(db).await;
    let wrong = app.client().login(ADMIN_EMAIL, "not-the-password").await;
    let unknown = app
        .client()
        .login("nobody@example.com", "not-the-password")
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.body, serde_json::json!("BadCredentials"));
}
on_both_dbs!(wrong_password_and_unknown_email_look_the_same);

async fn repeated_failures_lock_the_account_for_a_while(db: Db) {
    let app = spawn_app_with(
        db,
        &[("auth.max_failed_logins", "3"), ("auth.lockout_secs", "2")],
    )
    .await;
    let c = app.client();
    assert_eq!(
        c.login(ADMIN_EMAIL, "wrong-1-wrong").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        c.login(ADMIN_EMAIL, "wrong-2-wrong").await.status,
        StatusCode::UNAUTHORIZED
    );
    let third = c.login(ADMIN_EMAIL, "wrong-3-wrong").await;
    assert_eq!(
        third.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{:?}",
        third.body
    );
    // While locked, even the right password is refused.
    let locked = c.login(ADMIN_EMAIL, crate::helpers::ADMIN_PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        locked.body["LockedOut"]["retry_after_secs"]
            .as_u64()
            .is_some_and(|s| (1..=2).contains(&s))
    );
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    c.login(ADMIN_EMAIL, crate::helpers::ADMIN_PASSWORD)
        .await
        .expect_ok();
}
on_both_dbs!(repeated_failures_lock_the_account_for_a_while);

async fn secure_cookie_when_served_over_https(db: Db) {
    let app = spawn_app_with(
        db,
        &[
            ("server.public_url", "https://chat.example.com"),
            ("payments.allow_test_mode", "true"),
        ],
    )
    .await;
    let r = app
        .client()
        .login(ADMIN_EMAIL, crate::helpers::ADMIN_PASSWORD)
        .await;
    let cookie = r
        .headers
        .get("set-cookie")
        .expect("cookie")
        .to_str()
        .expect("ascii");
    assert!(cookie.contains("Secure"), "{cookie}");
}
on_both_dbs!(secure_cookie_when_served_over_https);

async fn the_notification_sound_is_each_users_own_choice(db: Db) {
    let app = spawn_app(db).await;
    let client = app.signed_up_client("ana@example.com").await;
    let mia = app.manager("mia@example.com", "Mia").await;
    assert_eq!(client.me().await["sound_on"], true, "on by default");
    client
        .call("accounts/sound", &[("on", "false")])
        .await
        .expect_ok();
    // Read again at once (the session cache hears of the change), and only for her.
    assert_eq!(client.me().await["sound_on"], false);
    assert_eq!(mia.me().await["sound_on"], true);
    client
        .call("accounts/sound", &[("on", "true")])
        .await
        .expect_ok();
    assert_eq!(client.me().await["sound_on"], true);
    let anonymous = app
        .client()
        .call("accounts/sound", &[("on", "false")])
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}
on_both_dbs!(the_notification_sound_is_each_users_own_choice);
