//! The one way anything is written: `Store::write` runs a command in a
//! transaction and appends its audit event in that same transaction.
//!
//! Every write first holds the head of the audit chain (`SELECT … FOR UPDATE`
//! on PostgreSQL and MariaDB; on SQLite the `BEGIN IMMEDIATE` write lock,
//! behind an in-process queue so that the process's own writers wait their
//! turn instead of spinning on the busy timeout). Holding it, the command
//! reads the state it acts on, asks core whether the move is allowed, and
//! queues its rows; then the event is sealed with the next `seq` and the
//! head's hash (a trigger moves the head as the event is inserted), and the
//! rows and the event are sent together. So writers are serialised across
//! every process sharing the database, the chain can neither fork nor gap,
//! and a failed command leaves no row and no event behind.
//!
//! A command's writes are queued in its [`Tx`] and sent before its next read
//! and at its end: on SQLite as one multi-statement execution, so a command
//! costs one round trip to the connection for all it writes.
//!
//! On SQLite, writers that queue behind one another share one transaction
//! (group commit): each takes its turn under the lock, and the group commits
//! once when those queued have had theirs. No writer is answered before its
//! group has committed; a group whose commit fails, or one of whose commands
//! failed after sending rows, is rolled back whole and every writer in it
//! gets the error. PostgreSQL and MariaDB commit each write on its own. See
//! `docs/decisions/0004-one-chain-lock.md`.
//!
//! Idempotency keys are checked under the same lock: a replay returns the
//! stored answer and writes nothing.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError};

use chrono::{DateTime, NaiveDate, Utc};
use rectrack_core::assignment::AssignmentStatus;
use rectrack_core::audit::{AuditEvent, NewAuditEvent, canonical_json};
use rectrack_core::response::ResponseDecision;
use rectrack_core::role::Principal;
use rectrack_core::status_report::MilestoneState;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    IntoActiveModel, Iterable, QuerySelect, QueryTrait, SqliteTransactionMode, Statement,
    TransactionOptions, TransactionTrait,
};
use serde_json::Value;
use tokio::sync::{Mutex, OwnedMutexGuard, watch};
use uuid::Uuid;

use crate::Store;
use crate::convert::{day_number, from_micros, micros, wire};
use crate::entities::{assignment_events, audit_events, audit_head, idempotency_keys};
use crate::error::{Error, Result};

/// An HTTP answer kept for an idempotency key, to be replayed as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// The status code.
    pub status: u16,
    /// The body.
    pub body: String,
    /// The `Location` header, for creates.
    pub location: Option<String>,
}

/// An idempotency key sent with a request, and how to render the answer to keep.
pub struct Idempotency<'a, T> {
    /// Whose key it is: the token id (keys of different tokens never clash).
    pub scope: String,
    /// The key as sent.
    pub key: String,
    /// SHA-256 of the request (method, path, body): the same key with another
    /// request is refused.
    pub request_hash: String,
    /// Renders the command's result as the answer to keep.
    pub render: &'a (dyn Fn(&T) -> StoredResponse + Send + Sync),
}

/// Who asks for a write, and the idempotency key that came with it.
pub struct Ctx<'a, T> {
    /// The token (or console) behind the request.
    pub principal: &'a Principal,
    /// The key, if the request carried one.
    pub idempotency: Option<Idempotency<'a, T>>,
}

impl<'a, T> Ctx<'a, T> {
    /// A write with no idempotency key.
    pub fn new(principal: &'a Principal) -> Self {
        Self {
            principal,
            idempotency: None,
        }
    }
}

/// What a write produced: a fresh result, or the answer kept for its
/// idempotency key.
#[derive(Debug, Clone, PartialEq)]
pub enum Written<T> {
    /// The command ran now.
    Fresh(T),
    /// The key was seen before with the same request; nothing was written.
    Replayed(StoredResponse),
}

