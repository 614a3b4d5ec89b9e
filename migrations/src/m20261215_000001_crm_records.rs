//! The connector's records: the built-in CRM grows leads, accounts, tasks and cases (and its
//! contacts an owner, a description and an account) so every rule runs without Zoho; files
//! attached to those records; the rules themselves; the client's phone and company, which the
//! rules match and write; the chat a sync-log line is about.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Phone,
    Company,
}

#[derive(DeriveIden, Clone, Copy)]
enum CrmContacts {
    Table,
    OwnerEmail,
    Description,
    AccountId,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CrmLeads {
    Table,
    Id,
    OwnerEmail,
    LastName,
    Company,
    Email,
    Phone,
    LeadSource,
    Description,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CrmAccounts {
    Table,
    Id,
    OwnerEmail,
    AccountName,
    Phone,
    Website,
    Description,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CrmTasks {
    Table,
    Id,
    OwnerEmail,
    Subject,
    Status,
    Description,
    WhoModule,
    WhoId,
    DealId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CrmCases {
    Table,
    Id,
    OwnerEmail,
    Subject,
    Status,
    CaseOrigin,
    Email,
    Phone,
    Description,
    ContactId,
    DealId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CrmRecordFiles {
    Table,
    Id,
    Module,
    RecordId,
    FileName,
    ContentType,
    Size,
    Sha256,
    Body,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CrmConfigs {
    Table,
    Rules,
}

#[derive(DeriveIden, Clone, Copy)]
enum CrmSyncLog {
    Table,
    ConversationId,
}

async fn add_column(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    column: ColumnDef,
) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table(table)
                .add_column(column.to_owned())
                .to_owned(),
        )
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(manager, Users::Table, string_len_null(Users::Phone, 30)).await?;
        add_column(manager, Users::Table, string_len_null(Users::Company, 120)).await?;
        add_column(
            manager,
            CrmContacts::Table,
            string_len_null(CrmContacts::OwnerEmail, 254),
        )
        .await?;
        add_column(
            manager,
            CrmContacts::Table,
            text_null(CrmContacts::Description),
        )
        .await?;
        add_column(
            manager,
            CrmContacts::Table,
            big_integer_null(CrmContacts::AccountId),
        )
        .await?;
        add_column(
            manager,
            CrmContacts::Table,
            timestamp_with_time_zone_null(CrmContacts::UpdatedAt),
        )
        .await?;
        add_column(manager, CrmConfigs::Table, text_null(CrmConfigs::Rules)).await?;
        add_column(
            manager,
            CrmSyncLog::Table,
            big_integer_null(CrmSyncLog::ConversationId),
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_crm_sync_log_conversation")
                    .table(CrmSyncLog::Table)
                    .col(CrmSyncLog::ConversationId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CrmLeads::Table)
                    .if_not_exists()
                    .col(big_pk_auto(CrmLeads::Id))
                    .col(string_len_null(CrmLeads::OwnerEmail, 254))
                    .col(string_len(CrmLeads::LastName, 120))
                    .col(string_len_null(CrmLeads::Company, 200))
                    .col(string_len_null(CrmLeads::Email, 254))
                    .col(string_len_null(CrmLeads::Phone, 30))
                    .col(string_len_null(CrmLeads::LeadSource, 60))
                    .col(text_null(CrmLeads::Description))
                    .col(timestamp_with_time_zone(CrmLeads::CreatedAt))
                    .col(timestamp_with_time_zone_null(CrmLeads::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_crm_leads_email")
                    .table(CrmLeads::Table)
                    .col(CrmLeads::Email)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CrmAccounts::Table)
                    .if_not_exists()
                    .col(big_pk_auto(CrmAccounts::Id))
                    .col(string_len_null(CrmAccounts::OwnerEmail, 254))
                    .col(string_len(CrmAccounts::AccountName, 200))
                    .col(string_len_null(CrmAccounts::Phone, 30))
                    .col(string_len_null(CrmAccounts::Website, 255))
                    .col(text_null(CrmAccounts::Description))
                    .col(timestamp_with_time_zone(CrmAccounts::CreatedAt))
                    .col(timestamp_with_time_zone_null(CrmAccounts::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_crm_accounts_name")
                    .table(CrmAccounts::Table)
                    .col(CrmAccounts::AccountName)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CrmTasks::Table)
                    .if_not_exists()
                    .col(big_pk_auto(CrmTasks::Id))
                    .col(string_len_null(CrmTasks::OwnerEmail, 254))
                    .col(string_len(CrmTasks::Subject, 255))
                    .col(string_len_null(CrmTasks::Status, 60))
                    .col(text_null(CrmTasks::Description))
                    .col(string_len_null(CrmTasks::WhoModule, 16))
                    .col(big_integer_null(CrmTasks::WhoId))
                    .col(big_integer_null(CrmTasks::DealId))
                    .col(timestamp_with_time_zone(CrmTasks::CreatedAt))
                    .col(timestamp_with_time_zone_null(CrmTasks::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CrmCases::Table)
                    .if_not_exists()
                    .col(big_pk_auto(CrmCases::Id))
                    .col(string_len_null(CrmCases::OwnerEmail, 254))
                    .col(string_len(CrmCases::Subject, 255))
                    .col(string_len(CrmCases::Status, 60))
                    .col(string_len(CrmCases::CaseOrigin, 60))
                    .col(string_len_null(CrmCases::Email, 254))
                    .col(string_len_null(CrmCases::Phone, 30))
                    .col(text_null(CrmCases::Description))
                    .col(big_integer_null(CrmCases::ContactId))
                    .col(big_integer_null(CrmCases::DealId))
                    .col(timestamp_with_time_zone(CrmCases::CreatedAt))
                    .col(timestamp_with_time_zone_null(CrmCases::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CrmRecordFiles::Table)
                    .if_not_exists()
                    .col(big_pk_auto(CrmRecordFiles::Id))
                    .col(string_len(CrmRecordFiles::Module, 16))
                    .col(big_integer(CrmRecordFiles::RecordId))
                    .col(string_len(CrmRecordFiles::FileName, 255))
                    .col(string_len(CrmRecordFiles::ContentType, 255))
                    .col(big_integer(CrmRecordFiles::Size))
                    .col(string_len(CrmRecordFiles::Sha256, 64))
                    .col(blob(CrmRecordFiles::Body))
                    .col(timestamp_with_time_zone(CrmRecordFiles::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_crm_record_files_record")
                    .table(CrmRecordFiles::Table)
                    .col(CrmRecordFiles::Module)
                    .col(CrmRecordFiles::RecordId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CrmRecordFiles::Table.into_iden(),
            CrmCases::Table.into_iden(),
            CrmTasks::Table.into_iden(),
            CrmAccounts::Table.into_iden(),
            CrmLeads::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
