//! The connector's settings an admin edits on the CRM page, per CRM: today the deal stage
//! mapping (our stages ↔ the CRM's pick list), as JSON.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum CrmConfigs {
    Table,
    Provider,
    StageMap,
    UpdatedAt,
    UpdatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CrmConfigs::Table)
                    .if_not_exists()
                    .col(string_len(CrmConfigs::Provider, 16).primary_key())
                    .col(text_null(CrmConfigs::StageMap))
                    .col(timestamp_with_time_zone(CrmConfigs::UpdatedAt))
                    .col(big_integer(CrmConfigs::UpdatedBy))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CrmConfigs::Table).to_owned())
            .await
    }
}
