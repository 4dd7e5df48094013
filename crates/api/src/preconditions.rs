//! The preconditions of a write, as extractors a handler takes as arguments:
//! `If-Match` ([`IfMatch`], required or optional by its type) and
//! `Idempotency-Key` ([`IdempotencyKey`], or [`NoIdempotencyKey`] where an
//! answer cannot be replayed). Each states its header in the OpenAPI
//! document from its own type — whether it is required, and the pattern of
//! what it accepts — so the document and the code cannot disagree.
//!
//! A header is read when the request is extracted, but what is wrong with
//! it is told only when the handler asks ([`IfMatch::version`],
//! [`IdempotencyKey::bind`]): a handler first refuses what is wrong with the
//! body, then what is wrong with the preconditions.

use std::marker::PhantomData;

use poem::http::Method;
use poem::{FromRequest, Request, RequestBody};
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaParamIn, MetaSchema, MetaSchemaRef};
use poem_openapi::types::ToJSON;
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};
use sha2::{Digest, Sha256};

use crate::problem::{ApiError, Problem, ProblemKind};

/// Whether a write needs `If-Match`.
pub trait Requirement: Send + Sync {
    /// True when a write without the header is refused (428).
    const REQUIRED: bool;
}

/// `If-Match` is required: the write changes the lifecycle, so the client
/// must say which version it read.
pub struct Required;

impl Requirement for Required {
    const REQUIRED: bool = true;
}

/// `If-Match` is optional: the write checks it when sent.
pub struct Optional;

impl Requirement for Optional {
    const REQUIRED: bool = false;
}

/// The pattern of an `If-Match` value this service reads, for the OpenAPI
/// document: `*`, one entity tag (strong or weak), or a bare version.
pub const IF_MATCH_PATTERN: &str = r#"^(?:\*|(?:W/)?"[!#-~]*"|[0-9]{1,18})$"#;

/// The pattern of an `Idempotency-Key`: 1 to 255 visible ASCII characters.
pub const IDEMPOTENCY_KEY_PATTERN: &str = "^[!-~]{1,255}$";

/// The `If-Match` header of a write on an assignment.
pub struct IfMatch<R> {
    version: Result<Option<i64>, ApiError>,
    requirement: PhantomData<R>,
}

impl<R> IfMatch<R> {
    /// The version the client expects (`None` for `*`, or when an optional
    /// header is absent); 428 when a required one is absent, 400 when it is
    /// not one entity tag, 412 when it is one that names no version.
    pub fn version(&self) -> Result<Option<i64>, ApiError> {
        self.version.clone()
    }
}

/// The `Idempotency-Key` of a `POST`, with the method and path it came with.
pub struct IdempotencyKey {
    key: Option<String>,
    route: String,
}

impl IdempotencyKey {
    /// Binds the key to the request's JSON body, so that a retry with the
    /// same key and another request is refused (see [`IdempotencyKey::bind_value`]).
    pub fn bind<B: ToJSON>(self, body: Json<B>) -> Result<Bound<B>, ApiError> {
        self.bind_as(body.0, ToJSON::to_json)
    }

    /// Binds the key to a request that did not come as JSON (an upload), by
    /// what it asks for: the draft it was read into.
    pub fn bind_draft<B: serde::Serialize>(self, draft: B) -> Result<Bound<B>, ApiError> {
        self.bind_as(draft, |d| serde_json::to_value(d).ok())
    }

    /// Binds the key to `body` as `json` shows it; without a key, `body`
    /// is not serialised at all.
    fn bind_as<B>(
        self,
        body: B,
        json: impl FnOnce(&B) -> Option<serde_json::Value>,
    ) -> Result<Bound<B>, ApiError> {
        if self.key.is_none() {
            return Ok(Bound { key: None, body });
        }
        let fingerprint = json(&body).ok_or_else(|| {
            Problem::of(
                ProblemKind::Internal,
                "the request could not be fingerprinted",
            )
            .into_error()
        })?;
        Ok(Bound {
            key: self.bind_value(&fingerprint)?,
            body,
        })
    }

    /// Binds the key to `body`, what the request asks for as JSON: the
    /// fingerprint is the method, the path and its canonical JSON. `None`
    /// without a key; 422 when the key is not 1 to 255 visible ASCII
    /// characters.
    pub fn bind_value(self, body: &serde_json::Value) -> Result<Option<BoundKey>, ApiError> {
        let Some(key) = self.key else {
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
        hasher.update(self.route.as_bytes());
        hasher.update([0]);
        hasher.update(rectrack_core::audit::canonical_json(body).as_bytes());
        Ok(Some(BoundKey {
            key,
            request_hash: hex::encode(hasher.finalize()),
        }))
    }
}

/// What a write asks for, with the `Idempotency-Key` it came with (if any)
/// bound to it.
pub struct Bound<B> {
    /// The key, bound to `body`.
    pub key: Option<BoundKey>,
    /// What the request asks for.
    pub body: B,
}

impl<B> Bound<B> {
    /// A write that takes no key (`PUT`, `PATCH`: repeating one is harmless).
    pub fn unkeyed(body: Json<B>) -> Self {
        Self {
            key: None,
            body: body.0,
        }
    }
}

/// An `Idempotency-Key` bound to the request it came with.
pub struct BoundKey {
    /// The key as sent.
    pub key: String,
    /// SHA-256 of the method, path and body.
    pub request_hash: String,
}

/// A write whose answer cannot be replayed (a created token: its secret is
/// never stored): an `Idempotency-Key` is refused (422), not silently
/// ignored. It is not a parameter of the operation, so the OpenAPI document
/// offers none.
pub struct NoIdempotencyKey;

impl<'a> FromRequest<'a> for NoIdempotencyKey {
    async fn from_request(request: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        if request.headers().contains_key("Idempotency-Key") {
            return Err(Problem::invalid_field(
                "Idempotency-Key",
                "is not taken here: the token's secret is never stored, so its answer cannot be replayed",
            )
            .into_error()
            .into());
        }
        Ok(Self)
    }
}

/// The one value of header `name`, if sent and readable.
fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
}

