//! `/v1/audit`: the chain for the overseer, its verification for everyone.

use std::sync::Arc;

use poem_openapi::OpenApi;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;

use crate::app::{AppState, Tag};
use crate::auth::{OptionalAuth, TokenAuth};
use crate::models::{ChainVerdict, EventPage};
use crate::problem::{ApiError, Problem};

/// The audit chain.
pub struct AuditApi {
    /// Shared state.
    pub state: Arc<AppState>,
}

/// A stretch of the chain.
pub type Events = crate::http::Found<EventPage>;

/// The verdict on the chain.
pub type Verdict = crate::http::Found<ChainVerdict>;

#[OpenApi]
impl AuditApi {
    /// Read the audit chain in order (the overseer, and observers of an oversight body)
    #[oai(path = "/v1/audit/events", method = "get", tag = "Tag::Audit")]
    async fn events(
        &self,
        auth: TokenAuth,
        after_seq: Query<Option<i64>>,
        limit: Query<Option<i64>>,
    ) -> Result<Events, ApiError> {
        auth.0
            .require_sees_everything("read_audit_events")
            .map_err(rectrack_store::Error::from)?;
        let after = match after_seq.0 {
            None => 0,
            Some(n) if n >= 0 => n as u64,
            Some(n) => {
                return Err(Problem::invalid_field(
                    "after_seq",
                    format!("must not be negative (it is {n})"),
                )
                .into_error());
            }
        };
        let limit = crate::http::page("audit events", limit.0, None)?.limit();
        let events = self.state.store.audit_events(after, limit).await?;
        let next_cursor = (events.len() as u64 == limit)
            .then(|| events.last().map(|e| e.seq.to_string()))
            .flatten();
        Ok(Events::Ok(Json(EventPage {
            items: events.into_iter().map(Into::into).collect(),
            next_cursor,
        })))
    }

    /// Verify the whole audit chain
    #[oai(path = "/v1/audit/verify", method = "get", tag = "Tag::Audit")]
    async fn verify(&self, auth: OptionalAuth) -> Result<Verdict, ApiError> {
        auth.allow(&self.state)?;
        Ok(Verdict::Ok(Json(
            self.state.store.verify_chain().await?.into(),
        )))
    }
}
