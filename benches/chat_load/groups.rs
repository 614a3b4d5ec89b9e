//! The group phase (`--groups N`): internal group chats' fan-out. Two parts, each on employees
//! who all have their group open and a streamed poll waiting on it, as the browser keeps one
//! (`--long-poll`: one long-poll per answer instead):
//!
//! 1. one group of N members (500); one member sends `--group-rate` messages a second (4) for
//!    `--group-secs` S (10); every member's poll times each message from the moment its send left;
//! 2. 20 groups of 100 members, 50 messages a second in all (one sender per group, in turn).
//!
//! With `--perf FILE`, the server and this program (the members' clients) are profiled during
//! the first part's sends.
//!
//! Reported for each: deliveries (message × member) received of those expected, and the send →
//! receive time p50 / p99 / max. The targets (issue: internal chats): p50 ≤ 10 ms and p99 ≤ 50 ms
//! for the 500-member group; the same p99 for the 20 groups.

use super::{
    Api, Options, Session, cpu_secs, database, ms, percentile, prepare, record_profile,
    start_server, support,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

pub struct GroupFigures {
    parts: Vec<Part>,
}

struct Part {
    name: String,
    expected: usize,
    times: Vec<Duration>,
    /// Each message's first and last delivery: where its fan-out's time goes (the first is the
    /// send, its commit and one answer; the spread after it is the answers to all the others).
    first: Vec<Duration>,
    last: Vec<Duration>,
    /// Each send's own answer (its commit): the part of the first delivery before any fan-out.
    answered: Vec<Duration>,
    /// CPU time over the sends, per message: the server's and this program's (the members'
    /// clients share the machine's cores with the server).
    cpu_per_message: (Duration, Duration),
    /// On PostgreSQL, its processes' CPU time over the sends, per message (on SQLite the
    /// database runs inside the server).
    database_cpu_per_message: Option<Duration>,
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
            println!(
                "    each message's send answered p50 {:.2} ms, its first delivery p50 {:.2} ms, its last p50 {:.2} ms",
                ms(percentile(&p.answered, 0.50)),
                ms(percentile(&p.first, 0.50)),
                ms(percentile(&p.last, 0.50)),
            );
            let database = p
                .database_cpu_per_message
                .map(|d| format!(", PostgreSQL {:.1} ms", ms(d)))
                .unwrap_or_default();
            println!(
                "    CPU per message: server {:.1} ms, the members' clients {:.1} ms{database}",
                ms(p.cpu_per_message.0),
                ms(p.cpu_per_message.1),
            );
        }
    }
}

/// When each message's send left, by its client message id.
type Sent = Arc<Mutex<HashMap<String, Instant>>>;

/// Each delivery's send → receive time, by the message's client id.
type Times = Arc<Mutex<HashMap<String, Vec<Duration>>>>;

/// What a member's client reads of a poll answer: the cursor and the new messages' ids. Read into
/// these fields alone (serde skips the rest), the members' 500 clients, which share the server's
/// cores, spend less of them building JSON trees nobody reads.
#[derive(serde::Deserialize)]
struct Answer {
    cursor: Cursor,
    #[serde(default)]
    messages: Vec<Delivered>,
}

#[derive(serde::Deserialize)]
struct Cursor {
    tick: i64,
    after_seq: i64,
}

#[derive(serde::Deserialize)]
struct Delivered {
    client_msg_id: Option<String>,
}

/// A member's own connection to the server: HTTP/1.1 kept alive, each poll written and its
/// answer read by hand. The members' 500 clients share the machine's two cores with the server,
/// so what they spend per poll is taken from the server being measured. Through reqwest a poll
/// cost them about 40 µs of CPU (a pool checkout, a connection task woken beside the request's
/// task, headers built as maps); here it is one write and one or two reads. The requests are the
/// browser's: the same path, form, cookie and headers.
struct Line {
    stream: BufReader<TcpStream>,
    cookie: String,
    request: String,
    head: Vec<u8>,
    body: Vec<u8>,
}

impl Line {
    async fn open(port: u16, who: &Session) -> std::io::Result<Line> {
        let stream = TcpStream::connect(("127.0.0.1", port)).await?;
        stream.set_nodelay(true)?;
        Ok(Line {
            stream: BufReader::with_capacity(16 * 1024, stream),
            cookie: who.cookie.clone(),
            request: String::with_capacity(512),
            head: Vec::with_capacity(256),
            body: Vec::with_capacity(4096),
        })
    }

