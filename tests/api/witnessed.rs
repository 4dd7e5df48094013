//! The attack the audit chain alone misses, end to end with real
//! processes: a log signing checkpoints, a witness cosigning them, and
//! `rectrack verify`. Someone holding the database rewrites an old event,
//! recomputes every later hash (so `audit verify` still says "valid") and
//! rebuilds the log from the rewritten chain with the log's own key. Then
//! the servers' signers refuse to extend the rewritten chain, the witness
//! refuses to cosign the rebuilt log and says why, and the receipts and
//! checkpoints people kept fail `rectrack verify` against it.
//!
//! Once on SQLite with one server; once on PostgreSQL with two servers
//! signing (ignored unless asked for, as the store's PostgreSQL suite is;
//! `.ci/run` runs it).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use rectrack_store::{BlobStore, Store, SystemClock, db};
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_rectrack");
const ORIGIN: &str = "rectrack.test/iopc";

struct Bench {
    dir: tempfile::TempDir,
    database: String,
    children: Vec<Child>,
    client: reqwest::Client,
}

impl Bench {
    fn run(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .args(args)
            .current_dir(self.dir.path())
            .env("RECTRACK_DATABASE_URL", &self.database)
            .env_remove("RECTRACK_BLOBS")
            .output()
            .unwrap()
    }

    fn stdout(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "rectrack {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Starts `rectrack ARGS`, its errors logged to `log`, and answers the
    /// address it printed after `prefix`.
    fn spawn(&mut self, args: &[&str], log: &str, prefix: &str) -> String {
        let mut child = Command::new(BIN)
            .args(args)
            .current_dir(self.dir.path())
            .env("RECTRACK_DATABASE_URL", &self.database)
            .env("RECTRACK_LOG", "info")
            .env("RECTRACK_LOG_FORMAT", "text")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(self.path(log)).unwrap())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let address = loop {
            let line = lines.next().expect("the address is printed").unwrap();
            if let Some(address) = line.strip_prefix(prefix) {
                break address.to_owned();
            }
        };
        self.children.push(child);
        address
    }

    fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap()
    }

    async fn checkpoint(&self, server: &str) -> (String, String) {
        let response = self
            .client
            .get(format!("{server}/v1/log/checkpoint"))
            .send()
            .await
            .unwrap();
        let cosignatures = response
            .headers()
            .get("rectrack-cosignatures")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (response.text().await.unwrap(), cosignatures)
    }

    /// Waits (up to 30 s) for a checkpoint satisfying `done`.
    async fn wait_for(&self, server: &str, done: impl Fn(u64, &str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (note, cosignatures) = self.checkpoint(server).await;
            let size = note
                .lines()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            if done(size, &cosignatures) {
                return note;
            }
            assert!(
                Instant::now() < deadline,
                "no such checkpoint in 30 s; the last: {note} ({cosignatures})"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn get(&self, url: &str, token: &str) -> Value {
        let response = self
            .client
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{url}");
        response.json().await.unwrap()
    }

    async fn chain_length(&self, server: &str) -> u64 {
        let verdict: Value = self
            .client
            .get(format!("{server}/v1/audit/verify"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        verdict["length"].as_u64().unwrap()
    }

    async fn add_force(&self, server: &str, token: &str, code: &str) {
        let response = self
            .client
            .post(format!("{server}/v1/organisations"))
            .bearer_auth(token)
            .json(&json!({"code": code, "name": format!("Force {code}"), "kind": "police_force"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }

    fn verify(&self, args: &[&str]) -> (i32, String) {
        let out = self.run(&[&["verify"], args].concat());
        (
            out.status.code().unwrap(),
            String::from_utf8(out.stdout).unwrap(),
        )
    }

    fn write(&self, name: &str, text: &str) -> String {
        std::fs::write(self.path(name), text).unwrap();
        name.to_owned()
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Rewrites event `seq`'s payload, recomputes every later hash and moves
/// the head, as whoever holds the database can; then empties the log, as
/// they would to rebuild it from the rewritten chain with the log's key.
async fn rewrite_history(database: &str, dir: &Path, seq: u64) {
    let connection = db::connect(database).await.unwrap();
    let blobs = BlobStore::local(&dir.join("tamper-blobs")).unwrap();
    let store = Store::new(connection.clone(), blobs, std::sync::Arc::new(SystemClock));
    let exec = async |sql: String| {
        connection
            .execute_raw(Statement::from_string(
                connection.get_database_backend(),
                sql.clone(),
            ))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    };
    let mut prev: Option<String> = None;
    for mut event in store.audit_events(0, 100_000).await.unwrap() {
        if event.seq == seq {
            event.payload = json!({"organisation": {"code": "iopc", "kind": "oversight_body", "name": "Someone else"}});
        }
        if let Some(prev) = &prev {
            event.prev_hash = prev.clone();
        }
        event.hash = event.compute_hash();
        exec(format!(
            "UPDATE audit_events SET payload = '{}', prev_hash = '{}', hash = '{}' WHERE seq = {}",
            rectrack_core::audit::canonical_json(&event.payload).replace('\'', "''"),
            event.prev_hash,
            event.hash,
            event.seq
        ))
        .await;
        prev = Some(event.hash);
    }
    exec(format!(
        "UPDATE audit_head SET hash = '{}' WHERE id = 1",
        prev.unwrap()
    ))
    .await;
    connection.close().await.unwrap();
}

async fn rebuild_log(database: &str) {
    let connection = db::connect(database).await.unwrap();
    for sql in [
        "DELETE FROM log_tiles".to_owned(),
        "DELETE FROM log_cosignatures".to_owned(),
        "DELETE FROM log_checkpoints".to_owned(),
        format!(
            "UPDATE log_head SET size = 0, last_hash = '{}', signed_at_us = 0 WHERE id = 1",
            "0".repeat(64)
        ),
    ] {
        connection
            .execute_raw(Statement::from_string(
                connection.get_database_backend(),
                sql,
            ))
            .await
            .unwrap();
    }
    connection.close().await.unwrap();
}

async fn rewritten_history_is_exposed(database: String, servers: usize) {
    let dir = tempfile::tempdir().unwrap();
    let mut bench = Bench {
        dir,
        database,
        children: Vec::new(),
        client: reqwest::Client::new(),
    };
    let log_key = bench
        .stdout(&["log", "init", "--origin", ORIGIN])
        .trim()
        .to_owned();
    let witness_key = bench
        .stdout(&["witness", "init", "--name", "witness.test/news"])
        .trim()
        .to_owned();
    let token = bench
        .stdout(&["init", "--organisation", "iopc", "--name", "IOPC"])
        .trim()
        .to_owned();
    let witness = bench.spawn(
        &[
            "witness",
            "serve",
            "--log",
            &log_key,
            "--bind",
            "127.0.0.1:0",
        ],
        "witness.log",
        "rectrack witness is serving on ",
    );
    let witness_arg = format!("{witness_key} {witness}");
    let urls: Vec<String> = (0..servers)
        .map(|i| {
            bench.spawn(
                &[
                    "serve",
                    "--bind",
                    "127.0.0.1:0",
                    "--checkpoint-interval",
                    "1",
                    "--witness",
                    &witness_arg,
                ],
                &format!("server-{i}.log"),
                "rectrack is serving on ",
            )
        })
        .collect();
    for i in 0..6 {
        bench
            .add_force(&urls[i % servers], &token, &format!("force-{i}"))
            .await;
    }
    let length = bench.chain_length(&urls[0]).await;
    let honest = bench
        .wait_for(&urls[0], |size, cosigned| {
            size == length && cosigned == "1 of 1 required"
        })
        .await;
    let receipt = bench
        .get(&format!("{}/v1/audit/events/3/receipt", urls[0]), &token)
        .await;
    let receipt = bench.write("receipt.json", &receipt.to_string());
    let kept = bench.write("kept-checkpoint.txt", &honest);
    let (code, said) = bench.verify(&[
        "--key",
        &log_key,
        "--witness",
        &witness_key,
        "--receipt",
        &receipt,
    ]);
    assert_eq!(code, 0, "{said}");
    assert!(said.starts_with("VERIFIED: event 3"), "{said}");
    assert!(
        said.contains("cosigned by witness.test/news (1 of 1 required)"),
        "{said}"
    );

    // The rewrite. The chain alone cannot tell.
    rewrite_history(&bench.database, bench.dir.path(), 2).await;
    assert!(bench.stdout(&["audit", "verify"]).starts_with("valid"));
    // Writes go on; the signers refuse to log events after a rewritten one.
    bench.add_force(&urls[0], &token, "force-after").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !(0..servers).any(|i| {
        bench
            .log(&format!("server-{i}.log"))
            .contains("the chain was rewritten")
    }) {
        assert!(
            Instant::now() < deadline,
            "no signer refused the rewritten chain"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Rebuilt with the log's key, the log signs again, but the witness
    // will not cosign it, and says why.
    rebuild_log(&bench.database).await;
    let length = bench.chain_length(&urls[0]).await;
    let forged = bench
        .wait_for(&urls[servers - 1], |size, _| size == length)
        .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !bench.log("witness.log").contains("refused to cosign") {
        assert!(Instant::now() < deadline, "the witness was not asked");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let witness_said = bench.log("witness.log");
    assert!(
        witness_said.contains("history was rewritten"),
        "{witness_said}"
    );
    let (_, cosignatures) = bench.checkpoint(&urls[0]).await;
    assert_eq!(
        cosignatures, "0 of 1 required",
        "published, saying it is not witnessed"
    );
    assert!(!forged.contains("witness.test/news"));

    // The kept receipt against today's checkpoint: not one history.
    let today = bench.write("today.txt", &forged);
    let kept_size: u64 = honest.lines().nth(1).unwrap().parse().unwrap();
    let consistency = bench
        .get(
            &format!(
                "{}/v1/log/consistency?from={kept_size}&to={length}",
                urls[0]
            ),
            &token,
        )
        .await;
    let consistency = bench.write("consistency.json", &consistency.to_string());
    let (code, said) = bench.verify(&[
        "--key",
        &log_key,
        "--receipt",
        &receipt,
        "--checkpoint",
        &today,
        "--consistency",
        &consistency,
    ]);
    assert_eq!(code, 1, "{said}");
    assert!(
        said.contains("NOT VERIFIED") && said.contains("rewritten"),
        "{said}"
    );
    // A receipt the rebuilt log gives now lacks the witness.
    let fresh = bench
        .get(&format!("{}/v1/audit/events/3/receipt", urls[0]), &token)
        .await;
    let fresh = bench.write("fresh-receipt.json", &fresh.to_string());
    let (code, said) = bench.verify(&[
        "--key",
        &log_key,
        "--witness",
        &witness_key,
        "--receipt",
        &fresh,
    ]);
    assert_eq!(code, 1, "{said}");
    assert!(
        said.contains("cosigned by 0 of the 1 witnesses required"),
        "{said}"
    );
    // And it is not one history with the checkpoint kept before.
    let (code, said) = bench.verify(&[
        "--key",
        &log_key,
        "--receipt",
        &fresh,
        "--checkpoint",
        &kept,
        "--consistency",
        &consistency,
    ]);
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("rewritten"), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rewritten_history_is_refused_by_the_witness_and_fails_verification() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}/rectrack.db?mode=rwc", dir.path().display());
    rewritten_history_is_exposed(database, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set RECTRACK_TEST_POSTGRES_URL and run with --include-ignored witnessed (.ci/run does)"]
async fn on_postgresql_two_servers_signing_are_caught_the_same_way() {
    let base = std::env::var("RECTRACK_TEST_POSTGRES_URL")
        .expect("RECTRACK_TEST_POSTGRES_URL names the PostgreSQL server");
    let admin = Database::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {base}: {e}"));
    let name = format!("rectrack_witness_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute_raw(Statement::from_string(
            admin.get_database_backend(),
            format!("CREATE DATABASE {name}"),
        ))
        .await
        .unwrap();
    let database = match base.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => panic!("{base} names no database"),
    };
    rewritten_history_is_exposed(database, 2).await;
    admin
        .execute_raw(Statement::from_string(
            admin.get_database_backend(),
            format!("DROP DATABASE {name} WITH (FORCE)"),
        ))
        .await
        .unwrap();
}
