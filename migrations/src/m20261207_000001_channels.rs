//! Channels: where a client starts a chat ("Sales", "Support"), each feeding one queue, with its
//! language, whether clients read replies in the channel's name, whether ending a chat needs a
//! wrap-up note, and who may use it (start chats) and operate it (see, accept, reply), by role
//! or by team. Every chat records its channel; the default channel keeps today's flow.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Channels {
    Table,
    Id,
    Name,
    Active,
    QueueId,
    Language,
    OnBehalf,
    WrapUpRequired,
    IsDefault,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ChannelRights {
    Table,
    Id,
    ChannelId,
    RightKind,
    Role,
    TeamId,
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    ChannelId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Channels::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Channels::Id))
                    .col(string_uniq(Channels::Name))
                    .col(boolean(Channels::Active).default(true))
                    .col(big_integer(Channels::QueueId))
                    .col(string(Channels::Language).default("en"))
                    .col(boolean(Channels::OnBehalf).default(false))
                    .col(boolean(Channels::WrapUpRequired).default(false))
                    .col(boolean(Channels::IsDefault).default(false))
                    .col(timestamp_with_time_zone(Channels::CreatedAt))
                    .to_owned(),
            )
            .await?;
        // One row per grant: a role or a team may use (start chats) or operate the channel.
        manager
            .create_table(
                Table::create()
                    .table(ChannelRights::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ChannelRights::Id))
                    .col(big_integer(ChannelRights::ChannelId))
                    .col(string(ChannelRights::RightKind))
                    .col(string_null(ChannelRights::Role))
                    .col(big_integer_null(ChannelRights::TeamId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_channel_rights_channel")
                    .table(ChannelRights::Table)
                    .col(ChannelRights::ChannelId)
                    .col(ChannelRights::RightKind)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Conversations::Table)
                    .add_column(big_integer_null(Conversations::ChannelId))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        // The default channel: clients start chats in it and every manager operates it, into
        // the default queue, as before.
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(Channels::Table)
                    .columns([
                        Channels::Name,
                        Channels::Active,
                        Channels::QueueId,
                        Channels::Language,
                        Channels::IsDefault,
                        Channels::CreatedAt,
                    ])
                    .values_panic([
                        "General".into(),
                        true.into(),
                        0i64.into(),
                        "en".into(),
                        true.into(),
                        sea_orm::prelude::ChronoUtc::now().into(),
                    ])
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(
            "UPDATE channels SET queue_id = (SELECT id FROM queues WHERE is_default) \
             WHERE is_default",
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO channel_rights (channel_id, right_kind, role) \
             SELECT id, 'use', 'client' FROM channels WHERE is_default",
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO channel_rights (channel_id, right_kind, role) \
             SELECT id, 'operate', 'manager' FROM channels WHERE is_default",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE conversations SET channel_id = (SELECT id FROM channels WHERE is_default) \
             WHERE kind = 'client'",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Channels::Table.into_iden(),
            ChannelRights::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Conversations::Table)
                    .drop_column(Conversations::ChannelId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
