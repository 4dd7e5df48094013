//! The transparency log's proofs and receipts, as clients read them. Hashes
//! are standard base64, as in checkpoints and C2SP proofs.

use poem_openapi::Object;

use crate::models::AuditEvent;

/// The proof that an audit event is in the log, with the signed checkpoint
/// it leads to.
#[derive(Debug, Clone, Object)]
pub struct InclusionProof {
    /// The event's `seq`.
    pub seq: u64,
    /// Its leaf in the tree: `seq - 1`.
    pub leaf_index: u64,
    /// Its leaf hash: SHA-256(0x00 ‖ the 32 bytes of the event's `hash`).
    pub leaf_hash: String,
    /// The size of the tree the proof is for: the checkpoint's.
    pub tree_size: u64,
    /// The proof (RFC 9162 §2.1.3), from the leaf's sibling up.
    pub hashes: Vec<String>,
    /// The signed checkpoint (C2SP `tlog-checkpoint` in a `signed-note`),
    /// with the witnesses' cosignatures received so far.
    pub checkpoint: String,
    /// The witnesses whose cosignatures it carries, by key name.
    pub cosigned_by: Vec<String>,
    /// How many cosignatures the log requires: fewer in `cosigned_by`
    /// means the checkpoint is not yet witnessed.
    pub cosignatures_required: u64,
}

/// The proof that the log at one size is a prefix of the log at another.
#[derive(Debug, Clone, Object)]
pub struct ConsistencyProof {
    /// The earlier size.
    pub from: u64,
    /// The later size.
    pub to: u64,
    /// The proof (RFC 9162 §2.1.4).
    pub hashes: Vec<String>,
}

/// What a caller keeps as proof of a change: the event, its inclusion
/// proof and the signed checkpoint, checkable offline with
/// `rectrack verify`.
#[derive(Debug, Clone, Object)]
pub struct Receipt {
    /// The event, as the chain holds it.
    pub event: AuditEvent,
    /// Its inclusion in the log.
    pub proof: InclusionProof,
}
