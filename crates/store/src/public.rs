//! Reads of the published record for pages anyone may read: a report's
//! recommendations with their assignments, an organisation's assignments,
//! the published history of assignments and the latest published changes.
//!
//! Each read costs a fixed number of queries whatever the number of rows
//! (never one per recommendation or per assignment), and returns only what
//! core's published view holds (`rectrack_core::public`): no progress
//! update, milestone, evidence or extension reason.

use std::collections::HashMap;

use chrono::NaiveDate;
use rectrack_core::audit::Action;
use rectrack_core::deadline::ExtensionStatus;
use rectrack_core::ids::{AssignmentId, RecommendationId};
use rectrack_core::public::{PublicEntry, PublicFact, in_order_of_occurrence};
use rectrack_core::publication::{Publication, public_text};
use rectrack_core::report::Report;
use rectrack_core::status_report::{Figures, Tally};
use rectrack_core::text::Title;
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::Store;
use crate::assignments::{AssignmentRecord, records};
use crate::convert::{from_micros, from_wire, occurrence};
use crate::entities::{
    assignments, audit_events, claims, extension_requests, organisations, recommendations,
    responses, reviews,
};
use crate::error::{Error, Result, stored};
use crate::page::PageRequest;
use crate::recommendations::{RecommendationView, views};
use crate::sql::Sql;

/// Whose changes to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeScope {
    /// Only this report's.
    pub report: Option<String>,
    /// Only this recipient's.
    pub organisation: Option<String>,
}

/// A published change, with what it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicChange {
    /// The change.
    pub entry: PublicEntry,
    /// The recommendation it concerns.
    pub recommendation_id: RecommendationId,
    /// That recommendation's report.
    pub report: String,
    /// Its number in the report.
    pub number: u32,
    /// Its title.
    pub title: Title,
    /// The recipient whose assignment changed.
    pub organisation: String,
}

/// One of an organisation's assignments, with the recommendation it tracks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganisationLine {
    /// The recommendation's id.
    pub recommendation_id: RecommendationId,
    /// Its report.
    pub report: String,
    /// Its number.
    pub number: u32,
    /// Its title.
    pub title: Title,
    /// The assignment.
    pub record: AssignmentRecord,
}

