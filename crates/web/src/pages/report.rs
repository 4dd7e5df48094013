//! `/reports/{slug}`: a report's summary and source, its status chart, and
//! every recommendation with each recipient's status and decision,
//! filtered by status, theme and recipient and searched by words.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use askama::Template;
use poem::{Request, Response};
use rectrack_core::assignment::AssignmentStatus;
use rectrack_core::organisation::OrgCode;
use rectrack_core::status_report::{Basis, ReportFilters};
use rectrack_core::text::Slug;
use rectrack_store::recommendations::RecommendationView;

use super::{Ctx, Layout, PageError, Site, answer, html};
use crate::headers::Kept;
use crate::pages::home::{Headline, headlines};
use crate::words;

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    layout: Layout,
    slug: String,
    issued: String,
    summary: Option<String>,
    source: Option<String>,
    report: Figured,
    chart: Vec<Bar>,
    chart_caption: String,
    selects: Vec<Select>,
    words: String,
    filtered: bool,
    shown: String,
    rows: Vec<Row>,
}

/// The report's headline figures (named so that the shared figures
/// template reads `report.figures`).
struct Figured {
    figures: Vec<Headline>,
}

/// One bar of the status chart.
pub(crate) struct Bar {
    pub label: &'static str,
    pub count: u64,
    /// Its length, in hundredths of the longest bar.
    pub length: u64,
    pub percent: String,
}

/// The status chart of `by_status`: one bar per status, longest first in
/// lifecycle order, with its count and share in words.
pub(crate) fn chart(by_status: &BTreeMap<AssignmentStatus, u64>) -> Vec<Bar> {
    let total: u64 = by_status.values().sum();
    let longest = by_status.values().copied().max().unwrap_or(0).max(1);
    AssignmentStatus::ALL
        .into_iter()
        .map(|status| {
            let count = by_status.get(&status).copied().unwrap_or(0);
            Bar {
                label: words::status(status),
                count,
                length: count * 100 / longest,
                percent: format!(
                    "{}%",
                    (count * 100 + total / 2).checked_div(total).unwrap_or(0)
                ),
            }
        })
        .collect()
}

/// A filter chosen from a list, with "any" first.
pub(crate) struct Select {
    /// Its parameter's name (and the element's id).
    pub name: &'static str,
    /// Its label.
    pub label: &'static str,
    /// The words of choosing none.
    pub any: &'static str,
    /// Its options.
    pub choices: Vec<Choice>,
}

/// An option of a filter.
pub(crate) struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A recommendation in the list.
struct Row {
    number: u32,
    title: String,
    href: String,
    themes: String,
    withdrawn: bool,
    recipients: Vec<Cell>,
}

/// One recipient's status and decision.
struct Cell {
    name: String,
    href: String,
    status: &'static str,
    tag: &'static str,
    decision: Option<&'static str>,
}

/// What the list is narrowed to.
struct Filters {
    status: Option<AssignmentStatus>,
    theme: Option<Slug>,
    recipient: Option<OrgCode>,
    words: Vec<String>,
}

impl Filters {
    fn read(ctx: &Ctx) -> Result<Self, PageError> {
        let params = &ctx.params;
        Ok(Self {
            status: params.parsed("status", |s| {
                AssignmentStatus::ALL
                    .into_iter()
                    .find(|status| status.as_str() == s)
                    .ok_or("it is not a status")
            })?,
            theme: params.parsed("theme", Slug::parse)?,
            recipient: params.parsed("recipient", OrgCode::parse)?,
            words: params
                .get("q")
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_lowercase)
                .collect(),
        })
    }

    fn any(&self) -> bool {
        self.status.is_some()
            || self.theme.is_some()
            || self.recipient.is_some()
            || !self.words.is_empty()
    }

    /// The assignments of `view` to show, if the recommendation is shown.
    fn select<'v>(
        &self,
        view: &'v RecommendationView,
    ) -> Option<Vec<&'v rectrack_store::assignments::AssignmentRecord>> {
        let content = &view.recommendation.content;
        if let Some(theme) = &self.theme
            && !content.themes.contains(theme)
        {
            return None;
        }
        if !self.words.is_empty() {
            let text = format!("{} {}", content.title, content.body).to_lowercase();
            if !self.words.iter().all(|w| text.contains(w.as_str())) {
                return None;
            }
        }
        let shown: Vec<_> = view
            .assignments
            .iter()
            .filter(|a| {
                self.recipient
                    .as_ref()
                    .is_none_or(|r| a.assignment.organisation == *r)
            })
            .collect();
        if self.recipient.is_some() && shown.is_empty() {
            return None;
        }
        if let Some(status) = self.status
            && !shown.iter().any(|a| a.assignment.status == status)
        {
            return None;
        }
        Some(shown)
    }
}

