//! Progress updates (append-only) and claims of implementation. Both may cite
//! only the milestones and evidence of their own assignment.

use std::collections::HashMap;

use rectrack_core::audit::Action;
use rectrack_core::ids::{AssignmentId, ClaimId, EvidenceId, MilestoneId, UpdateId};
use rectrack_core::lifecycle::Command;
use rectrack_core::occurrence::OccurrenceDraft;
use rectrack_core::organisation::OrgCode;
use rectrack_core::progress::{ProgressUpdate, UpdateDraft};
use rectrack_core::review::{Claim, ClaimDraft};
use rectrack_core::text::LongText;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use uuid::Uuid;

use crate::Store;
use crate::assignments::{AssignmentRecord, Loaded, authorise_fact, load, load_whole, summary};
use crate::audit::append::{EventDraft, Touch};
use crate::convert::{from_micros, micros, occurrence, occurrence_json};
use crate::entities::{
    claim_evidence, claims, milestones, progress_updates, update_evidence, update_milestones,
};
use crate::error::{Result, stored};
use crate::evidence::ids_of;
use crate::write::{Ctx, Written};

/// A claim and the assignment as it stands after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimOutcome {
    /// The claim.
    pub claim: Claim,
    /// The assignment, now `implementation_claimed`.
    pub assignment: AssignmentRecord,
}

impl Store {
    /// Posts a progress update, on what happened when `occurred` says; the
    /// first one moves an accepted assignment to `in_progress`.
    pub async fn post_update(
        &self,
        ctx: &Ctx<'_, ProgressUpdate>,
        id: AssignmentId,
        expected_version: Option<i64>,
        draft: &UpdateDraft,
        occurred: &OccurrenceDraft,
    ) -> Result<Written<ProgressUpdate>> {
        self.write(ctx, async |tx| {
            let mut held = load(tx, id).await?;
            let (transition, occurrence) = authorise_fact(
                tx,
                &held.assignment,
                Command::PostUpdate,
                expected_version,
                occurred,
            )?;
            let content = draft.parse()?;
            // Citations are checked against the assignment's own items (read
            // only when there are citations to check).
            let milestone_ids: Vec<MilestoneId> = if content.milestone_ids.is_empty() {
                Vec::new()
            } else {
                milestones::Entity::find()
                    .filter(milestones::Column::AssignmentId.eq(id.as_uuid()))
                    .all(tx.db().await?)
                    .await?
                    .into_iter()
                    .map(|m| MilestoneId::from_uuid(m.id))
                    .collect()
            };
            let evidence_ids = if content.evidence_ids.is_empty() {
                Vec::new()
            } else {
                ids_of(tx.db().await?, id).await?
            };
            content.check_own(&milestone_ids, &evidence_ids)?;
            // A backfill is entered by the overseer; the update is the
            // recipient's.
            let submitted_by = held.assignment.organisation.clone();
            let update = ProgressUpdate {
                id: UpdateId::from_uuid(Uuid::new_v4()),
                assignment_id: id,
                narrative: content.narrative,
                milestone_ids: content.milestone_ids,
                evidence_ids: content.evidence_ids,
                submitted_at: tx.now,
                submitted_by,
                occurred: occurrence.clone(),
            };
            tx.insert(progress_updates::Model {
                id: update.id.as_uuid(),
                assignment_id: id.as_uuid(),
                narrative: update.narrative.to_string(),
                submitted_at_us: micros(tx.now),
                submitted_by: update.submitted_by.to_string(),
                occurred: occurrence_json(&occurrence),
            })?;
            for (position, milestone) in update.milestone_ids.iter().enumerate() {
                tx.insert(update_milestones::Model {
                    update_id: update.id.as_uuid(),
                    milestone_id: milestone.as_uuid(),
                    position: position_of(position),
                })?;
            }
            for (position, evidence) in update.evidence_ids.iter().enumerate() {
                tx.insert(update_evidence::Model {
                    update_id: update.id.as_uuid(),
                    evidence_id: evidence.as_uuid(),
                    position: position_of(position),
                })?;
            }
            held.assignment.apply(&transition, &occurrence);
            let assignment = held.save(tx)?;
            let event = EventDraft {
                action: Action::ProgressPosted,
                entity_type: "progress_update",
                entity_id: update.id.to_string(),
                payload: json!({ "assignment": summary(&assignment), "progress_update": update }),
                touches: vec![
                    Touch {
                        status: (transition.to != transition.from).then_some(transition.to),
                        ..Touch::of(id.as_uuid())
                    }
                    .occurred(&occurrence),
                ],
            };
            Ok((update, event))
        })
        .await
    }

