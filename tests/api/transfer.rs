//! Importing a record kept elsewhere and exporting the record: who may,
//! dry runs, all-or-nothing, re-imports that change nothing, the bad-file
//! catalogue, the round trip through CSV and XLSX, and the OSCAL POA&M.

use std::path::Path;
use std::process::Command;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, problem, token};
use rectrack::domain::role::Role;

const CSV: &str = "text/csv";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const BIN: &str = env!("CARGO_BIN_EXE_rectrack");

/// A record kept in a spreadsheet: a report of two recommendations to two
/// forces, with a history on three of the four assignments.
const RECORD: &str = "\
report,number,recipient,recipient_name,recipient_kind,report_title,report_issued_by,report_published_on,title,body,themes,issued_on,response_decision,response_rationale,response_on,response_precision,response_source,response_source_url,progress_narrative,progress_on,progress_source,claim_summary,claim_evidence_url,claim_on,claim_source,review_outcome,review_on,review_source
op-x,1,forcea,Force A,police_force,Operation X,iopc,2022-01-10,Vet officers,Vet all officers again.,vetting;culture,2022-01-10,accepted,We agree.,2022-03-01,exact,Letter of 1 March 2022,https://example.org/letter,Half done,2022-06-01,Board minutes,All vetted,https://example.org/register,2023-01-05,Letter of 5 January 2023,verified,2023-02-01,Closure letter
op-x,1,forceb,Force B,police_force,Operation X,iopc,2022-01-10,Vet officers,Vet all officers again.,vetting;culture,2022-01-10,not_accepted,We disagree.,2022-03-10,on_or_before,Annual report 2022,,,,,,,,,,,
op-x,2,forcea,Force A,police_force,Operation X,iopc,2022-01-10,Train staff,\"Train staff, all of them.\",training,2022-01-10,partially_accepted,In part.,2022-02-20,exact,Letter,,,,,,,,,,,
op-x,2,forceb,Force B,police_force,Operation X,iopc,2022-01-10,Train staff,\"Train staff, all of them.\",training,2022-01-10,,,,,,,,,,,,,,,,
";

impl TestApp {
    async fn import(
        &self,
        token: Option<&str>,
        media: &str,
        body: Vec<u8>,
        dry_run: bool,
    ) -> reqwest::Response {
        let path = if dry_run {
            "/v1/imports?dry_run=true"
        } else {
            "/v1/imports"
        };
        self.request(Method::POST, path, token)
            .header("Content-Type", media)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    async fn status_report(&self) -> Value {
        let mut report: Value = self
            .get("/v1/status", Some(&self.overseer))
            .await
            .json()
            .await
            .unwrap();
        report.as_object_mut().unwrap().remove("generated_at");
        report
    }

    async fn export(&self, query: &str, token: Option<&str>) -> reqwest::Response {
        self.get(&format!("/v1/exports?{query}"), token).await
    }
}

#[tokio::test]
async fn only_an_overseer_imports() {
    let app = TestApp::spawn().await;
    app.add_mps().await;
    let mps = token(&app.store, "mps", Role::Recipient).await;
    let chain = app.chain_length().await;
    for dry_run in [false, true] {
        problem(
            app.import(Some(&mps), CSV, RECORD.into(), dry_run).await,
            403,
        )
        .await;
        problem(app.import(None, CSV, RECORD.into(), dry_run).await, 401).await;
    }
    assert_eq!(
        app.chain_length().await,
        chain,
        "refused imports write nothing"
    );
}

#[tokio::test]
async fn a_dry_run_writes_nothing_an_import_writes_it_all_and_again_changes_nothing() {
    let app = TestApp::spawn().await;
    let chain = app.chain_length().await;

    let dry = app
        .import(Some(&app.overseer), CSV, RECORD.into(), true)
        .await;
    assert_eq!(dry.status(), 200);
    let dry: Value = dry.json().await.unwrap();
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["recorded"], false);
    assert_eq!(
        (dry["rows"].as_u64(), dry["created"].as_u64()),
        (Some(4), Some(4)),
        "{dry}"
    );
    assert_eq!(dry["errors"], json!([]));
    assert_eq!(app.chain_length().await, chain, "a dry run writes nothing");

    let done = app
        .import(Some(&app.overseer), CSV, RECORD.into(), false)
        .await;
    assert_eq!(done.status(), 200);
    let done: Value = done.json().await.unwrap();
    assert_eq!(done["recorded"], true);
    assert_eq!(
        done["records_created"], 5,
        "two forces, a report, two recommendations: {done}"
    );
    assert_eq!(done["facts_recorded"], 7, "{done}");
    assert_eq!(
        done["results"], dry["results"],
        "the dry run said what the import did"
    );

