//! Assignments: reading them, and the helpers every assignment command
//! shares — load the row as a core [`Assignment`], ask the lifecycle, check
//! the expected version, and write back only the columns core changed. No
//! status, date, version or flag is set here: core computes them
//! (`Assignment::apply` and its siblings); this file maps them to columns.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use rectrack_core::assignment::{Assignment, AssignmentStatus};
use rectrack_core::audit::Action;
use rectrack_core::deadline::{self, AssignmentFlags};
use rectrack_core::error::Refusal;
use rectrack_core::ids::{AssignmentId, RecommendationId};
use rectrack_core::lifecycle::{self, Command, Transition};
use rectrack_core::milestone::MilestoneStatus;
use rectrack_core::occurrence::{Occurrence, OccurrenceDraft};
use rectrack_core::organisation::OrgCode;
use rectrack_core::response::{Response, ResponseContent, ResponseDraft};
use rectrack_core::text::{LongText, Slug};
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use crate::Store;
use crate::audit::append::{EventDraft, Touch};
use crate::convert::{
    day_number, from_micros, from_wire, micros, occurrence, occurrence_json, wire,
};
use crate::entities::{assignments, milestones, recommendations, responses};
use crate::error::{Error, Result, stored};
use crate::page::{Page, PageRequest, after_time_id, time_id_key};
use crate::sql::Sql;
use crate::write::{Ctx, Tx, Written};

/// An assignment with its milestones' due days and statuses, from which the
/// derived flags are computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentRecord {
    /// The assignment.
    pub assignment: Assignment,
    /// Its milestones: due day and status.
    pub milestones: Vec<(NaiveDate, MilestoneStatus)>,
}

