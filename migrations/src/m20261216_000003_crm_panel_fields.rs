//! The fields staff see beside a chat, picked on the CRM page: one more JSON setting of the
//! connector's row.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum CrmConfigs {
    Table,
    PanelFields,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CrmConfigs::Table)
                    .add_column(text_null(CrmConfigs::PanelFields))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CrmConfigs::Table)
                    .drop_column(CrmConfigs::PanelFields)
                    .to_owned(),
            )
            .await
    }
}
