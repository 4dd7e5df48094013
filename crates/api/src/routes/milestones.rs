//! `/v1/assignments/{id}/milestones`: planned and changed by the recipient,
//! read with a token.

use std::sync::Arc;

use poem_openapi::OpenApi;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use uuid::Uuid;

use crate::app::{AppState, Tag};
use crate::auth::TokenAuth;
use crate::http::write;
use crate::models::{Milestone, MilestoneList, MilestonePatch, NewMilestone};
use crate::preconditions::{Bound, IdempotencyKey, IfMatch, Optional};
use crate::problem::ApiError;
use crate::routes::visible_assignment;

/// Milestones.
pub struct MilestonesApi {
    /// Shared state.
    pub state: Arc<AppState>,
}

/// A created milestone.
pub type Created = crate::http::Created<Milestone>;

/// A milestone.
pub type One = crate::http::Found<Milestone>;

/// An assignment's milestones.
pub type List = crate::http::Found<MilestoneList>;

#[OpenApi]
impl MilestonesApi {
    /// Plan a milestone
    #[oai(
        path = "/v1/assignments/:id/milestones",
        method = "post",
        tag = "Tag::Milestones"
    )]
    async fn create(
        &self,
        auth: TokenAuth,
        id: Path<Uuid>,
        body: Json<NewMilestone>,
        #[oai(name = "If-Match")] if_match: IfMatch<Optional>,
        #[oai(name = "Idempotency-Key")] key: IdempotencyKey,
    ) -> Result<Created, ApiError> {
        let expected = if_match.version()?;
        write(
            &self.state,
            &auth,
            key.bind(body)?,
            async |ctx, (draft, occurred)| {
                self.state
                    .store
                    .add_milestone(ctx, id.0.into(), expected, &draft, &occurred)
                    .await
            },
        )
        .await
    }

    /// Change a milestone's title, due day or status
    #[oai(
        path = "/v1/assignments/:id/milestones/:milestone_id",
        method = "patch",
        tag = "Tag::Milestones"
    )]
    async fn change(
        &self,
        auth: TokenAuth,
        id: Path<Uuid>,
        milestone_id: Path<Uuid>,
        body: Json<MilestonePatch>,
        #[oai(name = "If-Match")] if_match: IfMatch<Optional>,
    ) -> Result<One, ApiError> {
        let expected = if_match.version()?;
        write(
            &self.state,
            &auth,
            Bound::unkeyed(body),
            async |ctx, (draft, occurred)| {
                self.state
                    .store
                    .change_milestone(
                        ctx,
                        id.0.into(),
                        milestone_id.0.into(),
                        expected,
                        &draft,
                        &occurred,
                    )
                    .await
            },
        )
        .await
    }

    /// List an assignment's milestones
    #[oai(
        path = "/v1/assignments/:id/milestones",
        method = "get",
        tag = "Tag::Milestones"
    )]
    async fn list(&self, auth: TokenAuth, id: Path<Uuid>) -> Result<List, ApiError> {
        visible_assignment(&self.state, &auth, id.0.into()).await?;
        let milestones = self.state.store.milestones(id.0.into()).await?;
        Ok(List::Ok(Json(MilestoneList {
            items: milestones.into_iter().map(Into::into).collect(),
            next_cursor: None,
        })))
    }
}
