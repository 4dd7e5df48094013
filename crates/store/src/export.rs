//! Exporting the record: every assignment as one row in the import format
//! (`docs/import.md`), so that an export imported into an empty instance
//! gives the same status report; a second table of every fact with its
//! days; and an OSCAL plan of action and milestones (`oscal`).
//!
//! What a row shows follows who asks: the published view (organisations,
//! reports, recommendations, statuses and responses, withdrawals) for
//! anyone; progress, claims, reviews, milestones and evidence only of the
//! organisations the caller may see.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use rectrack_core::assignment::AssignmentStatus;
use rectrack_core::import::COLUMNS;
use rectrack_core::occurrence::{DatePrecision, Occurrence};
use rectrack_core::organisation::OrgCode;
use rectrack_core::role::Principal;
use rectrack_core::status_render::{csv_field, looks_like_formula};
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::Store;
use crate::convert::{from_micros, from_wire, occurrence, wire};
use crate::entities::{
    assignments, audit_events, claim_evidence, claims, evidence, extension_requests, milestones,
    organisations, progress_updates, recommendation_themes, recommendations, reports, responses,
    reviews,
};
use crate::error::{Error, Result};

/// Which assignments to export; absent filters match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportFilter {
    /// Only this report's.
    pub report: Option<String>,
    /// Only this recipient's.
    pub organisation: Option<String>,
}

/// A fact, with when it was recorded and when it happened.
#[derive(Debug, Clone)]
pub struct Fact<T> {
    /// The row.
    pub row: T,
    /// When rectrack recorded it.
    pub recorded_at: DateTime<Utc>,
    /// When it happened.
    pub occurred: Occurrence,
}

/// One assignment and everything the caller may see of it.
#[derive(Debug, Clone)]
pub struct ExportedAssignment {
    /// The row.
    pub assignment: assignments::Model,
    /// Its status.
    pub status: AssignmentStatus,
    /// Whether the caller sees its token-only data.
    pub full: bool,
    /// Every response revision, oldest first.
    pub responses: Vec<Fact<responses::Model>>,
    /// Progress updates, oldest first (token-only).
    pub updates: Vec<Fact<progress_updates::Model>>,
    /// Claims with the evidence they cite, oldest first (token-only).
    pub claims: Vec<Fact<(claims::Model, Vec<Uuid>)>>,
    /// Reviews, oldest first (token-only).
    pub reviews: Vec<Fact<reviews::Model>>,
    /// Extension requests (token-only).
    pub extensions: Vec<extension_requests::Model>,
    /// The extensions granted, oldest first, each with when it was asked
    /// for and (the fact's) when it was granted (token-only).
    pub granted: Vec<(Occurrence, Fact<extension_requests::Model>)>,
    /// Milestones (token-only).
    pub milestones: Vec<milestones::Model>,
    /// Each milestone's changes of status, oldest first: the status it
    /// took, when it happened and when it was recorded (token-only).
    pub milestone_changes: HashMap<Uuid, Vec<Fact<String>>>,
    /// Evidence items (token-only).
    pub evidence: Vec<evidence::Model>,
}

/// When a recommendation's withdrawal happened, and when it was recorded.
pub type Withdrawal = (Occurrence, DateTime<Utc>);

/// The record to export.
#[derive(Debug, Clone)]
pub struct Export {
    /// When it was read.
    pub at: DateTime<Utc>,
    /// The filters applied.
    pub filter: ExportFilter,
    /// Organisations by code.
    pub organisations: BTreeMap<String, organisations::Model>,
    /// Reports by slug.
    pub reports: BTreeMap<String, reports::Model>,
    /// Recommendations by id, with their themes and, if withdrawn, when.
    pub recommendations: HashMap<Uuid, (recommendations::Model, Vec<String>, Option<Withdrawal>)>,
    /// The assignments, by report, recommendation number and recipient.
    pub assignments: Vec<ExportedAssignment>,
}

fn facts<T>(
    rows: Vec<T>,
    column: &str,
    key: impl Fn(&T) -> (Uuid, i64, Option<&str>),
) -> Result<HashMap<Uuid, Vec<Fact<T>>>> {
    let mut by = HashMap::<Uuid, Vec<Fact<T>>>::new();
    for row in rows {
        let (assignment, at_us, stored) = key(&row);
        let recorded_at = from_micros(at_us)?;
        let occurred = occurrence(column, stored, recorded_at)?;
        by.entry(assignment).or_default().push(Fact {
            row,
            recorded_at,
            occurred,
        });
    }
    for list in by.values_mut() {
        list.sort_by_key(|f| f.recorded_at);
    }
    Ok(by)
}

