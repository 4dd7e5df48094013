//! Evidence and progress updates. A document is uploaded as
//! `multipart/form-data` (`file`, `title`, `description`). Whether the
//! caller may add evidence to the assignment is decided before the form is
//! read; the file then streams into a staged upload (hashed and counted on
//! the way, refused as soon as it passes the upload limit) that becomes a
//! blob only when its row commits. Links and statements come as JSON.
//! Downloads stream, are always attachments and never rendered inline.

use std::sync::Arc;

use futures::TryStreamExt;
use poem::{IntoResponse, Request, RequestBody, Response};
use poem_openapi::param::{Header, Path};
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
use rectrack_core::ids::AssignmentId;
use rectrack_store::blobs::{Staged, UploadError};
use uuid::Uuid;

use crate::app::{AppState, Tag};
use crate::auth::TokenAuth;
use crate::http::write;
use crate::models::{Evidence, EvidenceJson, EvidenceList, NewUpdate, ProgressUpdate, UpdateList};
use crate::preconditions::{IdempotencyKey, IfMatch, Optional};
use crate::problem::{ApiError, Problem, ProblemJson, ProblemKind};
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

/// The body of `POST …/evidence`: a form not yet read, or a link or
/// statement.
pub enum EvidenceInput {
    /// A document upload, read only once the caller may add evidence here.
    Form(Form),
    /// A link or statement.
    Json(EvidenceJson),
}

/// A `multipart/form-data` body, unread.
pub struct Form {
    body: poem::Body,
    boundary: String,
}

/// Longest text field of the upload form, in bytes.
const FORM_TEXT_LIMIT: u64 = 100_000;

/// The fields of the upload form.
const FORM_FIELDS: [&str; 3] = ["file", "title", "description"];

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
                "A document as `multipart/form-data` (one `file`, a `title`, an optional `description`; no other part), or a link or statement as JSON.",
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
        let boundary = multer::parse_boundary(request.content_type().unwrap_or_default())
            .map_err(malformed)?;
        Ok(Self::Form(Form {
            body: body.take()?,
            boundary,
        }))
    }
}

impl Form {
    /// Reads the form, streaming its file into a staged upload. Whatever
    /// is wrong with the form, nothing staged is left behind.
    async fn read(self, state: &AppState) -> Result<(EvidenceDraft, Staged), ApiError> {
        let constraints = multer::Constraints::new()
            .allowed_fields(FORM_FIELDS.to_vec())
            .size_limit(
                multer::SizeLimit::new()
                    .for_field("title", FORM_TEXT_LIMIT)
                    .for_field("description", FORM_TEXT_LIMIT),
            );
        let mut form = multer::Multipart::with_constraints(
            self.body.into_bytes_stream(),
            self.boundary,
            constraints,
        );
        let blobs = state.store.blobs();
        let (mut title, mut description, mut file) =
            (None, None, None::<(String, Option<String>, Staged)>);
        let read = async {
            while let Some(field) = form.next_field().await.map_err(form_error)? {
                let name = field.name().unwrap_or_default().to_owned();
                let seen = match name.as_str() {
                    "file" => file.is_some(),
                    "title" => title.is_some(),
                    _ => description.is_some(),
                };
                if seen {
                    return Err(Problem::invalid_field(
                        &name,
                        "is sent twice; the form holds one document, one title and one description",
                    )
                    .into_error());
                }
                match name.as_str() {
                    "file" => {
                        let filename = field.file_name().unwrap_or_default().to_owned();
                        let media_type = field.content_type().map(ToString::to_string);
                        let staged = blobs
                            .stage(field, state.upload_limit)
                            .await
                            .map_err(upload_error)?;
                        file = Some((filename, media_type, staged));
                    }
                    "title" => title = Some(text(field).await?),
                    _ => description = Some(text(field).await?),
                }
            }
            Ok(())
        }
        .await;
        let (filename, media_type, staged) = match (read, file) {
            (Ok(()), Some(file)) => file,
            (Ok(()), None) => {
                return Err(Problem::invalid_field("file", "is required").into_error());
            }
            (Err(e), file) => {
                if let Some((_, _, staged)) = file {
                    blobs.discard(&staged).await;
                }
                return Err(e);
            }
        };
        let Some(title) = title else {
            blobs.discard(&staged).await;
            return Err(Problem::invalid_field("title", "is required").into_error());
        };
        let draft = EvidenceDraft::Document {
            title,
            description,
            filename,
            media_type,
            size_bytes: staged.blob.size_bytes,
            sha256: staged.blob.sha256.to_string(),
        };
        Ok((draft, staged))
    }
}

