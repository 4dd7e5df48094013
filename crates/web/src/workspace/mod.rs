//! The workspace at `/workspace`: pages for signed-in people, the oversight
//! body's caseworkers and the staff of recipient organisations.
//!
//! Every page and form here calls the same store commands as the API, as
//! the person signed in (`Principal::Person`); who may do what is core's to
//! say, never this module's. What this module owns is the web's own
//! security, stated in `docs/security.md`:
//!
//! - **Sessions** are server-side (`rectrack_store::people`). The cookie
//!   `__Host-rectrack-session` holds only a random secret, and is
//!   `HttpOnly`, `Secure`, `SameSite=Lax`, host-only and for path `/`.
//! - **Forms** are protected against cross-site requests twice: each carries
//!   a token (derived from the session's secret once signed in; before, the
//!   random value of the `__Host-rectrack-form` cookie, which the form must
//!   echo), and a `POST` whose `Origin` (or `Sec-Fetch-Site`) shows another
//!   site is refused before anything is read.
//! - **Pages** are never cached (`no-store`) and carry the site's content
//!   security policy: no script at all.

// A handler's early answer (a redirect, a refusal) travels as the `Err` of
// its checks; it is built once per request, so its size costs nothing.
#![allow(clippy::result_large_err)]

pub mod account;
pub mod assignment;
pub mod dashboard;
pub mod import;
pub mod oversight;
pub mod people;
pub mod reviews;

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;

use askama::Template;
use base64::Engine as _;
use poem::http::{HeaderValue, StatusCode, header};
use poem::{Endpoint, Request, Response, Route, get};
use rectrack_api::app::AppState;
use rectrack_core::role::Principal;
use rectrack_store::page::{MAX_LIMIT, Page, PageRequest};
use rectrack_store::people::{Session, Stage};
use rectrack_store::{Ctx, Error, Idempotency};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::pages::{HTML, secure};
use assignment::Write;

/// The session cookie: the `__Host-` prefix makes browsers keep it only if
/// it is `Secure`, for path `/`, and bound to this host alone.
pub(crate) const SESSION_COOKIE: &str = "__Host-rectrack-session";

/// Before sign-in, a form's token is this cookie's value, echoed by the form.
pub(crate) const FORM_COOKIE: &str = "__Host-rectrack-form";

/// What workspace handlers share.
#[derive(Debug)]
pub struct Workspace {
    /// The service's state: the store, the public URL.
    pub state: Arc<AppState>,
}

