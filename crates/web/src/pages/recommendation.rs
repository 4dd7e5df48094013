//! `/recommendations/{id}`: a recommendation's text and themes, and for
//! each recipient its status, its response and when it came against the
//! legal clock, and the dated public timeline of what followed.

use std::sync::Arc;

use askama::Template;
use poem::{Request, Response};
use rectrack_core::deadline::ResponseTiming;
use rectrack_core::ids::RecommendationId;
use rectrack_core::public::PublicEntry;
use rectrack_store::assignments::AssignmentRecord;

use super::{Ctx, Layout, PageError, Site, answer, html};
use crate::headers::Kept;
use crate::pages::home::{SourceView, source};
use crate::words;

#[derive(Template)]
#[template(path = "recommendation.html")]
struct RecommendationPage {
    layout: Layout,
    report_title: String,
    report_href: String,
    number: u32,
    paragraphs: Vec<String>,
    themes: Vec<String>,
    basis: &'static str,
    issued: String,
    withdrawn: bool,
    recipients: Vec<Recipient>,
}

/// One recipient's part.
struct Recipient {
    anchor: String,
    name: String,
    href: String,
    status: &'static str,
    tag: &'static str,
    response: Option<ResponseView>,
    clock: Vec<(&'static str, String)>,
    timeline: Vec<Event>,
}

/// The current response.
struct ResponseView {
    decision: &'static str,
    given: String,
    timing: String,
    planned: Option<String>,
    /// Its text as the public may read it, if it may.
    text: Option<String>,
    /// When it will be published, or why it is withheld or redacted.
    note: Option<String>,
    source: Option<SourceView>,
}

/// One dated entry of the timeline.
struct Event {
    heading: String,
    when: String,
    text: Option<String>,
    note: Option<String>,
    source: Option<SourceView>,
}

/// A recommendation's page.
pub async fn page(site: Arc<Site>, req: Request) -> Response {
    let id = req.raw_path_param("id").unwrap_or_default().to_owned();
    answer(&site, &req, |ctx| render(ctx, id)).await
}

async fn render(ctx: Ctx, id: String) -> Result<Kept, PageError> {
    let not_found =
        || PageError::NotFound("There is no recommendation at this address.".to_owned());
    let id: RecommendationId = id.parse().map_err(|_| not_found())?;
    let view = ctx.store.recommendation(id).await?;
    let recommendation = &view.recommendation;
    let content = &recommendation.content;
    let report = ctx.store.report(recommendation.report.as_str()).await?;
    let names = ctx.store.organisation_names().await?;
    let ids: Vec<_> = view.assignments.iter().map(|a| a.assignment.id).collect();
    let history = ctx.store.public_history(&ids, ctx.today).await?;
    let recipients = view
        .assignments
        .iter()
        .map(|record| {
            let code = record.assignment.organisation.as_str();
            let entries = history
                .iter()
                .filter(|e| e.assignment_id == record.assignment.id);
            recipient(
                record,
                names.get(code).cloned().unwrap_or_else(|| code.to_owned()),
                content.response_due_on,
                &history,
                entries,
                ctx.today,
            )
        })
        .collect();
    let title = format!("Recommendation {}: {}", content.number, content.title);
    html(&RecommendationPage {
        layout: Layout::new(title, "reports", ctx.today).crumb(
            report.title.to_string(),
            format!("/reports/{}", report.slug),
        ),
        report_title: report.title.to_string(),
        report_href: format!("/reports/{}", report.slug),
        number: content.number,
        paragraphs: content
            .body
            .as_str()
            .split("\n\n")
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect(),
        themes: content.themes.iter().map(ToString::to_string).collect(),
        basis: words::legal_basis(content.legal_basis),
        issued: words::date(content.issued_on),
        withdrawn: recommendation.withdrawn,
        recipients,
    })
}

fn recipient<'h>(
    record: &AssignmentRecord,
    name: String,
    first_due_on: chrono::NaiveDate,
    history: &[PublicEntry],
    entries: impl Iterator<Item = &'h PublicEntry>,
    today: chrono::NaiveDate,
) -> Recipient {
    let assignment = &record.assignment;
    let flags = record.flags(today);
    let due = assignment.response_due_on;
    let mut clock = vec![("Recommendation made", words::date(assignment.issued_on))];
    clock.push((
        "Response due",
        if due == first_due_on {
            words::date(due)
        } else {
            format!(
                "{} (extended from {})",
                words::date(due),
                words::date(first_due_on)
            )
        },
    ));
    let response = assignment.response.as_ref().map(|response| {
        let current = history.iter().rev().find(|e| {
            e.assignment_id == assignment.id
                && matches!(e.fact, rectrack_core::public::PublicFact::Response { .. })
        });
        ResponseView {
            decision: words::decision(response.content.decision),
            given: words::occurred(&response.occurred),
            timing: match flags.response_timing {
                Some(ResponseTiming::OnTime) => {
                    format!("On time: given by the due date, {}", words::date(due))
                }
                Some(ResponseTiming::Late) => {
                    format!("Late: given after the due date, {}", words::date(due))
                }
                Some(ResponseTiming::Unknown) => format!(
                    "Timing unknown: the record shows only that the first response was given on or before a day after the due date, {}; whether it came in time cannot be said",
                    words::date(due)
                ),
                None => "Not known".to_owned(),
            },
            planned: response.content.planned_completion_on.map(words::date),
            text: response.public_text(today).text().map(str::to_owned),
            note: words::publication_note(&response.public_text(today).into()),
            source: current.and_then(source),
        }
    });
    clock.push((
        "Response",
        match (&response, assignment.status) {
            (Some(r), _) => r.timing.clone(),
            (None, _) if flags.response_overdue => {
                format!("Overdue: no response by the due date, {}", words::date(due))
            }
            (None, status) if status.is_final() => "None was given".to_owned(),
            (None, _) => format!("Not yet due: due by {}", words::date(due)),
        },
    ));
    Recipient {
        anchor: assignment.organisation.to_string(),
        href: format!("/organisations/{}", assignment.organisation),
        status: words::status(assignment.status),
        tag: words::status_tag(assignment.status),
        response,
        clock,
        timeline: entries
            .map(|entry| Event {
                heading: words::fact(&entry.fact),
                when: words::occurred(&entry.occurred),
                text: words::fact_text(&entry.fact).map(str::to_owned),
                note: words::fact_note(&entry.fact),
                source: source(entry),
            })
            .collect(),
        name,
    }
}
