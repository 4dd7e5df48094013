//! `/v1/log`: the transparency log over the audit chain — its latest
//! signed checkpoint, consistency proofs, and (for an event the caller may
//! read) inclusion proofs and receipts. Its hash tiles are served beside
//! these, outside the OpenAPI document ([`tile`]).

use std::sync::Arc;

use poem::http::StatusCode;
use poem::{IntoResponse, Request, Response};
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::{Json, PlainText};
use poem_openapi::registry::{
    MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
};
use poem_openapi::types::Type;
use poem_openapi::{ApiResponse, OpenApi};
use rectrack_core::tlog::tile::TileId;
use rectrack_core::tlog::{Hash, ProofText, event_leaf};
use rectrack_store::transparency::SignedCheckpoint;

use crate::app::{AppState, Tag};
use crate::auth::{OptionalAuth, TokenAuth};
use crate::http::Found;
use crate::models::{ConsistencyProof, InclusionProof, Receipt};
use crate::problem::{ApiError, Problem, ProblemKind, documented_problem};

/// The transparency log.
pub struct LogApi {
    /// Shared state.
    pub state: Arc<AppState>,
}

/// The latest checkpoint.
#[derive(ApiResponse)]
pub enum CheckpointResponse {
    /// The checkpoint, as a C2SP signed note with the witnesses'
    /// cosignatures received so far; cache it for seconds only.
    /// `Rectrack-Cosignatures` says how many it carries of how many the log
    /// requires (`N of M required`): fewer than required means it is not
    /// yet witnessed.
    #[oai(status = 200)]
    Ok(
        PlainText<String>,
        #[oai(header = "Cache-Control")] String,
        #[oai(header = "Rectrack-Cosignatures")] String,
    ),
}

/// An inclusion proof: JSON, or the C2SP `tlog-proof` text by `Accept`.
pub enum ProofResponse {
    /// As JSON.
    Json(InclusionProof),
    /// As a C2SP `tlog-proof`.
    Text(String),
}

impl ApiResponse for ProofResponse {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![
                MetaResponse {
                    description: "The proof: JSON by default, or the C2SP tlog-proof text with `Accept: text/plain`.",
                    status: Some(200),
                    status_range: None,
                    content: vec![
                        MetaMediaType {
                            content_type: "application/json; charset=utf-8",
                            schema: InclusionProof::schema_ref(),
                        },
                        MetaMediaType {
                            content_type: "text/plain; charset=utf-8",
                            schema: MetaSchemaRef::Inline(Box::new(MetaSchema::new("string"))),
                        },
                    ],
                    headers: vec![],
                },
                documented_problem(
                    406,
                    "No format the `Accept` header allows: the proof is served as JSON or text.",
                ),
            ],
        }
    }

    fn register(registry: &mut Registry) {
        InclusionProof::register(registry);
    }
}

impl IntoResponse for ProofResponse {
    fn into_response(self) -> Response {
        match self {
            Self::Json(proof) => Json(proof).into_response(),
            Self::Text(text) => Response::builder()
                .content_type("text/plain; charset=utf-8")
                .body(text),
        }
    }
}

/// Whether `accept` asks for the text form rather than JSON (by the
/// status report's negotiation: quality values, the most specific range);
/// `None` when it allows neither.
fn wants_text(accept: Option<&str>) -> Option<bool> {
    crate::report_format::choose(accept, &["application/json", "text/plain"]).map(|i| i == 1)
}

#[OpenApi]
impl LogApi {
    /// The log's latest signed checkpoint (C2SP tlog-checkpoint, signed note)
    #[oai(path = "/v1/log/checkpoint", method = "get", tag = "Tag::Log")]
    async fn checkpoint(&self, auth: OptionalAuth) -> Result<CheckpointResponse, ApiError> {
        auth.allow(&self.state)?;
        let latest = latest(&self.state).await?;
        let cosignatures = format!(
            "{} of {} required",
            latest.cosigned_by.len(),
            self.state.witness_quorum
        );
        Ok(CheckpointResponse::Ok(
            PlainText(latest.note),
            "public, max-age=5".to_owned(),
            cosignatures,
        ))
    }

    /// Prove the log at one size a prefix of the log at a later size
    #[oai(path = "/v1/log/consistency", method = "get", tag = "Tag::Log")]
    async fn consistency(
        &self,
        auth: OptionalAuth,
        from: Query<i64>,
        to: Query<i64>,
    ) -> Result<Found<ConsistencyProof>, ApiError> {
        auth.allow(&self.state)?;
        let size = |name: &str, n: i64| {
            u64::try_from(n).map_err(|_| {
                Problem::invalid_field(name, format!("must not be negative (it is {n})"))
                    .into_error()
            })
        };
        let (old, new) = (size("from", from.0)?, size("to", to.0)?);
        if old > new {
            return Err(Problem::invalid_field(
                "from",
                format!("must not exceed to ({new}); it is {old}"),
            )
            .into_error());
        }
        let hashes = self.state.store.consistency_proof(old, new).await?;
        Ok(Found::Ok(Json(ConsistencyProof {
            from: old,
            to: new,
            hashes: hashes.iter().map(Hash::to_base64).collect(),
        })))
    }