/// Adds the workspace's routes to `route`.
pub(crate) fn routes(route: Route, state: &Arc<AppState>) -> Route {
    let ws = Arc::new(Workspace {
        state: state.clone(),
    });
    route
        .at("/workspace", get(handler(&ws, dashboard::page)))
        .at(
            "/workspace/sign-in",
            get(handler(&ws, account::sign_in_form)).post(handler(&ws, account::sign_in)),
        )
        .at(
            "/workspace/sign-in/code",
            get(handler(&ws, account::code_form)).post(handler(&ws, account::code)),
        )
        .at(
            "/workspace/sign-out",
            poem::post(handler(&ws, account::sign_out)),
        )
        .at(
            "/workspace/invitations/:secret",
            get(handler(&ws, account::invitation_form)).post(handler(&ws, account::accept)),
        )
        .at("/workspace/account", get(handler(&ws, account::page)))
        .at(
            "/workspace/people",
            get(handler(&ws, people::page)).post(handler(&ws, people::invite)),
        )
        .at(
            "/workspace/people/:id/invitation",
            poem::post(handler(&ws, people::resend)),
        )
        .at(
            "/workspace/people/:id/disable",
            poem::post(handler(&ws, people::disable)),
        )
        .at(
            "/workspace/people/:id/enable",
            poem::post(handler(&ws, people::enable)),
        )
        .at("/workspace/reviews", get(handler(&ws, reviews::page)))
        .at(
            "/workspace/organisations",
            get(handler(&ws, oversight::organisations))
                .post(handler(&ws, oversight::add_organisation)),
        )
        .at(
            "/workspace/reports",
            get(handler(&ws, oversight::reports)).post(handler(&ws, oversight::add_report)),
        )
        .at(
            "/workspace/reports/:slug",
            get(handler(&ws, oversight::report)),
        )
        .at(
            "/workspace/reports/:slug/recommendations",
            poem::post(handler(&ws, oversight::add_recommendation)),
        )
        .at(
            "/workspace/tokens",
            get(handler(&ws, oversight::tokens)).post(handler(&ws, oversight::create_token)),
        )
        .at(
            "/workspace/tokens/:id/revoke",
            poem::post(handler(&ws, oversight::revoke_token)),
        )
        .at(
            "/workspace/import",
            get(handler(&ws, import::page)).post(handler(&ws, import::preview)),
        )
        .at(
            "/workspace/import/confirm",
            poem::post(handler(&ws, import::confirm)),
        )
        .at(
            "/workspace/assignments/:id",
            get(handler(&ws, assignment::page)),
        )
        .at(
            "/workspace/assignments/:id/response",
            get(handler(&ws, assignment::back)).post(form(&ws, Write::Response)),
        )
        .at(
            "/workspace/assignments/:id/milestones",
            get(handler(&ws, assignment::back)).post(form(&ws, Write::Milestone)),
        )
        .at(
            "/workspace/assignments/:id/evidence",
            get(handler(&ws, assignment::back)).post(form(&ws, Write::Evidence)),
        )
        .at(
            "/workspace/assignments/:id/updates",
            get(handler(&ws, assignment::back)).post(form(&ws, Write::Update)),
        )
        .at(
            "/workspace/assignments/:id/claim",
            get(handler(&ws, assignment::back)).post(form(&ws, Write::Claim)),
        )
        .at(
            "/workspace/assignments/:id/reviews",
            get(handler(&ws, assignment::back)).post(form(&ws, Write::Review)),
        )
        .at(
            "/workspace/assignments/:id/milestones/:milestone_id",
            get(handler(&ws, assignment::back)).post(form(&ws, Write::MilestoneChange)),
        )
        .at(
            "/workspace/assignments/:id/extension-requests",
            get(handler(&ws, assignment::back)).post(form(&ws, Write::Extension)),
        )
        .at(
            "/workspace/assignments/:id/extension-requests/:request_id/decision",
            get(handler(&ws, assignment::back)).post(form(&ws, Write::ExtensionDecision)),
        )
        .at(
            "/workspace/assignments/:id/withdrawal",
            get(handler(&ws, assignment::back)).post(form(&ws, Write::Withdrawal)),
        )
        .at(
            "/workspace/assignments/:id/documents",
            get(handler(&ws, assignment::back)).post(handler(&ws, assignment::upload)),
        )
        .at(
            "/workspace/evidence/:id",
            get(handler(&ws, assignment::document)),
        )
        .at(
            "/workspace/account/password",
            get(handler(&ws, account::password_form)).post(handler(&ws, account::password)),
        )
        .at(
            "/workspace/account/two-factor",
            get(handler(&ws, account::two_factor_form)).post(handler(&ws, account::two_factor)),
        )
        .at(
            "/workspace/account/two-factor/remove",
            poem::post(handler(&ws, account::remove_two_factor)),
        )
}

/// A form of an assignment's page, answered by `assignment::post`.
fn form(ws: &Arc<Workspace>, write: Write) -> impl Endpoint<Output = Response> + use<> {
    handler(ws, move |ws, req| assignment::post(ws, req, write))
}

fn handler<F, Fut>(ws: &Arc<Workspace>, f: F) -> impl Endpoint<Output = Response> + use<F, Fut>
where
    F: Fn(Arc<Workspace>, Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    let ws = ws.clone();
    poem::endpoint::make(move |req| f(ws.clone(), req))
}

/// Who is signed in, as the layout shows them.
#[derive(Debug, Clone)]
pub(crate) struct Who {
    pub name: String,
    pub organisation: String,
    pub role: &'static str,
}

/// What the workspace's layout shows around every page.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    /// The page's title; prefixed "Error: " when the page shows errors.
    pub title: String,
    /// The part of the workspace it belongs to, for the navigation.
    pub section: &'static str,
    /// The person signed in, if sign-in is complete.
    pub who: Option<Who>,
    /// The token the sign-out form carries.
    pub csrf_token: String,
    /// Whether the person does the oversight body's work: reviews, reports,
    /// imports, people and tokens (core's rule: overseers).
    pub oversees: bool,
}