impl Store {
    /// Reads the record for export, as `principal` (anonymous: `None`) may
    /// see it.
    pub async fn export(
        &self,
        filter: &ExportFilter,
        principal: Option<&Principal>,
    ) -> Result<Export> {
        let at = self.clock.now();
        let sees = |organisation: &str| match principal {
            Some(Principal::Console) => true,
            Some(Principal::Token { actor, .. } | Principal::Person { actor, .. }) => {
                OrgCode::parse(organisation)
                    .map(|code| actor.sees(&code))
                    .unwrap_or(false)
            }
            None => false,
        };
        let ids = || -> SelectStatement {
            let mut q = Query::select();
            q.column(assignments::Column::Id).from(assignments::Entity);
            if let Some(organisation) = &filter.organisation {
                q.and_where(assignments::Column::Organisation.eq(organisation.as_str()));
            }
            if let Some(report) = &filter.report {
                q.and_where(
                    assignments::Column::RecommendationId.in_subquery(
                        Query::select()
                            .column(recommendations::Column::Id)
                            .from(recommendations::Entity)
                            .and_where(recommendations::Column::ReportSlug.eq(report.as_str()))
                            .take(),
                    ),
                );
            }
            q.take()
        };
        let organisations: BTreeMap<_, _> = organisations::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|o| (o.code.clone(), o))
            .collect();
        let reports: BTreeMap<_, _> = reports::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| (r.slug.clone(), r))
            .collect();
        let mut recs = recommendations::Entity::find();
        if let Some(report) = &filter.report {
            recs = recs.filter(recommendations::Column::ReportSlug.eq(report.as_str()));
        }
        let mut themes = HashMap::<Uuid, Vec<(i32, String)>>::new();
        for row in recommendation_themes::Entity::find().all(&self.db).await? {
            themes
                .entry(row.recommendation_id)
                .or_default()
                .push((row.position, row.theme));
        }
        let mut withdrawals = HashMap::new();
        for event in audit_events::Entity::find()
            .filter(audit_events::Column::Action.eq("recommendation.withdrawn"))
            .all(&self.db)
            .await?
        {
            let (_, occurred, recorded_at) = event_fact(&event)?;
            if let Ok(id) = Uuid::parse_str(&event.entity_id) {
                withdrawals.insert(id, (occurred, recorded_at));
            }
        }
        let recommendations: HashMap<_, _> = recs
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| {
                let mut list = themes.remove(&r.id).unwrap_or_default();
                list.sort();
                let withdrawn = withdrawals.remove(&r.id).filter(|_| r.withdrawn);
                (
                    r.id,
                    (r, list.into_iter().map(|(_, t)| t).collect(), withdrawn),
                )
            })
            .collect();
        let mut rows =
            assignments::Entity::find().filter(assignments::Column::Id.in_subquery(ids()));
        rows = rows.order_by_asc(assignments::Column::CreatedAtUs);
        let rows = rows.all(&self.db).await?;
        let mut responses = facts(
            responses::Entity::find()
                .filter(responses::Column::AssignmentId.in_subquery(ids()))
                .all(&self.db)
                .await?,
            "responses.occurred",
            |r| (r.assignment_id, r.submitted_at_us, r.occurred.as_deref()),
        )?;
        // A response's text goes to those who may see the recipient's data
        // whole; to everyone else, only what is published of it on the day
        // of the export (none while pending or withheld).
        let recipients: HashMap<Uuid, &str> = rows
            .iter()
            .map(|row| (row.id, row.organisation.as_str()))
            .collect();
        for (assignment, list) in &mut responses {
            if recipients.get(assignment).is_some_and(|org| sees(org)) {
                continue;
            }
            for response in list.iter_mut() {
                let publication: Option<rectrack_core::publication::Publication> = response
                    .row
                    .publication
                    .as_deref()
                    .map(serde_json::from_str)
                    .transpose()
                    .map_err(|e| Error::Corrupt(format!("responses.publication: {e}")))?;
                let public = rectrack_core::publication::public_text(
                    &response.row.rationale,
                    response.occurred.occurred_on,
                    publication.as_ref(),
                    at.date_naive(),
                )
                .text()
                .map(str::to_owned);
                response.row.rationale = public.unwrap_or_default();
            }
        }
        let mut updates = facts(
            progress_updates::Entity::find()
                .filter(progress_updates::Column::AssignmentId.in_subquery(ids()))
                .all(&self.db)
                .await?,
            "progress_updates.occurred",
            |r| (r.assignment_id, r.submitted_at_us, r.occurred.as_deref()),
        )?;
        let mut cited = HashMap::<Uuid, Vec<(i32, Uuid)>>::new();
        for row in claim_evidence::Entity::find().all(&self.db).await? {
            cited
                .entry(row.claim_id)
                .or_default()
                .push((row.position, row.evidence_id));
        }
        let claim_rows = claims::Entity::find()
            .filter(claims::Column::AssignmentId.in_subquery(ids()))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|c| {
                let mut list = cited.remove(&c.id).unwrap_or_default();
                list.sort();
                (c, list.into_iter().map(|(_, id)| id).collect::<Vec<_>>())
            })
            .collect();
        let mut claims = facts(claim_rows, "claims.occurred", |(c, _)| {
            (c.assignment_id, c.submitted_at_us, c.occurred.as_deref())
        })?;
        let mut reviews = facts(
            reviews::Entity::find()
                .filter(reviews::Column::AssignmentId.in_subquery(ids()))
                .all(&self.db)
                .await?,
            "reviews.occurred",
            |r| (r.assignment_id, r.at_us, r.occurred.as_deref()),
        )?;
        let mut extensions = HashMap::<Uuid, Vec<_>>::new();
        for row in extension_requests::Entity::find()
            .filter(extension_requests::Column::AssignmentId.in_subquery(ids()))
            .order_by_asc(extension_requests::Column::RequestedAtUs)
            .all(&self.db)
            .await?
        {
            extensions.entry(row.assignment_id).or_default().push(row);
        }
        let mut milestone_rows = HashMap::<Uuid, Vec<_>>::new();
        for row in milestones::Entity::find()
            .filter(milestones::Column::AssignmentId.in_subquery(ids()))
            .order_by_asc(milestones::Column::CreatedAtUs)
            .all(&self.db)
            .await?
        {
            milestone_rows
                .entry(row.assignment_id)
                .or_default()
                .push(row);
        }
        // A milestone's days are those of its changes, kept in their events.
        let mut milestone_changes = HashMap::<Uuid, HashMap<Uuid, Vec<Fact<String>>>>::new();
        for event in audit_events::Entity::find()
            .filter(audit_events::Column::EntityType.eq("milestone"))
            .order_by_asc(audit_events::Column::Seq)
            .all(&self.db)
            .await?
        {
            let (payload, occurred, recorded_at) = event_fact(&event)?;
            let milestone = &payload["milestone"];
            let (Some(assignment), Some(status)) = (
                milestone["assignment_id"]
                    .as_str()
                    .and_then(|s| Uuid::parse_str(s).ok()),
                milestone["status"].as_str(),
            ) else {
                return Err(Error::Corrupt(format!(
                    "audit event {} names no milestone",
                    event.seq
                )));
            };
            let list = milestone_changes
                .entry(assignment)
                .or_default()
                .entry(
                    Uuid::parse_str(&event.entity_id)
                        .map_err(|e| Error::Corrupt(format!("audit_events.entity_id: {e}")))?,
                )
                .or_default();
            // A change of title or due day alone keeps the status.
            if list.last().is_none_or(|f: &Fact<String>| f.row != status) {
                list.push(Fact {
                    row: status.to_owned(),
                    recorded_at,
                    occurred,
                });
            }
        }
        let mut evidence_rows = HashMap::<Uuid, Vec<_>>::new();
        for row in evidence::Entity::find()
            .filter(evidence::Column::AssignmentId.in_subquery(ids()))
            .order_by_asc(evidence::Column::SubmittedAtUs)
            .all(&self.db)
            .await?
        {
            evidence_rows
                .entry(row.assignment_id)
                .or_default()
                .push(row);
        }
        let mut assignments = Vec::with_capacity(rows.len());
        for row in rows {
            let full = sees(&row.organisation);
            let id = row.id;
            let status = from_wire("assignments.status", &row.status)?;
            let extensions = extensions.remove(&id).filter(|_| full).unwrap_or_default();
            let mut granted = Vec::new();
            for e in extensions.iter().filter(|e| e.status == "granted") {
                let Some(decided_at_us) = e.decided_at_us else {
                    return Err(Error::Corrupt(
                        "extension_requests: granted without a decision time".to_owned(),
                    ));
                };
                let asked = from_micros(e.requested_at_us)?;
                let asked =
                    occurrence("extension_requests.occurred", e.occurred.as_deref(), asked)?;
                let recorded_at = from_micros(decided_at_us)?;
                let occurred = occurrence(
                    "extension_requests.decision_occurred",
                    e.decision_occurred.as_deref(),
                    recorded_at,
                )?;
                granted.push((
                    asked,
                    Fact {
                        row: e.clone(),
                        recorded_at,
                        occurred,
                    },
                ));
            }
            assignments.push(ExportedAssignment {
                status,
                full,
                responses: responses.remove(&id).unwrap_or_default(),
                updates: updates.remove(&id).filter(|_| full).unwrap_or_default(),
                claims: claims.remove(&id).filter(|_| full).unwrap_or_default(),
                reviews: reviews.remove(&id).filter(|_| full).unwrap_or_default(),
                extensions,
                granted,
                milestones: milestone_rows
                    .remove(&id)
                    .filter(|_| full)
                    .unwrap_or_default(),
                milestone_changes: milestone_changes
                    .remove(&id)
                    .filter(|_| full)
                    .unwrap_or_default(),
                evidence: evidence_rows
                    .remove(&id)
                    .filter(|_| full)
                    .unwrap_or_default(),
                assignment: row,
            });
        }
        let key = |a: &ExportedAssignment| {
            let rec = recommendations.get(&a.assignment.recommendation_id);
            (
                rec.map(|(r, ..)| r.report_slug.clone()).unwrap_or_default(),
                rec.map(|(r, ..)| r.number).unwrap_or_default(),
                a.assignment.organisation.clone(),
            )
        };
        assignments.sort_by_key(key);
        Ok(Export {
            at,
            filter: filter.clone(),
            organisations,
            reports,
            recommendations,
            assignments,
        })
    }
}

