//! Builds the service: the OpenAPI routes, `/openapi.json`, `/docs`, and the
//! middleware every request passes through — request id and structured log,
//! problem documents for every error, body limits, bearer tokens.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use poem::http::{HeaderValue, StatusCode};
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{
    Body, Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Request, Response, Route, Server,
};
use poem_openapi::{OpenApiService, Tags};
use rectrack_store::Store;
use tracing::Instrument;

use crate::connection::{ConnectionLimits, Guarded};
use crate::problem::{Problem, ProblemJson, ProblemKind, from_poem_error};
use crate::report_cache::ReportCache;
use crate::routes;

/// The default limit on JSON bodies: 1 MiB.
pub const JSON_LIMIT: u64 = 1024 * 1024;
/// The default limit on evidence uploads: 25 MiB.
pub const UPLOAD_LIMIT: u64 = 25 * 1024 * 1024;

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The repository.
    pub store: Store,
    /// Whether every `/v1` read needs a token.
    pub private: bool,
    /// Largest JSON body, in bytes.
    pub json_limit: u64,
    /// Largest evidence upload, in bytes.
    pub upload_limit: u64,
    /// Status reports rendered from the data as it stands.
    pub reports: Arc<ReportCache>,
    /// Time-outs and the cap on open connections.
    pub connections: ConnectionLimits,
    /// Where people reach this service (scheme, host and port, no path):
    /// invitation links point here, and the workspace's forms must come
    /// from here.
    pub public_url: String,
    /// Proxies in front of the service, whose `X-Forwarded-For` names the
    /// client (for throttling sign-in per address); no one else's is
    /// believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// How many witnesses' cosignatures a checkpoint needs (0 when the log
    /// has no witnesses): one published with fewer says so.
    pub witness_quorum: usize,
}

impl AppState {
    /// A public service on `store` with the default limits.
    pub fn new(store: Store) -> Self {
        Self {
            store,
            private: false,
            json_limit: JSON_LIMIT,
            upload_limit: UPLOAD_LIMIT,
            reports: Arc::default(),
            connections: ConnectionLimits::default(),
            public_url: DEFAULT_PUBLIC_URL.to_owned(),
            trusted_proxies: Vec::new(),
            witness_quorum: 0,
        }
    }
}

/// Where people reach the service unless told otherwise: the default bind.
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

/// The groups operations are listed under.
#[derive(Tags)]
pub enum Tag {
    /// Health of the service.
    Service,
    /// Oversight bodies and recipients.
    Organisations,
    /// Reports that make recommendations.
    Reports,
    /// Recommendations and their withdrawal.
    Recommendations,
    /// Assignments: responses, extensions, claims and reviews.
    Assignments,
    /// Milestones of an assignment.
    Milestones,
    /// Evidence and progress updates.
    Evidence,
    /// The audit chain.
    Audit,
    /// The transparency log over the audit chain: checkpoints and proofs.
    Log,
    /// Status reports.
    Status,
    /// API tokens.
    Tokens,
    /// People's accounts: invitations, disabling.
    People,
    /// Importing a record kept elsewhere, and exporting the record.
    Imports,
}

/// The OpenAPI service over every route.
pub fn openapi(state: &Arc<AppState>) -> OpenApiService<routes::Api, ()> {
    OpenApiService::new(
        routes::api(state.clone()),
        "rectrack",
        env!("CARGO_PKG_VERSION"),
    )
    .description(description(state))
}

