//! Importing a record kept elsewhere (`docs/import.md`): a CSV or XLSX file
//! is read into core's [`Table`], planned by core ([`Plan::parse`]), and
//! carried out as the API's own commands, every one a backfill entered by
//! the importer, in one transaction: all of it is written or none. The
//! import's own audit event names every row and the file's SHA-256. A dry
//! run does the same and rolls back.
//!
//! What the store holds already is left alone: an organisation, report or
//! recommendation that exists is not created again, and an assignment is
//! given only the steps of its row's history it has not yet taken
//! ([`progress`]); one that has moved on past its row is left alone. So importing the same file twice changes nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Cursor;

use rectrack_core::assignment::AssignmentStatus;
use rectrack_core::audit::Action;
use rectrack_core::deadline::ExtensionDecisionDraft;
use rectrack_core::ids::{AssignmentId, MilestoneId, RecommendationId};
use rectrack_core::import::{
    MAX_LINES, Plan, PlannedAssignment, Progress, RowError, Step, Table, progress, statuses,
};
use rectrack_core::milestone::{MilestoneChange, MilestoneStatus};
use rectrack_core::progress::UpdateDraft;
use rectrack_core::review::ClaimDraft;
use rectrack_core::role::Principal;
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::Store;
use crate::audit::append::EventDraft;
use crate::convert::{from_wire, wire};
use crate::entities::{assignments, organisations, recommendations, reports};
use crate::error::{Error, Result};
use crate::write::{Ctx, Written};

/// The kinds of file an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// RFC 4180 CSV in UTF-8 (a byte-order mark is allowed).
    Csv,
    /// An Excel workbook; its first sheet is read.
    Xlsx,
}

impl FileKind {
    /// The kind a media type names, if it is one of them.
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        let essence = media_type.split(';').next().unwrap_or_default().trim();
        match essence.to_ascii_lowercase().as_str() {
            "text/csv" => Some(Self::Csv),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => Some(Self::Xlsx),
            _ => None,
        }
    }

    /// The kind a file name's extension names, if it is one of them.
    pub fn from_file_name(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".csv") {
            Some(Self::Csv)
        } else if lower.ends_with(".xlsx") {
            Some(Self::Xlsx)
        } else {
            None
        }
    }
}

/// Reads a file into a table, refusing (422, as row errors) what is not
/// one: bytes that are not UTF-8, CSV that does not parse, a workbook that
/// cannot be opened or holds formulas, more than [`MAX_LINES`] rows. The
/// size of an upload is limited where it is received (the API refuses a
/// body over [`MAX_BYTES`](rectrack_core::import::MAX_BYTES)); a file the operator imports with `rectrack
/// import` is limited by its rows only.
pub fn read_table(bytes: &[u8], kind: FileKind) -> Result<Table> {
    match kind {
        FileKind::Csv => read_csv(bytes),
        FileKind::Xlsx => read_xlsx(bytes),
    }
}

fn file_error(row: usize, message: impl Into<String>) -> Error {
    Error::Import(vec![RowError {
        row,
        column: None,
        message: message.into(),
    }])
}

fn read_csv(bytes: &[u8]) -> Result<Table> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Err(e) = std::str::from_utf8(bytes) {
        let offset = e.valid_up_to();
        let row = bytes[..offset].iter().filter(|b| **b == b'\n').count() + 1;
        return Err(file_error(
            row,
            format!(
                "the file is not UTF-8 (byte {offset} is not): save it as \"CSV UTF-8\" and import it again"
            ),
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut table = Table::default();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            let row = e.position().map_or(i + 1, |p| p.line() as usize);
            file_error(row, format!("is not CSV as RFC 4180 writes it: {e}"))
        })?;
        let cells: Vec<String> = record.iter().map(ToOwned::to_owned).collect();
        if i == 0 {
            table.columns = cells;
        } else {
            if table.rows.len() == MAX_LINES {
                return Err(too_many_rows());
            }
            table.rows.push(cells);
        }
    }
    if table.columns.is_empty() {
        return Err(file_error(
            1,
            "the file is empty: the first row names the columns",
        ));
    }
    Ok(table)
}

