//! PostgreSQL stopped (immediate mode: a crash, then recovery) and started again under two server
//! instances while managers send through one and clients long-poll the other, so the pollers hear
//! of the messages only through `NOTIFY`: they resume when the second instance's `LISTEN`
//! connection stands again. Held down briefly, requests wait for the pool; held down past the
//! pool's acquire timeout, sends and polls fail and are retried.

use crate::client::open_chats;
use crate::server::{Db, Server, counts, required_env};
use crate::{Options, Report};
use dealchat::ui::chat::backoff::retry_delay_ms;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What one client's poll loop received.
#[derive(Default)]
struct Received {
    /// Our messages (by client message id), when they arrived.
    ours: Mutex<Vec<(String, Instant)>>,
    /// Message ids delivered more than once.
    twice: AtomicU64,
    /// Answers whose first message did not follow the cursor's sequence number.
    out_of_order: AtomicU64,
    errors: AtomicU64,
}

/// How the failed requests were answered (status line, or the transport error), and how often.
type Failures = Arc<Mutex<BTreeMap<String, u64>>>;

fn count_failure(failures: &Failures, error: &str) {
    let status = error.split(':').next().unwrap_or(error).to_owned();
    *failures.lock().unwrap().entry(status).or_default() += 1;
}

/// A send that was answered: its id, when, and how long after its first attempt.
struct Acked {
    id: String,
    at: Instant,
    waited: Duration,
    attempts: u32,
}

