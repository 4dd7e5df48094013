//! The oversight body's pages: organisations (`/workspace/organisations`),
//! reports and their recommendations (`/workspace/reports`,
//! `/workspace/reports/{slug}`) and API tokens (`/workspace/tokens`).
//!
//! Each form calls the store command the API calls, as the person signed
//! in; whether they may is core's to say inside that command
//! (`Principal::require_overseer`), and a refusal is shown as a 403 page.
//! Each form carries a one-time id, so a second click creates nothing
//! twice, and errors come back with what was typed.

use std::sync::Arc;

use askama::Template;
use chrono::NaiveDate;
use poem::http::StatusCode;
use poem::{Request, Response};
use rectrack_core::ids::TokenId;
use rectrack_core::organisation::{Organisation, OrganisationDraft, OrganisationKind};
use rectrack_core::recommendation::{LegalBasis, RecommendationDraft};
use rectrack_core::report::{Report, ReportDraft};
use rectrack_core::role::{Principal, Role};
use rectrack_store::people::Session;
use rectrack_store::recommendations::{RecommendationFilter, RecommendationView};
use rectrack_store::tokens::{TokenDraft, TokenRecord};
use rectrack_store::{Error, Written};

use super::{
    Errors, Form, FormKey, Layout, Workspace, every, failed, message_page, new_form_id,
    not_recorded, render, see_other, signed_in,
};
use crate::words;

/// A signed-in person's form, read and checked.
struct Sent {
    session: Session,
    /// Who the store commands act as.
    principal: Principal,
    form: Form,
    /// The form's idempotency key.
    key: FormKey,
}

/// Reads the signed-in person's form, refused unless it carries their
/// session's token and comes from this site.
async fn read(ws: &Workspace, req: &mut Request) -> Result<Sent, Response> {
    let session = signed_in(ws, req).await?;
    let form = Form::checked(ws, req, &session.csrf_token).await?;
    let key = FormKey::of(&session, req.uri().path(), &form);
    let principal = session.principal().ok_or_else(failed)?;
    Ok(Sent {
        session,
        principal,
        form,
        key,
    })
}

/// A day typed in a date field, or the error naming `field`.
fn day(form: &Form, name: &str, field: &str, label: &str) -> Result<NaiveDate, Errors> {
    NaiveDate::parse_from_str(form.get(name).trim(), "%Y-%m-%d")
        .map_err(|_| Errors::one(field, format!("Enter {label} as a real date")))
}

/// Optional text: `None` when nothing but spaces was typed.
fn optional(form: &Form, name: &str) -> Option<String> {
    Some(form.get(name).to_owned()).filter(|text| !text.trim().is_empty())
}

// Organisations ------------------------------------------------------------

#[derive(Template)]
#[template(path = "workspace/organisations.html")]
struct OrganisationsPage {
    layout: Layout,
    form_id: String,
    organisations: Vec<(Organisation, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    notice: Option<String>,
    errors: Errors,
    typed: Form,
}

fn kind_words(kind: OrganisationKind) -> &'static str {
    match kind {
        OrganisationKind::OversightBody => "Oversight body",
        OrganisationKind::PoliceForce => "Police force",
        OrganisationKind::NationalBody => "National body",
        OrganisationKind::Other => "Other recipient",
    }
}

/// `GET /workspace/organisations`.
pub async fn organisations(ws: Arc<Workspace>, req: Request) -> Response {
    let session = match signed_in(&ws, &req).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let notice = super::query_value(&req, "done")
        .filter(|done| done == "organisation")
        .map(|_| "The organisation has been added.".to_owned());
    show_organisations(
        &ws,
        &session,
        notice,
        Errors::default(),
        Form::default(),
        StatusCode::OK,
    )
    .await
}

