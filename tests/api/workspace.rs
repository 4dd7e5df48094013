//! The workspace's security, over real HTTP with cookies handled as a
//! browser would (tests/browser/workspace.test.mjs clicks the same through
//! in Chromium): invitations and passwords, session cookies and their
//! flags, forms refused without their token or from another site, sessions
//! ended by sign-out, a password change or disabling, throttling, and the
//! overseer's required second factor. Each refusal is checked to change
//! nothing.

use std::collections::HashMap;

use reqwest::header::{HeaderMap, LOCATION, ORIGIN, SET_COOKIE};
use reqwest::redirect::Policy;
use serde_json::{Value, json};

use crate::helpers::TestApp;

const SESSION: &str = "__Host-rectrack-session";
pub(crate) const GOOD: &str = "kettle orbit lantern";
const BETTER: &str = "saffron glacier tandem";

/// A browser's share of the conversation: the cookies it keeps, no
/// redirects followed, and the `Origin` it sends with forms.
pub(crate) struct Browser<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    cookies: HashMap<String, String>,
    origin: String,
}

/// What came back: status, `Location`, `Set-Cookie` lines and the body.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) location: String,
    set_cookies: Vec<String>,
    pub(crate) body: String,
}

impl<'a> Browser<'a> {
    pub(crate) fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            client: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
            origin: format!("http://{}", app.addr),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn answer(&mut self, response: reqwest::Response) -> Answer {
        let status = response.status().as_u16();
        let headers: HeaderMap = response.headers().clone();
        let set_cookies: Vec<String> = headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        for line in &set_cookies {
            let pair = line.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if line.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        Answer {
            status,
            location: headers
                .get(LOCATION)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default(),
            set_cookies,
            body: response.text().await.unwrap(),
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Answer {
        let response = self
            .client
            .get(self.app.url(path))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.answer(response).await
    }

    /// A `POST` to `path` as from this browser's page: its cookies, its
    /// `Origin`.
    fn posting(&self, path: &str) -> reqwest::RequestBuilder {
        self.client
            .post(self.app.url(path))
            .header("cookie", self.cookie_header())
            .header(ORIGIN, self.origin.clone())
    }

    pub(crate) async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let response = self.posting(path).form(fields).send().await.unwrap();
        self.answer(response).await
    }

    /// Posts `fields` and a file named `file_name` (field `file`) as
    /// `multipart/form-data`, as a browser sends a file.
    pub(crate) async fn post_file(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file_name: &str,
        bytes: &[u8],
    ) -> Answer {
        let mut form = reqwest::multipart::Form::new();
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(file_name.to_owned()),
        );
        let response = self.posting(path).multipart(form).send().await.unwrap();
        self.answer(response).await
    }

    /// Gets the form at `path` and posts `fields` with its token.
    pub(crate) async fn submit(
        &mut self,
        path: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> Answer {
        let page = self.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        let token = csrf(&page.body);
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    fn session(&self) -> Option<String> {
        self.cookies.get(SESSION).cloned()
    }
}

/// The `csrf_token` a page's first form carries.
pub(crate) fn csrf(body: &str) -> String {
    let at = body
        .find("name=\"csrf_token\" value=\"")
        .expect("the page has a form with a token");
    let rest = &body[at + "name=\"csrf_token\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// Invites a person over the API; returns the invitation's path and the
/// person's id.
pub(crate) async fn invite(
    app: &TestApp,
    organisation: &str,
    role: &str,
    email: &str,
) -> (String, String) {
    let response = app
        .post(
            "/v1/people",
            Some(&app.overseer),
            &json!({"organisation": organisation, "role": role, "email": email, "name": "Priya Sharma"}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let url = created["invitation_url"].as_str().unwrap();
    let path = url[url.find("/workspace/").unwrap()..].to_owned();
    (path, created["person"]["id"].as_str().unwrap().to_owned())
}

/// A person of `organisation` with `role`, invited over the API, who has
/// accepted and is signed in.
pub(crate) async fn person<'a>(
    app: &'a TestApp,
    organisation: &str,
    role: &str,
    email: &str,
) -> Browser<'a> {
    let (invitation, _) = invite(app, organisation, role, email).await;
    let mut browser = Browser::new(app);
    let accepted = browser
        .submit(
            &invitation,
            &invitation,
            &[("password", GOOD), ("confirm_password", GOOD)],
        )
        .await;
    assert_eq!(accepted.location, "/workspace");
    browser
}

/// An MPS caseworker who has accepted an invitation and is signed in.
async fn caseworker(app: &TestApp) -> (Browser<'_>, String) {
    app.add_mps().await;
    let (invitation, id) = invite(app, "mps", "recipient", "priya@met.example").await;
    let mut browser = Browser::new(app);
    let accepted = browser
        .submit(
            &invitation,
            &invitation,
            &[("password", GOOD), ("confirm_password", GOOD)],
        )
        .await;
    assert_eq!(
        (accepted.status, accepted.location.as_str()),
        (303, "/workspace")
    );
    (browser, id)
}

async fn sign_in(browser: &mut Browser<'_>, email: &str, password: &str) -> Answer {
    browser
        .submit(
            "/workspace/sign-in",
            "/workspace/sign-in",
            &[("email", email), ("password", password)],
        )
        .await
}

#[tokio::test]
async fn an_invited_person_sets_a_password_and_the_session_cookie_is_locked_down() {
    let app = TestApp::spawn().await;
    app.add_mps().await;
    let (invitation, _) = invite(&app, "mps", "recipient", "priya@met.example").await;
    let mut browser = Browser::new(&app);
    let page = browser.get(&invitation).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Metropolitan Police Service"),
        "{}",
        page.body
    );
    let form_cookie = page
        .set_cookies
        .iter()
        .find(|c| c.starts_with("__Host-rectrack-form="))
        .expect("the form cookie is set");
    for flag in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(form_cookie.contains(flag), "{form_cookie} lacks {flag}");
    }

    let length = app.chain_length().await;
    let token = csrf(&page.body);
    let weak = browser
        .post(
            &invitation,
            &[
                ("csrf_token", &token),
                ("password", "password1"),
                ("confirm_password", "password1"),
            ],
        )
        .await;
    assert_eq!(weak.status, 422);
    assert!(weak.body.contains("too easy to guess"), "{}", weak.body);
    assert!(weak.body.contains("<title>Error: Set your password"));
    let mismatch = browser
        .post(
            &invitation,
            &[
                ("csrf_token", &token),
                ("password", GOOD),
                ("confirm_password", BETTER),
            ],
        )
        .await;
    assert_eq!(mismatch.status, 422);
    assert!(mismatch.body.contains("href=\"#confirm_password\""));
    assert_eq!(app.chain_length().await, length, "refusals record nothing");

    let accepted = browser
        .post(
            &invitation,
            &[
                ("csrf_token", &token),
                ("password", GOOD),
                ("confirm_password", GOOD),
            ],
        )
        .await;
    assert_eq!(
        (accepted.status, accepted.location.as_str()),
        (303, "/workspace")
    );
    let cookie = accepted
        .set_cookies
        .iter()
        .find(|c| c.starts_with(&format!("{SESSION}=")))
        .expect("a session cookie");
    for flag in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(flag), "{cookie} lacks {flag}");
    }
    assert!(
        !cookie.contains("Domain"),
        "a __Host- cookie names no domain"
    );
    let dashboard = browser.get("/workspace").await;
    assert_eq!(dashboard.status, 200);
    assert!(
        dashboard
            .body
            .contains("Signed in as <strong>Priya Sharma</strong>")
    );

    // The link works once.
    let mut other = Browser::new(&app);
    assert_eq!(other.get(&invitation).await.status, 404);
    app.stop().await;
}

#[tokio::test]
async fn after_sign_out_the_old_session_cookie_is_refused() {
    let app = TestApp::spawn().await;
    let (mut browser, _) = caseworker(&app).await;
    let old = browser.session().unwrap();
    let out = browser
        .submit("/workspace", "/workspace/sign-out", &[])
        .await;
    assert_eq!(out.status, 303);
    assert!(browser.session().is_none(), "the cookie is removed");
    browser.cookies.insert(SESSION.to_owned(), old);
    let again = browser.get("/workspace").await;
    assert_eq!(again.status, 303);
    assert!(
        again.location.starts_with("/workspace/sign-in"),
        "{}",
        again.location
    );

    // Who acted is the person, in the chain.
    let events: Value = app
        .get("/v1/audit/events?limit=500", Some(&app.overseer))
        .await
        .json()
        .await
        .unwrap();
    let signed_out = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "person.signed_out")
        .unwrap();
    assert!(signed_out["actor"]["person_id"].is_string(), "{signed_out}");
    assert_eq!(signed_out["actor"]["token_id"], Value::Null);
    assert_eq!(signed_out["actor"]["organisation"], "mps");
    let by_token = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "person.invited")
        .unwrap();
    assert!(
        by_token["actor"].get("person_id").is_none(),
        "a token's event has no person key: {by_token}"
    );
    app.stop().await;
}

