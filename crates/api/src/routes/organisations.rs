//! `/v1/organisations`: created by the overseer, published to everyone.

use std::sync::Arc;

use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;

use crate::app::{AppState, Tag};
use crate::auth::{OptionalAuth, TokenAuth};
use crate::http::{page, write};
use crate::models::{NewOrganisation, Organisation, OrganisationPage};
use crate::preconditions::IdempotencyKey;
use crate::problem::ApiError;

/// Organisations.
pub struct OrganisationsApi {
    /// Shared state.
    pub state: Arc<AppState>,
}

/// A created organisation.
pub type Created = crate::http::Created<Organisation>;

/// An organisation.
pub type One = crate::http::Found<Organisation>;

/// A page of organisations.
pub type List = crate::http::Found<OrganisationPage>;

#[OpenApi]
impl OrganisationsApi {
    /// Create an organisation
    #[oai(
        path = "/v1/organisations",
        method = "post",
        tag = "Tag::Organisations"
    )]
    async fn create(
        &self,
        auth: TokenAuth,
        body: Json<NewOrganisation>,
        #[oai(name = "Idempotency-Key")] key: IdempotencyKey,
    ) -> Result<Created, ApiError> {
        write(&self.state, &auth, key.bind(body)?, async |ctx, draft| {
            self.state.store.create_organisation(ctx, &draft).await
        })
        .await
    }

    /// List organisations
    #[oai(path = "/v1/organisations", method = "get", tag = "Tag::Organisations")]
    async fn list(
        &self,
        auth: OptionalAuth,
        limit: Query<Option<i64>>,
        cursor: Query<Option<String>>,
    ) -> Result<List, ApiError> {
        auth.allow(&self.state)?;
        let got = self
            .state
            .store
            .organisations(&page("organisations", limit.0, cursor.0)?)
            .await?;
        Ok(List::Ok(Json(OrganisationPage {
            items: got.items.into_iter().map(Into::into).collect(),
            next_cursor: crate::http::cursor("organisations", got.next),
        })))
    }

    /// Get one organisation
    #[oai(
        path = "/v1/organisations/:code",
        method = "get",
        tag = "Tag::Organisations"
    )]
    async fn get(&self, auth: OptionalAuth, code: Path<String>) -> Result<One, ApiError> {
        auth.allow(&self.state)?;
        Ok(One::Ok(Json(
            self.state.store.organisation(&code.0).await?.into(),
        )))
    }
}
