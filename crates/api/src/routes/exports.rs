//! `GET /v1/exports`: the record as a file: `format=csv` (the assignments
//! in the import format, or with `table=facts` every fact with its days),
//! `format=xlsx` (both tables, as two sheets) or `format=oscal-poam` (an
//! OSCAL plan of action and milestones, JSON). Without a token, the
//! published view; with one, whatever the token may read.

use std::sync::Arc;

use poem::{IntoResponse, Response};
use poem_openapi::param::Query;
use poem_openapi::registry::{
    MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
};
use poem_openapi::{ApiResponse, Enum, OpenApi};
use rectrack_store::export::{Export, ExportFilter, to_csv, to_xlsx};

use crate::app::{AppState, Tag};
use crate::auth::OptionalAuth;
use crate::problem::{ApiError, Problem, ProblemKind};
use crate::routes::imports::XLSX;

/// Exports.
pub struct ExportsApi {
    /// Shared state.
    pub state: Arc<AppState>,
}

/// The format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "kebab-case")]
pub enum ExportFormat {
    /// RFC 4180 CSV, UTF-8: one table (see `table`).
    Csv,
    /// An XLSX workbook: the assignments and the facts, one sheet each.
    Xlsx,
    /// An OSCAL plan of action and milestones (JSON).
    OscalPoam,
}

/// Which table a CSV export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ExportTable {
    /// One row per assignment, in the import format, each followed by a row
    /// per milestone (the default).
    Assignments,
    /// One row per fact: responses, progress, claims, reviews, extension
    /// requests and milestones, with when each was recorded and happened.
    Facts,
}

/// An exported file, served as an attachment.
pub struct ExportFile {
    content_type: &'static str,
    filename: String,
    body: Vec<u8>,
}

impl ApiResponse for ExportFile {
    fn meta() -> MetaResponses {
        let string = |format: Option<&'static str>| {
            MetaSchemaRef::Inline(Box::new(MetaSchema {
                format,
                ..MetaSchema::new("string")
            }))
        };
        MetaResponses {
            responses: vec![MetaResponse {
                description: "The file, as an attachment.",
                status: Some(200),
                status_range: None,
                content: vec![
                    MetaMediaType {
                        content_type: "text/csv",
                        schema: string(None),
                    },
                    MetaMediaType {
                        content_type: XLSX,
                        schema: string(Some("binary")),
                    },
                    MetaMediaType {
                        content_type: "application/json",
                        schema: MetaSchemaRef::Inline(Box::new(MetaSchema::new("object"))),
                    },
                ],
                headers: vec![],
            }],
        }
    }

    fn register(_: &mut Registry) {}
}

impl IntoResponse for ExportFile {
    fn into_response(self) -> Response {
        Response::builder()
            .content_type(self.content_type)
            .header(
                poem::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", self.filename),
            )
            .header("X-Content-Type-Options", "nosniff")
            .body(self.body)
    }
}

#[OpenApi]
impl ExportsApi {
    /// Export the record as CSV, XLSX or an OSCAL POA&M
    ///
    /// CSV and XLSX use the import format (docs/import.md), so that an
    /// export imported into an empty instance gives the same status report.
    /// Cells a spreadsheet would read as formulas are written with a
    /// leading `'`, which an import removes.
    #[oai(
        path = "/v1/exports",
        method = "get",
        tag = "Tag::Imports",
        operation_id = "exportRecord"
    )]
    async fn export(
        &self,
        auth: OptionalAuth,
        format: Query<ExportFormat>,
        /// Only this report's recommendations.
        report: Query<Option<String>>,
        /// Only this recipient's assignments.
        organisation: Query<Option<String>>,
        /// For CSV: which table (`assignments` by default, or `facts`).
        table: Query<Option<ExportTable>>,
    ) -> Result<ExportFile, ApiError> {
        auth.allow(&self.state)?;
        let filter = ExportFilter {
            report: report.0,
            organisation: organisation.0,
        };
        if let Some(report) = &filter.report {
            self.state.store.report(report).await?;
        }
        if let Some(organisation) = &filter.organisation {
            self.state.store.organisation(organisation).await?;
        }
        let export = self.state.store.export(&filter, auth.principal()).await?;
        let stem = match (&filter.report, &filter.organisation) {
            (Some(r), Some(o)) => format!("rectrack-{r}-{o}"),
            (Some(r), None) => format!("rectrack-{r}"),
            (None, Some(o)) => format!("rectrack-{o}"),
            (None, None) => "rectrack".to_owned(),
        };
        let file = match format.0 {
            ExportFormat::Csv => {
                let (body, name) = match table.0.unwrap_or(ExportTable::Assignments) {
                    ExportTable::Assignments => {
                        let mut body = Vec::new();
                        export.write_csv(&mut body).map_err(|e| {
                            Problem::of(
                                ProblemKind::Internal,
                                format!("the file could not be written: {e}"),
                            )
                            .into_error()
                        })?;
                        (body, "assignments")
                    }
                    ExportTable::Facts => (
                        to_csv(&Export::event_columns(), &export.event_rows()).into_bytes(),
                        "facts",
                    ),
                };
                ExportFile {
                    content_type: "text/csv; charset=utf-8",
                    filename: format!("{stem}-{name}.csv"),
                    body,
                }
            }
            ExportFormat::Xlsx => ExportFile {
                content_type: XLSX,
                filename: format!("{stem}.xlsx"),
                body: to_xlsx(&[
                    ("assignments", Export::columns(), export.rows()),
                    ("facts", Export::event_columns(), export.event_rows()),
                ])?,
            },
            ExportFormat::OscalPoam => {
                let Some(document) = export.oscal_poam() else {
                    return Err(Problem::of(
                        ProblemKind::NotFound,
                        "no assignment matches: an OSCAL POA&M holds at least one item",
                    )
                    .into_error());
                };
                ExportFile {
                    content_type: "application/json",
                    filename: format!("{stem}-poam.json"),
                    body: serde_json::to_vec_pretty(&document).map_err(|e| {
                        Problem::of(
                            ProblemKind::Internal,
                            format!("the document could not be written: {e}"),
                        )
                        .into_error()
                    })?,
                }
            }
        };
        Ok(file)
    }
}