    /// Writes the browser's poll request to `path` (answered as `accept`) with `group` open.
    async fn ask(
        &mut self,
        (path, accept): (&str, &str),
        tick: i64,
        group: i64,
        after: i64,
    ) -> Result<(), String> {
        use std::fmt::Write as _;
        let form = format!("tick={tick}&after_seq={after}&conversation_id={group}");
        self.request.clear();
        let _ = write!(
            self.request,
            "POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\naccept: {accept}\r\n\
             cookie: {}\r\ncontent-type: application/x-www-form-urlencoded\r\n\
             content-length: {}\r\n\r\n{form}",
            self.cookie,
            form.len()
        );
        self.stream
            .get_mut()
            .write_all(self.request.as_bytes())
            .await
            .map_err(|e| e.to_string())
    }

    /// Reads an answer's head: its status, its `content-length` and whether it is chunked.
    async fn head(&mut self) -> Result<(Option<u16>, Option<usize>, bool), String> {
        let (mut status, mut length, mut chunked) = (None, None, false);
        loop {
            self.head.clear();
            if self
                .stream
                .read_until(b'\n', &mut self.head)
                .await
                .map_err(|e| e.to_string())?
                == 0
            {
                return Err("the server closed the connection".into());
            }
            let line = std::str::from_utf8(&self.head)
                .map_err(|e| e.to_string())?
                .trim_end();
            if line.is_empty() {
                return Ok((status, length, chunked));
            }
            if status.is_none() {
                status = line.split(' ').nth(1).and_then(|s| s.parse::<u16>().ok());
            } else if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse::<usize>().ok();
                } else if name.eq_ignore_ascii_case("transfer-encoding") {
                    chunked = value.trim().eq_ignore_ascii_case("chunked");
                }
            }
        }
    }

    /// One poll with `group` open; its answer's body (JSON) on 200, else the status and body.
    async fn poll(&mut self, tick: i64, group: i64, after: i64) -> Result<&[u8], String> {
        self.ask(("/api/chats/poll", "application/json"), tick, group, after)
            .await?;
        let (status, length, _) = self.head().await?;
        let length = length.ok_or("an answer without content-length")?;
        self.body.resize(length, 0);
        self.stream
            .read_exact(&mut self.body)
            .await
            .map_err(|e| e.to_string())?;
        match status {
            Some(200) => Ok(&self.body),
            other => Err(format!(
                "{other:?}: {}",
                String::from_utf8_lossy(&self.body)
            )),
        }
    }

    /// Starts a streamed poll with `group` open: the browser's way since answers stream.
    async fn stream(&mut self, tick: i64, group: i64, after: i64) -> Result<(), String> {
        self.ask(
            ("/api/chats/stream", "application/x-ndjson"),
            tick,
            group,
            after,
        )
        .await?;
        match self.head().await? {
            (Some(200), _, true) => {
                self.body.clear();
                Ok(())
            }
            (status, _, chunked) => Err(format!("{status:?}, chunked {chunked}")),
        }
    }

    /// The stream's next line (one answer, JSON), or None when the stream ended.
    async fn next_line(&mut self) -> Result<Option<Vec<u8>>, String> {
        let io = |e: std::io::Error| e.to_string();
        loop {
            if let Some(end) = self.body.iter().position(|b| *b == b'\n') {
                let rest = self.body.split_off(end + 1);
                let line = std::mem::replace(&mut self.body, rest);
                return Ok(Some(line));
            }
            // The next chunk: its size in hexadecimal, the data, CRLF; size 0 ends the stream.
            self.head.clear();
            if self
                .stream
                .read_until(b'\n', &mut self.head)
                .await
                .map_err(io)?
                == 0
            {
                return Err("the server closed the connection".into());
            }
            let size = std::str::from_utf8(&self.head).map_err(|e| e.to_string())?;
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|e| format!("a chunk size: {e}"))?;
            let at = self.body.len();
            self.body.resize(at + size, 0);
            self.stream
                .read_exact(&mut self.body[at..])
                .await
                .map_err(io)?;
            let mut crlf = [0u8; 2];
            self.stream.read_exact(&mut crlf).await.map_err(io)?;
            if size == 0 {
                return if self.body.is_empty() {
                    Ok(None)
                } else {
                    Err("a stream that ended inside a line".into())
                };
            }
        }
    }
}

