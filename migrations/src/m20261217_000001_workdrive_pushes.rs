//! Files bound for WorkDrive go up as jobs: a finished upload is kept on the instance's disk and
//! noted here at once, and a `workdrive_push` job carries it to WorkDrive. The copy is on one
//! data directory's disk, so the job names the data directory that may run it (`runs_on`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Outbox {
    Table,
    RunsOn,
}

#[derive(DeriveIden, Clone, Copy)]
enum WorkdrivePushes {
    Table,
    Id,
    StoreKey,
    LocalName,
    Size,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .add_column(string_len_null(Outbox::RunsOn, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WorkdrivePushes::Table)
                    .if_not_exists()
                    .col(big_pk_auto(WorkdrivePushes::Id))
                    .col(string_len_uniq(WorkdrivePushes::StoreKey, 300))
                    .col(string_len(WorkdrivePushes::LocalName, 64))
                    .col(big_integer(WorkdrivePushes::Size))
                    .col(timestamp_with_time_zone(WorkdrivePushes::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WorkdrivePushes::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .drop_column(Outbox::RunsOn)
                    .to_owned(),
            )
            .await
    }
}
