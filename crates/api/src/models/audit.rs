//! The audit chain as clients read it.

use poem_openapi::Object;
use poem_openapi::types::Any;
use rectrack_core::audit::{AuditEvent as CoreEvent, ChainVerdict as CoreVerdict};
use uuid::Uuid;

use crate::models::enums::Role;
use crate::types::Timestamp;

/// Who made a change: a token or a person, with the organisation and role
/// it acted for; all null for the console.
#[derive(Debug, Clone, Object)]
pub struct AuditActor {
    /// The token used.
    #[oai(nullable)]
    pub token_id: Option<Uuid>,
    /// The person who acted; present only when a person did (so that the
    /// event's canonical JSON, and its hash, are as they were before people
    /// existed).
    #[oai(skip_serializing_if_is_none)]
    pub person_id: Option<Uuid>,
    /// The organisation the token or person acted for.
    #[oai(nullable)]
    pub organisation: Option<String>,
    /// The token's or person's role.
    #[oai(nullable)]
    pub role: Option<Role>,
}

/// One event of the audit chain.
#[derive(Debug, Clone, Object)]
pub struct AuditEvent {
    /// Its place in the chain, from 1, with no gaps.
    pub seq: u64,
    /// When the change was made.
    pub at: Timestamp,
    /// Who made it.
    pub actor: AuditActor,
    /// What was done, e.g. `response.submitted`.
    pub action: String,
    /// The kind of entity acted on.
    pub entity_type: String,
    /// Its id.
    pub entity_id: String,
    /// Every row the change wrote.
    pub payload: Any<serde_json::Value>,
    /// The previous event's hash (64 zeros for the first).
    pub prev_hash: String,
    /// SHA-256 of `prev_hash` and the canonical JSON of the other fields.
    pub hash: String,
}

impl From<CoreEvent> for AuditEvent {
    fn from(e: CoreEvent) -> Self {
        Self {
            seq: e.seq,
            at: e.at.into(),
            actor: AuditActor {
                token_id: e.actor.token_id.map(|t| t.as_uuid()),
                person_id: e.actor.person_id.map(|p| p.as_uuid()),
                organisation: e.actor.organisation.map(|o| o.to_string()),
                role: e.actor.role.map(Into::into),
            },
            action: e.action,
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            payload: Any(e.payload),
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

/// A stretch of the chain.
#[derive(Debug, Clone, Object)]
pub struct EventPage {
    /// The events, in order.
    pub items: Vec<AuditEvent>,
    /// Pass as `after_seq` for the next stretch; null at the head.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

/// Events concerning one assignment.
#[derive(Debug, Clone, Object)]
pub struct EventList {
    /// The events, oldest first.
    pub items: Vec<AuditEvent>,
    /// Always null: the history is complete.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

/// The outcome of verifying the whole chain.
#[derive(Debug, Clone, Object)]
pub struct ChainVerdict {
    /// True when every event is in place, unchanged and linked.
    pub valid: bool,
    /// How many events there are.
    pub length: u64,
    /// The hash of the last event.
    pub head_hash: String,
    /// The first position at which the chain is not intact.
    #[oai(nullable)]
    pub first_invalid_seq: Option<u64>,
    /// What is wrong, in words, when it is not valid: an event changed or
    /// missing, or the chain not ending where the recorded head says.
    #[oai(skip_serializing_if_is_none)]
    pub detail: Option<String>,
}

impl From<CoreVerdict> for ChainVerdict {
    fn from(v: CoreVerdict) -> Self {
        Self {
            valid: v.valid,
            length: v.length,
            head_hash: v.head_hash,
            first_invalid_seq: v.first_invalid_seq,
            detail: v.detail,
        }
    }
}
