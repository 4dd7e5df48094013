//! `/`: every report with its headline figures, and the latest published
//! changes across them.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use poem::{Request, Response};
use rectrack_core::assignment::AssignmentStatus;
use rectrack_core::public::PublicEntry;
use rectrack_core::status_report::Figures;
use rectrack_store::public::{ChangeScope, PublicChange};

use super::{Ctx, Layout, PageError, Site, answer, html};
use crate::headers::Kept;
use crate::words;

/// How many changes the page lists.
const CHANGES: u64 = 10;

/// Reports per page, each with its figures computed.
const PER_PAGE: usize = 20;

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    layout: Layout,
    reports: Vec<ReportCard>,
    changes: Vec<ChangeView>,
    total: String,
    page: usize,
    pages: usize,
}

/// A report and its headline figures.
struct ReportCard {
    href: String,
    title: String,
    issued: String,
    recommendations: String,
    figures: Vec<Headline>,
}

/// One headline figure.
pub(crate) struct Headline {
    pub value: u64,
    pub label: &'static str,
    /// Whether it is a figure of something owed and not done.
    pub warn: bool,
}

/// The headline figures of a report or an organisation.
pub(crate) fn headlines(figures: &Figures) -> Vec<Headline> {
    let status = |s: AssignmentStatus| figures.by_status.get(&s).copied().unwrap_or(0);
    vec![
        Headline {
            value: figures.responses_on_time,
            label: "responses on time",
            warn: false,
        },
        Headline {
            value: figures.responses_late,
            label: "responses late",
            warn: figures.responses_late > 0,
        },
        Headline {
            value: status(AssignmentStatus::AwaitingResponse),
            label: "responses outstanding",
            warn: false,
        },
        Headline {
            value: figures.response_overdue,
            label: "responses overdue",
            warn: figures.response_overdue > 0,
        },
        Headline {
            value: figures.response_timing_unknown,
            label: "responses of unknown timing",
            warn: false,
        },
        Headline {
            value: status(AssignmentStatus::Verified),
            label: "verified as implemented",
            warn: false,
        },
        Headline {
            value: status(AssignmentStatus::ClosedNotImplemented),
            label: "closed, not implemented",
            warn: false,
        },
    ]
}

/// A published change, for lists and feeds.
pub(crate) struct ChangeView {
    pub heading: String,
    pub when: String,
    pub text: Option<String>,
    pub href: String,
    pub about: String,
    pub organisation: String,
    pub source: Option<SourceView>,
    /// When it was recorded, RFC 3339 (for feeds).
    pub recorded: String,
    /// A stable id for it (for feeds).
    pub id: String,
}

/// Where a backfilled fact was taken from.
pub(crate) struct SourceView {
    pub entered: String,
    pub text: Option<String>,
    pub url: Option<String>,
}

/// The source of `entry` if it was backfilled.
pub(crate) fn source(entry: &PublicEntry) -> Option<SourceView> {
    entry.is_backfill().then(|| {
        let source = entry.occurred.source.as_ref();
        SourceView {
            entered: words::date(entry.recorded_at.date_naive()),
            text: source
                .and_then(|s| s.text.as_ref())
                .map(|t| t.as_str().trim_end_matches('.').to_owned()),
            url: source.and_then(|s| s.url.as_ref()).map(ToString::to_string),
        }
    })
}

/// `change` in words, naming its report by `titles` and its recipient by
/// `names`.
pub(crate) fn change_view(
    change: &PublicChange,
    titles: &HashMap<String, String>,
    names: &HashMap<String, String>,
) -> ChangeView {
    let entry = &change.entry;
    let report = titles
        .get(&change.report)
        .cloned()
        .unwrap_or_else(|| change.report.clone());
    ChangeView {
        heading: words::fact(&entry.fact),
        when: words::occurred(&entry.occurred),
        text: words::fact_text(&entry.fact).map(str::to_owned),
        href: format!("/recommendations/{}", change.recommendation_id),
        about: format!(
            "{report}, recommendation {}: {}",
            change.number, change.title
        ),
        organisation: names
            .get(&change.organisation)
            .cloned()
            .unwrap_or_else(|| change.organisation.clone()),
        source: source(entry),
        recorded: entry.recorded_at.to_rfc3339(),
        id: format!(
            "{}/{}/{}",
            entry.assignment_id,
            entry.recorded_at.timestamp_micros(),
            words::fact(&entry.fact)
        ),
    }
}

/// The home page.
pub async fn page(site: Arc<Site>, req: Request) -> Response {
    answer(&site, &req, render).await
}

async fn render(ctx: Ctx) -> Result<Kept, PageError> {
    let page: usize = ctx
        .params
        .parsed("page", |p| match p.parse::<usize>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err("it is not a page number"),
        })?
        .unwrap_or(1);
    let names = ctx.store.organisation_names().await?;
    let mut reports = ctx.store.reports_with_counts().await?;
    // The latest first: what people come to read.
    reports.sort_by(|(a, _), (b, _)| {
        (b.published_on, a.slug.as_str()).cmp(&(a.published_on, b.slug.as_str()))
    });
    let pages = reports.len().div_ceil(PER_PAGE).max(1);
    if page > pages {
        return Err(PageError::NotFound(format!(
            "There are {pages} page(s) of reports."
        )));
    }
    let total = words::count(reports.len() as u64, "report", "reports");
    let titles: HashMap<String, String> = reports
        .iter()
        .map(|(r, _)| (r.slug.to_string(), r.title.to_string()))
        .collect();
    let shown: Vec<_> = reports
        .into_iter()
        .skip((page - 1) * PER_PAGE)
        .take(PER_PAGE)
        .collect();
    let slugs: Vec<String> = shown.iter().map(|(r, _)| r.slug.to_string()).collect();
    // Every report's figures on the page in one read, by core's rules.
    let figures = ctx.store.report_figures(&slugs, ctx.today).await?;
    let mut cards = Vec::with_capacity(shown.len());
    for (report, count) in shown {
        let issuer = names
            .get(report.issued_by.as_str())
            .cloned()
            .unwrap_or_else(|| report.issued_by.to_string());
        let totals = figures
            .get(report.slug.as_str())
            .ok_or(PageError::Internal)?;
        cards.push(ReportCard {
            href: format!("/reports/{}", report.slug),
            title: report.title.to_string(),
            issued: format!(
                "Published by {issuer} on {}",
                words::date(report.published_on)
            ),
            recommendations: words::count(count, "recommendation", "recommendations"),
            figures: headlines(totals),
        });
    }
    let changes = if page == 1 {
        ctx.store
            .public_changes(&ChangeScope::default(), CHANGES, ctx.today)
            .await?
            .iter()
            .map(|change| change_view(change, &titles, &names))
            .collect()
    } else {
        Vec::new()
    };
    html(&Home {
        layout: Layout::new(
            "Recommendations and how they are being carried out",
            "reports",
            ctx.today,
        )
        .top(),
        reports: cards,
        changes,
        total,
        page,
        pages,
    })
}
