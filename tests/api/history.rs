//! Facts entered as they happened: backfills over HTTP, who may make them,
//! and the status report on both time lines.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, problem};

fn backfill(body: Value) -> Value {
    let mut body = body;
    body["occurred_on"] = json!("2022-04-08");
    body["occurred_on_precision"] = json!("on_or_before");
    body["source"] = json!({"text": "IOPC news release, 8 April 2022", "url": "https://www.policeconduct.gov.uk/news"});
    body
}

#[tokio::test]
async fn the_overseer_enters_the_record_and_reports_read_it_on_either_time_line() {
    let app = TestApp::spawn().await;
    let fixture = app.open_assignment().await;
    let path = format!("/v1/assignments/{}/response", fixture.assignment);
    let accept = json!({"decision": "accepted", "rationale": "Accepted in full."});
    let put = |token: &str, body: &Value| {
        app.request(Method::PUT, &path, Some(token))
            .header("If-Match", "\"1\"")
            .json(body)
            .send()
    };
    let chain = app.chain_length().await;

    // A force may not date its own response in the past.
    let refused = problem(
        put(&fixture.mps, &backfill(accept.clone())).await.unwrap(),
        403,
    )
    .await;
    assert!(
        refused["detail"].as_str().unwrap().contains("backfill"),
        "{refused}"
    );
    // A backfill cites its source; nothing is dated after today.
    let mut unsourced = backfill(accept.clone());
    unsourced["source"] = Value::Null;
    let invalid = problem(put(&app.overseer, &unsourced).await.unwrap(), 422).await;
    assert_eq!(invalid["errors"][0]["field"], "source", "{invalid}");
    let mut tomorrow = accept.clone();
    tomorrow["occurred_on"] = json!("2999-01-01");
    let invalid = problem(put(&fixture.mps, &tomorrow).await.unwrap(), 422).await;
    assert_eq!(invalid["errors"][0]["field"], "occurred_on", "{invalid}");
    assert_eq!(app.chain_length().await, chain, "refusals write nothing");

    // The overseer enters it, on the force's behalf.
    let entered = put(&app.overseer, &backfill(accept.clone())).await.unwrap();
    assert_eq!(entered.status(), 200);
    let entered: Value = entered.json().await.unwrap();
    let response = &entered["response"];
    assert_eq!(response["submitted_by"], "mps");
    assert_eq!(response["occurred_on"], "2022-04-08");
    assert_eq!(response["occurred_on_precision"], "on_or_before");
    assert_eq!(response["backfilled"], true);
    assert_eq!(
        response["source"]["text"],
        "IOPC news release, 8 April 2022"
    );
    assert_eq!(entered["first_response_on"], "2022-04-08");
    // Due in 2099: a bound before it still proves the response on time.
    assert_eq!(entered["response_timing"], "on_time");

    // The history shows it as a backfill.
    let history: Value = app
        .get(
            &format!("/v1/assignments/{}/history", fixture.assignment),
            Some(&app.overseer),
        )
        .await
        .json()
        .await
        .unwrap();
    let submitted = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "response.submitted")
        .unwrap();
    assert_eq!(
        submitted["payload"]["response"]["occurred_on"],
        "2022-04-08"
    );
    assert_eq!(submitted["actor"]["role"], "overseer");

    // As it happened, the response had come by 8 April 2022; as recorded,
    // nothing was known then.
    let status = async |query: &str| -> Value {
        let response = app
            .get(&format!("/v1/status?recommendations=false&{query}"), None)
            .await;
        assert_eq!(response.status(), 200, "{query}");
        response.json().await.unwrap()
    };
    let happened = status("as_of=2022-04-08&basis=occurred").await;
    assert_eq!(happened["basis"], "occurred");
    assert_eq!(happened["totals"]["by_status"]["accepted"], 1);
    assert_eq!(happened["totals"]["days_to_response_unknown"], 1);
    let before = status("as_of=2022-04-07&basis=occurred").await;
    assert_eq!(before["totals"]["by_status"]["awaiting_response"], 1);
    let recorded = status("as_of=2022-04-08").await;
    assert_eq!(recorded["basis"], "recorded");
    assert_eq!(recorded["totals"]["assignments"], 0);

    // An unknown basis is refused with a problem document naming it.
    let bad = app.get("/v1/status?basis=sometimes", None).await;
    let bad = problem(bad, 422).await;
    assert_eq!(bad["errors"][0]["field"], "basis", "{bad}");
    app.stop().await;
}
