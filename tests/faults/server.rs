//! The server under test as a child process on a database of its own, which the test can kill
//! with SIGKILL and start again on the same port, data dir and database.

use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, Statement};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ADMIN_EMAIL: &str = "admin@faults.example";
pub const ADMIN_PASSWORD: &str = "admin-password-faults";
const SECRET: &str = "fault-test-secret-fault-test-secret-0";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// The server binary: the one the test command built for release, else cargo's debug build.
pub fn binary() -> PathBuf {
    std::env::var_os("DEALCHAT_SERVER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_dealchat")))
}

pub fn required_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests with scripts/test.sh, which provides it")
    })
}

pub struct Server {
    pub url: String,
    pub dir: PathBuf,
    pub port: u16,
    env: Vec<(String, String)>,
    child: Option<Child>,
}

impl Server {
    /// A fresh database and data dir; `env` adds settings (`APP_…` variables).
    pub async fn new(db: Db, env: &[(&str, String)]) -> Server {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let dir = std::env::temp_dir().join(format!("dealchat-faults-{id}"));
        std::fs::create_dir_all(&dir).unwrap();
        let url = match db {
            Db::Sqlite => format!("sqlite://{}/faults.db?mode=rwc", dir.display()),
            Db::Postgres => {
                let base = required_env("DEALCHAT_TEST_PG_URL");
                let admin = sea_orm::Database::connect(format!("{base}/postgres"))
                    .await
                    .unwrap();
                // The test command drops databases named like this that earlier runs left.
                let name = format!("dealchat_test_faults_{id}");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .unwrap();
                admin.close().await.ok();
                format!("{base}/{name}")
            }
        };
        Server {
            url,
            dir,
            port: crate::support::free_port(),
            env: owned(env),
            child: None,
        }
    }

    /// Another instance on the same database, with a data dir and port of its own.
    pub fn beside(other: &Server, env: &[(&str, String)]) -> Server {
        let dir = other.dir.with_extension("second");
        std::fs::create_dir_all(&dir).unwrap();
        Server {
            url: other.url.clone(),
            dir,
            port: crate::support::free_port(),
            env: owned(env),
            child: None,
        }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// Starts the server and waits until it answers; returns how long that took.
    pub async fn start(&mut self) -> Duration {
        assert!(self.child.is_none(), "the server is already running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .unwrap();
        let started = Instant::now();
        let child = Command::new(binary())
            .env("APP_DATABASE__URL", &self.url)
            .env("APP_DATA_DIR", &self.dir)
            .env("APP_SERVER__BIND", format!("127.0.0.1:{}", self.port))
            .env("APP_SERVER__PUBLIC_URL", self.base())
            .env("APP_SESSION__SECRET", SECRET)
            .env("APP_BOOTSTRAP__ADMIN_EMAIL", ADMIN_EMAIL)
            .env("APP_BOOTSTRAP__ADMIN_PASSWORD", ADMIN_PASSWORD)
            // Every simulated user sends from 127.0.0.1, far faster than people type.
            .env("APP_RATE_LIMITS__AUTH_PER_IP_PER_MINUTE", "100000")
            .env("APP_RATE_LIMITS__CHAT_STARTS_PER_IP_PER_MINUTE", "100000")
            .env("APP_RATE_LIMITS__UPLOADS_PER_USER_PER_MINUTE", "100000")
            .env("APP_CHAT__SENDS_PER_SECOND", "1000000")
            .env("APP_CHAT__SEND_BURST", "1000000")
            .env("APP_LIMITS__MAX_CONNECTIONS_PER_IP", "100000")
            .env("APP_LIMITS__MAX_CONNECTIONS", "100000")
            .env("RUST_LOG", "warn")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary().display()));
        self.child = Some(child);
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let healthy = http
                .get(format!("{}/healthz", self.base()))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if healthy {
                return started.elapsed();
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("the server exited ({status}); log:\n{}", self.log());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the server did not become healthy; log:\n{}", self.log());
    }

    /// SIGKILL: no shutdown code runs, as when the machine or the process dies.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            // Reaped at once: the process can no longer answer anything.
            child.wait().unwrap();
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Lines of the server's log that report a panic.
    pub fn panics(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter(|l| l.contains("panicked"))
            .map(str::to_owned)
            .collect()
    }

    /// A connection of the test's own, to look at what the server committed.
    pub async fn connect(&self) -> DatabaseConnection {
        sea_orm::Database::connect(&self.url).await.unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn owned(env: &[(&str, String)]) -> Vec<(String, String)> {
    env.iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// Rows of `(key, number)` from a query that selects exactly those two columns, named `k`, `n`.
pub async fn counts(db: &DatabaseConnection, sql: &str) -> Vec<(String, i64)> {
    #[derive(FromQueryResult)]
    struct Row {
        k: String,
        n: i64,
    }
    Row::find_by_statement(Statement::from_string(db.get_database_backend(), sql))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.k, r.n))
        .collect()
}

/// One number from a query that selects one column named `n`.
pub async fn number(db: &DatabaseConnection, sql: &str) -> i64 {
    #[derive(FromQueryResult)]
    struct Row {
        n: i64,
    }
    Row::find_by_statement(Statement::from_string(db.get_database_backend(), sql))
        .one(db)
        .await
        .unwrap()
        .map_or(0, |r| r.n)
}
