//! The public web site: every page type rendered from a record that has
//! been through the whole lifecycle (as reviewed snapshots), hostile text
//! escaped, no token-only data on any page, `--private` turning the site
//! off, validators and `304`, and clear pages for bad addresses.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Fixture, TestApp};

/// Words only token holders may read, planted in every token-only place.
const SECRET: &str = "TOKEN-ONLY";

/// The assignment's current version, as its `ETag` says.
async fn version(app: &TestApp, id: &str) -> String {
    let response = app.get(&format!("/v1/assignments/{id}"), None).await;
    response.headers()["etag"].to_str().unwrap().to_owned()
}

/// Sends `body` to `path` as `token` with the assignment's current version
/// in `If-Match`, expecting `status`.
async fn write(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    id: &str,
    body: Value,
    status: u16,
) -> Value {
    let etag = version(app, id).await;
    let response = app
        .request(method, path, Some(token))
        .header("If-Match", etag)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), status, "{path}");
    response.json().await.unwrap()
}

/// The test report's one assignment taken through an extension, a response,
/// a milestone, evidence, a progress update, a claim and a returned review,
/// with token-only words in every token-only place and `comment` as the
/// review's comment. Answers the fixture and the recommendation's id.
async fn lived_through(app: &TestApp, comment: &str) -> (Fixture, String) {
    let fixture = app.open_assignment().await;
    let id = fixture.assignment.clone();
    let mps = fixture.mps.clone();
    let base = format!("/v1/assignments/{id}");
    let asked = write(app, Method::POST, &format!("{base}/extension-requests"), &mps, &id, json!({"requested_due_on": "2100-01-31", "reason": format!("{SECRET} reason for more time")}), 201).await;
    let request = asked["id"].as_str().unwrap();
    write(
        app,
        Method::POST,
        &format!("{base}/extension-requests/{request}/decision"),
        &app.overseer,
        &id,
        json!({"granted": true, "comment": "Granted, given the scale of the work."}),
        200,
    )
    .await;
    write(app, Method::PUT, &format!("{base}/response"), &mps, &id, json!({"decision": "accepted", "rationale": "We accept it and will publish a plan.", "planned_completion_on": "2099-12-31"}), 200).await;
    write(
        app,
        Method::POST,
        &format!("{base}/milestones"),
        &mps,
        &id,
        json!({"title": format!("{SECRET} milestone"), "due_on": "2099-06-01"}),
        201,
    )
    .await;
    let evidence = write(app, Method::POST, &format!("{base}/evidence"), &mps, &id, json!({"kind": "statement", "title": format!("{SECRET} evidence"), "text": format!("{SECRET} statement")}), 201).await;
    let evidence = evidence["id"].as_str().unwrap();
    write(
        app,
        Method::POST,
        &format!("{base}/updates"),
        &mps,
        &id,
        json!({"narrative": format!("{SECRET} narrative"), "evidence_ids": [evidence]}),
        201,
    )
    .await;
    write(
        app,
        Method::POST,
        &format!("{base}/claim"),
        &mps,
        &id,
        json!({"summary": "The plan is published.", "evidence_ids": [evidence]}),
        200,
    )
    .await;
    write(
        app,
        Method::POST,
        &format!("{base}/reviews"),
        &app.overseer,
        &id,
        json!({"outcome": "returned", "comment": comment}),
        200,
    )
    .await;
    let assignment: Value = app.get(&base, None).await.json().await.unwrap();
    let recommendation = assignment["recommendation_id"].as_str().unwrap().to_owned();
    (fixture, recommendation)
}

/// The page at `path`, asserting its status and media type.
async fn page(app: &TestApp, path: &str, status: u16, media: &str) -> String {
    let response = app.get(path, None).await;
    assert_eq!(response.status(), status, "{path}");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with(media), "{path}: {content_type}");
    response.text().await.unwrap()
}

/// `text` with what differs from run to run replaced by names: ids,
/// hashes, timestamps, today's date and the build's digest.
fn normalised(text: &str) -> String {
    let today = chrono::Utc::now().date_naive();
    let words = today.format("%-d %B %Y").to_string();
    // The day a response given today becomes public by itself.
    let published = (today + chrono::Days::new(21))
        .format("%-d %B %Y")
        .to_string();
    let mut out = text
        .replace(&words, "[today]")
        .replace(&published, "[today + 21 days]")
        .replace(&today.to_string(), "[today]");
    for (pattern, name) in [
        (
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "[id]",
        ),
        (r"[0-9a-f]{64}", "[hash]"),
        (r"\[today\]T[0-9:.]+(\+00:00|Z)", "[time]"),
    ] {
        out = regex::Regex::new(pattern)
            .unwrap()
            .replace_all(&out, name)
            .into_owned();
    }
    out
}

