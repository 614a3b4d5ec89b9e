//! A channel's picture: shown to clients beside replies given in the channel's name. The bytes
//! live in the file store under `channels/{id}/`; the row keeps where and what type, and a version
//! that changes with every new picture (its address carries it, so browsers may cache it).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Channels {
    Table,
    ImageKey,
    ImageType,
    ImageVersion,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for column in [
            string_null(Channels::ImageKey),
            string_null(Channels::ImageType),
            big_integer(Channels::ImageVersion).default(0).to_owned(),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(Channels::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Channels::ImageKey,
            Channels::ImageType,
            Channels::ImageVersion,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Channels::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
