//! A status report as CSV and as Markdown: the same figures as its JSON,
//! laid out for spreadsheets and for people. Pure text in, text out.

use std::fmt::Write as _;

use crate::assignment::AssignmentStatus;
use crate::status_report::{Basis, Figures, StatusReport};

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
            "responses_on_time",
            "responses_late",
            "response_timing_unknown",
            "days_to_response_unknown",
            "days_to_verification_unknown",
        ]
        .map(str::to_owned),
    );
    header
}

/// How a report's basis reads in a title: "as recorded" or "as it happened".
pub fn basis_words(basis: Basis) -> &'static str {
    match basis {
        Basis::Recorded => "as recorded",
        Basis::Occurred => "as it happened",
    }
}

/// What a report's figures leave out because a day is known only as a
/// bound (`on_or_before`), in words; none when nothing is left out.
pub fn left_out(figures: &Figures) -> Option<String> {
    let mut parts = Vec::new();
    if figures.response_timing_unknown > 0 {
        parts.push(format!(
            "{} response(s) are known only as given on or before a day that cannot show whether they were in time, so they are counted neither as on time nor as late or overdue",
            figures.response_timing_unknown
        ));
    }
    if figures.days_to_response_unknown > 0 {
        parts.push(format!(
            "{} first response(s) dated only by a bound are left out of the median days to response",
            figures.days_to_response_unknown
        ));
    }
    if figures.days_to_verification_unknown > 0 {
        parts.push(format!(
            "{} verification(s) dated only by a bound are left out of the median days to verification",
            figures.days_to_verification_unknown
        ));
    }
    (!parts.is_empty()).then(|| format!("{}.", parts.join("; ")))
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
        figures.responses_on_time.to_string(),
        figures.responses_late.to_string(),
        figures.response_timing_unknown.to_string(),
        figures.days_to_response_unknown.to_string(),
        figures.days_to_verification_unknown.to_string(),
    ]);
    cells
}

/// Whether a spreadsheet would read this text as a formula: it begins with
/// `=`, `+`, `-`, `@`, a tab or a carriage return and is not a number.
pub fn looks_like_formula(field: &str) -> bool {
    field.starts_with(['=', '+', '-', '@', '\t', '\r']) && field.parse::<f64>().is_err()
}

