//! `spawn_app` gives each test its own server, port and database.

use dealchat::server::platform::config::Settings;
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
    /// The first-run setup code, when the app started without an administrator.
    pub setup_code: Option<String>,
    pub data_dir: PathBuf,
    pub db_url: String,
    pub db: sea_orm::DatabaseConnection,
}

/// A browser-like client: its own cookie jar, no automatic redirects (tests look at them).
#[derive(Clone)]
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
    let (url, data_dir) = fresh_database(db).await;
    spawn_instance(&url, data_dir, extra).await
}

/// An empty database of the kind asked for, and a data directory beside it.
pub async fn fresh_database(db: Db) -> (String, PathBuf) {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let data_dir = std::env::temp_dir().join(format!("dealchat-test-{id}"));
    let url = match db {
        Db::Sqlite => {
            std::fs::create_dir_all(&data_dir).expect("data dir");
            format!("sqlite://{}/test.db?mode=rwc", data_dir.display())
        }
        Db::Postgres => create_pg_database(&format!("dealchat_test_{id}")).await,
    };
    (url, data_dir)
}

/// Another server process-alike on an existing database (for multi-instance tests).
pub async fn spawn_instance(url: &str, data_dir: PathBuf, extra: &[(&str, &str)]) -> TestApp {
    // The server's log, shown with a failing test's output (RUST_LOG picks the level; warn by
    // default, so an Internal answer comes with its cause).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_test_writer()
        .try_init();
    let url = url.to_owned();
    let mut overrides: Vec<(&str, String)> = vec![
        ("data_dir", data_dir.display().to_string()),
        ("database.url", url.clone()),
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
    let db = app.state().db.clone();
    let setup_code = app.state().setup.code();
    tokio::spawn(app.run_until(std::future::pending()));
    TestApp {
        base,
        setup_code,
        data_dir,
        db_url: url,
        db,
    }
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
                // Longer than any long-poll the tests make (at most 20 s): a request or a body that
                // never ends fails its test with a timeout instead of holding up the whole run.
                .timeout(std::time::Duration::from_secs(60))
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

    /// A new manager account (created by the admin), signed in.
    pub async fn manager(&self, email: &str, name: &str) -> Client {
        let admin = self.admin().await;
        admin
            .call(
                "admin/users/create",
                &[
                    ("email", email),
                    ("display_name", name),
                    ("password", "manager-password-1"),
                    ("role", "manager"),
                ],
            )
            .await
            .expect_ok();
        let c = self.client();
        c.login(email, "manager-password-1").await.expect_ok();
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

/// A fresh client message id, as the browser makes one.
pub fn msg_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl Client {
    /// Starts a chat and returns its id.
    pub async fn start_chat(&self, topic: &str, title: &str, body: &str) -> i64 {
        let r = self
            .call(
                "chats/start",
                &[
                    ("topic", topic),
                    ("title", title),
                    ("body", body),
                    ("client_msg_id", &msg_id()),
                ],
            )
            .await;
        r.expect_ok()["id"].as_i64().expect("chat id")
    }

    pub async fn send(&self, conversation_id: i64, client_msg_id: &str, body: &str) -> Reply {
        self.call(
            "chats/send",
            &[
                ("conversation_id", &conversation_id.to_string()),
                ("client_msg_id", client_msg_id),
                ("body", body),
            ],
        )
        .await
    }

    /// The chat as its window would open it.
    pub async fn open(&self, conversation_id: i64) -> Value {
        self.call(
            "chats/open",
            &[("conversation_id", &conversation_id.to_string())],
        )
        .await
        .expect_ok()
        .clone()
    }

    pub async fn list(&self) -> Vec<Value> {
        self.call("chats/list", &[])
            .await
            .expect_ok()
            .as_array()
            .expect("list")
            .clone()
    }

    pub async fn accept(&self, conversation_id: i64) -> Reply {
        self.call(
            "chats/accept",
            &[("conversation_id", &conversation_id.to_string())],
        )
        .await
    }

    /// Opens a streamed poll from the cursor, as the browser does.
    pub async fn stream(&self, tick: i64, conversation_id: Option<i64>, after_seq: i64) -> Stream {
        let form = poll_form(tick, conversation_id, after_seq);
        let res = self
            .http
            .post(format!("{}/api/chats/stream", self.base))
            .header("Accept", "application/x-ndjson")
            .form(&form)
            .send()
            .await
            .expect("request");
        Stream {
            status: res.status(),
            headers: res.headers().clone(),
            res,
            pending: Vec::new(),
        }
    }

    pub async fn poll(&self, tick: i64, conversation_id: Option<i64>, after_seq: i64) -> Reply {
        let form = poll_form(tick, conversation_id, after_seq);
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.call("chats/poll", &form).await
    }
}

/// The arguments of a poll, long or streamed.
fn poll_form(
    tick: i64,
    conversation_id: Option<i64>,
    after_seq: i64,
) -> Vec<(&'static str, String)> {
    let mut form = vec![
        ("tick", tick.to_string()),
        ("after_seq", after_seq.to_string()),
    ];
    if let Some(id) = conversation_id {
        form.push(("conversation_id", id.to_string()));
    }
    form
}

/// A streamed poll (`/api/chats/stream`) as the browser reads it: the answer's status and head,
/// then its lines (each a `PollLine` as JSON) as they come.
pub struct Stream {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    res: reqwest::Response,
    pending: Vec<u8>,
}

impl Stream {
    /// The next line, or None when the server ended the stream. Panics after `within`.
    pub async fn next_within(&mut self, within: std::time::Duration) -> Option<Value> {
        tokio::time::timeout(within, self.next())
            .await
            .expect("a line or the stream's end in time")
    }

    async fn next(&mut self) -> Option<Value> {
        loop {
            if let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
                let rest = self.pending.split_off(end + 1);
                let line = std::mem::replace(&mut self.pending, rest);
                return Some(serde_json::from_slice(&line).expect("a line of JSON"));
            }
            match self.res.chunk().await.expect("the stream reads") {
                Some(bytes) => self.pending.extend_from_slice(&bytes),
                None => {
                    assert!(self.pending.is_empty(), "the stream ended inside a line");
                    return None;
                }
            }
        }
    }

    /// The error in an answer that was refused before the stream began.
    pub async fn refusal(self) -> Value {
        let text = self.res.text().await.expect("body");
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    }
}

/// The update a stream's line carries; panics on an error line.
pub fn streamed_update(line: &Value) -> &Value {
    line.get("Update")
        .unwrap_or_else(|| panic!("an update, not {line}"))
}

/// A chat's messages in words (as the chat shows them), oldest first.
pub fn bodies(detail: &Value) -> Vec<String> {
    detail["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| {
            let m: dealchat::model::chat::MessageView =
                serde_json::from_value(m.clone()).expect("a message view");
            m.content.describe(&m.sender_name)
        })
        .collect()
}
