//! `/workspace`: what needs doing, for the person signed in. A recipient's
//! staff see their organisation's assignments; those who see everything
//! (core's `Actor::sees_everything`: the overseer, an oversight body's
//! observer) see every organisation's.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use poem::http::StatusCode;
use poem::{Request, Response};
use rectrack_core::assignment::AssignmentStatus;
use rectrack_core::ids::RecommendationId;
use rectrack_store::assignments::{AssignmentFilter, AssignmentRecord};
use rectrack_store::page::PageRequest;

use super::{Layout, Workspace, failed, render, signed_in};
use crate::words;

/// How many of each list the dashboard shows.
const SHOWN: u64 = 50;

/// One assignment as a dashboard row.
struct Row {
    number: u32,
    due_on: chrono::NaiveDate,
    recommendation: String,
    href: String,
    organisation: String,
    status: &'static str,
    tag: &'static str,
    due: String,
}

/// One list of the dashboard.
struct Section {
    id: &'static str,
    title: &'static str,
    empty: &'static str,
    rows: Vec<Row>,
    more: bool,
}

#[derive(Template)]
#[template(path = "workspace/dashboard.html")]
struct DashboardPage {
    layout: Layout,
    scope: String,
    sections: Vec<Section>,
}

/// `GET /workspace`.
pub async fn page(ws: Arc<Workspace>, req: Request) -> Response {
    let session = match signed_in(&ws, &req).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let store = &ws.state.store;
    let today = store.now().date_naive();
    let organisation =
        (!session.actor.sees_everything()).then(|| session.person.organisation.to_string());
    let filter = |status: Option<AssignmentStatus>, overdue: bool| AssignmentFilter {
        organisation: organisation.clone(),
        status,
        overdue_on: overdue.then_some(today),
        ..AssignmentFilter::default()
    };
    let lists: [(
        &'static str,
        &'static str,
        &'static str,
        Vec<AssignmentFilter>,
    ); 5] = [
        (
            "overdue",
            "Overdue",
            "Nothing is overdue.",
            vec![filter(None, true)],
        ),
        (
            "awaiting-response",
            "Awaiting a response",
            "No recommendation awaits a response.",
            vec![filter(Some(AssignmentStatus::AwaitingResponse), false)],
        ),
        (
            "claims",
            "Implementation claimed, awaiting review",
            "No claim awaits review.",
            vec![filter(Some(AssignmentStatus::ImplementationClaimed), false)],
        ),
        (
            "in-progress",
            "In progress (returned claims among them)",
            "Nothing is in progress.",
            vec![filter(Some(AssignmentStatus::InProgress), false)],
        ),
        (
            "accepted",
            "Accepted, work not yet reported",
            "Nothing accepted waits for its first progress.",
            vec![
                filter(Some(AssignmentStatus::Accepted), false),
                filter(Some(AssignmentStatus::PartiallyAccepted), false),
            ],
        ),
    ];
    let names = match store.organisation_names().await {
        Ok(names) => names,
        Err(error) => {
            tracing::error!(%error, "the dashboard could not be read");
            return failed();
        }
    };
    let mut found = Vec::new();
    for (id, title, empty, filters) in lists {
        let mut records = Vec::new();
        let mut more = false;
        for filter in &filters {
            let page = match store.assignments(filter, &PageRequest::first(SHOWN)).await {
                Ok(page) => page,
                Err(error) => {
                    tracing::error!(%error, "the dashboard could not be read");
                    return failed();
                }
            };
            more |= page.next.is_some();
            records.extend(page.items);
        }
        found.push((id, title, empty, records, more));
    }
    // Every row's recommendation title in one query, not one per row.
    let mut ids: Vec<RecommendationId> = found
        .iter()
        .flat_map(|(_, _, _, records, _)| records.iter().map(|r| r.assignment.recommendation_id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let titles = match store.recommendation_titles(&ids).await {
        Ok(titles) => titles,
        Err(error) => {
            tracing::error!(%error, "the dashboard could not be read");
            return failed();
        }
    };
    let mut sections = Vec::new();
    for (id, title, empty, records, more) in found {
        let mut rows: Vec<Row> = records
            .iter()
            .map(|record| row(record, &titles, &names))
            .collect();
        rows.sort_by(|a, b| a.due_on.cmp(&b.due_on).then(a.number.cmp(&b.number)));
        sections.push(Section {
            id,
            title,
            empty,
            rows,
            more,
        });
    }
    let scope = match &organisation {
        Some(code) => format!(
            "The assignments of the {}",
            names.get(code).map_or(code.as_str(), String::as_str)
        ),
        None => "Every organisation's assignments".to_owned(),
    };
    render(
        StatusCode::OK,
        &DashboardPage {
            layout: Layout::of("Dashboard", "dashboard", &session),
            scope,
            sections,
        },
    )
}

fn row(
    record: &AssignmentRecord,
    titles: &HashMap<RecommendationId, (String, u32, String)>,
    names: &HashMap<String, String>,
) -> Row {
    let assignment = &record.assignment;
    let (number, recommendation) = titles
        .get(&assignment.recommendation_id)
        .map_or((0, String::new()), |(_, number, title)| {
            (*number, format!("{number}. {title}"))
        });
    Row {
        number,
        due_on: assignment.response_due_on,
        recommendation,
        href: format!("/workspace/assignments/{}", assignment.id),
        organisation: names
            .get(assignment.organisation.as_str())
            .cloned()
            .unwrap_or_else(|| assignment.organisation.to_string()),
        status: words::status(assignment.status),
        tag: words::status_tag(assignment.status),
        due: words::date(assignment.response_due_on),
    }
}
