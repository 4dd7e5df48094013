//! `/v1/organisations`: created by the overseer, published to everyone.

use std::sync::Arc;

use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::ToJSON;

use crate::app::{AppState, Tag};
use crate::auth::{OptionalAuth, TokenAuth};
use crate::http::{IdempotencyKey, page, write};
use crate::models::{NewOrganisation, Organisation, OrganisationPage};
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
        #[oai(name = "Idempotency-Key")] key: Header<Option<String>>,
    ) -> Result<Created, ApiError> {
        let key = IdempotencyKey::read(
            key.0,
            "create_organisation",
            &body.to_json().unwrap_or_default(),
        )?;
        let draft = body.0.into();
        let answer = write(
            &auth.0,
            key,
            201,
            |o: &rectrack_core::organisation::Organisation| Organisation::from(o.clone()),
            |o| Some(format!("/v1/organisations/{}", o.code)),
            async |ctx| self.state.store.create_organisation(ctx, &draft).await,
        )
        .await?;
        Ok(Created::Created(
            Json(answer.body),
            answer.location.unwrap_or_default(),
        ))
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
            .organisations(&page(limit.0, cursor.0)?)
            .await?;
        Ok(List::Ok(Json(OrganisationPage {
            items: got.items.into_iter().map(Into::into).collect(),
            next_cursor: crate::http::cursor(got.next),
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
