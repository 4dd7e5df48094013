//! Copying a whole database into another, empty one: how a deployment moves
//! from SQLite to PostgreSQL (or MariaDB) when it outgrows one machine.
//!
//! Every row is copied as it is stored, the audit chain included, so the
//! chain verifies at the destination with the same hashes. The source is read
//! in one snapshot and the destination written in one transaction: a copy
//! that fails leaves the destination as empty as it found it. Evidence files
//! are not in the database; they stay in the blob directory.

use futures::TryStreamExt;
use sea_orm::{
    AccessMode, ActiveModelTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, EntityTrait, IntoActiveModel, IsolationLevel, PaginatorTrait, QueryOrder, Select,
    TransactionTrait,
};

use crate::entities::{
    assignment_events, assignment_states, assignments, audit_events, claim_evidence, claims,
    evidence, extension_requests, idempotency_keys, log_checkpoints, log_cosignatures, log_head,
    log_tiles, log_witnesses, milestone_states, milestones, organisations, progress_updates,
    recommendation_themes, recommendations, reports, responses, reviews, tokens, update_evidence,
    update_milestones,
};
use crate::error::{Error, Result};

/// Rows sent in one `INSERT`: small enough for PostgreSQL's 65,535 bind
/// parameters with the widest table.
const CHUNK: usize = 500;

/// How many rows of each table were copied, in the order they were copied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Copied {
    /// Table name and rows.
    pub tables: Vec<(&'static str, u64)>,
}

impl Copied {
    /// Rows copied in all.
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|(_, n)| n).sum()
    }
}

/// Copies every row of `from` into `to`, which must be migrated and empty
/// (no organisation, no audit event). `progress` is called with the rows
/// copied so far.
pub async fn copy_database(
    from: &DatabaseConnection,
    to: &DatabaseConnection,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<Copied> {
    let held = organisations::Entity::find().count(to).await?
        + audit_events::Entity::find().count(to).await?;
    if held > 0 {
        return Err(Error::Conflict(
            "the destination already holds data; copy only into an empty database".to_owned(),
        ));
    }
    let source = from
        .begin_with_config(
            snapshot(from.get_database_backend()),
            Some(AccessMode::ReadOnly),
        )
        .await?;
    let target = to.begin().await?;
    let mut copied = Copied::default();
    let mut done = 0;
    // Parents before children, as the foreign keys require; the chain in
    // `seq` order, so that the head follows it to its end.
    macro_rules! copy {
        ($($table:ident),* $(,)?) => {
            $(
                let rows =
                    copy_rows($table::Entity::find(), &source, &target, &mut done, progress)
                        .await?;
                copied.tables.push((stringify!($table), rows));
            )*
        };
    }
    copy!(
        organisations,
        reports,
        recommendations,
        recommendation_themes,
        assignments,
        responses,
        extension_requests,
        milestones,
        evidence,
        progress_updates,
        update_milestones,
        update_evidence,
        claims,
        claim_evidence,
        reviews,
        tokens,
        idempotency_keys,
    );
    // PostgreSQL keeps every version of a row updated within one
    // transaction, so moving the head once per copied event (the trigger)
    // made the copy quadratic: 274k events had not finished in 8 minutes.
    // The trigger is off for this transaction only (DDL is transactional
    // there) and the head set once, from the last event.
    let postgres = target.get_database_backend() == DbBackend::Postgres;
    if postgres {
        target
            .execute_unprepared("ALTER TABLE audit_events DISABLE TRIGGER audit_head_follows")
            .await?;
    }
    let events = audit_events::Entity::find().order_by_asc(audit_events::Column::Seq);
    let rows = copy_rows(events, &source, &target, &mut done, progress).await?;
    copied.tables.push(("audit_events", rows));
    if postgres {
        target
            .execute_unprepared(
                "UPDATE audit_head SET seq = e.seq, hash = e.hash, at_us = e.at_us \
                 FROM (SELECT seq, hash, at_us FROM audit_events ORDER BY seq DESC LIMIT 1) AS e \
                 WHERE audit_head.id = 1",
            )
            .await?;
        target
            .execute_unprepared("ALTER TABLE audit_events ENABLE TRIGGER audit_head_follows")
            .await?;
    }
    let index = assignment_events::Entity::find();
    let rows = copy_rows(index, &source, &target, &mut done, progress).await?;
    copied.tables.push(("assignment_events", rows));
    copy!(
        assignment_states,
        milestone_states,
        log_tiles,
        log_checkpoints,
        log_cosignatures,
        log_witnesses,
    );
    // The log's head row exists in every migrated database: it is set, not
    // inserted.
    if let Some(head) = log_head::Entity::find_by_id(1).one(&source).await? {
        log_head::Entity::update(log_head::ActiveModel::from(head).reset_all())
            .exec(&target)
            .await?;
    }
    source.commit().await?;
    target.commit().await?;
    crate::db::refresh_statistics(to).await?;
    progress(copied.rows());
    Ok(copied)
}

/// A read that sees one moment of the source.
fn snapshot(backend: DbBackend) -> Option<IsolationLevel> {
    match backend {
        // A SQLite read transaction sees one snapshot already.
        DbBackend::Sqlite => None,
        _ => Some(IsolationLevel::RepeatableRead),
    }
}

/// Streams the rows `select` reads from `source` into `target`, in chunks;
/// the next chunk is read while the last one is written.
async fn copy_rows<E>(
    select: Select<E>,
    source: &DatabaseTransaction,
    target: &DatabaseTransaction,
    done: &mut u64,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<u64>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel> + Send + Sync,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    let (chunks, mut received) = tokio::sync::mpsc::channel::<Vec<E::ActiveModel>>(2);
    let read = async move {
        let mut rows = select.stream(source).await?;
        let mut chunk = Vec::with_capacity(CHUNK);
        while let Some(row) = rows.try_next().await? {
            chunk.push(row.into_active_model());
            if chunk.len() == CHUNK && chunks.send(std::mem::take(&mut chunk)).await.is_err() {
                // The writer stopped; its error is the one to report.
                return Ok(());
            }
        }
        if !chunk.is_empty() {
            // As above: a closed channel means the writer failed.
            let _ = chunks.send(chunk).await;
        }
        Ok::<_, Error>(())
    };
    let write = async {
        let mut copied = 0;
        while let Some(chunk) = received.recv().await {
            let count = insert(target, chunk).await?;
            copied += count;
            *done += count;
            progress(*done);
        }
        Ok::<_, Error>(copied)
    };
    let (read, written) = tokio::join!(read, write);
    read?;
    written
}

async fn insert<A>(target: &DatabaseTransaction, rows: Vec<A>) -> Result<u64>
where
    A: ActiveModelTrait + Send,
{
    let count = rows.len() as u64;
    if count == 0 {
        return Ok(0);
    }
    <A::Entity as EntityTrait>::insert_many(rows)
        .exec_without_returning(target)
        .await?;
    Ok(count)
}
