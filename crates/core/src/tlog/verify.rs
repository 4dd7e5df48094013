//! Checking what a log hands out, offline: a checkpoint against the log's
//! key and a witness policy, a receipt (an event, its inclusion proof and a
//! checkpoint), a consistency proof between two checkpoints, and an export
//! of events with their proofs. `rectrack verify` is this module with files.

use serde::Deserialize;

use super::note::{KeyType, Note, VerifierKey};
use super::proof::{verify_consistency, verify_inclusion};
use super::{Checkpoint, Hash, event_leaf, root_of};
use crate::audit::AuditEvent;

/// Whose signatures a checkpoint needs: the log's, and cosignatures of at
/// least `quorum` of `witnesses`.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The log's key.
    pub log: VerifierKey,
    /// The witnesses trusted.
    pub witnesses: Vec<VerifierKey>,
    /// How many of them must have cosigned.
    pub quorum: usize,
}

/// A checkpoint that passed the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// What it says.
    pub checkpoint: Checkpoint,
    /// The witnesses whose cosignatures verified, by name.
    pub cosigned_by: Vec<String>,
}

impl Policy {
    /// Checks a signed checkpoint: the log's signature, its origin, and
    /// enough cosignatures.
    pub fn checkpoint(&self, note: &str) -> Result<Verified, String> {
        let note = Note::parse(note).map_err(|e| format!("the checkpoint: {e}"))?;
        self.log
            .verify(&note)
            .map_err(|e| format!("the checkpoint: {e}"))?;
        let checkpoint =
            Checkpoint::parse(&note.text).map_err(|e| format!("the checkpoint: {e}"))?;
        if checkpoint.origin != self.log.name() {
            return Err(format!(
                "the checkpoint is of the log {}, not {}",
                checkpoint.origin,
                self.log.name()
            ));
        }
        let mut cosigned_by = Vec::new();
        for witness in &self.witnesses {
            match witness.verify(&note) {
                Ok(_) => cosigned_by.push(witness.name().to_owned()),
                Err(super::note::NoteError::Unsigned(_)) => {}
                Err(e) => return Err(format!("the checkpoint: {e}")),
            }
        }
        if cosigned_by.len() < self.quorum {
            return Err(format!(
                "the checkpoint is cosigned by {} of the {} witnesses required ({})",
                cosigned_by.len(),
                self.quorum,
                if cosigned_by.is_empty() {
                    "none".to_owned()
                } else {
                    cosigned_by.join(", ")
                }
            ));
        }
        Ok(Verified {
            checkpoint,
            cosigned_by,
        })
    }
}

/// Reads a witness key for a policy: it must be a cosignature key.
pub fn witness_key(text: &str) -> Result<VerifierKey, String> {
    let key = VerifierKey::parse(text).map_err(|e| e.to_string())?;
    if key.kind() != KeyType::Cosignature {
        return Err(format!(
            "{} is not a witness's key (a cosignature key, type 0x04)",
            key.name()
        ));
    }
    Ok(key)
}

/// An event's proof, as `GET /v1/audit/events/{seq}/receipt` gives it.
#[derive(Debug, Clone, Deserialize)]
pub struct ReceiptProof {
    /// The event's seq.
    pub seq: u64,
    /// Its leaf index.
    pub leaf_index: u64,
    /// The tree size proven in.
    pub tree_size: u64,
    /// The proof, base64.
    pub hashes: Vec<String>,
    /// The signed checkpoint.
    pub checkpoint: String,
}

/// A receipt: the event and its proof.
#[derive(Debug, Clone, Deserialize)]
pub struct Receipt {
    /// The event.
    pub event: AuditEvent,
    /// Its proof.
    pub proof: ReceiptProof,
}

fn hashes(texts: &[String]) -> Result<Vec<Hash>, String> {
    texts
        .iter()
        .map(|t| Hash::from_base64(t).ok_or_else(|| format!("`{t}` is not a base64 hash")))
        .collect()
}

/// Checks that `event` is whole (its hash recomputes) and is leaf
/// `seq - 1` of `checkpoint` by `proof`.
pub fn event_in(event: &AuditEvent, proof: &[Hash], checkpoint: &Checkpoint) -> Result<(), String> {
    if event.compute_hash() != event.hash {
        return Err(format!(
            "event {} has been altered: its content does not give its hash",
            event.seq
        ));
    }
    let leaf = event_leaf(&event.hash)
        .ok_or_else(|| format!("event {}'s hash is not 64 hex digits", event.seq))?;
    let index = event
        .seq
        .checked_sub(1)
        .ok_or_else(|| "an event's seq starts at 1".to_owned())?;
    if !verify_inclusion(index, checkpoint.size, &leaf, proof, &checkpoint.root) {
        return Err(format!(
            "event {} is not in the log at size {}: the inclusion proof does not lead to the checkpoint's root",
            event.seq, checkpoint.size
        ));
    }
    Ok(())
}