#[tokio::test]
async fn forms_without_their_token_or_from_another_site_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (mut browser, _) = caseworker(&app).await;
    let length = app.chain_length().await;
    let page = browser.get("/workspace/account/password").await;
    let token = csrf(&page.body);
    let change = [
        ("current_password", GOOD),
        ("new_password", BETTER),
        ("confirm_password", BETTER),
    ];

    let mut without: Vec<(&str, &str)> = change.to_vec();
    let refused = browser.post("/workspace/account/password", &without).await;
    assert_eq!(refused.status, 403, "no token");
    without.push(("csrf_token", "not-the-token"));
    let refused = browser.post("/workspace/account/password", &without).await;
    assert_eq!(refused.status, 403, "a wrong token");
    assert!(refused.body.contains("Nothing was changed"));

    let mut with: Vec<(&str, &str)> = change.to_vec();
    with.push(("csrf_token", &token));
    browser.origin = "http://attacker.example".to_owned();
    let refused = browser.post("/workspace/account/password", &with).await;
    assert_eq!(refused.status, 403, "another site's form");
    let refused = browser
        .post("/workspace/sign-out", &[("csrf_token", &token)])
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(app.chain_length().await, length, "nothing was recorded");
    assert_eq!(
        browser.get("/workspace").await.status,
        200,
        "still signed in"
    );

    // Sign-in itself: a form from another site, or without the form cookie.
    let mut stranger = Browser::new(&app);
    stranger.origin = "http://attacker.example".to_owned();
    let refused = sign_in(&mut stranger, "priya@met.example", GOOD).await;
    assert_eq!(refused.status, 403);
    let mut cookieless = Browser::new(&app);
    let page = cookieless.get("/workspace/sign-in").await;
    cookieless.cookies.clear();
    let refused = cookieless
        .post(
            "/workspace/sign-in",
            &[
                ("csrf_token", &csrf(&page.body)),
                ("email", "priya@met.example"),
                ("password", GOOD),
            ],
        )
        .await;
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("cookie"), "{}", refused.body);
    assert_eq!(app.chain_length().await, length, "nothing was recorded");

    // The password is as it was: the old one signs in.
    let mut fresh = Browser::new(&app);
    assert_eq!(
        sign_in(&mut fresh, "priya@met.example", GOOD).await.status,
        303
    );
    app.stop().await;
}

