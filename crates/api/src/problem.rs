//! Every error a client can see, as an RFC 9457 `application/problem+json`
//! document — including those poem and poem-openapi raise themselves (bad
//! JSON, wrong content type, unknown path), which `from_poem_error` maps.
//! Database and blob store detail is logged, never returned.

use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::payload::Payload;
use poem_openapi::registry::{MetaResponse, MetaResponses, MetaSchemaRef, Registry};
use poem_openapi::types::{ToJSON, Type};
use poem_openapi::{ApiResponse, Object};
use rectrack_core::{Refusal, ValidationErrors};
use rectrack_store::Error as StoreError;

/// One invalid field.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub struct FieldProblem {
    /// The field as the client sent it, e.g. `planned_completion_on`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// A move open from the current status.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub struct AllowedMove {
    /// The command, e.g. `claim`.
    pub command: String,
    /// The status it leads to.
    pub to: String,
    /// Who may give it: `recipient` or `overseer`.
    pub by: String,
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[oai(rename = "type")]
    pub kind: String,
    /// A short summary of the kind.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time.
    pub detail: String,
    /// Every invalid field (validation errors).
    pub errors: Option<Vec<FieldProblem>>,
    /// The assignment's status (refused moves).
    pub current_status: Option<String>,
    /// The moves open from it (refused moves): empty from a final status.
    pub allowed: Option<Vec<AllowedMove>>,
    /// The assignment's current version (stale `If-Match`).
    pub current_version: Option<i64>,
}

impl Problem {
    /// A problem of `kind` with `status` and `detail`.
    pub fn new(status: StatusCode, kind: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("urn:rectrack:problem:{kind}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: None,
            current_status: None,
            allowed: None,
            current_version: None,
        }
    }

    /// A 422 listing every invalid field.
    pub fn validation(errors: &ValidationErrors) -> Self {
        let mut problem = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "some fields are invalid; see `errors`",
        );
        problem.errors = Some(
            errors
                .errors()
                .iter()
                .map(|e| FieldProblem {
                    field: e.field.clone(),
                    message: e.message.clone(),
                })
                .collect(),
        );
        problem
    }

    /// A 422 for one field.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(&ValidationErrors::single(field, message))
    }

    /// The response carrying this document.
    pub fn into_error(self) -> ApiError {
        ApiError(Box::new(self))
    }
}

/// A problem document as a response body.
pub struct ProblemJson(pub Problem);

impl Payload for ProblemJson {
    const CONTENT_TYPE: &'static str = "application/problem+json";

    fn schema_ref() -> MetaSchemaRef {
        Problem::schema_ref()
    }

    fn register(registry: &mut Registry) {
        Problem::register(registry);
    }
}

impl IntoResponse for ProblemJson {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = self.0.to_json().map(|v| v.to_string()).unwrap_or_default();
        Response::builder()
            .status(status)
            .content_type(Self::CONTENT_TYPE)
            .body(body)
    }
}

/// The error side of every operation: a problem document with its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError(pub Box<Problem>);

/// The statuses an operation may answer with a problem document.
const DOCUMENTED: [(u16, &str); 12] = [
    (400, "The request is malformed (syntax, encoding)."),
    (401, "No token, or a bad or revoked one."),
    (403, "The token may not do this."),
    (404, "No such resource, or none the token may see."),
    (
        409,
        "The lifecycle refuses the move; `current_status` and `allowed` say why.",
    ),
    (
        412,
        "`If-Match` names an old version; `current_version` is the new one.",
    ),
    (413, "The body is larger than the limit."),
    (
        415,
        "The body's content type is not one this operation takes.",
    ),
    (422, "Some fields are invalid; `errors` lists every one."),
    (
        428,
        "This write needs `If-Match` with the assignment's version.",
    ),
    (500, "The server failed; nothing was changed."),
    (503, "The database cannot be reached."),
];

impl ApiResponse for ApiError {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: DOCUMENTED
                .iter()
                .map(|(status, description)| MetaResponse {
                    description,
                    status: Some(*status),
                    status_range: None,
                    content: vec![poem_openapi::registry::MetaMediaType {
                        content_type: ProblemJson::CONTENT_TYPE,
                        schema: ProblemJson::schema_ref(),
                    }],
                    headers: vec![],
                })
                .collect(),
        }
    }

    fn register(registry: &mut Registry) {
        ProblemJson::register(registry);
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        ProblemJson(*self.0).into_response()
    }
}

