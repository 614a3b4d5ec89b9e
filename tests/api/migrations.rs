//! Upgrades keep what is stored: rows written by an older version read correctly after the
//! migrations that change how they are stored.

use crate::helpers::{Db, fresh_database};
use crate::on_both_dbs;
use chrono::Utc;
use dealchat::model::chat::{ConversationKind, ConversationStatus};
use dealchat::model::message::SystemEvent;
use dealchat::server::platform::entities::{conversation, message};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};

/// Migrations before messages were stored as events.
const BEFORE_EVENTS: u32 = 6;

async fn sentences_from_before_events_are_kept_as_events(db: Db) {
    let (url, data_dir) = fresh_database(db).await;
    let conn = sea_orm::Database::connect(&url).await.unwrap();
    Migrator::up(&conn, Some(BEFORE_EVENTS)).await.unwrap();
    let now = Utc::now();
    let chat = conversation::ActiveModel {
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
    }
    .insert(&conn)
    .await
    .unwrap();
    let old = |seq: i64, kind: &str, body: &str| message::ActiveModel {
        conversation_id: Set(chat.id),
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
    let said = old(1, "system", "Mia accepted the chat.")
        .insert(&conn)
        .await
        .unwrap();
    let paid = old(2, "payment_status", "Payment of 1,500 EUR paid.")
        .insert(&conn)
        .await
        .unwrap();

    Migrator::up(&conn, None).await.unwrap();
    let said = message::Entity::find_by_id(said.id)
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
    let paid = message::Entity::find_by_id(paid.id)
        .one(&conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(paid.body, "paid");
    conn.close().await.ok();
    let _ = std::fs::remove_dir_all(data_dir);
}
on_both_dbs!(sentences_from_before_events_are_kept_as_events);
