//! `/v1/assignments`: published status and responses; the recipient's
//! response and extension requests, claims; the overseer's reviews and
//! extension decisions; each assignment's history.

use std::sync::Arc;

use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use rectrack_core::ValidationErrors;
use rectrack_store::assignments::AssignmentFilter;
use uuid::Uuid;

use crate::app::{AppState, Tag};
use crate::auth::{OptionalAuth, TokenAuth};
use crate::http::{Shows, page, slug_filter, write};
use crate::models::{
    Assignment, AssignmentPage, AssignmentStatus, AwaitingPublicationPage, ClaimResult, EventList,
    ExtensionDecisionBody, ExtensionRequest, NewClaim, NewExtensionRequest, NewReview,
    PublicationBody, ResponseBody, ReviewResult,
};
use crate::preconditions::{Bound, IdempotencyKey, IfMatch, Optional, Required};
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

/// A page of responses awaiting publication.
pub type AwaitingList = crate::http::Found<AwaitingPublicationPage>;

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
            .assignments(&filter, &page("assignments", limit.0, cursor.0)?)
            .await?;
        let mut items: Vec<Assignment> = got
            .items
            .iter()
            .map(|r| Assignment::shows(r, today).seen_by(auth.principal()))
            .collect();
        if overdue.0 == Some(false) {
            items.retain(|a| !a.response_overdue && a.overdue_milestones == 0);
        }
        Ok(List::Ok(Json(AssignmentPage {
            items,
            next_cursor: crate::http::cursor("assignments", got.next),
        })))
    }

    /// Get one assignment, with its version as ETag
    #[oai(path = "/v1/assignments/:id", method = "get", tag = "Tag::Assignments")]
    async fn get(&self, auth: OptionalAuth, id: Path<Uuid>) -> Result<One, ApiError> {
        auth.allow(&self.state)?;
        let record = self.state.store.assignment(id.0.into()).await?;
        Ok(One::of(
            Assignment::shows(&record, today(&self.state)).seen_by(auth.principal()),
        ))
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
        #[oai(name = "If-Match")] if_match: IfMatch<Required>,
    ) -> Result<One, ApiError> {
        let expected = if_match.version()?;
        write(
            &self.state,
            &auth,
            Bound::unkeyed(body),
            async |ctx, (draft, occurred)| {
                self.state
                    .store
                    .respond(ctx, id.0.into(), expected, &draft, &occurred)
                    .await
            },
        )
        .await
    }

    /// Publish, publish redacted or withhold the current response's text
    /// (overseer)
    ///
    /// A response's decision is public at once; its text becomes public
    /// when the overseer publishes it, or by itself 21 days after it was
    /// given, unless withheld. `publish` makes the whole text public now;
    /// `publish_redacted` makes `text` public instead, saying why in
    /// `reason`; `withhold` makes no text public, saying why in `reason`.
    /// The latest decision stands. 409 when there is no response yet.
    #[oai(
        path = "/v1/assignments/:id/response/publication",
        method = "post",
        tag = "Tag::Assignments"
    )]
    async fn decide_publication(
        &self,
        auth: TokenAuth,
        id: Path<Uuid>,
        body: Json<PublicationBody>,
        #[oai(name = "If-Match")] if_match: IfMatch<Optional>,
        #[oai(name = "Idempotency-Key")] key: IdempotencyKey,
    ) -> Result<One, ApiError> {
        let expected = if_match.version()?;
        write(&self.state, &auth, key.bind(body)?, async |ctx, draft| {
            self.state
                .store
                .decide_publication(ctx, id.0.into(), expected, &draft)
                .await
        })
        .await
    }

    /// List responses whose text awaits publication, soonest due first
    /// (overseer)
    ///
    /// Current responses whose text is neither public yet nor decided on:
    /// each becomes public by itself on `publish_by` unless the overseer
    /// withholds it first.
    #[oai(
        path = "/v1/responses/awaiting-publication",
        method = "get",
        tag = "Tag::Assignments"
    )]
    async fn awaiting_publication(
        &self,
        auth: TokenAuth,
        limit: Query<Option<i64>>,
        cursor: Query<Option<String>>,
    ) -> Result<AwaitingList, ApiError> {
        auth.0
            .require_overseer("list_responses_awaiting_publication")
            .map_err(rectrack_store::Error::from)?;
        let got = self
            .state
            .store
            .awaiting_publication(
                today(&self.state),
                &page("awaiting publication", limit.0, cursor.0)?,
            )
            .await?;
        Ok(AwaitingList::Ok(Json(AwaitingPublicationPage {
            items: got.items.into_iter().map(Into::into).collect(),
            next_cursor: crate::http::cursor("awaiting publication", got.next),
        })))
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
        #[oai(name = "If-Match")] if_match: IfMatch<Optional>,
        #[oai(name = "Idempotency-Key")] key: IdempotencyKey,
    ) -> Result<ExtensionCreated, ApiError> {
        let expected = if_match.version()?;
        write(
            &self.state,
            &auth,
            key.bind(body)?,
            async |ctx, (draft, occurred)| {
                self.state
                    .store
                    .request_extension(ctx, id.0.into(), expected, &draft, &occurred)
                    .await
            },
        )
        .await
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
        #[oai(name = "If-Match")] if_match: IfMatch<Optional>,
        #[oai(name = "Idempotency-Key")] key: IdempotencyKey,
    ) -> Result<ExtensionDecided, ApiError> {
        let expected = if_match.version()?;
        write(
            &self.state,
            &auth,
            key.bind(body)?,
            async |ctx, (draft, occurred)| {
                self.state
                    .store
                    .decide_extension(
                        ctx,
                        id.0.into(),
                        request_id.0.into(),
                        expected,
                        &draft,
                        &occurred,
                    )
                    .await
            },
        )
        .await
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
        #[oai(name = "If-Match")] if_match: IfMatch<Required>,
        #[oai(name = "Idempotency-Key")] key: IdempotencyKey,
    ) -> Result<Claimed, ApiError> {
        let expected = if_match.version()?;
        write(
            &self.state,
            &auth,
            key.bind(body)?,
            async |ctx, (draft, occurred)| {
                self.state
                    .store
                    .claim(ctx, id.0.into(), expected, &draft, &occurred)
                    .await
            },
        )
        .await
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
        #[oai(name = "If-Match")] if_match: IfMatch<Required>,
        #[oai(name = "Idempotency-Key")] key: IdempotencyKey,
    ) -> Result<Reviewed, ApiError> {
        let expected = if_match.version()?;
        write(
            &self.state,
            &auth,
            key.bind(body)?,
            async |ctx, (draft, occurred)| {
                self.state
                    .store
                    .review(ctx, id.0.into(), expected, &draft, &occurred)
                    .await
            },
        )
        .await
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
