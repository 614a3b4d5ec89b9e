//! `spawn_app` gives each test its own server, port and database.

use dealchat::server::config::Settings;
use dealchat::server::startup::Application;
use reqwest::StatusCode;
use serde_json::Value;
use std::path::PathBuf;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "admin-password-1";

#[derive(Clone, Copy, Debug)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Runs one test body on both databases.
#[macro_export]
macro_rules! on_both_dbs {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Db::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::helpers::Db::Postgres).await
            }
        }
    };
}

pub struct TestApp {
    pub base: String,
    pub data_dir: PathBuf,
}

/// A browser-like client: its own cookie jar, no automatic redirects (tests look at them).
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The field an `Invalid` error names.
    pub fn invalid_field(&self) -> Option<&str> {
        self.body.get("Invalid")?.get("field")?.as_str()
    }
}

pub async fn spawn_app(db: Db) -> TestApp {
    spawn_app_with(db, &[]).await
}

pub async fn spawn_app_with(db: Db, extra: &[(&str, &str)]) -> TestApp {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let data_dir = std::env::temp_dir().join(format!("dealchat-test-{id}"));
    let url = match db {
        Db::Sqlite => format!("sqlite://{}/test.db?mode=rwc", data_dir.display()),
        Db::Postgres => create_pg_database(&format!("dealchat_test_{id}")).await,
    };
    let mut overrides: Vec<(&str, String)> = vec![
        ("data_dir", data_dir.display().to_string()),
        ("database.url", url),
        ("database.max_connections", "4".into()),
        ("server.bind", "127.0.0.1:0".into()),
        (
            "session.secret",
            "test-secret-test-secret-test-secret!".into(),
        ),
        ("bootstrap.admin_email", ADMIN_EMAIL.into()),
        ("bootstrap.admin_password", ADMIN_PASSWORD.into()),
    ];
    overrides.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let settings = Settings::load_with(&overrides).expect("test settings are valid");
    let app = Application::build(settings).await.expect("server starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until(std::future::pending()));
    TestApp { base, data_dir }
}

/// A fresh PostgreSQL database under `DEALCHAT_TEST_PG_URL` (set by the README's test command).
async fn create_pg_database(name: &str) -> String {
    use sea_orm::ConnectionTrait;
    let base = std::env::var("DEALCHAT_TEST_PG_URL").expect(
        "DEALCHAT_TEST_PG_URL is not set: run the tests with scripts/test.sh, which starts PostgreSQL",
    );
    let admin = sea_orm::Database::connect(format!("{base}/postgres"))
        .await
        .expect("connect to PostgreSQL");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    admin.close().await.ok();
    format!("{base}/{name}")
}

impl TestApp {
    pub fn client(&self) -> Client {
        Client {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: self.base.clone(),
        }
    }

    /// A client signed in as the bootstrap admin.
    pub async fn admin(&self) -> Client {
        let c = self.client();
        c.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.expect_ok();
        c
    }

    /// A new client account, signed in.
    pub async fn signed_up_client(&self, email: &str) -> Client {
        let c = self.client();
        c.signup(email, "Client Person", "client-password-1")
            .await
            .expect_ok();
        c
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

impl Client {
    /// Calls a server function the way the hydrated app does (form-encoded in, JSON out).
    pub async fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> Reply {
        let res = self
            .http
            .post(format!("{}/api/{endpoint}", self.base))
            .header("Accept", "application/json")
            .form(form)
            .send()
            .await
            .expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn signup(&self, email: &str, name: &str, password: &str) -> Reply {
        self.call(
            "auth/signup",
            &[
                ("email", email),
                ("display_name", name),
                ("password", password),
            ],
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Reply {
        self.call("auth/login", &[("email", email), ("password", password)])
            .await
    }

    pub async fn me(&self) -> Value {
        let r = self.call("auth/me", &[]).await;
        assert_eq!(r.status, StatusCode::OK, "me: {:?}", r.body);
        r.body
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request")
    }
}

impl Reply {
    pub fn expect_ok(&self) -> &Value {
        assert_eq!(
            self.status,
            StatusCode::OK,
            "unexpected reply: {:?}",
            self.body
        );
        &self.body
    }
}
