//! Where secrets and hostile content must never end up: token secrets in the
//! database or the logs, uploaded HTML rendered by a browser.
//! (Error bodies free of SQL, paths and traces are asserted over the whole
//! bad-input catalogue in `bad_input.rs`.)

use std::io::Read;
use std::process::{Command, Stdio};

use crate::helpers::{Fixture, TestApp, token};
use rectrack_core::role::Role;
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_rectrack");

/// Every file under `dir`, concatenated (the database, its WAL, the blobs).
fn everything_under(dir: &std::path::Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            bytes.extend(everything_under(&path));
        } else {
            std::fs::File::open(&path)
                .unwrap()
                .read_to_end(&mut bytes)
                .unwrap();
        }
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

#[tokio::test]
async fn the_database_holds_no_token_in_clear() {
    let app = TestApp::spawn().await;
    app.add_mps().await;
    let mut secrets = vec![
        app.overseer.clone(),
        token(&app.store, "mps", Role::Recipient).await,
    ];
    // Tokens made over HTTP, used, one revoked, and replayed requests.
    for label in ["first", "second"] {
        let created: Value = app
            .post(
                "/v1/tokens",
                Some(&app.overseer),
                &json!({"organisation": "mps", "role": "recipient", "label": label}),
            )
            .await
            .json()
            .await
            .unwrap();
        secrets.push(created["token"].as_str().unwrap().to_owned());
    }
    for secret in &secrets {
        assert_eq!(
            app.get("/v1/tokens", Some(secret)).await.status().as_u16() / 100,
            if secret == &app.overseer { 2 } else { 4 }
        );
        assert_eq!(app.get("/v1/assignments", Some(secret)).await.status(), 200);
    }
    let listed: Value = app
        .get("/v1/tokens", Some(&app.overseer))
        .await
        .json()
        .await
        .unwrap();
    let id = listed["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.request(
            Method::DELETE,
            &format!("/v1/tokens/{id}"),
            Some(&app.overseer)
        )
        .send()
        .await
        .unwrap()
        .status(),
        200
    );

    let dump = everything_under(app.data_dir());
    assert!(
        contains(&dump, "Metropolitan Police Service"),
        "the dump holds the data"
    );
    for secret in &secrets {
        assert_eq!(secret.len(), 47);
        assert!(
            !contains(&dump, secret),
            "a token secret is stored in clear"
        );
        // What is kept is its SHA-256 (so the dump above did read the tokens).
        let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(secret.as_bytes()));
        assert!(contains(&dump, &digest), "the token's hash is stored");
        // Nor its random part alone, in any column.
        assert!(
            !contains(&dump, &secret[4..]),
            "a token's random part is stored"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn uploaded_html_is_never_served_inline() {
    let app = TestApp::spawn().await;
    let Fixture { assignment, mps } = app.accepted_assignment().await;
    let hostile = [
        (
            "page.html",
            "text/html",
            "<html><script>alert(1)</script></html>",
        ),
        (
            "image.svg",
            "image/svg+xml",
            "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
        ),
        (
            "quote\"; inline.html",
            "text/html",
            "<script>alert(1)</script>",
        ),
    ];
    for (filename, media_type, body) in hostile {
        let form = Form::new()
            .part(
                "file",
                Part::bytes(body.as_bytes().to_vec())
                    .file_name(filename)
                    .mime_str(media_type)
                    .unwrap(),
            )
            .text("title", "Hostile document");
        let response = app
            .request(
                Method::POST,
                &format!("/v1/assignments/{assignment}/evidence"),
                Some(&mps),
            )
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let created: Value = response.json().await.unwrap();
        if status != 201 {
            // Refusing the upload outright is safe too; it must be a 4xx problem.
            assert_eq!(status / 100, 4, "{created}");
            continue;
        }
        let download = app
            .get(
                &format!("/v1/evidence/{}/content", created["id"].as_str().unwrap()),
                Some(&mps),
            )
            .await;
        assert_eq!(download.status(), 200);
        let header = |name: &str| {
            download
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        let disposition = header("content-disposition");
        assert!(
            disposition.starts_with("attachment;"),
            "{filename}: {disposition}"
        );
        // The quoted filename cannot end the parameter early.
        assert_eq!(disposition.matches('"').count(), 2, "{disposition}");
        assert_eq!(header("x-content-type-options"), "nosniff");
        assert!(header("content-security-policy").contains("sandbox"));
    }
    app.stop().await;
}

#[tokio::test]
async fn the_log_of_a_full_run_holds_no_token() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--demo", "--bind", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env_remove("RECTRACK_DATABASE_URL")
        .env_remove("RECTRACK_BLOBS")
        // As much as an operator chasing a problem would turn on.
        .env("RECTRACK_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The demo prints its address and tokens on stdout, by design: that is
    // the operator's console, not the log.
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut stderr = child.stderr.take().unwrap();
    let log = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).unwrap();
        text
    });
    let (mut url, mut secrets) = (String::new(), Vec::new());
    while secrets.len() < 2 {
        let mut line = String::new();
        assert!(std::io::BufRead::read_line(&mut stdout, &mut line).unwrap() > 0);
        let line = line.trim();
        if let Some(address) = line.strip_prefix("rectrack is serving on ") {
            url = address.to_owned();
        } else if line.starts_with("rtk_") {
            secrets.push(line.to_owned());
        }
    }
    let (overseer, mps) = (secrets[0].clone(), secrets[1].clone());
    let client = reqwest::Client::new();
    let created: Value = client
        .post(format!("{url}/v1/tokens"))
        .bearer_auth(&overseer)
        .json(&json!({"organisation": "mps", "role": "recipient"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let fresh = created["token"].as_str().unwrap().to_owned();
    let unknown = format!("rtk_{}", "A".repeat(43));
    secrets.extend([fresh.clone(), unknown.clone()]);
    let assignments: Value = client
        .get(format!("{url}/v1/assignments?organisation=mps&limit=1"))
        .bearer_auth(&mps)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let assignment = assignments["items"][0]["id"].as_str().unwrap().to_owned();
    let version = assignments["items"][0]["version"].as_i64().unwrap();
    let status = client
        .put(format!("{url}/v1/assignments/{assignment}/response"))
        .bearer_auth(&mps)
        .header("If-Match", format!("\"{version}\""))
        .json(&json!({"decision": "accepted", "rationale": "We accept it.", "planned_completion_on": "2025-01-31"}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    for secret in [&mps, &fresh, &unknown] {
        let status = client
            .post(format!("{url}/v1/assignments/{assignment}/updates"))
            .bearer_auth(secret)
            .json(&json!({"narrative": "Progress noted."}))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(
            status.as_u16() / 100,
            if secret == &unknown { 4 } else { 2 }
        );
    }
    // A token in the wrong place: the query string and a malformed header.
    let status = client
        .get(format!("{url}/v1/tokens?token={overseer}"))
        .header("Authorization", format!("Token {overseer}"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 401);
    let status = client
        .get(format!("{url}/v1/audit/verify"))
        .bearer_auth(&overseer)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
    let log = log.join().unwrap();
    assert!(
        log.matches(r#""message":"request""#).count() >= 8 && log.contains("/v1/assignments"),
        "the run was logged: {} lines, ending {:?}",
        log.lines().count(),
        log.lines().rev().take(3).collect::<Vec<_>>()
    );
    for secret in &secrets {
        assert!(
            !log.contains(secret.as_str()),
            "a token secret is in the log"
        );
        assert!(
            !log.contains(&secret[4..]),
            "a token's random part is in the log"
        );
    }
}
