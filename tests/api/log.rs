//! The transparency log as its readers meet it: the checkpoint verifies
//! with the log's key, proofs and receipts verify against it, tiles carry
//! the tree and nothing else, and bad requests get problems.

use rectrack_core::audit::AuditEvent;
use rectrack_core::tlog::note::Note;
use rectrack_core::tlog::proof::{verify_consistency, verify_inclusion};
use rectrack_core::tlog::{Checkpoint, Hash, ProofText, event_leaf, root_of};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, log_key, problem};

fn hashes(value: &Value) -> Vec<Hash> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|h| Hash::from_base64(h.as_str().unwrap()).unwrap())
        .collect()
}

async fn checkpoint(app: &TestApp) -> Checkpoint {
    let response = app.get("/v1/log/checkpoint", None).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let note = Note::parse(&response.text().await.unwrap()).unwrap();
    log_key().verifier().verify(&note).unwrap();
    Checkpoint::parse(&note.text).unwrap()
}

/// The seq of the last event of the MPS assignment's history.
async fn last_event(app: &TestApp, assignment: &str, token: &str) -> u64 {
    let history: Value = app
        .get(
            &format!("/v1/assignments/{assignment}/history"),
            Some(token),
        )
        .await
        .json()
        .await
        .unwrap();
    history["items"].as_array().unwrap().last().unwrap()["seq"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn a_force_keeps_a_receipt_that_verifies_against_the_signed_checkpoint() {
    let app = TestApp::spawn().await;
    let fixture = app.open_assignment().await;
    assert_eq!(
        problem(app.get("/v1/log/checkpoint", None).await, 404).await["detail"],
        "the log has signed no checkpoint yet"
    );
    let responded = app
        .request(
            Method::PUT,
            &format!("/v1/assignments/{}/response", fixture.assignment),
            Some(&fixture.mps),
        )
        .header("If-Match", "\"1\"")
        .json(&json!({"decision": "accepted", "rationale": "We accept.", "planned_completion_on": "2099-12-31"}))
        .send()
        .await
        .unwrap();
    assert_eq!(responded.status(), 200);
    let seq = last_event(&app, &fixture.assignment, &fixture.mps).await;
    // Not yet in a checkpoint: the receipt is not there yet, and says why.
    let early = app
        .get(
            &format!("/v1/audit/events/{seq}/receipt"),
            Some(&fixture.mps),
        )
        .await;
    let detail = problem(early, 404).await["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        detail.contains("not in a signed checkpoint yet"),
        "{detail}"
    );

    app.sign_checkpoint().await;
    let first = checkpoint(&app).await;
    assert_eq!(first.size, app.chain_length().await);
    let receipt: Value = app
        .get(
            &format!("/v1/audit/events/{seq}/receipt"),
            Some(&fixture.mps),
        )
        .await
        .json()
        .await
        .unwrap();
    // The event is the chain's, whole: its hash recomputes from its fields.
    let event: AuditEvent = serde_json::from_value(receipt["event"].clone()).unwrap();
    assert_eq!(event.seq, seq);
    assert_eq!(event.compute_hash(), event.hash);
    let leaf = event_leaf(&event.hash).unwrap();
    let proof = &receipt["proof"];
    assert_eq!(proof["leaf_hash"], leaf.to_base64());
    assert_eq!(proof["leaf_index"], seq - 1);
    let note = Note::parse(proof["checkpoint"].as_str().unwrap()).unwrap();
    log_key().verifier().verify(&note).unwrap();
    let signed = Checkpoint::parse(&note.text).unwrap();
    assert_eq!(signed, first);
    assert!(verify_inclusion(
        seq - 1,
        signed.size,
        &leaf,
        &hashes(&proof["hashes"]),
        &signed.root
    ));
    // The same proof as C2SP tlog-proof text.
    let text = app
        .request(
            Method::GET,
            &format!("/v1/audit/events/{seq}/proof"),
            Some(&fixture.mps),
        )
        .header("Accept", "text/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(text.status(), 200);
    let text = ProofText::parse(&text.text().await.unwrap()).unwrap();
    assert_eq!(text.index, seq - 1);
    assert_eq!(text.proof, hashes(&proof["hashes"]));
    assert_eq!(text.checkpoint, proof["checkpoint"].as_str().unwrap());

    // More writes, a later checkpoint, and the proof that it extends the first.
    for n in 2..6 {
        app.add_recommendation(n, "More", "2099-12-31").await;
    }
    app.sign_checkpoint().await;
    let second = checkpoint(&app).await;
    let consistency: Value = app
        .get(
            &format!("/v1/log/consistency?from={}&to={}", first.size, second.size),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(verify_consistency(
        first.size,
        second.size,
        &first.root,
        &second.root,
        &hashes(&consistency["hashes"])
    ));
    // The level-0 tile holds every leaf, and they make the root.
    let tile = app
        .get(&format!("/v1/log/tile/0/000.p/{}", second.size), None)
        .await;
    assert_eq!(tile.status(), 200);
    assert_eq!(tile.headers()["content-type"], "application/octet-stream");
    let bytes = tile.bytes().await.unwrap();
    let leaves: Vec<Hash> = bytes
        .chunks(32)
        .map(|c| Hash::from_slice(c).unwrap())
        .collect();
    assert_eq!(leaves.len() as u64, second.size);
    assert_eq!(root_of(&leaves), second.root);
    assert_eq!(leaves[seq as usize - 1], leaf);
    app.stop().await;
}

#[tokio::test]
async fn bad_log_requests_get_problems() {
    let app = TestApp::spawn().await;
    let fixture = app.open_assignment().await;
    app.sign_checkpoint().await;
    let size = app.chain_length().await;
    for (path, status) in [
        ("/v1/log/consistency?from=3&to=2".to_owned(), 422),
        ("/v1/log/consistency?from=-1&to=2".to_owned(), 422),
        ("/v1/log/consistency?to=2".to_owned(), 422),
        (format!("/v1/log/consistency?from=1&to={}", size + 1), 404),
        ("/v1/log/tile/0/0".to_owned(), 404),
        ("/v1/log/tile/0/000.p/0".to_owned(), 404),
        ("/v1/log/tile/0/000.p/300".to_owned(), 404),
        ("/v1/log/tile/0/x/000".to_owned(), 404),
        ("/v1/log/tile/0/000".to_owned(), 404),
        ("/v1/log/tile/0/001.p/1".to_owned(), 404),
    ] {
        problem(app.get(&path, None).await, status).await;
    }
    for (path, status) in [
        ("/v1/audit/events/0/proof".to_owned(), 422),
        (format!("/v1/audit/events/{}/proof", size + 1), 404),
        (format!("/v1/audit/events/{}/receipt", size + 100), 404),
    ] {
        problem(app.get(&path, Some(&app.overseer)).await, status).await;
    }
    let refused = app
        .request(Method::GET, "/v1/audit/events/1/proof", Some(&app.overseer))
        .header("Accept", "image/png")
        .send()
        .await
        .unwrap();
    problem(refused, 406).await;
    let post = app
        .request(Method::POST, "/v1/log/tile/0/000.p/1", Some(&fixture.mps))
        .send()
        .await
        .unwrap();
    assert_eq!(post.headers()["allow"], "GET, HEAD");
    problem(post, 405).await;
    app.stop().await;
}

#[tokio::test]
async fn a_private_service_shows_its_log_to_token_holders_only() {
    let app = TestApp::spawn_with(|state| state.private = true).await;
    app.open_assignment().await;
    app.sign_checkpoint().await;
    for path in [
        "/v1/log/checkpoint",
        "/v1/log/tile/0/000.p/1",
        "/v1/log/consistency?from=1&to=2",
    ] {
        problem(app.get(path, None).await, 401).await;
        assert_eq!(
            app.get(path, Some(&app.overseer)).await.status(),
            200,
            "{path}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn every_write_names_its_audit_event_and_a_replay_names_the_same() {
    let app = TestApp::spawn().await;
    let before = app.chain_length().await;
    let create_with = |key: &str| {
        app.request(Method::POST, "/v1/organisations", Some(&app.overseer))
            .header("Idempotency-Key", key)
            .json(&json!({"code": "gmp", "name": "Greater Manchester Police", "kind": "police_force"}))
    };
    let create = || create_with("force-1");
    let first = create().send().await.unwrap();
    assert_eq!(first.status(), 201);
    let seq: u64 = first.headers()["rectrack-audit-seq"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(seq, before + 1);
    let body: Value = first.json().await.unwrap();
    assert_eq!(body["audit_seq"], seq);
    assert_eq!(body["code"], "gmp");
    // The replay writes nothing and names the first write's event.
    let again = create().send().await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(
        again.headers()["rectrack-audit-seq"],
        seq.to_string().as_str()
    );
    assert_eq!(app.chain_length().await, before + 1);
    // A refused write names none.
    let refused = create_with("force-2").send().await.unwrap();
    assert_eq!(refused.status(), 409);
    assert!(refused.headers().get("rectrack-audit-seq").is_none());
    // Reads name none either.
    let read = app.get("/v1/organisations/gmp", None).await;
    assert!(read.headers().get("rectrack-audit-seq").is_none());
    let read: Value = read.json().await.unwrap();
    assert!(read.get("audit_seq").is_none());
    // The event named is the write's, and its receipt verifies.
    app.sign_checkpoint().await;
    let receipt: Value = app
        .get(
            &format!("/v1/audit/events/{seq}/receipt"),
            Some(&app.overseer),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(receipt["event"]["action"], "organisation.created");
    assert_eq!(receipt["event"]["entity_id"], "gmp");
    let policy = rectrack_core::tlog::verify::Policy {
        log: log_key().verifier(),
        witnesses: Vec::new(),
        quorum: 0,
    };
    let receipt: rectrack_core::tlog::verify::Receipt = serde_json::from_value(receipt).unwrap();
    rectrack_core::tlog::verify::receipt(&policy, &receipt).unwrap();
    app.stop().await;
}
