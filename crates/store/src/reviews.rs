//! The overseer's reviews: verify or return a claim, close an assignment as
//! not implemented, or comment.

use std::collections::HashMap;

use rectrack_core::assignment::AssignmentStatus;
use rectrack_core::audit::Action;
use rectrack_core::deadline::{ExtensionRequest, ExtensionStatus};
use rectrack_core::evidence::Evidence;
use rectrack_core::ids::{AssignmentId, EvidenceId, RecommendationId, ReviewId};
use rectrack_core::lifecycle::Command;
use rectrack_core::occurrence::OccurrenceDraft;
use rectrack_core::organisation::OrgCode;
use rectrack_core::review::{Claim, Review, ReviewDraft};
use rectrack_core::role::Actor;
use rectrack_core::text::LongText;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use uuid::Uuid;

use crate::Store;
use crate::assignments::{
    AssignmentFilter, AssignmentRecord, Loaded, authorise_fact, load_whole, summary,
};
use crate::audit::append::{EventDraft, Touch};
use crate::convert::{from_micros, from_wire, micros, occurrence, occurrence_json, wire};
use crate::entities::{assignments, extension_requests, recommendations, reviews};
use crate::error::{Error, Result, stored};
use crate::page::PageRequest;
use crate::sql::Sql;
use crate::write::{Ctx, Tx, Written};

/// A review and the assignment as it stands after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewOutcomeView {
    /// The review.
    pub review: Review,
    /// The assignment after it.
    pub assignment: AssignmentRecord,
}

/// A claim awaiting the overseer's review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedClaim {
    /// The assignment, `implementation_claimed`.
    pub assignment: AssignmentRecord,
    /// Its recommendation's report, number and title.
    pub report: String,
    /// The recommendation's number in its report.
    pub number: u32,
    /// The recommendation's title.
    pub title: String,
    /// The latest claim, the one under review.
    pub claim: Claim,
    /// The evidence the claim cites, in the order it cites them.
    pub evidence: Vec<Evidence>,
}

/// A request for more time awaiting the overseer's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedExtension {
    /// The request.
    pub request: ExtensionRequest,
    /// The organisation that asks.
    pub organisation: OrgCode,
    /// The response due day it would move.
    pub response_due_on: chrono::NaiveDate,
    /// Its recommendation's report.
    pub report: String,
    /// The recommendation's number in its report.
    pub number: u32,
    /// The recommendation's title.
    pub title: String,
}

/// The report, number and title of each recommendation of `ids`.
async fn titles(
    db: &impl ConnectionTrait,
    ids: impl Iterator<Item = Uuid>,
) -> Result<HashMap<Uuid, (String, u32, String)>> {
    let ids: Vec<Uuid> = ids.collect();
    let mut titles = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let rows = recommendations::Entity::find()
            .filter(recommendations::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        for row in rows {
            let number = u32::try_from(row.number).unwrap_or_default();
            titles.insert(row.id, (row.report_slug, number, row.title));
        }
    }
    Ok(titles)
}

impl Store {
    /// The report, number and title of each recommendation of `ids` that
    /// exists: one query per 500.
    pub async fn recommendation_titles(
        &self,
        ids: &[RecommendationId],
    ) -> Result<HashMap<RecommendationId, (String, u32, String)>> {
        Ok(titles(&self.db, ids.iter().map(|id| id.as_uuid()))
            .await?
            .into_iter()
            .map(|(id, title)| (RecommendationId::from_uuid(id), title))
            .collect())
    }

