//! The `rectrack` command as an operator uses it: `init` from nothing,
//! `serve --demo` twice on one database, reports, and `audit verify` before
//! and after someone edits the database by hand.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_rectrack");

fn rectrack(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("RECTRACK_DATABASE_URL")
        .env_remove("RECTRACK_BLOBS")
        .output()
        .unwrap()
}

fn is_token(line: &str) -> bool {
    line.strip_prefix("rtk_").is_some_and(|rest| {
        rest.len() == 43
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// A `serve --demo` process, its address and the tokens it printed.
struct Demo {
    child: Child,
    url: String,
    tokens: Vec<String>,
}

impl Demo {
    fn start(dir: &Path) -> Self {
        let mut child = Command::new(BIN)
            .args(["serve", "--demo", "--bind", "127.0.0.1:0"])
            .current_dir(dir)
            .env("RECTRACK_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut url = String::new();
        let mut tokens = Vec::new();
        while tokens.len() < 2 {
            let line = lines
                .next()
                .expect("the demo printed its address and two tokens")
                .unwrap();
            if let Some(address) = line.strip_prefix("rectrack is serving on ") {
                url = address.to_owned();
            } else if is_token(&line) {
                tokens.push(line);
            }
        }
        Self { child, url, tokens }
    }

    fn stop(mut self) {
        // SIGTERM, as an init system would send.
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "serve exits 0 after SIGTERM: {status:?}");
    }
}

async fn get(url: &str, token: Option<&str>) -> serde_json::Value {
    let mut request = reqwest::Client::new().get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().json().await.unwrap()
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        rectrack(dir.path(), &["no-such-command"]).status.code(),
        Some(2)
    );
    assert_eq!(
        rectrack(dir.path(), &["report", "--format", "pdf"])
            .status
            .code(),
        Some(2)
    );
    let help = rectrack(dir.path(), &["serve", "--help"]);
    assert_eq!(help.status.code(), Some(0));
    let help = String::from_utf8(help.stdout).unwrap();
    for flag in [
        "--bind",
        "RECTRACK_BIND",
        "--demo",
        "--private",
        "RECTRACK_PRIVATE",
        "--database",
        "RECTRACK_DATABASE_URL",
        "--blobs",
    ] {
        assert!(help.contains(flag), "serve --help mentions {flag}");
    }
}

#[test]
fn init_starts_from_nothing_and_prints_an_overseer_token() {
    let dir = tempfile::tempdir().unwrap();
    let out = rectrack(
        dir.path(),
        &[
            "init",
            "--organisation",
            "iopc",
            "--name",
            "Independent Office for Police Conduct",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.lines().any(is_token), "{stdout}");
    assert!(dir.path().join("rectrack.db").exists());
    assert!(dir.path().join("rectrack-blobs").is_dir());
    let again = rectrack(dir.path(), &["init", "--organisation", "iopc"]);
    assert_eq!(
        again.status.code(),
        Some(0),
        "a second init only adds a token"
    );
    let missing = rectrack(dir.path(), &["init", "--organisation", "hmicfrs"]);
    assert_eq!(missing.status.code(), Some(1), "a new body needs a --name");
    assert!(String::from_utf8_lossy(&missing.stderr).contains("--name"));
}

#[tokio::test]
async fn serve_demo_loads_hotton_once_and_prints_working_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let demo = Demo::start(dir.path());
    assert_eq!(
        get(&format!("{}/healthz", demo.url), None).await["status"],
        "ok"
    );
    let assignments = get(
        &format!("{}/v1/assignments?limit=500", demo.url),
        Some(&demo.tokens[1]),
    )
    .await;
    assert_eq!(assignments["items"].as_array().unwrap().len(), 15);
    let verdict = get(&format!("{}/v1/audit/verify", demo.url), None).await;
    let tokens = demo.tokens.clone();
    demo.stop();

    let demo = Demo::start(dir.path());
    assert_eq!(
        demo.tokens, tokens,
        "the second start prints the same tokens"
    );
    assert_eq!(
        get(&format!("{}/v1/audit/verify", demo.url), None).await,
        verdict,
        "and adds nothing"
    );
    demo.stop();
}

#[test]
fn audit_verify_names_the_event_edited_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    assert!(rectrack(dir.path(), &["seed", "hotton"]).status.success());
    let ok = rectrack(dir.path(), &["audit", "verify"]);
    assert_eq!(ok.status.code(), Some(0));
    let stdout = String::from_utf8(ok.stdout).unwrap();
    assert!(stdout.starts_with("valid: 33 events, head "), "{stdout}");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        use sea_orm::ConnectionTrait;
        let url = format!("sqlite://{}/rectrack.db", dir.path().display());
        let db = rectrack_store::db::connect(&url).await.unwrap();
        db.execute_unprepared(
            "UPDATE audit_events SET payload = '{\"edited\":true}' WHERE seq = 7",
        )
        .await
        .unwrap();
    });
    let bad = rectrack(dir.path(), &["audit", "verify"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8(bad.stdout)
            .unwrap()
            .starts_with("invalid at seq 7")
    );
}