    /// Prove an audit event in the log (for an event the caller may read)
    #[oai(
        path = "/v1/audit/events/:seq/proof",
        method = "get",
        tag = "Tag::Audit"
    )]
    async fn proof(
        &self,
        auth: TokenAuth,
        seq: Path<i64>,
        #[oai(name = "Accept")] accept: Header<Option<String>>,
    ) -> Result<ProofResponse, ApiError> {
        let text = wants_text(accept.0.as_deref()).ok_or_else(|| {
            Problem::of(
                ProblemKind::NotAcceptable,
                "the proof is served as application/json or text/plain",
            )
            .into_error()
        })?;
        let (_, proof) = prove(&self.state, &auth, seq.0).await?;
        Ok(if text {
            ProofResponse::Text(
                ProofText {
                    index: proof.leaf_index,
                    proof: proof
                        .hashes
                        .iter()
                        .filter_map(|h| Hash::from_base64(h))
                        .collect(),
                    checkpoint: proof.checkpoint,
                }
                .to_string(),
            )
        } else {
            ProofResponse::Json(proof)
        })
    }

    /// A receipt for an audit event: the event, its proof and a signed checkpoint
    #[oai(
        path = "/v1/audit/events/:seq/receipt",
        method = "get",
        tag = "Tag::Audit"
    )]
    async fn receipt(&self, auth: TokenAuth, seq: Path<i64>) -> Result<Found<Receipt>, ApiError> {
        let (event, proof) = prove(&self.state, &auth, seq.0).await?;
        Ok(Found::Ok(Json(Receipt {
            event: event.into(),
            proof,
        })))
    }
}

async fn latest(state: &AppState) -> Result<SignedCheckpoint, ApiError> {
    state.store.latest_checkpoint().await?.ok_or_else(|| {
        Problem::of(
            ProblemKind::NotFound,
            "the log has signed no checkpoint yet",
        )
        .into_error()
    })
}

/// Event `seq`, if the caller may read it, and its proof in the latest
/// checkpoint.
async fn prove(
    state: &AppState,
    auth: &TokenAuth,
    seq: i64,
) -> Result<(rectrack_core::audit::AuditEvent, InclusionProof), ApiError> {
    let seq = u64::try_from(seq)
        .ok()
        .filter(|s| *s > 0)
        .ok_or_else(|| Problem::invalid_field("seq", "must be 1 or more").into_error())?;
    let event = state.store.readable_event(&auth.0, seq).await?;
    let latest = state
        .store
        .latest_checkpoint()
        .await?
        .filter(|latest| latest.checkpoint.size >= seq)
        .ok_or_else(|| {
            Problem::of(
                ProblemKind::NotFound,
                format!(
                    "audit event {seq} is not in a signed checkpoint yet; \
                     the log signs a new one when it has grown, about once a minute"
                ),
            )
            .into_error()
        })?;
    let size = latest.checkpoint.size;
    let hashes = state.store.inclusion_proof(seq - 1, size).await?;
    let leaf = event_leaf(&event.hash).ok_or_else(|| {
        Problem::of(ProblemKind::Internal, "the event's hash is not a hash").into_error()
    })?;
    Ok((
        event,
        InclusionProof {
            seq,
            leaf_index: seq - 1,
            leaf_hash: leaf.to_base64(),
            tree_size: size,
            hashes: hashes.iter().map(Hash::to_base64).collect(),
            checkpoint: latest.note,
            cosigned_by: latest.cosigned_by,
            cosignatures_required: state.witness_quorum as u64,
        },
    ))
}

/// `GET /v1/log/tile/<L>/<N>[.p/<W>]`: a C2SP tlog-tiles hash tile. Tiles
/// hold hashes only, never events, so they are as public as the checkpoint
/// (token-only under `--private`). Served outside the OpenAPI document,
/// which cannot describe a path of several segments.
pub async fn tile(req: &Request, state: &AppState) -> Response {
    if !matches!(
        *req.method(),
        poem::http::Method::GET | poem::http::Method::HEAD
    ) {
        let mut response = crate::problem::ProblemJson(Problem::of(
            ProblemKind::MethodNotAllowed,
            "tiles are read with GET",
        ))
        .into_response();
        response.headers_mut().insert(
            poem::http::header::ALLOW,
            poem::http::HeaderValue::from_static("GET, HEAD"),
        );
        return response;
    }
    let anonymous = req
        .extensions()
        .get::<crate::auth::Caller>()
        .is_none_or(|caller| caller.0.is_none());
    if state.private && anonymous {
        return crate::auth::unauthorized(
            "this service is private: every read needs a bearer token",
        )
        .into_response();
    }
    let path = req.uri().path().trim_start_matches("/v1/log/tile/");
    let Some(id) = TileId::parse(path) else {
        return crate::problem::ProblemJson(Problem::of(
            ProblemKind::NotFound,
            format!(
                "`{path}` is not a tile's path (L/N or L/N.p/W, as C2SP tlog-tiles writes them)"
            ),
        ))
        .into_response();
    };
    match state.store.log_tile(id).await {
        Ok(Some(bytes)) => Response::builder()
            .status(StatusCode::OK)
            .content_type("application/octet-stream")
            .header(
                poem::http::header::CACHE_CONTROL,
                "public, max-age=31536000, immutable",
            )
            .body(bytes),
        Ok(None) => crate::problem::ProblemJson(Problem::of(
            ProblemKind::NotFound,
            format!("the log has not grown to tile {path} yet"),
        ))
        .into_response(),
        Err(error) => ApiError::from(error).into_response(),
    }
}
