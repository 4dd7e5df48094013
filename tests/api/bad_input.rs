//! A catalogue of bad input. Each request gets a 4xx problem document that
//! names what is wrong and leaks nothing of the server's insides; after the
//! whole catalogue, the audit chain and every stored row are unchanged.

use crate::helpers::{Fixture, TestApp, problem};
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

/// Everything a client can read, to compare before and after.
async fn everything(app: &TestApp, token: &str, assignment: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    for path in [
        "/v1/organisations".to_owned(),
        "/v1/reports".to_owned(),
        "/v1/recommendations".to_owned(),
        "/v1/assignments".to_owned(),
        "/v1/tokens".to_owned(),
        format!("/v1/assignments/{assignment}/milestones"),
        format!("/v1/assignments/{assignment}/evidence"),
        format!("/v1/assignments/{assignment}/updates"),
        "/v1/audit/verify".to_owned(),
    ] {
        seen.push(app.get(&path, Some(token)).await.json().await.unwrap());
    }
    seen
}

/// Words that would betray SQL, file paths or stack traces in a response.
const LEAKS: [&str; 9] = [
    "SELECT ",
    "INSERT ",
    "sqlx",
    "sea_orm",
    "panicked",
    ".rs:",
    "/root/",
    "/home/",
    "stack backtrace",
];