    // The history is the lifecycle's, entered as backfills on the days it happened.
    let assignments: Value = app
        .get(
            "/v1/assignments?organisation=forcea&report=op-x",
            Some(&app.overseer),
        )
        .await
        .json()
        .await
        .unwrap();
    let first = &assignments["items"][0];
    assert_eq!(first["status"], "verified", "{first}");
    assert_eq!(first["first_response_on"], "2022-03-01");
    assert_eq!(first["response_timing"], "on_time");
    let history: Value = app
        .get(
            &format!("/v1/assignments/{}/history", first["id"].as_str().unwrap()),
            Some(&app.overseer),
        )
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "recommendation.created",
            "response.submitted",
            "progress.posted",
            "evidence.added",
            "implementation.claimed",
            "review.verified"
        ]
    );

    // One event names the file and every row.
    let events: Value = app
        .get("/v1/audit/events?limit=500", Some(&app.overseer))
        .await
        .json()
        .await
        .unwrap();
    let last = events["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "import.completed");
    assert_eq!(last["entity_id"], done["sha256"]);
    assert_eq!(
        last["payload"]["rows"].as_array().unwrap().len(),
        4,
        "{last}"
    );
    let length = app.chain_length().await;
    let report = app.status_report().await;

    // Again: nothing changes, and no event is written.
    let again: Value = app
        .import(Some(&app.overseer), CSV, RECORD.into(), false)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["recorded"], false, "{again}");
    assert_eq!(again["left_alone"], 4);
    assert_eq!(app.chain_length().await, length);
    assert_eq!(app.status_report().await, report);

    // A later file carries the record on: only the new step is taken.
    let later = "report,number,recipient,response_decision,response_rationale,response_on,response_source\n\
                 op-x,2,forceb,accepted,Accepted after all.,2022-05-01,Letter of 1 May 2022\n\
                 op-x,1,forcea,accepted,We agree.,2022-03-01,Letter of 1 March 2022\n";
    let later: Value = app
        .import(Some(&app.overseer), CSV, later.into(), false)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (later["changed"].as_u64(), later["left_alone"].as_u64()),
        (Some(1), Some(1)),
        "{later}"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_import_with_any_error_writes_nothing_and_names_every_error() {
    let app = TestApp::spawn().await;
    app.import(Some(&app.overseer), CSV, RECORD.into(), false)
        .await;
    let chain = app.chain_length().await;
    let report = app.status_report().await;
    // Row 2 is fine; row 3 claims before a response; row 4 names a
    // recommendation nobody described; row 5 is dated after today.
    let file = "report,number,recipient,response_decision,response_rationale,response_on,response_source,claim_summary,claim_evidence,claim_on,claim_source\n\
                op-x,2,forceb,accepted,Yes.,2022-05-01,Letter,,,,\n\
                op-x,2,forceb,,,,,Done,It is done,2022-06-01,Letter\n\
                op-x,9,forcea,accepted,Yes.,2022-05-01,Letter,,,,\n\
                op-x,1,forceb,accepted,Yes.,2999-01-01,Letter,,,,\n";
    let dry: Value = app
        .import(Some(&app.overseer), CSV, file.into(), true)
        .await
        .json()
        .await
        .unwrap();
    let rows: Vec<u64> = dry["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["row"].as_u64().unwrap())
        .collect();
    assert!(rows.contains(&3) && rows.contains(&5), "{dry}");
    let refused = problem(
        app.import(Some(&app.overseer), CSV, file.into(), false)
            .await,
        422,
    )
    .await;
    let rows = refused["rows"].as_array().unwrap();
    assert!(
        rows.iter()
            .all(|e| e["row"].as_u64().is_some() && e["message"].is_string()),
        "{refused}"
    );
    assert!(
        rows.iter()
            .any(|e| e["row"] == 5 && e["column"] == "response_on"),
        "{refused}"
    );
    assert_eq!(app.chain_length().await, chain, "all or nothing");
    assert_eq!(app.status_report().await, report);
    app.stop().await;
}

fn xlsx_with_formula() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, name) in ["report", "number", "recipient", "title"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *name).unwrap();
    }
    sheet.write_string(1, 0, "op-x").unwrap();
    sheet.write_number(1, 1, 1).unwrap();
    sheet.write_string(1, 2, "forcea").unwrap();
    sheet
        .write_formula(1, 3, "=HYPERLINK(\"https://example.org\",\"click\")")
        .unwrap();
    book.save_to_buffer().unwrap()
}

