//! Who may call what: every endpoint × {no token, overseer, recipient of the
//! addressed organisation, recipient of another organisation, observer of
//! the addressed organisation, revoked token} → the status code the contract
//! gives, as a table. Then the same reads with `--private`, and every
//! workspace page and form × a signed-in person of each role.

use crate::helpers::{TestApp, organisation, token};
use crate::workspace::{Answer, Browser, csrf, invite, overseer_person, person};
use rectrack_core::organisation::OrganisationKind;
use rectrack_core::role::Role;
use reqwest::Method;
use serde_json::{Value, json};

/// The callers, in the order each row is tried: refusals first, so that the
/// one call that succeeds changes nothing the others depend on.
/// One row: method, path, body, the assignment whose version goes in
/// `If-Match`, and the status each of [`CALLERS`] must get.
type Row<'a> = (Method, &'a str, Option<Value>, Option<&'a str>, [u16; 6]);

const CALLERS: [&str; 6] = [
    "none",
    "revoked",
    "observer",
    "other",
    "overseer",
    "recipient",
];

struct Fixture {
    app: TestApp,
    tokens: Vec<Option<String>>,
    ids: std::collections::HashMap<&'static str, String>,
}

impl Fixture {
    async fn new(app: TestApp) -> Self {
        let store = &app.store;
        app.add_mps().await;
        organisation(
            store,
            "wmp",
            "West Midlands Police",
            OrganisationKind::PoliceForce,
        )
        .await;
        let recipient = token(store, "mps", Role::Recipient).await;
        let revoked = token(store, "mps", Role::Recipient).await;
        let tokens = vec![
            None,
            Some(revoked.clone()),
            Some(token(store, "mps", Role::Observer).await),
            Some(token(store, "wmp", Role::Recipient).await),
            Some(app.overseer.clone()),
            Some(recipient.clone()),
        ];
        let overseer = app.overseer.clone();
        let mut ids = std::collections::HashMap::new();
        let report = json!({"slug": "operation-hotton", "title": "Operation Hotton", "issued_by": "iopc", "published_on": "2022-02-01"});
        assert_eq!(
            app.post("/v1/reports", Some(&overseer), &report)
                .await
                .status(),
            201
        );
        for (name, number) in [("R", 1), ("R2", 2), ("RB", 3)] {
            let body = json!({"number": number, "title": format!("Recommendation {number}"), "body": "Act.", "recipients": ["mps"], "issued_on": "2022-02-01", "response_due_on": "2099-12-31"});
            let created: Value = app
                .post(
                    "/v1/reports/operation-hotton/recommendations",
                    Some(&overseer),
                    &body,
                )
                .await
                .json()
                .await
                .unwrap();
            ids.insert(name, created["id"].as_str().unwrap().to_owned());
            ids.insert(
                if name == "R" {
                    "A"
                } else if name == "R2" {
                    "A2"
                } else {
                    "B"
                },
                created["assignments"][0]["id"].as_str().unwrap().to_owned(),
            );
        }
        let tokens_list: Value = app
            .get("/v1/tokens", Some(&overseer))
            .await
            .json()
            .await
            .unwrap();
        let revoked_id = tokens_list["items"].as_array().unwrap()[2]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            app.request(
                Method::DELETE,
                &format!("/v1/tokens/{revoked_id}"),
                Some(&overseer)
            )
            .send()
            .await
            .unwrap()
            .status(),
            200
        );
        token(store, "wmp", Role::Observer).await; // a spare, for the overseer to revoke
        let tokens_list: Value = app
            .get("/v1/tokens", Some(&overseer))
            .await
            .json()
            .await
            .unwrap();
        ids.insert(
            "T",
            tokens_list["items"].as_array().unwrap().last().unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
        let invited: Value = app
            .post(
                "/v1/people",
                Some(&overseer),
                &json!({"organisation": "mps", "role": "recipient", "email": "p@met.example", "name": "P"}),
            )
            .await
            .json()
            .await
            .unwrap();
        ids.insert("P", invited["person"]["id"].as_str().unwrap().to_owned());
        // A document on A, uploaded by the MPS once A is accepted (below).
        Self { app, tokens, ids }
    }

