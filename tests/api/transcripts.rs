//! Deal transcripts: closing a deal makes its transcript (PDF) by a durable job; it is kept once
//! in the deal's folder (both sides download it) and attached once to the CRM deal, also when a
//! delivery is repeated after a crash; staff who manage the deal have it made again; a job that
//! cannot render is retried, then listed as failed with its reason.

use crate::files::{deal_chat, folder, pseudo_random, share};
use crate::helpers::{Client, Db, TestApp, msg_id, spawn_app, spawn_app_with};
use crate::on_both_dbs;
use dealchat::model::chat::FileOrigin;
use dealchat::model::ids::DealId;
use dealchat::server::jobs::{self, Job};
use dealchat::server::platform::entities::{crm_attachment, crm_ref, file};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;
use std::time::Duration;

async fn close(who: &Client, id: i64) {
    who.call(
        "chats/deal/close",
        &[
            ("conversation_id", &id.to_string()),
            ("outcome", "won"),
            ("note", "Signed"),
        ],
    )
    .await
    .expect_ok();
}

/// The deal's transcript once `ready` says so of it, within 60 s.
async fn transcript_when(who: &Client, id: i64, ready: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..600 {
        let t = who.open(id).await["deal"]["transcript"].clone();
        if !t.is_null() && ready(&t) {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no transcript for chat {id}");
}

async fn crm_attachments(app: &TestApp) -> Vec<crm_attachment::Model> {
    crm_attachment::Entity::find().all(&app.db).await.unwrap()
}

/// The CRM's attachments once `n` are there and each is the transcript with this digest.
async fn attached(app: &TestApp, sha256: &str) -> Vec<crm_attachment::Model> {
    for _ in 0..600 {
        let all = crm_attachments(app).await;
        if !all.is_empty() && all.iter().all(|a| a.sha256 == sha256) {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the transcript {sha256} was not attached: {:?}",
        crm_attachments(app)
            .await
            .iter()
            .map(|a| &a.sha256)
            .collect::<Vec<_>>()
    );
}

/// Runs a poppler tool on a PDF; its standard output.
fn poppler(tool: &str, pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new(tool)
        .arg(&path)
        .args(if tool == "pdftotext" {
            &["-"][..]
        } else {
            &[][..]
        })
        .output()
        .unwrap_or_else(|e| {
            panic!("{tool} (poppler-utils, installed by scripts/setup.sh --test): {e}")
        });
    assert!(
        out.status.success(),
        "{tool}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn a_closed_deals_transcript_is_kept_in_its_folder_and_on_the_crm_deal_once(db: Db) {
    let app = spawn_app(db).await;
    let (clara, max, id) = deal_chat(&app).await;
    let sid = id.to_string();
    clara
        .send(
            id,
            &msg_id(),
            "Привет! Γειά σου. مرحبا שלום 你好，こんにちは 안녕하세요",
        )
        .await
        .expect_ok();
    max.send(id, &msg_id(), "Here is the quote.")
        .await
        .expect_ok();
    share(&max, id, "quotation.pdf", "#q quotation v1").await;
    let bytes = pseudo_random(700, 3);
    clara.upload(folder(id, "plan.zip", 700), &bytes, 700).await;
    let plan_sha = file::Entity::find()
        .filter(file::Column::Name.eq("plan.zip"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .sha256;
    close(&max, id).await;

    let t = transcript_when(&clara, id, |_| true).await;
    assert_eq!(t["content_type"], "application/pdf");
    let file_id = t["id"].as_i64().unwrap();
    let sha = t["sha256"].as_str().unwrap().to_owned();

    // Both sides download it; others learn nothing of it.
    let mut pdf = Vec::new();
    for who in [&clara, &max] {
        let got = who.get(&format!("/files/{file_id}")).await;
        assert_eq!(got.status(), StatusCode::OK);
        pdf = got.bytes().await.unwrap().to_vec();
        assert!(pdf.starts_with(b"%PDF-"));
        assert_eq!(dealchat_sha(&pdf), sha);
    }
    let eve = app.signed_up_client("eve@example.com").await;
    assert_eq!(
        eve.get(&format!("/files/{file_id}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_ne!(
        app.client()
            .get(&format!("/files/{file_id}"))
            .await
            .status(),
        StatusCode::OK
    );

    // What it says: the deal, the messages in every script, the shared and uploaded files.
    let text = poppler("pdftotext", &pdf);
    for expected in [
        "Transcript: Roof",
        "Client Person <clara@example.com>",
        "Привет!",
        "Γειά σου.",
        "你好",
        "こんにちは",
        "안녕하세요",
        "Here is the quote.",
        "quotation.pdf",
        "Offer “quotation v1”: withdrawn",
        "Max withdrew “quotation v1”. File: quotation.pdf",
        "Won, closed by Max. Reason: Signed",
        "page 1/1",
        &plan_sha[..32],
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    // Right-to-left and CJK text are set in fonts that have them, embedded as subsets.
    let fonts = poppler("pdffonts", &pdf);
    for face in [
        "NotoSans-Regular",
        "NotoSansArabic",
        "NotoSansHebrew",
        "NotoSansCJK",
    ] {
        assert!(fonts.contains(face), "{face} missing from:\n{fonts}");
    }

    // Kept once in the deal's folder, listed with its files.
    let transcripts = || async {
        file::Entity::find()
            .filter(file::Column::Origin.eq(FileOrigin::Transcript.as_str()))
            .all(&app.db)
            .await
            .unwrap()
    };
    assert_eq!(transcripts().await.len(), 1);
    let listed = clara.call("files/list", &[("conversation_id", &sid)]).await;
    assert!(
        listed
            .expect_ok()
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["file"]["id"] == file_id),
        "{:?}",
        listed.body
    );

    // Attached once to the CRM deal.
    let first = attached(&app, &sha).await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].body, pdf);

    // A delivery repeated after a crash (the attachment made, our record of it lost) attaches
    // nothing twice.
    crm_ref::Entity::delete_many()
        .filter(crm_ref::Column::Entity.eq("transcript"))
        .exec(&app.db)
        .await
        .unwrap();
    let deal_id = DealId(max.open(id).await["deal"]["id"].as_i64().unwrap());
    jobs::enqueue(&app.db, Job::TranscriptToCrm { deal_id })
        .await
        .unwrap();
    for _ in 0..100 {
        let kept = crm_ref::Entity::find()
            .filter(crm_ref::Column::Entity.eq("transcript"))
            .one(&app.db)
            .await
            .unwrap();
        if kept.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(crm_attachments(&app).await.len(), 1);

    // Made again: who may not (404, 403, 401), then the manager; the new one replaces the old
    // one in the folder and on the CRM deal.
    let again = "chats/deal/transcript";
    let form = [("conversation_id", sid.as_str())];
    assert_eq!(eve.call(again, &form).await.status, StatusCode::NOT_FOUND);
    assert_eq!(clara.call(again, &form).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.client().call(again, &form).await.status,
        StatusCode::UNAUTHORIZED
    );
    tokio::time::sleep(Duration::from_millis(1100)).await; // Its "generated at" differs.
    max.call(again, &form).await.expect_ok();
    let newer = transcript_when(&max, id, |t| t["sha256"] != sha.as_str()).await;
    assert_eq!(newer["id"], file_id, "replaced in place");
    let newer_sha = newer["sha256"].as_str().unwrap();
    let now = attached(&app, newer_sha).await;
    assert_eq!(now.len(), 1, "the old attachment is removed");
    assert_eq!(transcripts().await.len(), 1);
    let got = clara.get(&format!("/files/{file_id}")).await;
    assert_eq!(dealchat_sha(&got.bytes().await.unwrap()), newer_sha);
}
on_both_dbs!(a_closed_deals_transcript_is_kept_in_its_folder_and_on_the_crm_deal_once);

async fn an_open_deals_transcript_is_not_made(db: Db) {
    let app = spawn_app(db).await;
    let (_clara, max, id) = deal_chat(&app).await;
    let reply = max
        .call(
            "chats/deal/transcript",
            &[("conversation_id", &id.to_string())],
        )
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{:?}", reply.body);
    assert!(max.open(id).await["deal"]["transcript"].is_null());
}
on_both_dbs!(an_open_deals_transcript_is_not_made);

/// Without its fonts a transcript cannot be made: the job is retried, then listed as failed with
/// the reason, and the chat says the transcript is still to come.
async fn a_transcript_that_cannot_be_made_is_retried_then_listed_as_failed(db: Db) {
    let app = spawn_app_with(
        db,
        &[
            ("transcripts.font_dir", "/nonexistent-fonts"),
            ("jobs.max_attempts", "2"),
            ("jobs.poll_ms", "50"),
        ],
    )
    .await;
    let (_clara, max, id) = deal_chat(&app).await;
    close(&max, id).await;
    let mut failed = Vec::new();
    for _ in 0..200 {
        failed = jobs::failed(&app.db, 10).await.unwrap();
        if !failed.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let job = failed
        .iter()
        .find(|j| j.job == "render_transcript")
        .unwrap_or_else(|| panic!("{failed:?}"));
    assert_eq!(job.attempts, 2);
    assert!(
        job.last_error.contains("/nonexistent-fonts"),
        "{}",
        job.last_error
    );
    assert!(job.target.starts_with("deal "), "{}", job.target);
    assert!(max.open(id).await["deal"]["transcript"].is_null());
}
on_both_dbs!(a_transcript_that_cannot_be_made_is_retried_then_listed_as_failed);

fn dealchat_sha(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The deal's record page: its fields, its stage history, its files with the transcript, what
/// the CRM holds (the transcript attached, the offer's note) and its chat; for staff who may see
/// the deal only.
async fn a_deals_record_page_shows_its_history_attachments_notes_and_chats(db: Db) {
    let app = spawn_app(db).await;
    let (clara, max, id) = deal_chat(&app).await;
    let sid = id.to_string();
    max.call(
        "chats/stage",
        &[("conversation_id", sid.as_str()), ("stage", "proposal")],
    )
    .await
    .expect_ok();
    let (_, offer) = share(&max, id, "quotation.pdf", "#q quotation v1").await;
    clara
        .decide(offer["offer"]["id"].as_i64().unwrap(), "accept", None)
        .await
        .expect_ok();
    close(&max, id).await;
    let t = transcript_when(&clara, id, |_| true).await;
    attached(&app, t["sha256"].as_str().unwrap()).await;
    let deal_id = max.open(id).await["deal"]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let form = [("deal_id", deal_id.as_str())];

    let mut record = Value::Null;
    for _ in 0..100 {
        record = max.call("deals/record", &form).await.expect_ok().clone();
        if record["crm_notes"]
            .as_array()
            .is_some_and(|n| !n.is_empty())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(record["deal"]["title"], "Roof");
    assert_eq!(record["deal"]["outcome"], "won");
    let history: Vec<&str> = record["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        history,
        [
            "Deal opened at Inquiry.",
            "Max moved the deal from Inquiry to Proposal.",
            "Max closed the deal as won. Reason: Signed",
        ],
        "the deal's own changes, oldest first"
    );
    let files: Vec<&str> = record["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"]["name"].as_str().unwrap())
        .collect();
    assert!(files.contains(&"quotation.pdf"), "{files:?}");
    let made = record["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["file"]["name"]
                .as_str()
                .unwrap()
                .starts_with("transcript-deal-")
        })
        .unwrap_or_else(|| panic!("{files:?}"));
    assert_eq!(made["uploader_name"], "Made at the close");
    let attached: Vec<&str> = record["crm_attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(attached, [t["name"].as_str().unwrap()]);
    let notes = record["crm_notes"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().unwrap().contains("accepted “quotation v1”")),
        "{notes:?}"
    );
    let chats = record["chats"].as_array().unwrap();
    assert_eq!(chats.len(), 1);
    assert_eq!(chats[0]["id"], id);
    assert_eq!(chats[0]["status"], "closed");

    // Administrators see every deal; another manager, the client and strangers see nothing.
    app.admin()
        .await
        .call("deals/record", &form)
        .await
        .expect_ok();
    let olga = app.manager("olga@example.com", "Olga").await;
    assert_eq!(
        olga.call("deals/record", &form).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        clara.call("deals/record", &form).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.client().call("deals/record", &form).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        max.call("deals/record", &[("deal_id", "999999")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
on_both_dbs!(a_deals_record_page_shows_its_history_attachments_notes_and_chats);