#[tokio::test]
async fn bad_files_are_refused_with_a_problem_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    app.import(Some(&app.overseer), CSV, RECORD.into(), false)
        .await;
    let chain = app.chain_length().await;
    let report = app.status_report().await;
    let header = "report,number,recipient\n";
    let mut many = String::from(header);
    for i in 0..100_001 {
        many.push_str(&format!("op-x,{},forcea\n", i + 1));
    }
    let mut huge = String::from("report,number,recipient,body\n");
    while huge.len() < 30_000_000 {
        huge.push_str(&format!("op-x,1,forcea,{}\n", "x".repeat(9_000)));
    }
    let mut latin1 = header.as_bytes().to_vec();
    latin1.extend_from_slice(b"op-x,1,for\xe7a\n");
    let catalogue: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
        ("not UTF-8", CSV, latin1, 422, "UTF-8"),
        ("no required columns", CSV, b"rep,num\nop-x,1\n".to_vec(), 422, "required column"),
        ("an unknown column", CSV, b"report,number,recipient,colour\nop-x,1,forcea,red\n".to_vec(), 422, "not a column"),
        ("a formula in CSV", CSV, b"report,number,recipient,response_decision,response_rationale,response_on,response_source\nop-x,2,forceb,accepted,=1+1,2022-05-01,Letter\n".to_vec(), 422, "formula"),
        ("a formula in XLSX", XLSX, xlsx_with_formula(), 422, "formula"),
        ("not a workbook", XLSX, b"PK\x03\x04 this is not a zip".to_vec(), 422, "XLSX"),
        ("an empty file", CSV, Vec::new(), 422, "empty"),
        ("unbalanced quotes", CSV, b"report,number,recipient\n\"op-x,1,forcea\nop-x,\"2\"x,forcea\n".to_vec(), 422, ""),
        ("100,001 rows", CSV, many.into_bytes(), 422, "at most 100000"),
        ("30 MB", CSV, huge.into_bytes(), 413, ""),
        ("another media type", "application/json", b"{}".to_vec(), 415, ""),
    ];
    for (what, media, body, status, says) in catalogue {
        for dry_run in [false, true] {
            let response = app
                .import(Some(&app.overseer), media, body.clone(), dry_run)
                .await;
            let got = response.status().as_u16();
            let document: Value = response.json().await.unwrap_or(Value::Null);
            if dry_run && status == 422 {
                // A dry run answers the errors of a file it could read.
                assert!(got == 200 || got == 422, "{what}: {got} {document}");
                if got == 200 {
                    assert!(
                        !document["errors"].as_array().unwrap().is_empty(),
                        "{what}: {document}"
                    );
                }
            } else {
                assert_eq!(got, status, "{what}: {document}");
                assert!(
                    document["type"]
                        .as_str()
                        .is_some_and(|t| t.starts_with("urn:rectrack:problem:")),
                    "{what}: {document}"
                );
            }
            assert!(document.to_string().contains(says), "{what}: {document}");
        }
        assert_eq!(app.chain_length().await, chain, "{what}: nothing stored");
    }
    assert_eq!(app.status_report().await, report);
    app.stop().await;
}

#[tokio::test]
async fn an_export_imported_into_an_empty_instance_gives_the_same_report() {
    let app = TestApp::spawn().await;
    app.import(Some(&app.overseer), CSV, RECORD.into(), false)
        .await;
    // And facts entered today through the API, as a force would.
    let fixture = app.accepted_assignment().await;
    let update = app
        .post(
            &format!("/v1/assignments/{}/updates", fixture.assignment),
            Some(&fixture.mps),
            &json!({"narrative": "=Started, with a formula-looking text."}),
        )
        .await;
    assert_eq!(update.status(), 201);
    let report = app.status_report().await;
    assert_eq!(report["totals"]["assignments"], 5);

    for (format, media) in [("csv", CSV), ("xlsx", XLSX)] {
        let file = app
            .export(&format!("format={format}"), Some(&app.overseer))
            .await;
        assert_eq!(file.status(), 200);
        assert!(
            file.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment")
        );
        let bytes = file.bytes().await.unwrap().to_vec();
        if format == "csv" {
            let text = String::from_utf8(bytes.clone()).unwrap();
            assert!(
                text.contains("\"'=Started"),
                "formula-looking cells are neutralised"
            );
        }
        let other = TestApp::spawn().await;
        let imported = other
            .import(Some(&other.overseer), media, bytes, false)
            .await;
        let status = imported.status();
        assert_eq!(status, 200, "{format}: {}", imported.text().await.unwrap());
        assert_eq!(other.status_report().await, report, "{format}");
        let updates: Value = other
            .get("/v1/assignments?organisation=mps", Some(&other.overseer))
            .await
            .json()
            .await
            .unwrap();
        let id = updates["items"][0]["id"].as_str().unwrap().to_owned();
        let updates: Value = other
            .get(
                &format!("/v1/assignments/{id}/updates"),
                Some(&other.overseer),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            updates["items"][0]["narrative"],
            "=Started, with a formula-looking text."
        );
        other.stop().await;
    }

    // Without a token, the published view: no progress, claims or reviews.
    let published = app.export("format=csv", None).await.text().await.unwrap();
    assert!(
        !published.contains("Half done") && published.contains("We agree."),
        "{published}"
    );
    let facts = app
        .export("format=csv&table=facts", Some(&app.overseer))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        facts
            .lines()
            .any(|l| l.contains("progress update") && l.contains("2022-06-01")),
        "{facts}"
    );
    problem(app.export("format=pdf", None).await, 422).await;
    problem(app.export("format=csv&report=nope", None).await, 404).await;
    app.stop().await;
}

