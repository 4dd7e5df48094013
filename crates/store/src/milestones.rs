//! Milestones: planned, started, done or dropped by the recipient. Starting
//! or finishing one moves an accepted assignment to `in_progress`.

use rectrack_core::audit::Action;
use rectrack_core::ids::{AssignmentId, MilestoneId};
use rectrack_core::lifecycle::Command;
use rectrack_core::milestone::{Milestone, MilestoneChange, MilestoneDraft};
use rectrack_core::occurrence::OccurrenceDraft;
use rectrack_core::status_report::MilestoneState;
use rectrack_core::text::Title;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use uuid::Uuid;

use crate::Store;
use crate::assignments::{authorise_fact, load, summary, visible};
use crate::audit::append::{EventDraft, Touch};
use crate::convert::{from_wire, micros, wire};
use crate::entities::milestones;
use crate::error::{Error, Result, stored};
use crate::write::{Ctx, Written};

impl Store {
    /// Adds a planned milestone, planned when `occurred` says.
    pub async fn add_milestone(
        &self,
        ctx: &Ctx<'_, Milestone>,
        id: AssignmentId,
        expected_version: Option<i64>,
        draft: &MilestoneDraft,
        occurred: &OccurrenceDraft,
    ) -> Result<Written<Milestone>> {
        self.write(ctx, async |tx| {
            let mut held = load(tx, id).await?;
            let (transition, occurrence) = authorise_fact(
                tx,
                &held.assignment,
                Command::PlanMilestone,
                expected_version,
                occurred,
            )?;
            let plan = draft.parse(held.assignment.issued_on)?;
            let milestone = plan.into_milestone(MilestoneId::from_uuid(Uuid::new_v4()), id);
            tx.insert(to_row(&milestone, micros(tx.now), micros(tx.now)))?;
            held.assignment.apply(&transition, &occurrence);
            let assignment = held.save(tx)?;
            let event = EventDraft {
                action: Action::MilestonePlanned,
                entity_type: "milestone",
                entity_id: milestone.id.to_string(),
                payload: json!({
                    "assignment": summary(&assignment),
                    "milestone": milestone,
                    "occurred": occurrence,
                }),
                touches: vec![
                    Touch {
                        status: (transition.to != transition.from).then_some(transition.to),
                        milestone: Some(state(&milestone)),
                        milestone_added: true,
                        ..Touch::of(id.as_uuid())
                    }
                    .occurred(&occurrence),
                ],
            };
            Ok((milestone, event))
        })
        .await
    }

    /// Changes a milestone's title, due day or status, changed when
    /// `occurred` says (a milestone done without a `completed_on` was done
    /// that day).
    pub async fn change_milestone(
        &self,
        ctx: &Ctx<'_, Milestone>,
        id: AssignmentId,
        milestone_id: MilestoneId,
        expected_version: Option<i64>,
        change: &MilestoneChange,
        occurred: &OccurrenceDraft,
    ) -> Result<Written<Milestone>> {
        self.write(ctx, async |tx| {
            let mut held = load(tx, id).await?;
            let stored_row = milestones::Entity::find_by_id(milestone_id.as_uuid())
                .one(tx.db().await?)
                .await?
                .filter(|m| m.assignment_id == id.as_uuid());
            // A caller who may not see the assignment learns nothing of its milestones.
            visible(tx, &held.assignment)?;
            let stored_row =
                stored_row.ok_or_else(|| Error::not_found("milestone", milestone_id))?;
            let created_at_us = stored_row.created_at_us;
            let current = milestone(stored_row)?;
            let on = occurred.occurred_on.unwrap_or(tx.today);
            let (next, command) = current.changed(change, held.assignment.issued_on, on)?;
            let (transition, occurrence) =
                authorise_fact(tx, &held.assignment, command, expected_version, occurred)?;
            tx.update(to_row(&next, created_at_us, micros(tx.now)))?;
            held.assignment.apply(&transition, &occurrence);
            let assignment = held.save(tx)?;
            let event = EventDraft {
                action: Action::MilestoneChanged,
                entity_type: "milestone",
                entity_id: next.id.to_string(),
                payload: json!({
                    "assignment": summary(&assignment),
                    "milestone": next,
                    "occurred": occurrence,
                }),
                touches: vec![
                    Touch {
                        status: (transition.to != transition.from).then_some(transition.to),
                        milestone: Some(state(&next)),
                        ..Touch::of(id.as_uuid())
                    }
                    .occurred(&occurrence),
                ],
            };
            Ok((next, event))
        })
        .await
    }

    /// An assignment's milestones, by due day.
    pub async fn milestones(&self, id: AssignmentId) -> Result<Vec<Milestone>> {
        milestones::Entity::find()
            .filter(milestones::Column::AssignmentId.eq(id.as_uuid()))
            .order_by_asc(milestones::Column::DueOn)
            .order_by_asc(milestones::Column::CreatedAtUs)
            .all(&self.db)
            .await?
            .into_iter()
            .map(milestone)
            .collect()
    }
}

fn state(milestone: &Milestone) -> MilestoneState {
    MilestoneState {
        id: milestone.id,
        due_on: milestone.due_on,
        status: milestone.status,
    }
}

fn to_row(milestone: &Milestone, created_at_us: i64, updated_at_us: i64) -> milestones::Model {
    milestones::Model {
        id: milestone.id.as_uuid(),
        assignment_id: milestone.assignment_id.as_uuid(),
        title: milestone.title.to_string(),
        due_on: milestone.due_on,
        status: wire(&milestone.status),
        completed_on: milestone.completed_on,
        created_at_us,
        updated_at_us,
    }
}

pub(crate) fn milestone(row: milestones::Model) -> Result<Milestone> {
    Ok(Milestone {
        id: MilestoneId::from_uuid(row.id),
        assignment_id: AssignmentId::from_uuid(row.assignment_id),
        title: stored("milestones.title", Title::parse(&row.title))?,
        due_on: row.due_on,
        status: from_wire("milestones.status", &row.status)?,
        completed_on: row.completed_on,
    })
}
