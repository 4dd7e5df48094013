//! The HTTP conventions of the contract: request ids, idempotent retries,
//! cursor pages, ETags, and a shutdown that lets requests in flight finish.

use crate::helpers::{Fixture, TestApp, organisation, problem};
use rectrack_core::organisation::OrganisationKind;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn every_response_carries_a_request_id_and_a_sane_one_is_kept() {
    let app = TestApp::spawn().await;
    for path in ["/healthz", "/v1/organisations", "/v1/nowhere"] {
        let response = app.get(path, None).await;
        let id = response
            .headers()
            .get("x-request-id")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{path}: {id}");
    }
    let echoed = app
        .request(Method::GET, "/healthz", None)
        .header("x-request-id", "trace-42")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers().get("x-request-id").unwrap(), "trace-42");
    let replaced = app
        .request(Method::GET, "/healthz", None)
        .header("x-request-id", "<script>")
        .send()
        .await
        .unwrap();
    assert_ne!(replaced.headers().get("x-request-id").unwrap(), "<script>");
    app.stop().await;
}

#[tokio::test]
async fn a_retried_post_with_its_idempotency_key_is_answered_once() {
    let app = TestApp::spawn().await;
    let body = json!({"code": "gmp", "name": "Greater Manchester Police", "kind": "police_force"});
    let send = |body: &Value| {
        app.request(Method::POST, "/v1/organisations", Some(&app.overseer))
            .header("Idempotency-Key", "create-gmp")
            .json(body)
            .send()
    };
    let first = send(&body).await.unwrap();
    assert_eq!(first.status(), 201);
    let location = first.headers().get("location").unwrap().clone();
    let first: Value = first.json().await.unwrap();
    let length = app.chain_length().await;
    let again = send(&body).await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers().get("location").unwrap(), &location);
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert_eq!(
        app.chain_length().await,
        length,
        "the replay appended nothing"
    );
    let other = json!({"code": "gmp2", "name": "Another", "kind": "police_force"});
    let refused = problem(send(&other).await.unwrap(), 422).await;
    assert_eq!(
        refused["type"],
        "urn:rectrack:problem:idempotency-key-reused"
    );
    // Token secrets are never kept, so token creation takes no key.
    let token = app
        .request(Method::POST, "/v1/tokens", Some(&app.overseer))
        .header("Idempotency-Key", "t1")
        .json(&json!({"organisation": "gmp", "role": "recipient"}))
        .send()
        .await
        .unwrap();
    problem(token, 422).await;
    app.stop().await;
}

#[tokio::test]
async fn cursors_walk_every_item_once() {
    let app = TestApp::spawn().await;
    for n in 0..7 {
        organisation(
            &app.store,
            &format!("force-{n}"),
            &format!("Force {n}"),
            OrganisationKind::PoliceForce,
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut path = "/v1/organisations?limit=3".to_owned();
    loop {
        let page: Value = app.get(&path, None).await.json().await.unwrap();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(items.iter().map(|o| o["code"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/organisations?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    let mut expected: Vec<String> = (0..7).map(|n| format!("force-{n}")).collect();
    expected.push("iopc".to_owned());
    assert_eq!(seen, expected);
    app.stop().await;
}

#[tokio::test]
async fn shutdown_lets_a_request_in_flight_finish() {
    let app = TestApp::spawn().await;
    let Fixture {
        assignment: id,
        mps,
    } = app.accepted_assignment().await;

    // A statement whose body arrives in two halves, the second after shutdown begins.
    let body = serde_json::to_vec(
        &json!({"kind": "statement", "title": "Statement", "text": "We did it."}),
    )
    .unwrap();
    let (first_half, second_half) = body.split_at(body.len() / 2);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    tx.send(Ok(first_half.to_vec())).await.unwrap();
    let request = app
        .request(
            Method::POST,
            &format!("/v1/assignments/{id}/evidence"),
            Some(&mps),
        )
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(tokio_stream(rx)))
        .send();
    let in_flight = tokio::spawn(request);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let store = app.store.clone();
    let stopping = tokio::spawn(app.stop());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    tx.send(Ok(second_half.to_vec())).await.unwrap();
    drop(tx);
    let response = in_flight.await.unwrap().unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    stopping.await.unwrap();
    assert_eq!(
        store
            .evidence_of(id.parse::<uuid::Uuid>().unwrap().into())
            .await
            .unwrap()
            .len(),
        1
    );
}

fn tokio_stream(
    mut rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

#[tokio::test]
async fn a_status_report_read_again_after_a_write_shows_the_write() {
    let app = TestApp::spawn().await;
    app.add_mps().await;
    let totals = |body: Value| body["totals"]["assignments"].as_u64().unwrap();
    let read = |path: &'static str| {
        let app = &app;
        async move { app.get(path, None).await.json::<Value>().await.unwrap() }
    };
    assert_eq!(totals(read("/v1/status").await), 0);
    assert_eq!(
        totals(read("/v1/status").await),
        0,
        "served again as rendered"
    );
    let report = json!({"slug": "op-test", "title": "Test report", "issued_by": "iopc", "published_on": "2024-01-10", "url": "https://example.org/op-test", "summary": "A test report."});
    assert_eq!(
        app.post("/v1/reports", Some(&app.overseer), &report)
            .await
            .status(),
        201
    );
    let recommendation = json!({"number": 1, "title": "Publish a plan", "body": "Publish a plan.", "themes": ["culture"], "recipients": ["mps"], "issued_on": "2024-01-10", "legal_basis": "para_28a"});
    assert_eq!(
        app.post(
            "/v1/reports/op-test/recommendations",
            Some(&app.overseer),
            &recommendation
        )
        .await
        .status(),
        201
    );
    let after = read("/v1/status").await;
    assert_eq!(totals(after.clone()), 1);
    assert_eq!(
        after["recommendations"][0]["recipients"][0]["status"],
        "awaiting_response"
    );
    assert_eq!(totals(read("/v1/status?recommendations=false").await), 1);
    app.stop().await;
}

#[tokio::test]
async fn the_status_report_is_served_in_the_format_accept_prefers() {
    let app = TestApp::spawn().await;
    let cases = [
        ("text/csv;q=0.4, text/markdown;q=0.9", "text/markdown"),
        ("application/json;q=0, */*", "text/csv"),
        ("*/*", "application/json"),
    ];
    for (accept, expected) in cases {
        let response = app
            .request(Method::GET, "/v1/status", None)
            .header("Accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{accept}");
        let content_type = response.headers()["content-type"].to_str().unwrap();
        assert!(
            content_type.starts_with(expected),
            "{accept}: {content_type}"
        );
    }
    let refused = app
        .request(Method::GET, "/v1/status", None)
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    let refused = problem(refused, 406).await;
    assert_eq!(refused["type"], "urn:rectrack:problem:not-acceptable");
    app.stop().await;
}
