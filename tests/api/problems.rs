//! The problem documents clients meet, one of each kind, reviewed as a
//! snapshot: the `type`, `title`, `status` and `detail` of each, and the
//! fields that go with some (`errors`, `current_status` and `allowed`,
//! `current_version`). A change to any of them shows in review.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Fixture, TestApp};

#[tokio::test]
async fn every_kind_of_problem_document_is_as_clients_know_it() {
    let app = TestApp::spawn_with(|state| state.json_limit = 512).await;
    let Fixture { assignment, mps } = app.accepted_assignment().await;
    let iopc = app.overseer.clone();
    let path = |tail: &str| format!("/v1/assignments/{assignment}{tail}");
    let cases = [
        (
            "unauthorized",
            app.request(Method::GET, &path("/milestones"), None),
        ),
        (
            "forbidden",
            app.request(Method::POST, "/v1/organisations", Some(&mps))
                .json(&json!({"code": "gmp", "name": "GMP", "kind": "police_force"})),
        ),
        (
            "not-found",
            app.request(Method::GET, "/v1/reports/no-such-report", None),
        ),
        (
            "method-not-allowed",
            app.request(Method::DELETE, "/v1/reports", Some(&iopc)),
        ),
        (
            "not-acceptable",
            app.request(Method::GET, "/v1/status", None)
                .header("Accept", "text/html"),
        ),
        (
            "validation",
            app.request(Method::POST, "/v1/reports", Some(&iopc))
                .json(&json!({"slug": "Not A Slug", "title": "", "issued_by": "iopc", "published_on": "2022-02-01"})),
        ),
        (
            "malformed",
            app.request(Method::POST, "/v1/reports", Some(&iopc))
                .header("content-type", "application/json")
                .body("{not json"),
        ),
        (
            "unsupported-media-type",
            app.request(Method::POST, "/v1/reports", Some(&iopc))
                .header("content-type", "text/plain")
                .body("hello"),
        ),
        (
            "too-large",
            app.request(Method::POST, "/v1/reports", Some(&iopc))
                .header("content-type", "application/json")
                .body(format!("\"{}\"", "x".repeat(1024))),
        ),
        (
            "if-match-required",
            app.request(Method::POST, &path("/claim"), Some(&mps))
                .json(&json!({"summary": "Done.", "evidence_ids": ["00000000-0000-0000-0000-000000000001"]})),
        ),
        (
            "stale-version",
            app.request(Method::PUT, &path("/response"), Some(&mps))
                .header("If-Match", "\"1\"")
                .json(&json!({"decision": "accepted", "rationale": "Yes.", "planned_completion_on": "2099-12-31"})),
        ),
        (
            "refused-move",
            app.request(Method::POST, &path("/reviews"), Some(&iopc))
                .header("If-Match", "\"2\"")
                .json(&json!({"outcome": "verified"})),
        ),
        (
            "conflict",
            app.request(Method::POST, "/v1/reports", Some(&iopc))
                .json(&json!({"slug": "op-test", "title": "Again", "issued_by": "iopc", "published_on": "2099-01-01"})),
        ),
    ];
    let mut documents = serde_json::Map::new();
    for (name, request) in cases {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{name}"
        );
        let document: Value = response.json().await.unwrap();
        assert_eq!(document["status"], status, "{name}");
        assert_eq!(
            document["type"],
            format!("urn:rectrack:problem:{name}"),
            "{name}: {document}"
        );
        documents.insert(name.to_owned(), document);
    }
    let text = serde_json::to_string_pretty(&Value::Object(documents))
        .unwrap()
        .replace(&assignment, "[assignment]");
    insta::assert_snapshot!(text);
    app.stop().await;
}
