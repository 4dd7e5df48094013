//! `/workspace/people`: the oversight body's caseworkers invite people,
//! send invitations again, and disable or enable accounts, through the same
//! store commands as `/v1/people`. Who may is core's to say
//! (`Principal::require_overseer`, inside each command): anyone else gets
//! the store's refusal as a 403 page.

use std::sync::Arc;

use askama::Template;
use poem::http::StatusCode;
use poem::{Request, Response};
use rectrack_api::routes::people::invitation_path;
use rectrack_core::person::Person;
use rectrack_core::role::Role;
use rectrack_store::people::{Invitation, PersonDraft};
use rectrack_store::{Ctx, Error};

use super::{
    Errors, Form, Layout, Workspace, capitalised, every, failed, message_page, render, see_other,
    signed_in,
};
use crate::words;

struct PersonRow {
    person: Person,
    role: &'static str,
    state: &'static str,
}

#[derive(Template)]
#[template(path = "workspace/people.html")]
struct PeoplePage {
    layout: Layout,
    people: Vec<PersonRow>,
    organisations: Vec<(String, String)>,
    roles: Vec<(&'static str, &'static str)>,
    notice: Option<String>,
    errors: Errors,
    typed: Form,
}

#[derive(Template)]
#[template(path = "workspace/invited.html")]
struct InvitedPage {
    layout: Layout,
    person: Person,
    link: String,
    expires: String,
}

/// `GET /workspace/people`.
pub async fn page(ws: Arc<Workspace>, req: Request) -> Response {
    let session = match signed_in(&ws, &req).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let notice = super::query_value(&req, "done").map(|done| match done.as_str() {
        "disabled" => "The account is disabled, and its sessions have ended.".to_owned(),
        "enabled" => "The account is enabled again.".to_owned(),
        _ => "Done.".to_owned(),
    });
    show(
        &ws,
        &session,
        notice,
        Errors::default(),
        Form::default(),
        StatusCode::OK,
    )
    .await
}

async fn show(
    ws: &Workspace,
    session: &rectrack_store::people::Session,
    notice: Option<String>,
    errors: Errors,
    typed: Form,
    status: StatusCode,
) -> Response {
    let Some(principal) = session.principal() else {
        return failed();
    };
    let store = &ws.state.store;
    let people = match every(|page| {
        let principal = &principal;
        async move { store.people(principal, &page).await }
    })
    .await
    {
        Ok(people) => people,
        Err(Error::Domain(rectrack_core::Error::Refused(refusal))) => {
            return message_page(
                StatusCode::FORBIDDEN,
                "People are managed by the oversight body",
                &format!(
                    "Only an oversight body's caseworkers invite people and manage their accounts ({refusal})."
                ),
            );
        }
        Err(error) => {
            tracing::error!(%error, "people could not be listed");
            return failed();
        }
    };
    let organisations = match every(|page| async move { store.organisations(&page).await }).await {
        Ok(organisations) => organisations
            .into_iter()
            .map(|o| (o.code.to_string(), o.name.to_string()))
            .collect(),
        Err(error) => {
            tracing::error!(%error, "organisations could not be listed");
            return failed();
        }
    };
    let mut page = PeoplePage {
        layout: Layout::of("People", "people", session),
        people: people
            .into_iter()
            .map(|person| PersonRow {
                role: words::role(person.role),
                state: words::person_state(person.state),
                person,
            })
            .collect(),
        organisations,
        roles: words::roles(),
        notice,
        errors,
        typed,
    };
    page.layout.title = page.layout.title(&page.errors);
    render(status, &page)
}

