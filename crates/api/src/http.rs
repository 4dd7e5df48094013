//! HTTP conventions shared by the routes: opaque cursors and list limits,
//! `ETag`/`If-Match` on assignments, and `Idempotency-Key` on POSTs.

use base64::Engine as _;
use poem::http::StatusCode;
use poem_openapi::types::{ParseFromJSON, ToJSON};
use rectrack_core::role::Principal;
use rectrack_store::page::{DEFAULT_LIMIT, MAX_LIMIT, PageRequest};
use rectrack_store::{Ctx, Idempotency, StoredResponse, Written};
use sha2::{Digest, Sha256};

use crate::problem::{ApiError, Problem};

/// Reads `?limit=` and `?cursor=` into a page request (422 when out of range
/// or not a cursor this service gave).
pub fn page(limit: Option<i64>, cursor: Option<String>) -> Result<PageRequest, ApiError> {
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
    let after = cursor
        .map(|c| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(c.as_bytes())
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| {
                    Problem::invalid_field("cursor", "is not a cursor of this list").into_error()
                })
        })
        .transpose()?;
    Ok(PageRequest { after, limit })
}

/// The opaque cursor for a store key.
pub fn cursor(key: Option<String>) -> Option<String> {
    key.map(|k| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(k.as_bytes()))
}

/// The `ETag` of an assignment version.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// The version an `If-Match` header names: `"3"` (or `3`); `*` matches any
/// version. `required` writes answer 428 without the header; a value naming
/// no version can match nothing (412).
pub fn if_match(header: Option<&str>, required: bool) -> Result<Option<i64>, ApiError> {
    let Some(raw) = header.map(str::trim) else {
        return if required {
            Err(Problem::new(
                StatusCode::PRECONDITION_REQUIRED,
                "if-match-required",
                "this write needs If-Match with the assignment's ETag (its version)",
            )
            .into_error())
        } else {
            Ok(None)
        };
    };
    if raw == "*" {
        return Ok(None);
    }
    raw.trim_matches('"').parse::<i64>().map(Some).map_err(|_| {
        Problem::new(
            StatusCode::PRECONDITION_FAILED,
            "stale-version",
            format!("If-Match `{raw}` names no version of this assignment"),
        )
        .into_error()
    })
}

/// An `Idempotency-Key` with the fingerprint of the request it came with.
pub struct IdempotencyKey {
    key: String,
    request_hash: String,
}

impl IdempotencyKey {
    /// Reads the header: 1 to 255 visible ASCII characters (422 otherwise).
    /// `operation` and `body` fingerprint the request, so reusing the key
    /// with another request is refused.
    pub fn read(
        header: Option<String>,
        operation: &str,
        body: &serde_json::Value,
    ) -> Result<Option<Self>, ApiError> {
        let Some(key) = header else {
            return Ok(None);
        };
        if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Problem::invalid_field(
                "Idempotency-Key",
                "must be 1 to 255 visible ASCII characters",
            )
            .into_error());
        }
        let mut hasher = Sha256::new();
        hasher.update(operation.as_bytes());
        hasher.update([0]);
        hasher.update(rectrack_core::audit::canonical_json(body).as_bytes());
        Ok(Some(Self {
            key,
            request_hash: hex::encode(hasher.finalize()),
        }))
    }
}

/// What a write answers: the body, its `Location` (for creates), and whether
/// it is the replay of an earlier answer.
pub struct Answer<D> {
    /// The resource as it now is (or as first answered, for a replay).
    pub body: D,
    /// Where a created resource lives.
    pub location: Option<String>,
}

/// Runs a store command with the request's idempotency key: a fresh result
/// is rendered to its DTO (and, with a key, kept for replay); a replay
/// returns the kept answer.
pub async fn write<T, D, F>(
    principal: &Principal,
    key: Option<IdempotencyKey>,
    status: u16,
    dto: impl Fn(&T) -> D + Send + Sync,
    location: impl Fn(&D) -> Option<String> + Send + Sync,
    command: F,
) -> Result<Answer<D>, ApiError>
where
    D: ToJSON + ParseFromJSON,
    F: AsyncFnOnce(&Ctx<'_, T>) -> rectrack_store::Result<Written<T>>,
{
    let render = |value: &T| {
        let body = dto(value);
        StoredResponse {
            status,
            location: location(&body),
            body: body.to_json().map(|v| v.to_string()).unwrap_or_default(),
        }
    };
    let scope = match principal {
        Principal::Token { token_id, .. } => token_id.to_string(),
        Principal::Console => "console".to_owned(),
    };
    let ctx = Ctx {
        principal,
        idempotency: key.map(|k| Idempotency {
            scope,
            key: k.key,
            request_hash: k.request_hash,
            render: &render,
        }),
    };
    match command(&ctx).await? {
        Written::Fresh(value) => {
            let body = dto(&value);
            let location = location(&body);
            Ok(Answer { body, location })
        }
        Written::Replayed(answer) => {
            let value = serde_json::from_str(&answer.body).ok();
            let body = D::parse_from_json(value).map_err(|_| {
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "a kept answer could not be read",
                )
                .into_error()
            })?;
            Ok(Answer {
                body,
                location: answer.location,
            })
        }
    }
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