impl From<ApiError> for poem::Error {
    fn from(error: ApiError) -> Self {
        poem::Error::from_response(error.into_response())
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        ApiError(Box::new(store_problem(error)))
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(errors: ValidationErrors) -> Self {
        ApiError(Box::new(Problem::validation(&errors)))
    }
}

/// The problem document for a store error.
pub fn store_problem(error: StoreError) -> Problem {
    match error {
        StoreError::Domain(rectrack_core::Error::Validation(errors)) => {
            Problem::validation(&errors)
        }
        StoreError::Domain(rectrack_core::Error::Refused(refusal)) => refusal_problem(refusal),
        StoreError::NotFound { entity, id } => Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            format!("no {entity} `{id}`"),
        ),
        StoreError::StaleVersion { expected, current } => {
            let mut problem = Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "stale-version",
                format!(
                    "If-Match names version {expected}, but the assignment is at version {current}"
                ),
            );
            problem.current_version = Some(current);
            problem
        }
        StoreError::Conflict(detail) => Problem::new(StatusCode::CONFLICT, "conflict", detail),
        StoreError::IdempotencyMismatch => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency-key-reused",
            "this Idempotency-Key was already used with a different request",
        ),
        StoreError::Database(error) if is_unavailable(&error) => {
            tracing::error!(error = %error, "database unavailable");
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the database cannot be reached; try again",
            )
        }
        other => {
            tracing::error!(error = %other, "request failed");
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the server failed; nothing was changed",
            )
        }
    }
}

fn is_unavailable(error: &rectrack_store::DbErr) -> bool {
    matches!(
        error,
        rectrack_store::DbErr::Conn(_) | rectrack_store::DbErr::ConnectionAcquire(_)
    )
}

/// The problem document for a refusal by core.
pub fn refusal_problem(refusal: Refusal) -> Problem {
    match refusal {
        Refusal::NotVisible => {
            Problem::new(StatusCode::NOT_FOUND, "not-found", "no such assignment")
        }
        Refusal::NotPermitted { .. } => {
            Problem::new(StatusCode::FORBIDDEN, "forbidden", refusal.to_string())
        }
        Refusal::InvalidMove {
            command,
            current_status,
            ref allowed,
        } => {
            let mut problem = Problem::new(
                StatusCode::CONFLICT,
                "refused-move",
                format!("cannot {command} an assignment that is {current_status}"),
            );
            problem.current_status = Some(current_status.as_str().to_owned());
            problem.allowed = Some(
                allowed
                    .iter()
                    .map(|t| AllowedMove {
                        command: t.command.name().to_owned(),
                        to: t.to.as_str().to_owned(),
                        by: match t.by {
                            rectrack_core::lifecycle::Party::Recipient => "recipient".to_owned(),
                            rectrack_core::lifecycle::Party::Overseer => "overseer".to_owned(),
                        },
                    })
                    .collect(),
            );
            problem
        }
        Refusal::Conflict { reason } => Problem::new(StatusCode::CONFLICT, "conflict", reason),
    }
}

/// The problem document for an error poem or poem-openapi raised before a
/// handler ran (or a handler's `poem::Error`).
pub fn from_poem_error(error: &poem::Error) -> Problem {
    use poem_openapi::error::{ContentTypeError, ParseParamError, ParseRequestPayloadError};
    if let Some(e) = error.downcast_ref::<ParseRequestPayloadError>() {
        // Body that is not JSON at all is malformed (400); JSON of the wrong
        // shape is invalid (422).
        if e.reason.contains("exceeds the limit") {
            return Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "too-large", e.reason.clone());
        }
        let shape = [
            "failed to parse",
            "occurred while parsing",
            "Expected input type",
            "missing field",
            "unknown field",
        ];
        return if shape.iter().any(|s| e.reason.contains(s)) {
            Problem::invalid_field("body", e.reason.clone())
        } else {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "malformed",
                format!("the body is not valid JSON: {}", e.reason),
            )
        };
    }
    if let Some(e) = error.downcast_ref::<ParseParamError>() {
        return Problem::invalid_field(e.name, e.reason.clone());
    }
    if let Some(e) = error.downcast_ref::<ContentTypeError>() {
        return Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            e.to_string(),
        );
    }
    if error.to_string().contains("exceeds the limit") {
        return Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "the body is larger than the limit",
        );
    }
    let status = error.status();
    let (kind, detail) = match status {
        StatusCode::NOT_FOUND => ("not-found", "no such resource".to_owned()),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method-not-allowed",
            "this resource does not take that method".to_owned(),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => {
            ("too-large", "the body is larger than the limit".to_owned())
        }
        StatusCode::UNAUTHORIZED => (
            "unauthorized",
            "a valid bearer token is required".to_owned(),
        ),
        s if s.is_client_error() => ("bad-request", error.to_string()),
        _ => {
            tracing::error!(error = %error, "unhandled error");
            (
                "internal",
                "the server failed; nothing was changed".to_owned(),
            )
        }
    };
    Problem::new(status, kind, detail)
}
