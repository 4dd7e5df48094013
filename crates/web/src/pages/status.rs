//! `/status`: the status report as a page, as of any day and on either
//! basis, with the same filters as `GET /v1/status`, and downloads of
//! exactly what is shown (CSV, XLSX, JSON, Markdown).
//!
//! The page and the downloads are computed through the service's report
//! cache, as `/v1/status` is: the JSON, CSV and Markdown downloads are the
//! very bytes `/v1/status` serves for the same question, and an anonymous
//! reader has the same allowance of reports computed for it.

use std::sync::Arc;

use askama::Template;
use bytes::Bytes;
use chrono::NaiveDate;
use poem::{Request, Response};
use rectrack_api::report_cache::{Asker, ReportKey};
use rectrack_api::report_format::ReportFormat;
use rectrack_core::organisation::OrgCode;
use rectrack_core::status_render;
use rectrack_core::status_report::{Basis, ReportFilters, StatusReport};
use rectrack_core::text::Slug;

use super::{Ctx, HTML, Layout, PageError, Site, answer, html};
use crate::headers::Kept;
use crate::pages::home::{Headline, headlines};
use crate::pages::report::{Bar, Choice, Select, chart};
use crate::words;

/// The media type of the spreadsheet download.
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Recommendations listed on the page at most; the downloads hold all.
const LISTED: usize = 300;

#[derive(Template)]
#[template(path = "status.html")]
struct StatusPage {
    layout: Layout,
    as_of: String,
    as_of_words: String,
    basis_words: &'static str,
    occurred: bool,
    selects: Vec<Select>,
    query: String,
    report: Figured,
    chart: Vec<Bar>,
    chart_caption: String,
    left_out: Option<String>,
    columns: Vec<&'static str>,
    by_organisation: Vec<(String, Vec<u64>)>,
    totals: Vec<u64>,
    lines: Vec<LineView>,
    lines_total: usize,
}

/// The headline figures.
struct Figured {
    figures: Vec<Headline>,
}

/// One recommendation and its recipients' statuses.
struct LineView {
    label: String,
    recipients: Vec<(String, &'static str, &'static str)>,
}

/// What the report is asked for.
struct Question {
    filters: ReportFilters,
    as_of: NaiveDate,
    basis: Basis,
    /// Whether the day was given (else today).
    dated: bool,
}

impl Question {
    fn read(ctx: &Ctx) -> Result<Self, PageError> {
        let params = &ctx.params;
        let as_of = params.parsed("as_of", |d| {
            NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| "write it as YYYY-MM-DD, for example 2022-04-08".to_owned())
                .and_then(|day| {
                    if (rectrack_core::time::FIRST_DAY..=rectrack_core::time::LAST_DAY)
                        .contains(&day)
                    {
                        Ok(day)
                    } else {
                        Err(format!(
                            "it must fall between {} and {}",
                            rectrack_core::time::FIRST_DAY,
                            rectrack_core::time::LAST_DAY
                        ))
                    }
                })
        })?;
        let basis = params.parsed("basis", |b| match b {
            "recorded" => Ok(Basis::Recorded),
            "occurred" => Ok(Basis::Occurred),
            _ => Err("choose recorded or occurred"),
        })?;
        Ok(Self {
            filters: ReportFilters {
                report: params.parsed("report", Slug::parse)?,
                organisation: params.parsed("organisation", OrgCode::parse)?,
                theme: params.parsed("theme", Slug::parse)?,
            },
            dated: as_of.is_some(),
            as_of: as_of.unwrap_or(ctx.today),
            basis: basis.unwrap_or_default(),
        })
    }

    /// The key of this report in `content_type`.
    fn key(&self, today: NaiveDate, content_type: &'static str) -> ReportKey {
        ReportKey {
            filters: self.filters.clone(),
            as_of: self.as_of,
            basis: self.basis,
            live: self.as_of >= today,
            lines: true,
            content_type,
        }
    }

    /// The query string that asks this question again.
    fn query(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if self.dated {
            query.append_pair("as_of", &self.as_of.to_string());
        }
        if self.basis == Basis::Occurred {
            query.append_pair("basis", "occurred");
        }
        if let Some(report) = &self.filters.report {
            query.append_pair("report", report.as_str());
        }
        if let Some(organisation) = &self.filters.organisation {
            query.append_pair("organisation", organisation.as_str());
        }
        if let Some(theme) = &self.filters.theme {
            query.append_pair("theme", theme.as_str());
        }
        query.finish()
    }

    /// The file name of a download.
    fn filename(&self, extension: &str) -> String {
        format!("status-{}.{extension}", self.as_of)
    }
}