impl Layout {
    pub(crate) fn anonymous(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            section: "",
            who: None,
            csrf_token: String::new(),
            oversees: false,
        }
    }

    pub(crate) fn of(title: impl Into<String>, section: &'static str, session: &Session) -> Self {
        Self {
            title: title.into(),
            section,
            who: (session.stage == Stage::Complete).then(|| Who {
                name: session.person.name.to_string(),
                organisation: session.person.organisation.to_string(),
                role: crate::words::role(session.person.role),
            }),
            csrf_token: session.csrf_token.clone(),
            oversees: session
                .principal()
                .is_some_and(|p| p.require_overseer("oversee").is_ok()),
        }
    }

    /// The title a page with errors has (the GOV.UK error summary pattern).
    pub(crate) fn title(&self, errors: &Errors) -> String {
        if errors.is_empty() {
            self.title.clone()
        } else {
            format!("Error: {}", self.title)
        }
    }
}

/// A form's errors, each with the id of the field it is about, in the
/// order the fields appear.
#[derive(Debug, Clone, Default)]
pub(crate) struct Errors(Vec<(String, String)>);

impl Errors {
    pub(crate) fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push((field.into(), message.into()));
    }

    pub(crate) fn one(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut errors = Self::default();
        errors.add(field, message);
        errors
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Keeps only the errors whose field `keep` says.
    pub(crate) fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.0.retain(|(field, _)| keep(field));
    }

    /// Puts the errors in the order their fields appear in `fields` (the
    /// page's order, as the error summary lists them); others last.
    pub(crate) fn order_by(&mut self, fields: &[&str]) {
        self.0.sort_by_key(|(field, _)| {
            fields
                .iter()
                .position(|f| f == field)
                .unwrap_or(fields.len())
        });
    }

    /// Adds every error of `other`, after these.
    pub(crate) fn extend(&mut self, other: Self) {
        self.0.extend(other.0);
    }

    /// Every error, as (field id, message).
    pub(crate) fn all(&self) -> &[(String, String)] {
        &self.0
    }

    /// The error about `field`, if any.
    pub(crate) fn of(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, message)| message.as_str())
    }

    /// Core's field errors, named by the form's fields (`names` maps core's
    /// field name to the form's, and gives each its label).
    pub(crate) fn from_validation(
        errors: &rectrack_core::ValidationErrors,
        names: &[(&str, &str, &str)],
    ) -> Self {
        let mut out = Self::default();
        for error in errors.errors() {
            match names.iter().find(|(core, _, _)| *core == error.field) {
                Some((_, field, label)) => out.add(*field, format!("{label} {}", error.message)),
                None => out.add("", format!("{} {}", error.field, error.message)),
            }
        }
        out
    }
}

/// A form as sent (`application/x-www-form-urlencoded`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Form(HashMap<String, Vec<String>>);

impl Form {
    /// Reads the request's body as a form; a page saying what is wrong if
    /// it is not one.
    pub(crate) async fn read(req: &mut Request) -> Result<Self, Response> {
        let urlencoded = req
            .content_type()
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
        if !urlencoded {
            return Err(message_page(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "This form could not be read",
                "The form was not sent as a web form. Go back and try again.",
            ));
        }
        let body = req.take_body().into_bytes().await.map_err(|_| {
            message_page(
                StatusCode::BAD_REQUEST,
                "This form could not be read",
                "The form was too large or did not arrive whole. Go back and try again.",
            )
        })?;
        let mut fields: HashMap<String, Vec<String>> = HashMap::new();
        for (key, value) in url::form_urlencoded::parse(&body) {
            fields
                .entry(key.into_owned())
                .or_default()
                .push(value.into_owned());
        }
        Ok(Self(fields))
    }

    /// Reads a signed-in person's form, refused (403) unless it comes from
    /// this site and carries the session's token `expected`.
    pub(crate) async fn checked(
        ws: &Workspace,
        req: &mut Request,
        expected: &str,
    ) -> Result<Self, Response> {
        let form = Self::read(req).await?;
        check_form(ws, req, &form, expected)?;
        Ok(form)
    }