    /// Claims awaiting review that `actor` may see, the longest waiting
    /// first, at most `limit` of them; and how many await in all.
    pub async fn review_queue(
        &self,
        actor: &Actor,
        limit: usize,
    ) -> Result<(Vec<QueuedClaim>, usize)> {
        let filter = AssignmentFilter {
            organisation: (!actor.sees_everything()).then(|| actor.organisation.to_string()),
            status: Some(AssignmentStatus::ImplementationClaimed),
            ..AssignmentFilter::default()
        };
        let mut claimed = Vec::new();
        let mut page = PageRequest::first(500);
        loop {
            let found = self.assignments(&filter, &page).await?;
            claimed.extend(found.items);
            match found.next {
                Some(after) => page.after = Some(after),
                None => break,
            }
        }
        let ids: Vec<AssignmentId> = claimed.iter().map(|r| r.assignment.id).collect();
        let mut claims = HashMap::new();
        for chunk in ids.chunks(500) {
            claims.extend(self.claims_of(chunk).await?);
        }
        // The claim under review is each assignment's latest.
        let mut queue: Vec<(AssignmentRecord, Claim)> = claimed
            .into_iter()
            .filter_map(|record| {
                let latest = claims.get_mut(&record.assignment.id)?.pop()?;
                Some((record, latest))
            })
            .collect();
        queue.sort_by_key(|(record, claim)| (claim.submitted_at, record.assignment.id));
        let waiting = queue.len();
        queue.truncate(limit);
        let titles = titles(
            &self.db,
            queue
                .iter()
                .map(|(record, _)| record.assignment.recommendation_id.as_uuid()),
        )
        .await?;
        let cited: Vec<EvidenceId> = queue
            .iter()
            .flat_map(|(_, claim)| claim.evidence_ids.iter().copied())
            .collect();
        let evidence: HashMap<EvidenceId, Evidence> = crate::evidence::by_ids(&self.db, &cited)
            .await?
            .into_iter()
            .map(|item| (item.id, item))
            .collect();
        let queue = queue
            .into_iter()
            .map(|(assignment, claim)| {
                let (report, number, title) = titles
                    .get(&assignment.assignment.recommendation_id.as_uuid())
                    .cloned()
                    .unwrap_or_default();
                QueuedClaim {
                    evidence: claim
                        .evidence_ids
                        .iter()
                        .filter_map(|id| evidence.get(id).cloned())
                        .collect(),
                    assignment,
                    report,
                    number,
                    title,
                    claim,
                }
            })
            .collect();
        Ok((queue, waiting))
    }

    /// Requests for more time awaiting a decision that `actor` may see,
    /// the longest waiting first, at most `limit` of them; and how many
    /// await in all.
    pub async fn extension_queue(
        &self,
        actor: &Actor,
        limit: usize,
    ) -> Result<(Vec<QueuedExtension>, usize)> {
        let mut query = extension_requests::Entity::find()
            .filter(extension_requests::Column::Status.eq(wire(&ExtensionStatus::Pending)))
            .order_by_asc(extension_requests::Column::RequestedAtUs)
            .order_by_asc(extension_requests::Column::Id);
        if !actor.sees_everything() {
            query = query.filter(
                extension_requests::Column::AssignmentId.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(assignments::Column::Id)
                        .from(assignments::Entity)
                        .and_where(
                            assignments::Column::Organisation.eq(actor.organisation.as_str()),
                        )
                        .to_owned(),
                ),
            );
        }
        let rows = query.all(&self.db).await?;
        let waiting = rows.len();
        let mut requests = Vec::with_capacity(limit.min(waiting));
        for row in rows.into_iter().take(limit) {
            requests.push(crate::extensions::request(row)?);
        }
        let ids: Vec<Uuid> = requests.iter().map(|r| r.assignment_id.as_uuid()).collect();
        let assignments: HashMap<Uuid, assignments::Model> = assignments::Entity::find()
            .filter(assignments::Column::Id.is_in(ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| (row.id, row))
            .collect();
        let titles = titles(&self.db, assignments.values().map(|a| a.recommendation_id)).await?;
        let mut queue = Vec::with_capacity(requests.len());
        for request in requests {
            let Some(assignment) = assignments.get(&request.assignment_id.as_uuid()) else {
                return Err(Error::Corrupt(format!(
                    "extension request {} names no assignment",
                    request.id
                )));
            };
            let (report, number, title) = titles
                .get(&assignment.recommendation_id)
                .cloned()
                .unwrap_or_default();
            queue.push(QueuedExtension {
                organisation: stored(
                    "assignments.organisation",
                    OrgCode::parse(&assignment.organisation),
                )?,
                response_due_on: assignment.response_due_on,
                report,
                number,
                title,
                request,
            });
        }
        Ok((queue, waiting))
    }

