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
    /// Every error of an import file, by row and column.
    pub rows: Option<Vec<RowProblem>>,
}

/// One error of an import file.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RowProblem {
    /// The row, counted as a spreadsheet does: the header is row 1.
    pub row: u64,
    /// The column, when one cell is at fault.
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl From<&rectrack_core::import::RowError> for RowProblem {
    fn from(e: &rectrack_core::import::RowError) -> Self {
        Self {
            row: e.row as u64,
            column: e.column.clone(),
            message: e.message.clone(),
        }
    }
}

/// Every kind of problem this service reports: its name in the document's
/// `type` (`urn:rectrack:problem:NAME`), its status and its title. Clients
/// match on the name, so each is spelled here once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemKind {
    /// Some fields are invalid; `errors` lists each (422).
    Validation,
    /// The request cannot be read: not JSON, not a form, a header that is not what it must be (400).
    Malformed,
    /// Another client error that poem raised before a handler ran (its own status).
    BadRequest,
    /// No token, or one that is not valid (401).
    Unauthorized,
    /// A valid token whose role may not do this (403).
    Forbidden,
    /// No such resource, or one the caller may not see (404).
    NotFound,
    /// The resource does not take that method (405).
    MethodNotAllowed,
    /// No representation the client accepts (406).
    NotAcceptable,
    /// A rule of state refuses it: a code in use, an extension asked twice (409).
    Conflict,
    /// The lifecycle refuses the move; `current_status` and `allowed` say why (409).
    RefusedMove,
    /// `If-Match` names a version the assignment is not at (412).
    StaleVersion,
    /// The body is over its limit (413).
    TooLarge,
    /// The request target is longer than the server reads (414).
    UriTooLong,
    /// The body's content type is not one this operation reads (415).
    UnsupportedMediaType,
    /// The `Idempotency-Key` was used before with another request (422).
    IdempotencyKeyReused,
    /// The `Range` asked for lies outside the document (416).
    RangeNotSatisfiable,
    /// The write needs `If-Match` (428).
    IfMatchRequired,
    /// Too many requests from this client; `Retry-After` says when to try again (429).
    TooManyRequests,
    /// The request's header fields are larger than the server reads (431).
    HeadersTooLarge,
    /// The server failed; nothing was changed (500).
    Internal,
    /// The database cannot be reached (503).
    Unavailable,
}

impl ProblemKind {
    /// Every kind.
    pub const ALL: [Self; 21] = [
        Self::Validation,
        Self::Malformed,
        Self::BadRequest,
        Self::Unauthorized,
        Self::Forbidden,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::NotAcceptable,
        Self::Conflict,
        Self::RefusedMove,
        Self::StaleVersion,
        Self::TooLarge,
        Self::UriTooLong,
        Self::UnsupportedMediaType,
        Self::IdempotencyKeyReused,
        Self::RangeNotSatisfiable,
        Self::IfMatchRequired,
        Self::TooManyRequests,
        Self::HeadersTooLarge,
        Self::Internal,
        Self::Unavailable,
    ];