    fn path(&self, template: &str) -> String {
        let mut path = template.to_owned();
        for (name, id) in &self.ids {
            path = path.replace(&format!("{{{name}}}"), id);
        }
        path
    }

    async fn version(&self, assignment: &str) -> String {
        let response = self
            .app
            .get(&format!("/v1/assignments/{}", self.ids[assignment]), None)
            .await;
        response
            .headers()
            .get("etag")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    }

    /// Calls every row of `table` as each caller, and notes each status
    /// that is not the one the table wants.
    async fn check(&mut self, table: Vec<Row<'_>>, mismatches: &mut Vec<String>) {
        for (method, path, body, if_match, expected) in table {
            let got = self.row(method.clone(), path, body, if_match).await;
            for (i, caller) in CALLERS.iter().enumerate() {
                if got[i] != expected[i] {
                    mismatches.push(format!(
                        "{method} {path} as {caller}: got {}, want {}",
                        got[i], expected[i]
                    ));
                }
            }
        }
    }

    /// Calls `method path` as each caller; returns what each got.
    async fn row(
        &mut self,
        method: Method,
        template: &str,
        body: Option<Value>,
        if_match: Option<&str>,
    ) -> Vec<u16> {
        let path = self.path(template);
        let mut got = Vec::new();
        for (i, token) in self.tokens.iter().enumerate() {
            let mut request = self.app.request(method.clone(), &path, token.as_deref());
            if let Some(assignment) = if_match {
                request = request.header("If-Match", self.version(assignment).await);
            }
            if let Some(body) = &body {
                let mut body = body.clone();
                // Creates that must not clash get a per-caller value.
                for key in ["code", "slug"] {
                    if let Some(Value::String(s)) = body.get_mut(key) {
                        *s = format!("{s}-{i}");
                    }
                }
                if let Some(Value::String(s)) = body.get_mut("email") {
                    *s = format!("{i}.{s}");
                }
                if let Some(Value::Number(n)) = body.get("number").cloned() {
                    body["number"] = json!(n.as_i64().unwrap() + i as i64);
                }
                request = request.json(&body);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            if status == 201 && template.contains("extension-requests") {
                let created: Value = serde_json::from_str(&text).unwrap();
                self.ids
                    .insert("X", created["id"].as_str().unwrap().to_owned());
            }
            if status == 201 && template.ends_with("/milestones") {
                let created: Value = serde_json::from_str(&text).unwrap();
                self.ids
                    .insert("M", created["id"].as_str().unwrap().to_owned());
            }
            got.push(status);
        }
        got
    }
}

#[tokio::test]
async fn every_endpoint_answers_each_caller_as_the_contract_says() {
    let mut f = Fixture::new(TestApp::spawn().await).await;
    let accept = json!({"decision": "accepted", "rationale": "We accept.", "planned_completion_on": "2099-12-31"});
    // method, path, body, If-Match from assignment, expected for CALLERS:
    //                                                        none  revoked observer other overseer recipient
    #[rustfmt::skip]
    let table: Vec<Row> = vec![
        (Method::GET,   "/healthz",                              None, None,                                   [200, 401, 200, 200, 200, 200]),
        (Method::GET,   "/openapi.json",                         None, None,                                   [200, 401, 200, 200, 200, 200]),
        (Method::POST,  "/v1/organisations",                     Some(json!({"code": "gmp", "name": "Greater Manchester Police", "kind": "police_force"})), None,
                                                                                                               [401, 401, 403, 403, 201, 403]),
        (Method::GET,   "/v1/organisations",                     None, None,                                   [200, 401, 200, 200, 200, 200]),
        (Method::GET,   "/v1/organisations/mps",                 None, None,                                   [200, 401, 200, 200, 200, 200]),
        (Method::POST,  "/v1/reports",                           Some(json!({"slug": "another", "title": "Another", "issued_by": "iopc", "published_on": "2022-02-01"})), None,
                                                                                                               [401, 401, 403, 403, 201, 403]),
        (Method::GET,   "/v1/reports",                           None, None,                                   [200, 401, 200, 200, 200, 200]),
        (Method::GET,   "/v1/reports/operation-hotton",          None, None,                                   [200, 401, 200, 200, 200, 200]),
        (Method::POST,  "/v1/reports/operation-hotton/recommendations", Some(json!({"number": 10, "title": "More", "body": "Act.", "recipients": ["mps"], "issued_on": "2022-02-01", "response_due_on": "2099-12-31"})), None,
                                                                                                               [401, 401, 403, 403, 201, 403]),
        (Method::GET,   "/v1/recommendations",                   None, None,                                   [200, 401, 200, 200, 200, 200]),
        (Method::GET,   "/v1/recommendations/{R}",               None, None,                                   [200, 401, 200, 200, 200, 200]),
        (Method::POST,  "/v1/recommendations/{R2}/withdraw",     Some(json!({"reason": "Superseded."})), None,  [401, 401, 403, 403, 200, 403]),
        (Method::GET,   "/v1/assignments",                       None, None,                                   [200, 401, 200, 200, 200, 200]),
        (Method::GET,   "/v1/assignments/{A}",                   None, None,                                   [200, 401, 200, 200, 200, 200]),
        (Method::PUT,   "/v1/assignments/{A}/response",          Some(accept.clone()), Some("A"),              [401, 401, 403, 404, 403, 200]),
        (Method::POST,  "/v1/assignments/{A}/milestones",        Some(json!({"title": "Plan", "due_on": "2099-06-30"})), None,
                                                                                                               [401, 401, 403, 404, 403, 201]),
        (Method::GET,   "/v1/assignments/{A}/milestones",        None, None,                                   [401, 401, 200, 404, 200, 200]),
        (Method::PATCH, "/v1/assignments/{A}/milestones/{M}",    Some(json!({"title": "Plan, renamed"})), None, [401, 401, 403, 404, 403, 200]),
        (Method::POST,  "/v1/assignments/{A}/evidence",          Some(json!({"kind": "link", "title": "Policy", "url": "https://example.org/policy"})), None,
                                                                                                               [401, 401, 403, 404, 403, 201]),
        (Method::GET,   "/v1/assignments/{A}/evidence",          None, None,                                   [401, 401, 200, 404, 200, 200]),
        (Method::POST,  "/v1/assignments/{A}/updates",           Some(json!({"narrative": "Work started."})), None,
                                                                                                               [401, 401, 403, 404, 403, 201]),
        (Method::GET,   "/v1/assignments/{A}/updates",           None, None,                                   [401, 401, 200, 404, 200, 200]),
        (Method::POST,  "/v1/assignments/{B}/extension-requests", Some(json!({"requested_due_on": "2100-06-30", "reason": "The board meets in June."})), None,
                                                                                                               [401, 401, 403, 404, 403, 201]),
        (Method::GET,   "/v1/assignments/{B}/extension-requests", None, None,                                  [401, 401, 200, 404, 200, 200]),
        (Method::POST,  "/v1/assignments/{B}/extension-requests/{X}/decision", Some(json!({"granted": true})), None,
                                                                                                               [401, 401, 403, 404, 200, 403]),
        (Method::POST,  "/v1/assignments/{A}/reviews",           Some(json!({"outcome": "comment", "comment": "Noted."})), Some("A"),
                                                                                                               [401, 401, 403, 404, 200, 403]),
        (Method::GET,   "/v1/assignments/{A}/history",           None, None,                                   [401, 401, 200, 404, 200, 200]),
        (Method::GET,   "/v1/audit/events",                      None, None,                                   [401, 401, 403, 403, 200, 403]),
        (Method::GET,   "/v1/audit/verify",                      None, None,                                   [200, 401, 200, 200, 200, 200]),
        (Method::GET,   "/v1/status",                            None, None,                                   [200, 401, 200, 200, 200, 200]),
        (Method::POST,  "/v1/tokens",                            Some(json!({"organisation": "mps", "role": "observer"})), None,
                                                                                                               [401, 401, 403, 403, 201, 403]),
        (Method::GET,   "/v1/tokens",                            None, None,                                   [401, 401, 403, 403, 200, 403]),
        (Method::DELETE, "/v1/tokens/{T}",                       None, None,                                   [401, 401, 403, 403, 200, 403]),
        (Method::POST,  "/v1/people",                            Some(json!({"organisation": "mps", "role": "recipient", "email": "q@met.example", "name": "Q"})), None,
                                                                                                               [401, 401, 403, 403, 201, 403]),
        (Method::GET,   "/v1/people",                            None, None,                                   [401, 401, 403, 403, 200, 403]),
        (Method::GET,   "/v1/people/{P}",                        None, None,                                   [401, 401, 403, 403, 200, 403]),
        (Method::POST,  "/v1/people/{P}/invitation",             None, None,                                   [401, 401, 403, 403, 200, 403]),
        (Method::POST,  "/v1/people/{P}/disable",                None, None,                                   [401, 401, 403, 403, 200, 403]),
        (Method::POST,  "/v1/people/{P}/enable",                 None, None,                                   [401, 401, 403, 403, 200, 403]),
    ];
    let mut mismatches = Vec::new();
    f.check(table, &mut mismatches).await;
    // Evidence reads and the claim need the MPS's document first.
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"report".to_vec())
                .file_name("report.txt")
                .mime_str("text/plain")
                .unwrap(),
        )
        .text("title", "Report");
    let recipient = f.tokens[5].clone().unwrap();
    let document: Value = f
        .app
        .request(
            Method::POST,
            &f.path("/v1/assignments/{A}/evidence"),
            Some(&recipient),
        )
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    f.ids
        .insert("D", document["id"].as_str().unwrap().to_owned());
    #[rustfmt::skip]
    let table: Vec<Row> = vec![
        (Method::GET,  "/v1/evidence/{D}",              None, None,                                              [401, 401, 200, 404, 200, 200]),
        (Method::GET,  "/v1/evidence/{D}/content",      None, None,                                              [401, 401, 200, 404, 200, 200]),
        (Method::POST, "/v1/assignments/{A}/claim",     Some(json!({"summary": "Done.", "evidence_ids": [document["id"]]})), Some("A"),
                                                                                                                 [401, 401, 403, 404, 403, 200]),
    ];
    f.check(table, &mut mismatches).await;
    // The transparency log: its checkpoint, tiles and consistency proofs are
    // as public as the record (hashes only); an event's proof and receipt
    // go to those who may read the event, as its history does.
    f.app.sign_checkpoint().await;
    let history: Value = f
        .app
        .get(
            &f.path("/v1/assignments/{A}/history"),
            Some(&f.app.overseer),
        )
        .await
        .json()
        .await
        .unwrap();
    f.ids.insert("E", history["items"][0]["seq"].to_string());
    #[rustfmt::skip]
    let table: Vec<Row> = vec![
        (Method::GET, "/v1/log/checkpoint",               None, None, [200, 401, 200, 200, 200, 200]),
        (Method::GET, "/v1/log/tile/0/000.p/1",           None, None, [200, 401, 200, 200, 200, 200]),
        (Method::GET, "/v1/log/consistency?from=1&to=2",  None, None, [200, 401, 200, 200, 200, 200]),
        (Method::GET, "/v1/audit/events/{E}/proof",       None, None, [401, 401, 200, 404, 200, 200]),
        (Method::GET, "/v1/audit/events/{E}/receipt",     None, None, [401, 401, 200, 404, 200, 200]),
        // The oversight body's own creation concerns no force.
        (Method::GET, "/v1/audit/events/1/proof",         None, None, [401, 401, 404, 404, 200, 404]),
        (Method::GET, "/v1/audit/events/1/receipt",       None, None, [401, 401, 404, 404, 200, 404]),
    ];
    f.check(table, &mut mismatches).await;
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    f.app.stop().await;
}

