//! A command's transaction: the statements it writes are queued and sent
//! together, before its next read and at its end, so a command costs one
//! round trip for all it writes and every read sees its own writes.

use std::sync::PoisonError;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, NaiveDate, Utc};
use rectrack_core::role::Principal;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    IntoActiveModel, Iterable, QueryTrait, Statement,
};

use crate::error::{Error, Result};

/// A command's view of its transaction. Writes are queued and sent together
/// before the command's next read and at its end (with its audit event), so
/// every read sees the command's own writes.
pub struct Tx<'a> {
    db: &'a DatabaseTransaction,
    backend: DbBackend,
    queued: std::sync::Mutex<Vec<Statement>>,
    sent: AtomicBool,
    /// The time of this write (never before the previous event's).
    pub now: DateTime<Utc>,
    /// Today, in UTC.
    pub today: NaiveDate,
    /// Who asked.
    pub principal: &'a Principal,
}

impl<'a> Tx<'a> {
    /// A command's view of `db`, writing at `now` for `principal`.
    pub(crate) fn new(
        db: &'a DatabaseTransaction,
        backend: DbBackend,
        now: DateTime<Utc>,
        principal: &'a Principal,
    ) -> Self {
        Self {
            db,
            backend,
            queued: std::sync::Mutex::default(),
            sent: AtomicBool::new(false),
            now,
            today: now.date_naive(),
            principal,
        }
    }

    /// Whether any of the command's rows were sent (so a failure after that
    /// left some in the transaction).
    pub(crate) fn sent(&self) -> bool {
        self.sent.load(Ordering::Relaxed)
    }

    /// The backend the transaction is on.
    pub fn backend(&self) -> DbBackend {
        self.backend
    }

    /// The transaction, to read from. Queued writes are sent first.
    pub async fn db(&self) -> Result<&DatabaseTransaction> {
        self.flush().await?;
        Ok(self.db)
    }

    /// Queues the insert of a row given as a model.
    pub fn insert<M, A>(&self, model: M) -> Result<()>
    where
        M: IntoActiveModel<A>,
        A: ActiveModelTrait + Send,
    {
        let statement = <A::Entity as EntityTrait>::insert(model.into_active_model().reset_all())
            .build(self.backend);
        self.queue(statement);
        Ok(())
    }

    /// Queues the update of a row given as a model (every column).
    pub fn update<M, A>(&self, model: M) -> Result<()>
    where
        M: IntoActiveModel<A>,
        A: ActiveModelTrait + Send,
    {
        let statement = <A::Entity as EntityTrait>::update(model.into_active_model().reset_all())
            .validate()?
            .build(self.backend);
        self.queue(statement);
        Ok(())
    }

    /// Queues the update of the columns that differ between a row as it was
    /// read (`before`) and as it is to be (`after`), if any do. SQLite
    /// rewrites every index on a column an `UPDATE` sets, changed or not, so
    /// naming only what changed leaves the other indexes alone.
    pub fn update_changed<M, A>(&self, before: M, after: M) -> Result<()>
    where
        M: IntoActiveModel<A>,
        A: ActiveModelTrait + Send,
    {
        if let Some(statement) = update_of_changes(self.backend, before, after)? {
            self.queue(statement);
        }
        Ok(())
    }

    /// Queues a statement that must change exactly one row.
    pub(crate) fn queue(&self, statement: Statement) {
        self.queued
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(statement);
    }

    /// Sends the queued writes.
    pub(crate) async fn flush(&self) -> Result<()> {
        let statements =
            std::mem::take(&mut *self.queued.lock().unwrap_or_else(PoisonError::into_inner));
        if statements.is_empty() {
            return Ok(());
        }
        self.sent.store(true, Ordering::Relaxed);
        send(self.db, self.backend, statements).await
    }
}

/// The `UPDATE` of the columns that differ between `before` and `after`
/// (none if nothing does).
fn update_of_changes<M, A>(backend: DbBackend, before: M, after: M) -> Result<Option<Statement>>
where
    M: IntoActiveModel<A>,
    A: ActiveModelTrait + Send,
{
    let mut row = before.into_active_model();
    let after = after.into_active_model();
    for column in <<A::Entity as EntityTrait>::Column as Iterable>::iter() {
        if let Some(value) = after.get(column).into_value() {
            row.set_if_not_equals(column, value);
        }
    }
    if !row.is_changed() {
        return Ok(None);
    }
    Ok(Some(
        <A::Entity as EntityTrait>::update(row)
            .validate()?
            .build(backend),
    ))
}

/// Sends writes, each of which must change exactly one row: on SQLite as one
/// execution of all of them (the driver binds each statement's share of the
/// values in turn), elsewhere one by one.
async fn send(
    db: &DatabaseTransaction,
    backend: DbBackend,
    statements: Vec<Statement>,
) -> Result<()> {
    let expected = statements.len() as u64;
    let changed = if backend == DbBackend::Sqlite && statements.len() > 1 {
        let mut sql = String::new();
        let mut values = Vec::new();
        for statement in statements {
            sql.push_str(&statement.sql);
            sql.push_str(";\n");
            if let Some(bound) = statement.values {
                values.extend(bound.0);
            }
        }
        db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?
            .rows_affected()
    } else {
        let mut changed = 0;
        for statement in statements {
            changed += db.execute_raw(statement).await?.rows_affected();
        }
        changed
    };
    if changed != expected {
        return Err(Error::RowCount { expected, changed });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use uuid::Uuid;

    use super::*;
    use crate::entities::assignments;

    fn row() -> assignments::Model {
        let day = NaiveDate::from_ymd_opt(2026, 11, 25).expect("a date");
        assignments::Model {
            id: Uuid::nil(),
            recommendation_id: Uuid::nil(),
            organisation: "met".to_owned(),
            status: "in_progress".to_owned(),
            decision: Some("accepted".to_owned()),
            issued_on: day,
            issued_day: 1,
            initial_due_on: day,
            response_due_on: day,
            first_response_on: Some(day),
            first_response_day: Some(1),
            verified_on: None,
            verified_day: None,
            first_response_bound: false,
            verified_bound: false,
            occurred_through: Some(day),
            closed_on: None,
            version: 3,
            created_at_us: 10,
            updated_at_us: 10,
        }
    }

    #[test]
    fn an_update_sets_only_the_columns_that_changed() {
        let before = row();
        let after = assignments::Model {
            version: 4,
            updated_at_us: 20,
            ..before.clone()
        };
        let statement = update_of_changes(DbBackend::Sqlite, before, after)
            .expect("a valid update")
            .expect("something changed");
        assert_eq!(
            statement.sql,
            r#"UPDATE "assignments" SET "version" = ?, "updated_at_us" = ? WHERE "assignments"."id" = ?"#
        );
    }

    #[test]
    fn a_changed_status_is_set_too() {
        let before = row();
        let after = assignments::Model {
            status: "claimed".to_owned(),
            version: 4,
            ..before.clone()
        };
        let statement = update_of_changes(DbBackend::Postgres, before, after)
            .expect("a valid update")
            .expect("something changed");
        assert!(
            statement.sql.contains(r#""status" = $1"#),
            "{}",
            statement.sql
        );
        assert!(!statement.sql.contains("organisation"), "{}", statement.sql);
    }

    #[test]
    fn nothing_changed_writes_nothing() {
        let statement =
            update_of_changes(DbBackend::Sqlite, row(), row()).expect("a valid comparison");
        assert!(statement.is_none());
    }
}
