//! Hostile and careless clients, one test per attack: each names what it
//! guards and asserts a bound (bytes left on disk, memory, connections
//! closed, statuses), never a timing.

use std::time::Duration;

use crate::helpers::{Fixture, TestApp, problem, token};
use rectrack_core::role::Role;
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

/// Every regular file under `dir` and its total size.
fn files_under(dir: &std::path::Path) -> (usize, u64) {
    let (mut count, mut bytes) = (0, 0);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (0, 0);
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            let (c, b) = files_under(&path);
            count += c;
            bytes += b;
        } else {
            count += 1;
            bytes += std::fs::metadata(&path).unwrap().len();
        }
    }
    (count, bytes)
}

fn document(bytes: Vec<u8>) -> Part {
    Part::bytes(bytes)
        .file_name("report.pdf")
        .mime_str("application/pdf")
        .unwrap()
}

/// Uploads `bytes` as the MPS to `fixture`'s assignment; the created item.
async fn upload(app: &TestApp, fixture: &Fixture, bytes: Vec<u8>) -> Value {
    let created = app
        .request(
            Method::POST,
            &format!("/v1/assignments/{}/evidence", fixture.assignment),
            Some(&fixture.mps),
        )
        .multipart(
            Form::new()
                .part("file", document(bytes))
                .text("title", "Plan"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    created.json().await.unwrap()
}

/// Adds West Midlands Police, a second force.
async fn add_wmp(app: &TestApp) {
    crate::helpers::organisation(
        &app.store,
        "wmp",
        "West Midlands Police",
        rectrack_core::organisation::OrganisationKind::PoliceForce,
    )
    .await;
}

/// Guards point 1 of the hostile-client review: an upload is decided before
/// it is stored. A refused caller, a form with many or unknown parts, and a
/// form with no title all leave no byte in the blob store; the one accepted
/// upload leaves exactly its file.
#[tokio::test]
async fn uploads_are_decided_before_they_are_stored() {
    let app = TestApp::spawn().await;
    let fixture = app.accepted_assignment().await;
    let observer = token(&app.store, "mps", Role::Observer).await;
    let blobs = app.data_dir().join("blobs");
    let path = format!("/v1/assignments/{}/evidence", fixture.assignment);
    let upload = |token: &str, form: Form| {
        app.request(Method::POST, &path, Some(token))
            .multipart(form)
            .send()
    };

    let five_mb = Form::new()
        .part("file", document(vec![b'x'; 5 * 1024 * 1024]))
        .text("title", "Plan");
    let refused = upload(&observer, five_mb).await.unwrap();
    problem(refused, 403).await;
    assert_eq!(files_under(&blobs), (0, 0), "a refused upload left bytes");

    let mut many = Form::new().text("title", "Plan");
    for n in 0..2_000 {
        many = many.part("file", document(format!("part {n}").into_bytes()));
    }
    let twice = problem(upload(&fixture.mps, many).await.unwrap(), 422).await;
    assert_eq!(twice["errors"][0]["field"], "file", "{twice}");
    assert_eq!(files_under(&blobs), (0, 0), "a second file part left files");

    let unknown = Form::new()
        .part("file", document(b"plan".to_vec()))
        .text("title", "Plan")
        .text("owner", "someone");
    let unknown = problem(upload(&fixture.mps, unknown).await.unwrap(), 422).await;
    assert_eq!(unknown["errors"][0]["field"], "owner", "{unknown}");

    let untitled = Form::new().part("file", document(b"plan".to_vec()));
    problem(upload(&fixture.mps, untitled).await.unwrap(), 422).await;

    let stale = app
        .request(Method::POST, &path, Some(&fixture.mps))
        .header("If-Match", "\"1\"")
        .multipart(
            Form::new()
                .part("file", document(b"plan".to_vec()))
                .text("title", "Plan"),
        )
        .send()
        .await
        .unwrap();
    problem(stale, 412).await;
    assert_eq!(files_under(&blobs), (0, 0), "a refused form left files");

    let accepted = Form::new()
        .part("file", document(b"%PDF-1.4 plan".to_vec()))
        .text("title", "Plan");
    let created = upload(&fixture.mps, accepted).await.unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(files_under(&blobs), (1, 13));
    app.stop().await;
}

/// The resident set size of this process (the test and its server), bytes.
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .unwrap()
        .to_owned();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// Guards point 2: a download streams. Sixteen clients that each hold a
/// 20 MiB download open (reading one chunk, then stalling) add far less
/// than one copy of the file per client to the server's memory; byte
/// ranges answer 206 and 416; HEAD answers headers only.
#[tokio::test]
async fn downloads_stream_with_ranges_and_heads() {
    const SIZE: usize = 20 * 1024 * 1024;
    let app = TestApp::spawn().await;
    let fixture = app.accepted_assignment().await;
    let bytes: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
    let created = upload(&app, &fixture, bytes.clone()).await;
    let content = format!("/v1/evidence/{}/content", created["id"].as_str().unwrap());

    let whole = app.get(&content, Some(&fixture.mps)).await;
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    assert_eq!(whole.headers()["content-length"], SIZE.to_string().as_str());
    assert_eq!(whole.bytes().await.unwrap().as_ref(), bytes.as_slice());

    let ranged = app
        .request(Method::GET, &content, Some(&fixture.mps))
        .header("Range", "bytes=1000-1009")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), 206);
    assert_eq!(
        ranged.headers()["content-range"],
        format!("bytes 1000-1009/{SIZE}").as_str()
    );
    assert_eq!(ranged.bytes().await.unwrap().as_ref(), &bytes[1000..1010]);
    let suffix = app
        .request(Method::GET, &content, Some(&fixture.mps))
        .header("Range", "bytes=-5")
        .send()
        .await
        .unwrap();
    assert_eq!(suffix.status(), 206);
    assert_eq!(suffix.bytes().await.unwrap().as_ref(), &bytes[SIZE - 5..]);
    let past = app
        .request(Method::GET, &content, Some(&fixture.mps))
        .header("Range", format!("bytes={SIZE}-"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        past.headers()["content-range"],
        format!("bytes */{SIZE}").as_str()
    );
    problem(past, 416).await;

    let head = app
        .request(Method::HEAD, &content, Some(&fixture.mps))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-length"], SIZE.to_string().as_str());
    assert!(head.bytes().await.unwrap().is_empty());

    let before = rss();
    let mut stalled = Vec::new();
    for _ in 0..16 {
        let mut response = app.get(&content, Some(&fixture.mps)).await;
        assert_eq!(response.status(), 200);
        let first = response.chunk().await.unwrap().unwrap().len();
        stalled.push((response, first));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let during = rss();
    let grown = during.saturating_sub(before);
    assert!(
        grown < 4 * SIZE as u64,
        "16 stalled downloads of {SIZE} bytes grew memory by {grown} bytes"
    );
    for (mut response, mut read) in stalled {
        while let Some(chunk) = response.chunk().await.unwrap() {
            read += chunk.len();
        }
        assert_eq!(read, SIZE, "a stalled download did not finish whole");
    }
    app.stop().await;
}

/// A service whose connections time out after a second and of which at
/// most eight are open at once.
async fn strict_app() -> TestApp {
    TestApp::spawn_with(|state| {
        state.connections = rectrack_api::connection::ConnectionLimits {
            header_read: Duration::from_secs(1),
            body_read: Duration::from_secs(1),
            idle: Duration::from_secs(1),
            max_connections: 8,
        };
    })
    .await
}

/// Whether the server closes `socket` within `bound`, sending `drip`
/// (if any) a piece at a time meanwhile.
async fn closed_within(
    mut socket: tokio::net::TcpStream,
    drip: &[u8],
    every: Duration,
    bound: Duration,
) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let deadline = tokio::time::Instant::now() + bound;
    let mut pieces = drip.iter();
    let mut buf = [0u8; 4096];
    loop {
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        match tokio::time::timeout(every, socket.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {}
            Err(_) => {
                if let Some(byte) = pieces.next()
                    && socket.write_all(&[*byte]).await.is_err()
                {
                    return true;
                }
            }
        }
    }
}

/// Guards point 3: slow and idle clients cannot hold the server. A socket
/// that never sends, a head sent a byte at a time, a body trickled, and a
/// kept-alive connection left idle are each closed soon after their
/// time-out; with many more idle sockets than the connection cap,
/// `/healthz` still answers.
#[tokio::test]
async fn slow_and_idle_clients_are_cut_off() {
    let app = strict_app().await;
    let connect = || tokio::net::TcpStream::connect(app.addr);
    let every = Duration::from_millis(200);
    let bound = Duration::from_secs(8);

    let silent = connect().await.unwrap();
    assert!(
        closed_within(silent, b"", every, bound).await,
        "a silent socket was held"
    );

    let head = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    assert!(
        closed_within(connect().await.unwrap(), head, every, bound).await,
        "a head sent a byte at a time was held"
    );

    let mut body = b"POST /v1/reports HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n".to_vec();
    {
        use tokio::io::AsyncWriteExt;
        let mut socket = connect().await.unwrap();
        socket.write_all(&body).await.unwrap();
        body.clear();
        body.extend(std::iter::repeat_n(b' ', 200));
        assert!(
            closed_within(socket, &body, every, bound).await,
            "a trickled body was held"
        );
    }

    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut socket = connect().await.unwrap();
        socket
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 1024];
        let n = socket.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
        assert!(
            closed_within(socket, b"", every, bound).await,
            "an idle kept-alive connection was held"
        );
    }

    let mut idle = Vec::new();
    for _ in 0..40 {
        idle.push(connect().await.unwrap());
    }
    let health = tokio::time::timeout(bound, app.get("/healthz", None))
        .await
        .expect("/healthz did not answer beside 40 idle sockets");
    assert_eq!(health.status(), 200);
    drop(idle);
    app.stop().await;
}

