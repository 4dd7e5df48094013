//! The one way anything is written: `Store::write` runs a command in one
//! transaction and appends its audit event in that same transaction.
//!
//! Every write first locks the head of the audit chain (`SELECT … FOR UPDATE`
//! on PostgreSQL and MariaDB; on SQLite the `BEGIN IMMEDIATE` write lock,
//! taken behind an in-process mutex so that the process's own writers queue
//! instead of spinning on the busy timeout). Holding that lock, the command
//! reads the state it acts on, asks core whether the move is allowed, writes
//! its rows; then the event is sealed with the next `seq` and the head's hash
//! (a trigger moves the head as the event is inserted), and everything
//! commits together. So writers are serialised across every
//! process sharing the database, the chain can neither fork nor gap, and a
//! failed command leaves no row and no event behind. See
//! `docs/decisions/0004-one-chain-lock.md`.
//!
//! Idempotency keys are checked under the same lock: a replay returns the
//! stored answer and writes nothing.

use chrono::{DateTime, NaiveDate, Utc};
use rectrack_core::assignment::AssignmentStatus;
use rectrack_core::audit::{AuditEvent, NewAuditEvent, canonical_json};
use rectrack_core::response::ResponseDecision;
use rectrack_core::role::Principal;
use rectrack_core::status_report::MilestoneState;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    IntoActiveModel, QuerySelect, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use serde_json::Value;
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

/// A command's view of its transaction.
pub struct Tx<'a> {
    /// The open transaction.
    pub db: &'a DatabaseTransaction,
    /// The time of this write (never before the previous event's).
    pub now: DateTime<Utc>,
    /// Today, in UTC.
    pub today: NaiveDate,
    /// Who asked.
    pub principal: &'a Principal,
}

impl Store {
    /// Runs `command` in one transaction holding the chain lock, then appends
    /// its audit event and commits. A command error rolls everything back.
    pub(crate) async fn write<T, F>(&self, ctx: &Ctx<'_, T>, command: F) -> Result<Written<T>>
    where
        F: AsyncFnOnce(&Tx<'_>) -> Result<(T, EventDraft)>,
    {
        if let Some(batch) = &self.batch {
            let state = batch.lock().await;
            let txn = state
                .txn
                .as_ref()
                .ok_or_else(|| Error::Corrupt("the batch was already committed".to_owned()))?;
            return self.write_in(txn, ctx, command).await;
        }
        let _queue = match &self.write_queue {
            Some(queue) => Some(queue.lock().await),
            None => None,
        };
        let txn = self.begin_write().await?;
        match self.write_in(&txn, ctx, command).await {
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

    async fn write_in<T, F>(
        &self,
        txn: &DatabaseTransaction,
        ctx: &Ctx<'_, T>,
        command: F,
    ) -> Result<Written<T>>
    where
        F: AsyncFnOnce(&Tx<'_>) -> Result<(T, EventDraft)>,
    {
        let head = audit_head::Entity::find_by_id(1)
            .lock_exclusive()
            .one(txn)
            .await?
            .ok_or_else(|| Error::Corrupt("the audit chain head is missing".to_owned()))?;
        if let Some(idempotency) = &ctx.idempotency {
            let seen = idempotency_keys::Entity::find_by_id((
                idempotency.scope.clone(),
                idempotency.key.clone(),
            ))
            .one(txn)
            .await?;
            if let Some(seen) = seen {
                if seen.request_hash != idempotency.request_hash {
                    return Err(Error::IdempotencyMismatch);
                }
                return Ok(Written::Replayed(StoredResponse {
                    status: u16::try_from(seen.response_status).unwrap_or(200),
                    body: seen.response_body,
                    location: seen.response_location,
                }));
            }
        }
        // Strictly after the previous event, so that time order is seq order
        // even when the clock stands still or steps back.
        let now = from_micros(micros(self.clock.now()).max(head.at_us + 1))?;
        let tx = Tx {
            db: txn,
            now,
            today: now.date_naive(),
            principal: ctx.principal,
        };
        let (value, draft) = command(&tx).await?;
        append(txn, &head, now, ctx.principal, draft).await?;
        if let Some(idempotency) = &ctx.idempotency {
            let answer = (idempotency.render)(&value);
            insert(
                txn,
                idempotency_keys::Model {
                    scope: idempotency.scope.clone(),
                    idempotency_key: idempotency.key.clone(),
                    request_hash: idempotency.request_hash.clone(),
                    response_status: i32::from(answer.status),
                    response_body: answer.body,
                    response_location: answer.location,
                    created_at_us: micros(now),
                },
            )
            .await?;
        }
        Ok(Written::Fresh(value))
    }

    /// Opens a batch for bulk loading: a store whose writes all go into one
    /// transaction — each still checked by core and appending its own audit
    /// event — until [`Store::commit_batch`]. A failed command fails the
    /// whole batch (drop it to roll back). Other writers wait meanwhile.
    pub async fn begin_batch(&self) -> Result<Store> {
        let queue = match &self.write_queue {
            Some(queue) => Some(queue.clone().lock_owned().await),
            None => None,
        };
        let txn = self.begin_write().await?;
        let mut store = self.clone();
        store.batch = Some(std::sync::Arc::new(tokio::sync::Mutex::new(BatchState {
            txn: Some(txn),
            _queue: queue,
        })));
        Ok(store)
    }

    /// Commits a batch opened by [`Store::begin_batch`].
    pub async fn commit_batch(self) -> Result<()> {
        let batch = self
            .batch
            .ok_or_else(|| Error::Corrupt("this store is not a batch".to_owned()))?;
        let txn = batch.lock().await.txn.take();
        match txn {
            Some(txn) => Ok(txn.commit().await?),
            None => Err(Error::Corrupt("the batch was already committed".to_owned())),
        }
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

/// The open transaction of a batch, and the write queue it holds.
#[derive(Debug)]
pub(crate) struct BatchState {
    txn: Option<DatabaseTransaction>,
    _queue: Option<tokio::sync::OwnedMutexGuard<()>>,
}

/// Seals the event after `head` and writes it and its assignment index rows;
/// the database moves the head to it.
async fn append(
    txn: &DatabaseTransaction,
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
    insert(txn, event_row(&event, seq)).await?;
    for touch in draft.touches {
        insert(
            txn,
            assignment_events::Model {
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
            },
        )
        .await?;
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

/// Inserts a row given as a model.
pub(crate) async fn insert<M, A>(db: &impl ConnectionTrait, model: M) -> Result<()>
where
    M: IntoActiveModel<A>,
    A: ActiveModelTrait + Send,
{
    <A::Entity as EntityTrait>::insert(model.into_active_model().reset_all())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Updates a row given as a model (every column).
pub(crate) async fn update<M, A>(db: &impl ConnectionTrait, model: M) -> Result<()>
where
    M: IntoActiveModel<A>,
    A: ActiveModelTrait + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    <A::Entity as EntityTrait>::update(model.into_active_model().reset_all())
        .exec(db)
        .await?;
    Ok(())
}
