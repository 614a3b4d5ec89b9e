//! Email for accounts: whether an address is verified and wants chat notifications, single-use
//! tokens (verification, password reset; stored as hashes), the outbox of mails (sent by the job
//! runner), and when each client was last told of unread messages in a chat.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    EmailVerifiedAt,
    NotifyByEmail,
}

#[derive(DeriveIden)]
enum MailTokens {
    Table,
    Id,
    UserId,
    Purpose,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum Mails {
    Table,
    Id,
    ToAddress,
    Subject,
    Body,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum MailNotices {
    Table,
    ConversationId,
    UserId,
    LastSentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(timestamp_with_time_zone_null(Users::EmailVerifiedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(boolean(Users::NotifyByEmail).default(true))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MailTokens::Table)
                    .if_not_exists()
                    .col(big_pk_auto(MailTokens::Id))
                    .col(big_integer(MailTokens::UserId))
                    .col(string(MailTokens::Purpose))
                    .col(string_uniq(MailTokens::TokenHash))
                    .col(timestamp_with_time_zone(MailTokens::CreatedAt))
                    .col(timestamp_with_time_zone(MailTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(MailTokens::UsedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Mails::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Mails::Id))
                    .col(string(Mails::ToAddress))
                    .col(string(Mails::Subject))
                    .col(text(Mails::Body))
                    .col(timestamp_with_time_zone(Mails::CreatedAt))
                    .col(timestamp_with_time_zone_null(Mails::SentAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MailNotices::Table)
                    .if_not_exists()
                    .col(big_integer(MailNotices::ConversationId))
                    .col(big_integer(MailNotices::UserId))
                    .col(timestamp_with_time_zone(MailNotices::LastSentAt))
                    .primary_key(
                        Index::create()
                            .col(MailNotices::ConversationId)
                            .col(MailNotices::UserId),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MailNotices::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Mails::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(MailTokens::Table).to_owned())
            .await?;
        for column in [Users::NotifyByEmail, Users::EmailVerifiedAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
