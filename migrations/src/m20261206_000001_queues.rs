//! Teams, queues and routing: a queue has a team of operators (none = every employee), a routing
//! rule (all agents, round robin, least busy) and a chat timeout; each employee has an operator
//! row with their status, capacity and the count of sessions they hold (the row an automatic
//! assignment claims with one conditional update). Every chat belongs to a queue; the default
//! queue keeps today's shared inbox.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Teams {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TeamMembers {
    Table,
    TeamId,
    UserId,
}

#[derive(DeriveIden)]
enum Queues {
    Table,
    Id,
    Name,
    TeamId,
    Routing,
    TimeoutMinutes,
    IsDefault,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Operators {
    Table,
    UserId,
    Status,
    Capacity,
    OpenSessions,
    LastAssignedAt,
    LastSeenAt,
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    QueueId,
    QueuedAt,
    AssignedTick,
}

#[derive(DeriveIden)]
enum OperatorSessions {
    Table,
    QueueId,
    FirstResponseAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Teams::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Teams::Id))
                    .col(string_uniq(Teams::Name))
                    .col(timestamp_with_time_zone(Teams::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TeamMembers::Table)
                    .if_not_exists()
                    .col(big_integer(TeamMembers::TeamId))
                    .col(big_integer(TeamMembers::UserId))
                    .primary_key(
                        Index::create()
                            .col(TeamMembers::TeamId)
                            .col(TeamMembers::UserId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_team_members_user")
                    .table(TeamMembers::Table)
                    .col(TeamMembers::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Queues::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Queues::Id))
                    .col(string_uniq(Queues::Name))
                    .col(big_integer_null(Queues::TeamId))
                    .col(string(Queues::Routing).default("all"))
                    .col(integer(Queues::TimeoutMinutes).default(120))
                    .col(boolean(Queues::IsDefault).default(false))
                    .col(timestamp_with_time_zone(Queues::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Operators::Table)
                    .if_not_exists()
                    .col(big_integer(Operators::UserId).primary_key())
                    .col(string(Operators::Status).default("available"))
                    .col(integer(Operators::Capacity).default(5))
                    .col(integer(Operators::OpenSessions).default(0))
                    .col(timestamp_with_time_zone_null(Operators::LastAssignedAt))
                    .col(timestamp_with_time_zone_null(Operators::LastSeenAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Conversations::Table)
                    .add_column(big_integer_null(Conversations::QueueId))
                    .to_owned(),
            )
            .await?;
        // A queue's waiting chats, oldest first.
        manager
            .create_index(
                Index::create()
                    .name("idx_conversations_queue_waiting")
                    .table(Conversations::Table)
                    .col(Conversations::QueueId)
                    .col(Conversations::QueuedAt)
                    .to_owned(),
            )
            .await?;
        // A woken manager's poll asks which chats colleagues took since its cursor: with routing
        // that is every assignment, read through this index instead of the whole table.
        manager
            .create_index(
                Index::create()
                    .name("idx_conversations_assigned_tick")
                    .table(Conversations::Table)
                    .col(Conversations::AssignedTick)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(OperatorSessions::Table)
                    .add_column(big_integer_null(OperatorSessions::QueueId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(OperatorSessions::Table)
                    .add_column(timestamp_with_time_zone_null(
                        OperatorSessions::FirstResponseAt,
                    ))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        // The default queue: every employee operates it and takes chats themselves, as before.
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(Queues::Table)
                    .columns([
                        Queues::Name,
                        Queues::Routing,
                        Queues::TimeoutMinutes,
                        Queues::IsDefault,
                        Queues::CreatedAt,
                    ])
                    .values_panic([
                        "General".into(),
                        "all".into(),
                        120.into(),
                        true.into(),
                        sea_orm::prelude::ChronoUtc::now().into(),
                    ])
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(
            "UPDATE conversations SET queue_id = (SELECT id FROM queues WHERE is_default) \
             WHERE kind = 'client'",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE operator_sessions SET queue_id = (SELECT id FROM queues WHERE is_default)",
        )
        .await?;
        // Every employee is an operator, holding the chats assigned to them today.
        db.execute_unprepared(
            "INSERT INTO operators (user_id, status, capacity, open_sessions) \
             SELECT u.id, 'available', 5, \
                    (SELECT COUNT(*) FROM conversations c WHERE c.assignee_id = u.id) \
             FROM users u WHERE u.role IN ('manager', 'admin')",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Teams::Table.into_iden(),
            TeamMembers::Table.into_iden(),
            Queues::Table.into_iden(),
            Operators::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("idx_conversations_assigned_tick")
                    .table(Conversations::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_conversations_queue_waiting")
                    .table(Conversations::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Conversations::Table)
                    .drop_column(Conversations::QueueId)
                    .to_owned(),
            )
            .await?;
        for column in [
            OperatorSessions::QueueId.into_iden(),
            OperatorSessions::FirstResponseAt.into_iden(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(OperatorSessions::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
