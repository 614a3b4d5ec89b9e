//! Chat load benchmark: runs the release server as a separate process on SQLite or PostgreSQL and
//! measures
//!
//! 1. server memory per idle long-polling client (RSS with 0 and with N idle pollers),
//! 2. send → receive latency (p50/p99) with those idle pollers connected and a steady message
//!    rate flowing through active chats,
//! 3. sustained accepted messages per second under many concurrent senders, then kills the
//!    server with SIGKILL and checks in the database that every acknowledged message is there
//!    exactly once (zero lost, zero duplicated, no gaps in sequence numbers).
//!
//! Run it with `scripts/bench.sh` (builds the release server first). Options:
//! `--idle N` (5000), `--rate R` msg/s (500), `--latency-secs S` (20), `--blast-secs S` (10),
//! `--senders N` (128), `--chats N` (50), `--server PATH`, `--migrations N` (prepare the database
//! with the first N migrations only, to run an older build on it), `--db sqlite|postgres` (sqlite;
//! postgres uses `DEALCHAT_TEST_PG_URL`, a database per run), `--runs N` (3: every phase runs N
//! times on a fresh database and server; the summary gives the median and the spread), `--pin`
//! (the server on CPU 0, this program on CPU 1, with `taskset`), `--perf FILE` (`perf record` of
//! the server's latency phase, into FILE, in an extra run that is not counted), `--no-analyze`
//! (PostgreSQL: measure on tables never analysed; see below), `--history N` (100 messages sent
//! into each active chat before the phases).
//!
//! Before the phases each active chat gets its history through the API, and on PostgreSQL the
//! tables are then `ANALYZE`d: a database that has run for a minute has been analysed by
//! autovacuum, while these tables were filled seconds ago. Measured on an empty, never-analysed
//! messages table that grows a hundredfold during the latency phase, PostgreSQL took 65 % of the
//! host's CPU (plans that read whole indexes, e.g. every user for a page of messages).
//!
//! Each run reports the host's load average before it and after its latency phase, and the CPU
//! time the server and this program used in that phase.
//!
//! `--routing RATE` runs instead the routing phase (`chat_load/routing.rs`: operators on a
//! least-busy queue, RATE new chats a second; `--routing-secs`, `--operators`, `--handle-ms`).
//!
//! `--groups N` runs instead the group phase (`chat_load/groups.rs`: internal group chats'
//! fan-out to N members all waiting on a streamed poll as the browser does, then 20 groups of 100
//! at 50 msg/s; `--group-rate`, `--group-secs`, `--long-poll` for one long-poll per answer
//! instead, `--repoll-delay MS` with it).
//!
//! `--ssr-page N` measures instead how fast the server renders a chat page: one chat with 200
//! messages, its page (`GET /chats/:id`, rendered whole on the server) loaded N times in a row
//! by its client; p50, p99 and max, then exits.

#![allow(clippy::unwrap_used)]

/// The server's allocator here too: this program's thousands of clients share the machine's two
/// cores with the server, and every cycle they spend allocating is one the server does not get.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "chat_load/groups.rs"]
mod groups;
#[path = "chat_load/routing.rs"]
mod routing;
mod support;

use dealchat::model::Role;
use dealchat::model::ids::UserId;
use dealchat::server::accounts::{passwords, sessions};
use dealchat::server::platform::config::DatabaseSettings;
use dealchat::server::platform::entities::user;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, FromQueryResult, Statement};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SECRET: &str = "benchmark-secret-benchmark-secret-0123";
const PASSWORD: &str = "bench-password-1";

struct Options {
    idle: usize,
    rate: u64,
    latency_secs: u64,
    blast_secs: u64,
    senders: usize,
    chats: usize,
    server: PathBuf,
    /// Prepare the database with only the first N migrations (the server applies the rest), so
    /// a build from before a later migration can run on it too.
    migrations: Option<u32>,
    /// Page loads for the server-rendering measurement; 0 runs the load benchmark.
    ssr_page: usize,
    postgres: bool,
    runs: usize,
    pin: bool,
    perf: Option<PathBuf>,
    analyze: bool,
    history: usize,
    /// New chats a second in the routing phase; 0 runs the load benchmark.
    routing: u64,
    routing_secs: u64,
    operators: usize,
    handle_ms: u64,
    /// Members of the big group in the group phase; 0 runs the load benchmark.
    groups: usize,
    group_rate: u64,
    group_secs: u64,
    /// How long a member waits after an answer before it polls again: with more than a fan-out
    /// takes, no re-poll competes with the answers (a diagnostic; browsers re-poll at once).
    repoll_delay: Duration,
    /// Group members long-poll once per answer instead of streaming (`--long-poll`).
    long_poll: bool,
}

