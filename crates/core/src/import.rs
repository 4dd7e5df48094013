//! Importing a record kept elsewhere: one table, one row per recommendation
//! per recipient (`docs/import.md`), read into a [`Plan`] of the commands
//! the API would take — create the organisations, reports and
//! recommendations that are missing, then give each assignment its history
//! as backfills. Nothing here writes a status: each step is a lifecycle
//! command, and [`Plan::parse`] refuses a row whose steps the lifecycle
//! would not allow, in an order that cannot have happened.
//!
//! Reading the file (CSV or XLSX) into a [`Table`] is the caller's; every
//! rule about what the table may hold is here.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::assignment::AssignmentStatus;
use crate::deadline::ExtensionDraft;
use crate::evidence::EvidenceDraft;
use crate::lifecycle::{self, Command};
use crate::milestone::{MilestoneDraft, MilestoneStatus};
use crate::occurrence::{NotBefore, OccurrenceDraft, SourceDraft};
use crate::organisation::{OrgCode, OrganisationDraft, OrganisationKind};
use crate::recommendation::{LegalBasis, RecommendationDraft};
use crate::report::ReportDraft;
use crate::response::ResponseDraft;
use crate::review::{ReviewDraft, ReviewOutcome, WithdrawalDraft};
use crate::role::Principal;
use crate::text::Slug;

/// The most assignments' rows a file may hold (its milestones' rows aside).
pub const MAX_ROWS: usize = 100_000;

/// The most data rows a file may hold in all, milestones' rows included.
pub const MAX_LINES: usize = 1_000_000;

/// The largest file the API accepts, in bytes (25 MiB).
pub const MAX_BYTES: u64 = 25 * 1024 * 1024;

/// The columns every file must have.
pub const REQUIRED: [&str; 3] = ["report", "number", "recipient"];

/// Every column, in the order an export writes them.
pub const COLUMNS: [&str; 70] = [
    "report",
    "number",
    "recipient",
    "recipient_name",
    "recipient_kind",
    "report_title",
    "report_issued_by",
    "report_issued_by_name",
    "report_published_on",
    "report_url",
    "report_summary",
    "title",
    "body",
    "themes",
    "issued_on",
    "response_due_on",
    "legal_basis",
    "extension_due_on",
    "extension_reason",
    "extension_requested_on",
    "extension_on",
    "extension_precision",
    "extension_source",
    "extension_source_url",
    "response_decision",
    "response_rationale",
    "response_planned_completion_on",
    "response_on",
    "response_precision",
    "response_source",
    "response_source_url",
    "revision_decision",
    "revision_rationale",
    "revision_planned_completion_on",
    "revision_on",
    "revision_precision",
    "revision_source",
    "revision_source_url",
    "progress_narrative",
    "progress_on",
    "progress_precision",
    "progress_source",
    "progress_source_url",
    "claim_summary",
    "claim_evidence",
    "claim_evidence_url",
    "claim_on",
    "claim_precision",
    "claim_source",
    "claim_source_url",
    "review_outcome",
    "review_comment",
    "review_on",
    "review_precision",
    "review_source",
    "review_source_url",
    "withdrawal_reason",
    "withdrawal_on",
    "withdrawal_precision",
    "withdrawal_source",
    "withdrawal_source_url",
    "milestone_title",
    "milestone_due_on",
    "milestone_status",
    "milestone_on",
    "milestone_precision",
    "milestone_source",
    "milestone_source_url",
    "milestone_started_on",
    "milestone_ended_on",
];

/// Whether a milestone's row may give `column`: it names its assignment and
/// gives the milestone's columns.
fn of_milestone_row(column: &str) -> bool {
    REQUIRED.contains(&column) || column.starts_with("milestone_")
}

fn all_columns() -> impl Iterator<Item = &'static str> {
    COLUMNS.into_iter()
}

/// What a file held: its header and its data rows, every cell as text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    /// The header row's cells.
    pub columns: Vec<String>,
    /// The data rows; the first is row 2 of the file.
    pub rows: Vec<Vec<String>>,
}

/// Something wrong with one cell, row or the whole file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// The row, counted as a spreadsheet does: the header is row 1.
    pub row: usize,
    /// The column, if one cell is at fault.
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl RowError {
    /// An error in `column` of `row`.
    pub fn cell(row: usize, column: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            row,
            column: Some(column.into()),
            message: message.into(),
        }
    }
}

/// One step of an assignment's history, as the API would take it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A later due day for the response, asked for (the first occurrence)
    /// and granted (the second).
    Extend(ExtensionDraft, OccurrenceDraft, OccurrenceDraft),
    /// The recipient's response.
    Respond(ResponseDraft, OccurrenceDraft),
    /// The response revised.
    Revise(ResponseDraft, OccurrenceDraft),
    /// A progress update.
    PostUpdate(String, OccurrenceDraft),
    /// A claim of implementation citing one item of evidence (a statement or
    /// a link), added just before it.
    Claim {
        /// What was done.
        summary: String,
        /// The evidence it cites.
        evidence: EvidenceDraft,
        /// When it was claimed.
        occurred: OccurrenceDraft,
    },
    /// The overseer's conclusion on a claim (verified or returned), or a
    /// closure as not implemented.
    Review(ReviewDraft, OccurrenceDraft),
    /// A milestone planned, as its own row gives it.
    PlanMilestone {
        /// The milestone's row, which names it in later steps.
        row: usize,
        /// What and by when.
        draft: MilestoneDraft,
        /// When it was planned.
        occurred: OccurrenceDraft,
    },
    /// A milestone started, done or dropped.
    ChangeMilestone {
        /// The milestone's row.
        row: usize,
        /// Its title, to find a milestone planned by an earlier import.
        title: String,
        /// The status it had.
        from: MilestoneStatus,
        /// The status it takes.
        to: MilestoneStatus,
        /// When.
        occurred: OccurrenceDraft,
    },
}

