//! Files in chats without a deal: a file (and an upload in progress) may belong to a chat alone,
//! so `deal_id` may be empty; a channel says whether its clients may attach files in such chats.

use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Channels {
    Table,
    ClientFiles,
}

#[derive(DeriveIden)]
enum Files {
    Table,
    ConversationId,
    Id,
}

/// The tables whose `deal_id` becomes optional.
const TABLES: [&str; 2] = ["files", "uploads"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on SQLite too: the rebuild is all or nothing, and every statement runs on
    /// one connection (on a pool in WAL mode another connection may still read the old schema).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            deal_id_nullable(manager, table, true).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Channels::Table)
                    .add_column(boolean(Channels::ClientFiles).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_files_conversation")
                    .table(Files::Table)
                    .col(Files::ConversationId)
                    .col(Files::Id)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_files_conversation")
                    .table(Files::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Channels::Table)
                    .drop_column(Channels::ClientFiles)
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for table in TABLES {
            // Chat files have no deal to go back to.
            db.execute_unprepared(&format!("DELETE FROM {table} WHERE deal_id IS NULL"))
                .await?;
            deal_id_nullable(manager, table, false).await?;
        }
        Ok(())
    }
}

/// Makes `table.deal_id` optional (or required again). PostgreSQL alters the column; SQLite
/// cannot, so the table is rebuilt from its own definition with only that column changed, its
/// rows copied and its indexes made again.
async fn deal_id_nullable(
    manager: &SchemaManager<'_>,
    table: &str,
    nullable: bool,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let backend = manager.get_database_backend();
    if backend == DbBackend::Postgres {
        let change = if nullable { "DROP" } else { "SET" };
        db.execute_unprepared(&format!(
            "ALTER TABLE {table} ALTER COLUMN deal_id {change} NOT NULL"
        ))
        .await?;
        return Ok(());
    }
    let schema = |kind: &str| {
        Statement::from_sql_and_values(
            backend,
            "SELECT sql FROM sqlite_master WHERE type = ? AND tbl_name = ? AND sql IS NOT NULL",
            [kind.into(), table.into()],
        )
    };
    let sql_of = |row: &sea_orm_migration::sea_orm::QueryResult| row.try_get::<String>("", "sql");
    let create = db
        .query_one_raw(schema("table"))
        .await?
        .ok_or_else(|| DbErr::Migration(format!("table {table} not found")))
        .and_then(|row| sql_of(&row))?;
    let indexes = db
        .query_all_raw(schema("index"))
        .await?
        .iter()
        .map(sql_of)
        .collect::<Result<Vec<_>, _>>()?;
    let rebuilt = with_deal_id(&create, table, nullable)?;
    db.execute_unprepared(&rebuilt).await?;
    db.execute_unprepared(&format!(
        "INSERT INTO {table}_rebuilt SELECT * FROM {table}"
    ))
    .await?;
    db.execute_unprepared(&format!("DROP TABLE {table}"))
        .await?;
    db.execute_unprepared(&format!("ALTER TABLE {table}_rebuilt RENAME TO {table}"))
        .await?;
    for index in indexes {
        db.execute_unprepared(&index).await?;
    }
    Ok(())
}

/// The table's `CREATE TABLE` as `{table}_rebuilt`, its `deal_id` column with or without
/// `NOT NULL` (whatever type the backend wrote for it); an error when the definition is not the
/// one the earlier migrations wrote.
fn with_deal_id(create: &str, table: &str, nullable: bool) -> Result<String, DbErr> {
    let unexpected = || DbErr::Migration(format!("unexpected definition of {table}: {create}"));
    let (head, rest) = create.split_once('(').ok_or_else(unexpected)?;
    if !head.contains(&format!("\"{table}\"")) {
        return Err(unexpected());
    }
    let at = rest.find("\"deal_id\" ").ok_or_else(unexpected)?;
    let end = rest[at..]
        .find([',', ')'])
        .map(|e| at + e)
        .ok_or_else(unexpected)?;
    let column = rest[at..end].trim_end();
    let changed = match (nullable, column.strip_suffix(" NOT NULL")) {
        (true, Some(optional)) => optional.to_owned(),
        (false, None) => format!("{column} NOT NULL"),
        _ => return Err(unexpected()),
    };
    Ok(format!(
        "CREATE TABLE \"{table}_rebuilt\" ({}{changed}{}",
        &rest[..at],
        &rest[at + column.len()..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    // As SQLite keeps it (sea-query writes `bigint`, SQLite's dialect `integer`).
    const FILES: &str = "CREATE TABLE \"files\" ( \"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \
        \"deal_id\" integer NOT NULL, \"conversation_id\" integer NULL )";

    #[test]
    fn only_the_deal_column_changes() {
        let made = with_deal_id(FILES, "files", true).unwrap();
        assert_eq!(
            made,
            "CREATE TABLE \"files_rebuilt\" ( \"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \
             \"deal_id\" integer, \"conversation_id\" integer NULL )"
        );
        let back = with_deal_id(&made.replace("files_rebuilt", "files"), "files", false).unwrap();
        assert_eq!(back, FILES.replace("\"files\"", "\"files_rebuilt\""));
    }

    #[test]
    fn a_definition_it_does_not_know_is_refused() {
        assert!(with_deal_id("CREATE TABLE \"files\" (\"id\" integer)", "files", true).is_err());
        assert!(with_deal_id(FILES, "uploads", true).is_err());
        assert!(
            with_deal_id(FILES, "files", false).is_err(),
            "already required"
        );
    }
}