    /// Claims implementation, citing evidence of the assignment, as claimed
    /// when `occurred` says.
    pub async fn claim(
        &self,
        ctx: &Ctx<'_, ClaimOutcome>,
        id: AssignmentId,
        expected_version: Option<i64>,
        draft: &ClaimDraft,
        occurred: &OccurrenceDraft,
    ) -> Result<Written<ClaimOutcome>> {
        self.write(ctx, async |tx| {
            let Loaded {
                mut held,
                milestones,
            } = load_whole(tx, id).await?;
            let (transition, occurrence) = authorise_fact(
                tx,
                &held.assignment,
                Command::Claim,
                expected_version,
                occurred,
            )?;
            let content = draft.parse()?;
            content.check_own(&ids_of(tx.db().await?, id).await?)?;
            // A backfill is entered by the overseer; the claim is the
            // recipient's.
            let submitted_by = held.assignment.organisation.clone();
            let claim = Claim {
                id: ClaimId::from_uuid(Uuid::new_v4()),
                assignment_id: id,
                summary: content.summary,
                evidence_ids: content.evidence_ids,
                submitted_at: tx.now,
                submitted_by,
                occurred: occurrence.clone(),
            };
            tx.insert(claims::Model {
                id: claim.id.as_uuid(),
                assignment_id: id.as_uuid(),
                summary: claim.summary.to_string(),
                submitted_at_us: micros(tx.now),
                submitted_by: claim.submitted_by.to_string(),
                occurred: occurrence_json(&occurrence),
            })?;
            for (position, evidence) in claim.evidence_ids.iter().enumerate() {
                tx.insert(claim_evidence::Model {
                    claim_id: claim.id.as_uuid(),
                    evidence_id: evidence.as_uuid(),
                    position: position_of(position),
                })?;
            }
            held.assignment.apply(&transition, &occurrence);
            let assignment = held.save(tx)?;
            let event = EventDraft {
                action: Action::ImplementationClaimed,
                entity_type: "assignment",
                entity_id: id.to_string(),
                payload: json!({ "assignment": summary(&assignment), "claim": claim }),
                touches: vec![
                    Touch {
                        status: Some(transition.to),
                        ..Touch::of(id.as_uuid())
                    }
                    .occurred(&occurrence),
                ],
            };
            let assignment = AssignmentRecord {
                assignment,
                milestones,
            };
            Ok((ClaimOutcome { claim, assignment }, event))
        })
        .await
    }

