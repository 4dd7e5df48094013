//! HTTP conventions shared by the routes: opaque cursors and list limits,
//! `ETag`/`If-Match` on assignments, and `Idempotency-Key` on POSTs.

use base64::Engine as _;
use poem::http::StatusCode;
use poem_openapi::types::{ParseFromJSON, ToJSON};
use rectrack_core::ValidationErrors;
use rectrack_core::role::Principal;
use rectrack_core::text::Slug;
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

/// The opaque cursor for a store key.
pub fn cursor(key: Option<String>) -> Option<String> {
    key.map(|k| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(k.as_bytes()))
}

/// The `ETag` of an assignment version.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// The version an `If-Match` header names: `"3"` (or `3`); `*` matches any
/// version. `required` writes answer 428 without the header. Any other
/// entity tag (`"abc"`, a weak `W/"3"`) is well formed but can match no
/// version (412); a value that is not one entity tag is malformed (400).
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
    if raw.len() <= 18 && !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) {
        return raw
            .parse::<i64>()
            .map(Some)
            .map_err(|_| malformed_if_match(raw));
    }
    let opaque = raw.strip_prefix("W/").unwrap_or(raw);
    let Some(tag) = opaque
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .filter(|tag| tag.bytes().all(is_etag_char))
    else {
        return Err(malformed_if_match(raw));
    };
    match tag.parse::<i64>() {
        Ok(version) if opaque.len() == raw.len() => Ok(Some(version)),
        _ => Err(Problem::new(
            StatusCode::PRECONDITION_FAILED,
            "stale-version",
            format!("If-Match `{raw}` names no version of this assignment"),
        )
        .into_error()),
    }
}

/// The pattern of an `If-Match` value this service reads, for the OpenAPI
/// document: `*`, one entity tag (strong or weak), or a bare version.
pub const IF_MATCH_PATTERN: &str = r#"^(?:\*|(?:W/)?"[!#-~]*"|[0-9]{1,18})$"#;

/// A character of an entity tag (RFC 9110 `etagc`, ASCII only).
fn is_etag_char(b: u8) -> bool {
    b == 0x21 || (0x23..=0x7e).contains(&b)
}

fn malformed_if_match(raw: &str) -> ApiError {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "malformed",
        format!("If-Match `{raw}` is not `*` or one entity tag such as `\"3\"`"),
    )
    .into_error()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn status(header: &str) -> Result<Option<i64>, u16> {
        if_match(Some(header), true).map_err(|e| e.0.status)
    }

    #[test]
    fn if_match_reads_versions_and_refuses_the_rest() {
        assert_eq!(status("\"3\""), Ok(Some(3)));
        assert_eq!(status(" 3 "), Ok(Some(3)));
        assert_eq!(status("*"), Ok(None));
        // Well formed, but no version: 412.
        assert_eq!(status("\"abc\""), Err(412));
        assert_eq!(status("W/\"3\""), Err(412));
        assert_eq!(status("\"\""), Err(412));
        assert_eq!(status("\"99999999999999999999\""), Err(412));
        // Not one entity tag: 400.
        assert_eq!(status(""), Err(400));
        assert_eq!(status("abc"), Err(400));
        assert_eq!(status("\"1\", \"2\""), Err(400));
        assert_eq!(status("\"a b\""), Err(400));
        assert_eq!(status("1234567890123456789"), Err(400));
        assert_eq!(if_match(None, true).map_err(|e| e.0.status), Err(428));
        assert_eq!(if_match(None, false).map_err(|e| e.0.status), Ok(None));
    }

    #[test]
    fn the_documented_pattern_agrees_with_the_reader() {
        let pattern = regex::Regex::new(IF_MATCH_PATTERN).expect("the pattern compiles");
        for header in [
            "\"3\"",
            "3",
            "*",
            "\"abc\"",
            "W/\"3\"",
            "\"\"",
            "",
            "abc",
            "\"1\", \"2\"",
            "\"a b\"",
            "1234567890123456789",
            "W/3",
        ] {
            assert_eq!(
                pattern.is_match(header),
                status(header) != Err(400),
                "{header:?}"
            );
        }
    }
}