/// One line of a streamed poll, as a member reads it.
#[derive(serde::Deserialize)]
enum StreamLine {
    Update(Answer),
    Error(serde_json::Value),
}

/// What a member does with one answer: times the messages it brings against their sends.
fn record(update: &Answer, now: Instant, sent: &Sent, times: &Times) {
    for m in &update.messages {
        let Some(id) = m.client_msg_id.as_deref() else {
            continue;
        };
        if let Some(at) = sent.lock().unwrap().get(id) {
            let mut times = times.lock().unwrap();
            times.entry(id.to_owned()).or_default().push(now - *at);
        }
    }
}

/// A member's client with the group open: each message it receives is timed against its send.
/// Streamed (the browser's way), or one long-poll per answer with `--long-poll`. A failure is
/// counted in `errors` and the member starts again on a new connection.
struct Member {
    port: u16,
    who: Session,
    group: i64,
    sent: Sent,
    times: Times,
    stop: Arc<AtomicBool>,
    errors: Arc<AtomicUsize>,
    repoll_delay: Duration,
    streamed: bool,
}

impl Member {
    fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let (mut tick, mut after) = (0i64, 0i64);
            let mut line = None;
            while !self.stop.load(Ordering::Relaxed) {
                if line.is_none() {
                    line = Line::open(self.port, &self.who).await.ok();
                }
                let Some(open) = line.as_mut() else {
                    self.failed().await;
                    continue;
                };
                let went = if self.streamed {
                    self.stream(open, &mut tick, &mut after).await
                } else {
                    self.poll(open, &mut tick, &mut after).await
                };
                if went.is_err() {
                    // The connection may be in any state now: start a new one.
                    line = None;
                    self.failed().await;
                }
            }
        })
    }

    async fn failed(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    async fn poll(&self, line: &mut Line, tick: &mut i64, after: &mut i64) -> Result<(), String> {
        let body = line.poll(*tick, self.group, *after).await?;
        let update = serde_json::from_slice::<Answer>(body).map_err(|e| e.to_string())?;
        let now = Instant::now();
        if !self.repoll_delay.is_zero() {
            tokio::time::sleep(self.repoll_delay).await;
        }
        (*tick, *after) = (update.cursor.tick, update.cursor.after_seq);
        record(&update, now, &self.sent, &self.times);
        Ok(())
    }

    /// One streamed poll, until the server ends it.
    async fn stream(&self, line: &mut Line, tick: &mut i64, after: &mut i64) -> Result<(), String> {
        line.stream(*tick, self.group, *after).await?;
        while let Some(text) = line.next_line().await? {
            let update = match serde_json::from_slice::<StreamLine>(&text) {
                Ok(StreamLine::Update(update)) => update,
                Ok(StreamLine::Error(e)) => return Err(e.to_string()),
                Err(e) => return Err(e.to_string()),
            };
            let now = Instant::now();
            (*tick, *after) = (update.cursor.tick, update.cursor.after_seq);
            record(&update, now, &self.sent, &self.times);
        }
        Ok(())
    }
}

/// A part's shape: `groups` groups of `size` members each, `rate` messages a second in all for
/// `secs` seconds.
struct Shape {
    groups: usize,
    size: usize,
    rate: u64,
    secs: u64,
    /// `--repoll-delay`.
    repoll_delay: Duration,
    /// Members stream (the browser's way) rather than long-poll once per answer.
    streamed: bool,
    /// The database is PostgreSQL: its CPU time is measured too.
    postgres: bool,
}

