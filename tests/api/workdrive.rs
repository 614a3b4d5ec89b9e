//! Zoho WorkDrive as the file store, against the Zoho fake's WorkDrive: a folder per deal under
//! the configured team folder, each file pushed by a job the way its size asks (one upload,
//! stream mode, an upload session's chunks) and read back intact through the app. An upload is
//! answered at once and the file is read from the instance's copy until its push is done;
//! WorkDrive's refusals (a full store, a file too large) dead-letter the push with their reason
//! in the sync log and on the failed-jobs page, and a retry gets the file through.

use crate::files::{Announce, deal_chat, folder, pseudo_random, sha256_hex};
use crate::helpers::{Client, Db, TestApp, spawn_app_with, spawn_instance};
use crate::on_both_dbs;
use crate::zoho::connect;
use crate::zoho_fake::ZohoFake;
use dealchat::server::jobs;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

const MIB: u64 = 1024 * 1024;

/// Waits up to `secs` for `check` to answer something.
async fn within<T, F, Fut>(secs: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The files (not folders) WorkDrive holds.
async fn stored_files(fake: &ZohoFake) -> Vec<Value> {
    fake.workdrive_files()
        .await
        .into_iter()
        .filter(|f| f["is_folder"] == false)
        .collect()
}

/// Files still waiting in the instance's WorkDrive outbox.
fn outbox_files(app: &TestApp) -> usize {
    std::fs::read_dir(app.data_dir.join("workdrive-outbox"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// The settings of an app on the fake's WorkDrive (see `app_on_workdrive`).
fn workdrive_settings(fake: &ZohoFake, team: &str) -> Vec<(&'static str, String)> {
    vec![
        ("crm.zoho.accounts_url", fake.base.clone()),
        ("crm.zoho.api_url", fake.base.clone()),
        ("crm.zoho.workdrive_upload_url", fake.base.clone()),
        ("crm.zoho.workdrive_download_url", fake.base.clone()),
        ("crm.zoho.retry_base_ms", "50".into()),
        ("jobs.poll_ms", "100".into()),
        ("jobs.wait_recheck_secs", "1".into()),
        ("files.store", "workdrive".into()),
        ("files.workdrive.parent_id", team.to_owned()),
        ("files.workdrive.direct_max_bytes", MIB.to_string()),
        (
            "files.workdrive.chunked_from_bytes",
            (256 * MIB).to_string(),
        ),
    ]
}

/// An app keeping its files in the fake's WorkDrive: files up to 1 MiB in one upload, from
/// 256 MiB in chunks (Zoho opens sessions from 1 GB; both ends are lowered alike so the test
/// moves 300 MiB, not gigabytes), stream mode between.
async fn app_on_workdrive(db: Db, fake: &ZohoFake) -> TestApp {
    fake.config(json!({"chunk_min_file_bytes": 256 * MIB}))
        .await;
    let team = fake.team_folder().await;
    let settings = workdrive_settings(fake, &team);
    let pairs: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    spawn_app_with(db, &pairs).await
}

/// The WorkDrive item named `name` in `parent`.
fn item<'a>(items: &'a [Value], parent: &str, name: &str) -> Option<&'a Value> {
    items
        .iter()
        .find(|f| f["parent_id"] == parent && f["name"].as_str() == Some(name))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deal_files_land_in_workdrive_by_size_and_a_300_mib_file_by_chunks() {
    let fake = ZohoFake::start().await;
    let app = app_on_workdrive(Db::Sqlite, &fake).await;
    connect(&app, &fake).await;
    let (clara, max, id) = deal_chat(&app).await;
    let deal_id = clara.open(id).await["deal"]["id"].as_i64().unwrap();

    // The deal's folder was made with the deal, under the team folder.
    let team = fake.team_folder().await;
    let items = fake.workdrive_files().await;
    let deals = item(&items, &team, "deals").expect("a deals folder in the team folder");
    let deal_folder = item(&items, deals["id"].as_str().unwrap(), &deal_id.to_string())
        .expect("the deal's folder")
        .clone();
    assert_eq!(deal_folder["is_folder"], true);

    let small = pseudo_random(200 * 1024 + 7, 3);
    let middle = pseudo_random(3 * MIB as usize + 11, 4);
    let large = pseudo_random(300 * MIB as usize, 5);
    fake.clear_requests().await;
    let mut ids = Vec::new();
    for (name, bytes) in [
        ("notes.zip", &small),
        ("plans.zip", &middle),
        ("survey.zip", &large),
    ] {
        ids.push(
            clara
                .upload(
                    Announce {
                        sha256: Some(sha256_hex(bytes)),
                        ..folder(id, name, bytes.len() as u64)
                    },
                    bytes,
                    32 * MIB as usize,
                )
                .await,
        );
    }

    // Each file is pushed to the deal's folder by its job, with its bytes intact.
    // Done once WorkDrive holds them and the app has noted them and dropped its copies.
    within(240, "the three pushes", || async {
        (stored_files(&fake).await.len() == 3 && outbox_files(&app) == 0).then_some(())
    })
    .await;
    let items = fake.workdrive_files().await;
    let in_folder: Vec<&Value> = items
        .iter()
        .filter(|f| f["parent_id"] == deal_folder["id"])
        .collect();
    assert_eq!(in_folder.len(), 3, "{in_folder:?}");
    for (name, bytes) in [
        ("notes.zip", &small),
        ("plans.zip", &middle),
        ("survey.zip", &large),
    ] {
        let stored = in_folder
            .iter()
            .find(|f| f["name"].as_str().unwrap().ends_with(&format!("-{name}")))
            .unwrap_or_else(|| panic!("{name} is not in the deal's folder: {in_folder:?}"));
        assert_eq!(stored["size"].as_u64(), Some(bytes.len() as u64), "{name}");
        assert_eq!(
            stored["sha256"].as_str(),
            Some(sha256_hex(bytes).as_str()),
            "{name}"
        );
    }

    // The small file went up in one POST /upload, the middle one whole in stream mode, the large
    // one in five chunks of the session WorkDrive opened (64 MiB each, the last 44 MiB).
    let requests = fake.requests().await;
    let to = |path: &str| -> Vec<&Value> {
        requests
            .iter()
            .filter(|r| r["path"].as_str() == Some(path))
            .collect()
    };
    assert_eq!(to("/workdrive/api/v1/upload").len(), 1);
    let streamed = to("/workdrive-api/v1/stream/upload");
    let (chunks, whole): (Vec<&Value>, Vec<&Value>) = streamed
        .iter()
        .partition(|r| r["headers"]["content-range"].is_string());
    assert_eq!(whole.len(), 1, "{whole:?}");
    assert_eq!(whole[0]["headers"]["x-streammode"], "1");
    let ranges: Vec<&str> = chunks
        .iter()
        .map(|r| r["headers"]["content-range"].as_str().unwrap())
        .collect();
    let total = 300 * MIB;
    assert_eq!(
        ranges,
        (0..5)
            .map(|n| format!(
                "bytes {}-{}/{total}",
                n * 64 * MIB,
                ((n + 1) * 64 * MIB).min(total) - 1
            ))
            .collect::<Vec<_>>()
    );
    assert_eq!(to("/workdrive/api/v1/uploadsession/create").len(), 1);
    assert_eq!(to("/workdrive/api/v1/uploadsession/commit").len(), 1);
    for r in &requests {
        assert!(
            r["headers"]["authorization"]
                .as_str()
                .is_some_and(|a| a.starts_with("Zoho-oauthtoken ")),
            "a WorkDrive call without the token: {r}"
        );
    }

    // The manager reads each back through the app, as from the local store.
    for (file_id, bytes) in ids.iter().zip([&small, &middle, &large]) {
        let res = max.get(&format!("/files/{file_id}")).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            res.headers()["content-length"].to_str().unwrap(),
            bytes.len().to_string()
        );
        assert_eq!(
            res.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .split(';')
                .next(),
            Some("attachment")
        );
        assert_eq!(sha256_hex(&res.bytes().await.unwrap()), sha256_hex(bytes));
    }
    // Nothing is left staged or waiting on the instance's disk.
    let staged = std::fs::read_dir(app.data_dir.join("staging"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!((staged, outbox_files(&app)), (0, 0));
    // Each push is a line of the sync log, on the deal.
    let admin = app.admin().await;
    let log = admin.call("admin/crm/log", &[]).await.expect_ok().clone();
    let stored: Vec<&Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["provider"] == "workdrive" && l["action"] == "Stored the file")
        .collect();
    assert_eq!(stored.len(), 3, "{log}");
    assert!(stored.iter().all(|l| l["deal_id"] == deal_id), "{log}");
}

/// A file's bytes as the app serves them to `who`: the status and, when 200, the bytes' SHA-256.
async fn read_back(who: &Client, file_id: i64) -> (StatusCode, String) {
    let res = who.get(&format!("/files/{file_id}")).await;
    let status = res.status();
    let body = res.bytes().await.unwrap();
    if status == StatusCode::OK {
        (status, sha256_hex(&body))
    } else {
        (status, String::from_utf8_lossy(&body).into_owned())
    }
}

/// The pushes in the dead letter, with their reasons.
async fn failed_pushes(app: &TestApp) -> Vec<String> {
    jobs::failed(&app.db, 50)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.job == "workdrive_push")
        .map(|j| j.last_error)
        .collect()
}

/// An upload is answered before WorkDrive is reached: while Zoho is not connected the file is
/// kept and served from the instance's copy (another instance, without the copy, says to try
/// again) and its push waits; once connected, the push goes through. A full WorkDrive and a file
/// too large dead-letter their pushes with the reason (the failed-jobs page, the sync log with
/// Retry) while the files stay readable; once WorkDrive takes them, a retry gets them through and
/// the copies go.
async fn workdrive_pushes_wait_refusals_are_told_and_retries_get_through(db: Db) {
    let fake = ZohoFake::start().await;
    let app = app_on_workdrive(db, &fake).await;
    let (clara, max, id) = deal_chat(&app).await;
    let send = |name: &'static str, seed: u64| {
        let clara = clara.clone();
        async move {
            let bytes = pseudo_random(5000, seed);
            let file_id = clara.upload(folder(id, name, 5000), &bytes, 5000).await;
            (file_id, sha256_hex(&bytes))
        }
    };

    // Not connected: the upload is taken and the file served from this instance's copy.
    let (early, early_sum) = send("early.zip", 8).await;
    assert_eq!(
        read_back(&max, early).await,
        (StatusCode::OK, early_sum.clone())
    );
    // An instance with a data directory of its own has no copy: it says to try again soon.
    let other_dir = app.data_dir.join("other-instance");
    std::fs::create_dir_all(&other_dir).unwrap();
    // Instances share the key that opens the stored Zoho grant (`secrets.key`).
    std::fs::copy(
        app.data_dir.join("secrets_key"),
        other_dir.join("secrets_key"),
    )
    .unwrap();
    let team = fake.team_folder().await;
    let settings = workdrive_settings(&fake, &team);
    let pairs: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let other = spawn_instance(&app.db_url, other_dir, &pairs).await;
    let max_there = Client {
        base: other.base.clone(),
        ..max.clone()
    };
    let (status, body) = read_back(&max_there, early).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains("still on its way to WorkDrive"), "{body}");
    assert!(stored_files(&fake).await.is_empty());

    // Connected: the waiting push goes up (from this instance: the other has no copy and does
    // not take it), and every instance reads the file from WorkDrive.
    connect(&app, &fake).await;
    within(30, "the waiting push", || async {
        (stored_files(&fake).await.len() == 1 && outbox_files(&app) == 0).then_some(())
    })
    .await;
    assert_eq!(
        read_back(&max_there, early).await,
        (StatusCode::OK, early_sum)
    );
    assert!(failed_pushes(&app).await.is_empty());

    // Full, then a file too large: each push is dead-lettered with its reason; the files stay
    // readable from their copies.
    fake.config(json!({"workdrive_quota_bytes": 1000})).await;
    let (full, full_sum) = send("full.zip", 9).await;
    within(30, "the full store's refusal", || async {
        (failed_pushes(&app).await.len() == 1).then_some(())
    })
    .await;
    fake.config(json!({"workdrive_quota_bytes": null, "workdrive_upload_max_bytes": 1000}))
        .await;
    let (big, big_sum) = send("big.zip", 10).await;
    let reasons = within(30, "the size refusal", || async {
        let reasons = failed_pushes(&app).await;
        (reasons.len() == 2).then_some(reasons)
    })
    .await;
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("WorkDrive's storage is full")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("larger than it takes")),
        "{reasons:?}"
    );
    assert_eq!(
        read_back(&max, full).await,
        (StatusCode::OK, full_sum.clone())
    );
    assert_eq!(
        read_back(&max, big).await,
        (StatusCode::OK, big_sum.clone())
    );
    assert_eq!(stored_files(&fake).await.len(), 1);
    assert_eq!(
        clara
            .deal_files(id)
            .await
            .expect_ok()
            .as_array()
            .map(Vec::len),
        Some(3)
    );

    // The sync log tells both failures on the deal, with Retry; once WorkDrive takes files
    // again, retrying them gets both through and the copies go.
    let admin = app.admin().await;
    let log = admin.call("admin/crm/log", &[]).await.expect_ok().clone();
    let failures: Vec<String> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["provider"] == "workdrive" && l["outcome"] == "failed")
        .inspect(|l| assert_eq!(l["can_retry"], true, "{l}"))
        .map(|l| l["id"].to_string())
        .collect();
    assert_eq!(failures.len(), 2, "{log}");
    fake.config(json!({"workdrive_upload_max_bytes": 250 * MIB}))
        .await;
    for line in &failures {
        admin
            .call("admin/crm/log/retry", &[("entry_id", line)])
            .await
            .expect_ok();
    }
    within(30, "the retried pushes", || async {
        (stored_files(&fake).await.len() == 3 && outbox_files(&app) == 0).then_some(())
    })
    .await;
    assert!(failed_pushes(&app).await.is_empty());
    assert_eq!(
        read_back(&max_there, full).await,
        (StatusCode::OK, full_sum)
    );
    assert_eq!(read_back(&max_there, big).await, (StatusCode::OK, big_sum));
}
on_both_dbs!(workdrive_pushes_wait_refusals_are_told_and_retries_get_through);