#[tokio::test]
async fn every_bad_request_gets_a_problem_document_and_changes_nothing() {
    let app = TestApp::spawn_with(|state| state.upload_limit = 1024).await;
    let Fixture { assignment: a, mps } = app.accepted_assignment().await;
    let iopc = app.overseer.clone();
    let accept =
        json!({"decision": "accepted", "rationale": "Yes.", "planned_completion_on": "2099-12-31"});

    let before = everything(&app, &iopc, &a).await;
    let length = app.chain_length().await;

    let raw = |method: Method,
               path: &str,
               token: &str,
               content_type: &str,
               body: Vec<u8>|
     -> RequestBuilder {
        app.request(method, path, Some(token))
            .header("content-type", content_type.to_owned())
            .body(body)
    };
    let json_to = |method: Method, path: &str, token: &str, body: Value| -> RequestBuilder {
        app.request(method, path, Some(token)).json(&body)
    };
    let upload = |filename: &str, bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new()
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes)
                    .file_name(filename.to_owned())
                    .mime_str("application/pdf")
                    .unwrap(),
            )
            .text("title", "A file");
        app.request(
            Method::POST,
            &format!("/v1/assignments/{a}/evidence"),
            Some(&mps),
        )
        .multipart(form)
    };
    let org = "/v1/organisations";
    let recs = "/v1/reports/op-test/recommendations";
    let evidence = format!("/v1/assignments/{a}/evidence");
    let respond = format!("/v1/assignments/{a}/response");
    let long = "x".repeat(201);
    let huge = format!(
        "{{\"code\":\"big\",\"name\":\"{}\",\"kind\":\"other\"}}",
        "x".repeat(2 * 1024 * 1024)
    );

    // what, request, status, the field the problem must name (if any)
    #[rustfmt::skip]
    let catalogue: Vec<(&str, RequestBuilder, u16, Option<&str>)> = vec![
        ("malformed JSON",            raw(Method::POST, org, &iopc, "application/json", b"{\"code\": ".to_vec()), 400, None),
        ("invalid UTF-8",             raw(Method::POST, org, &iopc, "application/json", vec![b'"', 0xff, 0xfe, b'"']), 400, None),
        ("wrong content type",        raw(Method::POST, org, &iopc, "text/plain", b"code=mps".to_vec()), 415, None),
        ("wrong type",                json_to(Method::POST, org, &iopc, json!({"code": 5, "name": "Five", "kind": "other"})), 422, None),
        ("unknown enum value",        json_to(Method::POST, org, &iopc, json!({"code": "gmp", "name": "GMP", "kind": "constabulary"})), 422, None),
        ("missing field",             json_to(Method::POST, org, &iopc, json!({"code": "gmp", "kind": "police_force"})), 422, None),
        ("unknown field",             json_to(Method::POST, org, &iopc, json!({"code": "gmp", "name": "GMP", "kind": "other", "admin": true})), 422, None),
        ("bad slug",                  json_to(Method::POST, org, &iopc, json!({"code": "Not A Code", "name": "X", "kind": "other"})), 422, Some("code")),
        ("over-long title",           json_to(Method::POST, recs, &iopc, json!({"number": 2, "title": long, "body": "B", "recipients": ["mps"], "issued_on": "2099-01-01"})), 422, Some("title")),
        ("negative number",           json_to(Method::POST, recs, &iopc, json!({"number": -1, "title": "T", "body": "B", "recipients": ["mps"], "issued_on": "2099-01-01"})), 422, Some("number")),
        ("huge number",               json_to(Method::POST, recs, &iopc, json!({"number": 1e30, "title": "T", "body": "B", "recipients": ["mps"], "issued_on": "2099-01-01"})), 422, None),
        ("impossible date",           json_to(Method::POST, recs, &iopc, json!({"number": 2, "title": "T", "body": "B", "recipients": ["mps"], "issued_on": "2022-02-30"})), 422, None),
        ("date in another format",    json_to(Method::POST, recs, &iopc, json!({"number": 2, "title": "T", "body": "B", "recipients": ["mps"], "issued_on": "01/02/2022"})), 422, None),
        ("year 9999",                 json_to(Method::POST, recs, &iopc, json!({"number": 2, "title": "T", "body": "B", "recipients": ["mps"], "issued_on": "9999-12-31"})), 422, None),
        ("year 0",                    json_to(Method::POST, recs, &iopc, json!({"number": 2, "title": "T", "body": "B", "recipients": ["mps"], "issued_on": "0000-01-01"})), 422, None),
        ("due after year 2999",       json_to(Method::POST, recs, &iopc, json!({"number": 2, "title": "T", "body": "B", "recipients": ["mps"], "issued_on": "2999-12-30"})), 422, Some("issued_on")),
        ("bidi override in title",    json_to(Method::POST, recs, &iopc, json!({"number": 2, "title": "T\u{202E}txt.exe", "body": "B", "recipients": ["mps"], "issued_on": "2099-01-01"})), 422, Some("title")),
        ("zero width space in body",  json_to(Method::POST, recs, &iopc, json!({"number": 2, "title": "T", "body": "B\u{200B}x", "recipients": ["mps"], "issued_on": "2099-01-01"})), 422, Some("body")),
        ("duplicate JSON key",        raw(Method::POST, org, &iopc, "application/json", br#"{"code": "a1", "code": "a2", "name": "A", "kind": "other"}"#.to_vec()), 400, None),
        ("due before issue",          json_to(Method::POST, recs, &iopc, json!({"number": 2, "title": "T", "body": "B", "recipients": ["mps"], "issued_on": "2099-01-01", "response_due_on": "2098-01-01"})), 422, Some("response_due_on")),
        ("javascript: URL",           json_to(Method::POST, &evidence, &mps, json!({"kind": "link", "title": "X", "url": "javascript:alert(1)"})), 422, Some("url")),
        ("file: URL",                 json_to(Method::POST, &evidence, &mps, json!({"kind": "link", "title": "X", "url": "file:///etc/passwd"})), 422, Some("url")),
        ("report URL not http",       json_to(Method::POST, "/v1/reports", &iopc, json!({"slug": "r2", "title": "R", "issued_by": "iopc", "published_on": "2022-02-01", "url": "javascript:alert(1)"})), 422, Some("url")),
        ("path traversal filename",   upload("../../etc/passwd", b"x".to_vec()), 422, Some("filename")),
        // A control character breaks the part's header itself: malformed.
        ("control character filename", upload("re\u{7}port.pdf", b"x".to_vec()), 400, None),
        ("disguised extension",       upload("invoice\u{202E}fdp.exe", b"x".to_vec()), 422, Some("filename")),
        ("upload over the limit",     upload("big.pdf", vec![b'x'; 2048]), 413, None),
        ("body over the limit",       raw(Method::POST, org, &iopc, "application/json", huge.clone().into_bytes()), 413, None),
        // Without Content-Length the body is counted as it streams in.
        ("chunked body over the limit", raw(Method::POST, org, &iopc, "application/json", Vec::new())
                                          .body(reqwest::Body::wrap_stream(futures::stream::iter(
                                              huge.into_bytes().chunks(64 * 1024).map(|c| Ok::<_, std::io::Error>(c.to_vec())).collect::<Vec<_>>(),
                                          ))), 413, None),
        ("limit too large",           app.request(Method::GET, "/v1/organisations?limit=100000", Some(&iopc)), 422, Some("limit")),
        ("limit negative",            app.request(Method::GET, "/v1/organisations?limit=-5", Some(&iopc)), 422, Some("limit")),
        ("cursor not ours",           app.request(Method::GET, "/v1/organisations?cursor=%%%", Some(&iopc)), 422, None),
        ("as_of in year 9999",        app.request(Method::GET, "/v1/status?as_of=9999-01-01", Some(&iopc)), 422, None),
        ("unknown status filter",     app.request(Method::GET, "/v1/assignments?status=bogus", Some(&iopc)), 422, None),
        ("as_of not a date",          app.request(Method::GET, "/v1/status?as_of=yesterday", Some(&iopc)), 422, None),
        ("bad theme filter",          app.request(Method::GET, "/v1/status?theme=Not%20A%20Slug", Some(&iopc)), 422, Some("theme")),
        ("overdue not a boolean",     app.request(Method::GET, "/v1/assignments?overdue=maybe", Some(&iopc)), 422, None),
        ("id not a UUID",             app.request(Method::GET, "/v1/assignments/not-a-uuid", Some(&iopc)), 400, None),
        ("unknown id",                app.request(Method::GET, "/v1/assignments/00000000-0000-0000-0000-000000000000", Some(&iopc)), 404, None),
        ("unknown path",              app.request(Method::GET, "/v1/nothing-here", Some(&iopc)), 404, None),
        ("wrong method",              app.request(Method::DELETE, "/v1/organisations", Some(&iopc)), 405, None),
        ("missing If-Match",          json_to(Method::PUT, &respond, &mps, accept.clone()), 428, None),
        ("stale If-Match",            json_to(Method::PUT, &respond, &mps, accept.clone()).header("If-Match", "\"1\""), 412, None),
        ("If-Match not a version",    json_to(Method::PUT, &respond, &mps, accept.clone()).header("If-Match", "\"abc\""), 412, None),
        ("If-Match not an entity tag", json_to(Method::PUT, &respond, &mps, accept.clone()).header("If-Match", "abc"), 400, None),
        ("If-Match a list of tags",   json_to(Method::PUT, &respond, &mps, accept.clone()).header("If-Match", "\"1\", \"2\""), 400, None),
        ("claim citing nothing",      json_to(Method::POST, &format!("/v1/assignments/{a}/claim"), &mps, json!({"summary": "Done", "evidence_ids": []})).header("If-Match", "\"2\""), 422, Some("evidence_ids")),
        ("empty rationale",           json_to(Method::PUT, &respond, &mps, json!({"decision": "accepted", "rationale": " ", "planned_completion_on": "2099-12-31"})).header("If-Match", "\"2\""), 422, Some("rationale")),
        ("over-long Idempotency-Key", json_to(Method::POST, org, &iopc, json!({"code": "gmp", "name": "GMP", "kind": "other"})).header("Idempotency-Key", "k".repeat(300)), 422, Some("Idempotency-Key")),
        ("non-ASCII Idempotency-Key", json_to(Method::POST, org, &iopc, json!({"code": "gmp", "name": "GMP", "kind": "other"}))
                                          .header("Idempotency-Key", reqwest::header::HeaderValue::from_bytes(b"cl\xc3\xa9").unwrap()), 422, Some("Idempotency-Key")),
        ("non-ASCII If-Match",        json_to(Method::PUT, &respond, &mps, json!({"decision": "accepted"}))
                                          .header("If-Match", reqwest::header::HeaderValue::from_bytes(b"\"\xc3\xa9\"").unwrap()), 400, None),
        ("malformed Authorization",   app.request(Method::GET, "/v1/organisations", None).header("Authorization", "Basic abc"), 401, None),
    ];
    let count = catalogue.len();
    for (what, request, status, field) in catalogue {
        let response = request.send().await.unwrap();
        let got = response.status().as_u16();
        assert_eq!(got, status, "{what}: got {got}, want {status}");
        let body = problem(response, status).await;
        let text = body.to_string();
        for leak in LEAKS {
            assert!(
                !text.contains(leak),
                "{what}: the problem leaks `{leak}`: {text}"
            );
        }
        if let Some(field) = field {
            let none = Vec::new();
            let fields: Vec<&str> = body["errors"]
                .as_array()
                .unwrap_or(&none)
                .iter()
                .map(|e| e["field"].as_str().unwrap_or_default())
                .collect();
            assert!(
                fields.contains(&field),
                "{what}: the problem names {fields:?}, not `{field}`: {body}"
            );
        }
    }
    assert!(count >= 35);
    assert_eq!(
        everything(&app, &iopc, &a).await,
        before,
        "nothing stored changed"
    );
    assert_eq!(app.chain_length().await, length, "no event was appended");
    app.stop().await;
}
