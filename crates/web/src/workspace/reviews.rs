//! `/workspace/reviews`: what awaits the oversight body's decision, the
//! longest waiting first: claims of implementation, each with the evidence
//! it cites to open and a link to the assignment's review form; and
//! requests for more time, each with a link to its decision form. Which a
//! person sees is core's visibility rule (`Actor::sees_everything`),
//! applied by the store.

use std::sync::Arc;

use askama::Template;
use poem::http::StatusCode;
use poem::{Request, Response};
use rectrack_core::evidence::EvidenceContent;
use rectrack_store::reviews::{QueuedClaim, QueuedExtension};

use super::{Layout, Workspace, failed, render, signed_in};
use crate::words;

/// How many claims the page lists.
const SHOWN: usize = 100;

struct EvidenceLink {
    title: String,
    kind: &'static str,
    detail: String,
    href: Option<String>,
}

struct Row {
    href: String,
    recommendation: String,
    report: String,
    organisation: String,
    claimed: String,
    waiting: String,
    summary: String,
    evidence: Vec<EvidenceLink>,
}

struct ExtensionRow {
    href: String,
    recommendation: String,
    organisation: String,
    asked: String,
    due: String,
    requested: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "workspace/reviews.html")]
struct ReviewsPage {
    layout: Layout,
    rows: Vec<Row>,
    waiting: usize,
    extensions: Vec<ExtensionRow>,
    extensions_waiting: usize,
}

/// `GET /workspace/reviews`.
pub async fn page(ws: Arc<Workspace>, req: Request) -> Response {
    let session = match signed_in(&ws, &req).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let store = &ws.state.store;
    let today = store.now().date_naive();
    let (queue, waiting) = match store.review_queue(&session.actor, SHOWN).await {
        Ok(found) => found,
        Err(error) => {
            tracing::error!(%error, "the review queue could not be read");
            return failed();
        }
    };
    let (extensions, extensions_waiting) = match store.extension_queue(&session.actor, SHOWN).await
    {
        Ok(found) => found,
        Err(error) => {
            tracing::error!(%error, "the requests for more time could not be read");
            return failed();
        }
    };
    let names = match store.organisation_names().await {
        Ok(names) => names,
        Err(error) => {
            tracing::error!(%error, "the review queue could not be read");
            return failed();
        }
    };
    let rows = queue
        .into_iter()
        .map(|queued| row(queued, today, &names))
        .collect();
    let extensions = extensions
        .into_iter()
        .map(|queued| extension_row(queued, &names))
        .collect();
    render(
        StatusCode::OK,
        &ReviewsPage {
            layout: Layout::of("Awaiting review", "reviews", &session),
            rows,
            waiting,
            extensions,
            extensions_waiting,
        },
    )
}

fn row(
    queued: QueuedClaim,
    today: chrono::NaiveDate,
    names: &std::collections::HashMap<String, String>,
) -> Row {
    let assignment = &queued.assignment.assignment;
    let claimed_on = queued.claim.submitted_at.date_naive();
    let days = (today - claimed_on).num_days().max(0);
    Row {
        href: format!("/workspace/assignments/{}#review", assignment.id),
        recommendation: format!("{}. {}", queued.number, queued.title),
        report: queued.report,
        organisation: super::name_of(names, &assignment.organisation),
        claimed: words::date(claimed_on),
        waiting: match days {
            0 => String::new(),
            1 => " (waiting 1 day)".to_owned(),
            n => format!(" (waiting {n} days)"),
        },
        summary: queued.claim.summary.to_string(),
        evidence: queued
            .evidence
            .into_iter()
            .map(|item| {
                let (kind, detail, href) = match &item.content {
                    EvidenceContent::Document {
                        filename,
                        size_bytes,
                        ..
                    } => (
                        "Document",
                        format!("{filename}, {}", words::bytes(*size_bytes)),
                        Some(format!("/workspace/evidence/{}", item.id)),
                    ),
                    EvidenceContent::Link { url } => {
                        ("Link", url.to_string(), Some(url.to_string()))
                    }
                    EvidenceContent::Statement { text } => ("Statement", text.to_string(), None),
                };
                EvidenceLink {
                    title: item.title.to_string(),
                    kind,
                    detail,
                    href,
                }
            })
            .collect(),
    }
}

fn extension_row(
    queued: QueuedExtension,
    names: &std::collections::HashMap<String, String>,
) -> ExtensionRow {
    let request = queued.request;
    ExtensionRow {
        href: format!(
            "/workspace/assignments/{}#extensions",
            request.assignment_id
        ),
        recommendation: format!("{}. {}", queued.number, queued.title),
        organisation: super::name_of(names, &queued.organisation),
        asked: words::date(request.requested_at.date_naive()),
        due: words::date(queued.response_due_on),
        requested: words::date(request.requested_due_on),
        reason: request.reason.to_string(),
    }
}
