//! `GET /v1/status`: the status report as JSON, CSV or Markdown, live or as
//! of the end of a past day.

use std::sync::Arc;

use poem::{IntoResponse, Response};
use poem_openapi::param::{Header, Query};
use poem_openapi::payload::Json;
use poem_openapi::registry::{
    MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
};
use poem_openapi::types::Type;
use poem_openapi::{ApiResponse, OpenApi};
use rectrack_core::ValidationErrors;
use rectrack_core::organisation::OrgCode;
use rectrack_core::status_render;
use rectrack_core::status_report::ReportFilters;
use rectrack_core::text::Slug;

use crate::app::{AppState, Tag};
use crate::auth::OptionalAuth;
use crate::models::StatusReport;
use crate::problem::ApiError;
use crate::routes::today;
use crate::types::Date;

/// Status reports.
pub struct StatusApi {
    /// Shared state.
    pub state: Arc<AppState>,
}

/// A status report in the format the client accepts.
pub enum StatusResponse {
    /// `application/json` (the default).
    Json(Box<StatusReport>),
    /// `text/csv`: one row per organisation and a row `all`.
    Csv(String),
    /// `text/markdown`: tables of figures and recommendations.
    Markdown(String),
}

impl ApiResponse for StatusResponse {
    fn meta() -> MetaResponses {
        let text = || MetaSchemaRef::Inline(Box::new(MetaSchema::new("string")));
        MetaResponses {
            responses: vec![MetaResponse {
                description: "The report: JSON by default, CSV or Markdown by `Accept`.",
                status: Some(200),
                status_range: None,
                content: vec![
                    MetaMediaType {
                        content_type: "application/json; charset=utf-8",
                        schema: StatusReport::schema_ref(),
                    },
                    MetaMediaType {
                        content_type: "text/csv; charset=utf-8",
                        schema: text(),
                    },
                    MetaMediaType {
                        content_type: "text/markdown; charset=utf-8",
                        schema: text(),
                    },
                ],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        StatusReport::register(registry);
    }
}

impl IntoResponse for StatusResponse {
    fn into_response(self) -> Response {
        match self {
            Self::Json(report) => Json(*report).into_response(),
            Self::Csv(text) => Response::builder()
                .content_type("text/csv; charset=utf-8")
                .body(text),
            Self::Markdown(text) => Response::builder()
                .content_type("text/markdown; charset=utf-8")
                .body(text),
        }
    }
}

#[OpenApi]
impl StatusApi {
    /// Generate a status report, live or as of a past day
    #[oai(path = "/v1/status", method = "get", tag = "Tag::Status")]
    #[allow(clippy::too_many_arguments)] // one per query parameter of the contract
    async fn status(
        &self,
        auth: OptionalAuth,
        report: Query<Option<String>>,
        organisation: Query<Option<String>>,
        theme: Query<Option<String>>,
        as_of: Query<Option<Date>>,
        /// Whether to list every recommendation and its recipients' statuses
        /// (true by default); false gives the figures alone.
        recommendations: Query<Option<bool>>,
        #[oai(name = "Accept")] accept: Header<Option<String>>,
    ) -> Result<StatusResponse, ApiError> {
        auth.allow(&self.state)?;
        let mut errors = ValidationErrors::new();
        let filters = ReportFilters {
            report: errors
                .check("report", report.0.as_deref().map(Slug::parse).transpose())
                .flatten(),
            organisation: errors
                .check(
                    "organisation",
                    organisation.0.as_deref().map(OrgCode::parse).transpose(),
                )
                .flatten(),
            theme: errors
                .check("theme", theme.0.as_deref().map(Slug::parse).transpose())
                .flatten(),
        };
        errors.into_result()?;
        let as_of = as_of.0.map_or_else(|| today(&self.state), |d| d.0);
        let report = self
            .state
            .store
            .status_report_with(&filters, as_of, recommendations.0.unwrap_or(true))
            .await?;
        let accept = accept.0.unwrap_or_default().to_ascii_lowercase();
        Ok(if accept.contains("text/csv") {
            StatusResponse::Csv(status_render::to_csv(&report))
        } else if accept.contains("text/markdown") {
            StatusResponse::Markdown(status_render::to_markdown(&report))
        } else {
            StatusResponse::Json(Box::new((&report).into()))
        })
    }
}