fn too_many_rows() -> Error {
    file_error(
        MAX_LINES + 2,
        format!(
            "the file has more than {MAX_LINES} rows; at most {MAX_LINES} (milestones' rows included) are imported at once: split it"
        ),
    )
}

fn read_xlsx(bytes: &[u8]) -> Result<Table> {
    use calamine::{Data, Reader, Xlsx};
    let unreadable = |e: calamine::XlsxError| {
        file_error(1, format!("is not an XLSX workbook rectrack can read: {e}"))
    };
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(unreadable)?;
    let Some(name) = workbook.sheet_names().first().cloned() else {
        return Err(file_error(1, "the workbook has no sheet"));
    };
    let formulas = workbook.worksheet_formula(&name).map_err(unreadable)?;
    if let Some((row, column, _)) = formulas.used_cells().find(|(_, _, f)| !f.is_empty()) {
        let (top, left) = formulas.start().unwrap_or((0, 0));
        return Err(Error::Import(vec![RowError::cell(
            top as usize + row + 1,
            column_letters(left as usize + column),
            "holds a formula; rectrack imports values, not formulas: paste the sheet as values and import it again",
        )]));
    }
    let range = workbook.worksheet_range(&name).map_err(unreadable)?;
    if range.height() > MAX_LINES + 1 {
        return Err(too_many_rows());
    }
    let mut rows = range.rows().map(|cells| {
        cells
            .iter()
            .map(|cell| match cell {
                Data::Empty => String::new(),
                Data::String(s) => s.clone(),
                Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
                Data::Float(f) => f.to_string(),
                Data::Int(i) => i.to_string(),
                Data::Bool(b) => b.to_string(),
                Data::DateTime(d) => d
                    .as_datetime()
                    .map(|t| t.date().format("%Y-%m-%d").to_string())
                    .unwrap_or_else(|| d.to_string()),
                Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
                Data::Error(e) => format!("#{e:?}"),
            })
            .collect::<Vec<_>>()
    });
    let columns = rows
        .next()
        .ok_or_else(|| file_error(1, "the sheet is empty: the first row names the columns"))?;
    Ok(Table {
        columns,
        rows: rows.collect(),
    })
}

/// A column's letters as a spreadsheet shows them: 0 is `A`, 26 is `AA`.
fn column_letters(mut index: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// What became of one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowOutcome {
    /// The row (the header is row 1).
    pub row: usize,
    /// `created` (its assignment is new), `changed` (its assignment took
    /// steps) or `left_alone`.
    pub outcome: &'static str,
    /// What was done for it, in order.
    pub done: Vec<String>,
}

/// What an import did, or a dry run would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// The file's SHA-256.
    pub sha256: String,
    /// Whether nothing was written.
    pub dry_run: bool,
    /// Rows read.
    pub rows: usize,
    /// Rows whose assignment was created.
    pub created: usize,
    /// Rows whose assignment took steps of its history.
    pub changed: usize,
    /// Rows that changed nothing.
    pub left_alone: usize,
    /// Organisations, reports and recommendations created.
    pub records_created: usize,
    /// Facts recorded (responses, updates, evidence, claims, reviews,
    /// withdrawals).
    pub facts_recorded: usize,
    /// Each row's outcome.
    pub results: Vec<RowOutcome>,
    /// Every row's errors; a real import with any writes nothing.
    pub errors: Vec<RowError>,
    /// Whether the import was written, with its audit event: false for a
    /// dry run and for a file that changes nothing.
    pub recorded: bool,
}

