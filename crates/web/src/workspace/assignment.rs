//! `/workspace/assignments/{id}`: one assignment as those who work on it
//! see it — the recommendation, the response, milestones, evidence,
//! progress, claims, reviews and the whole history — with the forms the
//! person may use now.
//!
//! Which forms appear is core's decision (`lifecycle::decide` for the
//! person's role, organisation and the assignment's status); what a form
//! may record is the store command's, the same the API calls. Forms cannot
//! lose work:
//!
//! - each carries the assignment's version it was rendered from; the store
//!   refuses it if someone changed the assignment meanwhile, and the page
//!   says so, shows the assignment as it now is, keeps what was typed and
//!   overwrites nothing;
//! - each carries a one-time id used as its idempotency key, so a second
//!   click, a refresh or the back button records nothing twice;
//! - errors keep what was typed and name each field (the error summary).

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use chrono::NaiveDate;
use poem::http::StatusCode;
use poem::{Request, Response};
use rectrack_core::Refusal;
use rectrack_core::audit::AuditEvent;
use rectrack_core::deadline::{ExtensionDecisionDraft, ExtensionDraft, ExtensionStatus};
use rectrack_core::evidence::{EvidenceContent, EvidenceDraft};
use rectrack_core::ids::ExtensionRequestId;
use rectrack_core::ids::{AssignmentId, EvidenceId, MilestoneId, PersonId};
use rectrack_core::lifecycle::{Command, decide};
use rectrack_core::milestone::{MilestoneChange, MilestoneDraft, MilestoneStatus};
use rectrack_core::occurrence::OccurrenceDraft;
use rectrack_core::progress::UpdateDraft;
use rectrack_core::response::{ResponseDecision, ResponseDraft};
use rectrack_core::review::{ClaimDraft, ReviewDraft, ReviewOutcome, WithdrawalDraft};
use rectrack_store::people::Session;
use rectrack_store::{Error, Written};

use super::{
    Errors, Form, FormKey, Layout, Workspace, check_form, failed, message_page, render, see_other,
    signed_in,
};
use crate::words;

/// What a form sent back, shown again when it was not recorded.
#[derive(Debug, Clone, Default)]
pub(crate) struct Typed {
    /// Which form (`response`, `milestone`, …); empty when none.
    form: &'static str,
    fields: Form,
}

impl Typed {
    /// What was typed in `field` of `form`, or "".
    pub(crate) fn value(&self, form: &str, field: &str) -> &str {
        if self.form == form {
            self.fields.get(field)
        } else {
            ""
        }
    }

    /// Whether `value` was chosen in `field` of `form`.
    pub(crate) fn chose(&self, form: &str, field: &str, value: &str) -> bool {
        self.form == form && self.fields.all(field).contains(&value)
    }
}

struct MilestoneRow {
    id: MilestoneId,
    title: String,
    due: String,
    due_on: NaiveDate,
    status: &'static str,
    status_value: &'static str,
}

struct ExtensionRow {
    id: ExtensionRequestId,
    requested: String,
    reason: String,
    status: &'static str,
    pending: bool,
    comment: String,
}

struct EvidenceRow {
    id: EvidenceId,
    title: String,
    kind: &'static str,
    detail: String,
    href: Option<String>,
}

struct UpdateRow {
    at: String,
    narrative: String,
}

/// A claim or a review, in the order they came.
struct ClaimRow {
    at: String,
    heading: String,
    text: String,
    cites: Vec<String>,
}

struct HistoryRow {
    at: String,
    action: String,
    who: String,
}

