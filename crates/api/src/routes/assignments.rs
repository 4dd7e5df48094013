//! `/v1/assignments`: published status and responses; the recipient's
//! response and extension requests, claims; the overseer's reviews and
//! extension decisions; each assignment's history.

use std::sync::Arc;

use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::ToJSON;
use rectrack_core::ValidationErrors;
use rectrack_store::assignments::{AssignmentFilter, AssignmentRecord};
use rectrack_store::progress::ClaimOutcome;
use rectrack_store::reviews::ReviewOutcomeView;
use uuid::Uuid;

use crate::app::{AppState, Tag};
use crate::auth::{OptionalAuth, TokenAuth};
use crate::http::{IdempotencyKey, etag, if_match, page, slug_filter, write};
use crate::models::{
    Assignment, AssignmentPage, AssignmentStatus, Claim, ClaimResult, EventList,
    ExtensionDecisionBody, ExtensionRequest, NewClaim, NewExtensionRequest, NewReview,
    ResponseBody, ReviewResult,
};
use crate::problem::ApiError;
use crate::routes::{today, visible_assignment};

/// Assignments.
pub struct AssignmentsApi {
    /// Shared state.
    pub state: Arc<AppState>,
}

/// An assignment, with its version as `ETag`.
pub type One = crate::http::Tagged<Assignment>;

/// A page of assignments.
pub type List = crate::http::Found<AssignmentPage>;

/// A claim and the assignment after it.
pub type Claimed = crate::http::Tagged<ClaimResult>;

/// A review and the assignment after it.
pub type Reviewed = crate::http::Tagged<ReviewResult>;

/// An extension request, created.
pub type ExtensionCreated = crate::http::Created<ExtensionRequest>;

/// An extension request, decided.
pub type ExtensionDecided = crate::http::Found<ExtensionRequest>;

/// An assignment's extension requests.
pub type ExtensionList = crate::http::Found<Vec<ExtensionRequest>>;

/// An assignment's history.
pub type History = crate::http::Found<EventList>;

