//! `/organisations/{code}`: one organisation's record across every report,
//! what is overdue first.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use poem::{Request, Response};
use rectrack_core::organisation::OrgCode;
use rectrack_core::status_report::{Basis, ReportFilters};
use rectrack_store::public::OrganisationLine;

use super::{Ctx, Layout, PageError, Site, answer, html};
use crate::headers::Kept;
use crate::pages::home::{Headline, headlines};
use crate::pages::report::{Bar, chart};
use crate::words;

/// Rows of the table of assignments not overdue, per page.
const PER_PAGE: usize = 100;

#[derive(Template)]
#[template(path = "organisation.html")]
struct OrganisationPage {
    layout: Layout,
    code: String,
    kind: String,
    report: Figured,
    chart: Vec<Bar>,
    chart_caption: String,
    overdue: Vec<Line>,
    others: Vec<Line>,
    others_total: usize,
    page: usize,
    pages: usize,
}

/// The headline figures (named so that the shared template reads
/// `report.figures`).
struct Figured {
    figures: Vec<Headline>,
}

/// One assignment in a table.
struct Line {
    recommendation: String,
    href: String,
    report: String,
    status: &'static str,
    tag: &'static str,
    due: String,
    note: String,
}

/// An organisation's page.
pub async fn page(site: Arc<Site>, req: Request) -> Response {
    let code = req.raw_path_param("code").unwrap_or_default().to_owned();
    answer(&site, &req, |ctx| render(ctx, code)).await
}

fn line(
    line: &OrganisationLine,
    titles: &HashMap<String, String>,
    today: chrono::NaiveDate,
) -> Line {
    let assignment = &line.record.assignment;
    let flags = line.record.flags(today);
    let mut notes = Vec::new();
    if flags.response_overdue {
        notes.push("Response overdue".to_owned());
    }
    if flags.overdue_milestones > 0 {
        notes.push(words::count(
            u64::from(flags.overdue_milestones),
            "milestone overdue",
            "milestones overdue",
        ));
    }
    if let Some(timing) = flags.response_timing {
        notes.push(format!("Response {}", words::timing(timing).to_lowercase()));
    }
    Line {
        recommendation: format!("{}: {}", line.number, line.title),
        href: format!("/recommendations/{}", line.recommendation_id),
        report: titles
            .get(&line.report)
            .cloned()
            .unwrap_or_else(|| line.report.clone()),
        status: words::status(assignment.status),
        tag: words::status_tag(assignment.status),
        due: words::date(assignment.response_due_on),
        note: notes.join("; "),
    }
}

async fn render(ctx: Ctx, code: String) -> Result<Kept, PageError> {
    let not_found = || PageError::NotFound("There is no organisation at this address.".to_owned());
    let org_code = OrgCode::parse(&code).map_err(|_| not_found())?;
    let organisation = ctx.store.organisation(org_code.as_str()).await?;
    let page: usize = ctx
        .params
        .parsed("page", |p| match p.parse::<usize>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err("it is not a page number"),
        })?
        .unwrap_or(1);
    let titles: HashMap<String, String> = ctx
        .store
        .reports_with_counts()
        .await?
        .into_iter()
        .map(|(r, _)| (r.slug.to_string(), r.title.to_string()))
        .collect();
    let lines = ctx
        .store
        .organisation_assignments(org_code.as_str())
        .await?;
    let figures = ctx
        .store
        .status_report_with(
            &ReportFilters {
                organisation: Some(org_code.clone()),
                ..ReportFilters::default()
            },
            ctx.today,
            Basis::Recorded,
            false,
        )
        .await?;
    let (overdue, others): (Vec<_>, Vec<_>) = lines.iter().partition(|l| {
        let flags = l.record.flags(ctx.today);
        flags.response_overdue || flags.overdue_milestones > 0
    });
    let pages = others.len().div_ceil(PER_PAGE).max(1);
    if page > pages {
        return Err(PageError::NotFound(format!(
            "This record has {pages} page(s) of assignments."
        )));
    }
    let name = organisation.name.to_string();
    html(&OrganisationPage {
        layout: Layout::new(name.clone(), "reports", ctx.today).feed(
            format!("Changes to {name}'s record"),
            format!("/organisations/{code}/feed.atom"),
        ),
        kind: organisation.kind.as_str().replace('_', " "),
        report: Figured {
            figures: headlines(&figures.totals),
        },
        chart: chart(&figures.totals.by_status),
        chart_caption: format!("Status of {name}'s assignments"),
        overdue: overdue
            .iter()
            .map(|l| line(l, &titles, ctx.today))
            .collect(),
        others_total: others.len(),
        others: others
            .iter()
            .skip((page - 1) * PER_PAGE)
            .take(PER_PAGE)
            .map(|l| line(l, &titles, ctx.today))
            .collect(),
        page,
        pages,
        code,
    })
}
