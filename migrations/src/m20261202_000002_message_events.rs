//! Messages the product wrote are stored as data from now on: a system message's body is its
//! event as JSON, and a payment status message's body is the status it reports. Rows written
//! before hold sentences; they are rewritten here (system sentences become a `note` event that
//! keeps the words, payment sentences become their status).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    Kind,
    Body,
}

/// The endings of the old payment sentences and the status each reported.
const PAYMENT_SENTENCES: [(&str, &str); 4] = [
    ("Payment of % paid.", "paid"),
    ("Payment of % failed.", "failed"),
    ("Payment request of % canceled.", "canceled"),
    ("Payment of % requested.", "pending"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let old = Query::select()
            .columns([Messages::Id, Messages::Body])
            .from(Messages::Table)
            .and_where(Expr::col(Messages::Kind).eq("system"))
            .and_where(Expr::col(Messages::Body).not_like("{%"))
            .to_owned();
        for row in db.query_all(&old).await? {
            let id: i64 = row.try_get("", "id")?;
            let text: String = row.try_get("", "body")?;
            let event = serde_json::json!({ "event": "note", "text": text }).to_string();
            manager
                .exec_stmt(
                    Query::update()
                        .table(Messages::Table)
                        .value(Messages::Body, event)
                        .and_where(Expr::col(Messages::Id).eq(id))
                        .to_owned(),
                )
                .await?;
        }
        for (sentence, status) in PAYMENT_SENTENCES {
            manager
                .exec_stmt(
                    Query::update()
                        .table(Messages::Table)
                        .value(Messages::Body, status)
                        .and_where(Expr::col(Messages::Kind).eq("payment_status"))
                        .and_where(Expr::col(Messages::Body).like(sentence))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, _: &SchemaManager) -> Result<(), DbErr> {
        // An older version would show the events' JSON as text.
        Err(DbErr::Migration(
            "messages stored as events cannot be turned back into sentences".into(),
        ))
    }
}
