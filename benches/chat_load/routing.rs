//! The routing phase (`--routing RATE`): `--operators N` (50) employees with capacity 5 on a
//! least-busy default queue, each with their console's long-poll open; clients start `RATE` new
//! chats a second for `--routing-secs S` (10). An operator ends each chat assigned to them
//! `--handle-ms H` (1000) after their poll shows it (the queue drains when fewer places free up
//! than chats arrive). Reported: the time from a client's start request (its first message) to
//! the chat's assignment (the session's `assigned_at`, same clock), p50 / p99 / max, split into
//! chats assigned at once and chats that waited; the most chats any operator held at any moment
//! (sampled from the database every 20 ms during the phase, and by the operators' counters);
//! whether waiting chats were assigned oldest first.

use super::{Api, Options, Session, database, ms, percentile, prepare, start_server, support};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Statement};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CAPACITY: i64 = 5;

pub struct RoutingFigures {
    chats: usize,
    assigned: usize,
    at_once: Vec<Duration>,
    waited: Vec<Duration>,
    max_held: i64,
    max_counter: i64,
    out_of_order: usize,
    errors: u64,
}

impl RoutingFigures {
    pub fn print(&self, o: &Options) {
        let show = |name: &str, v: &[Duration]| {
            println!(
                "  {name}: {} chats, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
                v.len(),
                ms(percentile(v, 0.50)),
                ms(percentile(v, 0.99)),
                ms(v.last().copied().unwrap_or_default())
            );
        };
        println!(
            "routing: {} chats at {} /s for {} s, {} operators of capacity {CAPACITY}, handle time {} ms",
            self.chats, o.routing, o.routing_secs, o.operators, o.handle_ms
        );
        println!(
            "  assigned {} of {} (start errors {})",
            self.assigned, self.chats, self.errors
        );
        show(
            "first message → assignment, assigned at once",
            &self.at_once,
        );
        show("first message → assignment, after waiting", &self.waited);
        let mut all: Vec<Duration> = self.at_once.iter().chain(&self.waited).copied().collect();
        all.sort();
        show("first message → assignment, all", &all);
        println!(
            "  most chats one operator held: {} by the chats, {} by the counters (capacity {CAPACITY}): {}",
            self.max_held,
            self.max_counter,
            if self.max_held <= CAPACITY && self.max_counter <= CAPACITY {
                "never over"
            } else {
                "OVER CAPACITY"
            }
        );
        println!(
            "  waiting chats assigned out of arrival order: {}",
            self.out_of_order
        );
    }
}

#[derive(FromQueryResult)]
struct Held {
    held: Option<i64>,
}

#[derive(FromQueryResult)]
struct Assignment {
    subject: String,
    opened_at: DateTime<Utc>,
    assigned_at: Option<DateTime<Utc>>,
}

/// One operator's console: polls (which keeps them present and tells them what they got) and
/// ends every chat assigned to them after the handle time.
fn operator(api: Api, who: Session, me: i64, handle: Duration, stop: Arc<AtomicBool>) {
    tokio::spawn(async move {
        let mut tick = 0;
        let mut taken: HashSet<i64> = HashSet::new();
        while !stop.load(Ordering::Relaxed) {
            let Ok(u) = api.poll(&who, tick, None, 0).await else {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            };
            tick = u["cursor"]["tick"].as_i64().unwrap_or(tick);
            for chat in u["chats"].as_array().into_iter().flatten() {
                let id = chat["id"].as_i64().unwrap_or(0);
                if chat["assignee_id"].as_i64() == Some(me) && taken.insert(id) {
                    let (api, who) = (api.clone(), who.clone());
                    tokio::spawn(async move {
                        tokio::time::sleep(handle).await;
                        let form = [("conversation_id", id.to_string()), ("note", String::new())];
                        let _ = api.call(&who, "chats/end", &form).await;
                    });
                }
            }
        }
    });
}