impl Step {
    /// The lifecycle command the step gives.
    pub fn command(&self) -> Command {
        match self {
            Self::Extend(..) => Command::RequestExtension,
            Self::Respond(draft, _) | Self::Revise(draft, _) => Command::Respond(draft.decision),
            Self::PostUpdate(..) => Command::PostUpdate,
            Self::Claim { .. } => Command::Claim,
            Self::Review(draft, _) => Command::Review(draft.outcome),
            Self::PlanMilestone { .. } => Command::PlanMilestone,
            Self::ChangeMilestone { to, .. } => match to {
                MilestoneStatus::InProgress | MilestoneStatus::Done => Command::StartMilestone,
                MilestoneStatus::Planned | MilestoneStatus::Dropped => Command::PlanMilestone,
            },
        }
    }

    /// When it happened.
    pub fn occurred(&self) -> &OccurrenceDraft {
        match self {
            Self::Extend(_, _, occurred)
            | Self::Respond(_, occurred)
            | Self::Revise(_, occurred)
            | Self::PostUpdate(_, occurred)
            | Self::Review(_, occurred)
            | Self::Claim { occurred, .. }
            | Self::PlanMilestone { occurred, .. }
            | Self::ChangeMilestone { occurred, .. } => occurred,
        }
    }

    /// The column group it was read from.
    pub fn group(&self) -> &'static str {
        match self {
            Self::Extend(..) => "extension",
            Self::Respond(..) => "response",
            Self::Revise(..) => "revision",
            Self::PostUpdate(..) => "progress",
            Self::Claim { .. } => "claim",
            Self::Review(..) => "review",
            Self::PlanMilestone { .. } | Self::ChangeMilestone { .. } => "milestone",
        }
    }

    /// The column an error in the step is reported against: the step's
    /// first.
    pub fn column(&self) -> &'static str {
        match self {
            Self::Extend(..) => "extension_due_on",
            Self::Respond(..) => "response_decision",
            Self::Revise(..) => "revision_decision",
            Self::PostUpdate(..) => "progress_narrative",
            Self::Claim { .. } => "claim_summary",
            Self::Review(..) => "review_outcome",
            Self::PlanMilestone { .. } => "milestone_title",
            Self::ChangeMilestone { .. } => "milestone_status",
        }
    }

    /// The column of its day.
    fn day_column(&self) -> &'static str {
        match self {
            Self::ChangeMilestone {
                to: MilestoneStatus::InProgress,
                ..
            } => "milestone_started_on",
            Self::ChangeMilestone { .. } => "milestone_ended_on",
            other => group_columns(other.group())[0],
        }
    }

    /// The row it was read from, when that is a milestone's own row rather
    /// than its assignment's.
    pub fn row(&self) -> Option<usize> {
        match self {
            Self::PlanMilestone { row, .. } | Self::ChangeMilestone { row, .. } => Some(*row),
            _ => None,
        }
    }
}

/// A thing to create, with the first row that describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned<T> {
    /// The first row describing it.
    pub row: usize,
    /// What to create, if it is missing.
    pub draft: T,
}

/// A recommendation the file names: what to create if it is missing (if
/// the file describes it), and its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRecommendation {
    /// The first row naming it.
    pub row: usize,
    /// Its report.
    pub report: Slug,
    /// Its number.
    pub number: u32,
    /// Its content, with every recipient the file names, if the file
    /// describes it (a `title`).
    pub draft: Option<RecommendationDraft>,
    /// The recipients the file names, each with its row, in row order.
    pub recipients: Vec<(OrgCode, usize)>,
}

/// One assignment's history, as one row gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedAssignment {
    /// The row.
    pub row: usize,
    /// The report.
    pub report: Slug,
    /// The recommendation's number.
    pub number: u32,
    /// The recipient.
    pub recipient: OrgCode,
    /// The history, in the order it happened.
    pub steps: Vec<Step>,
}

/// A recommendation's withdrawal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedWithdrawal {
    /// The first row giving it.
    pub row: usize,
    /// The report.
    pub report: Slug,
    /// The recommendation's number.
    pub number: u32,
    /// Why.
    pub draft: WithdrawalDraft,
    /// When.
    pub occurred: OccurrenceDraft,
}

/// What a file asks for, in the order it is to be done: organisations,
/// reports, recommendations, each assignment's history, then withdrawals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// How many data rows the file held.
    pub rows: usize,
    /// Organisations the file describes (with a name).
    pub organisations: Vec<Planned<OrganisationDraft>>,
    /// Reports the file describes (with a title).
    pub reports: Vec<Planned<ReportDraft>>,
    /// Every recommendation the file names.
    pub recommendations: Vec<PlannedRecommendation>,
    /// Every row's assignment.
    pub assignments: Vec<PlannedAssignment>,
    /// Withdrawals.
    pub withdrawals: Vec<PlannedWithdrawal>,
}

/// The status after each step of `steps`, from awaiting a response: the
/// first is `awaiting_response`, the last the status the row ends in.
/// `None` if the lifecycle refuses a step.
pub fn statuses(steps: &[Step]) -> Option<Vec<AssignmentStatus>> {
    let mut status = AssignmentStatus::AwaitingResponse;
    let mut all = vec![status];
    for step in steps {
        status = lifecycle::decide_backfill(status, &Principal::Console, step.command())
            .ok()?
            .to;
        all.push(status);
    }
    Some(all)
}