/// A header parameter's schema: a string matching `pattern`.
fn string_matching(pattern: &str) -> MetaSchemaRef {
    MetaSchemaRef::Inline(Box::new(MetaSchema {
        pattern: Some(pattern.to_owned()),
        ..MetaSchema::new("string")
    }))
}

impl<'a, R: Requirement> ApiExtractor<'a> for IfMatch<R> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::Parameter];
    const PARAM_IS_REQUIRED: bool = R::REQUIRED;
    type ParamType = ();
    type ParamRawType = ();

    fn param_in() -> Option<MetaParamIn> {
        Some(MetaParamIn::Header)
    }

    fn param_schema_ref() -> Option<MetaSchemaRef> {
        Some(string_matching(IF_MATCH_PATTERN))
    }

    async fn from_request(
        request: &'a Request,
        _body: &mut RequestBody,
        param_opts: ExtractParamOptions<()>,
    ) -> poem::Result<Self> {
        Ok(Self {
            version: if_match(header(request, param_opts.name), R::REQUIRED),
            requirement: PhantomData,
        })
    }
}

impl<'a> ApiExtractor<'a> for IdempotencyKey {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::Parameter];
    type ParamType = ();
    type ParamRawType = ();

    fn param_in() -> Option<MetaParamIn> {
        Some(MetaParamIn::Header)
    }

    fn param_schema_ref() -> Option<MetaSchemaRef> {
        Some(string_matching(IDEMPOTENCY_KEY_PATTERN))
    }

    async fn from_request(
        request: &'a Request,
        _body: &mut RequestBody,
        param_opts: ExtractParamOptions<()>,
    ) -> poem::Result<Self> {
        Ok(Self {
            key: header(request, param_opts.name).map(str::to_owned),
            route: route(request.method(), request.original_uri().path()),
        })
    }
}

/// What an idempotency key's fingerprint names of the request besides its
/// body: the method and the path.
fn route(method: &Method, path: &str) -> String {
    format!("{method} {path}")
}

/// The version an `If-Match` header names: `"3"` (or `3`); `*` matches any
/// version. `required` writes answer 428 without the header. Any other
/// entity tag (`"abc"`, a weak `W/"3"`) is well formed but can match no
/// version (412); a value that is not one entity tag is malformed (400).
pub fn if_match(header: Option<&str>, required: bool) -> Result<Option<i64>, ApiError> {
    let Some(raw) = header.map(str::trim) else {
        return if required {
            Err(Problem::of(
                ProblemKind::IfMatchRequired,
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
        _ => Err(Problem::of(
            ProblemKind::StaleVersion,
            format!("If-Match `{raw}` names no version of this assignment"),
        )
        .into_error()),
    }
}

/// A character of an entity tag (RFC 9110 `etagc`, ASCII only).
fn is_etag_char(b: u8) -> bool {
    b == 0x21 || (0x23..=0x7e).contains(&b)
}

fn malformed_if_match(raw: &str) -> ApiError {
    Problem::of(
        ProblemKind::Malformed,
        format!("If-Match `{raw}` is not `*` or one entity tag such as `\"3\"`"),
    )
    .into_error()
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

    #[test]
    fn a_key_is_bound_to_its_method_path_and_body() {
        let key = |route: &str| IdempotencyKey {
            key: Some("k-1".to_owned()),
            route: route.to_owned(),
        };
        let body = serde_json::json!({ "narrative": "Done.", "evidence_ids": [] });
        let hash = |route: &str, body: &serde_json::Value| {
            key(route)
                .bind_value(body)
                .expect("a valid key")
                .expect("a key was sent")
                .request_hash
        };
        let posted = hash("POST /v1/assignments/a/updates", &body);
        assert_eq!(posted, hash("POST /v1/assignments/a/updates", &body));
        assert_ne!(posted, hash("POST /v1/assignments/b/updates", &body));
        assert_ne!(
            posted,
            hash(
                "POST /v1/assignments/a/updates",
                &serde_json::json!({ "narrative": "Other." })
            )
        );
    }

    #[test]
    fn a_key_outside_visible_ascii_is_refused() {
        for bad in ["", "with space", &"k".repeat(256)] {
            let key = IdempotencyKey {
                key: Some(bad.to_owned()),
                route: route(&Method::POST, "/v1/reports"),
            };
            assert_eq!(
                key.bind_value(&serde_json::json!({}))
                    .err()
                    .map(|e| e.0.status),
                Some(422),
                "{bad:?}"
            );
        }
    }
}
