//! The Operation Hotton journey, end to end over HTTP: the IOPC sets up the
//! case and its 15 recommendations; the MPS responds, plans, uploads and
//! links evidence, reports progress and claims; the IOPC returns one claim
//! and verifies; the status report in JSON, CSV and Markdown shows exactly
//! what happened, and the audit chain holds one event per change.

use crate::helpers::{TestApp, problem};
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

/// The journey's state as it goes: the service, the two tokens, the
/// MPS's 15 assignments, the evidence offered and every write made.
struct Journey {
    app: TestApp,
    iopc: String,
    mps: String,
    assignments: Vec<String>,
    writes: Writes,
    milestone: Value,
    document: Value,
    link: Value,
}

#[tokio::test]
async fn operation_hotton_from_recommendations_to_verified_implementation() {
    let mut journey = Journey::the_iopc_sets_up_the_case_from_the_shipped_data_set().await;
    journey
        .the_mps_accepts_13_partially_accepts_one_and_refuses_one()
        .await;
    journey
        .it_plans_milestones_uploads_a_document_and_adds_a_link()
        .await;
    journey.it_reports_progress_and_claims_both().await;
    journey
        .the_iopc_returns_one_claim_and_verifies_the_other()
        .await;
    journey
        .the_mps_posts_more_claims_again_and_is_verified()
        .await;
    journey.a_verified_assignment_refuses_a_second_claim().await;
    journey
        .the_status_report_shows_exactly_what_happened()
        .await;
    journey.the_chain_holds_one_event_per_change().await;
    journey.app.stop().await;
}

impl Journey {
    async fn the_iopc_sets_up_the_case_from_the_shipped_data_set() -> Self {
        let app = TestApp::spawn().await;
        let iopc = app.overseer.clone();
        let mut writes = Writes(2); // the IOPC and its overseer token, made at the console
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
        Self {
            app,
            iopc,
            mps,
            assignments,
            writes,
            milestone: Value::Null,
            document: Value::Null,
            link: Value::Null,
        }
    }