/// What the document says of the service as a whole, limits included.
fn description(state: &AppState) -> String {
    let limits = state.connections;
    format!(
        "Tracks how organisations implement the recommendations an oversight body makes to them. \
         Errors are RFC 9457 problem documents; dates are YYYY-MM-DD from {first} to {last}; \
         timestamps RFC 3339 UTC.\n\n\
         Limits: JSON bodies up to {json} bytes and evidence uploads up to {upload} bytes (413 beyond). \
         A request's head must arrive within {head} s and each 64 KiB of its body within {body} s; \
         a connection with nothing to do is closed after {idle} s. \
         An anonymous client may have {burst} status reports computed in a burst and {per_minute} a minute \
         after that (429 with `Retry-After` beyond; reports already made, and requests with a token, \
         are not counted).",
        first = rectrack_core::time::FIRST_DAY,
        last = rectrack_core::time::LAST_DAY,
        json = state.json_limit,
        upload = state.upload_limit,
        head = limits.header_read.as_secs(),
        body = limits.body_read.as_secs(),
        idle = limits.idle.as_secs(),
        burst = crate::report_cache::ANONYMOUS_BURST,
        per_minute = crate::report_cache::ANONYMOUS_PER_MINUTE,
    )
}

/// The OpenAPI document, as served at `/openapi.json` and committed in
/// `openapi/openapi.json`.
/// poem-openapi derives it from the routes and types; `spec::refine` adds
/// what the types cannot say.
pub fn spec_json(state: &Arc<AppState>) -> String {
    let generated = openapi(state).spec();
    match serde_json::from_str::<serde_json::Value>(&generated) {
        Ok(mut document) => {
            crate::spec::refine(&mut document);
            serde_json::to_string_pretty(&document).unwrap_or(generated)
        }
        Err(_) => generated,
    }
}

/// The whole service as one endpoint.
pub fn build(state: AppState) -> impl Endpoint<Output = Response> {
    build_with(state, |_| Route::new())
}

/// The whole service as one endpoint, with the routes `site` makes from the
/// shared state (the public web site) mounted beside the API, inside the
/// same request id, log, limits and error handling.
pub fn build_with(
    state: AppState,
    site: fn(&Arc<AppState>) -> Route,
) -> impl Endpoint<Output = Response> {
    let state = Arc::new(state);
    let api = openapi(&state);
    let spec = spec_json(&state);
    let docs = api.swagger_ui();
    let api = Arc::new(api.into_endpoint());
    let allow = Arc::new(AllowTable::from_spec(&spec));
    let auth_state = state.clone();
    let limits = state.clone();
    let tiles = state.clone();
    site(&state)
        .at(
            "/v1/log/tile/*path",
            poem::endpoint::make(move |req| {
                let state = tiles.clone();
                async move { Ok::<_, poem::Error>(routes::log::tile(&req, &state).await) }
            }),
        )
        .at(
            "/openapi.json",
            poem::endpoint::make_sync(move |_| {
                Response::builder()
                    .content_type("application/json")
                    .body(spec.clone())
            }),
        )
        .nest("/docs", docs)
        // The API's own paths, whole: everything else is the site's.
        .nest_no_strip("/v1", api.clone())
        .at("/healthz", api)
        .data(state.clone())
        .around(|next, req| async move { finish_writes(next, req).await })
        .around(move |next, req| {
            let state = auth_state.clone();
            async move { crate::auth::authenticate(next, req, state).await }
        })
        .around(move |next, req| {
            let limits = limits.clone();
            async move { limit_body(next, req, &limits).await }
        })
        .catch_all_error(|error: poem::Error| async move { problem_response(error) })
        .around(move |next, req| {
            let allow = allow.clone();
            async move {
                let path = req.uri().path().to_owned();
                let mut response = next.call(req).await?;
                // Every 401 names the scheme that would be accepted.
                if response.status() == StatusCode::UNAUTHORIZED {
                    response.headers_mut().insert(
                        poem::http::header::WWW_AUTHENTICATE,
                        HeaderValue::from_static("Bearer"),
                    );
                }
                if response.status() == StatusCode::METHOD_NOT_ALLOWED
                    && let Some(methods) = allow.methods(&path)
                    && let Ok(value) = HeaderValue::from_str(methods)
                {
                    response
                        .headers_mut()
                        .insert(poem::http::header::ALLOW, value);
                }
                Ok::<_, poem::Error>(response)
            }
        })
        .around(|next, req| async move { observe(next, req).await })
}

