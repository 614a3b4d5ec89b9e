//! The group phase (`--groups N`): internal group chats' fan-out. Two parts, each on employees
//! who all long-poll with their group open:
//!
//! 1. one group of N members (500); one member sends `--group-rate` messages a second (4) for
//!    `--group-secs` S (10); every member's poll times each message from the moment its send left;
//! 2. 20 groups of 100 members, 50 messages a second in all (one sender per group, in turn).
//!
//! With `--perf FILE`, the server is profiled during the first part's sends.
//!
//! Reported for each: deliveries (message × member) received of those expected, and the send →
//! receive time p50 / p99 / max. The targets (issue: internal chats): p50 ≤ 10 ms and p99 ≤ 50 ms
//! for the 500-member group; the same p99 for the 20 groups.

use super::{Api, Options, Session, database, ms, percentile, prepare, start_server, support};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct GroupFigures {
    parts: Vec<Part>,
}

struct Part {
    name: String,
    expected: usize,
    times: Vec<Duration>,
    errors: usize,
}

impl GroupFigures {
    pub fn print(&self) {
        for p in &self.parts {
            println!(
                "  {}: {} of {} deliveries, send → receive p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (errors {})",
                p.name,
                p.times.len(),
                p.expected,
                ms(percentile(&p.times, 0.50)),
                ms(percentile(&p.times, 0.99)),
                ms(p.times.last().copied().unwrap_or_default()),
                p.errors
            );
        }
    }
}

/// When each message's send left, by its client message id.
type Sent = Arc<Mutex<HashMap<String, Instant>>>;

/// A member's poll loop with the group open: each message it receives is timed against its send.
fn member(
    api: Api,
    who: Session,
    group: i64,
    sent: Sent,
    times: Arc<Mutex<Vec<Duration>>>,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<usize> {
    tokio::spawn(async move {
        let (mut tick, mut after, mut errors) = (0i64, 0i64, 0usize);
        while !stop.load(Ordering::Relaxed) {
            let update = match api.poll(&who, tick, Some(group), after).await {
                Ok(u) => u,
                Err(_) => {
                    errors += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let now = Instant::now();
            tick = update["cursor"]["tick"].as_i64().unwrap_or(tick);
            after = update["cursor"]["after_seq"].as_i64().unwrap_or(after);
            for m in update["messages"].as_array().into_iter().flatten() {
                let Some(id) = m["client_msg_id"].as_str() else {
                    continue;
                };
                if let Some(at) = sent.lock().unwrap().get(id) {
                    times.lock().unwrap().push(now - *at);
                }
            }
        }
        errors
    })
}

/// A part's shape: `groups` groups of `size` members each, `rate` messages a second in all for
/// `secs` seconds.
struct Shape {
    groups: usize,
    size: usize,
    rate: u64,
    secs: u64,
}

/// One part: groups of `people`, sent to by each group's first member in turn.
async fn part(
    api: &Api,
    perf: Option<(&std::path::Path, u32)>,
    name: String,
    people: &[(Session, i64)],
    shape: Shape,
) -> Part {
    let Shape {
        groups,
        size,
        rate,
        secs,
    } = shape;
    let mut ids = Vec::new();
    for g in 0..groups {
        let members = &people[g * size..(g + 1) * size];
        let others: Vec<String> = members[1..].iter().map(|(_, id)| id.to_string()).collect();
        let made = api
            .call(
                &members[0].0,
                "internal/group/create",
                &[
                    ("title", format!("Bench group {g}")),
                    ("user_ids", others.join(",")),
                ],
            )
            .await
            .unwrap();
        ids.push(made["id"].as_i64().unwrap());
    }
    let sent: Sent = Arc::default();
    let times: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut pollers = Vec::new();
    for (g, group) in ids.iter().enumerate() {
        for (who, _) in &people[g * size..(g + 1) * size] {
            pollers.push(member(
                api.clone(),
                who.clone(),
                *group,
                sent.clone(),
                times.clone(),
                stop.clone(),
            ));
        }
    }
    // Every poll has read the group's history and waits.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let total = (rate * secs) as usize;
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    // `--perf FILE`: the server's profile over the sends of this part only.
    let profiler = perf.map(|(file, pid)| {
        std::process::Command::new("perf")
            .args(["record", "-F", "999", "-g", "-p", &pid.to_string(), "-o"])
            .arg(file)
            .args(["--", "sleep", &secs.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run perf: {e}"))
    });
    let mut next = tokio::time::Instant::now();
    let mut sends = Vec::with_capacity(total);
    for k in 0..total {
        tokio::time::sleep_until(next).await;
        next += interval;
        let g = k % groups;
        let (api, sender, group, sent) = (
            api.clone(),
            people[g * size].0.clone(),
            ids[g],
            sent.clone(),
        );
        sends.push(tokio::spawn(async move {
            let id = format!("group-{group}-{k}");
            sent.lock().unwrap().insert(id.clone(), Instant::now());
            let form = [
                ("conversation_id", group.to_string()),
                ("client_msg_id", id),
                ("body", format!("group message {k}")),
            ];
            api.call(&sender, "chats/send", &form).await.is_err()
        }));
    }
    let mut errors = 0;
    for s in sends {
        errors += usize::from(s.await.unwrap());
    }
    if let Some(mut profiler) = profiler {
        profiler.wait().unwrap();
    }
    // Late deliveries still count; then the polls stop (each answers within its timeout).
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    let mut times = std::mem::take(&mut *times.lock().unwrap());
    times.sort();
    for p in pollers {
        p.abort();
    }
    Part {
        name,
        expected: total * size,
        times,
        errors,
    }
}

pub async fn run(o: &Options, n: usize) -> GroupFigures {
    let dir = std::env::temp_dir().join(format!("dealchat-groups-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = database(o, &dir, n).await;
    let url = db.url.clone();
    const SMALL_GROUPS: usize = 20;
    const SMALL_SIZE: usize = 100;
    let people = o.groups.max(SMALL_GROUPS * SMALL_SIZE);
    println!("preparing {people} employees…");
    let (_, staff) = prepare(&url, o.migrations, 0, people).await;
    let port = support::free_port();
    let mut server = start_server(o, &url, &dir, port);
    let api = Api::new(port);
    support::wait_healthy(&api.http, &api.base).await;
    let mut with_ids = Vec::with_capacity(staff.len());
    for who in staff {
        let me = api.call(&who, "auth/me", &[]).await.unwrap()["id"]
            .as_i64()
            .unwrap();
        with_ids.push((who, me));
    }
    let big = part(
        &api,
        o.perf.as_deref().map(|file| (file, server.id())),
        format!("1 group of {} members, {} msg/s", o.groups, o.group_rate),
        &with_ids,
        Shape {
            groups: 1,
            size: o.groups,
            rate: o.group_rate,
            secs: o.group_secs,
        },
    )
    .await;
    let small = part(
        &api,
        None,
        format!("{SMALL_GROUPS} groups of {SMALL_SIZE} members, 50 msg/s in all"),
        &with_ids,
        Shape {
            groups: SMALL_GROUPS,
            size: SMALL_SIZE,
            rate: 50,
            secs: o.group_secs,
        },
    )
    .await;
    server.kill().unwrap();
    server.wait().unwrap();
    db.remove().await;
    let _ = std::fs::remove_dir_all(&dir);
    GroupFigures {
        parts: vec![big, small],
    }
}
