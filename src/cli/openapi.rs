//! `rectrack openapi`: prints the OpenAPI document the service serves.

use std::process::ExitCode;
use std::sync::Arc;

use rectrack_api::app::{AppState, spec_json};
use rectrack_store::{BlobStore, Store, SystemClock, db};

use super::Error;

/// Runs `openapi`: builds the service on a throwaway in-memory database (the
/// document does not depend on data) and prints its document.
pub async fn run() -> Result<ExitCode, Error> {
    let connection = db::connect("sqlite::memory:").await?;
    let store = Store::new(connection, BlobStore::in_memory(), Arc::new(SystemClock));
    let spec: serde_json::Value = serde_json::from_str(&spec_json(&Arc::new(AppState::new(store))))
        .map_err(|e| Error::Message(e.to_string()))?;
    println!(
        "{}",
        serde_json::to_string_pretty(&spec).map_err(|e| Error::Message(e.to_string()))?
    );
    Ok(ExitCode::SUCCESS)
}
