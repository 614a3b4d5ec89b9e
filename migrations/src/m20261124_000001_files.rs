//! Documents in deal chats: each deal's folder in the file store, stored files, resumable uploads
//! in progress, and offers (a shared file the client accepts or rejects). Messages point at the
//! file or offer they show. The built-in CRM keeps notes on its deals.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Deals {
    Table,
    FolderRef,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    FileId,
    OfferId,
}

#[derive(DeriveIden)]
enum Files {
    Table,
    Id,
    DealId,
    ConversationId,
    UploaderId,
    Name,
    Size,
    ContentType,
    Sha256,
    StorageKey,
    Origin,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Uploads {
    Table,
    Token,
    UploaderId,
    ConversationId,
    DealId,
    Purpose,
    Name,
    ContentType,
    Size,
    ExpectedSha256,
    Note,
    FileId,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum FileOffers {
    Table,
    Id,
    DealId,
    ConversationId,
    FileId,
    Title,
    Status,
    Reason,
    DecidedBy,
    DecidedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CrmNotes {
    Table,
    Id,
    DealId,
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
                    .add_column(string_len_null(Deals::FolderRef, 200))
                    .to_owned(),
            )
            .await?;
        // Deals created before folders existed get theirs by the same rule as new ones; the
        // store creates a folder on first use.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE deals SET folder_ref = 'deals/' || id WHERE folder_ref IS NULL",
            )
            .await?;
        for col in [Messages::FileId, Messages::OfferId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Messages::Table)
                        .add_column(big_integer_null(col))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Files::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Files::Id))
                    .col(big_integer(Files::DealId))
                    .col(big_integer_null(Files::ConversationId))
                    .col(big_integer_null(Files::UploaderId))
                    .col(string_len(Files::Name, 255))
                    .col(big_integer(Files::Size))
                    .col(string_len(Files::ContentType, 127))
                    .col(string_len(Files::Sha256, 64))
                    .col(string_len_uniq(Files::StorageKey, 300))
                    .col(string_len(Files::Origin, 16))
                    .col(timestamp_with_time_zone(Files::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_files_deal")
                    .table(Files::Table)
                    .col(Files::DealId)
                    .col(Files::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Uploads::Table)
                    .if_not_exists()
                    .col(string_len(Uploads::Token, 64).primary_key())
                    .col(big_integer(Uploads::UploaderId))
                    .col(big_integer(Uploads::ConversationId))
                    .col(big_integer(Uploads::DealId))
                    .col(string_len(Uploads::Purpose, 16))
                    .col(string_len(Uploads::Name, 255))
                    .col(string_len(Uploads::ContentType, 127))
                    .col(big_integer(Uploads::Size))
                    .col(string_len_null(Uploads::ExpectedSha256, 64))
                    .col(text_null(Uploads::Note))
                    .col(big_integer_null(Uploads::FileId))
                    .col(timestamp_with_time_zone(Uploads::CreatedAt))
                    .col(timestamp_with_time_zone(Uploads::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FileOffers::Table)
                    .if_not_exists()
                    .col(big_pk_auto(FileOffers::Id))
                    .col(big_integer(FileOffers::DealId))
                    .col(big_integer(FileOffers::ConversationId))
                    .col(big_integer(FileOffers::FileId))
                    .col(string_len(FileOffers::Title, 200))
                    .col(string_len(FileOffers::Status, 16))
                    .col(text_null(FileOffers::Reason))
                    .col(big_integer_null(FileOffers::DecidedBy))
                    .col(timestamp_with_time_zone_null(FileOffers::DecidedAt))
                    .col(timestamp_with_time_zone(FileOffers::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CrmNotes::Table)
                    .if_not_exists()
                    .col(big_pk_auto(CrmNotes::Id))
                    .col(big_integer(CrmNotes::DealId))
                    .col(text(CrmNotes::Body))
                    .col(timestamp_with_time_zone(CrmNotes::CreatedAt))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CrmNotes::Table.into_iden(),
            FileOffers::Table.into_iden(),
            Uploads::Table.into_iden(),
            Files::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for col in [Messages::FileId, Messages::OfferId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Messages::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Deals::Table)
                    .drop_column(Deals::FolderRef)
                    .to_owned(),
            )
            .await
    }
}
