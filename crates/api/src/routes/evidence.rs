//! Evidence and progress updates. A document is uploaded as
//! `multipart/form-data` (`file`, `title`, `description`) and streamed into
//! the blob store — hashed and counted on the way, refused as soon as it
//! passes the upload limit — before its row is written; links and statements
//! come as JSON. Downloads are always attachments, never rendered inline.

use std::sync::Arc;

use futures::TryStreamExt;
use poem::web::Multipart;
use poem::{FromRequest, IntoResponse, Request, RequestBody, Response};
use poem_openapi::param::Path;
use poem_openapi::payload::{Json, ParsePayload, Payload};
use poem_openapi::registry::{
    MetaMediaType, MetaRequest, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
};
use poem_openapi::types::multipart::Upload;
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ApiResponse, ExtractParamOptions, Multipart as MultipartSchema,
    OpenApi,
};
use rectrack_core::evidence::{EvidenceDraft, EvidenceKind};
use rectrack_store::blobs::UploadError;
use tokio_util::io::ReaderStream;
use uuid::Uuid;

use crate::app::{AppState, Tag};
use crate::auth::{Caller, TokenAuth};
use crate::http::write;
use crate::models::{Evidence, EvidenceJson, EvidenceList, NewUpdate, ProgressUpdate, UpdateList};
use crate::preconditions::{IdempotencyKey, IfMatch, Optional};
use crate::problem::{ApiError, Problem, ProblemKind};
use crate::routes::visible_assignment;

/// Evidence and progress updates.
pub struct EvidenceApi {
    /// Shared state.
    pub state: Arc<AppState>,
}

/// The document upload form (documents the multipart body).
#[derive(MultipartSchema)]
pub struct DocumentUpload {
    /// The file.
    pub file: Upload,
    /// Title.
    pub title: String,
    /// Optional description.
    pub description: Option<String>,
}

/// The body of `POST …/evidence`: a streamed document, or a link or statement.
pub enum EvidenceInput {
    /// A document already in the blob store.
    Document(EvidenceDraft),
    /// A link or statement.
    Json(EvidenceJson),
}

/// Longest text field of the upload form, in bytes.
const FORM_TEXT_LIMIT: usize = 100_000;