#[derive(Template)]
#[template(path = "workspace/assignment.html")]
struct AssignmentPage {
    layout: Layout,
    id: AssignmentId,
    recommendation_id: rectrack_core::ids::RecommendationId,
    version: i64,
    form_id: String,
    heading: String,
    body: String,
    report: String,
    organisation: String,
    status: &'static str,
    tag: &'static str,
    response_due: String,
    overdue: bool,
    response: Option<(&'static str, String, String)>,
    milestones: Vec<MilestoneRow>,
    milestone_statuses: Vec<(&'static str, &'static str)>,
    extensions: Vec<ExtensionRow>,
    evidence: Vec<EvidenceRow>,
    updates: Vec<UpdateRow>,
    claims: Vec<ClaimRow>,
    history: Vec<HistoryRow>,
    can_respond: bool,
    can_plan: bool,
    can_change_milestones: bool,
    can_request_extension: bool,
    can_decide_extension: bool,
    can_add_evidence: bool,
    upload_limit: String,
    can_post: bool,
    can_claim: bool,
    can_review: bool,
    can_withdraw: bool,
    notice: Option<&'static str>,
    conflict: Option<String>,
    errors: Errors,
    typed: Typed,
}

/// How a page is to be shown: after a write, or with a form sent back.
struct Shown {
    notice: Option<&'static str>,
    conflict: Option<String>,
    errors: Errors,
    typed: Typed,
    status: StatusCode,
}

impl Shown {
    fn plain(notice: Option<&'static str>) -> Self {
        Self {
            notice,
            conflict: None,
            errors: Errors::default(),
            typed: Typed::default(),
            status: StatusCode::OK,
        }
    }
}

/// `GET /workspace/assignments/{id}`.
pub async fn page(ws: Arc<Workspace>, req: Request) -> Response {
    let session = match signed_in(&ws, &req).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let Some(id) = assignment_id(&req) else {
        return not_found();
    };
    let notice = match super::query_value(&req, "done").as_deref() {
        Some("response") => Some("Your response has been recorded."),
        Some("milestone") => Some("The milestone has been added."),
        Some("evidence") => Some("The evidence has been added."),
        Some("update") => Some("Your progress update has been posted."),
        Some("claim") => Some("Your claim of implementation has been recorded."),
        Some("review") => Some("Your review has been recorded."),
        Some("document") => Some("The document has been added."),
        Some("milestone-change") => Some("The milestone has been changed."),
        Some("extension") => Some("Your request for more time has been recorded."),
        Some("extension-decision") => {
            Some("Your decision on the request for more time has been recorded.")
        }
        Some("withdrawal") => {
            Some("The recommendation is withdrawn: every assignment of it still open is closed.")
        }
        Some("again") => Some("That form had already been sent: it was recorded once."),
        _ => None,
    };
    show(&ws, &session, id, Shown::plain(notice)).await
}

fn assignment_id(req: &Request) -> Option<AssignmentId> {
    req.raw_path_param("id")?.parse().ok()
}

fn not_found() -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is no assignment at this address that you may see.",
    )
}

async fn show(ws: &Workspace, session: &Session, id: AssignmentId, shown: Shown) -> Response {
    match build(ws, session, id, shown).await {
        Ok(Some((page, status))) => render(status, &page),
        Ok(None) => not_found(),
        Err(error) => {
            tracing::error!(%error, "an assignment page could not be read");
            failed()
        }
    }
}