pub async fn run(o: &Options, n: usize) -> RoutingFigures {
    let dir = std::env::temp_dir().join(format!("dealchat-routing-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = database(o, &dir, n).await;
    let url = db.url.clone();
    let total = (o.routing * o.routing_secs) as usize;
    println!("preparing {total} clients and {} operators…", o.operators);
    let (clients, operators) = prepare(&url, o.migrations, total, o.operators).await;
    let conn = sea_orm::Database::connect(url.as_str()).await.unwrap();
    let backend = conn.get_database_backend();
    for sql in [
        "UPDATE queues SET routing = 'least_busy' WHERE is_default".to_owned(),
        format!(
            "INSERT INTO operators (user_id, status, capacity, open_sessions) \
             SELECT id, 'available', {CAPACITY}, 0 FROM users WHERE role = 'manager'"
        ),
    ] {
        conn.execute_unprepared(&sql).await.unwrap();
    }

    let port = support::free_port();
    let mut server = start_server(o, &url, &dir, port);
    let api = Api::new(port);
    support::wait_healthy(&api.http, &api.base).await;

    let stop = Arc::new(AtomicBool::new(false));
    for who in &operators {
        let me = api.call(who, "auth/me", &[]).await.unwrap()["id"]
            .as_i64()
            .unwrap();
        operator(
            api.clone(),
            who.clone(),
            me,
            Duration::from_millis(o.handle_ms),
            stop.clone(),
        );
    }
    // Every console has polled once: all operators are present.
    tokio::time::sleep(Duration::from_secs(1)).await;

    // The capacity watch: the most chats any operator holds, by the chats themselves and by the
    // operators' counters, every 20 ms.
    let (max_held, max_counter) = (Arc::new(AtomicI64::new(0)), Arc::new(AtomicI64::new(0)));
    let watching = Arc::new(AtomicBool::new(true));
    let watch = {
        let (conn, max_held, max_counter, watching) = (
            conn.clone(),
            max_held.clone(),
            max_counter.clone(),
            watching.clone(),
        );
        tokio::spawn(async move {
            let held = Statement::from_string(
                backend,
                "SELECT MAX(n) AS held FROM (SELECT COUNT(*) AS n FROM conversations \
                 WHERE assignee_id IS NOT NULL GROUP BY assignee_id) per_operator",
            );
            let counter =
                Statement::from_string(backend, "SELECT MAX(open_sessions) AS held FROM operators");
            while watching.load(Ordering::Relaxed) {
                for (statement, max) in [(&held, &max_held), (&counter, &max_counter)] {
                    if let Ok(Some(row)) =
                        Held::find_by_statement(statement.clone()).one(&conn).await
                    {
                        max.fetch_max(row.held.unwrap_or(0), Ordering::Relaxed);
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };

    // Arrivals: RATE starts a second, each timed from the moment its request leaves.
    let started: Arc<Mutex<HashMap<String, DateTime<Utc>>>> = Arc::default();
    // Chats whose start answered with their operator: assigned in the start's own write.
    let at_start: Arc<Mutex<HashSet<String>>> = Arc::default();
    let errors = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let interval = Duration::from_secs_f64(1.0 / o.routing as f64);
    let mut next = tokio::time::Instant::now();
    let mut requests = Vec::with_capacity(total);
    for (i, client) in clients.iter().enumerate() {
        tokio::time::sleep_until(next).await;
        next += interval;
        let (api, client, started, at_start, errors) = (
            api.clone(),
            client.clone(),
            started.clone(),
            at_start.clone(),
            errors.clone(),
        );
        requests.push(tokio::spawn(async move {
            let title = format!("Routing chat {i}");
            started.lock().unwrap().insert(title.clone(), Utc::now());
            let form = [
                ("topic", "question".to_owned()),
                ("title", title.clone()),
                ("body", "hello".to_owned()),
                ("client_msg_id", format!("routing-{i}")),
            ];
            match api.call(&client, "chats/start", &form).await {
                Ok(chat) if chat["assignee_id"].is_i64() => {
                    at_start.lock().unwrap().insert(title);
                }
                Ok(_) => {}
                Err(_) => {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for r in requests {
        r.await.unwrap();
    }
    // Let the queue drain (every chat ends after the handle time, freeing a place).
    let drain_wait = Duration::from_millis(
        o.handle_ms * (total as u64 / (o.operators as u64 * CAPACITY as u64) + 2),
    );
    tokio::time::sleep(drain_wait.min(Duration::from_secs(120))).await;
    watching.store(false, Ordering::Relaxed);
    watch.await.unwrap();
    stop.store(true, Ordering::Relaxed);

    let rows = Assignment::find_by_statement(Statement::from_string(
        backend,
        "SELECT c.subject, os.opened_at, os.assigned_at FROM operator_sessions os \
         JOIN conversations c ON c.id = os.conversation_id ORDER BY os.id",
    ))
    .all(&conn)
    .await
    .unwrap();
    let started = std::mem::take(&mut *started.lock().unwrap());
    let at_start = std::mem::take(&mut *at_start.lock().unwrap());
    let (mut at_once, mut waited) = (Vec::new(), Vec::new());
    let mut queued: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for row in &rows {
        let (Some(t0), Some(assigned)) = (started.get(&row.subject), row.assigned_at) else {
            continue;
        };
        let took = (assigned - *t0).to_std().unwrap_or_default();
        if at_start.contains(&row.subject) {
            at_once.push(took);
        } else {
            // It found nobody free and waited in the queue until a drain gave it an operator.
            waited.push(took);
            queued.push((row.opened_at, assigned));
        }
    }
    // Oldest first: ordered by assignment, the waiting chats' arrival times never go back.
    queued.sort_by_key(|(_, assigned)| *assigned);
    let out_of_order = queued.windows(2).filter(|w| w[1].0 < w[0].0).count();
    at_once.sort();
    waited.sort();
    let figures = RoutingFigures {
        chats: total,
        assigned: at_once.len() + waited.len(),
        at_once,
        waited,
        max_held: max_held.load(Ordering::Relaxed),
        max_counter: max_counter.load(Ordering::Relaxed),
        out_of_order,
        errors: errors.load(Ordering::Relaxed),
    };
    conn.close().await.unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    db.remove().await;
    let _ = std::fs::remove_dir_all(&dir);
    figures
}