#[tokio::test]
async fn the_oscal_poam_maps_the_record() {
    let app = TestApp::spawn().await;
    app.import(Some(&app.overseer), CSV, RECORD.into(), false)
        .await;
    let document: Value = app
        .export("format=oscal-poam&report=op-x", Some(&app.overseer))
        .await
        .json()
        .await
        .unwrap();
    let poam = &document["plan-of-action-and-milestones"];
    assert_eq!(poam["findings"].as_array().unwrap().len(), 2);
    assert_eq!(poam["poam-items"].as_array().unwrap().len(), 4);
    let risks = poam["risks"].as_array().unwrap();
    assert_eq!(risks.len(), 4);
    assert!(
        risks
            .iter()
            .all(|r| r["deadline"] == "2022-03-07T00:00:00Z"),
        "the response due day"
    );
    let verified = risks.iter().find(|r| r["status"] == "closed").unwrap();
    assert_eq!(verified["risk-log"]["entries"].as_array().unwrap().len(), 4);
    let resources = poam["back-matter"]["resources"].as_array().unwrap();
    assert_eq!(
        resources[0]["rlinks"][0]["href"],
        "https://example.org/register"
    );
    problem(
        app.export("format=oscal-poam&organisation=iopc", None)
            .await,
        404,
    )
    .await;
    app.stop().await;
}

fn rectrack(dir: &Path, database: &str, args: &[&str]) -> std::process::Output {
    let output = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env(
            "RECTRACK_DATABASE_URL",
            format!("sqlite://{}/{database}?mode=rwc", dir.display()),
        )
        .env("RECTRACK_BLOBS", dir.join("blobs"))
        .output()
        .unwrap();
    assert!(
        output.status.success() || args[0] == "import",
        "{args:?}: {output:?}"
    );
    output
}

#[test]
fn the_hotton_record_goes_round_through_csv_and_xlsx_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    rectrack(dir, "a.db", &["seed", "hotton"]);
    let report = rectrack(dir, "a.db", &["report"]).stdout;
    rectrack(
        dir,
        "a.db",
        &["export", "--format", "csv", "--output", "hotton.csv"],
    );
    rectrack(
        dir,
        "a.db",
        &["export", "--format", "xlsx", "--output", "hotton.xlsx"],
    );
    for (file, database) in [("hotton.csv", "b.db"), ("hotton.xlsx", "c.db")] {
        let dry = rectrack(dir, database, &["import", file, "--dry-run"]);
        assert!(dry.status.success(), "{dry:?}");
        assert!(
            String::from_utf8_lossy(&dry.stdout).contains("15 would be created"),
            "{dry:?}"
        );
        let done = rectrack(dir, database, &["import", file]);
        assert!(done.status.success(), "{done:?}");
        let strip = |bytes: &[u8]| -> Value {
            let mut value: Value = serde_json::from_slice(bytes).unwrap();
            value.as_object_mut().unwrap().remove("generated_at");
            value
        };
        assert_eq!(
            strip(&rectrack(dir, database, &["report"]).stdout),
            strip(&report),
            "{file}"
        );
        let verify = rectrack(dir, database, &["audit", "verify"]);
        assert!(verify.status.success());
    }
    // A file with errors exits 1 and writes nothing.
    std::fs::write(dir.join("bad.csv"), "report,number\nop,1\n").unwrap();
    let bad = rectrack(dir, "b.db", &["import", "bad.csv"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("recipient"),
        "{bad:?}"
    );
}