/// Quotes a CSV field when it holds a comma, quote or line break (RFC 4180),
/// and neutralises one a spreadsheet would read as a formula (OWASP's CSV
/// injection guidance): text beginning with `=`, `+`, `-`, `@`, a tab or a
/// carriage return gets a leading `'` and is quoted. Numbers are left as
/// they are.
pub fn csv_field(field: &str) -> String {
    if looks_like_formula(field) {
        format!("\"'{}\"", field.replace('"', "\"\""))
    } else if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

/// The report's figures as rows of cells: a header row, one row per
/// organisation, and a last row `all` with the totals. The CSV and the
/// spreadsheet are written from these.
pub fn figure_rows(report: &StatusReport) -> Vec<Vec<String>> {
    let mut rows = vec![csv_header()];
    for organisation in &report.by_organisation {
        let mut cells = vec![organisation.organisation.to_string()];
        cells.extend(figure_cells(&organisation.figures));
        rows.push(cells);
    }
    let mut cells = vec!["all".to_owned()];
    cells.extend(figure_cells(&report.totals));
    rows.push(cells);
    rows
}

/// The report's recommendations as rows of cells: a header row, then one
/// row per recommendation and recipient.
pub fn recommendation_rows(report: &StatusReport) -> Vec<Vec<String>> {
    let mut rows = vec![
        ["report", "number", "title", "organisation", "status"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for line in &report.recommendations {
        for recipient in &line.recipients {
            rows.push(vec![
                line.report.to_string(),
                line.number.to_string(),
                line.title.to_string(),
                recipient.organisation.to_string(),
                recipient.status.as_str().to_owned(),
            ]);
        }
    }
    rows
}

/// The report as CSV: a header row, one row per organisation, and a last row
/// `all` with the totals. Lines end in CRLF.
pub fn to_csv(report: &StatusReport) -> String {
    let mut out = String::new();
    for cells in figure_rows(report) {
        let line: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Escapes text for a Markdown table cell: punctuation that Markdown would
/// read as markup is backslash-escaped, line breaks become spaces.
fn md_cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '|' | '<' | '>' | '*' | '_' | '`' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The report as Markdown: totals, a table per organisation, and each
/// recommendation with its recipients' statuses.
pub fn to_markdown(report: &StatusReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Status report as of {}, {}",
        report.as_of,
        basis_words(report.basis)
    );
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
    if let Some(note) = left_out(&report.totals) {
        let _ = writeln!(out, "\n{note}");
    }
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

/// Escapes text for HTML.
fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A status's label for people: `in_progress` → `In progress`.
fn label(status: AssignmentStatus) -> String {
    let words = status.as_str().replace('_', " ");
    let mut chars = words.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

/// The colour of a status's bar.
fn colour(status: AssignmentStatus) -> &'static str {
    match status {
        AssignmentStatus::AwaitingResponse => "#9e9e9e",
        AssignmentStatus::Accepted => "#42a5f5",
        AssignmentStatus::PartiallyAccepted => "#7e57c2",
        AssignmentStatus::NotAccepted => "#ef5350",
        AssignmentStatus::InProgress => "#ffa726",
        AssignmentStatus::ImplementationClaimed => "#26c6da",
        AssignmentStatus::Verified => "#66bb6a",
        AssignmentStatus::ClosedNotImplemented => "#8d6e63",
        AssignmentStatus::Withdrawn => "#bdbdbd",
    }
}

/// A horizontal bar chart of the totals by status, as inline SVG.
fn status_chart(figures: &Figures) -> String {
    let max = figures
        .by_status
        .values()
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    let (row, label_width, bar_width) = (26, 190, 420);
    let height = row * AssignmentStatus::ALL.len() + 10;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"Assignments by status\" width=\"{}\" height=\"{height}\" viewBox=\"0 0 {} {height}\">",
        label_width + bar_width + 60,
        label_width + bar_width + 60
    );
    for (i, status) in AssignmentStatus::ALL.iter().enumerate() {
        let n = figures.by_status.get(status).copied().unwrap_or(0);
        let y = i * row + 5;
        let width = n * bar_width as u64 / max;
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"13\">{}</text>\
             <rect x=\"{label_width}\" y=\"{y}\" width=\"{width}\" height=\"18\" fill=\"{}\"><title>{}: {n}</title></rect>\
             <text x=\"{}\" y=\"{}\" font-size=\"13\">{n}</text>",
            label_width - 8,
            y + 14,
            html(&label(*status)),
            colour(*status),
            html(&label(*status)),
            label_width as u64 + width + 6,
            y + 14
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The report as one self-contained HTML page: no external assets, no
/// scripts; the totals, a bar chart of statuses drawn as inline SVG, a table
/// per organisation and one of recommendations.
pub fn to_html(report: &StatusReport) -> String {
    let mut out = String::new();
    let title = format!(
        "Status report as of {}, {}",
        report.as_of,
        basis_words(report.basis)
    );
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n\
         body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #212121; }}\n\
         table {{ border-collapse: collapse; margin: 1rem 0 2rem; }}\n\
         th, td {{ border: 1px solid #ddd; padding: 0.3rem 0.6rem; text-align: right; }}\n\
         th:first-child, td:first-child, .text {{ text-align: left; }}\n\
         .scroll {{ overflow-x: auto; }}\n\
         th {{ background: #f5f5f5; }}\n\
         </style>\n</head>\n<body>\n<h1>{}</h1>\n",
        html(&title),
        html(&title)
    );
    let filters: Vec<String> = [
        report
            .filters
            .report
            .as_ref()
            .map(|r| format!("report {r}")),
        report
            .filters
            .organisation
            .as_ref()
            .map(|o| format!("organisation {o}")),
        report.filters.theme.as_ref().map(|t| format!("theme {t}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !filters.is_empty() {
        let _ = writeln!(out, "<p>Covering {}.</p>", html(&filters.join(", ")));
    }
    let _ = writeln!(
        out,
        "<p>{} assignments; {} awaiting a response past their due day; {} milestones overdue.</p>",
        report.totals.assignments, report.totals.response_overdue, report.totals.overdue_milestones
    );
    let _ = writeln!(
        out,
        "<h2>Assignments by status</h2>\n{}",
        status_chart(&report.totals)
    );
    let _ = writeln!(
        out,
        "<h2>Figures</h2>\n<div class=\"scroll\"><table>\n<thead><tr>"
    );
    for column in csv_header() {
        let _ = write!(out, "<th>{}</th>", html(&column.replace('_', " ")));
    }
    let _ = writeln!(out, "</tr></thead>\n<tbody>");
    let mut row = |name: &str, figures: &Figures| {
        let _ = write!(out, "<tr><td>{}</td>", html(name));
        for cell in figure_cells(figures) {
            let _ = write!(out, "<td>{}</td>", html(&cell));
        }
        let _ = writeln!(out, "</tr>");
    };
    for organisation in &report.by_organisation {
        row(organisation.organisation.as_str(), &organisation.figures);
    }
    row("all", &report.totals);
    let _ = writeln!(out, "</tbody>\n</table></div>");
    if let Some(note) = left_out(&report.totals) {
        let _ = writeln!(out, "<p>{}</p>", html(&note));
    }
    let _ = writeln!(
        out,
        "<h2>Recommendations</h2>\n<div class=\"scroll\"><table>\n<thead><tr><th>Report</th><th>Number</th><th class=\"text\">Title</th><th class=\"text\">Recipient</th><th class=\"text\">Status</th></tr></thead>\n<tbody>"
    );
    for line in &report.recommendations {
        for recipient in &line.recipients {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td class=\"text\">{}</td><td class=\"text\">{}</td><td class=\"text\">{}</td></tr>",
                html(line.report.as_str()),
                line.number,
                html(line.title.as_str()),
                html(recipient.organisation.as_str()),
                html(&label(recipient.status))
            );
        }
    }
    let _ = writeln!(out, "</tbody>\n</table></div>\n</body>\n</html>");
    out
}
