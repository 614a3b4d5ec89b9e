//! Deal files and offers: resumable uploads (tus) into the deal's folder and as shares in the
//! chat, downloads, `#q` offers and their one-time decision, and every bad input.

use crate::helpers::{Client, Db, TestApp, spawn_app, spawn_app_with};
use crate::on_both_dbs;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::time::Duration;

pub struct Tus {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Tus {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn offset(&self) -> u64 {
        self.header("upload-offset")
            .and_then(|v| v.parse().ok())
            .expect("Upload-Offset")
    }

    pub fn file_id(&self) -> Option<i64> {
        self.header("dealchat-file-id").and_then(|v| v.parse().ok())
    }
}

async fn tus(res: reqwest::Response) -> Tus {
    Tus {
        status: res.status(),
        headers: res.headers().clone(),
        body: res.text().await.unwrap_or_default(),
    }
}

pub use crate::content::{pseudo_random, sha256_hex};

/// What a new upload announces.
pub struct Announce<'a> {
    pub conversation_id: i64,
    pub purpose: &'a str,
    pub name: &'a str,
    pub content_type: &'a str,
    pub size: u64,
    pub sha256: Option<String>,
    pub note: Option<&'a str>,
}

impl Client {
    pub async fn create_upload(&self, a: &Announce<'_>) -> Tus {
        let mut meta = vec![
            ("conversation_id", a.conversation_id.to_string()),
            ("purpose", a.purpose.to_owned()),
            ("filename", a.name.to_owned()),
            ("filetype", a.content_type.to_owned()),
        ];
        if let Some(s) = &a.sha256 {
            meta.push(("sha256", s.clone()));
        }
        if let Some(n) = a.note {
            meta.push(("note", n.to_owned()));
        }
        let meta = meta
            .iter()
            .map(|(k, v)| format!("{k} {}", STANDARD.encode(v)))
            .collect::<Vec<_>>()
            .join(",");
        tus(self
            .http
            .post(format!("{}/files/uploads", self.base))
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", a.size.to_string())
            .header("Upload-Metadata", meta)
            .send()
            .await
            .expect("request"))
        .await
    }

    pub async fn patch_upload(
        &self,
        location: &str,
        offset: u64,
        bytes: &[u8],
        checksum: Option<[u8; 32]>,
    ) -> Tus {
        let mut req = self
            .http
            .patch(format!("{}{location}", self.base))
            .header("Tus-Resumable", "1.0.0")
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset.to_string())
            .body(bytes.to_vec());
        if let Some(sum) = checksum {
            req = req.header(
                "Upload-Checksum",
                format!("sha256 {}", STANDARD.encode(sum)),
            );
        }
        tus(req.send().await.expect("request")).await
    }

    pub async fn head_upload(&self, location: &str) -> Tus {
        tus(self
            .http
            .head(format!("{}{location}", self.base))
            .header("Tus-Resumable", "1.0.0")
            .send()
            .await
            .expect("request"))
        .await
    }

    /// Gives the upload up (tus `DELETE`).
    pub async fn cancel_upload(&self, location: &str) -> Tus {
        tus(self
            .http
            .delete(format!("{}{location}", self.base))
            .header("Tus-Resumable", "1.0.0")
            .send()
            .await
            .expect("request"))
        .await
    }

    /// Uploads `bytes` in chunks of `chunk` bytes, each with its checksum; the file's id.
    pub async fn upload(&self, a: Announce<'_>, bytes: &[u8], chunk: usize) -> i64 {
        let created = self.create_upload(&a).await;
        assert_eq!(
            created.status,
            StatusCode::CREATED,
            "create: {}",
            created.body
        );
        let location = created.header("location").expect("Location").to_owned();
        let mut offset = 0usize;
        let mut last = None;
        for piece in bytes.chunks(chunk) {
            let sum: [u8; 32] = Sha256::digest(piece).into();
            let r = self
                .patch_upload(&location, offset as u64, piece, Some(sum))
                .await;
            assert_eq!(r.status, StatusCode::NO_CONTENT, "patch: {}", r.body);
            offset += piece.len();
            assert_eq!(r.offset(), offset as u64);
            last = Some(r);
        }
        last.and_then(|r| r.file_id())
            .expect("the last chunk names the stored file")
    }

    pub async fn deal_files(&self, conversation_id: i64) -> crate::helpers::Reply {
        self.call(
            "files/list",
            &[("conversation_id", &conversation_id.to_string())],
        )
        .await
    }

    pub async fn decide(
        &self,
        offer_id: i64,
        decision: &str,
        reason: Option<&str>,
    ) -> crate::helpers::Reply {
        let id = offer_id.to_string();
        let mut form = vec![("offer_id", id.as_str()), ("decision", decision)];
        if let Some(r) = reason {
            form.push(("reason", r));
        }
        self.call("offers/decide", &form).await
    }
}

