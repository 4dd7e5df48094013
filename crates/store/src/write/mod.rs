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
//! kept answer and writes nothing.
//!
//! The parts, by concept: [`tx`] is a command's transaction and its queue of
//! statements; `group` shares one transaction between queued writers (and
//! batches); [`idempotency`] keeps and replays answers; the audit event is
//! sealed and appended by `crate::audit::append`.

mod group;
pub mod idempotency;
pub mod tx;

use rectrack_core::role::Principal;
use sea_orm::{
    DatabaseTransaction, DbBackend, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

pub(crate) use group::Open;
pub use idempotency::Idempotency;
pub use tx::Tx;

use crate::Store;
use crate::audit::append::{EventDraft, append, read_head};
use crate::convert::{from_micros, micros};
use crate::entities::audit_head;
use crate::error::Result;

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
    /// Holds the body of the first answer, as kept.
    Replayed(String),
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

/// How a command went in an open transaction.
struct Attempt<T> {
    result: Result<Written<T>>,
    /// The event it appended, or the one of the answer it replayed.
    seq: Option<u64>,
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
                crate::recorded::note(attempt.seq);
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
                        seq: None,
                        head: None,
                        sent: false,
                    };
                }
            },
        };
        if let Some(idempotency) = &ctx.idempotency {
            let replayed = match idempotency.replay(txn).await {
                Ok(None) => None,
                Ok(Some((body, seq))) => Some((Ok(Written::Replayed(body)), seq)),
                Err(error) => Some((Err(error), None)),
            };
            if let Some((result, seq)) = replayed {
                return Attempt {
                    result,
                    seq,
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
                    seq: None,
                    head: Some(head),
                    sent: false,
                };
            }
        };
        let tx = Tx::new(txn, self.backend, now, ctx.principal);
        let result = async {
            let (value, draft) = command(&tx).await?;
            let event = append(&tx, &head, now, ctx.principal, draft)?;
            if let Some(idempotency) = &ctx.idempotency {
                idempotency.keep(&tx, &value, event.seq)?;
            }
            tx.flush().await?;
            Ok((value, event))
        }
        .await;
        let sent = tx.sent();
        match result {
            Ok((value, event)) => Attempt {
                result: Ok(Written::Fresh(value)),
                seq: Some(event.seq),
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
                seq: None,
                // Rows sent and then failed: the head in the transaction is
                // not known for sure.
                head: (!sent).then_some(head),
                sent,
            },
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
