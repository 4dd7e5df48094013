//! `/v1/tokens`: the overseer creates, lists and revokes tokens. A token's
//! secret is shown once, in the answer that creates it, and stored nowhere.

use std::sync::Arc;

use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use rectrack_store::Ctx;
use rectrack_store::tokens::TokenDraft;
use uuid::Uuid;

use crate::app::{AppState, Tag};
use crate::auth::TokenAuth;
use crate::http::page;
use crate::models::{CreatedToken, NewToken, Token, TokenPage};
use crate::preconditions::NoIdempotencyKey;
use crate::problem::{ApiError, Problem, ProblemKind};

/// Tokens.
pub struct TokensApi {
    /// Shared state.
    pub state: Arc<AppState>,
}

/// A created token.
pub type Created = crate::http::Created<CreatedToken>;

/// A token.
pub type One = crate::http::Found<Token>;

/// A page of tokens.
pub type List = crate::http::Found<TokenPage>;

#[OpenApi]
impl TokensApi {
    /// Create a token (its secret is shown once)
    #[oai(path = "/v1/tokens", method = "post", tag = "Tag::Tokens")]
    async fn create(
        &self,
        auth: TokenAuth,
        body: Json<NewToken>,
        // A replay would have to keep the secret to return it again.
        _no_key: NoIdempotencyKey,
    ) -> Result<Created, ApiError> {
        let draft = TokenDraft {
            organisation: body.0.organisation.0,
            role: body.0.role.into(),
            label: body.0.label.map(String::from),
        };
        let created = self
            .state
            .store
            .create_token(&Ctx::new(&auth.0), &draft)
            .await?
            .fresh()
            .ok_or_else(|| {
                Problem::of(ProblemKind::Internal, "no token was created").into_error()
            })?;
        let record = created.record;
        let location = format!("/v1/tokens/{}", record.id);
        Ok(Created::Created(
            Json(CreatedToken {
                id: record.id.as_uuid(),
                token: created.secret,
                organisation: record.organisation.to_string(),
                role: record.role.into(),
                label: record.label.map(|l| l.to_string()),
            }),
            location,
        ))
    }

    /// List tokens (never their secrets)
    #[oai(path = "/v1/tokens", method = "get", tag = "Tag::Tokens")]
    async fn list(
        &self,
        auth: TokenAuth,
        limit: Query<Option<i64>>,
        cursor: Query<Option<String>>,
    ) -> Result<List, ApiError> {
        auth.0
            .require_overseer("list_tokens")
            .map_err(rectrack_store::Error::from)?;
        let got = self
            .state
            .store
            .tokens(&page("tokens", limit.0, cursor.0)?)
            .await?;
        Ok(List::Ok(Json(TokenPage {
            items: got.items.into_iter().map(Into::into).collect(),
            next_cursor: crate::http::cursor("tokens", got.next),
        })))
    }

    /// Revoke a token, refused from the next request on
    #[oai(path = "/v1/tokens/:id", method = "delete", tag = "Tag::Tokens")]
    async fn revoke(&self, auth: TokenAuth, id: Path<Uuid>) -> Result<One, ApiError> {
        let record = self
            .state
            .store
            .revoke_token(&Ctx::new(&auth.0), id.0.into())
            .await?
            .fresh()
            .ok_or_else(|| {
                Problem::of(ProblemKind::Internal, "no token was revoked").into_error()
            })?;
        Ok(One::Ok(Json(record.into())))
    }
}