/// An audit event's payload, when what it records happened, and when it
/// was recorded.
fn event_fact(
    event: &audit_events::Model,
) -> Result<(serde_json::Value, Occurrence, DateTime<Utc>)> {
    let corrupt = |e: serde_json::Error| Error::Corrupt(format!("audit_events.payload: {e}"));
    let recorded_at = from_micros(event.at_us)?;
    let payload: serde_json::Value = serde_json::from_str(&event.payload).map_err(corrupt)?;
    let occurred = match payload.get("occurred") {
        Some(value) => serde_json::from_value(value.clone()).map_err(corrupt)?,
        None => Occurrence::on(recorded_at.date_naive()),
    };
    Ok((payload, occurred, recorded_at))
}

/// The cells of a step's day, precision and source. A fact recorded as it
/// happened cites no source; where it is given `recorded_at`, the export
/// cites the record it comes from, so that it can be entered elsewhere
/// later as what it then is, a fact of the past.
fn occurred_cells(occurred: &Occurrence, recorded_at: Option<DateTime<Utc>>) -> [String; 4] {
    let precision = match occurred.occurred_on_precision {
        DatePrecision::Exact => "exact",
        DatePrecision::OnOrBefore => "on_or_before",
    };
    let (text, url) = match &occurred.source {
        Some(source) => (
            source
                .text
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            source
                .url
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        ),
        None => (
            recorded_at
                .map(|at| {
                    format!(
                        "Recorded in rectrack at {}",
                        rectrack_core::time::format_timestamp(&at)
                    )
                })
                .unwrap_or_default(),
            String::new(),
        ),
    };
    [
        occurred.occurred_on.to_string(),
        precision.to_owned(),
        text,
        url,
    ]
}

