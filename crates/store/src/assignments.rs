//! Assignments: reading them, and the helpers every assignment command
//! shares — load under the chain lock, ask the lifecycle, check the expected
//! version, apply the move and bump the version.

use std::collections::HashMap;

use chrono::NaiveDate;
use rectrack_core::assignment::{Assignment, AssignmentStatus};
use rectrack_core::error::Refusal;
use rectrack_core::ids::{AssignmentId, RecommendationId};
use rectrack_core::lifecycle::{self, Command, Transition};
use rectrack_core::milestone::MilestoneStatus;
use rectrack_core::organisation::OrgCode;
use rectrack_core::response::{Response, ResponseContent, ResponseDraft};
use rectrack_core::text::LongText;
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use crate::Store;
use crate::convert::{day_number, from_micros, from_wire, micros, wire};
use crate::entities::{assignments, milestones, recommendations, responses};
use crate::error::{Error, Result, stored};
use crate::page::{Page, PageRequest, parse_time_id_key, time_id_key};
use crate::sql::Sql;
use crate::write::{Ctx, EventDraft, Touch, Tx, Written};

/// An assignment with its milestones' due days and statuses, from which the
/// derived flags are computed (`Assignment::flags`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentRecord {
    /// The assignment.
    pub assignment: Assignment,
    /// Its milestones: due day and status.
    pub milestones: Vec<(NaiveDate, MilestoneStatus)>,
}

/// Filters of the assignment list; absent ones match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssignmentFilter {
    /// Only this recipient's.
    pub organisation: Option<String>,
    /// Only this report's.
    pub report: Option<String>,
    /// Only in this status.
    pub status: Option<AssignmentStatus>,
    /// Only those overdue on this day: awaiting a response past its due day,
    /// or open with a milestone open past its due day.
    pub overdue_on: Option<NaiveDate>,
    /// Only those *not* overdue on this day.
    pub not_overdue_on: Option<NaiveDate>,
}

impl Store {
    /// One assignment with its current response (404 if none), read in one
    /// query: the row, its latest response and its milestones joined.
    pub async fn assignment(&self, id: AssignmentId) -> Result<AssignmentRecord> {
        let loaded = load_joined(&self.db, self.backend, id).await?;
        let row = loaded.row.clone();
        loaded.record(row)
    }

    /// Assignments in creation order, filtered.
    pub async fn assignments(
        &self,
        filter: &AssignmentFilter,
        page: &PageRequest,
    ) -> Result<Page<AssignmentRecord>> {
        let mut query = assignments::Entity::find()
            .order_by_asc(assignments::Column::CreatedAtUs)
            .order_by_asc(assignments::Column::Id);
        if let Some(organisation) = &filter.organisation {
            query = query.filter(assignments::Column::Organisation.eq(organisation.as_str()));
        }
        if let Some(status) = filter.status {
            query = query.filter(assignments::Column::Status.eq(wire(&status)));
        }
        if let Some(report) = &filter.report {
            query = query.filter(
                assignments::Column::RecommendationId.in_subquery(
                    Query::select()
                        .column(recommendations::Column::Id)
                        .from(recommendations::Entity)
                        .and_where(recommendations::Column::ReportSlug.eq(report.as_str()))
                        .take(),
                ),
            );
        }
        if let Some(day) = filter.overdue_on {
            query = query.filter(overdue_on(day));
        }
        if let Some(day) = filter.not_overdue_on {
            query = query.filter(overdue_on(day).not());
        }
        if let Some(after) = &page.after {
            let (at, id) = parse_time_id_key(after)?;
            query = query.filter(
                Condition::any()
                    .add(assignments::Column::CreatedAtUs.gt(at))
                    .add(
                        Condition::all()
                            .add(assignments::Column::CreatedAtUs.eq(at))
                            .add(assignments::Column::Id.gt(id)),
                    ),
            );
        }
        let rows = query.limit(page.limit() + 1).all(&self.db).await?;
        let page = Page::from_rows(rows, page.limit(), |row| {
            time_id_key(row.created_at_us, row.id)
        });
        let items = records(&self.db, page.items).await?;
        Ok(Page {
            items,
            next: page.next,
        })
    }