/// Guards point 9's errors below the routes: a request the HTTP layer
/// refuses before any route runs (a head too large, a target too long, a
/// line that is not HTTP) is answered with a problem document.
#[tokio::test]
async fn errors_below_the_routes_are_problem_documents() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn().await;
    let huge_header = format!(
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: {}\r\n\r\n",
        "a".repeat(512 * 1024)
    );
    let long_target = format!(
        "GET /{} HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "a".repeat(70 * 1024)
    );
    let cases = [
        (huge_header.as_str(), 431, "headers-too-large"),
        (long_target.as_str(), 414, "uri-too-long"),
        ("NOT HTTP AT ALL\r\n\r\n", 400, "malformed"),
    ];
    for (request, status, kind) in cases {
        let mut socket = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        // The server may answer and close before it has read everything.
        let _ = socket.write_all(request.as_bytes()).await;
        let mut answer = Vec::new();
        let _ =
            tokio::time::timeout(Duration::from_secs(10), socket.read_to_end(&mut answer)).await;
        let text = String::from_utf8_lossy(&answer);
        assert!(
            text.starts_with(&format!("HTTP/1.1 {status} ")),
            "{kind}: {text}"
        );
        assert!(
            text.to_ascii_lowercase()
                .contains("content-type: application/problem+json"),
            "{kind}: {text}"
        );
        assert!(
            text.contains(&format!("urn:rectrack:problem:{kind}")),
            "{kind}: {text}"
        );
    }
    app.stop().await;
}

