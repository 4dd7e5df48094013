//! The audit chain: every change rectrack makes, in one tamper-evident sequence.
//!
//! Each event carries `seq` (1, 2, 3 … with no gaps), the hash of the event
//! before it (`prev_hash`; 64 zeros for the first) and its own `hash`:
//!
//! ```text
//! hash = hex(SHA-256(prev_hash ‖ canonical_json({action, actor, at,
//!                                                 entity_id, entity_type,
//!                                                 payload, seq})))
//! ```
//!
//! where `prev_hash` is its 64 ASCII hex characters and canonical JSON is
//! defined by [`canonical_json`]: keys sorted by their UTF-8 bytes, no
//! insignificant whitespace, strings escaped minimally. Anyone holding the
//! events can re-verify the chain with this paragraph and a SHA-256 tool.
//!
//! This file computes and checks hashes. Appending (and keeping appends in one
//! line under concurrency) is the store's job.

mod action;

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::ids::{PersonId, TokenId};
use crate::organisation::OrgCode;
use crate::role::{Principal, Role};
use crate::time::{format_timestamp, truncate_to_micros, utc_micros};

pub use action::Action;

/// The `prev_hash` of the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who made a change: the token's or the person's id, and the organisation
/// and role it acted for. A command run at the console (`rectrack init`,
/// `rectrack seed`) has neither: all are null. `person_id` is present only
/// when a person acted, so events written before people existed keep their
/// form and their hashes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditActor {
    /// The token used, if any.
    pub token_id: Option<TokenId>,
    /// The person who acted, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<PersonId>,
    /// The token's organisation.
    pub organisation: Option<OrgCode>,
    /// The token's role.
    pub role: Option<Role>,
}

/// A change about to be recorded; [`NewAuditEvent::seal`] links it into the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    /// When the change was made (truncated to microseconds when sealed).
    pub at: DateTime<Utc>,
    /// Who made it.
    pub actor: AuditActor,
    /// What was done, e.g. `response.submitted`.
    pub action: String,
    /// The kind of entity acted on, e.g. `assignment`.
    pub entity_type: String,
    /// The id (or code, or slug) of that entity.
    pub entity_id: String,
    /// The change itself: every row it wrote.
    pub payload: Value,
}

impl NewAuditEvent {
    /// The event as number `seq` of the chain, after the event hashed `prev_hash`.
    pub fn seal(self, seq: u64, prev_hash: &str) -> AuditEvent {
        let mut event = AuditEvent {
            seq,
            at: truncate_to_micros(self.at),
            actor: self.actor,
            action: self.action,
            entity_type: self.entity_type,
            entity_id: self.entity_id,
            payload: self.payload,
            prev_hash: prev_hash.to_owned(),
            hash: String::new(),
        };
        event.hash = event.compute_hash();
        event
    }
}

/// An event of the chain as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditEvent {
    /// Its place in the chain, from 1.
    pub seq: u64,
    /// When the change was made.
    #[serde(with = "utc_micros")]
    pub at: DateTime<Utc>,
    /// Who made it.
    pub actor: AuditActor,
    /// What was done.
    pub action: String,
    /// The kind of entity acted on.
    pub entity_type: String,
    /// Its id.
    pub entity_id: String,
    /// The change itself.
    pub payload: Value,
    /// The hash of the event before (64 zeros for the first).
    pub prev_hash: String,
    /// This event's hash.
    pub hash: String,
}

impl AuditEvent {
    /// The hash this event's content and `prev_hash` call for (which equals
    /// `hash` unless the event was tampered with).
    pub fn compute_hash(&self) -> String {
        // The canonical JSON of the hashed fields, written directly (keys in
        // sorted order) rather than through a `Value`: verification of long
        // chains spends its time here.
        let mut body = String::with_capacity(384);
        body.push_str("{\"action\":");
        write_string(&self.action, &mut body);
        body.push_str(",\"actor\":{\"organisation\":");
        match &self.actor.organisation {
            Some(organisation) => write_string(organisation.as_str(), &mut body),
            None => body.push_str("null"),
        }
        if let Some(person_id) = self.actor.person_id {
            body.push_str(",\"person_id\":");
            write_string(&person_id.to_string(), &mut body);
        }
        body.push_str(",\"role\":");
        match self.actor.role {
            Some(role) => write_string(role.as_str(), &mut body),
            None => body.push_str("null"),
        }
        body.push_str(",\"token_id\":");
        match self.actor.token_id {
            Some(token_id) => write_string(&token_id.to_string(), &mut body),
            None => body.push_str("null"),
        }
        body.push_str("},\"at\":");
        write_string(&format_timestamp(&self.at), &mut body);
        body.push_str(",\"entity_id\":");
        write_string(&self.entity_id, &mut body);
        body.push_str(",\"entity_type\":");
        write_string(&self.entity_type, &mut body);
        body.push_str(",\"payload\":");
        write_canonical(&self.payload, &mut body);
        let _ = write!(body, ",\"seq\":{}}}", self.seq);
        let mut hasher = Sha256::new();
        hasher.update(self.prev_hash.as_bytes());
        hasher.update(body.as_bytes());
        hex::encode(hasher.finalize())
    }

    /// The whole event, `hash` included, as canonical JSON: the form in which
    /// events are exported, and the only form [`verify_serialized`] accepts.
    pub fn to_canonical_json(&self) -> String {
        // Serialising these plain fields into a `Value` cannot fail.
        serde_json::to_value(self)
            .map(|value| canonical_json(&value))
            .unwrap_or_default()
    }
}

