//! Appending to the audit chain: a command's event is sealed after the
//! chain's head (read under the chain lock) and queued with the command's
//! rows, with one index row per assignment it touched and, for each change,
//! the end of the assignment's dated state and the start of the next. The
//! database moves the head as the event is inserted.

use chrono::{DateTime, NaiveDate, Utc};
use rectrack_core::assignment::AssignmentStatus;
use rectrack_core::audit::{Action, AuditEvent, NewAuditEvent, canonical_json};
use rectrack_core::occurrence::Occurrence;
use rectrack_core::response::ResponseDecision;
use rectrack_core::role::Principal;
use rectrack_core::status_report::MilestoneState;
use rectrack_migrations::{OPEN_DAY, OPEN_US};
use sea_orm::{DatabaseTransaction, EntityTrait, QuerySelect};
use serde_json::Value;
use uuid::Uuid;

use crate::convert::{day_number, micros, wire};
use crate::entities::{assignment_events, audit_events, audit_head, milestone_states};
use crate::error::{Error, Result};
use crate::sql::Sql;
use crate::write::Tx;

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
    /// The day the change occurred and whether that day is only a bound;
    /// the day of recording when none.
    pub occurred: Option<(NaiveDate, bool)>,
    /// The assignment was created by this command: it has no state before.
    pub created: bool,
    /// The milestone was added by this command: it has no state before.
    pub milestone_added: bool,
}

impl Touch {
    /// A touch that records the event in the assignment's history only.
    pub fn of(assignment_id: Uuid) -> Self {
        Self {
            assignment_id,
            ..Self::default()
        }
    }

    /// The same touch, occurred as `occurred` says.
    pub fn occurred(self, occurred: &Occurrence) -> Self {
        Self {
            occurred: Some((occurred.occurred_on, occurred.is_bound())),
            ..self
        }
    }

    /// Whether the touch changes what a report reads of the assignment, so
    /// that a new state of it begins.
    fn changes(&self) -> bool {
        self.status.is_some()
            || self.decision.is_some()
            || self.response_due_on.is_some()
            || self.milestone.is_some()
    }
}

/// The audit event a command asks to append.
#[derive(Debug, Clone)]
pub struct EventDraft {
    /// What was done.
    pub action: Action,
    /// The kind of entity acted on.
    pub entity_type: &'static str,
    /// Its id.
    pub entity_id: String,
    /// Every row the command wrote.
    pub payload: Value,
    /// The assignments it concerns.
    pub touches: Vec<Touch>,
}

/// Reads the chain's head, holding it (the chain lock) until the
/// transaction ends.
pub(crate) async fn read_head(txn: &DatabaseTransaction) -> Result<audit_head::Model> {
    audit_head::Entity::find_by_id(1)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| Error::Corrupt("the audit chain head is missing".to_owned()))
}

/// Seals the event after `head` and queues it and its assignment index rows;
/// the database moves the head to it.
pub(crate) fn append(
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
        action: draft.action.as_str().to_owned(),
        entity_type: draft.entity_type.to_owned(),
        entity_id: draft.entity_id,
        payload: draft.payload,
    }
    .seal(seq, &head.hash);
    let seq = head.seq + 1;
    tx.insert(event_row(&event, seq))?;
    for touch in draft.touches {
        let (occurred_on, occurred_bound) = touch.occurred.unwrap_or((now.date_naive(), false));
        if touch.changes() {
            move_state(tx, &touch, seq, now, (occurred_on, occurred_bound))?;
        }
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
            occurred_on: Some(occurred_on),
            occurred_day: Some(day_number(occurred_on)),
            occurred_bound,
        })?;
    }
    // The head moves with the insert (trigger `audit_head_follows`).
    Ok(event)
}

/// Ends the assignment's current state (and its milestone's) where the
/// change happened, on both time lines, and begins the next: the
/// assignment's as its row now stands (the command's own writes are queued
/// before its event), the milestone's as the touch gives it.
fn move_state(
    tx: &Tx<'_>,
    touch: &Touch,
    seq: i64,
    now: DateTime<Utc>,
    (occurred_on, bound): (NaiveDate, bool),
) -> Result<()> {
    let at = micros(now);
    let day = day_number(occurred_on);
    let close = |table: &str, key: &str, id: Uuid, bound: Option<bool>| {
        let mut q = Sql::new(tx.backend());
        q.push(&format!("UPDATE {table} SET to_us = "));
        q.bind(at);
        q.push(", to_day = ");
        q.bind(day);
        if let Some(bound) = bound {
            q.push(", next_bound = ");
            q.bind(bound);
        }
        q.push(&format!(" WHERE {key} = "));
        q.bind(id);
        q.push(" AND to_us = ");
        q.bind(OPEN_US);
        q.build()
    };
    if !touch.created {
        tx.queue(close(
            "assignment_states",
            "assignment_id",
            touch.assignment_id,
            Some(bound),
        ));
    }
    let mut q = Sql::new(tx.backend());
    q.push(
        "INSERT INTO assignment_states (assignment_id, seq, recommendation_id, organisation, issued_day, \
         from_us, from_day, to_us, to_day, next_bound, status, decision, response_due_on, first_response_on, \
         first_response_day, first_response_bound, verified_day, verified_bound) SELECT a.id, ",
    );
    q.bind(seq);
    q.push(", a.recommendation_id, a.organisation, a.issued_day, ");
    q.bind(at);
    q.push(", ");
    q.bind(day);
    q.push(", ");
    q.bind(OPEN_US);
    q.push(", ");
    q.bind(OPEN_DAY);
    q.push(", ");
    q.bind(false);
    q.push(
        ", a.status, a.decision, a.response_due_on, a.first_response_on, a.first_response_day, \
         a.first_response_bound, a.verified_day, a.verified_bound FROM assignments a WHERE a.id = ",
    );
    q.bind(touch.assignment_id);
    tx.queue(q.build());
    if let Some(milestone) = touch.milestone {
        let id = milestone.id.as_uuid();
        if !touch.milestone_added {
            tx.queue(close("milestone_states", "milestone_id", id, None));
        }
        tx.insert(milestone_states::Model {
            milestone_id: id,
            seq,
            assignment_id: touch.assignment_id,
            from_us: at,
            from_day: day,
            to_us: OPEN_US,
            to_day: OPEN_DAY,
            status: wire(&milestone.status),
            due_on: milestone.due_on,
        })?;
    }
    Ok(())
}

fn event_row(event: &AuditEvent, seq: i64) -> audit_events::Model {
    audit_events::Model {
        seq,
        at_us: micros(event.at),
        actor_token_id: event.actor.token_id.map(|id| id.as_uuid()),
        actor_person_id: event.actor.person_id.map(|id| id.as_uuid()),
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