impl<T> Written<T> {
    /// The fresh result; `None` for a replay.
    pub fn fresh(self) -> Option<T> {
        match self {
            Self::Fresh(value) => Some(value),
            Self::Replayed(_) => None,
        }
    }
}

/// What a command changed on one assignment, for its history and for
/// reports as of a past day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Touch {
    /// The assignment.
    pub assignment_id: Uuid,
    /// Its new status, if it moved.
    pub status: Option<AssignmentStatus>,
    /// The decision of a response submitted.
    pub decision: Option<ResponseDecision>,
    /// Its new response due day, if an extension moved it.
    pub response_due_on: Option<NaiveDate>,
    /// A milestone added or changed.
    pub milestone: Option<MilestoneState>,
}

impl Touch {
    /// A touch that records the event in the assignment's history only.
    pub fn of(assignment_id: Uuid) -> Self {
        Self {
            assignment_id,
            ..Self::default()
        }
    }
}

/// The audit event a command asks to append.
#[derive(Debug, Clone)]
pub struct EventDraft {
    /// What was done, e.g. `response.submitted`.
    pub action: &'static str,
    /// The kind of entity acted on.
    pub entity_type: &'static str,
    /// Its id.
    pub entity_id: String,
    /// Every row the command wrote.
    pub payload: Value,
    /// The assignments it concerns.
    pub touches: Vec<Touch>,
}

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

impl Tx<'_> {
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

    fn queue(&self, statement: Statement) {
        self.queued
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(statement);
    }

    /// Sends the queued writes.
    async fn flush(&self) -> Result<()> {
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
        return Err(Error::Corrupt(format!(
            "{expected} rows were to be written, {changed} were"
        )));
    }
    Ok(())
}

/// How a command went in an open transaction.
struct Attempt<T> {
    result: Result<Written<T>>,
    /// The chain's head in the transaction now, if known.
    head: Option<audit_head::Model>,
    /// Whether rows of the command were sent (so a failure left some behind).
    sent: bool,
}

