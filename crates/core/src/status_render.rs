//! A status report as CSV and as Markdown: the same figures as its JSON,
//! laid out for spreadsheets and for people. Pure text in, text out.

use std::fmt::Write as _;

use crate::assignment::AssignmentStatus;
use crate::status_report::{Figures, StatusReport};

/// The CSV header: one row per organisation, then `all`.
pub fn csv_header() -> Vec<String> {
    let mut header = vec!["organisation".to_owned(), "assignments".to_owned()];
    header.extend(AssignmentStatus::ALL.iter().map(|s| s.as_str().to_owned()));
    header.extend(
        [
            "response_overdue",
            "overdue_milestones",
            "accepted_rate",
            "verified_rate",
            "median_days_to_response",
            "median_days_to_verification",
        ]
        .map(str::to_owned),
    );
    header
}

fn figure_cells(figures: &Figures) -> Vec<String> {
    let optional = |v: Option<f64>| v.map_or_else(String::new, |v| v.to_string());
    let mut cells = vec![figures.assignments.to_string()];
    cells.extend(
        AssignmentStatus::ALL
            .iter()
            .map(|s| figures.by_status.get(s).copied().unwrap_or(0).to_string()),
    );
    cells.extend([
        figures.response_overdue.to_string(),
        figures.overdue_milestones.to_string(),
        optional(figures.accepted_rate),
        optional(figures.verified_rate),
        optional(figures.median_days_to_response),
        optional(figures.median_days_to_verification),
    ]);
    cells
}

/// Quotes a CSV field when it holds a comma, quote or line break (RFC 4180).
fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

/// The report as CSV: a header row, one row per organisation, and a last row
/// `all` with the totals. Lines end in CRLF.
pub fn to_csv(report: &StatusReport) -> String {
    let mut out = String::new();
    let mut row = |cells: Vec<String>| {
        let line: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    };
    row(csv_header());
    for organisation in &report.by_organisation {
        let mut cells = vec![organisation.organisation.to_string()];
        cells.extend(figure_cells(&organisation.figures));
        row(cells);
    }
    let mut cells = vec!["all".to_owned()];
    cells.extend(figure_cells(&report.totals));
    row(cells);
    out
}

/// Escapes text for a Markdown table cell.
fn md_cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

/// The report as Markdown: totals, a table per organisation, and each
/// recommendation with its recipients' statuses.
pub fn to_markdown(report: &StatusReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Status report as of {}", report.as_of);
    let filters: Vec<String> = [
        report
            .filters
            .report
            .as_ref()
            .map(|r| format!("report `{r}`")),
        report
            .filters
            .organisation
            .as_ref()
            .map(|o| format!("organisation `{o}`")),
        report
            .filters
            .theme
            .as_ref()
            .map(|t| format!("theme `{t}`")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !filters.is_empty() {
        let _ = writeln!(out, "\nCovering {}.", filters.join(", "));
    }
    let header = csv_header();
    let _ = writeln!(out, "\n## Figures\n");
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|{}", " --- |".repeat(header.len()));
    for organisation in &report.by_organisation {
        let mut cells = vec![md_cell(organisation.organisation.as_str())];
        cells.extend(figure_cells(&organisation.figures));
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    let mut cells = vec!["**all**".to_owned()];
    cells.extend(figure_cells(&report.totals));
    let _ = writeln!(out, "| {} |", cells.join(" | "));
    let _ = writeln!(out, "\n## Recommendations\n");
    let _ = writeln!(out, "| report | number | title | recipient | status |");
    let _ = writeln!(out, "| --- | --- | --- | --- | --- |");
    for line in &report.recommendations {
        for recipient in &line.recipients {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                md_cell(line.report.as_str()),
                line.number,
                md_cell(line.title.as_str()),
                md_cell(recipient.organisation.as_str()),
                recipient.status.as_str()
            );
        }
    }
    out
}