/// A report's page.
pub async fn page(site: Arc<Site>, req: Request) -> Response {
    let slug = req.raw_path_param("slug").unwrap_or_default().to_owned();
    answer(&site, &req, |ctx| render(ctx, slug)).await
}

async fn render(ctx: Ctx, slug: String) -> Result<Kept, PageError> {
    let filters = Filters::read(&ctx)?;
    let report = ctx.store.report(&slug).await?;
    let names = ctx.store.organisation_names().await?;
    let name = |code: &str| names.get(code).cloned().unwrap_or_else(|| code.to_owned());
    let views = ctx.store.report_recommendations(&slug).await?;
    let figures = ctx
        .store
        .status_report_with(
            &ReportFilters {
                report: Some(report.slug.clone()),
                organisation: filters.recipient.clone(),
                theme: filters.theme.clone(),
            },
            ctx.today,
            Basis::Recorded,
            false,
        )
        .await?;
    let themes: BTreeSet<&Slug> = views
        .iter()
        .flat_map(|v| &v.recommendation.content.themes)
        .collect();
    let recipients: BTreeSet<&str> = views
        .iter()
        .flat_map(|v| {
            v.assignments
                .iter()
                .map(|a| a.assignment.organisation.as_str())
        })
        .collect();
    let mut rows = Vec::new();
    for view in &views {
        let Some(shown) = filters.select(view) else {
            continue;
        };
        let content = &view.recommendation.content;
        rows.push(Row {
            number: content.number,
            title: content.title.to_string(),
            href: format!("/recommendations/{}", view.recommendation.id),
            themes: content
                .themes
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            withdrawn: view.recommendation.withdrawn,
            recipients: shown
                .into_iter()
                .map(|a| Cell {
                    name: name(a.assignment.organisation.as_str()),
                    href: format!("/organisations/{}", a.assignment.organisation),
                    status: words::status(a.assignment.status),
                    tag: words::status_tag(a.assignment.status),
                    // Said only where the status does not already say it.
                    decision: a
                        .assignment
                        .response
                        .as_ref()
                        .map(|r| words::decision(r.content.decision))
                        .filter(|d| *d != words::status(a.assignment.status)),
                })
                .collect(),
        });
    }
    let mut chart_caption = "Status of every recipient's assignment".to_owned();
    if let Some(recipient) = &filters.recipient {
        chart_caption.push_str(&format!(", {}", name(recipient.as_str())));
    }
    if let Some(theme) = &filters.theme {
        chart_caption.push_str(&format!(", theme {theme}"));
    }
    let shown = format!(
        "Showing {} of {}",
        rows.len(),
        words::count(views.len() as u64, "recommendation", "recommendations")
    );
    let issuer = name(report.issued_by.as_str());
    html(&ReportPage {
        layout: Layout::new(report.title.to_string(), "reports", ctx.today).feed(
            format!("Changes to {}", report.title),
            format!("/reports/{slug}/feed.atom"),
        ),
        issued: format!(
            "Published by {issuer} on {}",
            words::date(report.published_on)
        ),
        summary: report.summary.as_ref().map(ToString::to_string),
        source: report.url.as_ref().map(ToString::to_string),
        report: Figured {
            figures: headlines(&figures.totals),
        },
        chart: chart(&figures.totals.by_status),
        chart_caption,
        selects: vec![
            Select {
                name: "status",
                label: "Status",
                any: "Any status",
                choices: AssignmentStatus::ALL
                    .into_iter()
                    .map(|s| Choice {
                        value: s.as_str().to_owned(),
                        label: words::status(s).to_owned(),
                        selected: filters.status == Some(s),
                    })
                    .collect(),
            },
            Select {
                name: "theme",
                label: "Theme",
                any: "Any theme",
                choices: themes
                    .into_iter()
                    .map(|t| Choice {
                        value: t.to_string(),
                        label: t.to_string(),
                        selected: filters.theme.as_ref() == Some(t),
                    })
                    .collect(),
            },
            Select {
                name: "recipient",
                label: "Recipient",
                any: "Any recipient",
                choices: recipients
                    .into_iter()
                    .map(|code| Choice {
                        value: code.to_owned(),
                        label: name(code),
                        selected: filters
                            .recipient
                            .as_ref()
                            .is_some_and(|r| r.as_str() == code),
                    })
                    .collect(),
            },
        ],
        words: ctx.params.get("q").unwrap_or_default().to_owned(),
        filtered: filters.any(),
        shown,
        rows,
        slug,
    })
}