impl<'a> ApiExtractor<'a> for EvidenceInput {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <DocumentUpload as Payload>::register(registry);
        <Json<EvidenceJson> as Payload>::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: Some(
                "A document as `multipart/form-data`, or a link or statement as JSON.",
            ),
            content: vec![
                MetaMediaType {
                    content_type: "multipart/form-data",
                    schema: <DocumentUpload as Payload>::schema_ref(),
                },
                MetaMediaType {
                    content_type: "application/json; charset=utf-8",
                    schema: <Json<EvidenceJson> as Payload>::schema_ref(),
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
        let content_type = request
            .content_type()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if content_type.starts_with("application/json") {
            return Ok(Self::Json(
                <Json<EvidenceJson> as ParsePayload>::from_request(request, body)
                    .await?
                    .0,
            ));
        }
        if !content_type.starts_with("multipart/form-data") {
            return Err(Problem::of(ProblemKind::UnsupportedMediaType,
                "send a document as multipart/form-data, or a link or statement as application/json",
            )
            .into_error()
            .into());
        }
        // Only a token may upload: nothing is streamed for anyone else.
        if request
            .extensions()
            .get::<Caller>()
            .is_none_or(|c| c.0.is_none())
        {
            return Err(crate::auth::unauthorized("a bearer token is required").into());
        }
        let state = request
            .data::<Arc<AppState>>()
            .ok_or_else(|| Problem::of(ProblemKind::Internal, "no state").into_error())?;
        let mut form = <Multipart as FromRequest>::from_request(request, body)
            .await
            .map_err(malformed)?;
        let (mut title, mut description, mut file) = (None, None, None);
        while let Some(field) = form.next_field().await.map_err(malformed)? {
            match field.name().unwrap_or_default() {
                "file" => {
                    let filename = field.file_name().unwrap_or_default().to_owned();
                    let media_type = field.content_type().map(str::to_owned);
                    let stream =
                        ReaderStream::new(field.into_async_read()).map_err(|e| e.to_string());
                    let stored = state
                        .store
                        .blobs()
                        .put_stream(stream, state.upload_limit)
                        .await
                        .map_err(|e| match e {
                            UploadError::TooLarge { limit } => Problem::of(
                                ProblemKind::TooLarge,
                                format!("the file is larger than the limit of {limit} bytes"),
                            )
                            .into_error(),
                            UploadError::Body(reason) => {
                                Problem::of(ProblemKind::Malformed, reason).into_error()
                            }
                            UploadError::Store(error) => ApiError::from(error),
                        })?;
                    file = Some((filename, media_type, stored));
                }
                "title" => title = Some(text(field).await?),
                "description" => description = Some(text(field).await?),
                other => {
                    return Err(Problem::invalid_field(
                        other,
                        "is not a field of this form (file, title, description)",
                    )
                    .into_error()
                    .into());
                }
            }
        }
        let Some((filename, media_type, stored)) = file else {
            return Err(Problem::invalid_field("file", "is required")
                .into_error()
                .into());
        };
        let Some(title) = title else {
            return Err(Problem::invalid_field("title", "is required")
                .into_error()
                .into());
        };
        Ok(Self::Document(EvidenceDraft::Document {
            title,
            description,
            filename,
            media_type,
            size_bytes: stored.size_bytes,
            sha256: stored.sha256.to_string(),
        }))
    }
}

fn malformed(error: impl std::fmt::Display) -> poem::Error {
    Problem::of(
        ProblemKind::Malformed,
        format!("the form could not be read: {error}"),
    )
    .into_error()
    .into()
}

async fn text(field: poem::web::Field) -> poem::Result<String> {
    let name = field.name().unwrap_or_default().to_owned();
    let bytes = field.bytes().await.map_err(malformed)?;
    if bytes.len() > FORM_TEXT_LIMIT {
        return Err(Problem::invalid_field(&name, "is too long")
            .into_error()
            .into());
    }
    String::from_utf8(bytes).map_err(|_| {
        Problem::invalid_field(&name, "is not UTF-8 text")
            .into_error()
            .into()
    })
}

/// A created evidence item.
pub type Created = crate::http::Created<Evidence>;

/// An evidence item.
pub type One = crate::http::Found<Evidence>;

/// An assignment's evidence.
pub type List = crate::http::Found<EvidenceList>;

/// A created progress update.
pub type UpdateCreated = crate::http::Created<ProgressUpdate>;

/// An assignment's progress updates.
pub type Updates = crate::http::Found<UpdateList>;

/// A document's bytes, as an attachment.
pub struct Download {
    bytes: Vec<u8>,
    media_type: String,
    filename: String,
}

impl ApiResponse for Download {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "The document, as an attachment (`Content-Disposition: attachment`, `X-Content-Type-Options: nosniff`).",
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: "application/octet-stream",
                    schema: MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format(
                        "string", "binary",
                    ))),
                }],
                headers: vec![],
            }],
        }
    }

    fn register(_: &mut Registry) {}
}

impl IntoResponse for Download {
    fn into_response(self) -> Response {
        let ascii: String = self
            .filename
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let encoded: String = self
            .filename
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"._-".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        Response::builder()
            .content_type(&self.media_type)
            .header(
                "Content-Disposition",
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            )
            .header("X-Content-Type-Options", "nosniff")
            .header("Content-Security-Policy", "sandbox; default-src 'none'")
            .header("Cache-Control", "private, no-store")
            .body(self.bytes)
    }
}

