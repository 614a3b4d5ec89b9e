//! The S3 file store against a real S3-compatible server (SeaweedFS, started by the README's
//! test command, which sets DEALCHAT_TEST_S3_*). Each test uses a bucket of its own. Uploads
//! stage in the bucket, so two instances on one PostgreSQL database take turns at one upload.

use crate::files::{Announce, deal_chat, folder, pseudo_random, sha256_hex};
use crate::helpers::{Client, Db, TestApp, fresh_database, spawn_instance};
use dealchat::server::platform::config::S3Settings;
use dealchat::server::storage::{FileStore, StoreKey, s3::S3Store};
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

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

fn new_bucket() -> S3Settings {
    s3_settings(&format!(
        "dealchat-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    ))
}

fn s3_overrides(s3: &S3Settings) -> Vec<(&'static str, String)> {
    vec![
        ("files.store", "s3".into()),
        ("files.s3.endpoint", s3.endpoint.clone()),
        ("files.s3.bucket", s3.bucket.clone()),
        ("files.s3.access_key_id", s3.access_key_id.clone()),
        (
            "files.s3.secret_access_key",
            s3.secret_access_key.expose_secret().to_owned(),
        ),
    ]
}

/// `count` instances on one fresh database of kind `db`, all on one new bucket.
async fn instances_on_s3(db: Db, count: usize) -> (Vec<TestApp>, S3Store) {
    let s3 = new_bucket();
    let overrides = s3_overrides(&s3);
    let extra: Vec<(&str, &str)> = overrides.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (url, data_dir) = fresh_database(db).await;
    let mut apps = vec![spawn_instance(&url, data_dir, &extra).await];
    for _ in 1..count {
        let dir =
            std::env::temp_dir().join(format!("dealchat-test-{}", uuid::Uuid::new_v4().simple()));
        apps.push(spawn_instance(&url, dir, &extra).await);
    }
    (apps, S3Store::new(&s3).unwrap())
}

async fn spawn_on_s3() -> (TestApp, S3Store) {
    let (mut apps, store) = instances_on_s3(Db::Sqlite, 1).await;
    (apps.remove(0), store)
}

/// Nothing staged on an instance's own disk.
fn staging_is_empty(app: &TestApp) {
    let staged = std::fs::read_dir(app.data_dir.join("staging"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(staged, 0, "files staged on local disk");
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
    // Nothing of the upload is left in staging, on disk or in the bucket.
    staging_is_empty(&app);
    let staging = StoreKey::parse("staging").unwrap();
    assert_eq!(store.list(&staging).await.unwrap(), Vec::<String>::new());
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

/// The same browser (its session cookie) talking to another instance.
fn on(app: &TestApp, client: &Client) -> Client {
    Client {
        http: client.http.clone(),
        base: app.base.clone(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_take_turns_at_one_upload() {
    let (apps, store) = instances_on_s3(Db::Postgres, 2).await;
    let (a, b) = (&apps[0], &apps[1]);
    let (clara, max, id) = deal_chat(a).await;
    let clara_at = [on(a, &clara), on(b, &clara)];
    // Chunks of 3 MiB: parts (8 MiB) fill across chunks and instances, and what is left at the
    // end of a chunk waits in the bucket for the next one, wherever it lands.
    let bytes = pseudo_random(21 * 1024 * 1024 + 77, 5);
    let created = clara_at[0]
        .create_upload(&Announce {
            sha256: Some(sha256_hex(&bytes)),
            ..folder(id, "plans.zip", bytes.len() as u64)
        })
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let location = created.header("location").unwrap().to_owned();
    let mut offset = 0usize;
    let mut file_id = None;
    for (n, piece) in bytes.chunks(3 * 1024 * 1024).enumerate() {
        let (here, there) = (&clara_at[n % 2], &clara_at[(n + 1) % 2]);
        // The other instance knows how far the upload is.
        let head = there.head_upload(&location).await;
        assert_eq!(head.status, StatusCode::OK, "{}", head.body);
        assert_eq!(head.offset(), offset as u64, "HEAD before chunk {n}");
        let sum: [u8; 32] = Sha256::digest(piece).into();
        if n == 3 {
            // A chunk spoilt on the way is refused and changes nothing, on either instance.
            let mut spoilt = piece.to_vec();
            spoilt[100] ^= 1;
            let r = here
                .patch_upload(&location, offset as u64, &spoilt, Some(sum))
                .await;
            assert_eq!(r.status.as_u16(), 460, "{}", r.body);
            assert_eq!(there.head_upload(&location).await.offset(), offset as u64);
            // A stale offset is answered with the real one.
            let r = there.patch_upload(&location, 0, piece, Some(sum)).await;
            assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
            assert_eq!(r.offset(), offset as u64);
        }
        let r = here
            .patch_upload(&location, offset as u64, piece, Some(sum))
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "chunk {n}: {}", r.body);
        offset += piece.len();
        assert_eq!(r.offset(), offset as u64);
        file_id = r.file_id();
    }
    let file_id = file_id.expect("the last chunk names the stored file");
    for app in [a, b] {
        let res = on(app, &max).get(&format!("/files/{file_id}")).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(sha256_hex(&res.bytes().await.unwrap()), sha256_hex(&bytes));
        staging_is_empty(app);
    }
    let staging = StoreKey::parse("staging").unwrap();
    assert_eq!(store.list(&staging).await.unwrap(), Vec::<String>::new());
    let listed = clara.deal_files(id).await;
    let list = listed.expect_ok().as_array().expect("list").clone();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["file"]["name"], "plans.zip");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunk_being_written_on_one_instance_locks_the_upload_on_every_instance() {
    let (apps, store) = instances_on_s3(Db::Postgres, 2).await;
    let (a, b) = (&apps[0], &apps[1]);
    let (clara, _max, id) = deal_chat(a).await;
    let bytes = pseudo_random(6 * 1024 * 1024 + 10, 9);
    let created = clara
        .create_upload(&folder(id, "model.zip", bytes.len() as u64))
        .await;
    let location = created.header("location").unwrap().to_owned();
    let token = location.rsplit('/').next().unwrap().to_owned();
    // 6 MiB: one part, then 10 bytes left in the bucket as the tail.
    let first = &bytes[..6 * 1024 * 1024];
    let r = clara.patch_upload(&location, 0, first, None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(
        store
            .list(&StoreKey::parse("staging").unwrap())
            .await
            .unwrap(),
        Vec::<String>::new()
    );
    let r = on(b, &clara)
        .patch_upload(
            &location,
            first.len() as u64,
            &bytes[first.len()..first.len() + 4],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let tails = store
        .list(&StoreKey::parse("staging").unwrap())
        .await
        .unwrap();
    assert_eq!(tails.len(), 1, "{tails:?}");

    // Another request holds the upload (as a chunk arriving on another instance does).
    let hold = |until: &str| {
        format!(
            "UPDATE uploads SET writer = 'elsewhere', writing_until = {until} WHERE token = '{token}'"
        )
    };
    a.db.execute_unprepared(&hold("NOW() + INTERVAL '1 minute'"))
        .await
        .unwrap();
    let at = first.len() as u64 + 4;
    for app in [a, b] {
        let r = on(app, &clara)
            .patch_upload(&location, at, &bytes[at as usize..], None)
            .await;
        assert_eq!(r.status, StatusCode::LOCKED, "{}", r.body);
        // HEAD waits a moment for the writer, then answers the committed offset.
        assert_eq!(on(app, &clara).head_upload(&location).await.offset(), at);
        let r = on(app, &clara).cancel_upload(&location).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
    }
    // A lease that ran out (its instance died) is taken over.
    a.db.execute_unprepared(&hold("NOW() - INTERVAL '1 second'"))
        .await
        .unwrap();
    assert_eq!(on(b, &clara).head_upload(&location).await.offset(), at);

    // Cancelled: the row, the tail and the multipart upload go.
    let r = on(b, &clara).cancel_upload(&location).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        store
            .list(&StoreKey::parse("staging").unwrap())
            .await
            .unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(
        clara.head_upload(&location).await.status,
        StatusCode::NOT_FOUND
    );
    let deal_id = clara.open(id).await["deal"]["id"].as_i64().unwrap();
    let prefix = StoreKey::parse(&format!("deals/{deal_id}")).unwrap();
    assert_eq!(store.list(&prefix).await.unwrap(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_staged_in_the_bucket_resumes_after_the_connection_drops() {
    let (app, store) = spawn_on_s3().await;
    crate::files::resumes_after_a_dropped_connection(&app).await;
    staging_is_empty(&app);
    let staging = StoreKey::parse("staging").unwrap();
    assert_eq!(store.list(&staging).await.unwrap(), Vec::<String>::new());
}
