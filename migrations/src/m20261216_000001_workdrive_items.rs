//! Files kept in Zoho WorkDrive: WorkDrive names its folders and files by ids of its own, so
//! each store key (`deals/17/…`) is noted with the id WorkDrive gave it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum WorkdriveItems {
    Table,
    StoreKey,
    ResourceId,
    IsFolder,
    Size,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WorkdriveItems::Table)
                    .if_not_exists()
                    .col(string_len(WorkdriveItems::StoreKey, 300).primary_key())
                    .col(string_len(WorkdriveItems::ResourceId, 128))
                    .col(boolean(WorkdriveItems::IsFolder))
                    .col(big_integer(WorkdriveItems::Size))
                    .col(timestamp_with_time_zone(WorkdriveItems::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WorkdriveItems::Table).to_owned())
            .await
    }
}
