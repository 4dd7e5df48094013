//! Bearer tokens.
//!
//! A middleware ([`authenticate`]) reads `Authorization` once per request:
//! a valid token puts its [`Principal`] in the request; a malformed, unknown
//! or revoked one is answered 401 at once (on every path, so a bad token is
//! never mistaken for no token); no header means anonymous. The security
//! schemes below only declare that to the OpenAPI document and hand the
//! resolved principal to handlers: [`TokenAuth`] where a token is required,
//! [`OptionalAuth`] for the published view.

use std::sync::Arc;

use poem::{Endpoint, IntoResponse, Request, Response};
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;
use rectrack_core::role::{Actor, Principal};

use crate::app::AppState;
use crate::problem::{ApiError, Problem, ProblemJson, ProblemKind};

/// The principal a request's token resolved to, if any.
#[derive(Debug, Clone)]
pub struct Caller(pub Option<Principal>);

/// A token is required.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", rename = "bearer", checker = "resolved")]
pub struct TokenAuth(pub Principal);

/// A token is optional: without one, the published view.
#[derive(SecurityScheme)]
pub enum OptionalAuth {
    /// With a token.
    Token(TokenAuth),
    /// Without one.
    #[oai(fallback)]
    Anonymous,
}

impl OptionalAuth {
    /// The principal, if a token was given.
    pub fn principal(&self) -> Option<&Principal> {
        match self {
            Self::Token(TokenAuth(principal)) => Some(principal),
            Self::Anonymous => None,
        }
    }

    /// Refuses anonymous reads when the service runs `--private`.
    pub fn allow(&self, state: &AppState) -> Result<(), ApiError> {
        if state.private && self.principal().is_none() {
            return Err(unauthorized(
                "this service is private: every read needs a bearer token",
            ));
        }
        Ok(())
    }
}

impl TokenAuth {
    /// The token's actor (a token principal always has one).
    pub fn actor(&self) -> Result<&Actor, ApiError> {
        self.0
            .actor()
            .ok_or_else(|| unauthorized("a bearer token is required"))
    }
}

async fn resolved(req: &Request, _bearer: Bearer) -> Option<Principal> {
    req.extensions()
        .get::<Caller>()
        .and_then(|caller| caller.0.clone())
}

/// A 401 problem.
pub fn unauthorized(detail: &str) -> ApiError {
    Problem::of(ProblemKind::Unauthorized, detail).into_error()
}

/// A 403 problem.
pub fn forbidden(detail: &str) -> ApiError {
    Problem::of(ProblemKind::Forbidden, detail).into_error()
}

/// Resolves the bearer token before any handler runs.
pub async fn authenticate<E: Endpoint>(
    next: E,
    mut req: Request,
    state: Arc<AppState>,
) -> poem::Result<Response> {
    let header = req
        .headers()
        .get(poem::http::header::AUTHORIZATION)
        .cloned();
    let caller = match header {
        None => Caller(None),
        Some(value) => {
            // The scheme is case-insensitive (RFC 9110 §11.1).
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.trim_start().split_once(' '))
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, token)| token.trim());
            let Some(token) = token else {
                return Ok(reject("the Authorization header must be `Bearer <token>`"));
            };
            // Written back in the one spelling the operations read.
            if let Ok(canonical) = poem::http::HeaderValue::from_str(&format!("Bearer {token}")) {
                req.headers_mut()
                    .insert(poem::http::header::AUTHORIZATION, canonical);
            }
            match state.store.authenticate(token).await {
                Ok(Some((record, actor))) => Caller(Some(Principal::Token {
                    token_id: record.id,
                    actor,
                })),
                Ok(None) => return Ok(reject("the token is unknown or revoked")),
                Err(error) => return Ok(ApiError::from(error).into_response()),
            }
        }
    };
    let known = caller.0.is_some();
    req.extensions_mut().insert(caller);
    if known {
        crate::app::refuse_duplicate_keys(next, req).await
    } else {
        next.call(req).await.map(IntoResponse::into_response)
    }
}

fn reject(detail: &str) -> Response {
    let mut response = ProblemJson(Problem::of(ProblemKind::Unauthorized, detail)).into_response();
    response.headers_mut().insert(
        poem::http::header::WWW_AUTHENTICATE,
        poem::http::HeaderValue::from_static("Bearer"),
    );
    response
}
