//! Zoho WorkDrive as the file store, against the Zoho fake's WorkDrive: a folder per deal under
//! the configured team folder, each file sent the way its size asks (one upload, stream mode,
//! an upload session's chunks) and read back intact through the app; WorkDrive's refusals (a
//! full store, a file too large) reach the uploader in words and leave nothing behind.

use crate::files::{Announce, deal_chat, folder, pseudo_random, sha256_hex};
use crate::helpers::{Db, TestApp, spawn_app_with};
use crate::on_both_dbs;
use crate::zoho::connect;
use crate::zoho_fake::ZohoFake;
use reqwest::StatusCode;
use serde_json::{Value, json};

const MIB: u64 = 1024 * 1024;

/// An app keeping its files in the fake's WorkDrive: files up to 1 MiB in one upload, from
/// 256 MiB in chunks (Zoho opens sessions from 1 GB; both ends are lowered alike so the test
/// moves 300 MiB, not gigabytes), stream mode between.
async fn app_on_workdrive(db: Db, fake: &ZohoFake) -> TestApp {
    fake.config(json!({"chunk_min_file_bytes": 256 * MIB}))
        .await;
    let team = fake.team_folder().await;
    let direct = MIB.to_string();
    let chunked = (256 * MIB).to_string();
    spawn_app_with(
        db,
        &[
            ("crm.zoho.accounts_url", fake.base.as_str()),
            ("crm.zoho.api_url", fake.base.as_str()),
            ("crm.zoho.workdrive_upload_url", fake.base.as_str()),
            ("crm.zoho.workdrive_download_url", fake.base.as_str()),
            ("crm.zoho.retry_base_ms", "50"),
            ("jobs.poll_ms", "100"),
            ("files.store", "workdrive"),
            ("files.workdrive.parent_id", team.as_str()),
            ("files.workdrive.direct_max_bytes", direct.as_str()),
            ("files.workdrive.chunked_from_bytes", chunked.as_str()),
        ],
    )
    .await
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

    // Each file is in the deal's folder with its bytes intact.
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
    // Nothing is left staged on the instance's disk.
    let staged = std::fs::read_dir(app.data_dir.join("staging"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(staged, 0);
}

/// WorkDrive's refusals are told to the uploader, and neither the app nor WorkDrive keeps the
/// file; without a Zoho connection the upload is refused as unavailable.
async fn workdrive_refusals_reach_the_uploader(db: Db) {
    let fake = ZohoFake::start().await;
    let app = app_on_workdrive(db, &fake).await;
    let (clara, _max, id) = deal_chat(&app).await;
    let bytes = pseudo_random(5000, 8);
    let send = |name: &'static str| {
        let clara = clara.clone();
        let bytes = bytes.clone();
        async move {
            let created = clara
                .create_upload(&folder(id, name, bytes.len() as u64))
                .await;
            assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
            let location = created.header("location").unwrap().to_owned();
            let r = clara.patch_upload(&location, 0, &bytes, None).await;
            let body: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
            (r.status, body)
        }
    };

    // Not connected yet: the store cannot be reached.
    let (status, body) = send("early.zip").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(
        body.to_string().contains("upload the file again later"),
        "{body}"
    );

    connect(&app, &fake).await;
    fake.config(json!({"workdrive_quota_bytes": 1000})).await;
    let (status, body) = send("full.zip").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body.to_string().contains("WorkDrive's storage is full"),
        "{body}"
    );

    fake.config(json!({"workdrive_quota_bytes": null, "workdrive_upload_max_bytes": 1000}))
        .await;
    let (status, body) = send("big.zip").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.to_string().contains("larger than it takes"), "{body}");

    // No file was recorded, and WorkDrive holds folders only.
    let listed = clara.deal_files(id).await.expect_ok().clone();
    assert_eq!(listed.as_array().map(Vec::len), Some(0), "{listed}");
    assert!(
        fake.workdrive_files()
            .await
            .iter()
            .all(|f| f["is_folder"] == true)
    );

    // Once WorkDrive takes files again, the same upload goes through.
    fake.config(json!({"workdrive_upload_max_bytes": 250 * MIB}))
        .await;
    let (status, body) = send("fine.zip").await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(
        fake.workdrive_files()
            .await
            .iter()
            .filter(|f| f["is_folder"] == false)
            .count(),
        1
    );
}
on_both_dbs!(workdrive_refusals_reach_the_uploader);