#[tokio::test]
async fn a_private_service_opens_no_read_without_a_token() {
    let app = TestApp::spawn_with(|state| state.private = true).await;
    let overseer = app.overseer.clone();
    // path, without a token, with one
    let table = [
        ("/healthz", 200, 200),
        ("/openapi.json", 200, 200),
        ("/v1/organisations", 401, 200),
        ("/v1/organisations/iopc", 401, 200),
        ("/v1/reports", 401, 200),
        ("/v1/recommendations", 401, 200),
        ("/v1/assignments", 401, 200),
        ("/v1/audit/verify", 401, 200),
        ("/v1/status", 401, 200),
    ];
    for (path, anonymous, with_token) in table {
        assert_eq!(
            app.get(path, None).await.status().as_u16(),
            anonymous,
            "{path} without a token"
        );
        assert_eq!(
            app.get(path, Some(&overseer)).await.status().as_u16(),
            with_token,
            "{path} with a token"
        );
    }
    app.stop().await;
}

/// An oversight body's observer reads everything, audit events included
/// (read-only analysts need them), and may neither manage tokens nor write.
#[tokio::test]
async fn an_oversight_bodys_observer_reads_everything_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let fixture = app.open_assignment().await;
    let analyst = token(&app.store, "iopc", Role::Observer).await;
    let reads = [
        "/v1/audit/events".to_owned(),
        "/v1/audit/verify".to_owned(),
        format!("/v1/assignments/{}", fixture.assignment),
        format!("/v1/assignments/{}/history", fixture.assignment),
        "/v1/status".to_owned(),
    ];
    for path in &reads {
        assert_eq!(app.get(path, Some(&analyst)).await.status(), 200, "{path}");
    }
    let events: Value = app
        .get("/v1/audit/events", Some(&analyst))
        .await
        .json()
        .await
        .unwrap();
    assert!(!events["items"].as_array().unwrap().is_empty());
    assert_eq!(app.get("/v1/tokens", Some(&analyst)).await.status(), 403);
    let minted = app
        .post(
            "/v1/tokens",
            Some(&analyst),
            &json!({"organisation": "iopc", "role": "overseer"}),
        )
        .await;
    assert_eq!(minted.status(), 403);
    let report = json!({"slug": "op-analyst", "title": "Not theirs", "issued_by": "iopc", "published_on": "2099-01-01"});
    assert_eq!(
        app.post("/v1/reports", Some(&analyst), &report)
            .await
            .status(),
        403
    );
    app.stop().await;
}