/// Whether `principal` may read `event`, which concerns assignments of the
/// organisations `concerns`: the console and those who see everything read
/// every event; anyone else, the events its organisation made and those
/// concerning its organisation's assignments. (A force keeps receipts of
/// what it filed; it never learns what another force did.)
pub fn readable_by(principal: &Principal, event: &AuditEvent, concerns: &[OrgCode]) -> bool {
    match principal.actor() {
        None => true,
        Some(actor) => {
            actor.sees_everything()
                || event.actor.organisation.as_ref() == Some(&actor.organisation)
                || concerns.contains(&actor.organisation)
        }
    }
}

/// Writes `value` as canonical JSON: object keys sorted by their UTF-8 bytes,
/// no whitespace, strings escaped minimally (`"`, `\` and control characters
/// only, the latter as `\n`, `\r`, `\t`, `\b`, `\f` or `\u00XX`), numbers as
/// `serde_json` writes them. Independent of `serde_json`'s map ordering, so a
/// feature flag elsewhere cannot change a hash.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0C}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The outcome of verifying a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainVerdict {
    /// True when every event is in place, unchanged and linked.
    pub valid: bool,
    /// How many events were read.
    pub length: u64,
    /// The stored hash of the last event read (64 zeros for an empty chain).
    pub head_hash: String,
    /// The first position (`seq`) at which the chain is not intact: an event
    /// changed, missing, out of place or unlinked.
    pub first_invalid_seq: Option<u64>,
    /// What is wrong, in words, when the chain is not valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Verifies a chain one event at a time, in constant memory, so that a
/// million events can be streamed from a database.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    length: u64,
    prev_hash: String,
    first_invalid_seq: Option<u64>,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl ChainVerifier {
    /// A verifier expecting event 1.
    pub fn new() -> Self {
        Self {
            length: 0,
            prev_hash: GENESIS_HASH.to_owned(),
            first_invalid_seq: None,
        }
    }

    /// Checks the next event: it must be number `length + 1`, link to the
    /// previous event's hash, and hash to its own `hash`. Returns false once
    /// the chain is broken (at this event or before).
    pub fn push(&mut self, event: &AuditEvent) -> bool {
        self.length += 1;
        if self.first_invalid_seq.is_none()
            && (event.seq != self.length
                || event.prev_hash != self.prev_hash
                || event.compute_hash() != event.hash)
        {
            self.first_invalid_seq = Some(self.length);
        }
        self.prev_hash.clone_from(&event.hash);
        self.first_invalid_seq.is_none()
    }

    /// Records that the event at the next position could not be read at all.
    pub fn push_unreadable(&mut self) {
        self.length += 1;
        self.first_invalid_seq.get_or_insert(self.length);
        self.prev_hash.clear();
    }

    /// The verdict over every event pushed.
    pub fn finish(self) -> ChainVerdict {
        let detail = self.first_invalid_seq.map(|seq| {
            format!("event {seq} is changed, missing, out of place or not linked to the one before")
        });
        ChainVerdict {
            valid: self.first_invalid_seq.is_none(),
            length: self.length,
            head_hash: self.prev_hash,
            first_invalid_seq: self.first_invalid_seq,
            detail,
        }
    }

    /// The verdict over every event pushed, which must end where the
    /// recorded head (`head_seq`, `head_hash`) says the chain ends: events
    /// deleted from the end, or a head moved by hand, are found at once
    /// rather than by the next write.
    pub fn finish_at(self, head_seq: u64, head_hash: &str) -> ChainVerdict {
        let mut verdict = self.finish();
        if verdict.first_invalid_seq.is_some() {
            return verdict;
        }
        let wrong = if verdict.length < head_seq {
            Some((
                verdict.length + 1,
                format!(
                    "the chain ends at event {} but the recorded head is event {head_seq}: events {} to {head_seq} are missing",
                    verdict.length,
                    verdict.length + 1
                ),
            ))
        } else if verdict.length > head_seq {
            Some((
                head_seq + 1,
                format!(
                    "the recorded head is event {head_seq} but the chain goes on to event {}: the head is wrong",
                    verdict.length
                ),
            ))
        } else if verdict.head_hash != head_hash {
            Some((
                head_seq.max(1),
                format!(
                    "the recorded head's hash {head_hash} is not event {head_seq}'s hash {}: the head or that event is wrong",
                    verdict.head_hash
                ),
            ))
        } else {
            None
        };
        if let Some((seq, detail)) = wrong {
            verdict.valid = false;
            verdict.first_invalid_seq = Some(seq);
            verdict.detail = Some(detail);
        }
        verdict
    }
}

/// Verifies events in the order given.
pub fn verify_chain<'a>(events: impl IntoIterator<Item = &'a AuditEvent>) -> ChainVerdict {
    let mut verifier = ChainVerifier::new();
    for event in events {
        verifier.push(event);
    }
    verifier.finish()
}

/// Verifies exported events, one canonical JSON text per event. A text that
/// is not UTF-8, does not parse, or is not exactly the canonical form of what
/// it parses to is invalid at its position: so no byte of an export can
/// change unnoticed.
pub fn verify_serialized<T: AsRef<[u8]>>(texts: impl IntoIterator<Item = T>) -> ChainVerdict {
    let mut verifier = ChainVerifier::new();
    for text in texts {
        let text = text.as_ref();
        match serde_json::from_slice::<AuditEvent>(text) {
            Ok(event) if event.to_canonical_json().as_bytes() == text => {
                verifier.push(&event);
            }
            _ => verifier.push_unreadable(),
        }
    }
    verifier.finish()
}