/// Guards point 4: no one can queue the status report for everyone. An
/// anonymous client that asks for sixteen different days has ten computed
/// and is told to wait (429, `Retry-After`, a problem document) for the
/// rest; a report already made is still served to it; a token holder is not
/// limited.
#[tokio::test]
async fn anonymous_clients_cannot_queue_costly_reports() {
    let app = TestApp::spawn().await;
    app.open_assignment().await;
    let days: Vec<String> = (1..=16).map(|d| format!("2025-01-{d:02}")).collect();
    let asks = days.iter().map(|day| {
        app.request(Method::GET, &format!("/v1/status?as_of={day}"), None)
            .send()
    });
    let answers = futures::future::join_all(asks).await;
    let mut statuses = Vec::new();
    for answer in answers {
        let answer = answer.unwrap();
        let status = answer.status().as_u16();
        if status == 429 {
            let wait: u64 = answer.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(wait >= 1);
            let document = problem(answer, 429).await;
            assert_eq!(document["type"], "urn:rectrack:problem:too-many-requests");
        }
        statuses.push(status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        10,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        6,
        "{statuses:?}"
    );
    // Made already: free.
    let again = app.get("/v1/status?as_of=2025-01-01", None).await;
    assert_eq!(again.status(), 200);
    for day in &days {
        let with_token = app
            .get(&format!("/v1/status?as_of={day}"), Some(&app.overseer))
            .await;
        assert_eq!(with_token.status(), 200, "{day}");
    }
    app.stop().await;
}

/// Guards point 9: HTTP as clients expect it. The bearer scheme is read
/// whatever its case; a 401 names the scheme; a cursor works only on the
/// list that made it; an object naming a key twice is refused; `Accept`
/// quality values choose the format and a type the report has not gets 406.
#[tokio::test]
async fn http_edges_are_answered_as_clients_expect() {
    let app = TestApp::spawn().await;
    app.open_assignment().await;
    for scheme in ["BEARER", "bearer", "Bearer", "bEaReR"] {
        let answer = app
            .client
            .get(app.url("/v1/tokens"))
            .header("Authorization", format!("{scheme} {}", app.overseer))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "{scheme}");
    }
    for authorization in [None, Some("Bearer rtk_unknown"), Some("Basic abc")] {
        let mut request = app.client.get(app.url("/v1/tokens"));
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status(), 401, "{authorization:?}");
        assert_eq!(
            answer.headers()["www-authenticate"],
            "Bearer",
            "{authorization:?}"
        );
    }

    // A second organisation so that a list has a next page.
    add_wmp(&app).await;
    let page: Value = app
        .get("/v1/organisations?limit=1", Some(&app.overseer))
        .await
        .json()
        .await
        .unwrap();
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let same = app
        .get(
            &format!("/v1/organisations?limit=1&cursor={cursor}"),
            Some(&app.overseer),
        )
        .await;
    assert_eq!(same.status(), 200);
    for other in ["/v1/tokens", "/v1/reports", "/v1/assignments"] {
        let refused = app
            .get(&format!("{other}?cursor={cursor}"), Some(&app.overseer))
            .await;
        let document = problem(refused, 422).await;
        assert_eq!(document["errors"][0]["field"], "cursor", "{other}");
    }

    let twice = app
        .request(Method::POST, "/v1/reports", Some(&app.overseer))
        .header("content-type", "application/json")
        .body(r#"{"slug": "op-one", "slug": "op-two", "title": "Twice", "issued_by": "iopc", "published_on": "2099-01-01"}"#)
        .send()
        .await
        .unwrap();
    let document = problem(twice, 400).await;
    assert!(
        document["detail"].as_str().unwrap().contains("`slug`"),
        "{document}"
    );
    assert_eq!(app.get("/v1/reports/op-one", None).await.status(), 404);
    assert_eq!(app.get("/v1/reports/op-two", None).await.status(), 404);

    let accept = |value: &'static str| {
        app.client
            .get(app.url("/v1/status"))
            .header("Accept", value)
            .send()
    };
    let csv = accept("application/json;q=0.1, text/csv;q=0.9")
        .await
        .unwrap();
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let refused = accept("text/csv;q=0, text/html").await.unwrap();
    problem(refused, 406).await;
    app.stop().await;
}