async fn show_organisations(
    ws: &Workspace,
    session: &Session,
    notice: Option<String>,
    errors: Errors,
    typed: Form,
    status: StatusCode,
) -> Response {
    let organisations =
        match every(|page| async move { ws.state.store.organisations(&page).await }).await {
            Ok(organisations) => organisations,
            Err(error) => {
                tracing::error!(%error, "organisations could not be listed");
                return failed();
            }
        };
    let mut page = OrganisationsPage {
        layout: Layout::of("Organisations", "organisations", session),
        form_id: new_form_id(),
        organisations: organisations
            .into_iter()
            .map(|o| {
                let kind = kind_words(o.kind);
                (o, kind)
            })
            .collect(),
        kinds: OrganisationKind::ALL
            .into_iter()
            .map(|kind| (kind.as_str(), kind_words(kind)))
            .collect(),
        notice,
        errors,
        typed,
    };
    page.layout.title = page.layout.title(&page.errors);
    render(status, &page)
}

/// `POST /workspace/organisations`.
pub async fn add_organisation(ws: Arc<Workspace>, mut req: Request) -> Response {
    let Sent {
        session,
        principal,
        form,
        key,
    } = match read(&ws, &mut req).await {
        Ok(sent) => sent,
        Err(response) => return response,
    };
    let Some(kind) = OrganisationKind::ALL
        .into_iter()
        .find(|kind| kind.as_str() == form.get("kind"))
    else {
        let errors = Errors::one("organisation-kind", "Choose what kind of body it is");
        return show_organisations(
            &ws,
            &session,
            None,
            errors,
            form,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let draft = OrganisationDraft {
        code: form.get("code").trim().to_owned(),
        name: form.get("name").to_owned(),
        kind,
    };
    match ws
        .state
        .store
        .create_organisation(&key.ctx(&principal), &draft)
        .await
    {
        Ok(_) => see_other("/workspace/organisations?done=organisation"),
        Err(error) => match not_recorded(
            error,
            &[
                ("code", "organisation-code", "The code"),
                ("name", "organisation-name", "The name"),
                ("kind", "organisation-kind", "The kind"),
            ],
            "organisation-code",
            "Only an oversight body's caseworkers add organisations.",
        ) {
            Ok((errors, status)) => {
                show_organisations(&ws, &session, None, errors, form, status).await
            }
            Err(response) => response,
        },
    }
}

// Reports ------------------------------------------------------------------

#[derive(Template)]
#[template(path = "workspace/reports.html")]
struct ReportsPage {
    layout: Layout,
    form_id: String,
    reports: Vec<(Report, u64, String)>,
    issuers: Vec<(String, String)>,
    errors: Errors,
    typed: Form,
}

/// `GET /workspace/reports`.
pub async fn reports(ws: Arc<Workspace>, req: Request) -> Response {
    let session = match signed_in(&ws, &req).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    show_reports(
        &ws,
        &session,
        Errors::default(),
        Form::default(),
        StatusCode::OK,
    )
    .await
}

async fn show_reports(
    ws: &Workspace,
    session: &Session,
    errors: Errors,
    typed: Form,
    status: StatusCode,
) -> Response {
    let store = &ws.state.store;
    let (reports, organisations) = match (
        store.reports_with_counts().await,
        every(|page| async move { store.organisations(&page).await }).await,
    ) {
        (Ok(reports), Ok(organisations)) => (reports, organisations),
        (Err(error), _) | (_, Err(error)) => {
            tracing::error!(%error, "reports could not be listed");
            return failed();
        }
    };
    let mut page = ReportsPage {
        layout: Layout::of("Reports", "reports", session),
        form_id: new_form_id(),
        reports: reports
            .into_iter()
            .map(|(report, count)| {
                let published = words::date(report.published_on);
                (report, count, published)
            })
            .collect(),
        issuers: organisations
            .into_iter()
            .filter(|o| o.kind.issues_reports())
            .map(|o| (o.code.to_string(), o.name.to_string()))
            .collect(),
        errors,
        typed,
    };
    page.layout.title = page.layout.title(&page.errors);
    render(status, &page)
}

/// `POST /workspace/reports`.
pub async fn add_report(ws: Arc<Workspace>, mut req: Request) -> Response {
    let Sent {
        session,
        principal,
        form,
        key,
    } = match read(&ws, &mut req).await {
        Ok(sent) => sent,
        Err(response) => return response,
    };
    let published_on = match day(
        &form,
        "published_on",
        "report-published_on",
        "the day it was published",
    ) {
        Ok(day) => day,
        Err(errors) => {
            return show_reports(
                &ws,
                &session,
                errors,
                form,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let draft = ReportDraft {
        slug: form.get("slug").trim().to_owned(),
        title: form.get("title").to_owned(),
        issued_by: form.get("issued_by").to_owned(),
        published_on,
        url: optional(&form, "url").map(|url| url.trim().to_owned()),
        summary: optional(&form, "summary"),
    };
    match ws
        .state
        .store
        .create_report(&key.ctx(&principal), &draft)
        .await
    {
        Ok(_) => see_other(&format!("/workspace/reports/{}?done=report", draft.slug)),
        Err(error) => match not_recorded(
            error,
            &[
                ("slug", "report-slug", "The short name"),
                ("title", "report-title", "The title"),
                ("issued_by", "report-issued_by", "The issuer:"),
                ("published_on", "report-published_on", "The publication day"),
                ("url", "report-url", "The web address"),
                ("summary", "report-summary", "The summary"),
            ],
            "report-slug",
            "Only an oversight body's caseworkers add reports.",
        ) {
            Ok((errors, status)) => show_reports(&ws, &session, errors, form, status).await,
            Err(response) => response,
        },
    }
}

// A report's recommendations -------------------------------------------------

struct AssignmentLink {
    organisation: String,
    href: String,
    status: &'static str,
    tag: &'static str,
}

struct RecommendationRow {
    number: u32,
    title: String,
    withdrawn: bool,
    assignments: Vec<AssignmentLink>,
}

#[derive(Template)]
#[template(path = "workspace/report.html")]
struct ReportPage {
    layout: Layout,
    form_id: String,
    report: Report,
    published: String,
    recommendations: Vec<RecommendationRow>,
    recipients: Vec<(String, String)>,
    bases: Vec<(&'static str, &'static str)>,
    next_number: u32,
    notice: Option<&'static str>,
    errors: Errors,
    typed: Form,
}

/// `GET /workspace/reports/{slug}`.
pub async fn report(ws: Arc<Workspace>, req: Request) -> Response {
    let session = match signed_in(&ws, &req).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let slug = req.raw_path_param("slug").unwrap_or_default().to_owned();
    let notice = match super::query_value(&req, "done").as_deref() {
        Some("report") => Some("The report has been added. Now add its recommendations."),
        Some("recommendation") => {
            Some("The recommendation has been added, with an assignment for each recipient.")
        }
        _ => None,
    };
    show_report(
        &ws,
        &session,
        &slug,
        notice,
        Errors::default(),
        Form::default(),
        StatusCode::OK,
    )
    .await
}

const BASES: [LegalBasis; 3] = [LegalBasis::Para28a, LegalBasis::Learning, LegalBasis::Other];

async fn show_report(
    ws: &Workspace,
    session: &Session,
    slug: &str,
    notice: Option<&'static str>,
    errors: Errors,
    typed: Form,
    status: StatusCode,
) -> Response {
    let store = &ws.state.store;
    let report = match store.report(slug).await {
        Ok(report) => report,
        Err(Error::NotFound { .. }) => {
            return message_page(
                StatusCode::NOT_FOUND,
                "Page not found",
                "There is no such report.",
            );
        }
        Err(error) => {
            tracing::error!(%error, "a report could not be read");
            return failed();
        }
    };
    let filter = RecommendationFilter {
        report: Some(slug.to_owned()),
        ..RecommendationFilter::default()
    };
    let (recommendations, organisations) = match (
        every(|page| {
            let filter = &filter;
            async move { store.recommendations(filter, &page).await }
        })
        .await,
        every(|page| async move { store.organisations(&page).await }).await,
    ) {
        (Ok(recommendations), Ok(organisations)) => (recommendations, organisations),
        (Err(error), _) | (_, Err(error)) => {
            tracing::error!(%error, "a report's recommendations could not be read");
            return failed();
        }
    };
    let names: std::collections::HashMap<String, String> = organisations
        .iter()
        .map(|o| (o.code.to_string(), o.name.to_string()))
        .collect();
    let next_number = recommendations
        .iter()
        .map(|view| view.recommendation.content.number)
        .max()
        .unwrap_or(0)
        + 1;
    let mut page = ReportPage {
        layout: Layout::of(report.title.to_string(), "reports", session),
        form_id: new_form_id(),
        published: words::date(report.published_on),
        recommendations: recommendations
            .into_iter()
            .map(|view| recommendation_row(view, session, &names))
            .collect(),
        recipients: organisations
            .into_iter()
            .filter(|o| o.kind.receives_recommendations())
            .map(|o| (o.code.to_string(), o.name.to_string()))
            .collect(),
        bases: BASES
            .into_iter()
            .map(|basis| (basis.as_str(), words::legal_basis(basis)))
            .collect(),
        next_number,
        report,
        notice,
        errors,
        typed,
    };
    page.layout.title = page.layout.title(&page.errors);
    render(status, &page)
}

fn recommendation_row(
    view: RecommendationView,
    session: &Session,
    names: &std::collections::HashMap<String, String>,
) -> RecommendationRow {
    RecommendationRow {
        number: view.recommendation.content.number,
        title: view.recommendation.content.title.to_string(),
        withdrawn: view.recommendation.withdrawn,
        // A recipient's staff see their own organisation's assignment only.
        assignments: view
            .assignments
            .into_iter()
            .filter(|record| session.actor.sees(&record.assignment.organisation))
            .map(|record| {
                let assignment = record.assignment;
                AssignmentLink {
                    organisation: super::name_of(names, &assignment.organisation),
                    href: format!("/workspace/assignments/{}", assignment.id),
                    status: words::status(assignment.status),
                    tag: words::status_tag(assignment.status),
                }
            })
            .collect(),
    }
}

/// Core's names of a recommendation's fields: the form's ids and labels,
/// in the order the form shows them.
const RECOMMENDATION_FIELDS: &[(&str, &str, &str)] = &[
    ("number", "recommendation-number", "The number"),
    ("title", "recommendation-title", "The title"),
    ("body", "recommendation-body", "The text"),
    ("recipients", "recommendation-recipients", "The recipients:"),
    ("themes", "recommendation-themes", "The themes:"),
    (
        "issued_on",
        "recommendation-issued_on",
        "The day it was made",
    ),
    ("legal_basis", "recommendation-legal_basis", "The power"),
    (
        "response_due_on",
        "recommendation-response_due_on",
        "The response due day",
    ),
];

/// `POST /workspace/reports/{slug}/recommendations`.
pub async fn add_recommendation(ws: Arc<Workspace>, mut req: Request) -> Response {
    let Sent {
        session,
        principal,
        form,
        key,
    } = match read(&ws, &mut req).await {
        Ok(sent) => sent,
        Err(response) => return response,
    };
    let slug = req.raw_path_param("slug").unwrap_or_default().to_owned();
    let again = async |errors: Errors, status: StatusCode| {
        show_report(&ws, &session, &slug, None, errors, form.clone(), status).await
    };
    let mut errors = Errors::default();
    let number = form.get("number").trim().parse::<i64>();
    if number.is_err() {
        errors.add(
            "recommendation-number",
            "Enter the recommendation's number in its report, as a whole number",
        );
    }
    let issued_on = day(
        &form,
        "issued_on",
        "recommendation-issued_on",
        "the day it was made",
    );
    if let Err(error) = &issued_on {
        errors.extend(error.clone());
    }
    let due = form.get("response_due_on").trim();
    let response_due_on = if due.is_empty() {
        Ok(None)
    } else {
        day(
            &form,
            "response_due_on",
            "recommendation-response_due_on",
            "the day a response is due",
        )
        .map(Some)
    };
    if let Err(error) = &response_due_on {
        errors.extend(error.clone());
    }
    let legal_basis = BASES
        .into_iter()
        .find(|basis| basis.as_str() == form.get("legal_basis"));
    if legal_basis.is_none() {
        errors.add(
            "recommendation-legal_basis",
            "Choose the power it is made under",
        );
    }
    let draft =
        |number: i64, issued_on: NaiveDate, response_due_on, legal_basis| RecommendationDraft {
            number,
            title: form.get("title").to_owned(),
            body: form.get("body").to_owned(),
            themes: form
                .get("themes")
                .split(',')
                .map(str::trim)
                .filter(|theme| !theme.is_empty())
                .map(str::to_owned)
                .collect(),
            recipients: form
                .all("recipients")
                .into_iter()
                .map(str::to_owned)
                .collect(),
            issued_on,
            response_due_on,
            legal_basis,
        };
    let (Ok(number), Ok(issued_on), Ok(response_due_on), Some(legal_basis)) = (
        number.clone(),
        issued_on.clone(),
        response_due_on.clone(),
        legal_basis,
    ) else {
        // The other fields' errors too, from core's own check, so that
        // every error is named at once.
        let today = ws.state.store.now().date_naive();
        let rest = draft(
            number.unwrap_or(1),
            issued_on.unwrap_or(today),
            response_due_on.unwrap_or(None),
            legal_basis,
        );
        if let Err(invalid) = rest.parse() {
            let mut more = Errors::from_validation(&invalid, RECOMMENDATION_FIELDS);
            more.retain(|field| errors.of(field).is_none());
            errors.extend(more);
        }
        errors.order_by(
            &RECOMMENDATION_FIELDS
                .iter()
                .map(|(_, id, _)| *id)
                .collect::<Vec<_>>(),
        );
        return again(errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let draft = draft(number, issued_on, response_due_on, Some(legal_basis));
    let written = ws
        .state
        .store
        .create_recommendation(&key.ctx(&principal), &slug, &draft)
        .await;
    match written {
        Ok(_) => see_other(&format!("/workspace/reports/{slug}?done=recommendation")),
        Err(Error::NotFound { .. }) => message_page(
            StatusCode::NOT_FOUND,
            "Page not found",
            "There is no such report.",
        ),
        Err(error) => match not_recorded(
            error,
            RECOMMENDATION_FIELDS,
            "recommendation-number",
            "Only an oversight body's caseworkers add recommendations.",
        ) {
            Ok((errors, status)) => again(errors, status).await,
            Err(response) => response,
        },
    }
}

// API tokens -------------------------------------------------------------------

struct TokenRow {
    /// The revoke form's one-time id.
    form_id: String,
    record: TokenRecord,
    role: &'static str,
    created: String,
    last_used: String,
    revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "workspace/tokens.html")]
struct TokensPage {
    layout: Layout,
    form_id: String,
    tokens: Vec<TokenRow>,
    organisations: Vec<(String, String)>,
    roles: Vec<(&'static str, &'static str)>,
    created: Option<(String, String)>,
    notice: Option<&'static str>,
    errors: Errors,
    typed: Form,
}

/// `GET /workspace/tokens`.
pub async fn tokens(ws: Arc<Workspace>, req: Request) -> Response {
    let session = match signed_in(&ws, &req).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let notice = match super::query_value(&req, "done").as_deref() {
        Some("revoked") => Some("The token is revoked: it is refused from now on."),
        Some("again") => Some(
            "That form had already been sent: the token was created once, and its secret shown then.",
        ),
        _ => None,
    };
    show_tokens(
        &ws,
        &session,
        None,
        notice,
        Errors::default(),
        Form::default(),
        StatusCode::OK,
    )
    .await
}

async fn show_tokens(
    ws: &Workspace,
    session: &Session,
    created: Option<(String, String)>,
    notice: Option<&'static str>,
    errors: Errors,
    typed: Form,
    status: StatusCode,
) -> Response {
    let Some(principal) = session.principal() else {
        return failed();
    };
    // Tokens are listed to those who may manage them: core's rule, as the
    // API's `GET /v1/tokens` applies it.
    if let Err(refusal) = principal.require_overseer("list_tokens") {
        tracing::info!(%refusal, "the token page was refused");
        return message_page(
            StatusCode::FORBIDDEN,
            "API tokens are managed by the oversight body",
            "Only an oversight body's caseworkers create and revoke API tokens.",
        );
    }
    let store = &ws.state.store;
    let (tokens, organisations) = match (
        every(|page| async move { store.tokens(&page).await }).await,
        every(|page| async move { store.organisations(&page).await }).await,
    ) {
        (Ok(tokens), Ok(organisations)) => (tokens, organisations),
        (Err(error), _) | (_, Err(error)) => {
            tracing::error!(%error, "tokens could not be listed");
            return failed();
        }
    };
    let when = |at: chrono::DateTime<chrono::Utc>| at.format("%-d %B %Y, %H:%M UTC").to_string();
    let mut page = TokensPage {
        layout: Layout::of("API tokens", "tokens", session),
        form_id: new_form_id(),
        tokens: tokens
            .into_iter()
            .rev()
            .map(|record| TokenRow {
                form_id: new_form_id(),
                role: words::role(record.role),
                created: when(record.created_at),
                last_used: record.last_used_at.map_or_else(|| "Never".to_owned(), when),
                revoked: record.revoked_at.map(when),
                record,
            })
            .collect(),
        organisations: organisations
            .into_iter()
            .map(|o| (o.code.to_string(), o.name.to_string()))
            .collect(),
        roles: words::roles(),
        created,
        notice,
        errors,
        typed,
    };
    page.layout.title = page.layout.title(&page.errors);
    render(status, &page)
}

/// `POST /workspace/tokens`: a new token, whose secret is shown once.
pub async fn create_token(ws: Arc<Workspace>, mut req: Request) -> Response {
    let Sent {
        session,
        principal,
        form,
        key,
    } = match read(&ws, &mut req).await {
        Ok(sent) => sent,
        Err(response) => return response,
    };
    let Some(role) = Role::named(form.get("role")) else {
        let errors = Errors::one("token-role", "Choose what the token may do");
        return show_tokens(
            &ws,
            &session,
            None,
            None,
            errors,
            form,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let draft = TokenDraft {
        organisation: form.get("organisation").to_owned(),
        role,
        label: optional(&form, "label"),
    };
    match ws
        .state
        .store
        .create_token(&key.ctx(&principal), &draft)
        .await
    {
        Ok(Written::Fresh(created)) => {
            let label = created.record.label.as_ref().map_or_else(
                || created.record.organisation.to_string(),
                ToString::to_string,
            );
            show_tokens(
                &ws,
                &session,
                Some((label, created.secret)),
                None,
                Errors::default(),
                Form::default(),
                StatusCode::CREATED,
            )
            .await
        }
        Ok(Written::Replayed(_)) => see_other("/workspace/tokens?done=again"),
        Err(error) => match not_recorded(
            error,
            &[
                ("organisation", "token-organisation", "The organisation:"),
                ("role", "token-role", "The role:"),
                ("label", "token-label", "The label"),
            ],
            "token-label",
            "Only an oversight body's caseworkers create API tokens.",
        ) {
            Ok((errors, status)) => {
                show_tokens(&ws, &session, None, None, errors, form, status).await
            }
            Err(response) => response,
        },
    }
}

/// `POST /workspace/tokens/{id}/revoke`.
pub async fn revoke_token(ws: Arc<Workspace>, mut req: Request) -> Response {
    let Sent {
        session,
        principal,
        form,
        key,
    } = match read(&ws, &mut req).await {
        Ok(sent) => sent,
        Err(response) => return response,
    };
    let Some(id) = req
        .raw_path_param("id")
        .and_then(|raw| raw.parse::<TokenId>().ok())
    else {
        return message_page(
            StatusCode::NOT_FOUND,
            "Page not found",
            "There is no such token.",
        );
    };
    match ws.state.store.revoke_token(&key.ctx(&principal), id).await {
        Ok(_) => see_other("/workspace/tokens?done=revoked"),
        Err(Error::NotFound { .. }) => message_page(
            StatusCode::NOT_FOUND,
            "Page not found",
            "There is no such token.",
        ),
        Err(error) => match not_recorded(
            error,
            &[],
            "",
            "Only an oversight body's caseworkers revoke API tokens.",
        ) {
            Ok((errors, status)) => {
                show_tokens(&ws, &session, None, None, errors, form, status).await
            }
            Err(response) => response,
        },
    }
}