/// Where an assignment stands against its row's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// It has taken this many of the row's steps; the rest are to be taken.
    Taken(usize),
    /// It has moved on past the row's last step (a later status the
    /// lifecycle can reach from there): the row is left alone.
    MovedOn,
    /// It stands where the row's history cannot lead: an import does not
    /// rewrite a record.
    Diverged,
}

/// Where an assignment standing in `current` is against `steps`: the last
/// point of the row's history at which it stood in that status, else
/// whether it has gone on from the row's end.
pub fn progress(steps: &[Step], current: AssignmentStatus) -> Progress {
    let Some(path) = statuses(steps) else {
        return Progress::Diverged;
    };
    if let Some(taken) = path.iter().rposition(|status| *status == current) {
        return Progress::Taken(taken);
    }
    let last = path
        .last()
        .copied()
        .unwrap_or(AssignmentStatus::AwaitingResponse);
    if reachable(last, current) {
        Progress::MovedOn
    } else {
        Progress::Diverged
    }
}

/// Whether the lifecycle can lead from `from` to `to`.
pub fn reachable(from: AssignmentStatus, to: AssignmentStatus) -> bool {
    let mut seen = vec![from];
    let mut next = 0;
    while let Some(status) = seen.get(next).copied() {
        next += 1;
        for row in lifecycle::allowed_from(status) {
            if !seen.contains(&row.to) {
                seen.push(row.to);
            }
        }
    }
    seen.contains(&to)
}

impl Plan {
    /// Reads `table` as recorded on `today`, reporting every error of every
    /// row: unknown or missing columns, cells that are not what their
    /// column holds, rows that contradict one another, and histories the
    /// lifecycle would not allow or whose days are out of order.
    pub fn parse(table: &Table, today: NaiveDate) -> Result<Self, Vec<RowError>> {
        let mut errors = Vec::new();
        let columns = header(&table.columns, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        if table.rows.is_empty() {
            return Err(vec![RowError {
                row: 1,
                column: None,
                message: "the file has a header but no rows".to_owned(),
            }]);
        }
        let milestone = columns.get("milestone_title").copied();
        let mut assignments = 0;
        for (i, cells) in table.rows.iter().enumerate() {
            let blank = cells.iter().all(|cell| cell.trim().is_empty());
            let of_milestone = milestone
                .and_then(|m| cells.get(m))
                .is_some_and(|cell| !cell.trim().is_empty());
            if !blank && !of_milestone {
                assignments += 1;
            }
            if assignments > MAX_ROWS {
                return Err(vec![RowError {
                    row: i + 2,
                    column: None,
                    message: format!(
                        "the file has more than {MAX_ROWS} assignments' rows; at most {MAX_ROWS} are imported at once: split it"
                    ),
                }]);
            }
        }
        let mut builder = Builder::default();
        for (i, cells) in table.rows.iter().enumerate() {
            let mut row = Row {
                number: i + 2,
                cells,
                columns: &columns,
                errors: &mut errors,
            };
            if cells.iter().all(|cell| cell.trim().is_empty()) {
                continue;
            }
            if cells.len() > columns.len() {
                row.error(None, "has more cells than the header has columns");
                continue;
            }
            builder.add(&mut row, today);
        }
        let plan = builder.finish(table.rows.len(), today, &mut errors);
        if errors.is_empty() {
            Ok(plan)
        } else {
            errors.sort_by_key(|e| e.row);
            Err(errors)
        }
    }
}

/// Checks the header: every column known, none twice, the required ones
/// present. Returns each column's index by name.
fn header(columns: &[String], errors: &mut Vec<RowError>) -> BTreeMap<&'static str, usize> {
    let mut known = BTreeMap::new();
    for (i, raw) in columns.iter().enumerate() {
        let name = raw.trim();
        match all_columns().find(|c| *c == name) {
            None if name.is_empty() => {
                errors.push(RowError::cell(
                    1,
                    format!("#{}", i + 1),
                    "a column has no name",
                ));
            }
            None => errors.push(RowError::cell(
                1,
                name,
                "is not a column of the import format (docs/import.md)",
            )),
            Some(column) => {
                if known.insert(column, i).is_some() {
                    errors.push(RowError::cell(1, name, "is given twice"));
                }
            }
        }
    }
    let missing: Vec<_> = REQUIRED
        .iter()
        .filter(|c| !known.contains_key(*c))
        .copied()
        .collect();
    if !missing.is_empty() {
        errors.push(RowError {
            row: 1,
            column: None,
            message: format!(
                "the header lacks the required column(s) {}: the first row must name the columns",
                missing.join(", ")
            ),
        });
    }
    known
}

/// One data row being read, collecting its errors.
struct Row<'a> {
    number: usize,
    cells: &'a [String],
    columns: &'a BTreeMap<&'static str, usize>,
    errors: &'a mut Vec<RowError>,
}

