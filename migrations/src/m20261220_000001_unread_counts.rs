//! Unread counts kept as numbers instead of counted at every read. A conversation counts the
//! messages people wrote in it (`human_count`: every message with a sender); a member counts the
//! ones they have seen or written themselves (`seen_count`). Their difference is the member's
//! unread count, one subtraction per row where counting took one step per unread message: a
//! group of 500 whose members had 100 unread messages each counted 50,000 rows for every poll
//! that one new message woke.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Conversations {
    Table,
    HumanCount,
}

#[derive(DeriveIden)]
enum ConversationMembers {
    Table,
    SeenCount,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Conversations::Table)
                    .add_column(big_integer(Conversations::HumanCount).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ConversationMembers::Table)
                    .add_column(big_integer(ConversationMembers::SeenCount).default(0))
                    .to_owned(),
            )
            .await?;
        // The counts of the messages already written, so every unread count stays as it was:
        // a member has seen everyone's messages up to their read marker, and their own after it.
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE conversations SET human_count = (SELECT COUNT(*) FROM messages m \
             WHERE m.conversation_id = conversations.id AND m.sender_id IS NOT NULL)",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE conversation_members SET seen_count = \
             (SELECT c.human_count FROM conversations c \
               WHERE c.id = conversation_members.conversation_id) \
             - (SELECT COUNT(*) FROM messages m \
               WHERE m.conversation_id = conversation_members.conversation_id \
               AND m.seq > conversation_members.last_read_seq AND m.sender_id IS NOT NULL \
               AND m.sender_id <> conversation_members.user_id)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ConversationMembers::Table)
                    .drop_column(ConversationMembers::SeenCount)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Conversations::Table)
                    .drop_column(Conversations::HumanCount)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
