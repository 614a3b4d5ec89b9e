//! Two-way deal sync: what we last sent to the CRM for each deal (so the poller tells a change
//! made in the CRM from the echo of our own write), and how far the poller has read.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum CrmDealSyncs {
    Table,
    Provider,
    DealId,
    SentStage,
    SentAmountMinor,
    SentOwnerEmail,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CrmPollCursors {
    Table,
    Provider,
    ModifiedAfter,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CrmDealSyncs::Table)
                    .if_not_exists()
                    .col(string_len(CrmDealSyncs::Provider, 16))
                    .col(big_integer(CrmDealSyncs::DealId))
                    .col(string_len_null(CrmDealSyncs::SentStage, 120))
                    .col(big_integer_null(CrmDealSyncs::SentAmountMinor))
                    .col(string_len_null(CrmDealSyncs::SentOwnerEmail, 320))
                    .col(timestamp_with_time_zone(CrmDealSyncs::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(CrmDealSyncs::Provider)
                            .col(CrmDealSyncs::DealId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CrmPollCursors::Table)
                    .if_not_exists()
                    .col(string_len(CrmPollCursors::Provider, 16).primary_key())
                    .col(timestamp_with_time_zone(CrmPollCursors::ModifiedAfter))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CrmPollCursors::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(CrmDealSyncs::Table).to_owned())
            .await?;
        Ok(())
    }
}