    /// An assignment's progress updates, oldest first.
    pub async fn updates(&self, id: AssignmentId) -> Result<Vec<ProgressUpdate>> {
        let rows = progress_updates::Entity::find()
            .filter(progress_updates::Column::AssignmentId.eq(id.as_uuid()))
            .order_by_asc(progress_updates::Column::SubmittedAtUs)
            .order_by_asc(progress_updates::Column::Id)
            .all(&self.db)
            .await?;
        // The cited ids of every update in two queries, not two per update.
        let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
        let mut milestones: HashMap<Uuid, Vec<MilestoneId>> = HashMap::new();
        for cited in update_milestones::Entity::find()
            .filter(update_milestones::Column::UpdateId.is_in(ids.clone()))
            .order_by_asc(update_milestones::Column::Position)
            .all(&self.db)
            .await?
        {
            milestones
                .entry(cited.update_id)
                .or_default()
                .push(MilestoneId::from_uuid(cited.milestone_id));
        }
        let mut evidence: HashMap<Uuid, Vec<EvidenceId>> = HashMap::new();
        for cited in update_evidence::Entity::find()
            .filter(update_evidence::Column::UpdateId.is_in(ids))
            .order_by_asc(update_evidence::Column::Position)
            .all(&self.db)
            .await?
        {
            evidence
                .entry(cited.update_id)
                .or_default()
                .push(EvidenceId::from_uuid(cited.evidence_id));
        }
        let mut updates = Vec::with_capacity(rows.len());
        for row in rows {
            let submitted_at = from_micros(row.submitted_at_us)?;
            updates.push(ProgressUpdate {
                occurred: occurrence(
                    "progress_updates.occurred",
                    row.occurred.as_deref(),
                    submitted_at,
                )?,
                id: UpdateId::from_uuid(row.id),
                assignment_id: id,
                narrative: stored(
                    "progress_updates.narrative",
                    LongText::parse(&row.narrative),
                )?,
                milestone_ids: milestones.remove(&row.id).unwrap_or_default(),
                evidence_ids: evidence.remove(&row.id).unwrap_or_default(),
                submitted_at,
                submitted_by: stored(
                    "progress_updates.submitted_by",
                    OrgCode::parse(&row.submitted_by),
                )?,
            });
        }
        Ok(updates)
    }

    /// An assignment's claims of implementation, oldest first, each with
    /// the evidence it cites.
    pub async fn claims(&self, id: AssignmentId) -> Result<Vec<Claim>> {
        Ok(self.claims_of(&[id]).await?.remove(&id).unwrap_or_default())
    }

    /// The claims of each of `ids`, oldest first, each with the evidence it
    /// cites: two queries however many assignments.
    pub async fn claims_of(
        &self,
        ids: &[AssignmentId],
    ) -> Result<HashMap<AssignmentId, Vec<Claim>>> {
        let rows = claims::Entity::find()
            .filter(claims::Column::AssignmentId.is_in(ids.iter().map(|id| id.as_uuid())))
            .order_by_asc(claims::Column::SubmittedAtUs)
            .order_by_asc(claims::Column::Id)
            .all(&self.db)
            .await?;
        let claim_ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
        let mut evidence: HashMap<Uuid, Vec<EvidenceId>> = HashMap::new();
        for cited in claim_evidence::Entity::find()
            .filter(claim_evidence::Column::ClaimId.is_in(claim_ids))
            .order_by_asc(claim_evidence::Column::Position)
            .all(&self.db)
            .await?
        {
            evidence
                .entry(cited.claim_id)
                .or_default()
                .push(EvidenceId::from_uuid(cited.evidence_id));
        }
        let mut claims: HashMap<AssignmentId, Vec<Claim>> = HashMap::new();
        for row in rows {
            let submitted_at = from_micros(row.submitted_at_us)?;
            let assignment_id = AssignmentId::from_uuid(row.assignment_id);
            claims.entry(assignment_id).or_default().push(Claim {
                occurred: occurrence("claims.occurred", row.occurred.as_deref(), submitted_at)?,
                id: ClaimId::from_uuid(row.id),
                assignment_id,
                summary: stored("claims.summary", LongText::parse(&row.summary))?,
                evidence_ids: evidence.remove(&row.id).unwrap_or_default(),
                submitted_at,
                submitted_by: stored("claims.submitted_by", OrgCode::parse(&row.submitted_by))?,
            });
        }
        Ok(claims)
    }
}

fn position_of(index: usize) -> i32 {
    i32::try_from(index).unwrap_or(i32::MAX)
}
