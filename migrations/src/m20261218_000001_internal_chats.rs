//! Internal chats: personal chats between two users and group chats of employees and portal
//! users. A personal chat is one per pair (`direct_key`, unique); members keep their row when
//! removed (`left_at`), so a poll can tell them the chat is gone (`member_tick`, the change
//! clock's tick of their last membership change). `app_settings` holds settings an admin
//! changes in the app (the default role of new group members).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Conversations {
    Table,
    CreatedBy,
    DirectKey,
}

#[derive(DeriveIden, Clone, Copy)]
enum ConversationMembers {
    Table,
    LeftAt,
    MemberTick,
    UserId,
}

#[derive(DeriveIden, Clone, Copy)]
enum AppSettings {
    Table,
    Name,
    Value,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Conversations::Table)
                    .add_column(big_integer_null(Conversations::CreatedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Conversations::Table)
                    .add_column(string_len_null(Conversations::DirectKey, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_conversations_direct_key")
                    .table(Conversations::Table)
                    .col(Conversations::DirectKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ConversationMembers::Table)
                    .add_column(timestamp_with_time_zone_null(ConversationMembers::LeftAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ConversationMembers::Table)
                    .add_column(big_integer(ConversationMembers::MemberTick).default(0))
                    .to_owned(),
            )
            .await?;
        // A user's chats, and what changed for them since a poll's cursor.
        manager
            .create_index(
                Index::create()
                    .name("idx_conversation_members_user")
                    .table(ConversationMembers::Table)
                    .col(ConversationMembers::UserId)
                    .col(ConversationMembers::MemberTick)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AppSettings::Table)
                    .if_not_exists()
                    .col(string_len(AppSettings::Name, 64).primary_key())
                    .col(text(AppSettings::Value))
                    .col(timestamp_with_time_zone(AppSettings::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AppSettings::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_conversation_members_user")
                    .table(ConversationMembers::Table)
                    .to_owned(),
            )
            .await?;
        for column in [ConversationMembers::MemberTick, ConversationMembers::LeftAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ConversationMembers::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("idx_conversations_direct_key")
                    .table(Conversations::Table)
                    .to_owned(),
            )
            .await?;
        for column in [Conversations::DirectKey, Conversations::CreatedBy] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Conversations::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
