//! The runnable examples, in order, against a real server: `seed_hotton`
//! creates the data set over HTTP, `force_progress` acts as the MPS, and
//! `status_report` prints the result.

use std::path::PathBuf;
use std::process::Command;

use crate::helpers::{TestApp, token};
use rectrack_core::role::Role;
use serde_json::Value;

/// An example binary, built by `cargo test` beside this test.
fn example(name: &str) -> PathBuf {
    let mut path = std::env::current_exe().unwrap();
    path.pop(); // the test binary
    if path.ends_with("deps") {
        path.pop();
    }
    let path = path.join("examples").join(name);
    assert!(
        path.exists(),
        "{} is not built: run `cargo test` (which builds examples) or `cargo build --examples`",
        path.display()
    );
    path
}

fn run(app: &TestApp, name: &str, token: Option<&str>) -> String {
    let mut command = Command::new(example(name));
    command.env("RECTRACK_URL", format!("http://{}", app.addr));
    match token {
        Some(token) => command.env("RECTRACK_TOKEN", token),
        None => command.env_remove("RECTRACK_TOKEN"),
    };
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{name} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_examples_seed_progress_and_report_in_order() {
    let app = TestApp::spawn().await;
    let seeded = tokio::task::block_in_place(|| run(&app, "seed_hotton", Some(&app.overseer)));
    assert!(seeded.contains("17 records created"), "{seeded}"); // the IOPC exists already
    let again = tokio::task::block_in_place(|| run(&app, "seed_hotton", Some(&app.overseer)));
    assert!(again.contains("0 records created"), "{again}");
    let mps = token(&app.store, "mps", Role::Recipient).await;
    let progressed = tokio::task::block_in_place(|| run(&app, "force_progress", Some(&mps)));
    assert!(
        progressed.contains("responded to every recommendation"),
        "{progressed}"
    );
    let table = tokio::task::block_in_place(|| run(&app, "status_report", None));
    let mps_row = table.lines().find(|l| l.starts_with("mps")).unwrap();
    let cells: Vec<&str> = mps_row.split_whitespace().collect();
    assert_eq!(
        cells,
        ["mps", "15", "0", "12", "1", "1", "1", "0", "0", "0", "0"],
        "{table}"
    );

    let report: Value = app.get("/v1/status", None).await.json().await.unwrap();
    assert_eq!(report["totals"]["by_status"]["in_progress"], 1);
    assert_eq!(report["totals"]["accepted_rate"], 0.9333);
    app.stop().await;
}
