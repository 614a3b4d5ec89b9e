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
