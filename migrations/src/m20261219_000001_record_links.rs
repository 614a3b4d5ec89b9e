//! Chats linked to CRM records. The kinds of record a chat can be linked to are rows of
//! `record_link_types` (name, label, and the kind whose pick narrows this one's choices), and a
//! link names its record by kind and id as text, so a new kind of record is a new row, not a new
//! column or table.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum RecordLinkTypes {
    Table,
    Name,
    Label,
    Parent,
    Position,
}

#[derive(DeriveIden, Clone, Copy)]
enum ChatRecordLinks {
    Table,
    ConversationId,
    RecordType,
    RecordId,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Conversations {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RecordLinkTypes::Table)
                    .if_not_exists()
                    .col(string_len(RecordLinkTypes::Name, 40).primary_key())
                    .col(string_len(RecordLinkTypes::Label, 60))
                    .col(string_len_null(RecordLinkTypes::Parent, 40))
                    .col(integer(RecordLinkTypes::Position))
                    .to_owned(),
            )
            .await?;
        // The built-in CRM's kinds: an account narrows the deals and contacts offered.
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(RecordLinkTypes::Table)
                    .columns([
                        RecordLinkTypes::Name,
                        RecordLinkTypes::Label,
                        RecordLinkTypes::Parent,
                        RecordLinkTypes::Position,
                    ])
                    .values_panic([
                        "account".into(),
                        "Account".into(),
                        Option::<String>::None.into(),
                        1.into(),
                    ])
                    .values_panic([
                        "deal".into(),
                        "Deal".into(),
                        Some("account").into(),
                        2.into(),
                    ])
                    .values_panic([
                        "contact".into(),
                        "Contact".into(),
                        Some("account").into(),
                        3.into(),
                    ])
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ChatRecordLinks::Table)
                    .if_not_exists()
                    .col(big_integer(ChatRecordLinks::ConversationId))
                    .col(string_len(ChatRecordLinks::RecordType, 40))
                    .col(string_len(ChatRecordLinks::RecordId, 64))
                    .col(big_integer_null(ChatRecordLinks::CreatedBy))
                    .col(timestamp_with_time_zone(ChatRecordLinks::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ChatRecordLinks::ConversationId)
                            .col(ChatRecordLinks::RecordType)
                            .col(ChatRecordLinks::RecordId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ChatRecordLinks::Table, ChatRecordLinks::ConversationId)
                            .to(Conversations::Table, Conversations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ChatRecordLinks::Table, ChatRecordLinks::RecordType)
                            .to(RecordLinkTypes::Table, RecordLinkTypes::Name),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ChatRecordLinks::Table, ChatRecordLinks::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // A record's page lists its chats.
        manager
            .create_index(
                Index::create()
                    .name("idx_chat_record_links_record")
                    .table(ChatRecordLinks::Table)
                    .col(ChatRecordLinks::RecordType)
                    .col(ChatRecordLinks::RecordId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ChatRecordLinks::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(RecordLinkTypes::Table).to_owned())
            .await
    }
}