impl Row<'_> {
    fn error(&mut self, column: Option<&str>, message: impl Into<String>) {
        self.errors.push(RowError {
            row: self.number,
            column: column.map(ToOwned::to_owned),
            message: message.into(),
        });
    }

    /// The cell's text, `None` when empty. A cell starting `=` is refused as
    /// a formula; a leading `'` that neutralised a formula-looking cell in an
    /// export is removed.
    fn text(&mut self, column: &'static str) -> Option<String> {
        let raw = self.raw(column);
        if raw.trim().is_empty() {
            return None;
        }
        if raw.starts_with('=') {
            self.error(
                Some(column),
                "looks like a formula; rectrack imports text, not formulas (write '= to begin a text with =)",
            );
            return None;
        }
        match raw.strip_prefix('\'') {
            Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => {
                Some(rest.to_owned())
            }
            _ => Some(raw.to_owned()),
        }
    }

    /// The cell as the file has it (empty when the column is absent).
    fn raw(&self, column: &str) -> &str {
        self.columns
            .get(column)
            .and_then(|i| self.cells.get(*i))
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// The cell read by `parse`; errors are reported against the column.
    fn parsed<T>(
        &mut self,
        column: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let raw = self.text(column)?;
        match parse(raw.trim()) {
            Ok(value) => Some(value),
            Err(message) => {
                self.error(Some(column), message);
                None
            }
        }
    }

    fn required<T>(
        &mut self,
        column: &'static str,
        because: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        // Only an empty cell is missing: a formula there is reported as
        // that, once.
        if self.raw(column).trim().is_empty() {
            self.error(Some(column), format!("is required {because}"));
            return None;
        }
        self.parsed(column, parse)
    }

    fn day(&mut self, column: &'static str) -> Option<NaiveDate> {
        self.parsed(column, parse_day)
    }

    /// When a step happened: its `_on`, `_precision` and `_source` cells.
    fn occurred(&mut self, group: &'static str, columns: [&'static str; 4]) -> OccurrenceDraft {
        let [on, precision, source, url] = columns;
        let occurred_on = self.required(on, &format!("when a {group} is given"), parse_day);
        let occurred_on_precision = self.parsed(precision, wire_name);
        let text = self.text(source);
        let link = self.text(url);
        OccurrenceDraft {
            occurred_on,
            occurred_on_precision,
            source: (text.is_some() || link.is_some()).then_some(SourceDraft { text, url: link }),
            on_record: true,
        }
    }
}

fn parse_number(raw: &str) -> Result<u32, String> {
    raw.parse::<u32>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| format!("`{raw}` is not a recommendation number (1, 2, …)"))
}

fn parse_day(raw: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| format!("`{raw}` is not a day written YYYY-MM-DD"))
}

/// Reads an enumeration by its wire name (`accepted`, `on_or_before`).
fn wire_name<T: DeserializeOwned>(raw: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(raw.to_owned()))
        .map_err(|_| format!("`{raw}` is not one of the values this column takes (docs/import.md)"))
}

/// The column `{group}_{suffix}` of the format, if there is one.
fn column_named(group: &str, suffix: &str) -> Option<&'static str> {
    all_columns().find(|c| c.strip_prefix(group).and_then(|s| s.strip_prefix('_')) == Some(suffix))
}

/// The columns of one step group.
fn group_columns(group: &'static str) -> [&'static str; 4] {
    ["on", "precision", "source", "source_url"]
        .map(|suffix| column_named(group, suffix).unwrap_or(group))
}

#[derive(Default)]
struct Builder {
    organisations: Vec<Planned<OrganisationDraft>>,
    reports: Vec<Planned<ReportDraft>>,
    recommendations: Vec<PlannedRecommendation>,
    assignments: Vec<PlannedAssignment>,
    withdrawals: Vec<PlannedWithdrawal>,
    milestones: Vec<MilestoneRow>,
    // Where each thing is in its list, so that a file of 100,000 rows is
    // read in time proportional to its rows.
    organisation_at: HashMap<String, usize>,
    report_at: HashMap<String, usize>,
    recommendation_at: HashMap<(Slug, u32), usize>,
    assignment_at: HashMap<(Slug, u32, OrgCode), usize>,
    withdrawal_at: HashMap<(Slug, u32), usize>,
}

/// A milestone's row, read: its assignment and its steps.
struct MilestoneRow {
    row: usize,
    report: Slug,
    number: u32,
    recipient: OrgCode,
    steps: Vec<Step>,
}