impl Store {
    /// Runs `command` holding the chain lock, appends its audit event, and
    /// returns once it is committed. A command error leaves nothing behind.
    pub(crate) async fn write<T, F>(&self, ctx: &Ctx<'_, T>, command: F) -> Result<Written<T>>
    where
        F: AsyncFnOnce(&Tx<'_>) -> Result<(T, EventDraft)>,
    {
        if let Some(batch) = &self.batch {
            return self.write_in_batch(batch, ctx, command).await;
        }
        if let Some(writer) = &self.writer {
            return self.write_in_group(writer, ctx, command).await;
        }
        let txn = self.begin_write().await?;
        let attempt = self.write_in(&txn, None, ctx, command).await;
        match attempt.result {
            Ok(written) => {
                txn.commit().await?;
                Ok(written)
            }
            Err(error) => {
                // A failed rollback is logged: the transaction is abandoned
                // either way and the database discards it.
                if let Err(rollback) = txn.rollback().await {
                    tracing::warn!(error = %rollback, "rollback failed");
                }
                Err(error)
            }
        }
    }

    async fn write_in_batch<T, F>(
        &self,
        batch: &Mutex<Open>,
        ctx: &Ctx<'_, T>,
        command: F,
    ) -> Result<Written<T>>
    where
        F: AsyncFnOnce(&Tx<'_>) -> Result<(T, EventDraft)>,
    {
        let mut guard = batch.lock().await;
        let open = &mut *guard;
        let txn = open
            .txn
            .as_ref()
            .ok_or_else(|| Error::Corrupt("the batch was already committed".to_owned()))?;
        if open.broken {
            return Err(Error::Corrupt(
                "a command failed after writing: the batch is rolled back".to_owned(),
            ));
        }
        // Broken until the command's turn ends: a writer dropped midway may
        // have sent part of its rows.
        open.broken = true;
        let head = open.head.take();
        let attempt = self.write_in(txn, head, ctx, command).await;
        open.head = attempt.head;
        open.broken = attempt.result.is_err() && attempt.sent;
        attempt.result
    }

    /// SQLite: takes a turn in the open group transaction (opening one, and
    /// asking for its commit, if none is open), then waits for the group to
    /// commit.
    async fn write_in_group<T, F>(
        &self,
        writer: &Arc<Mutex<Open>>,
        ctx: &Ctx<'_, T>,
        command: F,
    ) -> Result<Written<T>>
    where
        F: AsyncFnOnce(&Tx<'_>) -> Result<(T, EventDraft)>,
    {
        let mut guard = writer.lock().await;
        let open = &mut *guard;
        if open.txn.is_none() {
            open.txn = Some(self.begin_write().await?);
            open.head = None;
            open.broken = false;
            open.wrote = false;
            open.committed = Some(watch::channel(None).0);
            // The commit queues behind the writers waiting now: they join
            // this group; those who come later open the next.
            tokio::spawn(commit_group(writer.clone()));
        }
        let (Some(txn), Some(committed)) = (open.txn.as_ref(), open.committed.as_ref()) else {
            return Err(Error::Corrupt("the write group is not open".to_owned()));
        };
        let mut committed = committed.subscribe();
        if open.broken {
            return Err(group_failed(
                "an earlier command of the group failed after writing",
            ));
        }
        // Until this writer's turn ends the group counts as broken and its
        // head as unknown: should the writer be dropped midway (its client
        // gone), part of its rows may have been sent, and the group must
        // roll back rather than commit them.
        open.broken = true;
        let head = open.head.take();
        let attempt = self.write_in(txn, head, ctx, command).await;
        open.head = attempt.head;
        open.broken = attempt.result.is_err() && attempt.sent;
        open.wrote |= attempt.sent;
        let seen_uncommitted = open.wrote;
        drop(guard);
        // Whatever this writer saw, written or not (a replay, a refusal), is
        // answered only once the group has committed it.
        if !seen_uncommitted {
            return attempt.result;
        }
        let outcome = committed
            .wait_for(Option::is_some)
            .await
            .map_err(|_| group_failed("the commit was abandoned"))?
            .clone();
        match outcome {
            Some(Ok(())) => attempt.result,
            Some(Err(message)) => Err(group_failed(&message)),
            None => Err(group_failed("the commit was abandoned")),
        }
    }

    async fn write_in<T, F>(
        &self,
        txn: &DatabaseTransaction,
        head: Option<audit_head::Model>,
        ctx: &Ctx<'_, T>,
        command: F,
    ) -> Attempt<T>
    where
        F: AsyncFnOnce(&Tx<'_>) -> Result<(T, EventDraft)>,
    {
        let head = match head {
            Some(head) => head,
            None => match read_head(txn).await {
                Ok(head) => head,
                Err(error) => {
                    return Attempt {
                        result: Err(error),
                        head: None,
                        sent: false,
                    };
                }
            },
        };
        if let Some(idempotency) = &ctx.idempotency {
            let seen = idempotency_keys::Entity::find_by_id((
                idempotency.scope.clone(),
                idempotency.key.clone(),
            ))
            .one(txn)
            .await;
            let result = match seen {
                Err(error) => Some(Err(error.into())),
                Ok(Some(seen)) if seen.request_hash != idempotency.request_hash => {
                    Some(Err(Error::IdempotencyMismatch))
                }
                Ok(Some(seen)) => Some(Ok(Written::Replayed(StoredResponse {
                    status: u16::try_from(seen.response_status).unwrap_or(200),
                    body: seen.response_body,
                    location: seen.response_location,
                }))),
                Ok(None) => None,
            };
            if let Some(result) = result {
                return Attempt {
                    result,
                    head: Some(head),
                    sent: false,
                };
            }
        }
        // Strictly after the previous event, so that time order is seq order
        // even when the clock stands still or steps back.
        let now = match from_micros(micros(self.clock.now()).max(head.at_us + 1)) {
            Ok(now) => now,
            Err(error) => {
                return Attempt {
                    result: Err(error),
                    head: Some(head),
                    sent: false,
                };
            }
        };
        let tx = Tx {
            db: txn,
            backend: self.backend,
            queued: std::sync::Mutex::default(),
            sent: AtomicBool::new(false),
            now,
            today: now.date_naive(),
            principal: ctx.principal,
        };
        let result = async {
            let (value, draft) = command(&tx).await?;
            let event = append(&tx, &head, now, ctx.principal, draft)?;
            if let Some(idempotency) = &ctx.idempotency {
                let answer = (idempotency.render)(&value);
                tx.insert(idempotency_keys::Model {
                    scope: idempotency.scope.clone(),
                    idempotency_key: idempotency.key.clone(),
                    request_hash: idempotency.request_hash.clone(),
                    response_status: i32::from(answer.status),
                    response_body: answer.body,
                    response_location: answer.location,
                    created_at_us: micros(now),
                })?;
            }
            tx.flush().await?;
            Ok((value, event))
        }
        .await;
        let sent = tx.sent.load(Ordering::Relaxed);
        match result {
            Ok((value, event)) => Attempt {
                result: Ok(Written::Fresh(value)),
                head: Some(audit_head::Model {
                    id: head.id,
                    seq: head.seq + 1,
                    hash: event.hash,
                    at_us: micros(now),
                }),
                sent,
            },
            Err(error) => Attempt {
                result: Err(error),
                // Rows sent and then failed: the head in the transaction is
                // not known for sure.
                head: (!sent).then_some(head),
                sent,
            },
        }
    }

    /// Opens a batch for bulk loading: a store whose writes all go into one
    /// transaction — each still checked by core and appending its own audit
    /// event — until [`Store::commit_batch`]. A command refused before it
    /// wrote leaves the batch as it was; one that failed after writing fails
    /// the whole batch (drop it to roll back). Other writers wait meanwhile.
    pub async fn begin_batch(&self) -> Result<Store> {
        let queue = match &self.writer {
            Some(writer) => {
                let mut open = writer.clone().lock_owned().await;
                // A group still open commits first.
                open.finish().await;
                Some(open)
            }
            None => None,
        };
        let txn = self.begin_write().await?;
        let mut store = self.clone();
        store.batch = Some(Arc::new(Mutex::new(Open {
            txn: Some(txn),
            _queue: queue,
            ..Open::default()
        })));
        Ok(store)
    }

    /// Commits a batch opened by [`Store::begin_batch`].
    pub async fn commit_batch(self) -> Result<()> {
        let batch = self
            .batch
            .ok_or_else(|| Error::Corrupt("this store is not a batch".to_owned()))?;
        let mut open = batch.lock().await;
        let txn = open
            .txn
            .take()
            .ok_or_else(|| Error::Corrupt("the batch was already committed".to_owned()))?;
        if open.broken {
            txn.rollback().await?;
            return Err(Error::Corrupt(
                "a command failed after writing: the batch is rolled back".to_owned(),
            ));
        }
        Ok(txn.commit().await?)
    }

    /// Begins a write transaction: `IMMEDIATE` on SQLite, so the write lock
    /// is taken before anything is read; `READ COMMITTED` elsewhere, so
    /// reads after the chain lock see every commit before it.
    async fn begin_write(&self) -> Result<DatabaseTransaction> {
        let options = match self.backend {
            DbBackend::Sqlite => TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            },
            _ => TransactionOptions {
                isolation_level: Some(sea_orm::IsolationLevel::ReadCommitted),
                ..TransactionOptions::default()
            },
        };
        Ok(self.db.begin_with_options(options).await?)
    }
}

/// An open write transaction shared by several commands (a batch, or a
/// group on SQLite), with the chain's head as its last command left it.
#[derive(Debug, Default)]
pub(crate) struct Open {
    txn: Option<DatabaseTransaction>,
    /// `None` when it must be read again.
    head: Option<audit_head::Model>,
    /// A command failed after writing: the transaction must roll back.
    broken: bool,
    /// Some command has sent rows.
    wrote: bool,
    /// Groups: the outcome of the commit, for the writers waiting on it.
    committed: Option<watch::Sender<Option<Result<(), String>>>>,
    /// Batches: the group queue, held for the batch's lifetime.
    _queue: Option<OwnedMutexGuard<Open>>,
}

impl Open {
    /// Commits the transaction (rolls it back if broken) and tells its
    /// writers how it went.
    async fn finish(&mut self) {
        let Some(txn) = self.txn.take() else {
            return;
        };
        let outcome = if self.broken {
            tracing::warn!(
                "a write group is rolled back: one of its commands failed or was abandoned after writing"
            );
            if let Err(error) = txn.rollback().await {
                tracing::warn!(%error, "rollback of a failed write group failed");
            }
            Err(
                "a command of the group failed or was abandoned after writing; the group was rolled back"
                    .to_owned(),
            )
        } else {
            txn.commit().await.map_err(|error| {
                tracing::error!(%error, "a write group failed to commit");
                error.to_string()
            })
        };
        self.head = None;
        self.broken = false;
        self.wrote = false;
        if let Some(committed) = self.committed.take() {
            committed.send_replace(Some(outcome));
        }
    }
}

/// Commits the open group once the writers queued before it have had their
/// turn. Spawned, so that no dropped request can leave a group open.
async fn commit_group(writer: Arc<Mutex<Open>>) {
    writer.lock().await.finish().await;
}

fn group_failed(reason: &str) -> Error {
    Error::Database(DbErr::Custom(format!(
        "the write was not committed: {reason}"
    )))
}

async fn read_head(txn: &DatabaseTransaction) -> Result<audit_head::Model> {
    audit_head::Entity::find_by_id(1)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| Error::Corrupt("the audit chain head is missing".to_owned()))
}

/// Seals the event after `head` and queues it and its assignment index rows;
/// the database moves the head to it.
fn append(
    tx: &Tx<'_>,
    head: &audit_head::Model,
    now: DateTime<Utc>,
    principal: &Principal,
    draft: EventDraft,
) -> Result<AuditEvent> {
    let seq = u64::try_from(head.seq + 1).map_err(|_| Error::Corrupt("negative seq".to_owned()))?;
    let event = NewAuditEvent {
        at: now,
        actor: principal.audit_actor(),
        action: draft.action.to_owned(),
        entity_type: draft.entity_type.to_owned(),
        entity_id: draft.entity_id,
        payload: draft.payload,
    }
    .seal(seq, &head.hash);
    let seq = head.seq + 1;
    tx.insert(event_row(&event, seq))?;
    for touch in draft.touches {
        tx.insert(assignment_events::Model {
            assignment_id: touch.assignment_id,
            seq,
            at_us: micros(now),
            at_day: day_number(now.date_naive()),
            status: touch.status.map(|s| wire(&s)),
            decision: touch.decision.map(|d| wire(&d)),
            response_due_on: touch.response_due_on,
            milestone_id: touch.milestone.map(|m| m.id.as_uuid()),
            milestone_due_on: touch.milestone.map(|m| m.due_on),
            milestone_status: touch.milestone.map(|m| wire(&m.status)),
        })?;
    }
    // The head moves with the insert (trigger `audit_head_follows`).
    Ok(event)
}

fn event_row(event: &AuditEvent, seq: i64) -> audit_events::Model {
    audit_events::Model {
        seq,
        at_us: micros(event.at),
        actor_token_id: event.actor.token_id.map(|id| id.as_uuid()),
        actor_organisation: event.actor.organisation.as_ref().map(|o| o.to_string()),
        actor_role: event.actor.role.map(|r| wire(&r)),
        action: event.action.clone(),
        entity_type: event.entity_type.clone(),
        entity_id: event.entity_id.clone(),
        payload: canonical_json(&event.payload),
        prev_hash: event.prev_hash.clone(),
        hash: event.hash.clone(),
    }
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
