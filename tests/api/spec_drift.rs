//! The OpenAPI document: the one served at `/openapi.json` must be the one
//! committed in `openapi/openapi.json`, and it must describe the contract —
//! a summary, a tag and problem responses on every operation, dates as
//! `format: date`, and the bearer scheme.
//!
//! After changing the API, regenerate the file with:
//!
//! ```sh
//! RECTRACK_UPDATE_OPENAPI=1 cargo test --test api spec_drift
//! ```

use serde_json::Value;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");

async fn served() -> Value {
    let app = crate::helpers::TestApp::spawn().await;
    let spec: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    app.stop().await;
    spec
}

#[tokio::test]
async fn the_committed_document_is_the_one_the_code_serves() {
    let spec = served().await;
    let pretty = serde_json::to_string_pretty(&spec).unwrap() + "\n";
    if std::env::var_os("RECTRACK_UPDATE_OPENAPI").is_some() {
        std::fs::write(COMMITTED, &pretty).unwrap();
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    if committed != pretty {
        let diff = similar::TextDiff::from_lines(&committed, &pretty);
        panic!(
            "openapi/openapi.json differs from the document the code serves \
             (- committed, + served):\n\n{}\nRegenerate it with:\n\n    \
             RECTRACK_UPDATE_OPENAPI=1 cargo test --test api spec_drift\n",
            diff.unified_diff().context_radius(3)
        );
    }
}

#[tokio::test]
async fn every_operation_has_a_summary_a_tag_and_problem_responses() {
    let spec = served().await;
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    let mut operations = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            operations += 1;
            let name = format!("{method} {path}");
            assert!(
                operation["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{name} has no summary"
            );
            assert!(
                operation["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{name} has no tag"
            );
            let responses = operation["responses"].as_object().unwrap();
            for status in ["401", "404", "422", "500"] {
                let problem = &responses[status]["content"]["application/problem+json"];
                assert!(
                    problem.is_object(),
                    "{name} does not document {status} as a problem document"
                );
            }
        }
    }
    assert_eq!(operations, 49, "every endpoint of the contract, once");
    assert_eq!(
        spec["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

#[tokio::test]
async fn if_match_is_required_exactly_on_the_writes_that_change_the_lifecycle() {
    let spec = served().await;
    let mut required = Vec::new();
    let mut optional = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Some(parameters) = operation["parameters"].as_array() else {
                continue;
            };
            for parameter in parameters {
                match (parameter["name"].as_str(), parameter["required"].as_bool()) {
                    (Some("If-Match"), Some(true)) => required.push(format!("{method} {path}")),
                    (Some("If-Match"), _) => optional += 1,
                    (Some("Idempotency-Key"), is_required) => {
                        assert_eq!(is_required, Some(false), "{method} {path}");
                        assert_eq!(parameter["schema"]["pattern"], "^[!-~]{1,255}$");
                    }
                    _ => continue,
                }
            }
        }
    }
    required.sort();
    assert_eq!(
        required,
        [
            "post /v1/assignments/{id}/claim",
            "post /v1/assignments/{id}/reviews",
            "put /v1/assignments/{id}/response",
        ]
    );
    assert_eq!(optional, 7, "the other writes on an assignment");
    let tokens = &spec["paths"]["/v1/tokens"]["post"];
    assert!(
        tokens.get("parameters").is_none(),
        "creating a token takes no Idempotency-Key: {tokens}"
    );
}

#[tokio::test]
async fn dates_are_declared_as_format_date() {
    let spec = served().await;
    let text = spec.to_string();
    assert!(
        !text.contains("naive-date"),
        "poem-openapi's naive-date format leaked into the document"
    );
    let report = &spec["components"]["schemas"]["NewReport"]["properties"]["published_on"];
    assert_eq!(
        (report["type"].as_str(), report["format"].as_str()),
        (Some("string"), Some("date")),
        "{report}"
    );
    let at = &spec["components"]["schemas"]["Evidence"]["properties"]["submitted_at"];
    assert_eq!(
        (at["type"].as_str(), at["format"].as_str()),
        (Some("string"), Some("date-time")),
        "{at}"
    );
}

#[tokio::test]
async fn swagger_ui_is_served_at_docs() {
    let app = crate::helpers::TestApp::spawn().await;
    let docs = app.get("/docs", None).await;
    assert_eq!(docs.status(), 200);
    assert!(
        docs.headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(docs.text().await.unwrap().contains("swagger"));
    app.stop().await;
}
