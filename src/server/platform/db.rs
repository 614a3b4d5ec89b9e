//! Connecting to SQLite or PostgreSQL, and turning database errors into user-facing ones.

use crate::model::AppError;
use crate::server::platform::config::DatabaseSettings;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr, SqlErr};
use std::time::Duration;

/// Opens the pool. SQLite runs in WAL mode with `synchronous = FULL`: a committed write survives
/// power loss; its page cache per connection is `sqlite_cache_kib`.
pub async fn connect(settings: &DatabaseSettings) -> Result<DatabaseConnection, DbErr> {
    let sqlite_dir = sqlite_file(&settings.url)
        .and_then(|path| std::path::Path::new(path).parent())
        .filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = sqlite_dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", dir.display())))?;
    }
    // Negative: a size in KiB rather than in pages.
    let cache_size = format!("-{}", settings.sqlite_cache_kib);
    let row_buffer = settings.sqlite_row_buffer;
    let mut opts = ConnectOptions::new(settings.url.clone());
    opts.max_connections(settings.max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(settings.acquire_timeout_secs))
        .acquire_timeout(Duration::from_secs(settings.acquire_timeout_secs))
        .sqlx_logging(false)
        // An SQLite connection is a file and a thread of this process: never pinged (the ping
        // was a round trip to that thread before every query; a poll's batch and a send make
        // about a dozen).
        .test_before_acquire(false)
        .map_sqlx_sqlite_opts(move |o| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .pragma("cache_size", cache_size.clone())
                // sqlx hands rows over a bounded channel from the connection's thread. At its
                // default of 50, a query of more rows (a group's 500 members woken by one
                // message) switched threads for each row past the 50th: about 1 ms before the
                // first member heard it (README, group fan-out).
                .row_buffer_size(row_buffer)
        });
    if !is_sqlite(&settings.url) {
        // A PostgreSQL connection goes away when the server restarts: one that rested a while
        // is pinged before use. Pinged on every use, each query cost two round trips to the
        // server (a send is about eight queries, each batch of woken polls about five). A
        // connection in use until a restart fails its next query once, as an unavailable
        // database, which every client retries.
        opts.test_before_acquire_if_idle_for(PING_AFTER_IDLE);
    }
    Database::connect(opts).await
}

/// How long a pooled PostgreSQL connection may rest before it is pinged on its next use.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// Whether the URL names an SQLite database (a file or in memory).
fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

/// The file behind a `sqlite://PATH?…` URL (None for in-memory or non-SQLite URLs).
fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// True when `err` broke the unique constraint `pg_name` (PostgreSQL) / on `sqlite_cols` (SQLite).
pub fn is_unique_violation(err: &DbErr, pg_name: &str, sqlite_cols: &str) -> bool {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(detail)) => {
            detail.contains(&format!("\"{pg_name}\"")) || detail.ends_with(sqlite_cols)
        }
        _ => false,
    }
}

/// True when the database could not be reached (down, restarting, the pool timed out), as
/// opposed to a statement it refused: worth retrying in a moment.
pub fn is_unreachable(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as Sqlx;
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            matches!(**e, Sqlx::Io(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed)
        }
        _ => false,
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        if is_unreachable(&err) {
            tracing::warn!(error = %err, "database unreachable");
            return AppError::Unavailable(
                "The service is briefly unavailable. Please try again in a moment.".into(),
            );
        }
        tracing::error!(error = %err, "database error");
        AppError::Internal
    }
}

/// A transaction that writes: on SQLite it takes the write lock at its start (`BEGIN
/// IMMEDIATE`), so a read before its first write cannot go stale under another writer and fail
/// with "database is locked" (SQLITE_BUSY_SNAPSHOT) when it then writes.
pub async fn begin_write(db: &DatabaseConnection) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    use sea_orm::TransactionTrait;
    db.begin_with_options(sea_orm::TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// A `LIKE` pattern (used with `ESCAPE '\\'` on a `LOWER(…)` column) for text containing
/// `text`, any case; wildcards in it are taken literally, so a search for `50%` means `50%`.
pub fn like_contains(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for ch in text.to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bundled SQLite is built as `.cargo/config.toml` says: with the planner's stability
    /// guarantee (else every `LIMIT ?` statement is compiled again on each run) and without the
    /// memory statistics' global mutex.
    #[tokio::test]
    async fn sqlite_is_built_with_the_flags_the_server_relies_on() {
        use sea_orm::{ConnectionTrait, Statement};
        let db = Database::connect("sqlite::memory:").await.unwrap();
        let options: Vec<String> = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT compile_options FROM pragma_compile_options",
            ))
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get::<String>("", "compile_options").unwrap())
            .collect();
        for wanted in ["ENABLE_QPSG", "DEFAULT_MEMSTATUS=0"] {
            assert!(
                options.iter().any(|o| o == wanted),
                "{wanted} in {options:?}"
            );
        }
    }

    #[test]
    fn search_wildcards_are_taken_literally() {
        assert_eq!(like_contains("50%_Off\\"), "%50\\%\\_off\\\\%");
    }

    #[test]
    fn an_unreachable_database_is_worth_retrying_and_a_refused_statement_is_not() {
        use sea_orm::{ConnAcquireErr, RuntimeErr};
        let unreachable = DbErr::ConnectionAcquire(ConnAcquireErr::Timeout);
        assert!(is_unreachable(&unreachable));
        assert!(matches!(
            AppError::from(unreachable),
            AppError::Unavailable(_)
        ));
        let io = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        let cut = DbErr::Query(RuntimeErr::SqlxError(std::sync::Arc::new(
            sea_orm::sqlx::Error::Io(io),
        )));
        assert!(is_unreachable(&cut));
        let refused = DbErr::Query(RuntimeErr::Internal("syntax error".into()));
        assert!(!is_unreachable(&refused));
        assert_eq!(AppError::from(refused), AppError::Internal);
    }

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            sqlite_file("sqlite://data/x.db?mode=rwc"),
            Some("data/x.db")
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://u@h/db"), None);
    }
}