    /// Submits or revises the recipient's response.
    pub async fn respond(
        &self,
        ctx: &Ctx<'_, AssignmentRecord>,
        id: AssignmentId,
        expected_version: Option<i64>,
        draft: &ResponseDraft,
    ) -> Result<Written<AssignmentRecord>> {
        self.write(ctx, async |tx| {
            let mut loaded = load_whole(tx, id).await?;
            let row = loaded.row.clone();
            let transition = authorise(tx, &row, Command::Respond(draft.decision), expected_version)?;
            let content = draft.parse(row.issued_on)?;
            // Revisions count from 1 without gaps: the next is one past the latest.
            let revision = loaded.response.as_ref().map_or(0, |r| i64::from(r.revision)) + 1;
            let submitted_by = tx.principal.require_actor("respond")?.organisation.clone();
            let stored = responses::Model {
                    id: Uuid::new_v4(),
                    assignment_id: row.id,
                    revision: i32::try_from(revision).unwrap_or(i32::MAX),
                    decision: wire(&content.decision),
                    rationale: content.rationale.to_string(),
                    planned_completion_on: content.planned_completion_on,
                    submitted_at_us: micros(tx.now),
                    submitted_by: submitted_by.to_string(),
                };
            tx.insert(stored.clone())?;
            loaded.response = Some(stored);
            let row = save_with(tx, row, &transition, |row| {
                row.decision = Some(wire(&content.decision));
                row.first_response_on.get_or_insert(tx.today);
                row.first_response_day.get_or_insert(day_number(tx.today));
            })?;
            let summary = row_summary(&row);
            let record = loaded.record(row)?;
            let action = if revision == 1 { "response.submitted" } else { "response.revised" };
            let event = EventDraft {
                action,
                entity_type: "assignment",
                entity_id: id.to_string(),
                payload: json!({ "assignment": summary, "response": record.assignment.response, "revision": revision }),
                touches: vec![Touch {
                    status: Some(transition.to),
                    decision: Some(content.decision),
                    ..Touch::of(id.as_uuid())
                }],
            };
            Ok((record, event))
        })
        .await
    }
}

/// Whether a row is overdue on `day` (see [`AssignmentFilter::overdue_on`]).
fn overdue_on(day: NaiveDate) -> Condition {
    let finals: Vec<String> = AssignmentStatus::ALL
        .into_iter()
        .filter(|s| s.is_final())
        .map(|s| wire(&s))
        .collect();
    Condition::any()
        .add(
            Condition::all()
                .add(assignments::Column::Status.eq(wire(&AssignmentStatus::AwaitingResponse)))
                .add(assignments::Column::ResponseDueOn.lt(day)),
        )
        .add(
            Condition::all()
                .add(assignments::Column::Status.is_not_in(finals))
                .add(
                    assignments::Column::Id.in_subquery(
                        Query::select()
                            .column(milestones::Column::AssignmentId)
                            .from(milestones::Entity)
                            .and_where(milestones::Column::Status.is_in([
                                wire(&MilestoneStatus::Planned),
                                wire(&MilestoneStatus::InProgress),
                            ]))
                            .and_where(milestones::Column::DueOn.lt(day))
                            .take(),
                    ),
                ),
        )
}

/// Loads an assignment for a command (404 if none).
pub(crate) async fn load(tx: &Tx<'_>, id: AssignmentId) -> Result<assignments::Model> {
    assignments::Entity::find_by_id(id.as_uuid())
        .one(tx.db().await?)
        .await?
        .ok_or_else(|| Error::not_found("assignment", id))
}

/// Asks the lifecycle whether the principal may give `command` now, and
/// checks the version the client expects. A principal that may not see the
/// assignment learns nothing about its version.
pub(crate) fn authorise(
    tx: &Tx<'_>,
    row: &assignments::Model,
    command: Command,
    expected_version: Option<i64>,
) -> Result<Transition> {
    let actor = tx.principal.require_actor(command.name())?;
    let status: AssignmentStatus = from_wire("assignments.status", &row.status)?;
    let organisation = stored(
        "assignments.organisation",
        OrgCode::parse(&row.organisation),
    )?;
    let decided = lifecycle::decide(status, &organisation, actor, command);
    if let Err(Refusal::NotVisible | Refusal::NotPermitted { .. }) = &decided {
        return decided.map_err(Into::into);
    }
    if let Some(expected) = expected_version
        && expected != row.version
    {
        return Err(Error::StaleVersion {
            expected,
            current: row.version,
        });
    }
    decided.map_err(Into::into)
}

