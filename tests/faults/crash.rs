//! SIGKILL of the server during a burst of sends, uploads cut mid-chunk and a Stripe webhook.

use crate::client::{Chat, Client, open_chats};
use crate::content::{pseudo_random, sha256_hex};
use crate::fake_stripe::{self, FakeStripe};
use crate::server::{Db, Server, counts, number, required_env};
use crate::{Options, Report};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CHUNK: usize = 4 << 20;
/// Uploads trickle at 64 KiB every 8 ms (8 MiB/s), so a kill finds each in the middle of a chunk.
const PACE: (usize, Duration) = (64 << 10, Duration::from_millis(8));

/// How long an upload goes on trying after its chunks fail, e.g. while the writer lease of a
/// killed instance runs out (in 10 s).
const PATIENCE: Duration = Duration::from_secs(30);

fn mib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / (1 << 20) as f64)
}

/// One upload going on across kills.
struct Upload {
    client: Client,
    chat: i64,
    location: String,
    data: Arc<Vec<u8>>,
    /// The browser's shape: each chunk carries its SHA-256.
    checksum: bool,
    /// Bytes the server answered 204 for.
    acked: AtomicU64,
    /// Where the chunk being sent ends.
    sending_to: AtomicU64,
    file_id: Mutex<Option<i64>>,
}