fn options() -> Options {
    let mut o = Options {
        idle: 5000,
        rate: 500,
        latency_secs: 20,
        blast_secs: 10,
        senders: 128,
        chats: 50,
        server: support::default_server(),
        migrations: None,
        ssr_page: 0,
        postgres: false,
        runs: 3,
        pin: false,
        perf: None,
        analyze: true,
        history: 100,
        routing: 0,
        routing_secs: 10,
        operators: 50,
        handle_ms: 1000,
        groups: 0,
        group_rate: 4,
        group_secs: 10,
        repoll_delay: Duration::ZERO,
        long_poll: false,
    };
    let args: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < args.len() {
        let value = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--idle" => o.idle = value.parse().unwrap(),
            "--rate" => o.rate = value.parse().unwrap(),
            "--latency-secs" => o.latency_secs = value.parse().unwrap(),
            "--blast-secs" => o.blast_secs = value.parse().unwrap(),
            "--senders" => o.senders = value.parse().unwrap(),
            "--chats" => o.chats = value.parse().unwrap(),
            "--server" => o.server = PathBuf::from(value),
            "--migrations" => o.migrations = Some(value.parse().unwrap()),
            "--ssr-page" => o.ssr_page = value.parse().unwrap(),
            "--db" => {
                o.postgres = match value.as_str() {
                    "sqlite" => false,
                    "postgres" => true,
                    other => panic!("--db takes sqlite or postgres, not {other}"),
                }
            }
            "--history" => o.history = value.parse().unwrap(),
            "--routing" => o.routing = value.parse::<u64>().unwrap().max(1),
            "--routing-secs" => o.routing_secs = value.parse().unwrap(),
            "--operators" => o.operators = value.parse::<usize>().unwrap().max(1),
            "--handle-ms" => o.handle_ms = value.parse().unwrap(),
            "--groups" => o.groups = value.parse::<usize>().unwrap().max(2),
            "--group-rate" => o.group_rate = value.parse::<u64>().unwrap().max(1),
            "--group-secs" => o.group_secs = value.parse::<u64>().unwrap().max(1),
            "--repoll-delay" => {
                o.repoll_delay = Duration::from_millis(value.parse::<u64>().unwrap());
            }
            "--runs" => o.runs = value.parse::<usize>().unwrap().max(1),
            "--pin" => {
                o.pin = true;
                i += 1;
                continue;
            }
            "--long-poll" => {
                o.long_poll = true;
                i += 1;
                continue;
            }
            "--no-analyze" => {
                o.analyze = false;
                i += 1;
                continue;
            }
            "--perf" => o.perf = Some(PathBuf::from(value)),
            "--bench" => {
                i += 1;
                continue;
            }
            other => panic!("unknown option {other}"),
        }
        i += 2;
    }
    o
}

/// A signed-in user, as a session cookie.
#[derive(Clone)]
struct Session {
    cookie: String,
}

