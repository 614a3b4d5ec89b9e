//! Mail for accounts through a real SMTP server (aiosmtpd, started by the test command): address
//! verification, password reset, unread-message notices and the outbox that waits for a mail
//! server; and the first-run setup page.

use crate::helpers::{ADMIN_EMAIL, Db, TestApp, fresh_database, spawn_app_with, spawn_instance};
use crate::on_both_dbs;
use base64::Engine;
use reqwest::StatusCode;
use std::time::{Duration, Instant};

/// Settings that send mail through the test SMTP server, with short delays.
fn smtp(port: &str) -> Vec<(&'static str, String)> {
    vec![
        ("mail.transport", "smtp".into()),
        ("mail.smtp.host", "127.0.0.1".into()),
        ("mail.smtp.port", port.into()),
        ("mail.smtp.security", "none".into()),
        ("mail.notify_delay_secs", "1".into()),
        ("jobs.poll_ms", "100".into()),
    ]
}

fn smtp_port() -> String {
    std::env::var("DEALCHAT_TEST_SMTP_PORT")
        .expect("DEALCHAT_TEST_SMTP_PORT is not set: run the tests with scripts/test.sh")
}

async fn mail_app(db: Db, extra: &[(&str, &str)]) -> TestApp {
    let port = smtp_port();
    let mut all: Vec<(&str, String)> = smtp(&port);
    all.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let pairs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
    spawn_app_with(db, &pairs).await
}

/// Every mail the SMTP server received for `to`, decoded to text, oldest first.
fn mails_to(to: &str) -> Vec<String> {
    let dir = std::path::PathBuf::from(
        std::env::var("DEALCHAT_TEST_MAILDIR").expect("DEALCHAT_TEST_MAILDIR"),
    )
    .join("new");
    let mut found: Vec<(std::time::SystemTime, String)> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| {
                    let raw = std::fs::read_to_string(e.path()).ok()?;
                    let when = e.metadata().ok()?.modified().ok()?;
                    raw.lines()
                        .any(|l| l.eq_ignore_ascii_case(&format!("To: {to}")))
                        .then(|| (when, decode(&raw)))
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found.into_iter().map(|(_, m)| m).collect()
}

/// Headers, then the body decoded from base64 or quoted-printable as the mail says.
fn decode(raw: &str) -> String {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
    let encoding = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Transfer-Encoding: "))
        .unwrap_or("7bit")
        .trim()
        .to_ascii_lowercase();
    let text = match encoding.as_str() {
        "base64" => String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(body.split_whitespace().collect::<String>())
                .unwrap(),
        )
        .unwrap(),
        "quoted-printable" => {
            let joined = body.replace("=\n", "");
            let bytes = joined.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'='
                    && let Some(Ok(b)) = joined.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16))
                {
                    out.push(b);
                    i += 3;
                    continue;
                }
                out.push(bytes[i]);
                i += 1;
            }
            String::from_utf8(out).unwrap()
        }
        _ => body.to_owned(),
    };
    format!("{head}\n\n{text}")
}

