//! Single-row `INSERT` + commit in a loop, on a database configured as
//! rectrack configures it (for SQLite: WAL, `synchronous = NORMAL`): the
//! storage ceiling for writes. Prints inserts per second.

use std::time::Instant;

use sea_orm::{ConnectionTrait, Statement, TransactionTrait};

/// Inserts `count` rows one transaction each into a scratch table of `url`;
/// returns the rate per second.
pub async fn run(url: &str, count: u64) -> Result<f64, Box<dyn std::error::Error>> {
    let db = rectrack_store::db::connect(url).await?;
    let backend = db.get_database_backend();
    db.execute_unprepared("DROP TABLE IF EXISTS raw_insert_bench")
        .await?;
    db.execute_unprepared(
        "CREATE TABLE raw_insert_bench (id BIGINT PRIMARY KEY, payload TEXT NOT NULL)",
    )
    .await?;
    let started = Instant::now();
    for id in 0..count {
        let txn = db.begin().await?;
        let sql = if backend == sea_orm::DbBackend::Postgres {
            "INSERT INTO raw_insert_bench (id, payload) VALUES ($1, $2)"
        } else {
            "INSERT INTO raw_insert_bench (id, payload) VALUES (?, ?)"
        };
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [(id as i64).into(), "x".repeat(200).into()],
        ))
        .await?;
        txn.commit().await?;
    }
    let rate = count as f64 / started.elapsed().as_secs_f64();
    db.execute_unprepared("DROP TABLE raw_insert_bench").await?;
    Ok(rate)
}
