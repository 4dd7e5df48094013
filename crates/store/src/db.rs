//! Connecting to the database and bringing its schema up to date.
//!
//! SQLite is tuned to serve: WAL (readers never wait for the writer), foreign
//! keys on, a busy timeout, and `synchronous = NORMAL`, under which a commit
//! that returned survives the process being killed (WAL frames are written
//! before the commit returns; only a power cut can lose the last ones). Write
//! transactions on SQLite begin `IMMEDIATE` (see `write/mod.rs`).

use std::time::Duration;

use rectrack_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
    TransactionTrait,
};

use crate::error::Result;

/// How long a SQLite connection waits for another process's write lock.
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects to `url` (`sqlite://…`, `postgres://…` or `mysql://…`).
pub async fn connect(url: &str) -> Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30));
    if url.starts_with("sqlite:") {
        // An in-memory database exists per connection: keep exactly one.
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        options
            .max_connections(if in_memory { 1 } else { sqlite_connections() })
            .min_connections(1)
            .map_sqlx_sqlite_opts(|opts| {
                opts.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
            });
    } else {
        options.max_connections(16).min_connections(1);
    }
    Ok(Database::connect(options).await?)
}

/// SQLite connections in the pool: two per core, from four to sixteen. Each runs
/// its statements on a thread of its own, so more than the cores can keep
/// busy buy no speed; each also keeps its own page cache, and its thread its
/// own allocator arena, which a large report leaves holding freed memory.
/// On two cores, four instead of eight served GET as fast and lowered the
/// peak RSS of the benchmark's sequence from 137 MB to 118–127 MB.
fn sqlite_connections() -> u32 {
    std::thread::available_parallelism()
        .map_or(4, |cores| u32::try_from(cores.get()).unwrap_or(u32::MAX))
        .saturating_mul(2)
        .clamp(4, 16)
}

/// Applies every migration not yet applied.
///
/// Several servers may start at once on one PostgreSQL or MariaDB database:
/// each takes a database-wide lock first, so one migrates while the others
/// wait and then find nothing left to do. (SQLite serialises schema changes
/// by its write lock.)
pub async fn migrate(db: &DatabaseConnection) -> Result<()> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            // Held by this transaction's connection until it ends.
            let lock = db.begin().await?;
            lock.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
                .await?;
            let migrated = Migrator::up(db, None).await;
            lock.commit().await?;
            migrated?;
        }
        DbBackend::MySql => {
            let lock = db.begin().await?;
            let taken = lock
                .query_one_raw(Statement::from_string(
                    DbBackend::MySql,
                    format!(
                        "SELECT GET_LOCK('rectrack-migrations', {}) AS taken",
                        MIGRATION_WAIT.as_secs()
                    ),
                ))
                .await?
                .map(|row| row.try_get::<Option<i64>>("", "taken"))
                .transpose()?
                .flatten();
            if taken != Some(1) {
                return Err(sea_orm::DbErr::Custom(format!(
                    "another process held the migration lock for over {} s",
                    MIGRATION_WAIT.as_secs()
                ))
                .into());
            }
            let migrated = Migrator::up(db, None).await;
            lock.execute_unprepared("DO RELEASE_LOCK('rectrack-migrations')")
                .await?;
            lock.commit().await?;
            migrated?;
        }
        _ => Migrator::up(db, None).await?,
    }
    Ok(())
}

/// Brings the query planner's statistics up to date after a bulk load.
///
/// PostgreSQL plans from statistics that autovacuum gathers in the
/// background, and a load of a million rows outpaces it: until it catches up,
/// a status report may be planned as if its tables were nearly empty (a nested
/// loop over every pair of 76k milestone events and 100k assignments, which
/// ran for minutes, where a hash join takes 0.4 s). SQLite keeps statistics
/// only when asked, and plans these queries well without them; MariaDB's
/// InnoDB recomputes its own once a tenth of a table has changed.
pub async fn refresh_statistics(db: &DatabaseConnection) -> Result<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared("ANALYZE").await?;
    }
    Ok(())
}

/// The advisory lock key migrations take on PostgreSQL ("rtk" + 1).
const MIGRATION_LOCK: i64 = 0x7274_6b01;
/// How long a process waits for another's migrations on MariaDB.
const MIGRATION_WAIT: Duration = Duration::from_secs(120);

/// The backend `db` speaks.
pub fn backend(db: &DatabaseConnection) -> DbBackend {
    db.get_database_backend()
}