/// Checks a receipt under `policy`; returns its checkpoint.
pub fn receipt(policy: &Policy, receipt: &Receipt) -> Result<Verified, String> {
    let verified = policy.checkpoint(&receipt.proof.checkpoint)?;
    let proof = &receipt.proof;
    if proof.seq != receipt.event.seq || proof.leaf_index + 1 != proof.seq {
        return Err("the receipt's proof is for another event".to_owned());
    }
    if proof.tree_size != verified.checkpoint.size {
        return Err(format!(
            "the receipt's proof is for size {}, its checkpoint is of size {}",
            proof.tree_size, verified.checkpoint.size
        ));
    }
    event_in(
        &receipt.event,
        &hashes(&proof.hashes)?,
        &verified.checkpoint,
    )?;
    Ok(verified)
}

/// A consistency proof, as `GET /v1/log/consistency` gives it.
#[derive(Debug, Clone, Deserialize)]
pub struct ConsistencyProof {
    /// The earlier size.
    pub from: u64,
    /// The later size.
    pub to: u64,
    /// The proof, base64.
    pub hashes: Vec<String>,
}

/// Checks that `earlier` (a checkpoint kept from before) is a prefix of
/// `later` by `proof`.
pub fn consistent(
    earlier: &Checkpoint,
    later: &Checkpoint,
    proof: &ConsistencyProof,
) -> Result<(), String> {
    let (old, new) = if earlier.size <= later.size {
        (earlier, later)
    } else {
        (later, earlier)
    };
    if proof.from != old.size || proof.to != new.size {
        return Err(format!(
            "the consistency proof is from {} to {}, the checkpoints are of sizes {} and {}",
            proof.from, proof.to, old.size, new.size
        ));
    }
    if !verify_consistency(
        old.size,
        new.size,
        &old.root,
        &new.root,
        &hashes(&proof.hashes)?,
    ) {
        return Err(format!(
            "the log at size {} is not a prefix of the log at size {}: its history was rewritten",
            old.size, new.size
        ));
    }
    Ok(())
}

/// One line of an `audit-jsonl` export after the first: an event and its
/// inclusion proof in the export's checkpoint.
#[derive(Debug, Clone, Deserialize)]
pub struct ExportedEvent {
    /// The event.
    pub event: AuditEvent,
    /// Its proof, base64.
    pub proof: Vec<String>,
}

/// The first line of an `audit-jsonl` export.
#[derive(Debug, Clone, Deserialize)]
pub struct ExportHead {
    /// The signed checkpoint every proof leads to.
    pub checkpoint: String,
}

/// What an export proved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportVerified {
    /// Its checkpoint.
    pub verified: Verified,
    /// Events checked.
    pub events: u64,
    /// Whether it held every event up to the checkpoint (so the root was
    /// recomputed from them too).
    pub whole: bool,
}

/// Checks an `audit-jsonl` export: its checkpoint under `policy`; each
/// event whole and in the checkpoint; consecutive events linked; and, if it
/// holds every event up to the checkpoint, their root.
pub fn export(policy: &Policy, text: &str) -> Result<ExportVerified, String> {
    let mut lines = text.lines().enumerate();
    let (_, head) = lines
        .next()
        .ok_or_else(|| "the export is empty".to_owned())?;
    let head: ExportHead =
        serde_json::from_str(head).map_err(|e| format!("line 1 is not the checkpoint: {e}"))?;
    let verified = policy.checkpoint(&head.checkpoint)?;
    let mut previous: Option<AuditEvent> = None;
    let mut leaves = Vec::new();
    let mut contiguous = true;
    let mut events = 0;
    for (n, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let line: ExportedEvent = serde_json::from_str(line)
            .map_err(|e| format!("line {} is not an event with its proof: {e}", n + 1))?;
        let event = line.event;
        event_in(&event, &hashes(&line.proof)?, &verified.checkpoint)?;
        if let Some(previous) = &previous {
            if event.seq <= previous.seq {
                return Err(format!(
                    "event {} comes after event {}",
                    event.seq, previous.seq
                ));
            }
            if event.seq == previous.seq + 1 && event.prev_hash != previous.hash {
                return Err(format!(
                    "event {} does not follow event {}: the chain is broken",
                    event.seq, previous.seq
                ));
            }
        }
        contiguous &= event.seq == events + 1;
        leaves.extend(event_leaf(&event.hash));
        events += 1;
        previous = Some(event);
    }
    let whole = contiguous && events == verified.checkpoint.size;
    if whole && root_of(&leaves) != verified.checkpoint.root {
        return Err("the events do not make the checkpoint's root".to_owned());
    }
    Ok(ExportVerified {
        verified,
        events,
        whole,
    })
}