    /// Records a review, made when `occurred` says; its outcome moves the
    /// assignment as the lifecycle says.
    pub async fn review(
        &self,
        ctx: &Ctx<'_, ReviewOutcomeView>,
        id: AssignmentId,
        expected_version: Option<i64>,
        draft: &ReviewDraft,
        occurred: &OccurrenceDraft,
    ) -> Result<Written<ReviewOutcomeView>> {
        self.write(ctx, async |tx| {
            let Loaded {
                mut held,
                milestones,
            } = load_whole(tx, id).await?;
            let (transition, occurrence) = authorise_fact(
                tx,
                &held.assignment,
                Command::Review(draft.outcome),
                expected_version,
                occurred,
            )?;
            let content = draft.parse()?;
            // The console, entering the record, reviews as the body that
            // made the recommendation.
            let reviewer = match tx.principal.actor() {
                Some(actor) => actor.organisation.clone(),
                None => issuer_of(tx, held.assignment.recommendation_id).await?,
            };
            let review = Review {
                id: ReviewId::from_uuid(Uuid::new_v4()),
                assignment_id: id,
                outcome: content.outcome,
                comment: content.comment,
                reviewer,
                at: tx.now,
                occurred: occurrence.clone(),
            };
            tx.insert(reviews::Model {
                id: review.id.as_uuid(),
                assignment_id: id.as_uuid(),
                outcome: wire(&review.outcome),
                comment: review.comment.as_ref().map(ToString::to_string),
                reviewer: review.reviewer.to_string(),
                at_us: micros(tx.now),
                occurred: occurrence_json(&occurrence),
            })?;
            held.assignment.apply(&transition, &occurrence);
            let assignment = held.save(tx)?;
            let event = EventDraft {
                action: Action::reviewed(review.outcome),
                entity_type: "assignment",
                entity_id: id.to_string(),
                payload: json!({ "assignment": summary(&assignment), "review": review }),
                touches: vec![
                    Touch {
                        status: (transition.to != transition.from).then_some(transition.to),
                        ..Touch::of(id.as_uuid())
                    }
                    .occurred(&occurrence),
                ],
            };
            let assignment = AssignmentRecord {
                assignment,
                milestones,
            };
            Ok((ReviewOutcomeView { review, assignment }, event))
        })
        .await
    }

    /// An assignment's reviews, oldest first.
    pub async fn reviews(&self, id: AssignmentId) -> Result<Vec<Review>> {
        reviews::Entity::find()
            .filter(reviews::Column::AssignmentId.eq(id.as_uuid()))
            .order_by_asc(reviews::Column::AtUs)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| {
                let at = from_micros(row.at_us)?;
                Ok(Review {
                    occurred: occurrence("reviews.occurred", row.occurred.as_deref(), at)?,
                    id: ReviewId::from_uuid(row.id),
                    assignment_id: id,
                    outcome: from_wire("reviews.outcome", &row.outcome)?,
                    comment: stored(
                        "reviews.comment",
                        row.comment.as_deref().map(LongText::parse).transpose(),
                    )?,
                    reviewer: stored("reviews.reviewer", OrgCode::parse(&row.reviewer))?,
                    at,
                })
            })
            .collect()
    }
}

/// The oversight body that issued the report making recommendation `id`.
async fn issuer_of(tx: &Tx<'_>, id: RecommendationId) -> Result<OrgCode> {
    let mut q = Sql::new(tx.backend());
    q.push(
        "SELECT p.issued_by FROM recommendations r JOIN reports p ON p.slug = r.report_slug WHERE r.id = ",
    );
    q.bind(id.as_uuid());
    let row = tx
        .db()
        .await?
        .query_one_raw(q.build())
        .await?
        .ok_or_else(|| Error::not_found("recommendation", id))?;
    stored(
        "reports.issued_by",
        OrgCode::parse(&row.try_get::<String>("", "issued_by")?),
    )
}
