//! A bare poem server answering `GET /ceiling` with a fixed JSON body the
//! size of an assignment: the ceiling the real routes are measured against.
//!
//! Usage: `ceiling 127.0.0.1:PORT`

use poem::listener::TcpListener;
use poem::web::Json;
use poem::{Route, Server, get, handler};

/// An assignment as the API answers it, with a typical response.
fn assignment_json() -> serde_json::Value {
    serde_json::json!({
        "id": "0b7f4a9e-6a7d-4f42-9a55-3c1ff1d2b0c4",
        "recommendation_id": "7e1c8d4b-2f6a-4c5e-8d9b-1a2b3c4d5e6f",
        "organisation": "force-001",
        "status": "in_progress",
        "response": {
            "decision": "accepted",
            "rationale": "Synthetic rationale.",
            "planned_completion_on": "2026-06-30",
            "submitted_at": "2024-03-01T10:15:30.123456Z",
            "submitted_by": "force-001"
        },
        "issued_on": "2024-01-10",
        "response_due_on": "2024-03-06",
        "closed_on": null,
        "version": 12,
        "response_overdue": false,
        "overdue_milestones": 1,
        "days_open": 1050
    })
}

#[handler]
fn ceiling() -> Json<serde_json::Value> {
    Json(assignment_json())
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8099".to_owned());
    Server::new(TcpListener::bind(addr))
        .run(Route::new().at("/ceiling", get(ceiling)))
        .await
}