#[tokio::test]
async fn a_password_change_ends_every_other_session() {
    let app = TestApp::spawn().await;
    let (mut first, _) = caseworker(&app).await;
    let mut second = Browser::new(&app);
    assert_eq!(
        sign_in(&mut second, "priya@met.example", GOOD).await.status,
        303
    );
    let before = first.session().unwrap();
    let changed = first
        .submit(
            "/workspace/account/password",
            "/workspace/account/password",
            &[
                ("current_password", GOOD),
                ("new_password", BETTER),
                ("confirm_password", BETTER),
            ],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    assert_ne!(
        first.session().unwrap(),
        before,
        "a new session for the changer"
    );
    assert_eq!(first.get("/workspace").await.status, 200);
    assert_eq!(
        second.get("/workspace").await.status,
        303,
        "the other session ended"
    );
    first.cookies.insert(SESSION.to_owned(), before);
    assert_eq!(
        first.get("/workspace").await.status,
        303,
        "the old cookie is refused"
    );
    let mut again = Browser::new(&app);
    assert_eq!(
        sign_in(&mut again, "priya@met.example", GOOD).await.status,
        401
    );
    assert_eq!(
        sign_in(&mut again, "priya@met.example", BETTER)
            .await
            .status,
        303
    );
    app.stop().await;
}

#[tokio::test]
async fn a_disabled_accounts_open_sessions_stop_at_once() {
    let app = TestApp::spawn().await;
    let (mut browser, id) = caseworker(&app).await;
    assert_eq!(browser.get("/workspace").await.status, 200);
    let disabled = app
        .post(
            &format!("/v1/people/{id}/disable"),
            Some(&app.overseer),
            &json!({}),
        )
        .await;
    assert_eq!(disabled.status(), 200);
    let after = browser.get("/workspace").await;
    assert_eq!(after.status, 303);
    let mut again = Browser::new(&app);
    assert_eq!(
        sign_in(&mut again, "priya@met.example", GOOD).await.status,
        401
    );
    app.stop().await;
}

#[tokio::test]
async fn repeated_failed_passwords_are_throttled() {
    let app = TestApp::spawn().await;
    let (_, _) = caseworker(&app).await;
    let mut guesser = Browser::new(&app);
    for _ in 0..5 {
        let wrong = sign_in(&mut guesser, "priya@met.example", "wrong horse").await;
        assert_eq!(wrong.status, 401);
        assert!(
            wrong
                .body
                .contains("The email address or password is not right")
        );
    }
    let page = guesser.get("/workspace/sign-in").await;
    let response = guesser
        .client
        .post(app.url("/workspace/sign-in"))
        .header("cookie", guesser.cookie_header())
        .form(&[
            ("csrf_token", csrf(&page.body).as_str()),
            ("email", "priya@met.example"),
            ("password", GOOD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429, "even the right password waits");
    assert!(response.headers().contains_key("retry-after"));
    let body = response.text().await.unwrap();
    assert!(body.contains("too many failed attempts"), "{body}");
    app.stop().await;
}

/// The code an authenticator app given `secret` shows now.
fn totp(secret: &str) -> String {
    let bytes = totp_rs::Secret::try_from_base32(secret).unwrap();
    let totp = totp_rs::Builder::new()
        .with_secret(bytes.as_ref().to_vec())
        .with_account_name("test")
        .build()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    totp.generate(now).to_string()
}

#[tokio::test]
async fn an_overseer_sets_up_a_second_factor_before_anything_else() {
    let app = TestApp::spawn().await;
    let (invitation, _) = invite(&app, "iopc", "overseer", "sam@iopc.example").await;
    let mut browser = Browser::new(&app);
    let accepted = browser
        .submit(
            &invitation,
            &invitation,
            &[("password", GOOD), ("confirm_password", GOOD)],
        )
        .await;
    assert_eq!(accepted.location, "/workspace/account/two-factor");
    let elsewhere = browser.get("/workspace").await;
    assert_eq!(
        elsewhere.location, "/workspace/account/two-factor",
        "nothing else first"
    );

    let setup = browser.get("/workspace/account/two-factor").await;
    assert!(setup.body.contains("<svg"), "a QR code");
    let at = setup.body.find("name=\"secret\" value=\"").unwrap() + 21;
    let secret = setup.body[at..at + 32].to_owned();
    let token = csrf(&setup.body);
    let wrong = browser
        .post(
            "/workspace/account/two-factor",
            &[
                ("csrf_token", &token),
                ("secret", &secret),
                ("code", "000000"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(
        wrong.body.contains(&secret),
        "the same secret is shown again"
    );
    let done = browser
        .post(
            "/workspace/account/two-factor",
            &[
                ("csrf_token", &token),
                ("secret", &secret),
                ("code", &totp(&secret)),
            ],
        )
        .await;
    assert_eq!(done.status, 200);
    let codes: Vec<String> = done
        .body
        .split("<li>")
        .skip(1)
        .filter_map(|s| s.split("</li>").next())
        .filter(|s| s.len() == 11 && s.as_bytes()[5] == b'-')
        .map(str::to_owned)
        .collect();
    assert_eq!(codes.len(), 10, "{}", done.body);
    assert_eq!(browser.get("/workspace").await.status, 200);

    // Signing in again asks for the code; a recovery code does once.
    browser
        .submit("/workspace", "/workspace/sign-out", &[])
        .await;
    let signed = sign_in(&mut browser, "sam@iopc.example", GOOD).await;
    assert_eq!(signed.location, "/workspace/sign-in/code");
    assert_eq!(
        browser.get("/workspace").await.location,
        "/workspace/sign-in/code"
    );
    let bad = browser
        .submit(
            "/workspace/sign-in/code",
            "/workspace/sign-in/code",
            &[("code", "123456")],
        )
        .await;
    assert_eq!(bad.status, 401);
    let good = browser
        .submit(
            "/workspace/sign-in/code",
            "/workspace/sign-in/code",
            &[("code", &codes[0])],
        )
        .await;
    assert_eq!((good.status, good.location.as_str()), (303, "/workspace"));
    assert_eq!(browser.get("/workspace").await.status, 200);
    app.stop().await;
}

/// The hidden fields of the form whose action ends with `action`: its
/// token, version and one-time id.
pub(crate) fn form_fields(body: &str, action: &str) -> (String, String, String) {
    let at = body
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("no form posting to …{action}"));
    let form = &body[at..];
    let value = |name: &str| {
        let key = format!("name=\"{name}\" value=\"");
        let start = form.find(&key).unwrap() + key.len();
        form[start..start + form[start..].find('"').unwrap()].to_owned()
    };
    (value("csrf_token"), value("version"), value("form_id"))
}

/// An MPS caseworker signed in, and the open assignment's page path.
async fn at_the_assignment(app: &TestApp) -> (Browser<'_>, String) {
    let fixture = app.open_assignment().await;
    (
        person(app, "mps", "recipient", "priya@met.example").await,
        format!("/workspace/assignments/{}", fixture.assignment),
    )
}

#[tokio::test]
async fn a_response_sent_twice_is_recorded_once_and_a_stale_one_not_at_all() {
    let app = TestApp::spawn().await;
    let (mut priya, page) = at_the_assignment(&app).await;
    let (invitation, _) = invite(&app, "mps", "recipient", "sam@met.example").await;
    let mut sam = Browser::new(&app);
    sam.submit(
        &invitation,
        &invitation,
        &[("password", BETTER), ("confirm_password", BETTER)],
    )
    .await;

    // Both open the page at version 1.
    let priyas = priya.get(&page).await;
    let sams = sam.get(&page).await;
    let action = format!("{page}/response");
    let (token, version, form_id) = form_fields(&priyas.body, &action);
    assert_eq!(version, "1");
    let accept = [
        ("csrf_token", token.as_str()),
        ("version", version.as_str()),
        ("form_id", form_id.as_str()),
        ("decision", "accepted"),
        ("rationale", "We accept the recommendation."),
        ("planned_completion_on", "2099-06-30"),
    ];
    let first = priya.post(&action, &accept).await;
    assert_eq!(first.location, format!("{page}?done=response"));
    let length = app.chain_length().await;
    // A double click, or a refresh that sends the form again.
    let again = priya.post(&action, &accept).await;
    assert_eq!(again.location, format!("{page}?done=again"));
    assert_eq!(app.chain_length().await, length, "recorded once");

    // Sam's page was rendered at version 1: his change is refused, the
    // page says so, keeps his words, and Priya's response stands.
    let (token, version, form_id) = form_fields(&sams.body, &action);
    let stale = sam
        .post(
            &action,
            &[
                ("csrf_token", token.as_str()),
                ("version", version.as_str()),
                ("form_id", form_id.as_str()),
                ("decision", "not_accepted"),
                ("rationale", "Sam sees it differently."),
            ],
        )
        .await;
    assert_eq!(stale.status, 409);
    assert!(stale.body.contains("Someone else changed this assignment"));
    assert!(
        stale.body.contains("Sam sees it differently."),
        "what Sam typed is kept"
    );
    assert!(
        stale.body.contains("We accept the recommendation."),
        "the current state is shown"
    );
    assert_eq!(app.chain_length().await, length, "nothing was overwritten");

    // A form with errors keeps what was typed and names the field.
    let current = priya.get(&page).await;
    let (token, version, form_id) = form_fields(&current.body, &format!("{page}/milestones"));
    let bad = priya
        .post(
            &format!("{page}/milestones"),
            &[
                ("csrf_token", token.as_str()),
                ("version", version.as_str()),
                ("form_id", form_id.as_str()),
                ("title", ""),
                ("due_on", "2099-01-31"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("href=\"#milestone-title\""),
        "{}",
        bad.body
    );
    assert!(
        bad.body.contains("value=\"2099-01-31\""),
        "the date typed is kept"
    );
    assert_eq!(app.chain_length().await, length);

    // The history names the person who acted.
    let events: Value = app
        .get("/v1/audit/events?limit=500", Some(&app.overseer))
        .await
        .json()
        .await
        .unwrap();
    let response = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "response.submitted")
        .unwrap();
    assert!(response["actor"]["person_id"].is_string(), "{response}");
    let history = priya.get(&page).await;
    assert!(
        history
            .body
            .contains("Response submitted</strong> by Priya Sharma (mps)")
    );
    app.stop().await;
}

#[tokio::test]
async fn another_forces_assignment_and_its_forms_answer_404() {
    let app = TestApp::spawn().await;
    let fixture = app.open_assignment().await;
    crate::helpers::organisation(
        &app.store,
        "wmp",
        "West Midlands Police",
        rectrack_core::organisation::OrganisationKind::PoliceForce,
    )
    .await;
    let mut kim = person(&app, "wmp", "recipient", "kim@wmp.example").await;
    let page = format!("/workspace/assignments/{}", fixture.assignment);
    assert_eq!(kim.get(&page).await.status, 404);
    let dashboard = kim.get("/workspace").await;
    let token = csrf(&dashboard.body);
    let length = app.chain_length().await;
    for (action, fields) in [
        (
            "response",
            vec![
                ("decision", "accepted"),
                ("rationale", "Ours now."),
                ("planned_completion_on", "2099-06-30"),
            ],
        ),
        (
            "milestones",
            vec![("title", "Take over"), ("due_on", "2099-06-30")],
        ),
        ("updates", vec![("narrative", "Meddling.")]),
    ] {
        let mut all = vec![
            ("csrf_token", token.as_str()),
            ("version", "1"),
            ("form_id", ""),
        ];
        all.extend(fields);
        let refused = kim.post(&format!("{page}/{action}"), &all).await;
        assert_eq!(refused.status, 404, "{action}: {}", refused.body);
    }
    assert_eq!(app.chain_length().await, length, "nothing was recorded");
    app.stop().await;
}

/// No rule about who may do what lives in the web crate: it names roles and
/// statuses in words (`words.rs`), and asks core (`lifecycle::decide`) which
/// forms to show. This fails if a role or status test creeps into a page.
#[test]
fn the_web_crate_holds_no_lifecycle_rule() {
    fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/web/src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    assert!(files.len() > 5, "the web crate's sources are found");
    let forbidden = [
        "Role::Overseer",
        "Role::Recipient",
        "Role::Observer",
        ".role ==",
        ".role !=",
        "TRANSITIONS",
        "allowed_from",
        "party_of",
    ];
    for file in &files {
        if file.ends_with("words.rs") {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        for pattern in forbidden {
            assert!(
                !text.contains(pattern),
                "{} decides something itself ({pattern}): ask core instead",
                file.display()
            );
        }
    }
    let page = std::fs::read_to_string(root.join("workspace/assignment.rs")).unwrap();
    assert!(
        page.contains("lifecycle::{Command, decide}"),
        "forms are shown as core decides"
    );
}

#[tokio::test]
async fn a_document_uploads_with_its_token_and_is_refused_without_it() {
    let app = TestApp::spawn().await;
    let fixture = app.accepted_assignment().await;
    let mut priya = person(&app, "mps", "recipient", "priya@met.example").await;
    let page = format!("/workspace/assignments/{}", fixture.assignment);
    let action = format!("{page}/documents");
    let body = priya.get(&page).await.body;
    let (token, version, form_id) = form_fields(&body, &action);
    let send = |token: String| {
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", token)
            .text("version", version.clone())
            .text("form_id", form_id.clone())
            .text("title", "The action plan")
            .part(
                "file",
                reqwest::multipart::Part::bytes(b"%PDF-1.4 plan".to_vec())
                    .file_name("plan.pdf")
                    .mime_str("application/pdf")
                    .unwrap(),
            );
        priya
            .client
            .post(app.url(&action))
            .header("cookie", priya.cookie_header())
            .header(ORIGIN, priya.origin.clone())
            .multipart(form)
            .send()
    };
    let length = app.chain_length().await;
    let refused = send("not-the-token".to_owned()).await.unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(app.chain_length().await, length, "nothing was recorded");
    let added = send(token.clone()).await.unwrap();
    assert_eq!(added.status(), 303);
    assert_eq!(
        added.headers()[LOCATION].to_str().unwrap(),
        format!("{page}?done=document")
    );
    assert_eq!(app.chain_length().await, length + 1);
    let again = send(token).await.unwrap();
    assert_eq!(
        again.headers()[LOCATION].to_str().unwrap(),
        format!("{page}?done=again"),
        "the same form sent twice is recorded once"
    );
    assert_eq!(app.chain_length().await, length + 1);
    let shown = priya.get(&page).await.body;
    let start = shown.find("/workspace/evidence/").unwrap();
    let href = &shown[start..start + shown[start..].find('"').unwrap()];
    let download = priya.get(href).await;
    assert_eq!(download.status, 200);
    assert_eq!(download.body, "%PDF-1.4 plan");
    app.stop().await;
}

/// An IOPC caseworker (overseer) signed in, their second factor set up.
pub(crate) async fn overseer_person(app: &TestApp) -> Browser<'_> {
    let (invitation, _) = invite(app, "iopc", "overseer", "sam@iopc.example").await;
    let mut browser = Browser::new(app);
    browser
        .submit(
            &invitation,
            &invitation,
            &[("password", GOOD), ("confirm_password", GOOD)],
        )
        .await;
    let setup = browser.get("/workspace/account/two-factor").await;
    let at = setup.body.find("name=\"secret\" value=\"").unwrap() + 21;
    let secret = setup.body[at..at + 32].to_owned();
    let done = browser
        .post(
            "/workspace/account/two-factor",
            &[
                ("csrf_token", &csrf(&setup.body)),
                ("secret", &secret),
                ("code", &totp(&secret)),
            ],
        )
        .await;
    assert_eq!(done.status, 200);
    browser
}

#[tokio::test]
async fn overseers_invite_and_disable_people_from_the_workspace_and_no_one_else_can() {
    let app = TestApp::spawn().await;
    let (mut priya, _) = caseworker(&app).await;
    assert_eq!(priya.get("/workspace/people").await.status, 403);
    let dashboard = priya.get("/workspace").await;
    assert!(
        !dashboard.body.contains("href=\"/workspace/people\""),
        "no People link for a recipient"
    );
    let length = app.chain_length().await;
    let refused = priya
        .post(
            "/workspace/people",
            &[
                ("csrf_token", &csrf(&dashboard.body)),
                ("name", "Someone"),
                ("email", "someone@met.example"),
                ("organisation", "mps"),
                ("role", "recipient"),
            ],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        app.chain_length().await,
        length,
        "a recipient invites no one"
    );

    let mut sam = overseer_person(&app).await;
    let people = sam.get("/workspace/people").await;
    assert_eq!(people.status, 200);
    assert!(people.body.contains("Priya Sharma"));
    let bad = sam
        .post(
            "/workspace/people",
            &[
                ("csrf_token", &csrf(&people.body)),
                ("name", "Kim Lee"),
                ("email", "not an address"),
                ("organisation", "mps"),
                ("role", "recipient"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("href=\"#invite-email\""), "{}", bad.body);
    assert!(
        bad.body.contains("value=\"Kim Lee\""),
        "what was typed is kept"
    );
    let made = sam
        .post(
            "/workspace/people",
            &[
                ("csrf_token", &csrf(&people.body)),
                ("name", "Kim Lee"),
                ("email", "kim.lee@met.example"),
                ("organisation", "mps"),
                ("role", "recipient"),
            ],
        )
        .await;
    assert_eq!(made.status, 200);
    let at = made.body.find("/workspace/invitations/inv_").unwrap();
    let link = made.body[at..at + "/workspace/invitations/".len() + 47].to_owned();
    let mut kim = Browser::new(&app);
    let accepted = kim
        .submit(
            &link,
            &link,
            &[("password", BETTER), ("confirm_password", BETTER)],
        )
        .await;
    assert_eq!(accepted.location, "/workspace");

    // Priya's account is disabled from the page; her session stops.
    let people = sam.get("/workspace/people").await;
    let row = people.body.find("Priya Sharma").unwrap();
    let action_at = people.body[row..].find("/disable\"").unwrap() + row;
    let start = people.body[..action_at].rfind("action=\"").unwrap() + 8;
    let action = people.body[start..action_at + "/disable".len()].to_owned();
    let disabled = sam
        .post(&action, &[("csrf_token", &csrf(&people.body))])
        .await;
    assert_eq!(disabled.location, "/workspace/people?done=disabled");
    assert_eq!(
        priya.get("/workspace").await.status,
        303,
        "her session has ended"
    );
    assert_eq!(kim.get("/workspace").await.status, 200, "Kim's has not");
    app.stop().await;
}

#[tokio::test]
async fn a_force_asks_for_more_time_moves_a_milestone_and_the_overseer_decides() {
    let app = TestApp::spawn().await;
    let (mut priya, page) = at_the_assignment(&app).await;
    let body = priya.get(&page).await.body;
    let action = format!("{page}/extension-requests");
    let (token, version, form_id) = form_fields(&body, &action);
    let asked = priya
        .post(
            &action,
            &[
                ("csrf_token", token.as_str()),
                ("version", version.as_str()),
                ("form_id", form_id.as_str()),
                ("requested_due_on", "2100-06-30"),
                ("reason", "The board meets in June."),
            ],
        )
        .await;
    assert_eq!(
        asked.location,
        format!("{page}?done=extension"),
        "{}",
        asked.body
    );

    let mut sam = overseer_person(&app).await;
    let shown = sam.get(&page).await.body;
    let start = shown.find("/extension-requests/").unwrap();
    let decision = format!(
        "{page}{}",
        &shown[start..start + shown[start..].find('"').unwrap()]
    );
    let (token, version, form_id) = form_fields(&shown, &decision);
    let refused = sam
        .post(
            &decision,
            &[
                ("csrf_token", token.as_str()),
                ("version", version.as_str()),
                ("form_id", form_id.as_str()),
                ("granted", "no"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "a refusal needs a comment");
    let granted = sam
        .post(
            &decision,
            &[
                ("csrf_token", token.as_str()),
                ("version", version.as_str()),
                ("form_id", form_id.as_str()),
                ("granted", "yes"),
            ],
        )
        .await;
    assert_eq!(granted.location, format!("{page}?done=extension-decision"));
    let assignment: Value = app
        .get(
            &format!("/v1/assignments/{}", page.rsplit('/').next().unwrap()),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(assignment["response_due_on"], "2100-06-30");
    app.stop().await;
}

/// The `value` of the hidden field `name` in the form posting to `action`.
fn hidden(body: &str, action: &str, name: &str) -> String {
    let at = body
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("no form posting to {action}"));
    let form = &body[at..];
    let key = format!("name=\"{name}\" value=\"");
    let start = form.find(&key).unwrap() + key.len();
    form[start..start + form[start..].find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn overseers_add_organisations_reports_and_recommendations_once_each_and_see_errors_by_field()
{
    let app = TestApp::spawn().await;
    app.add_mps().await;
    let mut sam = overseer_person(&app).await;
    let page = sam.get("/workspace/organisations").await;
    let form_id = hidden(&page.body, "/workspace/organisations", "form_id");
    let bad = sam
        .post(
            "/workspace/organisations",
            &[
                ("csrf_token", &csrf(&page.body)),
                ("form_id", &form_id),
                ("code", "West Midlands!"),
                ("name", "West Midlands Police"),
                ("kind", "police_force"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("href=\"#organisation-code\""),
        "{}",
        bad.body
    );
    assert!(
        bad.body.contains("value=\"West Midlands Police\""),
        "typed kept"
    );
    let length = app.chain_length().await;
    let fields = [
        ("csrf_token", csrf(&page.body)),
        ("form_id", form_id.clone()),
        ("code", "wmp".to_owned()),
        ("name", "West Midlands Police".to_owned()),
        ("kind", "police_force".to_owned()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let added = sam.post("/workspace/organisations", &fields).await;
    assert_eq!(added.location, "/workspace/organisations?done=organisation");
    let twice = sam.post("/workspace/organisations", &fields).await;
    assert_eq!(twice.status, 303, "a second click is answered as the first");
    assert_eq!(app.chain_length().await, length + 1, "and recorded once");

    let page = sam.get("/workspace/reports").await;
    let made = sam
        .post(
            "/workspace/reports",
            &[
                ("csrf_token", &csrf(&page.body)),
                (
                    "form_id",
                    &hidden(&page.body, "/workspace/reports", "form_id"),
                ),
                ("slug", "op-web"),
                ("title", "A report added on the web"),
                ("issued_by", "iopc"),
                ("published_on", "2022-02-01"),
                ("url", ""),
                ("summary", ""),
            ],
        )
        .await;
    assert_eq!(made.location, "/workspace/reports/op-web?done=report");
    let report = sam.get("/workspace/reports/op-web").await;
    assert!(report.body.contains("A report added on the web"));
    let action = "/workspace/reports/op-web/recommendations";
    let missing = sam
        .post(
            action,
            &[
                ("csrf_token", &csrf(&report.body)),
                ("form_id", &hidden(&report.body, action, "form_id")),
                ("number", "1"),
                ("title", "Vet again"),
                ("body", "Vet every officer again."),
                ("issued_on", "2022-02-01"),
                ("legal_basis", "para_28a"),
            ],
        )
        .await;
    assert_eq!(missing.status, 422, "no recipient chosen");
    assert!(
        missing.body.contains("href=\"#recommendation-recipients\""),
        "{}",
        missing.body
    );
    assert!(
        missing.body.contains("Vet every officer again."),
        "typed kept"
    );
    let added = sam
        .post(
            action,
            &[
                ("csrf_token", &csrf(&report.body)),
                ("form_id", &hidden(&report.body, action, "form_id")),
                ("number", "1"),
                ("title", "Vet again"),
                ("body", "Vet every officer again."),
                ("recipients", "mps"),
                ("recipients", "wmp"),
                ("themes", "vetting, culture"),
                ("issued_on", "2022-02-01"),
                ("legal_basis", "para_28a"),
            ],
        )
        .await;
    assert_eq!(
        added.location,
        "/workspace/reports/op-web?done=recommendation"
    );
    let recommendations: Value = app
        .get("/v1/recommendations?report=op-web", None)
        .await
        .json()
        .await
        .unwrap();
    let created = &recommendations["items"][0];
    assert_eq!(created["assignments"].as_array().unwrap().len(), 2);
    assert_eq!(created["themes"], json!(["vetting", "culture"]));
    assert_eq!(
        created["response_due_on"], "2022-03-29",
        "56 days by default"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_review_queue_lists_claims_and_requests_for_more_time_with_what_to_open() {
    let app = TestApp::spawn().await;
    let fixture = app.accepted_assignment().await;
    let a = &fixture.assignment;
    let evidence: Value = app
        .post(
            &format!("/v1/assignments/{a}/evidence"),
            Some(&fixture.mps),
            &json!({"kind": "link", "title": "Training records", "url": "https://example.org/training"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let claim = json!({"summary": "Everyone has been trained.", "evidence_ids": [evidence["id"]]});
    assert_eq!(
        app.post_current(a, "claim", &fixture.mps, &claim).await,
        200
    );
    let b = &app.add_recommendation(2, "Vet again", "2099-12-31").await;
    let asked = app
        .post(
            &format!("/v1/assignments/{b}/extension-requests"),
            Some(&fixture.mps),
            &json!({"requested_due_on": "2100-06-30", "reason": "The board meets in June."}),
        )
        .await;
    assert_eq!(asked.status(), 201);
    let mut sam = overseer_person(&app).await;
    let queue = sam.get("/workspace/reviews").await;
    assert_eq!(queue.status, 200);
    assert!(
        queue
            .body
            .contains("One request for more time awaits a decision."),
        "{}",
        queue.body
    );
    assert!(queue.body.contains("The board meets in June."));
    assert!(
        queue
            .body
            .contains(&format!("href=\"/workspace/assignments/{b}#extensions\""))
    );
    assert!(
        queue
            .body
            .contains("One claim of implementation awaits review."),
        "{}",
        queue.body
    );
    assert!(queue.body.contains("Everyone has been trained."));
    assert!(
        queue
            .body
            .contains("href=\"https://example.org/training\">Training records</a>")
    );
    assert!(
        queue
            .body
            .contains(&format!("href=\"/workspace/assignments/{a}#review\""))
    );
    app.stop().await;
}

#[tokio::test]
async fn a_token_made_on_the_web_is_shown_once_works_and_stops_when_revoked() {
    let app = TestApp::spawn().await;
    app.add_mps().await;
    let mut sam = overseer_person(&app).await;
    let page = sam.get("/workspace/tokens").await;
    let made = sam
        .post(
            "/workspace/tokens",
            &[
                ("csrf_token", &csrf(&page.body)),
                (
                    "form_id",
                    &hidden(&page.body, "/workspace/tokens", "form_id"),
                ),
                ("organisation", "mps"),
                ("role", "recipient"),
                ("label", "Case system"),
            ],
        )
        .await;
    assert_eq!(made.status, 201);
    let at = made.body.find("<code>").unwrap() + 6;
    let secret = made.body[at..at + made.body[at..].find('<').unwrap()].to_owned();
    assert_eq!(
        app.get("/v1/assignments", Some(&secret)).await.status(),
        200
    );
    let again = sam.get("/workspace/tokens").await;
    assert!(!again.body.contains(&secret), "the secret is shown once");
    let row = again.body.find("Case system").unwrap();
    let start = again.body[row..]
        .find("action=\"/workspace/tokens/")
        .unwrap()
        + row
        + 8;
    let action = again.body[start..start + again.body[start..].find('"').unwrap()].to_owned();
    let revoked = sam
        .post(
            &action,
            &[
                ("csrf_token", &csrf(&again.body)),
                ("form_id", &hidden(&again.body, &action, "form_id")),
            ],
        )
        .await;
    assert_eq!(revoked.location, "/workspace/tokens?done=revoked");
    assert_eq!(
        app.get("/v1/assignments", Some(&secret)).await.status(),
        401
    );
    app.stop().await;
}

#[tokio::test]
async fn an_import_is_previewed_as_a_table_then_written_once() {
    let app = TestApp::spawn().await;
    app.add_mps().await;
    let mut sam = overseer_person(&app).await;
    let page = sam.get("/workspace/import").await;
    let token = csrf(&page.body);
    let bad = b"report,number,recipient,title,body,issued_on\nop-imp,1,nobody,Vet,Vet again.,2022-02-01\n";
    let refused = sam
        .post_file(
            "/workspace/import",
            &[("csrf_token", &token)],
            "record.csv",
            bad,
        )
        .await;
    assert_eq!(refused.status, 200, "a dry run shows its rows' errors");
    assert!(
        refused.body.contains("Nothing can be imported"),
        "{}",
        refused.body
    );
    assert!(
        !refused
            .body
            .contains("action=\"/workspace/import/confirm\"")
    );
    let unreadable = sam
        .post_file(
            "/workspace/import",
            &[("csrf_token", &token)],
            "record.csv",
            b"\xff\xfe",
        )
        .await;
    assert_eq!(unreadable.status, 422, "{}", unreadable.body);
    assert!(unreadable.body.contains("not in the import format"));
    assert!(
        unreadable.body.contains("<td>1</td>"),
        "its error is listed by row"
    );
    let length = app.chain_length().await;
    let good = b"report,number,recipient,report_title,report_issued_by,report_published_on,title,body,issued_on\nop-imp,1,mps,Imported report,iopc,2022-02-01,Vet,Vet again.,2022-02-01\n";
    let preview = sam
        .post_file(
            "/workspace/import",
            &[("csrf_token", &token)],
            "record.csv",
            good,
        )
        .await;
    assert_eq!(preview.status, 200);
    assert!(preview.body.contains("Row by row"), "{}", preview.body);
    assert_eq!(app.chain_length().await, length, "a preview writes nothing");
    let action = "/workspace/import/confirm";
    let fields: Vec<(&str, String)> = ["csrf_token", "form_id", "sha256", "kind", "file_name"]
        .into_iter()
        .map(|name| (name, hidden(&preview.body, action, name)))
        .collect();
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let done = sam.post(action, &fields).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("The file is imported"));
    // The report, the recommendation, and the import's own event.
    let after = app.chain_length().await;
    assert_eq!(after, length + 3);
    let again = sam.post(action, &fields).await;
    assert_eq!(again.status, 200);
    assert_eq!(app.chain_length().await, after, "sent twice, written once");
    let recommendations: Value = app
        .get("/v1/recommendations?report=op-imp", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(recommendations["items"].as_array().unwrap().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_second_factor_is_replaced_with_new_codes_and_removed_only_where_the_role_allows() {
    let app = TestApp::spawn().await;
    let (mut priya, _) = caseworker(&app).await;
    let setup = priya.get("/workspace/account/two-factor").await;
    let secret = hidden(&setup.body, "/workspace/account/two-factor", "secret");
    let done = priya
        .post(
            "/workspace/account/two-factor",
            &[
                ("csrf_token", &csrf(&setup.body)),
                ("secret", &secret),
                ("code", &totp(&secret)),
            ],
        )
        .await;
    assert_eq!(done.status, 200);
    let manage = priya.get("/workspace/account/two-factor").await;
    assert!(
        manage
            .body
            .contains("Move to a new app, or get new recovery codes")
    );
    let removed = priya
        .post(
            "/workspace/account/two-factor/remove",
            &[("csrf_token", &csrf(&manage.body))],
        )
        .await;
    assert_eq!(
        removed.location,
        "/workspace/account?changed=two-factor-removed"
    );
    let person: Value = app
        .get("/v1/people", Some(&app.overseer))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(person["items"][0]["two_factor"], false);

    let mut sam = overseer_person(&app).await;
    let manage = sam.get("/workspace/account/two-factor").await;
    assert!(
        manage
            .body
            .contains("Your role needs a second factor, so it cannot be removed")
    );
    let kept = sam
        .post(
            "/workspace/account/two-factor/remove",
            &[("csrf_token", &csrf(&manage.body))],
        )
        .await;
    assert_eq!(kept.status, 409, "an overseer keeps a second factor");
    let secret = hidden(&manage.body, "/workspace/account/two-factor", "secret");
    let replaced = sam
        .post(
            "/workspace/account/two-factor",
            &[
                ("csrf_token", &csrf(&manage.body)),
                ("secret", &secret),
                ("code", &totp(&secret)),
            ],
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    assert!(replaced.body.contains("recovery codes"));
    app.stop().await;
}

/// The dashboard's list `id`: from its heading to the next.
fn section<'b>(body: &'b str, id: &str) -> &'b str {
    let start = body
        .find(&format!("<h2 class=\"heading-l\" id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no list {id}"));
    let rest = &body[start + 1..];
    &rest[..rest.find("<h2").unwrap_or(rest.len())]
}

#[tokio::test]
async fn the_dashboard_shows_responses_due_soon_and_claims_returned_for_more_work() {
    let app = TestApp::spawn().await;
    let fixture = app.accepted_assignment().await;
    let a = &fixture.assignment;
    let soon = (chrono::Utc::now().date_naive() + chrono::Duration::days(10)).to_string();
    app.add_recommendation(2, "Answer soon", &soon).await;
    let evidence: Value = app
        .post(
            &format!("/v1/assignments/{a}/evidence"),
            Some(&fixture.mps),
            &json!({"kind": "link", "title": "Plan", "url": "https://example.org/plan"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let claim = json!({"summary": "Done.", "evidence_ids": [evidence["id"]]});
    assert_eq!(
        app.post_current(a, "claim", &fixture.mps, &claim).await,
        200
    );
    let returned = json!({"outcome": "returned", "comment": "Show the training."});
    assert_eq!(
        app.post_current(a, "reviews", &app.overseer, &returned)
            .await,
        200
    );
    let mut priya = person(&app, "mps", "recipient", "priya@met.example").await;
    let dashboard = priya.get("/workspace").await;
    assert_eq!(dashboard.status, 200);
    assert!(
        section(&dashboard.body, "due-soon").contains("2. Answer soon"),
        "{}",
        dashboard.body
    );
    assert!(section(&dashboard.body, "due-soon").contains("(in 10 days)"));
    assert!(section(&dashboard.body, "returned").contains("1. Publish a plan"));
    assert!(!section(&dashboard.body, "in-progress").contains("1. Publish a plan"));
    app.stop().await;
}