async fn build(
    ws: &Workspace,
    session: &Session,
    id: AssignmentId,
    shown: Shown,
) -> Result<Option<(AssignmentPage, StatusCode)>, Error> {
    let store = &ws.state.store;
    let record = match store.assignment(id).await {
        Ok(record) => record,
        Err(Error::NotFound { .. }) => return Ok(None),
        Err(error) => return Err(error),
    };
    let assignment = &record.assignment;
    // Another organisation's assignment is answered as if it did not exist.
    if !session.actor.sees(&assignment.organisation) {
        return Ok(None);
    }
    let today = store.now().date_naive();
    let view = store.recommendation(assignment.recommendation_id).await?;
    let content = &view.recommendation.content;
    let may = |command: Command| {
        decide(
            assignment.status,
            &assignment.organisation,
            &session.actor,
            command,
        )
        .is_ok()
    };
    let milestones = store.milestones(id).await?;
    let evidence = store.evidence_of(id).await?;
    let updates = store.updates(id).await?;
    let extensions = store.extension_requests(id).await?;
    let claims = store.claims(id).await?;
    let reviews = store.reviews(id).await?;
    let titles: HashMap<EvidenceId, String> = evidence
        .iter()
        .map(|e| (e.id, e.title.to_string()))
        .collect();
    let mut claim_rows: Vec<(chrono::DateTime<chrono::Utc>, ClaimRow)> = claims
        .iter()
        .map(|c| {
            (
                c.submitted_at,
                ClaimRow {
                    at: words::date(c.submitted_at.date_naive()),
                    heading: "Implementation claimed".to_owned(),
                    text: c.summary.to_string(),
                    cites: c
                        .evidence_ids
                        .iter()
                        .filter_map(|id| titles.get(id).cloned())
                        .collect(),
                },
            )
        })
        .chain(reviews.iter().map(|r| {
            (
                r.at,
                ClaimRow {
                    at: words::date(r.at.date_naive()),
                    heading: format!("Review: {}", words::outcome(r.outcome)),
                    text: r
                        .comment
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                    cites: Vec::new(),
                },
            )
        }))
        .collect();
    claim_rows.sort_by_key(|(at, _)| *at);
    let history = store.history(id).await?;
    let names = store.person_names(&people_in(&history)).await?;
    let organisation_names = store.organisation_names().await?;
    let organisation = super::name_of(&organisation_names, &assignment.organisation);
    let page = AssignmentPage {
        layout: Layout::of(
            format!("{}. {}", content.number, content.title),
            "dashboard",
            session,
        ),
        id,
        recommendation_id: assignment.recommendation_id,
        version: assignment.version,
        form_id: super::new_form_id(),
        heading: format!("{}. {}", content.number, content.title),
        body: content.body.to_string(),
        report: view.recommendation.report.to_string(),
        organisation,
        status: words::status(assignment.status),
        tag: words::status_tag(assignment.status),
        response_due: words::date(assignment.response_due_on),
        overdue: record.flags(today).response_overdue,
        response: assignment.response.as_ref().map(|response| {
            (
                words::decision(response.content.decision),
                response.content.rationale.to_string(),
                response
                    .content
                    .planned_completion_on
                    .map(words::date)
                    .unwrap_or_default(),
            )
        }),
        milestones: milestones
            .iter()
            .map(|m| MilestoneRow {
                id: m.id,
                title: m.title.to_string(),
                due: words::date(m.due_on),
                due_on: m.due_on,
                status: words::milestone_status(m.status),
                status_value: m.status.as_str(),
            })
            .collect(),
        milestone_statuses: MilestoneStatus::ALL
            .into_iter()
            .map(|s| (s.as_str(), words::milestone_status(s)))
            .collect(),
        extensions: extensions
            .iter()
            .map(|x| ExtensionRow {
                id: x.id,
                requested: words::date(x.requested_due_on),
                reason: x.reason.to_string(),
                status: words::extension_status(x.status),
                pending: x.status == ExtensionStatus::Pending,
                comment: x
                    .decision_comment
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            })
            .collect(),
        evidence: evidence
            .iter()
            .map(|e| {
                let (kind, detail, href) = match &e.content {
                    EvidenceContent::Document {
                        filename,
                        size_bytes,
                        ..
                    } => (
                        "Document",
                        format!("{filename} ({})", words::bytes(*size_bytes)),
                        Some(format!("/workspace/evidence/{}", e.id)),
                    ),
                    EvidenceContent::Link { url } => {
                        ("Link", url.to_string(), Some(url.to_string()))
                    }
                    EvidenceContent::Statement { text } => ("Statement", text.to_string(), None),
                };
                EvidenceRow {
                    id: e.id,
                    title: e.title.to_string(),
                    kind,
                    detail,
                    href,
                }
            })
            .collect(),
        updates: updates
            .iter()
            .map(|u| UpdateRow {
                at: words::date(u.submitted_at.date_naive()),
                narrative: u.narrative.to_string(),
            })
            .collect(),
        claims: claim_rows.into_iter().map(|(_, row)| row).collect(),
        history: history
            .iter()
            .rev()
            .map(|event| HistoryRow {
                at: event.at.format("%-d %B %Y, %H:%M UTC").to_string(),
                action: words::action(&event.action),
                who: who(event, &names),
            })
            .collect(),
        can_respond: ResponseDecision::ALL
            .into_iter()
            .any(|decision| may(Command::Respond(decision))),
        can_plan: may(Command::PlanMilestone),
        can_change_milestones: may(Command::PlanMilestone) || may(Command::StartMilestone),
        can_request_extension: may(Command::RequestExtension),
        can_decide_extension: may(Command::DecideExtension),
        can_add_evidence: may(Command::AddEvidence),
        upload_limit: words::bytes(ws.state.upload_limit),
        can_post: may(Command::PostUpdate),
        can_claim: may(Command::Claim),
        can_review: [
            ReviewOutcome::Verified,
            ReviewOutcome::Returned,
            ReviewOutcome::ClosedNotImplemented,
        ]
        .into_iter()
        .any(|outcome| may(Command::Review(outcome))),
        can_withdraw: !view.recommendation.withdrawn && may(Command::Withdraw),
        notice: shown.notice,
        conflict: shown.conflict,
        errors: shown.errors,
        typed: shown.typed,
    };
    Ok(Some((page, shown.status)))
}