/// `POST /workspace/people`: an invitation, whose link is shown once.
pub async fn invite(ws: Arc<Workspace>, mut req: Request) -> Response {
    let session = match signed_in(&ws, &req).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let form = match Form::checked(&ws, &mut req, &session.csrf_token).await {
        Ok(form) => form,
        Err(response) => return response,
    };
    let Some(principal) = session.principal() else {
        return failed();
    };
    let role = match Role::named(form.get("role")) {
        Some(role) => role,
        None => {
            return show(
                &ws,
                &session,
                None,
                Errors::one("invite-role", "Choose what the person may do"),
                form,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let draft = PersonDraft {
        organisation: form.get("organisation").to_owned(),
        role,
        email: form.get("email").trim().to_owned(),
        name: form.get("name").to_owned(),
    };
    let written = ws
        .state
        .store
        .invite_person(&Ctx::new(&principal), &draft)
        .await;
    match written.map(rectrack_store::Written::fresh) {
        Ok(Some(invitation)) => invited(&ws, &session, invitation),
        Ok(None) => failed(),
        Err(Error::Domain(rectrack_core::Error::Validation(errors))) => {
            let errors = Errors::from_validation(
                &errors,
                &[
                    ("organisation", "invite-organisation", "The organisation:"),
                    ("role", "invite-role", "The role:"),
                    ("email", "invite-email", "The email address"),
                    ("name", "invite-name", "The name"),
                ],
            );
            show(
                &ws,
                &session,
                None,
                errors,
                form,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(Error::Conflict(reason)) => {
            show(
                &ws,
                &session,
                None,
                Errors::one("invite-email", capitalised(&reason)),
                form,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(Error::Domain(rectrack_core::Error::Refused(_))) => message_page(
            StatusCode::FORBIDDEN,
            "People are managed by the oversight body",
            "Only an oversight body's caseworkers invite people.",
        ),
        Err(error) => {
            tracing::error!(%error, "an invitation could not be made");
            failed()
        }
    }
}

fn invited(
    ws: &Workspace,
    session: &rectrack_store::people::Session,
    invitation: Invitation,
) -> Response {
    render(
        StatusCode::OK,
        &InvitedPage {
            layout: Layout::of("Invitation made", "people", session),
            link: format!(
                "{}{}",
                ws.state.public_url.trim_end_matches('/'),
                invitation_path(&invitation.secret)
            ),
            expires: words::date(invitation.expires_at.date_naive()),
            person: invitation.person,
        },
    )
}

/// `POST /workspace/people/{id}/invitation`: a new link, the old one void.
pub async fn resend(ws: Arc<Workspace>, req: Request) -> Response {
    act(ws, req, Act::Resend).await
}

/// `POST /workspace/people/{id}/disable`.
pub async fn disable(ws: Arc<Workspace>, req: Request) -> Response {
    act(ws, req, Act::Disable).await
}

/// `POST /workspace/people/{id}/enable`.
pub async fn enable(ws: Arc<Workspace>, req: Request) -> Response {
    act(ws, req, Act::Enable).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    Resend,
    Disable,
    Enable,
}

async fn act(ws: Arc<Workspace>, mut req: Request, act: Act) -> Response {
    let session = match signed_in(&ws, &req).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    if let Err(response) = Form::checked(&ws, &mut req, &session.csrf_token).await {
        return response;
    }
    let Some(principal) = session.principal() else {
        return failed();
    };
    let Some(id) = req
        .raw_path_param("id")
        .and_then(|raw| raw.parse::<rectrack_core::ids::PersonId>().ok())
    else {
        return message_page(
            StatusCode::NOT_FOUND,
            "Page not found",
            "There is no such person.",
        );
    };
    let store = &ws.state.store;
    let ctx = Ctx::new(&principal);
    let outcome = match act {
        Act::Resend => match store.renew_invitation(&Ctx::new(&principal), id).await {
            Ok(written) => match written.fresh() {
                Some(invitation) => return invited(&ws, &session, invitation),
                None => return failed(),
            },
            Err(error) => Err(error),
        },
        Act::Disable => store
            .set_person_disabled(&ctx, id, true)
            .await
            .map(|_| "disabled"),
        Act::Enable => store
            .set_person_disabled(&ctx, id, false)
            .await
            .map(|_| "enabled"),
    };
    match outcome {
        Ok(done) => see_other(&format!("/workspace/people?done={done}")),
        Err(Error::NotFound { .. }) => message_page(
            StatusCode::NOT_FOUND,
            "Page not found",
            "There is no such person.",
        ),
        Err(Error::Conflict(reason)) => {
            show(
                &ws,
                &session,
                None,
                Errors::one("", capitalised(&reason)),
                Form::default(),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(Error::Domain(rectrack_core::Error::Refused(_))) => message_page(
            StatusCode::FORBIDDEN,
            "People are managed by the oversight body",
            "Only an oversight body's caseworkers manage people's accounts.",
        ),
        Err(error) => {
            tracing::error!(%error, "an account could not be changed");
            failed()
        }
    }
}
