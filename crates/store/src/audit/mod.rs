//! Reading the audit chain: pages of events, an assignment's history, and
//! verification of the whole chain in constant memory.

use chrono::{DateTime, NaiveDate, Utc};
use rectrack_core::audit::{AuditActor, AuditEvent, ChainVerdict, ChainVerifier, readable_by};
use rectrack_core::ids::{AssignmentId, PersonId, TokenId};
use rectrack_core::organisation::OrgCode;
use rectrack_core::role::Principal;
use rectrack_core::time::end_of_day;
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

pub mod append;

use crate::Store;
use crate::convert::{from_micros, from_wire};
use crate::entities::{assignment_events, assignments, audit_events, audit_head};
use crate::error::{Error, Result, stored};

/// Events read per query while verifying.
const VERIFY_BATCH: u64 = 10_000;

/// Where the chain stands: its last event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainMark {
    /// The last event's `seq` (0 when the chain is empty).
    pub seq: u64,
    /// When the last event was recorded (the epoch when the chain is empty).
    pub at: DateTime<Utc>,
}

impl Store {
    /// Where the chain stands. Every write appends an event, so an unchanged
    /// `seq` means unchanged data: readers use it to tell whether something
    /// they derived is still current.
    pub async fn chain_mark(&self) -> Result<ChainMark> {
        let head = audit_head::Entity::find_by_id(1)
            .one(&self.db)
            .await?
            .ok_or_else(|| Error::Corrupt("the audit chain head is missing".to_owned()))?;
        Ok(ChainMark {
            seq: u64::try_from(head.seq).map_err(|_| Error::Corrupt("negative seq".to_owned()))?,
            at: from_micros(head.at_us)?,
        })
    }

    /// Whether the status report as of the end of `day`, read once the chain
    /// stood at `mark`, stays exact whatever is written afterwards.
    ///
    /// It does once `day` has ended and `mark`'s event was recorded after its
    /// end: a past day's report reads only what was recorded before the day
    /// ended (events, and assignments created with them), and every event is
    /// recorded later than the one before it, whatever the writer's clock
    /// says. So nothing written after `mark` can fall inside that day.
    pub fn settles(&self, day: NaiveDate, mark: ChainMark) -> bool {
        let end = end_of_day(day);
        end <= self.clock.now() && end <= mark.at
    }

    /// Up to `limit` events after `after_seq`, in order.
    pub async fn audit_events(&self, after_seq: u64, limit: u64) -> Result<Vec<AuditEvent>> {
        audit_events::Entity::find()
            .filter(audit_events::Column::Seq.gt(seq(after_seq)))
            .order_by_asc(audit_events::Column::Seq)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(event)
            .collect()
    }

    /// Event `seq`, if `principal` may read it ([`readable_by`]); one it
    /// may not is not found, as one that does not exist.
    pub async fn readable_event(&self, principal: &Principal, seq: u64) -> Result<AuditEvent> {
        let missing = || Error::not_found("audit event", seq);
        let row = audit_events::Entity::find_by_id(self::seq(seq))
            .one(&self.db)
            .await?
            .ok_or_else(missing)?;
        let event = event(row)?;
        let sees_all = principal.actor().is_none_or(|a| a.sees_everything());
        let concerns = if sees_all {
            Vec::new()
        } else {
            let ids: Vec<uuid::Uuid> = assignment_events::Entity::find()
                .select_only()
                .column(assignment_events::Column::AssignmentId)
                .filter(assignment_events::Column::Seq.eq(self::seq(seq)))
                .into_tuple()
                .all(&self.db)
                .await?;
            let organisations: Vec<String> = assignments::Entity::find()
                .select_only()
                .column(assignments::Column::Organisation)
                .filter(assignments::Column::Id.is_in(ids))
                .into_tuple()
                .all(&self.db)
                .await?;
            organisations
                .iter()
                .filter_map(|code| OrgCode::parse(code).ok())
                .collect()
        };
        if readable_by(principal, &event, &concerns) {
            Ok(event)
        } else {
            Err(missing())
        }
    }

    /// Every event that concerns an assignment, oldest first.
    pub async fn history(&self, id: AssignmentId) -> Result<Vec<AuditEvent>> {
        audit_events::Entity::find()
            .filter(
                audit_events::Column::Seq.in_subquery(
                    Query::select()
                        .column(assignment_events::Column::Seq)
                        .from(assignment_events::Entity)
                        .and_where(assignment_events::Column::AssignmentId.eq(id.as_uuid()))
                        .take(),
                ),
            )
            .order_by_asc(audit_events::Column::Seq)
            .all(&self.db)
            .await?
            .into_iter()
            .map(event)
            .collect()
    }

    /// Verifies the whole chain, reading it in batches: every event must be
    /// in place, unchanged and linked to the one before.
    pub async fn verify_chain(&self) -> Result<ChainVerdict> {
        self.verify_chain_with(|_| {}).await
    }

    /// [`Store::verify_chain`], calling `progress` with the count checked so far.
    ///
    /// The chain must also end where the recorded head says it does. The
    /// head is read first and events only up to it, so writes landing
    /// meanwhile are neither checked nor mistaken for a gap.
    pub async fn verify_chain_with(&self, mut progress: impl FnMut(u64)) -> Result<ChainVerdict> {
        let head = audit_head::Entity::find_by_id(1)
            .one(&self.db)
            .await?
            .ok_or_else(|| Error::Corrupt("the audit chain head is missing".to_owned()))?;
        let mut verifier = ChainVerifier::new();
        let mut after: Option<i64> = None;
        let mut checked = 0;
        loop {
            let mut query = audit_events::Entity::find()
                .filter(audit_events::Column::Seq.lte(head.seq))
                .order_by_asc(audit_events::Column::Seq);
            if let Some(after) = after {
                query = query.filter(audit_events::Column::Seq.gt(after));
            }
            let rows = query.limit(VERIFY_BATCH).all(&self.db).await?;
            let Some(last) = rows.last().map(|row| row.seq) else {
                break;
            };
            for row in rows {
                match event(row) {
                    Ok(event) => {
                        verifier.push(&event);
                    }
                    Err(_) => verifier.push_unreadable(),
                }
                checked += 1;
            }
            progress(checked);
            after = Some(last);
        }
        let head_seq = u64::try_from(head.seq).unwrap_or_default();
        Ok(verifier.finish_at(head_seq, &head.hash))
    }
}

fn seq(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// An event as stored.
pub(crate) fn event(row: audit_events::Model) -> Result<AuditEvent> {
    Ok(AuditEvent {
        seq: u64::try_from(row.seq)
            .map_err(|_| Error::Corrupt("audit_events.seq is negative".to_owned()))?,
        at: from_micros(row.at_us)?,
        actor: AuditActor {
            token_id: row.actor_token_id.map(TokenId::from_uuid),
            person_id: row.actor_person_id.map(PersonId::from_uuid),
            organisation: stored(
                "audit_events.actor_organisation",
                row.actor_organisation
                    .as_deref()
                    .map(OrgCode::parse)
                    .transpose(),
            )?,
            role: row
                .actor_role
                .as_deref()
                .map(|r| from_wire("audit_events.actor_role", r))
                .transpose()?,
        },
        action: row.action,
        entity_type: row.entity_type,
        entity_id: row.entity_id,
        payload: serde_json::from_str(&row.payload)
            .map_err(|e| Error::Corrupt(format!("audit_events.payload: {e}")))?,
        prev_hash: row.prev_hash,
        hash: row.hash,
    })
}