/// Waits for the `n`-th mail to `to` whose subject contains `subject`.
async fn wait_for_mail(to: &str, subject: &str, n: usize) -> String {
    let started = Instant::now();
    loop {
        let matching: Vec<String> = mails_to(to)
            .into_iter()
            .filter(|m| {
                m.lines()
                    .any(|l| l.starts_with("Subject:") && l.contains(subject))
            })
            .collect();
        if matching.len() >= n {
            return matching[n - 1].clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no mail {n} `{subject}` to {to}; got {:?}",
            mails_to(to)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn count_mails(to: &str, subject: &str) -> usize {
    mails_to(to)
        .iter()
        .filter(|m| {
            m.lines()
                .any(|l| l.starts_with("Subject:") && l.contains(subject))
        })
        .count()
}

/// The path and query of the link to `path` in a mail.
fn link(mail: &str, path: &str) -> String {
    let at = mail
        .find(path)
        .unwrap_or_else(|| panic!("no {path} link in {mail}"));
    mail[at..].split_whitespace().next().unwrap().to_owned()
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}@example.com", uuid::Uuid::new_v4().simple())
}

async fn signup_mails_a_link_that_verifies_the_address(db: Db) {
    let app = mail_app(db, &[]).await;
    let email = unique("ver");
    app.client()
        .signup(&email, "Vera", "long-password-12")
        .await
        .expect_ok();
    let mail = wait_for_mail(&email, "Confirm your email address", 1).await;
    assert!(mail.contains("Hello Vera"), "{mail}");
    let verify = link(&mail, "/verify-email?token=");
    let page = app.client().get(&verify).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("confirmed"));
    let user = user_row(&app, &email).await;
    assert!(user.email_verified_at.is_some());
    // A link works once; a made-up one never.
    assert_eq!(
        app.client().get(&verify).await.status(),
        StatusCode::NOT_FOUND
    );
    let forged = format!("/verify-email?token={}", "A".repeat(43));
    assert_eq!(
        app.client().get(&forged).await.status(),
        StatusCode::NOT_FOUND
    );
}
on_both_dbs!(signup_mails_a_link_that_verifies_the_address);

async fn user_row(app: &TestApp, email: &str) -> dealchat::server::platform::entities::user::Model {
    use dealchat::server::platform::entities::user;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the user")
}

async fn a_forgotten_password_is_reset_by_email(db: Db) {
    let app = mail_app(db, &[]).await;
    let email = unique("forgot");
    let old_device = app.client();
    old_device
        .signup(&email, "Fergus", "old-password-123")
        .await
        .expect_ok();
    let anonymous = app.client();
    let asked = anonymous
        .call("auth/reset/request", &[("email", &email)])
        .await;
    asked.expect_ok();
    // An unknown address gets the same answer, and no mail.
    let stranger = unique("nobody");
    let unknown = anonymous
        .call("auth/reset/request", &[("email", &stranger)])
        .await;
    assert_eq!((unknown.status, &unknown.body), (asked.status, &asked.body));
    let mail = wait_for_mail(&email, "Reset your dealchat password", 1).await;
    let reset = link(&mail, "/reset-password?token=");
    let token = reset.split("token=").nth(1).unwrap().to_owned();
    // Asked again at once: no second mail (a flood is not sent).
    anonymous
        .call("auth/reset/request", &[("email", &email)])
        .await
        .expect_ok();
    let short = anonymous
        .call(
            "auth/reset/complete",
            &[("token", &token), ("new_password", "short")],
        )
        .await;
    assert_eq!(short.invalid_field(), Some("new_password"));
    anonymous
        .call(
            "auth/reset/complete",
            &[("token", &token), ("new_password", "new-password-456")],
        )
        .await
        .expect_ok();
    // The old password and the old session are gone; the new password works.
    assert!(old_device.me().await.is_null());
    assert_eq!(
        app.client().login(&email, "old-password-123").await.status,
        StatusCode::UNAUTHORIZED
    );
    app.client()
        .login(&email, "new-password-456")
        .await
        .expect_ok();
    // The link works once.
    let again = anonymous
        .call(
            "auth/reset/complete",
            &[("token", &token), ("new_password", "third-password-789")],
        )
        .await;
    assert_eq!(again.invalid_field(), Some("token"));
    assert!(mails_to(&stranger).is_empty());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(count_mails(&email, "Reset your dealchat password"), 1);
}
on_both_dbs!(a_forgotten_password_is_reset_by_email);

async fn mail_waits_for_a_mail_server_that_is_down(db: Db) {
    use dealchat::server::platform::entities::{mail, outbox_job};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    // No SMTP server listens on port 9 of this machine. This instance looks for due jobs once a
    // second, the one that comes later ten times a second: the second, which reaches the mail
    // server, is the one that picks the job up once it is due again.
    let (url, data_dir) = fresh_database(db).await;
    let down = [
        ("mail.transport", "smtp"),
        ("mail.smtp.host", "127.0.0.1"),
        ("mail.smtp.port", "9"),
        ("mail.smtp.security", "none"),
        ("jobs.poll_ms", "1000"),
    ];
    let first = spawn_instance(&url, data_dir.clone(), &down).await;
    let email = unique("patient");
    first
        .client()
        .signup(&email, "Pat", "long-password-12")
        .await
        .expect_ok();
    let waiting = mail::Entity::find()
        .filter(mail::Column::ToAddress.eq(email.as_str()))
        .one(&first.db)
        .await
        .unwrap()
        .expect("the mail is in the outbox");
    // The first attempt fails and the job waits for another.
    let started = Instant::now();
    let job = loop {
        let job = outbox_job::Entity::find()
            .filter(outbox_job::Column::Job.eq("send_mail"))
            .filter(outbox_job::Column::EntityId.eq(waiting.id.0))
            .one(&first.db)
            .await
            .unwrap()
            .expect("its job");
        if job.attempts >= 1 {
            assert!(job.failed_at.is_none() && job.done_at.is_none(), "{job:?}");
            break job.id;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "never tried: {job:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(mails_to(&email).is_empty());
    let unsent = mail::Entity::find_by_id(waiting.id)
        .one(&first.db)
        .await
        .unwrap();
    assert!(unsent.is_some_and(|m| m.sent_at.is_none()));
    // The server comes back (another instance that reaches it): the mail goes, once. The job's
    // backoff (2 s, 4 s, 8 s …) is cut short, again should the first instance win it, so the
    // test need not wait it out.
    let port = smtp_port();
    let up = smtp(&port);
    let up: Vec<(&str, &str)> = up.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let _second = spawn_instance(&url, data_dir, &up).await;
    let started = Instant::now();
    while count_mails(&email, "Confirm your email address") == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the mail never went out once its server was back"
        );
        outbox_job::Entity::update_many()
            .col_expr(
                outbox_job::Column::NextAttemptAt,
                sea_orm::sea_query::Expr::value(chrono::Utc::now()),
            )
            .filter(outbox_job::Column::Id.eq(job))
            .filter(outbox_job::Column::DoneAt.is_null())
            .exec(&first.db)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(count_mails(&email, "Confirm your email address"), 1);
}
on_both_dbs!(mail_waits_for_a_mail_server_that_is_down);

async fn an_away_client_is_mailed_once_per_interval_and_can_stop_it(db: Db) {
    let app = mail_app(db, &[]).await;
    let email = unique("away");
    let client = app.client();
    client
        .signup(&email, "Avery", "long-password-12")
        .await
        .expect_ok();
    let mail = wait_for_mail(&email, "Confirm your email address", 1).await;
    app.client().get(&link(&mail, "/verify-email?token=")).await;
    let id = client.start_chat("project", "Kitchen", "Hello").await;
    let max = app.manager(&unique("max"), "Max").await;
    max.accept(id).await.expect_ok();
    max.send(id, &crate::helpers::msg_id(), "Here is the plan")
        .await
        .expect_ok();
    max.send(id, &crate::helpers::msg_id(), "And a second thought")
        .await
        .expect_ok();
    let notice = wait_for_mail(&email, "New messages about Kitchen", 1).await;
    assert!(notice.contains("2 new messages"), "{notice}");
    assert!(notice.contains(&format!("/chats/{id}")), "{notice}");
    // Within the interval another message brings no second mail.
    max.send(id, &crate::helpers::msg_id(), "A third one")
        .await
        .expect_ok();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(count_mails(&email, "New messages about Kitchen"), 1);
    // The stop link works without signing in, for this user only.
    let stop = link(&notice, "/unsubscribe?");
    let tampered = stop.replace("user=", "user=9");
    assert_eq!(
        app.client().get(&tampered).await.status(),
        StatusCode::NOT_FOUND
    );
    assert!(user_row(&app, &email).await.notify_by_email);
    assert_eq!(app.client().get(&stop).await.status(), StatusCode::OK);
    assert!(!user_row(&app, &email).await.notify_by_email);
}
on_both_dbs!(an_away_client_is_mailed_once_per_interval_and_can_stop_it);

async fn a_client_who_reads_in_time_gets_no_mail(db: Db) {
    let app = mail_app(db, &[("mail.notify_delay_secs", "2")]).await;
    let email = unique("present");
    let client = app.client();
    client
        .signup(&email, "Pres", "long-password-12")
        .await
        .expect_ok();
    let mail = wait_for_mail(&email, "Confirm your email address", 1).await;
    app.client().get(&link(&mail, "/verify-email?token=")).await;
    let id = client.start_chat("project", "Porch", "Hello").await;
    let max = app.manager(&unique("max"), "Max").await;
    max.accept(id).await.expect_ok();
    let sent = max
        .send(id, &crate::helpers::msg_id(), "Quick answer")
        .await;
    let seq = sent.expect_ok()["seq"].as_i64().unwrap();
    client
        .call(
            "chats/read",
            &[
                ("conversation_id", &id.to_string()),
                ("seq", &seq.to_string()),
            ],
        )
        .await
        .expect_ok();
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(count_mails(&email, "New messages about Porch"), 0);
}
on_both_dbs!(a_client_who_reads_in_time_gets_no_mail);

async fn the_first_administrator_is_created_once_with_the_setup_code(db: Db) {
    let app = spawn_app_with(
        db,
        &[
            ("bootstrap.admin_email", ""),
            ("bootstrap.admin_password", ""),
        ],
    )
    .await;
    let code = app.setup_code.clone().expect("setup is open");
    let visitor = app.client();
    let home = visitor.get("/").await;
    assert_eq!(home.status(), StatusCode::SEE_OTHER);
    assert_eq!(home.headers()["location"], "/setup");
    let form = |code: &str| {
        vec![
            ("code", code.to_owned()),
            ("email", "first@example.com".to_owned()),
            ("display_name", "First Admin".to_owned()),
            ("password", "first-admin-password".to_owned()),
        ]
    };
    let call = |c: &crate::helpers::Client, f: Vec<(&'static str, String)>| {
        let c = c.clone();
        async move {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            c.call("setup/admin", &pairs).await
        }
    };
    let wrong = call(&visitor, form("AAAA-BBBB-CCCC")).await;
    assert_eq!(wrong.invalid_field(), Some("code"), "{:?}", wrong.body);
    let created = call(&visitor, form(&code.to_lowercase())).await;
    assert_eq!(created.expect_ok()["role"], "admin");
    assert_eq!(visitor.me().await["email"], "first@example.com");
    // Once only: the page and the call are gone.
    let again = call(&app.client(), form(&code)).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let home = app.client().get("/").await;
    assert_eq!(home.headers()["location"], "/login?next=%2F");
    let _ = ADMIN_EMAIL;
}
on_both_dbs!(the_first_administrator_is_created_once_with_the_setup_code);

async fn an_unverified_address_is_not_matched_to_a_crm_contact(db: Db) {
    use dealchat::server::platform::entities::{crm_contact, crm_deal};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
    let app = mail_app(db, &[]).await;
    let email = unique("crm");
    // Someone else's contact in the CRM has this address.
    crm_contact::ActiveModel {
        name: Set("The real owner".into()),
        email: Set(email.clone()),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let client = app.client();
    client
        .signup(&email, "Claimer", "long-password-12")
        .await
        .expect_ok();
    client.start_chat("project", "Claim", "Hello").await;
    let linked = || async {
        crm_deal::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.contact_id)
            .collect::<Vec<_>>()
    };
    // Unverified: the delivery waits rather than attach them to the owner's contact.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(linked().await.is_empty());
    let contacts = crm_contact::Entity::find()
        .filter(crm_contact::Column::Email.eq(email.as_str()))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(contacts.len(), 1, "{contacts:?}");
    // Verified: the waiting delivery goes, to that contact.
    let mail = wait_for_mail(&email, "Confirm your email address", 1).await;
    app.client().get(&link(&mail, "/verify-email?token=")).await;
    let started = Instant::now();
    loop {
        let deals = linked().await;
        if !deals.is_empty() {
            assert_eq!(deals, vec![contacts[0].id]);
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "never delivered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
on_both_dbs!(an_unverified_address_is_not_matched_to_a_crm_contact);