impl Builder {
    fn add(&mut self, row: &mut Row<'_>, today: NaiveDate) {
        if !row.raw("milestone_title").trim().is_empty() {
            self.add_milestone(row, today);
            return;
        }
        let stray: Vec<&'static str> = row
            .columns
            .keys()
            .copied()
            .filter(|c| c.starts_with("milestone_") && !row.raw(c).trim().is_empty())
            .collect();
        for column in stray {
            row.error(Some(column), "is given without a milestone_title");
        }
        let report = row.required("report", "on every row", Slug::parse);
        let number = row.required("number", "on every row", parse_number);
        let recipient = row.required("recipient", "on every row", OrgCode::parse);
        // The recipient, described.
        if let Some(name) = row.text("recipient_name") {
            let kind = row
                .parsed("recipient_kind", wire_name::<OrganisationKind>)
                .unwrap_or(OrganisationKind::Other);
            if let Some(code) = &recipient {
                self.organisation(row, code.to_string(), name, kind, "recipient_name");
            }
        }
        // The report, described.
        let title = row.text("report_title");
        let issued_by = row.text("report_issued_by");
        if let Some(name) = row.text("report_issued_by_name")
            && let Some(code) = &issued_by
        {
            let code = code.trim().to_owned();
            self.organisation(
                row,
                code,
                name,
                OrganisationKind::OversightBody,
                "report_issued_by_name",
            );
        }
        if let (Some(title), Some(slug)) = (title, &report) {
            let because = "when report_title is given";
            let issued_by = row.required("report_issued_by", because, |s| Ok(s.to_owned()));
            let published_on = row.required("report_published_on", because, parse_day);
            let url = row.text("report_url");
            let summary = row.text("report_summary");
            if let (Some(issued_by), Some(published_on)) = (issued_by, published_on) {
                let draft = ReportDraft {
                    slug: slug.to_string(),
                    title,
                    issued_by,
                    published_on,
                    url,
                    summary,
                };
                match draft.parse() {
                    Err(nested) => report_nested(row, "report_", &nested),
                    Ok(_) => self.report(row, draft),
                }
            }
        }
        // The recommendation.
        let content = self.recommendation_content(row);
        let issued_on = content.as_ref().map(|c| c.issued_on);
        let (Some(report), Some(number), Some(recipient)) = (report, number, recipient) else {
            return;
        };
        self.recommendation(row, &report, number, &recipient, content);
        // The history.
        let steps = history(row, issued_on);
        if let Some(withdrawal) = withdrawal(row, today) {
            self.withdrawal(row, &report, number, withdrawal);
        }
        let key = (report.clone(), number, recipient.clone());
        if self.assignment_at.contains_key(&key) {
            row.error(
                Some("recipient"),
                format!("recommendation {number} of `{report}` to `{recipient}` is on an earlier row too"),
            );
            return;
        }
        self.assignment_at.insert(key, self.assignments.len());
        self.assignments.push(PlannedAssignment {
            row: row.number,
            report,
            number,
            recipient,
            steps,
        });
    }

    /// A milestone's own row: its assignment, what and by when, when it was
    /// planned, and when it started and ended, if it did.
    fn add_milestone(&mut self, row: &mut Row<'_>, today: NaiveDate) {
        let extra: Vec<&'static str> = row
            .columns
            .keys()
            .copied()
            .filter(|c| !of_milestone_row(c) && !row.raw(c).trim().is_empty())
            .collect();
        for column in extra {
            row.error(
                Some(column),
                "a milestone's row gives only its assignment (report, number, recipient) and milestone_ columns; the assignment's history goes on its own row",
            );
        }
        let report = row.required("report", "on every row", Slug::parse);
        let number = row.required("number", "on every row", parse_number);
        let recipient = row.required("recipient", "on every row", OrgCode::parse);
        let title = row.text("milestone_title").unwrap_or_default();
        let due_on = row.required("milestone_due_on", "when a milestone is given", parse_day);
        let status = row
            .parsed("milestone_status", wire_name::<MilestoneStatus>)
            .unwrap_or(MilestoneStatus::Planned);
        let planned = row.occurred("milestone", group_columns("milestone"));
        let started = row.day("milestone_started_on");
        let ended = row.day("milestone_ended_on");
        if let Some(due_on) = due_on {
            let draft = MilestoneDraft {
                title: title.clone(),
                due_on,
            };
            if let Err(nested) = draft.parse(crate::time::FIRST_DAY) {
                report_nested(row, "milestone_", &nested);
            }
        }
        match status {
            MilestoneStatus::Planned if started.is_some() => row.error(
                Some("milestone_started_on"),
                "a planned milestone has not started: give milestone_status in_progress or done",
            ),
            MilestoneStatus::InProgress if started.is_none() => row.error(
                Some("milestone_started_on"),
                "is required when the milestone is in_progress",
            ),
            MilestoneStatus::Dropped | MilestoneStatus::Done if ended.is_none() => row.error(
                Some("milestone_ended_on"),
                "is required when the milestone is done or dropped",
            ),
            MilestoneStatus::Planned | MilestoneStatus::InProgress if ended.is_some() => row.error(
                Some("milestone_ended_on"),
                "is given only when the milestone is done or dropped",
            ),
            _ => {}
        }
        let mut last = planned.occurred_on;
        for (column, day) in [
            ("milestone_started_on", started),
            ("milestone_ended_on", ended),
        ] {
            if let Some(day) = day {
                if day > today {
                    row.error(
                        Some(column),
                        format!("must not be in the future (today is {today})"),
                    );
                }
                if last.is_some_and(|before| day < before) {
                    row.error(
                        Some(column),
                        "must not be before the milestone was planned or started",
                    );
                }
                last = Some(day);
            }
        }
        let (Some(report), Some(number), Some(recipient), Some(due_on)) =
            (report, number, recipient, due_on)
        else {
            return;
        };
        let at = |day: NaiveDate| OccurrenceDraft {
            occurred_on: Some(day),
            ..planned.clone()
        };
        let mut steps = vec![Step::PlanMilestone {
            row: row.number,
            draft: MilestoneDraft {
                title: title.clone(),
                due_on,
            },
            occurred: planned.clone(),
        }];
        let mut from = MilestoneStatus::Planned;
        if let Some(day) = started {
            steps.push(Step::ChangeMilestone {
                row: row.number,
                title: title.clone(),
                from,
                to: MilestoneStatus::InProgress,
                occurred: at(day),
            });
            from = MilestoneStatus::InProgress;
        }
        if let Some(day) = ended
            && !status.is_open()
        {
            steps.push(Step::ChangeMilestone {
                row: row.number,
                title,
                from,
                to: status,
                occurred: at(day),
            });
        }
        self.milestones.push(MilestoneRow {
            row: row.number,
            report,
            number,
            recipient,
            steps,
        });
    }

