//! C2SP `tlog-witness`: a log asks a witness to cosign a new checkpoint,
//! sending the size the witness last cosigned and a consistency proof from
//! it; the witness cosigns only a checkpoint consistent with everything it
//! cosigned before.
//!
//! ```text
//! POST <witness>/add-checkpoint
//!
//! old <size last cosigned>
//! <consistency proof, one base64 hash per line>
//!
//! <signed checkpoint>
//! ```

use std::fmt;

use super::note::{Note, SignerKey, VerifierKey};
use super::proof::verify_consistency;
use super::{Checkpoint, Hash};

/// Most proof lines a request may carry.
pub const MAX_PROOF_LINES: usize = 63;

/// An `add-checkpoint` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The size the log believes the witness last cosigned (0 for none).
    pub old: u64,
    /// The consistency proof from `old` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The signed checkpoint.
    pub checkpoint: String,
}

impl fmt::Display for AddCheckpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "old {}", self.old)?;
        for hash in &self.proof {
            writeln!(f, "{hash}")?;
        }
        writeln!(f)?;
        f.write_str(&self.checkpoint)
    }
}

impl AddCheckpoint {
    /// Reads a request body.
    pub fn parse(body: &str) -> Result<Self, Refusal> {
        let bad = |why: &str| Refusal::Malformed(why.to_owned());
        let (head, checkpoint) = body
            .split_once("\n\n")
            .ok_or_else(|| bad("no blank line before the checkpoint"))?;
        let mut lines = head.split('\n');
        let old = lines
            .next()
            .and_then(|l| l.strip_prefix("old "))
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .filter(|n| !(n.len() > 1 && n.starts_with('0')))
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| bad("the first line is not `old SIZE`"))?;
        let proof: Vec<Hash> = lines
            .map(|l| Hash::from_base64(l).ok_or_else(|| bad("a proof line is not a hash")))
            .collect::<Result<_, _>>()?;
        if proof.len() > MAX_PROOF_LINES {
            return Err(bad("more than 63 proof lines"));
        }
        Ok(Self {
            old,
            proof,
            checkpoint: checkpoint.to_owned(),
        })
    }
}

/// What a witness keeps of a log: the latest checkpoint it cosigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosigned {
    /// Its size.
    pub size: u64,
    /// Its root.
    pub root: Hash,
}

/// Why a witness refused to cosign, with the HTTP status the protocol gives
/// it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The request could not be read (400).
    #[error("the request is malformed: {0}")]
    Malformed(String),
    /// The witness does not know the checkpoint's origin (404).
    #[error("this witness does not witness the log {0}")]
    UnknownLog(String),
    /// No signature by a key the witness trusts for the origin verifies (403).
    #[error("the checkpoint is not signed by the log's key")]
    Unsigned,
    /// `old` is larger than the checkpoint (400).
    #[error("the old size {old} is larger than the checkpoint's {size}")]
    OldTooLarge {
        /// The old size sent.
        old: u64,
        /// The checkpoint's size.
        size: u64,
    },
    /// `old` is not the size the witness last cosigned (409; the body is
    /// that size).
    #[error("the witness last cosigned size {0}")]
    WrongOld(u64),
    /// Same size as the one last cosigned, another root (409): the log
    /// forked.
    #[error(
        "the checkpoint has size {size} as the last one cosigned, but another root: the log's history was rewritten"
    )]
    Forked {
        /// The size both have.
        size: u64,
    },
    /// The proof does not show the checkpoint extends the one last cosigned
    /// (422).
    #[error(
        "the checkpoint is not consistent with the one cosigned at size {old}: the log's history was rewritten"
    )]
    Inconsistent {
        /// The size last cosigned.
        old: u64,
    },
}

impl Refusal {
    /// The HTTP status the protocol answers with.
    pub fn status(&self) -> u16 {
        match self {
            Self::Malformed(_) | Self::OldTooLarge { .. } => 400,
            Self::Unsigned => 403,
            Self::UnknownLog(_) => 404,
            Self::WrongOld(_) | Self::Forked { .. } => 409,
            Self::Inconsistent { .. } => 422,
        }
    }
}

/// A checkpoint a witness has checked: what it will now keep for the log,
/// and its origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The checkpoint.
    pub checkpoint: Checkpoint,
    /// The note's text, which the cosignature signs.
    pub text: String,
}

/// Checks `request` as a witness whose record of the log is `last` (none if
/// it never cosigned for it), trusting `logs`' keys: the protocol's checks,
/// in its order.
pub fn check(
    request: &AddCheckpoint,
    logs: &[VerifierKey],
    last: impl FnOnce(&str) -> Option<Cosigned>,
) -> Result<Accepted, Refusal> {
    let note = Note::parse(&request.checkpoint).map_err(|e| Refusal::Malformed(e.to_string()))?;
    let checkpoint =
        Checkpoint::parse(&note.text).map_err(|e| Refusal::Malformed(e.to_string()))?;
    let keys: Vec<&VerifierKey> = logs
        .iter()
        .filter(|k| k.name() == checkpoint.origin)
        .collect();
    if keys.is_empty() {
        return Err(Refusal::UnknownLog(checkpoint.origin));
    }
    if !keys.iter().any(|k| k.verify(&note).is_ok()) {
        return Err(Refusal::Unsigned);
    }
    if request.old > checkpoint.size {
        return Err(Refusal::OldTooLarge {
            old: request.old,
            size: checkpoint.size,
        });
    }
    let last = last(&checkpoint.origin);
    let last_size = last.as_ref().map_or(0, |c| c.size);
    if request.old != last_size {
        return Err(Refusal::WrongOld(last_size));
    }
    match last {
        None => {
            if !request.proof.is_empty() {
                return Err(Refusal::Inconsistent { old: 0 });
            }
        }
        Some(last) if last.size == checkpoint.size => {
            if last.root != checkpoint.root {
                return Err(Refusal::Forked { size: last.size });
            }
        }
        Some(last) => {
            if !verify_consistency(
                last.size,
                checkpoint.size,
                &last.root,
                &checkpoint.root,
                &request.proof,
            ) {
                return Err(Refusal::Inconsistent { old: last.size });
            }
        }
    }
    Ok(Accepted {
        checkpoint,
        text: note.text,
    })
}

/// The cosignature line a witness answers with.
pub fn cosign(key: &SignerKey, accepted: &Accepted, time: u64) -> String {
    format!("{}\n", key.sign(&accepted.text, time))
}
