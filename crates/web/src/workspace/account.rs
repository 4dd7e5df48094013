//! Signing in and out, accepting an invitation, the second factor, and
//! changing a password. The rules (what a good password is, when sign-in is
//! throttled, who must have a second factor) are core's; the secrets are
//! the store's; these handlers only carry forms to it and answers back.

use std::sync::Arc;

use askama::Template;
use poem::http::{HeaderValue, StatusCode, header};
use poem::{Request, Response};
use rectrack_core::person::Person;
use rectrack_store::Error;
use rectrack_store::people::{Session, SignedIn, Stage, TwoFactorSetup};

use super::{
    Errors, FORM_COOKIE, Form, Layout, SESSION_COOKIE, Workspace, address, check_form, cookie,
    failed, message_page, new_form_token, next_or_dashboard, render, see_other, set_cookie,
    signed_in, visitor,
};

#[derive(Template)]
#[template(path = "workspace/sign_in.html")]
struct SignInPage {
    layout: Layout,
    csrf_token: String,
    email: String,
    next: String,
    notice: Option<&'static str>,
    errors: Errors,
}

/// `GET /workspace/sign-in`.
pub async fn sign_in_form(ws: Arc<Workspace>, req: Request) -> Response {
    match visitor(&ws, &req).await {
        Ok(Some((_, session))) if session.stage == Stage::Complete => {
            return see_other("/workspace");
        }
        Ok(_) => {}
        Err(response) => return response,
    }
    let query = query(&req);
    let notice = match query.get("signed_out").map(String::as_str) {
        Some("1") => Some("You have signed out."),
        _ => None,
    };
    let next = query.get("next").cloned().unwrap_or_default();
    sign_in_page(
        &req,
        String::new(),
        next,
        notice,
        Errors::default(),
        StatusCode::OK,
    )
}

fn sign_in_page(
    req: &Request,
    email: String,
    next: String,
    notice: Option<&'static str>,
    errors: Errors,
    status: StatusCode,
) -> Response {
    let mut layout = Layout::anonymous("Sign in");
    layout.title = layout.title(&errors);
    pre_sign_in(req, status, |csrf_token| SignInPage {
        layout,
        csrf_token,
        email,
        next,
        notice,
        errors,
    })
}

/// A page whose form comes before sign-in: its token is the form cookie's
/// value, and the cookie is set if the browser had none.
fn pre_sign_in<P: Template>(
    req: &Request,
    status: StatusCode,
    page: impl FnOnce(String) -> P,
) -> Response {
    let (token, fresh) = form_token(req);
    let mut response = render(status, &page(token.clone()));
    if fresh {
        set_cookie(&mut response, FORM_COOKIE, &token, None);
    }
    response
}