/// Refuses (as not found) a principal who may not see the assignment.
pub(crate) fn visible(tx: &Tx<'_>, row: &assignments::Model) -> Result<()> {
    let organisation = stored(
        "assignments.organisation",
        OrgCode::parse(&row.organisation),
    )?;
    match tx.principal.actor() {
        Some(actor) if !actor.sees(&organisation) => Err(Refusal::NotVisible.into()),
        _ => Ok(()),
    }
}

/// The row after `transition`: new status, closing and verification days,
/// next version.
pub(crate) fn apply(
    tx: &Tx<'_>,
    mut row: assignments::Model,
    transition: &Transition,
) -> assignments::Model {
    row.status = wire(&transition.to);
    if transition.to.is_final() {
        row.closed_on.get_or_insert(tx.today);
    }
    if transition.to == AssignmentStatus::Verified {
        row.verified_on.get_or_insert(tx.today);
        row.verified_day.get_or_insert(day_number(tx.today));
    }
    row.version += 1;
    row.updated_at_us = micros(tx.now);
    row
}

/// Applies a move to a row as read and writes what changed; returns the row
/// as it now is.
pub(crate) fn save(
    tx: &Tx<'_>,
    read: assignments::Model,
    transition: &Transition,
) -> Result<assignments::Model> {
    save_with(tx, read, transition, |_| {})
}

/// As [`save`], with the command's own changes to the row made by `edit`.
/// `read` must be the row as read: only the columns that differ from it are
/// written.
pub(crate) fn save_with(
    tx: &Tx<'_>,
    read: assignments::Model,
    transition: &Transition,
    edit: impl FnOnce(&mut assignments::Model),
) -> Result<assignments::Model> {
    let mut row = apply(tx, read.clone(), transition);
    edit(&mut row);
    tx.update_changed(read, row.clone())?;
    Ok(row)
}

/// The assignment fields an audit payload records, from its row.
pub(crate) fn row_summary(row: &assignments::Model) -> serde_json::Value {
    json!({
        "id": row.id,
        "organisation": row.organisation,
        "status": row.status,
        "response_due_on": row.response_due_on,
        "closed_on": row.closed_on,
        "version": row.version,
    })
}

/// An assignment row with its latest response and its milestones.
pub(crate) struct Loaded {
    /// The row.
    pub row: assignments::Model,
    /// Its latest response.
    pub response: Option<responses::Model>,
    /// Its milestones.
    pub milestones: Vec<milestones::Model>,
}

impl Loaded {
    /// The record of `row` (the assignment as a command leaves it) with this
    /// response and these milestones.
    pub fn record(self, row: assignments::Model) -> Result<AssignmentRecord> {
        assemble(
            vec![row],
            self.response.into_iter().collect(),
            self.milestones,
        )?
        .pop()
        .ok_or_else(|| Error::Corrupt("no record for the assignment".to_owned()))
    }
}

/// Loads an assignment with its latest response and milestones for a
/// command, in one query (404 if none).
pub(crate) async fn load_whole(tx: &Tx<'_>, id: AssignmentId) -> Result<Loaded> {
    load_joined(tx.db().await?, tx.backend(), id).await
}

async fn load_joined(
    db: &impl ConnectionTrait,
    backend: sea_orm::DbBackend,
    id: AssignmentId,
) -> Result<Loaded> {
    let mut sql = Sql::new(backend);
    sql.push(ONE_ASSIGNMENT).bind(id.as_uuid());
    let rows = db.query_all_raw(sql.build()).await?;
    let first = rows
        .first()
        .ok_or_else(|| Error::not_found("assignment", id))?;
    let row = assignments::Model::from_query_result(first, "")?;
    let response = responses::Model::from_query_result_optional(first, "r_")?;
    let mut milestones = Vec::new();
    for joined in &rows {
        if let Some(milestone) = milestones::Model::from_query_result_optional(joined, "m_")? {
            milestones.push(milestone);
        }
    }
    Ok(Loaded {
        row,
        response,
        milestones,
    })
}

