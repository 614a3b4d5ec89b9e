//! Uploads that stage in the shared file store (S3 multipart uploads), so any instance can take
//! an upload's next chunk: where the file will be stored, how far the staged bytes reach, the
//! multipart upload and its parts, the running SHA-256, and which request is writing (a lease).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Uploads {
    Table,
    StorageKey,
    StagedBytes,
    TailBytes,
    MultipartId,
    Parts,
    HashState,
    Writer,
    WritingUntil,
}

fn columns() -> Vec<(Uploads, ColumnDef)> {
    vec![
        (Uploads::StorageKey, string_null(Uploads::StorageKey)),
        (
            Uploads::StagedBytes,
            big_integer(Uploads::StagedBytes).default(0).to_owned(),
        ),
        (
            Uploads::TailBytes,
            big_integer(Uploads::TailBytes).default(0).to_owned(),
        ),
        (Uploads::MultipartId, string_null(Uploads::MultipartId)),
        (Uploads::Parts, text_null(Uploads::Parts)),
        (Uploads::HashState, text_null(Uploads::HashState)),
        (Uploads::Writer, string_null(Uploads::Writer)),
        (
            Uploads::WritingUntil,
            timestamp_with_time_zone_null(Uploads::WritingUntil),
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for (_, column) in columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(Uploads::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(Uploads::Table)
                        .drop_column(name)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
