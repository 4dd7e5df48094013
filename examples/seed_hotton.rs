//! Creates the whole Operation Hotton data set through the HTTP API: the
//! MPS, the IOPC's report and its 15 recommendations. What exists already is
//! left as it is, so it can be run twice.
//!
//! ```sh
//! RECTRACK_URL=http://127.0.0.1:8080 RECTRACK_TOKEN=<overseer token> cargo run --example seed_hotton
//! ```

use rectrack_core::dataset::Dataset;
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("RECTRACK_URL")
        .map_err(|_| "set RECTRACK_URL, e.g. http://127.0.0.1:8080")?;
    let token =
        std::env::var("RECTRACK_TOKEN").map_err(|_| "set RECTRACK_TOKEN to an overseer token")?;
    let client = reqwest::Client::new();
    let post = |path: &str, body: Value| {
        client
            .post(format!("{url}{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let dataset = Dataset::operation_hotton()?;
    let mut created = 0;
    let mut expect = |status: reqwest::StatusCode, what: &str| -> Result<(), String> {
        match status.as_u16() {
            201 => {
                created += 1;
                Ok(())
            }
            409 => Ok(()), // already there
            other => Err(format!("{what}: unexpected status {other}")),
        }
    };
    for organisation in &dataset.organisations {
        let body = json!({"code": organisation.code, "name": organisation.name, "kind": organisation.kind});
        expect(
            post("/v1/organisations", body).await?.status(),
            organisation.code.as_str(),
        )?;
    }
    for report in &dataset.reports {
        let r = &report.report;
        let body = json!({
            "slug": r.slug, "title": r.title, "issued_by": r.issued_by,
            "published_on": r.published_on.to_string(), "url": r.url, "summary": r.summary,
        });
        expect(post("/v1/reports", body).await?.status(), r.slug.as_str())?;
        for recommendation in &report.recommendations {
            let body = json!({
                "number": recommendation.number, "title": recommendation.title, "body": recommendation.body,
                "themes": recommendation.themes, "recipients": recommendation.recipients,
                "issued_on": recommendation.issued_on.to_string(),
                "response_due_on": recommendation.response_due_on.to_string(),
                "legal_basis": recommendation.legal_basis,
            });
            let path = format!("/v1/reports/{}/recommendations", r.slug);
            expect(
                post(&path, body).await?.status(),
                &format!("recommendation {}", recommendation.number),
            )?;
        }
    }
    println!("Operation Hotton: {created} records created.");
    Ok(())
}
