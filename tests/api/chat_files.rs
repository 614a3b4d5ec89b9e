//! Files in chats without a deal: the chat keeps them (not a deal folder); its staff share there,
//! its client only when the chat's channel allows it; offers need a deal; the chat's own quota;
//! only the chat's people download them, also after a deal is created for the chat.

use crate::files::{Announce, folder, pseudo_random, sha256_hex};
use crate::helpers::{Client, Db, TestApp, spawn_app_with};
use crate::on_both_dbs;
use reqwest::StatusCode;
use serde_json::Value;

/// Sets the default channel's "clients may attach files in chats without a deal".
async fn client_files(admin: &Client, on: bool) {
    let general = admin.call("admin/channels", &[]).await.expect_ok()["channels"][0].clone();
    let (id, queue) = (general["id"].to_string(), general["queue"].to_string());
    let mut form = vec![
        ("channel_id", id.as_str()),
        ("name", "General"),
        ("queue_id", queue.as_str()),
        ("language", "en"),
        ("active", "true"),
        ("use_grants", "role:client"),
        ("operate_grants", "role:manager"),
    ];
    if on {
        form.push(("client_files", "true"));
    }
    admin.call("admin/channels/save", &form).await.expect_ok();
    let saved = admin.call("admin/channels", &[]).await.expect_ok()["channels"][0].clone();
    assert_eq!(saved["client_files"], on);
}

fn photo<'a>(id: i64, note: &'a str, size: u64) -> Announce<'a> {
    Announce {
        purpose: "share",
        content_type: "image/png",
        note: Some(note),
        ..folder(id, "photo.png", size)
    }
}

fn last_message(detail: &Value) -> Value {
    detail["messages"]
        .as_array()
        .and_then(|m| m.last())
        .cloned()
        .expect("a message")
}

async fn app(db: Db) -> TestApp {
    spawn_app_with(db, &[("files.chat_quota_bytes", "5000")]).await
}

async fn a_client_attaches_files_in_a_question_chat_when_its_channel_allows_it(db: Db) {
    let app = app(db).await;
    let admin = app.admin().await;
    let clara = app.signed_up_client("clara@example.com").await;
    let id = clara.start_chat("question", "Opening hours", "Hi").await;
    let mia = app.manager("mia@example.com", "Mia").await;

    // Off (the default): the client is refused and offered no attachments.
    assert_eq!(clara.open(id).await["can_attach"], false);
    let refused = clara.create_upload(&photo(id, "look", 100)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);

    client_files(&admin, true).await;
    assert_eq!(clara.open(id).await["can_attach"], true);
    // A manager reading the waiting chat may not reply, so may not attach either.
    assert_eq!(mia.open(id).await["can_attach"], false);
    assert_eq!(
        mia.create_upload(&photo(id, "x", 10)).await.status,
        StatusCode::FORBIDDEN
    );

    let bytes = pseudo_random(2000, 11);
    let file_id = clara
        .upload(photo(id, "The broken hinge", 2000), &bytes, 700)
        .await;
    let shared = last_message(&clara.open(id).await);
    assert_eq!(shared["kind"], "file", "{shared}");
    assert_eq!(shared["file"]["name"], "photo.png");
    assert_eq!(shared["file"]["sha256"], sha256_hex(&bytes));
    assert_eq!(shared["body"], "The broken hinge");
    assert_eq!(shared["sender_name"], "Client Person");
    // Kept by the chat, not in any deal's folder.
    assert!(
        app.data_dir
            .join("files")
            .join("chats")
            .join(id.to_string())
            .is_dir()
    );
    assert!(!app.data_dir.join("files").join("deals").exists());

    // The chat's people download it; nobody else learns it exists.
    mia.accept(id).await.expect_ok();
    for who in [&clara, &mia, &admin] {
        let got = who.get(&format!("/files/{file_id}")).await;
        assert_eq!(got.status(), StatusCode::OK);
        assert_eq!(got.bytes().await.unwrap().to_vec(), bytes);
    }
    let eve = app.signed_up_client("eve@example.com").await;
    let olga = app.manager("olga@example.com", "Olga").await;
    for stranger in [&eve, &olga] {
        assert_eq!(
            stranger.get(&format!("/files/{file_id}")).await.status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            stranger.create_upload(&photo(id, "x", 10)).await.status,
            StatusCode::NOT_FOUND
        );
    }
    let anonymous = app.client().get(&format!("/files/{file_id}")).await;
    assert_ne!(anonymous.status(), StatusCode::OK);
    assert_eq!(
        app.client().create_upload(&photo(id, "x", 10)).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Staff share in a chat without a deal too.
    let from_mia = pseudo_random(1000, 12);
    mia.upload(
        Announce {
            content_type: "application/pdf",
            ..photo(id, "Our price list", 1000)
        },
        &from_mia,
        1000,
    )
    .await;
    assert_eq!(last_message(&clara.open(id).await)["kind"], "file");

    // An offer needs a deal, and a chat has no folder: refused, nothing kept.
    for (who, announce) in [
        (&mia, photo(id, "#q quotation", 10)),
        (&clara, photo(id, "#q", 10)),
        (&clara, folder(id, "a.zip", 10)),
    ] {
        let r = who.create_upload(&announce).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    }

    // The chat's own quota (5,000 bytes here): 3,000 are taken.
    let over = clara.create_upload(&photo(id, "big", 2001)).await;
    assert_eq!(over.status, StatusCode::BAD_REQUEST);
    assert!(
        over.body.contains("This chat's files may take"),
        "{}",
        over.body
    );
    let fits = clara.create_upload(&photo(id, "fits", 2000)).await;
    assert_eq!(fits.status, StatusCode::CREATED, "{}", fits.body);

    // Once the chat has a deal, the deal's files list what the chat kept, and the client's
    // files go into the deal's folder again (not attached in the chat).
    mia.call(
        "chats/deal/create",
        &[("conversation_id", &id.to_string()), ("title", "Hinges")],
    )
    .await
    .expect_ok();
    let listed = clara.deal_files(id).await.expect_ok().clone();
    let names: Vec<_> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"]["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["photo.png", "photo.png"], "{listed}");
    assert_eq!(clara.open(id).await["can_attach"], false);
    assert_eq!(
        clara.create_upload(&photo(id, "more", 10)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        clara.get(&format!("/files/{file_id}")).await.status(),
        StatusCode::OK
    );
}
on_both_dbs!(a_client_attaches_files_in_a_question_chat_when_its_channel_allows_it);

/// An upload begun while the channel allowed it is checked again when it completes.
async fn turning_attachments_off_stops_an_upload_in_flight(db: Db) {
    let app = app(db).await;
    let admin = app.admin().await;
    client_files(&admin, true).await;
    let clara = app.signed_up_client("clara@example.com").await;
    let id = clara.start_chat("question", "Opening hours", "Hi").await;
    let created = clara.create_upload(&photo(id, "look", 100)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let location = created.header("location").unwrap().to_owned();
    client_files(&admin, false).await;
    let done = clara
        .patch_upload(&location, 0, &pseudo_random(100, 3), None)
        .await;
    assert_eq!(done.status, StatusCode::FORBIDDEN, "{}", done.body);
    let kinds: Vec<_> = clara.open(id).await["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap_or("").to_owned())
        .collect();
    assert!(!kinds.contains(&"file".to_owned()), "{kinds:?}");
    assert!(!app.data_dir.join("files").join("chats").exists());
}
on_both_dbs!(turning_attachments_off_stops_an_upload_in_flight);
