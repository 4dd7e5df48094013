//! Writers sharing one transaction: on SQLite, writers queued behind the
//! write lock take their turns in one open transaction that commits once
//! (group commit); a batch puts every write of a bulk load in one
//! transaction. Either way a command that failed after sending rows breaks
//! the shared transaction, which then rolls back whole.

use std::sync::Arc;

use sea_orm::DatabaseTransaction;
use tokio::sync::{Mutex, OwnedMutexGuard, watch};

use super::{Ctx, Written};
use crate::Store;
use crate::audit::append::EventDraft;
use crate::entities::audit_head;
use crate::error::{Error, Result};
use crate::write::Tx;

impl Store {
    pub(super) async fn write_in_batch<T, F>(
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
            .ok_or_else(|| Error::Misuse("the batch was already committed"))?;
        if open.broken {
            return Err(Error::NotCommitted(
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
        if attempt.result.is_ok() {
            crate::recorded::note(attempt.seq);
        }
        attempt.result
    }

    /// SQLite: takes a turn in the open group transaction (opening one, and
    /// asking for its commit, if none is open), then waits for the group to
    /// commit.
    pub(super) async fn write_in_group<T, F>(
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
            return Err(Error::Misuse("the write group is not open"));
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
            if attempt.result.is_ok() {
                crate::recorded::note(attempt.seq);
            }
            return attempt.result;
        }
        let outcome = committed
            .wait_for(Option::is_some)
            .await
            .map_err(|_| group_failed("the commit was abandoned"))?
            .clone();
        match outcome {
            Some(Ok(())) => {
                if attempt.result.is_ok() {
                    crate::recorded::note(attempt.seq);
                }
                attempt.result
            }
            Some(Err(message)) => Err(group_failed(&message)),
            None => Err(group_failed("the commit was abandoned")),
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

    /// SQLite: takes the process's place in the write queue, committing the
    /// group open now first, so that a write outside the chain (the log's)
    /// holds the write lock while the process's writers wait their turn in
    /// the queue rather than on SQLite's busy timeout. Held until dropped;
    /// none elsewhere.
    pub(crate) async fn hold_writers(&self) -> Option<OwnedMutexGuard<Open>> {
        let writer = self.writer.as_ref()?;
        let mut open = writer.clone().lock_owned().await;
        open.finish().await;
        Some(open)
    }

    /// Commits a batch opened by [`Store::begin_batch`].
    pub async fn commit_batch(self) -> Result<()> {
        let batch = self
            .batch
            .ok_or_else(|| Error::Misuse("this store is not a batch"))?;
        let mut open = batch.lock().await;
        let txn = open
            .txn
            .take()
            .ok_or_else(|| Error::Misuse("the batch was already committed"))?;
        if open.broken {
            txn.rollback().await?;
            return Err(Error::NotCommitted(
                "a command failed after writing: the batch is rolled back".to_owned(),
            ));
        }
        Ok(txn.commit().await?)
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
    Error::NotCommitted(reason.to_owned())
}