fn people_in(history: &[AuditEvent]) -> Vec<PersonId> {
    let mut ids: Vec<PersonId> = history.iter().filter_map(|e| e.actor.person_id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Who made a change, in words: the person by name, else the token's
/// organisation and role, else the console.
fn who(event: &AuditEvent, names: &HashMap<PersonId, String>) -> String {
    let actor = &event.actor;
    let organisation = actor
        .organisation
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    match (actor.person_id, actor.token_id) {
        (Some(person), _) => format!(
            "{} ({organisation})",
            names
                .get(&person)
                .map_or("a person no longer listed", String::as_str)
        ),
        (None, Some(_)) => format!(
            "an API token of {organisation} ({})",
            actor.role.map_or("", |r| r.as_str())
        ),
        (None, None) => "the operator at the console".to_owned(),
    }
}

/// Which write a form asks for: each is `POST`ed to its own address below
/// the assignment's (`response`, `milestones`, `milestones/{milestone_id}`,
/// `evidence`, `updates`, `claim`, `reviews`, `extension-requests`,
/// `extension-requests/{request_id}/decision`) and answered by [`post`];
/// documents by [`upload`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Write {
    Response,
    Milestone,
    Evidence,
    Update,
    Claim,
    Review,
    Document,
    MilestoneChange,
    Extension,
    ExtensionDecision,
    Withdrawal,
}

impl Write {
    fn name(self) -> &'static str {
        match self {
            Self::Response => "response",
            Self::Milestone => "milestone",
            Self::Evidence => "evidence",
            Self::Update => "update",
            Self::Claim => "claim",
            Self::Review => "review",
            Self::Document => "document",
            Self::MilestoneChange => "milestone-change",
            Self::Extension => "extension",
            Self::ExtensionDecision => "extension-decision",
            Self::Withdrawal => "withdrawal",
        }
    }
}

/// `GET` of a form's address (a page shown after a form was refused, then
/// reloaded or bookmarked): the assignment's page.
pub async fn back(_: Arc<Workspace>, req: Request) -> Response {
    match assignment_id(&req) {
        Some(id) => see_other(&format!("/workspace/assignments/{id}")),
        None => not_found(),
    }
}