    fn organisation(
        &mut self,
        row: &mut Row<'_>,
        code: String,
        name: String,
        kind: OrganisationKind,
        column: &'static str,
    ) {
        let draft = OrganisationDraft { code, name, kind };
        if let Err(nested) = draft.parse() {
            for e in nested.errors() {
                row.error(Some(column), format!("{}: {}", e.field, e.message));
            }
            return;
        }
        match self
            .organisation_at
            .get(&draft.code)
            .and_then(|i| self.organisations.get(*i))
        {
            Some(earlier) if earlier.draft != draft => row.error(
                Some(column),
                format!(
                    "describes organisation `{}` otherwise than row {} does",
                    draft.code, earlier.row
                ),
            ),
            Some(_) => {}
            None => {
                self.organisation_at
                    .insert(draft.code.clone(), self.organisations.len());
                self.organisations.push(Planned {
                    row: row.number,
                    draft,
                });
            }
        }
    }

    fn report(&mut self, row: &mut Row<'_>, draft: ReportDraft) {
        match self
            .report_at
            .get(&draft.slug)
            .and_then(|i| self.reports.get(*i))
        {
            Some(earlier) if earlier.draft != draft => row.error(
                Some("report_title"),
                format!(
                    "describes report `{}` otherwise than row {} does",
                    draft.slug, earlier.row
                ),
            ),
            Some(_) => {}
            None => {
                self.report_at
                    .insert(draft.slug.clone(), self.reports.len());
                self.reports.push(Planned {
                    row: row.number,
                    draft,
                });
            }
        }
    }