#[derive(Clone)]
struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    /// A client of the server on `port`, with as many connections as the phases open.
    fn new(port: u16) -> Api {
        Api {
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(usize::MAX)
                .tcp_nodelay(true)
                .timeout(Duration::from_secs(90))
                .build()
                .unwrap(),
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    async fn call(
        &self,
        who: &Session,
        endpoint: &str,
        form: &[(&str, String)],
    ) -> Result<Value, String> {
        let res = self
            .http
            .post(format!("{}/api/{endpoint}", self.base))
            .header("Accept", "application/json")
            .header("Cookie", &who.cookie)
            .form(form)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = res.status();
        let text = res.text().await.map_err(|e| e.to_string())?;
        if status.is_success() {
            serde_json::from_str(&text).map_err(|e| e.to_string())
        } else {
            Err(format!("{status}: {text}"))
        }
    }

    async fn poll(
        &self,
        who: &Session,
        tick: i64,
        chat: Option<i64>,
        after: i64,
    ) -> Result<Value, String> {
        let mut form = vec![("tick", tick.to_string()), ("after_seq", after.to_string())];
        if let Some(id) = chat {
            form.push(("conversation_id", id.to_string()));
        }
        self.call(who, "chats/poll", &form).await
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Creates the schema and the accounts (with sessions) directly, which is far faster than
/// signing thousands of users up through argon2 one by one.
async fn prepare(
    url: &str,
    migrations: Option<u32>,
    clients: usize,
    managers: usize,
) -> (Vec<Session>, Vec<Session>) {
    let db = dealchat::server::platform::db::connect(&DatabaseSettings {
        url: url.to_owned(),
        max_connections: 1,
        sqlite_cache_kib: 2048,
        sqlite_row_buffer: 1024,
        acquire_timeout_secs: 10,
    })
    .await
    .unwrap();
    Migrator::up(&db, migrations).await.unwrap();
    if db.get_database_backend() == sea_orm::DbBackend::Sqlite {
        db.execute_unprepared("PRAGMA synchronous = OFF")
            .await
            .unwrap();
    }
    let hash = passwords::hash(PASSWORD.into()).await.unwrap();
    let key = sessions::SessionKey::new(SECRET.as_bytes());
    let make = |role: Role, n: usize| {
        (0..n)
            .map(|i| user::ActiveModel {
                email: Set(format!("{role}{i}@bench.example")),
                display_name: Set(format!("{role} {i}")),
                password_hash: Set(hash.clone()),
                role: Set(role),
                disabled: Set(false),
                created_at: Set(chrono::Utc::now()),
                ..Default::default()
            })
            .collect::<Vec<_>>()
    };
    let client_rows = make(Role::Client, clients);
    let manager_rows = make(Role::Manager, managers);
    // An admin, so pages are served instead of the first-run setup.
    let admin_rows = make(Role::Admin, 1);
    for chunk in client_rows
        .chunks(500)
        .chain(manager_rows.chunks(500))
        .chain(admin_rows.chunks(1))
    {
        user::Entity::insert_many(chunk.to_vec())
            .exec(&db)
            .await
            .unwrap();
    }
    #[derive(FromQueryResult)]
    struct Row {
        id: UserId,
        role: Role,
    }
    let rows = Row::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        "SELECT id, role FROM users ORDER BY id",
    ))
    .all(&db)
    .await
    .unwrap();
    let (mut cs, mut ms) = (Vec::new(), Vec::new());
    for r in rows.into_iter().filter(|r| r.role != Role::Admin) {
        let token = sessions::start(
            &db,
            &key,
            r.id,
            chrono::Duration::days(1),
            sessions::Device::default(),
        )
        .await
        .unwrap();
        let s = Session {
            cookie: format!("{}={token}", sessions::cookie_name(false)),
        };
        if r.role == Role::Client {
            cs.push(s)
        } else {
            ms.push(s)
        }
    }
    db.close().await.unwrap();
    (cs, ms)
}

fn start_server(o: &Options, url: &str, dir: &std::path::Path, port: u16) -> Child {
    let mut command = if o.pin {
        let mut c = Command::new("taskset");
        c.args(["-c", "0"]).arg(&o.server);
        c
    } else {
        Command::new(&o.server)
    };
    if o.ssr_page > 0 {
        // The page shows the whole chat, not only its last 50 messages.
        command.env("APP_CHAT__HISTORY_PAGE", "200");
    }
    command
        .env("APP_DATABASE__URL", url)
        .env("APP_DATA_DIR", dir)
        .env("APP_SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("APP_SESSION__SECRET", SECRET)
        // The benchmark measures the server, not the per-user send limit.
        .env("APP_CHAT__SENDS_PER_SECOND", "1000000")
        .env("APP_CHAT__SEND_BURST", "1000000")
        // Every simulated user connects from 127.0.0.1, far faster than people type.
        .env("APP_RATE_LIMITS__CHAT_STARTS_PER_IP_PER_MINUTE", "100000")
        .env("APP_RATE_LIMITS__AUTH_PER_IP_PER_MINUTE", "100000")
        .env("APP_LIMITS__MAX_CONNECTIONS_PER_IP", "100000")
        .env("APP_LIMITS__MAX_CONNECTIONS", "100000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", o.server.display()))
}

/// The chat page as its client opens it: 200 messages (the start message and 199 sends, from both
/// sides), rendered whole by the server (the page is `SsrMode::Async`), `loads` times in a row.
async fn ssr_page(api: &Api, chat: &(i64, Session, Session), loads: usize) {
    let (id, client, manager) = chat;
    for n in 1..200 {
        let who = if n % 2 == 0 { client } else { manager };
        let form = [
            ("conversation_id", id.to_string()),
            ("client_msg_id", format!("ssr-{n}")),
            (
                "body",
                format!("Message {n} of the page: the quotation, the dates and the next step."),
            ),
        ];
        api.call(who, "chats/send", &form).await.unwrap();
    }
    let url = format!("{}/chats/{id}", api.base);
    let load = || async {
        let started = Instant::now();
        let res = api
            .http
            .get(&url)
            .header("Cookie", &client.cookie)
            .send()
            .await
            .unwrap();
        let (status, landed) = (res.status(), res.url().to_string());
        assert!(status.is_success(), "GET /chats/{id}: {status}");
        let html = res.text().await.unwrap();
        assert!(
            landed == url,
            "GET /chats/{id} ended at {landed}: {}",
            html.chars().take(300).collect::<String>()
        );
        (started.elapsed(), html)
    };
    // The first load after start-up warms the caches; it also shows the page is the whole chat.
    let (_, html) = load().await;
    let shown = html.matches("Message ").count();
    assert!(
        shown >= 199,
        "the page shows {shown} of the 199 sent messages: {}",
        html[html.find("<main").unwrap_or(0)..]
            .chars()
            .take(400)
            .collect::<String>()
    );
    let mut times = Vec::with_capacity(loads);
    for _ in 0..loads {
        times.push(load().await.0);
    }
    times.sort();
    println!(
        "chat page with 200 messages, {} B of HTML, {loads} loads one after another: \
         p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        html.len(),
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        ms(*times.last().unwrap())
    );
}

#[tokio::main]
async fn main() {
    let o = options();
    if o.pin {
        // Every thread of this program (the runtime's workers are already running) on CPU 1.
        pin(&["-a", "-cp", "1", &std::process::id().to_string()]);
    }
    if o.ssr_page > 0 {
        run(&o, 0).await;
        return;
    }
    if o.routing > 0 {
        for n in 0..o.runs {
            println!("\n== routing run {} of {} ==", n + 1, o.runs);
            routing::run(&o, n).await.print(&o);
        }
        return;
    }
    if o.groups > 0 {
        for n in 0..o.runs {
            println!("\n== group run {} of {} ==", n + 1, o.runs);
            groups::run(&o, n).await.print();
        }
        return;
    }
    if o.perf.is_some() {
        // perf slows the server down: its run is shown but not counted.
        println!("\n== profiled run (not counted) ==");
        run(&o, usize::MAX).await.unwrap().print(&o);
    }
    let mut runs = Vec::new();
    for n in 0..o.runs {
        println!("\n== run {} of {} ==", n + 1, o.runs);
        let f = run(&o, n).await.unwrap();
        f.print(&o);
        runs.push(f);
    }
    summary(&o, &runs);
}

/// Sets CPU affinity with `taskset ARGS`.
fn pin(args: &[&str]) {
    let status = Command::new("taskset")
        .args(args)
        .stdout(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("cannot run taskset: {e}"));
    assert!(status.success(), "taskset {args:?}: {status}");
}

/// The 1-minute load average of the host.
fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(-1.0)
}

