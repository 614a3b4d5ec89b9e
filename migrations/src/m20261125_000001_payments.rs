//! Payment requests in deal chats: what was asked, what the provider said about it, and which
//! provider events were already applied (so a repeated webhook changes nothing).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Messages {
    Table,
    PaymentId,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    DealId,
    ConversationId,
    AmountMinor,
    Currency,
    Description,
    Status,
    Provider,
    ProviderRef,
    CheckoutUrl,
    RequestedBy,
    CreatedAt,
    SettledAt,
}

#[derive(DeriveIden)]
enum PaymentEvents {
    Table,
    Id,
    PaymentId,
    Provider,
    EventId,
    EventType,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .add_column(big_integer_null(Messages::PaymentId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Payments::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Payments::Id))
                    .col(big_integer(Payments::DealId))
                    .col(big_integer(Payments::ConversationId))
                    .col(big_integer(Payments::AmountMinor))
                    .col(string_len(Payments::Currency, 3))
                    .col(string_len(Payments::Description, 200))
                    .col(string_len(Payments::Status, 16))
                    .col(string_len(Payments::Provider, 16))
                    .col(string_len_null(Payments::ProviderRef, 255))
                    .col(text_null(Payments::CheckoutUrl))
                    .col(big_integer(Payments::RequestedBy))
                    .col(timestamp_with_time_zone(Payments::CreatedAt))
                    .col(timestamp_with_time_zone_null(Payments::SettledAt))
                    .to_owned(),
            )
            .await?;
        // One checkout session belongs to one payment.
        manager
            .create_index(
                Index::create()
                    .name("idx_payments_provider_ref")
                    .table(Payments::Table)
                    .col(Payments::Provider)
                    .col(Payments::ProviderRef)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PaymentEvents::Table)
                    .if_not_exists()
                    .col(big_pk_auto(PaymentEvents::Id))
                    .col(big_integer_null(PaymentEvents::PaymentId))
                    .col(string_len(PaymentEvents::Provider, 16))
                    .col(string_len(PaymentEvents::EventId, 255))
                    .col(string_len(PaymentEvents::EventType, 100))
                    .col(timestamp_with_time_zone(PaymentEvents::CreatedAt))
                    .to_owned(),
            )
            .await?;
        // A provider's event id is applied once, however often it is delivered.
        manager
            .create_index(
                Index::create()
                    .name("idx_payment_events_once")
                    .table(PaymentEvents::Table)
                    .col(PaymentEvents::Provider)
                    .col(PaymentEvents::EventId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PaymentEvents::Table.into_iden(),
            Payments::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .drop_column(Messages::PaymentId)
                    .to_owned(),
            )
            .await
    }
}