/// Converts rows to records, fetching their current responses and milestones
/// in two queries.
pub(crate) async fn records(
    db: &impl ConnectionTrait,
    rows: Vec<assignments::Model>,
) -> Result<Vec<AssignmentRecord>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let responses = responses::Entity::find()
        .filter(responses::Column::AssignmentId.is_in(ids.clone()))
        .order_by_asc(responses::Column::Revision)
        .all(db)
        .await?;
    let milestones = milestones::Entity::find()
        .filter(milestones::Column::AssignmentId.is_in(ids))
        .all(db)
        .await?;
    assemble(rows, responses, milestones)
}

/// Records from rows, their responses in revision order (the last of each
/// assignment is its current one) and their milestones.
pub(crate) fn assemble(
    rows: Vec<assignments::Model>,
    responses: Vec<responses::Model>,
    milestones: Vec<milestones::Model>,
) -> Result<Vec<AssignmentRecord>> {
    let mut latest: HashMap<Uuid, responses::Model> = HashMap::new();
    for response in responses {
        latest.insert(response.assignment_id, response);
    }
    let mut plans: HashMap<Uuid, Vec<(NaiveDate, MilestoneStatus)>> = HashMap::new();
    for milestone in milestones {
        let status = from_wire("milestones.status", &milestone.status)?;
        plans
            .entry(milestone.assignment_id)
            .or_default()
            .push((milestone.due_on, status));
    }
    rows.into_iter()
        .map(|row| {
            let response = latest.remove(&row.id).map(response).transpose()?;
            let milestones = plans.remove(&row.id).unwrap_or_default();
            Ok(AssignmentRecord {
                assignment: assignment(row, response)?,
                milestones,
            })
        })
        .collect()
}

/// An assignment, its latest response and its milestones (one row per
/// milestone; one row with null milestone columns when it has none).
const ONE_ASSIGNMENT: &str = "SELECT a.*, \
    r.id AS r_id, r.assignment_id AS r_assignment_id, r.revision AS r_revision, \
    r.decision AS r_decision, r.rationale AS r_rationale, \
    r.planned_completion_on AS r_planned_completion_on, \
    r.submitted_at_us AS r_submitted_at_us, r.submitted_by AS r_submitted_by, \
    m.id AS m_id, m.assignment_id AS m_assignment_id, m.title AS m_title, \
    m.due_on AS m_due_on, m.status AS m_status, m.completed_on AS m_completed_on, \
    m.created_at_us AS m_created_at_us, m.updated_at_us AS m_updated_at_us \
    FROM assignments a \
    LEFT JOIN responses r ON r.assignment_id = a.id AND r.revision = \
        (SELECT MAX(latest.revision) FROM responses latest WHERE latest.assignment_id = a.id) \
    LEFT JOIN milestones m ON m.assignment_id = a.id \
    WHERE a.id = ";

fn assignment(row: assignments::Model, response: Option<Response>) -> Result<Assignment> {
    Ok(Assignment {
        id: AssignmentId::from_uuid(row.id),
        recommendation_id: RecommendationId::from_uuid(row.recommendation_id),
        organisation: stored(
            "assignments.organisation",
            OrgCode::parse(&row.organisation),
        )?,
        status: from_wire("assignments.status", &row.status)?,
        response,
        issued_on: row.issued_on,
        response_due_on: row.response_due_on,
        closed_on: row.closed_on,
        version: row.version,
    })
}

fn response(row: responses::Model) -> Result<Response> {
    Ok(Response {
        content: ResponseContent {
            decision: from_wire("responses.decision", &row.decision)?,
            rationale: stored("responses.rationale", LongText::parse(&row.rationale))?,
            planned_completion_on: row.planned_completion_on,
        },
        submitted_at: from_micros(row.submitted_at_us)?,
        submitted_by: stored("responses.submitted_by", OrgCode::parse(&row.submitted_by))?,
    })
}