#[OpenApi]
impl EvidenceApi {
    /// Add evidence: upload a document, or give a link or statement
    #[oai(
        path = "/v1/assignments/:id/evidence",
        method = "post",
        tag = "Tag::Evidence"
    )]
    async fn create(
        &self,
        auth: TokenAuth,
        id: Path<Uuid>,
        body: EvidenceInput,
        #[oai(name = "If-Match")] if_match: IfMatch<Optional>,
        #[oai(name = "Idempotency-Key")] key: IdempotencyKey,
    ) -> Result<Created, ApiError> {
        let draft = match body {
            EvidenceInput::Document(draft) => draft,
            EvidenceInput::Json(json) => match EvidenceKind::parse(&json.kind.0) {
                Ok(EvidenceKind::Link) => EvidenceDraft::Link {
                    title: json.title.0,
                    description: json.description.map(String::from),
                    url: json.url.unwrap_or_default().0,
                },
                Ok(EvidenceKind::Statement) => EvidenceDraft::Statement {
                    title: json.title.0,
                    description: json.description.map(String::from),
                    text: json.text.unwrap_or_default().0,
                },
                Ok(EvidenceKind::Document) => {
                    return Err(Problem::invalid_field(
                        "kind",
                        "documents are uploaded as multipart/form-data",
                    )
                    .into_error());
                }
                Err(_) => {
                    return Err(Problem::invalid_field(
                        "kind",
                        format!("must be `link` or `statement` (it is `{}`)", json.kind.0),
                    )
                    .into_error());
                }
            },
        };
        // What is wrong with the request is told before whether it is stale.
        let expected = if_match.version()?;
        // A document's fingerprint is its draft (the upload's hash and
        // fields): the form's bytes are not JSON.
        write(
            &self.state,
            &auth,
            key.bind_draft(draft)?,
            async |ctx, draft| {
                self.state
                    .store
                    .add_evidence(ctx, id.0.into(), expected, &draft)
                    .await
            },
        )
        .await
    }

    /// List an assignment's evidence
    #[oai(
        path = "/v1/assignments/:id/evidence",
        method = "get",
        tag = "Tag::Evidence"
    )]
    async fn list(&self, auth: TokenAuth, id: Path<Uuid>) -> Result<List, ApiError> {
        visible_assignment(&self.state, &auth, id.0.into()).await?;
        let items = self.state.store.evidence_of(id.0.into()).await?;
        Ok(List::Ok(Json(EvidenceList {
            items: items.into_iter().map(Into::into).collect(),
            next_cursor: None,
        })))
    }

    /// Get an evidence item's description
    #[oai(path = "/v1/evidence/:id", method = "get", tag = "Tag::Evidence")]
    async fn get(&self, auth: TokenAuth, id: Path<Uuid>) -> Result<One, ApiError> {
        let item = self.state.store.evidence(id.0.into()).await?;
        visible_assignment(&self.state, &auth, item.assignment_id)
            .await
            .map_err(|_| not_found(id.0))?;
        Ok(One::Ok(Json(item.into())))
    }

    /// Download a document's bytes, as an attachment
    #[oai(
        path = "/v1/evidence/:id/content",
        method = "get",
        tag = "Tag::Evidence"
    )]
    async fn content(&self, auth: TokenAuth, id: Path<Uuid>) -> Result<Download, ApiError> {
        let item = self.state.store.evidence(id.0.into()).await?;
        visible_assignment(&self.state, &auth, item.assignment_id)
            .await
            .map_err(|_| not_found(id.0))?;
        let (item, bytes) = self.state.store.evidence_content(id.0.into()).await?;
        let rectrack_core::evidence::EvidenceContent::Document {
            filename,
            media_type,
            ..
        } = item.content
        else {
            return Err(not_found(id.0));
        };
        Ok(Download {
            bytes: bytes.to_vec(),
            media_type: media_type.to_string(),
            filename: filename.to_string(),
        })
    }

    /// Post a progress update
    #[oai(
        path = "/v1/assignments/:id/updates",
        method = "post",
        tag = "Tag::Evidence"
    )]
    async fn post_update(
        &self,
        auth: TokenAuth,
        id: Path<Uuid>,
        body: Json<NewUpdate>,
        #[oai(name = "If-Match")] if_match: IfMatch<Optional>,
        #[oai(name = "Idempotency-Key")] key: IdempotencyKey,
    ) -> Result<UpdateCreated, ApiError> {
        let expected = if_match.version()?;
        write(&self.state, &auth, key.bind(body)?, async |ctx, draft| {
            self.state
                .store
                .post_update(ctx, id.0.into(), expected, &draft)
                .await
        })
        .await
    }

    /// List an assignment's progress updates
    #[oai(
        path = "/v1/assignments/:id/updates",
        method = "get",
        tag = "Tag::Evidence"
    )]
    async fn updates(&self, auth: TokenAuth, id: Path<Uuid>) -> Result<Updates, ApiError> {
        visible_assignment(&self.state, &auth, id.0.into()).await?;
        let items = self.state.store.updates(id.0.into()).await?;
        Ok(Updates::Ok(Json(UpdateList {
            items: items.into_iter().map(Into::into).collect(),
            next_cursor: None,
        })))
    }
}

fn not_found(id: Uuid) -> ApiError {
    rectrack_store::Error::not_found("evidence", id).into()
}