/// `POST /workspace/sign-in`.
pub async fn sign_in(ws: Arc<Workspace>, mut req: Request) -> Response {
    let form = match Form::read(&mut req).await {
        Ok(form) => form,
        Err(response) => return response,
    };
    if let Err(response) = check_pre_sign_in(&ws, &req, &form) {
        return response;
    }
    let email = form.get("email").trim().to_owned();
    let password = form.get("password");
    let next = form.get("next").to_owned();
    let mut errors = Errors::default();
    if email.is_empty() {
        errors.add("email", "Enter your email address");
    }
    if password.is_empty() {
        errors.add("password", "Enter your password");
    }
    if !errors.is_empty() {
        return sign_in_page(
            &req,
            email,
            next,
            None,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    match ws
        .state
        .store
        .sign_in(&email, password, &address(&ws, &req))
        .await
    {
        Ok(signed) => begin(&signed, next_or_dashboard(&next)),
        Err(Error::SignInRefused) => sign_in_page(
            &req,
            email,
            next,
            None,
            Errors::one("email", "The email address or password is not right"),
            StatusCode::UNAUTHORIZED,
        ),
        Err(Error::Throttled { retry_after_secs }) => {
            let mut response = sign_in_page(
                &req,
                email,
                next,
                None,
                Errors::one("email", throttled_words(retry_after_secs)),
                StatusCode::TOO_MANY_REQUESTS,
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            response
        }
        Err(error) => {
            tracing::error!(%error, "sign-in failed");
            failed()
        }
    }
}

/// A session just begun: its cookie, and on to where sign-in goes next.
fn begin(signed: &SignedIn, then: &str) -> Response {
    let location = match signed.session.stage {
        Stage::Complete => then,
        Stage::SecondFactor => "/workspace/sign-in/code",
        Stage::Enrol => "/workspace/account/two-factor",
    };
    let mut response = see_other(location);
    set_cookie(&mut response, SESSION_COOKIE, &signed.secret, None);
    response
}

fn throttled_words(seconds: i64) -> String {
    let minutes = (seconds + 59) / 60;
    format!(
        "There have been too many failed attempts to sign in. Wait {minutes} minute{} and try again",
        if minutes == 1 { "" } else { "s" }
    )
}

/// Before sign-in, a form's token is the form cookie's value.
fn check_pre_sign_in(ws: &Workspace, req: &Request, form: &Form) -> Result<(), Response> {
    let Some(token) = cookie(req, FORM_COOKIE) else {
        return Err(message_page(
            StatusCode::BAD_REQUEST,
            "Your browser did not keep this site's cookie",
            "Signing in needs cookies. Allow cookies for this site and try again. The workspace also needs a secure (https) address, unless it runs on this computer.",
        ));
    };
    check_form(ws, req, form, token)
}

/// The form cookie's value, or a fresh one (`true`) to set.
fn form_token(req: &Request) -> (String, bool) {
    match cookie(req, FORM_COOKIE).filter(|t| !t.is_empty()) {
        Some(token) => (token.to_owned(), false),
        None => (new_form_token(), true),
    }
}

fn query(req: &Request) -> std::collections::HashMap<String, String> {
    url::form_urlencoded::parse(req.uri().query().unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[derive(Template)]
#[template(path = "workspace/code.html")]
struct CodePage {
    layout: Layout,
    csrf_token: String,
    errors: Errors,
}

/// `GET /workspace/sign-in/code`: the second factor's code.
pub async fn code_form(ws: Arc<Workspace>, req: Request) -> Response {
    match owing_code(&ws, &req).await {
        Ok((_, session)) => code_page(&session, Errors::default(), StatusCode::OK),
        Err(response) => response,
    }
}

fn code_page(session: &Session, errors: Errors, status: StatusCode) -> Response {
    let mut page = CodePage {
        layout: Layout::of("Enter the code from your app", "", session),
        csrf_token: session.csrf_token.clone(),
        errors,
    };
    page.layout.title = page.layout.title(&page.errors);
    render(status, &page)
}

/// The session that still owes a code; else where to go instead.
async fn owing_code(ws: &Workspace, req: &Request) -> Result<(String, Session), Response> {
    match visitor(ws, req).await? {
        Some((secret, session)) if session.stage == Stage::SecondFactor => Ok((secret, session)),
        Some(_) => Err(see_other("/workspace")),
        None => Err(see_other("/workspace/sign-in")),
    }
}

/// `POST /workspace/sign-in/code`.
pub async fn code(ws: Arc<Workspace>, mut req: Request) -> Response {
    let (secret, session) = match owing_code(&ws, &req).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let form = match Form::checked(&ws, &mut req, &session.csrf_token).await {
        Ok(form) => form,
        Err(response) => return response,
    };
    let code = form.get("code").trim();
    if code.is_empty() {
        return code_page(
            &session,
            Errors::one(
                "code",
                "Enter the 6-digit code from your app, or a recovery code",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    match ws
        .state
        .store
        .second_factor(&secret, code, &address(&ws, &req))
        .await
    {
        Ok(_) => see_other("/workspace"),
        Err(Error::SignInRefused) => code_page(
            &session,
            Errors::one(
                "code",
                "The code is not right. Enter the code your app shows now (each code works once), or a recovery code",
            ),
            StatusCode::UNAUTHORIZED,
        ),
        Err(Error::Throttled { retry_after_secs }) => code_page(
            &session,
            Errors::one("code", throttled_words(retry_after_secs)),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(error) => {
            tracing::error!(%error, "the second factor could not be checked");
            failed()
        }
    }
}

/// `POST /workspace/sign-out`: ends the session, whatever its stage.
pub async fn sign_out(ws: Arc<Workspace>, mut req: Request) -> Response {
    let found = match visitor(&ws, &req).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Some((secret, session)) = found else {
        return see_other("/workspace/sign-in");
    };
    if let Err(response) = Form::checked(&ws, &mut req, &session.csrf_token).await {
        return response;
    }
    if let Err(error) = ws.state.store.sign_out(&secret).await {
        tracing::error!(%error, "sign-out failed");
        return failed();
    }
    let mut response = see_other("/workspace/sign-in?signed_out=1");
    set_cookie(&mut response, SESSION_COOKIE, "", Some(0));
    response
}

#[derive(Template)]
#[template(path = "workspace/invitation.html")]
struct InvitationPage {
    layout: Layout,
    csrf_token: String,
    person: Person,
    organisation: String,
    role: &'static str,
    errors: Errors,
}

/// `GET /workspace/invitations/{secret}`: the invited person sets a password.
pub async fn invitation_form(ws: Arc<Workspace>, req: Request) -> Response {
    let secret = req.raw_path_param("secret").unwrap_or_default().to_owned();
    match invited(&ws, &secret).await {
        Ok(person) => invitation_page(&ws, &req, person, Errors::default(), StatusCode::OK).await,
        Err(response) => response,
    }
}

async fn invited(ws: &Workspace, secret: &str) -> Result<Person, Response> {
    match ws.state.store.invitation(secret).await {
        Ok(Some(person)) => Ok(person),
        Ok(None) => Err(no_invitation()),
        Err(error) => {
            tracing::error!(%error, "an invitation could not be read");
            Err(failed())
        }
    }
}

fn no_invitation() -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        "This invitation link has expired or has been used",
        "An invitation link works once, for seven days. Ask the person who invited you to send it again.",
    )
}

async fn invitation_page(
    ws: &Workspace,
    req: &Request,
    person: Person,
    errors: Errors,
    status: StatusCode,
) -> Response {
    let organisation = match ws
        .state
        .store
        .organisation(person.organisation.as_str())
        .await
    {
        Ok(organisation) => organisation.name.to_string(),
        Err(error) => {
            tracing::error!(%error, "an invited person's organisation could not be read");
            return failed();
        }
    };
    let mut layout = Layout::anonymous("Set your password");
    layout.title = layout.title(&errors);
    pre_sign_in(req, status, |csrf_token| InvitationPage {
        layout,
        csrf_token,
        role: crate::words::role(person.role),
        person,
        organisation,
        errors,
    })
}

/// `POST /workspace/invitations/{secret}`.
pub async fn accept(ws: Arc<Workspace>, mut req: Request) -> Response {
    let secret = req.raw_path_param("secret").unwrap_or_default().to_owned();
    let form = match Form::read(&mut req).await {
        Ok(form) => form,
        Err(response) => return response,
    };
    if let Err(response) = check_pre_sign_in(&ws, &req, &form) {
        return response;
    }
    let person = match invited(&ws, &secret).await {
        Ok(person) => person,
        Err(response) => return response,
    };
    let password = form.get("password");
    if let Some(errors) = confirm(password, form.get("confirm_password")) {
        return invitation_page(&ws, &req, person, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    match ws.state.store.accept_invitation(&secret, password).await {
        Ok(signed) => begin(&signed, "/workspace"),
        Err(Error::Domain(rectrack_core::Error::Validation(errors))) => {
            let errors =
                Errors::from_validation(&errors, &[("password", "password", "Your password")]);
            invitation_page(&ws, &req, person, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(Error::NotFound { .. }) => no_invitation(),
        Err(error) => {
            tracing::error!(%error, "an invitation could not be accepted");
            failed()
        }
    }
}

/// The errors of a new password and its confirmation, if any.
fn confirm(password: &str, confirmation: &str) -> Option<Errors> {
    if password.is_empty() {
        return Some(Errors::one("password", "Enter a password"));
    }
    if password != confirmation {
        return Some(Errors::one(
            "confirm_password",
            "The passwords do not match: type the same password twice",
        ));
    }
    None
}

#[derive(Template)]
#[template(path = "workspace/account.html")]
struct AccountPage {
    layout: Layout,
    person: Person,
    role: &'static str,
    needs_two_factor: bool,
    notice: Option<&'static str>,
}

/// `GET /workspace/account`.
pub async fn page(ws: Arc<Workspace>, req: Request) -> Response {
    let session = match signed_in(&ws, &req).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let notice = match query(&req).get("changed").map(String::as_str) {
        Some("password") => {
            Some("Your password has been changed. You have been signed out everywhere else.")
        }
        Some("two-factor") => Some("Your second factor is set up."),
        Some("two-factor-removed") => {
            Some("Your second factor is removed: signing in asks only for your password.")
        }
        _ => None,
    };
    render(
        StatusCode::OK,
        &AccountPage {
            layout: Layout::of("Your account", "account", &session),
            role: crate::words::role(session.person.role),
            needs_two_factor: session.person.needs_two_factor(),
            person: session.person,
            notice,
        },
    )
}

#[derive(Template)]
#[template(path = "workspace/password.html")]
struct PasswordPage {
    layout: Layout,
    csrf_token: String,
    email: String,
    errors: Errors,
}

/// `GET /workspace/account/password`.
pub async fn password_form(ws: Arc<Workspace>, req: Request) -> Response {
    match signed_in(&ws, &req).await {
        Ok(session) => password_page(&session, Errors::default(), StatusCode::OK),
        Err(response) => response,
    }
}

fn password_page(session: &Session, errors: Errors, status: StatusCode) -> Response {
    let mut page = PasswordPage {
        layout: Layout::of("Change your password", "account", session),
        csrf_token: session.csrf_token.clone(),
        email: session.person.email.to_string(),
        errors,
    };
    page.layout.title = page.layout.title(&page.errors);
    render(status, &page)
}

/// `POST /workspace/account/password`.
pub async fn password(ws: Arc<Workspace>, mut req: Request) -> Response {
    let session = match signed_in(&ws, &req).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let form = match Form::checked(&ws, &mut req, &session.csrf_token).await {
        Ok(form) => form,
        Err(response) => return response,
    };
    let current = form.get("current_password");
    let new = form.get("new_password");
    let mut errors = Errors::default();
    if current.is_empty() {
        errors.add("current_password", "Enter your current password");
    }
    if let Some(problem) = confirm(new, form.get("confirm_password")) {
        for (field, message) in problem.all() {
            let field = if field == "password" {
                "new_password"
            } else {
                field
            };
            errors.add(
                field,
                message.replace("Enter a password", "Enter a new password"),
            );
        }
    }
    if !errors.is_empty() {
        return password_page(&session, errors, StatusCode::UNPROCESSABLE_ENTITY);
    }
    match ws.state.store.change_password(&session, current, new).await {
        Ok(signed) => {
            let mut response = see_other("/workspace/account?changed=password");
            set_cookie(&mut response, SESSION_COOKIE, &signed.secret, None);
            response
        }
        Err(Error::Domain(rectrack_core::Error::Validation(errors))) => {
            let errors = Errors::from_validation(
                &errors,
                &[
                    (
                        "current_password",
                        "current_password",
                        "Your current password",
                    ),
                    ("new_password", "new_password", "Your new password"),
                ],
            );
            password_page(&session, errors, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(Error::Conflict(message)) => message_page(
            StatusCode::CONFLICT,
            "Your password was not changed",
            &message,
        ),
        Err(error) => {
            tracing::error!(%error, "a password could not be changed");
            failed()
        }
    }
}

#[derive(Template)]
#[template(path = "workspace/two_factor.html")]
struct TwoFactorPage {
    layout: Layout,
    csrf_token: String,
    enrolling: bool,
    /// Whether one is set up already, which this would replace.
    replacing: bool,
    /// Whether the person may go without one (core's rule).
    may_remove: bool,
    setup: TwoFactorSetup,
    secret_groups: String,
    qr_svg: String,
    errors: Errors,
}

#[derive(Template)]
#[template(path = "workspace/recovery_codes.html")]
struct RecoveryCodesPage {
    layout: Layout,
    codes: Vec<String>,
}

#[derive(Template)]
#[template(path = "workspace/message.html")]
struct DonePage {
    layout: Layout,
    heading: String,
    message: String,
}

/// The session that may set up a second factor: signed in, or signed in
/// but for the second factor its role requires.
async fn may_enrol(ws: &Workspace, req: &Request) -> Result<Session, Response> {
    match visitor(ws, req).await? {
        Some((_, session)) if session.stage != Stage::SecondFactor => Ok(session),
        Some(_) => Err(see_other("/workspace/sign-in/code")),
        None => Err(see_other("/workspace/sign-in")),
    }
}

/// `GET /workspace/account/two-factor`.
pub async fn two_factor_form(ws: Arc<Workspace>, req: Request) -> Response {
    let session = match may_enrol(&ws, &req).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    two_factor_page(&ws, &session, None, Errors::default(), StatusCode::OK)
}

fn two_factor_page(
    ws: &Workspace,
    session: &Session,
    shown: Option<&str>,
    errors: Errors,
    status: StatusCode,
) -> Response {
    let setup = match ws.state.store.begin_two_factor(&session.person, shown) {
        Ok(setup) => setup,
        Err(error) => {
            tracing::error!(%error, "a second factor could not be begun");
            return failed();
        }
    };
    let qr_svg = match qr_svg(&setup.uri) {
        Some(svg) => svg,
        None => return failed(),
    };
    let secret_groups = setup
        .secret
        .as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let replacing = session.person.two_factor;
    let mut page = TwoFactorPage {
        layout: Layout::of(
            if replacing {
                "Your second factor"
            } else {
                "Set up a second factor"
            },
            "account",
            session,
        ),
        csrf_token: session.csrf_token.clone(),
        enrolling: session.stage == Stage::Enrol,
        replacing,
        may_remove: !session.person.needs_two_factor(),
        setup,
        secret_groups,
        qr_svg,
        errors,
    };
    page.layout.title = page.layout.title(&page.errors);
    render(status, &page)
}

/// The `otpauth://` URI as an inline SVG QR code, labelled for screen readers.
fn qr_svg(uri: &str) -> Option<String> {
    let code = match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => code,
        Err(error) => {
            tracing::error!(%error, "a QR code could not be made");
            return None;
        }
    };
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    let start = svg.find("<svg")?;
    Some(svg[start..].replacen(
        "<svg ",
        "<svg role=\"img\" aria-label=\"QR code holding the secret below\" focusable=\"false\" ",
        1,
    ))
}

/// `POST /workspace/account/two-factor`.
pub async fn two_factor(ws: Arc<Workspace>, mut req: Request) -> Response {
    let session = match may_enrol(&ws, &req).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let form = match Form::checked(&ws, &mut req, &session.csrf_token).await {
        Ok(form) => form,
        Err(response) => return response,
    };
    let shown = form.get("secret");
    let code = form.get("code").trim();
    if code.is_empty() {
        return two_factor_page(
            &ws,
            &session,
            Some(shown),
            Errors::one("code", "Enter the 6-digit code your app shows"),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    match ws
        .state
        .store
        .enable_two_factor(&session, shown, code)
        .await
    {
        Ok((session, codes)) => render(
            StatusCode::OK,
            &RecoveryCodesPage {
                layout: Layout::of("Your recovery codes", "account", &session),
                codes,
            },
        ),
        Err(Error::Domain(rectrack_core::Error::Validation(errors))) => {
            let errors = Errors::from_validation(
                &errors,
                &[
                    ("code", "code", "The code"),
                    ("secret", "code", "The secret"),
                ],
            );
            two_factor_page(
                &ws,
                &session,
                Some(shown),
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(Error::Conflict(message)) => message_page(
            StatusCode::CONFLICT,
            "Your second factor was not changed",
            &message,
        ),
        Err(error) => {
            tracing::error!(%error, "a second factor could not be set up");
            failed()
        }
    }
}

/// `POST /workspace/account/two-factor/remove`: signing in asks only for
/// the password again, for those whose role allows it (the store refuses
/// the others).
pub async fn remove_two_factor(ws: Arc<Workspace>, mut req: Request) -> Response {
    let session = match signed_in(&ws, &req).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    if let Err(response) = Form::checked(&ws, &mut req, &session.csrf_token).await {
        return response;
    }
    match ws.state.store.disable_two_factor(&session).await {
        Ok(_) => see_other("/workspace/account?changed=two-factor-removed"),
        Err(Error::Conflict(message)) => message_page(
            StatusCode::CONFLICT,
            "Your second factor was not changed",
            &super::capitalised(&message),
        ),
        Err(Error::Domain(rectrack_core::Error::Refused(refusal))) => message_page(
            StatusCode::CONFLICT,
            "Your second factor was not changed",
            &super::capitalised(&refusal.to_string()),
        ),
        Err(error) => {
            tracing::error!(%error, "a second factor could not be removed");
            failed()
        }
    }
}