/// What the store holds already, read before the import's transaction.
#[derive(Default)]
struct Existing {
    organisations: BTreeMap<String, String>,
    reports: BTreeMap<String, String>,
    /// (report, number) → (id, title, issued_on, withdrawn).
    recommendations: HashMap<(String, u32), (uuid::Uuid, String, chrono::NaiveDate, bool)>,
    /// (recommendation, organisation) → (id, status, version).
    assignments: HashMap<(uuid::Uuid, String), (AssignmentId, AssignmentStatus, i64)>,
}

impl Store {
    /// Imports `table`, read from a file whose SHA-256 is `sha256`, as
    /// `principal` (an overseer, or the console). A dry run answers what
    /// would be done and every error, writing nothing; a real import with
    /// any error writes nothing and fails with them all (422).
    pub async fn import(
        &self,
        principal: &Principal,
        table: &Table,
        sha256: &str,
        dry_run: bool,
    ) -> Result<ImportReport> {
        principal.require_overseer("import")?;
        let today = self.clock.now().date_naive();
        let plan = match Plan::parse(table, today) {
            Ok(plan) => plan,
            // A dry run reports the rows' errors; a file that is not in
            // the format at all (its header is wrong) is refused.
            Err(errors) if dry_run && errors.iter().all(|e| e.row > 1) => {
                return Ok(ImportReport::refused(sha256, table.rows.len(), errors));
            }
            Err(errors) => return Err(Error::Import(errors)),
        };
        let existing = self.existing(&plan).await?;
        let batch = self.begin_batch().await?;
        let mut run = Run::new(principal, &plan);
        run.carry_out(&batch, &plan, &existing).await;
        // A failure of the store, not of a row, fails the import (500, its
        // detail in the log); dropping the batch rolls it back.
        if let Some(error) = run.failed.take() {
            return Err(error);
        }
        if run.errors.is_empty() && !dry_run && run.wrote() {
            batch.record_import(principal, sha256, &run).await?;
            run.recorded = true;
        }
        let report = run.report(sha256, dry_run);
        if dry_run || !report.errors.is_empty() || !report.recorded {
            // Dropping the batch rolls it back.
            drop(batch);
            if !dry_run && !report.errors.is_empty() {
                return Err(Error::Import(report.errors));
            }
            return Ok(report);
        }
        batch.commit_batch().await?;
        Ok(report)
    }

    async fn existing(&self, plan: &Plan) -> Result<Existing> {
        let mut existing = Existing::default();
        for row in organisations::Entity::find().all(&self.db).await? {
            existing.organisations.insert(row.code, row.kind);
        }
        let slugs: BTreeSet<String> = plan
            .recommendations
            .iter()
            .map(|r| r.report.to_string())
            .collect();
        for row in reports::Entity::find().all(&self.db).await? {
            existing.reports.insert(row.slug, row.issued_by);
        }
        let slugs: Vec<String> = slugs.into_iter().collect();
        for chunk in slugs.chunks(500) {
            let rows = recommendations::Entity::find()
                .filter(recommendations::Column::ReportSlug.is_in(chunk.iter().cloned()))
                .all(&self.db)
                .await?;
            for row in rows {
                let number = u32::try_from(row.number).unwrap_or_default();
                existing.recommendations.insert(
                    (row.report_slug, number),
                    (row.id, row.title, row.issued_on, row.withdrawn),
                );
            }
            let rows = assignments::Entity::find()
                .filter(
                    assignments::Column::RecommendationId.in_subquery(
                        Query::select()
                            .column(recommendations::Column::Id)
                            .from(recommendations::Entity)
                            .and_where(
                                recommendations::Column::ReportSlug.is_in(chunk.iter().cloned()),
                            )
                            .take(),
                    ),
                )
                .all(&self.db)
                .await?;
            for row in rows {
                let status = from_wire("assignments.status", &row.status)?;
                existing.assignments.insert(
                    (row.recommendation_id, row.organisation),
                    (AssignmentId::from_uuid(row.id), status, row.version),
                );
            }
        }
        Ok(existing)
    }