impl Store {
    /// Every organisation's name, by code: one query.
    pub async fn organisation_names(&self) -> Result<HashMap<String, String>> {
        Ok(organisations::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| (row.code, row.name))
            .collect())
    }

    /// Every theme any recommendation has, in order: one query.
    pub async fn themes(&self) -> Result<Vec<String>> {
        let mut q = Sql::new(self.backend);
        q.push("SELECT DISTINCT theme FROM recommendation_themes ORDER BY theme");
        self.db
            .query_all_raw(q.build())
            .await?
            .iter()
            .map(|row| row.try_get::<String>("", "theme").map_err(Into::into))
            .collect()
    }

    /// Every report, in slug order, with how many recommendations it makes:
    /// two queries.
    pub async fn reports_with_counts(&self) -> Result<Vec<(Report, u64)>> {
        let mut q = Sql::new(self.backend);
        q.push(&format!(
            "SELECT report_slug, CAST(COUNT(*) AS {}) AS n FROM recommendations GROUP BY report_slug",
            q.int64_type()
        ));
        let mut counts: HashMap<String, u64> = HashMap::new();
        for row in self.db.query_all_raw(q.build()).await? {
            let slug: String = row.try_get("", "report_slug")?;
            let n: i64 = row.try_get("", "n")?;
            let n = u64::try_from(n).map_err(|_| Error::Corrupt("recommendations".to_owned()))?;
            counts.insert(slug, n);
        }
        let mut reports = Vec::new();
        let mut page = PageRequest::first(500);
        loop {
            let listed = self.reports(&page).await?;
            for report in listed.items {
                let n = counts
                    .get(report.slug.as_str())
                    .copied()
                    .unwrap_or_default();
                reports.push((report, n));
            }
            match listed.next {
                Some(after) => page.after = Some(after),
                None => break,
            }
        }
        Ok(reports)
    }

    /// The live figures of each report in `slugs` on `today`, counted by
    /// core's rules (`Tally::add_current`, as the live status report counts
    /// them): four queries however many reports and assignments.
    pub async fn report_figures(
        &self,
        slugs: &[String],
        today: NaiveDate,
    ) -> Result<HashMap<String, Figures>> {
        let recommended = recommendations::Entity::find()
            .filter(recommendations::Column::ReportSlug.is_in(slugs.to_vec()))
            .all(&self.db)
            .await?;
        let report_of: HashMap<Uuid, String> = recommended
            .into_iter()
            .map(|r| (r.id, r.report_slug))
            .collect();
        let ids: Vec<Uuid> = report_of.keys().copied().collect();
        let mut tallies: HashMap<String, Tally> = slugs
            .iter()
            .map(|slug| (slug.clone(), Tally::default()))
            .collect();
        for chunk in ids.chunks(IN_LIST) {
            let rows = assignments::Entity::find()
                .filter(assignments::Column::RecommendationId.is_in(chunk.to_vec()))
                .all(&self.db)
                .await?;
            for record in records(&self.db, rows).await? {
                let slug = report_of
                    .get(&record.assignment.recommendation_id.as_uuid())
                    .ok_or_else(|| Error::Corrupt("assignments.recommendation_id".to_owned()))?;
                if let Some(tally) = tallies.get_mut(slug) {
                    tally.add_current(&record.assignment, record.milestones.iter().copied(), today);
                }
            }
        }
        Ok(tallies
            .into_iter()
            .map(|(slug, tally)| (slug, tally.figures()))
            .collect())
    }

    /// Every recommendation of report `slug`, in number order, with its
    /// assignments: four queries in all.
    pub async fn report_recommendations(&self, slug: &str) -> Result<Vec<RecommendationView>> {
        let rows = recommendations::Entity::find()
            .filter(recommendations::Column::ReportSlug.eq(slug))
            .order_by_asc(recommendations::Column::Number)
            .all(&self.db)
            .await?;
        views(&self.db, rows).await
    }

    /// Every assignment of `organisation`, with the recommendation each
    /// tracks, by report and number: four queries in all.
    pub async fn organisation_assignments(
        &self,
        organisation: &str,
    ) -> Result<Vec<OrganisationLine>> {
        let rows = assignments::Entity::find()
            .filter(assignments::Column::Organisation.eq(organisation))
            .all(&self.db)
            .await?;
        let ids: Vec<Uuid> = rows.iter().map(|row| row.recommendation_id).collect();
        let mut recommended: HashMap<Uuid, recommendations::Model> = HashMap::new();
        for chunk in ids.chunks(IN_LIST) {
            for row in recommendations::Entity::find()
                .filter(recommendations::Column::Id.is_in(chunk.to_vec()))
                .all(&self.db)
                .await?
            {
                recommended.insert(row.id, row);
            }
        }
        let mut lines = Vec::with_capacity(rows.len());
        for record in records(&self.db, rows).await? {
            let uuid = record.assignment.recommendation_id.as_uuid();
            let row = recommended
                .get(&uuid)
                .ok_or_else(|| Error::Corrupt("assignments.recommendation_id".to_owned()))?;
            lines.push(OrganisationLine {
                recommendation_id: record.assignment.recommendation_id,
                report: row.report_slug.clone(),
                number: u32::try_from(row.number)
                    .map_err(|_| Error::Corrupt("recommendations.number".to_owned()))?,
                title: stored("recommendations.title", Title::parse(&row.title))?,
                record,
            });
        }
        lines.sort_by(|a, b| (&a.report, a.number).cmp(&(&b.report, b.number)));
        Ok(lines)
    }

    /// The published history of the assignments `ids` as the public reads
    /// it on `today`, in the order it happened: five queries in all.
    pub async fn public_history(
        &self,
        ids: &[AssignmentId],
        today: NaiveDate,
    ) -> Result<Vec<PublicEntry>> {
        let uuids: Vec<Uuid> = ids.iter().map(|id| id.as_uuid()).collect();
        let mut entries = Vec::new();
        for chunk in uuids.chunks(IN_LIST) {
            let scope = || {
                Query::select()
                    .column(assignments::Column::Id)
                    .from(assignments::Entity)
                    .and_where(assignments::Column::Id.is_in(chunk.to_vec()))
                    .take()
            };
            entries.extend(self.published(Some(scope), None, today).await?);
        }
        entries.extend(
            self.withdrawals(None)
                .await?
                .into_iter()
                .flat_map(|w| w.entries)
                .filter(|entry| ids.contains(&entry.assignment_id)),
        );
        in_order_of_occurrence(&mut entries);
        Ok(entries)
    }

    /// The latest `limit` published changes in `scope` as the public reads
    /// them on `today`, newest recorded first: a query per kind of change
    /// and two for what they concern.
    pub async fn public_changes(
        &self,
        scope: &ChangeScope,
        limit: u64,
        today: NaiveDate,
    ) -> Result<Vec<PublicChange>> {
        let assignments_in_scope = || {
            let mut query = Query::select();
            query
                .column(assignments::Column::Id)
                .from(assignments::Entity);
            if let Some(organisation) = &scope.organisation {
                query.and_where(assignments::Column::Organisation.eq(organisation.as_str()));
            }
            if let Some(report) = &scope.report {
                query.and_where(
                    assignments::Column::RecommendationId.in_subquery(
                        Query::select()
                            .column(recommendations::Column::Id)
                            .from(recommendations::Entity)
                            .and_where(recommendations::Column::ReportSlug.eq(report.as_str()))
                            .take(),
                    ),
                );
            }
            query.take()
        };
        let scoped = scope.report.is_some() || scope.organisation.is_some();
        let mut entries = self
            .published(scoped.then_some(assignments_in_scope), Some(limit), today)
            .await?;
        for withdrawal in self.withdrawals(Some(limit)).await? {
            entries.extend(withdrawal.entries);
        }
        entries.sort_by_key(|e| std::cmp::Reverse(e.recorded_at));
        // Withdrawals were read whatever their scope; the rest is filtered
        // when the assignments are read below.
        let ids: Vec<Uuid> = entries.iter().map(|e| e.assignment_id.as_uuid()).collect();
        let mut assigned: HashMap<Uuid, assignments::Model> = HashMap::new();
        for chunk in ids.chunks(IN_LIST) {
            for row in assignments::Entity::find()
                .filter(assignments::Column::Id.is_in(chunk.to_vec()))
                .all(&self.db)
                .await?
            {
                assigned.insert(row.id, row);
            }
        }
        let recommendation_ids: Vec<Uuid> =
            assigned.values().map(|a| a.recommendation_id).collect();
        let mut recommended: HashMap<Uuid, recommendations::Model> = HashMap::new();
        for chunk in recommendation_ids.chunks(IN_LIST) {
            for row in recommendations::Entity::find()
                .filter(recommendations::Column::Id.is_in(chunk.to_vec()))
                .all(&self.db)
                .await?
            {
                recommended.insert(row.id, row);
            }
        }
        let mut changes = Vec::new();
        for entry in entries {
            let Some(assignment) = assigned.get(&entry.assignment_id.as_uuid()) else {
                continue;
            };
            let recommendation = recommended
                .get(&assignment.recommendation_id)
                .ok_or_else(|| Error::Corrupt("assignments.recommendation_id".to_owned()))?;
            let in_scope = scope
                .organisation
                .as_ref()
                .is_none_or(|o| *o == assignment.organisation)
                && scope
                    .report
                    .as_ref()
                    .is_none_or(|r| *r == recommendation.report_slug);
            if !in_scope {
                continue;
            }
            changes.push(PublicChange {
                recommendation_id: RecommendationId::from_uuid(recommendation.id),
                report: recommendation.report_slug.clone(),
                number: u32::try_from(recommendation.number)
                    .map_err(|_| Error::Corrupt("recommendations.number".to_owned()))?,
                title: stored("recommendations.title", Title::parse(&recommendation.title))?,
                organisation: assignment.organisation.clone(),
                entry,
            });
            if changes.len() as u64 >= limit {
                break;
            }
        }
        Ok(changes)
    }

    /// The responses, extension decisions, claims and reviews of the
    /// assignments `scope` selects (every assignment without one), responses' texts as the public reads them
    /// on `today`; with `latest`, only that many of each kind, most recently
    /// recorded first.
    async fn published(
        &self,
        scope: Option<impl Fn() -> SelectStatement>,
        latest: Option<u64>,
        today: NaiveDate,
    ) -> Result<Vec<PublicEntry>> {
        let mut entries = Vec::new();
        // Without a scope every assignment counts: no filter, so that the
        // latest of each kind is read backwards from an index on its time.
        let mut responses =
            responses::Entity::find().order_by_desc(responses::Column::SubmittedAtUs);
        let mut decisions = extension_requests::Entity::find()
            .filter(extension_requests::Column::DecidedAtUs.is_not_null())
            .order_by_desc(extension_requests::Column::DecidedAtUs);
        let mut claims = claims::Entity::find().order_by_desc(claims::Column::SubmittedAtUs);
        let mut reviews = reviews::Entity::find().order_by_desc(reviews::Column::AtUs);
        if let Some(scope) = scope {
            responses = responses.filter(responses::Column::AssignmentId.in_subquery(scope()));
            decisions =
                decisions.filter(extension_requests::Column::AssignmentId.in_subquery(scope()));
            claims = claims.filter(claims::Column::AssignmentId.in_subquery(scope()));
            reviews = reviews.filter(reviews::Column::AssignmentId.in_subquery(scope()));
        }
        if let Some(limit) = latest {
            responses = responses.limit(limit);
            decisions = decisions.limit(limit);
            claims = claims.limit(limit);
            reviews = reviews.limit(limit);
        }
        for row in responses.all(&self.db).await? {
            let recorded_at = from_micros(row.submitted_at_us)?;
            let occurred = occurrence("responses.occurred", row.occurred.as_deref(), recorded_at)?;
            let publication: Option<Publication> = row
                .publication
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|e| Error::Corrupt(format!("responses.publication: {e}")))?;
            entries.push(PublicEntry {
                assignment_id: AssignmentId::from_uuid(row.assignment_id),
                recorded_at,
                occurred: occurred.clone(),
                fact: PublicFact::Response {
                    revision: u32::try_from(row.revision)
                        .map_err(|_| Error::Corrupt("responses.revision".to_owned()))?,
                    decision: from_wire("responses.decision", &row.decision)?,
                    text: public_text(
                        &row.rationale,
                        occurred.occurred_on,
                        publication.as_ref(),
                        today,
                    )
                    .into(),
                    planned_completion_on: row.planned_completion_on,
                },
            });
        }
        for row in decisions.all(&self.db).await? {
            let Some(decided_at_us) = row.decided_at_us else {
                continue;
            };
            let recorded_at = from_micros(decided_at_us)?;
            let status: ExtensionStatus = from_wire("extension_requests.status", &row.status)?;
            entries.push(PublicEntry {
                assignment_id: AssignmentId::from_uuid(row.assignment_id),
                recorded_at,
                occurred: occurrence(
                    "extension_requests.decision_occurred",
                    row.decision_occurred.as_deref(),
                    recorded_at,
                )?,
                fact: PublicFact::ExtensionDecided {
                    granted: status == ExtensionStatus::Granted,
                    requested_due_on: row.requested_due_on,
                    comment: row.decision_comment,
                },
            });
        }
        for row in claims.all(&self.db).await? {
            let recorded_at = from_micros(row.submitted_at_us)?;
            entries.push(PublicEntry {
                assignment_id: AssignmentId::from_uuid(row.assignment_id),
                recorded_at,
                occurred: occurrence("claims.occurred", row.occurred.as_deref(), recorded_at)?,
                fact: PublicFact::Claim {
                    summary: row.summary,
                },
            });
        }
        for row in reviews.all(&self.db).await? {
            let recorded_at = from_micros(row.at_us)?;
            entries.push(PublicEntry {
                assignment_id: AssignmentId::from_uuid(row.assignment_id),
                recorded_at,
                occurred: occurrence("reviews.occurred", row.occurred.as_deref(), recorded_at)?,
                fact: PublicFact::Review {
                    outcome: from_wire("reviews.outcome", &row.outcome)?,
                    comment: row.comment,
                },
            });
        }
        Ok(entries)
    }

    /// Withdrawals of recommendations, from the audit chain (where their
    /// reason and day are kept), newest first; with `latest`, only that many.
    async fn withdrawals(&self, latest: Option<u64>) -> Result<Vec<Withdrawal>> {
        let mut query = audit_events::Entity::find()
            .filter(audit_events::Column::Action.eq(Action::RecommendationWithdrawn.as_str()))
            .order_by_desc(audit_events::Column::Seq);
        if let Some(limit) = latest {
            query = query.limit(limit);
        }
        let mut withdrawals = Vec::new();
        for event in query.all(&self.db).await? {
            let recorded_at = from_micros(event.at_us)?;
            let payload: serde_json::Value = serde_json::from_str(&event.payload)
                .map_err(|e| Error::Corrupt(format!("audit_events.payload: {e}")))?;
            let occurred = match payload.get("occurred") {
                Some(value) if !value.is_null() => serde_json::from_value(value.clone())
                    .map_err(|e| Error::Corrupt(format!("audit_events.payload.occurred: {e}")))?,
                _ => rectrack_core::occurrence::Occurrence::on(recorded_at.date_naive()),
            };
            let reason = payload
                .get("reason")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned);
            let assignments = payload
                .get("assignments")
                .and_then(serde_json::Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let entries = assignments
                .iter()
                .filter_map(|a| {
                    a.as_str()
                        .or_else(|| a.get("id").and_then(|id| id.as_str()))
                })
                .filter_map(|id| Uuid::parse_str(id).ok())
                .map(|id| PublicEntry {
                    assignment_id: AssignmentId::from_uuid(id),
                    recorded_at,
                    occurred: occurred.clone(),
                    fact: PublicFact::Withdrawal {
                        reason: reason.clone(),
                    },
                })
                .collect();
            withdrawals.push(Withdrawal { entries });
        }
        Ok(withdrawals)
    }
}

/// One withdrawal: an entry per assignment it closed.
struct Withdrawal {
    entries: Vec<PublicEntry>,
}

/// Ids bound in one `IN (…)` list, well inside every backend's limit on
/// bound values.
const IN_LIST: usize = 1000;
