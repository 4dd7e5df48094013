//! `/v1/reports/{slug}/recommendations` and `/v1/recommendations`: created
//! and withdrawn by the overseer, published to everyone.

use std::sync::Arc;

use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use rectrack_core::ValidationErrors;
use rectrack_store::recommendations::RecommendationFilter;
use uuid::Uuid;

use crate::app::{AppState, Tag};
use crate::auth::{OptionalAuth, TokenAuth};
use crate::http::{Shows, page, slug_filter, write};
use crate::models::{
    AssignmentStatus, NewRecommendation, Recommendation, RecommendationPage, Withdrawal,
};
use crate::preconditions::IdempotencyKey;
use crate::problem::ApiError;
use crate::routes::today;

/// Recommendations.
pub struct RecommendationsApi {
    /// Shared state.
    pub state: Arc<AppState>,
}

/// A created recommendation with its assignments.
pub type Created = crate::http::Created<Recommendation>;

/// A recommendation with its assignments.
pub type One = crate::http::Found<Recommendation>;

/// A page of recommendations.
pub type List = crate::http::Found<RecommendationPage>;

#[OpenApi]
impl RecommendationsApi {
    /// Create a recommendation and its assignments
    #[oai(
        path = "/v1/reports/:slug/recommendations",
        method = "post",
        tag = "Tag::Recommendations"
    )]
    async fn create(
        &self,
        auth: TokenAuth,
        slug: Path<String>,
        body: Json<NewRecommendation>,
        #[oai(name = "Idempotency-Key")] key: IdempotencyKey,
    ) -> Result<Created, ApiError> {
        write(&self.state, &auth, key.bind(body)?, async |ctx, draft| {
            self.state
                .store
                .create_recommendation(ctx, &slug.0, &draft)
                .await
        })
        .await
    }

    /// List recommendations
    #[oai(
        path = "/v1/recommendations",
        method = "get",
        tag = "Tag::Recommendations"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        auth: OptionalAuth,
        report: Query<Option<String>>,
        recipient: Query<Option<String>>,
        status: Query<Option<AssignmentStatus>>,
        theme: Query<Option<String>>,
        limit: Query<Option<i64>>,
        cursor: Query<Option<String>>,
    ) -> Result<List, ApiError> {
        auth.allow(&self.state)?;
        let mut errors = ValidationErrors::new();
        let filter = RecommendationFilter {
            report: slug_filter(&mut errors, "report", report.0),
            recipient: slug_filter(&mut errors, "recipient", recipient.0),
            status: status.0.map(Into::into),
            theme: slug_filter(&mut errors, "theme", theme.0),
        };
        errors.into_result()?;
        let got = self
            .state
            .store
            .recommendations(&filter, &page("recommendations", limit.0, cursor.0)?)
            .await?;
        let today = today(&self.state);
        Ok(List::Ok(Json(RecommendationPage {
            items: got
                .items
                .iter()
                .map(|v| Recommendation::shows(v, today).seen_by(auth.principal()))
                .collect(),
            next_cursor: crate::http::cursor("recommendations", got.next),
        })))
    }

    /// Get one recommendation with its assignments
    #[oai(
        path = "/v1/recommendations/:id",
        method = "get",
        tag = "Tag::Recommendations"
    )]
    async fn get(&self, auth: OptionalAuth, id: Path<Uuid>) -> Result<One, ApiError> {
        auth.allow(&self.state)?;
        let view = self.state.store.recommendation(id.0.into()).await?;
        Ok(One::Ok(Json(
            Recommendation::shows(&view, today(&self.state)).seen_by(auth.principal()),
        )))
    }

    /// Withdraw a recommendation: every open assignment becomes withdrawn
    #[oai(
        path = "/v1/recommendations/:id/withdraw",
        method = "post",
        tag = "Tag::Recommendations"
    )]
    async fn withdraw(
        &self,
        auth: TokenAuth,
        id: Path<Uuid>,
        body: Json<Withdrawal>,
        #[oai(name = "Idempotency-Key")] key: IdempotencyKey,
    ) -> Result<One, ApiError> {
        write(
            &self.state,
            &auth,
            key.bind(body)?,
            async |ctx, (draft, occurred)| {
                self.state
                    .store
                    .withdraw_recommendation(ctx, id.0.into(), &draft, &occurred)
                    .await
            },
        )
        .await
    }
}