/// Refuses an anonymous client whose allowance of computed reports is
/// spent, unless the report `key` is already made.
fn admit(ctx: &Ctx, key: &ReportKey) -> Result<(), PageError> {
    if ctx.state.reports.cached(key, ctx.mark.seq).is_some() {
        return Ok(());
    }
    match ctx.client.map(|ip| ctx.state.reports.admit(ip)) {
        Some(Err(wait)) => Err(PageError::TooManyRequests(
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
        )),
        _ => Ok(()),
    }
}

/// Whether no write after the chain's mark can change this report.
fn settled(ctx: &Ctx, question: &Question) -> bool {
    question.basis == Basis::Recorded && ctx.store.settles(question.as_of, ctx.mark)
}

/// The status report page.
pub async fn page(site: Arc<Site>, req: Request) -> Response {
    answer(&site, &req, render).await
}

async fn render(ctx: Ctx) -> Result<Kept, PageError> {
    let question = Question::read(&ctx)?;
    let key = question.key(ctx.today, HTML);
    admit(&ctx, &key)?;
    let settled = settled(&ctx, &question);
    let made = ctx
        .state
        .reports
        .get_or_render(key, ctx.mark.seq, settled, Asker::Anonymous, async {
            let report = ctx
                .store
                .status_report_with(&question.filters, question.as_of, question.basis, true)
                .await?;
            let page = status_page(&ctx, &question, &report).await?;
            Ok::<_, PageError>(page.body)
        })
        .await?;
    Ok(Kept {
        content_type: HTML,
        body: made.body,
        filename: None,
    })
}

async fn status_page(
    ctx: &Ctx,
    question: &Question,
    report: &StatusReport,
) -> Result<Kept, PageError> {
    let names = ctx.store.organisation_names().await?;
    let name = |code: &str| names.get(code).cloned().unwrap_or_else(|| code.to_owned());
    let reports = ctx.store.reports_with_counts().await?;
    let themes = ctx.store.themes().await?;
    let mut organisations: Vec<(&String, &String)> = names.iter().collect();
    organisations.sort_by(|a, b| a.1.cmp(b.1));
    let filters = &question.filters;
    let figure_row = |f: &rectrack_core::status_report::Figures| {
        let status = |s| f.by_status.get(&s).copied().unwrap_or(0);
        use rectrack_core::assignment::AssignmentStatus as S;
        vec![
            f.assignments,
            status(S::AwaitingResponse),
            f.response_overdue,
            f.responses_on_time,
            f.responses_late,
            f.response_timing_unknown,
            status(S::Accepted) + status(S::PartiallyAccepted) + status(S::InProgress),
            status(S::ImplementationClaimed),
            status(S::Verified),
            status(S::ClosedNotImplemented),
            f.overdue_milestones,
        ]
    };
    let as_of_words = words::date(question.as_of);
    let basis_words = status_render::basis_words(question.basis);
    let query = question.query();
    html(&StatusPage {
        layout: Layout::new("Status report", "status", ctx.today).top(),
        as_of: question.as_of.to_string(),
        occurred: question.basis == Basis::Occurred,
        selects: vec![
            Select {
                name: "report",
                label: "Report",
                any: "Every report",
                choices: reports
                    .iter()
                    .map(|(r, _)| Choice {
                        value: r.slug.to_string(),
                        label: r.title.to_string(),
                        selected: filters.report.as_ref() == Some(&r.slug),
                    })
                    .collect(),
            },
            Select {
                name: "organisation",
                label: "Organisation",
                any: "Every organisation",
                choices: organisations
                    .into_iter()
                    .map(|(code, label)| Choice {
                        value: code.clone(),
                        label: label.clone(),
                        selected: filters
                            .organisation
                            .as_ref()
                            .is_some_and(|o| o.as_str() == code),
                    })
                    .collect(),
            },
            Select {
                name: "theme",
                label: "Theme",
                any: "Every theme",
                choices: themes
                    .into_iter()
                    .map(|t| Choice {
                        selected: filters.theme.as_ref().is_some_and(|f| f.as_str() == t),
                        label: t.clone(),
                        value: t,
                    })
                    .collect(),
            },
        ],
        report: Figured {
            figures: headlines(&report.totals),
        },
        chart: chart(&report.totals.by_status),
        chart_caption: format!("Status of every assignment on {as_of_words}, {basis_words}"),
        left_out: status_render::left_out(&report.totals),
        columns: vec![
            "Assignments",
            "Awaiting response",
            "Response overdue",
            "Responses on time",
            "Responses late",
            "Response timing unknown",
            "Accepted or in progress",
            "Implementation claimed",
            "Verified",
            "Closed, not implemented",
            "Milestones overdue",
        ],
        by_organisation: report
            .by_organisation
            .iter()
            .map(|o| (name(o.organisation.as_str()), figure_row(&o.figures)))
            .collect(),
        totals: figure_row(&report.totals),
        lines_total: report.recommendations.len(),
        lines: report
            .recommendations
            .iter()
            .take(LISTED)
            .map(|line| LineView {
                label: format!(
                    "{}, recommendation {}: {}",
                    reports
                        .iter()
                        .find(|(r, _)| r.slug == line.report)
                        .map_or_else(|| line.report.to_string(), |(r, _)| r.title.to_string()),
                    line.number,
                    line.title
                ),
                recipients: line
                    .recipients
                    .iter()
                    .map(|r| {
                        (
                            name(r.organisation.as_str()),
                            words::status(r.status),
                            words::status_tag(r.status),
                        )
                    })
                    .collect(),
            })
            .collect(),
        as_of_words,
        basis_words,
        query,
    })
}

