//! Fetches the status report and prints it as a table.
//!
//! ```sh
//! RECTRACK_URL=http://127.0.0.1:8080 cargo run --example status_report
//! ```
//!
//! `RECTRACK_TOKEN` is needed only when the service runs `--private`.

use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("RECTRACK_URL")
        .map_err(|_| "set RECTRACK_URL, e.g. http://127.0.0.1:8080")?;
    let mut request = reqwest::Client::new().get(format!("{url}/v1/status"));
    if let Ok(token) = std::env::var("RECTRACK_TOKEN") {
        request = request.bearer_auth(token);
    }
    let response = request.send().await?;
    if !response.status().is_success() {
        return Err(format!("GET /v1/status: {}", response.status()).into());
    }
    let report: Value = response.json().await?;
    println!("Status as of {}", report["as_of"].as_str().unwrap_or("?"));
    let statuses = [
        "awaiting_response",
        "accepted",
        "partially_accepted",
        "not_accepted",
        "in_progress",
        "implementation_claimed",
        "verified",
        "closed_not_implemented",
        "withdrawn",
    ];
    print!("{:<14}{:>6}", "organisation", "total");
    for status in statuses {
        print!(" {:>8}", &status[..status.len().min(8)]);
    }
    println!();
    let mut rows: Vec<(String, &Value)> = report["by_organisation"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|o| (o["organisation"].as_str().unwrap_or("?").to_owned(), o))
                .collect()
        })
        .unwrap_or_default();
    rows.push(("all".to_owned(), &report["totals"]));
    for (name, figures) in rows {
        print!("{name:<14}{:>6}", figures["assignments"]);
        for status in statuses {
            print!(" {:>8}", figures["by_status"][status]);
        }
        println!();
    }
    Ok(())
}
