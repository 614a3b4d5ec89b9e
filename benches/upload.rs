//! Upload benchmark: runs the release server as a separate process (SQLite, local file store)
//! and sends one 1 GiB file into a deal's folder over loopback through the resumable upload
//! endpoint, measuring
//!
//! 1. throughput from the upload's creation to the answer of its last chunk (which includes the
//!    server's whole-file SHA-256, the flush to disk, the move into the store and the database
//!    record), and
//! 2. the server's memory growth meanwhile (RSS sampled every 10 ms, peak minus before).
//!
//! Two client shapes: large 64 MiB chunks without per-chunk checksums, and the browser's shape
//! (8 MiB chunks, each with `Upload-Checksum`). The stored file's SHA-256 is checked against
//! the bytes sent. Run it with `scripts/bench.sh --upload`. Options: `--mib N` (1024),
//! `--server PATH`.

#![allow(clippy::unwrap_used)]

mod support;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn content(len: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Calls a server function as the browser does (form in, JSON out); it must succeed.
async fn call(
    http: &reqwest::Client,
    base: &str,
    endpoint: &str,
    form: &[(&str, &str)],
) -> serde_json::Value {
    let res = http
        .post(format!("{base}/api/{endpoint}"))
        .header("Accept", "application/json")
        .form(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body = res.text().await.unwrap();
    assert!(status.is_success(), "{endpoint}: {status} {body}");
    serde_json::from_str(&body).unwrap()
}

struct Run {
    secs: f64,
    growth_mib: f64,
}

/// The server and the chat to upload into.
struct Target<'a> {
    http: &'a reqwest::Client,
    base: &'a str,
    pid: u32,
    chat: i64,
}

async fn upload(
    t: &Target<'_>,
    bytes: &bytes::Bytes,
    chunk: usize,
    checksums: bool,
    label: &str,
) -> Run {
    let (http, base, pid, chat) = (t.http, t.base, t.pid, t.chat);
    let meta = [
        ("conversation_id", chat.to_string()),
        ("purpose", "folder".to_owned()),
        ("filename", format!("{label}.zip")),
        ("filetype", "application/zip".to_owned()),
    ]
    .iter()
    .map(|(k, v)| format!("{k} {}", STANDARD.encode(v)))
    .collect::<Vec<_>>()
    .join(",");
    let before = support::rss_kib(pid);
    let peak = Arc::new(AtomicU64::new(before));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(support::rss_kib(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    let started = Instant::now();
    let created = http
        .post(format!("{base}/files/uploads"))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", bytes.len().to_string())
        .header("Upload-Metadata", meta)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "{:?}", created.text().await);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let mut offset = 0;
    let mut file_id = None;
    while offset < bytes.len() {
        let end = (offset + chunk).min(bytes.len());
        let piece = bytes.slice(offset..end);
        let mut req = http
            .patch(format!("{base}{location}"))
            .header("Tus-Resumable", "1.0.0")
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset.to_string());
        if checksums {
            let sum = Sha256::digest(&piece);
            req = req.header(
                "Upload-Checksum",
                format!("sha256 {}", STANDARD.encode(sum)),
            );
        }
        let res = req.body(piece).send().await.unwrap();
        assert_eq!(res.status(), 204, "{:?}", res.text().await);
        file_id = res
            .headers()
            .get("dealchat-file-id")
            .map(|v| v.to_str().unwrap().to_owned());
        offset = end;
    }
    let secs = started.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    sampler.await.unwrap();
    let file_id = file_id.expect("the last chunk names the file");
    // The stored copy is the one sent.
    let listed = call(
        http,
        base,
        "files/list",
        &[("conversation_id", &chat.to_string())],
    )
    .await;
    let stored = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"]["id"].as_i64() == file_id.parse().ok())
        .unwrap();
    let want: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(stored["file"]["sha256"], want.as_str());
    Run {
        secs,
        growth_mib: (peak.load(Ordering::Relaxed).saturating_sub(before)) as f64 / 1024.0,
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let mib: usize = arg("--mib").map_or(1024, |v| v.parse().unwrap());
    let server = arg("--server")
        .map(PathBuf::from)
        .unwrap_or_else(support::default_server);
    let dir = std::env::temp_dir().join(format!("dealchat-upload-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = support::free_port();
    let mut child = Command::new(&server)
        .env(
            "APP_DATABASE__URL",
            format!("sqlite://{}/bench.db?mode=rwc", dir.display()),
        )
        .env("APP_DATA_DIR", &dir)
        .env("APP_SERVER__BIND", format!("127.0.0.1:{port}"))
        .env(
            "APP_SESSION__SECRET",
            "benchmark-secret-benchmark-secret-0123",
        )
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", server.display()));
    let pid = child.id();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    support::wait_healthy(&http, &base).await;
    call(
        &http,
        &base,
        "auth/signup",
        &[
            ("email", "bench@example.com"),
            ("display_name", "Bench Client"),
            ("password", "bench-password-1"),
        ],
    )
    .await;
    let chat = call(
        &http,
        &base,
        "chats/start",
        &[
            ("topic", "project"),
            ("title", "Upload benchmark"),
            ("body", "hello"),
            ("client_msg_id", "bench-start"),
        ],
    )
    .await;
    let chat = chat["id"].as_i64().unwrap();

    let bytes = bytes::Bytes::from(content(mib * 1024 * 1024));
    println!(
        "uploading {mib} MiB over loopback (server pid {pid}, idle RSS {} KiB)",
        support::rss_kib(pid)
    );
    for (label, chunk, checksums) in [
        ("64 MiB chunks, no chunk checksums", 64 << 20, false),
        (
            "8 MiB chunks with Upload-Checksum (the browser's shape)",
            8 << 20,
            true,
        ),
    ] {
        let target = Target {
            http: &http,
            base: &base,
            pid,
            chat,
        };
        let run = upload(&target, &bytes, chunk, checksums, &label[..6]).await;
        println!(
            "{label}: {:.1} s, {:.0} MiB/s, server RSS growth {:.1} MiB",
            run.secs,
            mib as f64 / run.secs,
            run.growth_mib
        );
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
