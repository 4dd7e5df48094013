//! `GET /v1/status`: the status report as JSON, CSV or Markdown, live or as
//! of the end of a past day.

use std::sync::Arc;

use bytes::Bytes;
use poem::{IntoResponse, Request, Response};
use poem_openapi::param::{Header, Query};
use poem_openapi::registry::{
    MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
};
use poem_openapi::types::Type;
use poem_openapi::{ApiResponse, OpenApi};
use rectrack_core::ValidationErrors;
use rectrack_core::organisation::OrgCode;
use rectrack_core::status_render;
use rectrack_core::status_report::{self as domain, ReportFilters};
use rectrack_core::text::Slug;

use crate::app::{AppState, Tag};
use crate::auth::OptionalAuth;
use crate::models::StatusReport;
use crate::models::enums::Basis;
use crate::problem::{ApiError, Problem, ProblemKind, documented_problem};
use crate::report_cache::{Asker, Rendered, ReportKey};
use crate::report_format::ReportFormat;
use crate::routes::today;
use crate::types::Date;

/// Status reports.
pub struct StatusApi {
    /// Shared state.
    pub state: Arc<AppState>,
}

/// A status report, rendered in the format the client accepts: JSON (the
/// default), `text/csv` (one row per organisation and a row `all`) or
/// `text/markdown` (tables of figures and recommendations).
pub enum StatusResponse {
    /// The report.
    Report(Rendered),
    /// An anonymous client asked for more reports than it may have computed;
    /// it may try again after this many seconds.
    Throttled(u64),
}

impl ApiResponse for StatusResponse {
    fn meta() -> MetaResponses {
        let text = || MetaSchemaRef::Inline(Box::new(MetaSchema::new("string")));
        MetaResponses {
            responses: vec![
                MetaResponse {
                    description: "The report: JSON by default, CSV or Markdown by `Accept`.",
                    status: Some(200),
                    status_range: None,
                    content: ReportFormat::ALL
                        .into_iter()
                        .map(|format| MetaMediaType {
                            content_type: format.content_type(),
                            schema: match format {
                                ReportFormat::Json => StatusReport::schema_ref(),
                                ReportFormat::Csv | ReportFormat::Markdown => text(),
                            },
                        })
                        .collect(),
                    headers: vec![],
                },
                documented_problem(
                    406,
                    "No format the `Accept` header allows: the report is served as JSON, CSV or Markdown.",
                ),
                documented_problem(
                    429,
                    "An anonymous client asked for more reports than may be computed for it (its allowance is in the document's description; reports already made cost nothing); `Retry-After` says in how many seconds to try again. A token lifts the limit.",
                ),
            ],
        }
    }

    fn register(registry: &mut Registry) {
        StatusReport::register(registry);
    }
}

/// Bodies are handed to the connection in slices of this size (views of
/// the one rendered copy), so that a large report answered to many clients
/// at once is not copied into each connection's write buffer whole.
const SLICE: usize = 64 * 1024;

impl IntoResponse for StatusResponse {
    fn into_response(self) -> Response {
        let Rendered { content_type, body } = match self {
            Self::Report(rendered) => rendered,
            Self::Throttled(seconds) => {
                let mut response = crate::problem::ProblemJson(Problem::of(
                    ProblemKind::TooManyRequests,
                    format!(
                        "this address has asked for more status reports than may be computed for it; try again in {seconds} s, or use a token"
                    ),
                ))
                .into_response();
                response
                    .headers_mut()
                    .insert(poem::http::header::RETRY_AFTER, seconds.into());
                return response;
            }
        };
        let length = body.len();
        let builder = Response::builder()
            .content_type(content_type)
            .header(poem::http::header::CONTENT_LENGTH, length);
        if length <= SLICE {
            return builder.body(body);
        }
        let slices = (0..length).step_by(SLICE).map(move |start| {
            Ok::<_, std::io::Error>(body.slice(start..(start + SLICE).min(length)))
        });
        builder.body(poem::Body::from_bytes_stream(futures::stream::iter(slices)))
    }
}

#[OpenApi]
impl StatusApi {
    /// Generate a status report, live or as of a past day
    #[oai(path = "/v1/status", method = "get", tag = "Tag::Status")]
    #[allow(clippy::too_many_arguments)] // one per query parameter of the contract
    async fn status(
        &self,
        request: &Request,
        auth: OptionalAuth,
        report: Query<Option<String>>,
        organisation: Query<Option<String>>,
        theme: Query<Option<String>>,
        as_of: Query<Option<Date>>,
        /// Which facts a past day counts: `recorded` (the default: what
        /// rectrack had recorded by the end of `as_of`, as it was known then)
        /// or `occurred` (what had happened by then, as known now, with
        /// backfilled facts on the days they happened). Today's report is
        /// the same on both.
        basis: Query<Option<Basis>>,
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
        let today = today(&self.state);
        let as_of = as_of.0.map_or(today, |d| d.0);
        let format = ReportFormat::negotiate(accept.0.as_deref())?;
        let lines = recommendations.0.unwrap_or(true);
        let basis = basis.0.map_or(domain::Basis::Recorded, Into::into);
        let key = ReportKey {
            filters: filters.clone(),
            as_of,
            basis,
            live: as_of >= today,
            lines,
            content_type: format.content_type(),
        };
        let store = &self.state.store;
        let mark = store.chain_mark().await?;
        if let Some(hit) = self.state.reports.cached(&key, mark.seq) {
            return Ok(StatusResponse::Report(hit));
        }
        if auth.principal().is_none()
            && let Some(client) = request.remote_addr().as_socket_addr().map(|a| a.ip())
            && let Err(wait) = self.state.reports.admit(client)
        {
            return Ok(StatusResponse::Throttled(
                wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            ));
        }
        let asker = match auth.principal() {
            Some(_) => Asker::Token,
            None => Asker::Anonymous,
        };
        let rendered = render_report(&self.state, key, mark, format, asker).await?;
        Ok(StatusResponse::Report(rendered))
    }
}

/// The report `key` asks for, in `format`, from the cache or computed now:
/// what `GET /v1/status` serves, and what the web site's downloads serve.
/// `mark` is where the chain stood when the request was read.
pub async fn render_report(
    state: &AppState,
    key: ReportKey,
    mark: rectrack_store::audit::ChainMark,
    format: ReportFormat,
    asker: Asker,
) -> Result<Rendered, ApiError> {
    let store = &state.store;
    // What had been recorded by a past day never changes; what had
    // occurred by then changes with every backfill.
    let settled = key.basis == domain::Basis::Recorded && store.settles(key.as_of, mark);
    let (filters, as_of, basis, lines) = (key.filters.clone(), key.as_of, key.basis, key.lines);
    let render = async move {
        let report = store
            .status_report_with(&filters, as_of, basis, lines)
            .await?;
        let mut body = match format {
            ReportFormat::Csv => status_render::to_csv(&report),
            ReportFormat::Markdown => status_render::to_markdown(&report),
            ReportFormat::Json => {
                serde_json::to_string(&StatusReport::from(report)).map_err(|e| {
                    tracing::error!(error = %e, "a status report could not be written");
                    Problem::of(ProblemKind::Internal, "the report could not be written")
                        .into_error()
                })?
            }
        };
        // Kept in the cache: without the slack a growing string leaves.
        body.shrink_to_fit();
        Ok::<_, ApiError>(Bytes::from(body))
    };
    state
        .reports
        .get_or_render(key, mark.seq, settled, asker, render)
        .await
}