/// A form of the assignment's page, recorded by the store command it names.
pub(crate) async fn post(ws: Arc<Workspace>, mut req: Request, write: Write) -> Response {
    let session = match signed_in(&ws, &req).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let Some(id) = assignment_id(&req) else {
        return not_found();
    };
    let form = match Form::checked(&ws, &mut req, &session.csrf_token).await {
        Ok(form) => form,
        Err(response) => return response,
    };
    let typed = Typed {
        form: write.name(),
        fields: form.clone(),
    };
    let Some(principal) = session.principal() else {
        return failed();
    };
    // The version the form was rendered from: without it a form could
    // overwrite what it never showed, so a form without one is not read.
    let Ok(version) = form.get("version").parse::<i64>() else {
        return unreadable();
    };
    let version = Some(version);
    let key = FormKey::of(&session, req.uri().path(), &form);
    let store = &ws.state.store;
    let now = OccurrenceDraft::default();
    let outcome: Result<bool, Error> = match write {
        Write::Response => {
            let decision = match form.get("decision") {
                "accepted" => Some(ResponseDecision::Accepted),
                "partially_accepted" => Some(ResponseDecision::PartiallyAccepted),
                "not_accepted" => Some(ResponseDecision::NotAccepted),
                _ => None,
            };
            let planned = form.get("planned_completion_on").trim();
            let planned_on = if planned.is_empty() {
                Ok(None)
            } else {
                NaiveDate::parse_from_str(planned, "%Y-%m-%d").map(Some)
            };
            match (decision, planned_on) {
                (None, _) => {
                    return shown_again(
                        &ws,
                        &session,
                        id,
                        Errors::one(
                            "response-decision",
                            "Choose whether you accept the recommendation",
                        ),
                        typed,
                    )
                    .await;
                }
                (_, Err(_)) => {
                    return shown_again(
                        &ws,
                        &session,
                        id,
                        Errors::one(
                            "response-planned_completion_on",
                            "Enter the planned completion date as a real date",
                        ),
                        typed,
                    )
                    .await;
                }
                (Some(decision), Ok(planned_completion_on)) => store
                    .respond(
                        &key.ctx(&principal),
                        id,
                        version,
                        &ResponseDraft {
                            decision,
                            rationale: form.get("rationale").to_owned(),
                            planned_completion_on,
                        },
                        &now,
                    )
                    .await
                    .map(|w| matches!(w, Written::Fresh(_))),
            }
        }
        Write::Milestone => {
            let Ok(due_on) = NaiveDate::parse_from_str(form.get("due_on").trim(), "%Y-%m-%d")
            else {
                return shown_again(
                    &ws,
                    &session,
                    id,
                    Errors::one("milestone-due_on", "Enter the date the milestone is due"),
                    typed,
                )
                .await;
            };
            store
                .add_milestone(
                    &key.ctx(&principal),
                    id,
                    version,
                    &MilestoneDraft {
                        title: form.get("title").to_owned(),
                        due_on,
                    },
                    &now,
                )
                .await
                .map(|w| matches!(w, Written::Fresh(_)))
        }
        Write::Evidence => {
            let title = form.get("title").to_owned();
            let description =
                Some(form.get("description").to_owned()).filter(|d| !d.trim().is_empty());
            let draft = match form.get("kind") {
                "link" => EvidenceDraft::Link {
                    title,
                    description,
                    url: form.get("url").trim().to_owned(),
                },
                "statement" => EvidenceDraft::Statement {
                    title,
                    description,
                    text: form.get("text").to_owned(),
                },
                _ => {
                    return shown_again(
                        &ws,
                        &session,
                        id,
                        Errors::one("evidence-kind", "Choose a link or a statement"),
                        typed,
                    )
                    .await;
                }
            };
            store
                .add_evidence(&key.ctx(&principal), id, version, &draft)
                .await
                .map(|w| matches!(w, Written::Fresh(_)))
        }
        Write::Update => {
            let (milestone_ids, evidence_ids) = match cited(&form) {
                Ok(ids) => ids,
                Err(response) => return response,
            };
            store
                .post_update(
                    &key.ctx(&principal),
                    id,
                    version,
                    &UpdateDraft {
                        narrative: form.get("narrative").to_owned(),
                        milestone_ids,
                        evidence_ids,
                    },
                    &now,
                )
                .await
                .map(|w| matches!(w, Written::Fresh(_)))
        }
        Write::Claim => {
            let (_, evidence_ids) = match cited(&form) {
                Ok(ids) => ids,
                Err(response) => return response,
            };
            store
                .claim(
                    &key.ctx(&principal),
                    id,
                    version,
                    &ClaimDraft {
                        summary: form.get("summary").to_owned(),
                        evidence_ids,
                    },
                    &now,
                )
                .await
                .map(|w| matches!(w, Written::Fresh(_)))
        }
        Write::Document => return not_found(),
        Write::MilestoneChange => {
            let Some(milestone_id) = req
                .raw_path_param("milestone_id")
                .and_then(|raw| raw.parse::<MilestoneId>().ok())
            else {
                return not_found();
            };
            let status = MilestoneStatus::ALL
                .into_iter()
                .find(|s| s.as_str() == form.get("status"));
            let due_on = match form.get("due_on").trim() {
                "" => None,
                day => match NaiveDate::parse_from_str(day, "%Y-%m-%d") {
                    Ok(day) => Some(day),
                    Err(_) => {
                        return shown_again(
                            &ws,
                            &session,
                            id,
                            Errors::one(
                                format!("milestone-change-{milestone_id}-due_on"),
                                "Enter the due date as a real date",
                            ),
                            typed,
                        )
                        .await;
                    }
                },
            };
            store
                .change_milestone(
                    &key.ctx(&principal),
                    id,
                    milestone_id,
                    version,
                    &MilestoneChange {
                        title: None,
                        due_on,
                        status,
                        completed_on: None,
                    },
                    &now,
                )
                .await
                .map(|w| matches!(w, Written::Fresh(_)))
        }
        Write::Extension => {
            let Ok(requested_due_on) =
                NaiveDate::parse_from_str(form.get("requested_due_on").trim(), "%Y-%m-%d")
            else {
                return shown_again(
                    &ws,
                    &session,
                    id,
                    Errors::one(
                        "extension-requested_due_on",
                        "Enter the later due date you ask for",
                    ),
                    typed,
                )
                .await;
            };
            store
                .request_extension(
                    &key.ctx(&principal),
                    id,
                    version,
                    &ExtensionDraft {
                        requested_due_on,
                        reason: form.get("reason").to_owned(),
                    },
                    &now,
                )
                .await
                .map(|w| matches!(w, Written::Fresh(_)))
        }
        Write::ExtensionDecision => {
            let Some(request_id) = req
                .raw_path_param("request_id")
                .and_then(|raw| raw.parse::<ExtensionRequestId>().ok())
            else {
                return not_found();
            };
            let granted = match form.get("granted") {
                "yes" => true,
                "no" => false,
                _ => {
                    return shown_again(
                        &ws,
                        &session,
                        id,
                        Errors::one(
                            "extension-decision-granted",
                            "Choose whether to grant the extension",
                        ),
                        typed,
                    )
                    .await;
                }
            };
            let comment = Some(form.get("comment").to_owned()).filter(|c| !c.trim().is_empty());
            store
                .decide_extension(
                    &key.ctx(&principal),
                    id,
                    request_id,
                    version,
                    &ExtensionDecisionDraft { granted, comment },
                    &now,
                )
                .await
                .map(|w| matches!(w, Written::Fresh(_)))
        }
        Write::Review => {
            let outcome = match form.get("outcome") {
                "verified" => ReviewOutcome::Verified,
                "returned" => ReviewOutcome::Returned,
                "closed_not_implemented" => ReviewOutcome::ClosedNotImplemented,
                _ => {
                    return shown_again(
                        &ws,
                        &session,
                        id,
                        Errors::one("review-outcome", "Choose the outcome of your review"),
                        typed,
                    )
                    .await;
                }
            };
            let comment = Some(form.get("comment").to_owned()).filter(|c| !c.trim().is_empty());
            store
                .review(
                    &key.ctx(&principal),
                    id,
                    version,
                    &ReviewDraft { outcome, comment },
                    &now,
                )
                .await
                .map(|w| matches!(w, Written::Fresh(_)))
        }
        // A withdrawal is the recommendation's, for every recipient: the
        // assignment's version is not its precondition.
        Write::Withdrawal => {
            let recommendation = match store.assignment(id).await {
                Ok(record) if session.actor.sees(&record.assignment.organisation) => {
                    record.assignment.recommendation_id
                }
                Ok(_) | Err(Error::NotFound { .. }) => return not_found(),
                Err(error) => {
                    tracing::error!(%error, "an assignment could not be read");
                    return failed();
                }
            };
            store
                .withdraw_recommendation(
                    &key.ctx(&principal),
                    recommendation,
                    &WithdrawalDraft {
                        reason: form.get("reason").to_owned(),
                    },
                    &now,
                )
                .await
                .map(|w| matches!(w, Written::Fresh(_)))
        }
    };
    answer(&ws, &session, id, write, typed, outcome).await
}