/// The report in `format`: the bytes `/v1/status` serves.
async fn download(ctx: Ctx, format: ReportFormat, extension: &str) -> Result<Kept, PageError> {
    let question = Question::read(&ctx)?;
    let key = question.key(ctx.today, format.content_type());
    admit(&ctx, &key)?;
    let made = rectrack_api::routes::status::render_report(
        &ctx.state,
        key,
        ctx.mark,
        format,
        Asker::Anonymous,
    )
    .await
    .map_err(|error| {
        tracing::error!(?error, "a status report download failed");
        PageError::Internal
    })?;
    Ok(Kept {
        content_type: made.content_type,
        body: made.body,
        filename: Some(question.filename(extension)),
    })
}

/// `/status.csv`.
pub async fn csv(site: Arc<Site>, req: Request) -> Response {
    answer(&site, &req, |ctx| download(ctx, ReportFormat::Csv, "csv")).await
}

/// `/status.json`.
pub async fn json(site: Arc<Site>, req: Request) -> Response {
    answer(&site, &req, |ctx| download(ctx, ReportFormat::Json, "json")).await
}

/// `/status.md`.
pub async fn markdown(site: Arc<Site>, req: Request) -> Response {
    answer(&site, &req, |ctx| {
        download(ctx, ReportFormat::Markdown, "md")
    })
    .await
}

/// `/status.xlsx`: the figures and the recommendations as two sheets.
pub async fn xlsx(site: Arc<Site>, req: Request) -> Response {
    answer(&site, &req, render_xlsx).await
}

async fn render_xlsx(ctx: Ctx) -> Result<Kept, PageError> {
    let question = Question::read(&ctx)?;
    let key = question.key(ctx.today, XLSX);
    admit(&ctx, &key)?;
    let settled = settled(&ctx, &question);
    let made = ctx
        .state
        .reports
        .get_or_render(key, ctx.mark.seq, settled, Asker::Anonymous, async {
            let report = ctx
                .store
                .status_report_with(&question.filters, question.as_of, question.basis, true)
                .await?;
            let sheet = |mut rows: Vec<Vec<String>>| {
                let header = if rows.is_empty() {
                    Vec::new()
                } else {
                    rows.remove(0)
                };
                (header, rows)
            };
            let (figures_header, figures) = sheet(status_render::figure_rows(&report));
            let (lines_header, lines) = sheet(status_render::recommendation_rows(&report));
            let bytes = rectrack_store::export::to_xlsx(&[
                ("figures", figures_header, figures),
                ("recommendations", lines_header, lines),
            ])?;
            Ok::<_, PageError>(Bytes::from(bytes))
        })
        .await?;
    Ok(Kept {
        content_type: XLSX,
        body: made.body,
        filename: Some(question.filename("xlsx")),
    })
}
