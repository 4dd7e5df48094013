//! Acts as the Metropolitan Police Service: responds to all 15 Operation
//! Hotton recommendations (accepting 13, partially accepting one, not
//! accepting one), plans a milestone for each it accepts, and on the first
//! posts progress with a link and a small document.
//!
//! ```sh
//! RECTRACK_URL=http://127.0.0.1:8080 RECTRACK_TOKEN=<MPS recipient token> cargo run --example force_progress
//! ```

use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("RECTRACK_URL")
        .map_err(|_| "set RECTRACK_URL, e.g. http://127.0.0.1:8080")?;
    let token = std::env::var("RECTRACK_TOKEN")
        .map_err(|_| "set RECTRACK_TOKEN to the MPS recipient token")?;
    let client = reqwest::Client::new();
    let check = |response: reqwest::Response, what: String| async move {
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            Ok(body)
        } else {
            Err(format!("{what}: {status} {body}"))
        }
    };

    let page = check(
        client
            .get(format!(
                "{url}/v1/recommendations?report=operation-hotton&recipient=mps&limit=500"
            ))
            .bearer_auth(&token)
            .send()
            .await?,
        "list".into(),
    )
    .await?;
    let recommendations = page["items"].as_array().ok_or("no recommendations")?;
    let mut first_accepted = None;
    for recommendation in recommendations {
        let number = recommendation["number"].as_u64().unwrap_or(0);
        let Some(assignment) = recommendation["assignments"]
            .as_array()
            .and_then(|a| a.iter().find(|a| a["organisation"] == "mps"))
        else {
            continue;
        };
        let id = assignment["id"]
            .as_str()
            .ok_or("assignment without id")?
            .to_owned();
        if assignment["status"] != "awaiting_response" {
            continue; // already answered
        }
        let body = match number {
            14 => {
                json!({"decision": "partially_accepted", "rationale": "We accept the training element; the rest is national work.", "planned_completion_on": "2023-03-31"})
            }
            15 => {
                json!({"decision": "not_accepted", "rationale": "This is a matter for the National Police Chiefs' Council."})
            }
            _ => {
                json!({"decision": "accepted", "rationale": "We accept this recommendation and will report progress.", "planned_completion_on": "2023-03-31"})
            }
        };
        let version = assignment["version"].as_i64().unwrap_or(1);
        check(
            client
                .put(format!("{url}/v1/assignments/{id}/response"))
                .bearer_auth(&token)
                .header("If-Match", format!("\"{version}\""))
                .json(&body)
                .send()
                .await?,
            format!("respond to {number}"),
        )
        .await?;
        if number != 15 {
            let milestone = json!({"title": format!("Deliver recommendation {number}"), "due_on": "2022-12-31"});
            check(
                client
                    .post(format!("{url}/v1/assignments/{id}/milestones"))
                    .bearer_auth(&token)
                    .json(&milestone)
                    .send()
                    .await?,
                format!("plan {number}"),
            )
            .await?;
            first_accepted.get_or_insert(id);
        }
    }
    if let Some(id) = first_accepted {
        let link = json!({"kind": "link", "title": "Published commitment", "url": "https://www.met.police.uk/"});
        let link = check(
            client
                .post(format!("{url}/v1/assignments/{id}/evidence"))
                .bearer_auth(&token)
                .json(&link)
                .send()
                .await?,
            "link".into(),
        )
        .await?;
        let form = reqwest::multipart::Form::new()
            .part(
                "file",
                reqwest::multipart::Part::bytes(
                    b"Progress report: training delivered to all supervisors.\n".to_vec(),
                )
                .file_name("progress.txt")
                .mime_str("text/plain")?,
            )
            .text("title", "Progress report")
            .text("description", "Supervisor training delivered.");
        let document = check(
            client
                .post(format!("{url}/v1/assignments/{id}/evidence"))
                .bearer_auth(&token)
                .multipart(form)
                .send()
                .await?,
            "document".into(),
        )
        .await?;
        let update = json!({"narrative": "Commitment published; supervisor training delivered.", "evidence_ids": [link["id"], document["id"]]});
        check(
            client
                .post(format!("{url}/v1/assignments/{id}/updates"))
                .bearer_auth(&token)
                .json(&update)
                .send()
                .await?,
            "update".into(),
        )
        .await?;
    }
    println!("The MPS has responded to every recommendation and reported its progress.");
    Ok(())
}
