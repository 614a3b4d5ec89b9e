//! Quick replies: an admin's templates that operators insert into the composer, each in a
//! language (offered in the channels of that language) and optionally for one team only.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum QuickReplies {
    Table,
    Id,
    Title,
    Body,
    Language,
    TeamId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(QuickReplies::Table)
                    .if_not_exists()
                    .col(big_pk_auto(QuickReplies::Id))
                    .col(string(QuickReplies::Title))
                    .col(text(QuickReplies::Body))
                    .col(string(QuickReplies::Language).default("en"))
                    .col(big_integer_null(QuickReplies::TeamId))
                    .col(timestamp_with_time_zone(QuickReplies::CreatedAt))
                    .to_owned(),
            )
            .await?;
        // One title per language and team: what an operator searches by.
        manager
            .create_index(
                Index::create()
                    .name("ux_quick_replies_title")
                    .table(QuickReplies::Table)
                    .col(QuickReplies::Language)
                    .col(QuickReplies::Title)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(QuickReplies::Table).to_owned())
            .await?;
        Ok(())
    }
}
