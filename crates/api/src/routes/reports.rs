//! `/v1/reports`: created by the overseer, published to everyone.

use std::sync::Arc;

use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;

use crate::app::{AppState, Tag};
use crate::auth::{OptionalAuth, TokenAuth};
use crate::http::{page, write};
use crate::models::{NewReport, Report, ReportPage};
use crate::preconditions::IdempotencyKey;
use crate::problem::ApiError;

/// Reports.
pub struct ReportsApi {
    /// Shared state.
    pub state: Arc<AppState>,
}

/// A created report.
pub type Created = crate::http::Created<Report>;

/// A report.
pub type One = crate::http::Found<Report>;

/// A page of reports.
pub type List = crate::http::Found<ReportPage>;

#[OpenApi]
impl ReportsApi {
    /// Create a report
    #[oai(path = "/v1/reports", method = "post", tag = "Tag::Reports")]
    async fn create(
        &self,
        auth: TokenAuth,
        body: Json<NewReport>,
        #[oai(name = "Idempotency-Key")] key: IdempotencyKey,
    ) -> Result<Created, ApiError> {
        write(&self.state, &auth, key.bind(body)?, async |ctx, draft| {
            self.state.store.create_report(ctx, &draft).await
        })
        .await
    }

    /// List reports
    #[oai(path = "/v1/reports", method = "get", tag = "Tag::Reports")]
    async fn list(
        &self,
        auth: OptionalAuth,
        limit: Query<Option<i64>>,
        cursor: Query<Option<String>>,
    ) -> Result<List, ApiError> {
        auth.allow(&self.state)?;
        let got = self
            .state
            .store
            .reports(&page("reports", limit.0, cursor.0)?)
            .await?;
        Ok(List::Ok(Json(ReportPage {
            items: got.items.into_iter().map(Into::into).collect(),
            next_cursor: crate::http::cursor("reports", got.next),
        })))
    }

    /// Get one report
    #[oai(path = "/v1/reports/:slug", method = "get", tag = "Tag::Reports")]
    async fn get(&self, auth: OptionalAuth, slug: Path<String>) -> Result<One, ApiError> {
        auth.allow(&self.state)?;
        Ok(One::Ok(Json(
            self.state.store.report(&slug.0).await?.into(),
        )))
    }
}
