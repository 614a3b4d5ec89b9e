//! The S3 file store against a real S3-compatible server (SeaweedFS, started by the README's
//! test command, which sets DEALCHAT_TEST_S3_*). Each test uses a bucket of its own.

use crate::files::{Announce, deal_chat, folder, pseudo_random, sha256_hex};
use crate::helpers::{Db, TestApp, spawn_app_with};
use dealchat::server::platform::config::S3Settings;
use dealchat::server::storage::{FileStore, StoreKey, s3::S3Store};
use reqwest::StatusCode;
use secrecy::ExposeSecret;

fn s3_settings(bucket: &str) -> S3Settings {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!(
                "{name} is not set: run the tests with scripts/test.sh, which starts the S3 server"
            )
        })
    };
    S3Settings {
        endpoint: var("DEALCHAT_TEST_S3_ENDPOINT"),
        bucket: bucket.to_owned(),
        region: "us-east-1".to_owned(),
        access_key_id: var("DEALCHAT_TEST_S3_KEY"),
        secret_access_key: var("DEALCHAT_TEST_S3_SECRET").into(),
    }
}

async fn spawn_on_s3() -> (TestApp, S3Store) {
    let bucket = format!(
        "dealchat-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let s3 = s3_settings(&bucket);
    let app = spawn_app_with(
        Db::Sqlite,
        &[
            ("files.store", "s3"),
            ("files.s3.endpoint", &s3.endpoint),
            ("files.s3.bucket", &s3.bucket),
            ("files.s3.access_key_id", &s3.access_key_id),
            (
                "files.s3.secret_access_key",
                s3.secret_access_key.expose_secret(),
            ),
        ],
    )
    .await;
    let store = S3Store::new(&s3).unwrap();
    (app, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_go_to_the_deals_prefix_in_the_bucket_and_come_back_intact() {
    let (app, store) = spawn_on_s3().await;
    let (clara, max, id) = deal_chat(&app).await;
    let deal_id =
        dealchat::model::ids::DealId(clara.open(id).await["deal"]["id"].as_i64().unwrap());
    let prefix = StoreKey::parse(&format!("deals/{deal_id}")).unwrap();
    // The folder was made with the deal: its marker is there, no files yet.
    assert!(store.get(&prefix.child(".folder").unwrap()).await.is_ok());
    assert_eq!(store.list(&prefix).await.unwrap(), Vec::<String>::new());

    // Over one 8 MiB part, so the object is sent as a multipart upload.
    let bytes = pseudo_random(9 * 1024 * 1024 + 123, 21);
    let file_id = clara
        .upload(
            folder(id, "survey.zip", bytes.len() as u64),
            &bytes,
            4 * 1024 * 1024,
        )
        .await;
    let keys = store.list(&prefix).await.unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(keys[0].ends_with("-survey.zip"), "{keys:?}");

    let res = max.get(&format!("/files/{file_id}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-length"].to_str().unwrap(),
        bytes.len().to_string()
    );
    assert_eq!(sha256_hex(&res.bytes().await.unwrap()), sha256_hex(&bytes));
    // Nothing of the upload is left in staging.
    assert_eq!(
        std::fs::read_dir(app.data_dir.join("staging"))
            .unwrap()
            .count(),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_upload_leaves_no_object_in_the_bucket() {
    let (app, store) = spawn_on_s3().await;
    let (clara, _max, id) = deal_chat(&app).await;
    let deal_id =
        dealchat::model::ids::DealId(clara.open(id).await["deal"]["id"].as_i64().unwrap());
    let bytes = pseudo_random(5000, 2);
    let created = clara
        .create_upload(&Announce {
            sha256: Some(sha256_hex(b"something else")),
            ..folder(id, "wrong.zip", 5000)
        })
        .await;
    let location = created.header("location").unwrap().to_owned();
    let r = clara.patch_upload(&location, 0, &bytes, None).await;
    assert_eq!(r.status.as_u16(), 460);
    let prefix = StoreKey::parse(&format!("deals/{deal_id}")).unwrap();
    assert_eq!(store.list(&prefix).await.unwrap(), Vec::<String>::new());
}