/// The answer to a form: on to the page with what was done, or the page
/// again with what went wrong and what was typed.
async fn answer(
    ws: &Workspace,
    session: &Session,
    id: AssignmentId,
    write: Write,
    typed: Typed,
    outcome: Result<bool, Error>,
) -> Response {
    let page = format!("/workspace/assignments/{id}");
    match outcome {
        Ok(true) => see_other(&format!("{page}?done={}", write.name())),
        Ok(false) => see_other(&format!("{page}?done=again")),
        Err(Error::StaleVersion { .. }) => {
            show(
                ws,
                session,
                id,
                Shown {
                    notice: None,
                    conflict: Some(
                        "Someone else changed this assignment while you were working on it, so your change was not saved. The page now shows the assignment as it is; what you typed is kept in the form below. Check it, then send it again.".to_owned(),
                    ),
                    errors: Errors::default(),
                    typed,
                    status: StatusCode::CONFLICT,
                },
            )
            .await
        }
        Err(Error::IdempotencyMismatch) => see_other(&format!("{page}?done=again")),
        Err(Error::Domain(rectrack_core::Error::Validation(errors))) => {
            let prefix = write.name();
            // A milestone's change form is one of many on the page: its
            // errors are named in the summary, not linked to a field.
            let linked = write != Write::MilestoneChange;
            let names: Vec<(String, String)> = errors
                .errors()
                .iter()
                .map(|e| {
                    (
                        if linked { format!("{prefix}-{}", e.field) } else { String::new() },
                        format!("{} {}", words::field(&e.field), e.message),
                    )
                })
                .collect();
            let mut shown = Errors::default();
            for (field, message) in names {
                shown.add(field, message);
            }
            shown_again(ws, session, id, shown, typed).await
        }
        Err(Error::Domain(rectrack_core::Error::Refused(Refusal::NotVisible)))
        | Err(Error::NotFound { .. }) => not_found(),
        // The person's role never does this (as the API, 403), or not now
        // (409): either way the page says why, keeping what was typed.
        Err(Error::Domain(rectrack_core::Error::Refused(
            refusal @ Refusal::NotPermitted { .. },
        ))) => {
            let reason = refusal.to_string();
            shown_refused(ws, session, id, &reason, typed, StatusCode::FORBIDDEN).await
        }
        Err(Error::Domain(rectrack_core::Error::Refused(refusal))) => {
            let reason = refusal.to_string();
            shown_refused(ws, session, id, &reason, typed, StatusCode::CONFLICT).await
        }
        Err(Error::Conflict(reason)) => {
            shown_refused(ws, session, id, &reason, typed, StatusCode::CONFLICT).await
        }
        Err(error) => {
            tracing::error!(%error, "a workspace form could not be recorded");
            failed()
        }
    }
}

fn unreadable() -> Response {
    message_page(
        StatusCode::BAD_REQUEST,
        "This form could not be read",
        "Nothing was changed. Go back, reload the page and try again.",
    )
}

