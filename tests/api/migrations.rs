//! Upgrades keep what is stored: rows written by an older version read correctly after the
//! migrations that change how they are stored.

use crate::helpers::{Db, fresh_database};
use crate::on_both_dbs;
use chrono::Utc;
use dealchat::model::chat::{ConversationKind, ConversationStatus};
use dealchat::model::message::SystemEvent;
use dealchat::server::platform::entities::{conversation, message};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ActiveValue::Set, EntityTrait};

/// Migrations before messages were stored as events.
const BEFORE_EVENTS: u32 = 6;

async fn sentences_from_before_events_are_kept_as_events(db: Db) {
    let (url, data_dir) = fresh_database(db).await;
    let conn = sea_orm::Database::connect(&url).await.unwrap();
    Migrator::up(&conn, Some(BEFORE_EVENTS)).await.unwrap();
    let now = Utc::now();
    // Inserted without reading the row back: today's entities have columns this schema lacks.
    let chat_id = conversation::Entity::insert(conversation::ActiveModel {
        kind: Set(ConversationKind::Client),
        subject: Set("Roof".into()),
        client_id: Set(None),
        deal_id: Set(None),
        assignee_id: Set(None),
        status: Set(ConversationStatus::Open),
        last_seq: Set(2),
        last_message_at: Set(now),
        queued_at: Set(None),
        tick: Set(0),
        assigned_tick: Set(0),
        created_at: Set(now),
        ..Default::default()
    })
    .exec(&conn)
    .await
    .unwrap()
    .last_insert_id;
    let old = |seq: i64, kind: &str, body: &str| message::ActiveModel {
        conversation_id: Set(chat_id),
        seq: Set(seq),
        sender_id: Set(None),
        kind: Set(kind.into()),
        body: Set(body.into()),
        client_msg_id: Set(None),
        created_at: Set(now),
        file_id: Set(None),
        offer_id: Set(None),
        payment_id: Set(None),
        ..Default::default()
    };
    let insert = |m: message::ActiveModel| {
        let conn = &conn;
        async move {
            message::Entity::insert(m)
                .exec(conn)
                .await
                .unwrap()
                .last_insert_id
        }
    };
    let said = insert(old(1, "system", "Mia accepted the chat.")).await;
    let paid = insert(old(2, "payment_status", "Payment of 1,500 EUR paid.")).await;

    Migrator::up(&conn, None).await.unwrap();
    let said = message::Entity::find_by_id(said)
        .one(&conn)
        .await
        .unwrap()
        .unwrap();
    let event: SystemEvent = serde_json::from_str(&said.body).unwrap();
    assert_eq!(
        event,
        SystemEvent::Note {
            text: "Mia accepted the chat.".into()
        }
    );
    assert_eq!(event.describe(), "Mia accepted the chat.");
    let paid = message::Entity::find_by_id(paid)
        .one(&conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(paid.body, "paid");
    conn.close().await.ok();
    let _ = std::fs::remove_dir_all(data_dir);
}
on_both_dbs!(sentences_from_before_events_are_kept_as_events);

/// Migrations before a file could belong to a chat without a deal.
const BEFORE_CHAT_FILES: u32 = 16;

/// Making `deal_id` optional rebuilds `files` and `uploads` on SQLite: their rows, their unique
/// storage keys and their indexes survive, and a chat's own file can be stored afterwards.
async fn files_and_uploads_keep_their_rows_when_deal_becomes_optional(db: Db) {
    use dealchat::model::ids::DealId;
    use dealchat::server::platform::entities::{file, upload};
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let (url, data_dir) = fresh_database(db).await;
    let conn = sea_orm::Database::connect(&url).await.unwrap();
    Migrator::up(&conn, Some(BEFORE_CHAT_FILES)).await.unwrap();
    let backend = conn.get_database_backend();
    let now = Utc::now();
    let run = |sql: &str, values: Vec<sea_orm::Value>| {
        let conn = &conn;
        let statement = dealchat::server::realtime::changes::stmt(backend, sql, values);
        async move { conn.execute_raw(statement).await }
    };
    let sha = "ab".repeat(32);
    run(
        "INSERT INTO files (deal_id, conversation_id, uploader_id, name, size, content_type, \
         sha256, storage_key, origin, created_at) VALUES (5, 9, NULL, 'a.pdf', 10, \
         'application/pdf', ?, 'deals/5/one-a.pdf', 'deal_folder', ?)",
        vec![sha.clone().into(), now.into()],
    )
    .await
    .unwrap();
    run(
        "INSERT INTO uploads (token, uploader_id, conversation_id, deal_id, purpose, name, \
         content_type, size, created_at, expires_at) VALUES ('t1', 3, 9, 5, 'deal_folder', \
         'b.zip', 'application/zip', 20, ?, ?)",
        vec![now.into(), now.into()],
    )
    .await
    .unwrap();

    Migrator::up(&conn, None).await.unwrap();
    let files = file::Entity::find().all(&conn).await.unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].deal_id, Some(DealId(5)));
    assert_eq!(files[0].storage_key, "deals/5/one-a.pdf");
    assert_eq!(files[0].sha256, sha);
    let uploads = upload::Entity::find().all(&conn).await.unwrap();
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].deal_id, Some(DealId(5)));
    assert_eq!(uploads[0].name, "b.zip");

    let chat_file = |key: &str| {
        run(
            "INSERT INTO files (deal_id, conversation_id, uploader_id, name, size, content_type, \
             sha256, storage_key, origin, created_at) VALUES (NULL, 9, NULL, 'c.png', 10, \
             'image/png', ?, ?, 'chat_share', ?)",
            vec![sha.clone().into(), key.to_owned().into(), now.into()],
        )
    };
    chat_file("chats/9/two-c.png").await.unwrap();
    assert!(
        chat_file("deals/5/one-a.pdf").await.is_err(),
        "storage keys stay unique"
    );
    if backend == DbBackend::Sqlite {
        let indexes = conn
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'files'",
            ))
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String>("", "name").unwrap())
            .collect::<Vec<_>>();
        assert!(indexes.iter().any(|n| n == "idx_files_deal"), "{indexes:?}");
        assert!(
            indexes.iter().any(|n| n == "idx_files_conversation"),
            "{indexes:?}"
        );
    }
    conn.close().await.ok();
    let _ = std::fs::remove_dir_all(data_dir);
}
on_both_dbs!(files_and_uploads_keep_their_rows_when_deal_becomes_optional);

