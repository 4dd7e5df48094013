//! The overseer's decisions on publishing responses' texts, and the list of
//! responses whose text awaits publication. Core decides what the public
//! reads (`rectrack_core::publication`); this file records the decision on
//! the response's row, in one transaction with its audit event.

use chrono::{Days, NaiveDate};
use rectrack_core::audit::Action;
use rectrack_core::ids::AssignmentId;
use rectrack_core::publication::{PublicText, Publication, PublicationDecision, PublicationDraft};
use rectrack_core::response::ResponseDecision;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::Store;
use crate::assignments::{AssignmentRecord, Loaded, check_version, load_whole, summary};
use crate::audit::append::{EventDraft, Touch};
use crate::convert::{from_micros, from_wire, micros, occurrence};
use crate::entities::{assignments, recommendations, responses};
use crate::error::{Error, Result};
use crate::page::{Page, PageRequest};
use crate::write::{Ctx, Written};

/// A response whose text is not yet public, with when it will be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwaitingPublication {
    /// Its assignment.
    pub assignment_id: AssignmentId,
    /// The recipient that gave it.
    pub organisation: String,
    /// The recommendation's report.
    pub report: String,
    /// The recommendation's number.
    pub number: u32,
    /// Its revision (1 for a first response).
    pub revision: u32,
    /// Its decision.
    pub decision: ResponseDecision,
    /// The day it was given.
    pub given_on: NaiveDate,
    /// The day its text becomes public by itself.
    pub due_on: NaiveDate,
}

impl Store {
    /// Records the overseer's decision on the current response's text:
    /// publish it, publish a redacted text, or withhold it. No status moves;
    /// the assignment's version does, since what the public reads changed.
    pub async fn decide_publication(
        &self,
        ctx: &Ctx<'_, AssignmentRecord>,
        id: AssignmentId,
        expected_version: Option<i64>,
        draft: &PublicationDraft,
    ) -> Result<Written<AssignmentRecord>> {
        self.write(ctx, async |tx| {
            let Loaded {
                mut held,
                milestones,
            } = load_whole(tx, id).await?;
            tx.principal.require_overseer("decide_publication")?;
            check_version(&held.assignment, expected_version)?;
            let decision = draft.parse()?;
            let publication = Publication {
                decision,
                decided_on: tx.today,
                decided_at: tx.now,
            };
            held.assignment.decide_publication(publication.clone())?;
            let revision = i32::try_from(held.revision).unwrap_or(i32::MAX);
            let before = responses::Entity::find()
                .filter(responses::Column::AssignmentId.eq(id.as_uuid()))
                .filter(responses::Column::Revision.eq(revision))
                .one(tx.db().await?)
                .await?
                .ok_or_else(|| Error::Corrupt("responses: the current revision".to_owned()))?;
            let after = responses::Model {
                publication: Some(
                    serde_json::to_string(&publication)
                        .map_err(|e| Error::Corrupt(format!("responses.publication: {e}")))?,
                ),
                ..before.clone()
            };
            tx.update_changed(before, after)?;
            let assignment = held.save(tx)?;
            let action = match publication.decision {
                PublicationDecision::Publish => Action::ResponsePublished,
                PublicationDecision::PublishRedacted { .. } => Action::ResponsePublishedRedacted,
                PublicationDecision::Withhold { .. } => Action::ResponseWithheld,
            };
            let event = EventDraft {
                action,
                entity_type: "assignment",
                entity_id: id.to_string(),
                payload: json!({
                    "assignment": summary(&assignment),
                    "revision": revision,
                    "publication": publication,
                }),
                touches: vec![Touch::of(id.as_uuid())],
            };
            Ok((
                AssignmentRecord {
                    assignment,
                    milestones,
                },
                event,
            ))
        })
        .await
    }

    /// Current responses whose text is not yet public on `today` and has
    /// not been decided on, the soonest due first (then by assignment).
    /// Only responses recorded in the last 21 days can be pending, so only
    /// those are read.
    pub async fn awaiting_publication(
        &self,
        today: NaiveDate,
        page: &PageRequest,
    ) -> Result<Page<AwaitingPublication>> {
        let window = today
            .checked_sub_days(Days::new(rectrack_core::publication::PUBLICATION_DAYS))
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map_or(i64::MIN, |t| micros(t.and_utc()));
        let rows = responses::Entity::find()
            .filter(responses::Column::SubmittedAtUs.gte(window))
            .all(&self.db)
            .await?;
        // Only the latest revision of each assignment can be decided on (a
        // later one than any read here would be more recent still).
        let mut latest: std::collections::HashMap<uuid::Uuid, responses::Model> =
            std::collections::HashMap::new();
        for row in rows {
            match latest.get(&row.assignment_id) {
                Some(kept) if kept.revision >= row.revision => {}
                _ => {
                    latest.insert(row.assignment_id, row);
                }
            }
        }
        let ids: Vec<uuid::Uuid> = latest.keys().copied().collect();
        let mut pending = Vec::new();
        for chunk in ids.chunks(1000) {
            let assigned = assignments::Entity::find()
                .filter(assignments::Column::Id.is_in(chunk.to_vec()))
                .all(&self.db)
                .await?;
            let recommended: std::collections::HashMap<uuid::Uuid, recommendations::Model> =
                recommendations::Entity::find()
                    .filter(
                        recommendations::Column::Id.is_in(
                            assigned
                                .iter()
                                .map(|a| a.recommendation_id)
                                .collect::<Vec<_>>(),
                        ),
                    )
                    .all(&self.db)
                    .await?
                    .into_iter()
                    .map(|r| (r.id, r))
                    .collect();
            for assignment in assigned {
                let Some(row) = latest.get(&assignment.id) else {
                    continue;
                };
                if row.publication.is_some() {
                    continue;
                }
                let recorded_at = from_micros(row.submitted_at_us)?;
                let given = occurrence("responses.occurred", row.occurred.as_deref(), recorded_at)?
                    .occurred_on;
                let text = rectrack_core::publication::public_text("", given, None, today);
                let PublicText::Pending { due_on } = text else {
                    continue;
                };
                let recommendation = recommended
                    .get(&assignment.recommendation_id)
                    .ok_or_else(|| Error::Corrupt("assignments.recommendation_id".to_owned()))?;
                pending.push(AwaitingPublication {
                    assignment_id: AssignmentId::from_uuid(assignment.id),
                    organisation: assignment.organisation.clone(),
                    report: recommendation.report_slug.clone(),
                    number: u32::try_from(recommendation.number)
                        .map_err(|_| Error::Corrupt("recommendations.number".to_owned()))?,
                    revision: u32::try_from(row.revision)
                        .map_err(|_| Error::Corrupt("responses.revision".to_owned()))?,
                    decision: from_wire("responses.decision", &row.decision)?,
                    given_on: given,
                    due_on,
                });
            }
        }
        pending.sort_by_key(|p| (p.due_on, p.assignment_id));
        let key = |p: &AwaitingPublication| format!("{}/{}", p.due_on, p.assignment_id);
        if let Some(after) = &page.after {
            pending.retain(|p| key(p) > *after);
        }
        Ok(Page::from_rows(pending, page.limit(), key))
    }
}