fn upload_error(error: UploadError) -> ApiError {
    match error {
        UploadError::TooLarge { limit } => Problem::of(
            ProblemKind::TooLarge,
            format!("the file is larger than the limit of {limit} bytes"),
        )
        .into_error(),
        UploadError::Body(reason) => Problem::of(ProblemKind::Malformed, reason).into_error(),
        UploadError::Store(error) => ApiError::from(error),
    }
}

fn form_error(error: multer::Error) -> ApiError {
    match error {
        multer::Error::UnknownField { field_name } => Problem::invalid_field(
            field_name.as_deref().unwrap_or("(unnamed part)"),
            "is not a field of this form (file, title, description)",
        )
        .into_error(),
        multer::Error::FieldSizeExceeded { field_name, .. } => Problem::invalid_field(
            field_name.as_deref().unwrap_or("(unnamed part)"),
            "is too long",
        )
        .into_error(),
        other => Problem::of(
            ProblemKind::Malformed,
            format!("the form could not be read: {other}"),
        )
        .into_error(),
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

async fn text(field: multer::Field<'_>) -> Result<String, ApiError> {
    let name = field.name().unwrap_or_default().to_owned();
    let bytes = field.bytes().await.map_err(form_error)?;
    String::from_utf8(bytes.to_vec())
        .map_err(|_| Problem::invalid_field(&name, "is not UTF-8 text").into_error())
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

/// A document's bytes, as an attachment: whole, one range of them, or a
/// 416 when the range lies outside the document.
pub enum Download {
    /// The bytes, streamed.
    Bytes {
        /// The stream.
        body: poem::Body,
        /// The document's media type.
        media_type: String,
        /// Its file name.
        filename: String,
        /// Its SHA-256, the entity tag.
        sha256: String,
        /// Its whole length.
        length: u64,
        /// The range sent, if the client asked for one.
        part: Option<std::ops::Range<u64>>,
    },
    /// The range asked for starts past the end.
    Unsatisfiable {
        /// The document's length.
        length: u64,
    },
}

/// The range a `Range` header asks for within `length` bytes: `None` to
/// send the whole (no header, a form this server does not serve such as
/// several ranges, or one it cannot read, which RFC 9110 §14.2 says to
/// ignore), `Err` when it starts past the end.
fn requested_range(header: Option<&str>, length: u64) -> Result<Option<std::ops::Range<u64>>, ()> {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Ok(None);
    };
    let Some((first, last)) = spec.split_once('-') else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let (first, last) = (first.trim(), last.trim());
    let range = match (first.parse::<u64>(), last.parse::<u64>()) {
        (Ok(first), Ok(last)) if first <= last => first..last.saturating_add(1).min(length),
        (Ok(first), Err(_)) if last.is_empty() => first..length,
        (Err(_), Ok(suffix)) if first.is_empty() && suffix > 0 => {
            length.saturating_sub(suffix)..length
        }
        _ => return Ok(None),
    };
    if range.start >= length {
        return Err(());
    }
    Ok(Some(range))
}

impl ApiResponse for Download {
    fn meta() -> MetaResponses {
        let binary = || {
            vec![MetaMediaType {
                content_type: "application/octet-stream",
                schema: MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format(
                    "string", "binary",
                ))),
            }]
        };
        MetaResponses {
            responses: vec![
                MetaResponse {
                    description: "The document, as an attachment (`Content-Disposition: attachment`, `X-Content-Type-Options: nosniff`), streamed. `Accept-Ranges: bytes`; the `ETag` is its SHA-256.",
                    status: Some(200),
                    status_range: None,
                    content: binary(),
                    headers: vec![],
                },
                MetaResponse {
                    description: "The one byte range asked for by `Range: bytes=…`, with `Content-Range`.",
                    status: Some(206),
                    status_range: None,
                    content: binary(),
                    headers: vec![],
                },
                crate::problem::documented_problem(
                    416,
                    "The range starts past the end of the document; `Content-Range: bytes */LENGTH` gives its length.",
                ),
            ],
        }
    }

    fn register(registry: &mut Registry) {
        ProblemJson::register(registry);
    }
}