fn day(day: Option<NaiveDate>) -> String {
    day.map(|d| d.to_string()).unwrap_or_default()
}

impl Export {
    /// The header of the assignments table: the import format's columns.
    pub fn columns() -> Vec<String> {
        COLUMNS.iter().map(|c| (*c).to_owned()).collect()
    }

    /// One row per assignment, in the import format's columns. Its history
    /// columns give the path the lifecycle took to the assignment's status:
    /// the current response, the latest progress update, the claim that
    /// stands, and the final review.
    ///
    /// An organisation, report or recommendation is described (its name,
    /// title, body…) on the first row that names it only; later rows name
    /// it, as the import format allows, which keeps a large export small.
    pub fn rows(&self) -> Vec<Vec<String>> {
        let mut described = Described::default();
        let mut rows = Vec::with_capacity(self.assignments.len());
        for a in &self.assignments {
            rows.push(described.trim(self.row(a)));
            rows.extend(self.milestone_rows(a));
        }
        rows
    }

    /// Writes the assignments table as CSV, row by row.
    pub fn write_csv(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let mut described = Described::default();
        write_csv_line(out, &Self::columns())?;
        for a in &self.assignments {
            write_csv_line(out, &described.trim(self.row(a)))?;
            for row in self.milestone_rows(a) {
                write_csv_line(out, &row)?;
            }
        }
        Ok(())
    }

    /// A row for each of the assignment's milestones: what and by when (as
    /// it is now), when it was planned, started and done or dropped, with
    /// the source of its planning.
    fn milestone_rows(&self, a: &ExportedAssignment) -> Vec<Vec<String>> {
        let Some((rec, ..)) = self.recommendations.get(&a.assignment.recommendation_id) else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(a.milestones.len());
        for m in &a.milestones {
            let Some(changes) = a.milestone_changes.get(&m.id) else {
                continue;
            };
            let Some(planned) = changes.first() else {
                continue;
            };
            let day_of = |statuses: &[&str]| {
                changes
                    .iter()
                    .find(|c| statuses.contains(&c.row.as_str()))
                    .map(|c| c.occurred.occurred_on.to_string())
                    .unwrap_or_default()
            };
            let [on, precision, source, url] =
                occurred_cells(&planned.occurred, Some(planned.recorded_at));
            let mut cells: BTreeMap<&str, String> = BTreeMap::from([
                ("report", rec.report_slug.clone()),
                ("number", rec.number.to_string()),
                ("recipient", a.assignment.organisation.clone()),
                ("milestone_title", m.title.clone()),
                ("milestone_due_on", m.due_on.to_string()),
                ("milestone_status", m.status.clone()),
                ("milestone_on", on),
                ("milestone_precision", precision),
                ("milestone_source", source),
                ("milestone_source_url", url),
                ("milestone_started_on", day_of(&["in_progress"])),
                ("milestone_ended_on", day_of(&["done", "dropped"])),
            ]);
            out.push(
                COLUMNS
                    .iter()
                    .map(|c| cells.remove(c).unwrap_or_default())
                    .collect(),
            );
        }
        out
    }