    async fn record_import(
        &self,
        principal: &Principal,
        sha256: &str,
        run: &Run<'_>,
    ) -> Result<()> {
        let rows: Vec<_> = run
            .outcomes
            .iter()
            .map(|(row, outcome)| json!({ "row": row, "outcome": outcome.0, "done": outcome.1 }))
            .collect();
        self.write(&Ctx::new(principal), async |_tx| {
            let event = EventDraft {
                action: Action::ImportCompleted,
                entity_type: "import",
                entity_id: sha256.to_owned(),
                payload: json!({
                    "sha256": sha256,
                    "rows": rows,
                    "records_created": run.records_created,
                    "facts_recorded": run.facts_recorded,
                }),
                touches: Vec::new(),
            };
            Ok(((), event))
        })
        .await?;
        Ok(())
    }
}

impl ImportReport {
    /// The report of a file refused whole, with its rows' errors.
    pub fn refused(sha256: &str, rows: usize, errors: Vec<RowError>) -> Self {
        Self {
            sha256: sha256.to_owned(),
            dry_run: true,
            rows,
            created: 0,
            changed: 0,
            left_alone: 0,
            records_created: 0,
            facts_recorded: 0,
            results: Vec::new(),
            errors,
            recorded: false,
        }
    }
}

/// The SHA-256 of a file, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A recommendation created by the import, with its assignments by
/// recipient.
type Created = (RecommendationId, Vec<(String, AssignmentId)>);

/// An import under way.
struct Run<'a> {
    principal: &'a Principal,
    /// Row → (outcome, what was done).
    outcomes: BTreeMap<usize, (&'static str, Vec<String>)>,
    errors: Vec<RowError>,
    /// The first failure that was not the row's fault.
    failed: Option<Error>,
    records_created: usize,
    facts_recorded: usize,
    recorded: bool,
    /// (report, number) → recommendation id, for those created now.
    created: HashMap<(String, u32), Created>,
}

impl<'a> Run<'a> {
    fn new(principal: &'a Principal, plan: &Plan) -> Self {
        let outcomes = plan
            .assignments
            .iter()
            .map(|a| (a.row, ("left_alone", Vec::new())))
            .collect();
        Self {
            principal,
            outcomes,
            errors: Vec::new(),
            failed: None,
            records_created: 0,
            facts_recorded: 0,
            recorded: false,
            created: HashMap::new(),
        }
    }

    fn wrote(&self) -> bool {
        self.records_created + self.facts_recorded > 0
    }

    fn note(&mut self, row: usize, done: String) {
        if let Some((_, list)) = self.outcomes.get_mut(&row) {
            list.push(done);
        }
    }

    fn mark(&mut self, row: usize, outcome: &'static str) {
        if let Some((current, _)) = self.outcomes.get_mut(&row)
            && *current != "created"
        {
            *current = outcome;
        }
    }

    /// Records why a row's command was refused; a failure that is not the
    /// row's (the database, a broken batch) is kept to fail the import, so
    /// that its detail goes to the log and never into an answer.
    fn fail(&mut self, row: usize, column: &str, error: Error) {
        let message = match &error {
            Error::Domain(rectrack_core::Error::Validation(errors)) => errors.to_string(),
            Error::Domain(_)
            | Error::NotFound { .. }
            | Error::Conflict(_)
            | Error::StaleVersion { .. } => error.to_string(),
            _ => {
                self.failed.get_or_insert(error);
                return;
            }
        };
        self.errors.push(RowError::cell(row, column, message));
    }