/// Guards point 11: another organisation's evidence answers exactly as an
/// id that does not exist: one query (evidence joined to the caller's
/// organisation) decides both, and the two documents differ only in the id.
#[tokio::test]
async fn others_evidence_answers_as_if_it_did_not_exist() {
    let app = TestApp::spawn().await;
    let fixture = app.accepted_assignment().await;
    add_wmp(&app).await;
    let other = token(&app.store, "wmp", Role::Recipient).await;
    let created = upload(&app, &fixture, b"%PDF-1.4 plan".to_vec()).await;
    let theirs = created["id"].as_str().unwrap().to_owned();
    let unknown = uuid::Uuid::new_v4().to_string();
    for suffix in ["", "/content"] {
        let foreign = problem(
            app.get(&format!("/v1/evidence/{theirs}{suffix}"), Some(&other))
                .await,
            404,
        )
        .await;
        let missing = problem(
            app.get(&format!("/v1/evidence/{unknown}{suffix}"), Some(&other))
                .await,
            404,
        )
        .await;
        assert_eq!(
            foreign.to_string().replace(&theirs, "ID"),
            missing.to_string().replace(&unknown, "ID"),
            "{suffix}"
        );
    }
    app.stop().await;
}

/// Guards points 5, 6 and 7 end to end: days outside 1900–2999 (given, or
/// derived) are refused; text with a text-direction or invisible character
/// is refused; a CSV report read back as a spreadsheet reads it holds no
/// formula, even for an organisation whose code begins with `-`.
#[tokio::test]
async fn dates_text_and_csv_cells_hold_no_surprises() {
    let app = TestApp::spawn().await;
    app.open_assignment().await;
    let recommendation = |number: u32, issued_on: &str, title: &str| serde_json::json!({"number": number, "title": title, "body": "Act.", "recipients": ["mps"], "issued_on": issued_on});
    for (issued_on, title) in [
        ("9999-12-31", "Far future"),
        ("0000-01-01", "Year zero"),
        ("2999-12-20", "Due after the last day"),
        ("2099-01-01", "Plain\u{202E}txt.exe"),
        ("2099-01-01", "Zero\u{200B}width"),
        ("2099-01-01", "Isolate\u{2066}d"),
        ("2099-01-01", "\u{FEFF}Marked"),
    ] {
        let refused = app
            .post(
                "/v1/reports/op-test/recommendations",
                Some(&app.overseer),
                &recommendation(7, issued_on, title),
            )
            .await;
        problem(refused, 422).await;
    }
    problem(app.get("/v1/status?as_of=9999-01-01", None).await, 422).await;
    // Nothing refused was stored: the report still holds its one assignment.
    let listed: Value = app
        .get("/v1/assignments", Some(&app.overseer))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");

    crate::helpers::organisation(
        &app.store,
        "-2-3",
        "A formula",
        rectrack_core::organisation::OrganisationKind::PoliceForce,
    )
    .await;
    let created = app
        .post(
            "/v1/reports/op-test/recommendations",
            Some(&app.overseer),
            &serde_json::json!({"number": 2, "title": "Two", "body": "Act.", "recipients": ["-2-3"], "issued_on": "2099-01-01"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let csv = app
        .client
        .get(app.url("/v1/status"))
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let mut organisations = Vec::new();
    for record in reader.records() {
        let record = record.unwrap();
        for cell in record.iter() {
            assert!(
                cell.parse::<f64>().is_ok() || !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell:?} would be read as a formula"
            );
        }
        organisations.push(record[0].to_owned());
    }
    assert!(
        organisations.contains(&"'-2-3".to_owned()),
        "{organisations:?}"
    );
    app.stop().await;
}