/// The methods each path of the OpenAPI document takes, for the `Allow`
/// header of a 405 (RFC 9110 requires it).
#[derive(Debug, Default)]
struct AllowTable(Vec<(Vec<String>, String)>);

impl AllowTable {
    fn from_spec(spec: &str) -> Self {
        let Ok(document) = serde_json::from_str::<serde_json::Value>(spec) else {
            return Self::default();
        };
        let Some(paths) = document.get("paths").and_then(|p| p.as_object()) else {
            return Self::default();
        };
        let mut table: Vec<(Vec<String>, String)> = paths
            .iter()
            .map(|(template, operations)| {
                let mut methods: Vec<String> = operations
                    .as_object()
                    .map(|o| o.keys().map(|m| m.to_ascii_uppercase()).collect())
                    .unwrap_or_default();
                if methods.iter().any(|m| m == "GET") {
                    methods.push("HEAD".to_owned());
                }
                let segments = template.split('/').map(str::to_owned).collect();
                (segments, methods.join(", "))
            })
            .collect();
        table.push((
            vec![String::new(), "openapi.json".to_owned()],
            "GET, HEAD".to_owned(),
        ));
        Self(table)
    }

    fn methods(&self, path: &str) -> Option<&str> {
        let segments: Vec<&str> = path.split('/').collect();
        self.0
            .iter()
            .find(|(template, _)| {
                template.len() == segments.len()
                    && template
                        .iter()
                        .zip(&segments)
                        .all(|(t, s)| (t.starts_with('{') && !s.is_empty()) || t == s)
            })
            .map(|(_, methods)| methods.as_str())
    }
}

/// Binds `addr` (e.g. `127.0.0.1:0`), returning the acceptor and the
/// address actually bound.
pub async fn bind(addr: &str) -> std::io::Result<(impl Acceptor + use<>, std::net::SocketAddr)> {
    let acceptor = TcpListener::bind(addr.to_owned()).into_acceptor().await?;
    let local = acceptor
        .local_addr()
        .into_iter()
        .find_map(|a| a.as_socket_addr().copied())
        .ok_or_else(|| std::io::Error::other("the listener has no socket address"))?;
    Ok((acceptor, local))
}

/// Serves `state` on `acceptor` until `shutdown` resolves, then lets
/// requests in flight finish (up to 30 seconds). Every connection is held
/// to `state.connections`.
pub async fn serve(
    acceptor: impl Acceptor + 'static,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> std::io::Result<()> {
    serve_with(acceptor, state, |_| Route::new(), shutdown).await
}

/// [`serve`], with the routes `site` makes mounted beside the API (see
/// [`build_with`]).
pub async fn serve_with(
    acceptor: impl Acceptor + 'static,
    state: AppState,
    site: fn(&Arc<AppState>) -> Route,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let connections = state.connections;
    Server::new_with_acceptor(Guarded::new(acceptor, connections))
        .run_with_graceful_shutdown(
            build_with(state, site),
            shutdown,
            Some(Duration::from_secs(30)),
        )
        .await
}

/// Runs every request that may write to its end, even if its client goes
/// away meanwhile. Dropping the request's future would drop its database
/// transaction wherever it stood, and sqlx can then hand its pool a
/// connection still inside that transaction, or one mid-reply
/// (sqlx issues #4385, #4393 and #563), so a writer is never dropped.
/// Reads are answered in place: they hold no transaction open for long and
/// a spawn would only cost them.
async fn finish_writes<E>(next: Arc<E>, req: Request) -> poem::Result<Response>
where
    E: Endpoint + 'static,
{
    if req.method().is_safe() {
        return next.call(req).await.map(IntoResponse::into_response);
    }
    // In the request's span, so that its logs keep its request id.
    let (response, seq) = tokio::spawn(
        rectrack_store::recorded::scope(async move {
            next.call(req).await.map(IntoResponse::into_response)
        })
        .in_current_span(),
    )
    .await
    .map_err(|error| {
        tracing::error!(%error, "a write's task failed");
        poem::Error::from_status(StatusCode::INTERNAL_SERVER_ERROR)
    })?;
    let response = response?;
    match seq {
        Some(seq) if response.status().is_success() => Ok(with_audit_seq(response, seq).await),
        _ => Ok(response),
    }
}

