//! HTTP conventions shared by the routes: opaque cursors and list limits,
//! `ETag` on assignments, and the one path of every write, from the
//! request's preconditions (see [`crate::preconditions`]) to the answer.

use base64::Engine as _;
use chrono::NaiveDate;
use poem_openapi::types::{ParseFromJSON, ToJSON};
use rectrack_core::ValidationErrors;
use rectrack_core::role::Principal;
use rectrack_core::text::Slug;
use rectrack_store::page::{DEFAULT_LIMIT, MAX_LIMIT, PageRequest};
use rectrack_store::{Ctx, Idempotency, Written};

use crate::app::AppState;
use crate::auth::TokenAuth;
use crate::preconditions::Bound;
use crate::problem::{ApiError, Problem, ProblemKind};

/// Reads `?limit=` and `?cursor=` of the list named `list` into a page
/// request (422 when out of range, or not a cursor this service gave for
/// that list: a cursor names the list it continues).
pub fn page(
    list: &str,
    limit: Option<i64>,
    cursor: Option<String>,
) -> Result<PageRequest, ApiError> {
    let limit = match limit {
        None => DEFAULT_LIMIT,
        Some(n) if (1..=MAX_LIMIT as i64).contains(&n) => n as u64,
        Some(n) => {
            return Err(Problem::invalid_field(
                "limit",
                format!("must be from 1 to {MAX_LIMIT} (it is {n})"),
            )
            .into_error());
        }
    };
    // An empty cursor is the first page, as no cursor is.
    let after = cursor
        .filter(|c| !c.is_empty())
        .map(|c| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(c.as_bytes())
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .and_then(|text| {
                    text.strip_prefix(list)
                        .and_then(|rest| rest.strip_prefix(CURSOR_SEPARATOR))
                        .map(str::to_owned)
                })
                .ok_or_else(|| {
                    Problem::invalid_field("cursor", format!("is not a cursor of the {list} list"))
                        .into_error()
                })
        })
        .transpose()?;
    Ok(PageRequest { after, limit })
}

/// Reads an optional list filter naming a slug or an organisation code (they
/// share one rule): a value that could name neither is refused (422) rather
/// than quietly matching nothing.
pub fn slug_filter(
    errors: &mut ValidationErrors,
    field: &str,
    value: Option<String>,
) -> Option<String> {
    value.and_then(|v| errors.check(field, Slug::parse(&v).map(String::from)))
}

/// Between a cursor's list and its key.
const CURSOR_SEPARATOR: char = '\u{1f}';

/// The opaque cursor for a store key of the list named `list`.
pub fn cursor(list: &str, key: Option<String>) -> Option<String> {
    key.map(|k| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("{list}{CURSOR_SEPARATOR}{k}").as_bytes())
    })
}

/// The `ETag` of an assignment version.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// Runs a store command for the caller with what it asked for: a fresh
/// result is shown as the answer's body (and, with a key, kept for replay in
/// the command's transaction); a replay returns the body first answered. The
/// answer is the handler's response type ([`Created`], [`Tagged`] or
/// [`Found`]), which sets the status and headers from the body's type.
pub async fn write<B, Draft, T, A, F>(
    state: &AppState,
    auth: &TokenAuth,
    request: Bound<B>,
    command: F,
) -> Result<A, ApiError>
where
    B: Into<Draft>,
    A: Answer,
    A::Body: Shows<T> + ToJSON + ParseFromJSON,
    F: AsyncFnOnce(&Ctx<'_, T>, Draft) -> rectrack_store::Result<Written<T>>,
{
    let today = crate::routes::today(state);
    let render = |value: &T| {
        A::Body::shows(value, today)
            .to_json()
            .map(|json| json.to_string())
            .ok_or_else(|| "the answer is not JSON".to_owned())
    };
    let principal = &auth.0;
    let scope = match principal {
        Principal::Token { token_id, .. } => token_id.to_string(),
        Principal::Person { person_id, .. } => format!("person:{person_id}"),
        Principal::Console => "console".to_owned(),
    };
    let ctx = Ctx {
        principal,
        idempotency: request.key.map(|k| Idempotency {
            scope,
            key: k.key,
            request_hash: k.request_hash,
            render: &render,
        }),
    };
    let body = match command(&ctx, request.body.into()).await? {
        Written::Fresh(value) => A::Body::shows(&value, today),
        Written::Replayed(body) => {
            let value = serde_json::from_str(&body).ok();
            A::Body::parse_from_json(value).map_err(|_| {
                Problem::of(ProblemKind::Internal, "a kept answer could not be read").into_error()
            })?
        }
    };
    Ok(A::answer(body))
}

/// How a value a command wrote is shown in the answer. Most bodies are a
/// plain conversion; an assignment's carries flags computed for `today`.
pub trait Shows<T> {
    /// The body showing `value` on `today`.
    fn shows(value: &T, today: NaiveDate) -> Self;
}

impl<T: Clone, D: From<T>> Shows<T> for D {
    fn shows(value: &T, _today: NaiveDate) -> Self {
        D::from(value.clone())
    }
}

/// A write's response, made from the body it answers with.
pub trait Answer {
    /// The body it carries.
    type Body;
    /// The response carrying `body`.
    fn answer(body: Self::Body) -> Self;
}

impl<T: ToJSON + Located> Answer for Created<T> {
    type Body = T;
    fn answer(body: T) -> Self {
        Self::of(body)
    }
}

impl<T: ToJSON + Versioned> Answer for Tagged<T> {
    type Body = T;
    fn answer(body: T) -> Self {
        Self::of(body)
    }
}

impl<T: ToJSON> Answer for Found<T> {
    type Body = T;
    fn answer(body: T) -> Self {
        Self::Ok(poem_openapi::payload::Json(body))
    }
}

/// A resource that has an address of its own, given in `Location` when it
/// is created.
pub trait Located {
    /// Its path, e.g. `/v1/evidence/{id}`.
    fn location(&self) -> String;
}

/// A body that carries an assignment's version, sent as `ETag`.
pub trait Versioned {
    /// The assignment's version.
    fn version(&self) -> i64;
}

/// A resource created: `201` with the resource and its `Location`.
#[derive(poem_openapi::ApiResponse)]
pub enum Created<T: ToJSON> {
    /// Created.
    #[oai(status = 201)]
    Created(
        poem_openapi::payload::Json<T>,
        #[oai(header = "Location")] String,
    ),
}

impl<T: ToJSON + Located> Created<T> {
    /// `201` with `body` and its address.
    pub fn of(body: T) -> Self {
        let location = body.location();
        Self::Created(poem_openapi::payload::Json(body), location)
    }
}

/// A resource as it now is: `200`.
#[derive(poem_openapi::ApiResponse)]
pub enum Found<T: ToJSON> {
    /// The resource.
    #[oai(status = 200)]
    Ok(poem_openapi::payload::Json<T>),
}

/// An answer about an assignment: `200`, with the assignment's version as `ETag`.
#[derive(poem_openapi::ApiResponse)]
pub enum Tagged<T: ToJSON> {
    /// The resource; `ETag` is the assignment's version, for `If-Match`.
    #[oai(status = 200)]
    Ok(
        poem_openapi::payload::Json<T>,
        #[oai(header = "ETag")] String,
    ),
}

impl<T: ToJSON + Versioned> Tagged<T> {
    /// `200` with `body` and its assignment's version as `ETag`.
    pub fn of(body: T) -> Self {
        let tag = etag(body.version());
        Self::Ok(poem_openapi::payload::Json(body), tag)
    }
}