    /// Every value of `name` (checkboxes), in the order sent.
    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .get(name)
            .map(|values| values.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// Every field and value.
    pub(crate) fn pairs(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .flat_map(|(k, values)| values.iter().map(move |v| (k.clone(), v.clone())))
            .collect()
    }

    /// Adds a value of `name`.
    pub(crate) fn push(&mut self, name: &str, value: &str) {
        self.0
            .entry(name.to_owned())
            .or_default()
            .push(value.to_owned());
    }

    /// The first value of `name`, or "" when absent.
    pub(crate) fn get(&self, name: &str) -> &str {
        self.0
            .get(name)
            .and_then(|values| values.first())
            .map_or("", String::as_str)
    }
}

/// A form's one-time id (its hidden `form_id`), as the idempotency key of
/// its write: a second click, a refresh or the back button records nothing
/// twice, and the same id sent with other content is refused.
pub(crate) struct FormKey {
    scope: String,
    id: String,
    request_hash: String,
}

impl FormKey {
    /// The key of `form`, sent to `path` by the person of `session`.
    pub(crate) fn of(session: &Session, path: &str, form: &Form) -> Self {
        Self {
            scope: format!("person:{}", session.person.id),
            id: form.get("form_id").to_owned(),
            request_hash: request_hash(path, form),
        }
    }

    /// The write's context, as `principal`, keyed by the form's id when it
    /// has one.
    pub(crate) fn ctx<'a, T>(&self, principal: &'a Principal) -> Ctx<'a, T> {
        Ctx {
            principal,
            idempotency: (!self.id.is_empty() && self.id.len() <= 255).then(|| Idempotency {
                scope: self.scope.clone(),
                key: self.id.clone(),
                request_hash: self.request_hash.clone(),
                render: &keep_nothing::<T>,
            }),
        }
    }
}

/// What a repeated form is answered with is a page of its own, so nothing
/// of the first answer needs keeping.
fn keep_nothing<T>(_: &T) -> Result<String, String> {
    Ok(String::new())
}