pub fn folder(conversation_id: i64, name: &str, size: u64) -> Announce<'_> {
    Announce {
        conversation_id,
        purpose: "folder",
        name,
        content_type: "application/zip",
        size,
        sha256: None,
        note: None,
    }
}

/// A client with a project chat that a manager accepted.
pub async fn deal_chat(app: &TestApp) -> (Client, Client, i64) {
    let client = app.signed_up_client("clara@example.com").await;
    let id = client.start_chat("project", "Roof", "Hello").await;
    let max = app.manager("max@example.com", "Max").await;
    max.accept(id).await.expect_ok();
    (client, max, id)
}

pub fn messages(detail: &Value) -> Vec<Value> {
    detail["messages"].as_array().expect("messages").clone()
}

/// Files in the store and in staging, wherever they are under the data dir.
fn stored_files(app: &TestApp) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else {
                    out.push(p);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(&app.data_dir.join("files"), &mut out);
    walk(&app.data_dir.join("staging"), &mut out);
    out
}

async fn a_client_upload_reaches_the_manager_intact(db: Db) {
    let app = spawn_app(db).await;
    let (clara, max, id) = deal_chat(&app).await;
    let bytes = pseudo_random(700_000, 7);
    let file_id = clara
        .upload(
            folder(id, "site photos.zip", bytes.len() as u64),
            &bytes,
            256 * 1024,
        )
        .await;

    let listed = max.deal_files(id).await;
    let list = listed.expect_ok().as_array().expect("list").clone();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["file"]["name"], "site photos.zip");
    assert_eq!(list[0]["file"]["sha256"], sha256_hex(&bytes));
    assert_eq!(list[0]["shared_in_chat"], false);

    let res = max.get(&format!("/files/{file_id}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "application/zip");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(
        h["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    let body = res.bytes().await.unwrap();
    assert_eq!(sha256_hex(&body), sha256_hex(&bytes));

    // Both sides hear about it in the chat.
    let last = messages(&clara.open(id).await).pop().unwrap();
    assert_eq!(last["kind"], "folder_file");
    assert_eq!(last["file"]["id"], file_id);
    // The chat list says so too, in the chat's own words (it once showed "Client Person:").
    for who in [&clara, &max] {
        let row = who
            .list()
            .await
            .into_iter()
            .find(|c| c["id"] == id)
            .unwrap();
        assert_eq!(
            row["last_message_preview"],
            "Client Person added a file to the deal files"
        );
    }
}
on_both_dbs!(a_client_upload_reaches_the_manager_intact);

async fn an_upload_resumes_after_the_connection_drops(db: Db) {
    resumes_after_a_dropped_connection(&spawn_app(db).await).await;
}
on_both_dbs!(an_upload_resumes_after_the_connection_drops);

/// A chunk whose connection breaks keeps what arrived; the upload resumes from there (with
/// either store).
pub async fn resumes_after_a_dropped_connection(app: &TestApp) {
    use tokio::io::AsyncWriteExt;
    let (clara, max, id) = deal_chat(app).await;
    let bytes = pseudo_random(300_000, 11);
    let created = clara
        .create_upload(&folder(id, "plan.zip", bytes.len() as u64))
        .await;
    let location = created.header("location").unwrap().to_owned();

    // A PATCH that promises everything, sends 100,000 bytes and hangs up. Raw TCP, so the
    // connection can break mid-body; the upload belongs to Clara, so it carries her session.
    let session = session_cookie(app).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut sock = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "PATCH {location} HTTP/1.1\r\nHost: {addr}\r\nCookie: {session}\r\nTus-Resumable: 1.0.0\r\n\
         Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\n\
         Content-Length: {}\r\n\r\n",
        bytes.len()
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    sock.write_all(&bytes[..100_000]).await.unwrap();
    sock.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(sock);

    let mut offset = 0;
    for _ in 0..50 {
        // 423 while the broken request is still being wound up: ask again.
        let head = clara.head_upload(&location).await;
        if head.status == StatusCode::OK {
            offset = head.offset();
        }
        if offset == 100_000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(offset, 100_000, "the bytes that arrived are kept");
    let done = clara
        .patch_upload(&location, offset, &bytes[100_000..], None)
        .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.body);
    let file_id = done.file_id().expect("complete");
    let body = max
        .get(&format!("/files/{file_id}"))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(sha256_hex(&body), sha256_hex(&bytes));
    // A retried last chunk (its answer lost) is told the upload is complete.
    let again = clara
        .patch_upload(&location, bytes.len() as u64, &[], None)
        .await;
    assert_eq!(again.file_id(), Some(file_id));
}

/// The session cookie as a raw `Cookie:` header value, by logging in again on a raw client.
async fn session_cookie(app: &TestApp) -> String {
    let res = reqwest::Client::new()
        .post(format!("{}/api/auth/login", app.base))
        .header("Accept", "application/json")
        .form(&[
            ("email", "clara@example.com"),
            ("password", "client-password-1"),
        ])
        .send()
        .await
        .unwrap();
    let set = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    set.split(';').next().unwrap().to_owned()
}

async fn bad_uploads_are_refused_and_leave_nothing(db: Db) {
    let app = spawn_app_with(db, &[("files.max_upload_bytes", "1000")]).await;
    let (clara, max, id) = deal_chat(&app).await;

    // Over the limit, refused before a byte is sent.
    let r = clara.create_upload(&folder(id, "big.zip", 1001)).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    // Empty.
    let r = clara.create_upload(&folder(id, "empty.zip", 0)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("empty"), "{}", r.body);
    // A type outside the allow-list.
    let r = clara
        .create_upload(&Announce {
            content_type: "text/html",
            ..folder(id, "x.html", 10)
        })
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("text/html"), "{}", r.body);

    // More bytes than announced, enforced while streaming.
    let created = clara.create_upload(&folder(id, "a.zip", 10)).await;
    let loc = created.header("location").unwrap().to_owned();
    let r = clara.patch_upload(&loc, 0, &[1u8; 20], None).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        clara.head_upload(&loc).await.offset(),
        0,
        "the chunk was discarded"
    );
    // A wrong offset gets the real one.
    let r = clara.patch_upload(&loc, 5, &[1u8; 5], None).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.offset(), 0);
    // A chunk failing its checksum.
    let r = clara
        .patch_upload(&loc, 0, &[1u8; 5], Some([0u8; 32]))
        .await;
    assert_eq!(r.status.as_u16(), 460);

    // A whole file failing its declared SHA-256: discarded, no row, no object.
    let bytes = pseudo_random(800, 3);
    let created = clara
        .create_upload(&Announce {
            sha256: Some(sha256_hex(b"other")),
            ..folder(id, "b.zip", 800)
        })
        .await;
    let loc2 = created.header("location").unwrap().to_owned();
    let r = clara.patch_upload(&loc2, 0, &bytes, None).await;
    assert_eq!(r.status.as_u16(), 460, "{}", r.body);
    assert_eq!(clara.head_upload(&loc2).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        max.deal_files(id)
            .await
            .expect_ok()
            .as_array()
            .unwrap()
            .len(),
        0
    );

    // Cancelling the first upload leaves no staged bytes anywhere.
    let r = clara.cancel_upload(&loc).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(stored_files(&app), Vec::<std::path::PathBuf>::new());
}
on_both_dbs!(bad_uploads_are_refused_and_leave_nothing);