impl Upload {
    /// Sends chunks from where the server says the upload stands until stopped, cut off or done.
    async fn go(self: Arc<Self>, running: Arc<AtomicBool>, pace: Option<(usize, Duration)>) {
        // Since when chunks have failed. As the browser's uploader does, a failed chunk (423
        // while a killed instance's writer lease runs out, or the connection closed when the
        // server answered before reading the body) sends it back to HEAD, for a while.
        let mut failing_since: Option<Instant> = None;
        while running.load(Ordering::Relaxed) {
            let Ok(offset) = self.client.upload_offset(&self.location).await else {
                return;
            };
            let len = self.data.len() as u64;
            if offset == len {
                return;
            }
            let end = (offset + CHUNK as u64).min(len);
            self.sending_to.store(end, Ordering::Relaxed);
            let piece = &self.data[offset as usize..end as usize];
            match self
                .client
                .patch(&self.location, offset, piece, self.checksum, pace)
                .await
            {
                Ok(file) => {
                    failing_since = None;
                    self.acked.store(end, Ordering::Relaxed);
                    if file.is_some() {
                        *self.file_id.lock().unwrap() = file;
                    }
                }
                Err(e) => {
                    let since = *failing_since.get_or_insert_with(Instant::now);
                    if since.elapsed() > PATIENCE {
                        eprintln!(
                            "upload {} at {offset}, for {PATIENCE:?}: {e}",
                            self.location
                        );
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            }
        }
    }
}

/// A payment asked in chat 0 and paid at the (fake) Stripe checkout: the event that says so.
struct Payment {
    id: i64,
    event_id: String,
    body: String,
}

async fn paid_at_stripe(chat: &Chat, stripe: &FakeStripe, round: usize) -> Payment {
    let ask = chat
        .manager
        .send(
            chat.id,
            &uuid::Uuid::new_v4().to_string(),
            &format!("Deposit {round} #p {} EUR", 100 + round),
        )
        .await
        .unwrap();
    let id = serde_json::to_value(&ask).unwrap()["payment"]["id"]
        .as_i64()
        .expect("a payment card");
    chat.client
        .must("payments/checkout", &[("payment_id", id.to_string())])
        .await;
    let session = stripe.all().pop().expect("a checkout session");
    stripe.complete(&session.id);
    let event_id = format!("evt_faults_{}", uuid::Uuid::new_v4().simple());
    let body = fake_stripe::event(
        &event_id,
        "checkout.session.completed",
        stripe.session(&session.id).json("paid"),
    );
    Payment { id, event_id, body }
}

fn signed(body: &str) -> String {
    fake_stripe::signature(
        body,
        fake_stripe::WEBHOOK_SECRET,
        chrono::Utc::now().timestamp(),
    )
}

/// How often each send of a round is stored, by client message id.
async fn stored_sends(db: &sea_orm::DatabaseConnection, round: usize) -> Vec<(String, i64)> {
    counts(
        db,
        &format!(
            "SELECT client_msg_id AS k, COUNT(*) AS n FROM messages \
             WHERE client_msg_id LIKE 'r{round}-%' GROUP BY client_msg_id"
        ),
    )
    .await
}

/// The sends of one round: answered ids, and ids whose answer never came (with who sent them).
#[derive(Default)]
struct Sends {
    acked: Mutex<Vec<String>>,
    unanswered: Mutex<Vec<(usize, String)>>,
}

fn sender_of(chats: &[Chat], s: usize) -> (Client, i64) {
    let chat = &chats[s % chats.len()];
    let who = if s.is_multiple_of(2) {
        &chat.client
    } else {
        &chat.manager
    };
    (who.clone(), chat.id)
}

pub async fn run(db: Db, o: Options) -> Report {
    let mut report = Report::default();
    let stripe = FakeStripe::default();
    let mut env = vec![
        ("APP_PAYMENTS__PROVIDER", "stripe".to_owned()),
        ("APP_PAYMENTS__STRIPE__API_BASE", stripe.start().await),
        (
            "APP_PAYMENTS__STRIPE__SECRET_KEY",
            fake_stripe::SECRET_KEY.to_owned(),
        ),
        (
            "APP_PAYMENTS__STRIPE__WEBHOOK_SECRET",
            fake_stripe::WEBHOOK_SECRET.to_owned(),
        ),
    ];
    if db == Db::Postgres {
        let bucket = format!(
            "dealchat-faults-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        env.extend([
            ("APP_FILES__STORE", "s3".to_owned()),
            (
                "APP_FILES__S3__ENDPOINT",
                required_env("DEALCHAT_TEST_S3_ENDPOINT"),
            ),
            ("APP_FILES__S3__BUCKET", bucket),
            (
                "APP_FILES__S3__ACCESS_KEY_ID",
                required_env("DEALCHAT_TEST_S3_KEY"),
            ),
            (
                "APP_FILES__S3__SECRET_ACCESS_KEY",
                required_env("DEALCHAT_TEST_S3_SECRET"),
            ),
        ]);
    }
    let mut server = Server::new(db, &env).await;
    server.start().await;
    let base = server.base();
    let chats = open_chats(&base, (o.senders / 2).max(3)).await;
    let store = if db == Db::Postgres {
        "S3"
    } else {
        "local files"
    };
    report.figure(format!(
        "{db:?} ({store}), {} chats, {} senders, {} upload(s) of {} MiB, {} kill(s)",
        chats.len(),
        o.senders,
        3,
        o.upload_mib,
        o.rounds
    ));

    let len = o.upload_mib << 20;
    let mut uploads = Vec::new();
    for (n, chat) in chats.iter().take(3).enumerate() {
        let name = format!("drawings-{n}.zip");
        uploads.push(Arc::new(Upload {
            client: chat.client.clone(),
            chat: chat.id,
            location: chat.client.create_upload(chat.id, &name, len).await,
            data: Arc::new(pseudo_random(len, 7 + n as u64)),
            checksum: n == 0,
            acked: AtomicU64::new(0),
            sending_to: AtomicU64::new(0),
            file_id: Mutex::new(None),
        }));
    }

    let mut payments = Vec::new();
    let mut all_sent: HashSet<String> = HashSet::new();
    for round in 0..o.rounds {
        let payment = paid_at_stripe(&chats[0], &stripe, round).await;
        let running = Arc::new(AtomicBool::new(true));
        let sends = Arc::new(Sends::default());
        let mut tasks = Vec::new();
        for s in 0..o.senders {
            let (who, chat) = sender_of(&chats, s);
            let (running, sends) = (running.clone(), sends.clone());
            tasks.push(tokio::spawn(async move {
                let mut n = 0;
                while running.load(Ordering::Relaxed) {
                    let id = format!("r{round}-s{s}-{n}");
                    match who.send(chat, &id, &format!("burst {round}/{s}/{n}")).await {
                        Ok(m) if m.client_msg_id.as_deref() == Some(id.as_str()) => {
                            sends.acked.lock().unwrap().push(id)
                        }
                        Ok(m) => panic!("sent {id}, answered with {:?}", m.client_msg_id),
                        Err(_) => {
                            sends.unanswered.lock().unwrap().push((s, id));
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                    n += 1;
                }
            }));
        }
        for u in &uploads {
            tasks.push(tokio::spawn(u.clone().go(running.clone(), Some(PACE))));
        }
        // The kill lands at another moment each round. The webhook goes out just before it: 1 ms
        // before (cut while it is applied), 40 ms (answered before the kill), and so on.
        let kill_after = Duration::from_millis(o.burst_ms + (round as u64 * 211) % 400);
        let lead = Duration::from_millis([1, 40, 3, 10, 0][round % 5]);
        let webhook = {
            let (client, body) = (Client::anonymous(&base), payment.body.clone());
            tokio::spawn(async move {
                tokio::time::sleep(kill_after - lead).await;
                client.stripe_webhook(&body, &signed(&body)).await
            })
        };
        tokio::time::sleep(kill_after).await;
        running.store(false, Ordering::Relaxed);
        server.kill();
        for t in tasks {
            t.await.unwrap();
        }
        let hook = webhook.await.unwrap();
        let restart = server.start().await;
        let acked = sends.acked.lock().unwrap().clone();
        let unanswered = sends.unanswered.lock().unwrap().clone();

        // Every answered send is stored exactly once.
        let db_conn = server.connect().await;
        let stored: HashMap<String, i64> =
            stored_sends(&db_conn, round).await.into_iter().collect();
        let lost = acked.iter().filter(|k| !stored.contains_key(*k)).count();
        let duplicated = stored.values().filter(|n| **n > 1).count();
        let committed_unanswered = unanswered
            .iter()
            .filter(|(_, k)| stored.contains_key(k))
            .count();
        report.figure(format!(
            "kill {} at {} ms: {} sends answered, {} unanswered ({} of them committed); \
             after restart ({} ms to healthy) {} lost, {} stored twice",
            round + 1,
            kill_after.as_millis(),
            acked.len(),
            unanswered.len(),
            committed_unanswered,
            restart.as_millis(),
            lost,
            duplicated
        ));
        report.check(
            !acked.is_empty(),
            "some sends were answered before the kill",
        );
        report.check(lost == 0, format!("{lost} answered sends lost"));
        report.check(duplicated == 0, format!("{duplicated} sends stored twice"));

        // The unanswered ones, sent again under the same id (the browser's Retry), land once.
        for (s, id) in &unanswered {
            let (who, chat) = sender_of(&chats, *s);
            let again = who.send(chat, id, "sent again").await;
            report.check(again.is_ok(), format!("resending {id}: {again:?}"));
        }
        let after_retry = stored_sends(&db_conn, round).await;
        let wanted: HashSet<&String> = acked
            .iter()
            .chain(unanswered.iter().map(|(_, k)| k))
            .collect();
        let once = after_retry
            .iter()
            .filter(|(k, n)| *n == 1 && wanted.contains(k))
            .count();
        report.check(
            once == wanted.len() && after_retry.len() == wanted.len(),
            format!(
                "after resending, {once} of {} sends stored once ({} ids stored)",
                wanted.len(),
                after_retry.len()
            ),
        );
        let gaps = number(
            &db_conn,
            "SELECT COUNT(*) AS n FROM (SELECT conversation_id FROM messages GROUP BY conversation_id \
             HAVING MAX(seq) <> COUNT(*) OR MIN(seq) <> 1) g",
        )
        .await;
        report.check(gaps == 0, format!("{gaps} chats with sequence gaps"));
        all_sent.extend(wanted.into_iter().cloned());

        // Uploads stand where their bytes stopped: at least what was answered, at most what was
        // sent, and usually in the middle of a chunk.
        let mut stands = Vec::new();
        for (n, u) in uploads.iter().enumerate() {
            let offset = u.client.upload_offset(&u.location).await;
            let (acked, to) = (
                u.acked.load(Ordering::Relaxed),
                u.sending_to.load(Ordering::Relaxed),
            );
            match offset {
                Ok(offset) => {
                    report.check(
                        acked <= offset && offset <= to.max(acked),
                        format!("upload {n} resumes at {offset}, answered {acked}, sent to {to}"),
                    );
                    let mid = if offset > acked { ", mid-chunk" } else { "" };
                    stands.push(format!("{} MiB{mid}", mib(offset)));
                }
                // Finished before the kill: the upload is gone, the file is stored.
                Err(e) if acked == u.data.len() as u64 => stands.push(format!("done ({e})")),
                Err(e) => report.check(false, format!("upload {n}: HEAD after restart: {e}")),
            }
        }
        report.figure(format!(
            "  uploads resume from: {} (answered before the kill: {} MiB)",
            stands.join(", "),
            uploads
                .iter()
                .map(|u| mib(u.acked.load(Ordering::Relaxed)))
                .collect::<Vec<_>>()
                .join(" / ")
        ));

        // Stripe delivers again until it is answered 200, and may deliver once more after.
        let answered_before = matches!(hook, Ok(true));
        let mut deliveries = 1;
        let mut answered = answered_before;
        while !answered && deliveries < 10 {
            deliveries += 1;
            answered = Client::anonymous(&base)
                .stripe_webhook(&payment.body, &signed(&payment.body))
                .await
                .unwrap_or(false);
        }
        let replay = Client::anonymous(&base)
            .stripe_webhook(&payment.body, &signed(&payment.body))
            .await;
        report.check(
            matches!(replay, Ok(true)),
            format!("a replayed event: {replay:?}"),
        );
        let status = counts(
            &db_conn,
            &format!(
                "SELECT status AS k, COUNT(*) AS n FROM payments WHERE id = {} GROUP BY status",
                payment.id
            ),
        )
        .await;
        let paid_lines = number(
            &db_conn,
            &format!(
                "SELECT COUNT(*) AS n FROM messages WHERE payment_id = {} AND kind = 'payment_status'",
                payment.id
            ),
        )
        .await;
        let events = number(
            &db_conn,
            &format!(
                "SELECT COUNT(*) AS n FROM payment_events WHERE event_id = '{}'",
                payment.event_id
            ),
        )
        .await;
        report.figure(format!(
            "  webhook before the kill: {}; delivered {} more time(s) + 1 replay → {:?}, {} status message(s), {} event row(s)",
            match &hook {
                Ok(true) => "answered 200".to_owned(),
                Ok(false) => "refused".to_owned(),
                Err(_) => "no answer".to_owned(),
            },
            deliveries - 1,
            status,
            paid_lines,
            events
        ));
        report.check(answered, "the webhook was answered 200 after the restart");
        report.check(
            status == vec![("paid".to_owned(), 1)],
            format!("payment {} is {status:?}", payment.id),
        );
        report.check(paid_lines == 1, format!("{paid_lines} paid messages"));
        report.check(events == 1, format!("{events} event rows"));
        db_conn.close().await.ok();
        payments.push(payment);
    }

    // The uploads finish from where the server says they stand, with the bytes that were sent.
    let running = Arc::new(AtomicBool::new(true));
    let mut matched = 0;
    for (n, u) in uploads.iter().enumerate() {
        if u.file_id.lock().unwrap().is_none() {
            u.clone().go(running.clone(), None).await;
        }
        let file_id = *u.file_id.lock().unwrap();
        let Some(file_id) = file_id else {
            report.check(false, format!("upload {n} did not finish"));
            continue;
        };
        let listed = u
            .client
            .must("files/list", &[("conversation_id", u.chat.to_string())])
            .await;
        let file = listed
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["file"]["id"].as_i64() == Some(file_id))
            .map(|f| f["file"].clone())
            .unwrap_or_default();
        let ok = file["sha256"] == sha256_hex(&u.data) && file["size"] == u.data.len();
        report.check(ok, format!("upload {n} stored as {file}"));
        matched += usize::from(ok);
    }
    report.figure(format!(
        "uploads finished: {matched} of {} with the right SHA-256 and size",
        uploads.len()
    ));

    // The CRM hears of each payment once. A delivery cut by a kill waits out its job's claim.
    let db_conn = server.connect().await;
    let deadline = Instant::now() + Duration::from_secs(80);
    let notes = loop {
        let notes = number(
            &db_conn,
            "SELECT COUNT(*) AS n FROM crm_notes WHERE body LIKE '%EUR paid%'",
        )
        .await;
        if notes >= payments.len() as i64 || Instant::now() > deadline {
            break notes;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let failed_jobs = number(
        &db_conn,
        "SELECT COUNT(*) AS n FROM outbox WHERE failed_at IS NOT NULL",
    )
    .await;
    report.figure(format!(
        "CRM: {notes} payment notes for {} payments, {failed_jobs} failed jobs; {} messages sent in all",
        payments.len(),
        all_sent.len()
    ));
    report.check(
        notes == payments.len() as i64,
        format!("{notes} CRM payment notes for {} payments", payments.len()),
    );
    report.check(failed_jobs == 0, format!("{failed_jobs} jobs failed"));
    db_conn.close().await.ok();
    let panics = server.panics();
    report.check(
        panics.is_empty(),
        format!("the server panicked: {panics:?}"),
    );
    report
}
