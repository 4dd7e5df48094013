//! `POST /v1/imports`: the overseer imports a record kept elsewhere, as a
//! CSV (`text/csv`) or XLSX body (`docs/import.md`). `?dry_run=true`
//! answers what would be done, and every row's errors, writing nothing; a
//! file that is not in the format at all (unreadable, or a wrong header) is
//! refused (422) either way. A real import is all or nothing: any error
//! answers 422 with every row's errors in `rows`, and nothing is written.

use std::sync::Arc;

use poem::{Request, RequestBody};
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaMediaType, MetaRequest, MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions, OpenApi};
use rectrack_store::import::{FileKind, read_table, sha256_hex};

use crate::app::{AppState, Tag};
use crate::auth::TokenAuth;
use crate::models::ImportResult;
use crate::problem::{ApiError, Problem, ProblemKind};

/// Imports.
pub struct ImportsApi {
    /// Shared state.
    pub state: Arc<AppState>,
}

/// An import file: its kind, from the body's media type, and its bytes.
pub struct ImportFile {
    kind: FileKind,
    bytes: bytes::Bytes,
}

/// The media type of an XLSX workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

impl<'a> ApiExtractor<'a> for ImportFile {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(_: &mut Registry) {}

    fn request_meta() -> Option<MetaRequest> {
        let binary = || {
            MetaSchemaRef::Inline(Box::new(MetaSchema {
                format: Some("binary"),
                ..MetaSchema::new("string")
            }))
        };
        Some(MetaRequest {
            description: Some(
                "The file: CSV (RFC 4180, UTF-8) or the first sheet of an XLSX workbook, in the columns of docs/import.md.",
            ),
            content: vec![
                MetaMediaType {
                    content_type: "text/csv",
                    schema: MetaSchemaRef::Inline(Box::new(MetaSchema::new("string"))),
                },
                MetaMediaType {
                    content_type: XLSX,
                    schema: binary(),
                },
            ],
            required: true,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _: ExtractParamOptions<()>,
    ) -> poem::Result<Self> {
        let Some(kind) = request.content_type().and_then(FileKind::from_media_type) else {
            return Err(Problem::of(
                ProblemKind::UnsupportedMediaType,
                format!("send the file as text/csv or as {XLSX}"),
            )
            .into_error()
            .into());
        };
        let bytes = body.take()?.into_bytes().await?;
        Ok(Self { kind, bytes })
    }
}

#[OpenApi]
impl ImportsApi {
    /// Import a record kept elsewhere
    ///
    /// Creates the organisations, reports and recommendations the file
    /// describes that rectrack lacks, and gives each assignment the steps of
    /// its row's history it has not yet taken, each entered as a backfill by
    /// the caller (an overseer). Importing the same file again changes
    /// nothing. The import's audit event (`import.completed`) names the
    /// file's SHA-256 and every row.
    #[oai(
        path = "/v1/imports",
        method = "post",
        tag = "Tag::Imports",
        operation_id = "importRecord"
    )]
    async fn import(
        &self,
        auth: TokenAuth,
        /// Answer what would be done, and every row's errors, writing nothing.
        dry_run: Query<Option<bool>>,
        file: ImportFile,
    ) -> Result<Json<ImportResult>, ApiError> {
        auth.0
            .require_overseer("import")
            .map_err(|refusal| crate::problem::refusal_problem(refusal).into_error())?;
        let sha256 = sha256_hex(&file.bytes);
        let dry_run = dry_run.0.unwrap_or(false);
        // A file that cannot be read as a table is refused, dry run or not.
        let table = read_table(&file.bytes, file.kind)?;
        let report = self
            .state
            .store
            .import(&auth.0, &table, &sha256, dry_run)
            .await?;
        Ok(Json(report.into()))
    }
}
