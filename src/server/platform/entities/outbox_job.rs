use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub job: String,
    pub entity_id: i64,
    pub attempts: i32,
    pub next_attempt_at: ChronoDateTimeUtc,
    pub locked_until: Option<ChronoDateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub done_at: Option<ChronoDateTimeUtc>,
    /// Set when the job failed for good (the dead letter); it is not tried again until retried.
    pub failed_at: Option<ChronoDateTimeUtc>,
    pub created_at: ChronoDateTimeUtc,
    /// The data directory (`jobs::DataDirId`) whose runner may take the job, for a job that
    /// reads a file kept there; any runner's when unset.
    pub runs_on: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