#[tokio::test]
async fn every_page_type_renders_the_published_record() {
    let app = TestApp::spawn().await;
    let (_, recommendation) = lived_through(&app, "Publish the plan's timetable too.").await;
    let pages = [
        ("home", "/".to_owned(), "text/html"),
        ("report", "/reports/op-test".to_owned(), "text/html"),
        (
            "report_filtered",
            "/reports/op-test?status=in_progress&q=plan&recipient=mps".to_owned(),
            "text/html",
        ),
        (
            "recommendation",
            format!("/recommendations/{recommendation}"),
            "text/html",
        ),
        ("organisation", "/organisations/mps".to_owned(), "text/html"),
        ("status", "/status?report=op-test".to_owned(), "text/html"),
        ("audit", "/audit".to_owned(), "text/html"),
        (
            "report_feed",
            "/reports/op-test/feed.atom".to_owned(),
            "application/atom+xml",
        ),
        (
            "organisation_feed",
            "/organisations/mps/feed.atom".to_owned(),
            "application/atom+xml",
        ),
    ];
    for (name, path, media) in pages {
        let body = page(&app, &path, 200, media).await;
        insta::assert_snapshot!(format!("site_{name}"), normalised(&body));
    }
}

#[tokio::test]
async fn the_timeline_shows_every_published_fact_in_order() {
    let app = TestApp::spawn().await;
    let (_, recommendation) = lived_through(&app, "Publish the plan's timetable too.").await;
    let body = page(
        &app,
        &format!("/recommendations/{recommendation}"),
        200,
        "text/html",
    )
    .await;
    let timeline = &body[body.find("<ol class=\"timeline\">").unwrap()..];
    let order = [
        "More time to respond granted, to 31 January 2100",
        "Response: Accepted",
        "Implementation claimed",
        "Review: Claim returned: work to continue",
    ];
    let mut at = 0;
    for heading in order {
        let found = timeline[at..]
            .find(heading)
            .unwrap_or_else(|| panic!("{heading} after {at}"));
        at += found;
    }
    assert!(body.contains("31 January 2100 (extended from 31 December 2099)"));
    assert!(body.contains("The plan is published."));
    assert!(
        body.contains("Publish the plan&#39;s timetable too.")
            || body.contains("Publish the plan&#x27;s timetable too.")
    );
}

/// Whether `body` holds `text` escaped as HTML (by name or by number).
fn shows_as_text(body: &str, text: &str) -> bool {
    let by_name = text.replace('<', "&lt;").replace('>', "&gt;");
    let by_number = text.replace('<', "&#60;").replace('>', "&#62;");
    body.contains(&by_name) || body.contains(&by_number)
}

#[tokio::test]
async fn hostile_text_is_shown_as_text_on_every_page() {
    let app = TestApp::spawn().await;
    app.add_mps().await;
    let hostile = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>";
    let report = json!({"slug": "hostile", "title": format!("Report {hostile}"), "issued_by": "iopc", "published_on": "2022-01-01", "summary": format!("Summary {hostile}")});
    assert_eq!(
        app.post("/v1/reports", Some(&app.overseer), &report)
            .await
            .status(),
        201
    );
    let recommendation = json!({"number": 1, "title": format!("Title {hostile}"), "body": format!("Body {hostile}"), "themes": ["culture"], "recipients": ["mps"], "issued_on": "2022-02-01", "response_due_on": "2099-12-31"});
    let created: Value = app
        .post(
            "/v1/reports/hostile/recommendations",
            Some(&app.overseer),
            &recommendation,
        )
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let withdrawn = app
        .post(
            &format!("/v1/recommendations/{id}/withdraw"),
            Some(&app.overseer),
            &json!({"reason": format!("Reason {hostile}")}),
        )
        .await;
    assert_eq!(withdrawn.status(), 200);
    for (path, media) in [
        ("/".to_owned(), "text/html"),
        ("/reports/hostile".to_owned(), "text/html"),
        (format!("/recommendations/{id}"), "text/html"),
        ("/organisations/mps".to_owned(), "text/html"),
        ("/status".to_owned(), "text/html"),
        (
            "/reports/hostile/feed.atom".to_owned(),
            "application/atom+xml",
        ),
        ("/reports/hostile?q=%3Cscript%3E".to_owned(), "text/html"),
    ] {
        let body = page(&app, &path, 200, media).await;
        assert!(!body.contains("<script"), "{path} holds a script element");
        assert!(!body.contains("<img"), "{path} holds an injected element");
        assert!(
            shows_as_text(&body, "<script>alert(1)</script>"),
            "{path} does not show the text"
        );
    }
    let recommendation = page(&app, &format!("/recommendations/{id}"), 200, "text/html").await;
    assert!(recommendation.contains("Recommendation withdrawn"));
    assert!(shows_as_text(&recommendation, "Reason <script>"));
}

