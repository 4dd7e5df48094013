//! The README's walkthrough, run word for word against `rectrack serve
//! --demo` started as the quick start says: the newcomer's path must work.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// The shell block that follows `<!-- walkthrough -->` in README.md.
fn walkthrough() -> String {
    let readme = include_str!("../../README.md");
    let after = readme
        .split("<!-- walkthrough -->")
        .nth(1)
        .expect("README.md marks its walkthrough");
    let block = after.split("```sh\n").nth(1).unwrap();
    block.split("\n```").next().unwrap().to_owned()
}

/// The MPS's line of the Markdown report after the walkthrough: 15
/// assignments, 14 accepted, 1 claimed, none overdue.
const MPS_ROW: &str = "| mps | 15 | 0 | 14 | 0 | 0 | 0 | 1 | 0 | 0 | 0 | 0 | 0 |";

#[test]
fn the_readme_walkthrough_works_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_rectrack"))
        .args(["serve", "--demo", "--bind", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env("RECTRACK_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let (mut url, mut tokens) = (String::new(), Vec::new());
    while tokens.len() < 2 {
        let line = lines.next().unwrap().unwrap();
        if let Some(address) = line.strip_prefix("rectrack is serving on ") {
            url = address.to_owned();
        } else if line.starts_with("rtk_") {
            tokens.push(line);
        }
    }
    let script = format!("set -euo pipefail\n{}", walkthrough());
    let out = Command::new("bash")
        .args(["-c", &script])
        .env("RECTRACK_URL", &url)
        .env("OVERSEER_TOKEN", &tokens[0])
        .env("MPS_TOKEN", &tokens[1])
        .output()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the walkthrough failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The acceptance on record: a backfill whose timing is not claimed.
    assert!(
        stdout.contains("\"response_timing\": \"unknown\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("\"occurred_on\": \"2022-04-08\""),
        "{stdout}"
    );
    assert!(stdout.contains("\"backfilled\": true"), "{stdout}");
    // As it happened on 1 March 2022: all awaiting, none overdue.
    assert!(stdout.contains("\"awaiting\": 15"), "{stdout}");
    assert!(stdout.contains("\"response_overdue\": 0"), "{stdout}");
    assert!(stdout.contains("\"implementation_claimed\""), "{stdout}");
    assert!(stdout.contains(MPS_ROW), "{stdout}");
    assert!(stdout.contains("\"valid\": true"), "{stdout}");
}