/// The milestones and evidence a form cites (checkboxes of ids).
fn cited(form: &Form) -> Result<(Vec<MilestoneId>, Vec<EvidenceId>), Response> {
    let bad = || {
        message_page(
            StatusCode::BAD_REQUEST,
            "This form could not be read",
            "It named a milestone or an evidence item that is not one of this page's. Go back, reload the page and try again.",
        )
    };
    let milestones = form
        .all("milestone_ids")
        .into_iter()
        .map(str::parse)
        .collect::<Result<Vec<MilestoneId>, _>>()
        .map_err(|_| bad())?;
    let evidence = form
        .all("evidence_ids")
        .into_iter()
        .map(str::parse)
        .collect::<Result<Vec<EvidenceId>, _>>()
        .map_err(|_| bad())?;
    Ok((milestones, evidence))
}

async fn shown_again(
    ws: &Workspace,
    session: &Session,
    id: AssignmentId,
    errors: Errors,
    typed: Typed,
) -> Response {
    show(
        ws,
        session,
        id,
        Shown {
            notice: None,
            conflict: None,
            errors,
            typed,
            status: StatusCode::UNPROCESSABLE_ENTITY,
        },
    )
    .await
}

async fn shown_refused(
    ws: &Workspace,
    session: &Session,
    id: AssignmentId,
    reason: &str,
    typed: Typed,
    status: StatusCode,
) -> Response {
    show(
        ws,
        session,
        id,
        Shown {
            notice: None,
            conflict: None,
            errors: Errors::one("", format!("This was not recorded: {reason}.")),
            typed,
            status,
        },
    )
    .await
}