impl IntoResponse for Download {
    fn into_response(self) -> Response {
        let (body, media_type, filename, sha256, length, part) = match self {
            Self::Bytes {
                body,
                media_type,
                filename,
                sha256,
                length,
                part,
            } => (body, media_type, filename, sha256, length, part),
            Self::Unsatisfiable { length } => {
                let mut response = ProblemJson(Problem::of(
                    ProblemKind::RangeNotSatisfiable,
                    format!("the range starts past the end of the document ({length} bytes)"),
                ))
                .into_response();
                if let Ok(value) = format!("bytes */{length}").parse() {
                    response.headers_mut().insert("Content-Range", value);
                }
                return response;
            }
        };
        let ascii: String = filename
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let encoded: String = filename
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"._-".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let mut response = Response::builder()
            .content_type(&media_type)
            .header(
                "Content-Disposition",
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            )
            .header("X-Content-Type-Options", "nosniff")
            .header("Content-Security-Policy", "sandbox; default-src 'none'")
            .header("Cache-Control", "private, no-store")
            .header("Accept-Ranges", "bytes")
            .header("ETag", format!("\"{sha256}\""));
        let sent = match &part {
            Some(range) => {
                response = response
                    .status(poem::http::StatusCode::PARTIAL_CONTENT)
                    .header(
                        "Content-Range",
                        format!("bytes {}-{}/{length}", range.start, range.end - 1),
                    );
                range.end - range.start
            }
            None => length,
        };
        response
            .header("Content-Length", sent.to_string())
            .body(body)
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
        let json = match body {
            EvidenceInput::Form(form) => {
                return self.upload(&auth, id.0.into(), form, if_match, key).await;
            }
            EvidenceInput::Json(json) => json,
        };
        // A field of the other kind is refused rather than dropped: the
        // client meant something by it.
        let kind = EvidenceKind::parse(&json.kind.0);
        match kind {
            Ok(EvidenceKind::Link) if json.text.is_some() => {
                return Err(Problem::invalid_field(
                    "text",
                    "is only for a statement: leave it out of a link",
                )
                .into_error());
            }
            Ok(EvidenceKind::Statement) if json.url.is_some() => {
                return Err(Problem::invalid_field(
                    "url",
                    "is only for a link: leave it out of a statement",
                )
                .into_error());
            }
            _ => {}
        }
        let draft = match kind {
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
        };
        // What is wrong with the request is told before whether it is stale.
        let expected = if_match.version()?;
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
        let item = self
            .state
            .store
            .evidence_seen_by(auth.actor()?, id.0.into())
            .await?;
        Ok(One::Ok(Json(item.into())))
    }

    /// Download a document's bytes, as an attachment
    #[oai(
        path = "/v1/evidence/:id/content",
        method = "get",
        tag = "Tag::Evidence"
    )]
    async fn content(
        &self,
        auth: TokenAuth,
        id: Path<Uuid>,
        /// One byte range, `bytes=FIRST-LAST`, `bytes=FIRST-` or `bytes=-SUFFIX`.
        #[oai(name = "Range")]
        range: Header<Option<String>>,
    ) -> Result<Download, ApiError> {
        let item = self
            .state
            .store
            .evidence_seen_by(auth.actor()?, id.0.into())
            .await?;
        let rectrack_core::evidence::EvidenceContent::Document {
            filename,
            media_type,
            size_bytes,
            sha256,
        } = item.content
        else {
            return Err(not_found(id.0));
        };
        let part = match requested_range(range.0.as_deref(), size_bytes) {
            Ok(part) => part,
            Err(()) => return Ok(Download::Unsatisfiable { length: size_bytes }),
        };
        let chunks = self.state.store.blobs().open(&sha256, part.clone()).await?;
        Ok(Download::Bytes {
            body: poem::Body::from_bytes_stream(chunks.map_err(std::io::Error::other)),
            media_type: media_type.to_string(),
            filename: filename.to_string(),
            sha256: sha256.to_string(),
            length: size_bytes,
            part,
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
        write(
            &self.state,
            &auth,
            key.bind(body)?,
            async |ctx, (draft, occurred)| {
                self.state
                    .store
                    .post_update(ctx, id.0.into(), expected, &draft, &occurred)
                    .await
            },
        )
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

impl EvidenceApi {
    /// A document upload: who may add evidence to which assignment is
    /// decided before a byte of the form is read; the file is staged while
    /// it streams and published only if its row commits.
    async fn upload(
        &self,
        auth: &TokenAuth,
        id: AssignmentId,
        form: Form,
        if_match: IfMatch<Optional>,
        key: IdempotencyKey,
    ) -> Result<Created, ApiError> {
        let expected = if_match.version()?;
        self.state.store.may_add_evidence(&auth.0, id).await?;
        let (draft, staged) = form.read(&self.state).await?;
        // A document's fingerprint is its draft (the upload's hash and
        // fields): the form's bytes are not JSON.
        let written = match key.bind_draft(draft) {
            Ok(bound) => {
                write(&self.state, auth, bound, async |ctx, draft| {
                    self.state
                        .store
                        .add_document(ctx, id, expected, &draft, &staged)
                        .await
                })
                .await
            }
            Err(e) => Err(e),
        };
        // Published if its row committed; otherwise (refused, or answered
        // from an earlier request with the same key) it goes.
        self.state.store.blobs().discard(&staged).await;
        written
    }
}

fn not_found(id: Uuid) -> ApiError {
    rectrack_store::Error::not_found("evidence", id).into()
}