    async fn carry_out(&mut self, store: &Store, plan: &Plan, existing: &Existing) {
        for planned in &plan.organisations {
            if existing.organisations.contains_key(&planned.draft.code) {
                continue;
            }
            match store
                .create_organisation(&Ctx::new(self.principal), &planned.draft)
                .await
            {
                Ok(_) => {
                    self.records_created += 1;
                    self.note(
                        planned.row,
                        format!("created organisation {}", planned.draft.code),
                    );
                }
                Err(e) => self.fail(planned.row, "recipient_name", e),
            }
        }
        for planned in &plan.reports {
            match existing.reports.get(&planned.draft.slug) {
                Some(issued_by) if *issued_by != planned.draft.issued_by => {
                    self.errors.push(RowError::cell(
                        planned.row,
                        "report_issued_by",
                        format!(
                            "report `{}` is in rectrack, issued by `{issued_by}`; an import does not change who issued it",
                            planned.draft.slug
                        ),
                    ));
                }
                Some(_) => {}
                None => match store
                    .create_report(&Ctx::new(self.principal), &planned.draft)
                    .await
                {
                    Ok(_) => {
                        self.records_created += 1;
                        self.note(
                            planned.row,
                            format!("created report {}", planned.draft.slug),
                        );
                    }
                    Err(e) => self.fail(planned.row, "report_title", e),
                },
            }
        }
        for planned in &plan.recommendations {
            let key = (planned.report.to_string(), planned.number);
            match existing.recommendations.get(&key) {
                Some((id, title, issued_on, _)) => {
                    if let Some(draft) = &planned.draft
                        && (draft.title != *title || draft.issued_on != *issued_on)
                    {
                        self.errors.push(RowError::cell(
                            planned.row,
                            "title",
                            format!(
                                "recommendation {} of `{}` is in rectrack with another title or issue day; an import does not change a recommendation",
                                planned.number, planned.report
                            ),
                        ));
                    }
                    for (recipient, row) in &planned.recipients {
                        if !existing
                            .assignments
                            .contains_key(&(*id, recipient.to_string()))
                        {
                            self.errors.push(RowError::cell(
                                *row,
                                "recipient",
                                format!(
                                    "recommendation {} of `{}` is in rectrack without recipient `{recipient}`; recipients cannot be added to a recommendation",
                                    planned.number, planned.report
                                ),
                            ));
                        }
                    }
                }
                None => {
                    let Some(draft) = &planned.draft else {
                        self.errors.push(RowError::cell(
                            planned.row,
                            "title",
                            format!(
                                "recommendation {} of `{}` is not in rectrack: give its title, body and issued_on on a row to create it",
                                planned.number, planned.report
                            ),
                        ));
                        continue;
                    };
                    match store
                        .create_recommendation(
                            &Ctx::new(self.principal),
                            planned.report.as_str(),
                            draft,
                        )
                        .await
                    {
                        Ok(Written::Fresh(view)) => {
                            self.records_created += 1;
                            let assignments = view
                                .assignments
                                .iter()
                                .map(|r| (r.assignment.organisation.to_string(), r.assignment.id))
                                .collect();
                            self.created
                                .insert(key, (view.recommendation.id, assignments));
                            self.note(
                                planned.row,
                                format!(
                                    "created recommendation {} of {}",
                                    planned.number, planned.report
                                ),
                            );
                        }
                        Ok(Written::Replayed(_)) => {}
                        Err(e) => self.fail(planned.row, "title", e),
                    }
                }
            }
        }
        for planned in &plan.assignments {
            self.history(store, planned, existing).await;
        }
        for planned in &plan.withdrawals {
            let key = (planned.report.to_string(), planned.number);
            let id = match (existing.recommendations.get(&key), self.created.get(&key)) {
                (Some((_, _, _, true)), _) => continue,
                (Some((id, ..)), _) => RecommendationId::from_uuid(*id),
                (None, Some((id, _))) => *id,
                (None, None) => continue,
            };
            match store
                .withdraw_recommendation(
                    &Ctx::new(self.principal),
                    id,
                    &planned.draft,
                    &planned.occurred,
                )
                .await
            {
                Ok(_) => {
                    self.facts_recorded += 1;
                    self.mark(planned.row, "changed");
                    self.note(planned.row, "withdrew the recommendation".to_owned());
                }
                Err(e) => self.fail(planned.row, "withdrawal_reason", e),
            }
        }
    }