    fn row(&self, a: &ExportedAssignment) -> Vec<String> {
        let mut cells: BTreeMap<&'static str, String> = BTreeMap::new();
        let mut set = |column: &'static str, value: String| {
            cells.insert(column, value);
        };
        let recipient = self.organisations.get(&a.assignment.organisation);
        set("recipient", a.assignment.organisation.clone());
        if let Some(org) = recipient {
            set("recipient_name", org.name.clone());
            set("recipient_kind", org.kind.clone());
        }
        if let Some((rec, themes, withdrawal)) =
            self.recommendations.get(&a.assignment.recommendation_id)
        {
            set("report", rec.report_slug.clone());
            set("number", rec.number.to_string());
            if let Some(report) = self.reports.get(&rec.report_slug) {
                set("report_title", report.title.clone());
                set("report_issued_by", report.issued_by.clone());
                if let Some(issuer) = self.organisations.get(&report.issued_by) {
                    set("report_issued_by_name", issuer.name.clone());
                }
                set("report_published_on", report.published_on.to_string());
                set("report_url", report.url.clone().unwrap_or_default());
                set("report_summary", report.summary.clone().unwrap_or_default());
            }
            set("title", rec.title.clone());
            set("body", rec.body.clone());
            set("themes", themes.join(";"));
            set("issued_on", rec.issued_on.to_string());
            set("response_due_on", rec.response_due_on.to_string());
            set("legal_basis", rec.legal_basis.clone());
            if let (Some(reason), Some((occurred, recorded_at))) =
                (&rec.withdrawn_reason, withdrawal)
            {
                set("withdrawal_reason", reason.clone());
                let [on, precision, source, url] = occurred_cells(occurred, Some(*recorded_at));
                set("withdrawal_on", on);
                set("withdrawal_precision", precision);
                set("withdrawal_source", source);
                set("withdrawal_source_url", url);
            }
        }
        for (group, values) in self.history(a) {
            for (suffix, value) in values {
                if let Some(column) = COLUMNS.iter().find(|c| {
                    c.strip_prefix(group).and_then(|s| s.strip_prefix('_')) == Some(suffix)
                }) {
                    set(column, value);
                }
            }
        }
        COLUMNS
            .iter()
            .map(|c| cells.remove(c).unwrap_or_default())
            .collect()
    }

    /// The history columns of an assignment, group by group.
    fn history(&self, a: &ExportedAssignment) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
        let mut groups = Vec::new();
        let with_day = |mut values: Vec<(&'static str, String)>,
                        occurred: &Occurrence,
                        recorded_at: DateTime<Utc>| {
            let [on, precision, source, url] = occurred_cells(occurred, Some(recorded_at));
            values.extend([
                ("on", on),
                ("precision", precision),
                ("source", source),
                ("source_url", url),
            ]);
            values
        };
        // Extensions granted are one: asked for when the first was, granted
        // when the last was, to the last one's due day.
        if let (Some((asked, _)), Some((_, last))) = (a.granted.first(), a.granted.last()) {
            groups.push((
                "extension",
                with_day(
                    vec![
                        ("due_on", last.row.requested_due_on.to_string()),
                        ("reason", last.row.reason.clone()),
                        ("requested_on", asked.occurred_on.to_string()),
                    ],
                    &last.occurred,
                    last.recorded_at,
                ),
            ));
        }
        if a.status == AssignmentStatus::AwaitingResponse {
            return groups;
        }
        // The first response, and the one that stands if it was revised.
        let first = a.responses.first();
        let last = a.responses.last().filter(|_| a.responses.len() > 1);
        for (group, response) in [("response", first), ("revision", last)] {
            let Some(response) = response else { continue };
            let r = &response.row;
            groups.push((
                group,
                with_day(
                    vec![
                        ("decision", r.decision.clone()),
                        ("rationale", r.rationale.clone()),
                        ("planned_completion_on", day(r.planned_completion_on)),
                    ],
                    &response.occurred,
                    response.recorded_at,
                ),
            ));
        }
        if !a.full {
            return groups;
        }
        // The latest claim and the review that decided it, unless work was
        // reported after it (it was returned, and the update says work went
        // on); the latest update before the claim.
        let update = a.updates.last();
        let claim = a
            .claims
            .last()
            .filter(|c| update.is_none_or(|u| u.recorded_at < c.recorded_at));
        if let Some(update) = update {
            groups.push((
                "progress",
                with_day(
                    vec![("narrative", update.row.narrative.clone())],
                    &update.occurred,
                    update.recorded_at,
                ),
            ));
        }
        if let Some(claim) = claim {
            let (row, cited) = &claim.row;
            let item = cited
                .first()
                .and_then(|id| a.evidence.iter().find(|e| e.id == *id));
            let (statement, link) = match item {
                Some(e) if e.kind == "link" => (String::new(), e.url.clone().unwrap_or_default()),
                Some(e) if e.kind == "statement" => {
                    (e.statement_text.clone().unwrap_or_default(), String::new())
                }
                Some(e) => (
                    format!(
                        "Document \"{}\" ({}, SHA-256 {})",
                        e.title,
                        e.filename.clone().unwrap_or_default(),
                        e.sha256.clone().unwrap_or_default()
                    ),
                    String::new(),
                ),
                None => (String::new(), String::new()),
            };
            groups.push((
                "claim",
                with_day(
                    vec![
                        ("summary", row.summary.clone()),
                        ("evidence", statement),
                        ("evidence_url", link),
                    ],
                    &claim.occurred,
                    claim.recorded_at,
                ),
            ));
        }
        let last_review = a
            .reviews
            .iter()
            .rfind(|r| r.row.outcome != "comment")
            .filter(|r| match claim {
                Some(c) => r.recorded_at > c.recorded_at,
                None => r.row.outcome == "closed_not_implemented",
            });
        if let Some(review) = last_review {
            groups.push((
                "review",
                with_day(
                    vec![
                        ("outcome", review.row.outcome.clone()),
                        ("comment", review.row.comment.clone().unwrap_or_default()),
                    ],
                    &review.occurred,
                    review.recorded_at,
                ),
            ));
        }
        groups
    }

    /// The header of the facts table.
    pub fn event_columns() -> Vec<String> {
        [
            "report",
            "number",
            "recipient",
            "fact",
            "recorded_at",
            "occurred_on",
            "occurred_on_precision",
            "backfilled",
            "text",
        ]
        .into_iter()
        .map(ToOwned::to_owned)
        .collect()
    }

    /// Every fact of every assignment the caller may see, one per row:
    /// responses, progress updates, claims and reviews with both their
    /// days, extension requests and milestones.
    pub fn event_rows(&self) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        for a in &self.assignments {
            let (report, number) = self
                .recommendations
                .get(&a.assignment.recommendation_id)
                .map(|(r, ..)| (r.report_slug.clone(), r.number.to_string()))
                .unwrap_or_default();
            let mut lines: Vec<(DateTime<Utc>, Vec<String>)> = Vec::new();
            let mut fact =
                |name: String, at: DateTime<Utc>, occurred: Option<&Occurrence>, text: String| {
                    let (on, precision, backfilled) = match occurred {
                        Some(o) => (
                            o.occurred_on.to_string(),
                            occurred_cells(o, None)[1].clone(),
                            o.is_backfill(at.date_naive()).to_string(),
                        ),
                        None => (
                            at.date_naive().to_string(),
                            "exact".to_owned(),
                            "false".to_owned(),
                        ),
                    };
                    lines.push((
                        at,
                        vec![
                            report.clone(),
                            number.clone(),
                            a.assignment.organisation.clone(),
                            name,
                            rectrack_core::time::format_timestamp(&at),
                            on,
                            precision,
                            backfilled,
                            text,
                        ],
                    ));
                };
            for (i, r) in a.responses.iter().enumerate() {
                let name = if i == 0 {
                    "response"
                } else {
                    "response revised"
                };
                fact(
                    format!("{name}: {}", r.row.decision),
                    r.recorded_at,
                    Some(&r.occurred),
                    r.row.rationale.clone(),
                );
            }
            for u in &a.updates {
                fact(
                    "progress update".to_owned(),
                    u.recorded_at,
                    Some(&u.occurred),
                    u.row.narrative.clone(),
                );
            }
            for c in &a.claims {
                fact(
                    "implementation claimed".to_owned(),
                    c.recorded_at,
                    Some(&c.occurred),
                    c.row.0.summary.clone(),
                );
            }
            for r in &a.reviews {
                fact(
                    format!("review: {}", r.row.outcome),
                    r.recorded_at,
                    Some(&r.occurred),
                    r.row.comment.clone().unwrap_or_default(),
                );
            }
            for e in &a.extensions {
                if let Ok(at) = from_micros(e.requested_at_us) {
                    fact(
                        format!(
                            "extension requested to {}: {}",
                            e.requested_due_on, e.status
                        ),
                        at,
                        None,
                        e.reason.clone(),
                    );
                }
            }
            for m in &a.milestones {
                if let Ok(at) = from_micros(m.created_at_us) {
                    fact(
                        format!("milestone due {}: {}", m.due_on, m.status),
                        at,
                        None,
                        m.title.clone(),
                    );
                }
            }
            lines.sort_by_key(|(at, _)| *at);
            out.extend(lines.into_iter().map(|(_, cells)| cells));
        }
        out
    }
}

