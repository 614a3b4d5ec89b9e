//! Operator sessions: the staff side of a client's one continuous thread is a sequence of
//! sessions (waiting, then with an operator, then closed: ended, idle, transferred, deal closed).
//! Messages that only staff may read (session boundaries) are marked `staff_only`, and a
//! conversation remembers the last message its client may read (`client_seq`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OperatorSessions {
    Table,
    Id,
    ConversationId,
    OperatorId,
    OpenedAt,
    AssignedAt,
    ClosedAt,
    CloseReason,
    ClosedBy,
    WrapUp,
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    ClientSeq,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    StaffOnly,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OperatorSessions::Table)
                    .if_not_exists()
                    .col(big_pk_auto(OperatorSessions::Id))
                    .col(big_integer(OperatorSessions::ConversationId))
                    .col(big_integer_null(OperatorSessions::OperatorId))
                    .col(timestamp_with_time_zone(OperatorSessions::OpenedAt))
                    .col(timestamp_with_time_zone_null(OperatorSessions::AssignedAt))
                    .col(timestamp_with_time_zone_null(OperatorSessions::ClosedAt))
                    .col(string_null(OperatorSessions::CloseReason))
                    .col(big_integer_null(OperatorSessions::ClosedBy))
                    .col(text_null(OperatorSessions::WrapUp))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_operator_sessions_conversation")
                    .table(OperatorSessions::Table)
                    .col(OperatorSessions::ConversationId)
                    .col(OperatorSessions::ClosedAt)
                    .to_owned(),
            )
            .await?;
        // The chats a manager operated before stay in their list.
        manager
            .create_index(
                Index::create()
                    .name("idx_operator_sessions_operator")
                    .table(OperatorSessions::Table)
                    .col(OperatorSessions::OperatorId)
                    .col(OperatorSessions::ConversationId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .add_column(boolean(Messages::StaffOnly).default(false))
                    .to_owned(),
            )
            .await?;
        // The last message the client may read (their list's preview, their unread count).
        manager
            .alter_table(
                Table::alter()
                    .table(Conversations::Table)
                    .add_column(big_integer(Conversations::ClientSeq).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared("UPDATE conversations SET client_seq = last_seq")
            .await?;
        // Every chat that waits or has its manager today is in an open session.
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO operator_sessions (conversation_id, operator_id, opened_at, assigned_at) \
                 SELECT id, assignee_id, created_at, CASE WHEN assignee_id IS NULL THEN NULL ELSE created_at END \
                 FROM conversations WHERE kind = 'client' AND status = 'open' \
                 AND (assignee_id IS NOT NULL OR queued_at IS NOT NULL)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OperatorSessions::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .drop_column(Messages::StaffOnly)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Conversations::Table)
                    .drop_column(Conversations::ClientSeq)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