/// One part: groups of `people`, sent to by each group's first member in turn.
async fn part(
    api: &Api,
    port: u16,
    server: u32,
    perf: Option<&std::path::Path>,
    name: String,
    people: &[(Session, i64)],
    shape: Shape,
) -> Part {
    let Shape {
        groups,
        size,
        rate,
        secs,
        repoll_delay,
        streamed,
        postgres,
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
    let times: Times = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let member_errors = Arc::new(AtomicUsize::new(0));
    let mut pollers = Vec::new();
    for (g, group) in ids.iter().enumerate() {
        for (who, _) in &people[g * size..(g + 1) * size] {
            pollers.push(
                Member {
                    port,
                    who: who.clone(),
                    group: *group,
                    sent: sent.clone(),
                    times: times.clone(),
                    stop: stop.clone(),
                    errors: member_errors.clone(),
                    repoll_delay,
                    streamed,
                }
                .spawn(),
            );
        }
    }
    // Every poll has read the group's history and waits.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let total = (rate * secs) as usize;
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    // `--perf FILE`: the profile of the server and of this program (the members' clients) over
    // the sends of this part only.
    let profiler =
        perf.map(|file| record_profile(file, &format!("{server},{}", std::process::id()), secs));
    let cpu = || (cpu_secs(&server.to_string()), cpu_secs("self"));
    let database_before = postgres.then(postgres_cpu_secs);
    let cpu_before = cpu();
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
            let left = Instant::now();
            sent.lock().unwrap().insert(id.clone(), left);
            let form = [
                ("conversation_id", group.to_string()),
                ("client_msg_id", id),
                ("body", format!("group message {k}")),
            ];
            let answered = api.call(&sender, "chats/send", &form).await;
            answered.ok().map(|_| left.elapsed())
        }));
    }
    let mut errors = 0;
    let mut answered = Vec::with_capacity(total);
    for s in sends {
        match s.await.unwrap() {
            Some(took) => answered.push(took),
            None => errors += 1,
        }
    }
    answered.sort();
    // The last message's fan-out ends within a few tens of milliseconds.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cpu_after = cpu();
    let database_after = postgres.then(postgres_cpu_secs);
    let per_message =
        |before: f64, after: f64| Duration::from_secs_f64((after - before) / total as f64);
    let database_cpu_per_message = database_before.zip(database_after).map(|(before, after)| {
        let used: f64 = after
            .iter()
            .map(|(pid, secs)| secs - before.get(pid).copied().unwrap_or(0.0))
            .sum();
        per_message(0.0, used)
    });
    let cpu_per_message = (
        per_message(cpu_before.0, cpu_after.0),
        per_message(cpu_before.1, cpu_after.1),
    );
    if let Some(mut profiler) = profiler {
        profiler.wait().unwrap();
    }
    // Late deliveries still count; then the polls stop (each answers within its timeout).
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    let by_message = std::mem::take(&mut *times.lock().unwrap());
    let (mut first, mut last): (Vec<Duration>, Vec<Duration>) = by_message
        .values()
        .map(|t| {
            let min = t.iter().min().copied().unwrap_or_default();
            (min, t.iter().max().copied().unwrap_or_default())
        })
        .unzip();
    first.sort();
    last.sort();
    let mut times: Vec<Duration> = by_message.into_values().flatten().collect();
    times.sort();
    for p in pollers {
        p.abort();
    }
    let errors = errors + member_errors.load(Ordering::Relaxed);
    Part {
        name,
        expected: total * size,
        times,
        first,
        last,
        answered,
        cpu_per_message,
        database_cpu_per_message,
        errors,
    }
}

/// CPU time so far of every PostgreSQL process on this machine (the cluster's server, its
/// helpers and its backends), by pid: the benchmark's database shares the cores too.
fn postgres_cpu_secs() -> HashMap<String, f64> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return HashMap::new();
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|pid| pid.bytes().all(|b| b.is_ascii_digit()))
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "postgres")
        })
        .map(|pid| {
            let secs = cpu_secs(&pid);
            (pid, secs)
        })
        .collect()
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
        port,
        server.id(),
        o.perf.as_deref(),
        format!("1 group of {} members, {} msg/s", o.groups, o.group_rate),
        &with_ids,
        Shape {
            groups: 1,
            size: o.groups,
            rate: o.group_rate,
            secs: o.group_secs,
            repoll_delay: o.repoll_delay,
            streamed: !o.long_poll,
            postgres: o.postgres,
        },
    )
    .await;
    let small = part(
        &api,
        port,
        server.id(),
        None,
        format!("{SMALL_GROUPS} groups of {SMALL_SIZE} members, 50 msg/s in all"),
        &with_ids,
        Shape {
            groups: SMALL_GROUPS,
            size: SMALL_SIZE,
            rate: 50,
            secs: o.group_secs,
            repoll_delay: o.repoll_delay,
            streamed: !o.long_poll,
            postgres: o.postgres,
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
