//! The answer to an import.

use poem_openapi::Object;
use rectrack_store::import::{ImportReport, RowOutcome};

use crate::problem::RowProblem;

/// What an import did, or what a dry run would do.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub struct ImportResult {
    /// The file's SHA-256, as the import's audit event names it.
    pub sha256: String,
    /// Whether this was a dry run (nothing written).
    pub dry_run: bool,
    /// Rows read (the header not counted).
    pub rows: u64,
    /// Rows whose assignment the import created.
    pub created: u64,
    /// Rows whose existing assignment took steps of its history.
    pub changed: u64,
    /// Rows that changed nothing.
    pub left_alone: u64,
    /// Organisations, reports and recommendations created.
    pub records_created: u64,
    /// Facts recorded: responses, progress updates, evidence, claims,
    /// reviews and withdrawals.
    pub facts_recorded: u64,
    /// Whether the import was written, with its audit event
    /// (`import.completed`): false for a dry run and for a file that
    /// changes nothing.
    pub recorded: bool,
    /// Each row's outcome.
    pub results: Vec<ImportRow>,
    /// Every error, by row and column (a dry run's; a real import with
    /// errors answers 422 with them instead).
    pub errors: Vec<RowProblem>,
}

/// What became of one row.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub struct ImportRow {
    /// The row (the header is row 1).
    pub row: u64,
    /// `created`, `changed` or `left_alone`.
    pub outcome: String,
    /// What was done for it, in order.
    pub done: Vec<String>,
}

impl From<RowOutcome> for ImportRow {
    fn from(outcome: RowOutcome) -> Self {
        Self {
            row: outcome.row as u64,
            outcome: outcome.outcome.to_owned(),
            done: outcome.done,
        }
    }
}

impl From<ImportReport> for ImportResult {
    fn from(report: ImportReport) -> Self {
        Self {
            sha256: report.sha256,
            dry_run: report.dry_run,
            rows: report.rows as u64,
            created: report.created as u64,
            changed: report.changed as u64,
            left_alone: report.left_alone as u64,
            records_created: report.records_created as u64,
            facts_recorded: report.facts_recorded as u64,
            recorded: report.recorded,
            results: report.results.into_iter().map(Into::into).collect(),
            errors: report.errors.iter().map(RowProblem::from).collect(),
        }
    }
}