/// The organisations, reports and recommendations already described on an
/// earlier row of an export.
#[derive(Default)]
struct Described {
    seen: std::collections::HashSet<(usize, String)>,
}

/// The columns that describe each thing a row names, by the column that
/// names it.
const DESCRIBING: [(&str, &[&str]); 4] = [
    ("recipient", &["recipient_name", "recipient_kind"]),
    ("report_issued_by", &["report_issued_by_name"]),
    (
        "report",
        &[
            "report_title",
            "report_issued_by",
            "report_published_on",
            "report_url",
            "report_summary",
        ],
    ),
    (
        "number",
        &[
            "title",
            "body",
            "themes",
            "issued_on",
            "response_due_on",
            "legal_basis",
        ],
    ),
];

impl Described {
    /// Blanks the describing cells of what an earlier row described.
    fn trim(&mut self, mut row: Vec<String>) -> Vec<String> {
        let index = |name: &str| COLUMNS.iter().position(|c| *c == name);
        for (i, (key, columns)) in DESCRIBING.iter().enumerate() {
            let Some(k) = index(key) else { continue };
            // A recommendation is named by its report and number.
            let name = if *key == "number" {
                format!("{}/{}", row[0], row[k])
            } else {
                row[k].clone()
            };
            if name.is_empty() {
                continue;
            }
            if !self.seen.insert((i, name)) {
                for column in *columns {
                    if let Some(c) = index(column) {
                        row[c].clear();
                    }
                }
            }
        }
        row
    }
}

fn write_csv_line(out: &mut impl std::io::Write, cells: &[String]) -> std::io::Result<()> {
    let line: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
    out.write_all(line.join(",").as_bytes())?;
    out.write_all(b"\r\n")
}