    async fn the_mps_accepts_13_partially_accepts_one_and_refuses_one(&mut self) {
        for (i, id) in self.assignments.iter().enumerate() {
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
            let response = self
                .app
                .request(
                    Method::PUT,
                    &format!("/v1/assignments/{id}/response"),
                    Some(&self.mps),
                )
                .header("If-Match", "\"1\"")
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.headers().get("etag").unwrap(), "\"2\"");
            self.writes.expect(response, 200).await;
        }
    }

    async fn it_plans_milestones_uploads_a_document_and_adds_a_link(&mut self) {
        let (first, second) = (&self.assignments[0], &self.assignments[1]);
        let milestone = self.writes
            .expect(
                self.app.post(
                    &format!("/v1/assignments/{first}/milestones"),
                    Some(&self.mps),
                    &json!({"title": "Publish the anti-racism commitment", "due_on": "2022-09-30"}),
                )
                .await,
                201,
            )
            .await;
        self.writes
            .expect(
                self.app
                    .post(
                        &format!("/v1/assignments/{second}/milestones"),
                        Some(&self.mps),
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
        let document = self
            .writes
            .expect(
                self.app
                    .request(
                        Method::POST,
                        &format!("/v1/assignments/{first}/evidence"),
                        Some(&self.mps),
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
        let link = self.writes
            .expect(self.app.post(&format!("/v1/assignments/{second}/evidence"), Some(&self.mps), &json!({"kind": "link", "title": "Policy page", "url": "https://www.met.police.uk/policy"})).await, 201)
            .await;
        let download = self
            .app
            .get(
                &format!("/v1/evidence/{}/content", document["id"].as_str().unwrap()),
                Some(&self.mps),
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
        (self.milestone, self.document, self.link) = (milestone, document, link);
    }

    /// A claim on `id`, citing `evidence`, naming `version` in `If-Match`.
    fn claim(&self, id: &str, evidence: &Value, version: &str) -> reqwest::RequestBuilder {
        self.app
            .request(
                Method::POST,
                &format!("/v1/assignments/{id}/claim"),
                Some(&self.mps),
            )
            .header("If-Match", version.to_owned())
            .json(&json!({"summary": "Implemented.", "evidence_ids": [evidence["id"]]}))
    }

    /// A review of `id`, naming `version` in `If-Match`.
    fn review(&self, id: &str, version: &str, body: Value) -> reqwest::RequestBuilder {
        self.app
            .request(
                Method::POST,
                &format!("/v1/assignments/{id}/reviews"),
                Some(&self.iopc),
            )
            .header("If-Match", version.to_owned())
            .json(&body)
    }

    async fn it_reports_progress_and_claims_both(&mut self) {
        let (first, second) = (self.assignments[0].clone(), self.assignments[1].clone());
        let (milestone, document, link) = (
            self.milestone.clone(),
            self.document.clone(),
            self.link.clone(),
        );
        let update = json!({"narrative": "Commitment published.", "milestone_ids": [milestone["id"]], "evidence_ids": [document["id"]]});
        self.writes
            .expect(
                self.app
                    .post(
                        &format!("/v1/assignments/{first}/updates"),
                        Some(&self.mps),
                        &update,
                    )
                    .await,
                201,
            )
            .await;
        let claimed = self
            .writes
            .expect(
                self.claim(&first, &document, "\"5\"").send().await.unwrap(),
                200,
            )
            .await;
        assert_eq!(claimed["assignment"]["status"], "implementation_claimed");
        self.writes
            .expect(
                self.claim(&second, &link, "\"4\"").send().await.unwrap(),
                200,
            )
            .await;
    }

    async fn the_iopc_returns_one_claim_and_verifies_the_other(&mut self) {
        let (first, second) = (self.assignments[0].clone(), self.assignments[1].clone());
        let returned = self
            .writes
            .expect(
                self.review(
                    &second,
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
        self.writes
            .expect(
                self.review(&first, "\"6\"", json!({"outcome": "verified"}))
                    .send()
                    .await
                    .unwrap(),
                200,
            )
            .await;
    }

    async fn the_mps_posts_more_claims_again_and_is_verified(&mut self) {
        let (second, link) = (self.assignments[1].clone(), self.link.clone());
        self.writes
            .expect(
                self.app
                    .post(
                        &format!("/v1/assignments/{second}/updates"),
                        Some(&self.mps),
                        &json!({"narrative": "Training now covers the policy."}),
                    )
                    .await,
                201,
            )
            .await;
        self.writes
            .expect(
                self.claim(&second, &link, "\"7\"").send().await.unwrap(),
                200,
            )
            .await;
        let verified = self
            .writes
            .expect(
                self.review(&second, "\"8\"", json!({"outcome": "verified"}))
                    .send()
                    .await
                    .unwrap(),
                200,
            )
            .await;
        assert_eq!(verified["assignment"]["status"], "verified");
    }

    async fn a_verified_assignment_refuses_a_second_claim(&mut self) {
        let (second, link) = (&self.assignments[1], &self.link);
        let refused = problem(self.claim(second, link, "\"9\"").send().await.unwrap(), 409).await;
        assert_eq!(refused["current_status"], "verified");
        assert_eq!(refused["allowed"], json!([]));
    }

    async fn the_status_report_shows_exactly_what_happened(&mut self) {
        let report: Value = self
            .app
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
        let csv = self
            .app
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
        let markdown = self
            .app
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
    }

    async fn the_chain_holds_one_event_per_change(&mut self) {
        let second = &self.assignments[1];
        assert_eq!(self.app.chain_length().await, self.writes.0);
        let history: Value = self
            .app
            .get(
                &format!("/v1/assignments/{second}/history"),
                Some(&self.mps),
            )
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
    }
}
