//! The Operation Hotton journey, end to end over HTTP: the IOPC sets up the
//! case and its 15 recommendations; the MPS responds, plans, uploads and
//! links evidence, reports progress and claims; the IOPC returns one claim
//! and verifies; the status report in JSON, CSV and Markdown shows exactly
//! what happened, and the audit chain holds one event per change.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed test

mod common;

use common::{TestApp, problem};
use rectrack_core::dataset::Dataset;
use reqwest::Method;
use serde_json::{Value, json};

/// Counts the writes the test makes, to compare with the chain's length.
struct Writes(u64);

impl Writes {
    async fn expect(&mut self, response: reqwest::Response, status: u16) -> Value {
        let url = response.url().clone();
        let got = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        assert_eq!(got, status, "{url}: {body}");
        self.0 += 1;
        body
    }
}

#[tokio::test]
async fn operation_hotton_from_recommendations_to_verified_implementation() {
    let app = TestApp::spawn().await;
    let iopc = app.overseer.clone();
    let mut writes = Writes(2); // the IOPC and its overseer token, made at the console

    // The IOPC sets up the case from the shipped data set.
    let dataset = Dataset::operation_hotton().unwrap();
    for organisation in dataset
        .organisations
        .iter()
        .filter(|o| o.code.as_str() != "iopc")
    {
        let body = json!({"code": organisation.code, "name": organisation.name, "kind": organisation.kind});
        writes
            .expect(app.post("/v1/organisations", Some(&iopc), &body).await, 201)
            .await;
    }
    let hotton = &dataset.reports[0];
    let report = json!({
        "slug": hotton.report.slug, "title": hotton.report.title, "issued_by": "iopc",
        "published_on": hotton.report.published_on.to_string(), "url": hotton.report.url, "summary": hotton.report.summary,
    });
    writes
        .expect(app.post("/v1/reports", Some(&iopc), &report).await, 201)
        .await;
    let mut assignments = Vec::new();
    for recommendation in &hotton.recommendations {
        let body = json!({
            "number": recommendation.number, "title": recommendation.title, "body": recommendation.body,
            "themes": recommendation.themes, "recipients": recommendation.recipients,
            "issued_on": recommendation.issued_on.to_string(), "legal_basis": "para_28a",
        });
        let created = writes
            .expect(
                app.post(
                    "/v1/reports/operation-hotton/recommendations",
                    Some(&iopc),
                    &body,
                )
                .await,
                201,
            )
            .await;
        assert_eq!(created["assignments"][0]["response_due_on"], "2022-03-29");
        assignments.push(created["assignments"][0]["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(assignments.len(), 15);
    let token = writes
        .expect(
            app.post(
                "/v1/tokens",
                Some(&iopc),
                &json!({"organisation": "mps", "role": "recipient", "label": "MPS"}),
            )
            .await,
            201,
        )
        .await;
    let mps = token["token"].as_str().unwrap().to_owned();

    // The MPS responds: accepts 13, partially accepts one, does not accept one.
    for (i, id) in assignments.iter().enumerate() {
        let body = match i {
            13 => {
                json!({"decision": "partially_accepted", "rationale": "We accept the training element only.", "planned_completion_on": "2023-03-31"})
            }
            14 => {
                json!({"decision": "not_accepted", "rationale": "Already covered by national work."})
            }
            _ => {
                json!({"decision": "accepted", "rationale": "We accept and will act.", "planned_completion_on": "2023-03-31"})
            }
        };
        let response = app
            .request(
                Method::PUT,
                &format!("/v1/assignments/{id}/response"),
                Some(&mps),
            )
            .header("If-Match", "\"1\"")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers().get("etag").unwrap(), "\"2\"");
        writes.expect(response, 200).await;
    }

    // It plans milestones, uploads a document and adds a link.
    let (first, second) = (&assignments[0], &assignments[1]);
    let milestone = writes
        .expect(
            app.post(
                &format!("/v1/assignments/{first}/milestones"),
                Some(&mps),
                &json!({"title": "Publish the anti-racism commitment", "due_on": "2022-09-30"}),
            )
            .await,
            201,
        )
        .await;
    writes
        .expect(
            app.post(
                &format!("/v1/assignments/{second}/milestones"),
                Some(&mps),
                &json!({"title": "Adopt the policy", "due_on": "2022-12-31"}),
            )
            .await,
            201,
        )
        .await;
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"%PDF-1.4 commitment".to_vec())
                .file_name("commitment.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        )
        .text("title", "Published commitment")
        .text("description", "The commitment as published.");
    let document = writes
        .expect(
            app.request(
                Method::POST,
                &format!("/v1/assignments/{first}/evidence"),
                Some(&mps),
            )
            .multipart(form)
            .send()
            .await
            .unwrap(),
            201,
        )
        .await;
    assert_eq!(document["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(document["size_bytes"], 19);
    let link = writes
        .expect(app.post(&format!("/v1/assignments/{second}/evidence"), Some(&mps), &json!({"kind": "link", "title": "Policy page", "url": "https://www.met.police.uk/policy"})).await, 201)
        .await;
    let download = app
        .get(
            &format!("/v1/evidence/{}/content", document["id"].as_str().unwrap()),
            Some(&mps),
        )
        .await;
    assert_eq!(
        download
            .headers()
            .get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap(),
        "attachment; filename=\"commitment.pdf\"; filename*=UTF-8''commitment.pdf"
    );
    assert_eq!(
        download.headers().get("x-content-type-options").unwrap(),
        "nosniff"
    );
    assert_eq!(
        download.bytes().await.unwrap().as_ref(),
        b"%PDF-1.4 commitment"
    );

    // It reports progress and claims both.
    let update = json!({"narrative": "Commitment published.", "milestone_ids": [milestone["id"]], "evidence_ids": [document["id"]]});
    writes
        .expect(
            app.post(
                &format!("/v1/assignments/{first}/updates"),
                Some(&mps),
                &update,
            )
            .await,
            201,
        )
        .await;
    let claim = |id: &str, evidence: &Value, version: &str| {
        app.request(
            Method::POST,
            &format!("/v1/assignments/{id}/claim"),
            Some(&mps),
        )
        .header("If-Match", version.to_owned())
        .json(&json!({"summary": "Implemented.", "evidence_ids": [evidence["id"]]}))
    };
    let claimed = writes
        .expect(claim(first, &document, "\"5\"").send().await.unwrap(), 200)
        .await;
    assert_eq!(claimed["assignment"]["status"], "implementation_claimed");
    writes
        .expect(claim(second, &link, "\"4\"").send().await.unwrap(), 200)
        .await;

    // The IOPC returns one claim with a comment and verifies the other.
    let review = |id: &str, version: &str, body: Value| {
        app.request(
            Method::POST,
            &format!("/v1/assignments/{id}/reviews"),
            Some(&iopc),
        )
        .header("If-Match", version.to_owned())
        .json(&body)
    };
    let returned = writes
        .expect(
            review(
                second,
                "\"5\"",
                json!({"outcome": "returned", "comment": "The policy is not yet in training."}),
            )
            .send()
            .await
            .unwrap(),
            200,
        )
        .await;
    assert_eq!(returned["assignment"]["status"], "in_progress");
    writes
        .expect(
            review(first, "\"6\"", json!({"outcome": "verified"}))
                .send()
                .await
                .unwrap(),
            200,
        )
        .await;

    // The MPS posts more and claims again; the IOPC verifies.
    writes
        .expect(
            app.post(
                &format!("/v1/assignments/{second}/updates"),
                Some(&mps),
                &json!({"narrative": "Training now covers the policy."}),
            )
            .await,
            201,
        )
        .await;
    writes
        .expect(claim(second, &link, "\"7\"").send().await.unwrap(), 200)
        .await;
    let verified = writes
        .expect(
            review(second, "\"8\"", json!({"outcome": "verified"}))
                .send()
                .await
                .unwrap(),
            200,
        )
        .await;
    assert_eq!(verified["assignment"]["status"], "verified");
    // A verified assignment refuses a second claim, naming its status.
    let refused = problem(claim(second, &link, "\"9\"").send().await.unwrap(), 409).await;
    assert_eq!(refused["current_status"], "verified");
    assert_eq!(refused["allowed"], json!([]));

    // The status report shows exactly what happened.
    let report: Value = app
        .get("/v1/status?report=operation-hotton", None)
        .await
        .json()
        .await
        .unwrap();
    let totals = &report["totals"];
    assert_eq!(totals["assignments"], 15);
    assert_eq!(
        totals["by_status"],
        json!({"awaiting_response": 0, "accepted": 11, "partially_accepted": 1, "not_accepted": 1, "in_progress": 0,
               "implementation_claimed": 0, "verified": 2, "closed_not_implemented": 0, "withdrawn": 0})
    );
    assert_eq!(totals["accepted_rate"], 0.9333);
    assert_eq!(totals["verified_rate"], 0.1333);
    assert_eq!(report["by_organisation"][0]["organisation"], "mps");
    assert_eq!(report["recommendations"].as_array().unwrap().len(), 15);
    let csv = app
        .request(Method::GET, "/v1/status?report=operation-hotton", None)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert!(
        csv.headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].starts_with("organisation,assignments,awaiting_response,accepted,partially_accepted,not_accepted,in_progress,implementation_claimed,verified"));
    assert!(lines[1].starts_with("mps,15,0,11,1,1,0,0,2,0,0,"), "{csv}");
    assert!(lines[2].starts_with("all,15,0,11,1,1,0,0,2,0,0,"), "{csv}");
    let markdown = app
        .request(Method::GET, "/v1/status", None)
        .header("Accept", "text/markdown")
        .send()
        .await
        .unwrap();
    assert!(
        markdown
            .headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/markdown")
    );
    let markdown = markdown.text().await.unwrap();
    assert!(
        markdown.contains("| mps | 15 | 0 | 11 | 1 | 1 | 0 | 0 | 2 | 0 | 0 |"),
        "{markdown}"
    );
    assert_eq!(markdown.matches("| operation-hotton |").count(), 15);

    // One event per change, in a valid chain.
    assert_eq!(app.chain_length().await, writes.0);
    let history: Value = app
        .get(&format!("/v1/assignments/{second}/history"), Some(&mps))
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "recommendation.created",
            "response.submitted",
            "milestone.planned",
            "evidence.added",
            "implementation.claimed",
            "review.returned",
            "progress.posted",
            "implementation.claimed",
            "review.verified"
        ]
    );
    app.stop().await;
}
