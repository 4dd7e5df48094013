//! SQLite as rectrack configures it to serve: WAL, foreign keys enforced, a
//! busy timeout, and durable commits.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed test

use rectrack_store::db;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

async fn pragma(db: &sea_orm::DatabaseConnection, name: &str) -> String {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            format!("PRAGMA {name}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0)
        .map(|n| n.to_string())
        .or_else(|_| row.try_get_by_index::<String>(0))
        .unwrap()
}

#[tokio::test]
async fn every_connection_runs_in_wal_with_foreign_keys_and_a_busy_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/r.db?mode=rwc", dir.path().display());
    let connection = db::connect(&url).await.unwrap();
    db::migrate(&connection).await.unwrap();
    assert_eq!(pragma(&connection, "journal_mode").await, "wal");
    assert_eq!(pragma(&connection, "foreign_keys").await, "1");
    assert_eq!(
        pragma(&connection, "busy_timeout").await,
        db::SQLITE_BUSY_TIMEOUT.as_millis().to_string()
    );
    // NORMAL (1): in WAL mode a returned commit survives the process being killed.
    assert_eq!(pragma(&connection, "synchronous").await, "1");
}

#[tokio::test]
async fn the_schema_refuses_a_row_that_points_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/r.db?mode=rwc", dir.path().display());
    let connection = db::connect(&url).await.unwrap();
    db::migrate(&connection).await.unwrap();
    let orphan = connection
        .execute_raw(Statement::from_string(
            DbBackend::Sqlite,
            "INSERT INTO reports (slug, title, issued_by, published_on, created_at_us) VALUES ('r1', 'R', 'nobody', '2022-02-01', 0)".to_owned(),
        ))
        .await;
    assert!(
        orphan.is_err(),
        "a report issued by no organisation must be refused"
    );
}
