//! One file per resource. Each handler parses the request, calls one store
//! command or query, and maps the result to its response.

use std::sync::Arc;

use crate::app::AppState;

pub mod assignments;
pub mod audit;
pub mod evidence;
pub mod exports;
pub mod imports;
pub mod log;
pub mod milestones;
pub mod organisations;
pub mod people;
pub mod recommendations;
pub mod reports;
pub mod service;
pub mod status;
pub mod tokens;

/// Every group of operations.
pub type Api = (
    service::ServiceApi,
    organisations::OrganisationsApi,
    reports::ReportsApi,
    recommendations::RecommendationsApi,
    assignments::AssignmentsApi,
    milestones::MilestonesApi,
    evidence::EvidenceApi,
    audit::AuditApi,
    log::LogApi,
    status::StatusApi,
    tokens::TokensApi,
    people::PeopleApi,
    imports::ImportsApi,
    exports::ExportsApi,
);

/// The operations, sharing `state`.
pub fn api(state: Arc<AppState>) -> Api {
    (
        service::ServiceApi {
            state: state.clone(),
        },
        organisations::OrganisationsApi {
            state: state.clone(),
        },
        reports::ReportsApi {
            state: state.clone(),
        },
        recommendations::RecommendationsApi {
            state: state.clone(),
        },
        assignments::AssignmentsApi {
            state: state.clone(),
        },
        milestones::MilestonesApi {
            state: state.clone(),
        },
        evidence::EvidenceApi {
            state: state.clone(),
        },
        audit::AuditApi {
            state: state.clone(),
        },
        log::LogApi {
            state: state.clone(),
        },
        status::StatusApi {
            state: state.clone(),
        },
        tokens::TokensApi {
            state: state.clone(),
        },
        people::PeopleApi {
            state: state.clone(),
        },
        imports::ImportsApi {
            state: state.clone(),
        },
        exports::ExportsApi { state },
    )
}

/// Today, by the store's clock: the day derived flags are computed for.
pub(crate) fn today(state: &AppState) -> chrono::NaiveDate {
    state.store.now().date_naive()
}

/// The assignment if the token may see its organisation's data; else 404, as
/// if it did not exist.
pub(crate) async fn visible_assignment(
    state: &AppState,
    auth: &crate::auth::TokenAuth,
    id: rectrack_core::ids::AssignmentId,
) -> Result<rectrack_store::assignments::AssignmentRecord, crate::problem::ApiError> {
    let record = state.store.assignment(id).await?;
    if !auth.actor()?.sees(&record.assignment.organisation) {
        return Err(rectrack_store::Error::not_found("assignment", id).into());
    }
    Ok(record)
}
