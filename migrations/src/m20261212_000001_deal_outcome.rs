//! Closing deals: how a closed deal ended (won or lost), why, who closed it and the stage to go
//! back to when an administrator reopens it; the built-in CRM's deals record the outcome too.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Deals {
    Table,
    Outcome,
    CloseNote,
    ClosedBy,
    ReopenStage,
}

#[derive(DeriveIden, Clone, Copy)]
enum CrmDeals {
    Table,
    Outcome,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for column in [
            string_len_null(Deals::Outcome, 8),
            text_null(Deals::CloseNote),
            big_integer_null(Deals::ClosedBy),
            string_len_null(Deals::ReopenStage, 16),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(Deals::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(CrmDeals::Table)
                    .add_column(string_len_null(CrmDeals::Outcome, 8))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CrmDeals::Table)
                    .drop_column(CrmDeals::Outcome)
                    .to_owned(),
            )
            .await?;
        for column in [
            Deals::Outcome,
            Deals::CloseNote,
            Deals::ClosedBy,
            Deals::ReopenStage,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Deals::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
