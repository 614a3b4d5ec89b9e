//! Fault tests: the server runs as a separate process and is broken on purpose while it works.
//!
//! - `crash_sqlite`, `crash_postgres`: SIGKILL during a burst of sends, uploads cut mid-chunk and
//!   a payment webhook. After the restart every answered send is stored exactly once (and the
//!   unanswered ones, sent again under the same id, once too), the uploads resume from the offset
//!   the server reports and finish with the right SHA-256, and each payment is paid once. The
//!   PostgreSQL run keeps its files in the S3 test server, like a production deployment.
//! - `postgres_restart`, `postgres_outage`: PostgreSQL stopped in immediate mode (a crash and
//!   recovery) during a send burst through one instance with a long-poll per chat on a second
//!   instance, and started again at once, or after `--outage-secs` (12: past the pool's acquire
//!   timeout, so requests fail and are retried). The servers reconnect their pools and `LISTEN`,
//!   every poller gets messages again within 5 s of the database accepting connections, no
//!   acknowledged message is lost and none is delivered twice.
//!
//! `cargo test` runs it (the README's test command points it at the release build); with
//! `scripts/bench.sh --faults` it runs longer. Arguments: scenario names (run only those),
//! `--rounds N` kills per crash scenario (2), `--senders N` (12), `--burst-ms N` before the kill
//! or restart (1500), `--upload-mib N` per upload (24), `--rate N` messages/s during the
//! PostgreSQL restart (40), `--outage-secs N` (12). Environment: `DEALCHAT_SERVER_BIN` (default:
//! the debug build cargo made for this test), `DEALCHAT_TEST_PG_URL`, `DEALCHAT_TEST_PG_CTL` (the
//! command that stops and starts that PostgreSQL given `stop …`/`start`), `DEALCHAT_TEST_S3_*`;
//! `scripts/test.sh` sets them all.

// Test code states its expectations with unwrap; a panic is the failure report.
#![allow(clippy::unwrap_used)]

#[path = "../api/fake_stripe.rs"]
#[allow(dead_code)]
mod fake_stripe;

// Shared with the benchmark programs: a free port.
#[path = "../../benches/support/mod.rs"]
mod support;

#[path = "../support/content.rs"]
mod content;

mod client;
mod crash;
mod pg_restart;
mod server;

use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct Options {
    pub rounds: usize,
    pub senders: usize,
    pub burst_ms: u64,
    pub upload_mib: usize,
    pub rate: u64,
    pub outage_secs: u64,
    only: Vec<String>,
}

impl Options {
    fn parse() -> Options {
        let mut o = Options {
            rounds: 2,
            senders: 12,
            burst_ms: 1500,
            upload_mib: 24,
            rate: 40,
            outage_secs: 12,
            only: Vec::new(),
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = || -> u64 {
                args.next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| panic!("{arg} takes a number"))
            };
            match arg.as_str() {
                "--rounds" => o.rounds = value().max(1) as usize,
                "--senders" => o.senders = value().max(2) as usize,
                "--burst-ms" => o.burst_ms = value(),
                "--upload-mib" => o.upload_mib = value().max(1) as usize,
                "--rate" => o.rate = value().max(1),
                "--outage-secs" => o.outage_secs = value(),
                // What cargo and libtest pass to every test program; nothing to do here.
                "--nocapture" | "--quiet" | "-q" | "--exact" | "--bench" | "--show-output" => {}
                a if a.starts_with("--test-threads") || a.starts_with("--color") => {}
                a if a.starts_with('-') => panic!("unknown option {a}"),
                name => o.only.push(name.to_owned()),
            }
        }
        o
    }

    fn wants(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|f| name.contains(f.as_str()))
    }
}

/// What a scenario found: its figures and the checks that failed.
#[derive(Default)]
pub struct Report {
    pub figures: Vec<String>,
    pub failures: Vec<String>,
}

impl Report {
    pub fn figure(&mut self, line: impl Into<String>) {
        let line = line.into();
        println!("    {line}");
        self.figures.push(line);
    }

    pub fn check(&mut self, ok: bool, what: impl Into<String>) {
        if !ok {
            let what = what.into();
            println!("    FAILED: {what}");
            self.failures.push(what);
        }
    }
}

type Scenario = fn(Options) -> std::pin::Pin<Box<dyn std::future::Future<Output = Report> + Send>>;

fn main() {
    let options = Options::parse();
    let scenarios: [(&str, Scenario); 4] = [
        ("crash_sqlite", |o| {
            Box::pin(crash::run(server::Db::Sqlite, o))
        }),
        ("crash_postgres", |o| {
            Box::pin(crash::run(server::Db::Postgres, o))
        }),
        ("postgres_restart", |o| {
            Box::pin(pg_restart::run(o, Duration::ZERO))
        }),
        ("postgres_outage", |o| {
            let down = Duration::from_secs(o.outage_secs);
            Box::pin(pg_restart::run(o, down))
        }),
    ];
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    println!("fault tests (server: {})", server::binary().display());
    let mut summary = Vec::new();
    for (name, scenario) in scenarios {
        if !options.wants(name) {
            continue;
        }
        println!("  {name}");
        let started = Instant::now();
        // A panic (an unexpected answer, a server that did not come back) fails the scenario.
        let outcome = runtime.block_on(async { tokio::spawn(scenario(options.clone())).await });
        let secs = started.elapsed().as_secs_f64();
        let failed = match outcome {
            Ok(report) => report.failures.len(),
            Err(e) => {
                println!("    FAILED: {e}");
                1
            }
        };
        summary.push((name, failed, secs));
    }
    println!();
    for (name, failed, secs) in &summary {
        let verdict = if *failed == 0 { "ok" } else { "FAILED" };
        println!("fault test {name} ... {verdict} ({secs:.1} s)");
    }
    let failed = summary.iter().filter(|(_, f, _)| *f > 0).count();
    if summary.is_empty() {
        println!("no fault test matches {:?}", options.only);
    }
    if failed > 0 {
        println!("{failed} fault test(s) failed");
        std::process::exit(1);
    }
}
