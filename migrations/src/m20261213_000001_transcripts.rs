//! Deal transcripts: the deal points at its transcript (a file of its folder, replaced in place
//! when regenerated), and the built-in CRM keeps attachments on its deals (the transcript, and
//! for other CRMs the same operation uploads it).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Deals {
    Table,
    TranscriptFileId,
}

#[derive(DeriveIden, Clone, Copy)]
enum CrmAttachments {
    Table,
    Id,
    DealId,
    FileName,
    ContentType,
    Size,
    Sha256,
    Body,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Deals::Table)
                    .add_column(big_integer_null(Deals::TranscriptFileId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CrmAttachments::Table)
                    .if_not_exists()
                    .col(big_pk_auto(CrmAttachments::Id))
                    .col(big_integer(CrmAttachments::DealId))
                    .col(string_len(CrmAttachments::FileName, 255))
                    .col(string_len(CrmAttachments::ContentType, 255))
                    .col(big_integer(CrmAttachments::Size))
                    .col(string_len(CrmAttachments::Sha256, 64))
                    .col(blob(CrmAttachments::Body))
                    .col(timestamp_with_time_zone(CrmAttachments::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_crm_attachments_deal")
                    .table(CrmAttachments::Table)
                    .col(CrmAttachments::DealId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CrmAttachments::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Deals::Table)
                    .drop_column(Deals::TranscriptFileId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