#[tokio::test]
async fn no_page_shows_token_only_data() {
    let app = TestApp::spawn().await;
    let (fixture, recommendation) = lived_through(&app, "Returned.").await;
    // The planted words are on the record, for those with a token.
    let updates = app
        .get(
            &format!("/v1/assignments/{}/updates", fixture.assignment),
            Some(&fixture.mps),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(updates.contains(SECRET));
    for path in [
        "/".to_owned(),
        "/reports/op-test".to_owned(),
        format!("/recommendations/{recommendation}"),
        "/organisations/mps".to_owned(),
        "/status".to_owned(),
        "/status.csv".to_owned(),
        "/status.json".to_owned(),
        "/status.md".to_owned(),
        "/audit".to_owned(),
        "/reports/op-test/feed.atom".to_owned(),
        "/organisations/mps/feed.atom".to_owned(),
    ] {
        let response = app.get(&path, None).await;
        assert_eq!(response.status(), 200, "{path}");
        let body = response.text().await.unwrap();
        assert!(!body.contains(SECRET), "{path} shows token-only data");
    }
}

#[tokio::test]
async fn private_mode_turns_the_site_off() {
    let app = TestApp::spawn_with(|state| state.private = true).await;
    let fixture = app.open_assignment().await;
    let assignment: Value = app
        .get(
            &format!("/v1/assignments/{}", fixture.assignment),
            Some(&app.overseer),
        )
        .await
        .json()
        .await
        .unwrap();
    let recommendation = assignment["recommendation_id"].as_str().unwrap();
    for path in [
        "/".to_owned(),
        "/reports/op-test".to_owned(),
        format!("/recommendations/{recommendation}"),
        "/organisations/mps".to_owned(),
        "/status".to_owned(),
        "/status.csv".to_owned(),
        "/audit".to_owned(),
        "/reports/op-test/feed.atom".to_owned(),
    ] {
        let body = page(&app, &path, 404, "text/html").await;
        assert!(
            !body.contains("Test report") && !body.contains("Publish a plan"),
            "{path} shows the record"
        );
    }
}

#[tokio::test]
async fn a_page_answers_304_until_the_record_changes() {
    let app = TestApp::spawn().await;
    let fixture = app.open_assignment().await;
    let first = app.get("/reports/op-test", None).await;
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert!(
        first.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("no-cache")
    );
    assert!(first.headers().contains_key("last-modified"));
    let again = app
        .request(Method::GET, "/reports/op-test", None)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.text().await.unwrap().is_empty());
    // A write anywhere moves the chain, so the page is made again.
    write(
        &app,
        Method::PUT,
        &format!("/v1/assignments/{}/response", fixture.assignment),
        &fixture.mps,
        &fixture.assignment,
        json!({"decision": "not_accepted", "rationale": "We do not accept it."}),
        200,
    )
    .await;
    let changed = app
        .request(Method::GET, "/reports/op-test", None)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);
    assert!(changed.text().await.unwrap().contains("Not accepted"));
}

#[tokio::test]
async fn bad_addresses_get_clear_pages_and_change_nothing() {
    let app = TestApp::spawn().await;
    app.open_assignment().await;
    let length = app.chain_length().await;
    for (path, status, words) in [
        ("/recommendations/not-an-id", 404, "no recommendation"),
        (
            "/recommendations/00000000-0000-0000-0000-000000000000",
            404,
            "no recommendation",
        ),
        ("/reports/no-such-report", 404, "no report"),
        ("/organisations/no-such-org", 404, "no organisation"),
        ("/organisations/mps?page=99", 404, "page"),
        ("/no/such/page", 404, "nothing at this address"),
        ("/status?as_of=2022-13-45", 400, "as_of"),
        ("/status?basis=sometime", 400, "basis"),
        (
            "/status.csv?organisation=NOT%20A%20CODE",
            400,
            "organisation",
        ),
        ("/reports/op-test?status=finished", 400, "status"),
        ("/organisations/mps?page=0", 400, "page"),
        ("/?page=2", 404, "page"),
        ("/?page=first", 400, "page"),
    ] {
        let body = page(&app, path, status, "text/html").await;
        assert!(body.contains(words), "{path}: {body}");
    }
    // The API's own addresses keep their problem documents.
    let api = app.get("/v1/no-such-thing", None).await;
    assert_eq!(api.status(), 404);
    assert!(
        api.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/problem+json")
    );
    assert_eq!(app.chain_length().await, length);
}

#[tokio::test]
async fn the_downloads_are_what_the_api_serves() {
    let app = TestApp::spawn().await;
    app.accepted_assignment().await;
    for (download, accept) in [
        ("/status.csv?report=op-test", "text/csv"),
        ("/status.json?report=op-test", "application/json"),
        ("/status.md?report=op-test", "text/markdown"),
    ] {
        let response = app.get(download, None).await;
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment; filename=\"status-")
        );
        let from_site = response.text().await.unwrap();
        let from_api = app
            .request(Method::GET, "/v1/status?report=op-test", None)
            .header("Accept", accept)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(from_site, from_api, "{download}");
    }
    let xlsx = app.get("/status.xlsx?report=op-test", None).await;
    assert_eq!(xlsx.status(), 200);
    let bytes = xlsx.bytes().await.unwrap();
    assert_eq!(&bytes[..2], b"PK", "an XLSX workbook is a zip archive");
}
