//! Chat load benchmark: runs the release server as a separate process on SQLite and measures
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
//! with the first N migrations only, to run an older build on it).
//!
//! `--ssr-page N` measures instead how fast the server renders a chat page: one chat with 200
//! messages, its page (`GET /chats/:id`, rendered whole on the server) loaded N times in a row
//! by its client; p50, p99 and max, then exits.

#![allow(clippy::unwrap_used)]

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
        acquire_timeout_secs: 10,
    })
    .await
    .unwrap();
    Migrator::up(&db, migrations).await.unwrap();
    db.execute_unprepared("PRAGMA synchronous = OFF")
        .await
        .unwrap();
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
    let mut command = Command::new(&o.server);
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
        // Every simulated user connects from 127.0.0.1.
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
    let dir = std::env::temp_dir().join(format!("dealchat-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/bench.db?mode=rwc", dir.display());
    let managers = (o.chats / 10).max(1);
    println!(
        "preparing {} clients and {managers} managers…",
        o.idle + o.chats
    );
    let (clients, manager_sessions) = prepare(&url, o.migrations, o.idle + o.chats, managers).await;
    let (active_clients, idle_clients) = clients.split_at(o.chats);

    let port = support::free_port();
    let mut server = start_server(&o, &url, &dir, port);
    let pid = server.id();
    let api = Api {
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(usize::MAX)
            .tcp_nodelay(true)
            .timeout(Duration::from_secs(90))
            .build()
            .unwrap(),
        base: format!("http://127.0.0.1:{port}"),
    };
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
        let _ = std::fs::remove_dir_all(&dir);
        return;
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
    let offered = total as f64 / started.elapsed().as_secs_f64();
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
    let db = dealchat::server::platform::db::connect(&DatabaseSettings {
        url: url.clone(),
        max_connections: 1,
        sqlite_cache_kib: 2048,
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
        db.get_database_backend(),
        "SELECT client_msg_id, COUNT(*) AS n FROM messages WHERE client_msg_id LIKE 'blast-%' GROUP BY client_msg_id",
    ))
    .all(&db)
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
        db.get_database_backend(),
        "SELECT COUNT(*) AS gaps FROM (SELECT conversation_id FROM messages GROUP BY conversation_id \
         HAVING MAX(seq) <> COUNT(*) OR MIN(seq) <> 1) g",
    ))
    .one(&db)
    .await
    .unwrap()
    .map(|g| g.gaps)
    .unwrap_or(-1);
    db.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);

    let p50 = percentile(&lat, 0.50);
    let p99 = percentile(&lat, 0.99);
    let verdict = |ok: bool| if ok { "PASS" } else { "FAIL" };
    println!();
    println!(
        "SQLite, WAL, synchronous=FULL; server: {}",
        o.server.display()
    );
    println!(
        "memory: RSS {rss_before} KiB with 0 pollers, {rss_idle} KiB with {} idle pollers → {per_poller_kib:.1} KiB per poller  [{}: ≤ 24 KiB]",
        o.idle,
        verdict(per_poller_kib <= 24.0)
    );
    println!(
        "latency: {} samples at {offered:.0} msg/s offered ({} send failures), {} idle pollers: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms  [{}: p50 ≤ 5 ms, p99 ≤ 25 ms]",
        lat.len(),
        send_failures.load(Ordering::Relaxed),
        o.idle,
        ms(p50),
        ms(p99),
        ms(lat.last().copied().unwrap_or_default()),
        verdict(ms(p50) <= 5.0 && ms(p99) <= 25.0 && lat.len() as u64 == total)
    );
    println!(
        "throughput: {} messages acknowledged in {blast_elapsed:.1} s by {} senders = {throughput:.0} msg/s ({} requests incl. retries, {} errors)  [{}: ≥ 2000 msg/s]",
        acked.len(),
        o.senders,
        attempts.load(Ordering::Relaxed),
        blast_errors.load(Ordering::Relaxed),
        verdict(throughput >= 2000.0)
    );
    println!(
        "after SIGKILL: {lost} acknowledged messages lost, {duplicated} duplicated, {gaps} chats with sequence gaps  [{}: all zero]",
        verdict(lost == 0 && duplicated == 0 && gaps == 0)
    );
}
