//! Publication of responses: a response's decision is public at once, its
//! text only once the overseer publishes it or 21 days after it was given,
//! unless withheld; a redacted text may be published instead. Each case
//! checks the API's published view, the token holders' view, the web page
//! and the export.

use chrono::{Days, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, organisation, problem, token};
use rectrack_core::organisation::OrganisationKind;
use rectrack_core::role::Role;

const TEXT: &str = "We accept it; the names of the officers concerned are in annex B.";

async fn assignment(app: &TestApp, id: &str, token: Option<&str>) -> Value {
    let response = app.get(&format!("/v1/assignments/{id}"), token).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn decide(app: &TestApp, id: &str, token: Option<&str>, body: Value) -> reqwest::Response {
    app.request(
        Method::POST,
        &format!("/v1/assignments/{id}/response/publication"),
        token,
    )
    .json(&body)
    .send()
    .await
    .unwrap()
}

/// The recommendation page of the assignment `id`, as anyone reads it.
async fn page(app: &TestApp, id: &str) -> String {
    let a = assignment(app, id, None).await;
    let path = format!(
        "/recommendations/{}",
        a["recommendation_id"].as_str().unwrap()
    );
    app.get(&path, None).await.text().await.unwrap()
}

/// An assignment of the test report, answered by the MPS with `TEXT`.
async fn answered(app: &TestApp) -> (String, String) {
    let fixture = app.open_assignment().await;
    let response = app
        .request(Method::PUT, &format!("/v1/assignments/{}/response", fixture.assignment), Some(&fixture.mps))
        .header("If-Match", "\"1\"")
        .json(&json!({"decision": "accepted", "rationale": TEXT, "planned_completion_on": "2099-12-31"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    (fixture.assignment, fixture.mps)
}

#[tokio::test]
async fn a_response_text_is_hidden_from_the_public_until_it_is_published() {
    let app = TestApp::spawn().await;
    let (id, mps) = answered(&app).await;
    organisation(
        &app.store,
        "kent",
        "Kent Police",
        OrganisationKind::PoliceForce,
    )
    .await;
    let kent = token(&app.store, "kent", Role::Recipient).await;
    let due = (Utc::now().date_naive() + Days::new(21)).to_string();
    for viewer in [None, Some(kent.as_str())] {
        let seen = assignment(&app, &id, viewer).await;
        assert_eq!(seen["status"], "accepted", "the decision is public at once");
        assert_eq!(seen["response"]["decision"], "accepted");
        assert_eq!(seen["response"]["rationale"], Value::Null);
        assert_eq!(seen["response"]["publication"]["state"], "pending");
        assert_eq!(seen["response"]["publication"]["publish_by"], due.as_str());
    }
    for viewer in [&mps, &app.overseer] {
        let seen = assignment(&app, &id, Some(viewer)).await;
        assert_eq!(seen["response"]["rationale"], TEXT);
    }
    let list: Value = app
        .get("/v1/recommendations?report=op-test", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["items"][0]["assignments"][0]["response"]["rationale"],
        Value::Null
    );
    assert!(!page(&app, &id).await.contains("annex B"));
    let export = app
        .get("/v1/exports?format=csv", None)
        .await
        .text()
        .await
        .unwrap();
    assert!(!export.contains("annex B"), "the export shows the text");
    let exported = app
        .get("/v1/exports?format=csv", Some(&app.overseer))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        exported.contains("annex B"),
        "the overseer's export lacks it"
    );
}

#[tokio::test]
async fn the_overseer_withholds_then_publishes_a_redacted_text_then_the_whole() {
    let app = TestApp::spawn().await;
    let (id, _) = answered(&app).await;
    let version = assignment(&app, &id, None).await["version"]
        .as_i64()
        .unwrap();

    let withheld = decide(
        &app,
        &id,
        Some(&app.overseer),
        json!({"action": "withhold", "reason": "It names officers under investigation."}),
    )
    .await;
    assert_eq!(withheld.status(), 200);
    let seen = assignment(&app, &id, None).await;
    assert_eq!(
        seen["version"].as_i64().unwrap(),
        version + 1,
        "what the public reads changed"
    );
    assert_eq!(seen["response"]["publication"]["state"], "withheld");
    assert_eq!(
        seen["response"]["publication"]["reason"],
        "It names officers under investigation."
    );
    assert_eq!(seen["response"]["rationale"], Value::Null);
    let html = page(&app, &id).await;
    assert!(html.contains("withheld the text of this response"));
    assert!(html.contains("It names officers under investigation."));
    assert!(!html.contains("annex B"));

    let redacted = decide(&app, &id, Some(&app.overseer), json!({"action": "publish_redacted", "text": "We accept it.", "reason": "Officers' names are removed."})).await;
    assert_eq!(redacted.status(), 200);
    let seen = assignment(&app, &id, None).await;
    assert_eq!(seen["response"]["publication"]["state"], "redacted");
    assert_eq!(seen["response"]["rationale"], "We accept it.");
    let html = page(&app, &id).await;
    assert!(html.contains("We accept it.") && html.contains("with parts withheld"));
    assert!(!html.contains("annex B"));

    let published = decide(&app, &id, Some(&app.overseer), json!({"action": "publish"})).await;
    assert_eq!(published.status(), 200);
    let seen = assignment(&app, &id, None).await;
    assert_eq!(seen["response"]["publication"]["state"], "published");
    assert_eq!(seen["response"]["rationale"], TEXT);
    assert!(page(&app, &id).await.contains("annex B"));

    let events: Value = app
        .get("/v1/audit/events?limit=500", Some(&app.overseer))
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .filter(|a| a.starts_with("response."))
        .collect();
    assert_eq!(
        actions,
        [
            "response.submitted",
            "response.withheld",
            "response.published_redacted",
            "response.published"
        ]
    );
}

#[tokio::test]
async fn only_the_overseer_decides_and_bad_decisions_change_nothing() {
    let app = TestApp::spawn().await;
    let fixture = app.open_assignment().await;
    let id = fixture.assignment.clone();
    // No response yet: nothing to publish.
    let nothing = decide(&app, &id, Some(&app.overseer), json!({"action": "publish"})).await;
    problem(nothing, 409).await;
    let (answered_id, mps) = {
        let response = app
            .request(
                Method::PUT,
                &format!("/v1/assignments/{id}/response"),
                Some(&fixture.mps),
            )
            .header("If-Match", "\"1\"")
            .json(&json!({"decision": "not_accepted", "rationale": TEXT}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        (id.clone(), fixture.mps.clone())
    };
    let length = app.chain_length().await;
    problem(
        decide(&app, &answered_id, None, json!({"action": "publish"})).await,
        401,
    )
    .await;
    problem(
        decide(&app, &answered_id, Some(&mps), json!({"action": "publish"})).await,
        403,
    )
    .await;
    for (body, field) in [
        (json!({"action": "withhold"}), "reason"),
        (
            json!({"action": "publish_redacted", "reason": "Names."}),
            "text",
        ),
        (json!({"action": "publish", "text": "Other words."}), "text"),
        (json!({"action": "withhold", "reason": "  "}), "reason"),
    ] {
        let refused = problem(
            decide(&app, &answered_id, Some(&app.overseer), body.clone()).await,
            422,
        )
        .await;
        assert_eq!(refused["errors"][0]["field"], field, "{body}");
    }
    let stale = app
        .request(
            Method::POST,
            &format!("/v1/assignments/{answered_id}/response/publication"),
            Some(&app.overseer),
        )
        .header("If-Match", "\"1\"")
        .json(&json!({"action": "publish"}))
        .send()
        .await
        .unwrap();
    problem(stale, 412).await;
    assert_eq!(
        app.chain_length().await,
        length,
        "a refused decision is not recorded"
    );
    assert_eq!(
        assignment(&app, &answered_id, None).await["response"]["publication"]["state"],
        "pending"
    );
}

#[tokio::test]
async fn a_text_given_21_days_ago_is_public_by_itself_and_the_pending_are_listed_soonest_first() {
    let app = TestApp::spawn().await;
    app.add_mps().await;
    let report = json!({"slug": "op-test", "title": "Test report", "issued_by": "iopc", "published_on": "2022-01-01"});
    assert_eq!(
        app.post("/v1/reports", Some(&app.overseer), &report)
            .await
            .status(),
        201
    );
    let today = Utc::now().date_naive();
    let mut ids = Vec::new();
    for number in 1..=3 {
        let recommendation = json!({"number": number, "title": format!("Recommendation {number}"), "body": "Do it.", "themes": [], "recipients": ["mps"], "issued_on": "2022-02-01", "response_due_on": "2099-12-31"});
        let created: Value = app
            .post(
                "/v1/reports/op-test/recommendations",
                Some(&app.overseer),
                &recommendation,
            )
            .await
            .json()
            .await
            .unwrap();
        ids.push(created["assignments"][0]["id"].as_str().unwrap().to_owned());
    }
    // Given 21 days ago and 10 days ago (entered by the overseer from the
    // record), and today (by the MPS).
    let mps = token(&app.store, "mps", Role::Recipient).await;
    for (id, days_ago) in ids.iter().zip([21_u64, 10, 0]) {
        let given = today - Days::new(days_ago);
        let mut body = json!({"decision": "accepted", "rationale": format!("Given {days_ago} days ago."), "planned_completion_on": "2099-12-31"});
        let by = if days_ago == 0 {
            &mps
        } else {
            body["occurred_on"] = json!(given.to_string());
            body["source"] = json!({"text": "The force's letter"});
            &app.overseer
        };
        let response = app
            .request(
                Method::PUT,
                &format!("/v1/assignments/{id}/response"),
                Some(by),
            )
            .header("If-Match", "\"1\"")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }
    let old = assignment(&app, &ids[0], None).await;
    assert_eq!(old["response"]["publication"]["state"], "published");
    assert_eq!(old["response"]["publication"]["since"], today.to_string());
    assert_eq!(old["response"]["rationale"], "Given 21 days ago.");

    let listed: Value = app
        .get("/v1/responses/awaiting-publication", Some(&app.overseer))
        .await
        .json()
        .await
        .unwrap();
    let order: Vec<(&str, &str)> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["assignment_id"].as_str().unwrap(),
                i["publish_by"].as_str().unwrap(),
            )
        })
        .collect();
    let in_11 = (today + Days::new(11)).to_string();
    let in_21 = (today + Days::new(21)).to_string();
    assert_eq!(
        order,
        [
            (ids[1].as_str(), in_11.as_str()),
            (ids[2].as_str(), in_21.as_str())
        ]
    );
    // Paged one at a time, the same order.
    let first: Value = app
        .get(
            "/v1/responses/awaiting-publication?limit=1",
            Some(&app.overseer),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["items"][0]["assignment_id"], ids[1].as_str());
    let cursor = first["next_cursor"].as_str().unwrap();
    let second: Value = app
        .get(
            &format!("/v1/responses/awaiting-publication?limit=1&cursor={cursor}"),
            Some(&app.overseer),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["items"][0]["assignment_id"], ids[2].as_str());
    assert_eq!(second["next_cursor"], Value::Null);
    // A decision takes it off the list.
    assert_eq!(
        decide(
            &app,
            &ids[1],
            Some(&app.overseer),
            json!({"action": "withhold", "reason": "Personal data."})
        )
        .await
        .status(),
        200
    );
    let listed: Value = app
        .get("/v1/responses/awaiting-publication", Some(&app.overseer))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    // Only the overseer reads the list.
    problem(
        app.get("/v1/responses/awaiting-publication", Some(&mps))
            .await,
        403,
    )
    .await;
    problem(
        app.get("/v1/responses/awaiting-publication", None).await,
        401,
    )
    .await;
}