/// A table as RFC 4180 CSV in UTF-8, lines ending CRLF, cells a spreadsheet
/// would read as formulas neutralised with a leading `'`.
pub fn to_csv(columns: &[String], rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    for cells in std::iter::once(columns).chain(rows.iter().map(Vec::as_slice)) {
        let line: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Neutralises a cell a spreadsheet would read as a formula, as
/// [`csv_field`] does.
fn neutralised(cell: &str) -> String {
    if looks_like_formula(cell) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

/// A sheet to write: its name, header and rows.
pub type Sheet<'a> = (&'a str, Vec<String>, Vec<Vec<String>>);

/// Tables as the sheets of an XLSX workbook, every cell a string (never a
/// formula), formula-looking ones neutralised with a leading `'`.
pub fn to_xlsx(sheets: &[Sheet<'_>]) -> Result<Vec<u8>> {
    let failed = |e: rust_xlsxwriter::XlsxError| Error::Corrupt(format!("writing XLSX: {e}"));
    let mut workbook = rust_xlsxwriter::Workbook::new();
    for (name, columns, rows) in sheets {
        let sheet = workbook.add_worksheet();
        sheet.set_name(*name).map_err(failed)?;
        for (r, cells) in std::iter::once(columns).chain(rows.iter()).enumerate() {
            let r = u32::try_from(r).map_err(|_| Error::Corrupt("too many rows".to_owned()))?;
            for (c, cell) in cells.iter().enumerate() {
                if cell.is_empty() {
                    continue;
                }
                let c =
                    u16::try_from(c).map_err(|_| Error::Corrupt("too many columns".to_owned()))?;
                sheet
                    .write_string(r, c, neutralised(cell))
                    .map_err(failed)?;
            }
        }
    }
    workbook.save_to_buffer().map_err(failed)
}

/// The wire name of a status, for tables.
pub fn status_name(status: AssignmentStatus) -> String {
    wire(&status)
}

/// The namespace of rectrack's own properties in OSCAL documents.
pub const OSCAL_NS: &str = "https://rectrack.invalid/ns/oscal";

/// The OSCAL version the POA&M is written to.
pub const OSCAL_VERSION: &str = "1.1.3";

/// A stable id for something derived from `id` (a risk from an assignment).
fn derived(id: Uuid, what: &str) -> String {
    Uuid::new_v5(&id, what.as_bytes()).to_string()
}

/// A one-line title, as OSCAL titles are.
fn line(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.is_empty() {
        "-".to_owned()
    } else {
        joined
    }
}

/// Midnight UTC of a day, as OSCAL's date-times are.
fn midnight(day: NaiveDate) -> String {
    format!("{day}T00:00:00Z")
}

fn prop(name: &str, value: &str) -> serde_json::Value {
    serde_json::json!({ "name": name, "ns": OSCAL_NS, "value": line(value) })
}

impl Export {
    /// The record as an OSCAL plan of action and milestones: recommendations
    /// as findings, each assignment a POA&M item with a risk whose deadline
    /// is its response due day, milestones as the risk's remediation tasks,
    /// responses, progress, claims and reviews as risk-log entries, evidence
    /// as observations whose relevant evidence points into the back matter
    /// (documents with their SHA-256). What only rectrack knows (the
    /// 56-day clock, statuses, decisions, when facts were recorded and
    /// whether they were backfilled) is in properties of the `OSCAL_NS`
    /// namespace. `None` when no assignment matches: a POA&M has at least
    /// one item.
    pub fn oscal_poam(&self) -> Option<serde_json::Value> {
        use serde_json::{Value, json};
        if self.assignments.is_empty() {
            return None;
        }
        let at = rectrack_core::time::format_timestamp(&self.at);
        let mut findings = Vec::new();
        let mut risks = Vec::new();
        let mut items = Vec::new();
        let mut observations = Vec::new();
        let mut resources = Vec::new();
        let mut seen_recommendations = std::collections::BTreeSet::new();
        for a in &self.assignments {
            let Some((rec, themes, _)) = self.recommendations.get(&a.assignment.recommendation_id)
            else {
                continue;
            };
            let id = a.assignment.id;
            let org = &a.assignment.organisation;
            let status = status_name(a.status);
            if seen_recommendations.insert(rec.id) {
                let recipients: Vec<&ExportedAssignment> = self
                    .assignments
                    .iter()
                    .filter(|x| x.assignment.recommendation_id == rec.id)
                    .collect();
                let satisfied = recipients
                    .iter()
                    .all(|x| x.status == AssignmentStatus::Verified);
                let mut props = vec![
                    prop("report", &rec.report_slug),
                    prop("number", &rec.number.to_string()),
                    prop("legal-basis", &rec.legal_basis),
                    prop("issued-on", &rec.issued_on.to_string()),
                ];
                props.extend(themes.iter().map(|t| prop("theme", t)));
                findings.push(json!({
                    "uuid": rec.id.to_string(),
                    "title": line(&format!("Recommendation {} of {}: {}", rec.number, rec.report_slug, rec.title)),
                    "description": rec.body,
                    "props": props,
                    "target": {
                        "type": "objective-id",
                        "target-id": format!("{}-{}", rec.report_slug, rec.number),
                        "status": { "state": if satisfied { "satisfied" } else { "not-satisfied" } },
                    },
                    "related-risks": recipients.iter().map(|x| json!({ "risk-uuid": derived(x.assignment.id, "risk") })).collect::<Vec<_>>(),
                }));
            }
            // The risk log: every fact, in the order it happened.
            let mut entries: Vec<(NaiveDate, Value)> = Vec::new();
            let mut entry = |title: String,
                             description: String,
                             occurred: &Occurrence,
                             recorded_at: DateTime<Utc>,
                             fact: Uuid| {
                let mut props = vec![
                    prop(
                        "recorded-at",
                        &rectrack_core::time::format_timestamp(&recorded_at),
                    ),
                    prop("occurred-on-precision", &occurred_cells(occurred, None)[1]),
                    prop(
                        "backfilled",
                        &occurred.is_backfill(recorded_at.date_naive()).to_string(),
                    ),
                ];
                if let Some(source) = &occurred.source {
                    if let Some(text) = &source.text {
                        props.push(prop("source", &text.to_string()));
                    }
                    if let Some(url) = &source.url {
                        props.push(prop("source-url", url.as_ref()));
                    }
                }
                let mut value = json!({
                    "uuid": derived(fact, "risk-log-entry"),
                    "title": line(&title),
                    "start": midnight(occurred.occurred_on),
                    "props": props,
                });
                if !description.trim().is_empty() {
                    value["description"] = Value::String(description);
                }
                entries.push((occurred.occurred_on, value));
            };
            for r in &a.responses {
                entry(
                    format!("Response: {}", r.row.decision),
                    r.row.rationale.clone(),
                    &r.occurred,
                    r.recorded_at,
                    r.row.id,
                );
            }
            for u in &a.updates {
                entry(
                    "Progress update".to_owned(),
                    u.row.narrative.clone(),
                    &u.occurred,
                    u.recorded_at,
                    u.row.id,
                );
            }
            for c in &a.claims {
                entry(
                    "Implementation claimed".to_owned(),
                    c.row.0.summary.clone(),
                    &c.occurred,
                    c.recorded_at,
                    c.row.0.id,
                );
            }
            for r in &a.reviews {
                entry(
                    format!("Review: {}", r.row.outcome),
                    r.row.comment.clone().unwrap_or_default(),
                    &r.occurred,
                    r.recorded_at,
                    r.row.id,
                );
            }
            entries.sort_by_key(|(day, _)| *day);
            let risk_status = match a.status {
                AssignmentStatus::Verified
                | AssignmentStatus::ClosedNotImplemented
                | AssignmentStatus::Withdrawn => "closed",
                AssignmentStatus::AwaitingResponse => "open",
                AssignmentStatus::NotAccepted => "deviation-requested",
                AssignmentStatus::ImplementationClaimed => "investigating",
                AssignmentStatus::Accepted
                | AssignmentStatus::PartiallyAccepted
                | AssignmentStatus::InProgress => "remediating",
            };
            let mut risk = json!({
                "uuid": derived(id, "risk"),
                "title": line(&format!("{org}: recommendation {} of {}", rec.number, rec.report_slug)),
                "description": format!("Whether {org} implements recommendation {} of {}: {}", rec.number, rec.report_slug, line(&rec.title)),
                "statement": rec.body,
                "status": risk_status,
                "deadline": midnight(a.assignment.response_due_on),
                "props": [
                    prop("status", &status),
                    prop("response-due-on", &a.assignment.response_due_on.to_string()),
                    prop("initial-response-due-on", &a.assignment.initial_due_on.to_string()),
                    prop("response-clock-days", "56"),
                ],
            });
            if !a.milestones.is_empty() {
                risk["remediations"] = json!([{
                    "uuid": derived(id, "remediation"),
                    "lifecycle": "planned",
                    "title": line(&format!("{org}'s plan for recommendation {}", rec.number)),
                    "description": "The milestones the recipient planned.",
                    "tasks": a.milestones.iter().map(|m| json!({
                        "uuid": m.id.to_string(),
                        "type": "milestone",
                        "title": line(&m.title),
                        "props": [prop("status", &m.status)],
                        "timing": { "on-date": { "date": midnight(m.due_on) } },
                    })).collect::<Vec<_>>(),
                }]);
            }
            if !entries.is_empty() {
                risk["risk-log"] =
                    json!({ "entries": entries.into_iter().map(|(_, e)| e).collect::<Vec<_>>() });
            }
            let mut related_observations = Vec::new();
            for e in &a.evidence {
                let observation = derived(e.id, "observation");
                related_observations.push(json!({ "observation-uuid": observation }));
                let recorded = from_micros(e.submitted_at_us)
                    .map(|t| rectrack_core::time::format_timestamp(&t))
                    .unwrap_or_else(|_| at.clone());
                observations.push(json!({
                    "uuid": observation,
                    "title": line(&e.title),
                    "description": e.description.clone().unwrap_or_else(|| format!("Evidence {org} gave for recommendation {} of {}.", rec.number, rec.report_slug)),
                    "methods": ["EXAMINE"],
                    "collected": recorded,
                    "relevant-evidence": [{
                        "href": format!("#{}", e.id),
                        "description": line(&e.title),
                    }],
                }));
                let mut resource = json!({
                    "uuid": e.id.to_string(),
                    "title": line(&e.title),
                    "props": [prop("kind", &e.kind)],
                });
                match e.kind.as_str() {
                    "document" => {
                        let mut rlink = json!({ "href": format!("/v1/evidence/{}/content", e.id) });
                        if let Some(media) = &e.media_type {
                            rlink["media-type"] = Value::String(media.clone());
                        }
                        if let Some(hash) = &e.sha256 {
                            rlink["hashes"] = json!([{ "algorithm": "SHA-256", "value": hash }]);
                        }
                        resource["rlinks"] = json!([rlink]);
                    }
                    "link" => {
                        resource["rlinks"] = json!([{ "href": e.url.clone().unwrap_or_default() }]);
                    }
                    _ => {
                        resource["description"] =
                            Value::String(e.statement_text.clone().unwrap_or_default());
                    }
                }
                resources.push(resource);
            }
            if !related_observations.is_empty() {
                risk["related-observations"] = Value::Array(related_observations.clone());
            }
            risks.push(risk);
            let mut item = json!({
                "uuid": id.to_string(),
                "title": line(&format!("{org}: {}", rec.title)),
                "description": format!("Recommendation {} of {}, to {org}, issued {}.", rec.number, rec.report_slug, rec.issued_on),
                "props": [
                    prop("status", &status),
                    prop("organisation", org),
                ],
                "related-findings": [{ "finding-uuid": rec.id.to_string() }],
                "related-risks": [{ "risk-uuid": derived(id, "risk") }],
            });
            if !related_observations.is_empty() {
                item["related-observations"] = Value::Array(related_observations);
            }
            items.push(item);
        }
        let parties: Vec<Value> = self
            .organisations
            .values()
            .map(|o| {
                json!({
                    "uuid": derived(Uuid::nil(), &format!("organisation:{}", o.code)),
                    "type": "organization",
                    "name": line(&o.name),
                    "short-name": o.code,
                    "props": [prop("kind", &o.kind)],
                })
            })
            .collect();
        let mut title = "rectrack: recommendations and their implementation".to_owned();
        if let Some(report) = &self.filter.report {
            title.push_str(&format!(", report {report}"));
        }
        if let Some(organisation) = &self.filter.organisation {
            title.push_str(&format!(", to {organisation}"));
        }
        let mut poam = json!({
            "uuid": Uuid::new_v4().to_string(),
            "metadata": {
                "title": title,
                "last-modified": at,
                "version": at,
                "oscal-version": OSCAL_VERSION,
                "parties": parties,
            },
            "poam-items": items,
            "findings": findings,
            "risks": risks,
        });
        if !observations.is_empty() {
            poam["observations"] = Value::Array(observations);
        }
        if !resources.is_empty() {
            poam["back-matter"] = json!({ "resources": resources });
        }
        Some(json!({ "plan-of-action-and-milestones": poam }))
    }
}