    /// Gives one assignment the steps of its row it has not yet taken.
    async fn history(&mut self, store: &Store, planned: &PlannedAssignment, existing: &Existing) {
        let key = (planned.report.to_string(), planned.number);
        let recipient = planned.recipient.to_string();
        // An assignment created now takes every step; one that exists has
        // taken those up to the last point of the row's history at which it
        // stood where it stands.
        let (id, status, progress, mut version) =
            if let Some((_, assignments)) = self.created.get(&key) {
                let Some(id) = assignments
                    .iter()
                    .find(|(org, _)| *org == recipient)
                    .map(|(_, id)| *id)
                else {
                    return;
                };
                self.mark(planned.row, "created");
                (
                    id,
                    AssignmentStatus::AwaitingResponse,
                    Progress::Taken(0),
                    None,
                )
            } else {
                let Some((recommendation, ..)) = existing.recommendations.get(&key) else {
                    return;
                };
                let Some((id, status, version)) = existing
                    .assignments
                    .get(&(*recommendation, recipient.clone()))
                else {
                    return;
                };
                (
                    *id,
                    *status,
                    progress(&planned.steps, *status),
                    Some(*version),
                )
            };
        let taken = match progress {
            Progress::Taken(taken) => taken,
            Progress::MovedOn if planned.steps.is_empty() => return,
            Progress::MovedOn => {
                self.note(
                    planned.row,
                    format!(
                        "left alone: the record has moved on past this row (it is {})",
                        wire(&status)
                    ),
                );
                return;
            }
            Progress::Diverged => {
                let path = statuses(&planned.steps)
                    .unwrap_or_default()
                    .iter()
                    .map(wire)
                    .collect::<Vec<_>>()
                    .join(" → ");
                self.errors.push(RowError::cell(
                planned.row,
                "recipient",
                format!(
                    "the assignment is {} in rectrack, which this row's history ({path}) never reaches; an import does not rewrite a record",
                    wire(&status)
                ),
            ));
                return;
            }
        };
        let mut milestones = HashMap::new();
        for step in &planned.steps[taken..] {
            match self.step(store, id, version, step, &mut milestones).await {
                Ok((done, facts)) => {
                    self.facts_recorded += facts;
                    self.mark(planned.row, "changed");
                    self.note(planned.row, done);
                    // Each step moves the version on; the next expects it.
                    version = None;
                }
                Err(e) => {
                    self.fail(step.row().unwrap_or(planned.row), step.column(), e);
                    return;
                }
            }
        }
    }