    /// The recommendation's own columns, if the row describes it (a title).
    fn recommendation_content(&mut self, row: &mut Row<'_>) -> Option<RecommendationDraft> {
        let title = row.text("title")?;
        let because = "when title is given";
        let body = row.required("body", because, |s| Ok(s.to_owned()));
        let issued_on = row.required("issued_on", because, parse_day);
        let response_due_on = row.day("response_due_on");
        let legal_basis = row.parsed("legal_basis", wire_name::<LegalBasis>);
        let themes = row
            .text("themes")
            .map(|raw| {
                raw.split(';')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(ToOwned::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Some(RecommendationDraft {
            number: 0,
            title,
            body: body?,
            themes,
            recipients: Vec::new(),
            issued_on: issued_on?,
            response_due_on,
            legal_basis,
        })
    }

    fn recommendation(
        &mut self,
        row: &mut Row<'_>,
        report: &Slug,
        number: u32,
        recipient: &OrgCode,
        content: Option<RecommendationDraft>,
    ) {
        let content = content.map(|draft| RecommendationDraft {
            number: i64::from(number),
            recipients: vec![recipient.to_string()],
            ..draft
        });
        if let Some(draft) = &content
            && let Err(nested) = draft.parse()
        {
            for e in nested.errors() {
                let column = match e.field.as_str() {
                    "number" | "title" | "body" | "themes" | "issued_on" | "response_due_on"
                    | "legal_basis" => e.field.clone(),
                    _ => "title".to_owned(),
                };
                row.error(Some(&column), e.message.clone());
            }
            return;
        }
        let key = (report.clone(), number);
        let found = self
            .recommendation_at
            .get(&key)
            .copied()
            .and_then(|i| self.recommendations.get_mut(i));
        match found {
            None => {
                self.recommendation_at
                    .insert(key, self.recommendations.len());
                self.recommendations.push(PlannedRecommendation {
                    row: row.number,
                    report: report.clone(),
                    number,
                    draft: content,
                    recipients: vec![(recipient.clone(), row.number)],
                });
            }
            Some(planned) => {
                planned.recipients.push((recipient.clone(), row.number));
                match (&mut planned.draft, content) {
                    (_, None) => {}
                    (slot @ None, Some(draft)) => *slot = Some(draft),
                    (Some(earlier), Some(draft)) => {
                        let same = RecommendationDraft {
                            recipients: earlier.recipients.clone(),
                            ..draft
                        };
                        if *earlier == same {
                            earlier.recipients.push(recipient.to_string());
                        } else {
                            row.error(
                                Some("title"),
                                format!(
                                    "describes recommendation {number} of `{report}` otherwise than row {} does",
                                    planned.row
                                ),
                            );
                        }
                    }
                }
            }
        }
    }

    fn withdrawal(
        &mut self,
        row: &mut Row<'_>,
        report: &Slug,
        number: u32,
        (draft, occurred): (WithdrawalDraft, OccurrenceDraft),
    ) {
        let key = (report.clone(), number);
        match self
            .withdrawal_at
            .get(&key)
            .and_then(|i| self.withdrawals.get(*i))
        {
            Some(earlier) if earlier.draft != draft || earlier.occurred != occurred => row.error(
                Some("withdrawal_reason"),
                format!(
                    "withdraws recommendation {number} otherwise than row {} does",
                    earlier.row
                ),
            ),
            Some(_) => {}
            None => {
                self.withdrawal_at.insert(key, self.withdrawals.len());
                self.withdrawals.push(PlannedWithdrawal {
                    row: row.number,
                    report: report.clone(),
                    number,
                    draft,
                    occurred,
                });
            }
        }
    }

    /// The plan: each assignment's row steps with its milestones merged in,
    /// checked in order.
    fn finish(self, rows: usize, today: NaiveDate, errors: &mut Vec<RowError>) -> Plan {
        let mut assignments = self.assignments;
        let mut milestones: HashMap<(Slug, u32, OrgCode), Vec<Step>> = HashMap::new();
        for m in self.milestones {
            let key = (m.report, m.number, m.recipient);
            if !self.assignment_at.contains_key(&key) {
                let (report, number, recipient) = key;
                errors.push(RowError::cell(
                    m.row,
                    "recipient",
                    format!(
                        "recommendation {number} of `{report}` to `{recipient}` has no row of its own in this file: a milestone's row adds to its assignment's row"
                    ),
                ));
                continue;
            }
            milestones.entry(key).or_default().extend(m.steps);
        }
        for planned in &mut assignments {
            let key = (
                planned.report.clone(),
                planned.number,
                planned.recipient.clone(),
            );
            let steps = std::mem::take(&mut planned.steps);
            planned.steps = merge(steps, milestones.remove(&key).unwrap_or_default());
            let issued_on = self
                .recommendation_at
                .get(&(planned.report.clone(), planned.number))
                .and_then(|i| self.recommendations.get(*i))
                .and_then(|r| r.draft.as_ref())
                .map(|d| d.issued_on);
            check_order(planned.row, &planned.steps, today, issued_on, errors);
        }
        let mut recommendations = self.recommendations;
        for planned in &mut recommendations {
            if let Some(draft) = &mut planned.draft {
                draft.recipients = planned
                    .recipients
                    .iter()
                    .map(|(code, _)| code.to_string())
                    .collect();
            }
        }
        Plan {
            rows,
            organisations: self.organisations,
            reports: self.reports,
            recommendations,
            assignments,
            withdrawals: self.withdrawals,
        }
    }
}

/// Reports a nested draft's errors against `prefix`ed columns.
fn report_nested(row: &mut Row<'_>, prefix: &str, nested: &crate::validation::ValidationErrors) {
    for e in nested.errors() {
        let column = format!("{prefix}{}", e.field);
        let column = match column.as_str() {
            "report_slug" => "report".to_owned(),
            other => other.to_owned(),
        };
        row.error(Some(&column), e.message.clone());
    }
}

/// The row's steps, in the order the format gives them. Whether the
/// lifecycle allows them, and their days, are checked once the file's
/// milestones are merged in ([`Builder::finish`]).
fn history(row: &mut Row<'_>, issued_on: Option<NaiveDate>) -> Vec<Step> {
    let mut steps = Vec::new();
    if let Some(requested_due_on) = row.day("extension_due_on") {
        let reason = row
            .required("extension_reason", "when an extension is given", |s| {
                Ok(s.to_owned())
            })
            .unwrap_or_default();
        let granted = row.occurred("extension", group_columns("extension"));
        let requested = OccurrenceDraft {
            occurred_on: row.day("extension_requested_on").or(granted.occurred_on),
            ..granted.clone()
        };
        if let (Some(asked), Some(decided)) = (requested.occurred_on, granted.occurred_on)
            && asked > decided
        {
            row.error(
                Some("extension_requested_on"),
                "must not be after the extension was granted (extension_on)",
            );
        }
        steps.push(Step::Extend(
            ExtensionDraft {
                requested_due_on,
                reason,
            },
            requested,
            granted,
        ));
    } else {
        for column in ["extension_reason", "extension_requested_on", "extension_on"] {
            if row.text(column).is_some() {
                row.error(Some(column), "is given without an extension_due_on");
            }
        }
    }
    for group in ["response", "revision"] {
        let [decision_column, rationale, planned] = response_columns(group);
        if let Some(decision) = row.parsed(decision_column, wire_name) {
            let rationale = row
                .required(rationale, &format!("when a {group} is given"), |s| {
                    Ok(s.to_owned())
                })
                .unwrap_or_default();
            let planned_completion_on = row.day(planned);
            let occurred = row.occurred(group, group_columns(group));
            let draft = ResponseDraft {
                decision,
                rationale,
                planned_completion_on,
            };
            if let Some(issued_on) = issued_on
                && let Err(nested) = draft.parse(issued_on, true)
            {
                report_nested(row, &format!("{group}_"), &nested);
            }
            if group == "response" {
                steps.push(Step::Respond(draft, occurred));
            } else if steps.iter().any(|s| matches!(s, Step::Respond(..))) {
                steps.push(Step::Revise(draft, occurred));
            } else {
                row.error(
                    Some(decision_column),
                    "a revision revises a response: give the first response in the response_ columns",
                );
            }
        } else {
            for column in [rationale, group_columns(group)[0]] {
                if row.text(column).is_some() {
                    row.error(
                        Some(column),
                        format!("is given without a {decision_column}"),
                    );
                }
            }
        }
    }
    if let Some(narrative) = row.text("progress_narrative") {
        let occurred = row.occurred("progress update", group_columns("progress"));
        steps.push(Step::PostUpdate(narrative, occurred));
    }
    if let Some(summary) = row.text("claim_summary") {
        let statement = row.text("claim_evidence");
        let link = row.text("claim_evidence_url");
        let title = "Evidence cited in the claim".to_owned();
        let evidence = match (statement, link) {
            (Some(text), None) => Some(EvidenceDraft::Statement {
                title,
                description: None,
                text,
            }),
            (None, Some(url)) => Some(EvidenceDraft::Link {
                title,
                description: None,
                url,
            }),
            (None, None) => {
                row.error(
                    Some("claim_evidence"),
                    "a claim cites evidence: give a statement here or a link in claim_evidence_url",
                );
                None
            }
            (Some(_), Some(_)) => {
                row.error(
                    Some("claim_evidence_url"),
                    "give the claim's evidence as a statement or as a link, not both",
                );
                None
            }
        };
        if let Some(evidence) = &evidence
            && let Err(nested) = evidence.parse()
        {
            for e in nested.errors() {
                let column = if e.field == "url" {
                    "claim_evidence_url"
                } else {
                    "claim_evidence"
                };
                row.error(Some(column), e.message.clone());
            }
        }
        let occurred = row.occurred("claim", group_columns("claim"));
        if let Some(evidence) = evidence {
            steps.push(Step::Claim {
                summary,
                evidence,
                occurred,
            });
        }
    }
    if let Some(outcome) = row.parsed("review_outcome", wire_name::<ReviewOutcome>) {
        if outcome == ReviewOutcome::Comment {
            row.error(
                Some("review_outcome"),
                "an import records a review that decides: verified, returned or closed_not_implemented",
            );
        } else {
            let draft = ReviewDraft {
                outcome,
                comment: row.text("review_comment"),
            };
            if let Err(nested) = draft.parse() {
                report_nested(row, "review_", &nested);
            }
            let occurred = row.occurred("review", group_columns("review"));
            steps.push(Step::Review(draft, occurred));
        }
    }
    steps
}

/// The decision, rationale and planned completion columns of a response
/// group (`response` or `revision`).
fn response_columns(group: &str) -> [&'static str; 3] {
    ["decision", "rationale", "planned_completion_on"]
        .map(|suffix| column_named(group, suffix).unwrap_or("response_decision"))
}

/// Merges milestone steps (each milestone's own in order) into a row's
/// steps by day. On a day both have steps, a milestone's step comes first
/// where the lifecycle allows it there (a milestone started the day a
/// claim was returned went on from before the claim), else after the
/// row's step. Steps without a day (already an error) keep the format's
/// order.
fn merge(row_steps: Vec<Step>, mut milestone_steps: Vec<Step>) -> Vec<Step> {
    if milestone_steps.is_empty() {
        return row_steps;
    }
    let day = |step: &Step| step.occurred().occurred_on;
    if row_steps
        .iter()
        .chain(&milestone_steps)
        .any(|s| day(s).is_none())
    {
        let mut all = row_steps;
        all.extend(milestone_steps);
        return all;
    }
    milestone_steps.sort_by_key(day);
    let mut status = AssignmentStatus::AwaitingResponse;
    let mut out = Vec::new();
    let mut row_steps = row_steps.into_iter().peekable();
    let mut milestone_steps = milestone_steps.into_iter().peekable();
    loop {
        let take_milestone = match (row_steps.peek(), milestone_steps.peek()) {
            (None, None) => break,
            (Some(_), None) => false,
            (None, Some(_)) => true,
            (Some(r), Some(m)) => {
                day(m) < day(r)
                    || (day(m) == day(r)
                        && lifecycle::decide_backfill(status, &Principal::Console, m.command())
                            .is_ok())
            }
        };
        let next = if take_milestone {
            milestone_steps.next()
        } else {
            row_steps.next()
        };
        let Some(step) = next else { break };
        if let Ok(t) = lifecycle::decide_backfill(status, &Principal::Console, step.command()) {
            status = t.to;
        }
        out.push(step);
    }
    out
}

/// Refuses steps the lifecycle would not allow in this order, and days out
/// of order; reports the first error of each assignment against the row
/// and column of the step at fault.
fn check_order(
    assignment_row: usize,
    steps: &[Step],
    today: NaiveDate,
    issued_on: Option<NaiveDate>,
    errors: &mut Vec<RowError>,
) {
    let mut status = AssignmentStatus::AwaitingResponse;
    let mut not_before = issued_on.map(|day| NotBefore {
        day,
        because: "the recommendation was issued",
    });
    for step in steps {
        let row = step.row().unwrap_or(assignment_row);
        match lifecycle::decide_backfill(status, &Principal::Console, step.command()) {
            Ok(transition) => status = transition.to,
            Err(refusal) => {
                errors.push(RowError::cell(
                    row,
                    step.column(),
                    format!("cannot come at this point of the history: {refusal}"),
                ));
                return;
            }
        }
        let occurred = step.occurred();
        let bound = not_before.unwrap_or(NotBefore {
            day: crate::time::FIRST_DAY,
            because: "",
        });
        match occurred.parse(today, bound) {
            Ok(parsed) => {
                not_before = Some(NotBefore {
                    day: parsed.occurred_on,
                    because: "the step before it in this assignment's history happened",
                });
            }
            Err(nested) => {
                let [_, precision, source, url] = group_columns(step.group());
                for e in nested.errors() {
                    let column = match e.field.as_str() {
                        "occurred_on" => step.day_column(),
                        "occurred_on_precision" => precision,
                        "source.url" => url,
                        _ => source,
                    };
                    errors.push(RowError::cell(row, column, e.message.clone()));
                }
                return;
            }
        }
    }
}

fn withdrawal(row: &mut Row<'_>, today: NaiveDate) -> Option<(WithdrawalDraft, OccurrenceDraft)> {
    let Some(reason) = row.text("withdrawal_reason") else {
        if row.text("withdrawal_on").is_some() {
            row.error(
                Some("withdrawal_on"),
                "is given without a withdrawal_reason",
            );
        }
        return None;
    };
    let draft = WithdrawalDraft { reason };
    if let Err(nested) = draft.parse() {
        report_nested(row, "withdrawal_", &nested);
    }
    let occurred = row.occurred("withdrawal", group_columns("withdrawal"));
    if let Err(nested) = occurred.check_not_later(today) {
        for e in nested.errors() {
            row.error(Some("withdrawal_on"), e.message.clone());
        }
    }
    Some((draft, occurred))
}
