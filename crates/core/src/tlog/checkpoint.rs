//! C2SP `tlog-checkpoint` (a log's origin, size and root hash, as the text
//! of a signed note) and C2SP `tlog-proof` (a leaf's inclusion proof with the
//! signed checkpoint it leads to).

use std::fmt;

use super::Hash;
use super::note::{Note, NoteError};

/// Why a checkpoint or a proof could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// Not in the format.
    #[error("not a checkpoint: {0}")]
    Malformed(String),
    /// The signed note around it is not one.
    #[error(transparent)]
    Note(#[from] NoteError),
}

/// A log's state: its origin line, size and root hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's name, e.g. `rectrack.example.org/iopc`.
    pub origin: String,
    /// Leaves in the tree.
    pub size: u64,
    /// The tree's root hash.
    pub root: Hash,
}

impl Checkpoint {
    /// The note text: three lines, each ending in a newline.
    pub fn text(&self) -> String {
        self.to_string()
    }

    /// Reads a checkpoint from a note's text (extension lines are allowed
    /// and ignored).
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let bad = |why: &str| CheckpointError::Malformed(why.to_owned());
        let mut lines = text.split('\n');
        let origin = lines.next().unwrap_or_default();
        if origin.is_empty() {
            return Err(bad("the origin line is empty"));
        }
        let size = lines.next().unwrap_or_default();
        if size.is_empty()
            || !size.bytes().all(|b| b.is_ascii_digit())
            || (size.len() > 1 && size.starts_with('0'))
        {
            return Err(bad("the size is not a decimal number"));
        }
        let size: u64 = size.parse().map_err(|_| bad("the size is too large"))?;
        let root = lines
            .next()
            .and_then(Hash::from_base64)
            .ok_or_else(|| bad("the root hash is not 32 bytes of base64"))?;
        if !text.ends_with('\n') {
            return Err(bad("it does not end in a newline"));
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
        })
    }
}

impl fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n{}\n{}\n", self.origin, self.size, self.root)
    }
}

/// A C2SP `tlog-proof`: a leaf's index, its inclusion proof, and the signed
/// checkpoint the proof leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofText {
    /// The leaf's index, from 0.
    pub index: u64,
    /// The proof, from the leaf's sibling up.
    pub proof: Vec<Hash>,
    /// The signed checkpoint, as served.
    pub checkpoint: String,
}

/// The first line of a C2SP `tlog-proof`.
const PROOF_HEADER: &str = "c2sp.org/tlog-proof@v1";

impl ProofText {
    /// Reads a proof.
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let bad = |why: &str| CheckpointError::Malformed(why.to_owned());
        let (head, checkpoint) = text
            .split_once("\n\n")
            .ok_or_else(|| bad("no blank line before the checkpoint"))?;
        let mut lines = head.split('\n');
        if lines.next() != Some(PROOF_HEADER) {
            return Err(bad("the first line is not c2sp.org/tlog-proof@v1"));
        }
        let mut line = lines.next();
        if line.is_some_and(|l| l.starts_with("extra ")) {
            line = lines.next();
        }
        let index = line
            .and_then(|l| l.strip_prefix("index "))
            .filter(|n| !(n.len() > 1 && n.starts_with('0')))
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| bad("no index line"))?;
        let proof = lines
            .map(|l| Hash::from_base64(l).ok_or_else(|| bad("a proof line is not a hash")))
            .collect::<Result<_, _>>()?;
        Note::parse(checkpoint)?;
        Ok(Self {
            index,
            proof,
            checkpoint: checkpoint.to_owned(),
        })
    }
}

impl fmt::Display for ProofText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{PROOF_HEADER}")?;
        writeln!(f, "index {}", self.index)?;
        for hash in &self.proof {
            writeln!(f, "{hash}")?;
        }
        writeln!(f)?;
        f.write_str(&self.checkpoint)
    }
}