    /// Takes one step; `milestones` maps the rows of milestones planned in
    /// this import to their ids.
    async fn step(
        &self,
        store: &Store,
        id: AssignmentId,
        version: Option<i64>,
        step: &Step,
        milestones: &mut HashMap<usize, MilestoneId>,
    ) -> Result<(String, usize)> {
        let on = |occurred: &rectrack_core::occurrence::OccurrenceDraft| {
            occurred
                .occurred_on
                .map(|d| d.to_string())
                .unwrap_or_default()
        };
        match step {
            Step::Extend(draft, requested, occurred) => {
                let request = store
                    .request_extension(&Ctx::new(self.principal), id, version, draft, requested)
                    .await?
                    .fresh()
                    .ok_or(Error::Misuse("an import step was replayed"))?;
                let decision = ExtensionDecisionDraft {
                    granted: true,
                    comment: None,
                };
                store
                    .decide_extension(
                        &Ctx::new(self.principal),
                        id,
                        request.id,
                        None,
                        &decision,
                        occurred,
                    )
                    .await?;
                Ok((
                    format!(
                        "extension to {} granted ({})",
                        draft.requested_due_on,
                        on(occurred)
                    ),
                    2,
                ))
            }
            Step::Respond(draft, occurred) | Step::Revise(draft, occurred) => {
                store
                    .respond(&Ctx::new(self.principal), id, version, draft, occurred)
                    .await?;
                let what = if matches!(step, Step::Revise(..)) {
                    "response revised to"
                } else {
                    "response"
                };
                Ok((
                    format!("{what} {} ({})", wire(&draft.decision), on(occurred)),
                    1,
                ))
            }
            Step::PlanMilestone {
                row,
                draft,
                occurred,
            } => {
                let milestone = store
                    .add_milestone(&Ctx::new(self.principal), id, version, draft, occurred)
                    .await?
                    .fresh()
                    .ok_or(Error::Misuse("an import step was replayed"))?;
                milestones.insert(*row, milestone.id);
                Ok((
                    format!("milestone \"{}\" planned ({})", draft.title, on(occurred)),
                    1,
                ))
            }
            Step::ChangeMilestone {
                row,
                title,
                from,
                to,
                occurred,
            } => {
                let milestone = match milestones.get(row) {
                    Some(milestone) => *milestone,
                    // Planned by an earlier import of the file.
                    None => store
                        .milestones(id)
                        .await?
                        .into_iter()
                        .find(|m| m.title.as_str() == title.as_str() && m.status == *from)
                        .map(|m| m.id)
                        .ok_or_else(|| {
                            Error::Conflict(format!(
                                "the assignment has no {} milestone \"{title}\" to change",
                                wire(from)
                            ))
                        })?,
                };
                let change = MilestoneChange {
                    status: Some(*to),
                    completed_on: (*to == MilestoneStatus::Done)
                        .then_some(occurred.occurred_on)
                        .flatten(),
                    ..MilestoneChange::default()
                };
                store
                    .change_milestone(
                        &Ctx::new(self.principal),
                        id,
                        milestone,
                        None,
                        &change,
                        occurred,
                    )
                    .await?;
                Ok((
                    format!("milestone \"{title}\" {} ({})", wire(to), on(occurred)),
                    1,
                ))
            }
            Step::PostUpdate(narrative, occurred) => {
                let draft = UpdateDraft {
                    narrative: narrative.clone(),
                    milestone_ids: Vec::new(),
                    evidence_ids: Vec::new(),
                };
                store
                    .post_update(&Ctx::new(self.principal), id, version, &draft, occurred)
                    .await?;
                Ok((format!("progress update ({})", on(occurred)), 1))
            }
            Step::Claim {
                summary,
                evidence,
                occurred,
            } => {
                let item = store
                    .add_evidence_on_record(&Ctx::new(self.principal), id, version, evidence)
                    .await?
                    .fresh()
                    .ok_or(Error::Misuse("an import step was replayed"))?;
                let draft = ClaimDraft {
                    summary: summary.clone(),
                    evidence_ids: vec![item.id],
                };
                store
                    .claim(&Ctx::new(self.principal), id, None, &draft, occurred)
                    .await?;
                Ok((format!("evidence and claim ({})", on(occurred)), 2))
            }
            Step::Review(draft, occurred) => {
                store
                    .review(&Ctx::new(self.principal), id, version, draft, occurred)
                    .await?;
                Ok((
                    format!("review {} ({})", wire(&draft.outcome), on(occurred)),
                    1,
                ))
            }
        }
    }

    fn report(self, sha256: &str, dry_run: bool) -> ImportReport {
        let count = |which: &str| self.outcomes.values().filter(|(o, _)| *o == which).count();
        let (created, changed, left_alone) =
            (count("created"), count("changed"), count("left_alone"));
        let mut errors = self.errors;
        errors.sort_by_key(|e| e.row);
        ImportReport {
            sha256: sha256.to_owned(),
            dry_run,
            rows: self.outcomes.len(),
            created,
            changed,
            left_alone,
            records_created: self.records_created,
            facts_recorded: self.facts_recorded,
            results: self
                .outcomes
                .into_iter()
                .map(|(row, (outcome, done))| RowOutcome { row, outcome, done })
                .collect(),
            errors,
            recorded: self.recorded,
        }
    }
}