fn seconds(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// PostgreSQL's control command for the test cluster, e.g. `pg_ctlcluster 15 main`.
fn pg_ctl(action: &str) -> std::io::Result<std::process::ExitStatus> {
    let ctl = required_env("DEALCHAT_TEST_PG_CTL");
    std::process::Command::new("sh")
        .args(["-c", &format!("{ctl} {action}")])
        .status()
}

pub async fn run(o: Options, down_for: Duration) -> Report {
    let mut report = Report::default();
    let mut server = Server::new(Db::Postgres, &[]).await;
    server.start().await;
    let mut second = Server::beside(&server, &[]);
    second.start().await;
    let chats = open_chats(&server.base(), (o.senders / 2).max(3)).await;
    let db = server.connect().await;
    let started_at = postmaster_start(&db).await;
    db.close().await.ok();

    // Each client polls its chat the way the browser does, backing off after failures.
    let failures: Failures = Arc::default();
    let polling = Arc::new(AtomicBool::new(true));
    let mut received = Vec::new();
    let mut pollers = Vec::new();
    for chat in &chats {
        let got = Arc::new(Received::default());
        received.push(got.clone());
        let (client, id, polling, failed) = (
            chat.client.at(&second.base()),
            chat.id,
            polling.clone(),
            failures.clone(),
        );
        pollers.push(tokio::spawn(async move {
            let (mut tick, mut after) = (0, 0);
            let mut seen = HashSet::new();
            let mut failures = 0;
            while polling.load(Ordering::Relaxed) {
                match client.poll(tick, id, after).await {
                    Ok(update) => {
                        failures = 0;
                        let now = Instant::now();
                        if update.messages.first().is_some_and(|m| m.seq != after + 1) {
                            got.out_of_order.fetch_add(1, Ordering::Relaxed);
                        }
                        for m in &update.messages {
                            if !seen.insert(m.id) {
                                got.twice.fetch_add(1, Ordering::Relaxed);
                            }
                            if let Some(k) =
                                m.client_msg_id.as_ref().filter(|k| k.starts_with("pg-"))
                            {
                                got.ours.lock().unwrap().push((k.clone(), now));
                            }
                        }
                        tick = update.cursor.tick;
                        after = update.cursor.after_seq;
                    }
                    Err(e) => {
                        count_failure(&failed, &e);
                        got.errors.fetch_add(1, Ordering::Relaxed);
                        failures += 1;
                        tokio::time::sleep(Duration::from_millis(retry_delay_ms(failures).into()))
                            .await;
                    }
                }
            }
        }));
    }

    // Each manager sends into its chats at a steady rate; a send that fails is sent again under
    // the same id every 250 ms until it is answered (the browser's Retry).
    let sending = Arc::new(AtomicBool::new(true));
    let acked: Arc<Mutex<Vec<Acked>>> = Arc::default();
    let failed_attempts = Arc::new(AtomicU64::new(0));
    let interval = Duration::from_secs_f64(chats.len() as f64 / o.rate as f64);
    let mut senders = Vec::new();
    for (c, chat) in chats.iter().enumerate() {
        let (manager, id) = (chat.manager.clone(), chat.id);
        let (sending, acked, failed, statuses) = (
            sending.clone(),
            acked.clone(),
            failed_attempts.clone(),
            failures.clone(),
        );
        senders.push(tokio::spawn(async move {
            let mut n = 0;
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            while sending.load(Ordering::Relaxed) {
                ticker.tick().await;
                let key = format!("pg-{c}-{n}");
                let first = Instant::now();
                let give_up = first + Duration::from_secs(60);
                let mut attempts = 1;
                loop {
                    match manager.send(id, &key, &format!("steady {c}/{n}")).await {
                        Ok(_) => break,
                        Err(e) if Instant::now() < give_up => {
                            count_failure(&statuses, &e);
                            failed.fetch_add(1, Ordering::Relaxed);
                            attempts += 1;
                            tokio::time::sleep(Duration::from_millis(250)).await;
                        }
                        Err(e) => panic!("{key} not answered within a minute: {e}"),
                    }
                }
                acked.lock().unwrap().push(Acked {
                    id: key,
                    at: Instant::now(),
                    waited: first.elapsed(),
                    attempts,
                });
                n += 1;
            }
        }));
    }

    tokio::time::sleep(Duration::from_millis(o.burst_ms)).await;
    let down = Instant::now();
    let stopped = tokio::task::spawn_blocking(|| pg_ctl("stop --mode immediate"))
        .await
        .unwrap();
    tokio::time::sleep(down_for).await;
    let started = tokio::task::spawn_blocking(|| pg_ctl("start"))
        .await
        .unwrap();
    let up = Instant::now();
    for (what, status) in [("stopping", stopped), ("starting", started)] {
        report.check(
            status.as_ref().is_ok_and(|s| s.success()),
            format!("{what} PostgreSQL: {status:?}"),
        );
    }
    tokio::time::sleep(Duration::from_secs(6)).await;
    sending.store(false, Ordering::Relaxed);
    for s in senders {
        s.await.unwrap();
    }
    let acked = std::mem::take(&mut *acked.lock().unwrap());

    // Wait until every poller has every answered message of its chat (or give up after 20 s).
    let wanted: Vec<HashSet<String>> = (0..chats.len())
        .map(|c| {
            let prefix = format!("pg-{c}-");
            acked
                .iter()
                .filter(|a| a.id.starts_with(&prefix))
                .map(|a| a.id.clone())
                .collect()
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    let all_in = || {
        received.iter().zip(&wanted).all(|(got, want)| {
            let got: HashSet<String> = got
                .ours
                .lock()
                .unwrap()
                .iter()
                .map(|(k, _)| k.clone())
                .collect();
            want.is_subset(&got)
        })
    };
    while !all_in() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    polling.store(false, Ordering::Relaxed);
    for p in pollers {
        p.abort();
    }

    // Stored: every answered send once.
    let db = server.connect().await;
    let stored: HashMap<String, i64> = counts(
        &db,
        "SELECT client_msg_id AS k, COUNT(*) AS n FROM messages WHERE client_msg_id LIKE 'pg-%' \
         GROUP BY client_msg_id",
    )
    .await
    .into_iter()
    .collect();
    let restarted_at = postmaster_start(&db).await;
    db.close().await.ok();
    report.check(
        restarted_at != started_at,
        format!("PostgreSQL restarted (started {started_at}, then {restarted_at})"),
    );
    let lost = acked.iter().filter(|a| !stored.contains_key(&a.id)).count();
    let duplicated = stored.values().filter(|n| **n > 1).count();

    // Delivered: every poller got its chat's messages once; when did it hear again after the
    // database was back?
    let (mut missing, mut twice, mut out_of_order, mut errors) = (0, 0, 0, 0);
    let mut resumed = Vec::new();
    for (got, want) in received.iter().zip(&wanted) {
        let ours = got.ours.lock().unwrap();
        let keys: HashSet<&String> = ours.iter().map(|(k, _)| k).collect();
        missing += want.iter().filter(|k| !keys.contains(k)).count();
        twice += got.twice.load(Ordering::Relaxed);
        out_of_order += got.out_of_order.load(Ordering::Relaxed);
        errors += got.errors.load(Ordering::Relaxed);
        match ours.iter().map(|(_, at)| *at).find(|at| *at > up) {
            Some(at) => resumed.push(at - up),
            None => report.check(false, "a poller heard nothing after the restart"),
        }
    }
    resumed.sort();
    let worst = resumed.last().copied().unwrap_or_default();
    let median = resumed.get(resumed.len() / 2).copied().unwrap_or_default();
    let first_ack = acked
        .iter()
        .map(|a| a.at)
        .filter(|at| *at > up)
        .min()
        .map(|at| at - up);
    let retried = acked.iter().filter(|a| a.attempts > 1).count();
    let longest_wait = acked.iter().map(|a| a.waited).max().unwrap_or_default();

    report.figure(format!(
        "PostgreSQL stopped (immediate) under {} chats at {} msg/s, held down {}: down → accepting connections in {}",
        chats.len(),
        o.rate,
        seconds(down_for),
        seconds(up - down)
    ));
    report.figure(format!(
        "sends (instance 1): {} answered, the longest after {}; {} answered after retrying ({} failed attempts); first answer after the restart +{}",
        acked.len(),
        seconds(longest_wait),
        retried,
        failed_attempts.load(Ordering::Relaxed),
        first_ack.map(seconds).unwrap_or_else(|| "never".into())
    ));
    report.figure(format!(
        "pollers (instance 2): {} resumed after the restart in median {}, worst {} [target ≤ 5 s]; {} poll errors",
        resumed.len(),
        seconds(median),
        seconds(worst),
        errors
    ));
    report.figure(format!(
        "messages: {lost} lost, {duplicated} stored twice; delivered {missing} missing, {twice} twice, {out_of_order} out of order"
    ));
    let failures = failures.lock().unwrap().clone();
    report.figure(format!("failed requests were answered: {failures:?}"));
    // An unreachable database is a moment's unavailability, not an error of ours.
    report.check(
        failures.keys().all(|k| k.starts_with("503")),
        format!("failed requests answered other than 503: {failures:?}"),
    );
    report.check(lost == 0, format!("{lost} answered messages lost"));
    report.check(
        duplicated == 0,
        format!("{duplicated} messages stored twice"),
    );
    report.check(missing == 0, format!("{missing} messages never delivered"));
    report.check(twice == 0, format!("{twice} messages delivered twice"));
    report.check(
        out_of_order == 0,
        format!("{out_of_order} answers out of order"),
    );
    report.check(
        resumed.len() == chats.len() && worst <= Duration::from_secs(5),
        format!("pollers resumed in at worst {}", seconds(worst)),
    );
    for s in [&server, &second] {
        let panics = s.panics();
        report.check(
            panics.is_empty(),
            format!("the server panicked: {panics:?}"),
        );
    }
    report
}

/// When the PostgreSQL server started: changes exactly when it restarts.
async fn postmaster_start(db: &sea_orm::DatabaseConnection) -> String {
    counts(
        db,
        "SELECT CAST(pg_postmaster_start_time() AS TEXT) AS k, CAST(1 AS BIGINT) AS n",
    )
    .await
    .pop()
    .unwrap()
    .0
}
