//! A bare poem server answering `GET /ceiling` with a fixed JSON body the
//! size of an assignment: the ceiling the real routes are measured against.
//! Given a database, it also answers `GET /row/{id}` with one assignment row
//! read by primary key through the store's connection pool: the most any
//! read of the database can give over the same framework.

use poem::listener::TcpListener;
use poem::web::{Data, Json, Path};
use poem::{EndpointExt, Route, Server, get, handler};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

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

#[handler]
async fn row(
    Path(id): Path<uuid::Uuid>,
    db: Data<&DatabaseConnection>,
) -> poem::Result<Json<serde_json::Value>> {
    let backend = db.get_database_backend();
    let sql = if backend == DbBackend::Postgres {
        "SELECT id, organisation, status, version FROM assignments WHERE id = $1"
    } else {
        "SELECT id, organisation, status, version FROM assignments WHERE id = ?"
    };
    let found = db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, [id.into()]))
        .await
        .map_err(poem::error::InternalServerError)?
        .ok_or_else(|| poem::Error::from_status(poem::http::StatusCode::NOT_FOUND))?;
    let field = |name: &str| found.try_get::<String>("", name).unwrap_or_default();
    let mut body = assignment_json();
    body["organisation"] = field("organisation").into();
    body["status"] = field("status").into();
    body["version"] = found.try_get::<i64>("", "version").unwrap_or(0).into();
    Ok(Json(body))
}

/// Serves `/ceiling` on `addr`, and `/row/{id}` too when given a database.
pub async fn serve(
    addr: String,
    database: Option<String>,
) -> Result<(), Box<dyn std::error::Error>> {
    let routes = Route::new().at("/ceiling", get(ceiling));
    match database {
        Some(url) => {
            let db = rectrack_store::db::connect(&url).await?;
            let routes = routes.at("/row/:id", get(row)).data(db);
            Server::new(TcpListener::bind(addr)).run(routes).await?;
        }
        None => Server::new(TcpListener::bind(addr)).run(routes).await?,
    }
    Ok(())
}
