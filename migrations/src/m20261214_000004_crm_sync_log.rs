//! The sync log: every CRM action a delivery took (a contact found or created, a deal created or
//! updated, a note, an attachment) and every delivery that failed or waits, with its reason.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum CrmSyncLog {
    Table,
    Id,
    Provider,
    At,
    Job,
    Target,
    DealId,
    Action,
    Module,
    RemoteId,
    Outcome,
    Detail,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CrmSyncLog::Table)
                    .if_not_exists()
                    .col(big_pk_auto(CrmSyncLog::Id))
                    .col(string_len(CrmSyncLog::Provider, 16))
                    .col(timestamp_with_time_zone(CrmSyncLog::At))
                    .col(string_len(CrmSyncLog::Job, 32))
                    .col(big_integer(CrmSyncLog::Target))
                    .col(big_integer_null(CrmSyncLog::DealId))
                    .col(string_len(CrmSyncLog::Action, 32))
                    .col(string_len_null(CrmSyncLog::Module, 32))
                    .col(string_len_null(CrmSyncLog::RemoteId, 64))
                    .col(string_len(CrmSyncLog::Outcome, 16))
                    .col(text_null(CrmSyncLog::Detail))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_crm_sync_log_deal")
                    .table(CrmSyncLog::Table)
                    .col(CrmSyncLog::DealId)
                    .col(CrmSyncLog::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_crm_sync_log_job")
                    .table(CrmSyncLog::Table)
                    .col(CrmSyncLog::Job)
                    .col(CrmSyncLog::Target)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CrmSyncLog::Table).to_owned())
            .await
    }
}
