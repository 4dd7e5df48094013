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

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::assignment::AssignmentStatus;
use crate::evidence::EvidenceDraft;
use crate::lifecycle::{self, Command};
use crate::occurrence::{NotBefore, OccurrenceDraft, SourceDraft};
use crate::organisation::{OrgCode, OrganisationDraft, OrganisationKind};
use crate::recommendation::{LegalBasis, RecommendationDraft};
use crate::report::ReportDraft;
use crate::response::ResponseDraft;
use crate::review::{ReviewDraft, ReviewOutcome, WithdrawalDraft};
use crate::role::Principal;
use crate::text::Slug;

/// The most data rows a file may hold.
pub const MAX_ROWS: usize = 100_000;

/// The largest file the API accepts, in bytes (25 MiB).
pub const MAX_BYTES: u64 = 25 * 1024 * 1024;

/// The columns every file must have.
pub const REQUIRED: [&str; 3] = ["report", "number", "recipient"];

/// The history steps, each a group of columns named `{step}_…`.
pub const STEPS: [&str; 5] = ["response", "progress", "claim", "review", "withdrawal"];

/// Every column, in the order an export writes them.
pub const COLUMNS: [&str; 47] = [
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
    "response_decision",
    "response_rationale",
    "response_planned_completion_on",
    "response_on",
    "response_precision",
    "response_source",
    "response_source_url",
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
];

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
    /// The recipient's response.
    Respond(ResponseDraft, OccurrenceDraft),
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
    /// The overseer's conclusion: verified or closed as not implemented.
    Review(ReviewDraft, OccurrenceDraft),
}

impl Step {
    /// The lifecycle command the step gives.
    pub fn command(&self) -> Command {
        match self {
            Self::Respond(draft, _) => Command::Respond(draft.decision),
            Self::PostUpdate(..) => Command::PostUpdate,
            Self::Claim { .. } => Command::Claim,
            Self::Review(draft, _) => Command::Review(draft.outcome),
        }
    }

    /// When it happened.
    pub fn occurred(&self) -> &OccurrenceDraft {
        match self {
            Self::Respond(_, occurred)
            | Self::PostUpdate(_, occurred)
            | Self::Review(_, occurred)
            | Self::Claim { occurred, .. } => occurred,
        }
    }

