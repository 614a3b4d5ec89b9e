//! CRM records staff ask for from a chat (the connector's manual mode): one row per chat and
//! module for a lead or contact, per operator session and module for a task or case, so a
//! second click or a retried request asks once; the job that makes the record marks it done.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum CrmRequests {
    Table,
    Id,
    ConversationId,
    Module,
    /// The operator session for a task or case; 0 for a lead or contact.
    SessionId,
    RequestedBy,
    RequestedAt,
    RecordId,
    DoneAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CrmRequests::Table)
                    .if_not_exists()
                    .col(big_pk_auto(CrmRequests::Id))
                    .col(big_integer(CrmRequests::ConversationId))
                    .col(string_len(CrmRequests::Module, 16))
                    .col(big_integer(CrmRequests::SessionId))
                    .col(big_integer(CrmRequests::RequestedBy))
                    .col(timestamp_with_time_zone(CrmRequests::RequestedAt))
                    .col(string_len_null(CrmRequests::RecordId, 64))
                    .col(timestamp_with_time_zone_null(CrmRequests::DoneAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_crm_requests_once")
                    .table(CrmRequests::Table)
                    .col(CrmRequests::ConversationId)
                    .col(CrmRequests::Module)
                    .col(CrmRequests::SessionId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CrmRequests::Table).to_owned())
            .await
    }
}
