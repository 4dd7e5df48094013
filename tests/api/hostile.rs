//! Hostile and careless clients, one test per attack: each names what it
//! guards and asserts a bound (bytes left on disk, memory, connections
//! closed, statuses), never a timing.

use std::time::Duration;

use crate::helpers::{TestApp, problem, token};
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
    let created: Value = app
        .request(
            Method::POST,
            &format!("/v1/assignments/{}/evidence", fixture.assignment),
            Some(&fixture.mps),
        )
        .multipart(
            Form::new()
                .part("file", document(bytes.clone()))
                .text("title", "Large"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