/// The header naming the audit event a write appended.
pub const AUDIT_SEQ_HEADER: &str = "rectrack-audit-seq";

/// A successful write's answer, naming the audit event it appended: in
/// `Rectrack-Audit-Seq`, and as `audit_seq`, the first field of a JSON
/// object body. The writer fetches its receipt with it.
async fn with_audit_seq(response: Response, seq: u64) -> Response {
    let (mut parts, body) = response.into_parts();
    parts.headers.insert(AUDIT_SEQ_HEADER, seq.into());
    let json = parts
        .headers
        .get(poem::http::header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"application/json"));
    if !json {
        return Response::from_parts(parts, body);
    }
    let Ok(bytes) = body.into_bytes().await else {
        return Response::from_parts(parts, Body::empty());
    };
    let body = match bytes.strip_prefix(b"{") {
        Some(rest) => {
            let mut with = format!("{{\"audit_seq\":{seq}").into_bytes();
            if !rest.starts_with(b"}") {
                with.push(b',');
            }
            with.extend_from_slice(rest);
            parts.headers.remove(poem::http::header::CONTENT_LENGTH);
            Body::from(with)
        }
        None => Body::from(bytes),
    };
    Response::from_parts(parts, body)
}

/// Gives every response an `x-request-id` (the client's, if sane) and logs
/// one structured event per request — never headers, tokens or bodies.
async fn observe<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 128
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    let method = req.method().to_string();
    let path = loggable_path(req.uri().path());
    let started = Instant::now();
    let span = tracing::info_span!("request", request_id = %id);
    let mut response = match next.call(req).instrument(span).await {
        Ok(response) => response.into_response(),
        Err(error) => problem_response(error),
    };
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    tracing::info!(
        request_id = %id,
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    Ok(response)
}

/// The path as logged: an invitation link's secret is left out, since
/// whoever read it in a log could take the account.
fn loggable_path(path: &str) -> String {
    match path.strip_prefix("/workspace/invitations/") {
        Some(_) => "/workspace/invitations/…".to_owned(),
        None => path.to_owned(),
    }
}

/// Refuses (400) a JSON body in which an object names a key twice: a
/// parser that keeps the last value would act on something other than
/// what a reader of the body sees first. Called once the caller is known
/// to hold a token (every operation that takes JSON needs one, so nobody
/// else has a body read before being refused) and inside the body limit,
/// so the body it reads whole is bounded.
pub(crate) async fn refuse_duplicate_keys<E: Endpoint>(
    next: E,
    mut req: Request,
) -> poem::Result<Response> {
    let json = req
        .content_type()
        .is_some_and(|t| t.to_ascii_lowercase().starts_with("application/json"));
    if !json {
        return next.call(req).await.map(IntoResponse::into_response);
    }
    let bytes = req.take_body().into_bytes().await?;
    if let Some(key) = crate::types::duplicate_key(&bytes) {
        return Ok(ProblemJson(Problem::of(
            ProblemKind::Malformed,
            format!("the JSON body names the key `{key}` twice in one object"),
        ))
        .into_response());
    }
    req.set_body(bytes);
    next.call(req).await.map(IntoResponse::into_response)
}