    /// The column group it was read from.
    pub fn group(&self) -> &'static str {
        match self {
            Self::Respond(..) => "response",
            Self::PostUpdate(..) => "progress",
            Self::Claim { .. } => "claim",
            Self::Review(..) => "review",
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
        if table.rows.len() > MAX_ROWS {
            return Err(vec![RowError {
                row: MAX_ROWS + 2,
                column: None,
                message: format!(
                    "the file has {} rows; at most {MAX_ROWS} are imported at once: split it",
                    table.rows.len()
                ),
            }]);
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
        if errors.is_empty() {
            Ok(builder.finish(table.rows.len()))
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

fn parse_day(raw: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| format!("`{raw}` is not a day written YYYY-MM-DD"))
}

/// Reads an enumeration by its wire name (`accepted`, `on_or_before`).
fn wire_name<T: DeserializeOwned>(raw: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(raw.to_owned()))
        .map_err(|_| format!("`{raw}` is not one of the values this column takes (docs/import.md)"))
}

/// The columns of one step group.
fn group_columns(group: &'static str) -> [&'static str; 4] {
    let find = |suffix: &str| {
        all_columns()
            .find(|c| c.strip_prefix(group).and_then(|s| s.strip_prefix('_')) == Some(suffix))
            .unwrap_or(group)
    };
    [
        find("on"),
        find("precision"),
        find("source"),
        find("source_url"),
    ]
}

#[derive(Default)]
struct Builder {
    organisations: Vec<Planned<OrganisationDraft>>,
    reports: Vec<Planned<ReportDraft>>,
    recommendations: Vec<PlannedRecommendation>,
    assignments: Vec<PlannedAssignment>,
    withdrawals: Vec<PlannedWithdrawal>,
}

impl Builder {
    fn add(&mut self, row: &mut Row<'_>, today: NaiveDate) {
        let report = row.required("report", "on every row", Slug::parse);
        let number = row.required("number", "on every row", |raw| {
            raw.parse::<u32>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| format!("`{raw}` is not a recommendation number (1, 2, …)"))
        });
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
        let steps = history(row, today, issued_on);
        if let Some(withdrawal) = withdrawal(row, today) {
            self.withdrawal(row, &report, number, withdrawal);
        }
        if self
            .assignments
            .iter()
            .any(|a| a.report == report && a.number == number && a.recipient == recipient)
        {
            row.error(
                Some("recipient"),
                format!("recommendation {number} of `{report}` to `{recipient}` is on an earlier row too"),
            );
            return;
        }
        self.assignments.push(PlannedAssignment {
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
            .organisations
            .iter()
            .find(|o| o.draft.code == draft.code)
        {
            Some(earlier) if earlier.draft != draft => row.error(
                Some(column),
                format!(
                    "describes organisation `{}` otherwise than row {} does",
                    draft.code, earlier.row
                ),
            ),
            Some(_) => {}
            None => self.organisations.push(Planned {
                row: row.number,
                draft,
            }),
        }
    }

    fn report(&mut self, row: &mut Row<'_>, draft: ReportDraft) {
        match self.reports.iter().find(|r| r.draft.slug == draft.slug) {
            Some(earlier) if earlier.draft != draft => row.error(
                Some("report_title"),
                format!(
                    "describes report `{}` otherwise than row {} does",
                    draft.slug, earlier.row
                ),
            ),
            Some(_) => {}
            None => self.reports.push(Planned {
                row: row.number,
                draft,
            }),
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
        let found = self
            .recommendations
            .iter_mut()
            .find(|r| &r.report == report && r.number == number);
        match found {
            None => self.recommendations.push(PlannedRecommendation {
                row: row.number,
                report: report.clone(),
                number,
                draft: content,
                recipients: vec![(recipient.clone(), row.number)],
            }),
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
        match self
            .withdrawals
            .iter()
            .find(|w| &w.report == report && w.number == number)
        {
            Some(earlier) if earlier.draft != draft || earlier.occurred != occurred => row.error(
                Some("withdrawal_reason"),
                format!(
                    "withdraws recommendation {number} otherwise than row {} does",
                    earlier.row
                ),
            ),
            Some(_) => {}
            None => self.withdrawals.push(PlannedWithdrawal {
                row: row.number,
                report: report.clone(),
                number,
                draft,
                occurred,
            }),
        }
    }

    fn finish(self, rows: usize) -> Plan {
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
            assignments: self.assignments,
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

/// The row's steps, checked: each one the lifecycle allows after the one
/// before, each on a day no earlier than the one before (nor the
/// recommendation's issue, when the row gives it), none later than today.
fn history(row: &mut Row<'_>, today: NaiveDate, issued_on: Option<NaiveDate>) -> Vec<Step> {
    let mut steps = Vec::new();
    if let Some(decision) = row.parsed("response_decision", wire_name) {
        let rationale = row
            .required("response_rationale", "when a response is given", |s| {
                Ok(s.to_owned())
            })
            .unwrap_or_default();
        let planned_completion_on = row.day("response_planned_completion_on");
        let occurred = row.occurred("response", group_columns("response"));
        let draft = ResponseDraft {
            decision,
            rationale,
            planned_completion_on,
        };
        if let Some(issued_on) = issued_on
            && let Err(nested) = draft.parse(issued_on, true)
        {
            report_nested(row, "response_", &nested);
        }
        steps.push(Step::Respond(draft, occurred));
    } else {
        for column in ["response_rationale", "response_on"] {
            if row.text(column).is_some() {
                row.error(Some(column), "is given without a response_decision");
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
        if matches!(
            outcome,
            ReviewOutcome::Verified | ReviewOutcome::ClosedNotImplemented
        ) {
            let draft = ReviewDraft {
                outcome,
                comment: row.text("review_comment"),
            };
            if let Err(nested) = draft.parse() {
                report_nested(row, "review_", &nested);
            }
            let occurred = row.occurred("review", group_columns("review"));
            steps.push(Step::Review(draft, occurred));
        } else {
            row.error(
                Some("review_outcome"),
                "an import records a final review: verified or closed_not_implemented",
            );
        }
    }
    check_order(row, &steps, today, issued_on);
    steps
}

/// Refuses steps the lifecycle would not allow in this order, and days out
/// of order.
fn check_order(row: &mut Row<'_>, steps: &[Step], today: NaiveDate, issued_on: Option<NaiveDate>) {
    let mut status = AssignmentStatus::AwaitingResponse;
    let mut not_before = issued_on.map(|day| NotBefore {
        day,
        because: "the recommendation was issued",
    });
    for step in steps {
        match lifecycle::decide_backfill(status, &Principal::Console, step.command()) {
            Ok(transition) => status = transition.to,
            Err(refusal) => {
                let column = match step {
                    Step::Review(..) => "review_outcome",
                    Step::Respond(..) => "response_decision",
                    Step::PostUpdate(..) => "progress_narrative",
                    Step::Claim { .. } => "claim_summary",
                };
                row.error(
                    Some(column),
                    format!("cannot come at this point of the history: {refusal}"),
                );
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
                    because: "the step before it on this row happened",
                });
            }
            Err(nested) => {
                let [on, precision, source, url] = group_columns(step.group());
                for e in nested.errors() {
                    let column = match e.field.as_str() {
                        "occurred_on" => on,
                        "occurred_on_precision" => precision,
                        "source.url" => url,
                        _ => source,
                    };
                    row.error(Some(column), e.message.clone());
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
