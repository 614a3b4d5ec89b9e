//! Connecting an outside CRM (Zoho): the connection, with its credentials and tokens sealed
//! (`platform::secret_box`), and the OAuth `state` values handed out while an admin connects.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum CrmConnections {
    Table,
    Provider,
    Status,
    StatusReason,
    ClientId,
    ClientSecret,
    AccountsServer,
    ApiDomain,
    Location,
    RefreshToken,
    AccessToken,
    AccessExpiresAt,
    AccountEmail,
    AccountName,
    AccountUserId,
    OrgId,
    OrgName,
    ConnectedBy,
    ConnectedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CrmOauthStates {
    Table,
    StateHash,
    SessionHash,
    UserId,
    ClientId,
    ClientSecret,
    AccountsServer,
    CreatedAt,
    UsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CrmConnections::Table)
                    .if_not_exists()
                    .col(string_len(CrmConnections::Provider, 16).primary_key())
                    .col(string_len(CrmConnections::Status, 24))
                    .col(text_null(CrmConnections::StatusReason))
                    .col(text(CrmConnections::ClientId))
                    .col(text(CrmConnections::ClientSecret))
                    .col(string_len(CrmConnections::AccountsServer, 255))
                    .col(string_len(CrmConnections::ApiDomain, 255))
                    .col(string_len(CrmConnections::Location, 16))
                    .col(text(CrmConnections::RefreshToken))
                    .col(text_null(CrmConnections::AccessToken))
                    .col(timestamp_with_time_zone_null(
                        CrmConnections::AccessExpiresAt,
                    ))
                    .col(string_len_null(CrmConnections::AccountEmail, 320))
                    .col(string_len_null(CrmConnections::AccountName, 255))
                    .col(string_len_null(CrmConnections::AccountUserId, 64))
                    .col(string_len_null(CrmConnections::OrgId, 64))
                    .col(string_len_null(CrmConnections::OrgName, 255))
                    .col(big_integer(CrmConnections::ConnectedBy))
                    .col(timestamp_with_time_zone(CrmConnections::ConnectedAt))
                    .col(timestamp_with_time_zone(CrmConnections::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CrmOauthStates::Table)
                    .if_not_exists()
                    .col(string_len(CrmOauthStates::StateHash, 64).primary_key())
                    .col(string_len(CrmOauthStates::SessionHash, 64))
                    .col(big_integer(CrmOauthStates::UserId))
                    .col(text(CrmOauthStates::ClientId))
                    .col(text(CrmOauthStates::ClientSecret))
                    .col(string_len(CrmOauthStates::AccountsServer, 255))
                    .col(timestamp_with_time_zone(CrmOauthStates::CreatedAt))
                    .col(timestamp_with_time_zone_null(CrmOauthStates::UsedAt))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CrmOauthStates::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(CrmConnections::Table).to_owned())
            .await?;
        Ok(())
    }
}