/// Guards point 8 of the hostile-client review: deleting the last events
/// leaves a chain that links perfectly; only the recorded head shows it is
/// short, and verification compares the two at once.
#[test]
fn audit_verify_sees_a_chain_shortened_at_its_end() {
    let dir = tempfile::tempdir().unwrap();
    assert!(rectrack(dir.path(), &["seed", "hotton"]).status.success());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        use sea_orm::ConnectionTrait;
        let url = format!("sqlite://{}/rectrack.db", dir.path().display());
        let db = rectrack_store::db::connect(&url).await.unwrap();
        db.execute_unprepared("DELETE FROM assignment_events WHERE seq = 33")
            .await
            .unwrap();
        db.execute_unprepared("DELETE FROM audit_events WHERE seq = 33")
            .await
            .unwrap();
    });
    let bad = rectrack(dir.path(), &["audit", "verify"]);
    assert_eq!(bad.status.code(), Some(1));
    let stdout = String::from_utf8(bad.stdout).unwrap();
    assert!(stdout.starts_with("invalid at seq 33"), "{stdout}");
    assert!(stdout.contains("recorded head is event 33"), "{stdout}");
}

#[test]
fn copy_moves_everything_into_an_empty_database_and_nowhere_else() {
    let dir = tempfile::tempdir().unwrap();
    assert!(rectrack(dir.path(), &["seed", "hotton"]).status.success());
    let to = format!("sqlite://{}/copy.db?mode=rwc", dir.path().display());
    let copied = rectrack(dir.path(), &["copy", "--to", &to]);
    let stdout = String::from_utf8(copied.stdout).unwrap();
    assert_eq!(copied.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("its chain of 33 events verifies"),
        "{stdout}"
    );
    let source = rectrack(dir.path(), &["report", "--format", "json"]);
    let copy = rectrack(
        dir.path(),
        &["--database", &to, "report", "--format", "json"],
    );
    assert!(source.status.success() && copy.status.success());
    assert_eq!(source.stdout, copy.stdout);
    let head = |url: Option<&str>| {
        let mut args = vec!["audit", "verify"];
        if let Some(url) = url {
            args.splice(0..0, ["--database", url]);
        }
        String::from_utf8(rectrack(dir.path(), &args).stdout).unwrap()
    };
    assert_eq!(head(None), head(Some(&to)));

    // Into a database that holds data: refused, and nothing changes.
    let again = rectrack(dir.path(), &["copy", "--to", &to]);
    assert_eq!(again.status.code(), Some(1));
    let stderr = String::from_utf8(again.stderr).unwrap();
    assert!(stderr.contains("already holds data"), "{stderr}");
    assert_eq!(head(None), head(Some(&to)));
}