/// One workspace form: its action, its fields, and the status each of
/// [`PEOPLE`] must get.
type FormRow<'a> = (&'a str, Vec<(&'a str, &'a str)>, [u16; 5]);

/// The people who try each workspace form, in order: refusals first.
const PEOPLE: [&str; 5] = ["signed out", "observer", "other", "overseer", "recipient"];

/// What a workspace answer means for the table: a redirect to sign-in is
/// 401, as the API answers a missing token; anything else its status.
fn person_status(answer: &Answer) -> u16 {
    if answer.status == 303 && answer.location.starts_with("/workspace/sign-in") {
        401
    } else {
        answer.status
    }
}

/// A person of each role, signed in to the workspace: an MPS observer, a
/// West Midlands recipient, an IOPC overseer (with their second factor)
/// and an MPS recipient; and someone signed out. Each workspace page and
/// form answers them as their role allows, the same rules as the API's
/// table above (`/workspace` answers 303 to sign in, where the API 401).
#[tokio::test]
async fn every_workspace_page_and_form_answers_each_person_as_their_role_allows() {
    let app = TestApp::spawn().await;
    let fixture = app.open_assignment().await;
    organisation(
        &app.store,
        "wmp",
        "West Midlands Police",
        OrganisationKind::PoliceForce,
    )
    .await;
    let a2 = app.add_recommendation(2, "Second", "2099-12-31").await;
    let b = app.add_recommendation(3, "Third", "2099-12-31").await;
    let spare = token(&app.store, "wmp", Role::Observer).await;
    let tokens: Value = app
        .get("/v1/tokens", Some(&app.overseer))
        .await
        .json()
        .await
        .unwrap();
    let spare_id = tokens["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["organisation"] == "wmp")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    drop(spare);

    let mut people = vec![
        Browser::new(&app),
        person(&app, "mps", "observer", "olu@met.example").await,
        person(&app, "wmp", "recipient", "wen@wmp.example").await,
        overseer_person(&app).await,
        person(&app, "mps", "recipient", "priya@met.example").await,
    ];
    let (_, invited) = invite(&app, "mps", "recipient", "pat@met.example").await;
    let mut tokens = Vec::new();
    for browser in &mut people {
        let dashboard = browser.get("/workspace").await;
        tokens.push(if dashboard.status == 200 {
            csrf(&dashboard.body)
        } else {
            String::new()
        });
    }

    let a = fixture.assignment.clone();
    let mut ids = std::collections::HashMap::new();
    ids.insert("{A}", a.clone());
    ids.insert("{A2}", a2);
    ids.insert("{B}", b.clone());
    ids.insert("{T}", spare_id);
    ids.insert("{P}", invited);
    let mut mismatches = Vec::new();

    // Pages: who may see what.
    #[rustfmt::skip]
    let pages: Vec<(&str, [u16; 5])> = vec![
        //                                      signed out observer other overseer recipient
        ("/workspace",                          [401, 200, 200, 200, 200]),
        ("/workspace/assignments/{A}",          [401, 200, 404, 200, 200]),
        ("/workspace/reviews",                  [401, 200, 200, 200, 200]),
        ("/workspace/reports",                  [401, 200, 200, 200, 200]),
        ("/workspace/reports/op-test",          [401, 200, 200, 200, 200]),
        ("/workspace/organisations",            [401, 200, 200, 200, 200]),
        ("/workspace/import",                   [401, 403, 403, 200, 403]),
        ("/workspace/people",                   [401, 403, 403, 200, 403]),
        ("/workspace/tokens",                   [401, 403, 403, 200, 403]),
        ("/workspace/account",                  [401, 200, 200, 200, 200]),
    ];
    for (template, expected) in pages {
        let path = ids
            .iter()
            .fold(template.to_owned(), |p, (k, v)| p.replace(k, v));
        for (i, browser) in people.iter_mut().enumerate() {
            let got = person_status(&browser.get(&path).await);
            if got != expected[i] {
                mismatches.push(format!(
                    "GET {template} as {}: got {got}, want {}",
                    PEOPLE[i], expected[i]
                ));
            }
        }
    }

    // Forms, in an order in which each succeeds for whoever may send it.
    #[rustfmt::skip]
    let forms: Vec<FormRow> = vec![
        ("/workspace/assignments/{A}/response",     vec![("decision", "accepted"), ("rationale", "We accept."), ("planned_completion_on", "2099-12-31")],
                                                                                       [401, 403, 404, 403, 303]),
        ("/workspace/assignments/{A}/milestones",   vec![("title", "Plan"), ("due_on", "2099-06-30")],
                                                                                       [401, 403, 404, 403, 303]),
        ("/workspace/assignments/{A}/evidence",     vec![("kind", "link"), ("title", "Policy"), ("url", "https://example.org/policy")],
                                                                                       [401, 403, 404, 403, 303]),
        ("/workspace/assignments/{A}/updates",      vec![("narrative", "Work started.")],
                                                                                       [401, 403, 404, 403, 303]),
        ("/workspace/assignments/{B}/extension-requests", vec![("requested_due_on", "2100-06-30"), ("reason", "The board meets in June.")],
                                                                                       [401, 403, 404, 403, 303]),
        ("/workspace/assignments/{A}/claim",        vec![("summary", "Done."), ("evidence_ids", "{E}")],
                                                                                       [401, 403, 404, 403, 303]),
        ("/workspace/assignments/{A}/reviews",      vec![("outcome", "returned"), ("comment", "Show the training records.")],
                                                                                       [401, 403, 404, 303, 403]),
        ("/workspace/assignments/{A2}/withdrawal",  vec![("reason", "Superseded.")],  [401, 403, 404, 303, 403]),
        ("/workspace/organisations",                vec![("code", "gmp"), ("name", "Greater Manchester Police"), ("kind", "police_force")],
                                                                                       [401, 403, 403, 303, 403]),
        ("/workspace/reports",                      vec![("slug", "another"), ("title", "Another"), ("issued_by", "iopc"), ("published_on", "2022-02-01")],
                                                                                       [401, 403, 403, 303, 403]),
        ("/workspace/reports/op-test/recommendations", vec![("number", "10"), ("title", "More"), ("body", "Act."), ("recipients", "mps"), ("issued_on", "2022-02-01"), ("legal_basis", "para_28a")],
                                                                                       [401, 403, 403, 303, 403]),
        ("/workspace/tokens",                       vec![("organisation", "mps"), ("role", "observer"), ("label", "Case system")],
                                                                                       [401, 403, 403, 201, 403]),
        ("/workspace/tokens/{T}/revoke",            vec![],                           [401, 403, 403, 303, 403]),
        ("/workspace/people",                       vec![("organisation", "mps"), ("role", "recipient"), ("email", "q@met.example"), ("name", "Q")],
                                                                                       [401, 403, 403, 200, 403]),
        ("/workspace/people/{P}/invitation",        vec![],                           [401, 403, 403, 200, 403]),
        ("/workspace/people/{P}/disable",           vec![],                           [401, 403, 403, 303, 403]),
        ("/workspace/people/{P}/enable",            vec![],                           [401, 403, 403, 303, 403]),
    ];
    for (template, fields, expected) in forms {
        let path = ids
            .iter()
            .fold(template.to_owned(), |p, (k, v)| p.replace(k, v));
        for (i, browser) in people.iter_mut().enumerate() {
            let version: Value = app
                .get(
                    &format!(
                        "/v1/assignments/{}",
                        if template.contains("{B}") { &b } else { &a }
                    ),
                    None,
                )
                .await
                .json()
                .await
                .unwrap();
            let version = version["version"].to_string();
            let form_id = uuid::Uuid::new_v4().to_string();
            let mut sent: Vec<(&str, String)> = vec![
                ("csrf_token", tokens[i].clone()),
                ("version", version),
                ("form_id", form_id),
            ];
            for (name, value) in &fields {
                // Creates that must not clash get a value of each person's.
                let value = match *name {
                    "code" | "slug" => format!("{value}-{i}"),
                    // The evidence the form above added.
                    "evidence_ids" => {
                        let evidence: Value = app
                            .get(
                                &format!("/v1/assignments/{a}/evidence"),
                                Some(&app.overseer),
                            )
                            .await
                            .json()
                            .await
                            .unwrap();
                        evidence["items"][0]["id"].as_str().unwrap().to_owned()
                    }
                    "email" => format!("{i}.{value}"),
                    "number" => (10 + i).to_string(),
                    _ => (*value).to_owned(),
                };
                sent.push((name, value));
            }
            let sent: Vec<(&str, &str)> = sent.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let got = person_status(&browser.post(&path, &sent).await);
            if got != expected[i] {
                mismatches.push(format!(
                    "POST {template} as {}: got {got}, want {}",
                    PEOPLE[i], expected[i]
                ));
            }
        }
    }

    // An import's file is sent as an upload.
    let file =
        b"report,number,recipient,title,body,issued_on\nop-test,20,mps,Imported,Act.,2022-02-01\n";
    for (i, browser) in people.iter_mut().enumerate() {
        let want = [401, 403, 403, 200, 403][i];
        let got = person_status(
            &browser
                .post_file(
                    "/workspace/import",
                    &[("csrf_token", &tokens[i])],
                    "record.csv",
                    file,
                )
                .await,
        );
        if got != want {
            mismatches.push(format!(
                "POST /workspace/import as {}: got {got}, want {want}",
                PEOPLE[i]
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    app.stop().await;
}
