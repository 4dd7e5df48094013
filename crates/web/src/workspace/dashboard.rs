//! `/workspace`: what needs doing, for the person signed in. A recipient's
//! staff see their organisation's assignments; those who see everything
//! (core's `Actor::sees_everything`: the overseer, an oversight body's
//! observer) see every organisation's.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use chrono::Duration;
use poem::http::StatusCode;
use poem::{Request, Response};
use rectrack_core::assignment::AssignmentStatus;
use rectrack_core::ids::{AssignmentId, RecommendationId};
use rectrack_store::assignments::{AssignmentFilter, AssignmentRecord};
use rectrack_store::page::PageRequest;

use super::{Layout, Workspace, failed, render, signed_in};
use crate::words;

/// How many of each list the dashboard shows.
const SHOWN: u64 = 50;

/// How near a response's due day is "due soon".
const DUE_SOON_DAYS: i64 = 28;

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
    let names = match store.organisation_names().await {
        Ok(names) => names,
        Err(error) => {
            tracing::error!(%error, "the dashboard could not be read");
            return failed();
        }
    };
    let read = async |filters: &[AssignmentFilter]| {
        let mut records = Vec::new();
        let mut more = false;
        for filter in filters {
            let page = store
                .assignments(filter, &PageRequest::first(SHOWN))
                .await?;
            more |= page.next.is_some();
            records.extend(page.items);
        }
        Ok::<_, rectrack_store::Error>((records, more))
    };
    let lists = async || {
        let overdue = read(&[filter(None, true)]).await?;
        let awaiting = read(&[filter(Some(AssignmentStatus::AwaitingResponse), false)]).await?;
        let claimed = read(&[filter(Some(AssignmentStatus::ImplementationClaimed), false)]).await?;
        let in_progress = read(&[filter(Some(AssignmentStatus::InProgress), false)]).await?;
        let accepted = read(&[
            filter(Some(AssignmentStatus::Accepted), false),
            filter(Some(AssignmentStatus::PartiallyAccepted), false),
        ])
        .await?;
        // An assignment in progress that has been claimed was returned:
        // a claim leaves `in_progress` only to come back by a return.
        let ids: Vec<AssignmentId> = in_progress.0.iter().map(|r| r.assignment.id).collect();
        let claims = store.claims_of(&ids).await?;
        Ok::<_, rectrack_store::Error>((overdue, awaiting, claimed, in_progress, accepted, claims))
    };
    let (overdue, awaiting, claimed, in_progress, accepted, claims) = match lists().await {
        Ok(lists) => lists,
        Err(error) => {
            tracing::error!(%error, "the dashboard could not be read");
            return failed();
        }
    };
    let soon = today + Duration::days(DUE_SOON_DAYS);
    let (due_soon, due_later): (Vec<_>, Vec<_>) = awaiting
        .0
        .into_iter()
        .filter(|r| r.assignment.response_due_on >= today)
        .partition(|r| r.assignment.response_due_on <= soon);
    let (returned, working): (Vec<_>, Vec<_>) = in_progress
        .0
        .into_iter()
        .partition(|r| claims.contains_key(&r.assignment.id));
    let lists: [(
        &'static str,
        &'static str,
        &'static str,
        Vec<AssignmentRecord>,
        bool,
    ); 7] = [
        (
            "overdue",
            "Overdue",
            "Nothing is overdue.",
            overdue.0,
            overdue.1,
        ),
        (
            "due-soon",
            "Responses due within four weeks",
            "No response is due within four weeks.",
            due_soon,
            awaiting.1,
        ),
        (
            "returned",
            "Returned for more work",
            "No claim has been returned for more work.",
            returned,
            in_progress.1,
        ),
        (
            "claims",
            "Implementation claimed, awaiting review",
            "No claim awaits review.",
            claimed.0,
            claimed.1,
        ),
        (
            "in-progress",
            "In progress",
            "Nothing else is in progress.",
            working,
            in_progress.1,
        ),
        (
            "accepted",
            "Accepted, work not yet reported",
            "Nothing accepted waits for its first progress.",
            accepted.0,
            accepted.1,
        ),
        (
            "awaiting-response",
            "Responses due later",
            "No other recommendation awaits a response.",
            due_later,
            awaiting.1,
        ),
    ];
    // Every row's recommendation title in one query, not one per row.
    let mut ids: Vec<RecommendationId> = lists
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
    let sections = lists
        .into_iter()
        .map(|(id, title, empty, records, more)| {
            let mut rows: Vec<Row> = records
                .iter()
                .map(|record| row(record, today, &titles, &names))
                .collect();
            rows.sort_by(|a, b| a.due_on.cmp(&b.due_on).then(a.number.cmp(&b.number)));
            Section {
                id,
                title,
                empty,
                rows,
                more,
            }
        })
        .collect();
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
    today: chrono::NaiveDate,
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
        organisation: super::name_of(names, &assignment.organisation),
        status: words::status(assignment.status),
        tag: words::status_tag(assignment.status),
        due: {
            let day = words::date(assignment.response_due_on);
            let awaiting = assignment.status == AssignmentStatus::AwaitingResponse;
            match (assignment.response_due_on - today).num_days() {
                0 if awaiting => format!("{day} (today)"),
                1 if awaiting => format!("{day} (tomorrow)"),
                n @ 2..=DUE_SOON_DAYS if awaiting => format!("{day} (in {n} days)"),
                _ => day,
            }
        },
    }
}
