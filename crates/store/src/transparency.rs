//! The transparency log over the audit chain: its tree kept as tiles, the
//! checkpoints signed of it, and the proofs read from it.
//!
//! The tree grows when a checkpoint is signed, not with each write: the
//! signer reads the events appended since the last checkpoint, checks that
//! each is unchanged and follows the last one logged (so a chain rewritten
//! underneath the log is refused, never logged), adds their leaves to the
//! tiles and signs the new size and root. Writes never wait for it.
//!
//! Signing holds `log_head` (`FOR UPDATE`; SQLite's write lock) and only
//! ever extends the tiles already stored, so servers sharing a database sign
//! one at a time, each checkpoint a later size of the same tree: no two can
//! contradict each other. See `docs/decisions/0016-transparency-log.md`.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use rectrack_core::audit::readable_by;
use rectrack_core::role::Principal;
use rectrack_core::tlog::note::{Note, SignerKey};
use rectrack_core::tlog::proof::{Node, Range, consistency_ranges, inclusion_ranges};
use rectrack_core::tlog::tile::{self, StoredTile, TileId};
use rectrack_core::tlog::{Checkpoint, Hash, empty_root, event_leaf};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set, TransactionTrait,
};

use crate::Store;
use crate::audit::event;
use crate::convert::{from_micros, micros};
use crate::entities::{
    assignment_events, assignments, audit_events, audit_head, log_checkpoints, log_cosignatures,
    log_head, log_tiles, log_witnesses,
};
use crate::error::{Error, Result};

/// Events read per query while growing the tree.
const BATCH: u64 = 10_000;

/// A checkpoint the log signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// What it says.
    pub checkpoint: Checkpoint,
    /// The signed note, as served: the log's signature, then the
    /// witnesses' cosignatures received so far.
    pub note: String,
    /// The witnesses that cosigned it, by key name.
    pub cosigned_by: Vec<String>,
    /// When it was signed.
    pub signed_at: DateTime<Utc>,
}

/// Why a checkpoint was not signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsigned {
    /// No event was appended since the last checkpoint.
    Unchanged,
    /// The last checkpoint is more recent than the interval allows.
    TooSoon,
    /// Another server signed meanwhile.
    SignedElsewhere,
}