/// Refuses bodies over the limit: by `Content-Length` before reading, and by
/// counting as the body streams in (for chunked bodies).
async fn limit_body<E: Endpoint>(
    next: E,
    mut req: Request,
    state: &AppState,
) -> poem::Result<Response> {
    if let Some(refusal) = unreadable_header(&req) {
        return Ok(ProblemJson(refusal).into_response());
    }
    let multipart = req
        .content_type()
        .is_some_and(|t| t.starts_with("multipart/form-data"));
    let import = req
        .content_type()
        .and_then(rectrack_store::import::FileKind::from_media_type)
        .is_some();
    let limit = if import {
        rectrack_core::import::MAX_BYTES
    } else if multipart {
        state.upload_limit + 64 * 1024
    } else {
        state.json_limit
    };
    let declared = req
        .headers()
        .get(poem::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Ok(too_large(limit));
    }
    if declared.is_some() {
        return next.call(req).await.map(IntoResponse::into_response);
    }
    // A body of unknown length is counted as it streams in. Past the limit
    // the stream fails, so whatever read it fails too; that failure is then
    // answered as what it is, 413, whatever the reader made of it.
    let overflowed = Arc::new(AtomicBool::new(false));
    let body = req.take_body();
    let mut seen: u64 = 0;
    let flag = overflowed.clone();
    let limited = body.into_bytes_stream().map(move |chunk| {
        let chunk = chunk?;
        seen += chunk.len() as u64;
        if seen > limit {
            flag.store(true, Ordering::Relaxed);
            Err(std::io::Error::other("the body is over its limit"))
        } else {
            Ok(chunk)
        }
    });
    req.set_body(Body::from_bytes_stream(limited));
    let answer = next.call(req).await.map(IntoResponse::into_response);
    if overflowed.load(Ordering::Relaxed)
        && !answer
            .as_ref()
            .is_ok_and(|response| response.status().is_success())
    {
        return Ok(too_large(limit));
    }
    answer
}

/// Headers whose value is not visible ASCII would read as absent to the
/// handlers; refuse them instead of ignoring them.
fn unreadable_header(req: &Request) -> Option<Problem> {
    let readable = |name: &str| {
        req.headers().get(name).is_none_or(|v| {
            v.as_bytes()
                .iter()
                .all(|b| b.is_ascii_graphic() || *b == b' ')
        })
    };
    if !readable("idempotency-key") {
        return Some(Problem::invalid_field(
            "Idempotency-Key",
            "must be 1 to 255 visible ASCII characters",
        ));
    }
    if !readable("if-match") {
        return Some(Problem::of(
            ProblemKind::Malformed,
            "If-Match must be visible ASCII: an ETag such as \"3\"",
        ));
    }
    None
}

/// The response for an error: the problem document a handler already made,
/// or one made from what poem reports.
fn problem_response(error: poem::Error) -> Response {
    if error.is_from_response() {
        error.into_response()
    } else {
        ProblemJson(from_poem_error(&error)).into_response()
    }
}

fn too_large(limit: u64) -> Response {
    ProblemJson(Problem::of(
        ProblemKind::TooLarge,
        format!("the body is larger than the limit of {limit} bytes"),
    ))
    .into_response()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a panic in a test is a failed test

    use std::sync::atomic::{AtomicBool, Ordering};

    use poem::endpoint::make;
    use poem::http::Method;

    use super::*;

    /// Calls a handler that takes 50 ms through `finish_writes`, gives up
    /// after 5 ms, and reports whether the handler ran to its end.
    async fn finished_after_caller_left(method: Method) -> bool {
        let finished = Arc::new(AtomicBool::new(false));
        let flag = finished.clone();
        let handler = Arc::new(make(move |_| {
            let flag = flag.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                flag.store(true, Ordering::SeqCst);
                "done"
            }
        }));
        let request = Request::builder().method(method).finish();
        let gave_up =
            tokio::time::timeout(Duration::from_millis(5), finish_writes(handler, request)).await;
        assert!(gave_up.is_err(), "the caller was to leave first");
        tokio::time::sleep(Duration::from_millis(150)).await;
        finished.load(Ordering::SeqCst)
    }

    #[tokio::test]
    async fn a_write_runs_to_its_end_when_its_client_leaves() {
        assert!(finished_after_caller_left(Method::POST).await);
        assert!(finished_after_caller_left(Method::PUT).await);
    }

    #[tokio::test]
    async fn a_read_stops_when_its_client_leaves() {
        assert!(!finished_after_caller_left(Method::GET).await);
    }
}