/// `perf record` of the processes `pids` (comma-separated) into `file` for `secs` seconds, with
/// DWARF call graphs: the release build keeps no frame pointers, so `-g` gives no callers.
fn record_profile(file: &std::path::Path, pids: &str, secs: u64) -> Child {
    Command::new("perf")
        .args([
            "record",
            "-F",
            "999",
            "--call-graph",
            "dwarf,16384",
            "-p",
            pids,
            "-o",
        ])
        .arg(file)
        .args(["--", "sleep", &secs.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run perf: {e}"))
}

/// CPU time (user + system) a process has used so far, in seconds.
fn cpu_secs(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and
    // 13th of those, in clock ticks (100 per second on Linux).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse().ok())
        .collect();
    f.iter().sum::<f64>() / 100.0
}

/// A fresh database for one run.
struct Database {
    url: String,
    /// PostgreSQL: the server URL and the database to drop afterwards.
    drop: Option<(String, String)>,
}

async fn database(o: &Options, dir: &std::path::Path, n: usize) -> Database {
    if !o.postgres {
        return Database {
            url: format!("sqlite://{}/bench.db?mode=rwc", dir.display()),
            drop: None,
        };
    }
    let base = std::env::var("DEALCHAT_TEST_PG_URL").expect(
        "--db postgres needs DEALCHAT_TEST_PG_URL (scripts/bench.sh --db postgres sets it)",
    );
    // Named like the tests' databases, which the test command drops when a run left one behind.
    let name = format!("dealchat_test_bench_{}_{n}", std::process::id());
    pg_admin(
        &base,
        &[
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ],
    )
    .await;
    Database {
        url: format!("{base}/{name}"),
        drop: Some((base, name)),
    }
}

impl Database {
    async fn remove(self) {
        if let Some((base, name)) = self.drop {
            pg_admin(
                &base,
                &[format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")],
            )
            .await;
        }
    }
}

/// Runs `statements` on the PostgreSQL server's `postgres` database.
async fn pg_admin(base: &str, statements: &[String]) {
    let admin = sea_orm::Database::connect(format!("{base}/postgres"))
        .await
        .unwrap();
    for sql in statements {
        admin.execute_unprepared(sql).await.unwrap();
    }
    admin.close().await.unwrap();
}

/// What one run measured.
struct Figures {
    rss_before: u64,
    rss_idle: u64,
    per_poller_kib: f64,
    idle_errors: u64,
    samples: usize,
    expected: u64,
    offered: f64,
    send_failures: u64,
    p50: f64,
    p99: f64,
    max: f64,
    acked: usize,
    blast_secs: f64,
    attempts: u64,
    blast_errors: u64,
    throughput: f64,
    lost: usize,
    duplicated: usize,
    gaps: i64,
    load_before: f64,
    load_after: f64,
    server_cpu: f64,
    bench_cpu: f64,
}

/// One run: a fresh database and server, the three phases, SIGKILL, the check. `None` after the
/// page-rendering measurement, which prints its own figures.
async fn run(o: &Options, n: usize) -> Option<Figures> {
    let load_before = load_average();
    let dir = std::env::temp_dir().join(format!("dealchat-bench-{}-{n}", std::process::id()));
    // A run killed before its clean-up leaves its folder; a later process with the same id must
    // not start on that database.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = database(o, &dir, n).await;
    let url = db.url.clone();
    let managers = (o.chats / 10).max(1);
    println!(
        "preparing {} clients and {managers} managers…",
        o.idle + o.chats
    );
    let (clients, manager_sessions) = prepare(&url, o.migrations, o.idle + o.chats, managers).await;
    let (active_clients, idle_clients) = clients.split_at(o.chats);

    let port = support::free_port();
    let mut server = start_server(o, &url, &dir, port);
    let pid = server.id();
    let api = Api::new(port);
    support::wait_healthy(&api.http, &api.base).await;

    // Active chats: each client starts one, a manager accepts it.
    let mut chats = Vec::new();
    for (i, c) in active_clients.iter().enumerate() {
        let chat = api
            .call(
                c,
                "chats/start",
                &[
                    ("topic", "project".into()),
                    ("title", format!("Bench chat {i}")),
                    ("body", "hello".into()),
                    ("client_msg_id", format!("start-{i}")),
                ],
            )
            .await
            .unwrap();
        let id = chat["id"].as_i64().unwrap();
        let m = &manager_sessions[i % manager_sessions.len()];
        api.call(m, "chats/accept", &[("conversation_id", id.to_string())])
            .await
            .unwrap();
        chats.push((id, c.clone(), m.clone()));
    }

    if o.ssr_page > 0 {
        ssr_page(&api, &chats[0], o.ssr_page).await;
        server.kill().unwrap();
        server.wait().unwrap();
        db.remove().await;
        let _ = std::fs::remove_dir_all(&dir);
        return None;
    }

    // History: real chats have it, and PostgreSQL plans from statistics taken on tables that
    // then grew a hundredfold in seconds (as an empty messages table does in the latency
    // phase) read whole indexes.
    let history = chats.iter().map(|(id, _, manager)| {
        let (api, manager, id, n) = (api.clone(), manager.clone(), *id, o.history);
        tokio::spawn(async move {
            for k in 0..n {
                let form = [
                    ("conversation_id", id.to_string()),
                    ("client_msg_id", format!("history-{id}-{k}")),
                    ("body", format!("earlier message {k}")),
                ];
                api.call(&manager, "chats/send", &form).await.unwrap();
            }
        })
    });
    for task in history.collect::<Vec<_>>() {
        task.await.unwrap();
    }
    if o.postgres && o.analyze {
        let conn = sea_orm::Database::connect(url.as_str()).await.unwrap();
        conn.execute_unprepared("ANALYZE").await.unwrap();
        conn.close().await.unwrap();
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_before = support::rss_kib(pid);

    // Idle pollers: clients with no chats, waiting on the long-poll, re-polling at its timeout.
    let stop = Arc::new(AtomicBool::new(false));
    let idle_answers = Arc::new(AtomicU64::new(0));
    let poll_errors = Arc::new(AtomicU64::new(0));
    for (n, s) in idle_clients.iter().enumerate() {
        let (api, s, stop, answers, errors) = (
            api.clone(),
            s.clone(),
            stop.clone(),
            idle_answers.clone(),
            poll_errors.clone(),
        );
        tokio::spawn(async move {
            let mut tick = 0;
            while !stop.load(Ordering::Relaxed) {
                match api.poll(&s, tick, None, 0).await {
                    Ok(u) => {
                        tick = u["cursor"]["tick"].as_i64().unwrap_or(tick);
                        answers.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                }
            }
        });
        if n % 250 == 249 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // Every idle poll answers once at once (its first read), then waits.
    let settle = Instant::now();
    while (idle_answers.load(Ordering::Relaxed) as usize) < o.idle
        && settle.elapsed() < Duration::from_secs(30)
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss_idle = support::rss_kib(pid);
    let per_poller_kib = (rss_idle.saturating_sub(rss_before)) as f64 / o.idle as f64;
    // Counted now: every poll fails once the server is killed at the end.
    let idle_errors = poll_errors.load(Ordering::Relaxed);
    println!(
        "idle pollers connected: {} (first answers {}, errors {})",
        o.idle,
        idle_answers.load(Ordering::Relaxed),
        poll_errors.load(Ordering::Relaxed)
    );

    // Latency: each active chat's client polls its chat; managers send at the target rate.
    let sent_at: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let samples: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let receiving = Arc::new(AtomicBool::new(true));
    for (id, client, _) in &chats {
        let (api, client, sent_at, samples, receiving, id) = (
            api.clone(),
            client.clone(),
            sent_at.clone(),
            samples.clone(),
            receiving.clone(),
            *id,
        );
        tokio::spawn(async move {
            let first = api.poll(&client, 0, Some(id), 0).await.unwrap();
            let (mut tick, mut after) = (
                first["cursor"]["tick"].as_i64().unwrap(),
                first["cursor"]["after_seq"].as_i64().unwrap(),
            );
            while receiving.load(Ordering::Relaxed) {
                let Ok(u) = api.poll(&client, tick, Some(id), after).await else {
                    continue;
                };
                let now = Instant::now();
                tick = u["cursor"]["tick"].as_i64().unwrap();
                after = u["cursor"]["after_seq"].as_i64().unwrap();
                let sent = sent_at.lock().unwrap();
                let mut got = samples.lock().unwrap();
                for m in u["messages"].as_array().unwrap() {
                    if let Some(t) = m["client_msg_id"].as_str().and_then(|k| sent.get(k)) {
                        got.push(now - *t);
                    }
                }
            }
        });
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let perf = o
        .perf
        .as_ref()
        .filter(|_| n == usize::MAX)
        .map(|file| record_profile(file, &pid.to_string(), o.latency_secs));
    let (server_cpu0, bench_cpu0) = (cpu_secs(&pid.to_string()), cpu_secs("self"));
    let interval = Duration::from_secs_f64(1.0 / o.rate as f64);
    let total = o.rate * o.latency_secs;
    let send_failures = Arc::new(AtomicU64::new(0));
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut inflight = Vec::with_capacity(total as usize);
    for n in 0..total {
        ticker.tick().await;
        let (id, _, manager) = &chats[n as usize % chats.len()];
        let key = format!("lat-{n}");
        sent_at.lock().unwrap().insert(key.clone(), Instant::now());
        let (api, manager, id, failures) =
            (api.clone(), manager.clone(), *id, send_failures.clone());
        inflight.push(tokio::spawn(async move {
            let form = [
                ("conversation_id", id.to_string()),
                ("client_msg_id", key),
                ("body", format!("latency probe {n}")),
            ];
            if api.call(&manager, "chats/send", &form).await.is_err() {
                failures.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for f in inflight {
        let _ = f.await;
    }
    let latency_secs = started.elapsed().as_secs_f64();
    let offered = total as f64 / latency_secs;
    let server_cpu = (cpu_secs(&pid.to_string()) - server_cpu0) / latency_secs;
    let bench_cpu = (cpu_secs("self") - bench_cpu0) / latency_secs;
    let load_after = load_average();
    if let Some(mut perf) = perf {
        perf.wait().unwrap();
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    receiving.store(false, Ordering::Relaxed);
    let mut lat = samples.lock().unwrap().clone();
    lat.sort();

    // Throughput: many senders at once, with one send in twenty retried under the same id.
    let acked: Arc<Mutex<HashSet<String>>> = Arc::default();
    let attempts = Arc::new(AtomicU64::new(0));
    let blast_errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(o.blast_secs);
    let blast_start = Instant::now();
    let mut senders = Vec::new();
    for s in 0..o.senders {
        let (id, _, manager) = chats[s % chats.len()].clone();
        let (api, acked, attempts, errors) = (
            api.clone(),
            acked.clone(),
            attempts.clone(),
            blast_errors.clone(),
        );
        senders.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < deadline {
                let key = format!("blast-{s}-{n}");
                let form = [
                    ("conversation_id", id.to_string()),
                    ("client_msg_id", key.clone()),
                    ("body", format!("throughput {s}/{n}")),
                ];
                let tries = if n.is_multiple_of(20) { 2 } else { 1 };
                for _ in 0..tries {
                    attempts.fetch_add(1, Ordering::Relaxed);
                    match api.call(&manager, "chats/send", &form).await {
                        Ok(_) => {
                            acked.lock().unwrap().insert(key.clone());
                        }
                        Err(_) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                n += 1;
            }
        }));
    }
    for s in senders {
        let _ = s.await;
    }
    let blast_elapsed = blast_start.elapsed().as_secs_f64();
    let acked = acked.lock().unwrap().clone();
    let throughput = acked.len() as f64 / blast_elapsed;

    // Crash the server and look at what it committed.
    stop.store(true, Ordering::Relaxed);
    server.kill().unwrap();
    server.wait().unwrap();
    let check = dealchat::server::platform::db::connect(&DatabaseSettings {
        url: url.clone(),
        max_connections: 1,
        sqlite_cache_kib: 2048,
        sqlite_row_buffer: 1024,
        acquire_timeout_secs: 10,
    })
    .await
    .unwrap();
    #[derive(FromQueryResult)]
    struct Count {
        client_msg_id: String,
        n: i64,
    }
    let rows = Count::find_by_statement(Statement::from_string(
        check.get_database_backend(),
        "SELECT client_msg_id, COUNT(*) AS n FROM messages WHERE client_msg_id LIKE 'blast-%' GROUP BY client_msg_id",
    ))
    .all(&check)
    .await
    .unwrap();
    let stored: HashMap<String, i64> = rows.into_iter().map(|r| (r.client_msg_id, r.n)).collect();
    let lost = acked.iter().filter(|k| !stored.contains_key(*k)).count();
    let duplicated = stored.values().filter(|n| **n > 1).count();
    #[derive(FromQueryResult)]
    struct Gap {
        gaps: i64,
    }
    let gaps = Gap::find_by_statement(Statement::from_string(
        check.get_database_backend(),
        "SELECT COUNT(*) AS gaps FROM (SELECT conversation_id FROM messages GROUP BY conversation_id \
         HAVING MAX(seq) <> COUNT(*) OR MIN(seq) <> 1) g",
    ))
    .one(&check)
    .await
    .unwrap()
    .map(|g| g.gaps)
    .unwrap_or(-1);
    check.close().await.unwrap();
    db.remove().await;
    let _ = std::fs::remove_dir_all(&dir);

    Some(Figures {
        rss_before,
        rss_idle,
        per_poller_kib,
        idle_errors,
        samples: lat.len(),
        expected: total,
        offered,
        send_failures: send_failures.load(Ordering::Relaxed),
        p50: ms(percentile(&lat, 0.50)),
        p99: ms(percentile(&lat, 0.99)),
        max: ms(lat.last().copied().unwrap_or_default()),
        acked: acked.len(),
        blast_secs: blast_elapsed,
        attempts: attempts.load(Ordering::Relaxed),
        blast_errors: blast_errors.load(Ordering::Relaxed),
        throughput,
        lost,
        duplicated,
        gaps,
        load_before,
        load_after,
        server_cpu,
        bench_cpu,
    })
}

/// Targets (issue "the hot path holds under load").
const MAX_KIB_PER_POLLER: f64 = 16.0;
const MAX_P50_MS: f64 = 5.0;
const MAX_P99_MS: f64 = 25.0;
const MIN_MSG_PER_SEC: f64 = 5000.0;

fn verdict(ok: bool) -> &'static str {
    if ok { "PASS" } else { "FAIL" }
}

impl Figures {
    fn print(&self, o: &Options) {
        println!(
            "host load {:.2} before, {:.2} after the latency phase; in that phase the server used \
             {:.0} % of a core and this program {:.0} %",
            self.load_before,
            self.load_after,
            self.server_cpu * 100.0,
            self.bench_cpu * 100.0
        );
        println!(
            "memory: RSS {} KiB with 0 pollers, {} KiB with {} idle pollers ({} poll errors) → {:.1} KiB per poller",
            self.rss_before, self.rss_idle, o.idle, self.idle_errors, self.per_poller_kib
        );
        println!(
            "latency: {} of {} samples at {:.0} msg/s offered ({} send failures): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            self.samples,
            self.expected,
            self.offered,
            self.send_failures,
            self.p50,
            self.p99,
            self.max
        );
        println!(
            "throughput: {} messages acknowledged in {:.1} s by {} senders = {:.0} msg/s ({} requests incl. retries, {} errors)",
            self.acked,
            self.blast_secs,
            o.senders,
            self.throughput,
            self.attempts,
            self.blast_errors
        );
        println!(
            "after SIGKILL: {} acknowledged messages lost, {} duplicated, {} chats with sequence gaps",
            self.lost, self.duplicated, self.gaps
        );
    }
}

/// The median and the range of one figure over the runs.
fn spread(runs: &[Figures], f: impl Fn(&Figures) -> f64) -> (f64, f64, f64) {
    let mut v: Vec<f64> = runs.iter().map(f).collect();
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

fn summary(o: &Options, runs: &[Figures]) {
    let db = if o.postgres && o.analyze {
        "PostgreSQL, tables analysed"
    } else if o.postgres {
        "PostgreSQL, tables never analysed"
    } else {
        "SQLite, WAL, synchronous=FULL"
    };
    println!();
    println!(
        "== {db}; {} runs; {} idle pollers, {} msg/s; server {}{} ==",
        runs.len(),
        o.idle,
        o.rate,
        o.server.display(),
        if o.pin {
            "; server pinned to CPU 0, benchmark to CPU 1"
        } else {
            ""
        }
    );
    let show = |name: &str, unit: &str, (median, lo, hi): (f64, f64, f64)| {
        println!("{name}: median {median:.2} {unit} (runs {lo:.2}–{hi:.2})")
    };
    let kib = spread(runs, |f| f.per_poller_kib);
    let p50 = spread(runs, |f| f.p50);
    let p99 = spread(runs, |f| f.p99);
    let tput = spread(runs, |f| f.throughput);
    show("host load before", "", spread(runs, |f| f.load_before));
    show(
        "server CPU in the latency phase",
        "cores",
        spread(runs, |f| f.server_cpu),
    );
    show("memory per idle poller", "KiB", kib);
    println!(
        "  [{}: ≤ {MAX_KIB_PER_POLLER} KiB]",
        verdict(kib.0 <= MAX_KIB_PER_POLLER)
    );
    show("latency p50", "ms", p50);
    show("latency p99", "ms", p99);
    let all_samples = runs.iter().all(|f| f.samples as u64 == f.expected);
    println!(
        "  [{}: p50 ≤ {MAX_P50_MS} ms and p99 ≤ {MAX_P99_MS} ms in the median, every probe received]",
        verdict(p50.0 <= MAX_P50_MS && p99.0 <= MAX_P99_MS && all_samples)
    );
    show("throughput", "msg/s", tput);
    println!(
        "  [{}: ≥ {MIN_MSG_PER_SEC} msg/s]",
        verdict(tput.0 >= MIN_MSG_PER_SEC)
    );
    let clean = runs
        .iter()
        .all(|f| f.lost == 0 && f.duplicated == 0 && f.gaps == 0);
    println!(
        "after SIGKILL, all runs: lost {}, duplicated {}, chats with gaps {}  [{}: all zero]",
        runs.iter().map(|f| f.lost).sum::<usize>(),
        runs.iter().map(|f| f.duplicated).sum::<usize>(),
        runs.iter().map(|f| f.gaps).sum::<i64>(),
        verdict(clean)
    );
}