    /// The name clients see in `type`, e.g. `refused-move`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Validation => "validation",
            Self::Malformed => "malformed",
            Self::BadRequest => "bad-request",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not-found",
            Self::MethodNotAllowed => "method-not-allowed",
            Self::NotAcceptable => "not-acceptable",
            Self::Conflict => "conflict",
            Self::RefusedMove => "refused-move",
            Self::StaleVersion => "stale-version",
            Self::TooLarge => "too-large",
            Self::UriTooLong => "uri-too-long",
            Self::RangeNotSatisfiable => "range-not-satisfiable",
            Self::TooManyRequests => "too-many-requests",
            Self::HeadersTooLarge => "headers-too-large",
            Self::UnsupportedMediaType => "unsupported-media-type",
            Self::IdempotencyKeyReused => "idempotency-key-reused",
            Self::IfMatchRequired => "if-match-required",
            Self::Internal => "internal",
            Self::Unavailable => "unavailable",
        }
    }

    /// The status it answers with.
    pub fn status(self) -> StatusCode {
        match self {
            Self::Validation => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Malformed => StatusCode::BAD_REQUEST,
            Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            Self::Conflict => StatusCode::CONFLICT,
            Self::RefusedMove => StatusCode::CONFLICT,
            Self::StaleVersion => StatusCode::PRECONDITION_FAILED,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UriTooLong => StatusCode::URI_TOO_LONG,
            Self::RangeNotSatisfiable => StatusCode::RANGE_NOT_SATISFIABLE,
            Self::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Self::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Self::IfMatchRequired => StatusCode::PRECONDITION_REQUIRED,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl Problem {
    /// A problem of `kind` with `detail`.
    pub fn of(kind: ProblemKind, detail: impl Into<String>) -> Self {
        Self::with_status(kind, kind.status(), detail)
    }

    /// A problem of `kind` answered with `status`: only for a client error
    /// poem raised whose status names no kind of its own.
    fn with_status(kind: ProblemKind, status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("urn:rectrack:problem:{}", kind.name()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: None,
            current_status: None,
            allowed: None,
            current_version: None,
            rows: None,
        }
    }

    /// A 422 listing every invalid field.
    pub fn validation(errors: &ValidationErrors) -> Self {
        let mut problem = Self::of(
            ProblemKind::Validation,
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

/// The document sent in place of one that did not render.
const UNRENDERED: &str = r#"{"type":"urn:rectrack:problem:internal","title":"Internal Server Error","status":500,"detail":"the server failed; nothing was changed"}"#;

impl IntoResponse for ProblemJson {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        // A problem document always renders; should one ever not, the client
        // still gets a problem document (a 500), never an empty body.
        let (status, body) = match self.0.to_json() {
            Some(json) => (status, json.to_string()),
            None => {
                tracing::error!(kind = %self.0.kind, "a problem document did not render");
                (StatusCode::INTERNAL_SERVER_ERROR, UNRENDERED.to_owned())
            }
        };
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
                .map(|(status, description)| documented_problem(*status, description))
                .collect(),
        }
    }

    fn register(registry: &mut Registry) {
        ProblemJson::register(registry);
    }
}

/// The documentation of a problem answered with `status`.
pub fn documented_problem(status: u16, description: &'static str) -> MetaResponse {
    MetaResponse {
        description,
        status: Some(status),
        status_range: None,
        content: vec![poem_openapi::registry::MetaMediaType {
            content_type: ProblemJson::CONTENT_TYPE,
            schema: ProblemJson::schema_ref(),
        }],
        headers: vec![],
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
        StoreError::NotFound { entity, id } => {
            Problem::of(ProblemKind::NotFound, format!("no {entity} `{id}`"))
        }
        StoreError::StaleVersion { expected, current } => {
            let mut problem = Problem::of(
                ProblemKind::StaleVersion,
                format!(
                    "If-Match names version {expected}, but the assignment is at version {current}"
                ),
            );
            problem.current_version = Some(current);
            problem
        }
        StoreError::Conflict(detail) => Problem::of(ProblemKind::Conflict, detail),
        StoreError::SignInRefused => Problem::of(
            ProblemKind::Unauthorized,
            StoreError::SignInRefused.to_string(),
        ),
        StoreError::Throttled { retry_after_secs } => Problem::of(
            ProblemKind::TooManyRequests,
            format!("too many failed sign-ins: try again in {retry_after_secs} seconds"),
        ),
        StoreError::Import(errors) => {
            let mut problem = Problem::of(
                ProblemKind::Validation,
                format!(
                    "the file was not imported, and nothing was written: {} error(s); see `rows`",
                    errors.len()
                ),
            );
            problem.rows = Some(errors.iter().map(RowProblem::from).collect());
            problem
        }
        StoreError::IdempotencyMismatch => Problem::of(
            ProblemKind::IdempotencyKeyReused,
            "this Idempotency-Key was already used with a different request",
        ),
        StoreError::Database(error) if is_unavailable(&error) => {
            tracing::error!(error = %error, "database unavailable");
            Problem::of(
                ProblemKind::Unavailable,
                "the database cannot be reached; try again",
            )
        }
        other => {
            tracing::error!(error = %other, "request failed");
            Problem::of(
                ProblemKind::Internal,
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
        Refusal::NotVisible => Problem::of(ProblemKind::NotFound, "no such assignment"),
        Refusal::NotPermitted { .. } => Problem::of(ProblemKind::Forbidden, refusal.to_string()),
        Refusal::InvalidMove {
            command,
            current_status,
            ref allowed,
        } => {
            let mut problem = Problem::of(
                ProblemKind::RefusedMove,
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
        Refusal::Conflict { reason } => Problem::of(ProblemKind::Conflict, reason),
    }
}

/// The problem document for an error poem or poem-openapi raised before a
/// handler ran (or a handler's `poem::Error`).
pub fn from_poem_error(error: &poem::Error) -> Problem {
    use poem_openapi::error::{ContentTypeError, ParseParamError, ParseRequestPayloadError};
    if let Some(e) = error.downcast_ref::<ParseRequestPayloadError>() {
        // Body that is not JSON at all is malformed (400); JSON of the wrong
        // shape is invalid (422).
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
            Problem::of(
                ProblemKind::Malformed,
                format!("the body is not valid JSON: {}", e.reason),
            )
        };
    }
    if let Some(e) = error.downcast_ref::<ParseParamError>() {
        return Problem::invalid_field(e.name, e.reason.clone());
    }
    if let Some(e) = error.downcast_ref::<ContentTypeError>() {
        return Problem::of(ProblemKind::UnsupportedMediaType, e.to_string());
    }
    let status = error.status();
    let (kind, detail) = match status {
        StatusCode::NOT_FOUND => (ProblemKind::NotFound, "no such resource".to_owned()),
        StatusCode::METHOD_NOT_ALLOWED => (
            ProblemKind::MethodNotAllowed,
            "this resource does not take that method".to_owned(),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            ProblemKind::TooLarge,
            "the body is larger than the limit".to_owned(),
        ),
        StatusCode::UNAUTHORIZED => (
            ProblemKind::Unauthorized,
            "a valid bearer token is required".to_owned(),
        ),
        s if s.is_client_error() => (ProblemKind::BadRequest, error.to_string()),
        _ => {
            tracing::error!(error = %error, "unhandled error");
            (
                ProblemKind::Internal,
                "the server failed; nothing was changed".to_owned(),
            )
        }
    };
    Problem::with_status(kind, status, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_names_its_status_and_the_fallback_is_an_internal_problem() {
        for kind in ProblemKind::ALL {
            let problem = Problem::of(kind, "detail");
            assert_eq!(
                problem.kind,
                format!("urn:rectrack:problem:{}", kind.name())
            );
            assert_eq!(problem.status, kind.status().as_u16());
        }
        let names: std::collections::HashSet<_> =
            ProblemKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(names.len(), ProblemKind::ALL.len(), "no name twice");
        let fallback: serde_json::Value =
            serde_json::from_str(UNRENDERED).expect("the fallback is JSON");
        let internal = Problem::of(
            ProblemKind::Internal,
            "the server failed; nothing was changed",
        );
        assert_eq!(fallback, internal.to_json().expect("a problem renders"));
    }
}