#[OpenApi]
impl AssignmentsApi {
    /// List assignments (published status, responses and flags)
    #[oai(path = "/v1/assignments", method = "get", tag = "Tag::Assignments")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        auth: OptionalAuth,
        organisation: Query<Option<String>>,
        report: Query<Option<String>>,
        status: Query<Option<AssignmentStatus>>,
        overdue: Query<Option<bool>>,
        limit: Query<Option<i64>>,
        cursor: Query<Option<String>>,
    ) -> Result<List, ApiError> {
        auth.allow(&self.state)?;
        let today = today(&self.state);
        let mut errors = ValidationErrors::new();
        let filter = AssignmentFilter {
            organisation: slug_filter(&mut errors, "organisation", organisation.0),
            report: slug_filter(&mut errors, "report", report.0),
            status: status.0.map(Into::into),
            overdue_on: (overdue.0 == Some(true)).then_some(today),
            not_overdue_on: (overdue.0 == Some(false)).then_some(today),
        };
        errors.into_result()?;
        let got = self
            .state
            .store
            .assignments(&filter, &page(limit.0, cursor.0)?)
            .await?;
        let mut items: Vec<Assignment> =
            got.items.iter().map(|r| Assignment::of(r, today)).collect();
        if overdue.0 == Some(false) {
            items.retain(|a| !a.response_overdue && a.overdue_milestones == 0);
        }
        Ok(List::Ok(Json(AssignmentPage {
            items,
            next_cursor: crate::http::cursor(got.next),
        })))
    }

    /// Get one assignment, with its version as ETag
    #[oai(path = "/v1/assignments/:id", method = "get", tag = "Tag::Assignments")]
    async fn get(&self, auth: OptionalAuth, id: Path<Uuid>) -> Result<One, ApiError> {
        auth.allow(&self.state)?;
        let record = self.state.store.assignment(id.0.into()).await?;
        let assignment = Assignment::of(&record, today(&self.state));
        let tag = etag(assignment.version);
        Ok(One::Ok(Json(assignment), tag))
    }

    /// Submit or revise the recipient's response (needs If-Match)
    #[oai(
        path = "/v1/assignments/:id/response",
        method = "put",
        tag = "Tag::Assignments"
    )]
    async fn respond(
        &self,
        auth: TokenAuth,
        id: Path<Uuid>,
        body: Json<ResponseBody>,
        #[oai(name = "If-Match")] version: Header<Option<String>>,
    ) -> Result<One, ApiError> {
        let expected = if_match(version.0.as_deref(), true)?;
        let draft = body.0.into();
        let today = today(&self.state);
        let answer = write(
            &auth.0,
            None,
            200,
            |r: &AssignmentRecord| Assignment::of(r, today),
            |_| None,
            async |ctx| {
                self.state
                    .store
                    .respond(ctx, id.0.into(), expected, &draft)
                    .await
            },
        )
        .await?;
        let tag = etag(answer.body.version);
        Ok(One::Ok(Json(answer.body), tag))
    }

    /// Ask for a later response due day
    #[oai(
        path = "/v1/assignments/:id/extension-requests",
        method = "post",
        tag = "Tag::Assignments"
    )]
    async fn request_extension(
        &self,
        auth: TokenAuth,
        id: Path<Uuid>,
        body: Json<NewExtensionRequest>,
        #[oai(name = "If-Match")] version: Header<Option<String>>,
        #[oai(name = "Idempotency-Key")] key: Header<Option<String>>,
    ) -> Result<ExtensionCreated, ApiError> {
        let expected = if_match(version.0.as_deref(), false)?;
        let key = IdempotencyKey::read(
            key.0,
            &format!("request_extension {}", id.0),
            &body.to_json().unwrap_or_default(),
        )?;
        let draft = rectrack_core::deadline::ExtensionDraft {
            requested_due_on: body.0.requested_due_on.0,
            reason: body.0.reason.0,
        };
        let answer = write(
            &auth.0,
            key,
            201,
            |r: &rectrack_core::deadline::ExtensionRequest| ExtensionRequest::from(r.clone()),
            |r| {
                Some(format!(
                    "/v1/assignments/{}/extension-requests/{}",
                    r.assignment_id, r.id
                ))
            },
            async |ctx| {
                self.state
                    .store
                    .request_extension(ctx, id.0.into(), expected, &draft)
                    .await
            },
        )
        .await?;
        Ok(ExtensionCreated::Created(
            Json(answer.body),
            answer.location.unwrap_or_default(),
        ))
    }

    /// List an assignment's extension requests
    #[oai(
        path = "/v1/assignments/:id/extension-requests",
        method = "get",
        tag = "Tag::Assignments"
    )]
    async fn extensions(&self, auth: TokenAuth, id: Path<Uuid>) -> Result<ExtensionList, ApiError> {
        visible_assignment(&self.state, &auth, id.0.into()).await?;
        let requests = self.state.store.extension_requests(id.0.into()).await?;
        Ok(ExtensionList::Ok(Json(
            requests.into_iter().map(Into::into).collect(),
        )))
    }

    /// Grant or refuse an extension request
    #[oai(
        path = "/v1/assignments/:id/extension-requests/:request_id/decision",
        method = "post",
        tag = "Tag::Assignments"
    )]
    async fn decide_extension(
        &self,
        auth: TokenAuth,
        id: Path<Uuid>,
        request_id: Path<Uuid>,
        body: Json<ExtensionDecisionBody>,
        #[oai(name = "If-Match")] version: Header<Option<String>>,
        #[oai(name = "Idempotency-Key")] key: Header<Option<String>>,
    ) -> Result<ExtensionDecided, ApiError> {
        let expected = if_match(version.0.as_deref(), false)?;
        let key = IdempotencyKey::read(
            key.0,
            &format!("decide_extension {} {}", id.0, request_id.0),
            &body.to_json().unwrap_or_default(),
        )?;
        let draft = rectrack_core::deadline::ExtensionDecisionDraft {
            granted: body.0.granted,
            comment: body.0.comment.map(String::from),
        };
        let answer = write(
            &auth.0,
            key,
            200,
            |r: &rectrack_core::deadline::ExtensionRequest| ExtensionRequest::from(r.clone()),
            |_| None,
            async |ctx| {
                self.state
                    .store
                    .decide_extension(ctx, id.0.into(), request_id.0.into(), expected, &draft)
                    .await
            },
        )
        .await?;
        Ok(ExtensionDecided::Ok(Json(answer.body)))
    }

    /// Claim implementation, citing evidence (needs If-Match)
    #[oai(
        path = "/v1/assignments/:id/claim",
        method = "post",
        tag = "Tag::Assignments"
    )]
    async fn claim(
        &self,
        auth: TokenAuth,
        id: Path<Uuid>,
        body: Json<NewClaim>,
        #[oai(name = "If-Match")] version: Header<Option<String>>,
        #[oai(name = "Idempotency-Key")] key: Header<Option<String>>,
    ) -> Result<Claimed, ApiError> {
        let expected = if_match(version.0.as_deref(), true)?;
        let key = IdempotencyKey::read(
            key.0,
            &format!("claim {}", id.0),
            &body.to_json().unwrap_or_default(),
        )?;
        let draft = body.0.into();
        let today = today(&self.state);
        let answer = write(
            &auth.0,
            key,
            200,
            |o: &ClaimOutcome| ClaimResult {
                claim: Claim {
                    id: o.claim.id.as_uuid(),
                    summary: o.claim.summary.to_string(),
                    evidence_ids: o.claim.evidence_ids.iter().map(|e| e.as_uuid()).collect(),
                    submitted_at: o.claim.submitted_at.into(),
                    submitted_by: o.claim.submitted_by.to_string(),
                },
                assignment: Assignment::of(&o.assignment, today),
            },
            |_| None,
            async |ctx| {
                self.state
                    .store
                    .claim(ctx, id.0.into(), expected, &draft)
                    .await
            },
        )
        .await?;
        let tag = etag(answer.body.assignment.version);
        Ok(Claimed::Ok(Json(answer.body), tag))
    }

    /// Review an assignment: verify, return, close or comment (needs If-Match)
    #[oai(
        path = "/v1/assignments/:id/reviews",
        method = "post",
        tag = "Tag::Assignments"
    )]
    async fn review(
        &self,
        auth: TokenAuth,
        id: Path<Uuid>,
        body: Json<NewReview>,
        #[oai(name = "If-Match")] version: Header<Option<String>>,
        #[oai(name = "Idempotency-Key")] key: Header<Option<String>>,
    ) -> Result<Reviewed, ApiError> {
        let expected = if_match(version.0.as_deref(), true)?;
        let key = IdempotencyKey::read(
            key.0,
            &format!("review {}", id.0),
            &body.to_json().unwrap_or_default(),
        )?;
        let draft = rectrack_core::review::ReviewDraft {
            outcome: body.0.outcome.into(),
            comment: body.0.comment.map(String::from),
        };
        let today = today(&self.state);
        let answer = write(
            &auth.0,
            key,
            200,
            |o: &ReviewOutcomeView| ReviewResult {
                review: o.review.clone().into(),
                assignment: Assignment::of(&o.assignment, today),
            },
            |_| None,
            async |ctx| {
                self.state
                    .store
                    .review(ctx, id.0.into(), expected, &draft)
                    .await
            },
        )
        .await?;
        let tag = etag(answer.body.assignment.version);
        Ok(Reviewed::Ok(Json(answer.body), tag))
    }

    /// Every audit event concerning an assignment, oldest first
    #[oai(
        path = "/v1/assignments/:id/history",
        method = "get",
        tag = "Tag::Assignments"
    )]
    async fn history(&self, auth: TokenAuth, id: Path<Uuid>) -> Result<History, ApiError> {
        visible_assignment(&self.state, &auth, id.0.into()).await?;
        let events = self.state.store.history(id.0.into()).await?;
        Ok(History::Ok(Json(EventList {
            items: events.into_iter().map(Into::into).collect(),
            next_cursor: None,
        })))
    }
}