async fn only_the_deals_people_reach_its_files(db: Db) {
    let app = spawn_app(db).await;
    let (clara, max, id) = deal_chat(&app).await;
    let bytes = pseudo_random(1000, 5);
    let file_id = clara
        .upload(folder(id, "../../etc/passwd.zip", 1000), &bytes, 1000)
        .await;
    let created = clara.create_upload(&folder(id, "c.zip", 10)).await;
    let loc = created.header("location").unwrap().to_owned();

    let eve = app.signed_up_client("eve@example.com").await;
    let other_manager = app.manager("olga@example.com", "Olga").await;
    let anonymous = app.client();
    for stranger in [&eve, &other_manager] {
        assert_eq!(
            stranger.get(&format!("/files/{file_id}")).await.status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(stranger.deal_files(id).await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            stranger.head_upload(&loc).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            stranger.patch_upload(&loc, 0, &[1; 10], None).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            stranger
                .create_upload(&folder(id, "x.zip", 10))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(
        anonymous
            .create_upload(&folder(id, "x.zip", 10))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        anonymous.patch_upload(&loc, 0, &[1; 10], None).await.status,
        StatusCode::UNAUTHORIZED
    );
    // A client cannot share into the chat as if they were staff.
    let share = clara
        .create_upload(&Announce {
            purpose: "share",
            note: Some("#q"),
            ..folder(id, "q.pdf", 10)
        })
        .await;
    assert_eq!(share.status, StatusCode::FORBIDDEN);

    // The name lost its path, and the object stayed inside the deal's folder.
    let list = max.deal_files(id).await.expect_ok().clone();
    assert_eq!(list[0]["file"]["name"], "passwd.zip");
    let inside: Vec<_> = stored_files(&app)
        .into_iter()
        .filter(|p| p.starts_with(app.data_dir.join("files").join("deals")))
        .collect();
    assert_eq!(inside.len(), 1, "{inside:?}");
}
on_both_dbs!(only_the_deals_people_reach_its_files);

async fn a_chat_without_a_deal_has_no_folder(db: Db) {
    let app = spawn_app(db).await;
    let clara = app.signed_up_client("q@example.com").await;
    let id = clara.start_chat("question", "Opening hours", "Hi").await;
    let r = clara.create_upload(&folder(id, "a.zip", 10)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(clara.deal_files(id).await.status, StatusCode::CONFLICT);
}
on_both_dbs!(a_chat_without_a_deal_has_no_folder);

pub async fn share(max: &Client, id: i64, name: &str, note: &str) -> (i64, Value) {
    let bytes = pseudo_random(2000, name.len() as u64);
    let file_id = max
        .upload(
            Announce {
                purpose: "share",
                content_type: "application/pdf",
                note: Some(note),
                ..folder(id, name, 2000)
            },
            &bytes,
            2000,
        )
        .await;
    let msg = messages(&max.open(id).await).pop().unwrap();
    (file_id, msg)
}

async fn an_offer_is_decided_once_and_reaches_the_crm(db: Db) {
    use dealchat::server::crm::builtin::BuiltinCrm;
    use dealchat::server::crm::sync as crm_sync;
    let app = spawn_app(db).await;
    let (clara, max, id) = deal_chat(&app).await;
    let (file_id, msg) = share(&max, id, "quotation.pdf", "#q quotation v1").await;
    assert_eq!(msg["kind"], "offer");
    assert_eq!(msg["body"], "quotation v1", "the marker is not shown");
    assert_eq!(msg["file"]["id"], file_id);
    assert_eq!(msg["offer"]["status"], "pending");
    let offer_id = msg["offer"]["id"].as_i64().unwrap();

    // Staff cannot decide for the client.
    assert_eq!(
        max.decide(offer_id, "accept", None).await.status,
        StatusCode::FORBIDDEN
    );
    let r = clara.decide(offer_id, "accept", None).await;
    assert_eq!(r.expect_ok()["status"], "accepted");
    let again = clara
        .decide(offer_id, "reject", Some("changed my mind"))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(
        again.body["Conflict"]
            .as_str()
            .unwrap()
            .contains("already accepted")
    );

    // Both sides see it, the card included.
    for who in [&clara, &max] {
        let msgs = messages(&who.open(id).await);
        let card = msgs.iter().find(|m| m["kind"] == "offer").unwrap();
        assert_eq!(card["offer"]["status"], "accepted");
        assert_eq!(msgs.last().unwrap()["kind"], "offer_decision");
    }

    // A plain share (no marker) is a file message, not an offer.
    let (_, plain) = share(&max, id, "photo.pdf", "site photo").await;
    assert_eq!(plain["kind"], "file");
    assert!(plain["offer"].is_null());

    let deal_id =
        dealchat::model::ids::DealId(clara.open(id).await["deal"]["id"].as_i64().unwrap());
    let crm = BuiltinCrm::new(app.db.clone());
    let mut notes = Vec::new();
    for _ in 0..60 {
        notes = crm_sync::crm_notes(&app.db, &crm, deal_id).await.unwrap();
        if !notes.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].contains("accepted “quotation v1”."),
        "{}",
        notes[0]
    );
    assert!(notes[0].contains("quotation.pdf"), "{}", notes[0]);
}
on_both_dbs!(an_offer_is_decided_once_and_reaches_the_crm);

async fn racing_decisions_record_exactly_one(db: Db) {
    let app = spawn_app(db).await;
    let (clara, max, id) = deal_chat(&app).await;
    let (_, msg) = share(&max, id, "invoice.pdf", "#q invoice 7").await;
    let offer_id = msg["offer"]["id"].as_i64().unwrap();
    let (a, b) = tokio::join!(
        clara.decide(offer_id, "accept", None),
        clara.decide(offer_id, "reject", Some("too high")),
    );
    let oks = [&a, &b]
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    let conflicts = [&a, &b]
        .iter()
        .filter(|r| r.status == StatusCode::CONFLICT)
        .count();
    assert_eq!((oks, conflicts), (1, 1), "{:?} / {:?}", a.body, b.body);
    let decisions = messages(&clara.open(id).await)
        .into_iter()
        .filter(|m| m["kind"] == "offer_decision")
        .count();
    assert_eq!(decisions, 1);
}
on_both_dbs!(racing_decisions_record_exactly_one);

async fn a_withdrawn_offer_cannot_be_decided(db: Db) {
    let app = spawn_app(db).await;
    let (clara, max, id) = deal_chat(&app).await;
    let (_, msg) = share(&max, id, "quote2.pdf", "#q quote 2").await;
    let offer_id = msg["offer"]["id"].as_i64().unwrap();
    // Only the deal's staff withdraw.
    let w = clara
        .call("offers/withdraw", &[("offer_id", &offer_id.to_string())])
        .await;
    assert_eq!(w.status, StatusCode::FORBIDDEN);
    max.call("offers/withdraw", &[("offer_id", &offer_id.to_string())])
        .await
        .expect_ok();
    let r = clara.decide(offer_id, "accept", None).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.body["Conflict"].as_str().unwrap().contains("withdrew"),
        "{:?}",
        r.body
    );
    let bad = clara.decide(offer_id, "perhaps", None).await;
    assert_eq!(bad.invalid_field(), Some("decision"));
}
on_both_dbs!(a_withdrawn_offer_cannot_be_decided);

async fn risky_types_are_downloaded_as_bytes(db: Db) {
    let app = spawn_app_with(db, &[("files.allowed_types", "text/html,application/zip")]).await;
    let (clara, max, id) = deal_chat(&app).await;
    let page = b"<script>alert(1)</script>";
    let file_id = clara
        .upload(
            Announce {
                content_type: "text/html",
                ..folder(id, "page.html", page.len() as u64)
            },
            page,
            100,
        )
        .await;
    let res = max.get(&format!("/files/{file_id}")).await;
    assert_eq!(res.headers()["content-type"], "application/octet-stream");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert!(
        res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
}
on_both_dbs!(risky_types_are_downloaded_as_bytes);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_local_store_an_upload_stays_on_the_instance_that_began_it() {
    let a = spawn_app(Db::Postgres).await;
    let b_dir =
        std::env::temp_dir().join(format!("dealchat-test-{}", uuid::Uuid::new_v4().simple()));
    let b = crate::helpers::spawn_instance(&a.db_url, b_dir, &[]).await;
    let (clara, _max, id) = deal_chat(&a).await;
    let created = clara.create_upload(&folder(id, "notes.zip", 10)).await;
    let location = created.header("location").expect("Location").to_owned();
    // Its staging file is on the first instance: the second says so (404, start over), not 500.
    let on_b = Client {
        http: clara.http.clone(),
        base: b.base.clone(),
    };
    assert_eq!(
        on_b.head_upload(&location).await.status,
        StatusCode::NOT_FOUND
    );
    let r = on_b.patch_upload(&location, 0, b"0123456789", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = clara.patch_upload(&location, 0, b"0123456789", None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert!(r.file_id().is_some());
}