impl AssignmentRecord {
    /// The derived flags as of `as_of` (core's `Assignment::flags`).
    pub fn flags(&self, as_of: NaiveDate) -> AssignmentFlags {
        self.assignment
            .flags(self.milestones.iter().copied(), as_of)
    }
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
        let Loaded { held, milestones } = load_joined(&self.db, self.backend, id).await?;
        Ok(AssignmentRecord {
            assignment: held.assignment,
            milestones,
        })
    }

    /// The id of the assignment of recommendation `number` of report
    /// `report` to `organisation`, if there is one.
    pub async fn assignment_of(
        &self,
        report: &Slug,
        number: u32,
        organisation: &OrgCode,
    ) -> Result<Option<AssignmentId>> {
        let mut q = Sql::new(self.backend);
        q.push(
            "SELECT a.id FROM assignments a JOIN recommendations r ON r.id = a.recommendation_id \
             WHERE r.report_slug = ",
        );
        q.bind(report.to_string());
        q.push(" AND r.number = ");
        q.bind(i64::from(number));
        q.push(" AND a.organisation = ");
        q.bind(organisation.to_string());
        let row = self.db.query_one_raw(q.build()).await?;
        row.map(|row| {
            row.try_get::<Uuid>("", "id")
                .map(AssignmentId::from_uuid)
                .map_err(Into::into)
        })
        .transpose()
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
            query = query.filter(after_time_id(
                after,
                assignments::Column::CreatedAtUs,
                assignments::Column::Id,
            )?);
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

    /// Submits or revises the recipient's response, which occurred as
    /// `occurred` says (a backfill is the overseer's to record).
    pub async fn respond(
        &self,
        ctx: &Ctx<'_, AssignmentRecord>,
        id: AssignmentId,
        expected_version: Option<i64>,
        draft: &ResponseDraft,
        occurred: &OccurrenceDraft,
    ) -> Result<Written<AssignmentRecord>> {
        self.write(ctx, async |tx| {
            let Loaded {
                mut held,
                milestones,
            } = load_whole(tx, id).await?;
            let (transition, occurrence) = authorise_fact(
                tx,
                &held.assignment,
                Command::Respond(draft.decision),
                expected_version,
                occurred,
            )?;
            let content = draft.parse(held.assignment.issued_on, occurred.is_backfill(tx.today))?;
            // Revisions count from 1 without gaps: the next is one past the latest.
            let revision = held.revision + 1;
            // A backfill is entered by the overseer, but the response is the
            // recipient's.
            let submitted_by = held.assignment.organisation.clone();
            let response = Response {
                content,
                submitted_at: tx.now,
                submitted_by,
                occurred: occurrence.clone(),
                publication: None,
            };
            tx.insert(responses::Model {
                id: Uuid::new_v4(),
                assignment_id: id.as_uuid(),
                revision: i32::try_from(revision).unwrap_or(i32::MAX),
                decision: wire(&response.content.decision),
                rationale: response.content.rationale.to_string(),
                planned_completion_on: response.content.planned_completion_on,
                submitted_at_us: micros(tx.now),
                submitted_by: response.submitted_by.to_string(),
                occurred: occurrence_json(&occurrence),
                publication: None,
            })?;
            let decision = response.content.decision;
            held.assignment.respond(&transition, response, &occurrence);
            let assignment = held.save(tx)?;
            let event = EventDraft {
                action: Action::responded(revision),
                entity_type: "assignment",
                entity_id: id.to_string(),
                payload: json!({
                    "assignment": summary(&assignment),
                    "response": assignment.response,
                    "revision": revision,
                }),
                touches: vec![
                    Touch {
                        status: Some(transition.to),
                        decision: Some(decision),
                        ..Touch::of(id.as_uuid())
                    }
                    .occurred(&occurrence),
                ],
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
}

/// Whether a row is overdue on `day` (see [`AssignmentFilter::overdue_on`]).
/// Core's rules (`deadline::owes_response`, `deadline::owes_milestones`,
/// `MilestoneStatus::is_open`) stated in SQL, their status lists taken from
/// core.
fn overdue_on(day: NaiveDate) -> Condition {
    let wires = |statuses: Vec<AssignmentStatus>| statuses.iter().map(wire).collect::<Vec<_>>();
    let open_milestones: Vec<String> = MilestoneStatus::ALL
        .into_iter()
        .filter(|s| s.is_open())
        .map(|s| wire(&s))
        .collect();
    Condition::any()
        .add(
            Condition::all()
                .add(
                    assignments::Column::Status
                        .is_in(wires(deadline::statuses_where(deadline::owes_response))),
                )
                .add(assignments::Column::ResponseDueOn.lt(day)),
        )
        .add(
            Condition::all()
                .add(
                    assignments::Column::Status
                        .is_in(wires(deadline::statuses_where(deadline::owes_milestones))),
                )
                .add(
                    assignments::Column::Id.in_subquery(
                        Query::select()
                            .column(milestones::Column::AssignmentId)
                            .from(milestones::Entity)
                            .and_where(milestones::Column::Status.is_in(open_milestones))
                            .and_where(milestones::Column::DueOn.lt(day))
                            .take(),
                    ),
                ),
        )
}

/// An assignment loaded for a command: the row as read, and its core value,
/// which the command changes only through core's own methods before
/// [`Held::save`] writes the difference.
pub(crate) struct Held {
    /// The row as read.
    read: assignments::Model,
    /// The assignment as core sees it. Its `response` is loaded only by
    /// [`load_whole`]; [`load`] leaves it `None`.
    pub assignment: Assignment,
    /// The revision number of its latest response (0 for none), when loaded
    /// by [`load_whole`].
    pub revision: i64,
}

impl Held {
    /// The assignment of `read` with `response` (if loaded).
    pub fn new(read: assignments::Model, response: Option<responses::Model>) -> Result<Self> {
        let revision = response.as_ref().map_or(0, |r| i64::from(r.revision));
        let response = response.map(self::response).transpose()?;
        Ok(Self {
            assignment: assignment(&read, response)?,
            read,
            revision,
        })
    }

    /// Writes the columns core changed (none if it changed nothing) and
    /// returns the assignment as it now is.
    pub fn save(self, tx: &Tx<'_>) -> Result<Assignment> {
        let row = row_of(&self.read, &self.assignment, tx.now);
        tx.update_changed(self.read, row)?;
        Ok(self.assignment)
    }
}

/// Loads an assignment for a command, without its response (404 if none).
pub(crate) async fn load(tx: &Tx<'_>, id: AssignmentId) -> Result<Held> {
    let read = assignments::Entity::find_by_id(id.as_uuid())
        .one(tx.db().await?)
        .await?
        .ok_or_else(|| Error::not_found("assignment", id))?;
    Held::new(read, None)
}

/// Asks the lifecycle whether the principal may give `command` now, and
/// checks the version the client expects. A principal that may not see the
/// assignment learns nothing about its version.
pub(crate) fn authorise(
    tx: &Tx<'_>,
    assignment: &Assignment,
    command: Command,
    expected_version: Option<i64>,
) -> Result<Transition> {
    let actor = tx.principal.require_actor(command.name())?;
    let decided = lifecycle::decide(assignment.status, &assignment.organisation, actor, command);
    if let Err(Refusal::NotVisible | Refusal::NotPermitted { .. }) = &decided {
        return decided.map_err(Into::into);
    }
    check_version(assignment, expected_version)?;
    decided.map_err(Into::into)
}

/// Refuses a write whose client expected another version (412).
pub(crate) fn check_version(assignment: &Assignment, expected_version: Option<i64>) -> Result<()> {
    match expected_version {
        Some(expected) if expected != assignment.version => Err(Error::StaleVersion {
            expected,
            current: assignment.version,
        }),
        _ => Ok(()),
    }
}

/// Authorises a command that reports a fact, and reads when it occurred.
/// A fact of today is authorised as [`authorise`] does; a backfill (an
/// earlier day, or a bound) or a fact entered from a record only for the
/// overseer, on either party's behalf (`lifecycle::decide_backfill`). The day is then checked against the
/// facts already recorded (422).
pub(crate) fn authorise_fact(
    tx: &Tx<'_>,
    assignment: &Assignment,
    command: Command,
    expected_version: Option<i64>,
    occurred: &OccurrenceDraft,
) -> Result<(Transition, Occurrence)> {
    occurred.check_not_later(tx.today)?;
    let transition = if occurred.for_the_party(tx.today) {
        match lifecycle::decide_backfill(assignment.status, tx.principal, command) {
            Err(refused @ Refusal::NotPermitted { .. }) => return Err(refused.into()),
            decided => {
                check_version(assignment, expected_version)?;
                decided?
            }
        }
    } else {
        authorise(tx, assignment, command, expected_version)?
    };
    let occurrence = occurred.parse(tx.today, assignment.not_before())?;
    Ok((transition, occurrence))
}

/// Refuses (as not found) a principal who may not see the assignment.
pub(crate) fn visible(tx: &Tx<'_>, assignment: &Assignment) -> Result<()> {
    match tx.principal.actor() {
        Some(actor) if !actor.sees(&assignment.organisation) => Err(Refusal::NotVisible.into()),
        _ => Ok(()),
    }
}

/// The row of a new assignment, created at `now`.
pub(crate) fn new_row(assignment: &Assignment, now: DateTime<Utc>) -> assignments::Model {
    // The columns core may change (status, decision, due and stamped days,
    // version) start blank and are filled by `row_of`, the mapping every
    // later write uses too, so a new row and a changed one cannot disagree.
    let blank = assignments::Model {
        id: assignment.id.as_uuid(),
        recommendation_id: assignment.recommendation_id.as_uuid(),
        organisation: assignment.organisation.to_string(),
        status: String::new(),
        decision: None,
        issued_on: assignment.issued_on,
        issued_day: day_number(assignment.issued_on),
        initial_due_on: assignment.response_due_on,
        response_due_on: assignment.response_due_on,
        first_response_on: None,
        first_response_day: None,
        verified_on: None,
        verified_day: None,
        first_response_bound: false,
        verified_bound: false,
        occurred_through: None,
        closed_on: None,
        version: 0,
        created_at_us: micros(now),
        updated_at_us: micros(now),
    };
    row_of(&blank, assignment, now)
}

/// The row `read` as `assignment` now stands, changed at `now`: each column
/// core may change, taken from the core value. The day-number columns are
/// the same days as numbers, kept for the status report's SQL.
fn row_of(
    read: &assignments::Model,
    assignment: &Assignment,
    now: DateTime<Utc>,
) -> assignments::Model {
    let mut row = read.clone();
    row.status = wire(&assignment.status);
    // A response is never removed: one not loaded (`None`) leaves the stored
    // decision as it is.
    if let Some(response) = &assignment.response {
        row.decision = Some(wire(&response.content.decision));
    }
    row.response_due_on = assignment.response_due_on;
    row.first_response_on = assignment.first_response_on;
    row.first_response_day = assignment.first_response_on.map(day_number);
    row.verified_on = assignment.verified_on;
    row.verified_day = assignment.verified_on.map(day_number);
    row.first_response_bound = assignment.first_response_bound;
    row.verified_bound = assignment.verified_bound;
    row.occurred_through = Some(assignment.occurred_through);
    row.closed_on = assignment.closed_on;
    if row.version != assignment.version {
        row.version = assignment.version;
        row.updated_at_us = micros(now);
    }
    row
}

/// The assignment fields an audit payload records.
pub(crate) fn summary(assignment: &Assignment) -> serde_json::Value {
    json!({
        "id": assignment.id.as_uuid(),
        "organisation": assignment.organisation.as_str(),
        "status": assignment.status.as_str(),
        "response_due_on": assignment.response_due_on,
        "closed_on": assignment.closed_on,
        "version": assignment.version,
    })
}

/// An assignment loaded with its latest response and its milestones.
pub(crate) struct Loaded {
    /// The assignment, its response loaded.
    pub held: Held,
    /// Its milestones: due day and status.
    pub milestones: Vec<(NaiveDate, MilestoneStatus)>,
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
            let status = from_wire("milestones.status", &milestone.status)?;
            milestones.push((milestone.due_on, status));
        }
    }
    Ok(Loaded {
        held: Held::new(row, response)?,
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
                assignment: assignment(&row, response)?,
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
    r.occurred AS r_occurred, r.publication AS r_publication, \
    m.id AS m_id, m.assignment_id AS m_assignment_id, m.title AS m_title, \
    m.due_on AS m_due_on, m.status AS m_status, m.completed_on AS m_completed_on, \
    m.created_at_us AS m_created_at_us, m.updated_at_us AS m_updated_at_us \
    FROM assignments a \
    LEFT JOIN responses r ON r.assignment_id = a.id AND r.revision = \
        (SELECT MAX(latest.revision) FROM responses latest WHERE latest.assignment_id = a.id) \
    LEFT JOIN milestones m ON m.assignment_id = a.id \
    WHERE a.id = ";

fn assignment(row: &assignments::Model, response: Option<Response>) -> Result<Assignment> {
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
        first_response_on: row.first_response_on,
        first_response_bound: row.first_response_bound,
        verified_on: row.verified_on,
        verified_bound: row.verified_bound,
        closed_on: row.closed_on,
        // A row written before the latest fact's day was kept: the day of its
        // last change (facts were then recorded as they happened).
        occurred_through: match row.occurred_through {
            Some(day) => day,
            None => from_micros(row.updated_at_us)?
                .date_naive()
                .max(row.issued_on),
        },
        version: row.version,
    })
}

fn response(row: responses::Model) -> Result<Response> {
    let submitted_at = from_micros(row.submitted_at_us)?;
    Ok(Response {
        occurred: occurrence("responses.occurred", row.occurred.as_deref(), submitted_at)?,
        content: ResponseContent {
            decision: from_wire("responses.decision", &row.decision)?,
            rationale: stored("responses.rationale", LongText::parse(&row.rationale))?,
            planned_completion_on: row.planned_completion_on,
        },
        submitted_at,
        submitted_by: stored("responses.submitted_by", OrgCode::parse(&row.submitted_by))?,
        publication: row
            .publication
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| Error::Corrupt(format!("responses.publication: {e}")))?,
    })
}
