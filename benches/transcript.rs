//! Transcript benchmark: typesets deal transcripts with the server's own renderer
//! (`server::archive::pdf`, the code the `RenderTranscript` job runs after reading the chat) and
//! measures
//!
//! 1. the time to render 10,000 messages in mixed scripts (Latin, Cyrillic, Greek, Arabic,
//!    Hebrew, Chinese, Japanese, Korean) with 200 files, and the process's memory growth
//!    meanwhile (RSS sampled every 5 ms, peak minus before; the fonts are read first, once, as
//!    the server does on its first transcript), and
//! 2. the size of the PDF of 1,000 Latin messages.
//!
//! Targets (issue: closing deals): ≤ 2 s and ≤ 100 MiB for the first, ≤ 1 MiB for the second.
//! Run it with `scripts/bench.sh --transcript`. Options: `--messages N` (10000), `--runs N` (3),
//! `--out FILE` (keep the large PDF).

#![allow(clippy::unwrap_used)]

use dealchat::server::archive::fonts::FontFiles;
use dealchat::server::archive::pdf::{Entry, FileLine, Transcript, Typesetter};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const MIXED: [&str; 8] = [
    "Could you send the revised drawings for the second floor by Friday? The client wants the terrace wider.",
    "Пришлите, пожалуйста, обновлённую смету до пятницы — заказчик хочет расширить террасу.",
    "Μπορείτε να στείλετε τα αναθεωρημένα σχέδια μέχρι την Παρασκευή;",
    "هل يمكنك إرسال الرسومات المعدلة للطابق الثاني بحلول يوم الجمعة؟",
    "האם תוכל לשלוח את השרטוטים המעודכנים עד יום שישי?",
    "请在周五之前发送二楼的修订图纸，客户希望露台更宽。",
    "金曜日までに二階の修正図面を送っていただけますか。",
    "금요일까지 2층 수정 도면을 보내 주시겠어요?",
];

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn transcript(messages: usize, files: usize, mixed: bool) -> Transcript {
    let mut entries = Vec::with_capacity(messages + messages / 50 + 1);
    for i in 0..messages {
        if i % 50 == 0 {
            entries.push(Entry::Day(format!("Day {}", i / 50 + 1)));
        }
        let text = if mixed {
            MIXED[i % MIXED.len()].to_owned()
        } else {
            MIXED[0].to_owned()
        };
        if i % 25 == 24 {
            entries.push(Entry::Event {
                time: "14:05".into(),
                text: "Max moved the deal from Proposal to Negotiation.".into(),
            });
        }
        let details = if i % (messages / files.max(1)).max(1) == 0 {
            vec![format!(
                "File: drawing-{i}.pdf · 1.2 MB · SHA-256 {}",
                "9f".repeat(32)
            )]
        } else {
            Vec::new()
        };
        entries.push(Entry::Message {
            who: if i % 2 == 0 {
                "Clara Client"
            } else {
                "Max Manager"
            }
            .into(),
            role: if i % 2 == 0 { "Client" } else { "Deal manager" }.into(),
            time: format!("{:02}:{:02}", (i / 60) % 24, i % 60),
            text,
            details,
        });
    }
    Transcript {
        title: "Transcript: Headquarters renovation".into(),
        facts: vec![
            ("Deal".into(), "#4711 · Headquarters renovation".into()),
            ("Client".into(), "Clara Client <clara@example.com>".into()),
            ("Managers".into(), "Max Manager".into()),
            ("Outcome".into(), "Won, closed by Max Manager".into()),
        ],
        entries,
        files: (0..files)
            .map(|i| FileLine {
                name: format!("drawing-{i}.pdf"),
                size: "1.2 MB".into(),
                uploader: "Clara Client".into(),
                time: "3 Dec 2026 14:05".into(),
                sha256: "9f".repeat(32),
            })
            .collect(),
        footer: "Deal #4711 · Headquarters renovation".into(),
        generated_at: "4 Dec 2026 14:00:00 UTC".into(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let messages: usize = arg("--messages").map_or(10_000, |v| v.parse().unwrap());
    let runs: usize = arg("--runs").map_or(3, |v| v.parse().unwrap());
    let dir = arg("--fonts").unwrap_or_else(|| "/usr/share/fonts".into());

    let started = Instant::now();
    let fonts = FontFiles::load(std::path::Path::new(&dir)).unwrap();
    let typesetter = Typesetter::new(&fonts);
    drop(fonts);
    println!(
        "fonts read and registered in {:.0} ms ({} families: {})",
        started.elapsed().as_secs_f64() * 1000.0,
        typesetter.families().len(),
        typesetter.families().join(", ")
    );
    // A first render brings the parts every render shares into memory, as the server's first
    // transcript does.
    typesetter.render(&transcript(20, 2, true)).unwrap();

    for run in 1..=runs {
        let doc = transcript(messages, 200, true);
        let before = rss_kib();
        let peak = Arc::new(AtomicU64::new(before));
        let done = Arc::new(AtomicBool::new(false));
        let sampler = {
            let (peak, done) = (peak.clone(), done.clone());
            std::thread::spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    peak.fetch_max(rss_kib(), Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(5));
                }
            })
        };
        let started = Instant::now();
        let rendered = typesetter.render(&doc).unwrap();
        let secs = started.elapsed().as_secs_f64();
        done.store(true, Ordering::Relaxed);
        sampler.join().unwrap();
        let growth = peak.load(Ordering::Relaxed).saturating_sub(before) as f64 / 1024.0;
        println!(
            "run {run}: {messages} mixed-script messages, 200 files: {secs:.2} s, {} pages, {:.1} MiB PDF, memory growth {growth:.1} MiB",
            rendered.pages,
            rendered.pdf.len() as f64 / (1024.0 * 1024.0)
        );
        if let Some(out) = arg("--out") {
            std::fs::write(out, &rendered.pdf).unwrap();
        }
    }

    let latin = typesetter.render(&transcript(1000, 20, false)).unwrap();
    println!(
        "1000 Latin messages: {} pages, {:.2} MiB PDF",
        latin.pages,
        latin.pdf.len() as f64 / (1024.0 * 1024.0)
    );
}