/// SHA-256 of the path and the form's fields (but its token and id): the
/// same form sent twice is one request; the same id with other content is
/// another.
fn request_hash(path: &str, form: &Form) -> String {
    let mut fields = form.pairs();
    fields.retain(|(k, _)| k != "csrf_token" && k != "form_id");
    fields.sort();
    let mut hasher = Sha256::new();
    hasher.update(path.as_bytes());
    for (key, value) in fields {
        hasher.update(b"\n");
        hasher.update(key.as_bytes());
        hasher.update(b"=");
        hasher.update(value.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// A new one-time form id.
pub(crate) fn new_form_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// What a write that was not recorded shows: field errors (422) and
/// conflicts (409) go back to the form, with what was typed; a refusal is a
/// 403 page naming `refused`; anything else is a failure on our side.
/// `fields` maps core's field names to the form's ids and labels; a
/// conflict is shown on `conflict_field`.
pub(crate) fn not_recorded(
    error: Error,
    fields: &[(&str, &str, &str)],
    conflict_field: &str,
    refused: &str,
) -> Result<(Errors, StatusCode), Response> {
    match error {
        Error::Domain(rectrack_core::Error::Validation(errors)) => Ok((
            Errors::from_validation(&errors, fields),
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        Error::Conflict(reason) => Ok((
            Errors::one(conflict_field, capitalised(&reason)),
            StatusCode::CONFLICT,
        )),
        Error::IdempotencyMismatch => Ok((
            Errors::one(
                "",
                "This form was sent before with other content. Nothing more was recorded: check the page, then fill the form in again.",
            ),
            StatusCode::CONFLICT,
        )),
        Error::Domain(rectrack_core::Error::Refused(refusal)) => {
            tracing::info!(%refusal, "a workspace form was refused");
            Err(message_page(
                StatusCode::FORBIDDEN,
                "You cannot do this",
                &format!("Nothing was changed. {refused}"),
            ))
        }
        error => {
            tracing::error!(%error, "a workspace form could not be recorded");
            Err(failed())
        }
    }
}

/// Every item of a list the store pages through (organisations, people,
/// tokens, a report's recommendations), read a page at a time.
pub(crate) async fn every<T, F, Fut>(mut read: F) -> Result<Vec<T>, Error>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>, Error>>,
{
    let mut items = Vec::new();
    let mut request = PageRequest::first(MAX_LIMIT);
    loop {
        let page = read(request.clone()).await?;
        items.extend(page.items);
        match page.next {
            Some(after) => request.after = Some(after),
            None => return Ok(items),
        }
    }
}

/// The name of the organisation `code` as `names` has it; its code if
/// none.
pub(crate) fn name_of(
    names: &HashMap<String, String>,
    code: &rectrack_core::organisation::OrgCode,
) -> String {
    names
        .get(code.as_str())
        .cloned()
        .unwrap_or_else(|| code.to_string())
}

/// `text` with its first letter in capitals.
pub(crate) fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The value of `name` in the request's query string, if given.
pub(crate) fn query_value(req: &Request, name: &str) -> Option<String> {
    url::form_urlencoded::parse(req.uri().query().unwrap_or_default().as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The value of the cookie `name`, if the request carries it.
pub(crate) fn cookie<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Sets the cookie `name` (for the browser's session when `max_age` is
/// none; removed when it is zero).
pub(crate) fn set_cookie(response: &mut Response, name: &str, value: &str, max_age: Option<i64>) {
    let mut cookie = format!("{name}={value}; Path=/; Secure; HttpOnly; SameSite=Lax");
    if let Some(seconds) = max_age {
        cookie.push_str(&format!("; Max-Age={seconds}"));
    }
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// A fresh random value for the pre-sign-in form cookie.
pub(crate) fn new_form_token() -> String {
    let mut bytes = [0u8; 32];
    // Without randomness the form token would be guessable: an empty one
    // matches nothing, so every form is refused until it is back.
    if getrandom::fill(&mut bytes).is_err() {
        tracing::error!("no randomness available for a form token");
        return String::new();
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The scheme, host and port of `url`, as an `Origin` header names them.
fn origin_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    Some(parsed.origin().ascii_serialization())
}

/// Whether a `POST` comes from this site: its `Origin` is the public URL's
/// or this host's; without `Origin`, `Sec-Fetch-Site` (if sent) says
/// same-origin. A client that sends neither (not a browser) still needs the
/// form's token.
pub(crate) fn same_origin(req: &Request, public_url: &str) -> bool {
    let headers = req.headers();
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        if origin_of(public_url).as_deref() == Some(origin) {
            return true;
        }
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        return !host.is_empty()
            && (origin == format!("http://{host}") || origin == format!("https://{host}"));
    }
    match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some(site) => site == "same-origin" || site == "none",
        None => true,
    }
}

/// Refuses a `POST` from another site, or whose form token is not
/// `expected` (403, nothing read further, nothing changed).
pub(crate) fn check_form(
    ws: &Workspace,
    req: &Request,
    form: &Form,
    expected: &str,
) -> Result<(), Response> {
    check_origin(ws, req)?;
    let sent = form.get("csrf_token");
    if expected.is_empty() || !bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) {
        tracing::warn!("a workspace form's token did not match");
        return Err(message_page(
            StatusCode::FORBIDDEN,
            "This form has expired",
            "Nothing was changed. The form was older than your sign-in, or did not come from this site. Go back, reload the page and try again.",
        ));
    }
    Ok(())
}

/// Refuses a `POST` from another site (403, nothing read, nothing changed).
pub(crate) fn check_origin(ws: &Workspace, req: &Request) -> Result<(), Response> {
    if same_origin(req, &ws.state.public_url) {
        return Ok(());
    }
    tracing::warn!("a workspace form was posted from another site");
    Err(message_page(
        StatusCode::FORBIDDEN,
        "This form came from another site",
        "Nothing was changed. If you meant to do this, go to the workspace and try again there.",
    ))
}

/// The client's address, for throttling sign-in: the peer's, or, when the
/// peer is a trusted proxy, the one its `X-Forwarded-For` names.
pub(crate) fn address(ws: &Workspace, req: &Request) -> String {
    let Some(peer) = req.remote_addr().as_socket_addr().map(|a| a.ip()) else {
        return "unknown".to_owned();
    };
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok());
    client_address(peer, forwarded, &ws.state.trusted_proxies).to_string()
}

/// The client behind `peer`: `peer` itself unless it is a trusted proxy;
/// then, reading `X-Forwarded-For` from its right (the hop nearest us),
/// the first address that is not a trusted proxy. A hop that is not an
/// address ends the walk at the last one believed, so a client cannot
/// pass itself off as another by writing the header first.
fn client_address<'h>(
    peer: IpAddr,
    forwarded: impl Iterator<Item = &'h str>,
    trusted: &[IpAddr],
) -> IpAddr {
    let hops: Vec<&str> = forwarded.flat_map(|value| value.split(',')).collect();
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        if !trusted.contains(&client) {
            break;
        }
        match hop.trim().parse::<IpAddr>() {
            Ok(address) => client = address,
            Err(_) => break,
        }
    }
    client
}

/// The live session of the request's cookie, with the cookie's secret.
pub(crate) async fn visitor(
    ws: &Workspace,
    req: &Request,
) -> Result<Option<(String, Session)>, Response> {
    let Some(secret) = cookie(req, SESSION_COOKIE) else {
        return Ok(None);
    };
    match ws.state.store.session(secret).await {
        Ok(found) => Ok(found.map(|session| (secret.to_owned(), session))),
        Err(error) => {
            tracing::error!(%error, "a session could not be read");
            Err(failed())
        }
    }
}

/// The session of a person whose sign-in is complete; otherwise a redirect
/// to where sign-in goes on (the sign-in page, the code, setting up a
/// second factor).
pub(crate) async fn signed_in(ws: &Workspace, req: &Request) -> Result<Session, Response> {
    match visitor(ws, req).await? {
        Some((_, session)) => match session.stage {
            Stage::Complete => Ok(session),
            Stage::SecondFactor => Err(see_other("/workspace/sign-in/code")),
            Stage::Enrol => Err(see_other("/workspace/account/two-factor")),
        },
        None => {
            let here = req.uri().path();
            Err(see_other(&format!(
                "/workspace/sign-in?next={}",
                url::form_urlencoded::byte_serialize(here.as_bytes()).collect::<String>()
            )))
        }
    }
}

/// A `303 See Other` to `location` (a path on this site).
pub(crate) fn see_other(location: &str) -> Response {
    let mut response = Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, location)
        .finish();
    private(&mut response);
    response
}

/// A rendered workspace page with `status`.
pub(crate) fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => {
            let mut response = Response::builder()
                .status(status)
                .content_type(HTML)
                .body(body);
            private(&mut response);
            response
        }
        Err(error) => {
            tracing::error!(%error, "a workspace page could not be rendered");
            failed()
        }
    }
}

/// Headers of every workspace answer: never kept by any cache, and the
/// site's security headers.
fn private(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    secure(response);
}

#[derive(Template)]
#[template(path = "workspace/message.html")]
struct MessagePage {
    layout: Layout,
    heading: String,
    message: String,
}

/// A page that only says something (an error, a refusal), with `status`.
pub(crate) fn message_page(status: StatusCode, heading: &str, message: &str) -> Response {
    render(
        status,
        &MessagePage {
            layout: Layout::anonymous(heading),
            heading: heading.to_owned(),
            message: message.to_owned(),
        },
    )
}

/// The page for a failure on our side (logged where it happened).
pub(crate) fn failed() -> Response {
    let mut response = Response::builder()
        .status(StatusCode::INTERNAL_SERVER_ERROR)
        .content_type(HTML)
        .body(
            "<!DOCTYPE html><html lang=\"en\"><title>Sorry, there is a problem with the service</title><h1>Sorry, there is a problem with the service</h1><p>Nothing was changed. Try again later.</p></html>",
        );
    private(&mut response);
    response
}

/// Where to go after sign-in: `next` if it is a workspace path, else the
/// dashboard (never another site).
pub(crate) fn next_or_dashboard(next: &str) -> &str {
    if next.starts_with("/workspace") && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/workspace"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(raw: &str) -> IpAddr {
        raw.parse().unwrap()
    }

    #[test]
    fn a_forwarded_address_is_believed_only_from_a_trusted_proxy() {
        let proxy = ip("10.0.0.1");
        let trusted = [proxy];
        let header = ["203.0.113.7"];
        assert_eq!(
            client_address(proxy, header.into_iter(), &trusted),
            ip("203.0.113.7")
        );
        assert_eq!(
            client_address(ip("198.51.100.2"), header.into_iter(), &trusted),
            ip("198.51.100.2"),
            "a client's own header is ignored"
        );
        assert_eq!(client_address(proxy, [].into_iter(), &trusted), proxy);
    }

    #[test]
    fn the_nearest_untrusted_hop_is_the_client_whatever_was_written_before_it() {
        let trusted = [ip("10.0.0.1"), ip("10.0.0.2")];
        // The client wrote 1.2.3.4 itself; the proxies appended the rest.
        let header = ["1.2.3.4, 203.0.113.7", "10.0.0.2"];
        assert_eq!(
            client_address(ip("10.0.0.1"), header.into_iter(), &trusted),
            ip("203.0.113.7")
        );
        let garbled = ["1.2.3.4, not-an-address"];
        assert_eq!(
            client_address(ip("10.0.0.1"), garbled.into_iter(), &trusted),
            ip("10.0.0.1"),
            "an unreadable hop ends the walk"
        );
    }
}