/// `GET /workspace/evidence/{id}`: a document's bytes, to whoever may see
/// its assignment, as an attachment (never shown inline).
pub async fn document(ws: Arc<Workspace>, req: Request) -> Response {
    use poem::http::{HeaderValue, header};
    let session = match signed_in(&ws, &req).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let Some(id) = req
        .raw_path_param("id")
        .and_then(|raw| raw.parse::<EvidenceId>().ok())
    else {
        return not_found();
    };
    let store = &ws.state.store;
    let item = match store.evidence_seen_by(&session.actor, id).await {
        Ok(item) => item,
        Err(Error::NotFound { .. }) => return not_found(),
        Err(error) => {
            tracing::error!(%error, "an evidence item could not be read");
            return failed();
        }
    };
    let EvidenceContent::Document {
        filename,
        media_type,
        size_bytes,
        sha256,
    } = item.content
    else {
        return not_found();
    };
    let chunks = match store.blobs().open(&sha256, None).await {
        Ok(chunks) => chunks,
        Err(error) => {
            tracing::error!(%error, "a document could not be opened");
            return failed();
        }
    };
    let body = poem::Body::from_bytes_stream(futures_util_map(chunks));
    let mut response = Response::builder()
        .content_type(&media_type)
        .header(header::CONTENT_LENGTH, size_bytes)
        .body(body);
    let headers = response.headers_mut();
    let ascii: String = filename
        .to_string()
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A blob stream's errors as I/O errors, as a response body takes them.
fn futures_util_map(
    chunks: rectrack_store::blobs::BlobStream,
) -> impl futures::Stream<Item = std::io::Result<bytes::Bytes>> {
    use futures::TryStreamExt as _;
    chunks.map_err(std::io::Error::other)
}

/// Fields a document's form may hold, the file last.
const UPLOAD_FIELDS: [&str; 6] = [
    "csrf_token",
    "version",
    "form_id",
    "title",
    "description",
    "file",
];

/// The longest text field of an upload form, in bytes.
const UPLOAD_TEXT_LIMIT: u64 = 100_000;

/// `POST /workspace/assignments/{id}/documents`: a document uploaded as
/// `multipart/form-data`. The form's token is checked before a byte of the
/// file is read (its hidden fields come first), and so is whether the
/// person may add evidence here at all; the file is staged while it
/// streams, within the service's upload limit, and kept only if its row
/// commits.
pub async fn upload(ws: Arc<Workspace>, mut req: Request) -> Response {
    let session = match signed_in(&ws, &req).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let Some(id) = assignment_id(&req) else {
        return not_found();
    };
    let Some(principal) = session.principal() else {
        return failed();
    };
    if !super::same_origin(&req, &ws.state.public_url) {
        return check_form(&ws, &req, &Form::default(), "")
            .err()
            .unwrap_or_else(failed);
    }
    let boundary = req
        .content_type()
        .and_then(|t| multer::parse_boundary(t).ok());
    let Some(boundary) = boundary else {
        return message_page(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "This form could not be read",
            "The document was not sent as a file upload. Go back and try again.",
        );
    };
    let store = &ws.state.store;
    match store.may_add_evidence(&principal, id).await {
        Ok(()) => {}
        Err(Error::NotFound { .. })
        | Err(Error::Domain(rectrack_core::Error::Refused(Refusal::NotVisible))) => {
            return not_found();
        }
        Err(Error::Domain(rectrack_core::Error::Refused(refusal))) => {
            let status = match refusal {
                Refusal::NotPermitted { .. } => StatusCode::FORBIDDEN,
                _ => StatusCode::CONFLICT,
            };
            let reason = refusal.to_string();
            return shown_refused(&ws, &session, id, &reason, Typed::default(), status).await;
        }
        Err(error) => {
            tracing::error!(%error, "an upload could not be checked");
            return failed();
        }
    }
    let constraints = multer::Constraints::new()
        .allowed_fields(UPLOAD_FIELDS.to_vec())
        .size_limit(
            multer::SizeLimit::new()
                .for_field("csrf_token", 1_000)
                .for_field("version", 100)
                .for_field("form_id", 1_000)
                .for_field("title", UPLOAD_TEXT_LIMIT)
                .for_field("description", UPLOAD_TEXT_LIMIT),
        );
    let mut multipart = multer::Multipart::with_constraints(
        req.take_body().into_bytes_stream(),
        boundary,
        constraints,
    );
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut file = None;
    let mut problem: Option<Errors> = None;
    let blobs = store.blobs();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) => {
                tracing::warn!(%error, "an upload form could not be read");
                problem = Some(Errors::one(
                    "document-file",
                    "The form could not be read whole: choose the file and send it again",
                ));
                break;
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let token = fields
                .iter()
                .find(|(k, _)| k == "csrf_token")
                .map_or("", |(_, v)| v.as_str());
            let mut sent = Form::default();
            sent.push("csrf_token", token);
            if let Err(response) = check_form(&ws, &req, &sent, &session.csrf_token) {
                return response;
            }
            let filename = field.file_name().unwrap_or_default().to_owned();
            let media_type = field.content_type().map(ToString::to_string);
            if filename.is_empty() {
                continue;
            }
            match blobs.stage(field, ws.state.upload_limit).await {
                Ok(staged) => file = Some((filename, media_type, staged)),
                Err(rectrack_store::blobs::UploadError::TooLarge { limit }) => {
                    problem = Some(Errors::one(
                        "document-file",
                        format!(
                            "The file is larger than {}: choose a smaller one",
                            words::bytes(limit)
                        ),
                    ));
                    break;
                }
                Err(error) => {
                    tracing::warn!(%error, "an upload could not be staged");
                    problem = Some(Errors::one(
                        "document-file",
                        "The file could not be read whole: choose it and send it again",
                    ));
                    break;
                }
            }
        } else {
            match field.text().await {
                Ok(text) => fields.push((name, text)),
                Err(_) => {
                    problem = Some(Errors::one(
                        "document-title",
                        "A field of the form is too long",
                    ));
                    break;
                }
            }
        }
    }
    let mut form = Form::default();
    for (name, value) in &fields {
        form.push(name, value);
    }
    let typed = Typed {
        form: Write::Document.name(),
        fields: form.clone(),
    };
    if problem.is_none() && file.is_none() {
        problem = Some(Errors::one("document-file", "Choose the file to upload"));
    }
    let (filename, media_type, staged) = match (problem, file) {
        (None, Some(file)) => file,
        (problem, file) => {
            if let Some((_, _, staged)) = file {
                blobs.discard(&staged).await;
            }
            let errors = problem.unwrap_or_default();
            return shown_again(&ws, &session, id, errors, typed).await;
        }
    };
    let draft = EvidenceDraft::Document {
        title: form.get("title").to_owned(),
        description: Some(form.get("description").to_owned()).filter(|d| !d.trim().is_empty()),
        filename,
        media_type,
        size_bytes: staged.blob.size_bytes,
        sha256: staged.blob.sha256.to_string(),
    };
    // A document's fingerprint is its fields and its bytes' hash.
    let mut fingerprint = form.clone();
    fingerprint.push("sha256", staged.blob.sha256.as_ref());
    let key = FormKey::of(&session, req.uri().path(), &fingerprint);
    let ctx = key.ctx(&principal);
    let Ok(version) = form.get("version").parse::<i64>() else {
        blobs.discard(&staged).await;
        return unreadable();
    };
    let version = Some(version);
    let outcome = store
        .add_document(&ctx, id, version, &draft, &staged)
        .await
        .map(|w| matches!(w, Written::Fresh(_)));
    // Published if its row committed; otherwise (refused, or a repeat of a
    // form already recorded) the staged bytes go.
    blobs.discard(&staged).await;
    answer(&ws, &session, id, Write::Document, typed, outcome).await
}