#[test]
fn reports_come_in_four_formats() {
    let dir = tempfile::tempdir().unwrap();
    assert!(rectrack(dir.path(), &["seed", "hotton"]).status.success());
    let json = rectrack(dir.path(), &["report"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    // The MPS accepted all 15, on or before 8 April 2022: not overdue, and
    // whether in time is not claimed.
    assert_eq!(report["totals"]["by_status"]["accepted"], 15);
    assert_eq!(report["totals"]["response_overdue"], 0);
    assert_eq!(report["totals"]["response_timing_unknown"], 15);
    // The data set was recorded today: as of 2022 nothing had been recorded…
    let past = rectrack(dir.path(), &["report", "--as-of", "2022-06-01"]);
    let past: serde_json::Value = serde_json::from_slice(&past.stdout).unwrap();
    assert_eq!(past["as_of"], "2022-06-01");
    assert_eq!(past["basis"], "recorded");
    assert_eq!(past["totals"]["assignments"], 0);
    // …but as it happened, all 15 had been made and none was yet due.
    let happened = rectrack(
        dir.path(),
        &["report", "--as-of", "2022-03-01", "--basis", "occurred"],
    );
    let happened: serde_json::Value = serde_json::from_slice(&happened.stdout).unwrap();
    assert_eq!(happened["totals"]["by_status"]["awaiting_response"], 15);
    assert_eq!(happened["totals"]["response_overdue"], 0);
    let csv =
        String::from_utf8(rectrack(dir.path(), &["report", "--format", "csv"]).stdout).unwrap();
    assert!(
        csv.lines().nth(1).unwrap().starts_with("mps,15,0,15,"),
        "{csv}"
    );
    let markdown =
        String::from_utf8(rectrack(dir.path(), &["report", "--format", "markdown"]).stdout)
            .unwrap();
    assert_eq!(markdown.matches("| operation-hotton |").count(), 15);
    let out = rectrack(
        dir.path(),
        &[
            "report",
            "--format",
            "html",
            "--output",
            "report.html",
            "--organisation",
            "mps",
        ],
    );
    assert!(out.status.success());
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(
        html.starts_with("<!DOCTYPE html>") && html.contains("<svg") && !html.contains("<script")
    );
    assert!(html.contains("Covering organisation mps."));
    let bad = rectrack(dir.path(), &["report", "--organisation", "Not A Code"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--organisation"));
}

#[test]
fn openapi_prints_the_committed_document() {
    let dir = tempfile::tempdir().unwrap();
    let out = rectrack(dir.path(), &["openapi"]);
    assert!(out.status.success());
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let committed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(printed, committed);
}

/// What `serve` writes to standard error from start to SIGTERM, with
/// `--log-format format`.
fn serve_logs(dir: &Path, format: &str) -> String {
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0", "--log-format", format])
        .current_dir(dir)
        .env_remove("RECTRACK_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // `lines` is kept open to the end: the server still writes to it.
    for line in lines.by_ref() {
        if line.unwrap().starts_with("rectrack is serving on ") {
            break;
        }
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{:?}", output.status);
    String::from_utf8(output.stderr).unwrap()
}

#[test]
fn logs_are_json_for_collectors_and_plain_lines_for_people() {
    let dir = tempfile::tempdir().unwrap();
    let json = serve_logs(dir.path(), "json");
    let events: Vec<serde_json::Value> = json
        .lines()
        .map(|line| serde_json::from_str(line).expect("every line is a JSON event"))
        .collect();
    assert!(
        events
            .iter()
            .any(|e| e["fields"]["message"] == "Applying all pending migrations"),
        "{json}"
    );
    assert!(
        events
            .iter()
            .any(|e| e["fields"]["message"] == "rectrack stopped")
    );

    let text = serve_logs(dir.path(), "text");
    assert!(text.lines().all(|line| !line.starts_with('{')), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "no colour codes outside a terminal: {text}"
    );
    assert!(
        !text.contains("migration"),
        "migrations are not a newcomer's business: {text}"
    );
    assert!(text.contains("server started"), "{text}");
}

/// Guards point 10 of the hostile-client review: started under a lax umask,
/// rectrack still creates its database and blob store for its owner alone.
#[test]
fn files_are_private_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let started = Command::new("sh")
        .arg("-c")
        .arg(format!("umask 022 && exec {BIN} seed hotton"))
        .current_dir(dir.path())
        .env_remove("RECTRACK_DATABASE_URL")
        .env_remove("RECTRACK_BLOBS")
        .output()
        .unwrap();
    assert!(started.status.success(), "{started:?}");
    let mode = |name: &str| {
        std::fs::metadata(dir.path().join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("rectrack.db"), 0o600);
    assert_eq!(mode("rectrack-blobs"), 0o700);
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let mode = entry.metadata().unwrap().permissions().mode() & 0o077;
        assert_eq!(mode, 0, "{name} is readable by others");
    }
}

/// Guards point 1's clean-up: `blobs gc` lists what no evidence row names
/// and changes nothing; with `--delete` it removes exactly that.
#[test]
fn blobs_gc_lists_then_removes_only_orphans() {
    let dir = tempfile::tempdir().unwrap();
    assert!(rectrack(dir.path(), &["seed", "hotton"]).status.success());
    let orphans = dir.path().join("rectrack-blobs").join("sha256");
    std::fs::create_dir_all(&orphans).unwrap();
    let orphan = orphans.join("0".repeat(64));
    std::fs::write(&orphan, b"left by a failed upload").unwrap();
    let staged = dir.path().join("rectrack-blobs").join("staging");
    std::fs::create_dir_all(&staged).unwrap();
    std::fs::write(staged.join("interrupted"), b"half an upload").unwrap();

    let dry = rectrack(dir.path(), &["blobs", "gc", "--older-than", "0s"]);
    let stdout = String::from_utf8(dry.stdout).unwrap();
    assert_eq!(dry.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("would remove 2 objects, 37 bytes"),
        "{stdout}"
    );
    assert!(orphan.exists(), "a dry run removed a file");

    let young = rectrack(dir.path(), &["blobs", "gc", "--delete"]);
    assert!(
        String::from_utf8(young.stdout)
            .unwrap()
            .contains("removed 0 objects")
    );
    assert!(
        orphan.exists(),
        "a file younger than --older-than was removed"
    );

    let done = rectrack(
        dir.path(),
        &["blobs", "gc", "--delete", "--older-than", "0s"],
    );
    let stdout = String::from_utf8(done.stdout).unwrap();
    assert!(stdout.contains("removed 2 objects, 37 bytes"), "{stdout}");
    assert!(!orphan.exists());
    let wrong = rectrack(dir.path(), &["blobs", "gc", "--older-than", "soon"]);
    assert_eq!(wrong.status.code(), Some(2));
}
