//! Deal chat: deals, client conversations and their members, append-only messages, the change
//! clock that orders real-time events, the CRM outbox, and the built-in CRM's own tables.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ChangeClock {
    Table,
    Id,
    Tick,
}

#[derive(DeriveIden)]
enum Deals {
    Table,
    Id,
    Title,
    ClientId,
    OwnerId,
    Stage,
    AmountMinor,
    Currency,
    CreatedAt,
    ClosedAt,
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    Id,
    Kind,
    Subject,
    ClientId,
    DealId,
    AssigneeId,
    Status,
    LastSeq,
    LastMessageAt,
    QueuedAt,
    Tick,
    AssignedTick,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ConversationMembers {
    Table,
    ConversationId,
    UserId,
    Role,
    LastReadSeq,
    JoinedAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    ConversationId,
    Seq,
    SenderId,
    Kind,
    Body,
    ClientMsgId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CrmRefs {
    Table,
    Provider,
    Entity,
    EntityId,
    RemoteId,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    Job,
    EntityId,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastError,
    DoneAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CrmContacts {
    Table,
    Id,
    Name,
    Email,
    Phone,
    Company,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CrmDeals {
    Table,
    Id,
    Title,
    ContactId,
    OwnerEmail,
    Stage,
    AmountMinor,
    Currency,
    CreatedAt,
    ClosedAt,
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .to_owned()
}

fn index(name: &str, table: impl IntoIden, cols: Vec<DynIden>) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(table);
    for col in cols {
        idx.col(col);
    }
    idx.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One row. Every write that others must hear about advances it first, inside its
        // transaction, so ticks are handed out in commit order (the row lock serialises writers).
        manager
            .create_table(
                Table::create()
                    .table(ChangeClock::Table)
                    .if_not_exists()
                    .col(integer(ChangeClock::Id).primary_key())
                    .col(big_integer(ChangeClock::Tick).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(ChangeClock::Table)
                    .columns([ChangeClock::Id, ChangeClock::Tick])
                    .values_panic([1.into(), 0.into()])
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Deals::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Deals::Id))
                    .col(string_len(Deals::Title, 200))
                    .col(big_integer(Deals::ClientId))
                    .col(big_integer_null(Deals::OwnerId))
                    .col(string_len(Deals::Stage, 16))
                    .col(big_integer_null(Deals::AmountMinor))
                    .col(string_len_null(Deals::Currency, 3))
                    .col(timestamp_with_time_zone(Deals::CreatedAt))
                    .col(timestamp_with_time_zone_null(Deals::ClosedAt))
                    .foreign_key(&mut fk(
                        "fk_deals_client",
                        (Deals::Table, Deals::ClientId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(
                        fk(
                            "fk_deals_owner",
                            (Deals::Table, Deals::OwnerId),
                            (Users::Table, Users::Id),
                        )
                        .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_deals_client",
                Deals::Table,
                vec![Deals::ClientId.into_iden()],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Conversations::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Conversations::Id))
                    .col(string_len(Conversations::Kind, 16))
                    .col(string_len(Conversations::Subject, 200))
                    .col(big_integer_null(Conversations::ClientId))
                    .col(big_integer_null(Conversations::DealId))
                    .col(big_integer_null(Conversations::AssigneeId))
                    .col(string_len(Conversations::Status, 16))
                    .col(big_integer(Conversations::LastSeq).default(0))
                    .col(timestamp_with_time_zone(Conversations::LastMessageAt))
                    .col(timestamp_with_time_zone_null(Conversations::QueuedAt))
                    .col(big_integer(Conversations::Tick).default(0))
                    .col(big_integer(Conversations::AssignedTick).default(0))
                    .col(timestamp_with_time_zone(Conversations::CreatedAt))
                    .foreign_key(
                        fk(
                            "fk_conversations_client",
                            (Conversations::Table, Conversations::ClientId),
                            (Users::Table, Users::Id),
                        )
                        .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        fk(
                            "fk_conversations_deal",
                            (Conversations::Table, Conversations::DealId),
                            (Deals::Table, Deals::Id),
                        )
                        .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        fk(
                            "fk_conversations_assignee",
                            (Conversations::Table, Conversations::AssigneeId),
                            (Users::Table, Users::Id),
                        )
                        .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("ix_conversations_client", Conversations::ClientId),
            ("ix_conversations_assignee", Conversations::AssigneeId),
            ("ix_conversations_tick", Conversations::Tick),
        ] {
            manager
                .create_index(index(name, Conversations::Table, vec![col.into_iden()]))
                .await?;
        }
        // One open conversation per deal: a deal's chat is its single continuous thread.
        manager
            .create_index(
                index(
                    "ux_conversations_deal",
                    Conversations::Table,
                    vec![Conversations::DealId.into_iden()],
                )
                .unique()
                .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ConversationMembers::Table)
                    .if_not_exists()
                    .col(big_integer(ConversationMembers::ConversationId))
                    .col(big_integer(ConversationMembers::UserId))
                    .col(string_len(ConversationMembers::Role, 16))
                    .col(big_integer(ConversationMembers::LastReadSeq).default(0))
                    .col(timestamp_with_time_zone(ConversationMembers::JoinedAt))
                    .primary_key(
                        Index::create()
                            .col(ConversationMembers::ConversationId)
                            .col(ConversationMembers::UserId),
                    )
                    .foreign_key(
                        fk(
                            "fk_members_conversation",
                            (
                                ConversationMembers::Table,
                                ConversationMembers::ConversationId,
                            ),
                            (Conversations::Table, Conversations::Id),
                        )
                        .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        fk(
                            "fk_members_user",
                            (ConversationMembers::Table, ConversationMembers::UserId),
                            (Users::Table, Users::Id),
                        )
                        .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_members_user",
                ConversationMembers::Table,
                vec![ConversationMembers::UserId.into_iden()],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Messages::Id))
                    .col(big_integer(Messages::ConversationId))
                    .col(big_integer(Messages::Seq))
                    .col(big_integer_null(Messages::SenderId))
                    .col(string_len(Messages::Kind, 24))
                    .col(text(Messages::Body))
                    .col(string_len_null(Messages::ClientMsgId, 64))
                    .col(timestamp_with_time_zone(Messages::CreatedAt))
                    .foreign_key(
                        fk(
                            "fk_messages_conversation",
                            (Messages::Table, Messages::ConversationId),
                            (Conversations::Table, Conversations::Id),
                        )
                        .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        fk(
                            "fk_messages_sender",
                            (Messages::Table, Messages::SenderId),
                            (Users::Table, Users::Id),
                        )
                        .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // The poll cursor: a conversation's messages are numbered 1, 2, 3… without gaps.
        manager
            .create_index(
                index(
                    "ux_messages_conversation_seq",
                    Messages::Table,
                    vec![
                        Messages::ConversationId.into_iden(),
                        Messages::Seq.into_iden(),
                    ],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        // A retried send finds the stored message by the id its sender generated.
        manager
            .create_index(
                index(
                    "ux_messages_sender_client_msg",
                    Messages::Table,
                    vec![
                        Messages::SenderId.into_iden(),
                        Messages::ClientMsgId.into_iden(),
                    ],
                )
                .unique()
                .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CrmRefs::Table)
                    .if_not_exists()
                    .col(string_len(CrmRefs::Provider, 16))
                    .col(string_len(CrmRefs::Entity, 16))
                    .col(big_integer(CrmRefs::EntityId))
                    .col(string_len(CrmRefs::RemoteId, 64))
                    .primary_key(
                        Index::create()
                            .col(CrmRefs::Provider)
                            .col(CrmRefs::Entity)
                            .col(CrmRefs::EntityId),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Outbox::Id))
                    .col(string_len(Outbox::Job, 32))
                    .col(big_integer(Outbox::EntityId))
                    .col(integer(Outbox::Attempts).default(0))
                    .col(timestamp_with_time_zone(Outbox::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(Outbox::LockedUntil))
                    .col(text_null(Outbox::LastError))
                    .col(timestamp_with_time_zone_null(Outbox::DoneAt))
                    .col(timestamp_with_time_zone(Outbox::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_outbox_due",
                Outbox::Table,
                vec![
                    Outbox::DoneAt.into_iden(),
                    Outbox::NextAttemptAt.into_iden(),
                ],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CrmContacts::Table)
                    .if_not_exists()
                    .col(big_pk_auto(CrmContacts::Id))
                    .col(string_len(CrmContacts::Name, 120))
                    .col(string_len(CrmContacts::Email, 254))
                    .col(string_len_null(CrmContacts::Phone, 40))
                    .col(string_len_null(CrmContacts::Company, 120))
                    .col(timestamp_with_time_zone(CrmContacts::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "ux_crm_contacts_email",
                    CrmContacts::Table,
                    vec![CrmContacts::Email.into_iden()],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CrmDeals::Table)
                    .if_not_exists()
                    .col(big_pk_auto(CrmDeals::Id))
                    .col(string_len(CrmDeals::Title, 200))
                    .col(big_integer(CrmDeals::ContactId))
                    .col(string_len_null(CrmDeals::OwnerEmail, 254))
                    .col(string_len(CrmDeals::Stage, 16))
                    .col(big_integer_null(CrmDeals::AmountMinor))
                    .col(string_len_null(CrmDeals::Currency, 3))
                    .col(timestamp_with_time_zone(CrmDeals::CreatedAt))
                    .col(timestamp_with_time_zone_null(CrmDeals::ClosedAt))
                    .foreign_key(&mut fk(
                        "fk_crm_deals_contact",
                        (CrmDeals::Table, CrmDeals::ContactId),
                        (CrmContacts::Table, CrmContacts::Id),
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CrmDeals::Table.into_iden(),
            CrmContacts::Table.into_iden(),
            Outbox::Table.into_iden(),
            CrmRefs::Table.into_iden(),
            Messages::Table.into_iden(),
            ConversationMembers::Table.into_iden(),
            Conversations::Table.into_iden(),
            Deals::Table.into_iden(),
            ChangeClock::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