impl Store {
    /// Grows the tree to the chain's head and signs a checkpoint of it with
    /// `key`, unless nothing was appended since the last or the last was
    /// signed less than `interval` ago.
    ///
    /// Refuses (as [`Error::Corrupt`]) when an event to be logged is not
    /// the one the chain calls for, or when `key` is not the log's: a log
    /// keeps one origin.
    pub async fn sign_checkpoint(
        &self,
        key: &SignerKey,
        interval: Duration,
    ) -> Result<std::result::Result<SignedCheckpoint, Unsigned>> {
        let head = self.read_log_head(&self.db).await?;
        if let Some(origin) = &head.origin
            && origin != key.name()
        {
            return Err(Error::Corrupt(format!(
                "this log's origin is {origin}, but the signing key is named {}; \
                 a log keeps one origin",
                key.name()
            )));
        }
        let now = self.clock.now();
        let interval = interval.num_microseconds().unwrap_or(i64::MAX);
        if interval > 0 && micros(now) - head.signed_at_us < interval {
            return Ok(Err(Unsigned::TooSoon));
        }
        let chain = audit_head::Entity::find_by_id(1)
            .one(&self.db)
            .await?
            .ok_or_else(|| Error::Corrupt("the audit chain head is missing".to_owned()))?;
        if chain.seq == head.size && head.origin.is_some() {
            return Ok(Err(Unsigned::Unchanged));
        }
        // The new leaves, each event checked against the one before.
        let (leaves, last_hash) = self.new_leaves(&head, chain.seq).await?;
        let size = to_u64(head.size)?;
        let new_size = size + leaves.len() as u64;
        // Under the lock from here, if no one signed meanwhile: the tiles
        // read are the ones this checkpoint extends. (On SQLite the
        // process's writers queue meanwhile, as behind a batch.)
        let _writers = self.hold_writers().await;
        let txn = self.begin_write_plain().await?;
        let locked = self.read_log_head_locked(&txn).await?;
        if locked.size != head.size || locked.signed_at_us != head.signed_at_us {
            txn.rollback().await?;
            return Ok(Err(Unsigned::SignedElsewhere));
        }
        let mut tiles = self.partial_tiles(&txn, size).await?;
        let written = tile::extend(size, &leaves, |level| {
            tile::partial_tiles(size)
                .into_iter()
                .find(|(l, _, _)| *l == level)
                .and_then(|(l, i, _)| tiles.get(&(l, i)).cloned())
                .unwrap_or_default()
        });
        for t in &written {
            tiles.insert((t.level, t.index), t.hashes.clone());
        }
        let root = self
            .range_hash(
                &txn,
                Range {
                    start: 0,
                    end: new_size,
                },
                &mut tiles,
            )
            .await?;
        let checkpoint = Checkpoint {
            origin: key.name().to_owned(),
            size: new_size,
            root,
        };
        let text = checkpoint.text();
        let note = Note {
            signatures: vec![key.sign(&text, unix_seconds(now))],
            text,
        }
        .to_string();
        for StoredTile {
            level,
            index,
            hashes,
        } in written
        {
            log_tiles::Entity::insert(log_tiles::ActiveModel {
                level: Set(i32::from(level)),
                idx: Set(to_i64(index)?),
                hashes: Set(hashes.iter().flat_map(|h| h.0).collect()),
            })
            .on_conflict(
                OnConflict::columns([log_tiles::Column::Level, log_tiles::Column::Idx])
                    .update_column(log_tiles::Column::Hashes)
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        }
        let at = micros(now).max(head.signed_at_us + 1);
        if new_size > size || head.origin.is_none() {
            log_checkpoints::Entity::insert(log_checkpoints::ActiveModel {
                size: Set(to_i64(new_size)?),
                root: Set(root.to_hex()),
                note: Set(note.clone()),
                signed_at_us: Set(at),
            })
            .on_conflict(
                OnConflict::column(log_checkpoints::Column::Size)
                    .update_columns([
                        log_checkpoints::Column::Root,
                        log_checkpoints::Column::Note,
                        log_checkpoints::Column::SignedAtUs,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        }
        log_head::Entity::update(log_head::ActiveModel {
            id: Set(1),
            origin: Set(Some(key.name().to_owned())),
            size: Set(to_i64(new_size)?),
            last_hash: Set(last_hash),
            signed_at_us: Set(at),
        })
        .exec(&txn)
        .await?;
        txn.commit().await?;
        Ok(Ok(SignedCheckpoint {
            checkpoint,
            note,
            cosigned_by: Vec::new(),
            signed_at: from_micros(at)?,
        }))
    }

    /// The latest checkpoint signed, if any, with its cosignatures.
    pub async fn latest_checkpoint(&self) -> Result<Option<SignedCheckpoint>> {
        let row = log_checkpoints::Entity::find()
            .order_by_desc(log_checkpoints::Column::Size)
            .one(&self.db)
            .await?;
        self.with_cosignatures(row).await
    }

    /// The checkpoint signed at `size`, if one was.
    pub async fn checkpoint_at(&self, size: u64) -> Result<Option<SignedCheckpoint>> {
        let row = log_checkpoints::Entity::find_by_id(to_i64(size)?)
            .one(&self.db)
            .await?;
        self.with_cosignatures(row).await
    }

    /// The earliest checkpoint that holds event `seq`, if one does yet.
    pub async fn checkpoint_holding(&self, seq: u64) -> Result<Option<SignedCheckpoint>> {
        let row = log_checkpoints::Entity::find()
            .filter(log_checkpoints::Column::Size.gte(to_i64(seq)?))
            .order_by_asc(log_checkpoints::Column::Size)
            .one(&self.db)
            .await?;
        self.with_cosignatures(row).await
    }

    /// A checkpoint with the cosignatures received for it appended.
    async fn with_cosignatures(
        &self,
        row: Option<log_checkpoints::Model>,
    ) -> Result<Option<SignedCheckpoint>> {
        let Some(row) = row else {
            return Ok(None);
        };
        let cosignatures = log_cosignatures::Entity::find()
            .filter(log_cosignatures::Column::Size.eq(row.size))
            .order_by_asc(log_cosignatures::Column::ReceivedAtUs)
            .order_by_asc(log_cosignatures::Column::Witness)
            .all(&self.db)
            .await?;
        let mut signed = signed(row)?;
        for cosignature in cosignatures {
            signed.note.push_str(cosignature.signature.trim_end());
            signed.note.push('\n');
            signed.cosigned_by.push(cosignature.witness);
        }
        Ok(Some(signed))
    }

    /// Keeps a witness's cosignature of the checkpoint at `size` (a note
    /// signature line the caller has verified), to be published with it.
    pub async fn add_cosignature(&self, size: u64, witness: &str, line: &str) -> Result<()> {
        log_cosignatures::Entity::insert(log_cosignatures::ActiveModel {
            size: Set(to_i64(size)?),
            witness: Set(witness.to_owned()),
            signature: Set(line.trim_end().to_owned()),
            received_at_us: Set(micros(self.clock.now())),
        })
        .on_conflict(
            OnConflict::columns([
                log_cosignatures::Column::Size,
                log_cosignatures::Column::Witness,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        Ok(())
    }

    /// The size `witness` last cosigned, as far as this log knows (0 for
    /// none).
    pub async fn witness_size(&self, witness: &str) -> Result<u64> {
        let row = log_witnesses::Entity::find_by_id(witness.to_owned())
            .one(&self.db)
            .await?;
        row.map_or(Ok(0), |row| to_u64(row.size))
    }

    /// Notes that `witness` last cosigned `size`.
    pub async fn set_witness_size(&self, witness: &str, size: u64) -> Result<()> {
        log_witnesses::Entity::insert(log_witnesses::ActiveModel {
            name: Set(witness.to_owned()),
            size: Set(to_i64(size)?),
        })
        .on_conflict(
            OnConflict::column(log_witnesses::Column::Name)
                .update_column(log_witnesses::Column::Size)
                .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        Ok(())
    }

    /// A tile's bytes (its hashes concatenated), if the tree has grown to it.
    pub async fn log_tile(&self, id: TileId) -> Result<Option<Vec<u8>>> {
        let row = log_tiles::Entity::find_by_id((i32::from(id.level), to_i64(id.index)?))
            .one(&self.db)
            .await?;
        let width = usize::from(id.width) * 32;
        Ok(row.filter(|row| row.hashes.len() >= width).map(|mut row| {
            row.hashes.truncate(width);
            row.hashes
        }))
    }

    /// The proof that leaf `index` is in the tree of `size` leaves, from
    /// the leaf's sibling up. `size` must not pass the log's.
    pub async fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>> {
        self.check_logged(size).await?;
        let ranges = inclusion_ranges(index, size).ok_or_else(|| Error::NotFound {
            entity: "leaf",
            id: format!("{index} in a tree of {size}"),
        })?;
        self.range_hashes(&ranges).await
    }

    /// The proof that the tree of `old` leaves is a prefix of the tree of
    /// `new`. Neither may pass the log's size.
    pub async fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>> {
        self.check_logged(new).await?;
        let ranges = consistency_ranges(old, new)
            .ok_or_else(|| Error::invalid("from", format!("must not exceed to ({new})")))?;
        self.range_hashes(&ranges).await
    }

    /// Writes, as `audit-jsonl`, the events `principal` may read that the
    /// latest checkpoint holds, each with its inclusion proof: first a line
    /// `{"checkpoint": NOTE}`, then one `{"event": …, "proof": [hash, …]}`
    /// per event, in order. Returns how many events were written.
    ///
    /// Events are read in batches and proofs made from one cache of tiles,
    /// of which only the current leaf tile is kept below the first level.
    pub async fn export_audit(
        &self,
        principal: &Principal,
        mut write: impl FnMut(&str) -> std::io::Result<()>,
    ) -> Result<u64> {
        let latest = self
            .latest_checkpoint()
            .await?
            .ok_or_else(|| Error::not_found("checkpoint", "any: the log has signed none"))?;
        let size = latest.checkpoint.size;
        let io = |e: std::io::Error| Error::Blob(format!("the export could not be written: {e}"));
        write(&serde_json::json!({ "checkpoint": latest.note }).to_string()).map_err(io)?;
        let organisation = principal
            .actor()
            .filter(|a| !a.sees_everything())
            .map(|a| a.organisation.clone());
        let mut tiles: HashMap<(u8, u64), Vec<Hash>> = HashMap::new();
        let mut after = 0u64;
        let mut written = 0;
        while after < size {
            let last = (after + BATCH).min(size);
            let events = self.audit_events(after, last - after).await?;
            let concerning: std::collections::HashSet<i64> = match &organisation {
                None => Default::default(),
                Some(code) => self.seqs_concerning(code, after, last).await?,
            };
            for event in events {
                if let Some(code) = &organisation {
                    let seq = to_i64(event.seq)?;
                    let concerns = if concerning.contains(&seq) {
                        vec![code.clone()]
                    } else {
                        Vec::new()
                    };
                    if !readable_by(principal, &event, &concerns) {
                        continue;
                    }
                }
                // Keep the upper levels; of the leaf tiles, only this one.
                let current = (event.seq - 1) / tile::WIDTH as u64;
                tiles.retain(|(level, index), _| *level > 0 || *index == current);
                let ranges = inclusion_ranges(event.seq - 1, size)
                    .ok_or_else(|| Error::Corrupt("an event past the checkpoint".to_owned()))?;
                let mut proof = Vec::with_capacity(ranges.len());
                for range in ranges {
                    proof.push(
                        self.range_hash(&self.db, range, &mut tiles)
                            .await?
                            .to_base64(),
                    );
                }
                let line = serde_json::json!({ "event": event, "proof": proof });
                write(&line.to_string()).map_err(io)?;
                written += 1;
            }
            after = last;
        }
        Ok(written)
    }

    /// The seqs in `(after, to]` of events concerning `organisation`'s
    /// assignments.
    async fn seqs_concerning(
        &self,
        organisation: &rectrack_core::organisation::OrgCode,
        after: u64,
        to: u64,
    ) -> Result<std::collections::HashSet<i64>> {
        use sea_orm::sea_query::Query;
        let seqs: Vec<i64> = assignment_events::Entity::find()
            .select_only()
            .column(assignment_events::Column::Seq)
            .filter(assignment_events::Column::Seq.gt(to_i64(after)?))
            .filter(assignment_events::Column::Seq.lte(to_i64(to)?))
            .filter(
                assignment_events::Column::AssignmentId.in_subquery(
                    Query::select()
                        .column(assignments::Column::Id)
                        .from(assignments::Entity)
                        .and_where(assignments::Column::Organisation.eq(organisation.as_str()))
                        .take(),
                ),
            )
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(seqs.into_iter().collect())
    }

    async fn check_logged(&self, size: u64) -> Result<()> {
        let logged = to_u64(self.read_log_head(&self.db).await?.size)?;
        if size > logged {
            return Err(Error::NotFound {
                entity: "tree size",
                id: format!("{size} (the log holds {logged})"),
            });
        }
        Ok(())
    }

    async fn range_hashes(&self, ranges: &[Range]) -> Result<Vec<Hash>> {
        let mut tiles = HashMap::new();
        let nodes: Vec<Node> = ranges.iter().flat_map(|r| r.nodes()).collect();
        self.load_tiles(&self.db, &nodes, &mut tiles).await?;
        let mut out = Vec::with_capacity(ranges.len());
        for range in ranges {
            out.push(self.range_hash(&self.db, *range, &mut tiles).await?);
        }
        Ok(out)
    }

    async fn range_hash(
        &self,
        conn: &impl ConnectionTrait,
        range: Range,
        tiles: &mut HashMap<(u8, u64), Vec<Hash>>,
    ) -> Result<Hash> {
        if range.start == range.end {
            return Ok(empty_root());
        }
        let nodes = range.nodes();
        self.load_tiles(conn, &nodes, tiles).await?;
        let mut hashes = Vec::with_capacity(nodes.len());
        for node in nodes {
            let at = tile::locate(node);
            let hash = tiles
                .get(&(at.level, at.index))
                .and_then(|t| t.get(at.offset..at.offset + at.count))
                .and_then(tile::fold)
                .ok_or_else(|| {
                    Error::Corrupt(format!(
                        "log tile {}/{} lacks the hashes of leaves {:?}",
                        at.level,
                        at.index,
                        node.range()
                    ))
                })?;
            hashes.push(hash);
        }
        Range::hash(&hashes).ok_or_else(|| Error::Corrupt("an empty range".to_owned()))
    }

    /// Reads the tiles holding `nodes` not yet in `tiles`, in one query.
    async fn load_tiles(
        &self,
        conn: &impl ConnectionTrait,
        nodes: &[Node],
        tiles: &mut HashMap<(u8, u64), Vec<Hash>>,
    ) -> Result<()> {
        let mut wanted: Vec<(u8, u64)> = nodes
            .iter()
            .map(|n| {
                let at = tile::locate(*n);
                (at.level, at.index)
            })
            .filter(|key| !tiles.contains_key(key))
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        if wanted.is_empty() {
            return Ok(());
        }
        let mut condition = Condition::any();
        for (level, index) in &wanted {
            condition = condition.add(
                Condition::all()
                    .add(log_tiles::Column::Level.eq(i32::from(*level)))
                    .add(log_tiles::Column::Idx.eq(to_i64(*index)?)),
            );
        }
        for row in log_tiles::Entity::find()
            .filter(condition)
            .all(conn)
            .await?
        {
            let level = u8::try_from(row.level)
                .map_err(|_| Error::Corrupt("log_tiles.level out of range".to_owned()))?;
            tiles.insert((level, to_u64(row.idx)?), hashes_of(&row.hashes)?);
        }
        Ok(())
    }

    async fn partial_tiles(
        &self,
        conn: &impl ConnectionTrait,
        size: u64,
    ) -> Result<HashMap<(u8, u64), Vec<Hash>>> {
        let mut tiles = HashMap::new();
        for (level, index, width) in tile::partial_tiles(size) {
            let row = log_tiles::Entity::find_by_id((i32::from(level), to_i64(index)?))
                .one(conn)
                .await?
                .ok_or_else(|| Error::Corrupt(format!("log tile {level}/{index} is missing")))?;
            let hashes = hashes_of(&row.hashes)?;
            if hashes.len() != width {
                return Err(Error::Corrupt(format!(
                    "log tile {level}/{index} holds {} hashes, not {width}",
                    hashes.len()
                )));
            }
            tiles.insert((level, index), hashes);
        }
        Ok(tiles)
    }

    /// The leaves of the events after the log's size, up to `to`, each
    /// checked: in place, unchanged, and after the last one logged.
    async fn new_leaves(&self, head: &log_head::Model, to: i64) -> Result<(Vec<Hash>, String)> {
        let mut leaves = Vec::new();
        let mut last_hash = head.last_hash.clone();
        let mut after = head.size;
        while after < to {
            let rows = audit_events::Entity::find()
                .filter(audit_events::Column::Seq.gt(after))
                .filter(audit_events::Column::Seq.lte(to))
                .order_by_asc(audit_events::Column::Seq)
                .limit(BATCH)
                .all(&self.db)
                .await?;
            if rows.is_empty() {
                break;
            }
            for row in rows {
                let seq = row.seq;
                let event = event(row)?;
                if seq != after + 1 {
                    return Err(refused(seq, "the event before it is missing"));
                }
                if event.prev_hash != last_hash {
                    return Err(refused(
                        seq,
                        "it does not follow the last event logged: the chain was rewritten",
                    ));
                }
                if event.compute_hash() != event.hash {
                    return Err(refused(seq, "its content does not match its hash"));
                }
                leaves.push(
                    event_leaf(&event.hash)
                        .ok_or_else(|| refused(seq, "its hash is not 64 hex digits"))?,
                );
                last_hash = event.hash;
                after = seq;
            }
        }
        if after != to {
            return Err(refused(after + 1, "it is missing"));
        }
        Ok((leaves, last_hash))
    }

    async fn read_log_head(&self, conn: &impl ConnectionTrait) -> Result<log_head::Model> {
        log_head::Entity::find_by_id(1)
            .one(conn)
            .await?
            .ok_or_else(|| Error::Corrupt("the log head is missing".to_owned()))
    }

    async fn read_log_head_locked(&self, conn: &impl ConnectionTrait) -> Result<log_head::Model> {
        log_head::Entity::find_by_id(1)
            .lock_exclusive()
            .one(conn)
            .await?
            .ok_or_else(|| Error::Corrupt("the log head is missing".to_owned()))
    }

    async fn begin_write_plain(&self) -> Result<sea_orm::DatabaseTransaction> {
        let options = match self.backend {
            sea_orm::DbBackend::Sqlite => sea_orm::TransactionOptions {
                sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
                ..Default::default()
            },
            _ => sea_orm::TransactionOptions::default(),
        };
        Ok(self.db.begin_with_options(options).await?)
    }
}

fn refused(seq: i64, why: &str) -> Error {
    Error::Corrupt(format!("audit event {seq} cannot be logged: {why}"))
}

fn signed(row: log_checkpoints::Model) -> Result<SignedCheckpoint> {
    let note = Note::parse(&row.note)
        .map_err(|e| Error::Corrupt(format!("log checkpoint {}: {e}", row.size)))?;
    let checkpoint = Checkpoint::parse(&note.text)
        .map_err(|e| Error::Corrupt(format!("log checkpoint {}: {e}", row.size)))?;
    Ok(SignedCheckpoint {
        checkpoint,
        note: row.note,
        cosigned_by: Vec::new(),
        signed_at: from_micros(row.signed_at_us)?,
    })
}

fn hashes_of(bytes: &[u8]) -> Result<Vec<Hash>> {
    if !bytes.len().is_multiple_of(32) {
        return Err(Error::Corrupt(
            "a log tile's length is not a multiple of 32".to_owned(),
        ));
    }
    Ok(bytes.chunks(32).filter_map(Hash::from_slice).collect())
}

fn unix_seconds(at: DateTime<Utc>) -> u64 {
    u64::try_from(at.timestamp()).unwrap_or_default()
}

fn to_u64(n: i64) -> Result<u64> {
    u64::try_from(n).map_err(|_| Error::Corrupt("a negative log size".to_owned()))
}

fn to_i64(n: u64) -> Result<i64> {
    i64::try_from(n).map_err(|_| Error::Corrupt("a log size past i64".to_owned()))
}
