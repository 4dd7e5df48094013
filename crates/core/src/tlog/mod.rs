//! The transparency log: a Merkle tree over the audit chain, signed
//! checkpoints of it, and the proofs that tie an event to a checkpoint and one
//! checkpoint to a later one.
//!
//! The tree is the one of RFC 9162 §2.1 (as in Certificate Transparency and
//! the C2SP `tlog-*` specifications), over SHA-256:
//!
//! ```text
//! leaf hash = SHA-256(0x00 ‖ entry)
//! node hash = SHA-256(0x01 ‖ left ‖ right)
//! ```
//!
//! **Leaf encoding.** Audit event `seq` is leaf `seq - 1`, and its entry is the
//! 32 bytes of the event's chain `hash` (the hex of the audit chain, decoded).
//! That hash commits to the event's canonical JSON and to every event before
//! it ([`crate::audit`]), so a leaf reveals nothing of the event, and a reader
//! with the event recomputes its leaf with [`event_leaf`].
//!
//! The log's state is published as a C2SP `tlog-checkpoint` ([`Checkpoint`])
//! signed as a C2SP `signed-note` ([`note`]) with Ed25519; its hashes are
//! served as C2SP `tlog-tiles` ([`tile`]).

mod checkpoint;
pub mod note;
pub mod proof;
pub mod tile;
pub mod verify;
pub mod witness;

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

pub use checkpoint::{Checkpoint, CheckpointError, ProofText};

/// A SHA-256 hash of the tree.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The hash from its standard base64 form (as checkpoints and proofs
    /// write it).
    pub fn from_base64(text: &str) -> Option<Self> {
        let bytes = STANDARD.decode(text).ok()?;
        Some(Self(bytes.try_into().ok()?))
    }

    /// Its standard base64 form.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// The hash from 64 hex characters.
    pub fn from_hex(text: &str) -> Option<Self> {
        let mut bytes = [0; 32];
        hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(Self(bytes))
    }

    /// Its 64 hex characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The hash from exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        Some(Self(bytes.try_into().ok()?))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base64())
    }
}

/// The hash of a leaf whose entry is `entry`.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0]);
    hasher.update(entry);
    Hash(hasher.finalize().into())
}

/// The hash of an inner node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([1]);
    hasher.update(left.0);
    hasher.update(right.0);
    Hash(hasher.finalize().into())
}

/// The root of the empty tree: SHA-256 of nothing.
pub fn empty_root() -> Hash {
    Hash(Sha256::digest([]).into())
}

/// The leaf of an audit event, from its chain hash (64 hex characters); none
/// when that is not a hash.
pub fn event_leaf(chain_hash: &str) -> Option<Hash> {
    Hash::from_hex(chain_hash).map(|entry| leaf_hash(&entry.0))
}

/// The root of a tree with these leaves, computed directly (for tests and
/// for checking small trees; the log computes roots from stored tiles).
pub fn root_of(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = proof::split(n as u64) as usize;
            node_hash(&root_of(&leaves[..k]), &root_of(&leaves[k..]))
        }
    }
}

#[cfg(test)]
mod tests;