/// Migrations before unread counts were kept as numbers.
const BEFORE_UNREAD_COUNTS: u32 = 30;

/// The upgrade that keeps unread counts as numbers fills them in from the messages already
/// there: every member's Chats row shows what counting showed (others' messages after their
/// marker; their own and the product's lines not).
async fn unread_counts_are_filled_in_on_upgrade(db: Db) {
    use dealchat::model::Role;
    use dealchat::model::ids::{ConversationId, UserId};
    use dealchat::server::access::Viewer;
    use dealchat::server::internal_chats::list::{Filter, summaries};
    use sea_orm::ConnectionTrait;
    let (url, data_dir) = fresh_database(db).await;
    let conn = sea_orm::Database::connect(&url).await.unwrap();
    Migrator::up(&conn, Some(BEFORE_UNREAD_COUNTS))
        .await
        .unwrap();
    let backend = conn.get_database_backend();
    let now = Utc::now();
    let run = |sql: &str, values: Vec<sea_orm::Value>| {
        let conn = &conn;
        let statement = dealchat::server::realtime::changes::stmt(backend, sql, values);
        async move { conn.execute_raw(statement).await.unwrap() }
    };
    for (id, name) in [(1, "Ana"), (2, "Bo"), (3, "Cy")] {
        run(
            "INSERT INTO users (id, email, display_name, password_hash, role, created_at) \
             VALUES (?, ?, ?, 'x', 'manager', ?)",
            vec![
                id.into(),
                format!("{name}@example.com").into(),
                name.into(),
                now.into(),
            ],
        )
        .await;
    }
    run(
        "INSERT INTO conversations (id, kind, subject, status, last_seq, last_message_at, tick, \
         assigned_tick, created_at) VALUES (1, 'group', 'Site', 'open', 5, ?, 1, 0, ?)",
        vec![now.into(), now.into()],
    )
    .await;
    // Ana, the product, Bo, Ana, Cy.
    for (seq, sender) in [
        (1, Some(1)),
        (2, None),
        (3, Some(2)),
        (4, Some(1)),
        (5, Some(3)),
    ] {
        run(
            "INSERT INTO messages (conversation_id, seq, sender_id, kind, body, created_at) \
             VALUES (1, ?, ?, 'text', 'hi', ?)",
            vec![seq.into(), sender.map(i64::from).into(), now.into()],
        )
        .await;
    }
    for (user, read) in [(1, 1), (2, 3), (3, 0)] {
        run(
            "INSERT INTO conversation_members (conversation_id, user_id, role, last_read_seq, \
             joined_at) VALUES (1, ?, 'member', ?, ?)",
            vec![i64::from(user).into(), i64::from(read).into(), now.into()],
        )
        .await;
    }

    Migrator::up(&conn, None).await.unwrap();
    let unread = |user: i64| {
        let conn = &conn;
        async move {
            let viewer = Viewer {
                id: UserId(user),
                role: Role::Manager,
            };
            let rows = summaries(conn, viewer, Filter::One(ConversationId(1)))
                .await
                .unwrap();
            rows.iter().map(|r| r.summary.unread).collect::<Vec<_>>()
        }
    };
    assert_eq!(
        unread(1).await,
        vec![2],
        "Bo's and Cy's lines after Ana's marker"
    );
    assert_eq!(unread(2).await, vec![2], "Ana's second line and Cy's");
    assert_eq!(
        unread(3).await,
        vec![3],
        "everything but the product's line"
    );
    conn.close().await.ok();
    let _ = std::fs::remove_dir_all(data_dir);
}
on_both_dbs!(unread_counts_are_filled_in_on_upgrade);
