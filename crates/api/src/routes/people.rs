//! `/v1/people`: the overseer invites people, sends invitations again, and
//! disables and enables accounts. An invitation's link is shown once, in the
//! answer that makes it; people then sign in on the web, never here.

use std::sync::Arc;

use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use rectrack_store::Ctx;
use rectrack_store::people::{Invitation, PersonDraft};
use uuid::Uuid;

use crate::app::{AppState, Tag};
use crate::auth::TokenAuth;
use crate::http::page;
use crate::models::{NewPerson, Person, PersonInvitation, PersonPage};
use crate::preconditions::NoIdempotencyKey;
use crate::problem::{ApiError, Problem, ProblemKind};

/// People.
pub struct PeopleApi {
    /// Shared state.
    pub state: Arc<AppState>,
}

/// An invitation made.
pub type Created = crate::http::Created<PersonInvitation>;

/// An invitation sent again.
pub type Renewed = crate::http::Found<PersonInvitation>;

/// A person.
pub type One = crate::http::Found<Person>;

/// A page of people.
pub type List = crate::http::Found<PersonPage>;

/// The path of an invitation's link, below the public URL.
pub fn invitation_path(secret: &str) -> String {
    format!("/workspace/invitations/{secret}")
}

impl PeopleApi {
    fn shown(&self, invitation: Invitation) -> PersonInvitation {
        PersonInvitation {
            invitation_url: format!(
                "{}{}",
                self.state.public_url.trim_end_matches('/'),
                invitation_path(&invitation.secret)
            ),
            invitation_expires_at: invitation.expires_at.into(),
            person: invitation.person.into(),
        }
    }
}

#[OpenApi]
impl PeopleApi {
    /// Invite a person (the link is shown once)
    #[oai(path = "/v1/people", method = "post", tag = "Tag::People")]
    async fn invite(
        &self,
        auth: TokenAuth,
        body: Json<NewPerson>,
        // A replay would have to keep the link to return it again.
        _no_key: NoIdempotencyKey,
    ) -> Result<Created, ApiError> {
        let draft = PersonDraft {
            organisation: body.0.organisation.0,
            role: body.0.role.into(),
            email: body.0.email.0,
            name: body.0.name.0,
        };
        let invitation = self
            .state
            .store
            .invite_person(&Ctx::new(&auth.0), &draft)
            .await?
            .fresh()
            .ok_or_else(|| Problem::of(ProblemKind::Internal, "no one was invited").into_error())?;
        let location = format!("/v1/people/{}", invitation.person.id);
        Ok(Created::Created(Json(self.shown(invitation)), location))
    }

    /// List people
    #[oai(path = "/v1/people", method = "get", tag = "Tag::People")]
    async fn list(
        &self,
        auth: TokenAuth,
        limit: Query<Option<i64>>,
        cursor: Query<Option<String>>,
    ) -> Result<List, ApiError> {
        let got = self
            .state
            .store
            .people(&auth.0, &page("people", limit.0, cursor.0)?)
            .await?;
        Ok(List::Ok(Json(PersonPage {
            items: got.items.into_iter().map(Into::into).collect(),
            next_cursor: crate::http::cursor("people", got.next),
        })))
    }

    /// One person
    #[oai(path = "/v1/people/:id", method = "get", tag = "Tag::People")]
    async fn get(&self, auth: TokenAuth, id: Path<Uuid>) -> Result<One, ApiError> {
        let person = self.state.store.person(&auth.0, id.0.into()).await?;
        Ok(One::Ok(Json(person.into())))
    }

    /// Send an invitation again: a new link for seven days, the old one void
    #[oai(
        path = "/v1/people/:id/invitation",
        method = "post",
        tag = "Tag::People"
    )]
    async fn renew(
        &self,
        auth: TokenAuth,
        id: Path<Uuid>,
        _no_key: NoIdempotencyKey,
    ) -> Result<Renewed, ApiError> {
        let invitation = self
            .state
            .store
            .renew_invitation(&Ctx::new(&auth.0), id.0.into())
            .await?
            .fresh()
            .ok_or_else(|| {
                Problem::of(ProblemKind::Internal, "no invitation was sent").into_error()
            })?;
        Ok(Renewed::Ok(Json(self.shown(invitation))))
    }

    /// Disable an account: its sessions end at once
    #[oai(path = "/v1/people/:id/disable", method = "post", tag = "Tag::People")]
    async fn disable(&self, auth: TokenAuth, id: Path<Uuid>) -> Result<One, ApiError> {
        self.set_disabled(auth, id.0, true).await
    }

    /// Enable a disabled account again
    #[oai(path = "/v1/people/:id/enable", method = "post", tag = "Tag::People")]
    async fn enable(&self, auth: TokenAuth, id: Path<Uuid>) -> Result<One, ApiError> {
        self.set_disabled(auth, id.0, false).await
    }
}

impl PeopleApi {
    async fn set_disabled(
        &self,
        auth: TokenAuth,
        id: Uuid,
        disabled: bool,
    ) -> Result<One, ApiError> {
        let person = self
            .state
            .store
            .set_person_disabled(&Ctx::new(&auth.0), id.into(), disabled)
            .await?
            .fresh()
            .ok_or_else(|| {
                Problem::of(ProblemKind::Internal, "nothing was changed").into_error()
            })?;
        Ok(One::Ok(Json(person.into())))
    }
}
