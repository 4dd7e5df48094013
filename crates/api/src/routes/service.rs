//! `GET /healthz`: the service is up once the database answers.

use std::sync::Arc;

use poem_openapi::OpenApi;
use poem_openapi::payload::Json;

use crate::app::{AppState, Tag};
use crate::models::Health;
use crate::problem::{ApiError, Problem, ProblemKind};

/// Health.
pub struct ServiceApi {
    /// Shared state.
    pub state: Arc<AppState>,
}

/// The health answer.
pub type HealthResponse = crate::http::Found<Health>;

#[OpenApi]
impl ServiceApi {
    /// Check that the service and its database answer
    #[oai(path = "/healthz", method = "get", tag = "Tag::Service")]
    async fn health(&self) -> Result<HealthResponse, ApiError> {
        self.state.store.connection().ping().await.map_err(|_| {
            Problem::of(ProblemKind::Unavailable, "the database does not answer").into_error()
        })?;
        Ok(HealthResponse::Ok(Json(Health {
            status: "ok".to_owned(),
        })))
    }
}
